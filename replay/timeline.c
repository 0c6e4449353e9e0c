/*
 * The timeline of a replay, for a debugger and `replay --seek`: moving to
 * any icount (rr_seek), in-memory restore points taken while a debugger is
 * attached (core/undo.h, every RR_UNDO_INTERVAL instructions, with the
 * trace position of each), reverse step and reverse continue, and the
 * `monitor` helpers of the GDB stub.
 *
 * Going back restores the nearest restore point or checkpoint before the
 * target and replays forward to it (console muted): replaying is
 * deterministic, so that is the state the machine had there.
 */
#include "replay/rr_int.h"
#include "backends/chardev.h"
#include "core/run.h"
#include "core/snapshot.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A warning for the user (the front end's RROptions.warn), if any. */
static void warn(RRSession *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void warn(RRSession *s, const char *fmt, ...)
{
    if (!s->opts.warn) {
        return;
    }
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    s->opts.warn(msg);
}

/* ---- restore points ---- */

void rr_take_undo_point(RRSession *s)
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
    s->next_undo = (m->icount / RR_UNDO_INTERVAL + 1) * RR_UNDO_INTERVAL;
}

bool rr_reposition(RRSession *s, uint64_t consumed, bool have_pending)
{
    tdb_reader_rewind(s->r);
    s->consumed = 0;
    s->have_pending = false;
    for (uint64_t i = 0; i < consumed; i++) {
        s->have_pending = false;
        if (!rr_fetch(s)) {
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
            s->next_undo = (at / RR_UNDO_INTERVAL + 1) * RR_UNDO_INTERVAL;
            return rr_reposition(s, s->undo_pos[i].consumed,
                                 s->undo_pos[i].have_pending);
        }
        s->undo_count--;
    }
    return false;
}

/* ---- seek ---- */

/* Report a long forward run of `total` instructions from here to the
   front end's progress bar (replay_tick draws it), or end the report
   (total 0). */
static void progress_begin(RRSession *s, uint64_t total)
{
    if (s->opts.progress && total >= RR_PROGRESS_MIN_SEEK) {
        s->progress_from = s->m->icount;
        s->progress_total = total;
    }
}

static void progress_end(RRSession *s)
{
    if (s->progress_total) {
        s->progress_total = 0;
        s->opts.progress(s->opts.progress_opaque, 0, 0);
    }
}

/* Run the replay forward to exactly `icount`, console muted: the output
   being re-executed was shown already. 0 or -1. */
