/*
 * priv_traps - privilege transitions, traps and their delegation
 * (privileged spec v1.12: 3.1.6.1 mstatus stack, 3.1.8 medeleg/mideleg,
 * 3.1.9 mip/mie, 3.3.2 xRET, 3.1.6.5 TVM/TW/TSR, 3.1.11 counter enables,
 * 4.1.1 sstatus, 4.1.3 sip/sie, 3.1.7/4.1.2 vectored xtvec).
 *
 * M -> S -> U with mret/sret and the MPP/MPIE/MIE and SPP/SPIE/SIE stacks;
 * ecall causes 8/9/11; delegated ecall-from-U and illegal instruction land
 * in S with scause/sepc/stval/sstatus; non-delegated traps from S go to M;
 * mret/sret/wfi/sfence.vma privilege rules incl. TSR, TW, TVM; CSR
 * privilege; counter enables; sstatus as a view of mstatus; sie/sip masked
 * by mideleg; vectored mtvec/stvec.  Runs without translation (satp Bare).
 */
#include "priv.h"

#define INSN_MRET   0x30200073u
#define INSN_SRET   0x10200073u
#define INSN_WFI    0x10500073u

#define ECALL_AT(pc)                                                         \
    asm volatile(".option push\n .option norvc\n li a7, 0\n"                 \
                 "lla %0, 1f\n 1: ecall\n .option pop"                       \
                 : "=&r"(pc) : : "a7", "memory")

static uint64_t insn_at(uint64_t pc)
{
    return *(volatile uint32_t *)pc;
}

/* ---- functions run in S or U ---- */

static uint64_t fn_ret7(uint64_t a)
{
    (void)a;
    return 7;
}

static uint64_t fn_read_sstatus(uint64_t a)
{
    (void)a;
    return RT_CSR_READ(sstatus);
}

static uint64_t fn_ecall(uint64_t a)
{
    uint64_t pc;

    (void)a;
    ECALL_AT(pc);
    return pc;
}

/* Executes the 32-bit instruction word `insn` (one of a few fixed ones). */
static uint64_t fn_exec(uint64_t insn)
{
    uint64_t pc;

    switch (insn) {
    case INSN_MRET:
        asm volatile("lla %0, 1f\n 1: .4byte 0x30200073" : "=r"(pc) :: "memory");
        break;
    case INSN_SRET:
        asm volatile("lla %0, 1f\n 1: .4byte 0x10200073" : "=r"(pc) :: "memory");
        break;
    case INSN_WFI:
        asm volatile("lla %0, 1f\n 1: .4byte 0x10500073" : "=r"(pc) :: "memory");
        break;
    default:   /* sfence.vma x0, x0 */
        asm volatile("lla %0, 1f\n 1: .4byte 0x12000073" : "=r"(pc) :: "memory");
        break;
    }
    return pc;
}

/* In S: drop to U at fn with sret (ra = the priv_run trampoline). */
static uint64_t fn_s_enter_u(uint64_t fn)
{
    RT_CSR_WRITE(sepc, fn);
    RT_CSR_CLEAR(sstatus, MSTATUS_SPP);
    asm volatile("mv ra, %0\n sret" : : "r"(priv_return_trampoline) : "memory");
    __builtin_unreachable();
}

enum { RD_MSTATUS, WR_MTVEC, RD_MSCRATCH, RD_SSTATUS, RD_SSCRATCH,
       WR_SSCRATCH, RD_CYCLE, RD_INSTRET, RD_SATP, RD_MEPC };

/* Accesses one CSR; the value read (0 if the access trapped). */
static uint64_t fn_csr(uint64_t which)
{
    uint64_t v = 0;

    switch (which) {
    case RD_MSTATUS:  asm volatile("csrr %0, mstatus" : "+r"(v) :: "memory"); break;
    case WR_MTVEC:    asm volatile("csrw mtvec, zero" ::: "memory"); break;
    case RD_MSCRATCH: asm volatile("csrr %0, mscratch" : "+r"(v) :: "memory"); break;
    case RD_SSTATUS:  asm volatile("csrr %0, sstatus" : "+r"(v) :: "memory"); break;
    case RD_SSCRATCH: asm volatile("csrr %0, sscratch" : "+r"(v) :: "memory"); break;
    case WR_SSCRATCH: asm volatile("csrw sscratch, zero" ::: "memory"); break;
    case RD_CYCLE:    asm volatile("rdcycle %0" : "+r"(v) :: "memory"); break;
    case RD_INSTRET:  asm volatile("rdinstret %0" : "+r"(v) :: "memory"); break;
    case RD_SATP:     asm volatile("csrr %0, satp" : "+r"(v) :: "memory"); break;
    default:          asm volatile("csrr %0, mepc" : "+r"(v) :: "memory"); break;
    }
    return v;
}

