"""verify, info and replay --seek on damaged and incomplete traces.

CI trusts `rewind verify`: it may exit 0 only when every event, every
checkpoint (announced, present, intact, restoring the recorded state) and
the final state were checked. Each case below damages a good trace the way
disks, killed recorders and careless hands do, and checks the exit status
and the message of that one command:
  0 identical, 1 divergence, 2 unusable or damaged,
  3 identical as far as it goes but incomplete (no END).
Traces are edited with the byte layout of docs/trace-format.md (64-byte
headers, zstd frames through libzstd, LEB128 events).
"""
import ctypes
import ctypes.util
import os
import random
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, flip_byte, run, stats, spawn  # noqa: E402

exe, hello, rv64i, workload = sys.argv[1:5]
t = Suite("damage")
tmp = tempfile.mkdtemp()
machine = ["-M", "virt", "-bios", "none", "-nographic"]
INCOMPLETE = "but the recording is incomplete"

zstd = ctypes.CDLL(ctypes.util.find_library("zstd") or "libzstd.so.1")
zstd.ZSTD_decompress.restype = ctypes.c_size_t
zstd.ZSTD_compress.restype = ctypes.c_size_t
zstd.ZSTD_compressBound.restype = ctypes.c_size_t
zstd.ZSTD_isError.restype = ctypes.c_uint


def unzstd(data, raw_len):
    out = ctypes.create_string_buffer(raw_len)
    n = zstd.ZSTD_decompress(out, ctypes.c_size_t(raw_len), data,
                             ctypes.c_size_t(len(data)))
    assert not zstd.ZSTD_isError(n) and n == raw_len
    return out.raw[:n]


def mkzstd(raw, level=1):
    cap = zstd.ZSTD_compressBound(ctypes.c_size_t(len(raw)))
    out = ctypes.create_string_buffer(cap)
    n = zstd.ZSTD_compress(out, ctypes.c_size_t(cap), raw,
                           ctypes.c_size_t(len(raw)), level)
    assert not zstd.ZSTD_isError(n)
    return out.raw[:n]


def u32(b, o):
    return struct.unpack_from("<I", b, o)[0]


def u64(b, o):
    return struct.unpack_from("<Q", b, o)[0]


def seal(h):
    """Header with its CRC (bytes 60..63) recomputed."""
    h = bytearray(h)
    struct.pack_into("<I", h, 60, zlib.crc32(bytes(h[:60])))
    return bytes(h)


def records(path):
    """The records of events.zst / checkpoints.zst: dicts of header fields
    and where header and data lie."""
    data = open(path, "rb").read()
    out, off = [], 0
    while off + 64 <= len(data):
        h = data[off:off + 64]
        if h[8:12] == b"RWEV":
            dlen = u32(h, 48)
            r = dict(first=u64(h, 24), last=u64(h, 32), flags=u32(h, 44),
                     raw_len=u32(h, 52))
        else:
            dlen = u64(h, 48)
            r = dict(icount=u64(h, 24), hash=u64(h, 32), raw_len=u64(h, 40))
        r.update(off=off, data=off + 64, end=off + 64 + dlen, number=u64(h, 16))
        out.append(r)
        off += 64 + dlen
    return out


def leb(b, p):
    v = shift = 0
    while True:
        c = b[p]
        p += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, p


def mkleb(v):
    out = bytearray()
    while True:
        c = v & 0x7F
        v >>= 7
        out.append(c | (0x80 if v else 0))
        if not v:
            return bytes(out)


def record(name, kernel, *extra, **kw):
    d = os.path.join(tmp, name)
    rc, out, err = run(exe, "record", "-o", d, *extra, *machine, "-kernel",
                       kernel, timeout=300, **kw)
    return d, rc, err


def copy(src, name):
    d = os.path.join(tmp, name)
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(src, d)
    return d


def verify(d, *extra):
    return run(exe, "verify", d, *extra, timeout=300)


