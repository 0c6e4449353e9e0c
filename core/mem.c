/*
 * Guest-physical address space (see core/mem.h).
 *
 * Regions are kept in a small array sorted by base; lookups remember the
 * last hit because accesses cluster. Only slow paths come here: the CPU's
 * TLB caches host pointers for RAM.
 */
#include "core/mem.h"
#include "core/bitmap.h"
#include "core/hash.h"
#include "core/hostmem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MAX_REGIONS 64

struct CoreDirtyClient {
    CoreAddrSpace *as;
    unsigned slot;                 /* its bitmap: region->dirty[slot] */
    const char *name;
    CoreDirtyFirstWrite first_write;
    void *opaque;
};

struct CoreAddrSpace {
    CoreMemRegion regions[MAX_REGIONS];
    CoreDirtyClient *clients[CORE_MEM_DIRTY_CLIENTS];
    size_t n;
    size_t last;
    CoreCodeWriteHook code_hook;
    void *code_hook_opaque;
    CoreWriteProtectHook wp_hook;
    void *wp_hook_opaque;
    CorePtWriteHook pt_hook;
    void *pt_hook_opaque;
    CoreMemWriteObserver write_obs;
    void *write_obs_opaque;
    const char *dma_source;
};

void core_mem_set_write_observer(CoreAddrSpace *as, CoreMemWriteObserver fn,
                                 void *opaque)
{
    as->write_obs = fn;
    as->write_obs_opaque = opaque;
}

bool core_mem_write_observed(const CoreAddrSpace *as)
{
    return as->write_obs != NULL;
}

void core_mem_observe_write(CoreAddrSpace *as, gpa_t addr, uint64_t len,
                            const CoreMemWriter *who)
{
    if (as->write_obs) {
        as->write_obs(as->write_obs_opaque, addr, len, who);
    }
}

void core_mem_set_dma_source(CoreAddrSpace *as, const char *name)
{
    as->dma_source = name;
}

void core_mem_set_pt_write_hook(CoreAddrSpace *as, CorePtWriteHook hook,
                                void *opaque)
{
    as->pt_hook = hook;
    as->pt_hook_opaque = opaque;
}

void core_mem_clear_pt_pages(CoreAddrSpace *as)
{
    for (size_t i = 0; i < as->n; i++) {
        CoreMemRegion *r = &as->regions[i];
        if (r->pt_any) {
            core_bitmap_zero(r->pt_bitmap, core_mem_page_count(r));
            r->pt_any = false;
        }
    }
}

void core_mem_set_write_protect_hook(CoreAddrSpace *as,
                                     CoreWriteProtectHook hook, void *opaque)
{
    as->wp_hook = hook;
    as->wp_hook_opaque = opaque;
}

void core_mem_write_protect_all(CoreAddrSpace *as)
{
    if (as->wp_hook) {
        as->wp_hook(as->wp_hook_opaque);
    }
}

CoreAddrSpace *core_mem_new(void)
{
    return calloc(1, sizeof(CoreAddrSpace));
}

void core_mem_free(CoreAddrSpace *as)
{
    if (!as) {
        return;
    }
    for (size_t i = 0; i < as->n; i++) {
        CoreMemRegion *r = &as->regions[i];
        if (r->host) {
            munmap(r->host, r->size);
        }
        free(r->code_bitmap);
        free(r->pt_bitmap);
        free(r->pt_info);
        free(r->dirty_all);
        for (unsigned k = 0; k < CORE_MEM_DIRTY_CLIENTS; k++) {
            free(r->dirty[k]);
        }
        free(r->page_hash);
        free(r->touched);
    }
    for (unsigned k = 0; k < CORE_MEM_DIRTY_CLIENTS; k++) {
        free(as->clients[k]);
    }
    free(as);
}

static CoreMemRegion *add_region(CoreAddrSpace *as, const char *name,
                                 CoreMemKind kind, gpa_t base, uint64_t size)
{
    if (as->n == MAX_REGIONS || size == 0 || base + size < base) {
        return NULL;
    }
    size_t pos = 0;
    while (pos < as->n && as->regions[pos].base < base) {
        pos++;
    }
    if (pos > 0) {
        CoreMemRegion *prev = &as->regions[pos - 1];
        if (prev->base + prev->size > base) {
            return NULL;
        }
    }
    if (pos < as->n && base + size > as->regions[pos].base) {
        return NULL;
    }
    memmove(&as->regions[pos + 1], &as->regions[pos],
            (as->n - pos) * sizeof(CoreMemRegion));
    as->n++;
    as->last = 0;
    CoreMemRegion *r = &as->regions[pos];
    memset(r, 0, sizeof(*r));
    r->as = as;
    r->name = name;
    r->kind = kind;
    r->base = base;
    r->size = size;
    return r;
}

