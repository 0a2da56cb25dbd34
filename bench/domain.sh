#!/bin/bash
# domain.sh - benchmark `mailtls domain` against what an administrator runs today:
# posttls-finger once per MX host, one after another (not a test).
#
# SYNOPSIS
#	bash bench/domain.sh [BUILD_DIR]
#
# DESCRIPTION
#	Starts the lab (lab/lab.sh: Postfix on 127.77.1.1-4 as mxa..mxd.lab.test and on
#	127.77.0.1 as mx1.lab.test; NSD and a validating Unbound on 127.77.2.53 with the
#	lab's DNSSEC world) under the lab lock (/tmp/mailtls-lab.lock: one lab on a machine
#	at a time), stops it on exit, and in one run measures, BENCH_RUNS times each,
#	interleaved (the order alternates from one round to the next):
#
#	  multi   mailtls domain multi.lab.test (4 MX hosts, TLSA absent: MX, A/AAAA,
#	          TLSA and PTR lookups, 4 checks), against the sequence
#	          posttls-finger -c -l dane -F ROOT '[mxa.lab.test]', then mxb, mxc, mxd
#	          (each: A and TLSA lookups, one STARTTLS session, verification);
#	  one     mailtls domain one.lab.test (1 MX host), against one
#	          posttls-finger -c -l dane -F ROOT one.lab.test (its own MX lookup);
#	  sts     mailtls domain sts-enforce.lab.test with MTA-STS (2 MX hosts; the
#	          _mta-sts and _smtp._tls TXT records, the policy fetched over HTTPS from
#	          nginx, and the checks), against what an administrator runs by hand:
#	          drill TXT _mta-sts..., drill TXT _smtp._tls..., curl the policy
#	          (--resolve to the address drill gives, --cacert ROOT), then
#	          posttls-finger '[mxa.lab.test]' and '[mxb.lab.test]', in sequence.
#	multi and one run with --no-mta-sts: posttls-finger does no MTA-STS, so like is
#	compared with like; sts measures what MTA-STS adds against its own peers.
#
#	Every measured run must have verified: mailtls exit 0 with every MX address
#	checked over TLS (jq on its JSON); posttls-finger's "Verified TLS connection
#	established to mxX.lab.test[ADDR]:25" (for one.lab.test, whose certificate does not
#	name the domain, "... TLS connection established to mx1.lab.test[127.77.0.1]:25").
#	posttls-finger exits 0 even when it fails, so its log is what is read.
#
#	Each run is timed by bash's time keyword around `timeout 60 CMD` (wall, and the user
#	and system CPU of the command and its children to the millisecond); the sequence's
#	wall time is taken around its four runs (EPOCHREALTIME). The same harness runs `true`
#	every round: its median is printed, and taken off each command in a second pair of
#	ratios (the sequence pays it four times).
#
#	Then it prints the command lines, a table (median, min, max wall ms per run; client
#	CPU ms per run), the ratios mailtls / peer of the medians, and one
#	PASS/FAIL line per target:
#	  multi   mailtls domain <= 0.33 x the posttls-finger sequence
#	  one     mailtls domain <= 1.0 x one posttls-finger
#	  sts     mailtls domain <= 0.4 x the drill, curl, posttls-finger sequence
#	A round of every command runs first, unmeasured: it fills Unbound's cache, so the
#	measured runs see the same warm resolver.
#
#	DNS: mailtls asks the lab resolver only (--resolver, --trust-anchor with the lab's
#	DS). posttls-finger uses glibc's resolver, so every command of the benchmark runs in
#	a private mount namespace (unshare --mount) where /etc/resolv.conf is a bind mount
#	naming the lab resolver only (options trust-ad, or glibc drops the AD bit): no lab
#	name reaches the machine's resolver. MAIL_CONFIG is a directory of its own with a
#	main.cf of four lines (smtp_dns_support_level = dnssec, smtp_host_lookup = dns,
#	inet_protocols = ipv4, compatibility_level), dated a minute back (Postfix naps while
#	its main.cf is younger than a second).
#
#	Exit status: 0 when every measured run verified (whatever the figures), 1 when one
#	did not or the lab could not be started, 2 on usage or setup errors.
#
# ENVIRONMENT
#	BENCH_RUNS	measured runs of each command (default 20)
#	BENCH_KEEP	if set, keep the temporary directory (raw times, logs)
#
# REQUIRES bash >= 5 (EPOCHREALTIME), root (the lab, unshare), postfix (posttls-finger),
# util-linux (unshare), jq, curl, drill (ldnsutils), and the lab's packages
# (scripts/deps.sh).
set -u
export LC_ALL=C

