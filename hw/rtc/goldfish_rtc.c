/*
 * Goldfish RTC, register-compatible with QEMU's hw/rtc/goldfish_rtc.c
 * (the Android emulator's "goldfish" timer, Linux drivers/rtc/rtc-goldfish.c).
 *
 * Time is not stored: it is base + virtual ns + time_offset (mod 2^64),
 * where base is the wall clock at virtual time 0 from the input door and
 * time_offset changes only when the guest writes TIME_LOW / TIME_HIGH.
 * Reading TIME_LOW samples the whole 64-bit time and latches its high half
 * for the next TIME_HIGH read, so a LOW-then-HIGH pair is consistent.
 *
 * Alarm: writing ALARM_LOW arms it for the time in ALARM_HIGH:ALARM_LOW.
 * A time already reached raises the interrupt at once; otherwise a
 * virtual-time timer fires when the clock gets there. As in QEMU, the
 * deadline is fixed in virtual time when the alarm is armed (a later write
 * of the time does not move it), and it is saved as such. The interrupt is
 * a sticky pending bit, cleared by CLEAR_INTERRUPT; the line is
 * pending && IRQ_ENABLED. ALARM_STATUS reads 1 while an alarm is armed;
 * CLEAR_ALARM disarms it.
 *
 * Reset, as in QEMU, disarms the alarm and clears ALARM_*, IRQ_ENABLED and
 * the pending bit but keeps the time (the guest's offset and the latch).
 */
#include "hw/rtc/goldfish_rtc.h"
#include "hw/registry.h"

#include <libfdt.h>
#include <stdio.h>

#include <stdlib.h>

#define NO_DEADLINE UINT64_MAX

struct GoldfishRtc {
    /* Saved state. */
    uint64_t time_offset;      /* added by guest writes of the time */
    uint64_t alarm_next;       /* ALARM_HIGH:ALARM_LOW */
    uint64_t alarm_deadline;   /* virtual ns the armed alarm fires at, or
                                  NO_DEADLINE when not armed */
    uint32_t time_high;        /* latched by reading TIME_LOW */
    uint32_t irq_enabled;
    uint32_t irq_pending;

    /* Host handles. */
    CoreMachine *m;
    CoreIrq irq;
    CoreInput *input;
    CoreTimer timer;
};

static uint64_t rtc_now(GoldfishRtc *r)
{
    uint64_t vns = core_clock_ns(r->m);
    return core_input_wallclock_ns(r->input, vns) + vns + r->time_offset;
}

static void update_irq(GoldfishRtc *r)
{
    core_irq_set(&r->irq, (int)(r->irq_pending && r->irq_enabled));
}

static void disarm(GoldfishRtc *r)
{
    core_timer_cancel(r->m, &r->timer);
    r->alarm_deadline = NO_DEADLINE;
}

static void raise_alarm(GoldfishRtc *r)
{
    r->irq_pending = 1;
    update_irq(r);
}

static void alarm_fired(void *opaque)
{
    GoldfishRtc *r = opaque;

    r->alarm_deadline = NO_DEADLINE;
    raise_alarm(r);
}

static void arm(GoldfishRtc *r)
{
    uint64_t now = rtc_now(r);

    disarm(r);
    if (r->alarm_next <= now) {
        raise_alarm(r);
        return;
    }
    uint64_t vns = core_clock_ns(r->m);
    uint64_t wait = r->alarm_next - now;
    /* Beyond the end of 64-bit virtual time: armed, but never fires. */
    r->alarm_deadline = wait < NO_DEADLINE - vns ? vns + wait : NO_DEADLINE - 1;
    core_timer_arm(r->m, &r->timer, r->alarm_deadline);
}

/* Set one 32-bit half of the time, keeping the other. */
static void set_time(GoldfishRtc *r, uint64_t value, unsigned shift)
{
    uint64_t now = rtc_now(r);
    uint64_t mask = 0xffffffffull << shift;
    uint64_t want = (now & ~mask) | ((value & 0xffffffffull) << shift);
    r->time_offset += want - now;
}

static uint64_t rtc_read(void *opaque, uint64_t off, unsigned size)
{
    GoldfishRtc *r = opaque;

    (void)size;
    switch (off) {
    case HW_GOLDFISH_RTC_TIME_LOW: {
        uint64_t now = rtc_now(r);
        r->time_high = (uint32_t)(now >> 32);
        return (uint32_t)now;
    }
    case HW_GOLDFISH_RTC_TIME_HIGH:
        return r->time_high;
    case HW_GOLDFISH_RTC_ALARM_LOW:
        return (uint32_t)r->alarm_next;
    case HW_GOLDFISH_RTC_ALARM_HIGH:
        return (uint32_t)(r->alarm_next >> 32);
    case HW_GOLDFISH_RTC_IRQ_ENABLED:
        return r->irq_enabled;
    case HW_GOLDFISH_RTC_ALARM_STATUS:
        return r->alarm_deadline != NO_DEADLINE;
    default:
        return 0;
    }
}

