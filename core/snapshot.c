/*
 * Machine snapshots and the state hash (see core/snapshot.h).
 *
 * Layout (little-endian):
 *   "RWSN" u32 version u32 full
 *   u64 icount, idle_ns, sched_hart, sched_left
 *   u32 ncpus, then one CoreState record per hart
 *   u32 ndevices-with-state, then one CoreState record per device
 *   u32 nregions; per RAM region: u64 base, u64 size, u64 npages,
 *       then npages times (u64 page index, 4096 bytes: CORE_PAGE_SIZE),
 *       then u64 ngroups and ngroups group hashes
 */
#include "core/snapshot.h"
#include "core/bitmap.h"
#include "core/hash.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define SNAP_MAGIC "RWSN"
#define SNAP_VERSION 1
_Static_assert(CORE_PAGE_SIZE == 4096, "snapshots store 4096-byte pages");

static void put64(CoreBuf *b, uint64_t v)
{
    core_buf_append(b, &v, 8);
}

static void put32(CoreBuf *b, uint32_t v)
{
    core_buf_append(b, &v, 4);
}

static bool page_is_zero(const uint8_t *p)
{
    static const uint8_t zero[CORE_PAGE_SIZE];
    return memcmp(p, zero, CORE_PAGE_SIZE) == 0;
}

