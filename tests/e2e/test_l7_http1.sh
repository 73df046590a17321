#!/usr/bin/env bash
# HTTP/1.1 in the L7 trace: `tracewarp redact --l7-out` on the generated
# corpus's REST over HTTP/1.1 (real curl traffic, IPv6) writes one
# "http/1.1" line per exchange, with the JSON body redacted; `tracewarp
# replay --l7` re-issues them as HTTP/2 against nghttpd: every request
# arrives with its body, and none carries a field that only HTTP/1.1
# connections have (nghttpd would refuse the stream).
set -u
. "$(dirname "$0")/l7_lib.sh"
corpus=${SHARED:?}/corpus/generated
[ -r "$corpus/rest-h1-ipv6.pcap" ] || { echo "no generated corpus"; exit 77; }
export TRACEWARP_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f

"$tw" redact -q -r "$corpus/rest-h1-ipv6.pcap" -w "$tmp/h1.pcapng" \
	--l7-out "$tmp/h1.jsonl" || { echo "FAILED: redact exited $?"; exit 1; }
check "the trace holds the HTTP/1.1 exchanges" $PY -c "
import json
recs = [json.loads(l) for l in open('$tmp/h1.jsonl')]
assert len(recs) >= 2, recs
for r in recs:
    assert r['proto'] == 'http/1.1' and r['scheme'] == 'http', r
    assert r['complete'] and r['response']['status'] == 200, r
    assert r['authority'] and r['method'] in ('GET', 'POST'), r
    names = [h[0] for h in r['request']['headers']]
    assert names == [n.lower() for n in names] and 'host' in names, r
posts = [r for r in recs if r['method'] == 'POST']
assert posts and posts[0]['request']['body']['encoding'] == 'utf8', posts
json.loads(posts[0]['request']['body']['data'])
"
check "no secret in the L7 trace" \
	"$SHARED/tools/leak-check.sh" "$corpus/secrets.txt" "$tmp/h1.jsonl"

nghttpd_www "$tmp/www"
serve "$tmp/ng.log" nghttpd --no-tls -v -d "$tmp/www" 8080
wait_port 8080
in_cli "$tw" replay --l7 "$tmp/h1.jsonl" --target "http://$SRV:8080" \
	-q --json "$tmp/r.json" || { echo "FAILED: replay exited $?"; fail=1; }
n=$(wc -l <"$tmp/h1.jsonl")
check "every request arrives ($n)" \
	[ "$(grep -c 'recv (stream_id=[0-9]*) :path:' "$tmp/ng.log")" -eq "$n" ]
check "every request completes with a status" \
	[ "$(jget "$tmp/r.json" "d['completed'], d['status_classes']['none']")" = "$n 0" ]
check "no HTTP/1.1 connection field is sent" not grep -qE \
	'recv \(stream_id=[0-9]+\) (host|connection|keep-alive|transfer-encoding|upgrade|http2-settings):' \
	"$tmp/ng.log"
check "the POST body arrives" grep -q 'recv DATA frame' "$tmp/ng.log"
exit $fail
