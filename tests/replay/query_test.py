"""`rewind query` only reads: statements that would write a file (VACUUM
INTO, ATTACH), change the connection (PRAGMA) or leak a host pointer
(fts3_tokenizer) are refused with a message and exit 1 and leave no file;
the trace directory keeps its file list and mtimes (no -wal/-shm), also
when it is read-only; runaway queries stop at the time and memory bounds
with their own message; control characters in the output are escaped so
that a recorded `ESC [6n` never reaches the terminal."""
import os
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run  # noqa: E402

exe, hello = sys.argv[1:3]
t = Suite("query")
tmp = tempfile.mkdtemp()
trace = os.path.join(tmp, "t.rwd")
rc, out, err = run(exe, "record", "-o", trace, "-bios", "none", "-nographic",
                   "-kernel", hello)
t.check(rc == 0, "record the trace to query", err)


def listing(d):
    """Names, sizes and mtimes of everything in d."""
    return sorted((n, os.stat(os.path.join(d, n)).st_size,
                   os.stat(os.path.join(d, n)).st_mtime_ns)
                  for n in os.listdir(d))


def query(*args, d=trace, timeout=60):
    return run(exe, "query", *args[:-1], d, args[-1], timeout=timeout)


before = listing(trace)

rc, out, err = query("SELECT text FROM console")
t.check(rc == 0 and "Hello from rewind guest" in out, "a query returns rows",
        out + err)
rc, out, err = query("PRAGMA table_info(events)")
t.check(rc == 0 and "summary" in out, "PRAGMA table_info is allowed", out + err)
rc, out, err = query("SELECT value FROM json_each((SELECT value FROM meta "
                     "WHERE key = 'argv')) WHERE value = '-nographic'")
t.check(rc == 0 and out.splitlines() == ["value", "-nographic"],
        "table-valued functions (json_each) are allowed", out + err)

# Writing anywhere is refused, and leaves no file (not even an empty one).
target = os.path.join(tmp, "x.db")
for sql, needle in [
    (f"PRAGMA query_only=0; VACUUM INTO '{target}'", "query_only"),
    (f"VACUUM INTO '{target}'", "would write"),
    (f"ATTACH 'file:{target}?mode=rwc' AS x", "ATTACH"),
    (f"ATTACH '{target}' AS x; CREATE TABLE x.t(a)", "ATTACH"),
    ("PRAGMA journal_mode=DELETE", "journal_mode"),
    ("PRAGMA writable_schema=ON", "writable_schema"),
    ("INSERT INTO bookmarks VALUES ('a', 1, 'b')", "INSERT"),
    ("DELETE FROM events", "DELETE"),
    ("CREATE TEMP TABLE t(a)", "INSERT"),
    ("BEGIN", "transaction"),
    ("SELECT load_extension('/nonexistent/x.so')", "load_extension"),
    ("SELECT readfile('/etc/passwd')", "readfile"),
]:
    rc, out, err = query(sql)
    t.check(rc == 1 and needle in err and "rewind: query:" in err and
            not os.path.exists(target), f"refused: {sql}",
            f"rc={rc} out={out!r} err={err!r} exists={os.path.exists(target)}")

# fts3_tokenizer('simple') returns the address of a host structure.
rc, out, err = query("SELECT hex(fts3_tokenizer('simple'))")
t.check(rc == 1 and "fts3_tokenizer" in err and out.strip() == "",
        "fts3_tokenizer pointer is not handed out", f"rc={rc} out={out!r} err={err!r}")

# Bounds: a recursive query that never ends, one that eats memory.
t0 = time.time()
try:
    rc, out, err = query("--timeout", "1", "WITH RECURSIVE c(x) AS (SELECT 1 "
                         "UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
                         timeout=t.limit(20))
except subprocess.TimeoutExpired:
    rc, out, err = None, "", f"still running after {t.limit(20):.0f} s"
took = time.time() - t0
t.check(rc == 1 and "time limit" in err and "--timeout" in err and took < 30,
        "an endless recursive query stops at --timeout", f"rc={rc} {took:.1f} s {err!r}")
grow = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
        "LIMIT {}) SELECT length(group_concat(printf('%.*c', 10000, 'x'))) FROM c")
rc, out, err = query("--max-memory", "16", grow.format(100000), timeout=120)
t.check(rc == 1 and "16 MiB" in err and "--max-memory" in err,
        "a query stops at --max-memory", f"rc={rc} {err!r}")
rc, out, err = query("--max-memory", "16", grow.format(500), timeout=120)
t.check(rc == 0 and out.split()[-1] == "5000499",
        "a query within --max-memory runs", f"rc={rc} {out!r} {err!r}")
