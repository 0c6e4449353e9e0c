/*
 * RISC-V PLIC (RISC-V PLIC specification 1.0.0), laid out like QEMU's
 * sifive_plic on the virt board: 96 sources, 3 priority bits, contexts
 * "MS" per hart. Only 32-bit accesses reach it (spec §"Memory Map").
 *
 * Each source has a level-sensitive gateway (spec §"Interrupt Gateways"):
 * a high line not already in service sets the source's pending (IP) bit; a
 * claim clears IP and marks the source in service; while in service the
 * gateway forwards nothing; a completion ends the service and, if the line
 * is still high, forwards a new request at once. A request, once
 * forwarded, is never retracted: IP stays set if the line drops before the
 * claim. So, always: (level & ~in_service) is a subset of pending, and
 * pending and in_service never overlap. post_load checks both.
 *
 * A context's output (its EIP bit) is high while some source is pending,
 * enabled for it and of priority above its threshold. A claim returns the
 * highest such source, ties going to the lowest id, or 0. The claim obeys
 * the threshold as QEMU's does (the spec's text says a claim ignores it;
 * Linux never claims below its threshold, so the two agree in practice).
 * A completion for a source not enabled in that context is ignored, as
 * the spec says (§"Interrupt Completion"); Linux relies on this when it
 * completes a masked interrupt.
 *
 * Pending bits are read-only, bit 0 of every bitmap (the nonexistent
 * source 0) reads 0, priorities and thresholds keep their low 3 bits
 * (WARL). Registers of contexts that do not exist read 0 and ignore
 * writes. Reset clears every register but keeps the input levels (they
 * belong to the devices), so a line still high is pending again at once.
 */
#include "hw/intc/plic.h"
#include "hw/registry.h"

#include <libfdt.h>
#include <stdio.h>

#include <assert.h>
#include <stdlib.h>

#define WORDS (HW_PLIC_NUM_SOURCES / 32)
_Static_assert(HW_PLIC_NUM_SOURCES % 32 == 0, "whole bitmap words");

struct Plic {
    /* Saved state. */
    uint32_t priority[HW_PLIC_NUM_SOURCES];
    uint32_t pending[WORDS];          /* IP: requests the gateways forwarded */
    uint32_t in_service[WORDS];       /* claimed, completion not seen yet */
    uint32_t level[WORDS];            /* input line levels */
    uint32_t enable[HW_PLIC_MAX_CONTEXTS][WORDS];
    uint32_t threshold[HW_PLIC_MAX_CONTEXTS];

    /* Host handles. */
    CoreMachine *m;
    unsigned ncontexts;
    CoreIrq out[HW_PLIC_MAX_CONTEXTS];
};

/* Every gateway whose line is high and that is not in service forwards a
   request. */
static void run_gateways(Plic *p)
{
    for (unsigned w = 0; w < WORDS; w++) {
        p->pending[w] |= p->level[w] & ~p->in_service[w];
    }
}

/* The source a claim by `ctx` would return now, or 0. */
static unsigned best_source(const Plic *p, unsigned ctx)
{
    uint32_t best_prio = p->threshold[ctx];
    unsigned best = 0;

    for (unsigned w = 0; w < WORDS; w++) {
        uint32_t bits = p->pending[w] & p->enable[ctx][w];
        while (bits) {
            unsigned src = 32 * w + (unsigned)__builtin_ctz(bits);
            bits &= bits - 1;
            /* Strictly greater: equal priorities go to the lower id. */
            if (p->priority[src] > best_prio) {
                best_prio = p->priority[src];
                best = src;
            }
        }
    }
    return best;
}

static void update_outputs(Plic *p)
{
    for (unsigned ctx = 0; ctx < p->ncontexts; ctx++) {
        core_irq_set(&p->out[ctx], best_source(p, ctx) != 0);
    }
}

static bool bit(const uint32_t *map, unsigned src)
{
    return (map[src / 32] >> (src % 32)) & 1;
}

