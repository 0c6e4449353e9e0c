/*
 * RISC-V disassembler (RV64GC + privileged instructions).
 *
 * Two tables: the 32-bit encodings come from the instruction table that
 * the decoder and executors share (insn.def), the 16-bit compressed ones
 * are listed here. Each row is a mnemonic, a mask/match pair and an
 * operand format; the first row whose (raw & mask) == match wins, so more
 * specific rows (pause before fence, reserved compressed code points
 * before the general form) come first. Operand printing is driven by the format alone, with per-row flags
 * saying which register operands are FP registers.
 *
 * Text follows GNU objdump -M no-aliases (binutils 2.40), except that:
 *   - the mnemonic is separated from its operands by one space, not a tab;
 *   - branch/jump targets are "0x<hex>" without objdump's "<symbol>" and
 *     objdump's "# ..." comments are never printed;
 *   - illegal and reserved encodings print ".insn 0x<hex>" and return 0
 *     (objdump: ".2byte"/".4byte"); that includes c.addi16sp with a zero
 *     immediate and FP ops with the reserved static rounding modes 5 and 6,
 *     which objdump shows as instructions;
 *   - 0x0100000f is "pause" and an empty fence set prints as "0" (objdump
 *     2.40 without Zihintpause: "fence w,unknown");
 *   - the exact conversions fcvt.d.s/fcvt.d.w/fcvt.d.wu accept any valid
 *     rounding mode and show it when it is not rne (objdump 2.40 only knows
 *     the rm=0 encoding that its assembler emits);
 *   - CSR names cover RV64 U/S/M mode and the debug CSRs, including some
 *     objdump 2.40 prints in hex (menvcfg, senvcfg, mtinst, mtval2,
 *     mconfigptr, mseccfg, pmpcfg4-15, pmpaddr16-63); hypervisor, vector,
 *     AIA, stateen and RV32-only "...h" CSRs, which objdump names, are hex;
 *   - dret (debug spec) is included, other extensions are not.
 *
 * Spec: unprivileged ISA 20191213 ch. 2, 3, 5, 7-9, 11, 12, 16 (C) and 24
 * (instruction listings); privileged ISA 20211203 ch. 2 (CSR listing), 3.3
 * and 4.2.1 (system instructions).
 */
#include "tcg/riscv/disas.h"
#include "tcg/riscv/opcodes.h"

#include <inttypes.h>
#include <stdio.h>

/* Operand formats: how a row's operands are printed. */
typedef enum DisFmt {
    D_NONE,       /* no operands */
    D_R,          /* rd,rs1,rs2 */
    D_R_RM,       /* rd,rs1,rs2[,rm] */
    D_R4_RM,      /* rd,rs1,rs2,rs3[,rm] */
    D_R1,         /* rd,rs1 */
    D_R1_RM,      /* rd,rs1[,rm]: rm shown unless dyn */
    D_R1_RMX,     /* rd,rs1[,rm]: exact conversion, rm shown unless rne */
    D_RS1_RS2,    /* rs1,rs2 (sfence.vma) */
    D_I,          /* rd,rs1,simm12 */
    D_I_SH,       /* rd,rs1,0xshamt */
    D_LOAD,       /* rd,simm12(rs1) (loads and jalr) */
    D_STORE,      /* rs2,simm12(rs1) */
    D_B,          /* rs1,rs2,target */
    D_U,          /* rd,0ximm20 */
    D_J,          /* rd,target */
    D_CSR,        /* rd,csr,rs1 */
    D_CSRI,       /* rd,csr,uimm5 */
    D_AMO,        /* rd,rs2,(rs1) with .aq/.rl suffix */
    D_LR,         /* rd,(rs1) with .aq/.rl suffix */
    D_FENCE,      /* pred,succ */

    D_C_ILLEGAL,  /* reserved compressed code point */
    D_C_UNIMP,    /* the all-zero defined-illegal instruction */
    D_C_ADDI4SPN, /* rd',sp,nzuimm */
    D_C_LW,       /* rd',uimm(rs1') word-scaled; also c.sw with rs2' */
    D_C_LD,       /* same, doubleword-scaled: c.ld, c.sd, c.fld, c.fsd */
    D_C_CI,       /* rd,simm6 */
    D_C_ADDI16SP, /* sp,nzimm */
    D_C_LUI,      /* rd,0ximm20 */
    D_C_SHIFT_P,  /* rd',0xshamt */
    D_C_SHIFT64_P, /* rd' (shamt 0) */
    D_C_ANDI,     /* rd',simm6 */
    D_C_CA,       /* rd',rs2' */
    D_C_J,        /* target */
    D_C_B,        /* rs1',target */
    D_C_SLLI,     /* rd,0xshamt */
    D_C_SLLI64,   /* rd (shamt 0) */
    D_C_LWSP,     /* rd,uimm(sp) */
    D_C_LDSP,     /* rd,uimm(sp), also c.fldsp */
    D_C_JR,       /* rs1 */
    D_C_MV,       /* rd,rs2 */
    D_C_SWSP,     /* rs2,uimm(sp) */
    D_C_SDSP,     /* rs2,uimm(sp), also c.fsdsp */
} DisFmt;

