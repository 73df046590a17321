#!/usr/bin/env bash
# A profile that asks for exact numbers gets them: 4 h2c connections of
# 5 streams each, and 3 gRPC connections of 2 streaming calls with 4
# messages on the streamed side and 1 on the other, over IPv4 and IPv6;
# and 2 uploads of 300 kB in parts of 100 kB: 3 connections each.
. "$(dirname "$0")/gen_lib.sh"

cat >"$tmp/h2.yaml" <<'YAML'
version: 1
limit: {sessions: 4}
addresses: {ipv6: 0.5}
sessions:
  - {kind: h2, requests: 5, response_size: {min: 100, max: 100k}}
YAML
cat >"$tmp/grpc.yaml" <<'YAML'
version: 1
limit: {sessions: 3}
addresses: {ipv6: 0.5}
sessions:
  - {kind: grpc, requests: 2, streaming: 1, messages: 4}
YAML
"$T" generate -p "$tmp/h2.yaml" -w "$tmp/h2.pcapng" >/dev/null || bad "h2 run"
"$T" generate -p "$tmp/grpc.yaml" -w "$tmp/grpc.pcapng" >/dev/null || bad "grpc run"
no_errors "$tmp/h2.pcapng"
no_errors "$tmp/grpc.pcapng"
s=$(h2_streams "$tmp/h2.pcapng")
[ "$s" -eq 20 ] || bad "h2: $s streams, wanted 20"
s=$(h2_streams "$tmp/grpc.pcapng")
[ "$s" -eq 6 ] || bad "grpc: $s streams, wanted 6"
m=$(grpc_messages "$tmp/grpc.pcapng")
[ "$m" -eq 30 ] || bad "grpc: $m messages, wanted 30"
st=$(tshark -r "$tmp/grpc.pcapng" $H2 -Y 'http2.header.value == "0" && http2.header.name == "grpc-status"' 2>/dev/null | wc -l)
[ "$st" -eq 6 ] || bad "grpc: $st calls ended with grpc-status 0"
cat >"$tmp/up.yaml" <<'YAML'
version: 1
limit: {sessions: 2}
sessions:
  - {kind: upload, size: 300k, chunk: 100k}
YAML
"$T" generate -p "$tmp/up.yaml" -w "$tmp/up.pcapng" >/dev/null || bad "upload run"
no_errors "$tmp/up.pcapng"
offs=$(tshark -r "$tmp/up.pcapng" -Y 'http.request.method == "PATCH"' \
	-T fields -e http.request.line 2>/dev/null | grep -o 'Upload-Offset: [0-9]*' |
	awk '{print $2}' | sort -n | tr '\n' ' ')
[ "$offs" = "0 0 100000 100000 200000 200000 " ] || bad "upload offsets: '$offs'"
exit $fail
