/*
 * Unit tests of the F and D instructions (exec_fp.c over fpu.c).
 *
 * Every case runs one instruction through its decode-table handler, the way
 * the engine does: the RVInsn is filled from an encoding built out of the
 * table row, operands sit in f1/f2/f3 (or x5 for integer sources) and the
 * result lands in f10 or x10. Each case states the exact result bits and the
 * exact fflags the instruction must raise.
 *
 * The expected values of the arithmetic cases were computed independently
 * of fpu.c, with exact rational arithmetic (Python fractions) following
 * IEEE 754-2019 and the RISC-V F chapter: each rounding mode on ties and
 * near-ties, overflow to infinity or to the largest finite value,
 * tininess detected after rounding, invalid operations, canonical NaNs,
 * NaN-boxing, and the saturating conversions to integers.
 *
 * Further checks: loads and stores through a software-TLB mapping, reserved
 * rounding modes raising illegal-instruction, mstatus.FS dirtying, and an
 * f0 destination (which the decoder hands over as RV_REG_SINK).
 */
#include <stdio.h>
#include <string.h>

#include "tcg/riscv/cpu.h"
#include "tcg/riscv/decode.h"
#include "tcg/riscv/fpu.h"
#include "tests/unit/check.h"

enum { RNE, RTZ, RDN, RUP, RMM, RM5, RM6, DYN };
enum { NX = RV_FFLAG_NX, UF = RV_FFLAG_UF, OF = RV_FFLAG_OF,
       DZ = RV_FFLAG_DZ, NV = RV_FFLAG_NV };

/* A boxed single-precision register value. */
#define S(bits) (0xffffffff00000000ull | (uint32_t)(bits))

typedef struct FpCase {
    const char *op;
    uint8_t rm;          /* rm field (ignored where funct3 is fixed) */
    uint8_t frm;         /* frm, for rm == DYN */
    uint64_t a, b, c;    /* f1, f2, f3; or x5 = a for integer sources */
    uint64_t expect;     /* f10 or x10 afterwards */
    uint32_t flags;      /* fflags afterwards (starting from 0) */
} FpCase;

