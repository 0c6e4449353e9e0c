/*
 * Top-level run loop (see core/run.h).
 *
 * The guest runs in slices of CORE_POLL_INTERVAL instructions; between
 * slices the front end's host ops (m->host) hand the host's input to the
 * machine through core_run_host_serial, the only door for asynchronous
 * input. When every hart waits, the host ops wait for input in real time
 * instead of spinning; without an input source the guest can never wake
 * again and the run ends as "halted".
 */
#include "core/run.h"
#include "core/debug.h"
#include "core/input.h"
#include "core/journal.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#define CORE_POLL_INTERVAL (1u << 20)

const char *core_exit_kind_name(CoreExitKind kind)
{
    switch (kind) {
    case CORE_EXIT_NONE: return "running";
    case CORE_EXIT_POWEROFF: return "guest powered off";
    case CORE_EXIT_FAIL: return "guest reported failure";
    case CORE_EXIT_RESET: return "guest requested reset";
    case CORE_EXIT_LIMIT: return "instruction limit reached";
    case CORE_EXIT_HALT: return "guest halted (all harts wait, nothing can wake them)";
    case CORE_EXIT_SIGNAL: return "stopped by signal";
    case CORE_EXIT_STUCK: return "guest stuck in a trap loop";
    case CORE_EXIT_REPLAY_END: return "replay ended";
    case CORE_EXIT_HOST_FAULT: return "a host resource failed";
    }
    return "?";
}

size_t core_run_host_serial(CoreMachine *m, unsigned port, const uint8_t *buf,
                            size_t len)
{
    size_t took = core_input_serial_rx(m->input, port, buf, len);
    if (m->journal) {
        m->journal_ops->log_serial(m->journal, port, buf, took);
    }
    return took;
}

void core_run_host_serial_connect(CoreMachine *m, unsigned port,
                                  bool connected)
{
    if (!core_input_serial_takes_connect(m->input, port)) {
        return;   /* the device cannot show it: not an input */
    }
    core_input_serial_connect(m->input, port, connected);
    if (m->journal) {
        m->journal_ops->log_serial_connect(m->journal, port, connected);
    }
}

void core_run_host_net(CoreMachine *m, unsigned port, const uint8_t *frame,
                       size_t len)
{
    if (len > CORE_INPUT_NET_FRAME_MAX || port >= CORE_INPUT_MAX_NET) {
        return;   /* no trace could carry it; no NIC could take it */
    }
    core_input_net_rx(m->input, port, frame, len);
    if (m->journal) {
        m->journal_ops->log_net_rx(m->journal, port, frame, len);
    }
}

uint64_t core_run_wallclock(void *machine)
{
    CoreMachine *m = machine;
    uint64_t ns = 0;
    if (m->journal && m->journal_ops->replaying(m->journal)) {
        /* On a divergence the journal has asked the run to stop; the
           value read meanwhile does not matter. */
        m->journal_ops->wallclock(m->journal, &ns);
        return ns;
    }
    if (m->host && m->host->wallclock_ns) {
        ns = m->host->wallclock_ns(m);
    }
    if (m->journal) {
        m->journal_ops->log_wallclock(m->journal, ns);
    }
    return ns;
}

size_t core_run_entropy(CoreMachine *m, const char *rng, uint8_t *buf,
                        size_t len)
{
    if (m->journal && m->journal_ops->replaying(m->journal)) {
        /* On a divergence the journal has asked the run to stop. */
        size_t n = 0;
        if (!m->journal_ops->entropy(m->journal, buf, len, &n)) {
            memset(buf, 0, len);
            return 0;
        }
        return n;
    }
    size_t n = 0;
    if (m->host && m->host->entropy_nd) {
        n = m->host->entropy_nd(m, rng, buf, len);
    } else {
        memset(buf, 0, len);
        n = len;
    }
    if (m->journal) {
        m->journal_ops->log_entropy(m->journal, buf, n);
    }
    return n;
}

void core_run_shutdown(CoreMachine *m, int sig)
{
    if (m->journal) {
        m->journal_ops->log_shutdown(m->journal, sig);
    }
    core_machine_request_exit(m, CORE_EXIT_SIGNAL, sig ? 128 + sig : 0);
}

