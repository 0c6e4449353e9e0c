/*
 * rvc_asm.S - compressed-instruction bodies for the rvc test
 * (unprivileged spec ch. 16, RV64C).
 *
 * Each function executes explicit `c.` instructions and returns what they
 * produced in a0 (and a1 when a second value is needed: C sees a
 * two-word struct).  rvc.c checks the values.  Only a0-a5 and the stack
 * are used, so nothing callee-saved needs preserving (c.* register forms
 * with 3-bit fields can reach only x8-x15, of which a0-a5 are x10-x15).
 */
    .option rvc
    .text

/* a0 = c.li a0, -32; a1 = c.li a1, 31 */
    .globl rvc_li
rvc_li:
    c.li    a0, -32
    c.li    a1, 31
    c.jr    ra

/* a0 = c.lui a0, 0xfffe0 (imm -32); a1 = c.lui a1, 0x1f */
    .globl rvc_lui_neg
rvc_lui_neg:
    c.lui   a0, 0xfffe0
    c.lui   a1, 0x1f
    c.jr    ra

/* a0 = c.lui a0, 0xfffff (imm -1); a1 = c.lui a1, 1 */
    .globl rvc_lui_minus1
rvc_lui_minus1:
    c.lui   a0, 0xfffff
    c.lui   a1, 1
    c.jr    ra

/* a0 = x - 32, a1 = x + 31 */
    .globl rvc_addi
rvc_addi:
    c.mv    a1, a0
    c.addi  a0, -32
    c.addi  a1, 31
    c.jr    ra

/* a0 = c.addiw a0, 1; a1 = c.addiw a1, 0 (sext.w) */
    .globl rvc_addiw
rvc_addiw:
    c.addiw a0, 1
    c.addiw a1, 0
    c.jr    ra

/* The RV32 c.jal encoding 0x2505 is c.addiw a0, 1 on RV64. */
    .globl rvc_jal_encoding
rvc_jal_encoding:
    .2byte  0x2505
    c.jr    ra

/* Shifts of a0 by the immediate in the name. */
    .globl rvc_srli
rvc_srli:
    c.srli  a0, 63
    c.jr    ra

    .globl rvc_srli1
rvc_srli1:
    c.srli  a0, 1
    c.jr    ra

    .globl rvc_srai63
rvc_srai63:
    c.srai  a0, 63
    c.jr    ra

    .globl rvc_srai32
rvc_srai32:
    c.srai  a0, 32
    c.jr    ra

    .globl rvc_slli63
rvc_slli63:
    c.slli  a0, 63
    c.jr    ra

    .globl rvc_slli32
rvc_slli32:
    c.slli  a0, 32
    c.jr    ra

/* a0 = x & -32; a1 = x & 31 */
    .globl rvc_andi
rvc_andi:
    c.mv    a1, a0
    c.andi  a0, -32
    c.andi  a1, 31
    c.jr    ra

    .globl rvc_andi0
rvc_andi0:
    c.andi  a0, 0
    c.jr    ra

/* Register-register ops, a0 op= a1. */
    .globl rvc_sub
rvc_sub:
    c.sub   a0, a1
    c.jr    ra
    .globl rvc_xor
rvc_xor:
    c.xor   a0, a1
    c.jr    ra
    .globl rvc_or
rvc_or:
    c.or    a0, a1
    c.jr    ra
    .globl rvc_and
rvc_and:
    c.and   a0, a1
    c.jr    ra
    .globl rvc_subw
rvc_subw:
    c.subw  a0, a1
    c.jr    ra
    .globl rvc_addw
rvc_addw:
    c.addw  a0, a1
    c.jr    ra
/* c.add/c.mv reach every register. */
    .globl rvc_add
rvc_add:
    c.mv    t0, a0
    c.add   t0, a1
    c.mv    a0, t0
    c.jr    ra

/* Stack-pointer forms.  a0 = c.addi4spn offset seen, a1 = sp delta after
 * c.addi16sp -512 (restored before returning). */
    .globl rvc_sp_adjust
rvc_sp_adjust:
    c.mv    a2, sp
    c.addi4spn a0, sp, 1020
    c.sub   a0, a2
    c.addi16sp sp, -512
    c.mv    a1, a2
    c.mv    a4, sp
    c.sub   a1, a4
    c.addi16sp sp, 496
    c.addi16sp sp, 16
    c.mv    a3, sp
    c.sub   a3, a2
    c.add   a1, a3          /* stays 512 only if sp came back exactly */
    c.jr    ra

    .globl rvc_addi4spn_small
rvc_addi4spn_small:
    c.mv    a2, sp
    c.addi4spn a0, sp, 4
    c.sub   a0, a2
    c.jr    ra

/* Loads and stores through a0 = buffer (32 bytes, 8-aligned).
 * Stores a1 at various widths/offsets, reads back, returns two loads. */
    .globl rvc_ld_sd
rvc_ld_sd:
    c.sd    a1, 8(a0)
    c.ld    a2, 8(a0)
    c.sd    a2, 248(a0)     /* largest c.sd offset */
    c.ld    a3, 248(a0)
    c.mv    a0, a2
    c.mv    a1, a3
    c.jr    ra

    .globl rvc_lw_sw
