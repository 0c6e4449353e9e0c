/*
 * virtio-blk-device (virtio 1.2 §5.2 "Block Device"): one request queue;
 * read, write, flush, get-id, discard and write-zeroes on a raw image
 * (backends/block.h).
 *
 *     -drive file=disk.img,format=raw,if=none,id=d0
 *     -device virtio-blk-device,drive=d0[,serial=S][,logical_block_size=N]
 *
 * Completion time is modelled on the virtual clock, never taken from the
 * host: the disk serves requests one after another, each taking
 * BLK_LAT_NS plus BLK_NS_PER_KIB per KiB moved, so a request completes at
 * an icount that follows from the guest's own execution. A popped request
 * waits in `inflight` (saved state: the chain and its deadline) until its
 * time; then the I/O happens and the chain goes back to the driver. So a
 * checkpoint taken while requests are in flight restores them, and the
 * point in the overlay log the back end keeps (record, replay,
 * snapshot=on) is saved with the device (a custom field of 16 bytes), so
 * a seek across disk writes finds the disk the guest had written.
 *
 * Each completed request is reported to the machine's observer
 * (core/observe.h, the derived-event index's blk_requests): the icount at
 * which the driver's notify took it, the icount of its completion, the
 * drive, the operation, sector, bytes and status. A chain that cannot
 * carry a status is not reported (the device needs a reset).
 *
 * Hostile requests: a chain without a writable status byte cannot be
 * answered and sets DEVICE_NEEDS_RESET; a header shorter than 16 bytes, a
 * sector range past the end, a length that is not whole sectors or a write
 * to a read-only disk get VIRTIO_BLK_S_IOERR; an unknown type gets
 * VIRTIO_BLK_S_UNSUPP.
 */
#include "hw/virtio/virtio.h"
#include "backends/block.h"
#include "core/clock.h"
#include "core/observe.h"
#include "core/run.h"
#include "hw/registry.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLK_QUEUE_SIZE 128
#define BLK_SECTOR 512u
#define BLK_LAT_NS 20000u          /* per request */
#define BLK_NS_PER_KIB 1000u       /* about 1 GB/s */
#define BLK_SEG_MAX (VQ_MAX_SEGS - 2)
#define BLK_MAX_DISCARD_SECTORS (1u << 22)   /* 2 GiB per segment */
#define BLK_ID_BYTES 20

/* Feature bits (virtio 1.2 §5.2.3). */
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_TOPOLOGY 10
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Request types and status (§5.2.6). */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_WZ_F_UNMAP 1

enum {
    PROP_DRIVE, PROP_SERIAL, PROP_LBS, PROP_PBS, PROP_DISCARD, PROP_WZ,
};

static const HwProp blk_props[] = {
    [PROP_DRIVE] = { "drive", HW_PROP_STRING, NULL,
                     "id of a -drive or node-name of a -blockdev" },
    [PROP_SERIAL] = { "serial", HW_PROP_STRING, "none",
                      "disk serial number that get-id returns, at most 20 "
                      "bytes (none: an empty one)" },
    [PROP_LBS] = { "logical_block_size", HW_PROP_UINT, "512",
                   "logical block size in bytes (512..65536, a power of 2)" },
    [PROP_PBS] = { "physical_block_size", HW_PROP_UINT, "0",
                   "physical block size (0: the logical one)" },
    [PROP_DISCARD] = { "discard", HW_PROP_BOOL, "on",
                       "offer the discard request" },
    [PROP_WZ] = { "write-zeroes", HW_PROP_BOOL, "on",
                  "offer the write-zeroes request" },
    { NULL, 0, NULL, NULL },
};

typedef struct BlkReq {
    uint64_t deadline_ns;
    VirtqElem elem;
} BlkReq;

typedef struct VirtioBlk {
    /* Saved: the requests in flight, oldest first (served in order). */
    uint32_t ninflight;
    BlkReq inflight[BLK_QUEUE_SIZE];
    /* icount at which each request in flight was taken (version 3). */
    uint64_t submitted[BLK_QUEUE_SIZE];
    /* Configuration and host side. */
    VirtioDevice *vdev;
    CoreMachine *m;
    BeBlock *be;
    char *drive;                   /* the -drive id, for the observer */
    CoreTimer timer;
    uint64_t capacity;             /* 512-byte sectors */
    uint64_t features;
    uint32_t lbs, pbs_exp;
    bool ro;
    char serial[BLK_ID_BYTES + 1];
    uint8_t config[60];
    VirtioDeviceClass cls;
} VirtioBlk;

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;) {
        v = v << 8 | p[i];
    }
    return v;
}

