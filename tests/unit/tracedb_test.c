/*
 * Unit tests of tracedb (the trace on disk): write -> read round trip over
 * many frames with every kind and large payloads, checkpoints, a recorder
 * that aborts (no END), truncation at every byte of the last frame,
 * a flipped byte anywhere in events.zst (reported with the right frame),
 * a missing or stale index and tdb_reindex, and refusal of a newer format.
 *
 * The test knows the documented byte layout (docs/trace-format.md) and has
 * its own CRC-32, so it checks the format as written down, not only the
 * code against itself. Traces live under a mkdtemp() directory (in
 * $TMPDIR, else /dev/shm, else /tmp) that is removed at the end.
 */
#define _GNU_SOURCE
#include "tracedb/trace.h"
#include "tracedb/tracedb_int.h"   /* tdb_crc32 */
#include "tests/unit/check.h"
#include "tests/unit/thp.h"

#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

static char root[256];

/* ---- helpers ---- */

static char *path_of(const char *dir, const char *name)
{
    static char buf[4][512];
    static int slot;
    char *p = buf[slot++ % 4];
    snprintf(p, 512, "%s/%s/%s", root, dir, name);
    return p;
}

static char *trace_dir(const char *name)
{
    static char buf[4][512];
    static int slot;
    char *p = buf[slot++ % 4];
    snprintf(p, 512, "%s/%s", root, name);
    return p;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *len = 0;
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)n + 1);
    *len = fread(p, 1, (size_t)n, f);
    fclose(f);
    return p;
}

static void spit(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
        perror(path);
        abort();
    }
    close(fd);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st, (void)flag, (void)f;
    return remove(p);
}

static void rm_rf(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static uint32_t crc32_ref(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) {
            c = (c >> 1) ^ (0xEDB88320u & -(c & 1));
        }
    }
    return ~c;
}

/* Bytes of the trace's files (and of any side file SQLite might create),
   as one hash. */
static uint64_t dir_fingerprint(const char *dir)
{
    static const char *const names[] = {
        "events.zst", "checkpoints.zst", "index.sqlite", "index.sqlite-wal",
        "index.sqlite-shm", "index.sqlite.tmp",
    };
    uint64_t h = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char p[600];
        snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
        size_t n;
        uint8_t *d = slurp(p, &n);
        h = (h ^ (d ? n : 0x5a5a5a5a)) * 0x100000001b3ull;
        for (size_t k = 0; d && k + 8 <= n; k += 8) {
            uint64_t w;
            memcpy(&w, d + k, 8);
            h = (h ^ w) * 0x100000001b3ull;
        }
        free(d);
    }
    return h;
}

static int64_t sql_int(const char *db_path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) {
            v = sqlite3_column_int64(st, 0);
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return v;
}

static void sql_exec(const char *db_path, const char *sql)
{
    sqlite3 *db;
    if (sqlite3_open(db_path, &db) != SQLITE_OK ||
        sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        printf("sql_exec %s: %s\n", sql, sqlite3_errmsg(db));
    }
    sqlite3_close(db);
}

/* ---- an expected event stream ---- */

typedef struct Ev {
    uint32_t kind, hart;
    uint64_t icount;
    uint32_t len;
    uint8_t *data;
} Ev;

typedef struct Stream {
    Ev *ev;
    size_t n, cap;
    uint64_t icount, rng;
} Stream;

static uint64_t rnd(Stream *s)
{
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    return s->rng;
}

static Ev *push(Stream *s, uint32_t kind, uint32_t hart, uint64_t icount,
                const void *data, uint32_t len)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->ev = realloc(s->ev, s->cap * sizeof(*s->ev));
    }
    Ev *e = &s->ev[s->n++];
    *e = (Ev){ kind, hart, icount, len, malloc(len ? len : 1) };
    memcpy(e->data, data, len);
    return e;
}

/* A random input or CONSOLE event; big = allow payloads beyond a frame.
   Fields follow the stream rules: SERIAL_RX ports 0-3, harts 0-3 (the
   test traces declare 4), no SHUTDOWN (it may only end a trace). */
static Ev *gen(Stream *s, bool big)
{
    static const uint32_t kinds[] = {
        TDB_EV_SERIAL_RX, TDB_EV_WALLCLOCK, TDB_EV_IDLE_SKIP, TDB_EV_INTERRUPT,
        TDB_EV_INTERRUPT, TDB_EV_CONSOLE, TDB_EV_CONSOLE, TDB_EV_SERIAL_RX,
    };
    static uint8_t buf[1 << 20];
    uint64_t r = rnd(s);
    uint32_t kind = kinds[r % 8];
    uint32_t len;
    s->icount += (r >> 8) % 4 == 0 ? 0 : (r >> 10) % 100000;
    switch (kind) {
    case TDB_EV_WALLCLOCK:
    case TDB_EV_IDLE_SKIP:
        len = 8;
        tdb_put_u64(buf, rnd(s));
        break;
    case TDB_EV_SHUTDOWN:
    case TDB_EV_INTERRUPT:
        len = 4;
        tdb_put_u32(buf, (uint32_t)rnd(s));
        break;
    default:
        len = 1 + (uint32_t)(rnd(s) % 80);
        if (big && rnd(s) % 2000 == 0) {
            len = (uint32_t)(rnd(s) % sizeof(buf)) + 1;
        }
        for (uint32_t i = 0; i < len; i++) {
            uint64_t x = rnd(s);
            buf[i] = kind == TDB_EV_CONSOLE
                ? (x % 13 == 0 ? '\n' : (uint8_t)('a' + x % 26)) : (uint8_t)x;
        }
        if (kind == TDB_EV_SERIAL_RX) {
            buf[0] %= TDB_SERIAL_PORTS;
        }
    }
    return push(s, kind, (uint32_t)(r >> 40) % 4, s->icount, buf, len);
}

