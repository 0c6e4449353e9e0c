/*
 * The target interface: everything the rest of rewind may do to a guest
 * CPU, as one table of operations per CPU model. The scheduler (accel/),
 * the debugger (gdbstub/), record/replay (replay/), boards (hw/) and the
 * front end reach a CPU only through these; its type and its registers
 * stay private to its folder under tcg/ (tcg/riscv/ for RISC-V, which
 * exports its table as rv_cpu_ops). A second guest architecture is a new
 * folder that fills this table in.
 *
 * Every operation takes the CPU object (CoreMachine.cpus[i]) as `cpu`;
 * a target fills in every entry (none may be NULL).
 *
 * GDB's view of the registers (GDB manual, appendix G "Target
 * Descriptions") belongs to the target too: it numbers them, sizes them
 * and describes them in target XML; the stub only moves bytes.
 */
#ifndef CORE_TARGET_H
#define CORE_TARGET_H

#include "core/state.h"
#include "core/types.h"

#include <stddef.h>

typedef struct CoreCpuOps {
    /* ---- the scheduler ---- */
    /* Retire at most budget instructions; stop early on attention. */
    uint64_t (*run)(void *cpu, uint64_t budget);
    /* False while the CPU waits for an interrupt that is not pending. */
    bool (*has_work)(void *cpu);
    uint64_t (*instret)(void *cpu);   /* instructions this CPU retired */
    gva_t (*pc)(void *cpu);
    const CoreStateDesc *state;       /* save/load and hashing */

    /* ---- translations ---- */
    /* The shared translation cache was flushed: drop this CPU's own
       pointers into it (a jump cache). */
    void (*tb_flushed)(void *cpu);
    /* Drop every cached address translation (breakpoints or watchpoints
       changed what may take the fast path). */
    void (*tlb_flush)(void *cpu);
    /* Dirty-page tracking restarts: the next write to each page must take
       the slow path again. */
    void (*drop_write_tags)(void *cpu);

    /* ---- the instruction trace (--trace) ---- */
    /* Write every retired instruction to the stdio FILE `file` (icount,
       CPU, pc, encoding, disassembly), or stop with NULL. */
    void (*set_trace)(void *cpu, void *file);

    /* ---- the debugger ---- */
    /* What one CPU is called in thread lists ("hart": hart0, hart1...). */
    const char *cpu_noun;
    /* A short state line for qThreadExtraInfo ("S-mode, wfi"). */
    void (*describe)(void *cpu, char *buf, size_t len);
    /* Continue at addr (gdb's `c ADDR`, `jump`). */
    void (*set_pc)(void *cpu, gva_t addr);
    /* Read or write guest memory at a virtual address through the CPU's
       current translation, without side effects on the guest (no
       accessed/dirty bits, no device access); writes drop translated code
       they hit. Returns the bytes done before the first fault (len if
       none). */
    /* The physical address of data address va through the CPU's
       translation now (debugger view, as mem_access); false: unmapped. */
    bool (*translate)(void *cpu, gva_t va, gpa_t *pa);
    size_t (*mem_access)(void *cpu, gva_t addr, void *buf, size_t len,
                         bool write);
    /* Registers in a g/G packet: gdb numbers 0 .. gdb_g_regs - 1. */
    unsigned gdb_g_regs;
    /* Read register n (gdb numbering); *size is its size in bytes
       (at most 8, sent little-endian). False if the target description
       has no register n. */
    bool (*gdb_reg_read)(void *cpu, unsigned n, uint64_t *val,
                         unsigned *size);
    /* Write register n; false if there is none or the value is refused. */
    bool (*gdb_reg_write)(void *cpu, unsigned n, uint64_t val);
    /* Target description annex ("target.xml" and the files it includes)
       into buf, NUL-terminated; false if unknown or too long. */
    bool (*gdb_xml)(void *cpu, const char *annex, char *buf, size_t cap);
} CoreCpuOps;

#endif