/* ---- tests ---- */

static void test_mret_stack(void)
{
    uint64_t ms, pc;

    /* mret to M: MIE <- MPIE, MPIE <- 1, MPP <- U. */
    RT_CSR_CLEAR(mstatus, MSTATUS_MIE | MSTATUS_MPP);
    RT_CSR_SET(mstatus, MSTATUS_MPIE | MSTATUS_MPP);
    asm volatile("lla %0, 1f\n csrw mepc, %0\n mret\n 1:" : "=&r"(pc) :: "memory");
    ms = RT_CSR_READ(mstatus);
    CHECK_EQ(ms & (MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP),
             MSTATUS_MIE | MSTATUS_MPIE);
    RT_CSR_CLEAR(mstatus, MSTATUS_MIE);

    /* M -> S with MPIE = 1: runs in S (sstatus readable, return ecall is
     * cause 9), and MIE was 1 there, so the ecall's trap saved MPIE = 1. */
    RT_CSR_SET(mstatus, MSTATUS_MPIE);
    RT_CSR_CLEAR(mstatus, MSTATUS_SIE | MSTATUS_SPIE);
    uint64_t ss = priv_run(PRIV_S, fn_read_sstatus, 0);
    CHECK_EQ(priv_return_cause, RT_CAUSE_ECALL_S);
    CHECK_EQ(ss & (MSTATUS_MIE | MSTATUS_MPP), 0);   /* not in the view */
    ms = RT_CSR_READ(mstatus);
    CHECK_EQ(ms & MSTATUS_MPP, MSTATUS_MPP_S);
    CHECK_EQ(ms & MSTATUS_MPIE, MSTATUS_MPIE);
    CHECK_EQ(ms & MSTATUS_MIE, 0);

    /* ... and with MPIE = 0 the S code ran with MIE = 0. */
    RT_CSR_CLEAR(mstatus, MSTATUS_MPIE);
    CHECK_EQ(priv_run(PRIV_S, fn_ret7, 0), 7);
    ms = RT_CSR_READ(mstatus);
    CHECK_EQ(ms & MSTATUS_MPIE, 0);
    CHECK_EQ(ms & MSTATUS_MPP, MSTATUS_MPP_S);

    /* M -> U: the return ecall is cause 8 with MPP = U. */
    CHECK_EQ(priv_run(PRIV_U, fn_ret7, 0), 7);
    CHECK_EQ(priv_return_cause, RT_CAUSE_ECALL_U);
    CHECK_EQ(RT_CSR_READ(mstatus) & MSTATUS_MPP, 0);

    /* Spec 1.12 (3.1.6.3): an xRET to a mode below M clears MPRV.  QEMU
     * 7.2 keeps it; both are accepted and the behaviour is reported. */
    RT_CSR_SET(mstatus, MSTATUS_MPRV);
    CHECK_EQ(priv_run(PRIV_S, fn_ret7, 0), 7);
    rt_puts(RT_CSR_READ(mstatus) & MSTATUS_MPRV
            ? "priv_traps: mret to S kept MPRV (QEMU 7.2)\n"
            : "priv_traps: mret to S cleared MPRV (spec 1.12)\n");
    RT_CSR_CLEAR(mstatus, MSTATUS_MPRV);

    /* S -> U with sret: SIE <- SPIE, SPIE <- 1, SPP <- U. */
    RT_CSR_CLEAR(mstatus, MSTATUS_SIE);
    RT_CSR_SET(mstatus, MSTATUS_SPIE);
    CHECK_EQ(priv_run(PRIV_S, fn_s_enter_u, (uintptr_t)fn_ret7), 7);
    CHECK_EQ(priv_return_cause, RT_CAUSE_ECALL_U);
    ms = RT_CSR_READ(mstatus);
    CHECK_EQ(ms & (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP),
             MSTATUS_SIE | MSTATUS_SPIE);
    RT_CSR_CLEAR(mstatus, MSTATUS_SIE | MSTATUS_SPIE);
    CHECK_EQ(priv_run(PRIV_S, fn_s_enter_u, (uintptr_t)fn_ret7), 7);
    ms = RT_CSR_READ(mstatus);
    CHECK_EQ(ms & (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP), MSTATUS_SPIE);
}