static int append(TdbWriter *w, const Ev *e)
{
    TdbEvent ev = { e->kind, e->hart, e->icount, e->len, e->data };
    return tdb_writer_append(w, &ev);
}

static void stream_free(Stream *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->ev[i].data);
    }
    free(s->ev);
    memset(s, 0, sizeof(*s));
}

static bool same(const TdbEvent *a, const Ev *e)
{
    return a->kind == e->kind && a->hart == e->hart && a->icount == e->icount &&
           a->len == e->len && memcmp(a->data, e->data, e->len) == 0;
}

/* Reads the whole trace; returns events matched against s->ev[0..] in
   order (META excluded), stops at the first mismatch. */
static size_t read_all(TdbReader *r, const Stream *s, int *rc_out)
{
    TdbEvent ev;
    size_t k = 0;
    bool ok = true;
    int rc;
    while ((rc = tdb_reader_next(r, &ev)) > 0) {
        if (ev.kind == TDB_EV_META) {
            continue;
        }
        if (ok && k < s->n && same(&ev, &s->ev[k])) {
            k++;
        } else {
            ok = false;
        }
    }
    *rc_out = rc;
    return k;
}

static const TdbKV test_meta[] = {
    { "argv", "[\"rewind\",\"record\",\"-m\",\"512M\"]" },
    { "icount_shift", "3" },
    { "machine", "virt" },
    { "harts", "4" },
};
static const TdbInput test_inputs[] = {
    { "kernel", "/srv/Image", 22454784, "00112233445566778899aabbccddeeff" },
    { "initrd", "/srv/initrd.img", 1234, "ffee" },
};

static TdbWriter *create(const char *name)
{
    char err[512];
    TdbWriter *w = tdb_writer_create(trace_dir(name), test_meta, 4,
                                     test_inputs, 2, err, sizeof(err));
    CHECK(w != NULL, "create %s: %s", name, err);
    if (!w) {
        exit(1);
    }
    return w;
}

static TdbReader *open_trace(const char *name)
{
    char err[512];
    TdbReader *r = tdb_reader_open(trace_dir(name), err, sizeof(err));
    CHECK(r != NULL, "open %s: %s", name, err);
    return r;
}

/* ---- tests ---- */

static void test_crc_and_names(void)
{
    CHECK(crc32_ref((const uint8_t *)"123456789", 9) == 0xCBF43926u, "crc");
    /* tdb_crc32 (eight bytes at a time) against the bitwise reference:
       every length and alignment around the 8-byte steps, and chaining. */
    uint8_t data[300];
    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(i * 37 + (i >> 3) * 11 + 5);
    }
    bool crc_ok = tdb_crc32(0, "123456789", 9) == 0xCBF43926u;
    for (size_t off = 0; off < 8; off++) {
        for (size_t n = 0; n + off <= sizeof(data); n++) {
            crc_ok = crc_ok && tdb_crc32(0, data + off, n) ==
                                   crc32_ref(data + off, n);
        }
    }
    crc_ok = crc_ok && tdb_crc32(tdb_crc32(0, data, 123), data + 123, 177) ==
                           crc32_ref(data, 300);
    CHECK(crc_ok, "tdb_crc32 equals the bitwise CRC-32 at every length");
    CHECK(strcmp(tdb_kind_name(TDB_EV_SERIAL_RX), "SERIAL_RX") == 0 &&
          strcmp(tdb_kind_name(99), "UNKNOWN") == 0, "kind names");
    CHECK(tdb_kind_parse("console") == TDB_EV_CONSOLE &&
          tdb_kind_parse("nope") == -1, "kind parse");
    char *const argv[] = { "rewind", "-append", "a \"b\"\\\n", NULL };
    char *json = tdb_json_argv(3, argv);
    CHECK(json && strcmp(json, "[\"rewind\",\"-append\","
                         "\"a \\\"b\\\"\\\\\\u000a\"]") == 0, "json %s", json);
    free(json);
    uint8_t d[9] = { 0, 'h', 'i', '\n', 0xff };
    char buf[64];
    TdbEvent ev = { TDB_EV_SERIAL_RX, 0, 5, 5, d };
    tdb_event_describe(&ev, buf, sizeof(buf));
    CHECK(strcmp(buf, "port 0: \"hi\\n\\xff\"") == 0, "describe %s", buf);
    tdb_put_u64(d, 1700000000123456789ull);
    ev = (TdbEvent){ TDB_EV_WALLCLOCK, 0, 5, 8, d };
    tdb_event_describe(&ev, buf, sizeof(buf));
    CHECK(strcmp(buf, "2023-11-14T22:13:20.123456789Z") == 0, "describe %s", buf);
    ev = (TdbEvent){ TDB_EV_ENTROPY, 0, 5, 9, d };
    tdb_event_describe(&ev, buf, sizeof(buf));
    CHECK(strcmp(buf, "9 bytes") == 0, "describe %s", buf);
}

