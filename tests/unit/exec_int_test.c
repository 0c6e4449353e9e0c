/*
 * Unit tests of the RV64I and M handlers (tcg/riscv/exec_int.c), run
 * directly on an RVCPU: each case encodes one instruction, decodes it with
 * rv_decode, sets the source registers, calls the handler and checks rd,
 * pc and the return code. Loads and stores go through a software-TLB entry
 * that maps one guest page onto a host buffer, so only the inline fast
 * path of mem_access.h is used and no exception is ever raised.
 *
 * Expected values follow the unprivileged spec (ch. 2 and 13, table 13.1
 * for division by zero and overflow).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tcg/riscv/decode.h"
#include "tcg/riscv/mem_access.h"
#include "tests/unit/check.h"

enum { A0 = 10, A1 = 11, A2 = 12 };

#define OP        0x33u
#define OP_32     0x3bu
#define OP_IMM    0x13u
#define OP_IMM_32 0x1bu

static RVCPU *cpu;
static uint8_t *page;               /* host memory behind DATA_PAGE */
#define DATA_PAGE 0x80042000ull
#define PC 0x80001000ull

static uint32_t enc_r(uint32_t opc, uint32_t f3, uint32_t f7)
{
    return (f7 << 25) | (A2 << 20) | (A1 << 15) | (f3 << 12) | (A0 << 7) | opc;
}

