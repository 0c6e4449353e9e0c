/*
 * Machine snapshots and the state hash (see core/snapshot.h).
 *
 * Layout, format version 3 (little-endian):
 *   "RWSN" u32 version u32 kind: 1 full, 0 increment, 2 boot (format 3)
 *   u64 icount, idle_ns, sched_hart, sched_left
 *   u32 ncpus, then one CoreState record per hart (core/state.h)
 *   u32 ndevices-with-state, then per device:
 *       u8 id length, id, u8 type length, type (CoreDeviceOps.name),
 *       its CoreState record
 *   u32 nregions; per RAM region: u64 base, u64 size, u64 npages,
 *       then npages times (u64 page index, 4096 bytes: CORE_PAGE_SIZE),
 *       then u64 ngroups and ngroups group hashes
 *
 * A page entry whose index has bit 63 set (SNAP_PAGE_ZERO, format 3) is
 * a page of zeros and has no bytes after it. Increments write them: a
 * Linux boot's increments are two thirds pages the kernel just cleared
 * (35 MiB of 55 MiB in the first one), which the recorder would copy and
 * the trace writer compress for nothing. Full snapshots never need them
 * (loading one clears RAM first), so they still skip zero pages.
 *
 * A boot snapshot (kind 2, format 3) is a full snapshot of a machine that
 * has not run since its inputs were loaded, without the RAM pages: those
 * are the firmware, kernel, initrd and device tree, which any machine
 * built from the same command line and input files has too (a replay
 * checks the files' hashes before it starts). The recorder's first
 * checkpoint is one, which spares it copying and compressing the images
 * (23 MiB for the Linux boot). It keeps the group hashes. Restoring it
 * needs that RAM from elsewhere: core_snapshot_load leaves RAM as it is,
 * and the caller first loads a full snapshot of its own freshly built
 * machine (replay/timeline.c) and then checks the state hash.
 *
 * Devices are found by id, so their order may change between builds. A
 * device of the snapshot that the machine lacks, or a device of the
 * machine (with state) that the snapshot lacks, is refused by id: either
 * way the restored machine would not be the recorded one, and a replay
 * from it would diverge later instead of failing now. Both are checked
 * before any device is loaded.
 *
 * Format version 2 is version 3 without zero-page entries. Format
 * version 1 (builds before per-device ids) is the same without the
 * id and type before each device record; its devices are in the machine's
 * registration order, which a trace pins (it records the command line), so
 * it is still read, by order. Other versions are refused, naming both.
 *
 * The state hash covers the version-1 device layout (records in machine
 * order, no ids): ids name devices, they are not guest state, and hashes
 * recorded by earlier builds stay valid.
 */
#include "core/snapshot.h"
#include "core/bitmap.h"
#include "core/hash.h"
#include "core/preimage.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define SNAP_MAGIC "RWSN"
#define SNAP_VERSION 4
#define SNAP_VERSION_BY_ORDER 1   /* devices by order, no ids */
#define SNAP_VERSION_NO_ZERO 2    /* device ids, no zero-page entries */
#define SNAP_VERSION_NO_XOR 3     /* zero pages, no XOR entries */
#define SNAP_PAGE_ZERO (1ull << 63)   /* page entry: zeros, no bytes */
#define SNAP_PAGE_XOR (1ull << 62)    /* page entry: bytes XOR old page */
_Static_assert(CORE_PAGE_SIZE == 4096, "snapshots store 4096-byte pages");

static void put64(CoreBuf *b, uint64_t v)
{
    core_buf_append(b, &v, 8);
}

static void put32(CoreBuf *b, uint32_t v)
{
    core_buf_append(b, &v, 4);
}

static const uint8_t zero_page[CORE_PAGE_SIZE];

static bool page_is_zero(const uint8_t *p)
{
    return memcmp(p, zero_page, CORE_PAGE_SIZE) == 0;
}

/* The dirty-page client called name (registered on first use; its pages
   start as every page written so far). */
static CoreDirtyClient *dirty_client(CoreMachine *m, const char *name)
{
    CoreDirtyClient *c = core_mem_dirty_client_find(m->as, name);
    if (!c && !(c = core_mem_dirty_client_new(m->as, name, NULL, NULL))) {
        fprintf(stderr, "rewind: no dirty-page client for %s\n", name);
        abort();   /* out of memory or of client slots: a program error */
    }
    return c;
}

#define CKPT_CLIENT "checkpoint"   /* pages written since the last one */
#define HASH_CLIENT "state-hash"   /* pages whose page_hash is stale */

/* The checkpoint client, which keeps the pre-images of the pages it
   finds written (core/preimage.h) in m->preimages. */
static CoreDirtyClient *ckpt_client(CoreMachine *m)
{
    CoreDirtyClient *c = core_mem_dirty_client_find(m->as, CKPT_CLIENT);
    if (c) {
        return c;
    }
    if (!m->preimages && !(m->preimages = core_preimage_new())) {
        return dirty_client(m, CKPT_CLIENT);   /* no XOR entries then */
    }
    c = core_mem_dirty_client_new(m->as, CKPT_CLIENT, core_preimage_capture,
                                  m->preimages);
    return c ? c : dirty_client(m, CKPT_CLIENT);
}

