"""virtio-net-device on -netdev user (libslirp), recorded and replayed.

The guest (initrd-virtio.gz plus a small cpio appended to it with this
test's script: Linux unpacks concatenated archives) gets a DHCP lease,
fetches a file with wget from an HTTP server this test runs on 127.0.0.1
(10.0.2.2 from the guest) and prints its sha256; then a host client
connects through hostfwd (port 0: rewind binds a free port on 127.0.0.1
and prints it) and uploads 1 MiB to busybox nc in the guest, and
downloads a file from busybox httpd in the guest; both checksums must
match. Then guestfwd: the guest's wget of http://10.0.2.100:7000/ reaches
a command (printf of an HTTP reply) and of http://10.0.2.100:7001/x a
-chardev socket whose client is this test, which answers the request;
the guest prints both bodies. The recording is then replayed and verified with the host servers
gone and no slirp: identical console, verify passes, net_rx queryable.
Prints figures: wget throughput, trace bytes per MiB received."""
import gzip
import hashlib
import http.server
import os
import re
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run, ensure_kit, cpio_newc, spawn  # noqa: E402

exe, repo, kit = sys.argv[1:4]
t = Suite("linux-net")
ensure_kit("the Linux network test", repo, kit)
tmp = tempfile.mkdtemp(prefix="linux-net.")

# Deterministic data: the replay runs without any of it.
blob = b"".join(hashlib.sha256(b"rewind-%d" % i).digest() for i in range(65536))
size_mb = len(blob) / 2**20     # 2 MiB
upload = bytes(reversed(blob[: 1 << 20]))
www = os.path.join(tmp, "www")
os.mkdir(www)
with open(os.path.join(www, "blob"), "wb") as f:
    f.write(blob)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **k):
        super().__init__(*a, directory=www, **k)

    def log_message(self, *a):
        pass


httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
http_port = httpd.server_address[1]
threading.Thread(target=httpd.serve_forever, daemon=True).start()

script = f"""#!/bin/sh
ip link set lo up
udhcpc -q -n -f -t 5 -T 2 -i eth0 -s /usr/share/udhcpc/default.script >/dev/null
echo "rewind-net: eth0 $(ip -4 addr show dev eth0 | sed -n 's/.*inet \\([0-9.]*\\).*/\\1/p')"
t0=$(cut -d' ' -f1 /proc/uptime)
wget -q -O /tmp/blob http://10.0.2.2:{http_port}/blob
t1=$(cut -d' ' -f1 /proc/uptime)
echo "rewind-net: wget $(sha256sum /tmp/blob | cut -d' ' -f1) in $t0 $t1"
mkdir -p /tmp/www && cp /tmp/blob /tmp/www/blob
nc -l -p 8080 > /tmp/up &
sleep 1
echo "rewind-net: listening"
wait
echo "rewind-net: upload $(sha256sum /tmp/up | cut -d' ' -f1)"
httpd -p 8081 -h /tmp/www
nc -l -p 8080 > /dev/null &
sleep 1
echo "rewind-net: httpd up"
wait
echo "rewind-net: gfwd-cmd $(wget -q -T 20 -O - http://10.0.2.100:7000/ 2>&1)"
echo "rewind-net: gfwd-chardev $(wget -q -T 20 -O - http://10.0.2.100:7001/x 2>&1)"
echo "rewind-net: done"
"""


initrd = os.path.join(tmp, "initrd-net.gz")
with open(os.path.join(kit, "initrd-virtio.gz"), "rb") as f:
    base = f.read()
with open(initrd, "wb") as f:
    f.write(base + gzip.compress(cpio_newc(
        [("etc", 0o40755, b""),
         ("etc/rewind-net-test.sh", 0o100755, script.encode())]), mtime=0))

