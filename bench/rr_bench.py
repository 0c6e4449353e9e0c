#!/usr/bin/env python3
"""Record/replay and reverse-debugging figures (not a test: prints numbers).

usage: bench/rr_bench.py [--runs N] [--warm] [--overhead-only] [--instructions]
                        [--smoke] [BUILD_DIR]

- record overhead with the JIT (-accel tcg,jit=on, both sides): CPU
  workload and Linux boot, run vs record wall time;
- replay speed vs record speed;
- trace size per 10^9 instructions and per minute of an idle booted guest,
  checkpoint size and interval;
- seek latency to random points of a 10^10-instruction trace;
- reverse-stepi / reverse-continue latency from gdb deep in a trace;
- QEMU's own -icount rr=record on the same boot, when installed.

--runs N alternates run and record N times for the overhead figures and
prints the median and the range of the N ratios, for wall time and for
CPU time (user + system of the whole process, the writer's thread
included): on a shared machine one pair of runs varies by more than the
overhead itself; also the fastest of each side (the least disturbed
runs), and what `record -stats` says the recording cost the host: the
writer thread's CPU time and the machine thread's time taking the
checkpoints, thread clocks that the rest of the machine's load hardly
moves. --warm runs each timed command once untimed just before: on a VM
whose host reclaims freed memory, the process that needs more memory
than the one before it pays for its first touch, and alternating run
and record hands that to the record every time; warm, each side finds
the memory of its own kind. --overhead-only stops after the overhead
figures.

--instructions prints, instead of times, the record overhead in host
instructions counted by valgrind's callgrind (run and record side by
side, about five minutes for the Linux boot): per thread, the machine's
and the trace writer's, against `run`'s. A virtual machine's time
figures vary by more than the overhead itself from one run to the next
(its host's other guests); the instruction counts of one build do not,
so they show what a change costs or saves (REWIND_FLUSH_MS=5000: the
recorder flushes as often as at full speed). They leave out what the host
kernel does (page faults, writes) and count instructions, not cycles
(cache misses, the hash's multiplies in parallel).

--smoke: the one-round CPU mix only (bench/run.sh --smoke's), for the
record overhead or, with --instructions, its instruction counts: a
check that the script works, in seconds.
"""
import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("build", nargs="?", default=os.path.join(root, "build"),
                metavar="BUILD_DIR")
ap.add_argument("--runs", type=int, default=1,
                help="run/record pairs for the overhead figures (default 1)")
ap.add_argument("--warm", action="store_true",
                help="run each timed command once untimed just before it")
ap.add_argument("--overhead-only", action="store_true",
                help="only the record overhead figures")
ap.add_argument("--instructions", action="store_true",
                help="the record overhead in host instructions (callgrind)")
ap.add_argument("--smoke", action="store_true",
                help="only the one-round CPU mix (a quick check)")
args = ap.parse_args()
build = args.build
rw = os.path.join(build, "rewind")
kit = os.path.join(build, "guest-kit")
tmp = tempfile.mkdtemp()


def timed(args, **kw):
    t0 = time.monotonic()
    p = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, **kw)
    return time.monotonic() - t0, p


def timed_cpu(args):
    """Wall and CPU seconds (user + system, all threads) of one command."""
    before = os.times()
    t, p = timed(args)
    after = os.times()
    cpu = (after.children_user - before.children_user +
           after.children_system - before.children_system)
    return t, cpu, p


def size(path):
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(d, f))
               for d, _, fs in os.walk(path) for f in fs)


def info(trace):
    return subprocess.run([rw, "info", trace], capture_output=True, text=True).stdout


def icount_of(trace):
    m = re.search(r"duration:\s+(\d+) instructions", info(trace))
    return int(m.group(1)) if m else 0


# The engine of the record-overhead figures (issue 13: with the JIT).
ACCEL = ["-accel", "tcg,jit=on"]


