/*
 * virtio_rng - drives rewind's virtio-mmio transport and virtio-rng
 * device (hw/virtio/) from a bare-metal guest. Run with
 *     -device virtio-rng-device
 * which, as under QEMU, lands on the last of the 8 transports (0x10008000).
 *
 * Checks: all 8 slots answer (magic "virt", version 2, device id 4 on the
 * last, 0 elsewhere); the device refuses FEATURES_OK without
 * VIRTIO_F_VERSION_1; a queue set up by hand gets entropy and a used-ring
 * entry per request, with the used-buffer interrupt unless the driver
 * suppressed it; and hostile rings (a chain that loops, a buffer outside
 * RAM (writable or readable), a next index beyond the queue, a bad indirect table, a descriptor
 * table outside RAM, an available index too far ahead) make the device
 * set DEVICE_NEEDS_RESET while the machine keeps running. Then it runs
 * many requests while keeping its own model of the ring positions, so a
 * replay that seeks through a checkpoint with a transport field restored
 * wrongly fails here.
 */
#include "rt.h"
#include "virtio_mmio.h"

#define VIRTIO_BASE 0x10001000UL
#define SLOT(i) (VIRTIO_BASE + 0x1000UL * (i))
#define RNG SLOT(7)
#define QN 8
#define ROUNDS 70000

static struct desc ring_desc[QN] __attribute__((aligned(16)));
static struct desc indirect[4] __attribute__((aligned(16)));
static volatile struct {
    uint16_t flags, idx, ring[QN], used_event;
} avail __attribute__((aligned(2)));
static volatile struct {
    uint16_t flags, idx;
    struct { uint32_t id, len; } ring[QN];
    uint16_t avail_event;
} used __attribute__((aligned(4)));
static uint8_t buf[64];

static uint32_t rd(unsigned long base, unsigned off)
{
    return *(volatile uint32_t *)(base + off);
}

static void wr(unsigned long base, unsigned off, uint32_t v)
{
    *(volatile uint32_t *)(base + off) = v;
}

static uint16_t next_avail;   /* the driver's model of the rings */

/* Reset, negotiate VERSION_1 (and the low feature word `low`), set up
   queue 0 of QN entries, DRIVER_OK. */