static const FpCase cases[] = {
    /* ---- generated with exact rational arithmetic (see above) ---- */
    { "fadd.s", RNE, 0, 0xffffffff3f800000, 0xffffffff33800000, 0x0000000000000000,
      0xffffffff3f800000, NX },  /* 1 + half ulp: tie, even is down */
    { "fadd.s", RNE, 0, 0xffffffff3f800001, 0xffffffff33800000, 0x0000000000000000,
      0xffffffff3f800002, NX },  /* (1+ulp) + half ulp: tie, even is up */
    { "fadd.s", RNE, 0, 0xffffffffbf800000, 0xffffffffb3800000, 0x0000000000000000,
      0xffffffffbf800000, NX },  /* -1 - half ulp: negative tie */
    { "fadd.s", RNE, 0, 0xffffffff3f800000, 0xffffffff33c00000, 0x0000000000000000,
      0xffffffff3f800001, NX },  /* 1 + 3/4 ulp: not a tie */
    { "fsub.s", RNE, 0, 0xffffffffbf800000, 0xffffffff32800000, 0x0000000000000000,
      0xffffffffbf800000, NX },  /* -(1 + 1/4 ulp) via fsub */
    { "fadd.d", RNE, 0, 0x3ff0000000000000, 0x3ca0000000000000, 0x0000000000000000,
      0x3ff0000000000000, NX },  /* 1 + half ulp (double) */
    { "fadd.d", RNE, 0, 0xbff0000000000001, 0xbca0000000000000, 0x0000000000000000,
      0xbff0000000000002, NX },  /* -(1+ulp) - half ulp (double) */
    { "fmul.s", RNE, 0, 0xffffffff3f800800, 0xffffffff3f800800, 0x0000000000000000,
      0xffffffff3f801000, NX },  /* (1+2^-12)^2 = 1+2^-11+2^-24: product tie */
    { "fmul.d", RNE, 0, 0x3ff0000002000000, 0xbff0000002000000, 0x0000000000000000,
      0xbff0000004000000, NX },  /* (1+2^-27)^2: product tie (double) */
    { "fdiv.s", RNE, 0, 0xffffffff3f800000, 0xffffffff40400000, 0x0000000000000000,
      0xffffffff3eaaaaab, NX },  /* 1/3 */
    { "fdiv.d", RNE, 0, 0xc000000000000000, 0x4008000000000000, 0x0000000000000000,
      0xbfe5555555555555, NX },  /* -2/3 (double) */
    { "fsqrt.s", RNE, 0, 0xffffffff40000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff3fb504f3, NX },  /* sqrt(2) */
    { "fsqrt.d", RNE, 0, 0x4000000000000000, 0x0000000000000000, 0x0000000000000000,
      0x3ff6a09e667f3bcd, NX },  /* sqrt(2) (double) */
    { "fmadd.s", RNE, 0, 0xffffffff3f800800, 0xffffffff3f800800, 0xffffffff3f800000,
      0xffffffff40000800, NX },  /* fma 1 + (1+2^-12)^2 with one rounding */
    { "fmsub.d", RNE, 0, 0x3ff0000002000000, 0x3ff0000002000000, 0x3ff0000000000000,
      0x3e50000001000000, 0 },  /* fma (1+2^-27)^2 - 1: exact, double rounding would differ */
    { "fnmadd.s", RNE, 0, 0xffffffff40400000, 0xffffffff3eaaaaab, 0xffffffffbf800000,
      0xffffffffb3000000, 0 },  /* fnmadd -(3*(1/3f)) - 1 */
    { "fnmsub.d", RNE, 0, 0x3ff0000000400000, 0x3fefffffff800000, 0x3ff0000000000000,
      0x3c30000000000000, 0 },  /* fnmsub -(a*b)+c near cancellation */
    { "fmul.s", RNE, 0, 0xffffffff7f7fffff, 0xffffffff40000000, 0x0000000000000000,
      0xffffffff7f800000, OF|NX },  /* max*2 overflows */
    { "fmul.s", RNE, 0, 0xffffffffff7fffff, 0xffffffff40000000, 0x0000000000000000,
      0xffffffffff800000, OF|NX },  /* -max*2 overflows */
    { "fadd.d", RNE, 0, 0x7fefffffffffffff, 0x7c90000000000000, 0x0000000000000000,
      0x7ff0000000000000, OF|NX },  /* max + ulp/2 overflows only if rounding up */
    { "fmul.d", RNE, 0, 0xffefffffffffffff, 0x4000000000000000, 0x0000000000000000,
      0xfff0000000000000, OF|NX },  /* -max*2 overflows (double) */
    { "fmul.s", RNE, 0, 0xffffffff3f7fffff, 0xffffffff00800000, 0x0000000000000000,
      0xffffffff00800000, UF|NX },  /* (1-2^-24)*2^-126: rounds to min normal, yet tiny */
    { "fmadd.d", RNE, 0, 0x1e50000000000000, 0x9e50000000000000, 0x0010000000000000,
      0x0010000000000000, NX },  /* 2^-1022 - 2^-1076: rounds to min normal, not tiny in RNE */
    { "fcvt.s.d", RNE, 0, 0x380ffffff0000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff00800000, NX },  /* 2^-126 - 2^-151 from double */
    { "fmul.s", RNE, 0, 0xffffffff00000001, 0xffffffff3f000000, 0x0000000000000000,
      0xffffffff00000000, UF|NX },  /* min subnormal / 2: tie between 0 and min subnormal */
    { "fmul.d", RNE, 0, 0x8000000000000001, 0x3fe8000000000000, 0x0000000000000000,
      0x8000000000000001, UF|NX },  /* -min subnormal * 0.75 */
    { "fcvt.s.d", RNE, 0, 0x7e37e43c8800759c, 0x0000000000000000, 0x0000000000000000,
      0xffffffff7f800000, OF|NX },  /* 1e300 to single overflows */
    { "fcvt.s.d", RNE, 0, 0x3fd5555555555555, 0x0000000000000000, 0x0000000000000000,
      0xffffffff3eaaaaab, NX },  /* 1/3 (double) to single */
    { "fcvt.w.s", RNE, 0, 0xffffffff40200000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000002, NX },  /* 2.5 to int */
    { "fcvt.w.s", RNE, 0, 0xffffffffc0200000, 0x0000000000000000, 0x0000000000000000,
      0xfffffffffffffffe, NX },  /* -2.5 to int */
    { "fcvt.wu.s", RNE, 0, 0xffffffffbf000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NX },  /* -0.5 to unsigned: 0 unless rounded to -1 */
    { "fcvt.wu.d", RNE, 0, 0xbfd3333333333333, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NX },  /* -0.3 to unsigned */
    { "fcvt.lu.s", RNE, 0, 0xffffffffbf400000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NV },  /* -0.75 to unsigned long */
    { "fcvt.w.d", RNE, 0, 0x41dfffffffe00000, 0x0000000000000000, 0x0000000000000000,
      0x000000007fffffff, NV },  /* 2147483647.5 to int: in range only when rounding down */
    { "fcvt.w.d", RNE, 0, 0xc1e0000000100000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff80000000, NX },  /* -2147483648.5 to int */
    { "fcvt.wu.d", RNE, 0, 0x41effffffff00000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NV },  /* 4294967295.5 to unsigned */
    { "fcvt.l.d", RNE, 0, 0x4330000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0010000000000000, 0 },  /* 2^52 + 0.5 to long: tie */
    { "fcvt.l.d", RNE, 0, 0xc330000000000002, 0x0000000000000000, 0x0000000000000000,
      0xffeffffffffffffe, 0 },  /* -(2^52+1.5) to long */
    { "fcvt.lu.d", RNE, 0, 0x3ff8000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000002, NX },  /* 1.5 to unsigned long */
    { "fcvt.s.w", RNE, 0, 0x0000000001000001, 0x0000000000000000, 0x0000000000000000,
      0xffffffff4b800000, NX },  /* 2^24+1 to single: tie */
    { "fcvt.s.wu", RNE, 0, 0x0000000001000003, 0x0000000000000000, 0x0000000000000000,
      0xffffffff4b800002, NX },  /* 2^24+3 to single: tie upwards in RNE */
    { "fcvt.s.l", RNE, 0, 0xfffffffffeffffff, 0x0000000000000000, 0x0000000000000000,
      0xffffffffcb800000, NX },  /* -(2^24+1) from a long */
    { "fcvt.s.lu", RNE, 0, 0xffffffffffffffff, 0x0000000000000000, 0x0000000000000000,
      0xffffffff5f800000, NX },  /* UINT64_MAX to single */
    { "fcvt.d.l", RNE, 0, 0x0020000000000001, 0x0000000000000000, 0x0000000000000000,
      0x4340000000000000, NX },  /* 2^53+1 to double: tie */
    { "fcvt.d.l", RNE, 0, 0xffdffffffffffffd, 0x0000000000000000, 0x0000000000000000,
      0xc340000000000002, NX },  /* -(2^53+3) to double */
    { "fcvt.d.lu", RNE, 0, 0xffffffffffffffff, 0x0000000000000000, 0x0000000000000000,
      0x43f0000000000000, NX },  /* UINT64_MAX to double */
    { "fadd.s", RTZ, 0, 0xffffffff3f800000, 0xffffffff33800000, 0x0000000000000000,
      0xffffffff3f800000, NX },  /* 1 + half ulp: tie, even is down */
    { "fadd.s", RTZ, 0, 0xffffffff3f800001, 0xffffffff33800000, 0x0000000000000000,
      0xffffffff3f800001, NX },  /* (1+ulp) + half ulp: tie, even is up */
    { "fadd.s", RTZ, 0, 0xffffffffbf800000, 0xffffffffb3800000, 0x0000000000000000,
      0xffffffffbf800000, NX },  /* -1 - half ulp: negative tie */
    { "fadd.s", RTZ, 0, 0xffffffff3f800000, 0xffffffff33c00000, 0x0000000000000000,
      0xffffffff3f800000, NX },  /* 1 + 3/4 ulp: not a tie */
    { "fsub.s", RTZ, 0, 0xffffffffbf800000, 0xffffffff32800000, 0x0000000000000000,
      0xffffffffbf800000, NX },  /* -(1 + 1/4 ulp) via fsub */
    { "fadd.d", RTZ, 0, 0x3ff0000000000000, 0x3ca0000000000000, 0x0000000000000000,
      0x3ff0000000000000, NX },  /* 1 + half ulp (double) */
    { "fadd.d", RTZ, 0, 0xbff0000000000001, 0xbca0000000000000, 0x0000000000000000,
      0xbff0000000000001, NX },  /* -(1+ulp) - half ulp (double) */
    { "fmul.s", RTZ, 0, 0xffffffff3f800800, 0xffffffff3f800800, 0x0000000000000000,
      0xffffffff3f801000, NX },  /* (1+2^-12)^2 = 1+2^-11+2^-24: product tie */
    { "fmul.d", RTZ, 0, 0x3ff0000002000000, 0xbff0000002000000, 0x0000000000000000,
      0xbff0000004000000, NX },  /* (1+2^-27)^2: product tie (double) */
    { "fdiv.s", RTZ, 0, 0xffffffff3f800000, 0xffffffff40400000, 0x0000000000000000,
      0xffffffff3eaaaaaa, NX },  /* 1/3 */
    { "fdiv.d", RTZ, 0, 0xc000000000000000, 0x4008000000000000, 0x0000000000000000,
      0xbfe5555555555555, NX },  /* -2/3 (double) */
    { "fsqrt.s", RTZ, 0, 0xffffffff40000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff3fb504f3, NX },  /* sqrt(2) */
    { "fsqrt.d", RTZ, 0, 0x4000000000000000, 0x0000000000000000, 0x0000000000000000,
      0x3ff6a09e667f3bcc, NX },  /* sqrt(2) (double) */
    { "fmadd.s", RTZ, 0, 0xffffffff3f800800, 0xffffffff3f800800, 0xffffffff3f800000,
      0xffffffff40000800, NX },  /* fma 1 + (1+2^-12)^2 with one rounding */
    { "fmsub.d", RTZ, 0, 0x3ff0000002000000, 0x3ff0000002000000, 0x3ff0000000000000,
      0x3e50000001000000, 0 },  /* fma (1+2^-27)^2 - 1: exact, double rounding would differ */
    { "fnmadd.s", RTZ, 0, 0xffffffff40400000, 0xffffffff3eaaaaab, 0xffffffffbf800000,
      0xffffffffb3000000, 0 },  /* fnmadd -(3*(1/3f)) - 1 */
    { "fnmsub.d", RTZ, 0, 0x3ff0000000400000, 0x3fefffffff800000, 0x3ff0000000000000,
      0x3c30000000000000, 0 },  /* fnmsub -(a*b)+c near cancellation */
    { "fmul.s", RTZ, 0, 0xffffffff7f7fffff, 0xffffffff40000000, 0x0000000000000000,
      0xffffffff7f7fffff, OF|NX },  /* max*2 overflows */
    { "fmul.s", RTZ, 0, 0xffffffffff7fffff, 0xffffffff40000000, 0x0000000000000000,
      0xffffffffff7fffff, OF|NX },  /* -max*2 overflows */
    { "fadd.d", RTZ, 0, 0x7fefffffffffffff, 0x7c90000000000000, 0x0000000000000000,
      0x7fefffffffffffff, NX },  /* max + ulp/2 overflows only if rounding up */
    { "fmul.d", RTZ, 0, 0xffefffffffffffff, 0x4000000000000000, 0x0000000000000000,
      0xffefffffffffffff, OF|NX },  /* -max*2 overflows (double) */
    { "fmul.s", RTZ, 0, 0xffffffff3f7fffff, 0xffffffff00800000, 0x0000000000000000,
      0xffffffff007fffff, UF|NX },  /* (1-2^-24)*2^-126: rounds to min normal, yet tiny */
    { "fmadd.d", RTZ, 0, 0x1e50000000000000, 0x9e50000000000000, 0x0010000000000000,
      0x000fffffffffffff, UF|NX },  /* 2^-1022 - 2^-1076: rounds to min normal, not tiny in RNE */
    { "fcvt.s.d", RTZ, 0, 0x380ffffff0000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff007fffff, UF|NX },  /* 2^-126 - 2^-151 from double */
    { "fmul.s", RTZ, 0, 0xffffffff00000001, 0xffffffff3f000000, 0x0000000000000000,
      0xffffffff00000000, UF|NX },  /* min subnormal / 2: tie between 0 and min subnormal */
    { "fmul.d", RTZ, 0, 0x8000000000000001, 0x3fe8000000000000, 0x0000000000000000,
      0x8000000000000000, UF|NX },  /* -min subnormal * 0.75 */
    { "fcvt.s.d", RTZ, 0, 0x7e37e43c8800759c, 0x0000000000000000, 0x0000000000000000,
      0xffffffff7f7fffff, OF|NX },  /* 1e300 to single overflows */
    { "fcvt.s.d", RTZ, 0, 0x3fd5555555555555, 0x0000000000000000, 0x0000000000000000,
      0xffffffff3eaaaaaa, NX },  /* 1/3 (double) to single */
    { "fcvt.w.s", RTZ, 0, 0xffffffff40200000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000002, NX },  /* 2.5 to int */
    { "fcvt.w.s", RTZ, 0, 0xffffffffc0200000, 0x0000000000000000, 0x0000000000000000,
      0xfffffffffffffffe, NX },  /* -2.5 to int */
    { "fcvt.wu.s", RTZ, 0, 0xffffffffbf000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NX },  /* -0.5 to unsigned: 0 unless rounded to -1 */
    { "fcvt.wu.d", RTZ, 0, 0xbfd3333333333333, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NX },  /* -0.3 to unsigned */
    { "fcvt.lu.s", RTZ, 0, 0xffffffffbf400000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NX },  /* -0.75 to unsigned long */
    { "fcvt.w.d", RTZ, 0, 0x41dfffffffe00000, 0x0000000000000000, 0x0000000000000000,
      0x000000007fffffff, NX },  /* 2147483647.5 to int: in range only when rounding down */
    { "fcvt.w.d", RTZ, 0, 0xc1e0000000100000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff80000000, NX },  /* -2147483648.5 to int */
    { "fcvt.wu.d", RTZ, 0, 0x41effffffff00000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NX },  /* 4294967295.5 to unsigned */
    { "fcvt.l.d", RTZ, 0, 0x4330000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0010000000000000, 0 },  /* 2^52 + 0.5 to long: tie */
    { "fcvt.l.d", RTZ, 0, 0xc330000000000002, 0x0000000000000000, 0x0000000000000000,
      0xffeffffffffffffe, 0 },  /* -(2^52+1.5) to long */
    { "fcvt.lu.d", RTZ, 0, 0x3ff8000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000001, NX },  /* 1.5 to unsigned long */
    { "fcvt.s.w", RTZ, 0, 0x0000000001000001, 0x0000000000000000, 0x0000000000000000,
      0xffffffff4b800000, NX },  /* 2^24+1 to single: tie */
    { "fcvt.s.wu", RTZ, 0, 0x0000000001000003, 0x0000000000000000, 0x0000000000000000,
      0xffffffff4b800001, NX },  /* 2^24+3 to single: tie upwards in RNE */
    { "fcvt.s.l", RTZ, 0, 0xfffffffffeffffff, 0x0000000000000000, 0x0000000000000000,
      0xffffffffcb800000, NX },  /* -(2^24+1) from a long */
    { "fcvt.s.lu", RTZ, 0, 0xffffffffffffffff, 0x0000000000000000, 0x0000000000000000,
      0xffffffff5f7fffff, NX },  /* UINT64_MAX to single */
    { "fcvt.d.l", RTZ, 0, 0x0020000000000001, 0x0000000000000000, 0x0000000000000000,
      0x4340000000000000, NX },  /* 2^53+1 to double: tie */
    { "fcvt.d.l", RTZ, 0, 0xffdffffffffffffd, 0x0000000000000000, 0x0000000000000000,
      0xc340000000000001, NX },  /* -(2^53+3) to double */
    { "fcvt.d.lu", RTZ, 0, 0xffffffffffffffff, 0x0000000000000000, 0x0000000000000000,
      0x43efffffffffffff, NX },  /* UINT64_MAX to double */
    { "fadd.s", RDN, 0, 0xffffffff3f800000, 0xffffffff33800000, 0x0000000000000000,
      0xffffffff3f800000, NX },  /* 1 + half ulp: tie, even is down */
    { "fadd.s", RDN, 0, 0xffffffff3f800001, 0xffffffff33800000, 0x0000000000000000,
      0xffffffff3f800001, NX },  /* (1+ulp) + half ulp: tie, even is up */
    { "fadd.s", RDN, 0, 0xffffffffbf800000, 0xffffffffb3800000, 0x0000000000000000,
      0xffffffffbf800001, NX },  /* -1 - half ulp: negative tie */
    { "fadd.s", RDN, 0, 0xffffffff3f800000, 0xffffffff33c00000, 0x0000000000000000,
      0xffffffff3f800000, NX },  /* 1 + 3/4 ulp: not a tie */
    { "fsub.s", RDN, 0, 0xffffffffbf800000, 0xffffffff32800000, 0x0000000000000000,
      0xffffffffbf800001, NX },  /* -(1 + 1/4 ulp) via fsub */
    { "fadd.d", RDN, 0, 0x3ff0000000000000, 0x3ca0000000000000, 0x0000000000000000,
      0x3ff0000000000000, NX },  /* 1 + half ulp (double) */
    { "fadd.d", RDN, 0, 0xbff0000000000001, 0xbca0000000000000, 0x0000000000000000,
      0xbff0000000000002, NX },  /* -(1+ulp) - half ulp (double) */
    { "fmul.s", RDN, 0, 0xffffffff3f800800, 0xffffffff3f800800, 0x0000000000000000,
      0xffffffff3f801000, NX },  /* (1+2^-12)^2 = 1+2^-11+2^-24: product tie */
    { "fmul.d", RDN, 0, 0x3ff0000002000000, 0xbff0000002000000, 0x0000000000000000,
      0xbff0000004000001, NX },  /* (1+2^-27)^2: product tie (double) */
    { "fdiv.s", RDN, 0, 0xffffffff3f800000, 0xffffffff40400000, 0x0000000000000000,
      0xffffffff3eaaaaaa, NX },  /* 1/3 */
    { "fdiv.d", RDN, 0, 0xc000000000000000, 0x4008000000000000, 0x0000000000000000,
      0xbfe5555555555556, NX },  /* -2/3 (double) */
    { "fsqrt.s", RDN, 0, 0xffffffff40000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff3fb504f3, NX },  /* sqrt(2) */
    { "fsqrt.d", RDN, 0, 0x4000000000000000, 0x0000000000000000, 0x0000000000000000,
      0x3ff6a09e667f3bcc, NX },  /* sqrt(2) (double) */
    { "fmadd.s", RDN, 0, 0xffffffff3f800800, 0xffffffff3f800800, 0xffffffff3f800000,
      0xffffffff40000800, NX },  /* fma 1 + (1+2^-12)^2 with one rounding */
    { "fmsub.d", RDN, 0, 0x3ff0000002000000, 0x3ff0000002000000, 0x3ff0000000000000,
      0x3e50000001000000, 0 },  /* fma (1+2^-27)^2 - 1: exact, double rounding would differ */
    { "fnmadd.s", RDN, 0, 0xffffffff40400000, 0xffffffff3eaaaaab, 0xffffffffbf800000,
      0xffffffffb3000000, 0 },  /* fnmadd -(3*(1/3f)) - 1 */
    { "fnmsub.d", RDN, 0, 0x3ff0000000400000, 0x3fefffffff800000, 0x3ff0000000000000,
      0x3c30000000000000, 0 },  /* fnmsub -(a*b)+c near cancellation */
    { "fmul.s", RDN, 0, 0xffffffff7f7fffff, 0xffffffff40000000, 0x0000000000000000,
      0xffffffff7f7fffff, OF|NX },  /* max*2 overflows */
    { "fmul.s", RDN, 0, 0xffffffffff7fffff, 0xffffffff40000000, 0x0000000000000000,
      0xffffffffff800000, OF|NX },  /* -max*2 overflows */
    { "fadd.d", RDN, 0, 0x7fefffffffffffff, 0x7c90000000000000, 0x0000000000000000,
      0x7fefffffffffffff, NX },  /* max + ulp/2 overflows only if rounding up */
    { "fmul.d", RDN, 0, 0xffefffffffffffff, 0x4000000000000000, 0x0000000000000000,
      0xfff0000000000000, OF|NX },  /* -max*2 overflows (double) */
    { "fmul.s", RDN, 0, 0xffffffff3f7fffff, 0xffffffff00800000, 0x0000000000000000,
      0xffffffff007fffff, UF|NX },  /* (1-2^-24)*2^-126: rounds to min normal, yet tiny */
    { "fmadd.d", RDN, 0, 0x1e50000000000000, 0x9e50000000000000, 0x0010000000000000,
      0x000fffffffffffff, UF|NX },  /* 2^-1022 - 2^-1076: rounds to min normal, not tiny in RNE */
    { "fcvt.s.d", RDN, 0, 0x380ffffff0000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff007fffff, UF|NX },  /* 2^-126 - 2^-151 from double */
    { "fmul.s", RDN, 0, 0xffffffff00000001, 0xffffffff3f000000, 0x0000000000000000,
      0xffffffff00000000, UF|NX },  /* min subnormal / 2: tie between 0 and min subnormal */
    { "fmul.d", RDN, 0, 0x8000000000000001, 0x3fe8000000000000, 0x0000000000000000,
      0x8000000000000001, UF|NX },  /* -min subnormal * 0.75 */
    { "fcvt.s.d", RDN, 0, 0x7e37e43c8800759c, 0x0000000000000000, 0x0000000000000000,
      0xffffffff7f7fffff, OF|NX },  /* 1e300 to single overflows */
    { "fcvt.s.d", RDN, 0, 0x3fd5555555555555, 0x0000000000000000, 0x0000000000000000,
      0xffffffff3eaaaaaa, NX },  /* 1/3 (double) to single */
    { "fcvt.w.s", RDN, 0, 0xffffffff40200000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000002, NX },  /* 2.5 to int */
    { "fcvt.w.s", RDN, 0, 0xffffffffc0200000, 0x0000000000000000, 0x0000000000000000,
      0xfffffffffffffffd, NX },  /* -2.5 to int */
    { "fcvt.wu.s", RDN, 0, 0xffffffffbf000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NV },  /* -0.5 to unsigned: 0 unless rounded to -1 */
    { "fcvt.wu.d", RDN, 0, 0xbfd3333333333333, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NV },  /* -0.3 to unsigned */
    { "fcvt.lu.s", RDN, 0, 0xffffffffbf400000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NV },  /* -0.75 to unsigned long */
    { "fcvt.w.d", RDN, 0, 0x41dfffffffe00000, 0x0000000000000000, 0x0000000000000000,
      0x000000007fffffff, NX },  /* 2147483647.5 to int: in range only when rounding down */
    { "fcvt.w.d", RDN, 0, 0xc1e0000000100000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff80000000, NV },  /* -2147483648.5 to int */
    { "fcvt.wu.d", RDN, 0, 0x41effffffff00000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NX },  /* 4294967295.5 to unsigned */
    { "fcvt.l.d", RDN, 0, 0x4330000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0010000000000000, 0 },  /* 2^52 + 0.5 to long: tie */
    { "fcvt.l.d", RDN, 0, 0xc330000000000002, 0x0000000000000000, 0x0000000000000000,
      0xffeffffffffffffe, 0 },  /* -(2^52+1.5) to long */
    { "fcvt.lu.d", RDN, 0, 0x3ff8000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000001, NX },  /* 1.5 to unsigned long */
    { "fcvt.s.w", RDN, 0, 0x0000000001000001, 0x0000000000000000, 0x0000000000000000,
      0xffffffff4b800000, NX },  /* 2^24+1 to single: tie */
    { "fcvt.s.wu", RDN, 0, 0x0000000001000003, 0x0000000000000000, 0x0000000000000000,
      0xffffffff4b800001, NX },  /* 2^24+3 to single: tie upwards in RNE */
    { "fcvt.s.l", RDN, 0, 0xfffffffffeffffff, 0x0000000000000000, 0x0000000000000000,
      0xffffffffcb800001, NX },  /* -(2^24+1) from a long */
    { "fcvt.s.lu", RDN, 0, 0xffffffffffffffff, 0x0000000000000000, 0x0000000000000000,
      0xffffffff5f7fffff, NX },  /* UINT64_MAX to single */
    { "fcvt.d.l", RDN, 0, 0x0020000000000001, 0x0000000000000000, 0x0000000000000000,
      0x4340000000000000, NX },  /* 2^53+1 to double: tie */
    { "fcvt.d.l", RDN, 0, 0xffdffffffffffffd, 0x0000000000000000, 0x0000000000000000,
      0xc340000000000002, NX },  /* -(2^53+3) to double */
    { "fcvt.d.lu", RDN, 0, 0xffffffffffffffff, 0x0000000000000000, 0x0000000000000000,
      0x43efffffffffffff, NX },  /* UINT64_MAX to double */
    { "fadd.s", RUP, 0, 0xffffffff3f800000, 0xffffffff33800000, 0x0000000000000000,
      0xffffffff3f800001, NX },  /* 1 + half ulp: tie, even is down */
    { "fadd.s", RUP, 0, 0xffffffff3f800001, 0xffffffff33800000, 0x0000000000000000,
      0xffffffff3f800002, NX },  /* (1+ulp) + half ulp: tie, even is up */
    { "fadd.s", RUP, 0, 0xffffffffbf800000, 0xffffffffb3800000, 0x0000000000000000,
      0xffffffffbf800000, NX },  /* -1 - half ulp: negative tie */
    { "fadd.s", RUP, 0, 0xffffffff3f800000, 0xffffffff33c00000, 0x0000000000000000,
      0xffffffff3f800001, NX },  /* 1 + 3/4 ulp: not a tie */
    { "fsub.s", RUP, 0, 0xffffffffbf800000, 0xffffffff32800000, 0x0000000000000000,
      0xffffffffbf800000, NX },  /* -(1 + 1/4 ulp) via fsub */
    { "fadd.d", RUP, 0, 0x3ff0000000000000, 0x3ca0000000000000, 0x0000000000000000,
      0x3ff0000000000001, NX },  /* 1 + half ulp (double) */
    { "fadd.d", RUP, 0, 0xbff0000000000001, 0xbca0000000000000, 0x0000000000000000,
      0xbff0000000000001, NX },  /* -(1+ulp) - half ulp (double) */
    { "fmul.s", RUP, 0, 0xffffffff3f800800, 0xffffffff3f800800, 0x0000000000000000,
      0xffffffff3f801001, NX },  /* (1+2^-12)^2 = 1+2^-11+2^-24: product tie */
    { "fmul.d", RUP, 0, 0x3ff0000002000000, 0xbff0000002000000, 0x0000000000000000,
      0xbff0000004000000, NX },  /* (1+2^-27)^2: product tie (double) */
    { "fdiv.s", RUP, 0, 0xffffffff3f800000, 0xffffffff40400000, 0x0000000000000000,
      0xffffffff3eaaaaab, NX },  /* 1/3 */
    { "fdiv.d", RUP, 0, 0xc000000000000000, 0x4008000000000000, 0x0000000000000000,
      0xbfe5555555555555, NX },  /* -2/3 (double) */
    { "fsqrt.s", RUP, 0, 0xffffffff40000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff3fb504f4, NX },  /* sqrt(2) */
    { "fsqrt.d", RUP, 0, 0x4000000000000000, 0x0000000000000000, 0x0000000000000000,
      0x3ff6a09e667f3bcd, NX },  /* sqrt(2) (double) */
    { "fmadd.s", RUP, 0, 0xffffffff3f800800, 0xffffffff3f800800, 0xffffffff3f800000,
      0xffffffff40000801, NX },  /* fma 1 + (1+2^-12)^2 with one rounding */
    { "fmsub.d", RUP, 0, 0x3ff0000002000000, 0x3ff0000002000000, 0x3ff0000000000000,
      0x3e50000001000000, 0 },  /* fma (1+2^-27)^2 - 1: exact, double rounding would differ */
    { "fnmadd.s", RUP, 0, 0xffffffff40400000, 0xffffffff3eaaaaab, 0xffffffffbf800000,
      0xffffffffb3000000, 0 },  /* fnmadd -(3*(1/3f)) - 1 */
    { "fnmsub.d", RUP, 0, 0x3ff0000000400000, 0x3fefffffff800000, 0x3ff0000000000000,
      0x3c30000000000000, 0 },  /* fnmsub -(a*b)+c near cancellation */
    { "fmul.s", RUP, 0, 0xffffffff7f7fffff, 0xffffffff40000000, 0x0000000000000000,
      0xffffffff7f800000, OF|NX },  /* max*2 overflows */
    { "fmul.s", RUP, 0, 0xffffffffff7fffff, 0xffffffff40000000, 0x0000000000000000,
      0xffffffffff7fffff, OF|NX },  /* -max*2 overflows */
    { "fadd.d", RUP, 0, 0x7fefffffffffffff, 0x7c90000000000000, 0x0000000000000000,
      0x7ff0000000000000, OF|NX },  /* max + ulp/2 overflows only if rounding up */
    { "fmul.d", RUP, 0, 0xffefffffffffffff, 0x4000000000000000, 0x0000000000000000,
      0xffefffffffffffff, OF|NX },  /* -max*2 overflows (double) */
    { "fmul.s", RUP, 0, 0xffffffff3f7fffff, 0xffffffff00800000, 0x0000000000000000,
      0xffffffff00800000, UF|NX },  /* (1-2^-24)*2^-126: rounds to min normal, yet tiny */
    { "fmadd.d", RUP, 0, 0x1e50000000000000, 0x9e50000000000000, 0x0010000000000000,
      0x0010000000000000, NX },  /* 2^-1022 - 2^-1076: rounds to min normal, not tiny in RNE */
    { "fcvt.s.d", RUP, 0, 0x380ffffff0000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff00800000, NX },  /* 2^-126 - 2^-151 from double */
    { "fmul.s", RUP, 0, 0xffffffff00000001, 0xffffffff3f000000, 0x0000000000000000,
      0xffffffff00000001, UF|NX },  /* min subnormal / 2: tie between 0 and min subnormal */
    { "fmul.d", RUP, 0, 0x8000000000000001, 0x3fe8000000000000, 0x0000000000000000,
      0x8000000000000000, UF|NX },  /* -min subnormal * 0.75 */
    { "fcvt.s.d", RUP, 0, 0x7e37e43c8800759c, 0x0000000000000000, 0x0000000000000000,
      0xffffffff7f800000, OF|NX },  /* 1e300 to single overflows */
    { "fcvt.s.d", RUP, 0, 0x3fd5555555555555, 0x0000000000000000, 0x0000000000000000,
      0xffffffff3eaaaaab, NX },  /* 1/3 (double) to single */
    { "fcvt.w.s", RUP, 0, 0xffffffff40200000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000003, NX },  /* 2.5 to int */
    { "fcvt.w.s", RUP, 0, 0xffffffffc0200000, 0x0000000000000000, 0x0000000000000000,
      0xfffffffffffffffe, NX },  /* -2.5 to int */
    { "fcvt.wu.s", RUP, 0, 0xffffffffbf000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NX },  /* -0.5 to unsigned: 0 unless rounded to -1 */
    { "fcvt.wu.d", RUP, 0, 0xbfd3333333333333, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NX },  /* -0.3 to unsigned */
    { "fcvt.lu.s", RUP, 0, 0xffffffffbf400000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NX },  /* -0.75 to unsigned long */
    { "fcvt.w.d", RUP, 0, 0x41dfffffffe00000, 0x0000000000000000, 0x0000000000000000,
      0x000000007fffffff, NV },  /* 2147483647.5 to int: in range only when rounding down */
    { "fcvt.w.d", RUP, 0, 0xc1e0000000100000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff80000000, NX },  /* -2147483648.5 to int */
    { "fcvt.wu.d", RUP, 0, 0x41effffffff00000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NV },  /* 4294967295.5 to unsigned */
    { "fcvt.l.d", RUP, 0, 0x4330000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0010000000000000, 0 },  /* 2^52 + 0.5 to long: tie */
    { "fcvt.l.d", RUP, 0, 0xc330000000000002, 0x0000000000000000, 0x0000000000000000,
      0xffeffffffffffffe, 0 },  /* -(2^52+1.5) to long */
    { "fcvt.lu.d", RUP, 0, 0x3ff8000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000002, NX },  /* 1.5 to unsigned long */
    { "fcvt.s.w", RUP, 0, 0x0000000001000001, 0x0000000000000000, 0x0000000000000000,
      0xffffffff4b800001, NX },  /* 2^24+1 to single: tie */
    { "fcvt.s.wu", RUP, 0, 0x0000000001000003, 0x0000000000000000, 0x0000000000000000,
      0xffffffff4b800002, NX },  /* 2^24+3 to single: tie upwards in RNE */
    { "fcvt.s.l", RUP, 0, 0xfffffffffeffffff, 0x0000000000000000, 0x0000000000000000,
      0xffffffffcb800000, NX },  /* -(2^24+1) from a long */
    { "fcvt.s.lu", RUP, 0, 0xffffffffffffffff, 0x0000000000000000, 0x0000000000000000,
      0xffffffff5f800000, NX },  /* UINT64_MAX to single */
    { "fcvt.d.l", RUP, 0, 0x0020000000000001, 0x0000000000000000, 0x0000000000000000,
      0x4340000000000001, NX },  /* 2^53+1 to double: tie */
    { "fcvt.d.l", RUP, 0, 0xffdffffffffffffd, 0x0000000000000000, 0x0000000000000000,
      0xc340000000000001, NX },  /* -(2^53+3) to double */
    { "fcvt.d.lu", RUP, 0, 0xffffffffffffffff, 0x0000000000000000, 0x0000000000000000,
      0x43f0000000000000, NX },  /* UINT64_MAX to double */
    { "fadd.s", RMM, 0, 0xffffffff3f800000, 0xffffffff33800000, 0x0000000000000000,
      0xffffffff3f800001, NX },  /* 1 + half ulp: tie, even is down */
    { "fadd.s", RMM, 0, 0xffffffff3f800001, 0xffffffff33800000, 0x0000000000000000,
      0xffffffff3f800002, NX },  /* (1+ulp) + half ulp: tie, even is up */
    { "fadd.s", RMM, 0, 0xffffffffbf800000, 0xffffffffb3800000, 0x0000000000000000,
      0xffffffffbf800001, NX },  /* -1 - half ulp: negative tie */
    { "fadd.s", RMM, 0, 0xffffffff3f800000, 0xffffffff33c00000, 0x0000000000000000,
      0xffffffff3f800001, NX },  /* 1 + 3/4 ulp: not a tie */
    { "fsub.s", RMM, 0, 0xffffffffbf800000, 0xffffffff32800000, 0x0000000000000000,
      0xffffffffbf800000, NX },  /* -(1 + 1/4 ulp) via fsub */
    { "fadd.d", RMM, 0, 0x3ff0000000000000, 0x3ca0000000000000, 0x0000000000000000,
      0x3ff0000000000001, NX },  /* 1 + half ulp (double) */
    { "fadd.d", RMM, 0, 0xbff0000000000001, 0xbca0000000000000, 0x0000000000000000,
      0xbff0000000000002, NX },  /* -(1+ulp) - half ulp (double) */
    { "fmul.s", RMM, 0, 0xffffffff3f800800, 0xffffffff3f800800, 0x0000000000000000,
      0xffffffff3f801001, NX },  /* (1+2^-12)^2 = 1+2^-11+2^-24: product tie */
    { "fmul.d", RMM, 0, 0x3ff0000002000000, 0xbff0000002000000, 0x0000000000000000,
      0xbff0000004000000, NX },  /* (1+2^-27)^2: product tie (double) */
    { "fdiv.s", RMM, 0, 0xffffffff3f800000, 0xffffffff40400000, 0x0000000000000000,
      0xffffffff3eaaaaab, NX },  /* 1/3 */
    { "fdiv.d", RMM, 0, 0xc000000000000000, 0x4008000000000000, 0x0000000000000000,
      0xbfe5555555555555, NX },  /* -2/3 (double) */
    { "fsqrt.s", RMM, 0, 0xffffffff40000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff3fb504f3, NX },  /* sqrt(2) */
    { "fsqrt.d", RMM, 0, 0x4000000000000000, 0x0000000000000000, 0x0000000000000000,
      0x3ff6a09e667f3bcd, NX },  /* sqrt(2) (double) */
    { "fmadd.s", RMM, 0, 0xffffffff3f800800, 0xffffffff3f800800, 0xffffffff3f800000,
      0xffffffff40000800, NX },  /* fma 1 + (1+2^-12)^2 with one rounding */
    { "fmsub.d", RMM, 0, 0x3ff0000002000000, 0x3ff0000002000000, 0x3ff0000000000000,
      0x3e50000001000000, 0 },  /* fma (1+2^-27)^2 - 1: exact, double rounding would differ */
    { "fnmadd.s", RMM, 0, 0xffffffff40400000, 0xffffffff3eaaaaab, 0xffffffffbf800000,
      0xffffffffb3000000, 0 },  /* fnmadd -(3*(1/3f)) - 1 */
    { "fnmsub.d", RMM, 0, 0x3ff0000000400000, 0x3fefffffff800000, 0x3ff0000000000000,
      0x3c30000000000000, 0 },  /* fnmsub -(a*b)+c near cancellation */
    { "fmul.s", RMM, 0, 0xffffffff7f7fffff, 0xffffffff40000000, 0x0000000000000000,
      0xffffffff7f800000, OF|NX },  /* max*2 overflows */
    { "fmul.s", RMM, 0, 0xffffffffff7fffff, 0xffffffff40000000, 0x0000000000000000,
      0xffffffffff800000, OF|NX },  /* -max*2 overflows */
    { "fadd.d", RMM, 0, 0x7fefffffffffffff, 0x7c90000000000000, 0x0000000000000000,
      0x7ff0000000000000, OF|NX },  /* max + ulp/2 overflows only if rounding up */
    { "fmul.d", RMM, 0, 0xffefffffffffffff, 0x4000000000000000, 0x0000000000000000,
      0xfff0000000000000, OF|NX },  /* -max*2 overflows (double) */
    { "fmul.s", RMM, 0, 0xffffffff3f7fffff, 0xffffffff00800000, 0x0000000000000000,
      0xffffffff00800000, UF|NX },  /* (1-2^-24)*2^-126: rounds to min normal, yet tiny */
    { "fmadd.d", RMM, 0, 0x1e50000000000000, 0x9e50000000000000, 0x0010000000000000,
      0x0010000000000000, NX },  /* 2^-1022 - 2^-1076: rounds to min normal, not tiny in RNE */
    { "fcvt.s.d", RMM, 0, 0x380ffffff0000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff00800000, NX },  /* 2^-126 - 2^-151 from double */
    { "fmul.s", RMM, 0, 0xffffffff00000001, 0xffffffff3f000000, 0x0000000000000000,
      0xffffffff00000001, UF|NX },  /* min subnormal / 2: tie between 0 and min subnormal */
    { "fmul.d", RMM, 0, 0x8000000000000001, 0x3fe8000000000000, 0x0000000000000000,
      0x8000000000000001, UF|NX },  /* -min subnormal * 0.75 */
    { "fcvt.s.d", RMM, 0, 0x7e37e43c8800759c, 0x0000000000000000, 0x0000000000000000,
      0xffffffff7f800000, OF|NX },  /* 1e300 to single overflows */
    { "fcvt.s.d", RMM, 0, 0x3fd5555555555555, 0x0000000000000000, 0x0000000000000000,
      0xffffffff3eaaaaab, NX },  /* 1/3 (double) to single */
    { "fcvt.w.s", RMM, 0, 0xffffffff40200000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000003, NX },  /* 2.5 to int */
    { "fcvt.w.s", RMM, 0, 0xffffffffc0200000, 0x0000000000000000, 0x0000000000000000,
      0xfffffffffffffffd, NX },  /* -2.5 to int */
    { "fcvt.wu.s", RMM, 0, 0xffffffffbf000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NV },  /* -0.5 to unsigned: 0 unless rounded to -1 */
    { "fcvt.wu.d", RMM, 0, 0xbfd3333333333333, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NX },  /* -0.3 to unsigned */
    { "fcvt.lu.s", RMM, 0, 0xffffffffbf400000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NV },  /* -0.75 to unsigned long */
    { "fcvt.w.d", RMM, 0, 0x41dfffffffe00000, 0x0000000000000000, 0x0000000000000000,
      0x000000007fffffff, NV },  /* 2147483647.5 to int: in range only when rounding down */
    { "fcvt.w.d", RMM, 0, 0xc1e0000000100000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff80000000, NV },  /* -2147483648.5 to int */
    { "fcvt.wu.d", RMM, 0, 0x41effffffff00000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NV },  /* 4294967295.5 to unsigned */
    { "fcvt.l.d", RMM, 0, 0x4330000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0010000000000000, 0 },  /* 2^52 + 0.5 to long: tie */
    { "fcvt.l.d", RMM, 0, 0xc330000000000002, 0x0000000000000000, 0x0000000000000000,
      0xffeffffffffffffe, 0 },  /* -(2^52+1.5) to long */
    { "fcvt.lu.d", RMM, 0, 0x3ff8000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000002, NX },  /* 1.5 to unsigned long */
    { "fcvt.s.w", RMM, 0, 0x0000000001000001, 0x0000000000000000, 0x0000000000000000,
      0xffffffff4b800001, NX },  /* 2^24+1 to single: tie */
    { "fcvt.s.wu", RMM, 0, 0x0000000001000003, 0x0000000000000000, 0x0000000000000000,
      0xffffffff4b800002, NX },  /* 2^24+3 to single: tie upwards in RNE */
    { "fcvt.s.l", RMM, 0, 0xfffffffffeffffff, 0x0000000000000000, 0x0000000000000000,
      0xffffffffcb800001, NX },  /* -(2^24+1) from a long */
    { "fcvt.s.lu", RMM, 0, 0xffffffffffffffff, 0x0000000000000000, 0x0000000000000000,
      0xffffffff5f800000, NX },  /* UINT64_MAX to single */
    { "fcvt.d.l", RMM, 0, 0x0020000000000001, 0x0000000000000000, 0x0000000000000000,
      0x4340000000000001, NX },  /* 2^53+1 to double: tie */
    { "fcvt.d.l", RMM, 0, 0xffdffffffffffffd, 0x0000000000000000, 0x0000000000000000,
      0xc340000000000002, NX },  /* -(2^53+3) to double */
    { "fcvt.d.lu", RMM, 0, 0xffffffffffffffff, 0x0000000000000000, 0x0000000000000000,
      0x43f0000000000000, NX },  /* UINT64_MAX to double */
    { "fadd.s", DYN, 0, 0xffffffff3f800000, 0xffffffff33800000, 0x0000000000000000,
      0xffffffff3f800000, NX },  /* dynamic mode from frm */
    { "fadd.s", DYN, 1, 0xffffffff3f800000, 0xffffffff33800000, 0x0000000000000000,
      0xffffffff3f800000, NX },  /* dynamic mode from frm */
    { "fadd.s", DYN, 2, 0xffffffff3f800000, 0xffffffff33800000, 0x0000000000000000,
      0xffffffff3f800000, NX },  /* dynamic mode from frm */
    { "fadd.s", DYN, 3, 0xffffffff3f800000, 0xffffffff33800000, 0x0000000000000000,
      0xffffffff3f800001, NX },  /* dynamic mode from frm */
    { "fadd.s", DYN, 4, 0xffffffff3f800000, 0xffffffff33800000, 0x0000000000000000,
      0xffffffff3f800001, NX },  /* dynamic mode from frm */
    { "fsub.s", RNE, 0, 0xffffffff7f800000, 0xffffffff7f800000, 0x0000000000000000,
      0xffffffff7fc00000, NV },  /* inf - inf */
    { "fadd.d", RNE, 0, 0x7ff0000000000000, 0xfff0000000000000, 0x0000000000000000,
      0x7ff8000000000000, NV },  /* inf + -inf (double) */
    { "fmul.s", RNE, 0, 0xffffffff00000000, 0xffffffffff800000, 0x0000000000000000,
      0xffffffff7fc00000, NV },  /* 0 * inf */
    { "fmul.d", RNE, 0, 0x7ff0000000000000, 0x8000000000000000, 0x0000000000000000,
      0x7ff8000000000000, NV },  /* inf * -0 (double) */
    { "fdiv.s", RNE, 0, 0xffffffff00000000, 0xffffffff80000000, 0x0000000000000000,
      0xffffffff7fc00000, NV },  /* 0 / 0 */
    { "fdiv.d", RNE, 0, 0x7ff0000000000000, 0xfff0000000000000, 0x0000000000000000,
      0x7ff8000000000000, NV },  /* inf / inf */
    { "fdiv.s", RNE, 0, 0xffffffff3f800000, 0xffffffff00000000, 0x0000000000000000,
      0xffffffff7f800000, DZ },  /* 1 / 0: DZ */
    { "fdiv.d", RNE, 0, 0xbff0000000000000, 0x0000000000000000, 0x0000000000000000,
      0xfff0000000000000, DZ },  /* -1 / +0: DZ */
    { "fdiv.s", RNE, 0, 0xffffffff3f800000, 0xffffffff80000000, 0x0000000000000000,
      0xffffffffff800000, DZ },  /* 1 / -0: DZ */
    { "fdiv.d", RNE, 0, 0x0000000000000000, 0x0000000000000000, 0x0000000000000000,
      0x7ff8000000000000, NV },  /* 0 / 0 has no DZ */
    { "fsqrt.s", RNE, 0, 0xffffffffbf800000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff7fc00000, NV },  /* sqrt(-1) */
    { "fsqrt.d", RNE, 0, 0x8000000000000001, 0x0000000000000000, 0x0000000000000000,
      0x7ff8000000000000, NV },  /* sqrt(-min subnormal) */
    { "fsqrt.d", RNE, 0, 0xfff0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x7ff8000000000000, NV },  /* sqrt(-inf) */
    { "fsqrt.s", RNE, 0, 0xffffffff80000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff80000000, 0 },  /* sqrt(-0) = -0 */
    { "fsqrt.d", RNE, 0, 0x7ff0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x7ff0000000000000, 0 },  /* sqrt(+inf) */
    { "fsqrt.s", RNE, 0, 0xffffffff40800000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff40000000, 0 },  /* sqrt(4) exact */
    { "fsqrt.s", RNE, 0, 0xffffffff00000001, 0x0000000000000000, 0x0000000000000000,
      0xffffffff1a3504f3, NX },  /* sqrt(min subnormal) (single) */
    { "fsqrt.d", RNE, 0, 0x0000000000000001, 0x0000000000000000, 0x0000000000000000,
      0x1e60000000000000, 0 },  /* sqrt(min subnormal) (double) = 2^-537 */
    { "fsqrt.d", RUP, 0, 0x7fefffffffffffff, 0x0000000000000000, 0x0000000000000000,
      0x5ff0000000000000, NX },  /* sqrt(max) */
    { "fmadd.s", RNE, 0, 0xffffffff00000000, 0xffffffff7f800000, 0xffffffff3f800000,
      0xffffffff7fc00000, NV },  /* fma(0, inf, 1) */
    { "fmadd.d", RNE, 0, 0x7ff0000000000000, 0x0000000000000000, 0x7ff8000000000000,
      0x7ff8000000000000, NV },  /* fma(inf, 0, qNaN): NV even with a quiet NaN addend */
    { "fnmadd.s", RNE, 0, 0xffffffffff800000, 0xffffffff00000000, 0xffffffff7fc00001,
      0xffffffff7fc00000, NV },  /* fma(inf, 0, qNaN) single */
    { "fmadd.s", RNE, 0, 0xffffffff3f800000, 0xffffffff3f800000, 0xffffffffffc12345,
      0xffffffff7fc00000, 0 },  /* fma(1, 1, qNaN): quiet */
    { "fmsub.d", RNE, 0, 0x7ff0000000000001, 0x3ff0000000000000, 0x3ff0000000000000,
      0x7ff8000000000000, NV },  /* fma(sNaN, 1, 1) */
    { "fmadd.d", RNE, 0, 0x7ff0000000000000, 0x3ff0000000000000, 0xfff0000000000000,
      0x7ff8000000000000, NV },  /* fma(inf, 1, -inf) */
    { "fmsub.s", RNE, 0, 0xffffffff7f800000, 0xffffffff3f800000, 0xffffffff7f800000,
      0xffffffff7fc00000, NV },  /* fmsub(inf, 1, inf) */
    { "fmadd.d", RNE, 0, 0x4000000000000000, 0x4008000000000000, 0xc018000000000000,
      0x0000000000000000, 0 },  /* fma(2, 3, -6) = +0 */
    { "fmadd.d", RDN, 0, 0x4000000000000000, 0x4008000000000000, 0xc018000000000000,
      0x8000000000000000, 0 },  /* fma(2, 3, -6) = -0 in RDN */
    { "fmadd.s", RNE, 0, 0xffffffff80000000, 0xffffffff3f800000, 0xffffffff80000000,
      0xffffffff80000000, 0 },  /* fma(-0, 1, -0) = -0 */
    { "fnmadd.s", RNE, 0, 0xffffffff00000000, 0xffffffff3f800000, 0xffffffff00000000,
      0xffffffff80000000, 0 },  /* fnmadd(0, 1, 0) = -0 */
    { "fmadd.d", RNE, 0, 0x1a70000000000000, 0x1a70000000000000, 0x3ff0000000000000,
      0x3ff0000000000000, NX },  /* fma(tiny, tiny, 1): only NX */
    { "fmadd.d", RUP, 0, 0x1a70000000000000, 0x1a70000000000000, 0x3ff0000000000000,
      0x3ff0000000000001, NX },  /* fma(tiny, tiny, 1) rounded up */
    { "fmadd.s", RNE, 0, 0xffffffff7f7fffff, 0xffffffff40000000, 0xffffffffff7fffff,
      0xffffffff7f7fffff, 0 },  /* fma(max, 2, -max) = max: no overflow */
    { "fsub.s", RNE, 0, 0xffffffff3f800000, 0xffffffff3f800000, 0x0000000000000000,
      0xffffffff00000000, 0 },  /* 1 - 1 = +0 */
    { "fsub.s", RDN, 0, 0xffffffff3f800000, 0xffffffff3f800000, 0x0000000000000000,
      0xffffffff80000000, 0 },  /* 1 - 1 = -0 in RDN */
    { "fadd.d", RNE, 0, 0x8000000000000000, 0x8000000000000000, 0x0000000000000000,
      0x8000000000000000, 0 },  /* -0 + -0 = -0 */
    { "fadd.d", RTZ, 0, 0x8000000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, 0 },  /* -0 + +0 = +0 */
    { "fadd.d", RDN, 0, 0x8000000000000000, 0x0000000000000000, 0x0000000000000000,
      0x8000000000000000, 0 },  /* -0 + +0 = -0 in RDN */
    { "fadd.d", RUP, 0, 0x3ff4000000000000, 0xbff4000000000000, 0x0000000000000000,
      0x0000000000000000, 0 },  /* x + (-x) exact cancellation, RUP */
    { "fadd.s", RNE, 0, 0xffffffff00000001, 0xffffffff00000001, 0x0000000000000000,
      0xffffffff00000002, 0 },  /* 2^-149 + 2^-149 exact subnormal */
    { "fadd.s", RNE, 0, 0xffffffff007fffff, 0xffffffff00000001, 0x0000000000000000,
      0xffffffff00800000, 0 },  /* max subnormal + min subnormal = min normal, exact */
    { "fmul.s", RNE, 0, 0xffffffff00000200, 0xffffffff3e800000, 0x0000000000000000,
      0xffffffff00000080, 0 },  /* 2^-140 * 2^-2 exact subnormal: no UF */
    { "fsub.d", RNE, 0, 0x0010000000000000, 0x0000000000000001, 0x0000000000000000,
      0x000fffffffffffff, 0 },  /* min normal - min subnormal: exact subnormal */
    { "fdiv.s", RNE, 0, 0xffffffff00000007, 0xffffffff40400000, 0x0000000000000000,
      0xffffffff00000002, UF|NX },  /* subnormal / 3: inexact tiny */
    { "fsub.d", RNE, 0, 0x3ff0000000000001, 0x3ff0000000000000, 0x0000000000000000,
      0x3cb0000000000000, 0 },  /* large cancellation */
    { "fadd.d", RUP, 0, 0x3ff0000000000000, 0x3370000000000000, 0x0000000000000000,
      0x3ff0000000000001, NX },  /* add with far exponents, RUP */
    { "fsub.d", RTZ, 0, 0x3ff0000000000000, 0x3370000000000000, 0x0000000000000000,
      0x3fefffffffffffff, NX },  /* sub with far exponents, RTZ */
    { "fadd.s", RNE, 0, 0xffffffffffc01234, 0xffffffff3f800000, 0x0000000000000000,
      0xffffffff7fc00000, 0 },  /* qNaN + 1: canonical, no flags */
    { "fadd.s", RNE, 0, 0xffffffff3f800000, 0xffffffff7f800001, 0x0000000000000000,
      0xffffffff7fc00000, NV },  /* 1 + sNaN: NV */
    { "fmul.d", RNE, 0, 0xfff8000000000123, 0x0000000000000000, 0x0000000000000000,
      0x7ff8000000000000, 0 },  /* qNaN * 0 (double) */
    { "fdiv.d", RNE, 0, 0x7ff4000000000000, 0x3ff0000000000000, 0x0000000000000000,
      0x7ff8000000000000, NV },  /* sNaN / 1 (double) */
    { "fsqrt.s", RNE, 0, 0xffffffffff800001, 0x0000000000000000, 0x0000000000000000,
      0xffffffff7fc00000, NV },  /* sqrt(sNaN) */
    { "fadd.s", RNE, 0, 0x000000003f800000, 0xffffffff3f800000, 0x0000000000000000,
      0xffffffff7fc00000, 0 },  /* unboxed operand reads as canonical NaN */
    { "fmul.s", RNE, 0, 0xffffffff40000000, 0xfffffffe40000000, 0x0000000000000000,
      0xffffffff7fc00000, 0 },  /* boxed with wrong upper bits */
    { "fcvt.w.s", RTZ, 0, 0xffffffff7fc00000, 0x0000000000000000, 0x0000000000000000,
      0x000000007fffffff, NV },  /* qNaN */
    { "fcvt.w.s", RTZ, 0, 0xffffffffff800001, 0x0000000000000000, 0x0000000000000000,
      0x000000007fffffff, NV },  /* -sNaN */
    { "fcvt.w.s", RTZ, 0, 0xffffffff7f800000, 0x0000000000000000, 0x0000000000000000,
      0x000000007fffffff, NV },  /* +inf */
    { "fcvt.w.s", RTZ, 0, 0xffffffffff800000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff80000000, NV },  /* -inf */
    { "fcvt.w.s", RTZ, 0, 0xffffffff80000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, 0 },  /* -0 */
    { "fcvt.w.s", RTZ, 0, 0xffffffff4f32d05e, 0x0000000000000000, 0x0000000000000000,
      0x000000007fffffff, NV },  /* 3e9 */
    { "fcvt.w.s", RTZ, 0, 0xffffffffcf32d05e, 0x0000000000000000, 0x0000000000000000,
      0xffffffff80000000, NV },  /* -3e9 */
    { "fcvt.w.s", RTZ, 0, 0xffffffff5f000000, 0x0000000000000000, 0x0000000000000000,
      0x000000007fffffff, NV },  /* 2^63 */
    { "fcvt.w.s", RTZ, 0, 0xffffffffdf000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff80000000, NV },  /* -2^63 */
    { "fcvt.w.s", RTZ, 0, 0xffffffff5f800000, 0x0000000000000000, 0x0000000000000000,
      0x000000007fffffff, NV },  /* 2^64 */
    { "fcvt.w.s", RTZ, 0, 0xffffffffbf800000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, 0 },  /* -1 */
    { "fcvt.w.s", RTZ, 0, 0xffffffff00000001, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NX },  /* min subnormal */
    { "fcvt.w.s", RTZ, 0, 0x0000000012345678, 0x0000000000000000, 0x0000000000000000,
      0x000000007fffffff, NV },  /* unboxed */
    { "fcvt.wu.s", RTZ, 0, 0xffffffff7fc00000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NV },  /* qNaN */
    { "fcvt.wu.s", RTZ, 0, 0xffffffffff800001, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NV },  /* -sNaN */
    { "fcvt.wu.s", RTZ, 0, 0xffffffff7f800000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NV },  /* +inf */
    { "fcvt.wu.s", RTZ, 0, 0xffffffffff800000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NV },  /* -inf */
    { "fcvt.wu.s", RTZ, 0, 0xffffffff80000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, 0 },  /* -0 */
    { "fcvt.wu.s", RTZ, 0, 0xffffffff4f32d05e, 0x0000000000000000, 0x0000000000000000,
      0xffffffffb2d05e00, 0 },  /* 3e9 */
    { "fcvt.wu.s", RTZ, 0, 0xffffffffcf32d05e, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NV },  /* -3e9 */
    { "fcvt.wu.s", RTZ, 0, 0xffffffff5f000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NV },  /* 2^63 */
    { "fcvt.wu.s", RTZ, 0, 0xffffffffdf000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NV },  /* -2^63 */
    { "fcvt.wu.s", RTZ, 0, 0xffffffff5f800000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NV },  /* 2^64 */
    { "fcvt.wu.s", RTZ, 0, 0xffffffffbf800000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NV },  /* -1 */
    { "fcvt.wu.s", RTZ, 0, 0xffffffff00000001, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NX },  /* min subnormal */
    { "fcvt.wu.s", RTZ, 0, 0x0000000012345678, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NV },  /* unboxed */
    { "fcvt.l.s", RTZ, 0, 0xffffffff7fc00000, 0x0000000000000000, 0x0000000000000000,
      0x7fffffffffffffff, NV },  /* qNaN */
    { "fcvt.l.s", RTZ, 0, 0xffffffffff800001, 0x0000000000000000, 0x0000000000000000,
      0x7fffffffffffffff, NV },  /* -sNaN */
    { "fcvt.l.s", RTZ, 0, 0xffffffff7f800000, 0x0000000000000000, 0x0000000000000000,
      0x7fffffffffffffff, NV },  /* +inf */
    { "fcvt.l.s", RTZ, 0, 0xffffffffff800000, 0x0000000000000000, 0x0000000000000000,
      0x8000000000000000, NV },  /* -inf */
    { "fcvt.l.s", RTZ, 0, 0xffffffff80000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, 0 },  /* -0 */
    { "fcvt.l.s", RTZ, 0, 0xffffffff4f32d05e, 0x0000000000000000, 0x0000000000000000,
      0x00000000b2d05e00, 0 },  /* 3e9 */
    { "fcvt.l.s", RTZ, 0, 0xffffffffcf32d05e, 0x0000000000000000, 0x0000000000000000,
      0xffffffff4d2fa200, 0 },  /* -3e9 */
    { "fcvt.l.s", RTZ, 0, 0xffffffff5f000000, 0x0000000000000000, 0x0000000000000000,
      0x7fffffffffffffff, NV },  /* 2^63 */
    { "fcvt.l.s", RTZ, 0, 0xffffffffdf000000, 0x0000000000000000, 0x0000000000000000,
      0x8000000000000000, 0 },  /* -2^63 */
    { "fcvt.l.s", RTZ, 0, 0xffffffff5f800000, 0x0000000000000000, 0x0000000000000000,
      0x7fffffffffffffff, NV },  /* 2^64 */
    { "fcvt.l.s", RTZ, 0, 0xffffffffbf800000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, 0 },  /* -1 */
    { "fcvt.l.s", RTZ, 0, 0xffffffff00000001, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NX },  /* min subnormal */
    { "fcvt.l.s", RTZ, 0, 0x0000000012345678, 0x0000000000000000, 0x0000000000000000,
      0x7fffffffffffffff, NV },  /* unboxed */
    { "fcvt.lu.s", RTZ, 0, 0xffffffff7fc00000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NV },  /* qNaN */
    { "fcvt.lu.s", RTZ, 0, 0xffffffffff800001, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NV },  /* -sNaN */
    { "fcvt.lu.s", RTZ, 0, 0xffffffff7f800000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NV },  /* +inf */
    { "fcvt.lu.s", RTZ, 0, 0xffffffffff800000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NV },  /* -inf */
    { "fcvt.lu.s", RTZ, 0, 0xffffffff80000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, 0 },  /* -0 */
    { "fcvt.lu.s", RTZ, 0, 0xffffffff4f32d05e, 0x0000000000000000, 0x0000000000000000,
      0x00000000b2d05e00, 0 },  /* 3e9 */
    { "fcvt.lu.s", RTZ, 0, 0xffffffffcf32d05e, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NV },  /* -3e9 */
    { "fcvt.lu.s", RTZ, 0, 0xffffffff5f000000, 0x0000000000000000, 0x0000000000000000,
      0x8000000000000000, 0 },  /* 2^63 */
    { "fcvt.lu.s", RTZ, 0, 0xffffffffdf000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NV },  /* -2^63 */
    { "fcvt.lu.s", RTZ, 0, 0xffffffff5f800000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NV },  /* 2^64 */
    { "fcvt.lu.s", RTZ, 0, 0xffffffffbf800000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NV },  /* -1 */
    { "fcvt.lu.s", RTZ, 0, 0xffffffff00000001, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NX },  /* min subnormal */
    { "fcvt.lu.s", RTZ, 0, 0x0000000012345678, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NV },  /* unboxed */
    { "fcvt.w.d", RNE, 0, 0xfff8000000000000, 0x0000000000000000, 0x0000000000000000,
      0x000000007fffffff, NV },  /* -qNaN */
    { "fcvt.w.d", RNE, 0, 0x7ff0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x000000007fffffff, NV },  /* +inf */
    { "fcvt.w.d", RNE, 0, 0xfff0000000000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff80000000, NV },  /* -inf */
    { "fcvt.w.d", RNE, 0, 0x8000000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, 0 },  /* -0 */
    { "fcvt.w.d", RNE, 0, 0x41dfffffffc00000, 0x0000000000000000, 0x0000000000000000,
      0x000000007fffffff, 0 },  /* INT32_MAX */
    { "fcvt.w.d", RNE, 0, 0xc1e0000000000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff80000000, 0 },  /* INT32_MIN */
    { "fcvt.w.d", RNE, 0, 0x41e0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x000000007fffffff, NV },  /* 2^31 */
    { "fcvt.w.d", RNE, 0, 0xc1e0000000200000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff80000000, NV },  /* -2^31-1 */
    { "fcvt.w.d", RNE, 0, 0x41efffffffe00000, 0x0000000000000000, 0x0000000000000000,
      0x000000007fffffff, NV },  /* UINT32_MAX */
    { "fcvt.w.d", RNE, 0, 0x41f0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x000000007fffffff, NV },  /* 2^32 */
    { "fcvt.w.d", RNE, 0, 0x43e0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x000000007fffffff, NV },  /* 2^63 */
    { "fcvt.w.d", RNE, 0, 0xc3e0000000000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff80000000, NV },  /* -2^63 */
    { "fcvt.w.d", RNE, 0, 0x43f0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x000000007fffffff, NV },  /* 2^64 */
    { "fcvt.w.d", RNE, 0, 0x43efffffffffffff, 0x0000000000000000, 0x0000000000000000,
      0x000000007fffffff, NV },  /* 2^64-2048 */
    { "fcvt.w.d", RNE, 0, 0xbff0000000000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, 0 },  /* -1 */
    { "fcvt.w.d", RNE, 0, 0x000012688b70e62b, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NX },  /* subnormal */
    { "fcvt.wu.d", RNE, 0, 0xfff8000000000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NV },  /* -qNaN */
    { "fcvt.wu.d", RNE, 0, 0x7ff0000000000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NV },  /* +inf */
    { "fcvt.wu.d", RNE, 0, 0xfff0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NV },  /* -inf */
    { "fcvt.wu.d", RNE, 0, 0x8000000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, 0 },  /* -0 */
    { "fcvt.wu.d", RNE, 0, 0x41dfffffffc00000, 0x0000000000000000, 0x0000000000000000,
      0x000000007fffffff, 0 },  /* INT32_MAX */
    { "fcvt.wu.d", RNE, 0, 0xc1e0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NV },  /* INT32_MIN */
    { "fcvt.wu.d", RNE, 0, 0x41e0000000000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff80000000, 0 },  /* 2^31 */
    { "fcvt.wu.d", RNE, 0, 0xc1e0000000200000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NV },  /* -2^31-1 */
    { "fcvt.wu.d", RNE, 0, 0x41efffffffe00000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, 0 },  /* UINT32_MAX */
    { "fcvt.wu.d", RNE, 0, 0x41f0000000000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NV },  /* 2^32 */
    { "fcvt.wu.d", RNE, 0, 0x43e0000000000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NV },  /* 2^63 */
    { "fcvt.wu.d", RNE, 0, 0xc3e0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NV },  /* -2^63 */
    { "fcvt.wu.d", RNE, 0, 0x43f0000000000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NV },  /* 2^64 */
    { "fcvt.wu.d", RNE, 0, 0x43efffffffffffff, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NV },  /* 2^64-2048 */
    { "fcvt.wu.d", RNE, 0, 0xbff0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NV },  /* -1 */
    { "fcvt.wu.d", RNE, 0, 0x000012688b70e62b, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NX },  /* subnormal */
    { "fcvt.l.d", RNE, 0, 0xfff8000000000000, 0x0000000000000000, 0x0000000000000000,
      0x7fffffffffffffff, NV },  /* -qNaN */
    { "fcvt.l.d", RNE, 0, 0x7ff0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x7fffffffffffffff, NV },  /* +inf */
    { "fcvt.l.d", RNE, 0, 0xfff0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x8000000000000000, NV },  /* -inf */
    { "fcvt.l.d", RNE, 0, 0x8000000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, 0 },  /* -0 */
    { "fcvt.l.d", RNE, 0, 0x41dfffffffc00000, 0x0000000000000000, 0x0000000000000000,
      0x000000007fffffff, 0 },  /* INT32_MAX */
    { "fcvt.l.d", RNE, 0, 0xc1e0000000000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff80000000, 0 },  /* INT32_MIN */
    { "fcvt.l.d", RNE, 0, 0x41e0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000080000000, 0 },  /* 2^31 */
    { "fcvt.l.d", RNE, 0, 0xc1e0000000200000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff7fffffff, 0 },  /* -2^31-1 */
    { "fcvt.l.d", RNE, 0, 0x41efffffffe00000, 0x0000000000000000, 0x0000000000000000,
      0x00000000ffffffff, 0 },  /* UINT32_MAX */
    { "fcvt.l.d", RNE, 0, 0x41f0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000100000000, 0 },  /* 2^32 */
    { "fcvt.l.d", RNE, 0, 0x43e0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x7fffffffffffffff, NV },  /* 2^63 */
    { "fcvt.l.d", RNE, 0, 0xc3e0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x8000000000000000, 0 },  /* -2^63 */
    { "fcvt.l.d", RNE, 0, 0x43f0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x7fffffffffffffff, NV },  /* 2^64 */
    { "fcvt.l.d", RNE, 0, 0x43efffffffffffff, 0x0000000000000000, 0x0000000000000000,
      0x7fffffffffffffff, NV },  /* 2^64-2048 */
    { "fcvt.l.d", RNE, 0, 0xbff0000000000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, 0 },  /* -1 */
    { "fcvt.l.d", RNE, 0, 0x000012688b70e62b, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NX },  /* subnormal */
    { "fcvt.lu.d", RNE, 0, 0xfff8000000000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NV },  /* -qNaN */
    { "fcvt.lu.d", RNE, 0, 0x7ff0000000000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NV },  /* +inf */
    { "fcvt.lu.d", RNE, 0, 0xfff0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NV },  /* -inf */
    { "fcvt.lu.d", RNE, 0, 0x8000000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, 0 },  /* -0 */
    { "fcvt.lu.d", RNE, 0, 0x41dfffffffc00000, 0x0000000000000000, 0x0000000000000000,
      0x000000007fffffff, 0 },  /* INT32_MAX */
    { "fcvt.lu.d", RNE, 0, 0xc1e0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NV },  /* INT32_MIN */
    { "fcvt.lu.d", RNE, 0, 0x41e0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000080000000, 0 },  /* 2^31 */
    { "fcvt.lu.d", RNE, 0, 0xc1e0000000200000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NV },  /* -2^31-1 */
    { "fcvt.lu.d", RNE, 0, 0x41efffffffe00000, 0x0000000000000000, 0x0000000000000000,
      0x00000000ffffffff, 0 },  /* UINT32_MAX */
    { "fcvt.lu.d", RNE, 0, 0x41f0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000100000000, 0 },  /* 2^32 */
    { "fcvt.lu.d", RNE, 0, 0x43e0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x8000000000000000, 0 },  /* 2^63 */
    { "fcvt.lu.d", RNE, 0, 0xc3e0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NV },  /* -2^63 */
    { "fcvt.lu.d", RNE, 0, 0x43f0000000000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffffffffff, NV },  /* 2^64 */
    { "fcvt.lu.d", RNE, 0, 0x43efffffffffffff, 0x0000000000000000, 0x0000000000000000,
      0xfffffffffffff800, 0 },  /* 2^64-2048 */
    { "fcvt.lu.d", RNE, 0, 0xbff0000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NV },  /* -1 */
    { "fcvt.lu.d", RNE, 0, 0x000012688b70e62b, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, NX },  /* subnormal */
    { "fcvt.s.w", RNE, 0, 0x0000000100000005, 0x0000000000000000, 0x0000000000000000,
      0xffffffff40a00000, 0 },  /* low 32 bits of x only */
    { "fcvt.s.wu", RNE, 0, 0xffffffffffffffff, 0x0000000000000000, 0x0000000000000000,
      0xffffffff4f800000, NX },  /* -1 as wu = 4294967295 */
    { "fcvt.d.wu", RNE, 0, 0xffffffffffffffff, 0x0000000000000000, 0x0000000000000000,
      0x41efffffffe00000, 0 },  /* -1 as wu = 4294967295 (exact in double) */
    { "fcvt.d.w", RNE, 0, 0x0000000080000000, 0x0000000000000000, 0x0000000000000000,
      0xc1e0000000000000, 0 },  /* INT32_MIN */
    { "fcvt.s.l", RNE, 0, 0x8000000000000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffffdf000000, 0 },  /* INT64_MIN */
    { "fcvt.d.lu", RNE, 0, 0x0000000000000000, 0x0000000000000000, 0x0000000000000000,
      0x0000000000000000, 0 },  /* zero */
    { "fcvt.d.l", RNE, 0, 0xfffffffffffffffb, 0x0000000000000000, 0x0000000000000000,
      0xc014000000000000, 0 },  /* -5 */
    { "fcvt.d.s", RNE, 0, 0xffffffff7f800001, 0x0000000000000000, 0x0000000000000000,
      0x7ff8000000000000, NV },  /* single sNaN to double */
    { "fcvt.d.s", RNE, 0, 0xffffffffffc00001, 0x0000000000000000, 0x0000000000000000,
      0x7ff8000000000000, 0 },  /* single -qNaN to double: canonical */
    { "fcvt.d.s", RNE, 0, 0x000000003f800000, 0x0000000000000000, 0x0000000000000000,
      0x7ff8000000000000, 0 },  /* unboxed single to double */
    { "fcvt.d.s", RNE, 0, 0xffffffff00000001, 0x0000000000000000, 0x0000000000000000,
      0x36a0000000000000, 0 },  /* single min subnormal to double: exact */
    { "fcvt.d.s", RNE, 0, 0xffffffffff800000, 0x0000000000000000, 0x0000000000000000,
      0xfff0000000000000, 0 },  /* single -inf to double */
    { "fcvt.s.d", RNE, 0, 0x7ff8000000000001, 0x0000000000000000, 0x0000000000000000,
      0xffffffff7fc00000, 0 },  /* double qNaN to single */
    { "fcvt.s.d", RNE, 0, 0xfff0000000000001, 0x0000000000000000, 0x0000000000000000,
      0xffffffff7fc00000, NV },  /* double sNaN to single */
    { "fcvt.s.d", RNE, 0, 0x8000000000000000, 0x0000000000000000, 0x0000000000000000,
      0xffffffff80000000, 0 },  /* double -0 to single */
    { "fcvt.s.d", RNE, 0, 0x0000000000000001, 0x0000000000000000, 0x0000000000000000,
      0xffffffff00000000, UF|NX },  /* double min subnormal to single: rounds to 0 */
    { "fcvt.s.d", RUP, 0, 0x0000000000000001, 0x0000000000000000, 0x0000000000000000,
      0xffffffff00000001, UF|NX },  /* double min subnormal to single, RUP */
    { "fcvt.s.d", RUP, 0, 0xffefffffffffffff, 0x0000000000000000, 0x0000000000000000,
      0xffffffffff7fffff, OF|NX },  /* double -max to single, RUP: -max single */

    /* ---- min/max: IEEE 754-2019 minimumNumber/maximumNumber ---- */
    { "fmin.s", 0, 0, S(0x80000000), S(0), 0, S(0x80000000), 0 },
    { "fmin.s", 0, 0, S(0), S(0x80000000), 0, S(0x80000000), 0 },
    { "fmax.s", 0, 0, S(0x80000000), S(0), 0, S(0), 0 },
    { "fmax.s", 0, 0, S(0), S(0x80000000), 0, S(0), 0 },
    { "fmin.s", 0, 0, S(0x7fc00000), S(0x3f800000), 0, S(0x3f800000), 0 },
    { "fmax.s", 0, 0, S(0x3f800000), S(0xffc00001), 0, S(0x3f800000), 0 },
    { "fmin.s", 0, 0, S(0x7f800001), S(0x3f800000), 0, S(0x3f800000), NV },
    { "fmax.s", 0, 0, S(0x40000000), S(0xff800001), 0, S(0x40000000), NV },
    { "fmin.s", 0, 0, S(0x7fc00000), S(0xffc00000), 0, S(0x7fc00000), 0 },
    { "fmax.s", 0, 0, S(0x7f800001), S(0x7fc00000), 0, S(0x7fc00000), NV },
    { "fmin.s", 0, 0, S(0x3f800000), S(0x40000000), 0, S(0x3f800000), 0 },
    { "fmax.s", 0, 0, S(0x3f800000), S(0x40000000), 0, S(0x40000000), 0 },
    { "fmin.s", 0, 0, S(0xbf800000), S(0x40000000), 0, S(0xbf800000), 0 },
    { "fmax.s", 0, 0, S(0xff800000), S(0xff7fffff), 0, S(0xff7fffff), 0 },
    /* an unboxed operand is a quiet NaN: the other operand wins */
    { "fmin.s", 0, 0, 0x3f800000, S(0x40000000), 0, S(0x40000000), 0 },
    { "fmin.d", 0, 0, 0x8000000000000000, 0, 0, 0x8000000000000000, 0 },
    { "fmax.d", 0, 0, 0, 0x8000000000000000, 0, 0, 0 },
    { "fmin.d", 0, 0, 0x7ff0000000000001, 0xbff0000000000000, 0,
      0xbff0000000000000, NV },
    { "fmax.d", 0, 0, 0x7ff8000000000000, 0xfff8000000000001, 0,
      0x7ff8000000000000, 0 },
    { "fmax.d", 0, 0, 0xbff0000000000000, 0xc000000000000000, 0,
      0xbff0000000000000, 0 },
    { "fmin.d", 0, 0, 1, 0x8000000000000001, 0, 0x8000000000000001, 0 },
    { "fmax.d", 0, 0, 0x7ff0000000000000, 0x3ff0000000000000, 0,
      0x7ff0000000000000, 0 },
    { "fmin.d", 0, 0, 0x7ff8000000000123, 0x7ff0000000000000, 0,
      0x7ff0000000000000, 0 },

    /* ---- comparisons: feq quiet, flt/fle signaling ---- */
    { "feq.s", 0, 0, S(0x3f800000), S(0x3f800000), 0, 1, 0 },
    { "feq.s", 0, 0, S(0x80000000), S(0), 0, 1, 0 },
    { "feq.s", 0, 0, S(0x7fc00000), S(0x7fc00000), 0, 0, 0 },
    { "feq.s", 0, 0, S(0x7fc00000), S(0x3f800000), 0, 0, 0 },
    { "feq.s", 0, 0, S(0x7f800001), S(0x3f800000), 0, 0, NV },
    { "feq.s", 0, 0, S(0x3f800000), S(0x40000000), 0, 0, 0 },
    { "feq.s", 0, 0, 0x3f800000, S(0x3f800000), 0, 0, 0 },
    { "flt.s", 0, 0, S(0x3f800000), S(0x40000000), 0, 1, 0 },
    { "flt.s", 0, 0, S(0x40000000), S(0x3f800000), 0, 0, 0 },
    { "flt.s", 0, 0, S(0x80000000), S(0), 0, 0, 0 },
    { "flt.s", 0, 0, S(0x7fc00000), S(0x3f800000), 0, 0, NV },
    { "flt.s", 0, 0, S(0xff800000), S(0xff7fffff), 0, 1, 0 },
    { "flt.s", 0, 0, S(0xc0000000), S(0xbf800000), 0, 1, 0 },
    { "fle.s", 0, 0, S(0x3f800000), S(0x3f800000), 0, 1, 0 },
    { "fle.s", 0, 0, S(0x80000000), S(0), 0, 1, 0 },
    { "fle.s", 0, 0, S(0), S(0x80000000), 0, 1, 0 },
    { "fle.s", 0, 0, S(0x3f800000), S(0x7fc00000), 0, 0, NV },
    { "fle.s", 0, 0, S(0x40000000), S(0x3f800000), 0, 0, 0 },
    { "feq.d", 0, 0, 0x7ff0000000000001, 0x7ff0000000000001, 0, 0, NV },
    { "feq.d", 0, 0, 0x3ff0000000000000, 0x3ff0000000000000, 0, 1, 0 },
    { "feq.d", 0, 0, 0xfff8000000000000, 0x3ff0000000000000, 0, 0, 0 },
    { "flt.d", 0, 0, 1, 0x0010000000000000, 0, 1, 0 },
    { "flt.d", 0, 0, 0x7ff8000000000000, 0x3ff0000000000000, 0, 0, NV },
    { "flt.d", 0, 0, 0x7ff0000000000000, 0x7ff0000000000000, 0, 0, 0 },
    { "fle.d", 0, 0, 0xbff0000000000000, 0xbff0000000000000, 0, 1, 0 },
    { "fle.d", 0, 0, 0x7ff0000000000000, 0x7ff0000000000000, 0, 1, 0 },
    { "fle.d", 0, 0, 0x8000000000000001, 0x8000000000000000, 0, 1, 0 },

    /* ---- fclass: one bit per class ---- */
    { "fclass.s", 0, 0, S(0xff800000), 0, 0, 1 << 0, 0 },
    { "fclass.s", 0, 0, S(0xbf800000), 0, 0, 1 << 1, 0 },
    { "fclass.s", 0, 0, S(0x80000001), 0, 0, 1 << 2, 0 },
    { "fclass.s", 0, 0, S(0x80000000), 0, 0, 1 << 3, 0 },
    { "fclass.s", 0, 0, S(0x00000000), 0, 0, 1 << 4, 0 },
    { "fclass.s", 0, 0, S(0x007fffff), 0, 0, 1 << 5, 0 },
    { "fclass.s", 0, 0, S(0x00800000), 0, 0, 1 << 6, 0 },
    { "fclass.s", 0, 0, S(0x7f800000), 0, 0, 1 << 7, 0 },
    { "fclass.s", 0, 0, S(0x7f800001), 0, 0, 1 << 8, 0 },
    { "fclass.s", 0, 0, S(0xffbfffff), 0, 0, 1 << 8, 0 },
    { "fclass.s", 0, 0, S(0x7fc00000), 0, 0, 1 << 9, 0 },
    { "fclass.s", 0, 0, S(0xffc00001), 0, 0, 1 << 9, 0 },
    { "fclass.s", 0, 0, 0x000000003f800000, 0, 0, 1 << 9, 0 },
    { "fclass.d", 0, 0, 0xfff0000000000000, 0, 0, 1 << 0, 0 },
    { "fclass.d", 0, 0, 0xffefffffffffffff, 0, 0, 1 << 1, 0 },
    { "fclass.d", 0, 0, 0x800fffffffffffff, 0, 0, 1 << 2, 0 },
    { "fclass.d", 0, 0, 0x8000000000000000, 0, 0, 1 << 3, 0 },
    { "fclass.d", 0, 0, 0x0000000000000000, 0, 0, 1 << 4, 0 },
    { "fclass.d", 0, 0, 0x0000000000000001, 0, 0, 1 << 5, 0 },
    { "fclass.d", 0, 0, 0x3ff0000000000000, 0, 0, 1 << 6, 0 },
    { "fclass.d", 0, 0, 0x7ff0000000000000, 0, 0, 1 << 7, 0 },
    { "fclass.d", 0, 0, 0x7ff7ffffffffffff, 0, 0, 1 << 8, 0 },
    { "fclass.d", 0, 0, 0xfff8000000000000, 0, 0, 1 << 9, 0 },

    /* ---- sign injection: raw bits, no NaN canonicalization, no flags;
       an unboxed single operand is the canonical NaN ---- */
    { "fsgnj.s", 0, 0, S(0x3f800000), S(0xc0000000), 0, S(0xbf800000), 0 },
    { "fsgnj.s", 0, 0, S(0xbf800000), S(0x40000000), 0, S(0x3f800000), 0 },
    { "fsgnjn.s", 0, 0, S(0x3f800000), S(0x3f800000), 0, S(0xbf800000), 0 },
    { "fsgnjn.s", 0, 0, S(0x3f800000), S(0xbf800000), 0, S(0x3f800000), 0 },
    { "fsgnjx.s", 0, 0, S(0xbf800000), S(0xc0000000), 0, S(0x3f800000), 0 },
    { "fsgnjx.s", 0, 0, S(0xbf800000), S(0x40000000), 0, S(0xbf800000), 0 },
    { "fsgnjx.s", 0, 0, S(0x3f800000), S(0x80000000), 0, S(0xbf800000), 0 },
    { "fsgnj.s", 0, 0, S(0x7f800001), S(0xbf800000), 0, S(0xff800001), 0 },
    { "fsgnj.s", 0, 0, 0x3f800000, S(0x3f800000), 0, S(0x7fc00000), 0 },
    { "fsgnjn.s", 0, 0, 0x3f800000, S(0x3f800000), 0, S(0xffc00000), 0 },
    { "fsgnj.s", 0, 0, S(0xbf800000), 0xbf800000, 0, S(0x3f800000), 0 },
    { "fsgnjn.s", 0, 0, S(0x3f800000), 0x3f800000, 0, S(0xbf800000), 0 },
    { "fsgnj.d", 0, 0, 0x3ff0000000000000, 0x8000000000000000, 0,
      0xbff0000000000000, 0 },
    { "fsgnjn.d", 0, 0, 0xfff0000000000000, 0xfff0000000000000, 0,
      0x7ff0000000000000, 0 },
    { "fsgnjx.d", 0, 0, 0xfff8000000000123, 0x8000000000000000, 0,
      0x7ff8000000000123, 0 },
    { "fsgnjx.d", 0, 0, 0x7ff0000000000001, 0x8000000000000000, 0,
      0xfff0000000000001, 0 },

    /* ---- moves: raw bits; fmv.x.w sign-extends whatever the low half
       holds, fmv.w.x boxes ---- */
    { "fmv.x.w", 0, 0, S(0x80000000), 0, 0, 0xffffffff80000000, 0 },
    { "fmv.x.w", 0, 0, S(0x3f800000), 0, 0, 0x3f800000, 0 },
    { "fmv.x.w", 0, 0, 0x1234567887654321, 0, 0, 0xffffffff87654321, 0 },
    { "fmv.x.d", 0, 0, 0x1234567887654321, 0, 0, 0x1234567887654321, 0 },
    { "fmv.w.x", 0, 0, 0x1234567887654321, 0, 0, S(0x87654321), 0 },
    { "fmv.w.x", 0, 0, 0x7f800001, 0, 0, S(0x7f800001), 0 },
    { "fmv.d.x", 0, 0, 0xfff0000000000001, 0, 0, 0xfff0000000000001, 0 },
};

