#!/usr/bin/env bash
# `tracewarp replay -w`: what would be sent, checked by tshark and tcpdump.
# Timestamps must equal the schedule exactly (speedups 0.5, 1, 5, 1000,
# pps and Mbps, loops), frames must equal the input's, rewrites and
# amplified copies must carry valid checksums, and amplification must
# make N distinct flows.  Edge cases: empty, single-packet, identical and
# backwards timestamps, several interfaces, jumbo frames.
set -u
command -v tshark >/dev/null && command -v tcpdump >/dev/null ||
	{ echo "tshark and tcpdump needed"; exit 77; }
tw=${TRACEWARP:?}
[ -x "$tw" ] || { echo "no binary at $tw"; exit 1; }
corpus=${SHARED:?}/corpus/public
chk="python3 $(dirname "$0")/replay_check.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

ok() { # ok DESCRIPTION CMD... : runs CMD, records a failure
	local what=$1
	shift
	if ! out=$("$@" 2>&1); then
		echo "FAILED: $what"
		echo "$out" | tail -5 | sed 's/^/    /'
		fail=1
	fi
}

replay() { # replay OUT ARGS... : a dry run, quiet
	local out=$1
	shift
	"$tw" replay -q -w "$out" "$@"
}

json() { # json FILE KEY -> value
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# Time compression and rates, exact to the nanosecond.
in=$corpus/tcpreplay-test.pcap
for x in 0.5 1 5 1000; do
	ok "replay -x $x" replay "$tmp/x$x.pcapng" -x "$x" "$in"
	ok "schedule -x $x" $chk schedule "$in" "$tmp/x$x.pcapng" "x$x" 1
done
ok "bytes -x 1" $chk bytes "$in" "$tmp/x1.pcapng" 1
ok "replay --pps" replay "$tmp/pps.pcapng" --pps 1000 "$in"
ok "schedule --pps" $chk schedule "$in" "$tmp/pps.pcapng" pps1000 1
ok "replay --pps 0.5" replay "$tmp/pps2.pcap" --pcap --pps 0.5 -L 5 "$in"
ok "replay --mbps" replay "$tmp/mbps.pcapng" --mbps 1.5 "$in"
ok "schedule --mbps" $chk schedule "$in" "$tmp/mbps.pcapng" mbps1.5 1
ok "replay --topspeed" replay "$tmp/top.pcapng" -t "$in"
ok "schedule --topspeed" $chk schedule "$in" "$tmp/top.pcapng" top 1

# Loops: the gap between loops is the trace's mean gap.
in=$corpus/trex-http_get.pcap
ok "replay --loop 3" replay "$tmp/loop.pcapng" -x 2 -l 3 "$in"
ok "schedule --loop 3" $chk schedule "$in" "$tmp/loop.pcapng" x2 3
ok "bytes --loop 3" $chk bytes "$in" "$tmp/loop.pcapng" 3

# A trace larger than --preload-max is streamed, and read again per loop.
ok "replay streamed" replay "$tmp/stream.pcapng" -x 2 -l 3 \
	--preload-max 1000 "$in"
ok "schedule streamed" $chk schedule "$in" "$tmp/stream.pcapng" x2 3
# JSON on standard output, Prometheus text to a file.
"$tw" replay -w "$tmp/j.pcapng" --json - --metrics-file "$tmp/m.prom" \
	"$in" >"$tmp/j.json" 2>&1
[ "$(json "$tmp/j.json" packets_sent)" = 47 ] ||
	{ echo "FAILED: --json - did not give the count"; fail=1; }
grep -q 'tracewarp_replay_packets_sent_total{output=".*j.pcapng"} 47' \
	"$tmp/m.prom" || { echo "FAILED: --metrics-file"; fail=1; }

# Limits.
ok "replay --limit" replay "$tmp/lim.pcapng" -l 0 -L 100 "$in"
n=$(tshark -r "$tmp/lim.pcapng" 2>/dev/null | wc -l)
[ "$n" -eq 100 ] || { echo "FAILED: --limit 100 wrote $n"; fail=1; }
# --duration bounds the schedule: offsets 0 to 1 s at 1000 pps.
ok "replay --duration" replay "$tmp/dur.pcapng" --pps 1000 -l 0 \
	--duration 1s --json "$tmp/dur.json" "$in"
n=$(tshark -r "$tmp/dur.pcapng" 2>/dev/null | wc -l)
[ "$n" -eq 1001 ] || { echo "FAILED: --duration 1s at 1000 pps wrote $n"; fail=1; }

# Rewriting: addresses, ports, VLAN; checksums stay valid.
in=$corpus/trex-https.pcap
ok "input checksums" $chk cksum "$in"
ok "replay rewrites" replay "$tmp/rw.pcapng" \
	--ip-map 21.0.0.0/16:198.18.0.0/16 --ip-map 22.0.0.0/16:198.19.0.0/16 \
	--port-map 443:8443 --vlan-add 42 --src-mac 02:00:00:00:00:01 "$in"
ok "rewrite checksums" $chk cksum "$tmp/rw.pcapng"
n=$(tshark -r "$tmp/rw.pcapng" -Y 'vlan.id == 42 && tcp.port == 8443 &&
	ip.src == 198.18.0.0/15 && ip.dst == 198.18.0.0/15' 2>/dev/null | wc -l)
m=$(tshark -r "$in" 2>/dev/null | wc -l)
[ "$n" -eq "$m" ] || { echo "FAILED: rewrites reached $n of $m packets"; fail=1; }

# Amplification: N distinct flows, valid checksums, aligned and spread.
flows=$($chk flows "$in")
for spread in "" --amplify-spread; do
	ok "replay --amplify $spread" replay "$tmp/amp.pcapng" \
		--amplify 'tcp*4' $spread "$in"
	ok "amplified checksums $spread" $chk cksum "$tmp/amp.pcapng"
	got=$($chk flows "$tmp/amp.pcapng")
	[ "$got" -eq $((4 * flows)) ] ||
		{ echo "FAILED: amplify $spread: $got flows, want $((4 * flows))"; fail=1; }
	n=$(tshark -r "$tmp/amp.pcapng" 2>/dev/null | wc -l)
	[ "$n" -eq $((4 * m)) ] ||
		{ echo "FAILED: amplify $spread: $n packets, want $((4 * m))"; fail=1; }
done
# --unique-ip: three loops, three sets of flows.
ok "replay --unique-ip" replay "$tmp/uniq.pcapng" --unique-ip -l 3 -t "$in"
got=$($chk flows "$tmp/uniq.pcapng")
[ "$got" -eq $((3 * flows)) ] ||
	{ echo "FAILED: --unique-ip: $got flows, want $((3 * flows))"; fail=1; }
ok "unique-ip checksums" $chk cksum "$tmp/uniq.pcapng"

# IPv6: prefix map and amplification together.
in=$corpus/arkime-tls-alpn-h2.pcap
ok "IPv6 input checksums" $chk cksum "$in"
ok "replay IPv6" replay "$tmp/v6.pcapng" --amplify 'tcp*3' \
	--ip-map 2606:4700::/32:2001:db8::/32 "$in"
ok "IPv6 checksums" $chk cksum "$tmp/v6.pcapng"
got=$($chk flows "$tmp/v6.pcapng")
n=$(tshark -r "$tmp/v6.pcapng" -Y 'ipv6.addr == 2001:db8::/32' 2>/dev/null | wc -l)
[ "$got" -eq $((3 * $($chk flows "$in"))) ] && [ "$n" -eq 27 ] ||
	{ echo "FAILED: IPv6: $got flows, $n packets mapped"; fail=1; }

# QinQ: strip pops the outer (802.1ad) tag, set changes its id.
in=$corpus/tcpdump-802.1ad_QinQ.pcap
ok "replay --vlan-strip" replay "$tmp/q.pcapng" --vlan-strip "$in"
[ "$(tshark -r "$tmp/q.pcapng" -T fields -e frame.protocols 2>/dev/null |
	sort -u)" = "eth:ethertype:vlan:ethertype:arp" ] ||
	{ echo "FAILED: --vlan-strip"; fail=1; }
ok "replay --vlan-set" replay "$tmp/q.pcapng" --vlan-set 7 "$in"
[ "$(tshark -r "$tmp/q.pcapng" -T fields -e ieee8021ad.id -e vlan.id \
	2>/dev/null | sort -u)" = "7	2001" ] || { echo "FAILED: --vlan-set"; fail=1; }

# Standard input must fit in memory: it cannot be read again.
"$tw" replay -q -w "$tmp/s.pcapng" --preload-max 1000 - \
	<"$corpus/trex-https.pcap" 2>"$tmp/s.err"
[ $? -eq 1 ] && grep -q preload-max "$tmp/s.err" ||
	{ echo "FAILED: oversized standard input"; fail=1; }
ok "standard input" replay "$tmp/s.pcapng" -l 2 - <"$corpus/trex-https.pcap"

# Selection.
ok "replay --filter" replay "$tmp/f.pcapng" --filter 'tcp[tcpflags] & tcp-syn != 0' \
	--json "$tmp/f.json" "$in"
n=$(tshark -r "$tmp/f.pcapng" 2>/dev/null | wc -l)
want=$(tshark -r "$in" -Y 'tcp.flags.syn == 1' 2>/dev/null | wc -l)
[ "$n" -eq "$want" ] || { echo "FAILED: --filter: $n packets, want $want"; fail=1; }

# Edge cases: empty, single packet, identical and backwards timestamps,
# several interfaces with different link types, jumbo frames.
ok "empty trace" replay "$tmp/empty.pcapng" "$corpus/tcpdump-empty.pcapng"
ok "single packet" replay "$tmp/one.pcapng" -x 5 -l 2 \
	"$corpus/tcpdump-ipv6_jumbogram_1.pcap"
ok "single packet schedule" $chk schedule \
	"$corpus/tcpdump-ipv6_jumbogram_1.pcap" "$tmp/one.pcapng" x5 2
python3 - "$tmp/odd.pcap" <<'PY'
import struct, sys
frame = bytes.fromhex("ffffffffffff020000000001" "0800" "45000014000100004011" "0000" "c6120001c6120002")
hdr = struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 65535, 1)
recs = b""
for sec, ns in [(5, 0), (5, 0), (3, 7), (7, 1), (6, 999999999), (7, 1)]:
    recs += struct.pack("<IIII", sec, ns, len(frame), len(frame)) + frame
open(sys.argv[1], "wb").write(hdr + recs)
PY
ok "odd timestamps" replay "$tmp/odd.pcapng" -x 0.5 --json "$tmp/odd.json" "$tmp/odd.pcap"
ok "odd timestamps schedule" $chk schedule "$tmp/odd.pcap" "$tmp/odd.pcapng" x0.5 1
[ "$(json "$tmp/odd.json" out_of_order)" = 2 ] ||
	{ echo "FAILED: out-of-order count"; fail=1; }
in=$corpus/pcapng-output_le-advanced-test102.pcapng
ok "several interfaces" replay "$tmp/ifs.pcapng" "$in"
ok "several interfaces schedule" $chk schedule "$in" "$tmp/ifs.pcapng" x1 1
ok "jumbo frames" replay "$tmp/jumbo.pcapng" -x 1000 "$corpus/trex-jumbo.pcap"
ok "jumbo bytes" $chk bytes "$corpus/trex-jumbo.pcap" "$tmp/jumbo.pcapng" 1

# Usage errors exit 1 with a message.
for args in "-x 0" "-x abc" "--pps 1 --mbps 1" "--amplify tcp" \
	"--amplify 'tcp*0'" "--ip-map 10.0.0.0/8:1.0.0.0/16" "--filter 'no such'" \
	"-l 0" "--amplify 'tcp*2' --amplify 'udp*2'"; do
	if eval "\"$tw\" replay -q -w \"$tmp/u.pcapng\" $args \"$corpus/trex-dns.pcap\"" \
		>/dev/null 2>&1; [ $? -ne 1 ]; then
		echo "FAILED: replay $args should exit 1"
		fail=1
	fi
done
# Exponents as tcpreplay takes them: x1e3 is x1000.
ok "speedup 1e3" replay "$tmp/e3.pcapng" -x 1e3 "$in"
ok "speedup 1e3 schedule" $chk schedule "$in" "$tmp/e3.pcapng" x1000 1
# A write error is reported once.
n=$("$tw" replay -q -w /dev/full "$in" 2>&1 | grep -c 'write failed')
[ "$n" -eq 1 ] || { echo "FAILED: write error reported $n times"; fail=1; }
"$tw" replay -q -w "$tmp/u.pcapng" /nonexistent.pcap 2>/dev/null
[ $? -eq 1 ] || { echo "FAILED: missing trace should exit 1"; fail=1; }
# Outputs never overwrite the trace (by name or link), nor each other.
cp "$corpus/trex-dns.pcap" "$tmp/self.pcap"
ln -s "$tmp/self.pcap" "$tmp/link.pcap"
sum=$(md5sum <"$tmp/self.pcap")
for w in "-w $tmp/self.pcap" "-w $tmp/link.pcap" \
	"-w $tmp/v.pcapng --json $tmp/link.pcap" "-w - --json -"; do
	"$tw" replay -q -t $w "$tmp/self.pcap" >/dev/null 2>&1
	[ $? -eq 1 ] || { echo "FAILED: replay $w should exit 1"; fail=1; }
done
[ "$(md5sum <"$tmp/self.pcap")" = "$sum" ] ||
	{ echo "FAILED: the trace was overwritten"; fail=1; }

[ "$fail" -eq 0 ] && echo "replay dry runs: all checks passed"
exit "$fail"
