/*
 * virtio-serial-device (virtio 1.2, "Console Device", with
 * VIRTIO_CONSOLE_F_MULTIPORT) and the ports that plug into it:
 *
 *     -device virtio-serial-device
 *     -device virtconsole,chardev=c0            hvc0 in Linux
 *     -device virtserialport,chardev=c1,name=org.rewind.test
 *
 * The ports are devices of bus HW_BUS_VIRTIO_SERIAL ("virtio-serial-bus"):
 * a port has no window or interrupt of its own; its create finds the first
 * virtio-serial-device built before it (command-line order) with a free
 * port number, as QEMU finds a bus for it. A virtconsole takes port
 * number 0 when free (QEMU keeps 0 for a console), a virtserialport the
 * lowest free number from 1. The transport has VIRTIO_MAX_QUEUES (8)
 * queues, so a device has at most 3 ports (max_nr_ports):
 * receiveq/transmitq of port 0 (queues 0, 1), the control queues (2, 3),
 * then ports 1 and 2 (4..7).
 *
 * Output (a port's transmitq, emerg_wr) is deterministic and goes straight
 * to the port's chardev; a virtconsole's is also console output
 * (core_machine_console_output with its input-door port), which record
 * and replay log and compare as they do the UART's. Input is not: each port takes the next input-door
 * port number (1, 2, 3: 0 is the UART) and registers its chardev there as
 * the port's host source, which shell/host.c polls; the bytes reach the
 * port's sink through core_run_host_serial (logged as SERIAL_RX with that
 * number) and wait in the door's saved queue while the guest has no
 * receive buffer or has not opened the port. Replaying, the chardev is a
 * null stand-in and the bytes come from the trace.
 *
 * The host side of a port is connected while its back end has a client
 * (a socket server with wait=off starts without one; every other back
 * end is always connected). A client coming or going is an input
 * (SERIAL_CONNECT, through the input door's connection hook) and the
 * guest hears it as QEMU tells it: PORT_OPEN 1 or 0 from the device, and
 * the PORT_READY answer carries the current state. Output written while
 * the host side is closed is dropped, as QEMU does (Linux blocks writes
 * to such a virtserialport; hvc writes on); a virtconsole's still counts
 * as console output. The guest side (PORT_OPEN from the driver), the
 * host side as the guest knows it, the ports the driver said ready and
 * the control messages waiting for a control receive buffer are saved
 * state.
 */
#include "hw/virtio/virtio.h"
#include "core/input.h"
#include "core/state.h"
#include "hw/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VSER_MAX_PORTS 3
#define VSER_QUEUE_SIZE 128
#define VSER_NAME_MAX 64
#define CTRL_PENDING_MAX 16

#define F_MULTIPORT 1
#define F_EMERG_WRITE 2

#define Q_CTRL_RX 2
#define Q_CTRL_TX 3

enum {
    EV_DEVICE_READY = 0, EV_DEVICE_ADD = 1, EV_PORT_READY = 3,
    EV_CONSOLE_PORT = 4, EV_PORT_OPEN = 6, EV_PORT_NAME = 7,
};

/* A control message waiting for a control receive buffer. */
typedef struct VserCtrlMsg {
    uint32_t id;
    uint16_t event, value;
    uint32_t name_len;             /* PORT_NAME: bytes of name */
    char name[VSER_NAME_MAX];
} VserCtrlMsg;

typedef struct VserPort VserPort;

typedef struct VirtioSerial {
    /* Saved state. */
    uint32_t driver_ready;         /* DEVICE_READY 1 received */
    uint32_t npending;
    VserCtrlMsg pending[CTRL_PENDING_MAX];   /* [npending..] zero */
    /* Wiring. */
    CoreMachine *m;
    VirtioDevice *vdev;
    VserPort *ports[VSER_MAX_PORTS];         /* by port number */
} VirtioSerial;

struct VserPort {
    /* Saved state. */
    uint32_t guest_open;           /* the driver sent PORT_OPEN 1 */
    uint32_t ready;                /* the driver sent PORT_READY 1 */
    uint32_t host_connected;       /* a host client is there (version 2) */
    /* Configuration and wiring. */
    VirtioSerial *vser;
    unsigned nr;                   /* port number in the device */
    unsigned in_port;              /* input-door port (1..) */
    bool console;
    char name[VSER_NAME_MAX];
    BeChardev *chr;
};

