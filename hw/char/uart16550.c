/*
 * NS16550A UART (TI/National PC16550D datasheet), behaving like QEMU's
 * hw/char/serial.c as the virt board instantiates it.
 *
 * Registers (offset & 7, byte wide; wider accesses use the low byte):
 *     0 RBR/THR (DLL when LCR.DLAB)   4 MCR
 *     1 IER     (DLM when LCR.DLAB)   5 LSR
 *     2 IIR (read) / FCR (write)      6 MSR
 *     3 LCR                           7 SCR
 *
 * Transmit is instantaneous: a THR write goes straight to the backend, so
 * THRE and TEMT always read 1 and the THR-empty interrupt is re-armed at
 * once. As on real hardware (and QEMU), setting IER.ETBEI while THRE is 1
 * raises the THR-empty interrupt again, and reading IIR when it reports
 * THR-empty clears it.
 *
 * Receive holds one byte (FIFO off) or HW_UART16550_FIFO_SIZE bytes (FIFO
 * on). Bytes come only from core input, which offers them through
 * uart_rx_sink and keeps what does not fit; reading RBR frees room and
 * tells core input at once, so delivery happens at guest register accesses
 * and is deterministic. With the FIFO on, the data-available interrupt
 * waits for the trigger level, and a character-timeout interrupt fires 4
 * character times (from LCR and the divisor, at QEMU virt's baud base)
 * after the last byte arrived: a virtual-time timer, saved as its deadline.
 *
 * Simplifications, as in QEMU: the modem lines are fixed (MSR reads
 * DCD|DSR|CTS, never a delta, so the modem-status interrupt never fires);
 * in loopback (MCR.LOOP) THR bytes go to the RX FIFO and MSR mirrors MCR;
 * MCR.OUT2 does not gate the interrupt; parity/framing errors and break
 * never happen. The only line-status event is an overrun in loopback.
 */
#include "hw/char/uart16550.h"
#include "hw/registry.h"

#include <libfdt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    IER_RDI = 0x01, IER_THRI = 0x02, IER_RLSI = 0x04, IER_MSI = 0x08,
    IIR_NO_INT = 0x01, IIR_THRI = 0x02, IIR_RDI = 0x04, IIR_RLSI = 0x06,
    IIR_CTI = 0x0c, IIR_ID = 0x0f, IIR_FIFO = 0xc0,
    FCR_FE = 0x01, FCR_RFR = 0x02, FCR_XFR = 0x04, FCR_SAVED = 0xc9,
    LCR_DLAB = 0x80,
    MCR_OUT2 = 0x08, MCR_LOOP = 0x10, MCR_MASK = 0x1f,
    LSR_DR = 0x01, LSR_OE = 0x02, LSR_BI = 0x10, LSR_THRE = 0x20,
    LSR_TEMT = 0x40,
    MSR_CTS = 0x10, MSR_DSR = 0x20, MSR_DCD = 0x80,
};

#define NO_DEADLINE UINT64_MAX

struct Uart16550 {
    /* Saved state. */
    uint8_t rx_fifo[HW_UART16550_FIFO_SIZE];
    uint8_t rx_head;           /* index of the oldest received byte */
    uint8_t rx_count;
    uint8_t rbr;               /* last byte read: RBR when nothing waits */
    uint8_t ier, lcr, mcr, fcr, scr;
    uint8_t lsr_err;           /* sticky OE, cleared by reading LSR */
    uint8_t thr_ipending;
    uint8_t timeout_ipending;
    uint16_t divider;
    uint64_t timeout_ns;       /* RX timeout deadline, or NO_DEADLINE */

    /* Host handles. */
    CoreMachine *m;
    CoreIrq irq;
    BeChardev *chr;
    CoreInput *input;
    unsigned port;
    CoreTimer timeout_timer;
};

static unsigned rx_capacity(const Uart16550 *u)
{
    return (u->fcr & FCR_FE) ? HW_UART16550_FIFO_SIZE : 1;
}

static unsigned rx_trigger(const Uart16550 *u)
{
    static const uint8_t levels[4] = { 1, 4, 8, 14 };
    return levels[u->fcr >> 6];
}

