/*
 * rv64d - the D extension (unprivileged spec ch. 12) in M-mode.
 *
 * The double-precision counterpart of rv64f: rounding in every mode (static
 * and dynamic, with an RNE/RMM tie), each fflags bit, canonical NaNs,
 * fmin/fmax, comparisons, fclass, saturating conversions to and from
 * 32/64-bit integers, fused multiply-adds that differ from mul-then-add,
 * sign injection, conversions between single and double (NaN handling,
 * overflow, underflow, NaN-boxed results), fld/fsd/fmv bit transfers and
 * a reserved rounding mode.
 */
#include "rt.h"
#include "fp_util.h"

static uint64_t fl;

#define ONE     0x3ff0000000000000ULL
#define MONE    0xbff0000000000000ULL
#define ONE_ULP 0x3ff0000000000001ULL   /* 1 + 2^-52 */
#define MONE_ULP 0xbff0000000000001ULL
#define HALF    0x3fe0000000000000ULL
#define TWO     0x4000000000000000ULL
#define MTWO    0xc000000000000000ULL
#define THREE   0x4008000000000000ULL
#define TIE     0x3ca0000000000000ULL   /* 2^-53 */
#define MTIE    0xbca0000000000000ULL
#define Q3      0x3ca8000000000000ULL   /* 1.5 * 2^-53 */
#define PZERO   0x0000000000000000ULL
#define MZERO   0x8000000000000000ULL
#define PINF    0x7ff0000000000000ULL
#define MINF    0xfff0000000000000ULL
#define MAXD    0x7fefffffffffffffULL
#define MINNORM 0x0010000000000000ULL
#define MAXSUB  0x000fffffffffffffULL
#define MINSUB  0x0000000000000001ULL
#define QNAN    0x7ff8000000000000ULL   /* canonical */
#define QNANP   0x7ff8000000012345ULL
#define SNAN    0x7ff0000000012345ULL

static void test_rounding(void)
{
    CHECK_FP(FOP2(D, "fadd.d", RM_RNE, ONE, TIE), ONE, NX);
    CHECK_FP(FOP2(D, "fadd.d", RM_RTZ, ONE, TIE), ONE, NX);
    CHECK_FP(FOP2(D, "fadd.d", RM_RDN, ONE, TIE), ONE, NX);
    CHECK_FP(FOP2(D, "fadd.d", RM_RUP, ONE, TIE), ONE_ULP, NX);
    CHECK_FP(FOP2(D, "fadd.d", RM_RMM, ONE, TIE), ONE_ULP, NX);
    CHECK_FP(FOP2(D, "fadd.d", RM_RNE, MONE, MTIE), MONE, NX);
    CHECK_FP(FOP2(D, "fadd.d", RM_RTZ, MONE, MTIE), MONE, NX);
    CHECK_FP(FOP2(D, "fadd.d", RM_RDN, MONE, MTIE), MONE_ULP, NX);
    CHECK_FP(FOP2(D, "fadd.d", RM_RUP, MONE, MTIE), MONE, NX);
    CHECK_FP(FOP2(D, "fadd.d", RM_RMM, MONE, MTIE), MONE_ULP, NX);
    CHECK_FP(FOP2(D, "fadd.d", RM_RNE, ONE, Q3), ONE_ULP, NX);
    CHECK_FP(FOP2(D, "fadd.d", RM_RTZ, ONE, Q3), ONE, NX);
    CHECK_FP(FOP2(D, "fsub.d", RM_RDN, ONE, ONE), MZERO, 0);
    CHECK_FP(FOP2(D, "fsub.d", RM_RMM, ONE, ONE), PZERO, 0);
    CHECK_FP(FOP2(D, "fdiv.d", RM_RNE, ONE, THREE), 0x3fd5555555555555ULL, NX);
    CHECK_FP(FOP2(D, "fdiv.d", RM_RUP, ONE, THREE), 0x3fd5555555555556ULL, NX);
    CHECK_FP(FOP2(D, "fdiv.d", RM_RDN, MONE, THREE), 0xbfd5555555555556ULL, NX);
    CHECK_FP(FOP1(D, "fsqrt.d", RM_RNE, TWO), 0x3ff6a09e667f3bcdULL, NX);
    CHECK_FP(FOP1(D, "fsqrt.d", RM_RTZ, TWO), 0x3ff6a09e667f3bccULL, NX);
    CHECK_FP(FOP1(D, "fsqrt.d", RM_RNE, 0x4010000000000000ULL), TWO, 0);
    CHECK_FP(FOP2(D, "fmul.d", RM_RNE, THREE, HALF), 0x3ff8000000000000ULL, 0);

    static const struct { uint64_t rm, tie, neg_tie; } dyn[] = {
        { FRM_RNE, ONE, MONE },
        { FRM_RTZ, ONE, MONE },
        { FRM_RDN, ONE, MONE_ULP },
        { FRM_RUP, ONE_ULP, MONE },
        { FRM_RMM, ONE_ULP, MONE_ULP },
    };
    for (unsigned i = 0; i < sizeof(dyn) / sizeof(dyn[0]); i++) {
        fp_set_frm(dyn[i].rm);
        CHECK_FP(FOP2(D, "fadd.d", RM_DYN, ONE, TIE), dyn[i].tie, NX);
        CHECK_FP(FOP2(D, "fsub.d", "", MONE, TIE), dyn[i].neg_tie, NX);
        CHECK_EQ(fp_read_fcsr(), (dyn[i].rm << 5) | NX);
    }
    fp_set_frm(FRM_RNE);
}

