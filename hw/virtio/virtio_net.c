/*
 * virtio-net-device (virtio 1.x, "Network Device", §5.1): a receive
 * queue (0), a transmit queue (1) and a control queue (2).
 *
 *     -netdev user,id=n0 -device virtio-net-device,netdev=n0[,mac=...]
 *
 * Offered: VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS (link always up),
 * VIRTIO_NET_F_CTRL_VQ and VIRTIO_NET_F_CTRL_RX (promiscuous and
 * all-multicast switches, accepted and acknowledged: the device hands the
 * guest every frame its back end delivers, as a bridge port would),
 * VIRTIO_NET_F_CTRL_MAC_ADDR is not. No checksum or segmentation
 * offloads and no mergeable buffers: every frame is one header
 * (struct virtio_net_hdr, 12 bytes with VERSION_1, all zero but
 * num_buffers = 1) and the frame, in one receive chain.
 *
 * Received frames are inputs: the back end never touches the device. The
 * host side hands each frame to the input door (core_run_host_net) at a
 * slice boundary, or replay does at the icount of its NET_RX event; the
 * door calls net_rx_sink. A frame waits in `rxq` (saved state) until the
 * driver posts a receive buffer; frames beyond RXQ_BYTES are dropped, a
 * function of guest state only. Transmitted frames are output: written
 * to the back end (nothing when replaying) and summed into tx_frames /
 * tx_hash, which are saved state, so the checkpoint and final state
 * hashes check the guest's network output too.
 */
#include "hw/virtio/virtio.h"
#include "backends/net.h"
#include "core/hash.h"
#include "core/input.h"
#include "core/state.h"
#include "hw/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NET_QUEUE_SIZE 256
#define NET_HDR_LEN 12            /* virtio_net_hdr with num_buffers */
#define NET_FRAME_MAX 65535
#define RXQ_BYTES (256u << 10)    /* frames waiting for a receive buffer */

/* Feature bits (§5.1.3). */
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_CTRL_VQ 17
#define VIRTIO_NET_F_CTRL_RX 18
#define VIRTIO_NET_S_LINK_UP 1

/* Control queue (§5.1.6.5). */
#define CTRL_RX 0
#define CTRL_MAC 1
#define CTRL_OK 0
#define CTRL_ERR 1

enum { Q_RX, Q_TX, Q_CTRL };
enum { PROP_NETDEV, PROP_MAC };

static const HwProp net_props[] = {
    [PROP_NETDEV] = { "netdev", HW_PROP_STRING, "none",
                      "id of the -netdev back end (none: not connected)" },
    [PROP_MAC] = { "mac", HW_PROP_STRING, "auto",
                   "MAC address (auto: 52:54:00:12:34:56, +1 for each "
                   "further NIC)" },
    { NULL, 0, NULL, NULL },
};

typedef struct VirtioNet {
    /* Saved state. */
    uint32_t rxq_len;             /* bytes of rxq in use */
    uint32_t rx_dropped;          /* frames dropped: rxq full or too big */
    uint64_t rx_frames;           /* frames put in the guest's buffers */
    uint64_t tx_frames;           /* frames the guest sent ... */
    uint64_t tx_hash;             /* ... and a hash chained over them */
    uint8_t promisc, allmulti;    /* control queue switches */
    uint8_t pad[6];
    /* rxq: frames back to back, each a u32 length (little-endian) and
       its bytes; only the first rxq_len bytes are saved. */
    uint8_t rxq[RXQ_BYTES];
    /* Configuration and wiring. */
    uint8_t mac[6];
    unsigned port;
    VirtioDevice *vdev;
    BeNet *be;
} VirtioNet;

static uint32_t net_config_read(void *opaque, uint32_t off, unsigned size)
{
    VirtioNet *n = opaque;
    /* mac[6], u16 status, u16 max_virtqueue_pairs */
    uint8_t cfg[10] = { 0 };
    memcpy(cfg, n->mac, 6);
    cfg[6] = VIRTIO_NET_S_LINK_UP;
    cfg[8] = 1;
    uint32_t v = 0;
    for (unsigned i = 0; i < size && off + i < sizeof(cfg); i++) {
        v |= (uint32_t)cfg[off + i] << (8 * i);
    }
    return v;
}

