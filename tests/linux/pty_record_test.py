"""Record the Linux guest kit's interactive shell through a real
pseudo-terminal whose other end behaves like a terminal: it answers
busybox's cursor-position query (ESC [6n) after every prompt, and the
test types commands, reads their output, interrupts a `sleep 100` with
Ctrl-C, tries the Ctrl-A keys and exits the shell. Then: the recorder
exited 0 and said nothing went wrong, `info` shows a complete trace,
`verify` passes, and the console index puts a command's output after the
input that typed it."""
import os
import re
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run, ensure_kit  # noqa: E402
from ptyterm import Terminal  # noqa: E402

exe, repo, kit = sys.argv[1:4]
t = Suite("linux-pty-record")
ensure_kit("the Linux pty record test", repo, kit)
tmp = tempfile.mkdtemp()
d = os.path.join(tmp, "pty.rwd")

term = Terminal([exe, "record", "-o", d, "--checkpoint-every", "300000000",
                 "-M", "virt", "-m", "512M", "-smp", "2",
                 "-kernel", os.path.join(kit, "Image"),
                 "-initrd", os.path.join(kit, "initrd-shell.gz"),
                 "-append", "console=ttyS0", "-nographic"])


def step(what, pattern, timeout, start=0):
    at = term.expect(pattern, timeout, start)
    t.check(at is not None, what,
            f"waited {timeout} s for {pattern!r}; screen ends with:\n"
            + term.text()[-1500:])
    return at


def command(keys, pattern, what, timeout=60):
    start = term.mark()
    term.type(keys)
    return step(what, pattern, timeout, start)


ok = step("boot reaches the shell", b"REWIND-BOOT-OK", 600)
ok = ok and step("first prompt", b"# ", 120, ok)
# busybox asks for the cursor position after the prompt; the terminal
# answers on the guest's input while the prompt line is still open.
ok = ok and step("the shell asked the terminal for the cursor position",
                 b"\x1b[6n", 60, ok - 2)


def answer_in_trace(timeout):
    """Poll the live index until the terminal's answer is in the trace: a
    frame was written after it, while the prompt line was still open (a
    user has not typed yet). False if the recorder ended first."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and term.proc.poll() is None:
        try:
            db = sqlite3.connect(f"file:{d}/index.sqlite?mode=ro", uri=True)
            n = db.execute("SELECT count(*) FROM events WHERE kind = "
                           "'SERIAL_RX' AND summary LIKE '%\\x1b[%'").fetchone()[0]
            db.close()
            if n:
                return True
        except sqlite3.Error:
            pass
        time.sleep(0.2)   # poll interval, not a wait for readiness
    return False


ok = ok and answer_in_trace(60)
t.check(ok, "the terminal's answer is written to the trace before typing",
        f"recorder status {term.proc.poll()}; screen ends with:\n"
        + term.text()[-600:])
if ok:
    command(b"echo typed-$((6*7))\r", b"typed-42", "a typed command's output")
    command(b"cat /proc/uptime; echo mark-$((1+1))\r", b"mark-2",
            "a second command")

    # Ctrl-C reaches the guest as byte 0x03 and interrupts the foreground
    # job; the shell then reports the status of a command killed by SIGINT.
    at = command(b"echo start-$((1+2)); sleep 100\r", b"start-3",
                 "sleep started")
    back = None
    for _ in range(6):   # a ^C typed while the shell forks may be eaten
        term.type(b"\x03")
        back = term.expect(b"# ", 10, at)
        if back is not None or term.proc.poll() is not None:
            break
    t.check(back is not None and term.proc.poll() is None,
            "Ctrl-C interrupts sleep 100 and the prompt comes back",
            f"recorder status {term.proc.poll()}; screen:\n" + term.text(at)[-800:])
    command(b"echo rc-$?\r", b"rc-130", "sleep died of SIGINT (status 130)")

    # Ctrl-A h lists the escape keys; Ctrl-A c goes to the monitor and
    # back; a monitor command looks at the running kernel.
    start = term.mark()
    term.type(b"\x01h")
    for key in (b"C-a h", b"C-a x", b"C-a c", b"C-a C-a"):
        step(f"Ctrl-A h lists {key.decode()}", key, 30, start)
    command(b"\x01c", b"(rewind) ", "Ctrl-A c goes to the monitor")
    command(b"info registers\r", b"satp", "the monitor's info registers")
    command(b"\x01c", b"input goes to input port 0 (the UART)",
            "Ctrl-A c again goes back to the guest")
    # Ctrl-A Ctrl-A types one Ctrl-A: the shell's line editor moves to the
    # start of the line, so "cho lit..." becomes "echo lit...".
    command(b"cho lit-$((4+4))\x01\x01e\r", b"lit-8",
            "Ctrl-A Ctrl-A sends a literal Ctrl-A")
    command(b"exit\r", b"reboot: Power down", "the shell exits", 120)

status = term.wait(120)
screen = term.text()
t.check(status == 0, "the recorder exits with status 0",
        f"exit status {status}; screen ends with:\n{screen[-1500:]}")
t.check("rewind: recorded" in screen and "failed" not in screen,
        "the recorder reports the trace and no failure", screen[-800:])
t.check(term.count_queries(b"\x1b[6n") >= 2,
        "the terminal answered several cursor-position queries",
        repr(term.queries[:10]))

rc, out, err = run(exe, "info", d)
t.check(rc == 0 and re.search(r"state: +complete", out) and "SERIAL_RX=" in out,
        "info: a complete trace with the typed input", out + err)
# Replay to a terminal: the recorded queries must not reach it (it would
# answer into the user's shell).
rterm = Terminal([exe, "replay", d])
rstatus = rterm.wait(900)
t.check(rstatus == 0 and b"typed-42" in rterm.screen
        and b"replay identical" in rterm.screen,
        "replay to a terminal", rterm.text()[-800:])
t.check(rterm.queries == [] and rterm.answers == 0,
        "replay sends the terminal no query", repr(rterm.queries[:8]))
rc, out, err = run(exe, "verify", d, timeout=900)
t.check(rc == 0 and "checkpoints and the final state match" in err,
        "verify passes", out + err)
# The console table keeps its meaning: the line with the command's output
# comes after (in icount) the input that typed the command's Enter.
rc, out, err = run(exe, "query", d,
                   "SELECT (SELECT min(icount) FROM console "
                   "        WHERE text = 'typed-42') >= "
                   "       (SELECT min(icount) FROM events "
                   "        WHERE kind = 'SERIAL_RX' AND summary LIKE '%\\r%'),"
                   " (SELECT count(*) FROM console WHERE text LIKE '%typed-%')")
nums = out.split()[-2:]
t.check(rc == 0 and len(nums) == 2 and nums[0] == "1" and int(nums[1]) >= 2,
        "console index: output after the input that caused it", out + err)
t.finish()
