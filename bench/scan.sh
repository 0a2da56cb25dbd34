#!/bin/bash
# scan.sh - benchmark `mailtls scan` against its floors and peers on loopback (not a test).
#
# SYNOPSIS
#	bash bench/scan.sh [BUILD_DIR]
#
# DESCRIPTION
#	Starts its own fault servers (BUILD_DIR/lab/faultd) and its own test PKI
#	(lab/mkcerts.sh, in a fresh temporary directory), never the lab, and in one
#	run measures:
#
#	  throughput   mailtls scan of BENCH_N STARTTLS checks of faultd's good mode
#	               (ECDSA P-256 leaf + intermediate, TLS 1.3, X25519) on 64
#	               addresses 127.78.0.1-64:2525, checked as mx1.lab.test against
#	               the test root: checks per second, and client CPU (user+sys of
#	               the mailtls process, from GNU time) per check;
#	  floors       openssl s_time -new against openssl s_server with the same
#	               certificate (client CPU per handshake), and openssl speed's
#	               pure cryptography per check: X25519 key generation and
#	               derivation (2 x 1/derive rate) plus two ECDSA P-256 verifies;
#	  memory       peak RSS with 1,000 checks in flight (--concurrency 1000 on
#	               512 addresses 127.78.1-8.1-64:2525 of faultd's slow-phases
#	               mode, which holds each check about 4.8 s), and the RSS of one
#	               long scan after 1k, 10k, 50k (and 100k) checks, sampled from
#	               /proc/PID/status while it runs;
#	  peers        the same good targets as a shell loop of posttls-finger and of
#	               openssl s_client -starttls smtp, and testssl.sh's parallel
#	               mass mode (-S: server defaults and certificate checks), per
#	               check wall and CPU time;
#
#	then prints a table, mailtls's ratios to each floor and peer, and one
#	PASS/FAIL line per target:
#	  cpu   mailtls client CPU per check <= s_time client CPU per handshake
#	  rss   peak RSS < 64 MB with 1,000 checks in flight
#	  flat  RSS grows by at most 4 MB after the first 1,000 checks of a long scan
#
#	When the build has no `mailtls scan` (`mailtls scan --help` fails), its rows
#	say "mailtls scan: not available in this build" and the targets SKIP; the
#	floors and peers are measured all the same.
#
#	Only loopback addresses are used (127.78.0.0/16: never the lab's
#	127.77.0.0/24, so no lab lock is needed); one run at a time on a machine
#	(lock /tmp/mailtls-bench-scan.lock). Every wait is bounded; on exit only the
#	processes this script started are stopped (their PIDs, checked against
#	/proc/PID/exe).
#
#	Missing Debian packages from BENCH_PACKAGES are installed with apt-get (as
#	root; otherwise the script says what to install and exits 2).
#
#	Exit status: 0 when every measured run verified (whatever the figures), 1 when
#	one did not or a server could not be started, 2 on usage or setup errors.
#
# ENVIRONMENT
#	BENCH_QUICK=1	a quick run: 1,000 checks, 5,000 in the long scan, 50 loop
#			runs, 4 testssl.sh targets, shorter floors
#	BENCH_FULL=1	also the 100k point of the long scan and testssl.sh on all
#			100 targets (about 7 s of CPU each: some 10 more minutes)
#	BENCH_N		checks in the throughput scan (default 10000)
#	BENCH_MEM_N	checks in the long scan (default 50000; 100000 with FULL)
#	BENCH_HOLD_N	checks in the 1,000-in-flight scan (default 2000; >= 1000)
#	BENCH_LOOP_N	runs of each peer loop (default 200)
#	BENCH_TESTSSL_N	testssl.sh targets (default 20; 100 with FULL)
#	BENCH_STIME	seconds of openssl s_time (default 10)
#	BENCH_SPEED	seconds per openssl speed measurement (default 3)
#	BENCH_SCAN_ARGS	extra arguments for every mailtls scan run
#	BENCH_KEEP	if set, keep the temporary directory (raw outputs, samples)
#
# REQUIRES bash >= 5 (EPOCHREALTIME), and BENCH_PACKAGES below.
set -u
export LC_ALL=C

prog=scan.sh
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")

die() { echo "$prog: $*" >&2; exit "${2:-1}"; }
say() { echo "$prog: $*" >&2; }

# What the bench needs beyond scripts/deps.sh: peers and measuring tools.
BENCH_PACKAGES="testssl.sh postfix openssl time jq iproute2 procps"

