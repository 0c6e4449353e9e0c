/*
 * Two neighbouring variables on one page without code, stored one after
 * the other in a loop (for tests/gdb/lastwrite_test.py): a search watching
 * only the second must still see every store to it, although stores to
 * the first would let the page into the TLB's fast path. 1000 iterations
 * of 4 instructions, then the test finisher.
 */
    .section .text.init
    .globl _start
_start:
    li      t0, 1000
    li      t3, 0x80100000
1:  sd      t0, 0(t3)
    sd      t0, 8(t3)
    addi    t0, t0, -1
    bnez    t0, 1b
    li      t1, 0x100000
    li      t2, 0x5555
    sw      t2, 0(t1)
2:  j       2b
