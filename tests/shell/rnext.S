/*
 * rnext - a bare-metal guest for reverse-nexti (tests/shell/motion_test.py):
 * a loop that calls a recursive function (rec, depth 3: the same call
 * instruction runs in several frames), a leaf and an ecall, while the
 * CLINT timer interrupts it every few hundred instructions. The M-mode
 * handler steps over the ecall (mepc += 4) and re-arms the timer.
 * Labels name every instruction the test looks at.
 */
    .section .text.init
    .globl _start
_start:
    la      sp, stack_top
    la      t0, handler
    csrw    mtvec, t0
    li      t0, 0x200bff8          /* mtime */
    ld      t1, 0(t0)
    addi    t1, t1, 23
    li      t0, 0x2004000          /* mtimecmp of hart 0 */
    sd      t1, 0(t0)
    li      t0, 0x80               /* MTIE */
    csrw    mie, t0
    csrsi   mstatus, 8             /* MIE */
    li      s1, 40
loop:
    li      a0, 3
call_rec:
    jal     ra, rec
call_leaf:
    jal     ra, leaf
do_ecall:
    ecall
after_ecall:
    addi    s1, s1, -1
    bnez    s1, loop
    csrci   mstatus, 8
    li      t1, 0x100000           /* test finisher: pass */
    li      t2, 0x5555
    sw      t2, 0(t1)
1:  j       1b

leaf:
    addi    a1, a1, 1
leaf_ret:
    ret

/* rec(a0): calls itself with a0 - 1 down to 0. */
rec:
    addi    sp, sp, -16
    sd      ra, 8(sp)
    beqz    a0, rec_done
    addi    a0, a0, -1
rec_call:
    jal     ra, rec
rec_back:
    addi    a2, a2, 1
rec_done:
    ld      ra, 8(sp)
    addi    sp, sp, 16
rec_ret:
    ret

    .balign 4
handler:
    csrr    t5, mcause
    bltz    t5, irq
    csrr    t6, mepc               /* the ecall: go on after it */
    addi    t6, t6, 4
    csrw    mepc, t6
handler_ret:
    mret
irq:
    li      t5, 0x2004000          /* re-arm the timer */
    ld      t6, 0(t5)
    addi    t6, t6, 29
    sd      t6, 0(t5)
irq_ret:
    mret

    .section .bss
    .balign 16
    .space  4096
stack_top:
