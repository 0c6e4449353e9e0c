/*
 * rv64i - the RV64I base ISA (unprivileged spec ch. 2 and 5).
 *
 * Every register-register and immediate ALU op, the 32-bit W forms and
 * their sign extension, shift amounts at 0/31/32/63 and register shift
 * amounts >= 64 (only the low 6 bits count, low 5 for W forms), signed and
 * unsigned comparisons at their boundaries, lui/auipc, jal/jalr link values,
 * every branch, every load/store width (incl. misaligned accesses, which
 * QEMU's virt executes without trapping, as the spec allows), and writes to
 * x0 being discarded.  Expected values are literals so that the compiler
 * cannot compute them with the instruction under test.
 */
#include "rt.h"
#include "guest_asm.h"

#define MIN64 0x8000000000000000ULL
#define MAX64 0x7fffffffffffffffULL
#define ALL1  0xffffffffffffffffULL

static void test_alu_rr(void)
{
    CHECK_EQ(RR("add", 1, 2), 3);
    CHECK_EQ(RR("add", MAX64, 1), MIN64);
    CHECK_EQ(RR("add", ALL1, ALL1), 0xfffffffffffffffeULL);
    CHECK_EQ(RR("sub", 0, 1), ALL1);
    CHECK_EQ(RR("sub", MIN64, 1), MAX64);
    CHECK_EQ(RR("sub", 5, 5), 0);
    CHECK_EQ(RR("and", 0xff00ff00ff00ff00ULL, 0x0ff00ff00ff00ff0ULL),
             0x0f000f000f000f00ULL);
    CHECK_EQ(RR("or", 0xff00ff00ff00ff00ULL, 0x0ff00ff00ff00ff0ULL),
             0xfff0fff0fff0fff0ULL);
    CHECK_EQ(RR("xor", 0xff00ff00ff00ff00ULL, 0x0ff00ff00ff00ff0ULL),
             0xf0f0f0f0f0f0f0f0ULL);

    CHECK_EQ(RR("slt", ALL1, 0), 1);          /* -1 < 0 */
    CHECK_EQ(RR("slt", 0, ALL1), 0);
    CHECK_EQ(RR("slt", MIN64, MAX64), 1);
    CHECK_EQ(RR("slt", MAX64, MIN64), 0);
    CHECK_EQ(RR("slt", 7, 7), 0);
    CHECK_EQ(RR("sltu", ALL1, 0), 0);         /* 2^64-1 > 0 */
    CHECK_EQ(RR("sltu", 0, ALL1), 1);
    CHECK_EQ(RR("sltu", MAX64, MIN64), 1);
    CHECK_EQ(RR("sltu", 0, 0), 0);
    CHECK_EQ(RR("sltu", 0, 1), 1);            /* snez idiom with rs1 = x0 */
}

static void test_alu_imm(void)
{
    CHECK_EQ(RI("addi", 0, -2048), 0xfffffffffffff800ULL);
    CHECK_EQ(RI("addi", 0, 2047), 0x7ff);
    CHECK_EQ(RI("addi", MAX64, 1), MIN64);
    CHECK_EQ(RI("andi", 0x123456789abcdef0ULL, -1), 0x123456789abcdef0ULL);
    CHECK_EQ(RI("andi", 0x123456789abcdef0ULL, -16), 0x123456789abcdef0ULL);
    CHECK_EQ(RI("andi", 0x123456789abcdef7ULL, 0x7f0), 0x6f0);
    CHECK_EQ(RI("ori", 0x10, -2048), 0xfffffffffffff810ULL);
    CHECK_EQ(RI("ori", 0x10, 0x0f), 0x1f);
    CHECK_EQ(RI("xori", 0x123456789abcdef0ULL, -1), 0xedcba9876543210fULL);
    CHECK_EQ(RI("xori", 0xff, 0x0f), 0xf0);

    CHECK_EQ(RI("slti", ALL1, 0), 1);
    CHECK_EQ(RI("slti", 0, -1), 0);
    CHECK_EQ(RI("slti", MIN64, -2048), 1);
    CHECK_EQ(RI("slti", 0xfffffffffffff800ULL, -2048), 0);
    CHECK_EQ(RI("slti", 2046, 2047), 1);
    /* sltiu sign-extends the immediate, then compares unsigned. */
    CHECK_EQ(RI("sltiu", 0, -1), 1);
    CHECK_EQ(RI("sltiu", 0xfffffffffffffffeULL, -1), 1);
    CHECK_EQ(RI("sltiu", ALL1, -1), 0);
    CHECK_EQ(RI("sltiu", 0, 1), 1);           /* seqz */
    CHECK_EQ(RI("sltiu", 5, 1), 0);
    CHECK_EQ(RI("sltiu", 0x800, -2048), 1);
}

