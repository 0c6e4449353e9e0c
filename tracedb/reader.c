/*
 * Trace reader. Opening walks the 64-byte headers of events.zst (cheap:
 * one pread per frame) to learn every complete frame's offset and icount
 * range, classifies what follows the last one (end of file, a truncated
 * frame left by a killed recorder, or damage), and decodes frame 0 for the
 * metadata. Frames are then loaded one at a time: checksum, decompression
 * and a full validation pass over the frame's events happen before the
 * first of its events is returned, so a caller never sees part of a bad
 * frame. The index is only consulted for its state; reading never needs
 * it and never writes to the trace directory.
 */
#include "tracedb/tracedb_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

struct TdbReader {
    char *dir;
    int fd_ev, fd_ck;
    TdbFrameHdr *frames;       /* complete frames, headers checked */
    size_t nframes;
    char *tail_error;          /* damage after the last complete frame */
    char *ck_damage;           /* checkpoints.zst missing or damaged */
    char warning[512];
    TdbMeta meta;
    TdbCheckpoint *ckpts;
    size_t nckpts;
    ZSTD_DCtx *dctx;
    TdbBuf comp, raw;          /* the loaded frame, compressed and not */
    size_t pos;                /* next frame to load; pos - 1 is loaded */
    bool have_frame;
    TdbCursor cur;
    sqlite3 *db;
    TdbIndexState istate;
    uint32_t harts;            /* from META (1 when absent) */
    char err[768];
};

static int frame_error(TdbReader *r, const TdbFrameHdr *h, const char *why)
{
    snprintf(r->err, sizeof(r->err),
             "%s/" TDB_EVENTS_FILE ": frame %" PRIu64 " (icount %" PRIu64
             "-%" PRIu64 ") at offset %" PRIu64 ": %s", r->dir, h->number,
             h->first_icount, h->last_icount, h->offset, why);
    return -1;
}

/* Checks every event of the decompressed frame against its header and the
   rules of the stream (validate.c). */
static const char *validate_frame(TdbReader *r, const TdbFrameHdr *h,
                                  char *buf, size_t buflen)
{
    size_t i = (size_t)h->number;
    TdbFrameRules rules = {
        .harts = r->harts, .first_frame = h->number == 0,
        .final = h->flags & TDB_FRAME_FINAL, .n_events = h->n_events,
        .first_icount = h->first_icount, .last_icount = h->last_icount,
        .has_next = i + 1 < r->nframes,
        .next_is_lone_end = i + 1 < r->nframes &&
                            r->frames[i + 1].n_events == 1 &&
                            (r->frames[i + 1].flags & TDB_FRAME_FINAL),
    };
    return tdb_frame_check(&rules, r->raw.p, r->raw.len, buf, buflen);
}

/* Reads, verifies and decompresses frame i; positions the cursor at its
   first event. */
static int load_frame(TdbReader *r, size_t i)
{
    const TdbFrameHdr *h = &r->frames[i];
    r->have_frame = false;
    r->comp.len = r->raw.len = 0;
    if (tdb_buf_reserve(&r->comp, h->data_len) < 0 ||
        tdb_buf_reserve(&r->raw, (size_t)h->raw_len + 1) < 0) {
        return frame_error(r, h, "out of memory");
    }
    if (tdb_pread_all(r->fd_ev, r->comp.p, h->data_len,
                      h->offset + TDB_HDR_SIZE) < 0) {
        return frame_error(r, h, strerror(errno));
    }
    if (tdb_crc32(0, r->comp.p, h->data_len) != h->data_crc) {
        return frame_error(r, h, "checksum mismatch");
    }
    if (ZSTD_findFrameCompressedSize(r->comp.p, h->data_len) != h->data_len ||
        ZSTD_getFrameContentSize(r->comp.p, h->data_len) != h->raw_len) {
        return frame_error(r, h, "zstd frame does not match the header");
    }
    size_t n = ZSTD_decompressDCtx(r->dctx, r->raw.p, h->raw_len, r->comp.p,
                                   h->data_len);
    if (ZSTD_isError(n) || n != h->raw_len) {
        return frame_error(r, h, ZSTD_isError(n) ? ZSTD_getErrorName(n)
                                                 : "short zstd frame");
    }
    r->raw.len = n;
    char buf[256];
    const char *bad = validate_frame(r, h, buf, sizeof(buf));
    if (bad) {
        return frame_error(r, h, bad);
    }
    tdb_cursor_init(&r->cur, r->raw.p, r->raw.len);
    r->have_frame = true;
    r->pos = i + 1;
    return 0;
}

