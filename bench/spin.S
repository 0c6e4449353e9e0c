/*
 * A long, cheap guest for trace-size and seek benchmarks: a0 iterations
 * of a 2-instruction loop (about 2 x 5e9 = 10^10 instructions), then the
 * test finisher.
 */
    .section .text.init
    .globl _start
_start:
    li      t0, 5000000000
1:  addi    t0, t0, -1
    bnez    t0, 1b
    li      t1, 0x100000
    li      t2, 0x5555
    sw      t2, 0(t1)
2:  j       2b
