#!/usr/bin/env bash
# `tracewarp replay --l7` of gRPC calls against a Python grpcio server:
# every call arrives (the server's log), grpc-status equals the recorded
# one (0 for Echo, NOT_FOUND for Fail), response messages are read, and
# per-method latency is reported; the messages of a streaming call leave
# at their recorded times (the trace's per-message "messages"), not all
# at once.
set -u
. "$(dirname "$0")/l7_lib.sh"
$PY -c 'import grpc' 2>/dev/null || { echo "python3-grpcio needed"; exit 77; }

serve "$tmp/grpc.out" $srv_py grpc 50051 "$tmp/calls.log"
wait_port 50051

$PY - "$tmp/t.jsonl" <<'PY'
import base64, json, sys
with open(sys.argv[1], "w") as out:
    for i in range(20):
        fail = i % 4 == 3
        method = "Fail" if fail else "Echo"
        msg = b"\x0a\x05hello" * (i + 1)
        body = b"\x00" + len(msg).to_bytes(4, "big") + msg
        p = "/test.Echo/" + method
        out.write(json.dumps({
            "v": 1, "conn": i % 3, "start_ns": 5_000_000_000 + i * 15_000_000,
            "method": "POST", "scheme": "http", "authority": "grpc.redacted",
            "path": p,
            "request": {"headers": [[":method", "POST"], [":path", p],
                                    ["content-type", "application/grpc"],
                                    ["te", "trailers"],
                                    ["grpc-timeout", "5S"]],
                        "body": {"size": len(body), "encoding": "base64",
                                 "data": base64.b64encode(body).decode(),
                                 "grpc_messages": 1}},
            "response": {"status": 200,
                         "trailers": [["grpc-status", "5" if fail else "0"]]},
            "grpc_status": "5" if fail else "0"}) + "\n")
PY

in_cli "$tw" replay --l7 "$tmp/t.jsonl" --target "http://$SRV:50051" \
	--compare --json "$tmp/g.json" >"$tmp/g.txt" || { echo "FAILED: exit $?"; fail=1; }
cat "$tmp/g.txt"
check "20 calls arrive" [ "$(wc -l <"$tmp/calls.log")" -eq 20 ]
check "15 ok, 5 grpc errors" \
	[ "$(jget "$tmp/g.json" "d['outcomes']['ok'], d['outcomes']['grpc_error']")" = "15 5" ]
check "grpc-status as recorded" \
	[ "$(jget "$tmp/g.json" "d['status_mismatch'], d['compared']")" = "0 20" ]
check "grpc-status codes counted" \
	[ "$(jget "$tmp/g.json" "d['grpc_status']['0'], d['grpc_status']['5']")" = "15 5" ]
check "echoed messages read" [ "$(jget "$tmp/g.json" "d['bytes_in'] > 0")" = True ]
check "per-method routes" grep -q '/test.Echo/Fail' "$tmp/g.txt"
check "route latency ordered" $PY -c "
import json, sys
for r in json.load(open('$tmp/g.json'))['routes']:
    l = r['latency']
    v = [l[k] for k in ('p50_ns', 'p90_ns', 'p99_ns', 'max_ns')]
    assert v == sorted(v) and v[0] > 0, r"

# A client-streaming call of four messages recorded 0, 150, 300 and
# 450 ms apart: the server sees them spread over about 450 ms, and all
# at once when the trace has no times (an older trace).
serve "$tmp/spread.out" $srv_py spread 50052 "$tmp/spread.log"
wait_port 50052
$PY - "$tmp" <<'PY'
import base64, json, sys
msg = b"\x0a\x05hello"
body = (b"\x00" + len(msg).to_bytes(4, "big") + msg) * 4
for name, times in (("paced", True), ("at-once", False)):
    b = {"size": len(body), "encoding": "base64", "grpc_messages": 4,
         "data": base64.b64encode(body).decode()}
    if times:
        b["messages"] = [{"t_ns": i * 150_000_000, "size": len(body) // 4}
                         for i in range(4)]
    p = "/test.Stream/" + name
    with open(f"{sys.argv[1]}/{name}.jsonl", "w") as out:
        out.write(json.dumps({
            "v": 1, "conn": 1, "start_ns": 1_000_000_000, "method": "POST",
            "path": p, "request": {"headers": [
                ["content-type", "application/grpc"], ["te", "trailers"]],
                "body": b}, "response": {"status": 200}}) + "\n")
PY
for name in paced at-once; do
	in_cli "$tw" replay --l7 "$tmp/$name.jsonl" --target "http://$SRV:50052" \
		>"$tmp/$name.txt" || { echo "FAILED: $name exit $?"; fail=1; }
done
cat "$tmp/spread.log"
span() { awk -v m="/test.Stream/$1" '$1 == m && $2 == 4 { print $3 }' "$tmp/spread.log"; }
check "paced messages arrive spread (>= 400 ms)" [ "$(span paced)" -ge 400 ]
check "paced messages not late (< 900 ms)" [ "$(span paced)" -lt 900 ]
check "without times, at once (< 100 ms)" [ "$(span at-once)" -lt 100 ]
exit $fail
