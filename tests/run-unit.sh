#!/usr/bin/env bash
# Runs the unit tests and the fuzz drivers of one build, one program at a
# time, and says which passed:
#
#   tests/run-unit.sh BUILD_DIR "UNIT_TESTS" "FUZZ_TARGETS" FUZZ_RUNS
#
# Each unit test BUILD_DIR/tests/NAME runs with G_DEBUG=fatal-criticals
# (a failed g_return_if_fail fails the test).  Each fuzz driver
# BUILD_DIR/tests/fuzz-X replays tests/fuzz/corpus/X and then FUZZ_RUNS
# mutations of it.  In the sanitizer build (build-asan) LeakSanitizer is on,
# with tests/lsan.supp for GLib's and GStreamer's one-time allocations.
# Ends with "N passed, N failed" (programs) and a non-zero exit if any
# failed.  Run from the top of the tree (`make check-unit` does).
set -u

if [ $# -ne 4 ]; then
  echo "usage: $0 BUILD_DIR \"UNIT_TESTS\" \"FUZZ_TARGETS\" FUZZ_RUNS" >&2
  exit 2
fi
build=$1
unit_tests=$2
fuzz_targets=$3
fuzz_runs=$4

cd "$(dirname "$0")/.." || exit 2

env_vars=(G_DEBUG=fatal-criticals)
if [ "$(basename "$build")" = build-asan ]; then
  # CK_FORK=no: LeakSanitizer does not check Check's forked children, so
  # each test program runs its tests in one process.  G_SLICE: GLib 2.74
  # hands out GErrors and other small blocks from its slice allocator,
  # where a leak is invisible to LeakSanitizer.
  env_vars+=(
    CK_FORK=no G_SLICE=always-malloc
    ASAN_OPTIONS=fast_unwind_on_malloc=0:detect_leaks=1
    LSAN_OPTIONS=suppressions=tests/lsan.supp:print_suppressions=0
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  )
fi

passed=0
failed=0
failed_names=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# run NAME COMMAND...: runs one program, prints its result line.
run() {
  local name=$1 start ms rc
  shift
  start=$(date +%s%N)
  env "${env_vars[@]}" "$@" </dev/null >"$log" 2>&1
  rc=$?
  ms=$((($(date +%s%N) - start) / 1000000))
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1))
    printf 'PASS: %-20s %3d.%ds  %s\n' "$name" $((ms / 1000)) \
      $((ms % 1000 / 100)) \
      "$(grep -E '^[0-9]+%: Checks|inputs, 0 crashes' "$log" | tail -n 1)"
  else
    failed=$((failed + 1))
    failed_names+=("$name")
    printf 'FAIL: %-20s (exit %d)\n' "$name" "$rc"
    # What went wrong: Check's failure lines, or the end of a crash report.
    sed -e 's/^/    /' "$log" | tail -n 40
  fi
}

for t in $unit_tests; do
  if [ ! -x "$build/tests/$t" ]; then
    failed=$((failed + 1))
    failed_names+=("$t")
    echo "FAIL: $t ($build/tests/$t not built)"
    continue
  fi
  run "$t" "$build/tests/$t"
done

for f in $fuzz_targets; do
  corpus=tests/fuzz/corpus/${f#fuzz-}
  if [ ! -x "$build/tests/$f" ]; then
    failed=$((failed + 1))
    failed_names+=("$f")
    echo "FAIL: $f ($build/tests/$f not built)"
    continue
  fi
  run "$f" env HF_FUZZ_RUNS="$fuzz_runs" "$build/tests/$f" "$corpus"
done

if [ $failed -ne 0 ]; then
  echo "failed: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
