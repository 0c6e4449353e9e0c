/*
 * The environment variables rewind reads (see core/env.h).
 */
#include "core/env.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

bool core_env_count(const char *name, const char *what, unsigned lo,
                    unsigned hi, uint32_t *v, char *err, size_t errlen)
{
    const char *env = getenv(name);
    if (!env || !*env) {
        return true;
    }
    char *end;
    errno = 0;
    unsigned long long x = strtoull(env, &end, 10);
    if (*end || errno || *env < '0' || *env > '9' || x < lo || x > hi) {
        snprintf(err, errlen, "%s='%s': expected %s from %u to %u", name,
                 env, what, lo, hi);
        return false;
    }
    *v = (uint32_t)x;
    return true;
}
