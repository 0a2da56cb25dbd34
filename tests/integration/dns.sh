#!/bin/bash
# dns.sh - the lab's DNS world (lab/dns.sh): what its validating resolver answers, and that a
# real DANE client agrees.
#   drill	questions to the lab's Unbound ($LAB_DNS_RESOLVER): the AD flag on secure answers,
#		none on insecure ones, SERVFAIL on bogus ones, NXDOMAIN, and the exact answers
#		for the names of the lab's contract (lab/README.md), TLSA data included
#	tlsa-ee	the TLSA 3 1 1 of ee.lab.test is the SHA-256 of the SubjectPublicKeyInfo of the
#		certificate the server at 127.77.0.7 serves, as openssl computes it
#	ptr	the reverse zone
#	posttls-finger	Postfix's own DANE client, with the lab's resolver as its only resolver
#		(a mount namespace with its own /etc/resolv.conf): "Verified" for DANE-EE and
#		DANE-TA, and the failures the broken cases must give
# Every assertion prints `ok NAME` or `FAIL NAME: why`; the last line is
# `dns: N passed, N failed` (exit 1 on any failure).
#
# usage: dns.sh BUILD_DIR
# The lab is started in a fresh temporary directory and stopped on exit (only its own PIDs);
# one lab runs on a machine at a time: run this under `flock /tmp/mailtls-lab.lock`.
# Questions go only to the lab's own servers; posttls-finger runs with a resolv.conf naming
# the lab resolver only, bind-mounted in a private mount namespace (unshare --mount), so no
# lab name reaches the machine's resolver. Every command is bounded by timeout(1).
set -u
BUILD=$(cd "${1:?usage: dns.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
export FAULTD="$BUILD/lab/faultd"
LAB=$(mktemp -d /tmp/mailtls-dns.XXXXXX)
chmod 755 "$LAB"   # postfix and dovecot must reach their files inside

cleanup() {
	sh "$TOP/lab/lab.sh" stop "$LAB" >/dev/null 2>&1
	rm -rf "$LAB"
}
trap cleanup EXIT

for tool in drill timeout openssl sha256sum; do
	command -v "$tool" >/dev/null || { echo "dns.sh: $tool is needed" >&2; exit 1; }
done
STARTED=$(date +%s.%N)
if ! sh "$TOP/lab/lab.sh" start "$LAB" >"$LAB.start.log" 2>&1; then
	cat "$LAB.start.log" >&2
	rm -f "$LAB.start.log"
	echo "dns.sh: the lab did not start" >&2
	exit 1
fi
rm -f "$LAB.start.log"
echo "lab started in $(awk -v a="$STARTED" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
# shellcheck disable=SC1091
. "$LAB/lab.env"
T="$LAB/dns-test"
mkdir -p "$T"

pass=0
failn=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
fail() { echo "FAIL $1: $2"; failn=$((failn + 1)); }

# ask NAME TYPE - one question to the lab resolver, DO bit set; sets rcode, ad (1/0) and
# answer (the answer section's records of TYPE, "NAME TYPE DATA", sorted, joined by "|")
ask() {
	local out
	out=$(timeout 5 drill -D "$1" @"$LAB_DNS_RESOLVER" "$2" 2>&1)
	rcode=$(echo "$out" | sed -n 's/.*rcode: \([A-Z]*\).*/\1/p' | head -n 1)
	if echo "$out" | grep -q '^;; flags:.* ad .*;'; then ad=1; else ad=0; fi
	answer=$(echo "$out" | awk -v t="$2" '
		/^;; ANSWER SECTION:/ { a = 1; next }
		/^;; / || /^$/ { a = 0 }
		a && $4 != "RRSIG" { $2 = ""; $3 = ""; print }' |
	    sed 's/  */ /g' | sort | tr '\n' '|' | sed 's/|$//')
	: "${rcode:=none}"
	echo "$out" >"$T/last.drill"
}

# expect NAME TYPE RCODE AD ANSWER - AD: 1 (secure), 0 (not), - (not checked)
expect() {
	local what="$1 $2"
	ask "$1" "$2"
	if [ "$rcode" = "$3" ] && { [ "$4" = - ] || [ "$ad" = "$4" ]; } && [ "$answer" = "$5" ]; then
		ok "drill $what"
	else
		fail "drill $what" "rcode $rcode (want $3), ad $ad (want $4), answer '$answer' (want '$5')"
	fi
}

# The cases the issue names.
expect multi.lab.test MX NOERROR 1 \
    'multi.lab.test. MX 10 mxa.lab.test.|multi.lab.test. MX 20 mxb.lab.test.|multi.lab.test. MX 30 mxc.lab.test.|multi.lab.test. MX 30 mxd.lab.test.'
expect _25._tcp.ee.lab.test TLSA NOERROR 1 "_25._tcp.ee.lab.test. TLSA 3 1 1 $LAB_TLSA_SELFSIGNED_311"
expect mx.insecure.lab.test A NOERROR 0 'mx.insecure.lab.test. A 127.77.0.1'
expect bogus.lab.test MX SERVFAIL 0 ''
expect _25._tcp.tb.lab.test TLSA SERVFAIL 0 ''
expect tb.lab.test A NOERROR 1 'tb.lab.test. A 127.77.0.1'
expect nonexistent.lab.test A NXDOMAIN 1 ''
expect 1.0.77.127.in-addr.arpa PTR NOERROR 0 '1.0.77.127.in-addr.arpa. PTR mx1.lab.test.'

# The rest of the contract (lab/README.md), one question each.
expect one.lab.test MX NOERROR 1 'one.lab.test. MX 10 mx1.lab.test.'
expect mx1.lab.test A NOERROR 1 'mx1.lab.test. A 127.77.0.1'
expect mxa.lab.test A NOERROR 1 'mxa.lab.test. A 127.77.1.1'
expect mxd.lab.test A NOERROR 1 'mxd.lab.test. A 127.77.1.4'
expect dane-ee.lab.test MX NOERROR 1 'dane-ee.lab.test. MX 10 ee.lab.test.'
expect ee.lab.test A NOERROR 1 'ee.lab.test. A 127.77.0.7'
expect dane-ta.lab.test MX NOERROR 1 'dane-ta.lab.test. MX 10 ta.lab.test.'
expect ta.lab.test A NOERROR 1 'ta.lab.test. A 127.77.1.10'
expect _25._tcp.ta.lab.test TLSA NOERROR 1 "_25._tcp.ta.lab.test. TLSA 2 1 1 $LAB_TLSA_INT_211"
expect _25._tcp.ta-wrong.lab.test TLSA NOERROR 1 "_25._tcp.ta-wrong.lab.test. TLSA 2 1 1 $LAB_TLSA_INT_211"
expect ta-wrong.lab.test A NOERROR 1 'ta-wrong.lab.test. A 127.77.1.10'
ask _25._tcp.nomatch.lab.test TLSA
if [ "$rcode$ad" = NOERROR1 ] && [ -n "$answer" ] && [ "${answer##* }" != "$LAB_TLSA_GOOD_311" ]; then
	ok "drill _25._tcp.nomatch.lab.test TLSA (another key)"
else
	fail "drill _25._tcp.nomatch.lab.test TLSA" "rcode $rcode ad $ad answer '$answer'"
fi
int001=$(openssl x509 -in "$LAB_PKI/int.pem" -outform DER | sha256sum | cut -c1-64)
expect _25._tcp.pkix.lab.test TLSA NOERROR 1 \
    "_25._tcp.pkix.lab.test. TLSA 0 0 1 $int001|_25._tcp.pkix.lab.test. TLSA 1 1 1 $LAB_TLSA_GOOD_311"
ask _25._tcp.roll.lab.test TLSA
case "|$answer|" in
*"|_25._tcp.roll.lab.test. TLSA 3 1 1 $LAB_TLSA_GOOD_311|"*)
	if [ "$rcode$ad" = NOERROR1 ] && [ "$(echo "$answer" | tr '|' '\n' | grep -c ' TLSA 3 1 1 ')" = 2 ]; then
		ok "drill _25._tcp.roll.lab.test TLSA (current and next)"
	else
		fail "drill _25._tcp.roll.lab.test TLSA" "rcode $rcode ad $ad answer '$answer'"
	fi ;;
