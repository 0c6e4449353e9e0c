/*
 * tracedb: the trace on disk. A trace is a directory (`boot.rwd/`) holding
 *   events.zst       every nondeterministic input plus a few annotations, as
 *                    independent, checksummed zstd frames of whole events;
 *   checkpoints.zst  opaque state snapshots handed over by replay/, framed
 *                    the same way;
 *   index.sqlite     a query index (SQLite, WAL), rebuilt from the two files
 *                    above by tdb_reindex().
 * The byte format, the schema and the versioning rules are described in
 * docs/trace-format.md. This module depends on zstd and sqlite3 only.
 *
 * Recording (replay/ owns the writer):
 *
 *     TdbKV meta[] = { { "argv", argv_json }, { "icount_shift", "3" } };
 *     TdbInput in[] = { { "kernel", "/srv/Image", 22454784, "c0ffee..." } };
 *     TdbWriter *w = tdb_writer_create("boot.rwd", meta, 2, in, 1,
 *                                      err, sizeof(err));
 *     TdbEvent ev = { TDB_EV_SERIAL_RX, 0, icount, n, port_and_bytes };
 *     tdb_writer_append(w, &ev);        // inputs, in icount order
 *     tdb_writer_flush(w);              // every 100 ms of host time
 *     tdb_writer_checkpoint(w, icount, state_hash, blob, blob_len);
 *     tdb_writer_close(w, final_icount, final_state_hash);
 *
 * Replaying:
 *
 *     TdbReader *r = tdb_reader_open("boot.rwd", err, sizeof(err));
 *     TdbEvent ev;
 *     int rc;
 *     while ((rc = tdb_reader_next(r, &ev)) > 0) { ... feed ev ... }
 *     if (rc < 0) fprintf(stderr, "%s\n", tdb_reader_error(r));
 *     tdb_reader_close(r);
 *
 * Invariants: events come back exactly as appended, in order, icounts never
 * decrease; the first event is META and a complete trace ends with END. A
 * frame is either wholly readable or reported (checksum, truncation); a
 * reader never returns events from a frame that failed its checks, and
 * never writes to the trace directory. Fallible functions return 0 (or a
 * count) on success and a negative value or NULL on failure, with a message
 * naming the file, frame, icount range and offset at fault.
 */
#ifndef TRACEDB_TRACE_H
#define TRACEDB_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Version of the bytes in events.zst / checkpoints.zst, written into every
   frame header. A reader refuses frames with a larger version. */
#define TDB_FORMAT_VERSION 3
/* Version of the SQLite schema of index.sqlite (meta key schema_version). */
#define TDB_SCHEMA_VERSION 3
/* Largest payload of one event. */
#define TDB_MAX_PAYLOAD (16u << 20)
/* SERIAL_RX port numbers are below this (core/input.h's ports). */
#define TDB_SERIAL_PORTS 4
/* NICs a NET_RX event may name (0..TDB_NET_PORTS-1). */
#define TDB_NET_PORTS 4
/* Largest frame a NET_RX event carries (Ethernet without FCS, jumbo
   frames included). */
#define TDB_NET_FRAME_MAX 65535
/* META: at most this many entries; `harts` at most TDB_MAX_HARTS. */
#define TDB_MAX_META_ENTRIES 4096
#define TDB_MAX_HARTS 1024
/* A frame is ended automatically once its raw (uncompressed) size
   exceeds this. */
#define TDB_FRAME_TARGET (256u << 10)

typedef enum TdbKind {
    TDB_EV_META = 1,        /* key=value\0 list; first event of a trace */
    TDB_EV_SERIAL_RX = 2,   /* u8 port, then the received bytes */
    TDB_EV_WALLCLOCK = 3,   /* u64 host wall clock, ns since the Unix epoch */
    TDB_EV_IDLE_SKIP = 4,   /* u64 ns the virtual clock jumps while idle */
    TDB_EV_SHUTDOWN = 5,    /* u32 reason */
    TDB_EV_INTERRUPT = 6,   /* u32 reason (debugger / Ctrl-C stop request) */
    TDB_EV_ENTROPY = 7,     /* the entropy bytes a device pulled (virtio-rng) */
    TDB_EV_NET_RX = 8,      /* u8 NIC, then one frame delivered to it */
    TDB_EV_SERIAL_CONNECT = 9, /* u8 port, u8 1/0: a host client of the
                               port's back end came or went */
    TDB_EV_CONSOLE = 16,    /* guest console output bytes (annotation) */
    TDB_EV_CHECKPOINT = 17, /* u64 icount, u64 state hash, u64 offset,
                               u64 length in checkpoints.zst */
    TDB_EV_END = 18,        /* u64 final state hash [, u64 guest ns];
                               icount = final icount */
    TDB_EV_PORT_CONSOLE = 19, /* u8 port (1..), then console output bytes
                               of that virtio-serial console (annotation) */
} TdbKind;