/* Bring the cached page hashes of every RAM region up to date. */
static void update_page_hashes(CoreMachine *m)
{
    bool any = false;
    for (size_t i = 0; i < core_mem_region_count(m->as); i++) {
        CoreMemRegion *r = core_mem_region(m->as, i);
        if (r->kind != CORE_MEM_RAM) {
            continue;
        }
        uint64_t pages = core_mem_page_count(r);
        for (uint64_t p = 0; p < pages; p++) {
            if (core_bitmap_test(r->dirty_hash, p)) {
                r->page_hash[p] = core_hash_bytes(core_mem_page_host(r, p),
                                                  CORE_PAGE_SIZE);
                any = true;
            }
        }
        core_bitmap_zero(r->dirty_hash, pages);
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

/* Harts, devices and clock, serialized (the non-RAM part). */
static void save_devices(CoreMachine *m, CoreBuf *b)
{
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
        if (m->devices[i].ops->state) {
            core_state_save(m->devices[i].ops->state, m->devices[i].opaque, b);
        }
    }
}

uint64_t core_machine_state_hash(CoreMachine *m)
{
    CoreBuf b = { 0 };
    save_devices(m, &b);
    CoreHash h;
    core_hash_init(&h);
    core_hash_update(&h, b.data, b.len);
    core_buf_free(&b);
    update_page_hashes(m);
    for (size_t i = 0; i < core_mem_region_count(m->as); i++) {
        CoreMemRegion *r = core_mem_region(m->as, i);
        if (r->kind == CORE_MEM_RAM) {
            core_hash_update(&h, r->page_hash,
                             core_mem_page_count(r) * sizeof(uint64_t));
        }
    }
    return core_hash_final(&h);
}

void core_snapshot_save(CoreMachine *m, bool full, CoreBuf *out)
{
    core_buf_append(out, SNAP_MAGIC, 4);
    put32(out, SNAP_VERSION);
    put32(out, full);
    save_devices(m, out);
    update_page_hashes(m);
    uint32_t nram = 0;
    for (size_t i = 0; i < core_mem_region_count(m->as); i++) {
        nram += core_mem_region(m->as, i)->kind == CORE_MEM_RAM;
    }
    put32(out, nram);
    for (size_t i = 0; i < core_mem_region_count(m->as); i++) {
        CoreMemRegion *r = core_mem_region(m->as, i);
        if (r->kind != CORE_MEM_RAM) {
            continue;
        }
        uint64_t pages = core_mem_page_count(r);
        put64(out, r->base);
        put64(out, r->size);
        size_t count_at = out->len;
        put64(out, 0);
        uint64_t n = 0;
        for (uint64_t p = 0; p < pages; p++) {
            const uint8_t *host = core_mem_page_host(r, p);
            /* Untouched pages are zero: a full snapshot skips them without
               reading them. */
            bool want = full ? core_bitmap_test(r->touched, p) &&
                                   !page_is_zero(host)
                             : core_bitmap_test(r->dirty_ckpt, p);
            if (want) {
                put64(out, p);
                core_buf_append(out, host, CORE_PAGE_SIZE);
                n++;
            }
        }
        memcpy(out->data + count_at, &n, 8);
        core_bitmap_zero(r->dirty_ckpt, pages);
        uint64_t groups = (pages + CORE_SNAPSHOT_GROUP_PAGES - 1) /
                          CORE_SNAPSHOT_GROUP_PAGES;
        put64(out, groups);
        for (uint64_t g = 0; g < groups; g++) {
            put64(out, group_hash(r, g));
        }
    }
    /* Writes from now on belong to the next increment. */
    core_mem_write_protect_all(m->as);
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

/* Clock, scheduler, harts and devices (what save_devices wrote). */
static int load_state(CoreMachine *m, Cursor *cur, const char **err)
{
    Cursor c = *cur;
    const uint8_t *data = c.data;
    size_t len = c.len;
    m->icount = get(&c, 8);
    m->idle_ns = get(&c, 8);
    m->sched_hart = (uint32_t)get(&c, 8);
    m->sched_left = get(&c, 8);
    if (get(&c, 4) != m->ncpus || c.bad) {
        *err = "snapshot has a different number of harts";
        return -1;
    }
    for (unsigned i = 0; i < m->ncpus; i++) {
        if (core_state_load(m->cpu_ops->state, m->cpus[i], data, len, &c.pos,
                            err)) {
            return -1;
        }
    }
    uint32_t ndev = (uint32_t)get(&c, 4);
    unsigned d = 0;
    for (uint32_t k = 0; k < ndev && !c.bad; k++) {
        while (d < m->ndevices && !m->devices[d].ops->state) {
            d++;
        }
        if (d == m->ndevices) {
            *err = "snapshot has more devices than the machine";
            return -1;
        }
        if (core_state_load(m->devices[d].ops->state, m->devices[d].opaque,
                            data, len, &c.pos, err)) {
            return -1;
        }
        d++;
    }
    if (c.bad) {
        *err = "snapshot truncated";
        return -1;
    }
    *cur = c;
    return 0;
}

void core_snapshot_save_state(CoreMachine *m, CoreBuf *out)
{
    save_devices(m, out);
}

int core_snapshot_load_state(CoreMachine *m, const uint8_t *data, size_t len,
                             const char **err)
{
    Cursor c = { data, len, 0, false };
    return load_state(m, &c, err);
}

int core_snapshot_load(CoreMachine *m, const uint8_t *data, size_t len,
                       const char **err)
{
    Cursor c = { data, len, 0, false };
    const uint8_t *magic = take(&c, 4);
    if (!magic || memcmp(magic, SNAP_MAGIC, 4) != 0) {
        *err = "not a machine snapshot";
        return -1;
    }
    if (get(&c, 4) != SNAP_VERSION) {
        *err = "snapshot version not supported";
        return -1;
    }
    bool full = get(&c, 4);
    if (load_state(m, &c, err)) {
        return -1;
    }
    uint32_t nram = (uint32_t)get(&c, 4);
    for (uint32_t k = 0; k < nram && !c.bad; k++) {
        CoreMemRegion *r = ram_region(m, &c);
        if (!r) {
            *err = "snapshot RAM layout differs from the machine's";
            return -1;
        }
        if (full) {
            core_mem_ram_reset_zero(r);
        }
        uint64_t n = get(&c, 8);
        for (uint64_t i = 0; i < n && !c.bad; i++) {
            uint64_t p = get(&c, 8);
            const uint8_t *src = take(&c, CORE_PAGE_SIZE);
            if (!src || p >= core_mem_page_count(r)) {
                *err = "snapshot page out of range or truncated";
                return -1;
            }
            memcpy(core_mem_page_host(r, p), src, CORE_PAGE_SIZE);
            gpa_t addr = core_mem_page_addr(r, p);
            core_mem_mark_dirty(r, addr, CORE_PAGE_SIZE);
            core_mem_notify_write(m->as, r, addr, CORE_PAGE_SIZE);
        }
        uint64_t groups = get(&c, 8);
        take(&c, groups * 8);
    }
    if (c.bad) {
        *err = "snapshot truncated";
        return -1;
    }
    core_mem_write_protect_all(m->as);
    return 0;
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
    const uint8_t *magic = take(&c, 4);
    if (!magic || memcmp(magic, SNAP_MAGIC, 4) != 0 ||
        get(&c, 4) != SNAP_VERSION) {
        snprintf(why, whylen, "not a machine snapshot of this version");
        return -1;
    }
    bool full = get(&c, 4);
    CoreBuf now = { 0 };
    save_devices(m, &now);
    const uint8_t *rec = take(&c, now.len);
    bool same = rec && memcmp(rec, now.data, now.len) == 0;
    core_buf_free(&now);
    if (!same) {
        snprintf(why, whylen, "its hart, device or clock state differs from "
                 "the replay's");
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
        const uint8_t *must = full ? r->touched : since_last ? r->dirty_ckpt : NULL;
        for (uint64_t i = 0; i <= n && !c.bad; i++) {
            uint64_t p = i < n ? get(&c, 8) : pages;
            const uint8_t *src = i < n ? take(&c, CORE_PAGE_SIZE) : NULL;
            if (i < n && (!src || p >= pages || p < expect)) {
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
            if (src &&
                memcmp(src, core_mem_page_host(r, p), CORE_PAGE_SIZE) != 0) {
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
            core_bitmap_zero(r->dirty_ckpt, core_mem_page_count(r));
        }
    }
    core_mem_write_protect_all(m->as);
    return 0;
}

void core_snapshot_diff(CoreMachine *m, const uint8_t *data, size_t len,
                        char *buf, size_t buflen)
{
    size_t used = 0;
#define SAY(...) do { if (used < buflen) used += (size_t)snprintf(buf + used, buflen - used, __VA_ARGS__); } while (0)
    buf[0] = 0;
    Cursor c = { data, len, 12, false };
    uint64_t rec_clock[4];
    for (int i = 0; i < 4; i++) {
        rec_clock[i] = get(&c, 8);
    }
    if (rec_clock[1] != m->idle_ns) {
        SAY("  clock: idle time %llu ns recorded, %llu ns now\n",
            (unsigned long long)rec_clock[1], (unsigned long long)m->idle_ns);
    }
    if (rec_clock[2] != m->sched_hart || rec_clock[3] != m->sched_left) {
        SAY("  scheduler: hart %llu (%llu left) recorded, hart %u (%llu left) now\n",
            (unsigned long long)rec_clock[2], (unsigned long long)rec_clock[3],
            m->sched_hart, (unsigned long long)m->sched_left);
    }
    /* Compare records byte for byte: serialize the current state the same
       way and walk both. */
    CoreBuf now = { 0 };
    save_devices(m, &now);
    size_t pos_now = 36, pos_rec = c.pos + 4;
    get(&c, 4);
    for (unsigned i = 0; i < m->ncpus + 1 + m->ndevices && pos_rec < len; i++) {
        /* Records: u16 name length, name, u32 version, u32 length, payload. */
        if (i == m->ncpus) {
            pos_rec += 4;
            pos_now += 4;
            continue;
        }
        if (pos_rec + 2 > len || pos_now + 2 > now.len) {
            break;
        }
        uint16_t nl;
        memcpy(&nl, data + pos_rec, 2);
        size_t hdr = 2 + nl + 8;
        if (pos_rec + hdr > len) {
            break;
        }
        uint32_t plen;
        memcpy(&plen, data + pos_rec + 2 + nl + 4, 4);
        size_t rec_size = hdr + plen;
        if (pos_rec + rec_size > len || pos_now + rec_size > now.len) {
            break;
        }
        if (memcmp(data + pos_rec, now.data + pos_now, rec_size) != 0) {
            SAY("  %s%.*s differs", i < m->ncpus ? "hart state " : "device ",
                (int)nl, (const char *)data + pos_rec + 2);
            if (i < m->ncpus) {
                SAY(" (hart %u)", i);
            }
            SAY("\n");
        }
        pos_rec += rec_size;
        pos_now += rec_size;
    }
    core_buf_free(&now);
    /* RAM: group hashes. */
    c.pos = pos_rec;
    update_page_hashes(m);
    uint32_t nram = (uint32_t)get(&c, 4);
    for (uint32_t k = 0; k < nram && !c.bad; k++) {
        gpa_t base = get(&c, 8);
        get(&c, 8);
        uint64_t n = get(&c, 8);
        take(&c, n * (8 + CORE_PAGE_SIZE));
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
