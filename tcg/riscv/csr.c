/*
 * Control and status registers: access checks and WARL behaviour.
 * Privileged spec 2.1 (CSR address map), 3.1 (machine CSRs), 4.1
 * (supervisor CSRs); unprivileged spec ch. 11 (fcsr), ch. 12 (counters).
 *
 * Counters are deterministic: cycle equals instret (one cycle per
 * instruction), time comes from the CLINT's mtime via cpu->time_fn.
 */
#include "tcg/riscv/rv_int.h"
#include "core/machine.h"
#include "tcg/riscv/rv.h"

enum {
    CSR_FFLAGS = 0x001, CSR_FRM = 0x002, CSR_FCSR = 0x003,
    CSR_CYCLE = 0xc00, CSR_TIME = 0xc01, CSR_INSTRET = 0xc02,
    CSR_HPMCOUNTER3 = 0xc03, CSR_HPMCOUNTER31 = 0xc1f,
    CSR_SSTATUS = 0x100, CSR_SIE = 0x104, CSR_STVEC = 0x105,
    CSR_SCOUNTEREN = 0x106, CSR_SENVCFG = 0x10a, CSR_SSCRATCH = 0x140,
    CSR_SEPC = 0x141, CSR_SCAUSE = 0x142, CSR_STVAL = 0x143, CSR_SIP = 0x144,
    CSR_STIMECMP = 0x14d, CSR_SATP = 0x180,
    CSR_MVENDORID = 0xf11, CSR_MARCHID = 0xf12, CSR_MIMPID = 0xf13,
    CSR_MHARTID = 0xf14, CSR_MCONFIGPTR = 0xf15,
    CSR_MSTATUS = 0x300, CSR_MISA = 0x301, CSR_MEDELEG = 0x302,
    CSR_MIDELEG = 0x303, CSR_MIE = 0x304, CSR_MTVEC = 0x305,
    CSR_MCOUNTEREN = 0x306, CSR_MENVCFG = 0x30a, CSR_MCOUNTINHIBIT = 0x320,
    CSR_MHPMEVENT3 = 0x323, CSR_MHPMEVENT31 = 0x33f,
    CSR_MSCRATCH = 0x340, CSR_MEPC = 0x341, CSR_MCAUSE = 0x342,
    CSR_MTVAL = 0x343, CSR_MIP = 0x344,
    CSR_PMPCFG0 = 0x3a0, CSR_PMPCFG15 = 0x3af,
    CSR_PMPADDR0 = 0x3b0, CSR_PMPADDR63 = 0x3ef,
    CSR_TSELECT = 0x7a0, CSR_TINFO = 0x7a4,
    CSR_MCYCLE = 0xb00, CSR_MINSTRET = 0xb02,
    CSR_MHPMCOUNTER3 = 0xb03, CSR_MHPMCOUNTER31 = 0xb1f,
};

#define SSTATUS_MASK (RV_MSTATUS_SIE | RV_MSTATUS_SPIE | RV_MSTATUS_UBE | \
                      RV_MSTATUS_SPP | RV_MSTATUS_FS | RV_MSTATUS_XS | \
                      RV_MSTATUS_SUM | RV_MSTATUS_MXR | RV_MSTATUS_UXL | \
                      RV_MSTATUS_SD)
#define MSTATUS_WRITABLE (RV_MSTATUS_SIE | RV_MSTATUS_MIE | RV_MSTATUS_SPIE | \
                          RV_MSTATUS_MPIE | RV_MSTATUS_SPP | RV_MSTATUS_MPP | \
                          RV_MSTATUS_FS | RV_MSTATUS_MPRV | RV_MSTATUS_SUM | \
                          RV_MSTATUS_MXR | RV_MSTATUS_TVM | RV_MSTATUS_TW | \
                          RV_MSTATUS_TSR)
/* Supervisor-level interrupts: the bits mideleg and sip/sie can hold. */
#define S_INTERRUPTS ((1ull << RV_IRQ_SSI) | (1ull << RV_IRQ_STI) | \
                      (1ull << RV_IRQ_SEI))
#define M_INTERRUPTS (S_INTERRUPTS | (1ull << RV_IRQ_MSI) | \
                      (1ull << RV_IRQ_MTI) | (1ull << RV_IRQ_MEI))
/* mip bits software may write (MSIP/MTIP/MEIP are driven by devices). */
#define MIP_WRITABLE S_INTERRUPTS
#define MEDELEG_WRITABLE 0xb3ffull  /* all but ecall-from-M and reserved */

