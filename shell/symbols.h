/*
 * symbols.h - a guest's symbol table for the shell: names for addresses
 * (the stop line, backtrace, disas) and addresses for names (break SYMBOL,
 * x SYMBOL, tab completion).
 *
 * A table comes from one file, which is either an ELF64 little-endian
 * image (its .symtab, else its .dynsym: a vmlinux, a bare-metal program,
 * OpenSBI's ELF) or a System.map / /proc/kallsyms text ("ADDR TYPE NAME"
 * per line). Both are hostile input: every offset, size and line is
 * validated as data and a bad file is refused with one message that names
 * it ("vmlinux: section header 7 runs past the end of the file").
 *
 *     char err[256];
 *     SymTab *t = sym_load("vmlinux", err, sizeof(err));
 *     if (!t) { fprintf(stderr, "%s\n", err); ... }
 *     uint64_t off;
 *     const char *fn = sym_by_addr(t, pc, &off);   // "do_idle", off 0x24
 *     sym_free(t);
 *
 * The table is immutable after loading; lookups are binary searches, so
 * a kernel's ~100,000 symbols cost nothing per stop line.
 */
#ifndef SHELL_SYMBOLS_H
#define SHELL_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct SymTab SymTab;

/* One symbol, as sym_at hands them out in address order. size is 0 when
   the file does not say (System.map, assembler labels). */
typedef struct SymInfo {
    uint64_t addr;
    uint64_t size;
    const char *name;
    char type;        /* nm's letter: 'T'/'t' code, 'D'/'d' data, ... */
} SymInfo;

/* Loads an ELF symtab or a System.map (decided by the ELF magic).
   NULL with a message naming path in err on any error, including a file
   that holds no symbol at all. */
SymTab *sym_load(const char *path, char *err, size_t errlen);
/* The same from bytes already in memory; name is what messages call them
   (the fuzz target and the unit test use it). */
SymTab *sym_parse(const uint8_t *data, size_t len, const char *name,
                  char *err, size_t errlen);
void sym_free(SymTab *t);
/* Symbols that come for free with a run: those of an ELF -kernel (or
   -bios). NULL with err empty when path is not an ELF (a raw Image has
   no symbols: not an error); NULL with a message when it is an ELF that
   cannot be read or holds no symbols (stripped). */
SymTab *sym_load_kernel(const char *path, char *err, size_t errlen);

/* The address of name; false if there is none. When several symbols share
   the name (static functions), a global one wins, then the lowest
   address. */
bool sym_by_name(const SymTab *t, const char *name, uint64_t *addr);
/* The symbol containing addr and addr's offset into it; NULL when none
   does. A symbol of known size covers [addr, addr + size); one without a
   size covers up to the next symbol's address and, from an ELF, at most
   to the end of its section (the last one only its own address). At one address a global function wins over local or data
   names. */
const char *sym_by_addr(const SymTab *t, uint64_t addr, uint64_t *offset);
/* Calls cb once per distinct name starting with prefix, in name order;
   returns how many. */
size_t sym_complete(const SymTab *t, const char *prefix,
                    void (*cb)(const char *name, void *opaque), void *opaque);

/* How many symbols, and the i-th in address order (for listings). */
size_t sym_count(const SymTab *t);
bool sym_at(const SymTab *t, size_t i, SymInfo *out);

#endif
