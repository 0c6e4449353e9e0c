/*
 * A checkpoint saved before a device gained a field still loads.
 *
 * The "gadget" is a small test device. In version 1 its state was a count
 * and a mode; in version 2 it gained a limit (default 100) and a queue of
 * pending bytes (a counted array, empty by default). The fixtures in
 * tests/unit/fixtures/ are whole-machine snapshots of a virt machine that
 * ran this file's program for RUN_INSNS instructions, with a gadget
 * (count 42, mode 3) described by its version-1 table:
 *
 *   gadget-v1.snap   snapshot format 2 (devices by id), written by
 *                    `state_fixture_test --write DIR` (this file's writer,
 *                    which saves the gadget with gadget_v1);
 *   format1.snap     snapshot format 1 (devices by order), written by the
 *                    build before device ids (commit 72340d9): this file
 *                    compiled with -DSTATE_FIXTURE_OLD_BUILD against that
 *                    tree, run with --write DIR. To regenerate:
 *       git archive 72340d9 | tar -x -C /tmp/old && (cd /tmp/old &&
 *         bash scripts/build.sh)
 *       cc -DSTATE_FIXTURE_OLD_BUILD -I/tmp/old tests/unit/state_fixture_test.c \
 *         /tmp/old/build/librewind.a $(pkg-config --libs libzstd sqlite3 \
 *         glib-2.0 libfdt) -lm -o /tmp/gen && /tmp/gen --write tests/unit/fixtures
 *
 * virt-16m.dtb is the device tree that build generated for this
 * configuration (`-M virt,dumpdtb=... -m 16M -bios none -kernel K`); the
 * reference machine boots with it, so that a later change to the board's
 * tree does not change the state the fixtures are compared with.
 *
 * The test loads each into a machine whose gadget is at version 2: the
 * old fields keep their saved values, the new ones get their defaults,
 * and the whole machine is in exactly the state (same state hash) of a
 * machine that ran the same program with such a gadget. The fixtures are
 * committed bytes: a change that breaks reading older checkpoints fails
 * here instead of in a user's CI.
 */
#include "core/machine.h"
#include "core/run.h"
#include "core/snapshot.h"
#include "tests/unit/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUN_INSNS 20000

typedef struct Gadget {
    uint32_t count;
    uint8_t mode;
    uint16_t limit;        /* version 2 */
    uint8_t fifo[16];      /* version 2: pending bytes */
    uint32_t fifo_len;
} Gadget;

/* The gadget's state as it was described in version 1. */
static const CoreStateField gadget_fields_v1[] = {
    CORE_STATE_FIELD(Gadget, count),
    CORE_STATE_FIELD(Gadget, mode),
    CORE_STATE_END
};
static const CoreStateDesc gadget_v1 = { .name = "gadget", .version = 1,
                                         .fields = gadget_fields_v1 };

#ifndef STATE_FIXTURE_OLD_BUILD
static bool gadget_post_load(void *opaque)
{
    Gadget *g = opaque;
    return g->mode <= 3 && g->count <= 0xffff;
}

/* ... and as it is now. */
static const CoreStateField gadget_fields_v2[] = {
    CORE_STATE_FIELD(Gadget, count),
    CORE_STATE_FIELD(Gadget, mode),
    CORE_STATE_FIELD_VD(Gadget, limit, 2, 100),
    CORE_STATE_VARRAY(Gadget, fifo, fifo_len, 2),
    CORE_STATE_END
};
static const CoreStateDesc gadget_v2 = { .name = "gadget", .version = 2,
                                         .fields = gadget_fields_v2,
                                         .post_load = gadget_post_load };
#endif

/* A loop that counts and stores the count: raw RV64 code. */
static const uint32_t program[] = {
    0x00000297,   /* auipc t0, 0          */
    0x10028293,   /* addi  t0, t0, 256    */
    0x00000313,   /* li    t1, 0          */
    0x00130313,   /* addi  t1, t1, 1      */
    0x0062b023,   /* sd    t1, 0(t0)      */
    0xff9ff06f,   /* j     -8             */
};

static char kernel[] = "/tmp/rewind-state-fixture-XXXXXX";
static CoreConfig cfg = { .machine = "virt", .cpu = "rv64",
                          .ram_size = 16 << 20, .smp = 1, .bios = "none",
                          .kernel = kernel, .serial = "null",
                          .icount_shift = 3, .max_insns = RUN_INSNS };

/* A virt machine with a gadget (state described by desc) as "gadget0",
   run to RUN_INSNS unless `run` is false. */
static CoreMachine *make(const CoreStateDesc *desc, Gadget *g,
                         CoreDeviceOps *ops, bool run)
{
    CoreMachine *m = core_machine_new(&cfg);
    char err[256];
    if (!m || !core_machine_init(m, err, sizeof(err))) {
        fprintf(stderr, "machine: %s\n", err);
        exit(1);
    }
    *ops = (CoreDeviceOps){ .name = "gadget", .state = desc };
    core_machine_add_device(m, ops, g, "gadget0");
    if (run) {
        core_run(m);
    }
    return m;
}