static void test_ecall_causes(void)
{
    uint64_t pc;

    priv_expect(PRIV_M, RT_CAUSE_ECALL_U);
    pc = priv_run(PRIV_U, fn_ecall, 0);
    PRIV_CHECK_TRAP(PRIV_M, RT_CAUSE_ECALL_U);
    CHECK_EQ(priv_trap.epc, pc);
    CHECK_EQ(priv_trap.tval, 0);
    CHECK_EQ(priv_trap.status & MSTATUS_MPP, 0);

    priv_expect(PRIV_M, RT_CAUSE_ECALL_S);
    pc = priv_run(PRIV_S, fn_ecall, 0);
    PRIV_CHECK_TRAP(PRIV_M, RT_CAUSE_ECALL_S);
    CHECK_EQ(priv_trap.epc, pc);
    CHECK_EQ(priv_trap.status & MSTATUS_MPP, MSTATUS_MPP_S);

    priv_expect(PRIV_M, RT_CAUSE_ECALL_M);
    ECALL_AT(pc);
    PRIV_CHECK_TRAP(PRIV_M, RT_CAUSE_ECALL_M);
    CHECK_EQ(priv_trap.epc, pc);
    CHECK_EQ(priv_trap.status & MSTATUS_MPP, MSTATUS_MPP);
}

static uint64_t fn_u_illegal(uint64_t a)
{
    uint64_t pc, v;

    (void)a;
    asm volatile("lla %0, 1f\n 1: csrr %1, sstatus" : "=r"(pc), "=r"(v) :: "memory");
    return pc;
}

static uint64_t fn_ebreak(uint64_t a)
{
    uint64_t pc;

    (void)a;
    asm volatile(".option push\n .option norvc\n lla %0, 1f\n 1: ebreak\n"
                 ".option pop" : "=r"(pc) :: "memory");
    return pc;
}

static uint64_t fn_illegal_word(uint64_t a)
{
    uint64_t pc;

    (void)a;
    asm volatile("lla %0, 1f\n 1: .4byte 0xffffffff" : "=r"(pc) :: "memory");
    return pc;
}

static void test_delegation(void)
{
    uint64_t pc, v;

    /* Which medeleg/mideleg bits are writable. */
    RT_CSR_WRITE(medeleg, ~0UL);
    v = RT_CSR_READ(medeleg);
    rt_puts("priv_traps: medeleg writable mask ");
    rt_put_hex(v);
    rt_putc('\n');
    /* Causes 0-9, 12, 13, 15.  The spec makes medeleg[11] read-only 0;
     * QEMU 7.2 lets it (and 10, 20-23) be set, so only report it. */
    CHECK_EQ(v & 0xb3ff, 0xb3ff);
    RT_CSR_WRITE(mideleg, ~0UL);
    v = RT_CSR_READ(mideleg);
    rt_puts("priv_traps: mideleg writable mask ");
    rt_put_hex(v);
    rt_putc('\n');
    /* SSI, STI, SEI; QEMU 7.2 also keeps the VS/SGEI/LCOFI bits. */
    CHECK_EQ(v & 0x222, 0x222);
    CHECK_EQ(v & 0x888, 0);                /* never the M-level ones */
    RT_CSR_WRITE(mideleg, 0);

    RT_CSR_WRITE(medeleg, (1UL << RT_CAUSE_ECALL_U) | (1UL << PRIV_CAUSE_ILLEGAL));
    RT_CSR_SET(mstatus, MSTATUS_SIE);     /* U runs with SIE = 1 */
    RT_CSR_CLEAR(mstatus, MSTATUS_SPIE);

    /* Illegal instruction in U -> S handler. */
    priv_expect(PRIV_S, PRIV_CAUSE_ILLEGAL);
    pc = priv_run(PRIV_U, fn_u_illegal, 0);
    PRIV_CHECK_TRAP(PRIV_S, PRIV_CAUSE_ILLEGAL);
    CHECK_EQ(priv_trap.epc, pc);
    CHECK_EQ(priv_trap.tval, insn_at(pc));
    CHECK_EQ(priv_trap.status & (MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE),
             MSTATUS_SPIE);
    /* The U return ecall was delegated too and forwarded from S. */
    CHECK_EQ(priv_return_cause, RT_CAUSE_ECALL_S);

    /* ecall from U -> S handler. */
    RT_CSR_SET(mstatus, MSTATUS_SIE);
    priv_expect(PRIV_S, RT_CAUSE_ECALL_U);
    pc = priv_run(PRIV_U, fn_ecall, 0);
    PRIV_CHECK_TRAP(PRIV_S, RT_CAUSE_ECALL_U);
    CHECK_EQ(priv_trap.epc, pc);
    CHECK_EQ(priv_trap.tval, 0);
    CHECK_EQ(priv_trap.status & (MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE),
             MSTATUS_SPIE);
    CHECK_EQ(RT_CSR_READ(scause), RT_CAUSE_ECALL_U);

    /* Illegal instruction in S (delegated): S handler with SPP = S. */
    RT_CSR_CLEAR(mstatus, MSTATUS_SIE);
    priv_expect(PRIV_S, PRIV_CAUSE_ILLEGAL);
    pc = priv_run(PRIV_S, fn_illegal_word, 0);
    PRIV_CHECK_TRAP(PRIV_S, PRIV_CAUSE_ILLEGAL);
    CHECK_EQ(priv_trap.epc, pc);
    CHECK_EQ(priv_trap.tval, 0xffffffff);
    CHECK_EQ(priv_trap.status & (MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE),
             MSTATUS_SPP);
    CHECK_EQ(RT_CSR_READ(sepc), pc + 4);   /* the handler's resume point */

    /* Not delegated: breakpoint and ecall from S go to M. */
    priv_expect(PRIV_M, RT_CAUSE_BREAKPOINT);
    pc = priv_run(PRIV_S, fn_ebreak, 0);
    PRIV_CHECK_TRAP(PRIV_M, RT_CAUSE_BREAKPOINT);
    CHECK_EQ(priv_trap.epc, pc);
    CHECK_EQ(priv_trap.status & MSTATUS_MPP, MSTATUS_MPP_S);
    priv_expect(PRIV_M, RT_CAUSE_ECALL_S);
    priv_run(PRIV_S, fn_ecall, 0);
    PRIV_CHECK_TRAP(PRIV_M, RT_CAUSE_ECALL_S);

    /* Traps taken in M are never delegated. */
    priv_expect(PRIV_M, PRIV_CAUSE_ILLEGAL);
    pc = fn_illegal_word(0);
    PRIV_CHECK_TRAP(PRIV_M, PRIV_CAUSE_ILLEGAL);
    CHECK_EQ(priv_trap.epc, pc);

    RT_CSR_WRITE(medeleg, 0);
    /* Without delegation the U illegal instruction goes to M. */
    priv_expect(PRIV_M, PRIV_CAUSE_ILLEGAL);
    pc = priv_run(PRIV_U, fn_u_illegal, 0);
    PRIV_CHECK_TRAP(PRIV_M, PRIV_CAUSE_ILLEGAL);
    CHECK_EQ(priv_trap.tval, insn_at(pc));
    CHECK_EQ(priv_trap.status & MSTATUS_MPP, 0);
}

