/*
 * rt.c - output, exit, checks and the trap handler of the guest runtime.
 * See rt.h for how tests use it.  The trap handler runs on the interrupted
 * code's stack and touches only integer registers, so it also works when a
 * test has turned the FPU off (mstatus.FS = Off).
 */
#include "rt.h"

#define UART_THR 0
#define UART_LSR 5
#define UART_LSR_THRE 0x20

#define FINISHER_PASS 0x5555u
#define FINISHER_FAIL 0x3333u

unsigned long rt_checks;
volatile RtTrap rt_trap;

void rt_putc(char c)
{
    volatile uint8_t *uart = (volatile uint8_t *)RT_UART_BASE;

    while (!(uart[UART_LSR] & UART_LSR_THRE))
        ;
    uart[UART_THR] = (uint8_t)c;
}

void rt_puts(const char *s)
{
    while (*s)
        rt_putc(*s++);
}

void rt_put_hex(uint64_t v)
{
    rt_puts("0x");
    for (int shift = 60; shift >= 0; shift -= 4)
        rt_putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

void rt_put_dec(uint64_t v)
{
    char buf[24];
    int n = 0;

    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        rt_putc(buf[--n]);
}

_Noreturn void rt_exit(int code)
{
    volatile uint32_t *finisher = (volatile uint32_t *)RT_FINISHER_BASE;

    if (code == 0) {
        *finisher = FINISHER_PASS;
    } else {
        uint32_t status = (uint32_t)code & 0xff;

        /* The host only sees 8 bits of exit status; never let a failure
         * alias to success. */
        if (status == 0)
            status = 255;
        rt_puts("rt: exit with failure code ");
        rt_put_dec(status);
        rt_putc('\n');
        *finisher = (status << 16) | FINISHER_FAIL;
    }
    for (;;)
        asm volatile("wfi");
}

int rt_pass(const char *name)
{
    rt_puts("PASS ");
    rt_puts(name);
    rt_puts(" (");
    rt_put_dec(rt_checks);
    rt_puts(" checks)\n");
    return 0;
}

_Noreturn void rt_check_fail(const char *file, int line, const char *expr,
                             bool has_values, uint64_t expected,
                             uint64_t actual)
{
    rt_puts("FAIL ");
    rt_puts(file);
    rt_putc(':');
    rt_put_dec((uint64_t)line);
    rt_puts(": ");
    rt_puts(expr);
    rt_putc('\n');
    if (has_values) {
        rt_puts("  expected ");
        rt_put_hex(expected);
        rt_puts("\n  actual   ");
        rt_put_hex(actual);
        rt_putc('\n');
    }
    rt_exit(RT_CHECK_EXIT(line));
}

void rt_expect_trap(uint64_t cause)
{
    rt_expect_trap_mask(1ULL << cause);
}

void rt_expect_trap_mask(uint64_t mask)
{
    rt_trap.expected = mask;
    rt_trap.taken = false;
    rt_trap.armed = true;
    asm volatile("" ::: "memory");
}

bool rt_trapped(uint64_t cause)
{
    bool ok = rt_trap.taken && rt_trap.cause == cause;

    rt_trap.armed = false;
    rt_trap.taken = false;
    return ok;
}

static void print_trap(const char *what, uint64_t cause, uint64_t epc,
                       uint64_t tval)
{
    rt_puts(what);
    rt_puts(": mcause ");
    rt_put_hex(cause);
    rt_puts(" mepc ");
    rt_put_hex(epc);
    rt_puts(" mtval ");
    rt_put_hex(tval);
    rt_putc('\n');
}

void rt_trap_handler(uint64_t *regs)
{
    uint64_t cause = RT_CSR_READ(mcause);
    uint64_t epc = RT_CSR_READ(mepc);
    uint64_t tval = RT_CSR_READ(mtval);
    bool wanted = cause < 64 && ((rt_trap.expected >> cause) & 1);
    uint16_t first_half;

    (void)regs;
    if (!rt_trap.armed || !wanted) {
        print_trap("FAIL unexpected trap", cause, epc, tval);
        if (rt_trap.armed) {
            rt_puts("  (expected mcause mask ");
            rt_put_hex(rt_trap.expected);
            rt_puts(")\n");
        }
        rt_exit(RT_UNEXPECTED_TRAP_EXIT);
    }
    rt_trap.cause = cause;
    rt_trap.epc = epc;
    rt_trap.tval = tval;
    rt_trap.status = RT_CSR_READ(mstatus);
    rt_trap.count++;
    rt_trap.armed = false;
    rt_trap.taken = true;

    /* Instruction length from the first halfword: 0b11 in bits 1:0 means
     * a 32-bit instruction, anything else a 16-bit one. */
    first_half = *(volatile uint16_t *)epc;
    RT_CSR_WRITE(mepc, epc + ((first_half & 3) == 3 ? 4 : 2));
}

void *memset(void *dst, int c, size_t n)
{
    volatile uint8_t *d = dst;

    while (n--)
        *d++ = (uint8_t)c;
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    volatile uint8_t *d = dst;
    const uint8_t *s = src;

    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    volatile uint8_t *d = dst;
    const uint8_t *s = src;

    if (d < s) {
        while (n--)
            *d++ = *s++;
    } else {
        while (n--)
            d[n] = s[n];
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;

    for (; n; n--, x++, y++) {
        if (*x != *y)
            return *x < *y ? -1 : 1;
    }
    return 0;
}
