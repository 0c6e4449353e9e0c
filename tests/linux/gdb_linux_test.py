"""gdb attached to a running Linux boot with -smp 4: the four harts are
gdb threads, one can switch between them and read their registers, and
the stub binds 127.0.0.1 only."""
import os
import re
import select
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, ensure_kit  # noqa: E402

exe, repo, kit, gdb = sys.argv[1:5]
t = Suite("linux-gdb")
ensure_kit("the Linux gdb test", repo, kit)

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
p = subprocess.Popen([exe, "run", "-M", "virt", "-m", "512M", "-smp", "4",
                      "-kernel", os.path.join(kit, "Image"),
                      "-initrd", os.path.join(kit, "initrd-shell.gz"),
                      "-append", "console=ttyS0", "-nographic",
                      "-gdb", f"tcp::{port}"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.DEVNULL)
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
t.check(line and "127.0.0.1:" in line[0], "stub listens on 127.0.0.1 only",
        "\n".join(line))

out = subprocess.run([gdb, "-batch", "-nx", "-ex", "set architecture riscv:rv64",
                      "-ex", f"target remote 127.0.0.1:{port}",
                      "-ex", "info threads", "-ex", "thread 3",
                      "-ex", "p $mhartid", "-ex", "p/x $pc", "-ex", "p $priv",
                      "-ex", "thread 1", "-ex", "p $mhartid",
                      "-ex", "monitor icount", "-ex", "kill"],
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                     timeout=120).stdout
threads = re.findall(r"^\*?\s+(\d+)\s+Thread (\d+)", out, re.M)
t.check(len(threads) == 4, "info threads lists 4 harts", out)
ids = re.findall(r"^\$\d+ = (\d+)$", out, re.M)
t.check(ids[:1] == ["2"] and "2" in ids and "0" in ids,
        "thread 3 is hart 2, thread 1 is hart 0", out)
t.check(re.search(r"^icount \d+", out, re.M) is not None, "monitor icount", out)
t.check(re.search(r"^\$3 = (1|prv:1)", out, re.M) is not None,
        "hart 2 runs the kernel in S-mode ($priv)", out)
try:
    p.wait(timeout=60)
except subprocess.TimeoutExpired:
    p.kill()
t.check(p.returncode is not None, "kill from gdb ends rewind")
t.finish()
