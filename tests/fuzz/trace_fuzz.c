/*
 * Fuzz target for the trace reader: whatever bytes a trace holds, opening,
 * reading, seeking, indexing and replay's metadata checks must end in an
 * event stream that obeys the format's rules or in an error, never in a
 * crash, a hang, an overrun or an allocation sized by the file.
 *
 * The first input byte picks what the rest of the input becomes, next to
 * the parts of a real seed trace (tests/fuzz/seeds/priv_irq.rwd, recorded
 * from a guest with serial input and eight checkpoints):
 *   0  the whole of events.zst (headers, CRCs, zstd frames);
 *   1  the decompressed events of one frame, wrapped in a valid header and
 *      zstd frame after the seed's META frame, so the event decoder and
 *      the stream rules are reached past the checksums;
 *   2  the META payload (metadata parsing, format_version, harts, and
 *      replay's command-line checks through rr_replay_open);
 *   3  the whole of checkpoints.zst (with the seed's events);
 *   4  one checkpoint blob wrapped in a valid RWCK record.
 * Each case is written to a scratch trace directory and read through the
 * public API (tdb_reader_*, tdb_reindex, rr_replay_open).
 *
 * Built with -fsanitize=fuzzer -DREWIND_LIBFUZZER it is a libFuzzer target:
 *   clang -g -O1 -fsanitize=fuzzer,address -DREWIND_LIBFUZZER -I. \
 *         -DTRACE_FUZZ_SEEDS='"tests/fuzz/seeds/priv_irq.rwd"' \
 *         tests/fuzz/trace_fuzz.c build/librewind.a $(pkg-config --libs \
 *         libzstd sqlite3 glib-2.0) -lfdt -lm -o trace_fuzz
 * Otherwise main() runs a fixed number of pseudo-random mutations of the
 * seed's parts in every mode, so it runs as an ordinary (bounded) test.
 */
#define _GNU_SOURCE
#include "replay/rr.h"
#include "tracedb/tracedb_int.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#ifndef TRACE_FUZZ_SEEDS
#define TRACE_FUZZ_SEEDS "tests/fuzz/seeds/priv_irq.rwd"
#endif

enum { MODE_EVENTS, MODE_FRAME, MODE_META, MODE_CKPTS, MODE_BLOB, MODES };

typedef struct Bytes {
    uint8_t *p;
    size_t len;
} Bytes;

static struct {
    Bytes events, ckpts;     /* the seed's files */
    Bytes frame0;            /* its META frame, header included */
    Bytes rest;              /* its frames after frame 0 */
    Bytes meta;              /* the META payload */
    Bytes raw1;              /* decompressed events of its frame 1.. (one) */
    Bytes blob;              /* checkpoint 0's blob */
} seed;

static char dir[256];
static unsigned long opened, events_read, refused, read_errors;

static void fail(const char *what)
{
    fprintf(stderr, "trace_fuzz: %s\n", what);
    abort();
}

static Bytes slurp(const char *path)
{
    Bytes b = { 0 };
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    b.p = malloc(1 << 20);
    b.len = fread(b.p, 1, 1 << 20, f);
    fclose(f);
    return b;
}

static void spit(const char *name, const void *p, size_t len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || (len && write(fd, p, len) != (ssize_t)len)) {
        perror(path);
        exit(2);
    }
    close(fd);
}

/* The seed's format version (its first header's): fuzzed records keep
   it, so that META and frame headers agree as in a real trace. */
static uint32_t seed_version(void)
{
    return tdb_get_u32(seed.events.p + 12);
}

/* A valid RWEV record for raw (decompressed) events. The header fields
   are taken from a lenient walk of the events, so that the reader's own
   checks, not a header mismatch, decide. */