static void expect_illegal(unsigned mode, uint64_t (*fn)(uint64_t),
                           uint64_t arg, uint64_t tval, int line)
{
    uint64_t pc;

    priv_expect(PRIV_M, PRIV_CAUSE_ILLEGAL);
    pc = priv_run(mode, fn, arg);
    rt_checks++;
    if (!priv_trapped(PRIV_M, PRIV_CAUSE_ILLEGAL))
        rt_check_fail(__FILE__, line, "illegal instruction trap", true,
                      PRIV_CAUSE_ILLEGAL, priv_trap.cause);
    if (fn == fn_exec && priv_trap.epc != pc)
        rt_check_fail(__FILE__, line, "epc of the trap", true, pc,
                      priv_trap.epc);
    if (tval != ~0ULL && priv_trap.tval != tval)
        rt_check_fail(__FILE__, line, "tval of illegal instruction", true,
                      tval, priv_trap.tval);
}
#define EXPECT_ILLEGAL(mode, fn, arg, tval) \
    expect_illegal(mode, fn, arg, tval, __LINE__)

static void test_system_insns(void)
{
    /* mret below M, sret in U, sret in S with TSR = 1. */
    EXPECT_ILLEGAL(PRIV_S, fn_exec, INSN_MRET, INSN_MRET);
    EXPECT_ILLEGAL(PRIV_U, fn_exec, INSN_MRET, INSN_MRET);
    EXPECT_ILLEGAL(PRIV_U, fn_exec, INSN_SRET, INSN_SRET);
    RT_CSR_SET(mstatus, MSTATUS_TSR);
    EXPECT_ILLEGAL(PRIV_S, fn_exec, INSN_SRET, INSN_SRET);
    RT_CSR_CLEAR(mstatus, MSTATUS_TSR);

    /* wfi: illegal in U (S-mode exists), and in S with TW = 1. */
    EXPECT_ILLEGAL(PRIV_U, fn_exec, INSN_WFI, INSN_WFI);
    RT_CSR_SET(mstatus, MSTATUS_TW);
    EXPECT_ILLEGAL(PRIV_S, fn_exec, INSN_WFI, INSN_WFI);
    RT_CSR_CLEAR(mstatus, MSTATUS_TW);
    /* With TW = 0 wfi in S completes: a delegated SSIP is pending and
     * enabled in sie while sstatus.SIE = 0, so it wakes at once and no
     * interrupt is taken. */
    RT_CSR_WRITE(mideleg, 1UL << IRQ_SSI);
    RT_CSR_WRITE(mie, 1UL << IRQ_SSI);
    RT_CSR_SET(mip, 1UL << IRQ_SSI);
    RT_CSR_CLEAR(mstatus, MSTATUS_SIE);
    uint64_t traps = priv_trap.count;
    priv_run(PRIV_S, fn_exec, INSN_WFI);
    CHECK_EQ(priv_trap.count, traps);
    CHECK_EQ(priv_irq_count, 0);
    RT_CSR_CLEAR(mip, 1UL << IRQ_SSI);
    RT_CSR_WRITE(mie, 0);
    RT_CSR_WRITE(mideleg, 0);

    /* sfence.vma: illegal in U and in S with TVM = 1; so is satp. */
    EXPECT_ILLEGAL(PRIV_U, fn_exec, 0, 0x12000073);
    priv_run(PRIV_S, fn_exec, 0);
    RT_CSR_SET(mstatus, MSTATUS_TVM);
    EXPECT_ILLEGAL(PRIV_S, fn_exec, 0, 0x12000073);
    EXPECT_ILLEGAL(PRIV_S, fn_csr, RD_SATP, ~0ULL);
    RT_CSR_CLEAR(mstatus, MSTATUS_TVM);
    CHECK_EQ(priv_run(PRIV_S, fn_csr, RD_SATP), 0);
}

