/*
 * Split virtqueues (hw/virtio/virtqueue.c) against hostile guest memory,
 * without a guest: well-formed chains (direct and indirect) pop as the
 * right segments and push into the used ring; every malformed ring (a
 * loop, an index beyond the queue, a buffer or table outside RAM or
 * wrapping round, a bad or nested or looping indirect table, readable
 * after writable, an available index too far ahead) is refused with
 * VQ_POP_BROKEN and the queue stays refused until reset; and thousands
 * of random rings never make pop read or write outside what it checked
 * (this test also runs under ASan/UBSan). Then the virtio-mmio transport
 * of a machine with -device virtio-rng-device survives save -> load ->
 * save with the same bytes and state hash.
 */
#include "core/machine.h"
#include "core/snapshot.h"
#include "hw/registry.h"
#include "hw/virtio/virtqueue.h"
#include "tests/unit/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RAM 0x80000000ull
#define RAM_SIZE (1ull << 20)
#define DESC (RAM + 0x0000)
#define AVAIL (RAM + 0x1000)
#define USED (RAM + 0x2000)
#define TABLE (RAM + 0x3000)
#define BUF (RAM + 0x10000)

typedef struct Desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
} Desc;

static CoreAddrSpace *as;

static void put_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    Desc d = { addr, len, flags, next };
    core_mem_write_bytes(as, table + 16ull * i, &d, sizeof(d));
}

static void put16(uint64_t addr, uint16_t v)
{
    core_mem_write_bytes(as, addr, &v, 2);
}

static uint16_t get16(uint64_t addr)
{
    uint16_t v = 0;
    core_mem_read_bytes(as, addr, &v, 2);
    return v;
}

static Virtqueue fresh(unsigned num)
{
    Virtqueue vq = { .desc = DESC, .avail = AVAIL, .used = USED, .num = num,
                     .ready = 1 };
    put16(AVAIL + 2, 0);
    put16(USED + 2, 0);
    return vq;
}

