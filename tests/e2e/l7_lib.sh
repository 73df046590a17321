# l7_lib.sh - what the L7 replay's end-to-end tests share: two network
# namespaces joined by a veth pair (client 198.18.70.1, server
# 198.18.70.2), servers started inside the server's, cleanup on exit.
# Source it; it exits 77 when the test cannot run here.
[ "$(id -u)" -eq 0 ] || { echo "needs root for network namespaces"; exit 77; }
command -v nghttpd >/dev/null || { echo "nghttpd (nghttp2-server) needed"; exit 77; }
tw=${TRACEWARP:?}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3
srv_py="$PY $here/l7_servers.py"
tag=tw7$$
nsc=$tag-c nss=$tag-s
CLI=198.18.70.1 SRV=198.18.70.2
tmp=$(mktemp -d)
pids=()

l7_cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$nsc" 2>/dev/null
	ip netns del "$nss" 2>/dev/null
	[ -n "${L7_KEEP:-}" ] || rm -rf "$tmp"
}
trap l7_cleanup EXIT

ip netns add "$nsc" 2>/dev/null || { echo "network namespaces unavailable"; exit 77; }
ip netns add "$nss" || exit 77
ip link add vc netns "$nsc" type veth peer name vs netns "$nss" || exit 77
ip -n "$nsc" addr add $CLI/30 dev vc
ip -n "$nss" addr add $SRV/30 dev vs
for ns in "$nsc" "$nss"; do
	ip -n "$ns" link set lo up
done
ip -n "$nsc" addr add 2001:db8:70::1/64 dev vc nodad
ip -n "$nss" addr add 2001:db8:70::2/64 dev vs nodad
ip -n "$nsc" link set vc up
ip -n "$nss" link set vs up
SRV6=2001:db8:70::2

# in_srv CMD... / in_cli CMD...: run inside a namespace.
in_srv() { ip netns exec "$nss" "$@"; }
in_cli() { ip netns exec "$nsc" "$@"; }

# serve LOG CMD...: starts a server in the server's namespace.
serve() {
	local log=$1
	shift
	ip netns exec "$nss" timeout 120 "$@" >"$log" 2>&1 &
	pids+=($!)
}

# wait_port PORT: until something listens on SRV:PORT (5 s at most).
wait_port() {
	for _ in $(seq 50); do
		in_cli bash -c "exec 3<>/dev/tcp/$SRV/$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "FAILED: nothing listens on port $1"
	exit 1
}

# nghttpd_www DIR: a document root with the files the traces ask for.
nghttpd_www() {
	mkdir -p "$1/api/users"
	echo '{"ok":true}' >"$1/index.json"
	head -c 65536 /dev/zero >"$1/blob.bin"
	for i in 1 2 3 4 5; do echo "{\"id\":$i}" >"$1/api/users/$i"; done
}

# jget FILE EXPR: a value of the JSON summary (python expression on d).
jget() {
	$PY -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

fail=0
check() { # check DESCRIPTION CONDITION...
	local what=$1
	shift
	if ! "$@"; then
		echo "FAILED: $what"
		fail=1
	fi
}
not() { ! "$@"; }
