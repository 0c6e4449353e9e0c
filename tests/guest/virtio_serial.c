/*
 * virtio_serial - drives rewind's virtio-serial-device (hw/virtio/
 * virtio_serial.c) from a bare-metal guest, as Linux's virtio_console
 * driver does, through its queues. Run with
 *     -device virtio-serial-device -device virtconsole,chardev=c0
 *     -device virtserialport,chardev=c1,name=org.rewind.test
 *     -chardev ...,id=c0 -chardev ...,id=c1
 * The device lands on the last transport (0x10008000).
 *
 * Checks: device id 3, MULTIPORT and EMERG_WRITE offered, max_nr_ports 3;
 * DEVICE_READY gets DEVICE_ADD for ports 0 and 1; PORT_READY gets
 * CONSOLE_PORT (port 0), PORT_NAME "org.rewind.test" (port 1) and
 * PORT_OPEN 1 (host side open). Then it prints "vserial: ready" on the
 * UART and "hello console\n" on port 0, "hello port\n" on port 1 (the
 * host reads both from the chardevs), and waits for input: the bytes the
 * host sends on port 0 must end in '.', those on port 1 in '!'; it echoes
 * what came to the UART. Hostile chains (a loop, a buffer outside RAM, a
 * writable buffer in a transmitq, a readable one in a receiveq) set
 * DEVICE_NEEDS_RESET while the machine keeps running, and a reset device
 * works again. Last, the host's client of port 1 leaves and comes back:
 * the device says PORT_OPEN 0, then 1, for port 1; the guest answers
 * "closed\n" on the console port, writes "lost\n" on port 1 while nobody
 * is there (dropped) and "again\n" once the client is back.
 */
#include "rt.h"
#include "virtio_mmio.h"

#define VS 0x10008000UL
#define QN 8
#define NQ 8

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

static uint32_t rd(unsigned off)
{
    return *(volatile uint32_t *)(VS + off);
}

static void wr(unsigned off, uint32_t v)
{
    *(volatile uint32_t *)(VS + off) = v;
}

static void setup(void)
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

static void offer(unsigned q, uint16_t head)
{
    struct queue *Q = &qs[q];
    Q->avail.ring[Q->next_avail % QN] = head;
    Q->next_avail++;
    __sync_synchronize();
    Q->avail.idx = Q->next_avail;
    __sync_synchronize();
}

/* Post receive buffer `slot` of queue q (device-writable). */
static void post_rx(unsigned q, unsigned slot)
{
    qs[q].desc[slot] = (struct desc){ (uintptr_t)bufs[q][slot],
                                      sizeof(bufs[q][slot]), F_WRITE, 0 };
    offer(q, (uint16_t)slot);
}

/* Send len bytes on queue q (device-readable) and notify. */
static void send(unsigned q, const void *data, uint32_t len)
{
    struct queue *Q = &qs[q];
    unsigned slot = Q->next_avail % QN;
    memcpy(bufs[q][slot], data, len);
    Q->desc[slot] = (struct desc){ (uintptr_t)bufs[q][slot], len, 0, 0 };
    offer(q, (uint16_t)slot);
    wr(QUEUE_NOTIFY, q);
}

static uint32_t strlen_(const char *s)
{
    uint32_t n = 0;
    while (s[n]) {
        n++;
    }
    return n;
}

static void send_ctrl(uint32_t id, uint16_t event, uint16_t value)
{
    struct { uint32_t id; uint16_t event, value; } m = { id, event, value };
    send(3, &m, sizeof(m));
}

/* The next used buffer of queue q, or NULL; its length in *len. */
static uint8_t *take_used(unsigned q, uint32_t *len)
{
    struct queue *Q = &qs[q];
    if (Q->used.idx == Q->last_used) {
        return NULL;
    }
    unsigned e = Q->last_used++ % QN;
    *len = Q->used.ring[e].len;
    return bufs[q][Q->used.ring[e].id];
}

/* The next control message: event, id, value (name appended to `name`). */
static void expect_ctrl(uint32_t id, uint16_t event, uint16_t value,
                        const char *name)
{
    uint32_t len = 0;
    uint8_t *b = take_used(2, &len);
    CHECK(b != NULL);
    CHECK(len >= 8);
    CHECK_EQ(*(uint32_t *)b, id);
    CHECK_EQ(*(uint16_t *)(b + 4), event);
    CHECK_EQ(*(uint16_t *)(b + 6), value);
    if (name) {
        CHECK_EQ(len - 8, strlen_(name));
        CHECK_EQ(memcmp(b + 8, name, len - 8), 0);
    }
    post_rx(2, (unsigned)(b - bufs[2][0]) / sizeof(bufs[2][0]));
    wr(QUEUE_NOTIFY, 2);
}

/* Wait for the next control message (the host side's state changes
   arrive between slices) and check it. */
static void wait_ctrl(uint32_t id, uint16_t event, uint16_t value)
{
    while (qs[2].used.idx == qs[2].last_used) {
        __sync_synchronize();
    }
    expect_ctrl(id, event, value, NULL);
}

