#!/usr/bin/env bash
# Bad profiles and options: exit 1 with FILE:LINE:COL and what is wrong.
. "$(dirname "$0")/gen_lib.sh"

expect() { # expect STATUS PATTERN -- CMD...
	local want=$1 pat=$2 out rc
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -ne "$want" ] || ! grep -qE -- "$pat" <<<"$out"; then
		bad "$* -> status $rc, wanted $want and /$pat/: $(head -3 <<<"$out")"
	fi
}

printf 'version: 1\nsessions:\n  - kind: h2\n    reqests: 3\n' >"$tmp/typo.yaml"
printf 'version: 1\naddresses:\n  clients: {ipv4: 10.0.0.0/8}\nsessions: [{kind: dns}]\n' >"$tmp/addr.yaml"
printf 'version: 1\nrate: {curve: ramp, from: 1}\nsessions: [{kind: dns}]\n' >"$tmp/ramp.yaml"
printf 'version: 1\nsessions:\n  - {kind: h3}\n' >"$tmp/kind.yaml"
printf 'version: 1\nnetwork: {rtt: fast}\nsessions: [{kind: dns}]\n' >"$tmp/rtt.yaml"
printf 'version: 1\nsessions: [{kind: dns]\n' >"$tmp/syntax.yaml"

o="-w $tmp/out.pcapng"
expect 1 "typo.yaml:4:5: unknown key 'reqests'" -- $T generate -p "$tmp/typo.yaml" $o
expect 1 "addr.yaml:3:19: .*198.18.0.0/15" -- $T generate -p "$tmp/addr.yaml" $o
expect 1 "ramp.yaml:2:7: rate: a ramp" -- $T generate -p "$tmp/ramp.yaml" $o
expect 1 "kind.yaml:3:12: .*h3" -- $T generate -p "$tmp/kind.yaml" $o
expect 1 "rtt.yaml:2:16: rtt: not a duration" -- $T generate -p "$tmp/rtt.yaml" $o
expect 1 "syntax.yaml:2" -- $T generate -p "$tmp/syntax.yaml" $o
expect 1 "no profile file or shipped profile named 'nosuch'" -- $T generate -p nosuch $o
expect 1 "no output file" -- $T generate -p imix
expect 1 "--packets: 'many'" -- $T generate -p imix $o --packets many
expect 1 "--format: 'pcapx'" -- $T generate -p imix $o --format pcapx
expect 1 "nosuch.txt" -- $T generate -p imix $o --secrets "$tmp/nosuch.txt"
expect 0 "Usage: tracewarp generate" -- $T generate --help
exit $fail