static RVCPU cpu;

/* Handlers continue with RV_NEXT into the following entry of their block;
   run one instruction followed by an entry that reports RV_EXEC_NEXT. */
static int continued(RVCPU *c, const RVInsn *in)
{
    (void)c;
    (void)in;
    return RV_EXEC_NEXT;
}

static int exec1(RVCPU *c, const RVInsn *in)
{
    RVInsn block[2];
    block[0] = *in;
    memset(&block[1], 0, sizeof(block[1]));
    block[1].fn = continued;
    return block[0].fn(c, &block[0]);
}

static const RVOpDesc *find_op(const char *name)
{
    for (const RVOpDesc *o = rv_ops_fp; o->name; o++) {
        if (!strcmp(o->name, name)) {
            return o;
        }
    }
    return NULL;
}

/* Fill *in like the decoder: fields the row's mask leaves free come from
   the arguments; an rd field of 0 becomes RV_REG_SINK. */
static const RVOpDesc *make_insn(RVInsn *in, const char *name, unsigned rd,
                                 unsigned rs1, unsigned rs2, unsigned rs3,
                                 unsigned rm, int64_t imm)
{
    const RVOpDesc *o = find_op(name);
    if (!o) {
        printf("no decode row for %s\n", name);
        return NULL;
    }
    uint32_t fields = rd << 7 | rm << 12 | rs1 << 15 | rs2 << 20 | rs3 << 27;
    if (o->fmt == RV_FMT_S) {
        fields = ((uint32_t)imm & 0x1f) << 7 | ((uint32_t)imm >> 5) << 25 |
                 rm << 12 | rs1 << 15 | rs2 << 20;
    } else if (o->fmt == RV_FMT_I) {
        fields = rd << 7 | rm << 12 | rs1 << 15 | (uint32_t)imm << 20;
    }
    memset(in, 0, sizeof(*in));
    in->raw = o->match | (fields & ~o->mask);
    in->fn = o->fn;
    in->rd = (in->raw >> 7) & 31;
    if (in->rd == 0 && o->fmt != RV_FMT_S) {
        in->rd = RV_REG_SINK;
    }
    in->rs1 = (in->raw >> 15) & 31;
    in->rs2 = (in->raw >> 20) & 31;
    in->rs3 = (in->raw >> 27) & 31;
    in->rm = (in->raw >> 12) & 7;
    in->imm = imm;
    in->len = 4;
    in->flags = o->flags;
    in->pc = 0x80000000;
    return o;
}

