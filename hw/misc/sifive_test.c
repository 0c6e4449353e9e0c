/*
 * SiFive test finisher, behaving like QEMU's hw/misc/sifive_test.c.
 *
 * One 32-bit register at offset 0. The low 16 bits select the action
 * (HW_SIFIVE_TEST_*); for FAIL the high 16 bits are the exit status the
 * run reports. Other values and offsets are ignored, reads return 0.
 * Accesses of 2 or 4 bytes, as QEMU allows.
 *
 * The device has no state of its own: the exit request lives in the
 * machine (core_machine_request_exit), so it registers no state record.
 */
#include "hw/misc/sifive_test.h"
#include "hw/registry.h"

#include <libfdt.h>
#include <stdio.h>

#include <stdlib.h>

struct SifiveTest {
    /* Host handles (no saved state). */
    CoreMachine *m;
};

static uint64_t sifive_test_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)opaque;
    (void)offset;
    (void)size;
    return 0;
}

static void sifive_test_write(void *opaque, uint64_t offset, uint64_t value,
                              unsigned size)
{
    SifiveTest *t = opaque;

    (void)size;
    if (offset != 0) {
        return;
    }
    switch (value & 0xffff) {
    case HW_SIFIVE_TEST_PASS:
        core_machine_request_exit(t->m, CORE_EXIT_POWEROFF, 0);
        break;
    case HW_SIFIVE_TEST_FAIL:
        core_machine_request_exit(t->m, CORE_EXIT_FAIL, (int)((value >> 16) & 0xffff));
        break;
    case HW_SIFIVE_TEST_RESET:
        core_machine_request_exit(t->m, CORE_EXIT_RESET, 0);
        break;
    default:
        break;
    }
}

static const CoreMemOps sifive_test_mem_ops = {
    .name = "sifive_test",
    .read = sifive_test_read,
    .write = sifive_test_write,
    .min_access = 2,
    .max_access = 4,
};

static void sifive_test_reset(void *opaque)
{
    (void)opaque;   /* nothing to reset */
}

static const CoreDeviceOps sifive_test_ops = {
    .name = "sifive_test",
    .reset = sifive_test_reset,
    .state = NULL,
    .free = free,
};

SifiveTest *hw_sifive_test_create(CoreMachine *m, gpa_t base)
{
    SifiveTest *t = calloc(1, sizeof(*t));
    if (!t) {
        return NULL;
    }
    t->m = m;
    if (!core_mem_map_mmio(m->as, "sifive_test", base, HW_SIFIVE_TEST_SIZE,
                           &sifive_test_mem_ops, t)) {
        free(t);
        return NULL;
    }
    core_machine_add_device(m, &sifive_test_ops, t, "sifive_test");
    return t;
}

static void *sifive_test_dev_create(const HwDeviceArgs *a, char *err,
                                    size_t errlen)
{
    SifiveTest *t = hw_sifive_test_create(a->m, a->base);
    if (!t) {
        snprintf(err, errlen, "cannot map the test finisher at 0x%llx",
                 (unsigned long long)a->base);
    }
    return t;
}

/* The finisher, and poweroff and reboot through it as syscon nodes. */
static int sifive_test_fdt(void *fdt, int parent, const HwDeviceArgs *a)
{
    static const char compat[] = "sifive,test1\0sifive,test0\0syscon";
    static const struct { const char *name, *compat; uint32_t value; } sys[] = {
        { "reboot", "syscon-reboot", HW_SIFIVE_TEST_RESET },
        { "poweroff", "syscon-poweroff", HW_SIFIVE_TEST_PASS },
    };
    int node = hw_fdt_mmio_node(fdt, parent, "test", compat,
                                sizeof(compat), a);
    int rc = node < 0 ? node : 0;
    rc |= fdt_setprop_u32(fdt, node, "phandle", a->phandle);
    for (unsigned i = 0; i < 2; i++) {
        node = fdt_add_subnode(fdt, parent, sys[i].name);
        rc |= fdt_setprop_u32(fdt, node, "value", sys[i].value);
        rc |= fdt_setprop_u32(fdt, node, "offset", 0);
        rc |= fdt_setprop_u32(fdt, node, "regmap", a->phandle);
        rc |= fdt_setprop_string(fdt, node, "compatible", sys[i].compat);
    }
    return rc;
}

const HwDeviceType hw_sifive_test_type = {
    .name = "sifive_test",
    .desc = "SiFive test finisher: 0x5555 pass, (code << 16) | 0x3333 "
            "fail, 0x7777 reset",
    .category = HW_CAT_MISC,
    .bus = HW_BUS_SYSTEM,
    .mmio_size = HW_SIFIVE_TEST_SIZE,
    .create = sifive_test_dev_create,
    .fdt_node = sifive_test_fdt,
};
