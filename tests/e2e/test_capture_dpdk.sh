#!/usr/bin/env bash
# `tracewarp capture --dpdk` on DPDK's virtual ports (--no-huge --no-pci,
# no NIC): a net_pcap port reading the trace (rx_pcap=) must give back
# exactly its frames, through the BPF filter and the snaplen too, and
# rotated files (-C) that together hold them; with --redact, a gRPC
# trace must come out whole (packets, HTTP/2 streams) with no secret
# left (the shared leak oracle); `replay --dpdk` on two
# lcores into a net_memif client, captured from the net_memif server
# with two RX queues each polled by its own worker lcore, must arrive
# whole (count, bytes, each flow in order) with the port's counters in
# the JSON summary; SIGHUP must start a new file and SIGINT stop
# cleanly; wrong combinations of options must be refused.  A build
# without DPDK must refuse --dpdk with exit 1 (TW_NODPDK: its binary,
# made here; build/nodpdk/tracewarp by default).
set -u
command -v tshark >/dev/null && command -v mergecap >/dev/null ||
	{ echo "tshark and mergecap needed"; exit 77; }
tw=${TRACEWARP:?}
[ -x "$tw" ] || { echo "no binary at $tw"; exit 1; }
in=${SHARED:?}/corpus/public/tcpreplay-test.pcap
cd "$(dirname "$0")/../.." || exit 1
chk="python3 tests/e2e/frames_check.py"
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
unavail="--dpdk is unavailable: tracewarp was built without DPDK"
failed() {
	echo "FAILED: $*"
	fail=1
}

json() { # json FILE PYTHON-EXPRESSION-OF-d
	python3 -c 'import json,sys; d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2"
}

# Without DPDK: exit 1 and the message.
nodpdk=${TW_NODPDK:-build/nodpdk/tracewarp}
timeout 300 make -s NO_DPDK=1 BUILD="$(dirname "$nodpdk")" "$nodpdk" \
	>/dev/null 2>&1 || failed "make NO_DPDK=1"
if [ -x "$nodpdk" ]; then
	out=$("$nodpdk" capture --dpdk -w "$tmp/x.pcapng" 2>&1)
	rc=$?
	[ "$rc" -eq 1 ] && grep -qF -- "$unavail" <<<"$out" ||
		failed "without DPDK: status $rc: $out"
fi

