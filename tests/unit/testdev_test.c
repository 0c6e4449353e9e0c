/*
 * The device registry and its test device (hw/misc/testdev.c), without a
 * guest: -device arguments parsed by the registry (defaults, deterministic
 * ids, errors), the board placing the devices on its platform bus in
 * command-line order, and the device's state surviving save -> load ->
 * save with the same bytes.
 */
#include "core/machine.h"
#include "core/snapshot.h"
#include "hw/registry.h"
#include "tests/unit/check.h"
#include "tests/unit/machine_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TD0 0x4000000ull
#define TD1 0x4001000ull

static const uint32_t spin[] = { 0x0000006f };   /* j . */

static uint64_t rd(CoreMachine *m, gpa_t addr)
{
    return th_mmio_read(m, addr, 8);
}

static void wr(CoreMachine *m, gpa_t addr, uint64_t v)
{
    th_mmio_write(m, addr, v, 8);
}

static bool has_id(CoreMachine *m, const char *id)
{
    return !hw_device_id_free(m, id);
}

int main(void)
{
    char path[] = "/tmp/rewind-testdev-XXXXXX";
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

    CHECK(hw_device_parse("testdev,reg=0x10,step=2,id=td0", &cfg, err,
                          sizeof(err)) == HW_PARSE_OK);
    CHECK(hw_device_parse("testdev,reg=1", &cfg, err, sizeof(err)) ==
          HW_PARSE_OK);
    CHECK(cfg.ndevices == 2 && strcmp(cfg.devices[1].id, "testdev1") == 0,
          "the second testdev, without id=, is testdev1");
    CHECK(cfg.devices[0].nprops == 2 && cfg.devices[1].nprops == 1,
          "id= is not a property; defaults are not stored");
    CHECK(hw_device_parse("testdev,reg=2,id=td0", &cfg, err, sizeof(err)) ==
          HW_PARSE_ERROR && strstr(err, "duplicate id 'td0'") &&
          cfg.ndevices == 2, "duplicate id refused: %s", err);
    CHECK(hw_device_parse("testdev", &cfg, err, sizeof(err)) ==
          HW_PARSE_ERROR && strstr(err, "needs property 'reg'"),
          "missing required property: %s", err);
    CHECK(hw_device_parse("testdev,reg=1,step=-1", &cfg, err, sizeof(err)) ==
          HW_PARSE_ERROR && strstr(err, "'step': bad value '-1'"),
          "negative uint refused: %s", err);
    CHECK(hw_device_parse("plic", &cfg, err, sizeof(err)) == HW_PARSE_ERROR,
          "a built-in device cannot be added");
    CHECK(cfg.ndevices == 2);

    CoreMachine *a = th_machine(&cfg);
    CHECK(has_id(a, "td0") && has_id(a, "testdev1"), "ids registered");
    CHECK(rd(a, TD0) == 0x52574454 && rd(a, TD1) == 0x52574454,
          "command-line order on the platform bus");
    CHECK(rd(a, TD0 + 8) == 0x10 && rd(a, TD0 + 0x18) == 2, "properties");
    CHECK(rd(a, TD1 + 8) == 1 && rd(a, TD1 + 0x18) == 1, "defaults");
    wr(a, TD0 + 8, 0xabc);
    wr(a, TD0 + 8, 0xabd);
    CHECK(rd(a, TD0 + 8) == 0xabd && rd(a, TD0 + 0x10) == 4, "REG, COUNT");

    CoreBuf snap = { 0 };
    core_snapshot_save(a, true, &snap);
    uint64_t hash_a = core_machine_state_hash(a);
    CoreMachine *b = th_machine(&cfg);
    CHECK(rd(b, TD0 + 8) == 0x10 && rd(b, TD0 + 0x10) == 0, "fresh device");
    char lerr[256] = "";
    CHECK(core_snapshot_load(b, snap.data, snap.len, lerr, sizeof(lerr)) == 0,
          "snapshot loads: %s", lerr);
    CHECK(rd(b, TD0 + 8) == 0xabd && rd(b, TD0 + 0x10) == 4,
          "REG and COUNT restored");
    CHECK(core_machine_state_hash(b) == hash_a, "same state hash");
    CoreBuf again = { 0 };
    core_snapshot_save(b, true, &again);
    CHECK(again.len == snap.len && memcmp(again.data, snap.data, snap.len) == 0,
          "save -> load -> save gives the same bytes");
    wr(b, TD0 + 8, 1);
    CHECK(core_machine_state_hash(b) != hash_a, "REG in the state hash");

    core_buf_free(&snap);
    core_buf_free(&again);
    core_machine_free(a);
    core_machine_free(b);
    hw_device_opts_free(&cfg);
    unlink(path);
    return check_done("testdev");
}
