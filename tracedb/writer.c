/*
 * Trace writer: buffers events into a frame, and on flush compresses the
 * frame (zstd, content checksum on), puts the 64-byte header in front and
 * hands header + data to the kernel in one write(); then commits the
 * frame's index rows in one transaction. Nothing is buffered in user space
 * between flushes except the current frame, so a recorder killed by
 * SIGKILL leaves every flushed frame readable (the kernel keeps written
 * data); a write that fails half-way is cut back off the file, so the file
 * never holds a damaged frame followed by good ones. fdatasync() runs at
 * every checkpoint and at the end, for durability against power loss.
 *
 * The frame sequence starts with a frame holding only META, written by
 * tdb_writer_create(), so metadata is on disk before the first input.
 */
#include "tracedb/tracedb_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#ifndef REWIND_VERSION
#define REWIND_VERSION "unknown"
#endif

#define ZSTD_LEVEL 1
#define OUT_KEEP_MAX (64u << 20)   /* larger output buffers are not kept */

struct TdbWriter {
    char *dir;
    int fd_ev, fd_ck;
    uint64_t ev_bytes, ck_bytes;
    uint64_t frame_no, ckpt_no;
    TdbBuf raw;                /* encoded events of the current frame */
    uint32_t n;
    uint64_t first_icount, last_icount;
    uint64_t prev_icount;      /* of the last event appended, any frame */
    uint64_t guest_ns;         /* guest time at the end (END payload) */
    bool final;                /* the current frame holds END */
    bool shut_down;            /* SHUTDOWN written: only END may follow */
    uint32_t harts;            /* from meta `harts` (1 when absent) */
    bool failed, ended;
    TdbBuf out;                /* header + compressed data */
    ZSTD_CCtx *cctx;
    TdbIndex *idx;
    char err[512];
};

static int wfail(TdbWriter *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->err, sizeof(w->err), fmt, ap);
    va_end(ap);
    w->failed = true;
    return -1;
}

/* Appends to the file at the writer's offset *off, or cuts the file back
   to *off when the write fails. */
static int append_record(TdbWriter *w, int fd, uint64_t *off,
                         const char *name, const void *buf, size_t len)
{
    if (tdb_write_all(fd, buf, len) < 0) {
        int e = errno;
        if (ftruncate(fd, (off_t)*off) != 0 ||
            lseek(fd, (off_t)*off, SEEK_SET) < 0) {
            return wfail(w, "%s/%s: write: %s (and cannot cut back the "
                         "partial record)", w->dir, name, strerror(e));
        }
        return wfail(w, "%s/%s: write: %s", w->dir, name, strerror(e));
    }
    *off += len;
    return 0;
}

/* Compresses src into w->out after a TDB_HDR_SIZE gap; returns the
   compressed size or 0 on failure. */
static size_t compress_into_out(TdbWriter *w, const void *src, size_t len)
{
    size_t bound = ZSTD_compressBound(len);
    w->out.len = 0;
    if (tdb_buf_reserve(&w->out, TDB_HDR_SIZE + bound) < 0) {
        wfail(w, "%s: out of memory compressing %zu bytes", w->dir, len);
        return 0;
    }
    size_t n = ZSTD_compress2(w->cctx, w->out.p + TDB_HDR_SIZE, bound, src, len);
    if (ZSTD_isError(n)) {
        wfail(w, "%s: zstd: %s", w->dir, ZSTD_getErrorName(n));
        return 0;
    }
    w->out.len = TDB_HDR_SIZE + n;
    return n;
}

static void trim_out(TdbWriter *w)
{
    if (w->out.cap > OUT_KEEP_MAX) {
        tdb_buf_free(&w->out);
    }
}

static int add_event(TdbWriter *w, const TdbEvent *ev)
{
    if (tdb_event_encode(&w->raw, ev, w->n ? &w->last_icount : NULL) < 0) {
        return wfail(w, "%s: out of memory", w->dir);
    }
    if (w->n == 0) {
        w->first_icount = ev->icount;
    }
    w->n++;
    w->last_icount = ev->icount;
    w->prev_icount = ev->icount;
    w->final = ev->kind == TDB_EV_END;
    return 0;
}

