/*
 * Fuzz target for the shell's symbol-table parsers (shell/symbols.c): any
 * bytes, as an ELF (when they start with the magic) or as a System.map,
 * must be refused with a message naming the file or give a table whose
 * lookups agree with each other: every symbol is found by its name at
 * some address, and by its own address at offset 0.
 *
 * Built with -fsanitize=fuzzer -DREWIND_LIBFUZZER it is a libFuzzer
 * target:
 *   clang -g -O1 -fsanitize=fuzzer,address -DREWIND_LIBFUZZER -I. \
 *         $(pkg-config --cflags glib-2.0) tests/fuzz/sym_fuzz.c \
 *         shell/symbols.c core/loader.c core/mem.c ... -o sym_fuzz
 * (or link against build/librewind.a). Otherwise main() mutates the two
 * seeds of tests/unit/sym_fixture.h (byte flips, header fields set to
 * extreme values, truncations, spliced lines) 100,000 times with a fixed
 * generator, so it runs as an ordinary test.
 */
#include "shell/symbols.h"
#include "tests/unit/sym_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long parsed, refused;

static void fail(const char *what, const char *name)
{
    fprintf(stderr, "sym_fuzz: %s (%s)\n", what, name ? name : "");
    abort();
}

static void count_cb(const char *name, void *opaque)
{
    (void)name;
    (*(size_t *)opaque)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    err[0] = 0;
    SymTab *t = sym_parse(data, size, "fuzz.in", err, sizeof(err));
    if (!t) {
        refused++;
        if (strncmp(err, "fuzz.in", 7) != 0) {
            fail("refusal does not name the file", err);
        }
        return 0;
    }
    parsed++;
    size_t n = sym_count(t);
    if (n == 0) {
        fail("empty table accepted", NULL);
    }
    for (size_t i = 0; i < n; i++) {
        SymInfo si;
        uint64_t a, off = 1;
        if (!sym_at(t, i, &si) || !si.name[0]) {
            fail("sym_at", NULL);
        }
        if (i > 0) {
            SymInfo prev;
            sym_at(t, i - 1, &prev);
            if (prev.addr > si.addr) {
                fail("not in address order", si.name);
            }
        }
        if (!sym_by_name(t, si.name, &a)) {
            fail("name not found", si.name);
        }
        if (!sym_by_addr(t, si.addr, &off) || off != 0) {
            fail("own address not found at offset 0", si.name);
        }
    }
    size_t names = 0;
    if (sym_complete(t, "", count_cb, &names) != names || names == 0 ||
        names > n) {
        fail("completion count", NULL);
    }
    sym_free(t);
    return 0;
}

#ifndef REWIND_LIBFUZZER
static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(void)
{
    static uint8_t elf[SYM_FIX_ELF_MAX], buf[SYM_FIX_ELF_MAX * 2];
    size_t elf_len = sym_fix_elf(elf);
    size_t map_len = strlen(sym_fix_map);
    /* Interesting values for header fields: zero, one, all ones, sizes
       near the file's and near 2^32 / 2^64. */
    static const uint64_t extreme[] = { 0, 1, 24, 64, 0xff, 0xffff,
        0xffffffffull, 0x100000000ull, ~0ull, ~0ull - 23, 0x7fffffffffffffffull };
    for (unsigned iter = 0; iter < 100000; iter++) {
        uint64_t r = next_rand();
        bool use_elf = r & 1;
        size_t len = use_elf ? elf_len : map_len;
        memcpy(buf, use_elf ? elf : (const uint8_t *)sym_fix_map, len);
        unsigned edits = 1 + (unsigned)((r >> 1) % 4);
        for (unsigned e = 0; e < edits; e++) {
            uint64_t x = next_rand();
            size_t at = (size_t)((x >> 8) % len);
            switch (x & 3) {
            case 0:   /* flip a byte */
                buf[at] ^= (uint8_t)(1u << ((x >> 40) & 7));
                break;
            case 1: { /* an extreme 1/2/4/8-byte value at some offset */
                unsigned bytes = 1u << ((x >> 40) & 3);
                if (at + bytes <= len) {
                    sym_fix_put(buf + at, extreme[(x >> 44) %
                        (sizeof(extreme) / sizeof(extreme[0]))], bytes);
                }
                break;
            }
            case 2:   /* truncate */
                len = at;
                break;
            default: { /* duplicate a stretch (lines, entries) */
                size_t n = (size_t)((x >> 40) % 64);
                if (at + n <= len && len + n <= sizeof(buf)) {
                    memmove(buf + at + n, buf + at, len - at);
                    len += n;
                }
                break;
            }
            }
            if (len == 0) {
                break;
            }
        }
        LLVMFuzzerTestOneInput(buf, len);
    }
    printf("sym_fuzz: 100000 inputs, %lu parsed, %lu refused\n", parsed,
           refused);
    return parsed > 1000 && refused > 1000 ? 0 : 1;
}
#endif
