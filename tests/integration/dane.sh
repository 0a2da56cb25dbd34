#!/bin/bash
# dane.sh - DANE facts from real handshakes: starts its own lab, runs tests/live/dane_live
# (mailtls_check_run against the good Postfix with TLSA records), stops the lab.
# usage: dane.sh BUILD_DIR   (one lab per machine: run under flock /tmp/mailtls-lab.lock)
set -u
BUILD=$(cd "${1:?usage: dane.sh BUILD_DIR}" && pwd)
TOP=$(cd "$(dirname "$0")/../.." && pwd)
export FAULTD="$BUILD/lab/faultd"
LAB=$(mktemp -d /tmp/mailtls-dane.XXXXXX)
chmod 755 "$LAB"
cleanup() {
	sh "$TOP/lab/lab.sh" stop "$LAB" >/dev/null 2>&1
	rm -rf "$LAB"
}
trap cleanup EXIT
if ! sh "$TOP/lab/lab.sh" start "$LAB" >"$LAB.start.log" 2>&1; then
	cat "$LAB.start.log" >&2
	rm -f "$LAB.start.log"
	echo "dane.sh: the lab did not start" >&2
	exit 1
fi
rm -f "$LAB.start.log"
# shellcheck disable=SC1091
. "$LAB/lab.env"
"$BUILD/tests/dane_live" "$LAB_CA" "$LAB_PKI"
