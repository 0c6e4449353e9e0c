#!/usr/bin/env python3
"""`rewind shell` scripted (-c, -x, --json) on bare-metal traces.

Usage: shell_test.py REWIND TARGET_ELF SMP_TARGET_ELF

TARGET_ELF is tests/gdb/target.c: bump() adds 1..10 to gdb_counter and
main prints "gdb target: counter 55". Every check reads the JSON object
of one command (--json prints one per command) and compares it with an
independent source: icounts stepped, the trace index (rewind query), a
plain replay stopped with --until, the symbol table (nm-like, from the
ELF here)."""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run  # noqa: E402

REWIND, ELF, SMP_ELF = sys.argv[1:4]
t = Suite("shell")
tmp = tempfile.mkdtemp()


def elf_symbols(path):
    """name -> address from the ELF's .symtab (ELF64 little-endian)."""
    import struct
    data = open(path, "rb").read()
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    secs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
            for i in range(shnum)]
    out = {}
    for s in secs:
        if s[1] != 2:   # SHT_SYMTAB
            continue
        strtab = secs[s[6]]
        for k in range(s[5] // 24):
            name, _, _, _, value, _ = struct.unpack_from("<IBBHQQ", data,
                                                         s[4] + k * 24)
            end = data.index(b"\0", strtab[4] + name)
            out[data[strtab[4] + name:end].decode()] = value
    return out


SYM = elf_symbols(ELF)


def record(name, elf, every, smp=1):
    trace = os.path.join(tmp, name)
    r = subprocess.run([REWIND, "record", "-o", trace, "--checkpoint-every",
                        str(every), "-M", "virt", "-bios", "none", "-nographic",
                        "-smp", str(smp), "-kernel", elf],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True)
    m = re.search(r"recorded (\d+) instructions", r.stderr)
    assert r.returncode == 0 and m, r.stderr
    return trace, int(m.group(1))


def shell(trace, *cmds, extra=()):
    """Run the commands with --json; (status, [result objects], stderr)."""
    status, out, err = run(REWIND, "shell", trace, "--json", *extra,
                           "-c", "; ".join(cmds), timeout=120)
    objs = []
    for line in out.splitlines():
        try:
            objs.append(json.loads(line))
        except ValueError:
            t.check(False, "every stdout line is a JSON object", line)
    return status, objs, err


def query(trace, sql):
    status, out, err = run(REWIND, "query", trace, sql)
    assert status == 0, err
    return [line.split("\t") for line in out.splitlines()[1:]]


T, T_LEN = record("t.rwd", ELF, 100)

# 1. Moving: stepi, reverse-stepi, goto absolute/relative/ends; one JSON
#    object per command, each with the stop line's members.
st, r, _ = shell(T, "stepi", "stepi 3", "reverse-stepi 2", "goto 100",
                 "goto -10", "goto +5", "goto end", "goto start", "where")
t.check(st == 0 and len(r) == 9, "9 commands, 9 results, exit 0", str(r))
ic = [o.get("icount") for o in r]
t.check(ic == [1, 4, 2, 100, 90, 95, T_LEN, 0, 0],
        "stepi/reverse-stepi/goto land on the icounts asked", str(ic))
t.check(all({"icount", "time_ns", "hart", "priv", "pc", "insn"} <= o.keys()
            for o in r), "every stop has icount, time, hart, priv, pc, insn")
t.check(r[3]["time_ns"] == 100 * 8 and r[3]["priv"] == "M-mode",
        "guest time is 8 ns per instruction here, M-mode", str(r[3]))

# 2. The text stop line.
st, out, _ = run(REWIND, "shell", T, "--quiet", "-c", "break bump; continue")
t.check(re.search(r"^icount \d+  time 0\.\d{9}s  hart 0  M-mode  pc "
                  r"0x%016x <bump>  \S+" % SYM["bump"], out, re.M),
        "text stop line: icount, time, hart, privilege, pc <symbol>, insn", out)

# The guest's console shows while the machine runs; a stop in the middle
# of a console line (rt_putc writes one byte per call) starts the stop
# line on a line of its own, and one after a whole line adds no blank line.
st, out, _ = run(REWIND, "shell", T, "-c", "break rt_putc; continue; "
                 "continue; continue; delete; continue")
t.check(st == 0 and re.search(r"^g\nbreakpoint 1, hart 0\nicount \d+ ", out,
                              re.M) and
        re.search(r"^d\nbreakpoint 1, hart 0\n", out, re.M) and
        "PASS gdb target (2 checks)\nend of the trace\nicount" in out and
        "\n\n" not in out,
        "a stop line after guest output without a newline starts a new "
        "line; after a newline no blank line", out)

# 3. Breakpoints forwards and backwards, by symbol and with a hart condition.
st, r, _ = shell(T, "break bump", "continue", "continue", "continue",
                 "reverse-continue", "reverse-continue", "reverse-continue",
                 "info breakpoints")
hits = [o.get("icount") for o in r[1:4]]
t.check(all(o.get("pc") == SYM["bump"] and o.get("reason") == "breakpoint"
            for o in r[1:4]) and hits == sorted(set(hits)),
        "continue stops at bump three times, forwards", str(r[1:4]))
t.check([o.get("icount") for o in r[4:6]] == hits[1::-1],
        "reverse-continue stops at the previous hits, in reverse",
        str(r[4:6]))
t.check(r[6].get("reason") == "start" and r[6].get("icount") == 0,
        "then at the start of the trace", str(r[6]))
t.check(r[7]["points"] == [{"id": 1, "type": "break", "addr": SYM["bump"]}],
        "info breakpoints lists it", str(r[7]))

# 3b. nexti runs a whole call; reverse-nexti goes back over it.
st, r, _ = shell(T, "break bump", "continue", "delete", "reverse-stepi",
                 "nexti", "reverse-nexti", "nexti", "nexti")
call = r[3]
t.check(re.match(r"jal\b", call.get("insn", "")) and
        call.get("icount") == r[1].get("icount") - 1,
        "reverse-stepi from bump's entry: the call in main", str(call))
t.check(r[4].get("pc") == call["pc"] + 4 and r[4].get("symbol") == "main" and
        r[4]["icount"] > call["icount"] + 5,
        "nexti on the call: back in main after it, the callee run", str(r[4]))
t.check(r[5].get("icount") == call["icount"] and r[5].get("pc") == call["pc"],
        "reverse-nexti goes back over the whole call", str(r[5]))
t.check(r[6].get("icount") == r[4]["icount"] and
        r[7].get("icount") == r[4]["icount"] + 1,
        "nexti not on a call: one instruction", str(r[6:8]))

# 4. A watchpoint: forwards it stops just after each store to gdb_counter
#    (the first is the .bss clearing), backwards on the store itself,
#    before it ran.
st, r, _ = shell(T, "break main", "continue", "delete",
                 "watch gdb_counter", "continue", "continue", "continue",
                 "reverse-continue", "stepi", "reverse-continue",
                 "reverse-continue")
fwd = r[4:7]
t.check(all(o.get("reason") == "watchpoint" and o.get("watch_addr") ==
            SYM["gdb_counter"] for o in fwd),
        "forward watchpoint stops", str(fwd))
back = r[7]
t.check(back.get("reason") == "watchpoint" and
        back.get("icount") == fwd[2]["icount"] - 1 and
        re.match(r"(c\.)?sd\b", back.get("insn", "")),
        "reverse-continue lands on the store, one instruction before the "
        "forward stop", str(back))
t.check(r[8].get("reason") == "watchpoint" and
        r[8].get("icount") == fwd[2]["icount"],
        "stepi from there does the store again: the watchpoint hits", str(r[8]))
t.check(r[9].get("icount") == back["icount"] and
        r[10].get("icount") == fwd[1]["icount"] - 1,
        "and going back finds the same store, then the one before",
        str(r[9:11]))

# 4a. last-write (shell/search.h) agrees with the reverse watchpoint, and
#     a live session answers it too (by replaying its recording).
st, r, _ = shell(T, "break bump", "continue", "continue", "continue",
                 "last-write gdb_counter", "delete", "watch gdb_counter",
                 "reverse-continue")
lw = r[4].get("writes", [{}])[-1]
t.check(lw.get("icount") == r[7].get("icount") and
        lw.get("pc") == r[7].get("pc"),
        "last-write gdb_counter = where reverse-continue's watchpoint lands",
        str(r[4]) + str(r[7]))

# 4b. The looking commands (shell/look.h) on the session's hart and
#     symbols, after moving: gdb_counter is 6 after bump(3)'s store.
st, r, _ = shell(T, "break bump", "continue", "continue", "continue",
                 "continue", "regs", "info registers", "x/gx gdb_counter",
                 "x/i $pc", "hart", "hart 1", "devices", "mtree")
stop = r[4]
t.check(r[5].get("hart") == 0 and r[5]["regs"].get("pc") == stop["pc"] and
        r[6].get("regs") == r[5]["regs"],
        "regs / info registers: the stopped hart's registers", str(r[5])[:300])
t.check(r[7].get("values") == [6], "x/gx gdb_counter after three bumps: 6",
        str(r[7]))
t.check(r[8]["insns"][0]["addr"] == stop["pc"], "x/i $pc: the stop pc",
        str(r[8]))
t.check(r[9]["ok"] and r[10]["ok"] is False and "no hart 1" in r[10]["error"],
        "hart lists harts; hart 1 on one hart is refused", str(r[9:11]))
t.check(r[11]["ok"] and r[12]["ok"], "devices and mtree answer", str(r[11:13])[:300])

# 5. goto console /regex/ lands where the store of the line's last byte is
#    the next instruction: a replay stopped there has printed all but that
#    byte, one instruction later all of it.
st, r, _ = shell(T, "goto console /counter 55/", "stepi")
line_ic = int(query(T, "SELECT icount FROM console WHERE text LIKE "
                       "'%counter 55'")[0][0])
g = r[0]
t.check(g.get("icount") == line_ic and g.get("line") == "gdb target: counter 55"
        and re.match(r"(c\.)?s[bhwd]\b", g.get("insn", "")),
        "goto console lands on a store at the line's icount", str(g))
_, before, _ = run(REWIND, "replay", T, "--until", str(line_ic))
_, after, _ = run(REWIND, "replay", T, "--until", str(line_ic + 1))
t.check(before.endswith("counter 55") and after.endswith("counter 55\n"),
        "a replay to there lacks the newline, one instruction more prints it",
        repr(before[-20:]) + " / " + repr(after[-20:]))
st, r, _ = shell(T, "goto console /PASS|counter/ 2")
t.check(r[0].get("line", "").startswith("PASS"),
        "goto console /re/ N takes the Nth match", str(r))

# 6. goto time, goto event N, bookmarks (kept by trace reindex).
st, r, _ = shell(T, "goto time 800ns", "goto time 0.000000801s",
                 "goto time 1.5us")
t.check([o.get("icount") for o in r] == [100, 101, 188] and
        all(o["time_ns"] >= want for o, want in zip(r, (800, 801, 1500))),
        "goto time: the first instruction at or after that guest time", str(r))
ev = query(T, "SELECT id, icount FROM events WHERE kind = 'CHECKPOINT' "
              "ORDER BY id LIMIT 3")[2]
st, r, _ = shell(T, f"goto event {ev[0]}")
t.check(r[0].get("icount") == int(ev[1]),
        "goto event N lands at that event's icount", str(r) + str(ev))
st, r, _ = shell(T, "goto 1234", "bookmark mark1 before the loop ends",
                 "goto start", "goto mark1", "bookmarks")
t.check(r[3].get("icount") == 1234, "goto NAME returns to the bookmark",
        str(r))
t.check(query(T, "SELECT name, icount, note FROM bookmarks") ==
        [["mark1", "1234", "before the loop ends"]],
        "the bookmark is a row of the index", "")
t.check(not os.path.exists(os.path.join(T, "index.sqlite-wal")),
        "the index is left closed (rewind query still works)")
status, _, err = run(REWIND, "trace", "reindex", T)
st, r, _ = shell(T, "goto mark1")
t.check(status == 0 and r[0].get("icount") == 1234,
        "bookmarks survive trace reindex", err + str(r))

# 7. -x FILE (comments, blank lines) and text mode.
script = os.path.join(tmp, "cmds.rw")
with open(script, "w") as f:
    f.write("# a comment\nstepi 2\n\nwhere\n")
st, out, err = run(REWIND, "shell", T, "-x", script)
t.check(st == 0 and out.count("icount 2 ") == 2, "-x runs the file's commands",
        out + err)

# 8. Bad input: one-line error each, the session goes on, exit status 1.
bad = ["frobnicate", "break 12x", "break no_such_symbol",
       f"goto {T_LEN + 1}", "goto console /no such line/", "goto time 1h",
       "stepi zero", "watch gdb_counter 9999999", "delete 42",
       "goto nosuchmark", "help nosuch"]
st, r, err = shell(T, *[c for b in bad for c in (b, "where")])
errs = r[0::2]
t.check(st == 1, "exit status 1 when a command failed", str(st))
t.check(len(r) == 2 * len(bad) and all(o["ok"] is False and "\n" not in
                                       o["error"] for o in errs),
        "each bad command fails with a one-line error", str(errs))
t.check(all(o["ok"] is True and o["icount"] == 0 for o in r[1::2]),
        "and the session goes on after each, at the same place", str(r[1::2]))
msgs = {b: o.get("error", "") for b, o in zip(bad, errs)}
t.check("unknown command 'frobnicate'" in msgs["frobnicate"],
        "unknown command named", msgs["frobnicate"])
t.check("'12x' is not an address" in msgs["break 12x"], "bad address named",
        msgs["break 12x"])
t.check("no symbol 'no_such_symbol'" in msgs["break no_such_symbol"],
        "missing symbol named", msgs["break no_such_symbol"])
t.check(f"icount {T_LEN + 1} is past the end of the trace (icount {T_LEN})"
        in msgs[f"goto {T_LEN + 1}"], "goto past the end: both icounts",
        msgs[f"goto {T_LEN + 1}"])
st, out, err = run(REWIND, "shell", T, "-c", "frobnicate")
t.check(st == 1 and err.strip() == "error: unknown command 'frobnicate' "
        "(try 'help')" and out == "", "text mode: the error on stderr", err)

# 9. Traces that cannot be used: a clear one-line message, exit 2.
st, out, err = run(REWIND, "shell", os.path.join(tmp, "none.rwd"), "-c",
                   "where")
t.check(st == 2 and len(err.strip().splitlines()) == 1 and "none.rwd" in err,
        "a missing trace: one line naming it, exit 2", err)

import shutil  # noqa: E402
import struct  # noqa: E402
BADV = os.path.join(tmp, "bad.rwd")
shutil.copytree(T, BADV)
with open(os.path.join(BADV, "events.zst"), "r+b") as f:
    f.seek(12)
    f.write(struct.pack("<I", 99))   # frame 0's format version
st, out, err = run(REWIND, "shell", BADV, "-c", "where")
t.check(st == 2 and len(err.strip().splitlines()) == 1 and
        "bad.rwd/events.zst" in err and out == "",
        "a damaged trace: one line naming the file, exit 2", err)

# 10. Two harts: break ... if hart==1 stops only hart 1.
S, _ = record("s.rwd", SMP_ELF, 1000, smp=2)
SSYM = elf_symbols(SMP_ELF)
fn = "smp_bump" if "smp_bump" in SSYM else None
if fn:
    st, r, _ = shell(S, f"break {fn} if hart==1", "continue", "continue",
                     "reverse-continue", "break main if hart==2")
    t.check(all(o.get("hart") == 1 and o.get("pc") == SSYM[fn]
                for o in r[1:4]), "a hart==1 breakpoint stops hart 1 only,"
            " both ways", str(r[1:4]))
    t.check(r[4]["ok"] is False and "no hart 2" in r[4]["error"],
            "a hart the machine lacks is refused", str(r[4]))
t.check(fn is not None, "the two-hart target has smp_bump",
        ", ".join(sorted(SSYM)))

# 11. Live: `rewind shell -- RUN-OPTIONS` records as it runs; going back
#     replays that recording from where the machine was. -o keeps it.
LIVE = os.path.join(tmp, "live.rwd")
status, out, err = run(REWIND, "shell", "--json", "-o", LIVE, "-c",
                       "break bump; continue; continue; goto end; "
                       "bookmark second; reverse-continue; goto +20; "
                       "continue", "--", "-M", "virt", "-bios", "none",
                       "-nographic", "-kernel", ELF, timeout=120)
r = [json.loads(x) for x in out.splitlines()]
t.check(status == 1 and len(r) == 8, "live: 8 results, one failed", out + err)
if len(r) == 8:
    fwd = [r[1].get("icount"), r[2].get("icount")]
    t.check(r[1].get("pc") == SYM["bump"] and fwd == [hits[0], hits[1]],
            "live continue stops at bump as the replay does", str(r[1:3]))
    t.check(r[3]["ok"] is False and "no end" in r[3]["error"],
            "live goto end is refused", str(r[3]))
    t.check(r[5].get("icount") == hits[0],
            "live reverse-continue goes back to the previous hit", str(r[5]))
    t.check(r[6].get("icount") == hits[0] + 20 and
            r[7].get("reason") == "end" and r[7].get("icount") == hits[1],
            "then forwards it stops where the live run was (end of history)",
            str(r[6:8]))
scratch = os.path.join(tmp, "scratch")
os.mkdir(scratch)
p = subprocess.run([REWIND, "shell", "--json", "-c",
                    "continue; goto console /counter 55/", "--", "-M", "virt",
                    "-bios", "none", "-nographic", "-kernel", ELF],
                   stdin=subprocess.DEVNULL, capture_output=True, text=True,
                   timeout=120, env=dict(os.environ, TMPDIR=scratch))
r = [json.loads(x) for x in p.stdout.splitlines()]
t.check(p.returncode == 0 and len(r) == 2 and
        r[0].get("reason") == "exited" and r[0].get("exit_code") == 0 and
        r[0].get("icount") == T_LEN and r[1].get("icount") == line_ic,
        "a live guest that ends: reported, and its recording replayed after",
        p.stdout + p.stderr)
t.check(os.listdir(scratch) == [],
        "the temporary recording is removed at the end", str(os.listdir(scratch)))
t.check(query(LIVE, "SELECT name, icount FROM bookmarks") ==
        [["second", str(hits[1])]] and f"recorded in {LIVE}" in err,
        "-o keeps the live recording, with its bookmark", err)

t.finish()