[ $# -le 1 ] || die "usage: bash bench/scan.sh [BUILD_DIR]" 2
[ -n "${EPOCHREALTIME:-}" ] || die "needs bash >= 5 (EPOCHREALTIME)" 2
build=${1:-build}
if [ ! -d "$build" ] && [ -d "$top/$build" ]; then
	build=$top/$build
fi
build=$(cd "$build" 2>/dev/null && pwd) || die "no build directory: ${1:-build}" 2
MAILTLS=$build/src/mailtls
FAULTD=$build/lab/faultd
[ -x "$MAILTLS" ] || die "$MAILTLS not built (ninja -C $build)" 2
[ -x "$FAULTD" ] || die "$FAULTD not built (ninja -C $build lab/faultd)" 2
MAILTLS=$(readlink -f "$MAILTLS")
FAULTD=$(readlink -f "$FAULTD")

# --- sizes -----------------------------------------------------------------------------
int() { case $2 in '' | *[!0-9]*) die "$1 must be a whole number: '$2'" 2 ;; esac; }
QUICK=${BENCH_QUICK:-}
FULL=${BENCH_FULL:-}
[ "$QUICK" = 0 ] && QUICK=
[ "$FULL" = 0 ] && FULL=
if [ -n "$QUICK" ]; then
	d_n=1000 d_mem=5000 d_hold=1000 d_loop=50 d_testssl=4 d_stime=3 d_speed=1
else
	d_n=10000 d_mem=50000 d_hold=2000 d_loop=200 d_testssl=20 d_stime=10 d_speed=3
fi
if [ -n "$FULL" ]; then
	d_mem=100000 d_testssl=100
fi
N=${BENCH_N:-$d_n};			int BENCH_N "$N"
MEM_N=${BENCH_MEM_N:-$d_mem};		int BENCH_MEM_N "$MEM_N"
HOLD_N=${BENCH_HOLD_N:-$d_hold};	int BENCH_HOLD_N "$HOLD_N"
LOOP_N=${BENCH_LOOP_N:-$d_loop};	int BENCH_LOOP_N "$LOOP_N"
TESTSSL_N=${BENCH_TESTSSL_N:-$d_testssl}; int BENCH_TESTSSL_N "$TESTSSL_N"
STIME_S=${BENCH_STIME:-$d_stime};	int BENCH_STIME "$STIME_S"
SPEED_S=${BENCH_SPEED:-$d_speed};	int BENCH_SPEED "$SPEED_S"
for v in "$N" "$MEM_N" "$HOLD_N" "$LOOP_N" "$TESTSSL_N" "$STIME_S" "$SPEED_S"; do
	[ "$v" -ge 1 ] || die "BENCH_* sizes must be >= 1" 2
done
[ "$TESTSSL_N" -le 100 ] || die "BENCH_TESTSSL_N: at most 100" 2
read -r -a SCAN_ARGS <<<"${BENCH_SCAN_ARGS:-}"

INFLIGHT=1000			# checks in flight for the memory target
PER_ADDRESS=2			# mailtls scan's default --per-address
RSS_TARGET_KB=65536		# 64 MB with 1,000 in flight
FLAT_KB=4096			# allowed growth after the first 1,000 checks
NAME=mx1.lab.test		# what faultd's good certificate holds
PORT=2525
GOOD_ADDRS=64			# 127.78.0.1-64 (faultd takes at most 64 listeners)
HOLD_NETS=8			# 127.78.1-8.1-64: 512 addresses x 2 per address >= 1,000
SSERVER=127.78.9.1:4433		# openssl s_server for s_time
[ "$HOLD_N" -ge "$INFLIGHT" ] || die "BENCH_HOLD_N must be >= $INFLIGHT" 2

# --- packages --------------------------------------------------------------------------
install_bench_packages() {
	local p missing=
	command -v dpkg-query >/dev/null 2>&1 || return 0	# not Debian: the checks below say
	for p in $BENCH_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" -eq 0 ] ||
		die "missing Debian packages:$missing (run as root, or: apt-get install$missing)" 2
	say "installing:$missing"
	# posttls-finger comes with Postfix, which would ask how to configure itself.
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	{ apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing; } \
		>"${TMPDIR:-/tmp}/mailtls-bench-apt.log" 2>&1 ||
		die "apt-get install$missing failed (see ${TMPDIR:-/tmp}/mailtls-bench-apt.log)" 2
}
install_bench_packages

GNUTIME=/usr/bin/time
"$GNUTIME" -f %M -o /dev/null true 2>/dev/null || die "needs GNU time at /usr/bin/time (package time)" 2
PTF=$(command -v posttls-finger || echo /usr/sbin/posttls-finger)
[ -x "$PTF" ] || die "needs posttls-finger (package postfix)" 2
OPENSSL=$(command -v openssl) || die "needs openssl" 2
TESTSSL=$(command -v testssl || command -v testssl.sh) || die "needs testssl.sh (package testssl.sh)" 2
for t in jq ss timeout flock stat; do
	command -v "$t" >/dev/null 2>&1 || die "needs $t" 2
