"""The derived-event index on bare-metal traces (docs/shell.md, "The
derived-event index and the timeline"):

- recording fills traps/ecalls/irqs; every ecall row's icount and pc are
  those of an `ecall` instruction in the replay's instruction trace, and
  the privilege transitions are the program's (U->S delegated ecalls,
  S->M, M->M); priv_irq's UART interrupt (PLIC source 10) is raised,
  claimed and completed by context 0 and taken as cause 11 (MEI);
- `rewind trace index` gives the same rows as the recording, twice
  (idempotent), adds them to a trace recorded with --no-derived, keeps
  them across `trace reindex`, and refuses a damaged trace (exit 2, one
  line, old rows kept);
- the shell's commands (through dix_driver, as the shell calls them):
  traps, syscalls, sql, events, console, the trap -> icount lookup, and
  bad input (bad range, unknown kind, writing SQL, no such trap) with a
  one-line message;
- timeline: an SVG that an XML parser accepts, one console-line mark per
  console line, a bookmark drawn when the table has one.
"""
import json
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run, running  # noqa: E402

exe, driver, traps_elf, irq_elf = sys.argv[1:5]
t = Suite("dindex")
tmp = tempfile.mkdtemp()
machine = ["-bios", "none", "-nographic"]


def record(name, elf, *extra):
    d = os.path.join(tmp, name)
    rc, out, err = run(exe, "record", "-o", d, *extra, *machine, "-kernel",
                       elf, timeout=300)
    t.check(rc == 0, f"record {name}", err)
    return d


def query(d, sql):
    rc, out, err = run(exe, "query", d, sql)
    t.check(rc == 0, f"query {sql}", err)
    return [line.split("\t") for line in out.splitlines()[1:]]


def dix(d, *args, json_mode=False):
    p = subprocess.run([driver, *(["--json"] if json_mode else []), d, *args],
                       capture_output=True, timeout=120)
    return (p.returncode, p.stdout.decode(errors="replace"),
            p.stderr.decode(errors="replace"))


def derived(d):
    return (query(d, "SELECT * FROM traps ORDER BY id"),
            query(d, "SELECT * FROM ecalls ORDER BY trap"),
            query(d, "SELECT * FROM irqs ORDER BY rowid"))


# ---- recording fills the tables ----
tr = record("traps.rwd", traps_elf)
traps, ecalls, irqs = derived(tr)
t.check(len(traps) > 50 and len(ecalls) > 20,
        "priv_traps: traps and ecalls recorded", f"{len(traps)} {len(ecalls)}")
meta = dict(query(tr, "SELECT key, value FROM meta WHERE key LIKE 'derived%'"))
final = query(tr, "SELECT MAX(last_icount) FROM frames")[0][0]
t.check(meta.get("derived_by") == "record" and
        meta.get("derived_icount") == final,
        "the recording marks the tables complete to its end", str(meta))

# Each ecall row is an ecall instruction at that icount and pc.
trace_file = os.path.join(tmp, "insns.txt")
rc, _, err = run(exe, "replay", tr, "--quiet", "--trace", trace_file,
                 timeout=300)
insn = {}
for line in open(trace_file):
    f = line.split()
    insn.setdefault((int(f[0]), int(f[2], 16)), " ".join(f[4:]))
bad = [r for r in ecalls
       if insn.get((int(r[1]), int(traps[int(r[0]) - 1][5]) & (2**64 - 1)))
       != "ecall"]
t.check(rc == 0 and not bad, "every ecall row is an ecall at its icount and pc",
        str(bad[:3]))
# cause 8 from U delegated to S, cause 9 from S to M, cause 11 M to M.
kinds = {(int(r[3]), int(r[7]), int(r[8])) for r in traps}
for want in [(8, 0, 1), (9, 1, 3), (11, 3, 3), (2, 0, 1)]:
    t.check(want in kinds, f"a trap cause {want[0]} from {want[1]} to {want[2]}",
            str(sorted(kinds)))
t.check(all(int(r[3]) in (8, 9, 11) for r in traps if int(r[0]) in
            {int(e[0]) for e in ecalls}), "ecalls are traps of cause 8/9/11")

