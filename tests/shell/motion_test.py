#!/usr/bin/env python3
"""`goto time` and `reverse-nexti`/`nexti` against ground truth.

Usage: motion_test.py REWIND PRIV_IRQ_ELF RNEXT_ELF

goto time: a trace of tests/guest/priv_irq.c (it waits in wfi, so the
clock jumps at idle skips). Ground truth: `stepi` over the whole trace
gives the guest time every stop shows, icount by icount (a stop by
count, as `goto ICOUNT` shows it); `goto time T` must land on the first
icount whose time is >= T, for times on, just after and inside every
idle skip and at random, in a random order (forwards and backwards); a
time past the end is one error line and the session stays where it
was. Live (`rewind shell -- ...`) it runs forwards to the time, and an
earlier time goes back in the recording; checked the same way against
`stepi` of that live run.

reverse-nexti: a trace of tests/shell/rnext.S (a loop calling a
recursive function, a leaf and an ecall, under timer interrupts).
Ground truth from the pcs of every stop: a shadow stack of calls and
returns, and the traps table. From every point after a return,
reverse-nexti must land on the call of the same frame (the recursive
call site runs in three frames: not a deeper one); after a handler's
mret, where that trap was taken (an ecall: on the ecall; an interrupt:
before the interrupted instruction); elsewhere one instruction back.
nexti over each call must land on its return point in the same frame.
Without a derived-event index, reverse-nexti after an mret says why and
stops on the mret."""
import json
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite  # noqa: E402

REWIND, IRQ_ELF, RNEXT_ELF = sys.argv[1:4]
t = Suite("shell-motion")
tmp = tempfile.mkdtemp()
MACHINE = ["-M", "virt", "-bios", "none", "-nographic"]


def record(name, elf, *extra):
    d = os.path.join(tmp, name)
    subprocess.run([REWIND, "record", "-o", d, *extra, *MACHINE, "-kernel",
                    elf], stdin=subprocess.DEVNULL, capture_output=True,
                   check=True)
    return d


def shell(args, cmds, timeout=300):
    script = os.path.join(tmp, "cmds.txt")
    with open(script, "w") as f:
        f.write("\n".join(cmds) + "\n")
    p = subprocess.run([REWIND, "shell", "--json", "-x", script, *args],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=timeout)
    return [json.loads(x) for x in p.stdout.splitlines()], p.stderr


def first_at(times, ns):
    return next((i for i, x in enumerate(times) if x >= ns), None)


# ---- goto time, on a trace ----
irq = record("irq.rwd", IRQ_ELF)
rows, _ = shell([irq], ["goto end"])
end = rows[0]["icount"]
rows, _ = shell([irq], ["stepi"] * end)
times = [0] + [r["time_ns"] for r in rows]
t.check(len(times) == end + 1 and times[-1] == rows[-1]["time_ns"],
        "stepi covers the trace", str(len(times)))
