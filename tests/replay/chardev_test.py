"""-chardev back ends behind the serial port, recorded and replayed.

The echo guest (tests/guest/echo.c) reads a line ending in '.' and prints
its first byte, its length and the line. Here its serial port is a unix
socket server, a TCP server on a port rewind picks (port=0, printed), a
unix socket client, a pty and a pipe: the test plays the other end, sends
the line and reads the echo. The unix-socket recording is then replayed
and verified with the socket gone: same console, verify passes, and the
replay creates no socket. A line starting with Ctrl-A Ctrl-A checks that
a -chardev without mux=on hands every byte to the guest (no Ctrl-A keys).
A client that goes away before the '.' ends that connection's input; the
server listens again and the next client finishes the line. A client
TCP server with telnet=on strips a client's negotiation from its input.
A client socket with reconnect=1 starts before its server exists, loses it
half-way and connects again; its recording verifies with the socket gone.

ringbuf, null and file run the hello guest; file with append=on keeps
what the file had, and its replay leaves the file alone. Each start-up error is
checked word for word, with exit status 1 and no trace directory left.
"""
import os
import re
import select
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run, read_match, spawn  # noqa: E402

exe, echo_elf, hello_elf = (os.path.abspath(a) for a in sys.argv[1:4])
t = Suite("chardev")
tmp = tempfile.mkdtemp()
os.chdir(tmp)
LINE = b"\x01\x01hello."
ECHO = b"echo: first byte 0x0000000000000001, 7 bytes: [\x01\x01hello]\n"


def start(*args):
    return spawn([exe, *args], stdin=subprocess.DEVNULL,
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def stderr_line(p, pattern, timeout=60):
    """Read p's stderr until a line matches; the match, or None."""
    m, buf = read_match(p.stderr, pattern, t.limit(timeout))
    if not m:
        print("stderr so far:", buf)
    return m


def read_until(recv, marker, timeout=60):
    data = b""
    deadline = time.monotonic() + t.limit(timeout)
    while marker not in data and time.monotonic() < deadline:
        d = recv()
        if d is None:
            continue
        if not d:
            break
        data += d
    return data


def sock_recv(s):
    r, _, _ = select.select([s], [], [], 1)
    return s.recv(4096) if r else None


def fd_recv(fd):
    r, _, _ = select.select([fd], [], [], 1)
    return os.read(fd, 4096) if r else None


def finish(p, what):
    try:
        out, err = p.communicate(timeout=t.limit(60))
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    t.check(p.returncode == 0, f"{what}: rewind exits 0", err.decode(errors="replace"))
    return out, err


# --- unix socket server, recorded; a client leaves half-way -----------------
sock = os.path.join(tmp, "serial.sock")
trace = os.path.join(tmp, "unix.rwd")
p = start("record", "-o", trace, "-M", "virt", "-bios", "none",
          "-kernel", echo_elf, "-serial", "chardev:c0",
          "-chardev", f"socket,id=c0,path={sock},server=on,wait=off")
m = stderr_line(p, rb"chardev 'c0' listening on unix:(\S+)\n")
t.check(m is not None and m.group(1).decode() == sock,
        "unix server prints where it listens")
got = b""
if m:
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    s.sendall(LINE[:4])
    s.close()                       # EOF half-way: input of this client ends
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)                 # the server listens again
    s.sendall(LINE[4:])
    got = read_until(lambda: sock_recv(s), b"PASS echo")
    s.close()
t.check(ECHO in got, "the guest echoes the bytes of both clients, Ctrl-A "
        "included, through the socket", got)
rec_out, _ = finish(p, "record with a unix socket")
t.check(rec_out == b"", "nothing of the guest's output goes to stdout", rec_out)
t.check(not os.path.exists(sock), "the socket is removed at exit")

rc, out, err = run(exe, "replay", trace)
t.check(rc == 0 and ECHO.decode() in out and got.decode() in out,
        "replay without the socket prints the same console", out + err)
t.check(not os.path.exists(sock), "replay creates no socket")
rc, out, err = run(exe, "verify", trace)
t.check(rc == 0 and "replay identical" in err, "verify passes", err)
rc, out, err = run(exe, "info", trace)
t.check(rc == 0 and "SERIAL_RX=" in out, "the socket's bytes are SERIAL_RX "
        "events", out)

# --- TCP server on a port rewind picks, wait=on -----------------------------
p = start("run", "-M", "virt", "-bios", "none", "-kernel", echo_elf,
          "-serial", "chardev:t0",
          "-chardev", "socket,id=t0,port=0,server=on,wait=on")
