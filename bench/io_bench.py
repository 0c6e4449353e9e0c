#!/usr/bin/env python3
"""Disk, network and boot figures: rewind `run`, rewind `record` and
qemu-system-riscv64 (when installed) on the same Linux guest and the same
machine options (prints numbers; not a timing test).

usage: bench/io_bench.py [--build DIR] [--mib N] [--runs N] [--smoke]
                         [--modes run,record,qemu] [--qemu BINARY]

The guest is the kit's (scripts/guest-kit.sh) with root on virtio-blk
(a copy of rootfs.ext4 that gets this benchmark's guest script), a blank
scratch disk (serial "bench") and a virtio-net NIC on slirp. One boot
per emulator and run:
  boot     host seconds from start to REWIND-BOOT-OK (the shell marker);
  write    dd of N MiB from /dev/zero to the first N MiB of the scratch
           disk, conv=fsync;
  read     dd of its next N MiB (random data the host put there: under
           record it comes from the image, not from the overlay);
  wget     N MiB of random data from an HTTP server this script runs on
           127.0.0.1 (10.0.2.2 from the guest), through slirp.
Throughputs come from the host's clock at the guest's console markers
(rewind's guest clock is virtual). For `record` also: the overhead over
`run`, and trace bytes (events.zst) per MiB of network data received
(net_rx in the index). Medians over --runs, with min-max.
--smoke: 1 MiB, one run: checks that every part works (guest byte counts,
the trace's net_rx), as the `bench-io` test does. Exit status 1 if any
boot fails or a byte count is wrong.
"""
import argparse
import http.server
import os
import random
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

GUEST_SCRIPT = r"""#!/bin/sh
# bench/io_bench.py's guest side: markers for the host's clock.
mib=1 port=0
for arg in $(cat /proc/cmdline); do
    case "$arg" in
    rewind.bench=*) mib=${arg#rewind.bench=} ;;
    rewind.port=*) port=${arg#rewind.port=} ;;
    esac
done
dev=""
for b in /sys/block/vd*; do
    [ "$(cat "$b/serial" 2>/dev/null)" = bench ] && dev=/dev/${b##*/}
done
[ -b "$dev" ] || { echo "bench: FAILED no disk with serial bench"; exit 1; }
echo "bench: write-start"
dd if=/dev/zero of="$dev" bs=1M count="$mib" conv=fsync 2>/dev/null
echo "bench: write-end $?"
sync
echo 3 >/proc/sys/vm/drop_caches
echo "bench: read-start"
# busybox dd has no "bytes copied" line: whole 1 MiB records read
n=$(dd if="$dev" of=/dev/null bs=1M skip="$mib" count="$mib" 2>&1 | sed -n 's/^\([0-9]*\)+0 records in/\1/p')
echo "bench: read-end $((${n:-0} * 1048576))"
ip link set lo up
udhcpc -q -n -f -t 5 -T 2 -i eth0 -s /usr/share/udhcpc/default.script >/dev/null
echo "bench: eth0 $(ip -4 addr show dev eth0 | sed -n 's/.*inet \([0-9.]*\).*/\1/p')"
echo "bench: wget-start"
n=$(wget -q -O - "http://10.0.2.2:$port/blob" | wc -c)
echo "bench: wget-end $n"
"""

MARKS = ["REWIND-BOOT-OK", "bench: write-start", "bench: write-end",
         "bench: read-start", "bench: read-end", "bench: wget-start",
         "bench: wget-end"]


def die(msg):
    print(f"io_bench: error: {msg}", file=sys.stderr)
    sys.exit(1)


def serve(blob):
    class Blob(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_GET(self):
            if self.path != "/blob":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(blob)))
            self.end_headers()
            view = memoryview(blob)
            for i in range(0, len(blob), 1 << 16):
                self.wfile.write(view[i:i + (1 << 16)])

        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Blob)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def cpu_seconds(pid):
    """User plus system CPU seconds of process pid (all its threads)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def boot(cmd, timeout):
    """Runs cmd; returns (exit status, console text, {marker: host seconds},
    {marker: CPU seconds of the emulator})."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    buf, marks, cpu = b"", {}, {}
    try:
        return collect(p, t0, timeout, buf, marks, cpu)
    finally:
        if p.poll() is None:       # interrupted: leave no emulator behind
            p.kill()
            p.wait()


