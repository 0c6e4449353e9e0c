/*
 * The W^X code buffer (see codebuf.h): one memfd, a RW and a RX view.
 *
 * The memory is shared (shmem), which takes no huge pages, and a write
 * fault on it cost 50 us under the hypervisors rewind is measured on: a
 * Linux boot writes 70 MiB of code and took 17,000 of them, the largest
 * count of any buffer. So the RW view is populated a chunk at a time
 * ahead of the bump pointer (MADV_POPULATE_WRITE, one system call for
 * POPULATE_CHUNK bytes, a third of the cost); reads through the RX view
 * fault around 16 pages at a time already. A kernel without it (before
 * 5.14) faults page by page as before.
 */
#define _GNU_SOURCE
#include "tcg/x86_64/codebuf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define POPULATE_CHUNK ((size_t)2 << 20)

struct X86CodeBuf {
    uint8_t *rw;
    uint8_t *rx;
    size_t size;
    size_t used;
    size_t populated;   /* bytes of the RW view populated from its start */
    bool no_populate;   /* the kernel refused: fault page by page */
};

X86CodeBuf *x86_codebuf_new(size_t size, char *err, size_t errlen)
{
    size = (size + 4095) & ~(size_t)4095;
    int fd = memfd_create("rewind-jit", MFD_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "JIT code buffer: memfd_create: %s",
                 strerror(errno));
        return NULL;
    }
    if (ftruncate(fd, (off_t)size) != 0) {
        snprintf(err, errlen, "JIT code buffer: ftruncate %zu bytes: %s",
                 size, strerror(errno));
        close(fd);
        return NULL;
    }
    void *rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    void *rx = rw == MAP_FAILED ? MAP_FAILED
               : mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    int saved = errno;
    close(fd);   /* the mappings keep the memory */
    if (rx == MAP_FAILED) {
        if (rw != MAP_FAILED) {
            munmap(rw, size);
        }
        snprintf(err, errlen, "JIT code buffer: mmap: %s", strerror(saved));
        return NULL;
    }
    X86CodeBuf *cb = calloc(1, sizeof(*cb));
    if (!cb) {
        munmap(rw, size);
        munmap(rx, size);
        snprintf(err, errlen, "JIT code buffer: out of memory");
        return NULL;
    }
    cb->rw = rw;
    cb->rx = rx;
    cb->size = size;
    return cb;
}

void x86_codebuf_free(X86CodeBuf *cb)
{
    if (!cb) {
        return;
    }
    munmap(cb->rw, cb->size);
    munmap(cb->rx, cb->size);
    free(cb);
}

/* Populate the RW view up to at least `end` (a chunk boundary past it). */
static void populate_to(X86CodeBuf *cb, size_t end)
{
    size_t to = (end + POPULATE_CHUNK - 1) / POPULATE_CHUNK * POPULATE_CHUNK;
    if (to > cb->size) {
        to = cb->size;
    }
    if (madvise(cb->rw + cb->populated, to - cb->populated,
                MADV_POPULATE_WRITE) != 0) {
        cb->no_populate = true;
        return;
    }
    cb->populated = to;
}

uint8_t *x86_codebuf_room(X86CodeBuf *cb, size_t need)
{
    if (need > cb->size - cb->used) {
        return NULL;
    }
    if (cb->used + need > cb->populated && !cb->no_populate) {
        populate_to(cb, cb->used + need);
    }
    return cb->rw + cb->used;
}

const uint8_t *x86_codebuf_commit(X86CodeBuf *cb, size_t used)
{
    const uint8_t *start = cb->rx + cb->used;
    size_t n = (used + 15) & ~(size_t)15;
    cb->used = n > cb->size - cb->used ? cb->size : cb->used + n;
    return start;
}

const uint8_t *x86_codebuf_rx(const X86CodeBuf *cb, const uint8_t *rw)
{
    return cb->rx + (rw - cb->rw);
}

void x86_codebuf_reset(X86CodeBuf *cb)
{
    cb->used = 0;
}

const uint8_t *x86_codebuf_base(const X86CodeBuf *cb)
{
    return cb->rx;
}

size_t x86_codebuf_used(const X86CodeBuf *cb)
{
    return cb->used;
}

size_t x86_codebuf_size(const X86CodeBuf *cb)
{
    return cb->size;
}
