/*
 * SiFive CLINT, register-compatible with QEMU's sifive_clint / ACLINT
 * (RISC-V ACLINT spec 1.0: MSWI §3, MTIMER §2; layout of the SiFive
 * "clint0": msip at 0x0, mtimecmp at 0x4000, mtime at 0xbff8).
 *
 * mtime is not stored: it is the virtual clock in 100 ns ticks plus
 * `time_delta` (mod 2^64), which only a guest write to mtime changes. So it
 * advances with icount and needs nothing saved but the delta.
 *
 * MTIP of hart i is the level (mtime >= mtimecmp[i]), re-evaluated whenever
 * mtimecmp or mtime is written and when hart i's timer fires. The timer is
 * armed at the first virtual ns where the comparison becomes true; if that
 * ns does not fit in 64 bits (mtimecmp = all ones, the usual "no timer"
 * value) the timer is simply not armed, so it can never fire early through
 * an overflow.
 *
 * 32-bit accesses reach either half of every 64-bit register; 64-bit
 * accesses to msip read/write two harts' words at once. Offsets for harts
 * that do not exist read 0 and ignore writes.
 *
 * Reset follows QEMU: msip cleared, mtime set to 0, mtimecmp left as it was
 * (0 at power-on), then every MTIP re-evaluated, so MTIP is pending after
 * power-on until firmware programs mtimecmp, exactly as on QEMU's virt.
 */
#include "hw/intc/clint.h"
#include "hw/registry.h"

#include <libfdt.h>
#include <stdio.h>

#include <stdlib.h>

typedef struct ClintHart {
    Clint *clint;
    unsigned index;
    CoreTimer timer;
    CoreIrq mti, msi;
} ClintHart;

struct Clint {
    /* Saved state. */
    uint32_t msip[CORE_MAX_CPUS];
    uint64_t mtimecmp[CORE_MAX_CPUS];
    uint64_t time_delta;

    /* Host handles. */
    CoreMachine *m;
    unsigned nharts;
    ClintHart hart[CORE_MAX_CPUS];
};

static uint64_t now_ticks(const Clint *c)
{
    return core_clock_ns(c->m) / HW_CLINT_NS_PER_TICK;
}

uint64_t hw_clint_mtime(const Clint *c)
{
    return now_ticks(c) + c->time_delta;
}

/* Set hart i's MTIP from the comparison and arm its timer for the moment
   the comparison turns true. */
static void update_timer(Clint *c, unsigned i)
{
    ClintHart *h = &c->hart[i];
    uint64_t ticks = now_ticks(c);
    uint64_t mtime = ticks + c->time_delta;
    uint64_t cmp = c->mtimecmp[i];

    if (h->timer.armed) {
        core_timer_cancel(c->m, &h->timer);
    }
    if (mtime >= cmp) {
        core_irq_set(&h->mti, 1);
        return;
    }
    core_irq_set(&h->mti, 0);
    uint64_t wait = cmp - mtime;
    if (wait > UINT64_MAX / HW_CLINT_NS_PER_TICK - ticks) {
        return;   /* beyond the end of 64-bit virtual time: never */
    }
    core_timer_arm(c->m, &h->timer, (ticks + wait) * HW_CLINT_NS_PER_TICK);
}

static void clint_timer_fired(void *opaque)
{
    ClintHart *h = opaque;
    update_timer(h->clint, h->index);
}

static void set_msip(Clint *c, unsigned i, uint32_t value)
{
    if (i < c->nharts) {
        c->msip[i] = value & 1;
        core_irq_set(&c->hart[i].msi, (int)(value & 1));
    }
}

/* The 64-bit register (or msip pair) at 8-aligned offset off. */
static uint64_t get64(const Clint *c, uint64_t off)
{
    if (off < HW_CLINT_MTIMECMP) {
        unsigned i = (unsigned)(off / 4);
        uint64_t lo = i < c->nharts ? c->msip[i] : 0;
        uint64_t hi = i + 1 < c->nharts ? c->msip[i + 1] : 0;
        return lo | hi << 32;
    }
    if (off < HW_CLINT_MTIMECMP + 8ull * c->nharts) {
        return c->mtimecmp[(off - HW_CLINT_MTIMECMP) / 8];
    }
    if (off == HW_CLINT_MTIME) {
        return hw_clint_mtime(c);
    }
    return 0;
}

/* Write the bytes of `value` selected by `mask` into the register at off. */
static void set64(Clint *c, uint64_t off, uint64_t value, uint64_t mask)
{
    uint64_t v = (get64(c, off) & ~mask) | (value & mask);

    if (off < HW_CLINT_MTIMECMP) {
        unsigned i = (unsigned)(off / 4);
        if (mask & 0xffffffffull) {
            set_msip(c, i, (uint32_t)v);
        }
        if (mask >> 32) {
            set_msip(c, i + 1, (uint32_t)(v >> 32));
        }
    } else if (off < HW_CLINT_MTIMECMP + 8ull * c->nharts) {
        unsigned i = (unsigned)((off - HW_CLINT_MTIMECMP) / 8);
        c->mtimecmp[i] = v;
        update_timer(c, i);
    } else if (off == HW_CLINT_MTIME) {
        c->time_delta = v - now_ticks(c);
        for (unsigned i = 0; i < c->nharts; i++) {
            update_timer(c, i);
        }
    }
}

