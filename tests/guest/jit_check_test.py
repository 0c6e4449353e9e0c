"""`rewind jit-check` over every bare-metal guest test (issue 13).

usage: jit_check_test.py REWIND --guest NAME ELF [RUN-OPTIONS...] --guest ...

- every guest: the JIT (jit=on) and the interpreter (jit=off) agree to the
  guest's end (or --max-insns for the ones that wait for input), and the
  guest's own verdict is the one its plain test expects;
- a difference planted in the JIT machine only (--perturb-at, test-only) is
  reported at exactly its icount, with the instruction that leads there
  and what differs: gp for a register, the page and byte for RAM, also
  when the difference lies several snapshots back (bisection);
- `jit-check TRACE` replays a recording (with serial input) in both;
- bad options exit 2.
"""
import json
import os
import shutil
import subprocess
import tempfile
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run  # noqa: E402

exe = sys.argv[1]
guests = []
for a in sys.argv[2:]:
    if a == "--guest":
        guests.append([])
    else:
        guests[-1].append(a)
t = Suite("jit-check-guests")
# virtio_blk's two disks (as tests/replay/virtio_blk_test.py makes them):
# the writes go to an overlay, never to the image.
tmp = tempfile.mkdtemp()
imgs = [os.path.join(tmp, n) for n in ("rw.img", "ro.img")]
for path in imgs:
    with open(path, "wb") as f:
        f.write(bytes((s * 7 + i) & 0xff for s in range(2048) for i in range(512)))
pristine = open(imgs[0], "rb").read()
DISKS = ["-drive", f"file={imgs[0]},format=raw,if=none,id=d0",
         "-device", "virtio-blk-device,drive=d0,serial=blk-serial-1",
         "-drive", f"file={imgs[1]},format=raw,if=none,id=d1,readonly=on",
         "-device", "virtio-blk-device,drive=d1"]
base = ["-M", "virt", "-bios", "none", "-nographic"]
# Guests whose plain test expects another verdict, or that wait for input.
EXPECT_END = {"selftest_fail": "guest reported failure at icount {n} (status 3)"}
WAIT_INPUT = {"echo", "virtio_net"}


def check(*args, timeout=120):
    rc, out, err = run(exe, "jit-check", "--json", *args, timeout=timeout)
    try:
        res = json.loads(out)
    except ValueError:
        res = {}
    return rc, res, out + err


by_name = {}
for g in guests:
    name, elf, extra = g[0], g[1], g[2:]
    if name == "virtio_blk":
        extra = extra + DISKS
    by_name[name] = (elf, extra)
    opts = ["--max-insns", "20000000"] if name in WAIT_INPUT else []
    rc, res, text = check(*opts, "--", *base, "-kernel", elf, *extra)
    n = res.get("icount", 0)
    t.check(rc == 0 and res.get("identical") is True and n > 0,
            f"{name}: the engines agree ({n} instructions)", text[-1500:])
    if name in WAIT_INPUT:
        t.check(res.get("end") == "max-insns" and n == 20000000,
                f"{name}: checked up to --max-insns", text[-500:])
    else:
        want = EXPECT_END.get(name, "guest powered off at icount {n} (status 0)")
        t.check(f"end: {want.format(n=n)}" in res.get("text", ""),
                f"{name}: the guest's own verdict", text[-500:])

t.check(open(imgs[0], "rb").read() == pristine,
        "virtio_blk: the disk image is unchanged")
t.check(len(guests) >= 21, f"{len(guests)} guests checked (every guest test)")

# A planted register difference (gp of hart 0, in B only) is found at
# exactly its icount; the instruction is the one from N-1 to N.
hello, _ = by_name["hello"]
for n in (100, 101, 500, 901):
    rc, res, text = check("--every", "100", "--perturb-at", f"{n}:reg", "--",
                          *base, "-kernel", hello)
    regs = res.get("registers", [])
    t.check(rc == 1 and res.get("identical") is False and
            res.get("first_difference") == n,
            f"reg perturbation at {n}: reported at icount {n}", text[-1500:])
    t.check([(r["hart"], r["reg"], r["a"] ^ r["b"]) for r in regs] ==
            [(0, "gp", 0x10)], f"reg perturbation at {n}: gp differs, only it",
            text[-1500:])
    t.check((res.get("instruction") or "").startswith(f"{n - 1} h0 "),
            f"reg perturbation at {n}: the instruction from {n - 1}",
            text[-800:])
    t.check(not res.get("ram"), f"reg perturbation at {n}: RAM the same",
            text[-800:])

