/*
 * Whole-machine state: every device of the virt board takes part in
 * save/load (a device added without a state description fails here
 * unless it is listed as stateless, with the reason), and a snapshot of a
 * running machine loads into a fresh one and saves back to the same bytes
 * with the same state hash. Hart state includes the debug triggers the
 * program arms (a store trigger beside the counter it writes, an execute
 * trigger on data): they survive the round trip, keep the restored machine
 * in step, and take part in the state hash.
 */
#define _GNU_SOURCE   /* memmem */
#include "core/machine.h"
#include "core/run.h"
#include "core/preimage.h"
#include "core/snapshot.h"
#include "core/undo.h"
#include "tcg/riscv/cpu.h"
#include "tcg/riscv/rv.h"
#include "tests/unit/check.h"
#include "tests/unit/machine_harness.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Devices that hold no state of their own, and why. */
static const char *const stateless[] = {
    "sifive_test",   /* write-only: a write ends the run at once */
    "virtio-mmio-empty",   /* no device plugged: ignores every write */
};

static bool is_stateless(const char *name)
{
    for (size_t i = 0; i < sizeof(stateless) / sizeof(stateless[0]); i++) {
        if (strcmp(stateless[i], name) == 0) {
            return true;
        }
    }
    return false;
}

/* A guest that arms two debug triggers that never fire, then counts in a
   loop: enough to change RAM and registers, written as raw RV64 code. */
#define STORE_TRIGGER 0x2000000000000042ull   /* mcontrol, m, store */
#define EXEC_TRIGGER  0x2000000000000044ull   /* mcontrol, m, execute */
static const uint32_t program[] = {
    0x00000297,   /* auipc t0, 0          */
    0x10028293,   /* addi  t0, t0, 256    */
    0x00828e13,   /* addi  t3, t0, 8      */
    0x7a2e1073,   /* csrw  tdata2, t3     */
    0x00100393,   /* li    t2, 1          */
    0x03d39393,   /* slli  t2, t2, 61     */
    0x04238393,   /* addi  t2, t2, 0x42   */
    0x7a139073,   /* csrw  tdata1, t2     */
    0x7a00d073,   /* csrwi tselect, 1     */
    0x7a229073,   /* csrw  tdata2, t0     */
    0x00238393,   /* addi  t2, t2, 2      */
    0x7a139073,   /* csrw  tdata1, t2     */
    0x00000313,   /* li    t1, 0          */
    0x00130313,   /* addi  t1, t1, 1      */
    0x0062b023,   /* sd    t1, 0(t0)      */
    0xff9ff06f,   /* j     -8             */
};

/* A sink for streamed snapshots (core/snapshot.h) with small pieces, so
   page entries and group hashes straddle them: collects the bytes and
   the size announced. */
typedef struct PieceSink {
    CoreBuf got;
    uint64_t announced;
    unsigned pieces, begins;
    uint8_t buf[3][8200];   /* room for one page entry and a bit */
} PieceSink;

static bool piece_begin(void *opaque, uint64_t total)
{
    PieceSink *ps = opaque;
    ps->announced = total;
    ps->begins++;
    return true;
}

static bool piece_give(void *opaque, CoreBuf *piece, bool more)
{
    PieceSink *ps = opaque;
    core_buf_append(&ps->got, piece->data, piece->len);
    ps->pieces++;
    piece->data = more ? ps->buf[ps->pieces % 3] : NULL;
    piece->len = 0;
    piece->cap = more ? sizeof(ps->buf[0]) : 0;
    return true;
}

/* Going back to a point before a timer expired: the state must be the
   point's, the timer pending again, not fired. Devices reload seeing the
   restored clock (a CLINT that compared mtimecmp with the clock of the
   state being replaced found its deadline passed and raised MTIP at
   once: restore points and checkpoints restored backwards diverged at
   the next timer interrupt, and `last-write` reported a replay bug). */