static void test_flags(void)
{
    CHECK_FP(FOP2(D, "fmul.d", RM_RNE, MAXD, TWO), PINF, OF | NX);
    CHECK_FP(FOP2(D, "fmul.d", RM_RTZ, MAXD, TWO), MAXD, OF | NX);
    CHECK_FP(FOP2(D, "fmul.d", RM_RUP, MAXD, MTWO), 0xffefffffffffffffULL,
             OF | NX);
    CHECK_FP(FOP2(D, "fadd.d", RM_RNE, MAXD, 0x7c80000000000000ULL), MAXD, NX);
    CHECK_FP(FOP2(D, "fmul.d", RM_RNE, MINNORM, HALF), 0x0008000000000000ULL, 0);
    CHECK_FP(FOP2(D, "fmul.d", RM_RNE, MINSUB, HALF), PZERO, UF | NX);
    CHECK_FP(FOP2(D, "fmul.d", RM_RUP, MINSUB, HALF), MINSUB, UF | NX);
    CHECK_FP(FOP2(D, "fdiv.d", RM_RNE, MINNORM, 0x4340000000000000ULL),
             PZERO, UF | NX);
    /* Tininess after rounding: (1 + 2^-52)(2^-1022 - 2^-1074) rounds to
     * the smallest normal, so no UF. */
    CHECK_FP(FOP2(D, "fmul.d", RM_RNE, ONE_ULP, MAXSUB), MINNORM, NX);
    CHECK_FP(FOP2(D, "fmul.d", RM_RTZ, ONE_ULP, MAXSUB), MAXSUB, UF | NX);
    CHECK_FP(FOP2(D, "fdiv.d", RM_RNE, MTWO, PZERO), MINF, DZ);
    CHECK_FP(FOP2(D, "fdiv.d", RM_RNE, PZERO, PZERO), QNAN, NV);
    CHECK_FP(FOP2(D, "fdiv.d", RM_RNE, PINF, MINF), QNAN, NV);
    CHECK_FP(FOP2(D, "fadd.d", RM_RNE, MINF, PINF), QNAN, NV);
    CHECK_FP(FOP1(D, "fsqrt.d", RM_RNE, MINSUB | MZERO), QNAN, NV);
    CHECK_FP(FOP1(D, "fsqrt.d", RM_RNE, MINF), QNAN, NV);
    CHECK_FP(FOP1(D, "fsqrt.d", RM_RNE, PINF), PINF, 0);
    CHECK_FP(FOP2(D, "fsub.d", RM_RNE, QNANP, ONE), QNAN, 0);
    CHECK_FP(FOP2(D, "fdiv.d", RM_RNE, ONE, SNAN), QNAN, NV);
}