static bool has_prefix(const char *s, const char *p)
{
    return !strncmp(s, p, strlen(p));
}

/* The integer side of fcvt.<dst>.<src>: "w", "wu", "l" or "lu". */
static bool int_type(const char *t)
{
    return !strcmp(t, "w") || !strcmp(t, "wu") || !strcmp(t, "l") ||
           !strcmp(t, "lu");
}

static void cvt_sides(const char *op, bool *int_dst, bool *int_src)
{
    char dst[4] = "", src[4] = "";
    *int_dst = has_prefix(op, "feq") || has_prefix(op, "flt") ||
               has_prefix(op, "fle") || has_prefix(op, "fclass") ||
               has_prefix(op, "fmv.x.");
    *int_src = !strcmp(op, "fmv.w.x") || !strcmp(op, "fmv.d.x");
    if (sscanf(op, "fcvt.%3[a-z].%3[a-z]", dst, src) == 2) {
        *int_dst = int_type(dst);
        *int_src = int_type(src);
    }
}

static void run_case(const FpCase *c)
{
    RVInsn in;
    bool int_dst, int_src;
    char what[200];

    if (!make_insn(&in, c->op, 10, 1, 2, 3, c->rm, 0)) {
        CHECK(false, "%s", c->op);
        return;
    }
    cvt_sides(c->op, &int_dst, &int_src);
    memset(cpu.f, 0x5a, sizeof(cpu.f));
    cpu.x[5] = c->a;
    cpu.f[1] = c->a;
    cpu.f[2] = c->b;
    cpu.f[3] = c->c;
    cpu.x[10] = 0x5a5a5a5a5a5a5a5aull;
    cpu.fflags = 0;
    cpu.frm = c->frm;
    if (int_src) {
        in.rs1 = 5;
    }
    int r = exec1(&cpu, &in);
    uint64_t got = int_dst ? cpu.x[10] : cpu.f[10];
    snprintf(what, sizeof(what),
             "%s rm=%u frm=%u a=%016llx b=%016llx c=%016llx: got %016llx "
             "flags %02x, expected %016llx flags %02x",
             c->op, c->rm, c->frm, (unsigned long long)c->a,
             (unsigned long long)c->b, (unsigned long long)c->c,
             (unsigned long long)got, cpu.fflags,
             (unsigned long long)c->expect, c->flags);
    CHECK(r == RV_EXEC_NEXT && got == c->expect && cpu.fflags == c->flags,
          "%s", what);
}

