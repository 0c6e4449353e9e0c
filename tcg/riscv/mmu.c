/*
 * Address translation and the memory-access slow paths.
 * Privileged spec 4.3-4.5 (Sv32/39/48 page tables; Sv39 and Sv48 here),
 * including hardware A/D updates as QEMU does by default.
 *
 * The software TLB caches, per virtual page, a host addend and which
 * access kinds may take the fast path: reads and fetches of RAM/ROM, and
 * writes to RAM pages that are writable, dirty and hold no translated
 * code or page tables. Everything else comes here on every access
 * (MMIO, code pages, page-table pages).
 *
 * The TLB is never stale: every entry (and jump-cache slot) is what a
 * walk of the current page tables would give now, with nothing for that
 * walk to write (A set, and D where the entry may write). Stores to the
 * pages walks read drop what they change (ptpage.c), and satp writes
 * keep global entries only when the new root leads to them. So a flush
 * at any time, by anything (checkpoints, debugger, snapshot loads), only
 * costs walks, never changes what the guest sees, and nothing of the TLB
 * is saved in snapshots. The cost: stores to page tables take the slow
 * path (docs/jit.md has the figures).
 */
#include "tcg/riscv/rv_int.h"
#include "tcg/riscv/mem_access.h"
#include "tcg/riscv/rv.h"
#include "core/bitmap.h"
#include "core/debug.h"
#include "core/machine.h"

#include <string.h>

#define PTE_V (1u << 0)
#define PTE_R (1u << 1)
#define PTE_W (1u << 2)
#define PTE_X (1u << 3)
#define PTE_U (1u << 4)
#define PTE_G (1u << 5)
#define PTE_A (1u << 6)
#define PTE_D (1u << 7)
#define PTE_PPN_MASK ((1ull << 44) - 1)
#define PTE_RESERVED (0x3ffull << 54)   /* PBMT, N and reserved bits */

/* Privilege used for loads and stores (MPRV applies MPP in M-mode). */
static unsigned rv_data_priv(const RVCPU *cpu)
{
    if (cpu->priv == RV_PRIV_M && (cpu->mstatus & RV_MSTATUS_MPRV)) {
        return (cpu->mstatus & RV_MSTATUS_MPP) >> RV_MSTATUS_MPP_SHIFT;
    }
    return cpu->priv;
}

/* The direct window (RVCPU.dwin_*): open while a load of any RAM address
   would take the TLB's read fast path once its entry was filled, so that
   generated code may skip the TLB (jit.c gen_load): no translation (data
   privilege M or satp Bare), no watchpoint (tlb_fill keeps watched pages
   out), no load or store trigger (the same), and PMP allowing reads of
   the whole RAM region at the data privilege (an access inside it then
   matches no entry partly). Closed otherwise; loads then go through the
   TLB as before. Called with every change of those conditions: privilege
   and MPRV/MPP changes (rv_update_tlb_mode), satp, PMP, watchpoint and
   trigger changes and state loads (rv_cpu_flush_tlb), and from a load's
   slow path while closed, since RAM may be added after the hart's
   reset. */
void rv_dwin_update(RVCPU *cpu)
{
    cpu->dwin_limit = 0;
    unsigned priv = rv_data_priv(cpu);
    const CoreMachine *m = cpu->machine;
    if ((priv != RV_PRIV_M && (cpu->satp >> 60) != 0) || !m || !m->as ||
        cpu->trig_mem != 0 || (m->debug && m->debug->nwp)) {
        return;
    }
    /* The largest RAM region: a board has one main RAM. */
    CoreMemRegion *ram = NULL;
    size_t n = core_mem_region_count(m->as);
    for (size_t i = 0; i < n; i++) {
        CoreMemRegion *r = core_mem_region(m->as, i);
        if (r->kind == CORE_MEM_RAM && r->size >= 8 &&
            (!ram || r->size > ram->size)) {
            ram = r;
        }
    }
    if (!ram || !rv_pmp_allows(cpu, ram->base, ram->size, RV_ACC_READ, priv)) {
        return;
    }
    cpu->dwin_base = ram->base;
    cpu->dwin_addend = (uintptr_t)ram->host - (uintptr_t)ram->base;
    cpu->dwin_limit = ram->size - 7;   /* every byte of an 8-byte access */
}

void rv_update_tlb_mode(RVCPU *cpu)
{
    cpu->fetch_tlb = cpu->tlb[cpu->priv];
    cpu->data_tlb = cpu->tlb[rv_data_priv(cpu)];
    rv_dwin_update(cpu);
}

/* Flushes clear only what was filled since the last full flush: a
   Linux boot writes satp and runs sfence.vma tens of thousands of times,
   and clearing all of the TLBs (40 KB) and the jump cache (128 KB) each
   time was 4% of it. The bitmaps in RVCPU say what may be non-empty.

   Global translations (a G bit on the walk's path, privileged spec
   4.3.1: "mappings that exist in all address spaces"; also M-mode's and
   Bare's, which read no page table) outlive a change of address space:
   a satp write that keeps MODE and sfence.vma with rs2 != x0 leave them
   (4.2.1: such a fence does not invalidate entries of global mappings),
   so the kernel's TLB entries and jump-cache slots survive Linux's
   context switches. Entries of the other, non-global translations carry
   no ASID: every change of address space drops all of them (flushing
   more than asked is always allowed). A hit is always what a walk of
   the current satp would give, fenced or not (ptpage.c). */

static inline bool bit_get(const uint64_t *b, unsigned k)
{
    return (b[k / 64] >> (k % 64)) & 1;
}

static inline void bit_put(uint64_t *b, unsigned k, bool v)
{
    b[k / 64] = (b[k / 64] & ~(1ull << (k % 64))) | ((uint64_t)v << (k % 64));
}