int tdb_writer_flush(TdbWriter *w)
{
    if (w->failed) {
        return -1;
    }
    if (w->n == 0) {
        return 0;
    }
    size_t csize = compress_into_out(w, w->raw.p, w->raw.len);
    if (csize == 0) {
        return -1;
    }
    TdbFrameHdr h = {
        .version = TDB_FORMAT_VERSION, .number = w->frame_no,
        .first_icount = w->first_icount, .last_icount = w->last_icount,
        .n_events = w->n, .flags = w->final ? TDB_FRAME_FINAL : 0,
        .data_len = (uint32_t)csize, .raw_len = (uint32_t)w->raw.len,
        .data_crc = tdb_crc32(0, w->out.p + TDB_HDR_SIZE, csize),
    };
    tdb_frame_hdr_encode(w->out.p, &h);
    TdbFrameInfo info = {
        .number = w->frame_no, .offset = w->ev_bytes, .length = w->out.len,
        .first_icount = w->first_icount, .last_icount = w->last_icount,
        .n_events = w->n,
    };
    if (append_record(w, w->fd_ev, &w->ev_bytes, TDB_EVENTS_FILE, w->out.p,
                      w->out.len) < 0) {
        return -1;
    }
    w->frame_no++;
    if (tdb_index_frame(w->idx, &info, w->raw.p, w->raw.len) < 0) {
        return wfail(w, "%s/%s", w->dir, tdb_index_error(w->idx));
    }
    w->raw.len = 0;
    w->n = 0;
    w->final = false;
    return 0;
}

int tdb_writer_append(TdbWriter *w, const TdbEvent *ev)
{
    if (w->failed) {
        return -1;
    }
    if (w->ended) {
        return wfail(w, "%s: append after the END event", w->dir);
    }
    if (ev->kind == TDB_EV_META || ev->kind == TDB_EV_CHECKPOINT ||
        ev->kind == TDB_EV_END) {
        return wfail(w, "%s: %s events are written by tdb_writer_%s", w->dir,
                     tdb_kind_name(ev->kind),
                     ev->kind == TDB_EV_META ? "create"
                     : ev->kind == TDB_EV_END ? "close" : "checkpoint");
    }
    const char *why = tdb_event_check(ev);
    if (why) {
        return wfail(w, "%s: event kind %u (%u bytes) at icount %llu: %s",
                     w->dir, ev->kind, ev->len,
                     (unsigned long long)ev->icount, why);
    }
    if (ev->hart >= w->harts) {
        return wfail(w, "%s: %s event at icount %llu for hart %u; the trace "
                     "has %u", w->dir, tdb_kind_name(ev->kind),
                     (unsigned long long)ev->icount, ev->hart, w->harts);
    }
    if (w->shut_down) {
        return wfail(w, "%s: %s event at icount %llu after SHUTDOWN (only "
                     "END may follow it)", w->dir, tdb_kind_name(ev->kind),
                     (unsigned long long)ev->icount);
    }
    if (ev->icount < w->prev_icount) {
        return wfail(w, "%s: %s event at icount %llu is before the previous "
                     "event (icount %llu)", w->dir, tdb_kind_name(ev->kind),
                     (unsigned long long)ev->icount,
                     (unsigned long long)w->prev_icount);
    }
    if (add_event(w, ev) < 0) {
        return -1;
    }
    w->shut_down |= ev->kind == TDB_EV_SHUTDOWN;
    return w->raw.len >= TDB_FRAME_TARGET ? tdb_writer_flush(w) : 0;
}

int tdb_writer_checkpoint(TdbWriter *w, uint64_t icount, uint64_t state_hash,
                          const void *blob, size_t len)
{
    if (w->failed) {
        return -1;
    }
    if (w->ended || w->shut_down || icount < w->prev_icount) {
        return wfail(w, "%s: checkpoint at icount %llu is %s", w->dir,
                     (unsigned long long)icount,
                     w->ended ? "after the END event"
                     : w->shut_down ? "after SHUTDOWN"
                                    : "before the previous event");
    }
    size_t csize = compress_into_out(w, blob, len);
    if (csize == 0) {
        return -1;
    }
    TdbCkptHdr h = {
        .version = TDB_FORMAT_VERSION, .number = w->ckpt_no, .icount = icount,
        .state_hash = state_hash, .raw_len = len, .data_len = csize,
        .data_crc = tdb_crc32(0, w->out.p + TDB_HDR_SIZE, csize),
    };
    tdb_ckpt_hdr_encode(w->out.p, &h);
    uint64_t offset = w->ck_bytes;
    int rc = append_record(w, w->fd_ck, &w->ck_bytes, TDB_CKPTS_FILE, w->out.p,
                           w->out.len);
    trim_out(w);
    if (rc < 0) {
        return -1;
    }
    w->ckpt_no++;
    uint8_t payload[TDB_EV_CHECKPOINT_LEN];
    TdbEvCheckpoint ck = { icount, state_hash, offset, w->ck_bytes - offset };
    TdbEvent ev = { .icount = icount };
    tdb_ev_checkpoint_encode(&ck, payload, sizeof(payload), &ev);
    if (add_event(w, &ev) < 0 || tdb_writer_flush(w) < 0) {
        return -1;
    }
    if (fdatasync(w->fd_ck) != 0 || fdatasync(w->fd_ev) != 0) {
        return wfail(w, "%s: fdatasync: %s", w->dir, strerror(errno));
    }
    return 0;
}

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