static void add_warning(TdbReader *r, const char *msg)
{
    size_t n = strlen(r->warning);
    snprintf(r->warning + n, sizeof(r->warning) - n, "%s%s", n ? "; " : "",
             msg);
}

/* Walks the headers of events.zst. */
static int walk_frames(TdbReader *r, uint64_t size, char *err, size_t errlen)
{
    uint64_t off = 0;
    for (;;) {
        TdbFrameHdr h;
        char why[160], msg[400];
        int rc = tdb_frame_hdr_read(r->fd_ev, off, size, &h, why, sizeof(why));
        const TdbFrameHdr *last = r->nframes ? &r->frames[r->nframes - 1] : NULL;
        if (rc == TDB_AT_RECORD && h.number != r->nframes) {
            snprintf(why, sizeof(why), "frame number %" PRIu64
                     " out of sequence", h.number);
            rc = TDB_AT_CORRUPT;
        } else if (rc == TDB_AT_RECORD && last &&
                   h.version != last->version) {
            snprintf(why, sizeof(why), "format version %u differs from the "
                     "previous frame's %u", h.version, last->version);
            rc = TDB_AT_CORRUPT;
        } else if (rc == TDB_AT_RECORD && last &&
                   h.first_icount < last->last_icount) {
            snprintf(why, sizeof(why), "icount %" PRIu64 " goes back before "
                     "the previous frame's", h.first_icount);
            rc = TDB_AT_CORRUPT;
        }
        if (rc != TDB_AT_EOF && last && (last->flags & TDB_FRAME_FINAL)) {
            /* END closes the trace: whatever follows was not written by
               the recorder. */
            snprintf(msg, sizeof(msg), "%s/" TDB_EVENTS_FILE ": %" PRIu64
                     " bytes after the END frame (frame %" PRIu64 ") at "
                     "offset %" PRIu64, r->dir, size - off, last->number, off);
            r->tail_error = strdup(msg);
            return 0;
        }
        switch (rc) {
        case TDB_AT_RECORD:
            if (r->nframes % 256 == 0) {
                TdbFrameHdr *f = realloc(r->frames, (r->nframes + 256) *
                                         sizeof(*f));
                if (!f) {
                    snprintf(err, errlen, "%s: out of memory", r->dir);
                    return -1;
                }
                r->frames = f;
            }
            r->frames[r->nframes++] = h;
            off += TDB_HDR_SIZE + (uint64_t)h.data_len;
            continue;
        case TDB_AT_EOF:
            return 0;
        case TDB_AT_TRUNCATED:
            if (last) {
                snprintf(msg, sizeof(msg), TDB_EVENTS_FILE ": truncated "
                         "after frame %" PRIu64 " (icount %" PRIu64 "): %"
                         PRIu64 " bytes of an incomplete frame at offset %"
                         PRIu64 " ignored", last->number, last->last_icount,
                         size - off, off);
            } else {
                snprintf(msg, sizeof(msg), TDB_EVENTS_FILE ": truncated "
                         "before frame 0");
            }
            add_warning(r, msg);
            return 0;
        case TDB_AT_CORRUPT:
            snprintf(msg, sizeof(msg), "%s/" TDB_EVENTS_FILE ": frame %zu "
                     "(after icount %" PRIu64 ") at offset %" PRIu64 ": %s",
                     r->dir, r->nframes, last ? last->last_icount : 0, off,
                     why);
            r->tail_error = strdup(msg);
            return 0;
        default:   /* newer format, I/O error: nothing can be trusted */
            snprintf(err, errlen, "%s/" TDB_EVENTS_FILE ": frame %zu at "
                     "offset %" PRIu64 ": %s", r->dir, r->nframes, off, why);
            return -1;
        }
    }
}