#define MTIP (1ull << RV_IRQ_MTI)

static void restore_backwards(const CoreConfig *cfg)
{
    const uint64_t clint = 0x2000000, deadline = 1250;   /* 100 ticks */
    CoreMachine *t = th_machine(cfg);
    RVCPU *hart0 = t->cpus[0];
    th_mmio_write(t, clint + 0x4000, 100, 8);            /* mtimecmp[0] */
    th_run_to(t, 1000);
    uint64_t before = core_machine_state_hash(t);
    CoreBuf point = { 0 };
    core_snapshot_save(t, true, &point);
    core_undo_point(t);

    th_run_to(t, 5000);
    CHECK(hart0->mip & MTIP, "the timer fired at its deadline");
    uint64_t at = 0;
    CHECK(core_undo_restore(t, 1000, &at) && at == 1000,
          "back to the restore point");
    CHECK(!(hart0->mip & MTIP) &&
          core_machine_state_hash(t) == before,
          "restore point: the point's state, MTIP clear");
    th_run_to(t, deadline - 1);
    CHECK(!(hart0->mip & MTIP), "not yet pending");
    th_run_to(t, deadline);
    CHECK(hart0->mip & MTIP, "pending again at the same deadline");

    th_run_to(t, 5000);
    char err[256] = "";
    CHECK(core_snapshot_load(t, point.data, point.len, err,
                             sizeof(err)) == 0 &&
          !(hart0->mip & MTIP) &&
          core_machine_state_hash(t) == before,
          "snapshot loaded backwards: its state, MTIP clear %s", err);
    core_buf_free(&point);
    core_machine_free(t);
}

