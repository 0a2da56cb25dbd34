#!/bin/bash
# domain.sh - `mailtls domain` against the lab's DNS world (lab/dns.sh, lab/templates/*.zone.in):
#   table	per domain of the lab's contract, in JSON: the exit code, the outcome per sender
#		level (may encrypt dane mta-sts verify secure), the domain's findings that are not ok
#		(id:severity, counted) and the warning and critical findings of the servers
#	facts	the MX host order, the DNSSEC status of the MX, A and TLSA lookups, the DANE
#		facts per address, the TLSA base through a CNAME, the addresses with -4 and -6
#	levels	--level may, verify and secure: the severities the level calls for
#	text	the text report of the same runs: the "Outcome per sender level" lines, the
#		"Verdict: X at level L" line, and every finding of the JSON (by id, counted)
#	errors	a bad domain argument (exit 3, one line on stderr) and a resolver that does not
#		answer (exit 3, "Could not check" in text, checked false in JSON, in bounded time)
#	safety	no unsafe byte on stdout or stderr (safety.sh)
# Every assertion prints `ok NAME` or `FAIL NAME: why`; the last line is
# `domain: N passed, N failed` (exit 1 on any failure).
#
# usage: domain.sh BUILD_DIR
# The lab is started in a fresh temporary directory and stopped on exit (only its own PIDs);
# one lab runs on a machine at a time: run this under `flock /tmp/mailtls-lab.lock`.
# DNS questions go only to the lab resolver (--resolver $LAB_DNS_RESOLVER, trust anchor
# $LAB_DNS_TA); the unanswered-resolver case sends them to 127.0.0.1 port 1, nowhere.
# Every mailtls run is bounded by timeout(1).
#
# ENVIRONMENT
#	MAILTLS_RUNNER	a wrapper to run every mailtls under (the valgrind suite of
#			tests/meson.build sets it, as for run.sh); time limits are then
#			multiplied by MAILTLS_RUNNER_SLOWDOWN (default 10)
#	VALGRIND=1	the same with valgrind -q --error-exitcode=99 --leak-check=full
#			--errors-for-leak-kinds=definite (when MAILTLS_RUNNER is not set)
#	With a wrapper, a memory error or leak makes mailtls exit 99 and prints on stderr:
#	every run here asserts its exit code and an empty stderr, so both fail the case.
set -u
BUILD=$(cd "${1:?usage: domain.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
MAILTLS="$BUILD/src/mailtls"
export FAULTD="$BUILD/lab/faultd"
# shellcheck source=tests/integration/safety.sh
. "$HERE/safety.sh"
# shellcheck source=tests/integration/harness.sh
. "$HERE/harness.sh"
runner_init
lab_start domain

# The options every run shares: the lab resolver and its trust anchor, the lab's root.
# MTA-STS is mtasts.sh's: here --no-mta-sts (the mta-sts level is then as may).
COMMON=(--resolver "$LAB_DNS_RESOLVER" --trust-anchor "$LAB_DNS_TA" --ca-file "$LAB_CA" --timeout 5
	--no-mta-sts)
LIMIT=$((30 * SLOWDOWN))   # seconds for one run (a domain here takes well under 1 s)

DOMF='.findings[] | select(.severity != "ok") | .id + ":" + .severity'
SRVF='.mx_hosts[].addresses[].server // empty | .findings[]
	| select(.severity == "critical" or .severity == "warning") | .id + ":" + .severity'
OUTCOMES='[.outcomes | to_entries[] | .key + "=" + .value.outcome] | join(" ")'

# domain TAG DOMAIN EXIT OUTCOMES DOMAIN_FINDINGS SERVER_FINDINGS [OPTIONS...] - mailtls domain
# DOMAIN --format json with the common options and OPTIONS: the exit code (and exit_code),
# the outcomes of the six levels in order, the domain's findings that are not ok and the
# servers' warning and critical findings, as id:severity with counts (id:sev*N), in any
# order. OUTCOMES or DOMAIN_FINDINGS "-": not compared (the facts that follow say what is
# asserted instead). The JSON stays in $T/TAG.out for the checks that follow (fact).
domain() {
	local tag=$1 name=$2 want_exit=$3 want_out=$4 want_df want_sf got_out got_df got_sf
	want_df=-
	[ "$5" = - ] || want_df=$(expand "$5")
	want_sf=$(expand "$6")
	shift 6
	run "$tag" domain "$name" "${COMMON[@]}" --format json "$@" || return
	if [ "$code" != "$want_exit" ] || [ -s "$T/$tag.err" ]; then
		fail "$tag" "exit $code (want $want_exit), stderr: $(head -c 600 "$T/$tag.err")"
		return
	fi
	if ! jq -e --argjson c "$want_exit" --arg d "$name" \
	    '.mode == "domain" and .domain == $d and .exit_code == $c and .checked == true' \
	    "$T/$tag.out" >/dev/null 2>&1; then
		fail "$tag" "not a checked domain result for $name with exit_code $want_exit: $(head -c 300 "$T/$tag.out")"
		return
	fi
	got_out=$(jq -r "$OUTCOMES" "$T/$tag.out")
	[ "$want_out" = - ] && got_out=-
	got_df=$(jq_list "$T/$tag.out" "$DOMF")
	[ "$want_df" = - ] && got_df=-
	got_sf=$(jq_list "$T/$tag.out" "$SRVF")
	if [ "$got_out" != "$want_out" ]; then
		fail "$tag" "outcomes '$got_out', want '$want_out'"
	elif [ "$got_df" != "$want_df" ]; then
		fail "$tag" "domain findings '$got_df', want '$want_df'"
	elif [ "$got_sf" != "$want_sf" ]; then
		fail "$tag" "server findings '$got_sf', want '$want_sf'"
	else
		ok "$tag"
	fi
}


I=info W=warning C=critical
ENC="may=encrypted encrypt=encrypted"
UNREACH="may=unreachable encrypt=unreachable dane=unreachable mta-sts=unreachable verify=unreachable secure=unreachable"

# The table (all names under lab.test).
domain multi multi.lab.test 0 "$ENC dane=encrypted mta-sts=encrypted verify=authenticated secure=deferred" \
    "dane.no-tlsa:$I*4 cert.nexthop-mismatch:$I*4" ""
fact multi "MX hosts by preference: mxa 10, mxb 20, then mxc and mxd at 30" \
    '[.mx_hosts[] | .name + "/" + (.preference | tostring)]
     | .[0:2] == ["mxa.lab.test/10", "mxb.lab.test/20"]
       and (.[2:] | sort) == ["mxc.lab.test/30", "mxd.lab.test/30"]'
fact multi "mail goes to mxa at every level that delivers" \
    '[.outcomes[] | .via] == ["mxa.lab.test", "mxa.lab.test", "mxa.lab.test", "mxa.lab.test", "mxa.lab.test", null]'
text multi multi.lab.test
domain one one.lab.test 0 "$ENC dane=encrypted mta-sts=encrypted verify=authenticated secure=deferred" \
    "dane.no-tlsa:$I cert.nexthop-mismatch:$I" ""
fact one "MX, A and TLSA (NXDOMAIN) secure" \
    '.dns.mx.status == "secure" and .mx_hosts[0].dns.a.status == "secure"
     and .mx_hosts[0].dns.tlsa.status == "secure" and .mx_hosts[0].dns.tlsa.nxdomain'
fact one "port 25, validating, nothing omitted, the worst outcomes those of the domain" \
    '.port == 25 and .validating == true and .null_mx_mixed == false and .hosts_omitted == 0
     and .mx_hosts[0].tlsa_omitted == 0 and .mx_hosts[0].addresses_omitted == 0
     and .outcomes_worst == (.outcomes | map_values(.outcome))'
domain dane-ee dane-ee.lab.test 0 "$ENC dane=authenticated mta-sts=encrypted verify=deferred secure=deferred" \
    "mx.ptr-differs:$I cert.nexthop-mismatch:$I" ""
fact dane-ee "dane.match ok; TLSA secure; DANE-EE(3) at depth 0" \
    '([.findings[] | select(.id == "dane.match") | .severity] == ["ok"])
     and .mx_hosts[0].dns.tlsa.status == "secure"
     and .mx_hosts[0].tlsa_base == "ee.lab.test"
     and .mx_hosts[0].addresses[0].dane == {"applies": true, "checked": true,
         "authenticated": true, "depth": 0, "usage": 3, "error": null}'
text dane-ee dane-ee.lab.test
domain dane-ta dane-ta.lab.test 0 "$ENC dane=authenticated mta-sts=encrypted verify=authenticated secure=deferred" \
    "mx.ptr-differs:$I cert.nexthop-mismatch:$I" ""
fact dane-ta "dane.match ok; DANE-TA(2)" \
    '([.findings[] | select(.id == "dane.match") | .severity] == ["ok"])
     and .mx_hosts[0].addresses[0].dane.authenticated and .mx_hosts[0].addresses[0].dane.usage == 2'
domain dane-ta-wrongname dane-ta-wrongname.lab.test 2 "$ENC dane=deferred mta-sts=encrypted verify=deferred secure=deferred" \
    "mx.ptr-differs:$I dane.verify-failed:$C mx.sender-defers:$C cert.nexthop-mismatch:$I" ""
fact dane-ta-wrongname "DANE checked, not authenticated, with OpenSSL's reason" \
    '.mx_hosts[0].addresses[0].dane | .applies and .checked and (.authenticated | not)
     and (.error | type == "string")'
domain dane-nomatch dane-nomatch.lab.test 2 "$ENC dane=deferred mta-sts=encrypted verify=deferred secure=deferred" \
    "mx.ptr-differs:$I dane.no-match:$C mx.sender-defers:$C cert.nexthop-mismatch:$I" ""
domain dane-pkix dane-pkix.lab.test 1 "$ENC dane=encrypted mta-sts=encrypted verify=deferred secure=deferred" \
    "mx.ptr-differs:$I dane.unusable-only:$W cert.nexthop-mismatch:$I" ""
fact dane-pkix "two TLSA records, none usable" \
    '[.mx_hosts[0].tlsa_records[] | .usable] == [false, false]'
domain dane-rollover dane-rollover.lab.test 0 "$ENC dane=authenticated mta-sts=encrypted verify=deferred secure=deferred" \
    "mx.ptr-differs:$I dane.rollover:$I cert.nexthop-mismatch:$I" ""
domain dane-partial dane-partial.lab.test 1 "$ENC dane=authenticated mta-sts=encrypted verify=deferred secure=deferred" \
    "mx.ptr-differs:$I*2 dane.no-match:$W dane.partial:$W mx.addresses-differ:$W cert.nexthop-mismatch:$I*2" ""
# (addresses sorted: IPv4 first, then by address, whatever order the resolver gives)
fact dane-partial "two addresses in address order: one authenticated, one deferred at dane" \
    '[.mx_hosts[0].addresses[] | .address + "=" + .outcomes.dane]
     == ["127.77.0.1=authenticated", "127.77.0.2=deferred"]'
text dane-partial dane-partial.lab.test
domain dane-nostarttls dane-nostarttls.lab.test 2 \
    "may=plaintext encrypt=deferred dane=deferred mta-sts=plaintext verify=deferred secure=deferred" \
    "dane.starttls-missing:$C mx.sender-defers:$C" "starttls.not-offered:$C"
domain tlsa-bogus tlsa-bogus.lab.test 2 "$ENC dane=deferred mta-sts=encrypted verify=deferred secure=deferred" \
    "mx.ptr-differs:$I dane.tlsa-bogus:$C mx.sender-defers:$C cert.nexthop-mismatch:$I" ""
fact tlsa-bogus "MX and A secure, TLSA bogus" \
    '.dns.mx.status == "secure" and .mx_hosts[0].dns.a.status == "secure"
     and .mx_hosts[0].dns.tlsa.status == "bogus" and (.mx_hosts[0].dns.tlsa.why_bogus | type == "string")'
text tlsa-bogus tlsa-bogus.lab.test
domain tlsa-insecure tlsa-insecure.lab.test 1 "$ENC dane=encrypted mta-sts=encrypted verify=deferred secure=deferred" \
    "mx.ptr-differs:$I dane.tlsa-insecure:$W cert.nexthop-mismatch:$I" ""
fact tlsa-insecure "MX secure, A and TLSA insecure, the record read all the same" \
    '.dns.mx.status == "secure" and .mx_hosts[0].dns.a.status == "insecure"
     and .mx_hosts[0].dns.tlsa.status == "insecure" and (.mx_hosts[0].tlsa_records | length) == 1'
domain plain.insecure plain.insecure.lab.test 0 "$ENC dane=encrypted mta-sts=encrypted verify=authenticated secure=deferred" \
    "dns.insecure:$I cert.nexthop-mismatch:$I" ""
fact plain.insecure "MX insecure, the host's A secure" \
    '.dns.mx.status == "insecure" and .mx_hosts[0].dns.a.status == "secure"'
domain bogus bogus.lab.test 2 \
    "may=deferred encrypt=deferred dane=deferred mta-sts=deferred verify=deferred secure=deferred" "dns.bogus:$C" ""
fact bogus "MX bogus: signature expired, no MX host" \
    '.dns.mx.status == "bogus" and (.dns.mx.why_bogus | contains("signature expired"))
     and ([.findings[] | select(.id == "dns.bogus") | .message | contains("signature expired")] == [true])
     and .mx_hosts == []'
text bogus bogus.lab.test
domain nullmx nullmx.lab.test 0 "may=none encrypt=none dane=none mta-sts=none verify=none secure=none" "mx.null:$I" ""
fact nullmx "null_mx at preference 0, not mixed, no MX host" \
    '.null_mx and .null_mx_preference == 0 and (.null_mx_mixed | not) and .mx_hosts == []'
text nullmx nullmx.lab.test
domain implicit implicit.lab.test 1 "$ENC dane=encrypted mta-sts=encrypted verify=deferred secure=deferred" \
    "mx.implicit:$W mx.ptr-differs:$I dane.no-tlsa:$I cert.nexthop-mismatch:$I" ""
fact implicit "no MX (NODATA, secure): the domain is its own MX" \
    '.implicit_mx and .dns.mx.nodata and .dns.mx.status == "secure"
     and [.mx_hosts[] | [.name, .implicit]] == [["implicit.lab.test", true]]'
domain cname-mx cname-mx.lab.test 1 "$ENC dane=encrypted mta-sts=encrypted verify=authenticated secure=deferred" \
    "mx.cname:$W dane.no-tlsa:$I cert.nexthop-mismatch:$I" ""
fact cname-mx "the MX target is an alias of mx1.lab.test" \
    '.mx_hosts[0] | .name == "alias-mx.lab.test" and .canonical == "mx1.lab.test" and .canonical_secure'
domain cname-domain cname-domain.lab.test 0 "$ENC dane=encrypted mta-sts=encrypted verify=authenticated secure=deferred" \
    "mx.domain-cname:$I dane.no-tlsa:$I cert.nexthop-mismatch:$I" ""
fact cname-domain "the MX answer follows the domain's CNAME to one.lab.test" \
    '.dns.mx.cnames == ["cname-domain.lab.test"] and .dns.mx.canonical == "one.lab.test"
     and [.mx_hosts[].name] == ["mx1.lab.test"]'
domain cname-ee cname-ee.lab.test 1 "$ENC dane=authenticated mta-sts=encrypted verify=deferred secure=deferred" \
    "mx.cname:$W mx.ptr-differs:$I cert.nexthop-mismatch:$I" ""
fact cname-ee "TLSA base is the CNAME target ee.lab.test" \
    '.mx_hosts[0].tlsa_base == "ee.lab.test" and .mx_hosts[0].dns.tlsa.name == "_25._tcp.ee.lab.test"
     and .mx_hosts[0].dns.tlsa.status == "secure"'
text cname-ee cname-ee.lab.test

# v6mx.lab.test has A 127.77.1.1 and AAAA ::1; lab.sh listens on [::1]:25 only when lo has ::1.
if [ "${LAB_HAVE_IPV6:-0}" = 1 ]; then
	domain v6 v6.lab.test 0 "$ENC dane=encrypted mta-sts=encrypted verify=authenticated secure=deferred" \
	    "mx.ptr-differs:$I*2 dane.no-tlsa:$I cert.nexthop-mismatch:$I*2" ""
	fact v6 "both addresses checked, IPv4 first, both authenticated at verify" \
	    '[.mx_hosts[0].addresses[] | .address + "/" + (.family | tostring) + "=" + .outcomes.verify]
	     == ["127.77.1.1/4=authenticated", "::1/6=authenticated"]'
	domain v6-only6 v6.lab.test 0 "$ENC dane=encrypted mta-sts=encrypted verify=authenticated secure=deferred" \
	    "mx.ptr-differs:$I dane.no-tlsa:$I cert.nexthop-mismatch:$I" "" -6
	fact v6-only6 "-6: ::1 only" '[.mx_hosts[].addresses[].address] == ["::1"]'
else
	# Derived from lib/verdict.c, not run on a machine with IPv6: ::1 unreachable (nothing
	# listens), the host still delivers through 127.77.1.1, so its addresses differ and
	# the connection failure is a warning.
	domain v6 v6.lab.test 1 "$ENC dane=encrypted mta-sts=encrypted verify=authenticated secure=deferred" \
	    "mx.ptr-differs:$I*2 dane.no-tlsa:$I mx.addresses-differ:$W cert.nexthop-mismatch:$I" \
	    "conn.refused:$W"
	fact v6 "::1 unreachable, 127.77.1.1 (first) authenticated at verify" \
	    '[.mx_hosts[0].addresses[] | .address + "=" + .outcomes.verify]
	     == ["127.77.1.1=authenticated", "::1=unreachable"]'
fi
domain v6-only4 v6.lab.test 0 "$ENC dane=encrypted mta-sts=encrypted verify=authenticated secure=deferred" \
    "mx.ptr-differs:$I dane.no-tlsa:$I cert.nexthop-mismatch:$I" "" -4
fact v6-only4 "-4: 127.77.1.1 only" '[.mx_hosts[].addresses[].address] == ["127.77.1.1"]'

domain dead dead.lab.test 1 "$ENC dane=encrypted mta-sts=encrypted verify=authenticated secure=deferred" \
    "dane.no-tlsa:$I*2 mx.backup-used:$W cert.nexthop-mismatch:$I" "conn.refused:$W"
fact dead "mail goes to the backup mx1.lab.test" \
    '[.outcomes[] | .via] == ["mx1.lab.test", "mx1.lab.test", "mx1.lab.test", "mx1.lab.test", "mx1.lab.test", null]
     and [.mx_hosts[] | .outcomes.may] == ["unreachable", "encrypted"]'
text dead dead.lab.test
domain nostarttls nostarttls.lab.test 1 \
    "may=plaintext encrypt=deferred dane=plaintext mta-sts=plaintext verify=deferred secure=deferred" \
    "mx.ptr-differs:$I dane.no-tlsa:$I" "starttls.not-offered:$W"
text nostarttls nostarttls.lab.test
domain nocert nocert.lab.test 1 \
    "may=plaintext encrypt=deferred dane=plaintext mta-sts=plaintext verify=deferred secure=deferred" \
    "dane.no-tlsa:$I" "tls.handshake-failed:$W"
domain selfsigned selfsigned.lab.test 0 "$ENC dane=encrypted mta-sts=encrypted verify=deferred secure=deferred" \
    "dane.no-tlsa:$I cert.nexthop-mismatch:$I" ""
domain ipmx ipmx.lab.test 2 "$UNREACH" "mx.ip-literal:$C mx.sender-defers:$C" ""
fact ipmx "the MX target is an IP literal, not checked" \
    '.mx_hosts[0] | .ip_literal and .addresses == []'
domain noaddr noaddr.lab.test 2 "$UNREACH" "mx.no-address:$C mx.sender-defers:$C" ""
domain nonexistent nonexistent.lab.test 2 "$UNREACH" "dns.nxdomain:$C" ""
fact nonexistent "NXDOMAIN, secure (proven absence)" '.dns.mx.nxdomain and .dns.mx.status == "secure"'
text nonexistent nonexistent.lab.test

# The review cases (lib/verdict.c, "Review fixes (domain)").
# An MX host whose A and AAAA answers are bogus (in the bogus child zone): the records are
# never used; validating senders get SERVFAIL and defer at every level.
# mx.no-address, raised as well, is not asserted: the host has address records, they are
# bogus (reported to the lead).
domain bogus-addr bogus-addr.lab.test 2 \
    "may=deferred encrypt=deferred dane=deferred mta-sts=deferred verify=deferred secure=deferred" - ""
fact bogus-addr "A and AAAA bogus, no address used, the host deferred at every level" \
    '.dns.mx.status == "secure" and (.mx_hosts | length) == 1
     and (.mx_hosts[0] | .name == "mx.bogus.lab.test" and .dns.a.status == "bogus"
          and .dns.aaaa.status == "bogus" and .addresses == [] and .tlsa_records == []
          and ([.outcomes[]] | unique) == ["deferred"])
     and ([.outcomes_worst[]] | unique) == ["deferred"]'
fact bogus-addr "dns.bogus critical about the host (A and AAAA, the validator's reason), mx.sender-defers" \
    '([.findings[] | .id + ":" + .severity + ":" + (.subject.host // "-")]
      | sort) == ["dns.bogus:critical:mx.bogus.lab.test", "dns.bogus:critical:mx.bogus.lab.test",
                  "mx.sender-defers:critical:-"]
     and ([.findings[] | select(.id == "dns.bogus") | .message | contains("signature expired")]
          == [true, true])'
