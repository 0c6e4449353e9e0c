/*
 * The host side of the run loop (see shell/host.h and core/run.h).
 *
 * Between slices the run loop asks here for host input: the back end of
 * every serial port of the input door (the chardev a front end registered
 * with core_input_set_serial_source: the UART's -serial as port 0,
 * virtio-serial ports from 1) is polled, and what each read goes through
 * the Ctrl-A keys of the chardev's mux (backends/mux.h) when it has them,
 * then to the machine's input door with the number of the port it is
 * for: the port itself, or, for a chardev several ports share (mux=on),
 * the port that has the mux's focus (Ctrl-A c moves it). When
 * every hart waits, the wait for input happens here, in real time, and
 * its length is reported back to become guest idle time.
 *
 * SIGINT, SIGTERM and SIGHUP end the run; a recording logs which. The
 * handler only raises a flag, stops the CPU loop and writes a self-pipe.
 */
#include "shell/host.h"
#include "backends/chardev.h"
#include "backends/hostclock.h"
#include "backends/mux.h"
#include "backends/rng.h"
#include "core/input.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static CoreMachine *signal_machine;
static volatile sig_atomic_t signal_seen;
/* Self-pipe: a signal wakes wait()'s poll even if it arrives just
   before the poll starts. */
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

static void start(CoreMachine *m)
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
    /* A peer that closed must not end the run: libslirp send()s to its
       host sockets without MSG_NOSIGNAL (QEMU ignores SIGPIPE too); the
       write then fails with EPIPE, which the back end handles. */
    signal(SIGPIPE, SIG_IGN);
}

static void finish(CoreMachine *m)
{
    (void)m;
    signal_machine = NULL;
}

/* quit_typed once Ctrl-A x was typed (the exit kind may already say
   the guest ended: end of history). */
static bool quit_typed;
/* A host front end (the monitor) holds the machine (shell_host_hold). */
static bool held_by_monitor;

void shell_host_hold(bool held)
{
    held_by_monitor = held;
}

bool shell_host_held(void)
{
    return held_by_monitor;
}

void shell_host_interrupt(CoreMachine *m)
{
    (void)m;
    on_signal(SIGINT);   /* the same flag, stop bit and wake-up */
}

/* A replay's terminal (shell_host_set_replay_input). */
static BeChardev *replay_in;

void shell_host_set_replay_input(BeChardev *chr)
{
    replay_in = chr;
}

static void drop(void *opaque, int port, const uint8_t *buf, size_t len)
{
    (void)opaque, (void)port, (void)buf, (void)len;   /* no door ports */
}

/* What was typed on a replay's terminal, through its mux: to the monitor
   or the Ctrl-A keys, never to the machine. */
static void read_replay_input(CoreMachine *m)
{
    uint8_t buf[256];
    size_t n = be_chardev_read_nd(replay_in, buf, sizeof(buf));
    bool quit = false;
    be_mux_input(be_chardev_mux(replay_in), buf, n, drop, NULL, &quit);
    if (quit && !quit_typed) {
        shell_host_quit(m);
    }
}

static int replay_in_fd(void)
{
    return replay_in ? be_chardev_input_fd(replay_in) : -1;
}

void shell_host_quit(CoreMachine *m)
{
    quit_typed = true;
    held_by_monitor = false;
    /* Nothing held reaches the guest from now on: SHUTDOWN ends the
       trace (only END may follow it). */
    core_run_shutdown(m, 0);
}

/* Host input of each serial port of the input door (port 0 the UART's
   console, 1.. virtio-serial ports): the chardev a front end registered
   as the port's source (core_input_serial_source), and bytes waiting
   because the port's input queue was full. */
typedef struct PortIn {
    uint8_t held[256];
    size_t held_len;
    bool conn_known;      /* `connected` set from the spec yet */
    bool connected;       /* what the machine was last told */
} PortIn;
static PortIn port_in[CORE_INPUT_MAX_SERIAL];

/* Every door port and a monitor fit on one mux. */
_Static_assert(CORE_INPUT_MAX_SERIAL + 1 <= BE_MUX_MAX_FE,
               "a mux takes every input port");

/* Port p's source, unless a lower port has the same one (mux=on): the
   lowest port polls a shared chardev, whose mux then decides which port
   the bytes are for. */
static BeChardev *source_of(CoreMachine *m, unsigned p)
{
    return be_chardev_backend(core_input_serial_source(m->input, p));
}

static BeChardev *port_source(CoreMachine *m, unsigned p)
{
    BeChardev *c = source_of(m, p);
    for (unsigned k = 0; c && k < p; k++) {
        if (source_of(m, k) == c) {
            return NULL;
        }
    }
    return c;
}

static int port_fd(CoreMachine *m, unsigned p)
{
    BeChardev *c = port_source(m, p);
    return c ? be_chardev_input_fd(c) : -1;
}

