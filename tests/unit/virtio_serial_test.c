/*
 * virtio-serial-device's saved state (hw/virtio/virtio_serial.c): a
 * machine with a virtconsole and a virtserialport is driven through the
 * control queues to a state with something in every saved field (the
 * driver ready, a port opened by the guest, control messages waiting for
 * a control receive buffer), then saved, loaded into a fresh machine and
 * saved again: the bytes and the state hash must match, and the loaded
 * device must go on where the first left off (the waiting messages come
 * out when a buffer is posted, and input reaches the port the guest
 * opened). Then the host side: a port behind a socket server with
 * wait=off answers PORT_READY with PORT_OPEN 0 (no client yet; a
 * replay's stand-in knows it from the spec), a client arriving through
 * the input door's connection hook is PORT_OPEN 1, and the state is saved.
 */
#include "backends/chardev.h"
#include "core/input.h"
#include "core/machine.h"
#include "core/mem.h"
#include "core/snapshot.h"
#include "hw/registry.h"
#include "tests/unit/check.h"
#include "tests/unit/machine_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T 0x10008000ull       /* the first virtio -device's transport */
#define RAM 0x80000000ull
#define QN 8

static void wr32(CoreMachine *m, gpa_t addr, uint32_t v)
{
    th_mmio_write(m, addr, v, 4);
}

static uint32_t rd32(CoreMachine *m, gpa_t addr)
{
    return (uint32_t)th_mmio_read(m, addr, 4);
}

/* Queue q's rings at RAM + 0x100000 + q * 0x1000: desc, avail +0x400,
   used +0x800; buffers at RAM + 0x200000 + q * 0x1000 + slot * 0x80. */
static gpa_t ring(unsigned q) { return RAM + 0x100000 + q * 0x1000; }
static gpa_t buf(unsigned q, unsigned s)
{
    return RAM + 0x200000 + q * 0x1000 + s * 0x80;
}

static void put(CoreMachine *m, gpa_t a, const void *p, size_t n)
{
    CHECK(core_mem_write_bytes(m->as, a, p, n));
}

static uint16_t used_idx(CoreMachine *m, unsigned q)
{
    uint16_t v = 0;
    core_mem_read_bytes(m->as, ring(q) + 0x800 + 2, &v, 2);
    return v;
}

/* Offer buffer `slot` of queue q (avail index idx -> idx + 1). */
static void offer(CoreMachine *m, unsigned q, uint16_t idx, unsigned slot,
                  uint32_t len, bool writable)
{
    struct { uint64_t addr; uint32_t len; uint16_t flags, next; } d = {
        buf(q, slot), len, writable ? 2 : 0, 0 };
    put(m, ring(q) + 16 * slot, &d, sizeof(d));
    uint16_t head = (uint16_t)slot, next = idx + 1;
    put(m, ring(q) + 0x400 + 4 + 2 * (idx % QN), &head, 2);
    put(m, ring(q) + 0x400 + 2, &next, 2);
    wr32(m, T + 0x50, q);
}

static void ctrl(CoreMachine *m, uint16_t idx, uint32_t id, uint16_t event,
                 uint16_t value)
{
    struct { uint32_t id; uint16_t event, value; } c = { id, event, value };
    put(m, buf(3, idx % QN), &c, sizeof(c));
    offer(m, 3, idx, idx % QN, sizeof(c), false);
}

static void setup(CoreMachine *m)
{
    wr32(m, T + 0x70, 3);
    wr32(m, T + 0x24, 0);
    wr32(m, T + 0x20, 2);          /* MULTIPORT */
    wr32(m, T + 0x24, 1);
    wr32(m, T + 0x20, 1);          /* VERSION_1 */
    wr32(m, T + 0x70, 0xb);
    for (unsigned q = 0; q < 8; q++) {
        wr32(m, T + 0x30, q);
        wr32(m, T + 0x38, QN);
        wr32(m, T + 0x80, (uint32_t)ring(q));
        wr32(m, T + 0x84, (uint32_t)(ring(q) >> 32));
        wr32(m, T + 0x90, (uint32_t)(ring(q) + 0x400));
        wr32(m, T + 0x94, (uint32_t)(ring(q) >> 32));
        wr32(m, T + 0xa0, (uint32_t)(ring(q) + 0x800));
        wr32(m, T + 0xa4, (uint32_t)(ring(q) >> 32));
        wr32(m, T + 0x44, 1);
    }
    wr32(m, T + 0x70, 0xf);
}

