/*
 * Debugger support in the core: breakpoints, watchpoints, stop reasons and
 * the front-end interface through which a debugger (the GDB stub, the
 * shell) drives a machine.
 *
 * Breakpoints and watchpoints never modify guest memory. The execution
 * engine ends translation blocks before breakpoint addresses and sends
 * accesses to watched pages through its slow path, so neither costs
 * anything when no debugger is attached. Stopping, stepping and resuming
 * never change the execution: the schedule depends only on the icount.
 *
 * A front end is a pair of callbacks that core_run calls:
 *   poll_interrupt: between slices while the guest runs (must not block);
 *                   return true to stop the machine (Ctrl-C from gdb);
 *   stopped:        when the machine stops; blocks while it serves the
 *                   user, and returns what to do next.
 *
 * Usage (GDB stub):
 *     CoreFrontend fe = { gdb_poll, gdb_stopped, stub };
 *     core_debug_attach(m, &fe);     // -S: stops before the first insn
 *     core_run(m);
 */
#ifndef CORE_DEBUG_H
#define CORE_DEBUG_H

#include "core/types.h"

typedef struct CoreMachine CoreMachine;

#define CORE_DEBUG_MAX_BREAKPOINTS 64
#define CORE_DEBUG_MAX_WATCHPOINTS 16

typedef enum CoreWatchKind {
    CORE_WATCH_WRITE = 1,
    CORE_WATCH_READ = 2,
    CORE_WATCH_ACCESS = 3,
} CoreWatchKind;

typedef enum CoreStopReason {
    CORE_STOP_NONE,
    CORE_STOP_ATTACH,        /* stopped before running (-S) */
    CORE_STOP_BREAKPOINT,    /* hart is about to execute a breakpoint pc */
    CORE_STOP_WATCHPOINT,    /* an access hit a watchpoint (it completed) */
    CORE_STOP_STEP,          /* the requested step finished */
    CORE_STOP_INTERRUPT,     /* the front end asked (Ctrl-C) */
    CORE_STOP_EXITED,        /* the guest powered off / failed / reset */
    CORE_STOP_ICOUNT,        /* reached the icount asked for (goto) */
    CORE_STOP_REPLAY_BEGIN,  /* reverse execution reached the trace start */
    CORE_STOP_REPLAY_END,    /* replay reached the end of the trace */
} CoreStopReason;

typedef struct CoreStop {
    CoreStopReason reason;
    unsigned hart;           /* the hart that hit it / stepped */
    gva_t watch_addr;        /* CORE_STOP_WATCHPOINT: the watched address */
    CoreWatchKind watch_kind;
    gva_t pc;                /* CORE_STOP_WATCHPOINT: the accessing
                                instruction's pc */
    int exit_code;           /* CORE_STOP_EXITED */
    bool cmd_failed;         /* the last command could not be carried out
                                (e.g. reverse execution without a trace) */
    const char *fail_msg;    /* with cmd_failed: why, or NULL (valid until
                                the next command) */
} CoreStop;

typedef enum CoreRunCmdKind {
    CORE_CMD_CONTINUE,       /* run until something stops the machine */
    CORE_CMD_STEP,           /* run until `hart` retires one instruction */
    CORE_CMD_GOTO,           /* move to global icount `icount` (replay:
                                backwards too; live: forwards only) */
    CORE_CMD_GOTO_TIME,      /* run forwards to the first icount whose stop
                                shows a guest clock of at least `ns` (a stop
                                by count: an idle skip taken at icount J
                                shows from J + 1 on, as a seek shows it) */
    CORE_CMD_REVERSE_STEP,   /* replay: back to before `hart`'s previous
                                instruction */
    CORE_CMD_REVERSE_CONTINUE, /* replay: back to the last breakpoint or
                                  watchpoint hit before now */
    CORE_CMD_DETACH,         /* drop breakpoints and run freely */
    CORE_CMD_QUIT,           /* end the run (gdb `kill`) */
} CoreRunCmdKind;

typedef struct CoreRunCmd {
    CoreRunCmdKind kind;
    unsigned hart;
    uint64_t icount;
    uint64_t ns;             /* CORE_CMD_GOTO_TIME */
} CoreRunCmd;

typedef struct CoreFrontend {
    bool (*poll_interrupt)(void *opaque);
    CoreRunCmd (*stopped)(void *opaque, CoreMachine *m, const CoreStop *why);
    void *opaque;
} CoreFrontend;

typedef struct CoreWatchpoint {
    gva_t addr;
    uint64_t len;
    CoreWatchKind kind;
} CoreWatchpoint;

/* Per-machine debug state (m->debug; NULL when no debugger is attached). */
typedef struct CoreDebug {
    const CoreFrontend *fe;
    gva_t bp[CORE_DEBUG_MAX_BREAKPOINTS];
    unsigned nbp;
    CoreWatchpoint wp[CORE_DEBUG_MAX_WATCHPOINTS];
    unsigned nwp;
    CoreStop stop;           /* set by the engine when a bp/wp hits */
    /* Resuming from a breakpoint: hart `skip_hart` may execute the
       instruction at skip_pc once without stopping. */
    int skip_hart;
    gva_t skip_pc;
    /* Stepping: stop when this hart's retired count reaches step_target. */
    int step_hart;
    uint64_t step_target;
    uint64_t goto_icount;    /* run forward to here (UINT64_MAX: none) */
    uint64_t goto_ns;        /* run forward to this guest time (UINT64_MAX:
                                none) */
    /* Physical write watch (replay/lastwrite.c): every CPU store that
       touches [pwatch_addr, pwatch_addr + pwatch_len) of RAM stops as a
       write watchpoint (watch_addr = the physical address), whatever the
       virtual address it went through. pwatch_len 0: none. */
    gpa_t pwatch_addr;
    uint64_t pwatch_len;
    bool start_stopped;      /* -S */
} CoreDebug;

/* Attach a front end; the machine stops before its first instruction if
   stop_at_start. Returns false if one is attached already. */
bool core_debug_attach(CoreMachine *m, const CoreFrontend *fe,
                       bool stop_at_start);
void core_debug_detach(CoreMachine *m);

/* Insert or remove (insert = false) a breakpoint on a virtual pc (any
   hart, any privilege). Returns false if the table is full / not found. */
bool core_debug_breakpoint(CoreMachine *m, gva_t pc, bool insert);
bool core_debug_watchpoint(CoreMachine *m, gva_t addr, uint64_t len,
                           CoreWatchKind kind, bool insert);

/* Set (len > 0) or clear (len 0) the physical write watch. */
bool core_debug_phys_watch(CoreMachine *m, gpa_t addr, uint64_t len);

/* Engine hooks (tcg): is there a breakpoint at pc? which watchpoint does an
   access of [addr, addr+len) of this kind hit (NULL if none)? */
bool core_debug_has_breakpoint(const CoreMachine *m, gva_t pc);
const CoreWatchpoint *core_debug_watch_hit(const CoreMachine *m, gva_t addr,
                                           uint64_t len, bool write);
bool core_debug_page_watched(const CoreMachine *m, gva_t page);
/* Does a store to physical [pa, pa+len) hit the physical watch? Is
   physical page `page` watched (stores to it stay on the slow path)? */
bool core_debug_phys_hit(const CoreMachine *m, gpa_t pa, uint64_t len);
bool core_debug_phys_page_watched(const CoreMachine *m, gpa_t page);

#endif
