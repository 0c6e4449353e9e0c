/*
 * Loading guest images: ELF64 little-endian executables and raw binaries
 * (see core/loader.h).
 *
 * ELF (System V gABI, "ELF Header" and "Program Header"): only ELF64,
 * little-endian, ET_EXEC or ET_DYN (OpenSBI's firmware is position
 * independent and ET_DYN), for the e_machine the caller asks for. Every
 * PT_LOAD segment is placed at its physical address p_paddr: p_filesz
 * bytes from the file, then zeros up to p_memsz, as QEMU's load_elf does
 * for a board without an IOMMU. All headers and segment ranges are checked
 * before the first byte is written, so a rejected image leaves guest memory
 * untouched. Overlapping segments are refused (the result would depend on
 * the load order).
 *
 * Raw images (-bios and -kernel without the ELF magic; QEMU accepts raw
 * binaries there too) are refused when they are recognisably something
 * else: empty, a device tree, compressed data, a uImage, or text. Every
 * file is opened without blocking and must be a regular file, so a FIFO
 * or a directory given by mistake is an error, not a hang.
 *
 * Every message starts with the file name, e.g.
 *     kernel.elf: ELF for machine 62 (x86-64), expected RISC-V (243)
 */
#include "core/loader.h"
#include "core/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EHDR_SIZE 64
#define PHDR_SIZE 56
#define PT_LOAD 1
#define ET_EXEC 2
#define ET_DYN 3

static const uint8_t elf_magic[4] = { 0x7f, 'E', 'L', 'F' };

typedef struct Segment {
    gpa_t paddr;
    uint64_t offset, filesz, memsz;
} Segment;

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return code;
}

