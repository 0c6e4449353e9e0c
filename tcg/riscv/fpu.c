/*
 * Software IEEE 754 binary32/binary64 arithmetic (see fpu.h for the API).
 *
 * Method: a finite nonzero operand is unpacked to (sign, exp, sig) with the
 * significand normalized so its top bit is bit 63, value = sig * 2^(exp-63).
 * Each operation computes its exact result, or a truncation of it whose lost
 * low bits are ORed ("jammed") into the lowest bit, in a 64- or 128-bit
 * integer, and hands it to round_pack(), the one place that rounds (all five
 * modes), detects overflow and underflow and packs the encoding. Jamming is
 * exact for rounding purposes as long as at least two bits separate the
 * jammed bit from the rounding position, which every caller guarantees by
 * keeping 64 or more significant bits for a 53-bit result.
 *
 * RISC-V specifics (unprivileged spec, "F" chapter): NaN results are always
 * the canonical NaN, tininess is detected after rounding, fma(inf, 0, qNaN)
 * raises NV, and float-to-integer conversions saturate (NaN -> max).
 */
#include "tcg/riscv/fpu.h"

typedef unsigned __int128 u128;

/* Parameters of one interchange format. */
typedef struct FpFmt {
    int p;        /* precision in bits, hidden bit included */
    int ebits;    /* exponent field width */
    int bias;
} FpFmt;

static const FpFmt fmts[2] = {
    [RV_FPU_S] = { 24, 8, 127 },
    [RV_FPU_D] = { 53, 11, 1023 },
};

enum { CLS_ZERO, CLS_FINITE, CLS_INF, CLS_QNAN, CLS_SNAN };

typedef struct Unpacked {
    int cls;
    bool sign;
    int exp;        /* CLS_FINITE: value = sig * 2^(exp - 63) */
    uint64_t sig;   /* CLS_FINITE: bit 63 set */
} Unpacked;

static inline int max_exp(const FpFmt *f) { return (1 << f->ebits) - 1; }
static inline uint64_t frac_mask(const FpFmt *f)
{
    return (1ull << (f->p - 1)) - 1;
}
static inline uint64_t sign_bit(const FpFmt *f)
{
    return 1ull << (f->p - 1 + f->ebits);
}
static inline uint64_t inf_bits(const FpFmt *f, bool sign)
{
    return (sign ? sign_bit(f) : 0) | ((uint64_t)max_exp(f) << (f->p - 1));
}
static inline uint64_t zero_bits(const FpFmt *f, bool sign)
{
    return sign ? sign_bit(f) : 0;
}
static inline uint64_t cnan_bits(RVFpuFmt fmt)
{
    return fmt == RV_FPU_S ? RV_FPU_CNAN_S : RV_FPU_CNAN_D;
}

static inline bool is_nan(const FpFmt *f, uint64_t a)
{
    return (a & ~sign_bit(f)) > inf_bits(f, false);
}
static inline bool is_snan(const FpFmt *f, uint64_t a)
{
    return is_nan(f, a) && !((a >> (f->p - 2)) & 1);
}

static Unpacked unpack(const FpFmt *f, uint64_t a)
{
    Unpacked u = { .sign = (a >> (f->p - 1 + f->ebits)) & 1 };
    uint64_t frac = a & frac_mask(f);
    int e = (int)((a >> (f->p - 1)) & (uint64_t)max_exp(f));
    uint64_t m;
    int k;

    if (e == max_exp(f)) {
        if (frac == 0) {
            u.cls = CLS_INF;
        } else {
            u.cls = (frac >> (f->p - 2)) & 1 ? CLS_QNAN : CLS_SNAN;
        }
        return u;
    }
    if (e == 0) {
        if (frac == 0) {
            u.cls = CLS_ZERO;
            return u;
        }
        m = frac;
        k = 1 - f->bias - (f->p - 1);
    } else {
        m = frac | (1ull << (f->p - 1));
        k = e - f->bias - (f->p - 1);
    }
    int l = __builtin_clzll(m);
    u.cls = CLS_FINITE;
    u.sig = m << l;
    u.exp = k - l + 63;
    return u;
}

