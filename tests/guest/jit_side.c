/*
 * jit_side - conditional branches in the middle of a translation block
 * (side exits: tcg/riscv/translate.c, jit.c gen_side_exits; docs/jit.md).
 *
 * A branch no longer ends its block: not taken, the block goes on; taken,
 * it leaves with only the instructions up to it retired. Each case runs
 * several rounds with operands that make every branch taken in some
 * rounds and not in others (so from the second round on the exits are
 * linked), and checks both what ran (a bit per skipped instruction) and
 * how many instructions retired (instret around the code: a side exit
 * that accounted the whole block, or one instruction less, is off):
 * - skip: beq, bne, blt, bge, bltu, bgeu, c.beqz and c.bnez, each over one
 *   instruction to the next, in one straight run of code;
 * - loop: a loop whose back edge (bnez to the block's head) is in the
 *   middle of the block it heads, with a forward side exit out of the
 *   loop and the rest of the block after it;
 * - inner: a loop whose head is the block's second instruction, left by
 *   a side exit out of the block: the registers the loop wrote must be
 *   written back there on every round, not only the first;
 * - page: a side exit whose target is on the next page (chained through
 *   the jump cache, not linked).
 * Side exits are off by default: meson runs this guest, and jit-cross
 * all of its guests, with REWIND_SIDE_EXITS=8. jit-cross stops this
 * guest at many icounts with both engines.
 */
#include "rt.h"

#define ROUNDS 12

/* The skip case: returns the bits of the instructions that ran; *n the
   instructions retired between the two reads of instret. */
static uint64_t skip(uint64_t a, uint64_t b, uint64_t *n)
{
    register uint64_t ra0 asm("a0") = a;
    register uint64_t ra1 asm("a1") = b;
    register uint64_t acc asm("a2") = 0;
    uint64_t t0, t1;
    asm volatile(".option push\n.option norvc\n.option norelax\n"
                 "csrr %[t0], instret\n"
                 "beq %[a], %[b], 1f\n"
                 "ori %[acc], %[acc], 1\n"
                 "1: bne %[a], %[b], 1f\n"
                 "ori %[acc], %[acc], 2\n"
                 "1: blt %[a], %[b], 1f\n"
                 "ori %[acc], %[acc], 4\n"
                 "1: bge %[a], %[b], 1f\n"
                 "ori %[acc], %[acc], 8\n"
                 "1: bltu %[a], %[b], 1f\n"
                 "ori %[acc], %[acc], 16\n"
                 "1: bgeu %[a], %[b], 1f\n"
                 "ori %[acc], %[acc], 32\n"
                 ".option rvc\n"
                 "1: c.beqz %[a], 1f\n"
                 "ori %[acc], %[acc], 64\n"
                 "1: c.bnez %[b], 1f\n"
                 "ori %[acc], %[acc], 128\n"
                 "1: csrr %[t1], instret\n"
                 ".option pop\n"
                 : [acc] "+r"(acc), [t0] "=&r"(t0), [t1] "=&r"(t1)
                 : [a] "r"(ra0), [b] "r"(ra1)
                 : "memory");
    *n = t1 - t0;
    return acc;
}

/* The expected bits of skip(): the ori after each branch not taken. */
static uint64_t skip_want(uint64_t a, uint64_t b)
{
    bool taken[8] = { a == b, a != b, (int64_t)a < (int64_t)b,
                      (int64_t)a >= (int64_t)b, a < b, a >= b, a == 0,
                      b != 0 };
    uint64_t acc = 0;
    for (unsigned k = 0; k < 8; k++) {
        acc |= taken[k] ? 0 : 1u << k;
    }
    return acc;
}

/* The loop case: count down from `iters`, leaving early where the
   counter equals `stop`; returns the sum; *n as for skip(). */
static uint64_t loop(uint64_t iters, uint64_t stop, uint64_t *n)
{
    register uint64_t c asm("a0") = iters;
    register uint64_t s asm("a1") = stop;
    register uint64_t sum asm("a2") = 0;
    uint64_t t0, t1;
    asm volatile(".option push\n.option norvc\n.option norelax\n"
                 "csrr %[t0], instret\n"
                 "j 2f\n"
                 ".balign 64\n"
                 "2: addi %[sum], %[sum], 3\n"   /* the block's head */
                 "beq %[c], %[s], 3f\n"         /* forward side exit */
                 "addi %[c], %[c], -1\n"
                 "bnez %[c], 2b\n"              /* back edge, mid-block */
                 "addi %[sum], %[sum], 1000\n"
                 "3: slli %[sum], %[sum], 1\n"
                 "csrr %[t1], instret\n"
                 ".option pop\n"
                 : [sum] "+r"(sum), [c] "+r"(c), [t0] "=&r"(t0),
                   [t1] "=&r"(t1)
                 : [s] "r"(s)
                 : "memory");
    *n = t1 - t0;
    return sum;
}

/* The inner case: like loop(), but the loop starts at the block's
   second instruction and the early way out leaves the block. */
