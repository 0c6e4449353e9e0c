/*
 * smp_start.S - entry point for guest programs that use every hart
 * (priv_smp), used instead of crt0.S.
 *
 * All harts arrive here from the reset ROM in M-mode with a0 = hartid.
 * Each gets its own 16 KiB stack below _stack_top (hart h: top - h*16K),
 * the FPU enabled and a trap vector that reports any trap as a failure
 * (rt_trap_handler, never armed here).  Hart 0 clears .bss and runs
 * main(); the others enable only the machine software interrupt in mie
 * (mstatus.MIE stays 0) and WFI until an IPI makes mip.MSIP pending,
 * clear their own msip and call smp_secondary_main(hartid).  They touch no
 * memory before the IPI, so hart 0 may clear .bss meanwhile.  Harts with
 * an id of SMP_MAX_HARTS or more park for good.
 */
#define SMP_MAX_HARTS 8
#define CLINT_MSIP    0x2000000

    .section .text.init, "ax", @progbits
    .globl _start
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    csrr    a0, mhartid
    li      t0, SMP_MAX_HARTS
    bgeu    a0, t0, park
    la      sp, _stack_top
    slli    t0, a0, 14
    sub     sp, sp, t0
    li      t0, (1 << 13)           /* mstatus.FS = Initial */
    csrs    mstatus, t0
    la      t0, smp_trap
    csrw    mtvec, t0
    bnez    a0, secondary

    csrwi   fcsr, 0
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:
    call    main
    call    rt_exit

secondary:
    csrw    mie, zero
    csrsi   mie, 8                  /* MSIE only */
3:  wfi
    csrr    t0, mip
    andi    t0, t0, 8
    beqz    t0, 3b
    li      t0, CLINT_MSIP
    slli    t1, a0, 2
    add     t0, t0, t1
    sw      zero, 0(t0)
    fence   rw, rw
    csrwi   fcsr, 0
    call    smp_secondary_main
park:
    wfi
    j       park

    .balign 4
smp_trap:
    mv      a0, sp
    call    rt_trap_handler         /* reports the trap and exits */
    j       park
