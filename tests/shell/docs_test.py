#!/usr/bin/env python3
"""The `rewind shell` commands README.md and docs/shell.md show, run as
written (in a scratch directory where `build/` is the build tree), and the
output the README shows after its example compared with what it prints.

Usage: docs_test.py REWIND BUILD_DIR"""
import os
import re
import shlex
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite  # noqa: E402

REWIND, BUILD = (os.path.abspath(a) for a in sys.argv[1:3])
REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
t = Suite("shell-docs")
tmp = tempfile.mkdtemp()
os.symlink(BUILD, os.path.join(tmp, "build"))


def shown(doc):
    """(command line, [output lines shown after it]) for each
    `./build/rewind record|shell` line of an indented block."""
    lines = open(os.path.join(REPO, doc)).read().splitlines()
    out = []
    for i, line in enumerate(lines):
        m = re.match(r"^    (\./build/rewind (?:record|shell) .*)$", line)
        if not m or m.group(1).endswith("\\") or (
                " record " in line and "shell_target.elf" not in line):
            continue   # another section's examples
        after = []
        j = i + 1
        if j < len(lines) and lines[j] == "":
            j += 1
            while j < len(lines) and lines[j].startswith("    ") and \
                    not lines[j].startswith("    ./build"):
                after.append(lines[j][4:])
                j += 1
        out.append((m.group(1), after))
    return out


for doc in ("README.md", "docs/shell.md"):
    cmds = shown(doc)
    t.check(any(" shell " in c for c, _ in cmds), f"{doc} shows rewind shell")
    for cmd, expect in cmds:
        argv = shlex.split(cmd)
        if argv[1] == "record" and os.path.exists(os.path.join(tmp, "t.rwd")):
            continue   # both documents record the same trace
        p = subprocess.run(argv, cwd=tmp, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=120)
        bad_input = "frobnicate" in cmd
        t.check(p.returncode == (1 if bad_input else 0),
                f"{doc}: {cmd} exits {1 if bad_input else 0}",
                f"{p.returncode}\n{p.stdout}{p.stderr}")
        if expect:
            got = (p.stdout + p.stderr).splitlines() if bad_input \
                else p.stdout.splitlines()
            t.check(sorted(got) == sorted(expect),
                    f"{doc}: {cmd} prints what is shown",
                    "\n".join(got) + "\n---- shown ----\n" + "\n".join(expect))

t.finish()
