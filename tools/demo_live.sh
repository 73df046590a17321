# shellcheck shell=bash disable=SC2154
# demo_live.sh - sourced by demo.sh when network namespaces work: the
# main job on live traffic.  Defines main().
#
# Namespaces and addresses (all removed on exit):
#   $tag-cli dc 198.18.90.1/30, 2001:db8:90::1 <-> $tag-srv ds .2, ::2
#   $tag-srv dr0 (no address: DPDK's port) <-> $tag-sink dr1
#   $tag-srv dl0 198.18.92.1/30 <-> $tag-stage dl1 198.18.92.2/30
SRV=198.18.90.2 SRV6=2001:db8:90::2 STAGE=198.18.92.2
FILTER='tcp port 8080 or tcp port 50051 or tcp port 8081'

in_ns() { # in_ns NAME CMD...
	local ns=$tag-$1
	shift
	ip netns exec "$ns" "$@"
}

veth() { # veth NS_A DEV_A NS_B DEV_B
	ip link add "$2" netns "$tag-$1" type veth peer name "$4" \
		netns "$tag-$3" || die "cannot create veth $2"
	for d in "$1 $2" "$3 $4"; do
		set -- $d
		ip -n "$tag-$1" link set dev "$2" up
		# Offloads off: captured packets are wire-sized.
		in_ns "$1" ethtool -K "$2" tso off gso off gro off \
			>/dev/null 2>&1
	done
}

make_namespaces() {
	for n in cli srv sink stage; do
		ip netns add "$tag-$n" || die "cannot add namespace $tag-$n"
		nss+=("$tag-$n")
		ip -n "$tag-$n" link set lo up
	done
	veth cli dc srv ds
	veth srv dr0 sink dr1
	veth srv dl0 stage dl1
	ip -n "$tag-cli" addr add 198.18.90.1/30 dev dc
	ip -n "$tag-srv" addr add $SRV/30 dev ds
	ip -n "$tag-cli" addr add 2001:db8:90::1/64 dev dc nodad
	ip -n "$tag-srv" addr add $SRV6/64 dev ds nodad
	ip -n "$tag-srv" addr add 198.18.92.1/30 dev dl0
	ip -n "$tag-stage" addr add $STAGE/30 dev dl1
}

serve() { # serve NS LOG CMD...: a server in the background
	local ns=$1 log=$2
	shift 2
	ip netns exec "$tag-$ns" timeout 300 "$@" >"$log" 2>&1 &
	pids+=($!)
}

wait_port() { # wait_port NS HOST PORT
	for _ in $(seq 100); do
		in_ns "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null &&
			return 0
		sleep 0.1
	done
	die "nothing listens on $2 port $3"
}

wait_line() { # wait_line FILE TEXT
	for _ in $(seq 100); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$1" >&2
	die "no '$2' in $1"
}

start_servers() {
	local fx=$out/fixtures
	serve srv "$fx/nghttpd.log" nghttpd --no-tls -a $SRV -d "$fx/www" \
		--echo-upload 8080
	serve srv "$fx/grpc.log" $PY "$fx/grpc_server.py" $SRV:50051
	serve srv "$fx/rest.log" $PY "$fx/rest_server.py" $SRV6 8081
	wait_port cli $SRV 8080
	wait_port cli $SRV 50051
	wait_port cli $SRV6 8081
}

# Background commands run with ip netns exec itself (not in_ns, a shell
# function): $! is then the command, which a signal reaches.
start_capture() {
	ip netns exec "$tag-srv" "$tw" capture -i ds --redact "$policy" \
		--key-file "$out/demo.key" --l7-out "$out/exchanges.jsonl" \
		-w "$out/capture.pcapng" --json "$out/capture.json" \
		"$FILTER" 2>"$out/capture.log" &
	cap=$!
	pids+=("$cap")
	wait_line "$out/capture.log" listening
}

# The traffic: REST over HTTP/2 (nghttp, curl), gRPC (all four kinds of
# call, from the corpus client), REST over HTTP/1.1 and IPv6 (curl).
send_traffic() {
	local fx=$out/fixtures n=3 i
	local H=(-H "authorization: Bearer $SECRET_TOKEN"
		-H "cookie: session=$SECRET_COOKIE; theme=dark"
		-H "x-api-key: $SECRET_APIKEY" -H "x-user-email: $SECRET_EMAIL")

	[ -n "$short" ] && n=1
	for i in $(seq $n); do
		run in_ns cli timeout 20 nghttp -n "${H[@]}" \
			"http://$SRV:8080/kb/doc$i.html?user=$SECRET_USER&lang=en"
	done
	run in_ns cli timeout 20 nghttp -n -d "$fx/upload.json" \
		-H "content-type: application/json" "${H[@]}" \
		"http://$SRV:8080/api/v1/uploads"
	run in_ns cli timeout 20 curl -sf -o /dev/null --http2-prior-knowledge \
		"${H[@]}" "http://$SRV:8080/kb/doc1.html?email=$SECRET_EMAIL"
	[ -n "$short" ] || run in_ns cli timeout 20 nghttp -n \
		-H "x-request-id: $SECRET_REQID" "http://$SRV:8080/media/large.bin"
	run in_ns cli timeout 30 $PY "$fx/grpc_client.py" $SRV:50051
	run in_ns cli timeout 20 curl -sf -o /dev/null -X POST \
		-H "content-type: application/json" \
		-H "authorization: Basic $SECRET_BASIC" \
		--data-binary "@$fx/upload.json" "http://[$SRV6]:8081/api/v1/users"
	run in_ns cli timeout 20 curl -sf -o /dev/null \
		"http://[$SRV6]:8081/api/v1/users?email=$SECRET_EMAIL"
}