static inline unsigned tlb_index(const RVCPU *cpu, const RVTlbEntry *e)
{
    return (unsigned)(e - cpu->tlb[0]);
}

static void tlb_entry_clear(RVTlbEntry *e)
{
    /* All-ones tags never match a page address (low bits are zero). */
    e->tag_read = e->tag_write = e->tag_exec = RV_TLB_INVALID;
}

/* Calls fn on every TLB entry that may hold a tag (all four TLBs). */
#define FOR_USED_TLB_ENTRIES(cpu, e, body)                                  \
    for (unsigned w_ = 0; w_ < 4 * RV_TLB_SIZE / 64; w_++) {                \
        for (uint64_t m_ = (cpu)->tlb_used[w_]; m_; m_ &= m_ - 1) {         \
            unsigned k_ = w_ * 64 + (unsigned)__builtin_ctzll(m_);          \
            RVTlbEntry *e = &(cpu)->tlb[k_ / RV_TLB_SIZE][k_ % RV_TLB_SIZE]; \
            body                                                            \
        }                                                                   \
    }

/* The guest-physical page of a TLB entry (apart from the entry, which
   stays 32 bytes for generated code). */
static gpa_t *tlb_phys(RVCPU *cpu, const RVTlbEntry *e)
{
    size_t k = (size_t)(e - &cpu->tlb[0][0]);   /* row-major over tlb[4][] */
    return &cpu->tlb_phys[k / RV_TLB_SIZE][k % RV_TLB_SIZE];
}

void rv_cpu_flush_jump_cache(RVCPU *cpu)
{
    for (unsigned w = 0; w < RV_JC_SIZE / 64; w++) {
        for (uint64_t m = cpu->jc_used[w]; m; m &= m - 1) {
            cpu->jump_cache[w * 64 + (unsigned)__builtin_ctzll(m)] = NULL;
        }
        cpu->jc_used[w] = 0;
        cpu->jc_global[w] = 0;
    }
    memset(cpu->jc_pages, 0, sizeof(cpu->jc_pages));
}

static unsigned jc_page_bit(gva_t va)
{
    return (unsigned)(va >> RV_PAGE_BITS) % RV_JC_PAGE_BITS;
}

void rv_cpu_flush_tlb_nonglobal(RVCPU *cpu)
{
    for (unsigned w = 0; w < 4 * RV_TLB_SIZE / 64; w++) {
        for (uint64_t m = cpu->tlb_used[w] & ~cpu->tlb_global[w]; m;
             m &= m - 1) {
            unsigned k = w * 64 + (unsigned)__builtin_ctzll(m);
            tlb_entry_clear(&cpu->tlb[k / RV_TLB_SIZE][k % RV_TLB_SIZE]);
        }
        cpu->tlb_used[w] &= cpu->tlb_global[w];
    }
    for (unsigned w = 0; w < RV_JC_SIZE / 64; w++) {
        for (uint64_t m = cpu->jc_used[w] & ~cpu->jc_global[w]; m;
             m &= m - 1) {
            cpu->jump_cache[w * 64 + (unsigned)__builtin_ctzll(m)] = NULL;
        }
        cpu->jc_used[w] &= cpu->jc_global[w];
    }
    memset(cpu->jc_pages[0], 0, sizeof(cpu->jc_pages[0]));
    /* tlb_super stays: global superpages may still be held (at worst a
       later sfence.vma by address flushes more). */
}

void rv_jump_cache_set(RVCPU *cpu, TB **slot, TB *tb)
{
    unsigned i = (unsigned)(slot - cpu->jump_cache);
    cpu->jc_used[i / 64] |= 1ull << (i % 64);
    /* The block was found through the fetch TLB entry of its pc (just
       filled or hit by rv_fetch_page): it is reachable in every address
       space where that translation is. */
    RVTlbEntry *e = rv_tlb_entry(cpu->fetch_tlb, tb->pc);
    bool global = bit_get(cpu->tlb_global, tlb_index(cpu, e));
    bit_put(cpu->jc_global, i, global);
    bit_put(cpu->jc_pages[global], jc_page_bit(tb->pc), true);
    cpu->tlb_filled = 1;
    *slot = tb;
}

void rv_cpu_flush_tlb(RVCPU *cpu)
{
    FOR_USED_TLB_ENTRIES(cpu, e, { tlb_entry_clear(e); })
    memset(cpu->tlb_used, 0, sizeof(cpu->tlb_used));
    memset(cpu->tlb_global, 0, sizeof(cpu->tlb_global));
    memset(cpu->tlb_wide, 0, sizeof(cpu->tlb_wide));
    memset(cpu->tlb_super, 0, sizeof(cpu->tlb_super));
    memset(cpu->tlb_top, 0, sizeof(cpu->tlb_top));
    memset(cpu->pmp_pt_ok, 0xff, sizeof(cpu->pmp_pt_ok));   /* PMP changes */
    rv_cpu_flush_jump_cache(cpu);
    rv_update_tlb_mode(cpu);
    cpu->tlb_filled = 0;
    rv_pt_forget_if_empty(cpu->machine);
}

void rv_cpu_init_tlb(RVCPU *cpu)
{
    memset(cpu->tlb, 0xff, sizeof(cpu->tlb));
    memset(cpu->jump_cache, 0, sizeof(cpu->jump_cache));
    memset(cpu->tlb_used, 0, sizeof(cpu->tlb_used));
    memset(cpu->jc_used, 0, sizeof(cpu->jc_used));
    memset(cpu->tlb_global, 0, sizeof(cpu->tlb_global));
    memset(cpu->jc_global, 0, sizeof(cpu->jc_global));
    memset(cpu->jc_pages, 0, sizeof(cpu->jc_pages));
    memset(cpu->tlb_wide, 0, sizeof(cpu->tlb_wide));
    memset(cpu->tlb_super, 0, sizeof(cpu->tlb_super));
    memset(cpu->tlb_top, 0, sizeof(cpu->tlb_top));
    memset(cpu->pmp_pt_ok, 0xff, sizeof(cpu->pmp_pt_ok));
    cpu->tlb_filled = 0;
    rv_update_tlb_mode(cpu);
}

