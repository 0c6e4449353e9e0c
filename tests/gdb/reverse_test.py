#!/usr/bin/env python3
"""Reverse debugging with a real gdb-multiarch on a recorded run.

Usage: reverse_test.py REWIND TARGET_ELF GDB

Records tests/gdb/target.c, replays it with -S -gdb and checks that
reverse-stepi xN lands exactly N instructions back (icount and registers
equal to a forward replay to that icount), reverse-continue stops at the
previous breakpoint hit, a watchpoint with reverse-continue finds the last
write, reverse-finish returns to the caller, the start of the trace is
reported as the end of history, and that stepping and stopping during a
replay leaves every later checkpoint hash identical.
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import start_gdb_server  # noqa: E402

REWIND, ELF, GDB = sys.argv[1:4]
passed = failed = 0


def check(cond, what, output=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {what}")
    else:
        failed += 1
        print(f"FAIL {what}" + (f"\n---- output ----\n{output}\n----" if output else ""))


tmp = tempfile.mkdtemp()
trace = os.path.join(tmp, "target.rwd")
subprocess.run([REWIND, "record", "-o", trace, "--checkpoint-every", "100",
                "-M", "virt", "-bios", "none", "-nographic", "-kernel", ELF],
               stdin=subprocess.DEVNULL, capture_output=True, check=True)


def session(*commands):
    rw, port = start_gdb_server(REWIND, "replay", trace, "-S",
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, text=True)
    line = rw.stderr.readline()
    assert "waiting for gdb" in line, line
    args = [GDB, "-batch", "-nx", "-ex", "set architecture riscv:rv64",
            "-ex", f"file {ELF}", "-ex", f"target remote 127.0.0.1:{port}"]
    for c in commands:
        args += ["-ex", c]
    g = subprocess.run(args, capture_output=True, text=True, timeout=300)
    try:
        rw.wait(timeout=60)
    except subprocess.TimeoutExpired:
        rw.kill()
    rest = rw.stderr.read()
    return g.stdout + g.stderr, rest


def icounts(out):
    return [int(x) for x in re.findall(r"^icount (\d+)", out, re.M)]


def regs(out, marker):
    """Register lines printed after `echo MARKER\\n`."""
    part = out.split(marker, 1)[1] if marker in out else ""
    return re.findall(r"^(\w+)\s+(0x[0-9a-f]+)", part.split("END", 1)[0], re.M)


# 1. reverse-stepi x5 == forward replay to the same icount.
out, err = session("break bump", "continue", "continue", "monitor icount",
                   *["reverse-stepi"] * 5, "monitor icount",
                   "echo REV\\n", "info registers pc ra sp a0 a1 a5", "echo END\\n",
                   "kill")
ic = icounts(out)
check(len(ic) == 2 and ic[0] - ic[1] == 5, "reverse-stepi x5 goes back 5 instructions",
      out)
back = regs(out, "REV")
if len(ic) == 2:
    out2, _ = session(f"monitor goto {ic[1]}", "maintenance flush register-cache",
                      "monitor icount", "echo FWD\\n",
                      "info registers pc ra sp a0 a1 a5", "echo END\\n", "kill")
    fwd = regs(out2, "FWD")
    check(icounts(out2) == [ic[1]], "goto lands at the same icount", out2)
    check(back and back == fwd, "registers equal a forward replay to that icount",
          f"{back}\nvs\n{fwd}")

# 2. reverse-continue stops at the previous breakpoint hit.
out, err = session("break bump", "continue", "continue", "continue", "p by",
                   "reverse-continue", "p by", "reverse-continue", "p by", "kill")
vals = re.findall(r"^\$\d+ = (\d+)", out, re.M)
check(vals == ["3", "2", "1"], "reverse-continue walks back through the hits", out)

# 3. A watchpoint with reverse-continue finds the last write.
out, err = session("break main", "continue", "watch gdb_counter", "continue",
                   "continue", "continue", "p gdb_counter", "reverse-continue",
                   "p gdb_counter", "x/i $pc", "kill")
check("Old value = 6" in out and "New value = 3" in out,
      "reverse watchpoint reports the value before the write", out)
m = re.search(r"=> 0x[0-9a-f]+ <bump\+\d+>:\s+(\w+)", out)
check(m is not None and m.group(1).startswith("s"),
      "stopped at the store that wrote it", out)

# 4. reverse-finish returns to the caller.
out, err = session("break bump", "continue", "continue", "reverse-finish",
                   "bt 1", "kill")
check(re.search(r"^#0 .* in main \(\) at .*target.c:27", out, re.M) is not None,
      "reverse-finish lands at the call in main", out)

# 5. The start of the trace is the end of history.
out, err = session("break bump", "continue", "delete", "reverse-continue", "kill")
check("No more reverse-execution history" in out, "reverse to the trace start", out)

# 6. Stopping, stepping and reversing do not change the recorded execution:
#    after all that, continuing to the end still matches every checkpoint.
out, err = session("break bump", "continue", "stepi", "stepi", "reverse-stepi",
                   "next", "reverse-continue", "delete", "continue")
check("replay identical" in err and "divergence" not in err,
      "later checkpoints still match after debugging", err + out)

print(f"gdb-reverse: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
