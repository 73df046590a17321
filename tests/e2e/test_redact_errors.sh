#!/usr/bin/env bash
# `tracewarp redact` refuses what it must, with status 1 and a message
# that names the file (and line and column, or offset): no key, a key
# file others can read, a short key, a policy with a mistake; and the
# output's section header names the policy hash and key fingerprint but
# carries none of the input's metadata.
set -u
[ -d "$SHARED/corpus" ] || { echo "no corpus at $SHARED/corpus"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
in=$SHARED/corpus/public/pcapng-output_le-advanced-test102.pcapng
fail=0

# expect STATUS PATTERN CMD...: runs CMD, checks status and stderr.
expect() {
	local want=$1 pat=$2 rc=0
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	if [ "$rc" -ne "$want" ] || ! grep -qE -- "$pat" "$tmp/err" \
		"$tmp/out"; then
		echo "FAIL: $* -> status $rc (want $want), output:"
		cat "$tmp/err" "$tmp/out"
		fail=1
	fi
}

key=$tmp/key
printf '%064x\n' 7 >"$key"
chmod 600 "$key"
unset TRACEWARP_KEY

expect 1 "no key: give --key-file" \
	"$TRACEWARP" redact -r "$in" -w "$tmp/o.pcapng"
chmod 644 "$key"
expect 1 "$key: mode 644 lets others read the key" \
	"$TRACEWARP" redact -r "$in" -w "$tmp/o.pcapng" -k "$key"
chmod 600 "$key"
TRACEWARP_KEY=00ff expect 1 "TRACEWARP_KEY: key has 16 bits" \
	"$TRACEWARP" redact -r "$in" -w "$tmp/o.pcapng"
expect 1 "-r IN and -w OUT" "$TRACEWARP" redact -r "$in"
expect 1 "--format: 'pcapx'" \
	"$TRACEWARP" redact -r "$in" -w "$tmp/o" -k "$key" -F pcapx
expect 1 "$tmp/missing.pcap: " \
	"$TRACEWARP" redact -r "$tmp/missing.pcap" -w "$tmp/o" -k "$key"
expect 1 "invalid-version-1.pcap: offset 4" \
	"$TRACEWARP" redact -k "$key" -w "$tmp/o" \
	-r "$SHARED/corpus/public/libpcap-pcap-invalid-version-1.pcap"

printf 'version: 1\naddresses:\n  keep: []\n  mood: x\n' >"$tmp/p.yaml"
expect 1 "$tmp/p.yaml:4:3: unknown key 'mood' in 'addresses'" \
	"$TRACEWARP" redact --check-policy "$tmp/p.yaml"
expect 1 "$tmp/p.yaml:4:3: unknown key" \
	"$TRACEWARP" redact -r "$in" -w "$tmp/o" -k "$key" -p "$tmp/p.yaml"
printf 'version: 1\npayload: {action: zap}\n' >"$tmp/p.yaml"
expect 1 "p.yaml:2:19: 'action' must be one of zero, truncate" \
	"$TRACEWARP" redact --check-policy "$tmp/p.yaml"
expect 0 "valid policy, sha256 [0-9a-f]{64}" \
	"$TRACEWARP" redact --check-policy config/policy-default.yaml

# The output names the policy and key, and nothing of the input's.
expect 0 "redacted 5 packets" \
	"$TRACEWARP" redact -r "$in" -w "$tmp/o.pcapng" -k "$key"
hash=$(sha256sum config/policy-default.yaml | cut -c1-64)
grep -q "policy sha256:$hash" "$tmp/o.pcapng" ||
	{ echo "FAIL: policy hash not in the section header"; fail=1; }
grep -qE "key fingerprint [0-9a-f]{16}" "$tmp/o.pcapng" ||
	{ echo "FAIL: key fingerprint not in the section header"; fail=1; }
for s in "Apple MBP" "example.com" "test102" "silly" "ethernet interface" \
	"Custom Block"; do
	if grep -q "$s" "$tmp/o.pcapng"; then
		echo "FAIL: input metadata '$s' reached the output"
		fail=1
	fi
done
grep -q "$(cat "$key" | tr -d '\n')" "$tmp/o.pcapng" &&
	{ echo "FAIL: the key itself is in the output"; fail=1; }

# A classic pcap cannot hold several link types: refused, named.
expect 1 "o4.pcap: classic pcap holds one link type" \
	"$TRACEWARP" redact -r "$in" -w "$tmp/o4.pcap" -k "$key" -F pcap

# Same key, same result; standard input and output work; --json parses.
"$TRACEWARP" redact -q -r - -w - -k "$key" <"$in" >"$tmp/o2.pcapng" ||
	fail=1
cmp -s "$tmp/o.pcapng" "$tmp/o2.pcapng" ||
	{ echo "FAIL: stdin/stdout output differs from the file's"; fail=1; }
"$TRACEWARP" redact --json -r "$SHARED/corpus/public/trex-dns.pcap" \
	-w "$tmp/o3.pcap" -k "$key" -F pcap |
	python3 -c 'import json,sys; d=json.load(sys.stdin);
assert d["packets"] == 2 and d["zeroed"]["payload"]["packets"] == 2, d' ||
	{ echo "FAIL: --json summary"; fail=1; }
exit $fail
