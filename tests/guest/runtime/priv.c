/*
 * priv.c - the C side of priv.h: trap recording, resume policy and setup.
 * Both handlers share handle(); only the CSRs they read and write differ.
 */
#include "priv.h"

#define TRAP_STACK_SIZE 8192

volatile PrivTrap priv_trap;
volatile uint64_t priv_return_cause, priv_return_status;
volatile PrivIrq priv_irq_log[PRIV_IRQ_LOG];
volatile unsigned priv_irq_count;
bool (*volatile priv_irq_hook)(unsigned level, uint64_t cause);

static uint8_t m_stack[TRAP_STACK_SIZE] __attribute__((aligned(16)));
static uint8_t s_stack[TRAP_STACK_SIZE] __attribute__((aligned(16)));

enum { REG_RA = 1, REG_A0 = 10, REG_A7 = 17 };

static void print_trap(unsigned level, uint64_t cause, uint64_t epc,
                       uint64_t tval)
{
    rt_puts(level == PRIV_M ? "FAIL unexpected trap in M: mcause "
                            : "FAIL unexpected trap in S: scause ");
    rt_put_hex(cause);
    rt_puts(" epc ");
    rt_put_hex(epc);
    rt_puts(" tval ");
    rt_put_hex(tval);
    rt_putc('\n');
    if (priv_trap.armed) {
        rt_puts("  (armed for level ");
        rt_put_dec(priv_trap.want_level);
        rt_puts(" cause ");
        rt_put_hex(priv_trap.want_cause);
        rt_puts(")\n");
    }
}

/* Length of the instruction at epc, read as data by the handler's mode. */
static unsigned insn_len(unsigned level, uint64_t epc)
{
    uint16_t half;

    if (level == PRIV_S) {
        uint64_t keep = RT_CSR_READ(sstatus) & (MSTATUS_SUM | MSTATUS_MXR);
        RT_CSR_SET(sstatus, MSTATUS_SUM | MSTATUS_MXR);
        half = *(volatile uint16_t *)epc;
        RT_CSR_CLEAR(sstatus, (MSTATUS_SUM | MSTATUS_MXR) & ~keep);
    } else {
        half = *(volatile uint16_t *)epc;
    }
    return (half & 3) == 3 ? 4 : 2;
}

/* Returns the new epc; exits on anything unexpected.  *unwind is set for
 * the return ecall of a priv_run() function. */
static uint64_t handle(unsigned level, uint64_t *frame, uint64_t cause,
                       uint64_t epc, uint64_t tval, uint64_t status,
                       bool *unwind)
{
    uint64_t code = cause & ~PRIV_INTR;

    *unwind = false;
    if (cause & PRIV_INTR) {
        unsigned n = priv_irq_count;
        if (n < PRIV_IRQ_LOG) {
            priv_irq_log[n].level = level;
            priv_irq_log[n].cause = cause;
            priv_irq_log[n].vector = frame[0];
            priv_irq_log[n].status = status;
            priv_irq_log[n].epc = epc;
        }
        priv_irq_count = n + 1;
        if (n >= 64 || !priv_irq_hook || !priv_irq_hook(level, code)) {
            print_trap(level, cause, epc, tval);
            rt_puts("  (interrupt not handled, or interrupt storm)\n");
            rt_exit(RT_UNEXPECTED_TRAP_EXIT);
        }
        return epc;
    }
    if ((code == RT_CAUSE_ECALL_U || code == RT_CAUSE_ECALL_S ||
         code == RT_CAUSE_ECALL_M) && frame[REG_A7] == PRIV_RETURN_MAGIC) {
        *unwind = true;
        priv_return_cause = cause;
        priv_return_status = status;
        return epc;
    }
    if (!priv_trap.armed || priv_trap.want_level != level ||
        (priv_trap.want_cause != cause && priv_trap.want_cause2 != cause)) {
        print_trap(level, cause, epc, tval);
        rt_exit(RT_UNEXPECTED_TRAP_EXIT);
    }
    priv_trap.cause = cause;
    priv_trap.epc = epc;
    priv_trap.tval = tval;
    priv_trap.status = status;
    priv_trap.vector = frame[0];
    priv_trap.level = level;
    priv_trap.count++;
    priv_trap.armed = false;
    priv_trap.taken = true;
    if (priv_trap.abort) {
        priv_trap.abort = false;
        frame[REG_A0] = PRIV_ABORTED;
        *unwind = true;
        return epc;
    }
    if (code == RT_CAUSE_MISALIGNED_FETCH || code == RT_CAUSE_FETCH_ACCESS ||
        code == PRIV_CAUSE_FETCH_PAGE) {
        return frame[REG_RA];
    }
    return epc + insn_len(level, epc);
}

int priv_m_trap(uint64_t *frame);
int priv_s_trap(uint64_t *frame);

int priv_m_trap(uint64_t *frame)
{
    bool unwind;
    uint64_t epc = handle(PRIV_M, frame, RT_CSR_READ(mcause),
                          RT_CSR_READ(mepc), RT_CSR_READ(mtval),
                          RT_CSR_READ(mstatus), &unwind);
    RT_CSR_WRITE(mepc, epc);
    return unwind;
}

int priv_s_trap(uint64_t *frame)
{
    bool unwind;
    uint64_t epc = handle(PRIV_S, frame, RT_CSR_READ(scause),
                          RT_CSR_READ(sepc), RT_CSR_READ(stval),
                          RT_CSR_READ(sstatus), &unwind);
    RT_CSR_WRITE(sepc, epc);
    return unwind;
}

void priv_expect(unsigned level, uint64_t cause)
{
    priv_expect2(level, cause, cause);
}

void priv_expect2(unsigned level, uint64_t cause, uint64_t cause2)
{
    priv_trap.want_level = level;
    priv_trap.want_cause = cause;
    priv_trap.want_cause2 = cause2;
    priv_trap.abort = false;
    priv_trap.taken = false;
    priv_trap.armed = true;
    asm volatile("" ::: "memory");
}

void priv_expect_abort(unsigned level, uint64_t cause)
{
    priv_expect(level, cause);
    priv_trap.abort = true;
}

bool priv_trapped(unsigned level, uint64_t cause)
{
    bool ok = priv_trap.taken && priv_trap.level == level &&
              priv_trap.cause == cause;

    priv_trap.armed = false;
    priv_trap.taken = false;
    return ok;
}

void priv_init(void)
{
    RT_CSR_WRITE(mie, 0);
    RT_CSR_WRITE(medeleg, 0);
    RT_CSR_WRITE(mideleg, 0);
    RT_CSR_WRITE(mscratch, (uintptr_t)(m_stack + TRAP_STACK_SIZE));
    RT_CSR_WRITE(sscratch, (uintptr_t)(s_stack + TRAP_STACK_SIZE));
    RT_CSR_WRITE(mtvec, (uintptr_t)priv_m_entry);
    RT_CSR_WRITE(stvec, (uintptr_t)priv_s_entry);
    RT_CSR_WRITE(satp, 0);
    /* Entry 15: NAPOT over everything, RWX, not locked. */
    RT_CSR_WRITE(pmpaddr15, ~0UL);
    RT_CSR_CLEAR(pmpcfg2, 0xffUL << 56);
    RT_CSR_SET(pmpcfg2, 0x1fUL << 56);
    priv_irq_hook = 0;
    priv_irq_count = 0;
}

uint64_t priv_call_code(uint64_t va)
{
    register uint64_t a0 asm("a0") = 0;

    asm volatile("jalr ra, 0(%1)" : "+r"(a0) : "r"(va) : "ra", "memory");
    return a0;
}
