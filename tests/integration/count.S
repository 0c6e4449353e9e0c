/*
 * A guest whose exact instruction count is known: the determinism and
 * icount tests assert it. From reset: 6 instructions of the mask-ROM reset
 * vector, then 1 + 2*1000 + 1 + 2 + 1 = 2005 here; the final store to the
 * test finisher retires and ends the run: icount = 2011.
 */
    .section .text.init
    .globl _start
_start:
    li      t0, 1000
1:  addi    t0, t0, -1
    bnez    t0, 1b
    li      t1, 0x100000
    li      t2, 0x5555
    sw      t2, 0(t1)
2:  j       2b
