/*
 * symbols.c - symbol tables from ELF images and System.map files (see
 * shell/symbols.h).
 *
 * ELF (System V gABI, "Sections" and "Symbol Table"): ELF64 little-endian
 * only. The section headers are read from the file with pread, then the
 * SHT_SYMTAB section (or SHT_DYNSYM when the image is stripped) and the
 * string table its sh_link names; a vmlinux with debug information is
 * hundreds of megabytes, of which only these are read. Every header field
 * used is checked against the file's size before it is used. Symbols kept:
 * defined (st_shndx != SHN_UNDEF) functions, objects and untyped labels
 * with a name; section and file symbols, and the RISC-V mapping symbols
 * ("$x", "$d") and local labels (".L...") that say nothing to a person,
 * are dropped.
 *
 * System.map (what the kernel's scripts/mksysmap writes, also the format
 * of /proc/kallsyms): one "ADDR TYPE NAME" per line, ADDR hexadecimal,
 * TYPE one of nm's letters, an optional "[module]" after the name. Any
 * other line is an error naming the file and the line. Undefined ('U')
 * and absolute ('a'/'A') symbols are dropped: they are not places in the
 * guest's code or data.
 *
 * The table keeps two orders: by address (ties: global before local, code
 * before data, then by name, so lookups are deterministic) and by name
 * (ties: global first, then lowest address).
 */
#include "shell/symbols.h"

#include "core/loader.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SYM_NAME_MAX 4096            /* longer names are not symbols */
#define SYM_MAP_MAX (512ull << 20)   /* a System.map is a few MB */

#define SHT_SYMTAB 2
#define SHT_NOBITS 8
#define SHT_DYNSYM 11
#define SHN_UNDEF 0
#define SHN_LORESERVE 0xff00
#define SHN_ABS 0xfff1
#define STB_LOCAL 0
#define STB_WEAK 2
#define STT_NOTYPE 0
#define STT_OBJECT 1
#define STT_FUNC 2

typedef struct Sym {
    uint64_t addr, size;
    uint64_t end;      /* sizeless ELF symbols: end of their section (a
                          linker label must not cover the stack); 0:
                          up to the next symbol */
    char *name;
    char type;
} Sym;

struct SymTab {
    Sym *syms;         /* address order */
    size_t n, cap;
    size_t *by_name;   /* indices into syms, name order */
};

static void *fail_null(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void *fail_null(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return NULL;
}

/* The loader's readers of ELF fields (core/loader.h). */
/* ---- building the table ---- */

static SymTab *tab_new(void)
{
    SymTab *t = calloc(1, sizeof(*t));
    if (!t) {
        abort();
    }
    return t;
}

static void tab_add(SymTab *t, uint64_t addr, uint64_t size, uint64_t end,
                    const char *name, size_t len, char type)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 256;
        t->syms = realloc(t->syms, t->cap * sizeof(*t->syms));
        if (!t->syms) {
            abort();
        }
    }
    char *copy = malloc(len + 1);
    if (!copy) {
        abort();
    }
    memcpy(copy, name, len);
    copy[len] = 0;
    t->syms[t->n++] = (Sym){ .addr = addr, .size = size, .end = end,
                             .name = copy, .type = type };
}

/* Lower is preferred at one address: global code, local code, weak
   code (an alias of something), global data, local data, anything else. */
static int rank(char type)
{
    switch (type) {
    case 'T': return 0;
    case 't': return 1;
    case 'W': case 'w': return 2;
    case 'D': case 'R': case 'B': case 'G': case 'S': return 3;
    case 'd': case 'r': case 'b': case 'g': case 's': return 4;
    case 'V': case 'v': return 5;
    default: return 6;
    }
}

static bool is_global(char type)
{
    return type >= 'A' && type <= 'Z';
}

static int cmp_addr(const void *a, const void *b)
{
    const Sym *x = a, *y = b;
    if (x->addr != y->addr) {
        return x->addr < y->addr ? -1 : 1;
    }
    int rx = rank(x->type), ry = rank(y->type);
    if (rx != ry) {
        return rx - ry;
    }
    return strcmp(x->name, y->name);
}

