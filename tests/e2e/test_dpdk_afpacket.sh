#!/usr/bin/env bash
# The DPDK replay (preloaded, zero-copy, two lcores each with its own TX
# queue) sent through DPDK's net_af_packet driver into a veth pair
# between two network namespaces of our own, captured with tcpdump on the
# far end: every packet must arrive, and each flow's packets in their
# order.  The sender is tools/bench/dpdk_bench.c built against the
# library next to TRACEWARP (the CLI's --dpdk is wired separately).
# Frames use only 198.18.0.0/15; everything it creates is removed on
# exit.
set -u
[ "$(id -u)" -eq 0 ] || { echo "needs root for network namespaces"; exit 77; }
command -v tcpdump >/dev/null && command -v tshark >/dev/null ||
	{ echo "tcpdump and tshark needed"; exit 77; }
pkg-config --exists libdpdk || { echo "built without DPDK"; exit 77; }
tw=${TRACEWARP:?}
lib=$(dirname "$tw")/libtracewarp.a
cc=cc san=
case $tw in
*/asan/*) cc=clang san="-fsanitize=address,undefined" ;;
esac
[ -s "$lib" ] || { echo "$lib missing"; exit 77; }
ar t "$lib" | grep -qx backend_dpdk.o || { echo "built without DPDK"; exit 77; }
cd "$(dirname "$0")/../.." || exit 1

tag=twdp$$
nsa=$tag-a nsb=$tag-b
tmp=$(mktemp -d)
cleanup() {
	[ -n "${dump:-}" ] && kill "$dump" 2>/dev/null
	ip netns del "$nsa" 2>/dev/null
	ip netns del "$nsb" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

drv=$tmp/dpdk_bench
# shellcheck disable=SC2046
$cc $san -O2 -std=c17 -D_GNU_SOURCE -DTW_HAVE_DPDK -I. -o "$drv" \
	tools/bench/dpdk_bench.c "$lib" $(pkg-config --libs jansson libcrypto \
	yaml-0.1 libpcap zlib libnghttp2) -lm $(libnet-config --libs) \
	$(pkg-config --libs libdpdk) || { echo "driver does not build"; exit 1; }
"$drv" gen "$tmp/t.pcap" 1 200 16 || exit 1
n=$(tshark -r "$tmp/t.pcap" 2>/dev/null | wc -l)

ip netns add "$nsa" 2>/dev/null || { echo "network namespaces unavailable"; exit 77; }
ip netns add "$nsb" || exit 77
ip link add va netns "$nsa" type veth peer name vb netns "$nsb" || exit 77
ip -n "$nsa" link set va up
ip -n "$nsb" link set vb up

timeout 60 ip netns exec "$nsb" tcpdump -i vb -nn -U -B 65536 \
	--immediate-mode -w "$tmp/rx.pcap" udp port 9 2>"$tmp/dump.log" &
dump=$!
for _ in $(seq 50); do
	grep -q listening "$tmp/dump.log" 2>/dev/null && break
	sleep 0.1
done

# Two lcores on the CPUs this shell may use (one CPU shared if need be).
read -r c0 c1 < <(python3 -c 'import os; c = sorted(os.sched_getaffinity(0))
print(c[0], c[1 % len(c)])')
eal="--lcores 0@$c0,1@$c1 --no-huge --no-pci -m 256 --no-shconf"
eal="$eal --log-level=error"
eal="$eal --file-prefix=$tag --vdev net_af_packet0,iface=va,qpairs=2"
out=$(timeout 60 ip netns exec "$nsa" "$drv" send "$eal" "$tmp/t.pcap" 2 \
	50000) || { echo "DPDK send failed: $out"; exit 1; }
read -r sent l0 l1 <<<"$out"
sleep 0.5
kill -INT "$dump"
wait "$dump"
dump=

fail=0
[ "$sent" -eq "$n" ] || { echo "sent $sent of $n"; fail=1; }
[ "$l0" -gt 0 ] && [ "$l1" -gt 0 ] ||
	{ echo "one lcore sent nothing ($l0, $l1)"; fail=1; }
# Per flow (source port), the sequence numbers must rise; all must come.
tshark -r "$tmp/rx.pcap" -T fields -e udp.srcport -e udp.payload \
	2>/dev/null | awk -v n="$n" '
	{ seq = "x" substr($2, 1, 8) # fixed-width hex: compare as text
	  if (($1 in last) && seq <= last[$1]) { bad++ }
	  last[$1] = seq; got++ }
	END {
	  if (got != n) { print "arrived " got " of " n; exit 1 }
	  if (bad) { print bad " packets out of flow order"; exit 1 }
	}' || fail=1
[ "$fail" -eq 0 ] && echo "ok: $n packets over 2 lcores ($l0 + $l1), flows in order"
exit "$fail"