static int cmp_ckpt(const void *a, const void *b)
{
    const TdbCheckpoint *x = a, *y = b;
    if (x->icount != y->icount) {
        return x->icount < y->icount ? -1 : 1;
    }
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Lists the good records of checkpoints.zst; damage ends the list with a
   warning (the events stay replayable from the start). */
static int walk_checkpoints(TdbReader *r, char *err, size_t errlen)
{
    char *path = tdb_path(r->dir, TDB_CKPTS_FILE);
    uint64_t off = 0, size = 0;
    r->fd_ck = path ? tdb_open_regular(path, &size, err, errlen) : -1;
    free(path);
    if (r->fd_ck < 0) {
        if (errno == EINVAL) {
            return -1;   /* not a regular file: refused, never waited on */
        }
        /* Missing or unreadable: the events stay replayable from the
           start, and verify reports the damage. */
        char msg[160];
        snprintf(msg, sizeof(msg), TDB_CKPTS_FILE ": %s", strerror(errno));
        r->ck_damage = strdup(msg);
        err[0] = 0;
        return 0;
    }
    for (;;) {
        TdbCkptHdr h;
        char why[160], msg[400];
        int rc = tdb_ckpt_hdr_read(r->fd_ck, off, size, &h, why, sizeof(why));
        if (rc == TDB_AT_EOF) {
            break;
        }
        if (rc == TDB_AT_NEWER) {
            snprintf(err, errlen, "%s/" TDB_CKPTS_FILE ": offset %" PRIu64
                     ": %s", r->dir, off, why);
            return -1;
        }
        if (rc == TDB_AT_RECORD && h.number != r->nckpts) {
            snprintf(why, sizeof(why), "checkpoint number %" PRIu64
                     " out of sequence", h.number);
            rc = TDB_AT_CORRUPT;
        }
        if (rc != TDB_AT_RECORD) {
            snprintf(msg, sizeof(msg), TDB_CKPTS_FILE ": %s at offset %"
                     PRIu64 " after checkpoint %zu; later checkpoints ignored",
                     rc == TDB_AT_TRUNCATED ? "truncated record" : why, off,
                     r->nckpts);
            add_warning(r, msg);
            r->ck_damage = strdup(msg);
            break;
        }
        TdbCheckpoint *c = realloc(r->ckpts, (r->nckpts + 1) * sizeof(*c));
        if (!c) {
            snprintf(err, errlen, "%s: out of memory", r->dir);
            return -1;
        }
        r->ckpts = c;
        c[r->nckpts++] = (TdbCheckpoint){ h.icount, h.state_hash, off,
                                          TDB_HDR_SIZE + h.data_len };
        off += TDB_HDR_SIZE + h.data_len;
    }
    if (r->nckpts) {
        qsort(r->ckpts, r->nckpts, sizeof(*r->ckpts), cmp_ckpt);
    }
    return 0;
}

/* The metadata keys tracedb itself relies on: format_version must be the
   version of the frame headers, harts bounds every event's hart. */
static int check_meta(TdbReader *r)
{
    const char *v = tdb_meta_get(&r->meta, "format_version");
    uint64_t n;
    if (!v || !tdb_parse_u64(v, UINT32_MAX, &n) || n != r->frames[0].version) {
        char why[160];
        snprintf(why, sizeof(why), "META format_version=%.20s%s does not match "
                 "the frame headers' version %u", v ? v : "(missing)",
                 v && strlen(v) > 20 ? "..." : "", r->frames[0].version);
        return frame_error(r, &r->frames[0], why);
    }
    v = tdb_meta_get(&r->meta, "harts");
    if (v && (!tdb_parse_u64(v, TDB_MAX_HARTS, &n) || n == 0)) {
        char why[160];
        snprintf(why, sizeof(why), "META harts=%.20s is not a number from 1 "
                 "to %u", v, TDB_MAX_HARTS);
        return frame_error(r, &r->frames[0], why);
    }
    r->harts = v ? (uint32_t)n : 1;
    return 0;
}

static TdbReader *reader_open(const char *dir, bool use_index, char *err,
                              size_t errlen)
{
    TdbReader *r = calloc(1, sizeof(*r));
    if (r) {
        r->fd_ev = r->fd_ck = -1;
    }
    if (!r || !(r->dir = strdup(dir)) || !(r->dctx = ZSTD_createDCtx())) {
        snprintf(err, errlen, "%s: out of memory", dir);
        tdb_reader_close(r);
        return NULL;
    }
    char *path = tdb_path(dir, TDB_EVENTS_FILE);
    uint64_t size = 0;
    r->fd_ev = path ? tdb_open_regular(path, &size, err, errlen) : -1;
    if (r->fd_ev < 0) {
        if (!path) {
            snprintf(err, errlen, "%s: out of memory", dir);
        }
        free(path);
        tdb_reader_close(r);
        return NULL;
    }
    free(path);
    r->harts = 1;
    if (walk_frames(r, size, err, errlen) < 0 ||
        walk_checkpoints(r, err, errlen) < 0) {
        tdb_reader_close(r);
        return NULL;
    }
    if (r->nframes == 0) {
        if (r->tail_error) {
            snprintf(err, errlen, "%s", r->tail_error);
        } else {
            snprintf(err, errlen, "%s/" TDB_EVENTS_FILE ": no complete frame "
                     "(empty or truncated trace)", dir);
        }
        tdb_reader_close(r);
        return NULL;
    }
    TdbEvent ev;
    const char *why;
    if (load_frame(r, 0) < 0 || tdb_reader_next(r, &ev) < 0 ||
        tdb_meta_decode(&r->meta, ev.data, ev.len, &why) < 0) {
        if (r->err[0] == '\0') {
            frame_error(r, &r->frames[0], why);
        }
        snprintf(err, errlen, "%s", r->err);
        tdb_reader_close(r);
        return NULL;
    }
    if (check_meta(r) < 0) {
        snprintf(err, errlen, "%s", r->err);
        tdb_reader_close(r);
        return NULL;
    }
    tdb_reader_rewind(r);
    if (use_index) {
        /* SQLite would wait forever opening a FIFO put in their place. */
        static const char *const side[] = { TDB_INDEX_FILE,
            TDB_INDEX_FILE "-wal", TDB_INDEX_FILE "-shm" };
        for (size_t i = 0; i < sizeof(side) / sizeof(side[0]); i++) {
            char *p = tdb_path(dir, side[i]);
            int bad = p ? tdb_check_regular(p, err, errlen) < 0 : 0;
            free(p);
            if (bad) {
                tdb_reader_close(r);
                return NULL;
            }
        }
        char *ipath = tdb_path(dir, TDB_INDEX_FILE);
        r->db = ipath ? tdb_index_open_ro(ipath, &r->istate, r->nframes) : NULL;
        free(ipath);
    }
    return r;
}

TdbReader *tdb_reader_open(const char *dir, char *err, size_t errlen)
{
    return reader_open(dir, true, err, errlen);
}

TdbReader *tdb_reader_open_noindex(const char *dir, char *err, size_t errlen)
{
    return reader_open(dir, false, err, errlen);
}

int tdb_reader_next(TdbReader *r, TdbEvent *ev)
{
    for (;;) {
        if (r->have_frame) {
            const char *why;
            if (tdb_cursor_next(&r->cur, ev, &why) > 0) {
                return 1;
            }
            r->have_frame = false;   /* validated: the only other result is 0 */
        }
        if (r->pos == r->nframes) {
            if (r->tail_error) {
                snprintf(r->err, sizeof(r->err), "%s", r->tail_error);
                return -1;
            }
            return 0;
        }
        if (load_frame(r, r->pos) < 0) {
            return -1;
        }
    }
}

int tdb_reader_next_frame(TdbReader *r, TdbFrameInfo *f, const uint8_t **raw,
                          size_t *len)
{
    if (r->pos == r->nframes) {
        if (r->tail_error) {
            snprintf(r->err, sizeof(r->err), "%s", r->tail_error);
            return -1;
        }
        return 0;
    }
    if (load_frame(r, r->pos) < 0) {
        return -1;
    }
    const TdbFrameHdr *h = &r->frames[r->pos - 1];
    *f = (TdbFrameInfo){ h->number, h->offset, TDB_HDR_SIZE + h->data_len,
                         h->first_icount, h->last_icount, h->n_events };
    *raw = r->raw.p;
    *len = r->raw.len;
    r->have_frame = false;
    return 1;
}

int tdb_reader_rewind(TdbReader *r)
{
    r->pos = 0;
    r->have_frame = false;
    r->err[0] = '\0';
    return 0;
}

int tdb_reader_seek(TdbReader *r, uint64_t icount)
{
    size_t lo = 0, hi = r->nframes;   /* first frame with last >= icount */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->frames[mid].last_icount < icount) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    tdb_reader_rewind(r);
    r->pos = lo;
    if (lo == r->nframes) {
        return 0;
    }
    if (load_frame(r, lo) < 0) {
        return -1;
    }
    for (;;) {
        TdbCursor peek = r->cur;
        TdbEvent ev;
        const char *why;
        if (tdb_cursor_next(&peek, &ev, &why) <= 0 || ev.icount >= icount) {
            return 0;
        }
        r->cur = peek;
    }
}

