/*
 * The overlay log and its block map (see backends/block_overlay.h).
 *
 * File: a 32-byte header ("RWOVLOG\0", u32 version 1, u32 block size
 * 4096, u64 image size, u64 0), then records back to back:
 *     u64 block index, u32 flags (bit 0: a block of zeroes, no data),
 *     u32 0, the block's 4096 bytes unless bit 0, u64 chain hash
 * where a record's chain hash is core_hash of the previous one (u64, 0
 * before the first record), its 16 header bytes and its data. A position
 * in the log counts record bytes (the header excluded).
 *
 * The own log may hold records past the current point (a restore went
 * back): they stay valid history up to `phys` until the next write, so
 * going forward again to a point among them needs no recorded log. The
 * map is sorted by block index: lookups are binary searches, and the
 * sequential writes that dominate append at its end.
 */
#define _GNU_SOURCE
#include "backends/block_overlay.h"

#include "core/hash.h"
#include "core/loader.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLK BE_OVERLAY_BLOCK
#define FILE_HDR 32u
#define REC_HDR 16u
#define REC_TRAILER 8u
#define REC_ZERO 1u
#define MAP_ZERO UINT64_MAX        /* map entry of a block of zeroes */
#define BATCH_BYTES (16u * (REC_HDR + BLK + REC_TRAILER))
#define LOG_MAGIC "RWOVLOG"        /* with its NUL: 8 bytes */
#define LOG_VERSION 1u

typedef struct OvEntry {
    uint64_t idx;
    uint64_t pos;                  /* of the block's data in the log */
} OvEntry;

struct BeOverlay {
    uint64_t image_size, nblocks;
    char name[4096];               /* the image, for messages */
    OvEntry *map;
    size_t nmap, capmap;
    int fd;                        /* own log; -1 until the first record */
    char path[4096];               /* record: the trace's file; "" temp */
    uint64_t len, hash;            /* the current point */
    uint64_t phys;                 /* own log valid up to here */
    char src_path[4096];           /* replay: the recorded log */
    int src_fd;
    uint64_t src_len;              /* its record bytes */
    uint8_t *scratch;              /* BATCH_BYTES */
    uint8_t *cmp;                  /* BATCH_BYTES, for the comparison */
    bool unchecked;                /* a restore moved the point */
    char err[512];
    char damage[600];
};

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;) {
        v = v << 8 | p[i];
    }
    return v;
}