static void rtc_write(void *opaque, uint64_t off, uint64_t value, unsigned size)
{
    GoldfishRtc *r = opaque;
    uint64_t v = value & 0xffffffffull;

    (void)size;
    switch (off) {
    case HW_GOLDFISH_RTC_TIME_LOW:
        set_time(r, v, 0);
        break;
    case HW_GOLDFISH_RTC_TIME_HIGH:
        set_time(r, v, 32);
        break;
    case HW_GOLDFISH_RTC_ALARM_LOW:
        r->alarm_next = (r->alarm_next & ~0xffffffffull) | v;
        arm(r);
        break;
    case HW_GOLDFISH_RTC_ALARM_HIGH:
        r->alarm_next = (r->alarm_next & 0xffffffffull) | v << 32;
        break;
    case HW_GOLDFISH_RTC_IRQ_ENABLED:
        r->irq_enabled = (uint32_t)(v & 1);
        update_irq(r);
        break;
    case HW_GOLDFISH_RTC_CLEAR_ALARM:
        disarm(r);
        break;
    case HW_GOLDFISH_RTC_CLEAR_INTERRUPT:
        r->irq_pending = 0;
        update_irq(r);
        break;
    default:
        break;
    }
}

static const CoreMemOps rtc_mem_ops = {
    .name = "goldfish_rtc",
    .read = rtc_read,
    .write = rtc_write,
    .min_access = 4,
    .max_access = 4,
};

static void rtc_reset(void *opaque)
{
    GoldfishRtc *r = opaque;

    disarm(r);
    r->alarm_next = 0;
    r->irq_enabled = 0;
    r->irq_pending = 0;
    update_irq(r);
}

static bool rtc_post_load(void *opaque)
{
    GoldfishRtc *r = opaque;

    if (r->irq_enabled > 1 || r->irq_pending > 1) {
        return false;
    }
    if (r->alarm_deadline != NO_DEADLINE) {
        core_timer_arm(r->m, &r->timer, r->alarm_deadline);
    } else {
        core_timer_cancel(r->m, &r->timer);
    }
    update_irq(r);
    return true;
}

static const CoreStateField rtc_fields[] = {
    CORE_STATE_FIELD(GoldfishRtc, time_offset),
    CORE_STATE_FIELD(GoldfishRtc, alarm_next),
    CORE_STATE_FIELD(GoldfishRtc, alarm_deadline),
    CORE_STATE_FIELD(GoldfishRtc, time_high),
    CORE_STATE_FIELD(GoldfishRtc, irq_enabled),
    CORE_STATE_FIELD(GoldfishRtc, irq_pending),
    CORE_STATE_END
};

static const CoreStateDesc rtc_state = {
    .name = "goldfish_rtc",
    .version = 1,
    .fields = rtc_fields,
    .post_load = rtc_post_load,
};

static const CoreDeviceOps rtc_ops = {
    .name = "goldfish_rtc",
    .reset = rtc_reset,
    .state = &rtc_state,
    .free = free,
};

GoldfishRtc *hw_goldfish_rtc_create(CoreMachine *m, gpa_t base, CoreIrq irq,
                                    CoreInput *input)
{
    GoldfishRtc *r = calloc(1, sizeof(*r));
    if (!r) {
        return NULL;
    }
    r->m = m;
    r->irq = irq;
    r->input = input;
    r->alarm_deadline = NO_DEADLINE;
    core_timer_init(&r->timer, alarm_fired, r);
    if (!core_mem_map_mmio(m->as, "goldfish_rtc", base, HW_GOLDFISH_RTC_SIZE,
                           &rtc_mem_ops, r)) {
        free(r);
        return NULL;
    }
    core_machine_add_device(m, &rtc_ops, r, "rtc");
    rtc_reset(r);
    return r;
}

static void *rtc_dev_create(const HwDeviceArgs *a, char *err, size_t errlen)
{
    GoldfishRtc *r = hw_goldfish_rtc_create(a->m, a->base, a->irq,
                                            a->m->input);
    if (!r) {
        snprintf(err, errlen, "cannot map the RTC at 0x%llx",
                 (unsigned long long)a->base);
    }
    return r;
}

static int rtc_fdt(void *fdt, int parent, const HwDeviceArgs *a)
{
    int node = hw_fdt_mmio_node(fdt, parent, "rtc", "google,goldfish-rtc",
                                sizeof("google,goldfish-rtc"), a);
    int rc = node < 0 ? node : 0;
    rc |= fdt_setprop_u32(fdt, node, "interrupt-parent", a->intc_phandle);
    rc |= fdt_setprop_u32(fdt, node, "interrupts", a->irq_num);
    return rc;
}

const HwDeviceType hw_goldfish_rtc_type = {
    .name = "goldfish-rtc",
    .desc = "Goldfish real-time clock (start time from -rtc)",
    .category = HW_CAT_RTC,
    .bus = HW_BUS_SYSTEM,
    .mmio_size = HW_GOLDFISH_RTC_SIZE,
    .nirqs = 1,
    .create = rtc_dev_create,
    .fdt_node = rtc_fdt,
};