static CoreMemRegion *add_backed(CoreAddrSpace *as, const char *name,
                                 CoreMemKind kind, gpa_t base, uint64_t size)
{
    if ((base | size) & ~CORE_PAGE_MASK) {
        return NULL;
    }
    /* Anonymous mappings are zero-filled and only touched pages cost host
       memory, so a large -m is cheap until the guest uses it. */
    void *host = mmap(NULL, size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (host == MAP_FAILED) {
        return NULL;
    }
    /* Huge pages (core/hostmem.h): a booting guest touches its RAM all
       over, and its RAM was a quarter of the host page faults of a Linux
       boot. 2 MiB ranges the guest never touches stay unbacked. */
    core_hostmem_advise_huge(host, size);
    uint8_t *bitmap = core_bitmap_new(size >> CORE_PAGE_BITS);
    if (!bitmap) {
        munmap(host, size);
        return NULL;
    }
    CoreMemRegion *r = add_region(as, name, kind, base, size);
    if (!r) {
        munmap(host, size);
        free(bitmap);
        return NULL;
    }
    r->host = host;
    r->code_bitmap = bitmap;
    return r;
}

uint64_t core_mem_zero_page_hash(void)
{
    static uint64_t hash;
    static bool done;
    if (!done) {
        static const uint8_t zero[CORE_PAGE_SIZE];
        hash = core_hash_bytes(zero, sizeof(zero));
        done = true;
    }
    return hash;
}

CoreMemRegion *core_mem_add_ram(CoreAddrSpace *as, const char *name,
                                gpa_t base, uint64_t size)
{
    CoreMemRegion *r = add_backed(as, name, CORE_MEM_RAM, base, size);
    if (!r) {
        return NULL;
    }
    uint64_t pages = core_mem_page_count(r);
    r->dirty_all = core_bitmap_new(pages);
    r->touched = core_bitmap_new(pages);
    r->page_hash = malloc(pages * sizeof(uint64_t));
    r->pt_bitmap = core_bitmap_new(pages);
    r->pt_info = calloc(pages, sizeof(uint64_t));
    if (!r->dirty_all || !r->touched || !r->page_hash || !r->pt_bitmap ||
        !r->pt_info) {
        return NULL;   /* freed with the address space */
    }
    for (unsigned k = 0; k < CORE_MEM_DIRTY_CLIENTS; k++) {
        if (as->clients[k] && !(r->dirty[k] = core_bitmap_new(pages))) {
            return NULL;
        }
    }
    /* RAM starts zero: only pages written later (loaders included, through
       core_mem_mark_dirty) need hashing or saving. */
    uint64_t zero = core_mem_zero_page_hash();
    for (uint64_t p = 0; p < pages; p++) {
        r->page_hash[p] = zero;
    }
    return r;
}

CoreMemRegion *core_mem_add_rom(CoreAddrSpace *as, const char *name,
                                gpa_t base, uint64_t size)
{
    return add_backed(as, name, CORE_MEM_ROM, base, size);
}

CoreMemRegion *core_mem_map_mmio(CoreAddrSpace *as, const char *name,
                                 gpa_t base, uint64_t size,
                                 const CoreMemOps *ops, void *opaque)
{
    CoreMemRegion *r = add_region(as, name, CORE_MEM_MMIO, base, size);
    if (r) {
        r->ops = ops;
        r->opaque = opaque;
    }
    return r;
}

static bool contains(const CoreMemRegion *r, gpa_t addr)
{
    return addr >= r->base && addr - r->base < r->size;
}

CoreMemRegion *core_mem_find(CoreAddrSpace *as, gpa_t addr)
{
    if (as->n && contains(&as->regions[as->last], addr)) {
        return &as->regions[as->last];
    }
    size_t lo = 0, hi = as->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        CoreMemRegion *r = &as->regions[mid];
        if (addr < r->base) {
            hi = mid;
        } else if (addr - r->base >= r->size) {
            lo = mid + 1;
        } else {
            as->last = mid;
            return r;
        }
    }
    return NULL;
}

