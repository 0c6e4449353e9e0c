/*
 * Unit test of the trace writer's thread (tracedb/writer.c): the files a
 * threaded writer makes are byte for byte those of the single-threaded
 * mode (REWIND_TRACE_WRITER=sync) for the same calls, index rows included;
 * a checkpoint is written from the writer's own copy (the caller's buffer
 * may change at once) or from the buffer handed over; derived rows are
 * stored exactly as given, however a batch splits into INSERTs; a
 * checkpoint streamed in pieces is stored as the same bytes given whole,
 * through no more than two pieces of memory, and one whose pieces do not
 * add up to the size announced fails the writer. The worker is held back
 * by taking the index lock, which it needs after each frame, so the cases
 * are deterministic.
 */
#define _GNU_SOURCE
#include "tracedb/trace.h"
#include "tracedb/derived.h"
#include "tracedb/tracedb_int.h"
#include "tests/unit/check.h"

#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char root[256];

static const TdbKV meta[] = {
    { "argv", "[\"rewind\"]" },
    { "rewind_version", "test" },
    { "created_utc", "2026-01-01T00:00:00Z" },
};

static char *dir_of(const char *name)
{
    static char buf[4][512];
    static int slot;
    char *p = buf[slot++ % 4];
    snprintf(p, 512, "%s/%s", root, name);
    return p;
}

static TdbWriter *create(const char *name, bool sync)
{
    char err[512];
    if (sync) {
        setenv("REWIND_TRACE_WRITER", "sync", 1);
    } else {
        unsetenv("REWIND_TRACE_WRITER");
    }
    TdbWriter *w = tdb_writer_create(dir_of(name), meta, 3, NULL, 0, err,
                                     sizeof(err));
    unsetenv("REWIND_TRACE_WRITER");
    CHECK(w != NULL, "create %s: %s", name, err);
    if (!w) {
        exit(1);
    }
    return w;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    *len = 0;
    if (!f) {
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

static bool same_file(const char *a, const char *b, const char *name)
{
    char pa[600], pb[600];
    snprintf(pa, sizeof(pa), "%s/%s", dir_of(a), name);
    snprintf(pb, sizeof(pb), "%s/%s", dir_of(b), name);
    size_t la, lb;
    uint8_t *x = slurp(pa, &la), *y = slurp(pb, &lb);
    bool ok = x && y && la == lb && la > 0 && memcmp(x, y, la) == 0;
    free(x);
    free(y);
    return ok;
}

/* One text line per row of `sql` in the trace's index. */
static char *dump(const char *name, const char *sql)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/index.sqlite", dir_of(name));
    sqlite3 *db;
    sqlite3_stmt *q;
    size_t cap = 1 << 16, len = 0;
    char *out = calloc(1, cap);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
        snprintf(out, cap, "error: %s", sqlite3_errmsg(db));
        sqlite3_close(db);
        return out;
    }
    while (sqlite3_step(q) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(q); c++) {
            const unsigned char *t = sqlite3_column_text(q, c);
            const char *v = t ? (const char *)t : "NULL";
            size_t n = strlen(v);
            if (len + n + 3 > cap) {
                cap = 2 * (len + n + 3);
                out = realloc(out, cap);
            }
            memcpy(out + len, v, n);
            len += n;
            out[len++] = '|';
        }
        out[len++] = '\n';
        out[len] = 0;
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    return out;
}

/* Events, flushes and checkpoints of a few MiB (so the worker lags behind
   the caller) in a fixed order. */
