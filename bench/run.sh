#!/bin/bash
# run.sh - time the cpu-mix workload on rewind and, if installed, on QEMU.
#
# usage: bench/run.sh [REWIND_BINARY [WORKLOAD_ELF]]
#   env REWIND    rewind binary   (default: build/rewind next to this tree)
#   env WORKLOAD  workload ELF    (default: build/bench/workload.elf)
#   env QEMU      QEMU binary     (default: qemu-system-riscv64)
#   env RUNS      runs per emulator, the fastest counts (default: 1)
#
# rewind runs with --stats and must print `icount=N` on stderr at exit;
# that count (the program is deterministic) also gives QEMU's MIPS.  If
# rewind is missing or prints no count, the count comes from the guest's
# own "total instret" line, taken from rewind's output or else from an
# extra QEMU run with -icount shift=0 (where instret counts instructions).
# Exit status: 0 if every emulator that ran passed the workload.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
rewind=${1:-${REWIND:-$root/build/rewind}}
elf=${2:-${WORKLOAD:-$root/build/bench/workload.elf}}
qemu=${QEMU:-qemu-system-riscv64}
runs=${RUNS:-1}
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
rewind_time=

if [ -x "$rewind" ]; then
    time_runs rewind "$rewind" run --stats "${machine[@]}" -kernel "$elf"
    rewind_time=$best
    if [ "$rc" -ne 0 ]; then
        echo "rewind: FAILED with exit status $rc" >&2
        tail -n 20 "$tmp/rewind.out" "$tmp/rewind.err" >&2
        status=1
    fi
    icount=$(grep -aoE 'icount=[0-9]+' "$tmp/rewind.err" | tail -n 1 | cut -d= -f2)
    if [ -z "$icount" ]; then
        icount=$(guest_instret "$tmp/rewind.out")
        [ -n "$icount" ] && echo "rewind: no icount= on stderr; using the guest's instret"
    fi
    echo "rewind: ${rewind_time} s, icount ${icount:-?}, $(mips "${icount:-0}" "$rewind_time") MIPS"
else
    echo "rewind: not found at $rewind, skipped"
fi

if command -v "$qemu" >/dev/null 2>&1; then
    time_runs qemu "$qemu" "${machine[@]}" -kernel "$elf"
    qemu_time=$best
    if [ "$rc" -ne 0 ]; then
        echo "qemu: FAILED with exit status $rc" >&2
        tail -n 20 "$tmp/qemu.out" >&2
        status=1
    fi
    if [ -z "$icount" ]; then
        "$qemu" "${machine[@]}" -icount shift=0 -kernel "$elf" \
            </dev/null >"$tmp/qemu-icount.out" 2>&1
        icount=$(guest_instret "$tmp/qemu-icount.out")
        echo "qemu: instruction count ${icount:-?} from a run with -icount shift=0"
    fi
    echo "qemu:   ${qemu_time} s, $(mips "${icount:-0}" "$qemu_time") MIPS"
    if [ -n "$rewind_time" ]; then
        awk -v r="$rewind_time" -v q="$qemu_time" 'BEGIN {
            if (q > 0 && r > 0)
                printf "ratio rewind/qemu: %.2fx the wall time (rewind at %.1f%% of QEMU speed)\n", r / q, 100 * q / r
        }'
    fi
else
    echo "qemu: $qemu not installed, skipped"
fi

exit $status
