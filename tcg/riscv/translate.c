/*
 * Building translation blocks: decode guest instructions once into an
 * array of RVInsn stored in a TB (tcg/tb.h).
 *
 * A block ends after an instruction flagged RV_OPF_END_TB (jumps, system
 * instructions), at the end of the guest page, or after RV_TB_MAX_INSNS.
 * The first cpu->side_exits conditional branches (REWIND_SIDE_EXITS,
 * default RV_TB_SIDE_EXITS_DEFAULT) do not end it: not taken, the block
 * goes on; taken, it is a side exit, whose handler variant
 * (rv_exec_side_exit) says how much of the block retired. Loops that
 * branch at every step (heapsort's sift-down) then run as a few long
 * blocks instead of hopping between short ones.
 *
 * An instruction that straddles two pages gets a block of its own that is not cached (it depends on two
 * page mappings); its decoding is reused while the same instruction bits
 * come back at the same pc (a few of them ran 110,000 times in a Linux
 * boot).
 *
 * When mstatus.FS is Off, floating-point instructions decode to the
 * illegal-instruction handler; FS is part of the TB flags, so blocks made
 * in either state are never confused.
 */
#include "tcg/riscv/rv_int.h"
#include "tcg/riscv/decode.h"
#include "tcg/riscv/rv.h"
#include "core/debug.h"
#include "core/machine.h"

#include <stdlib.h>
#include <string.h>

static TB *scratch_tb;   /* storage for an uncached page-straddling block */

static uint32_t read_u16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

int rv_exec_block_end(RVCPU *cpu, const RVInsn *in)
{
    cpu->pc = in->pc;
    return RV_EXEC_JUMP;
}

/* The entry after `last`: continues at the next pc. */
static void set_sentinel(RVInsn *s, const RVInsn *last)
{
    memset(s, 0, sizeof(*s));
    s->fn = rv_exec_block_end;
    s->pc = last->pc + last->len;
    s->idx = last->idx + 1;
}

/* Decode the one instruction at pc into a one-off TB: it straddles a page,
   or PMP allows its page only in part (then each fetch is checked). */
static TB *translate_single(RVCPU *cpu, const uint8_t *page, gpa_t phys,
                            uint32_t flags)
{
    gva_t pc = cpu->pc;
    uint32_t lo = read_u16(page + (pc & (RV_PAGE_SIZE - 1)));
    uint32_t raw = lo;
    if (rv_insn_len(lo) == 4) {
        const uint8_t *page2;
        gpa_t phys2;
        bool single2;
        int cause = rv_fetch_page(cpu, pc + 2, &page2, &phys2, &single2);
        if (cause) {
            rv_take_trap(cpu, false, cause, pc + 2, pc);
            return NULL;
        }
        raw = lo | (read_u16(page2 + ((pc + 2) & (RV_PAGE_SIZE - 1))) << 16);
    }
    if (!scratch_tb) {
        scratch_tb = calloc(1, sizeof(TB) + 2 * sizeof(RVInsn));
    }
    TB *tb = scratch_tb;
    RVInsn *in = (RVInsn *)tb->payload;
    /* The same instruction as last time (same pc, mode, page and bits):
       its decoding is still right, whatever happened to memory since.
       A Linux boot ran three such instructions 110,000 times. */
    if (tb->n_insns == 1 && tb->pc == pc && tb->flags == flags &&
        tb->phys_pc == (phys | (pc & (RV_PAGE_SIZE - 1))) &&
        in->len == rv_insn_len(lo) &&
        (in->len == 2 ? in->craw : in->raw) == raw) {
        return tb;
    }
    tb->pc = pc;
    tb->phys_pc = phys | (pc & (RV_PAGE_SIZE - 1));
    tb->flags = flags;
    tb->n_insns = 1;
    tb->valid = 1;
    tb->cached = 0;
    rv_decode(in, raw, pc);
    in->idx = 0;
    if ((in->flags & RV_OPF_FP) && !(flags & 4)) {
        in->fn = rv_exec_illegal;
    }
    set_sentinel(&in[1], in);
    return tb;
}

/* Loads, stores and AMOs (major opcodes LOAD, LOAD-FP, STORE, STORE-FP,
   AMO; compressed forms are decoded from their expansion). */
static bool is_memory_op(uint32_t raw)
{
    switch (raw & 0x7f) {
    case RV_OPC_LOAD: case RV_OPC_LOAD_FP: case RV_OPC_STORE:
    case RV_OPC_STORE_FP: case RV_OPC_AMO:
        return true;
    default:
        return false;
    }
}