/* Tells the machine's observer (core/observe.h), if any. */
static inline void observe(const Plic *p, unsigned src, CoreIrqEventKind kind,
                           int ctx)
{
    const CoreObserver *o = p->m->observer;
    if (CORE_UNLIKELY(o != NULL) && o->irq) {
        o->irq(o->opaque, p->m->icount, src, kind, ctx);
    }
}

static void set_level(void *opaque, int n, int level)
{
    Plic *p = opaque;
    unsigned src = (unsigned)n;
    uint32_t mask = 1u << (src % 32);

    if ((bit(p->level, src) != 0) != (level != 0)) {
        observe(p, src, level ? CORE_IRQ_RAISE : CORE_IRQ_LOWER, -1);
    }
    if (level) {
        p->level[src / 32] |= mask;
    } else {
        p->level[src / 32] &= ~mask;
    }
    run_gateways(p);
    update_outputs(p);
}

CoreIrq hw_plic_source(Plic *p, unsigned src)
{
    assert(src >= 1 && src < HW_PLIC_NUM_SOURCES);
    return core_irq_make(set_level, p, (int)src);
}

static uint32_t claim(Plic *p, unsigned ctx)
{
    unsigned src = best_source(p, ctx);

    if (src) {
        p->pending[src / 32] &= ~(1u << (src % 32));
        p->in_service[src / 32] |= 1u << (src % 32);
        update_outputs(p);
        observe(p, src, CORE_IRQ_CLAIM, (int)ctx);
    }
    return src;
}

static void complete(Plic *p, unsigned ctx, uint32_t src)
{
    if (src == 0 || src >= HW_PLIC_NUM_SOURCES || !bit(p->enable[ctx], src)) {
        return;
    }
    p->in_service[src / 32] &= ~(1u << (src % 32));
    observe(p, src, CORE_IRQ_COMPLETE, (int)ctx);
    run_gateways(p);
    update_outputs(p);
}

/* The context whose register block holds offset `off` (threshold and
   claim blocks), or -1 if that context does not exist. */
static int context_of(const Plic *p, uint64_t off)
{
    uint64_t ctx = (off - HW_PLIC_CONTEXT) / HW_PLIC_CONTEXT_STRIDE;
    return ctx < p->ncontexts ? (int)ctx : -1;
}

static uint64_t plic_read(void *opaque, uint64_t off, unsigned size)
{
    Plic *p = opaque;

    (void)size;
    if (off < HW_PLIC_PENDING) {
        uint64_t src = off / 4;
        return src < HW_PLIC_NUM_SOURCES ? p->priority[src] : 0;
    }
    if (off < HW_PLIC_ENABLE) {
        uint64_t w = (off - HW_PLIC_PENDING) / 4;
        return w < WORDS ? p->pending[w] : 0;
    }
    if (off < HW_PLIC_CONTEXT) {
        uint64_t ctx = (off - HW_PLIC_ENABLE) / HW_PLIC_ENABLE_STRIDE;
        uint64_t w = (off % HW_PLIC_ENABLE_STRIDE) / 4;
        return ctx < p->ncontexts && w < WORDS ? p->enable[ctx][w] : 0;
    }
    int ctx = context_of(p, off);
    if (ctx < 0) {
        return 0;
    }
    switch (off % HW_PLIC_CONTEXT_STRIDE) {
    case HW_PLIC_THRESHOLD:
        return p->threshold[ctx];
    case HW_PLIC_CLAIM:
        return claim(p, (unsigned)ctx);
    default:
        return 0;
    }
}

