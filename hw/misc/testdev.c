/*
 * rewind's test device ("rewind,testdev"): a few registers that exist
 * only so that tests can prove a device added with -device is built from
 * its registry row, takes properties, saves its state and appears in the
 * device tree. It is the worked example of docs/architecture.md's "How to
 * add a device": this file and one line in hw/devices.c, nothing else.
 *
 *     rewind run ... -device testdev,reg=0x1234,step=3,id=td0
 *
 * Registers (4- or 8-byte accesses, 64 bits wide):
 *     0x00 MAGIC  read-only, HW_TESTDEV_MAGIC
 *     0x08 REG    read/write; starts at the `reg` property; writes are
 *                 ignored while `locked` is on
 *     0x10 COUNT  read-only; grows by `step` on every write to REG
 *     0x18 STEP   read-only, the `step` property
 * Other offsets read 0 and ignore writes.
 *
 * REG and COUNT are guest-visible state, saved through CoreStateDesc; the
 * properties are configuration (the command line, which a replay parses
 * again) and are not saved.
 */
#include "hw/registry.h"

#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>

#define HW_TESTDEV_SIZE  0x1000
#define HW_TESTDEV_MAGIC 0x52574454u   /* "RWDT" */

enum { PROP_REG, PROP_STEP, PROP_LOCKED };

static const HwProp testdev_props[] = {
    [PROP_REG] = { "reg", HW_PROP_UINT, NULL, "value of REG after reset" },
    [PROP_STEP] = { "step", HW_PROP_UINT, "1",
                    "what each write to REG adds to COUNT" },
    [PROP_LOCKED] = { "locked", HW_PROP_BOOL, "off",
                      "ignore the guest's writes to REG" },
    { NULL, 0, NULL, NULL },
};

typedef struct TestDev {
    /* Saved state. */
    uint64_t reg;
    uint64_t count;
    /* Configuration (properties). */
    uint64_t reset_reg;
    uint64_t step;
    bool locked;
} TestDev;

static uint64_t testdev_read(void *opaque, uint64_t offset, unsigned size)
{
    TestDev *d = opaque;
    (void)size;
    switch (offset) {
    case 0x00: return HW_TESTDEV_MAGIC;
    case 0x08: return d->reg;
    case 0x10: return d->count;
    case 0x18: return d->step;
    default: return 0;
    }
}

static void testdev_write(void *opaque, uint64_t offset, uint64_t value,
                          unsigned size)
{
    TestDev *d = opaque;
    (void)size;
    if (offset == 0x08) {
        if (!d->locked) {
            d->reg = value;
        }
        d->count += d->step;
    }
}

static const CoreMemOps testdev_mem_ops = {
    .name = "testdev",
    .read = testdev_read,
    .write = testdev_write,
    .min_access = 4,
    .max_access = 8,
};

static void testdev_reset(void *opaque)
{
    TestDev *d = opaque;
    d->reg = d->reset_reg;
    d->count = 0;
}

static const CoreStateField testdev_fields[] = {
    CORE_STATE_FIELD(TestDev, reg),
    CORE_STATE_FIELD(TestDev, count),
    CORE_STATE_END
};

static const CoreStateDesc testdev_state = {
    .name = "testdev",
    .version = 1,
    .fields = testdev_fields,
};

static const CoreDeviceOps testdev_ops = {
    .name = "testdev",
    .reset = testdev_reset,
    .state = &testdev_state,
    .free = free,
};

static void *testdev_create(const HwDeviceArgs *a, char *err, size_t errlen)
{
    TestDev *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->reset_reg = a->props[PROP_REG].u;
    d->step = a->props[PROP_STEP].u;
    d->locked = a->props[PROP_LOCKED].u;
    if (!core_mem_map_mmio(a->m->as, "testdev", a->base, HW_TESTDEV_SIZE,
                           &testdev_mem_ops, d)) {
        snprintf(err, errlen, "cannot map testdev '%s' at 0x%llx", a->id,
                 (unsigned long long)a->base);
        free(d);
        return NULL;
    }
    core_machine_add_device(a->m, &testdev_ops, d, a->id);
    testdev_reset(d);
    return d;
}

static int testdev_fdt(void *fdt, int parent, const HwDeviceArgs *a)
{
    int node = hw_fdt_mmio_node(fdt, parent, "testdev", "rewind,testdev",
                                sizeof("rewind,testdev"), a);
    int rc = node < 0 ? node : 0;
    rc |= fdt_setprop_string(fdt, node, "label", a->id);
    return rc < 0 || node < 0 ? -1 : 0;
}

const HwDeviceType hw_testdev_type = {
    .name = "testdev",
    .desc = "rewind's test device: registers MAGIC, REG, COUNT, STEP",
    .category = HW_CAT_TEST,
    .bus = HW_BUS_SYSTEM,
    .user_creatable = true,
    .mmio_size = HW_TESTDEV_SIZE,
    .props = testdev_props,
    .create = testdev_create,
    .fdt_node = testdev_fdt,
};