uint8_t *core_mem_host_ptr(CoreAddrSpace *as, gpa_t addr, uint64_t len)
{
    CoreMemRegion *r = core_mem_find(as, addr);
    if (!r || !r->host || len > r->size - (addr - r->base)) {
        return NULL;
    }
    return r->host + (addr - r->base);
}

static bool writes_pt_page(const CoreMemRegion *r, gpa_t addr, uint64_t len)
{
    for (gpa_t p = addr & CORE_PAGE_MASK; p < addr + len; p += CORE_PAGE_SIZE) {
        if (core_mem_page_is_pt(r, p)) {
            return true;
        }
    }
    return false;
}

bool core_mem_write_bytes(CoreAddrSpace *as, gpa_t addr, const void *src,
                          uint64_t len)
{
    const uint8_t *s = src;
    while (len) {
        CoreMemRegion *r = core_mem_find(as, addr);
        if (!r || !r->host) {
            return false;
        }
        uint64_t off = addr - r->base;
        uint64_t n = r->size - off < len ? r->size - off : len;
        core_mem_mark_dirty(r, addr, n);   /* before the write */
        memcpy(r->host + off, s, n);
        core_mem_notify_write(as, r, addr, n);
        if (r->pt_bitmap && as->pt_hook && writes_pt_page(r, addr, n)) {
            as->pt_hook(as->pt_hook_opaque);
        }
        if (as->write_obs) {
            CoreMemWriter who = { .device = as->dma_source };
            as->write_obs(as->write_obs_opaque, addr, n, &who);
        }
        addr += n;
        s += n;
        len -= n;
    }
    return true;
}

bool core_mem_read_bytes(CoreAddrSpace *as, gpa_t addr, void *dst,
                         uint64_t len)
{
    uint8_t *d = dst;
    while (len) {
        CoreMemRegion *r = core_mem_find(as, addr);
        if (!r || !r->host) {
            return false;
        }
        uint64_t off = addr - r->base;
        uint64_t n = r->size - off < len ? r->size - off : len;
        memcpy(d, r->host + off, n);
        addr += n;
        d += n;
        len -= n;
    }
    return true;
}

size_t core_mem_region_count(const CoreAddrSpace *as)
{
    return as->n;
}

CoreMemRegion *core_mem_region(CoreAddrSpace *as, size_t i)
{
    return i < as->n ? &as->regions[i] : NULL;
}

void core_mem_set_code_page(CoreMemRegion *r, gpa_t addr, bool has_code)
{
    uint64_t page = core_mem_page_index(r, addr);
    if (has_code) {
        core_bitmap_set(r->code_bitmap, page);
    } else {
        core_bitmap_clear(r->code_bitmap, page);
    }
}

void core_mem_set_code_write_hook(CoreAddrSpace *as, CoreCodeWriteHook hook,
                                  void *opaque)
{
    as->code_hook = hook;
    as->code_hook_opaque = opaque;
}

void core_mem_notify_write(CoreAddrSpace *as, CoreMemRegion *r, gpa_t addr,
                           uint64_t len)
{
    if (!r->code_bitmap || len == 0) {
        return;
    }
    gpa_t end = addr + len;
    while (addr < end) {
        gpa_t page = addr & CORE_PAGE_MASK;
        gpa_t next = page + CORE_PAGE_SIZE < end ? page + CORE_PAGE_SIZE : end;
        if (core_mem_page_has_code(r, page) &&
            (!as->code_hook ||
             as->code_hook(as->code_hook_opaque, addr, next - addr))) {
            core_mem_set_code_page(r, page, false);
        }
        addr = next;
    }
}

void core_mem_ram_reset_zero(CoreMemRegion *r)
{
    uint64_t pages = core_mem_page_count(r);
    /* Fresh zero pages from the kernel, without touching them. */
    madvise(r->host, r->size, MADV_DONTNEED);
    core_bitmap_zero(r->dirty_all, pages);
    for (unsigned k = 0; k < CORE_MEM_DIRTY_CLIENTS; k++) {
        if (r->dirty[k]) {
            core_bitmap_zero(r->dirty[k], pages);
        }
    }
    core_bitmap_zero(r->touched, pages);
    uint64_t zero = core_mem_zero_page_hash();
    for (uint64_t p = 0; p < pages; p++) {
        r->page_hash[p] = zero;
    }
}

