"""The JIT gives the same run as the interpreter.

1. Exact icount and mid-block traps: guests that take page faults,
   misaligned-AMO, illegal-instruction and CSR traps in the middle of
   blocks, interrupts, and self-modifying code are stopped with
   --max-insns at many points (inside blocks too), with the JIT and with
   the interpreter: the icount and the state hash must be equal at each.
2. A trace recorded with the JIT verifies with the interpreter
   (`verify -accel tcg,jit=off`, every checkpoint's hash checked) and the
   other way round, and seeks agree.
3. --trace-jit writes each translated block, guest then host code, and
   is refused without the JIT.
4. A host that refuses executable memory: jit=on is refused at start-up;
   the default says so and runs the interpreter.
3 and 4 run first: they are a few runs, 1 and 2 hundreds.
Usage: jit_test.py REWIND ELF...
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run, spawn, stats  # noqa: E402

# The same checks under every test setup: they name the engine where it
# matters, expect every block translated at once (the default setup's
# threshold; the interp setup leaves the product's 16, so the reset
# vector's block, run once, would never be), and check the default
# engine as a user without REWIND_JIT gets it.
os.environ["REWIND_JIT_THRESHOLD"] = "1"
os.environ.pop("REWIND_JIT", None)

exe = sys.argv[1]
elfs = sys.argv[2:]
t = Suite("jit")
tmp = tempfile.mkdtemp()
BOARD = ["-M", "virt", "-bios", "none", "-nographic"]


def jit(on):
    return ["-accel", "tcg,jit=" + ("on" if on else "off")]


def run_stats(elf, on, limit=None):
    extra = ["--max-insns", str(limit)] if limit else []
    rc, out, err = run(exe, "run", *BOARD, *jit(on), "--stats", *extra,
                       "-kernel", elf, timeout=120)
    s = stats(err)
    return rc, out, (s.get("icount"), s.get("state_hash"))


# --trace-jit.
tj = os.path.join(tmp, "jit.txt")
rc, out, err = run(exe, "run", *BOARD, *jit(True), "--trace-jit", tj,
                   "-kernel", elfs[0], timeout=120)
text = open(tj).read() if os.path.exists(tj) else ""
t.check(rc == 0 and "IN: pc 0x0000000000001000" in text and "OUT:" in text
        and "mov " in text and "jmp " in text and "auipc" in text,
        "--trace-jit writes guest blocks and their host code", text[:800])
# Blocks of one jump or branch (the largest host code per instruction:
# two chained exits) are translated too, not left to the interpreter.
one = [b for b in text.split("\n\n") if "(1 insns)" in b and
       any(f"  {j} " in b for j in ("jal", "beq", "bne", "blt", "bge",
                                     "bltu", "bgeu", "j", "jr"))]
t.check(one, "one-instruction jump/branch blocks are translated",
        text[:400])
# Live registers (docs/jit.md): the budget of chained blocks in rdi, so
# a self-loop's back edge is two instructions on registers (no
# read-modify-write of cpu->chain_left; since session 22 no look at the
# attention word, a call that leaves it set stops the chain through the
# budget, and the budget biased by the running iteration, so no compare
# either: `sub rdi, n; jge head`, after a `sub rdi, n` before the head),
# and -dwin_base in r8, so an M-mode load checks the direct window with
# one lea, a compare with dwin_limit and a branch.
blocks = [b for b in text.split("\n\n") if b.startswith("IN:")]
back_edge = re.compile(r"^\s+\S+:\s+sub\s+rdi, (\w+)\n\s+\S+:\s+jge\s+\S+\n"
                       r"\s+\S+:\s+add\s+rdi, \1\n", re.M)
window = re.compile(r"^\s+\S+:\s+lea\s+r11, \[\w+ \+ r8[^\]]*\]\n\s+\S+:\s+"
                    r"cmp\s+r11, qword ptr \[rbx \+ 0x\w+\]\n\s+\S+:\s+jae\s",
                    re.M)
t.check(any(back_edge.search(b) for b in blocks),
        "a self-loop's back edge counts the budget in rdi (2 instructions)",
        "\n\n".join(blocks[:2])[:1500])
t.check(any(window.search(b) for b in blocks),
        "an M-mode load checks the direct window with one lea (r8)",
        "\n\n".join(blocks[:2])[:1500])
# Register caching: each block keeps the guest registers its inlined
# instructions use most (those used at least twice first, up to five) in
# host registers, listed on its CACHE: line (the registers it only
# carries for the next block are on its CARRY: line). The uses are counted here from the
# disassembly (x0 never counts); a compressed or pseudo form may show
# fewer operands than the instruction uses, so this count is a lower
# bound and the check holds for any correct choice.
ABI = {"ra", "sp", "gp", "tp", "fp"} | {f"t{i}" for i in range(7)} | \
    {f"s{i}" for i in range(12)} | {f"a{i}" for i in range(8)}
short = []
for b in text.split("\n\n"):
    lines = b.split("\n")
    cache = next((ln.split()[1:] for ln in lines
                  if ln.startswith("CACHE:")), None)
    if not lines[0].startswith("IN:") or cache is None:
        continue
    uses = {}
    for ln in lines[1:]:
        if ln.startswith("CACHE:"):
            break
        if "[call]" in ln:
            continue
        parts = ln.split(None, 3)   # pc, bits, mnemonic, operands
        ops = parts[3] if len(parts) > 3 else ""
        for tok in re.split(r"[,()\s]+", ops):
            if tok in ABI:
                uses[tok] = uses.get(tok, 0) + 1
        # c.jal and c.jalr write ra without naming it
        if len(parts) > 2 and parts[2] in ("c.jal", "c.jalr"):
            uses["ra"] = uses.get("ra", 0) + 1
    hot = [r for r, c in uses.items() if c >= 2]
    if len(cache) < min(5, len(hot)) or not set(cache) <= set(uses):
        short.append(f"{lines[0]}: uses {uses}, cached {cache}")
t.check(text.count("CACHE:") == text.count("IN: pc") and not short,
        "blocks keep their most used guest registers in host registers",
        "\n  ".join(short[:5]))
# REWIND_PERF_MAP=1: /tmp/perf-PID.map names each block's host code, the
# same address and size as --trace-jit shows, as guest_PC; the code the
# blocks share and the ways in of links have names of their own.
p = spawn([exe, "run", *BOARD, *jit(True), "--trace-jit", tj, "-kernel",
           elfs[0]], env=dict(os.environ, REWIND_PERF_MAP="1"),
          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
rc = p.wait(120)
perf_map = f"/tmp/perf-{p.pid}.map"
lines = open(perf_map).read().splitlines() if os.path.exists(perf_map) else []
if os.path.exists(perf_map):
    os.unlink(perf_map)
blocks = re.findall(r"^IN: pc 0x0*([0-9a-f]+) .*\n(?:(?!IN: ).*\n)*?OUT: (\d+) bytes\n"
                    r"  0x([0-9a-f]+):", open(tj).read(), re.M)
want = {f"{int(a, 16):x} {int(n):x} guest_{pc}" for pc, n, a in blocks}
named = [ln for ln in lines if ln.split()[-1].startswith("guest_")]
t.check(rc == 0 and blocks and set(named) == want and len(named) == len(blocks),
        f"REWIND_PERF_MAP=1 names the {len(blocks)} translated blocks in "
        "/tmp/perf-PID.map", f"{named[:5]} vs {sorted(want)[:5]}")
stubs = {ln.split()[-1] for ln in lines} - {ln.split()[-1] for ln in named}
links = re.findall(r"^LINK: to pc 0x0*([0-9a-f]+):", open(tj).read(), re.M)
t.check({"jit_enter", "jit_leave", "jit_sync", "jit_exit", "jit_load_4s",
         "jit_store_8"} <= stubs and links and
        {f"jit_link_{pc}" for pc in links} <= stubs,
        "REWIND_PERF_MAP=1 names the shared code and the links' ways in",
        f"{sorted(stubs)[:20]}, links to {links[:5]}")
rc, out, err = run(exe, "run", *BOARD, *jit(False), "--trace-jit", tj,
                   "-kernel", elfs[0], timeout=60)
t.check(rc != 0 and "--trace-jit" in err and "JIT is off" in err,
        "--trace-jit without the JIT is refused, naming the option", err)

# Registers across links (jit_regs.c): a link whose target keeps the
# same guest registers in the same host registers passes them in place;
# its swap case rotates three registers (a cycle: two move, the third is
# written back and loaded) and its carry case keeps s1 in a block that
# does not use it.
regs = [e for e in elfs if os.path.basename(e) == "jit_regs.elf"]
if regs:
    rc, out, err = run(exe, "run", *BOARD, *jit(True), "--trace-jit", tj,
                       "-kernel", regs[0], timeout=60)
    text = open(tj).read() if os.path.exists(tj) else ""
    links = re.findall(r"^LINK: to pc \S+: kept (\d+), moved (\d+), "
                       r"stored (\d+), loaded (\d+)$", text, re.M)
    t.check(rc == 0 and ("0", "2", "2", "1") in links and
            any(int(k) >= 4 for k, _, _, _ in links),
            "links pass cached registers on: kept in place, a swap",
            "\n".join(re.findall(r"^LINK.*$", text, re.M)[:20]))
    carry = [b for b in text.split("\n\n") if "addi a5,a5,1" in b and
             "slli a5,a5,0x1" in b]
    t.check(len(carry) == 1 and "\nCARRY: s1\n" in carry[0],
            "a block passes on a register it does not use",
            carry[0][:600] if carry else text[:400])

# Stores next to code invalidate nothing: smc.c stores 200 times around
# smc_near (same page) and calls it in between; a page-wide invalidation
# translated it once per store.
smc = [e for e in elfs if os.path.basename(e) == "smc.elf"]
if smc:
    rc, out, err = run(exe, "run", *BOARD, *jit(True), "--trace-jit", tj,
                       "-kernel", smc[0], timeout=120)
    text = open(tj).read() if os.path.exists(tj) else ""
    near = [b for b in text.split("\n\n") if "addi a0,a0,1717" in b]
    # A store into the running block's own next instruction ends the
    # block, so the new instruction runs even without fence.i (rewind's
    # choice; the spec leaves it open).
    t.check("without fence.i ran the new instruction" in out,
            "a store into the running block's own code ends the block",
            out[-300:])
    t.check(rc == 0 and len(near) == 1,
            "a store next to code keeps its translation (smc_near "
            "translated once)", f"rc {rc}, {len(near)} translations")

# Breakpoints keep chaining (jit.c, Gen.closed): a block at a breakpoint
# takes no chained jump, a loop on itself included, so with the JIT a
# breakpoint at the head of such a loop stops on every pass, at the
# icounts the interpreter stops at; without one, the replay chains as
# fast as a plain one.
rc, out, err = run(exe, "run", *BOARD, *jit(True), "--trace-jit", tj,
                   "-kernel", elfs[0], timeout=120)


def loop_target(block):
    """The pc a jump back inside this block goes to (hex), or None."""
    pcs = [int(m, 16) for m in re.findall(r"^  0x([0-9a-f]+):", block, re.M)]
    for m in re.finditer(r"^  0x([0-9a-f]+):\s+\S+\s+c?\.?(?:j|b\w+)\s.*"
                         r"0x([0-9a-f]+)$", block, re.M):
        at, to = int(m[1], 16), int(m[2], 16)
        if to in pcs and to <= at:
            return f"{to:x}"
    return None


def return_sites(text):
    """Block starts right after a call (jal/jalr ra): the returns reach
    them through the hart's jump cache, not a link."""
    starts = set(re.findall(r"^IN: pc 0x0*([0-9a-f]+) ", text, re.M))
    sites = []
    for m in re.finditer(r"^  0x([0-9a-f]+):\s+(\S+)\s+(c\.jalr?|jalr?)\s+"
                         r"(ra,|ra$)?", text, re.M):
        if m[4] or m[3].startswith("c."):
            nxt = f"{int(m[1], 16) + len(m[2]) // 2:x}"
            if nxt in starts and nxt not in sites:
                sites.append(nxt)
    return sites


