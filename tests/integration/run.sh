#!/bin/bash
# run.sh - integration tests: mailtls against the real lab (Postfix, Dovecot, faultd) on
# 127.77.0.0/24. For every case in cases.txt, in text and in JSON: the exact exit code, the
# exact verdict line, the exact list of finding ids in order, and the diagnosis text. For
# every case and every format: terminal safety (no byte a server sent reaches the output
# raw: no control byte but newline, no C1 control, no bidi or invisible format character,
# nothing but valid UTF-8). Cases with a limits line must end in time, in bounded memory.
#
# usage: run.sh BUILD_DIR [CASE_FILTER]
# The lab is started in a fresh temporary directory and stopped on exit (only its own PIDs).
#
# ENVIRONMENT
#	MAILTLS_RUNNER	a wrapper to run mailtls under (valgrind): time limits are then
#			multiplied by MAILTLS_RUNNER_SLOWDOWN (default 4) and the memory
#			limit is not checked (the wrapper's own memory would be measured).
#	MAILTLS_CASES_FILE	run only the cases listed in this file (one id per line, '#'
#			comments), as the valgrind suite does (valgrind_cases.txt); a listed id
#			that cases.txt lacks is a failure
#	An ASan build (libasan linked) has its memory limits multiplied by
#	MAILTLS_ASAN_RSS_FACTOR (default 4): the shadow memory and quarantine are its own.
set -u
BUILD=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
FILTER=${2:-}
CASES_FILE=${MAILTLS_CASES_FILE:-}
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
MAILTLS="$BUILD/src/mailtls"
export FAULTD="$BUILD/lab/faultd"
LAB=$(mktemp -d /tmp/mailtls-itest.XXXXXX)
chmod 755 "$LAB"   # postfix and dovecot must reach their files inside
# A wrapper such as valgrind may be given to run mailtls under.
RUNNER=${MAILTLS_RUNNER:-}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "run.sh: GNU time ($TIME, Debian package time) is needed" >&2; exit 1; }
SLOWDOWN=1
RSS_FACTOR=1
if [ -n "$RUNNER" ]; then
	SLOWDOWN=${MAILTLS_RUNNER_SLOWDOWN:-4}
	RSS_FACTOR=0   # not checked
elif ldd "$MAILTLS" 2>/dev/null | grep -q 'libasan'; then
	RSS_FACTOR=${MAILTLS_ASAN_RSS_FACTOR:-4}
fi

cleanup() {
	sh "$TOP/lab/lab.sh" stop "$LAB" >/dev/null 2>&1
	rm -rf "$LAB"
}
trap cleanup EXIT

if ! sh "$TOP/lab/lab.sh" start "$LAB" >"$LAB.start.log" 2>&1; then
	cat "$LAB.start.log" >&2
	rm -f "$LAB.start.log"
	echo "run.sh: the lab did not start" >&2
	exit 1
fi
rm -f "$LAB.start.log"
# shellcheck disable=SC1091
. "$LAB/lab.env"
# A hashed CA directory for --ca-path.
LAB_CAPATH="$LAB/capath"
mkdir -p "$LAB_CAPATH" && cp "$LAB_CA" "$LAB_CAPATH/" && openssl rehash "$LAB_CAPATH" 2>/dev/null

pass=0
failn=0
failed_ids=""

fail() {
	echo "FAIL $1: $2"
	failn=$((failn + 1))
	failed_ids="$failed_ids $1"
}

# The terminal-safety check (unsafe, show_unsafe): safety.sh.
# shellcheck source=tests/integration/safety.sh
. "$HERE/safety.sh"

# selected ID - the case runs: its id contains CASE_FILTER and, with MAILTLS_CASES_FILE, is
# listed there.
selected() {
	case "$1" in *"$FILTER"*) ;; *) return 1 ;; esac
	[ -z "$CASES_FILE" ] || grep -v '^#' "$CASES_FILE" | grep -qxF -- "$1"
}

# ids_text - finding ids from a text report, in order.
ids_text() {
	sed -n 's/^  \(OK\|INFO\|WARNING\|CRITICAL\) *\([a-z0-9.-]*\): .*/\2/p' | tr '\n' ' ' | sed 's/ $//'
}

