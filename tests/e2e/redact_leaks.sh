#!/usr/bin/env bash
# redact_leaks.sh FILE... - sourced by test_redact_leaks*.sh: redacts the
# named captures of the generated corpus under the default policy and
# runs the shared leak oracle on the outputs, with each capture's TLS key
# log placed beside its output so that nothing stays hidden by encryption.
set -eu
[ -d "$SHARED/corpus/generated" ] || { echo "no generated corpus"; exit 77; }
command -v tshark >/dev/null || { echo "tshark not installed"; exit 77; }
gen=$SHARED/corpus/generated

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TRACEWARP_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f

outs=()
for name in "$@"; do
	"$TRACEWARP" redact -q -r "$gen/$name.pcap" -w "$tmp/$name.pcapng"
	[ -f "$gen/$name.keylog" ] && cp "$gen/$name.keylog" "$tmp/"
	outs+=("$tmp/$name.pcapng")
done
# The oracle must see the secrets in the inputs, or it proves nothing.
"$SHARED/tools/leak-check.sh" "$gen/secrets.txt" "$gen/rest-h1-ipv6.pcap" \
	>/dev/null && { echo "oracle blind"; exit 1; }
"$SHARED/tools/leak-check.sh" "$gen/secrets.txt" "${outs[@]}"
