/*
 * target - the guest program the gdb integration test (gdb_test.py)
 * debugs: a global counter bumped by a function called in a loop, so that
 * breakpoints, stepping, `finish` and a write watchpoint have something to
 * find. Built at -O0 so that every source line has code of its own.
 * It checks itself like every guest program: gdb must not disturb it.
 * A debugger that sets gdb_spin keeps it busy at the end (to interrupt it
 * with Ctrl-C) until it clears gdb_spin again.
 */
#include "rt.h"

volatile uint64_t gdb_counter;
uint64_t gdb_scratch[4] = { 0x1111, 0x2222, 0x3333, 0x4444 };
volatile uint64_t gdb_spin;
volatile uint64_t gdb_spins;

__attribute__((noinline)) uint64_t bump(uint64_t by)
{
    gdb_counter += by;
    return gdb_counter;
}

int main(void)
{
    uint64_t sum = 0;
    for (uint64_t i = 1; i <= 10; i++) {
        sum += bump(i);
    }
    rt_puts("gdb target: counter ");
    rt_put_dec(gdb_counter);
    rt_putc('\n');
    CHECK_EQ(gdb_counter, 55);
    CHECK_EQ(sum, 220);
    while (gdb_spin) {
        gdb_spins++;
    }
    return rt_pass("gdb target");
}
