/*
 * Translation-block cache (see tcg/tb.h).
 *
 * Lookup: a hash on (pc, phys_pc, flags) into chained buckets (2 MiB of
 * them, on one huge page: core/hostmem.h). Per-page
 * records (a GHashTable from page address to a TBPage: the list of the
 * page's TBs and a bitmap of the halfwords they were decoded from) make
 * invalidation proportional to the TBs of the page, and let a write that
 * touches no code invalidate nothing. Invalidation does not call the
 * flush hook: invalidated TBs stay in the arena marked invalid.
 */
#include "tcg/tb.h"
#include "core/hostmem.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#define HASH_BITS 18
#define HASH_SIZE (1u << HASH_BITS)

/* Instructions are halfword-aligned runs of halfwords: one bit per
   halfword of the page is exact for any write. */
#define PAGE_HALVES (CORE_PAGE_SIZE / 2)

typedef struct TBPage {
    gint64 key;                        /* page address (hash key) */
    TB *head;                          /* its TBs, through page_next */
    uint64_t code[PAGE_HALVES / 64];   /* halfwords some TB holds */
} TBPage;

struct TBCache {
    uint8_t *arena;
    size_t arena_size;
    size_t used;
    size_t last_alloc;
    TB **hash;           /* HASH_SIZE buckets: 2 MiB, one huge page */
    GHashTable *pages;   /* gpa page -> TBPage (owns it) */
    TBFlushHook flush_hook;
    void *flush_opaque;
    void *code;                      /* a JIT's code buffer, or NULL */
    void (*code_reset)(void *code);
    void (*code_destroy)(void *code);
    void (*code_unlink)(void *code, TB *tb);
};

static inline uint32_t tb_hash(gva_t pc, gpa_t phys_pc, uint32_t flags)
{
    uint64_t h = (pc ^ (phys_pc << 7) ^ ((uint64_t)flags << 40)) *
                 0x9e3779b97f4a7c15ull;
    return (uint32_t)(h >> (64 - HASH_BITS));
}

TBCache *tb_cache_new(size_t arena_bytes)
{
    TBCache *c = calloc(1, sizeof(*c));
    if (!c) {
        return NULL;
    }
    /* Filled from one end: a fault per 2 MiB, not per 4 KiB (a Linux
       boot decodes tens of MiB of blocks into it). */
    c->arena = core_hostmem_alloc(arena_bytes);
    if (!c->arena) {
        free(c);
        return NULL;
    }
    c->arena_size = arena_bytes;
    /* Lookups hit random buckets: on 4 KiB pages nearly each one was a
       TLB miss, and the first touch of each page a fault. */
    c->hash = core_hostmem_alloc(HASH_SIZE * sizeof(TB *));
    if (!c->hash) {
        core_hostmem_free(c->arena, arena_bytes);
        free(c);
        return NULL;
    }
    c->pages = g_hash_table_new(g_int64_hash, g_int64_equal);
    return c;
}

static void free_page_keys(TBCache *c)
{
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, c->pages);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        g_free(value);   /* the key lives in the TBPage */
    }
    g_hash_table_remove_all(c->pages);
}

/* Halfwords [lo, hi) of a page bitmap. */
static void bits_set(uint64_t *b, unsigned lo, unsigned hi)
{
    for (unsigned i = lo; i < hi; i++) {
        b[i / 64] |= 1ull << (i % 64);
    }
}

static bool bits_any(const uint64_t *b, unsigned lo, unsigned hi)
{
    for (unsigned i = lo; i < hi; i++) {
        if (b[i / 64] & (1ull << (i % 64))) {
            return true;
        }
    }
    return false;
}

/* The halfwords [lo, hi) a TB's code covers in its page. */
static void tb_halves(const TB *tb, unsigned *lo, unsigned *hi)
{
    unsigned start = tb->phys_pc & (CORE_PAGE_SIZE - 1);
    *lo = start / 2;
    *hi = (start + tb->size + 1) / 2;
}

void tb_cache_free(TBCache *c)
{
    if (!c) {
        return;
    }
    free_page_keys(c);
    g_hash_table_destroy(c->pages);
    if (c->code && c->code_destroy) {
        c->code_destroy(c->code);
    }
    core_hostmem_free(c->arena, c->arena_size);
    core_hostmem_free(c->hash, HASH_SIZE * sizeof(TB *));
    free(c);
}

void tb_cache_set_flush_hook(TBCache *c, TBFlushHook hook, void *opaque)
{
    c->flush_hook = hook;
    c->flush_opaque = opaque;
}

void tb_cache_set_code(TBCache *c, void *code, void (*reset)(void *code),
                       void (*destroy)(void *code))
{
    c->code = code;
    c->code_reset = reset;
    c->code_destroy = destroy;
}

void *tb_cache_code(const TBCache *c)
{
    return c->code;
}

void tb_cache_set_unlink(TBCache *c, void (*unlink)(void *code, TB *tb))
{
    c->code_unlink = unlink;
}