uint64_t core_le(const uint8_t *p, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

bool core_elf64le_check(const char *path, const uint8_t *h, char *err,
                        size_t errlen)
{
    if (h[4] != 2) {
        fail(err, errlen, 0, "%s: %s ELF, expected ELF64", path,
             h[4] == 1 ? "32-bit" : "unknown-class");
        return false;
    }
    if (h[5] != 1) {
        fail(err, errlen, 0, "%s: %s ELF, expected little-endian", path,
             h[5] == 2 ? "big-endian" : "unknown-endian");
        return false;
    }
    return true;
}

static const char *machine_name(unsigned machine)
{
    switch (machine) {
    case 2: return "SPARC";
    case 3: return "x86";
    case 8: return "MIPS";
    case 20: return "PowerPC";
    case 21: return "PowerPC64";
    case 22: return "S/390";
    case 40: return "ARM";
    case 43: return "SPARC V9";
    case 62: return "x86-64";
    case 183: return "AArch64";
    case 243: return "RISC-V";
    case 258: return "LoongArch";
    default: return "unknown";
    }
}

bool core_read_at(int fd, uint64_t off, void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return true;
}

static const char *file_type(mode_t mode)
{
    return S_ISDIR(mode) ? "a directory" : S_ISFIFO(mode) ? "a FIFO"
         : S_ISCHR(mode) ? "a character device"
         : S_ISBLK(mode) ? "a block device"
         : S_ISSOCK(mode) ? "a socket" : "not a plain file";
}

int core_open_input(const char *path, uint64_t *size, char *err, size_t errlen)
{
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
       writer forever; cleared once we know it is a regular file. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat st;

    if (fd < 0) {
        return fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
    }
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return fail(err, errlen, -e, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return fail(err, errlen, -EINVAL, "%s: is %s, not a regular file",
                    path, file_type(st.st_mode));
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        int e = errno;
        close(fd);
        return fail(err, errlen, -e, "%s: %s", path, strerror(e));
    }
    *size = (uint64_t)st.st_size;
    return fd;
}

int core_read_file(const char *path, uint64_t max, void **data, size_t *size,
                   char *err, size_t errlen)
{
    uint64_t fsize;
    int fd = core_open_input(path, &fsize, err, errlen);
    if (fd < 0) {
        return fd;
    }
    int rc = 0;
    uint8_t *buf = NULL;
    if (fsize == 0) {
        rc = fail(err, errlen, -EINVAL, "%s: empty file", path);
    } else if (fsize > max) {
        rc = fail(err, errlen, -EFBIG, "%s: %" PRIu64 " bytes, more than the "
                  "%" PRIu64 " accepted", path, fsize, max);
    } else if (!(buf = malloc(fsize))) {
        rc = fail(err, errlen, -ENOMEM, "%s: out of memory", path);
    } else if (!core_read_at(fd, 0, buf, fsize)) {
        rc = fail(err, errlen, -EIO, "%s: read error", path);
    }
    close(fd);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    *data = buf;
    *size = fsize;
    return 0;
}

/* Bytes of a file copied into guest memory per read. */
#define COPY_CHUNK ((size_t)256 << 10)

/* Copy len bytes of fd from off to guest address addr, a chunk at a
   time: a whole image in one host buffer (a 31 MiB kernel) cost a page
   fault per 4 KiB of it on every start, record and replay. With h, the
   bytes also go into that hash as they pass. 0, -ENOMEM, -EIO (read) or
   -ERANGE (not all RAM or ROM). */
static int copy_in(CoreAddrSpace *as, int fd, uint64_t off, gpa_t addr,
                   uint64_t len, CoreHash *h)
{
    uint8_t *buf = malloc(len < COPY_CHUNK ? (len ? len : 1) : COPY_CHUNK);
    if (!buf) {
        return -ENOMEM;
    }
    int rc = 0;
    for (uint64_t done = 0; done < len && rc == 0;) {
        size_t n = len - done < COPY_CHUNK ? (size_t)(len - done) : COPY_CHUNK;
        if (!core_read_at(fd, off + done, buf, n)) {
            rc = -EIO;
        } else if (!core_mem_write_bytes(as, addr + done, buf, n)) {
            rc = -ERANGE;
        } else if (h) {
            core_hash_update(h, buf, n);
        }
        done += n;
    }
    free(buf);
    return rc;
}

/* True if every byte of [addr, addr+len) is RAM or ROM. */
static bool fits_in_memory(CoreAddrSpace *as, gpa_t addr, uint64_t len)
{
    if (len == 0) {
        return true;
    }
    if (addr + len - 1 < addr) {
        return false;
    }
    gpa_t last = addr + len - 1;
    for (;;) {
        CoreMemRegion *r = core_mem_find(as, addr);
        if (!r || r->kind == CORE_MEM_MMIO) {
            return false;
        }
        gpa_t region_last = r->base + r->size - 1;
        if (region_last >= last) {
            return true;
        }
        addr = region_last + 1;
    }
}

/* "0x80000000-0x87ffffff", one range per RAM/ROM region, for messages. */
static void describe_memory(CoreAddrSpace *as, char *buf, size_t buflen,
                            const char **label)
{
    size_t n = core_mem_region_count(as), used = 0, count = 0;
    bool has_rom = false;

    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        CoreMemRegion *r = core_mem_region(as, i);
        if (r->kind == CORE_MEM_MMIO) {
            continue;
        }
        has_rom |= r->kind == CORE_MEM_ROM;
        int w = snprintf(buf + used, buflen - used, "%s0x%" PRIx64 "-0x%" PRIx64,
                         count ? ", " : "", r->base, r->base + r->size - 1);
        if (w < 0 || (size_t)w >= buflen - used) {
            break;
        }
        used += (size_t)w;
        count++;
    }
    if (count == 0) {
        snprintf(buf, buflen, "none mapped");
    }
    *label = has_rom ? "RAM/ROM" : "RAM";
}

static bool write_zeros(CoreAddrSpace *as, gpa_t addr, uint64_t len)
{
    static const uint8_t zeros[65536];
    while (len > 0) {
        uint64_t n = len < sizeof(zeros) ? len : sizeof(zeros);
        if (!core_mem_write_bytes(as, addr, zeros, n)) {
            return false;
        }
        addr += n;
        len -= n;
    }
    return true;
}

