#!/usr/bin/env bash
# run.sh TRACEWARP - `make bench`: each stage side by side with the tool a
# user would otherwise pick, on one input, in one run; prints a table of
# ratios and writes it, with every stage's section, to
# build/bench/results.md.
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

machine="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
{
	echo "## Reading a trace"
	echo
	echo "Input: $big, $((bytes / 1000000)) MB, $pkts packets (corpus h2c-rest.pcap repeated), page cache warm, best of 3."
	echo
	echo "| command | seconds | MB/s | its time / tracewarp's |"
	echo "|---|---|---|---|"
	echo "| tracewarp info FILE (read, decode, count flows) | $tw_s | $(rate "$tw_s") | 1.00 |"
	echo "| cat FILE > /dev/null (memory speed, the floor) | $cat_s | $(rate "$cat_s") | $(ratio "$cat_s" "$tw_s") |"
	echo "| tcpdump -r FILE -w /dev/null | $tcpdump_s | $(rate "$tcpdump_s") | $(ratio "$tcpdump_s" "$tw_s") |"
	echo "| tshark -r FILE -T fields -e frame.len (1 run) | $tshark_s | $(rate "$tshark_s") | $(ratio "$tshark_s" "$tw_s") |"
} | tee "$out/read.md"

# Each stage's own benchmark writes its section; one that fails is
# reported in its section and the others still run.
sections=("$out/read.md")
for stage in generate redact replay dpdk capture l7; do
	echo
	tools/bench/$stage.sh "$tw" | tee "$out/$stage.md"
	rc=${PIPESTATUS[0]}
	[ "$rc" -eq 0 ] || printf '\n(%s benchmark failed: status %d)\n' \
		"$stage" "$rc" | tee -a "$out/$stage.md"
	sections+=("$out/$stage.md")
done

# One table of every ratio, then each stage's section in full.
python3 tools/bench/ratios.py "${sections[@]}" >"$out/ratios.md"
{
	echo "# tracewarp benchmarks"
	echo
	echo "Machine: $machine; load $(cut -d' ' -f1 /proc/loadavg) at the end."
	echo
	echo "## Ratios"
	echo
	cat "$out/ratios.md"
	for f in "${sections[@]}"; do
		echo
		cat "$f"
	done
} >"$out/results.md"
echo
echo "== Ratios (machine: $machine)"
cat "$out/ratios.md"
echo "bench: the table and every section are in $out/results.md"
