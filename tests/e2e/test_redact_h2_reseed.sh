#!/usr/bin/env bash
# A corpus recorded afresh with other secrets (make-corpus.sh, which needs
# root and network namespaces): the leak oracle finds none of them in the
# redacted captures and L7 traces, and tshark sees the same HTTP/2.
set -eu
mk=$SHARED/tools/make-corpus.sh
[ -x "$mk" ] || { echo "no make-corpus.sh"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "needs root"; exit 77; }
command -v tshark >/dev/null || { echo "tshark not installed"; exit 77; }
command -v nghttpd >/dev/null || { echo "nghttp2 servers not installed"; exit 77; }
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TRACEWARP_KEY=0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a090807060504030201000

seed=$((RANDOM * 32768 + RANDOM))
bash "$mk" "$tmp/in" "$seed" >"$tmp/make.log" 2>&1 ||
	{ tail -5 "$tmp/make.log"; echo "make-corpus failed"; exit 77; }
mkdir "$tmp/out"
for name in grpc h2c-rest rest-h1-ipv6 h2-tls; do
	[ -s "$tmp/in/$name.pcap" ] ||
		{ echo "make-corpus recorded no $name"; exit 77; }
	"$TRACEWARP" redact -q -r "$tmp/in/$name.pcap" \
		-w "$tmp/out/$name.pcapng" --l7-out "$tmp/out/$name.jsonl"
done
cp "$tmp/in/h2-tls.keylog" "$tmp/out/"
python3 "$here/h2_check.py" "$tmp/in/grpc.pcap" "$tmp/out/grpc.pcapng" \
	"$tmp/out/grpc.jsonl" 50051
echo "seed $seed"
"$SHARED/tools/leak-check.sh" "$tmp/in/secrets.txt" "$tmp"/out/*.pcapng \
	"$tmp"/out/*.jsonl
