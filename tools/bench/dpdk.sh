#!/usr/bin/env bash
# dpdk.sh TRACEWARP - the DPDK replay on net_null (no NIC, no hugepages:
# --no-huge --no-pci), through tools/bench/dpdk_bench.c built against the
# library next to TRACEWARP:
#
#  1. top speed, 64-byte frames, 1024 flows: a bare rte_eth_tx_burst loop
#     of mbufs built once and re-sent by reference, beside the preloaded
#     zero-copy replay on 1 and 2 lcores, the replay engine through the
#     DPDK backend, and that backend alone (copying, attaching); rounds
#     interleave so that other jobs' load touches all alike; best round;
#  2. timed replay at 1 Mpps scheduled for 1 s: lateness p50/p99/max;
#  3. peak RSS of a process that preloads a BENCH_RSS_MB (1024) trace of
#     mixed frame sizes and sends it once.
#
# Prints markdown table rows and writes build/bench/dpdk.md.
set -eu
cd "$(dirname "$0")/../.."
lib=$(dirname "$1")/libtracewarp.a
out=build/bench
mkdir -p "$out"
if ! pkg-config --exists libdpdk; then
	echo "bench: DPDK (libdpdk) absent: DPDK benchmarks skipped"
	exit 0
fi
[ -s "$lib" ] || { echo "bench: $lib missing (make first)" >&2; exit 1; }

drv=$out/dpdk_bench
libs="$(pkg-config --libs jansson libcrypto yaml-0.1 libpcap zlib \
	libnghttp2) -lm $(libnet-config --libs 2>/dev/null) \
	$(pkg-config --libs libdpdk)"
# shellcheck disable=SC2086
cc -O2 -std=c17 -D_GNU_SOURCE -DTW_HAVE_DPDK -DNDEBUG -I. -o "$drv" \
	tools/bench/dpdk_bench.c "$lib" $libs

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pkts=${BENCH_DPDK_PKTS:-10000000}
rounds=${BENCH_DPDK_ROUNDS:-3}
rss_mb=${BENCH_RSS_MB:-1024}

"$drv" gen "$tmp/t64.pcap" 8 64 1024
"$drv" top "$tmp/t64.pcap" "$pkts" "$rounds" >"$tmp/top.txt"
"$drv" late "$tmp/t64.pcap" 1000000 1 >"$tmp/late.txt"
"$drv" gen "$tmp/big.pcap" "$rss_mb" 1000 4096
"$drv" rss "$tmp/big.pcap" >"$tmp/rss.txt"
rm -f "$tmp/big.pcap"

# Best of the rounds per column; ratios from the best figures.
read -r bare one two eng bcopy batt < <(awk '
	{ for (i = 1; i <= NF; i++) if ($i > b[i]) b[i] = $i }
	END { print b[1], b[2], b[3], b[4], b[5], b[6] }' "$tmp/top.txt")
# The median over rounds of each sender's rate over the bare loop's in
# the same round: steadier than the best figures on a shared machine.
med() { # med COLUMN
	awk -v c="$1" '{ print $c / $1 }' "$tmp/top.txt" | sort -g |
		awk '{ v[NR] = $1 } END { printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
read -r lp50 lp99 lmax lrate ep50 ep99 emax erate <"$tmp/late.txt"
read -r pbytes ppkts hwm _ <"$tmp/rss.txt"

mpps() { awk -v v="$1" 'BEGIN { printf "%.2f", v / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
us() { awk -v v="$1" 'BEGIN { printf "%.1f", v / 1e3 }'; }
mb() { awk -v v="$1" 'BEGIN { printf "%.0f", v / 1048576 }'; }

{
	echo "## DPDK replay (net_null, --no-huge --no-pci)"
	echo
	echo "Machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), load average $(cut -d' ' -f1 /proc/loadavg) at the end; 64-byte frames, 1024 flows, best of $rounds interleaved rounds of $pkts packets."
	echo
	echo "| sender | best Mpps | best / bare best | median of per-round ratios |"
	echo "|---|---|---|---|"
	echo "| bare rte_eth_tx_burst loop (mbufs re-sent by reference) | $(mpps "$bare") | 1.00 | 1.00 |"
	echo "| preloaded replay, 1 lcore (zero-copy, TSC pacing) | $(mpps "$one") | $(ratio "$one" "$bare") | $(med 2) |"
	echo "| preloaded replay, 2 lcores | $(mpps "$two") | $(ratio "$two" "$bare") (scaling $(ratio "$two" "$one")x) | $(med 3) |"
	echo "| replay engine + DPDK backend (copies each frame) | $(mpps "$eng") | $(ratio "$eng" "$bare") | $(med 4) |"
	echo "| DPDK backend alone, copying | $(mpps "$bcopy") | $(ratio "$bcopy" "$bare") | $(med 5) |"
	echo "| DPDK backend alone, attaching (arena declared) | $(mpps "$batt") | $(ratio "$batt" "$bare") | $(med 6) |"
	echo
	echo "| 1 Mpps scheduled, 1 s | p50 us | p99 us | max us | achieved Mpps |"
	echo "|---|---|---|---|---|"
	echo "| preloaded replay, 1 lcore (TSC deadline per burst) | $(us "$lp50") | $(us "$lp99") | $(us "$lmax") | $(mpps "$lrate") |"
	echo "| replay engine + DPDK backend (clock_nanosleep + spin) | $(us "$ep50") | $(us "$ep99") | $(us "$emax") | $(mpps "$erate") |"
	echo
	echo "| preloaded trace | packets | trace MB | peak RSS MB | RSS / trace |"
	echo "|---|---|---|---|---|"
	echo "| mixed 64-1500 byte frames | $ppkts | $(mb "$pbytes") | $((hwm / 1024)) | $(ratio "$((hwm * 1024))" "$pbytes") |"
} | tee "$out/dpdk.md"
