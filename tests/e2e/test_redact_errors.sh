#!/usr/bin/env bash
# `tracewarp redact` refuses what it must, with status 1 and a message
# that names the file (and line and column, or offset): no key, a key
# file others can read, a short key, a key file or TRACEWARP_KEY that is
# not hex, a key whose bytes are all equal, a policy with a mistake, an
# output that is the input, the key file, the policy or the other output
# under another name, a directory where nothing can be created, a write
# that fails (the JSON summary's too); it warns of a policy that keeps
# everything; a failed or interrupted run leaves earlier outputs as they
# were and no temporary file; an input cut inside a packet gives every
# complete packet, a warning with the offset and status 1; and the
# output's section header names the policy hash and key fingerprint but
# carries none of the input's metadata.
set -u
[ -d "$SHARED/corpus" ] || { echo "no corpus at $SHARED/corpus"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
in=$SHARED/corpus/public/pcapng-output_le-advanced-test102.pcapng
fail=0

# expect STATUS PATTERN CMD...: runs CMD, checks status and stderr.
expect() {
	local want=$1 pat=$2 rc=0
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	if [ "$rc" -ne "$want" ] || ! grep -qE -- "$pat" "$tmp/err" \
		"$tmp/out"; then
		echo "FAIL: $* -> status $rc (want $want), output:"
		cat "$tmp/err" "$tmp/out"
		fail=1
	fi
}

key=$tmp/key
printf '%064x\n' 7 >"$key"
chmod 600 "$key"
unset TRACEWARP_KEY

expect 1 "no key: give --key-file" \
	"$TRACEWARP" redact -r "$in" -w "$tmp/o.pcapng"
chmod 644 "$key"
expect 1 "$key: mode 644 lets others read the key" \
	"$TRACEWARP" redact -r "$in" -w "$tmp/o.pcapng" -k "$key"
chmod 600 "$key"
TRACEWARP_KEY=00ff expect 1 "TRACEWARP_KEY: key has 16 bits" \
	"$TRACEWARP" redact -r "$in" -w "$tmp/o.pcapng"
expect 1 "-r IN and -w OUT" "$TRACEWARP" redact -r "$in"
expect 1 "--format: 'pcapx'" \
	"$TRACEWARP" redact -r "$in" -w "$tmp/o" -k "$key" -F pcapx
expect 1 "$tmp/missing.pcap: " \
	"$TRACEWARP" redact -r "$tmp/missing.pcap" -w "$tmp/o" -k "$key"
expect 1 "invalid-version-1.pcap: offset 4" \
	"$TRACEWARP" redact -k "$key" -w "$tmp/o" \
	-r "$SHARED/corpus/public/libpcap-pcap-invalid-version-1.pcap"

printf 'version: 1\naddresses:\n  keep: []\n  mood: x\n' >"$tmp/p.yaml"
expect 1 "$tmp/p.yaml:4:3: unknown key 'mood' in 'addresses'" \
	"$TRACEWARP" redact --check-policy "$tmp/p.yaml"
expect 1 "$tmp/p.yaml:4:3: unknown key" \
	"$TRACEWARP" redact -r "$in" -w "$tmp/o" -k "$key" -p "$tmp/p.yaml"
printf 'version: 1\npayload: {action: zap}\n' >"$tmp/p.yaml"
expect 1 "p.yaml:2:19: 'action' must be one of zero, truncate" \
	"$TRACEWARP" redact --check-policy "$tmp/p.yaml"
expect 0 "valid policy, sha256 [0-9a-f]{64}" \
	"$TRACEWARP" redact --check-policy config/policy-default.yaml

# The output names the policy and key, and nothing of the input's.
expect 0 "redacted 5 packets" \
	"$TRACEWARP" redact -r "$in" -w "$tmp/o.pcapng" -k "$key"
hash=$(sha256sum config/policy-default.yaml | cut -c1-64)
grep -q "policy sha256:$hash" "$tmp/o.pcapng" ||
	{ echo "FAIL: policy hash not in the section header"; fail=1; }
grep -qE "key fingerprint [0-9a-f]{16}" "$tmp/o.pcapng" ||
	{ echo "FAIL: key fingerprint not in the section header"; fail=1; }
for s in "Apple MBP" "example.com" "test102" "silly" "ethernet interface" \
	"Custom Block"; do
	if grep -q "$s" "$tmp/o.pcapng"; then
		echo "FAIL: input metadata '$s' reached the output"
		fail=1
	fi
done
grep -q "$(cat "$key" | tr -d '\n')" "$tmp/o.pcapng" &&
	{ echo "FAIL: the key itself is in the output"; fail=1; }

# A classic pcap cannot hold several link types: refused, named.
expect 1 "o4.pcap: classic pcap holds one link type" \
	"$TRACEWARP" redact -r "$in" -w "$tmp/o4.pcap" -k "$key" -F pcap

# Same key, same result; standard input and output work; --json parses.
"$TRACEWARP" redact -q -r - -w - -k "$key" <"$in" >"$tmp/o2.pcapng" ||
	fail=1
cmp -s "$tmp/o.pcapng" "$tmp/o2.pcapng" ||
	{ echo "FAIL: stdin/stdout output differs from the file's"; fail=1; }
"$TRACEWARP" redact --json -r "$SHARED/corpus/public/trex-dns.pcap" \
	-w "$tmp/o3.pcap" -k "$key" -F pcap |
	python3 -c 'import json,sys; d=json.load(sys.stdin);
assert d["packets"] == 2 and d["zeroed"]["payload"]["packets"] == 2, d' ||
	{ echo "FAIL: --json summary"; fail=1; }

# The output is never the input under another name: a symbolic link, a
# hard link, ./IN, standard input or output redirected; the input stays.
cp "$in" "$tmp/a.pcapng"
cp "$in" "$tmp/a0.pcapng"
ln -s a.pcapng "$tmp/sym.pcapng"
ln "$tmp/a.pcapng" "$tmp/hard.pcapng"
for o in "$tmp/sym.pcapng" "$tmp/hard.pcapng" "$tmp/./a.pcapng"; do
	expect 1 "$o: is the input .*a.pcapng under another name" \
		"$TRACEWARP" redact -r "$tmp/a.pcapng" -w "$o" -k "$key"
done
expect 1 "is the input \(stdin\) under another name" \
	"$TRACEWARP" redact -r - -w "$tmp/hard.pcapng" -k "$key" <"$tmp/a.pcapng"
expect 1 "^tracewarp redact: \(stdout\): is the input" bash -c \
	"'$TRACEWARP' redact -r '$tmp/a.pcapng' -w - -k '$key' >>'$tmp/a.pcapng'"
expect 1 "$tmp/hard.pcapng: is the input" "$TRACEWARP" redact \
	-r "$tmp/a.pcapng" -w "$tmp/o5.pcapng" --l7-out "$tmp/hard.pcapng" \
	-k "$key"
cmp -s "$tmp/a.pcapng" "$tmp/a0.pcapng" ||
	{ echo "FAIL: the input was changed"; fail=1; }

# A run that fails midway (a record with an absurd length after a good
# one) leaves the earlier OUT and --l7-out as they were, and no
# temporary file; one that succeeds replaces them.
cp "$tmp/o.pcapng" "$tmp/good.pcapng"
echo OLD >"$tmp/good.jsonl"
python3 - "$SHARED/corpus/public/trex-dns.pcap" "$tmp/bad.pcap" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
off = 24 + 16 + struct.unpack_from('<I', d, 32)[0]
struct.pack_into('<I', d, off + 8, 0x7fffffff)
open(sys.argv[2], 'wb').write(d)
PY
expect 1 "bad.pcap: offset 117: absurd caplen" \
	"$TRACEWARP" redact -r "$tmp/bad.pcap" -w "$tmp/good.pcapng" -k "$key" \
	--l7-out "$tmp/good.jsonl"
cmp -s "$tmp/o.pcapng" "$tmp/good.pcapng" ||
	{ echo "FAIL: a failed run damaged the earlier output"; fail=1; }
[ "$(cat "$tmp/good.jsonl")" = OLD ] ||
	{ echo "FAIL: a failed run damaged the earlier --l7-out"; fail=1; }
ls "$tmp"/good.*.tmp.* >/dev/null 2>&1 &&
	{ echo "FAIL: a temporary output was left behind"; fail=1; }
"$TRACEWARP" redact -q -r "$SHARED/corpus/public/trex-dns.pcap" \
	-w "$tmp/good.pcapng" -k "$key" --l7-out "$tmp/good.jsonl" || fail=1
cmp -s "$tmp/o.pcapng" "$tmp/good.pcapng" &&
	{ echo "FAIL: a good run did not replace the output"; fail=1; }
[ -s "$tmp/good.jsonl" ] &&
	{ echo "FAIL: a good run did not replace --l7-out"; fail=1; }

# An input cut inside a packet still gives every complete packet and
# the L7 trace, with a warning naming the file and the offset: status 1.
grpc=$SHARED/corpus/generated/grpc.pcap
head -c 400000 "$grpc" >"$tmp/cut.pcap"
"$TRACEWARP" redact -q -r "$grpc" -w "$tmp/full.pcapng" -k "$key" \
	--l7-out "$tmp/full.jsonl" || fail=1
cutmsg="warning: $tmp/cut.pcap: offset [0-9]+: file ends inside a packet"
expect 1 "$cutmsg .*; $tmp/cut.pcapng holds the [0-9]+ complete packets" \
	"$TRACEWARP" redact -q -r "$tmp/cut.pcap" -w "$tmp/cut.pcapng" \
	-k "$key" --l7-out "$tmp/cut.jsonl"
n=$(grep -oE "holds the [0-9]+" "$tmp/err" | grep -oE "[0-9]+$")
python3 - "$tmp/cut.pcap" "$tmp/cut.pcapng" "$tmp/cut.jsonl" \
	"$tmp/full.jsonl" "${n:-0}" <<'PY' || fail=1
import os, struct, sys
cut, out, l7, full, n = sys.argv[1:]
d = open(cut, 'rb').read()
off, pk = 24, 0                      # complete records in the cut pcap
while off + 16 <= len(d):
    cl = struct.unpack_from('<I', d, off + 8)[0]
    if off + 16 + cl > len(d):
        break
    off, pk = off + 16 + cl, pk + 1
o = open(out, 'rb').read()
i, got = 0, 0
while i + 8 <= len(o):
    t, ln = struct.unpack_from('<II', o, i)
    got += t == 6
    i += ln
lines = open(l7).read().count('\n')
assert pk > 300 and got == pk == int(n), (pk, got, n)
assert 0 < lines <= open(full).read().count('\n'), lines
PY
expect 1 '"input_truncated": ".*cut.pcap: offset [0-9]+' \
	"$TRACEWARP" redact --json -r "$tmp/cut.pcap" -w "$tmp/cut2.pcapng" \
	-k "$key"

# No output may be the key file or the policy, under any name; the two
# outputs may not be one file (a character device excepted).
cp "$key" "$tmp/k2"
chmod 600 "$tmp/k2"
ln -s k2 "$tmp/k2.sym"
ln "$tmp/k2" "$tmp/k2.hard"
cp config/policy-default.yaml "$tmp/pol.yaml"
for o in "-w $tmp/k2" "-w $tmp/k2.hard" \
	"-w $tmp/o8.pcapng --l7-out $tmp/k2.sym"; do
	expect 1 "$tmp/k2.*: is the key file $tmp/k2 .*refused" \
		"$TRACEWARP" redact -r "$in" -k "$tmp/k2" $o
done
expect 1 "$tmp/./pol.yaml: is the policy $tmp/pol.yaml" "$TRACEWARP" \
	redact -r "$in" -k "$key" -p "$tmp/pol.yaml" -w "$tmp/./pol.yaml"
expect 1 "$tmp/pol.yaml: is the policy" "$TRACEWARP" redact -r "$in" \
	-k "$key" -p "$tmp/pol.yaml" -w "$tmp/o8.pcapng" --l7-out "$tmp/pol.yaml"
cmp -s "$key" "$tmp/k2" && cmp -s config/policy-default.yaml "$tmp/pol.yaml" ||
	{ echo "FAIL: the key or the policy was written"; fail=1; }
ln -s new.pcapng "$tmp/dangling"
for l in "$tmp/o8.pcapng" "$tmp/x/../o8.pcapng" "$tmp/dangling"; do
	mkdir -p "$tmp/x"
	w=$tmp/o8.pcapng
	[ "$l" = "$tmp/dangling" ] && w=$tmp/new.pcapng
	expect 1 "-w $w and --l7-out $l are the same file: refused" \
		"$TRACEWARP" redact -r "$in" -k "$key" -w "$w" --l7-out "$l"
done
for l in /dev/stdout /dev/fd/1; do
	expect 1 "-w \(stdout\) and --l7-out $l are the same file" bash -c \
		"'$TRACEWARP' redact -r '$in' -k '$key' -w - --l7-out $l >'$tmp/so'"
	[ -s "$tmp/so" ] && { echo "FAIL: $l: output written"; fail=1; }
done
ls "$tmp"/o8.* "$tmp"/new.* >/dev/null 2>&1 &&
	{ echo "FAIL: a refused run created an output"; fail=1; }
if [ -c /dev/null ]; then
	expect 0 "redacted 5 packets" "$TRACEWARP" redact -r "$in" -k "$key" \
		-w /dev/null --l7-out /dev/null
fi

# A signal stops the run between packets: temporary files removed,
# earlier outputs kept, status 128 + signal.  A second signal ends a run
# stuck on a pipe that stalls, removing them too.
echo OLD >"$tmp/sig.jsonl"
echo OLD >"$tmp/sig.pcapng"
# running PID: waits (5 s at most) for both temporary outputs to exist.
running() {
	for _ in $(seq 100); do
		ls "$tmp"/sig.pcapng.tmp.* "$tmp"/sig.jsonl.tmp.* \
			>/dev/null 2>&1 && return 0
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	echo "FAIL: no temporary outputs while running"
	fail=1
}
# The rest of the input comes only once the signal is sent.
(head -c 100000 "$grpc"
	while [ ! -e "$tmp/go" ]; do sleep 0.05; done
	tail -c +100001 "$grpc") 2>/dev/null |
	"$TRACEWARP" redact -q -r - -w "$tmp/sig.pcapng" -k "$key" \
	--l7-out "$tmp/sig.jsonl" 2>"$tmp/err" &
pid=$!
running $pid
kill -TERM $pid
touch "$tmp/go"
rc=0
wait $pid || rc=$?
[ "$rc" = 143 ] && grep -q "interrupted by SIGTERM" "$tmp/err" ||
	{ echo "FAIL: SIGTERM: status $rc"; cat "$tmp/err"; fail=1; }
# Only the file header comes: the run blocks reading the first packet.
mkfifo "$tmp/fifo"
(head -c 24 "$grpc"; exec sleep 10) >"$tmp/fifo" 2>/dev/null &
feeder=$!
"$TRACEWARP" redact -q -r "$tmp/fifo" -w "$tmp/sig.pcapng" -k "$key" \
	--l7-out "$tmp/sig.jsonl" 2>"$tmp/err" &
pid=$!
running $pid
for _ in $(seq 100); do # until it sleeps in that read
	[ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" = S ] && break
	sleep 0.05
done
kill -INT $pid
sleep 0.1
kill -INT $pid
rc=0
wait $pid || rc=$?
kill $feeder 2>/dev/null
wait $feeder 2>/dev/null
[ "$rc" = 130 ] && grep -q "interrupted again" "$tmp/err" ||
	{ echo "FAIL: second SIGINT: status $rc"; cat "$tmp/err"; fail=1; }
[ "$(cat "$tmp/sig.jsonl" "$tmp/sig.pcapng")" = "OLD
OLD" ] || { echo "FAIL: an interrupted run changed the outputs"; fail=1; }
ls "$tmp"/sig.*.tmp.* >/dev/null 2>&1 &&
	{ echo "FAIL: temporary outputs left after a signal"; fail=1; }

# Outputs that cannot be created or written say why, with status 1.
if [ -f /proc/version ]; then
	expect 1 "/proc/version: cannot create a file in /proc .*: that \
directory takes no new files" \
		"$TRACEWARP" redact -r "$in" -w /proc/version -k "$key"
fi
expect 1 "$tmp/none/o.pcapng: cannot create a file in $tmp/none .*: no \
such directory" \
	"$TRACEWARP" redact -r "$in" -w "$tmp/none/o.pcapng" -k "$key"
if [ -c /dev/full ]; then
	expect 1 "\(stdout\): writing the JSON summary failed: No space" \
		bash -c "'$TRACEWARP' redact --json -r '$in' -k '$key' \
		-w '$tmp/o9.pcapng' >/dev/full"
fi

# With --l7-out -, standard output holds the JSON Lines only: the
# --json summary goes to standard error.
"$TRACEWARP" redact --json -r "$grpc" -w "$tmp/o10.pcapng" -k "$key" \
	--l7-out - 2>"$tmp/err" | python3 -c 'import json, sys
n = sum(1 for l in sys.stdin if json.loads(l))
assert n > 0, n' || { echo "FAIL: --l7-out - mixed with --json"; fail=1; }
grep -q '"packets"' "$tmp/err" ||
	{ echo "FAIL: no --json summary on standard error"; fail=1; }

# A write failure: the message names the output and the offset, no
# summary follows, the status is not 0.
expect 1 "/dev/full: write failed: .* \(at output byte offset [0-9]+\)" \
	"$TRACEWARP" redact -r "$in" -w /dev/full -k "$key"
grep -q "redacted .* packets" "$tmp/err" &&
	{ echo "FAIL: a summary after a write failure"; fail=1; }

# A key file that is text but not clean hex is refused, with the place.
badkey() { # badkey NAME CONTENT PATTERN
	printf '%s\n' "$2" >"$tmp/$1"
	chmod 600 "$tmp/$1"
	expect 1 "$tmp/$1$3" \
		"$TRACEWARP" redact -r "$in" -w "$tmp/o6.pcapng" -k "$tmp/$1"
}
hex=$(printf '%064x' 7)
badkey k.g "${hex%?}g" ":1:64: 'g' is not a hex digit"
badkey k.0x "0x$hex" ":1:2: 'x' is not a hex digit"
badkey k.colon "$(echo "$hex" | sed 's/../&:/g')" ":1:3: ':' is not a hex digit"
badkey k.odd "${hex}7" ": 65 hex digits, an odd number"
badkey k.zero "$(printf '%064d' 0)" ": every byte of the key is 0x00: .*refused"
badkey k.same "$(printf 'ab%.0s' $(seq 40))" ": every byte of the key is 0xab"
head -c 32 /dev/zero >"$tmp/k.rawzero"
chmod 600 "$tmp/k.rawzero"
expect 1 "k.rawzero: every byte of the key is 0x00" \
	"$TRACEWARP" redact -r "$in" -w "$tmp/o6.pcapng" -k "$tmp/k.rawzero"
TRACEWARP_KEY=$(printf '%064d' 0) expect 1 \
	"TRACEWARP_KEY: every byte of the key is 0x00" \
	"$TRACEWARP" redact -r "$in" -w "$tmp/o6.pcapng"
TRACEWARP_KEY=zz expect 1 "TRACEWARP_KEY:1:1: 'z' is not a hex digit" \
	"$TRACEWARP" redact -r "$in" -w "$tmp/o6.pcapng"
TRACEWARP_KEY="${hex}0" expect 1 "TRACEWARP_KEY: 65 hex digits, an odd" \
	"$TRACEWARP" redact -r "$in" -w "$tmp/o6.pcapng"
head -c 32 /dev/urandom | tr '\040-\176' '\200-\276' >"$tmp/k.raw"
chmod 600 "$tmp/k.raw"
expect 0 "redacted 5 packets" \
	"$TRACEWARP" redact -r "$in" -w "$tmp/o6.pcapng" -k "$tmp/k.raw"

# Policies: keeping everything is warned about; a quoted version and
# bytes that are not UTF-8 or NUL are placed at their line and column.
printf 'version: 1\naddresses:\n  keep: [0.0.0.0/0, "::/0"]\npayload:\n  keep_ports: [80]\n' >"$tmp/all.yaml"
expect 0 "warning: .*all.yaml: addresses: 'keep' holds 0.0.0.0/0" \
	"$TRACEWARP" redact --check-policy "$tmp/all.yaml"
grep -q "holds ::/0" "$tmp/err" && grep -q "keep_ports' passes the payload of 1 port" "$tmp/err" ||
	{ echo "FAIL: policy warnings"; cat "$tmp/err"; fail=1; }
expect 0 "warning: .*holds 0.0.0.0/0" "$TRACEWARP" redact -q -r "$in" \
	-w "$tmp/o7.pcapng" -k "$key" -p "$tmp/all.yaml"
printf 'version: "1"\n' >"$tmp/v.yaml"
expect 1 "v.yaml:1:10: 'version' is the number 1, not the string \"1\"" \
	"$TRACEWARP" redact --check-policy "$tmp/v.yaml"
printf 'version: 1\n\n# caf\303\251 \377\n' >"$tmp/u.yaml"
expect 1 "u.yaml:3:8: invalid leading UTF-8 octet" \
	"$TRACEWARP" redact --check-policy "$tmp/u.yaml"
printf 'version: 1\naddresses:\n  keep: [a\000b]\n' >"$tmp/n.yaml"
expect 1 "n.yaml:3:11: control characters are not allowed" \
	"$TRACEWARP" redact --check-policy "$tmp/n.yaml"
exit $fail
