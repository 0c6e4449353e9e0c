/*
 * shcmd.h - the debug shell's command table and the session it acts on.
 *
 * `rewind shell` is a debugger front end (core/debug.h) like the GDB
 * stub: the run loop calls it whenever the machine stops, it reads
 * commands (readline, -c, -x, or gdb's `monitor`), and a command that
 * moves the machine returns a CoreRunCmd to the run loop, which carries
 * it out through the same engine the stub uses (replay/timeline.c for
 * goto and reverse execution). One row per command in shcmd_table
 * (shell/shcmd.c): name, aliases, usage, help, function. Every command
 * writes its result into a ShOut (shell/out.h).
 *
 * A moving command (stepi, continue, goto, ...) only sets up a motion
 * (ShMotion) and the first CoreRunCmd; the front end (shell/repl.c) feeds
 * the run loop the rest (stepi N: N steps; a breakpoint whose condition
 * does not hold: go on) and prints the stop line when the motion ends.
 */
#ifndef SHELL_SHCMD_H
#define SHELL_SHCMD_H

#include "core/config.h"
#include "core/debug.h"
#include "core/machine.h"
#include "replay/rr.h"
#include "shell/out.h"
#include "shell/symbols.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SH_MAX_BREAK CORE_DEBUG_MAX_BREAKPOINTS
#define SH_MAX_WATCH CORE_DEBUG_MAX_WATCHPOINTS

typedef struct ShBreak {
    unsigned id;
    gva_t addr;
    int hart;             /* `if hart==N`: only this hart stops; -1: any */
    char where[96];       /* as typed (a symbol or an address) */
} ShBreak;

typedef struct ShWatch {
    unsigned id;
    gva_t addr;
    uint64_t len;
    CoreWatchKind kind;
} ShWatch;

typedef enum ShMoveKind {
    SH_MV_NONE,
    SH_MV_STEP,       /* stepi N */
    SH_MV_NEXT,       /* nexti: over a call */
    SH_MV_RSTEP,      /* reverse-stepi N */
    SH_MV_RNEXT,      /* reverse-nexti: back over a call */
    SH_MV_CONT,       /* continue */
    SH_MV_RCONT,      /* reverse-continue */
    SH_MV_GOTO,       /* goto ... */
    SH_MV_GOTO_TIME,  /* goto time T in a live run (forwards) */
} ShMoveKind;

/* A moving command in progress. */
typedef struct ShMotion {
    ShMoveKind kind;
    uint64_t left;        /* steps still to do */
    unsigned hart;
    uint64_t target;      /* goto: the icount */
    uint64_t target_ns;   /* goto time (live): the guest time */
    gva_t from_pc;        /* nexti/reverse-nexti: where it started */
    uint64_t from_sp;     /* ... and the frame: sp and privilege there */
    uint64_t from_priv;
    int rn_phase;         /* reverse-nexti: what it is doing (cmd_move.c) */
    unsigned rn_try;      /* reverse-nexti: trap candidates tried */
    uint64_t rn_ret;      /* reverse-nexti: icount of the handler's return */
    uint64_t rn_trap_id;  /* reverse-nexti: the trap gone back over */
    gva_t temp_bp;        /* a breakpoint of the motion's own */
    bool have_temp_bp;
    bool landing;         /* reverse watchpoint: stepping back onto the access */
    CoreStop hit;         /* the watchpoint hit being landed on */
} ShMotion;

