#!/usr/bin/env bash
# `tracewarp replay --l7` against servers that misbehave: one that resets
# every stream, one that never answers (timeouts), a port nobody listens
# on, and a trace with lines that are not valid JSON or miss fields.
# Every request gets a clear outcome, the run goes on, nothing crashes.
set -u
. "$(dirname "$0")/l7_lib.sh"

serve "$tmp/reset.log" $srv_py reset 9001
serve "$tmp/silent.log" $srv_py silent 9002
wait_port 9001
wait_port 9002

$PY - "$tmp/t.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as out:
    for i in range(10):
        out.write(json.dumps({"conn": i % 2, "start_ns": i * 10_000_000,
                              "method": "GET", "path": "/x/%d" % i,
                              "response": {"status": 200}}) + "\n")
        if i == 3:
            out.write("{this is not json\n")
        if i == 6:
            out.write('{"start_ns": 1, "path": "/no-method"}\n')
PY

run() { # run NAME TARGET [OPTIONS...]
	local name=$1 target=$2
	shift 2
	in_cli timeout 30 "$tw" replay --l7 "$tmp/t.jsonl" --target "$target" \
		-q --json "$tmp/$name.json" "$@" 2>"$tmp/$name.err"
	local rc=$?
	cat "$tmp/$name.err"
	check "$name: exit status 0 (was $rc)" [ "$rc" -eq 0 ]
}

run reset "http://$SRV:9001"
check "reset: 10 resets" [ "$(jget "$tmp/reset.json" "d['outcomes']['reset']")" = 10 ]
check "bad lines named by file:line" grep -q "t.jsonl:5: not JSON" "$tmp/reset.err"
check "missing field named" grep -q "t.jsonl:9: no string 'method'" "$tmp/reset.err"
check "bad lines counted" [ "$(jget "$tmp/reset.json" "d['bad_lines']")" = 2 ]

start=$(date +%s%N)
run silent "http://$SRV:9002" --timeout 500ms
end=$(date +%s%N)
check "silent: 10 timeouts" [ "$(jget "$tmp/silent.json" "d['outcomes']['timeout']")" = 10 ]
check "silent: over in about the timeout" [ $(((end - start) / 1000000)) -lt 3000 ]

run refused "http://$SRV:9003"
check "refused: 10 connect errors" \
	[ "$(jget "$tmp/refused.json" "d['outcomes']['connect_error']")" = 10 ]
check "refused: no latency recorded" [ "$(jget "$tmp/refused.json" "d['latency']['count']")" = 0 ]

check "bad target is a user error" not in_cli "$tw" replay --l7 "$tmp/t.jsonl" \
	--target "ftp://$SRV" -q
check "missing trace is a user error" not in_cli "$tw" replay --l7 /nonexistent.jsonl \
	--target "http://$SRV:9001" -q

# --metrics-file is written aside and renamed over FILE: over a FIFO or
# a device node (a copy of /dev/null's, made here) that would replace
# the node with a regular file.  Refused with exit 1 before anything is
# sent (no summary, no output), the node left as it was.
mkfifo "$tmp/fifo"
refused() { # refused NODE TEST ARGS... : exit 1, the message, no output
	local node=$1 test=$2
	shift 2
	"$@" >"$tmp/refused.err" 2>&1
	local rc=$?
	check "--metrics-file $node: exit 1 (was $rc)" [ "$rc" -eq 1 ]
	check "--metrics-file $node: message" grep -q \
		"metrics-file $tmp/$node: not a regular file" "$tmp/refused.err"
	check "--metrics-file $node: kept" [ "$test" "$tmp/$node" ]
	check "--metrics-file $node: no summary" [ ! -e "$tmp/sent.json" ]
	check "--metrics-file $node: no output" [ ! -e "$tmp/sent.pcapng" ]
}
refused fifo -p in_cli "$tw" replay --l7 "$tmp/t.jsonl" -q \
	--target "http://$SRV:9001" --json "$tmp/sent.json" \
	--metrics-file "$tmp/fifo"
if mknod "$tmp/null" c 1 3; then
	refused null -c "$tw" replay -q -w "$tmp/sent.pcapng" \
		--json "$tmp/sent.json" --metrics-file "$tmp/null" \
		"${SHARED:?}/corpus/public/tcpreplay-test.pcap"
else
	echo "mknod unavailable: the device node case not run"
fi
exit $fail
