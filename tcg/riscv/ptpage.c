/*
 * Page-table pages: keeping the software TLB and the jump cache equal to
 * what a page-table walk would give now (docs/jit.md, "The TLB is never
 * stale").
 *
 * Every RAM page a walk reads a PTE from is flagged (CoreMemRegion
 * pt_bitmap) with what it was read as (pt_info): the level and the VA
 * region its table covers, or "shared" once seen at two levels or for two
 * regions. A flagged page's stores take the slow path (the TLB write tag
 * carries RV_TLB_SLOW_WRITE, and flagging demotes every hart's entries
 * for the page), which calls rv_pt_write before the store: for each PTE
 * the store changes that was valid (a walk that read an invalid PTE made
 * no entry), it drops what may depend on it in every hart, the one VA
 * page of a leaf-level table seen for one region, else everything. Other
 * writers (core_mem_write_bytes: DMA, debugger, loaders) call the board's
 * page-table hook, which flushes every hart; snapshot and undo loads
 * flush through the harts' state load.
 *
 * So a flush, whoever asks for it and whenever, only costs speed: a
 * checkpoint, a debugger or a seek can no longer change what the guest
 * sees when it rewrites a PTE without sfence.vma (privileged spec 4.2.1
 * lets a hart use the old or the new one; rewind always uses the new).
 * The walker's own A/D updates drop nothing: entries are only made with
 * A set, and with write permission only when D is set.
 *
 * Flags stay when a page stops being a page table (its stores only stay
 * slow) until no hart caches anything: then all are cleared.
 */
#include "tcg/riscv/rv_int.h"
#include "core/machine.h"

#include <string.h>

#define PTE_V 1u

/* pt_info: 1 | level << 1 | Sv48 << 3 | region << 4, or PT_SHARED. The
   region is the VA of the table's range (its bits above the range; 0 for
   a root, which covers everything). */
#define PT_SHARED (~0ull)

static uint64_t pt_info_of(unsigned level, gva_t va, unsigned levels)
{
    unsigned va_bits = RV_PAGE_BITS + 9 * levels;
    uint64_t region = 0;
    if (level + 1 < levels) {
        region = (va & ((1ull << va_bits) - 1)) >>
                 (RV_PAGE_BITS + 9 * (level + 1));
    }
    return region << 4 | (uint64_t)(levels == 4) << 3 | level << 1 | 1;
}

void rv_pt_walked(RVCPU *cpu, CoreMemRegion *r, gpa_t pte_addr,
                  unsigned level, gva_t va, unsigned levels)
{
    uint64_t info = pt_info_of(level, va, levels);
    uint64_t i = core_mem_page_index(r, pte_addr);
    if (CORE_LIKELY(core_mem_page_is_pt(r, pte_addr))) {
        if (r->pt_info[i] != info) {
            r->pt_info[i] = PT_SHARED;
        }
        return;
    }
    core_mem_set_pt_page(r, pte_addr);
    r->pt_info[i] = info;
    /* Entries made while it was plain data may write it on the fast
       path: from now on its stores must be seen. */
    rv_tlb_protect_page(cpu->machine, pte_addr & RV_PAGE_MASK);
}

/* The virtual page the PTE at pte_addr maps, in a leaf-level table read
   for one region: the region's bits, the PTE's index, sign-extended from
   the top VA bit of the mode. */
static gva_t pt_leaf_va(uint64_t info, gpa_t pte_addr)
{
    unsigned va_bits = (info >> 3) & 1 ? 48 : 39;
    uint64_t va = (info >> 4) << (RV_PAGE_BITS + 9) |
                  ((pte_addr & (RV_PAGE_SIZE - 1)) / 8) << RV_PAGE_BITS;
    return (gva_t)((int64_t)(va << (64 - va_bits)) >> (64 - va_bits));
}

void rv_pt_drop_all(CoreMachine *m)
{
    for (unsigned h = 0; h < m->ncpus; h++) {
        rv_cpu_flush_tlb(m->cpus[h]);
    }
}

/* The 8-byte PTE at `slot` after a store of `size` bytes of val at pa. */
static uint64_t pte_after(uint64_t old, gpa_t slot, gpa_t pa, unsigned size,
                          uint64_t val)
{
    uint64_t pte = old;
    for (unsigned b = 0; b < 8; b++) {
        if (slot + b >= pa && slot + b < pa + size) {
            uint64_t byte = (val >> (8 * (slot + b - pa))) & 0xff;
            pte = (pte & ~(0xffull << (8 * b))) | byte << (8 * b);
        }
    }
    return pte;
}