# The traces: a short one (hello, one checkpoint) and one with several.
short, rc, err = record("short.rwd", hello)
t.check(rc == 0, "record hello", err)
good, rc, err = record("good.rwd", rv64i, "--checkpoint-every", "400")
t.check(rc == 0, "record rv64i with a checkpoint every 400 instructions", err)
ev_path = lambda d: os.path.join(d, "events.zst")  # noqa: E731
ck_path = lambda d: os.path.join(d, "checkpoints.zst")  # noqa: E731
frames = records(ev_path(good))
ckpts = records(ck_path(good))
total = frames[-1]["last"]
t.check(len(ckpts) == 6 and frames[-1]["flags"] == 1,
        "good trace: 6 checkpoints and a final frame", f"{ckpts} {frames}")

rc, out, err = verify(good)
t.check(rc == 0 and f"replay identical: {total} instructions, every event, "
        "6 checkpoints and the final state match" in err, "good trace verifies", err)
rc, out, err = run(exe, "info", good)
t.check(rc == 0 and "checkpoints:  6 announced, 6 in checkpoints.zst" in out and
        "warning" not in out, "info on the good trace", out + err)
rc, out, err = verify(short)
t.check(rc == 0 and "1 checkpoints and the final state match" in err,
        "short trace verifies", err)

# checkpoints.zst emptied or deleted.
for name, damage, why in [
        ("emptied", lambda d: open(ck_path(d), "wb").close(), ""),
        ("deleted", lambda d: os.remove(ck_path(d)),
         ": checkpoints.zst: No such file or directory")]:
    for src in (short, good):
        d = copy(src, f"{name}.rwd")
        damage(d)
        rc, out, err = verify(d)
        t.check(rc == 2 and "rewind: trace damaged: checkpoint at icount 0: its "
                f"record (offset 0 of checkpoints.zst) is missing{why}\n" in err,
                f"checkpoints.zst {name} ({os.path.basename(src)})", err)
    rc, out, err = run(exe, "info", d)
    t.check(rc == 2 and "6 missing or damaged" in out and
            "warning:      checkpoint at icount 0: missing from checkpoints.zst "
            "(offset 0)" in out, f"info: checkpoints.zst {name}", out + err)

