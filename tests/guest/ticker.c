/*
 * ticker - prints "tick N" every 50 ms of guest time and echoes typed
 * bytes, for the mon:stdio monitor test (tests/replay/monitor_test.py).
 *
 * It sleeps between ticks (WFI on the CLINT timer, woken early by the
 * UART's receive interrupt), so a live run goes at the host's real time:
 * while the monitor holds the machine (`stop`) no tick may appear, and
 * after `cont` they come again. Every byte the UART receives is printed
 * as "got: N" (decimal), so a monitor byte that leaked into the guest's
 * input shows; 'q' ends the run with a pass. It never ends without
 * input: it is not one of the guest-* tests.
 */
#include "rt.h"

#define UART ((volatile uint8_t *)RT_UART_BASE)
#define UART_RBR 0
#define UART_IER 1
#define UART_LSR 5
#define UART_LSR_DR 0x01
#define UART_IRQ 10                 /* virt's UART0 PLIC source */
#define CLINT_MTIMECMP0 ((volatile uint64_t *)0x2004000UL)
#define CLINT_MTIME ((volatile uint64_t *)0x200bff8UL)
#define MIE_MTIE (1UL << 7)
#define MIE_MEIE (1UL << 11)
#define PLIC_BASE 0x0c000000UL      /* SiFive PLIC, context 0 = hart 0 M */
#define PLIC_PRIORITY(src) ((volatile uint32_t *)(PLIC_BASE + 4 * (src)))
#define PLIC_ENABLE0 ((volatile uint32_t *)(PLIC_BASE + 0x2000))
#define PLIC_THRESHOLD0 ((volatile uint32_t *)(PLIC_BASE + 0x200000))
#define PLIC_CLAIM0 ((volatile uint32_t *)(PLIC_BASE + 0x200004))
#define TICKS_PER_MS 10000u         /* virt's 10 MHz timebase */

/* WFI (interrupts masked: it wakes without a trap) until `ms` pass or a
   byte arrives. */
static void wait_key(unsigned ms)
{
    uint64_t until = *CLINT_MTIME + (uint64_t)ms * TICKS_PER_MS;
    *PLIC_PRIORITY(UART_IRQ) = 1;
    *PLIC_ENABLE0 = 1u << UART_IRQ;
    *PLIC_THRESHOLD0 = 0;
    UART[UART_IER] = 1;
    *CLINT_MTIMECMP0 = until;
    RT_CSR_SET(mie, MIE_MTIE | MIE_MEIE);
    while (*CLINT_MTIME < until && !(UART[UART_LSR] & UART_LSR_DR)) {
        asm volatile("wfi");
    }
    RT_CSR_CLEAR(mie, MIE_MTIE | MIE_MEIE);
    UART[UART_IER] = 0;
    *PLIC_CLAIM0 = *PLIC_CLAIM0;    /* claim and complete, if pending */
    *CLINT_MTIMECMP0 = ~0ULL;
}

int main(void)
{
    rt_puts("ticker: ready\n");
    for (uint64_t n = 1;; n++) {
        uint64_t next = *CLINT_MTIME + 50ull * TICKS_PER_MS;
        while (*CLINT_MTIME < next) {
            wait_key(50);
            while (UART[UART_LSR] & UART_LSR_DR) {
                uint8_t c = UART[UART_RBR];
                if (c == 'q') {
                    return rt_pass("ticker");
                }
                rt_puts("got: ");
                rt_put_dec(c);
                rt_putc('\n');
            }
        }
        rt_puts("tick ");
        rt_put_dec(n);
        rt_putc('\n');
    }
}
