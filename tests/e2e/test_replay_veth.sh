#!/usr/bin/env bash
# `tracewarp replay -i`: a trace sent into a veth pair between two network
# namespaces of our own, captured with tcpdump on the far end.  Every
# packet must arrive, byte for byte and in order; at speedup 5 the gaps
# between packets must be the trace's divided by 5, within the lateness
# tracewarp measured (plus the receiver's timestamping jitter); frames
# larger than the MTU must be reported as skipped, never sent.  Uses only
# 198.18.0.0/15; everything it creates is removed on exit.
set -u
[ "$(id -u)" -eq 0 ] || { echo "needs root for network namespaces"; exit 77; }
command -v tcpdump >/dev/null && command -v tshark >/dev/null ||
	{ echo "tcpdump and tshark needed"; exit 77; }
tw=${TRACEWARP:?}
corpus=${SHARED:?}/corpus/public
chk="python3 $(dirname "$0")/replay_check.py"
tag=twrp$$
nsa=$tag-a nsb=$tag-b
tmp=$(mktemp -d)
cleanup() {
	[ -n "${dump:-}" ] && kill "$dump" 2>/dev/null
	ip netns del "$nsa" 2>/dev/null
	ip netns del "$nsb" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$nsa" 2>/dev/null || { echo "network namespaces unavailable"; exit 77; }
ip netns add "$nsb" || exit 77
for ns in "$nsa" "$nsb"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done
ip link add va netns "$nsa" type veth peer name vb netns "$nsb" || exit 77
ip -n "$nsa" addr add 198.18.0.1/30 dev va
ip -n "$nsb" addr add 198.18.0.2/30 dev vb
ip -n "$nsa" link set va up
ip -n "$nsb" link set vb up
fail=0

capture() { # capture FILE : starts tcpdump on vb, waits until it listens
	timeout 60 ip netns exec "$nsb" tcpdump -i vb -nn -U -B 65536 --immediate-mode \
		--time-stamp-precision=nano -w "$1" 2>"$1.log" &
	dump=$!
	for _ in $(seq 50); do
		grep -q listening "$1.log" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "tcpdump did not start"
	exit 1
}

stop_capture() {
	sleep 0.5
	kill -INT "$dump"
	wait "$dump" 2>/dev/null
	dump=
}

# 1. Speedup 5: all arrive, in order, with the trace's gaps / 5.
in=$corpus/tcpreplay-test.pcap
# Metrics on the way: served on loopback inside the namespace, and
# written for node_exporter's textfile collector.
port=$((20000 + $$ % 20000))
capture "$tmp/x5.pcap"
ip netns exec "$nsa" ip link set lo up
ip netns exec "$nsa" "$tw" replay -q -i va -x 5 --json "$tmp/x5.json" \
	--metrics-listen "127.0.0.1:$port" --metrics-file "$tmp/x5.prom" \
	"$in" &
replay=$!
# The endpoint comes up once the trace is loaded: on a loaded machine
# that can take a while, so ask again until it answers (or 10 s pass).
ip netns exec "$nsa" python3 - "$port" >"$tmp/scrape.txt" <<'PY' ||
import sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/metrics"
for _ in range(200):
    try:
        print(urllib.request.urlopen(url, timeout=5).read().decode())
        break
    except OSError:
        time.sleep(0.05)
else:
    sys.exit(1)
PY
	{ echo "FAILED: no /metrics on 127.0.0.1:$port"; fail=1; }
wait "$replay" || { echo "FAILED: replay -x 5 into the veth"; fail=1; }
stop_capture
grep -q '^tracewarp_replay_packets_sent_total{output="va"} [0-9]' \
	"$tmp/scrape.txt" || { echo "FAILED: scrape lacks the counters"; fail=1; }
grep -q '^tracewarp_replay_packets_sent_total{output="va"} 179$' \
	"$tmp/x5.prom" || { echo "FAILED: metrics file lacks the total"; fail=1; }
if ! $chk bytes "$in" "$tmp/x5.pcap" 1; then
	echo "FAILED: what arrived differs from the trace"
	fail=1
fi
python3 - "$in" "$tmp/x5.pcap" "$tmp/x5.json" <<'PY' || fail=1
import json, subprocess, sys
def stamps(p):
    out = subprocess.run(["tshark", "-r", p, "-T", "fields", "-e",
                          "frame.time_epoch"], capture_output=True,
                         text=True, check=True).stdout.split()
    return [int(s.split(".")[0]) * 10**9 + int((s.split(".")[1] + "0" * 9)[:9])
            for s in out]
src, got = stamps(sys.argv[1]), stamps(sys.argv[2])
late = json.load(open(sys.argv[3]))["lateness"]
# Each gap's error is the difference of two latenesses, so it stays
# within the largest lateness measured, plus what the receiving side adds
# (its timestamps are taken in softirq context, which a busy machine can
# defer): 1 ms for the worst gap, 100 us for nine gaps out of ten.
errs = sorted(abs((got[i + 1] - got[i]) - (src[i + 1] - src[i]) // 5)
              for i in range(len(src) - 1))
worst, p90 = errs[-1], errs[int(0.9 * len(errs))]
print(f"speedup 5: {len(got)} packets, gap error p90 {p90} ns, worst "
      f"{worst} ns; lateness p99 {late['p99_ns']} ns max {late['max_ns']} ns")
if worst > late["max_ns"] + 1000000 or p90 > late["p99_ns"] + 100000:
    sys.exit("FAILED: gaps do not match the trace's divided by 5")
PY

# 2. Top speed with sendmmsg, looped: every packet arrives.
capture "$tmp/top.pcap"
ip netns exec "$nsa" "$tw" replay -q -i va -t -l 3 --sendmmsg \
	--json "$tmp/top.json" "$in" ||
	{ echo "FAILED: replay -t --sendmmsg"; fail=1; }
stop_capture
if ! $chk bytes "$in" "$tmp/top.pcap" 3; then
	echo "FAILED: top speed: what arrived differs (drops?)"
	fail=1
fi

# 3. Jumbo frames on a 1500-byte MTU: skipped and reported, never sent.
in=$corpus/trex-jumbo.pcap
capture "$tmp/jumbo.pcap"
# Frames selected but not sent: exit status 1, and the count said.
ip netns exec "$nsa" "$tw" replay -q -i va -x 1000 --json "$tmp/jumbo.json" \
	"$in" 2>"$tmp/jumbo.err"
[ $? -eq 1 ] || { echo "FAILED: jumbo replay: want status 1"; fail=1; }
stop_capture
big=$(tshark -r "$in" -Y 'frame.len > 1514' 2>/dev/null | wc -l)
all=$(tshark -r "$in" 2>/dev/null | wc -l)
got=$(tshark -r "$tmp/jumbo.pcap" 2>/dev/null | wc -l)
skipped=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["skipped"]["oversize"])' "$tmp/jumbo.json")
if [ "$skipped" -ne "$big" ] || [ "$got" -ne $((all - big)) ] ||
	! grep -q MTU "$tmp/jumbo.err"; then
	echo "FAILED: jumbo: $big oversize, $skipped skipped, $got of $all arrived"
	fail=1
fi

[ "$fail" -eq 0 ] && echo "replay into a veth: all checks passed"
exit "$fail"
