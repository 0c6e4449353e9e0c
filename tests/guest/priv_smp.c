/*
 * priv_smp - four harts (run with -smp 4; entry in runtime/smp_start.S).
 *
 * Hart 0 checks that the others are still asleep, wakes them one by one
 * with a CLINT msip IPI, then every hart records its mhartid, adds 1 to a
 * shared counter with amoadd.d ITERS times, and increments a second,
 * plain counter ITERS times inside an LR/SC spinlock.  Hart 0 waits for
 * all of them and checks the ids and that both counters reached exactly
 * NHARTS * ITERS (a lost update would show as a smaller total), and that
 * each woken hart cleared its own msip.
 */
#include "priv.h"

#define NHARTS 4
#define ITERS 2000
#define SEEN(h) (0x1000u + (h))
#define WAIT_LIMIT 200000000UL

static volatile uint64_t hart_seen[NHARTS];
static volatile uint64_t amo_counter;
static volatile uint64_t locked_counter;
static volatile uint32_t lock;
static volatile uint64_t done;
static volatile uint64_t sc_failures;

void smp_secondary_main(uint64_t hartid);

static void lock_acquire(volatile uint32_t *l)
{
    uint32_t tmp;
    uint64_t fails = 0;

    asm volatile("1: lr.w.aq %0, (%2)\n"
                 "   bnez %0, 1b\n"
                 "   sc.w %0, %3, (%2)\n"
                 "   beqz %0, 2f\n"
                 "   addi %1, %1, 1\n"
                 "   j 1b\n"
                 "2:"
                 : "=&r"(tmp), "+r"(fails) : "r"(l), "r"(1u) : "memory");
    if (fails)
        asm volatile("amoadd.d zero, %0, (%1)" : : "r"(fails),
                     "r"(&sc_failures) : "memory");
}

static void lock_release(volatile uint32_t *l)
{
    asm volatile("amoswap.w.rl zero, zero, (%0)" : : "r"(l) : "memory");
}

static void work(uint64_t hartid)
{
    hart_seen[hartid] = SEEN(RT_CSR_READ(mhartid));
    for (unsigned i = 0; i < ITERS; i++)
        asm volatile("amoadd.d zero, %0, (%1)" : : "r"(1UL),
                     "r"(&amo_counter) : "memory");
    for (unsigned i = 0; i < ITERS; i++) {
        lock_acquire(&lock);
        locked_counter = locked_counter + 1;
        lock_release(&lock);
    }
    asm volatile("amoadd.d zero, %0, (%1)" : : "r"(1UL), "r"(&done)
                 : "memory");
}

void smp_secondary_main(uint64_t hartid)
{
    if (hartid < NHARTS)
        work(hartid);
    for (;;)
        asm volatile("wfi");
}

int main(void)
{
    CHECK_EQ(RT_CSR_READ(mhartid), 0);
    /* Nobody has run yet: the others sleep until their IPI. */
    for (unsigned h = 0; h < NHARTS; h++)
        CHECK_EQ(hart_seen[h], 0);
    for (unsigned h = 1; h < NHARTS; h++) {
        CHECK_EQ(MMIO32(CLINT_MSIP(h)), 0);
        asm volatile("fence rw, rw" ::: "memory");
        MMIO32(CLINT_MSIP(h)) = 1;
    }
    work(0);

    unsigned long spins = 0;
    while (done < NHARTS && spins < WAIT_LIMIT)
        spins++;
    asm volatile("fence rw, rw" ::: "memory");
    if (done < NHARTS) {
        rt_puts("priv_smp: only ");
        rt_put_dec(done);
        rt_puts(" harts finished (run with -smp 4)\n");
    }
    CHECK_EQ(done, NHARTS);
    for (unsigned h = 0; h < NHARTS; h++)
        CHECK_EQ(hart_seen[h], SEEN(h));
    for (unsigned h = 1; h < NHARTS; h++)
        CHECK_EQ(MMIO32(CLINT_MSIP(h)), 0);
    CHECK_EQ(amo_counter, (uint64_t)NHARTS * ITERS);
    CHECK_EQ(locked_counter, (uint64_t)NHARTS * ITERS);
    CHECK_EQ(lock, 0);
    rt_puts("priv_smp: ");
    rt_put_dec(NHARTS);
    rt_puts(" harts, sc.w failures ");
    rt_put_dec(sc_failures);
    rt_putc('\n');
    return rt_pass("priv_smp");
}