static size_t wrap_frame(uint8_t *out, size_t cap, uint64_t number,
                         const uint8_t *raw, size_t len)
{
    TdbCursor c;
    TdbEvent ev = { 0 };
    const char *why;
    uint64_t first = 0;
    uint32_t kind = 0;
    tdb_cursor_init(&c, raw, len);
    while (tdb_cursor_next(&c, &ev, &why) > 0) {
        if (c.index == 1) {
            first = ev.icount;
        }
        kind = ev.kind;
    }
    size_t n = ZSTD_compress(out + TDB_HDR_SIZE, cap - TDB_HDR_SIZE, raw, len, 1);
    if (ZSTD_isError(n)) {
        fail("compress");
    }
    TdbFrameHdr h = {
        .version = seed_version(), .number = number,
        .first_icount = first, .last_icount = c.icount,
        .n_events = c.index ? c.index : 1,
        .flags = kind == TDB_EV_END ? TDB_FRAME_FINAL : 0,
        .data_len = (uint32_t)n, .raw_len = (uint32_t)len,
        .data_crc = tdb_crc32(0, out + TDB_HDR_SIZE, n),
    };
    tdb_frame_hdr_encode(out, &h);
    return TDB_HDR_SIZE + n;
}

static size_t wrap_ckpt(uint8_t *out, size_t cap, const uint8_t *blob,
                        size_t len)
{
    size_t n = ZSTD_compress(out + TDB_HDR_SIZE, cap - TDB_HDR_SIZE, blob, len, 1);
    if (ZSTD_isError(n)) {
        fail("compress");
    }
    TdbCkptHdr h = {   /* as checkpoint 0 of the seed */
        .version = seed_version(), .icount = tdb_get_u64(seed.ckpts.p + 24),
        .state_hash = tdb_get_u64(seed.ckpts.p + 32),
        .raw_len = len, .data_len = n,
        .data_crc = tdb_crc32(0, out + TDB_HDR_SIZE, n),
    };
    tdb_ckpt_hdr_encode(out, &h);
    return TDB_HDR_SIZE + n;
}

