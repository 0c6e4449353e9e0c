/*
 * A recorded trace opened for replay with its machine, without running
 * it: what `rewind last-write`, `rewind history` and `rewind diff` work
 * on (the shell has its own session; these are for the command line).
 * The console is muted and host input is never read, as in `verify`.
 */
#ifndef SHELL_TRACE_OPEN_H
#define SHELL_TRACE_OPEN_H

#include "core/machine.h"
#include "replay/rr.h"

typedef struct ShTrace {
    CoreConfig cfg;        /* the machine keeps a pointer to it */
    RRSession *s;
    CoreMachine *m;
    const char *dir;
    int argc;              /* the recorded machine options */
    char **argv;
} ShTrace;

/* Opens dir and restores its first checkpoint; false with a message
   naming dir in err. t must stay where it is until sh_trace_close. */
bool sh_trace_open(const char *dir, ShTrace *t, char *err, size_t errlen);
/* The same with the engine chosen (-accel tcg,jit=on|off and
   jit-threshold=N), whatever recorded it (`rewind jit-check TRACE`);
   CORE_JIT_DEFAULT and 0: as recorded. */
bool sh_trace_open_jit(const char *dir, ShTrace *t, CoreJitMode jit,
                       uint32_t jit_threshold, char *err, size_t errlen);
void sh_trace_close(ShTrace *t);

#endif
