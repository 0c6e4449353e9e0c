/*
 * The virtio-mmio transport, virtio 1.x "modern" register layout (virtio
 * spec 1.2, "Virtio Over MMIO", version 2; legacy version 1 is not
 * offered). The virt board builds QEMU's eight transports at 0x10001000 +
 * 0x1000 * i (PLIC sources 1..8) whether or not a device is plugged in:
 * an empty one reads DeviceID 0, so Linux probes them as under QEMU. A
 * device plugs in through hw_virtio_plug (hw/virtio/virtio.h).
 *
 * The transport owns and saves (id "virtio-mmioN") the status, feature
 * selection and negotiation, the queues (addresses, sizes, ready, ring
 * positions, broken flag) and the interrupt status. An empty transport
 * ignores every write, so it has no state: it registers without a state
 * record and gains one when a device plugs in. Snapshots of machines
 * without virtio devices (including those of builds before the
 * transports existed) therefore stay the same and keep loading.
 */
#include "hw/virtio/virtio.h"
#include "core/irq.h"
#include "core/state.h"
#include "hw/registry.h"

#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MMIO_SIZE 0x1000
#define MMIO_MAGIC 0x74726976u      /* "virt" */
#define MMIO_VENDOR 0x554d4551u     /* "QEMU", as QEMU reports it */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29

enum {
    R_MAGIC = 0x000, R_VERSION = 0x004, R_DEVICE_ID = 0x008,
    R_VENDOR_ID = 0x00c, R_DEV_FEATURES = 0x010, R_DEV_FEATURES_SEL = 0x014,
    R_DRV_FEATURES = 0x020, R_DRV_FEATURES_SEL = 0x024, R_QUEUE_SEL = 0x030,
    R_QUEUE_NUM_MAX = 0x034, R_QUEUE_NUM = 0x038, R_QUEUE_READY = 0x044,
    R_QUEUE_NOTIFY = 0x050, R_INT_STATUS = 0x060, R_INT_ACK = 0x064,
    R_STATUS = 0x070, R_QUEUE_DESC_LO = 0x080, R_QUEUE_DESC_HI = 0x084,
    R_QUEUE_DRIVER_LO = 0x090, R_QUEUE_DRIVER_HI = 0x094,
    R_QUEUE_DEVICE_LO = 0x0a0, R_QUEUE_DEVICE_HI = 0x0a4,
    R_CONFIG_GEN = 0x0fc, R_CONFIG = 0x100,
};

#define INT_USED 1
#define INT_CONFIG 2

struct VirtioDevice {
    /* Saved state. */
    uint32_t status;
    uint32_t dev_features_sel;
    uint32_t drv_features_sel;
    uint32_t queue_sel;
    uint64_t driver_features;
    uint32_t int_status;
    uint32_t config_gen;
    Virtqueue vq[VIRTIO_MAX_QUEUES];
    /* Wiring. */
    CoreMachine *m;
    CoreIrq irq;
    const VirtioDeviceClass *cls;   /* NULL: empty transport */
    void *opaque;
    char id[32];
    char dma_name[64];              /* "virtio-rng (virtio-mmio0)" */
};

static uint64_t offered(const VirtioDevice *t)
{
    return t->cls ? t->cls->features | (1ull << VIRTIO_F_VERSION_1) |
                    (1ull << VIRTIO_F_INDIRECT_DESC) |
                    (1ull << VIRTIO_F_EVENT_IDX)
                  : 0;
}

static void update_irq(VirtioDevice *t)
{
    core_irq_set(&t->irq, t->int_status != 0);
}

static void transport_reset(void *opaque)
{
    VirtioDevice *t = opaque;
    t->status = 0;
    t->dev_features_sel = t->drv_features_sel = t->queue_sel = 0;
    t->driver_features = 0;
    t->int_status = 0;
    for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
        hw_vq_reset(&t->vq[q]);
    }
    update_irq(t);
    if (t->cls && t->cls->reset) {
        t->cls->reset(t->opaque);
    }
}

