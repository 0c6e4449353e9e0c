/*
 * virtio_blk - drives rewind's virtio-blk-device (hw/virtio/virtio_blk.c)
 * from a bare-metal guest. Run (tests/replay/virtio_blk_test.py makes the
 * images) with
 *     -drive file=rw.img,format=raw,if=none,id=d0
 *     -device virtio-blk-device,drive=d0,serial=blk-serial-1
 *     -drive file=ro.img,format=raw,if=none,id=d1,readonly=on
 *     -device virtio-blk-device,drive=d1
 * d0 lands on the last transport (0x10008000), d1 on the one before.
 * Both images are 1 MiB; byte i of sector s holds (s * 7 + i) & 0xff.
 *
 * Checks: config (capacity, blk_size, RO only on d1), read, write, flush,
 * read back, get-id, write-zeroes and discard, several requests in flight
 * completing later than the notify (modelled latency) and in order, a
 * write to the read-only disk failing with IOERR, hostile requests (header
 * too short, sector past the end, a length not whole sectors: IOERR;
 * unknown type: UNSUPP; no writable status byte: DEVICE_NEEDS_RESET) with
 * the machine running on. Last, it writes a sector, runs a long loop
 * (checkpoints are taken in it) and reads the sector back: a replay that
 * seeks into the loop must restore the disk overlay, or this fails.
 * Before that, 800 streaming reads of 32 KiB keep a request in flight
 * nearly all the time, so checkpoints save requests in flight, and a bulk
 * write of 768 KiB of incompressible data (through one 32 KiB buffer, so
 * RAM hardly changes) shows whether checkpoints grow with what the guest
 * wrote; its last chunk is read back at the end.
 */
#include "rt.h"
#include "virtio_mmio.h"

#define VIRTIO_BASE 0x10001000UL
#define SLOT(i) (VIRTIO_BASE + 0x1000UL * (i))
#define QN 8
#define SECTORS 2048
#define BULK_SECTOR 512
#define BULK_CHUNKS 24                /* x 32 KiB = 768 KiB */

#define F_RO 5
#define F_BLK_SIZE 6
#define F_FLUSH 9
#define F_DISCARD 13
#define F_WRITE_ZEROES 14

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define T_DISCARD 11
#define T_WRITE_ZEROES 13

struct seg {
    uint64_t sector;
    uint32_t num, flags;
};

struct hdr {
    uint32_t type, reserved;
    uint64_t sector;
};

struct dev {
    unsigned long base;
    struct desc desc[QN] __attribute__((aligned(16)));
    volatile struct {
        uint16_t flags, idx, ring[QN], used_event;
    } avail __attribute__((aligned(2)));
    volatile struct {
        uint16_t flags, idx;
        struct { uint32_t id, len; } ring[QN];
        uint16_t avail_event;
    } used __attribute__((aligned(4)));
    uint16_t next_avail, next_used;
    struct hdr hdr[4];
    uint8_t data[4][1024];
    volatile uint8_t status[4];
};

static struct dev d0 = { .base = SLOT(7) }, d1 = { .base = SLOT(6) };

static uint32_t rd(const struct dev *d, unsigned off)
{
    return *(volatile uint32_t *)(d->base + off);
}

static void wr(const struct dev *d, unsigned off, uint32_t v)
{
    *(volatile uint32_t *)(d->base + off) = v;
}

static uint64_t features(struct dev *d)
{
    wr(d, DEV_FEAT_SEL, 0);
    uint64_t f = rd(d, DEV_FEAT);
    wr(d, DEV_FEAT_SEL, 1);
    return f | (uint64_t)rd(d, DEV_FEAT) << 32;
}

