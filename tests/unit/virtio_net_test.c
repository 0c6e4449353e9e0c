/*
 * virtio-net-device state: a machine whose NIC has frames waiting for
 * receive buffers (the driver has not set up its queues) survives
 * save -> load -> save with the same bytes and state hash, the frames
 * still waiting; and a snapshot whose frame queue is not whole records
 * is refused. The NIC has no -netdev, so nothing touches the host.
 */
#include "core/input.h"
#include "core/machine.h"
#include "core/snapshot.h"
#include "hw/registry.h"
#include "tests/unit/check.h"
#include "tests/unit/machine_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    static const uint32_t spin[] = { 0x0000006f };   /* j . */
    char path[] = "/tmp/rewind-vnet-XXXXXX";
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
    CHECK(hw_device_parse("virtio-net-device,mac=02:00:00:00:00:07", &cfg, err,
                          sizeof(err)) == HW_PARSE_OK, "%s", err);
    CoreMachine *a = th_machine(&cfg);
    CoreMachine *empty = th_machine(&cfg);
    uint64_t empty_hash = core_machine_state_hash(empty);
    CHECK(core_input_net_connected(a->input, 0), "NIC 0 at the door");
    uint8_t frame[1514];
    for (unsigned i = 0; i < 3; i++) {
        for (size_t k = 0; k < sizeof(frame); k++) {
            frame[k] = (uint8_t)(k * 7 + i);
        }
        core_input_net_rx(a->input, 0, frame, 60 + 700 * i);
    }
    uint64_t hash = core_machine_state_hash(a);
    CHECK(hash != empty_hash, "waiting frames are machine state");

    CoreBuf snap = { 0 };
    core_snapshot_save(a, true, &snap);
    CoreMachine *b = th_machine(&cfg);
    char lerr[256] = "";
    CHECK(core_snapshot_load(b, snap.data, snap.len, lerr, sizeof(lerr)) == 0,
          "snapshot loads: %s", lerr);
    CHECK(core_machine_state_hash(b) == hash, "same state hash after load");
    CoreBuf again = { 0 };
    core_snapshot_save(b, true, &again);
    CHECK(again.len == snap.len && memcmp(again.data, snap.data, snap.len) == 0,
          "save -> load -> save gives the same bytes");

    /* Damage the first record's length (u32 after the 28 fixed bytes of
       the device's fields): the queue is no longer whole records. */
    static const uint8_t want[4] = { 60, 0, 0, 0 };
    size_t at = 0;
    for (size_t i = 0; i + 8 <= snap.len; i++) {
        if (memcmp(snap.data + i, want, 4) == 0 && snap.data[i + 4] == 0 &&
            snap.data[i + 5] == 7) {
            at = i;
            break;
        }
    }
    CHECK(at != 0, "found the first queued frame in the snapshot");
    snap.data[at + 1] = 0x40;   /* length 16444: beyond the queue */
    CoreMachine *c = th_machine(&cfg);
    CHECK(core_snapshot_load(c, snap.data, snap.len, lerr, sizeof(lerr)) != 0,
          "a frame queue that is not whole records is refused");

    core_buf_free(&snap);
    core_buf_free(&again);
    core_machine_free(a);
    core_machine_free(b);
    core_machine_free(c);
    core_machine_free(empty);
    hw_device_opts_free(&cfg);
    unlink(path);
    return check_done("virtio_net");
}
