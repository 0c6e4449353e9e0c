#!/usr/bin/env python3
"""The test helpers' own promise about temporary directories (rwtest.py):
a test that passes leaves none of the directories it made with
tempfile.mkdtemp; one that fails keeps them and names them."""
import os
import shutil
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from rwtest import Suite  # noqa: E402

t = Suite("rwtest")
CHILD = """
import os, sys, tempfile
sys.path.insert(0, {here!r})
from rwtest import Suite
t = Suite("child")
d = tempfile.mkdtemp(prefix="rwtest-child.")
open(os.path.join(d, "trace"), "w").write("x")
print("made", d)
t.check({ok}, "the check")
t.finish()
"""
for ok in (True, False):
    p = subprocess.run([sys.executable, "-c", CHILD.format(here=here, ok=ok)],
                       capture_output=True, text=True, timeout=60)
    made = [line.split(" ", 1)[1] for line in p.stdout.splitlines()
            if line.startswith("made ")]
    d = made[0] if made else ""
    if ok:
        t.check(p.returncode == 0 and d and not os.path.exists(d),
                "a passing test's temporary directory is gone", p.stdout)
    else:
        t.check(p.returncode == 1 and d and os.path.isfile(
                    os.path.join(d, "trace")) and f"kept {d}" in p.stdout,
                "a failing test's is kept and named", p.stdout)
        if d:
            shutil.rmtree(d, ignore_errors=True)
t.finish()
