#!/usr/bin/env bash
# Boot benchmark: time from start to the userspace marker (REWIND-BOOT-OK)
# and to power-off of the same Debian kernel and initramfs
# (scripts/guest-kit.sh), side by side in one run on one machine: rewind
# with the JIT (-accel tcg,jit=on), rewind's interpreter (jit=off), rewind
# recording with the JIT, and, when installed, qemu-system-riscv64 plain
# and with -icount (the mode its record/replay needs; -smp 1 only: QEMU 7.2
# hangs in -icount mode with more than one hart). Then the ratios to QEMU
# plain (issue 13's goal: recording in <= 0.6x QEMU plain's time). An
# untimed boot comes first (see "warm-up" below).
#
# usage: bench/boot.sh [REWIND] [SMP...]     (default: build/rewind, 1 4)
#   env QEMU_ICOUNT  QEMU's -icount value (default: shift=0)
set -euo pipefail
cd "$(dirname "$0")/.."
rewind=${1:-build/rewind}
shift || true
smps=("$@")
[ ${#smps[@]} -gt 0 ] || smps=(1 4)
kit=${REWIND_KIT_DIR:-build/guest-kit}
REWIND_KIT_DIR=$kit bash scripts/guest-kit.sh >/dev/null

# Prints "<seconds to marker> <seconds to exit>" for the command given.
time_boot() {
  python3 - "$@" <<'PY'
import os, select, subprocess, sys, time
t0 = time.monotonic()
p = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL,
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
buf, marker = b"", None
while True:
    r, _, _ = select.select([p.stdout], [], [], 1)
    if r:
        d = os.read(p.stdout.fileno(), 65536)
        if not d:
            break
        buf += d
        if marker is None and b"REWIND-BOOT-OK" in buf:
            marker = time.monotonic() - t0
    if time.monotonic() - t0 > 900:
        p.kill()
        break
p.wait()
end = time.monotonic() - t0
print(f"{marker if marker is not None else float('nan'):.2f} {end:.2f}")
PY
}

args=(-M virt -m 512M -kernel "$kit/Image" -initrd "$kit/initrd.gz"
      -append console=ttyS0 -nographic)
qemu_icount=${QEMU_ICOUNT:-shift=0}
trace=$(mktemp -d)
trap 'rm -rf "$trace"' EXIT
declare -A mark end
# One boot, untimed, first: on a VM whose host takes freed memory back,
# the first process to need memory pays for touching it, and the first
# row was rewind's JIT (it came out slower than the recording after it).
time_boot "$rewind" run "${args[@]}" -accel tcg,jit=on >/dev/null
echo "warm-up: one untimed boot of rewind run (memory first touched there)"
# row NAME KEY: one line of the table
row() {
  printf 'smp %s  %-24s %7.2f s to shell marker, %7.2f s to power-off\n' \
    "$smp" "$1" "${mark[$2]}" "${end[$2]}"
}
for smp in "${smps[@]}"; do
  mark=() end=()
  for jit in on off; do
    read -r mark[rw-$jit] end[rw-$jit] < <(time_boot "$rewind" run "${args[@]}" \
      -smp "$smp" -accel tcg,jit=$jit)
    row "rewind jit=$jit" "rw-$jit"
  done
  rm -rf "$trace/boot.rwd"
  read -r mark[rec] end[rec] < <(time_boot "$rewind" record -o "$trace/boot.rwd" \
    "${args[@]}" -smp "$smp" -accel tcg,jit=on)
  row "rewind record, jit=on" rec
  if command -v qemu-system-riscv64 >/dev/null; then
    read -r mark[q] end[q] < <(time_boot qemu-system-riscv64 "${args[@]}" -smp "$smp" -bios default)
    row "qemu plain" q
    if [ "$smp" = 1 ]; then
      read -r mark[qi] end[qi] < <(time_boot qemu-system-riscv64 "${args[@]}" -smp "$smp" \
        -bios default -icount "$qemu_icount")
      row "qemu -icount $qemu_icount" qi
    fi
    for k in rw-on rw-off rec qi; do
      [ -n "${mark[$k]:-}" ] || continue
      case $k in
        rw-on) name="rewind JIT" ;; rw-off) name="rewind interpreter" ;;
        rec) name="rewind recording (JIT; goal <= 0.6)" ;; qi) name="QEMU -icount" ;;
      esac
      awk -v smp="$smp" -v n="$name" -v a="${mark[$k]}" -v b="${mark[q]}" \
        -v c="${end[$k]}" -v d="${end[q]}" 'function r(x, y) {
          return (x == "nan" || y == "nan" || y + 0 == 0) ? "  n/a" : sprintf("%5.2fx", x / y) }
        BEGIN { printf "smp %s  time / QEMU plain, %-38s marker %s, power-off %s\n",
                       smp, n, r(a, b), r(c, d) }'
    done
  fi
done
