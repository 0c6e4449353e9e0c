/*
 * Recording (see replay/rr.h): every input the host hands the machine is
 * appended to the trace with the icount at which it takes effect, the
 * guest's console output line by line, and a checkpoint every
 * checkpoint_interval instructions. The session is the machine's journal
 * (core/journal.h) while it records.
 *
 * Ordering rule: events are written in the order they happened, and a
 * checkpoint is itself an event (CHECKPOINT) in that order, so a replay
 * that restores it and goes on with the events after it reproduces the
 * run exactly, even when other events share its icount.
 *
 * The first trace-writer error ends the recording: the run stops at the
 * next journal stop and rr_record_end() returns the message.
 */
#include "replay/rr_int.h"
#include "replay/derive.h"
#include "backends/chardev.h"
#include "backends/hostclock.h"
#include "core/env.h"
#include "core/input.h"
#include "core/snapshot.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const CoreJournalOps record_journal;

/* The first writer error ends the recording; keep the writer's message
   (it names the trace file) for rr_record_end, once. */
static void record_failed_because(RRSession *s, const char *why)
{
    if (!s->failed) {
        snprintf(s->fail_msg, sizeof(s->fail_msg), "recording failed at "
                 "icount %" PRIu64 ": %s; the trace ends before this point "
                 "(incomplete)", s->m->icount, why);
        s->failed = true;
    }
}

static void record_failed(RRSession *s)
{
    record_failed_because(s, tdb_writer_error(s->w));
}

/* The derived-event rows (traps, ecalls, interrupt lines) go into the
   index with each flush of the trace; a failure there ends the recording
   like a writer failure. */
static void flush_derived(RRSession *s, bool final)
{
    char why[400];
    if (!s->derive || s->failed) {
        return;
    }
    if (tdb_writer_derived(s->w, rr_derive_rows(s->derive), final,
                           s->m->icount, why, sizeof(why)) != 0) {
        int n = snprintf(s->fail_msg, sizeof(s->fail_msg), "recording failed "
                         "at icount %" PRIu64 ": ", s->m->icount);
        if (n > 0 && (size_t)n < sizeof(s->fail_msg)) {
            g_strlcpy(s->fail_msg + n, why, sizeof(s->fail_msg) - (size_t)n);
        }
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
        /* The UART's text is CONSOLE; a virtio-serial console's is
           PORT_CONSOLE, its port byte first. */
        bool uart = s->line_port == 0;
        s->line[0] = (uint8_t)s->line_port;
        TdbEvent ev = { .kind = uart ? TDB_EV_CONSOLE : TDB_EV_PORT_CONSOLE,
                        .icount = s->line_icount,
                        .len = (uint32_t)(s->line_len + !uart),
                        .data = uart ? s->line + 1 : s->line };
        if (!s->failed && tdb_writer_append(s->w, &ev) != 0) {
            record_failed(s);
        }
        s->line_len = 0;
    }
}

/* Append an encoded event (rc: its encoder's result) at m->icount. */
static void append(RRSession *s, TdbEvent *ev, int rc)
{
    flush_console(s);
    if (s->failed) {
        return;
    }
    ev->hart = 0;
    ev->icount = s->m->icount;
    if (rc != 0 || tdb_writer_append(s->w, ev) != 0) {
        record_failed(s);
    }
}

/* Console output while recording: one CONSOLE event per line, stamped
   with the icount of the write that completed it. A line still open when
   another event comes (a prompt waiting for input) is written up to there
   first, which cuts it into several CONSOLE events; the index joins them
   back into one console row. Output of another console port than the
   open line's ends that line first (the index keeps a line per port). */
static void record_port_console(void *opaque, unsigned port,
                                const uint8_t *buf, size_t len)
{
    RRSession *s = opaque;
    if (port != s->line_port) {
        flush_console(s);
        s->line_port = port;
    }
    for (size_t i = 0; i < len; i++) {
        s->line[1 + s->line_len++] = buf[i];
        s->line_icount = s->m->icount;
        if (buf[i] == '\n' || s->line_len == RR_CONSOLE_MAX) {
            flush_console(s);
        }
    }
}

