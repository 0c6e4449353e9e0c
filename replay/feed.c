/*
 * Replaying (see replay/rr.h): the recorded events are fed to the machine
 * at exactly their icount, through the same input door the host used
 * (core/input.h); backends are never consulted. The run is checked
 * against the recording as it goes: each CHECKPOINT's state hash and
 * snapshot, the console output as one stream (recorded CONSOLE bytes and
 * the bytes the replay prints are compared in order, whatever their
 * batching), the wall-clock reads and the final state at END. The first
 * mismatch ends the replay with a divergence report; trace data that
 * cannot be used ends it as damaged.
 *
 * Ordering rule: events are applied in the exact order of the trace. A
 * checkpoint is itself an event, so restoring checkpoint k and continuing
 * with the events after its CHECKPOINT event reproduces the run exactly
 * (replay/timeline.c relies on it).
 */
#include "replay/rr_int.h"
#include "backends/chardev.h"
#include "core/input.h"
#include "core/snapshot.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const CoreJournalOps replay_journal;

/* ---- ending a replay ---- */

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

void rr_diverge(RRSession *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vend(s, RR_RESULT_DIVERGED, true, "", fmt, ap);
    va_end(ap);
}

void rr_finish(RRSession *s, RRResult result, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vend(s, result, false, "", fmt, ap);
    va_end(ap);
}

/* The trace cannot be trusted from here: exit status 2, not a divergence. */
void rr_damaged(RRSession *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vend(s, RR_RESULT_UNUSABLE, false, "trace damaged: ", fmt, ap);
    va_end(ap);
}

/* ---- the trace ---- */

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

const char *rr_record_problem(RRSession *s, const TdbEvCheckpoint *ck,
                              long *idx, char *buf, size_t buflen)
{
    const TdbCheckpoint *list;
    tdb_reader_checkpoints(s->r, &list);
    long i = find_record(s, ck->offset);
    *idx = i;
    if (i < 0) {
        const char *why = tdb_reader_checkpoint_damage(s->r);
        snprintf(buf, buflen, "its record (offset %" PRIu64 " of "
                 "checkpoints.zst) is missing%s%s", ck->offset,
                 why ? ": " : "", why ? why : "");
        return buf;
    }
    if (list[i].icount != ck->icount || list[i].state_hash != ck->state_hash ||
        list[i].length != ck->length) {
        snprintf(buf, buflen, "the record at offset %" PRIu64 " of "
                 "checkpoints.zst (icount %" PRIu64 ") does not match it",
                 ck->offset, list[i].icount);
        return buf;
    }
    return NULL;
}

