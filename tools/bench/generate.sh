#!/usr/bin/env bash
# generate.sh TRACEWARP - how fast `tracewarp generate` writes each shipped
# profile, beside `dd if=/dev/zero of=FILE bs=1M` writing as many bytes to
# the same disk: the bound a generator can at best reach (and with
# conv=fdatasync, what the disk itself sustains once the page cache is
# full, as it is for traces of many GB).  Each profile is also written to
# /dev/null, which shows what the generator alone does, and once more
# with --libnet-every-packet (every packet through libnet's builders
# instead of a per-flow template patched per packet: the same bytes).
# Best of 3 (RUNS), BENCH_GEN_MB megabytes a trace (default 1024).
# Prints markdown (a heading, then a table); tools/bench/run.sh can
# append it to build/bench/results.md.
set -eu
cd "$(dirname "$0")/../.."
tw=$1
out=build/bench
mkdir -p "$out"
mb=${BENCH_GEN_MB:-1024}
file=$out/generate.pcapng
trap 'rm -f "$file"' EXIT

best() { # best CMD... -> seconds, best of $RUNS; the file is removed first
	local b=""
	for _ in $(seq "${RUNS:-3}"); do
		local t0 t1 d
		rm -f "$file"
		sync
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1 || { echo "bench: '$*' failed" >&2; exit 1; }
		t1=$(date +%s%N)
		d=$(((t1 - t0) / 1000))
		if [ -z "$b" ] || [ "$d" -lt "$b" ]; then b=$d; fi
	done
	awk -v us="$b" 'BEGIN { printf "%.3f", us / 1e6 }'
}

rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }

dd_s=$(best dd if=/dev/zero of="$file" bs=1M count="$mb")
dd_bytes=$((mb * 1048576))
dd_rate=$(rate "$dd_bytes" "$dd_s")
sync_s=$(best dd if=/dev/zero of="$file" bs=1M count="$mb" conv=fdatasync)

echo "## Generating traces (\`tracewarp generate\`)"
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); about $mb MB a trace, best of ${RUNS:-3}; MB/s counts file bytes."
echo
echo "| command | packets | MB | seconds | MB/s | Mpps | MB/s to /dev/null | same, libnet every packet | MB/s / dd's |"
echo "|---|---|---|---|---|---|---|---|---|"
echo "| dd if=/dev/zero of=FILE bs=1M count=$mb (the disk bound) | | $((dd_bytes / 1000000)) | $dd_s | $dd_rate | | | | 1.00 |"
echo "| dd ... conv=fdatasync (what the disk itself sustains) | | $((dd_bytes / 1000000)) | $sync_s | $(rate "$dd_bytes" "$sync_s") | | | | $(awk -v a="$(rate "$dd_bytes" "$sync_s")" -v b="$dd_rate" 'BEGIN { printf "%.2f", a / b }') |"
for spec in "small-frames" "imix" "mixed-api" "uploads --max-size 256M"; do
	set -- $spec
	args=(generate -p "$@" --bytes "${mb}MiB")
	json=$("$tw" "${args[@]}" -w "$file" --json)
	bytes=$(stat -c %s "$file")
	pkts=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["packets"])' "$json")
	s=$(best "$tw" "${args[@]}" -w "$file")
	null_s=$(best "$tw" "${args[@]}" -w /dev/null)
	slow_s=$(best "$tw" "${args[@]}" --libnet-every-packet -w /dev/null)
	r=$(rate "$bytes" "$s")
	echo "| tracewarp generate -p $spec --bytes ${mb}MiB -w FILE | $pkts | $((bytes / 1000000)) | $s | $r | $(awk -v p="$pkts" -v s="$s" 'BEGIN { printf "%.2f", p / s / 1e6 }') | $(rate "$bytes" "$null_s") | $(rate "$bytes" "$slow_s") | $(awk -v a="$r" -v b="$dd_rate" 'BEGIN { printf "%.2f", a / b }') |"
done
