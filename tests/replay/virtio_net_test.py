"""Record the bare-metal virtio_net guest on -netdev user (slirp answers
its ARP request), then replay and verify it: the reply comes from the
trace (a replay starts no slirp), console and every checkpoint match,
`info` counts NET_RX and the net_rx table has the frame."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run  # noqa: E402

exe, guest = sys.argv[1:3]
t = Suite("virtio-net-replay")
tmp = tempfile.mkdtemp()
d = os.path.join(tmp, "net.rwd")
p = subprocess.run([exe, "record", "-o", d, "--checkpoint-every", "3000000",
                    "-M", "virt", "-bios", "none", "-nographic",
                    "-kernel", guest, "-netdev", "user,id=n0",
                    "-device", "virtio-net-device,netdev=n0"],
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
t.check(p.returncode == 0 and b"PASS virtio_net ARP reply" in p.stdout,
        "recorded: ARP reply from slirp", (p.stdout + p.stderr).decode(errors="replace"))
r = subprocess.run([exe, "replay", d], stdin=subprocess.DEVNULL,
                   capture_output=True, timeout=120)
t.check(r.returncode == 0 and b"replay identical" in r.stderr and r.stdout == p.stdout,
        "replay identical, same console", (r.stdout + r.stderr).decode(errors="replace"))
rc, out, err = run(exe, "verify", d, timeout=120)
t.check(rc == 0, "verify passes", out + err)
rc, out, err = run(exe, "info", d)
t.check(rc == 0 and "NET_RX=1" in out, "info counts one NET_RX", out + err)
rc, out, err = run(exe, "query", d, "SELECT nic, len, icount FROM net_rx")
row = out.split("\n")[1].split("\t") if rc == 0 and out.count("\n") >= 2 else []
t.check(len(row) == 3 and row[0] == "0" and 42 <= int(row[1]) <= 64,
        "net_rx: one ARP reply (42 bytes, padded to 64 by slirp) on NIC 0", out + err)
# A seek to after the frame arrived (through the checkpoint before it).
seek = str(int(row[2]) + 10) if row else "1"
rc, out, err = run(exe, "replay", d, "--seek", seek, timeout=120)
t.check(rc == 0 and f"at icount {seek}" in err, "seek past the frame", out + err)
t.finish()
