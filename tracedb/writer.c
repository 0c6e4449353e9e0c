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
 * Compressing and writing happen on a worker thread (tracedb/wqueue.h):
 * the caller's thread encodes events and hands each ended frame, and each
 * checkpoint blob with the frame its CHECKPOINT event ends, over as a job
 * that owns its bytes; the worker never sees anything else. Jobs run in
 * order, each as the single-threaded writer ran it, so the files are byte
 * for byte the same (REWIND_TRACE_WRITER=sync runs them inline, which the
 * tests compare), and a killed recorder leaves a prefix of them. Only the
 * worker writes the files and the frame rows; derived rows come from the
 * caller's thread under idx_mu. Errors of the worker reach the caller at
 * its next call.
 *
 * The frame sequence starts with a frame holding only META, written by
 * tdb_writer_create(), so metadata is on disk before the first input.
 */
#include "tracedb/tracedb_int.h"
#include "tracedb/wqueue.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#ifndef REWIND_VERSION
#define REWIND_VERSION "unknown"
#endif

#define ZSTD_LEVEL 1
#define OUT_KEEP_MAX (64u << 20)   /* larger output buffers are not kept */
/* Bytes of frames and snapshots handed to the worker and not yet written;
   beyond this the recorder waits (a burst of large increments must not
   pile up in memory). An increment of a Linux boot reaches 20 MiB. */
#define QUEUE_MAX ((size_t)256 << 20)
/* A streamed snapshot (tdb_writer_stream_*) goes through at most
   PIECES_MAX buffers of PIECE_BYTES, mapped as first needed and kept:
   the recorder fills them while the worker compresses the ones given
   before, and waits only when all are queued. It fills a piece about
   four times faster than zstd empties one, so with two pieces it waited
   for most of every increment larger than 4 MiB (a Linux boot: 20-30 ms
   of its 45-50 ms in checkpoints); with eight, only past 16 MiB, which a
   Linux boot reaches once (21 MiB, most of it compressed while the
   machine runs on). The 16 MiB cost their first touch once per
   recording, about what that one wait cost; held whole, the largest
   increment would have cost more. */
#define PIECE_BYTES ((size_t)2 << 20)
#define PIECES_MAX 8

/* One frame to write, with the checkpoint its CHECKPOINT event announces
   (ckpt): the worker writes the checkpoint record, adds the event (it
   needs the record's offset and length) and writes the frame. */
typedef struct Job {
    TdbQItem q;                 /* first: the queue's link */
    TdbBuf raw;                 /* encoded events of the frame */
    uint64_t number, first_icount, last_icount;
    uint32_t n;
    bool final;
    bool ckpt;
    uint64_t ck_icount, ck_hash;
    uint8_t *blob;              /* the snapshot, owned by the job */
    size_t blob_len, blob_cap;
    bool streamed;              /* or: its bytes came as piece jobs */
    uint8_t *piece;             /* or: a piece of a streamed snapshot */
    size_t piece_len;
    bool stream_first;          /* the piece starts it, stream_total long */
    uint64_t stream_total;
    struct TdbDerived *derived; /* or: a batch of derived rows, no frame */
} Job;

/* What only the worker touches (the caller's thread before the worker
   starts and after tdb_queue_wait). */
typedef struct WriterIO {
    int fd_ev, fd_ck;
    uint64_t ev_bytes, ck_bytes;
    uint64_t ckpt_no;
    TdbBuf out;                 /* header + compressed data (on huge
                                   pages: map_out) */
    uint64_t stream_total;      /* the streamed snapshot's raw size */
    uint64_t stream_got;        /* and how much of it came so far */
    ZSTD_CCtx *cctx;
    long kill_ckpt;             /* test hook, see io_kill_point */
    char err[512];
    atomic_bool failed;         /* set after err is written */
} WriterIO;