done

# 1,000 connections at once need more descriptors than a login's usual 1024.
if [ "$(ulimit -Sn)" != unlimited ] && [ "$(ulimit -Sn)" -lt 8192 ]; then
	ulimit -Sn 8192 2>/dev/null || ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true
fi

# --- one run at a time, in a directory of our own ----------------------------------------
exec 9>/tmp/mailtls-bench-scan.lock
flock -w 600 9 || die "another scan.sh holds /tmp/mailtls-bench-scan.lock"

tmp=$(mktemp -d /tmp/mailtls-bench-scan.XXXXXX) || die "mktemp failed"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
PIDS=()				# "pid exe" of every server we started

# stop_ours - SIGTERM to our servers (faultd kills its children), bounded wait, SIGKILL
stop_ours() {
	local e p exe i
	for e in "${PIDS[@]}"; do
		p=${e%% *} exe=${e#* }
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$exe" ] && kill -TERM "$p" 2>/dev/null
	done
	for e in "${PIDS[@]}"; do
		p=${e%% *} exe=${e#* }
		for ((i = 0; i < 50; i++)); do
			[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$exe" ] || break
			sleep 0.1
		done
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$exe" ] && kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PIDS=()
}

# shellcheck disable=SC2317 # called from the trap
cleanup() {
	stop_ours
	if [ -n "${BENCH_KEEP:-}" ]; then
		say "kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- servers -----------------------------------------------------------------------------
# listening ADDR:PORT... - are all of them listening?
listening() {
	local l s
	l=$(ss -Hltn 2>/dev/null | awk '{print $4}')
	for s in "$@"; do
		grep -qxF "$s" <<<"$l" || return 1
	done
}

# wait_up PID EXE WHAT ADDR:PORT... - until all listen (10 s at most) while PID runs
wait_up() {
	local pid=$1 exe=$2 what=$3 i
	shift 3
	for ((i = 0; i < 100; i++)); do
		listening "$@" && return 0
		# Not yet exec'd, or exited.
		case $(readlink "/proc/$pid/exe" 2>/dev/null) in
		"$exe" | "$(readlink -f /bin/bash)" | "$BASH") ;;
		*) [ "$i" -gt 5 ] && { tail -n 5 "$tmp/$what.log" >&2; die "$what exited"; } ;;
		esac
		sleep 0.1
	done
	tail -n 5 "$tmp/$what.log" >&2
	die "$what is not listening after 10 s"
}

# start_faultd WHAT MODE ADDR... - one faultd with ADDR:PORT=MODE for every ADDR
start_faultd() {
	local what=$1 mode=$2 a args=() want=()
	shift 2
	for a in "$@"; do
		args+=(-l "$a:$PORT=$mode")
		want+=("$a:$PORT")
	done
	(cd "$tmp" && exec "$FAULTD" -p "$tmp/pki" "${args[@]}" </dev/null >>"$tmp/$what.log" 2>&1) &
	PIDS+=("$! $FAULTD")
	wait_up "$!" "$FAULTD" "$what" "${want[@]}"
}

good_addr() { echo "127.78.0.$(($1 % GOOD_ADDRS + 1))"; }

# Nobody else may be on our addresses (a faultd or s_server left by someone else).
busy=$(ss -Hltn 2>/dev/null | awk '{print $4}' | grep '^127\.78\.' | head -n 3 | tr '\n' ' ')
[ -z "$busy" ] || die "127.78.0.0/16 addresses already in use: $busy"

sh "$top/lab/mkcerts.sh" "$tmp/pki" >"$tmp/mkcerts.log" 2>&1 ||
	{ cat "$tmp/mkcerts.log" >&2; die "lab/mkcerts.sh failed"; }
CA=$tmp/pki/root.pem
"$OPENSSL" x509 -in "$tmp/pki/good.crt" -noout -text 2>/dev/null | grep -q 'NIST CURVE: P-256' ||
	die "$tmp/pki/good.crt is not an ECDSA P-256 certificate"

addrs=()
for ((k = 0; k < GOOD_ADDRS; k++)); do addrs+=("$(good_addr "$k")"); done
start_faultd faultd-good good "${addrs[@]}"

# --- mailtls scan --------------------------------------------------------------------------
HAVE_SCAN=
if "$MAILTLS" scan --help >/dev/null 2>&1; then HAVE_SCAN=1; fi
NOSCAN="mailtls scan: not available in this build"

# targets FILE COUNT good|hold - COUNT lines of HOST:PORT, cycling over the addresses
targets() {
	awk -v n="$2" -v kind="$3" -v port="$PORT" -v g="$GOOD_ADDRS" -v h="$HOLD_NETS" 'BEGIN {
		for (i = 0; i < n; i++)
			if (kind == "good")
				printf "127.78.0.%d:%d\n", i % g + 1, port
			else
				printf "127.78.%d.%d:%d\n", int(i / 64) % h + 1, i % 64 + 1, port
	}' >"$1"
}

# inflight - established client connections to our servers' port
inflight() { ss -Htn state established "( dport = :$PORT )" 2>/dev/null | wc -l; }

# rss_of PID - VmRSS in KB (0 when gone), without a fork
rss_of() {
	local k v _r=0
	while read -r k v _; do
		[ "$k" = VmRSS: ] && _r=$v
	done 2>/dev/null <"/proc/$1/status"
	echo "$_r"
}

# run_scan TAG INPUT COUNT LIMIT_S SAMPLE [ARGS...] - mailtls scan under GNU time, ended
# after LIMIT_S seconds. SAMPLE "rss": every 0.1 s "ms rss_kb output_bytes -" to
# TAG.samples; "inflight": the same with the established connections in the last column;
# "": only the time limit, checked every second (the fewest forks beside the measured run).
# Sets S_WALL (s), S_CPU (s), S_RSS (KB), S_OK, S_LINES, S_TIMEDOUT.
run_scan() {
	local tag=$1 input=$2 count=$3 limit=$4 sample=$5 tpid mpid="" mexe="" i t0 ms size n r
	shift 5
	S_TIMEDOUT=
	"$GNUTIME" -o "$tmp/$tag.time" -f '%e %U %S %M' "$MAILTLS" scan --smtp "$input" \
		--name "$NAME" --ca-file "$CA" --output "$tmp/$tag.jsonl" "${SCAN_ARGS[@]}" "$@" \
		</dev/null >"$tmp/$tag.stdout" 2>"$tmp/$tag.stderr" &
	tpid=$!
	t0=${EPOCHREALTIME/./}
	# GNU time's child, once it has exec'd mailtls: the process to sample.
	for ((i = 0; i < 200; i++)); do
		mpid=$(cat "/proc/$tpid/task/$tpid/children" 2>/dev/null)
		mpid=${mpid%% *}
		if [ -n "$mpid" ]; then
			mexe=$(readlink "/proc/$mpid/exe" 2>/dev/null)
			[ -n "$mexe" ] && [ "$mexe" != "$(readlink -f "$GNUTIME")" ] && break
		fi
		[ -d "/proc/$tpid" ] || break
		mpid="" mexe=""
		sleep 0.01
	done
	: >"$tmp/$tag.samples"
	while [ -n "$mpid" ] && [ "$(readlink "/proc/$mpid/exe" 2>/dev/null)" = "$mexe" ]; do
		ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
		if [ -n "$sample" ]; then
			r=$(rss_of "$mpid")
			size=$(stat -c %s "$tmp/$tag.jsonl" 2>/dev/null) || size=0
			n=-
			[ "$sample" = inflight ] && n=$(inflight)
			[ "$r" -gt 0 ] && echo "$ms $r $size $n" >>"$tmp/$tag.samples"
		fi
		if [ "$ms" -gt $((limit * 1000)) ]; then
			say "$tag: still running after $limit s: stopping it"
			S_TIMEDOUT=1
			kill -TERM "$mpid" 2>/dev/null
			for ((i = 0; i < 50; i++)); do
				[ "$(readlink "/proc/$mpid/exe" 2>/dev/null)" = "$mexe" ] || break
				sleep 0.1
			done
			[ "$(readlink "/proc/$mpid/exe" 2>/dev/null)" = "$mexe" ] && kill -KILL "$mpid" 2>/dev/null
			break
		fi
		if [ -n "$sample" ]; then sleep 0.1; else sleep 1; fi
	done
	wait "$tpid"
	read -r S_WALL u s S_RSS < <(tail -n 1 "$tmp/$tag.time")
	S_CPU=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
	S_LINES=0
	[ -f "$tmp/$tag.jsonl" ] && S_LINES=$(wc -l <"$tmp/$tag.jsonl")
	# Exit code of every result line (compact JSON objects, one per input line).
	jq -R -r '(fromjson? // {}) | (.exit_code // "invalid") | tostring' \
		"$tmp/$tag.jsonl" 2>/dev/null | sort | uniq -c >"$tmp/$tag.codes"
	S_OK=$(awk '$2 == "0" { print $1 }' "$tmp/$tag.codes")
	S_OK=${S_OK:-0}
	if [ "$S_OK" -ne "$count" ] || [ -n "$S_TIMEDOUT" ]; then
		say "$tag: $S_OK of $count checks exit 0 ($S_LINES result lines); exit codes:" \
			"$(awk '{ printf "%s x%s  ", $2, $1 }' "$tmp/$tag.codes")"
		head -n 5 "$tmp/$tag.stderr" >&2
		failed=1
	fi
}

failed=

# --- 1. throughput ------------------------------------------------------------------------
if [ -n "$HAVE_SCAN" ]; then
	targets "$tmp/good.txt" "$N" good
	say "mailtls scan: $N checks"
	run_scan tput "$tmp/good.txt" "$N" $((60 + N / 50)) ""
	T_WALL=$S_WALL T_CPU=$S_CPU T_RSS=$S_RSS T_OK=$S_OK
else
	say "$NOSCAN"
fi

# --- 2. floors ------------------------------------------------------------------------------
say "openssl speed ($SPEED_S s per figure)"
"$OPENSSL" speed -seconds "$SPEED_S" -mr ecdhx25519 >"$tmp/speed.x25519" 2>&1
"$OPENSSL" speed -seconds "$SPEED_S" -mr ecdsap256 >"$tmp/speed.p256" 2>&1
# -mr lines: +F5:n:bits:derives/s:s/derive  and  +F4:n:bits:signs/s:verifies/s
X25519_OPS=$(awk -F: '/^\+F5:/ { v = $4 } END { print v + 0 }' "$tmp/speed.x25519")
P256_VERIFY_OPS=$(awk -F: '/^\+F4:/ { v = $5 } END { print v + 0 }' "$tmp/speed.p256")
if awk -v a="$X25519_OPS" -v b="$P256_VERIFY_OPS" 'BEGIN { exit !(a > 0 && b > 0) }'; then
	CRYPTO_US=$(awk -v a="$X25519_OPS" -v b="$P256_VERIFY_OPS" \
		'BEGIN { printf "%.1f", 2e6 / a + 2e6 / b }')
else
	say "openssl speed gave no figures"; cat "$tmp/speed.x25519" "$tmp/speed.p256" >&2
	CRYPTO_US=nan failed=1
fi

say "openssl s_time -new ($STIME_S s)"
"$OPENSSL" s_server -accept "$SSERVER" -cert "$tmp/pki/good.crt" -key "$tmp/pki/good.key" \
	-cert_chain "$tmp/pki/int.pem" -quiet </dev/null >"$tmp/s_server.log" 2>&1 &
PIDS+=("$! $(readlink -f "$OPENSSL")")
wait_up "$!" "$(readlink -f "$OPENSSL")" s_server "$SSERVER"
# s_time needs an absolute -CAfile; with it the chain is verified (the result is not enforced).
"$GNUTIME" -o "$tmp/s_time.time" -f '%e %U %S %M' "$OPENSSL" s_time -new -connect "$SSERVER" \
	-CAfile "$CA" -time "$STIME_S" </dev/null >"$tmp/s_time.out" 2>&1
STIME_CONNS=$(awk '/connections in .* real seconds/ { n = $1 } END { print n + 0 }' "$tmp/s_time.out")
read -r _ u s _ < <(tail -n 1 "$tmp/s_time.time")
STIME_CPU=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
if [ "$STIME_CONNS" -gt 0 ]; then
	STIME_US=$(awk -v c="$STIME_CPU" -v n="$STIME_CONNS" 'BEGIN { printf "%.1f", c * 1e6 / n }')
else
	say "openssl s_time made no connection"; tail -n 5 "$tmp/s_time.out" >&2
	STIME_US=nan failed=1
fi

# --- 3. memory ------------------------------------------------------------------------------
if [ -n "$HAVE_SCAN" ]; then
	for ((h = 1; h <= HOLD_NETS; h++)); do
		addrs=()
		for ((k = 1; k <= 64; k++)); do addrs+=("127.78.$h.$k"); done
		start_faultd "faultd-slow$h" slow-phases "${addrs[@]}"
	done
	targets "$tmp/hold.txt" "$HOLD_N" hold
	say "mailtls scan: $HOLD_N slow checks, $INFLIGHT in flight"
	# slow-phases answers each phase after 0.8 s: a 5 s phase timeout leaves room for load.
	run_scan hold "$tmp/hold.txt" "$HOLD_N" $((120 + HOLD_N / 50)) inflight \
		--concurrency "$INFLIGHT" --per-address "$PER_ADDRESS" --timeout 5
	H_WALL=$S_WALL H_RSS=$S_RSS H_OK=$S_OK
	H_INFLIGHT=$(awk '$4 != "-" && $4 > m { m = $4 } END { print m + 0 }' "$tmp/hold.samples")

	targets "$tmp/long.txt" "$MEM_N" good
	say "mailtls scan: $MEM_N checks, RSS sampled"
	run_scan long "$tmp/long.txt" "$MEM_N" $((60 + MEM_N / 50)) rss
	L_WALL=$S_WALL L_RSS=$S_RSS L_OK=$S_OK
	# RSS after K checks: the first sample taken once the output held K lines (the
	# last sample for the whole scan); "flat" compares the largest sample after the
	# first 1,000 checks with the one at 1,000.
	MARKS=""
	for k in 1000 10000 50000 100000; do [ "$k" -lt "$MEM_N" ] && MARKS="$MARKS $k"; done
	MARKS="$MARKS $MEM_N"
	awk -v marks="$MARKS" 'BEGIN { n = split(marks, m, " "); for (i = 1; i <= n; i++) want[m[i]] = 1 }
		{ b += length($0) + 1 } (NR in want) { print NR, b }' "$tmp/long.jsonl" >"$tmp/long.offsets"
	: >"$tmp/long.marks"
	while read -r k off; do
		awk -v k="$k" -v off="$off" -v all="$MEM_N" '$3 >= off { print k, $2; found = 1; exit }
			{ last = $2 }
			END { if (!found) print k, (k == all && last != "" ? last : "n/a") }' \
			"$tmp/long.samples" >>"$tmp/long.marks"
	done <"$tmp/long.offsets"
	off1k=$(awk '$1 == 1000 { print $2 }' "$tmp/long.offsets")
	FLAT_FIRST=$(awk '$1 == 1000 { print $2 }' "$tmp/long.marks")
	FLAT_MOST=$(awk -v off="${off1k:-0}" '$3 >= off && $2 > m { m = $2 } END { print m + 0 }' \
		"$tmp/long.samples")
fi

# --- 4. peers ------------------------------------------------------------------------------
mkdir -p "$tmp/ptf"
: >"$tmp/ptf/main.cf"
# Postfix programs re-read a main.cf younger than a second, in 300 ms naps: make it old.
touch -d '-1 minute' "$tmp/ptf/main.cf"
export MAIL_CONFIG=$tmp/ptf	# posttls-finger: an empty main.cf gives the defaults

# peer_one TOOL ADDR - one check of ADDR:PORT as NAME; every run bounded by timeout(1)
peer_one() {
	case $1 in
	posttls-finger)
		timeout -k 5 30 "$PTF" -c -l secure -F "$CA" -s "$NAME" "[$2]:$PORT" "$NAME" ;;
	s_client)
		timeout -k 5 30 "$OPENSSL" s_client -connect "$2:$PORT" -starttls smtp \
			-CAfile "$CA" -servername "$NAME" -verify_hostname "$NAME" \
			-verify_return_error -brief ;;
	floor)
		timeout -k 5 30 true ;;
	esac
}

