#!/usr/bin/env python3
"""Debug a rewind guest with a real gdb-multiarch through the GDB stub.

Usage: gdb_test.py REWIND TARGET_ELF [GDB]

Each session starts `rewind run ... -S -gdb tcp::0`, reads the port the
stub got from its "gdb server listening on" line, drives gdb in batch
mode and checks what each command printed (the output is cut per command
with echo markers): breakpoints, registers (GPRs, FPRs, CSRs, priv),
memory reads and writes, stepping, a write watchpoint's old and new
values, threads on -smp 4, monitor commands, reverse execution refused
without a trace, and the guest's exit. A raw RSP client covers what batch
gdb cannot: Ctrl-C (0x03), no-ack mode, a short G, a client that
disconnects and a later one that attaches to the running guest, a second
client refused while one is served (a real gdb is the second), and unix
sockets. While -S waits for gdb, Ctrl-C and Ctrl-A x typed on a
pseudo-terminal, SIGINT and SIGTERM end rewind with a message.
"""
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import fail_fast, start_gdb_server, wait_limit  # noqa: E402
from ptyterm import make_ctty  # noqa: E402

REWIND, ELF = sys.argv[1], sys.argv[2]
GDB = sys.argv[3] if len(sys.argv) > 3 else "gdb-multiarch"
failures = []


def check(cond, what, output=""):
    if cond:
        print(f"ok   {what}")
    else:
        print(f"FAIL {what}")
        if output:
            print("---- output ----\n" + output + "\n----------------")
        failures.append(what)
        fail_fast("gdb")


def limit(seconds):
    """How long to wait for something that should come (rwtest's
    wait_limit: 3 s at most once a check has failed)."""
    return wait_limit(seconds, failures)


class Rewind:
    """A rewind process stopped at its first instruction (-S); self.port
    is where its stub listens (the port it got for tcp::0, or the unix
    socket's path)."""

    def __init__(self, gdb_spec="tcp::0", smp=1, **popen):
        popen.setdefault("stdin", subprocess.DEVNULL)
        popen.setdefault("stdout", subprocess.PIPE)
        self.proc, self.port = start_gdb_server(
            REWIND, "run", "-M", "virt", "-bios", "none", "-nographic",
            "-smp", str(smp), "-kernel", ELF, "-S", gdb_spec=gdb_spec,
            text=True, **popen)
        line = self.stderr_line()
        if "rewind: waiting for gdb on " not in line:
            raise RuntimeError(f"-S does not wait for gdb: {line!r}")

    def stderr_line(self, timeout=30):
        """rewind's next line on stderr ("" if none comes in time)."""
        fd = self.proc.stderr.fileno()
        line = b""
        end = time.monotonic() + limit(timeout)
        while not line.endswith(b"\n"):
            left = end - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                break
            c = os.read(fd, 1)
            if not c:
                break
            line += c
        return line.decode(errors="replace")

    def finish(self, timeout=30):
        try:
            out, err = self.proc.communicate(timeout=limit(timeout))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            err += "\n(killed: timeout)"
        return self.proc.returncode, out or "", err


def mark(i):
    return f"@@command {i}@@"


def gdb_session(commands, smp=1, timeout=60):
    """Run commands in one batch gdb; returns (gdb's output, rewind's exit
    status, stdout, stderr). An echo marker precedes each command (and
    follows the last), so that cmd_out can cut out what one printed."""
    rw = Rewind(smp=smp)
    args = [GDB, "-batch", "-nx", "-ex", "set architecture riscv:rv64",
            "-ex", "set confirm off", "-ex", f"file {ELF}",
            "-ex", f"target remote 127.0.0.1:{rw.port}"]
    for i, c in enumerate(commands + [None]):
        args += ["-ex", f"echo \\n{mark(i)}\\n"]
        if c is not None:
            args += ["-ex", c]
    try:
        # One pipe for both streams keeps errors next to their command.
        g = subprocess.run(args, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=limit(timeout))
        out = g.stdout
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode() + "\n(gdb timed out)"
    status, guest_out, guest_err = rw.finish()
    return out, status, guest_out, guest_err