void core_run_host_fault(CoreMachine *m, const char *why)
{
    if (m->journal && m->journal_ops->host_fault) {
        m->journal_ops->host_fault(m->journal, why);
        core_machine_request_exit(m, CORE_EXIT_HOST_FAULT, 1);
    }
}

static bool input_source(CoreMachine *m)
{
    return m->host && m->host->input_source(m);
}

/* Every hart waits. With no timer armed only input can wake the guest;
   otherwise wait for input in real time until the deadline (sleep=on),
   and let guest time advance by what the host waited. Returns false if
   nothing can ever wake the guest. */
static bool wait_idle(CoreMachine *m)
{
    uint64_t deadline = core_timer_next_ns(m);
    bool source = input_source(m);
    if (deadline == UINT64_MAX) {
        if (!source && !core_input_pending(m->input)) {
            core_machine_request_exit(m, CORE_EXIT_HALT, 0);
            return false;
        }
        if (m->host) {
            m->host->poll_input(m, 100, NULL);
        }
        return true;
    }
    uint64_t now = core_clock_ns(m);
    uint64_t want = deadline > now ? deadline - now : 0;
    uint64_t skip = want;
    bool input = false;
    if (!m->cfg->icount_nosleep && source) {
        uint64_t waited;
        /* At most 100 ms at a time, so signals are handled promptly. */
        uint64_t ms = (want + 999999) / 1000000;
        input = m->host->poll_input(m, (int)(ms > 100 ? 100 : ms), &waited);
        skip = waited < want ? waited : want;
        if (m->exit_kind != CORE_EXIT_NONE) {
            /* Ctrl-A x or the monitor's quit during the wait: the
               shutdown is logged already and only END may follow it. */
            return false;
        }
    }
    /* A skip to the deadline with no input at this icount is what replay
       does by itself (when the harts still wait after this icount's
       events). A shorter one is an input, and so is any skip after input
       logged here: replay cannot tell whether the input came before a
       skip it would make itself, and the input may wake a hart. Either
       goes into the log, after the input. Input arriving after the skip
       waits for the next slice's poll, at a logged icount. */
    if (m->journal && (skip != want || input)) {
        m->journal_ops->log_idle(m->journal, skip);
    }
    m->idle_ns += skip;
    return true;
}

bool core_run_wait_nd(CoreMachine *m, struct pollfd *fds, unsigned n,
                      bool ctrl_c_quits, const char *waiting)
{
    if (m->host) {
        return m->host->wait(m, fds, n, ctrl_c_quits, waiting);
    }
    /* No front end: nothing but fds to watch. */
    for (;;) {
        int r = poll(fds, n, -1);
        if (r > 0) {
            return true;
        }
        if (r < 0 && errno != EINTR) {
            fprintf(stderr, "rewind: poll: %s %s\n", strerror(errno), waiting);
            core_machine_request_exit(m, CORE_EXIT_SIGNAL, 1);
            return false;
        }
    }
}

/* ---- debugger front ends ---- */

static unsigned polls;

/* Serve the front end after a stop until it resumes the machine; returns
   the command that did. */