# peer_loop TOOL - LOOP_N runs over the good addresses; all output to loop.TOOL.out
peer_loop() {
	local i
	for ((i = 0; i < LOOP_N; i++)); do
		# No command substitution here: its fork would count in the loop's CPU.
		peer_one "$1" "127.78.0.$((i % GOOD_ADDRS + 1))" </dev/null
	done >"$tmp/loop.$1.out" 2>&1
}

declare -A P_WALL P_CPU P_N P_OK
TIMEFORMAT='%3R %3U %3S'
for t in posttls-finger s_client floor; do
	say "$t: $LOOP_N runs"
	{ time peer_loop "$t"; } 2>"$tmp/loop.$t.time"
	read -r w u s < <(tail -n 1 "$tmp/loop.$t.time")
	P_WALL[$t]=$w
	P_CPU[$t]=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", u + s }')
	P_N[$t]=$LOOP_N
	case $t in
	posttls-finger)	ok=$(grep -c "^posttls-finger: Verified TLS connection established to" \
				"$tmp/loop.$t.out") ;;
	s_client)	ok=$(grep -c "^Verified peername: $NAME\$" "$tmp/loop.$t.out")
			v=$(grep -c '^Verification: OK$' "$tmp/loop.$t.out")
			[ "$v" -lt "$ok" ] && ok=$v ;;
	floor)		ok=$LOOP_N ;;
	esac
	P_OK[$t]=$ok
	if [ "$ok" -ne "$LOOP_N" ]; then
		say "$t: only $ok of $LOOP_N runs verified; last lines:"
		tail -n 5 "$tmp/loop.$t.out" >&2
		failed=1
	fi
