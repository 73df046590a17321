#!/usr/bin/env bash
# Every capture in the shared corpus, redacted under the default policy:
# tshark reads the output with the same packets, lengths and timestamps,
# finds no checksum error the input did not have, and no address of the
# input (decoded, or in the packet bytes) survives.  A file the reader
# refuses must be refused with status 1 and a message naming the file.
set -eu
[ -d "$SHARED/corpus" ] || { echo "no corpus at $SHARED/corpus"; exit 77; }
command -v tshark >/dev/null || { echo "tshark not installed"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TRACEWARP_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f

check() {
	local f=$1 out=$tmp/$(basename "$1").pcapng rc=0
	"$TRACEWARP" redact -q -r "$f" -w "$out" 2>"$out.err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		if [ "$rc" -eq 1 ] && grep -q "$f: offset" "$out.err"; then
			echo "$(basename "$f"): refused: $(cat "$out.err")"
			return 0
		fi
		echo "$f: status $rc: $(cat "$out.err")"
		return 1
	fi
	python3 tests/e2e/redact_check.py "$f" "$out"
}

n=0
pids=()
for f in "$SHARED"/corpus/public/*.pcap* "$SHARED"/corpus/generated/*.pcap*
do
	check "$f" >"$tmp/log.$n" 2>&1 &
	pids+=($!)
	n=$((n + 1))
	# Two at a time: tshark is the slow part.
	if [ $((n % 2)) -eq 0 ]; then wait "${pids[@]}" || true; pids=(); fi
done
wait || true
fail=0
for i in $(seq 0 $((n - 1))); do
	cat "$tmp/log.$i"
	grep -qE '^/|status' "$tmp/log.$i" && fail=1
done
[ "$n" -gt 30 ] || { echo "only $n corpus files found"; exit 1; }
exit $fail
