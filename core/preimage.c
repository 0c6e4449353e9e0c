/*
 * Page pre-images (see core/preimage.h).
 *
 * Per RAM region, one u32 per page says what is known of its pre-image:
 * nothing (0), a page of zeros (1, nothing copied: most first writes of a
 * booting kernel go to pages it cleared), or the copy in slot k (k + 2).
 * Slots live in 2 MiB chunks on huge pages, kept from one checkpoint to
 * the next, so a checkpoint interval costs one copy per page written and
 * no allocation once the largest interval was seen. A list of the pages
 * with a pre-image makes a reset cost what the interval wrote, not the
 * size of RAM.
 */
#include "core/preimage.h"
#include "core/hostmem.h"

#include <stdlib.h>
#include <string.h>

#define MAX_REGIONS 8
#define CHUNK_BYTES CORE_HOSTMEM_HUGE
#define CHUNK_PAGES (CHUNK_BYTES / CORE_PAGE_SIZE)
enum { PRE_UNKNOWN = 0, PRE_ZERO = 1, PRE_SLOT0 = 2 };

typedef struct Used {
    uint32_t region;
    uint64_t page;
} Used;

struct CorePreimages {
    const CoreMemRegion *region[MAX_REGIONS];
    uint32_t *state[MAX_REGIONS];   /* per page: PRE_* or slot + PRE_SLOT0 */
    unsigned nregions;
    Used *used;
    size_t nused, used_cap;
    uint8_t **chunk;
    size_t nchunks, chunk_cap;
    size_t nslots;                  /* slots taken since the last reset */
    bool known;                     /* capturing (see core_preimage_reset) */
};

static const uint8_t zero_page[CORE_PAGE_SIZE];

CorePreimages *core_preimage_new(void)
{
    return calloc(1, sizeof(CorePreimages));
}

void core_preimage_free(CorePreimages *pi)
{
    if (!pi) {
        return;
    }
    for (unsigned i = 0; i < pi->nregions; i++) {
        free(pi->state[i]);
    }
    for (size_t i = 0; i < pi->nchunks; i++) {
        core_hostmem_free(pi->chunk[i], CHUNK_BYTES);
    }
    free(pi->chunk);
    free(pi->used);
    free(pi);
}

/* The index of r in pi, registering it (on its first capture); -1 when
   out of room or memory. */
static int region_index(CorePreimages *pi, const CoreMemRegion *r, bool add)
{
    for (unsigned i = 0; i < pi->nregions; i++) {
        if (pi->region[i] == r) {
            return (int)i;
        }
    }
    if (!add || pi->nregions == MAX_REGIONS) {
        return -1;
    }
    uint32_t *st = calloc(core_mem_page_count(r) + 1, sizeof(uint32_t));
    if (!st) {
        return -1;
    }
    pi->region[pi->nregions] = r;
    pi->state[pi->nregions] = st;
    return (int)pi->nregions++;
}

/* Room for one more copy: the slot's bytes, or NULL. */
static uint8_t *new_slot(CorePreimages *pi)
{
    size_t c = pi->nslots / CHUNK_PAGES;
    if (c == pi->nchunks) {
        if (pi->nchunks == pi->chunk_cap) {
            size_t cap = pi->chunk_cap ? 2 * pi->chunk_cap : 16;
            uint8_t **n = realloc(pi->chunk, cap * sizeof(*n));
            if (!n) {
                return NULL;
            }
            pi->chunk = n;
            pi->chunk_cap = cap;
        }
        uint8_t *p = core_hostmem_alloc(CHUNK_BYTES);
        if (!p) {
            return NULL;
        }
        pi->chunk[pi->nchunks++] = p;
    }
    return pi->chunk[c] + (pi->nslots % CHUNK_PAGES) * CORE_PAGE_SIZE;
}

void core_preimage_capture(void *opaque, CoreMemRegion *r, uint64_t page)
{
    CorePreimages *pi = opaque;
    if (!pi->known || r->kind != CORE_MEM_RAM) {
        return;
    }
    int ri = region_index(pi, r, true);
    if (ri < 0 || pi->state[ri][page] != PRE_UNKNOWN) {
        return;
    }
    if (pi->nused == pi->used_cap) {
        size_t cap = pi->used_cap ? 2 * pi->used_cap : 1024;
        Used *n = realloc(pi->used, cap * sizeof(*n));
        if (!n) {
            return;   /* unknown: the page is stored as it is */
        }
        pi->used = n;
        pi->used_cap = cap;
    }
    const uint8_t *host = core_mem_page_host(r, page);
    uint32_t st = PRE_ZERO;
    if (memcmp(host, zero_page, CORE_PAGE_SIZE) != 0) {
        uint8_t *slot = new_slot(pi);
        if (!slot) {
            return;
        }
        memcpy(slot, host, CORE_PAGE_SIZE);
        st = (uint32_t)(pi->nslots++ + PRE_SLOT0);
    }
    pi->state[ri][page] = st;
    pi->used[pi->nused++] = (Used){ (uint32_t)ri, page };
}

bool core_preimage_get(const CorePreimages *pi, const CoreMemRegion *r,
                       uint64_t page, const uint8_t **old)
{
    int ri = region_index((CorePreimages *)pi, r, false);
    uint32_t st = ri < 0 ? PRE_UNKNOWN : pi->state[ri][page];
    if (st == PRE_UNKNOWN) {
        return false;
    }
    size_t k = st - PRE_SLOT0;
    *old = st == PRE_ZERO ? NULL
                          : pi->chunk[k / CHUNK_PAGES] +
                                (k % CHUNK_PAGES) * CORE_PAGE_SIZE;
    return true;
}

void core_preimage_reset(CorePreimages *pi, bool known)
{
    for (size_t i = 0; i < pi->nused; i++) {
        pi->state[pi->used[i].region][pi->used[i].page] = PRE_UNKNOWN;
    }
    pi->nused = 0;
    pi->nslots = 0;
    pi->known = known;
}
