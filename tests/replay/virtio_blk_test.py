"""virtio-blk-device and the block back ends with the virtio_blk guest
(tests/guest/virtio_blk.c) on two 1 MiB raw images, one read-only.

- `run` passes the guest's own checks (read, write, flush, get-id,
  discard, write-zeroes, requests in flight, a read-only disk giving
  IOERR, hostile requests) and writes the read-write image in place;
  snapshot=on and readonly=on leave it alone.
- `record` leaves both images byte for byte as they were (writes go to
  the overlay log `overlay-d0.log` in the trace directory; the read-only
  disk has none), `verify` passes, and a replay that seeks into the long
  loop after a disk write (through a checkpoint) reaches the same state
  as a straight replay and finishes PASS: the overlay comes back from the
  checkpoint. A changed image is refused by replay, naming it.
- the derived-event index has one blk_requests row per request the
  guest made (counts by drive, operation and status; the bulk write's
  sectors; submitted before completed), and `trace index` on a copy
  rebuilds the same rows (`trace reindex` keeps them).
- checkpoints do not grow with what the guest wrote: after its bulk
  write of 768 KiB of incompressible data, every checkpoint is far
  smaller than that (a whole-overlay checkpoint would hold it all).
- under a debugger (the GDB stub's `monitor goto`, driven over the
  remote protocol): into the bulk write, far ahead, back into it (an
  in-memory restore point: the overlay goes back in the replay's own
  log) and ahead again, then on to the end: the guest passes and the
  replay is identical.
- a truncated, corrupted or missing overlay log: a seek through a
  checkpoint that needs it, and `verify` (which compares the guest's
  writes with the log), end with exit status 2 and a message naming the
  log; replay never writes into the trace directory.
- an overlay log that cannot be written (a file-size limit standing in
  for a full disk) ends the recording with a message naming it; the cut
  trace verifies up to its last flushed point.
- start-up errors (missing image, a locked one, qcow2, unknown -drive or
  -blockdev options, an unknown drive id): exit status 1, a message
  naming the file or option, and no trace directory left by `record`.
- -blockdev driver=raw over driver=file works like -drive.
"""
import fcntl
import hashlib
import os
import socket
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run, stats, start_gdb_server, spawn, stop  # noqa: E402

exe, elf = sys.argv[1:3]
t = Suite("virtio-blk")
tmp = tempfile.mkdtemp()
rw = os.path.join(tmp, "rw.img")
ro = os.path.join(tmp, "ro.img")


def make(path):
    with open(path, "wb") as f:
        f.write(bytes((s * 7 + i) & 0xff for s in range(2048)
                      for i in range(512)))


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


make(rw)
make(ro)
pristine = sha(rw)
base = ["-M", "virt", "-bios", "none", "-nographic", "-kernel", elf]


def disks(rw_extra="", rw_img=None):
    return ["-drive", f"file={rw_img or rw},format=raw,if=none,id=d0{rw_extra}",
            "-device", "virtio-blk-device,drive=d0,serial=blk-serial-1",
            "-drive", f"file={ro},format=raw,if=none,id=d1,readonly=on",
            "-device", "virtio-blk-device,drive=d1"]


# record: the images stay as they were.
d = os.path.join(tmp, "blk.rwd")
rc, rec_out, err = run(exe, "record", "-o", d, "--checkpoint-every", "2000000",
                       *base, *disks(), timeout=300)
t.check(rc == 0 and "PASS virtio_blk" in rec_out and
        "read-only disk refuses writes" in rec_out and
        "hostile requests flagged" in rec_out,
        "record the virtio_blk guest", rec_out + err)
t.check(sha(rw) == pristine and sha(ro) == pristine,
        "record leaves the images unchanged")
log = os.path.join(d, "overlay-d0.log")
with open(log, "rb") as f:
    head = f.read(8)
t.check(head == b"RWOVLOG\0" and os.path.getsize(log) > 768 * 1024 and
        not os.path.exists(os.path.join(d, "overlay-d1.log")),
        "the trace holds the overlay log of the written disk only",
        f"{head!r} {sorted(os.listdir(d))}")
