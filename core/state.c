/*
 * Saved state as data: the record writer and reader for core/state.h.
 *
 * One record is
 *
 *     u16 name length, name bytes (no NUL)
 *     u32 version
 *     u32 payload length
 *     payload: each field's bytes, in table order, in host (little-endian)
 *              layout, with no padding between fields
 *
 * Header integers are written little-endian explicitly. Loading checks the
 * name, the version and the payload length against the descriptor before
 * touching the object, then copies the fields and runs post_load; if
 * post_load rejects the values, the previous field bytes are put back, so a
 * failed load never leaves the object half-changed.
 *
 * Error messages are formatted into one static buffer (the emulator runs
 * guest state on a single thread); a message stays valid until the next
 * failing load.
 */
#include "core/state.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char state_msg[256];

void core_buf_append(CoreBuf *b, const void *data, size_t len)
{
    if (len == 0) {
        return;
    }
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len) {
            cap *= 2;
        }
        uint8_t *p = realloc(b->data, cap);
        if (!p) {
            abort();   /* out of memory: nothing sensible to continue with */
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

void core_buf_free(CoreBuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

static void put_le(CoreBuf *b, uint64_t v, unsigned bytes)
{
    uint8_t tmp[8];
    for (unsigned i = 0; i < bytes; i++) {
        tmp[i] = (uint8_t)(v >> (8 * i));
    }
    core_buf_append(b, tmp, bytes);
}

static uint64_t get_le(const uint8_t *p, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static size_t payload_size(const CoreStateDesc *desc)
{
    size_t total = 0;
    for (const CoreStateField *f = desc->fields; f->name; f++) {
        total += f->size;
    }
    return total;
}

void core_state_save(const CoreStateDesc *desc, const void *opaque, CoreBuf *out)
{
    const uint8_t *obj = opaque;
    size_t name_len = strlen(desc->name);

    put_le(out, name_len, 2);
    core_buf_append(out, desc->name, name_len);
    put_le(out, desc->version, 4);
    put_le(out, payload_size(desc), 4);
    for (const CoreStateField *f = desc->fields; f->name; f++) {
        core_buf_append(out, obj + f->offset, f->size);
    }
}

static int fail(const char **err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(const char **err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(state_msg, sizeof(state_msg), fmt, ap);
    va_end(ap);
    if (err) {
        *err = state_msg;
    }
    return code;
}

int core_state_load(const CoreStateDesc *desc, void *opaque,
                    const uint8_t *data, size_t len, size_t *pos,
                    const char **err)
{
    uint8_t *obj = opaque;
    size_t p = *pos;

    if (p > len || len - p < 2) {
        return fail(err, -EINVAL, "%s: state record truncated (no header)",
                    desc->name);
    }
    size_t name_len = get_le(data + p, 2);
    p += 2;
    if (len - p < name_len + 8) {
        return fail(err, -EINVAL, "%s: state record truncated (header)",
                    desc->name);
    }
    const char *name = (const char *)data + p;
    if (name_len != strlen(desc->name) ||
        memcmp(name, desc->name, name_len) != 0) {
        return fail(err, -EINVAL, "state record for '%.*s' where '%s' was expected",
                    (int)(name_len > 64 ? 64 : name_len), name, desc->name);
    }
    p += name_len;

    uint32_t version = get_le(data + p, 4);
    uint32_t payload = get_le(data + p + 4, 4);
    p += 8;
    if (version != desc->version) {
        return fail(err, -EINVAL, "%s: state version %u, this build reads version %u",
                    desc->name, version, desc->version);
    }
    size_t expect = payload_size(desc);
    if (payload != expect) {
        return fail(err, -EINVAL, "%s: state payload is %u bytes, expected %zu",
                    desc->name, payload, expect);
    }
    if (len - p < payload) {
        return fail(err, -EINVAL, "%s: state record truncated (%zu of %u payload bytes)",
                    desc->name, len - p, payload);
    }

    /* Keep the current bytes so a post_load rejection can undo the copy. */
    uint8_t *backup = malloc(expect ? expect : 1);
    if (!backup) {
        return fail(err, -ENOMEM, "%s: out of memory loading state", desc->name);
    }
    size_t off = 0;
    for (const CoreStateField *f = desc->fields; f->name; f++) {
        memcpy(backup + off, obj + f->offset, f->size);
        memcpy(obj + f->offset, data + p + off, f->size);
        off += f->size;
    }
    if (desc->post_load && !desc->post_load(opaque)) {
        off = 0;
        for (const CoreStateField *f = desc->fields; f->name; f++) {
            memcpy(obj + f->offset, backup + off, f->size);
            off += f->size;
        }
        free(backup);
        return fail(err, -EINVAL, "%s: saved state rejected (inconsistent values)",
                    desc->name);
    }
    free(backup);
    *pos = p + payload;
    return 0;
}