done

# testssl.sh mass mode: one command line per target, run in parallel.
TESTSSL_LIMIT=$((60 + TESTSSL_N * 15))
for ((i = 0; i < TESTSSL_N; i++)); do
	a=$(good_addr "$i")
	# -n none: no DNS at all; --ip: the address to test; --add-ca: trust the test root.
	echo "-n none --ip $a -t smtp -S --add-ca $CA $a:$PORT"
done >"$tmp/testssl.list"
say "testssl.sh: $TESTSSL_N targets in parallel (-S)"
{ time (cd "$tmp" && timeout -k 10 "$TESTSSL_LIMIT" "$TESTSSL" --quiet --color 0 --parallel \
	--file "$tmp/testssl.list" </dev/null >"$tmp/testssl.out" 2>&1); } 2>"$tmp/testssl.time"
read -r w u s < <(tail -n 1 "$tmp/testssl.time")
P_WALL[testssl]=$w
P_CPU[testssl]=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", u + s }')
P_N[testssl]=$TESTSSL_N
P_OK[testssl]=$(grep -c '^ Chain of trust  *Ok' "$tmp/testssl.out")
if [ "${P_OK[testssl]}" -ne "$TESTSSL_N" ]; then
	say "testssl.sh: only ${P_OK[testssl]} of $TESTSSL_N targets with 'Chain of trust Ok'" \
		"(limit $TESTSSL_LIMIT s); last lines:"
	tail -n 5 "$tmp/testssl.out" >&2
	failed=1