static const SymTab *sort_tab;   /* qsort has no context argument */

static int cmp_name(const void *a, const void *b)
{
    const Sym *x = &sort_tab->syms[*(const size_t *)a];
    const Sym *y = &sort_tab->syms[*(const size_t *)b];
    int c = strcmp(x->name, y->name);
    if (c) {
        return c;
    }
    bool gx = is_global(x->type), gy = is_global(y->type);
    if (gx != gy) {
        return gx ? -1 : 1;
    }
    if (x->addr != y->addr) {
        return x->addr < y->addr ? -1 : 1;
    }
    return 0;
}

static void tab_finish(SymTab *t)
{
    qsort(t->syms, t->n, sizeof(*t->syms), cmp_addr);
    t->by_name = malloc((t->n ? t->n : 1) * sizeof(*t->by_name));
    if (!t->by_name) {
        abort();
    }
    for (size_t i = 0; i < t->n; i++) {
        t->by_name[i] = i;
    }
    sort_tab = t;
    qsort(t->by_name, t->n, sizeof(*t->by_name), cmp_name);
    sort_tab = NULL;
}

void sym_free(SymTab *t)
{
    if (!t) {
        return;
    }
    for (size_t i = 0; i < t->n; i++) {
        free(t->syms[i].name);
    }
    free(t->syms);
    free(t->by_name);
    free(t);
}

/* ---- ELF ---- */

/* Where the ELF bytes come from: memory (sym_parse) or a file (sym_load). */
typedef struct Src {
    const uint8_t *mem;
    int fd;
    uint64_t size;
} Src;

static bool src_read(const Src *s, uint64_t off, void *dst, uint64_t len)
{
    if (off > s->size || len > s->size - off) {
        return false;
    }
    if (s->mem) {
        memcpy(dst, s->mem + off, len);
        return true;
    }
    return core_read_at(s->fd, off, dst, len);
}

typedef struct Shdr {
    uint32_t type, link;
    uint64_t addr, offset, size, entsize;
} Shdr;

static bool read_shdr(const Src *s, uint64_t shoff, unsigned i, Shdr *sh)
{
    uint8_t b[64];
    if (!src_read(s, shoff + (uint64_t)i * 64, b, sizeof(b))) {
        return false;
    }
    sh->type = (uint32_t)core_le(b + 4, 4);
    sh->addr = core_le(b + 16, 8);
    sh->offset = core_le(b + 24, 8);
    sh->size = core_le(b + 32, 8);
    sh->link = (uint32_t)core_le(b + 40, 4);
    sh->entsize = core_le(b + 56, 8);
    return true;
}

/* nm's letter for an ELF symbol (binding + type + whether its section is
   code); used for ranking only, so approximate is fine. */
static char elf_type(unsigned bind, unsigned type)
{
    char c = type == STT_OBJECT ? 'd' : 't';
    if (bind == STB_WEAK) {
        return type == STT_OBJECT ? 'V' : 'W';
    }
    return bind == STB_LOCAL ? c : (char)(c - 'a' + 'A');
}

