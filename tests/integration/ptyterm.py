"""A small terminal for tests: runs a program on a real pseudo-terminal and
plays the user's terminal at the other end.

    from ptyterm import Terminal
    term = Terminal([exe, "record", ...])       # the pty is its ctty
    term.expect(b"# ", 600)                     # poll the screen, no sleeps
    term.type(b"echo hi\r")                     # keys as a terminal sends them
    term.type(b"\x03")                          # Ctrl-C
    status = term.wait(60)                      # exit status
    with Terminal([...]) as term: ...           # killed at the end of the block
    term.screen, term.queries, term.answers     # output; queries; replies

Like a real terminal it answers the queries a program may send: cursor
position (ESC [6n, with a cursor it tracks), device status (ESC [5n),
device attributes (ESC [c, ESC [>c), so a guest's shell that asks for its
cursor position gets an answer on its input. Every query seen, answered or
not, is kept in `queries` (a test of a program that must not send any
checks that list). A reader thread does this as output arrives, as a
terminal does, whether or not the test is waiting for something.

The program runs in its own session with the pty as its controlling
terminal, in the foreground: Ctrl-C typed there is a SIGINT unless the
program turned ISIG off, exactly as in a terminal window."""
import fcntl
import os
import re
import signal
import struct
import subprocess
import termios
import threading
import time

import rwtest

ROWS, COLS = 24, 80

# Sequences that make a terminal answer (ECMA-48 / xterm control sequences):
# CSI n (device status), CSI c (device attributes), CSI x (DECREQTPARM),
# CSI $p (DECRQM), CSI t (window reports), CSI >q (XTVERSION), CSI ?u
# (keyboard protocol query), ESC Z (DECID), ENQ, OSC ... ? (colour and
# clipboard queries), DCS $q / +q (setting and termcap queries).
QUERY = re.compile(
    rb"\x1b\[[?>=]?[0-9;]*n|\x1b\[[>=]?[0-9;]*c|\x1b\[[0-9;]*x"
    rb"|\x1b\[[?]?[0-9;]*\$p|\x1b\[[0-9;]*t|\x1b\[>[0-9;]*q|\x1b\[\?u"
    rb"|\x1bZ|\x05"
    rb"|\x1b\][^\x07\x1b]*\?(?:\x07|\x1b\\)"
    rb"|\x1bP[$+]q[^\x1b]*\x1b\\")
# An escape sequence not yet complete at the end of the output so far.
PARTIAL = re.compile(rb"\x1b(?:\[[?>=]?[0-9;$]*|\][^\x07\x1b]*|P[^\x1b]*)?\Z")


def make_ctty():
    """For Popen's preexec_fn, with stdin on a pty's slave: a session of
    its own with that pty as its controlling terminal, as a shell gives a
    program it starts (a Ctrl-C typed there is a SIGINT)."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    # A default disposition, whatever the test runner had.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Terminal:
    def __init__(self, argv, env=None, answer=True):
        self.answer = answer
        self.screen = b""
        self.queries = []
        self.answers = 0
        self.row, self.col = 1, 1
        self._scanned = 0
        self._cond = threading.Condition()
        self._eof = False
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ,
                    struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.master = master

        # In a session of its own, the program escapes meson's kill of the
        # test's process group: rwtest.spawn kills it when the test ends.
        self.proc = rwtest.spawn(argv, stdin=slave, stdout=slave,
                                 stderr=slave, env=env, close_fds=True,
                                 preexec_fn=make_ctty)
        os.close(slave)
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    # ---- the terminal side ----

    def _read_loop(self):
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:   # EIO: every slave descriptor is closed
                data = b""
            with self._cond:
                if not data:
                    self._eof = True
                    self._cond.notify_all()
                    return
                self.screen += data
                self._scan()
                self._cond.notify_all()

    def _scan(self):
        """Track the cursor and answer queries in the new output."""
        buf = self.screen
        i = self._scanned
        while i < len(buf):
            m = QUERY.match(buf, i)
            if m:
                self._query(m.group(0))
                i = m.end()
                continue
            if buf[i] == 0x1b:
                if PARTIAL.match(buf, i):
                    break          # wait for the rest of the sequence
                i += 1
                continue
            c = buf[i]
            if c == 0x0d:
                self.col = 1
            elif c == 0x0a:
                self.row = min(self.row + 1, ROWS)
            elif c == 0x08:
                self.col = max(self.col - 1, 1)
            elif c >= 0x20 and (c < 0x80 or c >= 0xc0):
                self.col = min(self.col + 1, COLS)
            i += 1
        self._scanned = i

    def _query(self, seq):
        self.queries.append(seq)
        if not self.answer:
            return
        reply = None
        if seq.endswith(b"6n"):
            reply = b"\x1b[%d;%dR" % (self.row, self.col)
        elif seq == b"\x1b[5n":
            reply = b"\x1b[0n"
        elif seq in (b"\x1b[c", b"\x1b[0c"):
            reply = b"\x1b[?1;2c"
        elif seq in (b"\x1b[>c", b"\x1b[>0c"):
            reply = b"\x1b[>0;276;0c"
        if reply:
            self.answers += 1
            self._write(reply)

    def _write(self, data):
        while data:
            n = os.write(self.master, data)
            data = data[n:]

    # ---- the user side ----

    def type(self, keys):
        """Send keys as typed (Enter is b"\\r", Ctrl-C b"\\x03")."""
        self._write(keys)

    def expect(self, pattern, timeout, start=0):
        """Wait until `pattern` (bytes) appears in the output after offset
        `start`; returns the offset just past it, or None on timeout or
        when the program closed the terminal first."""
        end = time.monotonic() + timeout
        with self._cond:
            while True:
                at = self.screen.find(pattern, start)
                if at >= 0:
                    return at + len(pattern)
                left = end - time.monotonic()
                if left <= 0 or self._eof:
                    return None
                self._cond.wait(left)

    def mark(self):
        """Offset of the end of the output so far (for expect's start)."""
        with self._cond:
            return len(self.screen)

    def count_queries(self, pattern):
        with self._cond:
            return sum(1 for q in self.queries if q == pattern)

    def wait(self, timeout):
        """Exit status of the program (None if it is still running after
        `timeout` seconds; it is then killed). Collects the output left."""
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            rwtest.stop(self.proc)
            status = None
        self._reader.join(10)
        os.close(self.master)
        return status

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            rwtest.stop(self.proc)
        return False

    def typed(self, suite, keys, pattern, what, timeout=30):
        """Type keys, wait for pattern after them, and check it in suite
        (a rwtest.Suite) as `what`: (where the keys went, where the
        pattern ends, or None)."""
        start = self.mark()
        self.type(keys)
        timeout = suite.limit(timeout)
        at = self.expect(pattern, timeout, start)
        suite.check(at is not None, what,
                    f"waited {timeout} s for {pattern!r}; exit status "
                    f"{self.proc.poll()}; screen ends with:\n"
                    f"{self.text(start)[-800:]!r}")
        return start, at

    def text(self, start=0):
        with self._cond:
            return self.screen[start:].decode(errors="replace")
