/*
 * RV64F and RV64D instructions: handlers and their decode table rows
 * (unprivileged spec, chapters "F" and "D" standard extensions).
 *
 * One handler serves both precisions wherever the encoding has the fmt
 * field (bits 26:25, 00 = S, 01 = D): the handler reads bit 25 of the raw
 * encoding. The arithmetic itself lives in fpu.c.
 *
 * Invariants kept here:
 * - NaN-boxing: a single-precision result is written with the upper 32 bits
 *   all ones; a single-precision operand whose upper half is not all ones
 *   reads as the canonical NaN (spec "NaN Boxing of Narrower Values").
 *   fsw, fmv.x.w and the loads move raw bits and do not check boxing.
 * - The decoder turns an rd field of 0 into RV_REG_SINK; that is right for
 *   integer destinations but an FP destination must use rd & 31 (f0 is a
 *   real register).
 * - The rounding mode comes from the rm field, 7 meaning frm; 5, 6 and an
 *   frm above 4 are illegal. That holds for every instruction with an rm
 *   field, also the exact ones (fcvt.d.s, fcvt.d.w[u]), as in Spike and
 *   QEMU; GNU as encodes those with rm = RNE by default.
 * - mstatus.FS is checked by the engine (RV_OPF_FP); handlers mark the FP
 *   state dirty whenever they write an f register or change fflags.
 * - Flags are ORed straight into cpu->fflags (no address-taken locals), so
 *   RV_NEXT stays a tail call.
 */
#include "tcg/riscv/cpu.h"
#include "tcg/riscv/decode.h"
#include "tcg/riscv/fpu.h"
#include "tcg/riscv/mem_access.h"

#define BOX_S 0xffffffff00000000ull

static inline RVFpuFmt insn_fmt(const RVInsn *in)
{
    return (in->raw >> 25) & 1 ? RV_FPU_D : RV_FPU_S;
}

/* The effective rounding mode, or -1 if it is reserved. */
static inline int insn_rm(const RVCPU *cpu, const RVInsn *in)
{
    unsigned rm = in->rm == RV_RM_DYN ? cpu->frm : in->rm;
    return rm <= RV_RM_RMM ? (int)rm : -1;
}

static inline uint64_t read_fp(const RVCPU *cpu, RVFpuFmt fmt, unsigned r)
{
    uint64_t v = cpu->f[r];
    if (fmt == RV_FPU_D) {
        return v;
    }
    return (v & BOX_S) == BOX_S ? (uint32_t)v : RV_FPU_CNAN_S;
}

static inline void write_fp(RVCPU *cpu, RVFpuFmt fmt, unsigned rd, uint64_t v)
{
    cpu->f[rd & 31] = fmt == RV_FPU_D ? v : BOX_S | (uint32_t)v;
    rv_fp_set_dirty(cpu);
}

/* For instructions whose only FP-state effect is on fflags. */
static inline void dirty_if_changed(RVCPU *cpu, uint32_t old_fflags)
{
    if (cpu->fflags != old_fflags) {
        rv_fp_set_dirty(cpu);
    }
}

/* ---- loads and stores ---- */

static int fp_load(RVCPU *cpu, const RVInsn *in, unsigned size)
{
    uint64_t v;
    int r = rv_load(cpu, in, cpu->x[in->rs1] + (uint64_t)in->imm, size, &v);
    if (r) {
        return r;
    }
    write_fp(cpu, size == 4 ? RV_FPU_S : RV_FPU_D, in->rd, v);
    RV_NEXT(cpu, in);
}

static int exec_flw(RVCPU *cpu, const RVInsn *in)
{
    return fp_load(cpu, in, 4);
}

static int exec_fld(RVCPU *cpu, const RVInsn *in)
{
    return fp_load(cpu, in, 8);
}

static int exec_fsw(RVCPU *cpu, const RVInsn *in)
{
    int r = rv_store(cpu, in, cpu->x[in->rs1] + (uint64_t)in->imm, 4,
                     cpu->f[in->rs2]);
    if (r) {
        return r;
    }
    RV_NEXT(cpu, in);
}

static int exec_fsd(RVCPU *cpu, const RVInsn *in)
{
    int r = rv_store(cpu, in, cpu->x[in->rs1] + (uint64_t)in->imm, 8,
                     cpu->f[in->rs2]);
    if (r) {
        return r;
    }
    RV_NEXT(cpu, in);
}

/* ---- arithmetic ---- */