prog=domain.sh
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")

die() { echo "$prog: $*" >&2; exit "${2:-1}"; }
say() { echo "$prog: $*" >&2; }

[ $# -le 1 ] || die "usage: bash bench/domain.sh [BUILD_DIR]" 2
[ -n "${EPOCHREALTIME:-}" ] || die "needs bash >= 5 (EPOCHREALTIME)" 2
build=${1:-build}
if [ ! -d "$build" ] && [ -d "$top/$build" ]; then
	build=$top/$build
fi
build=$(cd "$build" 2>/dev/null && pwd) || die "no build directory: ${1:-build}" 2
MAILTLS=$build/src/mailtls
export FAULTD=$build/lab/faultd
[ -x "$MAILTLS" ] || die "$MAILTLS not built (ninja -C $build)" 2
[ -x "$FAULTD" ] || die "$FAULTD not built (ninja -C $build lab/faultd)" 2
RUNS=${BENCH_RUNS:-20}
case $RUNS in '' | *[!0-9]* | 0) die "BENCH_RUNS must be a whole number >= 1: '$RUNS'" 2 ;; esac
[ "$(id -u)" -eq 0 ] || die "run as root (the lab and unshare --mount need it)" 2

PTF=$(command -v posttls-finger || echo /usr/sbin/posttls-finger)
[ -x "$PTF" ] || die "needs posttls-finger (package postfix)" 2
for t in jq unshare mount flock timeout curl drill; do
	command -v "$t" >/dev/null 2>&1 || die "needs $t" 2
done
timeout 5 unshare --mount true 2>/dev/null || die "unshare --mount is not allowed here (needs CAP_SYS_ADMIN)" 2

MULTI_TARGET=0.33
ONE_TARGET=1.0
STS_TARGET=0.4

# --- the lab, under the lab lock -----------------------------------------------------------
exec 9>/tmp/mailtls-lab.lock
flock -w 900 9 || die "another lab holds /tmp/mailtls-lab.lock"
tmp=$(mktemp -d /tmp/mailtls-bench-domain.XXXXXX) || die "mktemp failed"
chmod 755 "$tmp"   # postfix and dovecot open files in the lab by path
LAB=$tmp/lab

