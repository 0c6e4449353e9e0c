#!/usr/bin/env python3
"""Apply each deliberate bug of tests/mutations/*.mutation and check that
the tests it names catch it (see README.md in this folder).

The source tree is copied once into build/mutants/src and built once in
build/mutants/build (warnings are not errors there: a mutation may leave a
variable unused). For each mutation: apply it to the copy, rebuild
incrementally, run its tests, and put the file back. The listed tests are
first run on the unmutated copy: a test that already fails would "catch"
everything.

    tests/mutations/run.py             every mutation
    tests/mutations/run.py NAME...     only these (file names without
                                       .mutation)
    tests/mutations/run.py --list      list them and their tests
    tests/mutations/run.py --jobs 2    two workers, each with its own copy
                                       and build (default: one per core)
    tests/mutations/run.py --no-baseline
                                       no unmutated run of the tests first
                                       (after the suite passed: test.sh)

Prints one line per mutation ("caught by TEST..." or "SURVIVED ...") and a
summary; exits 1 if any mutation survived or could not be applied or
built, 2 on a usage or file error.
"""
import argparse
import glob
import json
import os
import shutil
import queue
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
KEYS = ("file", "find", "replace", "tests")
OPTIONAL = {"build": "default"}   # "sanitize": build with ASan and UBSan
BUILDS = {
    "default": ["-Dwerror=false"],
    # Undefined behaviour that gives the expected result anyway (a shift of
    # a negative value) is only seen where UBSan halts on it.
    "sanitize": ["-Dwerror=false", "-Db_sanitize=address,undefined",
                 "-Db_lundef=false", "-Dbuildtype=debug"],
}
# As scripts/test.sh runs the sanitizer build: a finding aborts the process
# (SIGABRT, never an exit status a test may expect, such as 1).
SANITIZER_ENV = {
    "ASAN_OPTIONS": "halt_on_error=1:abort_on_error=1",
    "LSAN_OPTIONS": "suppressions=" + os.path.join(ROOT, "tests", "lsan.supp")
                    + ":print_suppressions=0",
    "UBSAN_OPTIONS": "halt_on_error=1:abort_on_error=1:print_stacktrace=1",
}


class MutationError(Exception):
    pass


TARGETS = {}   # build dir -> {test name: ninja targets} (test_targets)


