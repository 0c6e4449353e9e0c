/*
 * What recording and replaying share (see replay/rr_int.h): the hash of an
 * input file, by which a replay knows it loads the recorded kernel,
 * firmware and device tree (the loader's, for the images it read whole),
 * and whether a session has ended.
 */
#include "replay/rr_int.h"
#include "core/hash.h"
#include "core/loader.h"

#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

bool rr_input_hash(const CoreMachine *m, const char *path, uint64_t *size,
                   char hex[17])
{
    uint64_t fsize, loaded;
    if (core_machine_loaded_hash(m, path, size, &loaded)) {
        snprintf(hex, 17, "%016" PRIx64, loaded);
        return true;
    }
    char err[8];
    int fd = core_open_input(path, &fsize, err, sizeof(err));
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        if (fd >= 0) {
            close(fd);
        }
        return false;
    }
    CoreHash h;
    core_hash_init(&h);
    uint8_t buf[65536];
    size_t n;
    *size = 0;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        core_hash_update(&h, buf, n);
        *size += n;
    }
    bool ok = !ferror(f);
    fclose(f);
    snprintf(hex, 17, "%016" PRIx64, core_hash_final(&h));
    return ok;
}

bool rr_finished(const RRSession *s)
{
    return s->done;
}
