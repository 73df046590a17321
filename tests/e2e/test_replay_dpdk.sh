#!/usr/bin/env bash
# `tracewarp replay --dpdk` through the command line, on DPDK's virtual
# ports (--no-huge --no-pci): net_pcap's tx_pcap files must hold exactly
# the trace's frames (each flow on one TX queue, in order, with two
# lcores), the departures must follow the speedup's schedule, net_null
# at top speed must count loops and amplified copies exactly, and the
# JSON summary must carry the port's own counters; --start-at must hold
# the first departure until the instant given; --fix-checksums must
# repair the trace's bad checksums.  A build without DPDK
# (make NO_DPDK=1 BUILD=build/nodpdk) must refuse --dpdk with exit 1.
set -u
command -v tshark >/dev/null || { echo "tshark needed"; exit 77; }
tw=${TRACEWARP:?}
[ -x "$tw" ] || { echo "no binary at $tw"; exit 1; }
in=${SHARED:?}/corpus/public/tcpreplay-test.pcap
cd "$(dirname "$0")/../.." || exit 1
chk="python3 tests/e2e/frames_check.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
unavail="--dpdk is unavailable: tracewarp was built without DPDK"

ok() { # ok DESCRIPTION CMD... : runs CMD, records a failure
	local what=$1
	shift
	if ! out=$("$@" 2>&1); then
		echo "FAILED: $what"
		echo "$out" | tail -5 | sed 's/^/    /'
		fail=1
	fi
}

json() { # json FILE PYTHON-EXPRESSION-OF-d
	python3 -c 'import json,sys; d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2"
}

# Without DPDK: exit 1 and the message, whatever the other options.
nodpdk=build/nodpdk/tracewarp
timeout 300 make -s NO_DPDK=1 BUILD=build/nodpdk "$nodpdk" >/dev/null 2>&1 ||
	{ echo "FAILED: make NO_DPDK=1"; fail=1; }
if [ -x "$nodpdk" ]; then
	out=$("$nodpdk" replay --dpdk --eal '--no-huge' -x 5 "$in" 2>&1)
	rc=$?
	[ "$rc" -eq 1 ] && grep -qF -- "$unavail" <<<"$out" ||
		{ echo "FAILED: without DPDK: status $rc: $out"; fail=1; }
fi

