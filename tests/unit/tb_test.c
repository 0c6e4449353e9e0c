/*
 * The TB cache's invalidation by written bytes (tcg/tb.c,
 * tb_invalidate_range): a write drops exactly the blocks whose code bytes
 * it overlaps, blocks that overlap each other included, and nothing when it
 * touches no code byte; the page's record goes with its last block.
 * Every invalidation of a block with a JIT's links into it calls the
 * unlink hook for it, once (tb_kill), so no patched jump outlives it.
 */
#include "tcg/tb.h"
#include "tests/unit/check.h"

#define PAGE 0x80002000ull

static TB *add(TBCache *c, uint64_t off, uint32_t size)
{
    TB *tb = tb_alloc(c, 16);
    tb->pc = 0x10000 + off;             /* virtual: another address */
    tb->phys_pc = PAGE + off;
    tb->flags = 3;
    tb->n_insns = size / 2;
    tb->size = size;
    tb_insert(c, tb);
    return tb;
}

/* The unlink hook: counts, and drops the links as the JIT does. */
static unsigned unlinked;
static TB *last_unlinked;
static void unlink_hook(void *code, TB *tb)
{
    (void)code;
    unlinked++;
    last_unlinked = tb;
    tb->jit_links = NULL;
}

static bool found(TBCache *c, const TB *tb)
{
    return tb_lookup(c, tb->pc, tb->phys_pc, tb->flags) == tb;
}

int main(void)
{
    TBCache *c = tb_cache_new(1 << 16);
    TB *a = add(c, 0x100, 8);           /* [0x100, 0x108) */
    TB *b = add(c, 0x104, 12);          /* [0x104, 0x110): overlaps a */
    TB *d = add(c, 0x200, 4);           /* [0x200, 0x204) */
    TB *e = add(c, 0xffc, 4);           /* the page's last word */

    /* Next to code: nothing happens. */
    CHECK(tb_invalidate_range(c, PAGE + 0x0fc, 4, NULL) == 0);
    CHECK(tb_invalidate_range(c, PAGE + 0x110, 8, NULL) == 0);
    CHECK(tb_invalidate_range(c, PAGE + 0x1ff, 1, NULL) == 0);
    CHECK(tb_invalidate_range(c, PAGE + 0x204, 1, NULL) == 0);
    CHECK(a->valid && b->valid && d->valid && e->valid);

    /* One byte, the last of b only. */
    gva_t pc = b->pc + 2;
    CHECK(tb_invalidate_range(c, PAGE + 0x10f, 1, &pc) ==
          (TB_INV_ANY | TB_INV_PC));
    CHECK(!b->valid && !found(c, b));
    CHECK(a->valid && found(c, a) && d->valid && e->valid);
    /* a's bytes are still code, b's own tail no longer. */
    CHECK(tb_invalidate_range(c, PAGE + 0x10c, 4, NULL) == 0);
    pc = d->pc;
    CHECK(tb_invalidate_range(c, PAGE + 0x107, 1, &pc) == TB_INV_ANY);
    CHECK(!a->valid && !found(c, a) && d->valid);

    /* A write over two blocks, then the page's last block: empty. */
    b = add(c, 0x104, 12);
    CHECK(tb_invalidate_range(c, PAGE + 0x100, 0x200, NULL) == TB_INV_ANY);
    CHECK(!b->valid && !d->valid && e->valid);
    CHECK(tb_invalidate_range(c, PAGE + 0xfff, 1, NULL) ==
          (TB_INV_ANY | TB_INV_EMPTY));
    CHECK(!e->valid);
    CHECK(tb_invalidate_range(c, PAGE + 0xfff, 1, NULL) == TB_INV_EMPTY);
    CHECK(tb_invalidate_range(c, PAGE + 0x1000, 4, NULL) == TB_INV_EMPTY);

    /* Blocks with links into them: each invalidation unlinks them. */
    static int dummy_link;
    tb_cache_set_unlink(c, unlink_hook);
    a = add(c, 0x300, 8);
    b = add(c, 0x308, 8);
    a->jit_links = &dummy_link;
    CHECK(tb_invalidate_range(c, PAGE + 0x30a, 1, NULL) == TB_INV_ANY);
    CHECK(unlinked == 0);               /* b had no links */
    CHECK(tb_invalidate_range(c, PAGE + 0x300, 1, NULL) ==
          (TB_INV_ANY | TB_INV_EMPTY));
    CHECK(unlinked == 1 && last_unlinked == a && !a->valid);
    a = add(c, 0x300, 8);
    a->jit_links = &dummy_link;
    tb_invalidate_page(c, PAGE);
    CHECK(unlinked == 2 && last_unlinked == a && !a->jit_links);

    /* Whole-page invalidation still drops everything; a flush empties. */
    a = add(c, 0x100, 8);
    tb_invalidate_page(c, PAGE);
    CHECK(!a->valid && !found(c, a));
    a = add(c, 0x100, 8);
    tb_flush(c);
    CHECK(!found(c, a));
    CHECK(tb_invalidate_range(c, PAGE + 0x100, 4, NULL) == TB_INV_EMPTY);
    tb_cache_free(c);
    return check_done("tb");
}
