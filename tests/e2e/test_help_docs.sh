#!/usr/bin/env bash
# Every option that `tracewarp VERB --help` defines, long and short, for
# every verb (and the L7 replay's own --help), appears in README.md or in
# a document README.md links to.  A planted undocumented option must be
# caught, so the check cannot pass blind.
set -u
tw=${TRACEWARP:?}
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chk="python3 tests/e2e/help_docs_check.py"
fail=0

verbs=$("$tw" --help | awk '/^Verbs:/ { on = 1; next }
	on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }')
[ -n "$verbs" ] || { echo "FAILED: no verbs in tracewarp --help"; exit 1; }
helps=()
for v in $verbs; do
	"$tw" "$v" --help >"$tmp/$v.help" 2>&1 ||
		{ echo "FAILED: tracewarp $v --help exited $?"; fail=1; }
	helps+=("$tmp/$v.help")
done
"$tw" replay --l7 x --help >"$tmp/replay-l7.help" 2>&1 ||
	{ echo "FAILED: tracewarp replay --l7 x --help"; fail=1; }
helps+=("$tmp/replay-l7.help")

$chk README.md "${helps[@]}" || { echo "FAILED: options above are not in README.md"; fail=1; }

printf '  -Q, --no-such-documented-option  x\n' >"$tmp/planted.help"
out=$($chk README.md "$tmp/planted.help")
[ "$out" = $'planted.help: -Q\nplanted.help: --no-such-documented-option' ] ||
	{ echo "FAILED: a planted option was not caught: $out"; fail=1; }
[ "$fail" -eq 0 ] && echo "help and docs: every option of $(echo $verbs) documented"
exit "$fail"
