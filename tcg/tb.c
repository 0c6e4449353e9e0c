/*
 * Translation-block cache (see tcg/tb.h).
 *
 * Lookup: a hash on (pc, phys_pc, flags) into chained buckets. Per-page
 * lists (a GHashTable from page address to the first TB of that page) make
 * invalidation proportional to the TBs of the page. Invalidation does not
 * call the flush hook: invalidated TBs stay in the arena marked invalid.
 */
#include "tcg/tb.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#define HASH_BITS 16
#define HASH_SIZE (1u << HASH_BITS)

struct TBCache {
    uint8_t *arena;
    size_t arena_size;
    size_t used;
    size_t last_alloc;
    TB *hash[HASH_SIZE];
    GHashTable *pages;   /* gpa page -> TB* list head (page_next) */
    TBFlushHook flush_hook;
    void *flush_opaque;
    void *code;                      /* a JIT's code buffer, or NULL */
    void (*code_reset)(void *code);
    void (*code_destroy)(void *code);
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
    c->arena = malloc(arena_bytes);
    if (!c->arena) {
        free(c);
        return NULL;
    }
    c->arena_size = arena_bytes;
    c->pages = g_hash_table_new(g_int64_hash, g_int64_equal);
    return c;
}

static void free_page_keys(TBCache *c)
{
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, c->pages);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        g_free(key);
    }
    g_hash_table_remove_all(c->pages);
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
    free(c->arena);
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
    memset(c->hash, 0, sizeof(c->hash));
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

    gpa_t page = tb->phys_pc & CORE_PAGE_MASK;
    TB *head = g_hash_table_lookup(c->pages, &page);
    tb->page_next = head;
    gpointer orig_key = NULL;
    if (g_hash_table_lookup_extended(c->pages, &page, &orig_key, NULL)) {
        g_hash_table_insert(c->pages, orig_key, tb);
    } else {
        gint64 *key = g_new(gint64, 1);
        *key = (gint64)page;
        g_hash_table_insert(c->pages, key, tb);
    }
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
    page &= CORE_PAGE_MASK;
    gpointer key = NULL, value = NULL;
    if (!g_hash_table_lookup_extended(c->pages, &page, &key, &value)) {
        return;
    }
    g_hash_table_remove(c->pages, &page);
    g_free(key);
    for (TB *tb = value; tb; tb = tb->page_next) {
        unlink_hash(c, tb);
        tb->valid = 0;
    }
}