fi

stop_ours

# --- report ----------------------------------------------------------------------------------
f1() { awk -v x="$1" 'BEGIN { printf "%.1f", x }'; }
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || b + 0 <= 0) print "n/a";
		else printf "%.3gx", a / b }'
}
# row WHAT CHECKS WALL_S CPU_S RSS OK
row() {
	awk -v what="$1" -v n="$2" -v w="$3" -v c="$4" -v rss="$5" -v ok="$6" 'BEGIN {
		printf "%-34s %7d %9.2f %9.1f %11.2f %11.0f %10s %9s\n", what, n, w,
			(w > 0 ? n / w : 0), w * 1000 / n, c * 1e6 / n, (rss == "" ? "-" : rss), ok
	}'
}

echo "mailtls scan benchmark: faultd good mode (ECDSA P-256 leaf + intermediate, TLS 1.3)," \
	"checked as $NAME against the test root"
echo "targets: 127.78.0.1-$GOOD_ADDRS:$PORT; 1,000-in-flight scan: slow-phases on" \
	"$((HOLD_NETS * 64)) addresses 127.78.1-$HOLD_NETS.1-64:$PORT"
echo "mailtls: $MAILTLS ($("$MAILTLS" --version 2>/dev/null | head -n 1))"
echo "host: $(uname -srm), $(nproc) CPUs, load $LOAD0 at the start;" \
	"$("$OPENSSL" version | cut -d' ' -f1-2)"
