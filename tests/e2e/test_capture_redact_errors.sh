#!/usr/bin/env bash
# capture --redact refuses what it cannot honour before any interface
# opens (so without root too): each case exits 1 with a message naming
# the option or the file, and writes no capture file.
set -u
tw=${TRACEWARP:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
head -c 32 /dev/urandom >"$tmp/key" && chmod 600 "$tmp/key"
printf 'bad: [\n' >"$tmp/bad.yaml"
K=(--key-file "$tmp/key")

expect() { # expect MESSAGE-REGEX ARGS...
	local want=$1
	shift
	out=$(env -u TRACEWARP_KEY "$tw" capture -i lo -w "$tmp/x.pcapng" "$@" 2>&1)
	rc=$?
	if [ "$rc" -ne 1 ] || ! grep -Eq -- "$want" <<<"$out"; then
		echo "FAILED: capture $*: status $rc: $out"
		fail=1
	fi
}

expect 'need --redact POLICY' "${K[@]}"
expect 'need --redact POLICY' --l7-out "$tmp/l7.jsonl"
expect '/nonexistent\.yaml: No such file' --redact /nonexistent.yaml "${K[@]}"
expect "bad\.yaml:2:1: " --redact "$tmp/bad.yaml" "${K[@]}"
expect 'no key: give --key-file' --redact default
expect '/no/such/dir/l7\.jsonl: cannot open' --redact default "${K[@]}" \
	--l7-out /no/such/dir/l7.jsonl
expect "--redact-memory: '0' is not" --redact default "${K[@]}" \
	--redact-memory 0
out=$("$tw" capture -i lo -w - --redact default "${K[@]}" --l7-out - 2>&1)
[ $? -eq 1 ] && grep -q 'both want standard output' <<<"$out" ||
	{ echo "FAILED: --l7-out - with -w -: $out"; fail=1; }
ls "$tmp"/x.pcapng* 2>/dev/null && { echo "FAILED: a file was written"; fail=1; }
[ "$fail" -eq 0 ] && echo "capture --redact: every bad input refused"
exit "$fail"
