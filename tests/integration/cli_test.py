"""Command line and bad input: every case must give a clear message that
names the option or file at fault and a non-zero exit, never a crash."""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

from rwtest import Suite, run, spawn

exe, hello, count = sys.argv[1:4]
t = Suite("cli")
tmp = tempfile.mkdtemp()

rc, out, err = run(exe, "--help")
t.check(rc == 0 and "-kernel" in out and "-icount" in out, "--help", out + err)
t.check("REWIND_SIDE_EXITS=N" in out and "(0 to 8, default 8" in out,
        "--help: REWIND_SIDE_EXITS and its range", out)
rc, out, err = run(exe, "--version")
t.check(rc == 0 and out.startswith("rewind "), "--version", out)
rc, out, err = run(exe, "run", "-machine", "help")
t.check(rc == 0 and "virt" in out, "-machine help", out)
rc, out, err = run(exe, "run", "-M", "help")
t.check(rc == 0 and "virt" in out, "-M help", out)
rc, out, err = run(exe, "run", "-cpu", "help")
t.check(rc == 0 and "rv64" in out, "-cpu help", out)
# -device: help and every error come from the device registry's rows
# (hw/registry.h); the front end knows no device.
rc, out, err = run(exe, "run", "-device", "help")
t.check(rc == 0 and 'name "ns16550a", bus System' in out and
        'name "testdev", bus System, desc "' in out and
        "\nTest devices:\n" in out and "\nInput/output devices:\n" in out,
        "-device help lists the types by category", out)
lines = {ln.split('"')[1]: ln for ln in out.splitlines()
         if ln.startswith("name ")}
t.check("built in (no -device)" in lines.get("plic", "") and
        "built in" not in lines.get("testdev", "x built in"),
        "-device help says which types -device can add", out)
rc, out, err = run(exe, "run", "-device", "ns16550a,help")
t.check(rc == 0 and "0x10000000" in out and "PLIC source 10" in out and
        "cannot be added" in out, "-device TYPE,help of a built-in", out + err)
rc, out, err = run(exe, "run", "-device", "testdev,help")
want = ["testdev options:",
        "  reg=<uint64>             - value of REG after reset (required)",
        "  step=<uint64>            - what each write to REG adds to COUNT "
        "(default: 1)",
        "  locked=<bool>            - ignore the guest's writes to REG "
        "(default: off)"]
t.check(rc == 0 and all(w + "\n" in out for w in want) and "id=<str>" in out
        and "0x4000000" in out, "-device testdev,help lists its properties",
        out + err)
rc, out, err = run(exe, "run", "-device", "testdev,reg=1,?")
t.check(rc == 0 and "testdev options:" in out, "-device TYPE,...,?", out)
rc, out, err = run(exe, "run", "-device", "e1000,help")
t.check(rc == 1 and "e1000" in err, "-device UNKNOWN,help", err)
rc, out, err = run(exe, "run", "-device", "virtio-net-device,netdev=n0")
t.check(rc == 1 and "virtio-net-device" in err, "-device unsupported", err)

