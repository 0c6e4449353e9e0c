/*
 * RISC-V hart objects: creation, reset state and saved state.
 *
 * Reset follows QEMU's virt: M-mode, pc at the reset vector, mstatus with
 * FS off, misa = RV64IMAFDCSU. The saved state is every architectural
 * register; host-side caches (TLBs, jump cache) are rebuilt after a load.
 */
#include "tcg/riscv/rv.h"
#include "tcg/riscv/rv_int.h"
#include "core/env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MISA_EXT(c) (1ull << ((c) - 'A'))
#define RV_MISA (2ull << 62 | MISA_EXT('I') | MISA_EXT('M') | MISA_EXT('A') | \
                 MISA_EXT('F') | MISA_EXT('D') | MISA_EXT('C') | \
                 MISA_EXT('S') | MISA_EXT('U'))

RVCPU *rv_cpu_new(CoreMachine *m, unsigned hartid, TBCache *tbs)
{
    RVCPU *cpu = calloc(1, sizeof(*cpu));
    if (!cpu) {
        return NULL;
    }
    cpu->machine = m;
    cpu->mhartid = hartid;
    cpu->tbs = tbs;
    cpu->side_exits = RV_TB_SIDE_EXITS_DEFAULT;
    rv_cpu_reset(cpu, 0x1000);
    return cpu;
}

void rv_cpu_free(RVCPU *cpu)
{
    free(cpu);
}

void rv_cpu_reset(RVCPU *cpu, gva_t pc)
{
    memset(cpu->x, 0, sizeof(cpu->x));
    memset(cpu->f, 0, sizeof(cpu->f));
    cpu->pc = pc;
    cpu->fflags = 0;
    cpu->frm = 0;
    cpu->priv = RV_PRIV_M;
    cpu->wfi = 0;
    cpu->instret = 0;
    cpu->mstatus = 0;
    cpu->misa = RV_MISA;
    cpu->medeleg = cpu->mideleg = cpu->mip = cpu->mie = 0;
    cpu->mtvec = cpu->mscratch = cpu->mepc = cpu->mcause = cpu->mtval = 0;
    cpu->stvec = cpu->sscratch = cpu->sepc = cpu->scause = cpu->stval = 0;
    cpu->satp = 0;
    cpu->mcounteren = cpu->scounteren = 0;
    cpu->menvcfg = cpu->senvcfg = cpu->mcountinhibit = 0;
    cpu->stimecmp = 0;
    memset(cpu->pmpcfg, 0, sizeof(cpu->pmpcfg));
    memset(cpu->pmpaddr, 0, sizeof(cpu->pmpaddr));
    cpu->res_addr = 0;
    cpu->res_value = 0;
    cpu->res_valid = 0;
    rv_trigger_reset(cpu);
    rv_cpu_init_tlb(cpu);
}

void rv_cpu_set_time_source(RVCPU *cpu, RVTimeFn fn, void *opaque)
{
    cpu->time_fn = fn;
    cpu->time_opaque = opaque;
}

void rv_cpu_set_jit(RVCPU *cpu, bool on)
{
    cpu->jit = on && rv_jit_available();
}

void rv_cpu_set_jit_trace(RVCPU *cpu, void *file)
{
    cpu->jit_trace = file;
}

bool rv_jit_threshold_wanted(uint32_t n, uint32_t *threshold, char *err,
                             size_t errlen)
{
    *threshold = CORE_JIT_THRESHOLD_DEFAULT;
    /* Checked even when -accel gives N: a typo in the environment is
       reported, never a silent default. */
    if (!core_env_count("REWIND_JIT_THRESHOLD", "a run count", 1,
                        CORE_JIT_THRESHOLD_MAX, threshold, err, errlen)) {
        return false;
    }
    if (n) {
        *threshold = n;
    }
    return true;
}

void rv_cpu_set_jit_threshold(RVCPU *cpu, uint32_t n)
{
    cpu->jit_threshold = n;
}

bool rv_side_exits_wanted(unsigned *n, char *err, size_t errlen)
{
    uint32_t v = RV_TB_SIDE_EXITS_DEFAULT;
    bool ok = core_env_count("REWIND_SIDE_EXITS", "a count", 0,
                             RV_TB_MAX_SIDE_EXITS, &v, err, errlen);
    *n = v;
    return ok;
}

