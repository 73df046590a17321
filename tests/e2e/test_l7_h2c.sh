#!/usr/bin/env bash
# `tracewarp replay --l7` against nghttpd over h2c, in network namespaces
# of our own: every request arrives (nghttpd's log), statuses equal the
# recorded ones, latency percentiles are ordered and plausible; at speedup
# 4 the schedule's spread is the trace's / 4; amplification multiplies
# only the chosen requests; --set-header / --drop-header reach the wire;
# the JSON summary, Prometheus file and HTML report are written.
set -u
. "$(dirname "$0")/l7_lib.sh"

www=$tmp/www
nghttpd_www "$www"
serve "$tmp/ng.log" nghttpd --no-tls -v -d "$www" 8080
wait_port 8080

# 3 recorded connections, 30 exchanges over 1 s: GETs of users (200), of
# a missing page (404), and POSTs of an upload (404 from nghttpd too).
$PY - "$tmp/t.jsonl" <<'PY'
import json, sys
out = open(sys.argv[1], "w")
t0 = 1_700_000_000_000_000_000
for i in range(30):
    conn = i % 3
    if i % 5 == 4:
        m, p, st = "POST", "/upload/%d" % i, 404
    elif i % 7 == 6:
        m, p, st = "GET", "/nothing/here", 404
    else:
        m, p, st = "GET", "/api/users/%d" % (i % 5 + 1), 200
    body = {"size": 0, "encoding": "none"}
    if m == "POST":
        body = {"size": 11, "encoding": "utf8", "data": '{"n":12345}'}
    rec = {"v": 1, "conn": conn, "stream": 1 + 2 * (i // 3),
           "start_ns": t0 + i * 1_000_000_000 // 29, "method": m,
           "scheme": "http", "authority": "api-redacted.example", "path": p,
           "request": {"headers": [[":method", m], [":path", p],
                                   ["user-agent", "rec/1"],
                                   ["x-api-key", "pseudonym-abcdef"]],
                       "trailers": [], "body": body},
           "response": {"status": st}, "grpc_status": None,
           "duration_ns": 1000}
    out.write(json.dumps(rec) + "\n")
PY
requests() { grep -c 'recv (stream_id=[0-9]*) :path:' "$tmp/ng.log"; }

# 1. Speedup 1, with headers set and dropped.
before=$(requests)
in_cli "$tw" replay --l7 "$tmp/t.jsonl" --target "http://$SRV:8080" \
	--compare --set-header x-api-key:staging-key-1 --drop-header user-agent \
	--json "$tmp/x1.json" --metrics-file "$tmp/x1.prom" \
	--report "$tmp/x1.html" >"$tmp/x1.txt" ||
	{ echo "FAILED: replay --l7 exited $?"; fail=1; }
cat "$tmp/x1.txt"
check "30 requests arrive" [ $(($(requests) - before)) -eq 30 ]
check "30 completed" [ "$(jget "$tmp/x1.json" "d['completed']")" = 30 ]
check "3 connections, as recorded" \
	[ "$(jget "$tmp/x1.json" "d['connections']")" = 3 ]
check "statuses equal the recorded ones" \
	[ "$(jget "$tmp/x1.json" "d['status_mismatch'], d['compared']")" = "0 30" ]
check "outcomes: 20 ok, 10 4xx" \
	[ "$(jget "$tmp/x1.json" "d['outcomes']['ok'], d['outcomes']['http_4xx']")" = "20 10" ]
check "percentiles ordered and plausible" $PY -c "
import json, sys
l = json.load(open('$tmp/x1.json'))['latency']
v = [l[k] for k in ('min_ns', 'p50_ns', 'p90_ns', 'p99_ns', 'max_ns')]
sys.exit(not (v == sorted(v) and 0 < v[0] and v[-1] < 1e9))"
check "span of the schedule is the trace's" \
	[ "$(jget "$tmp/x1.json" "d['schedule_span_ns']")" = 1000000000 ]
check "nothing late by 500 ms" [ "$(jget "$tmp/x1.json" "d['lateness']['max_ns'] < 500e6")" = True ]
check "the set header is sent" \
	[ "$(grep -c 'x-api-key: staging-key-1' "$tmp/ng.log")" -eq 30 ]
check "the recorded value is not" not grep -q 'pseudonym-abcdef' "$tmp/ng.log"
check "the dropped header is not" not grep -q 'user-agent: rec/1' "$tmp/ng.log"
check "per-route latency" grep -q 'GET /api/users/{id}' "$tmp/x1.txt"
check "Prometheus file" grep -q \
	"^tracewarp_l7_requests_total{target=\"http://$SRV:8080\",outcome=\"ok\"} 20$" \
	"$tmp/x1.prom"
check "HTML report with its plot" grep -q '<polyline' "$tmp/x1.html"

# 1b. Half speed (2 s), with /metrics served on loopback, scraped mid-run.
in_cli "$tw" replay --l7 "$tmp/t.jsonl" --target "http://$SRV:8080" -x 0.5 \
	-q --metrics-listen 127.0.0.1:9464 &
replay=$!
sleep 1.2
in_cli $PY -c 'import urllib.request; print(urllib.request.urlopen(
	"http://127.0.0.1:9464/metrics", timeout=5).read().decode())' \
	>"$tmp/scrape.txt" || { echo "FAILED: no /metrics"; fail=1; }
