/*
 * Large host buffers on transparent huge pages (core/hostmem.h): the span
 * marked is exactly the whole 2 MiB pages inside the buffer, marking
 * keeps the buffer's bytes, and, where the kernel has THP, the marked
 * range carries the mark (VmFlags "hg" in /proc/self/smaps) and the
 * bytes around it do not; guest RAM, an arena (core_hostmem_alloc) and a
 * large CoreBuf (a snapshot) are marked, a small CoreBuf is not.
 */
#include "core/hostmem.h"
#include "core/mem.h"
#include "core/state.h"
#include "tests/unit/check.h"
#include "tests/unit/thp.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MB ((uintptr_t)1 << 20)

/* The span of [addr, addr + len) as "start+length" (0+0 when empty). */
static bool span_is(uintptr_t addr, size_t len, uintptr_t start, size_t n)
{
    uintptr_t s;
    size_t got = core_hostmem_huge_span(addr, len, &s);
    return got == n && (n == 0 || s == start);
}

/* The VmFlags of the mapping holding addr has "hg" (marked for huge
   pages); -1 if no mapping holds it. */
static int marked_huge(uintptr_t addr)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[512];
    bool inside = false;
    int found = -1;
    while (f && found < 0 && fgets(line, sizeof(line), f)) {
        uintptr_t lo, hi;
        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &lo, &hi) == 2) {
            inside = lo <= addr && addr < hi;
        } else if (inside && strncmp(line, "VmFlags:", 8) == 0) {
            found = strstr(line, " hg") != NULL;
        }
    }
    if (f) {
        fclose(f);
    }
    return found;
}

int main(void)
{
    const uintptr_t H = CORE_HOSTMEM_HUGE;
    CHECK(H == 2 * MB);
    CHECK(span_is(2 * MB, 4 * MB, 2 * MB, 4 * MB), "aligned both ends");
    CHECK(span_is(2 * MB + 1, 4 * MB, 4 * MB, 2 * MB), "start rounded up");
    CHECK(span_is(2 * MB, 4 * MB - 1, 2 * MB, 2 * MB), "end rounded down");
    CHECK(span_is(2 * MB - 4096, 2 * MB + 4096, 2 * MB, 2 * MB),
          "the one whole page inside");
    CHECK(span_is(4096, 4096, 0, 0), "a small buffer: nothing");
    CHECK(span_is(2 * MB + 4096, 2 * MB, 0, 0), "2 MiB across a boundary "
          "holds no whole huge page");
    CHECK(span_is(0, 0, 0, 0), "empty");

    size_t len = 9 * MB;
    uint8_t *p = malloc(len);
    CHECK(p != NULL);
    if (!p) {
        return check_done("hostmem");
    }
    for (size_t i = 0; i < len; i++) {
        p[i] = (uint8_t)(i * 7 + (i >> 12));
    }
    core_hostmem_advise_huge(p, len);
    bool same = true;
    for (size_t i = 0; i < len; i++) {
        same &= p[i] == (uint8_t)(i * 7 + (i >> 12));
    }
    CHECK(same, "marking keeps the bytes");
    uintptr_t start;
    size_t n = core_hostmem_huge_span((uintptr_t)p, len, &start);
    CHECK(n >= 6 * MB && start >= (uintptr_t)p &&
          start + n <= (uintptr_t)p + len, "span inside the buffer");
    if (thp_madvise_works()) {
        CHECK(marked_huge(start) == 1, "first huge page marked");
        CHECK(marked_huge(start + n - 1) == 1, "last huge page marked");
        if (start > (uintptr_t)p) {
            CHECK(marked_huge(start - 1) == 0, "the byte before not marked");
        }
        if (start + n < (uintptr_t)p + len) {
            CHECK(marked_huge(start + n) == 0, "the byte after not marked");
        }
    } else {
        printf("hostmem: no transparent huge pages here, marks not checked\n");
    }
    free(p);

    /* An arena: zeros (malloc under meson's MALLOC_PERTURB_ would not
       be), marked, unmapped by core_hostmem_free. */
    uint8_t *a = core_hostmem_alloc(8 * MB);
    CHECK(a && a[0] == 0 && a[4 * MB] == 0 && a[8 * MB - 1] == 0,
          "an arena reads as zeros");
    if (a && thp_madvise_works()) {
        CHECK(marked_huge((uintptr_t)a + 4 * MB) == 1, "an arena marked");
    }
    core_hostmem_free(a, 8 * MB);
    CHECK(!a || marked_huge((uintptr_t)a + 4 * MB) == -1, "arena unmapped");

    if (thp_madvise_works()) {
        CoreAddrSpace *as = core_mem_new();
        CoreMemRegion *r = core_mem_add_ram(as, "ram", 0x80000000, 16 * MB);
        CHECK(r && marked_huge((uintptr_t)r->host + 8 * MB) == 1,
              "guest RAM marked");
        core_mem_free(as);

        CoreBuf big = { 0 }, small = { 0 };
        core_buf_append(&small, "x", 1);
        core_buf_reserve(&big, 9 * MB);
        n = core_hostmem_huge_span((uintptr_t)big.data, big.cap, &start);
        CHECK(n && marked_huge(start) == 1, "a reserved 9 MiB CoreBuf marked");
        uint8_t chunk[4096] = { 0 };
        CoreBuf grown = { 0 };
        while (grown.cap < 8 * MB) {
            core_buf_append(&grown, chunk, sizeof(chunk));
        }
        n = core_hostmem_huge_span((uintptr_t)grown.data, grown.cap, &start);
        CHECK(n && marked_huge(start + n - 1) == 1, "a CoreBuf grown past "
              "8 MiB marked");
        CHECK(marked_huge((uintptr_t)small.data) != 1, "a small one not");
        core_buf_free(&big);
        core_buf_free(&grown);
        core_buf_free(&small);
    }
    return check_done("hostmem");
}
