/*
 * Basic types shared by every module.
 *
 * Guest addresses get their own names so that interfaces say which address
 * space they speak about: gpa_t is a guest-physical address, gva_t a
 * guest-virtual one. Both are plain integers; the names are documentation.
 * CORE_PAGE_* is the page granule every module's page bookkeeping shares.
 */
#ifndef CORE_TYPES_H
#define CORE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t gpa_t;
typedef uint64_t gva_t;

#define CORE_LIKELY(x) __builtin_expect(!!(x), 1)
#define CORE_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define CORE_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The granule of the emulator's own page bookkeeping (dirty and code
   bitmaps, snapshots, undo, watchpoint pages): 4 KiB, the RISC-V base page
   (tcg/riscv/cpu.h's RV_PAGE_SIZE), so a guest page is one tracked page. */
#define CORE_PAGE_BITS 12
#define CORE_PAGE_SIZE (1ull << CORE_PAGE_BITS)
#define CORE_PAGE_MASK (~(CORE_PAGE_SIZE - 1))   /* addr & MASK: page start */

#endif