wait "$replay" || { echo "FAILED: -x 0.5 exited $?"; fail=1; }
check "scrape mid-run: some sent, not all" $PY -c "
import re, sys
m = re.search(r'^tracewarp_l7_sent_total\{target=\"[^\"]*\"\} (\d+)$',
              open('$tmp/scrape.txt').read(), re.M)
sys.exit(not (m and 0 < int(m.group(1)) < 30))"
check "scrape has the latency summary" grep -q \
	'^tracewarp_l7_latency_seconds{target="http://198.18.70.2:8080",quantile="0.99"}' \
	"$tmp/scrape.txt"

# 2. Speedup 4: the spread shrinks by 4.
in_cli "$tw" replay --l7 "$tmp/t.jsonl" --target "http://$SRV:8080" -x 4 \
	-q --json "$tmp/x4.json" || { echo "FAILED: -x 4"; fail=1; }
check "speedup 4: span / 4" \
	[ "$(jget "$tmp/x4.json" "d['schedule_span_ns']")" = 250000000 ]
check "speedup 4: elapsed under 0.9 s" \
	[ "$(jget "$tmp/x4.json" "d['elapsed_s'] < 0.9")" = True ]

# 3. Amplification: the 6 POSTs x 3, nothing else.
before=$(requests)
posts=$(grep -c ':path: /upload/' "$tmp/ng.log")
in_cli "$tw" replay --l7 "$tmp/t.jsonl" --target "http://$SRV:8080" -x 10 \
	--amplify 'method=POST*3' -q --json "$tmp/amp.json" ||
	{ echo "FAILED: --amplify"; fail=1; }
check "amplified: 30 + 12 arrive" [ $(($(requests) - before)) -eq 42 ]
check "amplified copies counted" \
	[ "$(jget "$tmp/amp.json" "d['amplified_copies']")" = 12 ]
check "only POSTs multiplied" [ "$(grep -c ':path: /upload/' "$tmp/ng.log")" -eq $((posts + 18)) ]

# 4. Loops, over IPv6: each pass keeps the trace's rhythm.
in_cli "$tw" replay --l7 "$tmp/t.jsonl" --target "http://[$SRV6]:8080" -x 10 \
	--loop 3 -q --json "$tmp/loop.json" || { echo "FAILED: --loop 3"; fail=1; }
check "3 loops over IPv6: 90 ok, 9 connections" \
	[ "$(jget "$tmp/loop.json" "d['outcomes']['ok'] + d['outcomes']['http_4xx'], d['loops_completed'], d['connections']")" = "90 3 9" ]
# span of 3 loops: 2 periods (1 s + the mean gap 1/29 s) + 1 s, / 10
check "3 loops: the schedule spans 3 trace spans and 2 mean gaps" \
	[ "$(jget "$tmp/loop.json" "d['schedule_span_ns']")" = \
	  $(((3 * 1000000000 + 2 * (1000000000 / 29)) / 10)) ]

# 5. Shared connections.
in_cli "$tw" replay --l7 "$tmp/t.jsonl" --target "http://$SRV:8080" -t \
	--connections 2 -q --json "$tmp/c2.json" || { echo "FAILED: -t"; fail=1; }
check "--connections 2" [ "$(jget "$tmp/c2.json" "d['connections'], d['completed']")" = "2 30" ]

exit $fail