# A flipped byte in a checkpoint's data, then in a checkpoint's header.
c3 = ckpts[3]
d = copy(good, "ckdata.rwd")
flip_byte(ck_path(d), (c3["data"] + c3["end"]) // 2, 0x20)
rc, out, err = verify(d)
t.check(rc == 2 and f"rewind: trace damaged: checkpoint at icount {c3['icount']}: "
        f"{d}/checkpoints.zst: checkpoint at icount {c3['icount']} (offset "
        f"{c3['off']}): checksum mismatch\n" in err, "flipped checkpoint data", err)
rc, out, err = run(exe, "info", d)
t.check(rc == 2 and "1 missing or damaged" in out and
        f"warning:      checkpoint at icount {c3['icount']}: " in out,
        "info names the damaged checkpoint", out + err)
c2 = ckpts[2]
d = copy(good, "ckhdr.rwd")
flip_byte(ck_path(d), c2["off"] + 30, 0x01)
rc, out, err = verify(d)
t.check(rc == 2 and f"rewind: trace damaged: checkpoint at icount {c2['icount']}: "
        f"its record (offset {c2['off']} of checkpoints.zst) is missing: "
        f"checkpoints.zst: header checksum mismatch at offset {c2['off']} after "
        "checkpoint 2; later checkpoints ignored\n" in err,
        "flipped checkpoint header", err)

# replay --seek past a damaged checkpoint falls back to the one before and
# says so (seeks this far go through checkpoints, shorter ones just run).
sk, rc, err = record("seek.rwd", workload, "--checkpoint-every", "1000000",
                     "-max-insns", "3000000")
t.check(rc == 0, "record 3M instructions with a checkpoint every 1M", err)
sk_ck = records(ck_path(sk))
target = 2500000
straight = stats(run(exe, "replay", sk, "--quiet", "--until", str(target),
                     "--stats")[2])
rc, out, err = run(exe, "replay", sk, "--quiet", "--seek", str(target), "--stats")
t.check(rc == 0 and "unusable" not in err and
        stats(err).get("state_hash") == straight.get("state_hash"),
        "--seek on the good trace is silent", err)
d = copy(sk, "seek-damaged.rwd")
c = sk_ck[2]
flip_byte(ck_path(d), (c["data"] + c["end"]) // 2, 0x20)
rc, out, err = run(exe, "replay", d, "--quiet", "--seek", str(target), "--stats")
t.check(rc == 0 and c["icount"] == 2000000 and
        "rewind: checkpoint at icount 2000000 is unusable (" in err and
        "checksum mismatch); going on from the checkpoint at icount 1000000\n"
        in err and stats(err).get("state_hash") == straight.get("state_hash"),
        "--seek says it fell back to an earlier checkpoint", err)
d = copy(sk, "seek-ck0.rwd")
flip_byte(ck_path(d), sk_ck[0]["data"] + 10, 0x04)
rc, out, err = run(exe, "replay", d, "--quiet", "--seek", str(target))
t.check(rc == 2 and "--seek %d: the first checkpoint (icount 0) is unusable: "
        % target in err, "--seek with checkpoint 0 damaged", err)

# A fixed sample of random byte flips anywhere in checkpoints.zst.
size = os.path.getsize(ck_path(good))
rng = random.Random(8)
missed = []
for off in sorted(rng.sample(range(size), 40)):
    d = copy(good, "flip.rwd")
    flip_byte(ck_path(d), off, 1 << rng.randrange(8))
    rc, out, err = verify(d)
    if rc != 2 or "rewind: trace damaged: " not in err:
        missed.append((off, rc, err.strip()[-200:]))
t.check(not missed, "40 random flips in checkpoints.zst: all exit 2", missed)

# A record that is intact but does not match its CHECKPOINT event.
d = copy(good, "ckhash.rwd")
with open(ck_path(d), "r+b") as f:
    f.seek(c2["off"])
    h = bytearray(f.read(64))
    struct.pack_into("<Q", h, 32, c2["hash"] ^ 1)
    f.seek(c2["off"])
    f.write(seal(h))
rc, out, err = verify(d)
t.check(rc == 2 and f"checkpoint at icount {c2['icount']}: the record at offset "
        f"{c2['off']} of checkpoints.zst (icount {c2['icount']}) does not match "
        "it\n" in err, "record not matching its event", err)

# A record that is intact and matches its event but would restore another
# state (one RAM byte changed, recompressed to the same size). The first
# checkpoint is a boot snapshot without pages (docs/trace-format.md): take
# the first increment whose last page entry carries bytes.
d = copy(good, "ckram.rwd")
data = open(ck_path(d), "rb").read()


def pages_end_of(blob):
    """Where a snapshot blob's page entries end (its group table after)."""
    groups = next(g for g in range(1, 1 << 20)
                  if u64(blob, len(blob) - 8 * g - 8) == g)
    return len(blob) - 8 * groups - 8


def rewrite_checkpoint(d, data, c, blob, what):
    """Checkpoint c's record in d with `blob`, recompressed to its size."""
    comp = mkzstd(bytes(blob), 19)
    room = c["end"] - c["data"] - len(comp)
    t.check(room >= 8, what, room)
    pad = struct.pack("<II", 0x184D2A50, room - 8) + bytes(room - 8)
    h = bytearray(data[c["off"]:c["data"]])
    struct.pack_into("<I", h, 56, zlib.crc32(comp + pad))
    with open(ck_path(d), "r+b") as f:
        f.seek(c["off"])
        f.write(seal(h) + comp + pad)


def last_page_has_bytes(c):
    blob = unzstd(data[c["data"]:c["end"]], c["raw_len"])
    end = pages_end_of(blob)
    # a data page's entry is its index, 4096 bytes before the end; a zero
    # page's (bit 63 set) is the last 8 bytes
    return len(blob) > 8192 and u64(blob, end - 8) >> 63 == 0 and \
        u64(blob, end - 4104) < 1 << 40


c0 = next(c for c in ckpts[1:] if last_page_has_bytes(c))
blob = bytearray(unzstd(data[c0["data"]:c0["end"]], c0["raw_len"]))
blob[pages_end_of(blob) - 4096 + 100] ^= 0x40   # inside the last page
rewrite_checkpoint(d, data, c0, blob, "recompressed blob fits its record")
rc, out, err = verify(d)
t.check(rc == 2 and f"rewind: trace damaged: checkpoint at icount {c0['icount']}: its RAM "
        "page 0x" in err and "differs: restoring it would not give the "
        "recorded state\n" in err, "checkpoint that would restore another state", err)

# replay --seek through such a checkpoint: increments build on each other
# (XOR page entries), so the state a seek restores is checked against the
# hash recorded with the last checkpoint it used.
skd = copy(sk, "seek-ckram.rwd")
skdata = open(ck_path(skd), "rb").read()
cs = [c for c in sk_ck if c["icount"] <= target][-1]
sblob = bytearray(unzstd(skdata[cs["data"]:cs["end"]], cs["raw_len"]))
pages_end = pages_end_of(sblob)
t.check(len(sblob) > 8192 and u64(sblob, pages_end - 8) >> 63 == 0 and
        u64(sblob, pages_end - 4104) & ~(1 << 62) < 1 << 40,
        "the seek's checkpoint ends with a page entry that carries bytes",
        cs["icount"])
sblob[pages_end - 4096 + 100] ^= 0x40
rewrite_checkpoint(skd, skdata, cs, sblob,
                   "recompressed seek blob fits its record")
rc, out, err = run(exe, "replay", skd, "--quiet", "--seek", str(target))
t.check(rc == 2 and f"--seek {target}: checkpoint at icount {cs['icount']}: "
        "the state restored does not have the recorded hash " in err,
        "--seek through a checkpoint that restores another state", err)

# A valid record more than the event log announces.
d = copy(good, "ckextra.rwd")
c5 = ckpts[5]
extra = bytearray(data[c5["off"]:c5["end"]])
struct.pack_into("<Q", extra, 16, 6)
with open(ck_path(d), "ab") as f:
    f.write(seal(extra[:64]) + extra[64:])
rc, out, err = verify(d)
t.check(rc == 2 and f"rewind: trace damaged: {d}/checkpoints.zst holds 7 "
        "checkpoints, the event log announces 6\n" in err,
        "extra checkpoint record", err)
rc, out, err = run(exe, "info", d)
t.check(rc == 2 and "warning:      checkpoints.zst holds 7 checkpoints, the "
        "event log announces 6" in out, "info: extra checkpoint record", out)

# events.zst cut on a frame boundary, then inside a frame.
ev = open(ev_path(good), "rb").read()
k = 3
for name, cut, extra_msg in [
        ("boundary", frames[k]["end"], ""),
        ("inside", (frames[k + 1]["off"] + frames[k + 1]["end"]) // 2,
         f"; events.zst: truncated after frame {k} (icount {frames[k]['last']})")]:
    d = copy(good, f"cut-{name}.rwd")
    with open(ev_path(d), "wb") as f:
        f.write(ev[:cut])
    rc, out, err = verify(d)
    t.check(rc == 3 and f"rewind: identical up to icount {frames[k]['last']}, "
            f"{INCOMPLETE}: the trace ends without an END record" in err and
            extra_msg in err, f"events.zst cut {name} a frame", err)
    rc, out, err = verify(d, "--allow-incomplete")
    t.check(rc == 0 and INCOMPLETE in err, f"cut {name}: --allow-incomplete", err)

# Garbage, or a second copy of the final frame, after the END frame.
for name, tail in [("garbage", b"garbage\n"),
                   ("frame", ev[frames[-1]["off"]:frames[-1]["end"]])]:
    d = copy(good, f"after-end-{name}.rwd")
    with open(ev_path(d), "ab") as f:
        f.write(tail)
    rc, out, err = verify(d)
    t.check(rc == 2 and f"rewind: trace damaged: {d}/events.zst: {len(tail)} bytes "
            f"after the END frame (frame {len(frames) - 1}) at offset {len(ev)}\n"
            in err, f"{name} after END", err)

# Metadata whose input hashes were removed (frame 0 re-encoded).
for name, drop in [("hash", lambda k: k.endswith(".hash")),
                   ("inputs", lambda k: k.startswith("input."))]:
    d = copy(short, f"meta-{name}.rwd")
    sev = open(ev_path(d), "rb").read()
    f0 = records(ev_path(d))[0]
    raw = unzstd(sev[f0["data"]:f0["end"]], f0["raw_len"])
    p = 0
    kind, p = leb(raw, p)
    hart, p = leb(raw, p)
    icount, p = leb(raw, p)
    ln, p = leb(raw, p)
    entries = raw[p:p + ln].split(b"\0")[:-1]
    kept = b"".join(e + b"\0" for e in entries
                    if not drop(e.split(b"=")[0].decode()))
    t.check(len(kept) < ln, f"metadata edit ({name}) removes something")
    raw = mkleb(kind) + mkleb(hart) + mkleb(icount) + mkleb(len(kept)) + kept
    comp = mkzstd(raw)
    h = bytearray(sev[:64])
    struct.pack_into("<III", h, 48, len(comp), len(raw), zlib.crc32(comp))
    with open(ev_path(d), "wb") as f:
        f.write(seal(h) + comp + sev[f0["end"]:])
    rc, out, err = verify(d)
    if name == "hash":
        # An input entry missing one of its fields is malformed metadata.
        want = (f"rewind: {d}/events.zst: frame 0 (icount 0-0) at offset 0: "
                "META lacks a field of an input")
    else:
        # No entry at all: the command line still loads -kernel.
        want = (f"rewind: {d}: the recorded metadata has no input hash "
                f"for -kernel {hello}: cannot check")
    t.check(rc == 2 and want in err, f"metadata without input {name} refused", err)

# A recorder killed with SIGKILL (no END).
d = os.path.join(tmp, "killed.rwd")
p = spawn([exe, "record", "-o", d, "--checkpoint-every", "20000000",
           *machine, "-kernel", workload], stdin=subprocess.DEVNULL,
          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
deadline = time.monotonic() + 120
while time.monotonic() < deadline and p.poll() is None:
    # Ready once a second checkpoint is on disk.
    if os.path.exists(ck_path(d)) and len(records(ck_path(d))) >= 2:
        break
    time.sleep(0.05)
p.send_signal(signal.SIGKILL)
p.wait()
rc, out, err = run(exe, "info", d)
t.check(rc == 0 and "state:        incomplete" in out, "info on a killed recording",
        out + err)
junit = os.path.join(tmp, "killed.xml")
rc, out, err = verify(d, "--junit", junit)
xml = open(junit).read() if os.path.exists(junit) else ""
t.check(rc == 3 and err.startswith("rewind: identical up to icount ") and
        INCOMPLETE in err, "killed recorder: exit 3 and the incomplete message", err)
t.check('failures="1"' in xml and '<failure message="the recording is incomplete">'
        in xml and INCOMPLETE in xml, "killed recorder: JUnit failure", xml)
rc, out, err = verify(d, "--allow-incomplete", "--junit", junit)
xml = open(junit).read()
t.check(rc == 0 and INCOMPLETE in err, "killed recorder: --allow-incomplete", err)
t.check('failures="0"' in xml and "<failure" not in xml,
        "killed recorder: JUnit passes with --allow-incomplete", xml)


# A recorder stopped by SIGTERM writes SHUTDOWN, then END: verify goes on
# to END and checks the final state.
d = os.path.join(tmp, "term.rwd")
p = spawn([exe, "record", "-o", d, "--checkpoint-every", "20000000",
           *machine, "-kernel", workload], stdin=subprocess.DEVNULL,
          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
deadline = time.monotonic() + 120
while time.monotonic() < deadline and p.poll() is None:
    if os.path.exists(ck_path(d)) and len(records(ck_path(d))) >= 2:
        break
    time.sleep(0.05)
p.send_signal(signal.SIGTERM)
p.wait()
rc, out, err = verify(d)
t.check(rc == 0 and "(the recording was stopped by a request), every event, " in err
        and "checkpoints and the final state match" in err,
        "recorder stopped by SIGTERM: verified to its END", err)


# A full disk (the file size limit, as ENOSPC would): 0 instructions.
def small_disk():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (200000, 200000))


d = os.path.join(tmp, "full.rwd")
p = subprocess.run([exe, "record", "-o", d, *machine, "-kernel", workload],
                   preexec_fn=small_disk,
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
t.check(p.returncode != 0 and b"File too large" in p.stderr,
        "recording on a full disk fails loudly", p.stderr)
rc, out, err = verify(d)
t.check(rc == 3 and err.startswith("rewind: identical up to icount 0, " + INCOMPLETE),
        "full disk: 0 instructions is incomplete", err)
t.finish()