stage_capture() {
	stage capture "real clients -> real servers, recorded with" \
		"'tracewarp capture --redact tools/demo-policy.yaml'"
	mkdir -p "$out/fixtures"
	run $PY "$shared/tools/corpus_fixtures.py" "${DEMO_SEED:-4242}" \
		"$out/fixtures" "$out/secrets.txt" >/dev/null
	# shellcheck disable=SC1091
	. "$out/fixtures/env.sh"
	start_servers
	start_capture
	send_traffic
	sleep 0.3
	kill -INT "$cap"
	wait "$cap"
	local rc=$?
	cat "$out/capture.log"
	[ "$rc" -eq 0 ] || die "tracewarp capture exited $rc"
	printf 'capture: %s packets, %s kernel drops, %s HTTP/2 + %s HTTP/1.1 connections redacted, %s exchanges\n' \
		"$(jget "$out/capture.json" 'd["packets"]')" \
		"$(jget "$out/capture.json" 'd["kernel_drops"]')" \
		"$(jget "$out/capture.json" 'd["redaction"]["h2_flows"]')" \
		"$(jget "$out/capture.json" 'd["redaction"]["h1_flows"]')" \
		"$(wc -l <"$out/exchanges.jsonl")"
}

stage_info() {
	stage info "what was captured"
	run "$tw" info "$out/capture.pcapng"
	"$tw" info --json "$out/capture.pcapng" >"$out/info.json" ||
		die "tracewarp info --json failed"
}

stage_leaks() {
	stage leak-check "the clients' secrets, searched in every file written"
	"$shared/tools/leak-check.sh" "$out/secrets.txt" \
		"$out/capture.pcapng" "$out/exchanges.jsonl" >"$out/leaks.txt"
	local rc=$?
	cat "$out/leaks.txt"
	[ "$rc" -eq 0 ] || die "secrets found in the redacted files"
}

start_sink() {
	ip netns exec "$tag-sink" tcpdump -i dr1 -Q in -nn -U -B 65536 --immediate-mode \
		-w "$out/sink.pcap" tcp 2>"$out/sink.log" &
	sink=$!
	pids+=("$sink")
	wait_line "$out/sink.log" listening
}

stage_replay() {
	local eal amp='tcp port 50051*4' be
	stage replay "the redacted trace at 10x, gRPC flows x4, into the" \
		"sink namespace"
	start_sink
	if have_dpdk; then
		be="DPDK (net_af_packet on dr0, --no-huge)"
		eal="--lcores 0@$(cpu0) --no-huge --no-pci -m 256 --no-shconf"
		eal="$eal --no-telemetry --log-level=error --file-prefix=$tag"
		eal="$eal --vdev net_af_packet0,iface=dr0"
		run in_ns srv timeout 60 "$tw" replay --dpdk --eal "$eal" -x 10 \
			--amplify "$amp" --json "$out/replay.json" \
			"$out/capture.pcapng"
	else
		be="AF_PACKET on dr0 (this build has no DPDK)"
		run in_ns srv timeout 60 "$tw" replay -i dr0 -x 10 \
			--amplify "$amp" --json "$out/replay.json" \
			"$out/capture.pcapng"
	fi
	sleep 0.5
	kill -INT "$sink"
	wait "$sink" 2>/dev/null
	local sent got
	sent=$(jget "$out/replay.json" 'd["packets_sent"]')
	got=$(tshark -r "$out/sink.pcap" 2>/dev/null | wc -l)
	echo "$got" >"$out/sink.count"
	echo "replay: backend $be"
	echo "replay: $sent frames sent ($(jget "$out/replay.json" \
		'd["amplified_copies"]') amplified copies), $got arrived in the sink"
	[ "$sent" -gt 0 ] && [ "$got" -eq "$sent" ] ||
		die "$got frames arrived of $sent sent"
}

# split_l7 PORT OUT: the exchanges whose server listens on PORT.
split_l7() {
	$PY -c 'import json, sys
with open(sys.argv[3], "w") as o:
    for line in open(sys.argv[1]):
        if json.loads(line)["flow"]["server"].endswith(":" + sys.argv[2]):
            o.write(line)' "$out/exchanges.jsonl" "$1" "$2"
}

l7_replay() { # l7_replay NAME URL
	run in_ns srv timeout 60 "$tw" replay --l7 "$out/$1.jsonl" \
		--target "$2" -x 5 --compare --json "$out/l7-$1.json" \
		--report "$out/l7-$1.html"
}

stage_l7() {
	local fx=$out/fixtures
	stage l7 "the recorded exchanges re-issued against staging"
	serve stage "$out/stage-nghttpd.log" nghttpd --no-tls -a $STAGE \
		-d "$fx/www" --echo-upload 8080
	serve stage "$out/stage-grpc.log" $PY "$fx/grpc_server.py" \
		$STAGE:50051
	wait_port srv $STAGE 8080
	wait_port srv $STAGE 50051
	split_l7 8080 "$out/rest.jsonl" || die "cannot split the L7 trace"
	split_l7 50051 "$out/grpc.jsonl" || die "cannot split the L7 trace"
	l7_replay rest "http://$STAGE:8080"
	l7_replay grpc "http://$STAGE:50051"
	for k in rest grpc; do
		local n
		n=$(jget "$out/l7-$k.json" 'd["completed"]')
		[ "$n" -gt 0 ] || die "$k: no request completed"
	done
}

main() {
	echo "demo: live traffic in network namespaces $tag-*"
	mkkey
	stage setup "namespaces $tag-{cli,srv,sink,stage}"
	make_namespaces
	stage_capture
	stage_info
	stage_leaks
	stage_replay
	stage_l7
}