static void test_csr_privilege(void)
{
    EXPECT_ILLEGAL(PRIV_S, fn_csr, RD_MSTATUS, ~0ULL);
    EXPECT_ILLEGAL(PRIV_S, fn_csr, WR_MTVEC, ~0ULL);
    EXPECT_ILLEGAL(PRIV_S, fn_csr, RD_MSCRATCH, ~0ULL);
    EXPECT_ILLEGAL(PRIV_S, fn_csr, RD_MEPC, ~0ULL);
    EXPECT_ILLEGAL(PRIV_U, fn_csr, RD_SSTATUS, ~0ULL);
    EXPECT_ILLEGAL(PRIV_U, fn_csr, RD_SSCRATCH, ~0ULL);
    EXPECT_ILLEGAL(PRIV_U, fn_csr, WR_SSCRATCH, ~0ULL);
    EXPECT_ILLEGAL(PRIV_U, fn_csr, RD_MSTATUS, ~0ULL);
    /* sscratch holds the S trap stack top: S reads it, U may not. */
    uint64_t keep = RT_CSR_READ(sscratch);
    CHECK_EQ(priv_run(PRIV_S, fn_csr, RD_SSCRATCH), keep);
    CHECK(priv_run(PRIV_S, fn_csr, RD_SSTATUS) == RT_CSR_READ(sstatus));

    /* Counter enables: S needs mcounteren, U needs mcounteren and
     * scounteren (bit 0 = CY, bit 2 = IR). */
    RT_CSR_WRITE(mcounteren, 0);
    RT_CSR_WRITE(scounteren, 0);
    EXPECT_ILLEGAL(PRIV_S, fn_csr, RD_CYCLE, ~0ULL);
    EXPECT_ILLEGAL(PRIV_U, fn_csr, RD_CYCLE, ~0ULL);
    EXPECT_ILLEGAL(PRIV_S, fn_csr, RD_INSTRET, ~0ULL);
    RT_CSR_WRITE(mcounteren, 1);
    CHECK(priv_run(PRIV_S, fn_csr, RD_CYCLE) != 0);
    EXPECT_ILLEGAL(PRIV_U, fn_csr, RD_CYCLE, ~0ULL);
    EXPECT_ILLEGAL(PRIV_S, fn_csr, RD_INSTRET, ~0ULL);
    RT_CSR_WRITE(scounteren, 1);
    CHECK(priv_run(PRIV_U, fn_csr, RD_CYCLE) != 0);
    EXPECT_ILLEGAL(PRIV_U, fn_csr, RD_INSTRET, ~0ULL);
    RT_CSR_WRITE(mcounteren, 0);       /* scounteren alone is not enough */
    EXPECT_ILLEGAL(PRIV_U, fn_csr, RD_CYCLE, ~0ULL);
    RT_CSR_WRITE(mcounteren, 5);
    RT_CSR_WRITE(scounteren, 5);
    CHECK(priv_run(PRIV_U, fn_csr, RD_INSTRET) != 0);
    RT_CSR_WRITE(mcounteren, 0);
    RT_CSR_WRITE(scounteren, 0);
    CHECK(RT_CSR_READ(cycle) != 0);    /* M always may */
}

