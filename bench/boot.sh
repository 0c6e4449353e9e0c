#!/usr/bin/env bash
# Boot benchmark: time from start to the userspace marker (REWIND-BOOT-OK)
# and to power-off, for rewind and, when installed, qemu-system-riscv64,
# booting the same Debian kernel and initramfs (scripts/guest-kit.sh).
#
# usage: bench/boot.sh [REWIND] [SMP...]     (default: build/rewind, 1 4)
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
for smp in "${smps[@]}"; do
  read -r rm re < <(time_boot "$rewind" run "${args[@]}" -smp "$smp")
  printf 'smp %s  rewind: %6.2f s to shell marker, %6.2f s to power-off\n' "$smp" "$rm" "$re"
  if command -v qemu-system-riscv64 >/dev/null; then
    read -r qm qe < <(time_boot qemu-system-riscv64 "${args[@]}" -smp "$smp" -bios default)
    printf 'smp %s  qemu:   %6.2f s to shell marker, %6.2f s to power-off\n' "$smp" "$qm" "$qe"
    python3 -c "print(f'smp $smp  ratio rewind/qemu: marker {$rm/$qm:.2f}x, power-off {$re/$qe:.2f}x')"
  fi
done
