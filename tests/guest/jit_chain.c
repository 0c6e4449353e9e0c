/*
 * jit_chain - a mode change by a block's last instruction takes effect at
 * the very next instruction, also when the JIT chains that block's exit
 * into the next block's host code (tcg/riscv/jit.c gen_call_end,
 * docs/jit.md "Chaining out of handlers").
 *
 * Each case runs its sequence several times from the same code, so from
 * the second round on the block after the CSR instruction (or wfi) is in
 * the hart's jump cache and the JIT's exit would enter it directly:
 * - csrs mstatus.MIE with an interrupt pending: the interrupt is taken
 *   with mepc = the instruction after the csrs (privileged spec 3.1.6.1:
 *   interrupts are taken as soon as they are enabled);
 * - csrc mstatus.FS (FP off): the FP instruction right after it raises
 *   illegal-instruction (unprivileged 11.2);
 * - wfi with the timer interrupt enabled in mie but MIE = 0: the hart
 *   sleeps until the interrupt is pending, so the csrr mip after the wfi
 *   sees MTIP (privileged spec 3.3.3);
 * - csrw mie enabling a pending interrupt with MIE = 1: taken right after.
 * jit-cross also stops this guest at many icounts with both engines.
 */
#include "priv.h"

#define ROUNDS 6
#define MIP(n) (1UL << (n))
#define MSTATUS_FS (3UL << 13)

static bool quiet(unsigned level, uint64_t cause)
{
    if (level != PRIV_M) {
        return false;
    }
    switch (cause) {
    case IRQ_SSI: RT_CSR_CLEAR(mip, MIP(IRQ_SSI)); return true;
    case IRQ_MTI: MMIO64(CLINT_MTIMECMP(0)) = ~0ULL; return true;
    default: return false;
    }
}

/* One interrupt was taken since priv_irq_count was cleared, at `at`. */
static void check_one_irq_at(uint64_t at)
{
    CHECK_EQ(priv_irq_count, 1);
    CHECK_EQ(priv_irq_log[0].epc, at);
}

/* csrs mstatus, MIE ends a block with SSIP pending; the interrupt must hit
   the next instruction (label 1), before the csrc that disables it. */
static void test_enable_mie(void)
{
    RT_CSR_WRITE(mideleg, 0);
    RT_CSR_WRITE(mie, MIP(IRQ_SSI));
    for (unsigned r = 0; r < ROUNDS; r++) {
        uint64_t at;
        priv_irq_count = 0;
        RT_CSR_SET(mip, MIP(IRQ_SSI));
        asm volatile(".option push\n.option norvc\n"
                     "lla %0, 1f\n"
                     "csrs mstatus, %1\n"
                     "1: csrc mstatus, %1\n"
                     "j 2f\n"
                     "2:\n"
                     ".option pop\n"
                     : "=&r"(at) : "r"(MSTATUS_MIE) : "memory");
        check_one_irq_at(at);
        CHECK_EQ(priv_irq_log[0].cause,
                 PRIV_INTR | IRQ_SSI);
    }
    RT_CSR_WRITE(mie, 0);
}

/* csrw mie turns on an interrupt already pending while MIE = 1. */
static void test_enable_mie_bit(void)
{
    RT_CSR_WRITE(mie, 0);
    RT_CSR_SET(mstatus, MSTATUS_MIE);
    for (unsigned r = 0; r < ROUNDS; r++) {
        uint64_t at;
        priv_irq_count = 0;
        RT_CSR_SET(mip, MIP(IRQ_SSI));
        asm volatile(".option push\n.option norvc\n"
                     "lla %0, 1f\n"
                     "csrw mie, %1\n"
                     "1: csrw mie, zero\n"
                     "j 2f\n"
                     "2:\n"
                     ".option pop\n"
                     : "=&r"(at) : "r"(MIP(IRQ_SSI)) : "memory");
        check_one_irq_at(at);
    }
    RT_CSR_CLEAR(mstatus, MSTATUS_MIE);
}

/* FP off by the last instruction of a block: the next block's fmv.x.d
   must trap, however the exit is taken. */
static void test_fs_off(void)
{
    for (unsigned r = 0; r < ROUNDS; r++) {
        uint64_t at;
        RT_CSR_SET(mstatus, 1UL << 13);   /* FS = Initial */
        priv_expect(PRIV_M, PRIV_CAUSE_ILLEGAL);
        asm volatile(".option push\n.option norvc\n"
                     "lla %0, 1f\n"
                     "csrc mstatus, %1\n"
                     "1: fmv.x.d a0, fa0\n"
                     "j 2f\n"
                     "2:\n"
                     ".option pop\n"
                     : "=&r"(at) : "r"(MSTATUS_FS) : "a0", "memory");
        PRIV_CHECK_TRAP(PRIV_M, PRIV_CAUSE_ILLEGAL);
        CHECK_EQ(priv_trap.epc, at);
    }
}

/* wfi, then (a block of its own) csrr mip: the hart must have slept until
   MTIP was pending. */
static void test_wfi(void)
{
    RT_CSR_WRITE(mie, MIP(IRQ_MTI));
    for (unsigned r = 0; r < ROUNDS; r++) {
        uint64_t pending;
        MMIO64(CLINT_MTIMECMP(0)) = MMIO64(CLINT_MTIME) + 300;
        asm volatile(".option push\n.option norvc\n"
                     "wfi\n"
                     "csrr %0, mip\n"
                     "j 2f\n"
                     "2:\n"
                     ".option pop\n"
                     : "=r"(pending) : : "memory");
        CHECK_EQ(pending & MIP(IRQ_MTI), MIP(IRQ_MTI));
        MMIO64(CLINT_MTIMECMP(0)) = ~0ULL;
    }
    RT_CSR_WRITE(mie, 0);
}

int main(void)
{
    priv_init();
    priv_irq_hook = quiet;
    test_enable_mie();
    test_enable_mie_bit();
    test_fs_off();
    test_wfi();
    return rt_pass("jit_chain");
}
