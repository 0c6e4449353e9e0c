/*
 * rvc - the C extension on RV64 (unprivileged spec ch. 16).
 *
 * Every RV64C instruction executed from rvc_asm.S with explicit `c.`
 * mnemonics: immediates at their signed extremes (c.li, c.lui negatives,
 * c.addi, c.andi), shifts by 1/32/63, the W forms (c.addiw takes the RV32
 * c.jal encoding), sp-relative forms at their largest offsets (c.addi4spn,
 * c.addi16sp, c.[lw|ld|fld]sp, c.[sw|sd|fsd]sp), c.jalr's link value
 * (pc + 2), c.ebreak (cause 3, mepc = its address, mtval 0 as QEMU writes),
 * and illegal encodings: the all-zero halfword and reserved forms trap
 * with mtval = the 16 instruction bits (0 for 0x0000), a 32-bit custom
 * opcode with mtval = its 32 bits.
 */
#include "rt.h"

typedef struct Pair {
    uint64_t a, b;
} Pair;

#define MIN64 0x8000000000000000ULL
#define ALL1  0xffffffffffffffffULL

Pair rvc_li(void);
Pair rvc_lui_neg(void);
Pair rvc_lui_minus1(void);
Pair rvc_addi(uint64_t x);
Pair rvc_addiw(uint64_t x, uint64_t y);
uint64_t rvc_jal_encoding(uint64_t x);
uint64_t rvc_srli(uint64_t x);
uint64_t rvc_srli1(uint64_t x);
uint64_t rvc_srai63(uint64_t x);
uint64_t rvc_srai32(uint64_t x);
uint64_t rvc_slli63(uint64_t x);
uint64_t rvc_slli32(uint64_t x);
Pair rvc_andi(uint64_t x);
uint64_t rvc_andi0(uint64_t x);
uint64_t rvc_sub(uint64_t a, uint64_t b);
uint64_t rvc_xor(uint64_t a, uint64_t b);
uint64_t rvc_or(uint64_t a, uint64_t b);
uint64_t rvc_and(uint64_t a, uint64_t b);
uint64_t rvc_subw(uint64_t a, uint64_t b);
uint64_t rvc_addw(uint64_t a, uint64_t b);
uint64_t rvc_add(uint64_t a, uint64_t b);
Pair rvc_sp_adjust(void);
uint64_t rvc_addi4spn_small(void);
Pair rvc_ld_sd(void *buf, uint64_t v);
Pair rvc_lw_sw(void *buf, uint64_t v);
Pair rvc_sp_mem(uint64_t d, uint64_t w);
Pair rvc_fp_mem(void *buf, uint64_t bits);
uint64_t rvc_j(void);
Pair rvc_branches(uint64_t a, uint64_t b);
Pair rvc_loop(uint64_t n);
Pair rvc_jalr(void);
uint64_t rvc_jr(void);
uint64_t rvc_nop(void);
uint64_t rvc_ebreak(void);
uint64_t rvc_illegal_zero(void);
uint64_t rvc_illegal_addi4spn0(void);
uint64_t rvc_illegal_lui0(void);
uint64_t rvc_illegal_addi16sp0(void);
uint64_t rvc_illegal_jr0(void);
uint64_t rvc_illegal_lwsp0(void);
uint64_t rvc_illegal_ldsp0(void);
uint64_t rvc_illegal_32(void);

static uint64_t buf[64] __attribute__((aligned(16)));

static void test_alu(void)
{
    Pair p;

    p = rvc_li();
    CHECK_EQ(p.a, 0xffffffffffffffe0ULL);
    CHECK_EQ(p.b, 31);
    p = rvc_lui_neg();
    CHECK_EQ(p.a, 0xfffffffffffe0000ULL);
    CHECK_EQ(p.b, 0x1f000);
    p = rvc_lui_minus1();
    CHECK_EQ(p.a, 0xfffffffffffff000ULL);
    CHECK_EQ(p.b, 0x1000);
    p = rvc_addi(5);
    CHECK_EQ(p.a, (uint64_t)-27);
    CHECK_EQ(p.b, 36);
    p = rvc_addi(MIN64);
    CHECK_EQ(p.a, 0x7fffffffffffffe0ULL);
    p = rvc_addiw(0x7fffffff, 0x180000000ULL);
    CHECK_EQ(p.a, 0xffffffff80000000ULL);
    CHECK_EQ(p.b, 0xffffffff80000000ULL);
    p = rvc_addiw(0xffffffffffffffffULL, 0x12345678ffffffffULL);
    CHECK_EQ(p.a, 0);
    CHECK_EQ(p.b, ALL1);
    CHECK_EQ(rvc_jal_encoding(0x123456787fffffffULL), 0xffffffff80000000ULL);

    CHECK_EQ(rvc_srli(MIN64 | 1), 1);
    CHECK_EQ(rvc_srli1(MIN64 | 1), 0x4000000000000000ULL);
    CHECK_EQ(rvc_srai63(MIN64), ALL1);
    CHECK_EQ(rvc_srai63(0x7fffffffffffffffULL), 0);
    CHECK_EQ(rvc_srai32(0x8000000100000000ULL), 0xffffffff80000001ULL);
    CHECK_EQ(rvc_slli63(3), MIN64);
    CHECK_EQ(rvc_slli32(0x12345678abcdef01ULL), 0xabcdef0100000000ULL);
    p = rvc_andi(0x123456789abcdefULL);
    CHECK_EQ(p.a, 0x123456789abcde0ULL);
    CHECK_EQ(p.b, 0xf);
    CHECK_EQ(rvc_andi0(ALL1), 0);

    CHECK_EQ(rvc_sub(0, 1), ALL1);
    CHECK_EQ(rvc_xor(0xff00, 0x0ff0), 0xf0f0);
    CHECK_EQ(rvc_or(0xff00, 0x0ff0), 0xfff0);
    CHECK_EQ(rvc_and(0xff00, 0x0ff0), 0x0f00);
    CHECK_EQ(rvc_subw(0x80000000ULL, 1), 0x7fffffff);
    CHECK_EQ(rvc_subw(0, 1), ALL1);
    CHECK_EQ(rvc_addw(0x7fffffff, 1), 0xffffffff80000000ULL);
    CHECK_EQ(rvc_addw(0x1234567800000001ULL, 0xffffffff00000002ULL), 3);
    CHECK_EQ(rvc_add(MIN64, MIN64), 0);
    CHECK_EQ(rvc_add(40, 2), 42);
}

