/*
 * RV64I base integer instructions, the M extension and Zifencei
 * (unprivileged spec ch. 2, 4, 6 and 12): handlers and their decode rows.
 *
 * Handlers run once per executed guest instruction, so each is a few lines
 * without avoidable branches. They rely on the decoder's x0 convention
 * (cpu.h): a destination x0 arrives as RV_REG_SINK, so x[rd] is written
 * unconditionally. A handler that writes rd reads all its sources first,
 * since rd may name one of them.
 *
 * Control flow: taken jumps and branches set cpu->pc and return
 * RV_EXEC_JUMP; a branch not taken continues with RV_NEXT (the block's
 * sentinel then moves pc to pc + len). C is always enabled, so targets only need 2-byte
 * alignment, which bit 0 of every offset already guarantees.
 */
#include "tcg/riscv/decode.h"
#include "tcg/riscv/mem_access.h"

#define RD  cpu->x[in->rd]
#define RS1 cpu->x[in->rs1]
#define RS2 cpu->x[in->rs2]

static inline uint64_t sext32(uint64_t v)
{
    return (uint64_t)(int64_t)(int32_t)(uint32_t)v;
}

/* ---- upper immediates and jumps ---- */

static int ex_lui(RVCPU *cpu, const RVInsn *in)
{
    RD = (uint64_t)in->imm;
    RV_NEXT(cpu, in);
}

static int ex_auipc(RVCPU *cpu, const RVInsn *in)
{
    RD = in->pc + (uint64_t)in->imm;
    RV_NEXT(cpu, in);
}

static int ex_jal(RVCPU *cpu, const RVInsn *in)
{
    RD = in->pc + in->len;
    cpu->pc = in->pc + (uint64_t)in->imm;
    return RV_EXEC_JUMP;
}

static int ex_jalr(RVCPU *cpu, const RVInsn *in)
{
    gva_t target = (RS1 + (uint64_t)in->imm) & ~(gva_t)1;
    RD = in->pc + in->len;
    cpu->pc = target;
    return RV_EXEC_JUMP;
}

/* ---- conditional branches ---- */

#define BRANCH(name, cond)                                   \
    static int ex_##name(RVCPU *cpu, const RVInsn *in)       \
    {                                                        \
        if (cond) {                                          \
            cpu->pc = in->pc + (uint64_t)in->imm;            \
            return RV_EXEC_JUMP;                             \
        }                                                    \
        RV_NEXT(cpu, in);                                 \
    }

BRANCH(beq, RS1 == RS2)
BRANCH(bne, RS1 != RS2)
BRANCH(blt, (int64_t)RS1 < (int64_t)RS2)
BRANCH(bge, (int64_t)RS1 >= (int64_t)RS2)
BRANCH(bltu, RS1 < RS2)
BRANCH(bgeu, RS1 >= RS2)

/* ---- loads and stores (misaligned accesses are allowed) ---- */

#define LOAD(name, size, ext)                                        \
    static int ex_##name(RVCPU *cpu, const RVInsn *in)               \
    {                                                                \
        uint64_t v;                                                  \
        int r = rv_load(cpu, in, RS1 + (uint64_t)in->imm, size, &v); \
        if (CORE_UNLIKELY(r)) {                                      \
            return r;                                                \
        }                                                            \
        RD = ext;                                                    \
        RV_NEXT(cpu, in);                                         \
    }

LOAD(lb, 1, (uint64_t)(int64_t)(int8_t)v)
LOAD(lh, 2, (uint64_t)(int64_t)(int16_t)v)
LOAD(lw, 4, sext32(v))
LOAD(ld, 8, v)
LOAD(lbu, 1, v)
LOAD(lhu, 2, v)
LOAD(lwu, 4, v)

#define STORE(name, size)                                            \
    static int ex_##name(RVCPU *cpu, const RVInsn *in)               \
    {                                                                \
        int r = rv_store(cpu, in, RS1 + (uint64_t)in->imm, size, RS2); \
        if (CORE_UNLIKELY(r)) {                                      \
            return r;                                                \
        }                                                            \
        RV_NEXT(cpu, in);                                            \
    }

STORE(sb, 1)
STORE(sh, 2)
STORE(sw, 4)
STORE(sd, 8)

/* ---- register-immediate and register-register ALU ---- */

#define ALU(name, expr)                                      \
    static int ex_##name(RVCPU *cpu, const RVInsn *in)       \
    {                                                        \
        RD = (expr);                                         \
        RV_NEXT(cpu, in);                                 \
    }

#define IMM ((uint64_t)in->imm)