static void test_shifts(void)
{
    uint64_t v = 0x8000000000000001ULL;

    CHECK_EQ(RI("slli", v, 0), v);
    CHECK_EQ(RI("slli", v, 31), 0x0000000080000000ULL);
    CHECK_EQ(RI("slli", v, 32), 0x0000000100000000ULL);
    CHECK_EQ(RI("slli", v, 63), MIN64);
    CHECK_EQ(RI("srli", v, 0), v);
    CHECK_EQ(RI("srli", v, 31), 0x0000000100000000ULL);
    CHECK_EQ(RI("srli", v, 32), 0x0000000080000000ULL);
    CHECK_EQ(RI("srli", v, 63), 1);
    CHECK_EQ(RI("srai", v, 0), v);
    CHECK_EQ(RI("srai", v, 31), 0xffffffff00000000ULL);
    CHECK_EQ(RI("srai", v, 32), 0xffffffff80000000ULL);
    CHECK_EQ(RI("srai", v, 63), ALL1);
    CHECK_EQ(RI("srai", MAX64, 63), 0);

    /* Register shift amounts use only rs2[5:0]. */
    CHECK_EQ(RR("sll", 1, 64), 1);
    CHECK_EQ(RR("sll", 1, 65), 2);
    CHECK_EQ(RR("sll", 1, 127), MIN64);
    CHECK_EQ(RR("sll", 1, ALL1), MIN64);
    CHECK_EQ(RR("srl", MIN64, 64 + 63), 1);
    CHECK_EQ(RR("srl", MIN64, 0xffffffffffffffc0ULL), MIN64);
    CHECK_EQ(RR("sra", MIN64, 0x13f), ALL1);
    CHECK_EQ(RR("sra", MIN64, 64 + 4), 0xf800000000000000ULL);

    /* W forms: operate on the low 32 bits, sign-extend the 32-bit result. */
    CHECK_EQ(RI("slliw", 1, 31), 0xffffffff80000000ULL);
    CHECK_EQ(RI("slliw", 0xffffffff00000003ULL, 0), 3);
    CHECK_EQ(RI("slliw", 0x3, 30), 0xffffffffc0000000ULL);
    CHECK_EQ(RI("srliw", 0xffffffff80000000ULL, 0), 0xffffffff80000000ULL);
    CHECK_EQ(RI("srliw", 0xffffffff80000000ULL, 31), 1);
    CHECK_EQ(RI("srliw", 0xffffffff80000000ULL, 1), 0x40000000);
    CHECK_EQ(RI("srliw", 0x12345678000000f0ULL, 4), 0xf);
    CHECK_EQ(RI("sraiw", 0x80000000ULL, 31), ALL1);
    CHECK_EQ(RI("sraiw", 0x80000000ULL, 0), 0xffffffff80000000ULL);
    CHECK_EQ(RI("sraiw", 0xffffffff7fffffffULL, 30), 1);
    /* Register W shifts use only rs2[4:0]. */
    CHECK_EQ(RR("sllw", 1, 32), 1);
    CHECK_EQ(RR("sllw", 1, 63), 0xffffffff80000000ULL);
    CHECK_EQ(RR("sllw", 1, 33), 2);
    CHECK_EQ(RR("srlw", 0x80000000ULL, 32 + 31), 1);
    CHECK_EQ(RR("srlw", 0xffffffff80000000ULL, 64), 0xffffffff80000000ULL);
    CHECK_EQ(RR("sraw", 0x80000000ULL, 0x3f), ALL1);
    CHECK_EQ(RR("sraw", 0x40000000ULL, 0x3e), 1);
}