/* The 1 GiB region of va in tlb_super: va bits 38..30 folded with bits
   47..39, so that Sv48's kernel linear map (0xffffaf80_00000000: bits
   38..30 all zero) does not share a bit with user addresses near 0.
   Two regions sharing a bit only make a flush wider. */
static unsigned super_region(gva_t va)
{
    return (unsigned)((va >> 30) ^ (va >> 39)) & 511;
}

/* The TLB entries and jump-cache slots that may hold va's page (with
   keep_global, not those of global translations). */
static void flush_page_slots(RVCPU *cpu, gva_t va, bool keep_global)
{
    /* Each entry holds one page, so clearing the slot of va is enough. */
    for (unsigned t = 0; t < 4; t++) {
        RVTlbEntry *e = rv_tlb_entry(cpu->tlb[t], va);
        if (!keep_global || !bit_get(cpu->tlb_global, tlb_index(cpu, e))) {
            tlb_entry_clear(e);
        }
    }
    /* Blocks starting in the page: their jump-cache slots are in one
       run of RV_PAGE_SIZE / 2 (the index is pc >> 1), shared with other
       pages' blocks, which stay. Most fenced pages (Linux fences each
       user page it maps) have none: the page filter says so without
       reading the blocks of that run. */
    unsigned pb = jc_page_bit(va);
    if (!bit_get(cpu->jc_pages[0], pb) &&
        (keep_global || !bit_get(cpu->jc_pages[1], pb))) {
        return;
    }
    gva_t page = va & RV_PAGE_MASK;
    unsigned first = (unsigned)(page >> 1) & (RV_JC_SIZE - 1);
    for (unsigned w = first / 64; w < (first + RV_PAGE_SIZE / 2) / 64; w++) {
        for (uint64_t m = cpu->jc_used[w]; m; m &= m - 1) {
            unsigned bit = (unsigned)__builtin_ctzll(m);
            TB **slot = &cpu->jump_cache[w * 64 + bit];
            if (!*slot || (((*slot)->pc & RV_PAGE_MASK) == page &&
                           !(keep_global &&
                             bit_get(cpu->jc_global, w * 64 + bit)))) {
                *slot = NULL;
                cpu->jc_used[w] &= ~(1ull << bit);
            }
        }
    }
}

void rv_cpu_flush_tlb_page(RVCPU *cpu, gva_t va, bool keep_global)
{
    unsigned g = super_region(va);
    if (cpu->tlb_super[g / 64] & (1ull << (g % 64))) {
        /* Entries made from a superpage that covers va may sit at other
           indices: privileged spec 4.2.1 asks for all of them to go. */
        if (keep_global) {
            rv_cpu_flush_tlb_nonglobal(cpu);
        } else {
            rv_cpu_flush_tlb(cpu);
        }
        return;
    }
    /* A 4 KiB leaf: only the entries of va's page can hold it. */
    flush_page_slots(cpu, va, keep_global);
}

void rv_cpu_flush_tlb_va(RVCPU *cpu, gva_t va)
{
    flush_page_slots(cpu, va, false);
}

void rv_cpu_flush_wide_tlb(RVCPU *cpu)
{
    /* Fetch permission and the jump cache do not depend on SUM or MXR,
       which Linux toggles on every user copy (10,000 times in a boot):
       keep them, and the loads and stores that needed neither bit. */
    for (unsigned w = 0; w < 4 * RV_TLB_SIZE / 64; w++) {
        for (uint64_t m = cpu->tlb_used[w] & cpu->tlb_wide[w]; m;
             m &= m - 1) {
            unsigned k = w * 64 + (unsigned)__builtin_ctzll(m);
            RVTlbEntry *e = &cpu->tlb[k / RV_TLB_SIZE][k % RV_TLB_SIZE];
            e->tag_read = RV_TLB_INVALID;
            e->tag_write = RV_TLB_INVALID;
        }
        cpu->tlb_wide[w] = 0;
    }
}

void rv_cpu_drop_write_tags(RVCPU *cpu)
{
    FOR_USED_TLB_ENTRIES(cpu, e, { e->tag_write = RV_TLB_INVALID; })
}

void rv_tlb_protect_page(CoreMachine *m, gpa_t page)
{
    for (unsigned h = 0; h < m->ncpus; h++) {
        RVCPU *cpu = m->cpus[h];
        FOR_USED_TLB_ENTRIES(cpu, e, {
            if (*tlb_phys(cpu, e) == page &&
                e->tag_write != RV_TLB_INVALID) {
                /* Still writable, but through the slow path, which
                   invalidates the code or the translations a store
                   changes. */
                e->tag_write |= RV_TLB_SLOW_WRITE;
            }
        })
    }
}

static int fault_cause(RVAccess acc, bool page_fault)
{
    static const int page[] = { RV_EXC_LOAD_PAGE, RV_EXC_STORE_PAGE,
                                RV_EXC_INSN_PAGE };
    static const int access[] = { RV_EXC_LOAD_ACCESS, RV_EXC_STORE_ACCESS,
                                  RV_EXC_INSN_ACCESS };
    return page_fault ? page[acc] : access[acc];
}

/* What a TLB entry made from a walk depends on. */
typedef struct WalkInfo {
    unsigned level;    /* of the leaf: 0 a 4 KiB page, more a superpage */
    bool global;       /* no ASID: G on the path, or no page table read */
    bool wide;         /* allowed only because SUM or MXR is set */
    bool paged;        /* read a page table (not M-mode or Bare) */
    unsigned top;      /* then the index of its top-level PTE */
} WalkInfo;

static int walk(RVCPU *cpu, const RVInsn *in, gva_t va, RVAccess acc,
                unsigned priv, gpa_t *pa, bool *writable_ok, bool debug,
                WalkInfo *info);

int rv_mmu_translate(RVCPU *cpu, const RVInsn *in, gva_t va, RVAccess acc,
                     unsigned priv, gpa_t *pa, bool *writable_ok)
{
    WalkInfo info;
    return walk(cpu, in, va, acc, priv, pa, writable_ok, false, &info);
}

int rv_mmu_lookup(RVCPU *cpu, gva_t va, unsigned priv, gpa_t *pa)
{
    /* Debugger view: any mapped page counts as readable, and nothing in
       the page tables changes. */
    WalkInfo info;
    return walk(cpu, NULL, va, RV_ACC_READ, priv, pa, NULL, true, &info);
}

/* The walker set A/D bits in the PTE at pte_addr, for the access of `in`
   (NULL: fetching va at a block's start). Only a search for the writes to
   a range (replay/lastwrite.c) watches: tell it who, and when (the
   instruction's exact icount, as before a device access). */
static void walker_wrote(RVCPU *cpu, const RVInsn *in, gva_t va,
                         gpa_t pte_addr)
{
    CoreMachine *m = cpu->machine;
    if (in) {
        m->icount = rv_icount_at(cpu, in);
    }
    CoreMemWriter who = { .walker = true, .hart = (unsigned)cpu->mhartid,
                          .pc = in ? in->pc : va };
    core_mem_observe_write(m->as, pte_addr, 8, &who);
}

/* `debug`: the debugger's view (no permission checks, no A/D updates).
   `in`: the instruction whose access this is (NULL: a fetch, or none). */
static int walk(RVCPU *cpu, const RVInsn *in, gva_t va, RVAccess acc,
                unsigned priv, gpa_t *pa, bool *writable_ok, bool debug,
                WalkInfo *info)
{
    unsigned mode = cpu->satp >> 60;
    *info = (WalkInfo){ .level = 0, .global = true };
    if (priv == RV_PRIV_M || mode == 0) {
        *pa = va;
        if (writable_ok) {
            *writable_ok = true;
        }
        return 0;
    }
    unsigned levels = mode == 8 ? 3 : 4;
    unsigned va_bits = 12 + 9 * levels;
    /* Bits above the VA width must all equal the top VA bit. */
    /* Shifted left as unsigned: a negative value shifted left is
       undefined in C. */
    int64_t sva = (int64_t)va;
    if ((int64_t)(va << (64 - va_bits)) >> (64 - va_bits) != sva) {
        return fault_cause(acc, true);
    }
    CoreAddrSpace *as = cpu->machine->as;
    gpa_t table = (cpu->satp & PTE_PPN_MASK) << RV_PAGE_BITS;
    /* Global if any PTE on the path has G (privileged spec 4.3.1). */
    info->global = false;
    info->paged = true;
    info->top = (va >> (RV_PAGE_BITS + 9 * (levels - 1))) & 0x1ff;
    for (int level = levels - 1; level >= 0; level--) {
        unsigned vpn = (va >> (RV_PAGE_BITS + 9 * level)) & 0x1ff;
        gpa_t pte_addr = table + vpn * 8;
        CoreMemRegion *pr = core_mem_find(as, pte_addr);
        /* Page-table reads are implicit S-mode accesses (PMP applies).
           A page of PTEs PMP allows whole is remembered per level until
           the next TLB flush (every PMP change flushes). */
        gpa_t pt_page = pte_addr & RV_PAGE_MASK;
        if (!pr || !pr->host) {
            return fault_cause(acc, false);
        }
        uint8_t *p = pr->host + (pte_addr - pr->base);
        if (!debug && pr->pt_bitmap) {
            /* What the TLB will hold depends on this PTE: stores to its
               page must drop it (ptpage.c). */
            rv_pt_walked(cpu, pr, pte_addr, (unsigned)level, va, levels);
        }
        if (cpu->pmp_pt_ok[level] != pt_page) {
            if (rv_pmp_allows(cpu, pt_page, RV_PAGE_SIZE, RV_ACC_READ,
                              RV_PRIV_S)) {
                cpu->pmp_pt_ok[level] = pt_page;
            } else if (!rv_pmp_allows(cpu, pte_addr, 8, RV_ACC_READ,
                                      RV_PRIV_S)) {
                return fault_cause(acc, false);
            }
        }
        uint64_t pte;
        memcpy(&pte, p, 8);
        if (!(pte & PTE_V) || ((pte & PTE_W) && !(pte & PTE_R)) ||
            (pte & PTE_RESERVED)) {
            return fault_cause(acc, true);
        }
        uint64_t ppn = (pte >> 10) & PTE_PPN_MASK;
        info->global |= (pte & PTE_G) != 0;
        if (!(pte & (PTE_R | PTE_X))) {
            if (pte & (PTE_A | PTE_D | PTE_U)) {
                return fault_cause(acc, true);
            }
            table = ppn << RV_PAGE_BITS;
            continue;
        }
        /* Leaf: check permissions. */
        bool user = pte & PTE_U;
        if (debug) {
            goto leaf_ok;
        }
        if (priv == RV_PRIV_U && !user) {
            return fault_cause(acc, true);
        }
        if (priv == RV_PRIV_S && user &&
            (acc == RV_ACC_EXEC || !(cpu->mstatus & RV_MSTATUS_SUM))) {
            return fault_cause(acc, true);
        }
        bool ok;
        switch (acc) {
        case RV_ACC_READ:
            ok = (pte & PTE_R) ||
                 ((pte & PTE_X) && (cpu->mstatus & RV_MSTATUS_MXR));
            break;
        case RV_ACC_WRITE:
            ok = pte & PTE_W;
            break;
        default:
            ok = pte & PTE_X;
            break;
        }
        if (!ok) {
            return fault_cause(acc, true);
        }
        /* Reached only with SUM (S on a U page) or MXR (a read of an
           execute-only page): clearing the bit must drop the entry. */
        info->wide = (priv == RV_PRIV_S && user) ||
                     (acc == RV_ACC_READ && !(pte & PTE_R));
leaf_ok:;
        uint64_t low_mask = (1ull << (9 * level)) - 1;
        if (ppn & low_mask) {
            return fault_cause(acc, true);   /* misaligned superpage */
        }
        uint64_t need = PTE_A | (acc == RV_ACC_WRITE ? PTE_D : 0);
        if (!debug && (pte & need) != need) {
            pte |= need;
            /* Sets only bits every cached translation of this PTE
               assumes already: nothing to drop (no rv_pt_write). */
            core_mem_mark_dirty(pr, pte_addr, 8);   /* before the write */
            memcpy(p, &pte, 8);
            core_mem_notify_write(as, pr, pte_addr, 8);
            if (CORE_UNLIKELY(core_mem_write_observed(as))) {
                walker_wrote(cpu, in, va, pte_addr);
            }
        }
        info->level = (unsigned)level;
        uint64_t vpn_low = (va >> RV_PAGE_BITS) & low_mask;
        *pa = ((ppn | vpn_low) << RV_PAGE_BITS) | (va & (RV_PAGE_SIZE - 1));
        if (writable_ok) {
            *writable_ok = (pte & PTE_W) && (pte & PTE_D);
        }
        return 0;
    }
    return fault_cause(acc, true);
}