static uint32_t blk_config_read(void *opaque, uint32_t off, unsigned size)
{
    VirtioBlk *b = opaque;
    if (off + size > sizeof(b->config)) {
        return 0;
    }
    return (uint32_t)get_le(b->config + off, size);
}

/* Copy `len` bytes at byte `off` of the chain's readable part. */
static bool read_out(const VirtqElem *e, CoreAddrSpace *as, uint64_t off,
                     void *buf, size_t len)
{
    uint8_t *p = buf;
    for (unsigned i = 0; i < e->nout && len; i++) {
        if (off >= e->out[i].len) {
            off -= e->out[i].len;
            continue;
        }
        size_t n = e->out[i].len - off < len ? (size_t)(e->out[i].len - off)
                                              : len;
        if (!core_mem_read_bytes(as, e->out[i].addr + off, p, n)) {
            return false;
        }
        p += n;
        len -= n;
        off = 0;
    }
    return len == 0;
}

/* Write at byte `off` of the chain's writable part. */
static bool write_in(const VirtqElem *e, CoreAddrSpace *as, uint64_t off,
                     const void *buf, size_t len)
{
    const uint8_t *p = buf;
    for (unsigned i = 0; i < e->nin && len; i++) {
        if (off >= e->in[i].len) {
            off -= e->in[i].len;
            continue;
        }
        size_t n = e->in[i].len - off < len ? (size_t)(e->in[i].len - off)
                                            : len;
        if (!core_mem_write_bytes(as, e->in[i].addr + off, p, n)) {
            return false;
        }
        p += n;
        len -= n;
        off = 0;
    }
    return len == 0;
}

static uint64_t out_size(const VirtqElem *e)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < e->nout; i++) {
        n += e->out[i].len;
    }
    return n;
}

static bool range_ok(const VirtioBlk *b, uint64_t sector, uint64_t bytes)
{
    return bytes % BLK_SECTOR == 0 && sector <= b->capacity &&
           bytes / BLK_SECTOR <= b->capacity - sector;
}

/* Discard / write-zeroes: segments of {le64 sector, le32 num, le32 flags}. */
static uint8_t do_zeroes(VirtioBlk *b, const VirtqElem *e, CoreAddrSpace *as,
                         uint64_t data_len, bool discard)
{
    if (data_len == 0 || data_len % 16 || data_len / 16 > 1) {
        return VIRTIO_BLK_S_UNSUPP;   /* max_discard_seg = 1 */
    }
    uint8_t seg[16];
    if (!read_out(e, as, 16, seg, 16)) {
        return VIRTIO_BLK_S_IOERR;
    }
    uint64_t sector = get_le(seg, 8);
    uint32_t num = (uint32_t)get_le(seg + 8, 4);
    uint32_t flags = (uint32_t)get_le(seg + 12, 4);
    if ((discard && flags) || (flags & ~VIRTIO_BLK_WZ_F_UNMAP) ||
        num > BLK_MAX_DISCARD_SECTORS) {
        return VIRTIO_BLK_S_UNSUPP;
    }
    if (b->ro || !range_ok(b, sector, (uint64_t)num * BLK_SECTOR)) {
        return VIRTIO_BLK_S_IOERR;
    }
    /* A discarded range may read back as anything: zeroes are the
       deterministic choice. */
    return be_block_write_zeroes(b->be, sector * BLK_SECTOR,
                                 (uint64_t)num * BLK_SECTOR) == 0
               ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
}

/* What a served request was, for the observer. */
typedef struct BlkDone {
    const char *op;
    uint64_t sector, bytes;
    uint8_t status;
} BlkDone;