static void put_le(uint8_t *p, unsigned n, uint64_t v)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint32_t get_le(const uint8_t *p, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= (uint32_t)p[i] << (8 * i);
    }
    return v;
}

static bool multiport(const VirtioSerial *s)
{
    return (hw_virtio_features(s->vdev) >> F_MULTIPORT) & 1;
}

static unsigned rx_queue(unsigned nr)
{
    return nr == 0 ? 0 : 2 + 2 * nr;
}

/* The port whose receiveq (tx false) or transmitq (tx true) is q. */
static VserPort *queue_port(VirtioSerial *s, unsigned q, bool *tx)
{
    unsigned nr = q < 2 ? 0 : q / 2 - 1;
    *tx = q & 1;
    if ((q == Q_CTRL_RX || q == Q_CTRL_TX) || nr >= VSER_MAX_PORTS ||
        (nr > 0 && !multiport(s))) {
        return NULL;
    }
    return s->ports[nr];
}

/* Copy a chain's readable segments, at most max bytes; -1 if one is not
   in RAM. */
static long read_out(const VirtqElem *e, CoreAddrSpace *as, uint8_t *buf,
                     size_t max)
{
    size_t done = 0;
    for (unsigned i = 0; i < e->nout && done < max; i++) {
        size_t n = e->out[i].len < max - done ? e->out[i].len : max - done;
        if (!core_mem_read_bytes(as, e->out[i].addr, buf + done, n)) {
            return -1;
        }
        done += n;
    }
    return (long)done;
}

/* ---- control messages ---- */

static void queue_ctrl(VirtioSerial *s, uint32_t id, uint16_t event,
                       uint16_t value, const char *name)
{
    if (s->npending >= CTRL_PENDING_MAX) {
        return;   /* a driver that posts no buffers loses the newest */
    }
    VserCtrlMsg *c = &s->pending[s->npending++];
    c->id = id;
    c->event = event;
    c->value = value;
    if (name) {
        c->name_len = (uint32_t)strlen(name);
        memcpy(c->name, name, c->name_len);
    }
}

/* Hand pending control messages to the driver's control receive
   buffers, one message a buffer. */
static void flush_ctrl(VirtioSerial *s)
{
    VirtioDevice *vdev = s->vdev;
    CoreAddrSpace *as = hw_virtio_as(vdev);
    Virtqueue *vq = hw_virtio_queue(vdev, Q_CTRL_RX);
    bool pushed = false;
    while (s->npending && vq->ready && !vq->broken) {
        VirtqElem e;
        VirtqPopResult r = hw_vq_pop(vq, as, &e);
        if (r == VQ_POP_EMPTY) {
            break;
        }
        if (r == VQ_POP_OK && e.nout) {
            snprintf(e.why, sizeof(e.why), "readable buffer in the control "
                     "receiveq");
            r = VQ_POP_BROKEN;
        }
        const VserCtrlMsg *c = &s->pending[0];
        uint8_t msg[8 + VSER_NAME_MAX];
        put_le(msg, 4, c->id);
        put_le(msg + 4, 2, c->event);
        put_le(msg + 6, 2, c->value);
        memcpy(msg + 8, c->name, c->name_len);
        long put = r == VQ_POP_OK ? hw_vq_write_in(&e, as, msg, 8 + c->name_len)
                                  : -1;
        if (r != VQ_POP_OK || put < 0 || !hw_vq_push(vq, as, &e, (uint32_t)put)) {
            hw_virtio_needs_reset(vdev, e.why);
            break;
        }
        pushed = true;
        memmove(&s->pending[0], &s->pending[1],
                (s->npending - 1) * sizeof(s->pending[0]));
        s->npending--;
        memset(&s->pending[s->npending], 0, sizeof(s->pending[0]));
    }
    if (pushed) {
        hw_virtio_notify(vdev, Q_CTRL_RX);
    }
}

/* The input door's connection hook: a host client of the port's back end
   came or went (an input event). A port the driver has said ready hears
   it at once (PORT_OPEN, as QEMU sends on a chardev open or close);
   otherwise its PORT_READY answer will carry the new state. */
static void port_host_connect(void *opaque, bool connected)
{
    VserPort *p = opaque;
    VirtioSerial *s = p->vser;
    if (p->host_connected == (uint32_t)connected) {
        return;
    }
    p->host_connected = connected;
    if (multiport(s) && s->driver_ready && p->ready) {
        queue_ctrl(s, p->nr, EV_PORT_OPEN, connected ? 1 : 0, NULL);
        flush_ctrl(s);
    }
}

