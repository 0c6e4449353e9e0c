/*
 * smc - self-modifying code (unprivileged spec ch. 3, Zifencei).
 *
 * A store to instruction memory followed by fence.i must make the new
 * instruction visible to fetch on the same hart, however the emulator
 * caches translations: rewriting a function that has already run (32-bit
 * and 16-bit instructions), rewriting it again and again, building code
 * in a data buffer, and a store that rewrites the very next instruction
 * in straight-line code right before a fence.i, and rewriting the block
 * that a jump from another page leads to (a JIT's chained jump), and
 * stores next to code or one byte into it (invalidation is per byte, not
 * per page), and rewriting a 32-bit instruction that straddles two pages
 * (an emulator may remember its decoding).  Without fence.i the
 * outcome is unspecified; the test prints which one it saw.
 */
#include "rt.h"

/* addi a0, zero, imm */
#define ADDI_A0(imm) ((((uint32_t)(imm) & 0xfff) << 20) | (10u << 7) | 0x13u)
/* addi a0, a0, imm */
#define ADDI_A0_A0(imm) ((((uint32_t)(imm) & 0xfff) << 20) | (10u << 15) | \
                         (10u << 7) | 0x13u)
#define RET 0x00008067u                  /* jalr x0, 0(ra) */
/* c.li a0, imm (-32..31) */
#define C_LI_A0(imm) ((uint16_t)(0x4000u | (((uint32_t)(imm) & 0x20) << 7) | \
                                 (10u << 7) | (((uint32_t)(imm) & 0x1f) << 2) | 1u))

extern uint32_t smc_func[];
extern uint16_t smc_cfunc[];
uint64_t smc_next(uint32_t insn);
uint64_t smc_next_nofence(uint32_t insn);
extern uint32_t smc_chain_target[];
uint64_t smc_chain(void);
extern uint32_t smc_link_target[];
uint64_t smc_link(void);
extern uint32_t smc_amo_insn[];
uint64_t smc_amo_loop(uint64_t n);
extern volatile uint32_t smc_near_before[], smc_near_after[];
uint64_t smc_near(uint64_t);
uint64_t smc_byte(void);
uint64_t smc_next_byte(uint64_t top);

typedef uint64_t (*Fn)(uint64_t);

static uint32_t jit[64] __attribute__((aligned(64)));

static void fence_i(void)
{
    asm volatile("fence.i" ::: "memory");
}

static uint64_t call(const void *code, uint64_t arg)
{
    return ((Fn)(uintptr_t)code)(arg);
}

static void test_patch_function(void)
{
    volatile uint32_t *f = smc_func;
    volatile uint16_t *cf = smc_cfunc;

    CHECK_EQ(call(smc_func, 0), 1);
    f[0] = ADDI_A0(2);
    fence_i();
    CHECK_EQ(call(smc_func, 0), 2);
    f[0] = ADDI_A0(-3);
    fence_i();
    CHECK_EQ(call(smc_func, 0), (uint64_t)-3);
    /* Many rewrites, each executed, so a stale translation would show. */
    for (int i = 0; i < 200; i++) {
        f[0] = ADDI_A0(i * 7 - 700);
        fence_i();
        CHECK_EQ(call(smc_func, 0), (uint64_t)(int64_t)(i * 7 - 700));
    }

    CHECK_EQ(call(smc_cfunc, 0), 1);
    cf[0] = C_LI_A0(5);
    fence_i();
    CHECK_EQ(call(smc_cfunc, 0), 5);
    cf[0] = C_LI_A0(-32);
    fence_i();
    CHECK_EQ(call(smc_cfunc, 0), (uint64_t)-32);
}

static void test_jit_buffer(void)
{
    volatile uint32_t *code = jit;

    /* n copies of addi a0, a0, k followed by ret; grows and shrinks. */
    for (int round = 0; round < 20; round++) {
        int n = 1 + (round * 13) % 60;
        int k = round - 10;

        for (int i = 0; i < n; i++)
            code[i] = ADDI_A0_A0(k);
        code[n] = RET;
        fence_i();
        CHECK_EQ(call(jit, 1000), (uint64_t)(1000 + n * k));
    }
}

/* addi a0, a0, k at the last halfword of a page, its upper half on the
 * next page, then ret: rewritten each round (both halves, or only the
 * upper one, which holds the immediate), each version run a few times. */
static uint16_t straddle[4096] __attribute__((aligned(4096)));

