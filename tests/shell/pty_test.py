#!/usr/bin/env python3
"""`rewind shell` at a real readline prompt on a pseudo-terminal.

Usage: pty_test.py REWIND TARGET_ELF ECHO_ELF

The terminal (tests/integration/ptyterm.py) answers ESC [6n like a real
one. Typed: a command; the same again with the Up arrow (history); a
command completed with Tab (one match: the whole word; several: their
common part); Ctrl-C at the prompt (the half-typed line is dropped, the
shell stays); `quit`. Then a live session (`rewind shell -- RUN-OPTIONS`)
of a guest that spins waiting for input: Ctrl-C stops its `continue`,
and `reverse-stepi` goes back one instruction by replaying what was
recorded. The history file under
$XDG_STATE_HOME/rewind/history keeps the commands for the next session,
where Up recalls them."""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from ptyterm import Terminal  # noqa: E402
from rwtest import Suite  # noqa: E402

REWIND, ELF, ECHO = sys.argv[1:4]
t = Suite("shell-pty")
tmp = tempfile.mkdtemp()
trace = os.path.join(tmp, "t.rwd")
subprocess.run([REWIND, "record", "-o", trace, "--checkpoint-every", "100",
                "-M", "virt", "-bios", "none", "-nographic", "-kernel", ELF],
               stdin=subprocess.DEVNULL, capture_output=True, check=True)
env = dict(os.environ, XDG_STATE_HOME=os.path.join(tmp, "state"), TERM="xterm")
PROMPT = b"(rewind) "
UP = b"\x1b[A"


def stop_icounts(text):
    return [int(x) for x in re.findall(r"icount (\d+)  time", text)]


term = Terminal([REWIND, "shell", trace, "--quiet"], env=env)
at = term.expect(PROMPT, t.limit(30))
t.check(at is not None, "the prompt appears", term.text())

# A command, then recalled with Up and run again.
m = term.mark()
term.type(b"stepi 2\r")
at = term.expect(PROMPT, t.limit(30), m)
t.check(at and stop_icounts(term.text(m)) == [2], "stepi 2 -> icount 2",
        term.text(m))
m = term.mark()
term.type(UP)
t.check(term.expect(b"stepi 2", t.limit(10), m) is not None,
        "Up recalls the last command", term.text(m))
term.type(b"\r")
at = term.expect(PROMPT, t.limit(30), m)
t.check(at and stop_icounts(term.text(m)) == [4], "running it again: icount 4",
        term.text(m))

# Tab: a unique command completes; several complete their common part.
m = term.mark()
term.type(b"wher\t")
t.check(term.expect(b"where ", t.limit(10), m) is not None,
        "Tab completes 'wher' to 'where '", term.text(m))
term.type(b"\r")
at = term.expect(PROMPT, t.limit(30), m)
t.check(at and stop_icounts(term.text(m)) == [4], "and it runs", term.text(m))
m = term.mark()
term.type(b"reverse-s\t")
t.check(term.expect(b"reverse-stepi ", t.limit(10), m) is not None,
        "Tab completes reverse-s to reverse-stepi", term.text(m))
term.type(b"\r")
at = term.expect(PROMPT, t.limit(30), m)
t.check(at and stop_icounts(term.text(m)) == [3], "reverse-stepi -> icount 3",
        term.text(m))
m = term.mark()
term.type(b"break bu\t")
t.check(term.expect(b"break bump ", t.limit(10), m) is not None,
        "Tab completes a symbol", term.text(m))
term.type(b"\x15")   # Ctrl-U: drop the line

# Ctrl-C at the prompt drops the line and the shell goes on.
m = term.mark()
term.type(b"frobnicate")
term.expect(b"frobnicate", t.limit(10), m)
term.type(b"\x03")
t.check(term.expect(b"^C", t.limit(10), m) is not None, "Ctrl-C echoes ^C",
        term.text(m))
term.expect(PROMPT, t.limit(10), m)
m = term.mark()
term.type(b"where\r")
at = term.expect(PROMPT, t.limit(30), m)
t.check(at and "unknown command" not in term.text(m) and
        stop_icounts(term.text(m)) == [3],
        "after Ctrl-C the dropped line is not run; where still works",
        term.text(m))

term.type(b"quit\r")
status = term.wait(t.limit(30))
t.check(status == 0, "quit exits 0", str(status))

hist = os.path.join(tmp, "state", "rewind", "history")
lines = open(hist).read().splitlines() if os.path.exists(hist) else []
t.check(lines[:1] == ["stepi 2"] and "quit" in lines,
        "the history file keeps the commands (once each in a row)",
        str(lines))

# A new session recalls the last session's commands.
term = Terminal([REWIND, "shell", trace, "--quiet"], env=env)
term.expect(PROMPT, t.limit(30))
m = term.mark()
term.type(UP + UP)
t.check(term.expect(b"where", t.limit(10), m) is not None,
        "the next session's Up recalls the previous session", term.text(m))
term.type(b"\x15quit\r")
t.check(term.wait(t.limit(30)) == 0, "second session quits")

# Live: Ctrl-C stops a running machine; going back replays the recording.
term = Terminal([REWIND, "shell", "--", "-M", "virt", "-bios", "none",
                 "-nographic", "-kernel", ECHO], env=env)
term.expect(PROMPT, t.limit(30))
m = term.mark()
term.type(b"continue\r")
t.check(term.expect(b"echo: type a line", t.limit(30), m) is not None,
        "live continue runs the guest (its console shows)", term.text(m))
term.type(b"\x03")
at = term.expect(PROMPT, t.limit(30), m)
text = term.text(m)
t.check(at and "interrupted" in text and len(stop_icounts(text)) == 1,
        "Ctrl-C while it runs stops it, with a stop line", text)
stopped = stop_icounts(text)[0] if stop_icounts(text) else -1
m = term.mark()
term.type(b"reverse-stepi\r")
at = term.expect(PROMPT, t.limit(60), m)
text = term.text(m)
t.check(at and "replaying it from there" in text and
        stop_icounts(text) == [stopped - 1],
        "reverse-stepi in a live session goes back one instruction", text)
term.type(b"quit\r")
t.check(term.wait(t.limit(30)) == 0, "the live session quits with 0")

t.finish()
