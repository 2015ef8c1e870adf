#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Style checks that the compiler does not make: one comment syntax (//), no
# commented-out code markers, files under 1000 lines.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
files=$(git ls-files '*.c' '*.h')
if grep -n '/\*' $files; then
	echo "lint: use // comments" >&2
	fail=1
fi
if grep -nE '^#if 0' $files; then
	echo "lint: no #if 0" >&2
	fail=1
fi
for f in $files; do
	n=$(wc -l < "$f")
	if [ "$n" -gt 1000 ]; then
		echo "lint: $f has $n lines (cap 1000)" >&2
		fail=1
	fi
done
[ $fail = 0 ] && echo "lint: ok"
exit $fail
