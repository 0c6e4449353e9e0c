"""The shell's looking commands on Debian's riscv64 kernel (the guest
kit): tests/linux/look_linux.c boots it for 200,000,000 instructions and
checks hart, x and disas through the kernel's page tables and the
frame-pointer backtrace (Debian builds the kernel with frame pointers).
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import ensure_kit  # noqa: E402

look_linux, repo, kit = sys.argv[1:4]
ensure_kit("the look Linux test", repo, kit)
p = subprocess.run([look_linux, os.path.join(kit, "Image"),
                    os.path.join(kit, "initrd.gz"), "200000000"],
                   stdin=subprocess.DEVNULL, capture_output=True, text=True,
                   timeout=600)
print(p.stdout)
print(p.stderr, file=sys.stderr)
sys.exit(p.returncode)
