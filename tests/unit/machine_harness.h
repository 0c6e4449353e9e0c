/*
 * machine_harness.h - what device and machine unit tests do to a machine
 * without running a CPU: build it, touch its MMIO registers as a load or
 * store would, advance its clock, find a device, and check that a state
 * record survives save, reset and load unchanged.
 *
 *     CoreMachine *m = th_machine(&cfg);          // board and devices
 *     th_mmio_write(m, UART + 3, 0x80, 1);
 *     CHECK(th_mmio_read(m, UART + 5, 1) == 0x60);
 *     th_run_to(m, 1000);                         // timers due by then fire
 *     CHECK(th_device_round_trip(m, "uart0"));
 *
 * A single-file test includes it once, like check.h.
 */
#ifndef TESTS_UNIT_MACHINE_HARNESS_H
#define TESTS_UNIT_MACHINE_HARNESS_H

#include "core/clock.h"
#include "core/machine.h"
#include "core/mem.h"
#include "core/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The machine cfg describes, board included; the test stops if it cannot
   be built. */
static inline CoreMachine *th_machine(const CoreConfig *cfg)
{
    CoreMachine *m = core_machine_new(cfg);
    char err[256] = "";
    if (!m || !core_machine_init(m, err, sizeof(err))) {
        fprintf(stderr, "machine: %s\n", err);
        exit(1);
    }
    return m;
}

/* An empty machine (address space, clock, input queues, no board) for
   tests that attach their devices by hand. */
static inline CoreMachine *th_bare_machine(const CoreConfig *cfg)
{
    CoreMachine *m = core_machine_new(cfg);
    if (!m) {
        abort();
    }
    return m;
}

/* A device register access of `size` bytes; reads of anything but a
   device read all ones, writes to it are dropped (the test's checks then
   fail instead of crashing). */
static inline uint64_t th_mmio_read(CoreMachine *m, gpa_t addr, unsigned size)
{
    CoreMemRegion *r = core_mem_find(m->as, addr);
    if (!r || r->kind != CORE_MEM_MMIO) {
        return ~0ull;
    }
    return r->ops->read(r->opaque, addr - r->base, size);
}

static inline void th_mmio_write(CoreMachine *m, gpa_t addr, uint64_t value,
                                 unsigned size)
{
    CoreMemRegion *r = core_mem_find(m->as, addr);
    if (r && r->kind == CORE_MEM_MMIO) {
        r->ops->write(r->opaque, addr - r->base, value, size);
    }
}

/* Run the clock to `icount` and fire what expired, as the run loop does. */
static inline void th_run_to(CoreMachine *m, uint64_t icount)
{
    m->icount = icount;
    core_timer_run_expired(m);
}

static inline CoreDevice *th_device(CoreMachine *m, const char *id)
{
    for (unsigned i = 0; i < m->ndevices; i++) {
        if (strcmp(m->devices[i].id, id) == 0) {
            return &m->devices[i];
        }
    }
    return NULL;
}

/* save, reset, load, save: the two saves must be identical. */
static inline bool th_round_trip(const CoreStateDesc *desc, void *opaque,
                                 void (*reset)(void *opaque))
{
    CoreBuf b1 = { 0 }, b2 = { 0 };
    size_t pos = 0;
    char err[256] = "";

    core_state_save(desc, opaque, &b1);
    if (reset) {
        reset(opaque);
    }
    int rc = core_state_load(desc, opaque, b1.data, b1.len, &pos, err,
                             sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "  load failed: %s\n", err);
    }
    core_state_save(desc, opaque, &b2);
    bool same = rc == 0 && pos == b1.len && b1.len == b2.len &&
                memcmp(b1.data, b2.data, b1.len) == 0;
    core_buf_free(&b1);
    core_buf_free(&b2);
    return same;
}

static inline bool th_device_round_trip(CoreMachine *m, const char *id)
{
    CoreDevice *d = th_device(m, id);
    return d && d->ops->state &&
           th_round_trip(d->ops->state, d->opaque, d->ops->reset);
}

#endif