static CoreRunCmdKind serve_debugger(CoreMachine *m, CoreStop why)
{
    CoreDebug *d = m->debug;
    const CoreCpuOps *ops = m->cpu_ops;
    for (;;) {
        CoreRunCmd cmd = d->fe->stopped(d->fe->opaque, m, &why);
        why.cmd_failed = false;
        why.fail_msg = NULL;
        if (why.reason == CORE_STOP_EXITED) {
            return CORE_CMD_QUIT;   /* nothing left to run, whatever was asked */
        }
        unsigned hart = cmd.hart < m->ncpus ? cmd.hart : why.hart;
        void *cpu = m->cpus[hart < m->ncpus ? hart : 0];
        switch (cmd.kind) {
        case CORE_CMD_CONTINUE:
        case CORE_CMD_STEP:
            /* Resuming executes the instruction a hart is stopped at,
               even if it carries a breakpoint. */
            if (core_debug_has_breakpoint(m, ops->pc(cpu))) {
                d->skip_hart = (int)hart;
                d->skip_pc = ops->pc(cpu);
            }
            if (cmd.kind == CORE_CMD_STEP) {
                d->step_hart = (int)hart;
                d->step_target = ops->instret(cpu) + 1;
            }
            return cmd.kind;
        case CORE_CMD_GOTO:
            /* A replay moves either way through the trace (checkpoints
               when that is faster); a live run can only run forwards. */
            if (m->journal && m->journal_ops->seek) {
                if (!m->journal_ops->seek(m, cmd.icount, &why)) {
                    why.cmd_failed = true;
                }
                continue;
            }
            if (cmd.icount >= m->icount) {
                d->goto_icount = cmd.icount;
                return cmd.kind;
            }
            why.cmd_failed = true;
            continue;
        case CORE_CMD_GOTO_TIME:
            /* Forwards only, through the run loop, live or replaying. */
            d->goto_ns = cmd.ns;
            return cmd.kind;
        case CORE_CMD_REVERSE_STEP:
        case CORE_CMD_REVERSE_CONTINUE:
            if (m->journal && m->journal_ops->reverse &&
                m->journal_ops->reverse(m, &cmd, &why)) {
                continue;
            }
            why.cmd_failed = true;
            continue;
        case CORE_CMD_DETACH:
            core_debug_detach(m);
            return cmd.kind;
        case CORE_CMD_QUIT:
            if (m->exit_kind != CORE_EXIT_NONE) {
                return cmd.kind;   /* ended while the front end waited (signal) */
            }
            core_run_shutdown(m, 0);
            return cmd.kind;
        }
    }
}

/* Replaying under a debugger, the end of the trace (the guest's own exit
   included) is the end of history, as gdb's replaylog:end says, not the
   end of the program: the debugger keeps the machine there, and may go
   back. A resume forwards stops at once at the end again. True when the
   debugger went back in time and the run goes on. */
static bool serve_end_of_history(CoreMachine *m)
{
    CoreDebug *d = m->debug;
    while (m->debug) {
        CoreRunCmdKind k = serve_debugger(
            m, (CoreStop){ .reason = CORE_STOP_REPLAY_END,
                           .hart = m->sched_hart });
        if (k == CORE_CMD_QUIT || k == CORE_CMD_DETACH) {
            return false;
        }
        if (!m->journal_ops->finished(m->journal) &&
            m->exit_kind == CORE_EXIT_NONE) {
            return true;
        }
        d->step_hart = -1;
        d->goto_icount = UINT64_MAX;
        d->goto_ns = UINT64_MAX;
        d->skip_hart = -1;
    }
    return false;
}

/* The guest ended the run (power-off, failure, reset, halt) while a
   debugger replays a trace: if the trace ends here too, that is the end
   of history. */
static bool guest_exit_in_replay(CoreMachine *m)
{
    if (!m->debug || !m->journal || !m->journal_ops->replaying(m->journal) ||
        m->exit_kind == CORE_EXIT_SIGNAL ||
        m->exit_kind == CORE_EXIT_REPLAY_END) {
        return false;
    }
    /* the END record, checked as without a debugger */
    m->journal_ops->at(m->journal, true);
    if (!m->journal_ops->finished(m->journal)) {
        return false;     /* the trace goes on: rr_replay_finish says so */
    }
    return serve_end_of_history(m);
}

/* A goto to guest time ns is over after this slice: the clock reads ns or
   more, and the slice ended by count. After a slice that ended because
   every hart waits, the idle skip just taken belongs to the next
   instruction: a seek to this icount (which ends by count) shows the clock
   from before it, so that instruction is run first (next_limit). */
static bool time_reached(const CoreMachine *m, uint64_t ns, bool idle)
{
    return ns != UINT64_MAX && !idle && core_clock_ns(m) >= ns;
}

/* Where a goto to guest time ns stops the next slice: where the clock
   reaches ns if no idle skip comes first, and at least one instruction
   on (see time_reached). */
