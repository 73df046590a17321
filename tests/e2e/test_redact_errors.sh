#!/usr/bin/env bash
# `tracewarp redact` refuses what it must, with status 1 and a message
# that names the file (and line and column, or offset): no key, a key
# file others can read, a short key, a key file that is text but not
# hex, a policy with a mistake, an output that is the input under
# another name, a write that fails; it warns of a policy that keeps
# everything; a failed run leaves an earlier output as it was; and the
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

# The output is never the input under another name: a symbolic link, a
# hard link, ./IN, standard input or output redirected; the input stays.
cp "$in" "$tmp/a.pcapng"
cp "$in" "$tmp/a0.pcapng"
ln -s a.pcapng "$tmp/sym.pcapng"
ln "$tmp/a.pcapng" "$tmp/hard.pcapng"
for o in "$tmp/sym.pcapng" "$tmp/hard.pcapng" "$tmp/./a.pcapng"; do
	expect 1 "$o: is the input .*a.pcapng under another name" \
		"$TRACEWARP" redact -r "$tmp/a.pcapng" -w "$o" -k "$key"
done
expect 1 "is the input \(stdin\) under another name" \
	"$TRACEWARP" redact -r - -w "$tmp/hard.pcapng" -k "$key" <"$tmp/a.pcapng"
expect 1 "^tracewarp redact: \(stdout\): is the input" bash -c \
	"'$TRACEWARP' redact -r '$tmp/a.pcapng' -w - -k '$key' >>'$tmp/a.pcapng'"
expect 1 "$tmp/hard.pcapng: is the input" "$TRACEWARP" redact \
	-r "$tmp/a.pcapng" -w "$tmp/o5.pcapng" --l7-out "$tmp/hard.pcapng" \
	-k "$key"
cmp -s "$tmp/a.pcapng" "$tmp/a0.pcapng" ||
	{ echo "FAIL: the input was changed"; fail=1; }

# A run that fails midway leaves the earlier OUT as it was, and no
# temporary file; one that succeeds replaces it.
cp "$tmp/o.pcapng" "$tmp/good.pcapng"
head -c 2000 "$SHARED/corpus/generated/h2c-rest.pcap" >"$tmp/cut.pcap"
expect 1 "cut.pcap: offset [0-9]+: file ends inside a packet" \
	"$TRACEWARP" redact -r "$tmp/cut.pcap" -w "$tmp/good.pcapng" -k "$key"
cmp -s "$tmp/o.pcapng" "$tmp/good.pcapng" ||
	{ echo "FAIL: a failed run damaged the earlier output"; fail=1; }
ls "$tmp"/good.pcapng.* >/dev/null 2>&1 &&
	{ echo "FAIL: a temporary output was left behind"; fail=1; }
"$TRACEWARP" redact -q -r "$SHARED/corpus/public/trex-dns.pcap" \
	-w "$tmp/good.pcapng" -k "$key" || fail=1
cmp -s "$tmp/o.pcapng" "$tmp/good.pcapng" &&
	{ echo "FAIL: a good run did not replace the output"; fail=1; }

# A write failure: the message names the output and the offset, no
# summary follows, the status is not 0.
expect 1 "/dev/full: write failed: .* \(at output byte offset [0-9]+\)" \
	"$TRACEWARP" redact -r "$in" -w /dev/full -k "$key"
grep -q "redacted .* packets" "$tmp/err" &&
	{ echo "FAIL: a summary after a write failure"; fail=1; }

# A key file that is text but not clean hex is refused, with the place.
badkey() { # badkey NAME CONTENT PATTERN
	printf '%s\n' "$2" >"$tmp/$1"
	chmod 600 "$tmp/$1"
	expect 1 "$tmp/$1$3" \
		"$TRACEWARP" redact -r "$in" -w "$tmp/o6.pcapng" -k "$tmp/$1"
}
hex=$(printf '%064x' 7)
badkey k.g "${hex%?}g" ":1:64: 'g' is not a hex digit"
badkey k.0x "0x$hex" ":1:2: 'x' is not a hex digit"
badkey k.colon "$(echo "$hex" | sed 's/../&:/g')" ":1:3: ':' is not a hex digit"
badkey k.odd "${hex}7" ": 65 hex digits, an odd number"
head -c 32 /dev/urandom | tr '\040-\176' '\200-\276' >"$tmp/k.raw"
chmod 600 "$tmp/k.raw"
expect 0 "redacted 5 packets" \
	"$TRACEWARP" redact -r "$in" -w "$tmp/o6.pcapng" -k "$tmp/k.raw"

# Policies: keeping everything is warned about; a quoted version and
# bytes that are not UTF-8 or NUL are placed at their line and column.
printf 'version: 1\naddresses:\n  keep: [0.0.0.0/0, "::/0"]\npayload:\n  keep_ports: [80]\n' >"$tmp/all.yaml"
expect 0 "warning: .*all.yaml: addresses: 'keep' holds 0.0.0.0/0" \
	"$TRACEWARP" redact --check-policy "$tmp/all.yaml"
grep -q "holds ::/0" "$tmp/err" && grep -q "keep_ports' passes the payload of 1 port" "$tmp/err" ||
	{ echo "FAIL: policy warnings"; cat "$tmp/err"; fail=1; }
expect 0 "warning: .*holds 0.0.0.0/0" "$TRACEWARP" redact -q -r "$in" \
	-w "$tmp/o7.pcapng" -k "$key" -p "$tmp/all.yaml"
printf 'version: "1"\n' >"$tmp/v.yaml"
expect 1 "v.yaml:1:10: 'version' is the number 1, not the string \"1\"" \
	"$TRACEWARP" redact --check-policy "$tmp/v.yaml"
printf 'version: 1\n\n# caf\303\251 \377\n' >"$tmp/u.yaml"
expect 1 "u.yaml:3:8: invalid leading UTF-8 octet" \
	"$TRACEWARP" redact --check-policy "$tmp/u.yaml"
printf 'version: 1\naddresses:\n  keep: [a\000b]\n' >"$tmp/n.yaml"
expect 1 "n.yaml:3:11: control characters are not allowed" \
	"$TRACEWARP" redact --check-policy "$tmp/n.yaml"
exit $fail