rc, out, err = query("--timeout", "0", "SELECT 1")
t.check(rc == 1 and "--timeout" in err, "--timeout 0 refused", err)

# Control characters never reach the terminal: ESC, newlines, tabs, C1
# controls and bytes that are not UTF-8 are escaped, in values, column
# names and error messages.
p = subprocess.run([exe, "query", trace,
                    "SELECT char(27) || '[6n' AS \"q\x1b[6n\", 'a' || char(10) || "
                    "'b' || char(9) || 'c\\d', char(155) || 'é', "
                    "CAST(x'ff41' AS TEXT), NULL"],
                   capture_output=True, timeout=60)
lines = p.stdout.split(b"\n")
t.check(p.returncode == 0 and b"\x1b" not in p.stdout and b"\xc2\x9b" not in
        p.stdout and b"\xff" not in p.stdout and len(lines) == 3 and
        lines[1] == b"\\x1b[6n\ta\\nb\\tc\\\\d\t\\u009b\xc3\xa9\t\\xffA\tNULL" and
        lines[0].startswith(b"q\\x1b[6n\t"),
        "control characters escaped in query output", repr(p.stdout))
p = subprocess.run([exe, "query", trace, "SELECT * FROM \"x\x1b[6n\""],
                   capture_output=True, timeout=60)
t.check(p.returncode == 1 and b"\x1b" not in p.stderr and b"\\x1b[6n" in p.stderr,
        "control characters escaped in error messages", repr(p.stderr))

t.check(listing(trace) == before,
        "the trace directory is unchanged after the queries (names, sizes, mtimes)",
        f"{before}\n{listing(trace)}")

# A read-only trace directory: query, info, verify and replay work and
# change nothing. As root the permission bits do not stop writes, so the
# listing check above (and a read-only bind mount below) is what proves it.
os.chmod(trace, 0o555)
for n in os.listdir(trace):
    os.chmod(os.path.join(trace, n), 0o444)
before = listing(trace)
rc, out, err = query("SELECT count(*) FROM events")
t.check(rc == 0 and int(out.split()[-1]) > 0, "query on a read-only trace", err)
rc, out, err = run(exe, "info", trace)
t.check(rc == 0 and "index:        ok" in out, "info on a read-only trace", out + err)
rc, out, err = run(exe, "verify", trace)
t.check(rc == 0, "verify on a read-only trace", err)
rc, out, err = run(exe, "replay", trace)
t.check(rc == 0 and "Hello from rewind guest" in out, "replay on a read-only trace", err)
t.check(listing(trace) == before, "read-only trace unchanged",
        f"{before}\n{listing(trace)}")
mnt = os.path.join(tmp, "ro")
os.mkdir(mnt)
script = (f"mount --bind -o ro '{trace}' '{mnt}' || exit 99; "
          f"'{exe}' info '{mnt}' >/dev/null && '{exe}' verify '{mnt}' && "
          f"'{exe}' replay '{mnt}' --quiet && "
          f"'{exe}' query '{mnt}' 'SELECT count(*) FROM console'")
try:
    ro = subprocess.run(["unshare", "-m", "sh", "-c", script],
                        capture_output=True, timeout=60)
except OSError as e:
    ro = None
    print(f"note: no read-only bind mount here ({e}); the listing checks stand")
if ro is not None and ro.returncode != 99:
    t.check(ro.returncode == 0 and ro.stdout.split()[-1:] == [b"4"],
            "info, verify, replay and query on a read-only mount",
            repr(ro.stdout + ro.stderr))
elif ro is not None:
    print("note: no read-only bind mount here; the listing checks stand:",
          ro.stderr.decode(errors="replace"))
os.chmod(trace, 0o755)
for n in os.listdir(trace):
    os.chmod(os.path.join(trace, n), 0o644)

# An index with a -wal file beside it (recording in progress, or a killed
# recorder) would be read without the rows in the -wal: refused.
wal = os.path.join(trace, "index.sqlite-wal")
open(wal, "wb").close()
rc, out, err = query("SELECT 1")
t.check(rc == 2 and "index.sqlite-wal" in err and "reindex" in err,
        "refused while index.sqlite-wal exists", err)
os.unlink(wal)
idx = os.path.join(trace, "index.sqlite")
os.rename(idx, idx + ".away")
rc, out, err = query("SELECT 1")
t.check(rc == 2 and "no index" in err, "missing index", err)
os.mkfifo(idx)
rc, out, err = query("SELECT 1", timeout=20)
t.check(rc == 2 and "not a regular file" in err, "FIFO as the index", err)
os.unlink(idx)
os.rename(idx + ".away", idx)
t.finish()