/* Offer head h as the queue's first entry and pop it. */
static VirtqPopResult pop_head(Virtqueue *vq, uint16_t h, VirtqElem *e)
{
    put16(AVAIL + 4, h);
    put16(AVAIL + 2, (uint16_t)(vq->last_avail_idx + 1));
    return hw_vq_pop(vq, as, e);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void hostile(void)
{
    static VirtqElem e;
    Virtqueue vq;
#define EXPECT_BROKEN(what)                                                  \
    do {                                                                     \
        CHECK(pop_head(&vq, 0, &e) == VQ_POP_BROKEN && vq.broken, "%s", what); \
        CHECK(hw_vq_pop(&vq, as, &e) == VQ_POP_EMPTY, "%s: stays refused", what); \
    } while (0)

    vq = fresh(8);
    put_desc(DESC, 0, BUF, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
    put_desc(DESC, 1, BUF + 8, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);
    EXPECT_BROKEN("a chain that loops");

    vq = fresh(8);
    put_desc(DESC, 0, BUF, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 8);
    EXPECT_BROKEN("next == queue size");

    vq = fresh(8);
    put_desc(DESC, 0, 0x20000000, 8, VRING_DESC_F_WRITE, 0);
    EXPECT_BROKEN("buffer outside RAM");

    vq = fresh(8);
    put_desc(DESC, 0, RAM + RAM_SIZE - 4, 8, VRING_DESC_F_WRITE, 0);
    EXPECT_BROKEN("buffer running off the end of RAM");

    vq = fresh(8);
    put_desc(DESC, 0, ~0ull - 3, 8, VRING_DESC_F_WRITE, 0);
    EXPECT_BROKEN("buffer wrapping round the address space");

    vq = fresh(8);
    put_desc(DESC, 0, BUF, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
    put_desc(DESC, 1, BUF, 8, 0, 0);
    EXPECT_BROKEN("readable after writable");

    vq = fresh(8);
    put_desc(DESC, 0, TABLE, 24, VRING_DESC_F_INDIRECT, 0);
    EXPECT_BROKEN("indirect table of 1.5 descriptors");

    vq = fresh(8);
    put_desc(DESC, 0, TABLE, 0, VRING_DESC_F_INDIRECT, 0);
    EXPECT_BROKEN("empty indirect table");

    vq = fresh(8);
    put_desc(DESC, 0, RAM + RAM_SIZE - 16, 32, VRING_DESC_F_INDIRECT, 0);
    EXPECT_BROKEN("indirect table outside RAM");

    vq = fresh(8);
    put_desc(TABLE, 0, BUF, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
    put_desc(TABLE, 1, BUF, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);
    put_desc(DESC, 0, TABLE, 32, VRING_DESC_F_INDIRECT, 0);
    EXPECT_BROKEN("indirect table that loops");

    vq = fresh(8);
    put_desc(TABLE, 0, TABLE, 16, VRING_DESC_F_INDIRECT, 0);
    put_desc(DESC, 0, TABLE, 16, VRING_DESC_F_INDIRECT, 0);
    EXPECT_BROKEN("nested indirect table");

    vq = fresh(8);
    put_desc(DESC, 0, TABLE, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
    EXPECT_BROKEN("indirect with NEXT");

    vq = fresh(8);
    put16(AVAIL + 4, 9);
    put16(AVAIL + 2, 1);
    CHECK(hw_vq_pop(&vq, as, &e) == VQ_POP_BROKEN, "head beyond the queue");

    vq = fresh(8);
    put16(AVAIL + 2, 9);
    CHECK(hw_vq_pop(&vq, as, &e) == VQ_POP_BROKEN,
          "available index 9 ahead of a queue of 8");

    vq = fresh(8);
    vq.desc = 0x20000000;
    EXPECT_BROKEN("descriptor table outside RAM");

    vq = fresh(8);
    vq.avail = RAM + RAM_SIZE - 2;
    CHECK(hw_vq_pop(&vq, as, &e) == VQ_POP_BROKEN,
          "available ring off the end of RAM");
    hw_vq_reset(&vq);
    CHECK(!vq.broken && hw_vq_pop(&vq, as, &e) == VQ_POP_EMPTY,
          "reset clears the broken state");
}

static void wellformed(void)
{
    static VirtqElem e;
    Virtqueue vq = fresh(8);
    put_desc(DESC, 3, BUF, 16, VRING_DESC_F_NEXT, 5);
    put_desc(DESC, 5, BUF + 16, 32, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 6);
    put_desc(DESC, 6, BUF + 64, 8, VRING_DESC_F_WRITE, 0);
    CHECK(pop_head(&vq, 3, &e) == VQ_POP_OK && e.head == 3 && e.nout == 1 &&
          e.nin == 2 && e.out[0].addr == BUF && e.in[1].len == 8,
          "direct chain: 1 readable, 2 writable");
    CHECK(hw_vq_in_size(&e) == 40);
    uint8_t data[48];
    memset(data, 0xa5, sizeof(data));
    CHECK(hw_vq_write_in(&e, as, data, sizeof(data)) == 40, "write clipped");
    CHECK(hw_vq_push(&vq, as, &e, 40) && get16(USED + 2) == 1 &&
          vq.used_idx == 1, "push");
    uint32_t elem[2];
    core_mem_read_bytes(as, USED + 4, elem, 8);
    CHECK(elem[0] == 3 && elem[1] == 40, "used element");
    CHECK(hw_vq_pop(&vq, as, &e) == VQ_POP_EMPTY, "nothing more");

    put_desc(TABLE, 0, BUF, 4, 0, 0);
    put_desc(TABLE, 1, BUF + 4, 4, VRING_DESC_F_WRITE, 0);
    put_desc(TABLE, 0, BUF, 4, VRING_DESC_F_NEXT, 1);
    put_desc(DESC, 0, TABLE, 32, VRING_DESC_F_INDIRECT, 0);
    put16(AVAIL + 4 + 2, 0);
    put16(AVAIL + 2, 2);
    CHECK(hw_vq_pop(&vq, as, &e) == VQ_POP_OK && e.nout == 1 && e.nin == 1,
          "indirect chain");
    put16(AVAIL, VRING_AVAIL_F_NO_INTERRUPT);
    CHECK(!hw_vq_should_notify(&vq, as), "NO_INTERRUPT");
    put16(AVAIL, 0);
    CHECK(hw_vq_should_notify(&vq, as), "interrupt wanted");
}

/* Random rings: pop never returns a segment outside RAM or more
   descriptors than the queue, whatever the tables hold. */
static void random_rings(void)
{
    static VirtqElem e;
    unsigned ok = 0, broken = 0, bad = 0;
    for (unsigned round = 0; round < 20000; round++) {
        unsigned num = 1u << (rnd() % 9);
        Virtqueue vq = fresh(num);
        for (unsigned i = 0; i < num; i++) {
            uint64_t r = rnd();
            uint64_t addr = (r & 1) ? BUF + (rnd() % RAM_SIZE) : rnd();
            put_desc(DESC, i, addr, (uint32_t)(rnd() % 0x2000),
                     (uint16_t)(rnd() & 7), (uint16_t)(rnd() % (num + 2)));
            put_desc(TABLE, i % 16, (r & 2) ? BUF : rnd(),
                     (uint32_t)(rnd() % 64), (uint16_t)(rnd() & 7),
                     (uint16_t)(rnd() % 20));
        }
        put16(AVAIL + 4, (uint16_t)(rnd() % (num + 1)));
        put16(AVAIL + 2, (uint16_t)(rnd() % 3));
        VirtqPopResult res = hw_vq_pop(&vq, as, &e);
        if (res == VQ_POP_OK) {
            ok++;
            if (e.nin + e.nout > num) {
                bad++;
            }
            for (unsigned i = 0; i < e.nin; i++) {
                bad += !core_mem_host_ptr(as, e.in[i].addr, e.in[i].len + 1ull);
            }
        } else if (res == VQ_POP_BROKEN) {
            broken++;
        }
    }
    CHECK(bad == 0, "%u random chains out of bounds", bad);
    CHECK(ok > 100 && broken > 100, "random rings: %u ok, %u broken", ok,
          broken);
}

static CoreMachine *make(const CoreConfig *cfg)
{
    CoreMachine *m = core_machine_new(cfg);
    char err[256];
    if (!m || !core_machine_init(m, err, sizeof(err))) {
        fprintf(stderr, "machine: %s\n", err);
        exit(1);
    }
    return m;
}

static void wr32(CoreMachine *m, gpa_t addr, uint32_t v)
{
    CoreMemRegion *r = core_mem_find(m->as, addr);
    if (r && r->kind == CORE_MEM_MMIO) {
        r->ops->write(r->opaque, addr - r->base, v, 4);
    }
}

static uint32_t rd32(CoreMachine *m, gpa_t addr)
{
    CoreMemRegion *r = core_mem_find(m->as, addr);
    if (!r || r->kind != CORE_MEM_MMIO) {
        return ~0u;
    }
    return (uint32_t)r->ops->read(r->opaque, addr - r->base, 4);
}

static void transport_state(void)
{
    static const uint32_t spin[] = { 0x0000006f };   /* j . */
    char path[] = "/tmp/rewind-virtio-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, spin, sizeof(spin)) != sizeof(spin)) {
        perror("temp kernel");
        exit(1);
    }
    close(fd);
    CoreConfig cfg = { .machine = "virt", .cpu = "rv64", .ram_size = 64 << 20,
                       .smp = 1, .bios = "none", .kernel = path,
                       .serial = "null", .icount_shift = 3 };
    char err[300];
    CHECK(hw_device_parse("virtio-rng-device", &cfg, err, sizeof(err)) ==
          HW_PARSE_OK, "%s", err);
    CoreMachine *a = make(&cfg);
    gpa_t t = 0x10008000;
    CHECK(rd32(a, t) == 0x74726976 && rd32(a, t + 8) == 4 &&
          rd32(a, 0x10001000 + 8) == 0, "rng on the last transport");
    wr32(a, t + 0x70, 3);
    wr32(a, t + 0x24, 1);
    wr32(a, t + 0x20, 1);
    wr32(a, t + 0x70, 0xb);
    wr32(a, t + 0x30, 0);
    wr32(a, t + 0x38, 16);
    wr32(a, t + 0x80, 0x80100000);
    wr32(a, t + 0x90, 0x80101000);
    wr32(a, t + 0xa0, 0x80102000);
    wr32(a, t + 0x44, 1);
    wr32(a, t + 0x70, 0xf);
    CHECK(rd32(a, t + 0x70) == 0xf && rd32(a, t + 0x44) == 1, "set up");

    CoreBuf snap = { 0 };
    core_snapshot_save(a, true, &snap);
    uint64_t hash = core_machine_state_hash(a);
    CoreMachine *b = make(&cfg);
    char lerr[256] = "";
    CHECK(core_snapshot_load(b, snap.data, snap.len, lerr, sizeof(lerr)) == 0,
          "snapshot loads: %s", lerr);
    CHECK(rd32(b, t + 0x70) == 0xf && rd32(b, t + 0x44) == 1 &&
          core_machine_state_hash(b) == hash, "transport restored");
    CoreBuf again = { 0 };
    core_snapshot_save(b, true, &again);
    CHECK(again.len == snap.len && memcmp(again.data, snap.data, snap.len) == 0,
          "save -> load -> save gives the same bytes");
    core_buf_free(&snap);
    core_buf_free(&again);
    core_machine_free(a);
    core_machine_free(b);
    hw_device_opts_free(&cfg);
    unlink(path);
}

int main(void)
{
    as = core_mem_new();
    core_mem_add_ram(as, "ram", RAM, RAM_SIZE);
    hostile();
    wellformed();
    random_rings();
    core_mem_free(as);
    transport_state();
    return check_done("virtqueue");
}