# Lcores on the CPUs this shell may use (one CPU shared if need be).
read -r c0 c1 < <(python3 -c 'import os; c = sorted(os.sched_getaffinity(0))
print(c[0], c[1 % len(c)])')
eal() { # eal LCORES VDEV -> an EAL string with a fresh file prefix
	local l="0@$c0"
	[ "$1" -ge 2 ] && l="$l,1@$c1"
	[ "$1" -ge 3 ] && l="$l,2@$c0"
	echo "--lcores $l --no-huge --no-pci -m 256 --no-telemetry" \
		"--log-level=error --file-prefix=twcd$$-$BASHPID --vdev $2"
}
cap() { # cap LCORES VDEV ARGS... : a capture on port 0
	local lc=$1 vdev=$2
	shift 2
	timeout 30 "$tw" capture --dpdk --eal "$(eal "$lc" "$vdev")" \
		--port 0 "$@"
}
capbg() { # capbg LOG LCORES VDEV ARGS... : cap in the background; $! is
	# timeout's, which passes SIGHUP and SIGINT on
	local log=$1 lc=$2 vdev=$3
	shift 3
	timeout 30 "$tw" capture --dpdk --eal "$(eal "$lc" "$vdev")" \
		--port 0 "$@" 2>"$log" &
	pids+=($!)
}

out=$(cap 1 "net_pcap0,rx_pcap=$in" -c 179 -w "$tmp/one.pcapng" 2>&1)
rc=$?
grep -qF -- "$unavail" <<<"$out" && { echo "built without DPDK"; exit 77; }
grep -q "starting the EAL" <<<"$out" && { echo "EAL cannot start: $out"; exit 77; }
[ "$rc" -eq 0 ] || { echo "FAILED: first run: status $rc: $out"; exit 1; }
$chk same "$in" 1 "$tmp/one.pcapng" >/dev/null || failed "net_pcap, frames"
grep -q "polled by the main lcore, software timestamps" <<<"$out" ||
	failed "listening line: $out"

# A worker lcore, the filter, the snaplen.
tcp=$(tshark -r "$in" -Y tcp 2>/dev/null | wc -l)
cap 2 "net_pcap0,rx_pcap=$in" -c "$tcp" -s 60 -w "$tmp/tcp.pcapng" \
	--json "$tmp/tcp.json" tcp >/dev/null 2>&1 || failed "filter run"
got=$(tshark -r "$tmp/tcp.pcapng" -T fields -e frame.cap_len 2>/dev/null |
	sort -u | tr '\n' ' ')
[ "$(tshark -r "$tmp/tcp.pcapng" -Y tcp 2>/dev/null | wc -l)" -eq "$tcp" ] &&
	[ "$got" = "60 " ] || failed "filter and snaplen: caplens $got"
[ "$(json "$tmp/tcp.json" '(d["packets"], d["filtered"] > 0,
	d["dpdk"]["workers"])')" = "($tcp, True, 1)" ] ||
	failed "filter JSON: $(json "$tmp/tcp.json" d)"
cut=$(tshark -r "$tmp/tcp.pcapng" -T fields -e frame.len 2>/dev/null |
	awk '$1 > 60' | wc -l)
[ "$cut" -gt 0 ] || failed "wire lengths lost under the snaplen"

# Rotation by size: the files together hold the trace, in order.
cap 1 "net_pcap0,rx_pcap=$in" -c 179 -C 20KB -w "$tmp/rot.pcapng" \
	--json "$tmp/rot.json" >/dev/null 2>&1 || failed "rotation run"
files=$(ls "$tmp"/rot.*.pcapng 2>/dev/null | sort)
[ "$(wc -w <<<"$files")" -ge 3 ] || failed "-C 20KB: files $files"
# shellcheck disable=SC2086
mergecap -a -F pcapng -w "$tmp/rot-all.pcapng" $files &&
	$chk same "$in" 1 "$tmp/rot-all.pcapng" >/dev/null ||
	failed "rotated files differ from the trace"

# --redact: gRPC over h2c with secrets in it, through the in-process
# session before the writer, rotated (-C): one session across the
# files, each naming the policy and key; no secret left, while the
# input has them; every packet and HTTP/2 stream still there.  A -c
# that stops mid-message still writes what the session held.
gen=$SHARED/corpus/generated
oracle=$SHARED/tools/leak-check.sh
streams() { # streams FILE : the distinct (connection, HTTP/2 stream)
	tshark -r "$1" -d tcp.port==50051,http2 -T fields -e tcp.stream \
		-e http2.streamid 2>/dev/null |
		awk -F'\t' '{ n = split($2, s, ",")
			for (i = 1; i <= n; i++)
				if (s[i] != "" && s[i] != 0) print $1, s[i] }' |
		sort -u | wc -l
}
head -c 32 /dev/urandom >"$tmp/key" && chmod 600 "$tmp/key"
mkdir "$tmp/red"
n_in=$(capinfos -c -M "$gen/grpc.pcap" | awk '/packets/ { print $NF }')
cap 1 "net_pcap0,rx_pcap=$gen/grpc.pcap" -c "$n_in" -C 200KB \
	-w "$tmp/red/g.pcapng" --redact default --key-file "$tmp/key" \
	--l7-out "$tmp/l7.jsonl" --json "$tmp/red.json" 2>"$tmp/red.log" ||
	failed "--redact run: $(cat "$tmp/red.log")"
files=("$tmp"/red/g.*.pcapng)
[ "${#files[@]}" -ge 3 ] || failed "--redact -C 200KB: ${#files[@]} files"
n_red=0
for f in "${files[@]}"; do
	n_red=$((n_red + $(capinfos -c -M "$f" | awk '/packets/ { print $NF }')))
	grep -aq "policy sha256:$(json "$tmp/red.json" \
		'd["redaction"]["policy_sha256"]')" "$f" &&
		grep -aq "key fingerprint $(json "$tmp/red.json" \
			'd["redaction"]["key_fingerprint"]')" "$f" ||
		failed "$f: no policy hash or key fingerprint in its header"
done
[ "$n_red" -eq "$n_in" ] || failed "--redact: $n_red packets of $n_in"
# Whole, as the connection was: a later file alone lacks its HPACK state.
mergecap -a -F pcapng -w "$tmp/red-all.pcapng" "${files[@]}" ||
	failed "--redact: mergecap"
s_in=$(streams "$gen/grpc.pcap")
s_red=$(streams "$tmp/red-all.pcapng")
[ "$s_in" -gt 0 ] && [ "$s_red" -eq "$s_in" ] ||
	failed "--redact: $s_red HTTP/2 streams decoded, $s_in in the input"
[ "$(json "$tmp/red.json" '(d["redaction"]["packets"],
	d["redaction"]["h2_flows"], d["redaction"]["h2_streams"])')" = \
	"($n_in, 1, $s_in)" ] || failed "--redact JSON: $(json "$tmp/red.json" d)"
grep -q "^Redacted: *$n_in packets" "$tmp/red.log" ||
	failed "--redact summary: $(cat "$tmp/red.log")"