static uint64_t clint_read(void *opaque, uint64_t offset, unsigned size)
{
    uint64_t v = get64(opaque, offset & ~7ull);
    if (size == 8) {
        return v;
    }
    return (uint32_t)(v >> (8 * (offset & 4)));
}

static void clint_write(void *opaque, uint64_t offset, uint64_t value,
                        unsigned size)
{
    if (size == 8) {
        set64(opaque, offset, value, UINT64_MAX);
    } else {
        unsigned shift = 8 * (offset & 4);
        set64(opaque, offset & ~7ull, (value & 0xffffffffull) << shift,
              0xffffffffull << shift);
    }
}

static const CoreMemOps clint_mem_ops = {
    .name = "clint",
    .read = clint_read,
    .write = clint_write,
    .min_access = 4,
    .max_access = 8,
};

static void clint_reset(void *opaque)
{
    Clint *c = opaque;

    for (unsigned i = 0; i < c->nharts; i++) {
        set_msip(c, i, 0);
    }
    c->time_delta = 0 - now_ticks(c);
    for (unsigned i = 0; i < c->nharts; i++) {
        update_timer(c, i);
    }
}

static bool clint_post_load(void *opaque)
{
    Clint *c = opaque;

    for (unsigned i = 0; i < CORE_MAX_CPUS; i++) {
        if (c->msip[i] > 1 || (i >= c->nharts && c->msip[i])) {
            return false;
        }
    }
    for (unsigned i = 0; i < c->nharts; i++) {
        core_irq_set(&c->hart[i].msi, (int)c->msip[i]);
        update_timer(c, i);
    }
    return true;
}

static const CoreStateField clint_fields[] = {
    CORE_STATE_ARRAY(Clint, msip),
    CORE_STATE_ARRAY(Clint, mtimecmp),
    CORE_STATE_FIELD(Clint, time_delta),
    CORE_STATE_END
};

static const CoreStateDesc clint_state = {
    .name = "clint",
    .version = 1,
    .fields = clint_fields,
    .post_load = clint_post_load,
};

static const CoreDeviceOps clint_ops = {
    .name = "clint",
    .reset = clint_reset,
    .state = &clint_state,
    .free = free,
};

Clint *hw_clint_create(CoreMachine *m, gpa_t base, unsigned nharts,
                       const CoreIrq *mti, const CoreIrq *msi)
{
    if (nharts == 0 || nharts > CORE_MAX_CPUS) {
        return NULL;
    }
    Clint *c = calloc(1, sizeof(*c));
    if (!c) {
        return NULL;
    }
    c->m = m;
    c->nharts = nharts;
    for (unsigned i = 0; i < nharts; i++) {
        ClintHart *h = &c->hart[i];
        h->clint = c;
        h->index = i;
        h->mti = mti[i];
        h->msi = msi[i];
        core_timer_init(&h->timer, clint_timer_fired, h);
    }
    if (!core_mem_map_mmio(m->as, "clint", base, HW_CLINT_SIZE, &clint_mem_ops, c)) {
        free(c);
        return NULL;
    }
    core_machine_add_device(m, &clint_ops, c, "clint");
    clint_reset(c);
    return c;
}

/* Privileged spec 3.1.9: mip bits of the machine software and timer
   interrupts, the lines the CLINT drives on every hart. */
#define MIP_MSI 3
#define MIP_MTI 7

static void *clint_dev_create(const HwDeviceArgs *a, char *err, size_t errlen)
{
    CoreIrq mti[CORE_MAX_CPUS], msi[CORE_MAX_CPUS];
    for (unsigned h = 0; h < a->nharts && h < CORE_MAX_CPUS; h++) {
        mti[h] = a->hart_irq(a->board, h, MIP_MTI);
        msi[h] = a->hart_irq(a->board, h, MIP_MSI);
    }
    Clint *c = hw_clint_create(a->m, a->base, a->nharts, mti, msi);
    if (!c) {
        snprintf(err, errlen, "cannot map the CLINT at 0x%llx",
                 (unsigned long long)a->base);
    }
    return c;
}

static int clint_fdt(void *fdt, int parent, const HwDeviceArgs *a)
{
    static const char compat[] = "sifive,clint0\0riscv,clint0";
    int node = hw_fdt_mmio_node(fdt, parent, "clint", compat,
                                sizeof(compat), a);
    int rc = node < 0 ? node : 0;
    fdt32_t ext[4 * CORE_MAX_CPUS];
    for (unsigned h = 0; h < a->nharts; h++) {
        ext[4 * h + 0] = cpu_to_fdt32(a->cpu_phandle + h);
        ext[4 * h + 1] = cpu_to_fdt32(MIP_MSI);
        ext[4 * h + 2] = cpu_to_fdt32(a->cpu_phandle + h);
        ext[4 * h + 3] = cpu_to_fdt32(MIP_MTI);
    }
    rc |= fdt_setprop(fdt, node, "interrupts-extended", ext,
                      a->nharts * 4 * sizeof(fdt32_t));
    return rc;
}

const HwDeviceType hw_clint_type = {
    .name = "clint",
    .desc = "SiFive CLINT / ACLINT MSWI+MTIMER: msip, mtimecmp, mtime "
            "(10 MHz of virtual time)",
    .category = HW_CAT_INTC,
    .bus = HW_BUS_SYSTEM,
    .mmio_size = HW_CLINT_SIZE,
    .create = clint_dev_create,
    .fdt_node = clint_fdt,
};