/* flw/fld/fsw/fsd through a data-TLB entry mapping one guest page. */
static void test_load_store(void)
{
    static uint8_t page[RV_PAGE_SIZE];
    const gva_t base = 0x80001000;
    RVTlbEntry *e = &cpu.tlb[RV_PRIV_M][(base >> RV_PAGE_BITS) &
                                        (RV_TLB_SIZE - 1)];
    RVInsn in;
    uint64_t v;

    cpu.data_tlb = cpu.tlb[RV_PRIV_M];
    e->tag_read = e->tag_write = base;
    e->addend = (uintptr_t)page - base;
    cpu.x[6] = base + 0x100;
    memset(page, 0, sizeof(page));
    memcpy(page + 0x108, (uint32_t[]){ 0x7f800001 }, 4);
    memcpy(page + 0x0f8, (uint64_t[]){ 0x1122334455667788 }, 8);

    make_insn(&in, "flw", 4, 6, 0, 0, 2, 8);
    CHECK(exec1(&cpu, &in) == RV_EXEC_NEXT && cpu.f[4] == S(0x7f800001),
          "flw boxes the loaded bits, sNaN untouched");
    make_insn(&in, "fld", 0, 6, 0, 0, 3, -8);
    CHECK(exec1(&cpu, &in) == RV_EXEC_NEXT &&
          cpu.f[0] == 0x1122334455667788, "fld with a negative offset to f0");

    cpu.f[7] = 0x00000000c0000000;   /* not boxed: fsw stores the raw bits */
    make_insn(&in, "fsw", 0, 6, 7, 0, 2, 0x20);
    CHECK(exec1(&cpu, &in) == RV_EXEC_NEXT, "fsw retires");
    memcpy(&v, page + 0x120, 8);
    CHECK(v == 0xc0000000, "fsw writes exactly the low 32 bits");
    cpu.f[8] = 0xfff0000000000001;
    make_insn(&in, "fsd", 0, 6, 8, 0, 3, -0x100);
    CHECK(exec1(&cpu, &in) == RV_EXEC_NEXT, "fsd retires");
    memcpy(&v, page, 8);
    CHECK(v == 0xfff0000000000001, "fsd writes the raw 64 bits");
}

