#!/usr/bin/env bash
# demo.sh TRACEWARP - `make demo`: the main job on bundled input.
#
# Today the stages that exist are the trace foundation and `info`; the
# capture, redact and replay stages join this script as they land
# (issue #9 composes them).  It shows what the bundled captures hold and
# fails loudly if any step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
tw=$1
shared=${SHARED:-$(cd .. && pwd)/shared}
corpus=$shared/corpus/generated

if [ ! -d "$corpus" ]; then
	echo "demo: no bundled captures at $corpus" >&2
	exit 1
fi

out=build/demo
mkdir -p "$out"
for f in "$corpus"/*.pcap; do
	echo "== tracewarp info $(basename "$f")"
	"$tw" info "$f"
	echo
done
"$tw" info --json "$corpus"/*.pcap >"$out/info.json"
echo "demo: summaries of $(ls "$corpus"/*.pcap | wc -l) captures in" \
	"$out/info.json"