static void write_stream(TdbWriter *w)
{
    uint64_t icount = 0, rng = 12345;
    uint8_t text[200];
    char err[400];
    TdbDerived *d = tdb_derived_new();
    for (int i = 0; i < 6000; i++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        icount += rng >> 54;
        size_t n = 1 + (size_t)(rng >> 57);
        for (size_t k = 0; k < n; k++) {
            text[k] = (uint8_t)('a' + (rng >> (k % 50)) % 26);
        }
        TdbEvent ev = { TDB_EV_CONSOLE, 0, icount, (uint32_t)n, text };
        CHECK(tdb_writer_append(w, &ev) == 0, "append: %s",
              tdb_writer_error(w));
        if (i % 3 == 0) {
            TdbTrapRow t = { .icount = icount, .cause = (uint32_t)i % 16,
                             .pc = rng, .ecall = i % 2 == 0, .nr = 93 };
            tdb_derived_trap(d, &t);
        }
        if (i % 700 == 11) {
            CHECK(tdb_writer_flush(w) == 0, "flush");
            CHECK(tdb_writer_derived(w, d, false, 0, err, sizeof(err)) == 0,
                  "derived rows: %s", err);
        }
        if (i % 900 == 899) {
            size_t len = (size_t)(1 + i / 900) << 20;
            uint8_t *blob = malloc(len);
            for (size_t k = 0; k < len; k++) {
                blob[k] = (uint8_t)((k * 2654435761u) >> (k % 13 + 8));
            }
            CHECK(tdb_writer_checkpoint_give(w, icount, rng, blob, len,
                                             len) == 0, "checkpoint");
        }
    }
    CHECK(tdb_writer_derived(w, d, true, icount, err, sizeof(err)) == 0,
          "last derived rows: %s", err);
    tdb_derived_free(d);
    CHECK(tdb_writer_close(w, icount + 5, 0xabcdef) == 0, "close");
}

static void test_same_bytes(void)
{
    write_stream(create("threaded", false));
    write_stream(create("sync", true));
    CHECK(same_file("threaded", "sync", "events.zst"),
          "events.zst: threaded == single-threaded");
    CHECK(same_file("threaded", "sync", "checkpoints.zst"),
          "checkpoints.zst: threaded == single-threaded");
    const char *sqls[] = {
        "SELECT * FROM frames ORDER BY frame",
        "SELECT * FROM checkpoints ORDER BY id",
        "SELECT * FROM events ORDER BY id",
        "SELECT * FROM console ORDER BY line",
        "SELECT * FROM traps ORDER BY id",
        "SELECT * FROM ecalls ORDER BY trap",
        "SELECT * FROM meta WHERE key LIKE 'derived%' ORDER BY key",
    };
    for (size_t i = 0; i < sizeof(sqls) / sizeof(sqls[0]); i++) {
        char *a = dump("threaded", sqls[i]), *b = dump("sync", sqls[i]);
        CHECK(strcmp(a, b) == 0 && strlen(a) > 20 && !strstr(a, "error"),
              "index rows equal: %s", sqls[i]);
        free(a);
        free(b);
    }
}

/* Every value of the derived rows as given: traps and ecalls are written
   32 rows to an INSERT and the rest one by one (tracedb/derived.c), so
   the batches here have 32-row groups, remainders and ecalls at uneven
   places, and the statements are reused from batch to batch. */
static void trap_of(unsigned i, TdbTrapRow *t)
{
    *t = (TdbTrapRow){ .icount = 1000 + 7ull * i, .hart = i % 3,
                       .cause = i % 16, .irq = i % 5 == 0,
                       .pc = 0xffffffff80000000ull + 4 * i, .tval = i * i,
                       .priv_from = i % 2, .priv_to = 1 + i % 3,
                       .ecall = i % 3 == 0 || i % 7 == 0, .nr = 64 + i };
    for (int a = 0; a < 7; a++) {
        t->args[a] = 100ull * i + (unsigned)a;
    }
}

