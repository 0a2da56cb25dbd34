#!/bin/bash
# cli.sh - the command line as people use it: help, version, streams, colour only on a
# terminal and never with NO_COLOR, every option documented in the man page.
# Needs no lab: the only network step is a refused connection to 127.0.0.1:2.
# usage: cli.sh BUILD_DIR
set -u
BUILD=$(cd "${1:?usage: cli.sh BUILD_DIR}" && pwd)
TOP=$(cd "$(dirname "$0")/../.." && pwd)
M="$BUILD/src/mailtls"
pass=0
failn=0

ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; failn=$((failn + 1)); }

# expect NAME WANT_EXIT WANT_STDOUT_SUBSTRING WANT_STDERR_EXACT -- ARGS...
expect() {
	local name=$1 want_exit=$2 want_out=$3 want_err=$4 out err code
	shift 5
	out=$("$M" "$@" 2>/tmp/cli.err.$$)
	code=$?
	err=$(cat /tmp/cli.err.$$)
	rm -f /tmp/cli.err.$$
	if [ "$code" != "$want_exit" ]; then
		bad "$name" "exit $code, expected $want_exit (stderr: $err)"
	elif [ -n "$want_out" ] && ! printf '%s\n' "$out" | grep -qF -- "$want_out"; then
		bad "$name" "stdout lacks '$want_out'"
	elif [ "$err" != "$want_err" ]; then
		bad "$name" "stderr '$err', expected '$want_err'"
	else
		ok "$name"
	fi
}

expect help 0 "usage: mailtls COMMAND [OPTIONS]" "" -- --help
expect help-command 0 "usage: mailtls check PROTOCOL HOST[:PORT] [OPTIONS]" "" -- help check
expect help-cert 0 "usage: mailtls cert FILE [--chain FILE] --name NAME... [OPTIONS]" "" -- help cert
expect check-help-option 0 "--warn-days N" "" -- check --help
expect version 0 "mailtls 0.1.0" "" -- --version
expect no-command 3 "" "mailtls: no command given (try 'mailtls --help')" --
expect unknown-help 3 "" "mailtls: no help for 'frob' (commands: check, cert, scan)" -- help frob
expect help-scan 0 "usage: mailtls scan PROTOCOL [FILE|-] [OPTIONS]" "" -- help scan
expect scan-help-option 0 "--shard K/N" "" -- scan --help
expect ca-file-directory 3 "" "mailtls: --ca-file /etc: is a directory (use --ca-path for a hashed directory of anchors)" -- check --smtp 127.0.0.1:2 --ca-file /etc
expect scan-no-protocol 3 "" "mailtls: scan: give a protocol (--smtp, --submission, --smtps, --lmtp, --imap, --imaps, --pop3, --pop3s)" -- scan /dev/null
expect scan-format 3 "" "mailtls: scan: the output is JSON Lines; --format applies to check and cert" -- scan --smtp --format json /dev/null
expect scan-options-on-check 3 "" "mailtls: --concurrency, --per-address, --rate, --output, --resume, --shard, --quiet, --summary and --summary-json apply to scan only" -- check --smtp 127.0.0.1:2 --concurrency 4
expect scan-bad-shard 3 "" "mailtls: --shard: '5/4' is not K/N with 1 <= K <= N <= 1000000" -- scan --smtp --shard 5/4 /dev/null
expect scan-missing-input 3 "" "mailtls: scan /nonexistent/targets: No such file or directory" -- scan --smtp /nonexistent/targets
expect scan-empty-input 0 "" "" -- scan --smtp /dev/null
expect report-on-stdout 2 "CRITICAL conn.refused: 127.0.0.1:2: connection refused" "" -- check --smtp 127.0.0.1:2

# No colour when stdout is not a terminal.
out=$("$M" check --smtp 127.0.0.1:2 2>&1)
if printf '%s' "$out" | grep -q $'\033'; then bad no-colour-on-pipe "escape sequence in piped output"; else ok no-colour-on-pipe; fi

