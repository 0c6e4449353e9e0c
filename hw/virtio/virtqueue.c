/*
 * Split virtqueues, device side (see hw/virtio/virtqueue.h). Ring layout
 * from the virtio 1.x spec, "Split Virtqueues": a descriptor table of
 * 16-byte entries (u64 addr, u32 len, u16 flags, u16 next), the driver's
 * available ring (u16 flags, u16 idx, u16 ring[num], u16 used_event) and
 * the device's used ring (u16 flags, u16 idx, {u32 id, u32 len}[num],
 * u16 avail_event). All little-endian; the host is little-endian too
 * (rewind's state layout assumes it), so values are read as they lie.
 */
#include "hw/virtio/virtqueue.h"

#include <stdio.h>
#include <string.h>

typedef struct VringDesc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
} VringDesc;

static bool rd16(CoreAddrSpace *as, uint64_t addr, uint16_t *v)
{
    return core_mem_read_bytes(as, addr, v, 2);
}

/* [addr, addr+len) lies in guest RAM (no wrap-around, one region). */
static bool in_ram(CoreAddrSpace *as, uint64_t addr, uint64_t len)
{
    if (addr + len < addr) {
        return false;
    }
    return core_mem_host_ptr(as, addr, len ? len : 1) != NULL;
}

static VirtqPopResult broken(Virtqueue *vq, VirtqElem *e, const char *fmt,
                             unsigned long long a)
{
    snprintf(e->why, sizeof(e->why), fmt, a);
    vq->broken = 1;
    return VQ_POP_BROKEN;
}

/* Add one buffer to e; readable ones must come before writable ones. */
static VirtqPopResult add_seg(Virtqueue *vq, CoreAddrSpace *as, VirtqElem *e,
                              const VringDesc *d)
{
    if (!in_ram(as, d->addr, d->len)) {
        return broken(vq, e, "buffer at 0x%llx is not in guest RAM",
                      (unsigned long long)d->addr);
    }
    if (d->flags & VRING_DESC_F_WRITE) {
        if (e->nin >= VQ_MAX_SEGS) {
            return broken(vq, e, "chain has more than %llu writable buffers",
                          VQ_MAX_SEGS);
        }
        e->in[e->nin++] = (VirtqSeg){ d->addr, d->len };
    } else {
        if (e->nin) {
            return broken(vq, e, "readable buffer 0x%llx after a writable one",
                          (unsigned long long)d->addr);
        }
        if (e->nout >= VQ_MAX_SEGS) {
            return broken(vq, e, "chain has more than %llu readable buffers",
                          VQ_MAX_SEGS);
        }
        e->out[e->nout++] = (VirtqSeg){ d->addr, d->len };
    }
    return VQ_POP_OK;
}

/* Walk an indirect table of n descriptors at `table`. */
static VirtqPopResult walk_indirect(Virtqueue *vq, CoreAddrSpace *as,
                                    VirtqElem *e, uint64_t table, uint32_t len)
{
    if (len == 0 || len % sizeof(VringDesc) || !in_ram(as, table, len)) {
        return broken(vq, e, "bad indirect descriptor table at 0x%llx",
                      (unsigned long long)table);
    }
    uint32_t n = len / sizeof(VringDesc);
    uint32_t i = 0, steps = 0;
    for (;;) {
        VringDesc d;
        if (++steps > n) {
            return broken(vq, e, "indirect chain at 0x%llx loops",
                          (unsigned long long)table);
        }
        core_mem_read_bytes(as, table + (uint64_t)i * sizeof(d), &d,
                            sizeof(d));
        if (d.flags & VRING_DESC_F_INDIRECT) {
            return broken(vq, e, "nested indirect table at 0x%llx",
                          (unsigned long long)table);
        }
        VirtqPopResult r = add_seg(vq, as, e, &d);
        if (r != VQ_POP_OK) {
            return r;
        }
        if (!(d.flags & VRING_DESC_F_NEXT)) {
            return VQ_POP_OK;
        }
        if (d.next >= n) {
            return broken(vq, e, "indirect next %llu out of the table",
                          d.next);
        }
        i = d.next;
    }
}

/* EVENT_IDX: ask the driver to notify once it adds past what the device
   has taken (avail_event, after the used ring's entries). */
static bool set_avail_event(Virtqueue *vq, CoreAddrSpace *as)
{
    uint16_t v = vq->last_avail_idx;
    return !vq->event_idx ||
           core_mem_write_bytes(as, vq->used + 4 + 8ull * vq->num, &v, 2);
}