def cmd_out(out, commands, command, nth=0):
    """What the nth occurrence of `command` printed, and nothing else."""
    i = [k for k, c in enumerate(commands) if c == command][nth]
    start, end = out.find(mark(i) + "\n"), out.find(mark(i + 1))
    if start < 0 or end < 0:
        return ""
    return out[start + len(mark(i)) + 1:end].strip("\n")


def line_address(out, tag):
    m = re.search(tag + r"\s*=\s*(?:\([^)]*\)\s*)?(0x[0-9a-f]+)", out)
    return int(m.group(1), 16) if m else None


def test_basics():
    cmds = [
        "p/x $pc",
        "break main",
        "continue",
        "p $pc",
        "info registers",
        "x/4i $pc",
        "next",
        "break bump",
        "continue",
        "bt",
        "stepi",
        "finish",
        "set $a1 = 0x1234abcd",
        "p/x $a1",
        "set var gdb_scratch[1] = 0xfeedface",
        "p/x gdb_scratch",
        "x/2gx &gdb_scratch[2]",
        "p/x $mhartid",
        "p/x $misa",
        "p $priv",
        "info registers priv",
        "p $ft0",
        "p/x $fcsr",
        "info registers mstatus",
        "delete",
        "continue",
    ]
    out, status, guest, _ = gdb_session(cmds)

    def of(c, nth=0):
        return cmd_out(out, cmds, c, nth)

    check(re.fullmatch(r"\$1 = 0x1000", of("p/x $pc")),
          "stopped at the reset vector (-S)", out)
    check(re.search(r"Breakpoint 1, main \(\) at .*target\.c:\d+", of("continue")),
          "break main; continue", out)
    check(re.fullmatch(r"\$2 = \(void \(\*\)\(\)\) 0x8[0-9a-f]+ <main\+\d+>",
                       of("p $pc")), "p $pc", out)
    check(all(re.search(rf"^{r}\s+0x[0-9a-f]+", of("info registers"), re.M)
              for r in ("ra", "sp", "gp", "a0", "t6", "pc")),
          "info registers lists GPRs and pc", out)
    check(len(re.findall(r"^(?:=> )?\s*0x8[0-9a-f]+ <main\+\d+>:\t\S",
                         of("x/4i $pc"), re.M)) == 4, "x/4i $pc disassembles", out)
    check(re.search(r"Breakpoint 2, bump \(by=1\) at .*target\.c:\d+",
                    of("continue", 1)),
          "break in a called function with its argument", out)
    check(re.search(r"#1\s+0x[0-9a-f]+ in main \(\)", of("bt")), "backtrace", out)
    check(re.search(r"Value returned is \$\d+ = 1", of("finish")),
          "finish returns bump's value", out)
    check(re.fullmatch(r"\$\d+ = 0x1234abcd", of("p/x $a1")),
          "write and read a register", out)
    check(re.fullmatch(r"\$\d+ = \{0x1111, 0xfeedface, 0x3333, 0x4444\}",
                       of("p/x gdb_scratch")), "write and read memory", out)
    check(re.fullmatch(r"0x[0-9a-f]+ <gdb_scratch\+16>:\s+0x0*3333\s+0x0*4444",
                       of("x/2gx &gdb_scratch[2]")), "x/2gx reads memory", out)
    check(re.fullmatch(r"\$\d+ = 0x0", of("p/x $mhartid")), "CSR mhartid", out)
    check(re.fullmatch(r"\$\d+ = 0x800000000014112d", of("p/x $misa")),
          "CSR misa", out)
    check(re.fullmatch(r"\$\d+ = 3", of("p $priv")) and
          re.fullmatch(r"priv\s+0x3\s+prv:3 \[Machine\]",
                       of("info registers priv")),
          "priv register (M-mode)", out)
    check(re.fullmatch(r"\$\d+ = \{float = .*double = .*\}", of("p $ft0")),
          "FP register ft0", out)
    check(re.fullmatch(r"\$\d+ = 0x0", of("p/x $fcsr")), "fcsr", out)
    check(re.fullmatch(r"mstatus\s+0x[0-9a-f]+.*", of("info registers mstatus")),
          "info registers mstatus", out)
    check("exited normally" in of("continue", 2),
          "continue to the guest's exit", out)
    check(status == 0 and "PASS gdb target" in guest,
          "the guest passed its own checks under gdb", guest)


