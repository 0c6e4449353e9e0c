/*
 * hello - the smallest guest program: greets through the UART and passes.
 * It is the README demo, so keep its output short and stable.
 */
#include "rt.h"

int main(void)
{
    rt_puts("Hello from rewind guest\n");
    rt_puts("hart ");
    rt_put_dec(RT_CSR_READ(mhartid));
    rt_puts(" running in M-mode\n");
    rt_puts("1 + 2 + ... + 100 = ");
    unsigned long sum = 0;
    for (unsigned long i = 1; i <= 100; i++)
        sum += i;
    rt_put_dec(sum);
    rt_putc('\n');
    CHECK_EQ(sum, 5050);
    return rt_pass("hello");
}
