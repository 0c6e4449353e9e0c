#!/usr/bin/env python3
"""The trace writer's thread under a real recording (tracedb/writer.c).

1. A recording made with the writer's thread and one made with
   REWIND_TRACE_WRITER=sync (every job inline) have the same
   checkpoints.zst byte for byte, the same checkpoint rows and the same
   events; both verify.
2. A recorder killed mid-checkpoint (the test hook REWIND_TEST_WRITER_KILL
   raises SIGKILL when checkpoint 2's record is written and the frame of
   its CHECKPOINT event is not): the index names no checkpoint that is not
   announced in events.zst, and the trace verifies up to its last flushed
   frame (exit 3, incomplete) and seeks there.
3. `record -stats` says what the recording cost: as many checkpoints as
   the index has, the bytes of the two trace files, and the writer
   thread's CPU time (none when REWIND_TRACE_WRITER=sync runs its jobs on
   the machine's thread); `run -stats` has no such line.
"""
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run  # noqa: E402

exe, steps, spin = sys.argv[1:4]
t = Suite("ckpt-writer")
tmp = tempfile.mkdtemp()
machine = ["-M", "virt", "-bios", "none", "-nographic"]


def record(name, kernel, env_extra, *extra):
    d = os.path.join(tmp, name)
    env = {k: v for k, v in os.environ.items()
           if k not in ("REWIND_TRACE_WRITER", "REWIND_TEST_WRITER_KILL")}
    env.update(env_extra)
    p = subprocess.run([exe, "record", "-o", d, *extra, *machine, "-kernel",
                        kernel], stdin=subprocess.DEVNULL, capture_output=True,
                       env=env, timeout=300)
    return d, p.returncode, p.stderr.decode(errors="replace")


def query(d, sql):
    rc, out, err = run(exe, "query", d, sql)
    return out if rc == 0 else "error: " + err


# 1. Threaded and single-threaded recordings of the same run.
a, rca, erra = record("threaded.rwd", steps, {}, "--checkpoint-every", "100000")
b, rcb, errb = record("sync.rwd", steps, {"REWIND_TRACE_WRITER": "sync"},
                      "--checkpoint-every", "100000")
t.check(rca == 0 and rcb == 0, "record steps both ways", erra + errb)
ca = open(os.path.join(a, "checkpoints.zst"), "rb").read()
cb = open(os.path.join(b, "checkpoints.zst"), "rb").read()
t.check(len(ca) > 10000 and ca == cb,
        "checkpoints.zst: threaded == single-threaded, byte for byte",
        f"{len(ca)} vs {len(cb)} bytes")
qa = query(a, "SELECT id, icount, state_hash, offset, length FROM checkpoints")
qb = query(b, "SELECT id, icount, state_hash, offset, length FROM checkpoints")
t.check(qa == qb and qa.count("\n") > 40, "the same checkpoint rows", qa + qb)
ev = ("SELECT kind, icount, hart, summary FROM events WHERE kind != 'META' "
      "ORDER BY id")
t.check(query(a, ev) == query(b, ev), "the same events")
for d in (a, b):
    rc, out, err = run(exe, "verify", d, timeout=300)
    t.check(rc == 0 and "replay identical" in err, f"verify {d}", err)

# 2. Killed between a checkpoint's record and its CHECKPOINT event's frame.
d, rc, err = record("killed.rwd", spin, {"REWIND_TEST_WRITER_KILL": "2"},
                    "--checkpoint-every", "50000000")
t.check(rc == -9, "the recorder died by SIGKILL at checkpoint 2", f"{rc} {err}")
db = sqlite3.connect(os.path.join(d, "index.sqlite"))   # reads the WAL
rows = db.execute("SELECT id, icount, offset, length FROM checkpoints "
                  "ORDER BY id").fetchall()
db.close()
t.check([r[0] for r in rows] == [0, 1],
        "the index names checkpoints 0 and 1, not 2 (not announced yet)",
        str(rows))
ck = os.path.getsize(os.path.join(d, "checkpoints.zst"))
t.check(len(rows) == 2 and ck > rows[1][2] + rows[1][3],
        "checkpoint 2's record is in checkpoints.zst, unannounced",
        f"{ck} bytes, rows {rows}")
rc, out, err = run(exe, "info", d)
t.check(rc == 0 and "incomplete" in out and "CHECKPOINT=2" in out,
        "info: incomplete, two checkpoints announced", out + err)
rc, out, err = run(exe, "verify", d, timeout=300)
t.check(rc == 3 and "identical up to icount 50000000" in err
        and "but the recording is incomplete" in err,
        "verify up to the last flushed frame (exit 3)", err)
rc, out, err = run(exe, "replay", d, "--quiet", "--seek", "50000000")
t.check(rc == 0, "seek to the last checkpoint announced", err)

# 3. What the recording cost (record -stats).
def cost_of(err):
    m = re.search(r"^record: checkpoints=(\d+) snapshot_bytes=(\d+) "
                  r"capture_cpu_ms=([\d.]+) capture_wall_ms=([\d.]+) "
                  r"writer_cpu_ms=([\d.]+) trace_bytes=(\d+)$", err, re.M)
    return m and (int(m[1]), int(m[2]), float(m[3]), float(m[5]), int(m[6]),
                  float(m[4]))


for mode in ("threaded", "sync"):
    env = {"REWIND_TRACE_WRITER": "sync"} if mode == "sync" else {}
    d, rc, err = record(f"stats-{mode}.rwd", steps, env, "-stats",
                        "--checkpoint-every", "100000")
    cost = cost_of(err)
    t.check(rc == 0 and cost is not None, f"record -stats ({mode}): a "
            "record: line", err)
    if not cost:
        continue
    n, raw, capture, writer, trace, capture_wall = cost
    rows = query(d, "SELECT count(*) FROM checkpoints").split()
    files = sum(os.path.getsize(os.path.join(d, f))
                for f in ("events.zst", "checkpoints.zst"))
    t.check(rows[-1:] == [str(n)] and n > 40,
            f"record -stats ({mode}): checkpoints= is the index's count",
            f"{n} vs {rows}")
    t.check(trace == files, f"record -stats ({mode}): trace_bytes= is the "
            "size of events.zst + checkpoints.zst", f"{trace} vs {files}")
    t.check(raw > os.path.getsize(os.path.join(d, "checkpoints.zst")),
            f"record -stats ({mode}): snapshot_bytes= counts them "
            "uncompressed", str(cost))
    t.check((writer > 0) == (mode == "threaded") and capture > 0,
            f"record -stats ({mode}): the writer thread's CPU time "
            "(0 without one), the capture's", str(cost))
    # Thread CPU time never exceeds wall time (0.1 ms: the rounding).
    t.check(capture_wall + 0.1 >= capture,
            f"record -stats ({mode}): capture_wall_ms= the capture's "
            "wall time, at least its CPU time", str(cost))
rc, out, err = run(exe, "run", "-stats", *machine, "-kernel", steps)
t.check(rc == 0 and "icount=" in err and "record:" not in err,
        "run -stats: no record: line", err)

t.finish()