struct TdbWriter {
    char *dir;
    uint64_t frame_no;         /* number of the next frame handed over */
    TdbBuf raw;                /* encoded events of the current frame */
    uint32_t n;
    uint64_t first_icount, last_icount;
    uint64_t prev_icount;      /* of the last event appended, any frame */
    uint64_t guest_ns;         /* guest time at the end (END payload) */
    bool final;                /* the current frame holds END */
    bool shut_down;            /* SHUTDOWN written: only END may follow */
    uint32_t harts;            /* from meta `harts` (1 when absent) */
    bool failed, ended;
    char err[512];
    TdbQueue *queue;
    Job *spare_jobs;           /* finished jobs, linked by q.next */
    struct TdbDerived *spare_rows;   /* a written batch, for its arrays */
    uint8_t *spare_piece[PIECES_MAX];   /* pieces of streamed snapshots */
    unsigned nspare_pieces, npieces;    /* kept; mapped in all */
    bool stream_first;                  /* no piece given since begin */
    uint64_t stream_total;
    WriterIO io;
    pthread_mutex_t idx_mu;    /* the index: worker's frames, caller's rows */
    TdbIndex *idx;
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

/* The worker's failure; jobs after it are dropped, and the caller sees it
   at its next call (io_check). */
static int iofail(TdbWriter *w, const char *fmt, ...)
{
    if (atomic_load(&w->io.failed)) {
        return -1;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->io.err, sizeof(w->io.err), fmt, ap);
    va_end(ap);
    atomic_store(&w->io.failed, true);
    return -1;
}

/* Caller's thread: takes over a failure of the worker. */
static bool io_check(TdbWriter *w)
{
    if (!w->failed && atomic_load(&w->io.failed)) {
        memcpy(w->err, w->io.err, sizeof(w->err));
        w->failed = true;
    }
    return w->failed;
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
            return iofail(w, "%s/%s: write: %s (and cannot cut back the "
                          "partial record)", w->dir, name, strerror(e));
        }
        return iofail(w, "%s/%s: write: %s", w->dir, name, strerror(e));
    }
    *off += len;
    return 0;
}

#define OUT_HUGE ((size_t)2 << 20)   /* a transparent huge page */

/* A mapping of cap bytes (a multiple of OUT_HUGE) marked for huge pages,
   or NULL. Not malloc: meson's MALLOC_PERTURB_ would write all of it. */
static uint8_t *map_out(size_t cap)
{
    void *p = mmap(NULL, cap, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        return NULL;
    }
#ifdef MADV_HUGEPAGE
    (void)madvise(p, cap, MADV_HUGEPAGE);   /* a hint: no THP, no harm */
#endif
    return p;
}

static void free_out(WriterIO *io)
{
    if (io->out.p) {
        munmap(io->out.p, io->out.cap);
    }
    io->out = (TdbBuf){ 0 };
}

/* io.out empty, with room for a TDB_HDR_SIZE gap and `bound` compressed
   bytes (of `len` raw ones: the message if memory runs out). */
static bool out_room(TdbWriter *w, size_t bound, uint64_t len)
{
    WriterIO *io = &w->io;
    if (io->out.cap < TDB_HDR_SIZE + bound) {
        /* A new mapping, not a larger copy: the old bytes are not needed.
           It is on huge pages (as the snapshot buffers are, see
           docs/architecture.md "Host memory"), where zstd's output takes
           a page fault per 2 MiB instead of per 4 KiB: a Linux boot's
           recording took 2000 of them in 4 KiB pages, which cost the
           writer's thread about as much as its write()s. Only the
           compressed size is ever touched. */
        free_out(io);
        size_t cap = (TDB_HDR_SIZE + bound + OUT_HUGE - 1) / OUT_HUGE *
                     OUT_HUGE;
        io->out.p = map_out(cap);
        if (!io->out.p) {
            iofail(w, "%s: out of memory compressing %" PRIu64 " bytes",
                   w->dir, len);
            return false;
        }
        io->out.cap = cap;
    }
    io->out.len = 0;
    return true;
}

/* Compresses src into io.out after a TDB_HDR_SIZE gap; returns the
   compressed size or 0 on failure. */
static size_t compress_into_out(TdbWriter *w, const void *src, size_t len)
{
    WriterIO *io = &w->io;
    size_t bound = ZSTD_compressBound(len);
    if (!out_room(w, bound, len)) {
        return 0;
    }
    size_t n = ZSTD_compress2(io->cctx, io->out.p + TDB_HDR_SIZE, bound, src,
                              len);
    if (ZSTD_isError(n)) {
        iofail(w, "%s: zstd: %s", w->dir, ZSTD_getErrorName(n));
        return 0;
    }
    io->out.len = TDB_HDR_SIZE + n;
    return n;
}

