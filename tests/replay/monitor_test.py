"""The mon:stdio monitor (Ctrl-A c) through a real pseudo-terminal.

The ticker guest (tests/guest/ticker.c) prints "tick N" every 50 ms of
guest time and "got: N" for each byte its UART receives. Recording it
with -nographic (QEMU's mon:stdio): Ctrl-A c brings the monitor's
"(rewind) " prompt; `info registers` shows the pc; `stop` holds the
machine (`info status` says paused, no tick comes, the icount stays);
`cont` resumes it; a bad command and a moving command are one-line errors
and the monitor goes on; Ctrl-A c goes back to the guest, which then
gets only what is typed to it. The trace verifies and holds no monitor
byte as guest input. Then `quit` ends a recording (a complete trace that
verifies) and a plain `rewind run`. A replay on a terminal (of a guest
that computes for 10^9 instructions, bench/lastwrite.S) has the same
monitor: `stop` holds it, `cont` lets it go, typing to its console says
it takes no input, `quit` stops it. Last, the session docs/shell.md shows
is typed as written there and its lines compared (numbers, and the
instruction of a stop line, may differ).
"""
import os
import re
import shlex
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run  # noqa: E402
from ptyterm import Terminal  # noqa: E402

exe, elf, long_elf = sys.argv[1:4]
t = Suite("monitor")
tmp = tempfile.mkdtemp()
machine = ["-M", "virt", "-bios", "none", "-nographic", "-kernel", elf]
PROMPT = b"(rewind) "


def command(term, line, pattern, what):
    """A monitor command: its answer, then the prompt again."""
    start, at = term.typed(t, line + b"\r", pattern, what)
    end = term.expect(PROMPT, t.limit(30), at or start)
    t.check(end is not None, f"the prompt after {line.decode()!r}",
            term.text(start)[-800:])
    return term.text(start)


# ---- a recording with monitor use ----
trace = os.path.join(tmp, "mon.rwd")
term = Terminal([exe, "record", "-o", trace, *machine])
term.typed(t, b"", b"tick 2\r", "the guest ticks", 60)
term.typed(t, b"\x01c", b"input goes to the monitor",
      "Ctrl-A c switches to the monitor, which prompts")
out = command(term, b"info registers", b"pc   0x",
              "info registers shows the pc")
t.check(re.search(r"hart 0  M-mode.*pc 0x0000000080", out) is not None,
        "info registers: hart 0's pc in the program", out)
command(term, b"info status", b"VM status: running", "info status: running")
# A terminal's escape sequences are not typed text: a late answer to the
# guest's cursor-position query and arrow keys (CSI and SS3 forms) in the
# middle of a command leave it as typed.
command(term, b"info st\x1b[24;11R\x1b[D\x1bOCatus", b"VM status: running",
        "info status with a CPR reply and arrow keys inside it")
out = command(term, b"stop", b"icount ", "stop holds the machine")
m = re.search(r"icount (\d+)", out)
stopped_at = m.group(1) if m else None
command(term, b"info status", b"VM status: paused", "info status: paused")
quiet_from = term.mark()
# The guest ticks 20 times a second: 0.5 s without one means it is held
# (an absence can only be checked over some time).
time.sleep(0.5)
out = command(term, b"where", b"icount ", "where, while stopped")
t.check("tick" not in term.text(quiet_from),
        "no guest output while stopped", term.text(quiet_from))
m = re.search(r"icount (\d+)", out)
t.check(stopped_at is not None and m is not None and m.group(1) == stopped_at,
        "the machine does not run while stopped",
        f"stop at {stopped_at}, later {m.group(1) if m else None}")
term.typed(t, b"cont\r", b"tick ", "cont: the guest ticks again")
command(term, b"info status", b"VM status: running", "info status after cont")
command(term, b"frobnicate", b"error: unknown command 'frobnicate'",
        "a bad command is a one-line error")
command(term, b"stepi", b"error: stepi: the monitor does not move",
        "a moving command is refused with a reason")