text bogus-addr bogus-addr.lab.test

# An MX host that is a CNAME into the unsigned zone (mx.insecure.lab.test, the good
# certificate): the expansion is not secure, so it is no identity, no DANE-TA name, and the
# address records are insecure (DANE does not apply). At verify the certificate would not
# name the expansion anyway: deferred.
domain cname-unsigned-verify cname-unsigned.lab.test 2 "$ENC dane=encrypted mta-sts=encrypted verify=deferred secure=deferred" \
    "mx.cname:$W mx.ptr-differs:$I dane.address-insecure:$I mx.sender-defers:$C cert.nexthop-mismatch:$I" \
    "cert.name-mismatch:$C" --level verify
fact cname-unsigned-verify "expansion mx.insecure.lab.test not secure: the MX name only is checked" \
    '.mx_hosts[0] | .name == "to-unsigned.lab.test" and .canonical == "mx.insecure.lab.test"
     and .canonical_secure == false and .dns.a.status == "insecure"
     and .dane_names == ["to-unsigned.lab.test"]
     and .addresses[0].server.reference_names == ["to-unsigned.lab.test"]'
text cname-unsigned-verify cname-unsigned.lab.test --level verify
# Through the unsigned zone back to mx1.lab.test, a name the certificate holds: the
# expansion was learned through unsigned DNS, so verify still defers.
domain cname-via-unsigned-verify cname-via-unsigned.lab.test 2 \
    "$ENC dane=encrypted mta-sts=encrypted verify=deferred secure=deferred" \
    "mx.cname:$W dane.address-insecure:$I mx.sender-defers:$C cert.nexthop-mismatch:$I" \
    "cert.name-mismatch:$C" --level verify