/*
 * sig / 2^s rounded to an integer in mode rm; `neg` is the sign of the
 * value (directed modes depend on it). *inexact tells whether bits were
 * lost. Any s >= 0 works: beyond 64 only "nonzero" matters.
 */
static uint64_t round_int(uint64_t sig, int s, bool neg, int rm,
                          bool *inexact)
{
    uint64_t q, rem, half;

    if (s == 0) {
        *inexact = false;
        return sig;
    }
    if (s > 64) {
        sig = sig != 0;   /* strictly below half an ulp, above zero */
        s = 64;
    }
    if (s == 64) {
        q = 0;
        rem = sig;
        half = 1ull << 63;
    } else {
        q = sig >> s;
        rem = sig & ((1ull << s) - 1);
        half = 1ull << (s - 1);
    }
    *inexact = rem != 0;
    switch (rm) {
    case RV_RM_RNE:
        q += rem > half || (rem == half && (q & 1));
        break;
    case RV_RM_RDN:
        q += neg && rem;
        break;
    case RV_RM_RUP:
        q += !neg && rem;
        break;
    case RV_RM_RMM:
        q += rem >= half;
        break;
    default: /* RTZ */
        break;
    }
    return q;
}

/* Round sign * sig * 2^(exp-63) (sig bit 63 set, lower bits jammed) to the
   format and pack it, raising NX/UF/OF. */
static uint64_t round_pack(const FpFmt *f, bool sign, int exp, uint64_t sig,
                           int rm, uint32_t *flags)
{
    int shift = 64 - f->p;
    int e = exp + f->bias;     /* biased exponent if the result is normal */
    uint64_t sbit = sign ? sign_bit(f) : 0;
    bool inexact;
    uint64_t m;

    if (e >= 1) {
        m = round_int(sig, shift, sign, rm, &inexact);
        if (m >> f->p) {       /* rounded up to the next binade */
            m >>= 1;
            e++;
        }
        if (e >= max_exp(f)) {
            *flags |= RV_FFLAG_OF | RV_FFLAG_NX;
            bool to_max = rm == RV_RM_RTZ || (rm == RV_RM_RDN && !sign) ||
                          (rm == RV_RM_RUP && sign);
            return to_max ? inf_bits(f, sign) - 1 : inf_bits(f, sign);
        }
        if (inexact) {
            *flags |= RV_FFLAG_NX;
        }
        return sbit | ((uint64_t)e << (f->p - 1)) | (m & frac_mask(f));
    }

    /* Tiny "after rounding": still below 2^emin once rounded to p bits
       with an unbounded exponent. Only e == 0 can round up out of it. */
    bool tiny = true;
    if (e == 0) {
        m = round_int(sig, shift, sign, rm, &inexact);
        tiny = !(m >> f->p);
    }
    /* e < 1 - 64 just means "way below"; clamp so the shift stays sane. */
    int sub_shift = e < -200 ? 300 : shift + 1 - e;
    m = round_int(sig, sub_shift, sign, rm, &inexact);
    if (inexact) {
        *flags |= RV_FFLAG_NX;
        if (tiny) {
            *flags |= RV_FFLAG_UF;
        }
    }
    /* m == 2^(p-1) lands in the exponent field: the smallest normal. */
    return sbit | m;
}

/* Round sign * s * 2^e2 (s != 0, any width up to 128 bits). */
static uint64_t pack_u128(const FpFmt *f, bool sign, u128 s, int e2, int rm,
                          uint32_t *flags)
{
    uint64_t hi = (uint64_t)(s >> 64), lo = (uint64_t)s;
    if (hi) {
        int l = __builtin_clzll(hi);
        u128 t = s << l;
        uint64_t sig = (uint64_t)(t >> 64) | ((uint64_t)t != 0);
        return round_pack(f, sign, e2 - l + 127, sig, rm, flags);
    }
    int l = __builtin_clzll(lo);
    return round_pack(f, sign, e2 - l + 63, lo << l, rm, flags);
}

static inline u128 shr_jam128(u128 x, int n)
{
    if (n == 0) {
        return x;
    }
    if (n >= 128) {
        return x != 0;
    }
    return (x >> n) | ((x << (128 - n)) != 0);
}

