"""The derived-event index of a recorded Linux boot (the guest kit's
busybox test run): `syscalls user` lists the run's execve and write
calls, and each line the test script prints comes from a write(1, buf,
len(line) + 1) just before the console line; the UART's interrupt (PLIC
source 10) is raised and claimed; timer interrupts and SBI TIME calls
are there; `rewind trace index` on a copy gives the same rows as the
recording (the observer sees the same run), and its time and the index
size are printed as figures; the timeline has one console-line mark per
console line. REWIND_FLUSH_MS sets the recorder's flush interval: the
same run recorded flushing every millisecond and every 1000 s has the
same events, console lines and derived rows in many frames and in few."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run, ensure_kit, spawn  # noqa: E402

exe, repo, kit, driver = sys.argv[1:5]
t = Suite("linux-dindex")
ensure_kit("the Linux derived-index test", repo, kit)
tmp = tempfile.mkdtemp()
trace = os.path.join(tmp, "boot.rwd")

t0 = time.time()
p = spawn([exe, "record", "-o", trace, "-M", "virt", "-m", "512M",
           "-kernel", os.path.join(kit, "Image"),
           "-initrd", os.path.join(kit, "initrd.gz"),
           "-append", "console=ttyS0", "-nographic",
           "-rtc", "base=2026-01-01T00:00:00"],
          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
          stderr=subprocess.PIPE)
# While it records (a live shell's trace), the commands read the rows
# flushed so far.
live = ""
while p.poll() is None and not live:
    if os.path.exists(os.path.join(trace, "index.sqlite-wal")):
        q = subprocess.run([driver, trace, "traps", "0", "100000000000"],
                           capture_output=True, timeout=120)
        if q.returncode == 0 and b"\n#1 " in q.stdout:
            live = q.stdout.decode(errors="replace")
        elif q.returncode != 0:
            live = "error: " + q.stderr.decode(errors="replace")
    time.sleep(0.2)
out, err = p.communicate(timeout=1200)
rc, out, err = p.returncode, out.decode(errors="replace"), err.decode(errors="replace")
record_s = time.time() - t0
t.check(rc == 0 and "REWIND-TEST-DONE" in out, "record the busybox run", err)
t.check(live.startswith("(partial: rows of a recording still running") and
        "\n#1 " in live, "traps on the trace being recorded", live[:300])


def query(d, sql):
    rc, out, err = run(exe, "query", d, sql)
    t.check(rc == 0, f"query {sql}", err)
    return [line.split("\t") for line in out.splitlines()[1:]]


def dix(*args):
    p = subprocess.run([driver, trace, *args], capture_output=True,
                       timeout=300)
    return (p.returncode, p.stdout.decode(errors="replace"),
            p.stderr.decode(errors="replace"))


rc, out, err = dix("syscalls", "user")
user = out.splitlines()
t.check(rc == 0 and all(" U " in line for line in user),
        "syscalls user: only U-mode calls", err + out[:300])
execs = [line for line in user if re.search(r" U execve\(0x[0-9a-f]+, ", line)]
t.check(len(execs) >= 2, "syscalls user lists the run's execve calls",
        "\n".join(user[:20]))

for text in ["REWIND-BOOT-OK", "rewind-test: start", "REWIND-TEST-DONE"]:
    line = query(trace, "SELECT icount FROM console WHERE text = '%s'" % text)
    if not line:
        t.check(False, f"console line {text!r} recorded")
        continue
    at = int(line[0][0])
    w = query(trace, "SELECT icount FROM ecalls WHERE priv = 0 AND nr = 64"
              " AND icount < %d ORDER BY icount DESC LIMIT 1" % at)
    if not w:
        t.check(False, f"a write before {text!r}")
        continue
    rc, out, err = dix("syscalls", "user", w[0][0], str(at))
    first = out.splitlines()[0] if out else ""
    t.check(rc == 0 and re.search(r" U write\(0x1, 0x[0-9a-f]+, 0x%x\)$"
                                  % (len(text) + 1), first),
            f"{text!r} was printed by write(1, buf, {len(text) + 1})",
            out[:400] + err)

# docs/shell.md's example, as written there.
rc, out, err = dix("console", "/REWIND-BOOT-OK/")
t.check(rc == 0 and re.fullmatch(r" +\d+  icount \d+ +REWIND-BOOT-OK\n", out),
        "console /REWIND-BOOT-OK/: one line with its icount", out + err)

rc, out, err = dix("syscalls", "sbi")
t.check(rc == 0 and " S sbi TIME fid 0 (" in out, "SBI TIME calls from S",
        out[:300])
irqs = {(r[0], r[1]) for r in query(trace, "SELECT DISTINCT source, kind FROM"
                                    " irqs")}
t.check({("10", "raise"), ("10", "claim"), ("10", "complete")} <= irqs,
        "the UART's PLIC source 10 raised, claimed, completed", str(irqs))
causes = {(r[0], r[1]) for r in query(trace, "SELECT DISTINCT cause, irq FROM"
                                      " traps")}
t.check({("5", "1"), ("9", "0"), ("8", "0"), ("13", "0")} <= causes,
        "timer interrupts, SBI and user ecalls, load page faults", str(causes))

rows = [query(trace, "SELECT * FROM %s" % tbl)
        for tbl in ("traps", "ecalls", "irqs ORDER BY rowid")]
copy = os.path.join(tmp, "copy.rwd")
shutil.copytree(trace, copy)
t0 = time.time()
rc, out, err = run(exe, "trace", "index", copy, timeout=1200)
index_s = time.time() - t0
t.check(rc == 0, "trace index of the Linux trace", err)
t.check([query(copy, "SELECT * FROM %s" % tbl)
         for tbl in ("traps", "ecalls", "irqs ORDER BY rowid")] == rows,
        "trace index gives the recording's rows")
size = os.path.getsize(os.path.join(copy, "index.sqlite"))
rc2, base, _ = run(exe, "query", copy, "SELECT (SELECT COUNT(*) FROM traps),"
                   " (SELECT COUNT(*) FROM ecalls), (SELECT COUNT(*) FROM irqs),"
                   " (SELECT MAX(last_icount) FROM frames)")
print(f"figures: record {record_s:.1f} s; trace index {index_s:.1f} s; "
      f"index.sqlite {size} bytes; traps/ecalls/irqs/icount "
      f"{base.splitlines()[-1] if base else '?'}")

svg = os.path.join(tmp, "boot.svg")
rc, out, err = run(exe, "trace", "timeline", trace, "-o", svg)
n_lines = int(query(trace, "SELECT COUNT(*) FROM console")[0][0])
try:
    marks = [e for e in ET.parse(svg).getroot().iter()
             if e.get("class") == "console-line"]
    t.check(rc == 0 and len(marks) == n_lines,
            "timeline: one console-line mark per console line",
            f"{len(marks)} vs {n_lines}")
except (ET.ParseError, OSError) as e:
    t.check(False, "timeline SVG parses", str(e))

# The flush interval (REWIND_FLUSH_MS, for bench/rr_bench.py --instructions
# under valgrind): frames and derived batches come that often, the trace
# says the same.
def flushed(ms):
    d = os.path.join(tmp, f"flush{ms}.rwd")
    env = dict(os.environ, REWIND_FLUSH_MS=str(ms))
    p = subprocess.run([exe, "record", "-o", d, "-M", "virt", "-m", "512M",
                        "-kernel", os.path.join(kit, "Image"),
                        "-initrd", os.path.join(kit, "initrd.gz"),
                        "-append", "console=ttyS0", "-nographic",
                        "-rtc", "base=2026-01-01T00:00:00"], env=env,
                       stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=600)
    t.check(p.returncode == 0 and b"REWIND_FLUSH_MS" not in p.stderr,
            f"record with REWIND_FLUSH_MS={ms}", p.stderr.decode())
    frames = int(query(d, "SELECT COUNT(*) FROM frames")[0][0])
    # A flush writes the console text of an unfinished line as it is: the
    # CONSOLE events are cut differently, the index's lines are the same.
    content = [query(d, sql) for sql in (
        "SELECT kind, icount, hart, summary FROM events WHERE kind NOT IN "
        "('META', 'CONSOLE') ORDER BY id", "SELECT * FROM traps",
        "SELECT * FROM ecalls", "SELECT * FROM irqs ORDER BY rowid",
        "SELECT icount, text FROM console")]
    return frames, content


often, rare = flushed(1), flushed(1000000)
t.check(often[0] > 2 * rare[0] and often[1] == rare[1] and
        len(often[1][1]) > 1000,
        "REWIND_FLUSH_MS=1: many more frames than 1000000, the same events "
        "and derived rows", f"{often[0]} vs {rare[0]} frames, "
        f"{len(often[1][1])} traps")
p = subprocess.run([exe, "record", "-o", os.path.join(tmp, "bad.rwd"), "-M",
                    "virt", "-bios", "none", "-nographic", "-kernel",
                    os.path.join(kit, "Image"), "-max-insns", "1000"],
                   env=dict(os.environ, REWIND_FLUSH_MS="0"),
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
t.check(p.returncode == 0 and b"REWIND_FLUSH_MS=0 is not a number of "
        b"milliseconds from 1 to 1000000; flushing every 100 ms" in p.stderr,
        "REWIND_FLUSH_MS=0: said, the default used", p.stderr.decode())

t.finish()
