/*
 * Saved state described as data.
 *
 * A device (or the CPU) declares its serializable fields in a table:
 *
 *     static const CoreStateField uart_fields[] = {
 *         CORE_STATE_FIELD(Uart16550, ier),
 *         CORE_STATE_ARRAY(Uart16550, rx_fifo),
 *         CORE_STATE_FIELD_V(Uart16550, scr, 2),      // new in version 2
 *         CORE_STATE_VARRAY(Uart16550, txq, txq_len, 2), // only txq_len used
 *         CORE_STATE_END
 *     };
 *     static const CoreStateSubsection uart_subs[] = {
 *         { &uart_dma_state, uart_dma_needed, uart_dma_clear },
 *         { NULL, NULL, NULL }
 *     };
 *     static const CoreStateDesc uart_state = {
 *         .name = "uart16550", .version = 2, .fields = uart_fields,
 *         .subsections = uart_subs,      // may be NULL
 *         .post_load = uart_post_load,   // validation, may be NULL
 *     };
 *
 * Versions. A record stores the version it was written with (always the
 * descriptor's). Each field names the version it appeared in (1 unless
 * CORE_STATE_FIELD_V says otherwise). Loading a record of an older version
 * reads only the fields it has; the newer ones get their default (zero, or
 * the integer given to CORE_STATE_FIELD_VD) before post_load runs, which
 * may fix them up. A record newer than the descriptor is refused.
 *
 * Subsections are optional parts, each with its own descriptor (whose
 * fields live in the same object). One is written only when its
 * `needed(opaque)` says so; when a record lacks it, `clear(opaque)` sets
 * its defaults (NULL: its fields are zeroed). A subsection the
 * descriptor does not list is refused, by name.
 *
 * Variable-length fields:
 *   - CORE_STATE_VARRAY(type, array, count, since): an array with a fixed
 *     capacity of which only the first `count` (a uint32_t field of the
 *     same object) elements are saved; for queues and FIFOs. A saved count
 *     beyond the capacity is refused; nothing is allocated.
 *   - CORE_STATE_CUSTOM(name, save, load, since): save appends any bytes;
 *     load receives exactly those bytes (length checked against the record
 *     first, so a hostile length never reaches the callback) and must
 *     validate them before changing the object; for buffers and sparse
 *     maps that live on the heap (disk overlays). Its allocation must be
 *     bounded by the byte count it receives. For a record older than the
 *     field, load is called with (NULL, 0): set the default.
 *   A VARRAY's count field is saved with it and must not be listed too.
 *
 * Record layout (all header integers little-endian):
 *
 *     u16 name length, name bytes (no NUL)
 *     u32 version
 *     u32 payload length
 *     payload:
 *       the fields of that version, in table order:
 *         plain/array field: its bytes in host (little-endian) layout
 *         VARRAY:  u32 count, count * element bytes
 *         CUSTOM:  u32 byte length, the bytes
 *       then each present subsection, as a nested record of this layout
 *
 * A descriptor with plain fields only therefore writes exactly the record
 * of earlier builds (version, length, field bytes), so their records load.
 * Loading checks the whole record before touching the object; if
 * post_load (or a custom load) rejects the values, the previous plain
 * field bytes are put back (custom fields loaded before the rejection
 * keep their new content). Pointers and host handles are never listed.
 */
#ifndef CORE_STATE_H
#define CORE_STATE_H

#include "core/types.h"

typedef struct CoreBuf CoreBuf;

typedef enum CoreStateKind {
    CORE_STATE_PLAIN,    /* fixed-size bytes (integers, arrays of them) */
    CORE_STATE_VAR,      /* counted prefix of a fixed-capacity array */
    CORE_STATE_FN,       /* custom save/load callbacks */
} CoreStateKind;

typedef struct CoreStateField {
    const char *name;
    size_t offset;
    size_t size;         /* PLAIN: total bytes; VAR: the array's bytes */
    uint32_t since;      /* record version the field appeared in (0 = 1) */
    CoreStateKind kind;
    uint64_t def;        /* PLAIN integer default when absent */
    size_t elem;         /* VAR: element size */
    size_t count_offset; /* VAR: offset of the uint32_t count */
    void (*save)(const void *opaque, CoreBuf *out);                /* FN */
    int (*load)(void *opaque, const uint8_t *data, size_t len,
                char *err, size_t errlen);                         /* FN */
} CoreStateField;

#define CORE_STATE_FIELD_VD(type, field, version, dflt) \
    { .name = #field, .offset = offsetof(type, field), \
      .size = sizeof(((type *)0)->field), .since = (version), \
      .kind = CORE_STATE_PLAIN, .def = (dflt) }
#define CORE_STATE_FIELD_V(type, field, version) \
    CORE_STATE_FIELD_VD(type, field, version, 0)
#define CORE_STATE_FIELD(type, field) CORE_STATE_FIELD_V(type, field, 1)
#define CORE_STATE_ARRAY(type, field) CORE_STATE_FIELD(type, field)
/* The first `bytes` bytes of a field only (e.g. without a scratch slot). */
#define CORE_STATE_PART(type, field, bytes) \
    { .name = #field, .offset = offsetof(type, field), .size = (bytes), \
      .since = 1, .kind = CORE_STATE_PLAIN }
#define CORE_STATE_VARRAY(type, field, count, version) \
    { .name = #field, .offset = offsetof(type, field), \
      .size = sizeof(((type *)0)->field), .since = (version), \
      .kind = CORE_STATE_VAR, .elem = sizeof(((type *)0)->field[0]), \
      .count_offset = offsetof(type, count) + \
          0 * sizeof(char[sizeof(((type *)0)->count) == 4 ? 1 : -1]) }
#define CORE_STATE_CUSTOM(fname, save_fn, load_fn, version) \
    { .name = (fname), .since = (version), .kind = CORE_STATE_FN, \
      .save = (save_fn), .load = (load_fn) }
#define CORE_STATE_END { .name = NULL }

typedef struct CoreStateDesc CoreStateDesc;

typedef struct CoreStateSubsection {
    const CoreStateDesc *desc;
    bool (*needed)(const void *opaque);   /* NULL: always written */
    void (*clear)(void *opaque);          /* absent on load; NULL: zero */
} CoreStateSubsection;

struct CoreStateDesc {
    const char *name;
    uint32_t version;
    const CoreStateField *fields;
    const CoreStateSubsection *subsections;   /* { NULL } ends; may be NULL */
    bool (*post_load)(void *opaque);
};

/* Growable byte buffer. */
struct CoreBuf {
    uint8_t *data;
    size_t len;
    size_t cap;
};

void core_buf_append(CoreBuf *b, const void *data, size_t len);
/* Room for len more bytes in one allocation (appends up to it do not
   reallocate). */
void core_buf_reserve(CoreBuf *b, size_t len);
void core_buf_free(CoreBuf *b);

void core_state_save(const CoreStateDesc *desc, const void *opaque, CoreBuf *out);

/* Load one record from data[*pos...]; advances *pos. Returns 0, or a
   negative errno-style code with a message naming the record (and, for a
   version problem, both versions) in err. The object is unchanged on
   failure (custom fields: see above). */
int core_state_load(const CoreStateDesc *desc, void *opaque,
                    const uint8_t *data, size_t len, size_t *pos,
                    char *err, size_t errlen);

/* The record at data[pos...]: its name (not NUL-terminated) and total
   size. False if the header is truncated. */
bool core_state_peek(const uint8_t *data, size_t len, size_t pos,
                     const char **name, size_t *name_len, size_t *size);

#endif
