/*
 * monitor.h - the shell's command set behind gdb's `monitor` (the GDB
 * stub takes it as a callback: gdbstub/ may not include shell/). Commands
 * that only look or name things run as in the shell; `goto` in every
 * shell form moves the machine through the stub's own goto; the other
 * moving and stopping commands stay gdb's (its stepi, break, watch).
 */
#ifndef SHELL_MONITOR_H
#define SHELL_MONITOR_H

#include "gdbstub/gdbstub.h"
#include "replay/rr.h"

typedef struct ShellMonitor ShellMonitor;

/* For a replay of trace `dir` (rr: its session). */
ShellMonitor *shell_monitor_new(CoreMachine *m, RRSession *rr, const char *dir);
void shell_monitor_free(ShellMonitor *mon);
/* A GdbMonitorFn; opaque is the ShellMonitor. */
bool shell_monitor_command(void *opaque, const char *line, GdbPrintFn print,
                           void *ctx, uint64_t *goto_icount);

#endif