text = open(tj).read() if rc == 0 else ""
loops = [loop_target(b) for b in text.split("\n\n")
         if b.startswith("IN:") and back_edge.search(b)]
loops = [pc for pc in loops if pc]
rets = return_sites(text)
bp_trace = os.path.join(tmp, "bp.rwd")
rc, out, err = run(exe, "record", "-o", bp_trace, *BOARD, "-kernel",
                   elfs[0], timeout=120)

def stops_at(points, n):
    """The icount and pc of the first n stops at breakpoints on points,
    with each engine."""
    cmds = "".join(f"break 0x{pc}; " for pc in points) + "continue; " * n
    found = {}
    for engine in ("jit", "interp"):
        env = dict(os.environ, REWIND_JIT="off" if engine == "interp"
                   else "on")
        _, out, _ = run(exe, "shell", bp_trace, "-c", cmds, env=env,
                        timeout=120)
        found[engine] = re.findall(r"^icount (\d+) .* pc 0x0*([0-9a-f]+) ",
                                   out, re.M)
    return found


stops = stops_at(loops[:1], 6) if loops and rc == 0 else {}
t.check(stops and len(set(stops["jit"])) == 6 and
        stops["jit"] == stops["interp"],
        "a breakpoint at the head of a self-looping block stops every pass "
        "with the JIT, where the interpreter does", f"{stops}")