static void test_w_arith(void)
{
    CHECK_EQ(RR("addw", 0x7fffffff, 1), 0xffffffff80000000ULL);
    CHECK_EQ(RR("addw", 0xffffffff, 1), 0);
    CHECK_EQ(RR("addw", 0x1234567800000005ULL, 0xabcdef0000000006ULL), 11);
    CHECK_EQ(RR("subw", 0, 1), ALL1);
    CHECK_EQ(RR("subw", 0x80000000ULL, 1), 0x7fffffff);
    CHECK_EQ(RR("subw", 0x100000000ULL, 0), 0);
    CHECK_EQ(RI("addiw", 0x7fffffff, 1), 0xffffffff80000000ULL);
    CHECK_EQ(RI("addiw", 0x1234567800000001ULL, 0), 1);
    CHECK_EQ(RI("addiw", 0x00000000ffffffffULL, 0), ALL1);  /* sext.w */
    CHECK_EQ(RI("addiw", 0, -2048), 0xfffffffffffff800ULL);
    CHECK_EQ(RI("addiw", 0x80000000ULL, -1), 0x7fffffff);
}

static void test_lui_auipc(void)
{
    uint64_t r, here;

    asm volatile("lui %0, 0x80000" : "=r"(r));
    CHECK_EQ(r, 0xffffffff80000000ULL);
    asm volatile("lui %0, 0xfffff" : "=r"(r));
    CHECK_EQ(r, 0xfffffffffffff000ULL);
    asm volatile("lui %0, 0x7ffff" : "=r"(r));
    CHECK_EQ(r, 0x7ffff000);
    asm volatile("lui %0, 0x12345" : "=r"(r));
    CHECK_EQ(r, 0x12345000);

    asm volatile("1: auipc %0, 0\n lla %1, 1b" : "=r"(r), "=r"(here));
    CHECK_EQ(r, here);
    asm volatile("1: auipc %0, 1\n lla %1, 1b" : "=r"(r), "=r"(here));
    CHECK_EQ(r, here + 0x1000);
    /* The 20-bit immediate is sign-extended: pc - 2^31. */
    asm volatile("1: auipc %0, 0x80000\n lla %1, 1b" : "=r"(r), "=r"(here));
    CHECK_EQ(r, here - 0x80000000ULL);
    asm volatile("1: auipc %0, 0xfffff\n lla %1, 1b" : "=r"(r), "=r"(here));
    CHECK_EQ(r, here - 0x1000);
}