/* Everything a reader hands out must obey the rules it promises. */
static void read_back(void)
{
    char err[1024];
    TdbReader *r = tdb_reader_open(dir, err, sizeof(err));
    if (!r) {
        if (!strstr(err, dir)) {
            fprintf(stderr, "%s\n", err);
            fail("an open error does not name the trace");
        }
        refused++;
        return;
    }
    opened++;
    const char *fv = tdb_reader_meta(r, "format_version");
    char want[16];
    snprintf(want, sizeof(want), "%u", seed_version());
    if (!fv || strcmp(fv, want) != 0) {
        fail("opened a trace whose META format_version is not its frames'");
    }
    const char *hs = tdb_reader_meta(r, "harts");
    uint64_t harts = 1;
    if (hs && !tdb_parse_u64(hs, TDB_MAX_HARTS, &harts)) {
        fail("opened a trace with a malformed harts");
    }
    TdbEvent ev;
    uint64_t prev = 0, n = 0;
    bool shut = false;
    int rc;
    while ((rc = tdb_reader_next(r, &ev)) > 0) {
        char line[256];
        /* Checked here again, not only through tdb_event_check, so that
           a rule dropped from the reader shows. */
        bool bad_port = ev.kind == TDB_EV_SERIAL_RX &&
                        (ev.len == 0 || ev.data[0] >= TDB_SERIAL_PORTS);
        if (tdb_event_check(&ev) || bad_port || ev.icount < prev ||
            ev.hart >= harts || (n == 0) != (ev.kind == TDB_EV_META) ||
            (ev.kind == TDB_EV_META && ev.icount != 0) ||
            (shut && ev.kind != TDB_EV_END)) {
            fail("the reader returned an event breaking the stream rules");
        }
        shut |= ev.kind == TDB_EV_SHUTDOWN;
        tdb_event_describe(&ev, line, sizeof(line));
        prev = ev.icount;
        n++;
    }
    events_read += n;
    read_errors += rc < 0;
    if (rc < 0 && !strstr(tdb_reader_error(r), dir)) {
        fail("a read error does not name the trace");
    }
    const TdbCheckpoint *ck;
    size_t nck = tdb_reader_checkpoints(r, &ck);
    for (size_t i = 0; i < nck && i < 3; i++) {
        void *blob;
        size_t len;
        if (tdb_reader_load_checkpoint(r, i, &blob, &len) == 0) {
            free(blob);
        }
    }
    tdb_reader_seek(r, prev / 2);
    tdb_reader_next(r, &ev);
    tdb_reader_close(r);

    RRSession *s = rr_replay_open(dir, err, sizeof(err));
    if (s) {
        int argc;
        char **argv;
        rr_replay_argv(s, &argc, &argv);
        if (argc < 0 || argc > 64) {
            fail("replay accepted an out-of-range argc");
        }
        for (int i = 0; i < argc; i++) {
            if (!argv[i]) {
                fail("replay accepted a missing argument");
            }
        }
        rr_replay_finish(s, err, sizeof(err));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[TDB_MAX_FRAME_RAW + (1 << 20)];
    if (size == 0) {
        return 0;
    }
    unsigned mode = data[0] % MODES;
    data++;
    size--;
    char path[512];
    snprintf(path, sizeof(path), "%s/" TDB_INDEX_FILE, dir);
    unlink(path);
    switch (mode) {
    case MODE_EVENTS:
        spit(TDB_EVENTS_FILE, data, size);
        spit(TDB_CKPTS_FILE, seed.ckpts.p, seed.ckpts.len);
        break;
    case MODE_FRAME: {
        if (size > TDB_MAX_FRAME_RAW) {
            return 0;
        }
        memcpy(buf, seed.frame0.p, seed.frame0.len);
        size_t n = seed.frame0.len;
        n += wrap_frame(buf + n, sizeof(buf) - n, 1, data, size);
        spit(TDB_EVENTS_FILE, buf, n);
        spit(TDB_CKPTS_FILE, seed.ckpts.p, seed.ckpts.len);
        break;
    }
    case MODE_META: {
        if (size > TDB_MAX_FRAME_RAW / 2) {
            return 0;
        }
        /* One META event holding the bytes, then the seed's frames. */
        static uint8_t raw[TDB_MAX_FRAME_RAW];
        TdbBuf b = { raw, 0, sizeof(raw) };
        TdbEvent ev = { TDB_EV_META, 0, 0, (uint32_t)size, data };
        tdb_event_encode(&b, &ev, NULL);
        size_t n = wrap_frame(buf, sizeof(buf), 0, raw, b.len);
        memcpy(buf + n, seed.rest.p, seed.rest.len);
        spit(TDB_EVENTS_FILE, buf, n + seed.rest.len);
        spit(TDB_CKPTS_FILE, seed.ckpts.p, seed.ckpts.len);
        break;
    }
    case MODE_CKPTS:
        spit(TDB_EVENTS_FILE, seed.events.p, seed.events.len);
        spit(TDB_CKPTS_FILE, data, size);
        break;
    default: {
        if (size > (1 << 20)) {
            return 0;
        }
        size_t n = wrap_ckpt(buf, sizeof(buf), data, size);
        spit(TDB_EVENTS_FILE, seed.events.p, seed.events.len);
        spit(TDB_CKPTS_FILE, buf, n);
        break;
    }
    }
    read_back();
    if (mode == MODE_FRAME || mode == MODE_META) {
        /* The index builder walks the same events (summaries, console). */
        char err[1024];
        tdb_reindex(dir, err, sizeof(err));
    }
    return 0;
}

/* Splits the seed trace into the parts the modes start from. */
static void load_seed(void)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/" TDB_EVENTS_FILE, TRACE_FUZZ_SEEDS);
    seed.events = slurp(path);
    snprintf(path, sizeof(path), "%s/" TDB_CKPTS_FILE, TRACE_FUZZ_SEEDS);
    seed.ckpts = slurp(path);
    if (seed.events.len < 2 * TDB_HDR_SIZE) {
        fail("seed events.zst too short");
    }
    size_t f0 = TDB_HDR_SIZE + tdb_get_u32(seed.events.p + 48);
    seed.frame0 = (Bytes){ seed.events.p, f0 };
    seed.rest = (Bytes){ seed.events.p + f0, seed.events.len - f0 };

    static uint8_t raw[2][TDB_MAX_FRAME_RAW];
    /* META payload: skip the event's four varints. */
    size_t n = ZSTD_decompress(raw[0], sizeof(raw[0]), seed.events.p + 64,
                               f0 - 64);
    TdbCursor c;
    TdbEvent ev;
    const char *why;
    tdb_cursor_init(&c, raw[0], ZSTD_isError(n) ? 0 : n);
    if (tdb_cursor_next(&c, &ev, &why) <= 0 || ev.kind != TDB_EV_META) {
        fail("seed frame 0 is not META");
    }
    seed.meta = (Bytes){ (uint8_t *)ev.data, ev.len };
    /* The largest later frame's events. */
    size_t best = 0;
    for (size_t off = f0; off + TDB_HDR_SIZE <= seed.events.len;) {
        uint32_t dl = tdb_get_u32(seed.events.p + off + 48);
        n = ZSTD_decompress(raw[1] + 0, sizeof(raw[1]),
                            seed.events.p + off + TDB_HDR_SIZE, dl);
        if (!ZSTD_isError(n) && n > best) {
            best = n;
            free(seed.raw1.p);
            seed.raw1.p = malloc(n);
            memcpy(seed.raw1.p, raw[1], n);
            seed.raw1.len = n;
        }
        off += TDB_HDR_SIZE + dl;
    }
    uint64_t ckl = tdb_get_u64(seed.ckpts.p + 48);
    static uint8_t blob[1 << 22];
    n = ZSTD_decompress(blob, sizeof(blob), seed.ckpts.p + TDB_HDR_SIZE, ckl);
    if (ZSTD_isError(n) || !seed.raw1.p) {
        fail("seed trace unreadable");
    }
    seed.blob = (Bytes){ blob, n };
}