fact cname-via-unsigned-verify "expansion mx1.lab.test (in the certificate) not secure: no identity" \
    '.mx_hosts[0] | .name == "via-unsigned.lab.test" and .canonical == "mx1.lab.test"
     and .canonical_secure == false and .dane_names == ["via-unsigned.lab.test"]
     and any(.addresses[0].server.chain[0].dns_names[]; . == "mx1.lab.test")
     and .addresses[0].outcomes.verify == "deferred"'
text cname-via-unsigned-verify cname-via-unsigned.lab.test --level verify

# MX 0 . among other MX records: as Postfix, the answer is a null MX (the domain accepts no
# mail) and the other host is not checked; RFC 7505 forbids the mix: a warning.
domain null-mixed null-mixed.lab.test 1 \
    "may=none encrypt=none dane=none mta-sts=none verify=none secure=none" \
    "mx.null-mixed:$W mx.null:$I" ""
fact null-mixed "a null MX, mixed, no host checked" \
    '.null_mx and .null_mx_mixed and .null_mx_preference == 0 and (.mx_hosts | length) == 0'
text null-mixed null-mixed.lab.test

# The same MX host at preferences 50 and 10: one host, at 10.
domain dup-mx dup-mx.lab.test 0 "$ENC dane=encrypted mta-sts=encrypted verify=authenticated secure=deferred" \
    "dane.no-tlsa:$I cert.nexthop-mismatch:$I" ""