static uint64_t time_limit(const CoreMachine *m, uint64_t ns)
{
    uint64_t at = core_clock_icount_at(m, ns);
    return at > m->icount ? at : m->icount + 1;
}

/* After a slice with a debugger attached: did something stop the machine
   (breakpoint, watchpoint, finished step or goto, Ctrl-C)? If so, serve
   the front end and return true. idle: the slice ended with every hart
   waiting. */
static bool debugger_check(CoreMachine *m, bool idle)
{
    CoreDebug *d = m->debug;
    CoreStop why = d->stop;
    if (why.reason == CORE_STOP_NONE) {
        if (d->step_hart >= 0 &&
            m->cpu_ops->instret(m->cpus[d->step_hart]) >= d->step_target) {
            why = (CoreStop){ .reason = CORE_STOP_STEP,
                              .hart = (unsigned)d->step_hart };
        } else if ((d->goto_icount != UINT64_MAX &&
                    m->icount >= d->goto_icount) ||
                   time_reached(m, d->goto_ns, idle)) {
            why = (CoreStop){ .reason = CORE_STOP_ICOUNT, .hart = m->sched_hart };
        } else if ((polls++ & 1023) == 0 || d->step_hart < 0) {
            if (!d->fe->poll_interrupt(d->fe->opaque)) {
                return false;
            }
            why = (CoreStop){ .reason = CORE_STOP_INTERRUPT,
                              .hart = m->sched_hart };
        } else {
            return false;
        }
    }
    d->stop.reason = CORE_STOP_NONE;
    d->step_hart = -1;
    d->goto_icount = UINT64_MAX;
    d->goto_ns = UINT64_MAX;
    m->attention &= ~CORE_ATTN_STOP;
    serve_debugger(m, why);
    return true;
}

/* Instruction count at which the run loop must regain control. */
static uint64_t next_limit(CoreMachine *m)
{
    uint64_t until = m->icount + CORE_POLL_INTERVAL;
    const CoreConfig *cfg = m->cfg;
    if (cfg->max_insns && until > cfg->max_insns) {
        until = cfg->max_insns;
    }
    CoreDebug *d = m->debug;
    if (d) {
        if (d->step_hart >= 0) {
            until = m->icount + 1;
        }
        if (d->goto_icount < until) {
            until = d->goto_icount;
        }
        if (d->goto_ns != UINT64_MAX && time_limit(m, d->goto_ns) < until) {
            until = time_limit(m, d->goto_ns);
        }
    }
    return until;
}

/* One pass of the run loop: run up to the next point where someone needs
   control (input poll, record/replay event, debugger, limit), then give
   it. Returns false when the run must end. *idle (if not NULL): the slice
   ended with every hart waiting. */
static bool run_slice(CoreMachine *m, uint64_t stop_at, bool *idle)
{
    const CoreConfig *cfg = m->cfg;
    uint64_t until = next_limit(m);
    if (stop_at < until) {
        until = stop_at;
    }
    if (m->journal) {
        uint64_t j_stop = m->journal_ops->next_stop(m->journal);
        until = j_stop < until ? j_stop : until;
        /* Every idle skip goes through the log. */
        m->idle_realtime = true;
    } else {
        m->idle_realtime = !cfg->icount_nosleep && input_source(m);
    }
    CoreAccelStop stop = m->accel->run(m, until);
    if (idle) {
        *idle = stop == CORE_ACCEL_STOP_IDLE;
    }
    if (m->host && m->host->interrupted(m)) {
        return false;
    }
    if (m->exit_kind != CORE_EXIT_NONE) {
        return guest_exit_in_replay(m);
    }
    if (m->journal) {
        if (!m->journal_ops->at(m->journal, stop == CORE_ACCEL_STOP_IDLE)) {
            if (m->debug && m->journal_ops->replaying(m->journal) &&
                serve_end_of_history(m)) {
                return true;   /* a debugger went back from the end */
            }
            core_machine_request_exit(m, CORE_EXIT_REPLAY_END, 0);
            return false;
        }
        m->journal_ops->tick(m->journal);
    }
    if (m->debug && debugger_check(m, stop == CORE_ACCEL_STOP_IDLE)) {
        return m->exit_kind == CORE_EXIT_NONE;
    }
    if (m->journal && m->journal_ops->replaying(m->journal)) {
        if (m->host && m->host->serve) {
            m->host->serve(m);
        }
        return m->exit_kind == CORE_EXIT_NONE;   /* input from the trace */
    }
    if (cfg->max_insns && m->icount >= cfg->max_insns) {
        core_machine_request_exit(m, CORE_EXIT_LIMIT, 0);
        return false;
    }
    if (stop == CORE_ACCEL_STOP_IDLE) {
        return wait_idle(m);
    }
    if (m->host) {
        m->host->poll_input(m, 0, NULL);
    }
    return true;
}

