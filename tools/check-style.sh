#!/usr/bin/env bash
# check-style.sh - the style gate of `make test`.
#
# Every C file under the stage folders must be formatted as .clang-format
# says, fit in 80 columns, call none of the unsafe functions below, and
# mark any known gap with its issue number (TODO(#12)), never a bare TODO.
set -u
cd "$(dirname "$0")/.."

dirs="trace capture redact replay dpdk cli tests tools"
files=$(find $dirs -name '*.[ch]' 2>/dev/null | sort)
fail=0

complain() {
	echo "style: $*" >&2
	fail=1
}

for f in $files; do
	if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
		complain "$f: not formatted (run: clang-format -i $f)"
	fi
done

# Tabs count as 8 columns, as the formatter sees them.
wide=$(for f in $files; do
	expand -t 8 "$f" | awk -v f="$f" \
		'length($0) > 80 { print f ":" NR ": " length($0) " columns" }'
done)
[ -z "$wide" ] || complain "lines over 80 columns:"$'\n'"$wide"

banned='\b(gets|strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|atof|mktemp|tmpnam|alloca)[[:space:]]*\('
hits=$(grep -nE "$banned" $files | grep -v 'style-ok' || true)
[ -z "$hits" ] || complain "unsafe functions (use snprintf, strtol...):"$'\n'"$hits"

bare=$(grep -nE '\b(TODO|FIXME|XXX)\b' $files $(find tools tests .ci -type f \
	\( -name '*.sh' -o -name 'run' -o -name '*.py' \) 2>/dev/null) |
	grep -vE '(TODO|FIXME|XXX)\(#[0-9]+\)' | grep -v 'check-style.sh' || true)
[ -z "$bare" ] || complain "bare TODO/FIXME (write TODO(#N)):"$'\n'"$bare"

if [ "$fail" -ne 0 ]; then
	echo "style: FAILED" >&2
	exit 1
fi
echo "style: $(echo "$files" | wc -w) files clean"