static const char *op_name(uint32_t type)
{
    switch (type) {
    case VIRTIO_BLK_T_IN: return "read";
    case VIRTIO_BLK_T_OUT: return "write";
    case VIRTIO_BLK_T_FLUSH: return "flush";
    case VIRTIO_BLK_T_GET_ID: return "get-id";
    case VIRTIO_BLK_T_DISCARD: return "discard";
    case VIRTIO_BLK_T_WRITE_ZEROES: return "write-zeroes";
    default: return "unsupported";
    }
}

/* Serve one request; returns the bytes written into its in part, or -1
   when the chain cannot carry a status (the device needs a reset). */
static long serve(VirtioBlk *b, const VirtqElem *e, CoreAddrSpace *as,
                  const char **why, BlkDone *out)
{
    uint64_t in_len = hw_vq_in_size(e);
    if (in_len == 0) {
        *why = "virtio-blk: request without a writable status byte";
        return -1;
    }
    uint64_t data_in = in_len - 1;       /* the status is the last byte */
    uint64_t olen = out_size(e);
    uint8_t hdr[16];
    uint8_t status = VIRTIO_BLK_S_OK;
    uint64_t written = 0;
    *out = (BlkDone){ "bad-header", 0, 0, 0 };
    if (olen < 16 || !read_out(e, as, 0, hdr, 16)) {
        status = VIRTIO_BLK_S_IOERR;
        goto done;
    }
    uint32_t type = (uint32_t)get_le(hdr, 4);
    uint64_t sector = get_le(hdr + 8, 8);
    uint64_t data_out = olen - 16;
    out->op = op_name(type);
    out->sector = sector;
    out->bytes = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID
                     ? data_in : data_out;
    static uint8_t buf[64 * 1024];
    switch (type) {
    case VIRTIO_BLK_T_IN:
        if (!range_ok(b, sector, data_in)) {
            status = VIRTIO_BLK_S_IOERR;
            break;
        }
        for (uint64_t done = 0; done < data_in;) {
            size_t n = data_in - done < sizeof(buf) ? (size_t)(data_in - done)
                                                    : sizeof(buf);
            if (be_block_read(b->be, sector * BLK_SECTOR + done, buf, n) ||
                !write_in(e, as, done, buf, n)) {
                status = VIRTIO_BLK_S_IOERR;
                break;
            }
            done += n;
            written = done;
        }
        break;
    case VIRTIO_BLK_T_OUT:
        if (b->ro || !range_ok(b, sector, data_out)) {
            status = VIRTIO_BLK_S_IOERR;
            break;
        }
        for (uint64_t done = 0; done < data_out;) {
            size_t n = data_out - done < sizeof(buf)
                           ? (size_t)(data_out - done) : sizeof(buf);
            if (!read_out(e, as, 16 + done, buf, n) ||
                be_block_write(b->be, sector * BLK_SECTOR + done, buf, n)) {
                status = VIRTIO_BLK_S_IOERR;
                break;
            }
            done += n;
        }
        break;
    case VIRTIO_BLK_T_FLUSH:
        if (be_block_flush(b->be) != 0) {
            status = VIRTIO_BLK_S_IOERR;
        }
        break;
    case VIRTIO_BLK_T_GET_ID: {
        uint8_t id[BLK_ID_BYTES] = { 0 };
        memcpy(id, b->serial, strlen(b->serial));
        size_t n = data_in < BLK_ID_BYTES ? (size_t)data_in : BLK_ID_BYTES;
        if (!write_in(e, as, 0, id, n)) {
            status = VIRTIO_BLK_S_IOERR;
        } else {
            written = n;
        }
        break;
    }
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES: {
        bool discard = type == VIRTIO_BLK_T_DISCARD;
        uint64_t bit = discard ? VIRTIO_BLK_F_DISCARD : VIRTIO_BLK_F_WRITE_ZEROES;
        status = (b->features >> bit) & 1
                     ? do_zeroes(b, e, as, data_out, discard)
                     : VIRTIO_BLK_S_UNSUPP;
        break;
    }
    default:
        status = VIRTIO_BLK_S_UNSUPP;
        break;
    }
done:
    if (status == VIRTIO_BLK_S_IOERR && be_block_host_error(b->be)) {
        /* Not the guest's doing: a replay would not fail here. */
        core_run_host_fault(b->m, be_block_host_error(b->be));
    }
    out->status = status;
    if (!write_in(e, as, in_len - 1, &status, 1)) {
        *why = "virtio-blk: status byte not in RAM";
        return -1;
    }
    return (long)(written + 1);
}

