#!/usr/bin/env python3
"""Compare two builds of rewind on the same workloads (prints figures).

usage: bench/compare.py [--rounds N] [--linux] BUILD_A BUILD_B

For "no performance loss" checks: the two binaries run alternately
(A B A B ...), so load on a shared machine hits both alike, and the fastest
of N rounds counts for each. Workloads:
- cpu-mix: bench/workload.elf with `run` (MIPS) and `record` (record
  overhead over run), the same figures bench/run.sh and bench/rr_bench.py
  give;
- with --linux, the Debian kernel boot of the guest kit (BUILD_B/guest-kit)
  under `run` and `record`.
Each build's workload comes from its own build directory. Exit status 1
if a run failed, else 0: the ratios are for a person to judge.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time


def timed(args):
    t0 = time.monotonic()
    p = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    return time.monotonic() - t0, p


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--linux", action="store_true",
                    help="also time a Linux boot (needs BUILD_B/guest-kit)")
    ap.add_argument("builds", nargs=2, metavar="BUILD")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp()
    failed = False
    kit = os.path.join(a.builds[1], "guest-kit")
    jobs = {}
    for b in a.builds:
        rw = os.path.join(b, "rewind")
        elf = os.path.join(b, "bench", "workload.elf")
        for f in (rw, elf):
            if not os.path.exists(f):
                sys.exit(f"compare.py: {f} not found (build {b} first)")
        bare = ["-M", "virt", "-bios", "none", "-nographic", "-kernel", elf]
        jobs[b, "cpu-mix"] = (rw, bare)
        if a.linux:
            jobs[b, "linux-boot"] = (rw, [
                "-M", "virt", "-m", "512M", "-smp", "2",
                "-kernel", os.path.join(kit, "Image"),
                "-initrd", os.path.join(kit, "initrd.gz"),
                "-append", "console=ttyS0", "-nographic"])
    best = {}
    icount = {}
    for r in range(a.rounds):
        for (b, w), (rw, machine) in jobs.items():
            for mode in ("run", "record"):
                args = [rw, mode]
                if mode == "record":
                    d = os.path.join(tmp, "t.rwd")
                    shutil.rmtree(d, ignore_errors=True)
                    args += ["-o", d]
                else:
                    args += ["--stats"]
                t, p = timed(args + machine)
                if p.returncode != 0:
                    print(f"{b} {w} {mode}: exit {p.returncode}\n{p.stderr[-2000:]}")
                    failed = True
                m = re.search(r"icount=(\d+)", p.stderr)
                if m:
                    icount[b, w] = int(m.group(1))
                key = (b, w, mode)
                best[key] = min(best.get(key, t), t)
        print(f"round {r + 1}/{a.rounds} done", file=sys.stderr)
    shutil.rmtree(tmp, ignore_errors=True)
    for w in dict.fromkeys(w for _, w in jobs):
        figs = []
        for b in a.builds:
            run, rec = best[b, w, "run"], best[b, w, "record"]
            n = icount.get((b, w))
            mips = f"{n / run / 1e6:.1f} MIPS, " if n else ""
            print(f"{w} [{b}]: run {run:.3f} s ({mips}best of {a.rounds}), "
                  f"record {rec:.3f} s, record overhead {100 * (rec / run - 1):+.1f}%")
            figs.append((run, rec))
        (ra, ca), (rb, cb) = figs
        print(f"{w}: B/A run time {rb / ra:.3f} ({100 * (rb / ra - 1):+.1f}%), "
              f"record time {cb / ca:.3f} ({100 * (cb / ca - 1):+.1f}%)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
