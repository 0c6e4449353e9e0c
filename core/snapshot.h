/*
 * Whole-machine snapshots and the machine state hash.
 *
 * A snapshot holds the clock and scheduler position, every hart, every
 * device (through their CoreStateDesc tables) and RAM pages: all non-zero
 * pages for a full snapshot, the pages written since the previous snapshot
 * for an incremental one. Restoring checkpoint k means loading the full
 * snapshot and then every increment up to k, in order.
 *
 * The state hash covers the same state: H(harts, devices, clock) combined
 * with the hash of every RAM page. Page hashes are cached and only pages
 * written since the last hash are hashed again, so hashing a large,
 * mostly idle RAM is cheap.
 *
 * A snapshot also carries the hash of each 1 MiB of RAM, so a divergence
 * report can say which RAM ranges differ.
 */
#ifndef CORE_SNAPSHOT_H
#define CORE_SNAPSHOT_H

#include "core/machine.h"

#define CORE_SNAPSHOT_GROUP_PAGES 256   /* 1 MiB per group hash */

/* Append a snapshot of m to out. Clears the "written since the last
   checkpoint" page set (the next incremental snapshot starts from here). */
void core_snapshot_save(CoreMachine *m, bool full, CoreBuf *out);

/* The same, and *hash = core_machine_state_hash(m), from one pass over the
   devices (a recorder's checkpoint: the disk overlay is serialized once,
   not twice). */
void core_snapshot_save_hashed(CoreMachine *m, bool full, CoreBuf *out,
                               uint64_t *hash);

/* Where a streamed snapshot goes (a recorder's trace writer): told its
   size first, then handed its bytes a piece at a time, so a snapshot of
   tens of MiB never sits whole in memory. give() takes piece's piece->len
   bytes and, with more, leaves an empty buffer in *piece with room for
   at least a page entry (8 + CORE_PAGE_SIZE bytes), never reallocated by
   the snapshot; without, the last piece, it leaves none. Either returns
   false to give up (the writer failed). */
typedef struct CoreSnapshotSink {
    bool (*begin)(void *opaque, uint64_t total);
    bool (*give)(void *opaque, CoreBuf *piece, bool more);
    void *opaque;
} CoreSnapshotSink;

/* An incremental snapshot (the bytes core_snapshot_save_hashed would
   append) streamed to sink through *piece (an empty buffer of the sink's,
   as give leaves it), and its state hash. false if the sink gave up; the
   machine's side (written pages, pre-images) is done all the same. */
bool core_snapshot_save_increment_to(CoreMachine *m,
                                     const CoreSnapshotSink *sink,
                                     CoreBuf *piece, uint64_t *hash);

/* A boot snapshot of m (see core/snapshot.c): the state of a machine
   that has not run since its inputs were loaded, without its RAM pages
   (a recording's first checkpoint). */
void core_snapshot_save_boot_hashed(CoreMachine *m, CoreBuf *out,
                                    uint64_t *hash);

/* Is this a boot snapshot? Loading one leaves RAM alone: the caller puts
   the RAM of a freshly built machine back first. */
bool core_snapshot_is_boot(const uint8_t *data, size_t len);

/* Apply a snapshot. A full one first resets RAM to zero. Devices are
   found by id (core/snapshot.c says which mismatches are refused). Returns
   0, or -1 with a message in err (the machine may then be partly
   restored; a device set that does not match is refused before any
   change). */
int core_snapshot_load(CoreMachine *m, const uint8_t *data, size_t len,
                       char *err, size_t errlen);

/* The icount and idle time (ns) a snapshot restores, read from its
   header without loading it: the guest clock there is (icount << shift)
   + idle_ns. 0, or -1 with a message if it is not a snapshot this build
   reads. */
int core_snapshot_clock(const uint8_t *data, size_t len, uint64_t *icount,
                        uint64_t *idle_ns, char *err, size_t errlen);

/* Only the clock, scheduler, harts and devices (no RAM): for in-memory
   restore points that keep RAM differences elsewhere (core/undo.c). */
void core_snapshot_save_state(CoreMachine *m, CoreBuf *out);
int core_snapshot_load_state(CoreMachine *m, const uint8_t *data, size_t len,
                             char *err, size_t errlen);

/* Check that restoring this snapshot (after the previous ones of the same
   run) gives exactly the current state: its harts, devices and clock
   serialize to the same bytes, every page it carries equals RAM, a full
   snapshot carries every non-zero page, and, with `since_last`, an
   increment carries every page written since the previous check. Then
   starts a new "written since" set, as saving does. 0, or -1 with `why`. */
int core_snapshot_check(CoreMachine *m, const uint8_t *data, size_t len,
                        bool since_last, char *why, size_t whylen);

/* Describe how the current machine differs from a snapshot of the same
   point (harts, devices, clock, RAM groups) into buf. */
void core_snapshot_diff(CoreMachine *m, const uint8_t *data, size_t len,
                        char *buf, size_t buflen);

#endif
