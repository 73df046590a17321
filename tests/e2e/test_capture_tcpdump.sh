#!/usr/bin/env bash
# `tracewarp capture` beside tcpdump on the same veth, in namespaces of
# our own: real HTTP over IPv4 and IPv6 (curl against python3's
# http.server) and a UDP burst.  Both must hold the same packets, in the
# same bytes, with timestamps within the kernel's accuracy (on a veth
# each packet socket stamps its own copy: microseconds apart; 2 ms of
# slack for a loaded machine).  Their order may differ between a packet
# sent and one received at the same moment.  Then two interfaces
# into one pcapng (one interface block each), classic pcap output, a
# filter given as trailing arguments, a snaplen, and -w - into tshark.
set -u
. "$(dirname "$0")/capture_lib.sh"
serve_http

# 1. pcapng, filter with -f, same filter for tcpdump.
filter='tcp port 8000 or tcp port 8001 or udp port 9000'
start_tcpdump "$tmp/td.pcap" "$filter"
start_tw tw -w "$tmp/tw.pcapng" -f "$filter" --json "$tmp/tw.json"
for i in 1 2 3; do
	ina curl -s -o /dev/null http://198.18.0.2:8000/blob.bin ||
		failed "curl over IPv4"
	ina curl -s -o /dev/null "http://[2001:db8::2]:8001/blob.bin" ||
		failed "curl over IPv6"
done
udp 2000 10000 300
sleep 0.5
stop "$twpid" INT
[ "$rc" -eq 0 ] || failed "capture stopped by SIGINT exited $rc"
stop "$dump" INT
grep -q "^0 packets dropped by kernel" "$tmp/td.pcap.log" ||
	echo "note: tcpdump dropped: $(grep dropped "$tmp/td.pcap.log")"
$chk valid "$tmp/tw.pcapng" || fail=1
$chk match "$tmp/tw.pcapng" "$tmp/td.pcap" 2000000 || failed "differs from tcpdump"
n=$($chk count "$tmp/tw.pcapng")
[ "$n" -gt 2000 ] || failed "only $n packets"
python3 - "$tmp/tw.json" "$n" <<'PY' || failed "--json summary"
import json, sys
j = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
assert j["packets"] == n, j
assert j["received"] >= n and j["kernel_drops"] == 0, j
assert j["ended"] == "signal" and j["error"] is None, j
assert j["files"] == [sys.argv[1][:-len("json")] + "pcapng"], j
PY
grep -q "Dropped:  *0 by the kernel" "$tmp/tw.err" || failed "no drop line"

# 2. Classic pcap, snaplen 96, the filter as trailing arguments.
start_tcpdump "$tmp/td96.pcap" -s 96 udp port 9000
start_tw tw96 -w "$tmp/tw96.pcap" --format pcap -s 96 udp port 9000
udp 500 20000 1000
sleep 0.3
stop "$twpid"
stop "$dump"
$chk match "$tmp/tw96.pcap" "$tmp/td96.pcap" 2000000 || failed "pcap -s 96"
[ "$(tshark -r "$tmp/tw96.pcap" -T fields -e frame.cap_len | sort -u)" = 96 ] ||
	failed "snaplen 96 not applied"
[ "$(head -c 4 "$tmp/tw96.pcap" | od -An -tx4 | tr -d ' ')" = a1b23c4d ] ||
	failed "pcap output is not nanosecond pcap"

# 3. Two interfaces into one pcapng: the veth and the loopback (libpcap
# shows each loopback datagram once); then -c.
start_tw two -i lo -w "$tmp/two.pcapng" --duration 2 udp port 9000
udp 200 20000
inb $chk udp 127.0.0.1 9000 200 20000
wait "$twpid"
rc=$?
[ "$rc" -eq 0 ] || failed "--duration 2 exited $rc"
ifs=$(tshark -r "$tmp/two.pcapng" -T fields -e frame.interface_id | sort | uniq -c |
	awk '{print $2 ":" $1}' | tr '\n' ' ')
[ "$ifs" = "0:200 1:200 " ] || failed "two interfaces: $ifs"
[ "$(capinfos "$tmp/two.pcapng" 2>/dev/null | grep -c 'Encapsulation = ')" -eq 2 ] ||
	failed "two interface blocks expected"
grep -q "Stopped by: *duration" "$tmp/two.err" || failed "--duration not reported"
start_tw count -w "$tmp/count.pcapng" -c 150 udp port 9000
udp 200 20000
wait "$twpid" || failed "-c 150 exited $?"
[ "$($chk count "$tmp/count.pcapng")" -eq 150 ] || failed "-c 150"
grep -q "Stopped by: *count" "$tmp/count.err" || failed "-c not reported"

# 4. -w - into a pipe.
ip netns exec "$nsb" "$tw" capture -q -i vb -w - -c 100 udp port 9000 >"$tmp/pipe.pcapng" 2>"$tmp/pipe.err" &
pipe=$!
pids+=("$pipe")
sleep 0.5
udp 100 20000
wait "$pipe" || failed "-w - exited $?"
[ "$(tshark -r - <"$tmp/pipe.pcapng" 2>/dev/null | wc -l)" -eq 100 ] ||
	failed "-w -: not 100 packets"

[ "$fail" -eq 0 ] && echo "capture beside tcpdump: all checks passed"
exit "$fail"
