#!/usr/bin/env bash
# valgrind-e2e.sh [BIN] - runs a representative set of end-to-end
# commands under valgrind (memcheck: invalid reads and writes, use of
# uninitialized values, leaks) and fails on the first error: info on
# pcap and pcapng, redact of HTTP/2 and gRPC captures with an L7 trace,
# --check-policy, generate, replay to a file (looped), and the L7
# replayer reading that trace (against a closed port, in a network
# namespace of its own, when run as root).
#
# BIN defaults to a plain build (no sanitizer: valgrind cannot run
# ASan binaries) made here in build/valgrind.  Not part of `make test`
# (minutes, not seconds); valgrind comes from the distribution's
# package (apt-get install valgrind).
set -u
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || {
	echo "valgrind-e2e: valgrind not installed (apt-get install valgrind)"
	exit 77
}
bin=${1:-}
if [ -z "$bin" ]; then
	make -j2 --no-print-directory BUILD=build/valgrind NO_DPDK=1 \
		>/dev/null || exit 2
	bin=build/valgrind/tracewarp
fi
shared=${SHARED:-$(cd .. && pwd)/shared}
corpus=$shared/corpus
tmp=$(mktemp -d)
ns=tw-vg-$$
cleanup() {
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
printf '%064x\n' 7 >"$tmp/key"
chmod 600 "$tmp/key"
fail=0
n=0

# vg NAME WANT CMD...: CMD under memcheck, exiting WANT; errors fail.
vg() {
	local name=$1 want=$2 rc=0
	shift 2
	n=$((n + 1))
	valgrind -q --error-exitcode=99 --leak-check=full \
		--show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect \
		--track-origins=yes --log-file="$tmp/vg-$n.log" \
		"$@" >"$tmp/out-$n" 2>&1 || rc=$?
	if [ "$rc" -eq 99 ] || [ -s "$tmp/vg-$n.log" ]; then
		echo "valgrind-e2e: $name: memcheck errors:"
		cat "$tmp/vg-$n.log"
		fail=1
	elif [ "$rc" -ne "$want" ]; then
		echo "valgrind-e2e: $name: status $rc, want $want:"
		tail -5 "$tmp/out-$n"
		fail=1
	else
		echo "valgrind-e2e: $name: clean"
	fi
}

vg "info pcap" 0 "$bin" info "$corpus/public/arkime-http2-nghttp2.pcap"
vg "info pcapng" 0 "$bin" info \
	"$corpus/public/pcapng-output_le-advanced-test102.pcapng"
vg "info truncated" 1 "$bin" info \
	"$corpus/public/libpcap-shb-option-too-long.pcapng"
vg "check-policy" 0 "$bin" redact --check-policy config/policy-default.yaml
vg "redact h2" 0 "$bin" redact -k "$tmp/key" -r \
	"$corpus/public/arkime-http2-nghttp2.pcap" -w "$tmp/h2.pcapng" \
	--l7-out "$tmp/h2.jsonl"
vg "redact grpc" 0 "$bin" redact -k "$tmp/key" -r \
	"$corpus/generated/grpc.pcap" -w "$tmp/grpc.pcapng" \
	--l7-out "$tmp/grpc.jsonl"
vg "redact h1" 0 "$bin" redact -k "$tmp/key" -r \
	"$corpus/generated/rest-h1-ipv6.pcap" -w "$tmp/h1.pcap" --json
vg "generate" 0 "$bin" generate --profile mixed-api --sessions 20 \
	-w "$tmp/gen.pcapng"
vg "replay to file" 0 "$bin" replay -q --topspeed --loop 3 \
	-w "$tmp/replayed.pcapng" "$tmp/gen.pcapng"
vg "replay rewrite" 0 "$bin" replay -q -p 100000 --ip-map \
	198.18.0.0/16:198.19.0.0/16 --amplify 'tcp*2' -w "$tmp/amp.pcap" \
	--pcap "$corpus/public/arkime-http2-nghttp2.pcap"
if [ "$(id -u)" -eq 0 ] && ip netns add "$ns" 2>/dev/null; then
	ip -n "$ns" link set lo up
	# Nothing listens: every request fails at once, after the whole
	# trace is read; the run itself completes (status 0).
	vg "l7 trace" 0 ip netns exec "$ns" "$bin" replay -q --topspeed \
		--l7 "$tmp/grpc.jsonl" --target http://127.0.0.1:9 \
		--timeout 2s
else
	echo "valgrind-e2e: l7 trace: skipped (needs root for a namespace)"
fi
res=clean
[ $fail -eq 0 ] || res=FAILED
echo "valgrind-e2e: $n commands, $res"
exit $fail
