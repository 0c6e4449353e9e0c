/*
 * Raw image I/O, image locking and the copy-on-write overlay (see
 * backends/block.h).
 *
 * The overlay is a sorted array of 4 KiB blocks (index, data; data NULL
 * for a block of zeroes, so a discard of the whole disk costs no memory).
 * A block enters it on its first write, filled from the image first when
 * the write covers only part of it. Sorted order makes the saved bytes,
 * and so the state hash, a function of the overlay's content alone.
 *
 * Saved layout: u64 count, then per block u64 index with bit 63 set for a
 * block of zeroes, followed (when that bit is clear) by its 4096 bytes.
 */
#define _GNU_SOURCE
#include "backends/block.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLK BE_BLOCK_OVERLAY_BLOCK
#define ZERO_FLAG (1ull << 63)

typedef struct OvBlock {
    uint64_t idx;
    uint8_t *data;             /* NULL: zeroes */
} OvBlock;

struct BeBlock {
    int fd;
    uint64_t size;
    bool readonly;             /* the guest may not write */
    bool cow;                  /* writes go to the overlay */
    char path[4096];
    OvBlock *ov;
    size_t nov, capov;
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
    return b;
}

static void ov_clear(BeBlock *b)
{
    for (size_t i = 0; i < b->nov; i++) {
        free(b->ov[i].data);
    }
    b->nov = 0;
}

void be_block_close(BeBlock *b)
{
    if (b) {
        close(b->fd);   /* drops the lock */
        ov_clear(b);
        free(b->ov);
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
    return b->nov;
}

/* Position of block idx in the overlay, or where it would go. */
static size_t ov_find(const BeBlock *b, uint64_t idx, bool *found)
{
    size_t lo = 0, hi = b->nov;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->ov[mid].idx < idx) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *found = lo < b->nov && b->ov[lo].idx == idx;
    return lo;
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
    if (!b->cow || b->nov == 0) {
        return image_read(b, off, p, len);
    }
    while (len) {
        uint64_t idx = off / BLK, in = off % BLK;
        size_t n = BLK - in < len ? (size_t)(BLK - in) : len;
        bool found;
        size_t i = ov_find(b, idx, &found);
        if (!found) {
            /* Read the run of blocks up to the next overlay block at once. */
            uint64_t stop = i < b->nov ? b->ov[i].idx * BLK : UINT64_MAX;
            uint64_t room = stop - off;
            n = room < len ? (size_t)room : len;
            if (image_read(b, off, p, n) != 0) {
                return -1;
            }
        } else if (b->ov[i].data) {
            memcpy(p, b->ov[i].data + in, n);
        } else {
            memset(p, 0, n);
        }
        p += n;
        off += n;
        len -= n;
    }
    return 0;
}

/* The overlay block idx, created (from the image) if absent; NULL when out
   of memory or the image cannot be read. */
static OvBlock *ov_get(BeBlock *b, uint64_t idx, bool fill)
{
    bool found;
    size_t i = ov_find(b, idx, &found);
    if (!found) {
        if (b->nov == b->capov) {
            size_t cap = b->capov ? b->capov * 2 : 64;
            OvBlock *n = realloc(b->ov, cap * sizeof(*n));
            if (!n) {
                return NULL;
            }
            b->ov = n;
            b->capov = cap;
        }
        uint8_t *data = malloc(BLK);
        if (!data || (fill && image_read(b, idx * BLK, data, BLK) != 0)) {
            free(data);
            return NULL;
        }
        memmove(&b->ov[i + 1], &b->ov[i], (b->nov - i) * sizeof(*b->ov));
        b->ov[i] = (OvBlock){ idx, data };
        b->nov++;
        return &b->ov[i];
    }
    if (!b->ov[i].data) {
        b->ov[i].data = calloc(1, BLK);
        if (!b->ov[i].data) {
            return NULL;
        }
    }
    return &b->ov[i];
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

int be_block_write(BeBlock *b, uint64_t off, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    if (b->readonly) {
        return -1;
    }
    if (!b->cow) {
        return image_write(b, off, p, len);
    }
    while (len) {
        uint64_t idx = off / BLK, in = off % BLK;
        size_t n = BLK - in < len ? (size_t)(BLK - in) : len;
        OvBlock *o = ov_get(b, idx, n != BLK);
        if (!o) {
            return -1;
        }
        memcpy(o->data + in, p, n);
        p += n;
        off += n;
        len -= n;
    }
    return 0;
}

int be_block_write_zeroes(BeBlock *b, uint64_t off, uint64_t len)
{
    static const uint8_t zeroes[BLK];
    if (b->readonly) {
        return -1;
    }
    while (len) {
        uint64_t idx = off / BLK, in = off % BLK;
        uint64_t n = BLK - in < len ? BLK - in : len;
        if (!b->cow) {
            if (image_write(b, off, zeroes, (size_t)n) != 0) {
                return -1;
            }
        } else if (n == BLK) {
            /* A whole block: a zero entry, no data. */
            bool found;
            size_t i = ov_find(b, idx, &found);
            if (found) {
                free(b->ov[i].data);
                b->ov[i].data = NULL;
            } else {
                OvBlock *o = ov_get(b, idx, false);
                if (!o) {
                    return -1;
                }
                free(o->data);
                o->data = NULL;
            }
        } else {
            OvBlock *o = ov_get(b, idx, true);
            if (!o) {
                return -1;
            }
            memset(o->data + in, 0, (size_t)n);
        }
        off += n;
        len -= n;
    }
    return 0;
}

int be_block_flush(BeBlock *b)
{
    /* The overlay is memory: nothing to make durable. A host fdatasync
       takes host time, which never reaches the guest (the completion time
       is modelled by the device). */
    if (!b->cow && fdatasync(b->fd) != 0) {
        return -1;
    }
    return 0;
}

static void put_u64(CoreBuf *out, uint64_t v)
{
    uint8_t le[8];
    for (int i = 0; i < 8; i++) {
        le[i] = (uint8_t)(v >> (8 * i));
    }
    core_buf_append(out, le, 8);
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = v << 8 | p[i];
    }
    return v;
}

