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
    sd      x1, 8(sp)
    sd      x3, 24(sp)
    sd      x4, 32(sp)
    sd      x5, 40(sp)
    sd      x6, 48(sp)
    sd      x7, 56(sp)
    sd      x8, 64(sp)
    sd      x9, 72(sp)
    sd      x10, 80(sp)
    sd      x11, 88(sp)
    sd      x12, 96(sp)
    sd      x13, 104(sp)
    sd      x14, 112(sp)
    sd      x15, 120(sp)
    sd      x16, 128(sp)
    sd      x17, 136(sp)
    sd      x18, 144(sp)
    sd      x19, 152(sp)
    sd      x20, 160(sp)
    sd      x21, 168(sp)
    sd      x22, 176(sp)
    sd      x23, 184(sp)
    sd      x24, 192(sp)
    sd      x25, 200(sp)
    sd      x26, 208(sp)
    sd      x27, 216(sp)
    sd      x28, 224(sp)
    sd      x29, 232(sp)
    sd      x30, 240(sp)
    sd      x31, 248(sp)
    addi    t0, sp, 256
    sd      t0, 16(sp)              /* x2 as it was at the trap */
    sd      zero, 0(sp)

    mv      a0, sp
    call    rt_trap_handler

    ld      x1, 8(sp)
    ld      x3, 24(sp)
    ld      x4, 32(sp)
    ld      x5, 40(sp)
    ld      x6, 48(sp)
    ld      x7, 56(sp)
    ld      x8, 64(sp)
    ld      x9, 72(sp)
    ld      x10, 80(sp)
    ld      x11, 88(sp)
    ld      x12, 96(sp)
    ld      x13, 104(sp)
    ld      x14, 112(sp)
    ld      x15, 120(sp)
    ld      x16, 128(sp)
    ld      x17, 136(sp)
    ld      x18, 144(sp)
    ld      x19, 152(sp)
    ld      x20, 160(sp)
    ld      x21, 168(sp)
    ld      x22, 176(sp)
    ld      x23, 184(sp)
    ld      x24, 192(sp)
    ld      x25, 200(sp)
    ld      x26, 208(sp)
    ld      x27, 216(sp)
    ld      x28, 224(sp)
    ld      x29, 232(sp)
    ld      x30, 240(sp)
    ld      x31, 248(sp)
    addi    sp, sp, 256
    mret