typedef struct Resolved {
    gpa_t pa;
    CoreMemRegion *r;
    bool writable_ok;
    bool cacheable;    /* PMP allows the whole page: the TLB may keep it */
    WalkInfo walk;     /* leaf level, global, SUM/MXR dependence */
} Resolved;

/* Fill the TLB entry for va's page after a successful translation to a
   RAM/ROM region. */
static void tlb_fill(RVCPU *cpu, RVTlbEntry *tlb, gva_t va,
                     const Resolved *res, RVAccess acc)
{
    const CoreMachine *m = cpu->machine;
    gpa_t pa = res->pa;
    CoreMemRegion *r = res->r;
    if (CORE_UNLIKELY(m->debug != NULL) && acc != RV_ACC_EXEC &&
        (core_debug_page_watched(m, va & RV_PAGE_MASK) ||
         core_debug_phys_page_watched(m, pa & RV_PAGE_MASK))) {
        return;   /* accesses to watched pages stay on the slow path */
    }
    if (CORE_UNLIKELY(cpu->trig_mem != 0) && acc != RV_ACC_EXEC &&
        rv_trigger_on_page(cpu, va & RV_PAGE_MASK)) {
        return;   /* so do pages with load/store triggers (trigger.c) */
    }
    RVTlbEntry *e = rv_tlb_entry(tlb, va);
    unsigned k = (unsigned)(e - cpu->tlb[0]);
    cpu->tlb_used[k / 64] |= 1ull << (k % 64);
    cpu->tlb_filled = 1;
    if (res->walk.global && res->walk.paged) {
        bit_put(cpu->tlb_top, res->walk.top, true);
    }
    if (res->walk.level > 0) {
        /* One bit per 1 GiB region it may cover; a 512 GiB (Sv48) leaf
           covers them all. */
        if (res->walk.level >= 3) {
            memset(cpu->tlb_super, 0xff, sizeof(cpu->tlb_super));
        } else {
            unsigned g = super_region(va);
            cpu->tlb_super[g / 64] |= 1ull << (g % 64);
        }
    }
    gva_t vpage = va & RV_PAGE_MASK;
    gpa_t ppage = pa & RV_PAGE_MASK;
    uintptr_t host = (uintptr_t)(r->host + (ppage - r->base));
    if (e->tag_read != vpage && e->tag_exec != vpage &&
        (e->tag_write & ~RV_TLB_SLOW_WRITE) != vpage) {
        e->tag_read = e->tag_write = e->tag_exec = RV_TLB_INVALID;
        bit_put(cpu->tlb_global, k, res->walk.global);
        bit_put(cpu->tlb_wide, k, res->walk.wide);
    } else {
        /* More access kinds of the same page: global only if every walk
           that filled it was, wide if any was. */
        bit_put(cpu->tlb_global, k,
                bit_get(cpu->tlb_global, k) && res->walk.global);
        bit_put(cpu->tlb_wide, k, bit_get(cpu->tlb_wide, k) || res->walk.wide);
    }
    e->addend = host - vpage;
    *tlb_phys(cpu, e) = ppage;
    if (acc == RV_ACC_EXEC) {
        e->tag_exec = vpage;
    } else {
        e->tag_read = vpage;
    }
    if (acc != RV_ACC_EXEC && res->writable_ok && r->kind == CORE_MEM_RAM) {
        if (core_mem_page_has_code(r, ppage) ||
            core_mem_page_is_pt(r, ppage)) {
            /* Writable, through the slow path (store_slow): it knows
               the translation from this entry and marks dirty per store. */
            e->tag_write = vpage | RV_TLB_SLOW_WRITE;
        } else {
            /* Fast-path writes are invisible: count the page as written
               now. */
            core_mem_mark_dirty(r, ppage, RV_PAGE_SIZE);
            e->tag_write = vpage;
        }
    }
}

/* Translate, check PMP for [pa, pa+size) and find the region; returns 0 or
   an exception cause. */
