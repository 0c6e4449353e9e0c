"""What the gdb tests share: recording a bare-metal program, and one replay
under gdb-multiarch in batch mode with the output cut per command.

    trace, n = record(REWIND, tmp, "t.rwd", elf, 100)       # n instructions
    r = GdbRun(REWIND, GDB, trace, elf, "stepi", "monitor icount")
    r.out[1], r.icount(1), r.value(i), r.log, r.err

Each command is preceded by an `echo @@i@@` marker, so out[i] is exactly
what commands[i] printed. The replay (started with -S, waiting for gdb) is
stopped and reaped when gdb is done, whatever happened (rwtest.stop).
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import start_gdb_server, stop  # noqa: E402


def record(rewind, tmp, name, elf, every, *extra):
    """Record elf bare-metal in tmp/name with a checkpoint every `every`
    instructions; returns (trace, instructions recorded)."""
    trace = os.path.join(tmp, name)
    r = subprocess.run([rewind, "record", "-o", trace, "--checkpoint-every",
                        str(every), "-M", "virt", "-bios", "none", "-nographic",
                        *extra, "-kernel", elf],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       check=True, timeout=300)
    m = re.search(r"recorded (\d+) instructions", r.stderr)
    return trace, int(m.group(1))


class GdbRun:
    """One replay of trace under gdb: out[i] is what commands[i] printed,
    log all of gdb's output, err the replay's stderr after gdb left."""

    def __init__(self, rewind, gdb, trace, elf, *commands, script=None):
        rw, port = start_gdb_server(rewind, "replay", trace, "-S",
                                    stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, text=True)
        try:
            line = rw.stderr.readline()
            assert "waiting for gdb" in line, line
            args = [gdb, "-batch", "-nx"]
            if script:
                args += ["-x", script]
            args += ["-ex", "set architecture riscv:rv64", "-ex", f"file {elf}",
                     "-ex", f"target remote 127.0.0.1:{port}"]
            for i, c in enumerate(commands):
                args += ["-ex", f"echo @@{i}@@\\n", "-ex", c]
            g = subprocess.run(args, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, timeout=300)
            try:
                rw.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pass
        finally:
            stop(rw)
        self.log = g.stdout
        self.err = rw.stderr.read()
        parts = re.split(r"^@@(\d+)@@\n", g.stdout, flags=re.M)
        self.out = [""] * len(commands)
        for k in range(1, len(parts) - 1, 2):
            self.out[int(parts[k])] = parts[k + 1]

    def value(self, i):
        """The value of `p EXPR` command i printed, or None."""
        m = re.search(r"^\$\d+ = (.*)$", self.out[i], re.M)
        return m.group(1) if m else None

    def icount(self, i):
        m = re.fullmatch(r"icount (\d+)\n", self.out[i])
        return int(m.group(1)) if m else None
