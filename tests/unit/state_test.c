/*
 * Unit tests for core/state.c: records round-trip byte for byte, and a
 * record that does not match its descriptor (name, version, length,
 * truncation) or that post_load rejects leaves the object untouched.
 */
#include "core/state.h"
#include "tests/unit/check.h"

#include <stdio.h>
#include <string.h>

static bool contains(const char *s, const char *sub)
{
    return s && strstr(s, sub);
}

typedef struct Obj {
    uint32_t a;
    uint8_t bytes[5];
    uint64_t c;
    int16_t d;
    void *host;          /* never saved */
} Obj;

static int post_load_calls;

static bool obj_post_load(void *opaque)
{
    Obj *o = opaque;
    post_load_calls++;
    return o->a != 0xdead;
}

static const CoreStateField obj_fields[] = {
    CORE_STATE_FIELD(Obj, a),
    CORE_STATE_ARRAY(Obj, bytes),
    CORE_STATE_FIELD(Obj, c),
    CORE_STATE_FIELD(Obj, d),
    CORE_STATE_END
};

static const CoreStateDesc obj_state = {
    .name = "obj", .version = 3, .fields = obj_fields,
    .post_load = obj_post_load,
};

static const Obj sample = { 0x11223344, { 1, 2, 3, 4, 5 },
                            0x8877665544332211ull, -7, NULL };

static void test_round_trip_is_byte_identical(void)
{
    Obj o = sample, p = { 0 };
    CoreBuf b1 = { 0 }, b2 = { 0 };
    size_t pos = 0;

    core_state_save(&obj_state, &o, &b1);
    /* 2 + 3 name, 4 version, 4 length, 4 + 5 + 8 + 2 payload */
    CHECK(b1.len == 2 + 3 + 4 + 4 + 19);
    CHECK(core_state_load(&obj_state, &p, b1.data, b1.len, &pos, NULL, 0) == 0);
    CHECK(pos == b1.len);
    CHECK(p.a == o.a && memcmp(p.bytes, o.bytes, 5) == 0 && p.c == o.c &&
          p.d == o.d);
    core_state_save(&obj_state, &p, &b2);
    CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
    core_buf_free(&b1);
    core_buf_free(&b2);
    CHECK(b1.data == NULL && b1.len == 0 && b1.cap == 0);
}

static void test_records_in_sequence(void)
{
    Obj o1 = sample, o2 = sample, r1 = { 0 }, r2 = { 0 };
    CoreBuf b = { 0 };
    size_t pos = 0;

    o2.a = 42;
    core_state_save(&obj_state, &o1, &b);
    core_state_save(&obj_state, &o2, &b);
    CHECK(core_state_load(&obj_state, &r1, b.data, b.len, &pos, NULL, 0) == 0);
    CHECK(core_state_load(&obj_state, &r2, b.data, b.len, &pos, NULL, 0) == 0);
    CHECK(pos == b.len);
    CHECK(r1.a == 0x11223344 && r2.a == 42);
    core_buf_free(&b);
}

static void test_name_mismatch(void)
{
    static const CoreStateDesc other = { .name = "other", .version = 3,
                                         .fields = obj_fields };
    Obj o = sample, p = { 0 };
    CoreBuf b = { 0 };
    size_t pos = 0;
    char err[256] = "";

    core_state_save(&other, &o, &b);
    CHECK(core_state_load(&obj_state, &p, b.data, b.len, &pos, err, sizeof(err)) < 0);
    CHECK(contains(err, "'other'") && contains(err, "'obj'"));
    CHECK(pos == 0 && p.a == 0);
    core_buf_free(&b);
}

static void test_version_mismatch(void)
{
    static const CoreStateDesc v4 = { .name = "obj", .version = 4,
                                      .fields = obj_fields };
    Obj o = sample, p = { 0 };
    CoreBuf b = { 0 };
    size_t pos = 0;
    char err[256] = "";

    core_state_save(&v4, &o, &b);
    CHECK(core_state_load(&obj_state, &p, b.data, b.len, &pos, err, sizeof(err)) < 0);
    CHECK(contains(err, "version 4") && contains(err, "version 3"));
    CHECK(pos == 0 && p.a == 0);
    core_buf_free(&b);
}

static void test_length_mismatch(void)
{
    static const CoreStateField short_fields[] = {
        CORE_STATE_FIELD(Obj, a),
        CORE_STATE_END
    };
    static const CoreStateDesc shorter = { .name = "obj", .version = 3,
                                           .fields = short_fields };
    Obj o = sample, p = { 0 };
    CoreBuf b = { 0 };
    size_t pos = 0;
    char err[256] = "";

    core_state_save(&shorter, &o, &b);
    CHECK(core_state_load(&obj_state, &p, b.data, b.len, &pos, err, sizeof(err)) < 0);
    CHECK(contains(err, "4 bytes") && contains(err, "expected 19"));
    CHECK(pos == 0 && p.a == 0);
    core_buf_free(&b);
}

static void test_truncated_record(void)
{
    Obj o = sample, p = { 0 };
    CoreBuf b = { 0 };
    char err[256] = "";

    core_state_save(&obj_state, &o, &b);
    for (size_t cut = 0; cut < b.len; cut++) {
        size_t pos = 0;
        err[0] = 0;
        if (core_state_load(&obj_state, &p, b.data, cut, &pos, err, sizeof(err)) == 0 ||
            !contains(err, "truncated") || pos != 0 || p.a != 0) {
            CHECK(!"truncated record rejected without side effects");
            break;
        }
    }
    CHECK(contains(err, "truncated"));
    core_buf_free(&b);
}

static void test_post_load_rejection_leaves_object_unchanged(void)
{
    Obj bad = sample, live = sample;
    CoreBuf b = { 0 };
    size_t pos = 0;
    char err[256] = "";

    bad.a = 0xdead;
    bad.c = 1;
    live.c = 99;
    core_state_save(&obj_state, &bad, &b);
    post_load_calls = 0;
    CHECK(core_state_load(&obj_state, &live, b.data, b.len, &pos, err, sizeof(err)) < 0);
    CHECK(post_load_calls == 1);
    CHECK(contains(err, "obj") && contains(err, "rejected"));
    CHECK(pos == 0);
    CHECK(live.a == sample.a && live.c == 99 && live.d == sample.d);
    core_buf_free(&b);
}

static void test_buf_grows(void)
{
    CoreBuf b = { 0 };
    uint8_t chunk[100];
    bool ok = true;

    for (int i = 0; i < 1000; i++) {
        memset(chunk, i & 0xff, sizeof(chunk));
        core_buf_append(&b, chunk, sizeof(chunk));
    }
    CHECK(b.len == 100000 && b.cap >= b.len);
    for (int i = 0; i < 1000; i++) {
        ok &= b.data[i * 100] == (i & 0xff) && b.data[i * 100 + 99] == (i & 0xff);
    }
    CHECK(ok);
    core_buf_free(&b);
}

int main(void)
{
    test_round_trip_is_byte_identical();
    test_records_in_sequence();
    test_name_mismatch();
    test_version_mismatch();
    test_length_mismatch();
    test_truncated_record();
    test_post_load_rejection_leaves_object_unchanged();
    test_buf_grows();
    return check_done("state");
}