*) fail "drill _25._tcp.roll.lab.test TLSA" "no record of the good leaf: '$answer'" ;;
esac
expect split.lab.test A NOERROR 1 'split.lab.test. A 127.77.0.1|split.lab.test. A 127.77.0.2'
expect _25._tcp.split.lab.test TLSA NOERROR 1 "_25._tcp.split.lab.test. TLSA 3 1 1 $LAB_TLSA_GOOD_311"
expect notls-dane.lab.test A NOERROR 1 'notls-dane.lab.test. A 127.77.0.40'
expect _25._tcp.notls-dane.lab.test TLSA NOERROR 1 "_25._tcp.notls-dane.lab.test. TLSA 3 1 1 $LAB_TLSA_GOOD_311"
expect tlsa-bogus.lab.test MX NOERROR 1 'tlsa-bogus.lab.test. MX 10 tb.lab.test.'
expect tlsa-insecure.lab.test MX NOERROR 1 'tlsa-insecure.lab.test. MX 10 mx.insecure.lab.test.'
expect _25._tcp.mx.insecure.lab.test TLSA NOERROR 0 "_25._tcp.mx.insecure.lab.test. TLSA 3 1 1 $LAB_TLSA_GOOD_311"
expect plain.insecure.lab.test MX NOERROR 0 'plain.insecure.lab.test. MX 10 mx1.lab.test.'
expect nullmx.lab.test MX NOERROR 1 'nullmx.lab.test. MX 0 .'
expect implicit.lab.test MX NOERROR 1 ''
expect implicit.lab.test A NOERROR 1 'implicit.lab.test. A 127.77.0.1'
expect cname-mx.lab.test MX NOERROR 1 'cname-mx.lab.test. MX 10 alias-mx.lab.test.'
expect alias-mx.lab.test A NOERROR 1 'alias-mx.lab.test. CNAME mx1.lab.test.|mx1.lab.test. A 127.77.0.1'
expect cname-domain.lab.test MX NOERROR 1 'cname-domain.lab.test. CNAME one.lab.test.|one.lab.test. MX 10 mx1.lab.test.'
expect cname-ee.lab.test MX NOERROR 1 'cname-ee.lab.test. MX 10 ee-alias.lab.test.'
expect ee-alias.lab.test A NOERROR 1 'ee-alias.lab.test. CNAME ee.lab.test.|ee.lab.test. A 127.77.0.7'
expect v6.lab.test MX NOERROR 1 'v6.lab.test. MX 10 v6mx.lab.test.'
expect v6mx.lab.test AAAA NOERROR 1 'v6mx.lab.test. AAAA ::1'
expect v6mx.lab.test A NOERROR 1 'v6mx.lab.test. A 127.77.1.1'
expect dead.lab.test MX NOERROR 1 'dead.lab.test. MX 10 dead-mx.lab.test.|dead.lab.test. MX 20 mx1.lab.test.'
expect dead-mx.lab.test A NOERROR 1 'dead-mx.lab.test. A 127.77.1.99'
expect nostarttls.lab.test MX NOERROR 1 'nostarttls.lab.test. MX 10 notls.lab.test.'
expect notls.lab.test A NOERROR 1 'notls.lab.test. A 127.77.0.40'
expect nocert.lab.test MX NOERROR 1 'nocert.lab.test. MX 10 nocert.lab.test.'
expect nocert.lab.test A NOERROR 1 'nocert.lab.test. A 127.77.0.20'
expect selfsigned.lab.test MX NOERROR 1 'selfsigned.lab.test. MX 10 self.lab.test.'
expect self.lab.test A NOERROR 1 'self.lab.test. A 127.77.0.7'
expect ipmx.lab.test MX NOERROR 1 'ipmx.lab.test. MX 10 127.77.0.1.'
expect noaddr.lab.test MX NOERROR 1 'noaddr.lab.test. MX 10 noaddr-mx.lab.test.'
expect noaddr-mx.lab.test A NOERROR 1 ''
expect noaddr-mx.lab.test AAAA NOERROR 1 ''
expect mail.lab.test A NOERROR 1 'mail.lab.test. A 127.77.0.30'
expect bogus-addr.lab.test MX NOERROR 1 'bogus-addr.lab.test. MX 10 mx.bogus.lab.test.'
expect mx.bogus.lab.test A SERVFAIL 0 ''
expect cname-unsigned.lab.test MX NOERROR 1 'cname-unsigned.lab.test. MX 10 to-unsigned.lab.test.'
expect to-unsigned.lab.test A NOERROR 0 'mx.insecure.lab.test. A 127.77.0.1|to-unsigned.lab.test. CNAME mx.insecure.lab.test.'
expect cname-via-unsigned.lab.test MX NOERROR 1 'cname-via-unsigned.lab.test. MX 10 via-unsigned.lab.test.'
expect via-unsigned.lab.test A NOERROR 0 \
    'back.insecure.lab.test. CNAME mx1.lab.test.|mx1.lab.test. A 127.77.0.1|via-unsigned.lab.test. CNAME back.insecure.lab.test.'
