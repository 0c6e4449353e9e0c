/*
 * -drive and -blockdev parsing (see backends/block.h): QEMU's spellings,
 * checked when the command line is read; images are opened later, when a
 * device takes the drive. Every error names the option and the key.
 */
#include "backends/block.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char qcow2_hint[] =
    "qcow2 images are not supported: convert it with "
    "'qemu-img convert -O raw IMAGE IMAGE.raw' and use format=raw";

static bool parse_onoff(const char *key, const char *v, bool *out, char *err,
                        size_t errlen)
{
    if (strcmp(v, "on") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0) {
        *out = true;
    } else if (strcmp(v, "off") == 0 || strcmp(v, "false") == 0 ||
               strcmp(v, "no") == 0) {
        *out = false;
    } else {
        snprintf(err, errlen, "%s: expected on or off, not '%s'", key, v);
        return false;
    }
    return true;
}

static CoreDriveOpt *find_any(CoreConfig *cfg, const char *id)
{
    for (unsigned i = 0; i < cfg->ndrives; i++) {
        if (strcmp(cfg->drives[i].id, id) == 0) {
            return &cfg->drives[i];
        }
    }
    return NULL;
}

const CoreDriveOpt *be_drive_find(const CoreConfig *cfg, const char *id)
{
    for (unsigned i = 0; i < cfg->ndrives; i++) {
        if (!cfg->drives[i].consumed && strcmp(cfg->drives[i].id, id) == 0) {
            return &cfg->drives[i];
        }
    }
    return NULL;
}

/* Append d (strings owned by the config for the whole run). */
static bool add_drive(CoreConfig *cfg, CoreDriveOpt *d, char *err,
                      size_t errlen)
{
    if (cfg->ndrives == CORE_MAX_DRIVE_OPTS) {
        snprintf(err, errlen, "too many drives (at most %d)",
                 CORE_MAX_DRIVE_OPTS);
        return false;
    }
    if (find_any(cfg, d->id)) {
        snprintf(err, errlen, "duplicate drive id or node-name '%s'", d->id);
        return false;
    }
    size_t n = strlen(d->id) + 7;
    char *name = malloc(n);
    if (!name) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    snprintf(name, n, "drive:%s", d->id);
    d->input_name = name;
    cfg->drives[cfg->ndrives++] = *d;
    return true;
}

static bool valid_id(const char *id)
{
    if (!*id || strlen(id) > 31) {
        return false;
    }
    for (const char *p = id; *p; p++) {
        if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') ||
              ('0' <= *p && *p <= '9') || *p == '-' || *p == '_' || *p == '.')) {
            return false;
        }
    }
    return true;
}

BeDriveParse be_drive_parse(const char *arg, CoreConfig *cfg,
                            const char **id_out, char *err, size_t errlen)
{
    char *copy = strdup(arg), *save = NULL;
    CoreDriveOpt d = { .arg = arg };
    const char *format = NULL, *iface = "virtio";   /* virt's default, as QEMU's */
    BeDriveParse r = BE_DRIVE_ERROR;
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return r;
    }
    for (char *it = strtok_r(copy, ",", &save); it;
         it = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(it, '=');
        if (!eq) {
            snprintf(err, errlen, "'%s': expected KEY=VALUE", it);
            goto out;
        }
        *eq = '\0';
        const char *v = eq + 1;
        if (strcmp(it, "file") == 0) {
            d.filename = v;
        } else if (strcmp(it, "format") == 0) {
            format = v;
        } else if (strcmp(it, "if") == 0) {
            iface = v;
        } else if (strcmp(it, "id") == 0) {
            d.id = v;
        } else if (strcmp(it, "readonly") == 0) {
            if (!parse_onoff("readonly", v, &d.readonly, err, errlen)) {
                goto out;
            }
        } else if (strcmp(it, "snapshot") == 0) {
            if (!parse_onoff("snapshot", v, &d.snapshot, err, errlen)) {
                goto out;
            }
        } else if (strcmp(it, "media") == 0 && strcmp(v, "disk") == 0) {
            /* the only medium there is */
        } else {
            snprintf(err, errlen, "unknown option '%s' (known: file, format, "
                     "if, id, readonly, snapshot, media=disk)", it);
            goto out;
        }
    }
    if (!d.filename) {
        snprintf(err, errlen, "file= is required");
        goto out;
    }
    if (format && strcmp(format, "qcow2") == 0) {
        snprintf(err, errlen, "format=qcow2: %s", qcow2_hint);
        goto out;
    }
    if (format && strcmp(format, "raw") != 0) {
        snprintf(err, errlen, "format=%s: unknown format (only raw)", format);
        goto out;
    }
    bool virtio = strcmp(iface, "virtio") == 0;
    if (!virtio && strcmp(iface, "none") != 0) {
        snprintf(err, errlen, "if=%s: the virt board has no such interface "
                 "(if=none with -device virtio-blk-device,drive=ID, or "
                 "if=virtio)", iface);
        goto out;
    }
    char auto_id[16];
    if (!d.id) {
        if (!virtio) {
            snprintf(err, errlen, "if=none needs id= (the device names it "
                     "with drive=ID)");
            goto out;
        }
        for (unsigned n = 0;; n++) {
            snprintf(auto_id, sizeof(auto_id), "virtio%u", n);
            if (!find_any(cfg, auto_id)) {
                break;
            }
        }
        d.id = auto_id;
    }
    if (!valid_id(d.id)) {
        snprintf(err, errlen, "id=%s: letters, digits, '-', '_' and '.' "
                 "only, at most 31", d.id);
        goto out;
    }
    /* The strings live as long as the configuration. */
    d.id = strdup(d.id);
    d.filename = strdup(d.filename);
    err[0] = '\0';
    if (!d.id || !d.filename || !add_drive(cfg, &d, err, errlen)) {
        if (!err[0]) {
            snprintf(err, errlen, "out of memory");
        }
        free((char *)d.id);
        free((char *)d.filename);
        goto out;
    }
    *id_out = d.id;
    r = virtio ? BE_DRIVE_VIRTIO : BE_DRIVE_OK;
