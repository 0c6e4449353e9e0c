/*
 * Unit tests of tracedb's validation of hostile trace contents
 * (tracedb/validate.c and the strict META decoder): every invalid event
 * field is reported as corruption naming the event, metadata numbers are
 * parsed strictly, the writer refuses what the reader would refuse, and a
 * FIFO or a directory in place of a trace file is refused at once.
 */
#define _GNU_SOURCE
#include "tracedb/tracedb_int.h"
#include "tests/unit/check.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[256];

/* ---- a frame's events, built with the real encoder ---- */

typedef struct Frame {
    TdbBuf b;
    uint32_t n;
    uint64_t first, last;
    bool have;
} Frame;

static void add(Frame *f, uint32_t kind, uint32_t hart, uint64_t icount,
                const void *data, uint32_t len)
{
    TdbEvent ev = { kind, hart, icount, len, data };
    tdb_event_encode(&f->b, &ev, f->have ? &f->last : NULL);
    if (!f->have) {
        f->first = icount;
    }
    f->have = true;
    f->last = icount;
    f->n++;
}

/* Checks f as frame `first ? 0 : 1` of a trace; returns the reason. */
static const char *check(Frame *f, uint32_t harts, bool first, bool final,
                         bool has_next, bool next_lone_end)
{
    static char buf[256];
    TdbFrameRules r = {
        .harts = harts, .first_frame = first, .final = final,
        .n_events = f->n, .first_icount = f->first, .last_icount = f->last,
        .has_next = has_next, .next_is_lone_end = next_lone_end,
    };
    const char *why = tdb_frame_check(&r, f->b.p, f->b.len, buf, sizeof(buf));
    tdb_buf_free(&f->b);
    memset(f, 0, sizeof(*f));
    return why;
}

static bool has(const char *why, const char *needle)
{
    if (why && strstr(why, needle)) {
        return true;
    }
    printf("  reason \"%s\" lacks \"%s\"\n", why ? why : "(none)", needle);
    return false;
}

static const uint8_t u64zero[8], end_pl[8] = { 1 }, rx_ok[2] = { 0, 'a' },
                     rx_200[2] = { 200, 'a' }, rx_4[2] = { 4, 'a' },
                     shut[4];

static void test_event_fields(void)
{
    Frame f = { 0 };
    /* A good frame. */
    add(&f, TDB_EV_SERIAL_RX, 0, 10, rx_ok, 2);
    add(&f, TDB_EV_CONSOLE, 1, 20, "hi\n", 3);
    add(&f, TDB_EV_END, 0, 30, end_pl, 8);
    CHECK(check(&f, 2, false, true, false, false) == NULL, "good frame");

    add(&f, TDB_EV_SERIAL_RX, 0, 10, rx_200, 2);
    const char *why = check(&f, 1, false, false, false, false);
    CHECK(has(why, "serial port 200 out of range") && has(why, "icount 10"),
          "port 200");
    add(&f, TDB_EV_SERIAL_RX, 0, 10, rx_4, 2);
    CHECK(has(check(&f, 1, false, false, false, false), "serial port 4"),
          "port 4");
    add(&f, TDB_EV_SERIAL_RX, 0, 10, NULL, 0);
    CHECK(has(check(&f, 1, false, false, false, false), "payload"),
          "SERIAL_RX without its port byte");

    add(&f, TDB_EV_CONSOLE, 7, 10, "x", 1);
    CHECK(has(check(&f, 1, false, false, false, false), "hart 7 out of range"),
          "hart 7 of 1");
    add(&f, TDB_EV_CONSOLE, 3, 10, "x", 1);
    CHECK(check(&f, 4, false, false, false, false) == NULL, "hart 3 of 4");

    add(&f, TDB_EV_IDLE_SKIP, 0, 10, u64zero, 4);
    CHECK(has(check(&f, 1, false, false, false, false), "payload length"),
          "IDLE_SKIP of 4 bytes");
    add(&f, 10, 0, 10, NULL, 0);
    CHECK(has(check(&f, 1, false, false, false, false), "unknown event kind"),
          "kind 10");
    static const uint8_t conn_bad[2] = { 1, 2 }, pcon_0[2] = { 0, 'x' };
    add(&f, TDB_EV_SERIAL_CONNECT, 0, 10, conn_bad, 2);
    CHECK(has(check(&f, 1, false, false, false, false), "connection state"),
          "SERIAL_CONNECT state 2");
    add(&f, TDB_EV_PORT_CONSOLE, 0, 10, pcon_0, 2);
    CHECK(has(check(&f, 1, false, false, false, false), "console port"),
          "PORT_CONSOLE for port 0");

    add(&f, TDB_EV_META, 0, 0, "a=b", 4);
    CHECK(has(check(&f, 1, false, false, false, false), "META"),
          "META in a later frame");
    add(&f, TDB_EV_META, 0, 5, "a=b", 4);
    CHECK(has(check(&f, 1, true, false, false, false), "META must be at icount 0"),
          "META at icount 5");
    add(&f, TDB_EV_CONSOLE, 0, 0, "x", 1);
    CHECK(has(check(&f, 1, true, false, false, false), "META"),
          "frame 0 without META");

    add(&f, TDB_EV_END, 0, 10, end_pl, 8);
    add(&f, TDB_EV_CONSOLE, 0, 10, "x", 1);
    CHECK(has(check(&f, 1, false, true, false, false), "END event before"),
          "END not last");

    uint8_t ck[32] = { 0 };
    tdb_put_u64(ck, 500);
    add(&f, TDB_EV_CHECKPOINT, 0, 10, ck, 32);
    CHECK(has(check(&f, 1, false, false, false, false), "checkpoint at icount 500"),
          "CHECKPOINT naming another icount");
    tdb_put_u64(ck, 10);
    add(&f, TDB_EV_CHECKPOINT, 0, 10, ck, 32);
    CHECK(check(&f, 1, false, false, false, false) == NULL, "good CHECKPOINT");
}

