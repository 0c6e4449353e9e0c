/*
 * rv64f - the F extension (unprivileged spec ch. 11) in M-mode.
 *
 * Rounding in every mode, static (rm field) and dynamic (frm), with a tie
 * where RNE and RMM differ; every fflags bit incl. tininess detected after
 * rounding; fcsr/frm/fflags views; canonical NaNs; NaN-boxing of single
 * values in 64-bit registers (improperly boxed inputs read as the canonical
 * NaN, moves and stores pass bits through); fmin/fmax signed zeros and
 * sNaN; comparison flags; fclass; saturating conversions; the four fused
 * multiply-adds with operands where a separate multiply and add would give
 * a different result; sign injection; reserved rounding modes (static rm 5
 * and dynamic frm 5) as illegal instructions; mstatus.FS = Off making FP
 * instructions illegal, and FP writes marking FS Dirty.
 */
#include "rt.h"
#include "fp_util.h"

static uint64_t fl;

#define ONE     0x3f800000
#define MONE    0xbf800000
#define ONE_ULP 0x3f800001   /* 1 + 2^-23 */
#define HALF    0x3f000000
#define TWO     0x40000000
#define MTWO    0xc0000000
#define TIE     0x33800000   /* 2^-24: half an ulp of 1.0 */
#define Q3      0x33c00000   /* 1.5 * 2^-24: three quarters of an ulp */
#define PZERO   0x00000000
#define MZERO   0x80000000
#define PINF    0x7f800000
#define MINF    0xff800000
#define MAXF    0x7f7fffff
#define MINNORM 0x00800000
#define MAXSUB  0x007fffff
#define MINSUB  0x00000001
#define QNAN    0x7fc00000   /* canonical */
#define QNANP   0x7fc12345   /* quiet, with payload */
#define SNAN    0x7f812345

static void test_rounding(void)
{
    /* 1 + 2^-24: exactly halfway between 1.0 and 1 + 2^-23. */
    CHECK_FP(FOP2(S, "fadd.s", RM_RNE, ONE, TIE), ONE, NX);
    CHECK_FP(FOP2(S, "fadd.s", RM_RTZ, ONE, TIE), ONE, NX);
    CHECK_FP(FOP2(S, "fadd.s", RM_RDN, ONE, TIE), ONE, NX);
    CHECK_FP(FOP2(S, "fadd.s", RM_RUP, ONE, TIE), ONE_ULP, NX);
    CHECK_FP(FOP2(S, "fadd.s", RM_RMM, ONE, TIE), ONE_ULP, NX);
    /* Negative tie. */
    CHECK_FP(FOP2(S, "fsub.s", RM_RNE, MONE, TIE), MONE, NX);
    CHECK_FP(FOP2(S, "fsub.s", RM_RTZ, MONE, TIE), MONE, NX);
    CHECK_FP(FOP2(S, "fsub.s", RM_RDN, MONE, TIE), 0xbf800001, NX);
    CHECK_FP(FOP2(S, "fsub.s", RM_RUP, MONE, TIE), MONE, NX);
    CHECK_FP(FOP2(S, "fsub.s", RM_RMM, MONE, TIE), 0xbf800001, NX);
    /* Not a tie: 3/4 ulp above 1.0. */
    CHECK_FP(FOP2(S, "fadd.s", RM_RNE, ONE, Q3), ONE_ULP, NX);
    CHECK_FP(FOP2(S, "fadd.s", RM_RTZ, ONE, Q3), ONE, NX);
    CHECK_FP(FOP2(S, "fadd.s", RM_RDN, ONE, Q3), ONE, NX);
    CHECK_FP(FOP2(S, "fadd.s", RM_RUP, ONE, Q3), ONE_ULP, NX);
    CHECK_FP(FOP2(S, "fadd.s", RM_RMM, ONE, Q3), ONE_ULP, NX);
    /* Exact results raise nothing. */
    CHECK_FP(FOP2(S, "fadd.s", RM_RUP, ONE, ONE), TWO, 0);
    CHECK_FP(FOP2(S, "fmul.s", RM_RNE, 0x40400000, HALF), 0x3fc00000, 0);
    /* 1/3 in each direction. */
    CHECK_FP(FOP2(S, "fdiv.s", RM_RNE, ONE, 0x40400000), 0x3eaaaaab, NX);
    CHECK_FP(FOP2(S, "fdiv.s", RM_RTZ, ONE, 0x40400000), 0x3eaaaaaa, NX);
    CHECK_FP(FOP2(S, "fdiv.s", RM_RUP, ONE, 0x40400000), 0x3eaaaaab, NX);
    CHECK_FP(FOP1(S, "fsqrt.s", RM_RNE, TWO), 0x3fb504f3, NX);
    CHECK_FP(FOP1(S, "fsqrt.s", RM_RDN, TWO), 0x3fb504f3, NX);
    CHECK_FP(FOP1(S, "fsqrt.s", RM_RUP, TWO), 0x3fb504f4, NX);
    CHECK_FP(FOP1(S, "fsqrt.s", RM_RNE, 0x40800000), TWO, 0);
    /* x - x is +0 except in RDN, where it is -0. */
    CHECK_FP(FOP2(S, "fsub.s", RM_RNE, ONE, ONE), PZERO, 0);
    CHECK_FP(FOP2(S, "fsub.s", RM_RDN, ONE, ONE), MZERO, 0);

    /* Dynamic rounding mode from frm. */
    static const struct { uint64_t rm, tie, neg_tie; } dyn[] = {
        { FRM_RNE, ONE, MONE },
        { FRM_RTZ, ONE, MONE },
        { FRM_RDN, ONE, 0xbf800001 },
        { FRM_RUP, ONE_ULP, MONE },
        { FRM_RMM, ONE_ULP, 0xbf800001 },
    };
    for (unsigned i = 0; i < sizeof(dyn) / sizeof(dyn[0]); i++) {
        fp_set_frm(dyn[i].rm);
        CHECK_FP(FOP2(S, "fadd.s", RM_DYN, ONE, TIE), dyn[i].tie, NX);
        CHECK_FP(FOP2(S, "fadd.s", "", MONE, 0xb3800000), dyn[i].neg_tie, NX);
        CHECK_EQ(fp_read_fcsr(), (dyn[i].rm << 5) | NX);
    }
    /* Static rm overrides frm. */
    fp_set_frm(FRM_RUP);
    CHECK_FP(FOP2(S, "fadd.s", RM_RNE, ONE, TIE), ONE, NX);
    fp_set_frm(FRM_RNE);
}