def pct(ratios):
    m = statistics.median(ratios)
    return (f"{100 * (m - 1):+.1f}% (range {100 * (min(ratios) - 1):+.1f}% to "
            f"{100 * (max(ratios) - 1):+.1f}%)")


def run_vs_record(name, machine):
    machine = [*machine, *ACCEL]
    d = os.path.join(tmp, name + ".rwd")
    walls, cpus, runs, recs, crun, crec, costs = [], [], [], [], [], [], []
    for _ in range(args.runs):
        if args.warm:
            timed([rw, "run", *machine])
        t_run, c_run, _ = timed_cpu([rw, "run", *machine])
        if args.warm:
            shutil.rmtree(d, ignore_errors=True)
            timed([rw, "record", "-o", d, *machine])
        shutil.rmtree(d, ignore_errors=True)
        t_rec, c_rec, p = timed_cpu([rw, "record", "-o", d, "-stats",
                                     *machine])
        walls.append(t_rec / t_run)
        cpus.append(c_rec / c_run)
        runs.append(t_run)
        recs.append(t_rec)
        crun.append(c_run)
        crec.append(c_rec)
        m = re.search(rb"capture_cpu_ms=([\d.]+) capture_wall_ms=([\d.]+) "
                      rb"writer_cpu_ms=([\d.]+)", p.stderr)
        if m:
            costs.append((float(m[1]), float(m[3]), float(m[2])))
    if args.runs > 1:
        print(f"{name}: {args.runs} alternating pairs{' (warm)' if args.warm else ''}: record overhead, wall "
              f"{pct(walls)}, CPU {pct(cpus)}; run {min(runs):.2f}-"
              f"{max(runs):.2f} s, record {min(recs):.2f}-{max(recs):.2f} s")
        print(f"{name}: fastest of each: wall {min(runs):.3f} -> "
              f"{min(recs):.3f} s ({100 * (min(recs) / min(runs) - 1):+.1f}%), "
              f"CPU {min(crun):.3f} -> {min(crec):.3f} s "
              f"({100 * (min(crec) / min(crun) - 1):+.1f}%)")
    if costs:
        cap = statistics.median(c[0] for c in costs)
        wr = statistics.median(c[1] for c in costs)
        capw = statistics.median(c[2] for c in costs)
        base = statistics.median(crun) * 1000
        print(f"{name}: record -stats (median): checkpoints taken by the "
              f"machine thread {cap:.0f} ms, writer thread {wr:.0f} ms CPU: "
              f"{100 * (cap + wr) / base:.1f}% of the run's CPU time; the "
              f"machine thread's wall time in checkpoints {capw:.0f} ms "
              f"({100 * capw / base:.1f}% of the run), waits for the "
              "writer included")
    t_run, t_rec = statistics.median(runs), statistics.median(recs)
    t_rep, _ = timed([rw, "replay", d, "--quiet", *ACCEL])
    n = icount_of(d)
    ev = size(os.path.join(d, "events.zst"))
    ck = size(os.path.join(d, "checkpoints.zst"))
    print(f"{name} ({ACCEL[1]}): {n} instructions; run {t_run:.2f} s, record {t_rec:.2f} s "
          f"(overhead {100 * (t_rec / t_run - 1):+.1f}%), replay {t_rep:.2f} s "
          f"(replay/record speed {t_rec / t_rep:.2f}x)")
    print(f"{name}: events {ev} B ({ev / n * 1e9 / 1024:.1f} KiB per 10^9 "
          f"instructions), checkpoints {ck / 2**20:.1f} MiB")
    return d


def callgrind_totals(out):
    """Instructions per thread of a callgrind run, in thread order."""
    files = sorted(f for f in os.listdir(tmp) if f.startswith(out + "-"))
    totals = []
    for f in files:
        with open(os.path.join(tmp, f)) as fh:
            m = re.search(r"^totals: (\d+)", fh.read(), re.M)
        totals.append(int(m.group(1)) if m else 0)
    return totals