static void setup_features(uint32_t low)
{
    wr(RNG, STATUS, 0);
    CHECK_EQ(rd(RNG, STATUS), 0);
    wr(RNG, STATUS, S_ACK | S_DRIVER);
    wr(RNG, DEV_FEAT_SEL, 1);
    CHECK(rd(RNG, DEV_FEAT) & 1);                 /* VERSION_1 offered */
    wr(RNG, DRV_FEAT_SEL, 0);
    wr(RNG, DRV_FEAT, low);
    wr(RNG, DRV_FEAT_SEL, 1);
    wr(RNG, DRV_FEAT, 1);
    wr(RNG, STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    CHECK(rd(RNG, STATUS) & S_FEATURES_OK);
    wr(RNG, QUEUE_SEL, 0);
    CHECK(rd(RNG, QUEUE_NUM_MAX) >= QN);
    CHECK_EQ(rd(RNG, QUEUE_READY), 0);
    wr(RNG, QUEUE_NUM, QN);
    wr(RNG, DESC_LO, (uint32_t)(uintptr_t)ring_desc);
    wr(RNG, DESC_HI, (uint32_t)((uintptr_t)ring_desc >> 32));
    wr(RNG, DRIVER_LO, (uint32_t)(uintptr_t)&avail);
    wr(RNG, DRIVER_HI, 0);
    wr(RNG, DEVICE_LO, (uint32_t)(uintptr_t)&used);
    wr(RNG, DEVICE_HI, 0);
    wr(RNG, QUEUE_READY, 1);
    CHECK_EQ(rd(RNG, QUEUE_READY), 1);
    wr(RNG, STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
    avail.flags = 0;
    avail.idx = 0;
    used.idx = 0;
    next_avail = 0;
}

static void setup(void)
{
    setup_features(0);
}

/* Offer descriptor `head` and notify. */
static void kick(uint16_t head)
{
    avail.ring[next_avail % QN] = head;
    next_avail++;
    __sync_synchronize();
    avail.idx = next_avail;
    __sync_synchronize();
    wr(RNG, QUEUE_NOTIFY, 0);
}

/* A hostile ring: the device flags it and keeps the machine running. */
static void expect_broken(void)
{
    CHECK(rd(RNG, STATUS) & S_NEEDS_RESET);
    CHECK(rd(RNG, INT_STATUS) & 2);                /* config change */
    wr(RNG, INT_ACK, 3);
    CHECK_EQ(used.idx, 0);
    setup();
    CHECK_EQ(rd(RNG, STATUS) & S_NEEDS_RESET, 0);
}

int main(void)
{
    for (unsigned i = 0; i < 8; i++) {
        CHECK_EQ(rd(SLOT(i), MAGIC), 0x74726976);
        CHECK_EQ(rd(SLOT(i), VERSION), 2);
        CHECK_EQ(rd(SLOT(i), DEVICE_ID), i == 7 ? 4 : 0);
    }

    /* Without VERSION_1 the device refuses FEATURES_OK. */
    wr(RNG, STATUS, 0);
    wr(RNG, STATUS, S_ACK | S_DRIVER);
    wr(RNG, DRV_FEAT_SEL, 1);
    wr(RNG, DRV_FEAT, 0);
    wr(RNG, STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    CHECK_EQ(rd(RNG, STATUS) & S_FEATURES_OK, 0);

    /* One request: 64 bytes of entropy and the used interrupt. */
    setup();
    ring_desc[0] = (struct desc){ (uintptr_t)buf, sizeof(buf), F_WRITE, 0 };
    kick(0);
    CHECK_EQ(used.idx, 1);
    CHECK_EQ(used.ring[0].id, 0);
    CHECK_EQ(used.ring[0].len, sizeof(buf));
    unsigned nonzero = 0;
    for (unsigned i = 0; i < sizeof(buf); i++) {
        nonzero += buf[i] != 0;
    }
    CHECK(nonzero > 32);
    CHECK_EQ(rd(RNG, INT_STATUS), 1);
    wr(RNG, INT_ACK, 1);
    CHECK_EQ(rd(RNG, INT_STATUS), 0);
    /* Suppressed interrupt: the buffer is still used. */
    avail.flags = 1;
    kick(0);
    CHECK_EQ(used.idx, 2);
    CHECK_EQ(rd(RNG, INT_STATUS), 0);

    /* VIRTIO_F_EVENT_IDX: an interrupt only when used_idx passes
       used_event; the device publishes avail_event. */
    wr(RNG, DEV_FEAT_SEL, 0);
    CHECK(rd(RNG, DEV_FEAT) & (1u << 29));
    setup_features(1u << 29);
    avail.used_event = 2;
    ring_desc[0] = (struct desc){ (uintptr_t)buf, 4, F_WRITE, 0 };
    kick(0);
    kick(0);
    CHECK_EQ(used.idx, 2);
    CHECK_EQ(used.avail_event, 2);
    CHECK_EQ(rd(RNG, INT_STATUS), 0);      /* used_event 2 not passed yet */
    kick(0);
    CHECK_EQ(rd(RNG, INT_STATUS), 1);      /* 2 -> 3 passes it */
    wr(RNG, INT_ACK, 1);
    kick(0);
    CHECK_EQ(rd(RNG, INT_STATUS), 0);      /* not again until it moves */
    avail.used_event = 4;
    kick(0);
    CHECK_EQ(rd(RNG, INT_STATUS), 1);
    wr(RNG, INT_ACK, 1);

    /* Hostile rings. */
    setup();   /* a chain that loops: 0 -> 1 -> 0 */
    ring_desc[0] = (struct desc){ (uintptr_t)buf, 8, F_WRITE | F_NEXT, 1 };
    ring_desc[1] = (struct desc){ (uintptr_t)buf + 8, 8, F_WRITE | F_NEXT, 0 };
    kick(0);
    expect_broken();
    /* A buffer outside RAM. */
    ring_desc[0] = (struct desc){ 0x20000000, 16, F_WRITE, 0 };
    kick(0);
    expect_broken();
    /* A device-readable buffer outside RAM (virtio-rng never reads it:
       only the chain check can see it). */
    ring_desc[0] = (struct desc){ 0x20000000, 16, F_NEXT, 1 };
    ring_desc[1] = (struct desc){ (uintptr_t)buf, 16, F_WRITE, 0 };
    kick(0);
    expect_broken();
    /* A buffer running off the end of RAM (wraps round). */
    ring_desc[0] = (struct desc){ ~0ULL - 4, 16, F_WRITE, 0 };
    kick(0);
    expect_broken();
    /* A next index beyond the queue. */
    ring_desc[0] = (struct desc){ (uintptr_t)buf, 8, F_WRITE | F_NEXT, 200 };
    kick(0);
    expect_broken();
    /* A head beyond the queue. */
    kick(QN + 3);
    expect_broken();
    /* An indirect table whose length is not whole descriptors. */
    ring_desc[0] = (struct desc){ (uintptr_t)indirect, 15, F_INDIRECT, 0 };
    kick(0);
    expect_broken();
    /* An indirect table that loops. */
    indirect[0] = (struct desc){ (uintptr_t)buf, 8, F_WRITE | F_NEXT, 1 };
    indirect[1] = (struct desc){ (uintptr_t)buf, 8, F_WRITE | F_NEXT, 0 };
    ring_desc[0] = (struct desc){ (uintptr_t)indirect, 32, F_INDIRECT, 0 };
    kick(0);
    expect_broken();
    /* An available index far ahead of the device's. */
    avail.idx = QN + 5;
    wr(RNG, QUEUE_NOTIFY, 0);
    expect_broken();
    /* A good indirect table works. */
    indirect[0] = (struct desc){ (uintptr_t)buf, 8, F_WRITE | F_NEXT, 1 };
    indirect[1] = (struct desc){ (uintptr_t)buf + 8, 8, F_WRITE, 0 };
    ring_desc[0] = (struct desc){ (uintptr_t)indirect, 32, F_INDIRECT, 0 };
    kick(0);
    CHECK_EQ(used.idx, 1);
    CHECK_EQ(used.ring[0].len, 16);
    CHECK_EQ(rd(RNG, STATUS) & S_NEEDS_RESET, 0);
    rt_puts("hostile rings flagged\n");

    /* Many requests, each checked against the driver's model. */
    setup();
    uint64_t sum = 0;
    for (unsigned long r = 0; r < ROUNDS; r++) {
        uint16_t head = (uint16_t)(r % QN);
        uint32_t len = 1 + (uint32_t)(r % 16);
        ring_desc[head] = (struct desc){ (uintptr_t)buf, len, F_WRITE, 0 };
        kick(head);
        unsigned slot = (uint16_t)(next_avail - 1) % QN;   /* idx wraps */
        if (used.idx != next_avail || used.ring[slot].id != head ||
            used.ring[slot].len != len) {
            CHECK_EQ(used.idx, next_avail);
            CHECK_EQ(used.ring[slot].id, head);
            CHECK_EQ(used.ring[slot].len, len);
        }
        wr(RNG, INT_ACK, 1);
        sum = sum * 31 + buf[0];
    }
    CHECK_EQ(rd(RNG, STATUS) & S_NEEDS_RESET, 0);
    rt_puts("PASS virtio_rng ");
    rt_put_hex(sum);
    rt_puts("\n");
    return 0;
}