/* Time to send one frame: start bit, data bits, parity, stop bits. */
static uint64_t char_time_ns(const Uart16550 *u)
{
    unsigned bits = 1 + 5 + (u->lcr & 3) + ((u->lcr & 0x08) ? 1 : 0) +
                    ((u->lcr & 0x04) ? 2 : 1);
    uint64_t baud = HW_UART16550_BAUDBASE / (u->divider ? u->divider : 1);
    return (1000000000ull / baud) * bits;
}

static uint8_t iir_value(const Uart16550 *u)
{
    uint8_t id = IIR_NO_INT;

    if ((u->ier & IER_RLSI) && (u->lsr_err & (LSR_OE | LSR_BI))) {
        id = IIR_RLSI;
    } else if ((u->ier & IER_RDI) && u->timeout_ipending) {
        id = IIR_CTI;
    } else if ((u->ier & IER_RDI) && u->rx_count &&
               (!(u->fcr & FCR_FE) || u->rx_count >= rx_trigger(u))) {
        id = IIR_RDI;
    } else if ((u->ier & IER_THRI) && u->thr_ipending) {
        id = IIR_THRI;
    }
    return id | ((u->fcr & FCR_FE) ? IIR_FIFO : 0);
}

static void update_irq(Uart16550 *u)
{
    core_irq_set(&u->irq, !(iir_value(u) & IIR_NO_INT));
}

static void cancel_timeout(Uart16550 *u)
{
    u->timeout_ns = NO_DEADLINE;
    if (u->timeout_timer.armed) {
        core_timer_cancel(u->m, &u->timeout_timer);
    }
}

static void restart_timeout(Uart16550 *u)
{
    cancel_timeout(u);
    u->timeout_ns = core_clock_ns(u->m) + 4 * char_time_ns(u);
    core_timer_arm(u->m, &u->timeout_timer, u->timeout_ns);
}

static void timeout_fired(void *opaque)
{
    Uart16550 *u = opaque;

    u->timeout_ns = NO_DEADLINE;
    if (u->rx_count) {
        u->timeout_ipending = 1;
        update_irq(u);
    }
}

static void rx_clear(Uart16550 *u)
{
    memset(u->rx_fifo, 0, sizeof(u->rx_fifo));
    u->rx_head = 0;
    u->rx_count = 0;
    u->timeout_ipending = 0;
    cancel_timeout(u);
}

/* Append a received byte; false (and OE set) if there is no room. */
static bool rx_push(Uart16550 *u, uint8_t b)
{
    if (u->rx_count >= rx_capacity(u)) {
        u->lsr_err |= LSR_OE;
        return false;
    }
    u->rx_fifo[(u->rx_head + u->rx_count) % HW_UART16550_FIFO_SIZE] = b;
    u->rx_count++;
    return true;
}

static uint8_t rx_pop(Uart16550 *u)
{
    uint8_t b = u->rx_fifo[u->rx_head];
    u->rx_fifo[u->rx_head] = 0;   /* keep unused slots zero: canonical state */
    u->rx_head = (u->rx_head + 1) % HW_UART16550_FIFO_SIZE;
    u->rx_count--;
    return b;
}

/* Tell core input there is room (u->input is NULL for a board without
   serial input). */
static void input_ready(Uart16550 *u)
{
    if (u->input) {
        core_input_ready(u->input, u->port);
    }
}

static void rx_received(Uart16550 *u)
{
    if (u->fcr & FCR_FE) {
        restart_timeout(u);
    }
    update_irq(u);
}

static size_t uart_rx_sink(void *opaque, const uint8_t *buf, size_t len)
{
    Uart16550 *u = opaque;
    size_t n = 0;

    while (n < len && u->rx_count < rx_capacity(u)) {
        rx_push(u, buf[n++]);
    }
    if (n) {
        rx_received(u);
    }
    return n;
}

static uint8_t read_rbr(Uart16550 *u)
{
    if (u->rx_count) {
        u->rbr = rx_pop(u);
    }
    u->timeout_ipending = 0;
    if (u->rx_count && (u->fcr & FCR_FE)) {
        restart_timeout(u);
    } else {
        cancel_timeout(u);
    }
    update_irq(u);
    input_ready(u);
    return u->rbr;
}

