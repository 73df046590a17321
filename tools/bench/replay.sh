#!/usr/bin/env bash
# replay.sh TRACEWARP - `tracewarp replay` beside `tcpreplay` on the same
# traces and the same veth pair (in two network namespaces of its own,
# 198.18.0.0/15 only, removed on exit):
#
#  1. top speed from a preloaded trace: packets/s as each tool reports it
#     and as the receiving interface counts it, and the ratio;
#  2. timing at speedup 1 on a synthetic 100 kpps trace: lateness measured
#     from the receiving side (tcpdump timestamps on the peer), p50/p99/max
#     for each tool.
#
# Writes build/bench/replay.md.  Needs root, tcpreplay and tcpdump.
set -eu
cd "$(dirname "$0")/../.."
tw=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shared=${SHARED:-$(cd .. && pwd)/shared}
out=build/bench
mkdir -p "$out"
[ "$(id -u)" -eq 0 ] || { echo "bench: replay needs root" >&2; exit 1; }
for t in tcpreplay tcpdump python3; do
	command -v $t >/dev/null || { echo "bench: $t missing" >&2; exit 1; }
done

tag=twb$$
nsa=$tag-a nsb=$tag-b
tmp=$(mktemp -d)
cleanup() {
	ip netns del "$nsa" 2>/dev/null || true
	ip netns del "$nsb" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$nsa"
ip netns add "$nsb"
for ns in "$nsa" "$nsb"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done
ip link add va netns "$nsa" type veth peer name vb netns "$nsb"
ip -n "$nsa" link set va up
ip -n "$nsb" link set vb up

rx() { ip netns exec "$nsb" cat /sys/class/net/vb/statistics/rx_packets; }
ina() { ip netns exec "$nsa" "$@"; }

# --- 1. top speed ---------------------------------------------------------
top_trace=$shared/corpus/public/tcpreplay-test.pcap
loops=${BENCH_LOOPS:-3000}
n_top=$(($(tshark -r "$top_trace" 2>/dev/null | wc -l) * loops))

pps_of() { # pps_of CMD... -> "sender_pps receiver_pps" of one run
	local r0 t0 t1 r1
	r0=$(rx)
	t0=$(date +%s%N)
	"$@" >"$tmp/top.log" 2>&1 || { cat "$tmp/top.log" >&2; exit 1; }
	t1=$(date +%s%N)
	r1=$(rx)
	awk -v n="$n_top" -v r=$((r1 - r0)) -v ns=$((t1 - t0)) \
		'BEGIN { printf "%.0f %.0f\n", n / (ns / 1e9), r / (ns / 1e9) }'
}

# The tools take turns, five rounds, and each keeps its best round, so a
# burst of load on the machine does not favour either.
echo "bench: top speed, $n_top packets per run..."
tw_top=0 tw_top_rx=0 tr_top=0 tr_top_rx=0
for _ in 1 2 3 4 5; do
	read -r s r < <(pps_of ina "$tw" replay -q -i va -t -l "$loops" \
		"$top_trace")
	[ "$s" -gt "$tw_top" ] && tw_top=$s && tw_top_rx=$r
	read -r s r < <(pps_of ina tcpreplay -q -i va -t -K -l "$loops" \
		"$top_trace")
	[ "$s" -gt "$tr_top" ] && tr_top=$s && tr_top_rx=$r
done

# --- 2. accuracy at speedup 1, 100 kpps -----------------------------------
acc_trace=$tmp/100kpps.pcap
python3 - "$acc_trace" <<'PY'
import struct, sys
# 200,000 UDP frames of 64 bytes, 10 us apart: 2 s at 100 kpps.
frame = bytes.fromhex("020000000002020000000001" "0800"
                      "4500003200010000401100" "00c6120001" "c6120002"
                      "d4311f90001e0000") + bytes(22)
out = [struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 65535, 1)]
for i in range(200000):
    t = 10**9 + i * 10000
    out.append(struct.pack("<IIII", t // 10**9, t % 10**9, 64, 64) + frame)
open(sys.argv[1], "wb").write(b"".join(out))
PY

lateness() { # lateness NAME CMD... -> "p50 p99 max received" from the peer
	local cap=$tmp/acc.pcap
	ip netns exec "$nsb" tcpdump -i vb -nn -B 262144 --immediate-mode \
		--time-stamp-precision=nano -w "$cap" 2>"$cap.log" &
	local dump=$!
	for _ in $(seq 50); do grep -q listening "$cap.log" && break; sleep 0.1; done
	"$@" >"$tmp/acc.log" 2>&1 || { cat "$tmp/acc.log" >&2; exit 1; }
	sleep 1
	kill -INT "$dump"
	wait "$dump" || true
	python3 - "$acc_trace" "$cap" <<'PY'
import subprocess, sys
def ns(path):
    out = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e",
                          "frame.time_epoch"], capture_output=True,
                         text=True, check=True).stdout.split()
    return [int(a) * 10**9 + int((b + "0" * 9)[:9])
            for a, b in (s.split(".") for s in out)]
src, got = ns(sys.argv[1]), ns(sys.argv[2])
n = min(len(src), len(got))
# The first packet's true lateness is unknown from the receiving side:
# lateness is relative to the earliest packet (the minimum is 0).
d = [(got[i] - got[0]) - (src[i] - src[0]) for i in range(n)]
lo = min(d)
d = sorted(x - lo for x in d)
pick = lambda q: d[min(n - 1, int(q * n))]
print(pick(0.5), pick(0.99), d[-1], len(got))
PY
}

echo "bench: accuracy at speedup 1, 100 kpps for 2 s..."
read -r tw_p50 tw_p99 tw_max tw_n < <(lateness ina "$tw" replay -q -i va \
	-x 1 "$acc_trace")
read -r tr_p50 tr_p99 tr_max tr_n < <(lateness ina tcpreplay -q -i va -K \
	"$acc_trace")

us() { awk -v v="$1" 'BEGIN { printf "%.1f", v / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
{
	echo "# tracewarp replay beside tcpreplay"
	echo
	echo "Machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); veth pair between two namespaces; $(tcpreplay --version 2>&1 | head -1)."
	echo
	echo "## Top speed, preloaded ($top_trace x $loops loops, $n_top packets, best of 5 alternating rounds)"
	echo
	echo "| tool | packets/s sent | packets/s received | tracewarp / tool |"
	echo "|---|---|---|---|"
	echo "| tracewarp replay -t (PACKET_TX_RING, qdisc bypass) | $tw_top | $tw_top_rx | 1.00x |"
	echo "| tcpreplay -t -K | $tr_top | $tr_top_rx | $(ratio "$tw_top" "$tr_top") |"
	echo
	echo "## Timing at speedup 1 (100 kpps, 200,000 packets), from the receiver"
	echo
	echo "Lateness relative to the earliest packet, tcpdump timestamps on the peer."
	echo
	echo "| tool | p50 (us) | p99 (us) | max (us) | received |"
	echo "|---|---|---|---|---|"
	echo "| tracewarp replay -x 1 | $(us "$tw_p50") | $(us "$tw_p99") | $(us "$tw_max") | $tw_n |"
	echo "| tcpreplay -K | $(us "$tr_p50") | $(us "$tr_p99") | $(us "$tr_max") | $tr_n |"
} | tee "$out/replay.md"