def collect(p, t0, timeout, buf, marks, cpu):
    while True:
        left = timeout - (time.monotonic() - t0)
        if left <= 0:
            p.kill()
            break
        r, _, _ = select.select([p.stdout], [], [], min(left, 1))
        if not r:
            continue
        d = os.read(p.stdout.fileno(), 65536)
        if not d:
            break
        buf += d
        now = time.monotonic() - t0
        for m in MARKS:
            if m not in marks and m.encode() in buf:
                marks[m] = now
                cpu[m] = cpu_seconds(p.pid)
    rc = p.wait()
    marks["exit"] = time.monotonic() - t0
    return rc, buf.decode(errors="replace"), marks, cpu


def value(out, mark):
    m = re.search(re.escape(mark) + r" (\d+)", out)
    return int(m.group(1)) if m else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(root, "build"))
    ap.add_argument("--mib", type=int, default=64)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--qemu", default="qemu-system-riscv64")
    ap.add_argument("--modes", default="run,record,qemu",
                    help="comma-separated subset of run,record,qemu")
    a = ap.parse_args()
    if a.smoke:
        a.mib, a.runs = 1, 1
    rw = os.path.join(a.build, "rewind")
    kit = os.path.join(a.build, "guest-kit")
    if not os.access(rw, os.X_OK):
        die(f"no rewind binary at {rw} (build it: bash scripts/build.sh)")
    for tool in ("debugfs",):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool) \
                and not os.path.exists("/sbin/" + tool):
            die(f"'{tool}' not found (apt-get install e2fsprogs)")
    r = subprocess.run(["bash", os.path.join(root, "scripts", "guest-kit.sh")],
                       env=dict(os.environ, REWIND_KIT_DIR=kit),
                       capture_output=True, text=True)
    if r.returncode != 0:
        die("scripts/guest-kit.sh failed:\n" + r.stderr[-2000:])
    have_qemu = shutil.which(a.qemu) is not None

    # SIGTERM unwinds like ^C: the emulator is killed, the scratch files go.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    tmp = tempfile.mkdtemp(prefix="io_bench.")
    try:
        return bench(a, rw, kit, tmp, have_qemu)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def bench(a, rw, kit, tmp, have_qemu):
    blob = random.Random(11).randbytes(a.mib << 20)
    httpd = serve(blob)
    port = httpd.server_address[1]
    script = os.path.join(tmp, "bench.sh")
    with open(script, "w") as f:
        f.write(GUEST_SCRIPT)
    base = os.path.join(tmp, "root.img")
    shutil.copyfile(os.path.join(kit, "rootfs.ext4"), base)
    debugfs = shutil.which("debugfs") or "/usr/sbin/debugfs"
    r = subprocess.run([debugfs, "-w", "-R", f"write {script} /etc/rewind-bench.sh",
                        base], capture_output=True, text=True)
    if r.returncode != 0 or "rror" in r.stderr:
        die(f"debugfs cannot write the guest script into {base}: {r.stderr}")

    def machine(img, scratch):
        return ["-M", "virt", "-m", "512M", "-smp", "1", "-nographic",
                "-kernel", os.path.join(kit, "Image"),
                "-initrd", os.path.join(kit, "initrd-virtio.gz"),
                "-drive", f"file={img},format=raw,if=none,id=d0",
                "-device", "virtio-blk-device,drive=d0",
                "-drive", f"file={scratch},format=raw,if=none,id=d1",
                "-device", "virtio-blk-device,drive=d1,serial=bench",
                "-netdev", "user,id=n0",
                "-device", "virtio-net-device,netdev=n0",
                "-append", "console=ttyS0 root=/dev/vda "
                "rewind.script=/etc/rewind-bench.sh "
                f"rewind.bench={a.mib} rewind.port={port}"]

    modes = [m for m in a.modes.split(",") if m != "qemu" or have_qemu]
    if not modes or any(m not in ("run", "record", "qemu") for m in modes):
        die(f"--modes {a.modes}: give a subset of run,record,qemu")
    res = {m: [] for m in modes}
    trace_per_mib = []
    failed = False
    for i in range(a.runs):
        for mode in modes:
            img = os.path.join(tmp, "root-run.img")
            scratch = os.path.join(tmp, "scratch.img")
            shutil.copyfile(base, img)
            with open(scratch, "wb") as f:
                f.truncate(a.mib << 20)
                f.write(blob)
                f.truncate((2 * a.mib + 1) << 20)
            trace = os.path.join(tmp, f"t{i}.rwd")
            if mode == "qemu":
                cmd = [a.qemu, "-bios", "default", *machine(img, scratch)]
            elif mode == "record":
                cmd = [rw, "record", "-o", trace, *machine(img, scratch)]
            else:
                cmd = [rw, "run", *machine(img, scratch)]
            rc, out, t, c = boot(cmd, 300 + 30 * a.mib)
            nbytes = a.mib << 20
            bad = [k for k in ("bench: read-end", "bench: wget-end")
                   if value(out, k) != nbytes]
            if value(out, "bench: write-end") != 0:
                bad.append("bench: write-end")
            if rc != 0 or bad or any(m not in t for m in MARKS):
                failed = True
                print(f"io_bench: {mode} run {i + 1} FAILED (exit {rc}, wrong or "
                      f"missing: {bad or [m for m in MARKS if m not in t]}); "
                      f"console tail:\n{out[-2500:]}", file=sys.stderr)
                continue
            fig = {}
            for suffix, clock in (("", t), ("_cpu", c)):
                fig["boot" + suffix] = clock["REWIND-BOOT-OK"]
                for k in ("write", "read", "wget"):
                    fig[k + suffix] = a.mib / max(
                        clock[f"bench: {k}-end"] - clock[f"bench: {k}-start"], 1e-3)
            res[mode].append(fig)
            if mode == "record":
                trace_per_mib.append(trace_figure(rw, trace))
                shutil.rmtree(trace, ignore_errors=True)
            print(f"io_bench: run {i + 1} {mode}: " + ", ".join(
                f"{k} {v:.2f}" for k, v in fig.items()), file=sys.stderr)
    httpd.shutdown()
    httpd.server_close()
    report(a, res, trace_per_mib)
    if any(x is None for x in trace_per_mib):
        failed = True
    return 1 if failed else 0


