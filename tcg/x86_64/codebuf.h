/*
 * The JIT's code buffer: host memory that is never writable and executable
 * at once (W^X).
 *
 * One memfd is mapped twice: a read-write view the translator writes into
 * and a read-execute view the host runs. x86 keeps instruction fetch
 * coherent with stores through another mapping of the same physical page,
 * so no cache maintenance is needed. Toggling one mapping with mprotect
 * would cost two system calls (and a TLB shootdown) per translated block;
 * the double mapping costs nothing per block.
 *
 * Allocation is a bump pointer; when a translation does not fit, the owner
 * flushes everything (x86_codebuf_reset) together with the translation
 * block cache, as QEMU does, rather than freeing blocks one by one.
 *
 * Usage:
 *     X86CodeBuf *cb = x86_codebuf_new(32 << 20, err, sizeof err);
 *     uint8_t *w = x86_codebuf_room(cb, need);   // NULL: full, reset first
 *     ...write at most `need` bytes at w...
 *     const void *code = x86_codebuf_commit(cb, used); // its RX address
 */
#ifndef TCG_X86_64_CODEBUF_H
#define TCG_X86_64_CODEBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct X86CodeBuf X86CodeBuf;

/* NULL with a message in err if the host refuses the mappings. */
X86CodeBuf *x86_codebuf_new(size_t size, char *err, size_t errlen);
void x86_codebuf_free(X86CodeBuf *cb);

/* Writable pointer with at least `need` bytes after it, or NULL if the
   buffer is too full (the caller resets it and the block cache). */
uint8_t *x86_codebuf_room(X86CodeBuf *cb, size_t need);
/* The last x86_codebuf_room wrote `used` bytes: keep them (16-byte
   aligned) and return the executable address of their start. */
const uint8_t *x86_codebuf_commit(X86CodeBuf *cb, size_t used);
/* Executable address of a writable one inside the buffer. */
const uint8_t *x86_codebuf_rx(const X86CodeBuf *cb, const uint8_t *rw);
/* Forget every translation. */
void x86_codebuf_reset(X86CodeBuf *cb);
/* Executable address of the buffer's first byte. */
const uint8_t *x86_codebuf_base(const X86CodeBuf *cb);
size_t x86_codebuf_used(const X86CodeBuf *cb);
size_t x86_codebuf_size(const X86CodeBuf *cb);

#endif