static void port_opened(VserPort *p)
{
    core_input_ready(p->vser->m->input, p->in_port);
}

static void handle_ctrl(VirtioSerial *s, const uint8_t *msg)
{
    uint32_t id = get_le(msg, 4);
    uint16_t event = (uint16_t)get_le(msg + 4, 2);
    uint16_t value = (uint16_t)get_le(msg + 6, 2);
    VserPort *p = id < VSER_MAX_PORTS ? s->ports[id] : NULL;
    switch (event) {
    case EV_DEVICE_READY:
        if (value == 1 && !s->driver_ready) {
            s->driver_ready = 1;
            for (unsigned nr = 0; nr < VSER_MAX_PORTS; nr++) {
                if (s->ports[nr]) {
                    queue_ctrl(s, nr, EV_DEVICE_ADD, 0, NULL);
                }
            }
        }
        break;
    case EV_PORT_READY:
        if (p && value == 1 && !p->ready) {
            p->ready = 1;
            if (p->console) {
                queue_ctrl(s, id, EV_CONSOLE_PORT, 1, NULL);
            }
            if (p->name[0]) {
                queue_ctrl(s, id, EV_PORT_NAME, 0, p->name);
            }
            /* The host side's state: open unless a socket has no client. */
            queue_ctrl(s, id, EV_PORT_OPEN, (uint16_t)p->host_connected,
                       NULL);
        }
        break;
    case EV_PORT_OPEN:
        if (p) {
            p->guest_open = value != 0;
            if (p->guest_open) {
                port_opened(p);
            }
        }
        break;
    default:
        break;   /* unknown or device-to-driver events: ignored, as QEMU */
    }
}

static void ctrl_tx(VirtioSerial *s)
{
    VirtioDevice *vdev = s->vdev;
    CoreAddrSpace *as = hw_virtio_as(vdev);
    Virtqueue *vq = hw_virtio_queue(vdev, Q_CTRL_TX);
    VirtqElem e;
    VirtqPopResult r;
    bool pushed = false;
    while ((r = hw_vq_pop(vq, as, &e)) == VQ_POP_OK) {
        uint8_t msg[8];
        long got = e.nin ? -1 : read_out(&e, as, msg, sizeof(msg));
        if (got < 0 || !hw_vq_push(vq, as, &e, 0)) {
            if (e.nin) {
                snprintf(e.why, sizeof(e.why), "writable buffer in the "
                         "control transmitq");
            }
            r = VQ_POP_BROKEN;
            break;
        }
        pushed = true;
        if (got == (long)sizeof(msg)) {
            handle_ctrl(s, msg);   /* shorter: ignored */
        }
    }
    if (pushed) {
        hw_virtio_notify(vdev, Q_CTRL_TX);
    }
    if (r == VQ_POP_BROKEN) {
        hw_virtio_needs_reset(vdev, e.why);
    }
    flush_ctrl(s);
}

/* ---- data ---- */

/* The guest sent bytes on port p (NULL: a queue of no port, drained). */
static void port_tx(VirtioSerial *s, VserPort *p, unsigned q)
{
    VirtioDevice *vdev = s->vdev;
    CoreAddrSpace *as = hw_virtio_as(vdev);
    Virtqueue *vq = hw_virtio_queue(vdev, q);
    VirtqElem e;
    VirtqPopResult r;
    bool pushed = false;
    while ((r = hw_vq_pop(vq, as, &e)) == VQ_POP_OK) {
        if (e.nin) {
            snprintf(e.why, sizeof(e.why), "writable buffer in a transmitq");
            r = VQ_POP_BROKEN;
            break;
        }
        for (unsigned i = 0; i < e.nout; i++) {
            uint8_t buf[512];
            for (uint32_t off = 0; off < e.out[i].len;) {
                uint32_t n = e.out[i].len - off;
                n = n < sizeof(buf) ? n : (uint32_t)sizeof(buf);
                if (!core_mem_read_bytes(as, e.out[i].addr + off, buf, n)) {
                    r = VQ_POP_BROKEN;   /* checked by pop: not reached */
                    break;
                }
                if (p && p->chr && p->host_connected) {
                    be_chardev_write(p->chr, buf, n);
                }
                if (p && p->console) {
                    core_machine_console_output(s->m, p->in_port, buf, n);
                }
                off += n;
            }
        }
        if (r == VQ_POP_BROKEN || !hw_vq_push(vq, as, &e, 0)) {
            snprintf(e.why, sizeof(e.why), "transmit buffer not in RAM");
            r = VQ_POP_BROKEN;
            break;
        }
        pushed = true;
    }
    if (pushed) {
        hw_virtio_notify(vdev, q);
    }
    if (r == VQ_POP_BROKEN) {
        hw_virtio_needs_reset(vdev, e.why);
    }
}