typedef struct ShellCtx {
    CoreMachine *m;
    RRSession *rr;            /* the replay (or a live run's recording) */
    bool replay;              /* reverse execution available */
    bool live;                /* a live machine recorded to tmp_dir */
    char dir[1024];           /* the trace directory */
    unsigned hart;            /* current hart */
    uint64_t trace_end;       /* replay: last icount of the trace */
    SymTab *syms;             /* NULL: addresses only */

    ShBreak bp[SH_MAX_BREAK];
    unsigned nbp;
    ShWatch wp[SH_MAX_WATCH];
    unsigned nwp;
    unsigned next_id;

    /* output */
    bool json;
    FILE *out, *err;

    /* the moving command in progress and its result, printed when the
       machine stops */
    ShMotion mv;
    ShOut mvout;
    char mvcmd[48];

    /* commands: from a script (-c / -x) or readline */
    char **script;            /* NULL: interactive */
    size_t nscript, script_pos;
    bool interactive;
    unsigned failures;        /* commands that failed */
    bool quit;
    /* a live session switches to replaying its own recording to go back */
    bool want_replay;
    char replay_cmd[256];     /* the command that asked, run again there */
} ShellCtx;

typedef int (*ShCmdFn)(ShellCtx *ctx, int argc, char **argv, ShOut *out);

typedef struct ShCmd {
    const char *name;       /* may be two words: "info breakpoints" */
    const char *aliases;    /* space-separated other spellings, or NULL */
    const char *usage;
    const char *help;
    ShCmdFn fn;
} ShCmd;

extern const ShCmd shcmd_table[];
extern const size_t shcmd_count;

/* The row for argv[0] (or argv[0] argv[1] for two-word names); *used is
   how many words the name took. NULL if none. */
const ShCmd *shcmd_find(int argc, char **argv, int *used);

/* Run one command line (several separated by ';' are the caller's) and
   print its result unless it started a motion. Returns 0, or -1 if it
   failed (counted in ctx->failures). */
int shell_exec(ShellCtx *ctx, const char *line);

/* Print a finished command's result (text or JSON, ctx->json). */
void shell_emit(ShellCtx *ctx, ShOut *out, const char *cmd);

/* ---- commands (shell/cmd_*.c) ---- */
int shcmd_help(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_quit(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_where(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_hash(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_stepi(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_nexti(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_continue(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_rstepi(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_rnexti(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_rcontinue(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_goto(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_bookmark(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_bookmarks(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_break(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_watch(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_delete(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_info_break(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_symbols(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_regs(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_x(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_disas(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_backtrace(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_hart(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_devices(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_mtree(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_traps(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_syscalls(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_sql(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_events(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_console(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_timeline(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_last_write(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_history(ShellCtx *ctx, int argc, char **argv, ShOut *out);
int shcmd_diff(ShellCtx *ctx, int argc, char **argv, ShOut *out);

/* ---- helpers the commands share ---- */

/* Parse a number (decimal or 0x hex); false on anything else. */
bool sh_parse_u64(const char *s, uint64_t *v);
/* An address: a number, or a symbol once symbols exist. Fails with a
   one-line message in out. */
bool sh_parse_addr(ShellCtx *ctx, const char *s, gva_t *addr, ShOut *out);
/* The stop line (icount, guest time, hart, privilege, pc, symbol,
   instruction) of hart `hart`, as text and JSON members. */
void sh_stop_line(ShellCtx *ctx, unsigned hart, ShOut *out);
/* Read the instruction at pc through hart's translation; its length (2
   or 4), 0 if unreadable. */
unsigned sh_fetch_insn(ShellCtx *ctx, unsigned hart, gva_t pc, uint32_t *raw);

/* Start a motion (its result goes into ctx->mvout, printed when it ends). */
void sh_motion_start(ShellCtx *ctx, ShMoveKind kind, const char *cmd);
/* The next run-loop command of the motion in progress: why NULL for the
   first, else the stop the last one ended in. False when the motion is
   over (its result is in ctx->mvout) or there is none. */
bool sh_motion_next(ShellCtx *ctx, const CoreStop *why, CoreRunCmd *cmd);

/* ---- the session (shell/shell_session.c) ---- */

/* Build a machine for cfg (shell/main.c). NULL (message printed) on
   failure. */
CoreMachine *shell_build_machine(const CoreConfig *cfg);

/* `rewind shell ...`: returns the process exit status. */
int shell_main(int argc, char **argv);

#endif