static void test_flags(void)
{
    uint64_t old, v;

    /* Overflow. */
    CHECK_FP(FOP2(S, "fmul.s", RM_RNE, MAXF, TWO), PINF, OF | NX);
    CHECK_FP(FOP2(S, "fmul.s", RM_RTZ, MAXF, TWO), MAXF, OF | NX);
    CHECK_FP(FOP2(S, "fmul.s", RM_RDN, MAXF, TWO), MAXF, OF | NX);
    CHECK_FP(FOP2(S, "fmul.s", RM_RDN, MAXF, MTWO), MINF, OF | NX);
    CHECK_FP(FOP2(S, "fmul.s", RM_RUP, MAXF, MTWO), 0xff7fffff, OF | NX);
    /* Underflow: exact subnormal results raise nothing ... */
    CHECK_FP(FOP2(S, "fmul.s", RM_RNE, MINNORM, HALF), 0x00400000, 0);
    /* ... inexact tiny ones raise UF and NX. */
    CHECK_FP(FOP2(S, "fmul.s", RM_RNE, MINSUB, HALF), PZERO, UF | NX);
    CHECK_FP(FOP2(S, "fmul.s", RM_RUP, MINSUB, HALF), MINSUB, UF | NX);
    CHECK_FP(FOP2(S, "fmul.s", RM_RMM, MINSUB, HALF), MINSUB, UF | NX);
    /* Tininess is detected after rounding: (1 + 2^-23)(2^-126 - 2^-149) =
     * 2^-126 (1 - 2^-46) rounds to the smallest normal, so only NX. */
    CHECK_FP(FOP2(S, "fmul.s", RM_RNE, ONE_ULP, MAXSUB), MINNORM, NX);
    /* Divide by zero. */
    CHECK_FP(FOP2(S, "fdiv.s", RM_RNE, ONE, PZERO), PINF, DZ);
    CHECK_FP(FOP2(S, "fdiv.s", RM_RNE, MONE, PZERO), MINF, DZ);
    CHECK_FP(FOP2(S, "fdiv.s", RM_RNE, ONE, MZERO), MINF, DZ);
    CHECK_FP(FOP2(S, "fdiv.s", RM_RNE, PINF, PZERO), PINF, 0);
    /* Invalid, with canonical NaN results. */
    CHECK_FP(FOP2(S, "fdiv.s", RM_RNE, PZERO, PZERO), QNAN, NV);
    CHECK_FP(FOP2(S, "fsub.s", RM_RNE, PINF, PINF), QNAN, NV);
    CHECK_FP(FOP2(S, "fmul.s", RM_RNE, PZERO, MINF), QNAN, NV);
    CHECK_FP(FOP1(S, "fsqrt.s", RM_RNE, MONE), QNAN, NV);
    CHECK_FP(FOP1(S, "fsqrt.s", RM_RNE, MZERO), MZERO, 0);
    /* NaN inputs: result is the canonical NaN, payload not propagated;
     * only signalling NaNs raise NV. */
    CHECK_FP(FOP2(S, "fadd.s", RM_RNE, QNANP, ONE), QNAN, 0);
    CHECK_FP(FOP2(S, "fadd.s", RM_RNE, ONE, 0xffc00001), QNAN, 0);
    CHECK_FP(FOP2(S, "fmul.s", RM_RNE, SNAN, ONE), QNAN, NV);
    CHECK_FP(FOP1(S, "fsqrt.s", RM_RNE, SNAN), QNAN, NV);

    /* Accrual: flags are sticky across instructions until cleared. */
    asm volatile("fsflags x0\n"
                 "fmv.w.x ft0, %1\n"
                 "fmv.w.x ft1, %2\n"
                 "fdiv.s ft2, ft0, ft1\n"      /* 1/0: DZ */
                 "fadd.s ft2, ft0, ft0\n"      /* exact */
                 "fmv.w.x ft1, %3\n"
                 "fadd.s ft2, ft0, ft1\n"      /* 1 + 2^-24: NX */
                 "frflags %0"
                 : "=r"(v) : "r"(ONE), "r"(PZERO), "r"(TIE)
                 : "ft0", "ft1", "ft2");
    CHECK_EQ(v, DZ | NX);
    /* fsflags returns the old value; fcsr = frm << 5 | fflags. */
    asm volatile("fsflags %0, %1" : "=r"(old) : "r"((uint64_t)(NV | UF)));
    CHECK_EQ(old, DZ | NX);
    asm volatile("fsrm %0, %1" : "=r"(old) : "r"((uint64_t)FRM_RMM));
    CHECK_EQ(old, FRM_RNE);
    CHECK_EQ(fp_read_fcsr(), (FRM_RMM << 5) | NV | UF);
    asm volatile("csrr %0, fcsr" : "=r"(v));
    CHECK_EQ(v, (FRM_RMM << 5) | NV | UF);
    asm volatile("csrr %0, fflags" : "=r"(v));
    CHECK_EQ(v, NV | UF);
    asm volatile("csrr %0, frm" : "=r"(v));
    CHECK_EQ(v, FRM_RMM);
    /* Only 8 bits of fcsr exist; the rest reads as zero. */
    asm volatile("fscsr %0, %1" : "=r"(old) : "r"(0xffffffffUL));
    CHECK_EQ(old, (FRM_RMM << 5) | NV | UF);
    CHECK_EQ(fp_read_fcsr(), 0xff);
    asm volatile("csrwi fflags, 0x1f\n csrr %0, fflags" : "=r"(v));
    CHECK_EQ(v, 0x1f);
    asm volatile("csrci fflags, 0x3\n csrr %0, fcsr" : "=r"(v));
    CHECK_EQ(v, 0xfc);
    asm volatile("csrwi frm, 1\n csrr %0, fcsr" : "=r"(v));
    CHECK_EQ(v, 0x3c);
    asm volatile("fscsr x0");
    CHECK_EQ(fp_read_fcsr(), 0);
}