static void test_derived_rows(void)
{
    static const unsigned batches[] = { 100, 32, 5, 64, 0, 33 };
    TdbWriter *w = create("derived", false);
    TdbDerived *d = tdb_derived_new();
    char err[400];
    unsigned n = 0;
    for (size_t b = 0; b < sizeof(batches) / sizeof(batches[0]); b++) {
        for (unsigned k = 0; k < batches[b]; k++, n++) {
            TdbTrapRow t;
            trap_of(n, &t);
            tdb_derived_trap(d, &t);
        }
        CHECK(tdb_writer_derived(w, d, false, 0, err, sizeof(err)) == 0,
              "derived batch %zu: %s", b, err);
    }
    CHECK(tdb_writer_derived(w, d, true, 5000, err, sizeof(err)) == 0,
          "last derived rows: %s", err);
    tdb_derived_free(d);
    CHECK(tdb_writer_close(w, 5000, 1) == 0, "close");

    char *traps = dump("derived", "SELECT * FROM traps ORDER BY id");
    char *ecalls = dump("derived", "SELECT * FROM ecalls ORDER BY trap");
    size_t cap = 1 << 16, tl = 0, el = 0;
    char *want_t = calloc(1, cap), *want_e = calloc(1, cap);
    for (unsigned i = 0; i < n; i++) {
        TdbTrapRow t;
        trap_of(i, &t);
        tl += (size_t)snprintf(want_t + tl, cap - tl,
                               "%u|%llu|%u|%u|%d|%lld|%llu|%u|%u|\n", i + 1,
                               (unsigned long long)t.icount, t.hart, t.cause,
                               t.irq, (long long)t.pc,
                               (unsigned long long)t.tval, t.priv_from,
                               t.priv_to);
        if (t.ecall) {
            el += (size_t)snprintf(want_e + el, cap - el,
                                   "%u|%llu|%u|%u|%llu|", i + 1,
                                   (unsigned long long)t.icount, t.hart,
                                   t.priv_from, (unsigned long long)t.nr);
            for (int a = 0; a < 7; a++) {
                el += (size_t)snprintf(want_e + el, cap - el, "%llu|",
                                       (unsigned long long)t.args[a]);
            }
            el += (size_t)snprintf(want_e + el, cap - el, "\n");
        }
    }
    CHECK(strcmp(traps, want_t) == 0, "traps rows as given:\n%.400s\n"
          "want:\n%.400s", traps, want_t);
    CHECK(strcmp(ecalls, want_e) == 0, "ecalls rows as given:\n%.400s\n"
          "want:\n%.400s", ecalls, want_e);
    free(traps);
    free(ecalls);
    free(want_t);
    free(want_e);
}

/* The caller overwrites its buffer right after tdb_writer_checkpoint, and
   a buffer given with _give is not handed back before it is written. */
static void test_own_copy(void)
{
    TdbWriter *w = create("copy", false);
    uint8_t text[] = "x";
    TdbEvent ev = { TDB_EV_CONSOLE, 0, 10, 1, text };
    TdbIndex *x = tdb_writer_index_lock(w);   /* holds the worker back */
    CHECK(x != NULL, "lock the index");
    CHECK(tdb_writer_append(w, &ev) == 0 && tdb_writer_flush(w) == 0,
          "a frame for the worker to stop at");
    enum { LEN = 100000 };
    uint8_t *mine = malloc(LEN), *want = malloc(LEN);
    for (size_t k = 0; k < LEN; k++) {
        mine[k] = want[k] = (uint8_t)(k * 7 + k / 300);
    }
    CHECK(tdb_writer_checkpoint(w, 20, 0x77, mine, LEN) == 0, "checkpoint");
    memset(mine, 0xee, LEN);   /* the machine runs on */
    uint8_t *given = malloc(LEN);
    memcpy(given, want, LEN);
    CHECK(tdb_writer_checkpoint_give(w, 30, 0x78, given, LEN, LEN) == 0,
          "checkpoint given");
    if (x) {
        tdb_writer_index_unlock(w);
    }
    CHECK(tdb_writer_wait(w) == 0, "wait: %s", tdb_writer_error(w));
    CHECK(tdb_writer_close(w, 40, 1) == 0, "close");

    char err[512];
    TdbReader *r = tdb_reader_open(dir_of("copy"), err, sizeof(err));
    CHECK(r != NULL, "open: %s", err);
    if (r) {
        const TdbCheckpoint *cl;
        CHECK(tdb_reader_checkpoints(r, &cl) == 2, "two checkpoints");
        for (size_t i = 0; i < 2; i++) {
            void *blob = NULL;
            size_t len = 0;
            CHECK(tdb_reader_load_checkpoint(r, i, &blob, &len) == 0 &&
                  len == LEN && memcmp(blob, want, LEN) == 0,
                  "checkpoint %zu holds the bytes at the time of the call", i);
            free(blob);
        }
        tdb_reader_close(r);
    }
    free(mine);
    free(want);
}

/* A streamed checkpoint announced as 5000 bytes whose one piece holds
   `give`: the writer must fail with `why` in its message. */
