/*
 * The execution loop of one hart: find the block at pc, run its decoded
 * instructions, repeat.
 *
 * Instruction counting is exact: a block is cut short when fewer
 * instructions remain in the budget than it holds, so the caller can stop
 * after exactly N instructions, even inside a cached block. The global
 * icount (m->icount) is set after every block, and before any device
 * access in the middle of one (mmu.c), never incremented per instruction.
 *
 * The loop checks one word, m->attention, after each block: interrupts,
 * exit requests and timer changes all arrive that way.
 */
#include "tcg/riscv/rv_int.h"
#include "tcg/riscv/disas.h"
#include "tcg/riscv/rv.h"
#include "core/machine.h"

#include <inttypes.h>
#include <stdio.h>

static void trace_insn(RVCPU *cpu, const RVInsn *in)
{
    char text[96];
    uint32_t bits = in->len == 2 ? in->craw : in->raw;
    rv_disas(text, sizeof(text), bits, in->pc);
    fprintf((FILE *)cpu->trace, "%" PRIu64 " h%" PRIu64 " %016" PRIx64 " %0*" PRIx32
            " %s\n", rv_icount_at(cpu, in), cpu->mhartid, in->pc,
            in->len == 2 ? 4 : 8, bits, text);
}

/* Run the first `n` instructions of a block; returns how many retired. */
static inline uint32_t run_block(RVCPU *cpu, TB *tb, uint32_t n)
{
    const RVInsn *ins = (const RVInsn *)tb->payload;
    for (uint32_t i = 0; i < n; i++) {
        int r = ins[i].fn(cpu, &ins[i]);
        if (CORE_UNLIKELY(r)) {
            return r == RV_EXEC_JUMP ? i + 1 : i;
        }
    }
    /* Fell off the end of what we ran: continue at the next instruction. */
    const RVInsn *last = &ins[n - 1];
    cpu->pc = last->pc + last->len;
    return n;
}

uint64_t rv_cpu_run(RVCPU *cpu, uint64_t budget)
{
    CoreMachine *m = cpu->machine;
    uint64_t done = 0;

    if (cpu->wfi) {
        if (!rv_cpu_has_work(cpu)) {
            return 0;
        }
        cpu->wfi = 0;
    }
    rv_check_interrupts(cpu);

    while (done < budget) {
        TB *tb = rv_tb_find(cpu);
        if (CORE_UNLIKELY(!tb)) {
            continue;   /* fetch fault: the trap was taken, pc moved */
        }
        uint64_t left = budget - done;
        uint32_t n = tb->n_insns < left ? tb->n_insns : (uint32_t)left;
        if (CORE_UNLIKELY(cpu->trace != NULL)) {
            n = 1;
            cpu->icount_base = m->icount;
            trace_insn(cpu, (const RVInsn *)tb->payload);
        }
        cpu->icount_base = m->icount;
        uint32_t retired = run_block(cpu, tb, n);
        m->icount = cpu->icount_base + retired;
        cpu->instret += retired;
        done += retired;
        if (CORE_UNLIKELY(m->attention || cpu->wfi)) {
            if (m->attention & CORE_ATTN_IRQ) {
                rv_check_interrupts(cpu);
            }
            break;
        }
    }
    return done;
}