# Return sites, reached by ret through the jump cache (chain_indirect):
# closed too.
stops = stops_at(rets[:12], 40) if len(rets) >= 4 and rc == 0 else {}
t.check(stops and len(set(stops["jit"])) >= 20 and
        stops["jit"] == stops["interp"],
        f"breakpoints after {len(rets[:12])} calls stop on every return "
        "with the JIT, where the interpreter does",
        f"{stops.get('jit', [])[:10]} vs {stops.get('interp', [])[:10]}")


# 4. A host that refuses the code buffer (here a file-size limit below the
# buffer's memfd): known at start-up. jit=on is an error naming the
# option; the default says so once and runs the interpreter.
def small_files():
    import resource
    import signal
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))


def limited(*args):
    import subprocess
    p = subprocess.run([exe, "run", *BOARD, *args, "-kernel", elfs[-1]],
                       preexec_fn=small_files, capture_output=True,
                       text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


rc, out, err = limited(*jit(True))
t.check(rc == 1 and "-accel tcg,jit=on" in err and "code buffer" in err and
        out == "", "jit=on without a code buffer: refused at start-up", err)
rc, out, err = limited()
t.check(rc == 0 and "PASS" in out and err.count("running without the JIT") == 1,
        "the default without a code buffer runs the interpreter, said once",
        f"rc={rc} {err}")
# 1 and 2 last: they take most of the test's time (hundreds of runs),
# and a mutation the checks above catch is then caught in seconds (the
# mutation runner stops at the first failed check).
for elf in elfs:
    name = os.path.basename(elf)
    rc_i, out_i, end_i = run_stats(elf, False)
    rc_j, out_j, end_j = run_stats(elf, True)
    t.check(rc_i == rc_j == 0 and out_i == out_j and end_i == end_j,
            f"{name}: same console and end state, JIT and interpreter",
            f"interp {rc_i} {end_i}, jit {rc_j} {end_j}\n{out_j[-400:]}")
    total = int(end_i[0] or 0)
    # Points everywhere in the run, most of them inside blocks.
    points = sorted({min(total - 1, total * k // 17 + k * 7)
                     for k in range(1, 17)} |
                    {max(1, total - d) for d in (1, 2, 3, 5, 17)})
    bad = []
    for n in points:
        a = run_stats(elf, False, n)[2]
        b = run_stats(elf, True, n)[2]
        if a != b or a[0] != str(n):
            bad.append(f"--max-insns {n}: interp {a}, jit {b}")
    t.check(not bad, f"{name}: same icount and state at {len(points)} stops",
            "\n  ".join(bad[:5]))

# Cross-engine record and verify (priv_irq: timer interrupts at exact
# icounts; the first ELF given otherwise).
rec_elf = next((e for e in elfs if "priv_irq" in e), elfs[0])
for rec_on in (True, False):
    d = os.path.join(tmp, f"rec-{rec_on}.rwd")
    rc, out, err = run(exe, "record", "-o", d, "--checkpoint-every", "5000",
                       *BOARD, *jit(rec_on), "-kernel", rec_elf, timeout=300)
    t.check(rc == 0 and "PASS" in out,
            f"record with jit={'on' if rec_on else 'off'}", out + err)
    rc, out, err = run(exe, "verify", d, *jit(not rec_on), timeout=300)
    t.check(rc == 0 and "replay identical" in err,
            f"recorded with jit={'on' if rec_on else 'off'}, verified with "
            f"jit={'off' if rec_on else 'on'}", err)
    if rec_on:
        # Side exits are a host choice too: blocks cut at every branch
        # run the same instructions.
        rc, out, err = run(exe, "verify", d, *jit(True), timeout=300,
                           env=dict(os.environ, REWIND_SIDE_EXITS="0"))
        t.check(rc == 0 and "replay identical" in err,
                "recorded with side exits (8), verified without (0)", err)
    total = int(stats(run(exe, "replay", d, "--quiet", "--stats")[2])
                .get("icount", "0"))
    bad = []
    for n in (total // 3 + 1, total // 2 + 3, total - 7):
        a = stats(run(exe, "replay", d, "--quiet", "--seek", str(n),
                      "--stats", *jit(False))[2])
        b = stats(run(exe, "replay", d, "--quiet", "--seek", str(n),
                      "--stats", *jit(True))[2])
        if a.get("state_hash") != b.get("state_hash") or a.get("icount") != str(n):
            bad.append(f"{n}: {a} vs {b}")
    t.check(not bad, "seeks agree between the engines", "\n  ".join(bad))

shutil.rmtree(tmp)
t.finish()