/* The room the frames of a streamed snapshot of `total` bytes take at
   most: one frame per piece, each within zstd's bound for its size. */
static size_t stream_bound(uint64_t total)
{
    size_t pieces = (size_t)(total / PIECE_BYTES);
    size_t last = (size_t)(total % PIECE_BYTES);
    return pieces * ZSTD_compressBound(PIECE_BYTES) +
           (last ? ZSTD_compressBound(last) : 0);
}

/* Worker: a piece of a streamed snapshot into io.out, as a zstd frame of
   its own after the ones before (the first piece leaves a TDB_HDR_SIZE
   gap). One frame per piece, not one per snapshot: compressed whole from
   the piece, zstd copies nothing into a window of its own (a stream did:
   7 ms of a Linux boot's recording), and the recorder waiting for a
   piece waits that much less. A reader decompresses the frames of a
   record as one (ZSTD_decompressDCtx takes consecutive frames). */
static int io_piece(TdbWriter *w, Job *j)
{
    WriterIO *io = &w->io;
    if (j->stream_first) {
        if (!out_room(w, stream_bound(j->stream_total), j->stream_total)) {
            return -1;
        }
        io->out.len = TDB_HDR_SIZE;
        io->stream_total = j->stream_total;
        io->stream_got = 0;
    }
    if (j->piece_len > PIECE_BYTES ||
        io->stream_got + j->piece_len > io->stream_total) {
        return iofail(w, "%s: a checkpoint's pieces exceed its announced "
                      "size", w->dir);
    }
    size_t n = ZSTD_compress2(io->cctx, io->out.p + io->out.len,
                              io->out.cap - io->out.len, j->piece,
                              j->piece_len);
    if (ZSTD_isError(n)) {
        return iofail(w, "%s: zstd: %s", w->dir, ZSTD_getErrorName(n));
    }
    io->out.len += n;
    io->stream_got += j->piece_len;
    return 0;
}

/* Worker: the streamed snapshot's compressed size, or 0 when its pieces
   did not add up to the announced size. */
static size_t io_stream_end(TdbWriter *w)
{
    WriterIO *io = &w->io;
    if (io->stream_got != io->stream_total) {
        iofail(w, "%s: a checkpoint's pieces add up to %" PRIu64 " bytes, "
               "not the %" PRIu64 " announced", w->dir, io->stream_got,
               io->stream_total);
        return 0;
    }
    return io->out.len - TDB_HDR_SIZE;
}

static void trim_out(TdbWriter *w)
{
    if (w->io.out.cap > OUT_KEEP_MAX) {
        free_out(&w->io);
    }
}

/* Test hook (REWIND_TEST_WRITER_KILL=N): the process kills itself with
   SIGKILL when checkpoint N's record is in checkpoints.zst and the frame
   of its CHECKPOINT event is about to be written: a recorder killed
   mid-checkpoint, in the window where the index must not name it yet. */
static void io_kill_point(TdbWriter *w, uint64_t ckpt)
{
    if (w->io.kill_ckpt >= 0 && ckpt == (uint64_t)w->io.kill_ckpt) {
        raise(SIGKILL);
    }
}

/* Worker: the checkpoint record of job j, then its CHECKPOINT event at
   the end of j's frame. */
