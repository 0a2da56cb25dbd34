#!/bin/bash
# single.sh - benchmark one mailtls check against its peers on the lab (not a test).
#
# SYNOPSIS
#	bash bench/single.sh [BUILD_DIR]
#
# DESCRIPTION
#	Starts its own lab (lab/lab.sh) in a fresh temporary directory, then times,
#	in one run and interleaved round-robin (the order rotates every round, so
#	machine noise and ordering effects hit every tool alike), BENCH_RUNS runs of
#	each of these checks of the good Postfix listener, each verifying the chain
#	against the lab CA and the name mx1.lab.test:
#
#	  mailtls         mailtls check --smtp 127.77.0.1:25 --name mx1.lab.test
#	                  --ca-file $LAB_CA                       (exit 0 required)
#	  posttls-finger  posttls-finger -c -l secure -F $LAB_CA -s mx1.lab.test
#	                  '[127.77.0.1]:25' mx1.lab.test  ("Verified TLS connection
#	                  established" required; MAIL_CONFIG = an empty main.cf)
#	  openssl         openssl s_client -connect 127.77.0.1:25 -starttls smtp
#	                  -CAfile $LAB_CA -servername mx1.lab.test -verify_hostname
#	                  mx1.lab.test -verify_return_error -brief </dev/null
#	                  (exit 0, "Verification: OK" and the peername required)
#
#	plus a "floor" row: the same harness running /bin/true, i.e. what the
#	measurement itself costs (fork, exec of GNU time, wait).
#
#	Wall time per run comes from bash's $EPOCHREALTIME (microseconds, no fork);
#	user and sys CPU from bash's `time` keyword (getrusage of the children, 1 ms
#	resolution); peak RSS from GNU time's %M. Each tool runs under
#	/usr/bin/time, so the floor row's figures are included in every row.
#
#	Prints a table (median, p90, min wall ms; peak RSS KB; median user, sys,
#	user+sys CPU ms), the mailtls/posttls-finger and mailtls/openssl ratios of
#	median wall time (raw, and with the floor subtracted from both), and
#	informational PASS/MISS lines against the target
#	"mailtls <= 1.0x posttls-finger, RSS < 10 MB".
#
#	Exit status: 0 when every run of every tool verified (whatever the
#	figures), 1 when a tool failed to verify or the lab could not be started,
#	2 on usage errors.
#
# ENVIRONMENT
#	BENCH_RUNS	measured runs per tool (default 30)
#	BENCH_WARMUP	warm-up rounds, not counted (default 3)
#	BENCH_LAB_WAIT	seconds to keep retrying while another lab holds the
#			addresses (default 300)
#	BENCH_KEEP	if set, keep the temporary directory (raw samples in
#			DIR/samples.*)
#
# REQUIRES bash >= 5 (EPOCHREALTIME), GNU time (/usr/bin/time, Debian package
#	"time"), posttls-finger (postfix), openssl.
set -u
export LC_ALL=C

prog=single.sh
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")

die() { echo "$prog: $*" >&2; exit "${2:-1}"; }
say() { echo "$prog: $*" >&2; }

[ $# -le 1 ] || die "usage: bash bench/single.sh [BUILD_DIR]" 2
build=${1:-build}
if [ ! -d "$build" ] && [ -d "$top/$build" ]; then
	build=$top/$build
fi
build=$(cd "$build" 2>/dev/null && pwd) || die "no build directory: ${1:-build}" 2
MAILTLS=$build/src/mailtls
[ -x "$MAILTLS" ] || die "$MAILTLS not built (ninja -C $build)" 2
: "${FAULTD:=$build/lab/faultd}"
export FAULTD
[ -x "$FAULTD" ] || die "$FAULTD not built (ninja -C $build lab/faultd)" 2

N=${BENCH_RUNS:-30}
WARM=${BENCH_WARMUP:-3}
LAB_WAIT=${BENCH_LAB_WAIT:-300}
case $N$WARM$LAB_WAIT in *[!0-9]*) die "BENCH_RUNS, BENCH_WARMUP, BENCH_LAB_WAIT: integers" 2;; esac
[ "$N" -ge 1 ] || die "BENCH_RUNS must be >= 1" 2

[ -n "${EPOCHREALTIME:-}" ] || die "needs bash >= 5 (EPOCHREALTIME)" 2
GNUTIME=/usr/bin/time
"$GNUTIME" -f %M -o /dev/null true 2>/dev/null ||
	die "needs GNU time at /usr/bin/time (apt-get install time)" 2
PTF=$(command -v posttls-finger || echo /usr/sbin/posttls-finger)
[ -x "$PTF" ] || die "needs posttls-finger (package postfix)" 2
OPENSSL=$(command -v openssl) || die "needs openssl" 2

