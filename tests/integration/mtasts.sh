#!/bin/bash
# mtasts.sh - MTA-STS and TLS-RPT in `mailtls domain`, against the lab (lab/README.md,
# "MTA-STS and TLS-RPT": NSD and Unbound for the records, nginx on 127.77.3.1:443 for the
# policies):
#   table	per lab domain, in JSON: the exit code, the outcome at the dane and mta-sts
#		levels, every mtasts.* and tlsrpt.* finding (id:severity, counted), the policy
#		result per MX host, and the Postfix policy entry
#	facts	what was fetched (status, HTTP code, media type, Location, size), the defects
#		read (kind, line, quote), the matched patterns
#	levels	--level mta-sts: the severities and exit code of a sender that applies MTA-STS
#	text	for every case, the text report agrees with the JSON (outcomes, verdict, every
#		finding); the MTA-STS section's lines for some
#	postfix	--format postfix: the exact two lines
#	off	--no-mta-sts: nothing asked, the mta-sts level as may
#	scan	scan --domains over every lab domain: each line as the single run says
#	safety	no unsafe byte on stdout or stderr (safety.sh)
# With MTASTS_SUBSET=1 only a few cases run (the valgrind suite of tests/meson.build).
# Every assertion prints `ok NAME` or `FAIL NAME: why`; the last line is
# `mtasts: N passed, N failed` (exit 1 on any failure).
#
# usage: mtasts.sh BUILD_DIR
# The lab is started in a fresh temporary directory and stopped on exit (only its own PIDs);
# one lab runs on a machine at a time: run this under `flock /tmp/mailtls-lab.lock`.
# DNS questions go only to the lab resolver; the policy fetches only to the addresses it
# gives (127.77.3.1). Every mailtls run is bounded by timeout(1).
#
# ENVIRONMENT
#	MAILTLS_RUNNER, MAILTLS_RUNNER_SLOWDOWN, VALGRIND=1: as domain.sh
set -u
BUILD=$(cd "${1:?usage: mtasts.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
MAILTLS="$BUILD/src/mailtls"
export FAULTD="$BUILD/lab/faultd"
SUBSET=${MTASTS_SUBSET:-0}
# shellcheck source=tests/integration/safety.sh
. "$HERE/safety.sh"
# shellcheck source=tests/integration/harness.sh
. "$HERE/harness.sh"
runner_init
lab_start mtasts

COMMON=(--resolver "$LAB_DNS_RESOLVER" --trust-anchor "$LAB_DNS_TA" --ca-file "$LAB_CA" --timeout 5)
LIMIT=$((30 * SLOWDOWN))

STSF='.findings[] | select((.id | startswith("mtasts.")) or (.id | startswith("tlsrpt.")))
	| .id + ":" + .severity'
HOSTS='.mx_hosts[] | .name + "=" + (.mta_sts.result | gsub(" "; "-"))'
I=info W=warning C=critical

# sts TAG DOMAIN EXIT DANE MTASTS FINDINGS HOSTS POSTFIX [OPTIONS...] - mailtls domain DOMAIN
# --format json with the common options and OPTIONS: the exit code, the domain's outcome at
# the dane and mta-sts levels, every mtasts.* and tlsrpt.* finding as id:severity (counted:
# id:sev*N), each MX host's policy result (host=result, spaces as '-'), and the Postfix
# entry ("-" when none). The JSON stays in $T/TAG.out for fact.
sts() {
	local tag=$1 name=$2 want_exit=$3 want_dane=$4 want_sts=$5 want_f want_h=$7 want_pf=$8
	local got
	want_f=$(expand "$6")
	shift 8
	run "$tag" domain "$name" "${COMMON[@]}" --format json "$@" || return
	if [ "$code" != "$want_exit" ] || [ -s "$T/$tag.err" ]; then
		fail "$tag" "exit $code (want $want_exit), stderr: $(head -c 600 "$T/$tag.err")"
		return
	fi
	got=$(jq -r '.outcomes.dane.outcome + " " + .outcomes["mta-sts"].outcome' "$T/$tag.out")
	if [ "$got" != "$want_dane $want_sts" ]; then
		fail "$tag" "outcomes dane, mta-sts '$got', want '$want_dane $want_sts'"
		return
	fi
	got=$(jq_list "$T/$tag.out" "$STSF")
	if [ "$got" != "$want_f" ]; then
		fail "$tag" "findings '$got', want '$want_f'"
		return
	fi
	got=$(jq_list "$T/$tag.out" "$HOSTS")
	if [ "$got" != "$(echo "$want_h" | tr ' ' '\n' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')" ]; then
		fail "$tag" "hosts '$got', want '$want_h'"
		return
	fi
	got=$(jq -r '.postfix_policy.entry // "-"' "$T/$tag.out")
	if [ "$got" != "$want_pf" ]; then
		fail "$tag" "postfix entry '$got', want '$want_pf'"
		return
	fi
	ok "$tag"
	# The text report of the same run says the same (every finding, outcomes, verdict).
	text "$tag" "$name" "$@"
}

# message TAG ID TEXT - the message of finding ID in run TAG is TEXT.
message() {
	local got
	got=$(jq -r --arg id "$2" '[.findings[] | select(.id == $id) | .message] | join(" | ")' "$T/$1.out")
	if [ "$got" = "$3" ]; then
		ok "$1: $2 message"
	else
		fail "$1: $2 message" "'$got', want '$3'"
	fi
}

# postfix TAG DOMAIN LINE2 COMMENT_PART [OPTIONS...] - --format postfix prints exactly a
# comment line holding COMMENT_PART and LINE2 ("DOMAIN ENTRY"), exit as the JSON run.
postfix() {
	local tag=$1 name=$2 line2=$3 part=$4
	shift 4
	run "$tag.pf" domain "$name" "${COMMON[@]}" --format postfix "$@" || return
	if [ "$code" != "$(jq -r '.exit_code' "$T/$tag.out")" ] || [ -s "$T/$tag.pf.err" ]; then
		fail "$tag postfix" "exit $code, stderr: $(head -c 300 "$T/$tag.pf.err")"
	elif [ "$(wc -l <"$T/$tag.pf.out")" != 2 ] ||
	     [ "$(sed -n 2p "$T/$tag.pf.out")" != "$(printf '%s' "$line2")" ] ||
	     ! sed -n 1p "$T/$tag.pf.out" | grep -qF "# $name: " ||
	     ! sed -n 1p "$T/$tag.pf.out" | grep -qF "$part"; then
		fail "$tag postfix" "got '$(tr '\n' '|' <"$T/$tag.pf.out")'"
	else
		ok "$tag postfix"
	fi
}

# section TAG LINE... - the text report of run TAG (made by text) holds each LINE exactly.
section() {
	local tag=$1 l
	shift
	for l in "$@"; do
		if ! grep -qxF -- "$l" "$T/$tag.text.out"; then
			fail "$tag text section" "no line '$l'"
			return
		fi
	done
	ok "$tag text section"
}

# -- The table -------------------------------------------------------------------------
sts enforce sts-enforce.lab.test 0 encrypted authenticated \
    "mtasts.enforced:ok tlsrpt.ok:ok" "mxa.lab.test=ok mxb.lab.test=ok" \
    "secure match=mxa.lab.test:mxb.lab.test servername=hostname"
fact enforce "policy fetched and read" '.mta_sts.in_effect and .mta_sts.txt.valid
	and .mta_sts.txt.id == "20261130T01" and .mta_sts.policy.fetch == "ok"
	and .mta_sts.policy.http_status == 200 and .mta_sts.policy.address == "127.77.3.1"
	and .mta_sts.policy.mode == "enforce" and .mta_sts.policy.max_age == 604800
	and .mta_sts.policy.mx == ["mxa.lab.test", "mxb.lab.test"]
	and .mta_sts.policy.problems == [] and .mta_sts.policy.dns.a.status == "secure"'
fact enforce "TLS-RPT read" '.mta_sts.tls_rpt.valid and ([.mta_sts.tls_rpt.rua[] | .uri + "=" + (.valid | tostring)]
	== ["mailto:tlsrpt@lab.test=true", "https://tlsrpt.lab.test/v1/report=true"])'
