"""Interactive recording and replay through a real pseudo-terminal, with the
bare-metal `tty` guest (tests/guest/tty.c), whose prompt asks the terminal
for its cursor position, status and attributes like busybox's does:

- record: the terminal's answers arrive while the prompt line is open, and
  the guest then reads the RTC; the recorder must keep the event stream in
  order, exit 0 and leave a complete trace that `verify` passes;
- Ctrl-C reaches the guest as byte 0x03 (logged as input), Ctrl-A h lists
  the escape keys, Ctrl-A c goes to the monitor and back, Ctrl-A Ctrl-A
  types a Ctrl-A, Ctrl-A x quits with a complete trace;
- replay to a terminal sends it none of the recorded queries (a terminal
  would answer them into the user's shell), while replay to a pipe gives
  the recorded bytes unchanged."""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run  # noqa: E402
from ptyterm import Terminal  # noqa: E402

exe, tty_elf = sys.argv[1:3]
t = Suite("pty-console")
tmp = tempfile.mkdtemp()
machine = ["-M", "virt", "-bios", "none", "-nographic", "-kernel", tty_elf]


def step(term, what, pattern, timeout, start=0):
    timeout = t.limit(timeout)
    at = term.expect(pattern, timeout, start)
    t.check(at is not None, what,
            f"waited {timeout} s for {pattern!r}; exit status "
            f"{term.proc.poll()}; screen ends with:\n{term.text()[-1000:]!r}")
    return at


def typed(term, keys, pattern, what, timeout=20):
    start = term.mark()
    term.type(keys)
    return step(term, what, pattern, timeout, start)


# ---- an interactive recording ----
d = os.path.join(tmp, "tty.rwd")
term = Terminal([exe, "record", "-o", d, *machine])
typed(term, b"", b"wake? ", "the guest waits for a key")
typed(term, b"w", b"woken by w", "a key wakes the guest at once")
step(term, "the prompt asks for the cursor position", b"tty> \x1b[6n", 30)
typed(term, b"hello\r", b"got: hello", "a typed line after the answers")
typed(term, b"\x03\r", b"got: ^C", "Ctrl-C reaches the guest as 0x03")
t.check(term.proc.poll() is None, "Ctrl-C does not stop the recorder",
        f"exit status {term.proc.poll()}")
start = term.mark()
term.type(b"\x01h")
for key in (b"C-a h", b"C-a x", b"C-a c", b"C-a C-a"):
    step(term, f"Ctrl-A h lists {key.decode()}", key, 20, start)
typed(term, b"\x01c", b"(rewind) ", "Ctrl-A c goes to the monitor")
typed(term, b"\x01c", b"input goes to input port 0 (the UART)",
      "Ctrl-A c again goes back to the guest")
typed(term, b"\x01\x01\r", b"got: ^A", "Ctrl-A Ctrl-A types a Ctrl-A")
typed(term, b"quit\r", b"PASS tty", "the guest ends")
status = term.wait(t.limit(60))
screen = term.text()
t.check(status == 0 and "rewind: recorded" in screen,
        "the recorder exits 0 and reports the trace",
        f"exit status {status}; screen ends with:\n{screen[-800:]!r}")
t.check(term.count_queries(b"\x1b[6n") >= 3,
        "the terminal answered the guest's queries", repr(term.queries[:8]))

rc, out, err = run(exe, "info", d)
t.check(rc == 0 and re.search(r"state: +complete", out) and "WALLCLOCK=1" in out,
        "info: a complete trace with the RTC read", out + err)
rc, out, err = run(exe, "query", d, "SELECT count(*) FROM events WHERE "
                   "kind = 'SERIAL_RX' AND summary LIKE '%\\x03%'")
t.check(rc == 0 and out.split()[-1:] == ["1"],
        "the Ctrl-C byte went through the input door into the trace", out + err)
rc, out, err = run(exe, "verify", d)
t.check(rc == 0 and "checkpoints and the final state match" in err,
        "verify passes", out + err)

# ---- replay: queries reach a pipe unchanged, never a terminal ----
p = subprocess.run([exe, "replay", d], stdin=subprocess.DEVNULL,
                   capture_output=True, timeout=t.limit(60))
t.check(p.returncode == 0 and b"tty> \x1b[6n\x1b[5n\x1b[c\x1b]11;?\x07" in p.stdout
        and b"got: hello" in p.stdout,
        "replay to a pipe prints the recorded bytes, queries included",
        repr(p.stdout[-300:]) + p.stderr.decode(errors="replace"))
term = Terminal([exe, "replay", d])
status = term.wait(t.limit(60))
screen = term.screen
t.check(status == 0 and b"got: hello" in screen and b"replay identical" in screen,
        "replay to a terminal", repr(screen[-600:]))
t.check(term.queries == [] and term.answers == 0,
        "replay to a terminal sends no query (so nothing is answered)",
        repr(term.queries[:8]))
t.check(b"tty> hello\r" in screen and b"tty> ^C\r" in screen,
        "replay to a terminal drops only the queries, not the text around",
        repr(screen[-300:]))

# ---- Ctrl-A x ends a recording with a complete trace ----
d2 = os.path.join(tmp, "quit.rwd")
term = Terminal([exe, "record", "-o", d2, *machine])
step(term, "second recording: waits for a key", b"wake? ", 30)
typed(term, b"w", b"tty> ", "second recording: prompt")
typed(term, b"abc", b"abc", "typed before Ctrl-A x")
term.type(b"\x01x")
status = term.wait(t.limit(60))
t.check(status is not None and status != 130 and "Ctrl-A x" in term.text(),
        "Ctrl-A x quits the recorder", f"status {status}; {term.text()[-400:]!r}")
rc, out, err = run(exe, "info", d2)
t.check(rc == 0 and re.search(r"state: +complete", out),
        "Ctrl-A x leaves a complete trace", out + err)
rc, out, err = run(exe, "verify", d2)
t.check(rc == 0, "verify passes on the Ctrl-A x trace", out + err)

# ---- through a pipe (no terminal to answer): the idle time logged while
# "tty" waits for its prompt must not overtake that open line ----
d3 = os.path.join(tmp, "pipe.rwd")
p = subprocess.run([exe, "record", "-o", d3, *machine], input=b"wpipe\rquit\r",
                   capture_output=True, timeout=t.limit(60))
t.check(p.returncode == 0 and b"got: pipe" in p.stdout and b"PASS tty" in p.stdout,
        "recording with input from a pipe", p.stderr.decode(errors="replace"))
try:
    rc, out, err = run(exe, "verify", d3, timeout=t.limit(30))
except subprocess.TimeoutExpired:
    rc, out, err = None, "", "verify still running after 30 s (replay hangs)"
t.check(rc == 0 and "checkpoints and the final state match" in err,
        "verify passes on the piped recording", out + err)

# ---- plain -serial stdio keeps Ctrl-C as a signal (as QEMU does) ----
d4 = os.path.join(tmp, "sigint.rwd")
term = Terminal([exe, "record", "-o", d4, "-M", "virt", "-bios", "none",
                 "-serial", "stdio", "-kernel", tty_elf])
step(term, "-serial stdio: waits for a key", b"wake? ", 30)
term.type(b"\x03")
status = term.wait(t.limit(60))
t.check(status == 130, "-serial stdio: Ctrl-C stops rewind (status 130)",
        f"status {status}; {term.text()[-300:]!r}")
rc, out, err = run(exe, "info", d4)
t.check(rc == 0 and re.search(r"state: +complete", out),
        "-serial stdio: the Ctrl-C trace is complete", out + err)
t.finish()
