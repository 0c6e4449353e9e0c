/*
 * Page pre-images: the content each RAM page had at the last checkpoint,
 * kept for the pages written since (core/snapshot.c).
 *
 * An increment stores a page written since the previous checkpoint as
 * the XOR of its new and old content when the old content is known and
 * not zero: most such pages differ from their old content in a few bytes
 * (a Linux boot patches 11 MiB of its own code in place, 87 bytes per
 * page on average), and a page of mostly zeros costs the trace writer's
 * zstd a fraction of what the page itself costs, and the trace a
 * fraction of its size.
 *
 * The old content is copied at the page's first write after the
 * checkpoint, from the checkpoint dirty client's first_write hook, which
 * runs before the write (core/mem.h). A page made dirty any other way
 * (core_mem_dirty_set, a client that started with every touched page
 * dirty), and every page after a snapshot was loaded, has no known
 * pre-image until the next checkpoint: it is stored as it is.
 *
 * Usage (core/snapshot.c only):
 *     CorePreimages *pi = core_preimage_new();
 *     client = core_mem_dirty_client_new(as, "checkpoint",
 *                                        core_preimage_capture, pi);
 *     ... at a checkpoint, per dirty page:
 *     const uint8_t *old;
 *     if (core_preimage_get(pi, r, p, &old) && old) ... XOR with old
 *     core_preimage_reset(pi, true);    (after the dirty bits are cleared)
 *     core_preimage_reset(pi, false);   (after a load: nothing known)
 */
#ifndef CORE_PREIMAGE_H
#define CORE_PREIMAGE_H

#include "core/mem.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct CorePreimages CorePreimages;

/* An empty store (nothing known until the first reset(pi, true)); NULL
   when out of memory. */
CorePreimages *core_preimage_new(void);
void core_preimage_free(CorePreimages *pi);

/* The first_write hook (CoreDirtyFirstWrite): saves page p of r before
   its first write since the last reset. */
void core_preimage_capture(void *pi, CoreMemRegion *r, uint64_t page);

/* Whether page p of r has a known pre-image; if so, *old is its bytes
   (CORE_PAGE_SIZE) or NULL for a page that was zero. */
bool core_preimage_get(const CorePreimages *pi, const CoreMemRegion *r,
                       uint64_t page, const uint8_t **old);

/* Forget every pre-image. With `known`, the pages' current content is
   the reference from now on (a checkpoint was taken or checked) and the
   next first writes are captured; without, nothing is captured until the
   next reset with `known` (RAM was loaded from elsewhere). */
void core_preimage_reset(CorePreimages *pi, bool known);

#endif