static int resolve(RVCPU *cpu, const RVInsn *in, gva_t va, RVAccess acc,
                   unsigned priv, unsigned size, Resolved *out)
{
    int cause = walk(cpu, in, va, acc, priv, &out->pa, &out->writable_ok,
                     false, &out->walk);
    if (cause) {
        return cause;
    }
    /* If PMP allows the whole page, it allows any access inside it: the
       first entry matching a byte of the page matches all of it, and no
       lower entry matches any byte of the access. So one check does on
       the common path. */
    out->cacheable = rv_pmp_allows(cpu, out->pa & RV_PAGE_MASK, RV_PAGE_SIZE,
                                   acc, priv);
    if (!out->cacheable && !rv_pmp_allows(cpu, out->pa, size, acc, priv)) {
        return fault_cause(acc, false);
    }
    out->r = core_mem_find(cpu->machine->as, out->pa);
    if (!out->r) {
        return fault_cause(acc, false);
    }
    return 0;
}

/* A store wrote [pa, pa+size) of a page holding translated code:
   invalidate the blocks made from those bytes. Returns true if the block
   running the store may be one of them (a block holding the store's pc
   was invalidated): it must not run on. */
static bool code_written(RVCPU *cpu, const RVInsn *in, CoreMemRegion *r,
                         gpa_t pa, unsigned size)
{
    unsigned inv = tb_invalidate_range(cpu->tbs, pa, size, &in->pc);
    if (inv & TB_INV_EMPTY) {
        core_mem_set_code_page(r, pa, false);
    }
    return inv & TB_INV_PC;
}

/* A debugger watches [addr, addr+size)? Record the stop; the block ends
   after this instruction (translate.c cuts blocks after memory accesses
   while watchpoints exist). */
static void check_watch(RVCPU *cpu, const RVInsn *in, gva_t addr,
                        unsigned size, bool write)
{
    CoreMachine *m = cpu->machine;
    if (CORE_LIKELY(m->debug == NULL)) {
        return;
    }
    gpa_t pa;
    if (write && m->debug->pwatch_len && m->debug->stop.reason == CORE_STOP_NONE &&
        rv_mmu_lookup(cpu, addr, rv_data_priv(cpu), &pa) == 0 &&
        core_debug_phys_hit(m, pa, size)) {
        m->debug->stop = (CoreStop){ .reason = CORE_STOP_WATCHPOINT,
                                     .hart = (unsigned)cpu->mhartid,
                                     .watch_addr = pa,
                                     .watch_kind = CORE_WATCH_WRITE,
                                     .pc = in->pc };
        m->attention |= CORE_ATTN_STOP;
        return;
    }
    const CoreWatchpoint *w = core_debug_watch_hit(m, addr, size, write);
    if (w && m->debug->stop.reason == CORE_STOP_NONE) {
        m->debug->stop = (CoreStop){ .reason = CORE_STOP_WATCHPOINT,
                                     .hart = (unsigned)cpu->mhartid,
                                     .watch_addr = w->addr,
                                     .watch_kind = w->kind,
                                     .pc = in->pc };
        m->attention |= CORE_ATTN_STOP;
    }
}

/* Leave the block after `in`, which retired. */

static int mmio_access(RVCPU *cpu, const RVInsn *in, CoreMemRegion *r,
                       gpa_t pa, unsigned size, uint64_t *val, bool write)
{
    const CoreMemOps *ops = r->ops;
    unsigned min = ops->min_access ? ops->min_access : 1;
    unsigned max = ops->max_access ? ops->max_access : 8;
    uint64_t off = pa - r->base;
    if (size < min || size > max || (pa & (size - 1)) ||
        off + size > r->size) {
        return write ? RV_EXC_STORE_ACCESS : RV_EXC_LOAD_ACCESS;
    }
    /* Devices may read the clock: make the global icount exact. */
    cpu->machine->icount = rv_icount_at(cpu, in);
    if (write) {
        if (ops->write) {
            ops->write(r->opaque, off, *val, size);
        }
    } else {
        *val = ops->read ? ops->read(r->opaque, off, size) : 0;
        if (size < 8) {
            *val &= (1ull << (8 * size)) - 1;
        }
    }
    return 0;
}

/* A load's walk found a page its PTE lets stores use as they are
   (writable, A and D set: a store's walk would change nothing): may the
   TLB entry take write permission too, saving that walk (half of a
   Linux boot's walks were the first store after a load)? Only if PMP
   allows writes to the whole page and the page is already dirty for
   every tracker, since fast-path writes are not seen (tlb_fill would
   otherwise mark the page dirty on a mere read). */
static bool store_ready(RVCPU *cpu, const Resolved *res)
{
    CoreMemRegion *r = res->r;
    if (r->kind != CORE_MEM_RAM) {
        return false;
    }
    if (r->dirty_all &&
        !core_bitmap_test(r->dirty_all, core_mem_page_index(r, res->pa))) {
        return false;
    }
    return rv_pmp_allows(cpu, res->pa & RV_PAGE_MASK, RV_PAGE_SIZE,
                         RV_ACC_WRITE, rv_data_priv(cpu));
}

static int load_slow(RVCPU *cpu, const RVInsn *in, gva_t addr, unsigned size)
{
    uint64_t *val = &cpu->load_result;
    if ((addr & (RV_PAGE_SIZE - 1)) + size > RV_PAGE_SIZE) {
        /* Misaligned access across a page: byte by byte, little-endian. */
        uint64_t v = 0;
        for (unsigned i = 0; i < size; i++) {
            int rc = load_slow(cpu, in, addr + i, 1);
            if (rc) {
                return rc;
            }
            v |= cpu->load_result << (8 * i);
        }
        *val = v;
        return 0;
    }
    Resolved res;
    int cause = resolve(cpu, in, addr, RV_ACC_READ, rv_data_priv(cpu), size, &res);
    if (cause) {
        return rv_raise_exception(cpu, in, cause, addr);
    }
    if (res.r->kind == CORE_MEM_MMIO) {
        cause = mmio_access(cpu, in, res.r, res.pa, size, val, false);
        if (cause) {
            return rv_raise_exception(cpu, in, cause, addr);
        }
        check_watch(cpu, in, addr, size, false);
        return 0;
    }
    if (res.cacheable) {
        res.writable_ok = res.writable_ok && store_ready(cpu, &res);
        tlb_fill(cpu, cpu->data_tlb, addr, &res, RV_ACC_READ);
    }
    uint64_t v = 0;
    memcpy(&v, res.r->host + (res.pa - res.r->base), size);
    *val = v;
    check_watch(cpu, in, addr, size, false);
    return 0;
}

