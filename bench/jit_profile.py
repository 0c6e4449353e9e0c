#!/usr/bin/env python3
"""jit_profile.py - attribute the samples of a `perf record` of rewind to
the JIT's blocks.

usage: bench/jit_profile.py PERF_DATA PERF_MAP [TOP]

PERF_MAP is the /tmp/perf-PID.map that rewind writes with
REWIND_PERF_MAP=1 (one line per piece of host code: address, size,
name: guest_PC for a block, jit_link_PC for a link's way into the block
at PC, jit_enter, jit_sync, jit_load_4s... for the code the blocks
share). perf itself does not apply it to the JIT's memfd mapping, so
this script reads `perf script` and looks each sample up in the map;
samples outside the JIT code keep perf's symbol. Prints the share of
samples in JIT code (blocks, ways in, shared code), then the TOP
(default 40) blocks and functions.
"""
import bisect
import collections
import subprocess
import sys

if len(sys.argv) < 3:
    sys.exit(__doc__.split('\n\n')[1])
perf, mapf = sys.argv[1], sys.argv[2]
ents = []
for l in open(mapf):
    a, n, name = l.split()
    ents.append((int(a, 16), int(n, 16), name))
ents.sort()
starts = [e[0] for e in ents]
out = subprocess.run(['perf', 'script', '-i', perf, '-F', 'ip,sym,dso', '-G'], capture_output=True, text=True).stdout
cnt = collections.Counter(); tot = 0
for l in out.splitlines():
    p = l.split()
    if not p: continue
    try: ip = int(p[0], 16)
    except ValueError: continue
    tot += 1
    i = bisect.bisect_right(starts, ip) - 1
    if i >= 0 and ents[i][0] <= ip < ents[i][0] + ents[i][1]:
        cnt['JIT ' + ents[i][2]] += 1
    else:
        sym = p[1] if len(p) > 1 else '?'
        cnt[sym + ' ' + (p[-1] if len(p) > 2 else '')] += 1
jit = sum(v for k, v in cnt.items() if k.startswith('JIT'))
part = collections.Counter()
for k, v in cnt.items():
    if k.startswith('JIT guest_'):
        part['blocks'] += v
    elif k.startswith('JIT jit_link_'):
        part['ways in'] += v
    elif k.startswith('JIT'):
        part['shared'] += v
print(f"samples {tot}, in JIT code {100*jit/tot:.1f}% (" +
      ", ".join(f"{k} {100*v/tot:.1f}%" for k, v in part.most_common()) + ")")
for k, v in cnt.most_common(int(sys.argv[3]) if len(sys.argv) > 3 else 40):
    print(f"{100*v/tot:6.2f}% {k}")
