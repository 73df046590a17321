#!/usr/bin/env bash
# Loss and reordering on request: tshark sees retransmissions and
# out-of-order segments, nothing malformed, and the HTTP/2 streams still
# all decode.
. "$(dirname "$0")/gen_lib.sh"

cat >"$tmp/loss.yaml" <<'YAML'
version: 1
limit: {sessions: 8}
network: {rtt: 5ms, loss: 0.02, reorder: 0.02}
sessions:
  - {kind: h2, requests: 4, response_size: {min: 50k, max: 200k}}
YAML
"$T" generate -p "$tmp/loss.yaml" -w "$tmp/l.pcapng" --json >"$tmp/l.json" ||
	bad "generate exited $?"
n=$(tshark -r "$tmp/l.pcapng" -Y _ws.malformed 2>/dev/null | wc -l)
[ "$n" -eq 0 ] || bad "$n malformed packets"
r=$(tshark -r "$tmp/l.pcapng" -Y tcp.analysis.retransmission 2>/dev/null | wc -l)
[ "$r" -gt 0 ] && [ "$r" -eq "$(json "$tmp/l.json" retransmissions)" ] ||
	bad "$r retransmissions seen, $(json "$tmp/l.json" retransmissions) made"
o=$(tshark -r "$tmp/l.pcapng" -Y tcp.analysis.out_of_order 2>/dev/null | wc -l)
[ "$o" -gt 0 ] || bad "no out-of-order segment"
s=$(h2_streams "$tmp/l.pcapng")
[ "$s" -eq 32 ] || bad "$s streams, wanted 32"
exit $fail
