/*
 * In-memory restore points for moving backwards quickly (reverse
 * debugging while replaying).
 *
 * A restore point keeps the machine's non-RAM state and, lazily, the old
 * content of every RAM page the moment it is first written after the
 * point (the write fault that marks a page dirty also saves it). Going
 * back to point j copies back the saved pages of the points after j, from
 * the newest to j, then loads j's state: the cost is the pages written
 * since j, not the size of RAM, and no trace needs decompressing.
 *
 * Usage:
 *     core_undo_point(m);                   // e.g. every 10^6 instructions
 *     uint64_t at;
 *     if (core_undo_restore(m, target, &at)) ...  // now at `at` <= target
 *     core_undo_clear(m);                   // after any other restore
 */
#ifndef CORE_UNDO_H
#define CORE_UNDO_H

#include "core/machine.h"

#define CORE_UNDO_MAX_POINTS 256

/* Take a restore point at the current icount (drops the oldest beyond
   CORE_UNDO_MAX_POINTS). */
void core_undo_point(CoreMachine *m);

/* Go back to the latest point at or before `icount` (and at or before the
   current icount). False if there is none; the machine is unchanged. */
bool core_undo_restore(CoreMachine *m, uint64_t icount, uint64_t *at);

/* Forget every point (the machine state was replaced some other way). */
void core_undo_clear(CoreMachine *m);

#endif
