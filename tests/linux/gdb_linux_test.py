"""gdb attached to a running Linux boot with -smp 4: the four harts are
gdb threads, one can switch between them and read their registers (the
privilege level agrees with where the hart's pc is), and the stub binds
127.0.0.1 only. rewind binds tcp::0 and says which port it got."""
import os
import re
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, ensure_kit, start_gdb_server  # noqa: E402

exe, repo, kit, gdb = sys.argv[1:5]
t = Suite("linux-gdb")
ensure_kit("the Linux gdb test", repo, kit)

p, port = start_gdb_server(exe, "run", "-M", "virt", "-m", "512M", "-smp", "4",
                           "-kernel", os.path.join(kit, "Image"),
                           "-initrd", os.path.join(kit, "initrd-shell.gz"),
                           "-append", "console=ttyS0", "-nographic",
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE)
buf = b""
end = time.time() + 600
while time.time() < end and b"REWIND-BOOT-OK" not in buf:
    r, _, _ = select.select([p.stdout], [], [], 0.5)
    if r:
        data = os.read(p.stdout.fileno(), 65536)
        if not data:
            break
        buf += data
t.check(b"REWIND-BOOT-OK" in buf, "Linux booted with the stub listening")

listen = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
line = [l for l in listen.splitlines() if f":{port} " in l]
t.check(len(line) == 1 and f"127.0.0.1:{port} " in line[0],
        "stub listens on 127.0.0.1 only", "\n".join(line))

# Each command's output is cut out between echo markers.
cmds = ["info threads", "thread 3", "p $mhartid", "p/x $pc", "p $priv",
        "thread 1", "p $mhartid", "monitor icount", "kill"]
args = [gdb, "-batch", "-nx", "-ex", "set architecture riscv:rv64",
        "-ex", f"target remote 127.0.0.1:{port}"]
for i, c in enumerate(cmds):
    args += ["-ex", f"echo \\n@@{i}@@\\n", "-ex", c]
args += ["-ex", f"echo \\n@@{len(cmds)}@@\\n"]
out = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                     text=True, timeout=120).stdout


def of(i):
    m = re.search(rf"@@{i}@@\n(.*?)\n?@@{i + 1}@@", out, re.S)
    return m.group(1).strip() if m else ""


threads = re.findall(r"^\*?\s+(\d+)\s+Thread (\d+)", of(0), re.M)
t.check([n for n, _ in threads] == ["1", "2", "3", "4"],
        "info threads lists 4 harts", out)
t.check(re.fullmatch(r"\$\d+ = 2", of(2)) is not None, "thread 3 is hart 2", out)
t.check(re.fullmatch(r"\$\d+ = 0", of(6)) is not None, "thread 1 is hart 0", out)
t.check(re.fullmatch(r"icount \d+", of(7)) is not None, "monitor icount", out)
# The hart was stopped wherever it was: in the kernel (S-mode, pc in the
# upper half), in a user process (U-mode, lower half) or in OpenSBI
# (M-mode, pc in the firmware's RAM below the kernel at 0x80200000).
pc = re.fullmatch(r"\$\d+ = (0x[0-9a-f]+)", of(3))
priv = re.fullmatch(r"\$\d+ = (?:prv:)?(\d)(?: \[\w+\])?", of(4))
pc = int(pc.group(1), 16) if pc else None
priv = int(priv.group(1)) if priv else None
legal = {1: lambda a: a >> 63 == 1,
         0: lambda a: a >> 63 == 0,
         3: lambda a: 0x80000000 <= a < 0x80200000}
print(f"hart 2 stopped at pc {pc and hex(pc)} with priv {priv}")
t.check(pc is not None and priv in legal and legal[priv](pc),
        f"hart 2's privilege level fits its pc ({priv} at {pc and hex(pc)})",
        out)
try:
    p.wait(timeout=60)
except subprocess.TimeoutExpired:
    p.kill()
t.check(p.returncode is not None, "kill from gdb ends rewind")
t.finish()
