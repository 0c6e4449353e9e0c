/*
 * The RISC-V front-end as a board sees it: create harts, reset them,
 * wire interrupt lines and the time source to them, and install
 * rv_cpu_ops, through which everything else (running them, save/load,
 * the debugger, the instruction trace) reaches them.
 *
 * Usage (a board):
 *     m->cpu_ops = &rv_cpu_ops;
 *     RVCPU *cpu = rv_cpu_new(m, hartid, tbs);
 *     m->cpus[hartid] = cpu;
 *     CoreIrq mti = core_irq_make(rv_cpu_irq_handler, cpu, RV_IRQ_MTI);
 *     uint64_t n = m->cpu_ops->run(cpu, 10000);  // at most 10000 insns
 */
#ifndef TCG_RISCV_RV_H
#define TCG_RISCV_RV_H

#include "core/machine.h"
#include "tcg/tb.h"

/* A hart. Opaque here: a board reaches its state only through rv_cpu_ops
   (core/target.h); the layout is private to tcg/riscv/ (cpu.h). */
typedef struct RVCPU RVCPU;

/* Interrupt numbers (bit positions in mip/mie), for rv_cpu_irq_handler. */
enum {
    RV_IRQ_SSI = 1, RV_IRQ_MSI = 3,
    RV_IRQ_STI = 5, RV_IRQ_MTI = 7,
    RV_IRQ_SEI = 9, RV_IRQ_MEI = 11,
};

/* Source of the `time` CSR (the CLINT's mtime). */
typedef uint64_t (*RVTimeFn)(void *opaque);

RVCPU *rv_cpu_new(CoreMachine *m, unsigned hartid, TBCache *tbs);
void rv_cpu_free(RVCPU *cpu);
void rv_cpu_reset(RVCPU *cpu, gva_t pc);
void rv_cpu_set_time_source(RVCPU *cpu, RVTimeFn fn, void *opaque);

/* The JIT: does this host have a backend (x86-64)? Hosts without one run
   the interpreter. rv_cpu_set_jit turns it on for a hart (ignored without
   a backend); rv_cpu_set_jit_trace writes every block it translates, the
   guest instructions then the host ones, to a FILE * (NULL: off). */
bool rv_jit_available(void);
void rv_cpu_set_jit(RVCPU *cpu, bool on);
void rv_cpu_set_jit_trace(RVCPU *cpu, void *file);
/* The engine -accel tcg,jit=... asks for, in *jit: true for the JIT.
   CORE_JIT_DEFAULT is the JIT where the host has a backend, unless the
   environment variable REWIND_JIT is "off" (how the test suite runs every
   test with the interpreter: meson test --setup interp). REWIND_JIT other
   than unset, empty, "on" or "off": false, with a message naming it. */
bool rv_jit_wanted(CoreJitMode mode, bool *jit, char *err, size_t errlen);
/* The run on which the JIT translates a block (-accel tcg,jit-threshold=N;
   the blocks run in the interpreter before), in *threshold: `n`, or for 0
   the environment variable REWIND_JIT_THRESHOLD (the test suite's default
   setup sets 1: every block is translated at once, so the tests check the
   JIT's code everywhere), else CORE_JIT_THRESHOLD_DEFAULT. A
   REWIND_JIT_THRESHOLD that is set but not a count from 1 to
   CORE_JIT_THRESHOLD_MAX: false, with a message naming it. */
bool rv_jit_threshold_wanted(uint32_t n, uint32_t *threshold, char *err,
                             size_t errlen);
void rv_cpu_set_jit_threshold(RVCPU *cpu, uint32_t n);
/* The conditional branches a block goes on past (side exits), in *n:
   the environment variable REWIND_SIDE_EXITS (0 to RV_TB_MAX_SIDE_EXITS;
   0: every branch ends its block), else RV_TB_SIDE_EXITS_DEFAULT. A host
   choice like jit=: any value runs the same instructions. Set but not
   such a count: false, with a message naming it. */
bool rv_side_exits_wanted(unsigned *n, char *err, size_t errlen);
void rv_cpu_set_side_exits(RVCPU *cpu, unsigned n);
/* Make the JIT's code buffer (shared by the harts of hart `cpu`'s
   translation cache) before the run, so a host that refuses executable
   memory is known at start-up: false, with the reason in err. */
bool rv_jit_start(RVCPU *cpu, char *err, size_t errlen);

/* CoreIrqHandler: n is the mip bit number, level 0/1. */
void rv_cpu_irq_handler(void *opaque, int n, int level);

/* The hart behind the target interface (core/target.h): what the machine,
   the debugger and the front end use (CoreMachine.cpu_ops). */
extern const CoreCpuOps rv_cpu_ops;

#endif