static void test_nan_boxing(void)
{
    uint64_t v, f;
    static volatile uint64_t slot[2];

    /* Single writes box the value in 64 ones. */
    asm volatile("fmv.w.x ft0, %1\n fmv.x.d %0, ft0" : "=r"(v) : "r"(ONE)
                 : "ft0");
    CHECK_EQ(v, 0xffffffff3f800000ULL);
    slot[0] = 0x1234567840000000ULL;
    asm volatile("flw ft0, 0(%1)\n fmv.x.d %0, ft0" : "=r"(v) : "r"(slot)
                 : "ft0", "memory");
    CHECK_EQ(v, 0xffffffff40000000ULL);
    asm volatile("fmv.w.x ft0, %1\n fadd.s ft1, ft0, ft0\n fmv.x.d %0, ft1"
                 : "=r"(v) : "r"(ONE) : "ft0", "ft1");
    CHECK_EQ(v, 0xffffffff40000000ULL);
    asm volatile("fcvt.s.w ft0, %1\n fmv.x.d %0, ft0" : "=r"(v) : "r"(3L)
                 : "ft0");
    CHECK_EQ(v, 0xffffffff40400000ULL);
    /* fmv.x.w sign-extends the low 32 bits. */
    asm volatile("fmv.w.x ft0, %1\n fmv.x.w %0, ft0" : "=r"(v) : "r"(MONE)
                 : "ft0");
    CHECK_EQ(v, 0xffffffffbf800000ULL);

    /* An improperly boxed operand is the canonical NaN to arithmetic. */
    static const uint64_t bad[] = { 0x000000003f800000ULL,
                                    0xfffffffe3f800000ULL,
                                    0x7fffffff3f800000ULL };
    for (unsigned i = 0; i < 3; i++) {
        asm volatile("fsflags x0\n"
                     "fmv.d.x ft0, %2\n"
                     "fadd.s ft1, ft0, ft0\n"
                     "fmv.x.d %0, ft1\n"
                     "frflags %1"
                     : "=r"(v), "=r"(f) : "r"(bad[i]) : "ft0", "ft1");
        CHECK_EQ(v, 0xffffffff7fc00000ULL);
        CHECK_EQ(f, 0);
        asm volatile("fmv.d.x ft0, %1\n fclass.s %0, ft0" : "=r"(v)
                     : "r"(bad[i]) : "ft0");
        CHECK_EQ(v, 0x200);
        /* Sign injection: the input NaN keeps its bits, gets rs2's sign. */
        asm volatile("fmv.d.x ft0, %1\n"
                     "fmv.w.x ft1, %2\n"
                     "fsgnj.s ft2, ft0, ft1\n"
                     "fmv.x.d %0, ft2"
                     : "=r"(v) : "r"(bad[i]), "r"(MONE) : "ft0", "ft1", "ft2");
        CHECK_EQ(v, 0xffffffffffc00000ULL);
        asm volatile("fsflags x0\n"
                     "fmv.d.x ft0, %2\n"
                     "fmv.w.x ft1, %3\n"
                     "feq.s %0, ft1, ft0\n"
                     "frflags %1"
                     : "=&r"(v), "=r"(f) : "r"(bad[i]), "r"(ONE) : "ft0", "ft1");
        CHECK_EQ(v, 0);
        CHECK_EQ(f, 0);
        asm volatile("fsflags x0\n"
                     "fmv.d.x ft0, %2\n"
                     "fmv.w.x ft1, %3\n"
                     "fmin.s ft2, ft0, ft1\n"
                     "fmv.x.d %0, ft2\n"
                     "frflags %1"
                     : "=r"(v), "=r"(f) : "r"(bad[i]), "r"(TWO)
                     : "ft0", "ft1", "ft2");
        CHECK_EQ(v, 0xffffffff40000000ULL);
        CHECK_EQ(f, 0);
    }
    /* Moves and stores pass the low bits through unchecked. */
    asm volatile("fmv.d.x ft0, %1\n fmv.x.w %0, ft0" : "=r"(v)
                 : "r"(0x00000000bf800000ULL) : "ft0");
    CHECK_EQ(v, 0xffffffffbf800000ULL);
    slot[1] = 0;
    asm volatile("fmv.d.x ft0, %0\n fsw ft0, 8(%1)" : : "r"(0x1234567890abcdefULL),
                 "r"(slot) : "ft0", "memory");
    CHECK_EQ(slot[1], 0x90abcdefULL);
}