static void test_straddle(void)
{
    volatile uint16_t *h = straddle;
    const void *entry = &straddle[2047];

    h[2049] = (uint16_t)RET;
    h[2050] = (uint16_t)(RET >> 16);
    for (int round = 0; round < 12; round++) {
        int k = round * 37 - 200;
        uint32_t insn = ADDI_A0_A0(k);

        if (round == 0 || round % 3)
            h[2047] = (uint16_t)insn;
        h[2048] = (uint16_t)(insn >> 16);
        fence_i();
        for (int i = 0; i < 3; i++)
            CHECK_EQ(call(entry, 1000 + i), (uint64_t)(1000 + i + k));
    }
}

static void test_next_instruction(void)
{
    uint64_t r;

    CHECK_EQ(smc_next(ADDI_A0(42)), 42);
    CHECK_EQ(smc_next(ADDI_A0(-5)), (uint64_t)-5);
    for (int i = 0; i < 50; i++)
        CHECK_EQ(smc_next(ADDI_A0(i)), (uint64_t)i);

    r = smc_next_nofence(ADDI_A0(99));
    rt_puts("smc: store to the next instruction without fence.i ran the ");
    rt_puts(r == 99 ? "new" : r == 7 ? "old" : "???");
    rt_puts(" instruction\n");
    CHECK(r == 99 || r == 7);
    /* After a fence.i the earlier store (99) is visible; the new store
     * (100) again may or may not be. */
    fence_i();
    r = smc_next_nofence(ADDI_A0(100));
    CHECK(r == 99 || r == 100);
}

/* Runs `block` until translators link it to the block at `next`, then
   rewrites that next block again and again: each run must see the new
   code. */
static void check_rewritten_next(uint64_t (*block)(void),
                                 volatile uint32_t *next)
{
    for (int i = 0; i < 5; i++)
        CHECK_EQ(block(), 1);
    for (int k = 2; k < 40; k++) {
        next[0] = ADDI_A0_A0(k);
        fence_i();
        for (int i = 0; i < 4; i++)
            CHECK_EQ(block(), (uint64_t)k);
    }
}

/* A block that jumps to another page (linked through the jump cache). */
static void test_chained_block(void)
{
    check_rewritten_next(smc_chain, smc_chain_target);
}

/* The same with the next block on the same page (a JIT links the jump
   straight into it): the link must not outlive the next block. */
static void test_linked_block(void)
{
    check_rewritten_next(smc_link, smc_link_target);
}

/* A loop that rewrites its next instruction with an AMO (no fence.i: the
   outcome is rewind's, the same in both engines and wherever blocks are
   cut: the instruction runs as the AMO just left it). */
static void test_amo_self_loop(void)
{
    volatile uint32_t *t = smc_amo_insn;

    for (uint64_t n = 1; n <= 12; n++) {
        t[0] = ADDI_A0_A0(1);
        fence_i();
        CHECK_EQ(smc_amo_loop(n), n * (n + 1) / 2 + n);
    }
}

/* Stores next to code (same page, no instruction byte written) leave
   translations alone (jit_test.py checks that smc_near is translated
   once); one byte stored into an instruction drops its translation. */
static void test_precision(void)
{
    for (int i = 0; i < 100; i++) {
        smc_near_before[0] = i;
        CHECK_EQ(smc_near(i), (uint64_t)(i + 1717));
        smc_near_after[0] = i;
        CHECK_EQ(smc_near(0), 1717);
    }
    CHECK_EQ(smc_near_before[0] + smc_near_after[0], 198);

    volatile uint8_t *b = (volatile uint8_t *)(uintptr_t)smc_byte;
    CHECK_EQ(smc_byte(), 1);
    /* Loads 1, 2, 4 and 8 MiB away share the page's slot in a direct-
       mapped software TLB (up to 2^11 entries): the stores below then
       find the page holding code when they fill its entry. */
    for (uintptr_t d = 1 << 20; d <= 8 << 20; d <<= 1)
        (void)*(volatile uint32_t *)((uintptr_t)smc_byte + d);
    b[3] = 0x10;                   /* imm 0x001 -> 0x101 */
    fence_i();
    CHECK_EQ(smc_byte(), 0x101);
    b[3] = 0x7f;                   /* -> 0x7f1 */
    fence_i();
    CHECK_EQ(smc_byte(), 0x7f1);

    CHECK_EQ(smc_next_byte(0x10), 0x107);
    CHECK_EQ(smc_next_byte(0x20), 0x207);
}

int main(void)
{
    test_precision();
    test_patch_function();
    test_jit_buffer();
    test_straddle();
    test_next_instruction();
    test_chained_block();
    test_linked_block();
    test_amo_self_loop();
    return rt_pass("smc");
}
