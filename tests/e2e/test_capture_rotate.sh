#!/usr/bin/env bash
# Rotation, in namespaces of our own: five captures of the same numbered
# UDP stream run side by side (a reference into one file; by size with a
# post-rotate command; by time with -G 1 and strftime names; a ring of 3;
# SIGHUP twice).  The union of each series must be the reference capture
# exactly (no packet lost or duplicated at a boundary; timestamps within
# 2 ms, as each socket stamps its own copy), every file valid in tshark,
# no .part left, no size file past -C, every -G file holding only its
# second, the ring holding the newest 3 files and nothing older.
set -u
. "$(dirname "$0")/capture_lib.sh"
mkdir -p "$tmp"/{size,time,ring,hup,done}
f='udp port 9000'
B=(-B 16MiB)

start_tw ref "${B[@]}" -w "$tmp/ref.pcapng" "$f"
ref=$twpid
start_tw size "${B[@]}" -w "$tmp/size/s.pcapng" -C 200k \
	--post-rotate "ln -t $tmp/done" "$f"
size=$twpid
start_tw time "${B[@]}" -w "$tmp/time/t-%H%M%S.pcapng" -G 1 "$f"
time=$twpid
start_tw ring "${B[@]}" -w "$tmp/ring/r.pcap" --format pcap -C 100k -W 3 "$f"
ring=$twpid
start_tw hup "${B[@]}" -w "$tmp/hup/h.pcapng" "$f"
hup=$twpid

udp 9000 3000 &
sender=$!
sleep 1
kill -HUP "$hup"
sleep 1
kill -HUP "$hup"
wait "$sender"
sleep 0.5
for p in $ref $size $time $ring $hup; do
	stop "$p" INT
	[ "$rc" -eq 0 ] || failed "capture $p exited $rc"
done

n=$($chk count "$tmp/ref.pcapng")
[ "$n" -eq 9000 ] || failed "reference holds $n of 9000 packets"
$chk valid "$tmp/ref.pcapng" "$tmp"/{size,time,ring,hup}/* || fail=1

# By size: every file below 200 kB, the union is the reference, and the
# post-rotate command saw every file.
$chk union "$tmp/ref.pcapng" "$tmp"/size/* || failed "size series"
big=$(find "$tmp/size" -size +200000c | wc -l)
[ "$big" -eq 0 ] || failed "$big files past -C 200k"
ns=$(ls "$tmp/size" | wc -l)
[ "$ns" -ge 10 ] || failed "only $ns files of 200 kB"
[ "$(ls "$tmp/done" | wc -l)" -eq "$ns" ] || failed "post-rotate: $(ls "$tmp/done" | wc -l) of $ns"

# By time: names from the period start, each file within its second.
$chk union "$tmp/ref.pcapng" "$tmp"/time/* || failed "time series"
$chk period 1 "$tmp"/time/* || failed "-G 1 periods"
nt=$(ls "$tmp/time" | wc -l)
[ "$nt" -ge 3 ] || failed "only $nt files with -G 1"

# The ring: the newest 3 files, which end the stream.
nr=$(ls "$tmp/ring" | wc -l)
[ "$nr" -eq 3 ] || failed "ring holds $nr files, not 3"
$chk suffix "$tmp/ref.pcapng" "$tmp"/ring/* || failed "ring is not the newest"
first=$(ls "$tmp/ring" | head -1 | sed 's/r\.0*\([0-9]*\)\.pcap/\1/')
[ "${first:-0}" -gt 0 ] || failed "ring kept the first file"

# SIGHUP: three files, first unnumbered, together the reference.
[ "$(ls "$tmp/hup")" = "$(printf 'h.000001.pcapng\nh.000002.pcapng\nh.pcapng')" ] ||
	failed "SIGHUP files: $(ls "$tmp/hup" | tr '\n' ' ')"
$chk union "$tmp/ref.pcapng" "$tmp/hup/h.pcapng" "$tmp/hup/h.000001.pcapng" \
	"$tmp/hup/h.000002.pcapng" || failed "SIGHUP series"

[ "$fail" -eq 0 ] && echo "rotation: all checks passed"
exit "$fail"