expect null-mixed.lab.test MX NOERROR 1 'null-mixed.lab.test. MX 0 .|null-mixed.lab.test. MX 10 mx1.lab.test.'
expect dup-mx.lab.test MX NOERROR 1 'dup-mx.lab.test. MX 10 mx1.lab.test.|dup-mx.lab.test. MX 50 mx1.lab.test.'
expect many-mx.lab.test MX NOERROR 1 \
    "$(for i in $(seq -w 1 18); do echo "many-mx.lab.test. MX $((10#$i)) m$i.lab.test."; done | sort | tr '\n' '|' | sed 's/|$//')"
expect m01.lab.test A NOERROR 1 'm01.lab.test. A 127.77.1.1'
expect m18.lab.test A NOERROR 1 'm18.lab.test. A 127.77.1.1'
expect dane-badlen.lab.test MX NOERROR 1 'dane-badlen.lab.test. MX 10 badlen.lab.test.'
expect badlen.lab.test A NOERROR 1 'badlen.lab.test. A 127.77.0.1'
expect _25._tcp.badlen.lab.test TLSA NOERROR 1 "_25._tcp.badlen.lab.test. TLSA 3 1 1 ${LAB_TLSA_GOOD_311:0:62}"
expect weak-backup.lab.test MX NOERROR 1 'weak-backup.lab.test. MX 10 ee.lab.test.|weak-backup.lab.test. MX 20 notls.lab.test.'
expect 10.1.77.127.in-addr.arpa PTR NOERROR 0 '10.1.77.127.in-addr.arpa. PTR other.lab.test.'
expect 1.1.77.127.in-addr.arpa PTR NOERROR 0 '1.1.77.127.in-addr.arpa. PTR mxa.lab.test.'
# Nothing outside the lab is asked for: answered at once by the resolver itself.
expect example.com A NXDOMAIN 0 ''

# tlsa-ee: the TLSA data against what the server really serves, computed here.
served=$(timeout 10 openssl s_client -connect 127.77.0.7:25 -starttls smtp -servername ee.lab.test \
    </dev/null 2>/dev/null | openssl x509 -noout -pubkey 2>/dev/null |
    openssl pkey -pubin -outform DER 2>/dev/null | sha256sum | cut -c1-64)
ask _25._tcp.ee.lab.test TLSA
if [ -n "$served" ] && [ "$answer" = "_25._tcp.ee.lab.test. TLSA 3 1 1 $served" ] &&
   [ "$served" = "$LAB_TLSA_SELFSIGNED_311" ]; then
	ok "tlsa-ee (3 1 1 = SPKI SHA-256 of the certificate 127.77.0.7:25 serves)"
else
	fail tlsa-ee "served $served, TLSA '$answer', lab.env $LAB_TLSA_SELFSIGNED_311"
fi

# posttls-finger: Postfix's DANE client, with the lab resolver as its only resolver.
# glibc strips the AD bit unless resolv.conf trusts the server (options trust-ad).
if ! command -v posttls-finger >/dev/null || ! command -v unshare >/dev/null; then
	fail posttls-finger "posttls-finger (postfix) or unshare (util-linux) missing"
elif ! timeout 5 unshare --mount true 2>/dev/null; then
	fail posttls-finger "unshare --mount is not allowed here (needs CAP_SYS_ADMIN)"
else
	mkdir -p "$T/pf"
	printf '%s\n' 'compatibility_level = 3.6' 'smtp_dns_support_level = dnssec' \
	    'smtp_host_lookup = dns' 'inet_protocols = ipv4' >"$T/pf/main.cf"
	printf 'nameserver %s\noptions trust-ad\n' "$LAB_DNS_RESOLVER" >"$T/pf/resolv.conf"
	# finger DOMAIN - posttls-finger -l dane DOMAIN's log, in the namespace
	finger() {
		# shellcheck disable=SC2016 # expanded by the inner sh, from its arguments
		timeout 20 unshare --mount sh -c '
			mount --bind "$1/resolv.conf" /etc/resolv.conf || exit 99
			MAIL_CONFIG=$1 exec posttls-finger -c -l dane -t 5 -T 5 "$2"' \
		    sh "$T/pf" "$1" 2>&1
	}
	# pf DOMAIN PATTERN WHAT - the log holds PATTERN (a grep -E expression)
	pf() {
		local out
		out=$(finger "$1")
		if echo "$out" | grep -Eq "$2"; then
			ok "posttls-finger $1: $3"
		else
			fail "posttls-finger $1" "no '$2' in: $(echo "$out" | tail -n 3 | tr '\n' ' ')"
		fi
	}
	pf dane-ee.lab.test '^posttls-finger: Verified TLS connection established to ee\.lab\.test\[127\.77\.0\.7\]:25' \
	    "Verified (DANE-EE)"
	pf dane-ta.lab.test '^posttls-finger: Verified TLS connection established to ta\.lab\.test\[127\.77\.1\.10\]:25' \
	    "Verified (DANE-TA)"
	pf dane-ta-wrongname.lab.test 'Untrusted TLS connection established to ta-wrong\.lab\.test' \
	    "Untrusted (DANE-TA, name not in the certificate)"
	pf dane-nomatch.lab.test 'no matching DANE TLSA records' "no matching TLSA record"
	pf tlsa-bogus.lab.test 'TLSA lookup error for tb\.lab\.test' "TLSA lookup error (bogus)"
	pf cname-ee.lab.test '^posttls-finger: Verified TLS connection established to ee(-alias)?\.lab\.test' \
	    "Verified (DANE-EE through a CNAME)"
fi

echo
echo "dns: $pass passed, $failn failed"
[ "$failn" -eq 0 ] && [ "$pass" -gt 0 ]
