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
expect unknown-help 3 "" "mailtls: no help for 'frob' (commands: check, cert, scan, domain, names, tlsa)" -- help frob
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

# tlsa: the records for a lab certificate are the SHA-256 of each key as the openssl command
# line computes it, independently; an unreadable file is one line naming it, exit 3.
expect help-tlsa 0 "usage: mailtls tlsa CERT [--chain FILE] [--host NAME] [--port N] [--domain DOMAIN]" "" -- help tlsa
expect help-names 0 "usage: mailtls names DOMAIN [--cert FILE [--chain FILE]] [OPTIONS]" "" -- help names
expect names-help-option 0 "--cert FILE" "" -- names --help
expect names-bad-level 3 "" "mailtls: names: --level is verify (the MX host names) or secure (the domain)" -- names example.org --level may
expect names-chain-alone 3 "" "mailtls: names: --chain goes with --cert FILE" -- names example.org --chain /dev/null
expect tlsa-domain-missing-file 3 "" "mailtls: tlsa: /nonexistent/cert.pem: No such file or directory" -- tlsa /nonexistent/cert.pem --domain example.org
expect tlsa-missing-file 3 "" "mailtls: tlsa: /nonexistent/cert.pem: No such file or directory" -- tlsa /nonexistent/cert.pem
expect tlsa-bad-host 3 "" "mailtls: --host a..b: not a valid host name" -- tlsa /dev/null --host a..b
expect tlsa-not-pem 3 "" "mailtls: tlsa: /dev/null: not a PEM file" -- tlsa /dev/null
PKI=$(mktemp -d /tmp/cli.pki.XXXXXX)
if sh "$TOP/lab/mkcerts.sh" "$PKI" >/dev/null 2>&1; then
	spki() { openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1; }
	leaf=$(spki "$PKI/good.crt")
	inter=$(spki "$PKI/int.pem")
	want="_25._tcp.mx1.lab.test. IN TLSA 3 1 1 $leaf
_25._tcp.mx1.lab.test. IN TLSA 2 1 1 $inter"
	got=$("$M" tlsa "$PKI/good.chain.pem" | grep -v '^;')
	if [ "$got" = "$want" ]; then ok tlsa-records; else bad tlsa-records "got '$got', want '$want'"; fi
	got=$("$M" tlsa "$PKI/good.crt" --chain "$PKI/int.pem" --host Mail.Lab.Test --port 465)
	want="; leaf: CN=mx1.lab.test, not after $(openssl x509 -in "$PKI/good.crt" -noout -enddate -dateopt iso_8601 | sed 's/^notAfter=//; s/ /T/')
_465._tcp.mail.lab.test. IN TLSA 3 1 1 $leaf
; issuer: CN=mailtls Lab Intermediate CA, not after $(openssl x509 -in "$PKI/int.pem" -noout -enddate -dateopt iso_8601 | sed 's/^notAfter=//; s/ /T/')
_465._tcp.mail.lab.test. IN TLSA 2 1 1 $inter"
	if [ "$got" = "$want" ]; then ok tlsa-chain-host-port; else bad tlsa-chain-host-port "got '$got', want '$want'"; fi
	expect tlsa-wildcard-needs-host 3 "" "mailtls: tlsa: $PKI/wildcard.crt: the certificate's first DNS name *.wild.lab.test is not a host name: give --host NAME" -- tlsa "$PKI/wildcard.crt"
	expect tlsa-cn-only-needs-host 3 "" "mailtls: tlsa: $PKI/cnonly.crt: the certificate has no DNS name: give --host NAME" -- tlsa "$PKI/cnonly.crt"
else
	bad tlsa-records "lab/mkcerts.sh failed"
fi
rm -rf "$PKI"

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
