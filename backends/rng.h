/*
 * Entropy back ends, QEMU's `-object rng-random,id=ID,filename=FILE` and
 * `-object rng-builtin,id=ID`. Parsing fills CoreConfig.objects; the host
 * side of the run loop reads them (be_rng_read_nd) only when not
 * replaying, lazily, so a replay opens no entropy source.
 */
#ifndef BACKENDS_RNG_H
#define BACKENDS_RNG_H

#include "core/config.h"

#include <stddef.h>
#include <stdint.h>

typedef enum BeObjectParse { BE_OBJ_OK, BE_OBJ_HELP, BE_OBJ_ERROR } BeObjectParse;

/* One -object argument ("help" and "TYPE,help" print to stdout). */
BeObjectParse be_object_parse(const char *arg, CoreConfig *cfg, char *err,
                              size_t errlen);
/* Free the strings be_object_parse gave cfg's objects (none left). */
void be_object_opts_free(CoreConfig *cfg);

/* Every rng-random file can be opened for reading (start of a live run
   or a recording; a replay does not call it). */
bool be_rng_check(const CoreConfig *cfg, char *err, size_t errlen);

/* len bytes from the object `id` ("" or NULL: the builtin source).
   Returns the bytes read. */
size_t be_rng_read_nd(const CoreConfig *cfg, const char *id, uint8_t *buf,
                      size_t len);

#endif
