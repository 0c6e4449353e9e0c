/*
 * Unit tests for core/loader.c: ELF64 and raw images land at the right
 * guest-physical addresses, and every kind of bad file is refused with a
 * message that names the file, without touching guest memory.
 *
 * The ELF files are built byte by byte here (System V gABI layout), so the
 * test needs no cross toolchain.
 */
#include "core/loader.h"
#include "tests/unit/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RAM_BASE 0x80000000ull
#define RAM_SIZE 0x100000ull

static char dir[64];

static const char *tmp_path(const char *name)
{
    static char paths[8][128];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 128, "%s/%s", dir, name);
    return p;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(2);
    }
}

static void put(uint8_t *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

typedef struct TestSeg {
    uint64_t paddr, filesz, memsz;
    uint8_t fill;
} TestSeg;

/* An ELF64 LE executable: header, program headers, then segment data
   (each segment's bytes are `fill`). Returns the size written to buf. */
static size_t make_elf(uint8_t *buf, uint16_t machine, uint64_t entry,
                       const TestSeg *segs, unsigned nsegs)
{
    size_t off = 64 + 56 * nsegs;

    memset(buf, 0, off);
    memcpy(buf, "\x7f" "ELF", 4);
    buf[4] = 2;      /* ELFCLASS64 */
    buf[5] = 1;      /* ELFDATA2LSB */
    buf[6] = 1;      /* EV_CURRENT */
    put(buf + 16, 2, 2);          /* ET_EXEC */
    put(buf + 18, machine, 2);
    put(buf + 20, 1, 4);
    put(buf + 24, entry, 8);
    put(buf + 32, 64, 8);         /* e_phoff */
    put(buf + 52, 64, 2);         /* e_ehsize */
    put(buf + 54, 56, 2);         /* e_phentsize */
    put(buf + 56, nsegs, 2);
    for (unsigned i = 0; i < nsegs; i++) {
        uint8_t *ph = buf + 64 + 56 * i;
        put(ph, 1, 4);            /* PT_LOAD */
        put(ph + 4, 7, 4);        /* RWX */
        put(ph + 8, off, 8);
        put(ph + 16, segs[i].paddr, 8);
        put(ph + 24, segs[i].paddr, 8);
        put(ph + 32, segs[i].filesz, 8);
        put(ph + 40, segs[i].memsz, 8);
        put(ph + 48, 0x1000, 8);
        memset(buf + off, segs[i].fill, segs[i].filesz);
        off += segs[i].filesz;
    }
    return off;
}

static CoreAddrSpace *new_as(void)
{
    CoreAddrSpace *as = core_mem_new();
    core_mem_add_ram(as, "ram", RAM_BASE, RAM_SIZE);
    uint8_t *ram = core_mem_host_ptr(as, RAM_BASE, RAM_SIZE);
    memset(ram, 0xaa, RAM_SIZE);   /* so zero-filling is visible */
    return as;
}

static bool ram_untouched(CoreAddrSpace *as)
{
    uint8_t *ram = core_mem_host_ptr(as, RAM_BASE, RAM_SIZE);
    for (uint64_t i = 0; i < RAM_SIZE; i++) {
        if (ram[i] != 0xaa) {
            return false;
        }
    }
    return true;
}

static bool contains(const char *s, const char *sub)
{
    if (!strstr(s, sub)) {
        fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", s, sub);
        return false;
    }
    return true;
}

static void test_elf_segments_loaded_by_paddr(void)
{
    static uint8_t buf[4096];
    TestSeg segs[] = {
        { RAM_BASE, 16, 32, 0x11 },
        { RAM_BASE + 0x1000, 8, 8, 0x22 },
    };
    size_t len = make_elf(buf, 243, RAM_BASE + 4, segs, 2);
    const char *path = tmp_path("good.elf");
    CoreAddrSpace *as = new_as();
    CoreLoadedImage img;
    char err[256] = "";

    write_file(path, buf, len);
    CHECK(core_file_is_elf(path));
    CHECK(core_load_elf(as, path, 243, &img, err, sizeof(err)) == 0);
    CHECK(img.is_elf && img.entry == RAM_BASE + 4);
    CHECK(img.low == RAM_BASE && img.high == RAM_BASE + 0x1008);
    uint8_t *ram = core_mem_host_ptr(as, RAM_BASE, RAM_SIZE);
    CHECK(ram[0] == 0x11 && ram[15] == 0x11);
    CHECK(ram[16] == 0 && ram[31] == 0);          /* memsz beyond filesz */
    CHECK(ram[32] == 0xaa);                       /* past the segment */
    CHECK(ram[0x1000] == 0x22 && ram[0x1007] == 0x22 && ram[0x1008] == 0xaa);

    /* core_load_image sees the magic and loads it as ELF too. */
    memset(ram, 0xaa, RAM_SIZE);
    CHECK(core_load_image(as, path, 243, RAM_BASE + 0x8000, &img, err,
                          sizeof(err)) == 0);
    CHECK(img.is_elf && ram[0] == 0x11 && ram[0x8000] == 0xaa);
    core_mem_free(as);
}

static void test_raw_image(void)
{
    uint8_t data[300];
    const char *path = tmp_path("raw.bin");
    CoreAddrSpace *as = new_as();
    CoreLoadedImage img;
    char err[256] = "";

    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)i;
    }
    write_file(path, data, sizeof(data));
    CHECK(!core_file_is_elf(path));
    CHECK(core_load_image(as, path, 243, RAM_BASE + 0xff000,
                          &img, err, sizeof(err)) == 0);
    CHECK(!img.is_elf && img.entry == RAM_BASE + 0xff000);
    CHECK(img.low == img.entry && img.high == img.entry + sizeof(data));
    uint8_t *p = core_mem_host_ptr(as, img.entry, sizeof(data));
    CHECK(p && memcmp(p, data, sizeof(data)) == 0);

    CHECK(core_load_raw(as, path, RAM_BASE + RAM_SIZE - 100, &img, err,
                        sizeof(err)) < 0);
    CHECK(contains(err, path) && contains(err, "0x12c bytes at 0x800fff9c") &&
          contains(err, "do not fit in RAM"));
    core_mem_free(as);
}

