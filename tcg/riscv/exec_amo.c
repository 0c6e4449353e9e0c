/*
 * The A extension (unprivileged spec ch. 14): LR/SC and the AMOs, 32- and
 * 64-bit, with their decode rows.
 *
 * The host runs every hart in one thread, one instruction at a time, so an
 * AMO is a plain read-modify-write through the host pointer rv_amo_ptr
 * gives; that call also checks natural alignment, permissions and code-page
 * invalidation. aq/rl need no action for the same reason.
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
    if (CORE_UNLIKELY(r)) {
        return r;
    }
    memcpy(&cur, host, size);   /* little-endian host: low bytes first */
    if (cur != cpu->res_value) {
        cpu->x[in->rd] = 1;
        RV_NEXT(cpu, in);
    }
    memcpy(host, &src, size);
    cpu->x[in->rd] = 0;
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
        if (CORE_UNLIKELY(r)) {                                          \
            return r;                                                    \
        }                                                                \
        uint32_t a, b = (uint32_t)cpu->x[in->rs2];                       \
        memcpy(&a, host, 4);                                             \
        uint32_t v = (op);                                               \
        memcpy(host, &v, 4);                                             \
        cpu->x[in->rd] = sext32(a);                                      \
        RV_NEXT(cpu, in);                                             \
    }

#define AMO_D(name, op)                                                  \
    static int ex_##name##_d(RVCPU *cpu, const RVInsn *in)               \
    {                                                                    \
        void *host;                                                      \
        int r = rv_amo_ptr(cpu, in, cpu->x[in->rs1], 8, &host);          \
        if (CORE_UNLIKELY(r)) {                                          \
            return r;                                                    \
        }                                                                \
        uint64_t a, b = cpu->x[in->rs2];                                 \
        memcpy(&a, host, 8);                                             \
        uint64_t v = (op);                                               \
        memcpy(host, &v, 8);                                             \
        cpu->x[in->rd] = a;                                              \
        RV_NEXT(cpu, in);                                             \
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

/* ---- decode rows ---- */

#define OPC_AMO 0x2fu
#define M_AMO   0xf800707fu    /* funct5, funct3, opcode */
#define M_LR    0xf9f0707fu    /* ... and rs2, which must be 0 */
#define W(f5)   (OPC_AMO | (2u << 12) | ((uint32_t)(f5) << 27))
#define D(f5)   (OPC_AMO | (3u << 12) | ((uint32_t)(f5) << 27))

#define LD  RV_OPF_LOAD
#define ST  RV_OPF_STORE
#define RMW (RV_OPF_LOAD | RV_OPF_STORE)

const RVOpDesc rv_ops_amo[] = {
    { "lr.w",      M_LR,  W(0x02), RV_FMT_AMO, LD,  ex_lr_w },
    { "sc.w",      M_AMO, W(0x03), RV_FMT_AMO, ST,  ex_sc_w },
    { "amoswap.w", M_AMO, W(0x01), RV_FMT_AMO, RMW, ex_amoswap_w },
    { "amoadd.w",  M_AMO, W(0x00), RV_FMT_AMO, RMW, ex_amoadd_w },
    { "amoxor.w",  M_AMO, W(0x04), RV_FMT_AMO, RMW, ex_amoxor_w },
    { "amoand.w",  M_AMO, W(0x0c), RV_FMT_AMO, RMW, ex_amoand_w },
    { "amoor.w",   M_AMO, W(0x08), RV_FMT_AMO, RMW, ex_amoor_w },
    { "amomin.w",  M_AMO, W(0x10), RV_FMT_AMO, RMW, ex_amomin_w },
    { "amomax.w",  M_AMO, W(0x14), RV_FMT_AMO, RMW, ex_amomax_w },
    { "amominu.w", M_AMO, W(0x18), RV_FMT_AMO, RMW, ex_amominu_w },
    { "amomaxu.w", M_AMO, W(0x1c), RV_FMT_AMO, RMW, ex_amomaxu_w },

    { "lr.d",      M_LR,  D(0x02), RV_FMT_AMO, LD,  ex_lr_d },
    { "sc.d",      M_AMO, D(0x03), RV_FMT_AMO, ST,  ex_sc_d },
    { "amoswap.d", M_AMO, D(0x01), RV_FMT_AMO, RMW, ex_amoswap_d },
    { "amoadd.d",  M_AMO, D(0x00), RV_FMT_AMO, RMW, ex_amoadd_d },
    { "amoxor.d",  M_AMO, D(0x04), RV_FMT_AMO, RMW, ex_amoxor_d },
    { "amoand.d",  M_AMO, D(0x0c), RV_FMT_AMO, RMW, ex_amoand_d },
    { "amoor.d",   M_AMO, D(0x08), RV_FMT_AMO, RMW, ex_amoor_d },
    { "amomin.d",  M_AMO, D(0x10), RV_FMT_AMO, RMW, ex_amomin_d },
    { "amomax.d",  M_AMO, D(0x14), RV_FMT_AMO, RMW, ex_amomax_d },
    { "amominu.d", M_AMO, D(0x18), RV_FMT_AMO, RMW, ex_amominu_d },
    { "amomaxu.d", M_AMO, D(0x1c), RV_FMT_AMO, RMW, ex_amomaxu_d },
    { .name = NULL },
};