typedef uint64_t (*FpBinop)(RVFpuFmt fmt, uint64_t a, uint64_t b, int rm,
                            uint32_t *flags);

static int fp_binop(RVCPU *cpu, const RVInsn *in, FpBinop op)
{
    RVFpuFmt fmt = insn_fmt(in);
    int rm = insn_rm(cpu, in);

    if (rm < 0) {
        return rv_raise_illegal(cpu, in);
    }
    uint64_t r = op(fmt, read_fp(cpu, fmt, in->rs1),
                    read_fp(cpu, fmt, in->rs2), rm, &cpu->fflags);
    write_fp(cpu, fmt, in->rd, r);
    RV_NEXT(cpu, in);
}

static int exec_fadd(RVCPU *cpu, const RVInsn *in)
{
    return fp_binop(cpu, in, rv_fpu_add);
}

static int exec_fsub(RVCPU *cpu, const RVInsn *in)
{
    return fp_binop(cpu, in, rv_fpu_sub);
}

static int exec_fmul(RVCPU *cpu, const RVInsn *in)
{
    return fp_binop(cpu, in, rv_fpu_mul);
}

static int exec_fdiv(RVCPU *cpu, const RVInsn *in)
{
    return fp_binop(cpu, in, rv_fpu_div);
}

static int exec_fsqrt(RVCPU *cpu, const RVInsn *in)
{
    RVFpuFmt fmt = insn_fmt(in);
    int rm = insn_rm(cpu, in);

    if (rm < 0) {
        return rv_raise_illegal(cpu, in);
    }
    write_fp(cpu, fmt, in->rd,
             rv_fpu_sqrt(fmt, read_fp(cpu, fmt, in->rs1), rm, &cpu->fflags));
    RV_NEXT(cpu, in);
}

static int fp_fma(RVCPU *cpu, const RVInsn *in, bool neg_prod, bool neg_c)
{
    RVFpuFmt fmt = insn_fmt(in);
    int rm = insn_rm(cpu, in);

    if (rm < 0) {
        return rv_raise_illegal(cpu, in);
    }
    uint64_t r = rv_fpu_fma(fmt, read_fp(cpu, fmt, in->rs1),
                            read_fp(cpu, fmt, in->rs2),
                            read_fp(cpu, fmt, in->rs3), neg_prod, neg_c, rm,
                            &cpu->fflags);
    write_fp(cpu, fmt, in->rd, r);
    RV_NEXT(cpu, in);
}

static int exec_fmadd(RVCPU *cpu, const RVInsn *in)
{
    return fp_fma(cpu, in, false, false);
}

static int exec_fmsub(RVCPU *cpu, const RVInsn *in)
{
    return fp_fma(cpu, in, false, true);
}

static int exec_fnmsub(RVCPU *cpu, const RVInsn *in)
{
    return fp_fma(cpu, in, true, false);
}

static int exec_fnmadd(RVCPU *cpu, const RVInsn *in)
{
    return fp_fma(cpu, in, true, true);
}

/* ---- sign injection, min/max ---- */

/* funct3 0: sign of rs2; 1: its opposite; 2: xor of both signs. */
static int exec_fsgnj(RVCPU *cpu, const RVInsn *in)
{
    RVFpuFmt fmt = insn_fmt(in);
    uint64_t sbit = fmt == RV_FPU_D ? 1ull << 63 : 1ull << 31;
    uint64_t a = read_fp(cpu, fmt, in->rs1), b = read_fp(cpu, fmt, in->rs2);
    uint64_t s;

    switch (in->rm) {
    case 0:
        s = b & sbit;
        break;
    case 1:
        s = ~b & sbit;
        break;
    default:
        s = (a ^ b) & sbit;
        break;
    }
    write_fp(cpu, fmt, in->rd, (a & ~sbit) | s);
    RV_NEXT(cpu, in);
}

static int exec_fminmax(RVCPU *cpu, const RVInsn *in)
{
    RVFpuFmt fmt = insn_fmt(in);
    uint64_t a = read_fp(cpu, fmt, in->rs1), b = read_fp(cpu, fmt, in->rs2);
    uint64_t r = in->rm == 0 ? rv_fpu_min(fmt, a, b, &cpu->fflags)
                             : rv_fpu_max(fmt, a, b, &cpu->fflags);
    write_fp(cpu, fmt, in->rd, r);
    RV_NEXT(cpu, in);
}