fact dup-mx "one host, preference 10, one address" \
    '[.mx_hosts[] | .name + "/" + (.preference | tostring)] == ["mx1.lab.test/10"]
     and [.mx_hosts[0].addresses[].address] == ["127.77.0.1"]'

# 18 MX hosts on one address: the 16 most preferred checked, in order.
domain many-mx many-mx.lab.test 0 "$ENC dane=encrypted mta-sts=encrypted verify=deferred secure=deferred" \
    "mx.truncated:$I mx.ptr-differs:$I*16 dane.no-tlsa:$I*16 cert.nexthop-mismatch:$I*16" ""
fact many-mx "m01..m16 at preferences 1..16, each checked; 2 omitted" \
    '[.mx_hosts[] | .name + "/" + (.preference | tostring)]
     == [range(1; 17) | "m" + (if . < 10 then "0" else "" end) + tostring + ".lab.test/" + tostring]
     and ([.mx_hosts[] | .addresses | length] | unique) == [1]
     and ([.mx_hosts[].addresses[].server.checked] | unique) == [true]
     and .hosts_omitted == 2
     and ([.findings[] | select(.id == "mx.truncated") | .message]
          == ["many-mx.lab.test has 18 MX hosts: the 2 least preferred were not checked"])'
text many-mx many-mx.lab.test