static Virtqueue *sel_queue(VirtioDevice *t)
{
    if (!t->cls || t->queue_sel >= t->cls->nqueues) {
        return NULL;
    }
    return &t->vq[t->queue_sel];
}

static uint64_t mmio_read(void *opaque, uint64_t off, unsigned size)
{
    VirtioDevice *t = opaque;
    if (off >= R_CONFIG) {
        uint32_t o = (uint32_t)(off - R_CONFIG);
        if (!t->cls || !t->cls->config_read || o + size > t->cls->config_size) {
            return 0;
        }
        return t->cls->config_read(t->opaque, o, size);
    }
    if (size != 4) {
        return 0;
    }
    Virtqueue *vq = sel_queue(t);
    switch (off) {
    case R_MAGIC: return MMIO_MAGIC;
    case R_VERSION: return 2;
    case R_DEVICE_ID: return t->cls ? t->cls->device_id : 0;
    case R_VENDOR_ID: return MMIO_VENDOR;
    case R_DEV_FEATURES:
        return t->dev_features_sel < 2
                   ? (uint32_t)(offered(t) >> (32 * t->dev_features_sel)) : 0;
    case R_QUEUE_NUM_MAX: return vq ? t->cls->queue_max[t->queue_sel] : 0;
    case R_QUEUE_READY: return vq ? vq->ready : 0;
    case R_INT_STATUS: return t->int_status;
    case R_STATUS: return t->status;
    case R_CONFIG_GEN: return t->config_gen;
    default: return 0;
    }
}

static void set_addr(Virtqueue *vq, uint64_t *field, bool hi, uint32_t v)
{
    if (!vq || vq->ready) {
        return;   /* the driver may change a queue only while not ready */
    }
    *field = hi ? (*field & 0xffffffffull) | ((uint64_t)v << 32)
                : (*field & ~0xffffffffull) | v;
}

bool hw_virtio_queue_usable(const VirtioDevice *t, unsigned q)
{
    return t->cls && q < t->cls->nqueues && t->vq[q].ready &&
           !t->vq[q].broken && (t->status & VIRTIO_STATUS_DRIVER_OK) &&
           !(t->status & VIRTIO_STATUS_NEEDS_RESET);
}

static void queue_notify(VirtioDevice *t, uint32_t q)
{
    if (!hw_virtio_queue_usable(t, q)) {
        return;
    }
    t->cls->notify(t->opaque, t, q);
}

static void write_status(VirtioDevice *t, uint32_t v)
{
    if (v == 0) {
        transport_reset(t);
        return;
    }
    if ((v & VIRTIO_STATUS_FEATURES_OK) &&
        !(t->status & VIRTIO_STATUS_FEATURES_OK)) {
        /* Modern devices require VERSION_1, and only offered bits. */
        if (!(t->driver_features & (1ull << VIRTIO_F_VERSION_1)) ||
            (t->driver_features & ~offered(t))) {
            v &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
        }
    }
    /* NEEDS_RESET is the device's to set; the driver cannot clear it. */
    t->status = (v & ~(uint32_t)VIRTIO_STATUS_NEEDS_RESET) |
                (t->status & VIRTIO_STATUS_NEEDS_RESET);
}

