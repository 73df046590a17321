#!/usr/bin/env bash
# Planted secrets: every line of the secrets file can be read in the raw
# trace (leak-check.sh decodes HTTP/2 on 8080 and 50051, gRPC messages,
# and searches the raw bytes); redacted by tracewarp with the default
# policy, not one of them is left, in the trace or in its L7 trace.
. "$(dirname "$0")/gen_lib.sh"
secrets=$SHARED/corpus/generated/secrets.txt
check=$SHARED/tools/leak-check.sh
[ -r "$secrets" ] && [ -x "$check" ] || { echo "no $check"; exit 77; }

"$T" generate -p mixed-api --sessions 25 --secrets "$secrets" \
	-w "$tmp/p.pcapng" --json >"$tmp/p.json" || bad "generate exited $?"
no_errors "$tmp/p.pcapng"
want=$(grep -c . "$secrets")
found=$("$check" "$secrets" "$tmp/p.pcapng" | grep -c '^leak:')
[ "$found" -eq "$want" ] || bad "leak-check found $found of $want secrets"

export TRACEWARP_KEY=$(printf '%064x' 11)
"$T" redact -q -r "$tmp/p.pcapng" -w "$tmp/r.pcapng" \
	--l7-out "$tmp/r.jsonl" || bad "redact exited $?"
# DNS payloads are zeroed by the strict default (tshark flags them); the
# rest must decode as cleanly as before.
n=$(tshark -r "$tmp/r.pcapng" $H2 -o tcp.check_checksum:TRUE \
	-Y '(_ws.malformed || _ws.expert.severity >= warning) && !dns' \
	2>/dev/null | wc -l)
[ "$n" -eq 0 ] || bad "$n redacted packets malformed or with warnings"
left=$("$check" "$secrets" "$tmp/r.pcapng" "$tmp/r.jsonl" | grep -c '^leak:')
[ "$left" -eq 0 ] || bad "leak-check found $left secrets after redaction"
[ -s "$tmp/r.jsonl" ] || bad "no exchanges in the L7 trace"
exit $fail
