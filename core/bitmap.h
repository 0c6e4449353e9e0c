/*
 * Bitmaps over bytes: one bit per item (in practice one bit per page of a
 * memory region), bit i in byte i / 8 at position i % 8 (LSB first).
 *
 * The maps are plain uint8_t arrays owned by their user; these helpers only
 * name the index arithmetic so that it is written once.  A map for n bits
 * is core_bitmap_bytes(n) long, always at least one byte, so that even an
 * empty region gets an allocation (calloc(0) may return NULL).
 *
 * Usage:
 *     uint8_t *dirty = core_bitmap_new(pages);       // all clear; free()
 *     core_bitmap_set(dirty, p);
 *     if (core_bitmap_test(dirty, p)) { ... }
 *     for (p = core_bitmap_next(dirty, 0, pages); p < pages;
 *          p = core_bitmap_next(dirty, p + 1, pages)) { ... }
 *     core_bitmap_zero(dirty, pages);
 */
#ifndef CORE_BITMAP_H
#define CORE_BITMAP_H

#include "core/types.h"

#include <stdlib.h>
#include <string.h>

/* Bytes a map of nbits bits takes. */
static inline size_t core_bitmap_bytes(uint64_t nbits)
{
    return nbits / 8 + 1;
}

/* A zeroed map of nbits bits, or NULL when out of memory. */
static inline uint8_t *core_bitmap_new(uint64_t nbits)
{
    return calloc(core_bitmap_bytes(nbits), 1);
}

static inline bool core_bitmap_test(const uint8_t *map, uint64_t i)
{
    return (map[i >> 3] >> (i & 7)) & 1;
}

static inline void core_bitmap_set(uint8_t *map, uint64_t i)
{
    map[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static inline void core_bitmap_clear(uint8_t *map, uint64_t i)
{
    map[i >> 3] &= (uint8_t)~(1u << (i & 7));
}

/* The first set bit at or after i, or nbits if none: sparse maps (the
   dirty pages of a few hundred MiB of RAM) are skipped 64 bits at a
   time. */
static inline uint64_t core_bitmap_next(const uint8_t *map, uint64_t i,
                                        uint64_t nbits)
{
    while (i < nbits) {
        if ((i & 63) == 0 && nbits - i >= 64) {
            uint64_t w;
            memcpy(&w, map + (i >> 3), 8);
            if (w == 0) {
                i += 64;
                continue;
            }
        }
        if (core_bitmap_test(map, i)) {
            return i;
        }
        i++;
    }
    return nbits;
}

/* Clear all nbits bits. */
static inline void core_bitmap_zero(uint8_t *map, uint64_t nbits)
{
    memset(map, 0, core_bitmap_bytes(nbits));
}

#endif
