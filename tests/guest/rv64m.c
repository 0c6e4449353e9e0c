/*
 * rv64m - the M extension (unprivileged spec ch. 13).
 *
 * Products with every sign combination and the high halves of the 128-bit
 * product (mulh/mulhsu/mulhu), division and remainder incl. the two special
 * cases the spec defines instead of trapping (division by zero: quotient
 * all ones, remainder = dividend; signed overflow INT_MIN / -1: quotient
 * INT_MIN, remainder 0), and every W form (low 32 bits in, sign-extended
 * 32-bit result out, upper input bits ignored). The JIT inlines all of
 * them (tcg/riscv/jit.c gen_mulh, gen_div): rd naming a source, rd = x0
 * and a loop whose registers the JIT keeps in host registers are checked
 * too, in both engines (guest and guest-interp suites).
 */
#include "rt.h"
#include "guest_asm.h"

#define MIN64 0x8000000000000000ULL
#define MAX64 0x7fffffffffffffffULL
#define ALL1  0xffffffffffffffffULL
#define NEG(x) (0ULL - (uint64_t)(x))

static void test_mul(void)
{
    CHECK_EQ(RR("mul", 6, 7), 42);
    CHECK_EQ(RR("mul", NEG(3), 7), NEG(21));
    CHECK_EQ(RR("mul", NEG(3), NEG(7)), 21);
    CHECK_EQ(RR("mul", MIN64, ALL1), MIN64);
    CHECK_EQ(RR("mul", 0x0123456789abcdefULL, 0xfedcba9876543210ULL),
             0x2236d88fe5618cf0ULL);

    /* High halves. */
    CHECK_EQ(RR("mulh", ALL1, ALL1), 0);                 /* (-1)(-1) = 1 */
    CHECK_EQ(RR("mulh", MIN64, MIN64), 0x4000000000000000ULL);
    CHECK_EQ(RR("mulh", MIN64, MAX64), 0xc000000000000000ULL);
    CHECK_EQ(RR("mulh", NEG(2), 3), ALL1);               /* -6 */
    CHECK_EQ(RR("mulh", MAX64, MAX64), 0x3fffffffffffffffULL);
    CHECK_EQ(RR("mulhu", ALL1, ALL1), 0xfffffffffffffffeULL);
    CHECK_EQ(RR("mulhu", MIN64, 2), 1);
    CHECK_EQ(RR("mulhu", NEG(2), 3), 2);
    CHECK_EQ(RR("mulhu", 0x0123456789abcdefULL, 0xfedcba9876543210ULL),
             0x0121fa00ad77d742ULL);
    /* mulhsu: rs1 signed, rs2 unsigned. */
    CHECK_EQ(RR("mulhsu", ALL1, ALL1), ALL1);            /* -(2^64-1) */
    CHECK_EQ(RR("mulhsu", 2, ALL1), 1);
    CHECK_EQ(RR("mulhsu", MIN64, 2), ALL1);
    CHECK_EQ(RR("mulhsu", MIN64, ALL1), 0x8000000000000000ULL);
    CHECK_EQ(RR("mulhsu", ALL1, 1), ALL1);
    CHECK_EQ(RR("mulhsu", 1, ALL1), 0);

    /* mulw: low 32 bits of the product, sign-extended. */
    CHECK_EQ(RR("mulw", 0x7fffffff, 2), 0xfffffffffffffffeULL);
    CHECK_EQ(RR("mulw", 0x10000, 0x10000), 0);
    CHECK_EQ(RR("mulw", 0x10000, 0x8000), 0xffffffff80000000ULL);
    CHECK_EQ(RR("mulw", 0xdeadbeef00000003ULL, 0x1234567800000005ULL), 15);
    CHECK_EQ(RR("mulw", NEG(3), 7), NEG(21));
}

static void test_div(void)
{
    CHECK_EQ(RR("div", 42, 5), 8);
    CHECK_EQ(RR("div", NEG(42), 5), NEG(8));        /* rounds toward zero */
    CHECK_EQ(RR("div", 42, NEG(5)), NEG(8));
    CHECK_EQ(RR("div", NEG(42), NEG(5)), 8);
    CHECK_EQ(RR("rem", 42, 5), 2);
    CHECK_EQ(RR("rem", NEG(42), 5), NEG(2));        /* sign of dividend */
    CHECK_EQ(RR("rem", 42, NEG(5)), 2);
    CHECK_EQ(RR("rem", NEG(42), NEG(5)), NEG(2));
    CHECK_EQ(RR("divu", ALL1, 2), MAX64);
    CHECK_EQ(RR("divu", NEG(42), 5), 0x333333333333332aULL);
    CHECK_EQ(RR("remu", NEG(42), 5), 4);
    CHECK_EQ(RR("remu", 5, ALL1), 5);

    /* Division by zero. */
    CHECK_EQ(RR("div", 42, 0), ALL1);
    CHECK_EQ(RR("div", NEG(42), 0), ALL1);
    CHECK_EQ(RR("divu", 42, 0), ALL1);
    CHECK_EQ(RR("rem", NEG(42), 0), NEG(42));
    CHECK_EQ(RR("remu", 42, 0), 42);
    CHECK_EQ(RR("div", 0, 0), ALL1);
    CHECK_EQ(RR("rem", 0, 0), 0);

    /* Signed overflow. */
    CHECK_EQ(RR("div", MIN64, ALL1), MIN64);
    CHECK_EQ(RR("rem", MIN64, ALL1), 0);
    CHECK_EQ(RR("divu", MIN64, ALL1), 0);
    CHECK_EQ(RR("remu", MIN64, ALL1), MIN64);
}

