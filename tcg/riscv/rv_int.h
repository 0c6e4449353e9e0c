/*
 * Internals shared by the files of the RISC-V front-end (not for use
 * outside tcg/riscv/).
 */
#ifndef TCG_RISCV_RV_INT_H
#define TCG_RISCV_RV_INT_H

#include "tcg/riscv/cpu.h"
#include "tcg/riscv/rv.h"
#include "tcg/tb.h"

/* Run until `budget` instructions retired, the hart waits for an
   interrupt, or m->attention has bits set. Returns instructions retired
   and adds them to m->icount. */
uint64_t rv_cpu_run(RVCPU *cpu, uint64_t budget);

/* True if the hart can run: not in WFI, or an interrupt is pending. */
bool rv_cpu_has_work(RVCPU *cpu);

/* Flush the hart's TLBs and jump cache (satp, sfence.vma, TB flush). */
void rv_cpu_flush_tlb(RVCPU *cpu);
/* The same, without relying on what was tracked (a new hart). */
void rv_cpu_init_tlb(RVCPU *cpu);
/* A change of address space (satp write keeping MODE, sfence.vma x0
   with rs2 != x0): drop the TLB entries and jump-cache slots of
   non-global translations (mmu.c). */
void rv_cpu_flush_tlb_nonglobal(RVCPU *cpu);
/* sfence.vma of one virtual address: what may translate it; with
   keep_global (rs2 != x0) not the entries of global translations. */
void rv_cpu_flush_tlb_page(RVCPU *cpu, gva_t va, bool keep_global);
/* Empty the jump cache (TB flush). */
void rv_cpu_flush_jump_cache(RVCPU *cpu);
/* Fill a jump-cache slot with tb, found through the fetch TLB entry of
   its pc (tracked for the next flush, global if that entry is). */
void rv_jump_cache_set(RVCPU *cpu, TB **slot, TB *tb);
/* mstatus.SUM or MXR was cleared: drop the load/store permissions that
   needed it (setting either drops nothing: it only allows more). */
void rv_cpu_flush_wide_tlb(RVCPU *cpu);
/* Drop cached write permissions only (dirty tracking restarts). */
void rv_cpu_drop_write_tags(RVCPU *cpu);
/* The TLB entries and jump-cache slots of va's page, global or not (a
   PTE mapping it changed). */
void rv_cpu_flush_tlb_va(RVCPU *cpu, gva_t va);

/* Page-table pages (ptpage.c): a walk read the PTE at pte_addr, in RAM
   region r, at `level` of a `levels`-level walk of va: flag its page. */
void rv_pt_walked(RVCPU *cpu, CoreMemRegion *r, gpa_t pte_addr,
                  unsigned level, gva_t va, unsigned levels);
/* Before a store of `size` bytes (inside one page) of *val (NULL: an
   AMO, value not known) at pa, in a flagged page of r, by the block
   running at pc: drop, in every hart, what the PTEs it changes gave.
   Returns RV_PT_* bits: something dropped; the translation of pc's page
   may be gone (the running block must not go on to the next). */
enum { RV_PT_DROPPED = 1, RV_PT_REFETCH = 2 };
unsigned rv_pt_write(RVCPU *cpu, CoreMemRegion *r, gpa_t pa, unsigned size,
                     const uint64_t *val, gva_t pc);
/* Flush every hart's TLB and jump cache (then no page stays flagged). */
void rv_pt_drop_all(CoreMachine *m);
/* After a full flush: if no hart caches anything, clear every flag. */
void rv_pt_forget_if_empty(CoreMachine *m);
/* satp was written (old value old_satp): flush what the new value
   invalidates and flag the new root. */
void rv_pt_satp_written(RVCPU *cpu, uint64_t old_satp);

/* Per-instruction trace: if f != NULL, every retired instruction is
   written there (icount, hart, pc, encoding, disassembly). Slow. */