/* ---- comparisons and classification (integer results) ---- */

/* funct3 2: feq, 1: flt, 0: fle. */
static int exec_fcmp(RVCPU *cpu, const RVInsn *in)
{
    RVFpuFmt fmt = insn_fmt(in);
    uint64_t a = read_fp(cpu, fmt, in->rs1), b = read_fp(cpu, fmt, in->rs2);
    uint32_t old_fflags = cpu->fflags;
    bool r;

    switch (in->rm) {
    case 2:
        r = rv_fpu_eq(fmt, a, b, &cpu->fflags);
        break;
    case 1:
        r = rv_fpu_lt(fmt, a, b, &cpu->fflags);
        break;
    default:
        r = rv_fpu_le(fmt, a, b, &cpu->fflags);
        break;
    }
    cpu->x[in->rd] = r;
    dirty_if_changed(cpu, old_fflags);
    RV_NEXT(cpu, in);
}

static int exec_fclass(RVCPU *cpu, const RVInsn *in)
{
    RVFpuFmt fmt = insn_fmt(in);
    cpu->x[in->rd] = rv_fpu_class(fmt, read_fp(cpu, fmt, in->rs1));
    RV_NEXT(cpu, in);
}

/* ---- conversions and moves ---- */

/* fcvt.{w,wu,l,lu}.{s,d}: the integer type is the rs2 field. */
static int exec_fcvt_to_int(RVCPU *cpu, const RVInsn *in)
{
    RVFpuFmt fmt = insn_fmt(in);
    int rm = insn_rm(cpu, in);
    uint32_t old_fflags = cpu->fflags;

    if (rm < 0) {
        return rv_raise_illegal(cpu, in);
    }
    cpu->x[in->rd] = rv_fpu_to_int(fmt, read_fp(cpu, fmt, in->rs1),
                                   (RVFpuInt)((in->raw >> 20) & 3), rm,
                                   &cpu->fflags);
    dirty_if_changed(cpu, old_fflags);
    RV_NEXT(cpu, in);
}

/* fcvt.{s,d}.{w,wu,l,lu} */
static int exec_fcvt_from_int(RVCPU *cpu, const RVInsn *in)
{
    RVFpuFmt fmt = insn_fmt(in);
    int rm = insn_rm(cpu, in);

    if (rm < 0) {
        return rv_raise_illegal(cpu, in);
    }
    write_fp(cpu, fmt, in->rd,
             rv_fpu_from_int(fmt, cpu->x[in->rs1],
                             (RVFpuInt)((in->raw >> 20) & 3), rm,
                             &cpu->fflags));
    RV_NEXT(cpu, in);
}

/* fcvt.s.d and fcvt.d.s: the destination format is the fmt field. */
static int exec_fcvt_fp(RVCPU *cpu, const RVInsn *in)
{
    RVFpuFmt to = insn_fmt(in);
    RVFpuFmt from = to == RV_FPU_D ? RV_FPU_S : RV_FPU_D;
    int rm = insn_rm(cpu, in);

    if (rm < 0) {
        return rv_raise_illegal(cpu, in);
    }
    write_fp(cpu, to, in->rd,
             rv_fpu_convert(to, from, read_fp(cpu, from, in->rs1), rm,
                            &cpu->fflags));
    RV_NEXT(cpu, in);
}

/* fmv.x.w sign-extends the raw low 32 bits, boxed or not. */
static int exec_fmv_x_f(RVCPU *cpu, const RVInsn *in)
{
    uint64_t v = cpu->f[in->rs1];
    cpu->x[in->rd] = insn_fmt(in) == RV_FPU_D
                     ? v : (uint64_t)(int64_t)(int32_t)v;
    RV_NEXT(cpu, in);
}

static int exec_fmv_f_x(RVCPU *cpu, const RVInsn *in)
{
    write_fp(cpu, insn_fmt(in), in->rd, cpu->x[in->rs1]);
    RV_NEXT(cpu, in);
}

/* ---- decode rows: this file's groups of insn.def ---- */

#define RV_INSN_INT RV_SKIP_ROW
#define RV_INSN_AMO RV_SKIP_ROW
#define RV_INSN_FP  RV_DECODE_ROW
#define RV_INSN_SYS RV_SKIP_ROW
#define RV_INSN_DIS RV_SKIP_ROW

const RVOpDesc rv_ops_fp[] = {
#include "tcg/riscv/insn.def"
    { .name = NULL },
};