typedef struct TdbEvent {
    uint32_t kind;
    uint32_t hart;
    uint64_t icount;
    uint32_t len;
    const uint8_t *data;
} TdbEvent;

typedef struct TdbKV {
    const char *key;
    const char *value;
} TdbKV;

typedef struct TdbInput {
    const char *name, *path;
    uint64_t size;
    const char *hash;
} TdbInput;

typedef struct TdbCheckpoint {
    uint64_t icount, state_hash;
    uint64_t offset, length;  /* whole record in checkpoints.zst */
} TdbCheckpoint;

typedef enum TdbIndexState {
    TDB_INDEX_OK,          /* index.sqlite covers every complete frame */
    TDB_INDEX_MISSING,     /* no index.sqlite */
    TDB_INDEX_STALE,       /* indexes a different number of frames */
    TDB_INDEX_UNUSABLE,    /* unreadable, or a newer schema */
} TdbIndexState;

typedef struct TdbWriter TdbWriter;
typedef struct TdbReader TdbReader;
struct sqlite3;

/* Little-endian payload helpers. */
static inline void tdb_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static inline void tdb_put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static inline uint32_t tdb_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static inline uint64_t tdb_get_u64(const uint8_t *p)
{
    return (uint64_t)tdb_get_u32(p) | (uint64_t)tdb_get_u32(p + 4) << 32;
}

/* ---- writing ---- */

/* dir must not exist or be empty; it is created. meta keys must not contain
   '=' nor start with "input."; format_version is added, and rewind_version
   and created_utc when the caller does not give them. The META event is
   written and made durable before this returns. */
TdbWriter *tdb_writer_create(const char *dir, const TdbKV *meta, size_t nmeta,
                             const TdbInput *inputs, size_t ninputs,
                             char *err, size_t errlen);
/* Buffers ev into the current frame (ends the frame when it passes
   TDB_FRAME_TARGET). ev->icount must not be below the previous event's.
   META, CHECKPOINT and END are written by the calls below, not here. */
int tdb_writer_append(TdbWriter *w, const TdbEvent *ev);
/* Ends the current frame now and hands it to the writer's thread: one
   write(), then its index rows in one transaction. No-op when the frame is
   empty. Returns before the write; -1 reports an earlier failure. */
int tdb_writer_flush(TdbWriter *w);
/* Waits until everything handed over is written (and indexed). */
int tdb_writer_wait(TdbWriter *w);
/* Appends the blob to checkpoints.zst, then a CHECKPOINT event, and flushes
   (on the writer's thread, from a copy of the blob). */
int tdb_writer_checkpoint(TdbWriter *w, uint64_t icount, uint64_t state_hash,
                          const void *blob, size_t len);
/* The same without a copy: the writer takes blob (malloc'd, cap bytes),
   also on failure, and frees it once written. */
int tdb_writer_checkpoint_give(TdbWriter *w, uint64_t icount,
                               uint64_t state_hash, void *blob, size_t len,
                               size_t cap);
/* A checkpoint streamed in pieces, its memory bounded: begin with its
   uncompressed size; fill pieces (tdb_writer_stream_piece: an empty
   buffer of *cap bytes, waiting while the writer's thread holds them
   all) and give each back with the bytes it holds (len 0: unused);
   end as tdb_writer_checkpoint does. The pieces must add up to the
   size announced, or the writer fails. */
int tdb_writer_stream_begin(TdbWriter *w, uint64_t total);
void *tdb_writer_stream_piece(TdbWriter *w, size_t *cap);
int tdb_writer_stream_give(TdbWriter *w, void *piece, size_t len);
int tdb_writer_stream_end(TdbWriter *w, uint64_t icount, uint64_t state_hash);
/* Guest time at the end, stored in END (before tdb_writer_end/close). */
void tdb_writer_set_guest_ns(TdbWriter *w, uint64_t guest_ns);
/* Appends END, flushes and syncs both files, closes the index; w stays
   allocated so tdb_writer_error() can explain a failure. */
