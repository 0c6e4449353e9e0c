#!/usr/bin/env bash
# The main job: record a boot of Debian's riscv64 kernel (the guest kit;
# the bundled bare-metal demo if the kit cannot be fetched), show the
# trace, and verify that its replay is bit for bit identical.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
trace=build/demo.rwd
rm -rf "$trace"
if REWIND_KIT_DIR=build/guest-kit bash scripts/guest-kit.sh; then
  echo "== recording a boot of Debian's kernel to $trace"
  ./build/rewind record -o "$trace" -M virt -m 512M -smp 2 \
    -kernel build/guest-kit/Image -initrd build/guest-kit/initrd.gz \
    -append "console=ttyS0 quiet" -nographic </dev/null
else
  echo "== guest kit unavailable: recording the bundled demo guest instead"
  ./build/rewind record -o "$trace" -M virt -bios none -nographic \
    -kernel build/tests/guest/hello.elf </dev/null
fi
echo "== rewind info $trace"
./build/rewind info "$trace"
echo "== rewind verify $trace"
./build/rewind verify "$trace"
