#!/usr/bin/env bash
# longrun.sh [BIN] [SECONDS] - long-run checks for SECONDS (default 600),
# sampled every 10 s, in two network namespaces of their own joined by a
# veth pair:
#
#  replay: `replay -i --loop 0 --duration SECONDS` of a generated trace
#    at a fixed rate, in real time, with its Prometheus metrics file:
#    RSS, packets sent and loops (steady), and the mean lateness over
#    each interval must stay flat;
#  capture: `capture -C 64KiB -W 20` on the other end, rotating
#    thousands of files (the ring keeps 20): its RSS must stay flat.
#
# (The file backend, -w, writes without waiting for the schedule: it is
# no long-run test of pacing.)  Flat: after the first minute, the
# largest RSS sample is within 10% (or 2 MiB) of the one at 60 s.  The
# samples go to stdout and to longrun.log in LONGRUN_DIR (default: a
# temporary directory, removed).  LONGRUN_CAPTURE_ARGS adds capture
# options, e.g. "--redact default --key-file KEY" to follow the
# redaction's memory too.  Needs root; run it under nice.
set -u
cd "$(dirname "$0")/.."
bin=${1:-build/tracewarp}
secs=${2:-600}
[ "$(id -u)" -eq 0 ] || { echo "longrun: needs root"; exit 77; }
[ -x "$bin" ] || { echo "longrun: no binary $bin"; exit 2; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
dir=${LONGRUN_DIR:-$(mktemp -d)}
mkdir -p "$dir"
tag=twlr$$
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$tag-g" 2>/dev/null
	ip netns del "$tag-c" 2>/dev/null
	[ -n "${LONGRUN_DIR:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT

# A trace with addresses of 198.18.0.0/15 only.
"$bin" generate --profile mixed-api --sessions 40 -w "$dir/gen.pcapng" \
	>/dev/null || exit 2

ip netns add "$tag-g" && ip netns add "$tag-c" || exit 77
ip link add lrg netns "$tag-g" type veth peer name lrc netns "$tag-c" ||
	exit 77
for ns in g c; do
	ip -n "$tag-$ns" link set lo up
	ip -n "$tag-$ns" link set "lr$ns" mtu 9000 up
done

mkdir -p "$dir/ring"
printf '#!/bin/sh\necho "$1" >>%s/rotated\n' "$dir" >"$dir/post.sh"
chmod +x "$dir/post.sh"
# shellcheck disable=SC2086 # word splitting of the options wanted
ip netns exec "$tag-c" "$bin" capture -q -i lrc -C 64KiB -W 20 \
	${LONGRUN_CAPTURE_ARGS:-} \
	--post-rotate "$dir/post.sh" --duration "$((secs + 5))" \
	-w "$dir/ring/cap.pcapng" </dev/null &
cp=$!
pids+=("$cp")
sleep 1
ip netns exec "$tag-g" "$bin" replay -q -p 2000 --loop 0 \
	--duration "${secs}s" --metrics-file "$dir/replay.prom" -i lrg \
	"$dir/gen.pcapng" </dev/null &
sleep 1
# ip netns exec replaces itself with the replayer: $! is its pid.
rp=$!
pids+=("$rp")

# VmRSS in kB, or "-" once the process has ended.
rss() {
	local kb
	kb=$(awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null)
	echo "${kb:--}"
}
metric() {
	awk -v m="$1" '$1 ~ "^"m"[{ ]" || $1 == m { s += $2 } END { print s + 0 }' \
		"$dir/replay.prom" 2>/dev/null
}

log=$dir/longrun.log
printf '%5s %10s %12s %8s %12s %10s %8s\n' t replay_kB sent loops \
	lateness_us capture_kB rotated | tee "$log"
t=0 psum=0 pcnt=0
while kill -0 "$rp" 2>/dev/null && [ "$t" -lt "$secs" ]; do
	sleep 10
	t=$((t + 10))
	sum=$(metric tracewarp_replay_lateness_seconds_sum)
	cnt=$(metric tracewarp_replay_lateness_seconds_count)
	late=$(awk -v s="$sum" -v ps="$psum" -v c="$cnt" -v pc="$pcnt" \
		'BEGIN { printf "%.1f", (c > pc) ? (s - ps) / (c - pc) * 1e6 : 0 }')
	psum=$sum pcnt=$cnt
	printf '%5d %10s %12s %8s %12s %10s %8s\n' "$t" "$(rss "$rp")" \
		"$(metric tracewarp_replay_packets_sent_total)" \
		"$(metric tracewarp_replay_loops_completed_total)" "$late" \
		"$(rss "$cp")" "$(wc -l <"$dir/rotated" 2>/dev/null || echo 0)" |
		tee -a "$log"
done
wait "$rp"
kill -INT "$cp" 2>/dev/null
wait "$cp"

# flat COLUMN NAME: max after the first minute vs the sample at 60 s.
flat() {
	awk -v c="$1" -v name="$2" 'NR > 1 && $1 >= 60 && $c != "-" {
		if (!first) first = $c
		if ($c > max) max = $c
	} END {
		grow = max - first
		ok = grow <= 2048 || grow <= first / 10
		printf "longrun: %s RSS %d kB at 60 s, at most %d kB after: %s\n",
		       name, first, max, ok ? "flat" : "GROWING"
		exit !ok
	}' "$log"
}
fail=0
flat 2 replay || fail=1
flat 6 capture || fail=1
echo "longrun: $(wc -l <"$dir/rotated") files rotated, \
$(ls "$dir/ring" | wc -l) kept"
exit $fail
