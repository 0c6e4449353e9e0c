#!/usr/bin/env python3
"""Progress bars of long operations: on a terminal, and not through a pipe.

Usage: progress_test.py REWIND SPIN_ELF

A 10^8-instruction trace of bench/spin.S (one checkpoint, at the start).
On a real pseudo-terminal (tests/integration/ptyterm.py, which answers
ESC [6n like a terminal): `rewind verify` draws `verify [###   ]  NN%`
and erases it (CR, ESC [K) before its report; in `rewind shell`, a far
`goto` (9 x 10^7 instructions replayed) draws `seeking [...] NN%` and
erases it before the stop line, which starts on a clean line; so does
`last-write` searching back to the start. The same
commands with stdout and stderr to pipes print no bar: no CR, no ESC,
no percentage."""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from ptyterm import Terminal  # noqa: E402
from rwtest import Suite, run  # noqa: E402

REWIND, SPIN = sys.argv[1:3]
t = Suite("shell-progress")
tmp = tempfile.mkdtemp()
trace = os.path.join(tmp, "spin.rwd")
subprocess.run([REWIND, "record", "-o", trace, "--max-insns", "100000000",
                "-M", "virt", "-bios", "none", "-nographic", "-kernel", SPIN],
               stdin=subprocess.DEVNULL, capture_output=True, check=True)
env = dict(os.environ, XDG_STATE_HOME=os.path.join(tmp, "state"), TERM="xterm")
BAR = rb"\r%s \[[# ]{24}\] +(\d+)%%"
ERASE = b"\r\x1b[K"


def bars(screen, label):
    return [int(p) for p in re.findall(BAR % label, screen)]


# verify on a terminal
term = Terminal([REWIND, "verify", trace], env=env)
status = term.wait(t.limit(120))
screen = term.screen
seen = bars(screen, b"verify")
t.check(status == 0, "verify on a terminal passes", str(status))
t.check(len(seen) >= 1 and all(0 <= p <= 100 for p in seen),
        "verify draws a bar with a percentage", repr(screen[-400:]))
last_bar = max((m.end() for m in re.finditer(BAR % b"verify", screen)),
               default=-1)
erase = screen.find(ERASE, last_bar)
report = screen.find(b"rewind: ", last_bar)
t.check(last_bar >= 0 and erase >= 0 and 0 <= erase < report,
        "the bar is erased before verify's report", repr(screen[-400:]))

# a far goto in the shell, at the prompt
PROMPT = b"(rewind) "
term = Terminal([REWIND, "shell", trace, "--quiet"], env=env)
t.check(term.expect(PROMPT, t.limit(30)) is not None, "the prompt appears",
        term.text())
m = term.mark()
term.type(b"goto 90000000\r")
at = term.expect(PROMPT, t.limit(120), m)
screen = term.screen[m:at or len(term.screen)]
seen = bars(screen, b"seeking")
t.check(at is not None and len(seen) >= 1, "a far goto draws a bar",
        repr(screen[-400:]))
stop = screen.find(b"icount 90000000  time")
last_bar = max((mm.end() for mm in re.finditer(BAR % b"seeking", screen)),
               default=-1)
t.check(0 <= last_bar < stop and
        screen.rfind(ERASE, last_bar, stop) >= 0 and
        screen[:stop].endswith(ERASE),
        "it is erased and the stop line starts on a clean line",
        repr(screen[-400:]))
# a short goto draws none
m = term.mark()
term.type(b"goto 90000100\r")
at = term.expect(PROMPT, t.limit(60), m)
screen = term.screen[m:at or len(term.screen)]
t.check(at is not None and b"icount 90000100" in screen and
        not bars(screen, b"seeking"), "a short goto draws no bar",
        repr(screen))
# last-write searching far back (nothing ever wrote there: to the start)
m = term.mark()
term.type(b"last-write 0x80100000\r")
at = term.expect(PROMPT, t.limit(120), m)
screen = term.screen[m:at or len(term.screen)]
res = screen.find(b"no write to 0x80100000")
t.check(at is not None and bars(screen, b"seeking") and res > 0 and
        screen[:res].endswith(ERASE),
        "last-write searching far back draws a bar, erased before its "
        "answer", repr(screen[-400:]))
term.type(b"quit\r")
t.check(term.wait(t.limit(30)) == 0, "the shell quits with 0")

# the same through pipes: no bar at all
rc, out, err = run(REWIND, "verify", trace, timeout=120)
t.check(rc == 0 and "\r" not in err + out and "\x1b" not in err + out and
        "%" not in err, "verify through a pipe prints no bar", err)
rc, out, err = run(REWIND, "shell", trace, "--quiet", "-c", "goto 90000000",
                   timeout=120)
t.check(rc == 0 and "\r" not in err + out and "\x1b" not in err + out and
        "%" not in err and "icount 90000000  time" in out,
        "a far goto through a pipe prints no bar", err + out)

t.finish()
