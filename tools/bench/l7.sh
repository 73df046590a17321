#!/usr/bin/env bash
# l7.sh TRACEWARP - `tracewarp replay --l7` beside h2load against nghttpd
# (h2c), in a network namespace of its own (loopback inside it, removed on
# exit): the same request mix (80% a small JSON file, 20% 16 KiB), the
# same number of connections and streams in flight; each client pinned to
# one core, nghttpd to another.
#
#  1. closed loop, top speed: requests/s of each, and the ratio;
#  2. open loop at a recorded schedule (10,000 requests/s in the trace):
#     what tracewarp keeps of it, which h2load cannot do (its -r rate
#     starts connections, not requests), with send lateness p99 and the
#     count of requests late by more than 1 ms.
#
# Prints markdown table rows and writes build/bench/l7.md.  Needs root,
# nghttpd and h2load (nghttp2-server, nghttp2-client).
set -eu
cd "$(dirname "$0")/../.."
tw=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=build/bench
mkdir -p "$out"
[ "$(id -u)" -eq 0 ] || { echo "bench: l7 needs root" >&2; exit 1; }
for t in nghttpd h2load python3 taskset; do
	command -v $t >/dev/null || { echo "bench: $t missing" >&2; exit 1; }
done
N=${L7_REQUESTS:-20000} C=${L7_CONNS:-4} M=${L7_STREAMS:-32}
ncpu=$(nproc)
srv_cpu=$((ncpu > 1 ? 1 : 0))

ns=twl7b$$
tmp=$(mktemp -d)
cleanup() {
	[ -n "${srv:-}" ] && kill "$srv" 2>/dev/null
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
mkdir -p "$tmp/www"
echo '{"id":1,"name":"x"}' >"$tmp/www/small.json"
head -c 16384 /dev/zero >"$tmp/www/blob.bin"
ip netns exec "$ns" taskset -c $srv_cpu nghttpd --no-tls -n 1 -d "$tmp/www" \
	8080 >/dev/null 2>&1 &
srv=$!
for _ in $(seq 50); do
	ip netns exec "$ns" bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080' 2>/dev/null && break
	sleep 0.1
done

# The mix, as h2load's URI list and as an L7 trace (closed loop: all at
# t0; open loop: one every 100 us, on C recorded connections).
python3 - "$tmp" "$N" "$C" <<'PY'
import json, sys
tmp, n, c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
paths = ["/small.json"] * 4 + ["/blob.bin"]
with open(f"{tmp}/uris.txt", "w") as u:
    for p in paths:
        u.write(f"http://127.0.0.1:8080{p}\n")
for name, gap in (("closed", 0), ("open", 100_000)):
    with open(f"{tmp}/{name}.jsonl", "w") as f:
        for i in range(n):
            p = paths[i % len(paths)]
            f.write(json.dumps({"conn": i % c, "start_ns": i * gap,
                                "method": "GET", "path": p,
                                "request": {"headers": []},
                                "response": {"status": 200}}) + "\n")
PY

inns() { ip netns exec "$ns" taskset -c 0 "$@"; }
h2l=$(inns h2load -n "$N" -c "$C" -m "$M" -t 1 -i "$tmp/uris.txt" 2>&1)
h2_rps=$(echo "$h2l" | sed -n 's/.*finished in .*, \([0-9.]*\) req\/s.*/\1/p')
h2_ok=$(echo "$h2l" | sed -n 's/.* \([0-9]*\) succeeded.*/\1/p')
inns "$tw" replay --l7 "$tmp/closed.jsonl" --target http://127.0.0.1:8080 \
	--topspeed --connections "$C" --max-inflight $((C * M)) -q \
	--json "$tmp/closed.json"
inns "$tw" replay --l7 "$tmp/open.jsonl" --target http://127.0.0.1:8080 -q \
	--json "$tmp/open.json"
read -r tw_rps tw_ok < <(python3 -c "
import json; d = json.load(open('$tmp/closed.json'))
print('%.0f' % d['requests_per_s'], d['outcomes']['ok'])")
read -r o_rps o_ok o_late o_p99 o_lat < <(python3 -c "
import json; d = json.load(open('$tmp/open.json'))
print('%.0f' % d['requests_per_s'], d['outcomes']['ok'], d['late'],
      '%.3f' % (d['lateness']['p99_ns'] / 1e6),
      '%.3f' % (d['latency']['p99_ns'] / 1e6))")

{
	echo "## L7 replay (HTTP/2 h2c against nghttpd, one client core)"
	echo
	echo "$N requests (80% 20-byte JSON, 20% 16 KiB), $C connections, $M streams each; machine: $ncpu cores, load $(cut -d' ' -f1 /proc/loadavg)."
	echo
	echo "| client | mode | requests/s | ok | vs h2load | send lateness p99 ms | late > 1 ms | latency p99 ms |"
	echo "|---|---|---|---|---|---|---|---|"
	echo "| h2load -n $N -c $C -m $M -t 1 | closed loop | ${h2_rps%.*} | $h2_ok | 1.00 | - | - | - |"
	echo "| tracewarp replay --l7 --topspeed --connections $C --max-inflight $((C * M)) | closed loop | $tw_rps | $tw_ok | $(awk -v a="$tw_rps" -v b="$h2_rps" 'BEGIN { printf "%.2f", a / b }') | - | - | - |"
	echo "| tracewarp replay --l7 (recorded: 10,000 req/s, -x 1) | open loop | $o_rps | $o_ok | - | $o_p99 | $o_late | $o_lat |"
} | tee "$out/l7.md"