static int write_fixture(const char *dir)
{
    Gadget g = { 0 };
    CoreDeviceOps ops;
    CoreMachine *m = make(&gadget_v1, &g, &ops, true);
    g.count = 42;
    g.mode = 3;
    CoreBuf b = { 0 };
    core_snapshot_save(m, true, &b);
    char path[4096];
#ifdef STATE_FIXTURE_OLD_BUILD
    snprintf(path, sizeof(path), "%s/format1.snap", dir);
#else
    snprintf(path, sizeof(path), "%s/gadget-v1.snap", dir);
#endif
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    printf("%s: %zu bytes, icount %llu\n", path, b.len,
           (unsigned long long)m->icount);
    core_buf_free(&b);
    core_machine_free(m);
    return 0;
}

#ifndef STATE_FIXTURE_OLD_BUILD
static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    uint8_t *data = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len == cap) {
            cap = cap ? 2 * cap : 65536;
            data = realloc(data, cap);
        }
        size_t n = fread(data + *len, 1, cap - *len, f);
        if (n == 0) {
            break;
        }
        *len += n;
    }
    fclose(f);
    return data;
}

static void check_fixture(const char *dir, const char *name, uint64_t want)
{
    char path[4096], err[256] = "";
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    uint8_t *data = read_file(path, &len);
    CHECK(data != NULL && len > 0, "fixture %s readable", path);
    if (!data) {
        return;
    }
    Gadget g = { 7, 1, 5, { 9 }, 1 };
    CoreDeviceOps ops;
    CoreMachine *m = make(&gadget_v2, &g, &ops, false);
    CHECK(core_snapshot_load(m, data, len, err, sizeof(err)) == 0,
          "%s loads: %s", name, err);
    CHECK(m->icount == RUN_INSNS, "%s: icount %llu", name,
          (unsigned long long)m->icount);
    CHECK(g.count == 42 && g.mode == 3, "%s: version-1 fields kept", name);
    CHECK(g.limit == 100 && g.fifo_len == 0 && g.fifo[0] == 0,
          "%s: new fields get their defaults (limit %u, %u queued)", name,
          g.limit, g.fifo_len);
    CHECK(core_machine_state_hash(m) == want,
          "%s: the whole machine is in the state it was saved in", name);

    /* Saved again, it is a version-2 record that loads back the same. */
    CoreBuf b = { 0 }, b2 = { 0 };
    g.limit = 7;
    g.fifo[0] = 0xaa;
    g.fifo_len = 1;
    core_snapshot_save(m, true, &b);
    Gadget h = { 0 };
    CoreDeviceOps ops2;
    CoreMachine *m2 = make(&gadget_v2, &h, &ops2, false);
    CHECK(core_snapshot_load(m2, b.data, b.len, err, sizeof(err)) == 0 &&
          h.limit == 7 && h.fifo_len == 1 && h.fifo[0] == 0xaa, "%s", err);
    core_snapshot_save(m2, true, &b2);
    CHECK(b.len == b2.len && memcmp(b.data, b2.data, b.len) == 0,
          "save -> load -> save identical");
    core_buf_free(&b);
    core_buf_free(&b2);
    core_machine_free(m2);
    core_machine_free(m);
    free(data);
}
#endif

int main(int argc, char **argv)
{
    int fd = mkstemp(kernel);
    if (fd < 0 || write(fd, program, sizeof(program)) != sizeof(program)) {
        perror("temp kernel");
        return 1;
    }
    close(fd);
    int rc = 0;
    if (argc == 3 && strcmp(argv[1], "--write") == 0) {
        rc = write_fixture(argv[2]);
    } else if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE-DIR | --write DIR\n", argv[0]);
        rc = 2;
    } else {
#ifndef STATE_FIXTURE_OLD_BUILD
        /* The state the fixtures were saved in, with the gadget as
           version 2 describes it (defaults in the new fields). */
        Gadget g = { 0 };
        CoreDeviceOps ops;
        /* With the device tree the fixtures' build placed in RAM
           (virt-16m.dtb, dumped by that build with this configuration):
           the board's own tree has grown since (virtio-mmio nodes), and
           a saved checkpoint keeps the tree its machine had. */
        char dtb[4096];
        snprintf(dtb, sizeof(dtb), "%s/virt-16m.dtb", argv[1]);
        cfg.dtb = dtb;
        CoreMachine *ref = make(&gadget_v2, &g, &ops, true);
        cfg.dtb = NULL;
        g = (Gadget){ .count = 42, .mode = 3, .limit = 100 };
        uint64_t want = core_machine_state_hash(ref);
        core_machine_free(ref);
        check_fixture(argv[1], "gadget-v1.snap", want);
        check_fixture(argv[1], "format1.snap", want);
        rc = check_done("state_fixture");
#endif
    }
    unlink(kernel);
    return rc;
}