/* Exact-zero sums: +0, or -0 when rounding down (IEEE 754 6.3). */
static inline uint64_t zero_sum(const FpFmt *f, bool sa, bool sb, int rm)
{
    return zero_bits(f, sa == sb ? sa : rm == RV_RM_RDN);
}

/*
 * sa*A*2^ea + sb*B*2^eb, both A and B nonzero with their top bit at bit
 * 125 (two bits of headroom for the carry). A and B each have at least 20
 * zero low bits, so the aligning shift is exact unless the exponents are
 * so far apart that the sum cannot cancel more than one bit.
 */
static uint64_t add_core(const FpFmt *f, bool sa, u128 a, int ea,
                         bool sb, u128 b, int eb, int rm, uint32_t *flags)
{
    if (ea < eb || (ea == eb && a < b)) {
        u128 t = a; a = b; b = t;
        int te = ea; ea = eb; eb = te;
        bool ts = sa; sa = sb; sb = ts;
    }
    b = shr_jam128(b, ea - eb > 128 ? 128 : ea - eb);
    u128 s = sa == sb ? a + b : a - b;
    if (s == 0) {
        return zero_sum(f, sa, sb, rm);
    }
    return pack_u128(f, sa, s, ea, rm, flags);
}

static uint64_t nan_result(RVFpuFmt fmt, bool signaling, uint32_t *flags)
{
    if (signaling) {
        *flags |= RV_FFLAG_NV;
    }
    return cnan_bits(fmt);
}

static inline bool any_nan(const Unpacked *u)
{
    return u->cls >= CLS_QNAN;
}

static uint64_t add_signed(RVFpuFmt fmt, uint64_t a, uint64_t b, bool neg_b,
                           int rm, uint32_t *flags)
{
    const FpFmt *f = &fmts[fmt];
    Unpacked ua = unpack(f, a), ub = unpack(f, b);
    bool sb = ub.sign ^ neg_b;

    if (any_nan(&ua) || any_nan(&ub)) {
        return nan_result(fmt, ua.cls == CLS_SNAN || ub.cls == CLS_SNAN,
                          flags);
    }
    if (ua.cls == CLS_INF) {
        if (ub.cls == CLS_INF && ua.sign != sb) {
            return nan_result(fmt, true, flags);
        }
        return inf_bits(f, ua.sign);
    }
    if (ub.cls == CLS_INF) {
        return inf_bits(f, sb);
    }
    if (ub.cls == CLS_ZERO) {
        return ua.cls == CLS_ZERO ? zero_sum(f, ua.sign, sb, rm) : a;
    }
    if (ua.cls == CLS_ZERO) {
        return b ^ (neg_b ? sign_bit(f) : 0);
    }
    return add_core(f, ua.sign, (u128)ua.sig << 62, ua.exp - 125,
                    sb, (u128)ub.sig << 62, ub.exp - 125, rm, flags);
}

uint64_t rv_fpu_add(RVFpuFmt fmt, uint64_t a, uint64_t b, int rm,
                    uint32_t *flags)
{
    return add_signed(fmt, a, b, false, rm, flags);
}

uint64_t rv_fpu_sub(RVFpuFmt fmt, uint64_t a, uint64_t b, int rm,
                    uint32_t *flags)
{
    return add_signed(fmt, a, b, true, rm, flags);
}

uint64_t rv_fpu_mul(RVFpuFmt fmt, uint64_t a, uint64_t b, int rm,
                    uint32_t *flags)
{
    const FpFmt *f = &fmts[fmt];
    Unpacked ua = unpack(f, a), ub = unpack(f, b);
    bool sign = ua.sign ^ ub.sign;

    if (any_nan(&ua) || any_nan(&ub)) {
        return nan_result(fmt, ua.cls == CLS_SNAN || ub.cls == CLS_SNAN,
                          flags);
    }
    if (ua.cls == CLS_INF || ub.cls == CLS_INF) {
        if (ua.cls == CLS_ZERO || ub.cls == CLS_ZERO) {
            return nan_result(fmt, true, flags);
        }
        return inf_bits(f, sign);
    }
    if (ua.cls == CLS_ZERO || ub.cls == CLS_ZERO) {
        return zero_bits(f, sign);
    }
    return pack_u128(f, sign, (u128)ua.sig * ub.sig, ua.exp + ub.exp - 126,
                     rm, flags);
}