void rv_cpu_set_trace(RVCPU *cpu, void *file);

/* Debugger memory access through the hart's current translation (no A/D
   updates, RAM/ROM only: MMIO is refused). Writes invalidate translated
   code. Returns 0 or -1. */
int rv_debug_access(RVCPU *cpu, gva_t addr, void *buf, size_t len, bool write);
/* Data address va through the current translation (no A/D updates). */
bool rv_debug_translate(RVCPU *cpu, gva_t va, gpa_t *pa);

extern const CoreStateDesc rv_cpu_state_desc;

typedef enum RVAccess { RV_ACC_READ, RV_ACC_WRITE, RV_ACC_EXEC } RVAccess;

/* Translate va for an access at privilege `priv` (already adjusted for
   MPRV). On success returns 0 and sets *pa and, if not NULL, *writable_ok
   (the TLB may cache write permission: the page is writable and dirty).
   On failure returns the exception cause. Updates A/D bits, for the
   access of `in` (NULL: none; a fetch). */
int rv_mmu_translate(RVCPU *cpu, const RVInsn *in, gva_t va, RVAccess acc,
                     unsigned priv, gpa_t *pa, bool *writable_ok);

/* PMP: may an access of len bytes at pa with privilege priv proceed? */
bool rv_pmp_allows(const RVCPU *cpu, gpa_t pa, uint64_t len, RVAccess acc,
                   unsigned priv);
bool rv_pmp_any_active(const RVCPU *cpu);

/* Translation for the debugger: no A/D updates, no permission checks
   beyond the mapping existing. Returns 0 or an exception cause. */
int rv_mmu_lookup(RVCPU *cpu, gva_t va, unsigned priv, gpa_t *pa);

/* Re-point data_tlb/fetch_tlb after a change of priv or MPRV/MPP. */
void rv_update_tlb_mode(RVCPU *cpu);
/* Open or close the direct window of loads (RVCPU.dwin_*, mmu.c). */
void rv_dwin_update(RVCPU *cpu);

/* Fetch support: host pointer to the page holding pc and its physical
   address; returns 0 or an exception cause (instruction page/access
   fault). */
int rv_fetch_page(RVCPU *cpu, gva_t pc, const uint8_t **host_page,
                  gpa_t *phys_page, bool *single);

/* Remove fast-path write permission for a guest-physical page from every
   hart's TLB (the page now holds translated code or page tables). */
void rv_tlb_protect_page(CoreMachine *m, gpa_t page);

/* Traps. */
void rv_take_trap(RVCPU *cpu, bool interrupt, unsigned cause, uint64_t tval,
                  gva_t epc);
/* Take the highest-priority pending and enabled interrupt, if any. */
bool rv_check_interrupts(RVCPU *cpu);

/* CSR access with privilege checks. Returns 0 or RV_EXC_ILLEGAL.
   `instret_now` is the hart's retired count before the accessing
   instruction; `insn_idx` its index in the running block. */
int rv_csr_read(RVCPU *cpu, unsigned csr, uint64_t *val, uint64_t instret_now);
int rv_csr_write(RVCPU *cpu, unsigned csr, uint64_t val, unsigned insn_idx);
/* Does the hart implement this CSR beyond reading it as zero (the CSRs
   the gdb stub lists)? Names: rv_csr_name (disas.h). */
bool rv_csr_implemented(unsigned csr);

/* CSR numbers that code outside the CSR table needs. */
enum {
    RV_CSR_FFLAGS = 0x001, RV_CSR_FRM = 0x002, RV_CSR_FCSR = 0x003,
    RV_CSR_MIP = 0x344, RV_CSR_MCYCLE = 0xb00, RV_CSR_MINSTRET = 0xb02,
};

/* Debug triggers (trigger.c). CSR access for tselect..tinfo returns 0 or
   RV_EXC_ILLEGAL (privilege is checked by the caller). */
