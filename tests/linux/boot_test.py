"""Boot Debian's riscv64 kernel with a busybox initramfs (the guest kit).

- -smp 1 and -smp 4 reach userspace, run the baked test script (uname,
  /proc/cpuinfo, dmesg, a compute loop) and power off cleanly;
- two boots with the same inputs give the same console bytes, icount and
  state hash;
- the interactive image takes typed commands on the serial console.

The kit comes from scripts/guest-kit.sh (apt, cached outside the repo). If
it cannot be had the test fails: CI must not skip it. Locally,
REWIND_SKIP_LINUX=1 skips it with a message (exit 77).
"""
import os
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, stats, ensure_kit, spawn  # noqa: E402

exe, repo, kit = sys.argv[1:4]
t = Suite("linux-boot")

ensure_kit("the Linux boot tests", repo, kit)

image = os.path.join(kit, "Image")
# The RTC is the one host input a non-interactive boot reads: pin it, so
# that equal inputs really are equal.
base = ["run", "-M", "virt", "-m", "512M", "-kernel", image,
        "-append", "console=ttyS0", "-nographic", "--stats",
        "-rtc", "base=2026-01-01T00:00:00"]


def boot(smp, initrd="initrd.gz", timeout=600):
    p = subprocess.run([exe, *base, "-smp", str(smp), "-initrd",
                        os.path.join(kit, initrd)],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), \
        p.stderr.decode(errors="replace")


for smp in (1, 4):
    t0 = time.time()
    rc, out, err = boot(smp)
    took = time.time() - t0
    print(f"-smp {smp}: {took:.1f} s, {stats(err).get('icount')} instructions")
    t.check(rc == 0, f"smp{smp}: exit 0 after power-off", err[-500:])
    t.check("REWIND-BOOT-OK" in out, f"smp{smp}: reached userspace", out[-2000:])
    t.check("Linux rewind" in out and "riscv64" in out, f"smp{smp}: uname", out[-2000:])
    t.check(out.count("hart\t\t:") == smp, f"smp{smp}: {smp} harts in /proc/cpuinfo",
            out[-3000:])
    t.check("compute ok sum=" in out, f"smp{smp}: compute loop", out[-2000:])
    t.check("REWIND-TEST-DONE" in out and "reboot: Power down" in out,
            f"smp{smp}: clean power-off", out[-1000:])
    t.check("Kernel panic" not in out and "Oops" not in out, f"smp{smp}: no oops")
    if smp == 4:
        first = (rc, out, stats(err))

rc, out, err = boot(4)
t.check(out == first[1], "same inputs: identical console output")
t.check(stats(err).get("icount") == first[2].get("icount"), "same icount",
        f"{stats(err)} vs {first[2]}")
t.check(stats(err).get("state_hash") == first[2].get("state_hash"), "same state hash")

# Interactive: type on the serial console, read the answer.
p = spawn([exe, *base, "-smp", "2", "-initrd",
           os.path.join(kit, "initrd-shell.gz")],
          stdin=subprocess.PIPE, stdout=subprocess.PIPE,
          stderr=subprocess.STDOUT)
buf = b""


def wait_for(pattern, timeout):
    global buf
    end = time.time() + timeout
    while time.time() < end:
        ready, _, _ = select.select([p.stdout], [], [], 0.5)
        if ready:
            data = os.read(p.stdout.fileno(), 65536)
            if not data:
                break
            buf += data
            if pattern in buf:
                return True
    return pattern in buf


t.check(wait_for(b"REWIND-BOOT-OK", 600), "shell image boots", buf[-2000:])
t.check(wait_for(b"# ", 60), "shell prompt", buf[-500:])
# busybox's line editor asks where the cursor is (ESC [6n) once it reads
# keys in raw mode: typing before that would race with its setup.
t.check(wait_for(b"# \x1b[6n", 60), "the shell reads keys", buf[-500:])
p.stdin.write(b"echo typed-$((6*7))\n")
p.stdin.flush()
t.check(wait_for(b"typed-42", 60), "typed command runs", buf[-500:])
p.stdin.write(b"exit\n")
p.stdin.flush()
t.check(wait_for(b"reboot: Power down", 120), "exit powers off", buf[-500:])
try:
    t.check(p.wait(timeout=60) == 0, "interactive run exits 0")
except subprocess.TimeoutExpired:
    p.kill()
    t.check(False, "interactive run exits by itself")
t.finish()
