#!/usr/bin/env bash
# The L7 trace never says more than the redacted capture (issue 5,
# tester finding 10).  arkime-http-tcp-seq-issue.pcap is one HTTP/1.1
# exchange whose every IPv4 header fails its checksum: the packet rules
# zero its TCP, so the L7 trace must hold no exchange.  trex-http_get,
# with sound headers, shows the same run does write exchanges.
set -eu
pub=$SHARED/corpus/public
[ -f "$pub/arkime-http-tcp-seq-issue.pcap" ] || { echo "no corpus"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TRACEWARP_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f

lines() {
	"$TRACEWARP" redact -q -r "$pub/$1" -w "$tmp/$1.pcapng" \
		--l7-out "$tmp/$1.jsonl"
	wc -l <"$tmp/$1.jsonl"
}

good=$(lines trex-http_get.pcap)
bad=$(lines arkime-http-tcp-seq-issue.pcap)
echo "trex-http_get: $good exchanges; arkime-http-tcp-seq-issue: $bad"
[ "$good" -ge 1 ] || { echo "FAIL: no exchange from a sound capture"; exit 1; }
[ "$bad" -eq 0 ] || {
	echo "FAIL: exchanges from packets the capture zeroes:"
	head -c 600 "$tmp/arkime-http-tcp-seq-issue.pcap.jsonl"
	exit 1
}
