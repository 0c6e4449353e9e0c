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
 * Like QEMU's -nographic, Ctrl-A x typed on stdio quits and Ctrl-A Ctrl-A
 * sends a literal Ctrl-A; those keys never reach the guest.
 */
#include "core/run.h"
#include "accel/accel.h"
#include "backends/chardev.h"
#include "backends/hostclock.h"
#include "core/input.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CORE_POLL_INTERVAL (1u << 20)

static CoreMachine *signal_machine;
static volatile sig_atomic_t signal_seen;

static void on_signal(int sig)
{
    signal_seen = sig;
    if (signal_machine) {
        signal_machine->attention |= CORE_ATTN_STOP;
    }
}

static void install_signals(CoreMachine *m)
{
    signal_machine = m;
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
    }
    return "?";
}

/* Ctrl-A escape state of the stdio mux. */
static bool escape_pending;

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
                core_machine_request_exit(m, CORE_EXIT_SIGNAL, 0);
                continue;
            }
            if (c == 'h') {
                fprintf(stderr, "\nC-a x    exit\nC-a C-a  send C-a\n");
                continue;
            }
            if (c != 1) {
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

static void poll_input(CoreMachine *m, int timeout_ms)
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
        memmove(held, held + took, held_len - took);
        held_len -= took;
    }
    core_input_deliver(m->input);
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
    uint64_t t0 = be_host_monotonic_ns_nd();
    /* At most 100 ms at a time, so signals are handled promptly. */
    uint64_t ms = (want + 999999) / 1000000;
    poll_input(m, (int)(ms > 100 ? 100 : ms));
    uint64_t waited = be_host_monotonic_ns_nd() - t0;
    m->idle_ns += waited < want ? waited : want;
    return true;
}

int core_run(CoreMachine *m)
{
    const CoreConfig *cfg = m->cfg;
    install_signals(m);
    while (m->exit_kind == CORE_EXIT_NONE) {
        uint64_t until = m->icount + CORE_POLL_INTERVAL;
        if (cfg->max_insns && until > cfg->max_insns) {
            until = cfg->max_insns;
        }
        m->idle_realtime = !cfg->icount_nosleep && input_fd(m) >= 0;
        AccelStop stop = accel_run(m, until);
        if (signal_seen) {
            core_machine_request_exit(m, CORE_EXIT_SIGNAL, 128 + signal_seen);
            break;
        }
        if (m->exit_kind != CORE_EXIT_NONE) {
            break;
        }
        if (cfg->max_insns && m->icount >= cfg->max_insns) {
            core_machine_request_exit(m, CORE_EXIT_LIMIT, 0);
            break;
        }
        if (stop == ACCEL_STOP_IDLE) {
            if (!wait_idle(m)) {
                break;
            }
        } else {
            poll_input(m, 0);
        }
    }
    signal_machine = NULL;
    return m->exit_code;
}