def test_watchpoint():
    out, status, guest, _ = gdb_session([
        "break main",
        "continue",
        "watch gdb_counter",
        "continue",
        "p/x $pc",
        "info line target.c:20",
        "continue",
        "delete",
        "continue",
    ])
    check(re.search(r"Hardware watchpoint 2: gdb_counter\s+Old value = 0\s+"
                    r"New value = 1", out), "write watchpoint: 0 -> 1", out)
    check(re.search(r"Old value = 1\s+New value = 3", out),
          "write watchpoint again: 1 -> 3", out)
    # The stop is right after the store: the first instruction of the
    # `return gdb_counter;` line.
    pc = line_address(out, r"\$\d+")
    m = re.search(r'Line 20 of ".*target\.c"\s+starts at address (0x[0-9a-f]+)',
                  out)
    check(pc is not None and m and int(m.group(1), 16) == pc,
          "watchpoint stop is right after the store", out)
    check("exited normally" in out and status == 0, "exit after watching", out)


def test_read_watchpoint():
    # A read watchpoint stops after each load of gdb_counter (bump reads
    # it in `+=` and again in its return), in M-mode code that runs as
    # host code: loads must not bypass the watch.
    cmds = ["break main", "continue", "rwatch gdb_counter", "continue",
            "continue", "delete", "continue"]
    out, status, guest, _ = gdb_session(cmds)
    first = cmd_out(out, cmds, "continue", 1)
    second = cmd_out(out, cmds, "continue", 2)
    check(re.search(r"Hardware read watchpoint 2: gdb_counter\s+Value = 0\b",
                    first), "read watchpoint: the first load reads 0", out)
    check(re.search(r"Hardware read watchpoint 2: gdb_counter\s+Value = 1\b",
                    second), "read watchpoint: the next load reads 1", out)
    check("exited normally" in out and status == 0,
          "exit after the read watchpoint", out)


def test_threads():
    cmds = ["info threads", "thread 3", "p/x $mhartid", "continue"]
    out, status, _, _ = gdb_session(cmds, smp=4)
    threads = re.findall(r"^\*?\s+(\d) +Thread (\d)",
                         cmd_out(out, cmds, "info threads"), re.M)
    check([t[0] for t in threads] == ["1", "2", "3", "4"],
          "info threads shows 4 harts", out)
    check("[Switching to thread 3 (Thread 3)]" in cmd_out(out, cmds, "thread 3")
          and re.fullmatch(r"\$1 = 0x2", cmd_out(out, cmds, "p/x $mhartid")),
          "thread 3 is hart 2", out)
    check("exited normally" in cmd_out(out, cmds, "continue"),
          "-smp 4 runs to exit", out)


def test_monitor_and_reverse():
    out, status, _, _ = gdb_session([
        "monitor help",
        "monitor icount",
        "monitor goto 100",
        "monitor icount",
        "maintenance flush register-cache",
        "p/x $pc",
        "monitor checkpoints",
        "monitor frobnicate",
        "stepi",
        "reverse-stepi",
        "kill",
    ])
    check("goto ICOUNT" in out, "monitor help", out)
    check("icount 0\n" in out and "icount 100\n" in out,
          "monitor icount and goto", out)
    m = re.search(r"now at icount 100 \(hart 0 pc (0x[0-9a-f]+)\)", out)
    check(m and re.search(rf"\$1 = {m.group(1)}\n", out),
          "gdb sees the new pc after goto", out)
    check("no trace loaded" in out, "monitor checkpoints without a trace", out)
    check("unknown monitor command 'frobnicate'" in out,
          "unknown monitor command", out)
    check("reverse execution needs a recorded trace" in out and
          "No more reverse-execution history" in out,
          "reverse-stepi refused on a live run", out)
    check("[Inferior 1 (Remote target) killed]" in out and status == 0,
          "kill ends rewind", out)


