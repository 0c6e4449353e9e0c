"""Tiny helpers shared by the integration tests: run rewind, check results,
print a closing 'N passed, M failed' line, exit non-zero on failure.

Every emulator a test starts in the background goes through spawn() (or
running(), its context manager), never a bare subprocess.Popen: it is
killed and waited for when the test ends, however it ends (a failed
check, an exception, the timeout's SIGTERM from meson), so that a rewind
waiting for a debugger (-S -gdb) never outlives its test.

Every directory a test makes with tempfile.mkdtemp (traces, disk images:
a whole suite's came to gigabytes) is removed when the test passes
(Suite.finish); a test that fails keeps them and names them."""
import atexit
import contextlib
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

_live = []   # the processes spawn() started that may still run
_made = []   # the directories tempfile.mkdtemp made in this test
_mkdtemp = tempfile.mkdtemp


def _mkdtemp_kept(*args, **kwargs):
    d = _mkdtemp(*args, **kwargs)
    _made.append(d)
    return d


tempfile.mkdtemp = _mkdtemp_kept


def spawn(argv, **popen):
    """subprocess.Popen(argv, **popen), killed and reaped at the latest
    when the test exits (stop() does it earlier)."""
    p = subprocess.Popen(argv, **popen)
    _live.append(p)
    return p


def stop(p, timeout=10):
    """Kill p if it still runs and wait for it; returns its exit status."""
    if p.poll() is None:
        p.kill()
    try:
        status = p.wait(timeout)
    except subprocess.TimeoutExpired:   # uninterruptible: leave it to init
        status = None
    if p in _live:
        _live.remove(p)
    return status


@contextlib.contextmanager
def running(argv, **popen):
    """`with running([exe, ...]) as p:` -- p is stopped when the block
    ends, by an exception or not."""
    p = spawn(argv, **popen)
    try:
        yield p
    finally:
        stop(p)


def _stop_all():
    for p in list(_live):
        stop(p)


def _exit_on_signal(signum, frame):
    # SystemExit runs the test's finally blocks, then _stop_all.
    sys.exit(128 + signum)


atexit.register(_stop_all)
for _sig in (signal.SIGTERM, signal.SIGHUP):
    if signal.getsignal(_sig) == signal.SIG_DFL:
        signal.signal(_sig, _exit_on_signal)


def fail_fast(name):
    """After a failed check: end the test at once under REWIND_FAIL_FAST=1.
    The mutation runner only needs to know that a check fails; the rest
    of the test would not change that, and its waits would cost minutes."""
    if os.environ.get("REWIND_FAIL_FAST") == "1":
        print(f"{name}: stopped at the first failure (REWIND_FAIL_FAST=1)")
        sys.exit(1)


def fail_fast_wait():
    """The longest a test waits for something under REWIND_FAIL_FAST=1 (the
    mutation runner), or None: REWIND_FAIL_FAST_WAIT seconds, default 10.
    What a test waits for comes within a second or two on a passing run
    (the tests with most waits pass with REWIND_FAIL_FAST_WAIT=3 at load
    11; the slowest waits are a whole gdb-multiarch run and chardev's
    reconnect=1 retry); the 30-60 s waits are for a machine loaded by the
    whole suite. Under a mutation the awaited output often never comes,
    and those waits were most of the mutation stage's time."""
    if os.environ.get("REWIND_FAIL_FAST") != "1":
        return None
    return float(os.environ.get("REWIND_FAIL_FAST_WAIT", "10"))


def wait_limit(seconds, failed):
    """How long to wait for something that should come: `seconds`; once a
    check has failed (`failed`), 3 s at most, so that a broken build fails
    in seconds instead of minutes; under REWIND_FAIL_FAST=1,
    fail_fast_wait() at most."""
    if failed:
        return min(seconds, 3)
    cap = fail_fast_wait()
    return min(seconds, cap) if cap is not None else seconds


