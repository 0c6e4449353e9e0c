"""Record a Linux boot with an interactive session typed on the serial
console (commands whose output depends on the input and on time: date,
/proc/uptime), then replay and verify it: console identical, every
checkpoint hash identical, with -smp 1 and -smp 4, at the JIT's default
translation threshold (and verified at threshold 1). Also: record overhead
and replay speed figures for the log."""
import json
import os
import re
import select
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run, ensure_kit, spawn  # noqa: E402

exe, repo, kit = sys.argv[1:4]
# As users run it: the suite's default setup (jitall) makes the JIT
# translate every block at once; this test records, replays and verifies
# with the product's tiered default (meson.build, docs/jit.md), and
# verifies once more translating at once.
os.environ.pop("REWIND_JIT_THRESHOLD", None)
t = Suite("linux-record")
ensure_kit("the Linux record tests", repo, kit)
tmp = tempfile.mkdtemp()


def session(smp):
    d = os.path.join(tmp, f"smp{smp}.rwd")
    args = [exe, "record", "-o", d, "--checkpoint-every", "300000000",
            "-M", "virt", "-m", "512M", "-smp", str(smp),
            "-kernel", os.path.join(kit, "Image"),
            "-initrd", os.path.join(kit, "initrd-shell.gz"),
            "-append", "console=ttyS0", "-nographic"]
    t0 = time.time()
    p = spawn(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
              stderr=subprocess.PIPE)
    buf = b""

    def wait_for(pattern, timeout):
        nonlocal buf
        end = time.time() + timeout
        while time.time() < end and pattern not in buf:
            r, _, _ = select.select([p.stdout], [], [], 0.5)
            if r:
                data = os.read(p.stdout.fileno(), 65536)
                if not data:
                    break
                buf += data
        return pattern in buf

    # busybox's line editor asks where the cursor is (ESC [6n) after the
    # prompt, once it reads keys in raw mode: type only then.
    ok = wait_for(b"REWIND-BOOT-OK", 600) and wait_for(b"# \x1b[6n", 60)
    for cmd, marker in [(b"date +%s-%N; echo mark-1", b"mark-1\r\n"),
                        (b"cat /proc/uptime; echo mark-2", b"mark-2\r\n"),
                        (b"echo typed-$((6*7))", b"typed-42")]:
        p.stdin.write(cmd + b"\n")
        p.stdin.flush()
        ok = ok and wait_for(marker, 60)
    p.stdin.write(b"exit\n")
    p.stdin.flush()
    wait_for(b"reboot: Power down", 120)
    rest, err = p.communicate(timeout=120)
    buf += rest
    took = time.time() - t0
    t.check(ok and p.returncode == 0, f"smp{smp}: interactive recorded session",
            f"exit status {p.returncode}; stderr: {err.decode(errors='replace')}\n"
            + buf[-1500:].decode(errors="replace"))
    return d, buf, took


def search_across_timer(d):
    """last-write from just after a machine timer interrupt: the search
    replays from the restore point before it, where the CLINT's deadline
    is still ahead. Restored seeing the later clock, the CLINT raised
    MTIP at once, the replay diverged and last-write said "a replay bug".
    The address: OpenSBI's scratch word that its trap entry stores t0 to
    (72 bytes into the hart's mscratch area), written by that interrupt."""
    rc, out, err = run(exe, "query", d, "SELECT icount FROM traps WHERE "
                       "hart = 0 AND cause = 7 AND irq = 1 "
                       "ORDER BY icount DESC LIMIT 1 OFFSET 2")
    x = int(out.split()[-1]) if rc == 0 and out.split()[-1].isdigit() else 0
    at = x + 1000
    rc, out, err = run(exe, "shell", d, "-c", f"goto {at}; regs 0")
    m = re.search(r"mscratch +0x([0-9a-f]+)", out)
    t.check(x > 0 and m is not None, "smp4: a timer interrupt of hart 0 and "
            "its mscratch", out + err)
    if not m:
        return
    addr = int(m.group(1), 16) + 72
    rc, out, err = run(exe, "last-write", "--json", d, str(at), "-p",
                       hex(addr), "8")
    j = json.loads(out) if rc == 0 and out.startswith("{") else {}
    w = (j.get("writes") or [{}])[0]
    t.check(rc == 0 and j.get("ok") and x <= w.get("icount", -1) < at and
            w.get("hart") == 0,
            f"smp4: last-write {at} instructions in, across the timer "
            f"interrupt at {x}: found hart 0's trap-entry store after it, "
            "back at the start state unchanged", out + err)