static uint64_t mstatus_read(const RVCPU *cpu)
{
    uint64_t s = cpu->mstatus & ~RV_MSTATUS_SD;
    s |= (2ull << 32) | (2ull << 34);   /* UXL = SXL = 64 bits */
    if ((s & RV_MSTATUS_FS) == RV_MSTATUS_FS) {
        s |= RV_MSTATUS_SD;
    }
    return s;
}

static void mstatus_write(RVCPU *cpu, uint64_t val, uint64_t mask)
{
    uint64_t old = cpu->mstatus;
    uint64_t s = (old & ~mask) | (val & mask);
    /* MPP is WARL: 2 (reserved) keeps the old value. */
    if (((s & RV_MSTATUS_MPP) >> RV_MSTATUS_MPP_SHIFT) == 2) {
        s = (s & ~RV_MSTATUS_MPP) | (old & RV_MSTATUS_MPP);
    }
    cpu->mstatus = s & ~RV_MSTATUS_SD;
    uint64_t xlate = RV_MSTATUS_MPRV | RV_MSTATUS_MPP | RV_MSTATUS_SUM |
                     RV_MSTATUS_MXR;
    if ((old ^ s) & (RV_MSTATUS_SUM | RV_MSTATUS_MXR)) {
        rv_cpu_flush_data_tlb(cpu);
        rv_update_tlb_mode(cpu);
    } else if ((old ^ s) & xlate) {
        rv_update_tlb_mode(cpu);
    }
}

static bool counter_allowed(const RVCPU *cpu, unsigned bit)
{
    if (cpu->priv == RV_PRIV_M) {
        return true;
    }
    if (!((cpu->mcounteren >> bit) & 1)) {
        return false;
    }
    return cpu->priv == RV_PRIV_S || ((cpu->scounteren >> bit) & 1);
}

static bool fp_enabled(const RVCPU *cpu)
{
    return (cpu->mstatus & RV_MSTATUS_FS) != 0;
}

/* Access check from the address bits (privileged spec 2.1). */
static bool csr_accessible(const RVCPU *cpu, unsigned csr, bool write)
{
    if (write && (csr >> 10) == 3) {
        return false;
    }
    return cpu->priv >= ((csr >> 8) & 3);
}