# TLSA 3 1 1 with 31 bytes of data (SHA-256 is 32): unusable; DANE senders require TLS
# without authentication.
domain dane-badlen dane-badlen.lab.test 1 "$ENC dane=encrypted mta-sts=encrypted verify=deferred secure=deferred" \
    "mx.ptr-differs:$I dane.unusable-only:$W cert.nexthop-mismatch:$I" ""
fact dane-badlen "one 3 1 1 record of 31 bytes, not usable, not given to OpenSSL; DANE does not decide" \
    '.mx_hosts[0] | .dns.tlsa.status == "secure"
     and ([.tlsa_records[] | [.usage, .selector, .mtype, (.data | length), .usable, .refused]]
          == [[3, 1, 1, 62, false, false]])
     and .addresses[0].dane.applies == false and .addresses[0].outcomes.dane == "encrypted"'
text dane-badlen dane-badlen.lab.test

# A DANE-authenticated MX host (ee) and a backup without STARTTLS (notls).
domain weak-backup weak-backup.lab.test 1 "$ENC dane=authenticated mta-sts=encrypted verify=deferred secure=deferred" \
    "mx.ptr-differs:$I*2 dane.no-tlsa:$I mx.backup-weaker:$W cert.nexthop-mismatch:$I" \
    "starttls.not-offered:$W"
