"""Tiered translation (-accel tcg,jit-threshold=N) gives the interpreter's run.

A block runs in the interpreter until its Nth whole run, then as host
code (tcg/riscv/exec.c run_block), so a run mixes the engines block by
block, and differently for each N.
1. Each guest with jit-threshold=3 ends with the interpreter's console,
   icount and state hash, and so it does stopped at points inside the run.
2. --trace-jit: with jit-threshold=3 the reset block (pc 0x1000, run
   once) is not translated, blocks that loop are, and fewer blocks are
   translated than with jit-threshold=1 (which translates 0x1000).
3. A trace recorded with jit-threshold=1 verifies with jit-threshold=5
   and one recorded with jit-threshold=5 with the interpreter.
4. -accel tcg,help documents the property.
Usage: jit_tiered_test.py REWIND ELF...
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run, stats  # noqa: E402

exe = sys.argv[1]
elfs = sys.argv[2:]
t = Suite("jit-tiered")
tmp = tempfile.mkdtemp()
BOARD = ["-M", "virt", "-bios", "none", "-nographic"]


def accel(threshold):
    """The interpreter for None, else the JIT with that threshold."""
    if threshold is None:
        return ["-accel", "tcg,jit=off"]
    return ["-accel", f"tcg,jit=on,jit-threshold={threshold}"]


def run_stats(elf, threshold, limit=None):
    extra = ["--max-insns", str(limit)] if limit else []
    rc, out, err = run(exe, "run", *BOARD, *accel(threshold), "--stats",
                       *extra, "-kernel", elf, timeout=120)
    s = stats(err)
    return rc, out, (s.get("icount"), s.get("state_hash"))


# 1. The same run as the interpreter's, at the end and at stops.
for elf in elfs:
    name = os.path.basename(elf)
    rc_i, out_i, end_i = run_stats(elf, None)
    rc_j, out_j, end_j = run_stats(elf, 3)
    t.check(rc_i == rc_j == 0 and out_i == out_j and end_i == end_j,
            f"{name}: jit-threshold=3 ends as the interpreter",
            f"interp {rc_i} {end_i}, tiered {rc_j} {end_j}\n{out_j[-400:]}")
    total = int(end_i[0] or 0)
    bad = []
    for n in sorted({total * k // 7 + k for k in range(1, 7)} | {total - 3}):
        a = run_stats(elf, None, n)[2]
        b = run_stats(elf, 3, n)[2]
        if a != b or a[0] != str(n):
            bad.append(f"--max-insns {n}: interp {a}, tiered {b}")
    t.check(not bad, f"{name}: jit-threshold=3, same icount and state at "
            "stops", "\n  ".join(bad[:5]))


# 2. What gets translated.
def translated(threshold):
    tj = os.path.join(tmp, f"jit-{threshold}.txt")
    rc, _, err = run(exe, "run", *BOARD, *accel(threshold), "--trace-jit", tj,
                     "-kernel", elfs[0], timeout=120)
    text = open(tj).read() if rc == 0 and os.path.exists(tj) else ""
    return [b.split("\n", 1)[0] for b in text.split("\n\n")
            if b.startswith("IN: pc")]


at_once, tiered = translated(1), translated(3)
boot = "IN: pc 0x0000000000001000"
t.check(any(b.startswith(boot) for b in at_once) and
        not any(b.startswith(boot) for b in tiered),
        "a block run once is translated with jit-threshold=1, not with 3",
        f"{at_once[:3]} / {tiered[:3]}")
t.check(0 < len(tiered) < len(at_once),
        "jit-threshold=3 translates the blocks that run again, fewer than 1",
        f"{len(tiered)} vs {len(at_once)} blocks")

# 3. Traces verify whatever mix recorded or replays them (priv_irq:
# timer interrupts at exact icounts).
rec_elf = next((e for e in elfs if "priv_irq" in e), elfs[0])
for rec, ver in ((1, 5), (5, None)):
    d = os.path.join(tmp, f"rec-{rec}.rwd")
    rc, out, err = run(exe, "record", "-o", d, "--checkpoint-every", "5000",
                       *BOARD, *accel(rec), "-kernel", rec_elf, timeout=300)
    t.check(rc == 0 and "PASS" in out, f"record with jit-threshold={rec}",
            out + err)
    rc, out, err = run(exe, "verify", d, *accel(ver), timeout=300)
    t.check(rc == 0 and "replay identical" in err,
            f"recorded with jit-threshold={rec}, verified with "
            f"{'jit-threshold=%d' % ver if ver else 'the interpreter'}", err)

# 4. Documented where the other tcg properties are.
rc, out, err = run(exe, "run", "-accel", "tcg,help")
t.check(rc == 0 and "jit-threshold=N" in out,
        "-accel tcg,help documents jit-threshold", out + err)

shutil.rmtree(tmp)
t.finish()