/* Room left in the held bytes of every port that port p's source feeds:
   a read takes no more, so whichever port has the focus can keep it. */
static size_t source_room(CoreMachine *m, unsigned p)
{
    BeChardev *c = source_of(m, p);
    size_t room = sizeof(port_in[p].held) - port_in[p].held_len;
    for (unsigned k = p + 1; c && k < CORE_INPUT_MAX_SERIAL; k++) {
        if (source_of(m, k) == c) {
            size_t r = sizeof(port_in[k].held) - port_in[k].held_len;
            room = r < room ? r : room;
        }
    }
    return room;
}

/* The Ctrl-A mux of port p's source (NULL: a -chardev without mux=on,
   every byte is port p's), with every door port that shares the source
   attached in port order: the UART, then the virtio-serial ports in
   command-line order, the order their front ends were created. */
static BeMux *port_mux(CoreMachine *m, unsigned p)
{
    BeChardev *c = port_source(m, p);
    BeMux *mux = be_chardev_mux(c);
    for (unsigned k = p; mux && k < CORE_INPUT_MAX_SERIAL; k++) {
        if (source_of(m, k) == c) {
            BeMuxFrontEnd fe = { .port = (int)k };
            snprintf(fe.name, sizeof(fe.name), "input port %u (%s)", k,
                     k == 0 ? "the UART" : "virtio-serial");
            be_mux_attach(mux, &fe);   /* room: see the assertion above */
        }
    }
    return mux;
}

typedef struct Delivery {
    bool ctrl_c;   /* a Ctrl-C went to some port */
} Delivery;

static void hold(void *opaque, int port, const uint8_t *buf, size_t len)
{
    Delivery *d = opaque;
    PortIn *in = &port_in[port];
    size_t room = sizeof(in->held) - in->held_len;
    len = len < room ? len : room;   /* source_room bounded the read */
    memcpy(in->held + in->held_len, buf, len);
    in->held_len += len;
    d->ctrl_c |= memchr(buf, 3, len) != NULL;
}

/* Read port p's source into the held bytes of the port(s) it feeds:
   through the mux's Ctrl-A keys and focus when it has them. True if a
   Ctrl-C was among the bytes kept. */
static bool read_source(CoreMachine *m, unsigned p)
{
    uint8_t buf[sizeof(port_in[0].held)];
    size_t room = source_room(m, p);
    size_t n = be_chardev_read_nd(port_source(m, p), buf,
                                  room < sizeof(buf) ? room : sizeof(buf));
    Delivery d = { false };
    BeMux *mux = port_mux(m, p);
    if (!mux) {
        hold(&d, (int)p, buf, n);
        return d.ctrl_c;
    }
    bool quit = false;
    be_mux_input(mux, buf, n, hold, &d, &quit);
    if (quit && !quit_typed) {
        shell_host_quit(m);   /* the machine stops here anyway */
    }
    return d.ctrl_c;
}

/* The console (port 0) while the machine is stopped. */
static int input_fd(CoreMachine *m)
{
    return port_fd(m, 0);
}

static uint64_t host_wallclock_ns(CoreMachine *m)
{
    (void)m;
    return be_host_wallclock_ns_nd();
}

/* Entropy for a device (core_run_entropy asks only when not replaying). */
static size_t host_entropy_nd(CoreMachine *m, const char *rng, uint8_t *buf,
                              size_t len)
{
    return be_rng_read_nd(m->cfg, rng, buf, len);
}

/* Extra host input sources (shell_host_add_source). */
static ShellHostSource sources[SHELL_HOST_MAX_SOURCES];
static unsigned nsources;

void shell_host_add_source(const ShellHostSource *src)
{
    if (nsources == SHELL_HOST_MAX_SOURCES) {
        fprintf(stderr, "rewind: too many host input sources\n");
        abort();   /* only code adds them, a fixed few */
    }
    sources[nsources++] = *src;
}

void shell_host_clear_sources(void)
{
    nsources = 0;
}

static bool input_source(CoreMachine *m)
{
    for (unsigned p = 0; p < CORE_INPUT_MAX_SERIAL; p++) {
        if (port_fd(m, p) >= 0) {
            return true;
        }
    }
    return nsources > 0;
}

/* Connection changes of each port's back end (a socket's client came or
   went) enter the machine between reads: an arrival before the bytes the
   client sent (arrivals true), a departure after every byte it sent was
   taken (arrivals false). Each is an input (SERIAL_CONNECT) only for a
   device that shows it to the guest (core_run_host_serial_connect). */
