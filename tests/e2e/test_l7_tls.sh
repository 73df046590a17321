#!/usr/bin/env bash
# `tracewarp replay --l7` over TLS (ALPN h2) against nghttpd with a
# self-signed certificate: trusted with --ca, accepted with --insecure,
# and a handshake failure (certificate not trusted) is an outcome of every
# request, not a crash.
set -u
. "$(dirname "$0")/l7_lib.sh"
command -v openssl >/dev/null || { echo "openssl needed"; exit 77; }

www=$tmp/www
nghttpd_www "$www"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 1 -subj /CN=staging.test \
	-addext "subjectAltName=IP:$SRV,DNS:staging.test" 2>/dev/null ||
	{ echo "openssl cannot make a certificate"; exit 77; }
serve "$tmp/ng.log" nghttpd -v -d "$www" 8443 "$tmp/key.pem" "$tmp/cert.pem"
wait_port 8443

$PY - "$tmp/t.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as out:
    for i in range(12):
        p = "/index.json" if i % 2 else "/blob.bin"
        out.write(json.dumps({"conn": i % 2, "start_ns": i * 20_000_000,
                              "method": "GET", "path": p,
                              "request": {"headers": [[":path", p]]},
                              "response": {"status": 200}}) + "\n")
PY
requests() { grep -c 'recv (stream_id=[0-9]*) :path:' "$tmp/ng.log"; }

for how in "--ca $tmp/cert.pem" "--insecure"; do
	before=$(requests)
	# shellcheck disable=SC2086
	in_cli "$tw" replay --l7 "$tmp/t.jsonl" --target "https://$SRV:8443" \
		$how -q --json "$tmp/ok.json" || { echo "FAILED: $how: exit $?"; fail=1; }
	check "$how: 12 ok" [ "$(jget "$tmp/ok.json" "d['outcomes']['ok']")" = 12 ]
	check "$how: 12 arrive" [ $(($(requests) - before)) -eq 12 ]
	check "$how: bodies read" [ "$(jget "$tmp/ok.json" "d['bytes_in']")" = $((6 * 65536 + 6 * 12)) ]
done

# Not trusted: the handshake fails, every request says so.
before=$(requests)
in_cli "$tw" replay --l7 "$tmp/t.jsonl" --target "https://$SRV:8443" -q \
	--json "$tmp/bad.json" 2>"$tmp/bad.err" || { echo "FAILED: exit $?"; fail=1; }
check "untrusted: 12 tls errors" \
	[ "$(jget "$tmp/bad.json" "d['outcomes']['tls_error'], d['completed']")" = "12 12" ]
check "untrusted: nothing arrives" [ "$(requests)" -eq "$before" ]

# A name the certificate does not hold.
in_cli "$tw" replay --l7 "$tmp/t.jsonl" --target "https://198.18.70.2:8443" \
	--ca "$tmp/cert.pem" -q --json "$tmp/ip.json" || fail=1
check "IP in subjectAltName verifies" [ "$(jget "$tmp/ip.json" "d['outcomes']['ok']")" = 12 ]
# h2c to a TLS port: the server closes, requests are reset, no crash.
in_cli "$tw" replay --l7 "$tmp/t.jsonl" --target "http://$SRV:8443" -q \
	--timeout 2s --json "$tmp/mix.json" || { echo "FAILED: h2c to TLS"; fail=1; }
check "h2c to a TLS port: transport errors" \
	[ "$(jget "$tmp/mix.json" "d['outcomes']['ok'], d['completed']")" = "0 12" ]
check "a bad --ca is a user error" not in_cli "$tw" replay --l7 "$tmp/t.jsonl" \
	--target "https://$SRV:8443" --ca /nonexistent -q
exit $fail
