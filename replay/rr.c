/*
 * Record and replay sessions (see replay/rr.h).
 *
 * Ordering rule: events are applied in the exact order of the trace. A
 * checkpoint is itself an event (CHECKPOINT) in that order, so restoring
 * checkpoint k and continuing with the events that follow its CHECKPOINT
 * event reproduces the run exactly, even when other events share its
 * icount.
 *
 * Console output is checked as a stream: recorded CONSOLE bytes and the
 * bytes the replay prints are compared in order, whatever their batching.
 */
#include "replay/rr.h"
#include "backends/chardev.h"
#include "backends/hostclock.h"
#include "core/hash.h"
#include "core/input.h"
#include "core/journal.h"
#include "core/loader.h"
#include "core/run.h"
#include "core/snapshot.h"
#include "core/undo.h"
#include "tracedb/trace.h"

#include <glib.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The journals installed in the machine (core/journal.h), at the end. */
static const CoreJournalOps record_journal;
static const CoreJournalOps replay_journal;

#define FLUSH_INTERVAL_NS 100000000ull
/* Most machine options a trace records (and replay accepts). */
#define RR_MAX_ARGS 56
#define CONSOLE_MAX 4096

struct RRSession {
    CoreMachine *m;
    bool replay;
    RROptions opts;
    char dir[512];

    /* record */
    TdbWriter *w;
    uint64_t next_checkpoint;
    uint64_t last_flush_ns;
    uint8_t line[CONSOLE_MAX];
    size_t line_len;
    uint64_t line_icount;
    bool failed;

    /* replay */
    TdbReader *r;
    int argc;
    char **argv;
    bool have_pending;
    TdbEvent pending;
    uint8_t *pending_data;
    size_t pending_cap;
    GByteArray *expect_console;   /* recorded bytes not yet matched */
    GByteArray *actual_console;   /* printed bytes not yet matched */
    uint64_t checkpoints_checked;
    uint64_t last_good_icount;    /* icount of the last matching check */
    bool shutdown_seen;           /* the recording was stopped by a request */
    bool fallback_warned;         /* a damaged checkpoint was reported */
    RRResult result;
    bool done;
    char report[4096];
    char goto_err[320];          /* why the debugger's last goto failed */

    /* Reverse debugging: in-memory restore points (core/undo.h) every
       UNDO_INTERVAL instructions, with the trace position of each. */
    bool undo_on;
    bool console_check_off;      /* after a seek the console stream is not
                                    compared (checkpoint hashes still are) */
    uint64_t next_undo;
    uint64_t consumed;           /* events read from the trace */
    struct {
        uint64_t icount, consumed;
        bool have_pending;
    } undo_pos[CORE_UNDO_MAX_POINTS];
    unsigned undo_first, undo_count;
};

#define UNDO_INTERVAL 1000000ull

static uint64_t load_u64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* ---- input files ---- */

/* Hash a file's content; false if it cannot be read. */
static bool hash_file(const char *path, uint64_t *size, char hex[17])
{
    uint64_t fsize;
    char err[8];
    int fd = core_open_input(path, &fsize, err, sizeof(err));
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        if (fd >= 0) {
            close(fd);
        }
        return false;
    }
    CoreHash h;
    core_hash_init(&h);
    uint8_t buf[65536];
    size_t n;
    *size = 0;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        core_hash_update(&h, buf, n);
        *size += n;
    }
    bool ok = !ferror(f);
    fclose(f);
    snprintf(hex, 17, "%016" PRIx64, core_hash_final(&h));
    return ok;
}

/* ---- recording ---- */

/* The first writer error ends the recording; say so, with the writer's
   message (it names the trace file), once. */
static void record_failed(RRSession *s)
{
    if (!s->failed) {
        fprintf(stderr, "rewind: recording failed at icount %" PRIu64
                ": %s; the trace ends before this point (incomplete)\n",
                s->m->icount, tdb_writer_error(s->w));
        s->failed = true;
    }
}

/* Console text waiting for its line to end goes into the trace as it is,
   stamped with the icount of its last byte. Every other event is appended
   after this flush (see append), so no event is written between a console
   byte and its CONSOLE event and the stream stays in icount order: the
   first byte of pending text is never older than the last event written,
   its last byte never newer than the next one. */
static void flush_console(RRSession *s)
{
    if (s->line_len) {
        TdbEvent ev = { .kind = TDB_EV_CONSOLE, .icount = s->line_icount,
                        .len = (uint32_t)s->line_len, .data = s->line };
        if (!s->failed && tdb_writer_append(s->w, &ev) != 0) {
            record_failed(s);
        }
        s->line_len = 0;
    }
}

static void append(RRSession *s, uint32_t kind, const void *data, size_t len)
{
    flush_console(s);
    if (s->failed) {
        return;
    }
    TdbEvent ev = { .kind = kind, .hart = 0, .icount = s->m->icount,
                    .len = (uint32_t)len, .data = data };
    if (tdb_writer_append(s->w, &ev) != 0) {
        record_failed(s);
    }
}

/* Console output while recording: one CONSOLE event per line, stamped
   with the icount of the write that completed it. A line still open when
   another event comes (a prompt waiting for input) is written up to there
   first, which cuts it into several CONSOLE events; the index joins them
   back into one console row. */
static void record_console(void *opaque, const uint8_t *buf, size_t len)
{
    RRSession *s = opaque;
    for (size_t i = 0; i < len; i++) {
        s->line[s->line_len++] = buf[i];
        s->line_icount = s->m->icount;
        if (buf[i] == '\n' || s->line_len == CONSOLE_MAX) {
            flush_console(s);
        }
    }
}

static uint64_t record_wallclock(void *opaque)
{
    RRSession *s = opaque;
    uint64_t ns = be_host_wallclock_ns_nd();
    append(s, TDB_EV_WALLCLOCK, &ns, 8);
    return ns;
}

static void take_checkpoint(RRSession *s, bool full)
{
    CoreBuf blob = { 0 };
    uint64_t hash = core_machine_state_hash(s->m);
    core_snapshot_save(s->m, full, &blob);
    flush_console(s);
    if (!s->failed &&
        tdb_writer_checkpoint(s->w, s->m->icount, hash, blob.data, blob.len)) {
        record_failed(s);
    }
    core_buf_free(&blob);
}

