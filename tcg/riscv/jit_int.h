/*
 * What the JIT's code generator (jit.c) and its block linking
 * (jit_link.c) share: the host register that holds cpu, the guest
 * register cache's host registers, and the records of a block's
 * patchable jumps (JitLink) and of its entry for links (JitEntry), both
 * kept in the code buffer beside the block's code. Private to the JIT.
 */
#ifndef REWIND_TCG_RISCV_JIT_INT_H
#define REWIND_TCG_RISCV_JIT_INT_H

#include "tcg/riscv/rv_int.h"
#include "tcg/x86_64/emit.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* rbx holds cpu for the whole of a block's host code. */
#define CPU X86_RBX
#define XOFF(r) ((int32_t)(offsetof(RVCPU, x) + 8u * (r)))
#define OFF(f) ((int32_t)offsetof(RVCPU, f))
/* cpu->chain_left while host code runs (jit.c emit_shared): what is left
   of the budget for chained blocks, counted down by each hop in a
   register rather than in memory (a hop's check then waits for no store
   to forward). The shared enter loads it, leave and sync store it back,
   and it is loaded again after every call (it is caller-saved). */
#define LEFT_REG X86_RDI

/* Guest registers cached in host registers within a block: callee-saved
   ones, so helper calls keep them (jit.c choose_cache). */
#define RV_JIT_NCACHE 5
extern const int rv_jit_cache_regs[RV_JIT_NCACHE];

/* A jump of host code into another block's host code (or a loop's back
   edge to its own head), patched through the writable view: to the
   target's chained entry once the run loop found the block that follows
   (rv_jit_link), back to `miss` when the target is invalidated
   (rv_jit_unlink). It lives in the exiting block's area of the code buffer,
   so a flush forgets it with the code. A linked jump enters a block that
   is valid and of the exit's mode, always: links are only made to such
   blocks (the exit runs in the mode of its block: docs/jit.md), and
   every invalidation undoes the links into the block it invalidates
   (tb.c tb_kill). */
typedef struct JitLink {
    struct JitLink *next;   /* the next jump into the same target */
    TB *target;             /* linked to, or NULL */
    uint8_t *site;          /* the jump's rel32 (writable view) */
    const uint8_t *end;     /* the end of the jump (executable view) */
    const uint8_t *miss;    /* where it goes unlinked (executable view) */
    const uint8_t *out;     /* where it leaves for the run loop at the
                               target's pc, x[] written back (a warm
                               entry's budget check failed) */
    uint32_t flags;         /* the exiting block's mode flags */
    uint32_t dirty;         /* cached guest registers newer than x[] at
                               the jump (bit per guest register) */
    int8_t guest[RV_JIT_NCACHE];   /* the guest register
                                      rv_jit_cache_regs[k] holds in the
                                      exiting block, or 0 */
} JitLink;
/* A block's patchable jumps, at most: its side exits, its last branch's
   (or jal's) and the fall through at its end (jit.c). */
#define RV_JIT_MAX_LINKS (RV_TB_MAX_SIDE_EXITS + 2)

/* What a link needs to know of its target, just before its code (read
   through the executable view). */
typedef struct JitEntry {
    const uint8_t *warm;    /* after the cached registers' loads */
    int8_t guest[RV_JIT_NCACHE];   /* as JitLink.guest, for this block */
    /* Its entries set exit_idx = n, as the run loop does before it
       enters: only blocks that call a handler read it (a handler's
       RV_EXEC_JUMP leaves with it, gen_call_end compares it). Every
       other way out sets it: 0 after a hop, the instruction's index
       from a trap or a store that leaves, n on an unchained exit. */
    bool preset;
} JitEntry;


/* mov dword [rbx+disp32], imm32 */
static inline void rv_jit_store_imm32(X86Emit *e, int32_t disp, uint32_t imm)
{
    x86_byte(e, 0xc7);
    x86_byte(e, 0x83);   /* mod 10 (disp32), /0, rm = rbx */
    x86_u32(e, (uint32_t)disp);
    x86_u32(e, imm);
}

/* REWIND_PERF_MAP=1: name len bytes of host code at code in
   /tmp/perf-PID.map, fmt with one uint64_t argument (jit.c). */
void rv_jit_perf_map_name(const uint8_t *code, size_t len, const char *fmt,
                          uint64_t arg);

/* --trace-jit: len bytes of host code disassembled to f (jit.c). */
void rv_jit_disas_host(FILE *f, const uint8_t *code, size_t len);

/* tb was invalidated: every jump linked into it goes back to its miss
   path (jit_link.c; the TB cache's unlink hook). */
void rv_jit_unlink(void *code, TB *tb);
/* A loop's back edge l, emitted already jumping to its own block's
   head: recorded as a link into tb, so that rv_jit_unlink undoes it. */
void rv_jit_link_self(JitLink *l, TB *tb);

#endif
