#!/usr/bin/env bash
# `tracewarp capture` refusals, in namespaces of our own: unknown
# interface, bad filter, unwritable path, no permission to capture, bad
# options: each exits 1 with a message that says what is wrong.  And -Z:
# files are created as the user named, after the interface was opened as
# root.
set -u
. "$(dirname "$0")/capture_lib.sh"

# expect_error NAME PATTERN CMD... : CMD exits 1 and says PATTERN.
expect_error() {
	local name=$1 pat=$2
	shift 2
	timeout 20 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	local rc=$?
	if [ "$rc" -ne 1 ] || ! grep -q -- "$pat" "$tmp/$name.err"; then
		failed "$name: exit $rc, wanted 1 and '$pat':"
		sed 's/^/    /' "$tmp/$name.err"
	fi
}

cap=(ip netns exec "$nsb" "$tw" capture)

expect_error no-iface "nosuch0: no such interface" \
	"${cap[@]}" -i nosuch0 -w "$tmp/x.pcapng"
expect_error bad-filter "bad filter 'tcp port': " \
	"${cap[@]}" -i vb -w "$tmp/x.pcapng" tcp port
expect_error bad-path "/nonexistent/x.pcapng.part: cannot create: No such file" \
	"${cap[@]}" -i vb -w /nonexistent/x.pcapng
expect_error no-w "no output given" "${cap[@]}" -i vb
expect_error no-i "no interface given" "${cap[@]}" -w "$tmp/x.pcapng"
expect_error ring "-W needs -C or -G" "${cap[@]}" -i vb -w "$tmp/x.pcapng" -W 3
expect_error pipe-rot "need files, not -w -" "${cap[@]}" -i vb -w - -C 1M
expect_error size "-C: 'ten' is not a positive size" \
	"${cap[@]}" -i vb -w "$tmp/x.pcapng" -C ten
expect_error tstamp "unknown timestamp type 'bogus'" \
	"${cap[@]}" -i vb -w "$tmp/x.pcapng" --tstamp-type bogus
expect_error two-filters "a filter with -f and another" \
	"${cap[@]}" -i vb -w "$tmp/x.pcapng" -f udp tcp
expect_error no-user "no such user 'nosuchuser9'" \
	"${cap[@]}" -i vb -w "$tmp/x.pcapng" -Z nosuchuser9
[ -e "$tmp/x.pcapng" ] && failed "a refused capture left a file"

# No permission: the same binary run as nobody, without capabilities.
cp "$tw" "$tmp/tw" && chmod 755 "$tmp" "$tmp/tw"
expect_error no-perm "vb: permission denied: capturing needs root" \
	ip netns exec "$nsb" setpriv --reuid=65534 --regid=65534 \
	--clear-groups --inh-caps=-all "$tmp/tw" capture -i vb -w /tmp/x.pcapng

# -Z: the interface is opened as root, the files are nobody's; a
# directory nobody cannot write to is refused with the file's name.
mkdir -p "$tmp/zdir" "$tmp/rootdir"
chown 65534 "$tmp/zdir"
chmod 755 "$tmp/rootdir"
user=$(getent passwd 65534 | cut -d: -f1)
start_tw z -w "$tmp/zdir/z.pcapng" -Z "$user" -c 5 udp port 9000
udp 10 1000
wait "$twpid" || failed "-Z $user: exit $?"
[ "$(stat -c %u "$tmp/zdir/z.pcapng" 2>/dev/null)" = 65534 ] ||
	failed "-Z $user: file not owned by $user"
expect_error z-denied "rootdir/z.pcapng.part: cannot create: Permission denied" \
	"${cap[@]}" -i vb -w "$tmp/rootdir/z.pcapng" -Z "$user"

[ "$fail" -eq 0 ] && echo "capture errors: all checks passed"
exit "$fail"
