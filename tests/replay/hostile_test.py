"""Hostile trace contents and inputs give clean errors, never crashes or hangs.

Traces come from CI artifacts and colleagues, so every byte is untrusted.
This test records a small real trace, then crafts traces that are
well-formed at the frame level (good CRCs, good zstd) but say something
invalid: a serial port or hart that does not exist, a bad payload length,
SHUTDOWN in the middle, a META whose argc is huge or negative or whose
format_version disagrees with the frame headers. Each must be refused by
replay, verify, info and replay --seek with exit status 2 and a message
naming events.zst; none may crash, hang or allocate without bound. FIFOs,
directories in place of trace files and of -kernel/-initrd/-bios/-dtb
must be refused at once, naming the file.

The trace is rebuilt here from the documented format (docs/trace-format.md):
frames are written with zstd raw blocks, so no zstd library is needed, and
an unmodified rebuild must verify, which checks the builder itself.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run, wait_limit  # noqa: E402

exe, hello = sys.argv[1:3]
t = Suite("hostile")
tmp = tempfile.mkdtemp()
machine = ["-M", "virt", "-bios", "none", "-nographic"]
# Generous for a 900-instruction trace; a hang shows as a timeout.
LIMIT = 20
hung = []   # commands that hung: once one has, the rest get 2 s to show it


def limit():
    return 2 if hung else wait_limit(LIMIT, False)

META, SERIAL_RX, SHUTDOWN, CONSOLE, CHECKPOINT, END = 1, 2, 5, 16, 17, 18
PORT_CONSOLE = 19


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def zstd_raw(data):
    """One zstd frame holding data in raw blocks, with its content size."""
    out = bytearray(struct.pack("<IB", 0xFD2FB528, 0xE0))  # single segment, 8-byte FCS
    out += struct.pack("<Q", len(data))
    chunks = [data[i:i + 65536] for i in range(0, len(data), 65536)] or [b""]
    for i, c in enumerate(chunks):
        hdr = (len(c) << 3) | (1 if i == len(chunks) - 1 else 0)  # raw block
        out += struct.pack("<I", hdr)[:3] + c
    return bytes(out)


VERSION = 3   # the trace format version rewind writes (docs/trace-format.md)


def frame(number, events, final=False, version=VERSION):
    """events: (kind, hart, icount, payload) tuples -> header + zstd frame."""
    raw = bytearray()
    prev = None
    for kind, hart, icount, payload in events:
        raw += varint(kind) + varint(hart)
        raw += varint(icount if prev is None else icount - prev)
        raw += varint(len(payload)) + payload
        prev = icount
    data = zstd_raw(bytes(raw))
    hdr = struct.pack("<IIIIQQQIIIII", 0x184D2A5E, 56, 0, version, number,
                      events[0][2], events[-1][2], len(events),
                      1 if final else 0, len(data), len(raw),
                      zlib.crc32(data))
    hdr = hdr[:8] + b"RWEV" + hdr[12:60]
    return hdr + struct.pack("<I", zlib.crc32(hdr)) + data


def query(d, sql):
    rc, out, err = run(exe, "query", d, sql)
    assert rc == 0, err
    return [line.split("\t") for line in out.splitlines()[1:]]


# A real recording, and what is needed to rebuild it.
base = os.path.join(tmp, "base.rwd")
rc, rec_out, err = run(exe, "record", "-o", base, *machine, "-kernel", hello,
                       timeout=120)
t.check(rc == 0, "record the base trace", err)
with open(os.path.join(base, "events.zst"), "rb") as f:
    t.check(struct.unpack_from("<I", f.read(16), 12)[0] == VERSION,
            f"rewind writes format version {VERSION}")
meta = {k: v for k, v in query(base, "SELECT key, value FROM meta")
        if k != "schema_version"}
inputs = query(base, "SELECT name, path, size, hash FROM inputs")
for i, (name, path, size, h) in enumerate(inputs):
    for field, v in (("name", name), ("path", path), ("size", size), ("hash", h)):
        meta[f"input.{i}.{field}"] = v
ck_hdr = open(os.path.join(base, "checkpoints.zst"), "rb").read(64)
ck_icount, ck_hash = struct.unpack("<QQ", ck_hdr[24:40])
ck_len = 64 + struct.unpack("<Q", ck_hdr[48:56])[0]
lines = query(base, "SELECT icount, text FROM console ORDER BY line")
final = [r for r in query(base, "SELECT icount, summary FROM events WHERE kind = 'END'")][0]
end_icount, end_hash = int(final[0]), int(final[1].split()[-1], 16)


def meta_payload(m):
    return b"".join(f"{k}={v}".encode() + b"\0" for k, v in m.items())


def build(name, body=None, meta_over=None, meta_version=VERSION, drop=(),
          final_frames=None, version=VERSION):
    """Writes a trace: META (with overrides), the real checkpoint, then
    body (default: the recorded console and END) as frames 2, 3, ..."""
    m = dict(meta)
    if version != VERSION:
        m["format_version"] = str(version)
        meta_version = version
    m.update(meta_over or {})
    for k in drop:
        m.pop(k, None)
    d = os.path.join(tmp, name)
    os.mkdir(d)
    shutil.copy(os.path.join(base, "checkpoints.zst"), d)
    ck = struct.pack("<QQQQ", ck_icount, ck_hash, 0, ck_len)
    out = frame(0, [(META, 0, 0, meta_payload(m))], version=meta_version)
    out += frame(1, [(CHECKPOINT, 0, 0, ck)], version=version)
    if body is None:
        body = [[(CONSOLE, 0, int(ic), txt.encode() + b"\n") for ic, txt in lines]
                + [(END, 0, end_icount, struct.pack("<Q", end_hash))]]
    for i, evs in enumerate(body):
        out += frame(2 + i, evs, final=evs[-1][0] == END, version=version)
    with open(os.path.join(d, "events.zst"), "wb") as f:
        f.write(out)
    return d


def end_ev():
    return (END, 0, end_icount, struct.pack("<Q", end_hash))


def refused(d, what, needle, cmds=("replay", "verify", "info", "seek")):
    """Every command exits 2 (unusable) and names the file and the fault."""
    for cmd in cmds:
        args = {"replay": ["replay", d], "verify": ["verify", d],
                "info": ["info", d],
                "seek": ["replay", d, "--seek", str(end_icount - 1)]}[cmd]
        try:
            rc, out, err = run(exe, *args, timeout=limit())
        except subprocess.TimeoutExpired:
            hung.append(cmd)
            t.check(False, f"{what}: {cmd} hangs")
            continue
        msg = out + err
        t.check(rc == 2 and "events.zst" in msg and needle in msg,
                f"{what}: {cmd} exits 2 naming events.zst and '{needle}'",
                f"rc={rc}\n{msg[-1500:]}")


# 0. The builder itself: an unmodified rebuild verifies.
d = build("rebuilt.rwd")
rc, out, err = run(exe, "verify", d, timeout=limit())
t.check(rc == 0 and "replay identical" in err, "rebuilt trace verifies", err)
# Older format versions (1: before the device inputs, 2: before
# PORT_CONSOLE) still read.
for v in (1, 2):
    d = build(f"v{v}.rwd", version=v)
    rc, out, err = run(exe, "verify", d, timeout=limit())
    t.check(rc == 0 and "replay identical" in err,
            f"a version-{v} trace verifies", err)

# 1. Events with invalid fields.
rx = lambda port, data=b"x": (SERIAL_RX, 0, 10, bytes([port]) + data)  # noqa: E731
d = build("port200.rwd", body=[[rx(200), end_ev()]])
refused(d, "SERIAL_RX for port 200", "serial port 200")
# Port 1 is a valid number but this machine has one UART (port 0).
d = build("port1.rwd", body=[[rx(1), end_ev()]])
refused(d, "SERIAL_RX for port 1", "serial port 1", cmds=("replay", "verify", "seek"))
d = build("hart7.rwd", body=[[(CONSOLE, 7, 10, b"hi\n"), end_ev()]])
refused(d, "event for hart 7 of 1", "hart 7")
d = build("nolen.rwd", body=[[(SERIAL_RX, 0, 10, b""), end_ev()]])
refused(d, "SERIAL_RX without a port byte", "payload")
for port in (0, 9):
    d = build(f"pcon{port}.rwd", body=[[(PORT_CONSOLE, 0, 10,
                                         bytes([port]) + b"x"), end_ev()]])
    refused(d, f"PORT_CONSOLE for port {port}", "console port")
d = build("shortend.rwd", body=[[(END, 0, end_icount, b"\0\0\0")]])
refused(d, "END with a 3-byte payload", "payload")
d = build("midshutdown.rwd",
          body=[[(SHUTDOWN, 0, 10, b"\0\0\0\0"), (CONSOLE, 0, 228, b"x\n"),
                 end_ev()]])
refused(d, "SHUTDOWN in the middle", "SHUTDOWN")
d = build("shutdownframe.rwd",
          body=[[(SHUTDOWN, 0, 10, b"\0\0\0\0")], [(CONSOLE, 0, 228, b"x\n"),
                                                    end_ev()]])
refused(d, "SHUTDOWN, then more events in the next frame", "SHUTDOWN")
d = build("meta2.rwd", body=[[(META, 0, 10, b"a=b\0"), end_ev()]])
refused(d, "a second META", "META")
d = build("ckpt.rwd", body=[[(CHECKPOINT, 0, 10,
                              struct.pack("<QQQQ", 500, ck_hash, 0, ck_len)),
                             end_ev()]])
refused(d, "CHECKPOINT naming another icount", "checkpoint at icount 500")

# 2. Recorded metadata: strict, capped, cross-checked; refused at once.
for argc in ("2000000000", "-5", "7x", "", "57"):
    d = build(f"argc{argc or 'empty'}.rwd", meta_over={"argc": argc})
    refused(d, f"argc={argc!r}", "argc", cmds=("replay", "verify", "seek"))
d = build("argvmismatch.rwd", meta_over={"arg.6": "/etc/passwd"})
refused(d, "arg.N differing from argv", "argv", cmds=("verify",))
d = build("argmissing.rwd", drop=("arg.3",))
refused(d, "arg.3 missing", "arg.3", cmds=("verify",))
d = build("harts.rwd", meta_over={"harts": "4"})
refused(d, "harts=4 for a 1-hart command line", "harts", cmds=("verify",))
d = build("hartsneg.rwd", meta_over={"harts": "-1"})
refused(d, "harts=-1", "harts")
d = build("shift.rwd", meta_over={"icount_shift": "200"})
refused(d, "icount_shift=200", "icount_shift", cmds=("verify", "info"))
d = build("inputsize.rwd", meta_over={"input.0.size": "12abc"})
refused(d, "input size not a number", "input")
d = build("inputhalf.rwd", drop=("input.0.hash",))
refused(d, "input without its hash", "input")

# 3. META format_version against the frame headers.
d = build("fv1.rwd", meta_over={"format_version": "1"})
refused(d, "META format_version=1 in version-3 frames", "format_version=1")
d = build("fvnone.rwd", drop=("format_version",))
refused(d, "META without format_version", "format_version")

# 4. FIFOs and directories in place of trace files: refused, not waited on.
good = build("fifo-src.rwd")
for name in ("events.zst", "checkpoints.zst", "index.sqlite"):
    for kind in ("fifo", "dir"):
        d = os.path.join(tmp, f"{kind}-{name}.rwd")
        shutil.copytree(good, d)
        p = os.path.join(d, name)
        if os.path.exists(p):
            os.remove(p)
        os.mkfifo(p) if kind == "fifo" else os.mkdir(p)
        for cmd in (["verify", d], ["info", d], ["replay", d, "--seek", "5"]):
            try:
                rc, out, err = run(exe, *cmd, timeout=limit())
            except subprocess.TimeoutExpired:
                hung.append(cmd)
                t.check(False, f"{kind} as {name}: {cmd[0]} hangs")
                continue
            t.check(rc == 2 and p in out + err and "not a regular file" in out + err,
                    f"{kind} as {name}: {cmd[0]} exits 2 naming it",
                    f"rc={rc} {out}{err}")
# ... and in place of the machine's input files.
fifo = os.path.join(tmp, "input.fifo")
os.mkfifo(fifo)
for opt in ("-kernel", "-initrd", "-bios", "-dtb"):
    for path in (fifo, tmp):
        args = ["-M", "virt", "-nographic", "-bios", "none", "-kernel", hello]
        if opt == "-kernel":
            args[args.index("-kernel") + 1] = path
        elif opt == "-bios":
            args = ["-M", "virt", "-nographic", "-bios", path, "-kernel", hello]
        else:
            args += [opt, path]
        try:
            rc, out, err = run(exe, "run", *args, timeout=limit())
        except subprocess.TimeoutExpired:
            hung.append(opt)
            t.check(False, f"{opt} {path}: hangs")
            continue
        t.check(rc != 0 and path in err and "not a regular file" in err
                and "Sanitizer" not in err,
                f"{opt} {'FIFO' if path == fifo else 'directory'} refused naming it",
                f"rc={rc} {err[-800:]}")

shutil.rmtree(tmp) if not os.environ.get("KEEP") else print(tmp)
t.finish()