/* Images larger than the loader's read buffer (256 KiB): every chunk at
   its own address, from its own file offset. */
static void test_large_images(void)
{
    enum { BIG = 600 * 1024, HDR = 64 + 56 };
    static uint8_t buf[HDR + BIG];
    const char *raw = tmp_path("big.bin"), *elf = tmp_path("big.elf");
    CoreAddrSpace *as = new_as();
    CoreLoadedImage img;
    char err[256] = "";
    uint8_t *ram = core_mem_host_ptr(as, RAM_BASE, RAM_SIZE);

    for (size_t i = 0; i < BIG; i++) {
        buf[i] = (uint8_t)(i * 7 + (i >> 12));
    }
    buf[0] = 0x13;   /* code, not text */
    write_file(raw, buf, BIG);
    CHECK(core_load_raw(as, raw, RAM_BASE + 0x1000, &img, err,
                        sizeof(err)) == 0, "raw: %s", err);
    CHECK(memcmp(ram + 0x1000, buf, BIG) == 0, "raw image intact");
    CHECK(ram[0xfff] == 0xaa && ram[0x1000 + BIG] == 0xaa);

    TestSeg seg = { RAM_BASE + 0x2000, BIG, BIG + 100, 0 };
    memset(ram, 0xaa, RAM_SIZE);
    size_t len = make_elf(buf, 243, RAM_BASE + 0x2000, &seg, 1);
    for (size_t i = 0; i < BIG; i++) {
        buf[HDR + i] = (uint8_t)(i * 5 + (i >> 12));
    }
    write_file(elf, buf, len);
    CHECK(core_load_elf(as, elf, 243, &img, err, sizeof(err)) == 0,
          "elf: %s", err);
    CHECK(memcmp(ram + 0x2000, buf + HDR, BIG) == 0, "segment intact");
    CHECK(ram[0x2000 + BIG] == 0 && ram[0x2000 + BIG + 99] == 0 &&
          ram[0x2000 + BIG + 100] == 0xaa, "zero fill after it");
    core_mem_free(as);
}

static void test_missing_file(void)
{
    const char *path = tmp_path("nonexistent.elf");
    CoreAddrSpace *as = new_as();
    char err[256] = "";

    CHECK(core_load_elf(as, path, 243, NULL, err, sizeof(err)) < 0);
    CHECK(contains(err, path) && contains(err, "No such file or directory"));
    err[0] = '\0';
    CHECK(core_load_image(as, path, 243, RAM_BASE, NULL, err, sizeof(err)) < 0);
    CHECK(contains(err, "No such file or directory"));
    CHECK(!core_file_is_elf(path));
    core_mem_free(as);
}

static void test_garbage_is_not_elf(void)
{
    const char *path = tmp_path("garbage.elf");
    CoreAddrSpace *as = new_as();
    char err[256] = "";

    write_file(path, "this is not an ELF file at all", 30);
    CHECK(core_load_elf(as, path, 243, NULL, err, sizeof(err)) < 0);
    CHECK(contains(err, path) && contains(err, "not an ELF file"));
    CHECK(ram_untouched(as));
    core_mem_free(as);
}

