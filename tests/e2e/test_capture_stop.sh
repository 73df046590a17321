#!/usr/bin/env bash
# Stopping `tracewarp capture`, in namespaces of our own, while a UDP
# stream flows: SIGINT and SIGTERM mid-capture (rotating by size, so a
# file is open and half full) leave only complete, valid files, no .part,
# and exit 0; SIGUSR1 prints the counts and capturing goes on; --duration
# and --max-bytes stop on time and below the size; a full disk (a small
# tmpfs) stops with a clear message, exit 1, and every file valid.
set -u
. "$(dirname "$0")/capture_lib.sh"
f='udp port 9000'
B=(-B 16MiB)

udp 100000000 5000 600 &
sender=$!
pids+=("$sender")
sleep 0.3

# 1. SIGINT and SIGTERM mid-capture, and SIGUSR1 before.
for sig in INT TERM; do
	mkdir -p "$tmp/$sig"
	start_tw "$sig" "${B[@]}" -w "$tmp/$sig/c.pcapng" -C 1M "$f"
	p=$twpid
	sleep 0.7
	kill -USR1 "$p"
	sleep 0.5
	stop "$p" "$sig"
	[ "$rc" -eq 0 ] || failed "SIG$sig: exit $rc"
	grep -q "packets written" "$tmp/$sig.err" || failed "SIGUSR1: no counts"
	grep -q "Stopped by: *signal" "$tmp/$sig.err" || failed "SIG$sig: no summary"
	n=$(ls "$tmp/$sig" | wc -l)
	[ "$n" -ge 2 ] || failed "SIG$sig: $n files"
	$chk valid "$tmp/$sig"/* || failed "SIG$sig: invalid files"
	ls "$tmp/$sig" | grep -q part && failed "SIG$sig: .part left"
done

# 2. --duration 1.5 and --max-bytes 100k.
start_tw dur "${B[@]}" -w "$tmp/dur.pcapng" --duration 1.5 "$f"
t0=$(date +%s%N)
wait "$twpid" || failed "--duration: exit $?"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -ge 1300 ] && [ "$ms" -le 2500 ] || failed "--duration 1.5 took $ms ms"
start_tw max "${B[@]}" -w "$tmp/max.pcapng" --max-bytes 100k "$f"
wait "$twpid" || failed "--max-bytes: exit $?"
sz=$(stat -c %s "$tmp/max.pcapng")
[ "$sz" -le 100000 ] && [ "$sz" -gt 95000 ] || failed "--max-bytes 100k: $sz bytes"
grep -q "Stopped by: *max-bytes" "$tmp/max.err" || failed "--max-bytes not reported"
$chk valid "$tmp/dur.pcapng" "$tmp/max.pcapng" || fail=1

# 3. A full disk: 1 MiB of tmpfs, rotating by 300 kB.
mkdir -p "$tmp/full"
mount -t tmpfs -o size=1m tmpfs "$tmp/full" || { echo "cannot mount tmpfs"; exit 77; }
start_tw full "${B[@]}" -w "$tmp/full/c.pcapng" -C 300k "$f"
wait "$twpid"
rc=$?
[ "$rc" -eq 1 ] || failed "disk full: exit $rc, not 1"
grep -q "No space left on device" "$tmp/full.err" || failed "disk full: no clear message"
grep -q "Stopped by: *error" "$tmp/full.err" || failed "disk full: no summary"
$chk valid "$tmp/full"/* || failed "disk full: invalid files"
ls "$tmp/full" | grep -q part && failed "disk full: .part left"
[ "$(ls "$tmp/full" | wc -l)" -ge 3 ] || failed "disk full: $(ls "$tmp/full")"
# The summary counts what reached the files, not what the writer took.
said=$(sed -n 's/^Packets: *\([0-9]*\) written.*/\1/p' "$tmp/full.err")
held=0
for f2 in "$tmp/full"/*; do
	held=$((held + $(tshark -r "$f2" 2>/dev/null | wc -l)))
done
[ "$said" = "$held" ] || failed "disk full: summary says $said written, files hold $held"
kill "$sender" 2>/dev/null

[ "$fail" -eq 0 ] && echo "stopping: all checks passed"
exit "$fail"
