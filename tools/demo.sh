#!/usr/bin/env bash
# demo.sh TRACEWARP - `make demo`: the main job, end to end, on real
# traffic in network namespaces of its own (198.18.0.0/15 only):
#
#   cli ──► srv     real clients (nghttp, curl, grpcio) send HTTP/2, gRPC
#                   and REST to real servers (nghttpd, grpcio, Python);
#                   `tracewarp capture --redact` records them on srv,
#                   raw payload never written; `tracewarp info` shows it
#   srv ──► sink    `tracewarp replay --dpdk` (af_packet virtual port,
#                   --no-huge) sends the redacted trace at a speedup with
#                   the gRPC flow amplified; tcpdump counts arrivals
#   srv ──► stage   `tracewarp replay --l7` re-issues the exchanges
#                   against staging servers (nghttpd, grpcio)
#
# Every stage prints its metrics; the files stay in OUT (default
# build/demo-out beside the binary).  A failing stage stops the demo with
# its name and status 1.  Without root or network namespaces it redacts
# and replays the bundled captures (../shared/corpus/generated) through
# the file and net_pcap backends instead, and says so.
#
# Environment: SHARED (default ../shared), DEMO_OUT, DEMO_SHORT=1 (fewer
# requests: the end-to-end test), DEMO_FORCE_FALLBACK=1.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
[ $# -eq 1 ] && [ -x "$1" ] ||
	{ echo "usage: tools/demo.sh TRACEWARP (a built binary)" >&2; exit 1; }
tw=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shared=${SHARED:-$(cd .. && pwd)/shared}
out=${DEMO_OUT:-$(dirname "$tw")/demo-out}
short=${DEMO_SHORT:-}
PY=/usr/bin/python3
# The default policy with the demo's paths kept (see the file).
policy=$PWD/tools/demo-policy.yaml
tag=twdemo$$
t0=$(date +%s.%N)
stage_name=setup
pids=()
nss=()

say() { printf '\n== %s\n' "$*"; }

die() {
	echo "demo: stage '$stage_name' FAILED: $*" >&2
	exit 1
}

# stage NAME: what follows belongs to NAME (for the failure message).
stage() {
	stage_name=$1
	say "$1: ${*:2}"
}

# run CMD...: runs CMD; a failure fails the stage with CMD's status.
run() {
	"$@"
	local rc=$?
	[ "$rc" -eq 0 ] || die "'$(basename "$1") ${2:-}...' exited $rc"
}

cleanup() {
	exec 2>/dev/null # not the shell's "Killed" notices
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for ns in "${nss[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
	done
	wait 2>/dev/null
	for ns in "${nss[@]}"; do ip netns del "$ns" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# jq-like: jget FILE EXPR (python on d).
jget() {
	$PY -c 'import json,sys; d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2"
}

can_netns() {
	[ -z "${DEMO_FORCE_FALLBACK:-}" ] && [ "$(id -u)" -eq 0 ] &&
		unshare -n true 2>/dev/null &&
		ip netns add "$tag-probe" 2>/dev/null &&
		ip netns del "$tag-probe"
}

# Whether the binary has the DPDK backend (its build's library has it).
have_dpdk() {
	local lib
	lib=$(dirname "$tw")/libtracewarp.a
	if [ -f "$lib" ]; then
		ar t "$lib" | grep -qx backend_dpdk.o
	else
		pkg-config --exists libdpdk
	fi
}

# The first CPU this shell may use, for the EAL's one lcore.
cpu0() {
	$PY -c 'import os; print(sorted(os.sched_getaffinity(0))[0])'
}

mkkey() {
	head -c 32 /dev/urandom >"$out/demo.key"
	chmod 600 "$out/demo.key"
}

# A previous run's output is replaced; anything else is left alone.
if [ -n "$(ls -A "$out" 2>/dev/null)" ] && [ ! -e "$out/.tracewarp-demo" ]; then
	echo "demo: $out holds files of something else: not replacing it" >&2
	exit 1
fi
rm -rf "$out"
mkdir -p "$out" && touch "$out/.tracewarp-demo" || exit 1
out=$(cd "$out" && pwd)

# shellcheck source=tools/demo_live.sh
if can_netns; then
	. tools/demo_live.sh
else
	. tools/demo_fallback.sh
fi
main
stage_name=summary
echo
$PY tools/demo_summary.py "$out" || die "cannot read the stages' summaries"
t1=$(date +%s.%N)
echo "demo: all stages passed in $($PY -c "print(f'{$t1 - $t0:.1f}')") s"