fact weak-backup "dane authenticated via ee.lab.test; the worst over the hosts plaintext" \
    '.outcomes.dane == {"outcome": "authenticated", "via": "ee.lab.test"}
     and .outcomes_worst == {"may": "plaintext", "encrypt": "encrypted", "dane": "plaintext",
                             "mta-sts": "plaintext", "verify": "deferred", "secure": "deferred"}
     and [.mx_hosts[] | .name + "=" + .outcomes.dane]
         == ["ee.lab.test=authenticated", "notls.lab.test=plaintext"]
     and ([.findings[] | select(.id == "mx.backup-weaker") | .message
           | contains("notls.lab.test (preference 20) gives only plaintext")] == [true])'
text weak-backup weak-backup.lab.test

# --level: the severities of the level asked.
domain selfsigned-verify selfsigned.lab.test 2 "$ENC dane=encrypted mta-sts=encrypted verify=deferred secure=deferred" \
    "dane.no-tlsa:$I cert.nexthop-mismatch:$I mx.sender-defers:$C" "cert.self-signed:$C" --level verify
fact selfsigned-verify "level verify" '.level == "verify" and .verdict == "CRITICAL"'
text selfsigned-verify selfsigned.lab.test --level verify
domain selfsigned-may selfsigned.lab.test 0 "$ENC dane=encrypted mta-sts=encrypted verify=deferred secure=deferred" \
    "dane.no-tlsa:$I cert.nexthop-mismatch:$I" "" --level may
