/*
 * Guest memory access from instruction handlers.
 *
 * rv_load/rv_store try the hart's software TLB first: one compare on the page
 * tag plus a page-crossing check, then a host memory access. Everything else
 * (TLB miss, page walk, MMIO, a write to a page that holds translated code,
 * an access crossing a page) goes to the slow paths in mmu.c.
 *
 * Plain loads and stores may be misaligned (handled like hardware that
 * supports them); atomics require natural alignment (rv_amo_ptr checks).
 *
 * All functions return 0 on success, or an RV_EXEC_* code the handler must
 * return at once: RV_EXEC_TRAP (exception taken) or, for stores only,
 * RV_EXEC_JUMP (the store modified code of this block: cpu->pc is set to
 * the next instruction and the block must be left).
 */
#ifndef TCG_RISCV_MEM_ACCESS_H
#define TCG_RISCV_MEM_ACCESS_H

#include <string.h>
#include "tcg/riscv/cpu.h"

/* The loaded value goes to cpu->load_result rather than through a pointer,
   so handlers keep no address-taken locals and their RV_NEXT stays a tail
   call. */
int rv_load_slow(RVCPU *cpu, const RVInsn *in, gva_t addr, unsigned size);
int rv_store_slow(RVCPU *cpu, const RVInsn *in, gva_t addr, unsigned size,
                  uint64_t val);

/* Translate an aligned read-modify-write access (AMO, SC) to a host
   pointer. Returns RV_EXEC_TRAP after raising store/AMO address-
   misaligned, access or page faults; otherwise the caller does the access
   and, on RV_EXEC_JUMP, leaves the block after it (rv_leave_after): the
   access changes the running block's own code or the mapping of its page,
   so the next instruction must be fetched again, as after a store. */
int rv_amo_ptr(RVCPU *cpu, const RVInsn *in, gva_t addr, unsigned size,
               void **host);

/* Retire `in` and leave its block: the next instruction is fetched anew. */
static inline int rv_leave_after(RVCPU *cpu, const RVInsn *in)
{
    cpu->pc = in->pc + in->len;
    cpu->exit_idx = in->idx + 1;
    return RV_EXEC_JUMP;
}

static inline RVTlbEntry *rv_tlb_entry(RVTlbEntry *tlb, gva_t addr)
{
    return &tlb[(addr >> RV_PAGE_BITS) & (RV_TLB_SIZE - 1)];
}

static inline bool rv_tlb_hit(gva_t tag, gva_t addr, unsigned size)
{
    return tag == (addr & RV_PAGE_MASK) &&
           (addr & (RV_PAGE_SIZE - 1)) <= RV_PAGE_SIZE - size;
}

/* Load `size` (1, 2, 4, 8) bytes, zero-extended into *val. */
static inline int rv_load(RVCPU *cpu, const RVInsn *in, gva_t addr,
                          unsigned size, uint64_t *val)
{
    RVTlbEntry *e = rv_tlb_entry(cpu->data_tlb, addr);
    if (CORE_LIKELY(rv_tlb_hit(e->tag_read, addr, size))) {
        const void *p = (const void *)(uintptr_t)(addr + e->addend);
        switch (size) {
        case 1: { uint8_t v; memcpy(&v, p, 1); *val = v; break; }
        case 2: { uint16_t v; memcpy(&v, p, 2); *val = v; break; }
        case 4: { uint32_t v; memcpy(&v, p, 4); *val = v; break; }
        default: { uint64_t v; memcpy(&v, p, 8); *val = v; break; }
        }
        return 0;
    }
    int r = rv_load_slow(cpu, in, addr, size);
    *val = cpu->load_result;
    return r;
}

/* Store the low `size` (1, 2, 4, 8) bytes of val. */
static inline int rv_store(RVCPU *cpu, const RVInsn *in, gva_t addr,
                           unsigned size, uint64_t val)
{
    RVTlbEntry *e = rv_tlb_entry(cpu->data_tlb, addr);
    if (CORE_LIKELY(rv_tlb_hit(e->tag_write, addr, size))) {
        void *p = (void *)(uintptr_t)(addr + e->addend);
        switch (size) {
        case 1: { uint8_t v = (uint8_t)val; memcpy(p, &v, 1); break; }
        case 2: { uint16_t v = (uint16_t)val; memcpy(p, &v, 2); break; }
        case 4: { uint32_t v = (uint32_t)val; memcpy(p, &v, 4); break; }
        default: memcpy(p, &val, 8); break;
        }
        return 0;
    }
    return rv_store_slow(cpu, in, addr, size, val);
}

#endif