static void record_console(void *opaque, const uint8_t *buf, size_t len)
{
    record_port_console(opaque, 0, buf, len);
}

/* The first checkpoint is a boot snapshot (core/snapshot.h): the machine
   has not run, its RAM is the input images, which a replay loads and
   checks itself; copying and compressing them cost the recording more
   than all later checkpoints of a Linux boot together.

   The snapshot and its hash come from one serialization, on this thread,
   at the checkpoint's icount: the snapshot is the copy of the state (the
   dirty pages, devices, harts) the trace writer's thread compresses and
   writes while the machine runs on; that thread never reads the machine.
   Checkpoints after the boot snapshot are streamed (stream_checkpoint)
   through two pieces of the writer's, filled while it compresses the
   other: a disk overlay or a burst of DMA makes snapshots of tens of
   MiB (a Linux boot's largest is 21 MiB), and a buffer that size, even
   kept from one checkpoint to the next, cost its first touch on every
   recording (fresh buffers each time had cost a fifth of the CPU time of
   a 64 MiB dd read under record). */
/* The trace writer as the sink of a streamed snapshot (core/snapshot.h):
   its pieces, never the whole increment, are in memory at once. */
static bool stream_begin(void *opaque, uint64_t total)
{
    RRSession *s = opaque;
    s->cost.snapshot_bytes += total;
    return tdb_writer_stream_begin(s->w, total) == 0;
}

static bool stream_give(void *opaque, CoreBuf *piece, bool more)
{
    RRSession *s = opaque;
    bool ok = tdb_writer_stream_give(s->w, piece->data, piece->len) == 0;
    size_t cap = 0;
    piece->data = ok && more ? tdb_writer_stream_piece(s->w, &cap) : NULL;
    piece->len = 0;
    piece->cap = cap;
    return ok && (piece->data || !more);
}

/* An increment, streamed to the writer: false if the writer failed. */
static bool stream_checkpoint(RRSession *s, uint64_t *hash)
{
    CoreSnapshotSink sink = { stream_begin, stream_give, s };
    CoreBuf piece = { 0 };
    piece.data = tdb_writer_stream_piece(s->w, &piece.cap);
    bool ok = core_snapshot_save_increment_to(s->m, &sink, &piece, hash);
    if (piece.data) {   /* the writer failed before the last piece */
        tdb_writer_stream_give(s->w, piece.data, 0);
    }
    return ok;
}

static void take_checkpoint(RRSession *s, bool boot)
{
    uint64_t hash, t0 = be_host_thread_cpu_ns_nd();
    uint64_t w0 = be_host_monotonic_ns_nd();
    s->cost.checkpoints++;
    if (!boot && !s->failed) {
        bool ok = stream_checkpoint(s, &hash);
        s->cost.capture_ns += be_host_thread_cpu_ns_nd() - t0;
        s->cost.capture_wall_ns += be_host_monotonic_ns_nd() - w0;
        flush_console(s);
        if (!ok || (!s->failed &&
                    tdb_writer_stream_end(s->w, s->m->icount, hash) != 0)) {
            record_failed(s);
        }
        return;
    }
    CoreBuf b = { 0 };
    if (boot) {
        core_snapshot_save_boot_hashed(s->m, &b, &hash);
    } else {
        core_snapshot_save_hashed(s->m, false, &b, &hash);
    }
    s->cost.snapshot_bytes += b.len;
    s->cost.capture_ns += be_host_thread_cpu_ns_nd() - t0;
    s->cost.capture_wall_ns += be_host_monotonic_ns_nd() - w0;
    flush_console(s);
    if (s->failed) {
        free(b.data);
    } else if (tdb_writer_checkpoint_give(s->w, s->m->icount, hash, b.data,
                                          b.len, b.cap)) {
        record_failed(s);
    }
}

/* REWIND_FLUSH_MS, host milliseconds between two flushes (1 to 10^6),
   for a recorder slowed down on purpose: under valgrind (bench/rr_bench.py
   --instructions) a run takes fifty times longer, and flushing every 100
   ms of host time would write fifty times as many frames and index
   transactions as the same recording at full speed. */