/* Reserved rounding modes: illegal instruction, nothing written. */
static void test_illegal_rm(void)
{
    static const struct { const char *op; unsigned rm, frm; } bad[] = {
        { "fadd.s", RM5, 0 }, { "fadd.s", RM6, 0 }, { "fadd.s", DYN, 5 },
        { "fsub.d", DYN, 6 }, { "fmul.s", DYN, 7 }, { "fdiv.d", RM5, 0 },
        { "fsqrt.s", RM6, 0 }, { "fmadd.d", RM5, 0 }, { "fnmadd.s", DYN, 5 },
        { "fcvt.w.s", RM6, 0 }, { "fcvt.lu.d", DYN, 7 },
        { "fcvt.d.w", RM5, 0 }, { "fcvt.d.wu", DYN, 6 },
        { "fcvt.s.l", RM5, 0 }, { "fcvt.d.s", RM6, 0 }, { "fcvt.s.d", DYN, 5 },
    };
    char what[100];
    RVInsn in;

    for (size_t i = 0; i < CORE_ARRAY_SIZE(bad); i++) {
        make_insn(&in, bad[i].op, 10, 1, 2, 3, bad[i].rm, 0);
        cpu.f[1] = cpu.f[2] = cpu.f[3] = S(0x3f800000);
        cpu.f[10] = 0x1234;
        cpu.x[10] = 0x5678;
        cpu.frm = bad[i].frm;
        cpu.fflags = 0;
        cpu.mcause = 0;
        int r = exec1(&cpu, &in);
        snprintf(what, sizeof(what), "%s rm=%u frm=%u is illegal", bad[i].op,
                 bad[i].rm, bad[i].frm);
        CHECK(r == RV_EXEC_TRAP && cpu.mcause == RV_EXC_ILLEGAL &&
              cpu.f[10] == 0x1234 && cpu.x[10] == 0x5678 && cpu.fflags == 0,
              "%s", what);
    }
    /* Instructions without a rounding mode ignore a bad frm. */
    cpu.frm = 7;
    make_insn(&in, "fsgnj.d", 10, 1, 2, 0, 0, 0);
    CHECK(exec1(&cpu, &in) == RV_EXEC_NEXT, "fsgnj.d ignores frm");
    make_insn(&in, "feq.s", 10, 1, 2, 0, 0, 0);
    CHECK(exec1(&cpu, &in) == RV_EXEC_NEXT && cpu.x[10] == 1,
          "feq.s ignores frm");
    cpu.frm = 0;
}