static uint64_t inner(uint64_t iters, uint64_t stop, uint64_t *n,
                      uint64_t *left)
{
    register uint64_t c asm("a0") = iters;
    register uint64_t s asm("a1") = stop;
    register uint64_t sum asm("a2") = 0;
    uint64_t t0, t1;
    asm volatile(".option push\n.option norvc\n.option norelax\n"
                 "csrr %[t0], instret\n"
                 "j 2f\n"
                 ".balign 64\n"
                 "2: addi %[sum], %[sum], 1\n"   /* the block's head */
                 "5: addi %[sum], %[sum], 3\n"   /* the loop's head */
                 "beq %[c], %[s], 3f\n"         /* out of the block */
                 "addi %[c], %[c], -1\n"
                 "bnez %[c], 5b\n"              /* back edge, mid-block */
                 "addi %[sum], %[sum], 1000\n"
                 "j 4f\n"
                 "3: slli %[sum], %[sum], 1\n"
                 "4: csrr %[t1], instret\n"
                 ".option pop\n"
                 : [sum] "+r"(sum), [c] "+r"(c), [t0] "=&r"(t0),
                   [t1] "=&r"(t1)
                 : [s] "r"(s)
                 : "memory");
    *n = t1 - t0;
    *left = c;
    return sum;
}

/* The page case: a side exit to the next page when a == b. */
static uint64_t page(uint64_t a, uint64_t b, uint64_t *n)
{
    register uint64_t acc asm("a2") = 0;
    uint64_t t0, t1;
    asm volatile(".option push\n.option norvc\n.option norelax\n"
                 "csrr %[t0], instret\n"
                 "j 2f\n"
                 ".balign 4096\n"
                 ".skip 4096 - 16\n"
                 "2: addi %[acc], %[acc], 1\n"
                 "beq %[a], %[b], 3f\n"        /* to the next page */
                 "addi %[acc], %[acc], 2\n"
                 "addi %[acc], %[acc], 4\n"    /* the page's last */
                 "3: addi %[acc], %[acc], 8\n"
                 "csrr %[t1], instret\n"
                 ".option pop\n"
                 : [acc] "+r"(acc), [t0] "=&r"(t0), [t1] "=&r"(t1)
                 : [a] "r"(a), [b] "r"(b)
                 : "memory");
    *n = t1 - t0;
    return acc;
}

int main(void)
{
    static const uint64_t ops[][2] = {
        { 5, 5 }, { 0, 7 }, { 7, 0 }, { (uint64_t)-3, 4 },
        { 4, (uint64_t)-3 }, { 0, 0 }, { (uint64_t)-1, (uint64_t)-1 },
        { 3, 9 }, { 9, 3 }, { 0, (uint64_t)-8 }, { 1, 1 }, { 2, 0 },
    };
    for (unsigned r = 0; r < ROUNDS; r++) {
        uint64_t a = ops[r][0], b = ops[r][1], n;
        uint64_t got = skip(a, b, &n);
        uint64_t want = skip_want(a, b);
        CHECK_EQ(got, want);
        /* 8 branches, an ori for each not taken, the second csrr */
        uint64_t oris = 0;
        for (unsigned k = 0; k < 8; k++) {
            oris += want >> k & 1;
        }
        CHECK_EQ(n, 8 + oris + 1);
    }
    for (unsigned r = 0; r < ROUNDS; r++) {
        uint64_t iters = 1 + r % 5, stop = r % 3 == 0 ? 0 : r % 4, n;
        uint64_t sum = 0, want_n = 1;   /* the j */
        uint64_t c = iters;
        bool left = false;
        for (;;) {
            sum += 3;
            want_n += 2;   /* addi, beq */
            if (c == stop) {
                left = true;
                break;
            }
            c--;
            want_n += 2;   /* addi, bnez */
            if (c == 0) {
                break;
            }
        }
        if (!left) {
            sum += 1000;
            want_n++;
        }
        sum <<= 1;
        want_n += 2;   /* slli, csrr */
        CHECK_EQ(loop(iters, stop, &n), sum);
        CHECK_EQ(n, want_n);
    }
    for (unsigned r = 0; r < ROUNDS; r++) {
        uint64_t iters = 2 + r % 5, stop = r % 3 == 0 ? 0 : 1 + r % 2, n, c;
        uint64_t sum = 1, want_n = 3, want_c = iters;   /* csrr, j, addi */
        for (;;) {
            sum += 3;
            want_n += 2;   /* addi, beq */
            if (want_c == stop) {
                sum <<= 1;
                want_n++;   /* slli */
                break;
            }
            want_c--;
            want_n += 2;   /* addi, bnez */
            if (want_c == 0) {
                sum += 1000;
                want_n += 2;   /* addi, j */
                break;
            }
        }
        CHECK_EQ(inner(iters, stop, &n, &c), sum);
        CHECK_EQ(c, want_c);
        CHECK_EQ(n, want_n);
    }
    for (unsigned r = 0; r < ROUNDS; r++) {
        uint64_t a = r & 1, n;
        uint64_t got = page(a, 1, &n);
        CHECK_EQ(got, a == 1 ? 1u + 8 : 1u + 2 + 4 + 8);
        CHECK_EQ(n, a == 1 ? 5u : 7u);
    }
    return rt_pass("jit_side");
}