ALU(addi, RS1 + IMM)
ALU(slti, (int64_t)RS1 < in->imm)
ALU(sltiu, RS1 < IMM)
ALU(xori, RS1 ^ IMM)
ALU(ori, RS1 | IMM)
ALU(andi, RS1 & IMM)
ALU(slli, RS1 << in->imm)
ALU(srli, RS1 >> in->imm)
ALU(srai, (uint64_t)((int64_t)RS1 >> in->imm))

ALU(add, RS1 + RS2)
ALU(sub, RS1 - RS2)
ALU(sll, RS1 << (RS2 & 63))
ALU(slt, (int64_t)RS1 < (int64_t)RS2)
ALU(sltu, RS1 < RS2)
ALU(xor, RS1 ^ RS2)
ALU(srl, RS1 >> (RS2 & 63))
ALU(sra, (uint64_t)((int64_t)RS1 >> (RS2 & 63)))
ALU(or, RS1 | RS2)
ALU(and, RS1 & RS2)

/* RV64 word ops compute on the low 32 bits and sign-extend the result. */
ALU(addiw, sext32(RS1 + IMM))
ALU(slliw, sext32((uint32_t)RS1 << in->imm))
ALU(srliw, sext32((uint32_t)RS1 >> in->imm))
ALU(sraiw, (uint64_t)(int64_t)((int32_t)RS1 >> in->imm))
ALU(addw, sext32(RS1 + RS2))
ALU(subw, sext32(RS1 - RS2))
ALU(sllw, sext32((uint32_t)RS1 << (RS2 & 31)))
ALU(srlw, sext32((uint32_t)RS1 >> (RS2 & 31)))
ALU(sraw, (uint64_t)(int64_t)((int32_t)RS1 >> (RS2 & 31)))

/* ---- M: multiply and divide (unprivileged spec ch. 13) ---- */

typedef __int128 i128;
typedef unsigned __int128 u128;

ALU(mul, RS1 * RS2)
ALU(mulh, (uint64_t)(((i128)(int64_t)RS1 * (i128)(int64_t)RS2) >> 64))
ALU(mulhsu, (uint64_t)(((i128)(int64_t)RS1 * (i128)RS2) >> 64))
ALU(mulhu, (uint64_t)(((u128)RS1 * (u128)RS2) >> 64))
ALU(mulw, sext32(RS1 * RS2))

/* Division by zero and the one overflowing case have results defined by
   the spec (table 13.1) instead of trapping, so test for them. */
static inline uint64_t do_div(int64_t a, int64_t b)
{
    if (CORE_UNLIKELY(b == 0)) {
        return ~0ull;
    }
    if (CORE_UNLIKELY(a == INT64_MIN && b == -1)) {
        return (uint64_t)a;
    }
    return (uint64_t)(a / b);
}

static inline uint64_t do_rem(int64_t a, int64_t b)
{
    if (CORE_UNLIKELY(b == 0)) {
        return (uint64_t)a;
    }
    if (CORE_UNLIKELY(a == INT64_MIN && b == -1)) {
        return 0;
    }
    return (uint64_t)(a % b);
}

static inline uint64_t do_divu(uint64_t a, uint64_t b)
{
    return CORE_UNLIKELY(b == 0) ? ~0ull : a / b;
}

static inline uint64_t do_remu(uint64_t a, uint64_t b)
{
    return CORE_UNLIKELY(b == 0) ? a : a % b;
}

ALU(div, do_div((int64_t)RS1, (int64_t)RS2))
ALU(divu, do_divu(RS1, RS2))
ALU(rem, do_rem((int64_t)RS1, (int64_t)RS2))
ALU(remu, do_remu(RS1, RS2))
/* Sign-extended 32-bit operands make INT32_MIN / -1 an ordinary 64-bit
   division whose truncation to 32 bits is the required INT32_MIN. */
ALU(divw, sext32(do_div((int32_t)RS1, (int32_t)RS2)))
ALU(divuw, sext32(do_divu((uint32_t)RS1, (uint32_t)RS2)))
ALU(remw, sext32(do_rem((int32_t)RS1, (int32_t)RS2)))
ALU(remuw, sext32(do_remu((uint32_t)RS1, (uint32_t)RS2)))

/* ---- fences ---- */

/* One hart runs at a time in program order, so memory fences (incl.
   fence.tso and pause) have nothing to order. */
static int ex_fence(RVCPU *cpu, const RVInsn *in)
{
    (void)cpu;
    (void)in;
    RV_NEXT(cpu, in);
}

