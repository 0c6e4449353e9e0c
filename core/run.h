/*
 * The top-level run loop: execute the machine, feed it host input, stop
 * on exit requests, instruction limits, signals or a halted guest.
 */
#ifndef CORE_RUN_H
#define CORE_RUN_H

#include "core/machine.h"

#include <poll.h>

/* Run until the machine exits. Returns the process exit status QEMU would
   give (finisher pass 0, fail code, ...) and sets m->exit_kind. */
int core_run(CoreMachine *m);

/* Run forward to exactly `icount` (for seeks): no debugger stops on the
   way. False if the guest ended the run first. */
bool core_run_to(CoreMachine *m, uint64_t icount);

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
   printed. */
bool core_run_wait_nd(CoreMachine *m, struct pollfd *fds, unsigned n,
                      bool ctrl_c_quits, const char *waiting);

/* Human-readable reason for the exit. */
const char *core_exit_kind_name(CoreExitKind kind);

#endif
