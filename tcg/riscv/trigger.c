/*
 * The debug trigger module (Sdtrig): tselect, tdata1-3 and tinfo with two
 * address-match triggers, as QEMU 7.2's virt CPU provides. RISC-V Debug
 * Specification 1.0, ch. 5 (5.7.2 tdata1, 5.7.10 mcontrol, 5.7.13
 * mcontrol6); privileged spec 3.1.15 (breakpoint exception).
 *
 * Each trigger is an mcontrol (type 2) or mcontrol6 (type 6) that matches
 * the exact address in tdata2 on execute, load or store, before the
 * instruction runs or the access happens (timing 0), and raises a
 * breakpoint exception (action 0) with mtval = the matching address,
 * in the privilege levels its m/s/u bits name. The other fields (dmode,
 * hit, select, timing, chain, match, action != 0, maskmax, vs/vu without
 * the H extension, textra in tdata3) are WARL and hold only zero. A write
 * of another type (e.g. tdata1 = 0, as debuggers do to free a trigger)
 * leaves a disabled mcontrol; QEMU 7.2 ignores such writes instead, which
 * keeps the trigger armed. Load/store triggers match when any byte of the
 * access is at tdata2 and, with a size set, the access has that size.
 *
 * Cost: nothing on the hot paths while no trigger is enabled. Blocks are
 * cut before every execute-trigger address (translate.c) and such blocks
 * never enter the hart's jump cache, so the check runs in rv_tb_find only
 * when one is reached. Pages holding a load/store-trigger address stay out
 * of the hart's TLB, so their accesses take the slow path, which checks.
 * Changing a trigger flushes translations or the TLB accordingly.
 *
 * tselect and the tdata registers are guest state (saved and hashed with
 * the hart); trig_exec/trig_mem are derived from them (rv_trigger_update).
 */
#include "tcg/riscv/rv_int.h"
#include "tcg/riscv/rv.h"
#include "core/machine.h"

enum {
    CSR_TSELECT = 0x7a0, CSR_TDATA1 = 0x7a1, CSR_TDATA2 = 0x7a2,
    CSR_TDATA3 = 0x7a3, CSR_TINFO = 0x7a4,
};

#define TYPE_SHIFT 60
#define TYPE_MCONTROL 2ull
#define TYPE_MCONTROL6 6ull
#define T_LOAD  (1ull << 0)
#define T_STORE (1ull << 1)
#define T_EXEC  (1ull << 2)
#define T_U     (1ull << 3)
#define T_S     (1ull << 4)
#define T_M     (1ull << 6)
#define T_MODES (T_U | T_S | T_M)
#define T_KINDS (T_LOAD | T_STORE | T_EXEC)
#define T2_SIZELO_SHIFT 16
#define T2_SIZEHI_SHIFT 21
#define T6_SIZE_SHIFT 16
/* Reset value: an mcontrol with nothing enabled. */
#define TDATA1_RESET (TYPE_MCONTROL << TYPE_SHIFT)

/* Access size in bytes for a size encoding (0 = any), or -1 if this
   implementation does not support it (6-byte and > 8-byte accesses). */
static int size_bytes(unsigned enc)
{
    static const int bytes[] = { 0, 1, 2, 4, -1, 8 };
    return enc < CORE_ARRAY_SIZE(bytes) ? bytes[enc] : -1;
}

static unsigned tdata1_type(uint64_t t)
{
    return (unsigned)(t >> TYPE_SHIFT);
}

/* Size encoding of a legal tdata1 value. */
static unsigned size_enc(uint64_t t)
{
    if (tdata1_type(t) == TYPE_MCONTROL6) {
        return (t >> T6_SIZE_SHIFT) & 0xf;
    }
    return (((t >> T2_SIZEHI_SHIFT) & 3) << 2) | ((t >> T2_SIZELO_SHIFT) & 3);
}

/* The legal value a write of v to tdata1 leaves (WARL). */
static uint64_t tdata1_legal(uint64_t v)
{
    uint64_t type = v >> TYPE_SHIFT;
    if (type != TYPE_MCONTROL && type != TYPE_MCONTROL6) {
        return TDATA1_RESET;
    }
    uint64_t t = (type << TYPE_SHIFT) | (v & (T_MODES | T_KINDS));
    if (type == TYPE_MCONTROL6) {
        unsigned enc = (v >> T6_SIZE_SHIFT) & 0xf;
        if (size_bytes(enc) >= 0) {
            t |= (uint64_t)enc << T6_SIZE_SHIFT;
        }
    } else {
        unsigned enc = (((v >> T2_SIZEHI_SHIFT) & 3) << 2) |
                       ((v >> T2_SIZELO_SHIFT) & 3);
        if (size_bytes(enc) >= 0) {
            t |= v & ((3ull << T2_SIZEHI_SHIFT) | (3ull << T2_SIZELO_SHIFT));
        }
    }
    return t;
}

/* Trigger kinds (T_LOAD/T_STORE/T_EXEC) that can fire in some mode. */
static uint64_t armed_kinds(uint64_t t)
{
    return (t & T_MODES) ? (t & T_KINDS) : 0;
}

static bool mode_matches(const RVCPU *cpu, uint64_t t)
{
    /* u, s and m sit at bits 3, 4 and 6: 3 + privilege level. */
    return (t >> (3 + cpu->priv)) & 1;
}

void rv_trigger_update(RVCPU *cpu)
{
    uint8_t exec = 0, mem = 0;
    for (unsigned i = 0; i < RV_NTRIGGERS; i++) {
        uint64_t k = armed_kinds(cpu->tdata1[i]);
        if (k & T_EXEC) {
            exec |= 1u << i;
        }
        if (k & (T_LOAD | T_STORE)) {
            mem |= 1u << i;
        }
    }
    cpu->trig_exec = exec;
    cpu->trig_mem = mem;
}

