/*
 * The A extension (unprivileged spec ch. 14): LR/SC and the AMOs, 32- and
 * 64-bit, with their decode rows.
 *
 * The host runs every hart in one thread, one instruction at a time, so an
 * AMO is a plain read-modify-write through the host pointer rv_amo_ptr
 * gives; that call also checks natural alignment, permissions and code-page
 * invalidation, and says when the block must end after the access (it
 * rewrote the block's own code or a PTE mapping it). aq/rl need no action
 * for the same reason.
 *
 * LR/SC: LR records the address and the value it read; SC succeeds only if
 * the reservation is valid, for the same address, and memory still holds
 * that value (cpu.h explains why a value compare keeps harts deterministic).
 * Every SC clears the reservation, whether it succeeds or not.
 */
#include "tcg/riscv/decode.h"
#include "tcg/riscv/mem_access.h"

static inline uint64_t sext32(uint64_t v)
{
    return (uint64_t)(int64_t)(int32_t)(uint32_t)v;
}

static int do_lr(RVCPU *cpu, const RVInsn *in, unsigned size)
{
    gva_t addr = cpu->x[in->rs1];
    uint64_t v;

    if (CORE_UNLIKELY(addr & (size - 1))) {
        return rv_raise_exception(cpu, in, RV_EXC_LOAD_MISALIGNED, addr);
    }
    int r = rv_load(cpu, in, addr, size, &v);
    if (CORE_UNLIKELY(r)) {
        return r;
    }
    cpu->res_valid = 1;
    cpu->res_addr = addr;
    cpu->res_value = v;
    cpu->x[in->rd] = size == 4 ? sext32(v) : v;
    RV_NEXT(cpu, in);
}

static int do_sc(RVCPU *cpu, const RVInsn *in, unsigned size)
{
    gva_t addr = cpu->x[in->rs1];
    uint64_t src = cpu->x[in->rs2];
    bool reserved = cpu->res_valid && cpu->res_addr == addr;
    void *host;
    uint64_t cur = 0;

    cpu->res_valid = 0;
    /* A misaligned SC traps even when it would fail (spec 14.2). */
    if (CORE_UNLIKELY(addr & (size - 1))) {
        return rv_raise_exception(cpu, in, RV_EXC_STORE_MISALIGNED, addr);
    }
    if (!reserved) {
        cpu->x[in->rd] = 1;
        RV_NEXT(cpu, in);
    }
    int r = rv_amo_ptr(cpu, in, addr, size, &host);
    if (CORE_UNLIKELY(r == RV_EXEC_TRAP)) {
        return r;
    }
    memcpy(&cur, host, size);   /* little-endian host: low bytes first */
    if (cur != cpu->res_value) {
        cpu->x[in->rd] = 1;
    } else {
        memcpy(host, &src, size);
        cpu->x[in->rd] = 0;
    }
    if (CORE_UNLIKELY(r)) {
        return rv_leave_after(cpu, in);
    }
    RV_NEXT(cpu, in);
}

static int ex_lr_w(RVCPU *cpu, const RVInsn *in) { return do_lr(cpu, in, 4); }
static int ex_lr_d(RVCPU *cpu, const RVInsn *in) { return do_lr(cpu, in, 8); }
static int ex_sc_w(RVCPU *cpu, const RVInsn *in) { return do_sc(cpu, in, 4); }
static int ex_sc_d(RVCPU *cpu, const RVInsn *in) { return do_sc(cpu, in, 8); }

/* One handler per AMO and width: `op` combines the old memory value `a`
   with rs2's value `b`; rd gets the old value. */
#define AMO_W(name, op)                                                  \
    static int ex_##name##_w(RVCPU *cpu, const RVInsn *in)               \
    {                                                                    \
        void *host;                                                      \
        int r = rv_amo_ptr(cpu, in, cpu->x[in->rs1], 4, &host);          \
        if (CORE_UNLIKELY(r == RV_EXEC_TRAP)) {                          \
            return r;                                                    \
        }                                                                \
        uint32_t a, b = (uint32_t)cpu->x[in->rs2];                       \
        memcpy(&a, host, 4);                                             \
        uint32_t v = (op);                                               \
        memcpy(host, &v, 4);                                             \
        cpu->x[in->rd] = sext32(a);                                      \
        if (CORE_UNLIKELY(r)) {                                          \
            return rv_leave_after(cpu, in);                              \
        }                                                                \
        RV_NEXT(cpu, in);                                                \
    }

#define AMO_D(name, op)                                                  \
    static int ex_##name##_d(RVCPU *cpu, const RVInsn *in)               \
    {                                                                    \
        void *host;                                                      \
        int r = rv_amo_ptr(cpu, in, cpu->x[in->rs1], 8, &host);          \
        if (CORE_UNLIKELY(r == RV_EXEC_TRAP)) {                          \
            return r;                                                    \
        }                                                                \
        uint64_t a, b = cpu->x[in->rs2];                                 \
        memcpy(&a, host, 8);                                             \
        uint64_t v = (op);                                               \
        memcpy(host, &v, 8);                                             \
        cpu->x[in->rd] = a;                                              \
        if (CORE_UNLIKELY(r)) {                                          \
            return rv_leave_after(cpu, in);                              \
        }                                                                \
        RV_NEXT(cpu, in);                                                \
    }

AMO_W(amoswap, b)
AMO_W(amoadd, a + b)
AMO_W(amoxor, a ^ b)
AMO_W(amoand, a & b)
AMO_W(amoor, a | b)
AMO_W(amomin, (int32_t)a < (int32_t)b ? a : b)
AMO_W(amomax, (int32_t)a > (int32_t)b ? a : b)
AMO_W(amominu, a < b ? a : b)
AMO_W(amomaxu, a > b ? a : b)

AMO_D(amoswap, b)
AMO_D(amoadd, a + b)
AMO_D(amoxor, a ^ b)
AMO_D(amoand, a & b)
AMO_D(amoor, a | b)
AMO_D(amomin, (int64_t)a < (int64_t)b ? a : b)
AMO_D(amomax, (int64_t)a > (int64_t)b ? a : b)
AMO_D(amominu, a < b ? a : b)
AMO_D(amomaxu, a > b ? a : b)

/* ---- decode rows: this file's groups of insn.def ---- */

#define RV_INSN_INT RV_SKIP_ROW
#define RV_INSN_AMO RV_DECODE_ROW
#define RV_INSN_FP  RV_SKIP_ROW
#define RV_INSN_SYS RV_SKIP_ROW
#define RV_INSN_DIS RV_SKIP_ROW

const RVOpDesc rv_ops_amo[] = {
#include "tcg/riscv/insn.def"
    { .name = NULL },
};