static void test_wrong_architecture(void)
{
    static uint8_t buf[4096];
    TestSeg seg = { RAM_BASE, 16, 16, 0x33 };
    size_t len = make_elf(buf, 62, RAM_BASE, &seg, 1);
    const char *path = tmp_path("x86.elf");
    CoreAddrSpace *as = new_as();
    char err[256] = "";

    write_file(path, buf, len);
    CHECK(core_load_image(as, path, 243, RAM_BASE, NULL, err, sizeof(err)) < 0);
    CHECK(contains(err, path) &&
          contains(err, "ELF for machine 62 (x86-64), expected RISC-V (243)"));
    CHECK(ram_untouched(as));

    make_elf(buf, 243, RAM_BASE, &seg, 1);
    buf[4] = 1;
    write_file(path, buf, len);
    CHECK(core_load_elf(as, path, 243, NULL, err, sizeof(err)) < 0);
    CHECK(contains(err, "32-bit ELF, expected ELF64"));
    buf[4] = 2;
    buf[5] = 2;
    write_file(path, buf, len);
    CHECK(core_load_elf(as, path, 243, NULL, err, sizeof(err)) < 0);
    CHECK(contains(err, "big-endian ELF, expected little-endian"));
    CHECK(ram_untouched(as));
    core_mem_free(as);
}

static void test_truncated_elf(void)
{
    static uint8_t buf[4096];
    TestSeg seg = { RAM_BASE, 256, 256, 0x44 };
    size_t len = make_elf(buf, 243, RAM_BASE, &seg, 1);
    const char *path = tmp_path("trunc.elf");
    CoreAddrSpace *as = new_as();
    char err[256] = "";

    write_file(path, buf, 40);
    CHECK(core_load_elf(as, path, 243, NULL, err, sizeof(err)) < 0);
    CHECK(contains(err, path) && contains(err, "truncated ELF header"));

    write_file(path, buf, 64 + 20);
    CHECK(core_load_elf(as, path, 243, NULL, err, sizeof(err)) < 0);
    CHECK(contains(err, path) && contains(err, "truncated ELF") &&
          contains(err, "program headers"));

    write_file(path, buf, len - 1);
    CHECK(core_load_elf(as, path, 243, NULL, err, sizeof(err)) < 0);
    CHECK(contains(err, path) && contains(err, "truncated ELF") &&
          contains(err, "segment at 0x80000000"));
    CHECK(ram_untouched(as));
    core_mem_free(as);
}

static void test_segment_outside_ram(void)
{
    static uint8_t buf[4096];
    TestSeg segs[] = {
        { RAM_BASE, 16, 16, 0x55 },                  /* fine */
        { RAM_BASE + RAM_SIZE - 8, 16, 16, 0x66 },   /* straddles the end */
    };
    size_t len = make_elf(buf, 243, RAM_BASE, segs, 2);
    const char *path = tmp_path("outside.elf");
    CoreAddrSpace *as = new_as();
    char err[256] = "";

    write_file(path, buf, len);
    CHECK(core_load_elf(as, path, 243, NULL, err, sizeof(err)) < 0);
    CHECK(contains(err, path) &&
          contains(err, "segment at 0x800ffff8 (size 0x10) is outside RAM "
                        "(0x80000000-0x800fffff)"));
    CHECK(ram_untouched(as));   /* the good first segment was not written */

    segs[1].paddr = 0x1000;
    core_mem_add_rom(as, "mrom", 0x10000, 0x1000);
    len = make_elf(buf, 243, RAM_BASE, segs, 2);
    write_file(path, buf, len);
    CHECK(core_load_elf(as, path, 243, NULL, err, sizeof(err)) < 0);
    CHECK(contains(err, "segment at 0x1000 (size 0x10) is outside RAM/ROM "
                        "(0x10000-0x10fff, 0x80000000-0x800fffff)"));
    core_mem_free(as);
}

static void test_overlapping_segments(void)
{
    static uint8_t buf[4096];
    TestSeg segs[] = {
        { RAM_BASE + 0x100, 16, 0x40, 0x11 },
        { RAM_BASE, 16, 0x101, 0x22 },   /* ends one byte into the first */
    };
    size_t len = make_elf(buf, 243, RAM_BASE, segs, 2);
    const char *path = tmp_path("overlap.elf");
    CoreAddrSpace *as = new_as();
    char err[256] = "";

    write_file(path, buf, len);
    CHECK(core_load_elf(as, path, 243, NULL, err, sizeof(err)) < 0);
    CHECK(contains(err, path) && contains(err, "overlap") &&
          contains(err, "0x80000000 (size 0x101) and 0x80000100"));
    CHECK(ram_untouched(as));

    segs[1].memsz = 0x100;   /* touching, not overlapping: fine */
    len = make_elf(buf, 243, RAM_BASE, segs, 2);
    write_file(path, buf, len);
    CHECK(core_load_elf(as, path, 243, NULL, err, sizeof(err)) == 0);
    core_mem_free(as);
}

