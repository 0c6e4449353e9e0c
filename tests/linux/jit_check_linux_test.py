"""`rewind jit-check` on the first 5*10^8 instructions of the Linux boot
(issue 13): the JIT (jit=on) and the interpreter (jit=off) agree at every
comparison, and a difference planted in the JIT machine deep in the boot
(--perturb-at, test-only) is reported at exactly its icount.

The kit comes from scripts/guest-kit.sh (see boot_test.py).
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run, ensure_kit  # noqa: E402

exe, repo, kit = sys.argv[1:4]
t = Suite("linux-jit-check")
ensure_kit("the Linux jit-check test", repo, kit)

boot = ["-M", "virt", "-m", "512M", "-kernel", os.path.join(kit, "Image"),
        "-initrd", os.path.join(kit, "initrd.gz"), "-append", "console=ttyS0",
        "-nographic", "-rtc", "base=2026-01-01T00:00:00"]
N = 500_000_000


def check(*args):
    t0 = time.time()
    rc, out, err = run(exe, "jit-check", "--json", *args, "--", *boot,
                       timeout=1800)
    took = time.time() - t0
    try:
        res = json.loads(out)
    except ValueError:
        res = {}
    return rc, res, out + err, took


rc, res, text, took = check("--every", "5000000", "--max-insns", str(N))
print(f"{N} instructions checked in {took:.1f} s")
t.check(rc == 0 and res.get("identical") is True and res.get("icount") == N
        and res.get("end") == "max-insns" and res.get("compared", 0) >= 100,
        f"the engines agree on the first {N} instructions of the boot",
        text[-1500:])

P = 100_000_007
rc, res, text, took = check("--every", "1000000", "--max-insns",
                            str(P + 1_000_000), "--perturb-at", f"{P}:reg")
print(f"perturbation at {P} found in {took:.1f} s")
t.check(rc == 1 and res.get("first_difference") == P,
        f"a difference at icount {P} is reported there", text[-1500:])
t.check((res.get("instruction") or "").startswith(f"{P - 1} h0 ffffffff"),
        "the instruction from the equal point (kernel address)", text[-800:])
t.check([r["reg"] for r in res.get("registers", [])] == ["gp"],
        "gp is the register that differs", text[-1500:])
t.finish()
