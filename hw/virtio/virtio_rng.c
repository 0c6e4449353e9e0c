/*
 * virtio-rng-device (virtio 1.x, "Entropy Device"): one request queue;
 * the device fills each writable buffer the driver posts with entropy.
 *
 *     -object rng-random,id=rng0,filename=/dev/urandom
 *     -device virtio-rng-device,rng=rng0
 *
 * Entropy is a nondeterministic input: the device never reads its back
 * end. It asks the input door (core_run_entropy) when the driver notifies
 * (a guest MMIO write, at a deterministic icount); the door reads the
 * host and logs the bytes when recording, and feeds them from the trace
 * when replaying (no entropy source is opened then). Requests complete
 * during the notify, so nothing is ever in flight: the device has no
 * state of its own beyond the transport's.
 */
#include "hw/virtio/virtio.h"
#include "core/run.h"
#include "hw/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RNG_QUEUE_SIZE 64
#define RNG_MAX_CHUNK 256     /* bytes per request, as QEMU's default rate */

enum { PROP_RNG };

static const HwProp rng_props[] = {
    [PROP_RNG] = { "rng", HW_PROP_STRING, "builtin",
                   "id of an -object rng-random or rng-builtin "
                   "(builtin: an internal rng-builtin)" },
    { NULL, 0, NULL, NULL },
};

typedef struct VirtioRng {
    VirtioDevice *vdev;
    char rng[32];             /* the object's id, or "" for the builtin */
} VirtioRng;

static void rng_notify(void *opaque, VirtioDevice *vdev, unsigned q)
{
    VirtioRng *r = opaque;
    CoreAddrSpace *as = hw_virtio_as(vdev);
    Virtqueue *vq = hw_virtio_queue(vdev, q);
    VirtqElem e;
    VirtqPopResult res;
    bool pushed = false;
    while ((res = hw_vq_pop(vq, as, &e)) == VQ_POP_OK) {
        uint8_t buf[RNG_MAX_CHUNK];
        uint64_t want = hw_vq_in_size(&e);
        size_t n = want < sizeof(buf) ? (size_t)want : sizeof(buf);
        n = core_run_entropy(hw_virtio_machine(vdev), r->rng, buf, n);
        long put = hw_vq_write_in(&e, as, buf, n);
        if (put < 0 || !hw_vq_push(vq, as, &e, (uint32_t)put)) {
            res = VQ_POP_BROKEN;
            break;
        }
        pushed = true;
    }
    if (pushed) {
        hw_virtio_notify(vdev, q);
    }
    if (res == VQ_POP_BROKEN) {
        hw_virtio_needs_reset(vdev, e.why);
    }
}

static const VirtioDeviceClass rng_class = {
    .device_id = VIRTIO_ID_RNG,
    .features = 0,
    .nqueues = 1,
    .queue_max = { RNG_QUEUE_SIZE },
    .notify = rng_notify,
};

static const CoreDeviceOps rng_dev_ops = {
    .name = "virtio-rng-device",
    .free = free,
};

static void *rng_create(const HwDeviceArgs *a, char *err, size_t errlen)
{
    const char *id = a->props[PROP_RNG].s;
    const CoreObjectOpt *obj = core_config_object(a->m->cfg, id);
    if (!obj && strcmp(id, "builtin") != 0) {
        snprintf(err, errlen, "property 'rng': no -object with id '%s'", id);
        return NULL;
    }
    if (obj && strncmp(obj->type, "rng-", 4) != 0) {
        snprintf(err, errlen, "property 'rng': object '%s' is a %s, not an "
                 "rng back end", id, obj->type);
        return NULL;
    }
    VirtioRng *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(r->rng, sizeof(r->rng), "%s", obj ? id : "");
    r->vdev = hw_virtio_plug(a->bus, &rng_class, r);
    if (!r->vdev) {
        snprintf(err, errlen, "no free virtio-mmio transport");
        free(r);
        return NULL;
    }
    core_machine_add_device(a->m, &rng_dev_ops, r, a->id);
    return r;
}

const HwDeviceType hw_virtio_rng_type = {
    .name = "virtio-rng-device",
    .desc = "virtio entropy source (virtio-rng)",
    .category = HW_CAT_MISC,
    .bus = HW_BUS_VIRTIO,
    .user_creatable = true,
    .props = rng_props,
    .create = rng_create,
};