def trace_figure(rw, trace):
    """events.zst bytes per MiB received (net_rx), or None."""
    r = subprocess.run([rw, "query", trace, "SELECT SUM(len) FROM net_rx"],
                       capture_output=True, text=True)
    lines = r.stdout.split("\n")
    try:
        rx = int(lines[1])
    except (IndexError, ValueError):
        print(f"io_bench: no net_rx in {trace}: {r.stdout}{r.stderr}",
              file=sys.stderr)
        return None
    ev = os.path.getsize(os.path.join(trace, "events.zst"))
    return ev / (rx / 2**20) if rx else None


def report(a, res, trace_per_mib):
    def med(mode, key):
        v = [r[key] for r in res.get(mode, [])]
        return (statistics.median(v), min(v), max(v)) if v else None

    def cell(x, unit):
        if x is None:
            return "-"
        m, lo, hi = x
        return f"{m:.2f} {unit}" + (f" ({lo:.2f}-{hi:.2f})" if lo != hi else "")

    rows = [("boot to shell", "boot", "s", False),
            (f"dd {a.mib} MiB write", "write", "MiB/s", True),
            (f"dd {a.mib} MiB read", "read", "MiB/s", True),
            (f"wget {a.mib} MiB, slirp", "wget", "MiB/s", True)]
    print(f"{a.runs} run(s) each, median (min-max); wall: host clock at the "
          "guest's markers; cpu: the emulator's CPU time between them")
    print(f"{'':38} {'rewind run':>22} {'rewind record':>22} {'qemu':>22}"
          f" {'run/qemu':>9} {'record overhead':>16}")
    for name, key, unit, rate in [(n + ", " + clk, k + sfx, u, r)
                                  for clk, sfx in (("wall", ""), ("cpu", "_cpu"))
                                  for n, k, u, r in rows]:
        r, c, q = med("run", key), med("record", key), med("qemu", key)
        ratio = over = "-"
        if r and q:
            ratio = f"{(r[0] / q[0] if rate else q[0] / r[0]):.2f}x"
        if r and c:
            over = f"{100 * ((r[0] / c[0]) if rate else (c[0] / r[0])) - 100:+.1f}%"
        print(f"{name:38} {cell(r, unit):>22} {cell(c, unit):>22} "
              f"{cell(q, unit):>22} {ratio:>9} {over:>16}")
    t = [x for x in trace_per_mib if x is not None]
    if t:
        print(f"record: events.zst {statistics.median(t) / 2**20:.3f} MiB per MiB "
              "of network data received")
    print("run/qemu: rewind's speed as a fraction of QEMU's (boot: QEMU's time / "
          "rewind.s); record overhead: extra time (wall or CPU) of record over run")


if __name__ == "__main__":
    sys.exit(main())