int tdb_writer_end(TdbWriter *w, uint64_t final_icount, uint64_t final_hash);
/* tdb_writer_end() unless already ended, then frees w. */
int tdb_writer_close(TdbWriter *w, uint64_t final_icount, uint64_t final_hash);
/* Crash path: drops the unflushed frame, writes no END, frees w. */
void tdb_writer_abort(TdbWriter *w);
/* The last failure's message, "" if none. */
const char *tdb_writer_error(TdbWriter *w);
/* Bytes written to events.zst plus checkpoints.zst (waits for the
   writer's thread). */
uint64_t tdb_writer_bytes(TdbWriter *w);
/* CPU time of the writer's thread so far, ns (0 with
   REWIND_TRACE_WRITER=sync, whose work is the caller's). */
uint64_t tdb_writer_worker_cpu_ns(TdbWriter *w);

/* ---- reading ---- */

/* Checks every frame header of events.zst and decodes frame 0 (META),
   strictly (format_version must match the headers). Opens index.sqlite
   read-only when present; the reader works without it. A FIFO, directory
   or device in place of any trace file is refused, never waited on. */
TdbReader *tdb_reader_open(const char *dir, char *err, size_t errlen);
const char *tdb_reader_meta(TdbReader *r, const char *key);  /* NULL if absent */
size_t tdb_reader_inputs(TdbReader *r, const TdbInput **inputs);
/* 1 = event (data valid until the next call), 0 = end of the readable
   trace, <0 = error (see tdb_reader_error). The META event is returned
   first like any other. */
int tdb_reader_next(TdbReader *r, TdbEvent *ev);
int tdb_reader_rewind(TdbReader *r);
/* Positions before the first event with icount >= target. */
int tdb_reader_seek(TdbReader *r, uint64_t icount);
bool tdb_reader_complete(TdbReader *r);       /* has an END event */
uint64_t tdb_reader_last_icount(TdbReader *r); /* end of complete frames */
/* Number of complete frames in events.zst. */
uint64_t tdb_reader_frames(TdbReader *r);
/* Valid checkpoint records of checkpoints.zst, sorted by icount. */
size_t tdb_reader_checkpoints(TdbReader *r, const TdbCheckpoint **list);
/* Reads, verifies and decompresses checkpoint i into a malloc'd blob. */
int tdb_reader_load_checkpoint(TdbReader *r, size_t i, void **blob, size_t *len);
/* Why checkpoints.zst could not be read to its end (missing file, damaged
   or truncated record: the list above stops there), else NULL. */
const char *tdb_reader_checkpoint_damage(TdbReader *r);
/* The last failure's message, "" if none. */
const char *tdb_reader_error(TdbReader *r);
/* "truncated after frame N (icount X)" for a killed recorder's trace (or a
   damaged checkpoints.zst tail), else NULL. Not an error. */
const char *tdb_reader_warning(TdbReader *r);
TdbIndexState tdb_reader_index_state(TdbReader *r);
/* The read-only index connection (OK or STALE index), else NULL. */
struct sqlite3 *tdb_reader_db(TdbReader *r);
void tdb_reader_close(TdbReader *r);

/* Opens DIR/index.sqlite for queries from an untrusted user: read-only
   and immutable (no -wal/-shm files, no locks, nothing written, works in
   a read-only directory). Refused while index.sqlite-wal exists (a writer
   has the index open, or was killed: its rows would be missed). NULL with
   a message naming the file. Policy (authorizer, limits) is the caller's. */
struct sqlite3 *tdb_index_open_query(const char *dir, char *err, size_t errlen);

/* Rebuilds index.sqlite from events.zst (+ checkpoints.zst): builds
   index.sqlite.tmp and renames it over. Bookmarks of a readable old index
   are kept. A truncated tail is indexed up to the last complete frame; a
   corrupt frame fails and leaves the old index in place. */
int tdb_reindex(const char *dir, char *err, size_t errlen);

/* ---- names and text ---- */

const char *tdb_kind_name(uint32_t kind);        /* "UNKNOWN" if not a kind */
int tdb_kind_parse(const char *name);            /* kind, or -1 */
const char *tdb_index_state_name(TdbIndexState s);
/* One-line human summary of an event's payload (the index's `summary`). */
void tdb_event_describe(const TdbEvent *ev, char *buf, size_t len);
/* argv as a JSON array of strings (meta key argv); malloc'd, NULL on OOM. */
char *tdb_json_argv(int argc, char *const argv[]);
/* Strict decimal: digits only (no sign, space or leading zero), value at
   most max. For numbers read from a trace's metadata. */
bool tdb_parse_u64(const char *s, uint64_t max, uint64_t *out);

#endif
