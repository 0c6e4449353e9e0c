#!/bin/bash
# run.sh - time the cpu-mix workload side by side, in one run on one
# machine: rewind with the JIT (-accel tcg,jit=on), rewind's interpreter
# (jit=off), rewind recording with the JIT, QEMU plain and QEMU -icount
# (the mode its record/replay needs), then the ratios (issue 13's goals:
# recording at >= 1.5x QEMU plain's MIPS).
#
# usage: bench/run.sh [--smoke] [REWIND_BINARY [WORKLOAD_ELF]]
#   --smoke       the one-round workload (build/bench/workload_smoke.elf,
#                 about 10^8 instructions) and one run each: checks that
#                 the script and every emulator work (the bench-run test)
#   env REWIND    rewind binary   (default: build/rewind next to this tree)
#   env WORKLOAD  workload ELF    (default: build/bench/workload.elf)
#   env QEMU      QEMU binary     (default: qemu-system-riscv64)
#   env QEMU_ICOUNT  QEMU's -icount value (default: shift=0)
#   env RUNS      runs per emulator, the fastest counts (default: 3:
#                 QEMU plain varies 2x and more between single runs)
#
# rewind runs with --stats and must print `icount=N` on stderr at exit;
# that count (the program is deterministic) also gives QEMU's MIPS.  If
# rewind is missing or prints no count, the count comes from the guest's
# own "total instret" line, taken from QEMU's -icount run (where instret
# counts instructions).
# Exit status: 0 if every emulator that ran passed the workload.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
workload=workload.elf
if [ "${1:-}" = --smoke ]; then
    shift
    workload=workload_smoke.elf
    RUNS=${RUNS:-1}
fi
rewind=${1:-${REWIND:-$root/build/rewind}}
elf=${2:-${WORKLOAD:-$root/build/bench/$workload}}
qemu=${QEMU:-qemu-system-riscv64}
qemu_icount=${QEMU_ICOUNT:-shift=0}
runs=${RUNS:-3}
machine=(-M virt -bios none -nographic)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

if [ ! -f "$elf" ]; then
    echo "run.sh: workload not found: $elf (build it with ninja -C build)" >&2
    exit 2
fi

now() { date +%s.%N; }

# time_runs NAME CMD... : runs CMD $runs times; sets best (seconds) and
# rc; leaves the last run's output in $tmp/NAME.out and $tmp/NAME.err.
time_runs() {
    local name=$1; shift
    best=
    rc=0
    for ((i = 0; i < runs; i++)); do
        local t0 t1 t
        t0=$(now)
        "$@" </dev/null >"$tmp/$name.out" 2>"$tmp/$name.err"
        rc=$?
        t1=$(now)
        t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
        if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'
        then
            best=$t
        fi
    done
}

guest_instret() {
    grep -aoE 'total instret [0-9]+' "$1" | tail -n 1 | awk '{ print $3 }'
}

mips() {
    awk -v n="$1" -v t="$2" 'BEGIN { if (t > 0) printf "%.1f", n / t / 1e6; else print "?" }'
}

echo "workload: $elf"
icount=
declare -A secs

# row NAME SECONDS: one line of the table
row() {
    printf '%-24s %8s s %9s MIPS\n' "$1" "$2" "$(mips "${icount:-0}" "$2")"
}

# ratio A B TEXT: A's speed over B's (time B / time A), if both ran
ratio() {
    local a=${secs[$1]:-} b=${secs[$2]:-}
    [ -n "$a" ] && [ -n "$b" ] || return 0
    awk -v a="$a" -v b="$b" -v t="$3" 'BEGIN {
        if (a > 0 && b > 0) printf "  %-48s %6.2fx\n", t, b / a }'
}

if [ -x "$rewind" ]; then
    for jit in on off; do
        time_runs "rewind-$jit" "$rewind" run --stats -accel tcg,jit=$jit \
            "${machine[@]}" -kernel "$elf"
        secs[rewind-$jit]=$best
        if [ "$rc" -ne 0 ]; then
            echo "rewind jit=$jit: FAILED with exit status $rc" >&2
            tail -n 20 "$tmp/rewind-$jit.out" "$tmp/rewind-$jit.err" >&2
            status=1
        fi
        if [ -z "$icount" ]; then
            icount=$(grep -aoE 'icount=[0-9]+' "$tmp/rewind-$jit.err" | tail -n 1 | cut -d= -f2)
        fi
    done
    # Recording with the JIT (the figure the goal is about), each run to
    # a fresh trace directory.
    record_fresh() { rm -rf "$tmp/trace"; "$rewind" record -o "$tmp/trace" "$@"; }
    time_runs rewind-record record_fresh -accel tcg,jit=on \
        "${machine[@]}" -kernel "$elf"
    secs[rewind-record]=$best
    if [ "$rc" -ne 0 ]; then
        echo "rewind record: FAILED with exit status $rc" >&2
        tail -n 20 "$tmp/rewind-record.err" >&2
        status=1
    fi
else
    echo "rewind: not found at $rewind, skipped"
fi

if command -v "$qemu" >/dev/null 2>&1; then
    time_runs qemu "$qemu" "${machine[@]}" -kernel "$elf"
    secs[qemu]=$best
    if [ "$rc" -ne 0 ]; then
        echo "qemu: FAILED with exit status $rc" >&2
        tail -n 20 "$tmp/qemu.out" >&2
        status=1
    fi
    time_runs qemu-icount "$qemu" "${machine[@]}" -icount "$qemu_icount" -kernel "$elf"
    secs[qemu-icount]=$best
    if [ -z "$icount" ]; then
        icount=$(guest_instret "$tmp/qemu-icount.out")
        echo "instruction count ${icount:-?} from QEMU's -icount run"
    fi
else
    echo "qemu: $qemu not installed, skipped"
fi

echo "instructions: ${icount:-?}"
[ -n "${secs[rewind-on]:-}" ] && row "rewind jit=on" "${secs[rewind-on]}"
[ -n "${secs[rewind-off]:-}" ] && row "rewind jit=off" "${secs[rewind-off]}"
[ -n "${secs[rewind-record]:-}" ] && row "rewind record, jit=on" "${secs[rewind-record]}"
[ -n "${secs[qemu]:-}" ] && row "qemu plain" "${secs[qemu]}"
[ -n "${secs[qemu-icount]:-}" ] && row "qemu -icount $qemu_icount" "${secs[qemu-icount]}"
echo "ratios (speed, higher is faster for the first):"
ratio rewind-on rewind-off "rewind JIT / rewind interpreter"
ratio rewind-on qemu "rewind JIT / QEMU plain"
ratio rewind-record qemu "rewind recording (JIT) / QEMU plain (goal 1.5)"
ratio rewind-on qemu-icount "rewind JIT / QEMU -icount"
ratio rewind-off qemu "rewind interpreter / QEMU plain"
ratio qemu-icount qemu "QEMU -icount / QEMU plain"

exit $status
