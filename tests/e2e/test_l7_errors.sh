#!/usr/bin/env bash
# `tracewarp replay --l7` against servers that misbehave: one that resets
# every stream, one that never answers (timeouts), a port nobody listens
# on, and a trace with lines that are not valid JSON or miss fields.
# Every request gets a clear outcome, the run goes on, nothing crashes.
# Also: outputs that would overwrite the trace, a capture given as the
# trace, pseudo-headers, and SIGTERM with requests in flight.
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
	in_cli timeout 30 "$tw" replay --l7 "$tmp/t.jsonl" --target "$target" \
		"$@" >"$tmp/$name.out" 2>/dev/null
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

check "refused: the summary says failed, with the reason" \
	grep -q "connect_error.*Connection refused" "$tmp/refused.out"
check "refused: no misleading req/s" not grep -q "req/s" "$tmp/refused.out"
check "refused: reason in JSON" [ "$(jget "$tmp/refused.json" \
	"d['reasons']['connect_error']")" = "connect: Connection refused" ]

check "bad target is a user error" not in_cli "$tw" replay --l7 "$tmp/t.jsonl" \
	--target "ftp://$SRV" -q
check "missing trace is a user error" not in_cli "$tw" replay --l7 /nonexistent.jsonl \
	--target "http://$SRV:9001" -q

# An output on the trace (also through a symbolic link), or two outputs
# on one file: refused before anything is sent, the trace kept.  A
# --report that cannot be written is known at the start, not after the
# run.
cp "$tmp/t.jsonl" "$tmp/keep.jsonl"
ln -s t.jsonl "$tmp/link.jsonl"
same() { # same WHAT ARGS...: exit 1 with the message, the trace intact
	local what=$1
	shift
	in_cli timeout 10 "$tw" replay --l7 "$tmp/t.jsonl" \
		--target "http://$SRV:9001" -q "$@" 2>"$tmp/same.err"
	local rc=$?
	check "$what: exit 1 (was $rc)" [ "$rc" -eq 1 ]
	check "$what: message" grep -q "the same file as" "$tmp/same.err"
	check "$what: trace kept" cmp -s "$tmp/t.jsonl" "$tmp/keep.jsonl"
}
same "--report on the trace" --report "$tmp/t.jsonl"
same "--json through a link" --json "$tmp/link.jsonl"
same "--metrics-file on the trace" --metrics-file "$tmp/./t.jsonl"
same "--report and --json on one file" --report "$tmp/o" --json "$tmp/o"
start=$(date +%s%N)
check "--report in a missing directory: refused" not in_cli "$tw" replay \
	--l7 "$tmp/t.jsonl" --target "http://$SRV:9002" -q --timeout 5s \
	--report "$tmp/nodir/r.html"
check "--report in a missing directory: at once" \
	[ $((($(date +%s%N) - start) / 1000000)) -lt 3000 ]

# A capture given where the L7 trace was meant: one error, at once.
printf '\n\r\r\n\x1c\x00\x00\x00\x4d\x3c\x2b\x1a' >"$tmp/cap.pcapng"
head -c 20000 /dev/urandom >>"$tmp/cap.pcapng"
"$tw" replay --l7 "$tmp/cap.pcapng" --target "http://$SRV:9001" -q \
	2>"$tmp/cap.err"
check "pcapng as a trace: exit 1" [ $? -eq 1 ]
check "pcapng as a trace: said so" grep -q \
	"not a JSON Lines trace: looks like pcapng" "$tmp/cap.err"
check "pcapng as a trace: one line" [ "$(wc -l <"$tmp/cap.err")" -eq 1 ]

# Pseudo-headers: refused, but for :authority.
check "--set-header :path refused" not "$tw" replay --l7 "$tmp/t.jsonl" \
	--target "http://$SRV:9001" --set-header ':path:/evil'
check "--drop-header :method refused" not "$tw" replay --l7 "$tmp/t.jsonl" \
	--target "http://$SRV:9001" --drop-header ':method'

# SIGTERM with every request waiting on a mute server: the run stops at
# once, the requests cancelled, the summary says so, exit 143.
ip netns exec "$nsc" "$tw" replay --l7 "$tmp/t.jsonl" \
	--target "http://$SRV:9002" --timeout 20s --json "$tmp/term.json" --report "$tmp/term.html" \
	>"$tmp/term.out" 2>&1 &
cli=$! # ip netns exec becomes tracewarp
sleep 0.5
start=$(date +%s%N)
kill -TERM $cli
wait $cli
rc=$?
check "SIGTERM: exit 143 (was $rc)" [ "$rc" -eq 143 ]
check "SIGTERM: stopped at once" \
	[ $((($(date +%s%N) - start) / 1000000)) -lt 2000 ]
check "SIGTERM: summary says interrupted" grep -q "Interrupted: *by SIGTERM" \
	"$tmp/term.out"
check "SIGTERM: requests cancelled" \
	[ "$(jget "$tmp/term.json" "d['outcomes']['cancelled']")" -gt 0 ]
check "SIGTERM: JSON says interrupted" \
	[ "$(jget "$tmp/term.json" "d['interrupted']")" = True ]
check "SIGTERM: report written" grep -q "</html>" "$tmp/term.html"
check "SIGTERM: report says interrupted" grep -q "Interrupted" "$tmp/term.html"
check "SIGTERM: no temporary file left" \
	[ -z "$(ls "$tmp" | grep '\.tmp\.')" ]

# A start_ns a year after the others: warned about (the run would idle
# for a year; --duration ends it here); --max-gap 10ms sends it 10 ms
# after the one before, without a warning.
$PY - "$tmp/far.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as out:
    for i, t in enumerate([0, 5_000_000, 365 * 86400 * 10**9]):
        out.write(json.dumps({"conn": 1, "start_ns": t, "method": "GET",
                              "path": "/far/%d" % i}) + "\n")
PY
in_cli "$tw" replay --l7 "$tmp/far.jsonl" --target "http://$SRV:9001" -q \
	--duration 200ms --json "$tmp/far.json" 2>"$tmp/far.err"
check "far start: warned" grep -q "spread over 365.0 days" "$tmp/far.err"
check "far start: not sent" [ "$(jget "$tmp/far.json" "d['scheduled']")" = 2 ]
in_cli "$tw" replay --l7 "$tmp/far.jsonl" --target "http://$SRV:9001" -q \
	--max-gap 10ms --json "$tmp/gap.json" 2>"$tmp/gap.err"
check "--max-gap: no warning" not grep -q "days" "$tmp/gap.err"
check "--max-gap: all sent" [ "$(jget "$tmp/gap.json" "d['completed']")" = 3 ]
check "--max-gap: span 15 ms" \
	[ "$(jget "$tmp/gap.json" "d['schedule_span_ns']")" = 15000000 ]

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
