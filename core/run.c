/*
 * Top-level run loop (see core/run.h).
 *
 * The guest runs in slices of CORE_POLL_INTERVAL instructions; between
 * slices the host's input (the serial backend) is polled and handed to the
 * machine through core/input.h, the only door for asynchronous input.
 * When every hart waits with no timer armed, the loop blocks on the input
 * descriptor instead of spinning; without an input source the guest can
 * never wake again and the run ends as "halted".
 *
 * Like QEMU's -nographic (its mux chardev), Ctrl-A is an escape key on
 * stdio: Ctrl-A x quits, Ctrl-A h lists the keys, Ctrl-A Ctrl-A sends a
 * literal Ctrl-A; the escapes never reach the guest. Every other byte,
 * Ctrl-C included (mon:stdio turns the terminal's signals off), is guest
 * input and goes through the input door, so a recording logs it.
 */
#include "core/run.h"
#include "accel/accel.h"
#include "backends/chardev.h"
#include "backends/hostclock.h"
#include "core/debug.h"
#include "core/input.h"
#include "replay/rr.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CORE_POLL_INTERVAL (1u << 20)

static CoreMachine *signal_machine;
static volatile sig_atomic_t signal_seen;
/* Self-pipe: a signal wakes core_run_wait_nd's poll even if it arrives
   just before the poll starts. */
static int signal_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
    int saved = errno;
    signal_seen = sig;
    if (signal_machine) {
        signal_machine->attention |= CORE_ATTN_STOP;
    }
    if (signal_pipe[1] >= 0) {
        ssize_t r = write(signal_pipe[1], "", 1);
        (void)r;   /* full pipe: a wake-up is pending anyway */
    }
    errno = saved;
}

static void install_signals(CoreMachine *m)
{
    signal_machine = m;
    if (signal_pipe[0] < 0 && pipe(signal_pipe) == 0) {
        for (int i = 0; i < 2; i++) {
            fcntl(signal_pipe[i], F_SETFD, FD_CLOEXEC);
            fcntl(signal_pipe[i], F_SETFL, O_NONBLOCK);
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

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
    }
    return "?";
}

/* Ctrl-A escape state of the stdio mux; quit_typed once Ctrl-A x was
   (the exit kind may already say the guest ended: end of history). */
static bool escape_pending;
static bool quit_typed;

/* Filter escape sequences out of host input; returns bytes kept. */
static size_t filter_escapes(CoreMachine *m, uint8_t *buf, size_t n)
{
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = buf[i];
        if (escape_pending) {
            escape_pending = false;
            if (c == 'x') {
                fprintf(stderr, "\nrewind: terminated (Ctrl-A x)\n");
                quit_typed = true;
                if (m->rr) {
                    rr_log_shutdown(m->rr, 0);
                }
                core_machine_request_exit(m, CORE_EXIT_SIGNAL, 0);
                /* Nothing of this read reaches the guest: SHUTDOWN ends
                   the trace (only END may follow it), and the machine
                   stops here anyway. */
                return 0;
            }
            if (c == 'h' || c == '?') {
                fprintf(stderr, "\n"
                        "C-a h    print this help\n"
                        "C-a x    exit rewind (a recording is closed, complete)\n"
                        "C-a c    switch to the monitor (there is no monitor yet)\n"
                        "C-a C-a  send C-a to the guest\n"
                        "C-c is sent to the guest with -nographic or "
                        "-serial mon:stdio\n");
                continue;
            }
            if (c == 'c') {
                fprintf(stderr, "\nrewind: C-a c: there is no monitor yet; "
                        "the console stays with the guest\n");
                continue;
            }
            if (c != 1) {
                fprintf(stderr, "\nrewind: C-a %s%c is not a command "
                        "(C-a h lists them)\n", c < 0x20 ? "C-" : "",
                        c < 0x20 ? c + '@' : (c < 0x7f ? c : '?'));
                continue;
            }
        } else if (c == 1) {
            escape_pending = true;
            continue;
        }
        buf[out++] = c;
    }
    return out;
}

