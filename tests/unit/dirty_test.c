/*
 * Unit tests for dirty-page clients (core/mem.h): each client sees the
 * pages written since it last cleared its bitmap, independently of the
 * others; a client registered late starts with every page written so far;
 * first_write runs once per page a client sees become dirty (before the
 * write, with the old content still there); and marking a page every
 * client already has dirty calls nothing. core_bitmap_next visits exactly
 * the set bits, in order, whatever their place in a 64-bit word.
 */
#include "core/bitmap.h"
#include "core/mem.h"
#include "tests/unit/check.h"

#include <stdlib.h>
#include <string.h>

#define BASE 0x80000000ull
#define PAGES 64

typedef struct Seen {
    unsigned calls;
    uint64_t last_page;
    uint8_t old_byte;
} Seen;

static void first_write(void *opaque, CoreMemRegion *r, uint64_t page)
{
    Seen *s = opaque;
    s->calls++;
    s->last_page = page;
    s->old_byte = core_mem_page_host(r, page)[0];
}

static bool dirty(CoreDirtyClient *c, CoreMemRegion *r, uint64_t page)
{
    return core_bitmap_test(core_mem_dirty_bits(c, r), page);
}

static void write_byte(CoreAddrSpace *as, gpa_t addr, uint8_t v)
{
    CHECK(core_mem_write_bytes(as, addr, &v, 1));
}

/* Walk a map with core_bitmap_next and compare with bit tests. */
static bool next_visits_set_bits(const uint8_t *map, uint64_t nbits)
{
    uint64_t want = 0, got = core_bitmap_next(map, 0, nbits);
    for (;; got = core_bitmap_next(map, got + 1, nbits)) {
        while (want < nbits && !core_bitmap_test(map, want)) {
            want++;
        }
        if (got != want) {
            return false;
        }
        if (got >= nbits) {
            return true;
        }
        want++;
    }
}

static void test_bitmap_next(void)
{
    const uint64_t sizes[] = { 1, 7, 63, 64, 65, 127, 128, 200, 1000 };
    for (unsigned k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        uint64_t n = sizes[k];
        uint8_t *map = core_bitmap_new(n);
        CHECK(core_bitmap_next(map, 0, n) == n, "%llu bits, none set",
              (unsigned long long)n);
        /* Each bit alone, then patterns with a fixed stride. */
        bool ok = true;
        for (uint64_t i = 0; i < n; i++) {
            core_bitmap_set(map, i);
            ok &= core_bitmap_next(map, 0, n) == i &&
                  core_bitmap_next(map, i, n) == i &&
                  core_bitmap_next(map, i + 1, n) == n;
            core_bitmap_clear(map, i);
        }
        CHECK(ok, "%llu bits: each bit alone is found", (unsigned long long)n);
        for (uint64_t stride = 1; stride < 70; stride += 3) {
            core_bitmap_zero(map, n);
            for (uint64_t i = stride / 2; i < n; i += stride) {
                core_bitmap_set(map, i);
            }
            ok &= next_visits_set_bits(map, n);
        }
        CHECK(ok, "%llu bits: strided patterns visited exactly",
              (unsigned long long)n);
        free(map);
    }
}

int main(void)
{
    test_bitmap_next();
    CoreAddrSpace *as = core_mem_new();
    CoreMemRegion *r = core_mem_add_ram(as, "ram", BASE,
                                        PAGES * CORE_PAGE_SIZE);
    CHECK(r != NULL);

    write_byte(as, BASE + 3 * CORE_PAGE_SIZE, 1);   /* before any client */
    Seen sa = { 0 };
    CoreDirtyClient *a = core_mem_dirty_client_new(as, "a", first_write, &sa);
    CoreDirtyClient *b = core_mem_dirty_client_new(as, "b", NULL, NULL);
    CHECK(a && b && core_mem_dirty_client_find(as, "b") == b);
    CHECK(dirty(a, r, 3) && dirty(b, r, 3) && !dirty(a, r, 4),
          "a new client starts with the pages written so far");

    core_mem_dirty_clear(a, r);
    write_byte(as, BASE + 3 * CORE_PAGE_SIZE, 2);
    CHECK(sa.calls == 1 && sa.last_page == 3 && sa.old_byte == 1,
          "first_write before the write (old byte %u)", sa.old_byte);
    write_byte(as, BASE + 3 * CORE_PAGE_SIZE + 8, 3);
    CHECK(sa.calls == 1, "second write to the page: no call");
    CHECK(dirty(a, r, 3) && dirty(b, r, 3));

    /* Clients are independent: clearing b leaves a's bits. */
    core_mem_dirty_clear(b, r);
    CHECK(dirty(a, r, 3) && !dirty(b, r, 3));
    write_byte(as, BASE + 3 * CORE_PAGE_SIZE, 4);
    CHECK(dirty(b, r, 3) && sa.calls == 1, "b sees it again, a not called");

    /* A write across a page boundary dirties both pages. */
    uint8_t two[2] = { 5, 6 };
    CHECK(core_mem_write_bytes(as, BASE + 8 * CORE_PAGE_SIZE - 1, two, 2));
    CHECK(dirty(a, r, 7) && dirty(a, r, 8) && dirty(b, r, 7) &&
          sa.calls == 3);

    /* Set for the others only (a page a client put back itself). */
    core_mem_dirty_clear(a, r);
    core_mem_dirty_clear(b, r);
    core_mem_dirty_set(r, 20, a);
    CHECK(!dirty(a, r, 20) && dirty(b, r, 20) && sa.calls == 3);

    /* Freed clients free their slot; a third registers. */
    core_mem_dirty_client_free(b);
    CHECK(core_mem_dirty_client_find(as, "b") == NULL);
    CoreDirtyClient *c = core_mem_dirty_client_new(as, "c", NULL, NULL);
    CHECK(c && dirty(c, r, 3) && dirty(c, r, 8) && !dirty(c, r, 9));
    unsigned n = 1;
    while (core_mem_dirty_client_new(as, "more", NULL, NULL)) {
        n++;
    }
    CHECK(n == CORE_MEM_DIRTY_CLIENTS - 1, "client slots bounded (%u)", n);

    /* RAM reset to zero: nothing dirty, nothing touched. */
    core_mem_ram_reset_zero(r);
    CHECK(!dirty(a, r, 3) && !dirty(c, r, 8));
    write_byte(as, BASE, 9);
    CHECK(dirty(a, r, 0) && dirty(c, r, 0) && sa.calls == 4);

    core_mem_free(as);
    return check_done("dirty");
}
