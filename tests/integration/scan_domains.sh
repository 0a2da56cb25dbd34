#!/bin/bash
# scan_domains.sh - integration tests of `mailtls scan --domains` against the real lab and
# its DNS world (lab/README.md: NSD and a validating Unbound, zones signed at start):
#   mixed	one scan of lab domains (one MX, DANE-EE, a TLSA record nobody serves, a null
#		MX, a name that does not exist), blank and comment lines and bad lines: one
#		output line per input line but the skipped ones, each line's verdict, exit
#		code and outcome per sender level (hard-coded) and the same as
#		`mailtls domain --format json` for the name; the exact unknown_reason of each
#		bad line; the exit code the worst over all lines (3, and 2 without the bad ones)
#	level	--level sets each domain's level and exit code as `domain --level` does
#	summary-json	--summary-json counts domains per verdict and per level and outcome
#	window	--concurrency 4 evaluates one domain at a time (the window is a quarter of
#		--concurrency): the lines come out in input order
#	shard	3 shards evaluate every line exactly once, with the whole scan's verdicts
#	resume	--resume from a partial output completes the set, each line once; resumed
#		again it evaluates nothing
#	sigint	SIGINT while a domain's checks are still queued (--rate 1): the domain at work
#		ends whole (every address checked) and is written, no other line, exit 3;
#		--resume completes the set
# Every assertion prints `ok NAME` or `FAIL NAME: why`; the last line is
# `scan-domains: N passed, N failed` (exit 1 on any failure).
#
# usage: scan_domains.sh BUILD_DIR
# The lab is started in a fresh temporary directory and stopped on exit (only its own PIDs);
# one lab runs on a machine at a time: run this under `flock /tmp/mailtls-lab.lock`.
# DNS questions go only to the lab resolver (--resolver $LAB_DNS_RESOLVER with the lab's
# trust anchor); traffic stays on 127.0.0.0/8. Every mailtls run is bounded by timeout(1)
# or a polling loop.
set -u
BUILD=$(cd "${1:?usage: scan_domains.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
MAILTLS="$BUILD/src/mailtls"
export FAULTD="$BUILD/lab/faultd"
LAB=$(mktemp -d /tmp/mailtls-scandom.XXXXXX)
chmod 755 "$LAB"   # postfix and dovecot must reach their files inside
T="$LAB/scan-domains-test"
BGPID=""

cleanup() {
	[ -n "$BGPID" ] && kill -KILL "$BGPID" 2>/dev/null
	sh "$TOP/lab/lab.sh" stop "$LAB" >/dev/null 2>&1
	rm -rf "$LAB"
}
trap cleanup EXIT

for tool in jq timeout; do
	command -v "$tool" >/dev/null || { echo "scan_domains.sh: $tool is needed" >&2; exit 1; }
done
if ! sh "$TOP/lab/lab.sh" start "$LAB" >"$LAB.start.log" 2>&1; then
	cat "$LAB.start.log" >&2
	rm -f "$LAB.start.log"
	echo "scan_domains.sh: the lab did not start" >&2
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

# What every run shares: the lab's resolver and DNSSEC trust anchor, its root CA.
COMMON=(--resolver "$LAB_DNS_RESOLVER" --trust-anchor "$LAB_DNS_TA" --ca-file "$LAB_CA" --timeout 3)

scan() {
	timeout -k 2 60 "$MAILTLS" scan --domains --quiet "${COMMON[@]}" "$@"
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# not_whole FILE - lines of FILE that are not one whole JSON object (a last line without
# its newline counted too).
not_whole() {
	local n
	[ -s "$1" ] || { echo 0; return; }
	n=$(jq -R 'try (fromjson | if type == "object" then empty else 1 end) catch 1' <"$1" | wc -l)
	[ "$(tail -c 1 "$1" | od -An -tx1 | tr -d ' \n')" = 0a ] || n=$((n + 1))
	echo "$n"
}

# want_pairs FILE - "N TEXT" of every line scan answers (not blank, not a # comment), an
# ESC in TEXT as scan shows it (\x1b).
# shellcheck disable=SC2016  # awk, not shell
WANTED='{ s = $0; gsub(/^[ \t\r]+|[ \t\r]+$/, "", s) } s != "" && substr(s, 1, 1) != "#"'
want_pairs() {
	LC_ALL=C awk "$WANTED"' { print NR " " $0 }' "$1" | sed 's/\x1b/\\x1b/g'
}

# same_set NAME INPUT OUTPUT - every wanted input line answered exactly once, nothing else.
same_set() {
	local got want
	got=$(jq -r '"\(.line) \(.input)"' "$3" | sort -n)
	want=$(want_pairs "$2" | sort -n)
	if [ "$got" = "$want" ]; then
		return 0
	fi
	fail "$1" "answered [$(echo "$got" | cut -d' ' -f1 | tr '\n' ' ')], wanted [$(echo "$want" | cut -d' ' -f1 | tr '\n' ' ')]"
	return 1
}

# OUTCOMES - the outcome per level, "may/encrypt/dane/verify/secure".
OUTCOMES='[.outcomes.may.outcome, .outcomes.encrypt.outcome, .outcomes.dane.outcome,
	.outcomes.verify.outcome, .outcomes.secure.outcome] | join("/")'
# VIEW - what scan and domain must agree on: verdict, level, exit code, outcomes and
# hosts, the domain's finding ids and every server's (address and ids).
VIEW="{verdict, level, exit_code, checked, outcomes: ($OUTCOMES),
	hosts: [.mx_hosts[] | .name], ids: [.findings[].id],
	servers: [.mx_hosts[].addresses[] | [.address, ([.server.findings[]?.id] | join(\" \"))]]}"

# ---- mixed ----
K=() X=() W=()
add() { K+=("$1"); X+=("$2"); W+=("${3:-}"); }
add skip "# lab domains"
add domain one.lab.test "OK|0|encrypted/encrypted/encrypted/authenticated/deferred"
add domain " DANE-EE.lab.test. " "OK|0|encrypted/encrypted/authenticated/deferred/deferred"
add skip ""
add domain dane-nomatch.lab.test "CRITICAL|2|encrypted/encrypted/deferred/deferred/deferred"
add domain nullmx.lab.test "OK|0|none/none/none/none/none"
add skip "   # indented"
add domain nonexistent.lab.test "CRITICAL|2|unreachable/unreachable/unreachable/unreachable/unreachable"
add bad "two words" "more than one word on the line (one DOMAIN per line; comments start with #)"
add bad "one.lab.test:25" "one.lab.test:25: not a valid domain name"
add bad "*.lab.test" "*.lab.test: not a valid domain name"
add bad $'x\033[31m' 'x\x1b[31m: not a valid domain name'
IN="$T/mixed.txt"
: >"$IN"
for ((i = 0; i < ${#K[@]}; i++)); do printf '%s\n' "${X[i]}" >>"$IN"; done
for ((i = 0; i < ${#K[@]}; i++)); do
	[ "${K[i]}" = domain ] || continue
	d=$(printf '%s' "${X[i]}" | tr -d ' ')
	timeout -k 2 30 "$MAILTLS" domain "${COMMON[@]}" --format json "$d" >"$T/domain.$((i + 1))" 2>/dev/null &
done
wait
t0=$(now_ms)
scan --summary-json "$T/mixed.sum" "$IN" >"$T/mixed.out" 2>"$T/mixed.err"
code=$?
ms=$(($(now_ms) - t0))
worst=0
for ((i = 0; i < ${#K[@]}; i++)); do
	n=$((i + 1))
	got=$(jq -c --argjson n "$n" 'select(.line == $n)' "$T/mixed.out")
	count=$(printf '%s' "$got" | grep -c '^')
	if [ "${K[i]}" = skip ]; then
		if [ "$count" = 0 ]; then ok "mixed-line-$n-skipped"; else fail "mixed-line-$n-skipped" "$count output lines"; fi
		continue
	fi
	if [ "$count" != 1 ]; then
		fail "mixed-line-$n" "$count output lines, expected 1 ('${X[i]}')"
		continue
	fi
	if [ "${K[i]}" = bad ]; then
		view=$(printf '%s' "$got" | jq -r '[.exit_code, .verdict, .checked, .domain, .unknown_reason] | map(tostring) | join("|")')
		want="3|UNKNOWN|false|null|${W[i]}"
		if [ "$view" = "$want" ]; then ok "mixed-line-$n-bad"; else fail "mixed-line-$n-bad" "got '$view', expected '$want'"; fi
		worst=3
		continue
	fi
	view=$(printf '%s' "$got" | jq -r "\"\(.verdict)|\(.exit_code)|\($OUTCOMES)\"")
	mine=$(printf '%s' "$got" | jq -c "$VIEW")
	theirs=$(jq -c "$VIEW" "$T/domain.$n" 2>/dev/null)
	input=$(printf '%s' "$got" | jq -r .input)
	if [ "$view" != "${W[i]}" ]; then
		fail "mixed-line-$n" "${X[i]}: got '$view', expected '${W[i]}'"
	elif [ "$mine" != "$theirs" ]; then
		fail "mixed-line-$n" "scan and domain differ for ${X[i]}: scan $mine; domain $theirs"
	elif [ "$input" != "${X[i]}" ]; then
		fail "mixed-line-$n" "input '$input', expected '${X[i]}'"
	else
		ok "mixed-line-$n (${X[i]}: $view)"
	fi
	e=${W[i]#*|}
	e=${e%%|*}
	[ "$e" -gt "$worst" ] && worst=$e
done
if [ "$code" = "$worst" ] && [ "$code" = 3 ] && [ ! -s "$T/mixed.err" ] &&
   [ "$(not_whole "$T/mixed.out")" = 0 ] && same_set mixed-set "$IN" "$T/mixed.out"; then
	ok "mixed-exit-code (3; $(grep -c '^' "$T/mixed.out") lines in $ms ms)"
else
	fail mixed-exit-code "exit $code, worst line $worst; stderr '$(head -c 200 "$T/mixed.err")'"
fi
grep -v -e ' ' -e ':' -e '\*' -e $'\033' "$IN" >"$T/good.txt"
scan "$T/good.txt" >"$T/good.out" 2>/dev/null
code=$?
if [ "$code" = 2 ]; then ok "exit-worst-domain (2 without the bad lines)"; else fail exit-worst-domain "exit $code, expected 2"; fi

# ---- level ----
printf '%s\n' one.lab.test dane-ee.lab.test dane-nomatch.lab.test >"$T/level.txt"
level_bad=""
for l in may verify; do
	scan --level "$l" "$T/level.txt" >"$T/level.$l" 2>/dev/null
	code=$?
	worst=0
	while read -r d; do
		e=$(timeout -k 2 30 "$MAILTLS" domain "${COMMON[@]}" --level "$l" --format json "$d" | jq -r .exit_code)
		got=$(jq -r --arg d "$d" 'select(.domain == $d) | "\(.level) \(.exit_code)"' "$T/level.$l")
		[ "$got" = "$l $e" ] || level_bad="$level_bad $l/$d: '$got' (domain: $e);"
		[ "$e" -gt "$worst" ] && worst=$e
	done <"$T/level.txt"
	[ "$code" = "$worst" ] || level_bad="$level_bad $l: exit $code, worst $worst;"
done
if [ -z "$level_bad" ]; then ok "level (may and verify as domain --level gives them)"; else fail level "$level_bad"; fi

# ---- summary-json ----
sum_want=$(jq -s -S -c '{results: length,
	verdicts: {OK: map(select(.verdict == "OK")) | length, WARNING: map(select(.verdict == "WARNING")) | length,
		   CRITICAL: map(select(.verdict == "CRITICAL")) | length, UNKNOWN: map(select(.verdict == "UNKNOWN")) | length},
	dane: (map(select(.checked) | .outcomes.dane.outcome) | group_by(.) | map({key: .[0], value: length}) | from_entries),
	servers: ([.[].mx_hosts[]?.addresses[] | select(.server.checked)] | length)}' "$T/mixed.out")
sum_got=$(jq -S -c '{results, verdicts, dane: (.outcomes.dane | with_entries(select(.value > 0))), servers}' "$T/mixed.sum")
if [ "$sum_got" = "$sum_want" ]; then ok "summary-json ($sum_got)"; else fail summary-json "got $sum_got, the lines say $sum_want"; fi

# ---- window: a quarter of --concurrency; 4 gives one domain at a time ----
printf '%s\n' multi.lab.test one.lab.test dane-ee.lab.test nonexistent.lab.test nullmx.lab.test \
	dane-nomatch.lab.test >"$T/window.txt"
scan --concurrency 4 "$T/window.txt" >"$T/window.out" 2>/dev/null
order=$(jq -r .line "$T/window.out" | tr '\n' ' ')
if [ "$order" = "1 2 3 4 5 6 " ]; then ok "window (one domain at a time with --concurrency 4)"; else fail window "lines in the order [$order]"; fi

# ---- shard ----
IN="$T/mixed.txt"
shard_bad=""
sizes=""
: >"$T/shard.union"
for k in 1 2 3; do
	scan --shard "$k/3" "$IN" >"$T/shard.$k" 2>/dev/null
	code=$?
	worst=$(jq -s 'map(.exit_code) | max // 0' "$T/shard.$k")
	sizes="$sizes $(grep -c '^' "$T/shard.$k")"
	[ "$code" = "$worst" ] || shard_bad="$shard_bad shard $k/3 exit $code, worst line $worst;"
	cat "$T/shard.$k" >>"$T/shard.union"
done
verdicts() { jq -r '"\(.line) \(.input) \(.exit_code) \(.outcomes.dane.outcome)"' "$1" | sort -n; }
[ "$(verdicts "$T/shard.union")" = "$(verdicts "$T/mixed.out")" ] ||
	shard_bad="$shard_bad the shards' lines or verdicts differ from the whole scan's;"
if [ -n "$shard_bad" ]; then
	fail shard "lines per shard:$sizes:$shard_bad"
elif same_set shard "$IN" "$T/shard.union"; then
	ok "shard (lines per shard:$sizes; their union is the whole scan, each line once)"
fi

# ---- resume ----
head -n 3 "$T/mixed.out" >"$T/resume.out"
printf '{"line": 2, "inp' >>"$T/resume.out"   # a last line cut by a crash
scan --resume "$T/resume.out" --output "$T/resume.out" "$IN" >/dev/null 2>"$T/resume.err"
code=$?
if [ "$code" = 3 ] && [ ! -s "$T/resume.err" ] && [ "$(not_whole "$T/resume.out")" = 0 ] &&
   same_set resume "$IN" "$T/resume.out"; then
	ok "resume (3 lines kept, the rest evaluated: $(grep -c '^' "$T/resume.out") lines, each once)"
elif [ "$code" != 3 ] || [ -s "$T/resume.err" ] || [ "$(not_whole "$T/resume.out")" != 0 ]; then
	fail resume "exit $code, $(not_whole "$T/resume.out") lines not whole, stderr '$(head -c 200 "$T/resume.err")'"
fi
scan --resume "$T/resume.out" --output "$T/resume.again" "$IN" >/dev/null 2>&1
code=$?
if [ "$code" = 0 ] && [ -e "$T/resume.again" ] && [ ! -s "$T/resume.again" ]; then
	ok resume-complete
else
	fail resume-complete "exit $code, $(grep -c '^' "$T/resume.again" 2>/dev/null) lines written"
fi

# ---- sigint: the domain at work ends whole ----
# multi.lab.test has 4 MX addresses; at one new connection a second its checks wait in
# the queue for about 3 s. --concurrency 4: one domain at a time, the others not read yet.
printf '%s\n' multi.lab.test one.lab.test dane-ee.lab.test nullmx.lab.test >"$T/sig.txt"
"$MAILTLS" scan --domains --quiet "${COMMON[@]}" --concurrency 4 --rate 1 --output "$T/sig.out" \
	"$T/sig.txt" >/dev/null 2>"$T/sig.err" &
BGPID=$!
sleep 0.7
kill -INT "$BGPID"
t0=$(now_ms)
for ((i = 0; i < 300; i++)); do
	kill -0 "$BGPID" 2>/dev/null || break
	sleep 0.02
done
if kill -0 "$BGPID" 2>/dev/null; then
	kill -KILL "$BGPID"
	wait "$BGPID" 2>/dev/null
	code=hung
else
	wait "$BGPID"
	code=$?
fi
BGPID=""
ms=$(($(now_ms) - t0))
whole=$(jq -r '"\(.line) \(.input) \([.mx_hosts[].addresses[] | .server.checked] | map(tostring) | join(","))"' "$T/sig.out" 2>/dev/null)
want_err="mailtls: scan: stopped by a signal after 1 results; run it again with --resume to check the rest"
if [ "$code" = 3 ] && [ "$whole" = "1 multi.lab.test true,true,true,true" ] &&
   [ "$(cat "$T/sig.err")" = "$want_err" ] && [ "$(not_whole "$T/sig.out")" = 0 ]; then
	ok "sigint (exit 3 $ms ms after the signal; multi.lab.test written with its 4 addresses checked)"
else
	fail sigint "exit $code after $ms ms, lines '$whole', stderr '$(head -c 300 "$T/sig.err")'"
fi
scan --resume "$T/sig.out" --output "$T/sig.out" "$T/sig.txt" >/dev/null 2>"$T/sig.err"
code=$?
if [ "$code" = 0 ] && [ ! -s "$T/sig.err" ] && same_set sigint-resume "$T/sig.txt" "$T/sig.out"; then
	ok "sigint-resume (the set complete: $(grep -c '^' "$T/sig.out") lines, each once)"
elif [ "$code" != 0 ] || [ -s "$T/sig.err" ]; then
	fail sigint-resume "exit $code, stderr '$(head -c 300 "$T/sig.err")'"
fi

echo
echo "($(($(date +%s) - STARTED)) s)"
echo "scan-domains: $pass passed, $failn failed"
[ "$failn" -eq 0 ] && [ "$pass" -gt 0 ]