# shellcheck disable=SC2317 # called from the trap
cleanup() {
	sh "$top/lab/lab.sh" stop "$LAB" >/dev/null 2>&1
	if [ -n "${BENCH_KEEP:-}" ]; then
		say "kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
sh "$top/lab/lab.sh" start "$LAB" >"$tmp/lab-start.log" 2>&1 ||
	{ tail -n 20 "$tmp/lab-start.log" >&2; die "the lab did not start"; }
# shellcheck disable=SC1091
. "$LAB/lab.env"
: "${LAB_DNS_RESOLVER:?lab.env has no LAB_DNS_RESOLVER: a lab without its DNS world}"

PF=$tmp/pf
mkdir -p "$PF"
printf '%s\n' 'compatibility_level = 3.6' 'smtp_dns_support_level = dnssec' \
	'smtp_host_lookup = dns' 'inet_protocols = ipv4' >"$PF/main.cf"
touch -d '-1 minute' "$PF/main.cf"
printf 'nameserver %s\noptions trust-ad\n' "$LAB_DNS_RESOLVER" >"$PF/resolv.conf"

# The command lines, as they run (ROOT, TA: the lab's files).
MT=("$MAILTLS" domain --resolver "$LAB_DNS_RESOLVER" --trust-anchor "$LAB_DNS_TA"
	--ca-file "$LAB_CA" --format json)
PT=("$PTF" -c -l dane -F "$LAB_CA")
MX_HOSTS="mxa mxb mxc mxd"
STS_HOSTS="mxa mxb"
STS_URL=https://mta-sts.sts-enforce.lab.test/.well-known/mta-sts.txt

# --- the measurement, inside the mount namespace ------------------------------------------
# inner.sh runs with /etc/resolv.conf naming the lab resolver only. Every run appends
# "KIND ROUND WALL_MS CPU_MS" to times.txt and keeps its output for the checks after.
cat >"$tmp/inner.sh" <<'INNER'
set -u
mount --bind "$PF/resolv.conf" /etc/resolv.conf || exit 99
read -r -a MT <<<"$MT_LINE"
read -r -a PT <<<"$PT_LINE"

# timed KIND ROUND OUT CMD... - wall, user and sys ms of CMD and its children (bash's time
# keyword: getrusage of the children, to the millisecond)
timed() {
	local kind=$1 round=$2 out=$3 r u s
	shift 3
	{ time MAIL_CONFIG=$PF timeout -k 2 60 "$@" >"$out" 2>&1; } 2>"$out.time"
	echo $? >"$out.rc"
	read -r r u s <"$out.time"
	echo "$kind $round $(awk -v r="$r" -v u="$u" -v s="$s" 'BEGIN { printf "%.1f %.1f", r * 1000, (u + s) * 1000 }')" >>"$OUT/times.txt"
}
TIMEFORMAT='%3R %3U %3S' 

mailtls_multi() { timed mailtls-multi "$1" "$OUT/mailtls-multi.$1" "${MT[@]}" --no-mta-sts multi.lab.test; }
mailtls_one() { timed mailtls-one "$1" "$OUT/mailtls-one.$1" "${MT[@]}" --no-mta-sts one.lab.test; }
mailtls_sts() { timed mailtls-sts "$1" "$OUT/mailtls-sts.$1" "${MT[@]}" sts-enforce.lab.test; }
# sts_seq ROUND - by hand: both TXT records, the policy host's address, the policy, and
# posttls-finger per MX host listed.
sts_seq() {
	local h t0 t1 addr
	t0=${EPOCHREALTIME/./}
	timed sts-txt "$1" "$OUT/sts-txt.$1" drill TXT _mta-sts.sts-enforce.lab.test
	timed sts-rpt "$1" "$OUT/sts-rpt.$1" drill TXT _smtp._tls.sts-enforce.lab.test
	timed sts-a "$1" "$OUT/sts-a.$1" drill A mta-sts.sts-enforce.lab.test
	addr=$(awk '$1 == "mta-sts.sts-enforce.lab.test." && $4 == "A" { print $5; exit }' "$OUT/sts-a.$1")
	timed sts-curl "$1" "$OUT/sts-curl.$1" curl -sS --max-redirs 0 --proto =https \
		--resolve "mta-sts.sts-enforce.lab.test:443:${addr:-0.0.0.0}" --cacert "$CA" "$URL"
	for h in $STS_HOSTS; do
		timed "sts-pf-$h" "$1" "$OUT/sts-pf-$h.$1" "${PT[@]}" "[$h.lab.test]"
	done
	t1=${EPOCHREALTIME/./}
	echo "sts-seq $1 $(((t1 - t0) / 1000)).$(((t1 - t0) % 1000 / 100)) -" >>"$OUT/times.txt"
}
pf_one() { timed pf-one "$1" "$OUT/pf-one.$1" "${PT[@]}" one.lab.test; }
harness() { timed harness "$1" "$OUT/harness.$1" true; }
pf_seq() {
	local h t0 t1
	t0=${EPOCHREALTIME/./}
	for h in $MX_HOSTS; do
		timed "pf-$h" "$1" "$OUT/pf-$h.$1" "${PT[@]}" "[$h.lab.test]"
	done
	t1=${EPOCHREALTIME/./}
	echo "pf-seq $1 $(((t1 - t0) / 1000)).$(((t1 - t0) % 1000 / 100)) -" >>"$OUT/times.txt"
}

# Round 0 is the warm-up (not counted); then the order alternates.
for ((r = 0; r <= RUNS; r++)); do
	if ((r % 2 == 0)); then
		mailtls_multi "$r"; pf_seq "$r"; mailtls_one "$r"; pf_one "$r"; harness "$r"
		mailtls_sts "$r"; sts_seq "$r"
	else
		harness "$r"; pf_seq "$r"; mailtls_multi "$r"; pf_one "$r"; mailtls_one "$r"
		sts_seq "$r"; mailtls_sts "$r"
	fi
done
INNER
mkdir -p "$tmp/out"
: >"$tmp/out/times.txt"
say "measuring: $RUNS runs of each, interleaved (and a warm-up round)"
PF=$PF OUT=$tmp/out RUNS=$RUNS MX_HOSTS=$MX_HOSTS STS_HOSTS=$STS_HOSTS CA=$LAB_CA URL=$STS_URL \
	MT_LINE="${MT[*]}" PT_LINE="${PT[*]}" \
	timeout -k 5 1800 unshare --mount bash "$tmp/inner.sh" ||
	die "the measurement in the mount namespace failed (exit $?)"

# --- verification ------------------------------------------------------------------------
failed=
bad() { say "$*"; failed=1; }
addr_of() { case $1 in mxa) echo 127.77.1.1 ;; mxb) echo 127.77.1.2 ;; mxc) echo 127.77.1.3 ;; mxd) echo 127.77.1.4 ;; esac; }
for ((r = 1; r <= RUNS; r++)); do
	for d in multi one; do
		f=$tmp/out/mailtls-$d.$r
		n=$([ "$d" = multi ] && echo 4 || echo 1)
		v=$(jq -r '[.exit_code, ([.mx_hosts[].addresses[] | select(.server.checked and .server.session.tls.established)] | length)] | map(tostring) | join(" ")' "$f" 2>/dev/null)
		if [ "$(cat "$f.rc")" != 0 ] || [ "$v" != "0 $n" ]; then
			bad "mailtls domain $d.lab.test, run $r: exit $(cat "$f.rc"), '$v' (want '0 $n'): $(head -c 200 "$f")"
		fi
	done
	for h in $MX_HOSTS; do
		grep -q "^posttls-finger: Verified TLS connection established to $h\.lab\.test\[$(addr_of "$h")\]:25" \
			"$tmp/out/pf-$h.$r" || bad "posttls-finger [$h.lab.test], run $r: $(tail -n 1 "$tmp/out/pf-$h.$r")"
	done
	grep -Eq '^posttls-finger: (Verified|Trusted|Untrusted) TLS connection established to mx1\.lab\.test\[127\.77\.0\.1\]:25' \
		"$tmp/out/pf-one.$r" || bad "posttls-finger one.lab.test, run $r: $(tail -n 1 "$tmp/out/pf-one.$r")"
	# sts: mailtls read the policy and judged both hosts; the peers got the same facts.
	v=$(jq -r '[.exit_code, .mta_sts.in_effect, .mta_sts.policy.fetch,
		([.mx_hosts[] | .mta_sts.result] | join(","))] | map(tostring) | join(" ")' \
		"$tmp/out/mailtls-sts.$r" 2>/dev/null)
	[ "$v" = "0 true ok ok,ok" ] ||
		bad "mailtls domain sts-enforce.lab.test, run $r: '$v' (want '0 true ok ok,ok')"
	grep -q 'v=STSv1; id=20261130T01' "$tmp/out/sts-txt.$r" || bad "drill _mta-sts, run $r: no record"
	grep -q 'v=TLSRPTv1' "$tmp/out/sts-rpt.$r" || bad "drill _smtp._tls, run $r: no record"
	grep -q '^mode: enforce' "$tmp/out/sts-curl.$r" || bad "curl policy, run $r: $(head -c 200 "$tmp/out/sts-curl.$r")"
	for h in $STS_HOSTS; do
		grep -q "^posttls-finger: Verified TLS connection established to $h\.lab\.test\[$(addr_of "$h")\]:25" \
			"$tmp/out/sts-pf-$h.$r" || bad "posttls-finger [$h.lab.test] (sts), run $r: $(tail -n 1 "$tmp/out/sts-pf-$h.$r")"
	done