static void test_writer_rejects(void)
{
    char err[512];
    TdbKV bad[] = { { "a=b", "c" } };
    CHECK(!tdb_writer_create(trace_dir("rej"), bad, 1, NULL, 0, err,
                             sizeof(err)) && strstr(err, "'='"), "%s", err);
    TdbKV reserved[] = { { "input.0.name", "x" } };
    CHECK(!tdb_writer_create(trace_dir("rej"), reserved, 1, NULL, 0, err,
                             sizeof(err)) && strstr(err, "reserved"), "%s", err);
    CHECK(access(trace_dir("rej"), F_OK) != 0, "rejected create left a dir");

    TdbWriter *w = create("rej");
    CHECK(!tdb_writer_create(trace_dir("rej"), NULL, 0, NULL, 0, err,
                             sizeof(err)) && strstr(err, "not empty"), "%s", err);
    uint8_t p[8] = { 0 };
    TdbEvent ev = { TDB_EV_WALLCLOCK, 0, 100, 4, p };
    CHECK(tdb_writer_append(w, &ev) < 0 &&
          strstr(tdb_writer_error(w), "payload length"), "%s",
          tdb_writer_error(w));
    tdb_writer_abort(w);

    w = create("rej2");
    ev.len = 8;
    CHECK(tdb_writer_append(w, &ev) == 0, "append");
    ev.icount = 99;
    CHECK(tdb_writer_append(w, &ev) < 0 &&
          strstr(tdb_writer_error(w), "before the previous"), "%s",
          tdb_writer_error(w));
    tdb_writer_abort(w);

    w = create("rej3");
    ev = (TdbEvent){ TDB_EV_END, 0, 1, 8, p };
    CHECK(tdb_writer_append(w, &ev) < 0, "END through append");
    tdb_writer_abort(w);
    w = create("rej4");
    /* 15: reserved for inputs, unused (7 is ENTROPY now). */
    ev = (TdbEvent){ 15, 0, 1, 0, p };
    CHECK(tdb_writer_append(w, &ev) < 0 &&
          strstr(tdb_writer_error(w), "unknown event kind"), "kind 15");
    tdb_writer_abort(w);
}

/* The main trace: ~40k events, flushes every 500 events, checkpoints. */
static Stream main_stream;
static uint64_t main_final_hash = 0xfeedface12345678ull;
static size_t main_console_lines;