/* Which register operands of a row are FP registers. */
enum {
    FD = 1 << 0,  /* rd */
    F1 = 1 << 1,  /* rs1 */
    F2 = 1 << 2,  /* rs2 */
    F3 = 1 << 3,  /* rs3 */
};

typedef struct DisOp {
    const char *name;
    uint32_t mask;
    uint32_t match;
    uint8_t fmt;
    uint8_t freg;
} DisOp;

/* Register kinds of insn.def's freg column. */
#define FR_X      0
#define FR_D      FD
#define FR_S1     F1
#define FR_S2     F2
#define FR_S12    (F1 | F2)
#define FR_D_S1   (FD | F1)
#define FR_D_S12  (FD | F1 | F2)
#define FR_D_S123 (FD | F1 | F2 | F3)

/* Every row of the shared instruction table, in its order; the mask is
   the row's dmask when it has one (a stricter disassembly pattern). */
#define RV_INSN(group, name, mask, match, fmt, dis, freg, flags, fn, dmask) \
    { name, RV_M_##dmask ? RV_M_##dmask : RV_M_##mask, match, D_##dis,    \
      FR_##freg },

static const DisOp ops32[] = {
#include "tcg/riscv/insn.def"
};
#undef RV_INSN

/* Compressed instructions (unprivileged ch. 16, RV64 + D). The general
   mask selects op (1:0) and funct3 (15:13); rows that need more (reserved
   code points, rd == sp, shift by zero) come before the general row. */
#define CM   0xe003u
#define CENC(f3, op) ((uint32_t)(f3) << 13 | (op))

static const DisOp ops16[] = {
    /* Quadrant 0 */
    { "c.unimp",    0xffff, 0x0000,      D_C_UNIMP,     0 },
    { NULL,         0xffe3, 0x0000,      D_C_ILLEGAL,   0 }, /* nzuimm=0 */
    { "c.addi4spn", CM,     CENC(0, 0),  D_C_ADDI4SPN,  0 },
    { "c.fld",      CM,     CENC(1, 0),  D_C_LD,        FD },
    { "c.lw",       CM,     CENC(2, 0),  D_C_LW,        0 },
    { "c.ld",       CM,     CENC(3, 0),  D_C_LD,        0 },
    { "c.fsd",      CM,     CENC(5, 0),  D_C_LD,        F2 },
    { "c.sw",       CM,     CENC(6, 0),  D_C_LW,        0 },
    { "c.sd",       CM,     CENC(7, 0),  D_C_LD,        0 },

    /* Quadrant 1 */
    { "c.addi",     CM,     CENC(0, 1),  D_C_CI,        0 },
    { NULL,         0xef83, CENC(1, 1),  D_C_ILLEGAL,   0 }, /* rd=0 */
    { "c.addiw",    CM,     CENC(1, 1),  D_C_CI,        0 },
    { "c.li",       CM,     CENC(2, 1),  D_C_CI,        0 },
    { NULL,         0xffff, 0x6101,      D_C_ILLEGAL,   0 }, /* nzimm=0 */
    { "c.addi16sp", 0xef83, 0x6101,      D_C_ADDI16SP,  0 },
    { NULL,         0xf07f, CENC(3, 1),  D_C_ILLEGAL,   0 }, /* nzimm=0 */
    { "c.lui",      CM,     CENC(3, 1),  D_C_LUI,       0 },
    { "c.srli64",   0xfc7f, 0x8001,      D_C_SHIFT64_P, 0 },
    { "c.srli",     0xec03, 0x8001,      D_C_SHIFT_P,   0 },
    { "c.srai64",   0xfc7f, 0x8401,      D_C_SHIFT64_P, 0 },
    { "c.srai",     0xec03, 0x8401,      D_C_SHIFT_P,   0 },
    { "c.andi",     0xec03, 0x8801,      D_C_ANDI,      0 },
    { "c.sub",      0xfc63, 0x8c01,      D_C_CA,        0 },
    { "c.xor",      0xfc63, 0x8c21,      D_C_CA,        0 },
    { "c.or",       0xfc63, 0x8c41,      D_C_CA,        0 },
    { "c.and",      0xfc63, 0x8c61,      D_C_CA,        0 },
    { "c.subw",     0xfc63, 0x9c01,      D_C_CA,        0 },
    { "c.addw",     0xfc63, 0x9c21,      D_C_CA,        0 },
    { "c.j",        CM,     CENC(5, 1),  D_C_J,         0 },
    { "c.beqz",     CM,     CENC(6, 1),  D_C_B,         0 },
    { "c.bnez",     CM,     CENC(7, 1),  D_C_B,         0 },

    /* Quadrant 2 */
    { "c.slli64",   0xf07f, CENC(0, 2),  D_C_SLLI64,    0 },
    { "c.slli",     CM,     CENC(0, 2),  D_C_SLLI,      0 },
    { "c.fldsp",    CM,     CENC(1, 2),  D_C_LDSP,      FD },
    { NULL,         0xef83, CENC(2, 2),  D_C_ILLEGAL,   0 }, /* rd=0 */
    { "c.lwsp",     CM,     CENC(2, 2),  D_C_LWSP,      0 },
    { NULL,         0xef83, CENC(3, 2),  D_C_ILLEGAL,   0 }, /* rd=0 */
    { "c.ldsp",     CM,     CENC(3, 2),  D_C_LDSP,      0 },
    { NULL,         0xffff, 0x8002,      D_C_ILLEGAL,   0 }, /* jr x0 */
    { "c.jr",       0xf07f, 0x8002,      D_C_JR,        0 },
    { "c.mv",       0xf003, 0x8002,      D_C_MV,        0 },
    { "c.ebreak",   0xffff, 0x9002,      D_NONE,        0 },
    { "c.jalr",     0xf07f, 0x9002,      D_C_JR,        0 },
    { "c.add",      0xf003, 0x9002,      D_C_MV,        0 },
    { "c.fsdsp",    CM,     CENC(5, 2),  D_C_SDSP,      F2 },
    { "c.swsp",     CM,     CENC(6, 2),  D_C_SWSP,      0 },
    { "c.sdsp",     CM,     CENC(7, 2),  D_C_SDSP,      0 },
};

static const char *const xreg_names[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
    "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
    "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

static const char *const freg_names[32] = {
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7",
    "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
    "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7",
    "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
};

/* Static rounding modes; 5 and 6 are reserved (unprivileged 11.2). */
static const char *const rm_names[8] = {
    "rne", "rtz", "rdn", "rup", "rmm", NULL, NULL, "dyn",
};

const char *rv_reg_name(unsigned r)
{
    return r < 32 ? xreg_names[r] : "?";
}

const char *rv_freg_name(unsigned r)
{
    return r < 32 ? freg_names[r] : "?";
}

/* Bits hi..lo of x, shifted down. */
static inline uint32_t bf(uint32_t x, unsigned hi, unsigned lo)
{
    return (x >> lo) & ((1u << (hi - lo + 1)) - 1);
}

/* Sign-extend the low `width` bits of x. */
static inline int32_t sext(uint32_t x, unsigned width)
{
    uint32_t m = 1u << (width - 1);
    x &= (m << 1) - 1;
    return (int32_t)((x ^ m) - m);
}

static const char *reg(unsigned r, unsigned freg, unsigned which)
{
    return (freg & which) ? freg_names[r & 31] : xreg_names[r & 31];
}

/* Register number of a compressed 3-bit register field (x8..x15). */
static inline unsigned creg(uint32_t field)
{
    return 8 + (field & 7);
}

/* Fence predecessor/successor set: "iorw" letters, "0" when empty. */
static void fence_set(char *s, unsigned set)
{
    char *p = s;
    if (set & 8) *p++ = 'i';
    if (set & 4) *p++ = 'o';
    if (set & 2) *p++ = 'r';
    if (set & 1) *p++ = 'w';
    if (p == s) *p++ = '0';
    *p = '\0';
}

/* Operands of a 32-bit instruction. Returns false if the operand fields
   make the encoding illegal (a reserved rounding mode). */
static bool operands32(char *o, size_t n, const DisOp *op, uint32_t raw,
                       gva_t pc)
{
    unsigned rd = bf(raw, 11, 7), rs1 = bf(raw, 19, 15);
    unsigned rs2 = bf(raw, 24, 20), rs3 = bf(raw, 31, 27);
    unsigned rm = bf(raw, 14, 12), f = op->freg;
    const char *d = reg(rd, f, FD), *s1 = reg(rs1, f, F1);
    const char *s2 = reg(rs2, f, F2);
    int32_t imm_i = sext(raw >> 20, 12);
    int32_t imm_s = sext(bf(raw, 31, 25) << 5 | rd, 12);
    char rms[8] = "";

    switch (op->fmt) {
    case D_R_RM:
    case D_R4_RM:
    case D_R1_RM:
    case D_R1_RMX:
        if (!rm_names[rm]) {
            return false;
        }
        if (rm != (op->fmt == D_R1_RMX ? 0 : 7)) {
            snprintf(rms, sizeof(rms), ",%s", rm_names[rm]);
        }
        break;
    default:
        break;
    }

    switch (op->fmt) {
    case D_NONE:
        o[0] = '\0';
        break;
    case D_R:
        snprintf(o, n, "%s,%s,%s", d, s1, s2);
        break;
    case D_R_RM:
        snprintf(o, n, "%s,%s,%s%s", d, s1, s2, rms);
        break;
    case D_R4_RM:
        snprintf(o, n, "%s,%s,%s,%s%s", d, s1, s2, reg(rs3, f, F3), rms);
        break;
    case D_R1:
        snprintf(o, n, "%s,%s", d, s1);
        break;
    case D_R1_RM:
    case D_R1_RMX:
        snprintf(o, n, "%s,%s%s", d, s1, rms);
        break;
    case D_RS1_RS2:
        snprintf(o, n, "%s,%s", s1, s2);
        break;
    case D_I:
        snprintf(o, n, "%s,%s,%d", d, s1, imm_i);
        break;
    case D_I_SH:
        snprintf(o, n, "%s,%s,0x%x", d, s1, bf(raw, 25, 20));
        break;
    case D_LOAD:
        snprintf(o, n, "%s,%d(%s)", d, imm_i, s1);
        break;
    case D_STORE:
        snprintf(o, n, "%s,%d(%s)", s2, imm_s, s1);
        break;
    case D_B: {
        int32_t off = sext(bf(raw, 31, 31) << 12 | bf(raw, 7, 7) << 11 |
                           bf(raw, 30, 25) << 5 | bf(raw, 11, 8) << 1, 13);
        snprintf(o, n, "%s,%s,0x%" PRIx64, s1, s2, (uint64_t)(pc + off));
        break;
    }
    case D_U:
        snprintf(o, n, "%s,0x%x", d, raw >> 12);
        break;
    case D_J: {
        int32_t off = sext(bf(raw, 31, 31) << 20 | bf(raw, 19, 12) << 12 |
                           bf(raw, 20, 20) << 11 | bf(raw, 30, 21) << 1, 21);
        snprintf(o, n, "%s,0x%" PRIx64, d, (uint64_t)(pc + off));
        break;
    }
    case D_CSR:
    case D_CSRI: {
        unsigned csr = raw >> 20;
        const char *name = rv_csr_name(csr);
        char num[8];
        if (!name) {
            snprintf(num, sizeof(num), "0x%x", csr);
            name = num;
        }
        if (op->fmt == D_CSR) {
            snprintf(o, n, "%s,%s,%s", d, name, s1);
        } else {
            snprintf(o, n, "%s,%s,%u", d, name, rs1);
        }
        break;
    }
    case D_AMO:
        snprintf(o, n, "%s,%s,(%s)", d, s2, s1);
        break;
    case D_LR:
        snprintf(o, n, "%s,(%s)", d, s1);
        break;
    case D_FENCE: {
        char pred[5], succ[5];
        fence_set(pred, bf(raw, 27, 24));
        fence_set(succ, bf(raw, 23, 20));
        snprintf(o, n, "%s,%s", pred, succ);
        break;
    }
    default:
        return false;
    }
    return true;
}

/* Operands of a 16-bit instruction. Returns false for a reserved one. */
static bool operands16(char *o, size_t n, const DisOp *op, uint32_t c,
                       gva_t pc)
{
    unsigned rd = bf(c, 11, 7), rs2 = bf(c, 6, 2), f = op->freg;
    /* 3-bit register fields: bits 4:2 (rd'/rs2') and 9:7 (rs1'/rd') */
    unsigned rlo = creg(bf(c, 4, 2)), rhi = creg(bf(c, 9, 7));
    int32_t imm6 = sext(bf(c, 12, 12) << 5 | bf(c, 6, 2), 6);
    unsigned shamt = bf(c, 12, 12) << 5 | bf(c, 6, 2);

    switch (op->fmt) {
    case D_NONE:
        o[0] = '\0';
        break;
    case D_C_ADDI4SPN:
        snprintf(o, n, "%s,sp,%u", xreg_names[rlo],
                 bf(c, 12, 11) << 4 | bf(c, 10, 7) << 6 |
                 bf(c, 6, 6) << 2 | bf(c, 5, 5) << 3);
        break;
    case D_C_LW:
        /* rd' for loads, rs2' for stores: the same bits */
        snprintf(o, n, "%s,%u(%s)", reg(rlo, f, FD | F2),
                 bf(c, 12, 10) << 3 | bf(c, 6, 6) << 2 | bf(c, 5, 5) << 6,
                 xreg_names[rhi]);
        break;
    case D_C_LD:
        snprintf(o, n, "%s,%u(%s)", reg(rlo, f, FD | F2),
                 bf(c, 12, 10) << 3 | bf(c, 6, 5) << 6, xreg_names[rhi]);
        break;
    case D_C_CI:
        snprintf(o, n, "%s,%d", xreg_names[rd], imm6);
        break;
    case D_C_ADDI16SP:
        snprintf(o, n, "sp,%d",
                 sext(bf(c, 12, 12) << 9 | bf(c, 6, 6) << 4 |
                      bf(c, 5, 5) << 6 | bf(c, 4, 3) << 7 |
                      bf(c, 2, 2) << 5, 10));
        break;
    case D_C_LUI:
        snprintf(o, n, "%s,0x%x", xreg_names[rd], (uint32_t)imm6 & 0xfffff);
        break;
    case D_C_SHIFT_P:
        snprintf(o, n, "%s,0x%x", xreg_names[rhi], shamt);
        break;
    case D_C_SHIFT64_P:
        snprintf(o, n, "%s", xreg_names[rhi]);
        break;
    case D_C_ANDI:
        snprintf(o, n, "%s,%d", xreg_names[rhi], imm6);
        break;
    case D_C_CA:
        snprintf(o, n, "%s,%s", xreg_names[rhi], xreg_names[rlo]);
        break;
    case D_C_J: {
        int32_t off = sext(bf(c, 12, 12) << 11 | bf(c, 11, 11) << 4 |
                           bf(c, 10, 9) << 8 | bf(c, 8, 8) << 10 |
                           bf(c, 7, 7) << 6 | bf(c, 6, 6) << 7 |
                           bf(c, 5, 3) << 1 | bf(c, 2, 2) << 5, 12);
        snprintf(o, n, "0x%" PRIx64, (uint64_t)(pc + off));
        break;
    }
    case D_C_B: {
        int32_t off = sext(bf(c, 12, 12) << 8 | bf(c, 11, 10) << 3 |
                           bf(c, 6, 5) << 6 | bf(c, 4, 3) << 1 |
                           bf(c, 2, 2) << 5, 9);
        snprintf(o, n, "%s,0x%" PRIx64, xreg_names[rhi],
                 (uint64_t)(pc + off));
        break;
    }
    case D_C_SLLI:
        snprintf(o, n, "%s,0x%x", xreg_names[rd], shamt);
        break;
    case D_C_SLLI64:
    case D_C_JR:
        snprintf(o, n, "%s", xreg_names[rd]);
        break;
    case D_C_LWSP:
        snprintf(o, n, "%s,%u(sp)", xreg_names[rd],
                 bf(c, 12, 12) << 5 | bf(c, 6, 4) << 2 | bf(c, 3, 2) << 6);
        break;
    case D_C_LDSP:
        snprintf(o, n, "%s,%u(sp)", reg(rd, f, FD),
                 bf(c, 12, 12) << 5 | bf(c, 6, 5) << 3 | bf(c, 4, 2) << 6);
        break;
    case D_C_MV:
        snprintf(o, n, "%s,%s", xreg_names[rd], xreg_names[rs2]);
        break;
    case D_C_SWSP:
        snprintf(o, n, "%s,%u(sp)", xreg_names[rs2],
                 bf(c, 12, 9) << 2 | bf(c, 8, 7) << 6);
        break;
    case D_C_SDSP:
        snprintf(o, n, "%s,%u(sp)", reg(rs2, f, F2),
                 bf(c, 12, 10) << 3 | bf(c, 9, 7) << 6);
        break;
    default:
        return false;
    }
    return true;
}

static const DisOp *lookup(const DisOp *tab, size_t count, uint32_t raw)
{
    for (size_t i = 0; i < count; i++) {
        if ((raw & tab[i].mask) == tab[i].match) {
            return &tab[i];
        }
    }
    return NULL;
}

int rv_disas(char *buf, size_t buflen, uint32_t raw, gva_t pc)
{
    bool compressed = (raw & 3) != 3;
    const DisOp *op;
    char ops[RV_DISAS_MAX];
    bool ok;

    if (compressed) {
        raw &= 0xffff;
        op = lookup(ops16, CORE_ARRAY_SIZE(ops16), raw);
        ok = op && operands16(ops, sizeof(ops), op, raw, pc);
    } else {
        op = lookup(ops32, CORE_ARRAY_SIZE(ops32), raw);
        ok = op && operands32(ops, sizeof(ops), op, raw, pc);
    }

    if (op && op->fmt == D_C_UNIMP) {
        snprintf(buf, buflen, "%s", op->name);
        return 0;
    }
    if (!ok) {
        snprintf(buf, buflen, ".insn 0x%0*x", compressed ? 4 : 8, raw);
        return 0;
    }

    const char *sfx = "";
    if (op->fmt == D_AMO || op->fmt == D_LR) {
        static const char *const aqrl[4] = { "", ".rl", ".aq", ".aqrl" };
        sfx = aqrl[bf(raw, 26, 25)];
    }
    snprintf(buf, buflen, "%s%s%s%s", op->name, sfx, ops[0] ? " " : "", ops);
    return compressed ? 2 : 4;
}