fact enforce "per-host patterns" '[.mx_hosts[] | .mta_sts.pattern] == ["mxa.lab.test", "mxb.lab.test"]
	and ([.mx_hosts[] | .mta_sts.dane_governs] == [false, false])'
message enforce mtasts.enforced "the enforce policy of sts-enforce.lab.test (id 20261130T01, max_age 604800) lists every MX host, and each offers STARTTLS with a certificate valid for its name"
section enforce "MTA-STS" "  _mta-sts.sts-enforce.lab.test TXT: secure" '    "v=STSv1; id=20261130T01"' \
    "  policy https://mta-sts.sts-enforce.lab.test/.well-known/mta-sts.txt" \
    "    | version: STSv1" "    | mode: enforce" "    | max_age: 604800" \
    "    valid: mode enforce, max_age 604800, mx mxa.lab.test, mxb.lab.test" \
    "  in effect (mode enforce); per MX host:" "    mxa.lab.test: listed (mxa.lab.test), ok" \
    "TLS-RPT" "    rua mailto:tlsrpt@lab.test: valid"
postfix enforce sts-enforce.lab.test \
    "sts-enforce.lab.test secure match=mxa.lab.test:mxb.lab.test servername=hostname" \
    "the MTA-STS policy (id 20261130T01, mode enforce, max_age 604800) as MTA-STS senders apply it"