def paths_agree(d):
    """The shell reaches the same state by every path: backwards across
    a timer interrupt (restore points or a checkpoint), forwards again,
    reverse-stepi: each `hash` equals replay --seek's state hash there
    (a checkpoint, then straight on)."""
    # The first such interrupt 10^6 instructions or more after the last
    # checkpoint but one: every seek below replays little.
    rc, out, err = run(exe, "query", d, "SELECT min(icount) FROM traps "
                       "WHERE hart = 0 AND cause = 7 AND irq = 1 AND icount"
                       " > 1000000 + (SELECT icount FROM checkpoints "
                       "ORDER BY icount DESC LIMIT 1 OFFSET 1)")
    x = int(out.split()[-1]) if rc == 0 and out.split()[-1].isdigit() else 0
    cmds = (f"goto {x + 1000}; hash; goto {x - 50000}; hash; "
            f"goto {x + 1000}; hash; reverse-stepi 20; hash; "
            f"goto {x - 1}; hash")
    rc, out, err = run(exe, "shell", d, "-c", cmds, timeout=300)
    got = re.findall(r"^state hash ([0-9a-f]{16}) at icount (\d+)$", out,
                     re.M)
    bad = []
    for h, at in got:
        rc2, _, err2 = run(exe, "replay", d, "--quiet", "--seek", at,
                           "--stats", timeout=300)
        m = re.search(r"icount=(\d+) .*state_hash=([0-9a-f]{16})", err2)
        if not m or m[1] != at or m[2] != h:
            bad.append(f"icount {at}: shell {h}, seek "
                       f"{m[2] if m else err2[-200:]}")
    t.check(x > 0 and len(got) == 5 and not bad,
            f"smp4: the shell's hash after goto back and forth and "
            f"reverse-stepi around the timer interrupt at {x} equals "
            "replay --seek's", "\n".join(bad) or out + err)


for smp in (1, 4):
    d, console, took = session(smp)
    rc, out, err = run(exe, "info", d)
    t.check(rc == 0 and "SERIAL_RX=" in out and "complete" in out,
            f"smp{smp}: trace has the typed input", out)
    t.check("WALLCLOCK=1" in out, f"smp{smp}: the RTC read is in the trace", out)
    print(out)
    t0 = time.time()
    p = subprocess.run([exe, "replay", d], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=900)
    replay_time = time.time() - t0
    t.check(p.returncode == 0 and b"replay identical" in p.stderr,
            f"smp{smp}: replay identical", p.stderr.decode(errors="replace")[-1500:])
    t.check(p.stdout == console, f"smp{smp}: replayed console byte for byte",
            f"{len(p.stdout)} vs {len(console)} bytes")
    rc, out, err = run(exe, "verify", d, timeout=900)
    t.check(rc == 0 and "checkpoints and the final state match" in err,
            f"smp{smp}: verify", err)
    if smp == 1:
        rc, out, err = run(exe, "verify", d, "-accel", "tcg,jit-threshold=1",
                           timeout=900)
        t.check(rc == 0 and "checkpoints and the final state match" in err,
                "smp1: verify translating every block at once "
                "(recorded with the tiered default)", err)
    rc, out, err = run(exe, "query", d,
                       "SELECT count(*) FROM console WHERE text LIKE '%typed-42%'")
    t.check(rc == 0 and int(out.split()[-1]) >= 1, f"smp{smp}: console indexed", out + err)
    if smp == 4:
        paths_agree(d)
        search_across_timer(d)
    print(f"smp{smp}: recorded session {took:.1f} s wall, replay {replay_time:.1f} s")
t.finish()