static int run_forward(RRSession *s, uint64_t icount, char *err, size_t errlen)
{
    CoreMachine *m = s->m;
    if (m->serial_backend) {
        be_chardev_set_mute(m->serial_backend, true);
    }
    progress_begin(s, icount > m->icount ? icount - m->icount : 0);
    bool ok = core_run_to(m, icount);
    progress_end(s);
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
        (icount - m->icount <= RR_UNDO_INTERVAL || n == 0 ||
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
    uint64_t used_hash = 0;
    char why[600] = "";
    TdbEvent ev;
    int rc;
    while ((rc = tdb_reader_next(s->r, &ev)) > 0 && ev.icount <= icount) {
        s->consumed++;
        TdbEvCheckpoint ck;
        if (ev.kind != TDB_EV_CHECKPOINT ||
            tdb_ev_checkpoint_decode(&ev, &ck, NULL, 0) != 0) {
            continue;
        }
        long i;
        const char *bad = rr_record_problem(s, &ck, &i, why, sizeof(why));
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
        bool boot = core_snapshot_is_boot(blob, len);
        /* A boot snapshot has no RAM: the machine's own, as built, first;
           the state hash then says that it was the recording's. */
        int lrc = boot ? core_snapshot_load(m, s->boot.data, s->boot.len,
                                            lerr, sizeof(lerr)) : 0;
        if (lrc == 0) {
            lrc = core_snapshot_load(m, blob, len, lerr, sizeof(lerr));
        }
        free(blob);
        if (lrc == 0 && boot && core_machine_state_hash(m) != ck.state_hash) {
            snprintf(lerr, sizeof(lerr), "the machine built from the inputs "
                     "does not have the recorded state (hash %016" PRIx64
                     ")", ck.state_hash);
            lrc = -1;
        }
        if (lrc != 0) {
            /* Partly restored: no earlier checkpoint is in place either. */
            snprintf(err, errlen, "checkpoint at icount %" PRIu64 ": %s",
                     ev.icount, lerr);
            return -1;
        }
        used = s->consumed;
        used_icount = ev.icount;
        used_hash = ck.state_hash;
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
    /* Increments build on each other (a page as the XOR of its old and
       new content, format 4): the state reached must be the recorded
       one. The page hashes follow the pages the loads wrote, so this
       costs a hash of those only. */
    if (core_machine_state_hash(m) != used_hash) {
        snprintf(err, errlen, "checkpoint at icount %" PRIu64 ": the state "
                 "restored does not have the recorded hash %016" PRIx64
                 " (trace damaged)", used_icount, used_hash);
        return -1;
    }
    if (why[0] && !s->fallback_warned) {
        warn(s, "checkpoint at icount %" PRIu64 " is unusable (%s); going on "
             "from the checkpoint at icount %" PRIu64, bad_icount, why,
             used_icount);
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
    if (!rr_reposition(s, used, false)) {
        snprintf(err, errlen, "%s", s->report);
        return -1;
    }
    for (unsigned p = 0; p < CORE_CONSOLE_PORTS; p++) {
        g_byte_array_set_size(s->expect_console[p], 0);
        g_byte_array_set_size(s->actual_console[p], 0);
    }
    s->report[0] = 0;
    s->last_good_icount = used_icount;
    return run_forward(s, icount, err, errlen);
}

/* ---- seek to a guest time ---- */

/* The guest clock checkpoint i restores (its snapshot's header); false if
   it cannot be read. */
static bool checkpoint_ns(RRSession *s, size_t i, uint64_t *ns)
{
    const TdbCheckpoint *list;
    tdb_reader_checkpoints(s->r, &list);
    if (list[i].icount == 0) {
        *ns = 0;   /* the first one: nothing has run, no idle time */
        return true;
    }
    void *blob = NULL;
    size_t len = 0;
    uint64_t icount, idle;
    char why[160];
    bool ok = tdb_reader_load_checkpoint(s->r, i, &blob, &len) == 0 &&
              core_snapshot_clock(blob, len, &icount, &idle, why,
                                  sizeof(why)) == 0 &&
              icount == list[i].icount;
    free(blob);
    *ns = (list[i].icount << s->m->icount_shift) + idle;
    return ok;
}

/* Icount of the last checkpoint whose clock is before ns: a bisection
   over the checkpoints (their clocks grow with their icounts). A
   checkpoint whose clock cannot be read counts as too late. */
static uint64_t checkpoint_before(RRSession *s, uint64_t ns)
{
    const TdbCheckpoint *list;
    size_t n = tdb_reader_checkpoints(s->r, &list);
    if (n == 0) {
        return 0;   /* rr_seek says why that cannot be used */
    }
    size_t lo = 0, hi = n;   /* clock(list[lo]) < ns <= clock(list[hi]) */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t t;
        if (checkpoint_ns(s, mid, &t) && t < ns) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return list[lo].icount;
}

int rr_seek_time(RRSession *s, uint64_t ns, char *err, size_t errlen)
{
    CoreMachine *m = s->m;
    uint64_t here = m->icount, now = core_clock_ns(m);
    uint64_t start = checkpoint_before(s, ns);
    if (now >= ns) {
        /* Backwards: the clock grows by at least one instruction's time
           per instruction, so it was before ns more than (now - ns) /
           unit instructions ago; start there if that is after the
           checkpoint. */
        uint64_t back = ((now - ns) >> m->icount_shift) + 1;
        if (back <= here && here - back > start) {
            start = here - back;
        }
    } else if (start < here) {
        start = here;   /* ahead, and no checkpoint in between */
    }
    if (start != here && rr_seek(s, start, err, errlen) != 0) {
        return -1;
    }
    s->console_check_off = true;
    if (m->serial_backend) {
        be_chardev_set_mute(m->serial_backend, true);
    }
    uint64_t est = core_clock_icount_at(m, ns);
    progress_begin(s, est > m->icount ? est - m->icount : 0);
    bool ok = core_run_to_time(m, ns, UINT64_MAX);
    progress_end(s);
    if (m->serial_backend) {
        be_chardev_set_mute(m->serial_backend, s->opts.quiet);
    }
    if (ok) {
        return 0;
    }
    char why[256];
    if (s->done && s->result == RR_RESULT_UNUSABLE) {
        snprintf(why, sizeof(why), "%.*s", (int)strcspn(s->report, "\n"),
                 s->report);
    } else {
        snprintf(why, sizeof(why), "guest time %.9fs is past the end of the "
                 "trace (guest time %.9fs at icount %" PRIu64 ")",
                 (double)ns / 1e9, (double)core_clock_ns(m) / 1e9, m->icount);
    }
    char back_err[256];
    if (rr_seek(s, here, back_err, sizeof(back_err)) != 0) {
        snprintf(err, errlen, "%s; and going back to icount %" PRIu64
                 " failed: %s", why, here, back_err);
        return -1;
    }
    snprintf(err, errlen, "%s", why);
    return -1;
}

/* A debugger's goto, either way. A target past the end of the trace is
   refused before moving, so the machine stays where it was. */
bool rr_goto_hook(CoreMachine *m, uint64_t icount, CoreStop *why)
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
        warn(s, "reverse: %s", err);
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

bool rr_reverse_hook(CoreMachine *m, const CoreRunCmd *cmd, CoreStop *why)
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

/* ---- the GDB stub's monitor commands ---- */

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