static void test_shutdown_only_at_end(void)
{
    Frame f = { 0 };
    add(&f, TDB_EV_SHUTDOWN, 0, 10, shut, 4);
    add(&f, TDB_EV_CONSOLE, 0, 10, "x", 1);
    CHECK(has(check(&f, 1, false, false, false, false), "after SHUTDOWN"),
          "event after SHUTDOWN in the frame");
    add(&f, TDB_EV_SHUTDOWN, 0, 10, shut, 4);
    add(&f, TDB_EV_SERIAL_RX, 0, 11, rx_ok, 2);
    CHECK(has(check(&f, 1, false, false, false, false), "after SHUTDOWN"),
          "input after SHUTDOWN");
    add(&f, TDB_EV_SHUTDOWN, 0, 10, shut, 4);
    add(&f, TDB_EV_END, 0, 10, end_pl, 8);
    CHECK(check(&f, 1, false, true, false, false) == NULL, "SHUTDOWN then END");
    add(&f, TDB_EV_SHUTDOWN, 0, 10, shut, 4);
    CHECK(has(check(&f, 1, false, false, true, false), "SHUTDOWN before the end"),
          "SHUTDOWN, then a frame with more than END");
    add(&f, TDB_EV_SHUTDOWN, 0, 10, shut, 4);
    CHECK(check(&f, 1, false, false, true, true) == NULL,
          "SHUTDOWN, then a frame with only END");
    add(&f, TDB_EV_SHUTDOWN, 0, 10, shut, 4);
    CHECK(check(&f, 1, false, false, false, false) == NULL,
          "SHUTDOWN ending a truncated trace");
}