[ -n "$QUICK" ] && echo "(BENCH_QUICK: reduced sizes)"
echo
echo "per check: wall = run's wall time / checks (1/throughput), CPU = client user+sys / checks"
printf '%-34s %7s %9s %9s %11s %11s %10s %9s\n' what checks "wall s" checks/s "wall ms" \
	"CPU us" "RSS KB" verified
if [ -n "$HAVE_SCAN" ]; then
	row "mailtls scan" "$N" "$T_WALL" "$T_CPU" "$T_RSS" "$T_OK/$N"
else
	printf '%-34s %s\n' "mailtls scan" "$NOSCAN"
fi
row "posttls-finger loop" "$LOOP_N" "${P_WALL[posttls-finger]}" "${P_CPU[posttls-finger]}" "" \
	"${P_OK[posttls-finger]}/$LOOP_N"
row "openssl s_client loop" "$LOOP_N" "${P_WALL[s_client]}" "${P_CPU[s_client]}" "" \
	"${P_OK[s_client]}/$LOOP_N"
row "testssl.sh --parallel -S" "$TESTSSL_N" "${P_WALL[testssl]}" "${P_CPU[testssl]}" "" \
	"${P_OK[testssl]}/$TESTSSL_N"
row "loop harness floor (timeout true)" "$LOOP_N" "${P_WALL[floor]}" "${P_CPU[floor]}" "" "-"
echo "  loops run one check at a time over $LOOP_N targets; the harness floor is included in" \
	"their rows"
if [ "$TESTSSL_N" -lt 100 ]; then
	echo "  testssl.sh capped at $TESTSSL_N of 100 targets (about 7 s of CPU each; BENCH_FULL=1" \
		"or BENCH_TESTSSL_N=100 for all)"
fi
echo
echo "floors (client CPU per handshake)"
STIME_WALL=$(tail -n 1 "$tmp/s_time.time" | cut -d' ' -f1)
printf '  %-52s %9s us  (%s connections in %s s, %s s CPU)\n' \
	"openssl s_time -new vs s_server, same certificate" "$STIME_US" "$STIME_CONNS" \
	"$STIME_WALL" "$STIME_CPU"