trace = os.path.join(tmp, "net.rwd")
gf_path = os.path.join(tmp, "gf.sock")
args = [exe, "record", "-o", trace, "-m", "256M",
        "-kernel", os.path.join(kit, "Image"), "-initrd", initrd,
        "-append", "console=ttyS0 rewind.script=/etc/rewind-net-test.sh",
        "-nic", "user,model=virtio-net-device,hostfwd=tcp::0-:8080,"
                "hostfwd=tcp:127.0.0.1:0-:8081,"
                "guestfwd=tcp:10.0.2.100:7000-cmd:printf 'HTTP/1.0 200 OK\\r\\n"
                "Content-Length: 14\\r\\n\\r\\ngfwd-cmd-hello',"
                "guestfwd=tcp:10.0.2.100:7001-chardev:gf",
        "-chardev", f"socket,id=gf,path={gf_path},server=on,wait=off",
        "-serial", "stdio"]
t0 = time.time()
p = spawn(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
          stderr=subprocess.PIPE)
out = b""
err = b""


def wait_for(stream_pat, timeout):
    """Read stdout and stderr until stream_pat (a regex on stdout, or on
    stderr for ('err', re)) matches; returns the match or None."""
    global out, err
    which, pat = stream_pat if isinstance(stream_pat, tuple) else ("out", stream_pat)
    end = time.time() + timeout
    while time.time() < end:
        m = re.search(pat, out if which == "out" else err)
        if m:
            return m
        r, _, _ = select.select([p.stdout, p.stderr], [], [], 0.5)
        for s in r:
            data = os.read(s.fileno(), 65536)
            if s is p.stdout:
                out += data
            else:
                err += data
        if p.poll() is not None and not r:
            break
    return None


fwd = wait_for(("err", rb"hostfwd tcp 127\.0\.0\.1:(\d+) -> 10\.0\.2\.15:8080\n"
                rb"(?:.*\n)?.*hostfwd tcp 127\.0\.0\.1:(\d+) -> 10\.0\.2\.15:8081"), 60)
t.check(fwd is not None, "hostfwd port 0 binds 127.0.0.1 and is reported",
        err.decode(errors="replace"))
up_port, get_port = (int(fwd.group(1)), int(fwd.group(2))) if fwd else (0, 0)

# The guestfwd chardev's far end: this test, answering one HTTP request.
gf_request = []


def serve_guestfwd():
    end = time.time() + 1200
    c = socket.socket(socket.AF_UNIX)
    while True:
        # The path exists from rewind's bind(), before its listen(): a
        # connect in between is refused (seen under load), so retry.
        try:
            c.connect(gf_path)
            break
        except (FileNotFoundError, ConnectionRefusedError):
            if time.time() > end:
                raise
            time.sleep(0.1)
    c.settimeout(1200)
    req = b""
    while b"\r\n\r\n" not in req:
        d = c.recv(4096)
        if not d:
            break
        req += d
    gf_request.append(req)
    body = b"from-host-via-chardev"
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body)
              + body)
    time.sleep(1200)   # keep the connection (a daemon thread)


threading.Thread(target=serve_guestfwd, daemon=True).start()

m = wait_for(rb"rewind-net: eth0 ([0-9.]+)\r?\n", 900)
t.check(m is not None and m.group(1) == b"10.0.2.15", "DHCP lease 10.0.2.15",
        out[-2000:].decode(errors="replace"))
m = wait_for(rb"rewind-net: wget ([0-9a-f]+) in ([0-9.]+) ([0-9.]+)\r?\n", 600)
want = hashlib.sha256(blob).hexdigest().encode()
t.check(m is not None and m.group(1) == want, "wget from the host: checksum",
        out[-2000:].decode(errors="replace"))
wget_s = float(m.group(3)) - float(m.group(2)) if m else 0

ok = wait_for(rb"rewind-net: listening", 120) is not None
if ok:
    with socket.create_connection(("127.0.0.1", up_port), timeout=60) as c:
        c.sendall(upload)
        c.shutdown(socket.SHUT_WR)
        try:
            c.recv(1)       # the guest's nc closes (or resets) when done
        except ConnectionResetError:
            pass