static void test_parse_u64(void)
{
    uint64_t v = 99;
    CHECK(tdb_parse_u64("0", 10, &v) && v == 0, "0");
    CHECK(tdb_parse_u64("56", 56, &v) && v == 56, "56");
    CHECK(!tdb_parse_u64("57", 56, &v), "57 > 56");
    CHECK(!tdb_parse_u64("2000000000", 56, &v), "2e9");
    CHECK(!tdb_parse_u64("-5", 56, &v), "-5");
    CHECK(!tdb_parse_u64("+5", 56, &v) && !tdb_parse_u64(" 5", 56, &v) &&
          !tdb_parse_u64("5 ", 56, &v) && !tdb_parse_u64("05", 56, &v) &&
          !tdb_parse_u64("", 56, &v) && !tdb_parse_u64(NULL, 56, &v) &&
          !tdb_parse_u64("0x5", 56, &v), "junk");
    CHECK(tdb_parse_u64("18446744073709551615", UINT64_MAX, &v) &&
          v == UINT64_MAX, "max u64");
    CHECK(!tdb_parse_u64("18446744073709551616", UINT64_MAX, &v) &&
          !tdb_parse_u64("99999999999999999999999", UINT64_MAX, &v),
          "overflow");
}

static int meta(const char *payload, size_t len, const char **why)
{
    TdbMeta m;
    int rc = tdb_meta_decode(&m, (const uint8_t *)payload, len, why);
    if (rc == 0) {
        tdb_meta_free(&m);
    }
    return rc;
}

#define META_OF(s) (s), sizeof(s) - 1

static void test_meta_strict(void)
{
    const char *why = "";
    CHECK(meta(META_OF("a=1\0b=2\0input.0.name=k\0input.0.path=/k\0"
                       "input.0.size=12\0input.0.hash=ab\0"), &why) == 0,
          "good META: %s", why);
    CHECK(meta(META_OF("a=1\0a=2\0"), &why) < 0 && has(why, "twice"),
          "duplicate key");
    CHECK(meta(META_OF("input.0.name=k\0input.0.path=/k\0input.0.size=1\0"),
               &why) < 0 && has(why, "lacks a field"), "input without hash");
    CHECK(meta(META_OF("input.1.name=k\0input.1.path=/k\0input.1.size=1\0"
                       "input.1.hash=x\0"), &why) < 0 && has(why, "lacks"),
          "input 1 without input 0");
    CHECK(meta(META_OF("input.0.name=k\0input.0.path=/k\0input.0.size=1x\0"
                       "input.0.hash=x\0"), &why) < 0 && has(why, "size"),
          "size not a number");
    CHECK(meta(META_OF("input.99999999999999999999.name=k\0"), &why) < 0,
          "huge input number");
    CHECK(meta(META_OF("input.-1.name=k\0"), &why) < 0, "negative input");
    CHECK(meta(META_OF("input.0.colour=k\0"), &why) < 0, "unknown field");
    CHECK(meta(META_OF("=1\0"), &why) < 0, "empty key");
    CHECK(meta(META_OF("a=1"), &why) < 0, "no final NUL");
    size_t n = (TDB_MAX_META_ENTRIES + 1) * 4;
    char *many = malloc(n);
    for (size_t i = 0; i < n; i += 4) {
        memcpy(many + i, "a=b", 4);
    }
    CHECK(meta(many, n, &why) < 0 && has(why, "too many"), "too many entries");
    free(many);
}

