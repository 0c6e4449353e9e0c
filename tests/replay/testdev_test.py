"""A device added with -device under record/replay: the testdev guest
(tests/guest/testdev.c) writes the test device's registers tens of
thousands of times. Its trace, recorded with `-device testdev,...`, must
verify (the recorded command line builds the very same machine), and a
replay that seeks to a checkpoint taken after the guest changed the
device must reach the same state as a straight replay, both at the
checkpoint and at the end of the run: the device's state (REG, COUNT)
comes back from the checkpoint, or the guest's own model of it disagrees
and the guest fails.
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run, stats  # noqa: E402

exe, elf = sys.argv[1:3]
t = Suite("testdev-replay")
tmp = tempfile.mkdtemp()
d = os.path.join(tmp, "testdev.rwd")
devices = ["-device", "testdev,reg=0x1234,step=3,id=td0",
           "-device", "testdev,reg=7,locked=on"]

rc, rec_out, err = run(exe, "record", "-o", d, "--checkpoint-every", "100000",
                       "-M", "virt", "-bios", "none", "-nographic",
                       "-kernel", elf, *devices, timeout=300)
t.check(rc == 0 and "PASS testdev" in rec_out, "record the testdev guest",
        rec_out + err)
rc, out, err = run(exe, "verify", d, timeout=300)
t.check(rc == 0 and "replay identical" in err, "verify", err)
rc, out, err = run(exe, "replay", d, "--stats", timeout=300)
t.check(rc == 0 and out == rec_out, "replay prints the recorded console", out)
end = stats(err)
total = int(end.get("icount", "0"))
# Seeks less than a million instructions ahead run there instead of
# restoring a checkpoint (replay/: UNDO_INTERVAL): the loop runs longer.
t.check(total > 2500000, "the guest ran its loop", err)

# Seek to points well inside the loop (the device has been written
# thousands of times), through the nearest checkpoint: same state as a
# straight replay there, and the same end when the replay goes on.
bad = []
for n in [1200003, 2000001, total - 30011]:
    a = stats(run(exe, "replay", d, "--quiet", "--until", str(n), "--stats",
                  timeout=300)[2])
    b = stats(run(exe, "replay", d, "--quiet", "--seek", str(n), "--stats",
                  timeout=300)[2])
    if a.get("icount") != str(n) or a.get("state_hash") != b.get("state_hash"):
        bad.append(f"at {n}: {a} vs {b}")
    rc, out, err = run(exe, "replay", d, "--seek", str(n), "--until",
                       str(total), "--stats", timeout=300)
    c = stats(err)
    if rc != 0 or c.get("state_hash") != end.get("state_hash") or \
            "FAIL" in out:
        bad.append(f"from {n} to the end: rc={rc} {c} {out[-300:]!r}")
t.check(not bad, "seek == straight replay, at the checkpoint and at the end",
        "\n  ".join(bad))
shutil.rmtree(tmp)
t.finish()