static void test_round_trip(void)
{
    Stream *s = &main_stream;
    s->rng = 0x9e3779b97f4a7c15ull;
    TdbWriter *w = create("main");
    uint64_t before = tdb_writer_bytes(w);
    CHECK(before > 0, "META frame written at create");
    size_t ck = 0;
    int append_errors = 0;
    for (int i = 0; i < 40000; i++) {
        Ev *e = gen(s, true);
        if (append(w, e) < 0 || (i % 500 == 499 && tdb_writer_flush(w) < 0)) {
            append_errors++;
        }
        if (i % 13000 == 12999) {
            uint8_t blob[3000];
            for (size_t k = 0; k < sizeof(blob); k++) {
                blob[k] = (uint8_t)(k * ck);
            }
            uint64_t hash = 0x1111 * ++ck;
            CHECK(tdb_writer_checkpoint(w, s->icount, hash, blob,
                                        sizeof(blob)) == 0, "checkpoint");
            uint8_t p[32];
            tdb_put_u64(p, s->icount);
            tdb_put_u64(p + 8, hash);
            memset(p + 16, 0, 16);   /* offset, length: filled in below */
            push(s, TDB_EV_CHECKPOINT, 0, s->icount, p, 32);
        }
    }
    CHECK(append_errors == 0, "%d append/flush errors: %s", append_errors,
          tdb_writer_error(w));
    CHECK(tdb_writer_flush(w) == 0 && tdb_writer_flush(w) == 0, "flush twice");
    /* 80 flushes, 80 small commits: the index's write-ahead log is
       checkpointed back every 32 pages, so it stays small (with SQLite's
       default of 1000 pages it held every commit: a recording's log
       reached a file-size limit before its trace files). */
    char wal[600];
    snprintf(wal, sizeof(wal), "%s/index.sqlite-wal", trace_dir("main"));
    struct stat wst;
    CHECK(stat(wal, &wst) == 0 && wst.st_size <= 64 * (4096 + 24) + 32,
          "index WAL bounded: %lld bytes",
          (long long)(stat(wal, &wst) == 0 ? wst.st_size : -1));
    /* While recording, the index's connection takes no lock of its own
       (the writer's idx_mu keeps its two threads apart) and syncs
       nothing (each of those WAL checkpoints synced two files). */
    TdbIndex *ix = tdb_writer_index_lock(w);
    CHECK(ix != NULL, "writer index");
    if (ix) {
        sqlite3 *db = tdb_index_db(ix);
        sqlite3_stmt *st = NULL;
        CHECK(sqlite3_db_mutex(db) == NULL, "index connection without mutex");
        CHECK(sqlite3_prepare_v2(db, "PRAGMA synchronous", -1, &st, NULL) ==
                  SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
                  sqlite3_column_int(st, 0) == 0,
              "recording index: synchronous=OFF");
        sqlite3_finalize(st);
        tdb_writer_index_unlock(w);
    }
    uint8_t endp[16] = { 0 };   /* final hash, guest ns (not set: 0) */
    tdb_put_u64(endp, main_final_hash);
    push(s, TDB_EV_END, 0, s->icount + 7, endp, 16);
    CHECK(tdb_writer_bytes(w) > before, "bytes grow");
    CHECK(tdb_writer_close(w, s->icount + 7, main_final_hash) == 0, "close");

    uint64_t fp = dir_fingerprint(trace_dir("main"));
    TdbReader *r = open_trace("main");
    if (!r) {
        return;
    }
    /* Fix up the expected CHECKPOINT payloads from the reader's list. */
    const TdbCheckpoint *cl;
    size_t nck = tdb_reader_checkpoints(r, &cl);
    CHECK(nck == ck, "%zu checkpoints, want %zu", nck, ck);
    for (size_t i = 0, k = 0; i < s->n && k < nck; i++) {
        if (s->ev[i].kind == TDB_EV_CHECKPOINT) {
            tdb_put_u64(s->ev[i].data + 16, cl[k].offset);
            tdb_put_u64(s->ev[i].data + 24, cl[k].length);
            k++;
        }
    }
    char fv[16];
    snprintf(fv, sizeof(fv), "%d", TDB_FORMAT_VERSION);
    CHECK(strcmp(tdb_reader_meta(r, "format_version"), fv) == 0, "format");
    CHECK(strcmp(tdb_reader_meta(r, "argv"), test_meta[0].value) == 0, "argv");
    CHECK(strcmp(tdb_reader_meta(r, "icount_shift"), "3") == 0, "shift");
    CHECK(tdb_reader_meta(r, "created_utc") != NULL &&
          tdb_reader_meta(r, "rewind_version") != NULL, "auto meta");
    CHECK(tdb_reader_meta(r, "nope") == NULL, "absent meta");
    const TdbInput *in;
    size_t nin = tdb_reader_inputs(r, &in);
    CHECK(nin == 2 && strcmp(in[0].name, "kernel") == 0 &&
          strcmp(in[0].path, "/srv/Image") == 0 && in[0].size == 22454784 &&
          strcmp(in[1].hash, "ffee") == 0 && in[1].size == 1234, "inputs");

    TdbEvent ev;
    CHECK(tdb_reader_next(r, &ev) == 1 && ev.kind == TDB_EV_META &&
          ev.icount == 0, "META first");
    tdb_reader_rewind(r);
    int rc;
    size_t k = read_all(r, s, &rc);
    CHECK(rc == 0 && k == s->n, "round trip: %zu of %zu events, rc %d %s", k,
          s->n, rc, tdb_reader_error(r));
    CHECK(tdb_reader_complete(r), "complete");
    CHECK(tdb_reader_last_icount(r) == s->icount + 7, "last icount");
    CHECK(tdb_reader_frames(r) > 80, "frames %" PRIu64, tdb_reader_frames(r));
    CHECK(tdb_reader_warning(r) == NULL, "warning %s", tdb_reader_warning(r));
    CHECK(tdb_reader_index_state(r) == TDB_INDEX_OK, "index %s",
          tdb_index_state_name(tdb_reader_index_state(r)));
    CHECK(tdb_reader_db(r) != NULL, "db handle");

    /* Seek to events in the middle, including to an icount shared by
       several events. */
    for (size_t t = 1; t < s->n; t += s->n / 7) {
        uint64_t target = s->ev[t].icount;
        size_t first = t;
        while (first > 0 && s->ev[first - 1].icount >= target) {
            first--;
        }
        CHECK(tdb_reader_seek(r, target) == 0 && tdb_reader_next(r, &ev) == 1 &&
              same(&ev, &s->ev[first]), "seek %" PRIu64, target);
    }
    CHECK(tdb_reader_seek(r, UINT64_MAX) == 0 && tdb_reader_next(r, &ev) == 0,
          "seek past end");
    tdb_reader_close(r);
    CHECK(dir_fingerprint(trace_dir("main")) == fp, "reading changed the trace");

    /* The index. */
    const char *db = path_of("main", "index.sqlite");
    CHECK(sql_int(db, "SELECT COUNT(*) FROM events") == (int64_t)s->n + 1,
          "event rows");
    CHECK(sql_int(db, "SELECT COUNT(*) FROM checkpoints") == (int64_t)ck,
          "checkpoint rows");
    CHECK(sql_int(db, "SELECT COUNT(*) FROM inputs") == 2, "input rows");
    CHECK(sql_int(db, "SELECT value FROM meta WHERE key='schema_version'") ==
          TDB_SCHEMA_VERSION, "schema_version");
    CHECK(sql_int(db, "SELECT value FROM meta WHERE key='icount_shift'") == 3,
          "meta icount_shift");
    CHECK(sql_int(db, "SELECT complete FROM summary") == 1, "summary");
    CHECK(sql_int(db, "SELECT COUNT(*) FROM events WHERE kind='END'") == 1,
          "END row");
    size_t lines = 0, partial = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->ev[i].kind != TDB_EV_CONSOLE) {
            continue;
        }
        for (uint32_t j = 0; j < s->ev[i].len; j++) {
            if (s->ev[i].data[j] == '\n' || partial == 4096) {
                lines++;
                partial = 0;
            }
            partial += s->ev[i].data[j] != '\n';
        }
    }
    main_console_lines = lines + (partial > 0);
    CHECK(sql_int(db, "SELECT COUNT(*) FROM console") ==
          (int64_t)main_console_lines, "console lines %lld want %zu",
          (long long)sql_int(db, "SELECT COUNT(*) FROM console"),
          main_console_lines);

    /* `zstd -d` still works: libzstd's streaming decoder skips our
       skippable frames and decodes the data frames. */
    size_t n;
    uint8_t *file = slurp(path_of("main", "events.zst"), &n);
    ZSTD_DStream *ds = ZSTD_createDStream();
    ZSTD_inBuffer zin = { file, n, 0 };
    static uint8_t obuf[1 << 16];
    uint64_t total = 0;
    size_t zr = 0;
    while (zin.pos < zin.size) {
        ZSTD_outBuffer zout = { obuf, sizeof(obuf), 0 };
        zr = ZSTD_decompressStream(ds, &zout, &zin);
        if (ZSTD_isError(zr)) {
            break;
        }
        total += zout.pos;
    }
    CHECK(!ZSTD_isError(zr) && zr == 0 && total > n, "zstd -d: %s, %" PRIu64
          " bytes", ZSTD_isError(zr) ? ZSTD_getErrorName(zr) : "ok", total);
    ZSTD_freeDStream(ds);
    free(file);
}