/* After the checkpoint client's bits were cleared: RAM as it is now is
   the reference of the next increment (known) or, after a load, of
   nothing until the next checkpoint. */
static void preimages_reset(CoreMachine *m, bool known)
{
    if (m->preimages) {
        core_preimage_reset(m->preimages, known);
    }
}

/* dst = a XOR b, one page. */
static void xor_page(uint8_t *dst, const uint8_t *a, const uint8_t *b)
{
    for (size_t i = 0; i < CORE_PAGE_SIZE; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        x ^= y;
        memcpy(dst + i, &x, 8);
    }
}

/* Bring the cached page hashes of every RAM region up to date. */
static void update_page_hashes(CoreMachine *m)
{
    CoreDirtyClient *hc = dirty_client(m, HASH_CLIENT);
    bool any = false;
    for (size_t i = 0; i < core_mem_region_count(m->as); i++) {
        CoreMemRegion *r = core_mem_region(m->as, i);
        if (r->kind != CORE_MEM_RAM) {
            continue;
        }
        uint64_t pages = core_mem_page_count(r);
        const uint8_t *bits = core_mem_dirty_bits(hc, r);
        for (uint64_t p = core_bitmap_next(bits, 0, pages); p < pages;
             p = core_bitmap_next(bits, p + 1, pages)) {
            /* Most pages a Linux boot dirties it has cleared (two thirds
               of the first increment): comparing with zeros stops at the
               first byte of any other page and spares hashing them. */
            const uint8_t *host = core_mem_page_host(r, p);
            r->page_hash[p] = page_is_zero(host)
                                  ? core_mem_zero_page_hash()
                                  : core_hash_bytes(host, CORE_PAGE_SIZE);
            any = true;
        }
        core_mem_dirty_clear(hc, r);
    }
    if (any) {
        core_mem_write_protect_all(m->as);
    }
}

static uint64_t group_hash(const CoreMemRegion *r, uint64_t group)
{
    uint64_t pages = core_mem_page_count(r);
    uint64_t first = group * CORE_SNAPSHOT_GROUP_PAGES;
    uint64_t n = pages - first < CORE_SNAPSHOT_GROUP_PAGES
                     ? pages - first : CORE_SNAPSHOT_GROUP_PAGES;
    return core_hash_bytes(&r->page_hash[first], n * sizeof(uint64_t));
}

static void put_str8(CoreBuf *b, const char *str)
{
    size_t n = strlen(str);
    uint8_t len = (uint8_t)(n < 255 ? n : 255);
    core_buf_append(b, &len, 1);
    core_buf_append(b, str, len);
}

/* Harts, devices and clock, serialized (the non-RAM part), in format
   `version` (with device ids from version 2). With h, the bytes also go
   into the state hash as the version-1 layout has them (the ids left
   out), so a snapshot and its hash come from one serialization. */
static void save_devices(CoreMachine *m, CoreBuf *b, uint32_t version,
                         CoreHash *h)
{
    size_t from = b->len;
    put64(b, m->icount);
    put64(b, m->idle_ns);
    put64(b, m->sched_hart);
    put64(b, m->sched_left);
    put32(b, m->ncpus);
    for (unsigned i = 0; i < m->ncpus; i++) {
        core_state_save(m->cpu_ops->state, m->cpus[i], b);
    }
    uint32_t n = 0;
    for (unsigned i = 0; i < m->ndevices; i++) {
        n += m->devices[i].ops->state != NULL;
    }
    put32(b, n);
    for (unsigned i = 0; i < m->ndevices; i++) {
        CoreDevice *d = &m->devices[i];
        if (d->ops->state) {
            if (version != SNAP_VERSION_BY_ORDER) {
                if (h) {
                    core_hash_update(h, b->data + from, b->len - from);
                }
                put_str8(b, d->id);
                put_str8(b, d->ops->name);
                from = b->len;
            }
            core_state_save(d->ops->state, d->opaque, b);
        }
    }
    if (h) {
        core_hash_update(h, b->data + from, b->len - from);
    }
}

/* The RAM part of the state hash: the page hashes, brought up to date. */
static void hash_ram(CoreMachine *m, CoreHash *h)
{
    update_page_hashes(m);
    for (size_t i = 0; i < core_mem_region_count(m->as); i++) {
        CoreMemRegion *r = core_mem_region(m->as, i);
        if (r->kind == CORE_MEM_RAM) {
            core_hash_update(h, r->page_hash,
                             core_mem_page_count(r) * sizeof(uint64_t));
        }
    }
}

uint64_t core_machine_state_hash(CoreMachine *m)
{
    CoreBuf b = { 0 };
    CoreHash h;
    core_hash_init(&h);
    save_devices(m, &b, SNAP_VERSION_BY_ORDER, &h);
    core_buf_free(&b);
    hash_ram(m, &h);
    return core_hash_final(&h);
}

void core_snapshot_save(CoreMachine *m, bool full, CoreBuf *out)
{
    core_snapshot_save_hashed(m, full, out, NULL);
}

enum { SNAP_INCREMENT = 0, SNAP_FULL = 1, SNAP_BOOT = 2 };

/* Where a snapshot's bytes go: one buffer that grows to hold them all,
   or, with a sink, pieces handed over as they fill (buf is the current
   one, never grown: its memory is the sink's). */