# Colour on a terminal (script(1) gives the program a pty), none with NO_COLOR.
if command -v script >/dev/null 2>&1; then
	tty_out=$(env -u NO_COLOR TERM=xterm script -qec "$M check --smtp 127.0.0.1:2" /dev/null 2>/dev/null)
	if printf '%s' "$tty_out" | grep -q $'\033\\[1;31mCRITICAL'; then ok colour-on-tty; else bad colour-on-tty "no colour on a terminal"; fi
	tty_out=$(NO_COLOR=1 TERM=xterm script -qec "$M check --smtp 127.0.0.1:2" /dev/null 2>/dev/null)
	if printf '%s' "$tty_out" | grep -q $'\033'; then bad no-colour-with-NO_COLOR "escape sequence despite NO_COLOR"; else ok no-colour-with-NO_COLOR; fi
	# scan's progress line: on a terminal only, never with --quiet; it ends cleared.
	printf '127.0.0.1:2\n127.0.0.1:2\n# comment\n127.0.0.1:2\n' >/tmp/cli.targets.$$
	tty_out=$(script -qec "$M scan --smtp /tmp/cli.targets.$$ --output /dev/null" /dev/null 2>/dev/null)
	if printf '%s' "$tty_out" | grep -q 'scan: 3/3 done, [0-9]*/s | OK 0  WARNING 0  CRITICAL 3  UNKNOWN 0'; then
		ok progress-on-tty
	else
		bad progress-on-tty "no progress line: $(printf '%s' "$tty_out" | od -c | head -3)"
	fi
	tty_out=$(script -qec "$M scan --smtp /tmp/cli.targets.$$ --output /dev/null --quiet" /dev/null 2>/dev/null)
	if printf '%s' "$tty_out" | grep -q 'scan: '; then bad progress-quiet "progress despite --quiet"; else ok progress-quiet; fi
	rm -f /tmp/cli.targets.$$
else
	echo "skip colour-on-tty: script(1) not installed"
fi
printf '127.0.0.1:2\n' | "$M" scan --smtp >/dev/null 2>/tmp/cli.err.$$
if [ -s /tmp/cli.err.$$ ]; then bad no-progress-on-pipe "stderr: $(cat /tmp/cli.err.$$)"; else ok no-progress-on-pipe; fi
rm -f /tmp/cli.err.$$

# Every long option the parser knows is documented in the man page, and every exit code.
missing=""
# The protocol options come from the library's protocol table: take them from the help.
proto_opts=$("$M" help check | grep -o -- '--[a-z0-9]* \[[0-9]*\]' | sed 's/^--//; s/ .*//')
[ "$(printf '%s\n' $proto_opts | wc -l)" -eq 8 ] || missing="$missing (help check lists $(printf '%s\n' $proto_opts | wc -l) protocols, not 8)"
for opt in $(sed -n 's/^[[:space:]]*{ "\([a-z0-9-]*\)", \(required\|no\)_argument.*/\1/p' "$TOP/src/opts.c") $proto_opts; do
	roff=$(printf '%s' "$opt" | sed 's/-/\\-/g')   # roff writes ca-file as ca\-file
	grep -qF -- "\\-\\-$roff" "$TOP/docs/mailtls.1" || missing="$missing --$opt"
done
for code in 0 1 2 3; do
	grep -q "^\.B $code\$" "$TOP/docs/mailtls.1" || missing="$missing exit-$code"
done
n=$(sed -n 's/^[[:space:]]*{ "\([a-z0-9-]*\)", \(required\|no\)_argument.*/\1/p' "$TOP/src/opts.c" | wc -l)
if [ "$n" -lt 12 ]; then
	bad man-page-options "found only $n options in src/opts.c: the parser's table changed shape"
elif [ -n "$missing" ]; then
	bad man-page-options "docs/mailtls.1 lacks:$missing"
else
	ok man-page-options
fi

echo
echo "cli: $pass passed, $failn failed"
[ "$failn" -eq 0 ]
