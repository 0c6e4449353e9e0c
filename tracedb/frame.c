/*
 * Frame codec: the 64-byte record headers of events.zst and checkpoints.zst
 * (layout in tracedb_int.h and docs/trace-format.md), their CRC-32, and the
 * small file I/O helpers both the writer and the reader use.
 *
 * A header is judged in a fixed order so that damage is never mistaken for
 * a newer format: too few bytes left -> truncated; bad skippable magic, bad
 * CRC, wrong tag -> corrupt; version above ours -> newer; then the
 * version-1 fields are checked; then whether the data fits in the file.
 */
#include "tracedb/tracedb_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reflected polynomial 0xEDB88320, four bits at a time: the 16-entry table
   keeps the code short; speed is not critical at our data rates. */
static const uint32_t crc_nibble[16] = {
    0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC,
    0x76DC4190, 0x6B6B51F4, 0x4DB26158, 0x5005713C,
    0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C,
    0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C,
};

uint32_t tdb_crc32(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        crc = (crc >> 4) ^ crc_nibble[crc & 15];
        crc = (crc >> 4) ^ crc_nibble[crc & 15];
    }
    return ~crc;
}

static void hdr_begin(uint8_t out[TDB_HDR_SIZE], const char tag[4],
                      uint32_t version)
{
    memset(out, 0, TDB_HDR_SIZE);
    tdb_put_u32(out, TDB_SKIP_MAGIC);
    tdb_put_u32(out + 4, TDB_HDR_SIZE - 8);
    memcpy(out + 8, tag, 4);
    tdb_put_u32(out + 12, version);
}

static void hdr_seal(uint8_t out[TDB_HDR_SIZE])
{
    tdb_put_u32(out + 60, tdb_crc32(0, out, 60));
}

void tdb_frame_hdr_encode(uint8_t out[TDB_HDR_SIZE], const TdbFrameHdr *h)
{
    hdr_begin(out, "RWEV", h->version);
    tdb_put_u64(out + 16, h->number);
    tdb_put_u64(out + 24, h->first_icount);
    tdb_put_u64(out + 32, h->last_icount);
    tdb_put_u32(out + 40, h->n_events);
    tdb_put_u32(out + 44, h->flags);
    tdb_put_u32(out + 48, h->data_len);
    tdb_put_u32(out + 52, h->raw_len);
    tdb_put_u32(out + 56, h->data_crc);
    hdr_seal(out);
}

void tdb_ckpt_hdr_encode(uint8_t out[TDB_HDR_SIZE], const TdbCkptHdr *h)
{
    hdr_begin(out, "RWCK", h->version);
    tdb_put_u64(out + 16, h->number);
    tdb_put_u64(out + 24, h->icount);
    tdb_put_u64(out + 32, h->state_hash);
    tdb_put_u64(out + 40, h->raw_len);
    tdb_put_u64(out + 48, h->data_len);
    tdb_put_u32(out + 56, h->data_crc);
    hdr_seal(out);
}

/* Reads the 64 bytes at off and applies the version-independent checks. */
static int hdr_read_common(int fd, uint64_t off, uint64_t file_size,
                           const char tag[4], uint8_t raw[TDB_HDR_SIZE],
                           char *why, size_t whylen)
{
    if (off == file_size) {
        return TDB_AT_EOF;
    }
    if (file_size - off < TDB_HDR_SIZE) {
        return TDB_AT_TRUNCATED;
    }
    if (tdb_pread_all(fd, raw, TDB_HDR_SIZE, off) < 0) {
        snprintf(why, whylen, "read: %s", strerror(errno));
        return TDB_AT_IOERR;
    }
    if (tdb_get_u32(raw) != TDB_SKIP_MAGIC) {
        snprintf(why, whylen, "bad frame magic 0x%08x", tdb_get_u32(raw));
        return TDB_AT_CORRUPT;
    }
    if (tdb_get_u32(raw + 60) != tdb_crc32(0, raw, 60)) {
        snprintf(why, whylen, "header checksum mismatch");
        return TDB_AT_CORRUPT;
    }
    if (memcmp(raw + 8, tag, 4) != 0) {
        snprintf(why, whylen, "not a %.4s header", tag);
        return TDB_AT_CORRUPT;
    }
    uint32_t version = tdb_get_u32(raw + 12);
    if (version > TDB_FORMAT_VERSION) {
        snprintf(why, whylen,
                 "trace format version %u is newer than this rewind "
                 "supports (%u)", version, TDB_FORMAT_VERSION);
        return TDB_AT_NEWER;
    }
    if (version == 0 || tdb_get_u32(raw + 4) != TDB_HDR_SIZE - 8) {
        snprintf(why, whylen, "bad header (version %u, size %u)", version,
                 tdb_get_u32(raw + 4));
        return TDB_AT_CORRUPT;
    }
    return TDB_AT_RECORD;
}

int tdb_frame_hdr_read(int fd, uint64_t off, uint64_t file_size,
                       TdbFrameHdr *h, char *why, size_t whylen)
{
    uint8_t raw[TDB_HDR_SIZE];
    int rc = hdr_read_common(fd, off, file_size, "RWEV", raw, why, whylen);
    if (rc != TDB_AT_RECORD) {
        return rc;
    }
    h->version = tdb_get_u32(raw + 12);
    h->number = tdb_get_u64(raw + 16);
    h->first_icount = tdb_get_u64(raw + 24);
    h->last_icount = tdb_get_u64(raw + 32);
    h->n_events = tdb_get_u32(raw + 40);
    h->flags = tdb_get_u32(raw + 44);
    h->data_len = tdb_get_u32(raw + 48);
    h->raw_len = tdb_get_u32(raw + 52);
    h->data_crc = tdb_get_u32(raw + 56);
    h->offset = off;
    if (h->n_events == 0 || h->first_icount > h->last_icount ||
        h->raw_len > TDB_MAX_FRAME_RAW || (h->flags & ~TDB_FRAME_FINAL)) {
        snprintf(why, whylen, "inconsistent header fields");
        return TDB_AT_CORRUPT;
    }
    if (file_size - off - TDB_HDR_SIZE < h->data_len) {
        return TDB_AT_TRUNCATED;
    }
    return TDB_AT_RECORD;
}

int tdb_ckpt_hdr_read(int fd, uint64_t off, uint64_t file_size,
                      TdbCkptHdr *h, char *why, size_t whylen)
{
    uint8_t raw[TDB_HDR_SIZE];
    int rc = hdr_read_common(fd, off, file_size, "RWCK", raw, why, whylen);
    if (rc != TDB_AT_RECORD) {
        return rc;
    }
    h->version = tdb_get_u32(raw + 12);
    h->number = tdb_get_u64(raw + 16);
    h->icount = tdb_get_u64(raw + 24);
    h->state_hash = tdb_get_u64(raw + 32);
    h->raw_len = tdb_get_u64(raw + 40);
    h->data_len = tdb_get_u64(raw + 48);
    h->data_crc = tdb_get_u32(raw + 56);
    h->offset = off;
    if (file_size - off - TDB_HDR_SIZE < h->data_len) {
        return TDB_AT_TRUNCATED;
    }
    return TDB_AT_RECORD;
}

int tdb_write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int tdb_pread_all(int fd, void *buf, size_t len, uint64_t off)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        if (n == 0) {
            errno = EIO;   /* the file shrank under us */
            return -1;
        }
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

char *tdb_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *s = malloc(n);
    if (s) {
        snprintf(s, n, "%s/%s", dir, name);
    }
    return s;
}