static void test_checkpoints(void)
{
    TdbWriter *w = create("ckpt");
    size_t lens[] = { 100000, 2u << 20, 0, 777 };
    uint8_t *blobs[4];
    uint64_t rng = 12345;
    for (int i = 0; i < 4; i++) {
        blobs[i] = malloc(lens[i] + 1);
        for (size_t k = 0; k < lens[i]; k++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            blobs[i][k] = i == 1 ? (uint8_t)(k >> 12) : (uint8_t)(rng >> 56);
        }
        CHECK(tdb_writer_checkpoint(w, 1000 * (uint64_t)(i + 1), 0xabc0 + i,
                                    blobs[i], lens[i]) == 0, "checkpoint %d", i);
    }
    CHECK(tdb_writer_checkpoint(w, 5, 1, "x", 1) < 0, "checkpoint back in time");
    tdb_writer_abort(w);

    TdbReader *r = open_trace("ckpt");
    if (!r) {
        return;
    }
    const TdbCheckpoint *cl;
    size_t n = tdb_reader_checkpoints(r, &cl);
    CHECK(n == 4, "%zu checkpoints", n);
    for (size_t i = 0; i < n && i < 4; i++) {
        void *blob;
        size_t len;
        CHECK(cl[i].icount == 1000 * (i + 1) && cl[i].state_hash == 0xabc0 + i,
              "checkpoint %zu list entry", i);
        CHECK(tdb_reader_load_checkpoint(r, i, &blob, &len) == 0 &&
              len == lens[i] && memcmp(blob, blobs[i], len) == 0,
              "checkpoint %zu blob: %s", i, tdb_reader_error(r));
        free(blob);
    }
    uint64_t off1 = n > 1 ? cl[1].offset : 0, off3 = n > 3 ? cl[3].offset : 0;
    tdb_reader_close(r);
    CHECK(sql_int(path_of("ckpt", "index.sqlite"),
                  "SELECT COUNT(*) FROM checkpoints") == 4, "checkpoint rows");

    /* A flipped byte in the second blob: only that one fails. */
    size_t len;
    uint8_t *file = slurp(path_of("ckpt", "checkpoints.zst"), &len);
    file[off1 + 64 + 100] ^= 0x20;
    spit(path_of("ckpt", "checkpoints.zst"), file, len);
    r = open_trace("ckpt");
    void *blob = NULL;
    size_t blen;
    CHECK(r && tdb_reader_load_checkpoint(r, 1, &blob, &blen) < 0 &&
          strstr(tdb_reader_error(r), "checksum mismatch") &&
          strstr(tdb_reader_error(r), "icount 2000"), "damaged checkpoint: %s",
          r ? tdb_reader_error(r) : "");
    CHECK(r && tdb_reader_load_checkpoint(r, 0, &blob, &blen) == 0, "ckpt 0");
    free(blob);
    tdb_reader_close(r);

    /* A cut in the last record: the first three remain, with a warning. */
    spit(path_of("ckpt", "checkpoints.zst"), file, off3 + 70);
    r = open_trace("ckpt");
    CHECK(r && tdb_reader_checkpoints(r, &cl) == 3 && tdb_reader_warning(r) &&
          strstr(tdb_reader_warning(r), "checkpoints.zst"), "cut checkpoints");
    tdb_reader_close(r);
    free(file);
    for (int i = 0; i < 4; i++) {
        free(blobs[i]);
    }
}