void be_block_overlay_save(const BeBlock *b, CoreBuf *out)
{
    put_u64(out, b->nov);
    for (size_t i = 0; i < b->nov; i++) {
        put_u64(out, b->ov[i].idx | (b->ov[i].data ? 0 : ZERO_FLAG));
        if (b->ov[i].data) {
            core_buf_append(out, b->ov[i].data, BLK);
        }
    }
}

int be_block_overlay_load(BeBlock *b, const uint8_t *data, size_t len,
                          char *err, size_t errlen)
{
    if (!data) {              /* a record without the overlay: empty */
        ov_clear(b);
        return 0;
    }
    /* Check the whole thing first: a hostile count or index must not
       reach the allocator or leave a half-loaded overlay. */
    uint64_t nblocks = (b->size + BLK - 1) / BLK;
    if (len < 8) {
        snprintf(err, errlen, "%s: overlay record truncated", b->path);
        return -1;
    }
    uint64_t count = get_u64(data);
    size_t pos = 8;
    uint64_t prev = 0;
    for (uint64_t i = 0; i < count; i++) {
        if (len - pos < 8) {
            snprintf(err, errlen, "%s: overlay record truncated", b->path);
            return -1;
        }
        uint64_t v = get_u64(data + pos), idx = v & ~ZERO_FLAG;
        pos += 8;
        if (idx >= nblocks || (i && idx <= prev)) {
            snprintf(err, errlen, "%s: overlay block %" PRIu64 " out of "
                     "order or past the image's %" PRIu64 " blocks", b->path,
                     idx, nblocks);
            return -1;
        }
        prev = idx;
        if (!(v & ZERO_FLAG)) {
            if (len - pos < BLK) {
                snprintf(err, errlen, "%s: overlay record truncated", b->path);
                return -1;
            }
            pos += BLK;
        }
    }
    if (pos != len) {
        snprintf(err, errlen, "%s: %zu bytes after the overlay", b->path,
                 len - pos);
        return -1;
    }
    OvBlock *ov = count ? calloc((size_t)count, sizeof(*ov)) : NULL;
    if (count && !ov) {
        snprintf(err, errlen, "%s: out of memory for the overlay", b->path);
        return -1;
    }
    pos = 8;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t v = get_u64(data + pos);
        pos += 8;
        ov[i].idx = v & ~ZERO_FLAG;
        if (!(v & ZERO_FLAG)) {
            ov[i].data = malloc(BLK);
            if (!ov[i].data) {
                for (uint64_t j = 0; j < i; j++) {
                    free(ov[j].data);
                }
                free(ov);
                snprintf(err, errlen, "%s: out of memory for the overlay",
                         b->path);
                return -1;
            }
            memcpy(ov[i].data, data + pos, BLK);
            pos += BLK;
        }
    }
    ov_clear(b);
    free(b->ov);
    b->ov = ov;
    b->nov = b->capov = (size_t)count;
    return 0;
}