fact selfsigned-may "cert.self-signed is info at level may" \
    '.level == "may" and [.mx_hosts[].addresses[].server.findings[] | select(.id == "cert.self-signed") | .severity] == ["info"]'
domain one-secure one.lab.test 2 "$ENC dane=encrypted mta-sts=encrypted verify=authenticated secure=deferred" \
    "dane.no-tlsa:$I cert.nexthop-mismatch:$C mx.sender-defers:$C" "" --level secure
text one-secure one.lab.test --level secure

# A domain argument that is not a domain name: exit 3, one line on stderr, nothing else.
# STARTTLS stripped where DANE requires TLS: strip.lab.test's MX (secure, TLSA 3 1 1) is faultd
# starttls-stripped (XXXXXXXA in place of STARTTLS). DANE senders defer; the finding says it
# looks like stripping or TLS switched off, the server's finding names the X's.
domain strip strip.lab.test 2 \
    "may=plaintext encrypt=deferred dane=deferred mta-sts=plaintext verify=deferred secure=deferred" \
    "dane.starttls-missing:$C mx.sender-defers:$C" "starttls.not-offered:$C"
fact strip "dane.starttls-missing says stripping or TLS off, senders defer; the EHLO's XXXXXXXA is named" \
    '([.findings[] | select(.id == "dane.starttls-missing") | .message]
      == ["mx.strip.lab.test[127.77.0.87]: DNSSEC-secure TLSA records require TLS, but STARTTLS is not offered: this is what a STARTTLS-stripping man in the middle looks like, or a server whose TLS was switched off; DANE senders defer rather than send in clear"])
     and .mx_hosts[0].dns.tlsa.status == "secure" and .mx_hosts[0].addresses[0].dane.applies
     and ([.mx_hosts[0].addresses[0].server.findings[] | select(.id == "starttls.not-offered")
           | .message | test("has XXXXXXXA where STARTTLS would be: a middlebox may be stripping it")]
          == [true])'

