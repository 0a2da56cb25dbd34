#!/bin/sh
# demo.sh - start the lab, show mailtls reports on real servers, stop the lab.
# usage: sh lab/demo.sh [BUILD_DIR]     (make demo runs it after installing and building)
set -eu
BUILD=$(cd "${1:-build}" && pwd)
TOP=$(cd "$(dirname "$0")/.." && pwd)
M="$BUILD/src/mailtls"
export FAULTD="$BUILD/lab/faultd"
LAB=$(mktemp -d /tmp/mailtls-demo.XXXXXX)
chmod 755 "$LAB"

stop_lab() {
	sh "$TOP/lab/lab.sh" stop "$LAB" >/dev/null 2>&1 || true
	rm -rf "$LAB"
}
trap stop_lab EXIT INT TERM

echo "== starting the lab (Postfix, Dovecot, faultd on 127.77.0.0/24; NSD and a validating Unbound with signed zones on 127.77.2.0/24) in $LAB"
sh "$TOP/lab/lab.sh" start "$LAB"
. "$LAB/lab.env"

show() {
	title=$1
	shift
	printf '\n========================================================================\n'
	printf '== %s\n== $ mailtls %s\n' "$title" "$*"
	printf '========================================================================\n'
	set +e
	"$M" "$@"
	code=$?
	set -e
	printf -- '-- exit code %s\n' "$code"
}

show "A good Postfix server, STARTTLS on port 25, with the dialogue" \
	check --smtp "$LAB_SMTP_GOOD" --name mx1.lab.test --ca-file "$LAB_CA" --transcript
show "STARTTLS offered without a usable certificate (handshakes fail)" \
	check --smtp "$LAB_SMTP_NOCERT" --name nocert.lab.test --ca-file "$LAB_CA"
show "A server reached by an alias its certificate lacks" \
	check --smtp "$LAB_SMTP_ALIAS" --name mail2.lab.test --ca-file "$LAB_CA"
show "A certificate with the name only in the CN" \
	check --smtp "$LAB_SMTP_CNONLY" --name mx3.lab.test --ca-file "$LAB_CA"
show "The intermediate certificate is not served" \
	check --smtp "$LAB_SMTP_INCOMPLETE" --name incomplete.lab.test --ca-file "$LAB_CA"
show "Dovecot IMAP with STARTTLS" \
	check --imap "$LAB_IMAP" --name mail.lab.test --ca-file "$LAB_CA"
show "Dovecot POP3 over implicit TLS, reached by an alias (the seed's POP fetcher)" \
	check --pop3s "$LAB_POP3S_ALIAS" --name mail2.lab.test --ca-file "$LAB_CA"
show "A server that does not offer STARTTLS" \
	check --smtp "$LAB_FAULT_NO_STARTTLS" --name mx1.lab.test --ca-file "$LAB_CA"
show "Offline: will this certificate work for both names?" \
	cert "$LAB_PKI/good.chain.pem" --name mx1.lab.test --name imap.lab.test --ca-file "$LAB_CA"
show "Implicit TLS (port 465) as JSON" \
	check --smtps "$LAB_SMTPS" --name mx1.lab.test --ca-file "$LAB_CA" --format json
# Domains: every MX, DNSSEC and DANE, through the lab's own validating resolver.
DNS="--resolver $LAB_DNS_RESOLVER --trust-anchor $LAB_DNS_TA --ca-file $LAB_CA --timeout 5"
# shellcheck disable=SC2086
show "A domain with DANE-EE: a self-signed certificate that DANE senders authenticate" \
	domain dane-ee.lab.test $DNS
# shellcheck disable=SC2086
show "A domain whose TLSA record matches no key served: DANE senders defer" \
	domain dane-nomatch.lab.test $DNS
# shellcheck disable=SC2086
show "A domain with four MX hosts and no TLSA records, judged at the verify level" \
	domain multi.lab.test $DNS --level verify
# A scan: every faultd listener and two Postfix ones, plus a bad line, in one process; the
# JSON Lines go to a file, one line per target is shown with jq, the summary on stderr.
TARGETS="$LAB/targets.txt"
{
	echo "# faultd's listeners, then two Postfix ones, then a line that is no target"
	grep -E '^LAB_FAULT_[A-Z0-9_]*=(\[[0-9a-f:]+\]|[0-9.]+):[0-9]+$' "$LAB/lab.env" | sed 's/^[^=]*=//'
	echo "$LAB_SMTP_GOOD"
	echo "$LAB_SMTP_EXPIRED"
	echo "not a target"
} >"$TARGETS"
printf '\n========================================================================\n'
printf '== Many servers at once: mailtls scan (JSON Lines, one per target)\n'
printf '== $ mailtls scan --smtp targets.txt --name mx1.lab.test --ca-file root.pem --timeout 3 --output results.jsonl --summary\n'
printf '========================================================================\n'
set +e
"$M" scan --smtp "$TARGETS" --name mx1.lab.test --ca-file "$LAB_CA" --timeout 3 --quiet \
	--output "$LAB/results.jsonl" --summary
code=$?
set -e
if command -v jq >/dev/null 2>&1; then
	echo "-- one line per target (line, input, verdict, worst findings):"
	jq -r '[.line, .input, .verdict, ([.findings[] | select(.severity == "critical" or .severity == "warning") | .id] | unique | join(","))] | @tsv' \
		"$LAB/results.jsonl" | sort -n | sed 's/^/   /'
fi
printf -- '-- exit code %s (the worst over all targets)\n' "$code"
printf '\n== stopping the lab\n'