def unescape(text):
    """`\\n` stands for a newline and `\\\\` for one backslash; any other
    backslash is literal."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in "n\\":
            out.append("\n" if text[i + 1] == "n" else "\\")
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def parse(path):
    """A mutation file as a dict (name, about, file, find, replace, tests);
    raises MutationError naming the file and line at fault."""
    name = os.path.basename(path)[: -len(".mutation")]
    m = {"name": name, "path": path, "about": ""}
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for no, line in enumerate(lines, 1):
        where = f"{os.path.relpath(path, ROOT)}:{no}"
        if line.startswith("#"):
            if not m["about"]:
                m["about"] = line.lstrip("#").strip()
            continue
        if not line.strip():
            continue
        key, sep, value = line.partition(": ")
        if not sep and line.endswith(":"):
            key, value = line[:-1], ""
        elif not sep:
            raise MutationError(f"{where}: expected 'key: value', got {line!r}")
        if key not in KEYS and key not in OPTIONAL:
            raise MutationError(f"{where}: unknown key {key!r} "
                                f"(keys: {', '.join((*KEYS, *OPTIONAL))})")
        if key in m:
            raise MutationError(f"{where}: {key} given twice")
        m[key] = value if key == "tests" else unescape(value)
    for key in KEYS:
        if key not in m:
            raise MutationError(f"{os.path.relpath(path, ROOT)}: no '{key}:' line")
    for key, default in OPTIONAL.items():
        m.setdefault(key, default)
    if m["build"] not in BUILDS:
        raise MutationError(f"{os.path.relpath(path, ROOT)}: unknown build "
                            f"{m['build']!r} (builds: {', '.join(BUILDS)})")
    m["tests"] = m["tests"].split()
    if not m["tests"]:
        raise MutationError(f"{os.path.relpath(path, ROOT)}: 'tests:' names no test")
    if not m["find"]:
        raise MutationError(f"{os.path.relpath(path, ROOT)}: 'find:' is empty")
    if m["find"] == m["replace"]:
        raise MutationError(f"{os.path.relpath(path, ROOT)}: replace equals find")
    target = os.path.join(ROOT, m["file"])
    if os.path.isabs(m["file"]) or not os.path.isfile(target):
        raise MutationError(f"{os.path.relpath(path, ROOT)}: file {m['file']!r} "
                            "is not a file of the repository")
    with open(target, encoding="utf-8") as f:
        count = f.read().count(m["find"])
    if count != 1:
        raise MutationError(f"{os.path.relpath(path, ROOT)}: 'find:' occurs "
                            f"{count} times in {m['file']} (must be exactly once)")
    return m


def suite_durations():
    """{test name: seconds} from the last run of the suite in ./build, if
    any (only used to start the longest mutations first)."""
    out = {}
    try:
        with open(os.path.join(ROOT, "build", "meson-logs", "testlog.json")) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    out[r["name"].split(" / ")[-1]] = float(r.get("duration") or 0)
    except (OSError, ValueError, KeyError):
        pass
    return out


def sh(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def sync_tree(src_dir):
    """Copy the repository's files (tracked and untracked, not ignored, as
    they are on disk now) into src_dir; only changed files are rewritten,
    so the scratch build stays incremental."""
    p = sh(["git", "-C", ROOT, "ls-files", "-z", "--cached", "--others",
            "--exclude-standard"])
    if p.returncode != 0:
        raise MutationError(f"git ls-files failed: {p.stderr.strip()}")
    files = {f for f in p.stdout.split("\0") if f and os.path.isfile(os.path.join(ROOT, f))}
    for f in sorted(files):
        src, dst = os.path.join(ROOT, f), os.path.join(src_dir, f)
        with open(src, "rb") as a:
            data = a.read()
        if os.path.exists(dst):
            with open(dst, "rb") as b:
                if b.read() == data:
                    continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "wb") as b:
            b.write(data)
        shutil.copymode(src, dst)
    for dirpath, _, names in os.walk(src_dir):
        for n in names:
            rel = os.path.relpath(os.path.join(dirpath, n), src_dir)
            if rel not in files:
                os.remove(os.path.join(dirpath, n))


def test_results(build):
    """{test name: (meson result, stdout, seconds)} from the last `meson
    test` run."""
    out = {}
    with open(os.path.join(build, "meson-logs", "testlog.json")) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                out[r["name"].split(" / ")[-1]] = (r["result"], r.get("stdout") or "",
                                                   float(r.get("duration") or 0))
    return out


def run_tests(build, names, procs, fail_fast=False):
    """Runs the tests; with fail_fast, a test of tests/integration/rwtest.py
    stops at its first failed check (REWIND_FAIL_FAST=1): a mutation only
    needs one, and most of the mutation stage's time was the rest of the
    tests' checks after the one that caught it."""
    env = dict(os.environ, **SANITIZER_ENV)
    if fail_fast:
        env["REWIND_FAIL_FAST"] = "1"
    sh(["meson", "test", "-C", build, "--no-rebuild", "--num-processes", str(procs),
        *names], env=env)
    return test_results(build)


def fail_lines(stdout, limit=3):
    """The first FAIL lines of a test's output: what caught the mutation."""
    lines = [l for l in stdout.splitlines() if l.startswith("FAIL")]
    more = f" (+{len(lines) - limit} more)" if len(lines) > limit else ""
    return "".join(f"\n    {l[:160]}" for l in lines[:limit]) + more


def build_tree(build, targets=None):
    """ninja in `build`: everything, or only `targets` (ninja's names)."""
    p = sh(["ninja", "-C", build, *(targets or [])])
    return p.returncode == 0, (p.stdout + p.stderr)[-2000:]


def test_targets(build):
    """{test name: the ninja targets it runs}: the files of the targets
    each test depends on (meson's `depends`, its executable). Building
    only those after a mutation skips relinking the dozens of programs a
    changed library goes into; a program a test uses without declaring
    it would stay unmutated, so the mutation would survive: a loud
    failure, never a false catch."""
    p = sh(["meson", "introspect", build, "--targets", "--tests"])
    if p.returncode != 0:
        raise MutationError(f"meson introspect {build} failed: {p.stderr.strip()}")
    info = json.loads(p.stdout)
    files = {t["id"]: [os.path.relpath(f, build) for f in t["filename"]]
             for t in info["targets"]}
    out = {}
    for t in info["tests"]:
        names = [f for d in t["depends"] for f in files.get(d, [])]
        exe = t["cmd"][0] if t["cmd"] else ""
        if os.path.isabs(exe) and exe.startswith(os.path.abspath(build) + os.sep):
            names.append(os.path.relpath(exe, build))
        out[t["name"]] = sorted(set(names))
    return out