/* mstatus.FS becomes Dirty when f registers or fflags change. */
static void test_dirty(void)
{
    static const struct {
        const char *op;
        uint64_t a, b;
        bool dirty;
    } t[] = {
        { "fadd.s", S(0x3f800000), S(0x3f800000), true },
        { "fsgnj.d", 0, 0, true },
        { "fmv.w.x", 0, 0, true },
        { "feq.s", S(0x3f800000), S(0x3f800000), false },
        { "feq.s", S(0x7f800001), S(0x3f800000), true },
        { "flt.d", 0x7ff8000000000000, 0, true },
        { "fclass.d", 0, 0, false },
        { "fmv.x.d", 0, 0, false },
        { "fcvt.w.d", 0x3ff0000000000000, 0, false },
        { "fcvt.w.d", 0x3ff8000000000000, 0, true },
    };
    const uint64_t clean = 2ull << RV_MSTATUS_FS_SHIFT;
    char what[80];
    RVInsn in;

    for (size_t i = 0; i < CORE_ARRAY_SIZE(t); i++) {
        make_insn(&in, t[i].op, 10, 1, 2, 0, 0, 0);
        cpu.f[1] = cpu.x[1] = t[i].a;
        cpu.f[2] = t[i].b;
        cpu.mstatus = clean;
        cpu.fflags = 0;
        exec1(&cpu, &in);
        bool dirty = (cpu.mstatus & RV_MSTATUS_FS) == RV_MSTATUS_FS &&
                     (cpu.mstatus & RV_MSTATUS_SD);
        snprintf(what, sizeof(what), "%s %s FS dirty", t[i].op,
                 t[i].dirty ? "makes" : "leaves alone");
        CHECK(dirty == t[i].dirty &&
              (dirty || cpu.mstatus == clean), "%s", what);
    }
}

