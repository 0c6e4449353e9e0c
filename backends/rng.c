/*
 * Entropy back ends (see backends/rng.h). rng-builtin reads the kernel's
 * getrandom(); rng-random reads its file (opened on first use and kept).
 */
#include "backends/rng.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static const struct {
    const char *type, *help;
} rng_types[] = {
    { "rng-builtin", "entropy from the host kernel (getrandom)" },
    { "rng-random", "entropy read from a file (filename=, default /dev/urandom)" },
};

static int fds[CORE_MAX_OBJECT_OPTS] = { -1, -1, -1, -1, -1, -1, -1, -1 };

static void print_types(void)
{
    printf("List of user creatable objects:\n");
    for (size_t i = 0; i < 2; i++) {
        printf("  %-12s - %s\n", rng_types[i].type, rng_types[i].help);
    }
}

static void print_type(const char *type)
{
    printf("%s options:\n  id=<str>             - unique name (required)\n",
           type);
    if (strcmp(type, "rng-random") == 0) {
        printf("  filename=<str>       - file to read entropy from "
               "(default: /dev/urandom)\n");
    }
}

BeObjectParse be_object_parse(const char *arg, CoreConfig *cfg, char *err,
                              size_t errlen)
{
    char *copy = strdup(arg), *save = NULL;
    char *type = strtok_r(copy, ",", &save);
    BeObjectParse r = BE_OBJ_ERROR;
    CoreObjectOpt o = { .arg = arg };
    if (!type || strcmp(type, "help") == 0 || strcmp(type, "?") == 0) {
        print_types();
        free(copy);
        return type ? BE_OBJ_HELP : BE_OBJ_ERROR;
    }
    for (size_t i = 0; i < 2; i++) {
        if (strcmp(type, rng_types[i].type) == 0) {
            o.type = rng_types[i].type;
        }
    }
    if (!o.type) {
        snprintf(err, errlen, "unknown object type '%s' (try -object help)",
                 type);
        goto out;
    }
    for (char *it; (it = strtok_r(NULL, ",", &save));) {
        if (strcmp(it, "help") == 0 || strcmp(it, "?") == 0) {
            print_type(o.type);
            r = BE_OBJ_HELP;
            goto out;
        }
        char *eq = strchr(it, '=');
        if (eq && strncmp(it, "id", (size_t)(eq - it)) == 0 && eq - it == 2) {
            o.id = eq + 1;
        } else if (eq && strcmp(o.type, "rng-random") == 0 &&
                   eq - it == 8 && strncmp(it, "filename", 8) == 0) {
            o.filename = eq + 1;
        } else {
            snprintf(err, errlen, "%s has no property '%.*s' (try -object "
                     "%s,help)", o.type, eq ? (int)(eq - it) : (int)strlen(it),
                     it, o.type);
            goto out;
        }
    }
    if (!o.id || !o.id[0]) {
        snprintf(err, errlen, "%s needs id=", o.type);
        goto out;
    }
    if (core_config_object(cfg, o.id)) {
        snprintf(err, errlen, "duplicate object id '%s'", o.id);
        goto out;
    }
    if (cfg->nobjects >= CORE_MAX_OBJECT_OPTS) {
        snprintf(err, errlen, "too many -object options (at most %d)",
                 CORE_MAX_OBJECT_OPTS);
        goto out;
    }
    o.id = strdup(o.id);
    o.filename = o.filename ? strdup(o.filename)
                 : strcmp(o.type, "rng-random") == 0 ? strdup("/dev/urandom")
                                                     : NULL;
    cfg->objects[cfg->nobjects++] = o;
    r = BE_OBJ_OK;
out:
    free(copy);
    return r;
}

bool be_rng_check(const CoreConfig *cfg, char *err, size_t errlen)
{
    for (unsigned i = 0; i < cfg->nobjects; i++) {
        const CoreObjectOpt *o = &cfg->objects[i];
        if (!o->filename) {
            continue;
        }
        int fd = open(o->filename, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            snprintf(err, errlen, "-object %s: cannot read %s: %s", o->arg,
                     o->filename, strerror(errno));
            return false;
        }
        close(fd);
    }
    return true;
}

size_t be_rng_read_nd(const CoreConfig *cfg, const char *id, uint8_t *buf,
                      size_t len)
{
    const CoreObjectOpt *o = id && id[0] ? core_config_object(cfg, id) : NULL;
    size_t done = 0;
    if (!o || !o->filename) {
        while (done < len) {
            ssize_t n = getrandom(buf + done, len - done, 0);
            if (n <= 0 && errno != EINTR) {
                break;
            }
            done += n > 0 ? (size_t)n : 0;
        }
        return done;
    }
    unsigned k = (unsigned)(o - cfg->objects);
    if (fds[k] < 0) {
        fds[k] = open(o->filename, O_RDONLY | O_CLOEXEC);
    }
    while (fds[k] >= 0 && done < len) {
        ssize_t n = read(fds[k], buf + done, len - done);
        if (n <= 0 && !(n < 0 && errno == EINTR)) {
            break;   /* end of a file: the guest gets fewer bytes */
        }
        done += n > 0 ? (size_t)n : 0;
    }
    return done;
}

void be_object_opts_free(CoreConfig *cfg)
{
    for (unsigned i = 0; i < cfg->nobjects; i++) {
        free((char *)cfg->objects[i].id);
        free((char *)cfg->objects[i].filename);
    }
    cfg->nobjects = 0;
}