/* Host input waiting because the input queue was full. */
static uint8_t held[256];
static size_t held_len;

/* Hand host input to the input door (and the log); true if any went. */
static bool poll_input(CoreMachine *m, int timeout_ms)
{
    BeChardev *chr = m->serial_backend;
    int fd = chr ? be_chardev_input_fd(chr) : -1;
    if (fd >= 0 && held_len == 0) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, timeout_ms) > 0) {
            size_t n = be_chardev_read_nd(chr, held, sizeof(held));
            held_len = filter_escapes(m, held, n);
        }
    }
    if (held_len) {
        size_t took = core_input_serial_rx(m->input, 0, held, held_len);
        if (m->rr) {
            rr_log_serial(m->rr, 0, held, took);
        }
        memmove(held, held + took, held_len - took);
        held_len -= took;
        return took > 0;
    }
    /* Queued bytes reach the device only when it says it has room
       (core_input_ready from a guest register access): a deterministic
       point, unlike this host-timed poll. */
    return false;
}

static int input_fd(CoreMachine *m)
{
    return m->serial_backend ? be_chardev_input_fd(m->serial_backend) : -1;
}

/* Every hart waits. With no timer armed only input can wake the guest;
   otherwise wait for input in real time until the deadline (sleep=on),
   and let guest time advance by what the host waited. Returns false if
   nothing can ever wake the guest. */
static bool wait_idle(CoreMachine *m)
{
    uint64_t deadline = core_timer_next_ns(m);
    if (deadline == UINT64_MAX) {
        if (input_fd(m) < 0 && !core_input_pending(m->input)) {
            core_machine_request_exit(m, CORE_EXIT_HALT, 0);
            return false;
        }
        poll_input(m, 100);
        return true;
    }
    uint64_t now = core_clock_ns(m);
    uint64_t want = deadline > now ? deadline - now : 0;
    uint64_t skip = want;
    bool input = false;
    if (!m->cfg->icount_nosleep && input_fd(m) >= 0) {
        uint64_t t0 = be_host_monotonic_ns_nd();
        /* At most 100 ms at a time, so signals are handled promptly. */
        uint64_t ms = (want + 999999) / 1000000;
        input = poll_input(m, (int)(ms > 100 ? 100 : ms));
        uint64_t waited = be_host_monotonic_ns_nd() - t0;
        skip = waited < want ? waited : want;
    }
    /* A skip to the deadline with no input at this icount is what replay
       does by itself (when the harts still wait after this icount's
       events). A shorter one is an input, and so is any skip after input
       logged here: replay cannot tell whether the input came before a
       skip it would make itself, and the input may wake a hart. Either
       goes into the log, after the input. Input arriving after the skip
       waits for the next slice's poll, at a logged icount. */
    if (m->rr && (skip != want || input)) {
        rr_log_idle(m->rr, skip);
    }
    m->idle_ns += skip;
    return true;
}

/* A host signal ends the run; the trace records which. */
static void end_on_signal(CoreMachine *m)
{
    if (m->rr) {
        rr_log_shutdown(m->rr, signal_seen);
    }
    core_machine_request_exit(m, CORE_EXIT_SIGNAL, 128 + signal_seen);
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    }
    return "a signal";
}

/* Console bytes typed while the machine is stopped: Ctrl-A escapes act
   at once, the rest waits in `held` for the guest. True if Ctrl-C was
   among them. */
static bool read_console_while_stopped(CoreMachine *m, int fd)
{
    uint8_t buf[sizeof(held)];
    size_t room = sizeof(held) - held_len;
    struct pollfd p = { .fd = fd, .events = POLLIN };
    if (room == 0 || poll(&p, 1, 0) <= 0) {
        return false;
    }
    size_t n = filter_escapes(m, buf, be_chardev_read_nd(m->serial_backend,
                                                         buf, room));
    bool ctrl_c = memchr(buf, 3, n) != NULL;
    memcpy(held + held_len, buf, n);
    held_len += n;
    return ctrl_c;
}