static bool connection_changes(CoreMachine *m, bool arrivals)
{
    bool any = false;
    for (unsigned p = 0; p < CORE_INPUT_MAX_SERIAL; p++) {
        BeChardev *c = port_source(m, p);
        PortIn *in = &port_in[p];
        if (!c) {
            continue;
        }
        if (!in->conn_known) {
            in->connected = be_chardev_starts_connected(c);
            in->conn_known = true;
        }
        bool now = be_chardev_connected_nd(c);
        if (now != in->connected && now == arrivals &&
            (arrivals || in->held_len == 0)) {
            in->connected = now;
            core_run_host_serial_connect(m, p, now);
            any = true;
        }
    }
    return any;
}

static bool wait_loop(CoreMachine *m, struct pollfd *fds, unsigned n,
                      bool ctrl_c_quits, const char *waiting, bool hold);

/* While a host front end holds the machine: serve the input sources
   (the monitor's typing reaches it through the mux) until it lets go or
   the run ends. Returns the host ns spent held. */
static uint64_t stay_held(CoreMachine *m)
{
    if (!held_by_monitor) {
        return 0;
    }
    uint64_t t0 = be_host_monotonic_ns_nd();
    wait_loop(m, NULL, 0, false, "while stopped by the monitor", true);
    held_by_monitor = false;   /* released, or the run ends */
    return be_host_monotonic_ns_nd() - t0;
}

/* Hand host input to the input door (and the log); true if any went.
   One poll waits for every port's source at once. */
static bool poll_input(CoreMachine *m, int timeout_ms, uint64_t *waited_ns)
{
    uint64_t t0 = waited_ns ? be_host_monotonic_ns_nd() : 0;
    /* One poll for every port's source and the extra sources (whose
       fill may shorten the timeout, e.g. for slirp's timers). */
    enum { MAX_POLLFDS = 64 };
    struct pollfd fds[CORE_INPUT_MAX_SERIAL + MAX_POLLFDS];
    unsigned port_of[CORE_INPUT_MAX_SERIAL], n = 0;
    unsigned first[SHELL_HOST_MAX_SOURCES], count[SHELL_HOST_MAX_SOURCES];
    for (unsigned p = 0; p < CORE_INPUT_MAX_SERIAL; p++) {
        int fd = port_fd(m, p);
        if (fd >= 0 && source_room(m, p) == sizeof(port_in[p].held)) {
            fds[n] = (struct pollfd){ .fd = fd, .events = POLLIN };
            port_of[n++] = p;
        }
    }
    unsigned nports = n;
    for (unsigned i = 0; i < nsources; i++) {
        first[i] = n;
        count[i] = sources[i].fill(sources[i].opaque, fds + n,
                                   CORE_INPUT_MAX_SERIAL + MAX_POLLFDS - n,
                                   &timeout_ms);
        n += count[i];
    }
    /* With only sources and nothing to watch, the poll is their timer. */
    if ((n || (nsources && timeout_ms != 0)) && poll(fds, n, timeout_ms) < 0) {
        for (unsigned i = 0; i < n; i++) {
            fds[i].revents = 0;     /* EINTR: a signal; nothing is ready */
        }
    }
    for (unsigned i = 0; i < nports; i++) {
        if (fds[i].revents) {
            read_source(m, port_of[i]);
        }
    }
    /* The monitor's `stop`: no guest time passes while held. */
    uint64_t held_ns = stay_held(m);
    bool took_any = connection_changes(m, true);
    for (unsigned i = 0; i < nsources; i++) {
        took_any |= sources[i].dispatch(sources[i].opaque, m, fds + first[i],
                                        count[i]);
    }
    for (unsigned p = 0; p < CORE_INPUT_MAX_SERIAL; p++) {
        PortIn *in = &port_in[p];
        if (in->held_len && !quit_typed) {
            size_t took = core_run_host_serial(m, p, in->held, in->held_len);
            memmove(in->held, in->held + took, in->held_len - took);
            in->held_len -= took;
            took_any |= took > 0;
        }
    }
    took_any |= connection_changes(m, false);
    /* Queued bytes reach the device only when it says it has room
       (core_input_ready from a guest register access): a deterministic
       point, unlike this host-timed poll. */
    if (waited_ns) {
        uint64_t spent = be_host_monotonic_ns_nd() - t0;
        *waited_ns = spent > held_ns ? spent - held_ns : 0;
    }
    return took_any;
}

/* A host signal ends the run; the trace records which. */
static void end_on_signal(CoreMachine *m)
{
    core_run_shutdown(m, signal_seen);
}

static bool interrupted(CoreMachine *m)
{
    if (!signal_seen) {
        return false;
    }
    end_on_signal(m);
    return true;
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
    struct pollfd p = { .fd = fd, .events = POLLIN };
    if (source_room(m, 0) == 0 || poll(&p, 1, 0) <= 0) {
        return false;
    }
    return read_source(m, 0);
}

/* While the machine is held: the other ports' chardevs (a client
   arriving is accepted, bytes wait in `held`), for poll_input to hand
   over once the machine runs. */
static unsigned fill_held_ports(CoreMachine *m, struct pollfd *p,
                                unsigned *port_of)
{
    unsigned n = 0;
    for (unsigned k = 1; k < CORE_INPUT_MAX_SERIAL; k++) {
        int fd = port_fd(m, k);
        if (fd >= 0 && source_room(m, k) == sizeof(port_in[k].held)) {
            p[n] = (struct pollfd){ .fd = fd, .events = POLLIN };
            port_of[n++] = k;
        }
    }
    return n;
}

/* While held, a source asking to be called at once (input waiting for
   the machine) is served every this many ms instead: its input waits
   for the machine anyway. */
#define HELD_MIN_TIMEOUT_MS 20

/* wait_ready's loop; with hold, it returns (true) once the monitor
   lets the machine go instead of when one of fds is ready. */
static bool wait_loop(CoreMachine *m, struct pollfd *fds, unsigned n,
                      bool ctrl_c_quits, const char *waiting, bool hold)
{
    enum { MAX_SOURCE_FDS = 64 };
    struct pollfd p[9 + CORE_INPUT_MAX_SERIAL + MAX_SOURCE_FDS];
    unsigned port_of[CORE_INPUT_MAX_SERIAL];
    unsigned first[SHELL_HOST_MAX_SOURCES], count[SHELL_HOST_MAX_SOURCES];
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
            return false;   /* Ctrl-A x (read_source said so), `quit` */
        }
        if (hold && !held_by_monitor) {
            return true;    /* the monitor's `cont` */
        }
        unsigned np = n;
        if (n) {
            memcpy(p, fds, n * sizeof(*p));
        }
        int con = input_fd(m);
        if (con >= 0 && source_room(m, 0) > 0) {
            p[np++] = (struct pollfd){ .fd = con, .events = POLLIN };
        }
        int rin_at = -1;
        if (replay_in_fd() >= 0) {
            rin_at = (int)np;
            p[np++] = (struct pollfd){ .fd = replay_in_fd(), .events = POLLIN };
        }
        int sig_at = -1;
        if (signal_pipe[0] >= 0) {
            sig_at = (int)np;
            p[np++] = (struct pollfd){ .fd = signal_pipe[0], .events = POLLIN };
        }
        /* The back ends stay served while the machine is held. */
        unsigned ports_at = np;
        unsigned nports = fill_held_ports(m, p + np, port_of);
        np += nports;
        int timeout = signal_pipe[0] >= 0 ? -1 : 100;
        for (unsigned i = 0; i < nsources; i++) {
            int t = -1;
            first[i] = np;
            count[i] = sources[i].fill(sources[i].opaque, p + np,
                                       (unsigned)(CORE_ARRAY_SIZE(p) - np),
                                       &t);
            np += count[i];
            t = t >= 0 && t < HELD_MIN_TIMEOUT_MS ? HELD_MIN_TIMEOUT_MS : t;
            timeout = t >= 0 && (timeout < 0 || t < timeout) ? t : timeout;
        }
        int r = poll(p, np, timeout);
        if (r >= 0) {
            for (unsigned i = 0; i < nports; i++) {
                if (p[ports_at + i].revents) {
                    read_source(m, port_of[i]);   /* through its mux, if any */
                }
            }
            for (unsigned i = 0; i < nsources; i++) {
                sources[i].dispatch(sources[i].opaque, NULL, p + first[i],
                                    count[i]);
            }
        }
        if (r < 0 && errno != EINTR) {
            fprintf(stderr, "rewind: poll: %s %s\n", strerror(errno), waiting);
            core_machine_request_exit(m, CORE_EXIT_SIGNAL, 1);
            return false;
        }
        if (r <= 0) {
            continue;
        }
        if (rin_at >= 0 && p[rin_at].revents) {
            read_replay_input(m);
        }
        if (sig_at >= 0 && p[sig_at].revents) {
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

static bool wait_ready(CoreMachine *m, struct pollfd *fds, unsigned n,
                       bool ctrl_c_quits, const char *waiting)
{
    return wait_loop(m, fds, n, ctrl_c_quits, waiting, false);
}

/* Replaying: the terminal's monitor, and its hold. */
static void serve(CoreMachine *m)
{
    struct pollfd p = { .fd = replay_in_fd(), .events = POLLIN };
    if (p.fd >= 0 && poll(&p, 1, 0) > 0) {
        read_replay_input(m);
    }
    stay_held(m);
}

const CoreHostOps shell_host_ops = {
    .serve = serve,
    .start = start,
    .finish = finish,
    .input_source = input_source,
    .poll_input = poll_input,
    .interrupted = interrupted,
    .wait = wait_ready,
    .wallclock_ns = host_wallclock_ns,
    .entropy_nd = host_entropy_nd,
};