static void make_dir(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/trace_fuzz.XXXXXX",
             base && *base ? base : access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                                                                  : "/tmp");
    if (!mkdtemp(dir)) {
        perror(dir);
        exit(2);
    }
}

static void remove_dir(void)
{
    static const char *const names[] = {
        TDB_EVENTS_FILE, TDB_CKPTS_FILE, TDB_INDEX_FILE, TDB_INDEX_FILE ".tmp",
        TDB_INDEX_FILE "-wal", TDB_INDEX_FILE "-shm",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

#ifdef REWIND_LIBFUZZER
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    load_seed();
    make_dir();
    atexit(remove_dir);
    return 0;
}
#else
static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Mutations a fuzzer would make: flips, interesting values (also at the
   offsets of varints and header fields), cuts, duplications, inserts. */
static size_t mutate(uint8_t *p, size_t len, size_t cap)
{
    static const uint8_t special[] = { 0x00, 0xff, 0x7f, 0x80, 0x01, 0x02,
                                       0x05, 0x10, 0x11, 0x12, 0xc8, '=' };
    unsigned rounds = 1 + (unsigned)(next_rand() % 4);
    for (unsigned k = 0; k < rounds; k++) {
        uint64_t r = next_rand();
        size_t at = len ? (size_t)(next_rand() % len) : 0;
        switch (r % 6) {
        case 0:
            if (len) {
                p[at] ^= (uint8_t)(1u << ((r >> 8) % 8));
            }
            break;
        case 1:
            if (len) {
                p[at] = special[(r >> 8) % sizeof(special)];
            }
            break;
        case 2:
            len = at;   /* cut */
            break;
        case 3: {       /* duplicate a slice at the end */
            size_t n = (size_t)((r >> 8) % 64);
            if (at + n <= len && len + n <= cap) {
                memmove(p + len, p + at, n);
                len += n;
            }
            break;
        }
        case 4:         /* insert a byte */
            if (len < cap) {
                memmove(p + at + 1, p + at, len - at);
                p[at] = special[(r >> 8) % sizeof(special)];
                len++;
            }
            break;
        default:        /* a multi-byte value: varint, u32, u64 */
            for (unsigned i = 0; i < 1 + (r >> 8) % 8 && at + i < len; i++) {
                p[at + i] = (uint8_t)(next_rand() >> 13);
            }
        }
    }
    return len;
}

/* Puts one plausible event in front of a frame's events: a known (or
   unknown) kind, a small hart number, a payload of about the right size
   whose first byte is an interesting value (a serial port number for
   SERIAL_RX). Byte mutations rarely build a whole valid event; this
   reaches the per-field rules directly. */
static size_t inject(uint8_t *p, size_t len, size_t cap)
{
    static const uint32_t kinds[] = { 1, 2, 2, 2, 3, 4, 5, 6, 7, 16, 17, 18, 99 };
    static const uint8_t firsts[] = { 0, 1, 3, 4, 200, 255 };
    static uint8_t out[1 << 16], pl[40];
    TdbCursor c;
    TdbEvent first;
    const char *why;
    tdb_cursor_init(&c, p, len);
    if (len > sizeof(out) - 128 || tdb_cursor_next(&c, &first, &why) <= 0) {
        return len;
    }
    uint64_t r = next_rand();
    TdbEvent ev = { kinds[r % 13], (uint32_t)((r >> 8) % 3), first.icount, 0, pl };
    static const uint8_t sizes[] = { 0, 8, 2, 8, 8, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0,
                                     0, 3, 32, 8 };
    ev.len = ev.kind < sizeof(sizes) ? sizes[ev.kind] : 1;
    ev.len += (uint32_t)((r >> 16) % 8 == 0);   /* sometimes one too many */
    for (uint32_t i = 0; i < ev.len; i++) {
        pl[i] = (uint8_t)(next_rand() >> 9);
    }
    if (ev.len) {
        pl[0] = firsts[(r >> 20) % sizeof(firsts)];
    }
    if (ev.kind == TDB_EV_CHECKPOINT && (r >> 24) % 2) {
        tdb_put_u64(pl, ev.icount);
    }
    TdbBuf b = { out, 0, sizeof(out) };
    tdb_event_encode(&b, &ev, NULL);
    tdb_event_encode(&b, &first, &ev.icount);
    size_t rest = (size_t)(c.end - c.p);
    if (b.len + rest > cap) {
        return len;
    }
    memcpy(out + b.len, c.p, rest);
    memcpy(p, out, b.len + rest);
    return b.len + rest;
}

int main(int argc, char **argv)
{
    unsigned long iterations = argc > 1 ? strtoul(argv[1], NULL, 10) : 4000;
    static uint8_t in[(1 << 21) + 1];
    load_seed();
    make_dir();
    const Bytes *base[MODES] = { &seed.events, &seed.raw1, &seed.meta,
                                 &seed.ckpts, &seed.blob };
    for (unsigned long i = 0; i < iterations; i++) {
        unsigned mode = (unsigned)(i % MODES);
        const Bytes *b = base[mode];
        size_t len = b->len < sizeof(in) - 1 ? b->len : sizeof(in) - 1;
        in[0] = (uint8_t)mode;
        memcpy(in + 1, b->p, len);
        /* Every 25th case is the unmodified seed part: it must open. */
        if (i % (25 * MODES) >= MODES) {
            if (mode == MODE_FRAME && next_rand() % 2) {
                len = inject(in + 1, len, sizeof(in) - 1);
            } else {
                len = mutate(in + 1, len, sizeof(in) - 1);
            }
        }
        unsigned long before = opened;
        LLVMFuzzerTestOneInput(in, len + 1);
        /* (A re-wrapped blob differs from the recorded record, so whether
           it opens is the checkpoint checks' business.) */
        if (i % (25 * MODES) < MODES && mode != MODE_BLOB &&
            opened == before) {
            fprintf(stderr, "trace_fuzz: mode %u: the unmodified seed was "
                    "refused\n", mode);
            return 1;
        }
    }
    remove_dir();
    free(seed.events.p);
    free(seed.ckpts.p);
    free(seed.raw1.p);
    printf("trace_fuzz: %lu cases, %lu opened (%lu events read, %lu read "
           "errors), %lu refused at open\n", iterations, opened, events_read,
           read_errors, refused);
    return opened > 0 && refused > 0 ? 0 : 1;
}
#endif
