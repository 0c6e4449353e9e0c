#!/usr/bin/env python3
"""The shell against gdb on the same trace, and gdb's `monitor` answering
the shell's commands.

Usage: gdb_test.py REWIND TARGET_ELF GDB

- A reverse watchpoint: gdb (break main, continue, watch gdb_counter,
  continue x3, reverse-continue; `monitor icount`) and the shell (the same
  commands) must stop at the same icount, on the same store.
- `monitor goto console /REGEX/`, `monitor bookmark NAME`, `monitor goto
  NAME`, `monitor where` and a bad command, through gdb."""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run, start_gdb_server  # noqa: E402

REWIND, ELF, GDB = sys.argv[1:4]
t = Suite("shell-gdb")
tmp = tempfile.mkdtemp()
T = os.path.join(tmp, "t.rwd")
subprocess.run([REWIND, "record", "-o", T, "--checkpoint-every", "100", "-M",
                "virt", "-bios", "none", "-nographic", "-kernel", ELF],
               stdin=subprocess.DEVNULL, capture_output=True, check=True)


def gdb(*commands):
    rw, port = start_gdb_server(REWIND, "replay", T, "-S", "--quiet",
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, text=True)
    line = rw.stderr.readline()
    assert "waiting for gdb" in line, line
    args = [GDB, "-batch", "-nx", "-ex", "set architecture riscv:rv64",
            "-ex", f"file {ELF}", "-ex", f"target remote 127.0.0.1:{port}"]
    for i, c in enumerate(commands):
        args += ["-ex", f"echo @@{i}@@\\n", "-ex", c]
    g = subprocess.run(args + ["-ex", "kill"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=300)
    try:
        rw.wait(timeout=60)
    except subprocess.TimeoutExpired:
        rw.kill()
    parts = re.split(r"^@@(\d+)@@\n", g.stdout, flags=re.M)
    out = [""] * len(commands)
    for k in range(1, len(parts) - 1, 2):
        out[int(parts[k])] = parts[k + 1]
    return out, g.stdout


def icount(text):
    m = re.search(r"^icount (\d+)$", text, re.M)
    return int(m.group(1)) if m else None


out, log = gdb("break main", "continue", "watch gdb_counter", "continue",
               "continue", "continue", "reverse-continue", "monitor icount",
               "x/i $pc")
g_ic = icount(out[7])
_, sh, err = run(REWIND, "shell", T, "--json", "-c",
                 "break main; continue; delete; watch gdb_counter; continue; "
                 "continue; continue; reverse-continue")
r = [json.loads(x) for x in sh.splitlines()]
t.check(g_ic is not None and r[-1].get("icount") == g_ic and
        r[-1].get("reason") == "watchpoint",
        "the shell's reverse watchpoint stops where gdb's does",
        f"gdb {g_ic}, shell {r[-1] if r else err}\n{log}")
m = re.search(r"=> 0x([0-9a-f]+)", out[8])
t.check(m and int(m.group(1), 16) == r[-1].get("pc"),
        "  at the same pc (the store)", out[8] + str(r[-1]))

out, log = gdb("monitor goto console /counter 55/", "monitor icount",
               "monitor bookmark printed", "monitor goto start",
               "monitor icount", "monitor goto printed", "monitor icount",
               "monitor where", "monitor frobnicate", "monitor break bump",
               "monitor help")
line_ic = int(run(REWIND, "query", T, "SELECT icount FROM console WHERE "
                  "text LIKE '%counter 55'")[1].splitlines()[1])
t.check(icount(out[1]) == line_ic, "monitor goto console /re/ moves there",
        log)
t.check("bookmark printed at icount %d" % line_ic in out[2] and
        icount(out[4]) == 0 and icount(out[6]) == line_ic,
        "monitor bookmark, then monitor goto NAME comes back", log)
t.check(re.search(r"^icount %d  time \S+  hart 0  M-mode  pc 0x" % line_ic,
                  out[7], re.M), "monitor where prints the stop line", out[7])
t.check("error: unknown command 'frobnicate'" in out[8],
        "a bad monitor command: the shell's one-line message", out[8])
t.check("use gdb's own command" in out[9],
        "monitor break is left to gdb's break", out[9])
t.check("checkpoints" in out[10] and "bookmark NAME" in out[10],
        "monitor help lists the stub's and the shell's commands", out[10])

t.finish()
