/*
 * echo - reads serial input until a '.' and prints it back.
 *
 * The bare-metal guest that reads input, for the replay tests: recorded
 * with input piped in, replayed with no input at all, its console must be
 * the same byte for byte (tests/replay/replay_test.py). It prints nothing
 * while input arrives (one line at the start, the echo at the end), so the
 * console lines never interleave with input. Not run by the guest suite:
 * without input it waits forever.
 */
#include "rt.h"

#define UART_RBR 0
#define UART_LSR 5
#define UART_LSR_DR 0x01

static char rt_getc(void)
{
    volatile uint8_t *uart = (volatile uint8_t *)RT_UART_BASE;

    while (!(uart[UART_LSR] & UART_LSR_DR))
        ;
    return (char)uart[UART_RBR];
}

int main(void)
{
    char buf[64];
    unsigned n = 0;

    rt_puts("echo: type a line ending with '.'\n");
    for (;;) {
        char c = rt_getc();
        if (c == '.')
            break;
        if (n < sizeof(buf) - 1)
            buf[n++] = c;
    }
    buf[n] = 0;
    rt_puts("echo: first byte ");
    rt_put_hex((uint8_t)buf[0]);
    rt_puts(", ");
    rt_put_dec(n);
    rt_puts(" bytes: [");
    rt_puts(buf);
    rt_puts("]\n");
    return rt_pass("echo");
}