/* The input door's sink for a port: fill receive buffers. */
static size_t port_rx_sink(void *opaque, const uint8_t *buf, size_t len)
{
    VserPort *p = opaque;
    VirtioSerial *s = p->vser;
    VirtioDevice *vdev = s->vdev;
    if (!hw_virtio_driver_ok(vdev) || (multiport(s) && !p->guest_open) ||
        (!multiport(s) && p->nr != 0)) {
        return 0;   /* waits in the input door's queue */
    }
    unsigned q = rx_queue(p->nr);
    Virtqueue *vq = hw_virtio_queue(vdev, q);
    if (!vq->ready || vq->broken) {
        return 0;
    }
    CoreAddrSpace *as = hw_virtio_as(vdev);
    size_t done = 0;
    bool pushed = false;
    VirtqElem e;
    VirtqPopResult r = VQ_POP_EMPTY;
    while (done < len && (r = hw_vq_pop(vq, as, &e)) == VQ_POP_OK) {
        if (e.nout) {
            snprintf(e.why, sizeof(e.why), "readable buffer in a receiveq");
            r = VQ_POP_BROKEN;
            break;
        }
        long put = hw_vq_write_in(&e, as, buf + done, len - done);
        if (put < 0 || !hw_vq_push(vq, as, &e, (uint32_t)put)) {
            snprintf(e.why, sizeof(e.why), "receive buffer not in RAM");
            r = VQ_POP_BROKEN;
            break;
        }
        done += (size_t)put;
        pushed = true;
    }
    if (pushed) {
        hw_virtio_notify(vdev, q);
    }
    if (r == VQ_POP_BROKEN) {
        hw_virtio_needs_reset(vdev, e.why);
    }
    return done;
}

static void vser_notify(void *opaque, VirtioDevice *vdev, unsigned q)
{
    VirtioSerial *s = opaque;
    (void)vdev;
    if (q == Q_CTRL_RX || q == Q_CTRL_TX) {
        if (!multiport(s)) {
            return;
        }
        if (q == Q_CTRL_TX) {
            ctrl_tx(s);
        } else {
            flush_ctrl(s);
        }
        return;
    }
    bool tx;
    VserPort *p = queue_port(s, q, &tx);
    if (tx) {
        port_tx(s, p, q);
    } else if (p) {
        core_input_ready(s->m->input, p->in_port);   /* new buffers */
    }
}

/* struct virtio_console_config: le16 cols, rows; le32 max_nr_ports,
   emerg_wr. No VIRTIO_CONSOLE_F_SIZE: cols and rows read 0. */
static uint32_t vser_config_read(void *opaque, uint32_t offset, unsigned size)
{
    (void)opaque;
    uint8_t cfg[12] = { 0 };
    put_le(cfg + 4, 4, VSER_MAX_PORTS);
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint32_t)cfg[offset + i] << (8 * i);
    }
    return v;
}

/* emerg_wr: one byte to port 0, even before the driver is set up. */
static void vser_config_write(void *opaque, uint32_t offset, uint32_t value,
                              unsigned size)
{
    VirtioSerial *s = opaque;
    (void)size;
    VserPort *p = s->ports[0];
    if (offset == 8 && p) {
        uint8_t c = (uint8_t)value;
        if (p->chr && p->host_connected) {
            be_chardev_write(p->chr, &c, 1);
        }
        if (p->console) {
            core_machine_console_output(s->m, p->in_port, &c, 1);
        }
    }
}

static void vser_reset(void *opaque)
{
    VirtioSerial *s = opaque;
    s->driver_ready = 0;
    s->npending = 0;
    memset(s->pending, 0, sizeof(s->pending));
    for (unsigned nr = 0; nr < VSER_MAX_PORTS; nr++) {
        if (s->ports[nr]) {
            s->ports[nr]->guest_open = 0;
            s->ports[nr]->ready = 0;
        }
    }
}

