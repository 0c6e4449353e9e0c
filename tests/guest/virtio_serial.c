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
#include "vserial_drv.h"

static uint32_t strlen_(const char *s)
{
    uint32_t n = 0;
    while (s[n]) {
        n++;
    }
    return n;
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
    vs_setup();
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
    vs_setup();
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