"$oracle" "$gen/secrets.txt" "$gen/grpc.pcap" >/dev/null &&
	failed "leak oracle blind: no secret in the input"
"$oracle" "$gen/secrets.txt" "$tmp/red-all.pcapng" "$tmp/l7.jsonl" \
	>"$tmp/leaks" 2>&1 || failed "--redact: secrets leak: $(head -3 "$tmp/leaks")"
cap 1 "net_pcap0,rx_pcap=$gen/grpc.pcap" -c 150 -w "$tmp/red150.pcapng" \
	--redact default --key-file "$tmp/key" -q ||
	failed "--redact -c 150 run"
[ "$(capinfos -c -M "$tmp/red150.pcapng" | awk '/packets/ { print $NF }')" \
	= 150 ] || failed "--redact -c 150: held packets not flushed at the end"

# replay --dpdk (2 lcores, 2 TX queues) into net_memif; capture from its
# server with 2 RX queues and 2 worker lcores.
sock=$tmp/memif.sock
capbg "$tmp/mem.log" 3 "net_memif0,role=server,socket=$sock" \
	--queues 2 -c 179 -w "$tmp/mem.pcapng" --json "$tmp/mem.json"
for _ in $(seq 50); do
	grep -q listening "$tmp/mem.log" && break
	sleep 0.1
done
timeout 30 "$tw" replay -q --dpdk --eal \
	"$(eal 2 "net_memif0,role=client,socket=$sock")" --lcores 2 -x 5 \
	--json "$tmp/sent.json" "$in" || failed "replay into net_memif"
wait "${pids[-1]}" || failed "memif capture: $(cat "$tmp/mem.log")"
$chk same "$in" 1 "$tmp/mem.pcapng" >/dev/null ||
	failed "net_memif: $($chk same "$in" 1 "$tmp/mem.pcapng" 2>&1)"
bytes=$(json "$tmp/sent.json" 'd["bytes_sent"]')
got=$(json "$tmp/mem.json" "(d['packets'], d['received'],
	d['kernel_drops'], d['interface_drops'], d['dpdk']['workers'],
	[q['packets'] > 0 for q in d['dpdk']['queues']],
	d['bytes_wire'] == $bytes)")
[ "$got" = "(179, 179, 0, 0, 2, [True, True], True)" ] ||
	failed "net_memif JSON: $got"

# Signals: SIGHUP starts a new file, SIGINT stops (exit 0); an idle
# memif server receives nothing, and its files are still valid.
capbg "$tmp/sig.log" 1 "net_memif0,role=server,socket=$tmp/idle.sock" \
	-w "$tmp/sig.pcapng" --json "$tmp/sig.json"
pid=${pids[-1]}
for _ in $(seq 50); do
	grep -q listening "$tmp/sig.log" && break
	sleep 0.1
done
kill -HUP "$pid"
sleep 0.5
kill -INT "$pid"
wait "$pid" || failed "SIGINT: status $?: $(cat "$tmp/sig.log")"
[ "$(json "$tmp/sig.json" '(d["ended"], d["files_finished"])')" = \
	"('signal', 2)" ] || failed "signals: $(json "$tmp/sig.json" d)"
for f in "$tmp"/sig.*.pcapng; do
	capinfos "$f" >/dev/null 2>&1 || failed "$f does not open"
done

# Refused: --dpdk options without --dpdk, libpcap options with it, a
# port that does not exist.
bad() { # bad WHAT ARGS... : must exit 1 with a message
	local what=$1
	shift
	out=$("$tw" capture "$@" 2>&1)
	[ $? -eq 1 ] && [ -n "$out" ] || failed "$what: $out"
}
bad "--queues without --dpdk" -i lo --queues 2 -w "$tmp/x.pcapng"
bad "-i with --dpdk" --dpdk -i lo -w "$tmp/x.pcapng"
bad "-B with --dpdk" --dpdk -B 1024 -w "$tmp/x.pcapng"
bad "--queues 0" --dpdk --queues 0 -w "$tmp/x.pcapng"
out=$(cap 1 net_null0 --port 7 -w "$tmp/x.pcapng" 2>&1)
[ $? -eq 1 ] && grep -q "no DPDK port 7" <<<"$out" ||
	failed "unknown port: $out"
out=$(cap 1 "net_pcap0,rx_pcap=$in" --queues 2 -w "$tmp/x.pcapng" 2>&1)
[ $? -eq 1 ] && grep -q "has 1 RX queues" <<<"$out" ||
	failed "2 queues on a port of 1: $out"
[ $fail -eq 0 ] && echo "capture --dpdk: all checks passed"
exit $fail