gaps = [i for i in range(end) if times[i + 1] - times[i] > 8]
t.check(len(gaps) >= 2, "the trace has idle skips", str(gaps))
targets = [0, 1, 7, 8, 9, times[-1]]
for i in gaps:
    a, b = times[i], times[i + 1]
    targets += [a, a + 1, (a + b) // 2, b - 1, b, b + 1]
rng = random.Random(12)
targets += [rng.randrange(times[-1]) for _ in range(20)]
rng.shuffle(targets)
rows, err = shell([irq], ["goto time %dns" % x for x in targets])
wrong = [(x, first_at(times, x), r.get("icount"), r.get("time_ns"))
         for x, r in zip(targets, rows)
         if r.get("icount") != first_at(times, x) or r["time_ns"] < x]
t.check(len(rows) == len(targets) and not wrong,
        "goto time lands on the first icount at or after each time "
        "(%d times, %d inside idle skips)" % (len(targets), 4 * len(gaps)),
        str(wrong[:5]) + err)
rows, err = shell([irq], ["goto 5000", "goto time %dns" % (times[-1] + 1),
                          "where"])
t.check(len(rows) == 3 and not rows[1]["ok"] and
        "past the end of the trace" in rows[1]["error"] and
        rows[2]["icount"] == 5000,
        "a time past the end: one error line, the session stays", str(rows))

# ---- goto time, live ----
live = ["--"] + MACHINE + ["-kernel", IRQ_ELF]
rows, _ = shell(live, ["stepi"] * end)
ltimes = [0] + [r["time_ns"] for r in rows]
lgaps = [i for i in range(len(ltimes) - 1) if ltimes[i + 1] - ltimes[i] > 8]
fwd = []   # inside skips, each after where the one before lands
for i in lgaps:
    for x in (ltimes[i] + 1, (ltimes[i] + ltimes[i + 1]) // 2):
        if not fwd or x > ltimes[first_at(ltimes, fwd[-1])]:
            fwd.append(x)
cmds = ["goto time %dns" % x for x in fwd] + ["goto time %dns" % fwd[0]]
rows, err = shell(live, cmds)
want = [first_at(ltimes, x) for x in fwd + [fwd[0]]]
t.check(len(lgaps) >= 2 and len(want) >= 3 and
        [r.get("icount") for r in rows] == want,
        "live: goto time runs forwards to each time, and back in the "
        "recording", "%s %s %s" % ([r.get("icount") for r in rows], want, err))

# ---- reverse-nexti and nexti ----
rn = record("rn.rwd", RNEXT_ELF)
rows, _ = shell([rn], ["goto end"])
end = rows[0]["icount"]
rows, _ = shell([rn], ["stepi"] * end)
sym = [None] + [(r["symbol"] or "") +
                ("+%d" % r["offset"] if r.get("offset") else "") for r in rows]
first, _ = shell([rn], ["where"])
sym[0] = first[0]["symbol"]
traps, _ = shell([rn], ["traps"])
trap_at = sorted(x["icount"] for x in traps[0]["traps"])
CALLS = {"call_rec", "call_leaf", "rec_call"}
RETS = {"leaf_ret", "rec_ret"}
MRETS = {"handler_ret", "irq_ret"}
stack, expect, after_call = [], {}, {}
for i in range(end):
    if i in trap_at:
        continue   # a trap is taken here: the instruction at i runs later
    if sym[i] in CALLS:
        stack.append(i)
    elif sym[i] in RETS:
        c = stack.pop()
        expect[i + 1] = c          # back over the call
        after_call[c] = i + 1      # nexti from the call
    elif sym[i] in MRETS:
        expect[i + 1] = max(x for x in trap_at if x <= i)
points = sorted(expect) + [p for p in range(1, end, 97) if p not in expect]
cmds = []
for p in points:
    cmds += ["goto %d" % p, "reverse-nexti"]
rows, err = shell([rn], cmds)
got = {p: r.get("icount") for p, r in zip(points, rows[1::2])}
want = {p: expect.get(p, p - 1) for p in points}
wrong = [(p, sym[p], want[p], got[p]) for p in points if got[p] != want[p]]
n_rec = sum(1 for p in expect if sym[expect[p]] == "rec_call")
n_trap = sum(1 for p in expect if sym[p - 1] in MRETS)
t.check(not wrong and n_rec >= 40 and n_trap >= 40,
        "reverse-nexti lands on the call of the same frame (%d recursive), "
        "on the trap (%d handlers), else one back" % (n_rec, n_trap),
        str(wrong[:6]) + err)
irq_points = [p for p in expect if sym[p - 1] == "irq_ret"]
texts = [r.get("text", "") for p, r in zip(points, rows[1::2])
         if p in irq_points]
t.check(irq_points and all(sym[expect[p]] == sym[p] for p in irq_points) and
        all("back over trap #" in x for x in texts),
        "after an interrupt: before it was taken, at the interrupted pc, "
        "saying which trap", str(texts[:2]))
calls = sorted(after_call)
cmds = []
for c in calls:
    cmds += ["goto %d" % c, "nexti"]
rows, err = shell([rn], cmds)
wrong = [(c, sym[c], after_call[c], r.get("icount"))
         for c, r in zip(calls, rows[1::2]) if r.get("icount") != after_call[c]]
t.check(not wrong, "nexti over each call returns to the same frame",
        str(wrong[:6]) + err)

# Without the derived-event index: a note, and a stop on the mret.
bare = record("bare.rwd", RNEXT_ELF, "--no-derived")
p = next(p for p in sorted(expect) if sym[p - 1] == "handler_ret")
rows, err = shell([bare], ["goto %d" % p, "reverse-nexti"])
t.check(len(rows) == 2 and rows[1]["icount"] == p - 1 and
        "no derived-event index" in rows[1].get("text", ""),
        "no index: reverse-nexti says so and stops on the mret",
        str(rows) + err)

t.finish()