rc, out, err = run(exe, "verify", d, timeout=300)
t.check(rc == 0 and "replay identical" in err, "verify", err)
rc, out, err = run(exe, "replay", d, "--stats", timeout=300)
t.check(rc == 0 and out == rec_out, "replay prints the recorded console", out)
end = stats(err)
total = int(end.get("icount", "0"))
rc, out, _ = run(exe, "info", d, timeout=60)
t.check("drive:d0" in out and "drive:d1" in out, "info lists both images",
        out)

# The derived-event index: one blk_requests row per request the guest
# made (tests/guest/virtio_blk.c), with both icounts; `trace index` on a
# copy rebuilds the same rows by replaying.
BLK_SQL = ("SELECT icount, done_icount, drive, op, sector, bytes, status "
           "FROM blk_requests ORDER BY icount, done_icount")


def blk_rows(trace):
    rc, q, err = run(exe, "query", trace, BLK_SQL, timeout=60)
    return [ln.split("\t") for ln in q.splitlines()[1:]] if rc == 0 else err


rows = blk_rows(d)
groups = {}
for r in rows if isinstance(rows, list) else []:
    k = (r[2], r[3], int(r[6]))
    groups[k] = groups.get(k, 0) + 1
want = {
    # 3, 5 twice, 10, 12, 3 after the reset, 800 streaming, 100
    ("d0", "read", 0): 808,
    # sector 5, the bulk write's 24 chunks, sector 100
    ("d0", "write", 0): 26,
    ("d0", "flush", 0): 1, ("d0", "get-id", 0): 1,
    ("d0", "write-zeroes", 0): 1, ("d0", "discard", 0): 1,
    ("d0", "discard", 2): 1,             # with a flag discard does not take
    ("d0", "read", 1): 4, ("d0", "write", 1): 1,   # hostile ranges
    ("d0", "unsupported", 2): 1, ("d0", "bad-header", 1): 1,
    ("d1", "read", 0): 2, ("d1", "write", 1): 1,   # the read-only disk
    ("d1", "write-zeroes", 1): 1,
}
t.check(groups == want, "blk_requests: the guest's requests by drive, "
        "operation and status", f"{groups} vs {want}")
bulk = [(int(r[4]), int(r[5])) for r in rows if isinstance(rows, list) and
        r[2] == "d0" and r[3] == "write" and r[5] == "32768"]
first = rows[0] if isinstance(rows, list) and rows else []
t.check(bulk == [(512 + 64 * c, 32768) for c in range(24)] and
        first[2:] == ["d0", "read", "3", "512", "0"] and
        all(0 < int(r[0]) < int(r[1]) <= total for r in rows),
        "blk_requests: sectors, bytes and icounts (submitted < completed)",
        f"{bulk} {first} {rows[:3]}")
cp = os.path.join(tmp, "blk-index.rwd")
shutil.copytree(d, cp)
rc, out, err = run(exe, "trace", "index", cp, timeout=300)
again = blk_rows(cp)
t.check(rc == 0 and again == rows, "trace index rebuilds the same "
        "blk_requests rows", f"rc={rc} {err} {len(again)} vs {len(rows)}")
rc, out, err = run(exe, "trace", "reindex", cp, timeout=300)
t.check(rc == 0 and blk_rows(cp) == rows, "trace reindex keeps blk_requests",
        err)

# Seek into the loop after the write of sector 100 (the last ~20M
# instructions): the overlay must come back from the checkpoint.
bad = []
for n in [total - 9000001, total - 4000003]:
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
            "FAIL" in out or "lost its write" in out:
        bad.append(f"from {n} to the end: rc={rc} {c} {out[-300:]!r}")
# ... and into the streaming reads, where checkpoints hold a request in
# flight (its chain and completion time must come back).
rc, q, _ = run(exe, "query", d, "SELECT icount FROM console WHERE "
               "text LIKE 'streaming done%'")
