"""A recording whose trace cannot be written must say so: every trace-writer
error is printed with its cause and the file at fault, and the recorder
exits non-zero, never silently. The trace files are limited in size
(RLIMIT_FSIZE, SIGXFSZ ignored: writes fail with EFBIG as on a full disk)
at sizes that make creation, the first checkpoints or later frames fail."""
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run  # noqa: E402

exe, workload = sys.argv[1:3]
t = Suite("record-errors")
tmp = tempfile.mkdtemp()


def record(d, limit):
    def limit_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    p = subprocess.run([exe, "record", "-o", d, "--checkpoint-every", "100000",
                        "-M", "virt", "-bios", "none", "-nographic",
                        "-kernel", workload],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=120, preexec_fn=limit_files)
    return p.returncode, p.stderr.decode(errors="replace")


mid_run = 0
for kib in (16, 100, 200, 500):
    d = os.path.join(tmp, f"limit{kib}k.rwd")
    rc, err = record(d, kib * 1024)
    t.check(rc != 0, f"{kib} KiB: the recorder exits non-zero", err)
    # The message names a file of the trace and says what went wrong.
    named = re.search(re.escape(d) + r"/[a-z.]+: .*(error|too large|No space)",
                      err)
    t.check(named is not None and err.startswith("rewind: "),
            f"{kib} KiB: the error names the trace file and its cause", err)
    t.check("recorded" not in err, f"{kib} KiB: no success message", err)
    if "recording failed at icount" in err:
        mid_run += 1
        irc, out, ierr = run(exe, "info", d)
        t.check(re.search(r"state: +incomplete", out) is not None,
                f"{kib} KiB: info calls the trace incomplete", out + ierr)
t.check(mid_run >= 2, "some limits stop the recording while it runs",
        f"{mid_run} did")
t.finish()
