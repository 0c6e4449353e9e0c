/*
 * Guest-physical address space: RAM, ROM and MMIO regions.
 *
 * RAM and ROM are host buffers mapped at a guest-physical base; the CPU's
 * TLB caches host pointers into them. MMIO regions dispatch to a device's
 * CoreMemOps. Regions never overlap (core_mem_map refuses that).
 *
 * The address space also tracks, per RAM/ROM page, whether translated code
 * was made from it ("code pages"), so that writes to such pages can
 * invalidate the translation blocks (see tcg/tb.h).
 *
 * Usage:
 *     CoreAddrSpace *as = core_mem_new();
 *     core_mem_add_ram(as, "ram", 0x80000000, 128 << 20);
 *     core_mem_map_mmio(as, 0x10000000, 0x100, &uart_ops, uart);
 *     uint8_t *p = core_mem_host_ptr(as, 0x80000000, 4); // NULL if not RAM
 */
#ifndef CORE_MEM_H
#define CORE_MEM_H

#include "core/bitmap.h"
#include "core/types.h"

/* Device register access. `offset` is relative to the region base; `size`
   is 1, 2, 4 or 8 and within [min_access, max_access]; accesses of other
   sizes, or misaligned ones, are refused with an access fault before the
   device sees them. */
typedef struct CoreMemOps {
    const char *name;
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, uint64_t value, unsigned size);
    unsigned min_access;   /* 0 means 1 */
    unsigned max_access;   /* 0 means 8 */
} CoreMemOps;

typedef enum CoreMemKind { CORE_MEM_RAM, CORE_MEM_ROM, CORE_MEM_MMIO } CoreMemKind;

typedef struct CoreMemRegion {
    const char *name;
    CoreMemKind kind;
    gpa_t base;
    uint64_t size;
    uint8_t *host;            /* RAM/ROM: the backing buffer */
    uint8_t *code_bitmap;     /* RAM/ROM: one bit per page holding code */
    /* RAM: pages possibly written since the last checkpoint / the last
       hash update. Set when a write may happen: a write reaches the slow
       path, or the CPU caches write permission for the page (its TLB
       write tags are dropped whenever these bits are cleared). */
    uint8_t *dirty_ckpt;
    uint8_t *dirty_hash;
    uint64_t *page_hash;      /* RAM: hash of each page, valid unless
                                 dirty_hash says otherwise */
    uint8_t *touched;         /* RAM: pages ever written (all others are
                                 still zero) */
    uint8_t *undo_saved;      /* RAM, while undo points exist: pages whose
                                 content at the last point is saved */
    void *undo;               /* the CoreUndo that owns undo_saved */
    const CoreMemOps *ops;    /* MMIO */
    void *opaque;             /* MMIO */
} CoreMemRegion;

typedef struct CoreAddrSpace CoreAddrSpace;

CoreAddrSpace *core_mem_new(void);
void core_mem_free(CoreAddrSpace *as);

/* Add zero-filled RAM (or ROM: writable only by loaders). Returns the
   region, or NULL if it overlaps another region or allocation fails. */
CoreMemRegion *core_mem_add_ram(CoreAddrSpace *as, const char *name,
                                gpa_t base, uint64_t size);
CoreMemRegion *core_mem_add_rom(CoreAddrSpace *as, const char *name,
                                gpa_t base, uint64_t size);
CoreMemRegion *core_mem_map_mmio(CoreAddrSpace *as, const char *name,
                                 gpa_t base, uint64_t size,
                                 const CoreMemOps *ops, void *opaque);

/* The region containing addr, or NULL. */
CoreMemRegion *core_mem_find(CoreAddrSpace *as, gpa_t addr);

/* Host pointer to [addr, addr+len) if it lies inside one RAM/ROM region. */
uint8_t *core_mem_host_ptr(CoreAddrSpace *as, gpa_t addr, uint64_t len);