int rv_csr_read(RVCPU *cpu, unsigned csr, uint64_t *val, uint64_t instret_now)
{
    if (!csr_accessible(cpu, csr, false)) {
        return RV_EXC_ILLEGAL;
    }
    switch (csr) {
    case CSR_FFLAGS:
        if (!fp_enabled(cpu)) return RV_EXC_ILLEGAL;
        *val = cpu->fflags;
        return 0;
    case CSR_FRM:
        if (!fp_enabled(cpu)) return RV_EXC_ILLEGAL;
        *val = cpu->frm;
        return 0;
    case CSR_FCSR:
        if (!fp_enabled(cpu)) return RV_EXC_ILLEGAL;
        *val = (cpu->frm << 5) | cpu->fflags;
        return 0;
    case CSR_CYCLE:
    case CSR_INSTRET:
        if (!counter_allowed(cpu, csr - CSR_CYCLE)) return RV_EXC_ILLEGAL;
        *val = instret_now;
        return 0;
    case CSR_TIME:
        if (!counter_allowed(cpu, 1)) return RV_EXC_ILLEGAL;
        *val = cpu->time_fn ? cpu->time_fn(cpu->time_opaque) : 0;
        return 0;
    case CSR_MCYCLE:
    case CSR_MINSTRET:
        *val = instret_now;
        return 0;
    case CSR_SSTATUS: *val = mstatus_read(cpu) & SSTATUS_MASK; return 0;
    case CSR_SIE: *val = cpu->mie & cpu->mideleg; return 0;
    case CSR_SIP: *val = cpu->mip & cpu->mideleg; return 0;
    case CSR_STVEC: *val = cpu->stvec; return 0;
    case CSR_SCOUNTEREN: *val = cpu->scounteren; return 0;
    case CSR_SENVCFG: *val = cpu->senvcfg; return 0;
    case CSR_SSCRATCH: *val = cpu->sscratch; return 0;
    case CSR_SEPC: *val = cpu->sepc; return 0;
    case CSR_SCAUSE: *val = cpu->scause; return 0;
    case CSR_STVAL: *val = cpu->stval; return 0;
    case CSR_SATP:
        if (cpu->priv == RV_PRIV_S && (cpu->mstatus & RV_MSTATUS_TVM)) {
            return RV_EXC_ILLEGAL;
        }
        *val = cpu->satp;
        return 0;
    case CSR_MVENDORID: case CSR_MARCHID: case CSR_MIMPID:
    case CSR_MCONFIGPTR:
        *val = 0;
        return 0;
    case CSR_MHARTID: *val = cpu->mhartid; return 0;
    case CSR_MSTATUS: *val = mstatus_read(cpu); return 0;
    case CSR_MISA: *val = cpu->misa; return 0;
    case CSR_MEDELEG: *val = cpu->medeleg; return 0;
    case CSR_MIDELEG: *val = cpu->mideleg; return 0;
    case CSR_MIE: *val = cpu->mie; return 0;
    case CSR_MTVEC: *val = cpu->mtvec; return 0;
    case CSR_MCOUNTEREN: *val = cpu->mcounteren; return 0;
    case CSR_MENVCFG: *val = cpu->menvcfg; return 0;
    case CSR_MCOUNTINHIBIT: *val = cpu->mcountinhibit; return 0;
    case CSR_MSCRATCH: *val = cpu->mscratch; return 0;
    case CSR_MEPC: *val = cpu->mepc; return 0;
    case CSR_MCAUSE: *val = cpu->mcause; return 0;
    case CSR_MTVAL: *val = cpu->mtval; return 0;
    case CSR_MIP: *val = cpu->mip; return 0;
    default:
        break;
    }
    if (csr >= CSR_PMPCFG0 && csr <= CSR_PMPCFG15) {
        unsigned i = csr - CSR_PMPCFG0;
        if (i & 1) return RV_EXC_ILLEGAL;   /* odd pmpcfg do not exist on RV64 */
        *val = i < 4 ? cpu->pmpcfg[i / 2] : 0;
        return 0;
    }
    if (csr >= CSR_PMPADDR0 && csr <= CSR_PMPADDR63) {
        unsigned i = csr - CSR_PMPADDR0;
        *val = i < 16 ? cpu->pmpaddr[i] : 0;
        return 0;
    }
    if (csr >= CSR_TSELECT && csr <= CSR_TINFO) {
        return rv_trigger_csr_read(cpu, csr, val);
    }
    /* Unimplemented performance counters read as zero. */
    if ((csr >= CSR_MHPMCOUNTER3 && csr <= CSR_MHPMCOUNTER31) ||
        (csr >= CSR_MHPMEVENT3 && csr <= CSR_MHPMEVENT31)) {
        *val = 0;
        return 0;
    }
    if (csr >= CSR_HPMCOUNTER3 && csr <= CSR_HPMCOUNTER31) {
        if (!counter_allowed(cpu, csr - CSR_CYCLE)) return RV_EXC_ILLEGAL;
        *val = 0;
        return 0;
    }
    return RV_EXC_ILLEGAL;
}

