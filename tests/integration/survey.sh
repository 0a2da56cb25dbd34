#!/bin/bash
# survey.sh - `mailtls check --survey` against the lab's real servers and faultd
# (lab/README.md, "The TLS survey"):
#   lists	per server, in JSON: the exit code, every finding id in order, each version's
#		state, the exact suite list (IANA code points) in the order found and whose
#		order it is, the groups, the certificate key types
#	weak	the Postfix with old settings: the tls.* findings and their exact messages
#	limit	a server that answers every eighth connection 421: limited, waited, and the
#		same lists as the same server without the limit
#	text	the text report's "TLS survey" lines agree with the JSON
#	testssl	the protocol and per-protocol suite lists on the lab Postfix equal what
#		testssl.sh -E finds (skipped, with a message, when testssl is not installed)
#	scan	scan --survey over three servers: each line as its single run
#	safety	no unsafe byte on stdout or stderr (run, harness.sh)
# With SURVEY_SUBSET=1 only the small cases run (the valgrind suite of tests/meson.build).
# Every assertion prints `ok NAME` or `FAIL NAME: why`; the last line is
# `survey: N passed, N failed` (exit 1 on any failure).
#
# usage: survey.sh BUILD_DIR
# The lab is started in a fresh temporary directory and stopped on exit (only its own PIDs);
# one lab runs on a machine at a time: run this under `flock /tmp/mailtls-lab.lock`.
# Traffic goes only to the lab's loopback addresses; no DNS question is asked (every
# target is an address; testssl runs with --nodns none). Every run is bounded by timeout(1).
#
# ENVIRONMENT
#	MAILTLS_RUNNER, MAILTLS_RUNNER_SLOWDOWN, VALGRIND=1: as domain.sh
set -u
BUILD=$(cd "${1:?usage: survey.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
MAILTLS="$BUILD/src/mailtls"
export FAULTD="$BUILD/lab/faultd"
SUBSET=${SURVEY_SUBSET:-0}
# shellcheck source=tests/integration/safety.sh
. "$HERE/safety.sh"
# shellcheck source=tests/integration/harness.sh
. "$HERE/harness.sh"
runner_init
lab_start survey

COMMON=(--name mx1.lab.test --ca-file "$LAB_CA" --timeout 5 --survey --format json)
LIMIT=$((60 * SLOWDOWN))
IDS='[.findings[].id] | join(" ")'
# suites V - the suites of version V as upper-case code points, in the order found.
suites() { echo "([.survey.versions[\"$1\"].ciphers[]?.id] | join(\" \"))"; }

# survey TAG PROTO TARGET EXIT IDS - check --survey: the exit code, no stderr, and the
# finding ids in order. The JSON stays in $T/TAG.out for fact and eq.
survey() {
	local tag=$1 proto=$2 target=$3 want_exit=$4 want_ids=$5 got
	run "$tag" check "--$proto" "$target" "${COMMON[@]}" || return
	if [ "$code" != "$want_exit" ] || [ -s "$T/$tag.err" ]; then
		fail "$tag" "exit $code (want $want_exit), stderr: $(head -c 600 "$T/$tag.err")"
		return
	fi
	got=$(jq -r "$IDS" "$T/$tag.out")
	if [ "$got" != "$want_ids" ]; then
		fail "$tag" "ids '$got', want '$want_ids'"
		return
	fi
	ok "$tag"
}

# eq TAG WHAT EXPR WANT - jq -r EXPR of run TAG's JSON is exactly WANT.
eq() {
	local got
	got=$(jq -r "$3" "$T/$1.out" 2>&1)
	if [ "$got" = "$4" ]; then
		ok "$1: $2"
	else
		fail "$1: $2" "'$got', want '$4'"
	fi
}

# message TAG ID TEXT - the message of finding ID in run TAG is TEXT.
message() {
	eq "$1" "$2 message" "[.findings[] | select(.id == \"$2\") | .message] | join(\" | \")" "$3"
}

STATES='[.survey.versions | to_entries[] | .key + "=" + .value.state] | join(" ")'
KEYS='[.survey.keys | to_entries[] | .key + "=" + (.value.key // .value.state)] | join(", ")'

# -- A server with old settings (Postfix, lab/lab.sh SMTP_WEAK) --------------------------
survey weak smtp "$LAB_SMTP_WEAK" 2 \
    "proto.banner-name-differs starttls.offered tls.established cert.trusted cert.name-match survey.done tls.legacy-version-enabled tls.insecure-cipher-enabled tls.no-forward-secrecy tls.weak-dh sender.ok"
eq weak states "$STATES" "TLSv1=accepted TLSv1.1=accepted TLSv1.2=accepted TLSv1.3=accepted"
eq weak "TLSv1.2 suites, the server's order" "$(suites TLSv1.2) + \" \" + (.survey.versions[\"TLSv1.2\"].server_order | tostring)" \
    "0x0035 0x003B 0x0033 0xC02F true"
eq weak "TLSv1 suites" "$(suites TLSv1) + \" \" + (.survey.versions.TLSv1.server_order | tostring)" "0x0035 0x0033 true"
eq weak "TLSv1.2 key exchanges" '[.survey.versions["TLSv1.2"].ciphers[] | .kx + "/" + (.forward_secret | tostring)] | join(" ")' \
    "RSA/false RSA/false DH 1024/true X25519/true"
eq weak keys "$KEYS" "RSA=RSA 2048, ECDSA=rejected, EdDSA=rejected"
eq weak "every sender gets TLS" '[.survey.profiles[] | .name + "=" + .handshake + " " + (.version // "")] | join(", ")' \
    "exchange-online=accepted TLSv1.2, exim-debian12=accepted TLSv1.3, gmail=accepted TLSv1.3, legacy-tls10=accepted TLSv1, postfix-debian12=accepted TLSv1.3"
message weak tls.insecure-cipher-enabled "the server accepts NULL-SHA256 (TLSv1.2)"
message weak tls.no-forward-secrecy "the server prefers a suite without forward secrecy: AES256-SHA in TLSv1, AES256-SHA in TLSv1.1, AES256-SHA in TLSv1.2"
message weak tls.weak-dh "DHE suites use a 1024-bit prime (TLSv1, TLSv1.1, TLSv1.2); 2048 bits at least"
message weak tls.legacy-version-enabled "the server accepts TLSv1, TLSv1.1 (RFC 8996: TLS 1.2 or later only)"
eq weak "compression not asked (Debian's OpenSSL has none)" '.survey.compression' "null"
fact weak "complete, no limit" '.survey.unanswered == 0 and .survey.limited == 0 and
	([.survey.versions[] | select(.state == "accepted") | .complete] | all)'

# -- TLS 1.0 only (Postfix SMTP_TLS10): the check fails, the survey says why ------------
survey tls10 smtp "$LAB_SMTP_TLS10" 2 \
    "proto.banner-name-differs starttls.offered tls.handshake-failed survey.done tls.legacy-version-enabled tls.anonymous-cipher-enabled tls.weak-dh sender.defers sender.defers sender.legacy-fails sender.plaintext sender.ok"
eq tls10 states "$STATES" "TLSv1=accepted TLSv1.1=rejected TLSv1.2=rejected TLSv1.3=rejected"
eq tls10 "senders" '[.survey.profiles[] | .name + "=" + .handshake + "/" + .on_failure] | join(" ")' \
    "exchange-online=rejected/defer exim-debian12=accepted/plaintext gmail=rejected/defer legacy-tls10=rejected/plaintext postfix-debian12=rejected/plaintext"
fact tls10 "TLS 1.3 refused with protocol_version" '.survey.versions["TLSv1.3"].why | test("server sent alert protocol_version")'
eq tls10 "no groups asked" '.survey.groups_version // "none"' "none"
eq tls10 "keys, EdDSA not asked before TLS 1.2" "$KEYS" "RSA=rejected, ECDSA=EC prime256v1, EdDSA=untested"

if [ "$SUBSET" != 1 ]; then
# -- The lab's ordinary Postfix (SMTP_GOOD) ---------------------------------------------
survey good smtp "$LAB_SMTP_GOOD" 1 \
    "proto.banner-name-differs starttls.offered tls.established cert.trusted cert.name-match survey.done tls.legacy-version-enabled tls.anonymous-cipher-enabled tls.weak-dh sender.legacy-fails sender.ok"
eq good states "$STATES" "TLSv1=accepted TLSv1.1=accepted TLSv1.2=accepted TLSv1.3=accepted"
eq good "TLSv1.3 suites, the client's order" "$(suites TLSv1.3) + \" \" + (.survey.versions[\"TLSv1.3\"].server_order | tostring)" \
    "0x1302 0x1303 0x1301 false"
eq good "suites per version" '[.survey.versions[] | .ciphers | length] | map(tostring) | join(" ")' "8 8 27 3"
eq good groups '(.survey.groups | join(" ")) + " " + .survey.groups_version + " " + (.survey.groups_server_order | tostring)' \
    "x25519 secp256r1 x448 secp384r1 secp521r1 TLSv1.3 false"
eq good keys "$KEYS" "RSA=rejected, ECDSA=EC prime256v1, EdDSA=rejected"
eq good "secure renegotiation" '.survey.secure_renegotiation' "true"

# -- Two certificates (SMTP_DUAL): both key types --------------------------------------
survey dual smtp "$LAB_SMTP_DUAL" 1 \
    "proto.banner-name-differs starttls.offered tls.established cert.trusted cert.name-match survey.done tls.legacy-version-enabled tls.anonymous-cipher-enabled tls.weak-dh sender.ok"
eq dual keys "$KEYS" "RSA=RSA 2048, ECDSA=EC prime256v1, EdDSA=rejected"

# -- Dovecot IMAP: TLS 1.2 and 1.3 only -------------------------------------------------
run imap check --imap "$LAB_IMAP" --name mail.lab.test --ca-file "$LAB_CA" --timeout 5 --survey --format json
eq imap states "$STATES" "TLSv1=rejected TLSv1.1=rejected TLSv1.2=accepted TLSv1.3=accepted"
eq imap "ids (no sender profile: they are MTAs)" "$IDS" "starttls.offered imap.login-disabled tls.established cert.trusted cert.name-match survey.done"
eq imap "no profile tried" '.survey.profiles | length' "0"

# -- A connection limit (faultd limit-every-8th) against the same faultd unlimited -------
survey fgood smtp "$LAB_FAULT_GOOD" 0 \
    "proto.banner-name-differs starttls.offered tls.established cert.trusted cert.name-match survey.done sender.legacy-fails sender.ok"
survey limit smtp "$LAB_FAULT_LIMIT" 0 \
    "proto.banner-name-differs starttls.offered tls.established cert.trusted cert.name-match survey.done survey.limited sender.legacy-fails sender.ok"
fact limit "limited, waited, nothing unanswered" '.survey.limited >= 1 and .survey.backoff_s >= 0.5
	and .survey.unanswered == 0 and (.survey.limited_why | test("421 4.7.0"))'
for v in TLSv1 TLSv1.1 TLSv1.2 TLSv1.3; do
	want=$(jq -r "$(suites $v) + \" \" + .survey.versions[\"$v\"].state" "$T/fgood.out")
	eq limit "$v as without the limit" "$(suites $v) + \" \" + .survey.versions[\"$v\"].state" "$want"
done
fact limit "limit message" '[.findings[] | select(.id == "survey.limited") | .message][0]
	| test("^the server limited us [0-9]+ times? \\(first: server refused the session in its greeting: 421 4.7.0 faultd.lab.test Error: too many connections; try again later\\); the survey waited [0-9.]+s in all and asked again$")'

# -- No STARTTLS: no survey -------------------------------------------------------------
survey nostarttls smtp "$LAB_FAULT_NO_STARTTLS" 2 \
    "proto.banner-name-differs starttls.not-offered survey.not-run"
message nostarttls survey.not-run "no TLS survey: the server does not offer STARTTLS"

# -- The text report agrees with the JSON ------------------------------------------------
run weak.text check --smtp "$LAB_SMTP_WEAK" --name mx1.lab.test --ca-file "$LAB_CA" --timeout 5 --survey
for l in "TLS survey" \
    "  TLSv1.2  accepted, 4 suites in the server's order" \
    "    0x0035  AES256-SHA                       RSA            no forward secrecy" \
    "    0x0033  DHE-RSA-AES128-SHA               DH 1024        " \
    "  Groups (TLSv1.3, the client's order): x25519 secp256r1 x448 secp384r1 secp521r1" \
    "  Certificate keys (TLSv1.3): RSA RSA 2048 (ecdsa-with-SHA256); ECDSA none; EdDSA none" \
    "  Secure renegotiation (RFC 5746): yes"; do
	if grep -qxF -- "$l" "$T/weak.text.out"; then ok "weak text: $l"; else fail "weak text" "no line '$l'"; fi
done

# -- scan --survey: each line as its single run -----------------------------------------
printf '%s\n' "$LAB_SMTP_WEAK" "$LAB_SMTP_TLS10" "$LAB_FAULT_NO_STARTTLS" >"$T/scan.in"
run scan scan --smtp --name mx1.lab.test --ca-file "$LAB_CA" --timeout 5 --survey "$T/scan.in"
for tag in weak tls10 nostarttls; do
	line=$(grep -F "\"address\":\"$(jq -r .session.address "$T/$tag.out")\"" "$T/scan.out" | head -1)
	if [ "$(printf '%s' "$line" | jq -r "$IDS")" = "$(jq -r "$IDS" "$T/$tag.out")" ] &&
	   [ "$(printf '%s' "$line" | jq -c '(.survey.versions // {}) | map_values(.ciphers | length)')" = \
	     "$(jq -c '(.survey.versions // {}) | map_values(.ciphers | length)' "$T/$tag.out")" ]; then
		ok "scan: $tag"
	else
		fail "scan: $tag" "exit $code, line '$(printf '%s' "$line" | head -c 300)', stderr '$(head -c 300 "$T/scan.err")'"
	fi
done

# -- testssl.sh on the same Postfix: the same protocols and suites -----------------------
if command -v testssl >/dev/null 2>&1 || command -v testssl.sh >/dev/null 2>&1; then
	TESTSSL=$(command -v testssl || command -v testssl.sh)
	( cd "$T" && timeout -k 5 300 "$TESTSSL" --quiet --color 0 --nodns none --warnings off \
	    --starttls smtp -p -E --jsonfile "$T/testssl.json" "$LAB_SMTP_GOOD" >"$T/testssl.out" 2>&1 )
	for v in TLSv1:tls1 TLSv1.1:tls1_1 TLSv1.2:tls1_2 TLSv1.3:tls1_3; do
		ours=$(jq -r "[.survey.versions[\"${v%%:*}\"].ciphers[]?.id | ascii_downcase | ltrimstr(\"0x\") | ltrimstr(\"00\")] | sort | join(\" \")" "$T/good.out")
		theirs=$(jq -r "[.[] | select(.id | startswith(\"cipher-${v#*:}_x\")) | .id | ltrimstr(\"cipher-${v#*:}_x\")] | sort | join(\" \")" "$T/testssl.json")
		if [ -n "$theirs" ] && [ "$ours" = "$theirs" ]; then
			ok "testssl: ${v%%:*} suites"
		else
			fail "testssl: ${v%%:*} suites" "mailtls '$ours', testssl '$theirs'"
		fi
	done
	for v in TLSv1:TLS1 TLSv1.1:TLS1_1 TLSv1.2:TLS1_2 TLSv1.3:TLS1_3; do
		ours=$(jq -r ".survey.versions[\"${v%%:*}\"].state" "$T/good.out")
		theirs=$(jq -r ".[] | select(.id == \"${v#*:}\") | .finding" "$T/testssl.json")
		case $ours:$theirs in
		accepted:offered*|rejected:not\ offered*) ok "testssl: ${v%%:*} protocol" ;;
		*) fail "testssl: ${v%%:*} protocol" "mailtls '$ours', testssl '$theirs'" ;;
		esac
	done
else
	echo "skip testssl: testssl.sh is not installed (Debian package testssl.sh)"
fi
fi

echo
echo "survey: $pass passed, $failn failed ($(awk -v a="$STARTED" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s)"
[ "$failn" -eq 0 ] && [ "$pass" -gt 0 ]
