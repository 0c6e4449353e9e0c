/*
 * The top-level run loop: execute the machine, feed it host input, stop
 * on exit requests, instruction limits, signals or a halted guest.
 */
#ifndef CORE_RUN_H
#define CORE_RUN_H

#include "core/machine.h"

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

/* Human-readable reason for the exit. */
const char *core_exit_kind_name(CoreExitKind kind);

#endif