int rv_trigger_csr_read(const RVCPU *cpu, unsigned csr, uint64_t *val);
int rv_trigger_csr_write(RVCPU *cpu, unsigned csr, uint64_t val);
void rv_trigger_reset(RVCPU *cpu);
/* Recompute trig_exec/trig_mem from the trigger registers. */
void rv_trigger_update(RVCPU *cpu);
/* Loaded state holds only legal trigger values. */
bool rv_trigger_state_valid(const RVCPU *cpu);
/* An execute trigger of this hart is on pc (in any mode)? It fires here,
   in the current mode? */
bool rv_trigger_exec_at(const RVCPU *cpu, gva_t pc);
bool rv_trigger_exec_fires(const RVCPU *cpu, gva_t pc);
/* Translation: does any hart have an execute trigger; must a block of the
   shared cache start at pc? */
bool rv_trigger_any_exec(const CoreMachine *m);
bool rv_trigger_block_cut(const CoreMachine *m, gva_t pc);
/* A load/store trigger of this hart is on this page (keep it out of the
   TLB)? */
bool rv_trigger_on_page(const RVCPU *cpu, gva_t page);
/* Before an access of `size` bytes at addr by `in`: raises the breakpoint
   exception and returns RV_EXEC_TRAP if a trigger fires, else 0. */
int rv_trigger_mem_check(RVCPU *cpu, const RVInsn *in, gva_t addr,
                         unsigned size, bool load, bool store);

/* GDB register access and target description (gdb.c), the gdb_*
   operations of rv_cpu_ops (see core/target.h). */
bool rv_gdb_reg_read(void *cpu, unsigned n, uint64_t *val, unsigned *size);
bool rv_gdb_reg_write(void *cpu, unsigned n, uint64_t val);
bool rv_gdb_xml(void *cpu, const char *annex, char *buf, size_t cap);
/* Registers in GDB's g/G packets: x0-x31 and pc. */
#define RV_GDB_G_REGS 33

/* Set the privilege level and refresh derived state. */
void rv_set_priv(RVCPU *cpu, unsigned priv);

/* Find or translate the block at cpu->pc. Returns NULL if fetching raised
   an exception or an execute trigger fired (already taken: cpu->pc is the
   handler). */
TB *rv_tb_find(RVCPU *cpu);

/* The JIT (jit.c): host code running all of tb from its first
   instruction, int fn(RVCPU *) with a handler's return values (cpu.h), or
   NULL when it cannot be made now (the code buffer was full and has been
   flushed with the TB cache: run tb in the interpreter this time). */
const void *rv_jit_compile(RVCPU *cpu, TB *tb);
/* Run host code from rv_jit_compile: the block's return value. */
int rv_jit_run(RVCPU *cpu, const void *host);
/* A chained exit missed (cpu->chain_slot, its link): make it jump
   straight into tb's host code from now on, if tb may follow it (the
   same mode flags); undone when tb is invalidated or flushed. */
void rv_jit_link(RVCPU *cpu, void *link, TB *tb);

/* Chained blocks (jit.c) account in cpu->chain_left only; this brings
   icount_base (the start of the block that ran last) and instret up to
   date. Host code does the same (and sets m->icount) before every helper
   call, so a helper or handler always sees them exact, as in the
   interpreter (rv_icount_at). A no-op when nothing chained. */
static inline void rv_chain_settle(RVCPU *cpu)
{
    uint64_t hops = (uint64_t)(cpu->chain_mark - cpu->chain_left);
    cpu->icount_base += hops;
    cpu->instret += hops;
    cpu->chain_mark = cpu->chain_left;
}

/* TB mode flags: what a translation depends on besides its address. */
static inline uint32_t rv_tb_flags(const RVCPU *cpu)
{
    uint32_t fs_on = ((cpu->mstatus & RV_MSTATUS_FS) != 0);
    return cpu->priv | (fs_on << 2);
}

#endif