/* Debug triggers match the whole access, before any part of it. */
int rv_load_slow(RVCPU *cpu, const RVInsn *in, gva_t addr, unsigned size)
{
    if (CORE_UNLIKELY(cpu->dwin_limit == 0)) {
        rv_dwin_update(cpu);
    }
    if (CORE_UNLIKELY(cpu->trig_mem != 0)) {
        int rc = rv_trigger_mem_check(cpu, in, addr, size, true, false);
        if (rc) {
            return rc;
        }
    }
    return load_slow(cpu, in, addr, size);
}

static int store_slow(RVCPU *cpu, const RVInsn *in, gva_t addr, unsigned size,
                      uint64_t val)
{
    if ((addr & (RV_PAGE_SIZE - 1)) + size > RV_PAGE_SIZE) {
        /* Check both pages before writing anything, so a fault leaves
           memory unchanged. */
        gpa_t pa;
        unsigned priv = rv_data_priv(cpu);
        gva_t second = (addr + size - 1) & RV_PAGE_MASK;
        int cause = rv_mmu_translate(cpu, in, addr, RV_ACC_WRITE, priv, &pa, NULL);
        if (!cause) {
            cause = rv_mmu_translate(cpu, in, second, RV_ACC_WRITE, priv, &pa, NULL);
        }
        if (cause) {
            return rv_raise_exception(cpu, in, cause, addr);
        }
        bool leave = false;
        for (unsigned i = 0; i < size; i++) {
            int rc = store_slow(cpu, in, addr + i, 1, val >> (8 * i));
            if (rc == RV_EXEC_TRAP) {
                return rc;
            }
            leave |= rc != 0;
        }
        return leave ? rv_leave_after(cpu, in) : 0;
    }
    Resolved res;
    RVTlbEntry *e = rv_tlb_entry(cpu->data_tlb, addr);
    if (e->tag_write == ((addr & RV_PAGE_MASK) | RV_TLB_SLOW_WRITE)) {
        /* A writable RAM page holding code: translation, permissions,
           PMP and watch checks were done when the entry was filled, and
           anything changing them flushes the entry. */
        res.pa = *tlb_phys(cpu, e) | (addr & (RV_PAGE_SIZE - 1));
        res.r = core_mem_find(cpu->machine->as, res.pa);
        res.cacheable = false;
    } else {
        int cause = resolve(cpu, in, addr, RV_ACC_WRITE, rv_data_priv(cpu), size,
                            &res);
        if (cause) {
            return rv_raise_exception(cpu, in, cause, addr);
        }
    }
    if (res.r->kind == CORE_MEM_MMIO) {
        int cause = mmio_access(cpu, in, res.r, res.pa, size, &val, true);
        if (cause) {
            return rv_raise_exception(cpu, in, cause, addr);
        }
        check_watch(cpu, in, addr, size, true);
        /* A device write may stop the machine or raise an interrupt:
           end the block so the run loop sees it at once. */
        if (cpu->machine->attention) {
            return rv_leave_after(cpu, in);
        }
        return 0;
    }
    if (res.r->kind == CORE_MEM_ROM) {
        return rv_raise_exception(cpu, in, RV_EXC_STORE_ACCESS, addr);
    }
    /* A store to a page table: drop the translations the PTEs it
       changes gave, in every hart, before anyone can use them again. */
    unsigned pt = 0;
    if (CORE_UNLIKELY(core_mem_page_is_pt(res.r, res.pa))) {
        pt = rv_pt_write(cpu, res.r, res.pa, size, &val, in->pc);
    }
    core_mem_mark_dirty(res.r, res.pa, size);   /* before the write */
    memcpy(res.r->host + (res.pa - res.r->base), &val, size);
    check_watch(cpu, in, addr, size, true);
    /* Only a write to the running block's own code makes it stale; a
       write next to code (data sharing its page) leaves every block
       valid and running. */
    bool stale = core_mem_page_has_code(res.r, res.pa) &&
                 code_written(cpu, in, res.r, res.pa, size);
    if (CORE_UNLIKELY(cpu->machine->attention & CORE_ATTN_STOP)) {
        /* A watch hit: the stop comes right after this store (blocks are
           not cut after every access for the physical watch). */
        return rv_leave_after(cpu, in);
    }
    if (res.cacheable && !pt) {
        /* (After a store that dropped translations, res may be one of
           them: no fill then.) */
        tlb_fill(cpu, cpu->data_tlb, addr, &res, RV_ACC_WRITE);
    } else if (e->tag_write == ((addr & RV_PAGE_MASK) | RV_TLB_SLOW_WRITE) &&
               !core_mem_page_has_code(res.r, res.pa) &&
               !core_mem_page_is_pt(res.r, res.pa)) {
        /* The page's last block is gone: back to the fast path (as
           tlb_fill would do). */
        core_mem_mark_dirty(res.r, res.pa & RV_PAGE_MASK, RV_PAGE_SIZE);
        e->tag_write = addr & RV_PAGE_MASK;
    }
    if (stale || (pt & RV_PT_REFETCH)) {
        /* The running block may be stale, or its page may map elsewhere
           now: leave it after this store (the next fetch walks). */
        return rv_leave_after(cpu, in);
    }
    return 0;
}

