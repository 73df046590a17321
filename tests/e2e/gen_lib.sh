# gen_lib.sh - helpers shared by the test_generate_*.sh scripts (sourced).
# Needs TRACEWARP; skips (77) without tshark.
set -u
command -v tshark >/dev/null || { echo "tshark not installed"; exit 77; }
T=$TRACEWARP
SHARED=${SHARED:-$(cd "$(dirname "$0")/../../.." && pwd)/shared}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
# h2c on the generator's default ports.
H2="-d tcp.port==8080,http2 -d tcp.port==50051,http2"

bad() {
	echo "FAILED: $*"
	fail=1
}

# json FILE KEY: a number from a --json summary.
json() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# no_errors TRACE: nothing malformed, no expert info at warning or above.
no_errors() {
	local n
	n=$(tshark -r "$1" $H2 -o tcp.check_checksum:TRUE \
		-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
		-Y '_ws.malformed || _ws.expert.severity >= warning' 2>/dev/null |
		wc -l)
	[ "$n" -eq 0 ] || {
		bad "$1: $n packets malformed or with warnings"
		tshark -r "$1" $H2 -Y '_ws.malformed || _ws.expert.severity >= warning' \
			-T fields -e frame.number -e _ws.expert.message 2>/dev/null | head -5
	}
}

# h2_streams TRACE: distinct (connection, stream) pairs that carried a
# HEADERS frame.
h2_streams() {
	tshark -r "$1" $H2 -Y 'http2.type == 1' -T fields -e tcp.stream \
		-e http2.type -e http2.streamid 2>/dev/null |
		awk -F'\t' '{ n = split($2, t, ","); split($3, s, ",");
			for (i = 1; i <= n; i++) if (t[i] == 1) print $1 "/" s[i] }' |
		sort -u | wc -l
}

# grpc_messages TRACE: gRPC messages tshark extracts.
grpc_messages() {
	tshark -r "$1" $H2 -Y grpc -T fields -e grpc.message_length 2>/dev/null |
		tr ',' '\n' | grep -c .
}