static void test_minmax_compare(void)
{
    CHECK_FP(FOP2(S, "fmin.s", "", MZERO, PZERO), MZERO, 0);
    CHECK_FP(FOP2(S, "fmin.s", "", PZERO, MZERO), MZERO, 0);
    CHECK_FP(FOP2(S, "fmax.s", "", MZERO, PZERO), PZERO, 0);
    CHECK_FP(FOP2(S, "fmax.s", "", PZERO, MZERO), PZERO, 0);
    CHECK_FP(FOP2(S, "fmin.s", "", ONE, MINF), MINF, 0);
    CHECK_FP(FOP2(S, "fmax.s", "", ONE, MINF), ONE, 0);
    /* One NaN: the other operand; sNaN also raises NV. */
    CHECK_FP(FOP2(S, "fmin.s", "", QNANP, ONE), ONE, 0);
    CHECK_FP(FOP2(S, "fmax.s", "", ONE, QNANP), ONE, 0);
    CHECK_FP(FOP2(S, "fmin.s", "", SNAN, ONE), ONE, NV);
    CHECK_FP(FOP2(S, "fmax.s", "", MONE, SNAN), MONE, NV);
    /* Both NaN: canonical NaN. */
    CHECK_FP(FOP2(S, "fmin.s", "", QNANP, QNANP), QNAN, 0);
    CHECK_FP(FOP2(S, "fmax.s", "", SNAN, QNANP), QNAN, NV);

    CHECK_FP(FCMP(S, "feq.s", ONE, ONE), 1, 0);
    CHECK_FP(FCMP(S, "feq.s", MZERO, PZERO), 1, 0);
    CHECK_FP(FCMP(S, "flt.s", MZERO, PZERO), 0, 0);
    CHECK_FP(FCMP(S, "fle.s", MZERO, PZERO), 1, 0);
    CHECK_FP(FCMP(S, "flt.s", MINF, PINF), 1, 0);
    CHECK_FP(FCMP(S, "fle.s", PINF, MAXF), 0, 0);
    CHECK_FP(FCMP(S, "flt.s", MONE, ONE), 1, 0);
    /* feq is quiet (NV only for sNaN); flt/fle signal on any NaN. */
    CHECK_FP(FCMP(S, "feq.s", QNAN, QNAN), 0, 0);
    CHECK_FP(FCMP(S, "feq.s", SNAN, ONE), 0, NV);
    CHECK_FP(FCMP(S, "flt.s", QNAN, ONE), 0, NV);
    CHECK_FP(FCMP(S, "fle.s", ONE, QNAN), 0, NV);
    CHECK_FP(FCMP(S, "fle.s", SNAN, SNAN), 0, NV);
}

