#!/usr/bin/env bash
# The policy's limits (config/POLICY.md, section `limits`): each bound
# met on the corpus is zeroed and counted in the summary's "limits
# exceeded" line and in --json's limits_exceeded; a bound out of range is
# refused with the policy's file, line and column.
set -u
[ -d "$SHARED/corpus" ] || { echo "no corpus at $SHARED/corpus"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
h2=$SHARED/corpus/public/arkime-http2-nghttp2.pcap
h1=$SHARED/corpus/generated/rest-h1-ipv6.pcap
key=$tmp/key
printf '%064x\n' 7 >"$key"
chmod 600 "$key"
fail=0

# run IN POLICY-TEXT: redacts IN under the policy, summary in $tmp/sum.
run() {
	printf 'version: 1\n%s\n' "$2" >"$tmp/p.yaml"
	if ! "$TRACEWARP" redact -r "$1" -w "$tmp/o.pcapng" -k "$key" \
		--policy "$tmp/p.yaml" >"$tmp/sum" 2>&1; then
		echo "FAIL: redact $1 with limits '$2':"
		cat "$tmp/sum"
		fail=1
	fi
}

# want PATTERN: the summary's limits line matches.
want() {
	if ! grep 'limits exceeded' "$tmp/sum" | grep -qE -- "$1"; then
		echo "FAIL: want '$1' in:"
		cat "$tmp/sum"
		fail=1
	fi
}

run "$h2" ""
want ": 0 packets past flows, 0 directions past flow_buffer, 0 past \
held_buffer, 0 header blocks, 0 messages, 0 JSON too deep, 0 protobuf"
run "$h2" "limits: {header_block: 16}"
want " [1-9][0-9]* header blocks"
run "$h2" "limits: {held_buffer: 100}"
want " [1-9][0-9]* past held_buffer"
run "$h2" "limits: {flow_buffer: 100}"
want " [1-9][0-9]* directions past flow_buffer"
run "$h1" "limits: {flows: 1}"
want ": [1-9][0-9]* packets past flows"
run "$h1" "limits: {json_depth: 1}"
want " [1-9][0-9]* JSON too deep"
run "$h1" "limits: {message: 8}"
want " [1-9][0-9]* messages"

# The same counts in --json.
printf 'version: 1\nlimits: {header_block: 16}\n' >"$tmp/p.yaml"
"$TRACEWARP" redact -r "$h2" -w "$tmp/o.pcapng" -k "$key" --json \
	--policy "$tmp/p.yaml" >"$tmp/j" 2>&1
python3 - "$tmp/j" <<'PY' || fail=1
import json, sys
text = open(sys.argv[1]).read()
doc = json.loads(text[text.index("{"):])
lim = doc["streams"]["limits_exceeded"]
if lim["header_block"] < 1 or lim["flows"] != 0:
    sys.exit("FAIL: --json limits_exceeded %r" % lim)
PY

printf 'version: 1\nlimits:\n  json_depth: 0\n' >"$tmp/p.yaml"
if "$TRACEWARP" redact -r "$h2" -w "$tmp/o.pcapng" -k "$key" \
	--policy "$tmp/p.yaml" >"$tmp/sum" 2>&1 ||
	! grep -q "p.yaml:3:.*json_depth" "$tmp/sum"; then
	echo "FAIL: json_depth 0 accepted or not located:"
	cat "$tmp/sum"
	fail=1
fi
exit $fail