/* Copy bytes into RAM/ROM (loaders, DMA). Returns false if any byte of the
   range is not RAM/ROM. Invalidates translated code it overwrites. */
bool core_mem_write_bytes(CoreAddrSpace *as, gpa_t addr, const void *src,
                          uint64_t len);
bool core_mem_read_bytes(CoreAddrSpace *as, gpa_t addr, void *dst,
                         uint64_t len);

/* Number of regions and region i, in increasing base order (for save/load,
   hashing and the device tree). */
size_t core_mem_region_count(const CoreAddrSpace *as);
CoreMemRegion *core_mem_region(CoreAddrSpace *as, size_t i);

/* Index of the page holding addr, counted from the region's base (the bit
   of that page in the region's bitmaps). */
static inline uint64_t core_mem_page_index(const CoreMemRegion *r, gpa_t addr)
{
    return (addr - r->base) >> CORE_PAGE_BITS;
}

/* Number of pages in the region (regions are page-aligned in base and size). */
static inline uint64_t core_mem_page_count(const CoreMemRegion *r)
{
    return r->size >> CORE_PAGE_BITS;
}

/* Guest-physical address and host pointer of page `page` of a RAM/ROM
   region (the inverse of core_mem_page_index). */
static inline gpa_t core_mem_page_addr(const CoreMemRegion *r, uint64_t page)
{
    return r->base + page * CORE_PAGE_SIZE;
}

static inline uint8_t *core_mem_page_host(const CoreMemRegion *r, uint64_t page)
{
    return r->host + page * CORE_PAGE_SIZE;
}

/* Code-page tracking for translated-code invalidation. */
static inline bool core_mem_page_has_code(const CoreMemRegion *r, gpa_t addr)
{
    return core_bitmap_test(r->code_bitmap, core_mem_page_index(r, addr));
}
void core_mem_set_code_page(CoreMemRegion *r, gpa_t addr, bool has_code);

/* Save page p of r before its first write since the last undo point
   (core/undo.c). */
void core_undo_save_page(CoreMemRegion *r, uint64_t page);

/* Mark [addr, addr+len) of a RAM region as possibly written. Call it
   before the write: an undo log may want the old content. */
static inline void core_mem_mark_dirty(CoreMemRegion *r, gpa_t addr,
                                       uint64_t len)
{
    if (!r->dirty_ckpt || len == 0) {
        return;
    }
    uint64_t first = core_mem_page_index(r, addr);
    uint64_t last = core_mem_page_index(r, addr + len - 1);
    for (uint64_t p = first; p <= last; p++) {
        core_bitmap_set(r->dirty_ckpt, p);
        core_bitmap_set(r->dirty_hash, p);
        core_bitmap_set(r->touched, p);
        if (r->undo_saved && !core_bitmap_test(r->undo_saved, p)) {
            core_undo_save_page(r, p);
        }
    }
}

/* RAM reads as zero again (snapshot restore): page hashes reset, nothing
   dirty or touched. */
void core_mem_ram_reset_zero(CoreMemRegion *r);

/* Hook that drops cached write permissions in every CPU (set by the
   board), called before dirty bits are cleared. */
typedef void (*CoreWriteProtectHook)(void *opaque);
void core_mem_set_write_protect_hook(CoreAddrSpace *as,
                                     CoreWriteProtectHook hook, void *opaque);
/* Drop cached write permissions everywhere (calls the hook). */
void core_mem_write_protect_all(CoreAddrSpace *as);

/* Called when a write hits a code page: set by the TB cache. */
typedef void (*CoreCodeWriteHook)(void *opaque, gpa_t page);
void core_mem_set_code_write_hook(CoreAddrSpace *as, CoreCodeWriteHook hook,
                                  void *opaque);
/* Report a write to [addr, addr+len) of RAM so code pages get invalidated. */
void core_mem_notify_write(CoreAddrSpace *as, CoreMemRegion *r, gpa_t addr,
                           uint64_t len);

#endif
