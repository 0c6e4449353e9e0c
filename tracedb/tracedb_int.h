/*
 * tracedb internals shared by the frame codec (frame.c), the event codec
 * (event.c), the index builder (index.c), the writer and the reader. Not
 * for use outside tracedb/ (the unit test excepted).
 *
 * Every record in events.zst and checkpoints.zst is a 64-byte header in a
 * zstd skippable frame followed by one regular zstd frame:
 *
 *     0  u32 0x184D2A5E   skippable-frame magic
 *     4  u32 56           skippable-frame size
 *     8  char[4]          "RWEV" (events) or "RWCK" (checkpoints)
 *    12  u32              format version
 *    16  44 bytes         record-specific fields (TdbFrameHdr / TdbCkptHdr)
 *    60  u32              CRC-32 of bytes 0..59
 *
 * All integers little-endian. Bytes 0..63 keep this layout in every format
 * version, so a reader can always check the CRC and then the version.
 */
#ifndef TRACEDB_TRACEDB_INT_H
#define TRACEDB_TRACEDB_INT_H

#include "tracedb/payload.h"
#include "tracedb/trace.h"

#define TDB_SKIP_MAGIC 0x184D2A5Eu
#define TDB_HDR_SIZE 64
#define TDB_EVENTS_FILE "events.zst"
#define TDB_CKPTS_FILE "checkpoints.zst"
#define TDB_INDEX_FILE "index.sqlite"
/* Largest raw frame a reader accepts: guards allocations against a
   damaged (but checksum-consistent) length. */
#define TDB_MAX_FRAME_RAW (TDB_FRAME_TARGET + TDB_MAX_PAYLOAD + 64)

/* Frame flag: the frame ends with the END event. */
#define TDB_FRAME_FINAL 1u

/* Status of a record found at some offset of a file. */
enum {
    TDB_AT_RECORD = 1,     /* header good and data present */
    TDB_AT_EOF = 0,        /* offset == file size */
    TDB_AT_TRUNCATED = -1, /* header or data cut off by the end of file */
    TDB_AT_CORRUPT = -2,   /* header checksum/magic/fields wrong */
    TDB_AT_NEWER = -3,     /* header good but from a newer format */
    TDB_AT_IOERR = -4,
};

typedef struct TdbFrameHdr {   /* "RWEV" */
    uint32_t version;
    uint64_t number;           /* 16: frames are numbered 0, 1, 2, ... */
    uint64_t first_icount;     /* 24 */
    uint64_t last_icount;      /* 32 */
    uint32_t n_events;         /* 40 */
    uint32_t flags;            /* 44: TDB_FRAME_FINAL */
    uint32_t data_len;         /* 48: compressed zstd frame that follows */
    uint32_t raw_len;          /* 52: its decompressed size */
    uint32_t data_crc;         /* 56: CRC-32 of the compressed bytes */
    uint64_t offset;           /* not stored: where the header starts */
} TdbFrameHdr;

typedef struct TdbCkptHdr {    /* "RWCK" */
    uint32_t version;
    uint64_t number;           /* 16 */
    uint64_t icount;           /* 24 */
    uint64_t state_hash;       /* 32 */
    uint64_t raw_len;          /* 40: blob size */
    uint64_t data_len;         /* 48: compressed zstd frame that follows */
    uint32_t data_crc;         /* 56 */
    uint64_t offset;
} TdbCkptHdr;

/* ---- frame.c: headers, CRC, file I/O ---- */

/* CRC-32 (IEEE 802.3, as in zlib/PNG); tdb_crc32(0, "123456789", 9) ==
   0xCBF43926. Chain by passing the previous result. */
uint32_t tdb_crc32(uint32_t crc, const void *data, size_t len);

void tdb_frame_hdr_encode(uint8_t out[TDB_HDR_SIZE], const TdbFrameHdr *h);
void tdb_ckpt_hdr_encode(uint8_t out[TDB_HDR_SIZE], const TdbCkptHdr *h);

/* Reads and checks the header at off (TDB_AT_* result). On
   TDB_AT_CORRUPT/NEWER/IOERR `why` says what was wrong. For RECORD and
   TRUNCATED-with-complete-header, *h is filled in. */
int tdb_frame_hdr_read(int fd, uint64_t off, uint64_t file_size,
                       TdbFrameHdr *h, char *why, size_t whylen);
int tdb_ckpt_hdr_read(int fd, uint64_t off, uint64_t file_size,
                      TdbCkptHdr *h, char *why, size_t whylen);

/* write() all of buf at the current position (retrying short writes). */
int tdb_write_all(int fd, const void *buf, size_t len);
/* pread() exactly len bytes; -1 on error or short file. */
int tdb_pread_all(int fd, void *buf, size_t len, uint64_t off);
/* "dir/name" in a malloc'd string. */
char *tdb_path(const char *dir, const char *name);

/* ---- event.c: event encoding, payloads ---- */

typedef struct TdbBuf {
    uint8_t *p;
    size_t len, cap;
} TdbBuf;

int tdb_buf_reserve(TdbBuf *b, size_t extra);
void tdb_buf_free(TdbBuf *b);

/* Checks kind and payload length; NULL if fine, else a static reason. */
const char *tdb_event_check(const TdbEvent *ev);
/* Appends ev; prev_icount is the previous event's icount in this frame, or
   NULL for the first event of a frame. */
int tdb_event_encode(TdbBuf *b, const TdbEvent *ev, const uint64_t *prev_icount);

/* Walks the events of one decompressed frame. */
typedef struct TdbCursor {
    const uint8_t *p, *end;
    uint64_t icount;
    uint32_t index;            /* events returned so far */
} TdbCursor;

