#!/usr/bin/env bash
# tools/systemd/tracewarp-capture@.service: systemd-analyze verifies it
# and rates its exposure 3.0 or better, and its ExecStart=, expanded as
# systemd would (unit_cmd.py), runs the way the unit runs it: as an
# unprivileged user (nobody) holding only the ambient capabilities the
# unit grants, in a network namespace of our own with UDP traffic, -G 1
# and a ring of 2.  The files must be redacted captures of mode 0600
# owned by that user, at most 2 kept, with the run's JSON summary.
set -u
command -v systemd-analyze >/dev/null || { echo "systemd-analyze needed"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "needs root for network namespaces"; exit 77; }
command -v setpriv >/dev/null || { echo "setpriv needed"; exit 77; }
tw=${TRACEWARP:?}
cd "$(dirname "$0")/../.." || exit 1
unit=tools/systemd/tracewarp-capture@.service
tmp=$(mktemp -d)
ns=twsd$$
cleanup() {
	ip netns del "$ns" 2>/dev/null
	ip netns del "$ns-peer" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
failed() {
	echo "FAILED: $*"
	fail=1
}

# verify wants the binary the unit names: point it at ours.
sed "s|/usr/local/bin/tracewarp|$tw|" "$unit" >"$tmp/tracewarp-capture@sv0.service"
out=$(systemd-analyze verify "$tmp/tracewarp-capture@sv0.service" 2>&1) ||
	failed "systemd-analyze verify: $out"
[ -z "$out" ] || failed "systemd-analyze verify warns: $out"
if exp=$(systemd-analyze security --offline=yes \
	"$tmp/tracewarp-capture@sv0.service" 2>/dev/null |
	sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p') &&
	[ -n "$exp" ]; then
	python3 -c "import sys; sys.exit(not $exp <= 3.0)" ||
		failed "exposure $exp, want 3.0 or better"
fi
caps=$(sed -n 's/^AmbientCapabilities=//p' "$unit")
[ "$caps" = "CAP_NET_RAW CAP_NET_ADMIN" ] || failed "ambient capabilities: $caps"
grep -qx 'DynamicUser=yes' "$unit" || failed "not DynamicUser"

# The service's command, as systemd would run it for instance sv0.
ip netns add "$ns" 2>/dev/null || { echo "network namespaces unavailable"; exit 77; }
ip netns add "$ns-peer" || exit 77
ip link add sv1 netns "$ns-peer" type veth peer name sv0 netns "$ns" || exit 77
ip -n "$ns" link set dev sv0 up
ip -n "$ns-peer" link set dev sv1 up
ip -n "$ns" addr add 198.18.94.2/30 dev sv0
ip -n "$ns-peer" addr add 198.18.94.1/30 dev sv1
state=$tmp/state creds=$tmp/creds
chmod 755 "$tmp" # the service's user walks to its directories
mkdir -p "$state/tracewarp/sv0" "$creds"
head -c 32 /dev/urandom >"$creds/key"
chmod 600 "$creds/key"
chown -R 65534 "$state/tracewarp/sv0" "$creds"
mapfile -t cmd < <(python3 tests/e2e/unit_cmd.py "$unit" sv0 "$state" \
	"$creds" "$tw" TW_ROTATE_SECONDS=1 TW_FILE_COUNT=2 TW_FILTER=udp)
[ "${#cmd[@]}" -gt 5 ] || { echo "FAILED: no command from $unit"; exit 1; }
# setpriv needs the capabilities inheritable to make them ambient.
c=+net_raw,+net_admin
ip netns exec "$ns" setpriv --reuid=65534 --regid=65534 --clear-groups \
	--inh-caps=$c --ambient-caps=$c --no-new-privs \
	timeout --preserve-status -s INT 3.5 "${cmd[@]}" 2>"$tmp/err" &
svc=$!
sleep 0.5
for _ in $(seq 12); do
	ip netns exec "$ns-peer" bash -c \
		'echo secret-payload-x >/dev/udp/198.18.94.2/9' 2>/dev/null
	sleep 0.2
done
wait "$svc"
rc=$?
[ "$rc" -eq 0 ] || failed "the service's command exited $rc: $(cat "$tmp/err")"
shopt -s nullglob
files=("$state"/tracewarp/sv0/sv0-*.pcapng)
[ "${#files[@]}" -gt 0 ] || failed "no capture file"
[ "${#files[@]}" -le 2 ] || failed "${#files[@]} files kept, ring of 2"
for f in "${files[@]}"; do
	[ "$(stat -c '%a %u' "$f")" = "600 65534" ] ||
		failed "$f: mode and owner $(stat -c '%a %u' "$f")"
	tshark -r "$f" >/dev/null 2>&1 || failed "$f: tshark cannot read it"
	grep -aq 'secret-payload' "$f" && failed "$f: raw payload on disk"
done
json=$state/tracewarp/sv0/last-run.json
python3 -c 'import json,sys; d = json.load(open(sys.argv[1]))
sys.exit(not (d["redaction"]["packets"] > 0 and d["files_finished"] >= 3))' \
	"$json" 2>/dev/null || failed "last-run.json: $(cat "$json" 2>&1 | head -5)"
[ "$fail" -eq 0 ] && echo "systemd unit: verified (exposure ${exp:-?})," \
	"its command ran unprivileged: ${#files[@]} redacted files kept"
exit "$fail"