uint64_t rv_fpu_div(RVFpuFmt fmt, uint64_t a, uint64_t b, int rm,
                    uint32_t *flags)
{
    const FpFmt *f = &fmts[fmt];
    Unpacked ua = unpack(f, a), ub = unpack(f, b);
    bool sign = ua.sign ^ ub.sign;

    if (any_nan(&ua) || any_nan(&ub)) {
        return nan_result(fmt, ua.cls == CLS_SNAN || ub.cls == CLS_SNAN,
                          flags);
    }
    if (ua.cls == CLS_INF) {
        if (ub.cls == CLS_INF) {
            return nan_result(fmt, true, flags);
        }
        return inf_bits(f, sign);
    }
    if (ub.cls == CLS_INF) {
        return zero_bits(f, sign);
    }
    if (ub.cls == CLS_ZERO) {
        if (ua.cls == CLS_ZERO) {
            return nan_result(fmt, true, flags);
        }
        *flags |= RV_FFLAG_DZ;
        return inf_bits(f, sign);
    }
    if (ua.cls == CLS_ZERO) {
        return zero_bits(f, sign);
    }
    /* 64+ quotient bits; the remainder only matters as sticky. */
    u128 num = (u128)ua.sig << 64;
    u128 q = num / ub.sig;
    q |= (num - q * ub.sig) != 0;
    return pack_u128(f, sign, q, ua.exp - ub.exp - 64, rm, flags);
}

/*
 * floor(sqrt(m)) for 2^125 <= m < 2^127. The host's sqrt only provides a
 * starting point: the integer correction and the final checks make the
 * result exact whatever the estimate (host rounding mode included), so
 * only the speed depends on the host.
 */
static uint64_t isqrt128(u128 m)
{
    uint64_t r = (uint64_t)__builtin_sqrt((double)m);
    __int128 diff = (__int128)(m - (u128)r * r);
    r += (int64_t)((double)diff / (2.0 * (double)r));
    while ((u128)r * r > m) {
        r--;
    }
    while ((u128)(r + 1) * (r + 1) <= m) {
        r++;
    }
    return r;
}

uint64_t rv_fpu_sqrt(RVFpuFmt fmt, uint64_t a, int rm, uint32_t *flags)
{
    const FpFmt *f = &fmts[fmt];
    Unpacked ua = unpack(f, a);

    if (any_nan(&ua)) {
        return nan_result(fmt, ua.cls == CLS_SNAN, flags);
    }
    if (ua.cls == CLS_ZERO) {
        return a;                      /* sqrt(-0) = -0 */
    }
    if (ua.sign) {
        return nan_result(fmt, true, flags);
    }
    if (ua.cls == CLS_INF) {
        return a;
    }
    /* value = sig * 2^e; scale sig up by 62 or 63 bits to make the
       exponent even, leaving a 63-bit root. */
    int e = ua.exp - 63;
    int sh = (e & 1) ? 63 : 62;
    u128 m = (u128)ua.sig << sh;
    uint64_t r = isqrt128(m);
    u128 s = (u128)r | ((u128)r * r != m);
    return pack_u128(f, false, s, (e - sh) / 2, rm, flags);
}

