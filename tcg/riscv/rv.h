/*
 * The RISC-V front-end as the machine sees it: create harts, reset them,
 * wire interrupt lines to them, run them for an exact number of
 * instructions, save and load their state.
 *
 * Usage (a board):
 *     RVCPU *cpu = rv_cpu_new(m, hartid, tbs);
 *     rv_cpu_reset(cpu, 0x1000);
 *     CoreIrq mti = core_irq_make(rv_cpu_irq_handler, cpu, RV_IRQ_MTI);
 *     uint64_t n = rv_cpu_run(cpu, 10000);  // retires at most 10000 insns
 */
#ifndef TCG_RISCV_RV_H
#define TCG_RISCV_RV_H

#include "core/machine.h"
#include "tcg/riscv/cpu.h"
#include "tcg/tb.h"

/* Source of the `time` CSR (the CLINT's mtime). */
typedef uint64_t (*RVTimeFn)(void *opaque);

RVCPU *rv_cpu_new(CoreMachine *m, unsigned hartid, TBCache *tbs);
void rv_cpu_free(RVCPU *cpu);
void rv_cpu_reset(RVCPU *cpu, gva_t pc);
void rv_cpu_set_time_source(RVCPU *cpu, RVTimeFn fn, void *opaque);

/* CoreIrqHandler: n is the mip bit number, level 0/1. */
void rv_cpu_irq_handler(void *opaque, int n, int level);

/* Run until `budget` instructions retired, the hart waits for an
   interrupt, or m->attention has bits set. Returns instructions retired
   and adds them to m->icount. */
uint64_t rv_cpu_run(RVCPU *cpu, uint64_t budget);

/* True if the hart can run: not in WFI, or an interrupt is pending. */
bool rv_cpu_has_work(RVCPU *cpu);

/* Flush the hart's TLBs and jump cache (satp, sfence.vma, TB flush). */
void rv_cpu_flush_tlb(RVCPU *cpu);
/* Drop cached load/store permissions only (mstatus.SUM/MXR changed). */
void rv_cpu_flush_data_tlb(RVCPU *cpu);
/* Drop cached write permissions only (dirty tracking restarts). */
void rv_cpu_drop_write_tags(RVCPU *cpu);

/* Per-instruction trace: if f != NULL, every retired instruction is
   written there (icount, hart, pc, encoding, disassembly). Slow. */
void rv_cpu_set_trace(RVCPU *cpu, void *file);

/* Debugger memory access through the hart's current translation (no A/D
   updates, RAM/ROM only: MMIO is refused). Writes invalidate translated
   code. Returns 0 or -1. */
int rv_debug_access(RVCPU *cpu, gva_t addr, void *buf, size_t len, bool write);

extern const CoreStateDesc rv_cpu_state_desc;

/* The hart behind the target interface (core/target.h): what the machine,
   the debugger and the front end use (CoreMachine.cpu_ops). */
extern const CoreCpuOps rv_cpu_ops;

#endif
