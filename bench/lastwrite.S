/*
 * A guest for the latency of `last-write` (bench/lastwrite_bench.py):
 * three stores to three variables, each followed by a cheap loop, so
 * that at the end of the run the last write to A is about 1.1 x 10^9
 * instructions back, to B about 1.01 x 10^8 and to C about 10^6.
 * A at 0x80100000, B at +8, C at +16.
 */
    .section .text.init
    .globl _start
_start:
    li      t3, 0x80100000
    li      t2, 0x1111
    sd      t2, 0(t3)
    li      t0, 500000000
1:  addi    t0, t0, -1
    bnez    t0, 1b
    li      t2, 0x2222
    sd      t2, 8(t3)
    li      t0, 50000000
2:  addi    t0, t0, -1
    bnez    t0, 2b
    li      t2, 0x3333
    sd      t2, 16(t3)
    li      t0, 500000
3:  addi    t0, t0, -1
    bnez    t0, 3b
    li      t1, 0x100000
    li      t2, 0x5555
    sw      t2, 0(t1)
4:  j       4b