static void test_sstatus_view(void)
{
    uint64_t s;

    RT_CSR_CLEAR(mstatus, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP |
                          MSTATUS_SUM | MSTATUS_MXR);
    RT_CSR_SET(mstatus, MSTATUS_SIE | MSTATUS_MPIE | MSTATUS_MPP);
    s = RT_CSR_READ(sstatus);
    CHECK_EQ(s & MSTATUS_SIE, MSTATUS_SIE);
    CHECK_EQ(s & (MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_MPRV |
                  MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR), 0);
    CHECK_EQ(s >> 32 & 3, 2);                        /* UXL = 64 */
    /* Writes through sstatus reach mstatus, but only S fields. */
    RT_CSR_WRITE(sstatus, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SUM |
                          MSTATUS_MXR | MSTATUS_MIE | MSTATUS_TSR);
    s = RT_CSR_READ(mstatus);
    CHECK_EQ(s & (MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SUM | MSTATUS_MXR),
             MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SUM | MSTATUS_MXR);
    CHECK_EQ(s & MSTATUS_SIE, 0);
    CHECK_EQ(s & (MSTATUS_MIE | MSTATUS_TSR), 0);
    CHECK_EQ(s & MSTATUS_MPP, MSTATUS_MPP);          /* untouched */
    CHECK_EQ(s & MSTATUS_MPIE, MSTATUS_MPIE);
    RT_CSR_CLEAR(mstatus, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SUM |
                          MSTATUS_MXR);
    CHECK_EQ(RT_CSR_READ(sstatus) & (MSTATUS_SPP | MSTATUS_SPIE |
                                     MSTATUS_SUM | MSTATUS_MXR), 0);
}

static void test_sie_sip(void)
{
    const uint64_t s_irqs = (1UL << IRQ_SSI) | (1UL << IRQ_STI) |
                            (1UL << IRQ_SEI);
    const uint64_t m_irqs = (1UL << IRQ_MSI) | (1UL << IRQ_MTI) |
                            (1UL << IRQ_MEI);

    RT_CSR_WRITE(mideleg, 0);
    RT_CSR_WRITE(mie, s_irqs | m_irqs);
    CHECK_EQ(RT_CSR_READ(mie), s_irqs | m_irqs);
    CHECK_EQ(RT_CSR_READ(sie), 0);                 /* nothing delegated */
    RT_CSR_WRITE(sie, 0);
    CHECK_EQ(RT_CSR_READ(mie), s_irqs | m_irqs);   /* write ignored */

    RT_CSR_WRITE(mideleg, s_irqs);
    CHECK_EQ(RT_CSR_READ(sie), s_irqs);
    RT_CSR_WRITE(sie, 1UL << IRQ_STI);
    CHECK_EQ(RT_CSR_READ(mie), m_irqs | (1UL << IRQ_STI));
    RT_CSR_WRITE(sie, ~0UL);
    CHECK_EQ(RT_CSR_READ(mie), m_irqs | s_irqs);
    RT_CSR_WRITE(mideleg, 1UL << IRQ_SSI);
    CHECK_EQ(RT_CSR_READ(sie), 1UL << IRQ_SSI);
    RT_CSR_WRITE(mie, 0);

    /* sip: SSIP set from M shows in sip only while delegated; S may clear
     * it through sip. */
    RT_CSR_SET(mip, 1UL << IRQ_SSI);
    CHECK_EQ(RT_CSR_READ(mip) & (1UL << IRQ_SSI), 1UL << IRQ_SSI);
    CHECK_EQ(RT_CSR_READ(sip) & (1UL << IRQ_SSI), 1UL << IRQ_SSI);
    RT_CSR_WRITE(mideleg, 0);
    CHECK_EQ(RT_CSR_READ(sip), 0);
    RT_CSR_CLEAR(sip, 1UL << IRQ_SSI);             /* not delegated: no-op */
    CHECK_EQ(RT_CSR_READ(mip) & (1UL << IRQ_SSI), 1UL << IRQ_SSI);
    RT_CSR_WRITE(mideleg, 1UL << IRQ_SSI);
    RT_CSR_CLEAR(sip, 1UL << IRQ_SSI);
    CHECK_EQ(RT_CSR_READ(mip) & (1UL << IRQ_SSI), 0);

    /* STIP is writable in mip from M, read-only in sip. */
    RT_CSR_WRITE(mideleg, s_irqs);
    RT_CSR_SET(mip, 1UL << IRQ_STI);
    CHECK_EQ(RT_CSR_READ(sip) & (1UL << IRQ_STI), 1UL << IRQ_STI);
    RT_CSR_CLEAR(sip, 1UL << IRQ_STI);
    CHECK_EQ(RT_CSR_READ(mip) & (1UL << IRQ_STI), 1UL << IRQ_STI);
    RT_CSR_CLEAR(mip, 1UL << IRQ_STI);
    CHECK_EQ(RT_CSR_READ(mip) & s_irqs, 0);
    RT_CSR_WRITE(mideleg, 0);
}

