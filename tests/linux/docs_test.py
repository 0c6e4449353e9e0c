"""The example queries of README.md, docs/trace-format.md and docs/shell.md,
run as written (the trace directory name aside) against a real trace of a Linux boot:
each must succeed and return at least one row. The bookmark example (the
sqlite3 shell's INSERT) is run on a copy of the index and its row read back
with `rewind query`. Also: `query` leaves the directory of the real trace
unchanged."""
import os
import re
import shlex
import shutil
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run, ensure_kit  # noqa: E402

exe, repo, kit = sys.argv[1:4]
t = Suite("linux-docs")
ensure_kit("the docs' example queries", repo, kit)
tmp = tempfile.mkdtemp()
trace = os.path.join(tmp, "boot.rwd")
rc, out, err = run(exe, "record", "-o", trace, "-M", "virt", "-m", "512M",
                   "-smp", "1", "-kernel", os.path.join(kit, "Image"),
                   "-initrd", os.path.join(kit, "initrd.gz"),
                   "-append", "console=ttyS0", "-nographic",
                   "-rtc", "base=2026-01-01T00:00:00", timeout=1200)
t.check(rc == 0 and "REWIND-TEST-DONE" in out, "record a Linux boot", err[-1000:])


def examples(path):
    """Commands in the code blocks of a Markdown file that start with
    `rewind query` or `sqlite3`, as argument lists (multi-line quoted SQL
    joined as the shell would)."""
    cmds, blocks = [], re.findall(r"```[a-z]*\n(.*?)```", open(path).read(), re.S)
    indented = [m.group(0) for m in re.finditer(r"(?m)^    \S.*$", open(path).read())]
    lines = [ln for b in blocks for ln in b.splitlines()] + \
            [ln.strip() for ln in indented]
    i = 0
    while i < len(lines):
        ln = lines[i].strip()
        i += 1
        if not re.match(r"(\./build/)?rewind query |sqlite3 ", ln):
            continue
        text = ln
        while True:
            try:
                args = shlex.split(text, comments=True)
                break
            except ValueError:   # a quote still open: the SQL goes on
                text += "\n" + lines[i]
                i += 1
        cmds.append(args)
    return cmds


found = {"README.md": 0, "docs/trace-format.md": 0, "docs/shell.md": 0}
before = sorted((n, os.stat(os.path.join(trace, n)).st_mtime_ns)
                for n in os.listdir(trace))
for doc in found:
    for args in examples(os.path.join(repo, doc)):
        found[doc] += 1
        if args[0] == "sqlite3" and not args[2].lstrip().upper().startswith("SELECT"):
            copy = os.path.join(tempfile.mkdtemp(dir=tmp), "bookmarked.rwd")
            shutil.copytree(trace, copy)
            db = sqlite3.connect(os.path.join(copy, "index.sqlite"))
            db.execute(args[2])
            db.commit()
            db.close()
            rc, out, err = run(exe, "query", copy, "SELECT name FROM bookmarks")
            t.check(rc == 0 and len(out.splitlines()) >= 2,
                    f"{doc}: sqlite3 example then query: {args[2]!r}", out + err)
            continue
        sql = args[-1]
        rc, out, err = run(exe, "query", trace, sql, timeout=300)
        rows = out.splitlines()[1:]
        t.check(rc == 0 and len(rows) >= 1, f"{doc}: {sql!r} returns rows",
                f"rc={rc} out={out[-500:]!r} err={err!r}")
        print(f"{doc}: {sql.split()[:6]}... -> {len(rows)} rows")
for doc, n in found.items():
    t.check(n >= 2, f"{doc}: example queries found", str(n))
after = sorted((n, os.stat(os.path.join(trace, n)).st_mtime_ns)
               for n in os.listdir(trace))
t.check(before == after, "queries left the trace directory unchanged",
        f"{before} vs {after}")
t.finish()