static SymTab *parse_elf(const Src *s, const char *name, char *err,
                         size_t errlen)
{
    uint8_t eh[64];
    if (!src_read(s, 0, eh, sizeof(eh))) {
        return fail_null(err, errlen, "%s: ELF header truncated", name);
    }
    if (!core_elf64le_check(name, eh, err, errlen)) {
        return NULL;
    }
    uint64_t shoff = core_le(eh + 40, 8);
    unsigned shentsize = (unsigned)core_le(eh + 58, 2);
    unsigned shnum = (unsigned)core_le(eh + 60, 2);
    if (shoff == 0 || shnum == 0) {
        return fail_null(err, errlen, "%s: ELF has no section headers, so "
                         "no symbol table", name);
    }
    if (shentsize != 64) {
        return fail_null(err, errlen, "%s: ELF section header size %u, "
                         "expected 64", name, shentsize);
    }
    if (shoff > s->size || (uint64_t)shnum * 64 > s->size - shoff) {
        return fail_null(err, errlen, "%s: ELF section headers (%u at "
                         "offset 0x%" PRIx64 ") run past the end of the file",
                         name, shnum, shoff);
    }
    /* The full symbol table if there is one, else the dynamic one. */
    Shdr symsh = { 0 };
    unsigned symidx = 0;
    for (unsigned i = 0; i < shnum; i++) {
        Shdr sh;
        if (!read_shdr(s, shoff, i, &sh)) {
            return fail_null(err, errlen, "%s: cannot read section header "
                             "%u", name, i);
        }
        if (sh.type == SHT_SYMTAB || (sh.type == SHT_DYNSYM && !symidx)) {
            symsh = sh;
            symidx = i;
            if (sh.type == SHT_SYMTAB) {
                break;
            }
        }
    }
    if (!symidx) {
        return fail_null(err, errlen, "%s: ELF has no symbol table "
                         "(stripped?)", name);
    }
    if (symsh.entsize != 24) {
        return fail_null(err, errlen, "%s: symbol table (section %u) entry "
                         "size %" PRIu64 ", expected 24", name, symidx,
                         symsh.entsize);
    }
    if (symsh.offset > s->size || symsh.size > s->size - symsh.offset ||
        symsh.size % 24) {
        return fail_null(err, errlen, "%s: symbol table (section %u, "
                         "offset 0x%" PRIx64 ", size 0x%" PRIx64 ") runs "
                         "past the end of the file or is not whole entries",
                         name, symidx, symsh.offset, symsh.size);
    }
    Shdr strsh;
    if (symsh.link == 0 || symsh.link >= shnum ||
        !read_shdr(s, shoff, symsh.link, &strsh) || strsh.type == SHT_NOBITS) {
        return fail_null(err, errlen, "%s: symbol table (section %u) links "
                         "to section %u, not a string table", name, symidx,
                         symsh.link);
    }
    if (strsh.offset > s->size || strsh.size > s->size - strsh.offset) {
        return fail_null(err, errlen, "%s: string table (section %u) runs "
                         "past the end of the file", name, symsh.link);
    }
    uint8_t *syms = malloc(symsh.size ? symsh.size : 1);
    char *strs = malloc(strsh.size + 1);
    if (!syms || !strs) {
        abort();
    }
    if (!src_read(s, symsh.offset, syms, symsh.size) ||
        !src_read(s, strsh.offset, strs, strsh.size)) {
        free(syms);
        free(strs);
        return fail_null(err, errlen, "%s: cannot read the symbol table",
                         name);
    }
    strs[strsh.size] = 0;   /* a last name left open ends here */
    SymTab *t = tab_new();
    size_t nent = (size_t)(symsh.size / 24);
    for (size_t i = 1; i < nent; i++) {   /* entry 0 is reserved */
        const uint8_t *e = syms + i * 24;
        uint32_t st_name = (uint32_t)core_le(e, 4);
        unsigned info = e[4];
        unsigned shndx = (unsigned)core_le(e + 6, 2);
        uint64_t value = core_le(e + 8, 8), size = core_le(e + 16, 8);
        unsigned bind = info >> 4, type = info & 15;
        if (st_name >= strsh.size) {
            sym_free(t);
            free(syms);
            free(strs);
            return fail_null(err, errlen, "%s: symbol %zu names offset %u, "
                             "past the string table's %" PRIu64 " bytes",
                             name, i, st_name, strsh.size);
        }
        const char *nm = strs + st_name;
        size_t len = strnlen(nm, SYM_NAME_MAX + 1);
        if (type > STT_FUNC || shndx == SHN_UNDEF ||
            (shndx >= SHN_LORESERVE && shndx != SHN_ABS) || len == 0 ||
            len > SYM_NAME_MAX || nm[0] == '$' ||
            (nm[0] == '.' && nm[1] == 'L')) {
            continue;
        }
        if (shndx == SHN_ABS && type != STT_FUNC) {
            continue;   /* constants, not places */
        }
        /* A sizeless label covers at most the rest of its section (gdb
           bounds minimal symbols the same way); outside any: itself. */
        uint64_t end = value + 1;
        Shdr sec;
        if (size == 0 && shndx < shnum && shndx != SHN_ABS &&
            read_shdr(s, shoff, shndx, &sec) && value >= sec.addr &&
            value - sec.addr < sec.size) {
            end = sec.addr + sec.size;
        }
        tab_add(t, value, size, end, nm, len, elf_type(bind, type));
    }
    free(syms);
    free(strs);
    if (t->n == 0) {
        sym_free(t);
        return fail_null(err, errlen, "%s: ELF symbol table holds no "
                         "function or data symbol", name);
    }
    tab_finish(t);
    return t;
}

