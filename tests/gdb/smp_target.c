/*
 * smp_target - the guest the gdb reverse test (reverse_test.py) debugs on
 * two harts (-smp 2; entry in tests/guest/runtime/smp_start.S).
 *
 * Hart 0 wakes hart 1 with a CLINT IPI; then each hart calls
 * smp_bump(hart) ITERS times, a function that adds 1 to the hart's own
 * counter and stores the hart's number in gdb_last_writer, which both
 * harts write: a watchpoint on it is hit by either hart, a watchpoint on
 * gdb_hart_count[1] only by hart 1. ITERS is large enough for each hart
 * to run several scheduling quanta, so the harts' instructions
 * interleave. Hart 0 waits for hart 1 and checks both counts. Built at
 * -O0 like target.c.
 */
#include "rt.h"

#define ITERS 600
#define CLINT_MSIP1 0x2000004UL

volatile uint64_t gdb_hart_count[2];
volatile uint64_t gdb_last_writer;
static volatile uint64_t done;

void smp_secondary_main(uint64_t hartid);

__attribute__((noinline)) void smp_bump(uint64_t hart)
{
    gdb_hart_count[hart] = gdb_hart_count[hart] + 1;
    gdb_last_writer = hart + 1;
}

static void work(uint64_t hart)
{
    for (unsigned i = 0; i < ITERS; i++) {
        smp_bump(hart);
    }
    asm volatile("amoadd.d zero, %0, (%1)" : : "r"(1UL), "r"(&done)
                 : "memory");
}

void smp_secondary_main(uint64_t hartid)
{
    if (hartid == 1) {
        work(1);
    }
    for (;;) {
        asm volatile("wfi");
    }
}

int main(void)
{
    asm volatile("fence rw, rw" ::: "memory");
    *(volatile uint32_t *)CLINT_MSIP1 = 1;
    work(0);
    while (done < 2) {
    }
    CHECK_EQ(gdb_hart_count[0], ITERS);
    CHECK_EQ(gdb_hart_count[1], ITERS);
    return rt_pass("gdb smp target");
}