CoreDirtyClient *core_mem_dirty_client_new(CoreAddrSpace *as, const char *name,
                                           CoreDirtyFirstWrite first_write,
                                           void *opaque)
{
    unsigned k = 0;
    while (k < CORE_MEM_DIRTY_CLIENTS && as->clients[k]) {
        k++;
    }
    CoreDirtyClient *c = k < CORE_MEM_DIRTY_CLIENTS ? calloc(1, sizeof(*c))
                                                     : NULL;
    if (!c) {
        return NULL;
    }
    *c = (CoreDirtyClient){ as, k, name, first_write, opaque };
    for (size_t i = 0; i < as->n; i++) {
        CoreMemRegion *r = &as->regions[i];
        if (r->kind != CORE_MEM_RAM) {
            continue;
        }
        uint64_t pages = core_mem_page_count(r);
        r->dirty[k] = core_bitmap_new(pages);
        if (!r->dirty[k]) {
            as->clients[k] = c;
            core_mem_dirty_client_free(c);
            return NULL;
        }
        /* Everything written since RAM was zero may differ from what the
           client knows; the new bitmap is clean where dirty_all is not. */
        memcpy(r->dirty[k], r->touched, core_bitmap_bytes(pages));
        core_bitmap_zero(r->dirty_all, pages);
    }
    as->clients[k] = c;
    return c;
}

CoreDirtyClient *core_mem_dirty_client_find(CoreAddrSpace *as,
                                            const char *name)
{
    for (unsigned k = 0; k < CORE_MEM_DIRTY_CLIENTS; k++) {
        if (as->clients[k] && strcmp(as->clients[k]->name, name) == 0) {
            return as->clients[k];
        }
    }
    return NULL;
}

void core_mem_dirty_client_free(CoreDirtyClient *c)
{
    if (!c) {
        return;
    }
    CoreAddrSpace *as = c->as;
    for (size_t i = 0; i < as->n; i++) {
        free(as->regions[i].dirty[c->slot]);
        as->regions[i].dirty[c->slot] = NULL;
    }
    as->clients[c->slot] = NULL;
    free(c);
}

uint8_t *core_mem_dirty_bits(const CoreDirtyClient *c, const CoreMemRegion *r)
{
    return r->dirty[c->slot];
}

void core_mem_dirty_clear(CoreDirtyClient *c, CoreMemRegion *r)
{
    uint64_t pages = core_mem_page_count(r);
    core_bitmap_zero(r->dirty[c->slot], pages);
    core_bitmap_zero(r->dirty_all, pages);
}

void core_mem_dirty_set(CoreMemRegion *r, uint64_t page,
                        const CoreDirtyClient *except)
{
    core_bitmap_set(r->touched, page);
    for (unsigned k = 0; k < CORE_MEM_DIRTY_CLIENTS; k++) {
        if (r->dirty[k] && (!except || k != except->slot)) {
            core_bitmap_set(r->dirty[k], page);
        }
    }
}

void core_mem_dirty_first(CoreMemRegion *r, uint64_t page)
{
    CoreAddrSpace *as = r->as;
    core_bitmap_set(r->touched, page);
    for (unsigned k = 0; k < CORE_MEM_DIRTY_CLIENTS; k++) {
        CoreDirtyClient *c = as->clients[k];
        if (c && !core_bitmap_test(r->dirty[k], page)) {
            core_bitmap_set(r->dirty[k], page);
            if (c->first_write) {
                c->first_write(c->opaque, r, page);
            }
        }
    }
    core_bitmap_set(r->dirty_all, page);
}

void core_mem_flip_last_ram_byte(CoreAddrSpace *as)
{
    CoreMemRegion *top = NULL;
    for (size_t i = 0; i < core_mem_region_count(as); i++) {
        CoreMemRegion *r = core_mem_region(as, i);
        top = r->kind == CORE_MEM_RAM ? r : top;
    }
    uint8_t b;
    if (top && core_mem_read_bytes(as, top->base + top->size - 1, &b, 1)) {
        b ^= 0x10;
        core_mem_write_bytes(as, top->base + top->size - 1, &b, 1);
    }
}