typedef struct SnapOut {
    CoreBuf *buf;
    const CoreSnapshotSink *sink;
    bool failed;                /* the sink refused: drop the rest */
} SnapOut;

/* buf has room for n more bytes (n at most a piece's size). */
static bool out_room(SnapOut *o, size_t n)
{
    if (!o->sink) {
        core_buf_reserve(o->buf, n);
    } else if (!o->failed && o->buf->len + n > o->buf->cap) {
        o->failed = !o->sink->give(o->sink->opaque, o->buf, true) ||
                    o->buf->len + n > o->buf->cap;
    }
    return !o->failed;
}

static void emit(SnapOut *o, const void *data, size_t n)
{
    const uint8_t *p = data;
    while (n && !o->failed) {
        size_t part = n;
        if (o->sink) {
            out_room(o, 1);
            size_t room = o->buf->cap - o->buf->len;
            part = n < room ? n : room;
        } else {
            core_buf_reserve(o->buf, n);
        }
        if (o->failed) {
            break;
        }
        memcpy(o->buf->data + o->buf->len, p, part);
        o->buf->len += part;
        p += part;
        n -= part;
    }
}

static void emit64(SnapOut *o, uint64_t v)
{
    emit(o, &v, 8);
}

/* The page entries of RAM region r in a snapshot of this kind: their
   number in *n, their bytes returned, and a bit in `nonzero` for each
   page stored with its bytes. Each test of a page for zeros happens
   here, once: a dirty page of zeros is an entry without bytes, a full
   snapshot leaves zero pages out. */
static uint64_t plan_region(const CoreMemRegion *r, CoreDirtyClient *cc,
                            uint32_t kind, uint8_t *nonzero, uint64_t *n)
{
    uint64_t pages = core_mem_page_count(r), bytes = 0;
    const uint8_t *bits = kind == SNAP_FULL ? r->touched
                                            : core_mem_dirty_bits(cc, r);
    *n = 0;
    if (kind == SNAP_BOOT) {
        return 0;
    }
    for (uint64_t p = core_bitmap_next(bits, 0, pages); p < pages;
         p = core_bitmap_next(bits, p + 1, pages)) {
        bool zero = page_is_zero(core_mem_page_host(r, p));
        if (!zero) {
            core_bitmap_set(nonzero, p);
        }
        if (!zero || kind == SNAP_INCREMENT) {
            (*n)++;
            bytes += 8 + (zero ? 0 : CORE_PAGE_SIZE);
        }
    }
    return bytes;
}

/* Region r's part of a snapshot: header, page entries (as plan_region
   chose them), group hashes. */
static void save_region(CoreMachine *m, CoreMemRegion *r, CoreDirtyClient *cc,
                        uint32_t kind, const uint8_t *nonzero, uint64_t n,
                        SnapOut *o)
{
    bool full = kind == SNAP_FULL;
    uint64_t pages = core_mem_page_count(r);
    const uint8_t *bits = full ? r->touched : core_mem_dirty_bits(cc, r);
    emit64(o, r->base);
    emit64(o, r->size);
    emit64(o, n);
    for (uint64_t p = kind == SNAP_BOOT ? pages : core_bitmap_next(bits, 0, pages);
         p < pages && !o->failed; p = core_bitmap_next(bits, p + 1, pages)) {
        const uint8_t *host = core_mem_page_host(r, p);
        const uint8_t *old = NULL;
        if (!core_bitmap_test(nonzero, p)) {
            if (!full) {
                emit64(o, p | SNAP_PAGE_ZERO);
            }
        } else if (!full && m->preimages &&
                   core_preimage_get(m->preimages, r, p, &old) && old) {
            /* Written since the previous checkpoint, which had it
               non-zero: the difference (see core/preimage.h). */
            emit64(o, p | SNAP_PAGE_XOR);
            if (out_room(o, CORE_PAGE_SIZE)) {
                xor_page(o->buf->data + o->buf->len, host, old);
                o->buf->len += CORE_PAGE_SIZE;
            }
        } else {
            emit64(o, p);
            emit(o, host, CORE_PAGE_SIZE);
        }
    }
    uint64_t groups = (pages + CORE_SNAPSHOT_GROUP_PAGES - 1) /
                      CORE_SNAPSHOT_GROUP_PAGES;
    emit64(o, groups);
    for (uint64_t g = 0; g < groups; g++) {
        emit64(o, group_hash(r, g));
    }
}

/* The snapshot of m of this kind into o (and, with hash, the state hash
   from the same serialization). Its size is known before its first byte
   (a sink is told it first): the header, harts and devices are
   serialized apart, every RAM page it stores is tested for zeros once
   beforehand. false when the sink refused. */
