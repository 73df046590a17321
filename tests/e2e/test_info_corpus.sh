#!/usr/bin/env bash
# Every capture in the shared corpus: `tracewarp info` agrees with tshark
# packet by packet (count, lengths, ns timestamps) or, where tshark refuses
# the file, refuses it too with a clear message.
set -eu
[ -d "$SHARED/corpus" ] || { echo "no corpus at $SHARED/corpus"; exit 77; }
command -v tshark >/dev/null || { echo "tshark not installed"; exit 77; }

n=0
for f in "$SHARED"/corpus/public/*.pcap* "$SHARED"/corpus/generated/*.pcap*
do
	python3 tests/e2e/compare_tshark.py "$TRACEWARP" "$f"
	n=$((n + 1))
done
[ "$n" -gt 30 ] || { echo "only $n corpus files found"; exit 1; }
