/*
 * Split virtqueues (virtio 1.x, "Split Virtqueues"): the device side.
 * Packed virtqueues are not implemented (VIRTIO_F_RING_PACKED is never
 * offered). With VIRTIO_F_EVENT_IDX negotiated (Virtqueue.event_idx, set
 * by the transport) the device writes avail_event after each pop and
 * interrupts only when used_idx passes the driver's used_event.
 *
 * Guest memory is hostile. Popping a chain checks every descriptor
 * against the queue size, guest RAM and the chain length (a loop shows
 * as a chain longer than the queue); an indirect table must lie in RAM,
 * be a whole number of descriptors and hold no nested indirect. Any
 * failure returns VQ_POP_BROKEN: the caller (the transport) then sets
 * DEVICE_NEEDS_RESET and stops using the queue until the driver resets.
 * Nothing here asserts on guest data.
 *
 * Usage (a device's notify handler):
 *     VirtqElem e;
 *     while ((r = hw_vq_pop(vq, as, &e)) == VQ_POP_OK) {
 *         ... read e.out[], write e.in[] (guest-physical segments) ...
 *         hw_vq_push(vq, as, &e, bytes_written);
 *     }
 *     if (r == VQ_POP_BROKEN) hw_virtio_needs_reset(vdev);
 *     hw_virtio_notify(vdev, q);   // interrupt unless suppressed
 */
#ifndef HW_VIRTIO_VIRTQUEUE_H
#define HW_VIRTIO_VIRTQUEUE_H

#include "core/mem.h"

#define VQ_MAX_SIZE 256        /* largest queue a transport offers */
#define VQ_MAX_SEGS 64         /* segments of one popped chain */

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4
#define VRING_AVAIL_F_NO_INTERRUPT 1

/* One queue's guest-visible state (saved by the transport). */
typedef struct Virtqueue {
    uint64_t desc, avail, used;   /* guest-physical ring addresses */
    uint32_t num;                 /* size the driver chose (power of 2) */
    uint32_t ready;
    uint16_t last_avail_idx;      /* next avail entry the device takes */
    uint16_t used_idx;            /* next used entry the device writes */
    uint32_t broken;              /* a hostile chain was seen */
    uint16_t signalled_used;      /* EVENT_IDX: used_idx at the last interrupt */
    uint16_t event_idx;           /* VIRTIO_F_EVENT_IDX negotiated (0/1) */
    uint32_t reserved;            /* zero: keeps the saved bytes defined */
} Virtqueue;

typedef struct VirtqSeg {
    uint64_t addr;
    uint32_t len;
} VirtqSeg;

/* A popped chain: device-readable (out) then device-writable (in)
   segments, in chain order. */
typedef struct VirtqElem {
    uint16_t head;
    unsigned nout, nin;
    VirtqSeg out[VQ_MAX_SEGS];
    VirtqSeg in[VQ_MAX_SEGS];
    char why[96];                 /* VQ_POP_BROKEN: what was wrong */
} VirtqElem;

typedef enum VirtqPopResult {
    VQ_POP_EMPTY,                 /* nothing available */
    VQ_POP_OK,
    VQ_POP_BROKEN,                /* hostile ring or chain; see e->why */
} VirtqPopResult;

/* Take the next available chain. */
VirtqPopResult hw_vq_pop(Virtqueue *vq, CoreAddrSpace *as, VirtqElem *e);

/* Return chain e to the driver with `len` bytes written into its in
   segments. False if the used ring is not in RAM (the caller flags the
   error as for a broken chain). */
bool hw_vq_push(Virtqueue *vq, CoreAddrSpace *as, const VirtqElem *e,
                uint32_t len);

/* Does the driver want an interrupt after a push? Without EVENT_IDX:
   VIRTQ_AVAIL_F_NO_INTERRUPT clear. With it: used_idx moved past
   used_event since the last interrupt (which this call then records). */
bool hw_vq_should_notify(Virtqueue *vq, CoreAddrSpace *as);

/* Copy into a chain's in segments, at most `len` bytes; returns bytes
   written, or -1 if a segment is not in RAM. */
long hw_vq_write_in(const VirtqElem *e, CoreAddrSpace *as, const void *buf,
                    size_t len);
/* Bytes the device may write into e (sum of in segments). */
uint64_t hw_vq_in_size(const VirtqElem *e);

/* Back to the state after a device reset. */
void hw_vq_reset(Virtqueue *vq);

#endif
