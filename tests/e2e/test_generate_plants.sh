#!/usr/bin/env bash
# Planted secrets: every line of the secrets file can be read in the raw
# trace (leak-check.sh decodes HTTP/2 on 8080 and 50051, gRPC messages,
# and searches the raw bytes).
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
exit $fail