static const VirtioDeviceClass vser_class = {
    .device_id = VIRTIO_ID_CONSOLE,
    .features = (1ull << F_MULTIPORT) | (1ull << F_EMERG_WRITE),
    .nqueues = 2 * (VSER_MAX_PORTS + 1),
    .queue_max = { VSER_QUEUE_SIZE, VSER_QUEUE_SIZE, VSER_QUEUE_SIZE,
                   VSER_QUEUE_SIZE, VSER_QUEUE_SIZE, VSER_QUEUE_SIZE,
                   VSER_QUEUE_SIZE, VSER_QUEUE_SIZE },
    .config_size = 12,
    .config_read = vser_config_read,
    .config_write = vser_config_write,
    .notify = vser_notify,
    .reset = vser_reset,
};

/* ---- state ---- */

static bool vser_post_load(void *opaque)
{
    VirtioSerial *s = opaque;
    if (s->driver_ready > 1 || s->npending > CTRL_PENDING_MAX) {
        return false;
    }
    static const VserCtrlMsg zero;
    for (unsigned i = 0; i < CTRL_PENDING_MAX; i++) {
        if (i < s->npending ? s->pending[i].name_len > VSER_NAME_MAX
                            : memcmp(&s->pending[i], &zero, sizeof(zero))) {
            return false;
        }
    }
    return true;
}

static const CoreStateField vser_fields[] = {
    CORE_STATE_FIELD(VirtioSerial, driver_ready),
    CORE_STATE_FIELD(VirtioSerial, npending),
    CORE_STATE_ARRAY(VirtioSerial, pending),
    CORE_STATE_END
};

static const CoreStateDesc vser_state = {
    .name = "virtio-serial-device",
    .version = 1,
    .fields = vser_fields,
    .post_load = vser_post_load,
};

static const CoreDeviceOps vser_dev_ops = {
    .name = "virtio-serial-device",
    .state = &vser_state,
    .free = free,
};

static bool port_post_load(void *opaque)
{
    const VserPort *p = opaque;
    return p->guest_open <= 1 && p->ready <= 1 && p->host_connected <= 1;
}

static const CoreStateField port_fields[] = {
    CORE_STATE_FIELD(VserPort, guest_open),
    CORE_STATE_FIELD(VserPort, ready),
    CORE_STATE_FIELD_VD(VserPort, host_connected, 2, 1),
    CORE_STATE_END
};

static const CoreStateDesc port_state = {
    .name = "virtio-serial-port",
    .version = 2,
    .fields = port_fields,
    .post_load = port_post_load,
};

static void port_free(void *opaque)
{
    VserPort *p = opaque;
    be_chardev_close(p->chr);
    free(p);
}

static const CoreDeviceOps port_dev_ops = {
    .name = "virtio-serial-port",
    .state = &port_state,
    .free = port_free,
};

/* ---- creation ---- */

static void *vser_create(const HwDeviceArgs *a, char *err, size_t errlen)
{
    VirtioSerial *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->m = a->m;
    s->vdev = hw_virtio_plug(a->bus, &vser_class, s);
    if (!s->vdev) {
        snprintf(err, errlen, "no free virtio-mmio transport");
        free(s);
        return NULL;
    }
    core_machine_add_device(a->m, &vser_dev_ops, s, a->id);
    return s;
}

enum { PROP_CHARDEV, PROP_NAME };

static const HwProp console_props[] = {
    [PROP_CHARDEV] = { "chardev", HW_PROP_CHARDEV, NULL,
                       "id of the -chardev the port's bytes go to and "
                       "come from" },
    [PROP_NAME] = { "name", HW_PROP_STRING, "-",
                    "name the guest sees (/sys/class/virtio-ports/*/name; "
                    "-: none)" },
    { NULL, 0, NULL, NULL },
};

static const HwProp serialport_props[] = {
    [PROP_CHARDEV] = { "chardev", HW_PROP_CHARDEV, NULL,
                       "id of the -chardev the port's bytes go to and "
                       "come from" },
    [PROP_NAME] = { "name", HW_PROP_STRING, NULL,
                    "name the guest sees (/sys/class/virtio-ports/*/name, "
                    "/dev/virtio-ports/NAME)" },
    { NULL, 0, NULL, NULL },
};

/* The first virtio-serial-device with a free port number for this kind
   of port (a console prefers 0); NULL if none. */