m = stderr_line(p, rb"chardev 't0' listening on ([0-9.]+):(\d+)\n")
t.check(m is not None and m.group(1) == b"127.0.0.1",
        "a TCP server binds 127.0.0.1 unless host= is given",
        m.group(0) if m else "")
got = b""
if m:
    s = socket.create_connection(("127.0.0.1", int(m.group(2))))
    got = read_until(lambda: sock_recv(s), b"'.'\n")
    t.check(got.startswith(b"echo: type a line"), "wait=on: the client sees "
            "the guest's first line (start-up waited for it)", got)
    s.sendall(LINE)
    got = read_until(lambda: sock_recv(s), b"PASS echo")
    s.close()
t.check(ECHO in got, "echo through a TCP socket", got)
finish(p, "run with a TCP server")

# --- TCP server with telnet=on, recorded: the negotiation the client sends
# never reaches the guest, IAC IAC is one 0xff, and 0xff going out is
# doubled ------------------------------------------------------------------
IAC = b"\xff"
ttrace = os.path.join(tmp, "telnet.rwd")
p = start("record", "-o", ttrace, "-M", "virt", "-bios", "none", "-kernel",
          echo_elf, "-serial", "chardev:n0",
          "-chardev", "socket,id=n0,port=0,server=on,wait=off,telnet=on")
m = stderr_line(p, rb"chardev 'n0' listening on ([0-9.]+):(\d+)\n")
got = b""
if m:
    s = socket.create_connection(("127.0.0.1", int(m.group(2))))
    got = read_until(lambda: sock_recv(s), IAC + b"\xfd\x00")
    t.check(got.startswith(IAC + b"\xfb\x01" + IAC + b"\xfb\x03"),
            "telnet=on: the server offers ECHO and SUPPRESS-GO-AHEAD first",
            got[:16])
    # What a telnet client sends: DO ECHO, WILL NAWS, a NAWS subnegotiation
    # split across two writes, a NOP, and data with IAC IAC in it.
    s.sendall(IAC + b"\xfd\x01" + IAC + b"\xfb\x1f" + b"\x01\x01he" +
              IAC + b"\xfa\x1f\x00\x50")
    s.sendall(b"\x00\x18" + IAC + b"\xf0" + b"l" + IAC + b"\xf1" + IAC +
              IAC + b"lo.")
    got = read_until(lambda: sock_recv(s), b"PASS echo")
    s.close()
TECHO = (b"echo: first byte 0x0000000000000001, 8 bytes: [\x01\x01hel" +
         IAC + IAC + b"lo]\n")
t.check(TECHO in got, "telnet=on: the guest gets the data bytes only, and "
        "its 0xff comes out doubled", got)
finish(p, "record with a telnet server")
rc, out, err = run(exe, "query", ttrace, "SELECT summary FROM events WHERE "
                   "kind = 'SERIAL_RX'")
t.check(rc == 0 and "\\xfd" not in out and "\\xfa" not in out,
        "telnet=on: no negotiation byte in the recorded input", out + err)
rc, out, err = run(exe, "verify", ttrace)
t.check(rc == 0 and "replay identical" in err,
        "verify of the telnet recording", err)

# --- unix socket client ------------------------------------------------------
lsock = os.path.join(tmp, "client.sock")
ls = socket.socket(socket.AF_UNIX)
ls.bind(lsock)
ls.listen(1)
p = start("run", "-M", "virt", "-bios", "none", "-kernel", echo_elf,
          "-serial", "chardev:k0", "-chardev", f"socket,id=k0,path={lsock}")
ls.settimeout(t.limit(60))
c, _ = ls.accept()
c.sendall(LINE)
got = read_until(lambda: sock_recv(c), b"PASS echo")
t.check(ECHO in got, "echo through a client socket", got)
finish(p, "run as a socket client")
c.close()
ls.close()

# --- unix socket client with reconnect=1, recorded: the server is not there
# at start-up, then comes, goes away half-way and comes back -------------
rsock = os.path.join(tmp, "recon.sock")
rtrace = os.path.join(tmp, "recon.rwd")
p = start("record", "-o", rtrace, "-M", "virt", "-bios", "none", "-kernel",
          echo_elf, "-serial", "chardev:k1",
          "-chardev", f"socket,id=k1,path={rsock},reconnect=1")
m = stderr_line(p, rb"-chardev id=k1: cannot connect to unix:\S+: No such "
                rb"file or directory; trying again every 1 s\n")
t.check(m is not None, "reconnect=: a server not there yet is no start-up "
        "error, rewind says it tries again")
