/*
 * rt.h - tiny runtime for rewind's bare-metal guest test programs.
 *
 * The programs run in M-mode on the `virt` machine (QEMU's or rewind's) with
 * `-bios none`.  They print through the ns16550a UART at 0x10000000 and end
 * through the SiFive test finisher at 0x100000: exit code 0 means pass, any
 * other code n means fail with host exit status n.  crt0.S calls main() and
 * passes its return value to rt_exit().
 *
 * Checks:
 *     CHECK(x < y);                      // plain condition
 *     CHECK_EQ(actual, expected);        // compared as uint64_t, printed in hex
 * A failing check prints "FAIL file:line: expr" plus expected/actual and
 * exits with code RT_CHECK_EXIT(line) (2..255, never 0, 1 or 77).
 *
 * Expected traps:
 *     rt_expect_trap(RT_CAUSE_ILLEGAL_INSN);
 *     asm volatile(".2byte 0x0000" ::: "memory");
 *     CHECK_TRAPPED(RT_CAUSE_ILLEGAL_INSN);   // fails if no trap was taken
 *     CHECK_EQ(rt_trap.tval, 0);
 * (A failed CHECK_TRAPPED prints actual = ~0 when no trap was taken.)
 * The armed handler records mcause/mepc/mtval in rt_trap, skips the faulting
 * instruction (2 or 4 bytes, from the low bits of its first halfword) and
 * returns.  Any trap that was not armed, or has another cause (including
 * every interrupt), prints
 * mcause/mepc/mtval and exits with code 1.
 */
#ifndef RT_H
#define RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Privileged spec 3.1.15, mcause exception codes. */
#define RT_CAUSE_MISALIGNED_FETCH  0
#define RT_CAUSE_FETCH_ACCESS      1
#define RT_CAUSE_ILLEGAL_INSN      2
#define RT_CAUSE_BREAKPOINT        3
#define RT_CAUSE_MISALIGNED_LOAD   4
#define RT_CAUSE_LOAD_ACCESS       5
#define RT_CAUSE_MISALIGNED_STORE  6
#define RT_CAUSE_STORE_ACCESS      7
#define RT_CAUSE_ECALL_U           8
#define RT_CAUSE_ECALL_S           9
#define RT_CAUSE_ECALL_M           11

#define RT_UART_BASE     0x10000000UL
#define RT_FINISHER_BASE 0x00100000UL

#define RT_UNEXPECTED_TRAP_EXIT 1
#include "rt_exit.h"   /* RT_CHECK_EXIT(line) */

/* Output. */
void rt_putc(char c);
void rt_puts(const char *s);
/* Prints v as 0x%016lx. */
void rt_put_hex(uint64_t v);
void rt_put_dec(uint64_t v);

/* Ends the run through the test finisher: 0 = pass, else fail with code. */
_Noreturn void rt_exit(int code);

/* Prints "PASS name (N checks)" and returns 0, for `return rt_pass("x");`. */
int rt_pass(const char *name);

/* Checks. */
extern unsigned long rt_checks;
_Noreturn void rt_check_fail(const char *file, int line, const char *expr,
                             bool has_values, uint64_t expected,
                             uint64_t actual);

#define CHECK(cond)                                                          \
    do {                                                                     \
        rt_checks++;                                                         \
        if (!(cond))                                                         \
            rt_check_fail(__FILE__, __LINE__, #cond, false, 0, 0);           \
    } while (0)

#define CHECK_EQ(actual, expected)                                           \
    do {                                                                     \
        uint64_t rt_a_ = (uint64_t)(actual);                                 \
        uint64_t rt_e_ = (uint64_t)(expected);                               \
        rt_checks++;                                                         \
        if (rt_a_ != rt_e_)                                                  \
            rt_check_fail(__FILE__, __LINE__, #actual " == " #expected,      \
                          true, rt_e_, rt_a_);                               \
    } while (0)

/* Traps. */
typedef struct RtTrap {
    uint64_t cause;      /* mcause of the last expected trap */
    uint64_t epc;        /* mepc of it (the faulting instruction) */
    uint64_t tval;       /* mtval of it */
    uint64_t status;     /* mstatus as the handler saw it */
    uint64_t count;      /* expected traps taken since boot */
    uint64_t expected;   /* mask of causes armed by rt_expect_trap* */
    bool armed;
    bool taken;
} RtTrap;

extern volatile RtTrap rt_trap;

/* Arms the trap handler for exactly one trap with this mcause. */
void rt_expect_trap(uint64_t cause);
/* Same, accepting any exception whose code c has bit c set in mask; for
 * the few cases where QEMU and the spec disagree and both are accepted. */
void rt_expect_trap_mask(uint64_t mask);
/* True (and disarms) if an armed trap with this cause was taken. */
bool rt_trapped(uint64_t cause);

#define CHECK_TRAPPED(want)                                                  \
    do {                                                                     \
        uint64_t rt_got_ = rt_trap.taken ? rt_trap.cause : ~0ULL;            \
        rt_checks++;                                                         \
        if (!rt_trapped(want))                                               \
            rt_check_fail(__FILE__, __LINE__, "trap with mcause " #want,     \
                          true, (want), rt_got_);                            \
    } while (0)

/* Called from crt0.S with the saved x0..x31 (x0 slot is 0). */
void rt_trap_handler(uint64_t *regs);

/* CSR access by name. */
#define RT_CSR_READ(csr)                                                     \
    ({ uint64_t rt_v_; asm volatile("csrr %0, " #csr : "=r"(rt_v_)); rt_v_; })
#define RT_CSR_WRITE(csr, val)                                               \
    asm volatile("csrw " #csr ", %0" : : "r"((uint64_t)(val)) : "memory")
#define RT_CSR_SET(csr, val)                                                 \
    asm volatile("csrs " #csr ", %0" : : "r"((uint64_t)(val)) : "memory")
#define RT_CSR_CLEAR(csr, val)                                               \
    asm volatile("csrc " #csr ", %0" : : "r"((uint64_t)(val)) : "memory")

#define RT_MSTATUS_FS_MASK    (3UL << 13)
#define RT_MSTATUS_FS_OFF     (0UL << 13)
#define RT_MSTATUS_FS_INITIAL (1UL << 13)
#define RT_MSTATUS_FS_CLEAN   (2UL << 13)
#define RT_MSTATUS_FS_DIRTY   (3UL << 13)
#define RT_MSTATUS_SD         (1UL << 63)

/* Freestanding helpers that GCC may call implicitly. */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