static uint64_t req_cost_ns(const VirtqElem *e)
{
    uint64_t bytes = out_size(e) + hw_vq_in_size(e);
    return BLK_LAT_NS + bytes / 1024 * BLK_NS_PER_KIB;
}

static void arm(VirtioBlk *b)
{
    if (b->timer.armed) {
        core_timer_cancel(b->m, &b->timer);
    }
    if (b->ninflight) {
        core_timer_arm(b->m, &b->timer, b->inflight[0].deadline_ns);
    }
}

/* Complete every request whose time has come, oldest first. */
static void blk_timer(void *opaque)
{
    VirtioBlk *b = opaque;
    CoreAddrSpace *as = hw_virtio_as(b->vdev);
    Virtqueue *vq = hw_virtio_queue(b->vdev, 0);
    uint64_t now = core_clock_ns(b->m);
    uint32_t done = 0;
    bool pushed = false;
    const char *why = NULL;
    while (done < b->ninflight && b->inflight[done].deadline_ns <= now) {
        const VirtqElem *e = &b->inflight[done].elem;
        BlkDone r;
        long put = serve(b, e, as, &why, &r);
        const CoreObserver *o = b->m->observer;
        if (CORE_UNLIKELY(o != NULL) && o->blk && put >= 0) {
            CoreBlkEvent ev = {
                .icount = b->m->icount, .submit_icount = b->submitted[done],
                .drive = b->drive, .op = r.op, .sector = r.sector,
                .bytes = r.bytes, .status = r.status,
            };
            o->blk(o->opaque, &ev);
        }
        done++;
        if (put < 0 || !hw_vq_push(vq, as, e, (uint32_t)put)) {
            if (!why) {
                why = "virtio-blk: used ring not in RAM";
            }
            break;
        }
        pushed = true;
    }
    memmove(&b->inflight[0], &b->inflight[done],
            (b->ninflight - done) * sizeof(b->inflight[0]));
    b->ninflight -= done;
    memset(&b->inflight[b->ninflight], 0, done * sizeof(b->inflight[0]));
    memmove(&b->submitted[0], &b->submitted[done],
            b->ninflight * sizeof(b->submitted[0]));
    memset(&b->submitted[b->ninflight], 0, done * sizeof(b->submitted[0]));
    if (pushed) {
        hw_virtio_notify(b->vdev, 0);
    }
    if (why) {
        /* Nothing more is served until the driver resets the device. */
        memset(b->inflight, 0, b->ninflight * sizeof(b->inflight[0]));
        memset(b->submitted, 0, sizeof(b->submitted));
        b->ninflight = 0;
        hw_virtio_needs_reset(b->vdev, why);
    }
    arm(b);
}

static void blk_notify(void *opaque, VirtioDevice *vdev, unsigned q)
{
    VirtioBlk *b = opaque;
    CoreAddrSpace *as = hw_virtio_as(vdev);
    Virtqueue *vq = hw_virtio_queue(vdev, q);
    uint64_t t = b->ninflight ? b->inflight[b->ninflight - 1].deadline_ns
                              : core_clock_ns(b->m);
    uint64_t now = core_clock_ns(b->m);
    if (t < now) {
        t = now;
    }
    /* The transport's queue size bounds what the driver can post, and
       every chain in flight still occupies its descriptors. */
    while (b->ninflight < BLK_QUEUE_SIZE) {
        BlkReq *r = &b->inflight[b->ninflight];
        memset(r, 0, sizeof(*r));    /* saved bytes: no stale padding */
        VirtqPopResult res = hw_vq_pop(vq, as, &r->elem);
        if (res == VQ_POP_EMPTY) {
            break;
        }
        if (res == VQ_POP_BROKEN) {
            char why[sizeof(r->elem.why)];
            memcpy(why, r->elem.why, sizeof(why));
            memset(r, 0, sizeof(*r));
            hw_virtio_needs_reset(vdev, why);
            break;
        }
        t += req_cost_ns(&r->elem);
        r->deadline_ns = t;
        b->submitted[b->ninflight] = b->m->icount;
        b->ninflight++;
    }
    arm(b);
}

