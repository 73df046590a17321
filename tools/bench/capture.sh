#!/usr/bin/env bash
# capture.sh TRACEWARP - live capture beside tcpdump: the highest offered
# rate each records with zero drops.  Prints markdown (a heading, then a
# table); tools/bench/run.sh appends it to build/bench/results.md.
#
# Two network namespaces joined by a veth pair (198.18.0.0/15 only).
# `tracewarp replay --pps R` sends 128-byte UDP frames from one side for
# BENCH_SECS (default 3) seconds per step; the other side records them
# into a file with `tracewarp capture` and, in a separate run, with
# `tcpdump`, both with their default options, the same filter ("udp")
# and the same snaplen (whole packets).  A step passes when the kernel
# and the interface dropped nothing and every packet sent is in the
# file.  The rate doubles until both tools have failed a step (or the
# sender's top speed).  The offered rate is what the sender managed
# (the sender's own measure: packets sent / time taken; a loaded machine
# sends slower than asked, and the table says so).  Needs root; prints a
# note and exits 0 otherwise.
set -u
cd "$(dirname "$0")/../.."
tw=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
secs=${BENCH_SECS:-3}
rates=${BENCH_RATES:-"25000 50000 100000 200000 400000 800000 1600000"}
# The sender on CPU 0, the capture on the last CPU: each tool gets one
# core of its own, so the figure is what one core records.
capcpu=$(($(nproc) - 1))

if [ "$(id -u)" -ne 0 ] || ! command -v tcpdump >/dev/null; then
	echo "## Live capture"
	echo
	echo "(skipped: needs root and tcpdump)"
	exit 0
fi

tag=twbc$$
nsa=$tag-a nsb=$tag-b
# Files go to memory (BENCH_TMP, default /dev/shm) so that the figure
# is the capture path, not this machine's disk; each is deleted after
# its step.
tmp=$(mktemp -d -p "${BENCH_TMP:-/dev/shm}")
cleanup() {
	for ns in "$nsa" "$nsb"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ip netns add "$nsa" && ip netns add "$nsb" &&
	ip link add va netns "$nsa" type veth peer name vb netns "$nsb" || {
	echo "## Live capture"
	echo
	echo "(skipped: no network namespaces)"
	exit 0
}
ip -n "$nsa" addr add 198.18.0.1/30 dev va
ip -n "$nsb" addr add 198.18.0.2/30 dev vb
ip -n "$nsa" link set va up
ip -n "$nsb" link set vb up

# 1000 distinct 128-byte UDP frames, looped by the sender.
python3 - "$tmp/udp.pcap" <<'PY'
import struct, sys
out = open(sys.argv[1], "wb")
out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
for i in range(1000):
    pay = struct.pack(">Q", i) + b"x" * 78
    udp = struct.pack(">HHHH", 40000 + i % 64, 9000, 8 + len(pay), 0) + pay
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17,
                     0, bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2]))
    s = sum(struct.unpack(">10H", ip))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    ip = ip[:10] + struct.pack(">H", ~s & 0xffff) + ip[12:]
    f = b"\xff" * 6 + b"\x02\0\0\0\0\x01\x08\x00" + ip + udp
    out.write(struct.pack("<IIII", 1, i, len(f), len(f)) + f)
PY

# send RATE [SECS] -> packets sent; with $stall set, the capture ($cap)
# is stopped (SIGSTOP) for that many seconds half a second in, as a
# writer blocked on a slow disk would be.
send() {
	if [ -n "${stall:-}" ]; then
		(sleep 0.5; kill -STOP "$cap"; sleep "$stall"; kill -CONT "$cap") &
	fi
	rm -f "$tmp/send.json"
	taskset -c 0 ip netns exec "$nsa" "$tw" replay -q -i va --pps "$1" -l 0 \
		--duration "${2:-$secs}s" --json "$tmp/send.json" "$tmp/udp.pcap" \
		>"$tmp/send.log" 2>&1 || echo "sender failed: $(tail -1 "$tmp/send.log")" >&2
	wait
	[ -s "$tmp/send.json" ] || { echo 0; echo 0 >"$tmp/achieved"; return; }
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["packets_sent"]); print(round(j["pps"]), file=open(sys.argv[2], "w"))' \
		"$tmp/send.json" "$tmp/achieved"
}

wait_listening() {
	for _ in $(seq 50); do
		grep -q listening "$1" 2>/dev/null && return 0
		sleep 0.1
	done
}

