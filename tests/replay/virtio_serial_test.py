"""virtio-serial under record/replay, with the virtio_serial guest
(tests/guest/virtio_serial.c) driving the queues directly.

A virtconsole and a named virtserialport are unix socket servers; the test
plays the host end of both: it reads what the guest writes on each port
(the console's emergency write '>' and "hello console", "hello port"),
sends "abc." on the console and "xyz!" on the named port, and reads the
guest's "bye". The guest also checks the control protocol (DEVICE_ADD,
CONSOLE_PORT, PORT_NAME, PORT_OPEN) and that hostile chains set
DEVICE_NEEDS_RESET while it keeps running. The recording must verify and
replay with the sockets gone (no socket is created), print the same
console, and hold the ports' bytes as SERIAL_RX events with their input
port numbers (1: the virtconsole, 2: the virtserialport; 0 is the UART).
The virtconsole's output is part of the console record: the index's
console table has its line with port 1 and its device id, the named
port's output is not there, and a replay that prints one byte more on
the virtconsole is reported as a console divergence of that port.
Then the test's client of the named port disconnects and reconnects:
the guest hears PORT_OPEN 0 and 1 for the port (it says "closed" on the
console port in between), what it wrote while nobody was there is
dropped, what it writes afterwards reaches the new client; the changes
are SERIAL_CONNECT events that the replay, with no socket, feeds.
Start-up errors name the option at fault, exit 1 and leave no trace.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run, connect_chardevs, sock_read_until, spawn  # noqa: E402

exe, elf = (os.path.abspath(a) for a in sys.argv[1:3])
t = Suite("virtio-serial-replay")
tmp = tempfile.mkdtemp()
trace = os.path.join(tmp, "vs.rwd")
s0 = os.path.join(tmp, "c0.sock")
s1 = os.path.join(tmp, "c1.sock")
base = ["-M", "virt", "-bios", "none", "-nographic", "-kernel", elf]
devs = ["-device", "virtio-serial-device",
        "-device", "virtconsole,chardev=c0",
        "-device", "virtserialport,chardev=c1,name=org.rewind.test"]
chardevs = ["-chardev", f"socket,id=c0,path={s0},server=on,wait=on",
            "-chardev", f"socket,id=c1,path={s1},server=on,wait=on"]


def read_until(sock, marker, timeout=120):
    return sock_read_until(sock, marker, t.limit(timeout))


p = spawn([exe, "record", "-o", trace, *base, *devs, *chardevs],
          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
          stderr=subprocess.PIPE)
# wait=on: start-up waits for a client on each socket in turn, before the
# guest's first instruction, so none of the guest's output is dropped.
socks, err = connect_chardevs(p, (b"c0", b"c1"), t.limit(60))
t.check(len(socks) == 2, "both ports' sockets listen", err)
c0, c1 = socks.get(b"c0"), socks.get(b"c1")
got0 = read_until(c0, b"hello console\n")
t.check(got0 == b">hello console\n", "virtconsole output (emerg_wr, "
        "transmitq) reaches the socket", got0)
got1 = read_until(c1, b"hello port\n")
t.check(got1 == b"hello port\n", "virtserialport output reaches its socket",
        got1)
c0.sendall(b"abc.")
c1.sendall(b"xyz!")
got1 = read_until(c1, b"bye\n")
t.check(got1 == b"bye\n", "the guest read both ports' input", got1)
c1.close()   # the named port's client leaves ...
got0 = read_until(c0, b"closed\n")
t.check(got0 == b"closed\n", "the guest hears the client of port 1 leave "
        "(PORT_OPEN 0)", got0)
c1 = socket.socket(socket.AF_UNIX)   # ... and comes back
c1.connect(s1)
got1 = read_until(c1, b"again\n")
t.check(got1 == b"again\n", "after the client is back (PORT_OPEN 1) the "
        "guest's output reaches it; what it wrote meanwhile was dropped", got1)
try:
    rec_out, rest = p.communicate(timeout=t.limit(120))
except subprocess.TimeoutExpired:
    p.kill()
    rec_out, rest = p.communicate()
c0.close()
c1.close()
rec_out = rec_out.decode(errors="replace")
t.check(p.returncode == 0 and "PASS virtio_serial" in rec_out and
        "vserial: hostile chains flagged" in rec_out and
        "abc.\nvserial: console got 4 bytes" in rec_out and
        "xyz!\nvserial: port got 4 bytes" in rec_out and
        "vserial: host closed port 1\nvserial: host opened port 1\n" in rec_out,
        "record: the guest passes", rec_out + (err + rest).decode(
            errors="replace"))
t.check(not os.path.exists(s0) and not os.path.exists(s1),
        "the sockets are removed at exit")

rc, out, err = run(exe, "verify", trace, timeout=300)
t.check(rc == 0 and "replay identical" in err, "verify with the sockets gone",
        err)
t.check(not os.path.exists(s0) and not os.path.exists(s1),
        "verify creates no socket")
rc, out, err = run(exe, "replay", trace, timeout=300)
t.check(rc == 0 and out == rec_out, "replay prints the recorded console",
        out + err)
rc, out, err = run(exe, "query", trace, "SELECT summary FROM events WHERE "
                   "kind = 'SERIAL_RX' ORDER BY id", timeout=60)
rows = out.splitlines()[1:]
t.check(rc == 0 and any(r.startswith("port 1:") and "abc." in r for r in rows)
        and any(r.startswith("port 2:") and "xyz!" in r for r in rows)
        and all(r.startswith(("port 1:", "port 2:")) for r in rows),
        "the ports' input is SERIAL_RX on input ports 1 and 2", out + err)

rc, out, err = run(exe, "query", trace, "SELECT port, device, text FROM "
                   "console ORDER BY line", timeout=60)
rows = [r.split("\t") for r in out.splitlines()[1:]]
t.check(rc == 0 and ["1", "virtconsole0", ">hello console"] in rows and
        ["0", "serial0", "vserial: ready"] in rows and
        not any("hello port" in r[2] for r in rows),
        "the virtconsole's line is in the console index as port 1, "
        "virtconsole0; the UART's as port 0, serial0; the named port's "
        "output is not console", out + err)
rc, out, err = run(exe, "query", trace, "SELECT icount FROM console WHERE "
                   "port = 1 AND text = '>hello console'", timeout=60)
n = out.splitlines()[1] if rc == 0 and len(out.splitlines()) > 1 else "0"
rc, out, err = run(exe, "verify", trace, "--perturb-at", f"{n}:console1",
                   timeout=300)
t.check(rc == 1 and "console output of port 1 (virtconsole0) differs" in err,
        "a replay printing other virtconsole output is a divergence of that "
        "port", err)
rc, out, err = run(exe, "verify", trace, "--perturb-at", f"{n}:console",
                   timeout=300)
t.check(rc == 1 and "divergence: console output differs" in err,
        "the UART's console stream is still compared on its own", err)

rc, out, err = run(exe, "query", trace, "SELECT summary FROM events WHERE "
                   "kind = 'SERIAL_CONNECT' ORDER BY id", timeout=60)
t.check(rc == 0 and out.splitlines()[1:] == ["port 2: disconnected",
                                             "port 2: connected"],
        "the client leaving and coming back are SERIAL_CONNECT events of "
        "input port 2", out + err)

# Start-up errors: exit 1, the option named, no trace left.
chardevs = [a.replace("wait=on", "wait=off") for a in chardevs]
errors = [
    (["-device", "virtconsole,chardev=c0", *chardevs[:2]],
     "-device virtconsole,chardev=c0: no virtio-serial-bus for it"),
    (["-device", "virtio-serial-device", "-device", "virtconsole,chardev=nope",
      *chardevs[:2]],
     "-device virtconsole,chardev=nope: virtconsole property 'chardev': "
     "no -chardev with id 'nope'"),
    (["-device", "virtio-serial-device",
      "-device", "virtserialport,chardev=c0,name=a",
      "-device", "virtserialport,chardev=c1,name=a", *chardevs],
     "-device virtserialport,chardev=c1,name=a: property 'name': 'a' is "
     "already the name of port 'virtserialport0'"),
    (["-device", "virtio-serial-device", "-device", "virtserialport,chardev=c0",
      *chardevs[:2]],
     "virtserialport needs property 'name'"),
    (["-device", "virtio-serial-device", "-device", "virtconsole,chardev=c0",
      "-device", "virtconsole,chardev=c0", *chardevs[:2]],
     "chardev 'c0' is already in use by another front end"),
]
for args, want in errors:
    bad = os.path.join(tmp, "bad.rwd")
    rc, out, err = run(exe, "record", "-o", bad, *base, *args, timeout=60)
    t.check(rc == 1 and want in err and not os.path.exists(bad),
            f"error for {' '.join(args[:6])}", err)

# `devices` (QEMU's info qtree) lists each port under the virtio-serial
# device it plugged into (the first one with a free port: vs0 here; vs1
# has none).
nulls = [a for i in range(3) for a in ("-chardev", f"null,id=n{i}")]
rc, out, err = run(exe, "shell", "--quiet", "-c", "devices", "--", *base,
                   "-device", "virtio-serial-device,id=vs0",
                   "-device", "virtio-serial-device,id=vs1",
                   "-device", "virtconsole,chardev=n0,id=p0",
                   "-device", "virtserialport,chardev=n1,id=p1,name=n1",
                   "-device", "virtconsole,chardev=n2,id=p2", *nulls)
tree = [ln for ln in out.splitlines() if re.match(r" *(bus|dev): ", ln)]
want = ['      dev: virtio-serial-device, id "vs0"',
        '        bus: virtio-serial-bus',
        '          dev: virtconsole, id "p0"',
        '          dev: virtserialport, id "p1"',
        '          dev: virtconsole, id "p2"',
        '  dev: virtio-mmio, id "virtio-mmio6"',
        '    bus: virtio-bus',
        '      dev: virtio-serial-device, id "vs1"',
        '  dev: virtio-mmio, id "virtio-mmio5"']
at = tree.index(want[0]) if want[0] in tree else -1
t.check(rc == 0 and at >= 0 and tree[at:at + len(want)] == want and
        tree.count("        bus: virtio-serial-bus") == 1 and
        "bus: virtio-serial-bus" not in tree,
        "devices lists each port under its virtio-serial device",
        out + err)
shutil.rmtree(tmp)
t.finish()