ls = socket.socket(socket.AF_UNIX)
ls.bind(rsock)
ls.listen(1)
ls.settimeout(t.limit(30))
got = b""
try:
    c, _ = ls.accept()              # rewind's next attempt
    c.sendall(LINE[:4])
    c.close()                       # the peer goes away half-way
    c, _ = ls.accept()              # rewind connects again
    c.sendall(LINE[4:])
    got = read_until(lambda: sock_recv(c), b"PASS echo")
    c.close()
except socket.timeout:
    print("no connection from rewind")
ls.close()
t.check(ECHO in got, "reconnect=: the guest gets the bytes of both "
        "connections and answers on the second", got)
finish(p, "record as a reconnecting client")
os.unlink(rsock)
rc, out, err = run(exe, "verify", rtrace)
t.check(rc == 0 and "replay identical" in err,
        "verify of the reconnecting client's recording, socket gone", err)
rc, out, err = run(exe, "replay", rtrace)
t.check(rc == 0 and ECHO.decode() in out and not os.path.exists(rsock),
        "its replay prints the echo and creates no socket", out + err)

# --- pty ---------------------------------------------------------------------
p = start("run", "-M", "virt", "-bios", "none", "-kernel", echo_elf,
          "-serial", "chardev:p0", "-chardev", "pty,id=p0")
m = stderr_line(p, rb"char device redirected to (/dev/pts/\d+) \(label p0\)\n")
t.check(m is not None, "pty: the slave's path is printed as QEMU does")
got = b""
if m:
    fd = os.open(m.group(1), os.O_RDWR | os.O_NOCTTY)
    os.write(fd, LINE)
    got = read_until(lambda: fd_recv(fd), b"PASS echo")
    os.close(fd)
t.check(ECHO.replace(b"\n", b"") in got, "echo through a pty", got)
finish(p, "run with a pty")

# --- pipe (QEMU's PATH.in / PATH.out) ----------------------------------------
pipe = os.path.join(tmp, "ser")
os.mkfifo(pipe + ".in")
os.mkfifo(pipe + ".out")
p = start("run", "-M", "virt", "-bios", "none", "-kernel", echo_elf,
          "-serial", "chardev:q0", "-chardev", f"pipe,id=q0,path={pipe}")
wfd = os.open(pipe + ".in", os.O_WRONLY)     # waits for rewind to open it
rfd = os.open(pipe + ".out", os.O_RDONLY)
os.write(wfd, LINE)
got = read_until(lambda: fd_recv(rfd), b"PASS echo")
t.check(ECHO in got, "echo through a pipe", got)
finish(p, "run with a pipe")
os.close(wfd)
os.close(rfd)

# --- stdio: mux=on has the Ctrl-A keys (and Ctrl-C goes to the guest);
# without mux every byte is the guest's --------------------------------------
from ptyterm import Terminal  # noqa: E402
for mux, typed, want in (
        ("on", b"\x01\x01ab\x03.", b"4 bytes: [\x01ab\x03]"),
        ("off", b"\x01\x01ab.", b"4 bytes: [\x01\x01ab]")):
    term = Terminal([exe, "run", "-M", "virt", "-bios", "none", "-kernel",
                     echo_elf, "-serial", "chardev:s0",
                     "-chardev", f"stdio,id=s0,mux={mux}"])
    term.expect(b"'.'", t.limit(60))
    term.type(typed)
    st = term.wait(t.limit(60))
    t.check(st == 0 and want in term.screen,
            f"-chardev stdio,mux={mux} on a terminal", term.screen[-300:])

# --- ringbuf, null, file ----------------------------------------------------
for spec in ("ringbuf,id=r0,size=64", "null,id=r0"):
    rc, out, err = run(exe, "run", "-M", "virt", "-bios", "none", "-kernel",
                       hello_elf, "-serial", "chardev:r0", "-chardev", spec)
    t.check(rc == 0 and out == "", f"-chardev {spec}: runs, nothing on stdout",
            out + err)
rc, out, err = run(exe, "run", "-M", "virt", "-bios", "none", "-kernel",
                   hello_elf, "-serial", "chardev:f0",
                   "-chardev", "file,id=f0,path=out.txt")
t.check(rc == 0 and "PASS" in open("out.txt").read(),
        "-chardev file: the console is in the file", out + err)

# append=on keeps what the file had (QEMU's append); the default and
# append=off truncate; a replay does not open the file at all.
with open("app.txt", "w") as f:
    f.write("before\n")