static int say(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int say(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

BeOverlay *be_overlay_new(uint64_t image_size, const char *name)
{
    BeOverlay *o = calloc(1, sizeof(*o));
    if (!o || !(o->scratch = malloc(BATCH_BYTES)) ||
        !(o->cmp = malloc(BATCH_BYTES))) {
        if (o) {
            free(o->scratch);
        }
        free(o);
        return NULL;
    }
    o->image_size = image_size;
    o->nblocks = (image_size + BLK - 1) / BLK;
    snprintf(o->name, sizeof(o->name), "%s", name);
    o->fd = -1;
    o->src_fd = -1;
    return o;
}

void be_overlay_free(BeOverlay *o)
{
    if (o) {
        if (o->fd >= 0) {
            close(o->fd);
        }
        if (o->src_fd >= 0) {
            close(o->src_fd);
        }
        free(o->map);
        free(o->scratch);
        free(o->cmp);
        free(o);
    }
}

bool be_overlay_set_record(BeOverlay *o, const char *path)
{
    return (size_t)snprintf(o->path, sizeof(o->path), "%s", path) <
           sizeof(o->path);
}

bool be_overlay_set_source(BeOverlay *o, const char *path)
{
    return (size_t)snprintf(o->src_path, sizeof(o->src_path), "%s", path) <
           sizeof(o->src_path);
}

const char *be_overlay_error(const BeOverlay *o)
{
    return o->err;
}

const char *be_overlay_damage(const BeOverlay *o)
{
    return o->damage[0] ? o->damage : NULL;
}

int be_overlay_sync(BeOverlay *o)
{
    if (o->path[0] && o->fd >= 0 && fdatasync(o->fd) != 0) {
        say(o->err, sizeof(o->err), "%s: syncing %s: %s", o->name, o->path,
            strerror(errno));
        return -1;
    }
    return 0;
}

size_t be_overlay_blocks(const BeOverlay *o)
{
    return o->nmap;
}

/* ---- the map ---- */

static size_t map_find(const BeOverlay *o, uint64_t idx, bool *found)
{
    size_t lo = 0, hi = o->nmap;
    if (hi && o->map[hi - 1].idx < idx) {
        lo = hi;                   /* appending: the common case */
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->map[mid].idx < idx) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *found = lo < o->nmap && o->map[lo].idx == idx;
    return lo;
}

static bool map_set(BeOverlay *o, uint64_t idx, uint64_t pos)
{
    bool found;
    size_t i = map_find(o, idx, &found);
    if (found) {
        o->map[i].pos = pos;
        return true;
    }
    if (o->nmap == o->capmap) {
        size_t cap = o->capmap ? o->capmap * 2 : 256;
        OvEntry *n = realloc(o->map, cap * sizeof(*n));
        if (!n) {
            return false;
        }
        o->map = n;
        o->capmap = cap;
    }
    memmove(&o->map[i + 1], &o->map[i], (o->nmap - i) * sizeof(*o->map));
    o->map[i] = (OvEntry){ idx, pos };
    o->nmap++;
    return true;
}

BeOverlayHit be_overlay_lookup(const BeOverlay *o, uint64_t idx)
{
    bool found;
    size_t i = map_find(o, idx, &found);
    if (!found) {
        return BE_OVERLAY_ABSENT;
    }
    return o->map[i].pos == MAP_ZERO ? BE_OVERLAY_ZERO : BE_OVERLAY_DATA;
}

uint64_t be_overlay_next(const BeOverlay *o, uint64_t idx)
{
    bool found;
    size_t i = map_find(o, idx, &found);
    return i < o->nmap ? o->map[i].idx : UINT64_MAX;
}

/* ---- file I/O ---- */

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
    return core_read_at(fd, off, buf, len) ? 0 : -1;
}

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

int be_overlay_read_block(BeOverlay *o, uint64_t idx, uint64_t in,
                          void *buf, size_t len)
{
    bool found;
    size_t i = map_find(o, idx, &found);
    if (!found || o->map[i].pos == MAP_ZERO || in + len > BLK ||
        pread_all(o->fd, buf, len, FILE_HDR + o->map[i].pos + in) != 0) {
        say(o->err, sizeof(o->err), "%s: cannot read the overlay log",
                 o->name);
        return -1;
    }
    return 0;
}

static void file_header(const BeOverlay *o, uint8_t *h)
{
    memset(h, 0, FILE_HDR);
    memcpy(h, LOG_MAGIC, 8);
    put_le(h + 8, LOG_VERSION, 4);
    put_le(h + 12, BLK, 4);
    put_le(h + 16, o->image_size, 8);
}

/* Create the own log: the trace's file when recording, else a temporary
   file nobody else sees. */
static int open_log(BeOverlay *o)
{
    if (o->path[0]) {
        o->fd = open(o->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    } else {
        const char *dir = getenv("TMPDIR");
        if (!dir || !*dir) {
            dir = "/tmp";
        }
        o->fd = open(dir, O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
        if (o->fd < 0) {
            char tmpl[4200];
            snprintf(tmpl, sizeof(tmpl), "%s/rewind-overlay-XXXXXX", dir);
            o->fd = mkostemp(tmpl, O_CLOEXEC);
            if (o->fd >= 0) {
                unlink(tmpl);
            }
        }
    }
    uint8_t h[FILE_HDR];
    file_header(o, h);
    if (o->fd < 0 || pwrite_all(o->fd, h, FILE_HDR, 0) != 0) {
        say(o->err, sizeof(o->err), "%s: cannot create the overlay "
                 "log %s: %s", o->name, o->path[0] ? o->path : "(temporary)",
                 strerror(errno));
        if (o->fd >= 0) {
            close(o->fd);
            o->fd = -1;
        }
        return -1;
    }
    return 0;
}

static int open_source(BeOverlay *o, char *err, size_t errlen);

/* Replaying straight on: the records about to go at o->len must be the
   recorded log's. */
static void compare_source(BeOverlay *o, size_t n)
{
    if (!o->src_path[0] || o->unchecked || o->damage[0]) {
        return;
    }
    if (open_source(o, o->damage, sizeof(o->damage)) != 0) {
        return;
    }
    if (o->src_len < o->len + n) {
        say(o->damage, sizeof(o->damage), "%s: truncated at byte %" PRIu64
            " of its records; the replay wrote up to %" PRIu64, o->src_path,
            o->src_len, o->len + n);
    } else if (pread_all(o->src_fd, o->cmp, n, FILE_HDR + o->len) != 0 ||
               memcmp(o->cmp, o->scratch, n) != 0) {
        say(o->damage, sizeof(o->damage), "%s: records at bytes %" PRIu64
            "..%" PRIu64 " differ from what the replay wrote (damaged)",
            o->src_path, FILE_HDR + o->len, FILE_HDR + o->len + n);
    }
}

/* Append the records in scratch[0..n) (their chain already computed) and
   enter them in the map. */
static int append(BeOverlay *o, size_t n, uint64_t hash)
{
    if (o->fd < 0 && open_log(o) != 0) {
        return -1;
    }
    if (pwrite_all(o->fd, o->scratch, n, FILE_HDR + o->len) != 0) {
        say(o->err, sizeof(o->err), "%s: writing the overlay log %s: %s",
            o->name, o->path[0] ? o->path : "(temporary)", strerror(errno));
        return -1;
    }
    for (size_t p = 0; p < n;) {
        uint64_t idx = get_le(o->scratch + p, 8);
        bool zero = get_le(o->scratch + p + 8, 4) & REC_ZERO;
        if (!map_set(o, idx, zero ? MAP_ZERO : o->len + p + REC_HDR)) {
            say(o->err, sizeof(o->err), "%s: out of memory for the "
                     "overlay map", o->name);
            return -1;
        }
        p += REC_HDR + (zero ? 0 : BLK) + REC_TRAILER;
    }
    o->len += n;
    o->phys = o->len;              /* anything after is no longer history */
    o->hash = hash;
    return 0;
}

static uint64_t chain(uint64_t prev, const uint8_t *rec, size_t body)
{
    uint8_t le[8];
    put_le(le, prev, 8);
    CoreHash h;
    core_hash_init(&h);
    core_hash_update(&h, le, 8);
    core_hash_update(&h, rec, body);
    return core_hash_final(&h);
}

int be_overlay_put(BeOverlay *o, uint64_t idx, uint64_t count,
                   const uint8_t *data)
{
    while (count) {
        size_t n = 0;
        uint64_t hash = o->hash;
        size_t rec = REC_HDR + (data ? BLK : 0) + REC_TRAILER;
        while (count && n + rec <= BATCH_BYTES) {
            uint8_t *r = o->scratch + n;
            put_le(r, idx, 8);
            put_le(r + 8, data ? 0 : REC_ZERO, 4);
            put_le(r + 12, 0, 4);
            if (data) {
                memcpy(r + REC_HDR, data, BLK);
                data += BLK;
            }
            hash = chain(hash, r, rec - REC_TRAILER);
            put_le(r + rec - REC_TRAILER, hash, 8);
            n += rec;
            idx++;
            count--;
        }
        compare_source(o, n);
        if (append(o, n, hash) != 0) {
            return -1;
        }
    }
    return 0;
}

/* ---- state ---- */

void be_overlay_save(const BeOverlay *o, CoreBuf *out)
{
    uint8_t s[BE_OVERLAY_STATE_BYTES];
    put_le(s, o->len, 8);
    put_le(s + 8, o->hash, 8);
    core_buf_append(out, s, sizeof(s));
}

/* The chain hash at record boundary `pos` of a log (its trailer). */
static int hash_at(int fd, uint64_t pos, uint64_t *hash)
{
    uint8_t le[8];
    if (pos == 0) {
        *hash = 0;
        return 0;
    }
    if (fd < 0 || pread_all(fd, le, 8, FILE_HDR + pos - 8) != 0) {
        return -1;
    }
    *hash = get_le(le, 8);
    return 0;
}

/* The map for the own log's records [0, pos): they were written (or
   checked) by this process, so only their headers are read. */
static int rebuild_map(BeOverlay *o, uint64_t pos, char *err, size_t errlen)
{
    o->nmap = 0;
    for (uint64_t p = 0; p < pos;) {
        uint8_t h[REC_HDR];
        if (pread_all(o->fd, h, REC_HDR, FILE_HDR + p) != 0) {
            return say(err, errlen, "%s: cannot read the overlay log",
                       o->name);
        }
        bool zero = get_le(h + 8, 4) & REC_ZERO;
        if (!map_set(o, get_le(h, 8), zero ? MAP_ZERO : p + REC_HDR)) {
            return say(err, errlen, "%s: out of memory for the overlay map",
                       o->name);
        }
        p += REC_HDR + (zero ? 0 : BLK) + REC_TRAILER;
    }
    return 0;
}

/* Open the recorded log and check its header. */
static int open_source(BeOverlay *o, char *err, size_t errlen)
{
    if (o->src_fd >= 0) {
        return 0;
    }
    if (!o->src_path[0]) {
        return say(err, errlen, "%s: the overlay has no log to go forward "
                   "in", o->name);
    }
    int fd = open(o->src_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0) {
        return say(err, errlen, "%s: %s (the recorded disk overlay log)",
                   o->src_path, strerror(errno));
    }
    uint8_t h[FILE_HDR], want[FILE_HDR];
    file_header(o, want);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return say(err, errlen, "%s: not a regular file", o->src_path);
    }
    if ((uint64_t)st.st_size < FILE_HDR ||
        pread_all(fd, h, FILE_HDR, 0) != 0) {
        close(fd);
        return say(err, errlen, "%s: truncated: no overlay log header",
                   o->src_path);
    }
    if (memcmp(h, want, FILE_HDR) != 0) {
        close(fd);
        return say(err, errlen, "%s: not an overlay log of version %u for "
                   "a %" PRIu64 "-byte image (header differs)", o->src_path,
                   LOG_VERSION, o->image_size);
    }
    o->src_fd = fd;
    o->src_len = (uint64_t)st.st_size - FILE_HDR;
    return 0;
}

/* Go forward from the current point to `target` by copying the recorded
   log's records into the own one, checking each as hostile data. */
static int forward(BeOverlay *o, uint64_t target, char *err, size_t errlen)
{
    if (open_source(o, err, errlen) != 0) {
        return -1;
    }
    uint64_t theirs;
    if (o->len && (o->len > o->src_len ||
                   hash_at(o->src_fd, o->len, &theirs) != 0 ||
                   theirs != o->hash)) {
        /* This replay's writes differ from the recording's: start over. */
        o->len = o->hash = 0;
        o->nmap = 0;
    }
    if (o->fd < 0 && open_log(o) != 0) {
        return say(err, errlen, "%s", o->err);
    }
    uint8_t *rec = o->scratch;
    while (o->len < target) {
        uint64_t p = o->len;
        if (o->src_len - p < REC_HDR) {
            return say(err, errlen, "%s: truncated at byte %" PRIu64 " of "
                       "its records; a checkpoint needs %" PRIu64,
                       o->src_path, o->src_len, target);
        }
        if (pread_all(o->src_fd, rec, REC_HDR, FILE_HDR + p) != 0) {
            return say(err, errlen, "%s: truncated or unreadable at byte %"
                       PRIu64, o->src_path, FILE_HDR + p);
        }
        uint64_t idx = get_le(rec, 8);
        uint32_t flags = (uint32_t)get_le(rec + 8, 4);
        if (idx >= o->nblocks || (flags & ~REC_ZERO) || get_le(rec + 12, 4)) {
            return say(err, errlen, "%s: corrupt record at byte %" PRIu64
                       " (block %" PRIu64 " of %" PRIu64 ", flags %#x)",
                       o->src_path, FILE_HDR + p, idx, o->nblocks, flags);
        }
        size_t body = REC_HDR + (flags & REC_ZERO ? 0 : BLK);
        if (o->src_len - p < body + REC_TRAILER) {
            return say(err, errlen, "%s: truncated at byte %" PRIu64 " of "
                       "its records; a checkpoint needs %" PRIu64,
                       o->src_path, o->src_len, target);
        }
        if (target - p < body + REC_TRAILER) {
            return say(err, errlen, "%s: a checkpoint's point %" PRIu64
                       " is not between two records", o->src_path, target);
        }
        if (pread_all(o->src_fd, rec + REC_HDR, body - REC_HDR + REC_TRAILER,
                      FILE_HDR + p + REC_HDR) != 0) {
            return say(err, errlen, "%s: truncated or unreadable at byte %"
                       PRIu64, o->src_path, FILE_HDR + p + REC_HDR);
        }
        uint64_t hash = chain(o->hash, rec, body);
        if (get_le(rec + body, 8) != hash) {
            return say(err, errlen, "%s: corrupt record at byte %" PRIu64
                       " (hash mismatch)", o->src_path, FILE_HDR + p);
        }
        if (append(o, body + REC_TRAILER, hash) != 0) {
            return say(err, errlen, "%s", o->err);
        }
    }
    return 0;
}

int be_overlay_load(BeOverlay *o, const uint8_t *data, size_t len,
                    char *err, size_t errlen)
{
    if (len != BE_OVERLAY_STATE_BYTES) {
        return say(err, errlen, "%s: overlay state of %zu bytes, want %u",
                   o->name, len, BE_OVERLAY_STATE_BYTES);
    }
    uint64_t target = get_le(data, 8), want = get_le(data + 8, 8);
    if (target == o->len && want == o->hash) {
        return 0;
    }
    o->unchecked = true;           /* only a straight replay compares */
    uint64_t mine;
    if (target <= o->phys && hash_at(o->fd, target, &mine) == 0 &&
        mine == want) {
        /* A point of the own log (checked by its chain hash). */
        o->len = target;
        o->hash = want;
        return rebuild_map(o, target, err, errlen);
    }
    /* Further on, or another history: the recorded log, from the last
       point the own log shares with it. */
    if (o->phys > o->len && o->phys <= target &&
        hash_at(o->fd, o->phys, &mine) == 0) {
        o->len = o->phys;
        o->hash = mine;
        if (rebuild_map(o, o->len, err, errlen) != 0) {
            return -1;
        }
    }
    uint64_t back_len = o->len, back_hash = o->hash;
    if (forward(o, target, err, errlen) == 0) {
        if (o->hash == want) {
            return 0;
        }
        say(err, errlen, "%s: records up to byte %" PRIu64 " do not give "
            "the checkpoint's overlay (hash %016" PRIx64 ", want %016"
            PRIx64 ")", o->src_path, target, o->hash, want);
    }
    /* Leave a consistent overlay behind: the point before, if the own log
       still has it, else empty. */
    if (back_len <= o->phys && hash_at(o->fd, back_len, &mine) == 0 &&
        mine == back_hash) {
        o->len = back_len;
        o->hash = back_hash;
    } else {
        o->len = o->hash = 0;
    }
    char ignore[64];
    rebuild_map(o, o->len, ignore, sizeof(ignore));
    return -1;
}