void tdb_writer_set_guest_ns(TdbWriter *w, uint64_t guest_ns)
{
    w->guest_ns = guest_ns;
}

int tdb_writer_end(TdbWriter *w, uint64_t final_icount, uint64_t final_hash)
{
    if (w->ended || w->failed) {
        w->ended = true;
        return w->failed ? -1 : 0;
    }
    if (final_icount < w->prev_icount) {
        return wfail(w, "%s: final icount %llu is before the last event "
                     "(icount %llu)", w->dir, (unsigned long long)final_icount,
                     (unsigned long long)w->prev_icount);
    }
    uint8_t payload[TDB_EV_END_LEN];
    TdbEvEnd end = { final_hash, true, w->guest_ns };
    TdbEvent ev = { .icount = final_icount };
    tdb_ev_end_encode(&end, payload, sizeof(payload), &ev);
    w->ended = true;
    if (add_event(w, &ev) < 0 || tdb_writer_flush(w) < 0) {
        return -1;
    }
    if (tdb_index_finish(w->idx) < 0) {
        return wfail(w, "%s/%s", w->dir, tdb_index_error(w->idx));
    }
    tdb_index_close(w->idx);
    w->idx = NULL;
    if (fdatasync(w->fd_ev) != 0 || fdatasync(w->fd_ck) != 0) {
        return wfail(w, "%s: fdatasync: %s", w->dir, strerror(errno));
    }
    sync_dir(w->dir);
    return 0;
}

static void writer_free(TdbWriter *w)
{
    tdb_index_close(w->idx);
    if (w->fd_ev >= 0) {
        close(w->fd_ev);
    }
    if (w->fd_ck >= 0) {
        close(w->fd_ck);
    }
    ZSTD_freeCCtx(w->cctx);
    tdb_buf_free(&w->raw);
    tdb_buf_free(&w->out);
    free(w->dir);
    free(w);
}

int tdb_writer_close(TdbWriter *w, uint64_t final_icount, uint64_t final_hash)
{
    int rc = tdb_writer_end(w, final_icount, final_hash);
    writer_free(w);
    return rc;
}

void tdb_writer_abort(TdbWriter *w)
{
    /* Like a killed recorder, minus the console line a reindex would also
       recover from the flushed CONSOLE events. */
    if (w->idx && !w->failed) {
        tdb_index_finish(w->idx);
    }
    writer_free(w);
}

TdbIndex *tdb_writer_index(TdbWriter *w)
{
    return w->failed ? NULL : w->idx;
}

const char *tdb_writer_error(TdbWriter *w)
{
    return w->err;
}

uint64_t tdb_writer_bytes(TdbWriter *w)
{
    return w->ev_bytes + w->ck_bytes;
}

/* ---- creation ---- */

static const char *bad_meta_key(const TdbKV *meta, size_t i)
{
    const char *k = meta[i].key;
    if (!k || !*k || strchr(k, '=') || !meta[i].value) {
        return "meta keys must be non-empty, without '=', with a value";
    }
    if (strncmp(k, "input.", 6) == 0 || strcmp(k, "format_version") == 0 ||
        strcmp(k, "schema_version") == 0) {
        return "meta key is reserved";
    }
    for (size_t j = 0; j < i; j++) {
        if (strcmp(meta[j].key, k) == 0) {
            return "meta key given twice";
        }
    }
    return NULL;
}

static bool has_key(const TdbKV *meta, size_t nmeta, const char *key)
{
    for (size_t i = 0; i < nmeta; i++) {
        if (strcmp(meta[i].key, key) == 0) {
            return true;
        }
    }
    return false;
}

/* Creates dir, or accepts it if it is an empty directory. */
static int make_dir(const char *dir, bool *created, char *err, size_t errlen)
{
    *created = false;
    if (mkdir(dir, 0777) == 0) {
        *created = true;
        return 0;
    }
    if (errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    bool empty = true;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            empty = false;
        }
    }
    closedir(d);
    if (!empty) {
        snprintf(err, errlen, "%s: exists and is not empty (a trace is "
                 "never overwritten)", dir);
        return -1;
    }
    return 0;
}

static int open_new(TdbWriter *w, const char *name, char *err, size_t errlen)
{
    char *path = tdb_path(w->dir, name);
    int fd = path ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666)
                  : -1;
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path ? path : name, strerror(errno));
    }
    free(path);
    return fd;
}

