#!/usr/bin/env bash
# run.sh TRACEWARP - runs every tests/e2e/test_*.sh with the binary given
# and totals them: "e2e: N passed, N failed".  A test script exits 0 when
# it passed, 77 when it cannot run here (skipped, with its reason).
set -u
cd "$(dirname "$0")/../.."
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
export TRACEWARP=$bin
export SHARED=${SHARED:-$(cd .. && pwd)/shared}

passed=0 failed=0 skipped=0
for t in tests/e2e/test_*.sh; do
	name=$(basename "$t" .sh)
	log=$(mktemp)
	timeout 600 bash "$t" >"$log" 2>&1
	rc=$?
	case $rc in
	0) passed=$((passed + 1)); echo "PASS $name" ;;
	77) skipped=$((skipped + 1)); echo "SKIP $name: $(tail -1 "$log")" ;;
	*) failed=$((failed + 1)); echo "FAIL $name (status $rc)"
	   sed 's/^/    /' "$log" | tail -40 ;;
	esac
	rm -f "$log"
done
echo "e2e: $passed passed, $failed failed, $skipped skipped"
[ -z "${TW_RESULTS:-}" ] || echo "$passed $failed" >>"$TW_RESULTS"
[ "$failed" -eq 0 ]