static void test_writer_refuses(void)
{
    char err[512], dir[300];
    TdbKV kv[] = { { "harts", "2" } };
    snprintf(dir, sizeof(dir), "%s/w", root);
    TdbWriter *w = tdb_writer_create(dir, kv, 1, NULL, 0, err, sizeof(err));
    CHECK(w != NULL, "create: %s", err);
    TdbEvent ev = { TDB_EV_SERIAL_RX, 0, 5, 2, rx_4 };
    CHECK(tdb_writer_append(w, &ev) < 0 &&
          has(tdb_writer_error(w), "serial port"), "port 4 written");
    tdb_writer_abort(w);

    snprintf(dir, sizeof(dir), "%s/w2", root);
    w = tdb_writer_create(dir, kv, 1, NULL, 0, err, sizeof(err));
    ev = (TdbEvent){ TDB_EV_CONSOLE, 1, 5, 1, (const uint8_t *)"x" };
    CHECK(tdb_writer_append(w, &ev) == 0, "hart 1 of 2");
    ev.hart = 2;
    CHECK(tdb_writer_append(w, &ev) < 0 && has(tdb_writer_error(w), "hart 2"),
          "hart 2 of 2 written");
    tdb_writer_abort(w);

    snprintf(dir, sizeof(dir), "%s/w3", root);
    w = tdb_writer_create(dir, kv, 1, NULL, 0, err, sizeof(err));
    ev = (TdbEvent){ TDB_EV_SHUTDOWN, 0, 5, 4, shut };
    CHECK(tdb_writer_append(w, &ev) == 0, "SHUTDOWN");
    CHECK(tdb_writer_checkpoint(w, 5, 1, "x", 1) < 0 &&
          has(tdb_writer_error(w), "after SHUTDOWN"), "checkpoint after SHUTDOWN");
    tdb_writer_abort(w);
    snprintf(dir, sizeof(dir), "%s/w4", root);
    w = tdb_writer_create(dir, kv, 1, NULL, 0, err, sizeof(err));
    CHECK(tdb_writer_append(w, &ev) == 0, "SHUTDOWN");
    ev = (TdbEvent){ TDB_EV_SERIAL_RX, 0, 6, 2, rx_ok };
    CHECK(tdb_writer_append(w, &ev) < 0 &&
          has(tdb_writer_error(w), "after SHUTDOWN"), "input after SHUTDOWN");
    tdb_writer_abort(w);
    snprintf(dir, sizeof(dir), "%s/w5", root);
    w = tdb_writer_create(dir, kv, 1, NULL, 0, err, sizeof(err));
    ev = (TdbEvent){ TDB_EV_SHUTDOWN, 0, 5, 4, shut };
    CHECK(tdb_writer_append(w, &ev) == 0 && tdb_writer_close(w, 7, 9) == 0,
          "SHUTDOWN then END");
    TdbReader *r = tdb_reader_open(dir, err, sizeof(err));
    TdbEvent got;
    int n = 0, rc;
    while (r && (rc = tdb_reader_next(r, &got)) > 0) {
        n++;
    }
    CHECK(r && rc == 0 && n == 3, "SHUTDOWN + END trace reads back: %s",
          r ? tdb_reader_error(r) : err);
    tdb_reader_close(r);

    TdbKV bad[] = { { "harts", "-1" } };
    snprintf(dir, sizeof(dir), "%s/w6", root);
    CHECK(!tdb_writer_create(dir, bad, 1, NULL, 0, err, sizeof(err)) &&
          has(err, "harts"), "harts=-1 written");
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st, (void)flag, (void)f;
    return remove(p);
}

/* Each trace file replaced by a FIFO or a directory: refused at once. */
static void test_not_regular(void)
{
    static const char *const names[] = { "events.zst", "checkpoints.zst",
                                         "index.sqlite", "index.sqlite-wal" };
    char err[512], dir[300], path[400];
    check_hang_guard(10, "a trace command waits on a FIFO");
    for (size_t i = 0; i < 4; i++) {
        for (int fifo = 0; fifo < 2; fifo++) {
            snprintf(dir, sizeof(dir), "%s/nr%zu%d", root, i, fifo);
            TdbWriter *w = tdb_writer_create(dir, NULL, 0, NULL, 0, err,
                                             sizeof(err));
            tdb_writer_close(w, 1, 2);
            snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
            unlink(path);
            if (fifo ? mkfifo(path, 0600) : mkdir(path, 0700)) {
                perror(path);
                exit(2);
            }
            TdbReader *r = tdb_reader_open(dir, err, sizeof(err));
            CHECK(!r && has(err, path) && has(err, fifo ? "a FIFO, not a "
                  "regular file" : "a directory, not a regular file"),
                  "%s as %s", fifo ? "FIFO" : "directory", names[i]);
            tdb_reader_close(r);
            if (i < 2) {
                CHECK(tdb_reindex(dir, err, sizeof(err)) < 0 && has(err, path),
                      "reindex with %s", names[i]);
            }
        }
    }
    check_hang_guard(0, NULL);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp) {
        tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    }
    snprintf(root, sizeof(root), "%s/trace_validate_test.XXXXXX", tmp);
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_event_fields();
    test_shutdown_only_at_end();
    test_parse_u64();
    test_meta_strict();
    test_writer_refuses();
    test_not_regular();
    nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return check_done("trace_validate");
}
