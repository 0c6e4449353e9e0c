/*
 * A machine: the address space, the harts, the devices and the virtual
 * clock, plus the registry of machine types (`-machine help`).
 *
 * The execution loop checks one word, `attention`, after every translation
 * block; anything slow (an exit request, an interrupt line that changed,
 * input waiting) sets a bit there instead of adding a check to the hot path.
 *
 * `icount` is the global count of retired instructions over all harts. The
 * execution engine keeps it exact whenever device code runs (MMIO access,
 * timer callback), so devices may read the clock at any time.
 */
#ifndef CORE_MACHINE_H
#define CORE_MACHINE_H

#include "core/clock.h"
#include "core/config.h"
#include "core/debug.h"
#include "core/mem.h"
#include "core/observe.h"
#include "core/state.h"
#include "core/target.h"

#define CORE_MAX_CPUS 8
#define CORE_MAX_DEVICES 64
/* Console-class ports, numbered as the input door's serial ports
   (CORE_INPUT_MAX_SERIAL): 0 is the UART. */
#define CORE_CONSOLE_PORTS 4
/* Instructions a hart runs before the next one gets its turn: part of
   the machine's deterministic schedule (sched_left), so every trace
   depends on it; the accelerator follows it (DESIGN.md). */
#define CORE_SCHED_QUANTUM 4096

enum {
    CORE_ATTN_EXIT = 1u << 0,  /* stop the run (core_machine_request_exit) */
    CORE_ATTN_IRQ  = 1u << 1,  /* an interrupt line changed: recheck */
    CORE_ATTN_STOP = 1u << 2,  /* leave the run loop (debugger, budget) */
};

/* A device instance known to the machine, for reset and save/load. */
typedef struct CoreDeviceOps {
    const char *name;                 /* type name, e.g. "ns16550a" */
    void (*reset)(void *opaque);
    const CoreStateDesc *state;       /* NULL only for stateless devices */
    void (*free)(void *opaque);       /* called by core_machine_free */
    /* A device whose state points into files of the trace (a disk's
       overlay log): false, with why, when what this replay produced
       differs from those files. NULL: nothing to check. */
    bool (*check_trace_files)(void *opaque, char *why, size_t whylen);
} CoreDeviceOps;

typedef struct CoreDevice {
    const CoreDeviceOps *ops;
    void *opaque;
    char id[32];
} CoreDevice;

/* CoreCpuOps, what the machine may do to a CPU: core/target.h. */

/* Why the accelerator gave control back to the run loop. */
typedef enum CoreAccelStop {
    CORE_ACCEL_STOP_LIMIT,      /* reached until_icount */
    CORE_ACCEL_STOP_ATTENTION,  /* exit or stop requested (m->attention) */
    CORE_ACCEL_STOP_IDLE,       /* every hart waits, and either no timer
                                   is armed (only input can wake the
                                   machine) or m->idle_realtime asks the
                                   caller to wait */
} CoreAccelStop;

/* What runs the harts (accel/accel.h). */
typedef struct CoreAccel {
    const char *name;                 /* as -accel names it */
    /* Run until m->icount == until_icount or something stops it. */
    CoreAccelStop (*run)(struct CoreMachine *m, uint64_t until_icount);
} CoreAccel;

/* The accelerators, NULL-terminated, the default first. Defined by
   accel/ (accel/accels.c), so that core/ names none. */
extern const CoreAccel *const core_accel_table[];

/* How the machine reached its end. */
typedef enum CoreExitKind {
    CORE_EXIT_NONE,
    CORE_EXIT_POWEROFF,   /* guest asked: finisher pass / poweroff */
    CORE_EXIT_FAIL,       /* guest asked: finisher fail(code) */
    CORE_EXIT_RESET,      /* guest asked for a reset */
    CORE_EXIT_LIMIT,      /* instruction limit reached */
    CORE_EXIT_HALT,       /* nothing can ever run again (all harts wait,
                             no timer, no input) */
    CORE_EXIT_SIGNAL,     /* host asked (Ctrl-C, SIGTERM) */
    CORE_EXIT_STUCK,      /* a hart traps forever without progress */
    CORE_EXIT_REPLAY_END, /* the replay session ended the run */
    CORE_EXIT_HOST_FAULT, /* a host resource the trace needs failed
                             (core_run_host_fault) */
} CoreExitKind;

#define CORE_MAX_INPUTS 8

/* An input file the loader read whole (a raw image): its content hash
   (core/hash.h) as loaded, so a recording or a replay checking its inputs
   need not read it again (a 31 MiB kernel: 7-10 ms), and names the bytes
   the guest got rather than the file as it is later. */
typedef struct CoreLoadedInput {
    const char *path;        /* as configured (cfg owns it) */
    uint64_t size, hash;
} CoreLoadedInput;

struct CoreMachine {
    const CoreConfig *cfg;
    CoreAddrSpace *as;

    uint64_t icount;          /* exact global retired-instruction count */
    unsigned icount_shift;
    uint64_t idle_ns;         /* virtual time skipped while all harts idle */
    volatile uint32_t attention;

    CoreTimer *timers;        /* armed timers, sorted by (deadline, seq) */
    uint64_t timer_seq;

    unsigned ncpus;
    void *cpus[CORE_MAX_CPUS];       /* target CPU objects (cpu_ops) */
    const CoreCpuOps *cpu_ops;
    /* Round-robin scheduler position (machine state: saved with it). */
    uint32_t sched_hart;
    uint64_t sched_left;

