#!/bin/bash
# scan.sh - integration tests of `mailtls scan` against the real lab (Postfix, Dovecot and
# faultd on 127.77.0.0/24, faultd on [::1]:10025):
#   mixed	one scan of good servers, certificate faults, fault modes, a tarpit, a refused
#		port, blank and comment lines and bad lines: exactly one output line per input
#		line but the skipped ones, with the verdict and findings `check --format json`
#		gives for the same target (and a few hard-coded), the exact unknown_reason of
#		each bad line, the exit code the worst over all lines
#	exit-*	the exit code is the worst line's: 0, 1, 2
#	summary-json	--summary-json agrees with the JSON Lines it summarises
#	tarpit	a server that never speaks holds back no other target
#	deadline	--deadline cuts a check and names the phase; admission waits not counted
#	sigint	SIGINT: the checks at work finish and are written, exit 3 within the deadline;
#		--resume into the same file completes the set, each line once
#	sigterm-twice	a second signal exits at once with 128+signo
#	kill9	kill -9 in the middle leaves whole lines; --resume (the file named another way)
#		completes the set; a partial last line is cut off and its target checked again
#	shard	4 shards check every line exactly once, each shard some
#	safety	no byte a server or the input sent reaches stdout or stderr raw
# Every assertion prints `ok NAME` or `FAIL NAME: why`; the last line is
# `scan: N passed, N failed` (exit 1 on any failure).
#
# usage: scan.sh BUILD_DIR
# The lab is started in a fresh temporary directory and stopped on exit (only its own PIDs);
# one lab runs on a machine at a time: run this under `flock /tmp/mailtls-lab.lock`.
# Traffic goes to 127.0.0.0/8 and ::1 only. Targets are IP literals; the one name
# (nx.invalid) is answered by libunbound itself (RFC 6761), and --resolver 127.0.0.1@1 sends
# any other question nowhere. Every mailtls run is bounded by timeout(1) or a polling loop.
set -u
BUILD=$(cd "${1:?usage: scan.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
MAILTLS="$BUILD/src/mailtls"
export FAULTD="$BUILD/lab/faultd"
LAB=$(mktemp -d /tmp/mailtls-scan.XXXXXX)
chmod 755 "$LAB"   # postfix and dovecot must reach their files inside
T="$LAB/scan-test"
BG=""              # PIDs of our mailtls runs in the background not yet waited for

cleanup() {
	local p
	for p in $BG; do kill -KILL "$p" 2>/dev/null; done
	sh "$TOP/lab/lab.sh" stop "$LAB" >/dev/null 2>&1
	rm -rf "$LAB"
}
trap cleanup EXIT

for tool in jq timeout od; do
	command -v "$tool" >/dev/null || { echo "scan.sh: $tool is needed" >&2; exit 1; }
done
if ! sh "$TOP/lab/lab.sh" start "$LAB" >"$LAB.start.log" 2>&1; then
	cat "$LAB.start.log" >&2
	rm -f "$LAB.start.log"
	echo "scan.sh: the lab did not start" >&2
	exit 1
fi
rm -f "$LAB.start.log"
# shellcheck disable=SC1091
. "$LAB/lab.env"
mkdir -p "$T"
STARTED=$(date +%s)

pass=0
failn=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
fail() { echo "FAIL $1: $2"; failn=$((failn + 1)); }

# The options every scan and check here shares: the name faultd's and Postfix's good
# certificate hold, the lab's root, no DNS question leaving the machine.
COMMON=(--smtp --name mx1.lab.test --ca-file "$LAB_CA" --resolver 127.0.0.1@1)

# scan ARGS... - mailtls scan, at most 60 s (then SIGKILL: the test fails on the exit code).
scan() {
	timeout -k 2 60 "$MAILTLS" scan "$@"
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# bg_start FILE_OUT FILE_ERR ARGS... - a scan in the background; sets BGPID.
bg_start() {
	local out=$1 err=$2
	shift 2
	"$MAILTLS" scan "$@" >"$out" 2>"$err" &
	BGPID=$!
	BG="$BG $BGPID"
}

# bg_wait PID MAX_MS - wait at most MAX_MS for PID to exit (polling every 20 ms); sets
# BGCODE (its exit code, or "hung" after a SIGKILL) and BGMS (the time waited).
bg_wait() {
	local pid=$1 max=$2 t0 i
	t0=$(now_ms)
	for ((i = 0; i < max / 20 + 1; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.02
	done
	BGMS=$(($(now_ms) - t0))
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		BGCODE=hung
	else
		wait "$pid" 2>/dev/null   # no "Killed" notice from the shell
		BGCODE=$?
	fi
	# shellcheck disable=SC2086  # one PID a word
	BG=$(printf '%s\n' $BG | grep -vx "$pid" | tr '\n' ' ')
}

# not_whole FILE - how many lines of FILE are not one whole JSON object, a last line
# without its newline counted too; 0 for an empty file.
not_whole() {
	local n
	[ -s "$1" ] || { echo 0; return; }
	n=$(jq -R 'try (fromjson | if type == "object" then empty else 1 end) catch 1' <"$1" | wc -l)
	[ "$(tail -c 1 "$1" | od -An -tx1 | tr -d ' \n')" = 0a ] || n=$((n + 1))
	echo "$n"
}

# line_numbers FILE - the "line" of every output line, sorted numerically, one a line.
line_numbers() {
	jq -r .line "$1" | sort -n
}

# want_lines INPUT_FILE - the numbers of the lines scan answers: all but blank lines and
# lines whose first non-blank character is # (blanks: space, tab, CR). want_pairs: each
# number with its line ("N TEXT").
# shellcheck disable=SC2016  # awk, not shell
WANTED='{ s = $0; gsub(/^[ \t\r]+|[ \t\r]+$/, "", s) } s != "" && substr(s, 1, 1) != "#"'
want_lines() {
	LC_ALL=C awk "$WANTED"' { print NR }' "$1"
}
want_pairs() {
	LC_ALL=C awk "$WANTED"' { print NR " " $0 }' "$1"
}

# same_set NAME INPUT_FILE OUTPUT_FILE - the output answers each wanted input line exactly
# once, with the line's text as "input", and nothing else.
same_set() {
	local name=$1 in=$2 out=$3 dup miss extra got
	dup=$(line_numbers "$out" | uniq -d | head -n 5 | tr '\n' ' ')
	miss=$(comm -23 <(want_lines "$in" | sort) <(line_numbers "$out" | sort -u) | sort -n | head -n 5 | tr '\n' ' ')
	extra=$(comm -13 <(want_lines "$in" | sort) <(line_numbers "$out" | sort -u) | sort -n | head -n 5 | tr '\n' ' ')
	if [ -n "$dup$miss$extra" ]; then
		fail "$name" "lines twice: [$dup], missing: [$miss], not wanted: [$extra]"
		return 1
	fi
	# The input text of each line (plain printable ASCII in these inputs).
	got=$(jq -r '"\(.line) \(.input)"' "$out" | sort -n | md5sum)
	if [ "$got" != "$(want_pairs "$in" | md5sum)" ]; then
		fail "$name" "some \"input\" differs from its line"
		return 1
	fi
	return 0
}

# The terminal-safety check of run.sh (unsafe_lines): safety.sh.
# shellcheck source=tests/integration/safety.sh
. "$HERE/safety.sh"

# ---- mixed: one scan of everything, compared line by line with check ----
# Each input line: KIND (skip, bad or target), its text, and for bad lines the exact
# unknown_reason, for some targets the exact "EXIT|ids".
K=() X=() W=()
add() { K+=("$1"); X+=("$2"); W+=("${3:-}"); }
LONG=$(printf 'a%.0s' $(seq 2000))
GOOD_IDS="proto.banner-name-differs starttls.offered tls.established cert.trusted cert.name-match"
add skip "# a scan of the lab: every fault once"
add target "$LAB_SMTP_GOOD" "0|$GOOD_IDS"
add target "$LAB_FAULT_GOOD" "0|$GOOD_IDS"
add target "[::1]:10025" "0|$GOOD_IDS"
add skip ""
add target "$LAB_SMTP_ALIAS"
add target "$LAB_SMTP_CNONLY"
add target "$LAB_SMTP_WILDCARD"
add target "$LAB_SMTP_EXPIRED" "2|proto.banner-name-differs starttls.offered tls.established cert.expired cert.name-mismatch"
add target "$LAB_SMTP_NOTYET"
add target "$LAB_SMTP_SELFSIGNED"
add skip "   # an indented comment"
add target "$LAB_SMTP_WRONGNAME"
add target "$LAB_SMTP_UNTRUSTED"
add target "$LAB_SMTP_INCOMPLETE"
add target "$LAB_SMTP_SOON"
add target "$LAB_SMTP_PARTIALWILD"
add target "$LAB_SMTP_NOCERT" "2|proto.banner-name-differs starttls.offered tls.handshake-failed"
add skip $' \t\r'
add target " $LAB_FAULT_NO_STARTTLS"$'\r' "2|proto.banner-name-differs starttls.not-offered"
add target $'\t'"$LAB_FAULT_STARTTLS_454 "
add target "$LAB_FAULT_MULTILINE_BANNER"
add target "$LAB_FAULT_LONG_LINE"
add target "$LAB_FAULT_CLOSE_AFTER_STARTTLS"
add target "$LAB_FAULT_SILENT" "2|conn.timeout"
add target "$LAB_FAULT_DATA_AFTER_STARTTLS"
add target "$LAB_FAULT_GREETING_554"
add target "$LAB_FAULT_EHLO_502"
add target "$LAB_FAULT_HTTP_GREETING"
add target "$LAB_FAULT_CLIENT_CERT"
add target "$LAB_FAULT_PIPELINED_GREETING"
add target "$LAB_FAULT_CLOSE_AFTER_HANDSHAKE"
add target "$LAB_FAULT_ENDLESS_EHLO"
add target "$LAB_FAULT_RESET_MID_HANDSHAKE"
add target "$LAB_FAULT_BAD_CODE"
add target "$LAB_FAULT_CLOSE_AFTER_GREETING"
add target "$LAB_FAULT_TLS10_ONLY"
add target "127.0.0.1:1" "2|conn.refused"
add target "nx.invalid" "3|conn.resolve-failed"
add bad "foo bar" "more than one word on the line (one HOST[:PORT] per line; comments start with #)"
add bad "host:99999" "host:99999: invalid port '99999' (1-65535)"
add bad "[::1" "[::1: missing ']' after the IPv6 address"
add bad "*.x" "*.x: not a valid host name"
add bad "$LONG" "line $((${#K[@]} + 1)): longer than 1024 bytes: not a target"
add skip ""
IN="$T/mixed.txt"
: >"$IN"
for ((i = 0; i < ${#K[@]}; i++)); do printf '%s\n' "${X[i]}" >>"$IN"; done

# The same targets one by one with check, in parallel (each bounded by timeout). scan tries
# sender profiles only when asked; check does after a failed handshake: --no-profiles makes
# the two runs the same work.
pids=()
for ((i = 0; i < ${#K[@]}; i++)); do
	[ "${K[i]}" = target ] || continue
	host=$(printf '%s' "${X[i]}" | tr -d ' \t\r')
	timeout -k 2 30 "$MAILTLS" check "${COMMON[@]}" --no-profiles --timeout 2 "$host" --format json \
		>"$T/check.$((i + 1))" 2>/dev/null &
	pids+=($!)
done
t0=$(now_ms)
scan "${COMMON[@]}" --timeout 2 --summary-json "$T/mixed.sum" "$IN" >"$T/mixed.out" 2>"$T/mixed.err"
code=$?
ms=$(($(now_ms) - t0))
for p in "${pids[@]}"; do wait "$p"; done

# VIEW - what is compared: verdict line, exit code, findings (id, severity, message). A
# server that closes with our command unread (close-after-greeting, close-after-handshake)
# sends a FIN or a RST as the race goes, and the message names a RST: that detail is left out.
VIEW='{exit_code, summary, ids: ([.findings[].id] | join(" ")),
	findings: [.findings[] | [.id, .severity,
		(.message | sub(": (connection reset by the server \\(TCP RST\\)|Connection reset by peer)$"; ""))]]}'
worst=0
for ((i = 0; i < ${#K[@]}; i++)); do
	n=$((i + 1))
	got=$(jq -c --argjson n "$n" 'select(.line == $n)' "$T/mixed.out")
	count=$(printf '%s' "$got" | grep -c '^')
	case "${K[i]}" in
	skip)
		if [ "$count" = 0 ]; then
			ok "mixed-line-$n-skipped"
		else
			fail "mixed-line-$n-skipped" "$count output lines for a blank or comment line"
		fi
		continue ;;
	esac
	if [ "$count" != 1 ]; then
		fail "mixed-line-$n" "$count output lines, expected 1 (input '$(printf '%s' "${X[i]}" | head -c 40)')"
		continue
	fi
	want_input=$(printf '%s' "${X[i]}" | head -c 1024 | sed 's/\r/\\x0d/g; s/\t/\\x09/g')
	if [ "$(printf '%s' "$got" | jq -r .input)" != "$want_input" ]; then
		fail "mixed-line-$n" "input '$(printf '%s' "$got" | jq -r .input | head -c 60)', expected '$(printf '%s' "$want_input" | head -c 60)'"
		continue
	fi
	if [ "${K[i]}" = bad ]; then
		view=$(printf '%s' "$got" | jq -r '[.exit_code, .verdict, (.findings | length), .unknown_reason] | map(tostring) | join("|")')
		want="3|UNKNOWN|0|${W[i]}"
		if [ "$view" = "$want" ]; then
			ok "mixed-line-$n-bad"
		else
			fail "mixed-line-$n-bad" "got '$view', expected '$want'"
		fi
		worst=3
		continue
	fi
	mine=$(printf '%s' "$got" | jq -c "$VIEW")
	theirs=$(jq -c "$VIEW" "$T/check.$n" 2>/dev/null)
	if [ "$mine" != "$theirs" ]; then
		fail "mixed-line-$n" "scan and check differ for ${X[i]}: scan $mine; check $theirs"
		continue
	fi
	e=$(printf '%s' "$mine" | jq -r .exit_code)
	[ "$e" -gt "$worst" ] && worst=$e
	if [ -n "${W[i]}" ]; then
		view=$(printf '%s' "$mine" | jq -r '"\(.exit_code)|\(.ids)"')
		if [ "$view" != "${W[i]}" ]; then
			fail "mixed-line-$n" "got '$view', expected '${W[i]}' (${X[i]})"
			continue
		fi
	fi
	ok "mixed-line-$n ($(printf '%s' "$mine" | jq -r .ids | awk '{ print $NF }'))"
done
total=$(grep -c '^' "$T/mixed.out")
want_total=$(want_lines "$IN" | wc -l)
if [ "$total" = "$want_total" ] && [ "$(not_whole "$T/mixed.out")" = 0 ]; then
	ok "mixed-line-count ($total lines, $ms ms)"
else
	fail mixed-line-count "$total output lines ($(not_whole "$T/mixed.out") not whole), expected $want_total"
fi
if [ "$code" = "$worst" ] && [ "$worst" = 3 ] && [ ! -s "$T/mixed.err" ]; then
	ok mixed-exit-code
else
	fail mixed-exit-code "exit $code, worst line $worst (expected 3); stderr '$(head -c 200 "$T/mixed.err")'"
fi

# ---- summary-json: the figures agree with the lines ----
SUMVIEW='{results, verdicts, findings, tls_versions, issuers, certificates: (.days_to_expiry.certificates // 0)}'
fromlines=$(jq -cs '{results: length,
	verdicts: ({OK: 0, WARNING: 0, CRITICAL: 0, UNKNOWN: 0} + (group_by(.verdict) | map({key: .[0].verdict, value: length}) | from_entries)),
	findings: ([.[] | [.findings[].id] | unique[]] | group_by(.) | map({key: .[0], value: length}) | from_entries),
	tls_versions: ([.[] | select(.checked) | (.session.tls.version // "no TLS")] | group_by(.) | map({key: .[0], value: length}) | from_entries),
	issuers: ([.[] | select(.checked and (.chain | length) > 0) | .chain[0].issuer] | group_by(.) | map({key: .[0], value: length}) | from_entries),
	certificates: ([.[] | select(.checked and (.chain | length) > 0)] | length)}' "$T/mixed.out" | jq -cS .)
fromsum=$(jq -cS "$SUMVIEW" "$T/mixed.sum" 2>/dev/null)
if [ -n "$fromsum" ] && [ "$fromsum" = "$fromlines" ] &&
   [ "$(jq -r '.verdicts.UNKNOWN' "$T/mixed.sum")" = 6 ] && [ "$(jq -r '.verdicts.OK' "$T/mixed.sum")" -ge 3 ]; then
	ok "summary-json ($(jq -c .verdicts "$T/mixed.sum"))"
else
	fail summary-json "summary $fromsum; from the lines $fromlines"
fi

# ---- exit-*: the exit code is the worst line's ----
printf '%s\n' "$LAB_SMTP_GOOD" "$LAB_FAULT_GOOD" >"$T/exit.txt"
scan "${COMMON[@]}" "$T/exit.txt" >"$T/exit.out" 2>/dev/null
code=$?
v=$(jq -r .verdict "$T/exit.out" | sort | tr '\n' ' ')
if [ "$code" = 0 ] && [ "$v" = "OK OK " ]; then
	ok exit-ok
else
	fail exit-ok "exit $code, verdicts $v"
fi
scan "${COMMON[@]}" --warn-days 400 "$T/exit.txt" >"$T/exit.out" 2>/dev/null
code=$?
v=$(jq -r '"\(.verdict):\([.findings[].id] | index("cert.expires-soon") != null)"' "$T/exit.out" | sort | tr '\n' ' ')
if [ "$code" = 1 ] && [ "$v" = "WARNING:true WARNING:true " ]; then
	ok exit-warning
else
	fail exit-warning "exit $code, verdicts $v"
fi
printf '%s\n' "$LAB_SMTP_GOOD" 127.0.0.1:1 "$LAB_FAULT_GOOD" >"$T/exit.txt"
scan "${COMMON[@]}" --warn-days 400 "$T/exit.txt" >"$T/exit.out" 2>/dev/null
code=$?
v=$(jq -r .verdict "$T/exit.out" | sort | tr '\n' ' ')
if [ "$code" = 2 ] && [ "$v" = "CRITICAL WARNING WARNING " ]; then
	ok exit-critical
else
	fail exit-critical "exit $code, verdicts $v"
fi

# ---- tarpit: a silent server holds back none of 20 fast targets ----
FAST=("$LAB_SMTP_GOOD" "$LAB_SMTP_ALIAS" "$LAB_SMTP_CNONLY" "$LAB_SMTP_WILDCARD" "$LAB_SMTP_EXPIRED"
	"$LAB_SMTP_SELFSIGNED" "$LAB_SMTP_WRONGNAME" "$LAB_SMTP_UNTRUSTED" "$LAB_SMTP_INCOMPLETE"
	"$LAB_SMTP_SOON" "$LAB_FAULT_GOOD" "$LAB_FAULT_NO_STARTTLS" "$LAB_FAULT_STARTTLS_454"
	"$LAB_FAULT_MULTILINE_BANNER" "$LAB_FAULT_DATA_AFTER_STARTTLS" "$LAB_FAULT_GREETING_554"
	"$LAB_FAULT_EHLO_502" "[::1]:10025" "127.0.0.1:1" "$LAB_SMTP_NOCERT")
printf '%s\n' "$LAB_FAULT_SILENT" "${FAST[@]}" >"$T/tarpit.txt"
t0=$(now_ms)
scan "${COMMON[@]}" --timeout 3 "$T/tarpit.txt" >"$T/tarpit.out" 2>/dev/null
ms=$(($(now_ms) - t0))
order=$(jq -r .line "$T/tarpit.out" | tr '\n' ' ')
slow=$(jq -r 'select(.line > 1 and .session.elapsed_ms >= 1000) | "\(.line):\(.session.elapsed_ms)"' "$T/tarpit.out" | tr '\n' ' ')
last=$(tail -n 1 "$T/tarpit.out" | jq -r '"\(.line) \([.findings[].id] | join(" ")) \(.session.elapsed_ms >= 2900)"')
if [ "$(grep -c '^' "$T/tarpit.out")" = 21 ] && [ "$last" = "1 conn.timeout true" ] && [ -z "$slow" ] &&
   [ "$(jq -r .line "$T/tarpit.out" | head -n 20 | sort -n | tr '\n' ' ')" = "$(seq 2 21 | tr '\n' ' ')" ] &&
   [ "$ms" -lt 4500 ]; then
	ok "tarpit (fast lines first, each under 1000 ms; $ms ms in all)"
else
	fail tarpit "order [$order], last '$last', slow [$slow], $ms ms"
fi

# ---- deadline: the whole check is cut, the phase named; waiting for admission not counted ----
if [ -n "${LAB_FAULT_SLOW_PHASES:-}" ]; then
	printf '%s\n' "$LAB_FAULT_SLOW_PHASES" >"$T/deadline.txt"
	scan "${COMMON[@]}" --timeout 1 --deadline 2 "$T/deadline.txt" >"$T/deadline.out" 2>/dev/null
	code=$?
	got=$(jq -r '[.findings[].id] | join(" ")' "$T/deadline.out")
	msg=$(jq -r '.findings[] | select(.id == "conn.deadline") | .message' "$T/deadline.out")
	if [ "$code" = 2 ] && [ "${got##* }" = conn.deadline ] && [ "${got#*conn.timeout}" = "$got" ] &&
	   printf '%s' "$msg" | grep -qE "^${LAB_FAULT_SLOW_PHASES//./\\.}: the check was cut at its deadline of 2s while waiting for [^;]+; time per phase: .*[0-9]s$"; then
		ok "deadline-slow-phases ($got)"
	else
		fail deadline-slow-phases "exit $code, ids '$got', message '$msg'"
	fi
else
	echo "skip deadline-slow-phases: no slow-phases listener in this lab (the drip tarpit below instead)"
fi
# Two drip tarpits (one byte a second: never a whole greeting) one at a time
# (--per-address 1): the second waits about 1.5 s for its connection, which its own 1.5 s
# deadline does not count.
printf '%s\n' "$LAB_FAULT_DRIP" "$LAB_FAULT_DRIP_ADDR" >"$T/deadline.txt"
t0=$(now_ms)
scan "${COMMON[@]}" --timeout 3 --deadline 1.5 --per-address 1 "$T/deadline.txt" >"$T/deadline.out" 2>/dev/null
code=$?
ms=$(($(now_ms) - t0))
re="^${LAB_FAULT_DRIP//./\\.}: the check was cut at its deadline of 1\\.5s while waiting for the greeting; time per phase: (a free connection slot \\(not counted in the deadline\\) [0-9]+\\.[0-9]{3}s, )?the TCP connection [0-9]+\\.[0-9]{3}s, the greeting [0-9]+\\.[0-9]{3}s$"
bad=$(jq -r --arg re "$re" 'select(([.findings[].id] != ["conn.deadline"]) or (.findings[0].message | test($re) | not)
	or .session.elapsed_ms < 1450 or .session.elapsed_ms > 2000) | "line \(.line): \([.findings[].id]) \(.findings[0].message) \(.session.elapsed_ms) ms"' "$T/deadline.out")
waited=$(jq -r '.findings[0].message | capture("slot \\(not counted in the deadline\\) (?<s>[0-9.]+)s").s' "$T/deadline.out" | sort -n | tail -n 1)
if [ "$code" = 2 ] && [ "$(grep -c '^' "$T/deadline.out")" = 2 ] && [ -z "$bad" ] &&
   awk -v w="$waited" 'BEGIN { exit !(w >= 1.2) }' && [ "$ms" -ge 2900 ] && [ "$ms" -lt 4500 ]; then
	ok "deadline-drip (conn.deadline in the greeting; the second waited ${waited}s for its connection, uncounted)"
else
	fail deadline-drip "exit $code, $ms ms, waited '$waited' s: $bad"
fi

# ---- sigint: wind down, then --resume into the same file ----
# 300 lines: a comment, a blank line, 18 fast targets and 280 lines of the silent tarpit,
# at most 2 connections to it at once: at the signal 2 of them are at work and 278 wait.
IN="$T/sig.txt"
{
	echo "# the silent server, over and over"
	for ((n = 2; n <= 300; n++)); do
		if [ "$n" = 150 ]; then
			echo
		elif [ $((n % 16)) = 0 ]; then
			case $((n / 16 % 3)) in
			0) echo 127.0.0.1:1 ;;
			1) echo "$LAB_FAULT_GOOD" ;;
			2) echo "[::1]:10025" ;;
			esac
		elif [ $((n % 2)) = 0 ]; then
			echo "$LAB_FAULT_SILENT"
		else
			echo "$LAB_FAULT_SILENT_ADDR"
		fi
	done
} >"$IN"
bg_start "$T/sig.out" "$T/sig.err" "${COMMON[@]}" --timeout 2 --deadline 3 --per-address 2 \
	--summary-json "$T/sig.sum" --output "$T/sig.out" "$IN"
sleep 1
kill -INT "$BGPID"
bg_wait "$BGPID" 8000
n_out=$(grep -c '^' "$T/sig.out")
silent=$(jq -r --arg a "$LAB_FAULT_SILENT_ADDR" 'select(.input | startswith($a)) | .line' "$T/sig.out" | wc -l)
fast=$(jq -r --arg a "$LAB_FAULT_SILENT_ADDR" 'select(.input | startswith($a) | not) | .line' "$T/sig.out" | sort -n | tr '\n' ' ')
want_fast=$(want_pairs "$IN" | grep -vF " $LAB_FAULT_SILENT_ADDR" | cut -d' ' -f1 | tr '\n' ' ')
want_err="mailtls: scan: stopped by a signal after $n_out results; run it again with --resume to check the rest"
if [ "$BGCODE" = 3 ] && [ "$BGMS" -le 4000 ] && [ "$(not_whole "$T/sig.out")" = 0 ] &&
   [ "$(cat "$T/sig.err")" = "$want_err" ] && [ "$silent" = 2 ] && [ "$fast" = "$want_fast" ]; then
	ok "sigint (exit 3 ${BGMS} ms after the signal; $n_out lines written: the fast ones and the 2 at work)"
else
	fail sigint "exit $BGCODE ${BGMS} ms after the signal, $(not_whole "$T/sig.out") lines not whole, $silent tarpit lines, fast [$fast] (want [$want_fast]), stderr '$(head -c 300 "$T/sig.err")'"
fi
if [ "$(jq -c '[.results, .verdicts.OK + .verdicts.WARNING + .verdicts.CRITICAL + .verdicts.UNKNOWN]' "$T/sig.sum" 2>/dev/null)" = "[$n_out,$n_out]" ]; then
	ok sigint-summary-json
else
	fail sigint-summary-json "summary $(jq -c '[.results, .verdicts]' "$T/sig.sum" 2>&1) for $n_out lines"
fi
# The rest: all at once this time (the tarpit answers nothing in 1 s).
timeout -k 2 60 "$MAILTLS" scan "${COMMON[@]}" --timeout 1 --per-address 100 --concurrency 300 \
	--resume "$T/sig.out" --output "$T/sig.out" "$IN" >/dev/null 2>"$T/sig.err"
code=$?
if [ "$code" = 2 ] && [ ! -s "$T/sig.err" ] && [ "$(not_whole "$T/sig.out")" = 0 ] && same_set sigint-resume "$IN" "$T/sig.out"; then
	ok "sigint-resume (the set complete: $(grep -c '^' "$T/sig.out") lines, each once)"
elif [ "$code" != 2 ] || [ -s "$T/sig.err" ] || [ "$(not_whole "$T/sig.out")" != 0 ]; then
	fail sigint-resume "exit $code, $(not_whole "$T/sig.out") lines not whole, stderr '$(head -c 300 "$T/sig.err")'"
fi

# ---- sigterm-twice: SIGTERM winds down, a second signal ends the scan at once ----
for ((n = 0; n < 10; n++)); do echo "$LAB_FAULT_SILENT"; done >"$T/term.txt"
bg_start "$T/term.out" "$T/term.err" "${COMMON[@]}" --timeout 5 --output "$T/term.out" "$T/term.txt"
sleep 0.5
kill -TERM "$BGPID"
sleep 0.3
kill -INT "$BGPID"
bg_wait "$BGPID" 3000
if [ "$BGCODE" = 130 ] && [ "$BGMS" -le 500 ] && [ ! -s "$T/term.out" ] &&
   [ "$(tail -n 1 "$T/term.err")" = "mailtls: scan: stopped at once" ]; then
	ok "sigterm-twice (exit 130 ${BGMS} ms after the second signal)"
else
	fail sigterm-twice "exit $BGCODE ${BGMS} ms after the second signal, $(grep -c '^' "$T/term.out") lines, stderr '$(head -c 200 "$T/term.err")'"
fi

# ---- kill9: SIGKILL while lines are being written, then --resume ----
# 300 fast targets admitted at 50 a second (after a burst of 50): the scan takes 5 s and
# is killed after 1.
KILLSET=("$LAB_SMTP_GOOD" "$LAB_SMTP_EXPIRED" "$LAB_SMTP_UNTRUSTED" "$LAB_FAULT_GOOD"
	 "$LAB_FAULT_NO_STARTTLS" "127.0.0.1:1" "[::1]:10025" "$LAB_FAULT_GREETING_554"
	 "$LAB_FAULT_BAD_UTF8_NAME" "$LAB_FAULT_HOSTILE_BANNER")
IN="$T/kill.txt"
for ((n = 0; n < 300; n++)); do echo "${KILLSET[n % ${#KILLSET[@]}]}"; done >"$IN"
bg_start /dev/null "$T/kill.err" "${COMMON[@]}" --timeout 3 --rate 50 --output "$T/kill.out" "$IN"
sleep 1
{ kill -KILL "$BGPID"; bg_wait "$BGPID" 2000; } 2>/dev/null   # no "Killed" notice
n_out=$(grep -c '^' "$T/kill.out")
nw=$(not_whole "$T/kill.out")
dup=$(line_numbers "$T/kill.out" | uniq -d | wc -l)
if [ "$BGCODE" = 137 ] && [ "$nw" = 0 ] && [ "$dup" = 0 ] && [ "$n_out" -gt 0 ] && [ "$n_out" -lt 300 ]; then
	ok "kill9 ($n_out whole lines written before the kill)"
else
	fail kill9 "exit $BGCODE, $n_out lines, $nw not whole, $dup twice (must be killed in the middle)"
fi
# Resumed through another spelling of the same file: appended to, never emptied.
scan "${COMMON[@]}" --timeout 3 --resume "$T/./kill.out" --output "$T/kill.out" "$IN" >/dev/null 2>"$T/kill.err"
code=$?
if [ "$code" = 2 ] && [ ! -s "$T/kill.err" ] && [ "$(not_whole "$T/kill.out")" = 0 ] && same_set kill9-resume "$IN" "$T/kill.out"; then
	ok "kill9-resume (the set complete: 300 lines, each once)"
elif [ "$code" != 2 ] || [ -s "$T/kill.err" ] || [ "$(not_whole "$T/kill.out")" != 0 ]; then
	fail kill9-resume "exit $code, $(not_whole "$T/kill.out") lines not whole, stderr '$(head -c 300 "$T/kill.err")'"
fi
# A complete set resumed again checks nothing.
scan "${COMMON[@]}" --resume "$T/kill.out" --output "$T/kill.again" "$IN" >/dev/null 2>&1
code=$?
if [ "$code" = 0 ] && [ -e "$T/kill.again" ] && [ ! -s "$T/kill.again" ]; then
	ok kill9-resume-complete
else
	fail kill9-resume-complete "exit $code, $(grep -c '^' "$T/kill.again" 2>/dev/null) lines written"
fi
# A last line cut in the middle (a kill during a write of more than a page, a full disk):
# --resume ignores it, cuts it off and checks its target again; the file stays whole lines.
cut_line=$(tail -n 1 "$T/kill.out" | jq -r .line)
size=$(stat -c %s "$T/kill.out")
truncate -s $((size - $(tail -n 1 "$T/kill.out" | wc -c) / 2)) "$T/kill.out"
scan "${COMMON[@]}" --timeout 3 --resume "$T/kill.out" --output "$T/kill.out" "$IN" >/dev/null 2>"$T/kill.err"
code=$?
new=$(tail -n 1 "$T/kill.out" | jq -r .line 2>/dev/null)
if [ "$(not_whole "$T/kill.out")" = 0 ] && [ "$new" = "$cut_line" ] && [ ! -s "$T/kill.err" ] &&
   [ "$code" = "$(tail -n 1 "$T/kill.out" | jq -r .exit_code)" ] && same_set kill9-partial-line "$IN" "$T/kill.out"; then
	ok "kill9-partial-line (line $cut_line checked again, the fragment gone)"
elif [ "$(not_whole "$T/kill.out")" != 0 ] || [ "$new" != "$cut_line" ] || [ -s "$T/kill.err" ]; then
	fail kill9-partial-line "exit $code, $(not_whole "$T/kill.out") lines not whole, last line $new (cut: $cut_line), stderr '$(head -c 200 "$T/kill.err")'"
fi

# ---- shard: 4 shards check each line once ----
IN="$T/shard.txt"
{
	echo "# 40 lines"
	for ((n = 1; n <= 34; n++)); do echo "127.0.$((n % 3)).$n:1"; done
	echo "$LAB_SMTP_GOOD"
	echo
	echo "two words"
	echo "[::1"
	echo "$LAB_FAULT_GOOD"
} >"$IN"
scan "${COMMON[@]}" "$IN" >"$T/shard.all" 2>/dev/null
sizes=""
shard_bad=""
: >"$T/shard.union"
for k in 1 2 3 4; do
	scan "${COMMON[@]}" --shard "$k/4" "$IN" >"$T/shard.$k" 2>/dev/null
	code=$?
	worst=$(jq -s 'map(.exit_code) | max // 0' "$T/shard.$k")
	size=$(grep -c '^' "$T/shard.$k")
	sizes="$sizes $size"
	[ "$size" -gt 0 ] || shard_bad="$shard_bad shard $k/4 is empty;"
	[ "$code" = "$worst" ] || shard_bad="$shard_bad shard $k/4 exit $code, worst line $worst;"
	cat "$T/shard.$k" >>"$T/shard.union"
done
# Each line's verdict as the whole scan gives it.
verdicts() { jq -r '"\(.line) \(.input) \(.exit_code)"' "$1" | sort -n; }
[ "$(verdicts "$T/shard.union")" = "$(verdicts "$T/shard.all")" ] ||
	shard_bad="$shard_bad the shards' lines or verdicts differ from the whole scan's;"
if [ -n "$shard_bad" ]; then
	fail shard "lines per shard:$sizes:$shard_bad"
elif same_set shard "$IN" "$T/shard.union"; then
	ok "shard (lines per shard:$sizes; their union is the whole scan, each line once)"
fi

# ---- safety: hostile servers and hostile input lines never reach the terminal raw ----
IN="$T/safety.txt"
{
	echo "$LAB_FAULT_HOSTILE_BANNER"
	echo "$LAB_FAULT_BAD_UTF8_NAME"
	echo "$LAB_FAULT_NUL_NAME"
	echo "$LAB_FAULT_PIPELINED_GREETING"
	printf '\033]0;pwned\a\033[31mx\377\302\233\342\200\256\n'
	printf '127.0.0.1:1\000\033[2J\n'
} >"$IN"
scan "${COMMON[@]}" --timeout 3 --transcript --summary "$IN" >"$T/safety.out" 2>"$T/safety.err"
code=$?
unsafe=""
for f in out err; do
	l=$(unsafe_lines "$T/safety.$f" | head -n 3 | tr '\n' ' ')
	[ -n "$l" ] && unsafe="$unsafe std$f lines $l:$(LC_ALL=C sed -n "${l%% *}p" "$T/safety.$f" | head -c 120 | od -An -c | tr -s ' \n' ' ')"
done
banner=$(jq -r 'select(.line == 1) | .session.banner' "$T/safety.out")
in5=$(jq -r 'select(.line == 5) | "\(.input)|\(.unknown_reason)"' "$T/safety.out")
in6=$(jq -r 'select(.line == 6) | "\(.input)|\(.unknown_reason)"' "$T/safety.out")
want5='\x1b]0;pwned\x07\x1b[31mx\xff\xc2\x9b\xe2\x80\xae|\x1b]0;pwned\x07\x1b[31mx\xff\xc2\x9b\xe2\x80\xae: not a valid host name'
want6='127.0.0.1:1\x00\x1b[2J|line 6: holds a NUL byte: not a target'
want_banner='faultd.lab.test ESMTP \x1b]0;pwned\x07\x1b[31mred\x1b[0m \x00nul \xc2\x9b2J \xe2\x80\xaetxet \xff\xc3( \xed\xa0\x80'
if [ -z "$unsafe" ] && [ "$code" = 3 ] && [ "$(grep -c '^' "$T/safety.out")" = 6 ] &&
   [ "$(not_whole "$T/safety.out")" = 0 ] && grep -q '^scan summary: 6 results' "$T/safety.err"; then
	ok "safety-bytes (stdout, stderr with --summary and --transcript)"
else
	fail safety-bytes "exit $code, $(grep -c '^' "$T/safety.out") lines;$unsafe"
fi
if [ "$banner" = "$want_banner" ]; then
	ok safety-banner-escaped
else
	fail safety-banner-escaped "banner '$banner'"
fi
if [ "$in5" = "$want5" ] && [ "$in6" = "$want6" ]; then
	ok safety-input-escaped
else
	fail safety-input-escaped "line 5 '$in5', line 6 '$in6'"
fi

echo
echo "($(($(date +%s) - STARTED)) s)"
echo "scan: $pass passed, $failn failed"
[ "$failn" -eq 0 ] && [ "$pass" -gt 0 ]
