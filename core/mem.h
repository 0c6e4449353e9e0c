/*
 * Guest-physical address space: RAM, ROM and MMIO regions.
 *
 * RAM and ROM are host buffers mapped at a guest-physical base; the CPU's
 * TLB caches host pointers into them. MMIO regions dispatch to a device's
 * CoreMemOps. Regions never overlap (core_mem_map refuses that).
 *
 * The address space also tracks, per RAM/ROM page, whether translated code
 * was made from it ("code pages"), so that writes to such pages can
 * invalidate the translation blocks (see tcg/tb.h), and which RAM pages
 * a CPU's page-table walks have read ("page-table pages"), so that writes
 * to them can drop the translations the CPU cached from them.
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

/* Dirty-page clients an address space can have at once (checkpoints, the
   state hash and restore points use three). */
#define CORE_MEM_DIRTY_CLIENTS 8

typedef struct CoreMemRegion {
    const char *name;
    CoreMemKind kind;
    gpa_t base;
    uint64_t size;
    uint8_t *host;            /* RAM/ROM: the backing buffer */
    uint8_t *code_bitmap;     /* RAM/ROM: one bit per page holding code */
    /* RAM: dirty-page tracking. Each registered client (see
       core_mem_dirty_client_new) has a bitmap in dirty[] of the pages
       possibly written since it last cleared it; a bit is set when a
       write may happen: a write reaches the slow path, or the CPU caches
       write permission for the page (its TLB write tags are dropped
       whenever a client clears bits). dirty_all has the pages set in
       every client's bitmap and in touched, so marking an already dirty
       page costs one bit test whatever the number of clients. */
    uint8_t *dirty_all;
    uint8_t *dirty[CORE_MEM_DIRTY_CLIENTS];
    uint64_t *page_hash;      /* RAM: hash of each page, kept by the state
                                 hash (core/snapshot.c) */
    uint8_t *touched;         /* RAM: pages ever written (all others are
                                 still zero) */
    /* RAM: one bit per page a CPU's page-table walk read a PTE from
       (core_mem_set_pt_page); a write to it may change what the CPU's
       TLB holds, so the CPU sends its stores to such pages through its
       slow path and other writers call the page-table hook. pt_info
       holds, per flagged page, what the CPU's walks read it as (the
       CPU's own encoding; meaningless where the bit is clear). */
    uint8_t *pt_bitmap;
    uint64_t *pt_info;
    bool pt_any;              /* some bit set since the last clear */
    struct CoreAddrSpace *as; /* the address space it belongs to */
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
   range is not RAM/ROM. Invalidates translated code it overwrites, and
   calls the page-table hook if it wrote to a page-table page. */
bool core_mem_write_bytes(CoreAddrSpace *as, gpa_t addr, const void *src,
                          uint64_t len);

/* Test-only (planted divergences): flip bit 4 of the last byte of the
   highest RAM region, far above any test program's code, data and
   stack. */
void core_mem_flip_last_ram_byte(CoreAddrSpace *as);
bool core_mem_read_bytes(CoreAddrSpace *as, gpa_t addr, void *dst,
                         uint64_t len);

/* Who wrote RAM other than by a CPU store (those are seen through
   core_debug_phys_watch): a device's DMA through core_mem_write_bytes, or
   a hart's page walker setting A/D bits in a PTE. */
typedef struct CoreMemWriter {
    /* DMA: the device that last declared itself with
       core_mem_set_dma_source (NULL: none did); NULL for a page walk. */
    const char *device;
    bool walker;        /* a page walk's A/D update, for... */
    unsigned hart;      /* ...this hart's access... */
    uint64_t pc;        /* ...by the instruction at pc (a fetch: its own) */
} CoreMemWriter;
/* `fn` (NULL: none) is called after each such write, with the range.
   replay/lastwrite.c uses it to find the writes to a range. */
typedef void (*CoreMemWriteObserver)(void *opaque, gpa_t addr, uint64_t len,
                                     const CoreMemWriter *who);
void core_mem_set_write_observer(CoreAddrSpace *as, CoreMemWriteObserver fn,
                                 void *opaque);
/* Is an observer set? (Writers that are not DMA check before describing
   themselves: the check is all a run without one pays.) */
bool core_mem_write_observed(const CoreAddrSpace *as);
/* Tell the observer, if any, that `who` wrote [addr, addr+len). */
void core_mem_observe_write(CoreAddrSpace *as, gpa_t addr, uint64_t len,
                            const CoreMemWriter *who);
/* The device about to write (a static or long-lived string). */
void core_mem_set_dma_source(CoreAddrSpace *as, const char *name);

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

/* Page-table pages (RAM only: false for ROM and MMIO). */
static inline bool core_mem_page_is_pt(const CoreMemRegion *r, gpa_t addr)
{
    return r->pt_bitmap &&
           core_bitmap_test(r->pt_bitmap, core_mem_page_index(r, addr));
}
static inline void core_mem_set_pt_page(CoreMemRegion *r, gpa_t addr)
{
    core_bitmap_set(r->pt_bitmap, core_mem_page_index(r, addr));
    r->pt_any = true;
}
/* No page is a page-table page any more (every CPU's TLB is empty). */
void core_mem_clear_pt_pages(CoreAddrSpace *as);
/* Called after core_mem_write_bytes wrote to a page-table page (a
   device's DMA, a debugger, a loader): set by the board, which drops
   every CPU's cached translations. */
typedef void (*CorePtWriteHook)(void *opaque);
void core_mem_set_pt_write_hook(CoreAddrSpace *as, CorePtWriteHook hook,
                                void *opaque);

/*
 * Dirty-page clients. Anything that needs "pages written since I last
 * looked" (incremental checkpoints, the state hash, restore points, later
 * live migration) registers a client and gets its own bitmap per RAM
 * region, initially the pages written since RAM was last zero (touched):
 *
 *     CoreDirtyClient *c = core_mem_dirty_client_new(as, "ckpt", NULL, NULL);
 *     if (core_bitmap_test(core_mem_dirty_bits(c, r), page)) ...
 *     core_mem_dirty_clear(c, r);  ...  core_mem_write_protect_all(as);
 *
 * After clearing, call core_mem_write_protect_all before the guest runs
 * again, so that CPUs report their next write to each page. `first_write`
 * (may be NULL) runs when a page becomes dirty for the client, before the
 * write: restore points save the old content there.
 */
typedef struct CoreDirtyClient CoreDirtyClient;
typedef void (*CoreDirtyFirstWrite)(void *opaque, CoreMemRegion *r,
                                    uint64_t page);

/* NULL if CORE_MEM_DIRTY_CLIENTS are registered or memory runs out. */
CoreDirtyClient *core_mem_dirty_client_new(CoreAddrSpace *as, const char *name,
                                           CoreDirtyFirstWrite first_write,
                                           void *opaque);
/* The client registered under name, or NULL. */
CoreDirtyClient *core_mem_dirty_client_find(CoreAddrSpace *as,
                                            const char *name);
void core_mem_dirty_client_free(CoreDirtyClient *c);
/* The client's bitmap of RAM region r (one bit per page). */
uint8_t *core_mem_dirty_bits(const CoreDirtyClient *c, const CoreMemRegion *r);
/* Clear the client's bits of r. */
void core_mem_dirty_clear(CoreDirtyClient *c, CoreMemRegion *r);
/* Mark page p dirty for every client but `except` (no first_write call):
   for a page whose content was put back by `except` itself. */
void core_mem_dirty_set(CoreMemRegion *r, uint64_t page,
                        const CoreDirtyClient *except);

/* Slow path of core_mem_mark_dirty: page p is clean for some client. */
void core_mem_dirty_first(CoreMemRegion *r, uint64_t page);

/* Mark [addr, addr+len) of a RAM region as possibly written. Call it
   before the write: a client (restore points) may want the old content. */
static inline void core_mem_mark_dirty(CoreMemRegion *r, gpa_t addr,
                                       uint64_t len)
{
    if (!r->dirty_all || len == 0) {
        return;
    }
    uint64_t first = core_mem_page_index(r, addr);
    uint64_t last = core_mem_page_index(r, addr + len - 1);
    for (uint64_t p = first; p <= last; p++) {
        if (!core_bitmap_test(r->dirty_all, p)) {
            core_mem_dirty_first(r, p);
        }
    }
}

/* The hash of a page of zeros: what untouched RAM pages hash to. */
uint64_t core_mem_zero_page_hash(void);

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

/* Called when a write to [addr, addr+len) (inside one page) hits a code
   page: set by the board (the TB cache invalidates the translations of
   the bytes written). Returns true if the page holds no translated code
   any more (its code bit is then cleared). */
typedef bool (*CoreCodeWriteHook)(void *opaque, gpa_t addr, uint64_t len);
void core_mem_set_code_write_hook(CoreAddrSpace *as, CoreCodeWriteHook hook,
                                  void *opaque);
/* Report a write to [addr, addr+len) of RAM so code pages get invalidated. */
void core_mem_notify_write(CoreAddrSpace *as, CoreMemRegion *r, gpa_t addr,
                           uint64_t len);

#endif