sts enforce-level sts-enforce.lab.test 0 encrypted authenticated \
    "mtasts.enforced:ok tlsrpt.ok:ok" "mxa.lab.test=ok mxb.lab.test=ok" \
    "secure match=mxa.lab.test:mxb.lab.test servername=hostname" --level mta-sts

if [ "$SUBSET" != 1 ]; then
sts testing sts-testing.lab.test 1 encrypted encrypted \
    "mtasts.mode-testing:$W mtasts.testing-failure:$W tlsrpt.ok:ok" \
    "mx1.lab.test=ok wrongname.lab.test=certificate" "encrypt"
message testing mtasts.testing-failure "wrongname.lab.test[127.77.0.8]: the certificate fails PKIX validation for wrongname.lab.test (cert.name-mismatch): senders deliver under the testing policy and report it (TLS-RPT); in enforce mode they would not deliver to it"
fact testing "LF line endings read" '.mta_sts.policy.valid and .mta_sts.policy.mode == "testing"'

sts none sts-none.lab.test 0 encrypted encrypted "mtasts.mode-none:$I tlsrpt.missing:$I" \
    "mx1.lab.test=n/a" "encrypt"
fact none "not in effect" '(.mta_sts.in_effect | not) and .mta_sts.policy.valid and .mta_sts.policy.mx == []'

sts mxmissing sts-mxmissing.lab.test 1 encrypted authenticated \
    "mtasts.mx-not-listed:$W tlsrpt.missing:$I" "mxa.lab.test=ok mxb.lab.test=not-listed" \
    "secure match=mxa.lab.test servername=hostname"
message mxmissing mtasts.mx-not-listed "mxb.lab.test matches no mx pattern of the policy: MTA-STS senders (enforce policy) will not deliver to it"
fact mxmissing "mxb deferred at mta-sts" '[.mx_hosts[] | .outcomes["mta-sts"]] == ["authenticated", "deferred"]'
sts mxmissing-level sts-mxmissing.lab.test 1 encrypted authenticated \
    "mtasts.mx-not-listed:$W tlsrpt.missing:$I" "mxa.lab.test=ok mxb.lab.test=not-listed" \
    "secure match=mxa.lab.test servername=hostname" --level mta-sts
postfix mxmissing sts-mxmissing.lab.test "sts-mxmissing.lab.test secure match=mxa.lab.test servername=hostname" \
    "MTA-STS senders defer to the MX hosts the policy does not list, Postfix with this entry only when their certificate matches no pattern"

sts wildcard sts-wildcard.lab.test 1 encrypted authenticated \
    "mtasts.mx-not-listed:$W tlsrpt.missing:$I" "mxa.lab.test=ok mx.wild.lab.test=not-listed" \
    "secure match=.lab.test servername=hostname"
fact wildcard "one label only" '[.mx_hosts[] | .mta_sts.pattern] == ["*.lab.test", null]'
sts wildok sts-wildok.lab.test 0 encrypted authenticated "mtasts.enforced:ok tlsrpt.missing:$I" \
    "mx.wild.lab.test=ok" "secure match=.wild.lab.test servername=hostname"

