/*
 * Entry point and trap vector of rewind's bare-metal guest test programs.
 *
 * The reset ROM of the `virt` machine jumps here (0x80000000) in M-mode with
 * a0 = hartid and a1 = DTB address.  Only hart 0 runs the test; any other
 * hart parks in WFI.  We set up gp/sp, enable the FPU (mstatus.FS = Initial:
 * QEMU resets with FS = Off, which makes every FP instruction illegal),
 * install the trap vector, clear .bss, call main() and hand main's return
 * value to rt_exit(), which reports it through the SiFive test finisher.
 *
 * Trap vector: every GPR is saved into a frame on the current stack (tests
 * that move sp must not trap while it points somewhere odd), then
 * rt_trap_handler(frame) decides whether the trap was expected and adjusts
 * mepc.  The handler is integer-only, so FP state is left untouched and a
 * trap taken with FS = Off is handled fine.
 */
#include "trap_regs.h"

    .section .text.init, "ax", @progbits
    .globl _start
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    csrr    t0, mhartid
    bnez    t0, park

    la      sp, _stack_top
    li      t0, (1 << 13)           /* mstatus.FS = Initial */
    csrs    mstatus, t0
    csrwi   fcsr, 0
    la      t0, rt_trap_entry
    csrw    mtvec, t0

    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:
    call    main
    call    rt_exit
park:
    wfi
    j       park

    .text
    .balign 4
    .globl rt_trap_entry
rt_trap_entry:
    addi    sp, sp, -256
    sd      x5, 40(sp)
    SAVE_REGS
    addi    t0, sp, 256
    sd      t0, 16(sp)              /* x2 as it was at the trap */
    sd      zero, 0(sp)

    mv      a0, sp
    call    rt_trap_handler

    LOAD_REGS
    addi    sp, sp, 256
    mret
