/*
 * The top-level run loop: execute the machine, feed it host input, stop
 * on exit requests, instruction limits, signals or a halted guest.
 *
 * The loop itself is host-neutral. Everything that touches the host while
 * it runs (reading the console, waiting in real time, signals) is the
 * front end's, behind CoreHostOps (shell/host.c installs them in
 * m->host). Without host ops the machine has no input source and no
 * signals: an idle guest skips to its next timer, or halts.
 */
#ifndef CORE_RUN_H
#define CORE_RUN_H

#include "core/machine.h"

#include <poll.h>

/* The host side of the run loop, installed by the front end. */
typedef struct CoreHostOps {
    /* The run starts (install signal handlers) and ends. */
    void (*start)(CoreMachine *m);
    void (*finish)(CoreMachine *m);
    /* True if the host can send input (an interactive console). */
    bool (*input_source)(CoreMachine *m);
    /* Hand host input to the machine (core_run_host_serial), waiting up
       to timeout_ms for some; true if any went. If waited_ns is not
       NULL it receives how long the host waited (host time: it becomes
       an idle skip, which a recording logs). */
    bool (*poll_input)(CoreMachine *m, int timeout_ms, uint64_t *waited_ns);
    /* True if the host asked the run to end (a signal); the exit has
       then been requested (core_run_shutdown). */
    bool (*interrupted)(CoreMachine *m);
    /* Replaying (the host gives the machine no input): serve rewind's
       own front ends between slices (the monitor on the terminal), which
       may hold the machine meanwhile. NULL: nothing to serve. */
    void (*serve)(CoreMachine *m);
    /* See core_run_wait_nd. */
    bool (*wait)(CoreMachine *m, struct pollfd *fds, unsigned n,
                 bool ctrl_c_quits, const char *waiting);
    /* The host's wall clock, ns since the Unix epoch (read once, when the
       guest first needs it: see core_run_wallclock). */
    uint64_t (*wallclock_ns)(CoreMachine *m);
    /* len bytes of host entropy from the -object `rng` ("": the builtin
       source); returns the bytes read (see core_run_entropy). */
    size_t (*entropy_nd)(CoreMachine *m, const char *rng, uint8_t *buf,
                         size_t len);
} CoreHostOps;

/* Host input for serial `port` enters the machine here, the input door
   (core_input_serial_rx) plus the journal of a recording. Returns the
   bytes taken; the caller keeps the rest for later. */
size_t core_run_host_serial(CoreMachine *m, unsigned port, const uint8_t *buf,
                            size_t len);

/* The host side of serial `port`'s back end connected or disconnected
   (a socket's client came or went): handed to the device through the
   input door and logged (SERIAL_CONNECT) when the device takes it (a
   virtio-serial port); ignored for one that cannot show it (the UART).
   Called only between slices, by the host ops. */
void core_run_host_serial_connect(CoreMachine *m, unsigned port,
                                  bool connected);

/* A network frame from the host for NIC `port` enters the machine here
   (core_input_net_rx) plus the journal of a recording, which logs it at
   the current icount. Called only between slices, by the host ops. */
void core_run_host_net(CoreMachine *m, unsigned port, const uint8_t *frame,
                       size_t len);

/* The wall clock enters the machine here (the machine's wall-clock hook
   of core/input.h, installed by core_machine_new; opaque = the machine):
   replaying, the journal supplies the recorded value; otherwise the host
   gives it (m->host->wallclock_ns; without host ops, the epoch) and a
   recording journal logs it. */
uint64_t core_run_wallclock(void *machine);

/* Entropy enters the machine here, pulled by a device when the guest
   asks (a register write: a deterministic icount). Replaying, the journal
   supplies the recorded bytes and no host source is read; otherwise the
   host reads `rng` (m->host->entropy_nd; without host ops: zeros) and a
   recording journal logs the bytes. Returns the bytes put in buf (<= len). */
size_t core_run_entropy(CoreMachine *m, const char *rng, uint8_t *buf,
                        size_t len);

/* The user ended the run: by host signal `sig` (exit status 128 + sig),
   or with sig 0 by a quit command (status 0). A recording logs it. */
void core_run_shutdown(CoreMachine *m, int sig);

/* A host resource failed in a way that makes the guest's next step
   differ from what a replay would do (a disk's overlay log could not be
   written, `why` says which and why). Recording or replaying, the
   session ends here and says so; a plain run goes on (the guest saw an
   I/O error, as with failing hardware). */
void core_run_host_fault(CoreMachine *m, const char *why);

/* Run until the machine exits. Returns the process exit status QEMU would
   give (finisher pass 0, fail code, ...) and sets m->exit_kind. */
int core_run(CoreMachine *m);

/* Run forward to exactly `icount` (for seeks): no debugger stops on the
   way. False if the guest ended the run first. */
bool core_run_to(CoreMachine *m, uint64_t icount);

/* Run forward, as core_run_to, to the first icount whose stop shows a
   guest clock of at least ns (CORE_CMD_GOTO_TIME's rule), or to `limit`.
   True when it got there; false if it stopped at the limit or the run
   ended first. */
bool core_run_to_time(CoreMachine *m, uint64_t ns, uint64_t limit);

/* Run forward to `icount` with the debugger's breakpoints and watchpoints
   armed, reporting each hit to `hit` instead of stopping (for reverse
   continue). m->debug must be set. */
bool core_run_collecting(CoreMachine *m, uint64_t icount,
                         void (*hit)(void *opaque, const CoreStop *stop),
                         void *opaque);

/* For a front end that blocks while the machine is stopped (the GDB stub
   waiting for a client or a packet): wait until one of fds[0..n) (at most
   6, events set by the caller) is ready, and meanwhile watch for the user
   ending the run: SIGINT, SIGTERM or SIGHUP, and on the stdio console
   Ctrl-A x or, if ctrl_c_quits, Ctrl-C (a raw terminal sends it as a
   byte). Other bytes typed meanwhile are kept for the guest. Returns true
   with fds[].revents set; false when the run must end: the exit is then
   requested on m (status 128 + signal; Ctrl-C counts as SIGINT) and a
   message ending in `waiting` (e.g. "while waiting for gdb on ...") is
   printed. The watching is the host ops' (m->host->wait, shell/host.c);
   without host ops only fds are watched. */
bool core_run_wait_nd(CoreMachine *m, struct pollfd *fds, unsigned n,
                      bool ctrl_c_quits, const char *waiting);

/* Human-readable reason for the exit. */
const char *core_exit_kind_name(CoreExitKind kind);

#endif