sts badmx sts-badmx.lab.test 1 encrypted authenticated \
    "mtasts.mx-no-tls:$W mtasts.mx-cert-invalid:$W tlsrpt.missing:$I" \
    "mx1.lab.test=ok notls.lab.test=no-TLS expired.lab.test=certificate" \
    "secure match=mx1.lab.test:notls.lab.test:expired.lab.test servername=hostname"
section badmx "  in effect (mode enforce); per MX host:" "    mx1.lab.test: listed (mx1.lab.test), ok" \
    "    notls.lab.test: listed (notls.lab.test), no TLS" \
    "    expired.lab.test: listed (expired.lab.test), certificate"
message badmx mtasts.mx-no-tls "notls.lab.test[127.77.0.40] does not offer STARTTLS, which the enforce policy requires: this is what a STARTTLS-stripping man in the middle looks like, or a server whose TLS was switched off: MTA-STS senders (enforce policy) defer rather than send to it in clear"
message badmx mtasts.mx-cert-invalid "expired.lab.test[127.77.0.5]: the certificate fails PKIX validation for expired.lab.test (cert.expired): MTA-STS senders (enforce policy) will not deliver to it"
sts badmx-level sts-badmx.lab.test 1 encrypted authenticated \
    "mtasts.mx-no-tls:$W mtasts.mx-cert-invalid:$W tlsrpt.missing:$I" \
    "mx1.lab.test=ok notls.lab.test=no-TLS expired.lab.test=certificate" \
    "secure match=mx1.lab.test:notls.lab.test:expired.lab.test servername=hostname" --level mta-sts

# The fetch refused, for each way a policy host gets it wrong.
NOPOL="mtasts.txt-without-policy:$W tlsrpt.missing:$I"
sts http404 sts-404.lab.test 1 encrypted encrypted "mtasts.policy-http-status:$W $NOPOL" \
    "mx1.lab.test=n/a" "encrypt"
fact http404 "404" '.mta_sts.policy.fetch == "HTTP status" and .mta_sts.policy.http_status == 404'
message http404 mtasts.policy-http-status "https://mta-sts.sts-404.lab.test/.well-known/mta-sts.txt: HTTP status 404, not 200"
sts ctype sts-ctype.lab.test 1 encrypted encrypted "mtasts.policy-content-type:$W $NOPOL" \
    "mx1.lab.test=n/a" "encrypt"
message ctype mtasts.policy-content-type "https://mta-sts.sts-ctype.lab.test/.well-known/mta-sts.txt: served as text/html, not text/plain"
sts redirect sts-redirect.lab.test 1 encrypted encrypted "mtasts.policy-redirect:$W $NOPOL" \
    "mx1.lab.test=n/a" "encrypt"
message redirect mtasts.policy-redirect "https://mta-sts.sts-redirect.lab.test/.well-known/mta-sts.txt: HTTP status 301, a redirect to https://mta-sts.sts-enforce.lab.test/.well-known/mta-sts.txt (senders do not follow it)"
sts oversize sts-oversize.lab.test 1 encrypted encrypted "mtasts.policy-too-large:$W $NOPOL" \
    "mx1.lab.test=n/a" "encrypt"
fact oversize "no more than 64 KiB kept" '.mta_sts.policy.fetch == "too large" and .mta_sts.policy.body_bytes <= 65536'
sts badcert sts-badcert.lab.test 1 encrypted encrypted "mtasts.policy-cert-invalid:$W $NOPOL" \
    "mx1.lab.test=n/a" "encrypt"
if grep -qE "^    fetched from \[127\.77\.3\.1\]: certificate invalid, 0 bytes, [0-9]+ ms \(certificate verify failed: no alternative certificate subject name matches target host name 'mta-sts\.sts-badcert\.lab\.test'\)$" \
    "$T/badcert.text.out"; then
	ok "badcert text: the verification error shown"
else
	fail "badcert text" "no fetch line with the verification error: $(grep -m1 'fetched' "$T/badcert.text.out")"
fi
fact badcert "certificate refused, nothing read" '.mta_sts.policy.fetch == "certificate invalid"
	and .mta_sts.policy.http_status == null and .mta_sts.policy.body == null'
sts unreach sts-unreach.lab.test 1 encrypted encrypted "mtasts.policy-fetch-failed:$W $NOPOL" \
    "mx1.lab.test=n/a" "encrypt"
