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

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MAX_REGIONS 64

struct CoreAddrSpace {
    CoreMemRegion regions[MAX_REGIONS];
    size_t n;
    size_t last;
    CoreCodeWriteHook code_hook;
    void *code_hook_opaque;
    CoreWriteProtectHook wp_hook;
    void *wp_hook_opaque;
};

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
        free(r->dirty_ckpt);
        free(r->dirty_hash);
        free(r->page_hash);
        free(r->touched);
        free(r->undo_saved);
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

/* Hash of an all-zero page (what untouched RAM pages hash to). */
static uint64_t zero_page_hash(void)
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
    r->dirty_ckpt = core_bitmap_new(pages);
    r->dirty_hash = core_bitmap_new(pages);
    r->touched = core_bitmap_new(pages);
    r->page_hash = malloc(pages * sizeof(uint64_t));
    if (!r->dirty_ckpt || !r->dirty_hash || !r->touched || !r->page_hash) {
        return NULL;   /* freed with the address space */
    }
    /* RAM starts zero: only pages written later (loaders included, through
       core_mem_mark_dirty) need hashing or saving. */
    uint64_t zero = zero_page_hash();
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
    gpa_t first = addr & CORE_PAGE_MASK;
    gpa_t last = (addr + len - 1) & CORE_PAGE_MASK;
    for (gpa_t page = first; page <= last; page += CORE_PAGE_SIZE) {
        if (core_mem_page_has_code(r, page)) {
            core_mem_set_code_page(r, page, false);
            if (as->code_hook) {
                as->code_hook(as->code_hook_opaque, page);
            }
        }
    }
}

void core_mem_ram_reset_zero(CoreMemRegion *r)
{
    uint64_t pages = core_mem_page_count(r);
    /* Fresh zero pages from the kernel, without touching them. */
    madvise(r->host, r->size, MADV_DONTNEED);
    core_bitmap_zero(r->dirty_ckpt, pages);
    core_bitmap_zero(r->dirty_hash, pages);
    core_bitmap_zero(r->touched, pages);
    uint64_t zero = zero_page_hash();
    for (uint64_t p = 0; p < pages; p++) {
        r->page_hash[p] = zero;
    }
}
