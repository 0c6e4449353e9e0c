/*
 * priv_asm.S - trap entries, vector tables and priv_run() of priv.h.
 *
 * Each handler swaps sp with its scratch CSR (mscratch / sscratch hold the
 * handler's stack top while it is idle), saves x1..x31 in a 256-byte frame
 * (the x0 slot holds the vector number, ~0 for the direct entry) and calls
 * priv_m_trap / priv_s_trap.  A zero return resumes with xRET; a nonzero
 * one means "a priv_run() function returned": the M side unwinds to the
 * registers saved by priv_run, the S side forwards with its own ecall.
 */
#define PRIV_RETURN_MAGIC 0x7265776e64

    .text
    .balign 4

#include "trap_regs.h"

/* ---- M-mode ---- */

.macro M_STUB vec
    csrrw   sp, mscratch, sp
    addi    sp, sp, -256
    sd      t0, 40(sp)
    li      t0, \vec
    j       m_common
.endm

    .balign 256
    .globl priv_m_vectors
priv_m_vectors:
    .option push
    .option norvc
    j       m_vec0
    j       m_vec1
    j       m_vec2
    j       m_vec3
    j       m_vec4
    j       m_vec5
    j       m_vec6
    j       m_vec7
    j       m_vec8
    j       m_vec9
    j       m_vec10
    j       m_vec11
    j       m_vec12
    j       m_vec13
    j       m_vec14
    j       m_vec15
    .option pop
m_vec0:  M_STUB 0
m_vec1:  M_STUB 1
m_vec2:  M_STUB 2
m_vec3:  M_STUB 3
m_vec4:  M_STUB 4
m_vec5:  M_STUB 5
m_vec6:  M_STUB 6
m_vec7:  M_STUB 7
m_vec8:  M_STUB 8
m_vec9:  M_STUB 9
m_vec10: M_STUB 10
m_vec11: M_STUB 11
m_vec12: M_STUB 12
m_vec13: M_STUB 13
m_vec14: M_STUB 14
m_vec15: M_STUB 15

    .balign 4
    .globl priv_m_entry
priv_m_entry:
    M_STUB -1

m_common:
    sd      t0, 0(sp)
    SAVE_REGS
    csrr    t0, mscratch
    sd      t0, 16(sp)              /* sp of the trapped code */
    mv      a0, sp
    call    priv_m_trap
    bnez    a0, m_unwind
    LOAD_REGS
    addi    sp, sp, 256
    csrrw   sp, mscratch, sp
    mret

m_unwind:
    ld      a0, 80(sp)              /* the function's return value */
    addi    sp, sp, 256
    csrw    mscratch, sp
    la      t0, priv_jmpbuf
    ld      ra, 0(t0)
    ld      sp, 8(t0)
    ld      s0, 16(t0)
    ld      s1, 24(t0)
    ld      s2, 32(t0)
    ld      s3, 40(t0)
    ld      s4, 48(t0)
    ld      s5, 56(t0)
    ld      s6, 64(t0)
    ld      s7, 72(t0)
    ld      s8, 80(t0)
    ld      s9, 88(t0)
    ld      s10, 96(t0)
    ld      s11, 104(t0)
    ret

/* ---- S-mode ---- */

.macro S_STUB vec
    csrrw   sp, sscratch, sp
    addi    sp, sp, -256
    sd      t0, 40(sp)
    li      t0, \vec
    j       s_common
.endm

    .balign 256
    .globl priv_s_vectors
priv_s_vectors:
    .option push
    .option norvc
    j       s_vec0
    j       s_vec1
    j       s_vec2
    j       s_vec3
    j       s_vec4
    j       s_vec5
    j       s_vec6
    j       s_vec7
    j       s_vec8
    j       s_vec9
    j       s_vec10
    j       s_vec11
    j       s_vec12
    j       s_vec13
    j       s_vec14
    j       s_vec15
    .option pop
s_vec0:  S_STUB 0
s_vec1:  S_STUB 1
s_vec2:  S_STUB 2
s_vec3:  S_STUB 3
s_vec4:  S_STUB 4
s_vec5:  S_STUB 5
s_vec6:  S_STUB 6
s_vec7:  S_STUB 7
s_vec8:  S_STUB 8
s_vec9:  S_STUB 9
s_vec10: S_STUB 10
s_vec11: S_STUB 11
s_vec12: S_STUB 12
s_vec13: S_STUB 13
s_vec14: S_STUB 14
s_vec15: S_STUB 15

    .balign 4
    .globl priv_s_entry
priv_s_entry:
    S_STUB -1

s_common:
    sd      t0, 0(sp)
    SAVE_REGS
    csrr    t0, sscratch
    sd      t0, 16(sp)
    mv      a0, sp
    call    priv_s_trap
    bnez    a0, s_forward
    LOAD_REGS
    addi    sp, sp, 256
    csrrw   sp, sscratch, sp
    sret

s_forward:
    /* A priv_run() function returned in U-mode with ecall delegated to S:
       pass its value on to M-mode, leaving sscratch ready for next time. */
    ld      a0, 80(sp)
    addi    sp, sp, 256
    csrrw   sp, sscratch, sp
    li      a7, PRIV_RETURN_MAGIC
    ecall
1:  j       1b

/* ---- priv_run(mode, fn, arg) ---- */

    .globl priv_run
priv_run:
    la      t0, priv_jmpbuf
    sd      ra, 0(t0)
    sd      sp, 8(t0)
    sd      s0, 16(t0)
    sd      s1, 24(t0)
    sd      s2, 32(t0)
    sd      s3, 40(t0)
    sd      s4, 48(t0)
    sd      s5, 56(t0)
    sd      s6, 64(t0)
    sd      s7, 72(t0)
    sd      s8, 80(t0)
    sd      s9, 88(t0)
    sd      s10, 96(t0)
    sd      s11, 104(t0)
    li      t1, 3 << 11
    csrc    mstatus, t1
    slli    t1, a0, 11
    csrs    mstatus, t1
    csrw    mepc, a1
    mv      a0, a2
    la      ra, priv_return_trampoline
    addi    sp, sp, -128
    mret

    .globl priv_return_trampoline
priv_return_trampoline:
    li      a7, PRIV_RETURN_MAGIC
    ecall
1:  j       1b

    .bss
    .balign 16
priv_jmpbuf:
    .zero   112
