#!/bin/sh
# summary.sh - one closing line over Meson's test logs: "check: N passed, N failed".
# usage: summary.sh BUILD_DIR...
set -eu
pass=0
failn=0
for b in "$@"; do
	log="$b/meson-logs/testlog.json"
	[ -f "$log" ] || continue
	p=$(jq -s '[.[] | select(.result == "OK")] | length' "$log")
	f=$(jq -s '[.[] | select(.result != "OK" and .result != "SKIP")] | length' "$log")
	pass=$((pass + p))
	failn=$((failn + f))
done
echo "check: $pass passed, $failn failed"
[ "$failn" -eq 0 ]