ir = record("irq.rwd", irq_elf)
itraps, _, iirqs = derived(ir)
src10 = [(r[2], r[3]) for r in iirqs if r[1] == "10"]
t.check(("raise", "-1") in src10 and ("claim", "0") in src10 and
        ("complete", "0") in src10,
        "priv_irq: PLIC source 10 raised, claimed and completed by context 0",
        str(iirqs[:10]))
icauses = {(int(r[3]), int(r[4])) for r in itraps}
t.check({(7, 1), (3, 1), (11, 1)} <= icauses,
        "priv_irq: MTI, MSI and MEI interrupts taken", str(sorted(icauses)))

# ---- rewind trace index ----
copy = os.path.join(tmp, "copy.rwd")
shutil.copytree(tr, copy)
for n in (1, 2):
    rc, out, err = run(exe, "trace", "index", copy, timeout=300)
    t.check(rc == 0 and "indexed %d traps" % len(traps) in out,
            f"trace index run {n}", out + err)
    t.check(derived(copy) == (traps, ecalls, irqs),
            f"trace index run {n}: the same rows as the recording")
t.check(err == "", "no progress bar when stderr is not a terminal", err)
t.check(sorted(os.listdir(copy)) == sorted(os.listdir(tr)),
        "trace index leaves no extra files", str(os.listdir(copy)))
# On a terminal, the progress bar: drawn on stderr, then erased.
master, slave = os.openpty()
with running([exe, "trace", "index", copy], stdin=subprocess.DEVNULL,
             stdout=subprocess.PIPE, stderr=slave) as p:
    os.close(slave)
    screen = b""
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:      # EIO: the child closed its end
            break
        if not data:
            break
        screen += data
    os.close(master)
    p.wait(timeout=300)
t.check(p.returncode == 0 and re.search(rb"\rindexing \[[# ]+\] +\d+%", screen)
        and screen.endswith(b"\r\x1b[K"),
        "trace index on a terminal: a progress bar, erased at the end",
        repr(screen[-300:]))
rc, out, err = run(exe, "trace", "reindex", copy)
t.check(rc == 0 and derived(copy) == (traps, ecalls, irqs),
        "trace reindex keeps the derived tables", err)

nod = record("noderived.rwd", traps_elf, "--no-derived")
rc, out, err = dix(nod, "traps")
t.check(rc == 1 and f"rewind trace index {nod}" in err and
        len(err.strip().splitlines()) == 1,
        "--no-derived: traps says how to build the index", err)
rc, out, err = run(exe, "trace", "index", nod, timeout=300)
t.check(rc == 0 and derived(nod) == (traps, ecalls, irqs),
        "trace index on a --no-derived trace gives the recording's rows", err)

# A trace whose index is schema 2 (an older rewind: no derived tables)
# stays readable, and trace index adds the tables.
old = os.path.join(tmp, "old.rwd")
shutil.copytree(tr, old)
db = sqlite3.connect(os.path.join(old, "index.sqlite"))
db.executescript("DROP TABLE traps; DROP TABLE ecalls; DROP TABLE irqs;"
                 "DELETE FROM meta WHERE key LIKE 'derived_%';"
                 "UPDATE meta SET value = '2' WHERE key = 'schema_version';")
db.close()
rc, out, err = run(exe, "query", old, "SELECT COUNT(*) FROM console")
t.check(rc == 0 and out.splitlines()[1:] == [str(len(query(tr, "SELECT * FROM console")))],
        "a schema-2 index is still queried", out + err)
rc, out, err = dix(old, "traps")
t.check(rc == 1 and "has no derived-event index" in err, "schema 2: traps says so",
        err)
rc, out, err = dix(old, "console", "/^PASS/")
t.check(rc == 0 and "PASS priv_traps" in out, "schema 2: console works", out + err)
rc, out, err = run(exe, "trace", "index", old, timeout=300)
t.check(rc == 0 and derived(old) == (traps, ecalls, irqs) and
        query(old, "SELECT value FROM meta WHERE key = 'schema_version'") == [["3"]],
        "trace index upgrades a schema-2 index", err)

damaged = os.path.join(tmp, "damaged.rwd")
shutil.copytree(tr, damaged)
data = bytearray(open(os.path.join(damaged, "events.zst"), "rb").read())
off, frames = 0, []
while off + 64 <= len(data):
    n = struct.unpack_from("<I", data, off + 48)[0]
    frames.append((off, n))
    off += 64 + n
