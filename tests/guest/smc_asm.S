/*
 * smc_asm.S - code that smc.c rewrites at run time.
 *
 * smc_func and smc_cfunc are patched through their addresses from C;
 * smc_next and smc_next_nofence patch their own next instruction.
 */
    .text

/* Returns 1 until its first (32-bit) instruction is rewritten. */
    .globl smc_func
    .balign 4
smc_func:
    .option push
    .option norvc
    addi    a0, zero, 1
    ret
    .option pop

/* Returns 1 until its first (16-bit c.li) instruction is rewritten. */
    .globl smc_cfunc
    .balign 4
smc_cfunc:
    c.li    a0, 1
    c.jr    ra

/* a0 = a 32-bit instruction writing a0; it is stored over the instruction
 * at 1:, made visible with fence.i and executed straight away. */
    .globl smc_next
    .balign 4
smc_next:
    .option push
    .option norvc
    lla     t0, 1f
    sw      a0, 0(t0)
    fence.i
1:  addi    a0, zero, 7
    ret
    .option pop

/* Same without fence.i: the spec leaves it open whether the old or the new
 * instruction runs; smc.c only reports what happened. */
    .globl smc_next_nofence
    .balign 4
smc_next_nofence:
    .option push
    .option norvc
    lla     t0, 1f
    sw      a0, 0(t0)
1:  addi    a0, zero, 7
    ret
    .option pop

/* Returns 1 until the instruction at smc_chain_target is rewritten. The
 * jump to another page makes a block that a JIT may chain straight into
 * the next one; rewriting that page must cut the chain (the block at
 * smc_chain itself is not touched, so it stays translated). */
    .globl smc_chain
    .globl smc_chain_target
    .balign 4
smc_chain:
    .option push
    .option norvc
    addi    a0, zero, 0
    j       smc_chain_target
    .balign 4096
smc_chain_target:
    addi    a0, a0, 1
    ret
    .option pop

/* Data sharing a page with code (as compilers and hand-written assembly
 * place it): smc.c stores to smc_near_before and smc_near_after, the
 * words right around smc_near, between calls. No instruction is written,
 * so smc_near must stay translated (jit_test.py counts its translations
 * in --trace-jit: once, not once per store). */
    .globl smc_near_before
    .globl smc_near
    .globl smc_near_after
    .balign 8
smc_near_before:
    .word   0
smc_near:
    .option push
    .option norvc
    addi    a0, a0, 1717
    ret
    .option pop
smc_near_after:
    .word   0

/* Returns 1 until smc.c stores one byte into its first instruction (the
 * top byte: imm[11:4]); that store alone must drop the translation. */
    .globl smc_byte
    .balign 4
smc_byte:
    .option push
    .option norvc
    addi    a0, zero, 1
    ret
    .option pop

/* a0 = a byte stored over the top byte of the instruction at 1: (imm
 * bits 11:4 of addi a0, zero, 7), made visible with fence.i and run. */
    .globl smc_next_byte
    .balign 4
smc_next_byte:
    .option push
    .option norvc
    lla     t0, 1f
    sb      a0, 3(t0)
    fence.i
1:  addi    a0, zero, 7
    ret
    .option pop

/* Returns 1 until the instruction at smc_link_target is rewritten. The
 * jump stays on the page: a JIT links this block's exit straight to the
 * next block (a patched jump); rewriting smc_link_target must undo it. */
    .globl smc_link
    .globl smc_link_target
    .balign 64
smc_link:
    .option push
    .option norvc
    addi    a0, zero, 0
    j       smc_link_target
smc_link_target:
    addi    a0, a0, 1
    ret
    .option pop

/* a0 = the sum over a0 iterations of a loop on itself whose amoadd.w adds
 * 1 to the immediate of its own addi at smc_amo_insn each time (no
 * fence.i). rewind, in both engines, ends the running block after an AMO
 * that rewrites it, as after a store, so the addi always runs as just
 * rewritten: from 1, 2 + 3 + ... + (n + 1). (Were the block to run on
 * from its decoded copy, where blocks happen to end, at an icount
 * deadline or a breakpoint, would decide which addi runs.) */
    .globl smc_amo_loop
    .globl smc_amo_insn
    .balign 64
smc_amo_loop:
    .option push
    .option norvc
    mv      a2, a0
    li      a0, 0
    lla     a1, smc_amo_insn
    li      a3, 1 << 20
1:  amoadd.w zero, a3, (a1)
smc_amo_insn:
    addi    a0, a0, 1
    addi    a2, a2, -1
    bnez    a2, 1b
    ret
    .option pop
