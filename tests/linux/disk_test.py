"""Linux with its root filesystem on virtio-blk (the guest kit's
rootfs.ext4, copied): three boots.

1. `record` with rewind.disk=write: the guest writes 1 MiB, syncs and
   powers off; the user's image keeps its hash (writes go to the
   overlay log, which the trace directory holds), `verify` passes, and a replay that seeks into the middle
   of the disk traffic (between the root mount and the write's end,
   through a checkpoint) reaches the state of a straight replay.
2. `run` with rewind.disk=write and no snapshot=on: the image changes.
3. `run` with rewind.disk=read on that image: the guest reads the file
   back and its checksum matches boot 2's ("rewind-disk: read ok").
Boot times go to the log (figures, not assertions).
"""
import hashlib
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run, stats, ensure_kit  # noqa: E402

exe, repo, kit = sys.argv[1:4]
t = Suite("linux-disk")
ensure_kit("the Linux disk tests", repo, kit)
tmp = tempfile.mkdtemp()
img = os.path.join(tmp, "disk.img")
shutil.copyfile(os.path.join(kit, "rootfs.ext4"), img)


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def machine(mode):
    return ["-M", "virt", "-m", "512M", "-smp", "1",
            "-kernel", os.path.join(kit, "Image"),
            "-initrd", os.path.join(kit, "initrd-virtio.gz"),
            "-drive", f"file={img},format=raw,if=none,id=d0",
            "-device", "virtio-blk-device,drive=d0",
            "-append", "console=ttyS0 root=/dev/vda "
            f"rewind.script=/etc/rewind-disk-test.sh rewind.disk={mode}",
            "-nographic"]


def written(out):
    for line in out.splitlines():
        if line.startswith("rewind-disk: written "):
            return line.split()[2]
    return None


before = sha(img)
d = os.path.join(tmp, "w.rwd")
t0 = time.time()
rc, out, err = run(exe, "record", "-o", d, "--checkpoint-every", "300000000",
                   *machine("write"), timeout=1200)
took = time.time() - t0
t.check(rc == 0 and "REWIND-TEST-DONE" in out and written(out),
        "boot 1 (record, write)", out[-2000:] + err)
print(f"figure: record, root on virtio-blk, write boot: {took:.1f} s")
t.check(sha(img) == before, "record leaves the image unchanged")
log = os.path.join(d, "overlay-d0.log")
head = open(log, "rb").read(8) if os.path.exists(log) else b""
t.check(head == b"RWOVLOG\0" and os.path.getsize(log) > 1 << 20,
        "the trace holds the overlay log with the guest's writes",
        f"{head!r} {sorted(os.listdir(d))}")
# Checkpoint sizes (decompressed, from each RWCK header) as a figure: they
# hold RAM and the log's point, not the disk (the bound on what they hold
# is checked by the virtio-blk test, whose guest writes incompressible
# data without touching RAM).
sizes = []
with open(os.path.join(d, "checkpoints.zst"), "rb") as f:
    data = f.read()
pos = 0
while pos + 64 <= len(data) and data[pos + 8:pos + 12] == b"RWCK":
    sizes.append(int.from_bytes(data[pos + 40:pos + 48], "little"))
    pos += 64 + int.from_bytes(data[pos + 48:pos + 56], "little")
print(f"figure: checkpoints of the write boot: {len(sizes)}, "
      f"{sum(sizes)} bytes decompressed, "
      f"{os.path.getsize(os.path.join(d, 'checkpoints.zst'))} in the file; "
      f"overlay log {os.path.getsize(log)} bytes")
rc, _, err = run(exe, "verify", d, timeout=1200)
t.check(rc == 0 and "replay identical" in err, "verify boot 1", err)

# The middle of the disk traffic: between the root mount and the end of
# the write (console lines' icounts from the index).
rc, q, _ = run(exe, "query", d, "SELECT icount, text FROM console WHERE "
               "text LIKE '%EXT4-fs (vda): mounted%' OR "
               "text LIKE 'rewind-disk: written%' ORDER BY icount")
icounts = [int(line.split("\t")[0]) for line in q.splitlines()[1:]]
t.check(rc == 0 and len(icounts) == 2, "the index has the mount and the write",
        q)
if len(icounts) == 2:
    n = (icounts[0] + icounts[1]) // 2 + 12345
    a = stats(run(exe, "replay", d, "--quiet", "--until", str(n), "--stats",
                  timeout=1200)[2])
    b = stats(run(exe, "replay", d, "--quiet", "--seek", str(n), "--stats",
                  timeout=1200)[2])
    t.check(a.get("icount") == str(n) and
            a.get("state_hash") == b.get("state_hash"),
            f"seek into the disk traffic (icount {n}) == straight replay",
            f"{a} vs {b}")

t0 = time.time()
rc, out, err = run(exe, "run", *machine("write"), timeout=1200)
print(f"figure: run, root on virtio-blk, write boot: {time.time() - t0:.1f} s")
want = written(out)
t.check(rc == 0 and "REWIND-TEST-DONE" in out and want,
        "boot 2 (run, write)", out[-2000:] + err)
t.check(sha(img) != before, "run writes the image")

rc, out, err = run(exe, "run", *machine("read"), timeout=1200)
t.check(rc == 0 and f"rewind-disk: read ok {want}" in out,
        "boot 3 (run, read back)", out[-2000:] + err)
shutil.rmtree(tmp)
t.finish()