/* Writes frame 0: the META event with the automatic keys first. */
static int write_meta(TdbWriter *w, const TdbKV *meta, size_t nmeta,
                      const TdbInput *inputs, size_t ninputs)
{
    TdbKV *all = calloc(nmeta + 3, sizeof(*all));
    if (!all) {
        return wfail(w, "%s: out of memory", w->dir);
    }
    char version[16], created[32];
    size_t n = 0;
    snprintf(version, sizeof(version), "%d", TDB_FORMAT_VERSION);
    all[n++] = (TdbKV){ "format_version", version };
    if (!has_key(meta, nmeta, "rewind_version")) {
        all[n++] = (TdbKV){ "rewind_version", REWIND_VERSION };
    }
    if (!has_key(meta, nmeta, "created_utc")) {
        /* Trace metadata only; it never reaches the guest. */
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
        all[n++] = (TdbKV){ "created_utc", created };
    }
    if (nmeta) {
        memcpy(all + n, meta, nmeta * sizeof(*meta));
    }
    TdbBuf payload = { 0 };
    int rc = tdb_meta_encode(&payload, all, n + nmeta, inputs, ninputs);
    free(all);
    if (rc < 0 || payload.len > TDB_MAX_PAYLOAD) {
        tdb_buf_free(&payload);
        return wfail(w, "%s: metadata too large", w->dir);
    }
    TdbEvent ev = { TDB_EV_META, 0, 0, (uint32_t)payload.len, payload.p };
    rc = add_event(w, &ev);
    tdb_buf_free(&payload);
    return rc < 0 ? -1 : tdb_writer_flush(w);
}

static void remove_partial(const char *dir, bool created)
{
    static const char *const names[] = {
        TDB_EVENTS_FILE, TDB_CKPTS_FILE, TDB_INDEX_FILE,
        TDB_INDEX_FILE "-wal", TDB_INDEX_FILE "-shm",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char *p = tdb_path(dir, names[i]);
        if (p) {
            unlink(p);
        }
        free(p);
    }
    if (created) {
        rmdir(dir);
    }
}

TdbWriter *tdb_writer_create(const char *dir, const TdbKV *meta, size_t nmeta,
                             const TdbInput *inputs, size_t ninputs,
                             char *err, size_t errlen)
{
    uint64_t harts = 1;
    for (size_t i = 0; i < nmeta; i++) {
        const char *why = bad_meta_key(meta, i);
        if (!why && strcmp(meta[i].key, "harts") == 0 &&
            (!tdb_parse_u64(meta[i].value, TDB_MAX_HARTS, &harts) ||
             harts == 0)) {
            why = "meta harts must be a number from 1 to TDB_MAX_HARTS";
        }
        if (why) {
            snprintf(err, errlen, "%s: %s: \"%s\"", dir, why,
                     meta[i].key ? meta[i].key : "(null)");
            return NULL;
        }
    }
    if (nmeta + 3 + 4 * ninputs > TDB_MAX_META_ENTRIES) {
        snprintf(err, errlen, "%s: too much metadata (%zu entries and %zu "
                 "inputs)", dir, nmeta, ninputs);
        return NULL;
    }
    bool created;
    if (make_dir(dir, &created, err, errlen) < 0) {
        return NULL;
    }
    TdbWriter *w = calloc(1, sizeof(*w));
    if (!w || !(w->dir = strdup(dir))) {
        free(w);
        snprintf(err, errlen, "%s: out of memory", dir);
        remove_partial(dir, created);
        return NULL;
    }
    w->fd_ev = w->fd_ck = -1;
    w->harts = (uint32_t)harts;
    char *ipath = tdb_path(dir, TDB_INDEX_FILE);
    if ((w->fd_ev = open_new(w, TDB_EVENTS_FILE, err, errlen)) < 0 ||
        (w->fd_ck = open_new(w, TDB_CKPTS_FILE, err, errlen)) < 0 || !ipath ||
        !(w->idx = tdb_index_create(ipath, false, err, errlen))) {
        free(ipath);
        writer_free(w);
        remove_partial(dir, created);
        return NULL;
    }
    free(ipath);
    w->cctx = ZSTD_createCCtx();
    if (!w->cctx ||
        ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel,
                                            ZSTD_LEVEL)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1))) {
        wfail(w, "%s: cannot set up zstd", dir);
    }
    if (w->failed || write_meta(w, meta, nmeta, inputs, ninputs) < 0) {
        snprintf(err, errlen, "%s", w->err);
        writer_free(w);
        remove_partial(dir, created);
        return NULL;
    }
    return w;
}
