/*
 * virtio devices (virtio 1.x) as rewind builds them: a device type
 * (virtio-rng-device, and next virtio-blk, -net, -serial) is a
 * VirtioDeviceClass plugged into a transport. Today the transport is
 * virtio-mmio (hw/virtio/virtio_mmio.c): the virt board creates all 8 of
 * QEMU's slots and a `-device` of bus HW_BUS_VIRTIO takes the next free
 * one, in command-line order.
 *
 * The transport owns everything the virtio spec puts in the transport:
 * status, feature negotiation (VIRTIO_F_VERSION_1 is always offered and
 * required), the queues' addresses, sizes, ready bits and ring positions,
 * the interrupt status, config generation; it saves all of that in its
 * own state record (id "virtio-mmioN"). The device owns its config space,
 * its queues' processing and its own state (CoreDeviceOps, registered by
 * the device with its -device id).
 *
 * Writing a device:
 *     static const VirtioDeviceClass rng_class = {
 *         .device_id = VIRTIO_ID_RNG, .features = 0, .nqueues = 1,
 *         .queue_max = { 64 }, .notify = rng_notify, .reset = rng_reset,
 *     };
 *     // in create (HwDeviceArgs a, bus HW_BUS_VIRTIO):
 *     VirtioDevice *vdev = hw_virtio_plug(a->bus, &rng_class, rng);
 *     // in notify(opaque, vdev, q):
 *     Virtqueue *vq = hw_virtio_queue(vdev, q);   // pop/push: virtqueue.h
 *     hw_virtio_notify(vdev, q);                  // used-buffer interrupt
 *     hw_virtio_needs_reset(vdev, why);           // hostile ring
 *     hw_virtio_config_changed(vdev);             // config interrupt
 */
#ifndef HW_VIRTIO_VIRTIO_H
#define HW_VIRTIO_VIRTIO_H

#include "hw/virtio/virtqueue.h"
#include "core/machine.h"

#define VIRTIO_MAX_QUEUES 8

/* Device ids (virtio 1.x, "Device Types"). */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4

/* Feature bits the transport handles itself. */
#define VIRTIO_F_VERSION_1 32

/* Device status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

typedef struct VirtioDevice VirtioDevice;

typedef struct VirtioDeviceClass {
    uint32_t device_id;
    uint64_t features;            /* device-specific bits offered */
    unsigned nqueues;             /* <= VIRTIO_MAX_QUEUES */
    uint16_t queue_max[VIRTIO_MAX_QUEUES];   /* QueueNumMax, <= VQ_MAX_SIZE */
    uint32_t config_size;         /* bytes of config space */
    /* Config space access (offset < config_size, size 1/2/4); NULL: 0. */
    uint32_t (*config_read)(void *opaque, uint32_t offset, unsigned size);
    void (*config_write)(void *opaque, uint32_t offset, uint32_t value,
                         unsigned size);
    /* The driver notified queue q (a guest MMIO write: a deterministic
       point). Only called while the device is DRIVER_OK, q is ready and
       not broken. */
    void (*notify)(void *opaque, VirtioDevice *vdev, unsigned q);
    /* The driver reset the device (status 0) or the machine reset; the
       transport has already reset itself and the queues. */
    void (*reset)(void *opaque);
} VirtioDeviceClass;

/* Attach a device to a free transport (the `bus` of its HwDeviceArgs);
   NULL if the transport is taken. */
VirtioDevice *hw_virtio_plug(void *bus, const VirtioDeviceClass *cls,
                             void *opaque);

Virtqueue *hw_virtio_queue(VirtioDevice *vdev, unsigned q);
CoreAddrSpace *hw_virtio_as(VirtioDevice *vdev);
CoreMachine *hw_virtio_machine(VirtioDevice *vdev);
/* Negotiated features (valid once FEATURES_OK). */
uint64_t hw_virtio_features(const VirtioDevice *vdev);
/* DRIVER_OK set and no NEEDS_RESET: the device may use its queues on its
   own initiative (host input arriving). */
bool hw_virtio_driver_ok(const VirtioDevice *vdev);

/* True if the device may use queue q now: DRIVER_OK, the queue ready,
   not broken, no reset pending (a device with input of its own, such
   as received frames, asks before popping). */
bool hw_virtio_queue_usable(const VirtioDevice *vdev, unsigned q);

/* Used buffers were added to queue q: raise the interrupt unless the
   driver suppressed it. */
void hw_virtio_notify(VirtioDevice *vdev, unsigned q);
/* The device's config space changed. */
void hw_virtio_config_changed(VirtioDevice *vdev);
/* The driver broke the rules (hostile ring): set DEVICE_NEEDS_RESET,
   raise a config interrupt, stop processing until reset. */
void hw_virtio_needs_reset(VirtioDevice *vdev, const char *why);

#endif