void rv_cpu_set_side_exits(RVCPU *cpu, unsigned n)
{
    cpu->side_exits = (uint8_t)n;
}

bool rv_jit_wanted(CoreJitMode mode, bool *jit, char *err, size_t errlen)
{
    const char *env = getenv("REWIND_JIT");
    bool env_off = env && strcmp(env, "off") == 0;
    if (env && *env && !env_off && strcmp(env, "on") != 0) {
        snprintf(err, errlen, "REWIND_JIT='%s': expected on or off", env);
        return false;
    }
    *jit = mode == CORE_JIT_DEFAULT ? rv_jit_available() && !env_off
                                    : mode == CORE_JIT_ON;
    return true;
}

void rv_cpu_set_trace(RVCPU *cpu, void *file)
{
    cpu->trace = file;
}

static bool cpu_post_load(void *opaque)
{
    RVCPU *cpu = opaque;
    if (cpu->priv != RV_PRIV_U && cpu->priv != RV_PRIV_S &&
        cpu->priv != RV_PRIV_M) {
        return false;
    }
    if (!rv_trigger_state_valid(cpu)) {
        return false;
    }
    cpu->x[0] = 0;
    rv_trigger_update(cpu);
    if (cpu->trig_exec) {
        tb_flush(cpu->tbs);   /* blocks must start at trigger addresses */
    }
    rv_cpu_flush_tlb(cpu);
    return true;
}

static const CoreStateField cpu_fields[] = {
    CORE_STATE_PART(RVCPU, x, 32 * sizeof(uint64_t)),
    CORE_STATE_ARRAY(RVCPU, f),
    CORE_STATE_FIELD(RVCPU, pc),
    CORE_STATE_FIELD(RVCPU, fflags),
    CORE_STATE_FIELD(RVCPU, frm),
    CORE_STATE_FIELD(RVCPU, priv),
    CORE_STATE_FIELD(RVCPU, wfi),
    CORE_STATE_FIELD(RVCPU, mhartid),
    CORE_STATE_FIELD(RVCPU, instret),
    CORE_STATE_FIELD(RVCPU, mstatus),
    CORE_STATE_FIELD(RVCPU, misa),
    CORE_STATE_FIELD(RVCPU, medeleg),
    CORE_STATE_FIELD(RVCPU, mideleg),
    CORE_STATE_FIELD(RVCPU, mip),
    CORE_STATE_FIELD(RVCPU, seip_sw),
    CORE_STATE_FIELD(RVCPU, seip_hw),
    CORE_STATE_FIELD(RVCPU, mie),
    CORE_STATE_FIELD(RVCPU, mtvec),
    CORE_STATE_FIELD(RVCPU, mscratch),
    CORE_STATE_FIELD(RVCPU, mepc),
    CORE_STATE_FIELD(RVCPU, mcause),
    CORE_STATE_FIELD(RVCPU, mtval),
    CORE_STATE_FIELD(RVCPU, stvec),
    CORE_STATE_FIELD(RVCPU, sscratch),
    CORE_STATE_FIELD(RVCPU, sepc),
    CORE_STATE_FIELD(RVCPU, scause),
    CORE_STATE_FIELD(RVCPU, stval),
    CORE_STATE_FIELD(RVCPU, satp),
    CORE_STATE_FIELD(RVCPU, mcounteren),
    CORE_STATE_FIELD(RVCPU, scounteren),
    CORE_STATE_FIELD(RVCPU, menvcfg),
    CORE_STATE_FIELD(RVCPU, senvcfg),
    CORE_STATE_FIELD(RVCPU, mcountinhibit),
    CORE_STATE_FIELD(RVCPU, stimecmp),
    CORE_STATE_ARRAY(RVCPU, pmpcfg),
    CORE_STATE_ARRAY(RVCPU, pmpaddr),
    CORE_STATE_FIELD(RVCPU, res_addr),
    CORE_STATE_FIELD(RVCPU, res_value),
    CORE_STATE_FIELD(RVCPU, res_valid),
    CORE_STATE_FIELD(RVCPU, tselect),
    CORE_STATE_ARRAY(RVCPU, tdata1),
    CORE_STATE_ARRAY(RVCPU, tdata2),
    CORE_STATE_END
};

const CoreStateDesc rv_cpu_state_desc = {
    .name = "rv64-hart",
    .version = 2,   /* 2: debug triggers */
    .fields = cpu_fields,
    .post_load = cpu_post_load,
};
