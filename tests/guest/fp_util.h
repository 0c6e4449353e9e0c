/*
 * fp_util.h - inline-assembly helpers for the F/D guest tests.
 *
 * Values travel as raw bit patterns in integer registers and are moved
 * into FP registers (fmv.w.x / fmv.d.x) right before the instruction under
 * test, so the compiler never does FP arithmetic of its own.  Each helper
 * clears fflags first and leaves the flags raised by the sequence in the
 * file-level variable `fl`, which a test file must define:
 *     static uint64_t fl;
 *     CHECK_FP(FOP2(S, "fadd.s", RM_RTZ, ONE_S, TINY_S), 0x3f800000, NX);
 * `W` is S or D.  Single results are returned as their low 32 bits (the
 * NaN-boxing tests read the whole register with fmv.x.d instead).
 */
#ifndef FP_UTIL_H
#define FP_UTIL_H

#include <stdint.h>

#include "rt.h"

/* fflags bits (unprivileged spec 11.2). */
#define NX 0x01
#define UF 0x02
#define OF 0x04
#define DZ 0x08
#define NV 0x10

/* Static rounding-mode operand suffixes; "" means the default (dyn). */
#define RM_RNE ", rne"
#define RM_RTZ ", rtz"
#define RM_RDN ", rdn"
#define RM_RUP ", rup"
#define RM_RMM ", rmm"
#define RM_DYN ", dyn"

#define FRM_RNE 0
#define FRM_RTZ 1
#define FRM_RDN 2
#define FRM_RUP 3
#define FRM_RMM 4

#define F_IN_S   "fmv.w.x"
#define F_OUT_S  "fmv.x.w"
#define F_MASK_S 0xffffffffULL
#define F_IN_D   "fmv.d.x"
#define F_OUT_D  "fmv.x.d"
#define F_MASK_D 0xffffffffffffffffULL

/* fd = op(fa, fb) */
#define FOP2(W, op, rm, a, b)                                                \
    ({ uint64_t r_, f_;                                                      \
       asm volatile("fsflags x0\n"                                           \
                    F_IN_##W " ft0, %2\n"                                    \
                    F_IN_##W " ft1, %3\n"                                    \
                    op " ft2, ft0, ft1" rm "\n"                              \
                    F_OUT_##W " %0, ft2\n"                                   \
                    "frflags %1"                                             \
                    : "=r"(r_), "=r"(f_)                                     \
                    : "r"((uint64_t)(a)), "r"((uint64_t)(b))                 \
                    : "ft0", "ft1", "ft2");                                  \
       fl = f_; r_ & F_MASK_##W; })

/* fd = op(fa) */
#define FOP1(W, op, rm, a)                                                   \
    ({ uint64_t r_, f_;                                                      \
       asm volatile("fsflags x0\n"                                           \
                    F_IN_##W " ft0, %2\n"                                    \
                    op " ft2, ft0" rm "\n"                                   \
                    F_OUT_##W " %0, ft2\n"                                   \
                    "frflags %1"                                             \
                    : "=r"(r_), "=r"(f_) : "r"((uint64_t)(a))                \
                    : "ft0", "ft2");                                         \
       fl = f_; r_ & F_MASK_##W; })

/* fd = op(fa, fb, fc) (fused multiply-add family) */
#define FOP3(W, op, rm, a, b, c)                                             \
    ({ uint64_t r_, f_;                                                      \
       asm volatile("fsflags x0\n"                                           \
                    F_IN_##W " ft0, %2\n"                                    \
                    F_IN_##W " ft1, %3\n"                                    \
                    F_IN_##W " ft2, %4\n"                                    \
                    op " ft3, ft0, ft1, ft2" rm "\n"                         \
                    F_OUT_##W " %0, ft3\n"                                   \
                    "frflags %1"                                             \
                    : "=r"(r_), "=r"(f_)                                     \
                    : "r"((uint64_t)(a)), "r"((uint64_t)(b)),                \
                      "r"((uint64_t)(c))                                     \
                    : "ft0", "ft1", "ft2", "ft3");                           \
       fl = f_; r_ & F_MASK_##W; })

/* integer rd = op(fa, fb) (feq/flt/fle) */
#define FCMP(W, op, a, b)                                                    \
    ({ uint64_t r_, f_;                                                      \
       asm volatile("fsflags x0\n"                                           \
                    F_IN_##W " ft0, %2\n"                                    \
                    F_IN_##W " ft1, %3\n"                                    \
                    op " %0, ft0, ft1\n"                                     \
                    "frflags %1"                                             \
                    : "=&r"(r_), "=r"(f_)                                    \
                    : "r"((uint64_t)(a)), "r"((uint64_t)(b))                 \
                    : "ft0", "ft1");                                         \
       fl = f_; r_; })

/* integer rd = op(fa) (fclass, fcvt.{w,wu,l,lu}.x) */
#define FTOI(W, op, rm, a)                                                   \
    ({ uint64_t r_, f_;                                                      \
       asm volatile("fsflags x0\n"                                           \
                    F_IN_##W " ft0, %2\n"                                    \
                    op " %0, ft0" rm "\n"                                    \
                    "frflags %1"                                             \
                    : "=&r"(r_), "=r"(f_) : "r"((uint64_t)(a)) : "ft0");     \
       fl = f_; r_; })

/* fd = op(integer rs1) (fcvt.x.{w,wu,l,lu}) */
#define ITOF(W, op, rm, a)                                                   \
    ({ uint64_t r_, f_;                                                      \
       asm volatile("fsflags x0\n"                                           \
                    op " ft0, %2" rm "\n"                                    \
                    F_OUT_##W " %0, ft0\n"                                   \
                    "frflags %1"                                             \
                    : "=r"(r_), "=r"(f_) : "r"((uint64_t)(a)) : "ft0");      \
       fl = f_; r_ & F_MASK_##W; })

/* Conversion between formats: source moved in with IN, result out with OUT. */
#define FCVT(IN, OUT, op, rm, a)                                             \
    ({ uint64_t r_, f_;                                                      \
       asm volatile("fsflags x0\n"                                           \
                    F_IN_##IN " ft0, %2\n"                                   \
                    op " ft1, ft0" rm "\n"                                   \
                    F_OUT_##OUT " %0, ft1\n"                                 \
                    "frflags %1"                                             \
                    : "=r"(r_), "=r"(f_) : "r"((uint64_t)(a))                \
                    : "ft0", "ft1");                                         \
       fl = f_; r_ & F_MASK_##OUT; })

/* Result bits and the flags it raised, in one check each. */
#define CHECK_FP(expr, bits, flags)                                          \
    do {                                                                     \
        uint64_t fp_r_ = (expr);                                             \
        rt_checks += 2;                                                      \
        if (fp_r_ != (uint64_t)(bits))                                       \
            rt_check_fail(__FILE__, __LINE__, #expr " result", true,         \
                          (uint64_t)(bits), fp_r_);                          \
        if (fl != (uint64_t)(flags))                                         \
            rt_check_fail(__FILE__, __LINE__, #expr " fflags", true,         \
                          (uint64_t)(flags), fl);                            \
    } while (0)

static inline uint64_t fp_read_fcsr(void)
{
    uint64_t v;

    asm volatile("frcsr %0" : "=r"(v));
    return v;
}

static inline void fp_set_frm(uint64_t rm)
{
    asm volatile("fsrm %0" : : "r"(rm) : "memory");
}

#endif