static int io_checkpoint(TdbWriter *w, Job *j)
{
    WriterIO *io = &w->io;
    size_t csize = j->streamed ? io_stream_end(w)
                               : compress_into_out(w, j->blob, j->blob_len);
    if (csize == 0) {
        return -1;
    }
    TdbCkptHdr h = {
        .version = TDB_FORMAT_VERSION, .number = io->ckpt_no,
        .icount = j->ck_icount, .state_hash = j->ck_hash,
        .raw_len = j->streamed ? io->stream_total : j->blob_len,
        .data_len = csize,
        .data_crc = tdb_crc32(0, io->out.p + TDB_HDR_SIZE, csize),
    };
    tdb_ckpt_hdr_encode(io->out.p, &h);
    uint64_t offset = io->ck_bytes;
    int rc = append_record(w, io->fd_ck, &io->ck_bytes, TDB_CKPTS_FILE,
                           io->out.p, io->out.len);
    trim_out(w);
    if (rc < 0) {
        return -1;
    }
    io->ckpt_no++;
    uint8_t payload[TDB_EV_CHECKPOINT_LEN];
    TdbEvCheckpoint ck = { j->ck_icount, j->ck_hash, offset,
                           io->ck_bytes - offset };
    TdbEvent ev = { .icount = j->ck_icount };
    tdb_ev_checkpoint_encode(&ck, payload, sizeof(payload), &ev);
    if (tdb_event_encode(&j->raw, &ev, j->n ? &j->last_icount : NULL) < 0) {
        return iofail(w, "%s: out of memory", w->dir);
    }
    if (j->n == 0) {
        j->first_icount = ev.icount;
    }
    j->n++;
    j->last_icount = ev.icount;
    return 0;
}

/* Worker: job j's frame into events.zst. */
static int io_write_frame(TdbWriter *w, Job *j)
{
    WriterIO *io = &w->io;
    if (j->ckpt) {
        io_kill_point(w, io->ckpt_no - 1);
    }
    return append_record(w, io->fd_ev, &io->ev_bytes, TDB_EVENTS_FILE,
                         io->out.p, io->out.len);
}

/* Worker: job j's index rows, in one transaction. */
static int io_index_frame(TdbWriter *w, Job *j, const TdbFrameInfo *info)
{
    pthread_mutex_lock(&w->idx_mu);
    int rc = tdb_index_frame(w->idx, info, j->raw.p, j->raw.len);
    pthread_mutex_unlock(&w->idx_mu);
    if (rc < 0) {
        return iofail(w, "%s/%s", w->dir, tdb_index_error(w->idx));
    }
    return 0;
}

/* Worker: writes job j's frame, then its index rows. */
static int io_frame(TdbWriter *w, Job *j)
{
    WriterIO *io = &w->io;
    size_t csize = compress_into_out(w, j->raw.p, j->raw.len);
    if (csize == 0) {
        return -1;
    }
    TdbFrameHdr h = {
        .version = TDB_FORMAT_VERSION, .number = j->number,
        .first_icount = j->first_icount, .last_icount = j->last_icount,
        .n_events = j->n, .flags = j->final ? TDB_FRAME_FINAL : 0,
        .data_len = (uint32_t)csize, .raw_len = (uint32_t)j->raw.len,
        .data_crc = tdb_crc32(0, io->out.p + TDB_HDR_SIZE, csize),
    };
    tdb_frame_hdr_encode(io->out.p, &h);
    TdbFrameInfo info = {
        .number = j->number, .offset = io->ev_bytes, .length = io->out.len,
        .first_icount = j->first_icount, .last_icount = j->last_icount,
        .n_events = j->n,
    };
    /* The index may lag the files, never lead them: a reader (or a seek)
       must not find a checkpoint or frame that is not in the file. */
    if (io_write_frame(w, j) < 0 || io_index_frame(w, j, &info) < 0) {
        return -1;
    }
    return 0;
}

/* The worker's job (tracedb/wqueue.h): as the single-threaded writer did
   it at a flush or a checkpoint. */
static void io_run(TdbQItem *it, void *ctx)
{
    TdbWriter *w = ctx;
    Job *j = (Job *)it;
    if (atomic_load(&w->io.failed)) {
        return;
    }
    if (j->derived) {
        char why[400];
        pthread_mutex_lock(&w->idx_mu);
        int rc = tdb_derived_write_batch(j->derived, w->idx, why,
                                         sizeof(why));
        pthread_mutex_unlock(&w->idx_mu);
        if (rc < 0) {
            iofail(w, "%s/%s", w->dir, why);
        }
        return;
    }
    if (j->piece) {
        io_piece(w, j);
        return;
    }
    if (j->ckpt && io_checkpoint(w, j) < 0) {
        return;
    }
    if (io_frame(w, j) < 0) {
        return;
    }
    if (j->ckpt && (fdatasync(w->io.fd_ck) != 0 ||
                    fdatasync(w->io.fd_ev) != 0)) {
        iofail(w, "%s: fdatasync: %s", w->dir, strerror(errno));
    }
}