# Two lcores on the CPUs this shell may use (one CPU shared if need be).
read -r c0 c1 < <(python3 -c 'import os; c = sorted(os.sched_getaffinity(0))
print(c[0], c[1 % len(c)])')
n=0
eal() { # eal VDEV [LCORES] -> an EAL string with a fresh file prefix
	n=$((n + 1))
	local l="0@$c0"
	[ "${2:-1}" -eq 2 ] && l="0@$c0,1@$c1"
	echo "--lcores $l --no-huge --no-pci -m 256 --no-telemetry" \
		"--log-level=error --file-prefix=twrd$$-$n --vdev $1"
}
dpdk() { # dpdk VDEV LCORES ARGS... : a quiet replay on port 0
	local vdev=$1 lc=$2
	shift 2
	timeout 60 "$tw" replay -q --dpdk --eal "$(eal "$vdev" "$lc")" \
		--port 0 --lcores "$lc" "$@"
}

out=$(dpdk net_null0 1 -t -L 1 "$in" 2>&1)
rc=$?
grep -qF -- "$unavail" <<<"$out" && { echo "built without DPDK"; exit 77; }
grep -q "starting the EAL" <<<"$out" && { echo "EAL cannot start: $out"; exit 77; }
[ "$rc" -eq 0 ] || { echo "FAILED: first run: status $rc: $out"; exit 1; }

# Exactly the trace's frames; departures on the speedup's schedule
# (9 in 10 within 50 ms: a shared VM preempts).  One lcore: the engine.
ok "net_pcap, 1 lcore" dpdk "net_pcap0,tx_pcap=$tmp/one.pcap" 1 -x 5 "$in"
ok "frames, 1 lcore" $chk same "$in" 1 "$tmp/one.pcap"
ok "timing, 1 lcore" $chk timing "$in" 5 50 "$tmp/one.pcap"
# Two lcores, one TX queue and one tx_pcap file each: flows disjoint.
ok "net_pcap, 2 lcores" dpdk \
	"net_pcap0,tx_pcap=$tmp/q0.pcap,tx_pcap=$tmp/q1.pcap" 2 -x 5 \
	--json "$tmp/two.json" "$in"
ok "frames, 2 lcores" $chk same "$in" 1 "$tmp/q0.pcap" "$tmp/q1.pcap"
ok "timing, 2 lcores" $chk timing "$in" 5 50 "$tmp/q0.pcap" "$tmp/q1.pcap"
[ "$(json "$tmp/two.json" 'len(d["dpdk"]["lcores"])')" = 2 ] ||
	{ echo "FAILED: two lcores not in the JSON"; fail=1; }
# Above --preload-max (69 kB, a bound of 10 kB): streamed through 2 kB
# chunks by the two lcores, twice over; the same frames and order, and
# the speedup's schedule.
ok "streamed, 2 lcores" dpdk \
	"net_pcap0,tx_pcap=$tmp/s0.pcap,tx_pcap=$tmp/s1.pcap" 2 -x 5 -l 2 \
	--preload-max 10000 --json "$tmp/s.json" "$in"
ok "frames, streamed" $chk same "$in" 2 "$tmp/s0.pcap" "$tmp/s1.pcap"
ok "streamed, 1 pass" dpdk \
	"net_pcap0,tx_pcap=$tmp/t0.pcap,tx_pcap=$tmp/t1.pcap" 2 -x 5 \
	--preload-max 10000 "$in"
ok "timing, streamed" $chk timing "$in" 5 50 "$tmp/t0.pcap" "$tmp/t1.pcap"
[ "$(json "$tmp/s.json" '(d["preloaded"], len(d["dpdk"]["lcores"]))')" = \
	"(False, 2)" ] || { echo "FAILED: streamed JSON"; fail=1; }

# Copies as the engine makes them, from two lcores: the engine's dry run
# (-w) with the same options is the reference, frame for frame (each
# flow in order) and, loosely (a shared VM), departure for departure:
# spread over the gap to the next packet, in slots of their own at
# --pps, a new set of flows per loop with --unique-ip.  The exact
# schedule of the copies is test_dpdk_replay's.
k=0
for opts in "--amplify tcp*4 --amplify-spread -x 5" "--amplify tcp*3 -p 2000" \
	"--unique-ip --amplify udp*2 -l 3 -x 20"; do
	k=$((k + 1))
	# shellcheck disable=SC2086
	ok "engine reference $k" "$tw" replay -q -w "$tmp/ref$k.pcapng" \
		$opts "$in"
	# shellcheck disable=SC2086
	ok "copies $k: $opts" dpdk \
		"net_pcap0,tx_pcap=$tmp/c$k-0.pcap,tx_pcap=$tmp/c$k-1.pcap" 2 \
		$opts "$in"
	ok "copies $k, frames" $chk same "$tmp/ref$k.pcapng" 1 \
		"$tmp/c$k-0.pcap" "$tmp/c$k-1.pcap"
	ok "copies $k, timing" $chk timing "$tmp/ref$k.pcapng" 1 20 \
		"$tmp/c$k-0.pcap" "$tmp/c$k-1.pcap"
done
flows=$(python3 tests/e2e/replay_check.py flows "$in")
got=$(python3 tests/e2e/replay_check.py flows "$tmp/c3-0.pcap")
got=$((got + $(python3 tests/e2e/replay_check.py flows "$tmp/c3-1.pcap")))
[ "$got" -gt $((3 * flows)) ] ||
	{ echo "FAILED: --unique-ip: $got flows, want > $((3 * flows))"; fail=1; }

# Top speed into net_null: totals exact with loops and amplification.
total=$(tshark -r "$in" 2>/dev/null | wc -l)
tcp=$(tshark -r "$in" -Y tcp 2>/dev/null | wc -l)
want=$(((total + 2 * tcp) * 40))
for lc in 1 2; do
	ok "net_null, $lc lcores" dpdk net_null0 "$lc" -t -l 40 \
		--amplify 'tcp*3' --json "$tmp/null$lc.json" \
		--metrics-file "$tmp/null$lc.prom" "$in"
	# The port's own counters and xstats in the Prometheus text.
	got=$(awk '/^tracewarp_dpdk_port_opackets_total\{/ { print $2 }
		/^tracewarp_dpdk_port_xstat\{.*name="tx_good_packets"/ {
		print $2 }' "$tmp/null$lc.prom" | tr '\n' ' ')
	[ "$got" = "$want $want " ] ||
		{ echo "FAILED: Prometheus port counters, $lc lcores: $got"; fail=1; }
	got=$(json "$tmp/null$lc.json" \
		'(d["packets_sent"], d["dpdk"]["port"]["opackets"],
		  d["loops_completed"], d["amplified_copies"])')
	[ "$got" = "($want, $want, 40, $((2 * tcp * 40)))" ] ||
		{ echo "FAILED: net_null, $lc lcores: $got, want $want"; fail=1; }
done

# --start-at: the first departure on the instant given, from the engine
# and from the multi-lcore replayer.  net_pcap stamps frames from the TSC
# at its own estimate of its frequency, a few ms off the wall clock over
# a second; a shared VM can start late: -20 to 200 ms.
for lc in 1 2; do
	at=$(($(date +%s%N) + 1500000000))
	sec=$((at / 1000000000)).$(printf %09d $((at % 1000000000)))
	q="tx_pcap=$tmp/at$lc-0.pcap"
	[ "$lc" -eq 2 ] && q="$q,tx_pcap=$tmp/at$lc-1.pcap"
	ok "--start-at, $lc lcores" dpdk "net_pcap0,$q" "$lc" -x 5 \
		--start-at "$sec" "$in"
	ok "--start-at kept, $lc lcores" $chk after "$tmp/at$lc-0.pcap" "$at" -20 200
done

# --fix-checksums: the trace's bad IPv4, TCP and UDP checksums leave
# valid (not under MPLS: the decoder does not look inside it).
bad() { # bad FILE -> frames with a bad IPv4, TCP or UDP checksum
	tshark -r "$1" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
		-o udp.check_checksum:TRUE -Y '!mpls && (ip.checksum.status == 0
		|| tcp.checksum.status == 0 || udp.checksum.status == 0)' \
		2>/dev/null | wc -l
}
ok "--fix-checksums" dpdk "net_pcap0,tx_pcap=$tmp/fix.pcap" 1 -t \
	--fix-checksums "$in"
[ "$(bad "$in")" -gt 0 ] && [ "$(bad "$tmp/fix.pcap")" -eq 0 ] ||
	{ echo "FAILED: --fix-checksums left $(bad "$tmp/fix.pcap")"; fail=1; }

# Without --dpdk its options are refused.
out=$("$tw" replay -w "$tmp/x.pcap" --lcores 2 "$in" 2>&1)
[ $? -eq 1 ] || { echo "FAILED: --lcores without --dpdk: $out"; fail=1; }
[ $fail -eq 0 ] && echo "replay --dpdk: all checks passed"
exit $fail