int rv_store_slow(RVCPU *cpu, const RVInsn *in, gva_t addr, unsigned size,
                  uint64_t val)
{
    if (CORE_UNLIKELY(cpu->trig_mem != 0)) {
        int rc = rv_trigger_mem_check(cpu, in, addr, size, false, true);
        if (rc) {
            return rc;
        }
    }
    return store_slow(cpu, in, addr, size, val);
}

int rv_amo_ptr(RVCPU *cpu, const RVInsn *in, gva_t addr, unsigned size,
               void **host)
{
    if (CORE_UNLIKELY(cpu->trig_mem != 0)) {
        /* An AMO (or SC) reads and writes: load and store triggers, which
           outrank misalignment (privileged spec 3.1.15). */
        int rc = rv_trigger_mem_check(cpu, in, addr, size, true, true);
        if (rc) {
            return rc;
        }
    }
    if (addr & (size - 1)) {
        return rv_raise_exception(cpu, in, RV_EXC_STORE_MISALIGNED, addr);
    }
    RVTlbEntry *e = rv_tlb_entry(cpu->data_tlb, addr);
    if (CORE_LIKELY(e->tag_write == (addr & RV_PAGE_MASK))) {
        /* A store's fast path: writable (so readable) RAM holding no
           code, not watched, PMP allowing the page, already dirty;
           aligned, so inside the page. Spinlocks' AMOs and SCs (half a
           million in a Linux boot) walked the page table each time. */
        *host = (void *)(uintptr_t)(addr + e->addend);
        return 0;
    }
    Resolved res;
    int cause = resolve(cpu, in, addr, RV_ACC_WRITE, rv_data_priv(cpu), size, &res);
    if (cause) {
        return rv_raise_exception(cpu, in, cause, addr);
    }
    if (res.r->kind != CORE_MEM_RAM) {
        return rv_raise_exception(cpu, in, RV_EXC_STORE_ACCESS, addr);
    }
    /* As for a store (store_slow): an atomic on the running block's own
       code, or on a PTE that may map its page elsewhere, ends the block
       after it, so the next instruction is always fetched anew, wherever
       a budget or a debugger happens to cut blocks. */
    bool leave = false;
    if (core_mem_page_has_code(res.r, res.pa)) {
        /* Rare: invalidate before the write. */
        leave = code_written(cpu, in, res.r, res.pa, size);
    }
    unsigned pt = 0;
    if (CORE_UNLIKELY(core_mem_page_is_pt(res.r, res.pa))) {
        /* An AMO on a PTE (Linux clears A bits so): its new value is
           not known yet, so whatever the PTE gave goes. */
        pt = rv_pt_write(cpu, res.r, res.pa, size, NULL, in->pc);
        leave |= (pt & RV_PT_REFETCH) != 0;
    }
    if (res.cacheable && !pt) {
        tlb_fill(cpu, cpu->data_tlb, addr, &res, RV_ACC_WRITE);
    }
    *host = res.r->host + (res.pa - res.r->base);
    core_mem_mark_dirty(res.r, res.pa, size);
    /* An AMO reads and writes. */
    check_watch(cpu, in, addr, size, true);
    check_watch(cpu, in, addr, size, false);
    return leave ? RV_EXEC_JUMP : RV_EXEC_NEXT;
}

bool rv_debug_translate(RVCPU *cpu, gva_t va, gpa_t *pa)
{
    return rv_mmu_lookup(cpu, va, rv_data_priv(cpu), pa) == 0;
}

int rv_debug_access(RVCPU *cpu, gva_t addr, void *buf, size_t len, bool write)
{
    uint8_t *p = buf;
    unsigned priv = rv_data_priv(cpu);
    while (len) {
        size_t n = RV_PAGE_SIZE - (addr & (RV_PAGE_SIZE - 1));
        n = n < len ? n : len;
        gpa_t pa;
        if (rv_mmu_lookup(cpu, addr, priv, &pa)) {
            return -1;
        }
        CoreAddrSpace *as = cpu->machine->as;
        bool ok = write ? core_mem_write_bytes(as, pa, p, n)
                        : core_mem_read_bytes(as, pa, p, n);
        if (!ok) {
            return -1;
        }
        addr += n;
        p += n;
        len -= n;
    }
    return 0;
}

int rv_fetch_page(RVCPU *cpu, gva_t pc, const uint8_t **host_page,
                  gpa_t *phys_page, bool *single)
{
    RVTlbEntry *e = rv_tlb_entry(cpu->fetch_tlb, pc);
    gva_t vpage = pc & RV_PAGE_MASK;
    *single = false;
    if (e->tag_exec != vpage) {
        Resolved res;
        /* Fetch permission is checked per page: a block never leaves it. */
        int cause = resolve(cpu, NULL, pc, RV_ACC_EXEC, cpu->priv, 2, &res);
        if (cause) {
            return cause;
        }
        if (res.r->kind == CORE_MEM_MMIO) {
            return RV_EXC_INSN_ACCESS;
        }
        if (!res.cacheable) {
            /* PMP allows this halfword but not the whole page: no TLB
               entry, and the caller decodes this one instruction only. */
            *host_page = res.r->host + ((res.pa & RV_PAGE_MASK) - res.r->base);
            *phys_page = res.pa & RV_PAGE_MASK;
            *single = true;
            return 0;
        }
        res.writable_ok = false;
        tlb_fill(cpu, cpu->fetch_tlb, pc, &res, RV_ACC_EXEC);
    }
    *host_page = (const uint8_t *)(uintptr_t)(vpage + e->addend);
    *phys_page = *tlb_phys(cpu, e);
    return 0;
}