static void test_minmax_compare_class(void)
{
    CHECK_FP(FOP2(D, "fmin.d", "", PZERO, MZERO), MZERO, 0);
    CHECK_FP(FOP2(D, "fmax.d", "", MZERO, PZERO), PZERO, 0);
    CHECK_FP(FOP2(D, "fmin.d", "", QNANP, MTWO), MTWO, 0);
    CHECK_FP(FOP2(D, "fmax.d", "", SNAN, MTWO), MTWO, NV);
    CHECK_FP(FOP2(D, "fmin.d", "", SNAN, SNAN), QNAN, NV);
    CHECK_FP(FOP2(D, "fmax.d", "", QNANP, QNAN), QNAN, 0);
    CHECK_FP(FOP2(D, "fmax.d", "", MAXD, PINF), PINF, 0);

    CHECK_FP(FCMP(D, "feq.d", MZERO, PZERO), 1, 0);
    CHECK_FP(FCMP(D, "flt.d", MZERO, PZERO), 0, 0);
    CHECK_FP(FCMP(D, "fle.d", MTWO, MONE), 1, 0);
    CHECK_FP(FCMP(D, "flt.d", ONE, ONE_ULP), 1, 0);
    CHECK_FP(FCMP(D, "feq.d", QNAN, ONE), 0, 0);
    CHECK_FP(FCMP(D, "feq.d", ONE, SNAN), 0, NV);
    CHECK_FP(FCMP(D, "flt.d", QNANP, QNANP), 0, NV);
    CHECK_FP(FCMP(D, "fle.d", ONE, QNAN), 0, NV);

    static const struct { uint64_t in, class; } c[] = {
        { MINF, 1 << 0 }, { MTWO, 1 << 1 }, { MINSUB | MZERO, 1 << 2 },
        { MZERO, 1 << 3 }, { PZERO, 1 << 4 }, { MAXSUB, 1 << 5 },
        { MAXD, 1 << 6 }, { PINF, 1 << 7 }, { SNAN, 1 << 8 },
        { QNAN, 1 << 9 }, { 0xfff8000000000001ULL, 1 << 9 },
    };
    for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++)
        CHECK_FP(FTOI(D, "fclass.d", "", c[i].in), c[i].class, 0);
}

static void test_convert_int(void)
{
    const uint64_t big_half = 0x41dfffffffe00000ULL;   /* 2^31 - 0.5 */
    const uint64_t neg_half = 0xc1e0000000100000ULL;   /* -2^31 - 0.5 */

    CHECK_FP(FTOI(D, "fcvt.w.d", RM_RTZ, 0x400d99999999999aULL), 3, NX);
    CHECK_FP(FTOI(D, "fcvt.w.d", RM_RNE, 0xc00c000000000000ULL), -4ULL, NX);
    CHECK_FP(FTOI(D, "fcvt.w.d", RM_RMM, 0x4004000000000000ULL), 3, NX);
    CHECK_FP(FTOI(D, "fcvt.w.d", RM_RNE, 0x4004000000000000ULL), 2, NX);
    /* Rounding decides whether the result is in range. */
    CHECK_FP(FTOI(D, "fcvt.w.d", RM_RTZ, big_half), 0x7fffffff, NX);
    CHECK_FP(FTOI(D, "fcvt.w.d", RM_RNE, big_half), 0x7fffffff, NV);
    CHECK_FP(FTOI(D, "fcvt.w.d", RM_RNE, neg_half), 0xffffffff80000000ULL, NX);
    CHECK_FP(FTOI(D, "fcvt.w.d", RM_RMM, neg_half), 0xffffffff80000000ULL, NV);
    CHECK_FP(FTOI(D, "fcvt.w.d", RM_RTZ, QNAN), 0x7fffffff, NV);
    CHECK_FP(FTOI(D, "fcvt.w.d", RM_RTZ, MINF), 0xffffffff80000000ULL, NV);
    CHECK_FP(FTOI(D, "fcvt.wu.d", RM_RTZ, 0x41efffffffe00000ULL),
             0xffffffffffffffffULL, 0);                 /* 4294967295.0 */
    CHECK_FP(FTOI(D, "fcvt.wu.d", RM_RUP, 0x41efffffffe00000ULL | 1),
             0xffffffffffffffffULL, NV);
    CHECK_FP(FTOI(D, "fcvt.wu.d", RM_RTZ, 0xbfeccccccccccccdULL), 0, NX);
    CHECK_FP(FTOI(D, "fcvt.wu.d", RM_RNE, 0xbfeccccccccccccdULL), 0, NV);
    CHECK_FP(FTOI(D, "fcvt.wu.d", RM_RTZ, SNAN), 0xffffffffffffffffULL, NV);
    CHECK_FP(FTOI(D, "fcvt.l.d", RM_RTZ, 0x43e0000000000000ULL),
             0x7fffffffffffffffULL, NV);
    CHECK_FP(FTOI(D, "fcvt.l.d", RM_RTZ, 0xc3e0000000000000ULL),
             0x8000000000000000ULL, 0);
    CHECK_FP(FTOI(D, "fcvt.l.d", RM_RTZ, QNANP), 0x7fffffffffffffffULL, NV);
    CHECK_FP(FTOI(D, "fcvt.l.d", RM_RDN, 0xbfeccccccccccccdULL), -1ULL, NX);
    CHECK_FP(FTOI(D, "fcvt.lu.d", RM_RTZ, 0x43efffffffffffffULL),
             0xfffffffffffff800ULL, 0);
    CHECK_FP(FTOI(D, "fcvt.lu.d", RM_RTZ, 0x43f0000000000000ULL),
             0xffffffffffffffffULL, NV);
    CHECK_FP(FTOI(D, "fcvt.lu.d", RM_RTZ, MZERO), 0, 0);
    CHECK_FP(FTOI(D, "fcvt.lu.d", RM_RTZ, MINF), 0, NV);
    CHECK_FP(FTOI(D, "fcvt.lu.d", RM_RTZ, PINF), 0xffffffffffffffffULL, NV);

    CHECK_FP(ITOF(D, "fcvt.d.w", "", 0x80000000ULL), 0xc1e0000000000000ULL, 0);
    CHECK_FP(ITOF(D, "fcvt.d.w", "", 0xffffffff00000005ULL),
             0x4014000000000000ULL, 0);
    CHECK_FP(ITOF(D, "fcvt.d.wu", "", 0xffffffffULL), 0x41efffffffe00000ULL, 0);
    CHECK_FP(ITOF(D, "fcvt.d.wu", "", 0x1234567800000000ULL), PZERO, 0);
    CHECK_FP(ITOF(D, "fcvt.d.l", RM_RNE, (1ULL << 53) + 1),
             0x4340000000000000ULL, NX);
    CHECK_FP(ITOF(D, "fcvt.d.l", RM_RUP, (1ULL << 53) + 1),
             0x4340000000000001ULL, NX);
    CHECK_FP(ITOF(D, "fcvt.d.l", RM_RNE, 0x8000000000000000ULL),
             0xc3e0000000000000ULL, 0);
    CHECK_FP(ITOF(D, "fcvt.d.lu", RM_RNE, 0xffffffffffffffffULL),
             0x43f0000000000000ULL, NX);
    CHECK_FP(ITOF(D, "fcvt.d.lu", RM_RTZ, 0xffffffffffffffffULL),
             0x43efffffffffffffULL, NX);
}

