#!/bin/bash
# survey.sh - benchmark `mailtls check --survey` against testssl.sh on the same lab Postfix
# (not a test).
#
# SYNOPSIS
#	bash bench/survey.sh [BUILD_DIR]
#
# DESCRIPTION
#	Starts the lab (lab/lab.sh) under the lab lock (/tmp/mailtls-lab.lock: one lab on a
#	machine at a time), stops it on exit, and measures against the lab's Postfix on
#	127.77.0.1:25 (mx1.lab.test):
#
#	  mailtls   mailtls check --smtp 127.77.0.1:25 --survey --no-profiles --format json,
#	            BENCH_RUNS times (default 5): the median wall time;
#	  testssl   testssl --starttls smtp 127.77.0.1:25, Debian's testssl.sh package, its
#	            default run (--quiet --color 0 --nodns none --warnings off: no DNS
#	            question, no prompt), once (it takes minutes): its wall time.
#
#	Then the lists: a second testssl run with -p -E (the protocols, and every suite per
#	protocol, which its default run does not list in full) is compared with mailtls's
#	survey: for each of TLS 1.0 to 1.3 whether it is offered, and the suites by code
#	point. Every difference is printed.
#
#	Output: the command lines, the figures, the ratio mailtls / testssl of the wall times,
#	and two PASS/FAIL lines:
#	  time    mailtls <= 0.05 x testssl
#	  lists   no difference
#	Exit status: 0 when both runs worked (whatever the figures), 1 otherwise, 2 on usage.
#	Only 127.77.0.1 is contacted; no DNS question is asked by either tool.
#
# ENVIRONMENT
#	BENCH_RUNS   mailtls runs (default 5)
set -u
prog=survey.sh
die() { echo "$prog: $*" >&2; exit "${2:-1}"; }
BUILD=$(cd "${1:-build}" 2>/dev/null && pwd) || die "usage: bash bench/survey.sh [BUILD_DIR]" 2
TOP=$(cd "$(dirname "$0")/.." && pwd)
MAILTLS="$BUILD/src/mailtls"
RUNS=${BENCH_RUNS:-5}
[ -x "$MAILTLS" ] || die "no $MAILTLS: build first (make)"
TESTSSL=$(command -v testssl || command -v testssl.sh) ||
	die "testssl.sh is not installed (Debian package testssl.sh; make deps installs it)"
command -v jq >/dev/null || die "jq is needed"

exec 9>/tmp/mailtls-lab.lock
flock 9
LAB=$(mktemp -d /tmp/mailtls-bench-survey.XXXXXX)
chmod 755 "$LAB"
export FAULTD="$BUILD/lab/faultd"
trap 'sh "$TOP/lab/lab.sh" stop "$LAB" >/dev/null 2>&1; rm -rf "$LAB"' EXIT
sh "$TOP/lab/lab.sh" start "$LAB" >"$LAB.log" 2>&1 || { cat "$LAB.log" >&2; rm -f "$LAB.log"; die "the lab did not start"; }
rm -f "$LAB.log"
# shellcheck disable=SC1091
. "$LAB/lab.env"
OUT="$LAB/bench"
mkdir -p "$OUT"
TARGET=$LAB_SMTP_GOOD

now() { date +%s%N; }
MT=("$MAILTLS" check --smtp "$TARGET" --name mx1.lab.test --ca-file "$LAB_CA" --timeout 10
    --survey --no-profiles --format json)
TS=("$TESTSSL" --quiet --color 0 --nodns none --warnings off --starttls smtp)

echo "mailtls: ${MT[*]}"
echo "testssl: ${TS[*]} $TARGET"
"${MT[@]}" >"$OUT/mailtls.json" 2>/dev/null   # unmeasured: page cache, Postfix's processes
times=()
for i in $(seq 1 "$RUNS"); do
	t0=$(now)
	timeout 120 "${MT[@]}" >"$OUT/mailtls.json" 2>"$OUT/mailtls.err"
	t1=$(now)
	jq -e '.survey.versions["TLSv1.3"].state == "accepted"' "$OUT/mailtls.json" >/dev/null ||
		die "mailtls run $i did not survey: $(head -c 300 "$OUT/mailtls.err")"
	times+=($(( (t1 - t0) / 1000000 )))
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')

