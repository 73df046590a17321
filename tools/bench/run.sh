#!/usr/bin/env bash
# run.sh TRACEWARP - `make bench`: each stage side by side with the tool a
# user would otherwise pick, on one input, in one run; prints a table of
# ratios and writes it to build/bench/results.md.
#
# Each command runs 3 times with a warm page cache and the best time
# counts, so the figures compare CPU work, not the disk.
set -eu
cd "$(dirname "$0")/../.."
tw=$1
out=build/bench
mkdir -p "$out"
shared=${SHARED:-$(cd .. && pwd)/shared}
size=${BENCH_MB:-256}

big=$out/read-${size}MB.pcap
if [ ! -s "$big" ]; then
	echo "bench: building a ${size} MB trace from the corpus..."
	python3 tools/bench/mkbig.py "$shared/corpus/generated/h2c-rest.pcap" \
		"$big" "$size"
fi

best() { # best CMD... -> seconds, best of $RUNS (3)
	local b=""
	for _ in $(seq "${RUNS:-3}"); do
		local t0 t1
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1 || { echo "bench: '$*' failed" >&2; exit 1; }
		t1=$(date +%s%N)
		local d=$(((t1 - t0) / 1000))
		if [ -z "$b" ] || [ "$d" -lt "$b" ]; then b=$d; fi
	done
	awk -v us="$b" 'BEGIN { printf "%.3f", us / 1e6 }'
}

bytes=$(stat -c %s "$big")
pkts=$("$tw" info --json "$big" | python3 -c \
	'import json,sys; print(json.load(sys.stdin)[0]["packets"])')
cat_s=$(best cat "$big")
tw_s=$(best "$tw" info "$big")
tcpdump_s=$(best tcpdump -r "$big" -w /dev/null)
tshark_s=$(RUNS=1 best tshark -r "$big" -T fields -e frame.len)

rate() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

{
	echo "# tracewarp benchmarks"
	echo
	echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
	echo "Input: $big, $((bytes / 1000000)) MB, $pkts packets (corpus h2c-rest.pcap repeated), page cache warm, best of 3."
	echo
	echo "## Reading a trace"
	echo
	echo "| command | seconds | MB/s | its time / tracewarp's |"
	echo "|---|---|---|---|"
	echo "| tracewarp info FILE (read, decode, count flows) | $tw_s | $(rate "$tw_s") | 1.00 |"
	echo "| cat FILE > /dev/null (memory speed, the floor) | $cat_s | $(rate "$cat_s") | $(ratio "$cat_s" "$tw_s") |"
	echo "| tcpdump -r FILE -w /dev/null | $tcpdump_s | $(rate "$tcpdump_s") | $(ratio "$tcpdump_s" "$tw_s") |"
	echo "| tshark -r FILE -T fields -e frame.len (1 run) | $tshark_s | $(rate "$tshark_s") | $(ratio "$tshark_s" "$tw_s") |"
} | tee "$out/results.md"

# Each stage's own benchmark appends its section.
for stage in generate redact replay dpdk; do
	echo
	tools/bench/$stage.sh "$tw"
done | tee -a "$out/results.md"