message unreach mtasts.policy-fetch-failed "https://mta-sts.sts-unreach.lab.test/.well-known/mta-sts.txt: no address (mta-sts.sts-unreach.lab.test does not exist (NXDOMAIN))"

# Policies that do not read.
sts garbage sts-garbage.lab.test 1 encrypted encrypted \
    "mtasts.policy-line:$W mtasts.policy-invalid:$W*3 $NOPOL" "mx1.lab.test=n/a" "encrypt"
fact garbage "defects" '[.mta_sts.policy.problems[] | .defect + "@" + (.line // 0 | tostring)]
	== ["policy-syntax@1", "policy-version@0", "policy-mode-missing@0", "policy-max-age-missing@0"]'
sts maxage sts-maxage.lab.test 1 encrypted encrypted "mtasts.policy-invalid:$W $NOPOL" \
    "mx1.lab.test=n/a" "encrypt"
message maxage mtasts.policy-invalid 'the policy line 4: max_age is not a number from 0 to 31557600: "max_age: 31557601"'
sts short sts-short.lab.test 1 encrypted authenticated \
    "mtasts.max-age-short:$W mtasts.enforced:ok tlsrpt.missing:$I" "mx1.lab.test=ok" \
    "secure match=mx1.lab.test servername=hostname"
sts nomode sts-nomode.lab.test 1 encrypted encrypted "mtasts.policy-invalid:$W $NOPOL" \
    "mx1.lab.test=n/a" "encrypt"
sts badmode sts-badmode.lab.test 1 encrypted encrypted "mtasts.policy-invalid:$W $NOPOL" \
    "mx1.lab.test=n/a" "encrypt"
message badmode mtasts.policy-invalid 'the policy line 2: the mode is not enforce, testing or none: "mode: strict"'

# TXT records that do not read.
sts txt2 sts-txt2.lab.test 1 encrypted encrypted "mtasts.txt-multiple:$W tlsrpt.missing:$I" \
    "mx1.lab.test=n/a" "encrypt"
fact txt2 "both records shown" '.mta_sts.txt.sts_records == 2 and (.mta_sts.txt.records | sort) == ["v=STSv1; id=1", "v=STSv1; id=2"]'
sts txtbad sts-txtbad.lab.test 1 encrypted encrypted "mtasts.txt-invalid:$W tlsrpt.missing:$I" \
    "mx1.lab.test=n/a" "encrypt"
message txtbad mtasts.txt-invalid '_mta-sts.sts-txtbad.lab.test TXT: the id is not 1 to 32 letters and digits: "id=2026-11-30"'
sts txtgarbage sts-txtgarbage.lab.test 1 encrypted encrypted "mtasts.txt-invalid:$W tlsrpt.missing:$I" \
    "mx1.lab.test=n/a" "encrypt"
sts notxt sts-notxt.lab.test 1 encrypted encrypted "mtasts.txt-missing:$W tlsrpt.missing:$I" \
    "mx1.lab.test=n/a" "encrypt"

# DANE wins (RFC 8461 section 2): the policy does not list the DANE host.
sts dane sts-dane.lab.test 0 authenticated deferred \
    "mtasts.dane-precedence:$I mtasts.mx-not-listed:$I mtasts.pattern-unused:$I tlsrpt.ok:ok" \
    "ta.lab.test=not-listed" "dane-only"
section dane "    ta.lab.test: not listed, not listed; DANE governs for senders with DANE"
fact dane "DANE governs the host" '.mx_hosts[0].mta_sts.dane_governs and .mx_hosts[0].outcomes.dane == "authenticated"'
postfix dane sts-dane.lab.test "sts-dane.lab.test dane-only" "DANE, which takes precedence over MTA-STS (RFC 8461 section 2)"
sts dane-level sts-dane.lab.test 2 authenticated deferred \
    "mtasts.dane-precedence:$I mtasts.mx-not-listed:$C mtasts.pattern-unused:$I tlsrpt.ok:ok" \
    "ta.lab.test=not-listed" "dane-only" --level mta-sts

# TLS-RPT records that do not read; nothing published.
sts rptscheme rpt-scheme.lab.test 1 encrypted encrypted "mtasts.none:$I tlsrpt.bad-uri:$W" \
    "mx1.lab.test=n/a" "encrypt"
