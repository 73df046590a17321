#!/usr/bin/env bash
# fuzz.sh BUILD SECONDS - runs every libFuzzer harness in BUILD/fuzzers for
# SECONDS each, on a corpus kept in BUILD/corpus/NAME (seeded from the
# shared captures), and prints executions and coverage per harness.  A
# crash leaves its input in BUILD/crashes/ and fails the run: turn it
# into a regression case (tests/fuzz/regress/NAME/, replayed by
# tests/unit/test_fuzz_regress.c) before fixing it.
set -u
cd "$(dirname "$0")/.."
build=$1
secs=$2
shared=${SHARED:-$(cd .. && pwd)/shared}
seeds=$build/seeds

# Seeds are rebuilt when seeds.py changed since they were written.
if [ ! -d "$seeds" ] || [ tests/fuzz/seeds.py -nt "$seeds" ]; then
	rm -rf "$seeds"
	python3 tests/fuzz/seeds.py "$shared" "$seeds" || exit 1
fi
mkdir -p "$build/crashes"
fail=0
for h in "$build"/fuzzers/fuzz_*; do
	case $h in *.d) continue ;; esac
	name=$(basename "$h")
	short=${name#fuzz_}
	corpus=$build/corpus/$short
	mkdir -p "$corpus"
	[ -n "$(ls -A "$corpus")" ] || cp "$seeds/$short"/* "$corpus"/ \
		2>/dev/null || true
	# Inputs that once crashed it (tests/fuzz/regress/) go first.
	cp tests/fuzz/regress/"$short"/* "$corpus"/ 2>/dev/null || true
	log=$build/$name.log
	"$h" "$corpus" -max_total_time="$secs" -rss_limit_mb=2048 \
		-timeout=10 -print_final_stats=1 \
		-artifact_prefix="$build/crashes/$name-" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
	if [ "$rc" -ne 0 ]; then
		echo "fuzz: $name FAILED after ${execs:-?} runs; see $log"
		grep -m5 -E 'ERROR|SUMMARY' "$log"
		fail=1
	else
		echo "fuzz: $name ${secs}s, ${execs:-?} runs, ${cov:-cov: ?}"
	fi
done
exit $fail
