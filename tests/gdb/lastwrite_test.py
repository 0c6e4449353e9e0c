#!/usr/bin/env python3
"""`rewind last-write` and `rewind history` against gdb's reverse watchpoints.

Usage: lastwrite_test.py REWIND TARGET_ELF GDB RNG_ELF STEPS_ELF SMP_ELF PAIR_ELF

target.c (gdb_counter bumped ten times) is recorded with a checkpoint
every 100 instructions, so the writes lie several checkpoint intervals
behind the points asked about. At each point T:
  - gdb (`monitor goto T`, `watch gdb_counter`, `reverse-continue` x3,
    `monitor icount` and `x/i $pc` after each) finds the last three stores;
  - `rewind last-write` must report the first of them (same icount, same
    pc, the `sd` instruction, the values gdb prints as Old/New), and
    `rewind history ... 3` all three in order (oldest first);
  - the search leaves the machine at T: its state hash equals that of
    `rewind replay --seek T --stats`.
virtio_rng.c is recorded with its device; the last write to the buffer
the device fills must be reported as that device's DMA, and a history of
it must chain (each write's old value is the previous one's new value).
smp_target.c on two harts: gdb_hart_count[1], written by hart 1 only:
the history equals gdb's forward watchpoint stops, with hart 1.
steps.S stores its loop counter to 0x80100000 every 3 instructions, on a
page without code (stores there take the TLB fast path): a history of it
must have every store, 3 instructions apart, counting down.
pair.S stores two neighbouring variables in turn: watching the second
only, every store to it is seen (4 instructions apart).
priv_pte.c clears A and D of a PTE with AMOs and accesses its page: the
page walker's A/D updates are writes too (at the icount of the accessing
instruction), so the PTE's history chains and a `goto` to each shows the
old value, the instruction after it the new one.
Bad input gets a one-line error and a non-zero status.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import gdbrun  # noqa: E402 (tests/gdb/gdbrun.py)
from rwtest import exit_cleaning, fail_fast  # noqa: E402 (on the path gdbrun set)

REWIND, ELF, GDB, RNG_ELF, STEPS_ELF, SMP_ELF, PAIR_ELF, PTE_ELF = sys.argv[1:9]
passed = failed = 0


def check(cond, what, output=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {what}")
    else:
        failed += 1
        print(f"FAIL {what}" + (f"\n---- output ----\n{output}\n----" if output else ""))
        fail_fast("last-write")


tmp = tempfile.mkdtemp()


def record(name, elf, every, *extra):
    return gdbrun.record(REWIND, tmp, name, elf, every, *extra)


def gdb_run(trace, elf, *commands):
    """out[i] is what commands[i] printed."""
    r = gdbrun.GdbRun(REWIND, GDB, trace, elf, *commands)
    return r.out, r.log


def rewind(*args):
    return subprocess.run([REWIND, *args], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=300)


def rewind_json(*args):
    r = rewind(*args, "--json")
    try:
        return json.loads(r.stdout), r
    except json.JSONDecodeError:
        return None, r


T100, T_LEN = record("t100.rwd", ELF, 100)

for T in (300, T_LEN - 200):
    out, log = gdb_run(T100, ELF, f"monitor goto {T}", "p/x &gdb_counter",
                       "watch gdb_counter",
                       "reverse-continue", "monitor icount", "x/i $pc",
                       "reverse-continue", "monitor icount", "x/i $pc",
                       "reverse-continue", "monitor icount", "x/i $pc", "kill")
    m = re.search(r"= (0x[0-9a-f]+)", out[1])
    addr = m.group(1) if m else "0"
    g_icounts, g_pcs, g_vals = [], [], []
    for k in (3, 6, 9):
        mi = re.fullmatch(r"icount (\d+)\n", out[k + 1])
        mp = re.search(r"=> (0x[0-9a-f]+)", out[k + 2])
        mv = re.search(r"Old value = (\d+)\s+New value = (\d+)", out[k])
        g_icounts.append(int(mi.group(1)) if mi else None)
        g_pcs.append(int(mp.group(1), 16) if mp else None)
        # gdb going backwards: "Old" is the value after the store.
        g_vals.append((int(mv.group(2)), int(mv.group(1))) if mv else None)
    check(None not in g_icounts and None not in g_pcs and None not in g_vals,
          f"gdb finds three stores before icount {T}", log)
    gap = T - (g_icounts[0] or T)

    j, r = rewind_json("last-write", T100, str(T), addr, "8")
    w = j["writes"][0] if j and j.get("writes") else {}
    check(w.get("icount") == g_icounts[0] and w.get("pc") == g_pcs[0] and
          w.get("kind") == "cpu" and w.get("hart") == 0,
          f"last-write before {T} = gdb's reverse watchpoint: icount "
          f"{g_icounts[0]} ({gap} instructions, {gap // 100} checkpoint "
          "intervals back), same pc", r.stdout + r.stderr)
    check((w.get("disas") or "").split(" ")[0] in ("sd", "c.sd"),
          "  the instruction is the store", r.stdout)
    le = lambda v: int.from_bytes(bytes.fromhex(v), "little")  # noqa: E731
    check(g_vals[0] and w.get("old") and
          (le(w["old"]), le(w["new"])) == g_vals[0],
          f"  old and new value as gdb shows them {g_vals[0]}", r.stdout)
    seek = rewind("replay", T100, "--seek", str(T), "--stats")
    mh = re.search(r"state_hash=([0-9a-f]+)", seek.stderr)
    check(mh and j and j.get("state_hash") == mh.group(1),
          f"  the search leaves the machine at icount {T} (state hash of a "
          "plain seek)", seek.stderr + r.stdout)

    j, r = rewind_json("history", T100, str(T), addr, "3")
    ws = j["writes"] if j else []
    check([x["icount"] for x in ws] == g_icounts[::-1] and
          [x["pc"] for x in ws] == g_pcs[::-1],
          f"history before {T}: gdb's three stores, oldest first", r.stdout)
    text = rewind("history", T100, str(T), addr, "3").stdout
    check(len(re.findall(r"^  icount \d+  hart 0  pc 0x", text, re.M)) == 3 and
          "(oldest first)" in text, "  the text lists them", text)

# Nothing wrote the range: said so, status 0.
r = rewind("last-write", T100, "50", "-p", "0x80100000", "8")
check(r.returncode == 0 and "no write to physical 0x80100000" in r.stdout,
      "a range nobody wrote: 'no write ... since the trace began'",
      r.stdout + r.stderr)

# A device's DMA: the buffer virtio-rng fills.
RNG, _ = record("rng.rwd", RNG_ELF, 300000, "-device", "virtio-rng-device")
nm = subprocess.run(["riscv64-unknown-elf-nm", RNG_ELF], capture_output=True,
                    text=True, check=True).stdout
buf = "%x" % int(re.search(r"^([0-9a-f]+) [bBdD] buf$", nm, re.M).group(1), 16)
j, r = rewind_json("last-write", RNG, "end", f"0x{buf}", "4")
w = j["writes"][0] if j and j.get("writes") else {}
check(w.get("kind") == "dma" and w.get("device", "").startswith("virtio-rng ("),
      "virtio-rng's fill of the buffer is reported as the device's DMA",
      r.stdout + r.stderr)
r2 = rewind("last-write", RNG, "end", f"0x{buf}", "4")
check(re.search(r"DMA by virtio-rng \(virtio-mmio\d\) at physical 0x" + buf,
                r2.stdout), "  the text names the device", r2.stdout)
j, r = rewind_json("history", RNG, "end", f"0x{buf}", "4", "4")
ws = j["writes"] if j else []
check(len(ws) == 4 and all(ws[i]["new"] == ws[i + 1]["old"] for i in range(3))
      and all(ws[i]["icount"] < ws[i + 1]["icount"] for i in range(3))
      and ws[-1] == w, "history of the buffer: four DMA writes in order, "
      "values chained, the last one = last-write", r.stdout)

# Two harts: the stores of hart 1, as gdb's watchpoint sees them forwards.
SMP, _ = record("smp.rwd", SMP_ELF, 1000, "-smp", "2")
out, log = gdb_run(SMP, SMP_ELF, "p/x &gdb_hart_count[1]",
                   "watch gdb_hart_count[1]",
                   *["continue", "monitor icount"] * 3, "kill")
m = re.search(r"= (0x[0-9a-f]+)", out[0])
stops = [re.fullmatch(r"icount (\d+)\n", out[3 + 2 * k]) for k in range(3)]
if m and all(stops):
    W = [int(x.group(1)) for x in stops]
    j, r = rewind_json("history", SMP, str(W[2] + 1), m.group(1), "3")
    ws = j["writes"] if j else []
    check([x["icount"] for x in ws] == [w - 1 for w in W] and
          all(x["hart"] == 1 for x in ws),
          "-smp 2: history of hart 1's counter = gdb's watchpoint stops, "
          "hart 1", log + r.stdout + r.stderr)
else:
    check(False, "-smp 2: gdb stops at three stores", log)

# Every store of a loop, fast path or not, in order.
STEPS, S_LEN = record("steps.rwd", STEPS_ELF, 1000000)
T = 2_500_000
j, r = rewind_json("history", STEPS, str(T), "-p", "0x80100000", "6")
ws = j["writes"] if j else []
le = lambda v: int.from_bytes(bytes.fromhex(v), "little")  # noqa: E731
check(len(ws) == 6 and
      all(ws[i + 1]["icount"] - ws[i]["icount"] == 3 for i in range(5)) and
      all(le(ws[i]["new"]) - le(ws[i + 1]["new"]) == 1 for i in range(5)) and
      all(ws[i]["new"] == ws[i + 1]["old"] for i in range(5)) and
      T - ws[-1]["icount"] <= 3 and
      all((w.get("disas") or "").startswith("sd t0,0(t3)") for w in ws),
      "history of a loop's store: six consecutive stores, 3 instructions "
      "apart, the counter going down by one", r.stdout + r.stderr)
for T in (2_499_998, 2_500_001):
    out, log = gdb_run(STEPS, STEPS_ELF, f"monitor goto {T}",
                       "watch *(long *)0x80100000", "reverse-continue",
                       "monitor icount", "kill")
    mi = re.fullmatch(r"icount (\d+)\n", out[3])
    j, r = rewind_json("last-write", STEPS, str(T), "0x80100000")
    w = j["writes"][0] if j and j.get("writes") else {}
    check(mi and w.get("icount") == int(mi.group(1)),
          f"  last-write before {T} in the loop = gdb's reverse watchpoint",
          log + r.stdout)

# A neighbour's stores must not open the page to the TLB's fast path.
PAIR, _ = record("pair.rwd", PAIR_ELF, 100000)
j, r = rewind_json("history", PAIR, "3000", "0x80100008", "5")
ws = j["writes"] if j else []
check(len(ws) == 5 and
      all(ws[i + 1]["icount"] - ws[i]["icount"] == 4 for i in range(4)) and
      all((w.get("disas") or "").startswith("sd t0,8(t3)") for w in ws),
      "history of a variable whose neighbour is stored in between: every "
      "store, 4 instructions apart", r.stdout + r.stderr)

# The page walker's A/D updates: l0[PG_AD] (l0 + 8) of priv_pte.c.
PTE, _ = record("pte.rwd", PTE_ELF, 20000)
nm = subprocess.run(["riscv64-unknown-elf-nm", PTE_ELF], capture_output=True,
                    text=True, check=True).stdout
pte = int(re.search(r"^([0-9a-f]+) [bB] l0$", nm, re.M).group(1), 16) + 8
j, r = rewind_json("history", PTE, "end", "-p", hex(pte), "12")
ws = j["writes"] if j else []
walks = [w for w in ws if w.get("kind") == "walk"]
check(len(ws) == 12 and len(walks) >= 4 and
      all(ws[i]["new"] == ws[i + 1]["old"] for i in range(11)) and
      all(w["paddr"] == pte and w["hart"] == 0 for w in walks) and
      all(re.match(r"(c\.)?(ld|sd) ", w.get("disas") or "") for w in walks),
      "history of a PTE: the walker's A/D updates for loads and stores "
      "among the AMOs that clear them, values chained", r.stdout + r.stderr)
if walks:
    w = walks[-1]
    n = w["icount"]
    r = rewind("shell", PTE, "-c",
               f"goto {n}; x/1gx {hex(pte)}; goto {n + 1}; x/1gx {hex(pte)}")
    got = re.findall(r"^icount (\d+) .* pc 0x0*([0-9a-f]+) ", r.stdout, re.M)
    vals = re.findall(r"<l0\+8>:\s+0x([0-9a-f]+)", r.stdout)
    le = lambda v: int.from_bytes(bytes.fromhex(v), "little")  # noqa: E731
    check(len(got) == 2 and got[0] == (str(n), "%x" % w["pc"]) and
          len(vals) == 2 and int(vals[0], 16) == le(w["old"]) and
          int(vals[1], 16) == le(w["new"]),
          "  a walk's icount is its instruction's: goto there shows its pc "
          "and the old PTE, one instruction later the new one",
          r.stdout + r.stderr)
    r = rewind("shell", PTE, "-c", f"goto {n + 1}; last-write -p {hex(pte)}")
    check(f"icount {n}  hart 0  pc 0x{w['pc']:x}" in r.stdout and
          f"(page walk: A/D bits at physical 0x{pte:x})" in r.stdout,
          "  the shell's last-write names the walk", r.stdout + r.stderr)

# Bad input: one line, non-zero status.
for args, want in (((T100, "300", "nosuchsym"), "bad address 'nosuchsym'"),
                   ((T100, "300", "0x80000000", "0"), "bad length '0'"),
                   ((T100, "300", "-p", "0x1000"), "is not guest RAM"),
                   ((T100, str(T_LEN + 5), "0x80000000"), "icount")):
    r = rewind("last-write", *args)
    check(r.returncode != 0 and want in r.stderr and
          len(r.stderr.strip().splitlines()) == 1,
          f"last-write {' '.join(args[1:])}: '{want}'", r.stderr)
r = rewind("history", T100, "300", "0x80000000", "0")
check(r.returncode == 1 and "bad count '0'" in r.stderr, "history count 0",
      r.stderr)

print(f"{passed} passed, {failed} failed")
exit_cleaning("gdb-lastwrite", not failed)