o, n = frames[1]
data[o + 64 + n // 2] ^= 0xFF
open(os.path.join(damaged, "events.zst"), "wb").write(data)
rc, out, err = run(exe, "trace", "index", damaged, timeout=300)
t.check(rc == 2 and "checksum" in err and len(err.strip().splitlines()) == 1,
        "trace index refuses a damaged trace (exit 2, one line)", err)
t.check(derived(damaged) == (traps, ecalls, irqs),
        "a refused trace index leaves the old rows")
rc, out, err = run(exe, "trace", "index")
t.check(rc == 1 and "usage" in err, "trace index without DIR: usage", err)
rc, out, err = run(exe, "trace", "index", os.path.join(tmp, "nope"))
t.check(rc == 2 and "nope" in err, "trace index of a missing trace", err)

# ---- the shell's commands ----
rc, out, err = dix(tr, "traps")
lines = out.splitlines()
t.check(rc == 0 and len(lines) == len(traps) and
        lines[0].startswith(f"#1      icount {traps[0][1]} ") and
        "ecall-s" in lines[0] and "S->M" in lines[0],
        "traps lists every trap with its cause and privileges", out[:300])
first, second = int(traps[2][1]), int(traps[4][1])
rc, out, err = dix(tr, "traps", str(first), str(second))
t.check(rc == 0 and len(out.splitlines()) == 3, "traps FROM TO", out)
rc, out, err = dix(tr, "traps", "--json", "5")
t.check(rc == 1 and "bad range" in err, "traps with a bad range", err)
rc, out, err = dix(tr, "traps", "9", "3")
t.check(rc == 1 and "FROM must not be after TO" in err, "traps FROM > TO", err)
rc, out, err = dix(tr, "traps", first and str(first), str(first), json_mode=True)
obj = json.loads(out) if rc == 0 else {}
t.check(obj.get("ok") and obj["traps"][0]["icount"] == first and
        obj["traps"][0]["n"] == 3, "traps --json", out)

rc, out, err = dix(tr, "syscalls")
# priv_traps.c's U-mode ecalls have a7 = 0: Linux riscv64's io_setup (any
# number a kernel does not use would show as syscall_N).
LINUX = {0: "io_setup"}
want = [f"icount {e[1]} hart 0 " +
        (f"U {LINUX.get(int(e[4]), 'syscall_' + str(int(e[4]) & (2**64 - 1)))}("
         if e[3] == "0" else
         ("S sbi legacy set_timer fid" if e[4] == "0" else
          f"S sbi 0x{int(e[4]) & (2**64 - 1):x} fid") if e[3] == "1" else
         f"M ecall 0x{int(e[4]) & (2**64 - 1):x} fid") for e in ecalls]
got = [re.sub(r" +", " ", line) for line in out.splitlines()]
t.check(rc == 0 and len(got) == len(want) and
        all(g.startswith(w) for g, w in zip(got, want)),
        "syscalls: U ecalls as syscalls, S ecalls as SBI calls, M ecalls",
        "\n".join(f"{g!r} / {w!r}" for g, w in zip(got, want)
                  if not g.startswith(w))[:800])

rc, icount, err = dix(tr, "trap-icount", "3")
t.check(rc == 0 and icount.strip() == traps[2][1], "trap 3 -> its icount",
        icount + err)
rc, out, err = dix(tr, "trap-icount", str(len(traps) + 1))
t.check(rc == 1 and f"has {len(traps)} traps" in err, "no such trap", err)

rc, out, err = dix(tr, "sql", "SELECT", "COUNT(*)", "FROM", "traps")
t.check(rc == 0 and out == f"COUNT(*)\n{len(traps)}\n", "sql SELECT", out + err)
rc, out, err = dix(tr, "sql", "SELECT id FROM traps WHERE id < 3", json_mode=True)
obj = json.loads(out) if rc == 0 else {}
t.check(obj.get("results") == [{"columns": ["id"], "rows": [["1"], ["2"]]}],
        "sql --json: columns and rows", out + err)
rc, out, err = dix(tr, "sql", "DELETE FROM traps")
t.check(rc == 1 and "not allowed" in err and len(derived(tr)[0]) == len(traps),
        "sql refuses to write", err)
rc, out, err = dix(tr, "sql", "SELECT * FROM nosuch")
t.check(rc == 1 and "no such table" in err, "sql error is one line", err)

rc, out, err = dix(tr, "events", "CHECKPOINT")
ck = query(tr, "SELECT COUNT(*) FROM events WHERE kind = 'CHECKPOINT'")[0][0]
t.check(rc == 0 and len(out.splitlines()) == int(ck) and "CHECKPOINT" in out,
        "events CHECKPOINT", out)
rc, out, err = dix(tr, "events", "BOGUS")
t.check(rc == 1 and "unknown event kind 'BOGUS'" in err and "SERIAL_RX" in err,
        "events with an unknown kind names the kinds", err)
rc, out, err = dix(tr, "events", "console", "0", "0")
t.check(rc == 0 and out == "no events\n", "events KIND FROM TO (none there)",
        out + err)

lines = query(tr, "SELECT line, icount, text FROM console")
rc, out, err = dix(tr, "console")
t.check(rc == 0 and len(out.splitlines()) == len(lines), "console lists lines",
        out)
rc, out, err = dix(tr, "console", "/^PASS/")
t.check(rc == 0 and len(out.splitlines()) == 1 and
        f"icount {lines[-1][1]}" in out and "PASS priv_traps" in out,
        "console /regex/ gives the line and its icount", out)
rc, out, err = dix(tr, "console", "/(/")
t.check(rc == 1 and "bad regex" in err, "console with a bad regex", err)

# A hostile index: a console line with an escape sequence and a byte that
# is not UTF-8 is printed escaped, and stays valid JSON.
evil = os.path.join(tmp, "evil.rwd")
shutil.copytree(tr, evil)
db = sqlite3.connect(os.path.join(evil, "index.sqlite"))
db.execute("UPDATE console SET text = CAST(X'1b5b366eff41' AS TEXT) WHERE line = 1")
db.commit()
db.close()
rc, out, err = dix(evil, "console")
t.check(rc == 0 and out.splitlines()[0].endswith("\\x1b[6n\\xffA") and
        "\x1b" not in out, "console escapes what the trace holds",
        repr(out[:200]))
rc, out, err = dix(evil, "console", json_mode=True)
try:
    first = json.loads(out)["lines"][0]["text"]
except (ValueError, KeyError, IndexError):
    first = None
t.check(first == "\x1b[6n\ufffdA", "console --json stays valid JSON",
        repr(out[:200]))

# ---- timeline ----
db = sqlite3.connect(os.path.join(copy, "index.sqlite"))
db.execute("INSERT INTO bookmarks VALUES ('here', ?, 'a note')",
           (int(traps[10][1]),))
db.commit()
db.close()
svg = os.path.join(tmp, "run.svg")
rc, out, err = run(exe, "trace", "timeline", copy, "-o", svg)
t.check(rc == 0, "trace timeline writes an SVG", err)
try:
    root = ET.parse(svg).getroot()
except ET.ParseError as e:
    root = None
    t.check(False, "the SVG parses as XML", str(e))
if root is not None:
    def cls(c):
        return [e for e in root.iter() if e.get("class") == c]
    t.check(len(cls("console-line")) == len(lines),
            "one console-line mark per console line",
            f"{len(cls('console-line'))} vs {len(lines)}")
    t.check(len(cls("exc-density")) > 0, "trap density drawn")
    t.check(len(cls("checkpoint")) == int(ck), "one mark per checkpoint")
    t.check([e.text for e in cls("bookmark-name")] == ["here"],
            "the bookmark is drawn with its name")
rc, out, err = dix(tr, "timeline", "-o", os.path.join(tmp, "s.svg"), "--icount")
t.check(rc == 0 and ET.parse(os.path.join(tmp, "s.svg")) is not None,
        "the shell's timeline command", out + err)
rc, out, err = run(exe, "trace", "timeline", tr)
t.check(rc == 1 and "usage" in err, "trace timeline without -o", err)
rc, out, err = run(exe, "trace", "timeline", tr, "-o",
                   os.path.join(tmp, "nodir", "x.svg"))
t.check(rc == 2 and "nodir" in err, "trace timeline to an unwritable path", err)

t.finish()