sdone = int(q.splitlines()[1]) if rc == 0 and len(q.splitlines()) == 2 else 0
t.check(sdone > 5000000, "the index has the end of the streaming reads", q)
for n in [sdone - 500001, sdone - 2500003]:
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
        bad.append(f"streaming, from {n} to the end: rc={rc} {c} "
                   f"{out[-300:]!r}")
t.check(not bad, "seek == straight replay, there and at the end",
        "\n  ".join(bad))

# Checkpoints after the bulk write hold a point in the log, not the data.
rc, q, _ = run(exe, "query", d, "SELECT icount FROM console WHERE "
               "text LIKE 'bulk write done%'")
bulk = int(q.splitlines()[1]) if rc == 0 and len(q.splitlines()) == 2 else 0
rc, q, _ = run(exe, "query", d, "SELECT icount, length FROM checkpoints "
               f"WHERE icount > {bulk}")
sizes = [int(line.split("\t")[1]) for line in q.splitlines()[1:]]
t.check(bulk > 0 and len(sizes) >= 3 and max(sizes) < 768 * 1024 // 4,
        "checkpoints after a 768 KiB write stay small", f"{bulk} {q}")

# Under the GDB stub: forward and back across the bulk write through
# in-memory restore points, then to the end.
class Rsp:
    """The GDB remote protocol, just enough for `monitor` and continue."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.buf = b""

    def _byte(self):
        if not self.buf:
            self.buf = self.s.recv(65536)
            if not self.buf:
                raise EOFError("the stub closed the connection")
        c, self.buf = self.buf[:1], self.buf[1:]
        return c

    def send(self, payload):
        data = payload.encode()
        self.s.sendall(b"$" + data + b"#%02x" % (sum(data) & 0xff))

    def packet(self):
        while self._byte() != b"$":
            pass
        body = b""
        while (c := self._byte()) != b"#":
            body += c
        self._byte()
        self._byte()
        self.s.sendall(b"+")
        out = b""                       # undo escapes and run lengths
        i = 0
        while i < len(body):
            c = body[i:i + 1]
            if c == b"}":
                out += bytes([body[i + 1] ^ 0x20])
                i += 2
            elif c == b"*":
                out += out[-1:] * (body[i + 1] - 29)
                i += 2
            else:
                out += c
                i += 1
        return out.decode(errors="replace")

    def monitor(self, cmd):
        self.send("qRcmd," + cmd.encode().hex())
        text = ""
        while True:
            r = self.packet()
            if r.startswith("O") and r != "OK":
                text += bytes.fromhex(r[1:]).decode(errors="replace")
            else:
                return r, text


g, port = start_gdb_server(exe, "replay", d, "-S", stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, text=True)
steps = []
try:
    rsp = Rsp(port)
    mid = (sdone + bulk) // 2
    for target in [mid, total - 4000003, mid - 300001, total - 9000001]:
        r, _ = rsp.monitor(f"goto {target}")
        _, text = rsp.monitor("icount")
        steps.append(f"goto {target}: {r} {text.strip()}")
        if r != "OK" or text.strip() != f"icount {target}":
            break
    rsp.send("c")
    steps.append("continue: " + rsp.packet())
    rsp.send("k")
    g.wait(timeout=300)
except (OSError, EOFError, subprocess.TimeoutExpired) as e:
    steps.append(f"error: {e}")
    stop(g)
gout, gerr = g.stdout.read(), g.stderr.read()
t.check(len(steps) == 5 and all(" OK icount " in x for x in steps[:4]) and
        "replaylog:end" in steps[4] and "PASS virtio_blk" in gout and
        "replay identical" in gerr,
        "gdb: goto into the bulk write, ahead, back (restore point), ahead, "
        "to the end", "\n  ".join(steps) + "\n" + gerr + gout[-300:])

# The debug shell on the trace: to the end, back into the bulk write (the
# overlay comes back from a checkpoint and the trace's log), on to the end.
mid = (sdone + bulk) // 2
rc, out, err = run(exe, "shell", d, "-c",
                   f"goto end; goto {mid}; continue", timeout=300)
after = out.split(f"icount {mid} ", 1)[-1]
t.check(rc == 0 and f"icount {mid} " in out and
        "PASS virtio_blk" in after and f"icount {total} " in after and
        "FAIL" not in after, "shell: goto end, back into the bulk write, "
        "continue to the end", out[-600:] + err)

# A damaged overlay log: the seek that needs it fails as "unusable" (2),
# naming the log; nothing appears in the trace directory.
n = total - 4000003
files = sorted(os.listdir(d))
d2 = os.path.join(tmp, "damaged.rwd")
log2 = os.path.join(d2, "overlay-d0.log")
for what in ["truncated", "corrupt", "missing"]:
    shutil.rmtree(d2, ignore_errors=True)
    shutil.copytree(d, d2)
    if what == "truncated":
        os.truncate(log2, os.path.getsize(log2) // 2)
    elif what == "corrupt":
        with open(log2, "r+b") as f:
            f.seek(os.path.getsize(log2) // 2)
            byte = f.read(1)
            f.seek(-1, 1)
            f.write(bytes([byte[0] ^ 0x40]))
    else:
        os.unlink(log2)
    rc, out, err = run(exe, "replay", d2, "--quiet", "--seek", str(n),
                       timeout=300)
    t.check(rc == 2 and log2 in err and (what != "truncated" or
                                         "truncated" in err),
            f"a {what} overlay log: exit 2 naming it", f"rc={rc} {err}")
    rc, out, err = run(exe, "verify", d2, timeout=300)
    t.check(rc == 2 and log2 in err and "damaged" in err,
            f"verify: a {what} overlay log is damage", f"rc={rc} {err}")
# A recording cut short (the last event frame cut): verify reports it
# incomplete (3) with its log intact, damaged (2) with the log cut too.
shutil.rmtree(d2)
shutil.copytree(d, d2)
os.unlink(os.path.join(d2, "index.sqlite"))
ev = os.path.join(d2, "events.zst")
os.truncate(ev, os.path.getsize(ev) - 100)
rc, out, err = run(exe, "verify", d2, timeout=300)
t.check(rc == 3 and "incomplete" in err, "verify: a cut recording", err)
os.truncate(log2, os.path.getsize(log2) // 2)
rc, out, err = run(exe, "verify", d2, timeout=300)
t.check(rc == 2 and log2 in err, "verify: a cut recording with its overlay "
        "log cut too is damaged", f"rc={rc} {err}")
t.check(sorted(os.listdir(d)) == files, "replay writes nothing into the trace",
        f"{files} -> {sorted(os.listdir(d))}")
shutil.rmtree(d2)

# run writes the image unless snapshot=on (readonly=on: see ro.img).
rc, out, err = run(exe, "run", *base, *disks(",snapshot=on"), timeout=120)
t.check(rc == 0 and "PASS virtio_blk" in out, "run with snapshot=on",
        out + err)
t.check(sha(rw) == pristine, "snapshot=on leaves the image unchanged")
rc, out, err = run(exe, "run", *base, *disks(), timeout=120)
t.check(rc == 0 and "PASS virtio_blk" in out, "run", out + err)
t.check(sha(rw) != pristine and sha(ro) == pristine,
        "run writes the read-write image only")

# Replay refuses the changed image, naming it.
rc, out, err = run(exe, "verify", d, timeout=60)
t.check(rc != 0 and rw in err and "differs" in err,
        "replay refuses a changed image", err)
make(rw)

# -blockdev raw over file, as QEMU layers it.
bd = ["-blockdev", f"driver=file,filename={rw},node-name=f0",
      "-blockdev", "driver=raw,file=f0,node-name=r0",
      "-device", "virtio-blk-device,drive=r0,serial=blk-serial-1",
      "-blockdev", f"driver=file,filename={ro},node-name=f1,read-only=on",
      "-device", "virtio-blk-device,drive=f1"]
rc, out, err = run(exe, "run", *base, *bd, timeout=120)
t.check(rc == 0 and "PASS virtio_blk" in out, "-blockdev raw over file",
        out + err)

# Start-up errors: status 1, the option or file named, no trace left.
qcow = os.path.join(tmp, "q.img")
with open(qcow, "wb") as f:
    f.write(b"QFI\xfb" + bytes(1020))
missing = os.path.join(tmp, "missing.img")
errors = [
    (disks(rw_img=missing), missing),
    (disks(rw_img=qcow), "qemu-img convert -O raw"),
    (["-drive", f"file={rw},format=qcow2,id=x"], "qemu-img convert -O raw"),
    (["-drive", f"file={rw},format=raw,id=x,cache=none"],
     "unknown option 'cache'"),
    (["-blockdev", f"driver=file,filename={rw},node-name=x,aio=native"],
     "unknown option 'aio'"),
    (["-blockdev", "driver=raw,file=nope,node-name=x"], "file=nope"),
    (["-device", "virtio-blk-device,drive=nope"], "'nope'"),
    (["-device", "virtio-blk-device"], "drive"),
    (["-drive", f"file={rw},format=raw,id=x,if=scsi"], "if=scsi"),
]
for args, want in errors:
    e = os.path.join(tmp, "err.rwd")
    rc, out, err = run(exe, "record", "-o", e, *base, *args, timeout=60)
    t.check(rc == 1 and want in err and not os.path.exists(e),
            f"error for {' '.join(args)}", f"rc={rc} {err}")

# The overlay log cannot be written while recording (here a file-size
# limit; a full disk is the same): the guest would see an I/O error that
# no replay reproduces, so the recording stops there, names the log, and
# the trace verifies up to its last flushed point (exit 3: incomplete).
def small_files():
    import resource
    import signal
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (400 * 1024, 400 * 1024))


full = os.path.join(tmp, "full.rwd")
fresh = os.path.join(tmp, "fresh.img")
make(fresh)
p = subprocess.run([exe, "record", "-o", full, "--checkpoint-every", "2000000",
                    *base, *disks(rw_img=fresh)], preexec_fn=small_files,
                   capture_output=True, text=True, timeout=300)
t.check(p.returncode == 1 and "recording failed at icount" in p.stderr and
        os.path.join(full, "overlay-d0.log") in p.stderr and
        "File too large" in p.stderr and "incomplete" in p.stderr and
        "PASS virtio_blk" not in p.stdout,
        "a failed overlay-log write ends the recording, naming the log",
        f"rc={p.returncode} {p.stderr}")
t.check(sha(fresh) == pristine, "the image is still unchanged")
rc, out, err = run(exe, "verify", full, timeout=300)
t.check(rc == 3 and "identical up to icount" in err and "incomplete" in err,
        "the cut trace verifies up to its last flushed point", f"rc={rc} {err}")

# A second rewind on an image in use: refused at start-up, naming it.
with open(rw, "r+b") as f:
    fcntl.fcntl(f, fcntl.F_OFD_SETLK if hasattr(fcntl, "F_OFD_SETLK") else 37,
                __import__("struct").pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0))
    rc, out, err = run(exe, "run", *base, *disks(), timeout=60)
    t.check(rc == 1 and rw in err and "locked" in err,
            "a locked image is refused", err)
# ... and two rewinds really exclude each other.
p = spawn([exe, "run", *base, *disks(), "-S", "-gdb",
           "unix:" + os.path.join(tmp, "gdb.sock")],
          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
try:
    for _ in range(2000):
        if os.path.exists(os.path.join(tmp, "gdb.sock")):
            break
        p.poll()
        if p.returncode is not None:
            break
        __import__("time").sleep(0.01)
    rc, out, err = run(exe, "record", "-o", os.path.join(tmp, "l.rwd"),
                       *base, *disks(), timeout=60)
    t.check(rc == 1 and rw in err and "locked" in err and
            not os.path.exists(os.path.join(tmp, "l.rwd")),
            "a second rewind on the same image fails", err)
finally:
    stop(p)
shutil.rmtree(tmp)
t.finish()
