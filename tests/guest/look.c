/*
 * look - a guest for the shell's looking commands (tests/unit/look_test.c,
 * which builds a machine, runs this program until it spins and then
 * checks regs, x, disas, backtrace, hart, devices and mtree against what
 * is known here). Built with -fno-omit-frame-pointer so that the call
 * chain main -> look_outer -> look_middle -> look_inner -> look_stop can
 * be walked by frame pointers; look_stop is a leaf, which saves fp only.
 *
 * look_stop leaves known values in registers (t5 = 5, t6 = 0x5eed5eed,
 * ft11 = 5.0) and spins on look_spin in a two-instruction loop
 * ("lw t4,0(t3)", "bne t4,zero,..."); the test clears look_spin to let
 * the program finish and pass.
 */
#include "rt.h"

const char look_msg[] = "hello, look";
const uint32_t look_words[4] = { 0x11223344, 0xdeadbeef, 0xfffffffe, 7 };
volatile uint32_t look_spin = 1;
volatile uint64_t look_depth;

void __attribute__((noinline)) look_stop(void)
{
    asm volatile("li t6, 0x5eed5eed\n"
                 "li t5, 5\n"
                 "fcvt.d.l ft11, t5\n"
                 "la t3, look_spin\n"
                 "1: lw t4, 0(t3)\n"
                 "bnez t4, 1b\n"
                 ::: "t3", "t4", "t5", "t6", "ft11", "memory");
}

void __attribute__((noinline)) look_inner(uint64_t n)
{
    look_depth = n;
    look_stop();
    look_depth = n + 1;
}

void __attribute__((noinline)) look_middle(uint64_t n)
{
    look_inner(n + 1);
    look_depth += n;
}

void __attribute__((noinline)) look_outer(uint64_t n)
{
    look_middle(n + 1);
    look_depth += n;
}

int main(void)
{
    look_outer(1);
    CHECK_EQ(look_depth, 4 + 2 + 1);
    return rt_pass("look");
}
