"""Linux with virtio-rng on `-object rng-random` reading a file of known
bytes. The guest (initrd-virtio.gz plus a small cpio appended with this
test's script) checks that the hwrng core uses virtio_rng, reads 4096
bytes from /dev/hwrng and prints their count, sha256 and first 16 bytes.
The kernel's own khwrngd also takes bytes from the device, so the guest's
bytes start somewhere in the file; the device hands each buffer straight
from the back end, so they must be one contiguous slice of it. The trace's
ENTROPY events carry at least those bytes. Then the file is deleted: the
recording verifies (every checkpoint hash equal) and replays the same
console, sha line included, with no entropy source opened.
"""
import gzip
import hashlib
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run, ensure_kit, cpio_newc  # noqa: E402

exe, repo, kit = sys.argv[1:4]
t = Suite("linux-rng")
ensure_kit("the Linux virtio-rng test", repo, kit)
tmp = tempfile.mkdtemp(prefix="linux-rng.")
N = 4096

# Known bytes, no two 16-byte windows alike (a sha256 chain): the guest's
# first 16 bytes locate its read in the file.
pool = b"".join(hashlib.sha256(b"rewind-rng-%d" % i).digest()
                for i in range(32768))      # 1 MiB
pool_path = os.path.join(tmp, "pool.bin")
with open(pool_path, "wb") as f:
    f.write(pool)

script = f"""#!/bin/sh
echo "rewind-rng: current $(cat /sys/class/misc/hw_random/rng_current)"
head -c {N} /dev/hwrng > /tmp/r
echo "rewind-rng: read $(wc -c < /tmp/r) sha $(sha256sum /tmp/r | cut -d' ' -f1)"
echo "rewind-rng: head $(od -An -tx1 -N16 /tmp/r | tr -d ' \\n')"
"""
initrd = os.path.join(tmp, "initrd-rng.gz")
with open(os.path.join(kit, "initrd-virtio.gz"), "rb") as f:
    base = f.read()
with open(initrd, "wb") as f:
    f.write(base + gzip.compress(cpio_newc(
        [("etc", 0o40755, b""),
         ("etc/rewind-rng-test.sh", 0o100755, script.encode())]), mtime=0))

trace = os.path.join(tmp, "rng.rwd")
rc, rec_out, err = run(
    exe, "record", "-o", trace, "--checkpoint-every", "300000000",
    "-M", "virt", "-m", "256M", "-nographic",
    "-kernel", os.path.join(kit, "Image"), "-initrd", initrd,
    "-append", "console=ttyS0 rewind.script=/etc/rewind-rng-test.sh",
    "-object", f"rng-random,id=rng0,filename={pool_path}",
    "-device", "virtio-rng-device,rng=rng0", timeout=1200)
t.check(rc == 0 and "REWIND-TEST-DONE" in rec_out, "record the Linux guest",
        rec_out[-3000:] + err)
t.check("rewind-rng: current virtio_rng" in rec_out,
        "the hwrng core uses virtio_rng", rec_out[-3000:])
m = re.search(r"rewind-rng: read (\d+) sha ([0-9a-f]{64})", rec_out)
h = re.search(r"rewind-rng: head ([0-9a-f]{32})", rec_out)
t.check(m and int(m.group(1)) == N, f"the guest read {N} bytes from /dev/hwrng",
        rec_out[-3000:])
off = pool.find(bytes.fromhex(h.group(1))) if h else -1
t.check(m and off >= 0 and
        hashlib.sha256(pool[off:off + N]).hexdigest() == m.group(2),
        "the guest's bytes are one contiguous slice of the file",
        f"offset {off}, guest sha {m and m.group(2)}")
print(f"guest's read starts at byte {off} of the file")

rc, out, err = run(exe, "query", trace, "SELECT COUNT(*), SUM(CAST(summary "
                   "AS INTEGER)) FROM events WHERE kind = 'ENTROPY'",
                   timeout=60)
row = out.splitlines()[1].split("\t") if rc == 0 and len(out.splitlines()) > 1 \
    else ["0", "0"]
print(f"ENTROPY events, bytes: {row}")
t.check(rc == 0 and row[1].isdigit() and int(row[1]) >= off + N,
        f"the ENTROPY events hold >= {off + N} bytes (the guest's read and "
        "what came before it)", out + err)

os.unlink(pool_path)   # the replay must not need it
rc, out, err = run(exe, "verify", trace, timeout=1200)
t.check(rc == 0 and "replay identical" in err and " checkpoints and the final "
        "state match" in err, "verify with the file gone: every checkpoint "
        "matches", err)
rc, out, err = run(exe, "replay", trace, timeout=1200)
t.check(rc == 0 and out == rec_out and m and m.group(0) in out,
        "replay prints the recorded console, sha line included",
        out[-2000:] + err)
shutil.rmtree(tmp)
t.finish()