tmp=$(mktemp -d /tmp/mailtls-bench.XXXXXX) || die "mktemp failed"
chmod 755 "$tmp"
lab=$tmp/lab
lab_started=

# shellcheck disable=SC2317 # called from the trap
cleanup() {
	if [ -n "$lab_started" ]; then
		sh "$top/lab/lab.sh" stop "$lab" >/dev/null 2>&1 ||
			say "warning: lab.sh stop $lab failed"
	fi
	if [ -n "${BENCH_KEEP:-}" ]; then
		say "kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the lab -------------------------------------------------------------------
deadline=$((SECONDS + LAB_WAIT))
while :; do
	if sh "$top/lab/lab.sh" start "$lab" >"$tmp/lab-start.log" 2>&1; then
		lab_started=1
		break
	fi
	if grep -q 'already in use' "$tmp/lab-start.log" && [ "$SECONDS" -lt "$deadline" ]; then
		say "lab addresses busy (another lab running?); retrying in 10 s"
		sleep 10
		continue
	fi
	cat "$tmp/lab-start.log" >&2
	die "cannot start the lab"
done
# shellcheck disable=SC1091
. "$lab/lab.env"
TARGET=$LAB_SMTP_GOOD			# 127.77.0.1:25
NAME=$LAB_SMTP_GOOD_NAME		# mx1.lab.test
ADDR=$LAB_SMTP_GOOD_ADDR
PORT=$LAB_SMTP_GOOD_PORT

# posttls-finger reads main.cf from MAIL_CONFIG; an empty one gives the defaults.
mkdir -p "$tmp/ptf"
: >"$tmp/ptf/main.cf"
export MAIL_CONFIG=$tmp/ptf

# --- the tools -------------------------------------------------------------------
TOOLS=(mailtls posttls-finger openssl floor)

# run_tool TOOL - run TOOL once with stdout+stderr to $tmp/out
run_tool() {
	case $1 in
	mailtls)
		"$GNUTIME" -f %M -o "$tmp/rss" "$MAILTLS" check --smtp "$TARGET" \
			--name "$NAME" --ca-file "$LAB_CA" >"$tmp/out" 2>&1 </dev/null ;;
	posttls-finger)
		"$GNUTIME" -f %M -o "$tmp/rss" "$PTF" -c -l secure -F "$LAB_CA" \
			-s "$NAME" "[$ADDR]:$PORT" "$NAME" >"$tmp/out" 2>&1 </dev/null ;;
	openssl)
		"$GNUTIME" -f %M -o "$tmp/rss" "$OPENSSL" s_client -connect "$TARGET" \
			-starttls smtp -CAfile "$LAB_CA" -servername "$NAME" \
			-verify_hostname "$NAME" -verify_return_error -brief \
			>"$tmp/out" 2>&1 </dev/null ;;
	floor)
		"$GNUTIME" -f %M -o "$tmp/rss" true >"$tmp/out" 2>&1 </dev/null ;;
	esac
}

# verified TOOL RC - did the run that left $tmp/out verify chain and name?
verified() {
	case $1 in
	mailtls)	[ "$2" -eq 0 ] ;;
	posttls-finger)	[ "$2" -eq 0 ] &&
			grep -q "Verified TLS connection established to $ADDR\[$ADDR\]:$PORT" "$tmp/out" ;;
	openssl)	[ "$2" -eq 0 ] && grep -q '^Verification: OK$' "$tmp/out" &&
			grep -q "^Verified peername: $NAME\$" "$tmp/out" ;;
	floor)		[ "$2" -eq 0 ] ;;
	esac
}

# measure TOOL SAMPLEFILE - one timed run; appends "wall_us user_ms sys_ms rss_kb"
TIMEFORMAT='%3U %3S'
measure() {
	local t0 t1 rc cpu
	t0=$EPOCHREALTIME
	{ time run_tool "$1"; } 2>"$tmp/cpu"
	rc=$?
	t1=$EPOCHREALTIME
	if ! verified "$1" "$rc"; then
		say "$1 did not verify (exit $rc); its output:"
		cat "$tmp/out" >&2
		exit 1
	fi
	[ -n "$2" ] || return 0
	cpu=$(tail -n 1 "$tmp/cpu")
	echo "$(( ${t1/./} - ${t0/./} )) ${cpu% *} ${cpu#* } $(tail -n 1 "$tmp/rss")" >>"$2"
}