int rv_csr_write(RVCPU *cpu, unsigned csr, uint64_t val, unsigned insn_idx)
{
    if (!csr_accessible(cpu, csr, true)) {
        return RV_EXC_ILLEGAL;
    }
    switch (csr) {
    case CSR_FFLAGS:
        if (!fp_enabled(cpu)) return RV_EXC_ILLEGAL;
        cpu->fflags = val & 0x1f;
        rv_fp_set_dirty(cpu);
        return 0;
    case CSR_FRM:
        if (!fp_enabled(cpu)) return RV_EXC_ILLEGAL;
        cpu->frm = val & 7;
        rv_fp_set_dirty(cpu);
        return 0;
    case CSR_FCSR:
        if (!fp_enabled(cpu)) return RV_EXC_ILLEGAL;
        cpu->fflags = val & 0x1f;
        cpu->frm = (val >> 5) & 7;
        rv_fp_set_dirty(cpu);
        return 0;
    case CSR_MCYCLE:
    case CSR_MINSTRET:
        /* One counter backs both. cpu->instret counts from the start of
           the block and the run loop adds this block's retired
           instructions (insn_idx + 1) afterwards; the next instruction
           must read exactly val. */
        cpu->instret = val - (insn_idx + 1);
        return 0;
    case CSR_SSTATUS:
        mstatus_write(cpu, val, SSTATUS_MASK & MSTATUS_WRITABLE);
        return 0;
    case CSR_SIE:
        cpu->mie = (cpu->mie & ~cpu->mideleg) | (val & cpu->mideleg);
        return 0;
    case CSR_SIP: {
        uint64_t mask = cpu->mideleg & (1ull << RV_IRQ_SSI);
        cpu->mip = (cpu->mip & ~mask) | (val & mask);
        return 0;
    }
    case CSR_STVEC: cpu->stvec = val & ~2ull; return 0;
    case CSR_SCOUNTEREN: cpu->scounteren = val & 0xffffffff; return 0;
    case CSR_SENVCFG: cpu->senvcfg = val & 1; return 0;
    case CSR_SSCRATCH: cpu->sscratch = val; return 0;
    case CSR_SEPC: cpu->sepc = val & ~1ull; return 0;
    case CSR_SCAUSE: cpu->scause = val; return 0;
    case CSR_STVAL: cpu->stval = val; return 0;
    case CSR_SATP: {
        if (cpu->priv == RV_PRIV_S && (cpu->mstatus & RV_MSTATUS_TVM)) {
            return RV_EXC_ILLEGAL;
        }
        uint64_t mode = val >> 60;
        if (mode != 0 && mode != 8 && mode != 9) {
            return 0;   /* unsupported modes leave satp unchanged (WARL) */
        }
        cpu->satp = val;
        rv_cpu_flush_tlb(cpu);
        return 0;
    }
    case CSR_MSTATUS:
        mstatus_write(cpu, val, MSTATUS_WRITABLE);
        return 0;
    case CSR_MISA:
        return 0;   /* extensions cannot be switched off */
    case CSR_MEDELEG: cpu->medeleg = val & MEDELEG_WRITABLE; return 0;
    case CSR_MIDELEG: cpu->mideleg = val & S_INTERRUPTS; return 0;
    case CSR_MIE: cpu->mie = val & M_INTERRUPTS; return 0;
    case CSR_MTVEC: cpu->mtvec = val & ~2ull; return 0;
    case CSR_MCOUNTEREN: cpu->mcounteren = val & 0xffffffff; return 0;
    case CSR_MENVCFG: cpu->menvcfg = val & 1; return 0;
    case CSR_MCOUNTINHIBIT: cpu->mcountinhibit = val & ~2ull & 0xffffffff; return 0;
    case CSR_MSCRATCH: cpu->mscratch = val; return 0;
    case CSR_MEPC: cpu->mepc = val & ~1ull; return 0;
    case CSR_MCAUSE: cpu->mcause = val; return 0;
    case CSR_MTVAL: cpu->mtval = val; return 0;
    case CSR_MIP:
        cpu->seip_sw = (val >> RV_IRQ_SEI) & 1;
        cpu->mip = (cpu->mip & ~MIP_WRITABLE) | (val & MIP_WRITABLE);
        if (cpu->seip_hw) {
            cpu->mip |= 1ull << RV_IRQ_SEI;
        }
        return 0;
    default:
        break;
    }
    if (csr >= CSR_PMPCFG0 && csr <= CSR_PMPCFG15) {
        unsigned i = csr - CSR_PMPCFG0;
        if (i & 1) return RV_EXC_ILLEGAL;
        if (i < 4) {
            /* Locked entries ignore writes; W without R is reserved. */
            uint64_t old = cpu->pmpcfg[i / 2], nv = 0;
            for (int b = 0; b < 8; b++) {
                uint8_t o = old >> (8 * b), n = val >> (8 * b);
                if (o & 0x80) {
                    n = o;
                } else if ((n & 3) == 2) {
                    n &= ~3;
                }
                nv |= (uint64_t)(n & 0x9f) << (8 * b);
            }
            cpu->pmpcfg[i / 2] = nv;
            rv_cpu_flush_tlb(cpu);
        }
        return 0;
    }
    if (csr >= CSR_PMPADDR0 && csr <= CSR_PMPADDR63) {
        unsigned i = csr - CSR_PMPADDR0;
        if (i < 16) {
            uint8_t cfg = cpu->pmpcfg[i / 8] >> (8 * (i % 8));
            bool locked = cfg & 0x80;
            if (i + 1 < 16) {
                /* A locked TOR entry also locks its bottom (3.7.1). */
                uint8_t next = cpu->pmpcfg[(i + 1) / 8] >> (8 * ((i + 1) % 8));
                locked |= (next & 0x80) && ((next >> 3) & 3) == 1;
            }
            if (!locked) {
                cpu->pmpaddr[i] = val & ((1ull << 54) - 1);
                rv_cpu_flush_tlb(cpu);
            }
        }
        return 0;
    }
    if (csr >= CSR_TSELECT && csr <= CSR_TINFO) {
        return rv_trigger_csr_write(cpu, csr, val);
    }
    if ((csr >= CSR_MHPMCOUNTER3 && csr <= CSR_MHPMCOUNTER31) ||
        (csr >= CSR_MHPMEVENT3 && csr <= CSR_MHPMEVENT31)) {
        return 0;
    }
    return RV_EXC_ILLEGAL;
}