static void test_memory(void)
{
    Pair p;

    p = rvc_sp_adjust();
    CHECK_EQ(p.a, 1020);
    CHECK_EQ(p.b, 512);
    CHECK_EQ(rvc_addi4spn_small(), 4);

    p = rvc_ld_sd(buf, 0x8000000000000001ULL);
    CHECK_EQ(p.a, 0x8000000000000001ULL);
    CHECK_EQ(p.b, 0x8000000000000001ULL);
    CHECK_EQ(buf[1], 0x8000000000000001ULL);
    CHECK_EQ(buf[31], 0x8000000000000001ULL);
    p = rvc_lw_sw(buf, 0x1234567880000002ULL);
    CHECK_EQ(p.a, 0xffffffff80000002ULL);
    CHECK_EQ(p.b, 0xffffffff80000002ULL);
    CHECK_EQ(buf[0] >> 32, 0x80000002ULL);
    CHECK_EQ(buf[15] >> 32, 0x80000002ULL);

    p = rvc_sp_mem(0xfedcba9876543210ULL, 0x00000000f0000001ULL);
    CHECK_EQ(p.a, 0xfedcba9876543210ULL);
    CHECK_EQ(p.b, 0xfffffffff0000001ULL);

    p = rvc_fp_mem(buf, 0x400921fb54442d18ULL);
    CHECK_EQ(p.a, 0x400921fb54442d18ULL);
    CHECK_EQ(p.b, 0x400921fb54442d18ULL * 2);
    CHECK_EQ(buf[2], 0x400921fb54442d18ULL);
}

static void test_control(void)
{
    Pair p;

    CHECK_EQ(rvc_j(), 1);
    p = rvc_branches(0, 1);
    CHECK_EQ(p.a, 1);
    CHECK_EQ(p.b, 1);
    p = rvc_branches(5, 0);
    CHECK_EQ(p.a, 0);
    CHECK_EQ(p.b, 0);
    p = rvc_branches(MIN64, MIN64);
    CHECK_EQ(p.a, 0);
    CHECK_EQ(p.b, 1);
    p = rvc_loop(100);
    CHECK_EQ(p.b, 100);
    p = rvc_jalr();
    CHECK_EQ(p.a, p.b);
    CHECK_EQ(rvc_jr(), 7);
    CHECK_EQ(rvc_nop(), 9);
}

static void expect_illegal(uint64_t (*fn)(void), uint64_t bits)
{
    uint64_t addr;

    rt_expect_trap(RT_CAUSE_ILLEGAL_INSN);
    addr = fn();
    CHECK_TRAPPED(RT_CAUSE_ILLEGAL_INSN);
    CHECK_EQ(rt_trap.epc, addr);
    CHECK_EQ(rt_trap.tval, bits);
}

static void test_traps(void)
{
    uint64_t addr;

    rt_expect_trap(RT_CAUSE_BREAKPOINT);
    addr = rvc_ebreak();
    CHECK_TRAPPED(RT_CAUSE_BREAKPOINT);
    CHECK_EQ(rt_trap.epc, addr);
    CHECK_EQ(rt_trap.tval, 0);

    expect_illegal(rvc_illegal_zero, 0);
    expect_illegal(rvc_illegal_addi4spn0, 0x0004);
    expect_illegal(rvc_illegal_lui0, 0x6501);
    expect_illegal(rvc_illegal_addi16sp0, 0x6101);
    expect_illegal(rvc_illegal_jr0, 0x8002);
    expect_illegal(rvc_illegal_lwsp0, 0x4002);
    expect_illegal(rvc_illegal_ldsp0, 0x6002);
    expect_illegal(rvc_illegal_32, 0x1234507b);
}

int main(void)
{
    test_alu();
    test_memory();
    test_control();
    test_traps();
    return rt_pass("rvc");
}
