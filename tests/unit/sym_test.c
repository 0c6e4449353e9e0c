/*
 * sym_test - the shell's symbol tables (shell/symbols.c): lookups by name
 * and address from an ELF symtab and from a System.map, completion, and
 * hostile files refused with a message naming the file.
 */
#include "check.h"
#include "shell/symbols.h"
#include "tests/unit/sym_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char got[512];

static void collect(const char *name, void *opaque)
{
    (void)opaque;
    strncat(got, name, sizeof(got) - strlen(got) - 2);
    strcat(got, " ");
}

static const char *addr_name(const SymTab *t, uint64_t a, uint64_t *off)
{
    *off = 0xdead;
    const char *n = sym_by_addr(t, a, off);
    return n ? n : "(none)";
}

static void test_elf(void)
{
    static uint8_t elf[SYM_FIX_ELF_MAX];
    size_t len = sym_fix_elf(elf);
    char err[256] = "";
    SymTab *t = sym_parse(elf, len, "fix.elf", err, sizeof(err));
    CHECK(t != NULL, ": fixture ELF refused: %s", err);
    if (!t) {
        return;
    }
    CHECK(sym_count(t) == 7, ": %zu symbols kept", sym_count(t));
    uint64_t a = 0, off;
    CHECK(sym_by_name(t, "main", &a) && a == 0x80000000);
    CHECK(sym_by_name(t, "counter", &a) && a == 0x80001000);
    CHECK(sym_by_name(t, "helper", &a) && a == 0x80002000,
          ": global helper wins: 0x%llx", (unsigned long long)a);
    CHECK(!sym_by_name(t, "ext", &a), ": undefined symbol dropped");
    CHECK(!sym_by_name(t, "$x", &a) && !sym_by_name(t, ".L1", &a));
    CHECK(!sym_by_name(t, "mai", &a) && !sym_by_name(t, "mainx", &a));
    CHECK(strcmp(addr_name(t, 0x80000000, &off), "main") == 0 && off == 0,
          ": global function wins over its weak alias");
    CHECK(strcmp(addr_name(t, 0x8000001e, &off), "main") == 0 && off == 0x1e);
    CHECK(strcmp(addr_name(t, 0x80000024, &off), "helper") == 0 && off == 4);
    CHECK(strcmp(addr_name(t, 0x80000030, &off), "(none)") == 0,
          ": gap between helper's end and label: %s",
          addr_name(t, 0x80000030, &off));
    CHECK(strcmp(addr_name(t, 0x80000500, &off), "label") == 0 &&
          off == 0x4c0, ": sizeless label covers up to the next symbol");
    CHECK(strcmp(addr_name(t, 0x80001008, &off), "(none)") == 0,
          ": past counter's 8 bytes");
    CHECK(strcmp(addr_name(t, 0x80002003, &off), "helper") == 0 && off == 3);
    CHECK(strcmp(addr_name(t, 0x7fffffff, &off), "(none)") == 0);
    CHECK(strcmp(addr_name(t, 0x80002004, &off), "(none)") == 0);
    CHECK(strcmp(addr_name(t, 0x80003000, &off), "edge") == 0 && off == 0);
    CHECK(strcmp(addr_name(t, 0x80003001, &off), "(none)") == 0,
          ": a label at its section's end covers only itself");
    got[0] = 0;
    CHECK(sym_complete(t, "", collect, NULL) == 6, ": all distinct names");
    CHECK(strcmp(got, "alias_main counter edge helper label main ") == 0,
          ": got '%s'", got);
    got[0] = 0;
    CHECK(sym_complete(t, "he", collect, NULL) == 1 &&
          strcmp(got, "helper ") == 0, ": got '%s'", got);
    got[0] = 0;
    CHECK(sym_complete(t, "zz", collect, NULL) == 0 && got[0] == 0);
    SymInfo si;
    CHECK(sym_at(t, 0, &si) && si.addr == 0x80000000 &&
          strcmp(si.name, "main") == 0 && si.size == 0x20);
    CHECK(!sym_at(t, 7, &si));
    sym_free(t);

    /* Every truncation is refused with the file's name, never a crash. */
    unsigned refused = 0;
    for (size_t n = 0; n < len; n++) {
        err[0] = 0;
        SymTab *u = sym_parse(elf, n, "cut.elf", err, sizeof(err));
        if (!u) {
            refused++;
            CHECK(strncmp(err, "cut.elf", 7) == 0, ": %zu bytes: '%s'", n, err);
        }
        sym_free(u);
    }
    CHECK(refused == len, ": %u of %zu truncations refused", refused, len);

    /* Corrupt header fields, each with its own message. */
    static const struct {
        size_t off;
        uint64_t val;
        unsigned bytes;
        const char *want;
    } bad[] = {
        { 4, 1, 1, "32-bit ELF, expected ELF64" },
        { 5, 2, 1, "big-endian ELF, expected little-endian" },
        { 58, 40, 2, "section header size 40" },
        { 60, 0, 2, "no section headers" },
        { 60, 0x4000, 2, "run past the end of the file" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        static uint8_t copy[SYM_FIX_ELF_MAX];
        memcpy(copy, elf, len);
        sym_fix_put(copy + bad[i].off, bad[i].val, bad[i].bytes);
        err[0] = 0;
        SymTab *u = sym_parse(copy, len, "bad.elf", err, sizeof(err));
        CHECK(!u && strncmp(err, "bad.elf: ", 9) == 0 &&
              strstr(err, bad[i].want), ": case %zu: '%s'", i, err);
        sym_free(u);
    }
    /* A symbol whose name lies past the string table. */
    {
        static uint8_t copy[SYM_FIX_ELF_MAX];
        memcpy(copy, elf, len);
        sym_fix_put(copy + 64 + 3 * 24, 0x7fffffff, 4);
        err[0] = 0;
        SymTab *u = sym_parse(copy, len, "bad.elf", err, sizeof(err));
        CHECK(!u && strstr(err, "bad.elf: symbol 3 names offset"),
              ": '%s'", err);
        sym_free(u);
    }
}

static void test_map(void)
{
    char err[256] = "";
    SymTab *t = sym_parse((const uint8_t *)sym_fix_map, strlen(sym_fix_map),
                          "System.map", err, sizeof(err));
    CHECK(t != NULL, ": System.map refused: %s", err);
    if (!t) {
        return;
    }
    uint64_t a = 0, off;
    CHECK(sym_count(t) == 7, ": %zu symbols (absolute one dropped)",
          sym_count(t));
    CHECK(!sym_by_name(t, "_abs_thing", &a));
    CHECK(sym_by_name(t, "do_idle", &a) && a == 0xffffffff80001000ull);
    CHECK(sym_by_name(t, "mod_func", &a) && a == 0xffffffff80003000ull,
          ": kallsyms module suffix");
    CHECK(sym_by_name(t, "_end", &a) && a == 0xffffffff80004000ull,
          ": CRLF line end");
    CHECK(strcmp(addr_name(t, 0xffffffff80000010ull, &off), "_stext") == 0 &&
          off == 0x10, ": global wins at one address");
    CHECK(strcmp(addr_name(t, 0xffffffff800010a0ull, &off), "cpu_idle_poll")
          == 0 && off == 0x20);
    CHECK(strcmp(addr_name(t, 0xffffffff80004000ull, &off), "_end") == 0 &&
          off == 0);
    CHECK(strcmp(addr_name(t, 0xffffffff80004001ull, &off), "(none)") == 0,
          ": nothing past the last sizeless symbol");
    CHECK(strcmp(addr_name(t, 0x1000, &off), "(none)") == 0);
    got[0] = 0;
    CHECK(sym_complete(t, "_", collect, NULL) == 3 &&
          strcmp(got, "_end _start_local _stext ") == 0, ": got '%s'", got);
    sym_free(t);

    static const struct {
        const char *text;
        const char *want;
    } bad[] = {
        { "", "System.map: empty file" },
        { "\n\n", "System.map: no symbols" },
        { "ffffffff80000000 T ok\nhello world\n", "System.map:2: not a "
          "System.map line" },
        { "ffffffff80000000 T\n", "System.map:1:" },
        { "ffffffff80000000 TT name\n", "System.map:1:" },
        { "12345678901234567 T name\n", "System.map:1:" },
        { "ffffffff8000000g T name\n", "System.map:1:" },
        { "ffffffff80000000 T na\x01me\n", "System.map:1:" },
        { "ffffffff80000000 T name junk\n", "System.map:1:" },
        { "ffffffff80000000 T name [mod\n", "System.map:1:" },
        { "ffffffff80000000 U undefined\n", "System.map: no symbols" },
        /* Debian's placeholder: the message quotes it */
        { "ffffffffffffffff B The real System.map is in the "
          "linux-image-<version>-dbg package\n", "System.map:1: not a "
          "System.map line (want \"ADDRESS TYPE NAME\"): \"ffffffffffffffff "
          "B The real System.map is in the linux-image-<...\"" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        SymTab *u = sym_parse((const uint8_t *)bad[i].text,
                              strlen(bad[i].text), "System.map", err,
                              sizeof(err));
        CHECK(!u && strncmp(err, bad[i].want, strlen(bad[i].want)) == 0,
              ": case %zu: '%s'", i, err);
        sym_free(u);
    }
}

static void test_files(void)
{
    char dir[] = "/tmp/rewind-sym-test-XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(false, ": mkdtemp");
        return;
    }
    char elfp[256], mapp[256], fifo[256], missing[256];
    snprintf(elfp, sizeof(elfp), "%s/prog.elf", dir);
    snprintf(mapp, sizeof(mapp), "%s/System.map", dir);
    snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
    snprintf(missing, sizeof(missing), "%s/missing", dir);
    static uint8_t elf[SYM_FIX_ELF_MAX];
    size_t len = sym_fix_elf(elf);
    FILE *f = fopen(elfp, "wb");
    fwrite(elf, 1, len, f);
    fclose(f);
    f = fopen(mapp, "w");
    fputs(sym_fix_map, f);
    fclose(f);
    CHECK(mkfifo(fifo, 0600) == 0);

    char err[512] = "";
    uint64_t a;
    SymTab *t = sym_load(elfp, err, sizeof(err));
    CHECK(t && sym_by_name(t, "counter", &a) && a == 0x80001000,
          ": ELF file: %s", err);
    sym_free(t);
    t = sym_load(mapp, err, sizeof(err));
    CHECK(t && sym_by_name(t, "jiffies", &a) && a == 0xffffffff80002000ull,
          ": System.map file: %s", err);
    sym_free(t);
    err[0] = 0;
    CHECK(!sym_load(missing, err, sizeof(err)) && strstr(err, missing),
          ": missing file: '%s'", err);
    err[0] = 0;
    CHECK(!sym_load(fifo, err, sizeof(err)) && strstr(err, fifo),
          ": FIFO refused without blocking: '%s'", err);
    err[0] = 0;
    CHECK(!sym_load(dir, err, sizeof(err)) && strstr(err, dir),
          ": directory: '%s'", err);
    unlink(elfp);
    unlink(mapp);
    unlink(fifo);
    rmdir(dir);
}

int main(void)
{
    test_elf();
    test_map();
    test_files();
    return check_done("sym_test");
}