static bool save_kind(CoreMachine *m, uint32_t kind, SnapOut *o,
                      uint64_t *hash)
{
    CoreBuf head = { 0 };
    CoreHash h;
    core_hash_init(&h);
    core_buf_append(&head, SNAP_MAGIC, 4);
    put32(&head, SNAP_VERSION);
    put32(&head, kind);
    save_devices(m, &head, SNAP_VERSION, hash ? &h : NULL);
    if (hash) {
        hash_ram(m, &h);
        *hash = core_hash_final(&h);
    } else {
        update_page_hashes(m);
    }
    CoreDirtyClient *cc = ckpt_client(m);
    size_t nregions = core_mem_region_count(m->as);
    uint32_t nram = 0;
    uint64_t total = head.len + 4, *count = calloc(nregions + 1, 8);
    uint8_t **nonzero = calloc(nregions + 1, sizeof(*nonzero));
    bool ok = count && nonzero;
    for (size_t i = 0; ok && i < nregions; i++) {
        CoreMemRegion *r = core_mem_region(m->as, i);
        if (r->kind != CORE_MEM_RAM) {
            continue;
        }
        uint64_t pages = core_mem_page_count(r);
        uint64_t groups = (pages + CORE_SNAPSHOT_GROUP_PAGES - 1) /
                          CORE_SNAPSHOT_GROUP_PAGES;
        nonzero[i] = core_bitmap_new(pages);
        ok = nonzero[i] != NULL;
        if (ok) {
            nram++;
            total += 3 * 8 + plan_region(r, cc, kind, nonzero[i], &count[i]) +
                     8 + groups * 8;
        }
    }
    if (!ok) {
        fprintf(stderr, "rewind: out of memory taking a snapshot\n");
        abort();   /* as core_buf_append does */
    }
    if (o->sink) {
        o->failed = !o->sink->begin(o->sink->opaque, total);
    } else {
        core_buf_reserve(o->buf, total);
    }
    emit(o, head.data, head.len);
    core_buf_free(&head);
    emit(o, &nram, 4);
    for (size_t i = 0; i < nregions; i++) {
        CoreMemRegion *r = core_mem_region(m->as, i);
        if (r->kind == CORE_MEM_RAM) {
            save_region(m, r, cc, kind, nonzero[i], count[i], o);
            core_mem_dirty_clear(cc, r);
        }
        free(nonzero[i]);
    }
    free(nonzero);
    free(count);
    if (o->sink && !o->failed) {
        o->failed = !o->sink->give(o->sink->opaque, o->buf, false);
    }
    /* Pre-images only for an increment to come: a full snapshot is
       taken by tools that never save one (jit-check, diff), and copying
       pages for them would cost every first write. */
    preimages_reset(m, kind != SNAP_FULL);
    /* Writes from now on belong to the next increment. */
    core_mem_write_protect_all(m->as);
    return !o->failed;
}

void core_snapshot_save_hashed(CoreMachine *m, bool full, CoreBuf *out,
                               uint64_t *hash)
{
    SnapOut o = { out, NULL, false };
    save_kind(m, full ? SNAP_FULL : SNAP_INCREMENT, &o, hash);
}

void core_snapshot_save_boot_hashed(CoreMachine *m, CoreBuf *out,
                                    uint64_t *hash)
{
    SnapOut o = { out, NULL, false };
    save_kind(m, SNAP_BOOT, &o, hash);
}

bool core_snapshot_save_increment_to(CoreMachine *m,
                                     const CoreSnapshotSink *sink,
                                     CoreBuf *piece, uint64_t *hash)
{
    SnapOut o = { piece, sink, false };
    return save_kind(m, SNAP_INCREMENT, &o, hash);
}

bool core_snapshot_is_boot(const uint8_t *data, size_t len)
{
    uint32_t v[2];
    if (len < 12 || memcmp(data, SNAP_MAGIC, 4) != 0) {
        return false;
    }
    memcpy(v, data + 4, 8);
    return v[0] > SNAP_VERSION_NO_ZERO && v[0] <= SNAP_VERSION &&
           v[1] == SNAP_BOOT;
}

/* A reader over a snapshot blob that fails softly on truncation. */
typedef struct Cursor {
    const uint8_t *data;
    size_t len, pos;
    bool bad;
} Cursor;

static uint64_t get(Cursor *c, unsigned bytes)
{
    uint64_t v = 0;
    if (c->pos + bytes > c->len) {
        c->bad = true;
        return 0;
    }
    memcpy(&v, c->data + c->pos, bytes);
    c->pos += bytes;
    return v;
}

/* A RAM region header (base, size): the machine's region it names, or
   NULL when the machine has no RAM region exactly there. */
static CoreMemRegion *ram_region(CoreMachine *m, Cursor *c)
{
    gpa_t base = get(c, 8);
    uint64_t size = get(c, 8);
    CoreMemRegion *r = core_mem_find(m->as, base);
    if (!r || r->kind != CORE_MEM_RAM || r->base != base || r->size != size) {
        return NULL;
    }
    return r;
}

static const uint8_t *take(Cursor *c, size_t n)
{
    if (c->pos + n > c->len) {
        c->bad = true;
        return NULL;
    }
    const uint8_t *p = c->data + c->pos;
    c->pos += n;
    return p;
}

/* One entry of a RAM page list: the page index, and its bytes or NULL for
   a page of zeros (format 3); *xor says the bytes are the XOR of the page
   and its content at the previous checkpoint (format 4). false if
   truncated. */
