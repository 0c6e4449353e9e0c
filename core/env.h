/*
 * The environment variables rewind reads (REWIND_JIT_THRESHOLD,
 * REWIND_SIDE_EXITS, REWIND_FLUSH_MS, ...): host settings, never guest
 * state.
 */
#ifndef CORE_ENV_H
#define CORE_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* *v = the environment variable `name`, a decimal count from lo to hi,
   if it is set and not empty (else *v is left alone); anything else:
   false, with a message naming it and saying what `what` it expects. */
bool core_env_count(const char *name, const char *what, unsigned lo,
                    unsigned hi, uint32_t *v, char *err, size_t errlen);

#endif