/* Move waiting frames into the guest's receive buffers. */
static void rx_flush(VirtioNet *n)
{
    VirtioDevice *vdev = n->vdev;
    if (!n->rxq_len || !hw_virtio_queue_usable(vdev, Q_RX)) {
        return;
    }
    CoreAddrSpace *as = hw_virtio_as(vdev);
    Virtqueue *vq = hw_virtio_queue(vdev, Q_RX);
    bool pushed = false;
    while (n->rxq_len) {
        VirtqElem e;
        VirtqPopResult res = hw_vq_pop(vq, as, &e);
        if (res == VQ_POP_EMPTY) {
            break;
        }
        if (res == VQ_POP_BROKEN) {
            hw_virtio_needs_reset(vdev, e.why);
            break;
        }
        uint32_t len = (uint32_t)n->rxq[0] | (uint32_t)n->rxq[1] << 8 |
                       (uint32_t)n->rxq[2] << 16 | (uint32_t)n->rxq[3] << 24;
        static uint8_t buf[NET_HDR_LEN + NET_FRAME_MAX];
        memset(buf, 0, NET_HDR_LEN);
        buf[10] = 1;              /* num_buffers */
        memcpy(buf + NET_HDR_LEN, n->rxq + 4, len);
        uint32_t put = 0;
        if (hw_vq_in_size(&e) >= NET_HDR_LEN + (uint64_t)len) {
            long w = hw_vq_write_in(&e, as, buf, NET_HDR_LEN + len);
            if (w < 0) {
                hw_virtio_needs_reset(vdev, "receive buffer outside RAM");
                break;
            }
            put = (uint32_t)w;
            n->rx_frames++;
        } else {
            n->rx_dropped++;      /* buffer too small: returned empty */
        }
        if (!hw_vq_push(vq, as, &e, put)) {
            hw_virtio_needs_reset(vdev, "used ring outside RAM");
            break;
        }
        pushed = true;
        uint32_t rec = 4 + len;
        memmove(n->rxq, n->rxq + rec, n->rxq_len - rec);
        memset(n->rxq + n->rxq_len - rec, 0, rec);
        n->rxq_len -= rec;
    }
    if (pushed) {
        hw_virtio_notify(vdev, Q_RX);
    }
}

/* The input door's sink: a frame from the host (or the trace). */
static void net_rx_sink(void *opaque, const uint8_t *frame, size_t len)
{
    VirtioNet *n = opaque;
    if (len > NET_FRAME_MAX || n->rxq_len + 4 + len > RXQ_BYTES) {
        n->rx_dropped++;
        return;
    }
    uint8_t *p = n->rxq + n->rxq_len;
    p[0] = (uint8_t)len;
    p[1] = (uint8_t)(len >> 8);
    p[2] = (uint8_t)(len >> 16);
    p[3] = (uint8_t)(len >> 24);
    memcpy(p + 4, frame, len);
    n->rxq_len += 4 + (uint32_t)len;
    rx_flush(n);
}

/* Gather a chain's readable bytes; -1 if one is outside RAM. */
static long gather(const VirtqElem *e, CoreAddrSpace *as, uint8_t *buf,
                   size_t cap)
{
    size_t got = 0;
    for (unsigned i = 0; i < e->nout && got < cap; i++) {
        size_t take = e->out[i].len < cap - got ? e->out[i].len : cap - got;
        if (!core_mem_read_bytes(as, e->out[i].addr, buf + got, take)) {
            return -1;
        }
        got += take;
    }
    return (long)got;
}