const char *tdb_reader_meta(TdbReader *r, const char *key)
{
    return tdb_meta_get(&r->meta, key);
}

size_t tdb_reader_inputs(TdbReader *r, const TdbInput **inputs)
{
    *inputs = r->meta.in;
    return r->meta.nin;
}

bool tdb_reader_complete(TdbReader *r)
{
    return r->frames[r->nframes - 1].flags & TDB_FRAME_FINAL;
}

uint64_t tdb_reader_last_icount(TdbReader *r)
{
    return r->frames[r->nframes - 1].last_icount;
}

uint64_t tdb_reader_frames(TdbReader *r)
{
    return r->nframes;
}

size_t tdb_reader_checkpoints(TdbReader *r, const TdbCheckpoint **list)
{
    *list = r->ckpts;
    return r->nckpts;
}

int tdb_reader_load_checkpoint(TdbReader *r, size_t i, void **blob, size_t *len)
{
    *blob = NULL;
    *len = 0;
    if (i >= r->nckpts) {
        snprintf(r->err, sizeof(r->err), "%s: no checkpoint %zu", r->dir, i);
        return -1;
    }
    const TdbCheckpoint *c = &r->ckpts[i];
    struct stat st;
    TdbCkptHdr h;
    char why[160] = "truncated";
    uint8_t *comp = NULL, *out = NULL;
    size_t n = 0;
    if (fstat(r->fd_ck, &st) != 0 ||
        tdb_ckpt_hdr_read(r->fd_ck, c->offset, (uint64_t)st.st_size, &h, why,
                          sizeof(why)) != TDB_AT_RECORD) {
        goto fail;
    }
    snprintf(why, sizeof(why), "out of memory");
    if (h.data_len > SIZE_MAX || h.raw_len > SIZE_MAX ||
        !(comp = malloc(h.data_len ? h.data_len : 1)) ||
        !(out = malloc(h.raw_len ? h.raw_len : 1))) {
        goto fail;
    }
    if (tdb_pread_all(r->fd_ck, comp, h.data_len, c->offset + TDB_HDR_SIZE) < 0) {
        snprintf(why, sizeof(why), "%s", strerror(errno));
        goto fail;
    }
    if (tdb_crc32(0, comp, h.data_len) != h.data_crc) {
        snprintf(why, sizeof(why), "checksum mismatch");
        goto fail;
    }
    n = ZSTD_decompressDCtx(r->dctx, out, h.raw_len, comp, h.data_len);
    if (ZSTD_isError(n) || n != h.raw_len) {
        snprintf(why, sizeof(why), "%s", ZSTD_isError(n) ? ZSTD_getErrorName(n)
                                                         : "short zstd frame");
        goto fail;
    }
    free(comp);
    *blob = out;
    *len = n;
    return 0;
fail:
    free(comp);
    free(out);
    snprintf(r->err, sizeof(r->err), "%s/" TDB_CKPTS_FILE ": checkpoint at "
             "icount %" PRIu64 " (offset %" PRIu64 "): %s", r->dir, c->icount,
             c->offset, why);
    return -1;
}