static void test_abort(void)
{
    Stream s = { .rng = 77 };
    TdbWriter *w = create("abort");
    for (int i = 0; i < 3000; i++) {
        append(w, gen(&s, false));
        if (i % 1000 == 999) {
            tdb_writer_flush(w);
        }
    }
    size_t flushed = s.n;
    uint64_t last = s.icount;
    for (int i = 0; i < 10; i++) {
        append(w, gen(&s, false));
    }
    tdb_writer_abort(w);

    TdbReader *r = open_trace("abort");
    if (!r) {
        stream_free(&s);
        return;
    }
    int rc;
    size_t k = read_all(r, &s, &rc);
    CHECK(rc == 0 && k == flushed, "abort: read %zu of %zu flushed", k, flushed);
    CHECK(!tdb_reader_complete(r), "aborted trace is not complete");
    CHECK(tdb_reader_last_icount(r) == last, "last icount after abort");
    CHECK(tdb_reader_warning(r) == NULL, "no partial frame");
    CHECK(tdb_reader_index_state(r) == TDB_INDEX_OK, "index up to date");
    tdb_reader_close(r);
    stream_free(&s);
}

/* A small trace with forced frame boundaries; fills offs[] with each
   frame's offset (from the index) and per-frame cumulative event counts. */
static size_t small_trace(const char *name, Stream *s, int frames, int per,
                          uint64_t *offs, size_t *upto)
{
    TdbWriter *w = create(name);
    upto[0] = 0;   /* frame 0 holds META only */
    for (int f = 1; f < frames; f++) {
        for (int i = 0; i < per; i++) {
            append(w, gen(s, false));
        }
        if (f < frames - 1) {
            tdb_writer_flush(w);
        }
        upto[f] = s->n;
    }
    uint8_t p[16] = { 1 };
    push(s, TDB_EV_END, 0, s->icount, p, 16);
    tdb_writer_close(w, s->icount, 1);
    upto[frames - 1] = s->n;
    const char *db = path_of(name, "index.sqlite");
    for (int f = 0; f < frames; f++) {
        char sql[100];
        snprintf(sql, sizeof(sql), "SELECT offset FROM frames WHERE frame=%d", f);
        offs[f] = (uint64_t)sql_int(db, sql);
    }
    CHECK(sql_int(db, "SELECT COUNT(*) FROM frames") == frames, "frame rows");
    return (size_t)frames;
}

static void test_truncation(void)
{
    Stream s = { .rng = 4242 };
    uint64_t offs[6];
    size_t upto[6];
    small_trace("trunc", &s, 6, 150, offs, upto);
    size_t len;
    uint8_t *file = slurp(path_of("trunc", "events.zst"), &len);
    mkdir(trace_dir("cut"), 0777);
    int bad = 0;
    for (size_t cut = offs[5]; cut < len; cut++) {
        spit(path_of("cut", "events.zst"), file, cut);
        char err[512];
        TdbReader *r = tdb_reader_open(trace_dir("cut"), err, sizeof(err));
        if (!r) {
            bad++;
            continue;
        }
        int rc;
        size_t k = read_all(r, &s, &rc);
        const char *warn = tdb_reader_warning(r);
        bool ok = rc == 0 && k == upto[4] && tdb_reader_frames(r) == 5 &&
                  !tdb_reader_complete(r) &&
                  tdb_reader_last_icount(r) == s.ev[upto[4] - 1].icount &&
                  tdb_reader_index_state(r) == TDB_INDEX_MISSING;
        char want[80];
        snprintf(want, sizeof(want), "truncated after frame 4 (icount %" PRIu64
                 ")", s.ev[upto[4] - 1].icount);
        ok = ok && (cut == offs[5] ? warn == NULL : warn && strstr(warn, want));
        if (!ok && bad++ < 3) {
            printf("cut at %zu: rc %d k %zu warn %s\n", cut, rc, k, warn);
        }
        tdb_reader_close(r);
    }
    CHECK(bad == 0, "truncation: %d of %zu cuts misread", bad, len - offs[5]);
    CHECK(len - offs[5] > 200, "last frame is %zu bytes", len - offs[5]);
    free(file);
    stream_free(&s);
}