command(term, b"info qtree", b"ns16550a", "info qtree lists the devices")
command(term, b"info mtree", b"(prio 0, ram): ram", "info mtree")
command(term, b"disas $pc 2", b"=> 0x", "disas at the pc")
term.typed(t, b"\x01c", b"input goes to input port 0 (the UART)",
      "Ctrl-A c goes back to the guest console")
term.typed(t, b"x", b"got: 120", "the guest gets what is typed now")
term.typed(t, b"q", b"PASS ticker", "the guest ends")
status = term.wait(t.limit(60))
screen = term.text()
t.check(status == 0 and "rewind: recorded" in screen, "the recorder exits 0",
        f"status {status}; {screen[-600:]!r}")
got = re.findall(r"got: (\d+)", screen)
t.check(got == ["120"], "the guest got no monitor byte (only 'x')",
        f"got: {got}")

if t.failed:
    t.finish()   # the recording is no use: stop here

rc, out, err = run(exe, "verify", trace, timeout=t.limit(120))
t.check(rc == 0 and "replay identical" in err,
        "the recording with monitor use verifies", out + err)
rc, out, err = run(exe, "query", trace, "SELECT summary FROM events WHERE "
                   "kind = 'SERIAL_RX' ORDER BY id")
rows = out.splitlines()[1:]
t.check(rc == 0 and rows == ['port 0: "x"', 'port 0: "q"'],
        "the trace's serial input is the guest's two bytes, no monitor "
        "byte", out + err)

# ---- quit ends a recording: the trace is complete and verifies ----
trace2 = os.path.join(tmp, "quit.rwd")
term = Terminal([exe, "record", "-o", trace2, *machine])
term.typed(t, b"", b"tick 1\r", "second recording: the guest ticks", 60)
term.typed(t, b"\x01c", PROMPT, "second recording: the monitor")
term.type(b"quit\r")
status = term.wait(t.limit(60))
t.check(status == 0 and "rewind: recorded" in term.text(),
        "quit ends the recording, status 0", f"{status}; {term.text()[-400:]!r}")
rc, out, err = run(exe, "info", trace2)
t.check(rc == 0 and re.search(r"state: +complete", out),
        "quit leaves a complete trace", out + err)
rc, out, err = run(exe, "verify", trace2, timeout=t.limit(120))
t.check(rc == 0 and "replay identical" in err, "the quit trace verifies",
        out + err)

# ---- rewind run: the same monitor ----
term = Terminal([exe, "run", *machine])
term.typed(t, b"", b"tick 1\r", "run: the guest ticks", 60)
term.typed(t, b"\x01c", PROMPT, "run: Ctrl-A c reaches the monitor")
command(term, b"regs", b"pc   0x", "run: regs")
term.type(b"quit\r")
status = term.wait(t.limit(60))
t.check(status == 0, "run: quit ends it with status 0",
        f"{status}; {term.text()[-400:]!r}")

# -monitor none (QEMU's): no monitor; Ctrl-A c leaves the input with the guest
term = Terminal([exe, "run", *machine, "-monitor", "none"])
term.typed(t, b"", b"tick 1\r", "-monitor none: the guest ticks", 60)
term.typed(t, b"\x01c", b"there is no monitor",
      "-monitor none: Ctrl-A c says there is no monitor")
term.typed(t, b"q", b"PASS ticker", "-monitor none: the input stays the guest's")
status = term.wait(t.limit(60))
t.check(status == 0, "-monitor none: the run ends with the guest", str(status))

# ---- a replay on a terminal: the same monitor ----
long_trace = os.path.join(tmp, "long.rwd")
rc, out, err = run(exe, "record", "-o", long_trace, "-M", "virt", "-bios",
                   "none", "-nographic", "-kernel", long_elf, timeout=600)
t.check(rc == 0, "recording the long guest", err)
term = Terminal([exe, "replay", long_trace])
term.typed(t, b"\x01c", b"input goes to the monitor\r\r\n" + PROMPT,
      "replay: Ctrl-A c reaches the monitor")
