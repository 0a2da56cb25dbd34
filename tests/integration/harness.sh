# harness.sh - what the lab suites that run `mailtls` and read its JSON share (sourced by
# domain.sh and mtasts.sh, after safety.sh):
#	runner_init		RUNNER, RUNNER_ARGS, SLOWDOWN from the environment
#	lab_start NAME		a lab of the suite's own, stopped on exit; lab.env sourced
#	ok NAME, fail NAME WHY	count and print one assertion (`ok   NAME`, `FAIL NAME: why`)
#	run TAG ARGS...		mailtls ARGS under the runner, bounded by LIMIT seconds
#	expand LIST		"a:info*2 b:warning" -> "a:info a:info b:warning", sorted
#	jq_list FILE EXPR	the strings a jq expression yields, sorted, one space apart
#	fact TAG WHAT EXPR	a jq expression is true of run TAG's JSON
#	text TAG DOMAIN ...	the text report of `mailtls domain` agrees with run TAG's JSON
# The caller sets MAILTLS, RUNNER_ARGS (an array, maybe empty), LIMIT and T (the directory
# for outputs) before calling run, and COMMON (the options of every domain run) before text.
# shellcheck shell=bash

# runner_init - RUNNER (MAILTLS_RUNNER, or valgrind with VALGRIND=1), RUNNER_ARGS (its
# words) and SLOWDOWN (what time limits are multiplied by under it:
# MAILTLS_RUNNER_SLOWDOWN, default 10).
# shellcheck disable=SC2034 # the suites read them
runner_init() {
	RUNNER=${MAILTLS_RUNNER:-}
	if [ -z "$RUNNER" ] && [ "${VALGRIND:-0}" = 1 ]; then
		RUNNER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
	fi
	read -r -a RUNNER_ARGS <<<"$RUNNER"
	SLOWDOWN=1
	[ -n "$RUNNER" ] && SLOWDOWN=${MAILTLS_RUNNER_SLOWDOWN:-10}
}

# lab_start NAME - a lab of its own in a fresh /tmp/mailtls-NAME.XXXXXX (LAB), stopped and
# removed on exit (only its own PIDs), its lab.env sourced, T="$LAB/NAME-test" made for
# the outputs, STARTED the time it began. Needs TOP and RUNNER; exits 1 when jq or timeout
# is missing or the lab does not start.
lab_start() {
	local tool
	for tool in jq timeout; do
		command -v "$tool" >/dev/null || { echo "$1.sh: $tool is needed" >&2; exit 1; }
	done
	LAB=$(mktemp -d "/tmp/mailtls-$1.XXXXXX")
	chmod 755 "$LAB"   # postfix and dovecot must reach their files inside
	# shellcheck disable=SC2064 # LAB and TOP are fixed now
	trap "sh '$TOP/lab/lab.sh' stop '$LAB' >/dev/null 2>&1; rm -rf '$LAB'" EXIT
	STARTED=$(date +%s.%N)
	if ! sh "$TOP/lab/lab.sh" start "$LAB" >"$LAB.start.log" 2>&1; then
		cat "$LAB.start.log" >&2
		rm -f "$LAB.start.log"
		echo "$1.sh: the lab did not start" >&2
		exit 1
	fi
	rm -f "$LAB.start.log"
	echo "lab started in $(awk -v a="$STARTED" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s${RUNNER:+ (mailtls under: $RUNNER)}"
	# shellcheck disable=SC1091
	. "$LAB/lab.env"
	T="$LAB/$1-test"
	mkdir -p "$T"
}

pass=0
failn=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
fail() { echo "FAIL $1: $2"; failn=$((failn + 1)); }

# run TAG ARGS... - mailtls ARGS under the runner, at most LIMIT s; stdout in $T/TAG.out,
# stderr in $T/TAG.err; sets code. False, after fail, when either holds unsafe bytes.
run() {
	local tag=$1 f
	shift
	timeout -k 2 "$LIMIT" "${RUNNER_ARGS[@]}" "$MAILTLS" "$@" >"$T/$tag.out" 2>"$T/$tag.err"
	code=$?
	for f in out err; do
		if unsafe "$T/$tag.$f"; then
			fail "$tag" "unsafe bytes on std$f:$(show_unsafe "$T/$tag.$f")"
			return 1
		fi
	done
}