static bool get_page(Cursor *c, uint32_t version, uint64_t *page,
                     const uint8_t **bytes, bool *xor)
{
    uint64_t e = get(c, 8);
    bool zero = version > SNAP_VERSION_NO_ZERO && (e & SNAP_PAGE_ZERO);
    *xor = version > SNAP_VERSION_NO_XOR && !zero && (e & SNAP_PAGE_XOR);
    *page = e & ~(zero ? SNAP_PAGE_ZERO : *xor ? SNAP_PAGE_XOR : 0);
    *bytes = zero ? NULL : take(c, CORE_PAGE_SIZE);
    return !c->bad;
}

/* A u8-counted string of a device entry; NULL if truncated. */
static const char *get_str8(Cursor *c, size_t *len)
{
    *len = (size_t)get(c, 1);
    return (const char *)take(c, *len);
}

static int say(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int say(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* The machine's device with state called id[0..len), or -1. */
static int device_by_id(CoreMachine *m, const char *id, size_t len)
{
    for (unsigned i = 0; i < m->ndevices; i++) {
        const CoreDevice *d = &m->devices[i];
        if (d->ops->state && strlen(d->id) == len &&
            memcmp(d->id, id, len) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* Read the device entries of a version-2 snapshot (ndev of them at *c):
   each entry's machine device in dev[k], checking that the ids name the
   machine's devices with state exactly once each. Loads nothing. */
static int match_devices(CoreMachine *m, Cursor c, uint32_t ndev, int *dev,
                         char *err, size_t errlen)
{
    bool seen[CORE_MAX_DEVICES] = { false };
    for (uint32_t k = 0; k < ndev; k++) {
        size_t il, tl, size, nl;
        const char *id = get_str8(&c, &il);
        const char *type = id ? get_str8(&c, &tl) : NULL;
        const char *name;
        if (!type || !core_state_peek(c.data, c.len, c.pos, &name, &nl,
                                      &size) || !take(&c, size)) {
            return say(err, errlen, "snapshot truncated in device %u", k);
        }
        int d = device_by_id(m, id, il);
        if (d < 0) {
            return say(err, errlen, "snapshot has device '%.*s' (%.*s), "
                       "this machine has no device with that id",
                       (int)il, id, (int)tl, type);
        }
        const CoreDevice *dv = &m->devices[d];
        if (seen[d]) {
            return say(err, errlen, "snapshot has device '%s' twice", dv->id);
        }
        if (strlen(dv->ops->name) != tl || memcmp(dv->ops->name, type, tl)) {
            return say(err, errlen, "snapshot device '%s' is a %.*s, this "
                       "machine's is a %s", dv->id, (int)tl, type,
                       dv->ops->name);
        }
        seen[d] = true;
        dev[k] = d;
    }
    for (unsigned i = 0; i < m->ndevices; i++) {
        if (m->devices[i].ops->state && !seen[i]) {
            return say(err, errlen, "device '%s' (%s) is missing from the "
                       "snapshot", m->devices[i].id, m->devices[i].ops->name);
        }
    }
    return 0;
}

/* Clock, scheduler, harts and devices (what save_devices wrote). */
static int load_state(CoreMachine *m, Cursor *cur, uint32_t version,
                      char *err, size_t errlen)
{
    Cursor c = *cur;
    const uint8_t *data = c.data;
    size_t len = c.len;
    char why[256];
    uint64_t clock[4];
    for (int i = 0; i < 4; i++) {
        clock[i] = get(&c, 8);
    }
    if (get(&c, 4) != m->ncpus || c.bad) {
        return say(err, errlen, "snapshot has a different number of harts "
                   "(or is truncated)");
    }
    /* Find the device entries first (hart records skipped), so that a
       device set that does not match changes nothing. */
    Cursor harts = c;
    for (unsigned i = 0; i < m->ncpus; i++) {
        const char *name;
        size_t nl, size;
        if (!core_state_peek(data, len, c.pos, &name, &nl, &size) ||
            !take(&c, size)) {
            return say(err, errlen, "snapshot truncated in hart %u", i);
        }
    }
    uint32_t ndev = (uint32_t)get(&c, 4);
    int dev[CORE_MAX_DEVICES];
    if (c.bad) {
        return say(err, errlen, "snapshot truncated");
    }
    if (version == SNAP_VERSION_BY_ORDER) {
        unsigned d = 0;
        for (uint32_t k = 0; k < ndev; k++, d++) {
            while (d < m->ndevices && !m->devices[d].ops->state) {
                d++;
            }
            if (d == m->ndevices) {
                return say(err, errlen, "snapshot has more devices than the "
                           "machine");
            }
            dev[k] = (int)d;
        }
    } else if (ndev > CORE_MAX_DEVICES) {
        return say(err, errlen, "snapshot has %u devices, at most %d fit",
                   ndev, CORE_MAX_DEVICES);
    } else if (match_devices(m, c, ndev, dev, err, errlen)) {
        return -1;
    }
    /* The clock first: a device's post_load reads it (the CLINT compares
       mtime with mtimecmp and arms its timers), and seen from the state
       being replaced, a point restored backwards would find its timers
       already expired. */
    m->icount = clock[0];
    m->idle_ns = clock[1];
    m->sched_hart = (uint32_t)clock[2];
    m->sched_left = clock[3];
    for (unsigned i = 0; i < m->ncpus; i++) {
        if (core_state_load(m->cpu_ops->state, m->cpus[i], data, len,
                            &harts.pos, why, sizeof(why))) {
            return say(err, errlen, "hart %u: %s", i, why);
        }
    }
    for (uint32_t k = 0; k < ndev; k++) {
        CoreDevice *d = &m->devices[dev[k]];
        size_t skip;
        if (version != SNAP_VERSION_BY_ORDER) {
            get_str8(&c, &skip);
            get_str8(&c, &skip);
        }
        if (core_state_load(d->ops->state, d->opaque, data, len, &c.pos,
                            why, sizeof(why))) {
            return say(err, errlen, "device '%s': %s", d->id, why);
        }
    }
    *cur = c;
    return 0;
}

void core_snapshot_save_state(CoreMachine *m, CoreBuf *out)
{
    save_devices(m, out, SNAP_VERSION, NULL);
}

int core_snapshot_load_state(CoreMachine *m, const uint8_t *data, size_t len,
                             char *err, size_t errlen)
{
    Cursor c = { data, len, 0, false };
    return load_state(m, &c, SNAP_VERSION, err, errlen);
}

/* The snapshot's format version after checking the magic; 0 (with a
   message) if it is not one this build reads. */
static uint32_t snap_header(Cursor *c, char *err, size_t errlen)
{
    const uint8_t *magic = take(c, 4);
    if (!magic || memcmp(magic, SNAP_MAGIC, 4) != 0) {
        say(err, errlen, "not a machine snapshot");
        return 0;
    }
    uint32_t version = (uint32_t)get(c, 4);
    if (version < SNAP_VERSION_BY_ORDER || version > SNAP_VERSION) {
        say(err, errlen, "snapshot format version %u, this build reads "
            "versions %d to %d", version, SNAP_VERSION_BY_ORDER,
            SNAP_VERSION);
        return 0;
    }
    return version;
}

int core_snapshot_clock(const uint8_t *data, size_t len, uint64_t *icount,
                        uint64_t *idle_ns, char *err, size_t errlen)
{
    Cursor c = { data, len, 0, false };
    if (snap_header(&c, err, errlen) == 0) {
        return -1;
    }
    get(&c, 4);   /* full or increment: the same header follows */
    uint64_t ic = get(&c, 8), idle = get(&c, 8);
    if (c.bad) {
        return say(err, errlen, "snapshot truncated in its header");
    }
    *icount = ic;
    *idle_ns = idle;
    return 0;
}

int core_snapshot_load(CoreMachine *m, const uint8_t *data, size_t len,
                       char *err, size_t errlen)
{
    Cursor c = { data, len, 0, false };
    uint32_t version = snap_header(&c, err, errlen);
    if (!version) {
        return -1;
    }
    uint32_t kind = (uint32_t)get(&c, 4);
    bool full = kind == SNAP_FULL;
    if (kind > (version > SNAP_VERSION_NO_ZERO ? SNAP_BOOT : SNAP_FULL)) {
        return say(err, errlen, "snapshot of unknown kind %u", kind);
    }
    if (load_state(m, &c, version, err, errlen)) {
        return -1;
    }
    uint32_t nram = (uint32_t)get(&c, 4);
    for (uint32_t k = 0; k < nram && !c.bad; k++) {
        CoreMemRegion *r = ram_region(m, &c);
        if (!r) {
            return say(err, errlen, "snapshot RAM layout differs from the "
                       "machine's");
        }
        if (full) {
            core_mem_ram_reset_zero(r);
        }
        uint64_t n = get(&c, 8);
        for (uint64_t i = 0; i < n && !c.bad; i++) {
            uint64_t p;
            const uint8_t *src;
            bool xor;
            if (!get_page(&c, version, &p, &src, &xor) ||
                p >= core_mem_page_count(r) || (xor && full)) {
                return say(err, errlen, "snapshot page out of range or "
                           "truncated");
            }
            gpa_t addr = core_mem_page_addr(r, p);
            uint8_t *host = core_mem_page_host(r, p);
            core_mem_mark_dirty(r, addr, CORE_PAGE_SIZE);   /* before */
            if (xor) {
                /* RAM holds the previous checkpoint's page: restoring
                   checkpoint k loads every increment before it first. */
                xor_page(host, host, src);
            } else {
                memcpy(host, src ? src : zero_page, CORE_PAGE_SIZE);
            }
            core_mem_notify_write(m->as, r, addr, CORE_PAGE_SIZE);
        }
        uint64_t groups = get(&c, 8);
        take(&c, groups * 8);
    }
    if (c.bad) {
        return say(err, errlen, "snapshot truncated");
    }
    /* Pages written from here on have no known checkpoint content. */
    preimages_reset(m, false);
    core_mem_write_protect_all(m->as);
    return 0;
}

/* Compare the non-RAM part of a snapshot at *c (clock, scheduler, harts,
   devices: found by id from format 2, by order in format 1) with the
   machine's current state. Appends a line per difference to buf (from
   `used`) and returns how many it found, or -1 if that part is
   malformed; *c ends after it. */
static int compare_state(CoreMachine *m, Cursor *c, uint32_t version,
                         char *buf, size_t buflen, size_t used)
{
    int diffs = 0;
#define NOTE(...) do { diffs++; if (used < buflen) used += (size_t)snprintf(buf + used, buflen - used, __VA_ARGS__); } while (0)
    uint64_t rec[4], now[4] = { m->icount, m->idle_ns, m->sched_hart,
                                m->sched_left };
    for (int i = 0; i < 4; i++) {
        rec[i] = get(c, 8);
    }
    if (rec[0] != now[0]) {
        NOTE("  clock: icount %llu recorded, %llu now\n",
             (unsigned long long)rec[0], (unsigned long long)now[0]);
    }
    if (rec[1] != now[1]) {
        NOTE("  clock: idle time %llu ns recorded, %llu ns now\n",
             (unsigned long long)rec[1], (unsigned long long)now[1]);
    }
    if (rec[2] != now[2] || rec[3] != now[3]) {
        NOTE("  scheduler: hart %llu (%llu left) recorded, hart %llu "
             "(%llu left) now\n", (unsigned long long)rec[2],
             (unsigned long long)rec[3], (unsigned long long)now[2],
             (unsigned long long)now[3]);
    }
    uint32_t ncpus = (uint32_t)get(c, 4);
    if (c->bad || ncpus != m->ncpus) {
        return -1;
    }
    CoreBuf cur = { 0 };
    bool seen[CORE_MAX_DEVICES] = { false };
    uint32_t ndev = 0;
    unsigned next = 0;   /* format 1: the next machine device with state */
    for (uint32_t k = 0; k < ncpus + 1 + ndev && !c->bad; k++) {
        if (k == ncpus) {
            ndev = (uint32_t)get(c, 4);
            continue;
        }
        bool hart = k < ncpus;
        size_t il = 0, tl, nl, size;
        const char *id = "", *name;
        if (!hart && version != SNAP_VERSION_BY_ORDER) {
            id = get_str8(c, &il);
            if (!id || !get_str8(c, &tl)) {
                break;
            }
        }
        if (!core_state_peek(c->data, c->len, c->pos, &name, &nl, &size)) {
            break;
        }
        const uint8_t *bytes = take(c, size);
        if (!bytes) {
            break;
        }
        int d = -1;
        if (!hart && version == SNAP_VERSION_BY_ORDER) {
            while (next < m->ndevices && !m->devices[next].ops->state) {
                next++;
            }
            d = next < m->ndevices ? (int)next++ : -1;
        } else if (!hart) {
            d = device_by_id(m, id, il);
        }
        if (!hart && (d < 0 || seen[d])) {
            NOTE("  device %.*s (id %.*s) is not in this machine\n",
                 (int)nl, name, (int)il, id);
            continue;
        }
        cur.len = 0;
        if (hart) {
            core_state_save(m->cpu_ops->state, m->cpus[k], &cur);
        } else {
            seen[d] = true;
            core_state_save(m->devices[d].ops->state, m->devices[d].opaque,
                            &cur);
        }
        if (cur.len == size && memcmp(cur.data, bytes, size) == 0) {
            continue;
        }
        if (hart) {
            NOTE("  hart state %.*s differs (hart %u)\n", (int)nl, name, k);
        } else {
            NOTE("  device %.*s differs (id %s)\n", (int)nl, name,
                 m->devices[d].id);
        }
    }
    core_buf_free(&cur);
    if (c->bad) {
        return -1;
    }
    for (unsigned i = 0; i < m->ndevices; i++) {
        if (m->devices[i].ops->state && !seen[i]) {
            NOTE("  device %s (id %s) is missing from the snapshot\n",
                 m->devices[i].ops->name, m->devices[i].id);
        }
    }
#undef NOTE
    return diffs;
}

/* Whether page p of r is what a snapshot entry restores: its bytes (NULL:
   zeros), or with xor the page at the previous checkpoint XOR the bytes.
   That old page is known from the pre-image the checkpoint client kept
   (core/preimage.h), only when the pages written since the previous check
   are known (since_last) and the page had one; otherwise an XOR entry
   cannot be checked here and is taken as it is (the state hash, checked
   before, covers RAM). */
static bool page_matches(CoreMachine *m, CoreMemRegion *r, uint64_t p,
                         const uint8_t *src, bool xor, bool since_last)
{
    const uint8_t *host = core_mem_page_host(r, p);
    if (!xor) {
        return memcmp(src ? src : zero_page, host, CORE_PAGE_SIZE) == 0;
    }
    const uint8_t *old;
    if (!since_last || !m->preimages ||
        !core_preimage_get(m->preimages, r, p, &old)) {
        return true;
    }
    if (!old) {
        return memcmp(src, host, CORE_PAGE_SIZE) == 0;
    }
    uint8_t want[CORE_PAGE_SIZE];
    xor_page(want, old, src);
    return memcmp(want, host, CORE_PAGE_SIZE) == 0;
}

/* First page of r at or after p set in bitmap, or `pages`. */
static uint64_t next_bit(const uint8_t *bitmap, uint64_t p, uint64_t pages)
{
    while (p < pages && !core_bitmap_test(bitmap, p)) {
        p++;
    }
    return p;
}

int core_snapshot_check(CoreMachine *m, const uint8_t *data, size_t len,
                        bool since_last, char *why, size_t whylen)
{
    Cursor c = { data, len, 0, false };
    uint32_t version = snap_header(&c, why, whylen);
    if (!version) {
        return -1;
    }
    uint32_t kind = (uint32_t)get(&c, 4);
    bool full = kind == SNAP_FULL;
    if (kind > (version > SNAP_VERSION_NO_ZERO ? SNAP_BOOT : SNAP_FULL)) {
        snprintf(why, whylen, "it is a snapshot of unknown kind %u", kind);
        return -1;
    }
    CoreDirtyClient *cc = ckpt_client(m);
    char what[256];
    int diffs = compare_state(m, &c, version, what, sizeof(what), 0);
    if (diffs < 0) {
        snprintf(why, whylen, "its hart and device records are malformed");
        return -1;
    }
    if (diffs > 0) {
        /* The first difference, as "hart state ... differs (hart 0)". */
        what[strcspn(what, "\n")] = 0;
        snprintf(why, whylen, "its %s from the replay's", what + 2);
        return -1;
    }
    uint32_t nram = (uint32_t)get(&c, 4);
    for (uint32_t k = 0; k < nram && !c.bad; k++) {
        CoreMemRegion *r = ram_region(m, &c);
        if (!r) {
            snprintf(why, whylen, "its RAM layout differs from the machine's");
            return -1;
        }
        uint64_t pages = core_mem_page_count(r), n = get(&c, 8), expect = 0;
        /* Pages must come in increasing order (as saved), so one walk
           over the bitmap finds pages the snapshot should have had. */
        /* A boot snapshot's RAM is the inputs' (the state hash covers
           it): nothing is required. */
        const uint8_t *must = full ? r->touched
                              : since_last && kind == SNAP_INCREMENT
                                  ? core_mem_dirty_bits(cc, r) : NULL;
        for (uint64_t i = 0; i <= n && !c.bad; i++) {
            uint64_t p = pages;
            const uint8_t *src = NULL;
            bool xor = false;
            if (i < n && (!get_page(&c, version, &p, &src, &xor) ||
                          p >= pages || p < expect || (xor && full))) {
                snprintf(why, whylen, "page list out of order or truncated");
                return -1;
            }
            for (uint64_t q = must ? next_bit(must, expect, pages) : p; q < p;
                 q = next_bit(must, q + 1, pages)) {
                if (!full || !page_is_zero(core_mem_page_host(r, q))) {
                    snprintf(why, whylen, "it lacks RAM page 0x%llx",
                             (unsigned long long)core_mem_page_addr(r, q));
                    return -1;
                }
            }
            if (i < n && !page_matches(m, r, p, src, xor, since_last)) {
                snprintf(why, whylen, "its RAM page 0x%llx differs",
                         (unsigned long long)core_mem_page_addr(r, p));
                return -1;
            }
            expect = p + 1;
        }
        take(&c, get(&c, 8) * 8);   /* group hashes: covered by the pages */
    }
    if (c.bad || c.pos != len) {
        snprintf(why, whylen, "snapshot truncated or followed by extra bytes");
        return -1;
    }
    for (size_t i = 0; i < core_mem_region_count(m->as); i++) {
        CoreMemRegion *r = core_mem_region(m->as, i);
        if (r->kind == CORE_MEM_RAM) {
            core_mem_dirty_clear(cc, r);
        }
    }
    preimages_reset(m, true);
    core_mem_write_protect_all(m->as);
    return 0;
}

void core_snapshot_diff(CoreMachine *m, const uint8_t *data, size_t len,
                        char *buf, size_t buflen)
{
    size_t used = 0;
#define SAY(...) do { if (used < buflen) used += (size_t)snprintf(buf + used, buflen - used, __VA_ARGS__); } while (0)
    buf[0] = 0;
    Cursor c = { data, len, 0, false };
    char err[128];
    uint32_t version = snap_header(&c, err, sizeof(err));
    get(&c, 4);   /* full */
    if (!version) {
        SAY("  %s\n", err);
        return;
    }
    int diffs = compare_state(m, &c, version, buf, buflen, 0);
    used = strlen(buf);
    if (diffs < 0) {
        SAY("  the snapshot's hart and device records are malformed\n");
        return;
    }
    /* RAM: group hashes. */
    update_page_hashes(m);
    uint32_t nram = (uint32_t)get(&c, 4);
    for (uint32_t k = 0; k < nram && !c.bad; k++) {
        gpa_t base = get(&c, 8);
        get(&c, 8);
        uint64_t n = get(&c, 8), p;
        const uint8_t *src;
        bool xor;
        for (uint64_t i = 0; i < n && get_page(&c, version, &p, &src, &xor);
             i++) {
        }
        uint64_t groups = get(&c, 8);
        CoreMemRegion *r = core_mem_find(m->as, base);
        unsigned shown = 0;
        for (uint64_t g = 0; g < groups && r && !c.bad; g++) {
            uint64_t rec = get(&c, 8);
            if (rec != group_hash(r, g) && shown++ < 8) {
                uint64_t bytes = CORE_SNAPSHOT_GROUP_PAGES * CORE_PAGE_SIZE;
                gpa_t lo = base + g * bytes;
                SAY("  RAM 0x%llx-0x%llx differs\n", (unsigned long long)lo,
                    (unsigned long long)(lo + bytes - 1));
            }
        }
    }
    if (used == 0) {
        SAY("  no difference found in the recorded state\n");
    }
#undef SAY
}