RRSession *rr_record_begin(CoreMachine *m, const char *dir, int argc,
                           char **argv, const RROptions *opts, char *err,
                           size_t errlen)
{
    const char *names[CORE_MAX_INPUTS], *paths[CORE_MAX_INPUTS];
    size_t n = core_machine_inputs(m->cfg, names, paths);
    TdbInput inputs[CORE_MAX_INPUTS];
    char hashes[CORE_MAX_INPUTS][17];
    for (size_t i = 0; i < n; i++) {
        uint64_t size;
        if (!hash_file(paths[i], &size, hashes[i])) {
            snprintf(err, errlen, "%s: cannot read %s", paths[i], names[i]);
            return NULL;
        }
        inputs[i] = (TdbInput){ names[i], paths[i], size, hashes[i] };
    }

    /* The command line, verbatim, so replay rebuilds the same machine. */
    enum { MAX_META = RR_MAX_ARGS + 8 };
    if (argc > RR_MAX_ARGS) {
        snprintf(err, errlen, "too many options to record (%d)", argc);
        return NULL;
    }
    TdbKV meta[MAX_META];
    char keys[MAX_META][16], nums[4][32];
    size_t nm = 0;
    char *json = tdb_json_argv(argc, argv);
    snprintf(nums[0], sizeof(nums[0]), "%d", argc);
    snprintf(nums[1], sizeof(nums[1]), "%u", m->icount_shift);
    snprintf(nums[2], sizeof(nums[2]), "%" PRIu64, opts->checkpoint_interval);
    snprintf(nums[3], sizeof(nums[3]), "%u", m->ncpus);
    meta[nm++] = (TdbKV){ "argv", json ? json : "[]" };
    meta[nm++] = (TdbKV){ "argc", nums[0] };
    meta[nm++] = (TdbKV){ "icount_shift", nums[1] };
    meta[nm++] = (TdbKV){ "checkpoint_interval", nums[2] };
    meta[nm++] = (TdbKV){ "harts", nums[3] };
    meta[nm++] = (TdbKV){ "machine", m->cfg->machine };
    for (int i = 0; i < argc; i++) {
        snprintf(keys[i], sizeof(keys[i]), "arg.%d", i);
        meta[nm++] = (TdbKV){ keys[i], argv[i] };
    }

    RRSession *s = calloc(1, sizeof(*s));
    if (!s) {
        free(json);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->w = tdb_writer_create(dir, meta, nm, inputs, n, err, errlen);
    free(json);
    if (!s->w) {
        free(s);
        return NULL;
    }
    s->m = m;
    s->opts = *opts;
    snprintf(s->dir, sizeof(s->dir), "%s", dir);
    m->journal = s;
    m->journal_ops = &record_journal;
    core_input_set_wallclock_hook(m->input, record_wallclock, s);
    if (m->serial_backend) {
        be_chardev_set_tap(m->serial_backend, record_console, s);
    }
    take_checkpoint(s, true);
    s->next_checkpoint = opts->checkpoint_interval;
    s->last_flush_ns = be_host_monotonic_ns_nd();
    return s;
}

int rr_record_end(RRSession *s)
{
    CoreMachine *m = s->m;
    flush_console(s);
    int rc = 0;
    if (s->failed) {
        tdb_writer_abort(s->w);
        rc = -1;
    } else {
        tdb_writer_set_guest_ns(s->w, core_clock_ns(m));
        if (tdb_writer_end(s->w, m->icount, core_machine_state_hash(m)) != 0) {
            fprintf(stderr, "rewind: closing the trace failed: %s\n",
                    tdb_writer_error(s->w));
            rc = -1;
        }
        tdb_writer_close(s->w, m->icount, 0);   /* frees; already ended */
    }
    if (m->serial_backend) {
        be_chardev_set_tap(m->serial_backend, NULL, NULL);
    }
    core_input_set_wallclock_hook(m->input, NULL, NULL);
    m->journal = NULL;
    m->journal_ops = NULL;
    free(s);
    return rc;
}

void rr_log_serial(RRSession *s, unsigned port, const uint8_t *buf, size_t len)
{
    if (s->replay || len == 0) {
        return;
    }
    uint8_t ev[1 + 256];
    while (len) {
        size_t n = len < 256 ? len : 256;
        ev[0] = (uint8_t)port;
        memcpy(ev + 1, buf, n);
        append(s, TDB_EV_SERIAL_RX, ev, 1 + n);
        buf += n;
        len -= n;
    }
}

void rr_log_idle(RRSession *s, uint64_t ns)
{
    if (!s->replay) {
        append(s, TDB_EV_IDLE_SKIP, &ns, 8);
    }
}

void rr_log_shutdown(RRSession *s, int reason)
{
    if (!s->replay) {
        uint32_t r = (uint32_t)reason;
        append(s, TDB_EV_SHUTDOWN, &r, 4);
    }
}

void rr_tick(RRSession *s)
{
    if (s->replay) {
        return;
    }
    uint64_t now = be_host_monotonic_ns_nd();
    if (now - s->last_flush_ns >= FLUSH_INTERVAL_NS) {
        flush_console(s);
        if (!s->failed && tdb_writer_flush(s->w) != 0) {
            record_failed(s);
        }
        s->last_flush_ns = now;
    }
}

bool rr_replaying(const RRSession *s)
{
    return s->replay;
}

/* ---- replaying ---- */

/* Ends the session once with `result`; the report is `prefix` and the
   message, after what it already holds when `append`. */
static void vend(RRSession *s, RRResult result, bool append,
                 const char *prefix, const char *fmt, va_list ap)
{
    if (s->done) {
        return;
    }
    size_t used = append ? strlen(s->report) : 0;
    used += (size_t)snprintf(s->report + used, sizeof(s->report) - used,
                             "%s", prefix);
    if (used < sizeof(s->report)) {
        vsnprintf(s->report + used, sizeof(s->report) - used, fmt, ap);
    }
    s->result = result;
    s->done = true;
}

static void diverge(RRSession *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void diverge(RRSession *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vend(s, RR_RESULT_DIVERGED, true, "", fmt, ap);
    va_end(ap);
}

static void finish(RRSession *s, RRResult result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void finish(RRSession *s, RRResult result, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vend(s, result, false, "", fmt, ap);
    va_end(ap);
}

/* The trace cannot be trusted from here: exit status 2, not a divergence. */
static void damaged(RRSession *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void damaged(RRSession *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vend(s, RR_RESULT_UNUSABLE, false, "trace damaged: ", fmt, ap);
    va_end(ap);
}

/* Index in the reader's list of the checkpoint record at `offset` of
   checkpoints.zst, or -1. */
static long find_record(RRSession *s, uint64_t offset)
{
    const TdbCheckpoint *list;
    size_t n = tdb_reader_checkpoints(s->r, &list);
    for (size_t i = 0; i < n; i++) {
        if (list[i].offset == offset) {
            return (long)i;
        }
    }
    return -1;
}

/* Why the record announced by a CHECKPOINT payload (u64 icount, hash,
   offset, length) cannot be used, else NULL; *idx is its list index. */
static const char *record_problem(RRSession *s, const uint8_t *payload,
                                  long *idx, char *buf, size_t buflen)
{
    uint64_t icount = load_u64(payload), hash = load_u64(payload + 8);
    uint64_t off = load_u64(payload + 16), len = load_u64(payload + 24);
    const TdbCheckpoint *list;
    tdb_reader_checkpoints(s->r, &list);
    long i = find_record(s, off);
    *idx = i;
    if (i < 0) {
        const char *why = tdb_reader_checkpoint_damage(s->r);
        snprintf(buf, buflen, "its record (offset %" PRIu64 " of "
                 "checkpoints.zst) is missing%s%s", off, why ? ": " : "",
                 why ? why : "");
        return buf;
    }
    if (list[i].icount != icount || list[i].state_hash != hash ||
        list[i].length != len) {
        snprintf(buf, buflen, "the record at offset %" PRIu64 " of "
                 "checkpoints.zst (icount %" PRIu64 ") does not match it",
                 off, list[i].icount);
        return buf;
    }
    return NULL;
}

/* Match printed against recorded console bytes as far as both go. */
static void match_console(RRSession *s)
{
    if (s->console_check_off) {
        g_byte_array_set_size(s->expect_console, 0);
        g_byte_array_set_size(s->actual_console, 0);
        return;
    }
    size_t n = s->expect_console->len < s->actual_console->len
                   ? s->expect_console->len : s->actual_console->len;
    if (n == 0) {
        return;
    }
    if (memcmp(s->expect_console->data, s->actual_console->data, n) != 0) {
        size_t at = 0;
        while (s->expect_console->data[at] == s->actual_console->data[at]) {
            at++;
        }
        diverge(s, "divergence: console output differs near icount %" PRIu64
                " (recorded byte 0x%02x, replay printed 0x%02x)\n",
                s->m->icount, s->expect_console->data[at],
                s->actual_console->data[at]);
    }
    g_byte_array_remove_range(s->expect_console, 0, (guint)n);
    g_byte_array_remove_range(s->actual_console, 0, (guint)n);
}

static void replay_console(void *opaque, const uint8_t *buf, size_t len)
{
    RRSession *s = opaque;
    g_byte_array_append(s->actual_console, buf, (guint)len);
    match_console(s);
}

/* Load the next event into s->pending; false at the end or on error. */
static bool fetch(RRSession *s)
{
    if (s->have_pending) {
        return true;
    }
    TdbEvent ev;
    int rc = tdb_reader_next(s->r, &ev);
    if (rc < 0) {
        finish(s, RR_RESULT_UNUSABLE, "trace unusable: %s\n",
               tdb_reader_error(s->r));
        return false;
    }
    if (rc == 0) {
        const char *warn = tdb_reader_warning(s->r);
        finish(s, RR_RESULT_INCOMPLETE,
               "identical up to icount %" PRIu64 ", but the recording is "
               "incomplete: the trace ends without an END record (recorder "
               "killed, disk full or file cut)%s%s; %" PRIu64 " checkpoints "
               "matched, the last at icount %" PRIu64 "\n", s->m->icount,
               warn ? "; " : "", warn ? warn : "", s->checkpoints_checked,
               s->last_good_icount);
        return false;
    }
    if (ev.len > s->pending_cap) {
        s->pending_cap = ev.len;
        s->pending_data = realloc(s->pending_data, ev.len);
    }
    memcpy(s->pending_data, ev.data, ev.len);
    s->consumed++;
    s->pending = ev;
    s->pending.data = s->pending_data;
    s->have_pending = true;
    return true;
}

static uint64_t replay_wallclock(void *opaque)
{
    RRSession *s = opaque;
    while (fetch(s) && s->pending.kind == TDB_EV_CONSOLE) {
        g_byte_array_append(s->expect_console, s->pending.data, s->pending.len);
        s->have_pending = false;
        match_console(s);
    }
    if (!s->have_pending || s->pending.kind != TDB_EV_WALLCLOCK ||
        s->pending.icount != s->m->icount || s->pending.len != 8) {
        diverge(s, "divergence: the guest read the RTC at icount %" PRIu64
                ", which the recording did not do there\n", s->m->icount);
        core_machine_attention(s->m, CORE_ATTN_STOP);
        return 0;
    }
    s->have_pending = false;
    return load_u64(s->pending.data);
}

/* Test-only divergence injection (--perturb-at N:KIND). Each kind changes
   one part of the state that the program does not read back, so that only
   the replay's own checks can notice it. */
static void perturb(RRSession *s)
{
    CoreMachine *m = s->m;
    s->opts.perturb_icount = 0;
    if (s->opts.perturb_kind == RR_PERTURB_CONSOLE) {
        static const uint8_t stray = 0x01;
        replay_console(s, &stray, 1);
        return;
    }
    if (s->opts.perturb_kind == RR_PERTURB_RAM) {
        /* The last byte of the highest RAM region: far above any test
           program's code, data and stack. */
        CoreMemRegion *top = NULL;
        for (size_t i = 0; i < core_mem_region_count(m->as); i++) {
            CoreMemRegion *r = core_mem_region(m->as, i);
            top = r->kind == CORE_MEM_RAM ? r : top;
        }
        uint8_t b;
        if (top && core_mem_read_bytes(m->as, top->base + top->size - 1, &b, 1)) {
            b ^= 0x10;
            core_mem_write_bytes(m->as, top->base + top->size - 1, &b, 1);
        }
        return;
    }
    if (s->opts.perturb_kind == RR_PERTURB_DEVICE) {
        /* The ns16550a scratch register (offset 7) of the virt UART. */
        CoreMemRegion *r = core_mem_find(m->as, 0x10000000);
        if (r && r->kind == CORE_MEM_MMIO) {
            uint64_t v = r->ops->read(r->opaque, 7, 1);
            r->ops->write(r->opaque, 7, (v ^ 0x10) & 0xff, 1);
        }
        return;
    }
    /* gp (x3): programs set it once and keep it. */
    CoreBuf b = { 0 };
    core_state_save(m->cpu_ops->state, m->cpus[0], &b);
    /* Record: u16 name length, name, u32 version, u32 length, payload;
       the payload starts with x0..x31. */
    uint16_t nl;
    memcpy(&nl, b.data, 2);
    size_t x3 = 2 + nl + 8 + 3 * 8;
    if (x3 < b.len) {
        b.data[x3] ^= 0x10;
        size_t pos = 0;
        char err[256];
        core_state_load(m->cpu_ops->state, m->cpus[0], b.data, b.len, &pos,
                        err, sizeof(err));
    }
    core_buf_free(&b);
}

/* A CHECKPOINT event: the replay's state hash must be the recorded one,
   and the snapshot in checkpoints.zst must be there, intact, and restore
   exactly this state. */
static void check_checkpoint(RRSession *s, const TdbEvent *ev)
{
    if (ev->len != 32 || load_u64(ev->data) != ev->icount) {
        damaged(s, "malformed CHECKPOINT event at icount %" PRIu64 "\n",
                ev->icount);
        return;
    }
    uint64_t want = load_u64(ev->data + 8);
    uint64_t got = core_machine_state_hash(s->m);
    if (want == got && s->console_check_off) {
        /* After a seek this is a debugging session, not a verification:
           the seek itself reported any checkpoint it could not use. */
        s->last_good_icount = s->m->icount;
        return;
    }
    if (want == got) {
        char buf[600];
        long i;
        const char *bad = record_problem(s, ev->data, &i, buf, sizeof(buf));
        void *blob = NULL;
        size_t len = 0;
        if (!bad && tdb_reader_load_checkpoint(s->r, (size_t)i, &blob, &len)) {
            bad = tdb_reader_error(s->r);
        }
        /* The "written since the last checkpoint" pages are only known
           without in-memory undo (which rewrites pages). */
        if (!bad && core_snapshot_check(s->m, blob, len, !s->undo_on, buf,
                                        sizeof(buf))) {
            snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
                     ": restoring it would not give the recorded state");
            bad = buf;
        }
        free(blob);
        if (bad) {
            damaged(s, "checkpoint at icount %" PRIu64 ": %s\n", ev->icount,
                    bad);
            return;
        }
        s->checkpoints_checked++;
        s->last_good_icount = s->m->icount;
        return;
    }
    diverge(s, "divergence: checkpoint at icount %" PRIu64 " does not match "
            "(recorded state hash %016" PRIx64 ", replay %016" PRIx64 ")\n"
            "the first difference arose between icount %" PRIu64
            " (last matching check) and %" PRIu64 "\n",
            s->m->icount, want, got, s->last_good_icount, s->m->icount);
    const TdbCheckpoint *list;
    size_t n = tdb_reader_checkpoints(s->r, &list);
    for (size_t i = 0; i < n; i++) {
        if (list[i].icount == ev->icount && list[i].state_hash == want) {
            void *blob;
            size_t len;
            if (tdb_reader_load_checkpoint(s->r, i, &blob, &len) == 0) {
                char diff[2048];
                core_snapshot_diff(s->m, blob, len, diff, sizeof(diff));
                size_t used = strlen(s->report);
                snprintf(s->report + used, sizeof(s->report) - used,
                         "what differs:\n%s", diff);
                free(blob);
            }
            break;
        }
    }
}

static void take_undo_point(RRSession *s)
{
    CoreMachine *m = s->m;
    core_undo_point(m);
    if (s->undo_count == CORE_UNDO_MAX_POINTS) {
        s->undo_first = (s->undo_first + 1) % CORE_UNDO_MAX_POINTS;
        s->undo_count--;
    }
    unsigned i = (s->undo_first + s->undo_count++) % CORE_UNDO_MAX_POINTS;
    s->undo_pos[i].icount = m->icount;
    s->undo_pos[i].consumed = s->consumed;
    s->undo_pos[i].have_pending = s->have_pending;
    s->next_undo = (m->icount / UNDO_INTERVAL + 1) * UNDO_INTERVAL;
}

/* Put the trace reader where it was when `consumed` events had been read. */
static bool reposition(RRSession *s, uint64_t consumed, bool have_pending)
{
    tdb_reader_rewind(s->r);
    s->consumed = 0;
    s->have_pending = false;
    for (uint64_t i = 0; i < consumed; i++) {
        s->have_pending = false;
        if (!fetch(s)) {
            return false;
        }
    }
    s->have_pending = have_pending;
    return true;
}

/* Go back through the in-memory restore points if one is close enough. */
static bool undo_to(RRSession *s, uint64_t icount)
{
    uint64_t at;
    if (!s->undo_on || !core_undo_restore(s->m, icount, &at)) {
        return false;
    }
    while (s->undo_count > 0) {
        unsigned i = (s->undo_first + s->undo_count - 1) % CORE_UNDO_MAX_POINTS;
        if (s->undo_pos[i].icount == at) {
            s->next_undo = (at / UNDO_INTERVAL + 1) * UNDO_INTERVAL;
            return reposition(s, s->undo_pos[i].consumed,
                              s->undo_pos[i].have_pending);
        }
        s->undo_count--;
    }
    return false;
}

/* At END: nothing may follow it, and on a run from the start every
   record of checkpoints.zst must have been announced and checked. */
static bool check_after_end(RRSession *s)
{
    TdbEvent next;
    if (tdb_reader_next(s->r, &next) != 0) {
        damaged(s, "%s\n", tdb_reader_error(s->r)[0] ? tdb_reader_error(s->r)
                                                      : "events after END");
        return false;
    }
    if (s->console_check_off) {
        return true;   /* after a seek, not every checkpoint was crossed */
    }
    const TdbCheckpoint *list;
    size_t n = tdb_reader_checkpoints(s->r, &list);
    const char *why = tdb_reader_checkpoint_damage(s->r);
    if (why) {
        damaged(s, "%s/%s\n", s->dir, why);
        return false;
    }
    if (n != s->checkpoints_checked) {
        damaged(s, "%s/checkpoints.zst holds %zu checkpoints, the event log "
                "announces %" PRIu64 "\n", s->dir, n, s->checkpoints_checked);
        return false;
    }
    return true;
}

/* Apply one due event; false when the replay must stop. */
static bool apply(RRSession *s, const TdbEvent *ev)
{
    CoreMachine *m = s->m;
    switch (ev->kind) {
    case TDB_EV_META:
    case TDB_EV_INTERRUPT:
        return true;
    case TDB_EV_SERIAL_RX:
        if (ev->len < 1 || !core_input_serial_connected(m->input, ev->data[0])) {
            /* Trace data, not a divergence: refuse it before the input
               door sees a port it does not have. */
            finish(s, RR_RESULT_UNUSABLE, "trace unusable: %s/events.zst: "
                   "SERIAL_RX event at icount %" PRIu64 " for serial port %u, "
                   "which this machine does not have\n", s->dir, ev->icount,
                   ev->len ? ev->data[0] : 0);
            return false;
        }
        if (core_input_serial_rx(m->input, ev->data[0], ev->data + 1,
                                 ev->len - 1) != ev->len - 1) {
            diverge(s, "divergence: serial input at icount %" PRIu64
                    " did not fit the input queue\n", ev->icount);
            return false;
        }
        return true;
    case TDB_EV_IDLE_SKIP:
        /* No idleness check here: input recorded at the same icount may
           already have woken a hart, and the run loop may have stopped at
           this icount by count before noticing the harts wait. A wrong
           skip shows at the next checkpoint. */
        m->idle_ns += load_u64(ev->data);
        return true;
    case TDB_EV_CONSOLE:
        g_byte_array_append(s->expect_console, ev->data, ev->len);
        match_console(s);
        return !s->done;
    case TDB_EV_CHECKPOINT:
        check_checkpoint(s, ev);
        return !s->done;
    case TDB_EV_SHUTDOWN:
        /* The recorder stopped on a request; END (final state) follows. */
        s->shutdown_seen = true;
        return true;
    case TDB_EV_END: {
        uint64_t want = ev->len >= 8 ? load_u64(ev->data) : 0;
        uint64_t got = core_machine_state_hash(m);
        if (want != got) {
            diverge(s, "divergence: final state at icount %" PRIu64
                    " differs (recorded %016" PRIx64 ", replay %016" PRIx64
                    "); last matching check at icount %" PRIu64 "\n",
                    ev->icount, want, got, s->last_good_icount);
            return false;
        }
        if (!s->console_check_off &&
            (s->expect_console->len || s->actual_console->len)) {
            diverge(s, "divergence: console output differs at the end "
                    "(%u recorded bytes unmatched, %u printed)\n",
                    s->expect_console->len, s->actual_console->len);
            return false;
        }
        if (!check_after_end(s)) {
            return false;
        }
        finish(s, RR_RESULT_IDENTICAL, "replay identical: %" PRIu64
               " instructions%s, every event, %" PRIu64 " checkpoints and the "
               "final state match\n", ev->icount, s->shutdown_seen ?
               " (the recording was stopped by a request)" : "",
               s->checkpoints_checked);
        return false;
    }
    case TDB_EV_WALLCLOCK:
        diverge(s, "divergence: the recording read the RTC at icount %" PRIu64
                ", the replay did not\n", ev->icount);
        return false;
    default:
        diverge(s, "trace has an event of unknown kind %u at icount %" PRIu64
                "\n", ev->kind, ev->icount);
        return false;
    }
}

uint64_t rr_next_stop(RRSession *s)
{
    if (!s->replay) {
        return s->next_checkpoint;
    }
    uint64_t stop = UINT64_MAX;
    if (fetch(s)) {
        stop = s->pending.icount;
        if (s->pending.kind == TDB_EV_WALLCLOCK) {
            stop++;   /* consumed while the reading instruction runs */
        }
    } else if (s->done && s->result == RR_RESULT_UNUSABLE) {
        return s->m->icount;   /* the trace cannot go on: stop right here */
    }
    if (s->opts.until && s->opts.until < stop) {
        stop = s->opts.until;
    }
    if (s->opts.perturb_icount && s->opts.perturb_icount < stop) {
        stop = s->opts.perturb_icount;
    }
    if (s->undo_on && s->next_undo < stop) {
        stop = s->next_undo;
    }
    return stop < s->m->icount ? s->m->icount : stop;
}

bool rr_at(RRSession *s, bool idle)
{
    CoreMachine *m = s->m;
    if (!s->replay) {
        if (m->icount >= s->next_checkpoint) {
            take_checkpoint(s, false);
            s->next_checkpoint += s->opts.checkpoint_interval;
        }
        return !s->failed;
    }
    if (s->done) {
        return false;
    }
    if (s->opts.perturb_icount && m->icount >= s->opts.perturb_icount) {
        perturb(s);
    }
    if (m->debug && !s->undo_on) {
        s->undo_on = true;
        s->next_undo = m->icount;
    }
    if (s->undo_on && m->icount >= s->next_undo) {
        take_undo_point(s);
    }
    while (fetch(s)) {
        const TdbEvent *ev = &s->pending;
        if (ev->icount > m->icount || (ev->kind == TDB_EV_WALLCLOCK &&
                                       ev->icount == m->icount)) {
            break;
        }
        if (ev->icount < m->icount) {
            diverge(s, "divergence: the replay passed icount %" PRIu64
                    " without the %s event recorded there\n", ev->icount,
                    tdb_kind_name(ev->kind));
            return false;
        }
        TdbEvent copy = *ev;
        s->have_pending = false;
        if (!apply(s, &copy)) {
            return false;
        }
    }
    if (s->done) {
        return false;
    }
    if (s->opts.until && m->icount >= s->opts.until) {
        finish(s, RR_RESULT_PARTIAL, "stopped at icount %" PRIu64
               " (--until); %" PRIu64 " checkpoints matched on the way\n",
               m->icount, s->checkpoints_checked);
        return false;
    }
    if (idle && s->have_pending && s->pending.icount > m->icount) {
        /* Every hart waits and nothing was recorded here: the recorder
           skipped to the next timer deadline, as we do now. It did so
           whether or not input waited in the queue (a guest that sleeps
           without taking input interrupts leaves it there). Events at
           this icount were applied when the run stopped here by count,
           so the harts have run again since: their input woke them or
           not, as in the recording. */
        uint64_t deadline = core_timer_next_ns(m);
        if (deadline == UINT64_MAX) {
            diverge(s, "divergence: every hart waits at icount %" PRIu64
                    " with no timer, but the recording went on running until %"
                    PRIu64 "\n", m->icount, s->pending.icount);
            return false;
        }
        uint64_t now = core_clock_ns(m);
        if (deadline > now) {
            m->idle_ns += deadline - now;
        }
    }
    return true;
}

/* The recorded command line, parsed strictly and capped (a trace's
   metadata is untrusted): argc is a decimal count within what the
   recorder writes, arg.0 .. arg.argc-1 all exist, and together they
   give exactly the recorded `argv` JSON. */
static bool recorded_argv(RRSession *s, char *err, size_t errlen)
{
    const char *argc_s = tdb_reader_meta(s->r, "argc");
    uint64_t argc;
    if (!argc_s) {
        snprintf(err, errlen, "%s: trace has no recorded command line", s->dir);
        return false;
    }
    if (!tdb_parse_u64(argc_s, RR_MAX_ARGS, &argc)) {
        snprintf(err, errlen, "%s/events.zst: META argc=%.24s is not a count "
                 "from 0 to %d", s->dir, argc_s, RR_MAX_ARGS);
        return false;
    }
    s->argv = calloc(argc + 1, sizeof(char *));
    if (!s->argv) {
        snprintf(err, errlen, "%s: out of memory", s->dir);
        return false;
    }
    for (s->argc = 0; s->argc < (int)argc; s->argc++) {
        char key[16];
        snprintf(key, sizeof(key), "arg.%d", s->argc);
        const char *v = tdb_reader_meta(s->r, key);
        if (!v) {
            snprintf(err, errlen, "%s/events.zst: META argc=%" PRIu64
                     " but %s is missing", s->dir, argc, key);
            return false;
        }
        if (!(s->argv[s->argc] = strdup(v))) {
            snprintf(err, errlen, "%s: out of memory", s->dir);
            return false;
        }
    }
    const char *json = tdb_reader_meta(s->r, "argv");
    char *mine = tdb_json_argv(s->argc, s->argv);
    bool same = json && mine && strcmp(json, mine) == 0;
    free(mine);
    if (!same) {
        snprintf(err, errlen, "%s/events.zst: META argv does not match "
                 "arg.0 .. arg.%d", s->dir, s->argc - 1);
        return false;
    }
    return true;
}

RRSession *rr_replay_open(const char *dir, char *err, size_t errlen)
{
    TdbReader *r = tdb_reader_open(dir, err, errlen);
    if (!r) {
        return NULL;
    }
    RRSession *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "%s: out of memory", dir);
        tdb_reader_close(r);
        return NULL;
    }
    s->replay = true;
    s->r = r;
    snprintf(s->dir, sizeof(s->dir), "%s", dir);
    s->expect_console = g_byte_array_new();
    s->actual_console = g_byte_array_new();
    if (!recorded_argv(s, err, errlen)) {
        rr_replay_finish(s, NULL, 0);
        return NULL;
    }
    return s;
}

void rr_replay_argv(RRSession *s, int *argc, char ***argv)
{
    *argc = s->argc;
    *argv = s->argv;
}

static bool goto_hook(CoreMachine *m, uint64_t icount, CoreStop *why);
static bool reverse_hook(CoreMachine *m, const CoreRunCmd *cmd, CoreStop *why);

bool rr_replay_attach(RRSession *s, CoreMachine *m, const RROptions *opts,
                      char *err, size_t errlen)
{
    /* The machine the recorded options built must be the recorded one. */
    static const char *const nums[] = { "harts", "icount_shift" };
    uint64_t have[] = { m->ncpus, m->icount_shift };
    for (size_t i = 0; i < 2; i++) {
        const char *v = tdb_reader_meta(s->r, nums[i]);
        uint64_t want;
        if (v && (!tdb_parse_u64(v, UINT32_MAX, &want) || want != have[i])) {
            snprintf(err, errlen, "%s/events.zst: META %s=%.24s, but the "
                     "recorded command line gives %" PRIu64, s->dir, nums[i],
                     v, have[i]);
            return false;
        }
    }
    /* Every recorded input must be here with the same content, and every
       file this machine loads must have been recorded. */
    const char *names[CORE_MAX_INPUTS], *paths[CORE_MAX_INPUTS];
    size_t n = core_machine_inputs(m->cfg, names, paths);
    const TdbInput *rec;
    size_t nrec = tdb_reader_inputs(s->r, &rec);
    /* Every file this machine loads must have been recorded with
       its hash: otherwise nothing says it is the file of the recording. */
    for (size_t j = 0; j < n; j++) {
        size_t i = 0;
        while (i < nrec && strcmp(names[j], rec[i].name) != 0) {
            i++;
        }
        if (i == nrec || !rec[i].hash[0]) {
            snprintf(err, errlen, "%s: the recorded metadata has no input "
                     "hash for -%s %s: cannot check that it is the recorded "
                     "file (trace damaged or edited)", s->dir, names[j],
                     paths[j]);
            return false;
        }
    }
    for (size_t i = 0; i < nrec; i++) {
        size_t j = 0;
        while (j < n && strcmp(names[j], rec[i].name) != 0) {
            j++;
        }
        if (j == n) {
            snprintf(err, errlen, "%s: the recording used %s %s, which this "
                     "machine does not load", s->dir, rec[i].name, rec[i].path);
            return false;
        }
        uint64_t size;
        char hex[17];
        if (!hash_file(paths[j], &size, hex)) {
            snprintf(err, errlen, "%s %s: cannot read it (recorded from %s)",
                     rec[i].name, paths[j], rec[i].path);
            return false;
        }
        if (strcmp(hex, rec[i].hash) != 0 || size != rec[i].size) {
            snprintf(err, errlen, "%s %s: content differs from the recording "
                     "(hash %s, %" PRIu64 " bytes; recorded %s, %" PRIu64
                     " bytes)", rec[i].name, paths[j], hex, size, rec[i].hash,
                     rec[i].size);
            return false;
        }
    }
    s->m = m;
    s->opts = *opts;
    m->journal = s;
    m->journal_ops = &replay_journal;
    core_input_set_wallclock_hook(m->input, replay_wallclock, s);
    if (m->serial_backend) {
        be_chardev_set_tap(m->serial_backend, replay_console, s);
    }
    return true;
}

bool rr_finished(const RRSession *s)
{
    return s->done;
}

/* Run the replay forward to exactly `icount`, console muted: the output
   being re-executed was shown already. 0 or -1. */
static int run_forward(RRSession *s, uint64_t icount, char *err, size_t errlen)
{
    CoreMachine *m = s->m;
    if (m->serial_backend) {
        be_chardev_set_mute(m->serial_backend, true);
    }
    bool ok = core_run_to(m, icount);
    if (m->serial_backend) {
        be_chardev_set_mute(m->serial_backend, s->opts.quiet);
    }
    if (!ok) {
        if (s->done && s->result == RR_RESULT_UNUSABLE) {
            snprintf(err, errlen, "%s", s->report);   /* why it ended */
            return -1;
        }
        snprintf(err, errlen, "the replay ended at icount %" PRIu64
                 " before reaching %" PRIu64, m->icount, icount);
        return -1;
    }
    return 0;
}

int rr_seek(RRSession *s, uint64_t icount, char *err, size_t errlen)
{
    CoreMachine *m = s->m;
    s->console_check_off = true;
    if (icount < m->icount && undo_to(s, icount)) {
        m->exit_kind = CORE_EXIT_NONE;
        m->attention = 0;
        s->done = false;
        s->report[0] = 0;
        if (m->debug_changed) {
            m->debug_changed(m);
        }
        return run_forward(s, icount, err, errlen);
    }
    const TdbCheckpoint *list;
    size_t n = tdb_reader_checkpoints(s->r, &list);
    size_t k = 0;
    while (k + 1 < n && list[k + 1].icount <= icount) {
        k++;
    }
    if (icount >= m->icount && !s->done && m->exit_kind == CORE_EXIT_NONE &&
        (icount - m->icount <= UNDO_INTERVAL || n == 0 ||
         list[k].icount <= m->icount)) {
        /* Close ahead, or no checkpoint between here and there: just run
           there. Farther, restoring the last checkpoint before the target
           is faster than running through all of them. */
        if (run_forward(s, icount, err, errlen) == 0) {
            return 0;
        }
    }
    /* From a checkpoint: the in-memory points no longer match RAM. */
    core_undo_clear(m);
    s->undo_count = 0;
    s->next_undo = 0;
    /* The event log says which checkpoints exist: restore the full
       snapshot, then every increment up to the last one at or before
       `icount`, stopping early at one that is missing or damaged. */
    tdb_reader_rewind(s->r);
    s->have_pending = false;
    s->consumed = 0;
    uint64_t used = 0, used_icount = 0, n_used = 0, bad_icount = 0;
    char why[600] = "";
    TdbEvent ev;
    int rc;
    while ((rc = tdb_reader_next(s->r, &ev)) > 0 && ev.icount <= icount) {
        s->consumed++;
        if (ev.kind != TDB_EV_CHECKPOINT || ev.len != 32) {
            continue;
        }
        long i;
        const char *bad = record_problem(s, ev.data, &i, why, sizeof(why));
        void *blob = NULL;
        size_t len = 0;
        if (!bad && tdb_reader_load_checkpoint(s->r, (size_t)i, &blob, &len)) {
            snprintf(why, sizeof(why), "%s", tdb_reader_error(s->r));
            bad = why;
        }
        if (bad) {
            bad_icount = ev.icount;
            break;
        }
        char lerr[256];
        int lrc = core_snapshot_load(m, blob, len, lerr, sizeof(lerr));
        free(blob);
        if (lrc != 0) {
            /* Partly restored: no earlier checkpoint is in place either. */
            snprintf(err, errlen, "checkpoint at icount %" PRIu64 ": %s",
                     ev.icount, lerr);
            return -1;
        }
        used = s->consumed;
        used_icount = ev.icount;
        n_used++;
    }
    if (rc < 0 && !why[0]) {
        snprintf(err, errlen, "%s", tdb_reader_error(s->r));
        return -1;
    }
    if (n_used == 0) {
        if (why[0]) {
            snprintf(err, errlen, "the first checkpoint (icount %" PRIu64
                     ") is unusable: %s", bad_icount, why);
        } else {
            snprintf(err, errlen, "no checkpoint at or before icount %"
                     PRIu64, icount);
        }
        return -1;
    }
    if (why[0] && !s->fallback_warned) {
        fprintf(stderr, "rewind: checkpoint at icount %" PRIu64 " is "
                "unusable (%s); going on from the checkpoint at icount %"
                PRIu64 "\n", bad_icount, why, used_icount);
        s->fallback_warned = true;
    }
    m->exit_kind = CORE_EXIT_NONE;
    m->exit_code = 0;
    m->attention = 0;
    if (m->debug_changed) {
        m->debug_changed(m);   /* translations of the old state are stale */
    }
    /* Continue with the events after that checkpoint's own record. */
    s->done = false;
    if (!reposition(s, used, false)) {
        snprintf(err, errlen, "%s", s->report);
        return -1;
    }
    g_byte_array_set_size(s->expect_console, 0);
    g_byte_array_set_size(s->actual_console, 0);
    s->report[0] = 0;
    s->last_good_icount = used_icount;
    return run_forward(s, icount, err, errlen);
}

/* A debugger's goto, either way. A target past the end of the trace is
   refused before moving, so the machine stays where it was. */
static bool goto_hook(CoreMachine *m, uint64_t icount, CoreStop *why)
{
    RRSession *s = m->journal;
    uint64_t last = tdb_reader_last_icount(s->r);
    if (icount > last) {
        snprintf(s->goto_err, sizeof(s->goto_err), "icount %" PRIu64
                 " is past the end of the trace (icount %" PRIu64 ")",
                 icount, last);
        why->fail_msg = s->goto_err;
        return false;
    }
    char err[256];
    if (rr_seek(s, icount, err, sizeof(err)) != 0) {
        snprintf(s->goto_err, sizeof(s->goto_err), "goto %" PRIu64 ": %s",
                 icount, err);
        why->fail_msg = s->goto_err;
        return false;
    }
    *why = (CoreStop){ .reason = CORE_STOP_ICOUNT, .hart = m->sched_hart };
    return true;
}

/* ---- reverse execution ---- */

typedef struct HitScan {
    CoreMachine *m;
    uint64_t before;     /* only hits strictly before this icount count */
    bool found;
    uint64_t at;
    CoreStop stop;
} HitScan;

static void on_hit(void *opaque, const CoreStop *st)
{
    HitScan *h = opaque;
    /* A breakpoint stops before its instruction, a watchpoint right after
       the access. gdb then steps back over the accessing instruction
       itself, landing on it with the old value in memory. So a breakpoint
       at `before` is ahead of us, but a watchpoint hit there is the access
       just behind us: the first one a reverse-continue must find (gdb
       then prints the current value as "Old" and the one before the
       store as "New"). */
    uint64_t at = h->m->icount;
    if (at < h->before ||
        (at == h->before && st->reason == CORE_STOP_WATCHPOINT)) {
        h->found = true;
        h->at = at;
        h->stop = *st;
    }
}

static void ignore_hit(void *opaque, const CoreStop *st)
{
    (void)opaque;
    (void)st;
}

static bool seek_quiet(RRSession *s, uint64_t icount)
{
    char err[256];
    if (rr_seek(s, icount, err, sizeof(err)) != 0) {
        fprintf(stderr, "rewind: reverse: %s\n", err);
        return false;
    }
    return true;
}

static bool at_begin(RRSession *s, CoreStop *why, unsigned hart)
{
    const TdbCheckpoint *list;
    tdb_reader_checkpoints(s->r, &list);
    if (!seek_quiet(s, list[0].icount)) {
        return false;
    }
    *why = (CoreStop){ .reason = CORE_STOP_REPLAY_BEGIN, .hart = hart };
    return true;
}

static bool reverse_continue(RRSession *s, CoreStop *why)
{
    CoreMachine *m = s->m;
    uint64_t cur = m->icount;
    const TdbCheckpoint *list;
    size_t n = tdb_reader_checkpoints(s->r, &list);
    size_t k = n;
    while (k > 0 && list[k - 1].icount >= cur) {
        k--;
    }
    /* Scan checkpoint intervals backwards; in each, run forward and keep
       the last hit before `end`. */
    uint64_t end = cur;
    while (k-- > 0) {
        if (!seek_quiet(s, list[k].icount)) {
            return false;
        }
        HitScan h = { .m = m, .before = end };
        core_run_collecting(m, end, on_hit, &h);
        if (h.found) {
            if (!seek_quiet(s, h.at)) {
                return false;
            }
            *why = h.stop;
            return true;
        }
        end = list[k].icount;
    }
    return at_begin(s, why, m->sched_hart);
}

static bool reverse_step(RRSession *s, unsigned hart, CoreStop *why)
{
    CoreMachine *m = s->m;
    const CoreCpuOps *ops = m->cpu_ops;
    uint64_t cur = m->icount;
    uint64_t n = ops->instret(m->cpus[hart]);
    if (cur == 0) {
        return at_begin(s, why, hart);
    }
    if (n == 0) {
        /* This hart has not run yet: its history begins here, and the
           others stay where they are. */
        *why = (CoreStop){ .reason = CORE_STOP_REPLAY_BEGIN, .hart = hart };
        return true;
    }
    if (m->ncpus == 1) {
        if (!seek_quiet(s, cur - 1)) {
            return false;
        }
        *why = (CoreStop){ .reason = CORE_STOP_STEP, .hart = hart };
        return true;
    }
    /* Several harts: the point just before this hart's previous
       instruction is the last icount where it had retired n - 1. */
    for (uint64_t window = 8192ull * m->ncpus;; window *= 8) {
        uint64_t lo = cur > window ? cur - window : 0;
        if (!seek_quiet(s, lo)) {
            return false;
        }
        if (ops->instret(m->cpus[hart]) <= n - 1) {
            uint64_t p = lo;
            while (m->icount < cur - 1 &&
                   core_run_collecting(m, m->icount + 1, ignore_hit, NULL)) {
                if (ops->instret(m->cpus[hart]) == n - 1) {
                    p = m->icount;
                }
            }
            if (!seek_quiet(s, p)) {
                return false;
            }
            *why = (CoreStop){ .reason = CORE_STOP_STEP, .hart = hart };
            return true;
        }
        if (lo == 0) {
            return at_begin(s, why, hart);
        }
    }
}

static bool reverse_hook(CoreMachine *m, const CoreRunCmd *cmd, CoreStop *why)
{
    RRSession *s = m->journal;
    if (!s || !s->replay || !m->debug) {
        return false;
    }
    if (cmd->kind == CORE_CMD_REVERSE_STEP) {
        unsigned hart = cmd->hart < m->ncpus ? cmd->hart : why->hart;
        return reverse_step(s, hart, why);
    }
    return reverse_continue(s, why);
}

uint64_t rr_replay_checkpoints_checked(const RRSession *s)
{
    return s->checkpoints_checked;
}

RRResult rr_replay_finish(RRSession *s, char *summary, size_t len)
{
    CoreMachine *m = s->m;
    if (!s->done && m && m->exit_kind != CORE_EXIT_NONE &&
        m->exit_kind != CORE_EXIT_SIGNAL && m->exit_kind != CORE_EXIT_REPLAY_END) {
        /* The guest ended the run itself: what is left in the trace must
           be its end at this very icount. */
        rr_at(s, true);
        if (!s->done) {
            diverge(s, "divergence: the guest stopped at icount %" PRIu64
                    " (%s) but the recording went on\n", m->icount,
                    m->exit_kind == CORE_EXIT_STUCK ? "stuck" : "exit");
        }
    }
    if (!s->done) {
        finish(s, RR_RESULT_PARTIAL, "replay stopped at icount %" PRIu64 "\n",
               m ? m->icount : 0);
    }
    snprintf(summary, len, "%s", s->report);
    RRResult r = s->result;
    if (m) {
        if (m->serial_backend) {
            be_chardev_set_tap(m->serial_backend, NULL, NULL);
        }
        core_input_set_wallclock_hook(m->input, NULL, NULL);
        m->journal = NULL;
        m->journal_ops = NULL;
    }
    tdb_reader_close(s->r);
    for (int i = 0; i < s->argc; i++) {
        free(s->argv[i]);
    }
    free(s->argv);
    free(s->pending_data);
    g_byte_array_free(s->expect_console, TRUE);
    g_byte_array_free(s->actual_console, TRUE);
    free(s);
    return r;
}

bool rr_gdb_replaying(void *opaque)
{
    return ((RRSession *)opaque)->replay;
}

void rr_gdb_checkpoints(void *opaque, void (*print)(void *ctx, const char *text),
                        void *ctx)
{
    RRSession *s = opaque;
    const TdbCheckpoint *list;
    size_t n = tdb_reader_checkpoints(s->r, &list);
    char line[640];
    snprintf(line, sizeof(line), "%zu checkpoints in %s:\n", n, s->dir);
    print(ctx, line);
    for (size_t i = 0; i < n; i++) {
        snprintf(line, sizeof(line), "  #%zu  icount %" PRIu64 "  state %016"
                 PRIx64 "\n", i, list[i].icount, list[i].state_hash);
        print(ctx, line);
    }
}

/* ---- the journal ops the run loop calls (core/journal.h) ---- */

static uint64_t j_next_stop(void *j)
{
    return rr_next_stop(j);
}

static bool j_at(void *j, bool idle)
{
    return rr_at(j, idle);
}

static void j_tick(void *j)
{
    rr_tick(j);
}

static bool j_replaying(const void *j)
{
    return rr_replaying(j);
}

static bool j_finished(const void *j)
{
    return rr_finished(j);
}

static void j_log_serial(void *j, unsigned port, const uint8_t *buf,
                         size_t len)
{
    rr_log_serial(j, port, buf, len);
}

static void j_log_idle(void *j, uint64_t ns)
{
    rr_log_idle(j, ns);
}

static void j_log_shutdown(void *j, int reason)
{
    rr_log_shutdown(j, reason);
}

/* A live recording runs forwards only: no seek, no reverse. */
static const CoreJournalOps record_journal = {
    .next_stop = j_next_stop,
    .at = j_at,
    .tick = j_tick,
    .replaying = j_replaying,
    .finished = j_finished,
    .log_serial = j_log_serial,
    .log_idle = j_log_idle,
    .log_shutdown = j_log_shutdown,
};

static const CoreJournalOps replay_journal = {
    .next_stop = j_next_stop,
    .at = j_at,
    .tick = j_tick,
    .replaying = j_replaying,
    .finished = j_finished,
    .log_serial = j_log_serial,
    .log_idle = j_log_idle,
    .log_shutdown = j_log_shutdown,
    .seek = goto_hook,
    .reverse = reverse_hook,
};
