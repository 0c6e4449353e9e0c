/*
 * Saved state described as data.
 *
 * A device (or the CPU) declares its serializable fields in a table:
 *
 *     static const CoreStateField uart_fields[] = {
 *         CORE_STATE_FIELD(Uart16550, ier),
 *         CORE_STATE_ARRAY(Uart16550, rx_fifo),
 *         CORE_STATE_END
 *     };
 *     static const CoreStateDesc uart_state = {
 *         .name = "uart16550", .version = 1, .fields = uart_fields,
 *         .post_load = uart_post_load,   // validation, may be NULL
 *     };
 *
 * core_state_save appends a record (name, version, length, field bytes in
 * table order, little-endian host layout) to a CoreBuf; core_state_load
 * checks name, version and length, copies the fields back and calls
 * post_load, which returns false to reject inconsistent values. Fields are
 * plain integers or arrays of them; pointers and host handles are never
 * listed.
 */
#ifndef CORE_STATE_H
#define CORE_STATE_H

#include "core/types.h"

typedef struct CoreStateField {
    const char *name;
    size_t offset;
    size_t size;     /* total bytes of the field (element size * count) */
} CoreStateField;

#define CORE_STATE_FIELD(type, field) \
    { #field, offsetof(type, field), sizeof(((type *)0)->field) }
#define CORE_STATE_ARRAY(type, field) CORE_STATE_FIELD(type, field)
#define CORE_STATE_END { NULL, 0, 0 }

typedef struct CoreStateDesc {
    const char *name;
    uint32_t version;
    const CoreStateField *fields;
    bool (*post_load)(void *opaque);
} CoreStateDesc;

/* Growable byte buffer. */
typedef struct CoreBuf {
    uint8_t *data;
    size_t len;
    size_t cap;
} CoreBuf;

void core_buf_append(CoreBuf *b, const void *data, size_t len);
void core_buf_free(CoreBuf *b);

void core_state_save(const CoreStateDesc *desc, const void *opaque, CoreBuf *out);

/* Load one record from data[*pos...]; advances *pos. Returns 0, or a
   negative errno-style code; on error *err (if not NULL) points to a static
   message naming what was wrong. The object is unchanged on failure. */
int core_state_load(const CoreStateDesc *desc, void *opaque,
                    const uint8_t *data, size_t len, size_t *pos,
                    const char **err);

#endif