class RspClient:
    """Just enough of a gdb to test what batch gdb cannot."""

    def __init__(self, sock):
        self.s = sock
        self.s.settimeout(limit(20))
        self.buf = b""
        self.ack = True

    def send(self, data):
        csum = sum(data.encode()) & 0xff
        self.s.sendall(f"${data}#{csum:02x}".encode())

    def recv_packet(self):
        while True:
            m = re.search(rb"\$([^#]*)#[0-9a-fA-F]{2}", self.buf)
            if m:
                self.buf = self.buf[m.end():]
                if self.ack:
                    try:
                        self.s.sendall(b"+")
                    except OSError:
                        pass   # the stub may close after W (guest exit)
                data = m.group(1)
                # Expand run-length encoding (x*n: n - 29 more x's).
                data = re.sub(rb"(.)\*(.)",
                              lambda r: r.group(1) * (r.group(2)[0] - 28), data)
                return data.decode("latin-1")
            chunk = self.s.recv(4096)
            if not chunk:
                raise EOFError("stub closed the connection")
            self.buf += chunk

    def cmd(self, data):
        self.send(data)
        return self.recv_packet()


def symbol(name):
    out = subprocess.run(["riscv64-unknown-elf-nm", ELF], capture_output=True,
                         text=True).stdout
    m = re.search(rf"^([0-9a-f]+) \S {name}$", out, re.M)
    return int(m.group(1), 16)


def test_raw_protocol():
    spin = symbol("gdb_spin")
    spins = symbol("gdb_spins")
    sockdir = tempfile.mkdtemp()
    path = os.path.join(sockdir, "gdb.sock")
    rw = Rewind(f"unix:{path}")
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    c = RspClient(s)
    sup = c.cmd("qSupported:multiprocess+;swbreak+;hwbreak+;vContSupported+")
    check("PacketSize=4000" in sup and "ReverseStep+" in sup and
          "qXfer:features:read+" in sup, "qSupported over a unix socket", sup)
    check(c.cmd("QStartNoAckMode") == "OK", "QStartNoAckMode")
    c.ack = False
    check(c.cmd("?").startswith("T05"), "? after -S is T05")
    check(c.cmd("vCont?") == "vCont;c;C;s;S", "vCont?")
    check(c.cmd("qfThreadInfo") == "m1" and c.cmd("qsThreadInfo") == "l",
          "thread list")
    check(c.cmd("p20") == "0010000000000000", "p pc reads 0x1000")
    # G must carry the whole register file (x0-x31, pc): a short one is
    # refused and changes nothing.
    regs = c.cmd("g")
    check(len(regs) == 33 * 16, "g: x0-x31 and pc", regs)
    short = "G" + "11" * 8 * 10
    check(re.fullmatch(r"E[0-9a-fA-F]{2}", c.cmd(short)) is not None,
          "a short G is an error")
    check(c.cmd("g") == regs, "a short G changes no register")
    check(c.cmd("G" + regs) == "OK" and c.cmd("g") == regs,
          "a whole G is accepted")
    check(c.cmd("m0,4") == "E14", "unmapped memory is an error")
    check(c.cmd("bogus") == "", "unknown packet: empty reply")
    # crt0 clears .bss: stop in main before setting gdb_spin.
    check(c.cmd(f"Z0,{symbol('main'):x},2") == "OK", "Z0 inserts")
    stop = c.cmd("c")
    check(stop == "T05swbreak:;thread:1;", "c stops at the breakpoint", stop)
    check(c.cmd(f"z0,{symbol('main'):x},2") == "OK", "z0 removes")
    # Keep the guest busy at its end, run it and interrupt it.
    check(c.cmd(f"M{spin:x},8:0100000000000000") == "OK", "M writes memory")
    # Interrupt it until it is seen spinning (polling, no sleep: the
    # first Ctrl-C may come before it reached the loop).
    n1 = 0
    for _ in range(1000):
        c.send("vCont;c")
        s.sendall(b"\x03")
        stop = c.recv_packet()
        n1 = int.from_bytes(bytes.fromhex(c.cmd(f"m{spins:x},8")), "little")
        if n1 > 0 or not stop.startswith("T02"):
            break
    check(stop.startswith("T02") and "thread:1;" in stop, "Ctrl-C stops: T02",
          stop)
    check(n1 > 0, "the guest was spinning when interrupted")
    # Go away while the guest runs; a later client attaches to it. (The
    # stub reads the first client's end of stream before it looks for new
    # clients, so the second one need not wait for anything.)
    c.send("c")
    s.close()
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    c = RspClient(s)
    c.cmd("qSupported:swbreak+")
    check(c.cmd("?").startswith("T05"), "a later client stops the guest")
    n2 = int.from_bytes(bytes.fromhex(c.cmd(f"m{spins:x},8")), "little")
    check(n2 > n1, "the guest ran on after the first client left")
    # Binary X write (with bytes that need escaping) then let it finish.
    c.send(f"X{spin:x},8:" + "\x7d\x5d" + "\0" * 7)
    check(c.recv_packet() == "OK", "X writes escaped binary data")
    check(c.cmd(f"m{spin:x},8") == "7d00000000000000", "X data landed")
    check(c.cmd(f"X{spin:x},8:" + "\0" * 8) == "OK", "X clears gdb_spin")
    stop = c.cmd("c")
    check(stop == "W00", "guest exit is W00", stop)
    status, out, err = rw.finish()
    check(status == 0 and "PASS gdb target" in out, "guest passed", out + err)
    os.rmdir(sockdir)