rvc_lw_sw:
    c.sw    a1, 4(a0)
    c.lw    a2, 4(a0)       /* sign-extends */
    c.sw    a1, 124(a0)     /* largest c.sw offset */
    c.lw    a3, 124(a0)
    c.mv    a0, a2
    c.mv    a1, a3
    c.jr    ra

/* a0 = value stored with c.sdsp at 504(sp) and loaded back with c.ldsp;
 * a1 = a1 stored with c.swsp at 252(sp), loaded back with c.lwsp. */
    .globl rvc_sp_mem
rvc_sp_mem:
    addi    sp, sp, -512
    c.sdsp  a0, 504(sp)
    c.ldsp  a2, 504(sp)
    c.swsp  a1, 252(sp)
    c.lwsp  a3, 252(sp)
    addi    sp, sp, 512
    c.mv    a0, a2
    c.mv    a1, a3
    c.jr    ra

/* FP compressed loads/stores: a0 = buffer, a1 = bits.  Returns the bits
 * after a round trip through c.fsd/c.fld and c.fsdsp/c.fldsp. */
    .globl rvc_fp_mem
rvc_fp_mem:
    fmv.d.x fa3, a1
    c.fsd   fa3, 16(a0)
    c.fld   fa5, 16(a0)
    addi    sp, sp, -512
    c.fsdsp fa5, 504(sp)
    c.fldsp fa4, 504(sp)
    c.fsdsp fa4, 8(sp)
    c.ld    a2, 16(a0)
    c.ldsp  a3, 8(sp)
    addi    sp, sp, 512
    fmv.x.d a0, fa4
    c.add   a2, a3
    c.mv    a1, a2          /* 2 * bits if both memory copies are right */
    c.jr    ra

/* Control flow. */
    .globl rvc_j
rvc_j:
    c.li    a0, 1
    c.j     1f
    c.li    a0, 2
1:  c.jr    ra

/* a0 = 1 if c.beqz a0 branched, a1 = 1 if c.bnez a1 branched. */
    .globl rvc_branches
rvc_branches:
    c.mv    a2, a0
    c.mv    a3, a1
    c.li    a0, 1
    c.li    a1, 1
    c.beqz  a2, 1f
    c.li    a0, 0
1:  c.bnez  a3, 2f
    c.li    a1, 0
2:  c.jr    ra

/* Backward c.bnez loop: counts a0 down to 0, returns iterations in a1. */
    .globl rvc_loop
rvc_loop:
    c.li    a1, 0
1:  c.addi  a1, 1
    c.addi  a0, -1
    c.bnez  a0, 1b
    c.jr    ra

/* c.jalr: a0 = link it wrote (ra), a1 = address right after it. */
    .globl rvc_jalr
rvc_jalr:
    c.mv    a5, ra
    la      a2, 1f
    c.jalr  a2
2:  c.j     3f
1:  c.mv    a0, ra
    c.jr    a0              /* return to 2: */
3:  la      a1, 2b
    c.mv    ra, a5
    c.jr    ra

/* c.jr to a computed target: returns 7 if the jump skipped the c.li. */
    .globl rvc_jr
rvc_jr:
    la      a2, 1f
    c.li    a0, 7
    c.jr    a2
    c.li    a0, 0
1:  c.jr    ra

/* c.nop does nothing. */
    .globl rvc_nop
rvc_nop:
    c.li    a0, 9
    c.nop
    c.jr    ra

/* a0 = address of the c.ebreak; the trap handler skips it. */
    .globl rvc_ebreak
rvc_ebreak:
    la      a0, 1f
1:  c.ebreak
    c.jr    ra

/* Illegal encodings; each returns the address of the bad instruction. */
    .globl rvc_illegal_zero
rvc_illegal_zero:
    la      a0, 1f
1:  .2byte  0x0000
    c.jr    ra

    .globl rvc_illegal_addi4spn0
rvc_illegal_addi4spn0:
    la      a0, 1f
1:  .2byte  0x0004          /* c.addi4spn s1, sp, 0: reserved */
    c.jr    ra

    .globl rvc_illegal_lui0
rvc_illegal_lui0:
    la      a0, 1f
1:  .2byte  0x6501          /* c.lui a0, 0: reserved */
    c.jr    ra

    .globl rvc_illegal_addi16sp0
rvc_illegal_addi16sp0:
    la      a0, 1f
1:  .2byte  0x6101          /* c.addi16sp sp, 0: reserved */
    c.jr    ra

    .globl rvc_illegal_jr0
rvc_illegal_jr0:
    la      a0, 1f
1:  .2byte  0x8002          /* c.jr x0: reserved */
    c.jr    ra

    .globl rvc_illegal_lwsp0
rvc_illegal_lwsp0:
    la      a0, 1f
1:  .2byte  0x4002          /* c.lwsp x0: reserved */
    c.jr    ra

    .globl rvc_illegal_ldsp0
rvc_illegal_ldsp0:
    la      a0, 1f
1:  .2byte  0x6002          /* c.ldsp x0: reserved */
    c.jr    ra

    .globl rvc_illegal_32
rvc_illegal_32:
    la      a0, 1f
1:  .4byte  0x1234507b      /* custom-3 major opcode: not implemented */
    c.jr    ra