/* Caller's thread: takes back the jobs the worker finished, keeping their
   buffers for the next ones. */
static void reap(TdbWriter *w)
{
    TdbQItem *it;
    while ((it = tdb_queue_done(w->queue))) {
        Job *j = (Job *)it;
        if (j->derived && !w->spare_rows) {
            w->spare_rows = j->derived;
        } else {
            tdb_derived_free(j->derived);
        }
        j->derived = NULL;
        if (j->piece) {
            w->spare_piece[w->nspare_pieces++] = j->piece;
            j->piece = NULL;
        }
        free(j->blob);
        j->blob = NULL;
        j->q.next = (TdbQItem *)w->spare_jobs;   /* q is the first member */
        w->spare_jobs = j;
    }
}

static Job *new_job(TdbWriter *w)
{
    reap(w);
    Job *j = w->spare_jobs;
    if (j) {
        w->spare_jobs = (Job *)j->q.next;
        TdbBuf raw = j->raw;
        *j = (Job){ .raw = raw };
        j->raw.len = 0;
    } else {
        j = calloc(1, sizeof(*j));
    }
    return j;
}

static void free_jobs(TdbWriter *w)
{
    while (w->spare_jobs) {
        Job *j = w->spare_jobs;
        w->spare_jobs = (Job *)j->q.next;
        tdb_buf_free(&j->raw);
        free(j);
    }
    while (w->nspare_pieces) {
        munmap(w->spare_piece[--w->nspare_pieces], PIECE_BYTES);
    }
}

/* Hands the current frame over as job j (which may carry a checkpoint);
   the writer starts a new frame with j's old buffer. */
static int hand_over(TdbWriter *w, Job *j)
{
    TdbBuf spare = j->raw;
    j->raw = w->raw;
    w->raw = spare;
    w->raw.len = 0;
    j->number = w->frame_no++;
    j->first_icount = w->first_icount;
    j->last_icount = w->last_icount;
    j->n = w->n;
    j->final = w->final;
    j->q.bytes = j->raw.cap + j->blob_cap + sizeof(*j);
    w->n = 0;
    w->final = false;
    tdb_queue_push(w->queue, &j->q);
    return io_check(w) ? -1 : 0;
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
    if (io_check(w)) {
        return -1;
    }
    if (w->n == 0) {
        return 0;
    }
    Job *j = new_job(w);
    if (!j) {
        return wfail(w, "%s: out of memory", w->dir);
    }
    return hand_over(w, j);
}

int tdb_writer_wait(TdbWriter *w)
{
    tdb_queue_wait(w->queue);
    reap(w);
    return io_check(w) ? -1 : 0;
}