static void stream_wrong_size(const char *name, const uint8_t *bytes,
                              size_t give, const char *why)
{
    TdbWriter *w = create(name, false);
    size_t cap;
    uint8_t *p = NULL;
    CHECK(tdb_writer_stream_begin(w, 5000) == 0 &&
          (p = tdb_writer_stream_piece(w, &cap)) != NULL, "%s: begin", name);
    if (p) {
        memcpy(p, bytes, give);
        tdb_writer_stream_give(w, p, give);
    }
    tdb_writer_stream_end(w, 20, 0x52);
    CHECK(tdb_writer_wait(w) != 0 && strstr(tdb_writer_error(w), why),
          "%s: the writer fails (%s)", name, tdb_writer_error(w));
    CHECK(tdb_writer_close(w, 30, 3) != 0, "%s: close fails", name);
}

/* A 24 MiB checkpoint streamed in pieces (more than the writer's eight
   pieces of 2 MiB hold at once, so the recorder waits for the worker to
   give one back), threaded and single-threaded: the bytes a reader loads
   are the bytes given, as from tdb_writer_checkpoint; the pieces are at
   most eight buffers reused. A stream that gives fewer or more bytes than
   it announced fails (stream_wrong_size). */
static void test_streamed(void)
{
    enum { LEN = 24 << 20 };
    uint8_t *want = malloc(LEN);
    for (size_t k = 0; k < LEN; k++) {
        want[k] = (uint8_t)(k % 4096 < 300 ? k * 13 + k / 5000 : 0);
    }
    for (int sync = 0; sync < 2; sync++) {
        const char *name = sync ? "stream-sync" : "stream";
        TdbWriter *w = create(name, sync);
        CHECK(tdb_writer_checkpoint(w, 10, 0x51, want, LEN) == 0, "whole");
        CHECK(tdb_writer_stream_begin(w, LEN) == 0, "%s: begin", name);
        void *seen[16];
        size_t nseen = 0, off = 0;
        while (off < LEN) {
            size_t cap;
            uint8_t *p = tdb_writer_stream_piece(w, &cap);
            CHECK(p != NULL && cap >= 4096 + 8, "%s: a piece at %zu: %s",
                  name, off, tdb_writer_error(w));
            if (!p) {
                break;
            }
            size_t k = 0;
            while (k < nseen && seen[k] != p) {
                k++;
            }
            if (k == nseen && nseen < 16) {
                seen[nseen++] = p;
            }
            size_t n = LEN - off < cap - 100 ? LEN - off : cap - 100;
            memcpy(p, want + off, n);
            CHECK(tdb_writer_stream_give(w, p, n) == 0, "%s: give", name);
            off += n;
        }
        CHECK(tdb_writer_stream_end(w, 20, 0x52) == 0, "%s: end", name);
        CHECK(nseen <= 8, "%s: %zu piece buffers for a 24 MiB checkpoint",
              name, nseen);
        CHECK(tdb_writer_close(w, 30, 3) == 0, "%s: close: %s", name,
              tdb_writer_error(w));
        char err[512];
        TdbReader *r = tdb_reader_open(dir_of(name), err, sizeof(err));
        CHECK(r != NULL, "open: %s", err);
        const TdbCheckpoint *cl;
        for (size_t i = 0; r && i < 2 && tdb_reader_checkpoints(r, &cl) == 2;
             i++) {
            void *blob = NULL;
            size_t len = 0;
            CHECK(tdb_reader_load_checkpoint(r, i, &blob, &len) == 0 &&
                  len == LEN && memcmp(blob, want, LEN) == 0,
                  "%s: checkpoint %zu (%s) holds the bytes given", name, i,
                  i ? "streamed" : "whole");
            free(blob);
        }
        CHECK(r && tdb_reader_checkpoints(r, &cl) == 2, "%s: two "
              "checkpoints", name);
        if (r) {
            tdb_reader_close(r);
        }
    }
    /* Fewer bytes than announced, or more (refused at the piece that
       overflows): the writer fails, naming the sizes. */
    stream_wrong_size("stream-short", want, 4000,
                      "add up to 4000 bytes, not the 5000");
    stream_wrong_size("stream-long", want, 6000, "exceed its announced size");
    free(want);
}

static int rm_one(const char *p, const struct stat *st, int flag,
                  struct FTW *f)
{
    (void)st, (void)flag, (void)f;
    return remove(p);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof(root), "%s/trace_writer_test.XXXXXX",
             tmp ? tmp : "/tmp");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_same_bytes();
    test_own_copy();
    test_derived_rows();
    test_streamed();
    nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return check_done("trace_writer");
}
