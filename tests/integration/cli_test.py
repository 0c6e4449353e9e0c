"""Command line and bad input: every case must give a clear message that
names the option or file at fault and a non-zero exit, never a crash."""
import os
import sys
import tempfile

from rwtest import Suite, run

exe, hello, count = sys.argv[1:4]
t = Suite("cli")
tmp = tempfile.mkdtemp()

rc, out, err = run(exe, "--help")
t.check(rc == 0 and "-kernel" in out and "-icount" in out, "--help", out + err)
rc, out, err = run(exe, "--version")
t.check(rc == 0 and out.startswith("rewind "), "--version", out)
rc, out, err = run(exe, "run", "-machine", "help")
t.check(rc == 0 and "virt" in out, "-machine help", out)
rc, out, err = run(exe, "run", "-M", "help")
t.check(rc == 0 and "virt" in out, "-M help", out)
rc, out, err = run(exe, "run", "-cpu", "help")
t.check(rc == 0 and "rv64" in out, "-cpu help", out)
rc, out, err = run(exe, "run", "-device", "help")
t.check(rc == 0 and "ns16550a" in out, "-device help", out)
rc, out, err = run(exe, "run", "-device", "ns16550a,help")
t.check(rc == 0 and "0x10000000" in out, "-device TYPE,help", out + err)
rc, out, err = run(exe, "run", "-device", "e1000,help")
t.check(rc == 1 and "e1000" in err, "-device UNKNOWN,help", err)
rc, out, err = run(exe, "run", "-device", "virtio-net-device,netdev=n0")
t.check(rc == 1 and "virtio-net-device" in err, "-device unsupported", err)

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

rc, out, err = run(exe, "record", "-bios", "none", "-kernel", hello)
t.check(rc == 1 and "-o" in err, "record without -o", err)
rc, out, err = run(exe, "shell")
t.check(rc == 1 and "shell" in err, "shell not available yet", err)
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

t.finish()
