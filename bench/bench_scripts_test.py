"""The benchmark scripts as the README shows them, checked for figures,
not speed (machines are noisy):

    bench_scripts_test.py run  REPO REWIND   `bash bench/run.sh --smoke`
    bench_scripts_test.py boot REPO KIT      `bash bench/boot.sh build/rewind 1`
    bench_scripts_test.py rr   REPO BUILD    `python3 bench/rr_bench.py`,
                          `... --smoke`, `... --instructions --smoke`,
                          `python3 bench/compare.py OLD_BUILD build`

run: the one-round CPU mix with REWIND and WORKLOAD pointing at this
build; every rewind row (JIT, interpreter, recording) and, QEMU being
installed (scripts/setup-deps.sh installs it; missing it is a failure,
not a skip), both QEMU rows have a MIPS figure, the instruction count is
rewind's own, and the ratios include the issue's goal line.
boot: an untimed warm-up boot, then one -smp 1 boot per emulator to the
shell marker and power-off, each row with both times, and the ratios to
QEMU plain.
rr: rr_bench.py's figures, each line with its numbers (record overhead
of the CPU mix and the Linux boot, replay speed, seek and reverse-stepi
latency, QEMU's -icount recording); --smoke's; --instructions --smoke's
instruction counts under valgrind (installed by scripts/setup-deps.sh),
the machine thread's at least the run's; compare.py with this build as
both OLD_BUILD and build."""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests",
                                "integration"))
from rwtest import Suite, ensure_kit, spawn, stop  # noqa: E402

mode, repo = sys.argv[1:3]
t = Suite(f"bench-{mode}")
with open(os.path.join(repo, "README.md")) as f:
    readme = f.read()


def run_script(argv, env, timeout):
    p = spawn(argv, cwd=repo, env=env, stdout=subprocess.PIPE,
              stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=timeout)
    finally:
        stop(p)
    return p.returncode, out, err


t.check(shutil.which("qemu-system-riscv64") is not None,
        "qemu-system-riscv64 is installed (scripts/setup-deps.sh)")
mips = r"\d+\.\d+ s\s+\d+\.\d MIPS"
if mode == "run":
    rewind = os.path.abspath(sys.argv[3])
    build = os.path.dirname(os.path.abspath(rewind))
    command = "bash bench/run.sh --smoke"
    t.check(command in readme, "the README shows " + command)
    env = dict(os.environ, REWIND=rewind,
               WORKLOAD=os.path.join(build, "bench", "workload_smoke.elf"))
    rc, out, err = run_script(["bash", "bench/run.sh", "--smoke"], env, 540)
    t.check(rc == 0, "run.sh --smoke exits 0", out[-2000:] + err[-2000:])
    m = re.search(r"^instructions: (\d+)$", out, re.M)
    t.check(m is not None and 5 * 10**7 < int(m.group(1)) < 10**9,
            "the instruction count (rewind's --stats) of the smoke workload",
            out)
    for row in ("rewind jit=on", "rewind jit=off", "rewind record, jit=on",
                "qemu plain", "qemu -icount shift=0"):
        t.check(re.search(rf"^{re.escape(row)}\s+{mips}$", out, re.M)
                is not None, f"a MIPS figure for '{row}'", out)
    t.check(re.search(r"^  rewind recording \(JIT\) / QEMU plain \(goal 1\.5\)"
                      r"\s+\d+\.\d\dx$", out, re.M) is not None,
            "the goal's ratio line", out)
