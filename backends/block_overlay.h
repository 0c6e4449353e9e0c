/*
 * The copy-on-write overlay of a disk image: an append-only log of the
 * 4 KiB blocks the guest wrote, plus an in-memory map from block to the
 * newest copy of it in the log. Memory holds the map only (16 bytes per
 * block written), never the data, so a guest that writes much grows a
 * file, not rewind.
 *
 * Where the log lives:
 *   - recording: `DIR/overlay-ID.log` in the trace directory, created on
 *     the first write (be_overlay_set_record); every record is handed to
 *     the kernel at once, so a killed recorder's log holds every record
 *     that a checkpoint it wrote refers to;
 *   - replay and snapshot=on: an unnamed temporary file (TMPDIR, else
 *     /tmp); a replay reads the trace's log (be_overlay_set_source) only
 *     to rebuild the overlay at a checkpoint it has not reached itself,
 *     validating it as hostile data.
 *
 * The overlay's state is a point in its log: the length of the records
 * and a hash chained over them (each record's trailer), 16 bytes. That is
 * what checkpoints save (their size no longer depends on what the guest
 * wrote), and the chain covers every byte the guest wrote, in order, so
 * the state hash checks disk contents. Layout: docs/trace-format.md
 * "Disk overlays".
 */
#ifndef BACKENDS_BLOCK_OVERLAY_H
#define BACKENDS_BLOCK_OVERLAY_H

#include "core/state.h"

#include <stddef.h>
#include <stdint.h>

#define BE_OVERLAY_BLOCK 4096u
#define BE_OVERLAY_STATE_BYTES 16u

typedef struct BeOverlay BeOverlay;

/* An empty overlay over an image of image_size bytes; `name` (the image)
   names it in messages. NULL when out of memory. */
BeOverlay *be_overlay_new(uint64_t image_size, const char *name);
void be_overlay_free(BeOverlay *o);

/* Keep the log in `path` (created on the first write, refused if it
   exists). */
bool be_overlay_set_record(BeOverlay *o, const char *path);
/* Rebuild checkpoints past the own log from the recorded log `path`
   (opened, read-only, when first needed). */
bool be_overlay_set_source(BeOverlay *o, const char *path);

typedef enum BeOverlayHit {
    BE_OVERLAY_ABSENT,     /* read the image */
    BE_OVERLAY_DATA,       /* be_overlay_read_block */
    BE_OVERLAY_ZERO,       /* a block of zeroes */
} BeOverlayHit;

BeOverlayHit be_overlay_lookup(const BeOverlay *o, uint64_t idx);
/* The first overlay block at or after idx (UINT64_MAX: none). */
uint64_t be_overlay_next(const BeOverlay *o, uint64_t idx);
/* `len` bytes at `in` of block idx (which is BE_OVERLAY_DATA). 0 or -1. */
int be_overlay_read_block(BeOverlay *o, uint64_t idx, uint64_t in,
                          void *buf, size_t len);
/* Append `count` whole blocks from idx on: their bytes, or zeroes when
   data is NULL. 0, or -1 on a host I/O error (message: be_overlay_error). */
int be_overlay_put(BeOverlay *o, uint64_t idx, uint64_t count,
                   const uint8_t *data);
const char *be_overlay_error(const BeOverlay *o);
/* Recording: fdatasync the log (the guest flushed). 0 or -1. */
int be_overlay_sync(BeOverlay *o);
/* Replaying: each record the guest writes is compared with the recorded
   log's record at the same place until a checkpoint restore moves the
   overlay; the first difference (or a missing or short log) is kept
   here, naming the recorded log. NULL: none. */
const char *be_overlay_damage(const BeOverlay *o);

/* Blocks in the map (tests). */
size_t be_overlay_blocks(const BeOverlay *o);

/* The state: u64 log length, u64 chain hash (BE_OVERLAY_STATE_BYTES). */
void be_overlay_save(const BeOverlay *o, CoreBuf *out);
/* Go to that point of the log: back in the own log, or forward through
   the recorded log, checking every record. -1 with a message naming the
   file at fault; the overlay is then left empty or at an earlier point. */
int be_overlay_load(BeOverlay *o, const uint8_t *data, size_t len,
                    char *err, size_t errlen);

#endif