static void test_fclass(void)
{
    static const struct { uint64_t in, class; } c[] = {
        { MINF, 1 << 0 }, { MONE, 1 << 1 }, { 0x80000001, 1 << 2 },
        { MZERO, 1 << 3 }, { PZERO, 1 << 4 }, { MAXSUB, 1 << 5 },
        { MINNORM, 1 << 6 }, { PINF, 1 << 7 }, { SNAN, 1 << 8 },
        { 0xff800001, 1 << 8 }, { QNAN, 1 << 9 }, { 0xffc00000, 1 << 9 },
    };

    for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++)
        CHECK_FP(FTOI(S, "fclass.s", "", c[i].in), c[i].class, 0);
}

static void test_convert(void)
{
    /* To signed 32: rounding in each mode. */
    CHECK_FP(FTOI(S, "fcvt.w.s", RM_RTZ, 0x406ccccd), 3, NX);       /* 3.7 */
    CHECK_FP(FTOI(S, "fcvt.w.s", RM_RNE, 0x406ccccd), 4, NX);
    CHECK_FP(FTOI(S, "fcvt.w.s", RM_RNE, 0xc0600000), -4ULL, NX);   /* -3.5 */
    CHECK_FP(FTOI(S, "fcvt.w.s", RM_RMM, 0xc0600000), -4ULL, NX);
    CHECK_FP(FTOI(S, "fcvt.w.s", RM_RTZ, 0xc0600000), -3ULL, NX);
    CHECK_FP(FTOI(S, "fcvt.w.s", RM_RUP, 0xc0600000), -3ULL, NX);
    CHECK_FP(FTOI(S, "fcvt.w.s", RM_RDN, 0xc0600000), -4ULL, NX);
    CHECK_FP(FTOI(S, "fcvt.w.s", RM_RNE, 0x40200000), 2, NX);       /* 2.5 */
    CHECK_FP(FTOI(S, "fcvt.w.s", RM_RMM, 0x40200000), 3, NX);
    CHECK_FP(FTOI(S, "fcvt.w.s", RM_RNE, 0x40a00000), 5, 0);
    /* Saturation: NaN and +inf give the maximum, -inf the minimum; the
     * 32-bit result is sign-extended. */
    CHECK_FP(FTOI(S, "fcvt.w.s", RM_RTZ, QNAN), 0x7fffffff, NV);
    CHECK_FP(FTOI(S, "fcvt.w.s", RM_RTZ, SNAN), 0x7fffffff, NV);
    CHECK_FP(FTOI(S, "fcvt.w.s", RM_RTZ, 0xffc00000), 0x7fffffff, NV);
    CHECK_FP(FTOI(S, "fcvt.w.s", RM_RTZ, PINF), 0x7fffffff, NV);
    CHECK_FP(FTOI(S, "fcvt.w.s", RM_RTZ, MINF), 0xffffffff80000000ULL, NV);
    CHECK_FP(FTOI(S, "fcvt.w.s", RM_RTZ, 0x4f32d05e), 0x7fffffff, NV);
    CHECK_FP(FTOI(S, "fcvt.w.s", RM_RTZ, 0xcf000000), 0xffffffff80000000ULL, 0);
    CHECK_FP(FTOI(S, "fcvt.w.s", RM_RTZ, 0x4f000000), 0x7fffffff, NV);
    /* Unsigned 32. */
    CHECK_FP(FTOI(S, "fcvt.wu.s", RM_RTZ, 0x4f32d05e), 0xffffffffb2d05e00ULL, 0);
    CHECK_FP(FTOI(S, "fcvt.wu.s", RM_RTZ, 0x4f800000), 0xffffffffffffffffULL, NV);
    CHECK_FP(FTOI(S, "fcvt.wu.s", RM_RTZ, MONE), 0, NV);
    CHECK_FP(FTOI(S, "fcvt.wu.s", RM_RTZ, 0xbf000000), 0, NX);      /* -0.5 */
    CHECK_FP(FTOI(S, "fcvt.wu.s", RM_RNE, MZERO), 0, 0);
    CHECK_FP(FTOI(S, "fcvt.wu.s", RM_RTZ, QNAN), 0xffffffffffffffffULL, NV);
    CHECK_FP(FTOI(S, "fcvt.wu.s", RM_RTZ, MINF), 0, NV);
    /* 64-bit. */
    CHECK_FP(FTOI(S, "fcvt.l.s", RM_RTZ, 0x5f000000), 0x7fffffffffffffffULL, NV);
    CHECK_FP(FTOI(S, "fcvt.l.s", RM_RTZ, 0xdf000000), 0x8000000000000000ULL, 0);
    CHECK_FP(FTOI(S, "fcvt.l.s", RM_RTZ, QNAN), 0x7fffffffffffffffULL, NV);
    CHECK_FP(FTOI(S, "fcvt.l.s", RM_RTZ, MINF), 0x8000000000000000ULL, NV);
    CHECK_FP(FTOI(S, "fcvt.l.s", RM_RUP, 0x40200000), 3, NX);
    CHECK_FP(FTOI(S, "fcvt.lu.s", RM_RTZ, 0x5f000000), 0x8000000000000000ULL, 0);
    CHECK_FP(FTOI(S, "fcvt.lu.s", RM_RTZ, 0x5f800000), 0xffffffffffffffffULL, NV);
    CHECK_FP(FTOI(S, "fcvt.lu.s", RM_RTZ, MONE), 0, NV);
    CHECK_FP(FTOI(S, "fcvt.lu.s", RM_RTZ, SNAN), 0xffffffffffffffffULL, NV);

    /* From integers. */
    CHECK_FP(ITOF(S, "fcvt.s.w", RM_RNE, 16777217), 0x4b800000, NX);
    CHECK_FP(ITOF(S, "fcvt.s.w", RM_RUP, 16777217), 0x4b800001, NX);
    CHECK_FP(ITOF(S, "fcvt.s.w", RM_RDN, -16777217LL), 0xcb800001, NX);
    CHECK_FP(ITOF(S, "fcvt.s.w", RM_RNE, 0x1234567800000003ULL), 0x40400000, 0);
    CHECK_FP(ITOF(S, "fcvt.s.w", RM_RNE, 0x80000000ULL), 0xcf000000, 0);
    CHECK_FP(ITOF(S, "fcvt.s.w", RM_RNE, 0), PZERO, 0);
    CHECK_FP(ITOF(S, "fcvt.s.wu", RM_RNE, 0xffffffffULL), 0x4f800000, NX);
    CHECK_FP(ITOF(S, "fcvt.s.wu", RM_RTZ, 0xffffffffffffffffULL), 0x4f7fffff, NX);
    CHECK_FP(ITOF(S, "fcvt.s.wu", RM_RNE, 0x80000000ULL), 0x4f000000, 0);
    CHECK_FP(ITOF(S, "fcvt.s.l", RM_RNE, 0x8000000000000000ULL), 0xdf000000, 0);
    CHECK_FP(ITOF(S, "fcvt.s.l", RM_RNE, -1LL), MONE, 0);
    CHECK_FP(ITOF(S, "fcvt.s.lu", RM_RNE, 0xffffffffffffffffULL), 0x5f800000, NX);
    CHECK_FP(ITOF(S, "fcvt.s.lu", RM_RTZ, 0xffffffffffffffffULL), 0x5f7fffff, NX);
}

