/*
 * selftest_fail - a guest program that fails on purpose with exit code 3.
 *
 * main() prints a note and returns 3; crt0 hands that to rt_exit(), which
 * reports failure code 3 through the test finisher.  The suite registers it
 * with should_fail so that a runner that lost failures would be noticed.
 */
    .section .rodata
msg:
    .asciz "selftest_fail: failing on purpose with code 3\n"

    .text
    .globl main
main:
    addi    sp, sp, -16
    sd      ra, 8(sp)
    la      a0, msg
    call    rt_puts
    li      a0, 3
    ld      ra, 8(sp)
    addi    sp, sp, 16
    ret
