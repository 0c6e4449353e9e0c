/*
 * Software IEEE 754 binary32/binary64 arithmetic for the RISC-V F and D
 * extensions (unprivileged spec ch. "F" and "D", IEEE 754-2019).
 *
 * Everything is computed with integer arithmetic, so results and flags are
 * the same on every host and independent of the host's floating-point
 * environment. Operands and results are raw encodings: a binary32 value
 * lives in the low 32 bits of the uint64_t (no NaN-boxing here; exec_fp.c
 * boxes and unboxes). The RISC-V choices are built in: every NaN result is
 * the canonical NaN, tininess is detected after rounding, and conversions
 * to integers saturate.
 *
 * Each operation takes a rounding mode (RV_RM_*, already validated: 0..4)
 * and ORs the exception flags it raises (RV_FFLAG_*) into *flags:
 *
 *     uint32_t fl = 0;
 *     uint64_t r = rv_fpu_add(RV_FPU_D, a, b, RV_RM_RNE, &fl);
 *     cpu->fflags |= fl;
 */
#ifndef TCG_RISCV_FPU_H
#define TCG_RISCV_FPU_H

#include "core/types.h"

/* Rounding modes, as encoded in the rm field and in frm. */
enum {
    RV_RM_RNE = 0,   /* to nearest, ties to even */
    RV_RM_RTZ = 1,   /* towards zero */
    RV_RM_RDN = 2,   /* towards -inf */
    RV_RM_RUP = 3,   /* towards +inf */
    RV_RM_RMM = 4,   /* to nearest, ties to max magnitude */
    RV_RM_DYN = 7,   /* rm field only: use frm */
};

/* Accrued exception flags (fflags). */
enum {
    RV_FFLAG_NX = 1 << 0,
    RV_FFLAG_UF = 1 << 1,
    RV_FFLAG_OF = 1 << 2,
    RV_FFLAG_DZ = 1 << 3,
    RV_FFLAG_NV = 1 << 4,
};

typedef enum RVFpuFmt { RV_FPU_S, RV_FPU_D } RVFpuFmt;

/* Integer types of the conversions (the rs2 field of fcvt.*). */
typedef enum RVFpuInt {
    RV_FPU_W = 0, RV_FPU_WU = 1, RV_FPU_L = 2, RV_FPU_LU = 3
} RVFpuInt;

#define RV_FPU_CNAN_S 0x7fc00000ull
#define RV_FPU_CNAN_D 0x7ff8000000000000ull

uint64_t rv_fpu_add(RVFpuFmt fmt, uint64_t a, uint64_t b, int rm,
                    uint32_t *flags);
uint64_t rv_fpu_sub(RVFpuFmt fmt, uint64_t a, uint64_t b, int rm,
                    uint32_t *flags);
uint64_t rv_fpu_mul(RVFpuFmt fmt, uint64_t a, uint64_t b, int rm,
                    uint32_t *flags);
uint64_t rv_fpu_div(RVFpuFmt fmt, uint64_t a, uint64_t b, int rm,
                    uint32_t *flags);
uint64_t rv_fpu_sqrt(RVFpuFmt fmt, uint64_t a, int rm, uint32_t *flags);

/* (±a*b) ± c with one rounding: neg_prod negates the product, neg_c the
   addend (fmadd 0,0; fmsub 0,1; fnmsub 1,0; fnmadd 1,1). */
uint64_t rv_fpu_fma(RVFpuFmt fmt, uint64_t a, uint64_t b, uint64_t c,
                    bool neg_prod, bool neg_c, int rm, uint32_t *flags);

/* IEEE 754-2019 minimumNumber / maximumNumber, with -0 < +0. */
uint64_t rv_fpu_min(RVFpuFmt fmt, uint64_t a, uint64_t b, uint32_t *flags);
uint64_t rv_fpu_max(RVFpuFmt fmt, uint64_t a, uint64_t b, uint32_t *flags);

/* feq is quiet (NV only for a signaling NaN); flt/fle signal on any NaN. */
bool rv_fpu_eq(RVFpuFmt fmt, uint64_t a, uint64_t b, uint32_t *flags);
bool rv_fpu_lt(RVFpuFmt fmt, uint64_t a, uint64_t b, uint32_t *flags);
bool rv_fpu_le(RVFpuFmt fmt, uint64_t a, uint64_t b, uint32_t *flags);

/* The fclass.{s,d} 10-bit mask (exactly one bit set). */
uint64_t rv_fpu_class(RVFpuFmt fmt, uint64_t a);

/* Float to integer, saturating. W and WU results come back sign-extended
   from 32 bits, as the x register receives them on RV64. */
uint64_t rv_fpu_to_int(RVFpuFmt fmt, uint64_t a, RVFpuInt type, int rm,
                       uint32_t *flags);
/* Integer (the low 32 bits for W/WU) to float. */
uint64_t rv_fpu_from_int(RVFpuFmt fmt, uint64_t v, RVFpuInt type, int rm,
                         uint32_t *flags);
/* Between formats (fcvt.s.d, fcvt.d.s). */
uint64_t rv_fpu_convert(RVFpuFmt to, RVFpuFmt from, uint64_t a, int rm,
                        uint32_t *flags);

#endif
