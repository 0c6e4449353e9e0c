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
 * RV_EXEC_JUMP; a branch not taken continues with RV_NEXT (the next
 * instruction of its block, or the block's sentinel, which moves pc to
 * pc + len: a branch ends its block only as its last instruction). C is
 * always enabled, so targets only need 2-byte alignment, which bit 0 of
 * every offset already guarantees.
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

/* Two handlers per branch: ex_NAME ends its block (exit_idx stays the
   block length the run loop preset), ex_NAME_side is in the middle of
   one and says how much of it retired when taken. */
#define BRANCH(name, cond)                                   \
    static int ex_##name(RVCPU *cpu, const RVInsn *in)       \
    {                                                        \
        if (cond) {                                          \
            cpu->pc = in->pc + (uint64_t)in->imm;            \
            return RV_EXEC_JUMP;                             \
        }                                                    \
        RV_NEXT(cpu, in);                                    \
    }                                                        \
    static int ex_##name##_side(RVCPU *cpu, const RVInsn *in) \
    {                                                        \
        if (cond) {                                          \
            cpu->pc = in->pc + (uint64_t)in->imm;            \
            cpu->exit_idx = in->idx + 1u;                    \
            return RV_EXEC_JUMP;                             \
        }                                                    \
        RV_NEXT(cpu, in);                                    \
    }

BRANCH(beq, RS1 == RS2)
BRANCH(bne, RS1 != RS2)
BRANCH(blt, (int64_t)RS1 < (int64_t)RS2)
BRANCH(bge, (int64_t)RS1 >= (int64_t)RS2)
BRANCH(bltu, RS1 < RS2)
BRANCH(bgeu, RS1 >= RS2)

RVExecFn rv_exec_side_exit(RVExecFn fn)
{
    static const RVExecFn pairs[][2] = {
        { ex_beq, ex_beq_side },   { ex_bne, ex_bne_side },
        { ex_blt, ex_blt_side },   { ex_bge, ex_bge_side },
        { ex_bltu, ex_bltu_side }, { ex_bgeu, ex_bgeu_side },
    };
    for (unsigned i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        if (pairs[i][0] == fn || pairs[i][1] == fn) {
            return pairs[i][1];
        }
    }
    return NULL;
}

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

/* ---- decode rows: this file's groups of insn.def ---- */

#define RV_INSN_INT RV_DECODE_ROW
#define RV_INSN_AMO RV_SKIP_ROW
#define RV_INSN_FP  RV_SKIP_ROW
#define RV_INSN_SYS RV_SKIP_ROW
#define RV_INSN_DIS RV_SKIP_ROW

const RVOpDesc rv_ops_int[] = {
#include "tcg/riscv/insn.def"
    { .name = NULL },
};