VirtqPopResult hw_vq_pop(Virtqueue *vq, CoreAddrSpace *as, VirtqElem *e)
{
    e->nin = e->nout = 0;
    e->why[0] = 0;
    if (vq->broken || !vq->ready || vq->num == 0) {
        return VQ_POP_EMPTY;
    }
    uint16_t avail_idx;
    if (!rd16(as, vq->avail + 2, &avail_idx)) {
        return broken(vq, e, "available ring at 0x%llx is not in RAM",
                      (unsigned long long)vq->avail);
    }
    if (avail_idx == vq->last_avail_idx) {
        if (!set_avail_event(vq, as)) {
            return broken(vq, e, "used ring at 0x%llx is not in RAM",
                          (unsigned long long)vq->used);
        }
        return VQ_POP_EMPTY;
    }
    if ((uint16_t)(avail_idx - vq->last_avail_idx) > vq->num) {
        return broken(vq, e, "available index %llu runs ahead by more than "
                      "the queue size", avail_idx);
    }
    uint16_t head;
    if (!rd16(as, vq->avail + 4 + 2ull * (vq->last_avail_idx % vq->num),
              &head)) {
        return broken(vq, e, "available ring at 0x%llx is not in RAM",
                      (unsigned long long)vq->avail);
    }
    if (head >= vq->num) {
        return broken(vq, e, "chain head %llu is beyond the queue size", head);
    }
    e->head = head;
    uint32_t i = head, steps = 0;
    for (;;) {
        VringDesc d;
        /* A loop shows up as a chain longer than the table. */
        if (++steps > vq->num) {
            return broken(vq, e, "chain from head %llu is longer than the "
                          "queue (a loop?)", head);
        }
        if (!core_mem_read_bytes(as, vq->desc + (uint64_t)i * sizeof(d), &d,
                                 sizeof(d))) {
            return broken(vq, e, "descriptor table at 0x%llx is not in RAM",
                          (unsigned long long)vq->desc);
        }
        VirtqPopResult r;
        if (d.flags & VRING_DESC_F_INDIRECT) {
            if (d.flags & VRING_DESC_F_NEXT) {
                return broken(vq, e, "indirect descriptor %llu has NEXT set",
                              i);
            }
            r = walk_indirect(vq, as, e, d.addr, d.len);
        } else {
            r = add_seg(vq, as, e, &d);
        }
        if (r != VQ_POP_OK) {
            return r;
        }
        if (!(d.flags & VRING_DESC_F_NEXT)) {
            break;
        }
        if (d.next >= vq->num) {
            return broken(vq, e, "descriptor next %llu is beyond the queue "
                          "size", d.next);
        }
        i = d.next;
    }
    vq->last_avail_idx++;
    return VQ_POP_OK;
}

bool hw_vq_push(Virtqueue *vq, CoreAddrSpace *as, const VirtqElem *e,
                uint32_t len)
{
    uint32_t elem[2] = { e->head, len };
    uint64_t slot = vq->used + 4 + 8ull * (vq->used_idx % vq->num);
    uint16_t idx = (uint16_t)(vq->used_idx + 1);
    if (!core_mem_write_bytes(as, slot, elem, sizeof(elem)) ||
        !core_mem_write_bytes(as, vq->used + 2, &idx, 2)) {
        vq->broken = 1;
        return false;
    }
    vq->used_idx = idx;
    return true;
}

bool hw_vq_should_notify(Virtqueue *vq, CoreAddrSpace *as)
{
    if (vq->event_idx) {
        /* virtio 1.x "Used Buffer Notification Suppression": interrupt if
           used_event lies in [old, new). */
        uint16_t used_event = 0, old = vq->signalled_used;
        if (!rd16(as, vq->avail + 4 + 2ull * vq->num, &used_event)) {
            return true;
        }
        vq->signalled_used = vq->used_idx;
        return (uint16_t)(vq->used_idx - used_event - 1) <
               (uint16_t)(vq->used_idx - old);
    }
    uint16_t flags = 0;
    if (!rd16(as, vq->avail, &flags)) {
        return true;
    }
    return !(flags & VRING_AVAIL_F_NO_INTERRUPT);
}

uint64_t hw_vq_in_size(const VirtqElem *e)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < e->nin; i++) {
        n += e->in[i].len;
    }
    return n;
}

long hw_vq_write_in(const VirtqElem *e, CoreAddrSpace *as, const void *buf,
                    size_t len)
{
    const uint8_t *p = buf;
    size_t done = 0;
    for (unsigned i = 0; i < e->nin && done < len; i++) {
        size_t n = e->in[i].len < len - done ? e->in[i].len : len - done;
        if (!core_mem_write_bytes(as, e->in[i].addr, p + done, n)) {
            return -1;
        }
        done += n;
    }
    return (long)done;
}

void hw_vq_reset(Virtqueue *vq)
{
    memset(vq, 0, sizeof(*vq));
}
