/*
 * virtio_net - drives rewind's virtio-net-device (hw/virtio/virtio_net.c)
 * from a bare-metal guest. Run with
 *     -netdev user,id=n0 -device virtio-net-device,netdev=n0
 * (the device lands on the last transport, 0x10008000).
 *
 * Checks: device id 1, the config space (default MAC 52:54:00:12:34:56,
 * link up), the features offered (MAC, STATUS, CTRL_VQ, CTRL_RX; no
 * checksum, segmentation or mergeable-buffer offloads), a control command
 * (promiscuous on) acknowledged, hostile transmit chains (a loop, a
 * buffer outside RAM) setting DEVICE_NEEDS_RESET while the machine keeps
 * running; then, after a reset, an ARP request for 10.0.2.2 sent on the
 * transmit queue and slirp's ARP reply received in a posted receive
 * buffer (a NET_RX input: recorded, and fed from the trace on replay).
 * Other frames slirp sends first (its own ARP request for the guest, the
 * SYN of a hostfwd connection a host client opened) are skipped.
 */
#include "rt.h"
#include "virtio_mmio.h"

#define NET 0x10008000UL
#define QN 8

struct queue {
    struct desc desc[QN] __attribute__((aligned(16)));
    volatile struct { uint16_t flags, idx, ring[QN], used_event; } avail
        __attribute__((aligned(2)));
    volatile struct {
        uint16_t flags, idx;
        struct { uint32_t id, len; } ring[QN];
        uint16_t avail_event;
    } used __attribute__((aligned(4)));
    uint16_t next;
};

static struct queue q[3];
static uint8_t rxbuf[4][12 + 1514];
static uint8_t txbuf[12 + 60];
static uint8_t ctrl[3], ack;
static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static uint32_t rd(unsigned off)
{
    return *(volatile uint32_t *)(NET + off);
}

static uint8_t rd8(unsigned off)
{
    return *(volatile uint8_t *)(NET + off);
}

static void wr(unsigned off, uint32_t v)
{
    *(volatile uint32_t *)(NET + off) = v;
}

