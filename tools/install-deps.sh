#!/usr/bin/env bash
# install-deps.sh - installs the Debian packages tracewarp needs.
#
# Reads tools/deps.txt, asks dpkg which are missing, and on Debian or
# Ubuntu as root installs them with apt-get.  Otherwise it prints the exact
# command to run and fails, so `make test` never goes on half set up.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

missing=()
while read -r pkg; do
	case "$pkg" in '' | '#'*) continue ;; esac
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$pkg")
done <"$here/deps.txt"

[ ${#missing[@]} -eq 0 ] && exit 0

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
	echo "tracewarp needs these packages: ${missing[*]}" >&2
	echo "run as root: apt-get update && $cmd" >&2
	exit 1
fi

echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends ${missing[*]} >/dev/null