unsigned rv_pt_write(RVCPU *cpu, CoreMemRegion *r, gpa_t pa, unsigned size,
                     const uint64_t *val, gva_t pc)
{
    CoreMachine *m = cpu->machine;
    uint64_t info = r->pt_info[core_mem_page_index(r, pa)];
    bool leaf_table = info != PT_SHARED && ((info >> 1) & 3) == 0;
    unsigned out = 0;
    for (gpa_t slot = pa & ~7ull; slot < pa + size; slot += 8) {
        uint64_t old;
        memcpy(&old, r->host + (slot - r->base), 8);
        if (val && pte_after(old, slot, pa, size, *val) == old) {
            continue;   /* rewrites the same PTE */
        }
        if (!(old & PTE_V)) {
            continue;   /* no walk that read it made an entry */
        }
        if (!leaf_table) {
            rv_pt_drop_all(m);
            return RV_PT_DROPPED | RV_PT_REFETCH;
        }
        gva_t va = pt_leaf_va(info, slot);
        for (unsigned h = 0; h < m->ncpus; h++) {
            rv_cpu_flush_tlb_va(m->cpus[h], va);
        }
        out |= RV_PT_DROPPED;
        if (((va ^ pc) & RV_PAGE_MASK) == 0) {
            out |= RV_PT_REFETCH;
        }
    }
    return out;
}

void rv_pt_forget_if_empty(CoreMachine *m)
{
    if (!m || !m->as) {
        return;
    }
    for (unsigned h = 0; h < m->ncpus; h++) {
        const RVCPU *cpu = m->cpus[h];
        if (!cpu || cpu->tlb_filled) {
            return;
        }
    }
    core_mem_clear_pt_pages(m->as);
}

/* Would a walk from the new root give what the global entries hold? It
   does if the new root's PTE equals the old root's at every top-level
   index they were walked through: the rest of the path is the same
   pages, which are flagged (a change there drops them). */
static bool roots_agree(RVCPU *cpu, uint64_t old_satp)
{
    uint64_t any = 0;
    for (unsigned w = 0; w < 512 / 64; w++) {
        any |= cpu->tlb_top[w];
    }
    gpa_t old_root = (old_satp & ((1ull << 44) - 1)) << RV_PAGE_BITS;
    gpa_t new_root = (cpu->satp & ((1ull << 44) - 1)) << RV_PAGE_BITS;
    if (!any || old_root == new_root) {
        return true;
    }
    CoreAddrSpace *as = cpu->machine->as;
    const uint8_t *po = core_mem_host_ptr(as, old_root, RV_PAGE_SIZE);
    const uint8_t *pn = core_mem_host_ptr(as, new_root, RV_PAGE_SIZE);
    if (!po || !pn) {
        return false;
    }
    for (unsigned w = 0; w < 512 / 64; w++) {
        for (uint64_t b = cpu->tlb_top[w]; b; b &= b - 1) {
            unsigned i = w * 64 + (unsigned)__builtin_ctzll(b);
            if (memcmp(po + 8 * i, pn + 8 * i, 8) != 0) {
                return false;
            }
        }
    }
    return true;
}

void rv_pt_satp_written(RVCPU *cpu, uint64_t old_satp)
{
    unsigned mode = cpu->satp >> 60;
    /* A new MODE takes effect at once for every translation, global
       ones included (privileged spec 4.2.1); a new ASID or root only for
       the non-global ones, which are all dropped (the TLB holds no
       ASIDs), and the global ones only stay if the new root leads to
       them. */
    if ((old_satp >> 60) != mode || !roots_agree(cpu, old_satp)) {
        rv_cpu_flush_tlb(cpu);
    } else {
        rv_cpu_flush_tlb_nonglobal(cpu);
    }
    if (mode != 0) {
        /* Kept entries now depend on the new root's PTEs: its stores
           must drop them. */
        gpa_t root = (cpu->satp & ((1ull << 44) - 1)) << RV_PAGE_BITS;
        CoreMemRegion *r = core_mem_find(cpu->machine->as, root);
        if (r && r->pt_bitmap) {
            unsigned levels = mode == 8 ? 3 : 4;
            rv_pt_walked(cpu, r, root, levels - 1, 0, levels);
        }
    }
}
