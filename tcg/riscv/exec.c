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
#include "core/debug.h"
#include "core/machine.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define RV_STUCK_TRAP_LIMIT 64

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
    /* Host code runs whole blocks only (exact icount), never while
       tracing (each instruction is traced from the interpreter). */
    if (cpu->jit && n == tb->n_insns && tb->cached && !cpu->trace &&
        !tb->no_host) {
        /* Tiered: translated on its jit_threshold-th whole run, since
           most blocks run a few times and a translation costs hundreds
           of interpreted runs (docs/jit.md). Guest history only. */
        const void *host = tb->host;
        if (!host && ++tb->runs >= cpu->jit_threshold) {
            host = rv_jit_compile(cpu, tb);
        }
        if (CORE_LIKELY(host != NULL)) {
            cpu->exit_idx = n;
            int r = rv_jit_run(cpu, host);
            rv_chain_settle(cpu);
            assert(r == RV_EXEC_JUMP || r == RV_EXEC_TRAP);
            (void)r;
            return cpu->exit_idx;
        }
    }
    if (CORE_UNLIKELY(n < tb->n_insns)) {
        /* Cut short by the budget: the entry after the n-th becomes an
           end for this run, then is put back. In place rather than in a
           copy: a block with side exits (taken branches in its middle)
           is cut again and again at the end of a slice, a few
           instructions further each time, and copying it each time cost
           more than the loop it ends. Nothing reads the entry meanwhile
           (handlers read only their own and, continuing, the next; a TB
           flush in the run keeps the arena's memory and allocates
           nothing until the run loop translates again). */
        RVInsn *cut = (RVInsn *)&ins[n];
        RVInsn saved = *cut;
        memset(cut, 0, sizeof(*cut));
        cut->fn = rv_exec_block_end;
        cut->pc = saved.pc;
        cut->idx = (uint8_t)n;
        cpu->exit_idx = n;
        int r = ins[0].fn(cpu, ins);
        *cut = saved;
        assert(r == RV_EXEC_JUMP || r == RV_EXEC_TRAP);
        (void)r;
        return cpu->exit_idx;
    }
    cpu->exit_idx = n;
    int r = ins[0].fn(cpu, ins);
    assert(r == RV_EXEC_JUMP || r == RV_EXEC_TRAP);
    (void)r;
    return cpu->exit_idx;
}

/* A trap was taken without retiring anything. A hart whose trap handler
   itself traps at once can never make progress (e.g. garbage loaded as a
   kernel, mtvec still 0): stop the machine and say why instead of
   spinning forever (the front end prints m->exit_detail). Returns true
   when the run must stop. */
static bool no_progress(RVCPU *cpu)
{
    if (++cpu->stuck_traps < RV_STUCK_TRAP_LIMIT) {
        return cpu->machine->attention != 0;
    }
    snprintf(cpu->machine->exit_detail, sizeof(cpu->machine->exit_detail),
             "hart %" PRIu64 " is stuck: %u traps in a row without retiring "
             "an instruction (last mcause 0x%" PRIx64 ", mepc 0x%" PRIx64
             ", mtval 0x%" PRIx64 ", mtvec 0x%" PRIx64 ")", cpu->mhartid,
             cpu->stuck_traps, cpu->mcause, cpu->mepc, cpu->mtval, cpu->mtvec);
    core_machine_request_exit(cpu->machine, CORE_EXIT_STUCK, 4);
    return true;
}

/* A debugger is attached: stop before executing a breakpoint pc, except
   once for the hart resuming from it. */
static bool breakpoint_stop(RVCPU *cpu)
{
    CoreMachine *m = cpu->machine;
    CoreDebug *d = m->debug;
    if (d->skip_hart == (int)cpu->mhartid) {
        /* The resume exemption covers only the very next block. */
        bool skip = d->skip_pc == cpu->pc;
        d->skip_hart = -1;
        if (skip) {
            return false;
        }
    }
    if (!core_debug_has_breakpoint(m, cpu->pc)) {
        return false;
    }
    d->stop = (CoreStop){ .reason = CORE_STOP_BREAKPOINT,
                          .hart = (unsigned)cpu->mhartid };
    m->attention |= CORE_ATTN_STOP;
    return true;
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
    cpu->chain_slot = NULL;   /* pc may have moved since (an interrupt) */

    while (done < budget) {
        if (CORE_UNLIKELY(m->debug != NULL) && breakpoint_stop(cpu)) {
            break;
        }
        /* The jump cache inline; rv_tb_find does the rest. */
        gva_t pc = cpu->pc;
        TB *tb = cpu->jump_cache[(pc >> 1) & (RV_JC_SIZE - 1)];
        if (CORE_UNLIKELY(!tb || tb->pc != pc || tb->flags != rv_tb_flags(cpu) ||
                          !tb->valid)) {
            tb = rv_tb_find(cpu);
            if (CORE_UNLIKELY(!tb)) {
                /* Fetch fault: the trap was taken, pc moved; a link
                   asked for by the last exit must not get the handler. */
                cpu->chain_slot = NULL;
                if (no_progress(cpu)) {
                    break;
                }
                continue;
            }
        }
        uint64_t left = budget - done;
        uint32_t n = tb->n_insns < left ? tb->n_insns : (uint32_t)left;
        cpu->icount_base = m->icount;
        if (CORE_UNLIKELY(cpu->trace != NULL)) {
            n = 1;
            trace_insn(cpu, (const RVInsn *)tb->payload);
        }
        /* JIT block chaining (jit.c): link the exit that missed to this
           block, and say how far chained blocks may go: never past the
           budget, and not at all when every block must come back here
           (this hart's execute triggers). A debugger's breakpoints close
           the blocks at their pcs to chained jumps (jit.c, Gen.closed),
           so every entry to one comes through breakpoint_stop; its other
           stops (watchpoints, last-write's physical watch) come through
           the attention word, which ends a chain at its next hop. */
        bool no_chain = cpu->trig_exec != 0;
        if (cpu->chain_slot) {
            if (tb->host && !no_chain) {
                rv_jit_link(cpu, cpu->chain_slot, tb);
            } else if (!no_chain) {
                /* Translated below: it keeps what it shares with the
                   block before in the same host registers (jit.c). */
                cpu->jit_hint = cpu->chain_slot;
            }
            cpu->chain_slot = NULL;
        }
        cpu->chain_left = no_chain ? 0 : (int64_t)(left < INT64_MAX ? left : INT64_MAX);
        cpu->chain_mark = cpu->chain_left;
        uint64_t base = cpu->icount_base;
        uint32_t retired = run_block(cpu, tb, n);
        cpu->jit_hint = NULL;
        /* Blocks the JIT chained to before this exit are accounted for
           already (icount_base and instret moved on). */
        uint64_t chained = cpu->icount_base - base;
        if (retired || chained) {
            cpu->stuck_traps = 0;
        } else if (no_progress(cpu)) {
            break;
        }
        m->icount = cpu->icount_base + retired;
        cpu->instret += retired;
        done += chained + retired;
        if (CORE_UNLIKELY(m->attention || cpu->wfi)) {
            if (m->attention & CORE_ATTN_IRQ) {
                rv_check_interrupts(cpu);
            }
            break;
        }
    }
    return done;
}