for i in range(2):
    rc, out, err = run(exe, "record", "-o", f"app{i}.rwd", "-M", "virt",
                       "-bios", "none", "-kernel", hello_elf, "-serial",
                       "chardev:f0", "-chardev",
                       "file,id=f0,path=app.txt,append=on")
text = open("app.txt").read()
t.check(rc == 0 and text.startswith("before\n") and text.count("PASS") == 2,
        "-chardev file,append=on appends", out + err + text)
rc, out, err = run(exe, "replay", "app0.rwd")
t.check(rc == 0 and open("app.txt").read() == text,
        "replay of an append=on recording leaves the file alone", out + err)
rc, out, err = run(exe, "run", "-M", "virt", "-bios", "none", "-kernel",
                   hello_elf, "-serial", "chardev:f0",
                   "-chardev", "file,id=f0,path=app.txt,append=off")
text = open("app.txt").read()
t.check(rc == 0 and text.count("PASS") == 1 and "before" not in text,
        "-chardev file,append=off truncates", out + err + text)

rc, out, err = run(exe, "run", "-chardev", "help")
t.check(rc == 0 and "socket" in out and "ringbuf" in out and "pty" in out
        and "append=on|off" in out and "reconnect=SECONDS" in out
        and "telnet=on|off" in out,
        "-chardev help lists the backends", out)

# --- errors: exact message, exit 1, no trace directory -----------------------
busy = socket.socket()
busy.bind(("127.0.0.1", 0))
busy.listen(1)
bport = busy.getsockname()[1]
errors = [
    (["-chardev", "foo,id=x"],
     "rewind: -chardev foo,id=x: unknown chardev backend 'foo' "
     "(-chardev help lists them)"),
    (["-chardev", "null"],
     "rewind: -chardev null: \"id\" is required (-chardev TYPE,id=ID,...)"),
    (["-chardev", "null,id=a", "-chardev", "null,id=a"],
     "rewind: -chardev null,id=a: duplicate chardev id 'a'"),
    (["-chardev", "file,id=f,path=x,append=maybe"],
     "rewind: -chardev file,id=f,path=x,append=maybe: append='maybe': "
     "expected on or off"),
    (["-chardev", "pipe,id=q,path=x,append=on"],
     "rewind: -chardev pipe,id=q,path=x,append=on: chardev backend 'pipe' "
     "has no option 'append'"),
    (["-chardev", "socket,id=k,path=x,reconnect=soon"],
     "rewind: -chardev socket,id=k,path=x,reconnect=soon: reconnect='soon': "
     "expected seconds (0..86400; 0: never)"),
    (["-chardev", "socket,id=k,path=x,server=on,reconnect=1"],
     "rewind: -chardev socket,id=k,path=x,server=on,reconnect=1: "
     "reconnect= is for a client socket (server=off)"),
    (["-chardev", "socket,id=k,port=1,telnet=on"],
     "rewind: -chardev socket,id=k,port=1,telnet=on: telnet= is for a TCP "
     "server (port=, server=on)"),
    (["-chardev", "null,id=n,path=x"],
     "rewind: -chardev null,id=n,path=x: chardev backend 'null' has no "
     "option 'path'"),
    (["-serial", "chardev:nope"],
     "rewind: -serial chardev:nope: no -chardev with id 'nope'"),
    (["-serial", "chardev:c", "-chardev", f"socket,id=c,path={tmp}/none.sock"],
     f"rewind: -chardev id=c: cannot connect to {tmp}/none.sock: "
     "No such file or directory"),
    (["-serial", "chardev:c", "-chardev",
      f"socket,id=c,port={bport},server=on,wait=off"],
     f"rewind: -chardev id=c: cannot listen on 127.0.0.1:{bport}: "
     "Address already in use"),
    (["-serial", "chardev:f", "-chardev", f"file,id=f,path={tmp}/no/dir"],
     f"rewind: -chardev id=f: {tmp}/no/dir: No such file or directory"),
    (["-serial", "chardev:q", "-chardev", f"pipe,id=q,path={tmp}/nopipe"],
     f"rewind: -chardev id=q: pipe {tmp}/nopipe (nor {tmp}/nopipe.in and "
     f"{tmp}/nopipe.out): No such file or directory"),
]
for args, msg in errors:
    d = os.path.join(tmp, "err.rwd")
    rc, out, err = run(exe, "record", "-o", d, "-M", "virt", "-bios", "none",
                       "-kernel", hello_elf, *args)
    t.check(rc == 1 and err.strip() == msg and not os.path.exists(d),
            f"error for {' '.join(args)}",
            f"rc={rc} stderr={err!r} dir left={os.path.exists(d)}")
busy.close()

t.finish()
