"""Record, replay, verify, seek and trace robustness on bare-metal guests.

Each case states what a user relies on: a verified replay is bit for bit,
a divergence is reported at the right checkpoint window and as what it is
(registers, RAM, a device, the console, the final state; injected with the
--perturb-at test hook), a seek through a checkpoint lands exactly, serial
input is replayed from the trace alone, a damaged or foreign trace is
refused with a message naming the file, and a recorder killed with SIGKILL
leaves a usable trace. tests/mutations/ plants the bugs this must catch.
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, flip_byte, run, stats, spawn  # noqa: E402

exe, hello, rv64i, spin, echo, steps = sys.argv[1:7]
t = Suite("replay")
tmp = tempfile.mkdtemp()
machine = ["-M", "virt", "-bios", "none", "-nographic"]


def record(name, kernel, *extra):
    d = os.path.join(tmp, name)
    rc, out, err = run(exe, "record", "-o", d, *extra, *machine, "-kernel", kernel,
                       timeout=300)
    return d, rc, out, err


# 1. Record then verify and replay: identical console and final state.
d, rc, rec_out, rec_err = record("hello.rwd", hello, "--stats")
t.check(rc == 0 and "recorded" in rec_err, "record hello", rec_err)
t.check("Hello from rewind guest" in rec_out and "PASS hello" in rec_out,
        "the recorded guest printed its lines", rec_out)
rc, out, err = run(exe, "verify", d)
t.check(rc == 0 and "replay identical" in err, "verify hello", err)
rc, out, err = run(exe, "replay", d, "--stats")
t.check(rc == 0 and out == rec_out, "replay prints the recorded console", out)
a, b = stats(rec_err), stats(err)
t.check(a.get("icount") and a.get("state_hash") and
        (a.get("icount"), a.get("state_hash")) == (b.get("icount"), b.get("state_hash")),
        "replay ends at the recorded icount and state hash", f"{a} vs {b}")

# 2. info and query.
rc, out, err = run(exe, "info", d)
t.check(rc == 0 and "complete" in out and "CONSOLE=" in out and "checkpoints:" in out,
        "info", out + err)
rc, out, err = run(exe, "query", d, "SELECT kind, count(*) FROM events GROUP BY kind ORDER BY kind")
t.check(rc == 0 and "CONSOLE" in out and "END" in out, "query events", out + err)
rc, out, err = run(exe, "query", d, "SELECT text FROM console ORDER BY line")
t.check(rc == 0 and "Hello from rewind guest" in out, "query console lines", out + err)
rc, out, err = run(exe, "query", d, "DELETE FROM events")
t.check(rc != 0, "query is read-only", out + err)
rc, out2, err = run(exe, "query", d, "SELECT count(*) FROM events")
t.check(rc == 0 and out2.split()[-1] != "0", "nothing deleted", out2)

# 3. Seek through checkpoints == straight replay, at random points.
d, rc, _, err = record("rv64i.rwd", rv64i, "--checkpoint-every", "400")
t.check(rc == 0, "record rv64i with dense checkpoints", err)
rc, _, err = run(exe, "info", d)
total = int(stats(run(exe, "replay", d, "--quiet", "--stats")[2]).get("icount", "0"))
rng = random.Random(7)
for n in sorted(rng.sample(range(1, total), 5)):
    a = stats(run(exe, "replay", d, "--quiet", "--until", str(n), "--stats")[2])
    b = stats(run(exe, "replay", d, "--quiet", "--seek", str(n), "--stats")[2])
    t.check(a.get("icount") == str(n) and a.get("state_hash") == b.get("state_hash"),
            f"seek to {n} == straight replay to {n}", f"{a} vs {b}")

# 4. An injected divergence is reported in the right checkpoint window,
#    and each kind of divergence is reported as what it is.
n = total // 2
rc, out, err = run(exe, "verify", d, "--perturb-at", str(n))
t.check(rc == 1 and "divergence" in err, "injected divergence detected", err)
lo = hi = None
for line in err.splitlines():
    if "arose between icount" in line:
        parts = line.replace("(", " ").split()
        lo = int(parts[parts.index("icount") + 1])
        hi = int(line.split("and")[-1].split()[0])
t.check(lo is not None and lo <= n <= hi and hi - lo <= 400,
        f"window [{lo}, {hi}] contains {n}", err)
t.check("hart state" in err, "report names the hart state", err)


def what_differs(err):
    """The lines after 'what differs:' of a checkpoint divergence report."""
    return err.split("what differs:", 1)[1] if "what differs:" in err else ""


rc, out, err = run(exe, "verify", d, "--perturb-at", f"{n}:ram")
diff = what_differs(err)
t.check(rc == 1 and "checkpoint at icount" in err and "RAM 0x87f00000-" in diff
        and "hart state" not in diff and "device" not in diff,
        "a RAM divergence is reported as RAM", err)
rc, out, err = run(exe, "verify", d, "--perturb-at", f"{n}:device")
diff = what_differs(err)
t.check(rc == 1 and "device uart16550 differs" in diff and "RAM" not in diff
        and "hart state" not in diff,
        "a device register divergence names the device", err)
rc, out, err = run(exe, "verify", d, "--perturb-at", f"{n}:console")
t.check(rc == 1 and "divergence: console output differs" in err
        and "replay printed 0x01" in err,
        "a console divergence is reported as console", err)
# At the last icount nothing runs after the change: only the final-state
# hash of the END record can see it.
rc, out, err = run(exe, "verify", d, "--perturb-at", f"{total}:ram")
t.check(rc == 1 and f"final state at icount {total} differs" in err,
        "a final-state divergence is reported at the END", err)
rc, out, err = run(exe, "verify", d, "--perturb-at", "1:nonsense")
t.check(rc == 2 and "nonsense" in err, "unknown --perturb-at kind refused", err)
junit = os.path.join(tmp, "junit.xml")
rc, out, err = run(exe, "verify", d, "--perturb-at", str(n), "--junit", junit)
with open(junit) as f:
    xml = f.read()
t.check(rc == 1 and "<failure" in xml and "testsuite" in xml, "JUnit failure", xml)
rc, out, err = run(exe, "verify", d, "--junit", junit)
with open(junit) as f:
    xml = f.read()
t.check(rc == 0 and "<failure" not in xml and 'failures="0"' in xml, "JUnit pass", xml)

# 5. A changed input image is refused, naming it.
kernel = os.path.join(tmp, "copy.elf")
shutil.copy(hello, kernel)
d, rc, _, err = record("copy.rwd", kernel)
flip_byte(kernel, 200, 0xff)
rc, out, err = run(exe, "verify", d)
t.check(rc == 2 and kernel in err and "differs" in err, "changed kernel refused", err)
# A raw image (-initrd) is hashed as the loader copies it, 256 KiB at a
# time: the recorded hash is the file's (core/hash.c, below), and a change
# in its last byte is refused too.
M64 = (1 << 64) - 1
K1, K2, K3 = 0x9e3779b97f4a7c15, 0xc2b2ae3d27d4eb4f, 0x165667b19e3779f9


def rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M64


def core_hash(data):
    lane = [K1, K2, K3, K1 ^ K2]
    full = len(data) - len(data) % 32
    for o in range(0, full, 32):
        for i in range(4):
            w = int.from_bytes(data[o + 8 * i:o + 8 * i + 8], "little")
            lane[i] = (rotl(lane[i] ^ (w * K2 & M64), 31) * K1) & M64
    v = (rotl(lane[0], 1) + rotl(lane[1], 7) + rotl(lane[2], 12) +
         rotl(lane[3], 18)) & M64
    v ^= len(data) * K3 & M64
    for b in data[full:]:
        v = rotl(((v ^ b) * K1) & M64, 23)
    v = ((v ^ (v >> 33)) * K2) & M64
    v = ((v ^ (v >> 29)) * K3) & M64
    return v ^ (v >> 32)


initrd = os.path.join(tmp, "initrd.bin")
with open(initrd, "wb") as f:
    f.write(bytes((i * 7 + (i >> 9)) & 0xff for i in range(300000)))
d, rc, _, err = record("initrd.rwd", hello, "-initrd", initrd)
t.check(rc == 0, "record with a raw -initrd", err)
rc, out, err = run(exe, "query", d, "SELECT size, hash FROM inputs "
                   "WHERE name = 'initrd'")
want = f"300000\t{core_hash(open(initrd, 'rb').read()):016x}"
t.check(out.splitlines()[-1:] == [want], "the -initrd's recorded size and "
        "hash are the file's", f"{out} vs {want}")
rc, out, err = run(exe, "verify", d)
t.check(rc == 0, "verify with the -initrd unchanged", err)
flip_byte(initrd, 299999, 0x01)
rc, out, err = run(exe, "verify", d)
t.check(rc == 2 and initrd in err and "differs" in err,
        "a changed last byte of a raw -initrd refused", err)

# 6. Damaged traces: corrupt byte, truncation, missing index, not a trace.
d, rc, _, err = record("damage.rwd", rv64i, "--checkpoint-every", "5000")
events = os.path.join(d, "events.zst")
good = open(events, "rb").read()
with open(events, "r+b") as f:
    f.seek(len(good) // 2)
    f.write(bytes([good[len(good) // 2] ^ 0x55]))
rc, out, err = run(exe, "verify", d)
t.check(rc == 2 and "events.zst" in err and "frame" in err, "corrupt frame reported", err)
rc, out, err = run(exe, "info", d)
t.check("events.zst" in out + err, "info names the damage", out + err)
with open(events, "wb") as f:
    f.write(good[: len(good) - 7])
rc, out, err = run(exe, "verify", d)
t.check(rc == 3 and "but the recording is incomplete" in err,
        "truncated trace verifies up to its last frame (exit 3: incomplete)", err)
with open(events, "wb") as f:
    f.write(good)
os.remove(os.path.join(d, "index.sqlite"))
rc, out, err = run(exe, "query", d, "SELECT 1")
t.check(rc == 2 and "reindex" in err, "missing index explained", err)
rc, out, err = run(exe, "info", d)
t.check(rc == 0 and "complete" in out, "info works without index", out + err)
rc, out, err = run(exe, "trace", "reindex", d)
t.check(rc == 0, "reindex", err)
rc, out, err = run(exe, "query", d, "SELECT count(*) FROM checkpoints")
t.check(rc == 0 and int(out.split()[-1]) >= 1, "reindexed checkpoints", out + err)
rc, out, err = run(exe, "verify", d)
t.check(rc == 0, "verify after reindex", err)
rc, out, err = run(exe, "verify", os.path.join(tmp, "nothing-here"))
t.check(rc == 2 and "nothing-here" in err, "missing trace directory", err)
rc, out, err = run(exe, "record", "-o", d, *machine, "-kernel", hello)
t.check(rc != 0 and d in err, "record refuses to overwrite a trace", err)
t.check(open(events, "rb").read() == good, "existing trace untouched")

# 7. SIGKILL during recording leaves a usable trace. The guest never ends
#    (about 10^10 instructions); kill it once the event log has grown after
#    the first checkpoint record reached checkpoints.zst, so that the
#    CHECKPOINT event is on disk (growing past the META frame alone is not
#    enough: the log can be empty when first looked at).
d = os.path.join(tmp, "killed.rwd")
events = os.path.join(d, "events.zst")
ckpts = os.path.join(d, "checkpoints.zst")
p = spawn([exe, "record", "-o", d, "--checkpoint-every", "50000000",
           *machine, "-kernel", spin],
          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
          stderr=subprocess.DEVNULL)
first = None
deadline = time.monotonic() + 60
while p.poll() is None and time.monotonic() < deadline:
    if first is None:
        if os.path.exists(ckpts) and os.path.getsize(ckpts) > 0:
            first = os.path.getsize(events)
    elif os.path.getsize(events) > first:
        break
    time.sleep(0.01)
t.check(p.poll() is None, "the recorder of a guest that never ends is still running")
p.send_signal(signal.SIGKILL)
p.wait()
rc, out, err = run(exe, "info", d)
t.check(rc == 0 and "incomplete" in out and "CHECKPOINT=" in out,
        "info on a killed recording", out + err)
rc, out, err = run(exe, "verify", d, timeout=300)
t.check(rc == 3 and "but the recording is incomplete" in err,
        "verify a killed recording (exit 3: incomplete)", err)

# 8. A seek that goes through a checkpoint lands exactly: on a checkpoint,
#    one before and one after, compared with a straight replay --until.
#    steps.elf runs past the distance a seek covers without a checkpoint.
d, rc, _, err = record("steps.rwd", steps, "--checkpoint-every", "100000")
t.check(rc == 0, "record steps", err)
rc, out, err = run(exe, "query", d, "SELECT icount FROM checkpoints ORDER BY icount")
cps = [int(x) for x in out.split() if x.isdigit()]
t.check(rc == 0 and 2500000 in cps and len(cps) >= 40,
        "steps has a checkpoint every 100000 instructions", out + err)
for n in (2499999, 2500000, 2500001):
    a = stats(run(exe, "replay", d, "--quiet", "--until", str(n), "--stats")[2])
    rc, out, err = run(exe, "replay", d, "--quiet", "--seek", str(n), "--stats")
    b = stats(err)
    t.check(rc == 0 and a.get("icount") == str(n) and b.get("icount") == str(n)
            and a.get("state_hash") and a.get("state_hash") == b.get("state_hash"),
            f"seek to {n} through a checkpoint == replay --until {n}",
            f"{a} vs {b}\n{err}")

# 9. Serial input: recorded from a pipe, replayed with no input at all.
d = os.path.join(tmp, "echo.rwd")
p = subprocess.run([exe, "record", "-o", d, *machine, "-kernel", echo],
                   input=b"Hi rewind\n.", capture_output=True, timeout=120)
rec_out = p.stdout.decode(errors="replace")
t.check(p.returncode == 0 and "echo: first byte 0x0000000000000048, 10 bytes: "
        "[Hi rewind\n]" in rec_out, "the echo guest read the piped input",
        rec_out + p.stderr.decode(errors="replace"))
rc, out, err = run(exe, "replay", d)   # stdin is /dev/null
t.check(rc == 0 and out == rec_out and "replay identical" in err,
        "replay without input prints the same echo", out + err)
rc, out, err = run(exe, "verify", d)
t.check(rc == 0 and "replay identical" in err, "verify the echo recording", err)

# 10. QEMU's spelling records too.
d = os.path.join(tmp, "qemu.rwd")
rc, out, err = run(exe, "run", *machine, "-icount", f"shift=3,rr=record,rrfile={d}",
                   "-kernel", hello)
t.check(rc == 0 and os.path.isdir(d), "-icount rr=record,rrfile=", err)
rc, out, err = run(exe, "verify", d)
t.check(rc == 0, "verify the -icount recording", err)
t.finish()