# Each -device error: its exact message and exit status 1.
for devs, msg in [
    (["e1000"], "-device e1000: unknown device type 'e1000' (try -device "
     "help)"),
    (["testdev,reg=1,foo=2"], "-device testdev,reg=1,foo=2: testdev has no "
     "property 'foo' (try -device testdev,help)"),
    (["testdev,reg=0x1g"], "-device testdev,reg=0x1g: testdev property "
     "'reg': bad value '0x1g' (expected an unsigned integer, decimal or 0x "
     "hex)"),
    (["testdev,reg=1,locked=maybe"], "-device testdev,reg=1,locked=maybe: "
     "testdev property 'locked': bad value 'maybe' (expected on or off)"),
    (["testdev,step=2"], "-device testdev,step=2: testdev needs property "
     "'reg' (value of REG after reset)"),
    (["testdev,reg=1,id=a", "testdev,reg=2,id=a"], "-device "
     "testdev,reg=2,id=a: duplicate id 'a' (already used by -device "
     "testdev,reg=1,id=a)"),
    (["testdev,reg=1", "testdev,reg=2,id=testdev0"], "-device "
     "testdev,reg=2,id=testdev0: duplicate id 'testdev0' (already used by "
     "-device testdev,reg=1)"),
    (["testdev,reg=1,id=plic"], "-device testdev,reg=1,id=plic: id 'plic' "
     "is already taken by a built-in device"),
    (["testdev,reg=1,id=9x"], "-device testdev,reg=1,id=9x: testdev property "
     "'id': bad value '9x' (a letter, then up to 30 letters, digits, '-', "
     "'.', '_')"),
    (["testdev,reg=1,id=" + "a" * 32], "-device testdev,reg=1,id=" +
     "a" * 32 + ": testdev property 'id': bad value '" + "a" * 32 +
     "' (a letter, then up to 30 letters, digits, '-', '.', '_')"),
    (["testdev,reg=1,reg=2"], "-device testdev,reg=1,reg=2: testdev: "
     "property 'reg' given twice"),
    (["ns16550a"], "-device ns16550a: ns16550a is built into the board and "
     "cannot be added with -device (-device help lists the ones that can)"),
]:
    args = [a for d in devs for a in ("-device", d)]
    rc, out, err = run(exe, "run", "-bios", "none", "-kernel", hello, *args)
    t.check(rc == 1 and err == f"rewind: {msg}\n" and "Hello" not in out,
            f"-device error: {devs}", f"rc={rc} err={err!r}")

# A device added with -device gets a device-tree node at its place on the
# platform bus, in command-line order.
dtb = os.path.join(tmp, "td.dtb")
rc, out, err = run(exe, "run", "-M", f"virt,dumpdtb={dtb}", "-bios", "none",
                   "-kernel", hello, "-device", "testdev,reg=1",
                   "-device", "testdev,reg=2,id=second")
blob = open(dtb, "rb").read() if os.path.exists(dtb) else b""
t.check(rc == 0 and b"testdev@4000000\0" in blob and
        b"testdev@4001000\0" in blob and b"rewind,testdev\0" in blob and
        b"second\0" in blob, "-device testdev: device-tree nodes", err)
rc, out, err = run(exe, "run", "-M", f"virt,dumpdtb={dtb}", "-bios", "none",
                   "-kernel", hello)
t.check(rc == 0 and b"testdev" not in open(dtb, "rb").read(),
        "no -device: no testdev node", err)

# The -device commands docs/architecture.md and README.md show, as written.
repo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
shown = [c for doc in ("docs/architecture.md", "README.md")
         for c in re.findall(r"(?m)^\s*(?:\./build/)?rewind run "
                             r"(-device \S+)\s*(?:#.*)?$",
                             open(os.path.join(repo, doc)).read())]
t.check(len(shown) >= 3, "the docs show -device commands", shown)
for cmd in shown:
    rc, out, err = run(exe, "run", *cmd.split())
    t.check(rc == 0 and out, f"docs: rewind run {cmd}", out + err)

