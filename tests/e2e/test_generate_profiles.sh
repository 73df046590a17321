#!/usr/bin/env bash
# Every shipped profile, sized for CI: tshark decodes the output with no
# malformed packet, no bad checksum and no TCP analysis warning, and finds
# the HTTP/2 streams, gRPC messages, requests and frames the generator
# says it wrote.
. "$(dirname "$0")/gen_lib.sh"

run() { # run NAME ARGS...: generates $tmp/NAME.pcapng and its summary
	local name=$1
	shift
	"$T" generate --profile "$name" -w "$tmp/$name.pcapng" --json "$@" \
		>"$tmp/$name.json" || bad "generate $name exited $?"
	no_errors "$tmp/$name.pcapng"
}

run small-frames --packets 5000
n=$(tshark -r "$tmp/small-frames.pcapng" -Y 'udp && frame.len == 60' 2>/dev/null | wc -l)
[ "$n" -eq "$(json "$tmp/small-frames.json" packets)" ] ||
	bad "small-frames: $n 60-byte UDP frames"
[ "$n" -ge 5000 ] || bad "small-frames: only $n frames"

run imix --packets 5000
sizes=$(tshark -r "$tmp/imix.pcapng" -T fields -e frame.len 2>/dev/null | sort -nu | tr '\n' ' ')
[ "$sizes" = "60 590 1514 " ] || bad "imix: frame sizes '$sizes'"

run mixed-api --sessions 40
s=$(h2_streams "$tmp/mixed-api.pcapng")
[ "$s" -eq "$(json "$tmp/mixed-api.json" h2_streams)" ] ||
	bad "mixed-api: tshark sees $s HTTP/2 streams, generator says $(json "$tmp/mixed-api.json" h2_streams)"
m=$(grpc_messages "$tmp/mixed-api.pcapng")
[ "$m" -eq "$(json "$tmp/mixed-api.json" grpc_messages)" ] ||
	bad "mixed-api: tshark sees $m gRPC messages"
r=$(tshark -r "$tmp/mixed-api.pcapng" -Y 'http.response && tcp.port == 80' 2>/dev/null | wc -l)
[ "$r" -eq "$(json "$tmp/mixed-api.json" rest_exchanges)" ] ||
	bad "mixed-api: tshark sees $r REST responses"
d=$(tshark -r "$tmp/mixed-api.pcapng" -Y 'dns.flags.response == 0' 2>/dev/null | wc -l)
[ "$d" -eq "$(json "$tmp/mixed-api.json" dns_queries)" ] ||
	bad "mixed-api: tshark sees $d DNS queries"

run uploads --sessions 12 --max-size 4M
p=$(tshark -r "$tmp/uploads.pcapng" -Y 'http.request.method == "PATCH"' 2>/dev/null | wc -l)
c=$(json "$tmp/uploads.json" tcp_connections)
[ "$p" -eq "$c" ] || bad "uploads: $p PATCH requests on $c connections"
[ "$c" -gt 12 ] || bad "uploads: no upload resumed on a second connection"
b=$(tshark -r "$tmp/uploads.pcapng" -Y 'http.request.method == "PATCH"' \
	-T fields -e http.content_length_header 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
[ "$b" -eq "$(json "$tmp/uploads.json" upload_bytes)" ] ||
	bad "uploads: PATCH bodies add up to $b bytes"
exit $fail