static uint64_t flush_interval_ns(void)
{
    uint32_t ms = RR_FLUSH_INTERVAL_NS / 1000000;
    char why[8];   /* the message below says more */
    if (!core_env_count("REWIND_FLUSH_MS", "", 1, 1000000, &ms, why,
                        sizeof(why))) {
        fprintf(stderr, "rewind: REWIND_FLUSH_MS=%s is not a number of "
                "milliseconds from 1 to 1000000; flushing every %llu ms\n",
                getenv("REWIND_FLUSH_MS"), RR_FLUSH_INTERVAL_NS / 1000000);
        return RR_FLUSH_INTERVAL_NS;
    }
    return (uint64_t)ms * 1000000;
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
        if (!rr_input_hash(m, paths[i], &size, hashes[i])) {
            snprintf(err, errlen, "%s: cannot read %s", paths[i], names[i]);
            return NULL;
        }
        inputs[i] = (TdbInput){ names[i], paths[i], size, hashes[i] };
    }

    /* The command line, verbatim, so replay rebuilds the same machine. */
    enum { MAX_META = RR_MAX_ARGS + 8 + CORE_CONSOLE_PORTS };
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
    /* Which device each console port is (the index's console.device). */
    char ckeys[CORE_CONSOLE_PORTS][16];
    for (unsigned p = 0; p < CORE_CONSOLE_PORTS; p++) {
        if (m->console_ids[p][0]) {
            snprintf(ckeys[p], sizeof(ckeys[p]), "console.%u", p);
            meta[nm++] = (TdbKV){ ckeys[p], m->console_ids[p] };
        }
    }

    RRSession *s = calloc(1, sizeof(*s));
    if (!s) {
        free(json);
        snprintf(err, errlen, "%s: out of memory", dir);
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
    if (m->serial_backend) {
        be_chardev_set_tap(m->serial_backend, record_console, s);
    }
    if (!opts->no_derived) {
        s->derive = rr_derive_attach(m);   /* NULL: no memory, no index */
        flush_derived(s, false);           /* says the tables are filled */
    }
    m->console_tap = record_port_console;
    m->console_tap_opaque = s;
    take_checkpoint(s, true);
    s->next_checkpoint = opts->checkpoint_interval;
    s->last_flush_ns = be_host_monotonic_ns_nd();
    s->flush_interval_ns = flush_interval_ns();
    return s;
}

int rr_record_end(RRSession *s, char *err, size_t errlen)
{
    CoreMachine *m = s->m;
    flush_console(s);
    flush_derived(s, true);
    rr_derive_detach(s->derive);
    s->derive = NULL;
    int rc = 0;
    if (s->failed) {
        snprintf(err, errlen, "%s", s->fail_msg);
        tdb_writer_abort(s->w);
        rc = -1;
    } else {
        tdb_writer_set_guest_ns(s->w, core_clock_ns(m));
        if (tdb_writer_end(s->w, m->icount, core_machine_state_hash(m)) != 0) {
            snprintf(err, errlen, "closing the trace failed: %s",
                     tdb_writer_error(s->w));
            rc = -1;
        }
        s->cost.writer_cpu_ns = tdb_writer_worker_cpu_ns(s->w);
        s->cost.trace_bytes = tdb_writer_bytes(s->w);
        tdb_writer_close(s->w, m->icount, 0);   /* frees; already ended */
    }
    if (m->serial_backend) {
        be_chardev_set_tap(m->serial_backend, NULL, NULL);
    }
    m->console_tap = NULL;
    m->console_tap_opaque = NULL;
    m->journal = NULL;
    m->journal_ops = NULL;
    if (s->opts.cost) {
        *s->opts.cost = s->cost;
    }
    free(s);
    return rc;
}

/* ---- the journal ops (core/journal.h) ---- */

static uint64_t record_next_stop(void *j)
{
    RRSession *s = j;
    return s->next_checkpoint;
}

static bool record_at(void *j, bool idle)
{
    RRSession *s = j;
    (void)idle;
    if (s->m->icount >= s->next_checkpoint) {
        take_checkpoint(s, false);
        s->next_checkpoint += s->opts.checkpoint_interval;
    }
    return !s->failed;
}