static VirtioSerial *find_bus(CoreMachine *m, bool console, unsigned *nr,
                              bool *any)
{
    *any = false;
    for (unsigned i = 0; i < m->ndevices; i++) {
        if (m->devices[i].ops != &vser_dev_ops) {
            continue;
        }
        VirtioSerial *s = m->devices[i].opaque;
        *any = true;
        if (console && !s->ports[0]) {
            *nr = 0;
            return s;
        }
        for (unsigned k = 1; k < VSER_MAX_PORTS; k++) {
            if (!s->ports[k]) {
                *nr = k;
                return s;
            }
        }
    }
    return NULL;
}

static void *port_create(const HwDeviceArgs *a, bool console, char *err,
                         size_t errlen)
{
    CoreMachine *m = a->m;
    const char *name = a->props[PROP_NAME].s;
    if (console && strcmp(name, "-") == 0) {
        name = "";
    }
    if (strlen(name) >= VSER_NAME_MAX) {
        snprintf(err, errlen, "property 'name': longer than %d bytes",
                 VSER_NAME_MAX - 1);
        return NULL;
    }
    unsigned nr = 0;
    bool any;
    VirtioSerial *s = find_bus(m, console, &nr, &any);
    if (!s) {
        snprintf(err, errlen, any ? "every virtio-serial-device before it "
                 "has its %d ports taken" : "no virtio-serial-bus for it "
                 "(put -device virtio-serial-device before it)",
                 VSER_MAX_PORTS);
        return NULL;
    }
    for (unsigned i = 0; name[0] && i < m->ndevices; i++) {
        const VserPort *o = m->devices[i].opaque;
        if (m->devices[i].ops == &port_dev_ops && !strcmp(o->name, name)) {
            snprintf(err, errlen, "property 'name': '%s' is already the "
                     "name of port '%s'", name, m->devices[i].id);
            return NULL;
        }
    }
    unsigned in_port = 1;
    while (in_port < CORE_INPUT_MAX_SERIAL &&
           core_input_serial_connected(m->input, in_port)) {
        in_port++;
    }
    if (in_port >= CORE_INPUT_MAX_SERIAL) {
        snprintf(err, errlen, "no serial input port left (at most %d "
                 "virtio-serial ports in all)", CORE_INPUT_MAX_SERIAL - 1);
        return NULL;
    }
    VserPort *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->vser = s;
    p->nr = nr;
    p->in_port = in_port;
    p->console = console;
    snprintf(p->name, sizeof(p->name), "%s", name);
    p->chr = a->props[PROP_CHARDEV].chr;
    p->host_connected = !p->chr || be_chardev_starts_connected(p->chr);
    s->ports[nr] = p;
    core_input_register_serial(m->input, in_port, port_rx_sink, p);
    core_input_register_serial_connect(m->input, in_port, port_host_connect,
                                       p);
    core_input_set_serial_source(m->input, in_port, p->chr);
    if (console) {
        core_machine_set_console(m, in_port, a->id);
    }
    core_machine_add_device(m, &port_dev_ops, p, a->id);
    return p;
}

static void *console_create(const HwDeviceArgs *a, char *err, size_t errlen)
{
    return port_create(a, true, err, errlen);
}

static void *serialport_create(const HwDeviceArgs *a, char *err,
                               size_t errlen)
{
    return port_create(a, false, err, errlen);
}

/* The virtio-serial-device a port plugged into (`devices` lists it there). */
static void *port_parent(void *dev)
{
    return ((VserPort *)dev)->vser;
}

const HwDeviceType hw_virtio_serial_type = {
    .name = "virtio-serial-device",
    .desc = "virtio console device with multiple ports (virtio-serial); "
            "add virtconsole and virtserialport to it",
    .category = HW_CAT_CHAR,
    .bus = HW_BUS_VIRTIO,
    .user_creatable = true,
    .create = vser_create,
};

const HwDeviceType hw_virtconsole_type = {
    .name = "virtconsole",
    .desc = "virtio-serial console port (hvc in Linux)",
    .category = HW_CAT_CHAR,
    .bus = HW_BUS_VIRTIO_SERIAL,
    .user_creatable = true,
    .props = console_props,
    .create = console_create,
    .parent = port_parent,
};

const HwDeviceType hw_virtserialport_type = {
    .name = "virtserialport",
    .desc = "virtio-serial named port (/dev/vportNpM in Linux)",
    .category = HW_CAT_CHAR,
    .bus = HW_BUS_VIRTIO_SERIAL,
    .user_creatable = true,
    .props = serialport_props,
    .create = serialport_create,
    .parent = port_parent,
};