static void test_jumps(void)
{
    uint64_t link, expect, flag;

    /* jal: link = address of the next instruction. */
    asm volatile(NORVC("lla %1, 2f\n"
                       "jal %0, 1f\n"
                       "2: nop\n"
                       "1:")
                 : "=&r"(link), "=&r"(expect));
    CHECK_EQ(link, expect);

    /* jal with a backward target and x0 link (plain jump). */
    asm volatile(NORVC("li %0, 0\n"
                       "j 2f\n"
                       "1: li %0, 1\n"
                       "j 3f\n"
                       "2: jal x0, 1b\n"
                       "li %0, 2\n"
                       "3:")
                 : "=&r"(flag));
    CHECK_EQ(flag, 1);

    /* jalr: target = (rs1 + imm) & ~1. */
    asm volatile(NORVC("lla t0, 1f\n"
                       "addi t0, t0, 1\n"
                       "lla %1, 2f\n"
                       "jalr %0, 0(t0)\n"
                       "2: nop\n"
                       "1:")
                 : "=&r"(link), "=&r"(expect) : : "t0");
    CHECK_EQ(link, expect);

    asm volatile(NORVC("lla t0, 1f\n"
                       "addi t0, t0, -7\n"
                       "li %0, 0\n"
                       "jalr x0, 7(t0)\n"
                       "li %0, 1\n"
                       "1:")
                 : "=&r"(flag) : : "t0");
    CHECK_EQ(flag, 0);

    /* Odd immediate with an even base: bit 0 of the sum is cleared. */
    asm volatile(NORVC("lla t0, 1f\n"
                       "li %0, 0\n"
                       "jalr x0, 1(t0)\n"
                       "li %0, 1\n"
                       "1:")
                 : "=&r"(flag) : : "t0");
    CHECK_EQ(flag, 0);

    /* rd == rs1: the target uses the old value, then rd gets the link. */
    asm volatile(NORVC("lla %0, 1f\n"
                       "lla %1, 2f\n"
                       "jalr %0, 0(%0)\n"
                       "2: nop\n"
                       "1:")
                 : "=&r"(link), "=&r"(expect));
    CHECK_EQ(link, expect);
}

static void test_branches(void)
{
    static const struct {
        uint64_t a, b;
        uint8_t eq, lt, ltu;
    } cases[] = {
        { 0, 0, 1, 0, 0 },
        { 1, 2, 0, 1, 1 },
        { 2, 1, 0, 0, 0 },
        { ALL1, 0, 0, 1, 0 },
        { 0, ALL1, 0, 0, 1 },
        { MIN64, MAX64, 0, 1, 0 },
        { MAX64, MIN64, 0, 0, 1 },
        { MIN64, MIN64, 1, 0, 0 },
        { ALL1, ALL1, 1, 0, 0 },
        { 0x80000000ULL, 0x7fffffffULL, 0, 0, 0 },
        { 0xfffffffffffffffeULL, ALL1, 0, 1, 1 },
    };

    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t a = cases[i].a, b = cases[i].b;

        CHECK_EQ(BR("beq", a, b), cases[i].eq);
        CHECK_EQ(BR("bne", a, b), !cases[i].eq);
        CHECK_EQ(BR("blt", a, b), cases[i].lt);
        CHECK_EQ(BR("bge", a, b), !cases[i].lt);
        CHECK_EQ(BR("bltu", a, b), cases[i].ltu);
        CHECK_EQ(BR("bgeu", a, b), !cases[i].ltu);
    }
}

static uint8_t mem[64] __attribute__((aligned(16)));

static void fill_mem(void)
{
    for (unsigned i = 0; i < sizeof(mem); i++)
        mem[i] = (uint8_t)(0x80 + i * 0x11);
}

