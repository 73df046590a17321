#!/usr/bin/env bash
# gzip gRPC messages (grpc-encoding: gzip, compressed flag 1) recorded
# from a real grpcio client: the redactor inflates, redacts and
# re-deflates them at their exact length (h2_check.py: same frames,
# streams and gRPC message lengths, no new tshark warning), Python's gzip
# inflates every redacted member (some padded in their gzip header) with
# the secret gone, and a real grpcio server takes them when the L7 trace
# is replayed (every call ok, each message read).
set -u
. "$(dirname "$0")/l7_lib.sh"
$PY -c 'import grpc' 2>/dev/null || { echo "python3-grpcio needed"; exit 77; }
command -v tcpdump >/dev/null || { echo "tcpdump needed"; exit 77; }
command -v tshark >/dev/null || { echo "tshark needed"; exit 77; }
export TRACEWARP_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
secret=kalinda.tanaka64@xaqhyo.example

serve "$tmp/grpc.out" $srv_py anygrpc 50051 "$tmp/calls.log"
wait_port 50051
# (ip netns exec and timeout exec: $! is the process that passes the
# signal on to tcpdump, which then writes what it has and ends.)
ip netns exec "$nss" timeout 20 tcpdump -i vs --immediate-mode -U -s 0 \
	-w "$tmp/in.pcap" tcp port 50051 2>"$tmp/tcpdump.err" &
dump=$!
for _ in $(seq 50); do [ -s "$tmp/in.pcap" ] && break; sleep 0.1; done
sleep 0.3
# Three calls: two unary ones and a client stream of three messages;
# each message a list of user records, compressible (grpcio sends a
# message uncompressed when gzip would not make it smaller), so every one
# goes out gzip-compressed.
in_cli timeout 20 $PY - "$SRV:50051" "$secret" <<'PY' || { echo "FAILED: client"; fail=1; }
import sys
import grpc

target, secret = sys.argv[1], sys.argv[2].encode()

def user(k):
    name = b"Chiara Quintero"
    u = b"\x0a" + bytes([len(secret)]) + secret + b"\x12" + \
        bytes([len(name)]) + name + b"\x18" + bytes([k % 100 + 1])
    return b"\x0a" + bytes([len(u)]) + u

def msg(i):  # a list of users, as a List call would answer
    return b"".join(user(k) for k in range(20 + i))

with grpc.insecure_channel(target) as ch:
    unary = ch.unary_unary("/test.Echo/Echo")
    stream = ch.stream_unary("/test.Echo/Upload")
    unary(msg(0), compression=grpc.Compression.Gzip, timeout=5)
    stream(iter([msg(1), msg(2), msg(3)]), compression=grpc.Compression.Gzip,
           timeout=5)
    unary(msg(4), compression=grpc.Compression.Gzip, timeout=5)
PY
sleep 0.5
kill "$dump" 2>/dev/null
wait "$dump" 2>/dev/null

"$tw" redact -q -r "$tmp/in.pcap" -w "$tmp/out.pcapng" \
	--l7-out "$tmp/out.jsonl" --json >"$tmp/sum.json" ||
	{ echo "FAILED: redact exit $?"; fail=1; }
check "the input has gzip messages" [ "$(tshark -r "$tmp/in.pcap" \
	-d tcp.port==50051,http2 -Y 'grpc.compressed_flag == 1' | wc -l)" -ge 3 ]
check "5 gzip messages redacted, none zeroed" [ "$(jget "$tmp/sum.json" \
	"' '.join(str(d['streams']['http2']['grpc_gzip'][k]) for k in \
	('redacted', 'grown', 'refused', 'invalid'))")" = "5 0 0 0" ]
check "tshark: same frames, streams, messages; no new warning" \
	$PY "$here/h2_check.py" "$tmp/in.pcap" "$tmp/out.pcapng" \
	"$tmp/out.jsonl" 50051
check "the secret is gone" not grep -a -q "$secret" "$tmp/out.pcapng"
check "Python's gzip inflates every redacted member" $PY - "$tmp/out.jsonl" \
	"$secret" <<'PY'
import base64, gzip, json, sys
seen = padded = 0
for line in open(sys.argv[1]):
    body = json.loads(line)["request"]["body"]
    assert body["redaction"] == "protobuf+gzip", body["redaction"]
    data = base64.b64decode(body["data"])
    while data:
        flag, n = data[0], int.from_bytes(data[1:5], "big")
        m, data = data[5:5 + n], data[5 + n:]
        assert flag == 1 and m[:2] == b"\x1f\x8b", m[:10]
        assert m[3] & ~0x14 == 0, m[:10]  # FEXTRA, FCOMMENT at most
        padded += m[3] != 0
        plain = gzip.decompress(m)
        assert sys.argv[2].encode() not in plain and len(plain) > 100
        assert sys.argv[2].split("@")[0].encode() not in plain
        seen += 1
assert seen == 5, seen
assert padded > 0, "no member needed padding: the test lost its point"
PY
# A real grpcio server inflates the padded members: every call ok.
: >"$tmp/calls.log"
in_cli "$tw" replay --l7 "$tmp/out.jsonl" --target "http://$SRV:50051" \
	--json "$tmp/r.json" >"$tmp/r.txt" || { echo "FAILED: replay exit $?"; fail=1; }
check "replayed calls ok" [ "$(jget "$tmp/r.json" "d['outcomes']['ok']")" = 3 ]
check "the server read every message" \
	[ "$(sort "$tmp/calls.log" | tr '\n' ' ')" = "/test.Echo/Echo 1 /test.Echo/Echo 1 /test.Echo/Upload 3 " ]
[ "$fail" -eq 0 ] || { cat "$tmp/r.txt" "$tmp/grpc.out"; }
exit $fail
