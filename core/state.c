/*
 * Saved state as data: the record writer and reader for core/state.h,
 * which documents the record layout.
 *
 * Loading runs over the record twice: first to check it (name, versions,
 * lengths, element counts, subsection names) without touching the object,
 * then to copy the values in. Only post_load and custom loads can fail in
 * the second pass; the plain field bytes saved beforehand are then put
 * back. Every length read from the record is compared with the bytes that
 * remain before it is used, so a hostile record can neither overflow nor
 * make us allocate.
 */
#include "core/state.h"
#include "core/hostmem.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reallocate b to cap bytes. A large buffer (a snapshot: an increment
   of a Linux boot reaches 55 MiB) goes on huge pages, so that filling it
   the first time takes a fault per 2 MiB, not per 4 KiB (core/hostmem.h). */
static void grow(CoreBuf *b, size_t cap)
{
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        abort();   /* out of memory: nothing sensible to continue with */
    }
    if (cap >= 2 * CORE_HOSTMEM_HUGE) {
        core_hostmem_advise_huge(p, cap);
    }
    b->data = p;
    b->cap = cap;
}

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
        grow(b, cap);
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

void core_buf_reserve(CoreBuf *b, size_t len)
{
    if (b->len + len > b->cap) {
        grow(b, b->len + len);
    }
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

static void patch32(CoreBuf *b, size_t at, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++) {
        b->data[at + i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t get_le(const uint8_t *p, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static uint32_t since(const CoreStateField *f)
{
    return f->since ? f->since : 1;
}

static uint32_t *count_of(void *obj, const CoreStateField *f)
{
    return (uint32_t *)((uint8_t *)obj + f->count_offset);
}

/* Elements of a VAR field to save: its count, never more than fit. */
static uint32_t var_count(const void *obj, const CoreStateField *f)
{
    uint32_t n;
    memcpy(&n, (const uint8_t *)obj + f->count_offset, 4);
    size_t cap = f->size / f->elem;
    return n < cap ? n : (uint32_t)cap;
}

void core_state_save(const CoreStateDesc *desc, const void *opaque, CoreBuf *out)
{
    const uint8_t *obj = opaque;
    size_t name_len = strlen(desc->name);

    put_le(out, name_len, 2);
    core_buf_append(out, desc->name, name_len);
    put_le(out, desc->version, 4);
    size_t len_at = out->len;
    put_le(out, 0, 4);
    size_t start = out->len;
    for (const CoreStateField *f = desc->fields; f->name; f++) {
        if (since(f) > desc->version) {
            continue;   /* not in this version (a table ahead of its desc) */
        }
        if (f->kind == CORE_STATE_PLAIN) {
            core_buf_append(out, obj + f->offset, f->size);
        } else if (f->kind == CORE_STATE_VAR) {
            uint32_t n = var_count(obj, f);
            put_le(out, n, 4);
            core_buf_append(out, obj + f->offset, n * f->elem);
        } else {
            size_t at = out->len;
            put_le(out, 0, 4);
            f->save(opaque, out);
            patch32(out, at, (uint32_t)(out->len - at - 4));
        }
    }
    for (const CoreStateSubsection *s = desc->subsections; s && s->desc; s++) {
        if (!s->needed || s->needed(opaque)) {
            core_state_save(s->desc, opaque, out);
        }
    }
    patch32(out, len_at, (uint32_t)(out->len - start));
}

bool core_state_peek(const uint8_t *data, size_t len, size_t pos,
                     const char **name, size_t *name_len, size_t *size)
{
    if (pos > len || len - pos < 2) {
        return false;
    }
    size_t nl = get_le(data + pos, 2);
    if (len - pos - 2 < nl + 8) {
        return false;
    }
    *name = (const char *)data + pos + 2;
    *name_len = nl;
    *size = 2 + nl + 8 + get_le(data + pos + 2 + nl + 4, 4);
    return true;
}

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

static bool plain_only(const CoreStateDesc *desc, uint32_t version,
                       size_t *size)
{
    size_t total = 0;
    for (const CoreStateField *f = desc->fields; f->name; f++) {
        if (f->kind != CORE_STATE_PLAIN) {
            return false;
        }
        total += since(f) <= version ? f->size : 0;
    }
    *size = total;
    return !desc->subsections || !desc->subsections[0].desc;
}

/* Defaults of the fields (and subsections) a record does not carry. */
static void set_default(const CoreStateField *f, void *opaque)
{
    uint8_t *obj = opaque;
    if (f->kind == CORE_STATE_PLAIN) {
        memset(obj + f->offset, 0, f->size);
        uint64_t d = f->def;
        memcpy(obj + f->offset, &d, f->size < 8 ? f->size : 8);
    } else if (f->kind == CORE_STATE_VAR) {
        memset(obj + f->offset, 0, f->size);
        *count_of(obj, f) = 0;
    } else {
        f->load(opaque, NULL, 0, NULL, 0);
    }
}

static void clear_subsection(const CoreStateSubsection *s, void *opaque)
{
    if (s->clear) {
        s->clear(opaque);
        return;
    }
    for (const CoreStateField *f = s->desc->fields; f->name; f++) {
        set_default(f, opaque);
    }
    for (const CoreStateSubsection *t = s->desc->subsections; t && t->desc; t++) {
        clear_subsection(t, opaque);
    }
}

/* One record at data[*pos...], ending no later than `len`. With obj NULL,
   only checks; otherwise copies values in (the check passed before). */
static int walk(const CoreStateDesc *desc, void *obj, const uint8_t *data,
                size_t len, size_t *pos, char *err, size_t errlen)
{
    size_t p = *pos;
    const char *name;
    size_t name_len, size;

    if (!core_state_peek(data, len, p, &name, &name_len, &size)) {
        return fail(err, errlen, -EINVAL, "%s: state record truncated (header)",
                    desc->name);
    }
    if (name_len != strlen(desc->name) ||
        memcmp(name, desc->name, name_len) != 0) {
        return fail(err, errlen, -EINVAL,
                    "state record for '%.*s' where '%s' was expected",
                    (int)(name_len > 64 ? 64 : name_len), name, desc->name);
    }
    p += 2 + name_len;
    uint32_t version = (uint32_t)get_le(data + p, 4);
    uint32_t payload = (uint32_t)get_le(data + p + 4, 4);
    p += 8;
    if (version > desc->version || version == 0) {
        return fail(err, errlen, -EINVAL, "%s: state version %u, this build "
                    "reads version %u and older", desc->name, version,
                    desc->version);
    }
    size_t expect;
    if (plain_only(desc, version, &expect) && payload != expect) {
        return fail(err, errlen, -EINVAL,
                    "%s: state payload is %u bytes, expected %zu",
                    desc->name, payload, expect);
    }
    if (len - p < payload) {
        return fail(err, errlen, -EINVAL,
                    "%s: state record truncated (%zu of %u payload bytes)",
                    desc->name, len - p, payload);
    }
    size_t end = p + payload;
    uint8_t *o = obj;

    for (const CoreStateField *f = desc->fields; f->name; f++) {
        if (since(f) > version) {
            if (obj) {
                set_default(f, obj);
            }
            continue;
        }
        size_t need = f->kind == CORE_STATE_PLAIN ? f->size : 4;
        if (end - p < need) {
            return fail(err, errlen, -EINVAL, "%s: state payload ends in "
                        "field %s", desc->name, f->name);
        }
        if (f->kind == CORE_STATE_PLAIN) {
            if (o) {
                memcpy(o + f->offset, data + p, f->size);
            }
            p += f->size;
            continue;
        }
        uint32_t n = (uint32_t)get_le(data + p, 4);
        p += 4;
        size_t bytes = n;
        if (f->kind == CORE_STATE_VAR) {
            size_t cap = f->size / f->elem;
            if (n > cap) {
                return fail(err, errlen, -EINVAL, "%s: field %s holds %u "
                            "elements, at most %zu fit", desc->name, f->name,
                            n, cap);
            }
            bytes = (size_t)n * f->elem;
        }
        if (end - p < bytes) {
            return fail(err, errlen, -EINVAL, "%s: field %s claims %zu bytes, "
                        "%zu remain", desc->name, f->name, bytes, end - p);
        }
        if (o && f->kind == CORE_STATE_VAR) {
            memset(o + f->offset, 0, f->size);
            memcpy(o + f->offset, data + p, bytes);
            *count_of(o, f) = n;
        } else if (o) {
            char sub[200];
            if (f->load(obj, data + p, bytes, sub, sizeof(sub)) != 0) {
                return fail(err, errlen, -EINVAL, "%s: field %s: %s",
                            desc->name, f->name, sub);
            }
        }
        p += bytes;
    }

    uint32_t seen = 0;
    while (p < end) {
        if (!core_state_peek(data, end, p, &name, &name_len, &size)) {
            return fail(err, errlen, -EINVAL, "%s: state record truncated "
                        "(subsection header)", desc->name);
        }
        const CoreStateSubsection *s = desc->subsections;
        unsigned i = 0;
        for (; s && s->desc; s++, i++) {
            if (strlen(s->desc->name) == name_len &&
                memcmp(s->desc->name, name, name_len) == 0) {
                break;
            }
        }
        if (!s || !s->desc) {
            return fail(err, errlen, -EINVAL, "%s: unknown subsection '%.*s'",
                        desc->name, (int)(name_len > 64 ? 64 : name_len),
                        name);
        }
        if (i < 32 && (seen & (1u << i))) {
            return fail(err, errlen, -EINVAL, "%s: subsection '%s' twice",
                        desc->name, s->desc->name);
        }
        seen |= i < 32 ? 1u << i : 0;
        int rc = walk(s->desc, obj, data, end, &p, err, errlen);
        if (rc) {
            return rc;
        }
    }
    if (obj) {
        unsigned i = 0;
        for (const CoreStateSubsection *s = desc->subsections; s && s->desc;
             s++, i++) {
            if (i >= 32 || !(seen & (1u << i))) {
                clear_subsection(s, obj);
            }
        }
        if (desc->post_load && !desc->post_load(obj)) {
            return fail(err, errlen, -EINVAL, "%s: saved state rejected "
                        "(inconsistent values)", desc->name);
        }
    }
    *pos = end;
    return 0;
}

/* The plain bytes (and VAR counts) a failed load must put back. */
static void backup(const CoreStateDesc *desc, const uint8_t *obj, CoreBuf *b,
                   bool save, const uint8_t **from)
{
    for (const CoreStateField *f = desc->fields; f->name; f++) {
        if (f->kind == CORE_STATE_FN) {
            continue;
        }
        size_t off[2] = { f->offset, f->count_offset };
        size_t sz[2] = { f->size, f->kind == CORE_STATE_VAR ? 4 : 0 };
        for (int k = 0; k < 2; k++) {
            if (save) {
                core_buf_append(b, obj + off[k], sz[k]);
            } else {
                memcpy((uint8_t *)obj + off[k], *from, sz[k]);
                *from += sz[k];
            }
        }
    }
    for (const CoreStateSubsection *s = desc->subsections; s && s->desc; s++) {
        backup(s->desc, obj, b, save, from);
    }
}

int core_state_load(const CoreStateDesc *desc, void *opaque,
                    const uint8_t *data, size_t len, size_t *pos,
                    char *err, size_t errlen)
{
    size_t p = *pos;
    int rc = walk(desc, NULL, data, len, &p, err, errlen);
    if (rc) {
        return rc;
    }
    CoreBuf saved = { 0 };
    backup(desc, opaque, &saved, true, NULL);
    p = *pos;
    rc = walk(desc, opaque, data, len, &p, err, errlen);
    if (rc) {
        const uint8_t *from = saved.data;
        backup(desc, opaque, NULL, false, &from);
    } else {
        *pos = p;
    }
    core_buf_free(&saved);
    return rc;
}