static uint8_t read_msr(const Uart16550 *u)
{
    if (u->mcr & MCR_LOOP) {
        /* Loopback wires DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
        return (uint8_t)(((u->mcr & 0x0c) << 4) | ((u->mcr & 0x02) << 3) |
                         ((u->mcr & 0x01) << 5));
    }
    return MSR_DCD | MSR_DSR | MSR_CTS;
}

static uint64_t uart_read(void *opaque, uint64_t offset, unsigned size)
{
    Uart16550 *u = opaque;
    uint8_t v = 0;

    (void)size;
    switch (offset & 7) {
    case 0:
        v = (u->lcr & LCR_DLAB) ? (uint8_t)u->divider : read_rbr(u);
        break;
    case 1:
        v = (u->lcr & LCR_DLAB) ? (uint8_t)(u->divider >> 8) : u->ier;
        break;
    case 2:
        v = iir_value(u);
        if ((v & IIR_ID) == IIR_THRI) {
            u->thr_ipending = 0;
            update_irq(u);
        }
        break;
    case 3:
        v = u->lcr;
        break;
    case 4:
        v = u->mcr;
        break;
    case 5:
        v = (u->rx_count ? LSR_DR : 0) | u->lsr_err | LSR_THRE | LSR_TEMT;
        if (u->lsr_err) {
            u->lsr_err = 0;
            update_irq(u);
        }
        break;
    case 6:
        v = read_msr(u);
        break;
    case 7:
        v = u->scr;
        break;
    }
    return v;
}

static void write_thr(Uart16550 *u, uint8_t b)
{
    if (u->mcr & MCR_LOOP) {
        if (rx_push(u, b)) {
            rx_received(u);
        }
    } else if (u->chr) {
        be_chardev_write(u->chr, &b, 1);
    }
    u->thr_ipending = 1;   /* sent already: THR is empty again */
    update_irq(u);
}

static void write_ier(Uart16550 *u, uint8_t v)
{
    uint8_t changed = (u->ier ^ v) & 0x0f;

    u->ier = v & 0x0f;
    if (changed & IER_THRI) {
        /* THRE is always 1 here, so enabling ETBEI raises it anew. */
        u->thr_ipending = (u->ier & IER_THRI) ? 1 : 0;
    }
    update_irq(u);
}

static void write_fcr(Uart16550 *u, uint8_t v)
{
    if ((v ^ u->fcr) & FCR_FE) {
        v |= FCR_RFR | FCR_XFR;   /* switching FIFO mode clears both FIFOs */
    }
    if (v & FCR_RFR) {
        rx_clear(u);
    }
    if (v & FCR_XFR) {
        u->thr_ipending = 1;
    }
    u->fcr = v & FCR_SAVED;
    update_irq(u);
    if (v & FCR_RFR) {
        input_ready(u);
    }
}

static void uart_write(void *opaque, uint64_t offset, uint64_t value,
                       unsigned size)
{
    Uart16550 *u = opaque;
    uint8_t v = (uint8_t)value;

    (void)size;
    switch (offset & 7) {
    case 0:
        if (u->lcr & LCR_DLAB) {
            u->divider = (uint16_t)((u->divider & 0xff00) | v);
        } else {
            write_thr(u, v);
        }
        break;
    case 1:
        if (u->lcr & LCR_DLAB) {
            u->divider = (uint16_t)((u->divider & 0x00ff) | (v << 8));
        } else {
            write_ier(u, v);
        }
        break;
    case 2:
        write_fcr(u, v);
        break;
    case 3:
        u->lcr = v;
        break;
    case 4:
        u->mcr = v & MCR_MASK;
        break;
    case 7:
        u->scr = v;
        break;
    default:   /* LSR and MSR are read-only */
        break;
    }
}

static const CoreMemOps uart_mem_ops = {
    .name = "uart16550",
    .read = uart_read,
    .write = uart_write,
    .min_access = 1,
    .max_access = 4,
};

static void uart_reset(void *opaque)
{
    Uart16550 *u = opaque;

    rx_clear(u);
    u->rbr = 0;
    u->ier = 0;
    u->lcr = 0;
    u->mcr = MCR_OUT2;
    u->fcr = 0;
    u->scr = 0;
    u->lsr_err = 0;
    u->thr_ipending = 0;
    u->divider = 0x0c;   /* 9600 baud on a 1.8432 MHz clock, as QEMU */
    update_irq(u);
    input_ready(u);
}

static bool uart_post_load(void *opaque)
{
    Uart16550 *u = opaque;

    if (u->rx_head >= HW_UART16550_FIFO_SIZE || u->rx_count > rx_capacity(u) ||
        u->ier > 0x0f || u->mcr > MCR_MASK || (u->fcr & ~FCR_SAVED) ||
        (u->lsr_err & ~LSR_OE) || u->thr_ipending > 1 ||
        u->timeout_ipending > 1 ||
        (u->timeout_ns != NO_DEADLINE && !(u->fcr & FCR_FE))) {
        return false;
    }
    if (u->timeout_timer.armed) {
        core_timer_cancel(u->m, &u->timeout_timer);
    }
    if (u->timeout_ns != NO_DEADLINE) {
        core_timer_arm(u->m, &u->timeout_timer, u->timeout_ns);
    }
    update_irq(u);
    return true;
}

static const CoreStateField uart_fields[] = {
    CORE_STATE_ARRAY(Uart16550, rx_fifo),
    CORE_STATE_FIELD(Uart16550, rx_head),
    CORE_STATE_FIELD(Uart16550, rx_count),
    CORE_STATE_FIELD(Uart16550, rbr),
    CORE_STATE_FIELD(Uart16550, ier),
    CORE_STATE_FIELD(Uart16550, lcr),
    CORE_STATE_FIELD(Uart16550, mcr),
    CORE_STATE_FIELD(Uart16550, fcr),
    CORE_STATE_FIELD(Uart16550, scr),
    CORE_STATE_FIELD(Uart16550, lsr_err),
    CORE_STATE_FIELD(Uart16550, thr_ipending),
    CORE_STATE_FIELD(Uart16550, timeout_ipending),
    CORE_STATE_FIELD(Uart16550, divider),
    CORE_STATE_FIELD(Uart16550, timeout_ns),
    CORE_STATE_END
};

static const CoreStateDesc uart_state = {
    .name = "uart16550",
    .version = 1,
    .fields = uart_fields,
    .post_load = uart_post_load,
};

static const CoreDeviceOps uart_ops = {
    .name = "ns16550a",
    .reset = uart_reset,
    .state = &uart_state,
    .free = free,
};

Uart16550 *hw_uart16550_create(CoreMachine *m, gpa_t base, CoreIrq irq,
                               BeChardev *chr, CoreInput *input, unsigned port)
{
    if (port >= CORE_INPUT_MAX_SERIAL) {
        return NULL;
    }
    Uart16550 *u = calloc(1, sizeof(*u));
    if (!u) {
        return NULL;
    }
    u->m = m;
    u->irq = irq;
    u->chr = chr;
    u->input = input;
    u->port = port;
    u->timeout_ns = NO_DEADLINE;
    core_timer_init(&u->timeout_timer, timeout_fired, u);
    if (!core_mem_map_mmio(m->as, "uart16550", base, HW_UART16550_SIZE,
                           &uart_mem_ops, u)) {
        free(u);
        return NULL;
    }
    char id[16];
    snprintf(id, sizeof(id), "serial%u", port);
    core_machine_add_device(m, &uart_ops, u, id);
    if (input) {
        core_input_register_serial(input, port, uart_rx_sink, u);
    }
    uart_reset(u);
    return u;
}

/* The registry's row: serial port 0 on the board's -serial back end. */
static void *uart_dev_create(const HwDeviceArgs *a, char *err, size_t errlen)
{
    Uart16550 *u = hw_uart16550_create(a->m, a->base, a->irq, a->serial,
                                       a->m->input, 0);
    if (!u) {
        snprintf(err, errlen, "cannot map the UART at 0x%llx",
                 (unsigned long long)a->base);
    }
    return u;
}

static int uart_fdt(void *fdt, int parent, const HwDeviceArgs *a)
{
    int node = hw_fdt_mmio_node(fdt, parent, "serial", "ns16550a",
                                sizeof("ns16550a"), a);
    int rc = node < 0 ? node : 0;
    rc |= fdt_setprop_u32(fdt, node, "clock-frequency", 0x384000);
    rc |= fdt_setprop_u32(fdt, node, "interrupt-parent", a->intc_phandle);
    rc |= fdt_setprop_u32(fdt, node, "interrupts", a->irq_num);
    return rc;
}

const HwDeviceType hw_uart16550_type = {
    .name = "ns16550a",
    .desc = "NS16550A UART (serial port 0; -serial picks its back end)",
    .category = HW_CAT_CHAR,
    .bus = HW_BUS_SYSTEM,
    .mmio_size = HW_UART16550_SIZE,
    .nirqs = 1,
    .create = uart_dev_create,
    .fdt_node = uart_fdt,
};