/* Bring the device up as Linux does: ports 0 (console) and 1 (named). */
static void bring_up(void)
{
    setup();
    for (unsigned s = 0; s < QN; s++) {
        post_rx(2, s);
    }
    wr(QUEUE_NOTIFY, 2);
    send_ctrl(0, EV_DEVICE_READY, 1);
    CHECK_EQ(qs[3].used.idx, 1);                /* completed at once */
    expect_ctrl(0, EV_DEVICE_ADD, 0, NULL);
    expect_ctrl(1, EV_DEVICE_ADD, 0, NULL);
    uint32_t len;
    CHECK(take_used(2, &len) == NULL);          /* no port 2 */
    for (unsigned s = 0; s < QN; s++) {
        post_rx(0, s);
        post_rx(4, s);
    }
    send_ctrl(0, EV_PORT_READY, 1);
    expect_ctrl(0, EV_CONSOLE_PORT, 1, NULL);
    expect_ctrl(0, EV_PORT_OPEN, 1, NULL);
    send_ctrl(1, EV_PORT_READY, 1);
    expect_ctrl(1, EV_PORT_NAME, 0, "org.rewind.test");
    expect_ctrl(1, EV_PORT_OPEN, 1, NULL);
    send_ctrl(0, EV_PORT_OPEN, 1);              /* hvc opens the console */
    send_ctrl(1, EV_PORT_OPEN, 1);              /* a process opens vport */
}

/* A hostile chain: the device flags it, the machine runs on. */
static void expect_broken(void)
{
    CHECK(rd(STATUS) & S_NEEDS_RESET);
    CHECK(rd(INT_STATUS) & 2);
    wr(INT_ACK, 3);
    bring_up();
    CHECK_EQ(rd(STATUS) & S_NEEDS_RESET, 0);
}

/* Read port q's input until `end`; echo it to the UART. */
static unsigned receive(unsigned q, char end)
{
    unsigned total = 0;
    for (;;) {
        uint32_t len;
        uint8_t *b = take_used(q, &len);
        if (!b) {
            continue;   /* polled: the bytes arrive between slices */
        }
        for (uint32_t i = 0; i < len; i++) {
            rt_putc((char)b[i]);
        }
        total += len;
        post_rx(q, (unsigned)(b - bufs[q][0]) / sizeof(bufs[q][0]));
        wr(QUEUE_NOTIFY, q);
        if (len && b[len - 1] == (uint8_t)end) {
            return total;
        }
    }
}

int main(void)
{
    CHECK_EQ(rd(MAGIC), 0x74726976);
    CHECK_EQ(rd(DEVICE_ID), 3);
    wr(DEV_FEAT_SEL, 0);
    CHECK_EQ(rd(DEV_FEAT) & 6, 6);              /* MULTIPORT, EMERG_WRITE */
    CHECK_EQ(rd(CONFIG + 4), 3);                /* max_nr_ports */

    bring_up();

    /* Hostile chains. A loop in the control transmitq: */
    qs[3].desc[0] = (struct desc){ (uintptr_t)bufs[3][0], 8, F_NEXT, 1 };
    qs[3].desc[1] = (struct desc){ (uintptr_t)bufs[3][1], 8, F_NEXT, 0 };
    offer(3, 0);
    wr(QUEUE_NOTIFY, 3);
    expect_broken();
    /* A transmit buffer outside RAM. */
    qs[1].desc[0] = (struct desc){ 0x20000000, 16, 0, 0 };
    offer(1, 0);
    wr(QUEUE_NOTIFY, 1);
    expect_broken();
    /* A writable buffer in a transmitq. */
    qs[5].desc[0] = (struct desc){ (uintptr_t)bufs[5][0], 16, F_WRITE, 0 };
    offer(5, 0);
    wr(QUEUE_NOTIFY, 5);
    expect_broken();
    /* Control messages wait for a control receive buffer; a readable
       one there is hostile. */
    setup();
    send_ctrl(0, EV_DEVICE_READY, 1);
    CHECK_EQ(qs[2].used.idx, 0);
    qs[2].desc[0] = (struct desc){ (uintptr_t)bufs[2][0], 16, 0, 0 };
    offer(2, 0);
    wr(QUEUE_NOTIFY, 2);
    expect_broken();
    rt_puts("vserial: hostile chains flagged\n");

    /* Emergency write and data out. */
    wr(CONFIG + 8, '>');
    send(1, "hello console\n", 14);
    send(5, "hello port\n", 11);
    CHECK_EQ(qs[1].used.idx, 1);
    CHECK_EQ(qs[5].used.idx, 1);
    rt_puts("vserial: ready\n");

    /* Data in, from the host through the input door. */
    unsigned n0 = receive(0, '.');
    rt_puts("\nvserial: console got ");
    rt_put_dec(n0);
    rt_puts(" bytes\n");
    unsigned n1 = receive(4, '!');
    rt_puts("\nvserial: port got ");
    rt_put_dec(n1);
    rt_puts(" bytes\n");
    send(5, "bye\n", 4);

    /* The host's client of port 1 goes away and comes back. */
    wait_ctrl(1, EV_PORT_OPEN, 0);
    rt_puts("vserial: host closed port 1\n");
    send(5, "lost\n", 5);                       /* nobody there: dropped */
    send(1, "closed\n", 7);
    wait_ctrl(1, EV_PORT_OPEN, 1);
    rt_puts("vserial: host opened port 1\n");
    send(5, "again\n", 6);
    return rt_pass("virtio_serial");
}
