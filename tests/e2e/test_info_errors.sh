#!/usr/bin/env bash
# Bad input to `tracewarp info`: each case exits 1 with a message that
# names the file and says what is wrong; usage errors exit 1 too.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

expect() { # expect STATUS PATTERN -- CMD...
	local want=$1 pat=$2
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -ne "$want" ] || ! grep -qE -- "$pat" <<<"$out"; then
		echo "FAILED: $* -> status $rc, wanted $want and /$pat/:"
		echo "$out" | head -5
		fail=1
	fi
}

: >"$tmp/empty.pcap"
printf 'not a capture at all, just text\n' >"$tmp/junk.pcap"
# A valid pcap header and one record whose data is cut short.
python3 - "$tmp" <<'PY'
import struct, sys
d = sys.argv[1]
hdr = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
rec = struct.pack("<IIII", 1, 2, 60, 60) + bytes(60)
open(d + "/good.pcap", "wb").write(hdr + rec)
open(d + "/cut.pcap", "wb").write(hdr + rec + rec[:30])
open(d + "/caplen.pcap", "wb").write(
    hdr + struct.pack("<IIII", 1, 2, 0x7fffffff, 60))
PY

T=$TRACEWARP
expect 1 "nosuch.pcap.*No such file" -- $T info "$tmp/nosuch.pcap"
expect 1 "empty.pcap" -- $T info "$tmp/empty.pcap"
expect 1 "junk.pcap: offset 0" -- $T info "$tmp/junk.pcap"
expect 1 "cut.pcap: offset 100" -- $T info "$tmp/cut.pcap"
expect 1 "Packets: +1" -- $T info "$tmp/cut.pcap"
expect 1 "caplen.pcap: offset 24.*caplen" -- $T info "$tmp/caplen.pcap"
expect 1 "unknown option '--bogus'" -- $T info --bogus x
expect 1 "'--max-flows' needs a value" -- $T info --max-flows
expect 2 "writing standard output failed" -- \
	sh -c "$T info '$tmp/good.pcap' >/dev/full"
expect 1 "no trace file" -- $T info
expect 1 "unknown verb" -- $T frobnicate
expect 0 "Usage: tracewarp info" -- $T info --help
# Names that are not UTF-8 are escaped in JSON, never dropped.
cp "$tmp/cut.pcap" "$tmp/bad"$'\xff'.pcap
out=$($T info --json "$tmp/bad"$'\xff'.pcap 2>/dev/null)
grep -q 'bad\\\\xff.pcap' <<<"$out" || { echo "FAILED: $out"; fail=1; }
# JSON stays parseable even when a file is bad; the error is in it.
out=$($T info --json "$tmp/cut.pcap" 2>/dev/null)
python3 -c 'import json,sys; d=json.loads(sys.argv[1])[0];
assert d["packets"] == 1 and "offset 100" in d["error"], d' "$out" || fail=1
exit $fail
