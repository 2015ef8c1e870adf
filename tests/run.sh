#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The whole test suite, as CI runs it: sets the host up, builds twice (gcc,
# and clang with ASan+UBSan and the fuzz targets), and runs the unit,
# fuzz and end-to-end suites on each. Run as root.
#   tests/run.sh [--quick]     (--quick: the normal build only)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
quick=0
[ "${1:-}" = "--quick" ] && quick=1

deploy/host-setup.sh --no-build || exit 1

passed=0
failed=0
declare -a failures=()

# Adds a meson test run's "Ok:" and "Fail:" counts to the totals.
count_meson() {
	local log="$1" name="$2" ok fail to
	ok=$(awk '/^Ok:/ {print $2}' "$log" | tail -1)
	fail=$(awk '/^Fail:/ {print $2}' "$log" | tail -1)
	to=$(awk '/^Timeout:/ {print $2}' "$log" | tail -1)
	ok=${ok:-0}; fail=$(( ${fail:-0} + ${to:-0} ))
	passed=$((passed + ok)); failed=$((failed + fail))
	if [ "$fail" != 0 ] || [ "$ok" = 0 ]; then
		failures+=("$name")
		[ "$ok" = 0 ] && [ "$fail" = 0 ] && failed=$((failed + 1))
	fi
}

count_e2e() {
	local log="$1" name="$2" line p f
	line=$(grep -E '^e2e: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	p=$(echo "$line" | awk '{print $2}'); f=$(echo "$line" | awk '{print $4}')
	p=${p:-0}; f=${f:-1}
	passed=$((passed + p)); failed=$((failed + f))
	[ "$f" != 0 ] && failures+=("$name")
}

step() { echo; echo "=== $* ==="; }

step "lint"
if tests/lint.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=(lint); fi

step "build (gcc, -Wall -Wextra -Werror)"
[ -d build ] || meson setup build >/dev/null || exit 1
ninja -C build || exit 1

builds=(build)
if [ $quick = 0 ]; then
	step "build (clang, ASan+UBSan, fuzz targets)"
	[ -d build-asan ] || CC=clang meson setup build-asan -Db_sanitize=address,undefined \
		-Db_lundef=false -Dfuzz=enabled -Dbuildtype=debug >/dev/null || exit 1
	ninja -C build-asan || exit 1
	builds+=(build-asan)
fi

export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# A smaller quarantine than ASan's 256 MB: freed memory held back for
# use-after-free checks would otherwise look like growth to the leak tests,
# which compare pswitchd's RSS across rounds of attaching and detaching.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:quarantine_size_mb=32
for b in "${builds[@]}"; do
	suites=(--suite unit)
	[ "$b" = build-asan ] && suites+=(--suite fuzz)
	step "unit tests ($b)"
	meson test -C "$b" "${suites[@]}" --print-errorlogs 2>&1 | tee "$b/unit.log"
	count_meson "$b/unit.log" "unit ($b)"

	step "end-to-end tests ($b)"
	if [ "$b" = build-asan ]; then
		# ASan's shadow memory and DPDK's hugepage mappings get in each
		# other's way: the sanitized run uses ordinary memory
		env PSW_BUILD="$root/$b" PSW_SLOW=3 PSW_HUGEPAGES=0 PSW_SANITIZED=1 \
			/usr/bin/python3 tests/e2e/run.py 2>&1 | tee "$b/e2e.log"
	else
		env PSW_BUILD="$root/$b" /usr/bin/python3 tests/e2e/run.py 2>&1 | tee "$b/e2e.log"
	fi
	count_e2e "$b/e2e.log" "e2e ($b)"
done

echo
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