message rptscheme tlsrpt.bad-uri '_smtp._tls.rpt-scheme.lab.test TXT: a URI scheme other than mailto: or https:: "ftp://lab.test/reports"'
sts rptmalformed rpt-malformed.lab.test 1 encrypted encrypted "mtasts.none:$I tlsrpt.invalid:$W" \
    "mx1.lab.test=n/a" "encrypt"
sts nothing one.lab.test 0 encrypted encrypted "mtasts.none:$I tlsrpt.missing:$I" \
    "mx1.lab.test=n/a" "encrypt"
message nothing mtasts.none "one.lab.test publishes no MTA-STS policy (no _mta-sts TXT record; mta-sts.one.lab.test: mta-sts.one.lab.test does not exist (NXDOMAIN))"

# An unsigned zone: MTA-STS is what protects it.
sts insecure sts.insecure.lab.test 0 encrypted authenticated "mtasts.enforced:ok tlsrpt.ok:ok" \
    "mx1.lab.test=ok" "secure match=mx1.lab.test servername=hostname"
fact insecure "TXT insecure" '.mta_sts.txt.dns.status == "insecure"'
section garbage '    | <html><body><h1>It works!</h1></body></html>' "  not in effect: senders deliver as without MTA-STS"
fi

# -- Off --------------------------------------------------------------------------------
run off domain sts-enforce.lab.test "${COMMON[@]}" --format json --no-mta-sts
if [ "$code" = 0 ] && [ ! -s "$T/off.err" ] && jq -e '.mta_sts == null
    and ([.findings[] | select(.id | startswith("mtasts.") or startswith("tlsrpt."))] == [])
    and .outcomes["mta-sts"].outcome == .outcomes.may.outcome
    and ([.mx_hosts[].mta_sts] == [null, null])' "$T/off.out" >/dev/null 2>&1; then
	ok "off: --no-mta-sts asks nothing"
else
	fail off "exit $code: $(head -c 300 "$T/off.out") $(head -c 300 "$T/off.err")"
fi

# -- scan --domains: each line as the single run -----------------------------------------
if [ "$SUBSET" != 1 ]; then
	LIST="$T/domains.txt"
	printf '%s\n' sts-enforce sts-testing sts-none sts-mxmissing sts-wildcard sts-wildok \
	    sts-badmx sts-404 sts-ctype sts-redirect sts-oversize sts-badcert sts-unreach \
	    sts-garbage sts-maxage sts-short sts-nomode sts-badmode sts-txt2 sts-txtbad \
	    sts-txtgarbage sts-notxt sts-dane rpt-scheme rpt-malformed | sed 's/$/.lab.test/' >"$LIST"
	run scan scan --domains "$LIST" "${COMMON[@]}" --quiet
	if [ "$code" != 2 ] && [ "$code" != 1 ]; then
		fail scan "exit $code: $(head -c 300 "$T/scan.err")"
	elif [ "$(wc -l <"$T/scan.out")" != "$(wc -l <"$LIST")" ]; then
		fail scan "$(wc -l <"$T/scan.out") lines for $(wc -l <"$LIST") domains"
	else
		bad=""
		for tag in enforce testing none mxmissing wildcard wildok badmx http404 ctype redirect \
		    oversize badcert unreach garbage maxage short nomode badmode txt2 txtbad txtgarbage \
		    notxt dane rptscheme rptmalformed; do
			d=$(jq -r '.domain' "$T/$tag.out")
			want=$(jq -c "[.exit_code, .outcomes, [$STSF], .postfix_policy.entry]" "$T/$tag.out")
			got=$(jq -c --arg d "$d" "select(.domain == \$d) | [.exit_code, .outcomes, [$STSF], .postfix_policy.entry]" "$T/scan.out")
			[ "$got" = "$want" ] || bad="$bad $d"
		done
		if [ -z "$bad" ]; then
			ok "scan: $(wc -l <"$LIST") domains at once, each as its single run"
		else
			fail scan "differs from the single run for:$bad"
		fi
	fi
fi

echo
echo "mtasts: $pass passed, $failn failed ($(awk -v a="$STARTED" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s)"
[ "$failn" -eq 0 ] && [ "$pass" -gt 0 ]
