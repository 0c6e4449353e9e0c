#!/usr/bin/env python3
"""Debug a rewind guest with a real gdb-multiarch through the GDB stub.

Usage: gdb_test.py REWIND TARGET_ELF [GDB]

Each session starts `rewind run ... -S -gdb tcp::PORT` on a free port,
waits until the stub listens, drives gdb in batch mode and checks what gdb
printed: breakpoints, registers (GPRs, FPRs, CSRs, priv), memory reads
and writes, stepping, a write watchpoint's old and new values, threads on
-smp 4, monitor commands, reverse execution refused without a trace, and
the guest's exit. A raw RSP client covers what batch gdb cannot: Ctrl-C
(0x03), no-ack mode, a client that disconnects and a later one that
attaches to the running guest, and unix sockets.
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Rewind:
    """A rewind process stopped at its first instruction (-S)."""

    def __init__(self, gdb_spec, smp=1):
        self.proc = subprocess.Popen(
            [REWIND, "run", "-M", "virt", "-bios", "none", "-nographic",
             "-smp", str(smp), "-kernel", ELF, "-S", "-gdb", gdb_spec],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        # The stub says so just before it waits for a client; connecting
        # earlier to probe would itself be taken as the client.
        line = self.proc.stderr.readline()
        if "waiting for gdb" not in line:
            raise RuntimeError(f"rewind did not start its stub: {line!r}")

    def finish(self, timeout=30):
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            err += "\n(killed: timeout)"
        return self.proc.returncode, out, err


def gdb_session(commands, smp=1, timeout=60):
    port = free_port()
    rw = Rewind(f"tcp::{port}", smp)
    args = [GDB, "-batch", "-nx", "-ex", "set architecture riscv:rv64",
            "-ex", "set confirm off", "-ex", f"file {ELF}",
            "-ex", f"target remote 127.0.0.1:{port}"]
    for c in commands:
        args += ["-ex", c]
    try:
        g = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=timeout)
        out = g.stdout + g.stderr
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode() + "\n(gdb timed out)"
    status, guest_out, guest_err = rw.finish()
    return out, status, guest_out, guest_err


def line_address(out, tag):
    m = re.search(tag + r"\s*=\s*(?:\([^)]*\)\s*)?(0x[0-9a-f]+)", out)
    return int(m.group(1), 16) if m else None


def test_basics():
    out, status, guest, _ = gdb_session([
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
    ])
    check("$1 = 0x1000" in out, "stopped at the reset vector (-S)", out)
    check(re.search(r"Breakpoint 1, main \(\) at .*target\.c:\d+", out),
          "break main; continue", out)
    check(re.search(r"\$2 = \(void \(\*\)\(\)\) 0x8[0-9a-f]+ <main\+\d+>", out),
          "p $pc", out)
    check(all(re.search(rf"^{r}\s+0x[0-9a-f]+", out, re.M)
              for r in ("ra", "sp", "gp", "a0", "t6", "pc")),
          "info registers lists GPRs and pc", out)
    check(len(re.findall(r"^(?:=> )?\s*0x8[0-9a-f]+ <main\+\d+>:\t\S", out,
                         re.M)) >= 4, "x/4i $pc disassembles", out)
    check(re.search(r"Breakpoint 2, bump \(by=1\) at .*target\.c:\d+", out),
          "break in a called function with its argument", out)
    check(re.search(r"#1\s+0x[0-9a-f]+ in main \(\)", out), "backtrace", out)
    check(re.search(r"Value returned is \$\d+ = 1", out),
          "finish returns bump's value", out)
    check("= 0x1234abcd" in out, "write and read a register", out)
    check("{0x1111, 0xfeedface, 0x3333, 0x4444}" in out,
          "write and read memory", out)
    check(re.search(r"0x0*3333\s+0x0*4444", out), "x/2gx reads memory", out)
    check(re.search(r"= 0x0\n", out) and "= 0x800000000014112d" in out,
          "CSRs mhartid and misa", out)
    check(re.search(r"\$\d+ = 3\n", out) and
          re.search(r"^priv\s+0x3\s+prv:3 \[Machine\]", out, re.M),
          "priv register (M-mode)", out)
    check(re.search(r"\$\d+ = \{float = .*double = .*\}", out),
          "FP register ft0", out)
    check(re.search(r"^mstatus\s+0x[0-9a-f]+", out, re.M),
          "info registers mstatus", out)
    check("exited normally" in out, "continue to the guest's exit", out)
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


def test_threads():
    out, status, _, _ = gdb_session([
        "info threads",
        "thread 3",
        "p/x $mhartid",
        "continue",
    ], smp=4)
    threads = re.findall(r"^\*?\s+(\d) +Thread (\d)", out, re.M)
    check([t[0] for t in threads] == ["1", "2", "3", "4"],
          "info threads shows 4 harts", out)
    check("[Switching to thread 3 (Thread 3)]" in out and
          re.search(r"\$1 = 0x2\n", out), "thread 3 is hart 2", out)
    check("exited normally" in out, "-smp 4 runs to exit", out)


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
        self.s.settimeout(20)
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
    check(c.cmd("m0,4") == "E14", "unmapped memory is an error")
    check(c.cmd("bogus") == "", "unknown packet: empty reply")
    # crt0 clears .bss: stop in main before setting gdb_spin.
    check(c.cmd(f"Z0,{symbol('main'):x},2") == "OK", "Z0 inserts")
    stop = c.cmd("c")
    check(stop == "T05swbreak:;thread:1;", "c stops at the breakpoint", stop)
    check(c.cmd(f"z0,{symbol('main'):x},2") == "OK", "z0 removes")
    # Keep the guest busy at its end, run it and interrupt it.
    check(c.cmd(f"M{spin:x},8:0100000000000000") == "OK", "M writes memory")
    c.send("vCont;c")
    time.sleep(0.5)
    s.sendall(b"\x03")
    stop = c.recv_packet()
    check(stop.startswith("T02") and "thread:1;" in stop, "Ctrl-C stops: T02",
          stop)
    n1 = int.from_bytes(bytes.fromhex(c.cmd(f"m{spins:x},8")), "little")
    check(n1 > 0, "the guest was spinning when interrupted")
    # Go away while the guest runs; a later client attaches to it.
    c.send("c")
    s.close()
    time.sleep(0.3)
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


def main():
    for t in (test_basics, test_watchpoint, test_threads,
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