/* Flush the trace every flush_interval_ns of host time, so a killed
   recorder loses at most that much. */
static void record_tick(void *j)
{
    RRSession *s = j;
    uint64_t now = be_host_monotonic_ns_nd();
    if (now - s->last_flush_ns >= s->flush_interval_ns) {
        flush_console(s);
        if (!s->failed && tdb_writer_flush(s->w) != 0) {
            record_failed(s);
        }
        flush_derived(s, false);
        s->last_flush_ns = now;
    }
}

/* A disk's overlay log could not be written (core_run_host_fault). */
static void record_host_fault(void *j, const char *why)
{
    record_failed_because(j, why);
}

static bool record_replaying(const void *j)
{
    (void)j;
    return false;
}

static bool record_finished(const void *j)
{
    (void)j;
    return false;
}

static void record_serial(void *j, unsigned port, const uint8_t *buf,
                          size_t len)
{
    RRSession *s = j;
    uint8_t payload[1 + 256];
    while (len) {
        size_t n = len < 256 ? len : 256;
        TdbEvSerial rx = { (uint8_t)port, (uint32_t)n, buf };
        TdbEvent ev;
        append(s, &ev, tdb_ev_serial_encode(&rx, payload, sizeof(payload),
                                            &ev));
        buf += n;
        len -= n;
    }
}

static void record_wallclock(void *j, uint64_t ns)
{
    uint8_t payload[TDB_EV_FIXED_MAX];
    TdbEvent ev;
    append(j, &ev, tdb_ev_wallclock_encode(&(TdbEvWallclock){ ns }, payload,
                                           sizeof(payload), &ev));
}

static void record_entropy(void *j, const uint8_t *buf, size_t len)
{
    uint8_t payload[256];
    TdbEvEntropy e = { (uint32_t)len, buf };
    TdbEvent ev;
    /* The device asks for at most 256 bytes per request (hw/virtio). */
    append(j, &ev, tdb_ev_entropy_encode(&e, payload, sizeof(payload), &ev));
}

/* One NET_RX event per frame, stamped with the icount it was delivered. */
static void record_net_rx(void *j, unsigned port, const uint8_t *frame,
                          size_t len)
{
    static uint8_t payload[1 + TDB_NET_FRAME_MAX];
    TdbEvNetRx rx = { (uint8_t)port, (uint32_t)len, frame };
    TdbEvent ev;
    append(j, &ev, tdb_ev_net_rx_encode(&rx, payload, sizeof(payload), &ev));
}

static void record_serial_connect(void *j, unsigned port, bool connected)
{
    uint8_t payload[TDB_EV_FIXED_MAX];
    TdbEvSerialConnect sc = { (uint8_t)port, connected };
    TdbEvent ev;
    append(j, &ev, tdb_ev_serial_connect_encode(&sc, payload, sizeof(payload),
                                                &ev));
}

static void record_idle(void *j, uint64_t ns)
{
    uint8_t payload[TDB_EV_FIXED_MAX];
    TdbEvent ev;
    append(j, &ev, tdb_ev_idle_encode(&(TdbEvIdle){ ns }, payload,
                                      sizeof(payload), &ev));
}

static void record_shutdown(void *j, int reason)
{
    uint8_t payload[TDB_EV_FIXED_MAX];
    TdbEvent ev;
    append(j, &ev, tdb_ev_shutdown_encode(&(TdbEvShutdown){ (uint32_t)reason },
                                          payload, sizeof(payload), &ev));
}

/* A live recording runs forwards only: no seek, no reverse, and its
   inputs come from the host. */
static const CoreJournalOps record_journal = {
    .next_stop = record_next_stop,
    .at = record_at,
    .tick = record_tick,
    .replaying = record_replaying,
    .finished = record_finished,
    .log_serial = record_serial,
    .log_wallclock = record_wallclock,
    .log_entropy = record_entropy,
    .log_net_rx = record_net_rx,
    .log_serial_connect = record_serial_connect,
    .log_idle = record_idle,
    .log_shutdown = record_shutdown,
    .host_fault = record_host_fault,
};
