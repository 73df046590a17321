#!/usr/bin/env bash
# HTTP/2 and gRPC redaction judged by tshark on the generated corpus: the
# same streams, HEADERS and DATA frames and gRPC messages in and out, kept
# header values unchanged, no new malformed packet or expert warning, one
# L7 exchange per request; and the leak oracle finds no secret in the
# redacted gRPC capture nor in the L7 traces.
set -eu
[ -d "$SHARED/corpus/generated" ] || { echo "no generated corpus"; exit 77; }
command -v tshark >/dev/null || { echo "tshark not installed"; exit 77; }
gen=$SHARED/corpus/generated
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TRACEWARP_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f

for cap in grpc:50051 h2c-rest:8080; do
	name=${cap%%:*} port=${cap##*:}
	"$TRACEWARP" redact -q -r "$gen/$name.pcap" -w "$tmp/$name.pcapng" \
		--l7-out "$tmp/$name.jsonl"
	python3 "$here/h2_check.py" "$gen/$name.pcap" "$tmp/$name.pcapng" \
		"$tmp/$name.jsonl" "$port"
done
# HTTP/1.1 over IPv6: the same requests and responses, no new warning.
"$TRACEWARP" redact -q -r "$gen/rest-h1-ipv6.pcap" -w "$tmp/h1.pcapng"
for f in "$gen/rest-h1-ipv6.pcap" "$tmp/h1.pcapng"; do
	tshark -r "$f" -Y "http.request || http.response" -T fields \
		-e http.request.method -e http.response.code
	echo "warnings $(tshark -r "$f" -Y \
		'tcp && (_ws.malformed || _ws.expert.severity >= warning)' |
		wc -l)"
done >"$tmp/h1.txt"
half=$(($(wc -l <"$tmp/h1.txt") / 2))
head -n "$half" "$tmp/h1.txt" >"$tmp/h1.in"
tail -n "$half" "$tmp/h1.txt" >"$tmp/h1.out"
diff "$tmp/h1.in" "$tmp/h1.out" || { echo "HTTP/1.1 differs"; exit 1; }
grep -q '"created": "' < <(tshark -r "$tmp/h1.pcapng" -Y http -T fields \
	-e http.file_data) || { echo "JSON body not kept as JSON"; exit 1; }
# Payloads are redacted, not zeroed: gRPC messages still parse.
n=$(tshark -r "$tmp/grpc.pcapng" -d tcp.port==50051,http2 -Y grpc \
	-T fields -e grpc.message_length | wc -l)
[ "$n" -gt 0 ] || { echo "no gRPC message decodes in the output"; exit 1; }
# (The redacted h2c-rest capture has its leak test of its own.)
"$SHARED/tools/leak-check.sh" "$gen/secrets.txt" "$tmp/grpc.pcapng" \
	"$tmp"/*.jsonl
