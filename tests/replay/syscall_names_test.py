#!/usr/bin/env python3
"""The shell's name tables (shell/dnames.c) against their sources.

System calls: every __NR_ number of the riscv64 Linux headers the cross
compiler installs (gcc-riscv64-linux-gnu, linux-libc-dev-riscv64-cross:
<asm/unistd.h> and the asm-generic header it includes), preprocessed with
the cross compiler (`-dM -E` for the names, `-E` for their values, since
some are spelled through __NR3264_ aliases or `__NR_arch_specific_syscall
+ N`), must be in the table under the same name. The table may hold calls
newer than those headers only past their last number (__NR_syscalls) or in
the architecture's own range (244..259). A missing cross compiler or
header fails the test: scripts/setup-deps.sh installs them.

SBI extensions (SBI spec v3.0, chapter 3 and the extension chapters): the
legacy EIDs 0x00-0x08, Base 0x10, and every other extension at the EID
spelled by its name's ASCII (IPI's name is "sPI").

    syscall_names_test.py DIX_DRIVER CROSS_CC
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

DRIVER, CROSS_CC = sys.argv[1], sys.argv[2]
failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures += 1
    return ok


def preprocess(source, *flags):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "nr.c")
        with open(path, "w") as f:
            f.write(source)
        r = subprocess.run([CROSS_CC, *flags, "-E", path], capture_output=True,
                           text=True, timeout=60)
    if r.returncode != 0:
        print(f"FAIL {CROSS_CC} -E: {r.stderr.strip()[:500]}")
        sys.exit(1)
    return r.stdout


def header_syscalls():
    """{number: name} of <asm/unistd.h>."""
    names = sorted(set(re.findall(r"^#define __NR_(\w+) ",
                                  preprocess("#include <asm/unistd.h>\n", "-dM"),
                                  re.M)))
    names = [n for n in names if n not in ("syscalls", "arch_specific_syscall")]
    body = "#include <asm/unistd.h>\n" + "".join(
        f"NR {n} = __NR_{n}\n" for n in names + ["syscalls"])
    out = {}
    last = None
    for line in preprocess(body, "-P").splitlines():
        m = re.match(r"NR (\w+) = ([0-9+() ]+)$", line)
        if not m:
            continue
        value = sum(int(t) for t in re.findall(r"\d+", m.group(2)))
        if m.group(1) == "syscalls":
            last = value
        else:
            out[value] = m.group(1)
    return out, last


def table():
    ids = [f"0x{eid:x}" for eid in SBI]
    r = subprocess.run([DRIVER, "--names", *ids], capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0:
        print(f"FAIL {DRIVER} --names: {r.stderr.strip()}")
        sys.exit(1)
    sys_, sbi = {}, {}
    for line in r.stdout.splitlines():
        f = line.split()
        if f[0] == "syscall":
            sys_[int(f[1])] = (f[2], int(f[3]))
        elif f[0] == "sbi":
            sbi[int(f[1], 16)] = " ".join(f[2:])
    return sys_, sbi


def ascii_eid(name):
    return int.from_bytes(name.encode(), "big")


# The SBI spec's extensions: legacy ones by number, the rest by name.
SBI = {0x00: "legacy set_timer", 0x01: "legacy console_putchar",
       0x02: "legacy console_getchar", 0x03: "legacy clear_ipi",
       0x04: "legacy send_ipi", 0x05: "legacy remote_fence_i",
       0x06: "legacy remote_sfence_vma",
       0x07: "legacy remote_sfence_vma_asid", 0x08: "legacy shutdown",
       0x10: "BASE", ascii_eid("sPI"): "IPI"}
for ext in ("TIME", "RFNC", "HSM", "SRST", "PMU", "DBCN", "SUSP", "CPPC",
            "NACL", "STA", "SSE", "FWFT", "DBTR", "MPXY"):
    SBI[ascii_eid(ext)] = ext

if not shutil.which(CROSS_CC) and not os.path.exists(CROSS_CC):
    print(f"FAIL the riscv64 Linux cross compiler {CROSS_CC!r} is not installed "
          "(gcc-riscv64-linux-gnu and linux-libc-dev-riscv64-cross: run "
          "scripts/setup-deps.sh)")
    sys.exit(1)

hdr, last = header_syscalls()
tab, sbi = table()
check(len(hdr) > 250 and last is not None,
      f"the cross headers define {len(hdr)} system calls (__NR_syscalls {last})")
wrong = [f"{nr}: header {name}, table {tab[nr][0] if nr in tab else '(none)'}"
         for nr, name in sorted(hdr.items())
         if nr not in tab or tab[nr][0] != name]
check(not wrong, "every __NR_ number of <asm/unistd.h> has its name in the "
      "table" + "".join(f"\n       {w}" for w in wrong[:20]))
extra = sorted(nr for nr in tab if nr not in hdr)
bad_extra = [f"{nr} {tab[nr][0]}" for nr in extra
             if not (nr >= last or 244 <= nr < 260)]
check(not bad_extra, "the table names no number the headers leave free "
      "(below __NR_syscalls, outside 244..259)"
      + "".join(f"\n       {w}" for w in bad_extra))
print(f"     newer than the headers: "
      f"{', '.join(f'{nr} {tab[nr][0]}' for nr in extra if nr not in bad_extra)}")
check(all(0 <= n <= 6 for _, n in tab.values()),
      "every argument count is 0..6")
check(tab.get(221) == ("execve", 3) and tab.get(64) == ("write", 3)
      and tab.get(222) == ("mmap", 6) and tab.get(0) == ("io_setup", 2),
      "execve(3), write(3), mmap(6), io_setup(2)")

wrong = [f"0x{eid:x}: spec {name}, table {sbi.get(eid)}"
         for eid, name in SBI.items() if sbi.get(eid) != name]
check(not wrong, f"the {len(SBI)} SBI extensions of the spec are named at "
      "their EIDs" + "".join(f"\n       {w}" for w in wrong))

if failures:
    print(f"{failures} check(s) failed")
    sys.exit(1)
