/*
 * jit_regs - guest registers passed from block to block in host registers
 * (tcg/riscv/jit.c way_in, docs/jit.md "Registers across links").
 *
 * A linked jump hands the exiting block's cache registers to the next
 * block: those the next block keeps in the same host register stay, the
 * others move, are written back or loaded. Each case below runs its
 * blocks several rounds, so from the second round on the jumps are
 * linked, and checks every register against values computed here. Blocks
 * entered through `jalr` are translated without a hint, so their choice
 * of host registers is their own (ascending guest register order):
 * - swap: Q (a1 only) links to P, so P keeps a1 where Q did, then t1
 *   and a0 in the next host registers; R (t1, a0, a1 in its own order)
 *   then links to P: the three registers trade places, a cycle of moves
 *   (one of them goes through x[]);
 * - carry: A writes s1 and links to B, which does not use s1 (only a5)
 *   and keeps it in A's host register only to pass it on; B never
 *   writes s1 back, so the way in must have (B leaves through `jr`).
 * jit-cross stops this guest at many icounts with both engines and reads
 * the LINK lines of its --trace-jit.
 */
#include "rt.h"

#define ROUNDS 5

/* Q then P, or R then P; P returns. a0, a1 in and out. */
static void test_swap(void)
{
    register uint64_t a0 asm("a0") = 100;
    register uint64_t a1 asm("a1") = 7;
    uint64_t want0 = 100, want1 = 7;
    for (unsigned r = 0; r < ROUNDS; r++) {
        asm volatile(".option push\n.option norvc\n"
                     "lla t0, 1f\n"
                     "jalr t1, t0\n"          /* Q, then P */
                     "lla t0, 3f\n"
                     "jalr t1, t0\n"          /* R, then P */
                     "j 9f\n"
                     ".balign 64\n"
                     "1: addi %1, %1, 2\n"   /* Q: a1 twice */
                     "addi %1, %1, 1\n"
                     "j 2f\n"
                     "2: add %0, %0, %1\n"   /* P: a0, a1 twice each */
                     "xor %1, %1, %0\n"
                     "jr t1\n"
                     "3: addi %0, %0, 3\n"   /* R: t1, a0, a1 */
                     "add %0, %0, t1\n"
                     "sub %0, %0, t1\n"
                     "addi %1, %1, 5\n"
                     "j 2b\n"
                     "9:\n"
                     ".option pop\n"
                     : "+r"(a0), "+r"(a1) : : "t0", "t1", "memory");
        /* Q, P */
        want1 += 3;
        want0 += want1;
        want1 ^= want0;
        /* R, P */
        want0 += 3;
        want1 += 5;
        want0 += want1;
        want1 ^= want0;
        CHECK_EQ(a0, want0);
        CHECK_EQ(a1, want1);
    }
}

/* A writes s1 and links to B, which leaves through jr without using s1. */
static void test_carry(void)
{
    register uint64_t s1 asm("s1") = 40;
    register uint64_t t asm("a5") = 1;
    uint64_t want = 40, wt = 1;
    for (unsigned r = 0; r < ROUNDS; r++) {
        asm volatile(".option push\n.option norvc\n"
                     "lla t0, 1f\n"
                     "jalr t1, t0\n"
                     "j 9f\n"
                     ".balign 64\n"
                     "1: addi %0, %0, 1\n"   /* A: s1 twice */
                     "addi %0, %0, 1\n"
                     "j 2f\n"
                     "2: addi %1, %1, 1\n"   /* B: t only, s1 carried */
                     "slli %1, %1, 1\n"
                     "jr t1\n"
                     "9:\n"
                     ".option pop\n"
                     : "+r"(s1), "+r"(t) : : "t0", "t1", "memory");
        want += 2;
        wt = (wt + 1) << 1;
        CHECK_EQ(s1, want);
        CHECK_EQ(t, wt);
    }
}

int main(void)
{
    test_swap();
    test_carry();
    return rt_pass("jit_regs");
}