static void test_convert_fmt(void)
{
    uint64_t v;

    CHECK_FP(FCVT(D, S, "fcvt.s.d", RM_RNE, 0x3ff0000000400000ULL),
             0x3f800000, NX);
    CHECK_FP(FCVT(D, S, "fcvt.s.d", RM_RUP, 0x3ff0000000400000ULL),
             0x3f800001, NX);
    CHECK_FP(FCVT(D, S, "fcvt.s.d", RM_RNE, 0x3ff8000000000000ULL),
             0x3fc00000, 0);
    CHECK_FP(FCVT(D, S, "fcvt.s.d", RM_RNE, 0x7e37e43c8800759cULL),   /* 1e300 */
             0x7f800000, OF | NX);
    CHECK_FP(FCVT(D, S, "fcvt.s.d", RM_RTZ, 0x7e37e43c8800759cULL),
             0x7f7fffff, OF | NX);
    CHECK_FP(FCVT(D, S, "fcvt.s.d", RM_RNE, 0x358dee7a4ad4b81fULL),   /* 1e-50 */
             0, UF | NX);
    CHECK_FP(FCVT(D, S, "fcvt.s.d", RM_RNE, 0x36a0000000000000ULL),   /* 2^-149 */
             0x00000001, 0);
    CHECK_FP(FCVT(D, S, "fcvt.s.d", RM_RNE, SNAN), 0x7fc00000, NV);
    CHECK_FP(FCVT(D, S, "fcvt.s.d", RM_RNE, QNANP | MZERO), 0x7fc00000, 0);
    CHECK_FP(FCVT(D, S, "fcvt.s.d", RM_RNE, MINF), 0xff800000, 0);
    CHECK_FP(FCVT(D, S, "fcvt.s.d", RM_RNE, MZERO), 0x80000000, 0);

    CHECK_FP(FCVT(S, D, "fcvt.d.s", "", 0x3fc00000), 0x3ff8000000000000ULL, 0);
    CHECK_FP(FCVT(S, D, "fcvt.d.s", "", 0x00000001), 0x36a0000000000000ULL, 0);
    CHECK_FP(FCVT(S, D, "fcvt.d.s", "", 0x7f812345), QNAN, NV);
    CHECK_FP(FCVT(S, D, "fcvt.d.s", "", 0xffc12345), QNAN, 0);
    CHECK_FP(FCVT(S, D, "fcvt.d.s", "", 0xff800000), MINF, 0);

    /* The single result of fcvt.s.d is NaN-boxed; an improperly boxed
     * single input to fcvt.d.s reads as the canonical NaN. */
    asm volatile("fmv.d.x ft0, %1\n fcvt.s.d ft1, ft0\n fmv.x.d %0, ft1"
                 : "=r"(v) : "r"(TWO) : "ft0", "ft1");
    CHECK_EQ(v, 0xffffffff40000000ULL);
    asm volatile("fsflags x0\n fmv.d.x ft0, %1\n fcvt.d.s ft1, ft0\n"
                 "fmv.x.d %0, ft1"
                 : "=r"(v) : "r"(0x0000000040000000ULL) : "ft0", "ft1");
    CHECK_EQ(v, QNAN);
}