/* The decoder passes rd = 0 as RV_REG_SINK; for an FP result it is f0. */
static void test_f0_destination(void)
{
    RVInsn in;

    cpu.f[1] = S(0x3f800000);
    cpu.f[2] = S(0x40000000);
    cpu.f[0] = 0;
    make_insn(&in, "fadd.s", 0, 1, 2, 0, RNE, 0);
    CHECK(in.rd == RV_REG_SINK, "decoder-style rd for f0");
    CHECK(exec1(&cpu, &in) == RV_EXEC_NEXT && cpu.f[0] == S(0x40400000),
          "fadd.s f0 writes f0");
    cpu.x[5] = 0x4000000000000000;
    make_insn(&in, "fmv.d.x", 0, 5, 0, 0, 0, 0);
    exec1(&cpu, &in);
    CHECK(cpu.f[0] == 0x4000000000000000, "fmv.d.x f0 writes f0");
    cpu.x[0] = 0;
    make_insn(&in, "fcvt.l.d", 0, 0, 0, 0, RNE, 0);
    exec1(&cpu, &in);
    CHECK(cpu.x[0] == 0 && cpu.x[RV_REG_SINK] == 2,
          "fcvt.l.d x0 leaves x0 alone");
}

int main(void)
{
    for (unsigned p = 0; p < 4; p++) {
        for (unsigned i = 0; i < RV_TLB_SIZE; i++) {
            RVTlbEntry *e = &cpu.tlb[p][i];
            e->tag_read = e->tag_write = e->tag_exec = RV_TLB_INVALID;
        }
    }
    for (unsigned p = 0; p < 4; p++) {
        for (unsigned i = 0; i < RV_TLB_SIZE; i++) {
            RVTlbEntry *e = &cpu.tlb[p][i];
            e->tag_read = e->tag_write = e->tag_exec = RV_TLB_INVALID;
        }
    }
    cpu.priv = RV_PRIV_M;
    cpu.mtvec = 0x80000000;
    for (size_t i = 0; i < CORE_ARRAY_SIZE(cases); i++) {
        run_case(&cases[i]);
    }
    test_load_store();
    test_illegal_rm();
    test_dirty();
    test_f0_destination();
    return check_done("fpu");
}