static void test_corruption(void)
{
    Stream s = { .rng = 99 };
    uint64_t offs[7];
    size_t upto[7];
    small_trace("corrupt", &s, 7, 20, offs, upto);
    size_t len;
    uint8_t *file = slurp(path_of("corrupt", "events.zst"), &len);
    mkdir(trace_dir("flip"), 0777);
    int bad = 0;
    for (size_t at = 0; at < len; at++) {
        size_t f = 0;
        while (f + 1 < 7 && offs[f + 1] <= at) {
            f++;
        }
        file[at] ^= (uint8_t)(1u << (at % 8));
        spit(path_of("flip", "events.zst"), file, len);
        file[at] ^= (uint8_t)(1u << (at % 8));
        char err[512], want[64];
        snprintf(want, sizeof(want), "frame %zu ", f);
        char want_off[64];
        snprintf(want_off, sizeof(want_off), "offset %" PRIu64 ":", offs[f]);
        TdbReader *r = tdb_reader_open(trace_dir("flip"), err, sizeof(err));
        bool ok;
        const char *msg = err;
        if (!r) {
            ok = f == 0;
        } else {
            int rc;
            size_t k = read_all(r, &s, &rc);
            msg = tdb_reader_error(r);
            ok = f > 0 && rc < 0 && k == upto[f - 1];
            if (at >= offs[f] + 64) {
                ok = ok && strstr(msg, "checksum mismatch") &&
                     strstr(msg, "(icount ");
            }
        }
        ok = ok && strstr(msg, "events.zst: ") && strstr(msg, want) &&
             strstr(msg, want_off);
        if (!ok && bad++ < 5) {
            printf("flip at %zu (frame %zu): %s\n", at, f, msg);
        }
        tdb_reader_close(r);
    }
    CHECK(bad == 0, "corruption: %d of %zu flips misreported", bad, len);
    free(file);
    stream_free(&s);
}

static int64_t row_count(const char *db, const char *table)
{
    char sql[100];
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", table);
    return sql_int(db, sql);
}

static void test_reindex(void)
{
    static const char *const tables[] = {
        "meta", "inputs", "frames", "events", "console", "checkpoints",
    };
    enum { NT = sizeof(tables) / sizeof(tables[0]) };
    const char *db = path_of("main", "index.sqlite");
    int64_t before[NT];
    for (int i = 0; i < NT; i++) {
        before[i] = row_count(db, tables[i]);
    }
    int64_t ev_sum = sql_int(db, "SELECT SUM(icount % 1000003 + hart + frame"
                             " + length(summary) + length(kind)) FROM events");
    int64_t con_sum = sql_int(db, "SELECT SUM(icount % 1000003 + length(text))"
                              " FROM console");
    sql_exec(db, "INSERT INTO bookmarks VALUES('boot', 1234, 'kernel start')");

    /* Stale: the index misses the last frames (recorder killed between a
       frame and its index commit). */
    sql_exec(db, "DELETE FROM frames WHERE frame > 3");
    TdbReader *r = open_trace("main");
    CHECK(r && tdb_reader_index_state(r) == TDB_INDEX_STALE, "stale index");
    tdb_reader_close(r);

    char err[512];
    CHECK(tdb_reindex(trace_dir("main"), err, sizeof(err)) == 0, "%s", err);
    CHECK(sql_int(db, "SELECT icount FROM bookmarks WHERE name='boot'") == 1234,
          "bookmark kept");

    unlink(db);
    r = open_trace("main");
    if (r) {
        int rc;
        size_t k = read_all(r, &main_stream, &rc);
        CHECK(tdb_reader_index_state(r) == TDB_INDEX_MISSING &&
              tdb_reader_db(r) == NULL, "missing index");
        CHECK(rc == 0 && k == main_stream.n, "scan without index");
    }
    tdb_reader_close(r);
    CHECK(tdb_reindex(trace_dir("main"), err, sizeof(err)) == 0, "%s", err);
    for (int i = 0; i < NT; i++) {
        int64_t after = row_count(db, tables[i]);
        CHECK(after == before[i], "%s: %lld rows after reindex, %lld before",
              tables[i], (long long)after, (long long)before[i]);
    }
    CHECK(sql_int(db, "SELECT SUM(icount % 1000003 + hart + frame"
                  " + length(summary) + length(kind)) FROM events") == ev_sum,
          "events content");
    CHECK(sql_int(db, "SELECT SUM(icount % 1000003 + length(text))"
                  " FROM console") == con_sum, "console content");
    CHECK(access(path_of("main", "index.sqlite.tmp"), F_OK) != 0, "tmp gone");
    r = open_trace("main");
    CHECK(r && tdb_reader_index_state(r) == TDB_INDEX_OK, "reindexed ok");
    tdb_reader_close(r);

    /* Reindex of a truncated trace indexes its complete frames. */
    CHECK(tdb_reindex(trace_dir("cut"), err, sizeof(err)) == 0, "%s", err);
    CHECK(sql_int(path_of("cut", "index.sqlite"), "SELECT COUNT(*) FROM frames")
          == 5, "truncated reindex");
    /* A corrupt frame fails and leaves no index behind. */
    CHECK(tdb_reindex(trace_dir("flip"), err, sizeof(err)) < 0 &&
          strstr(err, "checksum mismatch") &&
          access(path_of("flip", "index.sqlite"), F_OK) != 0, "%s", err);
}