# run_tw RATE -> "sent captured drops"
run_tw() {
	rm -f "$tmp/tw.pcapng" "$tmp/tw.json"
	taskset -c "$capcpu" ip netns exec "$nsb" "$tw" capture -i vb -w "$tmp/tw.pcapng" \
		--json "$tmp/tw.json" udp 2>"$tmp/tw.err" &
	local p=$!
	cap=$p
	wait_listening "$tmp/tw.err"
	local sent
	sent=$(send "$@")
	sleep 0.5
	kill -INT "$p" 2>/dev/null
	wait "$p" || echo "tracewarp capture exited $? at $1 pps" >&2
	cp "$tmp/tw.err" "$tmp/tw-$1.err"
	rm -f "$tmp/tw.pcapng"
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(sys.argv[2], j["packets"], j["kernel_drops"] + j["interface_drops"])' \
		"$tmp/tw.json" "$sent"
}

# run_tcpdump RATE -> "sent captured drops"
run_tcpdump() {
	rm -f "$tmp/td.pcap"
	taskset -c "$capcpu" ip netns exec "$nsb" tcpdump -i vb -Z root -w "$tmp/td.pcap" udp \
		2>"$tmp/td.err" &
	local p=$!
	cap=$p
	wait_listening "$tmp/td.err"
	local sent
	sent=$(send "$@")
	sleep 2.5 # tcpdump hands over a block after its 1 s timeout
	kill -INT "$p"
	wait "$p"
	local cap drop
	rm -f "$tmp/td.pcap"
	cap=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$tmp/td.err")
	drop=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$tmp/td.err")
	echo "$sent ${cap:-0} ${drop:-0}"
}

# A step passes with no drop and every packet sent in the file.
ok() { [ "$1" -gt 0 ] && [ "$3" -eq 0 ] && [ "$2" -ge "$1" ]; }

best_tw=0 best_td=0 tw_on=1 td_on=1
rows=""
for r in $rates; do
	[ "$tw_on$td_on" = 00 ] && break
	twr="-" tdr="-"
	if [ "$tw_on" = 1 ]; then
		read -r s c d < <(run_tw "$r")
		twr="$c of $s at $(cat "$tmp/achieved") pps, $d drops"
		if ok "$s" "$c" "$d"; then best_tw=$(cat "$tmp/achieved"); else tw_on=0; fi
	fi
	if [ "$td_on" = 1 ]; then
		read -r s c d < <(run_tcpdump "$r")
		tdr="$c of $s at $(cat "$tmp/achieved") pps, $d drops"
		if ok "$s" "$c" "$d"; then best_td=$(cat "$tmp/achieved"); else td_on=0; fi
	fi
	rows+="| $r pps | $twr | $tdr |"$'\n'
done

# Stalls: 50000 pps, the capture stopped for longer and longer.
stall_rate=${BENCH_STALL_RATE:-50000}
srows="" sbest_tw=0 sbest_td=0 tw_on=1 td_on=1
for st in ${BENCH_STALLS:-0.1 0.4 1.6 6.4}; do
	[ "$tw_on$td_on" = 00 ] && break
	twr="-" tdr="-"
	dur=$(awk -v s="$st" 'BEGIN { printf "%d", s + 2.99 }')
	if [ "$tw_on" = 1 ]; then
		read -r s c d < <(stall=$st run_tw "$stall_rate" "$dur")
		twr="$c of $s, $d drops"
		if ok "$s" "$c" "$d"; then sbest_tw=$st; else tw_on=0; fi
	fi
	if [ "$td_on" = 1 ]; then
		read -r s c d < <(stall=$st run_tcpdump "$stall_rate" "$dur")
		tdr="$c of $s, $d drops"
		if ok "$s" "$c" "$d"; then sbest_td=$st; else td_on=0; fi
	fi
	srows+="| stopped $st s | $twr | $tdr |"$'\n'
done

ratio=$(awk -v a="$best_tw" -v b="$best_td" \
	'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
echo "## Live capture (128-byte UDP frames on a veth, ${secs} s per step)"
echo
echo "| asked of the sender | tracewarp capture: in the file of sent, at the rate achieved | tcpdump: the same |"
echo "|---|---|---|"
printf '%s' "$rows"
echo
echo "| highest zero-drop rate | tracewarp | tcpdump | tracewarp / tcpdump |"
echo "|---|---|---|---|"
echo "| default options, filter udp, whole packets | $best_tw pps | $best_td pps | $ratio |"
echo
echo "### A stalled capture ($stall_rate pps; the capture process stopped, as by a slow disk)"
echo
echo "| stall | tracewarp capture | tcpdump |"
echo "|---|---|---|"
printf '%s' "$srows"
echo
sratio=$(awk -v a="$sbest_tw" -v b="$sbest_td" \
	'BEGIN { if (b > 0) printf "%.0f", a / b; else print "-" }')
echo "| longest stall without a drop | tracewarp | tcpdump | ratio |"
echo "|---|---|---|---|"
more=""
[ "$tw_on" = 1 ] && more=" or more" && sratio=">= $sratio"
echo "| default rings (256 MiB / 2 MiB) | $sbest_tw s$more | $sbest_td s | $sratio |"
