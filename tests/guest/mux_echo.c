/*
 * mux_echo - echoes typed lines on two front ends at once, the UART and a
 * virtconsole, so that a test can check which one a mux'd chardev
 * (-chardev stdio,mux=on shared by -serial chardev:ID and
 * -device virtconsole,chardev=ID) gives the input to. Run with
 *     -serial chardev:s0 -chardev stdio,id=s0,mux=on
 *     -device virtio-serial-device -device virtconsole,chardev=s0
 * The device lands on the last transport (0x10008000).
 *
 * Each line (ended by CR) that the UART receives is printed on the UART
 * as "uart got: [LINE]", each line the console receives on the console
 * as "hvc got: [LINE]"; other bytes are shown as \xNN. When both have
 * received a line "q" the guest passes. It waits for input forever
 * otherwise: it runs only under tests/replay/mux_test.py.
 */
#include "vserial_drv.h"

#define UART_RBR 0
#define UART_LSR 5
#define UART_LSR_DR 0x01

static void bring_up(void)
{
    CHECK_EQ(rd(MAGIC), 0x74726976);
    CHECK_EQ(rd(DEVICE_ID), 3);
    vs_setup();
    for (unsigned s = 0; s < QN; s++) {
        post_rx(0, s);
        post_rx(2, s);
    }
    wr(QUEUE_NOTIFY, 2);
    send_ctrl(0, EV_DEVICE_READY, 1);
    send_ctrl(0, EV_PORT_READY, 1);
    send_ctrl(0, EV_PORT_OPEN, 1);            /* hvc opens the console */
    wr(QUEUE_NOTIFY, 0);
}

/* A line being typed on one front end. */
struct line {
    char buf[40];
    unsigned len;
    int quit;
};

static unsigned append_byte(char *out, unsigned n, uint8_t c)
{
    static const char hex[] = "0123456789abcdef";
    if (c >= 0x20 && c < 0x7f) {
        out[n++] = (char)c;
    } else {
        out[n++] = '\\';
        out[n++] = 'x';
        out[n++] = hex[c >> 4];
        out[n++] = hex[c & 15];
    }
    return n;
}

/* Feed one byte; on CR, report the line through `put` with `who`. */
static void feed(struct line *l, uint8_t c, const char *who,
                 void (*put)(const char *, unsigned))
{
    if (c != '\r') {
        if (l->len + 4 < sizeof(l->buf)) {
            l->len = append_byte(l->buf, l->len, c);
        }
        return;
    }
    char out[80];
    unsigned n = 0;
    for (const char *p = who; *p; p++) {
        out[n++] = *p;
    }
    for (const char *p = " got: ["; *p; p++) {
        out[n++] = *p;
    }
    memcpy(out + n, l->buf, l->len);
    n += l->len;
    out[n++] = ']';
    out[n++] = '\n';
    put(out, n);
    if (l->len == 1 && l->buf[0] == 'q') {
        l->quit = 1;
    }
    l->len = 0;
}

static void put_uart(const char *s, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        rt_putc(s[i]);
    }
}

static void put_hvc(const char *s, unsigned n)
{
    send(1, s, n);
    uint32_t len;
    while (!take_used(1, &len)) {
        /* the device completes a transmit at the notify */
    }
}

int main(void)
{
    volatile uint8_t *uart = (volatile uint8_t *)RT_UART_BASE;
    struct line u = { .len = 0 }, h = { .len = 0 };

    bring_up();
    rt_puts("mux_echo: ready\n");
    while (!(u.quit && h.quit)) {
        if (uart[UART_LSR] & UART_LSR_DR) {
            feed(&u, uart[UART_RBR], "uart", put_uart);
        }
        uint32_t len;
        uint8_t *b = take_used(0, &len);
        if (b) {
            for (uint32_t i = 0; i < len; i++) {
                feed(&h, b[i], "hvc", put_hvc);
            }
            post_rx(0, (unsigned)(b - bufs[0][0]) / sizeof(bufs[0][0]));
            wr(QUEUE_NOTIFY, 0);
        }
        /* control messages from the device: taken and given back */
        b = take_used(2, &len);
        if (b) {
            post_rx(2, (unsigned)(b - bufs[2][0]) / sizeof(bufs[2][0]));
            wr(QUEUE_NOTIFY, 2);
        }
    }
    return rt_pass("mux_echo");
}
