"""slirp and the chardevs stay served while the machine is held for a
debugger. `record -S -gdb unix:...` waits for gdb before the guest's first
instruction; meanwhile a host client opens several connections to a
hostfwd port. slirp's listening socket has a backlog of one, so only if
slirp keeps accepting while the machine is held do they all complete
(otherwise the third and later stay in SYN_SENT until the guest runs).
Then gdb continues the guest (the bare-metal virtio_net guest, which
skips the frames the connections made and takes slirp's ARP reply); the
frames slirp made while held entered the machine once it ran, as NET_RX
events at a slice boundary: the trace has them, and verify (no slirp)
replays identically.
"""
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run, read_match, spawn  # noqa: E402

exe, guest = sys.argv[1:3]
t = Suite("net-held")
tmp = tempfile.mkdtemp()
d = os.path.join(tmp, "held.rwd")
gdb_path = os.path.join(tmp, "gdb.sock")
p = spawn([exe, "record", "-o", d, "-S", "-gdb", f"unix:{gdb_path}",
           "-M", "virt", "-bios", "none", "-nographic",
           "-kernel", guest,
           "-netdev", "user,id=n0,hostfwd=tcp::0-:80",
           "-device", "virtio-net-device,netdev=n0"],
          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
          stderr=subprocess.PIPE)


def stderr_until(pattern, seconds):
    """rewind's stderr up to a match of pattern (bytes), or None."""
    return read_match(p.stderr, pattern, t.limit(seconds))


m, err = stderr_until(rb"hostfwd tcp 127\.0\.0\.1:(\d+) -> 10\.0\.2\.15:80\n"
                      rb"(?:.*\n)*rewind: waiting for gdb on ", 60)
t.check(m is not None, "held at the start (-S), the hostfwd port reported",
        err.decode(errors="replace"))
port = int(m.group(1)) if m else 1

# Four connections while held: each must be established in time.
conns = []
for _ in range(4):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setblocking(False)
    c.connect_ex(("127.0.0.1", port))
    conns.append(c)
pending = list(conns)
end = time.monotonic() + t.limit(20)
while pending and time.monotonic() < end:
    _, w, _ = select.select([], pending, [], 1)
    for c in w:
        if c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            pending.remove(c)
t.check(not pending, "4 hostfwd connections opened while the machine is "
        f"held are all established ({len(conns) - len(pending)} of 4)")
# Established by the kernel is not enough: slirp must have taken them
# (backlog 1). A fifth connection would only complete then, too.
c5 = socket.create_connection(("127.0.0.1", port), timeout=t.limit(10)) \
    if not pending else None
t.check(c5 is not None, "a fifth connection completes as well")

# gdb continues the guest; it runs to its end.
g = socket.socket(socket.AF_UNIX)
g.connect(gdb_path)
g.sendall(b"$c#63")
try:
    out, rest = p.communicate(timeout=t.limit(120))
except subprocess.TimeoutExpired:
    p.kill()
    out, rest = p.communicate()
g.close()
for c in conns + ([c5] if c5 else []):
    c.close()
t.check(p.returncode == 0 and b"PASS virtio_net ARP reply" in out,
        "continued from gdb, the guest gets slirp's ARP reply",
        (out + err + rest).decode(errors="replace")[-3000:])

rc, q, qerr = run(exe, "query", d, "SELECT COUNT(*) FROM net_rx", timeout=60)
n = int(q.splitlines()[1]) if rc == 0 and len(q.splitlines()) > 1 else 0
t.check(n >= 2, f"the frames slirp made while held are NET_RX events ({n})",
        q + qerr)
rc, vout, verr = run(exe, "verify", d, timeout=120)
t.check(rc == 0 and "replay identical" in verr,
        "verify (no slirp, no gdb) replays the held connections' frames",
        verr)
shutil.rmtree(tmp)
t.finish()
