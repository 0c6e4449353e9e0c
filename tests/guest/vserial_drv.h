/*
 * The bare-metal side of a virtio-serial-device (virtio 1.2, 5.3) that
 * tests/guest/virtio_serial.c and mux_echo.c share: the split rings of its
 * eight queues (MULTIPORT, three ports: receiveq/transmitq of port 0, the
 * control queues 2 and 3, then ports 1 and 2), bring-up with MULTIPORT and
 * VERSION_1, and posting, sending and taking buffers. One program
 * includes it once; everything is static.
 *
 *     vs_setup();                       features, queues, DRIVER_OK
 *     post_rx(0, slot); send(1, "hi", 2); send_ctrl(0, EV_PORT_READY, 1);
 *     uint8_t *b = take_used(0, &len);  NULL when none is used yet
 *
 * The device is on the last virtio-mmio transport (0x10008000).
 */
#ifndef GUEST_VSERIAL_DRV_H
#define GUEST_VSERIAL_DRV_H

#include "rt.h"
#include "virtio_mmio.h"

#define VS 0x10008000UL
#define QN 8
#define NQ 8

/* Control events (virtio 1.2, 5.3.6.2). */
enum { EV_DEVICE_READY = 0, EV_DEVICE_ADD = 1, EV_PORT_READY = 3,
       EV_CONSOLE_PORT = 4, EV_PORT_OPEN = 6, EV_PORT_NAME = 7 };

struct queue {
    struct desc desc[QN] __attribute__((aligned(16)));
    volatile struct {
        uint16_t flags, idx, ring[QN], used_event;
    } avail __attribute__((aligned(2)));
    volatile struct {
        uint16_t flags, idx;
        struct { uint32_t id, len; } ring[QN];
        uint16_t avail_event;
    } used __attribute__((aligned(4)));
    uint16_t next_avail, last_used;
};

static struct queue qs[NQ];
static uint8_t bufs[NQ][QN][80];

static inline uint32_t rd(unsigned off)
{
    return *(volatile uint32_t *)(VS + off);
}

static inline void wr(unsigned off, uint32_t v)
{
    *(volatile uint32_t *)(VS + off) = v;
}

/* Reset, negotiate MULTIPORT and VERSION_1, give every queue its rings
   (emptied), DRIVER_OK. */
static inline void vs_setup(void)
{
    wr(STATUS, 0);
    CHECK_EQ(rd(STATUS), 0);
    wr(STATUS, S_ACK | S_DRIVER);
    wr(DRV_FEAT_SEL, 0);
    wr(DRV_FEAT, 1u << 1);                    /* MULTIPORT */
    wr(DRV_FEAT_SEL, 1);
    wr(DRV_FEAT, 1);                          /* VERSION_1 */
    wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    CHECK(rd(STATUS) & S_FEATURES_OK);
    memset(qs, 0, sizeof(qs));
    for (unsigned q = 0; q < NQ; q++) {
        wr(QUEUE_SEL, q);
        CHECK(rd(QUEUE_NUM_MAX) >= QN);
        wr(QUEUE_NUM, QN);
        wr(DESC_LO, (uint32_t)(uintptr_t)qs[q].desc);
        wr(DESC_HI, 0);
        wr(DRIVER_LO, (uint32_t)(uintptr_t)&qs[q].avail);
        wr(DRIVER_HI, 0);
        wr(DEVICE_LO, (uint32_t)(uintptr_t)&qs[q].used);
        wr(DEVICE_HI, 0);
        wr(QUEUE_READY, 1);
    }
    wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

static inline void offer(unsigned q, uint16_t head)
{
    struct queue *Q = &qs[q];
    Q->avail.ring[Q->next_avail % QN] = head;
    Q->next_avail++;
    __sync_synchronize();
    Q->avail.idx = Q->next_avail;
    __sync_synchronize();
}

/* Post receive buffer `slot` of queue q (device-writable). */
static inline void post_rx(unsigned q, unsigned slot)
{
    qs[q].desc[slot] = (struct desc){ (uintptr_t)bufs[q][slot],
                                      sizeof(bufs[q][slot]), F_WRITE, 0 };
    offer(q, (uint16_t)slot);
}

/* Send len bytes on queue q (device-readable) and notify. */
static inline void send(unsigned q, const void *data, uint32_t len)
{
    struct queue *Q = &qs[q];
    unsigned slot = Q->next_avail % QN;
    memcpy(bufs[q][slot], data, len);
    Q->desc[slot] = (struct desc){ (uintptr_t)bufs[q][slot], len, 0, 0 };
    offer(q, (uint16_t)slot);
    wr(QUEUE_NOTIFY, q);
}

/* A control message on the control transmitq (queue 3). */
static inline void send_ctrl(uint32_t id, uint16_t event, uint16_t value)
{
    struct { uint32_t id; uint16_t event, value; } m = { id, event, value };
    send(3, &m, sizeof(m));
}

/* The next used buffer of queue q, or NULL; its length in *len. */
static inline uint8_t *take_used(unsigned q, uint32_t *len)
{
    struct queue *Q = &qs[q];
    if (Q->used.idx == Q->last_used) {
        return NULL;
    }
    unsigned e = Q->last_used++ % QN;
    *len = Q->used.ring[e].len;
    return bufs[q][Q->used.ring[e].id];
}

#endif
