#!/usr/bin/env bash
# The demo's path, shortened (DEMO_SHORT=1: fewer requests): capture
# --redact of real traffic, info, DPDK replay into a sink namespace, L7
# replay against staging.  Then each stage's output is judged apart from
# the demo's own checks: tshark decodes the redacted capture's HTTP/2
# and gRPC requests, the leak oracle finds no secret in the capture nor
# in the L7 trace (and does find them in the raw fixtures), the sink
# holds every frame the replay sent with more TCP flows than the capture
# (the amplified gRPC flow), and every recorded exchange, REST and gRPC,
# completed against staging with its recorded status.  A demo whose input is
# missing must fail naming its stage.  Skips (77) only without network
# namespaces.
set -u
[ "$(id -u)" -eq 0 ] || { echo "needs root for network namespaces"; exit 77; }
probe=twdt$$
ip netns add "$probe" 2>/dev/null || { echo "network namespaces unavailable"; exit 77; }
ip netns del "$probe"
tw=${TRACEWARP:?}
cd "$(dirname "$0")/../.." || exit 1
oracle=${SHARED:?}/tools/leak-check.sh
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
o=$tmp/out
fail=0
failed() {
	echo "FAILED: $*"
	fail=1
}
jget() {
	$PY -c 'import json,sys; d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2"
}

DEMO_SHORT=1 DEMO_OUT=$o timeout 110 bash tools/demo.sh "$tw" >"$tmp/log" 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then
	tail -30 "$tmp/log"
	echo "FAILED: the demo exited $rc"
	exit 1
fi
grep -q '^demo: all stages passed' "$tmp/log" || failed "no final line"
grep -q FALLBACK "$tmp/log" && failed "fell back with namespaces available"

# Capture: tshark decodes the redacted requests (3 REST, 7 gRPC calls).
h2=(-d tcp.port==8080,http2 -d tcp.port==50051,http2)
reqs=$(tshark -r "$o/capture.pcapng" "${h2[@]}" -Y http2.headers.method \
	-T fields -e http2.headers.path 2>/dev/null | wc -l)
grpc=$(tshark -r "$o/capture.pcapng" "${h2[@]}" -Y 'http2.headers.method && tcp.port == 50051' \
	2>/dev/null | wc -l)
[ "$reqs" -ge 10 ] || failed "tshark decodes $reqs HTTP/2 requests, want 10"
[ "$grpc" -ge 7 ] || failed "tshark decodes $grpc gRPC calls, want 7"
h1=$(tshark -r "$o/capture.pcapng" -d tcp.port==8081,http -Y http.request \
	2>/dev/null | wc -l)
[ "$h1" -eq 2 ] || failed "tshark decodes $h1 HTTP/1.1 requests, want 2"

# No secret in what was written; the oracle sees them in the raw input.
"$oracle" "$o/secrets.txt" "$o/fixtures/upload.json" >/dev/null &&
	failed "leak oracle blind"
"$oracle" "$o/secrets.txt" "$o/capture.pcapng" "$o/exchanges.jsonl" ||
	failed "secrets leak"

# Replay: every frame sent arrived, the gRPC flow amplified x4.
sent=$(jget "$o/replay.json" 'd["packets_sent"]')
got=$(tshark -r "$o/sink.pcap" 2>/dev/null | wc -l)
[ "$sent" -gt 0 ] && [ "$got" -eq "$sent" ] ||
	failed "sink holds $got frames of $sent sent"
flows() { tshark -r "$1" -T fields -e tcp.stream 2>/dev/null | sort -u | wc -l; }
fc=$(flows "$o/capture.pcapng") fs=$(flows "$o/sink.pcap")
[ "$fs" -eq $((fc + 3)) ] || failed "sink holds $fs flows, capture $fc (+3 copies)"

# L7: every recorded gRPC exchange re-issued, with its recorded status.
n=$(wc -l <"$o/grpc.jsonl")
[ "$n" -ge 4 ] || failed "only $n gRPC exchanges recorded"
[ "$(jget "$o/l7-grpc.json" '(d["completed"], d["status_mismatch"])')" = "($n, 0)" ] ||
	failed "gRPC L7 replay: $(jget "$o/l7-grpc.json" '(d["completed"], d["status_mismatch"])') of $n"
# REST too: the demo's policy keeps its paths, so staging has the files.
nr=$(wc -l <"$o/rest.jsonl")
[ "$(jget "$o/l7-rest.json" '(d["completed"], d["status_mismatch"])')" = "($nr, 0)" ] ||
	failed "REST L7 replay: $(jget "$o/l7-rest.json" '(d["completed"], d["status_mismatch"])') of $nr"
ip netns list | grep -q twdemo && failed "namespaces left behind"

# A stage that fails stops the demo, named.
mkdir -p "$tmp/empty/tools"
SHARED=$tmp/empty DEMO_OUT=$tmp/bad timeout 60 bash tools/demo.sh "$tw" \
	>"$tmp/bad.log" 2>&1
rc=$?
[ "$rc" -ne 0 ] && grep -q "stage 'capture' FAILED" "$tmp/bad.log" ||
	failed "a failing stage: status $rc, $(tail -1 "$tmp/bad.log")"
[ "$fail" -eq 0 ] && echo "demo: $reqs HTTP/2 requests captured, $sent" \
	"frames replayed and received, $n gRPC and $nr REST calls" \
	"re-issued, no leak"
exit "$fail"
