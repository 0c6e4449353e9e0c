/*
 * Loading guest images into RAM/ROM: ELF64 (RISC-V, executable) or raw
 * binaries. Errors name the file and what is wrong with it.
 */
#ifndef CORE_LOADER_H
#define CORE_LOADER_H

#include "core/mem.h"

typedef struct CoreLoadedImage {
    gpa_t entry;     /* ELF entry, or the load address for raw images */
    gpa_t low;       /* lowest byte loaded */
    gpa_t high;      /* one past the highest byte loaded */
    bool is_elf;
    /* The whole file went into memory (raw images): its size and content
       hash (core_hash_bytes of the file), computed as it was copied. */
    bool whole_file;
    uint64_t file_size, file_hash;
} CoreLoadedImage;

/* Opens a regular file for reading without ever blocking: a FIFO, a
   directory or a device is refused ("PATH: is a FIFO, not a regular
   file"). Returns the fd and the file size, or a negative errno. */
int core_open_input(const char *path, uint64_t *size, char *err, size_t errlen);
/* Reads a whole regular file (1 to max bytes) into a malloc'd buffer. */
int core_read_file(const char *path, uint64_t max, void **data, size_t *size,
                   char *err, size_t errlen);
/* Required ELF e_machine, e.g. 243 (EM_RISCV). */
int core_load_elf(CoreAddrSpace *as, const char *path, uint16_t machine,
                  CoreLoadedImage *out, char *err, size_t errlen);
/* Load a raw binary at addr. */
int core_load_raw(CoreAddrSpace *as, const char *path, gpa_t addr,
                  CoreLoadedImage *out, char *err, size_t errlen);
/* ELF if the file starts with the ELF magic, else raw at raw_addr. */
int core_load_image(CoreAddrSpace *as, const char *path, uint16_t machine,
                    gpa_t raw_addr, CoreLoadedImage *out, char *err,
                    size_t errlen);
/* True if path starts with the ELF magic. */
bool core_file_is_elf(const char *path);

/* Read exactly len bytes of fd at off (retrying on EINTR); false on a short
   read or an error. */
bool core_read_at(int fd, uint64_t off, void *buf, size_t len);

/* The little-endian unsigned integer of `bytes` (1..8) bytes at p. */
uint64_t core_le(const uint8_t *p, unsigned bytes);
/* Is the ELF identification at h (its first 6 bytes: magic, class, data)
   ELF64 little-endian, the only kind rewind reads? If not, false with
   "PATH: 32-bit ELF, expected ELF64" or "... expected little-endian". */
bool core_elf64le_check(const char *path, const uint8_t *h, char *err,
                        size_t errlen);

#endif