/* ---- vectored interrupts ---- */

static bool quiet_soft_irqs(unsigned level, uint64_t cause)
{
    if (cause == IRQ_SSI) {
        if (level == PRIV_M)
            RT_CSR_CLEAR(mip, 1UL << IRQ_SSI);
        else
            RT_CSR_CLEAR(sip, 1UL << IRQ_SSI);
        return true;
    }
    if (cause == IRQ_STI) {
        /* STIP is read-only to S: mask it instead. */
        if (level == PRIV_M)
            RT_CSR_CLEAR(mip, 1UL << IRQ_STI);
        else
            RT_CSR_CLEAR(sie, 1UL << IRQ_STI);
        return true;
    }
    return false;
}

static uint64_t fn_s_enable_sie(uint64_t a)
{
    (void)a;
    RT_CSR_SET(sstatus, MSTATUS_SIE);
    for (volatile int i = 0; i < 10; i++)
        ;
    RT_CSR_CLEAR(sstatus, MSTATUS_SIE);
    return priv_irq_count;
}

static void test_vectored(void)
{
    uint64_t pc;

    priv_irq_hook = quiet_soft_irqs;
    priv_irq_count = 0;

    /* mtvec vectored: SSI (not delegated) enters at BASE + 4, STI at
     * BASE + 20; exceptions still enter at BASE. */
    RT_CSR_WRITE(mtvec, (uintptr_t)priv_m_vectors | 1);
    CHECK_EQ(RT_CSR_READ(mtvec), (uintptr_t)priv_m_vectors | 1);
    RT_CSR_WRITE(mie, (1UL << IRQ_SSI) | (1UL << IRQ_STI));
    RT_CSR_SET(mip, 1UL << IRQ_SSI);
    CHECK_EQ(priv_irq_count, 0);                   /* MIE = 0: held */
    RT_CSR_SET(mstatus, MSTATUS_MIE);
    asm volatile("nop");
    RT_CSR_CLEAR(mstatus, MSTATUS_MIE);
    CHECK_EQ(priv_irq_count, 1);
    CHECK_EQ(priv_irq_log[0].level, PRIV_M);
    CHECK_EQ(priv_irq_log[0].cause, PRIV_INTR | IRQ_SSI);
    CHECK_EQ(priv_irq_log[0].vector, IRQ_SSI);
    CHECK_EQ(priv_irq_log[0].status & (MSTATUS_MIE | MSTATUS_MPIE),
             MSTATUS_MPIE);
    RT_CSR_SET(mip, 1UL << IRQ_STI);
    RT_CSR_SET(mstatus, MSTATUS_MIE);
    asm volatile("nop");
    RT_CSR_CLEAR(mstatus, MSTATUS_MIE);
    CHECK_EQ(priv_irq_count, 2);
    CHECK_EQ(priv_irq_log[1].cause, PRIV_INTR | IRQ_STI);
    CHECK_EQ(priv_irq_log[1].vector, IRQ_STI);
    priv_expect(PRIV_M, RT_CAUSE_ECALL_M);
    ECALL_AT(pc);
    PRIV_CHECK_TRAP(PRIV_M, RT_CAUSE_ECALL_M);
    CHECK_EQ(priv_trap.vector, 0);
    CHECK_EQ(priv_trap.epc, pc);
    /* Interrupts from S taken in M also use the vector (M interrupts are
     * always enabled below M). */
    RT_CSR_SET(mip, 1UL << IRQ_SSI);
    CHECK_EQ(priv_run(PRIV_S, fn_ret7, 0), 7);
    CHECK_EQ(priv_irq_count, 3);
    CHECK_EQ(priv_irq_log[2].vector, IRQ_SSI);
    CHECK_EQ(priv_irq_log[2].status & MSTATUS_MPP, MSTATUS_MPP_S);
    RT_CSR_WRITE(mtvec, (uintptr_t)priv_m_entry);

    /* stvec vectored: delegated SSI/STI taken in S at BASE + 4 / + 20. */
    RT_CSR_WRITE(stvec, (uintptr_t)priv_s_vectors | 1);
    CHECK_EQ(RT_CSR_READ(stvec), (uintptr_t)priv_s_vectors | 1);
    RT_CSR_WRITE(mideleg, (1UL << IRQ_SSI) | (1UL << IRQ_STI));
    RT_CSR_SET(mip, (1UL << IRQ_SSI) | (1UL << IRQ_STI));
    CHECK_EQ(priv_run(PRIV_S, fn_s_enable_sie, 0), 5);
    CHECK_EQ(priv_irq_log[3].level, PRIV_S);
    CHECK_EQ(priv_irq_log[3].cause, PRIV_INTR | IRQ_SSI);   /* SSI > STI */
    CHECK_EQ(priv_irq_log[3].vector, IRQ_SSI);
    CHECK_EQ(priv_irq_log[3].status & (MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE),
             MSTATUS_SPP | MSTATUS_SPIE);
    CHECK_EQ(priv_irq_log[4].level, PRIV_S);
    CHECK_EQ(priv_irq_log[4].cause, PRIV_INTR | IRQ_STI);
    CHECK_EQ(priv_irq_log[4].vector, IRQ_STI);
    CHECK_EQ(RT_CSR_READ(scause), PRIV_INTR | IRQ_STI);
    /* Delegated interrupts in U are taken in S whatever SIE says. */
    RT_CSR_SET(sie, 1UL << IRQ_STI);
    RT_CSR_CLEAR(mstatus, MSTATUS_SIE);
    CHECK_EQ(priv_run(PRIV_U, fn_ret7, 0), 7);
    CHECK_EQ(priv_irq_count, 6);
    CHECK_EQ(priv_irq_log[5].level, PRIV_S);
    CHECK_EQ(priv_irq_log[5].cause, PRIV_INTR | IRQ_STI);
    CHECK_EQ(priv_irq_log[5].status & MSTATUS_SPP, 0);
    /* Exceptions in vectored stvec mode enter at BASE. */
    RT_CSR_WRITE(medeleg, 1UL << RT_CAUSE_BREAKPOINT);
    priv_expect(PRIV_S, RT_CAUSE_BREAKPOINT);
    priv_run(PRIV_U, fn_ebreak, 0);
    PRIV_CHECK_TRAP(PRIV_S, RT_CAUSE_BREAKPOINT);
    CHECK_EQ(priv_trap.vector, 0);
    RT_CSR_WRITE(medeleg, 0);

    RT_CSR_CLEAR(mip, 1UL << IRQ_STI);
    RT_CSR_WRITE(mie, 0);
    RT_CSR_WRITE(mideleg, 0);
    RT_CSR_WRITE(stvec, (uintptr_t)priv_s_entry);
    priv_irq_hook = 0;
}