static TB *translate(RVCPU *cpu, const uint8_t *page, gpa_t phys_page,
                     uint32_t flags)
{
    gva_t pc = cpu->pc;
    unsigned off = pc & (RV_PAGE_SIZE - 1);
    if (off == RV_PAGE_SIZE - 2 && rv_insn_len(read_u16(page + off)) == 4) {
        return translate_single(cpu, page, phys_page, flags);
    }
    TB *tb = tb_alloc(cpu->tbs, (RV_TB_MAX_INSNS + 1) * sizeof(RVInsn));
    tb->pc = pc;
    tb->phys_pc = phys_page | off;
    tb->flags = flags;
    RVInsn *insns = (RVInsn *)tb->payload;
    unsigned n = 0;
    const CoreDebug *dbg = cpu->machine->debug;
    bool triggers = rv_trigger_any_exec(cpu->machine);
    unsigned side_exits = 0;
    while (n < RV_TB_MAX_INSNS && off < RV_PAGE_SIZE) {
        gva_t ipc = (pc & RV_PAGE_MASK) | off;
        if (dbg && n > 0 && core_debug_has_breakpoint(cpu->machine, ipc)) {
            break;   /* breakpoints always start a block */
        }
        if (triggers && n > 0 && rv_trigger_block_cut(cpu->machine, ipc)) {
            break;   /* so do execute-trigger addresses (trigger.c) */
        }
        uint32_t lo = read_u16(page + off);
        unsigned len = rv_insn_len(lo);
        if (off + len > RV_PAGE_SIZE) {
            break;   /* straddles: it starts the next block */
        }
        uint32_t raw = len == 4 ? lo | (read_u16(page + off + 2) << 16) : lo;
        RVInsn *in = &insns[n];
        rv_decode(in, raw, (pc & RV_PAGE_MASK) | off);
        in->idx = n;
        if ((in->flags & RV_OPF_FP) && !(flags & 4)) {
            in->fn = rv_exec_illegal;
        }
        n++;
        off += len;
        if (in->flags & RV_OPF_END_TB) {
            break;
        }
        if ((in->flags & RV_OPF_BRANCH) &&
            side_exits++ == cpu->side_exits) {
            break;
        }
        if (dbg && dbg->nwp && is_memory_op(in->raw)) {
            break;   /* a watchpoint hit stops right after the access */
        }
        if (dbg && dbg->pwatch_len && (in->raw & 0x7f) == RV_OPC_AMO) {
            break;   /* the physical watch: stores leave their block on a
                        hit (mmu.c), an AMO cannot, so it ends one */
        }
    }
    for (unsigned i = 0; i + 1 < n; i++) {
        if (insns[i].flags & RV_OPF_BRANCH) {
            insns[i].fn = rv_exec_side_exit(insns[i].fn);
        }
    }
    tb->n_insns = n;
    tb->size = off - (pc & (RV_PAGE_SIZE - 1));
    set_sentinel(&insns[n], &insns[n - 1]);
    tb_shrink(cpu->tbs, tb, (n + 1) * sizeof(RVInsn));
    tb_insert(cpu->tbs, tb);

    CoreAddrSpace *as = cpu->machine->as;
    CoreMemRegion *r = core_mem_find(as, phys_page);
    if (r && r->code_bitmap && !core_mem_page_has_code(r, phys_page)) {
        core_mem_set_code_page(r, phys_page, true);
        rv_tlb_protect_page(cpu->machine, phys_page);
    }
    return tb;
}

TB *rv_tb_find(RVCPU *cpu)
{
    gva_t pc = cpu->pc;
    uint32_t flags = rv_tb_flags(cpu);
    TB **slot = &cpu->jump_cache[(pc >> 1) & (RV_JC_SIZE - 1)];
    TB *tb = *slot;
    if (CORE_LIKELY(tb && tb->pc == pc && tb->flags == flags && tb->valid)) {
        return tb;
    }
    /* Blocks at this hart's execute-trigger addresses never enter its
       jump cache, so reaching one always comes here. */
    bool trigger = CORE_UNLIKELY(cpu->trig_exec != 0) &&
                   rv_trigger_exec_at(cpu, pc);
    if (trigger && rv_trigger_exec_fires(cpu, pc)) {
        /* Before the instruction, above fetch faults (priv. spec 3.1.15). */
        rv_take_trap(cpu, false, RV_EXC_BREAKPOINT, pc, pc);
        return NULL;
    }
    const uint8_t *page;
    gpa_t phys_page;
    bool single;
    int cause = rv_fetch_page(cpu, pc, &page, &phys_page, &single);
    if (cause) {
        rv_take_trap(cpu, false, cause, pc, pc);
        return NULL;
    }
    unsigned off = pc & (RV_PAGE_SIZE - 1);
    if (single || (off == RV_PAGE_SIZE - 2 &&
                   rv_insn_len(read_u16(page + off)) == 4)) {
        /* A 4-byte instruction straddling two pages never has a cached
           block (translate): no lookup. */
        return translate_single(cpu, page, phys_page, flags);
    }
    tb = tb_lookup(cpu->tbs, pc, phys_page | (pc & (RV_PAGE_SIZE - 1)), flags);
    if (!tb) {
        tb = translate(cpu, page, phys_page, flags);
        if (!tb || !tb->cached) {
            return tb;
        }
    }
    if (!trigger) {
        rv_jump_cache_set(cpu, slot, tb);
    }
    return tb;
}
