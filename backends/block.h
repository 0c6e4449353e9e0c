/*
 * Block back ends: raw disk images behind a virtio-blk device.
 *
 * Spellings (QEMU's):
 *     -drive file=F,format=raw,if=none|virtio,id=ID[,readonly=on][,snapshot=on]
 *     -blockdev driver=file,filename=F,node-name=N[,read-only=on]
 *     -blockdev driver=raw,file=N,node-name=M[,read-only=on]
 * Parsing fills CoreConfig.drives (a raw node over a file node becomes
 * one drive named by the raw node; the file node is then `consumed`);
 * the device opens its drive by id (be_block_open). Only raw images:
 * qcow2 is refused with the qemu-img command that converts it.
 *
 * Images are locked as QEMU does, with open-file-description locks: a
 * writer holds an exclusive lock (no other writer or reader), a read-only
 * user a shared one, so a second rewind on an image in use fails at
 * start-up naming the file.
 *
 * Writes go to the image (`run`) or to a copy-on-write overlay of 4 KiB
 * blocks (snapshot=on, and always when recording or replaying:
 * CoreConfig.block_cow, the image is then opened read-only). The overlay
 * is a log of written blocks (backends/block_overlay.h): in the trace
 * directory when recording, in a temporary file otherwise. Reads are
 * deterministic: the image is a hashed input of a recording, so a read is
 * a function of it and of the guest's earlier writes, and is no event.
 * The overlay is guest-visible state: the device saves its point in the
 * log (16 bytes, be_block_overlay_save/load), so checkpoints stay small
 * and seeks restore the disk the guest had written.
 */
#ifndef BACKENDS_BLOCK_H
#define BACKENDS_BLOCK_H

#include "core/config.h"
#include "core/state.h"

#include <stddef.h>
#include <stdint.h>

#define BE_BLOCK_OVERLAY_BLOCK 4096u   /* = BE_OVERLAY_BLOCK */

typedef enum BeDriveParse {
    BE_DRIVE_OK,
    BE_DRIVE_VIRTIO,   /* -drive if=virtio: the front end adds the device */
    BE_DRIVE_ERROR,
} BeDriveParse;

/* One -drive argument; with if=virtio, *id is the drive's id. */
BeDriveParse be_drive_parse(const char *arg, CoreConfig *cfg,
                            const char **id, char *err, size_t errlen);
/* One -blockdev argument. */
bool be_blockdev_parse(const char *arg, CoreConfig *cfg, char *err,
                       size_t errlen);
/* Free the strings the two parsers gave cfg's drives (none left). */
void be_drive_opts_free(CoreConfig *cfg);

/* The drive (not consumed) with this id, or NULL. */
const CoreDriveOpt *be_drive_find(const CoreConfig *cfg, const char *id);

typedef struct BeBlock BeBlock;

/* Open drive d (cow: CoreConfig.block_cow). NULL with a message naming
   the file on a missing, unreadable, locked, non-regular or qcow2 image. */
BeBlock *be_block_open(const CoreDriveOpt *d, bool cow, char *err,
                       size_t errlen);
void be_block_close(BeBlock *b);
/* Where a cow drive's overlay log goes: `record`: created as
   DIR/overlay-ID.log on the first write; else (replay) DIR/overlay-ID.log
   is the recorded log a checkpoint restore reads. False if the path is
   too long. No-op for a drive without overlay. */
bool be_block_set_log(BeBlock *b, const char *dir, bool record);

uint64_t be_block_size(const BeBlock *b);
bool be_block_readonly(const BeBlock *b);

/* Byte I/O inside the image (the caller checks the range). 0, or -1 on a
   host I/O error (the guest sees VIRTIO_BLK_S_IOERR). */
int be_block_read(BeBlock *b, uint64_t off, void *buf, size_t len);
int be_block_write(BeBlock *b, uint64_t off, const void *buf, size_t len);
int be_block_write_zeroes(BeBlock *b, uint64_t off, uint64_t len);
int be_block_flush(BeBlock *b);

/* Why the last write or flush failed on the host side (the overlay log
   could not be written: disk full, I/O error), naming the file; NULL if
   nothing failed on the host. */
const char *be_block_host_error(const BeBlock *b);

/* The overlay's state (its point in the log, 16 bytes) and back; load
   goes back in the own log or forward through the recorded one, checking
   it as hostile data (an error names the file). Load of NULL (a record
   from before the log) is refused. */
void be_block_overlay_save(const BeBlock *b, CoreBuf *out);
int be_block_overlay_load(BeBlock *b, const uint8_t *data, size_t len,
                          char *err, size_t errlen);
/* Replaying: false, with why naming the recorded overlay log, when the
   guest's writes so far differ from it (damaged, truncated, missing). */
bool be_block_check_log(const BeBlock *b, char *why, size_t whylen);
/* Blocks held by the overlay (tests). */
size_t be_block_overlay_blocks(const BeBlock *b);

#endif
