#!/usr/bin/env python3
"""`rewind diff A B`: the first point where two traces differ.

Usage: diff_test.py REWIND ECHO_ELF HELLO_ELF

The echo guest (tests/guest/echo.c) is recorded three times with its
serial input read from a file (delivered at the first host poll, at
the first checkpoint after the start: the same icount each time): twice with the same
bytes, once with one byte changed. Checked:
  - the one-byte difference is found at the icount of the SERIAL_RX event
    that carries it (as the trace index lists it), after bisecting both
    replays; the differing events are shown with their bytes; the device
    that holds the received bytes is named with its field; exit 1;
  - a trace against itself, and against a second recording of the same
    input, is identical: exit 0;
  - two command lines that differ (hello with and without -append) are
    said to differ, and the RAM bytes that differ from the start (the
    device tree) are listed; exit 1;
  - a trace that cannot be read: one line, exit 2.
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run  # noqa: E402

exe, echo, hello = sys.argv[1:4]
t = Suite("diff")
tmp = tempfile.mkdtemp()
machine = ["-M", "virt", "-bios", "none", "-nographic"]


def record(name, elf, data, *extra):
    d = os.path.join(tmp, name)
    src = os.path.join(tmp, name + ".in")
    with open(src, "wb") as f:
        f.write(data)
    with open(src, "rb") as f:
        p = subprocess.run([exe, "record", "-o", d, "--checkpoint-every",
                            "100000", *machine, "-kernel", elf, *extra],
                           stdin=f, capture_output=True, timeout=120)
    t.check(p.returncode == 0, f"record {name}", p.stderr.decode(errors="replace"))
    return d


def serial_icount(d):
    rc, out, err = run(exe, "query", d, "SELECT icount FROM events WHERE "
                       "kind = 'SERIAL_RX' ORDER BY icount LIMIT 1")
    lines = out.split()
    return int(lines[-1]) if rc == 0 and len(lines) >= 2 else None


def diff_json(a, b):
    rc, out, err = run(exe, "diff", a, b, "--json", timeout=300)
    try:
        return rc, json.loads(out), err
    except json.JSONDecodeError:
        return rc, {}, out + err


A = record("a.rwd", echo, b"Hi rewind\n.")
A2 = record("a2.rwd", echo, b"Hi rewind\n.")
B = record("b.rwd", echo, b"Hi rewinD\n.")
ia, ib = serial_icount(A), serial_icount(B)
t.check(ia is not None and ia == ib and ia > 0,
        "the input arrives at the same icount in both", f"{ia} {ib}")

rc, j, err = diff_json(A, B)
byte_icount = min(ia or 0, ib or 0)
t.check(rc == 1 and j.get("identical") is False and
        j.get("first_difference") == byte_icount,
        f"one injected byte: first difference at its icount {byte_icount}",
        f"rc {rc} {j} {err}")
ev = j.get("input_event", {})
t.check(ev.get("icount") == byte_icount and ev.get("kind_a") == "SERIAL_RX" and
        ev.get("a") and ev.get("b") and "64" in ev["a"] and "44" in ev["b"],
        "  the differing SERIAL_RX events, 'd' (64) against 'D' (44)", str(ev))
t.check(j.get("bisect_steps", 0) > 0 and j.get("same_command_line") is True,
        "  found by bisecting, same command line", str(j))
t.check(any(f.get("field") == "serial_queue" for f in j.get("fields", [])),
        "  the device holding the received bytes, by field", str(j.get("fields")))
rc, out, err = run(exe, "diff", A, B, timeout=300)
t.check(rc == 1 and f"first difference at icount {byte_icount} " in out and
        "SERIAL_RX" in out and "RAM: the same" in out,
        "  the text says so", out + err)

rc, out, err = run(exe, "diff", A, A, timeout=300)
t.check(rc == 0 and out.rstrip().endswith(")") and "identical" in out,
        "a trace against itself: identical, exit 0", out + err)
rc, j, err = diff_json(A, A2)
t.check(rc == 0 and j.get("identical") is True,
        "two recordings of the same input: identical, exit 0", str(j) + err)

H1 = record("h1.rwd", hello, b"")
H2 = record("h2.rwd", hello, b"", "-append", "quiet")
rc, j, err = diff_json(H1, H2)
t.check(rc == 1 and j.get("same_command_line") is False and
        j.get("command_line", {}).get("b") == "-append",
        "different command lines are named", str(j) + err)
t.check(j.get("first_difference") == 0 and j.get("ram") and j.get("bytes"),
        "  the RAM that differs from the start, with its bytes", str(j))

rc, out, err = run(exe, "diff", A, os.path.join(tmp, "nothing.rwd"))
t.check(rc == 2 and len(err.strip().splitlines()) == 1 and "nothing.rwd" in err,
        "a missing trace: one line naming it, exit 2", err)
rc, out, err = run(exe, "diff", A)
t.check(rc == 1 and "usage" in err, "one trace only: usage, exit 1", err)
t.finish()
