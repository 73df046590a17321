#!/usr/bin/env bash
# capture --redact, in namespaces of our own, on real traffic: nghttp and
# curl (HTTP/2 prior knowledge) to nghttpd, curl (HTTP/1.1) to a Python
# REST server, every request carrying secrets drawn by the shared corpus
# fixtures.  tcpdump records the same wire as the reference.  The
# redacted capture rotates (-C): every file must be valid, the union must
# hold every packet tcpdump saw, tshark must still decode the HTTP/2
# requests, and the shared leak oracle must find no secret in any file
# nor in the L7 trace, while it finds them in tcpdump's raw capture.
set -u
. "$(dirname "$0")/capture_lib.sh"
command -v nghttpd >/dev/null && command -v nghttp >/dev/null ||
	{ echo "nghttp2-client and nghttp2-server needed"; exit 77; }
oracle=${SHARED:?}/tools/leak-check.sh
[ -x "$oracle" ] || { echo "no leak oracle at $oracle"; exit 77; }
PY=/usr/bin/python3

fx=$tmp/fx
mkdir -p "$fx" "$tmp/cap"
$PY "$SHARED/tools/corpus_fixtures.py" 4242 "$fx" "$tmp/secrets.txt" \
	>/dev/null || { echo "FAILED: corpus fixtures"; exit 1; }
. "$fx/env.sh"
head -c 32 /dev/urandom >"$tmp/key" && chmod 600 "$tmp/key"

inb nghttpd --no-tls -a 198.18.0.2 -d "$fx/www" --echo-upload 8080 \
	>/dev/null 2>&1 &
pids+=($!)
inb $PY "$fx/rest_server.py" 2001:db8::2 8081 >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do
	ina bash -c 'exec 3<>/dev/tcp/198.18.0.2/8080' 2>/dev/null &&
		ina bash -c 'exec 3<>/dev/tcp/2001:db8::2/8081' 2>/dev/null &&
		break
	sleep 0.1
done

f='tcp port 8080 or tcp port 8081'
start_tcpdump "$tmp/raw.pcap" "$f"
start_tw red -w "$tmp/cap/c.pcapng" -C 20k --redact default \
	--key-file "$tmp/key" --l7-out "$tmp/l7.jsonl" --json "$tmp/sum.json" "$f"
red=$twpid

H=(-H "authorization: Bearer $SECRET_TOKEN"
	-H "cookie: session=$SECRET_COOKIE"
	-H "x-api-key: $SECRET_APIKEY" -H "x-user-email: $SECRET_EMAIL")
for i in 1 2 3; do
	ina nghttp -n "${H[@]}" \
		"http://198.18.0.2:8080/kb/doc$i.html?user=$SECRET_USER" ||
		failed "nghttp GET $i"
done
ina nghttp -n -d "$fx/upload.json" -H "content-type: application/json" \
	"${H[@]}" "http://198.18.0.2:8080/api/v1/uploads" ||
	failed "nghttp POST"
ina curl -sf -o /dev/null --http2-prior-knowledge "${H[@]}" \
	"http://198.18.0.2:8080/kb/doc1.html?email=$SECRET_EMAIL" ||
	failed "curl h2c"
ina curl -sf -o /dev/null -X POST -H "content-type: application/json" \
	-H "authorization: Basic $SECRET_BASIC" \
	--data-binary "@$fx/upload.json" "http://[2001:db8::2]:8081/api/v1/users" ||
	failed "curl HTTP/1.1"
sleep 0.5
stop "$red" INT
[ "$rc" -eq 0 ] || { failed "capture --redact exited $rc"; cat "$tmp/red.err"; }
stop "$dump" INT

files=("$tmp"/cap/*)
[ "${#files[@]}" -ge 2 ] || failed "no rotation: ${#files[@]} file(s)"
$chk valid "${files[@]}" || failed "a redacted file is not valid"
ls "$tmp"/cap/*.part 2>/dev/null && failed ".part left behind"
n_raw=$($chk count "$tmp/raw.pcap")
n_red=0
for x in "${files[@]}"; do n_red=$((n_red + $($chk count "$x"))); done
[ "$n_raw" -gt 50 ] || failed "tcpdump saw only $n_raw packets"
[ "$n_red" -eq "$n_raw" ] || failed "redacted $n_red packets, tcpdump $n_raw"

# HTTP/2 still decodes: the five requests' HEADERS, method and path.
reqs=0
for x in "${files[@]}"; do
	k=$(tshark -r "$x" -d tcp.port==8080,http2 -Y 'http2.headers.method' \
		-T fields -e frame.number 2>/dev/null | wc -l)
	reqs=$((reqs + k))
done
[ "$reqs" -ge 5 ] || failed "tshark decodes $reqs HTTP/2 requests of 5"
grep -aq 'tracewarp capture --redact: policy sha256:' "${files[0]}" ||
	failed "no policy comment in the section header"

# The L7 trace: the five HTTP/2 exchanges (the HTTP/1.1 one may follow).
lines=$($PY -c 'import json,sys
print(sum(json.loads(l)["flow"]["server"].endswith(":8080")
          for l in open(sys.argv[1])))' "$tmp/l7.jsonl")
[ "$lines" = 5 ] || failed "L7 trace holds $lines HTTP/2 exchanges, not 5"
h2=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["redaction"]["h2_flows"])' "$tmp/sum.json")
[ "$h2" -eq 5 ] || failed "summary: $h2 HTTP/2 connections, not 5"

# The oracle sees the secrets on the wire, and none after redaction.
"$oracle" "$tmp/secrets.txt" "$tmp/raw.pcap" >/dev/null &&
	failed "leak oracle blind: no secret in the raw capture"
"$oracle" "$tmp/secrets.txt" "${files[@]}" "$tmp/l7.jsonl" ||
	failed "secrets leak into the redacted capture or the L7 trace"
# -w over a device or a FIFO is refused: renaming NAME.part over it
# would replace /dev/null itself with a regular file.
mkfifo "$tmp/fifo"
out=$(inb timeout 5 "$tw" capture -q -i vb -w "$tmp/fifo" --redact default \
	--key-file "$tmp/key" 2>&1)
rc=$?
[ "$rc" -eq 1 ] && [ -p "$tmp/fifo" ] && grep -q 'not a regular file' <<<"$out" ||
	failed "-w FIFO: status $rc, $out"
[ "$fail" -eq 0 ] && echo "capture --redact: $n_red packets in" \
	"${#files[@]} files, $reqs HTTP/2 requests, $lines exchanges, no leak"
exit "$fail"