# Unknown or unsupported options are refused, never ignored.
for args, needle in [
    (["-foo"], "-foo"),
    (["-M", "sifive_u"], "sifive_u"),
    (["-M", "virt,aclint=on"], "aclint=on"),
    (["-cpu", "sifive-u54"], "sifive-u54"),
    (["-m", "lots"], "lots"),
    (["-smp", "9"], "9"),
    (["-smp", "0"], "0"),
    (["-accel", "kvm"], "kvm"),
    (["-accel", "kvm,jit=on"], "kvm"),
    (["-accel", "tcg,jit=maybe"], "jit=maybe"),
    (["-accel", "tcg,thread=multi"], "thread=multi"),
    (["-accel", "tcg,jit-threshold=0"], "jit-threshold=0"),
    (["-accel", "tcg,jit-threshold=many"], "jit-threshold=many"),
    (["-accel", "tcg,jit-threshold=1000001"], "jit-threshold=1000001"),
    (["-accel", "tcg,jit=off,jit-threshold=4"], "needs the JIT"),
    (["-accel", "tcg,jit-threshold=4,jit=off"], "needs the JIT"),
    (["-accel", "tcg,jit=off", "-accel", "tcg,jit-threshold=4"],
     "needs the JIT"),
    (["-serial", "pty"], "pty"),
    (["-monitor", "stdio"], "stdio"),
    (["-display", "gtk"], "gtk"),
    (["-icount", "shift=auto"], "auto"),
    (["-icount", "shift=3,rr=record"], "rrfile"),
    (["-icount", "rr=sideways,rrfile=x"], "rr="),
    (["-icount", "99"], "99"),
    (["-kernel"], "-kernel"),
    (["stray"], "stray"),
]:
    rc, out, err = run(exe, "run", "-bios", "none", "-kernel", hello, *args)
    t.check(rc == 1 and needle in err and "rewind:" in err,
            f"refuse {args}", f"rc={rc} err={err!r}")

# The threshold means nothing to the interpreter: with jit=off it is an
# error in replay and verify too (parsed by the same function).
rc, out, err = run(exe, "verify", tmp, "-accel", "tcg,jit=off,jit-threshold=2")
t.check(rc != 0 and "needs the JIT" in err, "verify: jit=off,jit-threshold",
        f"rc={rc} err={err!r}")
rc, out, err = run(exe, "run", "--help")
t.check(rc == 0 and "jit-threshold only with the JIT" in out and
        "REWIND_JIT_THRESHOLD" in out, "--help: jit-threshold and the "
        "environment", out)
rc, out, err = run(exe, "run", "-accel", "tcg,help")
t.check(rc == 0 and "an error\n                with jit=off" in out,
        "-accel tcg,help: not with jit=off", out)

# The environment's engine and threshold: a value that is not one is an
# error naming the variable and the value, never a silent default.
for var, val, good in [
    ("REWIND_JIT_THRESHOLD", "abc", False),
    ("REWIND_JIT_THRESHOLD", "0", False),
    ("REWIND_JIT_THRESHOLD", "-1", False),
    ("REWIND_JIT_THRESHOLD", "99999999999", False),
    ("REWIND_JIT_THRESHOLD", "1000001", False),
    ("REWIND_JIT_THRESHOLD", "7x", False),
    ("REWIND_JIT_THRESHOLD", "1000000", True),
    ("REWIND_JIT_THRESHOLD", "1", True),
    ("REWIND_JIT_THRESHOLD", "", True),
    ("REWIND_JIT", "maybe", False),
    ("REWIND_JIT", "1", False),
    ("REWIND_JIT", "on", True),
    ("REWIND_JIT", "off", True),
    ("REWIND_JIT", "", True),
    ("REWIND_SIDE_EXITS", "9", False),
    ("REWIND_SIDE_EXITS", "-1", False),
    ("REWIND_SIDE_EXITS", "x", False),
    ("REWIND_SIDE_EXITS", "8", True),
    ("REWIND_SIDE_EXITS", "0", True),
    ("REWIND_SIDE_EXITS", "", True),
]:
    env = dict(os.environ, **{var: val})
    rc, out, err = run(exe, "run", "-bios", "none", "-kernel", hello, env=env)
    if good:
        t.check(rc == 0 and "PASS" in out, f"{var}={val!r} accepted",
                f"rc={rc} err={err!r}")
    else:
        t.check(rc == 1 and f"{var}='{val}'" in err and "rewind:" in err,
                f"{var}={val!r} refused", f"rc={rc} err={err!r}")
