#!/usr/bin/env bash
# The whole path: `tracewarp redact --l7-out` on the generated corpus
# (real grpcio and nghttp traffic), then `tracewarp replay --l7` of that
# JSON Lines file against a grpcio server that takes any method and
# against nghttpd.  Every recorded call arrives, with as many messages as
# recorded; grpc-status equals the recorded one; every REST request
# arrives and completes (its pseudonymized path is a 404 here).
set -u
. "$(dirname "$0")/l7_lib.sh"
$PY -c 'import grpc' 2>/dev/null || { echo "python3-grpcio needed"; exit 77; }
corpus=${SHARED:?}/corpus/generated
[ -r "$corpus/grpc.pcap" ] || { echo "no generated corpus in $corpus"; exit 77; }
"$tw" redact --help 2>&1 | grep -q -- --l7-out ||
	{ echo "this tracewarp has no redact --l7-out"; exit 77; }
export TRACEWARP_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f

for f in grpc h2c-rest; do
	"$tw" redact -r "$corpus/$f.pcap" -w "$tmp/$f.pcapng" \
		--l7-out "$tmp/$f.jsonl" >/dev/null 2>&1 ||
		{ echo "FAILED: redact $f"; exit 1; }
done

# gRPC: every call of the corpus, with its messages.
serve "$tmp/grpc.out" $srv_py anygrpc 50051 "$tmp/calls.log"
wait_port 50051
in_cli "$tw" replay --l7 "$tmp/grpc.jsonl" --target "http://$SRV:50051" \
	--compare --json "$tmp/g.json" >"$tmp/g.txt" || { echo "FAILED: exit $?"; fail=1; }
cat "$tmp/g.txt"
n=$(wc -l <"$tmp/grpc.jsonl")
check "grpc: every call arrives ($n)" [ "$(wc -l <"$tmp/calls.log")" -eq "$n" ]
check "grpc: all ok, statuses as recorded" \
	[ "$(jget "$tmp/g.json" "d['outcomes']['ok'], d['status_mismatch'], d['compared']")" = "$n 0 $n" ]
want=$($PY -c "
import json, sys
for l in open('$tmp/grpc.jsonl'):
    r = json.loads(l)
    print(r['path'], r['request']['body'].get('grpc_messages', 0))" | sort)
check "grpc: each call's messages arrive" [ "$(sort "$tmp/calls.log")" = "$want" ]

# REST over h2c: every request arrives at nghttpd and completes.
nghttpd_www "$tmp/www"
serve "$tmp/ng.log" nghttpd --no-tls -v -d "$tmp/www" 8080
wait_port 8080
in_cli "$tw" replay --l7 "$tmp/h2c-rest.jsonl" --target "http://$SRV:8080" \
	-q --json "$tmp/r.json" || { echo "FAILED: exit $?"; fail=1; }
n=$(wc -l <"$tmp/h2c-rest.jsonl")
check "rest: every request arrives ($n)" \
	[ "$(grep -c 'recv (stream_id=[0-9]*) :path:' "$tmp/ng.log")" -eq "$n" ]
check "rest: every request completes with a status" \
	[ "$(jget "$tmp/r.json" "d['completed'], d['status_classes']['none']")" = "$n 0" ]
check "rest: connections as recorded" \
	[ "$(jget "$tmp/r.json" "d['connections']")" = \
	  "$($PY -c "import json; print(len({json.loads(l)['conn'] for l in open('$tmp/h2c-rest.jsonl')}))")" ]
exit $fail
