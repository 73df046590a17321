# capture_lib.sh - sourced by the test_capture_*.sh scripts: two network
# namespaces of our own joined by a veth pair (client 198.18.0.1 and
# 2001:db8::1 on "va", server 198.18.0.2 and 2001:db8::2 on "vb"),
# removed on exit with everything started in them.  Skips (77) when not
# root or without namespaces.
[ "$(id -u)" -eq 0 ] || { echo "needs root for network namespaces"; exit 77; }
command -v tshark >/dev/null || { echo "tshark needed"; exit 77; }
tw=${TRACEWARP:?}
here=$(cd "$(dirname "$0")" && pwd)
chk="python3 $here/capture_check.py"
tag=twc$$
nsa=$tag-a nsb=$tag-b
tmp=$(mktemp -d)
pids=()

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	# Whatever still runs in our namespaces (servers, senders).
	for ns in "$nsa" "$nsb"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
	done
	wait 2>/dev/null
	ip netns del "$nsa" 2>/dev/null
	ip netns del "$nsb" 2>/dev/null
	mountpoint -q "$tmp/full" 2>/dev/null && umount "$tmp/full"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
[ -n "${KEEP:-}" ] && trap - EXIT

ip netns add "$nsa" 2>/dev/null || { echo "network namespaces unavailable"; exit 77; }
ip netns add "$nsb" || exit 77
ip link add va netns "$nsa" type veth peer name vb netns "$nsb" || exit 77
for ns in "$nsa" "$nsb"; do
	ip -n "$ns" link set lo up
done
ip -n "$nsa" addr add 198.18.0.1/30 dev va
ip -n "$nsb" addr add 198.18.0.2/30 dev vb
ip -n "$nsa" addr add 2001:db8::1/64 dev va nodad
ip -n "$nsb" addr add 2001:db8::2/64 dev vb nodad
ip -n "$nsa" link set va up
ip -n "$nsb" link set vb up
# Offloads off: the packets captured are the packets on the wire.
for d in "$nsa va" "$nsb vb"; do
	set -- $d
	ip netns exec "$1" ethtool -K "$2" tso off gso off gro off \
		>/dev/null 2>&1
done
fail=0

ina() { ip netns exec "$nsa" "$@"; }
inb() { ip netns exec "$nsb" "$@"; }

failed() {
	echo "FAILED: $*"
	fail=1
}

# start_tw NAME ARGS... : tracewarp capture on vb in the background; its
# pid in $twpid, its stderr in $tmp/NAME.err.  Waits until it captures.
start_tw() {
	local name=$1
	shift
	# ip netns exec execs: $! is the capture itself, which signals reach.
	ip netns exec "$nsb" "$tw" capture -i vb "$@" 2>"$tmp/$name.err" &
	twpid=$!
	pids+=("$twpid")
	for _ in $(seq 50); do
		grep -q listening "$tmp/$name.err" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "tracewarp capture did not start:"
	cat "$tmp/$name.err"
	exit 1
}

# start_tcpdump FILE ARGS... : tcpdump on vb, waits until it listens.
start_tcpdump() {
	local f=$1
	shift
	# A large buffer: a fair judge, not one that drops.
	ip netns exec "$nsb" tcpdump -i vb -s 0 -U -Z root -B 131072 --immediate-mode --time-stamp-precision=nano \
		-w "$f" "$@" 2>"$f.log" &
	dump=$!
	pids+=("$dump")
	for _ in $(seq 50); do
		grep -q listening "$f.log" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "tcpdump did not start"
	exit 1
}

# stop PID [SIGNAL] : signals a capture and waits for it; its status in $rc.
stop() {
	kill -"${2:-INT}" "$1" 2>/dev/null
	wait "$1"
	rc=$?
}

# serve_http : python3 http.server on 198.18.0.2:8000 and [2001:db8::2]:8001.
serve_http() {
	mkdir -p "$tmp/www"
	head -c 200000 /dev/urandom >"$tmp/www/blob.bin"
	ip netns exec "$nsb" python3 -m http.server -d "$tmp/www" \
		-b 198.18.0.2 8000 >/dev/null 2>&1 &
	pids+=($!)
	ip netns exec "$nsb" python3 -m http.server -d "$tmp/www" \
		-b 2001:db8::2 8001 >/dev/null 2>&1 &
	pids+=($!)
	for _ in $(seq 50); do
		ina curl -s -o /dev/null http://198.18.0.2:8000/ &&
			ina curl -s -o /dev/null "http://[2001:db8::2]:8001/" &&
			return 0
		sleep 0.1
	done
	echo "http.server did not start"
	exit 1
}

# udp N PPS [SIZE] : N numbered datagrams from va to vb at PPS.
udp() {
	ina $chk udp 198.18.0.2 9000 "$@"
}