elif mode == "boot":
    kit = sys.argv[3]
    ensure_kit("the boot benchmark test", repo, kit)
    command = "bash bench/boot.sh build/rewind 1"
    t.check(command in readme, "the README shows " + command)
    env = dict(os.environ, REWIND_KIT_DIR=kit)
    argv = command.split()
    built = os.path.join(os.path.dirname(os.path.abspath(kit)), "rewind")
    if not os.path.exists(os.path.join(repo, argv[2])) or \
            not os.path.samefile(os.path.join(repo, argv[2]), built):
        argv[2] = built   # a build directory other than build/
    rc, out, err = run_script(argv, env, 1500)
    t.check(rc == 0, "boot.sh exits 0", out[-2000:] + err[-2000:])
    t.check(out.startswith("warm-up: one untimed boot of rewind run"),
            "an untimed boot before the timed rows", out[:300])
    secs = r"\d+\.\d\d s to shell marker,\s+\d+\.\d\d s to power-off"
    for row in ("rewind jit=on", "rewind jit=off", "rewind record, jit=on",
                "qemu plain", "qemu -icount shift=0"):
        t.check(re.search(rf"^smp 1  {re.escape(row)}\s+{secs}$", out, re.M)
                is not None, f"both times for '{row}'", out)
    t.check(re.search(r"^smp 1  time / QEMU plain, rewind recording \(JIT; "
                      r"goal <= 0\.6\)\s+marker\s+\d+\.\d\dx, power-off\s+"
                      r"\d+\.\d\dx$", out, re.M) is not None,
            "the goal's ratio line", out)
elif mode == "rr":
    build = os.path.abspath(sys.argv[3])
    ensure_kit("the record/replay benchmark test", repo,
               os.path.join(build, "guest-kit"))
    same = os.path.isdir(os.path.join(repo, "build")) and \
        os.path.samefile(os.path.join(repo, "build"), build)
    t.check(shutil.which("valgrind") is not None,
            "valgrind is installed (scripts/setup-deps.sh)")
    fig = r"\d+\.\d\d s"
    pct = r"[+-]\d+\.\d%"
    for command, timeout, want in [
        ("python3 bench/rr_bench.py", 1200,
         [rf"^cpu-workload \(tcg,jit=on\): \d+ instructions; run {fig}, "
          rf"record {fig} \(overhead {pct}\), replay {fig} \(replay/record "
          r"speed \d+\.\d\dx\)$",
          rf"^linux-boot \(tcg,jit=on\): \d+ instructions; run {fig}, "
          rf"record {fig} \(overhead {pct}\), replay",
          r"^seek to a random icount \(whole command, incl\. start-up\): "
          r"median \d+ ms, max \d+ ms$",
          r"^reverse-stepi at icount ~\d+: median \d+\.\d ms",
          r"^qemu: boot with -icount \d+\.\d\d s, recording \d+\.\d\d s "
          r"\(exit 0\)"]),
        ("python3 bench/rr_bench.py --smoke", 300,
         [rf"^cpu-workload \(tcg,jit=on\): \d+ instructions; run {fig}, "
          rf"record {fig} \(overhead {pct}\)"]),
        ("python3 bench/rr_bench.py --instructions --smoke", 600,
         [r"^cpu-workload: host instructions: run (\d+\.\d+)e9; record: "
          rf"machine thread (\d+\.\d+)e9 \({pct}\), trace writer "
          rf"(\d+\.\d+)e9 \(\d+\.\d% of run\), together {pct}$"]),
        ("python3 bench/compare.py OLD_BUILD build", 600,
         [rf"^cpu-mix: B/A run time \d\.\d+ \({pct}\), record time "
          rf"\d\.\d+ \({pct}\)$"])]:
        t.check(command in readme, "the README shows " + command)
        argv = command.replace("OLD_BUILD", "build").split()
        if not same:   # a build directory other than build/
            argv = [build if a == "build" else a for a in argv]
            if "rr_bench" in command:
                argv.append(build)
        rc, out, err = run_script(argv, dict(os.environ), timeout)
        t.check(rc == 0, command + ": exits 0", out[-2000:] + err[-2000:])
        for pattern in want:
            m = re.search(pattern, out, re.M)
            t.check(m is not None, f"{command}: a line like {pattern}", out)
            if m and "host instructions" in pattern:
                run_i, machine_i, writer_i = (float(g) for g in m.groups())
                t.check(run_i > 0.05 and machine_i >= 0.95 * run_i and
                        writer_i >= 0, f"{command}: counts in proportion",
                        m.group(0))
else:
    t.check(False, "mode is run, boot or rr")
t.finish()