static void blk_reset(void *opaque)
{
    VirtioBlk *b = opaque;
    memset(b->inflight, 0, sizeof(b->inflight));
    memset(b->submitted, 0, sizeof(b->submitted));
    b->ninflight = 0;
    if (b->timer.armed) {
        core_timer_cancel(b->m, &b->timer);
    }
}

static void overlay_save(const void *opaque, CoreBuf *out)
{
    const VirtioBlk *b = opaque;
    be_block_overlay_save(b->be, out);
}

static int overlay_load(void *opaque, const uint8_t *data, size_t len,
                        char *err, size_t errlen)
{
    VirtioBlk *b = opaque;
    return be_block_overlay_load(b->be, data, len, err, errlen);
}

static bool blk_post_load(void *opaque)
{
    VirtioBlk *b = opaque;
    for (uint32_t i = 0; i < b->ninflight; i++) {
        const VirtqElem *e = &b->inflight[i].elem;
        if (e->nout > VQ_MAX_SEGS || e->nin > VQ_MAX_SEGS ||
            (i && b->inflight[i].deadline_ns < b->inflight[i - 1].deadline_ns)) {
            return false;
        }
    }
    arm(b);
    return true;
}

static const CoreStateField blk_fields[] = {
    CORE_STATE_VARRAY(VirtioBlk, inflight, ninflight, 1),
    /* Version 1 saved the whole overlay; from 2 its point in the log. */
    CORE_STATE_CUSTOM("overlay-log", overlay_save, overlay_load, 2),
    /* From 3: when each request in flight was taken (the index's
       blk_requests.icount); older records load zeros. */
    CORE_STATE_FIELD_V(VirtioBlk, submitted, 3),
    CORE_STATE_END
};

static const CoreStateDesc blk_state = {
    .name = "virtio-blk",
    .version = 3,
    .fields = blk_fields,
    .post_load = blk_post_load,
};

static void blk_free(void *opaque)
{
    VirtioBlk *b = opaque;
    be_block_close(b->be);
    free(b->drive);
    free(b);
}

static bool blk_check_trace_files(void *opaque, char *why, size_t whylen)
{
    VirtioBlk *b = opaque;
    return be_block_check_log(b->be, why, whylen);
}

static const CoreDeviceOps blk_dev_ops = {
    .name = "virtio-blk-device",
    .reset = blk_reset,
    .state = &blk_state,
    .free = blk_free,
    .check_trace_files = blk_check_trace_files,
};

static void build_config(VirtioBlk *b)
{
    uint8_t *c = b->config;
    put_le(c + 0, b->capacity, 8);
    put_le(c + 12, BLK_SEG_MAX, 4);
    put_le(c + 20, b->lbs, 4);
    c[24] = (uint8_t)b->pbs_exp;
    put_le(c + 26, 1, 2);                    /* min_io_size */
    put_le(c + 36, BLK_MAX_DISCARD_SECTORS, 4);
    put_le(c + 40, 1, 4);                    /* max_discard_seg */
    put_le(c + 44, b->lbs / BLK_SECTOR, 4);  /* discard_sector_alignment */
    put_le(c + 48, BLK_MAX_DISCARD_SECTORS, 4);
    put_le(c + 52, 1, 4);                    /* max_write_zeroes_seg */
    c[56] = 0;                               /* write_zeroes_may_unmap */
}

static bool pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

