/*
 * repl.h - the shell as a debugger front end (core/debug.h), reading its
 * commands from a script, a terminal (readline) or a pipe. See
 * shell/repl.c.
 */
#ifndef SHELL_REPL_H
#define SHELL_REPL_H

#include "core/run.h"
#include "shell/shcmd.h"

/* The front end to attach (core_debug_attach) for ctx. */
const CoreFrontend *shell_repl_frontend(ShellCtx *ctx);
/* The command line's host ops, but Ctrl-C (SIGINT) stops the machine for
   the shell instead of ending the run. */
const CoreHostOps *shell_repl_host_ops(void);
/* Queue one command to run before any other input. */
void shell_repl_push(ShellCtx *ctx, const char *cmd);
/* Drop queued commands. */
void shell_repl_reset(void);

#endif
