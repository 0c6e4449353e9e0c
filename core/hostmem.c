/*
 * Large host buffers on transparent huge pages (see core/hostmem.h).
 */
#include "core/hostmem.h"

#include <sys/mman.h>

size_t core_hostmem_huge_span(uintptr_t addr, size_t len, uintptr_t *start)
{
    const uintptr_t mask = CORE_HOSTMEM_HUGE - 1;
    uintptr_t lo = (addr + mask) & ~mask;
    uintptr_t hi = (addr + len) & ~mask;
    *start = lo;
    return hi > lo ? hi - lo : 0;
}

void core_hostmem_advise_huge(void *p, size_t len)
{
#ifdef MADV_HUGEPAGE
    uintptr_t start;
    size_t n = core_hostmem_huge_span((uintptr_t)p, len, &start);
    if (n) {
        /* Only a hint: EINVAL (no THP in this kernel) changes nothing. */
        (void)madvise((void *)start, n, MADV_HUGEPAGE);
    }
#else
    (void)p;
    (void)len;
#endif
}

void *core_hostmem_alloc(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        return NULL;
    }
    core_hostmem_advise_huge(p, len);
    return p;
}

void core_hostmem_free(void *p, size_t len)
{
    if (p) {
        munmap(p, len);
    }
}