static void test_fma(void)
{
    /* a*b = 1 - 2^-60 exactly; a separate fmul.d rounds it to 1.0. */
    const uint64_t a = 0x3ff0000000400000ULL, b = 0x3fefffffff800000ULL;

    CHECK_FP(FOP2(D, "fmul.d", RM_RNE, a, b), ONE, NX);
    CHECK_FP(FOP3(D, "fmadd.d", RM_RNE, a, b, MONE), 0xbc30000000000000ULL, 0);
    CHECK_FP(FOP3(D, "fmsub.d", RM_RNE, a, b, ONE), 0xbc30000000000000ULL, 0);
    CHECK_FP(FOP3(D, "fnmsub.d", RM_RNE, a, b, ONE), 0x3c30000000000000ULL, 0);
    CHECK_FP(FOP3(D, "fnmadd.d", RM_RNE, a, b, MONE), 0x3c30000000000000ULL, 0);
    CHECK_FP(FOP3(D, "fmadd.d", RM_RTZ, a, b, PZERO), 0x3fefffffffffffffULL, NX);
    CHECK_FP(FOP3(D, "fmadd.d", RM_RNE, a, b, PZERO), ONE, NX);
    CHECK_FP(FOP3(D, "fnmsub.d", RM_RDN, a, b, PZERO), MONE, NX);
    CHECK_FP(FOP3(D, "fmadd.d", RM_RDN, MONE, ONE, ONE), MZERO, 0);
    CHECK_FP(FOP3(D, "fmadd.d", RM_RNE, PZERO, MINF, QNANP), QNAN, NV);
    CHECK_FP(FOP3(D, "fnmadd.d", RM_RNE, SNAN, ONE, ONE), QNAN, NV);
    CHECK_FP(FOP3(D, "fmsub.d", RM_RNE, PINF, ONE, PINF), QNAN, NV);
}

static void test_sign_and_moves(void)
{
    static volatile uint64_t slot[2];
    uint64_t v;

    CHECK_FP(FOP2(D, "fsgnj.d", "", ONE, MTWO), MONE, 0);
    CHECK_FP(FOP2(D, "fsgnjn.d", "", MONE, MTWO), ONE, 0);
    CHECK_FP(FOP2(D, "fsgnjx.d", "", MONE, MTWO), ONE, 0);
    CHECK_FP(FOP2(D, "fsgnjn.d", "", SNAN, SNAN), SNAN | MZERO, 0);
    CHECK_FP(FOP1(D, "fabs.d", "", MINF), PINF, 0);

    slot[0] = SNAN;
    asm volatile("fld ft0, 0(%1)\n fsd ft0, 8(%1)\n fmv.x.d %0, ft0"
                 : "=r"(v) : "r"(slot) : "ft0", "memory");
    CHECK_EQ(v, SNAN);
    CHECK_EQ(slot[1], SNAN);
    /* A double register read as single is improperly boxed unless its
     * upper half is all ones. */
    asm volatile("fmv.d.x ft0, %1\n fclass.s %0, ft0" : "=r"(v)
                 : "r"(ONE) : "ft0");
    CHECK_EQ(v, 0x200);
    asm volatile("fmv.d.x ft0, %1\n fclass.s %0, ft0" : "=r"(v)
                 : "r"(0xffffffff00000000ULL) : "ft0");
    CHECK_EQ(v, 1 << 4);

    rt_expect_trap(RT_CAUSE_ILLEGAL_INSN);
    asm volatile(".insn r 0x53, 5, 0x01, ft2, ft0, ft1" ::: "ft2");
    CHECK_TRAPPED(RT_CAUSE_ILLEGAL_INSN);
    /* fmadd.d with rm = 6 */
    rt_expect_trap(RT_CAUSE_ILLEGAL_INSN);
    asm volatile(".insn r4 0x43, 6, 1, ft3, ft0, ft1, ft2" ::: "ft3");
    CHECK_TRAPPED(RT_CAUSE_ILLEGAL_INSN);
}

int main(void)
{
    test_rounding();
    test_flags();
    test_minmax_compare_class();
    test_convert_int();
    test_convert_fmt();
    test_fma();
    test_sign_and_moves();
    return rt_pass("rv64d");
}