# expand LIST - "a:info*2 b:warning" -> "a:info a:info b:warning", sorted, one space apart.
expand() {
	local tok n i
	for tok in $1; do
		n=1
		case $tok in *'*'*) n=${tok##*\*} tok=${tok%\**} ;; esac
		for ((i = 0; i < n; i++)); do echo "$tok"; done
	done | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
}

# jq_list FILE EXPR - the strings EXPR yields, sorted, one space apart; "jq error: ..." when
# jq fails (never a partial list that could pass for a short one).
jq_list() {
	local out
	out=$(jq -r "$2" "$1" 2>&1) || { echo "jq error: $out" | tr '\n' ' '; return; }
	printf '%s\n' "$out" | sed '/^$/d' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
}

# fact TAG WHAT EXPR - jq EXPR is true of the JSON of run TAG.
fact() {
	if jq -e "$3" "$T/$1.out" >/dev/null 2>&1; then
		ok "$1: $2"
	else
		fail "$1: $2" "jq '$3' is not true"
	fi
}

# text TAG DOMAIN [OPTIONS...] - the text report of a run whose JSON is $T/TAG.out: the same
# exit code, the "Outcome per sender level" lines (level, outcome, via, and the outcome of a
# weaker less preferred host from outcomes_worst; the level that sets the exit code starred),
# the verdict line, and the same finding ids as the JSON, counted
# (the domain's and every server's, ok ones included).
text() {
	local tag=$1 name=$2 level want_verdict want_lines got_lines want_ids got_ids
	shift 2
	run "$tag.text" domain "$name" "${COMMON[@]}" "$@" || return
	level=$(jq -r '.level' "$T/$tag.out")
	want_verdict="Verdict: $(jq -r '.verdict' "$T/$tag.out") at level $level"
	if [ "$code" != "$(jq -r '.exit_code' "$T/$tag.out")" ] || [ -s "$T/$tag.text.err" ]; then
		fail "$tag text" "exit $code (JSON: $(jq -r '.exit_code' "$T/$tag.out")), stderr: $(head -c 600 "$T/$tag.text.err")"
		return
	fi
	if [ "$(grep -c '^Verdict: ' "$T/$tag.text.out")" != 1 ] ||
	   [ "$(grep '^Verdict: ' "$T/$tag.text.out")" != "$want_verdict" ]; then
		fail "$tag text" "verdict line '$(grep '^Verdict: ' "$T/$tag.text.out")', want '$want_verdict'"
		return
	fi
	# The outcome lines, from the JSON: none for a null MX.
	want_lines=$(jq -r --arg l "$level" 'if .null_mx then empty else .outcomes_worst as $w
		| .outcomes | to_entries[]
		| (if .key == $l then "*" else "-" end) + " " + .key + " " + .value.outcome
		  + (if .value.via then " via " + .value.via else "" end)
		  + (if $w[.key] != .value.outcome then " (a less preferred host: " + $w[.key] + ")"
		     else "" end) end' "$T/$tag.out")
	got_lines=$(sed -n '/^Outcome per sender level$/,/^Verdict: /p' "$T/$tag.text.out" |
	    sed -n 's/^  \([* ]\) \([a-z-]*\) *\([a-z]*\) *\(via .*\)\{0,1\}$/\1 \2 \3 \4/p' |
	    sed 's/^ /-/; s/ *$//')
	if [ "$got_lines" != "$want_lines" ]; then
		fail "$tag text" "outcome lines '$(echo "$got_lines" | tr '\n' '|')', want '$(echo "$want_lines" | tr '\n' '|')'"
		return
	fi
	want_ids=$(jq_list "$T/$tag.out" '(.findings[], (.mx_hosts[].addresses[].server // empty | .findings[])) | .id')
	got_ids=$(sed -n 's/^ *\(OK\|INFO\|WARNING\|CRITICAL\) *\([a-z0-9.-]*\): .*/\2/p' "$T/$tag.text.out" |
	    LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')
	if [ "$got_ids" != "$want_ids" ]; then
		fail "$tag text" "finding ids '$got_ids', JSON '$want_ids'"
		return
	fi
	ok "$tag text"
}
