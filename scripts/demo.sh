#!/usr/bin/env bash
# The main job: run the bundled demo guest on rewind's virt machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
exec ./build/rewind run -M virt -m 128M -bios none -nographic \
  -kernel build/tests/guest/hello.elf --stats
