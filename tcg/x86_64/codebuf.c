/*
 * The W^X code buffer (see codebuf.h): one memfd, a RW and a RX view.
 */
#define _GNU_SOURCE
#include "tcg/x86_64/codebuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct X86CodeBuf {
    uint8_t *rw;
    uint8_t *rx;
    size_t size;
    size_t used;
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

uint8_t *x86_codebuf_room(X86CodeBuf *cb, size_t need)
{
    if (need > cb->size - cb->used) {
        return NULL;
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