static void setup(struct dev *d)
{
    wr(d, STATUS, 0);
    wr(d, STATUS, S_ACK | S_DRIVER);
    uint64_t want = features(d) & ((1ull << F_RO) | (1ull << F_BLK_SIZE) |
                                   (1ull << F_FLUSH) | (1ull << F_DISCARD) |
                                   (1ull << F_WRITE_ZEROES) | (1ull << 32));
    wr(d, DRV_FEAT_SEL, 0);
    wr(d, DRV_FEAT, (uint32_t)want);
    wr(d, DRV_FEAT_SEL, 1);
    wr(d, DRV_FEAT, (uint32_t)(want >> 32));
    wr(d, STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    CHECK(rd(d, STATUS) & S_FEATURES_OK);
    wr(d, QUEUE_SEL, 0);
    CHECK(rd(d, QUEUE_NUM_MAX) >= QN);
    wr(d, QUEUE_NUM, QN);
    wr(d, DESC_LO, (uint32_t)(uintptr_t)d->desc);
    wr(d, DESC_HI, 0);
    wr(d, DRIVER_LO, (uint32_t)(uintptr_t)&d->avail);
    wr(d, DRIVER_HI, 0);
    wr(d, DEVICE_LO, (uint32_t)(uintptr_t)&d->used);
    wr(d, DEVICE_HI, 0);
    wr(d, QUEUE_READY, 1);
    wr(d, STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
    d->avail.flags = 0;
    d->avail.idx = 0;
    d->used.idx = 0;
    d->next_avail = d->next_used = 0;
}

static void post(struct dev *d, uint16_t head)
{
    d->avail.ring[d->next_avail % QN] = head;
    d->next_avail++;
    __sync_synchronize();
    d->avail.idx = d->next_avail;
    __sync_synchronize();
}

static void notify(struct dev *d)
{
    wr(d, QUEUE_NOTIFY, 0);
}

/* Wait until n more requests are used; returns the loops waited. */
static unsigned long wait_used(struct dev *d, uint16_t n)
{
    unsigned long spins = 0;
    uint16_t want = (uint16_t)(d->next_used + n);
    while (d->used.idx != want) {
        if (++spins > 50000000UL) {
            rt_puts("timeout waiting for the disk\n");
            CHECK(0);
        }
    }
    d->next_used = want;
    wr(d, INT_ACK, rd(d, INT_STATUS));
    return spins;
}

/* A chain at descriptors 3*slot..: header, [data], status. */
static uint16_t chain(struct dev *d, unsigned slot, uint32_t type,
                      uint64_t sector, uint32_t len, bool dev_writes)
{
    unsigned i = slot * 3;
    d->hdr[slot] = (struct hdr){ type, 0, sector };
    d->status[slot] = 0xff;
    d->desc[i] = (struct desc){ (uintptr_t)&d->hdr[slot], 16, F_NEXT,
                                (uint16_t)(i + 1) };
    if (len) {
        d->desc[i + 1] = (struct desc){ (uintptr_t)d->data[slot], len,
                                        (uint16_t)(F_NEXT |
                                                   (dev_writes ? F_WRITE : 0)),
                                        (uint16_t)(i + 2) };
        d->desc[i + 2] = (struct desc){ (uintptr_t)&d->status[slot], 1,
                                        F_WRITE, 0 };
    } else {
        d->desc[i].next = (uint16_t)(i + 2);
        d->desc[i + 2] = (struct desc){ (uintptr_t)&d->status[slot], 1,
                                        F_WRITE, 0 };
    }
    return (uint16_t)i;
}

/* One request, waited for; returns its status. */
static uint8_t io(struct dev *d, uint32_t type, uint64_t sector, uint32_t len,
                  bool dev_writes)
{
    post(d, chain(d, 0, type, sector, len, dev_writes));
    notify(d);
    wait_used(d, 1);
    return d->status[0];
}

static uint8_t pattern(uint64_t sector, unsigned i)
{
    return (uint8_t)(sector * 7 + i);
}

/* Chunk c of the bulk write: xorshift64 words, a different seed each. */
static uint64_t bulk_word(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static uint64_t bulk_seed(unsigned c)
{
    return 0x9e3779b97f4a7c15ULL * (c + 1);
}

static void check_sector(const uint8_t *p, uint64_t sector)
{
    for (unsigned i = 0; i < 512; i++) {
        if (p[i] != pattern(sector, i)) {
            CHECK_EQ(p[i], pattern(sector, i));
        }
    }
}

int main(void)
{
    CHECK_EQ(rd(&d0, MAGIC), 0x74726976);
    CHECK_EQ(rd(&d0, DEVICE_ID), 2);
    CHECK_EQ(rd(&d1, DEVICE_ID), 2);
    uint64_t f0 = features(&d0), f1 = features(&d1);
    CHECK_EQ((f0 >> F_RO) & 1, 0);
    CHECK_EQ((f1 >> F_RO) & 1, 1);
    CHECK((f0 >> F_FLUSH) & 1);
    CHECK((f0 >> F_DISCARD) & 1);
    CHECK((f0 >> F_WRITE_ZEROES) & 1);
    CHECK_EQ(rd(&d0, CONFIG + 0), SECTORS);       /* capacity */
    CHECK_EQ(rd(&d0, CONFIG + 4), 0);
    CHECK_EQ(rd(&d0, CONFIG + 20), 512);          /* blk_size */
    setup(&d0);
    setup(&d1);

    /* Read sector 3: the image's pattern, some time after the notify. */
    post(&d0, chain(&d0, 0, T_IN, 3, 512, true));
    notify(&d0);
    CHECK_EQ(d0.used.idx, 0);                     /* not done yet */
    CHECK(wait_used(&d0, 1) > 0);
    CHECK_EQ(d0.status[0], 0);
    CHECK_EQ(d0.used.ring[0].len, 513);
    check_sector(d0.data[0], 3);

    /* Write sector 5, flush, read it back. */
    for (unsigned i = 0; i < 512; i++) {
        d0.data[0][i] = (uint8_t)(0xa5 ^ i);
    }
    CHECK_EQ(io(&d0, T_OUT, 5, 512, false), 0);
    CHECK_EQ(io(&d0, T_FLUSH, 0, 0, false), 0);
    for (unsigned i = 0; i < 512; i++) {
        d0.data[0][i] = 0;
    }
    CHECK_EQ(io(&d0, T_IN, 5, 512, true), 0);
    for (unsigned i = 0; i < 512; i++) {
        CHECK_EQ(d0.data[0][i], (uint8_t)(0xa5 ^ i));
    }

    /* get-id: the serial property, NUL-padded. */
    CHECK_EQ(io(&d0, T_GET_ID, 0, 20, true), 0);
    CHECK_EQ(d0.data[0][0], 'b');
    CHECK_EQ(d0.data[0][11], '1');
    CHECK_EQ(d0.data[0][12], 0);

    /* write-zeroes and discard of sectors 5..6 read back as zeroes. */
    struct seg *seg = (void *)d0.data[0];
    *seg = (struct seg){ 5, 1, 0 };
    CHECK_EQ(io(&d0, T_WRITE_ZEROES, 0, 16, false), 0);
    *seg = (struct seg){ 6, 1, 0 };
    CHECK_EQ(io(&d0, T_DISCARD, 0, 16, false), 0);
    CHECK_EQ(io(&d0, T_IN, 5, 1024, true), 0);
    for (unsigned i = 0; i < 1024; i++) {
        CHECK_EQ(d0.data[0][i], 0);
    }
    *seg = (struct seg){ 6, 1, 1 };          /* discard takes no flags */
    CHECK_EQ(io(&d0, T_DISCARD, 0, 16, false), 2);

    /* Two requests in flight: posted together, completed in order. */
    post(&d0, chain(&d0, 0, T_IN, 10, 1024, true));
    post(&d0, chain(&d0, 1, T_IN, 12, 512, true));
    notify(&d0);
    CHECK_EQ(d0.used.idx, d0.next_used);
    wait_used(&d0, 2);
    CHECK_EQ(d0.used.ring[(d0.next_used - 2) % QN].id, 0);
    CHECK_EQ(d0.used.ring[(d0.next_used - 1) % QN].id, 3);
    CHECK_EQ(d0.status[0], 0);
    CHECK_EQ(d0.status[1], 0);
    check_sector(d0.data[0], 10);
    check_sector(d0.data[0] + 512, 11);
    check_sector(d0.data[1], 12);

    /* The read-only disk reads, and refuses a write. */
    CHECK_EQ(io(&d1, T_IN, 7, 512, true), 0);
    check_sector(d1.data[0], 7);
    CHECK_EQ(io(&d1, T_OUT, 7, 512, false), 1);
    *(struct seg *)d1.data[0] = (struct seg){ 7, 1, 0 };
    CHECK_EQ(io(&d1, T_WRITE_ZEROES, 0, 16, false), 1);
    CHECK_EQ(io(&d1, T_IN, 7, 512, true), 0);
    check_sector(d1.data[0], 7);
    rt_puts("read-only disk refuses writes\n");

    /* Hostile requests. */
    CHECK_EQ(io(&d0, T_IN, SECTORS - 1, 1024, true), 1);   /* past the end */
    CHECK_EQ(io(&d0, T_IN, SECTORS, 512, true), 1);
    CHECK_EQ(io(&d0, T_IN, ~0ULL, 512, true), 1);
    CHECK_EQ(io(&d0, T_OUT, SECTORS - 1, 1024, false), 1);
    CHECK_EQ(io(&d0, T_IN, 1, 100, true), 1);          /* not whole sectors */
    CHECK_EQ(io(&d0, 77, 0, 0, false), 2);              /* unknown type */
    /* A header of 8 bytes. */
    chain(&d0, 0, T_IN, 0, 0, false);
    d0.desc[0].len = 8;
    post(&d0, 0);
    notify(&d0);
    wait_used(&d0, 1);
    CHECK_EQ(d0.status[0], 1);
    CHECK_EQ(rd(&d0, STATUS) & S_NEEDS_RESET, 0);
    /* No writable status byte: the device cannot answer. */
    chain(&d0, 0, T_IN, 0, 0, false);
    d0.desc[2].flags = 0;
    post(&d0, 0);
    notify(&d0);
    while (!(rd(&d0, STATUS) & S_NEEDS_RESET)) {
    }
    CHECK(rd(&d0, INT_STATUS) & 2);
    wr(&d0, INT_ACK, 3);
    setup(&d0);
    CHECK_EQ(io(&d0, T_IN, 3, 512, true), 0);
    check_sector(d0.data[0], 3);
    rt_puts("hostile requests flagged\n");

    /* Streaming reads, one in flight nearly all the time: checkpoints
       land while a request waits for its completion time, and a seek
       through one must bring it back (or the guest waits forever). */
    static uint8_t big[32768] __attribute__((aligned(8)));
    d0.desc[0] = (struct desc){ (uintptr_t)&d0.hdr[0], 16, F_NEXT, 1 };
    d0.desc[1] = (struct desc){ (uintptr_t)big, sizeof(big), F_NEXT | F_WRITE,
                                2 };
    d0.desc[2] = (struct desc){ (uintptr_t)&d0.status[0], 1, F_WRITE, 0 };
    for (unsigned r = 0; r < 800; r++) {
        uint64_t sector = (r * 64) % SECTORS;
        d0.hdr[0] = (struct hdr){ T_IN, 0, sector };
        d0.status[0] = 0xff;
        post(&d0, 0);
        notify(&d0);
        wait_used(&d0, 1);
        CHECK_EQ(d0.status[0], 0);
        CHECK_EQ(big[1], pattern(sector, 1));
        CHECK_EQ(big[sizeof(big) - 1], pattern(sector + 63, 511));
    }
    rt_puts("streaming done\n");

    /* Bulk write: sectors 512.. get 24 chunks of 32 KiB. */
    d0.desc[1].flags = F_NEXT;                /* the device reads big */
    for (unsigned c = 0; c < BULK_CHUNKS; c++) {
        uint64_t x = bulk_seed(c);
        for (unsigned i = 0; i < sizeof(big) / 8; i++) {
            ((uint64_t *)big)[i] = bulk_word(&x);
        }
        d0.hdr[0] = (struct hdr){ T_OUT, 0, BULK_SECTOR + c * 64 };
        d0.status[0] = 0xff;
        post(&d0, 0);
        notify(&d0);
        wait_used(&d0, 1);
        CHECK_EQ(d0.status[0], 0);
    }
    d0.desc[1].flags = F_NEXT | F_WRITE;
    rt_puts("bulk write done\n");

    /* Write, run long (checkpoints land here), read back. */
    for (unsigned i = 0; i < 512; i++) {
        d0.data[0][i] = (uint8_t)(i * 13 + 1);
    }
    CHECK_EQ(io(&d0, T_OUT, 100, 512, false), 0);
    uint64_t sum = 0;
    for (unsigned long r = 0; r < 3000000; r++) {
        sum = sum * 31 + r;
    }
    for (unsigned i = 0; i < 512; i++) {
        d0.data[0][i] = 0;
    }
    CHECK_EQ(io(&d0, T_IN, 100, 512, true), 0);
    for (unsigned i = 0; i < 512; i++) {
        if (d0.data[0][i] != (uint8_t)(i * 13 + 1)) {
            rt_puts("sector 100 lost its write\n");
            CHECK_EQ(d0.data[0][i], (uint8_t)(i * 13 + 1));
        }
    }
    /* The last bulk chunk reads back. */
    d0.hdr[0] = (struct hdr){ T_IN, 0, BULK_SECTOR + (BULK_CHUNKS - 1) * 64 };
    d0.status[0] = 0xff;
    post(&d0, 0);
    notify(&d0);
    wait_used(&d0, 1);
    CHECK_EQ(d0.status[0], 0);
    uint64_t x = bulk_seed(BULK_CHUNKS - 1);
    for (unsigned i = 0; i < sizeof(big) / 8; i++) {
        if (((uint64_t *)big)[i] != bulk_word(&x)) {
            rt_puts("the bulk write did not read back\n");
            CHECK(0);
        }
    }
    rt_puts("PASS virtio_blk ");
    rt_put_hex(sum);
    rt_puts("\n");
    return 0;
}
