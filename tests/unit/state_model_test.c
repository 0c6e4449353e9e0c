/*
 * Unit tests for the state model's growth features (core/state.h):
 * per-field versions (an older record into a newer descriptor gets the
 * defaults; a newer record is refused), optional subsections (written only
 * when needed; absent, present, unknown) and variable-length fields
 * (counted arrays and custom byte strings, with hostile counts refused
 * before anything is allocated or copied).
 */
#include "core/state.h"
#include "tests/unit/check.h"

#include <stdlib.h>
#include <string.h>

static bool contains(const char *s, const char *sub)
{
    return s && strstr(s, sub);
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

/* ---- per-field versions ---- */

typedef struct Dev {
    uint32_t a;
    uint64_t b;
    uint16_t limit;      /* new in version 2, default 100 */
    uint32_t extra;      /* new in version 3, default 0, set by post_load */
} Dev;

static int dev_post_loads;

static bool dev_post_load(void *opaque)
{
    Dev *d = opaque;
    dev_post_loads++;
    if (d->extra == 0) {
        d->extra = d->a + 1;      /* fix-up of a field the record lacked */
    }
    return true;
}

static const CoreStateField dev_fields_v1[] = {
    CORE_STATE_FIELD(Dev, a),
    CORE_STATE_FIELD(Dev, b),
    CORE_STATE_END
};
static const CoreStateDesc dev_v1 = { .name = "dev", .version = 1,
                                      .fields = dev_fields_v1 };

static const CoreStateField dev_fields_v3[] = {
    CORE_STATE_FIELD(Dev, a),
    CORE_STATE_FIELD(Dev, b),
    CORE_STATE_FIELD_VD(Dev, limit, 2, 100),
    CORE_STATE_FIELD_V(Dev, extra, 3),
    CORE_STATE_END
};
static const CoreStateDesc dev_v3 = { .name = "dev", .version = 3,
                                      .fields = dev_fields_v3,
                                      .post_load = dev_post_load };

static void test_old_record_gets_defaults(void)
{
    Dev old = { 7, 0x1122334455667788ull, 0, 0 }, now = { 1, 2, 3, 4 };
    CoreBuf b = { 0 };
    char err[256] = "";
    size_t pos = 0;

    core_state_save(&dev_v1, &old, &b);
    CHECK(b.len == 2 + 3 + 8 + 12, "version-1 record: only a and b");
    dev_post_loads = 0;
    CHECK(core_state_load(&dev_v3, &now, b.data, b.len, &pos, err,
                          sizeof(err)) == 0, "%s", err);
    CHECK(pos == b.len);
    CHECK(now.a == 7 && now.b == 0x1122334455667788ull);
    CHECK(now.limit == 100, "declared default, got %u", now.limit);
    CHECK(now.extra == 8 && dev_post_loads == 1, "post_load fixed extra up");
    core_buf_free(&b);

    /* Version 2: limit saved, extra defaulted and fixed up. */
    static const CoreStateDesc dev_v2 = { .name = "dev", .version = 2,
                                          .fields = dev_fields_v3 };
    Dev two = { 5, 6, 77, 999 };
    pos = 0;
    core_state_save(&dev_v2, &two, &b);
    CHECK(b.len == 2 + 3 + 8 + 14);
    CHECK(core_state_load(&dev_v3, &now, b.data, b.len, &pos, err,
                          sizeof(err)) == 0, "%s", err);
    CHECK(now.limit == 77 && now.extra == 6);
    core_buf_free(&b);

    /* The current version round-trips byte for byte. */
    Dev cur = { 9, 10, 11, 12 }, back = { 0 };
    CoreBuf b2 = { 0 };
    pos = 0;
    core_state_save(&dev_v3, &cur, &b);
    CHECK(core_state_load(&dev_v3, &back, b.data, b.len, &pos, err,
                          sizeof(err)) == 0 && back.limit == 11 &&
          back.extra == 12);
    core_state_save(&dev_v3, &back, &b2);
    CHECK(b.len == b2.len && memcmp(b.data, b2.data, b.len) == 0);
    core_buf_free(&b);
    core_buf_free(&b2);
}

static void test_newer_record_refused(void)
{
    Dev cur = { 9, 10, 11, 12 }, old = { 1, 2, 0, 0 };
    CoreBuf b = { 0 };
    char err[256] = "";
    size_t pos = 0;

    core_state_save(&dev_v3, &cur, &b);
    CHECK(core_state_load(&dev_v1, &old, b.data, b.len, &pos, err,
                          sizeof(err)) < 0);
    CHECK(contains(err, "dev") && contains(err, "version 3") &&
          contains(err, "version 1"), "%s", err);
    CHECK(pos == 0 && old.a == 1 && old.b == 2);
    /* Version 0 was never written. */
    b.data[2 + 3] = 0;
    CHECK(core_state_load(&dev_v3, &old, b.data, b.len, &pos, err,
                          sizeof(err)) < 0 && contains(err, "version 0"));
    core_buf_free(&b);
}

/* ---- subsections ---- */

typedef struct Sub {
    uint32_t base;
    uint32_t dma_addr;     /* the "dma" subsection, needed when non-zero */
    uint8_t dma_busy;
    uint32_t marker;       /* set by dma_clear */
} Sub;

static bool dma_needed(const void *opaque)
{
    return ((const Sub *)opaque)->dma_addr != 0;
}

static void dma_clear(void *opaque)
{
    Sub *s = opaque;
    s->dma_addr = 0;
    s->dma_busy = 0;
    s->marker = 0xc1ea;
}

static const CoreStateField dma_fields[] = {
    CORE_STATE_FIELD(Sub, dma_addr),
    CORE_STATE_FIELD(Sub, dma_busy),
    CORE_STATE_END
};
static const CoreStateDesc dma_state = { .name = "sub/dma", .version = 1,
                                         .fields = dma_fields };
static const CoreStateField sub_fields[] = {
    CORE_STATE_FIELD(Sub, base),
    CORE_STATE_END
};
static const CoreStateSubsection sub_subs[] = {
    { &dma_state, dma_needed, dma_clear },
    { NULL, NULL, NULL }
};
static const CoreStateDesc sub_state = { .name = "sub", .version = 1,
                                         .fields = sub_fields,
                                         .subsections = sub_subs };

static void test_subsection_absent_and_present(void)
{
    Sub idle = { 0x40, 0, 0, 0 }, busy = { 0x41, 0x8000, 1, 0 };
    Sub into = { 1, 0x1234, 1, 0 };
    CoreBuf b = { 0 }, b2 = { 0 };
    char err[256] = "";
    size_t pos = 0;

    core_state_save(&sub_state, &idle, &b);
    CHECK(b.len == 2 + 3 + 8 + 4, "not needed: not written (%zu bytes)",
          b.len);
    CHECK(core_state_load(&sub_state, &into, b.data, b.len, &pos, err,
                          sizeof(err)) == 0, "%s", err);
    CHECK(into.base == 0x40 && into.dma_addr == 0 && into.marker == 0xc1ea,
          "absent subsection: clear hook ran");
    core_buf_free(&b);

    pos = 0;
    into.marker = 0;
    core_state_save(&sub_state, &busy, &b);
    CHECK(b.len == 2 + 3 + 8 + 4 + (2 + 7 + 8 + 5), "needed: nested record");
    CHECK(core_state_load(&sub_state, &into, b.data, b.len, &pos, err,
                          sizeof(err)) == 0, "%s", err);
    CHECK(into.base == 0x41 && into.dma_addr == 0x8000 && into.dma_busy == 1 &&
          into.marker == 0 && pos == b.len);
    core_state_save(&sub_state, &into, &b2);
    CHECK(b.len == b2.len && memcmp(b.data, b2.data, b.len) == 0);
    core_buf_free(&b2);

    /* A truncated subsection is refused, the object unchanged. */
    Sub keep = { 3, 4, 0, 0 };
    pos = 0;
    put32(b.data + 2 + 3 + 4, 4 + 2 + 7 + 8 + 5 - 1);
    CHECK(core_state_load(&sub_state, &keep, b.data, b.len - 1, &pos, err,
                          sizeof(err)) < 0 && keep.base == 3 &&
          keep.dma_addr == 4, "%s", err);
    core_buf_free(&b);
}

static void test_subsection_unknown_refused(void)
{
    static const CoreStateDesc other = { .name = "sub/other", .version = 1,
                                         .fields = dma_fields };
    static const CoreStateSubsection subs[] = {
        { &other, NULL, NULL }, { NULL, NULL, NULL }
    };
    static const CoreStateDesc newer = { .name = "sub", .version = 1,
                                         .fields = sub_fields,
                                         .subsections = subs };
    Sub s = { 1, 2, 3, 0 }, into = { 9, 9, 9, 9 };
    CoreBuf b = { 0 };
    char err[256] = "";
    size_t pos = 0;

    core_state_save(&newer, &s, &b);
    CHECK(core_state_load(&sub_state, &into, b.data, b.len, &pos, err,
                          sizeof(err)) < 0);
    CHECK(contains(err, "unknown subsection 'sub/other'"), "%s", err);
    CHECK(into.base == 9 && pos == 0);
    core_buf_free(&b);
}

/* ---- variable-length fields ---- */

typedef struct Queue {
    uint16_t q[8];
    uint32_t qlen;
    uint8_t *blob;         /* custom field: a heap buffer */
    size_t blob_len;
} Queue;

#define BLOB_MAX 4096
static unsigned blob_loads;

static void blob_save(const void *opaque, CoreBuf *out)
{
    const Queue *q = opaque;
    core_buf_append(out, q->blob, q->blob_len);
}

static int blob_load(void *opaque, const uint8_t *data, size_t len,
                     char *err, size_t errlen)
{
    Queue *q = opaque;
    blob_loads++;
    if (len > BLOB_MAX) {
        snprintf(err, errlen, "%zu bytes, at most %d", len, BLOB_MAX);
        return -1;
    }
    uint8_t *p = len ? malloc(len) : NULL;
    if (len) {
        memcpy(p, data, len);
    }
    free(q->blob);
    q->blob = p;
    q->blob_len = len;
    return 0;
}

static const CoreStateField queue_fields[] = {
    CORE_STATE_VARRAY(Queue, q, qlen, 1),
    CORE_STATE_CUSTOM("blob", blob_save, blob_load, 1),
    CORE_STATE_END
};
static const CoreStateDesc queue_state = { .name = "queue", .version = 1,
                                           .fields = queue_fields };

enum { QHDR = 2 + 5 + 8 };   /* record header of "queue" */

static void test_varlen_round_trip(void)
{
    uint8_t bytes[5] = { 1, 2, 3, 4, 5 };
    Queue q = { { 10, 20, 30, 99, 99 }, 3, bytes, 5 }, r = { { 0 }, 0, 0, 0 };
    CoreBuf b = { 0 }, b2 = { 0 };
    char err[256] = "";
    size_t pos = 0;

    core_state_save(&queue_state, &q, &b);
    CHECK(b.len == QHDR + 4 + 3 * 2 + 4 + 5, "only qlen elements: %zu",
          b.len);
    r.q[5] = 77;
    CHECK(core_state_load(&queue_state, &r, b.data, b.len, &pos, err,
                          sizeof(err)) == 0, "%s", err);
    CHECK(r.qlen == 3 && r.q[2] == 30 && r.q[3] == 0 && r.q[5] == 0);
    CHECK(r.blob_len == 5 && memcmp(r.blob, bytes, 5) == 0);
    core_state_save(&queue_state, &r, &b2);
    CHECK(b.len == b2.len && memcmp(b.data, b2.data, b.len) == 0);
    free(r.blob);
    core_buf_free(&b);
    core_buf_free(&b2);
}

static void test_varlen_hostile(void)
{
    Queue q = { { 1, 2, 3, 4, 5, 6, 7, 8 }, 8, NULL, 0 };
    Queue r = { { 0 }, 2, NULL, 0 };
    CoreBuf b = { 0 };
    char err[256] = "";
    size_t pos = 0;

    core_state_save(&queue_state, &q, &b);
    CHECK(b.len == QHDR + 4 + 16 + 4);

    /* More elements than the array holds. */
    put32(b.data + QHDR, 9);
    CHECK(core_state_load(&queue_state, &r, b.data, b.len, &pos, err,
                          sizeof(err)) < 0);
    CHECK(contains(err, "q holds 9 elements, at most 8"), "%s", err);
    /* A huge count: refused by the bound, no allocation, no overflow. */
    put32(b.data + QHDR, 0xffffffffu);
    CHECK(core_state_load(&queue_state, &r, b.data, b.len, &pos, err,
                          sizeof(err)) < 0 && contains(err, "at most 8"));
    /* A count that fits the array but not the record. */
    put32(b.data + QHDR, 8);
    put32(b.data + 2 + 5 + 4, 4 + 10);
    CHECK(core_state_load(&queue_state, &r, b.data, QHDR + 14, &pos, err,
                          sizeof(err)) < 0 && contains(err, "claims 16 bytes"),
          "%s", err);
    put32(b.data + 2 + 5 + 4, 4 + 16 + 4);
    CHECK(r.qlen == 2 && r.q[0] == 0 && pos == 0, "object unchanged");

    /* A custom field's length beyond the record never reaches its load. */
    blob_loads = 0;
    put32(b.data + QHDR + 20, 0xfffffff0u);
    CHECK(core_state_load(&queue_state, &r, b.data, b.len, &pos, err,
                          sizeof(err)) < 0);
    CHECK(contains(err, "blob") && blob_loads == 0, "%s", err);
    /* Every cut of the record is refused. */
    put32(b.data + QHDR + 20, 0);
    bool all = true;
    for (size_t cut = 0; cut < b.len; cut++) {
        all &= core_state_load(&queue_state, &r, b.data, cut, &pos, err,
                               sizeof(err)) < 0;
    }
    CHECK(all && blob_loads == 0 && pos == 0);
    CHECK(core_state_load(&queue_state, &r, b.data, b.len, &pos, err,
                          sizeof(err)) == 0 && r.qlen == 8 && r.q[7] == 8);
    /* The custom load refuses by itself what it cannot hold. */
    core_buf_free(&b);
    uint8_t *big = calloc(1, BLOB_MAX + 1);
    Queue h = { { 0 }, 0, big, BLOB_MAX + 1 };
    core_state_save(&queue_state, &h, &b);
    pos = 0;
    CHECK(core_state_load(&queue_state, &r, b.data, b.len, &pos, err,
                          sizeof(err)) < 0 && contains(err, "at most 4096"),
          "%s", err);
    free(big);
    free(r.blob);
    core_buf_free(&b);
}

int main(void)
{
    test_old_record_gets_defaults();
    test_newer_record_refused();
    test_subsection_absent_and_present();
    test_subsection_unknown_refused();
    test_varlen_round_trip();
    test_varlen_hostile();
    return check_done("state_model");
}