def gdb_batch(port, *commands):
    args = [GDB, "-batch", "-nx", "-ex", "set architecture riscv:rv64",
            "-ex", f"target remote 127.0.0.1:{port}"]
    for c in commands:
        args += ["-ex", c]
    return subprocess.run(args, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=limit(30)).stdout


def test_second_client():
    """One client at a time: a second gdb is told so at once, while the
    machine is stopped and while it runs, and the first session goes on."""
    rw = Rewind()
    s = socket.create_connection(("127.0.0.1", rw.port))
    c = RspClient(s)
    c.cmd("qSupported:swbreak+")
    check(c.cmd("?").startswith("T05"), "the first client is served")
    refused = (r"warning: Remote failure reply: E\.rewind: another gdb is "
               r"already connected to this stub.*\n(.*\n)*Remote connection "
               r"closed")
    said = f"rewind: refused a second gdb connection on 127.0.0.1:{rw.port}: "
    out = gdb_batch(rw.port, "p $pc")
    check(re.search(refused, out), "a second gdb is refused (stopped)", out)
    line = rw.stderr_line()
    check(line.startswith(said), "rewind says it refused a client", line)
    check(c.cmd("p20") == "0010000000000000", "the first session goes on")
    # Again while the guest runs (spinning at its end) for the first;
    # crt0 clears .bss, so gdb_spin is set from main.
    main = symbol("main")
    check(c.cmd(f"Z0,{main:x},2") == "OK" and c.cmd("c").startswith("T05") and
          c.cmd(f"z0,{main:x},2") == "OK" and
          c.cmd(f"M{symbol('gdb_spin'):x},8:0100000000000000") == "OK",
          "keep the guest spinning")
    c.send("c")
    out = gdb_batch(rw.port, "p $pc")
    check(re.search(refused, out), "a second gdb is refused (running)", out)
    line = rw.stderr_line()
    check(line.startswith(said), "rewind says it refused a client", line)
    s.sendall(b"\x03")
    stop = c.recv_packet()
    check(stop.startswith("T02"), "the first client still stops the guest",
          stop)
    check(c.cmd(f"M{symbol('gdb_spin'):x},8:0000000000000000") == "OK" and
          c.cmd("c") == "W00", "and runs it to its exit")
    s.close()
    status, out, err = rw.finish()
    check(status == 0 and "PASS gdb target" in out, "guest passed", out + err)