static void plic_write(void *opaque, uint64_t off, uint64_t value,
                       unsigned size)
{
    Plic *p = opaque;
    uint32_t v = (uint32_t)value;

    (void)size;
    if (off < HW_PLIC_PENDING) {
        uint64_t src = off / 4;
        if (src >= 1 && src < HW_PLIC_NUM_SOURCES) {
            p->priority[src] = v & HW_PLIC_MAX_PRIORITY;
            update_outputs(p);
        }
        return;
    }
    if (off < HW_PLIC_ENABLE) {
        return;   /* pending bits are read-only */
    }
    if (off < HW_PLIC_CONTEXT) {
        uint64_t ctx = (off - HW_PLIC_ENABLE) / HW_PLIC_ENABLE_STRIDE;
        uint64_t w = (off % HW_PLIC_ENABLE_STRIDE) / 4;
        if (ctx < p->ncontexts && w < WORDS) {
            p->enable[ctx][w] = w == 0 ? v & ~1u : v;
            update_outputs(p);
        }
        return;
    }
    int ctx = context_of(p, off);
    if (ctx < 0) {
        return;
    }
    switch (off % HW_PLIC_CONTEXT_STRIDE) {
    case HW_PLIC_THRESHOLD:
        p->threshold[ctx] = v & HW_PLIC_MAX_PRIORITY;
        update_outputs(p);
        break;
    case HW_PLIC_CLAIM:
        complete(p, (unsigned)ctx, v);
        break;
    default:
        break;
    }
}

static const CoreMemOps plic_mem_ops = {
    .name = "plic",
    .read = plic_read,
    .write = plic_write,
    .min_access = 4,
    .max_access = 4,
};

static void plic_reset(void *opaque)
{
    Plic *p = opaque;

    for (unsigned src = 0; src < HW_PLIC_NUM_SOURCES; src++) {
        p->priority[src] = 0;
    }
    for (unsigned w = 0; w < WORDS; w++) {
        p->pending[w] = 0;
        p->in_service[w] = 0;
        for (unsigned ctx = 0; ctx < HW_PLIC_MAX_CONTEXTS; ctx++) {
            p->enable[ctx][w] = 0;
        }
    }
    for (unsigned ctx = 0; ctx < HW_PLIC_MAX_CONTEXTS; ctx++) {
        p->threshold[ctx] = 0;
    }
    run_gateways(p);
    update_outputs(p);
}

static bool plic_post_load(void *opaque)
{
    Plic *p = opaque;

    if (p->priority[0] != 0) {
        return false;
    }
    for (unsigned src = 1; src < HW_PLIC_NUM_SOURCES; src++) {
        if (p->priority[src] > HW_PLIC_MAX_PRIORITY) {
            return false;
        }
    }
    if ((p->pending[0] | p->in_service[0] | p->level[0]) & 1) {
        return false;
    }
    for (unsigned w = 0; w < WORDS; w++) {
        if ((p->pending[w] & p->in_service[w]) ||
            (p->level[w] & ~p->in_service[w] & ~p->pending[w])) {
            return false;   /* not a state the gateways can reach */
        }
    }
    for (unsigned ctx = 0; ctx < HW_PLIC_MAX_CONTEXTS; ctx++) {
        bool exists = ctx < p->ncontexts;
        if (p->threshold[ctx] > HW_PLIC_MAX_PRIORITY ||
            (!exists && p->threshold[ctx]) || (p->enable[ctx][0] & 1)) {
            return false;
        }
        for (unsigned w = 0; w < WORDS; w++) {
            if (!exists && p->enable[ctx][w]) {
                return false;
            }
        }
    }
    update_outputs(p);
    return true;
}

static const CoreStateField plic_fields[] = {
    CORE_STATE_ARRAY(Plic, priority),
    CORE_STATE_ARRAY(Plic, pending),
    CORE_STATE_ARRAY(Plic, in_service),
    CORE_STATE_ARRAY(Plic, level),
    CORE_STATE_ARRAY(Plic, enable),
    CORE_STATE_ARRAY(Plic, threshold),
    CORE_STATE_END
};

static const CoreStateDesc plic_state = {
    .name = "plic",
    .version = 1,
    .fields = plic_fields,
    .post_load = plic_post_load,
};

