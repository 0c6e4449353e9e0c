/*
 * Translation-block cache.
 *
 * A translation block (TB) is a run of guest instructions decoded once,
 * starting at a pc and ending at a control-flow instruction, a page end or
 * a length limit; it never spans two guest pages, so invalidating a page
 * invalidates exactly the TBs made from it. The payload (the decoded
 * instructions) belongs to the target front-end; this module only stores,
 * finds and invalidates TBs.
 *
 * TBs live in one arena. When it is full the whole cache is flushed (and
 * the flush hook tells the CPUs to drop pointers they cache), which is
 * simpler and faster than freeing TBs one by one. An invalidated TB stays
 * readable (valid == 0) until the next flush, so a stale pointer in a jump
 * cache is caught by the valid check rather than dereferencing freed memory.
 *
 * Usage:
 *     TB *tb = tb_lookup(c, pc, phys_pc, flags);
 *     if (!tb) { tb = tb_alloc(c, payload_size); ...fill...; tb_insert(c, tb); }
 */
#ifndef TCG_TB_H
#define TCG_TB_H

#include "core/types.h"

typedef struct TB TB;
struct TB {
    gva_t pc;
    gpa_t phys_pc;
    uint32_t flags;        /* target mode bits the translation depends on */
    uint32_t n_insns;
    uint32_t valid;
    uint32_t cached;       /* 0 for one-off TBs that are not in the cache */
    TB *hash_next;
    TB *page_next;
    const void *host;      /* host code running the whole block (a JIT's),
                              or NULL; goes with the TB on a flush */
    uint32_t no_host;      /* a JIT could not translate it: do not retry */
    uint32_t size;         /* bytes of guest code from phys_pc (precise
                              invalidation: tb_invalidate_range) */
    const void *host_chain;  /* where a JIT's chained jumps enter host (a
                              budget check first), or NULL */
    void *jit_links;       /* a JIT's jumps patched to enter this block:
                              undone (code_unlink) when it is invalidated */
    uint32_t runs;         /* whole runs in the interpreter while a JIT
                              waits for the block to prove hot */
    uint64_t payload[];    /* target instructions, 8-byte aligned */
};

typedef struct TBCache TBCache;
typedef void (*TBFlushHook)(void *opaque);

TBCache *tb_cache_new(size_t arena_bytes);
void tb_cache_free(TBCache *c);

/* Called after a full flush, so CPUs can drop cached TB pointers. */
void tb_cache_set_flush_hook(TBCache *c, TBFlushHook hook, void *opaque);

/* A JIT's code buffer lives as long as the cache and is emptied with it:
   `reset(code)` runs on every flush (before the flush hook), so no host
   code outlives its TB; `destroy(code)` runs in tb_cache_free. */
void tb_cache_set_code(TBCache *c, void *code, void (*reset)(void *code),
                       void (*destroy)(void *code));
void *tb_cache_code(const TBCache *c);
/* `unlink(code, tb)` runs when tb is invalidated (valid = 0) while its
   host code stays in the buffer: the JIT undoes the jumps patched to go
   straight into it (tb->jit_links), so none can enter it again. */
void tb_cache_set_unlink(TBCache *c, void (*unlink)(void *code, TB *tb));

TB *tb_lookup(TBCache *c, gva_t pc, gpa_t phys_pc, uint32_t flags);

/* Allocate a TB with room for payload_bytes; may flush the cache first. */
TB *tb_alloc(TBCache *c, size_t payload_bytes);
/* Shrink the most recent tb_alloc to payload_bytes (translation used less
   room than it asked for). */
void tb_shrink(TBCache *c, TB *tb, size_t payload_bytes);

void tb_insert(TBCache *c, TB *tb);

/* Invalidate every TB made from the guest-physical page (4 KiB). */
void tb_invalidate_page(TBCache *c, gpa_t page);

/* A write to [addr, addr+len) (inside one page): invalidate exactly the
   TBs whose code bytes [phys_pc, phys_pc+size) it overlaps. Returns
   TB_INV_* bits: ANY (some TB was invalidated), PC (one of them holds
   the virtual address *pc; pc may be NULL), EMPTY (the page holds no
   valid TB any more, also when it held none). A per-page bitmap of code
   halfwords makes writes next to code cost one lookup. */
enum { TB_INV_ANY = 1, TB_INV_PC = 2, TB_INV_EMPTY = 4 };
unsigned tb_invalidate_range(TBCache *c, gpa_t addr, uint64_t len,
                             const gva_t *pc);
void tb_flush(TBCache *c);

#endif