# run_format FMT - run_case's run again with --format FMT, output in $LAB/FMT: sets fcode
# (the exit code) and fout (the output without NULs); false, after fail, when the output or
# stderr holds unsafe bytes. Uses run_case's id and args.
run_format() {
	local fmt=$1 f
	eval "$RUNNER \"\$MAILTLS\" $args --format $fmt" >"$LAB/$fmt" 2>"$LAB/stderr"
	fcode=$?
	fout=$(tr -d '\000' <"$LAB/$fmt")
	for f in "$fmt" stderr; do
		if unsafe "$LAB/$f"; then
			fail "$id" "unsafe bytes in --format $fmt output ($f):$(show_unsafe "$LAB/$f")"
			return 1
		fi
	done
}

run_case() {
	local id=$1 args=$2 want_exit=$3 want_verdict=$4 want_ids=$5 want_diag=$6 want_stderr=$7
	local limits=$8 want_jq=$9
	local out json code jcode got_ids jids verdict jverdict nag ncode fcode fout
	local secs=0 kb=0 max_secs max_kb measured="" f

	eval "\"\$TIME\" -f '%e %M' -o \"\$LAB/time\" $RUNNER \"\$MAILTLS\" $args" \
	    >"$LAB/out" 2>"$LAB/stderr"
	code=$?
	out=$(tr -d '\000' <"$LAB/out")
	# GNU time writes "Command exited with non-zero status N" first: the figures are last.
	read -r secs kb < <(tail -n 1 "$LAB/time")
	if [ -n "$limits" ]; then
		read -r max_secs max_kb <<<"$limits"
		measured=" ($secs s, $kb KB peak RSS)"
		if awk -v s="$secs" -v m="$max_secs" -v k="$SLOWDOWN" 'BEGIN { exit !(s > m * k) }'; then
			fail "$id" "took $secs s, limit $max_secs s (x$SLOWDOWN)"
			return
		fi
		if [ "$RSS_FACTOR" != 0 ] && [ "$kb" -gt $((max_kb * RSS_FACTOR)) ]; then
			fail "$id" "peak RSS $kb KB, limit $max_kb KB (x$RSS_FACTOR)"
			return
		fi
	fi
	for f in out stderr; do
		if unsafe "$LAB/$f"; then
			fail "$id" "unsafe bytes on std$f (text format):$(show_unsafe "$LAB/$f")"
			return
		fi
	done
	if [ -n "$want_stderr" ]; then
		want_stderr=$(eval "printf '%s' \"$want_stderr\"")   # expands $LAB_* only
		# A usage or input error: one line on stderr, nothing on stdout, exit 3.
		if [ "$code" != "$want_exit" ] || [ -n "$out" ] ||
		   [ "$(cat "$LAB/stderr")" != "$want_stderr" ]; then
			fail "$id" "exit $code, stdout '$(printf '%s' "$out" | head -c 100)', stderr '$(cat "$LAB/stderr")'"
			return
		fi
		echo "ok   $id$measured"
		pass=$((pass + 1))
		return
	fi
	if [ "$code" != "$want_exit" ]; then
		fail "$id" "exit $code, expected $want_exit; stderr: $(head -c 300 "$LAB/stderr")"
		printf '%s\n' "$out" | sed 's/^/    /' | head -40
		return
	fi
	verdict=$(printf '%s\n' "$out" | sed -n 's/^Verdict: //p')
	if [ "$verdict" != "$want_verdict" ]; then
		fail "$id" "verdict '$verdict', expected '$want_verdict'"
		return
	fi
	got_ids=$(printf '%s\n' "$out" | ids_text)
	if [ "$got_ids" != "$want_ids" ]; then
		fail "$id" "findings '$got_ids', expected '$want_ids'"
		printf '%s\n' "$out" | grep -E '^  (OK|INFO|WARNING|CRITICAL)' | sed 's/^/    /'
		return
	fi
	if [ -n "$want_diag" ] && ! printf '%s\n' "$out" | grep -qF -- "$want_diag"; then
		fail "$id" "diagnosis '$want_diag' not in the report"
		printf '%s\n' "$out" | grep -E '^  (OK|INFO|WARNING|CRITICAL)' | sed 's/^/    /'
		return
	fi
	# The same run in JSON: valid, same verdict, exit code and findings.
	run_format json || return
	jcode=$fcode json=$fout
	if ! jq -e . "$LAB/json" >/dev/null 2>&1; then
		fail "$id" "--format json is not valid JSON"
		return
	fi
	jids=$(printf '%s\n' "$json" | jq -r '[.findings[].id] | join(" ")')
	jverdict=$(printf '%s\n' "$json" | jq -r '.summary')
	if [ "$jcode" != "$want_exit" ] ||
	   [ "$(printf '%s\n' "$json" | jq -r '.exit_code')" != "$want_exit" ] ||
	   [ "$jids" != "$want_ids" ] || [ "$jverdict" != "$want_verdict" ]; then
		fail "$id" "JSON disagrees: exit $jcode, ids '$jids', summary '$jverdict'"
		return
	fi
	if [ -n "$want_diag" ] && ! printf '%s\n' "$json" | jq -r '.. | strings' | grep -qF -- "$want_diag"; then
		fail "$id" "diagnosis '$want_diag' not in the JSON"
		return
	fi
	if [ -n "$want_jq" ] && ! printf '%s\n' "$json" | jq -e "$want_jq" >/dev/null 2>&1; then
		fail "$id" "JSON check failed: jq '$want_jq'"
		return
	fi
	# And as a monitoring plugin: same exit code, the verdict on the first line.
	run_format nagios || return
	ncode=$fcode nag=$fout
	if [ "$ncode" != "$want_exit" ] ||
	   [ "$(printf '%s\n' "$nag" | head -n 1 | sed 's/ |.*//')" != "MAILTLS $(printf '%s' "$want_verdict" | tr '|' '/')" ]; then
		fail "$id" "--format nagios: exit $ncode, first line '$(printf '%s\n' "$nag" | head -n 1)'"
		return
	fi
	echo "ok   $id$measured"
	pass=$((pass + 1))
}

