#!/usr/bin/env python3
"""Reverse debugging with a real gdb-multiarch on recorded runs.

Usage: reverse_test.py REWIND TARGET_ELF GDB SMP_TARGET_ELF

Every check looks only at what one gdb command printed (the output is cut
at an `echo` marker before each command) or at the values printed right
after it, and reverse results are compared with a forward run to the same
point. Traces:
  - target.c recorded with a checkpoint every 100 instructions (hits in
    several checkpoint intervals) and with one interval for the whole run
    (several hits in one interval: reverse-continue must take the last);
  - smp_target.c on two harts, the same two ways.
Checked: reverse-stepi on one and two harts against a forward replay to
the same icount, reverse-continue to breakpoints and watchpoints (the
store behind the current point first, gdb's "Old value" being the current
value), reverse-finish to the exact call, both ends of the history, and
`monitor goto` (past the end refused, forwards, gdb's registers refreshed
by docs/rewind.gdb), and that debugging leaves the replay identical.
"""
import os
import re
import sys
import tempfile

import gdbrun  # noqa: E402 (tests/gdb/gdbrun.py)
from rwtest import exit_cleaning, fail_fast  # noqa: E402 (on the path gdbrun set)

REWIND, ELF, GDB, SMP_ELF = sys.argv[1:5]
GDB_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "..", "..", "docs", "rewind.gdb")
passed = failed = 0