void rv_trigger_reset(RVCPU *cpu)
{
    cpu->tselect = 0;
    for (unsigned i = 0; i < RV_NTRIGGERS; i++) {
        cpu->tdata1[i] = TDATA1_RESET;
        cpu->tdata2[i] = 0;
    }
    rv_trigger_update(cpu);
}

bool rv_trigger_state_valid(const RVCPU *cpu)
{
    if (cpu->tselect >= RV_NTRIGGERS) {
        return false;
    }
    for (unsigned i = 0; i < RV_NTRIGGERS; i++) {
        if (tdata1_legal(cpu->tdata1[i]) != cpu->tdata1[i]) {
            return false;
        }
    }
    return true;
}

int rv_trigger_csr_read(const RVCPU *cpu, unsigned csr, uint64_t *val)
{
    switch (csr) {
    case CSR_TSELECT: *val = cpu->tselect; return 0;
    case CSR_TDATA1: *val = cpu->tdata1[cpu->tselect]; return 0;
    case CSR_TDATA2: *val = cpu->tdata2[cpu->tselect]; return 0;
    case CSR_TDATA3: *val = 0; return 0;
    case CSR_TINFO:
        /* Every trigger supports both address-match types. */
        *val = (1ull << TYPE_MCONTROL) | (1ull << TYPE_MCONTROL6);
        return 0;
    default:
        return RV_EXC_ILLEGAL;
    }
}

/* Trigger i changed from (old1, old2): drop what was made under it. */
static void trigger_changed(RVCPU *cpu, unsigned i, uint64_t old1,
                            uint64_t old2)
{
    uint64_t was = armed_kinds(old1), now = armed_kinds(cpu->tdata1[i]);
    if (old1 == cpu->tdata1[i] && old2 == cpu->tdata2[i]) {
        return;
    }
    rv_trigger_update(cpu);
    if ((was | now) & T_EXEC) {
        /* Blocks may run across the new address, and this hart's jump
           cache may hold a block starting at it (the flush hook clears
           every jump cache). */
        tb_flush(cpu->tbs);
    }
    if ((was | now) & (T_LOAD | T_STORE)) {
        rv_cpu_flush_tlb(cpu);
    }
}

int rv_trigger_csr_write(RVCPU *cpu, unsigned csr, uint64_t val)
{
    unsigned i = cpu->tselect;
    uint64_t old1 = cpu->tdata1[i], old2 = cpu->tdata2[i];
    switch (csr) {
    case CSR_TSELECT:
        /* WARL: a trigger that does not exist is not selected (as QEMU;
           software finds the count by reading back). */
        if (val < RV_NTRIGGERS) {
            cpu->tselect = val;
        }
        return 0;
    case CSR_TDATA1:
        cpu->tdata1[i] = tdata1_legal(val);
        trigger_changed(cpu, i, old1, old2);
        return 0;
    case CSR_TDATA2:
        cpu->tdata2[i] = val;
        trigger_changed(cpu, i, old1, old2);
        return 0;
    case CSR_TDATA3:
    case CSR_TINFO:
        return 0;   /* no writable fields */
    default:
        return RV_EXC_ILLEGAL;
    }
}

bool rv_trigger_exec_at(const RVCPU *cpu, gva_t pc)
{
    for (unsigned i = 0; i < RV_NTRIGGERS; i++) {
        if (((cpu->trig_exec >> i) & 1) && cpu->tdata2[i] == pc) {
            return true;
        }
    }
    return false;
}

bool rv_trigger_exec_fires(const RVCPU *cpu, gva_t pc)
{
    for (unsigned i = 0; i < RV_NTRIGGERS; i++) {
        if (((cpu->trig_exec >> i) & 1) && cpu->tdata2[i] == pc &&
            mode_matches(cpu, cpu->tdata1[i])) {
            return true;
        }
    }
    return false;
}

bool rv_trigger_any_exec(const CoreMachine *m)
{
    for (unsigned h = 0; h < m->ncpus; h++) {
        const RVCPU *cpu = m->cpus[h];
        if (cpu->trig_exec) {
            return true;
        }
    }
    return false;
}

bool rv_trigger_block_cut(const CoreMachine *m, gva_t pc)
{
    for (unsigned h = 0; h < m->ncpus; h++) {
        if (rv_trigger_exec_at(m->cpus[h], pc)) {
            return true;
        }
    }
    return false;
}

bool rv_trigger_on_page(const RVCPU *cpu, gva_t page)
{
    for (unsigned i = 0; i < RV_NTRIGGERS; i++) {
        if (((cpu->trig_mem >> i) & 1) &&
            (cpu->tdata2[i] & RV_PAGE_MASK) == page) {
            return true;
        }
    }
    return false;
}

int rv_trigger_mem_check(RVCPU *cpu, const RVInsn *in, gva_t addr,
                         unsigned size, bool load, bool store)
{
    uint64_t kinds = (load ? T_LOAD : 0) | (store ? T_STORE : 0);
    for (unsigned i = 0; i < RV_NTRIGGERS; i++) {
        uint64_t t = cpu->tdata1[i];
        if (!((cpu->trig_mem >> i) & 1) || !(t & kinds) ||
            !mode_matches(cpu, t)) {
            continue;
        }
        int want = size_bytes(size_enc(t));
        gva_t a = cpu->tdata2[i];
        if ((want == 0 || (unsigned)want == size) && a - addr < size) {
            return rv_raise_exception(cpu, in, RV_EXC_BREAKPOINT, a);
        }
    }
    return 0;
}