# cases.txt: blocks separated by blank lines; each block has the lines
#   case: ID
#   args: ARGUMENTS (shell words; $LAB_* variables from lab.env)
#   exit: N
#   verdict: THE EXACT VERDICT LINE (without "Verdict: ")
#   ids: finding ids in order, space-separated
#   diag: a diagnosis that must appear verbatim (optional)
#   stderr: the exact error line, for runs that cannot check (then no verdict or ids)
#   limits: SECONDS KB - the text run must end within SECONDS of wall time with a peak RSS
#           below KB (optional; measured with GNU time and printed; see ENVIRONMENT above)
#   jq: EXPR - a jq expression that must be true of the JSON output (optional)
while IFS= read -r line || [ -n "$line" ]; do
	case "$line" in
	"case: "*) c_id=${line#case: }; c_args=""; c_exit=""; c_verdict=""; c_ids=""; c_diag=""; c_stderr=""
		c_limits=""; c_jq="" ;;
	"args: "*) c_args=${line#args: } ;;
	"exit: "*) c_exit=${line#exit: } ;;
	"verdict: "*) c_verdict=${line#verdict: } ;;
	"ids: "*) c_ids=${line#ids: } ;;
	"diag: "*) c_diag=${line#diag: } ;;
	"stderr: "*) c_stderr=${line#stderr: } ;;
	"limits: "*) c_limits=${line#limits: } ;;
	"jq: "*) c_jq=${line#jq: } ;;
	"")
		if [ -n "${c_id:-}" ]; then
			selected "$c_id" && run_case "$c_id" "$c_args" "$c_exit" "$c_verdict" "$c_ids" "$c_diag" "$c_stderr" "$c_limits" "$c_jq"
		fi
		c_id="" ;;
	"#"*) ;;
	esac
done < "$HERE/cases.txt"
if [ -n "${c_id:-}" ]; then
	selected "$c_id" && run_case "$c_id" "$c_args" "$c_exit" "$c_verdict" "$c_ids" "$c_diag" "$c_stderr" "$c_limits" "$c_jq"
fi

# Every listed case must exist: a typo would silently shrink the subset.
if [ -n "$CASES_FILE" ]; then
	for c in $(grep -v '^#' "$CASES_FILE"); do
		grep -qx "case: $c" "$HERE/cases.txt" || fail "$c" "listed in $CASES_FILE, not in cases.txt"
	done
fi

echo
[ -n "$failed_ids" ] && echo "failed:$failed_ids"
echo "integration: $pass passed, $failn failed"
[ "$failn" -eq 0 ] && [ "$pass" -gt 0 ]