bool core_run_wait_nd(CoreMachine *m, struct pollfd *fds, unsigned n,
                      bool ctrl_c_quits, const char *waiting)
{
    struct pollfd p[8];
    if (n > 6) {
        n = 6;   /* the contract: at most 6 */
    }
    for (;;) {
        if (signal_seen) {
            fprintf(stderr, "\nrewind: stopped by %s %s\n",
                    signal_name(signal_seen), waiting);
            end_on_signal(m);
            return false;
        }
        if (quit_typed) {
            return false;   /* Ctrl-A x (filter_escapes said so) */
        }
        unsigned np = n;
        memcpy(p, fds, n * sizeof(*p));
        int con = input_fd(m);
        if (con >= 0 && held_len < sizeof(held)) {
            p[np++] = (struct pollfd){ .fd = con, .events = POLLIN };
        }
        if (signal_pipe[0] >= 0) {
            p[np++] = (struct pollfd){ .fd = signal_pipe[0], .events = POLLIN };
        }
        int r = poll(p, np, signal_pipe[0] >= 0 ? -1 : 100);
        if (r < 0 && errno != EINTR) {
            fprintf(stderr, "rewind: poll: %s %s\n", strerror(errno), waiting);
            core_machine_request_exit(m, CORE_EXIT_SIGNAL, 1);
            return false;
        }
        if (r <= 0) {
            continue;
        }
        if (signal_pipe[0] >= 0) {
            char drain[16];
            while (read(signal_pipe[0], drain, sizeof(drain)) > 0) {
            }
        }
        if (con >= 0 && read_console_while_stopped(m, con) && ctrl_c_quits) {
            fprintf(stderr, "\nrewind: stopped by Ctrl-C %s\n", waiting);
            signal_seen = SIGINT;
            end_on_signal(m);
            return false;
        }
        bool ready = false;
        for (unsigned i = 0; i < n; i++) {
            fds[i].revents = p[i].revents;
            ready |= p[i].revents != 0;
        }
        if (ready && !quit_typed && !signal_seen) {
            return true;
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
            if (m->rr_goto) {
                if (!m->rr_goto(m, cmd.icount, &why)) {
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
        case CORE_CMD_REVERSE_STEP:
        case CORE_CMD_REVERSE_CONTINUE:
            if (m->rr_reverse && m->rr_reverse(m, &cmd, &why)) {
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
            if (m->rr) {
                rr_log_shutdown(m->rr, 0);
            }
            core_machine_request_exit(m, CORE_EXIT_SIGNAL, 0);
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
        if (!rr_finished(m->rr) && m->exit_kind == CORE_EXIT_NONE) {
            return true;
        }
        d->step_hart = -1;
        d->goto_icount = UINT64_MAX;
        d->skip_hart = -1;
    }
    return false;
}

/* The guest ended the run (power-off, failure, reset, halt) while a
   debugger replays a trace: if the trace ends here too, that is the end
   of history. */
static bool guest_exit_in_replay(CoreMachine *m)
{
    if (!m->debug || !m->rr || !rr_replaying(m->rr) ||
        m->exit_kind == CORE_EXIT_SIGNAL ||
        m->exit_kind == CORE_EXIT_REPLAY_END) {
        return false;
    }
    rr_at(m->rr, true);   /* the END record, checked as without a debugger */
    if (!rr_finished(m->rr)) {
        return false;     /* the trace goes on: rr_replay_finish says so */
    }
    return serve_end_of_history(m);
}

/* After a slice with a debugger attached: did something stop the machine
   (breakpoint, watchpoint, finished step or goto, Ctrl-C)? If so, serve
   the front end and return true. */
static bool debugger_check(CoreMachine *m)
{
    CoreDebug *d = m->debug;
    CoreStop why = d->stop;
    if (why.reason == CORE_STOP_NONE) {
        if (d->step_hart >= 0 &&
            m->cpu_ops->instret(m->cpus[d->step_hart]) >= d->step_target) {
            why = (CoreStop){ .reason = CORE_STOP_STEP,
                              .hart = (unsigned)d->step_hart };
        } else if (d->goto_icount != UINT64_MAX && m->icount >= d->goto_icount) {
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
    }
    return until;
}

/* One pass of the run loop: run up to the next point where someone needs
   control (input poll, record/replay event, debugger, limit), then give
   it. Returns false when the run must end. */
static bool run_slice(CoreMachine *m, uint64_t stop_at)
{
    const CoreConfig *cfg = m->cfg;
    uint64_t until = next_limit(m);
    if (stop_at < until) {
        until = stop_at;
    }
    if (m->rr) {
        uint64_t rr_stop = rr_next_stop(m->rr);
        until = rr_stop < until ? rr_stop : until;
        /* Every idle skip goes through the log. */
        m->idle_realtime = true;
    } else {
        m->idle_realtime = !cfg->icount_nosleep && input_fd(m) >= 0;
    }
    AccelStop stop = accel_run(m, until);
    if (signal_seen) {
        end_on_signal(m);
        return false;
    }
    if (m->exit_kind != CORE_EXIT_NONE) {
        return guest_exit_in_replay(m);
    }
    if (m->rr) {
        if (!rr_at(m->rr, stop == ACCEL_STOP_IDLE)) {
            if (m->debug && rr_replaying(m->rr) && serve_end_of_history(m)) {
                return true;   /* a debugger went back from the end */
            }
            core_machine_request_exit(m, CORE_EXIT_REPLAY_END, 0);
            return false;
        }
        rr_tick(m->rr);
    }
    if (m->debug && debugger_check(m)) {
        return m->exit_kind == CORE_EXIT_NONE;
    }
    if (m->rr && rr_replaying(m->rr)) {
        return true;   /* input and idle time come from the trace */
    }
    if (cfg->max_insns && m->icount >= cfg->max_insns) {
        core_machine_request_exit(m, CORE_EXIT_LIMIT, 0);
        return false;
    }
    if (stop == ACCEL_STOP_IDLE) {
        return wait_idle(m);
    }
    poll_input(m, 0);
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
           run_slice(m, icount)) {
    }
    m->debug = d;
    if (d && m->debug_changed) {
        m->debug_changed(m);
    }
    return m->icount == icount;
}

bool core_run_collecting(CoreMachine *m, uint64_t icount,
                         void (*hit)(void *opaque, const CoreStop *stop),
                         void *opaque)
{
    CoreDebug *d = m->debug;
    while (m->icount < icount && m->exit_kind == CORE_EXIT_NONE) {
        uint64_t until = next_limit(m);
        until = until < icount ? until : icount;
        if (m->rr) {
            uint64_t rr_stop = rr_next_stop(m->rr);
            until = rr_stop < until ? rr_stop : until;
            m->idle_realtime = true;
        }
        AccelStop stop = accel_run(m, until);
        if (m->exit_kind != CORE_EXIT_NONE) {
            break;
        }
        if (m->rr && !rr_at(m->rr, stop == ACCEL_STOP_IDLE)) {
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
    install_signals(m);
    if (m->exit_kind == CORE_EXIT_NONE) {
        m->attention &= ~(CORE_ATTN_EXIT | CORE_ATTN_STOP);   /* resumed */
    }
    if (m->debug && m->debug->start_stopped) {
        serve_debugger(m, (CoreStop){ .reason = CORE_STOP_ATTACH });
    }
    while (m->exit_kind == CORE_EXIT_NONE && run_slice(m, UINT64_MAX)) {
    }
    if (m->debug) {
        serve_debugger(m, (CoreStop){ .reason = CORE_STOP_EXITED,
                                      .exit_code = m->exit_code });
    }
    signal_machine = NULL;
    return m->exit_code;
}
