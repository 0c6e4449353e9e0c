/*
 * A guest for the shell's latency figures (bench/shell_bench.py): three
 * stores, to A, B and C, at the icounts that put them 10^9, 10^8 and
 * 10^6 instructions before icount 10^10, with cheap 2-instruction loops
 * in between, then a loop that never ends (`record --max-insns 10000000000`
 * cuts it there). A at 0x80100000, B at +8, C at +16. -DSMOKE: the same
 * shape 2500 times smaller (stores 10^6, 10^5 and 10^3 before 4 x 10^6).
 */
#ifdef SMOKE
#define N_A 1500000
#define N_B 450000
#define N_C 49500
#else
#define N_A 4500000000
#define N_B 450000000
#define N_C 49500000
#endif
    .section .text.init
    .globl _start
_start:
    li      t3, 0x80100000
    li      t0, N_A
1:  addi    t0, t0, -1
    bnez    t0, 1b
    li      t2, 0x1111
    sd      t2, 0(t3)
    li      t0, N_B
2:  addi    t0, t0, -1
    bnez    t0, 2b
    li      t2, 0x2222
    sd      t2, 8(t3)
    li      t0, N_C
3:  addi    t0, t0, -1
    bnez    t0, 3b
    li      t2, 0x3333
    sd      t2, 16(t3)
4:  addi    t0, t0, 1
    j       4b