m = wait_for(rb"rewind-net: upload ([0-9a-f]*)\r?\n", 300)
t.check(m is not None and m.group(1) == hashlib.sha256(upload).hexdigest().encode(),
        "1 MiB host -> guest through hostfwd (nc): checksum",
        out[-2000:].decode(errors="replace"))

got = b""
if wait_for(rb"rewind-net: httpd up", 120):
    with socket.create_connection(("127.0.0.1", get_port), timeout=60) as c:
        c.sendall(b"GET /blob HTTP/1.0\r\n\r\n")
        c.settimeout(120)
        while True:
            d = c.recv(65536)
            if not d:
                break
            got += d
body = got.split(b"\r\n\r\n", 1)[-1]
t.check(hashlib.sha256(body).hexdigest().encode() == want,
        "2 MiB guest -> host through hostfwd (httpd): checksum",
        got[:300].decode(errors="replace"))
if wait_for(rb"rewind-net: done", 1) is None:
    try:
        socket.create_connection(("127.0.0.1", up_port), timeout=30).close()
    except OSError:
        pass
m = wait_for(rb"rewind-net: gfwd-chardev ([^\r\n]*)\r?\n", 300)
out_s = out.decode(errors="replace")
t.check("rewind-net: gfwd-cmd gfwd-cmd-hello" in out_s,
        "guestfwd to a command (cmd:): the guest gets its output",
        out_s[-1500:])
t.check(m is not None and m.group(1) == b"from-host-via-chardev" and
        gf_request and gf_request[0].startswith(b"GET /x "),
        "guestfwd to a chardev: the request reaches the host, the answer "
        "the guest", out_s[-1500:] + repr(gf_request))
wait_for(rb"REWIND-TEST-DONE", 300)
rest_out, rest_err = p.communicate(timeout=300)
out += rest_out
err += rest_err
took = time.time() - t0
t.check(p.returncode == 0 and b"rewind-net: done" in out,
        "recording ends cleanly", err.decode(errors="replace")[-1500:])

# The host side is gone: no HTTP server, no forwarded ports, no slirp.
httpd.shutdown()
httpd.server_close()
rp = subprocess.run([exe, "replay", trace], stdin=subprocess.DEVNULL,
                    capture_output=True, timeout=1200)
t.check(rp.returncode == 0 and b"replay identical" in rp.stderr,
        "replay identical with the host servers stopped",
        rp.stderr.decode(errors="replace")[-1500:])
t.check(rp.stdout == out, "replayed console byte for byte",
        f"{len(rp.stdout)} vs {len(out)} bytes")
rc, vout, verr = run(exe, "verify", trace, timeout=1200)
t.check(rc == 0, "verify passes", vout + verr)
rc, info, ierr = run(exe, "info", trace)
t.check(rc == 0 and re.search(r"NET_RX=\d+", info), "info counts NET_RX", info + ierr)
rc, q, qerr = run(exe, "query", trace,
                  "SELECT COUNT(*), SUM(len) FROM net_rx WHERE nic = 0")
rows = q.split("\n")[1].split("\t") if rc == 0 and "\n" in q else ["0", "0"]
t.check(rc == 0 and int(rows[0]) > 1000 and int(rows[1]) > len(blob) + len(upload),
        "net_rx table: frames and bytes received", q + qerr)
ev_bytes = os.path.getsize(os.path.join(trace, "events.zst"))
rx_mib = int(rows[1] or 0) / 2**20
print(f"recorded run {took:.1f} s wall; wget {size_mb:.0f} MiB in {wget_s:.2f} s "
      f"guest time ({size_mb / wget_s if wget_s else 0:.1f} MiB/s guest); "
      f"{rx_mib:.1f} MiB received in {rows[0]} frames; events.zst {ev_bytes} bytes "
      f"({ev_bytes / rx_mib if rx_mib else 0:.0f} bytes per MiB received)")
t.finish()
