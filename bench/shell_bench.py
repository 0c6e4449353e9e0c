#!/usr/bin/env python3
"""Latency of the debug shell on a long bare-metal trace (issue 12's
figures): `goto` to random points, and `last-write` when the last write
is 10^6, 10^8 and 10^9 instructions back.

usage: bench/shell_bench.py [--build DIR] [--points N] [--seed S] [--smoke]
                            [--keep DIR]

It records bench/shellbench.S (build/bench/shellbench.elf) for 10^10
instructions (`record --max-insns`, default checkpoint interval), then:

- goto: one `rewind shell TRACE --json` session is given `goto X` for N
  (default 20) random icounts X (random.Random(seed), default seed 1),
  in that order (forwards and backwards, as a user jumps around); the
  latency of each is the time between its result line and the one
  before (the session's start for the first), read as they arrive;
- last-write: `rewind last-write TRACE end --json` of A, B and C, whose
  last writes are 10^9, 10^8 and 10^6 instructions before the end; the
  figure is its own `search_seconds` (the search alone, not building the
  machine), and the write it finds is checked to be that one.

It prints a table (and the record time and trace size). --smoke uses
build/bench/shellbench_smoke.elf (the same guest 2500 times smaller: a
4 x 10^6-instruction trace, writes 10^6, 10^5, 10^3 back) and 5 points,
and checks that every part works (exit status 1 if not): the meson test
`bench-shell`. Timings on a loaded machine vary; run it alone.
"""
import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

MACHINE = ["-M", "virt", "-bios", "none", "-nographic"]
ADDRS = [("A", 0x80100000), ("B", 0x80100008), ("C", 0x80100010)]


def du(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "build"))
    ap.add_argument("--rewind", help="the rewind binary (default BUILD/rewind)")
    ap.add_argument("--elf", help="the guest (default BUILD/bench/"
                    "shellbench[_smoke].elf)")
    ap.add_argument("--points", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--keep", help="record the trace into DIR and keep it")
    a = ap.parse_args()
    rewind = a.rewind or os.path.join(a.build, "rewind")
    elf = a.elf or os.path.join(a.build, "bench", "shellbench_smoke.elf"
                                if a.smoke else "shellbench.elf")
    insns = 4 * 10**6 if a.smoke else 10**10
    back = [10**6, 10**5, 10**3] if a.smoke else [10**9, 10**8, 10**6]
    points = a.points or (5 if a.smoke else 20)
    failures = []

    tmp = tempfile.mkdtemp(prefix="shell-bench-")
    trace = a.keep or os.path.join(tmp, "t.rwd")
    t0 = time.monotonic()
    p = subprocess.run([rewind, "record", "-o", trace, "--max-insns",
                        str(insns), *MACHINE, "-kernel", elf],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True)
    rec_s = time.monotonic() - t0
    if p.returncode != 0 and "instruction limit" not in p.stderr:
        print(p.stderr, file=sys.stderr)
        sys.exit("shell_bench: record failed")

    # goto to random points, in one session
    rng = random.Random(a.seed)
    targets = [rng.randrange(insns + 1) for _ in range(points)]
    script = os.path.join(tmp, "gotos.txt")
    with open(script, "w") as f:
        f.write("".join("goto %d\n" % x for x in targets))
    start = time.monotonic()
    proc = subprocess.Popen([rewind, "shell", trace, "--json", "-x", script],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lat, last = [], start
    for line in proc.stdout:
        now = time.monotonic()
        r = json.loads(line)
        if r.get("cmd") == "goto":
            if r.get("icount") != targets[len(lat)]:
                failures.append("goto %d landed at %s" % (targets[len(lat)],
                                                           r.get("icount")))
            lat.append(now - last)
        last = now
    proc.wait()
    if len(lat) != points or proc.returncode != 0:
        failures.append("the goto session: %d of %d results, status %d: %s" %
                        (len(lat), points, proc.returncode,
                         proc.stderr.read()[-300:]))

    # last-write at three distances
    lw = []
    for (name, addr), dist in zip(ADDRS, back):
        p = subprocess.run([rewind, "last-write", trace, "end", "--json",
                            hex(addr)], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True)
        try:
            r = json.loads(p.stdout)
            w = r["writes"][0]
            found = r["icount"] - w["icount"]
            if abs(found - dist) > dist // 100 + 64:
                failures.append("last-write %s: %d back, expected about %d" %
                                (name, found, dist))
            lw.append((name, found, r["search_seconds"], r["intervals"]))
        except (ValueError, KeyError, IndexError):
            failures.append("last-write %s: %s" % (name, p.stdout[-300:] +
                                                   p.stderr[-300:]))

    print("trace: %d instructions of %s, recorded in %.1f s, %.1f MiB"
          % (insns, os.path.basename(elf), rec_s, du(trace) / 2**20))
    if lat:
        print("goto to %d random points (seed %d), one session:" % (len(lat),
                                                                    a.seed))
        print("  | latency | min | median | max |")
        print("  |---|---|---|---|")
        print("  | goto ICOUNT | %.3f s | %.3f s | %.3f s |"
              % (min(lat), statistics.median(lat), max(lat)))
    if lw:
        print("last-write (search_seconds: the search alone):")
        print("  | last write back | search | intervals replayed |")
        print("  |---|---|---|")
        for name, found, secs, n in lw:
            print("  | %s: %d | %.3f s | %d |" % (name, found, secs, n))
    for f in failures:
        print("FAIL: " + f)
    if not a.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