/* Rewrites the version field of frame `which` (and fixes its CRC). */
static void test_newer_version(void)
{
    Stream s = { .rng = 5 };
    uint64_t offs[3];
    size_t upto[3];
    small_trace("newer", &s, 3, 5, offs, upto);
    size_t len;
    uint8_t *file = slurp(path_of("newer", "events.zst"), &len);
    for (int which = 0; which < 3; which++) {
        uint8_t *h = file + offs[which];
        uint8_t saved[64];
        memcpy(saved, h, 64);
        CHECK(memcmp(h + 8, "RWEV", 4) == 0 &&
              tdb_get_u32(h + 12) == TDB_FORMAT_VERSION,
              "documented header layout");
        tdb_put_u32(h + 12, TDB_FORMAT_VERSION + 1);
        tdb_put_u32(h + 60, crc32_ref(h, 60));
        spit(path_of("newer", "events.zst"), file, len);
        memcpy(h, saved, 64);
        char err[512];
        TdbReader *r = tdb_reader_open(trace_dir("newer"), err, sizeof(err));
        char want[96];
        snprintf(want, sizeof(want), "trace format version %d is newer than "
                 "this rewind supports (%d)", TDB_FORMAT_VERSION + 1,
                 TDB_FORMAT_VERSION);
        CHECK(!r && strstr(err, want), "frame %d: %s", which,
              r ? "opened" : err);
        tdb_reader_close(r);
    }
    spit(path_of("newer", "events.zst"), file, len);
    TdbReader *r = open_trace("newer");
    tdb_reader_close(r);
    free(file);
    stream_free(&s);
}

static long minor_faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

/* The writer compresses a large checkpoint into a buffer on huge pages:
   16 MiB that do not compress fill 4096 fresh 4 KiB pages otherwise, a
   page fault each (the blob given here is touched already). */
static void test_output_on_huge_pages(void)
{
    if (!thp_madvise_works()) {
        printf("tracedb: no transparent huge pages here, the writer's "
               "output buffer not checked\n");
        return;
    }
    size_t len = 16u << 20;
    uint8_t *blob = malloc(len);
    CHECK(blob != NULL);
    if (!blob) {
        return;
    }
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < len; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(blob + i, &x, 8);
    }
    TdbWriter *w = create("huge");
    long before = minor_faults();
    CHECK(tdb_writer_checkpoint_give(w, 1, 2, blob, len, len) == 0 &&
          tdb_writer_wait(w) == 0, "checkpoint: %s", tdb_writer_error(w));
    long faults = minor_faults() - before;
    CHECK(faults < 1024, "%ld page faults compressing 16 MiB (4096 on "
          "4 KiB pages)", faults);
    CHECK(tdb_writer_close(w, 1, 2) == 0, "close");
}

static int synchronous_of(TdbIndex *x)
{
    sqlite3_stmt *st = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(tdb_index_db(x), "PRAGMA synchronous", -1, &st,
                           NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

/* A recording's index syncs nothing while the recording runs (it is not
   authoritative), and is synced from tdb_index_finish on: closing then
   checkpoints its log into the database durably. */
static void test_index_durability(void)
{
    char *path = trace_dir("durability.sqlite");
    char err[256];
    TdbIndex *x = tdb_index_create(path, false, err, sizeof(err));
    CHECK(x != NULL, "index create: %s", err);
    if (x) {
        CHECK(synchronous_of(x) == 0, "recording: synchronous %d, want 0 "
              "(OFF)", synchronous_of(x));
        CHECK(tdb_index_finish(x) == 0, "finish");
        CHECK(synchronous_of(x) == 1, "finished: synchronous %d, want 1 "
              "(NORMAL)", synchronous_of(x));
        tdb_index_close(x);
    }
}

int main(void)
{
    /* tmpfs when there is one: the truncation and corruption loops
       rewrite a file thousands of times. */
    const char *tmp = getenv("TMPDIR");
    if (!tmp) {
        tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    }
    snprintf(root, sizeof(root), "%s/tracedb_test.XXXXXX", tmp);
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_crc_and_names();
    test_writer_rejects();
    test_round_trip();
    test_checkpoints();
    test_abort();
    test_truncation();
    test_corruption();
    test_reindex();
    test_newer_version();
    test_index_durability();
    test_output_on_huge_pages();
    stream_free(&main_stream);
    rm_rf(root);
    return check_done("tracedb");
}