/* A loop the JIT runs as one block jumping back to its own head, its
   cached registers written back only on the way out: a load in it faults
   on the fourth pass, and the trap must see that pass's a0 and a1 (else
   the handler resumes with stale ones, and the loop faults again). */
static uint64_t self_loop_ptrs[6];
static uint64_t self_loop_cell = 7;

static void test_self_loop_fault(void)
{
    uint64_t passes, end, sum;

    for (unsigned i = 0; i < 6; i++) {
        self_loop_ptrs[i] = (uintptr_t)&self_loop_cell;
    }
    self_loop_ptrs[3] = 0x200000;   /* nothing there: access fault */
    priv_expect(PRIV_M, RT_CAUSE_LOAD_ACCESS);
    asm volatile(".option push\n .option norvc\n"
                 " mv a0, %3\n li a1, 0\n addi a2, %3, 48\n li a3, 0\n"
                 "1: ld t2, 0(a0)\n ld t1, 0(t2)\n addi a0, a0, 8\n"
                 " addi a1, a1, 1\n add a3, a3, t1\n bne a0, a2, 1b\n"
                 " mv %0, a1\n mv %1, a0\n mv %2, a3\n .option pop"
                 : "=r"(passes), "=r"(end), "=r"(sum)
                 : "r"(self_loop_ptrs)
                 : "a0", "a1", "a2", "a3", "t1", "t2", "memory");
    PRIV_CHECK_TRAP(PRIV_M, RT_CAUSE_LOAD_ACCESS);
    CHECK_EQ(passes, 6);
    CHECK_EQ(end, (uintptr_t)&self_loop_ptrs[6]);
    CHECK_EQ(sum, 6 * 7);
}

int main(void)
{
    priv_init();
    test_mret_stack();
    test_ecall_causes();
    test_delegation();
    test_system_insns();
    test_csr_privilege();
    test_sstatus_view();
    test_sie_sip();
    test_vectored();
    test_self_loop_fault();
    return rt_pass("priv_traps");
}
