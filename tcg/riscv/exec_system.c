/*
 * System instructions: Zicsr, ecall/ebreak, mret/sret, wfi, sfence.vma.
 * Unprivileged spec ch. 7 (Zicsr); privileged spec 3.3 (machine-mode
 * privileged instructions) and 4.2.1 (sfence.vma).
 *
 * All of them end their translation block: they can change the
 * privilege level, translation, interrupt enables or FP state that later
 * instructions of the block were decoded under.
 */
#include "tcg/riscv/rv_int.h"
#include "tcg/riscv/decode.h"
#include "tcg/riscv/rv.h"
#include "core/machine.h"

static int next_insn(RVCPU *cpu, const RVInsn *in)
{
    cpu->pc = in->pc + in->len;
    return RV_EXEC_JUMP;
}

/* Common body of the six CSR instructions (funct3 in in->rm). */
static int exec_csr(RVCPU *cpu, const RVInsn *in)
{
    unsigned csr = (unsigned)in->imm;
    unsigned kind = in->rm & 3;          /* 1 = RW, 2 = RS, 3 = RC */
    bool imm_form = in->rm & 4;
    uint64_t src = imm_form ? in->rs1 : cpu->x[in->rs1];
    bool do_read = !(kind == 1 && in->rd == RV_REG_SINK);
    bool do_write = kind == 1 || in->rs1 != 0;
    uint64_t old = 0;

    /* Time and counters must see the exact instruction count. */
    cpu->machine->icount = rv_icount_at(cpu, in);
    if (do_read) {
        if (rv_csr_read(cpu, csr, &old, cpu->instret + in->idx)) {
            return rv_raise_illegal(cpu, in);
        }
    } else if ((csr >> 8 & 3) > cpu->priv) {
        return rv_raise_illegal(cpu, in);
    }
    if (do_write) {
        uint64_t base = old;
        if (csr == RV_CSR_MIP && kind != 1) {
            /* csrrs/csrrc on mip modify the software SEIP bit, not the
               PLIC's line that the read showed (privileged spec 3.1.9). */
            base = (old & ~(1ull << RV_IRQ_SEI)) |
                   ((uint64_t)cpu->seip_sw << RV_IRQ_SEI);
        }
        uint64_t val = kind == 1 ? src : kind == 2 ? (base | src) : (base & ~src);
        if (rv_csr_write(cpu, csr, val, in->idx)) {
            return rv_raise_illegal(cpu, in);
        }
        core_machine_attention(cpu->machine, CORE_ATTN_IRQ);
    }
    cpu->x[in->rd] = old;
    return next_insn(cpu, in);
}

static int exec_ecall(RVCPU *cpu, const RVInsn *in)
{
    static const unsigned cause[] = { RV_EXC_ECALL_U, RV_EXC_ECALL_S, 0,
                                      RV_EXC_ECALL_M };
    return rv_raise_exception(cpu, in, cause[cpu->priv], 0);
}

static int exec_ebreak(RVCPU *cpu, const RVInsn *in)
{
    return rv_raise_exception(cpu, in, RV_EXC_BREAKPOINT, 0);
}

static int exec_mret(RVCPU *cpu, const RVInsn *in)
{
    if (cpu->priv != RV_PRIV_M) {
        return rv_raise_illegal(cpu, in);
    }
    uint64_t s = cpu->mstatus;
    unsigned mpp = (s & RV_MSTATUS_MPP) >> RV_MSTATUS_MPP_SHIFT;
    /* As QEMU 7.2: with PMP implemented and no rule active, S/U could
       not access anything, so returning below M is refused. */
    if (mpp != RV_PRIV_M && !rv_pmp_any_active(cpu)) {
        return rv_raise_illegal(cpu, in);
    }
    s = (s & ~RV_MSTATUS_MIE) | ((s & RV_MSTATUS_MPIE) ? RV_MSTATUS_MIE : 0);
    s |= RV_MSTATUS_MPIE;
    s &= ~RV_MSTATUS_MPP;            /* MPP = U (least-privileged) */
    if (mpp != RV_PRIV_M) {
        s &= ~RV_MSTATUS_MPRV;
    }
    cpu->mstatus = s;
    cpu->pc = cpu->mepc;
    rv_set_priv(cpu, mpp);
    core_machine_attention(cpu->machine, CORE_ATTN_IRQ);
    return RV_EXEC_JUMP;
}

static int exec_sret(RVCPU *cpu, const RVInsn *in)
{
    if (cpu->priv < RV_PRIV_S ||
        (cpu->priv == RV_PRIV_S && (cpu->mstatus & RV_MSTATUS_TSR))) {
        return rv_raise_illegal(cpu, in);
    }
    uint64_t s = cpu->mstatus;
    unsigned spp = (s & RV_MSTATUS_SPP) ? RV_PRIV_S : RV_PRIV_U;
    s = (s & ~RV_MSTATUS_SIE) | ((s & RV_MSTATUS_SPIE) ? RV_MSTATUS_SIE : 0);
    s |= RV_MSTATUS_SPIE;
    s &= ~RV_MSTATUS_SPP;
    s &= ~RV_MSTATUS_MPRV;           /* xRET to a mode below M clears it */
    cpu->mstatus = s;
    cpu->pc = cpu->sepc;
    rv_set_priv(cpu, spp);
    core_machine_attention(cpu->machine, CORE_ATTN_IRQ);
    return RV_EXEC_JUMP;
}

static int exec_wfi(RVCPU *cpu, const RVInsn *in)
{
    if ((cpu->priv == RV_PRIV_S && (cpu->mstatus & RV_MSTATUS_TW)) ||
        cpu->priv == RV_PRIV_U) {
        return rv_raise_illegal(cpu, in);
    }
    cpu->pc = in->pc + in->len;
    if ((cpu->mip & cpu->mie) == 0) {
        cpu->wfi = 1;
    }
    return RV_EXEC_JUMP;
}

static int exec_sfence_vma(RVCPU *cpu, const RVInsn *in)
{
    if (cpu->priv < RV_PRIV_S ||
        (cpu->priv == RV_PRIV_S && (cpu->mstatus & RV_MSTATUS_TVM))) {
        return rv_raise_illegal(cpu, in);
    }
    /* rs1 = x0: every translation; else only those of that address.
       rs2 != x0: one address space, whose fence leaves global mappings
       (privileged spec 4.2.1). The TLB holds no ASIDs, so rs2's value is
       ignored: every non-global entry goes (flushing more than asked is
       always correct). */
    bool keep_global = in->rs2 != 0;
    if (in->rs1 != 0) {
        rv_cpu_flush_tlb_page(cpu, cpu->x[in->rs1], keep_global);
    } else if (keep_global) {
        rv_cpu_flush_tlb_nonglobal(cpu);
    } else {
        rv_cpu_flush_tlb(cpu);
    }
    return next_insn(cpu, in);
}

/* ---- decode rows: this file's groups of insn.def ---- */

#define RV_INSN_INT RV_SKIP_ROW
#define RV_INSN_AMO RV_SKIP_ROW
#define RV_INSN_FP  RV_SKIP_ROW
#define RV_INSN_SYS RV_DECODE_ROW
#define RV_INSN_DIS RV_SKIP_ROW

const RVOpDesc rv_ops_system[] = {
#include "tcg/riscv/insn.def"
    { .name = NULL },
};
