#!/usr/bin/env bash
# h2c via Upgrade (RFC 7540 section 3.2) on real traffic: `nghttp -u`
# asks nghttpx (backed by nghttpd) for two resources over one connection
# that starts in HTTP/1.1 and switches to HTTP/2 at the 101, captured by
# tcpdump in network namespaces of our own.  The redacted capture still
# decodes in tshark as HTTP/2 after the 101, with the same HTTP/2 frames
# and header names, the values the policy keeps equal; the leak oracle
# finds none of the secrets in the capture or the L7 trace, which holds
# the upgrade request as stream 1.
set -u
. "$(dirname "$0")/l7_lib.sh"
command -v nghttpx >/dev/null || { echo "nghttpx (nghttp2-proxy) needed"; exit 77; }
command -v tshark >/dev/null || { echo "tshark needed"; exit 77; }
command -v tcpdump >/dev/null || { echo "tcpdump needed"; exit 77; }

www=$tmp/www
mkdir -p "$www/api/users"
echo '{"name":"Chiara Quintero","mail":"kalinda.tanaka64@xaqhyo.example"}' \
	>"$www/api/users/kalinda.json"
cat >"$tmp/secrets.txt" <<'EOF'
Chiara Quintero
kalinda.tanaka64@xaqhyo.example
ak_live_qH8kQrPTsDSuFEhbtyvAYmqg
EOF
serve "$tmp/ng.log" nghttpd --no-tls -d "$www" 8081
: >"$tmp/nghttpx.conf"
serve "$tmp/nx.log" nghttpx --frontend="$SRV,8080;no-tls" \
	--backend='127.0.0.1,8081;;proto=h2' --workers=1 \
	--conf="$tmp/nghttpx.conf" \
	--pid-file=/dev/null --accesslog-file=/dev/null \
	--errorlog-file="$tmp/nghttpx-error.log"
wait_port 8080
ip netns exec "$nsc" timeout 20 tcpdump -U --immediate-mode -i vc -w "$tmp/in.pcap" -c 100 \
	'tcp port 8080' 2>"$tmp/tcpdump.log" &
cap=$!
for _ in $(seq 50); do
	grep -q listening "$tmp/tcpdump.log" 2>/dev/null && break
	sleep 0.1
done
in_cli timeout 10 nghttp -u -v \
	-H 'authorization: Bearer ak_live_qH8kQrPTsDSuFEhbtyvAYmqg' \
	-H 'x-user-email: kalinda.tanaka64@xaqhyo.example' \
	"http://$SRV:8080/api/users/kalinda.json?email=kalinda.tanaka64@xaqhyo.example" \
	"http://$SRV:8080/api/users/kalinda.json?who=Chiara" >"$tmp/nghttp.log" 2>&1
check "nghttp upgraded" grep -q "HTTP Upgrade success" "$tmp/nghttp.log"
sleep 0.5
kill "$cap" 2>/dev/null
wait "$cap" 2>/dev/null

key=$tmp/key
printf '%064x\n' 11 >"$key"
chmod 600 "$key"
"$tw" redact -r "$tmp/in.pcap" -w "$tmp/out.pcapng" -k "$key" --json \
	--l7-out "$tmp/out.jsonl" >"$tmp/sum.json" ||
	{ echo "FAILED: redact exited $?"; exit 1; }
check "one upgrade followed" \
	[ "$(jget "$tmp/sum.json" "d['streams']['h2c_upgrades'], d['streams']['failed_flows']")" = "1 0" ]

# tshark: HTTP/2 after the 101 in both, same frames and header names,
# kept values equal.
frames() {
	tshark -r "$1" -Y http2 -T fields -e http2.streamid -e http2.type \
		-e http2.header.name 2>/dev/null
}
kept() {
	tshark -r "$1" -Y http2.type==1 -T fields -e http2.header.name \
		-e http2.header.value 2>/dev/null | $PY -c '
import sys
keep = {":method", ":scheme", ":status", "content-type",
        "content-length", "accept-encoding"}
for line in sys.stdin:
    names, values = line.rstrip("\n").split("\t")
    vals = values.split(",")
    # a value with commas was split: only names of kept headers count
    if len(vals) == len(names.split(",")):
        print([(n, v) for n, v in zip(names.split(","), vals) if n in keep])
    else:
        print(names)'
}
frames "$tmp/in.pcap" >"$tmp/f.in"
frames "$tmp/out.pcapng" >"$tmp/f.out"
check "input has HTTP/2 after the upgrade" [ "$(grep -c . "$tmp/f.in")" -ge 3 ]
check "stream 1 answered in HTTP/2" grep -q . <(tshark -r "$tmp/in.pcap" \
	-Y 'http2.type == 1 && http2.streamid == 1' 2>/dev/null)
check "same HTTP/2 frames and header names" cmp -s "$tmp/f.in" "$tmp/f.out"
check "kept header values equal" \
	cmp -s <(kept "$tmp/in.pcap") <(kept "$tmp/out.pcapng")
check "101 kept" grep -q "101 Switching Protocols" \
	<(tshark -r "$tmp/out.pcapng" 2>/dev/null)
check "no malformed packets" not grep -qi malformed \
	<(tshark -r "$tmp/out.pcapng" -V 2>/dev/null)

# The L7 trace: stream 1 is the upgrade request, with its answer.
check "L7: stream 1 is the upgrade request" $PY -c "
import json, sys
recs = [json.loads(l) for l in open('$tmp/out.jsonl')]
one = [r for r in recs if r['stream'] == 1]
assert len(recs) == 2 and len(one) == 1, recs
r = one[0]
assert r['proto'] == 'h2c' and r['method'] == 'GET', r
assert r['response']['status'] == 200 and r['complete'], r
assert ['upgrade', 'h2c'] in r['request']['headers'], r
"

# No secret left, by the shared oracle (which must see them in the input).
check "the oracle sees the secrets in the input" not \
	"$SHARED/tools/leak-check.sh" "$tmp/secrets.txt" "$tmp/in.pcap" \
	>/dev/null
check "no secret in the redacted capture or the L7 trace" \
	"$SHARED/tools/leak-check.sh" "$tmp/secrets.txt" "$tmp/out.pcapng" \
	"$tmp/out.jsonl"
exit $fail