printf '  %-52s %9s us  (X25519 %s derive/s, P-256 %s verify/s)\n' \
	"openssl speed: 2 X25519 (keygen+derive) + 2 P-256 verify" "$CRYPTO_US" \
	"$(f1 "$X25519_OPS")" "$(f1 "$P256_VERIFY_OPS")"
echo
echo "memory"
if [ -n "$HAVE_SCAN" ]; then
	printf '  %-52s %9s KB  (peak in flight seen: %s; %s of %s exit 0 in %s s)\n' \
		"peak RSS, --concurrency $INFLIGHT, $HOLD_N slow checks" "$H_RSS" "$H_INFLIGHT" \
		"$H_OK" "$HOLD_N" "$H_WALL"
	while read -r k r; do
		printf '  %-52s %9s KB\n' "RSS after $k checks of a $MEM_N-check scan" "$r"
	done <"$tmp/long.marks"
	printf '  %-52s %9s KB  (%s of %s exit 0 in %s s)\n' "peak RSS of that scan" "$L_RSS" \
		"$L_OK" "$MEM_N" "$L_WALL"
else
	echo "  $NOSCAN"
fi
echo
echo "ratios (mailtls scan / other; CPU per check, and wall per check: mailtls runs checks" \
	"concurrently, the loops one at a time)"
if [ -n "$HAVE_SCAN" ]; then
	M_CPU_US=$(awk -v c="$T_CPU" -v n="$N" 'BEGIN { printf "%.1f", c * 1e6 / n }')
	M_WALL_MS=$(awk -v w="$T_WALL" -v n="$N" 'BEGIN { printf "%.3f", w * 1000 / n }')
	printf '  %-34s CPU %8s\n' "openssl s_time (floor)" "$(ratio "$M_CPU_US" "$STIME_US")"
	printf '  %-34s CPU %8s\n' "openssl speed (crypto floor)" "$(ratio "$M_CPU_US" "$CRYPTO_US")"
	for t in posttls-finger s_client testssl; do
		pc=$(awk -v c="${P_CPU[$t]}" -v n="${P_N[$t]}" 'BEGIN { printf "%.1f", c * 1e6 / n }')
		pw=$(awk -v w="${P_WALL[$t]}" -v n="${P_N[$t]}" 'BEGIN { printf "%.3f", w * 1000 / n }')
		printf '  %-34s CPU %8s   wall %8s\n' "$t" "$(ratio "$M_CPU_US" "$pc")" \
			"$(ratio "$M_WALL_MS" "$pw")"
	done
else
	echo "  $NOSCAN"
fi
echo
echo "targets"
if [ -z "$HAVE_SCAN" ]; then
	echo "SKIP cpu:  mailtls CPU per check <= s_time CPU per handshake: $NOSCAN"
	echo "SKIP rss:  peak RSS < 64 MB with $INFLIGHT in flight: $NOSCAN"
	echo "SKIP flat: RSS flat after the first 1,000 checks: $NOSCAN"
else
	r=$(ratio "$M_CPU_US" "$STIME_US")
	if awk -v a="$M_CPU_US" -v b="$STIME_US" 'BEGIN { exit !(b != "nan" && a <= b) }'; then
		echo "PASS cpu:  mailtls $M_CPU_US us per check <= s_time $STIME_US us per handshake ($r)"
	else
		echo "FAIL cpu:  mailtls $M_CPU_US us per check > s_time $STIME_US us per handshake ($r)"
	fi
	note=
	[ "$H_INFLIGHT" -lt $((INFLIGHT * 9 / 10)) ] && note=" (only $H_INFLIGHT seen in flight)"
	if [ "$H_RSS" -lt "$RSS_TARGET_KB" ] && [ -z "$note" ]; then
		echo "PASS rss:  peak RSS $H_RSS KB < $RSS_TARGET_KB KB with $H_INFLIGHT in flight"
	else
		echo "FAIL rss:  peak RSS $H_RSS KB, target < $RSS_TARGET_KB KB with $INFLIGHT in flight$note"
	fi
	first=${FLAT_FIRST:-n/a} most=$FLAT_MOST
	if [ "$first" = n/a ] || [ "$MEM_N" -le 1000 ]; then
		echo "FAIL flat: no RSS sample after 1,000 checks (output not written as it runs?)"
	elif [ "$most" -le $((first + FLAT_KB)) ]; then
		echo "PASS flat: RSS $first KB after 1,000 checks, at most $most KB later" \
			"(<= +$FLAT_KB KB)"
	else
		echo "FAIL flat: RSS $first KB after 1,000 checks, $most KB later (> +$FLAT_KB KB)"
	fi
fi
[ -z "$failed" ] || exit 1
exit 0