out = command(term, b"stop", b"icount ", "replay: stop")
m = re.search(r"icount (\d+)", out)
command(term, b"info status", b"VM status: paused", "replay: paused")
out = command(term, b"info registers", b"pc   0x", "replay: info registers")
out = command(term, b"where", b"icount ", "replay: where")
m2 = re.search(r"icount (\d+)", out)
t.check(m and m2 and m.group(1) == m2.group(1),
        "replay: the machine stays where it stopped", out)
command(term, b"cont", b"", "replay: cont")
command(term, b"info status", b"VM status: running", "replay: running")
command(term, b"goto 5", b"error: goto: the monitor does not move",
        "replay: goto is refused")
term.typed(t, b"\x01cabc", b"a replay takes no input",
      "replay: its console takes no input, and says so")
term.typed(t, b"\x01c", PROMPT, "replay: back to the monitor")
term.type(b"quit\r")
status = term.wait(t.limit(60))
t.check(status == 0 and "replay stopped at icount" in term.text(),
        "replay: quit stops it, status 0", f"{status}; {term.text()[-300:]!r}")

# ---- the session docs/shell.md shows ----
def doc_session():
    doc = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                       "docs", "shell.md")
    lines = open(doc).read().splitlines()
    at = [i for i, ln in enumerate(lines)
          if ln.startswith("    rewind record -o mon.rwd ")]
    if len(at) != 1:
        return None, []
    body = []
    for ln in lines[at[0] + 1:]:
        if not ln.startswith("    "):
            break
        body.append(ln[4:])
    return lines[at[0]][4:], body


def shown_re(line):
    """A shown line as a pattern: numbers may differ, and so may the
    place a stop line shows (symbol offset, instruction)."""
    if line.startswith("icount "):
        return (r"icount \d+  time \d+\.\d{9}s  hart 0  M-mode  pc "
                r"0x[0-9a-f]{16} <\w+\+\d+>  \S")
    return re.sub(r"\d+", r"\\d+", re.escape(line))


def without_ticks(screen):
    """The screen without the ticker's lines after the first: the guest
    runs while the monitor has the focus and its output is not held (as in
    QEMU), so on a slow machine a tick can land inside a typed line."""
    first = re.search(rb"tick 1\r?\n", screen)
    if not first:
        return screen
    head = first.end()
    return screen[:head] + re.sub(rb"tick \d+\r?\n", b"", screen[head:])


cmd, body = doc_session()
t.check(cmd is not None and body, "docs/shell.md shows a monitor session")
scratch = tempfile.mkdtemp()
os.symlink(os.path.dirname(os.path.abspath(exe)), os.path.join(scratch, "build"))
argv = shlex.split(cmd or "rewind")
exe_abs = os.path.abspath(exe)
here = os.getcwd()
os.chdir(scratch)   # the documented paths are relative to the checkout
term = Terminal([exe_abs, *argv[1:]])
os.chdir(here)
pos = 0
for ln in body:
    if ln == "<Ctrl-A c>":
        term.type(b"\x01c")
        continue
    if ln.startswith("(rewind) "):
        term.type(ln[len("(rewind) "):].encode() + b"\r")
        pat = re.escape(ln)
    else:
        pat = shown_re(ln)
    deadline = time.monotonic() + t.limit(30)
    m = None
    while time.monotonic() < deadline:
        m = re.compile(pat.encode()).search(without_ticks(term.screen), pos)
        if m or term.proc.poll() is not None:
            break
        term.expect(b"\n", 0.2, len(term.screen))
    m = m or re.compile(pat.encode()).search(without_ticks(term.screen), pos)
    t.check(m is not None, f"docs/shell.md session shows {ln!r}",
            without_ticks(term.screen)[pos:][-600:])
    if m:
        pos = m.end()
status = term.wait(t.limit(60))
t.check(status == 0 and os.path.isdir(os.path.join(scratch, "mon.rwd")),
        "the documented session ends with status 0 and its trace", str(status))
t.finish()