class Suite:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def check(self, cond, what, detail=""):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {what}" + (f"\n  {detail}" if detail else ""))
            fail_fast(self.name)

    def limit(self, seconds):
        """How long to wait for something that should come (wait_limit)."""
        return wait_limit(seconds, self.failed)

    def finish(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed")
        exit_cleaning(self.name, not self.failed and self.passed)


def exit_cleaning(name, ok):
    """Exit 0 if ok, else 1; the test's temporary directories go if ok,
    else they are named for a look."""
    _stop_all()   # nothing still writes into them
    for d in _made:
        if ok:
            shutil.rmtree(d, ignore_errors=True)
        elif os.path.isdir(d):
            print(f"{name}: kept {d} (the test failed)")
    sys.exit(0 if ok else 1)


def run(exe, *args, timeout=60, stdin=subprocess.DEVNULL, env=None):
    """Run rewind (env: the environment, default this one's); returns
    (exit status, stdout, stderr)."""
    p = subprocess.run([exe, *args], stdin=stdin, capture_output=True,
                       timeout=timeout, env=env)
    return (p.returncode, p.stdout.decode(errors="replace"),
            p.stderr.decode(errors="replace"))


def flip_byte(path, at, bits):
    """XOR the byte of file `path` at offset `at` with `bits` (damage a
    trace or an input image in place)."""
    with open(path, "r+b") as f:
        f.seek(at)
        b = f.read(1)
        f.seek(at)
        f.write(bytes([b[0] ^ bits]))


def stats(stderr):
    """Parse the --stats line into a dict."""
    for line in stderr.splitlines():
        if line.startswith("icount="):
            out = {}
            for part in line.split():
                if "=" in part:
                    k, v = part.split("=", 1)
                    out[k] = v.strip('"')
            return out
    return {}


def ensure_kit(name, repo, kit):
    """Make sure the Linux guest kit exists (scripts/guest-kit.sh, apt,
    cached). REWIND_SKIP_LINUX=1 skips outside CI (exit 77); a kit that
    cannot be had is a failure: CI must not skip the Linux tests."""
    import os
    if os.environ.get("REWIND_SKIP_LINUX") == "1" and not os.environ.get("CI"):
        print(f"SKIP: REWIND_SKIP_LINUX=1 ({name} did not run)")
        sys.exit(77)
    t0 = time.monotonic()
    k = subprocess.run(["bash", os.path.join(repo, "scripts", "guest-kit.sh")],
                       env=dict(os.environ, REWIND_KIT_DIR=kit),
                       capture_output=True, text=True, timeout=1800)
    if k.returncode != 0:
        print("FAIL: scripts/guest-kit.sh could not provide the guest kit:")
        print(k.stdout[-3000:], k.stderr[-3000:])
        sys.exit(1)
    # Built here, or found up to date (perhaps after waiting for another
    # test's build of it: guest-kit.sh takes a lock).
    print(f"guest kit: {'up to date' if 'is up to date' in k.stderr else 'built'}"
          f" after {time.monotonic() - t0:.1f} s")


# ---- gdb server startup (-gdb tcp::0) -------------------------------------
# When its stub starts listening, rewind prints one fixed line on stderr:
#     rewind: gdb server listening on HOST:PORT      (or unix:PATH)
# With -gdb tcp::0 the kernel picks a free port and that line is the only
# way to learn it; reading it is also how a test knows the stub is ready,
# without sleeping and without picking a port by binding and closing one.
GDB_LISTENING = "rewind: gdb server listening on "


def start_gdb_server(exe, *args, gdb_spec="tcp::0", timeout=60, **popen):
    """Start `exe *args -gdb gdb_spec` (Popen keyword arguments pass
    through; stderr is always a pipe) and read its stderr up to the
    listening line. Returns (process, port): an int for tcp, the path for
    unix. The process's stderr goes on right after that line. Raises
    RuntimeError (with what was read) if the line does not come."""
    import os
    import select
    import time
    popen["stderr"] = subprocess.PIPE
    p = spawn([exe, *args, "-gdb", gdb_spec], **popen)
    fd = p.stderr.fileno()
    seen = b""
    deadline = time.monotonic() + wait_limit(timeout, False)
    while True:
        # One byte at a time, so that nothing after the line is consumed.
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        c = os.read(fd, 1)
        if not c:
            break
        seen += c
        line = seen[seen.rfind(b"\n", 0, len(seen) - 1) + 1:].decode(
            errors="replace")
        if c == b"\n" and line.startswith(GDB_LISTENING):
            where = line[len(GDB_LISTENING):].strip()
            if where.startswith("unix:"):
                return p, where[5:]
            port = int(where.rsplit(":", 1)[1])
            if port != 0:
                return p, port
            break   # port 0 is what was asked, not where it listens
    stop(p)
    raise RuntimeError(f"rewind did not report its gdb server: {seen!r}")


def read_match(f, pattern, seconds):
    """Read the pipe f (a file object or fd) until pattern (bytes regex)
    matches what was read, it closes, or seconds pass; returns (match or
    None, the bytes read)."""
    fd = f if isinstance(f, int) else f.fileno()
    buf = b""
    end = time.monotonic() + seconds
    while True:
        m = re.search(pattern, buf)
        left = end - time.monotonic()
        if m or left <= 0:
            return m, buf
        if select.select([fd], [], [], min(left, 1))[0]:
            chunk = os.read(fd, 4096)
            if not chunk:
                return None, buf
            buf += chunk


def sock_read_until(sock, marker, seconds):
    """Bytes read from sock until marker came, it closed, or seconds
    passed."""
    data = b""
    deadline = time.monotonic() + seconds
    while marker not in data and time.monotonic() < deadline:
        r, _, _ = select.select([sock], [], [], 1)
        if r:
            d = sock.recv(4096)
            if not d:
                break
            data += d
    return data


def connect_chardevs(p, ids, seconds):
    """Connect to each unix-socket chardev in ids (bytes) as rewind p
    reports it listening on stderr ("chardev 'ID' listening on unix:PATH";
    with wait=on it waits for each in turn). Returns ({id: socket}, the
    stderr read so far)."""
    err = b""
    socks = {}
    deadline = time.monotonic() + seconds
    while len(socks) < len(ids) and time.monotonic() < deadline:
        r, _, _ = select.select([p.stderr], [], [], 1)
        if r:
            d = os.read(p.stderr.fileno(), 4096)
            if not d:
                break
            err += d
        for m in re.finditer(rb"chardev '([^']+)' listening on unix:(\S+)\n", err):
            if m.group(1) in ids and m.group(1) not in socks:
                c = socket.socket(socket.AF_UNIX)
                c.connect(m.group(2).decode())
                socks[m.group(1)] = c
    return socks, err


def cpio_newc(files):
    """A newc cpio archive of (path, mode, data) entries (the Linux tests
    append one, gzipped, to the kit's initrd: Linux unpacks concatenated
    archives)."""
    out = b""
    for ino, (name, mode, data) in enumerate(files + [("TRAILER!!!", 0, b"")]):
        nb = name.encode() + b"\0"
        hdr = b"070701" + b"".join(b"%08X" % v for v in (
            ino + 1, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(nb), 0))
        out += hdr + nb
        out += b"\0" * (-len(out) % 4) + data
        out += b"\0" * (-len(out) % 4)
    return out