/* ---- System.map ---- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static SymTab *parse_map(const uint8_t *data, size_t len, const char *name,
                         char *err, size_t errlen)
{
    SymTab *t = tab_new();
    size_t line = 0;
    const char *p = (const char *)data, *end = p + len;
    while (p < end) {
        line++;
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) {
            eol = end;
        }
        const char *q = p, *le_ = eol, *line_start = p;
        if (le_ > q && le_[-1] == '\r') {
            le_--;
        }
        p = eol + 1;
        if (q == le_) {
            continue;   /* empty lines are harmless */
        }
        /* ADDR */
        uint64_t addr = 0;
        unsigned digits = 0;
        for (; q < le_ && !is_space(*q); q++, digits++) {
            char c = *q;
            unsigned v;
            if (c >= '0' && c <= '9') {
                v = (unsigned)(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                v = (unsigned)(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                v = (unsigned)(c - 'A' + 10);
            } else {
                digits = 99;
                break;
            }
            addr = addr << 4 | v;
        }
        /* TYPE */
        bool ok = digits >= 1 && digits <= 16 && q < le_ && is_space(*q);
        while (ok && q < le_ && is_space(*q)) {
            q++;
        }
        char type = 0;
        if (ok && q + 1 < le_ && is_space(q[1]) &&
            ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
             *q == '?' || *q == '-')) {
            type = *q;
            q += 2;
        } else {
            ok = false;
        }
        while (ok && q < le_ && is_space(*q)) {
            q++;
        }
        /* NAME [module] */
        const char *nm = q;
        while (ok && q < le_ && !is_space(*q)) {
            if ((unsigned char)*q < 0x21 || (unsigned char)*q > 0x7e) {
                ok = false;
            }
            q++;
        }
        size_t nlen = (size_t)(q - nm);
        while (ok && q < le_ && is_space(*q)) {
            q++;
        }
        if (ok && q < le_ && (*q != '[' || le_[-1] != ']')) {
            ok = false;
        }
        if (!ok || nlen == 0 || nlen > SYM_NAME_MAX) {
            /* Quote the line: Debian's placeholder System.map says where
               the real one is. */
            char quoted[64];
            size_t k = 0;
            for (const char *c = line_start; c < le_ && k + 2 < sizeof(quoted);
                 c++) {
                quoted[k++] = (*c >= 0x20 && *c < 0x7f) ? *c : '?';
            }
            quoted[k] = 0;
            sym_free(t);
            return fail_null(err, errlen, "%s:%zu: not a System.map line "
                             "(want \"ADDRESS TYPE NAME\"): \"%s%s\"", name,
                             line, quoted, line_start + k < le_ ? "..." : "");
        }
        if (type == 'U' || type == 'u' || type == 'a' || type == 'A' ||
            nm[0] == '$' || (nm[0] == '.' && nlen > 1 && nm[1] == 'L')) {
            continue;
        }
        tab_add(t, addr, 0, 0, nm, nlen, type);
    }
    if (t->n == 0) {
        sym_free(t);
        return fail_null(err, errlen, "%s: no symbols (an empty System.map?)",
                         name);
    }
    tab_finish(t);
    return t;
}

/* ---- entry points ---- */

static bool has_elf_magic(const uint8_t *p, size_t len)
{
    return len >= 4 && p[0] == 0x7f && p[1] == 'E' && p[2] == 'L' &&
           p[3] == 'F';
}