uint64_t rv_fpu_fma(RVFpuFmt fmt, uint64_t a, uint64_t b, uint64_t c,
                    bool neg_prod, bool neg_c, int rm, uint32_t *flags)
{
    const FpFmt *f = &fmts[fmt];
    Unpacked ua = unpack(f, a), ub = unpack(f, b), uc = unpack(f, c);
    bool sp = ua.sign ^ ub.sign ^ neg_prod;
    bool sc = uc.sign ^ neg_c;

    /* Spec: inf * 0 is invalid even when the addend is a quiet NaN. */
    if ((ua.cls == CLS_INF && ub.cls == CLS_ZERO) ||
        (ua.cls == CLS_ZERO && ub.cls == CLS_INF)) {
        return nan_result(fmt, true, flags);
    }
    if (any_nan(&ua) || any_nan(&ub) || any_nan(&uc)) {
        return nan_result(fmt, ua.cls == CLS_SNAN || ub.cls == CLS_SNAN ||
                          uc.cls == CLS_SNAN, flags);
    }
    if (ua.cls == CLS_INF || ub.cls == CLS_INF) {
        if (uc.cls == CLS_INF && sc != sp) {
            return nan_result(fmt, true, flags);
        }
        return inf_bits(f, sp);
    }
    if (uc.cls == CLS_INF) {
        return inf_bits(f, sc);
    }
    if (ua.cls == CLS_ZERO || ub.cls == CLS_ZERO) {
        if (uc.cls == CLS_ZERO) {
            return zero_sum(f, sp, sc, rm);
        }
        return (c & ~sign_bit(f)) | (sc ? sign_bit(f) : 0);
    }
    /* The product is exact in 128 bits; bring its top bit to 125 (its
       low bits are zero, so the shift loses nothing). */
    u128 p = (u128)ua.sig * ub.sig;
    int ep = ua.exp + ub.exp - 126;
    int top = p >> 127 ? 2 : 1;
    p >>= top;
    ep += top;
    if (uc.cls == CLS_ZERO) {
        return pack_u128(f, sp, p, ep, rm, flags);
    }
    return add_core(f, sp, p, ep, sc, (u128)uc.sig << 62, uc.exp - 125,
                    rm, flags);
}

/* Total order key with -0 < +0 (for min/max). */
static inline int64_t order_key(const FpFmt *f, uint64_t a)
{
    int64_t mag = (int64_t)(a & ~sign_bit(f));
    return a & sign_bit(f) ? -mag - 1 : mag;
}

/* Numeric order key with -0 == +0 (for comparisons). */
static inline int64_t value_key(const FpFmt *f, uint64_t a)
{
    int64_t mag = (int64_t)(a & ~sign_bit(f));
    return a & sign_bit(f) ? -mag : mag;
}

static uint64_t min_max(RVFpuFmt fmt, uint64_t a, uint64_t b, bool is_max,
                        uint32_t *flags)
{
    const FpFmt *f = &fmts[fmt];
    bool na = is_nan(f, a), nb = is_nan(f, b);

    if (is_snan(f, a) || is_snan(f, b)) {
        *flags |= RV_FFLAG_NV;
    }
    if (na && nb) {
        return cnan_bits(fmt);
    }
    if (na) {
        return b;
    }
    if (nb) {
        return a;
    }
    bool a_less = order_key(f, a) < order_key(f, b);
    return a_less != is_max ? a : b;
}

uint64_t rv_fpu_min(RVFpuFmt fmt, uint64_t a, uint64_t b, uint32_t *flags)
{
    return min_max(fmt, a, b, false, flags);
}

uint64_t rv_fpu_max(RVFpuFmt fmt, uint64_t a, uint64_t b, uint32_t *flags)
{
    return min_max(fmt, a, b, true, flags);
}

bool rv_fpu_eq(RVFpuFmt fmt, uint64_t a, uint64_t b, uint32_t *flags)
{
    const FpFmt *f = &fmts[fmt];
    if (is_nan(f, a) || is_nan(f, b)) {
        if (is_snan(f, a) || is_snan(f, b)) {
            *flags |= RV_FFLAG_NV;
        }
        return false;
    }
    return value_key(f, a) == value_key(f, b);
}

bool rv_fpu_lt(RVFpuFmt fmt, uint64_t a, uint64_t b, uint32_t *flags)
{
    const FpFmt *f = &fmts[fmt];
    if (is_nan(f, a) || is_nan(f, b)) {
        *flags |= RV_FFLAG_NV;
        return false;
    }
    return value_key(f, a) < value_key(f, b);
}

bool rv_fpu_le(RVFpuFmt fmt, uint64_t a, uint64_t b, uint32_t *flags)
{
    const FpFmt *f = &fmts[fmt];
    if (is_nan(f, a) || is_nan(f, b)) {
        *flags |= RV_FFLAG_NV;
        return false;
    }
    return value_key(f, a) <= value_key(f, b);
}