static void setup(void)
{
    wr(STATUS, 0);
    wr(STATUS, S_ACK | S_DRIVER);
    wr(DRV_FEAT_SEL, 0);
    wr(DRV_FEAT, (1u << 5) | (1u << 16) | (1u << 17) | (1u << 18));
    wr(DRV_FEAT_SEL, 1);
    wr(DRV_FEAT, 1);
    wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    CHECK(rd(STATUS) & S_FEATURES_OK);
    for (unsigned i = 0; i < 3; i++) {
        memset(&q[i], 0, sizeof(q[i]));
        wr(QUEUE_SEL, i);
        CHECK(rd(QUEUE_NUM_MAX) >= QN);
        wr(QUEUE_NUM, QN);
        wr(DESC_LO, (uint32_t)(uintptr_t)q[i].desc);
        wr(DESC_HI, 0);
        wr(DRIVER_LO, (uint32_t)(uintptr_t)&q[i].avail);
        wr(DRIVER_HI, 0);
        wr(DEVICE_LO, (uint32_t)(uintptr_t)&q[i].used);
        wr(DEVICE_HI, 0);
        wr(QUEUE_READY, 1);
    }
    wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

static void kick(unsigned n, uint16_t head)
{
    q[n].avail.ring[q[n].next % QN] = head;
    q[n].next++;
    __sync_synchronize();
    q[n].avail.idx = q[n].next;
    __sync_synchronize();
    wr(QUEUE_NOTIFY, n);
}

static void expect_broken(void)
{
    CHECK(rd(STATUS) & S_NEEDS_RESET);
    CHECK(rd(INT_STATUS) & 2);
    wr(INT_ACK, 3);
    setup();
    CHECK_EQ(rd(STATUS) & S_NEEDS_RESET, 0);
}

int main(void)
{
    CHECK_EQ(rd(MAGIC), 0x74726976);
    CHECK_EQ(rd(VERSION), 2);
    CHECK_EQ(rd(DEVICE_ID), 1);
    wr(DEV_FEAT_SEL, 0);
    uint32_t f = rd(DEV_FEAT);
    CHECK_EQ(f & ((1u << 5) | (1u << 16) | (1u << 17) | (1u << 18)),
             (1u << 5) | (1u << 16) | (1u << 17) | (1u << 18));
    CHECK_EQ(f & ((1u << 0) | (1u << 1) | (1u << 15)), 0);
    for (unsigned i = 0; i < 6; i++) {
        CHECK_EQ(rd8(CONFIG + i), mac[i]);
    }
    CHECK_EQ(rd8(CONFIG + 6) & 1, 1);             /* VIRTIO_NET_S_LINK_UP */

    setup();
    /* Control queue: VIRTIO_NET_CTRL_RX_PROMISC on, acknowledged OK. */
    ctrl[0] = 0; ctrl[1] = 0; ctrl[2] = 1; ack = 0xff;
    q[2].desc[0] = (struct desc){ (uintptr_t)ctrl, 3, F_NEXT, 1 };
    q[2].desc[1] = (struct desc){ (uintptr_t)&ack, 1, F_WRITE, 0 };
    kick(2, 0);
    CHECK_EQ(q[2].used.idx, 1);
    CHECK_EQ(ack, 0);

    /* Hostile transmit chains. */
    q[1].desc[0] = (struct desc){ (uintptr_t)txbuf, 8, F_NEXT, 1 };
    q[1].desc[1] = (struct desc){ (uintptr_t)txbuf, 8, F_NEXT, 0 };
    kick(1, 0);
    expect_broken();
    q[1].desc[0] = (struct desc){ 0x20000000, 64, 0, 0 };
    kick(1, 0);
    expect_broken();
    kick(1, QN + 1);
    expect_broken();
    rt_puts("hostile chains flagged\n");

    /* Receive buffers, then an ARP request for 10.0.2.2. */
    for (unsigned i = 0; i < 4; i++) {
        q[0].desc[i] = (struct desc){ (uintptr_t)rxbuf[i], sizeof(rxbuf[i]),
                                      F_WRITE, 0 };
        kick(0, (uint16_t)i);
    }
    uint8_t *e = txbuf + 12;
    memset(txbuf, 0, sizeof(txbuf));
    memset(e, 0xff, 6);
    memcpy(e + 6, mac, 6);
    e[12] = 0x08; e[13] = 0x06;                       /* ARP */
    const uint8_t arp[] = { 0, 1, 8, 0, 6, 4, 0, 1 };   /* request */
    memcpy(e + 14, arp, sizeof(arp));
    memcpy(e + 22, mac, 6);
    const uint8_t me[4] = { 10, 0, 2, 15 }, host[4] = { 10, 0, 2, 2 };
    memcpy(e + 28, me, 4);
    memcpy(e + 38, host, 4);
    q[1].desc[0] = (struct desc){ (uintptr_t)txbuf, sizeof(txbuf), 0, 0 };
    kick(1, 0);
    CHECK_EQ(q[1].used.idx, 1);

    /* The reply arrives at a slice boundary: wait for it, skipping (and
       posting again) any other frame that comes first. */
    unsigned long spins = 0;
    uint16_t seen = 0;
    uint8_t *r;
    for (;;) {
        while (q[0].used.idx == seen && spins < 100000000UL) {
            spins++;
        }
        CHECK(q[0].used.idx != seen);
        unsigned id = q[0].used.ring[seen % QN].id;
        CHECK(id < 4);
        r = rxbuf[id];
        CHECK(q[0].used.ring[seen % QN].len >= 12 + 42);
        seen++;
        CHECK_EQ(r[10], 1);                           /* num_buffers */
        if (r[12 + 12] == 0x08 && r[12 + 13] == 0x06 && r[12 + 21] == 2) {
            break;                                    /* ARP reply */
        }
        kick(0, (uint16_t)id);
    }
    CHECK_EQ(memcmp(r + 12, mac, 6), 0);
    CHECK_EQ(memcmp(r + 12 + 28, host, 4), 0);
    CHECK(rd(INT_STATUS) & 1);
    wr(INT_ACK, 1);
    rt_puts("PASS virtio_net ARP reply from 10.0.2.2 at ");
    rt_put_hex((uint64_t)r[12 + 22] << 40 | (uint64_t)r[12 + 27]);
    /* How long the guest waited: a frame fed at another icount on
       replay changes it. */
    rt_puts(" after ");
    rt_put_dec(spins);
    rt_puts(" spins\n");
    return 0;
}
