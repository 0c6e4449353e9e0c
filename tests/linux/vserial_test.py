"""Linux with virtio-serial: the kit's initrd-virtio.gz runs
/etc/rewind-vserial-test.sh (scripts/guest-vserial-test.sh), which writes
a line to /dev/hvc0 (a virtconsole), finds the virtserialport named
org.rewind.test in /sys/class/virtio-ports, writes a line to it and reads
one line back. Both ports are unix socket servers here; the test plays the
host end: it reads the hvc0 line and the port's line from the sockets and
answers on the named port. The recording must then verify and replay with
the sockets gone: same console (the guest prints what the host said), and
the host's answer is a SERIAL_RX event of input port 2 in the trace.
The hvc0 line is part of the console record: a console row of port 1
whose device is the virtconsole, and the port's output is compared on
replay (a replay printing one byte more there is reported).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run, ensure_kit, connect_chardevs, sock_read_until, spawn  # noqa: E402

exe, repo, kit = sys.argv[1:4]
t = Suite("linux-vserial")
ensure_kit("the Linux virtio-serial test", repo, kit)
tmp = tempfile.mkdtemp()
trace = os.path.join(tmp, "vs.rwd")
s0 = os.path.join(tmp, "hvc.sock")
s1 = os.path.join(tmp, "port.sock")
args = ["-M", "virt", "-m", "256M", "-nographic",
        "-kernel", os.path.join(kit, "Image"),
        "-initrd", os.path.join(kit, "initrd-virtio.gz"),
        "-append", "console=ttyS0 rewind.script=/etc/rewind-vserial-test.sh",
        "-device", "virtio-serial-device",
        "-device", "virtconsole,chardev=c0",
        "-device", "virtserialport,chardev=c1,name=org.rewind.test",
        "-chardev", f"socket,id=c0,path={s0},server=on,wait=on",
        "-chardev", f"socket,id=c1,path={s1},server=on,wait=on"]


def read_until(sock, marker, timeout):
    return sock_read_until(sock, marker, t.limit(timeout))


t0 = time.monotonic()
p = spawn([exe, "record", "-o", trace, "--checkpoint-every",
           "300000000", *args], stdin=subprocess.DEVNULL,
          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
# wait=on: start-up waits for a client on each socket in turn.
socks, err = connect_chardevs(p, (b"c0", b"c1"), t.limit(60))
t.check(len(socks) == 2, "both sockets listen", err)
got0 = got1 = b""
if len(socks) == 2:
    got1 = read_until(socks[b"c1"], b"hello host\n", 600)
    t.check(got1 == b"rewind-vserial: hello host\n",
            "the guest's line on org.rewind.test reaches the host socket",
            got1)
    socks[b"c1"].sendall(b"ping-from-host\n")
    got0 = read_until(socks[b"c0"], b"hello hvc0", 60)
try:
    out, rest = p.communicate(timeout=t.limit(600))
except subprocess.TimeoutExpired:
    p.kill()
    out, rest = p.communicate()
record_s = time.monotonic() - t0
for c in socks.values():
    c.close()
rec_out = out.decode(errors="replace")
t.check(b"rewind-vserial: hello hvc0" in got0,
        "a virtconsole (hvc0) carries data to a host unix socket", got0)
t.check(p.returncode == 0 and
        "rewind-vserial: host said 'ping-from-host'" in rec_out and
        "REWIND-TEST-DONE" in rec_out, "record: the guest read the host's "
        "line", rec_out[-3000:] + (err + rest).decode(errors="replace"))
print(f"record took {record_s:.1f} s")

rc, out, err = run(exe, "verify", trace, timeout=1200)
t.check(rc == 0 and "replay identical" in err,
        "verify with the sockets gone", err)
rc, out, err = run(exe, "replay", trace, timeout=1200)
t.check(rc == 0 and out == rec_out and not os.path.exists(s0) and
        not os.path.exists(s1),
        "replay prints the recorded console and opens no socket",
        out[-2000:] + err)
rc, out, err = run(exe, "query", trace, "SELECT summary FROM events WHERE "
                   "kind = 'SERIAL_RX'", timeout=60)
t.check(rc == 0 and 'port 2: "ping-from-host' in out,
        "the host's line is a SERIAL_RX event of input port 2", out + err)
rc, out, err = run(exe, "query", trace, "SELECT port, device, icount FROM "
                   "console WHERE text LIKE '%rewind-vserial: hello hvc0%'",
                   timeout=60)
rows = [r.split("\t") for r in out.splitlines()[1:]]
t.check(rc == 0 and len(rows) == 1 and rows[0][:2] == ["1", "virtconsole0"],
        "the hvc0 line is in the console index as port 1, virtconsole0",
        out + err)
if rows:
    rc, out, err = run(exe, "verify", trace, "--perturb-at",
                       f"{rows[0][2]}:console1", timeout=1200)
    t.check(rc == 1 and "console output of port 1 (virtconsole0) differs"
            in err, "a replay printing other hvc0 output is reported", err)
shutil.rmtree(tmp)
t.finish()