static int check_header(const char *path, const uint8_t *h, uint16_t machine,
                        char *err, size_t errlen)
{
    if (!core_elf64le_check(path, h, err, errlen)) {
        return -ENOEXEC;
    }
    unsigned type = core_le(h + 16, 2), mach = core_le(h + 18, 2);
    if (mach != machine) {
        return fail(err, errlen, -ENOEXEC, "%s: ELF for machine %u (%s), expected %s (%u)",
                    path, mach, machine_name(mach), machine_name(machine), machine);
    }
    if (type != ET_EXEC && type != ET_DYN) {
        return fail(err, errlen, -ENOEXEC, "%s: ELF type %u, expected an executable",
                    path, type);
    }
    if (core_le(h + 54, 2) < PHDR_SIZE) {
        return fail(err, errlen, -ENOEXEC, "%s: program header entries of %u bytes, "
                    "expected at least %u", path, (unsigned)core_le(h + 54, 2),
                    PHDR_SIZE);
    }
    return 0;
}

static int cmp_paddr(const void *x, const void *y)
{
    const Segment *a = x, *b = y;
    return a->paddr < b->paddr ? -1 : a->paddr > b->paddr;
}

/* Read and validate the PT_LOAD segments; returns their count or < 0. */
static int read_segments(CoreAddrSpace *as, const char *path, int fd,
                         uint64_t fsize, const uint8_t *h, Segment **out,
                         char *err, size_t errlen)
{
    uint64_t phoff = core_le(h + 32, 8);
    unsigned phentsize = core_le(h + 54, 2), phnum = core_le(h + 56, 2);
    Segment *segs = calloc(phnum ? phnum : 1, sizeof(*segs));
    int nsegs = 0;

    if (!segs) {
        return fail(err, errlen, -ENOMEM, "%s: out of memory", path);
    }
    if (phoff > fsize || (uint64_t)phnum * phentsize > fsize - phoff) {
        free(segs);
        return fail(err, errlen, -ENOEXEC, "%s: truncated ELF (program headers "
                    "end past the end of the file)", path);
    }
    for (unsigned i = 0; i < phnum; i++) {
        uint8_t ph[PHDR_SIZE];
        if (!core_read_at(fd, phoff + (uint64_t)i * phentsize, ph, sizeof(ph))) {
            free(segs);
            return fail(err, errlen, -EIO, "%s: cannot read program header %u", path, i);
        }
        if (core_le(ph, 4) != PT_LOAD) {
            continue;
        }
        Segment s = { .offset = core_le(ph + 8, 8), .paddr = core_le(ph + 24, 8),
                      .filesz = core_le(ph + 32, 8), .memsz = core_le(ph + 40, 8) };
        if (s.memsz == 0) {
            continue;
        }
        if (s.filesz > s.memsz) {
            free(segs);
            return fail(err, errlen, -ENOEXEC, "%s: segment at 0x%" PRIx64
                        " has file size 0x%" PRIx64 " > memory size 0x%" PRIx64,
                        path, s.paddr, s.filesz, s.memsz);
        }
        if (s.offset > fsize || s.filesz > fsize - s.offset) {
            free(segs);
            return fail(err, errlen, -ENOEXEC, "%s: truncated ELF (segment at 0x%"
                        PRIx64 " needs file bytes 0x%" PRIx64 "-0x%" PRIx64
                        ", file is 0x%" PRIx64 " bytes)", path, s.paddr, s.offset,
                        s.offset + s.filesz, fsize);
        }
        if (!fits_in_memory(as, s.paddr, s.memsz)) {
            char ranges[256];
            const char *label;
            describe_memory(as, ranges, sizeof(ranges), &label);
            free(segs);
            return fail(err, errlen, -ERANGE, "%s: segment at 0x%" PRIx64
                        " (size 0x%" PRIx64 ") is outside %s (%s)",
                        path, s.paddr, s.memsz, label, ranges);
        }
        segs[nsegs++] = s;
    }
    if (nsegs == 0) {
        free(segs);
        return fail(err, errlen, -ENOEXEC, "%s: ELF has no loadable segments", path);
    }
    /* Overlapping segments would make the result depend on load order:
       a linker never produces them, a damaged or crafted file does. */
    qsort(segs, (size_t)nsegs, sizeof(*segs), cmp_paddr);
    for (int i = 1; i < nsegs; i++) {
        const Segment *a = &segs[i - 1], *b = &segs[i];
        if (b->paddr - a->paddr < a->memsz) {
            int rc = fail(err, errlen, -ENOEXEC, "%s: segments at 0x%" PRIx64
                          " (size 0x%" PRIx64 ") and 0x%" PRIx64 " (size 0x%"
                          PRIx64 ") overlap", path, a->paddr, a->memsz,
                          b->paddr, b->memsz);
            free(segs);
            return rc;
        }
    }
    *out = segs;
    return nsegs;
}