/* Stores into code already invalidate translations; ending the block makes
   the next fetch see the current instruction bytes. */
static int ex_fence_i(RVCPU *cpu, const RVInsn *in)
{
    cpu->pc = in->pc + in->len;
    return RV_EXEC_JUMP;
}

/* ---- decode rows ---- */

#define M_OPC   0x0000007fu
#define M_F3    0x0000707fu
#define M_F7    0xfe00707fu
#define M_F6    0xfc00707fu

#define OPC_LOAD      0x03u
#define OPC_MISC_MEM  0x0fu
#define OPC_OP_IMM    0x13u
#define OPC_AUIPC     0x17u
#define OPC_OP_IMM_32 0x1bu
#define OPC_STORE     0x23u
#define OPC_OP        0x33u
#define OPC_LUI       0x37u
#define OPC_OP_32     0x3bu
#define OPC_BRANCH    0x63u
#define OPC_JALR      0x67u
#define OPC_JAL       0x6fu

#define F3(x) ((uint32_t)(x) << 12)
#define F7(x) ((uint32_t)(x) << 25)

#define END RV_OPF_END_TB
#define LD  RV_OPF_LOAD
#define ST  RV_OPF_STORE

const RVOpDesc rv_ops_int[] = {
    { "lui",    M_OPC, OPC_LUI,   RV_FMT_U, 0, ex_lui },
    { "auipc",  M_OPC, OPC_AUIPC, RV_FMT_U, 0, ex_auipc },
    { "jal",    M_OPC, OPC_JAL,   RV_FMT_J, END, ex_jal },
    { "jalr",   M_F3, OPC_JALR | F3(0), RV_FMT_I, END, ex_jalr },

    { "beq",  M_F3, OPC_BRANCH | F3(0), RV_FMT_B, END, ex_beq },
    { "bne",  M_F3, OPC_BRANCH | F3(1), RV_FMT_B, END, ex_bne },
    { "blt",  M_F3, OPC_BRANCH | F3(4), RV_FMT_B, END, ex_blt },
    { "bge",  M_F3, OPC_BRANCH | F3(5), RV_FMT_B, END, ex_bge },
    { "bltu", M_F3, OPC_BRANCH | F3(6), RV_FMT_B, END, ex_bltu },
    { "bgeu", M_F3, OPC_BRANCH | F3(7), RV_FMT_B, END, ex_bgeu },

    { "lb",  M_F3, OPC_LOAD | F3(0), RV_FMT_I, LD, ex_lb },
    { "lh",  M_F3, OPC_LOAD | F3(1), RV_FMT_I, LD, ex_lh },
    { "lw",  M_F3, OPC_LOAD | F3(2), RV_FMT_I, LD, ex_lw },
    { "ld",  M_F3, OPC_LOAD | F3(3), RV_FMT_I, LD, ex_ld },
    { "lbu", M_F3, OPC_LOAD | F3(4), RV_FMT_I, LD, ex_lbu },
    { "lhu", M_F3, OPC_LOAD | F3(5), RV_FMT_I, LD, ex_lhu },
    { "lwu", M_F3, OPC_LOAD | F3(6), RV_FMT_I, LD, ex_lwu },

    { "sb", M_F3, OPC_STORE | F3(0), RV_FMT_S, ST, ex_sb },
    { "sh", M_F3, OPC_STORE | F3(1), RV_FMT_S, ST, ex_sh },
    { "sw", M_F3, OPC_STORE | F3(2), RV_FMT_S, ST, ex_sw },
    { "sd", M_F3, OPC_STORE | F3(3), RV_FMT_S, ST, ex_sd },

    { "addi",  M_F3, OPC_OP_IMM | F3(0), RV_FMT_I, 0, ex_addi },
    { "slti",  M_F3, OPC_OP_IMM | F3(2), RV_FMT_I, 0, ex_slti },
    { "sltiu", M_F3, OPC_OP_IMM | F3(3), RV_FMT_I, 0, ex_sltiu },
    { "xori",  M_F3, OPC_OP_IMM | F3(4), RV_FMT_I, 0, ex_xori },
    { "ori",   M_F3, OPC_OP_IMM | F3(6), RV_FMT_I, 0, ex_ori },
    { "andi",  M_F3, OPC_OP_IMM | F3(7), RV_FMT_I, 0, ex_andi },
    { "slli",  M_F6, OPC_OP_IMM | F3(1), RV_FMT_I_SH, 0, ex_slli },
    { "srli",  M_F6, OPC_OP_IMM | F3(5), RV_FMT_I_SH, 0, ex_srli },
    { "srai",  M_F6, OPC_OP_IMM | F3(5) | F7(0x20), RV_FMT_I_SH, 0, ex_srai },

    { "add",  M_F7, OPC_OP | F3(0), RV_FMT_R, 0, ex_add },
    { "sub",  M_F7, OPC_OP | F3(0) | F7(0x20), RV_FMT_R, 0, ex_sub },
    { "sll",  M_F7, OPC_OP | F3(1), RV_FMT_R, 0, ex_sll },
    { "slt",  M_F7, OPC_OP | F3(2), RV_FMT_R, 0, ex_slt },
    { "sltu", M_F7, OPC_OP | F3(3), RV_FMT_R, 0, ex_sltu },
    { "xor",  M_F7, OPC_OP | F3(4), RV_FMT_R, 0, ex_xor },
    { "srl",  M_F7, OPC_OP | F3(5), RV_FMT_R, 0, ex_srl },
    { "sra",  M_F7, OPC_OP | F3(5) | F7(0x20), RV_FMT_R, 0, ex_sra },
    { "or",   M_F7, OPC_OP | F3(6), RV_FMT_R, 0, ex_or },
    { "and",  M_F7, OPC_OP | F3(7), RV_FMT_R, 0, ex_and },

    { "addiw", M_F3, OPC_OP_IMM_32 | F3(0), RV_FMT_I, 0, ex_addiw },
    { "slliw", M_F7, OPC_OP_IMM_32 | F3(1), RV_FMT_I_SHW, 0, ex_slliw },
    { "srliw", M_F7, OPC_OP_IMM_32 | F3(5), RV_FMT_I_SHW, 0, ex_srliw },
    { "sraiw", M_F7, OPC_OP_IMM_32 | F3(5) | F7(0x20), RV_FMT_I_SHW, 0,
      ex_sraiw },
    { "addw", M_F7, OPC_OP_32 | F3(0), RV_FMT_R, 0, ex_addw },
    { "subw", M_F7, OPC_OP_32 | F3(0) | F7(0x20), RV_FMT_R, 0, ex_subw },
    { "sllw", M_F7, OPC_OP_32 | F3(1), RV_FMT_R, 0, ex_sllw },
    { "srlw", M_F7, OPC_OP_32 | F3(5), RV_FMT_R, 0, ex_srlw },
    { "sraw", M_F7, OPC_OP_32 | F3(5) | F7(0x20), RV_FMT_R, 0, ex_sraw },

    { "mul",    M_F7, OPC_OP | F3(0) | F7(1), RV_FMT_R, 0, ex_mul },
    { "mulh",   M_F7, OPC_OP | F3(1) | F7(1), RV_FMT_R, 0, ex_mulh },
    { "mulhsu", M_F7, OPC_OP | F3(2) | F7(1), RV_FMT_R, 0, ex_mulhsu },
    { "mulhu",  M_F7, OPC_OP | F3(3) | F7(1), RV_FMT_R, 0, ex_mulhu },
    { "div",    M_F7, OPC_OP | F3(4) | F7(1), RV_FMT_R, 0, ex_div },
    { "divu",   M_F7, OPC_OP | F3(5) | F7(1), RV_FMT_R, 0, ex_divu },
    { "rem",    M_F7, OPC_OP | F3(6) | F7(1), RV_FMT_R, 0, ex_rem },
    { "remu",   M_F7, OPC_OP | F3(7) | F7(1), RV_FMT_R, 0, ex_remu },
    { "mulw",   M_F7, OPC_OP_32 | F3(0) | F7(1), RV_FMT_R, 0, ex_mulw },
    { "divw",   M_F7, OPC_OP_32 | F3(4) | F7(1), RV_FMT_R, 0, ex_divw },
    { "divuw",  M_F7, OPC_OP_32 | F3(5) | F7(1), RV_FMT_R, 0, ex_divuw },
    { "remw",   M_F7, OPC_OP_32 | F3(6) | F7(1), RV_FMT_R, 0, ex_remw },
    { "remuw",  M_F7, OPC_OP_32 | F3(7) | F7(1), RV_FMT_R, 0, ex_remuw },

    /* Unused fields of fence and fence.i are reserved for future
       extensions that must behave like these (spec 2.7, 6.1). */
    { "fence",   M_F3, OPC_MISC_MEM | F3(0), RV_FMT_FENCE, 0, ex_fence },
    { "fence.i", M_F3, OPC_MISC_MEM | F3(1), RV_FMT_NONE, END, ex_fence_i },
    { .name = NULL },
};