out:
    free(copy);
    return r;
}

bool be_blockdev_parse(const char *arg, CoreConfig *cfg, char *err,
                       size_t errlen)
{
    char *copy = strdup(arg), *save = NULL;
    const char *driver = NULL, *filename = NULL, *file = NULL, *node = NULL;
    bool ro = false, ok = false;
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    err[0] = '\0';
    for (char *it = strtok_r(copy, ",", &save); it;
         it = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(it, '=');
        if (!eq) {
            snprintf(err, errlen, "'%s': expected KEY=VALUE", it);
            goto out;
        }
        *eq = '\0';
        const char *v = eq + 1;
        if (strcmp(it, "driver") == 0) {
            driver = v;
        } else if (strcmp(it, "filename") == 0) {
            filename = v;
        } else if (strcmp(it, "file") == 0) {
            file = v;
        } else if (strcmp(it, "node-name") == 0) {
            node = v;
        } else if (strcmp(it, "read-only") == 0) {
            if (!parse_onoff("read-only", v, &ro, err, errlen)) {
                goto out;
            }
        } else {
            snprintf(err, errlen, "unknown option '%s' (known: driver, "
                     "filename, file, node-name, read-only)", it);
            goto out;
        }
    }
    if (!driver) {
        snprintf(err, errlen, "driver= is required (file or raw)");
        goto out;
    }
    if (strcmp(driver, "qcow2") == 0) {
        snprintf(err, errlen, "driver=qcow2: %s", qcow2_hint);
        goto out;
    }
    bool is_file = strcmp(driver, "file") == 0;
    if (!is_file && strcmp(driver, "raw") != 0) {
        snprintf(err, errlen, "driver=%s: unknown driver (file or raw)",
                 driver);
        goto out;
    }
    if (!node || !valid_id(node)) {
        snprintf(err, errlen, "node-name= is required (letters, digits, "
                 "'-', '_' and '.', at most 31)");
        goto out;
    }
    CoreDriveOpt d = { .arg = arg, .readonly = ro };
    CoreDriveOpt *below = NULL;
    if (is_file) {
        if (!filename || file) {
            snprintf(err, errlen, "driver=file takes filename= (not file=)");
            goto out;
        }
        d.filename = strdup(filename);
    } else {
        if (!file || filename) {
            snprintf(err, errlen, "driver=raw takes file=NODE, the "
                     "node-name of a driver=file node (not filename=)");
            goto out;
        }
        below = find_any(cfg, file);
        if (!below || below->consumed) {
            snprintf(err, errlen, "file=%s: no unused -blockdev driver=file "
                     "with that node-name", file);
            goto out;
        }
        d.filename = strdup(below->filename);   /* each node owns its strings */
        d.readonly = ro || below->readonly;
    }
    d.id = strdup(node);
    ok = d.id && d.filename && add_drive(cfg, &d, err, errlen);
    if (!ok) {
        if (!err[0]) {
            snprintf(err, errlen, "out of memory");
        }
        free((char *)d.id);
        free((char *)d.filename);
    } else if (below) {
        below->consumed = true;   /* the raw node stands for it now */
    }
out:
    free(copy);
    return ok;
}

void be_drive_opts_free(CoreConfig *cfg)
{
    for (unsigned i = 0; i < cfg->ndrives; i++) {
        free((char *)cfg->drives[i].id);
        free((char *)cfg->drives[i].filename);
        free((char *)cfg->drives[i].input_name);
    }
    cfg->ndrives = 0;
}
