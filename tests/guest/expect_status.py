"""Run a command and pass only if it exits with exactly the given status.

meson's should_fail accepts any non-zero status, a crash included; a guest
that fails on purpose must fail with its own code.
Usage: expect_status.py CODE COMMAND [ARG...]
"""
import subprocess
import sys

want = int(sys.argv[1])
p = subprocess.run(sys.argv[2:], stdin=subprocess.DEVNULL)
if p.returncode != want:
    how = (f"killed by signal {-p.returncode}" if p.returncode < 0
           else f"exit status {p.returncode}")
    print(f"FAIL: expected exit status {want}, got {how}")
    sys.exit(1)
print(f"ok: exit status {want} as expected")