/* valid = 0, and no jump of host code enters it any more. */
static void tb_kill(TBCache *c, TB *tb)
{
    tb->valid = 0;
    if (tb->jit_links && c->code_unlink) {
        c->code_unlink(c->code, tb);
    }
}

TB *tb_lookup(TBCache *c, gva_t pc, gpa_t phys_pc, uint32_t flags)
{
    for (TB *tb = c->hash[tb_hash(pc, phys_pc, flags)]; tb;
         tb = tb->hash_next) {
        if (tb->pc == pc && tb->phys_pc == phys_pc && tb->flags == flags) {
            return tb;
        }
    }
    return NULL;
}

void tb_flush(TBCache *c)
{
    memset(c->hash, 0, HASH_SIZE * sizeof(TB *));
    free_page_keys(c);
    c->used = 0;
    if (c->code && c->code_reset) {
        c->code_reset(c->code);
    }
    if (c->flush_hook) {
        c->flush_hook(c->flush_opaque);
    }
}

TB *tb_alloc(TBCache *c, size_t payload_bytes)
{
    size_t need = (sizeof(TB) + payload_bytes + 15) & ~(size_t)15;
    if (need > c->arena_size) {
        return NULL;
    }
    if (c->used + need > c->arena_size) {
        tb_flush(c);
    }
    TB *tb = (TB *)(c->arena + c->used);
    c->last_alloc = c->used;
    c->used += need;
    memset(tb, 0, sizeof(*tb));
    return tb;
}

void tb_shrink(TBCache *c, TB *tb, size_t payload_bytes)
{
    if ((uint8_t *)tb == c->arena + c->last_alloc) {
        c->used = c->last_alloc +
                  ((sizeof(TB) + payload_bytes + 15) & ~(size_t)15);
    }
}

void tb_insert(TBCache *c, TB *tb)
{
    uint32_t h = tb_hash(tb->pc, tb->phys_pc, tb->flags);
    tb->hash_next = c->hash[h];
    c->hash[h] = tb;
    tb->valid = 1;
    tb->cached = 1;

    gint64 page = (gint64)(tb->phys_pc & CORE_PAGE_MASK);
    TBPage *p = g_hash_table_lookup(c->pages, &page);
    if (!p) {
        p = g_new0(TBPage, 1);
        p->key = page;
        g_hash_table_insert(c->pages, &p->key, p);
    }
    tb->page_next = p->head;
    p->head = tb;
    unsigned lo, hi;
    tb_halves(tb, &lo, &hi);
    bits_set(p->code, lo, hi);
}

static void unlink_hash(TBCache *c, TB *tb)
{
    TB **pp = &c->hash[tb_hash(tb->pc, tb->phys_pc, tb->flags)];
    while (*pp) {
        if (*pp == tb) {
            *pp = tb->hash_next;
            return;
        }
        pp = &(*pp)->hash_next;
    }
}

void tb_invalidate_page(TBCache *c, gpa_t page)
{
    gint64 key = (gint64)(page & CORE_PAGE_MASK);
    TBPage *p = g_hash_table_lookup(c->pages, &key);
    if (!p) {
        return;
    }
    g_hash_table_remove(c->pages, &key);
    for (TB *tb = p->head; tb; tb = tb->page_next) {
        unlink_hash(c, tb);
        tb_kill(c, tb);
    }
    g_free(p);
}

unsigned tb_invalidate_range(TBCache *c, gpa_t addr, uint64_t len,
                             const gva_t *pc)
{
    gint64 key = (gint64)(addr & CORE_PAGE_MASK);
    TBPage *p = g_hash_table_lookup(c->pages, &key);
    if (!p) {
        return TB_INV_EMPTY;
    }
    uint64_t off = addr & (CORE_PAGE_SIZE - 1);
    uint64_t end = off + len < CORE_PAGE_SIZE ? off + len : CORE_PAGE_SIZE;
    if (len == 0 || !bits_any(p->code, off / 2, (end + 1) / 2)) {
        return 0;   /* no code byte written: nothing is stale */
    }
    /* Drop the TBs the write overlaps; rebuild the bitmap from the
       others (blocks overlap: a branch target inside another block). */
    unsigned r = 0;
    memset(p->code, 0, sizeof(p->code));
    for (TB **pp = &p->head; *pp;) {
        TB *tb = *pp;
        uint64_t start = tb->phys_pc & (CORE_PAGE_SIZE - 1);
        if (start < end && off < start + tb->size) {
            *pp = tb->page_next;
            unlink_hash(c, tb);
            tb_kill(c, tb);
            r |= TB_INV_ANY;
            if (pc && *pc - tb->pc < tb->size) {
                r |= TB_INV_PC;
            }
        } else {
            unsigned lo, hi;
            tb_halves(tb, &lo, &hi);
            bits_set(p->code, lo, hi);
            pp = &tb->page_next;
        }
    }
    if (!p->head) {
        g_hash_table_remove(c->pages, &key);
        g_free(p);
        r |= TB_INV_EMPTY;
    }
    return r;
}
