/*
 * Control and status registers: one table row per CSR (or numbered family
 * such as pmpaddr0-63) with its name, the condition it needs beyond the
 * privilege level, and its read and write functions (WARL masks included).
 * The same table gives the disassembler and the gdb stub their CSR names
 * (rv_csr_name) and the gdb stub its CSR list (rv_csr_implemented).
 *
 * Privileged spec 2.1 (CSR address map), 3.1 (machine CSRs), 4.1
 * (supervisor CSRs); unprivileged spec ch. 11 (fcsr), ch. 12 (counters).
 * The lowest privilege and read-only-ness are bits 9:8 and 11:10 of the
 * CSR number itself (spec 2.1), so the table does not repeat them;
 * rv_csr_read/rv_csr_write check them before a row's functions run.
 *
 * Counters are deterministic: cycle equals instret (one cycle per
 * instruction), time comes from the CLINT's mtime via cpu->time_fn.
 *
 * Adding a CSR: one row in csr_table below (FIELD for a plain register
 * with a mask of writable bits, FN for one with its own functions).
 */
#include "tcg/riscv/rv_int.h"
#include "core/machine.h"
#include "tcg/riscv/disas.h"
#include "tcg/riscv/rv.h"

#include <stddef.h>
#include <stdio.h>

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
    if (old & ~s & (RV_MSTATUS_SUM | RV_MSTATUS_MXR)) {
        rv_cpu_flush_wide_tlb(cpu);
    }
    if ((old ^ s) & xlate) {
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

/* What a CSR needs besides the privilege its number encodes. */
enum {
    NEED_NONE,
    NEED_FP,       /* mstatus.FS != Off (unprivileged 11.2) */
    NEED_COUNTER,  /* mcounteren/scounteren bit (csr & 31) below M (3.1.11) */
    NEED_NO_TVM,   /* not S-mode with mstatus.TVM set (3.1.6.5) */
};

/* Row flags. */
enum {
    CSR_ZERO = 1 << 0,  /* exists but only reads as zero (not listed to gdb) */
};

typedef struct CsrDesc CsrDesc;
typedef int (*CsrRead)(RVCPU *cpu, const CsrDesc *d, unsigned csr,
                       uint64_t *val, uint64_t instret_now);
typedef int (*CsrWrite)(RVCPU *cpu, const CsrDesc *d, unsigned csr,
                        uint64_t val, unsigned insn_idx);

struct CsrDesc {
    uint16_t num;       /* CSR number (the first of a family) */
    uint8_t count;      /* numbers covered: 1, or a family's size */
    uint8_t first;      /* a family's number in the name of num */
    const char *name;   /* name, or a family's prefix; NULL: unnamed */
    uint8_t need;       /* NEED_* */
    uint8_t flags;      /* CSR_* */
    uint16_t field;     /* offsetof(RVCPU, register) for field_read/write */
    uint64_t wmask;     /* writable bits for field_write (WARL) */
    CsrRead read;       /* NULL: not implemented (name for disassembly) */
    CsrWrite write;     /* NULL: writes raise illegal-instruction */
};

static bool need_met(const RVCPU *cpu, const CsrDesc *d, unsigned csr)
{
    switch (d->need) {
    case NEED_FP:
        return fp_enabled(cpu);
    case NEED_COUNTER:
        return counter_allowed(cpu, csr & 31);
    case NEED_NO_TVM:
        return !(cpu->priv == RV_PRIV_S && (cpu->mstatus & RV_MSTATUS_TVM));
    default:
        return true;
    }
}

/* ---- plain registers: a uint64_t field of RVCPU and its WARL mask ---- */

static uint64_t *field_of(RVCPU *cpu, const CsrDesc *d)
{
    return (uint64_t *)((char *)cpu + d->field);
}

static int field_read(RVCPU *cpu, const CsrDesc *d, unsigned csr,
                      uint64_t *val, uint64_t instret_now)
{
    (void)csr;
    (void)instret_now;
    *val = *field_of(cpu, d);
    return 0;
}

static int field_write(RVCPU *cpu, const CsrDesc *d, unsigned csr,
                       uint64_t val, unsigned insn_idx)
{
    (void)csr;
    (void)insn_idx;
    *field_of(cpu, d) = val & d->wmask;
    return 0;
}

static int zero_read(RVCPU *cpu, const CsrDesc *d, unsigned csr,
                     uint64_t *val, uint64_t instret_now)
{
    (void)cpu;
    (void)d;
    (void)csr;
    (void)instret_now;
    *val = 0;
    return 0;
}

/* Writes that are legal but change nothing (misa: extensions cannot be
   switched off; unimplemented performance counters). */
static int ignore_write(RVCPU *cpu, const CsrDesc *d, unsigned csr,
                        uint64_t val, unsigned insn_idx)
{
    (void)cpu;
    (void)d;
    (void)csr;
    (void)val;
    (void)insn_idx;
    return 0;
}

/* Every CSR function below takes the table's arguments; most use few. */
#define ARG __attribute__((unused))
#define CSR_READ_FN(name) \
    static int name(ARG RVCPU *cpu, ARG const CsrDesc *d, ARG unsigned csr, \
                    uint64_t *val, ARG uint64_t instret_now)
#define CSR_WRITE_FN(name) \
    static int name(ARG RVCPU *cpu, ARG const CsrDesc *d, ARG unsigned csr, \
                    uint64_t val, ARG unsigned insn_idx)

/* ---- floating point (unprivileged 11.2) ---- */

CSR_READ_FN(fflags_read)
{
    *val = cpu->fflags;
    return 0;
}

CSR_READ_FN(frm_read)
{
    *val = cpu->frm;
    return 0;
}

CSR_READ_FN(fcsr_read)
{
    *val = (cpu->frm << 5) | cpu->fflags;
    return 0;
}

CSR_WRITE_FN(fflags_write)
{
    cpu->fflags = val & 0x1f;
    rv_fp_set_dirty(cpu);
    return 0;
}

CSR_WRITE_FN(frm_write)
{
    cpu->frm = val & 7;
    rv_fp_set_dirty(cpu);
    return 0;
}

CSR_WRITE_FN(fcsr_write)
{
    cpu->fflags = val & 0x1f;
    cpu->frm = (val >> 5) & 7;
    rv_fp_set_dirty(cpu);
    return 0;
}

/* ---- counters ---- */

CSR_READ_FN(instret_read)
{
    *val = instret_now;
    return 0;
}

CSR_READ_FN(time_read)
{
    *val = cpu->time_fn ? cpu->time_fn(cpu->time_opaque) : 0;
    return 0;
}

/* One counter backs mcycle and minstret. cpu->instret counts from the
   start of the block and the run loop adds this block's retired
   instructions (insn_idx + 1) afterwards; the next instruction must read
   exactly val. */
CSR_WRITE_FN(instret_write)
{
    cpu->instret = val - (insn_idx + 1);
    return 0;
}

/* ---- status, interrupts, translation ---- */

CSR_READ_FN(mstatus_csr_read)
{
    *val = mstatus_read(cpu);
    return 0;
}

CSR_WRITE_FN(mstatus_csr_write)
{
    mstatus_write(cpu, val, MSTATUS_WRITABLE);
    return 0;
}

CSR_READ_FN(sstatus_read)
{
    *val = mstatus_read(cpu) & SSTATUS_MASK;
    return 0;
}

CSR_WRITE_FN(sstatus_write)
{
    mstatus_write(cpu, val, SSTATUS_MASK & MSTATUS_WRITABLE);
    return 0;
}

CSR_READ_FN(sie_read)
{
    *val = cpu->mie & cpu->mideleg;
    return 0;
}

CSR_WRITE_FN(sie_write)
{
    cpu->mie = (cpu->mie & ~cpu->mideleg) | (val & cpu->mideleg);
    return 0;
}

CSR_READ_FN(sip_read)
{
    *val = cpu->mip & cpu->mideleg;
    return 0;
}

CSR_WRITE_FN(sip_write)
{
    uint64_t mask = cpu->mideleg & (1ull << RV_IRQ_SSI);
    cpu->mip = (cpu->mip & ~mask) | (val & mask);
    return 0;
}

CSR_WRITE_FN(mip_write)
{
    cpu->seip_sw = (val >> RV_IRQ_SEI) & 1;
    cpu->mip = (cpu->mip & ~MIP_WRITABLE) | (val & MIP_WRITABLE);
    if (cpu->seip_hw) {
        cpu->mip |= 1ull << RV_IRQ_SEI;
    }
    return 0;
}

CSR_WRITE_FN(satp_write)
{
    uint64_t mode = val >> 60;
    if (mode != 0 && mode != 8 && mode != 9) {
        return 0;   /* unsupported modes leave satp unchanged (WARL) */
    }
    uint64_t old = cpu->satp;
    cpu->satp = val;
    rv_pt_satp_written(cpu, old);
    return 0;
}

/* ---- physical memory protection (3.7) ---- */

CSR_READ_FN(pmpcfg_read)
{
    unsigned i = csr - 0x3a0;
    if (i & 1) {
        return RV_EXC_ILLEGAL;   /* odd pmpcfg do not exist on RV64 */
    }
    *val = i < 4 ? cpu->pmpcfg[i / 2] : 0;
    return 0;
}

CSR_WRITE_FN(pmpcfg_write)
{
    unsigned i = csr - 0x3a0;
    if (i & 1) {
        return RV_EXC_ILLEGAL;
    }
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

CSR_READ_FN(pmpaddr_read)
{
    unsigned i = csr - 0x3b0;
    *val = i < 16 ? cpu->pmpaddr[i] : 0;
    return 0;
}

CSR_WRITE_FN(pmpaddr_write)
{
    unsigned i = csr - 0x3b0;
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

/* ---- debug triggers (trigger.c) ---- */

CSR_READ_FN(trigger_read)
{
    return rv_trigger_csr_read(cpu, csr, val);
}

CSR_WRITE_FN(trigger_write)
{
    return rv_trigger_csr_write(cpu, csr, val);
}

/* ---- the table ---- */

#define OFF(f) ((uint16_t)offsetof(RVCPU, f))
/* A plain register: reads the field, writes val & wmask. */
#define FIELD(n, nm, f, wm) \
    { n, 1, 0, nm, NEED_NONE, 0, OFF(f), wm, field_read, field_write }
/* A read-only register (or one whose writes are ignored: wr). */
#define FIELD_RO(n, nm, f, wr) \
    { n, 1, 0, nm, NEED_NONE, 0, OFF(f), 0, field_read, wr }
#define FN(n, nm, need, rd, wr) \
    { n, 1, 0, nm, need, 0, 0, 0, rd, wr }
/* Numbers n .. n+cnt-1 named prefix<first> .. prefix<first+cnt-1>. */
#define FAMILY(n, cnt, first, prefix, need, flags, rd, wr) \
    { n, cnt, first, prefix, need, flags, 0, 0, rd, wr }
/* Known to the disassembler only; accesses raise illegal-instruction. */
#define NAME(n, nm) { n, 1, 0, nm, NEED_NONE, 0, 0, 0, NULL, NULL }

#define ALL_BITS (~0ull)

/* Sorted by number. Names: privileged spec tables 2.2-2.6 (RV64), the
   debug spec's trigger and debug-mode CSRs. */
static const CsrDesc csr_table[] = {
    FN(0x001, "fflags", NEED_FP, fflags_read, fflags_write),
    FN(0x002, "frm", NEED_FP, frm_read, frm_write),
    FN(0x003, "fcsr", NEED_FP, fcsr_read, fcsr_write),

    FN(0x100, "sstatus", NEED_NONE, sstatus_read, sstatus_write),
    FN(0x104, "sie", NEED_NONE, sie_read, sie_write),
    FIELD(0x105, "stvec", stvec, ~2ull),
    FIELD(0x106, "scounteren", scounteren, 0xffffffffull),
    FIELD(0x10a, "senvcfg", senvcfg, 1),
    FIELD(0x140, "sscratch", sscratch, ALL_BITS),
    FIELD(0x141, "sepc", sepc, ~1ull),
    FIELD(0x142, "scause", scause, ALL_BITS),
    FIELD(0x143, "stval", stval, ALL_BITS),
    FN(0x144, "sip", NEED_NONE, sip_read, sip_write),
    NAME(0x14d, "stimecmp"),
    { 0x180, 1, 0, "satp", NEED_NO_TVM, 0, OFF(satp), 0, field_read,
      satp_write },

    FN(0x300, "mstatus", NEED_NONE, mstatus_csr_read, mstatus_csr_write),
    FIELD_RO(0x301, "misa", misa, ignore_write),
    FIELD(0x302, "medeleg", medeleg, MEDELEG_WRITABLE),
    FIELD(0x303, "mideleg", mideleg, S_INTERRUPTS),
    FIELD(0x304, "mie", mie, M_INTERRUPTS),
    FIELD(0x305, "mtvec", mtvec, ~2ull),
    FIELD(0x306, "mcounteren", mcounteren, 0xffffffffull),
    FIELD(0x30a, "menvcfg", menvcfg, 1),
    FIELD(0x320, "mcountinhibit", mcountinhibit, ~2ull & 0xffffffffull),
    FAMILY(0x323, 29, 3, "mhpmevent", NEED_NONE, CSR_ZERO, zero_read,
           ignore_write),
    FIELD(0x340, "mscratch", mscratch, ALL_BITS),
    FIELD(0x341, "mepc", mepc, ~1ull),
    FIELD(0x342, "mcause", mcause, ALL_BITS),
    FIELD(0x343, "mtval", mtval, ALL_BITS),
    { 0x344, 1, 0, "mip", NEED_NONE, 0, OFF(mip), 0, field_read,
      mip_write },
    NAME(0x34a, "mtinst"),
    NAME(0x34b, "mtval2"),
    FAMILY(0x3a0, 4, 0, "pmpcfg", NEED_NONE, 0, pmpcfg_read, pmpcfg_write),
    FAMILY(0x3a4, 12, 4, "pmpcfg", NEED_NONE, CSR_ZERO, pmpcfg_read,
           pmpcfg_write),
    FAMILY(0x3b0, 16, 0, "pmpaddr", NEED_NONE, 0, pmpaddr_read,
           pmpaddr_write),
    FAMILY(0x3c0, 48, 16, "pmpaddr", NEED_NONE, CSR_ZERO, pmpaddr_read,
           pmpaddr_write),

    NAME(0x747, "mseccfg"),
    FN(0x7a0, "tselect", NEED_NONE, trigger_read, trigger_write),
    FAMILY(0x7a1, 3, 1, "tdata", NEED_NONE, 0, trigger_read, trigger_write),
    /* tinfo is implemented; objdump 2.40 has no name for it. */
    FN(0x7a4, NULL, NEED_NONE, trigger_read, trigger_write),
    NAME(0x7b0, "dcsr"),
    NAME(0x7b1, "dpc"),
    NAME(0x7b2, "dscratch0"),
    NAME(0x7b3, "dscratch1"),

    FN(0xb00, "mcycle", NEED_NONE, instret_read, instret_write),
    FN(0xb02, "minstret", NEED_NONE, instret_read, instret_write),
    FAMILY(0xb03, 29, 3, "mhpmcounter", NEED_NONE, CSR_ZERO, zero_read,
           ignore_write),

    FN(0xc00, "cycle", NEED_COUNTER, instret_read, NULL),
    FN(0xc01, "time", NEED_COUNTER, time_read, NULL),
    FN(0xc02, "instret", NEED_COUNTER, instret_read, NULL),
    FAMILY(0xc03, 29, 3, "hpmcounter", NEED_COUNTER, CSR_ZERO, zero_read,
           NULL),

    FN(0xf11, "mvendorid", NEED_NONE, zero_read, NULL),
    FN(0xf12, "marchid", NEED_NONE, zero_read, NULL),
    FN(0xf13, "mimpid", NEED_NONE, zero_read, NULL),
    FIELD_RO(0xf14, "mhartid", mhartid, NULL),
    FN(0xf15, "mconfigptr", NEED_NONE, zero_read, NULL),
};

/* ---- lookup: a direct index from CSR number to row, built once ---- */

#define NUM_CSRS 4096
#define FAMILY_NAMES 256    /* numbers covered by families (170 now) */

static uint8_t row_of[NUM_CSRS];   /* 1 + row index, 0 for none */
static const char *name_of[NUM_CSRS];
static char family_names[FAMILY_NAMES][16];
static bool index_ready;

_Static_assert(CORE_ARRAY_SIZE(csr_table) < 255, "row_of holds 1 + row");

static void build_index(void)
{
    unsigned nf = 0;
    for (unsigned r = 0; r < CORE_ARRAY_SIZE(csr_table); r++) {
        const CsrDesc *d = &csr_table[r];
        for (unsigned i = 0; i < d->count; i++) {
            unsigned csr = d->num + i;
            row_of[csr] = (uint8_t)(r + 1);
            if (d->count == 1 || !d->name) {
                name_of[csr] = d->name;
            } else if (nf < FAMILY_NAMES) {
                snprintf(family_names[nf], sizeof(family_names[nf]), "%s%u",
                         d->name, d->first + i);
                name_of[csr] = family_names[nf++];
            }
        }
    }
    index_ready = true;
}

static const CsrDesc *csr_find(unsigned csr)
{
    if (CORE_UNLIKELY(!index_ready)) {
        build_index();
    }
    if (csr >= NUM_CSRS || !row_of[csr]) {
        return NULL;
    }
    return &csr_table[row_of[csr] - 1];
}

const char *rv_csr_name(unsigned csr)
{
    return csr_find(csr) ? name_of[csr] : NULL;
}

bool rv_csr_implemented(unsigned csr)
{
    const CsrDesc *d = csr_find(csr);
    return d && d->read && !(d->flags & CSR_ZERO);
}

/* Access check from the address bits (privileged spec 2.1): bits 9:8 are
   the lowest privilege, 11:10 == 3 marks a read-only CSR. */
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
    const CsrDesc *d = csr_find(csr);
    if (!d || !d->read || !need_met(cpu, d, csr)) {
        return RV_EXC_ILLEGAL;
    }
    return d->read(cpu, d, csr, val, instret_now);
}

int rv_csr_write(RVCPU *cpu, unsigned csr, uint64_t val, unsigned insn_idx)
{
    if (!csr_accessible(cpu, csr, true)) {
        return RV_EXC_ILLEGAL;
    }
    const CsrDesc *d = csr_find(csr);
    if (!d || !d->write || !need_met(cpu, d, csr)) {
        return RV_EXC_ILLEGAL;
    }
    return d->write(cpu, d, csr, val, insn_idx);
}
