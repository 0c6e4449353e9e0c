"""Debug triggers under record/replay: the sdtrig guest arms, fires and
clears execute, load and store triggers many times; its trace must verify
bit for bit, and seeking to a checkpoint taken while triggers are armed
must reach the same state as a straight replay (trigger state is restored
from checkpoints and translated code is cut again at trigger addresses).
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run, stats  # noqa: E402

exe, elf = sys.argv[1:3]
t = Suite("sdtrig-replay")
tmp = tempfile.mkdtemp()
d = os.path.join(tmp, "sdtrig.rwd")

rc, rec_out, err = run(exe, "record", "-o", d, "--checkpoint-every", "20000",
                       "-M", "virt", "-bios", "none", "-nographic",
                       "-kernel", elf, timeout=300)
t.check(rc == 0 and "PASS sdtrig" in rec_out, "record the sdtrig guest",
        rec_out + err)
rc, out, err = run(exe, "verify", d, timeout=300)
t.check(rc == 0 and "replay identical" in err, "verify", err)
rc, out, err = run(exe, "replay", d, "--stats", timeout=300)
t.check(rc == 0 and out == rec_out, "replay prints the recorded console", out)
total = int(stats(err).get("icount", "0"))
t.check(total > 1200000, "the guest ran past the first million", err)
# The guest ends with a long stretch of execute-trigger hits. Seeks more
# than a million instructions in restore a checkpoint taken with the
# trigger armed and run through hits to the target.
bad = []
points = [total - 60000 + 4111 * k for k in range(12)]
for n in points:
    a = stats(run(exe, "replay", d, "--quiet", "--until", str(n), "--stats")[2])
    b = stats(run(exe, "replay", d, "--quiet", "--seek", str(n), "--stats")[2])
    if a.get("icount") != str(n) or a.get("state_hash") != b.get("state_hash"):
        bad.append(f"{n}: {a} vs {b}")
t.check(not bad, f"seek == straight replay at {len(points)} points",
        "\n  ".join(bad[:5]))
shutil.rmtree(tmp)
t.finish()