static void mmio_write(void *opaque, uint64_t off, uint64_t value,
                       unsigned size)
{
    VirtioDevice *t = opaque;
    uint32_t v = (uint32_t)value;
    if (off >= R_CONFIG) {
        uint32_t o = (uint32_t)(off - R_CONFIG);
        if (t->cls && t->cls->config_write && o + size <= t->cls->config_size) {
            t->cls->config_write(t->opaque, o, v, size);
        }
        return;
    }
    if (size != 4 || !t->cls) {
        return;
    }
    Virtqueue *vq = sel_queue(t);
    switch (off) {
    case R_DEV_FEATURES_SEL: t->dev_features_sel = v; break;
    case R_DRV_FEATURES_SEL: t->drv_features_sel = v; break;
    case R_DRV_FEATURES:
        if (t->drv_features_sel < 2 &&
            !(t->status & VIRTIO_STATUS_FEATURES_OK)) {
            unsigned sh = 32 * t->drv_features_sel;
            t->driver_features = (t->driver_features & ~(0xffffffffull << sh)) |
                                 ((uint64_t)v << sh);
        }
        break;
    case R_QUEUE_SEL: t->queue_sel = v; break;
    case R_QUEUE_NUM:
        /* A power of 2 no larger than QueueNumMax (split rings). */
        if (vq && !vq->ready && v && v <= t->cls->queue_max[t->queue_sel] &&
            !(v & (v - 1))) {
            vq->num = v;
        }
        break;
    case R_QUEUE_READY:
        if (vq) {
            vq->ready = vq->num ? (v & 1) : 0;
            vq->event_idx = (t->driver_features >> VIRTIO_F_EVENT_IDX) & 1;
        }
        break;
    case R_QUEUE_NOTIFY: queue_notify(t, v); break;
    case R_INT_ACK:
        t->int_status &= ~v;
        update_irq(t);
        break;
    case R_STATUS: write_status(t, v); break;
    case R_QUEUE_DESC_LO: set_addr(vq, vq ? &vq->desc : NULL, false, v); break;
    case R_QUEUE_DESC_HI: set_addr(vq, vq ? &vq->desc : NULL, true, v); break;
    case R_QUEUE_DRIVER_LO: set_addr(vq, vq ? &vq->avail : NULL, false, v); break;
    case R_QUEUE_DRIVER_HI: set_addr(vq, vq ? &vq->avail : NULL, true, v); break;
    case R_QUEUE_DEVICE_LO: set_addr(vq, vq ? &vq->used : NULL, false, v); break;
    case R_QUEUE_DEVICE_HI: set_addr(vq, vq ? &vq->used : NULL, true, v); break;
    default: break;
    }
}

static const CoreMemOps mmio_ops = {
    .name = "virtio-mmio",
    .read = mmio_read,
    .write = mmio_write,
    .min_access = 1,
    .max_access = 4,
};

/* ---- the device-side API (hw/virtio/virtio.h) ---- */

static const CoreDeviceOps transport_dev_ops;   /* below, with the state */

VirtioDevice *hw_virtio_plug(void *bus, const VirtioDeviceClass *cls,
                             void *opaque)
{
    VirtioDevice *t = bus;
    if (!t || t->cls) {
        return NULL;
    }
    t->cls = cls;
    t->opaque = opaque;
    static const char *const kinds[] = { "virtio", "virtio-net", "virtio-blk",
                                         "virtio-serial", "virtio-rng" };
    snprintf(t->dma_name, sizeof(t->dma_name), "%s (%s)",
             kinds[cls->device_id < 5 ? cls->device_id : 0], t->id);
    for (unsigned i = 0; i < t->m->ndevices; i++) {
        if (t->m->devices[i].opaque == t) {
            t->m->devices[i].ops = &transport_dev_ops;   /* now has state */
        }
    }
    return t;
}

Virtqueue *hw_virtio_queue(VirtioDevice *vdev, unsigned q)
{
    return q < VIRTIO_MAX_QUEUES ? &vdev->vq[q] : NULL;
}

CoreAddrSpace *hw_virtio_as(VirtioDevice *vdev)
{
    /* Every device asks for the address space before it writes guest
       RAM: the writes that follow are this device's (core/mem.h). */
    core_mem_set_dma_source(vdev->m->as, vdev->dma_name);
    return vdev->m->as;
}

CoreMachine *hw_virtio_machine(VirtioDevice *vdev)
{
    return vdev->m;
}

uint64_t hw_virtio_features(const VirtioDevice *vdev)
{
    return vdev->driver_features;
}

bool hw_virtio_driver_ok(const VirtioDevice *vdev)
{
    return (vdev->status & VIRTIO_STATUS_DRIVER_OK) &&
           !(vdev->status & VIRTIO_STATUS_NEEDS_RESET);
}

void hw_virtio_notify(VirtioDevice *vdev, unsigned q)
{
    if (q < VIRTIO_MAX_QUEUES && hw_vq_should_notify(&vdev->vq[q], vdev->m->as)) {
        vdev->int_status |= INT_USED;
        update_irq(vdev);
    }
}