static const CoreDeviceOps plic_ops = {
    .name = "plic",
    .reset = plic_reset,
    .state = &plic_state,
    .free = free,
};

Plic *hw_plic_create(CoreMachine *m, gpa_t base, unsigned nharts,
                     const CoreIrq *ctx_lines)
{
    if (nharts == 0 || nharts > CORE_MAX_CPUS) {
        return NULL;
    }
    Plic *p = calloc(1, sizeof(*p));
    if (!p) {
        return NULL;
    }
    p->m = m;
    p->ncontexts = 2 * nharts;
    for (unsigned ctx = 0; ctx < p->ncontexts; ctx++) {
        p->out[ctx] = ctx_lines[ctx];
    }
    if (!core_mem_map_mmio(m->as, "plic", base, HW_PLIC_SIZE, &plic_mem_ops,
                           p)) {
        free(p);
        return NULL;
    }
    core_machine_add_device(m, &plic_ops, p, "plic");
    plic_reset(p);
    return p;
}

/* Privileged spec 3.1.9: mip bits of the external interrupts, M and S. */
#define MIP_SEI 9
#define MIP_MEI 11

static void *plic_dev_create(const HwDeviceArgs *a, char *err, size_t errlen)
{
    CoreIrq ctx[HW_PLIC_MAX_CONTEXTS];
    for (unsigned h = 0; h < a->nharts && h < CORE_MAX_CPUS; h++) {
        ctx[2 * h] = a->hart_irq(a->board, h, MIP_MEI);
        ctx[2 * h + 1] = a->hart_irq(a->board, h, MIP_SEI);
    }
    Plic *p = hw_plic_create(a->m, a->base, a->nharts, ctx);
    if (!p) {
        snprintf(err, errlen, "cannot map the PLIC at 0x%llx",
                 (unsigned long long)a->base);
    }
    return p;
}

static int plic_fdt(void *fdt, int parent, const HwDeviceArgs *a)
{
    static const char compat[] = "sifive,plic-1.0.0\0riscv,plic0";
    int node = hw_fdt_node(fdt, parent, "plic", a);
    int rc = node < 0 ? node : 0;
    rc |= fdt_setprop_u32(fdt, node, "#interrupt-cells", 1);
    rc |= fdt_setprop_u32(fdt, node, "#address-cells", 0);
    rc |= fdt_setprop(fdt, node, "compatible", compat, sizeof(compat));
    rc |= fdt_setprop(fdt, node, "interrupt-controller", NULL, 0);
    fdt32_t pe[4 * CORE_MAX_CPUS];
    for (unsigned h = 0; h < a->nharts; h++) {
        pe[4 * h + 0] = cpu_to_fdt32(a->cpu_phandle + h);
        pe[4 * h + 1] = cpu_to_fdt32(MIP_MEI);
        pe[4 * h + 2] = cpu_to_fdt32(a->cpu_phandle + h);
        pe[4 * h + 3] = cpu_to_fdt32(MIP_SEI);
    }
    rc |= fdt_setprop(fdt, node, "interrupts-extended", pe,
                      a->nharts * 4 * sizeof(fdt32_t));
    rc |= fdt_appendprop_addrrange(fdt, parent, node, "reg", a->base, a->size);
    rc |= fdt_setprop_u32(fdt, node, "riscv,ndev", HW_PLIC_NDEV);
    rc |= fdt_setprop_u32(fdt, node, "phandle", a->phandle);
    return rc;
}

const HwDeviceType hw_plic_type = {
    .name = "plic",
    .desc = "Platform-level interrupt controller: 95 sources, an M and an "
            "S context per hart",
    .category = HW_CAT_INTC,
    .bus = HW_BUS_SYSTEM,
    .mmio_size = HW_PLIC_SIZE,
    .create = plic_dev_create,
    .fdt_node = plic_fdt,
};