bool core_run_to(CoreMachine *m, uint64_t icount)
{
    /* No debugger stops on the way: breakpoints passed while seeking are
       not hits. Translations made meanwhile lack the breakpoint cuts, so
       they are dropped afterwards. */
    CoreDebug *d = m->debug;
    m->debug = NULL;
    while (m->icount < icount && m->exit_kind == CORE_EXIT_NONE &&
           run_slice(m, icount, NULL)) {
    }
    m->debug = d;
    if (d && m->debug_changed) {
        m->debug_changed(m);
    }
    return m->icount == icount;
}

bool core_run_to_time(CoreMachine *m, uint64_t ns, uint64_t limit)
{
    CoreDebug *d = m->debug;
    m->debug = NULL;
    bool idle = false;
    while (!time_reached(m, ns, idle) && m->icount < limit &&
           m->exit_kind == CORE_EXIT_NONE) {
        uint64_t to = time_limit(m, ns);
        if (!run_slice(m, to < limit ? to : limit, &idle)) {
            break;
        }
    }
    m->debug = d;
    if (d && m->debug_changed) {
        m->debug_changed(m);
    }
    return time_reached(m, ns, idle);
}

bool core_run_collecting(CoreMachine *m, uint64_t icount,
                         void (*hit)(void *opaque, const CoreStop *stop),
                         void *opaque)
{
    CoreDebug *d = m->debug;
    while (m->icount < icount && m->exit_kind == CORE_EXIT_NONE) {
        uint64_t until = next_limit(m);
        until = until < icount ? until : icount;
        if (m->journal) {
            uint64_t j_stop = m->journal_ops->next_stop(m->journal);
            until = j_stop < until ? j_stop : until;
            m->idle_realtime = true;
        }
        CoreAccelStop stop = m->accel->run(m, until);
        if (m->exit_kind != CORE_EXIT_NONE) {
            break;
        }
        if (m->journal &&
            !m->journal_ops->at(m->journal, stop == CORE_ACCEL_STOP_IDLE)) {
            break;
        }
        if (d->stop.reason != CORE_STOP_NONE) {
            CoreStop st = d->stop;
            d->stop.reason = CORE_STOP_NONE;
            m->attention &= ~CORE_ATTN_STOP;
            hit(opaque, &st);
            if (st.reason == CORE_STOP_BREAKPOINT) {
                /* Go on past it, as a resumed debugger would. */
                d->skip_hart = (int)st.hart;
                d->skip_pc = m->cpu_ops->pc(m->cpus[st.hart]);
            }
        }
    }
    return m->icount == icount;
}

int core_run(CoreMachine *m)
{
    if (m->host) {
        m->host->start(m);
    }
    if (m->exit_kind == CORE_EXIT_NONE) {
        m->attention &= ~(CORE_ATTN_EXIT | CORE_ATTN_STOP);   /* resumed */
    }
    if (m->debug && m->debug->start_stopped) {
        serve_debugger(m, (CoreStop){ .reason = CORE_STOP_ATTACH });
    }
    while (m->exit_kind == CORE_EXIT_NONE && run_slice(m, UINT64_MAX, NULL)) {
    }
    if (m->debug) {
        serve_debugger(m, (CoreStop){ .reason = CORE_STOP_EXITED,
                                      .exit_code = m->exit_code });
    }
    if (m->host) {
        m->host->finish(m);
    }
    return m->exit_code;
}
