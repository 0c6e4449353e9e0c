/*
 * The machine configuration the command line produces.
 *
 * Everything in here is part of the run's initial state (DESIGN.md): two
 * runs with equal configurations and equal input events are identical.
 */
#ifndef CORE_CONFIG_H
#define CORE_CONFIG_H

#include "core/types.h"

#define CORE_MAX_DEVICE_OPTS 16   /* -device options per command line */
#define CORE_MAX_CHARDEV_OPTS 16  /* -chardev options per command line */
#define CORE_MAX_DEVICE_PROPS 16  /* properties per -device */
#define CORE_MAX_NETDEV_OPTS 4    /* -netdev options per command line */

/* One `-device TYPE,name=value,...` as data: the board builds it through
   the device registry (hw/registry.h), which has already checked the
   names and values. */
typedef struct CoreDeviceProp {
    const char *name;
    const char *value;
} CoreDeviceProp;

typedef struct CoreDeviceOpt {
    const char *type;
    const char *id;            /* id=, or the deterministic default */
    const char *arg;           /* the option as written, for messages */
    unsigned nprops;           /* without id= */
    CoreDeviceProp props[CORE_MAX_DEVICE_PROPS];
} CoreDeviceOpt;

/* One `-object TYPE,id=ID[,filename=F]` (backends/rng.c parses them):
   host back ends a device names by id (`rng=ID`). */
#define CORE_MAX_OBJECT_OPTS 8
typedef struct CoreObjectOpt {
    const char *type;          /* "rng-random", "rng-builtin" */
    const char *id;
    const char *filename;      /* rng-random: the entropy file */
    const char *arg;           /* the option as written, for messages */
} CoreObjectOpt;

/* One block node: `-drive file=F,format=raw,id=ID,...` or the top node of
   `-blockdev driver=file|raw,...,node-name=ID` (backends/block.c parses
   them); a device takes it by id (`drive=ID`). */
#define CORE_MAX_DRIVE_OPTS 4
typedef struct CoreDriveOpt {
    const char *id;            /* -drive id= or -blockdev node-name= */
    const char *filename;      /* the image */
    const char *input_name;    /* "drive:ID", its name among the trace's inputs */
    const char *arg;           /* the option as written, for messages */
    bool readonly;             /* readonly=on / read-only=on */
    bool snapshot;             /* snapshot=on: writes stay in memory */
    bool consumed;             /* a file node under a raw node (not a drive) */
} CoreDriveOpt;

/* How the harts' code runs (-accel tcg,jit=on|off). A host choice, not
   part of the run: both engines give the same run, so a trace recorded
   with one replays with the other. */
typedef enum CoreJitMode {
    CORE_JIT_DEFAULT = 0,      /* the JIT where the host has a backend */
    CORE_JIT_ON,
    CORE_JIT_OFF,              /* the interpreter */
} CoreJitMode;

/* The JIT translates a block on its Nth whole run and interprets it
   before (docs/jit.md, "Tiered translation"): most blocks of a boot run a
   few times, and a translation costs as much as interpreting a block
   hundreds of times. */
#define CORE_JIT_THRESHOLD_DEFAULT 16u
#define CORE_JIT_THRESHOLD_MAX 1000000u

typedef struct CoreConfig {
    const char *machine;       /* "virt" */
    const char *cpu;           /* "rv64" */
    uint64_t ram_size;         /* bytes */
    unsigned smp;
    const char *bios;          /* NULL = default, "none", or a path */
    const char *kernel;
    const char *initrd;
    const char *append;
    const char *dtb;
    const char *dumpdtb;       /* -machine dumpdtb=FILE */
    const char *serial;        /* chardev spec: "mon:stdio", "stdio", "null",
                                  "file:PATH", "chardev:ID" */
    unsigned icount_shift;
    bool icount_nosleep;       /* -icount sleep=off: idle time is skipped
                                  at once even while waiting for input */
    uint64_t max_insns;        /* 0 = unlimited */
    const char *trace_insns;   /* per-instruction trace file, or NULL */
    const char *trace_jit;     /* --trace-jit: each JIT translation (guest
                                  then host code) to this file, or NULL */
    bool nographic;
    bool monitor_none;         /* -monitor none: no monitor on mon:stdio */
    bool stats;                /* print icount and state hash at exit */
    const char *gdb;           /* -gdb SPEC / -s, or NULL */
    bool gdb_wait;             /* -S: stop before the first instruction */
    const char *rr_record_dir; /* -icount rr=record,rrfile=DIR */
    const char *rr_replay_dir; /* -icount rr=replay,rrfile=DIR */
    bool rtc_pinned;           /* -rtc base=DATE: the RTC starts at rtc_base_ns */
    uint64_t rtc_base_ns;      /* ns since the Unix epoch */
    unsigned ndevices;         /* -device options, in command-line order */
    CoreDeviceOpt devices[CORE_MAX_DEVICE_OPTS];
    unsigned nchardevs;        /* -chardev options, as given (checked by
                                  be_chardev_define, opened when used) */
    const char *chardevs[CORE_MAX_CHARDEV_OPTS];
    bool chardev_replay;       /* replaying: a -chardev opens as output-only
                                  (no socket, pty or pipe; input comes from
                                  the trace) */
    unsigned nnetdevs;         /* -netdev options, as given (checked by
                                  be_netdev_define, opened by the NIC) */
    const char *netdevs[CORE_MAX_NETDEV_OPTS];
    unsigned nobjects;         /* -object options, in command-line order */
    CoreObjectOpt objects[CORE_MAX_OBJECT_OPTS];
    unsigned ndrives;          /* -drive and -blockdev nodes, in order */
    CoreDriveOpt drives[CORE_MAX_DRIVE_OPTS];
    bool block_cow;            /* record/replay: images are opened read-only
                                  and guest writes go to an overlay log
                                  whose point checkpoints save */
    const char *block_log_dir; /* record: the trace directory that gets
                                  each drive's overlay log; replay: the
                                  trace whose logs rebuild checkpoints */
    bool block_log_record;     /* block_log_dir is being recorded */
    CoreJitMode jit;           /* not part of the run's state (see above) */
    uint32_t jit_threshold;    /* -accel tcg,jit-threshold=N: the JIT
                                  translates a block on its Nth whole run
                                  (interpreted before); 0: the default
                                  (rv_jit_threshold_wanted). Not part of
                                  the run's state either */
} CoreConfig;

/* The -object with this id, or NULL. */
static inline const CoreObjectOpt *core_config_object(const CoreConfig *cfg,
                                                      const char *id)
{
    for (unsigned i = 0; i < cfg->nobjects; i++) {
        const char *a = cfg->objects[i].id, *b = id;
        while (*a && *a == *b) {
            a++;
            b++;
        }
        if (*a == *b) {
            return &cfg->objects[i];
        }
    }
    return NULL;
}

#endif
