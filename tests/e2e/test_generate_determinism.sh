#!/usr/bin/env bash
# Same profile and seed: the same bytes; another seed: another trace.
# Classic pcap output decodes as well as pcapng.
. "$(dirname "$0")/gen_lib.sh"

g() { "$T" generate -p mixed-api --sessions 30 "$@" >/dev/null || bad "generate $*"; }
g -w "$tmp/a.pcapng" --seed 7
g -w "$tmp/b.pcapng" --seed 7
g -w "$tmp/c.pcapng" --seed 8
cmp -s "$tmp/a.pcapng" "$tmp/b.pcapng" || bad "seed 7 twice: files differ"
cmp -s "$tmp/a.pcapng" "$tmp/c.pcapng" && bad "seeds 7 and 8: same file"
"$T" generate -p small-frames --packets 2000 --seed 3 -w "$tmp/d.pcap" \
	--format pcap >/dev/null || bad "pcap format"
"$T" generate -p small-frames --packets 2000 --seed 3 -w - --format pcap \
	>"$tmp/e.pcap" || bad "pcap to stdout"
cmp -s "$tmp/d.pcap" "$tmp/e.pcap" || bad "file and stdout differ"
[ "$(tshark -r "$tmp/d.pcap" 2>/dev/null | wc -l)" -ge 2000 ] || bad "pcap unreadable"
no_errors "$tmp/a.pcapng"
exit $fail