# round I [SAMPLEDIR] - every tool once, the order rotated by I; samples go to
# SAMPLEDIR/samples.TOOL, or nowhere (warm-up) when SAMPLEDIR is empty
round() {
	local i=$1 dir=${2:-} k n t
	n=${#TOOLS[@]}
	for ((k = 0; k < n; k++)); do
		t=${TOOLS[(i + k) % n]}
		measure "$t" "${dir:+$dir/samples.$t}"
	done
}

for ((i = 0; i < WARM; i++)); do round "$i"; done
for t in "${TOOLS[@]}"; do : >"$tmp/samples.$t"; done
for ((i = 0; i < N; i++)); do round "$i" "$tmp"; done

# --- statistics --------------------------------------------------------------------
# col FILE K - column K of FILE, sorted numerically
col() { awk -v k="$2" '{ print $k }' "$1" | sort -n; }
# median, p90 (nearest rank), min, max of numbers on stdin
stats() {
	awk '{ v[NR] = $1 }
	END {
		n = NR; if (n == 0) { print "nan nan nan nan"; exit }
		med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		r = int(0.9 * n); if (r < 0.9 * n) r++; if (r < 1) r = 1
		print med, v[r], v[1], v[n]
	}'
}

declare -A MED P90 MIN RSS UMED SMED CMED
for t in "${TOOLS[@]}"; do
	f=$tmp/samples.$t
	read -r m p mn _ < <(col "$f" 1 | stats)
	MED[$t]=$(awk -v x="$m" 'BEGIN { printf "%.2f", x / 1000 }')
	P90[$t]=$(awk -v x="$p" 'BEGIN { printf "%.2f", x / 1000 }')
	MIN[$t]=$(awk -v x="$mn" 'BEGIN { printf "%.2f", x / 1000 }')
	read -r _ _ _ m < <(col "$f" 4 | stats)
	RSS[$t]=$m
	read -r m _ _ _ < <(awk '{ print $2 * 1000 }' "$f" | sort -n | stats)
	UMED[$t]=$m
	read -r m _ _ _ < <(awk '{ print $3 * 1000 }' "$f" | sort -n | stats)
	SMED[$t]=$m
	read -r m _ _ _ < <(awk '{ print ($2 + $3) * 1000 }' "$f" | sort -n | stats)
	CMED[$t]=$m
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "nan"; else printf "%.2f", a / b }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }

echo "mailtls single-check benchmark: $TARGET as $NAME, $N runs per tool" \
	"(+$WARM warm-up rounds), interleaved round-robin"
echo "mailtls: $MAILTLS ($("$MAILTLS" --version 2>/dev/null | head -n 1))"
echo "host: $(uname -srm), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "wall time and memory (floor = the harness running /bin/true; it is included in every row)"
printf '%-15s %10s %10s %10s %14s\n' tool "median ms" "p90 ms" "min ms" "peak RSS KB"
for t in "${TOOLS[@]}"; do
	printf '%-15s %10s %10s %10s %14s\n' "$t" "${MED[$t]}" "${P90[$t]}" "${MIN[$t]}" "${RSS[$t]}"
done
echo
echo "CPU time (median per run, ms; 1 ms resolution; includes GNU time's own share, see floor)"
printf '%-15s %10s %10s %10s\n' tool user sys user+sys
for t in "${TOOLS[@]}"; do
	printf '%-15s %10s %10s %10s\n' "$t" "${UMED[$t]}" "${SMED[$t]}" "${CMED[$t]}"
done
echo
fl=${MED[floor]}
r_pf=$(ratio "${MED[mailtls]}" "${MED[posttls-finger]}")
r_os=$(ratio "${MED[mailtls]}" "${MED[openssl]}")
rn_pf=$(ratio "$(minus "${MED[mailtls]}" "$fl")" "$(minus "${MED[posttls-finger]}" "$fl")")
rn_os=$(ratio "$(minus "${MED[mailtls]}" "$fl")" "$(minus "${MED[openssl]}" "$fl")")
echo "median wall ratio mailtls/posttls-finger: ${r_pf}x (floor subtracted: ${rn_pf}x)"
echo "median wall ratio mailtls/openssl:        ${r_os}x (floor subtracted: ${rn_os}x)"
echo
echo "target: mailtls <= 1.0x posttls-finger, RSS < 10 MB"
if awk -v r="$r_pf" 'BEGIN { exit !(r <= 1.0) }'; then
	echo "PASS time: mailtls/posttls-finger = ${r_pf}x <= 1.0x"
else
	echo "MISS time: mailtls/posttls-finger = ${r_pf}x > 1.0x"
fi
if [ "${RSS[mailtls]}" -lt 10240 ]; then
	echo "PASS rss:  mailtls peak RSS ${RSS[mailtls]} KB < 10240 KB"
else
	echo "MISS rss:  mailtls peak RSS ${RSS[mailtls]} KB >= 10240 KB"
fi
exit 0