const char *tdb_reader_checkpoint_damage(TdbReader *r)
{
    return r->ck_damage;
}

const char *tdb_reader_error(TdbReader *r)
{
    return r->err;
}

const char *tdb_reader_warning(TdbReader *r)
{
    return r->warning[0] ? r->warning : NULL;
}

TdbIndexState tdb_reader_index_state(TdbReader *r)
{
    return r->istate;
}

struct sqlite3 *tdb_reader_db(TdbReader *r)
{
    return r->db;
}

const char *tdb_index_state_name(TdbIndexState s)
{
    switch (s) {
    case TDB_INDEX_OK:
        return "ok";
    case TDB_INDEX_MISSING:
        return "missing";
    case TDB_INDEX_STALE:
        return "stale";
    case TDB_INDEX_UNUSABLE:
        return "unusable";
    }
    return "?";
}

void tdb_reader_close(TdbReader *r)
{
    if (!r) {
        return;
    }
    if (r->fd_ev >= 0) {
        close(r->fd_ev);
    }
    if (r->fd_ck >= 0) {
        close(r->fd_ck);
    }
    sqlite3_close(r->db);
    ZSTD_freeDCtx(r->dctx);
    tdb_buf_free(&r->comp);
    tdb_buf_free(&r->raw);
    tdb_meta_free(&r->meta);
    free(r->frames);
    free(r->ckpts);
    free(r->tail_error);
    free(r->ck_damage);
    free(r->dir);
    free(r);
}
