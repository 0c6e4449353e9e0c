"""Determinism and exact instruction counting.

count.elf retires exactly 2011 instructions (see count.S); the same program
run twice gives identical icount and whole-machine state hash; --max-insns
stops at exactly N; --trace writes one line per retired instruction."""
import os
import sys
import tempfile

from rwtest import Suite, run, stats

exe, count, *programs = sys.argv[1:]
t = Suite("determinism")
tmp = tempfile.mkdtemp()
base = ["run", "-M", "virt", "-bios", "none", "-nographic", "--stats"]

rc, out, err = run(exe, *base, "-kernel", count)
s = stats(err)
t.check(rc == 0 and s.get("icount") == "2011", "count.elf icount == 2011", err)

for n in (1, 6, 7, 100, 2010):
    rc, out, err = run(exe, *base, "--max-insns", str(n), "-kernel", count)
    t.check(stats(err).get("icount") == str(n), f"--max-insns {n} stops exactly", err)

trace = os.path.join(tmp, "trace.txt")
rc, out, err = run(exe, *base, "--trace", trace, "-kernel", count)
with open(trace) as f:
    lines = f.read().splitlines()
t.check(len(lines) == 2011, "trace has one line per instruction", str(len(lines)))
t.check(lines and lines[0].split()[2] == "0000000000001000", "trace starts at reset vector",
        lines[0] if lines else "")
t.check(lines and lines[-1].split()[0] == "2010" and "sw" in lines[-1],
        "trace ends with the finisher store", lines[-1] if lines else "")

# Tracing must not change the execution.
rc, out, err2 = run(exe, *base, "-kernel", count)
t.check(stats(err2).get("state_hash") == stats(err).get("state_hash"),
        "trace does not perturb state")

for prog in programs:
    name = os.path.basename(prog)
    results = []
    for _ in range(2):
        rc, out, err = run(exe, *base, "-kernel", prog, timeout=120)
        results.append((rc, out, stats(err)))
    (rc1, out1, s1), (rc2, out2, s2) = results
    t.check(rc1 == rc2 and out1 == out2, f"{name}: same exit and console")
    t.check(s1.get("icount") and s1.get("icount") == s2.get("icount"),
            f"{name}: same icount", f"{s1} vs {s2}")
    t.check(s1.get("state_hash") and s1.get("state_hash") == s2.get("state_hash"),
            f"{name}: same state hash", f"{s1} vs {s2}")

# A different icount shift changes guest time but not the instruction count
# of a program that never reads time.
rc, out, err = run(exe, *base, "-icount", "0", "-kernel", count)
s0 = stats(err)
t.check(s0.get("icount") == "2011" and s0.get("guest_ns") == "2011",
        "shift 0: 1 ns per instruction", err)
t.finish()