# An explicit -accel jit-threshold does not hide a bad environment value.
env = dict(os.environ, REWIND_JIT_THRESHOLD="abc")
rc, out, err = run(exe, "run", "-bios", "none", "-kernel", hello,
                   "-accel", "tcg,jit-threshold=2", env=env)
t.check(rc == 1 and "REWIND_JIT_THRESHOLD='abc'" in err,
        "REWIND_JIT_THRESHOLD='abc' refused with -accel jit-threshold", err)

rc, out, err = run(exe, "record", "-bios", "none", "-kernel", hello)
t.check(rc == 1 and "-o" in err, "record without -o", err)
rc, out, err = run(exe, "shell")
t.check(rc == 1 and "trace directory" in err and "--" in err,
        "shell without a trace or RUN-OPTIONS", err)
rc, out, err = run(exe, "frobnicate")
t.check(rc == 1 and "frobnicate" in err, "unknown command", err)
rc, out, err = run(exe, "run", "-bios", "none")
t.check(rc == 1 and "-kernel" in err, "-bios none without -kernel", err)

# Bad images.
missing = os.path.join(tmp, "missing.elf")
rc, out, err = run(exe, "run", "-bios", "none", "-kernel", missing)
t.check(rc == 1 and missing in err and "No such file" in err, "missing file", err)

rc, out, err = run(exe, "run", "-bios", "none", "-kernel", "/bin/true")
t.check(rc == 1 and "/bin/true" in err and "RISC-V" in err, "wrong-arch ELF", err)

with open(hello, "rb") as f:
    head = f.read(100)
trunc = os.path.join(tmp, "trunc.elf")
with open(trunc, "wb") as f:
    f.write(head)
rc, out, err = run(exe, "run", "-bios", "none", "-kernel", trunc)
t.check(rc == 1 and trunc in err, "truncated ELF", err)

garbage = os.path.join(tmp, "garbage.bin")
with open(garbage, "wb") as f:
    f.write(bytes((i * 131 + 7) & 0xff for i in range(4096)))
rc, out, err = run(exe, "run", "-bios", "none", "-kernel", garbage, timeout=30)
t.check(rc == 4 and "stuck" in err and "mcause" in err,
        "garbage kernel: stuck-hart report", f"rc={rc} err={err!r}")

big = os.path.join(tmp, "big.bin")
with open(big, "wb") as f:
    f.truncate(17 * 1024 * 1024)
rc, out, err = run(exe, "run", "-m", "16M", "-bios", "none", "-kernel", big)
t.check(rc == 1 and big in err and "RAM" in err, "image larger than RAM", err)

rc, out, err = run(exe, "run", "-bios", "none", "-kernel", hello, "-dtb", hello)
t.check(rc == 1 and "device tree" in err and hello in err, "-dtb not a DTB", err)

# dumpdtb writes a device tree and exits.
dtb = os.path.join(tmp, "virt.dtb")
rc, out, err = run(exe, "run", "-M", "virt,dumpdtb=" + dtb, "-smp", "2",
                   "-bios", "none", "-kernel", hello)
with open(dtb, "rb") if os.path.exists(dtb) else open(os.devnull, "rb") as f:
    magic = f.read(4)
t.check(rc == 0 and magic == b"\xd0\x0d\xfe\xed", "dumpdtb", err)

# The demo guest runs and the QEMU spellings work as typed.
rc, out, err = run(exe, "run", "-M", "virt", "-m", "128M", "-smp", "1",
                   "-cpu", "rv64", "-accel", "tcg", "-bios", "none",
                   "-nographic", "-monitor", "none", "-serial", "mon:stdio",
                   "-icount", "shift=4", "-kernel", hello)
t.check(rc == 0 and "Hello from rewind guest" in out, "demo guest", out + err)
rc, out, err = run(exe, "-M", "virt", "-bios", "none", "-display", "none",
                   "-serial", "null", "-kernel", hello)
