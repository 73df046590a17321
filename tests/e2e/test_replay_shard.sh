#!/usr/bin/env bash
# `tracewarp replay --shard I/N` and `--start-at TIME`, as dry runs (-w):
# the N shards' frames, timestamps included, add up to the whole run's
# exactly (the shards keep the whole trace's clock), no flow is in two
# shards, and a start 1 to 2 s ahead (epoch seconds or RFC 3339) is
# waited for.  tshark judges the files.
set -u
command -v tshark >/dev/null || { echo "tshark needed"; exit 77; }
tw=${TRACEWARP:?}
[ -x "$tw" ] || { echo "no binary at $tw"; exit 1; }
corpus=${SHARED:?}/corpus/public
chk="python3 $(dirname "$0")/frames_check.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

ok() { # ok DESCRIPTION CMD... : runs CMD, records a failure
	local what=$1
	shift
	if ! out=$("$@" 2>&1); then
		echo "FAILED: $what"
		echo "$out" | tail -5 | sed 's/^/    /'
		fail=1
	fi
}

replay() { # replay OUT ARGS... : a dry run, quiet
	local out=$1
	shift
	"$tw" replay -q -w "$out" "$@"
}

# name trace shards options...
for spec in "tcp tcpreplay-test.pcap 3 -x 5" \
	"loops tcpreplay-test.pcap 4 -x 1000 -l 2" \
	"h2 arkime-http2-nghttp2.pcap 2 -x 3" \
	"vlan arkime-twovlan.pcap 5 -x 2" \
	"one tcpreplay-test.pcap 1 -x 5"; do
	read -r name trace n opts <<<"$spec"
	# shellcheck disable=SC2086
	ok "$name: whole" replay "$tmp/$name.pcapng" $opts "$corpus/$trace"
	parts=()
	for i in $(seq "$n"); do
		# shellcheck disable=SC2086
		ok "$name: shard $i/$n" replay "$tmp/$name-$i.pcapng" $opts \
			--shard "$i/$n" "$corpus/$trace"
		parts+=("$tmp/$name-$i.pcapng")
	done
	ok "$name: union and disjoint" $chk shards "$tmp/$name.pcapng" \
		"${parts[@]}"
done
for bad in 0/3 4/3 3 1/0 x/2 1/65537; do
	"$tw" replay -q -w "$tmp/bad.pcapng" --shard "$bad" \
		"$corpus/trex-dns.pcap" 2>/dev/null
	[ $? -eq 1 ] || { echo "FAILED: --shard $bad accepted"; fail=1; }
done

# --start-at 1 to 2 s ahead: the run must not end before it.
for form in epoch rfc3339; do
	at=$(($(date +%s) + 2))
	arg=$at
	[ $form = rfc3339 ] && arg=$(date -u -d "@$at" +%Y-%m-%dT%H:%M:%S.000Z)
	ok "--start-at ($form)" replay "$tmp/at.pcapng" -t --start-at "$arg" \
		"$corpus/trex-dns.pcap"
	now=$(date +%s.%N)
	python3 -c "import sys; sys.exit(not $now >= $at)" ||
		{ echo "FAILED: --start-at $arg: ended at $now"; fail=1; }
done
"$tw" replay -q -w "$tmp/bad.pcapng" --start-at 2026-13-01T00:00:00Z \
	"$corpus/trex-dns.pcap" 2>/dev/null
[ $? -eq 1 ] || { echo "FAILED: a bad --start-at accepted"; fail=1; }
[ $fail -eq 0 ] && echo "replay --shard and --start-at: all checks passed"
exit $fail
