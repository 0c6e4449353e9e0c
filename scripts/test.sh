#!/usr/bin/env bash
# Build and run the whole test suite: the normal build (every suite), then
# every suite but the Linux boots again under AddressSanitizer and
# UndefinedBehaviorSanitizer (the unit tests, the guest programs, and the
# bare-metal scripted tests of the shell, replay, gdb and integration
# suites, which run the sanitizer build's rewind), then the deliberate bugs
# of tests/mutations/ (each must be caught).
# Ends with one line "tests: N passed, M failed, K skipped" over both runs.
#
# Fails on any failed or skipped test, and when the registered tests differ
# from tests/expected-tests.txt (a suite lost to a missing tool, a deleted
# test file). After adding or removing a test on purpose:
#     scripts/test.sh --update-expected
set -uo pipefail
cd "$(dirname "$0")/.."

list_tests() {
  meson test -C build --list 2>/dev/null | grep ' / ' | LC_ALL=C sort
}

if [ "${1:-}" = "--update-expected" ]; then
  bash scripts/build.sh >/dev/null || exit 1
  list_tests > tests/expected-tests.txt
  echo "tests/expected-tests.txt: $(wc -l < tests/expected-tests.txt) tests"
  exit 0
fi

# Each stage's wall time, printed at the end (CI's budget is watched).
stage_t0=$SECONDS
stages=()
stage_done() { stages+=("$1 $((SECONDS - stage_t0)) s"); stage_t0=$SECONDS; }

bash scripts/build.sh || exit 1
stage_done build

# The registered tests, suite by suite, must be the expected ones.
registered=$(list_tests)
missing=$(LC_ALL=C comm -23 tests/expected-tests.txt <(echo "$registered"))
extra=$(LC_ALL=C comm -13 tests/expected-tests.txt <(echo "$registered"))
list_status=0
if [ -n "$missing" ]; then
  echo "tests: these expected tests are not registered (a missing tool, a"
  echo "disabled option or a deleted test; see meson setup's output):"
  echo "$missing" | sed 's/^/  /'
  list_status=1
fi
if [ -n "$extra" ]; then
  echo "tests: these tests are registered but not in tests/expected-tests.txt"
  echo "(added on purpose? run scripts/test.sh --update-expected):"
  echo "$extra" | sed 's/^/  /'
  list_status=1
fi

meson test -C build --print-errorlogs --num-processes 2 | tee build/test-summary.txt
status=${PIPESTATUS[0]}
stage_done suite

if [ -f build-asan/build.ninja ]; then
  meson setup --reconfigure build-asan >/dev/null || exit 1
else
  meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debug -Dwerror=true >/dev/null || exit 1
fi
ninja -C build-asan || exit 1
stage_done "sanitizer build"
# A finding aborts the process (SIGABRT: never an exit status a test may
# expect, such as 1), so it fails the test. LeakSanitizer is on, with the
# few allocations that live as long as the process in tests/lsan.supp.
# The Linux boots are left out: under the sanitizers they take too long.
ASAN_OPTIONS=halt_on_error=1:abort_on_error=1 \
LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 \
UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --no-suite linux --print-errorlogs \
  --num-processes 2 | tee build-asan/test-summary.txt
asan_status=${PIPESTATUS[0]}
stage_done "sanitizer suite"

# Deliberate bugs: every one must make its tests fail. The unmutated
# run of their tests (the baseline) is the suite that just ran: skipped
# when it passed (and under the sanitizers, for the mutations built with
# them), since the copy the mutations are applied to holds the same files.
if [ "$status" -eq 0 ] && [ "$asan_status" -eq 0 ]; then
  python3 tests/mutations/run.py --no-baseline
else
  python3 tests/mutations/run.py
fi
mutation_status=$?
stage_done mutations

sums="build/test-summary.txt build-asan/test-summary.txt"
count() { awk "$1 { n += \$NF } END { print n + 0 }" $sums; }
ok=$(count '$1 == "Ok:"')
# No test is registered with should_fail (a guest that fails on purpose
# asserts its exact status through tests/guest/expect_status.py), so an
# "Expected Fail" is a test whose status was not checked: a failure.
bad=$(count '$1 == "Fail:" || $1 == "Timeout:" || $1 == "Unexpected" || $1 == "Expected"')
skipped=$(count '$1 == "Skipped:"')
if [ "$skipped" -gt 0 ]; then
  echo "tests: skipped (a skip is a failure here):"
  grep -h ' SKIP ' $sums | sed 's/^/  /'
fi
echo "stages: $(IFS=,; echo "${stages[*]}" | sed 's/,/, /g')"
echo "tests: $ok passed, $bad failed, $skipped skipped"
[ "$status" -eq 0 ] && [ "$asan_status" -eq 0 ] && [ "$bad" -eq 0 ] &&
  [ "$skipped" -eq 0 ] && [ "$list_status" -eq 0 ] && [ "$mutation_status" -eq 0 ]