def start_on_pty():
    """rewind -S with stdin/stdout on a pseudo-terminal that is its
    controlling terminal (as in a shell); returns (Rewind, master fd,
    slave fd)."""
    master, slave = pty.openpty()
    rw = Rewind(stdin=slave, stdout=slave, preexec_fn=make_ctty)
    return rw, master, slave


def test_wait_ends():
    """While -S waits for gdb, the user can still end rewind."""
    import termios
    for sig, code in ((signal.SIGTERM, 143), (signal.SIGINT, 130),
                      (signal.SIGHUP, 129)):
        rw = Rewind()
        rw.proc.send_signal(sig)
        status, _, err = rw.finish(timeout=20)
        check(status == code and
              f"rewind: stopped by {sig.name} while waiting for gdb on "
              f"127.0.0.1:{rw.port}" in err,
              f"{sig.name} while -S waits: message, status {code}",
              f"status {status}\n{err}")
    # Stopped with gdb attached, SIGTERM ends the run too, and gdb is
    # told that the inferior exited.
    rw = Rewind()
    c = RspClient(socket.create_connection(("127.0.0.1", rw.port)))
    check(c.cmd("?").startswith("T05"), "attached")
    rw.proc.send_signal(signal.SIGTERM)
    try:
        stop = c.recv_packet()
    except (OSError, EOFError) as e:
        stop = f"(no stop reply: {e!r})"
    # The reply first: without it, rewind most likely still runs, and
    # (fail-fast) the test ends here rather than after waiting for its exit.
    check(stop == "W8f", "SIGTERM while stopped for gdb: W reply", stop)
    status, _, err = rw.finish(timeout=20)
    check(status == 143 and
          "rewind: stopped by SIGTERM while stopped for gdb" in err,
          "SIGTERM while stopped for gdb: message, status 143",
          f"{stop}\nstatus {status}\n{err}")
    # Keys typed on the terminal: Ctrl-C (a signal while the terminal
    # generates them, a byte in a raw terminal that does not) and Ctrl-A x.
    for keys, isig, code, said, what in (
            # rewind's -nographic console (mon:stdio) turns the terminal's
            # signals off as QEMU does, so Ctrl-C usually arrives as a byte;
            # typed before that, it is still a SIGINT.
            (b"\x03", True, 130,
             r"stopped by (SIGINT|Ctrl-C) while waiting for gdb", "Ctrl-C"),
            (b"\x03", False, 130, r"stopped by Ctrl-C while waiting for gdb",
             "Ctrl-C (raw, no ISIG)"),
            (b"\x01x", True, 0, r"terminated \(Ctrl-A x\)", "Ctrl-A x")):
        rw, master, slave = start_on_pty()
        if not isig:
            # As a terminal in fully raw mode: Ctrl-C arrives as a byte.
            attrs = termios.tcgetattr(slave)
            attrs[3] &= ~termios.ISIG
            termios.tcsetattr(slave, termios.TCSANOW, attrs)
        os.write(master, keys)
        status, _, err = rw.finish(timeout=20)
        check(status == code and re.search(said, err),
              f"{what} on the terminal while -S waits: message, status {code}",
              f"status {status}\n{err}")
        check(termios.tcgetattr(slave)[3] & termios.ICANON,
              f"the terminal is restored after {what}")
        os.close(master)
        os.close(slave)


def main():
    # The sessions are independent. The two that end rewind by a signal
    # or refuse a second gdb come first: they take a few seconds, and a
    # mutation of those paths fails there at once (the mutation runner
    # stops at the first failure) instead of after every other session.
    for t in (test_wait_ends, test_second_client, test_basics,
              test_watchpoint, test_read_watchpoint, test_threads,
              test_monitor_and_reverse, test_raw_protocol):
        print(f"== {t.__name__}")
        try:
            t()
        except Exception as e:  # a crash in one session fails only it
            check(False, f"{t.__name__} raised {e!r}")
    print(f"gdb: {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