static void *blk_create(const HwDeviceArgs *a, char *err, size_t errlen)
{
    const CoreConfig *cfg = a->m->cfg;
    const char *drive = a->props[PROP_DRIVE].s;
    const CoreDriveOpt *d = be_drive_find(cfg, drive);
    uint64_t lbs = a->props[PROP_LBS].u, pbs = a->props[PROP_PBS].u;
    if (!d) {
        snprintf(err, errlen, "property 'drive': no -drive id or -blockdev "
                 "node-name '%s'", drive);
        return NULL;
    }
    if (!pow2(lbs) || lbs < 512 || lbs > 65536) {
        snprintf(err, errlen, "property 'logical_block_size': %" PRIu64
                 " is not a power of 2 in 512..65536", lbs);
        return NULL;
    }
    if (pbs == 0) {
        pbs = lbs;
    }
    if (!pow2(pbs) || pbs < lbs || pbs > 65536 * 16) {
        snprintf(err, errlen, "property 'physical_block_size': %" PRIu64
                 " is not a power of 2 of at least logical_block_size", pbs);
        return NULL;
    }
    if (strlen(a->props[PROP_SERIAL].s) > BLK_ID_BYTES) {
        snprintf(err, errlen, "property 'serial': at most %d bytes",
                 BLK_ID_BYTES);
        return NULL;
    }
    for (unsigned i = 0; i < cfg->ndevices; i++) {
        const CoreDeviceOpt *o = &cfg->devices[i];
        if (strcmp(o->type, "virtio-blk-device") != 0 ||
            strcmp(o->id, a->id) == 0) {
            continue;
        }
        for (unsigned p = 0; p < o->nprops; p++) {
            if (strcmp(o->props[p].name, "drive") == 0 &&
                strcmp(o->props[p].value, drive) == 0) {
                snprintf(err, errlen, "property 'drive': drive '%s' is "
                         "already used by device '%s'", drive, o->id);
                return NULL;
            }
        }
    }
    VirtioBlk *b = calloc(1, sizeof(*b));
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    b->be = be_block_open(d, cfg->block_cow, err, errlen);
    if (!b->be) {
        free(b);
        return NULL;
    }
    if (cfg->block_cow && cfg->block_log_dir &&
        !be_block_set_log(b->be, cfg->block_log_dir, cfg->block_log_record)) {
        snprintf(err, errlen, "drive '%s': trace directory path too long",
                 drive);
        be_block_close(b->be);
        free(b);
        return NULL;
    }
    b->m = a->m;
    b->drive = strdup(drive);
    if (!b->drive) {
        snprintf(err, errlen, "out of memory");
        be_block_close(b->be);
        free(b);
        return NULL;
    }
    b->lbs = (uint32_t)lbs;
    for (uint64_t p = pbs / lbs; p > 1; p >>= 1) {
        b->pbs_exp++;
    }
    b->ro = be_block_readonly(b->be);
    b->capacity = be_block_size(b->be) / BLK_SECTOR;
    if (strcmp(a->props[PROP_SERIAL].s, "none") != 0) {
        snprintf(b->serial, sizeof(b->serial), "%s", a->props[PROP_SERIAL].s);
    }
    b->features = 1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_BLK_SIZE |
                  1ull << VIRTIO_BLK_F_FLUSH | 1ull << VIRTIO_BLK_F_TOPOLOGY;
    if (b->ro) {
        b->features |= 1ull << VIRTIO_BLK_F_RO;
    }
    if (a->props[PROP_DISCARD].u) {
        b->features |= 1ull << VIRTIO_BLK_F_DISCARD;
    }
    if (a->props[PROP_WZ].u) {
        b->features |= 1ull << VIRTIO_BLK_F_WRITE_ZEROES;
    }
    build_config(b);
    b->cls = (VirtioDeviceClass){
        .device_id = VIRTIO_ID_BLOCK,
        .features = b->features,
        .nqueues = 1,
        .queue_max = { BLK_QUEUE_SIZE },
        .config_size = sizeof(b->config),
        .config_read = blk_config_read,
        .notify = blk_notify,
        .reset = blk_reset,
    };
    core_timer_init(&b->timer, blk_timer, b);
    b->vdev = hw_virtio_plug(a->bus, &b->cls, b);
    if (!b->vdev) {
        snprintf(err, errlen, "no free virtio-mmio transport");
        be_block_close(b->be);
        free(b->drive);
        free(b);
        return NULL;
    }
    core_machine_add_device(a->m, &blk_dev_ops, b, a->id);
    return b;
}

const HwDeviceType hw_virtio_blk_type = {
    .name = "virtio-blk-device",
    .desc = "virtio block device (virtio-blk) on a -drive or -blockdev",
    .category = HW_CAT_MISC,
    .bus = HW_BUS_VIRTIO,
    .user_creatable = true,
    .props = blk_props,
    .create = blk_create,
};