static int load_elf_fd(CoreAddrSpace *as, const char *path, int fd,
                       uint64_t fsize, uint16_t machine, CoreLoadedImage *out,
                       char *err, size_t errlen)
{
    uint8_t h[EHDR_SIZE];
    Segment *segs = NULL;

    if (fsize < sizeof(elf_magic) || !core_read_at(fd, 0, h, sizeof(elf_magic)) ||
        memcmp(h, elf_magic, sizeof(elf_magic)) != 0) {
        return fail(err, errlen, -ENOEXEC, "%s: not an ELF file", path);
    }
    if (fsize < EHDR_SIZE || !core_read_at(fd, 0, h, EHDR_SIZE)) {
        return fail(err, errlen, -ENOEXEC, "%s: truncated ELF header (%" PRIu64
                    " bytes, need %u)", path, fsize, EHDR_SIZE);
    }
    int rc = check_header(path, h, machine, err, errlen);
    if (rc < 0) {
        return rc;
    }
    int nsegs = read_segments(as, path, fd, fsize, h, &segs, err, errlen);
    if (nsegs < 0) {
        return nsegs;
    }

    CoreLoadedImage img = { .entry = core_le(h + 24, 8), .low = UINT64_MAX,
                            .high = 0, .is_elf = true };
    for (int i = 0; i < nsegs && rc == 0; i++) {
        const Segment *s = &segs[i];
        int crc = copy_in(as, fd, s->offset, s->paddr, s->filesz, NULL);
        if (crc == -ENOMEM) {
            rc = fail(err, errlen, -ENOMEM, "%s: out of memory", path);
        } else if (crc == -EIO) {
            rc = fail(err, errlen, -EIO, "%s: read error in segment at 0x%" PRIx64,
                      path, s->paddr);
        } else if (crc < 0 ||
                   !write_zeros(as, s->paddr + s->filesz, s->memsz - s->filesz)) {
            rc = fail(err, errlen, -ERANGE, "%s: cannot write segment at 0x%" PRIx64,
                      path, s->paddr);
        }
        if (s->paddr < img.low) {
            img.low = s->paddr;
        }
        if (s->paddr + s->memsz > img.high) {
            img.high = s->paddr + s->memsz;
        }
    }
    free(segs);
    if (rc == 0 && out) {
        *out = img;
    }
    return rc;
}

static int load_raw_fd(CoreAddrSpace *as, const char *path, int fd,
                       uint64_t fsize, gpa_t addr, CoreLoadedImage *out,
                       char *err, size_t errlen)
{
    if (fsize == 0) {
        return fail(err, errlen, -EINVAL, "%s: empty file", path);
    }
    if (!fits_in_memory(as, addr, fsize)) {
        return fail(err, errlen, -ERANGE, "%s: 0x%" PRIx64 " bytes at 0x%" PRIx64
                    " do not fit in RAM", path, fsize, addr);
    }
    CoreHash h;
    core_hash_init(&h);
    int rc = copy_in(as, fd, 0, addr, fsize, &h);
    if (rc == -ENOMEM) {
        rc = fail(err, errlen, -ENOMEM, "%s: out of memory", path);
    } else if (rc == -EIO) {
        rc = fail(err, errlen, -EIO, "%s: read error", path);
    } else if (rc < 0) {
        rc = fail(err, errlen, -ERANGE, "%s: cannot write 0x%" PRIx64 " bytes at 0x%"
                  PRIx64, path, fsize, addr);
    }
    if (rc == 0 && out) {
        *out = (CoreLoadedImage){ .entry = addr, .low = addr,
                                  .high = addr + fsize, .is_elf = false,
                                  .whole_file = true, .file_size = fsize,
                                  .file_hash = core_hash_final(&h) };
    }
    return rc;
}