static void tx_notify(VirtioNet *n, VirtioDevice *vdev)
{
    CoreAddrSpace *as = hw_virtio_as(vdev);
    Virtqueue *vq = hw_virtio_queue(vdev, Q_TX);
    static uint8_t buf[NET_HDR_LEN + NET_FRAME_MAX];
    VirtqElem e;
    VirtqPopResult res;
    bool pushed = false;
    while ((res = hw_vq_pop(vq, as, &e)) == VQ_POP_OK) {
        long got = gather(&e, as, buf, sizeof(buf));
        if (got < 0) {
            snprintf(e.why, sizeof(e.why), "transmit buffer outside RAM");
            res = VQ_POP_BROKEN;
            break;
        }
        if (got > NET_HDR_LEN) {
            const uint8_t *frame = buf + NET_HDR_LEN;
            size_t len = (size_t)got - NET_HDR_LEN;
            n->tx_frames++;
            CoreHash h;
            uint64_t l = len;
            core_hash_init(&h);
            core_hash_update(&h, &n->tx_hash, sizeof(n->tx_hash));
            core_hash_update(&h, &l, sizeof(l));
            core_hash_update(&h, frame, len);
            n->tx_hash = core_hash_final(&h);
            be_net_send(n->be, frame, len);
        }
        if (!hw_vq_push(vq, as, &e, 0)) {
            snprintf(e.why, sizeof(e.why), "used ring outside RAM");
            res = VQ_POP_BROKEN;
            break;
        }
        pushed = true;
    }
    if (pushed) {
        hw_virtio_notify(vdev, Q_TX);
    }
    if (res == VQ_POP_BROKEN) {
        hw_virtio_needs_reset(vdev, e.why);
    }
}

/* Control commands (§5.1.6.5): class, command, data; the device writes
   one ack byte. RX mode switches are accepted, MAC tables too (every
   frame is delivered anyway). */
static void ctrl_notify(VirtioNet *n, VirtioDevice *vdev)
{
    CoreAddrSpace *as = hw_virtio_as(vdev);
    Virtqueue *vq = hw_virtio_queue(vdev, Q_CTRL);
    uint8_t buf[512];
    VirtqElem e;
    VirtqPopResult res;
    bool pushed = false;
    while ((res = hw_vq_pop(vq, as, &e)) == VQ_POP_OK) {
        long got = gather(&e, as, buf, sizeof(buf));
        if (got < 0) {
            snprintf(e.why, sizeof(e.why), "control buffer outside RAM");
            res = VQ_POP_BROKEN;
            break;
        }
        uint8_t ack = CTRL_ERR;
        if (got >= 3 && buf[0] == CTRL_RX && buf[1] <= 1) {
            (buf[1] == 0 ? &n->promisc : &n->allmulti)[0] = buf[2] ? 1 : 0;
            ack = CTRL_OK;
        } else if (got >= 2 && buf[0] == CTRL_MAC && buf[1] == 0) {
            ack = CTRL_OK;        /* MAC_TABLE_SET: accept all */
        }
        long w = hw_vq_write_in(&e, as, &ack, 1);
        if (w < 0 || !hw_vq_push(vq, as, &e, (uint32_t)w)) {
            snprintf(e.why, sizeof(e.why), "control reply outside RAM");
            res = VQ_POP_BROKEN;
            break;
        }
        pushed = true;
    }
    if (pushed) {
        hw_virtio_notify(vdev, Q_CTRL);
    }
    if (res == VQ_POP_BROKEN) {
        hw_virtio_needs_reset(vdev, e.why);
    }
}

static void net_notify(void *opaque, VirtioDevice *vdev, unsigned q)
{
    VirtioNet *n = opaque;
    switch (q) {
    case Q_RX:
        rx_flush(n);              /* new receive buffers */
        break;
    case Q_TX:
        tx_notify(n, vdev);
        break;
    case Q_CTRL:
        ctrl_notify(n, vdev);
        break;
    }
}

/* A driver reset keeps the frames waiting (they arrived on the wire);
   the switches go back to their defaults. */
static void net_reset(void *opaque)
{
    VirtioNet *n = opaque;
    n->promisc = 1;
    n->allmulti = 0;
}

