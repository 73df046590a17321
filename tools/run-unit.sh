#!/usr/bin/env bash
# run-unit.sh TEST... - runs the cmocka suites and totals their results.
#
# Each suite is run from the repository root (fixtures are found by
# relative path) with a time limit; the last line is the total in the
# form CI reads: "unit: N passed, N failed".
set -u
cd "$(dirname "$0")/.."

passed=0
failed=0
for t in "$@"; do
	log=$(mktemp)
	timeout 300 "$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	# A suite that crashed or timed out counts as one failure at least.
	if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
		echo "unit: $t exited with status $rc" >&2
		failed=$((failed + 1))
	fi
	rm -f "$log"
done
echo "unit: $passed passed, $failed failed"
[ -z "${TW_RESULTS:-}" ] || echo "$passed $failed" >>"$TW_RESULTS"
[ "$failed" -eq 0 ]