int core_load_elf(CoreAddrSpace *as, const char *path, uint16_t machine,
                  CoreLoadedImage *out, char *err, size_t errlen)
{
    uint64_t fsize;
    int fd = core_open_input(path, &fsize, err, errlen);
    if (fd < 0) {
        return fd;
    }
    int rc = load_elf_fd(as, path, fd, fsize, machine, out, err, errlen);
    close(fd);
    return rc;
}

int core_load_raw(CoreAddrSpace *as, const char *path, gpa_t addr,
                  CoreLoadedImage *out, char *err, size_t errlen)
{
    uint64_t fsize;
    int fd = core_open_input(path, &fsize, err, errlen);
    if (fd < 0) {
        return fd;
    }
    int rc = load_raw_fd(as, path, fd, fsize, addr, out, err, errlen);
    close(fd);
    return rc;
}

/* A raw image must be code, not a file that is recognisably something
   else given by mistake: such a file would load "fine" and the guest
   would run garbage. Returns what it is, or NULL. */
static const char *not_an_image(int fd, uint64_t fsize)
{
    static const struct {
        const char *magic;
        size_t len;
        const char *what;
    } known[] = {
        { "\xd0\x0d\xfe\xed", 4, "a device tree blob (use -dtb)" },
        { "\x1f\x8b", 2, "gzip-compressed (decompress it first)" },
        { "\xfd" "7zXZ\0", 6, "xz-compressed (decompress it first)" },
        { "\x28\xb5\x2f\xfd", 4, "zstd-compressed (decompress it first)" },
        { "BZh", 3, "bzip2-compressed (decompress it first)" },
        { "\x27\x05\x19\x56", 4, "a U-Boot uImage (not supported: give "
                                  "the ELF or raw image)" },
    };
    uint8_t head[256];
    size_t n = fsize < sizeof(head) ? (size_t)fsize : sizeof(head);
    if (!core_read_at(fd, 0, head, n)) {
        return NULL;   /* the load itself reports the read error */
    }
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (n >= known[i].len && memcmp(head, known[i].magic, known[i].len) == 0) {
            return known[i].what;
        }
    }
    /* Machine code always has bytes outside printable ASCII (every RISC-V
       opcode byte ends in binary 11, e.g. 0x13, 0x93, 0x03, 0x73) within
       its first instructions; 256 printable bytes are a text file. */
    for (size_t i = 0; i < n; i++) {
        uint8_t c = head[i];
        if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c >= 0x7f) {
            return NULL;
        }
    }
    return "a text file";
}

int core_load_image(CoreAddrSpace *as, const char *path, uint16_t machine,
                    gpa_t raw_addr, CoreLoadedImage *out, char *err,
                    size_t errlen)
{
    uint64_t fsize;
    uint8_t magic[4];
    int fd = core_open_input(path, &fsize, err, errlen);
    if (fd < 0) {
        return fd;
    }
    int rc;
    if (fsize >= sizeof(magic) && core_read_at(fd, 0, magic, sizeof(magic)) &&
        memcmp(magic, elf_magic, sizeof(magic)) == 0) {
        rc = load_elf_fd(as, path, fd, fsize, machine, out, err, errlen);
    } else {
        const char *what = fsize ? not_an_image(fd, fsize) : NULL;
        rc = what ? fail(err, errlen, -ENOEXEC, "%s: not an ELF or raw "
                         "executable image: %s", path, what)
                  : load_raw_fd(as, path, fd, fsize, raw_addr, out, err,
                                errlen);
    }
    close(fd);
    return rc;
}

bool core_file_is_elf(const char *path)
{
    uint8_t magic[4];
    uint64_t size;
    char err[8];
    int fd = core_open_input(path, &size, err, sizeof(err));
    if (fd < 0) {
        return false;
    }
    bool is_elf = core_read_at(fd, 0, magic, sizeof(magic)) &&
                  memcmp(magic, elf_magic, sizeof(magic)) == 0;
    close(fd);
    return is_elf;
}
