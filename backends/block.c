/*
 * Raw image I/O, image locking, and reads and writes through the
 * copy-on-write overlay (backends/block_overlay.h keeps its blocks).
 *
 * A write of whole blocks goes to the overlay as it is; a write that
 * covers part of a block reads the block as the guest sees it (overlay or
 * image), patches it and writes it whole.
 */
#define _GNU_SOURCE
#include "backends/block.h"
#include "backends/block_overlay.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLK BE_BLOCK_OVERLAY_BLOCK

struct BeBlock {
    int fd;
    uint64_t size;
    bool readonly;             /* the guest may not write */
    bool cow;                  /* writes go to the overlay */
    char path[4096];
    char id[32];               /* the drive's id (names its overlay log) */
    BeOverlay *ov;             /* cow only */
};

static bool lock_image(int fd, bool exclusive, const char *path, char *err,
                       size_t errlen)
{
    struct flock fl = { .l_type = exclusive ? F_WRLCK : F_RDLCK,
                        .l_whence = SEEK_SET };
    if (fcntl(fd, F_OFD_SETLK, &fl) == 0) {
        return true;
    }
    if (errno == EAGAIN || errno == EACCES) {
        snprintf(err, errlen, "%s: image is locked by another process "
                 "(%s); is another rewind or qemu using it?", path,
                 exclusive ? "this drive writes it, which needs it unused"
                           : "someone is writing it");
    } else {
        snprintf(err, errlen, "%s: cannot lock the image: %s", path,
                 strerror(errno));
    }
    return false;
}

BeBlock *be_block_open(const CoreDriveOpt *d, bool cow, char *err,
                       size_t errlen)
{
    bool write_image = !cow && !d->snapshot && !d->readonly;
    int fd = open(d->filename, (write_image ? O_RDWR : O_RDONLY) | O_CLOEXEC |
                  O_NONBLOCK);
    if (fd < 0) {
        snprintf(err, errlen, "drive '%s': %s: %s", d->id, d->filename,
                 strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "drive '%s': %s: not a regular file", d->id,
                 d->filename);
        close(fd);
        return NULL;
    }
    char errl[512];
    if (!lock_image(fd, write_image, d->filename, errl, sizeof(errl))) {
        snprintf(err, errlen, "drive '%s': %s", d->id, errl);
        close(fd);
        return NULL;
    }
    uint8_t magic[4] = { 0 };
    if (pread(fd, magic, 4, 0) == 4 && memcmp(magic, "QFI\xfb", 4) == 0) {
        snprintf(err, errlen, "drive '%s': %s is a qcow2 image, which rewind "
                 "does not read: convert it with 'qemu-img convert -O raw "
                 "%s IMAGE.raw'", d->id, d->filename, d->filename);
        close(fd);
        return NULL;
    }
    BeBlock *b = calloc(1, sizeof(*b));
    if (!b) {
        snprintf(err, errlen, "out of memory");
        close(fd);
        return NULL;
    }
    b->fd = fd;
    b->size = (uint64_t)st.st_size;
    b->readonly = d->readonly;
    b->cow = !write_image;
    snprintf(b->path, sizeof(b->path), "%s", d->filename);
    snprintf(b->id, sizeof(b->id), "%s", d->id);
    if (b->cow && !(b->ov = be_overlay_new(b->size, d->filename))) {
        snprintf(err, errlen, "out of memory");
        be_block_close(b);
        return NULL;
    }
    return b;
}

void be_block_close(BeBlock *b)
{
    if (b) {
        close(b->fd);   /* drops the lock */
        be_overlay_free(b->ov);
        free(b);
    }
}

uint64_t be_block_size(const BeBlock *b)
{
    return b->size;
}

bool be_block_readonly(const BeBlock *b)
{
    return b->readonly;
}

size_t be_block_overlay_blocks(const BeBlock *b)
{
    return b->ov ? be_overlay_blocks(b->ov) : 0;
}

bool be_block_set_log(BeBlock *b, const char *dir, bool record)
{
    if (!b->ov) {
        return true;
    }
    char path[4200];
    if ((size_t)snprintf(path, sizeof(path), "%s/overlay-%s.log", dir,
                         b->id) >= sizeof(path)) {
        return false;
    }
    return record ? be_overlay_set_record(b->ov, path)
                  : be_overlay_set_source(b->ov, path);
}