static void test_fma(void)
{
    /* a*b = 1 - 2^-26 exactly; as a separate fmul it rounds to 1.0. */
    const uint64_t a = 0x3f800400, b = 0x3f7ff800;

    CHECK_FP(FOP2(S, "fmul.s", RM_RNE, a, b), ONE, NX);
    CHECK_FP(FOP3(S, "fmadd.s", RM_RNE, a, b, MONE), 0xb2800000, 0);
    CHECK_FP(FOP3(S, "fmsub.s", RM_RNE, a, b, ONE), 0xb2800000, 0);
    CHECK_FP(FOP3(S, "fnmsub.s", RM_RNE, a, b, ONE), 0x32800000, 0);
    CHECK_FP(FOP3(S, "fnmadd.s", RM_RNE, a, b, MONE), 0x32800000, 0);
    /* Single rounding at the end, in the instruction's mode. */
    CHECK_FP(FOP3(S, "fmadd.s", RM_RNE, a, b, TIE), ONE, NX);
    CHECK_FP(FOP3(S, "fmadd.s", RM_RUP, a, b, TIE), ONE_ULP, NX);
    CHECK_FP(FOP3(S, "fmadd.s", RM_RTZ, a, b, PZERO), 0x3f7fffff, NX);
    CHECK_FP(FOP3(S, "fnmadd.s", RM_RTZ, a, b, PZERO), 0xbf7fffff, NX);
    CHECK_FP(FOP3(S, "fnmadd.s", RM_RDN, a, b, PZERO), MONE, NX);
    /* Exact zero sums: +0 except in RDN. */
    CHECK_FP(FOP3(S, "fmadd.s", RM_RNE, ONE, ONE, MONE), PZERO, 0);
    CHECK_FP(FOP3(S, "fmadd.s", RM_RDN, ONE, ONE, MONE), MZERO, 0);
    /* inf * 0 + c is invalid even when c is a quiet NaN. */
    CHECK_FP(FOP3(S, "fmadd.s", RM_RNE, PINF, PZERO, QNANP), QNAN, NV);
    CHECK_FP(FOP3(S, "fmadd.s", RM_RNE, PINF, PZERO, ONE), QNAN, NV);
    CHECK_FP(FOP3(S, "fmadd.s", RM_RNE, PINF, ONE, MINF), QNAN, NV);
    CHECK_FP(FOP3(S, "fmadd.s", RM_RNE, QNANP, ONE, ONE), QNAN, 0);
    CHECK_FP(FOP3(S, "fmsub.s", RM_RNE, ONE, ONE, SNAN), QNAN, NV);
    CHECK_FP(FOP3(S, "fmadd.s", RM_RNE, MAXF, TWO, MAXF), PINF, OF | NX);
}