int main(void)
{
    static const uint32_t spin[] = { 0x0000006f };   /* j . */
    char path[] = "/tmp/rewind-vserial-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, spin, sizeof(spin)) != sizeof(spin)) {
        perror("temp kernel");
        return 1;
    }
    close(fd);
    CoreConfig cfg = { .machine = "virt", .cpu = "rv64", .ram_size = 64 << 20,
                       .smp = 1, .bios = "none", .kernel = path,
                       .serial = "null", .icount_shift = 3 };
    char err[300];
    CHECK(be_chardev_define(&cfg, "null,id=c0", err, sizeof(err)), "%s", err);
    CHECK(be_chardev_define(&cfg, "null,id=c1", err, sizeof(err)), "%s", err);
    const char *devs[] = { "virtio-serial-device", "virtconsole,chardev=c0",
                           "virtserialport,chardev=c1,name=x.y" };
    for (unsigned i = 0; i < 3; i++) {
        CHECK(hw_device_parse(devs[i], &cfg, err, sizeof(err)) == HW_PARSE_OK,
              "%s", err);
    }
    CoreMachine *a = th_machine(&cfg);
    CHECK(rd32(a, T + 8) == 3, "console device on the first transport");
    setup(a);
    ctrl(a, 0, 0, 0, 1);           /* DEVICE_READY: two DEVICE_ADDs wait */
    ctrl(a, 1, 0, 3, 1);           /* PORT_READY 0: CONSOLE_PORT, PORT_OPEN */
    ctrl(a, 2, 0, 6, 1);           /* the guest opens port 0 */
    CHECK(used_idx(a, 3) == 3, "control messages taken");
    CHECK(used_idx(a, 2) == 0, "nothing to put them in yet");

    CoreBuf snap = { 0 };
    core_snapshot_save(a, true, &snap);
    uint64_t hash = core_machine_state_hash(a);
    core_machine_free(a);          /* frees the chardev ids for b */

    CoreMachine *b = th_machine(&cfg);
    char lerr[256] = "";
    CHECK(core_snapshot_load(b, snap.data, snap.len, lerr, sizeof(lerr)) == 0,
          "snapshot loads: %s", lerr);
    CHECK(core_machine_state_hash(b) == hash, "same state hash");
    CoreBuf again = { 0 };
    core_snapshot_save(b, true, &again);
    CHECK(again.len == snap.len && memcmp(again.data, snap.data, snap.len) == 0,
          "save -> load -> save gives the same bytes");
    /* The waiting messages come out of the loaded device, in order. */
    for (unsigned s = 0; s < 4; s++) {
        offer(b, 2, (uint16_t)s, s, 0x80, true);
    }
    CHECK(used_idx(b, 2) == 4, "4 control messages delivered after load");
    static const uint16_t want[4][2] = { { 0, 1 }, { 1, 1 }, { 0, 4 },
                                         { 0, 6 } };
    for (unsigned s = 0; s < 4; s++) {
        struct { uint32_t id; uint16_t event, value; } c;
        core_mem_read_bytes(b->as, buf(2, s), &c, sizeof(c));
        CHECK(c.id == want[s][0] && c.event == want[s][1],
              "message %u: id %u event %u", s, c.id, c.event);
    }
    /* Port 0 is open for the guest after the load too: input on its
       input-door port (1) fills a receive buffer. */
    offer(b, 0, 0, 0, 0x80, true);
    CHECK(core_input_serial_rx(b->input, 1, (const uint8_t *)"hi", 2) == 2);
    char got[3] = "";
    core_mem_read_bytes(b->as, buf(0, 0), got, 2);
    CHECK(used_idx(b, 0) == 1 && !strcmp(got, "hi"),
          "input reaches the port opened before the snapshot");
    core_buf_free(&snap);
    core_buf_free(&again);
    core_machine_free(b);
    hw_device_opts_free(&cfg);

    /* The host side of the named port starts closed: a wait=off server. */
    CoreConfig hc = cfg;
    hc.nchardevs = 0;
    hc.ndevices = 0;
    hc.chardev_replay = true;   /* null stand-ins: no socket is made */
    CHECK(be_chardev_define(&hc, "null,id=c0", err, sizeof(err)), "%s", err);
    CHECK(be_chardev_define(&hc, "socket,id=c1,path=/nonexistent/s,"
                            "server=on,wait=off", err, sizeof(err)), "%s", err);
    for (unsigned i = 0; i < 3; i++) {
        CHECK(hw_device_parse(devs[i], &hc, err, sizeof(err)) == HW_PARSE_OK,
              "%s", err);
    }
    CoreMachine *c = th_machine(&hc);
    setup(c);
    for (unsigned s = 0; s < QN; s++) {
        offer(c, 2, (uint16_t)s, s, 0x80, true);
    }
    ctrl(c, 0, 0, 0, 1);           /* DEVICE_READY: DEVICE_ADD 0, 1 */
    ctrl(c, 1, 1, 3, 1);           /* PORT_READY 1: PORT_NAME, PORT_OPEN 0 */
    core_input_serial_connect(c->input, 2, true);   /* a client comes */
    CHECK(used_idx(c, 2) == 5, "5 control messages (%u)", used_idx(c, 2));
    static const uint16_t hwant[5][3] = { { 0, 1, 0 }, { 1, 1, 0 },
                                          { 1, 7, 0 }, { 1, 6, 0 },
                                          { 1, 6, 1 } };
    for (unsigned s = 0; s < 5; s++) {
        struct { uint32_t id; uint16_t event, value; } m;
        core_mem_read_bytes(c->as, buf(2, s), &m, sizeof(m));
        CHECK(m.id == hwant[s][0] && m.event == hwant[s][1] &&
              m.value == hwant[s][2], "host-side message %u: id %u event %u "
              "value %u", s, m.id, m.event, m.value);
    }
    CoreBuf hsnap = { 0 };
    core_snapshot_save(c, true, &hsnap);
    core_input_serial_connect(c->input, 2, false);  /* it goes again */
    CHECK(used_idx(c, 2) == 6, "the client leaving is one more message");
    core_machine_free(c);
    CoreMachine *d = th_machine(&hc);
    CHECK(core_snapshot_load(d, hsnap.data, hsnap.len, lerr, sizeof(lerr)) ==
          0, "snapshot loads: %s", lerr);
    core_input_serial_connect(d->input, 2, true);   /* saved: connected */
    CHECK(used_idx(d, 2) == 5, "a client already there is no news after "
          "a load");
    core_buf_free(&hsnap);
    core_machine_free(d);
    hw_device_opts_free(&hc);
    unlink(path);
    return check_done("virtio_serial");
}
