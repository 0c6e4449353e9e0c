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