static void test_sign_injection(void)
{
    CHECK_FP(FOP2(S, "fsgnj.s", "", ONE, MTWO), MONE, 0);
    CHECK_FP(FOP2(S, "fsgnj.s", "", MONE, TWO), ONE, 0);
    CHECK_FP(FOP2(S, "fsgnjn.s", "", ONE, MTWO), ONE, 0);
    CHECK_FP(FOP2(S, "fsgnjn.s", "", ONE, TWO), MONE, 0);
    CHECK_FP(FOP2(S, "fsgnjx.s", "", MONE, MTWO), ONE, 0);
    CHECK_FP(FOP2(S, "fsgnjx.s", "", MONE, TWO), MONE, 0);
    CHECK_FP(FOP2(S, "fsgnjx.s", "", ONE, MTWO), MONE, 0);
    /* Bit operations: NaNs pass through, no flags even for sNaN. */
    CHECK_FP(FOP2(S, "fsgnjn.s", "", SNAN, SNAN), 0xff812345, 0);
    CHECK_FP(FOP2(S, "fsgnj.s", "", QNANP, MZERO), 0xffc12345, 0);
    CHECK_FP(FOP1(S, "fneg.s", "", PZERO), MZERO, 0);
    CHECK_FP(FOP1(S, "fabs.s", "", MINF), PINF, 0);
    CHECK_FP(FOP1(S, "fmv.s", "", SNAN), SNAN, 0);
}