uint64_t rv_fpu_class(RVFpuFmt fmt, uint64_t a)
{
    const FpFmt *f = &fmts[fmt];
    bool sign = a & sign_bit(f);
    uint64_t e = (a >> (f->p - 1)) & (uint64_t)max_exp(f);
    uint64_t frac = a & frac_mask(f);
    int bit;

    if (e == (uint64_t)max_exp(f)) {
        if (frac == 0) {
            bit = sign ? 0 : 7;
        } else {
            bit = (frac >> (f->p - 2)) & 1 ? 9 : 8;
        }
    } else if (e == 0) {
        bit = frac == 0 ? (sign ? 3 : 4) : (sign ? 2 : 5);
    } else {
        bit = sign ? 1 : 6;
    }
    return 1ull << bit;
}

uint64_t rv_fpu_to_int(RVFpuFmt fmt, uint64_t a, RVFpuInt type, int rm,
                       uint32_t *flags)
{
    static const struct { uint64_t max, neg_max; } lim[4] = {
        [RV_FPU_W] = { 0x7fffffffull, 0x80000000ull },
        [RV_FPU_WU] = { 0xffffffffull, 0 },
        [RV_FPU_L] = { 0x7fffffffffffffffull, 0x8000000000000000ull },
        [RV_FPU_LU] = { ~0ull, 0 },
    };
    const FpFmt *f = &fmts[fmt];
    Unpacked u = unpack(f, a);
    uint64_t max = lim[type].max, neg_max = lim[type].neg_max;
    uint64_t r;
    bool sat_neg = false, invalid = false, inexact = false;

    switch (u.cls) {
    case CLS_ZERO:
        r = 0;
        break;
    case CLS_FINITE:
        if (u.exp > 63) {      /* |a| >= 2^64 */
            invalid = true;
            sat_neg = u.sign;
            break;
        }
        r = round_int(u.sig, 63 - u.exp, u.sign, rm, &inexact);
        if (u.sign) {
            invalid = r > neg_max;
            sat_neg = true;
            r = -r;
        } else {
            invalid = r > max;
        }
        break;
    case CLS_INF:
        invalid = true;
        sat_neg = u.sign;
        break;
    default:                   /* NaN converts like +inf */
        invalid = true;
        break;
    }
    if (invalid) {
        *flags |= RV_FFLAG_NV;
        r = sat_neg ? -neg_max : max;
    } else if (inexact) {
        *flags |= RV_FFLAG_NX;
    }
    if (type == RV_FPU_W || type == RV_FPU_WU) {
        r = (uint64_t)(int64_t)(int32_t)r;
    }
    return r;
}

uint64_t rv_fpu_from_int(RVFpuFmt fmt, uint64_t v, RVFpuInt type, int rm,
                         uint32_t *flags)
{
    bool sign = false;
    uint64_t mag;

    switch (type) {
    case RV_FPU_W:
        mag = (uint64_t)(int64_t)(int32_t)v;
        break;
    case RV_FPU_WU:
        mag = (uint32_t)v;
        break;
    default:
        mag = v;
        break;
    }
    if ((type == RV_FPU_W || type == RV_FPU_L) && (int64_t)mag < 0) {
        sign = true;
        mag = -mag;
    }
    if (mag == 0) {
        return 0;
    }
    int l = __builtin_clzll(mag);
    return round_pack(&fmts[fmt], sign, 63 - l, mag << l, rm, flags);
}

uint64_t rv_fpu_convert(RVFpuFmt to, RVFpuFmt from, uint64_t a, int rm,
                        uint32_t *flags)
{
    const FpFmt *ft = &fmts[to];
    Unpacked u = unpack(&fmts[from], a);

    switch (u.cls) {
    case CLS_ZERO:
        return zero_bits(ft, u.sign);
    case CLS_INF:
        return inf_bits(ft, u.sign);
    case CLS_FINITE:
        return round_pack(ft, u.sign, u.exp, u.sig, rm, flags);
    default:
        return nan_result(to, u.cls == CLS_SNAN, flags);
    }
}