int main(void)
{
    char path[] = "/tmp/rewind-machine-state-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, program, sizeof(program)) != sizeof(program)) {
        perror("temp kernel");
        return 1;
    }
    close(fd);
    CoreConfig cfg = { .machine = "virt", .cpu = "rv64", .ram_size = 64 << 20,
                       .smp = 2, .bios = "none", .kernel = path,
                       .serial = "null", .icount_shift = 3 };
    CoreMachine *a = th_machine(&cfg);

    for (unsigned i = 0; i < a->ndevices; i++) {
        const CoreDeviceOps *ops = a->devices[i].ops;
        char what[128];
        snprintf(what, sizeof(what), "device %s (%s) has saved state",
                 a->devices[i].id, ops->name);
        CHECK(ops->state != NULL || is_stateless(ops->name), "%s", what);
    }

    cfg.max_insns = 123457;
    core_run(a);
    CHECK(a->icount == 123457, "ran to the limit");
    CoreBuf snap = { 0 };
    uint64_t hash_a = core_machine_state_hash(a);
    core_snapshot_save(a, true, &snap);

    cfg.max_insns = 0;
    CoreMachine *b = th_machine(&cfg), *p, *q;
    char why0[256] = "";
    uint8_t byte;
    char err[256] = "";
    CHECK(core_snapshot_load(b, snap.data, snap.len, err, sizeof(err)) == 0, "snapshot loads");
    CHECK(b->icount == 123457, "icount restored");
    CHECK(core_machine_state_hash(b) == hash_a, "state hash identical after load");
    RVCPU *cpu = b->cpus[1];
    CHECK(cpu->tselect == 1 && cpu->tdata1[0] == STORE_TRIGGER &&
          cpu->tdata1[1] == EXEC_TRIGGER && cpu->tdata2[0] == cpu->tdata2[1] + 8,
          "debug triggers restored");
    cpu->tdata2[0] ^= 0x10;
    CHECK(core_machine_state_hash(b) != hash_a, "trigger address in state hash");
    cpu->tdata2[0] ^= 0x10;
    cpu->tselect = 0;
    CHECK(core_machine_state_hash(b) != hash_a, "tselect in state hash");
    cpu->tselect = 1;
    CHECK(core_machine_state_hash(b) == hash_a, "state hash back to equal");

    /* A snapshot is hostile data: illegal trigger values are refused. */
    CoreBuf bad = { 0 };
    cpu->tselect = RV_NTRIGGERS;
    core_snapshot_save(b, true, &bad);
    cpu->tselect = 1;
    CoreMachine *c = th_machine(&cfg);
    err[0] = 0;
    CHECK(core_snapshot_load(c, bad.data, bad.len, err, sizeof(err)) != 0 && err[0],
          "snapshot with tselect past the last trigger refused");
    core_buf_free(&bad);
    cpu->tdata1[0] = STORE_TRIGGER | (1ull << 59);   /* dmode: not writable */
    core_snapshot_save(b, true, &bad);
    cpu->tdata1[0] = STORE_TRIGGER;
    err[0] = 0;
    CHECK(core_snapshot_load(c, bad.data, bad.len, err, sizeof(err)) != 0 && err[0],
          "snapshot with an illegal tdata1 refused");
    core_buf_free(&bad);
    core_machine_free(c);
    CoreBuf again = { 0 };
    core_snapshot_save(b, true, &again);
    CHECK(again.len == snap.len && memcmp(again.data, snap.data, snap.len) == 0,
          "save -> load -> save gives the same bytes");

    /* Both continue identically. */
    CoreConfig more = cfg;
    more.max_insns = 200000;
    a->cfg = &more;
    b->cfg = &more;
    a->exit_kind = CORE_EXIT_NONE;
    core_run(a);
    core_run(b);
    CHECK(a->icount == b->icount && core_machine_state_hash(a) ==
          core_machine_state_hash(b), "restored machine runs on identically");

    /* A lone hart runs on without quanta (accel/tcg.c), but its
       scheduler state is what cuts at every quantum would have left:
       123457 = 30 quanta of 4096 and 577, so 3519 are left of the 31st
       (snapshots and state hashes as before lone harts ran on). */
    CoreConfig one = cfg;
    one.smp = 1;
    one.max_insns = 123457;
    p = th_machine(&one);
    core_run(p);
    CHECK(p->icount == 123457 && p->sched_hart == 0 &&
          p->sched_left == CORE_SCHED_QUANTUM - 123457 % CORE_SCHED_QUANTUM,
          "a lone hart's quantum left: %u", (unsigned)p->sched_left);
    core_machine_free(p);

    /* An increment stores a page the guest cleared as an entry without
       bytes (format 3), and loading it clears the page. */
    p = th_machine(&cfg);
    CoreBuf base = { 0 }, inc1 = { 0 }, inc2 = { 0 };
    core_snapshot_save(p, true, &base);
    uint8_t page[4096];
    memset(page, 0x77, sizeof(page));
    CHECK(core_mem_write_bytes(p->as, 0x80400000, page, sizeof(page)));
    core_snapshot_save(p, false, &inc1);
    memset(page, 0, sizeof(page));
    CHECK(core_mem_write_bytes(p->as, 0x80400000, page, sizeof(page)));
    uint64_t hash_p = core_machine_state_hash(p);
    core_snapshot_save(p, false, &inc2);
    CHECK(inc2.len + 4096 <= inc1.len, "a cleared page is stored without its "
          "bytes (%zu, %zu)", inc2.len, inc1.len);
    CHECK(core_snapshot_check(p, inc2.data, inc2.len, false, why0,
                              sizeof(why0)) == 0, "check: %s", why0);
    q = th_machine(&cfg);
    err[0] = 0;
    CHECK(core_snapshot_load(q, base.data, base.len, err, sizeof(err)) == 0 &&
          core_snapshot_load(q, inc1.data, inc1.len, err, sizeof(err)) == 0 &&
          core_mem_read_bytes(q->as, 0x80400000, &byte, 1) && byte == 0x77,
          "the page written: %s", err);
    CHECK(core_snapshot_load(q, inc2.data, inc2.len, err, sizeof(err)) == 0 &&
          core_mem_read_bytes(q->as, 0x80400000, &byte, 1) && byte == 0 &&
          core_machine_state_hash(q) == hash_p, "the page cleared again: %s",
          err);
    /* The entry's flag bit: the entry is last, before the group count and
       the 64 group hashes of 64 MiB. */
    CHECK(inc2.data[inc2.len - 8 * 64 - 8 - 1] == 0x80, "zero-page flag");
    inc2.data[inc2.len - 8 * 64 - 8 - 1] ^= 0x80;
    CHECK(core_snapshot_check(q, inc2.data, inc2.len, false, why0,
                              sizeof(why0)) != 0, "a flag-less zero entry is "
          "truncated data");
    core_machine_free(q);

    /* An increment streamed in small pieces (a recorder's checkpoints) is
       the increment saved whole, byte for byte, with the same hash: a
       page stored as it is, one as its XOR, one cleared to zeros; the
       size announced first is the size given. */
    CoreMachine *twin[2] = { th_machine(&cfg), th_machine(&cfg) };
    CoreBuf whole = { 0 }, scratch = { 0 };
    for (int k = 0; k < 2; k++) {
        core_snapshot_save(twin[k], true, &scratch);
        memset(page, 0x77, sizeof(page));
        core_mem_write_bytes(twin[k]->as, 0x80400000, page, sizeof(page));
        core_mem_write_bytes(twin[k]->as, 0x80402000, page, sizeof(page));
        core_snapshot_save(twin[k], false, &scratch);
        memset(page, 0, sizeof(page));
        core_mem_write_bytes(twin[k]->as, 0x80402000, page, sizeof(page));
        memset(page, 0x12, 100);
        core_mem_write_bytes(twin[k]->as, 0x80400800, page, 100);
        core_mem_write_bytes(twin[k]->as, 0x80404000, page, sizeof(page));
    }
    uint64_t h_whole, h_stream;
    core_snapshot_save_hashed(twin[0], false, &whole, &h_whole);
    PieceSink *ps = calloc(1, sizeof(*ps));
    CoreSnapshotSink sink = { piece_begin, piece_give, ps };
    CoreBuf piece = { ps->buf[0], 0, sizeof(ps->buf[0]) };
    CHECK(core_snapshot_save_increment_to(twin[1], &sink, &piece, &h_stream),
          "streamed");
    CHECK(ps->begins == 1 && ps->announced == ps->got.len &&
          ps->got.len == whole.len && ps->pieces > 2 &&
          memcmp(ps->got.data, whole.data, whole.len) == 0 &&
          h_stream == h_whole && piece.data == NULL, "streamed in %u pieces: "
          "%zu bytes (announced %" PRIu64 ") against %zu whole", ps->pieces,
          ps->got.len, ps->announced, whole.len);
    core_buf_free(&ps->got);
    free(ps);
    core_buf_free(&whole);
    core_buf_free(&scratch);
    core_machine_free(twin[0]);
    core_machine_free(twin[1]);

    /* A page non-zero at the previous checkpoint and written since is
       stored as the XOR of its old and new content (format 4,
       core/preimage.h): mostly zeros. Loading the snapshots in order
       gives the page; check compares it with the pre-image its own
       machine kept, and finds a wrong byte. */
    CoreMachine *xp = th_machine(&cfg), *xq = th_machine(&cfg);
    CoreBuf x0 = { 0 }, x1 = { 0 }, x2 = { 0 };
    memset(page, 0x77, sizeof(page));
    CHECK(core_mem_write_bytes(xp->as, 0x80500000, page, sizeof(page)) &&
          core_mem_write_bytes(xq->as, 0x80500000, page, sizeof(page)));
    core_snapshot_save(xp, true, &x0);
    /* A full snapshot keeps no pre-images (its tools save no increment):
       the increment after it, with no page written, starts them. */
    CoreMemRegion *ram = core_mem_find(xp->as, 0x80500000);
    uint64_t pg = ram ? core_mem_page_index(ram, 0x80500000) : 0;
    const uint8_t *old = NULL;
    byte = 0x78;
    CHECK(ram && core_mem_write_bytes(xp->as, 0x80500010, &byte, 1) &&
          !core_preimage_get(xp->preimages, ram, pg, &old),
          "no pre-image after a full snapshot");
    byte = 0x77;
    CHECK(core_mem_write_bytes(xp->as, 0x80500010, &byte, 1));
    core_snapshot_save(xp, false, &x2);
    CHECK(core_snapshot_check(xq, x0.data, x0.len, true, why0,
                              sizeof(why0)) == 0, "check x0: %s", why0);
    byte = 0x78;
    CHECK(core_mem_write_bytes(xp->as, 0x80500010, &byte, 1) &&
          core_mem_write_bytes(xq->as, 0x80500010, &byte, 1));
    uint64_t hash_x1 = core_machine_state_hash(xp);
    core_snapshot_save(xp, false, &x1);
    /* The one entry: u64 index, the page, then the group count and 64
       group hashes. */
    size_t ent = x1.len - 8 * 64 - 8 - 4096 - 8;
    uint8_t want_xor[4096] = { 0 };
    want_xor[0x10] = 0x77 ^ 0x78;
    CHECK(x1.data[ent + 7] == 0x40 &&
          memcmp(x1.data + ent + 8, want_xor, 4096) == 0,
          "an XOR entry of the one changed byte (flags 0x%02x)",
          x1.data[ent + 7]);
    CHECK(core_snapshot_check(xq, x1.data, x1.len, true, why0,
                              sizeof(why0)) == 0, "check x1: %s", why0);
    CoreMachine *v = th_machine(&cfg);
    CoreBuf xv = { 0 };
    core_snapshot_save(v, false, &xv);   /* pre-images from here on */
    core_buf_free(&xv);
    err[0] = 0;
    uint8_t b0 = 0;
    CHECK(core_snapshot_load(v, x0.data, x0.len, err, sizeof(err)) == 0 &&
          core_snapshot_load(v, x2.data, x2.len, err, sizeof(err)) == 0 &&
          core_snapshot_load(v, x1.data, x1.len, err, sizeof(err)) == 0 &&
          core_mem_read_bytes(v->as, 0x80500010, &byte, 1) && byte == 0x78 &&
          core_mem_read_bytes(v->as, 0x80500000, &b0, 1) && b0 == 0x77 &&
          core_machine_state_hash(v) == hash_x1, "XOR entry restored: %s",
          err);
    /* After a load the pages' checkpoint content is not known: the next
       increment stores them as they are. */
    byte = 0x79;
    CHECK(core_mem_write_bytes(v->as, 0x80500010, &byte, 1));
    ram = core_mem_find(v->as, 0x80500000);
    CHECK(v->preimages && ram && !core_preimage_get(v->preimages, ram, pg,
                                                    &old),
          "no pre-image after a load");
    x2.len = 0;
    core_snapshot_save(v, false, &x2);
    memset(page, 0x77, sizeof(page));
    page[0x10] = 0x79;
    CHECK(memmem(x2.data, x2.len, page, sizeof(page)) != NULL,
          "a page written after a load is stored whole");
    /* Format 3 has no XOR entries: the same bytes as a version-3 blob
       name a page out of range, never a difference to apply. */
    x1.data[4] = 3;
    CHECK(core_snapshot_load(v, x1.data, x1.len, err, sizeof(err)) != 0 &&
          strstr(err, "out of range"), "no XOR entry in format 3: %s", err);
    x1.data[4] = 4;
    core_machine_free(v);
    /* A wrong byte in the XOR entry: check finds it. */
    v = th_machine(&cfg);
    memset(page, 0x77, sizeof(page));
    CHECK(core_mem_write_bytes(v->as, 0x80500000, page, sizeof(page)));
    CHECK(core_snapshot_check(v, x0.data, x0.len, true, why0,
                              sizeof(why0)) == 0, "check x0 again: %s", why0);
    byte = 0x78;
    CHECK(core_mem_write_bytes(v->as, 0x80500010, &byte, 1));
    x1.data[ent + 8 + 0x20] ^= 1;
    CHECK(core_snapshot_check(v, x1.data, x1.len, true, why0,
                              sizeof(why0)) != 0 && strstr(why0, "differs"),
          "a wrong XOR entry is found: %s", why0);
    core_machine_free(v);
    core_machine_free(xp);
    core_machine_free(xq);
    core_buf_free(&x0);
    core_buf_free(&x1);
    core_buf_free(&x2);

    /* A page written and cleared again hashes as a page never written
       (the state hash takes a cleared page's hash without hashing it). */
    q = th_machine(&cfg);
    uint64_t hash_fresh = core_machine_state_hash(q);
    memset(page, 0x77, sizeof(page));
    core_mem_write_bytes(q->as, 0x80600000, page, sizeof(page));
    CHECK(core_machine_state_hash(q) != hash_fresh, "a written page counts");
    memset(page, 0, sizeof(page));
    core_mem_write_bytes(q->as, 0x80600000, page, sizeof(page));
    CHECK(core_machine_state_hash(q) == hash_fresh, "a cleared page hashes "
          "as an untouched one");
    page[4095] = 1;
    core_mem_write_bytes(q->as, 0x80600000, page, sizeof(page));
    CHECK(core_machine_state_hash(q) != hash_fresh, "a page zero but for "
          "its last byte is not a cleared page");
    core_machine_free(q);

    /* A boot snapshot has the state of a machine that has not run, without
       its RAM: restoring it on a machine that ran takes the RAM of one as
       built, then the snapshot. */
    q = th_machine(&cfg);
    CoreBuf boot = { 0 }, built = { 0 };
    uint64_t hash_boot;
    core_snapshot_save_boot_hashed(q, &boot, &hash_boot);
    core_snapshot_save(q, true, &built);
    CHECK(core_snapshot_is_boot(boot.data, boot.len) &&
          !core_snapshot_is_boot(built.data, built.len), "boot kind");
    CHECK(hash_boot == core_machine_state_hash(q) &&
          boot.len + 4096 <= built.len, "boot: the hash, not the pages "
          "(%zu, %zu)", boot.len, built.len);
    CHECK(core_snapshot_check(q, boot.data, boot.len, true, why0,
                              sizeof(why0)) == 0, "boot check: %s", why0);
    err[0] = 0;
    CHECK(core_snapshot_load(p, built.data, built.len, err, sizeof(err)) == 0 &&
          core_snapshot_load(p, boot.data, boot.len, err, sizeof(err)) == 0 &&
          core_machine_state_hash(p) == hash_boot, "boot restored: %s", err);
    core_machine_free(q);
    core_machine_free(p);
    core_buf_free(&base);
    core_buf_free(&inc1);
    core_buf_free(&inc2);
    core_buf_free(&boot);
    core_buf_free(&built);

    /* RAM written before anything hashed (the loader's writes) counts in
       the first hash: clients that register late see earlier writes. */
    p = th_machine(&cfg);
    q = th_machine(&cfg);
    byte = 0x5a;
    CHECK(core_mem_write_bytes(q->as, 0x80400000, &byte, 1));
    CHECK(core_machine_state_hash(p) != core_machine_state_hash(q),
          "a byte written before the first hash changes it");
    core_machine_free(p);
    core_machine_free(q);

    /* Devices are found by id: a machine that registered the same devices
       in another order loads the snapshot into the right ones (by order,
       the first record would meet the wrong device and be refused). */
    p = th_machine(&cfg);
    unsigned i0 = 0, i1 = p->ndevices - 1;
    while (i1 > 0 && !p->devices[i1].ops->state) {
        i1--;   /* the last device with state (empty transports have none) */
    }
    CoreDevice tmp = p->devices[i0];
    p->devices[i0] = p->devices[i1];
    p->devices[i1] = tmp;
    CHECK(p->devices[i0].ops->state && p->devices[i1].ops->state &&
          p->devices[i0].ops->state != p->devices[i1].ops->state);
    err[0] = 0;
    CHECK(core_snapshot_load(p, snap.data, snap.len, err, sizeof(err)) == 0,
          "devices in another order: %s", err);
    /* verify's check and the divergence report match by id too. */
    char why[256] = "";
    CHECK(core_snapshot_check(p, snap.data, snap.len, false, why,
                              sizeof(why)) == 0,
          "check with devices in another order: %s", why);
    char diff[512];
    core_snapshot_diff(p, snap.data, snap.len, diff, sizeof(diff));
    CHECK(strstr(diff, "no difference found") != NULL,
          "diff with devices in another order: %s", diff);
    tmp = p->devices[i0];
    p->devices[i0] = p->devices[i1];
    p->devices[i1] = tmp;
    CHECK(core_machine_state_hash(p) == hash_a, "each device got its own state");
    core_machine_free(p);

    /* An id the machine lacks is refused by name, before any change. */
    p = th_machine(&cfg);
    CoreDevice *rtc = NULL;
    for (unsigned i = 0; i < p->ndevices; i++) {
        if (strcmp(p->devices[i].id, "rtc") == 0) {
            rtc = &p->devices[i];
        }
    }
    CHECK(rtc != NULL, "the virt board has a device 'rtc'");
    if (rtc) {
        snprintf(rtc->id, sizeof(rtc->id), "rtc9");
        uint64_t before = core_machine_state_hash(p);
        CHECK(core_snapshot_load(p, snap.data, snap.len, err, sizeof(err)) != 0 &&
              strstr(err, "'rtc'") && strstr(err, "no device with that id"),
              "unknown id refused: %s", err);
        CHECK(p->icount == 0 && core_machine_state_hash(p) == before,
              "nothing loaded, harts included");
    }
    core_machine_free(p);

    /* A device of the machine that the snapshot lacks is refused by name. */
    static const CoreStateField extra_fields[] = {
        CORE_STATE_FIELD(CoreDevice, id), CORE_STATE_END
    };
    static const CoreStateDesc extra_state = { .name = "extra", .version = 1,
                                               .fields = extra_fields };
    static const CoreDeviceOps extra_ops = { .name = "extra",
                                             .state = &extra_state };
    static CoreDevice extra_obj;
    p = th_machine(&cfg);
    core_machine_add_device(p, &extra_ops, &extra_obj, "extra0");
    uint64_t before = core_machine_state_hash(p);
    CHECK(core_snapshot_load(p, snap.data, snap.len, err, sizeof(err)) != 0 &&
          strstr(err, "'extra0'") && strstr(err, "missing from the snapshot"),
          "missing device refused: %s", err);
    CHECK(p->icount == 0 && core_machine_state_hash(p) == before,
          "nothing loaded, harts included");
    core_machine_free(p);

    /* An unknown snapshot format is refused naming the versions. */
    CoreBuf future = { 0 };
    core_buf_append(&future, snap.data, snap.len);
    future.data[4] = 5;
    p = th_machine(&cfg);
    CHECK(core_snapshot_load(p, future.data, future.len, err, sizeof(err)) != 0 &&
          strstr(err, "format version 5") && strstr(err, "1 to 4"),
          "future format refused: %s", err);
    core_machine_free(p);
    core_buf_free(&future);

    restore_backwards(&cfg);

    core_buf_free(&snap);
    core_buf_free(&again);
    core_machine_free(a);
    core_machine_free(b);
    unlink(path);
    return check_done("machine_state");
}
