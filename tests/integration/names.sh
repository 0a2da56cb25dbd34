#!/bin/bash
# names.sh - `mailtls names` and `mailtls tlsa --domain` against the lab's DNS world
# (lab/dns.sh, names in lab/templates/lab.test.zone.in): exact output and exit codes.
#   names	per MX host the names its certificate must cover, whether the served chain
#		covers them (trusted, DANE), and with --cert whether a file not deployed would
#   tlsa	the rollover plan: records published, to add before the switch, to remove after
# Every assertion prints `ok NAME` or `FAIL NAME: why`; the last line is
# `names: N passed, N failed` (exit 1 on any failure).
#
# usage: names.sh BUILD_DIR
# The lab is started in a fresh temporary directory and stopped on exit (only its own PIDs);
# one lab runs on a machine at a time: run this under `flock /tmp/mailtls-lab.lock`.
# DNS questions go only to the lab resolver (--resolver, --trust-anchor); every command is
# bounded by timeout(1).
set -u
BUILD=$(cd "${1:?usage: names.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
M="$BUILD/src/mailtls"
export FAULTD="$BUILD/lab/faultd"
LAB=$(mktemp -d /tmp/mailtls-names.XXXXXX)
chmod 755 "$LAB"   # postfix and dovecot must reach their files inside

cleanup() {
	sh "$TOP/lab/lab.sh" stop "$LAB" >/dev/null 2>&1
	rm -rf "$LAB"
}
trap cleanup EXIT

for tool in timeout openssl sha256sum; do
	command -v "$tool" >/dev/null || { echo "names.sh: $tool is needed" >&2; exit 1; }
done
if ! sh "$TOP/lab/lab.sh" start "$LAB" >"$LAB.start.log" 2>&1; then
	cat "$LAB.start.log" >&2
	rm -f "$LAB.start.log"
	echo "names.sh: the lab did not start" >&2
	exit 1
fi
rm -f "$LAB.start.log"
# shellcheck disable=SC1091
. "$LAB/lab.env"
P="$LAB_PKI"
DNS=(--resolver "$LAB_DNS_RESOLVER" --trust-anchor "$LAB_DNS_TA" --timeout 5)
NEXT=$(openssl pkey -in "$LAB/dns/tlsa/next.key" -pubout -outform DER 2>/dev/null | sha256sum | cut -c1-64)

pass=0
failn=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
fail() { echo "FAIL $1: $2"; failn=$((failn + 1)); }

# run ARGS... - mailtls with a bound; sets out, err, code. The TLSA TTL the resolver gives
# counts down in its cache: "TTL 297 s" and "had 297 s" are compared as "N".
run() {
	out=$(timeout 60 "$M" "$@" 2>"$LAB/err")
	code=$?
	err=$(cat "$LAB/err")
	ttls=$(printf '%s\n' "$out" | grep -oE '(TTL|had) [0-9]+ s' | grep -oE '[0-9]+' | sort -u)
	out=$(printf '%s\n' "$out" | sed -E 's/(TTL|had) [0-9]+ s/\1 N s/g')
}

# expect NAME WANT_EXIT WANT_STDOUT -- ARGS...
expect() {
	local name=$1 want_exit=$2 want=$3
	shift 4
	run "$@"
	if [ "$code" != "$want_exit" ]; then
		fail "$name" "exit $code, expected $want_exit; stdout: $out; stderr: $err"
	elif [ "$out" != "$want" ]; then
		fail "$name" "stdout differs:
--- got
$out
--- want
$want"
	elif [ -n "$err" ]; then
		fail "$name" "stderr: $err"
	elif [ -n "$ttls" ] && { [ "$(echo "$ttls" | wc -l)" != 1 ] || [ "$ttls" -gt 300 ] || [ "$ttls" -le 0 ]; }; then
		fail "$name" "TTLs $(echo $ttls): the wait is not the TTL shown, or not in (0, 300]"
	else
		ok "$name"
	fi
}

# names
expect names-one 0 \
'mx1.lab.test  needs mx1.lab.test  served: covered (trusted)' \
    -- names one.lab.test "${DNS[@]}" --ca-file "$LAB_CA"
expect names-one-secure 2 \
'mx1.lab.test  needs one.lab.test or a name under it  served: not covered (names: mx1.lab.test, mail.lab.test; trusted)' \
    -- names one.lab.test --level secure "${DNS[@]}" --ca-file "$LAB_CA"
expect names-dane-ee 2 \
'ee.lab.test  needs ee.lab.test  served: not covered (names: self.lab.test; not trusted: cert.self-signed), but DANE-EE(3) matches: DANE senders authenticate it' \
    -- names dane-ee.lab.test "${DNS[@]}" --ca-file "$LAB_CA"
expect names-multi-file 0 \
'mxa.lab.test  needs mxa.lab.test  served: covered (trusted)  file: covered (trusted)
mxb.lab.test  needs mxb.lab.test  served: covered (trusted)  file: covered (trusted)
mxc.lab.test  needs mxc.lab.test  served: covered (trusted)  file: covered (trusted)
mxd.lab.test  needs mxd.lab.test  served: covered (trusted)  file: covered (trusted)' \
    -- names multi.lab.test --cert "$P/multi.crt" --chain "$P/int.pem" "${DNS[@]}" --ca-file "$LAB_CA"
bad='file: not covered (names: mx1.lab.test, mail.lab.test; trusted)'
expect names-multi-wrong-file 2 \
"mxa.lab.test  needs mxa.lab.test  served: covered (trusted)  $bad
mxb.lab.test  needs mxb.lab.test  served: covered (trusted)  $bad
mxc.lab.test  needs mxc.lab.test  served: covered (trusted)  $bad
mxd.lab.test  needs mxd.lab.test  served: covered (trusted)  $bad" \
    -- names multi.lab.test --cert "$P/good.crt" --chain "$P/int.pem" "${DNS[@]}" --ca-file "$LAB_CA"
# The leaf alone: its issuer is missing, so not trusted either.
bad='file: not covered (names: mx1.lab.test, mail.lab.test; not trusted: cert.incomplete-chain)'
expect names-multi-leaf-only 2 \
"mxa.lab.test  needs mxa.lab.test  served: covered (trusted)  $bad
mxb.lab.test  needs mxb.lab.test  served: covered (trusted)  $bad
mxc.lab.test  needs mxc.lab.test  served: covered (trusted)  $bad
mxd.lab.test  needs mxd.lab.test  served: covered (trusted)  $bad" \
    -- names multi.lab.test --cert "$P/good.crt" "${DNS[@]}" --ca-file "$LAB_CA"
# Under DANE the file must match the TLSA records too: the good key is not published for ee.
expect names-dane-ee-file 2 \
'ee.lab.test  needs ee.lab.test  served: not covered (names: self.lab.test; not trusted: cert.self-signed), but DANE-EE(3) matches: DANE senders authenticate it  file: not covered (names: mx1.lab.test, mail.lab.test; trusted), DANE fails: no TLSA record matches' \
    -- names dane-ee.lab.test --cert "$P/good.crt" --chain "$P/int.pem" "${DNS[@]}" --ca-file "$LAB_CA"
expect names-dane-ta-file 0 \
'ta.lab.test  needs ta.lab.test  served: covered (trusted), DANE-TA(2) matches  file: covered (trusted), DANE-TA(2) matches' \
    -- names dane-ta.lab.test --cert "$P/ta.crt" --chain "$P/int.pem" "${DNS[@]}" --ca-file "$LAB_CA"
expect names-cname 0 \
'alias-mx.lab.test  needs alias-mx.lab.test or mx1.lab.test  served: covered (trusted)' \
    -- names cname-mx.lab.test "${DNS[@]}" --ca-file "$LAB_CA"
expect names-split 2 \
'split.lab.test  needs split.lab.test  served: [127.77.0.1] not covered (names: mx1.lab.test, mail.lab.test; trusted), but DANE-EE(3) matches: DANE senders authenticate it; [127.77.0.2] not covered (names: mx2.lab.test; trusted), DANE fails: no TLSA record matches' \
    -- names dane-partial.lab.test "${DNS[@]}" --ca-file "$LAB_CA"
expect names-no-tls 2 'notls.lab.test  needs notls.lab.test  served: no TLS' \
    -- names nostarttls.lab.test "${DNS[@]}"
expect names-dead-mx 3 \
'dead-mx.lab.test  needs dead-mx.lab.test  served: unreachable
mx1.lab.test      needs mx1.lab.test      served: covered (trusted)' \
    -- names dead.lab.test "${DNS[@]}" --ca-file "$LAB_CA"
expect names-null-mx 0 'nullmx.lab.test: null MX (RFC 7505): accepts no mail, no certificate needed' \
    -- names nullmx.lab.test "${DNS[@]}"
run names one.lab.test "${DNS[@]}" --ca-file "$LAB_CA" --format json
if [ "$code" = 0 ] && command -v jq >/dev/null &&
   [ "$(printf '%s' "$out" | jq -c '[.mode, .level, .exit_code, .served, .mx_hosts[0].needs, .mx_hosts[0].addresses[0].certificate.covered_by, .mx_hosts[0].addresses[0].certificate.trusted]')" = \
     '["names","verify",0,"covered",["mx1.lab.test"],"mx1.lab.test",true]' ]; then
	ok names-json
elif ! command -v jq >/dev/null; then
	echo "skip names-json: jq not installed"
else
	fail names-json "exit $code: $out"
fi
run names one.lab.test "${DNS[@]}" --cert /nonexistent/new.pem
if [ "$code" = 3 ] && [ -z "$out" ] && [ "$err" = "mailtls: names one.lab.test: /nonexistent/new.pem: No such file or directory" ]; then
	ok names-missing-file
else
	fail names-missing-file "exit $code, stdout '$out', stderr '$err'"
fi

# tlsa --domain
expect tlsa-published 0 \
"ee.lab.test: TLSA _25._tcp.ee.lab.test (DNSSEC-secure, TTL N s); 1 of 1 address serves a chain now
  keep                 _25._tcp.ee.lab.test. IN TLSA 3 1 1 $LAB_TLSA_SELFSIGNED_311  ; published, matches the new chain and the chain served now
  plan: nothing to publish: the published records already authenticate the new chain" \
    -- tlsa "$P/selfsigned.crt" --host ee.lab.test --domain dane-ee.lab.test "${DNS[@]}"
expect tlsa-add-first 1 \
"ee.lab.test: TLSA _25._tcp.ee.lab.test (DNSSEC-secure, TTL N s); 1 of 1 address serves a chain now
  add now              _25._tcp.ee.lab.test. IN TLSA 3 1 1 $LAB_TLSA_GOOD_311  ; the new leaf's key
  remove after switch  _25._tcp.ee.lab.test. IN TLSA 3 1 1 $LAB_TLSA_SELFSIGNED_311  ; matches the chain served now: it must stay until every address serves the new one
  plan: publish the records marked \"add now\", then wait at least the TLSA RRset's TTL as the zone publishes it (the resolver had N s of it left in its cache) before switching; remove the ones marked \"remove after switch\" only once every address serves the new chain (the published records do not authenticate the new chain: no matching DANE TLSA records)" \
    -- tlsa "$P/good.crt" --host ee.lab.test --domain dane-ee.lab.test "${DNS[@]}"
expect tlsa-rollover-both 0 \
"roll.lab.test: TLSA _25._tcp.roll.lab.test (DNSSEC-secure, TTL N s); 1 of 1 address serves a chain now
  keep                 _25._tcp.roll.lab.test. IN TLSA 3 1 1 $LAB_TLSA_GOOD_311  ; published, matches the new chain and the chain served now
  may remove           _25._tcp.roll.lab.test. IN TLSA 3 1 1 $NEXT  ; matches neither the chain served now nor the new one (stale, or a key meant for a later rollover)
  plan: nothing to publish: the published records already authenticate the new chain" \
    -- tlsa "$P/good.crt" --domain dane-rollover.lab.test "${DNS[@]}"
# The chain served now, published as DANE-TA of its issuer: the 2 1 1 record covers it.
expect tlsa-dane-ta 0 \
"ta.lab.test: TLSA _25._tcp.ta.lab.test (DNSSEC-secure, TTL N s); 1 of 1 address serves a chain now
  keep                 _25._tcp.ta.lab.test. IN TLSA 2 1 1 $LAB_TLSA_INT_211  ; published, matches the new chain and the chain served now
  plan: nothing to publish: the published records already authenticate the new chain" \
    -- tlsa "$P/ta.crt" --chain "$P/int.pem" --domain dane-ta.lab.test "${DNS[@]}"
expect tlsa-insecure 0 \
"mx.insecure.lab.test: TLSA _25._tcp.mx.insecure.lab.test (insecure, TTL N s); 1 of 1 address serves a chain now
  warning: these TLSA records are not DNSSEC-secure (or the MX or address records leading to them are not): no DANE sender uses them
  keep                 _25._tcp.mx.insecure.lab.test. IN TLSA 3 1 1 $LAB_TLSA_GOOD_311  ; published, matches the new chain and the chain served now
  plan: nothing to publish: the published records already authenticate the new chain" \
    -- tlsa "$P/good.crt" --domain tlsa-insecure.lab.test "${DNS[@]}"
expect tlsa-no-records 0 \
"mx1.lab.test: TLSA _25._tcp.mx1.lab.test (none published, secure); 1 of 1 address serves a chain now
  plan: nothing to publish: no TLSA records, DANE is not in use here (to start, publish the records 'mailtls tlsa' prints without --domain)" \
    -- tlsa "$P/good.crt" --domain one.lab.test "${DNS[@]}"
run tlsa "$P/good.crt" --domain tlsa-bogus.lab.test "${DNS[@]}"
case "$out" in
"tb.lab.test: cannot plan: the TLSA lookup is bogus: "*"; DANE senders defer mail to it now")
	if [ "$code" = 3 ]; then ok tlsa-bogus; else fail tlsa-bogus "exit $code"; fi ;;
*) fail tlsa-bogus "exit $code, stdout '$out'" ;;
esac
run tlsa "$P/good.crt" --host mx9.lab.test --domain one.lab.test "${DNS[@]}"
if [ "$code" = 3 ] && [ -z "$out" ] &&
   [ "$err" = "mailtls: tlsa --domain one.lab.test: mx9.lab.test is not an MX host of one.lab.test (MX hosts: mx1.lab.test)" ]; then
	ok tlsa-not-an-mx-host
else
	fail tlsa-not-an-mx-host "exit $code, stdout '$out', stderr '$err'"
fi

echo
echo "names: $pass passed, $failn failed"
[ "$failn" -eq 0 ] && [ "$pass" -gt 0 ]
