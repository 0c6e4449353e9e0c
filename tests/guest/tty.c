/*
 * tty - an interactive bare-metal guest for the pseudo-terminal tests
 * (tests/replay/pty_test.py). It behaves like a shell's line editor:
 *
 *   - its prompt "tty> " ends with terminal queries, as busybox's does:
 *     ESC [6n (cursor position), then ESC [5n (status), ESC [c (device
 *     attributes) and an OSC 11 colour query; it reads the terminal's
 *     answers from the UART and discards them;
 *   - before its first prompt it prints "tty" and sleeps 300 ms (WFI on
 *     the CLINT timer) with that line open, so a recorder logs idle time
 *     while console text is pending; after the first answer it reads the
 *     RTC, so a recorder logs the wall clock while the prompt line is
 *     open (the orders that once made recordings fail);
 *   - then it prints "wake? " and waits (WFI) up to 10 s for a key, woken
 *     by the UART's receive interrupt through the PLIC: the key cuts an
 *     idle skip short and wakes the hart at once, which a replay must
 *     reproduce without skipping to the 10 s deadline;
 *   - it echoes typed characters, control characters as ^X, and on
 *     Enter (CR) prints "got: LINE" ("quit" ends the run with a pass).
 *
 * It never runs without input: it is not one of the guest-* tests.
 */
#include "rt.h"

#define UART ((volatile uint8_t *)RT_UART_BASE)
#define UART_RBR 0
#define UART_LSR 5
#define UART_LSR_DR 0x01
#define RTC_TIME_LOW ((volatile uint32_t *)0x101000UL)
#define CLINT_MTIMECMP0 ((volatile uint64_t *)0x2004000UL)
#define CLINT_MTIME ((volatile uint64_t *)0x200bff8UL)
#define MIE_MTIE (1UL << 7)
#define MIE_MEIE (1UL << 11)
#define UART_IER 1
#define UART_IRQ 10                 /* virt's UART0 PLIC source */
#define PLIC_BASE 0x0c000000UL      /* SiFive PLIC, context 0 = hart 0 M */
#define PLIC_PRIORITY(src) ((volatile uint32_t *)(PLIC_BASE + 4 * (src)))
#define PLIC_ENABLE0 ((volatile uint32_t *)(PLIC_BASE + 0x2000))
#define PLIC_THRESHOLD0 ((volatile uint32_t *)(PLIC_BASE + 0x200000))
#define PLIC_CLAIM0 ((volatile uint32_t *)(PLIC_BASE + 0x200004))
#define TICKS_PER_MS 10000u   /* virt's 10 MHz timebase */

/* Wait for the timer with interrupts masked (mstatus.MIE = 0): WFI
   wakes on the pending timer without taking the trap. */
static void sleep_ms(unsigned ms)
{
    uint64_t until = *CLINT_MTIME + (uint64_t)ms * TICKS_PER_MS;
    *CLINT_MTIMECMP0 = until;
    RT_CSR_SET(mie, MIE_MTIE);
    while (*CLINT_MTIME < until) {
        asm volatile("wfi");
    }
    RT_CSR_CLEAR(mie, MIE_MTIE);
    *CLINT_MTIMECMP0 = ~0ULL;
}

/* WFI until a key arrives (UART receive interrupt) or `ms` pass. */
static void wait_key(unsigned ms)
{
    uint64_t until = *CLINT_MTIME + (uint64_t)ms * TICKS_PER_MS;
    *PLIC_PRIORITY(UART_IRQ) = 1;
    *PLIC_ENABLE0 = 1u << UART_IRQ;
    *PLIC_THRESHOLD0 = 0;
    UART[UART_IER] = 1;              /* received data available */
    *CLINT_MTIMECMP0 = until;
    RT_CSR_SET(mie, MIE_MTIE | MIE_MEIE);
    while (*CLINT_MTIME < until && !(UART[UART_LSR] & UART_LSR_DR)) {
        asm volatile("wfi");
    }
    RT_CSR_CLEAR(mie, MIE_MTIE | MIE_MEIE);
    UART[UART_IER] = 0;
    *PLIC_CLAIM0 = *PLIC_CLAIM0;     /* claim and complete, if pending */
    *CLINT_MTIMECMP0 = ~0ULL;
}

static int getc_wait(void)
{
    while (!(UART[UART_LSR] & UART_LSR_DR)) {
    }
    return UART[UART_RBR];
}

/* Reads the rest of an escape sequence after ESC (CSI: up to its final
   byte; OSC: up to BEL or ESC \; others: one byte). */
static void skip_escape(void)
{
    int c = getc_wait();
    if (c == '[') {
        do {
            c = getc_wait();
        } while (c < 0x40 || c > 0x7e);
    } else if (c == ']') {
        do {
            c = getc_wait();
        } while (c != 7 && c != 0x1b);
        if (c == 0x1b) {
            getc_wait();
        }
    }
}

static bool same(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

int main(void)
{
    char line[80];
    bool rtc_read = false;

    rt_puts("tty guest ready\n");
    rt_puts("tty");
    sleep_ms(300);
    rt_puts(" wake? ");
    wait_key(10000);
    if (UART[UART_LSR] & UART_LSR_DR) {
        rt_puts("woken by ");
        rt_putc((char)getc_wait());
        rt_puts("\ntty");
    }
    for (;;) {
        rt_puts("> \x1b[6n\x1b[5n\x1b[c\x1b]11;?\x07");
        unsigned len = 0;
        for (;;) {
            int c = getc_wait();
            if (c == 0x1b) {
                skip_escape();
                if (!rtc_read) {
                    rtc_read = true;
                    (void)*RTC_TIME_LOW;
                }
                continue;
            }
            if (c == '\r' || c == '\n') {
                break;
            }
            if (c < 0x20) {
                rt_putc('^');
                rt_putc((char)(c + '@'));
            } else {
                rt_putc((char)c);
            }
            if (len + 2 < sizeof(line)) {
                line[len++] = (char)(c < 0x20 ? '^' : c);
                if (c < 0x20) {
                    line[len++] = (char)(c + '@');
                }
            }
        }
        line[len] = 0;
        rt_puts("\r\ngot: ");
        rt_puts(line);
        rt_puts("\n");
        if (same(line, "quit")) {
            return rt_pass("tty");
        }
        rt_puts("tty");
    }
}