def instructions(name, machine):
    """run and record of `machine` under callgrind at once (one core each):
    instructions of record's threads against run's."""
    machine = [*machine, *ACCEL]
    d = os.path.join(tmp, name + ".rwd")
    vg = ["valgrind", "--tool=callgrind", "--smc-check=all",
          "--separate-threads=yes", "--dump-instr=no"]
    # About fifty times slower under valgrind: the recorder flushes every
    # 5 s of host time instead of 0.1 s, as often as at full speed.
    env = dict(os.environ, REWIND_FLUSH_MS="5000")
    procs = [subprocess.Popen([*vg, f"--callgrind-out-file={tmp}/{out}", rw,
                               *cmd, *machine], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=env)
             for out, cmd in (("run", ["run"]),
                              ("rec", ["record", "-o", d]))]
    if any(p.wait() != 0 for p in procs):
        sys.exit(f"{name}: a run under valgrind failed")
    run, rec = sum(callgrind_totals("run")), callgrind_totals("rec")
    machine_t, writer = rec[0], sum(rec[1:])
    print(f"{name}: host instructions: run {run / 1e9:.3f}e9; record: machine "
          f"thread {machine_t / 1e9:.3f}e9 ({100 * (machine_t / run - 1):+.1f}%), "
          f"trace writer {writer / 1e9:.3f}e9 ({100 * writer / run:.1f}% of run), "
          f"together {100 * ((machine_t + writer) / run - 1):+.1f}%")
    for f in os.listdir(tmp):
        if f.startswith(("run-", "rec-")):
            os.remove(os.path.join(tmp, f))
    shutil.rmtree(d, ignore_errors=True)


workload = os.path.join(build, "bench", "workload_smoke.elf" if args.smoke
                        else "workload.elf")
cpu_mix = ["-M", "virt", "-bios", "none", "-nographic", "-kernel", workload]
have_kit = not args.smoke and subprocess.run(
    ["bash", os.path.join(root, "scripts", "guest-kit.sh")],
    env=dict(os.environ, REWIND_KIT_DIR=kit),
    capture_output=True).returncode == 0
linux = ["-M", "virt", "-m", "512M", "-smp", "2", "-kernel", os.path.join(kit, "Image"),
         "-initrd", os.path.join(kit, "initrd.gz"), "-append", "console=ttyS0",
         "-nographic"]
if args.instructions:
    if not shutil.which("valgrind"):
        sys.exit("--instructions needs valgrind (apt-get install valgrind)")
    print("== record overhead in host instructions (callgrind, JIT)")
    instructions("cpu-workload", cpu_mix)
    if have_kit:
        instructions("linux-boot", linux)
    shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(0)

print("== record overhead with the JIT, replay speed, trace size")
run_vs_record("cpu-workload", cpu_mix)
boot = None
if have_kit:
    boot = run_vs_record("linux-boot", linux)
    print(info(boot))
if args.overhead_only or args.smoke:
    shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(0)