int tdb_writer_append(TdbWriter *w, const TdbEvent *ev)
{
    if (io_check(w)) {
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

struct TdbDerived *tdb_writer_spare_rows(TdbWriter *w)
{
    reap(w);
    struct TdbDerived *d = w->spare_rows;
    w->spare_rows = NULL;
    return d;
}

int tdb_writer_push_derived(TdbWriter *w, struct TdbDerived *batch)
{
    Job *j = io_check(w) ? NULL : new_job(w);
    if (!j) {
        tdb_derived_free(batch);
        return w->failed ? -1 : wfail(w, "%s: out of memory", w->dir);
    }
    j->derived = batch;
    j->q.bytes = sizeof(*j) + 4096;   /* rows of 100 ms: small */
    tdb_queue_push(w->queue, &j->q);
    return io_check(w) ? -1 : 0;
}

/* Hands the current frame over with a checkpoint at icount (its blob,
   or the pieces streamed before): the worker writes its record and ends
   the frame with its CHECKPOINT event. Takes blob, also on failure. */
static int give_checkpoint(TdbWriter *w, uint64_t icount, uint64_t state_hash,
                           bool streamed, void *blob, size_t len, size_t cap)
{
    if (io_check(w)) {
        free(blob);
        return -1;
    }
    bool empty = streamed && w->stream_first;
    if (w->ended || w->shut_down || icount < w->prev_icount || empty) {
        free(blob);
        return wfail(w, "%s: checkpoint at icount %llu is %s", w->dir,
                     (unsigned long long)icount,
                     w->ended ? "after the END event"
                     : w->shut_down ? "after SHUTDOWN"
                     : empty ? "empty" : "before the previous event");
    }
    Job *j = new_job(w);
    if (!j) {
        free(blob);
        return wfail(w, "%s: out of memory", w->dir);
    }
    j->ckpt = true;
    j->streamed = streamed;
    j->ck_icount = icount;
    j->ck_hash = state_hash;
    j->blob = blob;
    j->blob_len = len;
    j->blob_cap = cap;
    w->prev_icount = icount;
    return hand_over(w, j);
}

int tdb_writer_checkpoint_give(TdbWriter *w, uint64_t icount,
                               uint64_t state_hash, void *blob, size_t len,
                               size_t cap)
{
    return give_checkpoint(w, icount, state_hash, false, blob, len, cap);
}

int tdb_writer_stream_begin(TdbWriter *w, uint64_t total)
{
    if (io_check(w)) {
        return -1;
    }
    w->stream_first = true;
    w->stream_total = total;
    return 0;
}

void *tdb_writer_stream_piece(TdbWriter *w, size_t *cap)
{
    *cap = 0;
    for (;;) {
        reap(w);
        if (io_check(w)) {
            return NULL;
        }
        if (w->nspare_pieces) {
            *cap = PIECE_BYTES;
            return w->spare_piece[--w->nspare_pieces];
        }
        if (w->npieces < PIECES_MAX) {
            uint8_t *p = map_out(PIECE_BYTES);
            if (!p) {
                wfail(w, "%s: out of memory for a checkpoint", w->dir);
                return NULL;
            }
            w->npieces++;
            *cap = PIECE_BYTES;
            return p;
        }
        if (!tdb_queue_wait_done(w->queue)) {   /* the worker frees one */
            wfail(w, "%s: every checkpoint piece is held (a program error)",
                  w->dir);
            return NULL;
        }
    }
}

int tdb_writer_stream_give(TdbWriter *w, void *piece, size_t len)
{
    if (!piece) {   /* none was to be had: the writer failed */
        return len ? -1 : 0;
    }
    Job *j = len && !io_check(w) ? new_job(w) : NULL;
    if (!j) {
        w->spare_piece[w->nspare_pieces++] = piece;   /* back, unused */
        return len == 0 ? 0 : w->failed ? -1
                            : wfail(w, "%s: out of memory", w->dir);
    }
    j->piece = piece;
    j->piece_len = len;
    j->stream_first = w->stream_first;
    j->stream_total = w->stream_total;
    w->stream_first = false;
    j->q.bytes = sizeof(*j) + PIECE_BYTES;
    tdb_queue_push(w->queue, &j->q);
    return io_check(w) ? -1 : 0;
}

int tdb_writer_stream_end(TdbWriter *w, uint64_t icount, uint64_t state_hash)
{
    return give_checkpoint(w, icount, state_hash, true, NULL, 0, 0);
}

int tdb_writer_checkpoint(TdbWriter *w, uint64_t icount, uint64_t state_hash,
                          const void *blob, size_t len)
{
    void *copy = malloc(len ? len : 1);
    if (!copy) {
        return wfail(w, "%s: out of memory copying a checkpoint of %zu "
                     "bytes", w->dir, len);
    }
    memcpy(copy, blob, len);
    return tdb_writer_checkpoint_give(w, icount, state_hash, copy, len,
                                      len ? len : 1);
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
    if (w->ended || io_check(w)) {
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
    if (add_event(w, &ev) < 0 || tdb_writer_flush(w) < 0 ||
        tdb_writer_wait(w) < 0) {
        return -1;
    }
    if (tdb_index_finish(w->idx) < 0) {
        return wfail(w, "%s/%s", w->dir, tdb_index_error(w->idx));
    }
    pthread_mutex_lock(&w->idx_mu);
    tdb_index_close(w->idx);
    w->idx = NULL;
    pthread_mutex_unlock(&w->idx_mu);
    if (fdatasync(w->io.fd_ev) != 0 || fdatasync(w->io.fd_ck) != 0) {
        return wfail(w, "%s: fdatasync: %s", w->dir, strerror(errno));
    }
    sync_dir(w->dir);
    return 0;
}

/* Joins the worker (after the jobs already handed over) and frees w. */
static void writer_free(TdbWriter *w)
{
    if (w->queue) {
        tdb_queue_wait(w->queue);
        reap(w);
        tdb_queue_free(w->queue);
    }
    free_jobs(w);
    tdb_derived_free(w->spare_rows);
    tdb_index_close(w->idx);
    if (w->io.fd_ev >= 0) {
        close(w->io.fd_ev);
    }
    if (w->io.fd_ck >= 0) {
        close(w->io.fd_ck);
    }
    ZSTD_freeCCtx(w->io.cctx);
    tdb_buf_free(&w->raw);
    free_out(&w->io);
    pthread_mutex_destroy(&w->idx_mu);
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
       recover from the flushed CONSOLE events. The frames already handed
       over are written. */
    if (w->queue) {
        tdb_writer_wait(w);
    }
    if (w->idx && !io_check(w)) {
        tdb_index_finish(w->idx);
    }
    writer_free(w);
}

TdbIndex *tdb_writer_index_lock(TdbWriter *w)
{
    if (io_check(w) || !w->idx) {
        return NULL;
    }
    pthread_mutex_lock(&w->idx_mu);
    return w->idx;
}

void tdb_writer_index_unlock(TdbWriter *w)
{
    pthread_mutex_unlock(&w->idx_mu);
}

const char *tdb_writer_error(TdbWriter *w)
{
    io_check(w);
    return w->err;
}

uint64_t tdb_writer_bytes(TdbWriter *w)
{
    tdb_writer_wait(w);
    return w->io.ev_bytes + w->io.ck_bytes;
}

uint64_t tdb_writer_worker_cpu_ns(TdbWriter *w)
{
    return w->queue ? tdb_queue_worker_cpu_ns(w->queue) : 0;
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
    w->io.fd_ev = w->io.fd_ck = -1;
    w->io.kill_ckpt = -1;
    pthread_mutex_init(&w->idx_mu, NULL);
    w->harts = (uint32_t)harts;
    char *ipath = tdb_path(dir, TDB_INDEX_FILE);
    if ((w->io.fd_ev = open_new(w, TDB_EVENTS_FILE, err, errlen)) < 0 ||
        (w->io.fd_ck = open_new(w, TDB_CKPTS_FILE, err, errlen)) < 0 ||
        !ipath || !(w->idx = tdb_index_create(ipath, false, err, errlen))) {
        free(ipath);
        writer_free(w);
        remove_partial(dir, created);
        return NULL;
    }
    free(ipath);
    w->io.cctx = ZSTD_createCCtx();
    if (!w->io.cctx ||
        ZSTD_isError(ZSTD_CCtx_setParameter(w->io.cctx,
                                            ZSTD_c_compressionLevel,
                                            ZSTD_LEVEL)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(w->io.cctx, ZSTD_c_checksumFlag,
                                            1))) {
        wfail(w, "%s: cannot set up zstd", dir);
    }
    /* REWIND_TRACE_WRITER=sync: no worker thread, the jobs run inline
       (the same bytes; the tests compare the two). */
    const char *mode = getenv("REWIND_TRACE_WRITER");
    const char *kill_at = getenv("REWIND_TEST_WRITER_KILL");
    if (kill_at && *kill_at) {
        w->io.kill_ckpt = strtol(kill_at, NULL, 10);
    }
    if (!w->failed) {
        bool threaded = !(mode && strcmp(mode, "sync") == 0);
        w->queue = tdb_queue_new(QUEUE_MAX, threaded, io_run, w);
        if (!w->queue) {
            wfail(w, "%s: cannot start the trace writer's thread", dir);
        }
    }
    if (w->failed || write_meta(w, meta, nmeta, inputs, ninputs) < 0 ||
        tdb_writer_wait(w) < 0) {
        snprintf(err, errlen, "%s", w->err);
        writer_free(w);
        remove_partial(dir, created);
        return NULL;
    }
    return w;
}
