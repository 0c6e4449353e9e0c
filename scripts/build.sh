#!/usr/bin/env bash
# Configure (once) and build rewind in ./build with warnings as errors.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f build/build.ninja ]; then
  meson setup --reconfigure build >/dev/null
else
  meson setup build -Dwerror=true
fi
ninja -C build