static void test_div_w(void)
{
    CHECK_EQ(RR("divw", NEG(42), 5), NEG(8));
    CHECK_EQ(RR("divw", 0x1234567800000007ULL, 0xffffffff00000002ULL), 3);
    CHECK_EQ(RR("divw", 0x80000000ULL, ALL1), 0xffffffff80000000ULL);
    CHECK_EQ(RR("remw", 0x80000000ULL, ALL1), 0);
    CHECK_EQ(RR("divw", 0x80000000ULL, 0xffffffffULL), 0xffffffff80000000ULL);
    CHECK_EQ(RR("divw", 7, 0), ALL1);
    CHECK_EQ(RR("divw", 7, 0x100000000ULL), ALL1);      /* low word is 0 */
    CHECK_EQ(RR("remw", 0xabcdef0080000007ULL, 0), 0xffffffff80000007ULL);
    CHECK_EQ(RR("remw", NEG(42), 5), NEG(2));
    CHECK_EQ(RR("remw", 42, NEG(5)), 2);

    /* Unsigned W: operands are the zero-extended low words; the 32-bit
     * result is still sign-extended. */
    CHECK_EQ(RR("divuw", 0xffffffffULL, 1), ALL1);
    CHECK_EQ(RR("divuw", 0xfffffffffffffffeULL, 2), 0x7fffffff);
    CHECK_EQ(RR("divuw", 0x80000000ULL, 0), ALL1);
    CHECK_EQ(RR("divuw", 0x1234567800000064ULL, 0x500000007ULL), 14);
    CHECK_EQ(RR("remuw", 0x80000005ULL, 0), 0xffffffff80000005ULL);
    CHECK_EQ(RR("remuw", 0xffffffffULL, 10), 5);
    CHECK_EQ(RR("remuw", 0x80000000ULL, 0xffffffffULL), 0xffffffff80000000ULL);
    CHECK_EQ(RR("remuw", 0x7fffffff00000009ULL, 4), 1);
}

/* op rd, rd, rd */
#define SAME(op, a)                                                          \
    ({ uint64_t r_ = (a);                                                    \
       asm volatile(NORVC(op " %0, %0, %0") : "+r"(r_));                     \
       r_; })

/* op x0, a, b leaves x0 zero */
#define TO_X0(op, a, b)                                                      \
    ({ uint64_t r_;                                                          \
       asm volatile(NORVC(op " zero, %1, %2\n mv %0, zero")                   \
                    : "=r"(r_) : "r"((uint64_t)(a)), "r"((uint64_t)(b)));     \
       r_; })

static void test_alias(void)
{
    CHECK_EQ(SAME("div", 0), ALL1);
    CHECK_EQ(SAME("div", 7), 1);
    CHECK_EQ(SAME("div", MIN64), 1);
    CHECK_EQ(SAME("div", ALL1), 1);
    CHECK_EQ(SAME("rem", 0), 0);
    CHECK_EQ(SAME("rem", ALL1), 0);
    CHECK_EQ(SAME("remu", 0), 0);
    CHECK_EQ(SAME("divu", 0), ALL1);
    CHECK_EQ(SAME("divuw", 0x100000000ULL), ALL1);
    CHECK_EQ(SAME("remuw", 0x100000000ULL), 0);
    CHECK_EQ(SAME("divw", 0xffffffffULL), 1);
    CHECK_EQ(SAME("remw", 0x80000000ULL), 0);
    CHECK_EQ(SAME("mulhu", ALL1), 0xfffffffffffffffeULL);
    CHECK_EQ(SAME("mulh", MIN64), 0x4000000000000000ULL);
    CHECK_EQ(SAME("mulhsu", ALL1), ALL1);
    CHECK_EQ(TO_X0("div", 42, 0), 0);
    CHECK_EQ(TO_X0("remu", 42, 5), 0);
    CHECK_EQ(TO_X0("mulhu", ALL1, ALL1), 0);
}

/* A loop: the JIT caches its busiest registers in host registers; every
   special case of division meets them (d = 2, 1, 0, -1, ..., -4). The
   expected sum comes from a model of the spec's table 13.1. */
static void test_loop(void)
{
    uint64_t a = 0x9234567889abcdefULL, s = 0, n = 0, d = 3;
    asm volatile(NORVC(
        "1: addi %3, %3, -1\n"
        "   div  t0, %0, %3\n"
        "   rem  t1, %0, %3\n"
        "   divuw t2, %0, %3\n"
        "   mulhu t3, %0, %3\n"
        "   mulhsu t4, %3, %0\n"
        "   add  %1, %1, t0\n"
        "   xor  %1, %1, t1\n"
        "   add  %1, %1, t2\n"
        "   xor  %1, %1, t3\n"
        "   add  %1, %1, t4\n"
        "   slli t0, %0, 1\n"
        "   add  %0, %0, t0\n"
        "   addi %0, %0, 1\n"
        "   addi %2, %2, 1\n"
        "   bge  %3, %4, 1b\n")
        : "+r"(a), "+r"(s), "+r"(n), "+r"(d) : "r"(-3L)
        : "t0", "t1", "t2", "t3", "t4");
    CHECK_EQ(n, 7);
    CHECK_EQ(s, 0x3229c74bfb4ec7ccULL);
}

int main(void)
{
    test_mul();
    test_div();
    test_div_w();
    test_alias();
    test_loop();
    return rt_pass("rv64m");
}
