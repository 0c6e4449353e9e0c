/*
 * A guest of a few million instructions for the seek tests (longer than
 * the 1,000,000 instructions a seek runs forward without a checkpoint):
 * 1,500,000 iterations of a 3-instruction loop that also writes RAM, then
 * the test finisher: 4500015 instructions in all (replay_test.py checks).
 */
    .section .text.init
    .globl _start
_start:
    li      t0, 1500000
    li      t3, 0x80100000
1:  addi    t0, t0, -1
    sd      t0, 0(t3)
    bnez    t0, 1b
    li      t1, 0x100000
    li      t2, 0x5555
    sw      t2, 0(t1)
2:  j       2b
