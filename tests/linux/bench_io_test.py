"""The I/O benchmark's smoke mode (bench/io_bench.py --smoke, the command
the README's Benchmarks section shows): 1 MiB each, one boot per
emulator. Checks that every figure is there, not how fast: rewind run and
record (and qemu-system-riscv64 when installed) booted with root on
virtio-blk, wrote and read the scratch disk and fetched the HTTP file
with the right byte counts (io_bench exits 1 otherwise), and the trace
figure (events.zst per MiB received, from the index's net_rx) exists."""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, ensure_kit  # noqa: E402

exe, repo, kit = sys.argv[1:4]
t = Suite("bench-io")
ensure_kit("the I/O benchmark smoke test", repo, kit)
build = os.path.dirname(kit)

with open(os.path.join(repo, "README.md")) as f:
    readme = f.read()
t.check("python3 bench/io_bench.py --smoke" in readme,
        "the README shows the smoke command this test runs")

p = subprocess.run([sys.executable, os.path.join(repo, "bench", "io_bench.py"),
                    "--smoke", "--build", build], capture_output=True, text=True,
                   timeout=1500)
t.check(p.returncode == 0, "io_bench.py --smoke exits 0",
        p.stdout[-2000:] + p.stderr[-3000:])
qemu = shutil.which("qemu-system-riscv64") is not None
num = r"\d+\.\d\d (?:s|MiB/s)"
for row in ("boot to shell", "dd 1 MiB write", "dd 1 MiB read",
            "wget 1 MiB, slirp"):
    for clock in ("wall", "cpu"):
        pat = rf"^{re.escape(row)}, {clock}\s+{num}\s+{num}\s+" + \
              (rf"{num}\s+\d+\.\d\dx" if qemu else r"-\s+-")
        t.check(re.search(pat, p.stdout, re.M) is not None,
                f"figures for '{row}, {clock}' (run, record"
                f"{', qemu' if qemu else ''})", p.stdout)
t.check(re.search(r"^record: events\.zst \d+\.\d+ MiB per MiB of network data "
                  r"received$", p.stdout, re.M) is not None,
        "trace bytes per MiB received", p.stdout)
t.finish()