t0=$(now)
( cd "$OUT" && timeout 900 "${TS[@]}" --jsonfile "$OUT/testssl-default.json" "$TARGET" >"$OUT/testssl-default.txt" 2>&1 )
t1=$(now)
ts_ms=$(( (t1 - t0) / 1000000 ))
jq -e '[.[] | select(.id == "TLS1_3")] | length == 1' "$OUT/testssl-default.json" >/dev/null 2>&1 ||
	die "testssl's default run did not test the protocols (see $OUT/testssl-default.txt)"
( cd "$OUT" && timeout 900 "${TS[@]}" -p -E --jsonfile "$OUT/testssl-lists.json" "$TARGET" >"$OUT/testssl-lists.txt" 2>&1 )

echo
printf '%-10s %10s\n' "" "wall ms"
printf '%-10s %10s   (median of %d: %s)\n' mailtls "$median" "$RUNS" "${times[*]}"
printf '%-10s %10s   (one run)\n' testssl "$ts_ms"
ratio=$(awk -v a="$median" -v b="$ts_ms" 'BEGIN { printf "%.4f", a / b }')
echo "ratio mailtls / testssl: $ratio"
echo "handshakes: mailtls $(jq .survey.probes "$OUT/mailtls.json")"

diffs=0
for v in TLSv1:tls1:TLS1 TLSv1.1:tls1_1:TLS1_1 TLSv1.2:tls1_2:TLS1_2 TLSv1.3:tls1_3:TLS1_3; do
	name=${v%%:*} rest=${v#*:}
	key=${rest%%:*} id=${rest#*:}
	ours=$(jq -r ".survey.versions[\"$name\"].state" "$OUT/mailtls.json")
	theirs=$(jq -r ".[] | select(.id == \"$id\") | .finding" "$OUT/testssl-lists.json")
	case $ours:$theirs in
	accepted:offered*|rejected:not\ offered*) ;;
	*) echo "difference: $name: mailtls $ours, testssl '$theirs'"; diffs=$((diffs + 1)) ;;
	esac
	ours=$(jq -r "[.survey.versions[\"$name\"].ciphers[]?.id | ascii_downcase | ltrimstr(\"0x\") | ltrimstr(\"00\")] | sort | .[]" "$OUT/mailtls.json")
	theirs=$(jq -r "[.[] | select(.id | startswith(\"cipher-${key}_x\")) | .id | ltrimstr(\"cipher-${key}_x\")] | sort | .[]" "$OUT/testssl-lists.json")
	while read -r c; do
		[ -n "$c" ] && { echo "difference: $name suite 0x$c: mailtls only"; diffs=$((diffs + 1)); }
	done < <(comm -23 <(printf '%s\n' "$ours") <(printf '%s\n' "$theirs"))
	while read -r c; do
		[ -n "$c" ] && { echo "difference: $name suite 0x$c: testssl only"; diffs=$((diffs + 1)); }
	done < <(comm -13 <(printf '%s\n' "$ours") <(printf '%s\n' "$theirs"))
	echo "$name: mailtls $(printf '%s\n' "$ours" | grep -c .) suites, testssl $(printf '%s\n' "$theirs" | grep -c .)"
done
echo
awk -v r="$ratio" 'BEGIN { printf "time    %s (mailtls <= 0.05 x testssl: %s)\n", (r <= 0.05) ? "PASS" : "FAIL", r }'
if [ "$diffs" = 0 ]; then echo "lists   PASS (no difference)"; else echo "lists   FAIL ($diffs differences)"; fi
exit 0