/* Read from the image itself; bytes past its end read as zero. */
static int image_read(BeBlock *b, uint64_t off, uint8_t *buf, size_t len)
{
    while (len) {
        ssize_t n = pread(b->fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -1;
        }
        if (n == 0) {
            memset(buf, 0, len);
            return 0;
        }
        buf += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

int be_block_read(BeBlock *b, uint64_t off, void *buf, size_t len)
{
    uint8_t *p = buf;
    if (!b->cow || be_overlay_blocks(b->ov) == 0) {
        return image_read(b, off, p, len);
    }
    while (len) {
        uint64_t idx = off / BLK, in = off % BLK;
        size_t n = BLK - in < len ? (size_t)(BLK - in) : len;
        switch (be_overlay_lookup(b->ov, idx)) {
        case BE_OVERLAY_ABSENT: {
            /* Read the run of blocks up to the next overlay block at once. */
            uint64_t next = be_overlay_next(b->ov, idx);
            uint64_t room = next == UINT64_MAX ? UINT64_MAX
                                               : next * BLK - off;
            n = room < len ? (size_t)room : len;
            if (image_read(b, off, p, n) != 0) {
                return -1;
            }
            break;
        }
        case BE_OVERLAY_DATA:
            if (be_overlay_read_block(b->ov, idx, in, p, n) != 0) {
                return -1;
            }
            break;
        case BE_OVERLAY_ZERO:
            memset(p, 0, n);
            break;
        }
        p += n;
        off += n;
        len -= n;
    }
    return 0;
}

static int image_write(BeBlock *b, uint64_t off, const uint8_t *buf,
                       size_t len)
{
    while (len) {
        ssize_t n = pwrite(b->fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        buf += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

/* Part of block idx (bytes [in, in + n)) becomes src, or zeroes when src
   is NULL: the block as the guest sees it, patched, written whole. */
static int patch_block(BeBlock *b, uint64_t idx, uint64_t in, size_t n,
                       const uint8_t *src)
{
    uint8_t blk[BLK];
    if (be_block_read(b, idx * BLK, blk, BLK) != 0) {
        return -1;
    }
    if (src) {
        memcpy(blk + in, src, n);
    } else {
        memset(blk + in, 0, n);
    }
    return be_overlay_put(b->ov, idx, 1, blk);
}

/* Bytes [off, off + len) become src (or zeroes) in the overlay. */
static int overlay_write(BeBlock *b, uint64_t off, const uint8_t *src,
                         uint64_t len)
{
    while (len) {
        uint64_t idx = off / BLK, in = off % BLK;
        uint64_t n;
        int rc;
        if (in == 0 && len >= BLK) {
            /* Whole blocks go in as they are, many at once. */
            uint64_t count = len / BLK;
            n = count * BLK;
            rc = be_overlay_put(b->ov, idx, count, src);
        } else {
            n = BLK - in < len ? BLK - in : len;
            rc = patch_block(b, idx, in, (size_t)n, src);
        }
        if (rc != 0) {
            return -1;
        }
        if (src) {
            src += n;
        }
        off += n;
        len -= n;
    }
    return 0;
}

int be_block_write(BeBlock *b, uint64_t off, const void *buf, size_t len)
{
    if (b->readonly) {
        return -1;
    }
    if (!b->cow) {
        return image_write(b, off, buf, len);
    }
    return overlay_write(b, off, buf, len);
}

int be_block_write_zeroes(BeBlock *b, uint64_t off, uint64_t len)
{
    static const uint8_t zeroes[BLK];
    if (b->readonly) {
        return -1;
    }
    if (b->cow) {
        return overlay_write(b, off, NULL, len);
    }
    while (len) {
        uint64_t n = len < BLK ? len : BLK;
        if (image_write(b, off, zeroes, (size_t)n) != 0) {
            return -1;
        }
        off += n;
        len -= n;
    }
    return 0;
}

int be_block_flush(BeBlock *b)
{
    /* Every overlay record is in the kernel when written, which a killed
       recorder keeps; the guest's flush makes a recording's log durable
       too. A host fdatasync takes host time, which never reaches the
       guest (the completion time is modelled by the device). */
    if (!b->cow) {
        return fdatasync(b->fd) == 0 ? 0 : -1;
    }
    return be_overlay_sync(b->ov);
}

const char *be_block_host_error(const BeBlock *b)
{
    const char *e = b->ov ? be_overlay_error(b->ov) : NULL;
    return e && e[0] ? e : NULL;
}

bool be_block_check_log(const BeBlock *b, char *why, size_t whylen)
{
    const char *d = b->ov ? be_overlay_damage(b->ov) : NULL;
    if (d) {
        snprintf(why, whylen, "%s", d);
    }
    return d == NULL;
}

void be_block_overlay_save(const BeBlock *b, CoreBuf *out)
{
    if (b->ov) {
        be_overlay_save(b->ov, out);
    } else {
        static const uint8_t none[BE_OVERLAY_STATE_BYTES];
        core_buf_append(out, none, sizeof(none));   /* an empty overlay */
    }
}

int be_block_overlay_load(BeBlock *b, const uint8_t *data, size_t len,
                          char *err, size_t errlen)
{
    if (!data) {
        snprintf(err, errlen, "%s: a disk overlay saved whole (by an older "
                 "rewind) is no longer read", b->path);
        return -1;
    }
    if (!b->ov) {
        static const uint8_t none[BE_OVERLAY_STATE_BYTES];
        if (len == sizeof(none) && memcmp(data, none, len) == 0) {
            return 0;
        }
        snprintf(err, errlen, "%s: the snapshot has disk writes, this drive "
                 "writes its image", b->path);
        return -1;
    }
    return be_overlay_load(b->ov, data, len, err, errlen);
}