static bool net_post_load(void *opaque)
{
    VirtioNet *n = opaque;
    if (n->rxq_len > RXQ_BYTES || n->promisc > 1 || n->allmulti > 1) {
        return false;
    }
    /* The queue must be whole records. */
    uint32_t off = 0;
    while (off < n->rxq_len) {
        if (n->rxq_len - off < 4) {
            return false;
        }
        const uint8_t *p = n->rxq + off;
        uint32_t len = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
                       (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        if (len > NET_FRAME_MAX || len > n->rxq_len - off - 4) {
            return false;
        }
        off += 4 + len;
    }
    memset(n->rxq + n->rxq_len, 0, RXQ_BYTES - n->rxq_len);
    return true;
}

static const CoreStateField net_fields[] = {
    CORE_STATE_FIELD(VirtioNet, rx_dropped),
    CORE_STATE_FIELD(VirtioNet, rx_frames),
    CORE_STATE_FIELD(VirtioNet, tx_frames),
    CORE_STATE_FIELD(VirtioNet, tx_hash),
    CORE_STATE_FIELD(VirtioNet, promisc),
    CORE_STATE_FIELD(VirtioNet, allmulti),
    CORE_STATE_VARRAY(VirtioNet, rxq, rxq_len, 1),
    CORE_STATE_END
};

static const CoreStateDesc net_state = {
    .name = "virtio-net",
    .version = 1,
    .fields = net_fields,
    .post_load = net_post_load,
};

static void net_free(void *opaque)
{
    VirtioNet *n = opaque;
    be_net_close(n->be);
    free(n);
}

static void net_dev_reset(void *opaque)
{
    net_reset(opaque);
}

static const CoreDeviceOps net_dev_ops = {
    .name = "virtio-net-device",
    .reset = net_dev_reset,
    .state = &net_state,
    .free = net_free,
};

static const VirtioDeviceClass net_class = {
    .device_id = VIRTIO_ID_NET,
    .features = 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS |
                1ull << VIRTIO_NET_F_CTRL_VQ | 1ull << VIRTIO_NET_F_CTRL_RX,
    .nqueues = 3,
    .queue_max = { NET_QUEUE_SIZE, NET_QUEUE_SIZE, 64 },
    .config_size = 10,
    .config_read = net_config_read,
    .notify = net_notify,
    .reset = net_reset,
};

/* The NIC's number: how many virtio-net-devices come before it on the
   command line (the door's port, and the default MAC's offset). */
static unsigned nic_number(const HwDeviceArgs *a)
{
    const CoreConfig *cfg = a->m->cfg;
    unsigned k = 0;
    for (unsigned i = 0; i < cfg->ndevices; i++) {
        if (strcmp(cfg->devices[i].id, a->id) == 0) {
            break;
        }
        k += strcmp(cfg->devices[i].type, "virtio-net-device") == 0;
    }
    return k;
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char tail;
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
               &v[4], &v[5], &tail) != 6 || strlen(s) != 17) {
        return false;
    }
    for (int i = 0; i < 6; i++) {
        mac[i] = (uint8_t)v[i];
    }
    return !(mac[0] & 1);         /* not a multicast address */
}

static void *net_create(const HwDeviceArgs *a, char *err, size_t errlen)
{
    unsigned port = nic_number(a);
    if (port >= CORE_INPUT_MAX_NET) {
        snprintf(err, errlen, "at most %d virtio-net-devices",
                 CORE_INPUT_MAX_NET);
        return NULL;
    }
    VirtioNet *n = calloc(1, sizeof(*n));
    if (!n) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    const char *mac = a->props[PROP_MAC].s;
    if (strcmp(mac, "auto") != 0) {
        if (!parse_mac(mac, n->mac)) {
            snprintf(err, errlen, "property 'mac': '%s' is not a unicast "
                     "MAC address (xx:xx:xx:xx:xx:xx)", mac);
            free(n);
            return NULL;
        }
    } else {
        static const uint8_t base[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
        memcpy(n->mac, base, 6);
        n->mac[5] = (uint8_t)(base[5] + port);
    }
    n->port = port;
    const char *nd = a->props[PROP_NETDEV].s;
    if (strcmp(nd, "none") != 0) {
        n->be = be_net_open(a->m->cfg, nd, port, err, errlen);
        if (!n->be) {
            free(n);
            return NULL;
        }
    }
    n->vdev = hw_virtio_plug(a->bus, &net_class, n);
    if (!n->vdev) {
        snprintf(err, errlen, "no free virtio-mmio transport");
        be_net_close(n->be);
        free(n);
        return NULL;
    }
    net_reset(n);
    core_input_register_net(a->m->input, port, net_rx_sink, n);
    core_machine_add_device(a->m, &net_dev_ops, n, a->id);
    return n;
}

const HwDeviceType hw_virtio_net_type = {
    .name = "virtio-net-device",
    .desc = "virtio network card (virtio-net)",
    .category = HW_CAT_MISC,
    .bus = HW_BUS_VIRTIO,
    .user_creatable = true,
    .props = net_props,
    .create = net_create,
};