done

# --- figures -------------------------------------------------------------------------------
# stat KIND COLUMN - "median min max" of the measured rounds (column 3: wall, 4: CPU)
stat() {
	awk -v k="$1" -v c="$2" '$1 == k && $2 > 0 && $c != "-" { print $c }' "$tmp/out/times.txt" |
		sort -n | awk '{ v[NR] = $1 } END {
			if (NR == 0) { print "- - -"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.1f %.1f %.1f\n", m, v[1], v[NR] }'
}
# cpu_seq - median over rounds of the summed CPU of the four posttls-finger runs
cpu_seq() {
	awk '$1 ~ /^pf-mx[a-d]$/ && $2 > 0 { s[$2] += $4 } END { for (r in s) print s[r] }' "$tmp/out/times.txt" |
		sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit }
			printf "%.1f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r != "-" && r <= t) ? "PASS" : "FAIL" }'; }

read -r mm_med mm_min mm_max < <(stat mailtls-multi 3)
read -r ps_med ps_min ps_max < <(stat pf-seq 3)
read -r mo_med mo_min mo_max < <(stat mailtls-one 3)
read -r po_med po_min po_max < <(stat pf-one 3)
read -r mm_cpu _ < <(stat mailtls-multi 4)
read -r mo_cpu _ < <(stat mailtls-one 4)
read -r po_cpu _ < <(stat pf-one 4)
read -r hn_med hn_min hn_max < <(stat harness 3)
read -r sm_med sm_min sm_max < <(stat mailtls-sts 3)
read -r sm_cpu _ < <(stat mailtls-sts 4)
read -r ss_med ss_min ss_max < <(stat sts-seq 3)
r_sts=$(ratio "$sm_med" "$ss_med")
ps_cpu=$(cpu_seq)
r_multi=$(ratio "$mm_med" "$ps_med")
r_one=$(ratio "$mo_med" "$po_med")

echo
echo "mailtls domain vs posttls-finger -l dane, $RUNS runs each (medians), $(nproc) CPUs, load before: $LOAD0"
echo
echo "commands (ROOT=$LAB_CA, TA=$LAB_DNS_TA; MAIL_CONFIG=$PF; /etc/resolv.conf in the namespace: nameserver $LAB_DNS_RESOLVER):"
echo "  ${MT[*]} multi.lab.test" | sed "s|$LAB_CA|ROOT|g; s|$LAB_DNS_TA|TA|g"
for h in $MX_HOSTS; do echo "  ${PT[*]} '[$h.lab.test]'" | sed "s|$LAB_CA|ROOT|g"; done
echo "  ${MT[*]} one.lab.test" | sed "s|$LAB_CA|ROOT|g; s|$LAB_DNS_TA|TA|g"
echo "  ${PT[*]} one.lab.test" | sed "s|$LAB_CA|ROOT|g"
echo "  ${MT[*]} sts-enforce.lab.test" | sed "s|$LAB_CA|ROOT|g; s|$LAB_DNS_TA|TA|g"
echo "  drill TXT _mta-sts.sts-enforce.lab.test; drill TXT _smtp._tls.sts-enforce.lab.test;"
echo "  drill A mta-sts.sts-enforce.lab.test; curl -sS --max-redirs 0 --proto =https --resolve"
echo "  mta-sts.sts-enforce.lab.test:443:ADDR --cacert ROOT $STS_URL;"
for h in $STS_HOSTS; do echo "  ${PT[*]} '[$h.lab.test]'" | sed "s|$LAB_CA|ROOT|g"; done
echo
printf '%-44s %10s %10s %10s %10s\n' "per run" "wall ms" "min" "max" "CPU ms"
printf '%-44s %10s %10s %10s %10s\n' "mailtls domain multi.lab.test (4 MX)" "$mm_med" "$mm_min" "$mm_max" "$mm_cpu"
printf '%-44s %10s %10s %10s %10s\n' "posttls-finger mxa, mxb, mxc, mxd in sequence" "$ps_med" "$ps_min" "$ps_max" "$ps_cpu"
for h in $MX_HOSTS; do
	read -r a b c < <(stat "pf-$h" 3)
	read -r u _ < <(stat "pf-$h" 4)
	printf '%-44s %10s %10s %10s %10s\n' "  posttls-finger [$h.lab.test]" "$a" "$b" "$c" "$u"
done
printf '%-44s %10s %10s %10s %10s\n' "mailtls domain one.lab.test (1 MX)" "$mo_med" "$mo_min" "$mo_max" "$mo_cpu"
printf '%-44s %10s %10s %10s %10s\n' "posttls-finger one.lab.test" "$po_med" "$po_min" "$po_max" "$po_cpu"
printf '%-44s %10s %10s %10s %10s\n' "mailtls domain sts-enforce (MTA-STS, 2 MX)" "$sm_med" "$sm_min" "$sm_max" "$sm_cpu"
printf '%-44s %10s %10s %10s %10s\n' "drill x3, curl, posttls-finger x2 in sequence" "$ss_med" "$ss_min" "$ss_max" "-"
for k in sts-txt sts-rpt sts-a sts-curl sts-pf-mxa sts-pf-mxb; do
	read -r a b c < <(stat "$k" 3)
	read -r u _ < <(stat "$k" 4)
	printf '%-44s %10s %10s %10s %10s\n' "  $k" "$a" "$b" "$c" "$u"
done
printf '%-44s %10s %10s %10s %10s\n' "harness floor (timeout true)" "$hn_med" "$hn_min" "$hn_max" "-"
echo
echo "ratios (mailtls / peer, medians of wall time; below 1: mailtls is faster):"
printf '  %-60s %s  %s\n' "multi: domain multi.lab.test / posttls-finger x 4 in sequence" "$r_multi" \
	"$(verdict "$r_multi" "$MULTI_TARGET") (target <= $MULTI_TARGET)"
printf '  %-60s %s  %s\n' "one:   domain one.lab.test / posttls-finger one.lab.test" "$r_one" \
	"$(verdict "$r_one" "$ONE_TARGET") (target <= $ONE_TARGET)"
printf '  %-60s %s  %s\n' "sts:   domain sts-enforce.lab.test / drill, curl, pf x2" "$r_sts" \
	"$(verdict "$r_sts" "$STS_TARGET") (target <= $STS_TARGET)"
echo "the same with the harness floor taken off each command (4 x for the sequence):"
printf '  %-60s %s\n' "multi" "$(awk -v a="$mm_med" -v b="$ps_med" -v h="$hn_med" 'BEGIN { printf "%.2f", (a - h) / (b - 4 * h) }')"
printf '  %-60s %s\n' "one" "$(awk -v a="$mo_med" -v b="$po_med" -v h="$hn_med" 'BEGIN { printf "%.2f", (a - h) / (b - h) }')"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -z "$failed" ] || { say "some runs did not verify (above)"; exit 1; }
exit 0
