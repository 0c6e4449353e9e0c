"""-netdev / -nic / virtio-net-device errors and the hostfwd listen
address, without a guest network: each bad option stops rewind at
start-up with exit status 1, a message naming the option, and nothing
written (a `record -o DIR` leaves no DIR). A hostfwd rule without an
address listens on 127.0.0.1 only (checked on the socket rewind reports),
one with an address on that address."""
import os
import re
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run  # noqa: E402

exe, workload = sys.argv[1:3]
t = Suite("net-errors")
tmp = tempfile.mkdtemp()
base = ["-M", "virt", "-bios", "none", "-nographic", "-kernel", workload]

# A port in use: held open by this test for the whole run.
busy = socket.socket()
busy.bind(("127.0.0.1", 0))
busy.listen(1)
busy_port = busy.getsockname()[1]

cases = [
    (["-netdev", "tap,id=n0"], "unknown netdev type 'tap'"),
    (["-netdev", "user,id=n0,bogus=1"], "netdev user has no option 'bogus'"),
    (["-netdev", "user,hostfwd=tcp::1-:2"], "id= is required"),
    (["-netdev", "user,id=n0,hostfwd=tcp:1.2.3:80-:80"], "hostfwd=tcp:1.2.3:80-:80: expected"),
    (["-netdev", "user,id=n0,hostfwd=sctp::80-:80"], "hostfwd=sctp::80-:80: expected"),
    (["-netdev", "user,id=n0,hostfwd=tcp::80-:0"], "hostfwd=tcp::80-:0: expected"),
    (["-netdev", "user,id=n0,net=10.0.2.0/24,host=10.9.9.2"], "host is not in net="),
    (["-netdev", "user,id=n0", "-netdev", "user,id=n0"], "id 'n0' is already used"),
    (["-nic", "tap"], "unknown network back end"),
    (["-nic", "user,model=e1000"], "model=e1000: unknown NIC model"),
    (["-device", "virtio-net-device,netdev=nope"], "no -netdev with id 'nope'"),
    (["-netdev", "user,id=n0", "-device", "virtio-net-device,netdev=n0,mac=01:00:00:00:00:01"],
     "property 'mac': '01:00:00:00:00:01' is not a unicast MAC"),
    (["-netdev", f"user,id=n0,hostfwd=tcp::{busy_port}-:80", "-device",
      "virtio-net-device,netdev=n0"],
     f"hostfwd=tcp::{busy_port}-:80: cannot listen on 127.0.0.1:{busy_port}"),
    (["-netdev", "user,id=n0,guestfwd=udp:10.0.2.100:53-cmd:true"],
     "guestfwd=udp:10.0.2.100:53-cmd:true: expected [tcp]:[SERVER]:PORT-cmd:"),
    (["-netdev", "user,id=n0,guestfwd=tcp:10.0.2.100:0-cmd:true"],
     "guestfwd=tcp:10.0.2.100:0-cmd:true: expected"),
    (["-netdev", "user,id=n0,guestfwd=tcp:10.0.2.100:80-tty:x"],
     "guestfwd=tcp:10.0.2.100:80-tty:x: expected"),
    (["-netdev", "user,id=n0,guestfwd=tcp:10.0.2.100:80-chardev:nope",
      "-device", "virtio-net-device,netdev=n0"],
     "-netdev n0: guestfwd=tcp:10.0.2.100:80-chardev:nope: no -chardev with "
     "id 'nope'"),
    (["-netdev", "user,id=n0,guestfwd=tcp:10.9.9.9:80-cmd:true",
      "-device", "virtio-net-device,netdev=n0"],
     "-netdev n0: guestfwd=tcp:10.9.9.9:80-cmd:true: slirp refused "
     "10.9.9.9:80"),
]
for i, (opts, want) in enumerate(cases):
    d = os.path.join(tmp, f"e{i}.rwd")
    rc, out, err = run(exe, "record", "-o", d, *base, *opts)
    t.check(rc == 1 and want in err and not os.path.exists(d),
            f"{' '.join(opts)}: exit 1, '{want}', nothing written",
            f"rc={rc} exists={os.path.exists(d)} {err}")

rc, out, err = run(exe, "run", "-netdev", "help")
t.check(rc == 0 and "user" in out, "-netdev help lists user", out + err)
rc, out, err = run(exe, "run", "-netdev", "user,help")
t.check(rc == 0 and "hostfwd=" in out and "guestfwd=" in out,
        "-netdev user,help lists the options", out + err)
rc, out, err = run(exe, "run", "-device", "virtio-net-device,help")
t.check(rc == 0 and "netdev" in out and "mac" in out,
        "-device virtio-net-device,help", out + err)

# Where hostfwd listens: rewind reports the bound address of port 0, for
# each rule its own socket (two TCP rules get two ports).
rc, out, err = run(exe, "run", *base, "--max-insns", "1000", "-nic",
                   "user,hostfwd=tcp::0-:80,hostfwd=udp:127.0.0.2:0-:53,"
                   "hostfwd=tcp::0-:81")
m = re.findall(r"hostfwd (tcp|udp) ([0-9.]+):(\d+) -> 10\.0\.2\.15:(\d+)", err)
t.check(rc == 0 and [(p, a, g) for p, a, _, g in m] ==
        [("tcp", "127.0.0.1", "80"), ("udp", "127.0.0.2", "53"),
         ("tcp", "127.0.0.1", "81")] and all(int(x[2]) for x in m) and
        m[0][2] != m[2][2],
        "hostfwd binds 127.0.0.1 unless an address is given; each port-0 "
        "rule reports its own port", err)
busy.close()
t.finish()