/* -bios / -kernel go through core_load_image: a raw binary is legal (as in
   QEMU), a file that is clearly something else is not. */
static void test_garbage_image(void)
{
    static const struct {
        const char *bytes;
        size_t len;
        const char *why;
    } bad[] = {
        { "", 0, "empty file" },
        { "\xd0\x0d\xfe\xed\0\0\x10\0", 8, "device tree" },
        { "\x1f\x8b\x08\0\0\0\0\0", 8, "gzip" },
        { "\x28\xb5\x2f\xfd\0\0", 6, "zstd" },
        { "\x27\x05\x19\x56\0\0\0\0", 8, "uImage" },
        { "#!/bin/sh\necho this is not firmware\n", 36, "text file" },
        { "\x7f" "ELF\x02\x01\x01", 7, "truncated ELF header" },
    };
    const char *path = tmp_path("garbage.bin");
    CoreAddrSpace *as = new_as();
    char err[256] = "";

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_file(path, bad[i].bytes, bad[i].len);
        err[0] = '\0';
        CHECK(core_load_image(as, path, 243, RAM_BASE, NULL, err,
                              sizeof(err)) < 0);
        CHECK(contains(err, path) && contains(err, bad[i].why));
    }
    CHECK(ram_untouched(as));
    /* Bigger than RAM. */
    static uint8_t big[RAM_SIZE + 16];
    memset(big, 0x13, sizeof(big));
    write_file(path, big, sizeof(big));
    CHECK(core_load_image(as, path, 243, RAM_BASE, NULL, err, sizeof(err)) < 0);
    CHECK(contains(err, path) && contains(err, "do not fit"));
    CHECK(ram_untouched(as));
    /* Code that happens to contain text further on is still a raw image. */
    uint8_t code[300];
    memset(code, 'A', sizeof(code));
    memcpy(code, "\x13\x05\x00\x00", 4);   /* li a0, 0 */
    write_file(path, code, sizeof(code));
    CHECK(core_load_image(as, path, 243, RAM_BASE, NULL, err, sizeof(err)) == 0);
    core_mem_free(as);
}

/* A FIFO would block open() forever, a directory "opens" fine: both are
   refused at once, naming the file. */
static void test_not_regular_files(void)
{
    const char *fifo = tmp_path("input.fifo");
    CoreAddrSpace *as = new_as();
    char err[256] = "";
    uint64_t size;
    void *data;
    size_t len;

    if (mkfifo(fifo, 0600) != 0) {
        perror(fifo);
        exit(2);
    }
    check_hang_guard(10, "a loader waits on a FIFO");
    CHECK(core_load_image(as, fifo, 243, RAM_BASE, NULL, err, sizeof(err)) < 0);
    CHECK(contains(err, fifo) && contains(err, "a FIFO, not a regular file"));
    CHECK(core_load_raw(as, fifo, RAM_BASE, NULL, err, sizeof(err)) < 0);
    CHECK(contains(err, "a FIFO"));
    CHECK(core_open_input(fifo, &size, err, sizeof(err)) < 0);
    CHECK(core_read_file(dir, 1 << 20, &data, &len, err, sizeof(err)) < 0);
    CHECK(contains(err, dir) && contains(err, "a directory, not a regular file"));
    CHECK(core_load_elf(as, dir, 243, NULL, err, sizeof(err)) < 0);
    CHECK(contains(err, "a directory"));
    CHECK(!core_file_is_elf(fifo));
    check_hang_guard(0, NULL);
    CHECK(ram_untouched(as));
    unlink(fifo);
    core_mem_free(as);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/loader_test.XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    test_elf_segments_loaded_by_paddr();
    test_raw_image();
    test_large_images();
    test_missing_file();
    test_garbage_is_not_elf();
    test_wrong_architecture();
    test_truncated_elf();
    test_segment_outside_ram();
    test_overlapping_segments();
    test_garbage_image();
    test_not_regular_files();

    const char *names[] = { "good.elf", "raw.bin", "garbage.elf", "x86.elf",
                            "trunc.elf", "outside.elf", "overlap.elf",
                            "garbage.bin", "big.bin", "big.elf" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        unlink(tmp_path(names[i]));
    }
    rmdir(dir);
    return check_done("loader");
}