bool rr_fetch(RRSession *s)
{
    if (s->have_pending) {
        return true;
    }
    TdbEvent ev;
    int rc = tdb_reader_next(s->r, &ev);
    if (rc < 0) {
        rr_finish(s, RR_RESULT_UNUSABLE, "trace unusable: %s\n",
                  tdb_reader_error(s->r));
        return false;
    }
    if (rc == 0) {
        const char *warn = tdb_reader_warning(s->r);
        char files[600];
        if (!core_machine_check_trace_files(s->m, files, sizeof(files))) {
            rr_damaged(s, "%s\n", files);   /* a disk overlay log */
            return false;
        }
        rr_finish(s, RR_RESULT_INCOMPLETE,
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

/* A payload the trace's kind table allowed but its decoder refuses. */
static bool undecodable(RRSession *s, const char *why)
{
    rr_finish(s, RR_RESULT_UNUSABLE, "trace unusable: %s/events.zst: %s\n",
              s->dir, why);
    return false;
}

/* ---- console ---- */

/* " of port 1 (con0)" for a virtio-serial console, "" for the UART, so
   that a divergence names the device whose output differs. */
static void port_words(const RRSession *s, unsigned port, char *buf,
                       size_t len)
{
    buf[0] = 0;
    if (port) {
        snprintf(buf, len, " of port %u (%s)", port,
                 s->m->console_ids[port][0] ? s->m->console_ids[port]
                                            : "no console there");
    }
}

/* Match printed against recorded console bytes of one port as far as
   both go. Each port is its own stream: the order between ports is not
   compared (their bytes are, and the state hash covers the rest). */
static void match_console(RRSession *s, unsigned port)
{
    GByteArray *want = s->expect_console[port];
    GByteArray *got = s->actual_console[port];
    if (s->console_check_off) {
        g_byte_array_set_size(want, 0);
        g_byte_array_set_size(got, 0);
        return;
    }
    size_t n = want->len < got->len ? want->len : got->len;
    if (n == 0) {
        return;
    }
    if (memcmp(want->data, got->data, n) != 0) {
        size_t at = 0;
        while (want->data[at] == got->data[at]) {
            at++;
        }
        char words[64];
        port_words(s, port, words, sizeof(words));
        rr_diverge(s, "divergence: console output%s differs near icount %"
                   PRIu64 " (recorded byte 0x%02x, replay printed 0x%02x)\n",
                   words, s->m->icount, want->data[at], got->data[at]);
    }
    g_byte_array_remove_range(want, 0, (guint)n);
    g_byte_array_remove_range(got, 0, (guint)n);
}

static void replay_port_console(void *opaque, unsigned port,
                                const uint8_t *buf, size_t len)
{
    RRSession *s = opaque;
    if (port >= CORE_CONSOLE_PORTS) {
        return;
    }
    g_byte_array_append(s->actual_console[port], buf, (guint)len);
    match_console(s, port);
}

static void replay_console(void *opaque, const uint8_t *buf, size_t len)
{
    replay_port_console(opaque, 0, buf, len);
}

/* A recorded CONSOLE or PORT_CONSOLE event: bytes the replay must print.
   False for a payload the decoder refuses (the session is finished). */
static bool expect_console(RRSession *s, const TdbEvent *ev);

static bool is_console_event(const TdbEvent *ev)
{
    return ev->kind == TDB_EV_CONSOLE || ev->kind == TDB_EV_PORT_CONSOLE;
}

/* ---- test-only perturbation ---- */

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
    if (s->opts.perturb_kind == RR_PERTURB_CONSOLE1) {
        static const uint8_t stray = 0x01;
        replay_port_console(s, 1, &stray, 1);
        return;
    }
    if (s->opts.perturb_kind == RR_PERTURB_RAM) {
        core_mem_flip_last_ram_byte(m->as);
        return;
    }
    if (s->opts.perturb_kind == RR_PERTURB_DEVICE) {
        /* The scratch register (offset 7) of serial port 0, a 16550: the
           MMIO window whose device is the one with id "serial0". */
        void *uart = NULL;
        for (unsigned i = 0; i < m->ndevices; i++) {
            if (strcmp(m->devices[i].id, "serial0") == 0) {
                uart = m->devices[i].opaque;
            }
        }
        for (size_t i = 0; uart && i < core_mem_region_count(m->as); i++) {
            CoreMemRegion *r = core_mem_region(m->as, i);
            if (r->kind == CORE_MEM_MMIO && r->opaque == uart) {
                uint64_t v = r->ops->read(r->opaque, 7, 1);
                r->ops->write(r->opaque, 7, (v ^ 0x10) & 0xff, 1);
            }
        }
        return;
    }
    /* gdb register 3, RISC-V's gp (x3): programs set it once and keep it.
       Through the target's debugger access, as a debugger would write it. */
    enum { GDB_REG_GP = 3 };
    uint64_t v;
    unsigned size;
    if (m->cpu_ops->gdb_reg_read(m->cpus[0], GDB_REG_GP, &v, &size)) {
        m->cpu_ops->gdb_reg_write(m->cpus[0], GDB_REG_GP, v ^ 0x10);
    }
}

/* ---- checks ---- */

/* A CHECKPOINT event: the replay's state hash must be the recorded one,
   and the snapshot in checkpoints.zst must be there, intact, and restore
   exactly this state. */
static void check_checkpoint(RRSession *s, const TdbEvent *ev)
{
    TdbEvCheckpoint ck;
    char buf[600];
    if (tdb_ev_checkpoint_decode(ev, &ck, buf, sizeof(buf)) != 0) {
        rr_damaged(s, "malformed CHECKPOINT event at icount %" PRIu64 " (%s)\n",
                   ev->icount, buf);
        return;
    }
    uint64_t want = ck.state_hash;
    uint64_t got = core_machine_state_hash(s->m);
    if (want == got && s->console_check_off) {
        /* After a seek this is a debugging session, not a verification:
           the seek itself reported any checkpoint it could not use. */
        s->last_good_icount = s->m->icount;
        return;
    }
    if (want == got) {
        long i;
        const char *bad = rr_record_problem(s, &ck, &i, buf, sizeof(buf));
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
            rr_damaged(s, "checkpoint at icount %" PRIu64 ": %s\n", ev->icount,
                       bad);
            return;
        }
        s->checkpoints_checked++;
        s->last_good_icount = s->m->icount;
        return;
    }
    rr_diverge(s, "divergence: checkpoint at icount %" PRIu64 " does not "
               "match (recorded state hash %016" PRIx64 ", replay %016" PRIx64
               ")\nthe first difference arose between icount %" PRIu64
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

/* At END: nothing may follow it, and on a run from the start every
   record of checkpoints.zst must have been announced and checked. */
static bool check_after_end(RRSession *s)
{
    TdbEvent next;
    if (tdb_reader_next(s->r, &next) != 0) {
        rr_damaged(s, "%s\n", tdb_reader_error(s->r)[0] ? tdb_reader_error(s->r)
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
        rr_damaged(s, "%s/%s\n", s->dir, why);
        return false;
    }
    if (n != s->checkpoints_checked) {
        rr_damaged(s, "%s/checkpoints.zst holds %zu checkpoints, the event "
                   "log announces %" PRIu64 "\n", s->dir, n,
                   s->checkpoints_checked);
        return false;
    }
    char files[600];
    if (!core_machine_check_trace_files(s->m, files, sizeof(files))) {
        rr_damaged(s, "%s\n", files);   /* a disk overlay log */
        return false;
    }
    return true;
}

/* ---- applying events ---- */

static bool apply_serial(RRSession *s, const TdbEvent *ev)
{
    CoreMachine *m = s->m;
    TdbEvSerial rx;
    char why[200];
    if (tdb_ev_serial_decode(ev, &rx, why, sizeof(why)) != 0) {
        return undecodable(s, why);
    }
    if (!core_input_serial_connected(m->input, rx.port)) {
        /* Trace data, not a divergence: refuse it before the input
           door sees a port it does not have. */
        rr_finish(s, RR_RESULT_UNUSABLE, "trace unusable: %s/events.zst: "
                  "SERIAL_RX event at icount %" PRIu64 " for serial port %u, "
                  "which this machine does not have\n", s->dir, ev->icount,
                  rx.port);
        return false;
    }
    if (core_input_serial_rx(m->input, rx.port, rx.bytes, rx.len) != rx.len) {
        rr_diverge(s, "divergence: serial input at icount %" PRIu64
                   " did not fit the input queue\n", ev->icount);
        return false;
    }
    return true;
}

/* A host client came or went on a serial port's back end at this icount:
   the device learns it from the trace (no back end is open). */
static bool apply_serial_connect(RRSession *s, const TdbEvent *ev)
{
    CoreMachine *m = s->m;
    TdbEvSerialConnect sc;
    char why[200];
    if (tdb_ev_serial_connect_decode(ev, &sc, why, sizeof(why)) != 0) {
        return undecodable(s, why);
    }
    if (!core_input_serial_takes_connect(m->input, sc.port)) {
        rr_finish(s, RR_RESULT_UNUSABLE, "trace unusable: %s/events.zst: "
                  "SERIAL_CONNECT event at icount %" PRIu64 " for serial "
                  "port %u, which has no virtio-serial port on this machine\n",
                  s->dir, ev->icount, sc.port);
        return false;
    }
    core_input_serial_connect(m->input, sc.port, sc.connected);
    return true;
}

/* A frame the recording delivered to a NIC at this icount: no back end
   is open, the frame comes from the trace. */
static bool apply_net_rx(RRSession *s, const TdbEvent *ev)
{
    CoreMachine *m = s->m;
    TdbEvNetRx rx;
    char why[200];
    if (tdb_ev_net_rx_decode(ev, &rx, why, sizeof(why)) != 0) {
        return undecodable(s, why);
    }
    if (!core_input_net_connected(m->input, rx.port)) {
        rr_finish(s, RR_RESULT_UNUSABLE, "trace unusable: %s/events.zst: "
                  "NET_RX event at icount %" PRIu64 " for NIC %u, which this "
                  "machine does not have\n", s->dir, ev->icount, rx.port);
        return false;
    }
    core_input_net_rx(m->input, rx.port, rx.frame, rx.len);
    return true;
}

static bool apply_end(RRSession *s, const TdbEvent *ev)
{
    TdbEvEnd end;
    char why[200];
    if (tdb_ev_end_decode(ev, &end, why, sizeof(why)) != 0) {
        return undecodable(s, why);
    }
    uint64_t want = end.state_hash;
    uint64_t got = core_machine_state_hash(s->m);
    if (want != got) {
        rr_diverge(s, "divergence: final state at icount %" PRIu64
                   " differs (recorded %016" PRIx64 ", replay %016" PRIx64
                   "); last matching check at icount %" PRIu64 "\n",
                   ev->icount, want, got, s->last_good_icount);
        return false;
    }
    for (unsigned p = 0; p < CORE_CONSOLE_PORTS; p++) {
        if (!s->console_check_off &&
            (s->expect_console[p]->len || s->actual_console[p]->len)) {
            char words[64];
            port_words(s, p, words, sizeof(words));
            rr_diverge(s, "divergence: console output%s differs at the end "
                       "(%u recorded bytes unmatched, %u printed)\n", words,
                       s->expect_console[p]->len, s->actual_console[p]->len);
            return false;
        }
    }
    if (!check_after_end(s)) {
        return false;
    }
    rr_finish(s, RR_RESULT_IDENTICAL, "replay identical: %" PRIu64
              " instructions%s, every event, %" PRIu64 " checkpoints and the "
              "final state match\n", ev->icount, s->shutdown_seen ?
              " (the recording was stopped by a request)" : "",
              s->checkpoints_checked);
    return false;
}

static bool expect_console(RRSession *s, const TdbEvent *ev)
{
    TdbEvSerial out = { .port = 0, .len = ev->len, .bytes = ev->data };
    char why[200];
    if (ev->kind == TDB_EV_PORT_CONSOLE &&
        tdb_ev_port_console_decode(ev, &out, why, sizeof(why)) != 0) {
        return undecodable(s, why);
    }
    g_byte_array_append(s->expect_console[out.port], out.bytes,
                        (guint)out.len);
    match_console(s, out.port);
    return true;
}

/* Apply one due event; false when the replay must stop. */
static bool apply(RRSession *s, const TdbEvent *ev)
{
    char why[200];
    switch (ev->kind) {
    case TDB_EV_META:
    case TDB_EV_INTERRUPT:
        return true;
    case TDB_EV_SERIAL_RX:
        return apply_serial(s, ev);
    case TDB_EV_NET_RX:
        return apply_net_rx(s, ev);
    case TDB_EV_SERIAL_CONNECT:
        return apply_serial_connect(s, ev);
    case TDB_EV_IDLE_SKIP: {
        /* No idleness check here: input recorded at the same icount may
           already have woken a hart, and the run loop may have stopped at
           this icount by count before noticing the harts wait. A wrong
           skip shows at the next checkpoint. */
        TdbEvIdle idle;
        if (tdb_ev_idle_decode(ev, &idle, why, sizeof(why)) != 0) {
            return undecodable(s, why);
        }
        s->m->idle_ns += idle.ns;
        return true;
    }
    case TDB_EV_CONSOLE:
    case TDB_EV_PORT_CONSOLE:
        return expect_console(s, ev) && !s->done;
    case TDB_EV_CHECKPOINT:
        check_checkpoint(s, ev);
        return !s->done;
    case TDB_EV_SHUTDOWN:
        /* The recorder stopped on a request; END (final state) follows. */
        s->shutdown_seen = true;
        return true;
    case TDB_EV_END:
        return apply_end(s, ev);
    case TDB_EV_WALLCLOCK:
        rr_diverge(s, "divergence: the recording read the RTC at icount %"
                   PRIu64 ", the replay did not\n", ev->icount);
        return false;
    case TDB_EV_ENTROPY:
        rr_diverge(s, "divergence: a device read entropy at icount %"
                   PRIu64 " in the recording, not in the replay\n",
                   ev->icount);
        return false;
    default:
        rr_diverge(s, "trace has an event of unknown kind %u at icount %"
                   PRIu64 "\n", ev->kind, ev->icount);
        return false;
    }
}

/* ---- the journal ops (core/journal.h) ---- */

static uint64_t replay_next_stop(void *j)
{
    RRSession *s = j;
    uint64_t stop = UINT64_MAX;
    if (rr_fetch(s)) {
        stop = s->pending.icount;
        if (s->pending.kind == TDB_EV_WALLCLOCK ||
            s->pending.kind == TDB_EV_ENTROPY) {
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

static bool replay_at(void *j, bool idle)
{
    RRSession *s = j;
    CoreMachine *m = s->m;
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
        rr_take_undo_point(s);
    }
    while (rr_fetch(s)) {
        const TdbEvent *ev = &s->pending;
        if (ev->icount > m->icount || (ev->kind == TDB_EV_WALLCLOCK &&
                                       ev->icount == m->icount)) {
            break;
        }
        if (ev->icount < m->icount) {
            rr_diverge(s, "divergence: the replay passed icount %" PRIu64
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
        rr_finish(s, RR_RESULT_PARTIAL, "stopped at icount %" PRIu64
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
            rr_diverge(s, "divergence: every hart waits at icount %" PRIu64
                       " with no timer, but the recording went on running "
                       "until %" PRIu64 "\n", m->icount, s->pending.icount);
            return false;
        }
        uint64_t now = core_clock_ns(m);
        if (deadline > now) {
            m->idle_ns += deadline - now;
        }
    }
    return true;
}

/* Between slices: the front end's progress bar, if a long replay is
   being reported (rr.h, RROptions.progress). */
static void replay_tick(void *j)
{
    RRSession *s = j;
    if (!s->opts.progress) {
        return;
    }
    if (s->progress_total) {
        uint64_t done = s->m->icount - s->progress_from;
        s->opts.progress(s->opts.progress_opaque, done, s->progress_total);
    } else if (s->opts.progress_whole) {
        s->opts.progress(s->opts.progress_opaque, s->m->icount,
                         tdb_reader_last_icount(s->r));
    }
}

static bool replay_replaying(const void *j)
{
    (void)j;
    return true;
}

static bool replay_finished(const void *j)
{
    return rr_finished(j);
}

/* The guest reads the wall clock (its RTC) at this icount: the recording
   must have read it here too; console lines written before the read come
   first in the trace. */
static bool replay_wallclock(void *j, uint64_t *ns)
{
    RRSession *s = j;
    while (rr_fetch(s) && is_console_event(&s->pending)) {
        s->have_pending = false;
        if (!expect_console(s, &s->pending)) {
            core_machine_attention(s->m, CORE_ATTN_STOP);
            return false;
        }
    }
    TdbEvWallclock wc;
    if (!s->have_pending || s->pending.kind != TDB_EV_WALLCLOCK ||
        s->pending.icount != s->m->icount) {
        rr_diverge(s, "divergence: the guest read the RTC at icount %" PRIu64
                   ", which the recording did not do there\n", s->m->icount);
        core_machine_attention(s->m, CORE_ATTN_STOP);
        return false;
    }
    char why[200];
    if (tdb_ev_wallclock_decode(&s->pending, &wc, why, sizeof(why)) != 0) {
        undecodable(s, why);
        core_machine_attention(s->m, CORE_ATTN_STOP);
        return false;
    }
    s->have_pending = false;
    *ns = wc.ns;
    return true;
}

/* A device pulls entropy at this icount (virtio-rng): the recording
   must have read the same number of bytes here. */
static bool replay_entropy(void *j, uint8_t *buf, size_t len, size_t *n)
{
    RRSession *s = j;
    while (rr_fetch(s) && is_console_event(&s->pending)) {
        s->have_pending = false;
        if (!expect_console(s, &s->pending)) {
            core_machine_attention(s->m, CORE_ATTN_STOP);
            return false;
        }
    }
    TdbEvEntropy e;
    char why[200];
    if (!s->have_pending || s->pending.kind != TDB_EV_ENTROPY ||
        s->pending.icount != s->m->icount) {
        rr_diverge(s, "divergence: the guest asked for entropy at icount %"
                   PRIu64 ", which the recording did not do there\n",
                   s->m->icount);
        core_machine_attention(s->m, CORE_ATTN_STOP);
        return false;
    }
    if (tdb_ev_entropy_decode(&s->pending, &e, why, sizeof(why)) != 0) {
        undecodable(s, why);
        core_machine_attention(s->m, CORE_ATTN_STOP);
        return false;
    }
    if (e.len > len) {
        rr_diverge(s, "divergence: the recording read %u entropy bytes at "
                   "icount %" PRIu64 ", the guest asked for only %zu\n",
                   e.len, s->m->icount, len);
        core_machine_attention(s->m, CORE_ATTN_STOP);
        return false;
    }
    s->have_pending = false;
    memcpy(buf, e.bytes, e.len);
    *n = e.len;
    return true;
}

static void replay_log_entropy(void *j, const uint8_t *buf, size_t len)
{
    (void)j;
    (void)buf;
    (void)len;
}

static void replay_log_net_rx(void *j, unsigned port, const uint8_t *frame,
                              size_t len)
{
    (void)j;
    (void)port;
    (void)frame;
    (void)len;
}

static void replay_log_serial_connect(void *j, unsigned port, bool connected)
{
    (void)j;
    (void)port;
    (void)connected;
}

/* Replaying, host input is not logged: it never reaches the machine. */
static void replay_log_serial(void *j, unsigned port, const uint8_t *buf,
                              size_t len)
{
    (void)j;
    (void)port;
    (void)buf;
    (void)len;
}

static void replay_log_u64(void *j, uint64_t v)
{
    (void)j;
    (void)v;
}

static void replay_log_shutdown(void *j, int reason)
{
    (void)j;
    (void)reason;
}

/* The replay's own disk copy could not be written (say, /tmp is full):
   the replay cannot show what the recording did. */
static void replay_host_fault(void *j, const char *why)
{
    rr_finish(j, RR_RESULT_UNUSABLE, "replay failed on the host: %s\n", why);
}

static const CoreJournalOps replay_journal = {
    .next_stop = replay_next_stop,
    .at = replay_at,
    .tick = replay_tick,
    .replaying = replay_replaying,
    .finished = replay_finished,
    .wallclock = replay_wallclock,
    .entropy = replay_entropy,
    .log_entropy = replay_log_entropy,
    .log_net_rx = replay_log_net_rx,
    .log_serial_connect = replay_log_serial_connect,
    .log_serial = replay_log_serial,
    .log_wallclock = replay_log_u64,
    .log_idle = replay_log_u64,
    .log_shutdown = replay_log_shutdown,
    .host_fault = replay_host_fault,
    .seek = rr_goto_hook,
    .reverse = rr_reverse_hook,
};

/* ---- opening, attaching, finishing ---- */

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
    for (unsigned p = 0; p < CORE_CONSOLE_PORTS; p++) {
        s->expect_console[p] = g_byte_array_new();
        s->actual_console[p] = g_byte_array_new();
    }
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
        if (!rr_input_hash(m, paths[j], &size, hex)) {
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
    /* Nothing ran yet: this is the RAM of the recording's first
       checkpoint, which a boot snapshot does not carry. */
    core_snapshot_save(m, true, &s->boot);
    m->journal = s;
    m->journal_ops = &replay_journal;
    if (m->serial_backend) {
        be_chardev_set_tap(m->serial_backend, replay_console, s);
    }
    m->console_tap = replay_port_console;
    m->console_tap_opaque = s;
    return true;
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
        replay_at(s, true);
        if (!s->done) {
            rr_diverge(s, "divergence: the guest stopped at icount %" PRIu64
                       " (%s) but the recording went on\n", m->icount,
                       m->exit_kind == CORE_EXIT_STUCK ? "stuck" : "exit");
        }
    }
    if (!s->done) {
        rr_finish(s, RR_RESULT_PARTIAL, "replay stopped at icount %" PRIu64
                  "\n", m ? m->icount : 0);
    }
    snprintf(summary, len, "%s", s->report);
    RRResult r = s->result;
    if (m) {
        if (m->serial_backend) {
            be_chardev_set_tap(m->serial_backend, NULL, NULL);
        }
        m->console_tap = NULL;
        m->console_tap_opaque = NULL;
        m->journal = NULL;
        m->journal_ops = NULL;
    }
    tdb_reader_close(s->r);
    for (int i = 0; i < s->argc; i++) {
        free(s->argv[i]);
    }
    free(s->argv);
    free(s->pending_data);
    core_buf_free(&s->boot);
    for (unsigned p = 0; p < CORE_CONSOLE_PORTS; p++) {
        g_byte_array_free(s->expect_console[p], TRUE);
        g_byte_array_free(s->actual_console[p], TRUE);
    }
    free(s);
    return r;
}