def prepare_build(build, src, kind, muts, t0, procs, baseline=True):
    """Configure (once) and build the unmutated copy in `build`, check the
    tests of this build's mutations exist and (with `baseline`) pass;
    returns an error message or None. The other workers' copies are the
    same files, so one baseline run covers them all."""
    if not os.path.exists(os.path.join(build, "build.ninja")):
        p = sh(["meson", "setup", build, src, *BUILDS[kind]])
        if p.returncode != 0:
            return f"meson setup {build} failed:\n{p.stdout[-2000:]}{p.stderr[-2000:]}"
    ok, log = build_tree(build)
    if not ok:
        return f"the unmutated copy does not build in {build}:\n{log}"
    try:
        TARGETS[build] = test_targets(build)
    except (MutationError, ValueError, KeyError) as e:
        return str(e)
    p = sh(["meson", "test", "-C", build, "--list"])
    registered = {line.split(" / ", 1)[1].strip() for line in p.stdout.splitlines()
                  if " / " in line}
    mine = [m for m in muts if m["build"] == kind]
    errors = [f"{m['name']}.mutation: no test named {t!r} is registered "
              "(meson test --list)"
              for m in mine for t in m["tests"] if t not in registered]
    if errors:
        return "\n".join(errors)
    if not baseline:
        return None
    needed = sorted({t for m in mine for t in m["tests"]})
    base = run_tests(build, needed, procs)
    bad = [t for t in needed if base.get(t, ("",))[0] != "OK"]
    if bad:
        return ("these tests fail without any mutation: "
                + ", ".join(f"{t} ({base.get(t, ('not run',))[0]})" for t in bad))
    print(f"mutations: baseline ok ({len(needed)} tests, {kind} build), "
          f"{time.monotonic() - t0:.0f} s", flush=True)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help="mutations to run (default: all)")
    ap.add_argument("--list", action="store_true", help="list the mutations")
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "mutants"),
                    help="scratch directory (default: build/mutants)")
    ap.add_argument("--jobs", "-j", type=int,
                    default=os.cpu_count() or 1,
                    help="workers, each with its own copy and build, each "
                         "running one mutation at a time (default: one "
                         "per core)")
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip the run of the listed tests without any "
                         "mutation: only right just after the whole suite "
                         "passed on the same files (scripts/test.sh "
                         "does that)")
    args = ap.parse_args()

    paths = sorted(glob.glob(os.path.join(HERE, "*.mutation")))
    muts, errors = [], []
    for p in paths:
        try:
            muts.append(parse(p))
        except MutationError as e:
            errors.append(str(e))
    known = {m["name"] for m in muts} | {os.path.basename(p)[:-9] for p in paths}
    for n in args.names:
        if n not in known:
            errors.append(f"no mutation named {n!r} (tests/mutations/{n}.mutation)")
    if errors:
        for e in errors:
            print(f"mutations: error: {e}", file=sys.stderr)
        return 2
    if args.names:
        muts = [m for m in muts if m["name"] in args.names]
    if args.list:
        for m in muts:
            print(f"{m['name']}: {m['file']} -> {' '.join(m['tests'])}\n    {m['about']}")
        return 0
    if not muts:
        print("mutations: none found", file=sys.stderr)
        return 2

    t0 = time.monotonic()
    jobs = max(1, min(args.jobs, len(muts)))
    procs = max(1, (os.cpu_count() or 2) // jobs)
    # Worker 0 works in WORK/src and WORK/build (where a single runner always
    # has), worker i in WORK/wI/; each has its own copy, so that two
    # mutations are never applied to one tree.
    workers = []
    for i in range(jobs):
        base = args.work if i == 0 else os.path.join(args.work, f"w{i}")
        workers.append({"src": os.path.join(base, "src"),
                        "build": os.path.join(base, "build"), "builds": {}})
    try:
        for w in workers:
            os.makedirs(w["src"], exist_ok=True)
            sync_tree(w["src"])
    except MutationError as e:
        print(f"mutations: error: {e}", file=sys.stderr)
        return 2

    # Sanitizer builds are slow to make: only worker 0 has one, and it takes
    # every mutation that needs it. Each worker starts on the mutations as
    # soon as its own copy is built; the longest first (by the suite's last
    # test times), so that no worker is left with a long one at the end.
    kinds = sorted({m["build"] for m in muts})
    errors = []
    pinned = [m for m in muts if m["build"] != "default"]
    shared = queue.Queue()
    est = suite_durations()
    for m in sorted((m for m in muts if m["build"] == "default"),
                    key=lambda m: -sum(est.get(t, 30.0) for t in m["tests"])):
        shared.put(m)
    lock = threading.Lock()
    counts = {"caught": 0, "survived": 0, "broken": 0}

    def report(kind, text):
        with lock:
            counts[kind] += 1
            print(text, flush=True)

    def work(i, w):
        for kind in kinds if i == 0 else ["default"]:
            b = w["build"] if kind == "default" else f"{w['build']}-{kind}"
            err = prepare_build(b, w["src"], kind, muts, t0, procs,
                                baseline=(i == 0 and not args.no_baseline))
            if err:
                errors.append(err)
                return
            w["builds"][kind] = b
        mine = list(pinned) if i == 0 else []
        while not errors:
            if mine:
                m = mine.pop(0)
            else:
                try:
                    m = shared.get_nowait()
                except queue.Empty:
                    return
            run_one(m, w, procs, report)

    threads = [threading.Thread(target=work, args=(i, w)) for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print(f"mutations: error: {errors[0]}", file=sys.stderr)
        return 2
    print(f"mutations: {counts['caught']} caught, {counts['survived']} survived, "
          f"{counts['broken']} errors ({time.monotonic() - t0:.0f} s, {jobs} workers)")
    return 0 if counts["caught"] == len(muts) else 1


def run_one(m, w, procs, report):
    """Applies one mutation to a worker's copy, builds, runs its tests and
    puts the file back."""
    target = os.path.join(w["src"], m["file"])
    with open(target, encoding="utf-8") as f:
        original = f.read()
    try:
        with open(target, "w", encoding="utf-8") as f:
            f.write(original.replace(m["find"], m["replace"], 1))
        t1 = time.monotonic()
        build = w["builds"][m["build"]]
        targets = sorted({f for t in m["tests"] for f in TARGETS[build].get(t, [])})
        ok, log = build_tree(build, targets or None)
        if not ok:
            report("broken", f"{m['name']}: ERROR: does not compile with the mutation "
                             f"(fix {m['name']}.mutation):\n{log}")
            return
        built = time.monotonic() - t1
        # A mutation's tests side by side: most of a slow one's time is a
        # wait (for output a mutant never gives), which leaves the core
        # idle; the checks' CPU time is the same either way.
        res = run_tests(build, m["tests"], max(procs, min(len(m["tests"]),
                                                          os.cpu_count() or 1)),
                        fail_fast=True)
        failed = [t for t in m["tests"] if res.get(t, ("",))[0]
                  in ("FAIL", "TIMEOUT", "ERROR", "UNEXPECTEDPASS")]
        passed = [t for t in m["tests"] if t not in failed]
        secs = time.monotonic() - t1
        # Each test's time and, when not a plain failure, its result (a
        # TIMEOUT is a test that waited for meson's limit: the slow ones).
        each = " ".join(f"{t} {res[t][2]:.0f} s"
                        + ("" if res[t][0] == "FAIL" else f" {res[t][0]}")
                        for t in failed)
        if not passed:
            report("caught", f"{m['name']}: caught by {' '.join(failed)} "
                   f"({secs:.0f} s, build {built:.0f} s; {each})"
                   + "".join(fail_lines(res[t][1]) for t in failed))
        else:
            report("survived", f"{m['name']}: SURVIVED: "
                   + ", ".join(f"{t} {res.get(t, ('not run',))[0]}" for t in passed)
                   + (f" (caught only by {' '.join(failed)})" if failed else ""))
    finally:
        with open(target, "w", encoding="utf-8") as f:
            f.write(original)


if __name__ == "__main__":
    sys.exit(main())