SymTab *sym_parse(const uint8_t *data, size_t len, const char *name,
                  char *err, size_t errlen)
{
    if (has_elf_magic(data, len)) {
        Src s = { .mem = data, .fd = -1, .size = len };
        return parse_elf(&s, name, err, errlen);
    }
    if (len == 0) {
        return fail_null(err, errlen, "%s: empty file, not an ELF or a "
                         "System.map", name);
    }
    return parse_map(data, len, name, err, errlen);
}

SymTab *sym_load(const char *path, char *err, size_t errlen)
{
    uint64_t size;
    int fd = core_open_input(path, &size, err, errlen);
    if (fd < 0) {
        return NULL;
    }
    uint8_t magic[4];
    Src s = { .mem = NULL, .fd = fd, .size = size };
    if (src_read(&s, 0, magic, sizeof(magic)) &&
        has_elf_magic(magic, sizeof(magic))) {
        SymTab *t = parse_elf(&s, path, err, errlen);
        close(fd);
        return t;
    }
    close(fd);
    if (size > SYM_MAP_MAX) {
        return fail_null(err, errlen, "%s: %" PRIu64 " bytes, too large for "
                         "a System.map and not an ELF", path, size);
    }
    void *data = NULL;
    size_t len = 0;
    if (size == 0) {
        return fail_null(err, errlen, "%s: empty file, not an ELF or a "
                         "System.map", path);
    }
    if (core_read_file(path, SYM_MAP_MAX, &data, &len, err, errlen) < 0) {
        return NULL;
    }
    SymTab *t = parse_map(data, len, path, err, errlen);
    free(data);
    return t;
}

SymTab *sym_load_kernel(const char *path, char *err, size_t errlen)
{
    if (errlen) {
        err[0] = 0;
    }
    if (!path || !core_file_is_elf(path)) {
        return NULL;
    }
    return sym_load(path, err, errlen);
}

/* ---- lookups ---- */

bool sym_by_name(const SymTab *t, const char *name, uint64_t *addr)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(t->syms[t->by_name[mid]].name, name) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo < t->n && strcmp(t->syms[t->by_name[lo]].name, name) == 0) {
        *addr = t->syms[t->by_name[lo]].addr;
        return true;
    }
    return false;
}

const char *sym_by_addr(const SymTab *t, uint64_t addr, uint64_t *offset)
{
    /* The first symbol above addr; candidates lie before it. */
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->syms[mid].addr <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo == 0) {
        return NULL;
    }
    uint64_t at = t->syms[lo - 1].addr;
    size_t first = lo - 1;
    while (first > 0 && t->syms[first - 1].addr == at) {
        first--;
    }
    /* The preferred name at that address if it covers addr; else a
       sized symbol at the same address that does. */
    for (size_t i = first; i < lo; i++) {
        const Sym *s = &t->syms[i];
        bool covers = s->size ? addr - s->addr < s->size
                              : addr == s->addr ||
                                (lo < t->n && addr < t->syms[lo].addr &&
                                 (s->end == 0 || addr < s->end));
        if (covers) {
            *offset = addr - s->addr;
            return s->name;
        }
    }
    return NULL;
}

size_t sym_complete(const SymTab *t, const char *prefix,
                    void (*cb)(const char *name, void *opaque), void *opaque)
{
    size_t plen = strlen(prefix);
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(t->syms[t->by_name[mid]].name, prefix) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    size_t count = 0;
    const char *last = NULL;
    for (size_t i = lo; i < t->n; i++) {
        const char *nm = t->syms[t->by_name[i]].name;
        if (strncmp(nm, prefix, plen) != 0) {
            break;
        }
        if (last && strcmp(last, nm) == 0) {
            continue;
        }
        cb(nm, opaque);
        last = nm;
        count++;
    }
    return count;
}

size_t sym_count(const SymTab *t)
{
    return t->n;
}

bool sym_at(const SymTab *t, size_t i, SymInfo *out)
{
    if (i >= t->n) {
        return false;
    }
    const Sym *s = &t->syms[i];
    *out = (SymInfo){ .addr = s->addr, .size = s->size, .name = s->name,
                      .type = s->type };
    return true;
}
