"""virtio-rng under record/replay: the virtio_rng guest
(tests/guest/virtio_rng.c) asks for entropy tens of thousands of times
through a virtqueue. Recorded with `-object rng-random` reading a file,
the trace must verify and replay with that file gone (a replay opens no
entropy source: every byte comes from the trace's ENTROPY events, which
`info` counts); a replay that seeks to a checkpoint in the middle of the
queue traffic must reach the same state as a straight replay, both there
and at the end (the transport's queue positions come back from the
checkpoint, or the guest's model of the rings disagrees and it fails).
The -object options' errors name the option at fault.
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run, stats  # noqa: E402

exe, elf = sys.argv[1:3]
t = Suite("virtio-rng-replay")
tmp = tempfile.mkdtemp()
d = os.path.join(tmp, "rng.rwd")
pool = os.path.join(tmp, "pool.bin")
with open(pool, "wb") as f:
    f.write(os.urandom(2 << 20))
base = ["-M", "virt", "-bios", "none", "-nographic", "-kernel", elf]
dev = ["-object", f"rng-random,id=r0,filename={pool}",
       "-device", "virtio-rng-device,rng=r0"]

rc, rec_out, err = run(exe, "record", "-o", d, "--checkpoint-every", "300000",
                       *base, *dev, timeout=300)
t.check(rc == 0 and "PASS virtio_rng" in rec_out, "record the virtio_rng guest",
        rec_out + err)
os.unlink(pool)   # the replay must not need it
rc, out, err = run(exe, "verify", d, timeout=300)
t.check(rc == 0 and "replay identical" in err, "verify with the pool gone", err)
rc, out, err = run(exe, "replay", d, "--stats", timeout=300)
t.check(rc == 0 and out == rec_out, "replay prints the recorded console", out)
end = stats(err)
total = int(end.get("icount", "0"))
t.check(total > 2500000, "the guest ran its loop", err)
rc, out, err = run(exe, "info", d, timeout=60)
n = [int(w.split("=")[1]) for w in out.split() if w.startswith("ENTROPY=")]
t.check(rc == 0 and n and n[0] > 70000, "info counts the ENTROPY events", out)

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

# The builtin source (no -object) works too.
rc, out, err = run(exe, "run", *base, "-device", "virtio-rng-device",
                   timeout=120)
t.check(rc == 0 and "PASS virtio_rng" in out, "default rng is builtin", out + err)

# -object help and errors naming the option.
rc, out, err = run(exe, "run", "-object", "help")
t.check(rc == 0 and "rng-random" in out and "rng-builtin" in out,
        "-object help", out + err)
rc, out, err = run(exe, "run", "-object", "rng-random,help")
t.check(rc == 0 and "filename=" in out, "-object rng-random,help", out + err)
errors = [
    (["-object", "rng-foo,id=x"], "unknown object type 'rng-foo'"),
    (["-object", "rng-builtin"], "rng-builtin needs id="),
    (["-object", "rng-builtin,id=a", "-object", "rng-builtin,id=a"],
     "duplicate object id 'a'"),
    (["-object", "rng-random,id=a,filename=/nonexistent/pool"],
     "cannot read /nonexistent/pool"),
    (["-device", "virtio-rng-device,rng=nope"], "no -object with id 'nope'"),
]
for args, want in errors:
    rc, out, err = run(exe, "run", *base, *args, timeout=60)
    t.check(rc != 0 and want in err, f"error for {' '.join(args)}", err)
shutil.rmtree(tmp)
t.finish()
