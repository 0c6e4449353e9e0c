/*
 * Traps: synchronous exceptions, interrupts and their delegation.
 * Privileged spec 3.1.6.1 (mstatus stack), 3.1.8 (medeleg/mideleg),
 * 3.1.9 (mip/mie priority), 3.3.2 (xRET), 4.1.1 (sstatus).
 */
#include "tcg/riscv/rv_int.h"
#include "core/machine.h"

void rv_set_priv(RVCPU *cpu, unsigned priv)
{
    cpu->priv = priv;
    rv_update_tlb_mode(cpu);
}

/* Tells the machine's observer (core/observe.h) about a trap just taken. */
static void observe_trap(RVCPU *cpu, bool interrupt, unsigned cause,
                         uint64_t tval, gva_t epc, unsigned from)
{
    CoreMachine *m = cpu->machine;
    CoreTrapEvent ev = {
        .icount = m->icount, .hart = (unsigned)cpu->mhartid,
        .interrupt = interrupt, .cause = cause, .pc = epc, .tval = tval,
        .priv_from = from, .priv_to = cpu->priv,
    };
    if (!interrupt && (cause == RV_EXC_ECALL_U || cause == RV_EXC_ECALL_S ||
                       cause == RV_EXC_ECALL_M)) {
        ev.syscall = true;
        ev.nr = cpu->x[17];                 /* a7 */
        for (unsigned i = 0; i < 7; i++) {
            ev.args[i] = cpu->x[10 + i];    /* a0..a6 */
        }
    }
    m->observer->trap(m->observer->opaque, &ev);
}

void rv_take_trap(RVCPU *cpu, bool interrupt, unsigned cause, uint64_t tval,
                  gva_t epc)
{
    unsigned from = cpu->priv;
    uint64_t deleg = interrupt ? cpu->mideleg : cpu->medeleg;
    uint64_t xcause = (interrupt ? (1ull << 63) : 0) | cause;

    if (from <= RV_PRIV_S && ((deleg >> cause) & 1)) {
        cpu->scause = xcause;
        cpu->sepc = epc;
        cpu->stval = tval;
        uint64_t s = cpu->mstatus;
        s = (s & ~RV_MSTATUS_SPIE) | ((s & RV_MSTATUS_SIE) ? RV_MSTATUS_SPIE : 0);
        s = (s & ~RV_MSTATUS_SPP) | (from == RV_PRIV_S ? RV_MSTATUS_SPP : 0);
        s &= ~RV_MSTATUS_SIE;
        cpu->mstatus = s;
        uint64_t base = cpu->stvec & ~3ull;
        cpu->pc = (interrupt && (cpu->stvec & 3) == 1) ? base + 4 * cause : base;
        rv_set_priv(cpu, RV_PRIV_S);
    } else {
        cpu->mcause = xcause;
        cpu->mepc = epc;
        cpu->mtval = tval;
        uint64_t s = cpu->mstatus;
        s = (s & ~RV_MSTATUS_MPIE) | ((s & RV_MSTATUS_MIE) ? RV_MSTATUS_MPIE : 0);
        s = (s & ~RV_MSTATUS_MPP) | ((uint64_t)from << RV_MSTATUS_MPP_SHIFT);
        s &= ~RV_MSTATUS_MIE;
        cpu->mstatus = s;
        uint64_t base = cpu->mtvec & ~3ull;
        cpu->pc = (interrupt && (cpu->mtvec & 3) == 1) ? base + 4 * cause : base;
        rv_set_priv(cpu, RV_PRIV_M);
    }
    cpu->wfi = 0;
    /* (A CPU of a unit test has no machine.) */
    if (CORE_UNLIKELY(cpu->machine && cpu->machine->observer)) {
        observe_trap(cpu, interrupt, cause, tval, epc, from);
    }
}

int rv_raise_exception(RVCPU *cpu, const RVInsn *in, unsigned cause,
                       uint64_t tval)
{
    if (CORE_UNLIKELY(cpu->machine && cpu->machine->observer)) {
        /* Mid-block m->icount lags: make it exact for the observer (as
           CSR reads do; the block's end sets it again). */
        cpu->machine->icount = rv_icount_at(cpu, in);
    }
    rv_take_trap(cpu, false, cause, tval, in->pc);
    cpu->exit_idx = in->idx;
    return RV_EXEC_TRAP;
}

int rv_raise_illegal(RVCPU *cpu, const RVInsn *in)
{
    return rv_raise_exception(cpu, in, RV_EXC_ILLEGAL,
                              in->len == 2 ? in->craw : in->raw);
}

/* Interrupts pending, enabled and not masked by the current privilege. */
static uint64_t rv_pending_interrupts(const RVCPU *cpu)
{
    uint64_t pending = cpu->mip & cpu->mie;
    if (!pending) {
        return 0;
    }
    uint64_t m_pending = pending & ~cpu->mideleg;
    uint64_t s_pending = pending & cpu->mideleg;
    bool m_enabled = cpu->priv < RV_PRIV_M || (cpu->mstatus & RV_MSTATUS_MIE);
    bool s_enabled = cpu->priv < RV_PRIV_S ||
                     (cpu->priv == RV_PRIV_S && (cpu->mstatus & RV_MSTATUS_SIE));
    uint64_t out = 0;
    if (m_enabled) {
        out |= m_pending;
    }
    if (s_enabled) {
        out |= s_pending;
    }
    return out;
}

/* Privileged spec 3.1.9: MEI, MSI, MTI, SEI, SSI, STI. */
static const unsigned irq_priority[] = {
    RV_IRQ_MEI, RV_IRQ_MSI, RV_IRQ_MTI, RV_IRQ_SEI, RV_IRQ_SSI, RV_IRQ_STI,
};

bool rv_check_interrupts(RVCPU *cpu)
{
    uint64_t pending = rv_pending_interrupts(cpu);
    if (!pending) {
        return false;
    }
    /* Interrupts for M-mode (not delegated) outrank delegated ones. */
    uint64_t m_pending = pending & ~cpu->mideleg;
    uint64_t set = m_pending ? m_pending : pending;
    for (unsigned i = 0; i < CORE_ARRAY_SIZE(irq_priority); i++) {
        unsigned irq = irq_priority[i];
        if ((set >> irq) & 1) {
            rv_take_trap(cpu, true, irq, 0, cpu->pc);
            return true;
        }
    }
    return false;
}

bool rv_cpu_has_work(RVCPU *cpu)
{
    /* WFI resumes on any pending enabled-in-mie interrupt, even when the
       global enable is off (privileged spec 3.3.3). */
    return !cpu->wfi || (cpu->mip & cpu->mie) != 0;
}

void rv_cpu_irq_handler(void *opaque, int n, int level)
{
    RVCPU *cpu = opaque;
    uint64_t bit = 1ull << n;
    uint64_t old = cpu->mip;
    if (n == RV_IRQ_SEI) {
        /* mip.SEIP reads as the PLIC's line OR the bit software wrote
           (privileged spec 3.1.9): the line must not erase that bit. */
        cpu->seip_hw = level != 0;
        level = cpu->seip_hw || cpu->seip_sw;
    }
    cpu->mip = level ? (old | bit) : (old & ~bit);
    if (cpu->mip != old) {
        core_machine_attention(cpu->machine, CORE_ATTN_IRQ);
    }
}
