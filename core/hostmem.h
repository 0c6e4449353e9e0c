/*
 * Large host buffers (guest RAM, snapshot buffers, the translation arena)
 * on transparent huge pages.
 *
 * Every first touch of a 4 KiB host page is a page fault, and under a
 * hypervisor that traps page-table updates (the machines rewind is
 * measured on) one costs 10 to 30 us: a Linux boot took 80,000 of them,
 * a recording 15,000 more for its snapshot buffers. A 2 MiB huge page
 * takes one fault for 512 pages. The kernel only gives them to aligned
 * 2 MiB ranges of a mapping marked for them (THP "madvise" mode, the
 * default), so large buffers are marked here:
 *
 *     void *p = malloc(len);
 *     core_hostmem_advise_huge(p, len);   // a hint: no error, no effect
 *                                          // on what the buffer holds
 *     uint8_t *arena = core_hostmem_alloc(256 << 20);   // zeros, marked
 *     ...
 *     core_hostmem_free(arena, 256 << 20);
 *
 * Only host memory behaviour changes: nothing here reaches guest state.
 */
#ifndef CORE_HOSTMEM_H
#define CORE_HOSTMEM_H

#include <stddef.h>
#include <stdint.h>

/* Size of a huge page, and the smallest buffer worth marking. */
#define CORE_HOSTMEM_HUGE ((size_t)2 << 20)

/* The whole huge pages inside [addr, addr + len): their start in *start
   and their length (a multiple of CORE_HOSTMEM_HUGE, maybe 0) returned. */
size_t core_hostmem_huge_span(uintptr_t addr, size_t len, uintptr_t *start);

/* Ask for huge pages on the whole huge pages inside [p, p + len). The
   contents stay as they are; a kernel without THP ignores it. */
void core_hostmem_advise_huge(void *p, size_t len);

/* len bytes of zeros on huge pages, backed only where touched (not
   malloc: MALLOC_PERTURB_, which meson sets for tests, would write every
   byte of it), or NULL. Freed with core_hostmem_free(p, len). */
void *core_hostmem_alloc(size_t len);
void core_hostmem_free(void *p, size_t len);

#endif