if have_kit:

    # Idle guest: boot the shell image, let it sit idle (no input, idle time
    # skipped at once), then stop it. Bytes per idle guest minute.
    d = os.path.join(tmp, "idle.rwd")
    shell = [os.path.join(kit, "initrd-shell.gz") if a.endswith("initrd.gz") else a
             for a in linux]
    p = subprocess.Popen([rw, "record", "-o", d, "-icount", "3,sleep=off", *shell],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    time.sleep(25)
    p.terminate()
    p.wait()
    out = info(d)
    gt = re.search(r"([\d.]+) s of guest time \(([\d.]+) s idle\)", out)
    ev = size(os.path.join(d, "events.zst"))
    if gt:
        guest_s = float(gt.group(1))
        print(f"idle guest: {guest_s:.0f} s of guest time ({float(gt.group(2)):.0f} s "
              f"idle) in {ev} B of events: {ev / (guest_s / 60) / 1024:.1f} KiB per "
              f"guest minute")

print("== seek latency on a long trace")
spin = os.path.join(build, "bench", "spin.elf")
d = os.path.join(tmp, "spin.rwd")
t_rec, _ = timed([rw, "record", "-o", d, "-M", "virt", "-bios", "none", "-nographic",
                  "-kernel", spin])
n = icount_of(d)
print(f"spin: {n} instructions recorded in {t_rec:.1f} s, trace {size(d) / 1024:.0f} KiB")
rng = random.Random(1)
lat = []
for _ in range(8):
    target = rng.randrange(n)
    t, _ = timed([rw, "replay", d, "--quiet", "--seek", str(target)])
    lat.append(t)
print(f"seek to a random icount (whole command, incl. start-up): median "
      f"{statistics.median(lat) * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms")

print("== reverse execution latency from gdb")
gdb = shutil.which("gdb-multiarch")
if gdb:
    srv = subprocess.Popen([rw, "replay", d, "-S", "-gdb", "tcp::0"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    # "rewind: gdb server listening on 127.0.0.1:PORT" (the port it got)
    pnum = int(srv.stderr.readline().strip().rsplit(":", 1)[1])
    deep = n // 2 + 12345
    script = os.path.join(tmp, "lat.py")
    with open(script, "w") as f:
        f.write(f"""
import time, statistics
gdb.execute("monitor goto {deep}")
gdb.execute("maintenance flush register-cache")
ts = []
for i in range(10):
    t = time.monotonic(); gdb.execute("reverse-stepi", to_string=True); ts.append(time.monotonic() - t)
print("reverse-stepi at icount ~{deep}: median %.1f ms, max %.1f ms" % (statistics.median(ts) * 1000, max(ts) * 1000))
pc = int(gdb.parse_and_eval("$pc"))
gdb.execute("break *%d" % pc)
gdb.execute("stepi", to_string=True)
gdb.execute("stepi", to_string=True)
ts = []
for i in range(3):
    t = time.monotonic(); gdb.execute("reverse-continue", to_string=True); ts.append(time.monotonic() - t)
    gdb.execute("stepi", to_string=True); gdb.execute("stepi", to_string=True)
print("reverse-continue to a breakpoint hit 2 instructions back: median %.1f ms" % (statistics.median(ts) * 1000))
gdb.execute("kill")
""")
    out = subprocess.run([gdb, "-batch", "-nx", "-ex", "set architecture riscv:rv64",
                          "-ex", f"target remote 127.0.0.1:{pnum}", "-x", script],
                         capture_output=True, text=True, timeout=900).stdout
    print("\n".join(l for l in out.splitlines() if "median" in l))
    srv.wait(timeout=60)

if have_kit and shutil.which("qemu-system-riscv64"):
    smp1 = [("1" if a == "2" else a) for a in linux]
    t1, _ = timed([rw, "record", "-o", os.path.join(tmp, "smp1.rwd"), *smp1])
    print(f"rewind: recording the same boot with -smp 1: {t1:.2f} s, trace "
          f"{size(os.path.join(tmp, 'smp1.rwd'))} B")
    print("== QEMU -icount rr=record on the same boot")
    # QEMU 7.2 hangs in -icount mode with more than one hart: compare -smp 1.
    q = [("1" if a == "2" else a) for a in linux]
    t_plain, _ = timed(["qemu-system-riscv64", *q, "-bios", "default", "-icount", "shift=3"],
                       timeout=120)
    log = os.path.join(tmp, "qemu.rr")
    t_rr, p = timed(["qemu-system-riscv64", *q, "-bios", "default",
                     "-icount", f"shift=3,rr=record,rrfile={log}"], timeout=120)
    print(f"qemu: boot with -icount {t_plain:.2f} s, recording {t_rr:.2f} s "
          f"(exit {p.returncode}), log {size(log) if os.path.exists(log) else 0} B")
shutil.rmtree(tmp, ignore_errors=True)