run bad-name domain 'bad..name' "${COMMON[@]}"
if [ "$code" = 3 ] && [ ! -s "$T/bad-name.out" ] &&
   [ "$(cat "$T/bad-name.err")" = "mailtls: domain: 'bad..name' is not a valid domain name" ]; then
	ok bad-name
else
	fail bad-name "exit $code, stdout '$(head -c 200 "$T/bad-name.out")', stderr '$(head -c 600 "$T/bad-name.err")'"
fi

# A resolver that does not answer: could not check, exit 3, in bounded time.
NORES=(--resolver 127.0.0.1@1 --trust-anchor "$LAB_DNS_TA" --ca-file "$LAB_CA" --timeout 1)
MAXMS=$((5000 * SLOWDOWN))
for fmt in text json; do
	t0=$(date +%s%N)
	run "no-resolver-$fmt" domain one.lab.test "${NORES[@]}" --format "$fmt" || continue
	ms=$((($(date +%s%N) - t0) / 1000000))
	o="$T/no-resolver-$fmt.out"
	if [ "$code" != 3 ] || [ -s "$T/no-resolver-$fmt.err" ] || [ "$ms" -gt "$MAXMS" ]; then
		fail "no-resolver-$fmt" "exit $code (want 3) after $ms ms (limit $MAXMS), stderr: $(head -c 600 "$T/no-resolver-$fmt.err")"
	elif [ "$fmt" = text ] && ! { grep -q '^Could not check: .' "$o" &&
	    [ "$(grep -c '^Verdict: UNKNOWN at level dane$' "$o")" = 1 ]; }; then
		fail no-resolver-text "no 'Could not check: REASON' or no UNKNOWN verdict: $(head -c 400 "$o")"
	elif [ "$fmt" = json ] && ! jq -e '.checked == false and .exit_code == 3 and .verdict == "UNKNOWN"
	    and (.unknown_reason | type == "string" and length > 0)' "$o" >/dev/null 2>&1; then
		fail no-resolver-json "not checked:false with a reason: $(head -c 400 "$o")"
	else
		ok "no-resolver-$fmt ($ms ms)"
	fi
done
if [ -s "$T/no-resolver-text.out" ] && [ -s "$T/no-resolver-json.out" ]; then
	reason=$(jq -r '.unknown_reason' "$T/no-resolver-json.out")
	if grep -qxF "Could not check: $reason" "$T/no-resolver-text.out"; then
		ok "no-resolver: the same reason in text and JSON"
	else
		fail no-resolver "text lacks 'Could not check: $reason'"
	fi
fi

echo
echo "domain: $pass passed, $failn failed ($(awk -v a="$STARTED" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s)"
[ "$failn" -eq 0 ] && [ "$pass" -gt 0 ]
