/*
 * sym_fixture.h - a small ELF64 image with a symbol table and a System.map
 * naming the same places, built in memory for the symbol table's unit test
 * and the seeds of its fuzz target (tests/fuzz/sym_fuzz.c).
 *
 * The ELF has four sections: [0] null, [1] .text, [2] .symtab (sh_link 3),
 * [3] .strtab; its symbols cover the cases the loader distinguishes:
 *
 *     main        FUNC   GLOBAL  0x80000000 size 0x20
 *     alias_main  FUNC   WEAK    0x80000000 size 0x20  (same place)
 *     helper      FUNC   LOCAL   0x80000020 size 0x10
 *     label       NOTYPE LOCAL   0x80000040 size 0     (up to counter)
 *     edge        NOTYPE GLOBAL  0x80003000 size 0     (.text's end: itself)
 *     counter     OBJECT GLOBAL  0x80001000 size 8
 *     helper      FUNC   GLOBAL  0x80002000 size 4     (name used twice)
 *     $x, .L1     mapping symbol and local label        (dropped)
 *     ext         undefined                              (dropped)
 *     (section)   STT_SECTION                            (dropped)
 */
#ifndef TESTS_UNIT_SYM_FIXTURE_H
#define TESTS_UNIT_SYM_FIXTURE_H

#include <stdint.h>
#include <string.h>

#define SYM_FIX_ELF_MAX 1024

static void sym_fix_put(uint8_t *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* Writes the ELF into buf (SYM_FIX_ELF_MAX bytes); returns its length. */
static size_t sym_fix_elf(uint8_t *buf)
{
    static const char strtab[] =
        "\0main\0alias_main\0helper\0label\0counter\0$x\0.L1\0ext\0edge";
    static const struct {
        unsigned name;      /* offset in strtab */
        unsigned info;      /* bind << 4 | type */
        unsigned shndx;
        uint64_t value, size;
    } syms[] = {
        { 0, 0, 0, 0, 0 },
        { 1, 0x12, 1, 0x80000000, 0x20 },     /* main */
        { 6, 0x22, 1, 0x80000000, 0x20 },     /* alias_main (weak) */
        { 17, 0x02, 1, 0x80000020, 0x10 },    /* helper (local) */
        { 24, 0x00, 1, 0x80000040, 0 },       /* label */
        { 30, 0x11, 1, 0x80001000, 8 },       /* counter */
        { 17, 0x12, 1, 0x80002000, 4 },       /* helper (global) */
        { 38, 0x00, 1, 0x80000000, 0 },       /* $x */
        { 41, 0x00, 1, 0x80000010, 0 },       /* .L1 */
        { 45, 0x10, 0, 0, 0 },                /* ext (undefined) */
        { 0, 0x03, 1, 0x80000000, 0 },        /* section symbol */
        { 49, 0x10, 1, 0x80003000, 0 },       /* edge */
    };
    const unsigned nsyms = sizeof(syms) / sizeof(syms[0]);
    memset(buf, 0, SYM_FIX_ELF_MAX);
    size_t symoff = 64, symsize = nsyms * 24;
    size_t stroff = symoff + symsize, strsize = sizeof(strtab);
    size_t shoff = (stroff + strsize + 7) & ~(size_t)7;
    /* ELF header */
    memcpy(buf, "\x7f" "ELF", 4);
    buf[4] = 2;      /* ELFCLASS64 */
    buf[5] = 1;      /* little-endian */
    buf[6] = 1;      /* EV_CURRENT */
    sym_fix_put(buf + 16, 2, 2);       /* ET_EXEC */
    sym_fix_put(buf + 18, 243, 2);     /* EM_RISCV */
    sym_fix_put(buf + 20, 1, 4);
    sym_fix_put(buf + 24, 0x80000000, 8);
    sym_fix_put(buf + 40, shoff, 8);
    sym_fix_put(buf + 52, 64, 2);      /* e_ehsize */
    sym_fix_put(buf + 58, 64, 2);      /* e_shentsize */
    sym_fix_put(buf + 60, 4, 2);       /* e_shnum */
    for (unsigned i = 0; i < nsyms; i++) {
        uint8_t *e = buf + symoff + i * 24;
        sym_fix_put(e, syms[i].name, 4);
        e[4] = (uint8_t)syms[i].info;
        sym_fix_put(e + 6, syms[i].shndx, 2);
        sym_fix_put(e + 8, syms[i].value, 8);
        sym_fix_put(e + 16, syms[i].size, 8);
    }
    memcpy(buf + stroff, strtab, strsize);
    /* section headers: [1] .text (PROGBITS, no bytes), [2] .symtab,
       [3] .strtab */
    uint8_t *sh = buf + shoff;
    sym_fix_put(sh + 64 + 16, 0x80000000, 8);
    sym_fix_put(sh + 64 + 32, 0x3000, 8);   /* sh_size (no file bytes) */
    sym_fix_put(sh + 64 + 4, 8, 4);         /* SHT_NOBITS */
    sym_fix_put(sh + 128 + 4, 2, 4);
    sym_fix_put(sh + 128 + 24, symoff, 8);
    sym_fix_put(sh + 128 + 32, symsize, 8);
    sym_fix_put(sh + 128 + 40, 3, 4);
    sym_fix_put(sh + 128 + 44, 1, 4);  /* sh_info: first global */
    sym_fix_put(sh + 128 + 56, 24, 8);
    sym_fix_put(sh + 192 + 4, 3, 4);
    sym_fix_put(sh + 192 + 24, stroff, 8);
    sym_fix_put(sh + 192 + 32, strsize, 8);
    return shoff + 4 * 64;
}

/* The same places as a System.map (kernel style, with the kallsyms
   module suffix and an absolute symbol that must be dropped). */
static const char sym_fix_map[] =
    "0000000000000000 A _abs_thing\n"
    "ffffffff80000000 T _stext\n"
    "ffffffff80000000 t _start_local\n"
    "ffffffff80001000 T do_idle\n"
    "ffffffff80001080 t cpu_idle_poll\n"
    "ffffffff80002000 D jiffies\n"
    "ffffffff80003000 t mod_func\t[virtio_blk]\n"
    "ffffffff80004000 B _end\r\n";

#endif