void hw_virtio_config_changed(VirtioDevice *vdev)
{
    vdev->config_gen++;
    vdev->int_status |= INT_CONFIG;
    update_irq(vdev);
}

void hw_virtio_needs_reset(VirtioDevice *vdev, const char *why)
{
    (void)why;   /* kept for a future trace annotation */
    vdev->status |= VIRTIO_STATUS_NEEDS_RESET;
    if (vdev->status & VIRTIO_STATUS_DRIVER_OK) {
        hw_virtio_config_changed(vdev);
    }
}

/* ---- state ---- */

static bool transport_post_load(void *opaque)
{
    VirtioDevice *t = opaque;
    for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
        const Virtqueue *vq = &t->vq[q];
        if (vq->num > VQ_MAX_SIZE || (vq->num & (vq->num - 1)) ||
            vq->ready > 1 || vq->broken > 1 || vq->event_idx > 1 ||
            vq->reserved) {
            return false;
        }
    }
    update_irq(t);
    return true;
}

static const CoreStateField transport_fields[] = {
    CORE_STATE_FIELD(VirtioDevice, status),
    CORE_STATE_FIELD(VirtioDevice, dev_features_sel),
    CORE_STATE_FIELD(VirtioDevice, drv_features_sel),
    CORE_STATE_FIELD(VirtioDevice, queue_sel),
    CORE_STATE_FIELD(VirtioDevice, driver_features),
    CORE_STATE_FIELD(VirtioDevice, int_status),
    CORE_STATE_FIELD(VirtioDevice, config_gen),
    CORE_STATE_ARRAY(VirtioDevice, vq),
    CORE_STATE_END
};

static const CoreStateDesc transport_state = {
    .name = "virtio-mmio",
    .version = 1,
    .fields = transport_fields,
    .post_load = transport_post_load,
};

static const CoreDeviceOps transport_dev_ops = {
    .name = "virtio-mmio",
    .reset = transport_reset,
    .state = &transport_state,
    .free = free,
};

/* Nothing plugged: constant registers, no state, nothing to reset. */
static const CoreDeviceOps empty_transport_ops = {
    .name = "virtio-mmio-empty",
    .free = free,
};

static void *transport_create(const HwDeviceArgs *a, char *err, size_t errlen)
{
    VirtioDevice *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    t->m = a->m;
    t->irq = a->irq;
    snprintf(t->id, sizeof(t->id), "%s", a->id);
    if (!core_mem_map_mmio(a->m->as, "virtio-mmio", a->base, MMIO_SIZE,
                           &mmio_ops, t)) {
        snprintf(err, errlen, "cannot map virtio-mmio '%s' at 0x%llx", a->id,
                 (unsigned long long)a->base);
        free(t);
        return NULL;
    }
    core_machine_add_device(a->m, &empty_transport_ops, t, a->id);
    return t;
}

/* As QEMU: virtio_mmio@ADDR, compatible "virtio,mmio", reg, interrupts,
   interrupt-parent. */
static int transport_fdt(void *fdt, int parent, const HwDeviceArgs *a)
{
    /* Written in reverse of QEMU's listing: this libfdt puts each new
       property first. */
    int node = hw_fdt_mmio_node(fdt, parent, "virtio_mmio", "virtio,mmio",
                                sizeof("virtio,mmio"), a);
    int rc = node < 0 ? node : 0;
    rc |= fdt_setprop_u32(fdt, node, "interrupt-parent", a->intc_phandle);
    rc |= fdt_setprop_u32(fdt, node, "interrupts", a->irq_num);
    return rc < 0 || node < 0 ? -1 : 0;
}

const HwDeviceType hw_virtio_mmio_type = {
    .name = "virtio-mmio",
    .desc = "virtio-mmio transport (virtio 1.x, version 2)",
    .category = HW_CAT_MISC,
    .bus = HW_BUS_SYSTEM,
    .user_creatable = false,
    .mmio_size = MMIO_SIZE,
    .nirqs = 1,
    .create = transport_create,
    .fdt_node = transport_fdt,
};