static void test_loads_stores(void)
{
    uint8_t *m = mem;

    fill_mem();
    /* mem[0..7] = 80 91 a2 b3 c4 d5 e6 f7 (little-endian) */
    CHECK_EQ(LOAD("lb", m, 0), 0xffffffffffffff80ULL);
    CHECK_EQ(LOAD("lbu", m, 0), 0x80);
    CHECK_EQ(LOAD("lh", m, 0), 0xffffffffffff9180ULL);
    CHECK_EQ(LOAD("lhu", m, 0), 0x9180);
    CHECK_EQ(LOAD("lw", m, 0), 0xffffffffb3a29180ULL);
    CHECK_EQ(LOAD("lwu", m, 0), 0xb3a29180ULL);
    CHECK_EQ(LOAD("ld", m, 0), 0xf7e6d5c4b3a29180ULL);
    CHECK_EQ(LOAD("ld", m + 16, -16), 0xf7e6d5c4b3a29180ULL);

    STORE("sb", 0x1234, m, 8);
    STORE("sh", 0x7ffe, m, 10);
    STORE("sw", 0x0000000001020304ULL, m, 12);
    CHECK_EQ(LOAD("ld", m, 8), 0x010203047ffe1934ULL); /* mem[9] = 0x19 kept */
    STORE("sd", 0x1122334455667788ULL, m, 16);
    CHECK_EQ(LOAD("lw", m, 16), 0x55667788);
    CHECK_EQ(LOAD("lw", m, 20), 0x11223344);
    CHECK_EQ(LOAD("lh", m, 22), 0x1122);
    CHECK_EQ(LOAD("lbu", m, 23), 0x11);
    STORE("sw", 0xffffffff80000000ULL, m, 24);
    CHECK_EQ(LOAD("lw", m, 24), 0xffffffff80000000ULL);
    CHECK_EQ(LOAD("lwu", m, 24), 0x80000000ULL);
    STORE("sh", 0x8000, m, 28);
    CHECK_EQ(LOAD("lh", m, 28), 0xffffffffffff8000ULL);
    CHECK_EQ(LOAD("lhu", m, 28), 0x8000);

    /* Misaligned accesses: QEMU performs them without a trap. */
    fill_mem();
    CHECK_EQ(LOAD("lh", m + 1, 0), 0xffffffffffffa291ULL);
    CHECK_EQ(LOAD("lhu", m + 7, 0), 0x08f7);         /* crosses 8 bytes */
    CHECK_EQ(LOAD("lw", m + 1, 0), 0xffffffffc4b3a291ULL);
    CHECK_EQ(LOAD("lwu", m + 6, 0), 0x1908f7e6ULL);
    CHECK_EQ(LOAD("ld", m + 1, 0), 0x08f7e6d5c4b3a291ULL);
    CHECK_EQ(LOAD("ld", m + 7, 0), 0x6e5d4c3b2a1908f7ULL);
    STORE("sd", 0x0102030405060708ULL, m, 33);
    CHECK_EQ(LOAD("lbu", m, 32), 0xa0);
    CHECK_EQ(LOAD("ld", m, 33), 0x0102030405060708ULL);
    CHECK_EQ(LOAD("lbu", m, 41), 0x39);
    STORE("sw", 0xa1b2c3d4, m, 47);
    CHECK_EQ(LOAD("lwu", m, 47), 0xa1b2c3d4);
    CHECK_EQ(LOAD("ld", m, 40), 0xd48e7d6c5b4a3901ULL);
    STORE("sh", 0xbeef, m, 55);
    CHECK_EQ(LOAD("lhu", m, 55), 0xbeef);
    CHECK_EQ(LOAD("lbu", m, 57), 0x49);
}

static void test_x0(void)
{
    uint64_t r;

    asm volatile(NORVC("li t0, 5\n"
                       "addi x0, t0, 1\n"
                       "add x0, t0, t0\n"
                       "lui x0, 0x12345\n"
                       "mv %0, x0")
                 : "=r"(r) : : "t0");
    CHECK_EQ(r, 0);
    asm volatile(NORVC("ld x0, 0(%1)\n"
                       "addi %0, x0, 0") : "=r"(r) : "r"(mem) : "memory");
    CHECK_EQ(r, 0);
    asm volatile(NORVC("jal x0, 1f\n"
                       "1: addi %0, x0, 7") : "=r"(r));
    CHECK_EQ(r, 7);
    asm volatile(NORVC("lla t0, 1f\n"
                       "jalr x0, 0(t0)\n"
                       "1: sltu %0, x0, t0") : "=r"(r) : : "t0");
    CHECK_EQ(r, 1);
}

static void test_fence(void)
{
    /* Memory ordering is trivially satisfied on one hart; the fences must
     * simply execute. */
    asm volatile("fence\n fence rw, rw\n fence.tso\n fence i, o" ::: "memory");
    CHECK(1);
}

int main(void)
{
    test_alu_rr();
    test_alu_imm();
    test_shifts();
    test_w_arith();
    test_lui_auipc();
    test_jumps();
    test_branches();
    test_loads_stores();
    test_x0();
    test_fence();
    return rt_pass("rv64i");
}