void tdb_cursor_init(TdbCursor *c, const uint8_t *raw, size_t len);
/* 1 = event, 0 = end of frame, -1 = malformed (why set). Does not check
   the kind or payload (tdb_event_check does). */
int tdb_cursor_next(TdbCursor *c, TdbEvent *ev, const char **why);

/* Decoded META payload: strings point into buf. */
typedef struct TdbMeta {
    char *buf;
    TdbKV *kv;
    size_t nkv;
    TdbInput *in;
    size_t nin;
} TdbMeta;

int tdb_meta_encode(TdbBuf *b, const TdbKV *kv, size_t nkv,
                    const TdbInput *in, size_t nin);
int tdb_meta_decode(TdbMeta *m, const uint8_t *p, size_t len, const char **why);
const char *tdb_meta_get(const TdbMeta *m, const char *key);
void tdb_meta_free(TdbMeta *m);

/* ---- index.c: building index.sqlite ---- */

typedef struct TdbIndex TdbIndex;

typedef struct TdbFrameInfo {
    uint64_t number, offset, length;   /* length = header + data */
    uint64_t first_icount, last_icount;
    uint32_t n_events;
} TdbFrameInfo;

/* Creates a fresh index at path (must not exist). bulk = rebuilding:
   no durability until tdb_index_finish. */
TdbIndex *tdb_index_create(const char *path, bool bulk, char *err, size_t errlen);
/* Indexes one frame from its raw (decompressed, already validated) bytes,
   in one transaction. */
int tdb_index_frame(TdbIndex *x, const TdbFrameInfo *f, const uint8_t *raw,
                    size_t len);
/* Copies the bookmarks of another index (rebuilding keeps them); a
   missing or unreadable old index is not an error. */
int tdb_index_copy_bookmarks(TdbIndex *x, const char *old_path);
/* Commits the pending partial console line. */
int tdb_index_finish(TdbIndex *x);
const char *tdb_index_error(TdbIndex *x);
/* The index's connection (derived.c adds its tables' rows through it). */
struct sqlite3 *tdb_index_db(TdbIndex *x);
/* The recording's index, locked against the writer's thread, or NULL
   (not locked) once ended or failed (derived.c); unlock after use. */
TdbIndex *tdb_writer_index_lock(TdbWriter *w);
void tdb_writer_index_unlock(TdbWriter *w);
/* derived.c and the writer's thread: a batch of derived rows (taken from
   the recording's buffer, tdb_derived_take) is written by the writer's
   thread in order with the frames; the writer frees it, or keeps one
   written batch (tdb_writer_spare_rows, NULL if none) whose arrays the
   recording's buffer takes over: filled again, they cost no new memory
   (fresh arrays for every batch were 800 page faults of a Linux boot). */
struct TdbDerived;
int tdb_writer_push_derived(TdbWriter *w, struct TdbDerived *batch);
struct TdbDerived *tdb_writer_spare_rows(TdbWriter *w);
/* The rows of d as a batch (spare, if not NULL, becomes it); d goes on
   empty, with spare's arrays. NULL when out of memory. */
struct TdbDerived *tdb_derived_take(struct TdbDerived *d,
                                    struct TdbDerived *spare);
int tdb_derived_write_batch(struct TdbDerived *batch, TdbIndex *x,
                            char *err, size_t errlen);
/* The derived rows' INSERT statements of a connection, kept by its
   TdbIndex across batches (derived.c prepares them, the index's close
   finalizes them). */
typedef struct TdbDerivedStmts TdbDerivedStmts;
TdbDerivedStmts **tdb_index_derived_stmts(TdbIndex *x);
void tdb_derived_stmts_free(TdbDerivedStmts *s);
void tdb_derived_free(struct TdbDerived *d);
void tdb_index_close(TdbIndex *x);
/* Frames indexed and schema version of an existing index; opens it
   read-only without creating -wal/-shm files when no writer has it open. */
struct sqlite3 *tdb_index_open_ro(const char *path, TdbIndexState *state,
                                  uint64_t complete_frames);

/* ---- validate.c: stream rules, opening files ---- */

/* What the reader knows about a frame when it checks its events. */
typedef struct TdbFrameRules {
    uint32_t harts;            /* every event's hart is below this */
    bool first_frame;          /* frame 0: holds META and only it */
    bool final;                /* header flag TDB_FRAME_FINAL */
    uint32_t n_events;         /* from the header */
    uint64_t first_icount, last_icount;
    bool has_next;             /* another complete frame follows ... */
    bool next_is_lone_end;     /* ... and holds only the END event */
} TdbFrameRules;

/* Checks every event of a decompressed frame against the stream rules
   (validate.c); NULL if fine, else the reason (in buf, or static). */
const char *tdb_frame_check(const TdbFrameRules *f, const uint8_t *raw,
                            size_t len, char *buf, size_t buflen);
/* Opens a regular file for reading without ever blocking (a FIFO, a
   directory or a device is refused, naming the path); returns the fd and
   its size, or -1 with err set and errno kept (ENOENT: missing). */
int tdb_open_regular(const char *path, uint64_t *size, char *err,
                     size_t errlen);
/* 0: path does not exist; 1: a regular file; -1: something else (err). */
int tdb_check_regular(const char *path, char *err, size_t errlen);

/* ---- reader.c: frame-level access used by tdb_reindex ---- */

TdbReader *tdb_reader_open_noindex(const char *dir, char *err, size_t errlen);
/* Loads and validates the next frame: 1 = frame, 0 = end, <0 = error. */
int tdb_reader_next_frame(TdbReader *r, TdbFrameInfo *f, const uint8_t **raw,
                          size_t *len);

#endif