static uint32_t enc_i(uint32_t opc, uint32_t f3, uint32_t rd, uint32_t rs1,
                      int32_t imm)
{
    return ((uint32_t)imm << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc;
}

static uint32_t enc_s(uint32_t f3, uint32_t rs1, uint32_t rs2, int32_t imm)
{
    uint32_t u = (uint32_t)imm;
    return ((u >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
           ((u & 31) << 7) | 0x23;
}

static uint32_t enc_b(uint32_t f3, int32_t imm)
{
    uint32_t u = (uint32_t)imm;
    return (((u >> 12) & 1) << 31) | (((u >> 5) & 63) << 25) | (A2 << 20) |
           (A1 << 15) | (f3 << 12) | (((u >> 1) & 15) << 8) |
           (((u >> 11) & 1) << 7) | 0x63;
}

/* Stands in for the rest of a block: a handler that continues (RV_NEXT)
   lands here, and the test sees RV_EXEC_NEXT. */
static int continued(RVCPU *c, const RVInsn *in)
{
    (void)c;
    (void)in;
    return RV_EXEC_NEXT;
}

/* Decode `raw` at PC and execute it; returns the handler's result. */
static int run(uint32_t raw)
{
    RVInsn in[2];
    if (!rv_decode(&in[0], raw, PC)) {
        CHECK(false, "%08" PRIx32 " did not decode", raw);
        return -1;
    }
    in[0].idx = 0;
    in[1].fn = continued;
    cpu->pc = PC;
    return in[0].fn(cpu, &in[0]);
}

/* rd = a0 after `raw` with a1 = a, a2 = b. */
static uint64_t alu(uint32_t raw, uint64_t a, uint64_t b)
{
    cpu->x[A0] = 0xdeadbeefdeadbeefull;
    cpu->x[A1] = a;
    cpu->x[A2] = b;
    int r = run(raw);
    CHECK(r == RV_EXEC_NEXT, "%08" PRIx32 " returned %d", raw, r);
    return cpu->x[A0];
}

#define EXPECT_ALU(raw, a, b, want)                                          \
    do {                                                                     \
        uint64_t got_ = alu(raw, a, b);                                      \
        CHECK(got_ == (uint64_t)(want), "%s(%#" PRIx64 ", %#" PRIx64 ") = "  \
              "%#" PRIx64 ", want %#" PRIx64, #raw, (uint64_t)(a),           \
              (uint64_t)(b), got_, (uint64_t)(want));                        \
    } while (0)

#define R(f3, f7)  enc_r(OP, f3, f7)
#define RW(f3, f7) enc_r(OP_32, f3, f7)
#define I(f3, imm) enc_i(OP_IMM, f3, A0, A1, imm)
#define IW(f3, imm) enc_i(OP_IMM_32, f3, A0, A1, imm)

#define ADD  R(0, 0)
#define SUB  R(0, 0x20)
#define SLL  R(1, 0)
#define SLT  R(2, 0)
#define SLTU R(3, 0)
#define XOR  R(4, 0)
#define SRL  R(5, 0)
#define SRA  R(5, 0x20)
#define OR   R(6, 0)
#define AND  R(7, 0)
#define ADDW RW(0, 0)
#define SUBW RW(0, 0x20)
#define SLLW RW(1, 0)
#define SRLW RW(5, 0)
#define SRAW RW(5, 0x20)
#define MUL    R(0, 1)
#define MULH   R(1, 1)
#define MULHSU R(2, 1)
#define MULHU  R(3, 1)
#define DIV    R(4, 1)
#define DIVU   R(5, 1)
#define REM    R(6, 1)
#define REMU   R(7, 1)
#define MULW   RW(0, 1)
#define DIVW   RW(4, 1)
#define DIVUW  RW(5, 1)
#define REMW   RW(6, 1)
#define REMUW  RW(7, 1)

#define MIN64 0x8000000000000000ull
#define MAX64 0x7fffffffffffffffull
#define ONES  0xffffffffffffffffull

static void test_alu(void)
{
    EXPECT_ALU(ADD, MAX64, 1, MIN64);
    EXPECT_ALU(SUB, 0, 1, ONES);
    EXPECT_ALU(SLL, 1, 63, MIN64);
    EXPECT_ALU(SLL, 1, 65, 2);              /* only the low 6 bits count */
    EXPECT_ALU(SRL, MIN64, 127, 1);
    EXPECT_ALU(SRA, MIN64, 63, ONES);
    EXPECT_ALU(SRA, MIN64, 64 + 4, 0xf800000000000000ull);
    EXPECT_ALU(SLT, ONES, 0, 1);
    EXPECT_ALU(SLTU, ONES, 0, 0);
    EXPECT_ALU(SLTU, 0, ONES, 1);
    EXPECT_ALU(XOR, 0xff00, 0x0ff0, 0xf0f0);
    EXPECT_ALU(OR, 0xff00, 0x0ff0, 0xfff0);
    EXPECT_ALU(AND, 0xff00, 0x0ff0, 0x0f00);

    EXPECT_ALU(I(0, -1), 0, 0, ONES);                   /* addi */
    EXPECT_ALU(I(2, -1), ONES - 1, 0, 1);               /* slti */
    EXPECT_ALU(I(2, -1), 0, 0, 0);
    EXPECT_ALU(I(3, -1), ONES - 1, 0, 1);               /* sltiu -1 = max */
    EXPECT_ALU(I(3, -1), ONES, 0, 0);
    EXPECT_ALU(I(3, 1), 0, 0, 1);                       /* seqz */
    EXPECT_ALU(I(4, -1), 0x1234, 0, ~0x1234ull);        /* xori = not */
    EXPECT_ALU(I(6, 0x7ff), 0x1000, 0, 0x17ff);         /* ori */
    EXPECT_ALU(I(7, -16), 0x1237, 0, 0x1230);           /* andi */
    EXPECT_ALU(I(1, 63), 1, 0, MIN64);                  /* slli 63 */
    EXPECT_ALU(I(5, 63), MIN64, 0, 1);                  /* srli 63 */
    EXPECT_ALU(I(5, 0x400 | 63), MIN64, 0, ONES);       /* srai 63 */
    EXPECT_ALU(I(5, 0x400 | 4), 0x80, 0, 0x8);          /* srai positive */

    /* Word forms: 32-bit results are sign-extended. */
    EXPECT_ALU(IW(0, 1), 0x7fffffff, 0, 0xffffffff80000000ull);  /* addiw */
    EXPECT_ALU(IW(0, 0), 0x1ffffffffull, 0, ONES);        /* sext.w */
    EXPECT_ALU(IW(1, 31), 1, 0, 0xffffffff80000000ull);   /* slliw */
    EXPECT_ALU(IW(5, 31), 0x80000000, 0, 1);              /* srliw */
    EXPECT_ALU(IW(5, 0), 0xfffffffff0000000ull, 0, 0xfffffffff0000000ull);
    EXPECT_ALU(IW(5, 0x400 | 31), 0x80000000, 0, ONES);   /* sraiw */
    EXPECT_ALU(IW(5, 0x400 | 4), 0xffffffff00000080ull, 0, 8);
    EXPECT_ALU(ADDW, 0x7fffffff, 1, 0xffffffff80000000ull);
    EXPECT_ALU(SUBW, 0x100000000ull, 1, ONES);
    EXPECT_ALU(SLLW, 1, 33, 2);             /* only the low 5 bits count */
    EXPECT_ALU(SLLW, 3, 31, 0xffffffff80000000ull);
    EXPECT_ALU(SRLW, 0xffffffff80000000ull, 31, 1);
    EXPECT_ALU(SRLW, 0x80000000, 0, 0xffffffff80000000ull);
    EXPECT_ALU(SRAW, 0x80000000, 63, ONES);
}

static void test_muldiv(void)
{
    EXPECT_ALU(MUL, 0x100000001ull, 0x100000001ull, 0x200000001ull);
    EXPECT_ALU(MUL, ONES, ONES, 1);
    EXPECT_ALU(MULH, ONES, ONES, 0);                    /* -1 * -1 */
    EXPECT_ALU(MULH, MIN64, MIN64, 0x4000000000000000ull);
    EXPECT_ALU(MULH, MIN64, 1, ONES);
    EXPECT_ALU(MULH, ONES - 1, 3, ONES);                /* -2 * 3 = -6 */
    EXPECT_ALU(MULHSU, ONES, ONES, ONES);               /* -1 * (2^64-1) */
    EXPECT_ALU(MULHSU, ONES, 1, ONES);
    EXPECT_ALU(MULHSU, 2, ONES, 1);
    EXPECT_ALU(MULHSU, MIN64, ONES, 0x8000000000000000ull);
    EXPECT_ALU(MULHU, ONES, ONES, 0xfffffffffffffffeull);
    EXPECT_ALU(MULHU, MIN64, 2, 1);

    EXPECT_ALU(DIV, 7, 0, ONES);                        /* x / 0 = -1 */
    EXPECT_ALU(DIV, MIN64, ONES, MIN64);                /* overflow */
    EXPECT_ALU(DIV, (uint64_t)-7, 2, (uint64_t)-3);     /* rounds to 0 */
    EXPECT_ALU(DIV, 7, (uint64_t)-2, (uint64_t)-3);
    EXPECT_ALU(DIVU, 7, 0, ONES);
    EXPECT_ALU(DIVU, ONES, 2, MAX64);
    EXPECT_ALU(REM, (uint64_t)-7, 0, (uint64_t)-7);     /* x % 0 = x */
    EXPECT_ALU(REM, MIN64, ONES, 0);
    EXPECT_ALU(REM, (uint64_t)-7, 2, ONES);             /* sign of dividend */
    EXPECT_ALU(REM, 7, (uint64_t)-2, 1);
    EXPECT_ALU(REMU, ONES, 0, ONES);
    EXPECT_ALU(REMU, ONES, 10, 5);

    EXPECT_ALU(MULW, 0x10000, 0x8000, 0xffffffff80000000ull);
    EXPECT_ALU(MULW, 0xffffffff00000003ull, 0x12300000005ull, 15);
    EXPECT_ALU(DIVW, 5, 0x100000000ull, ONES);          /* low word 0 */
    EXPECT_ALU(DIVW, 0x80000000, ONES, 0xffffffff80000000ull);
    EXPECT_ALU(DIVW, 0x1fffffff9ull, 2, (uint64_t)-3);  /* -7 / 2 */
    EXPECT_ALU(DIVUW, 0x80000000, 0, ONES);
    EXPECT_ALU(DIVUW, 0xffffffff, 1, ONES);
    EXPECT_ALU(DIVUW, 0xffffffff, 2, 0x7fffffff);
    EXPECT_ALU(REMW, 0x80000000, ONES, 0);
    EXPECT_ALU(REMW, 0x80000000, 0, 0xffffffff80000000ull);
    EXPECT_ALU(REMW, 0xfffffff9, 2, ONES);              /* -7 % 2 */
    EXPECT_ALU(REMUW, 0x80000000, 0, 0xffffffff80000000ull);
    EXPECT_ALU(REMUW, 0x1ffffffffull, 0x10, 0xf);
}

static void test_upper_and_jumps(void)
{
    int r;
    EXPECT_ALU(0x80000537, 0, 0, 0xffffffff80000000ull);    /* lui */
    EXPECT_ALU(0xfffff517, 0, 0, PC - 0x1000);              /* auipc */

    /* jal ra, -8 */
    cpu->x[1] = 0;
    r = run(0xff9ff0ef);
    CHECK(r == RV_EXEC_JUMP && cpu->pc == PC - 8 && cpu->x[1] == PC + 4,
          "jal: r %d pc %#" PRIx64 " ra %#" PRIx64, r, cpu->pc, cpu->x[1]);

    /* jalr a1, 3(a1): target computed before the link is written,
       bit 0 cleared */
    cpu->x[A1] = 0x2000;
    r = run(enc_i(0x67, 0, A1, A1, 3));
    CHECK(r == RV_EXEC_JUMP && cpu->pc == 0x2002 && cpu->x[A1] == PC + 4,
          "jalr rd==rs1: pc %#" PRIx64 " link %#" PRIx64, cpu->pc,
          cpu->x[A1]);

    /* c.jalr a0 links pc + 2 */
    cpu->x[A0] = 0x3000;
    r = run(0x9502);
    CHECK(r == RV_EXEC_JUMP && cpu->pc == 0x3000 && cpu->x[1] == PC + 2,
          "c.jalr: pc %#" PRIx64 " ra %#" PRIx64, cpu->pc, cpu->x[1]);

    /* c.j .-2048 */
    r = run(0xb001);
    CHECK(r == RV_EXEC_JUMP && cpu->pc == PC - 2048 && cpu->x[0] == 0,
          "c.j: pc %#" PRIx64, cpu->pc);
}

static void test_branches(void)
{
    static const struct {
        uint32_t f3;
        uint64_t a, b;
        bool taken;
    } cases[] = {
        { 0, 5, 5, true }, { 0, 5, 6, false },
        { 1, 5, 6, true }, { 1, 5, 5, false },
        { 4, ONES, 0, true }, { 4, 0, ONES, false },    /* blt signed */
        { 5, 0, ONES, true }, { 5, 3, 3, true }, { 5, ONES, 0, false },
        { 6, 0, ONES, true }, { 6, ONES, 0, false },    /* bltu */
        { 7, ONES, 0, true }, { 7, 0, 1, false },
    };
    for (size_t i = 0; i < CORE_ARRAY_SIZE(cases); i++) {
        cpu->x[A1] = cases[i].a;
        cpu->x[A2] = cases[i].b;
        int32_t off = i & 1 ? -4096 : 4094;
        int r = run(enc_b(cases[i].f3, off));
        if (cases[i].taken) {
            CHECK(r == RV_EXEC_JUMP && cpu->pc == PC + (uint64_t)(int64_t)off,
                  "branch case %zu: r %d pc %#" PRIx64, i, r, cpu->pc);
        } else {
            CHECK(r == RV_EXEC_NEXT && cpu->pc == PC,
                  "branch case %zu: r %d pc %#" PRIx64, i, r, cpu->pc);
        }
    }
}

static void test_loads_stores(void)
{
    static const uint8_t pattern[16] = {
        0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88,
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    };
    memcpy(page + 0x100, pattern, sizeof(pattern));
    uint64_t base = DATA_PAGE + 0x108;      /* loads use base - 8 */

    static const struct {
        uint32_t f3;
        uint64_t want;
    } loads[] = {
        { 0, 0xffffffffffffff81ull },   /* lb */
        { 1, 0xffffffffffff8281ull },   /* lh */
        { 2, 0xffffffff84838281ull },   /* lw */
        { 3, 0x8887868584838281ull },   /* ld */
        { 4, 0x81 },                    /* lbu */
        { 5, 0x8281 },                  /* lhu */
        { 6, 0x84838281ull },           /* lwu */
    };
    for (size_t i = 0; i < CORE_ARRAY_SIZE(loads); i++) {
        EXPECT_ALU(enc_i(0x03, loads[i].f3, A0, A1, -8), base, 0,
                   loads[i].want);
    }
    /* misaligned load, positive offset */
    EXPECT_ALU(enc_i(0x03, 2, A0, A1, 6), DATA_PAGE + 0x100, 0, 0x02018887);

    /* a load into x0 leaves x0 zero */
    cpu->x[A1] = base;
    run(enc_i(0x03, 3, 0, A1, 0));
    CHECK(cpu->x[0] == 0, "ld x0 wrote x0");

    static const struct {
        uint32_t f3;
        unsigned size;
    } stores[] = { { 0, 1 }, { 1, 2 }, { 2, 4 }, { 3, 8 } };
    for (size_t i = 0; i < CORE_ARRAY_SIZE(stores); i++) {
        memset(page + 0x200, 0xee, 16);
        cpu->x[A1] = DATA_PAGE + 0x210;
        cpu->x[A2] = 0x0102030405060708ull;
        int r = run(enc_s(stores[i].f3, A1, A2, -15));  /* misaligned */
        uint8_t want[16];
        memset(want, 0xee, sizeof(want));
        for (unsigned b = 0; b < stores[i].size; b++) {
            want[1 + b] = (uint8_t)(0x08 - b);
        }
        CHECK(r == RV_EXEC_NEXT && memcmp(page + 0x200, want, 16) == 0,
              "store of %u bytes", stores[i].size);
    }
}

static void test_misc(void)
{
    /* addi x0, x0, 5 keeps x0 zero (rd is the sink) */
    int r = run(enc_i(OP_IMM, 0, 0, 0, 5));
    CHECK(r == RV_EXEC_NEXT && cpu->x[0] == 0, "addi x0");
    /* a HINT (c.li x0, 5) is a no-op */
    r = run(0x4015);
    CHECK(r == RV_EXEC_NEXT && cpu->x[0] == 0, "c.li x0 hint");

    r = run(0x8330000f);                                    /* fence.tso */
    CHECK(r == RV_EXEC_NEXT && cpu->pc == PC, "fence.tso");
    r = run(0x0100000f);                                    /* pause */
    CHECK(r == RV_EXEC_NEXT, "pause");
    r = run(0x0000100f);                                    /* fence.i */
    CHECK(r == RV_EXEC_JUMP && cpu->pc == PC + 4, "fence.i: pc %#" PRIx64,
          cpu->pc);
}

int main(void)
{
    cpu = calloc(1, sizeof(*cpu));
    page = calloc(1, RV_PAGE_SIZE);
    if (!cpu || !page) {
        return 1;
    }
    for (unsigned p = 0; p < 4; p++) {
        for (unsigned i = 0; i < RV_TLB_SIZE; i++) {
            RVTlbEntry *e = &cpu->tlb[p][i];
            e->tag_read = e->tag_write = e->tag_exec = RV_TLB_INVALID;
        }
    }
    cpu->priv = RV_PRIV_M;
    cpu->data_tlb = cpu->fetch_tlb = cpu->tlb[RV_PRIV_M];
    RVTlbEntry *e = rv_tlb_entry(cpu->data_tlb, DATA_PAGE);
    e->tag_read = e->tag_write = DATA_PAGE;
    e->addend = (uintptr_t)page - DATA_PAGE;
    cpu->tlb_phys[RV_PRIV_M][e - cpu->data_tlb] = DATA_PAGE;

    test_alu();
    test_muldiv();
    test_upper_and_jumps();
    test_branches();
    test_loads_stores();
    test_misc();

    free(page);
    free(cpu);
    return check_done("exec_int");
}