static void test_illegal(void)
{
    uint64_t v, ms;

    /* Reserved static rounding modes 5 and 6: fadd.s ft2, ft0, ft1. */
    rt_expect_trap(RT_CAUSE_ILLEGAL_INSN);
    asm volatile(".insn r 0x53, 5, 0x00, ft2, ft0, ft1" ::: "ft2");
    CHECK_TRAPPED(RT_CAUSE_ILLEGAL_INSN);
    CHECK_EQ(rt_trap.tval, 0x00105153);
    rt_expect_trap(RT_CAUSE_ILLEGAL_INSN);
    asm volatile(".insn r 0x53, 6, 0x08, ft2, ft0, ft1" ::: "ft2");
    CHECK_TRAPPED(RT_CAUSE_ILLEGAL_INSN);
    /* Dynamic rounding with a reserved frm value. */
    fp_set_frm(5);
    rt_expect_trap(RT_CAUSE_ILLEGAL_INSN);
    asm volatile("fadd.s ft2, ft0, ft1, dyn" ::: "ft2");
    CHECK_TRAPPED(RT_CAUSE_ILLEGAL_INSN);
    /* ... but instructions without a rounding step do not care. */
    asm volatile("fsgnj.s ft2, ft0, ft1\n fmv.x.w %0, ft2" : "=r"(v) : : "ft2");
    fp_set_frm(7);
    rt_expect_trap(RT_CAUSE_ILLEGAL_INSN);
    asm volatile("fmul.s ft2, ft0, ft1, dyn" ::: "ft2");
    CHECK_TRAPPED(RT_CAUSE_ILLEGAL_INSN);
    fp_set_frm(FRM_RNE);

    /* FP state writes mark mstatus.FS Dirty (and SD). */
    RT_CSR_CLEAR(mstatus, RT_MSTATUS_FS_MASK);
    RT_CSR_SET(mstatus, RT_MSTATUS_FS_CLEAN);
    asm volatile("fmv.w.x ft3, %0" : : "r"(TWO) : "ft3");
    ms = RT_CSR_READ(mstatus);
    CHECK_EQ(ms & RT_MSTATUS_FS_MASK, RT_MSTATUS_FS_DIRTY);
    CHECK(ms & RT_MSTATUS_SD);

    /* FS = Off: every FP instruction and FP CSR access is illegal, with
     * the instruction bits in mtval; register contents survive. */
    RT_CSR_CLEAR(mstatus, RT_MSTATUS_FS_MASK);
    CHECK_EQ(RT_CSR_READ(mstatus) & (RT_MSTATUS_FS_MASK | RT_MSTATUS_SD), 0);
    rt_expect_trap(RT_CAUSE_ILLEGAL_INSN);
    asm volatile("fadd.s ft2, ft0, ft1" ::: "ft2");
    CHECK_TRAPPED(RT_CAUSE_ILLEGAL_INSN);
    CHECK_EQ(rt_trap.tval, 0x00107153);
    rt_expect_trap(RT_CAUSE_ILLEGAL_INSN);
    asm volatile("fmv.x.w %0, ft3" : "=r"(v));
    CHECK_TRAPPED(RT_CAUSE_ILLEGAL_INSN);
    rt_expect_trap(RT_CAUSE_ILLEGAL_INSN);
    asm volatile("frcsr %0" : "=r"(v));
    CHECK_TRAPPED(RT_CAUSE_ILLEGAL_INSN);
    rt_expect_trap(RT_CAUSE_ILLEGAL_INSN);
    asm volatile("csrwi fflags, 1");
    CHECK_TRAPPED(RT_CAUSE_ILLEGAL_INSN);
    rt_expect_trap(RT_CAUSE_ILLEGAL_INSN);
    asm volatile("flw ft0, 0(sp)" ::: "ft0");
    CHECK_TRAPPED(RT_CAUSE_ILLEGAL_INSN);
    RT_CSR_SET(mstatus, RT_MSTATUS_FS_INITIAL);
    asm volatile("fmv.x.w %0, ft3" : "=r"(v));
    CHECK_EQ(v, TWO);
}

int main(void)
{
    test_rounding();
    test_flags();
    test_nan_boxing();
    test_minmax_compare();
    test_fclass();
    test_convert();
    test_fma();
    test_sign_injection();
    test_illegal();
    return rt_pass("rv64f");
}