    struct BeChardev *serial_backend; /* host side of serial port 0 */
    /* Console output of the other console-class ports (virtio-serial
       consoles), by input-door port (1..): a recording logs it and a
       replay compares it, as it taps serial_backend for port 0. The
       device ids name the ports in the trace ("" for none). */
    void (*console_tap)(void *opaque, unsigned port, const uint8_t *buf,
                        size_t len);
    void *console_tap_opaque;
    char console_ids[CORE_CONSOLE_PORTS][32];

    CoreDevice devices[CORE_MAX_DEVICES];
    unsigned ndevices;

    CoreLoadedInput loaded[CORE_MAX_INPUTS];   /* see CoreLoadedInput */
    unsigned nloaded;

    /* Host side: when every hart waits, return to the run loop instead of
       skipping to the next deadline, so it can wait for host input in
       real time (-icount sleep=on with an interactive input). */
    bool idle_realtime;
    const CoreAccel *accel;          /* what runs the harts */
    /* The front end's side of the run loop (core/run.h), or NULL. */
    const struct CoreHostOps *host;

    CoreExitKind exit_kind;
    int exit_code;                   /* process exit status to report */

    struct CoreInput *input;         /* asynchronous input queues */
    /* The journal of a recording or replay (core/journal.h), or NULL. */
    void *journal;
    const struct CoreJournalOps *journal_ops;
    void *undo;                      /* in-memory restore points (undo.c) */
    /* Pre-images of the pages written since the last checkpoint
       (core/preimage.h), or NULL before the first snapshot. */
    struct CorePreimages *preimages;
    CoreDebug *debug;         /* attached debugger, or NULL */
    /* Board hook: breakpoints/watchpoints changed (drop translations). */
    void (*debug_changed)(CoreMachine *m);
    void *board;                     /* the machine type's own state */
    void (*board_free)(CoreMachine *m);
    /* Why the run stopped, in words, when the code that stopped it knows
       more than exit_kind says (a stuck hart's trap state); "" if not.
       The front end prints it: library code does not write to stderr.
       Last, so that the fields the run loop uses keep their places. */
    char exit_detail[256];
    /* Watches traps and interrupt lines (core/observe.h), or NULL. */
    const CoreObserver *observer;
};

/* Port `port` (< CORE_CONSOLE_PORTS; 0 is the UART) is a console whose
   device has id `id`; its output is part of the console record. */
void core_machine_set_console(CoreMachine *m, unsigned port, const char *id);
/* A console-class port other than the UART wrote guest output. */
void core_machine_console_output(CoreMachine *m, unsigned port,
                                 const uint8_t *buf, size_t len);

/* Create an empty machine for cfg (the machine type's init fills it). */
CoreMachine *core_machine_new(const CoreConfig *cfg);
/* Build it with its machine type; false with a message on failure. */
bool core_machine_init(CoreMachine *m, char *err, size_t errlen);
void core_machine_free(CoreMachine *m);

/* Reset every device (in registration order). */
void core_machine_reset_devices(CoreMachine *m);

/* A 64-bit hash of the whole guest state: every hart, every device, every
   byte of RAM, the clock and the scheduler position. Equal states give
   equal hashes in every run on every host. */
uint64_t core_machine_state_hash(CoreMachine *m);

/* Every device's check_trace_files; false with the first problem. */
bool core_machine_check_trace_files(CoreMachine *m, char *why, size_t whylen);
/* Register a device for reset and save/load; `id` must be unique. */
void core_machine_add_device(CoreMachine *m, const CoreDeviceOps *ops,
                             void *opaque, const char *id);

/* Ask the run loop to stop after the current instruction. */
void core_machine_request_exit(CoreMachine *m, CoreExitKind kind, int code);

static inline void core_machine_attention(CoreMachine *m, uint32_t bits)
{
    m->attention |= bits;
}

/* Machine types, for -machine NAME and -machine help. */
typedef struct CoreMachineType {
    const char *name;
    const char *desc;
    /* Build the machine from m->cfg: RAM, devices, harts, loaded images.
       On failure return false with a message in err. */
    bool (*init)(CoreMachine *m, char *err, size_t errlen);
    /* The files the configuration loads (firmware, kernel, ...), resolved
       as init would: up to CORE_MAX_INPUTS names and paths. */
    size_t (*inputs)(const CoreConfig *cfg, const char **names,
                     const char **paths);
} CoreMachineType;

/* Remembers what the loader said of path's content (img, after a
   core_load_*): nothing unless it read the whole file. */
struct CoreLoadedImage;
void core_machine_note_loaded(CoreMachine *m, const char *path,
                              const struct CoreLoadedImage *img);
/* The size and hash of input path as loaded; false if the loader did not
   read it whole (hash the file then). */
bool core_machine_loaded_hash(const CoreMachine *m, const char *path,
                              uint64_t *size, uint64_t *hash);

/* Input files of cfg (see CoreMachineType.inputs); 0 if unknown type. */
size_t core_machine_inputs(const CoreConfig *cfg, const char **names,
                           const char **paths);

/* The machine types, NULL-terminated, the default first. Defined by the
   boards' layer (hw/boards.c), so that core/ names no board. */
extern const CoreMachineType *const core_board_table[];

const CoreMachineType *core_machine_type_find(const char *name);
const CoreMachineType *const *core_machine_types(void); /* NULL-terminated */

#endif
