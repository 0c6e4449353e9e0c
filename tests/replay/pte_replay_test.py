"""A guest that changes its page tables without sfence.vma runs the same
whenever the host flushes its TLB (tcg/riscv/ptpage.c).

pte_loop remaps pages, clears A bits with AMOs and remaps a code page in
a loop, never fencing, and sums what it reads. Checkpoints (which
write-protect RAM), snapshot loads (seeks) and the engine must not change
that sum:
1. a plain run with the JIT and with the interpreter, and recordings with
   a checkpoint every 4,000 and every 10^9 instructions all end in the
   same state hash and print the same sum;
2. seeks to points after checkpoints land on the state a straight replay
   reaches there, and report no divergence;
3. `verify` passes with the JIT and with the interpreter.
Usage: pte_replay_test.py REWIND PTE_LOOP_ELF
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run, stats  # noqa: E402

exe, elf = sys.argv[1], sys.argv[2]
t = Suite("pte-replay")
tmp = tempfile.mkdtemp()
BOARD = ["-M", "virt", "-bios", "none", "-nographic"]


def jit(on):
    return ["-accel", "tcg,jit=" + ("on" if on else "off")]


def sum_line(out):
    return next((ln for ln in out.splitlines() if "pte_loop: sum" in ln), None)


# 1. Runs and recordings.
ends = {}
for on in (True, False):
    rc, out, err = run(exe, "run", *BOARD, *jit(on), "--stats", "-kernel",
                       elf, timeout=120)
    s = stats(err)
    t.check(rc == 0 and sum_line(out), f"run jit={on}", out + err)
    ends[f"run jit={on}"] = (sum_line(out), s.get("icount"),
                             s.get("state_hash"))
recs = {}
for every in (4000, 10**9):
    d = os.path.join(tmp, f"rec-{every}.rwd")
    rc, out, err = run(exe, "record", "-o", d, "--checkpoint-every",
                       str(every), *BOARD, "-kernel", elf, timeout=300)
    t.check(rc == 0 and sum_line(out), f"record, checkpoint every {every}",
            out + err)
    recs[every] = d
    printed = sum_line(out)
    rc, out, err = run(exe, "replay", d, "--quiet", "--stats", timeout=300)
    s = stats(err)
    t.check(rc == 0, f"replay of the recording every {every}", err)
    ends[f"recorded every {every}"] = (printed, s.get("icount"),
                                       s.get("state_hash"))
first = next(iter(ends.values()))
t.check(all(e == first for e in ends.values()) and first[2],
        "same sum, icount and final state hash in runs and recordings",
        "\n  ".join(f"{k}: {v}" for k, v in ends.items()))

# 2. Seeks after checkpoints (the small interval: several lie before each
#    point) agree with a straight replay and report no divergence.
d = recs[4000]
total = int(first[1] or 0)
bad = []
for n in (total // 3 + 11, total // 2 + 5, total - 9):
    rc, out, err = run(exe, "replay", d, "--quiet", "--seek", str(n),
                       "--stats", timeout=300)
    seek = stats(err)
    rc2, out2, err2 = run(exe, "replay", d, "--quiet", "--until", str(n),
                          "--stats", timeout=300)
    straight = stats(err2)
    if (rc != 0 or "divergence" in err or seek.get("icount") != str(n) or
            seek.get("state_hash") != straight.get("state_hash")):
        bad.append(f"{n}: rc {rc}, seek {seek}, straight {straight}\n"
                   f"{err[-300:]}")
t.check(total > 0 and not bad, "seeks through checkpoints land on the "
        "recorded state", "\n  ".join(bad))

# 3. verify, both engines (every checkpoint's hash is checked).
for on in (True, False):
    rc, out, err = run(exe, "verify", d, *jit(on), timeout=300)
    t.check(rc == 0 and "replay identical" in err, f"verify jit={on}", err)

t.finish()