t.check(rc == 0 and out == "", "options without 'run', -serial null", out + err)
log = os.path.join(tmp, "serial.log")
rc, out, err = run(exe, "run", "-bios", "none", "-serial", "file:" + log,
                   "-kernel", hello)
with open(log) as f:
    t.check(rc == 0 and "Hello from rewind guest" in f.read(), "-serial file:")

# --version and -version work and are listed in --help.
rc, out, err = run(exe, "--help")
t.check(rc == 0 and "--version" in out and "-version" in out,
        "--help lists --version and -version", out)
rc, out, err = run(exe, "-version")
t.check(rc == 0 and out.startswith("rewind "), "-version", out + err)

cp0 = os.path.join(tmp, "cp0.rwd")
rc, out, err = run(exe, "record", "-o", cp0, "--checkpoint-every", "0",
                   "-bios", "none", "-nographic", "-kernel", count,
                   timeout=t.limit(20))
t.check(rc == 1 and "--checkpoint-every 0" in err and not os.path.exists(cp0),
        "record --checkpoint-every 0: message, exit 1, no trace", f"rc={rc} {err!r}")

cdir = os.path.join(tmp, "count.rwd")
rc, out, err = run(exe, "record", "-o", cdir, "--checkpoint-every", "500",
                   "-bios", "none", "-nographic", "-kernel", count)
t.check(rc == 0, "record count.elf", err)

# An unwritable --junit fails before the replay, not after it.
rc, out, err = run(exe, "verify", cdir, "--junit", "/nonexistent/x.xml")
t.check(rc != 0 and "/nonexistent/x.xml" in err and "identical" not in err,
        "verify --junit /nonexistent/x.xml: exit non-zero before verifying",
        f"rc={rc} {err!r}")
junit = os.path.join(tmp, "verify.xml")
rc, out, err = run(exe, "verify", cdir, "--junit", junit)
with open(junit) if os.path.exists(junit) else open(os.devnull) as f:
    xml = f.read()
t.check(rc == 0 and 'failures="0"' in xml, "verify --junit FILE", err + xml)


def rsp(sock, packet):
    """Send one RSP packet; return the decoded console output of its
    answer (qRcmd O packets) and the final reply."""
    sock.sendall(b"$%s#%02x" % (packet, sum(packet) & 0xff))
    buf, text = b"", b""
    end = time.time() + 30
    while time.time() < end:
        while b"#" in buf and b"$" in buf:
            start = buf.index(b"$")
            h = buf.index(b"#", start)
            if len(buf) < h + 3:
                break
            body, buf = buf[start + 1:h], buf[h + 3:]
            try:
                sock.sendall(b"+")
            except OSError:
                pass   # the stub closes after answering D
            if body.startswith(b"O") and body != b"OK":
                text += bytes.fromhex(body[1:].decode())
            else:
                return text.decode(errors="replace"), body
        data = sock.recv(4096)
        if not data:
            break
        buf += data
    return text.decode(errors="replace"), None


