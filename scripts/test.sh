#!/usr/bin/env bash
# Build and run the whole test suite: the normal build (every suite), then
# the unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
# Ends with one line "tests: N passed, M failed" over both runs.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh || exit 1
meson test -C build --print-errorlogs --num-processes 2 | tee build/test-summary.txt
status=${PIPESTATUS[0]}

if [ -f build-asan/build.ninja ]; then
  meson setup --reconfigure build-asan >/dev/null || exit 1
else
  meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debug -Dwerror=true >/dev/null || exit 1
fi
ninja -C build-asan || exit 1
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --suite unit --print-errorlogs --num-processes 2 \
  | tee build-asan/test-summary.txt
asan_status=${PIPESTATUS[0]}

ok=$(awk '$1 == "Ok:" || $1 == "Expected" && $2 == "Fail:" { n += $NF } END { print n + 0 }' \
      build/test-summary.txt build-asan/test-summary.txt)
bad=$(awk '$1 == "Fail:" || $1 == "Timeout:" || $1 == "Unexpected" { n += $NF } END { print n + 0 }' \
      build/test-summary.txt build-asan/test-summary.txt)
echo "tests: $ok passed, $bad failed"
[ "$status" -eq 0 ] && [ "$asan_status" -eq 0 ]