def check(cond, what, output=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {what}")
    else:
        failed += 1
        print(f"FAIL {what}" + (f"\n---- output ----\n{output}\n----" if output else ""))
        fail_fast("gdb-reverse")


tmp = tempfile.mkdtemp()


def record(name, elf, every, smp=1):
    return gdbrun.record(REWIND, tmp, name, elf, every, "-smp", str(smp))


T100, T_LEN = record("t100.rwd", ELF, 100)
TBIG, _ = record("tbig.rwd", ELF, 10_000_000)
S1K, _ = record("s1k.rwd", SMP_ELF, 1000, smp=2)
SBIG, _ = record("sbig.rwd", SMP_ELF, 10_000_000, smp=2)


def Run(trace, elf, *commands, script=True):
    """One replay under gdb (with docs/rewind.gdb unless script=False):
    out[i] is what commands[i] printed."""
    return gdbrun.GdbRun(REWIND, GDB, trace, elf, *commands,
                         script=GDB_SCRIPT if script else None)


def regs(text):
    return re.findall(r"^(\w+)\s+(0x[0-9a-f]+)", text, re.M)


REGS = "info registers pc ra sp gp tp t0 a0 a1 a4 a5 s0 minstret"

# 1. reverse-stepi x5 on one hart == forward replay to the same icount.
r = Run(T100, ELF, "break bump", "continue", "continue", "monitor icount",
        *["reverse-stepi"] * 5, "monitor icount", REGS, "kill")
a, b = r.icount(3), r.icount(9)
check(a is not None and b == a - 5, "reverse-stepi x5 goes back 5 instructions",
      r.log)
if b is not None:
    f = Run(T100, ELF, f"monitor goto {b}", "monitor icount", REGS, "kill")
    check(f.icount(1) == b, "goto lands at the same icount", f.log)
    check(regs(r.out[10]) and regs(r.out[10]) == regs(f.out[2]),
          "registers equal a forward replay to that icount",
          f"{r.out[10]}\nvs\n{f.out[2]}")

# 2. reverse-continue walks back through the breakpoint hits, one at a time,
#    also when one checkpoint interval holds all of them (the last one
#    before the current point is the one to take).
for trace, what in ((T100, "checkpoint every 100"), (TBIG, "one interval")):
    r = Run(trace, ELF, "break bump", "continue", "continue", "continue",
            "reverse-continue", "p by", "frame 1", "p i", "reverse-continue",
            "p by", "frame 1", "p i", "reverse-continue", "kill")
    check(re.search(r"Breakpoint 1, bump \(by=2\)", r.out[4]) and
          r.value(5) == "2" and r.value(7) == "2",
          f"reverse-continue stops at the previous hit, iteration 2 ({what})",
          r.out[4] + r.out[5] + r.out[7])
    check(re.search(r"Breakpoint 1, bump \(by=1\)", r.out[8]) and
          r.value(9) == "1" and r.value(11) == "1",
          f"and then at the one before, iteration 1 ({what})",
          r.out[8] + r.out[9] + r.out[11])
    check("No more reverse-execution history" in r.out[12],
          f"then the start of the trace ({what})", r.out[12])

# 3. A watchpoint: continue x3 (0 -> 1 -> 3 -> 6), then reverse-continue
#    stops at the store that wrote 6, undone: gdb prints the value it had
#    (6) as "Old value" and the value before that store (3) as "New".
for trace, what in ((T100, "checkpoint every 100"), (TBIG, "one interval")):
    r = Run(trace, ELF, "break main", "continue", "watch gdb_counter",
            "continue", "continue", "continue", "reverse-continue",
            "p gdb_counter", "p by", "x/i $pc", "reverse-continue",
            "p gdb_counter", "p by", "kill")
    check(re.search(r"Old value = 3\s+New value = 6", r.out[5]),
          f"forward: third watchpoint stop 3 -> 6 ({what})", r.out[5])
    check(re.search(r"Old value = 6\s+New value = 3\s", r.out[6]),
          f"reverse-continue reports 6 -> 3 ({what})", r.out[6])
    check(r.value(7) == "3" and r.value(8) == "3",
          f"  gdb_counter is 3, in bump(3) ({what})", r.out[7] + r.out[8])
    m = re.search(r"=> 0x[0-9a-f]+ <bump\+\d+>:\s+(\w+)", r.out[9])
    check(m is not None and m.group(1) == "sd",
          f"  stopped at the store in bump ({what})", r.out[9])
    check(re.search(r"Old value = 3\s+New value = 1\s", r.out[10]) and
          r.value(11) == "1" and r.value(12) == "2",
          f"next reverse-continue: the store in bump(2), 3 -> 1 ({what})",
          r.out[10] + r.out[11] + r.out[12])

# 4. reverse-finish returns to the call instruction in main, in the same
#    loop iteration, before the call happened.
r = Run(T100, ELF, "break bump", "continue", "continue", "reverse-finish",
        "x/i $pc", "p i", "p sum", "p gdb_counter", "kill")
check(re.search(r"main \(\) at .*target.c:27", r.out[3]),
      "reverse-finish lands in main at the call's line", r.out[3])
m = re.search(r"=> 0x[0-9a-f]+ <main\+\d+>:\s+(\w+)\s+.*<bump>", r.out[4])
check(m is not None and m.group(1) in ("jal", "call"),
      "  on the call instruction itself", r.out[4])
check(r.value(5) == "2" and r.value(6) == "1" and r.value(7) == "1",
      "  of iteration 2, before bump(2) ran", r.out[5] + r.out[6] + r.out[7])

# 5. The end of the history, both ways: continue to the end of the trace
#    stops there (no exit), stays there, and reversing works from there.
r = Run(T100, ELF, "continue", "monitor icount", "continue", "monitor icount",
        "reverse-stepi", "monitor icount", "p gdb_counter", "break bump",
        "reverse-continue", "p by", "delete", "continue", "monitor icount",
        "reverse-continue", "monitor icount", "kill")
check("No more reverse-execution history" in r.out[0] and
      "exited" not in r.out[0] and r.icount(1) == T_LEN,
      "continue stops at the end of the trace", r.out[0] + r.out[1])
check("No more reverse-execution history" in r.out[2] and r.icount(3) == T_LEN,
      "  and stays there on another continue", r.out[2] + r.out[3])
check(r.icount(5) == T_LEN - 1 and r.value(6) == "55",
      "reverse-stepi from the end", r.out[4] + r.out[5] + r.out[6])
check(re.search(r"Breakpoint \d+, bump \(by=10\)", r.out[8]) and r.value(9) == "10",
      "reverse-continue from the end finds the last call", r.out[8] + r.out[9])
check("No more reverse-execution history" in r.out[11] and
      r.icount(12) == T_LEN, "forward to the end again", r.out[11] + r.out[12])
check("No more reverse-execution history" in r.out[13] and r.icount(14) == 0,
      "and back to the start", r.out[13] + r.out[14])

# 6. monitor goto: past the end refused (the connection survives), forward
#    and backward moves, and gdb's registers follow (docs/rewind.gdb).
r = Run(T100, ELF, "break bump", "continue", "monitor icount",
        f"monitor goto {T_LEN + 1}", "monitor icount", "p $pc",
        "monitor goto 2000", "p $pc", "monitor goto 100", "p $pc", "kill")
start = r.icount(2)
check("past the end of the trace" in r.out[3] and r.icount(4) == start,
      "goto past the end is refused, the machine stays", r.out[3] + r.out[4])
m = re.search(r"now at icount 2000 \(hart 0 pc (0x[0-9a-f]+)\)", r.out[6])
pc = re.search(r"(0x[0-9a-f]+)", r.out[7] or "")
check(m and pc and int(m.group(1), 16) == int(pc.group(1), 16) and
      r.value(5) != r.value(7), "forward goto: gdb sees the new pc",
      r.out[5] + r.out[6] + r.out[7])
m = re.search(r"now at icount 100 \(hart 0 pc (0x[0-9a-f]+)\)", r.out[8])
pc = re.search(r"(0x[0-9a-f]+)", r.out[9] or "")
check(m and pc and int(m.group(1), 16) == int(pc.group(1), 16),
      "backward goto: gdb sees the new pc", r.out[8] + r.out[9])

# 7. Two harts. reverse-stepi on either hart goes back over exactly that
#    hart's previous instruction: its minstret drops by one, and every
#    hart's registers equal a forward replay to the icount reached. A
#    stepi then moves that hart forward by exactly one instruction again.
#    gdb sends a reverse step as Hc<thread> + bs only with scheduler
#    locking on (else Hc0: "any thread").
SREGS = "info registers pc ra sp a0 a4 a5 s0 minstret"
for hart in (1, 2):
    cmds = ["break smp_bump if hart == 1", "continue", "continue", "delete",
            f"thread {hart}", SREGS, "monitor icount",
            "set scheduler-locking on", "reverse-stepi", "monitor icount",
            "thread 1", SREGS, "thread 2", SREGS,
            "set scheduler-locking off", f"thread {hart}", "stepi", SREGS,
            "kill"]
    r = Run(S1K, SMP_ELF, *cmds)
    before = dict(regs(r.out[5]))
    after = dict(regs(r.out[11] if hart == 1 else r.out[13]))
    again = dict(regs(r.out[17]))
    ic = r.icount(9)
    check(before and after and
          int(after["minstret"], 16) == int(before["minstret"], 16) - 1 and
          ic is not None and ic < r.icount(6),
          f"-smp 2: reverse-stepi on thread {hart} undoes one of its instructions",
          r.log)
    check(again and again["minstret"] == before["minstret"] and
          again["pc"] == before["pc"],
          f"-smp 2: stepi on thread {hart} redoes exactly that instruction",
          r.log)
    if ic is not None:
        f = Run(S1K, SMP_ELF, f"monitor goto {ic}", "thread 1", SREGS,
                "thread 2", SREGS, "kill")
        check(regs(r.out[11]) == regs(f.out[2]) and
              regs(r.out[13]) == regs(f.out[4]) and regs(f.out[2]),
              f"-smp 2: both harts equal a forward replay to icount {ic}",
              r.log + "\nvs\n" + f.log)

# A hart that has not run yet has no history: reverse-stepi on it says so
# and leaves the machine (the other hart) where it was.
r = Run(S1K, SMP_ELF, "break smp_bump", "continue", "monitor icount",
        "set scheduler-locking on", "thread 2", "reverse-stepi",
        "monitor icount", "kill")
check("No more reverse-execution history" in r.out[5] and
      r.icount(2) is not None and r.icount(6) == r.icount(2),
      "-smp 2: reverse-stepi on a hart that never ran stays", r.log)

# 8. Two harts, reverse-continue: the stops of a forward run, in reverse
#    order, at the same icounts (breakpoint hit by both harts; watchpoint
#    written by both harts; one interval or many).
for trace, what in ((S1K, "checkpoint every 1000"), (SBIG, "one interval")):
    fwd = Run(trace, SMP_ELF, "break smp_bump", *["continue", "monitor icount"] * 5,
              "kill")
    stops = [(re.search(r'Thread (\d+) "hart\d" hit Breakpoint', fwd.out[1 + 2 * k]),
              fwd.icount(2 + 2 * k)) for k in range(5)]
    rev = Run(trace, SMP_ELF, "break smp_bump", *["continue"] * 5,
              "reverse-continue", "monitor icount", "reverse-continue",
              "monitor icount", "kill")
    ok = all(t for t, _ in stops)
    for j, k in ((6, 3), (8, 2)):
        got = re.search(r'Thread (\d+) "hart\d" hit Breakpoint', rev.out[j])
        ok = ok and got and got.group(1) == stops[k][0].group(1) and \
            rev.icount(j + 1) == stops[k][1]
    check(ok, f"-smp 2: reverse-continue retraces the breakpoint stops ({what})",
          fwd.log + "\n=== reverse ===\n" + rev.log)

    fwd = Run(trace, SMP_ELF, "watch gdb_hart_count[1]",
              *["continue", "monitor icount"] * 3, "kill")
    rev = Run(trace, SMP_ELF, "watch gdb_hart_count[1]", *["continue"] * 3,
              "reverse-continue", "monitor icount", "p gdb_hart_count[1]",
              "reverse-continue", "monitor icount", "p gdb_hart_count[1]", "kill")
    w = [fwd.icount(2 + 2 * k) for k in range(3)]
    check(re.search(r"Old value = 3\s+New value = 2\s", rev.out[4]) and
          rev.value(6) == "2" and w[2] is not None and rev.icount(5) == w[2] - 1,
          f"-smp 2: watchpoint reverse-continue undoes the last store ({what})",
          fwd.log + "\n=== reverse ===\n" + rev.log)
    check(re.search(r"Old value = 2\s+New value = 1\s", rev.out[7]) and
          rev.value(9) == "1" and w[1] is not None and rev.icount(8) == w[1] - 1,
          f"-smp 2: and then the one before ({what})", rev.log)

# 9. Stopping, stepping and reversing do not change the recorded execution:
#    after all that, the replay still matches every checkpoint to the end.
r = Run(T100, ELF, "break bump", "continue", "stepi", "stepi", "reverse-stepi",
        "next", "reverse-continue", "delete", "continue", "kill")
check("No more reverse-execution history" in r.out[8] and
      "replay identical" in r.err and "divergence" not in r.err,
      "later checkpoints still match after debugging", r.err + r.log)

print(f"gdb-reverse: {passed} passed, {failed} failed")
exit_cleaning("gdb-reverse", not failed)