def debug_replay(args, path):
    """Start a replay with a gdb stub on unix socket path, ask it its
    icount, detach; returns (icount text, exit status, stderr)."""
    p = spawn([exe, *args], stdin=subprocess.DEVNULL,
              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sock = socket.socket(socket.AF_UNIX)
    end = time.time() + 30
    while True:
        try:
            sock.connect(path)
            break
        except OSError:
            if p.poll() is not None or time.time() > end:
                p.kill()
                return "", p.wait(), p.stderr.read().decode(errors="replace")
            time.sleep(0.05)   # polling for the socket, not a readiness guess
    sock.settimeout(30)
    text, _ = rsp(sock, b"qRcmd," + b"icount".hex().encode())
    rsp(sock, b"D")
    sock.close()
    try:
        rc = p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = "hung"
    return text, rc, p.stderr.read().decode(errors="replace")


# --seek with --trace, --until or a debugger goes on from the seek point.
tr = os.path.join(tmp, "seek-trace.txt")
rc, out, err = run(exe, "replay", cdir, "--quiet", "--seek", "1000", "--trace", tr)
with open(tr) if os.path.exists(tr) else open(os.devnull) as f:
    lines = f.read().splitlines()
t.check(rc == 0 and lines and lines[0].split()[0] == "1000" and
        len(lines) == 2011 - 1000,
        "--seek 1000 --trace: traces from icount 1000 on only",
        f"rc={rc} {len(lines)} lines, first {lines[:1]} {err!r}")
rc, out, err = run(exe, "replay", cdir, "--quiet", "--seek", "1000",
                   "--until", "1500", "--stats")
t.check(rc == 0 and "icount=1500 " in err, "--seek 1000 --until 1500 stops at 1500",
        f"rc={rc} {err!r}")
rc, out, err = run(exe, "replay", cdir, "--seek", "1500", "--until", "1000")
t.check(rc == 1 and "--until 1000" in err and "--seek 1500" in err,
        "--until before --seek refused", f"rc={rc} {err!r}")
sockp = os.path.join(tmp, "gdb-seek.sock")
text, rc, err = debug_replay(["replay", cdir, "--quiet", "--seek", "1000", "-S",
                              "-gdb", "unix:" + sockp], sockp)
t.check("icount 1000" in text and rc == 0,
        "--seek 1000 -S -gdb: the debugger starts at icount 1000",
        f"monitor said {text!r}, rc={rc}, {err!r}")

# QEMU users' spelling of a replay: -icount ...,rr=replay,rrfile=DIR.
qdir = os.path.join(tmp, "qemu.rwd")
qemu_args = ["-M", "virt", "-bios", "none", "-nographic", "-kernel", count]
rc, out, err = run(exe, "run", *qemu_args, "-icount", f"shift=3,rr=record,rrfile={qdir}")
t.check(rc == 0 and os.path.isdir(qdir), "run -icount rr=record", err)
rc, out, err = run(exe, "run", *qemu_args, "-icount", f"shift=3,rr=replay,rrfile={qdir}",
                   "--stats")
t.check(rc == 0 and "replay identical" in err and "icount=2011 " in err,
        "run -icount rr=replay replays the trace", f"rc={rc} {err!r}")
rc, out, err = run(exe, "run", *qemu_args, "-icount", f"shift=4,rr=replay,rrfile={qdir}")
t.check(rc == 1 and "shift=4" in err and "differ" in err,
        "rr=replay with other machine options is refused", f"rc={rc} {err!r}")
rc, out, err = run(exe, "run", *qemu_args, "-icount",
                   f"shift=3,rr=replay,rrfile={os.path.join(tmp, 'none.rwd')}")
t.check(rc == 2 and "none.rwd" in err, "rr=replay of a missing trace", f"rc={rc} {err!r}")
sockq = os.path.join(tmp, "gdb-qemu.sock")
text, rc, err = debug_replay(["run", *qemu_args, "-icount",
                              f"shift=3,rr=replay,rrfile={qdir}", "-S",
                              "-gdb", "unix:" + sockq], sockq)
t.check("icount 0" in text and rc == 0, "rr=replay with -S -gdb serves a debugger",
        f"monitor said {text!r}, rc={rc}, {err!r}")

# The README and the docs point only inside the repository.
repo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
docs = [os.path.join(repo, "README.md")] + \
    [os.path.join(repo, "docs", n) for n in os.listdir(os.path.join(repo, "docs"))]
for doc in docs:
    with open(doc) as f:
        text = f.read()
    outside = re.findall(r"[\w./-]*\.\./[\w./-]*", text)
    missing = [p for p in re.findall(r"`((?:docs|scripts|bench|tests)/[\w./-]+)`", text)
               if not os.path.exists(os.path.join(repo, p))]
    t.check(not outside and not missing, f"{os.path.basename(doc)}: no links "
            "outside the repository or to missing files", f"{outside} {missing}")

t.finish()