# --every 1 is lockstep: a difference gone again by the next comparison
# of --every 100 (gp is set after icount 1) is seen at once.
rc, res, text = check("--every", "1", "--perturb-at", "1", "--", *base,
                      "-kernel", hello)
t.check(rc == 1 and res.get("first_difference") == 1 and
        (res.get("instruction") or "").startswith("0 h0 0000000000001000"),
        "--every 1: a difference at icount 1 is seen", text[-1500:])

# RAM: the last byte of RAM (128 MiB at 0x80000000), registers the same.
rc, res, text = check("--perturb-at", "700:ram", "--", *base, "-kernel", hello)
t.check(rc == 1 and res.get("first_difference") == 700,
        "ram perturbation: reported at icount 700", text[-1500:])
t.check(res.get("ram") == [{"from": 0x87fff000, "to": 0x87ffffff}] and
        res.get("bytes") == [{"addr": 0x87ffffff, "a": 0, "b": 0x10}],
        "ram perturbation: the page and the byte", text[-1500:])
t.check(res.get("registers") == [], "ram perturbation: registers the same",
        text[-1500:])

# Deep in a longer run, many comparisons and snapshots after the start, on
# several harts: bisection from the last snapshot finds the exact point.
smp, smp_extra = by_name["priv_smp"]
rc, res, text = check("--every", "1000", "--perturb-at", "123457:reg", "--",
                      *base, "-kernel", smp, *smp_extra)
t.check(rc == 1 and res.get("first_difference") == 123457 and
        (res.get("instruction") or "").startswith("123456 h"),
        "priv_smp: perturbation at 123457 found exactly", text[-1500:])

# Two machines with one -chardev id in one process: each opens its own.
# (-serial is replaced by null; a virtconsole takes its chardev by id.)
rc, res, text = check("--", *base, "-kernel", hello, "-device",
                      "virtio-serial-device", "-chardev", "null,id=c0",
                      "-device", "virtconsole,chardev=c0")
t.check(rc == 0 and res.get("identical") is True,
        "a -chardev opens in both machines", text[-800:])

# `jit-check TRACE`: both engines replay a recording (its serial input
# fed alike by the two journals), compared and bisected the same way.
echo, _ = by_name["echo"]
tr = os.path.join(tmp, "echo.rwd")
p = subprocess.run([exe, "record", "-o", tr, *base, "-kernel", echo],
                   input=b"abcxyz.", capture_output=True, timeout=60)
t.check(p.returncode == 0 and b"[abcxyz]" in p.stdout, "echo recorded",
        p.stderr.decode(errors="replace")[-500:])
rc, res, text = check("--every", "100000", tr)
n = res.get("icount", 0)
t.check(rc == 0 and res.get("identical") is True and n > 1000000,
        f"trace: the engines agree on the replay ({n} instructions)",
        text[-800:])
rc, res, text = check("--every", "100000", "--perturb-at", "654321:ram", tr)
t.check(rc == 1 and res.get("first_difference") == 654321 and
        res.get("bytes") == [{"addr": 0x87ffffff, "a": 0, "b": 0x10}] and
        (res.get("instruction") or "").startswith("654320 h0 "),
        "trace: a RAM perturbation at 654321 found exactly", text[-1500:])

# Bad input: exit 2 with a message naming the option.
for args, word in ((["--every", "0", "--", *base, "-kernel", hello], "--every"),
                   (["--perturb-at", "5:pc", "--", *base, "-kernel", hello],
                    "unknown kind"),
                   (["--perturb-at", "0", "--", *base, "-kernel", hello],
                    "--perturb-at 0"),
                   (["--every", "10"], "usage"),
                   (["--", *base, "-kernel", hello, "-s"], "-gdb"),
                   (["--", *base, "-kernel", "/nonexistent.elf"],
                    "/nonexistent.elf"),
                   ([os.path.join(tmp, "no.rwd")], "no.rwd")):
    rc, out, err = run(exe, "jit-check", *args)
    t.check(rc == 2 and word in err, f"jit-check {' '.join(args[:2])}: exit 2 "
            f"naming {word}", f"rc={rc} {err[-300:]}")

shutil.rmtree(tmp, ignore_errors=True)
t.finish()
