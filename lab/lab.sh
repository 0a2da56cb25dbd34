#!/bin/sh
# lab.sh - start, stop and inspect the mailtls test lab on loopback.
#
# SYNOPSIS
#	sh lab/lab.sh start DIR
#	sh lab/lab.sh stop DIR
#	sh lab/lab.sh status DIR
#
# DESCRIPTION
#	start makes a fresh test PKI (lab/mkcerts.sh) in DIR/pki, generates
#	Postfix and Dovecot configurations from lab/templates/, starts Postfix,
#	Dovecot and faultd (the fault server, $FAULTD, default build/lab/faultd)
#	on the 127.77.0.0/24 and 127.77.1.0/24 addresses of the address plan
#	below, the DNS world (lab/dns.sh: NSD on 127.77.2.54, a validating
#	Unbound on 127.77.2.53, zones signed afresh) and the MTA-STS policy
#	host (lab/sts.sh: nginx on 127.77.3.1:443), waits until every
#	listener is up and Unbound gives a validated answer, and writes
#	DIR/lab.env for tests to source. The [::1]:25 listener is left out
#	(with a message, LAB_HAVE_IPV6=0) when lo has no ::1.
#	Everything it makes lives in DIR. It exits 0 only when every listener
#	listens; otherwise it names the server that failed, stops the others
#	and exits 1. It refuses to start over a lab that is still running.
#
#	stop stops only the processes recorded in DIR/pids, after checking
#	that /proc/PID/exe is still the program that was started.
#
#	status lists the recorded processes and the listeners, and exits 0
#	only if all of them are up.
#
# ENVIRONMENT
#	FAULTD	path of the faultd binary (default: build/lab/faultd under
#		the repository root).
set -eu

prog=lab.sh
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")

die() { echo "$prog: $*" >&2; exit 1; }
say() { echo "$prog: $*" >&2; }

# The address plan: one listener per line.
#	VAR	lab.env variable (LAB_VAR=ADDR:PORT, LAB_VAR_ADDR, LAB_VAR_PORT,
#		LAB_VAR_NAME)
#	SERVER	postfix, dovecot, faultd, nginx or ocspd
#	CERT	certificate (postfix, dovecot), "none", or faultd's MODE (which
#		picks its own certificate; MODE/CERT names another one); for
#		nginx the main one (templates/nginx.conf.in has the others)
#	NAME	the name a client should check the server as (reference id)
#	EXTRA	postfix listener flavour: smtp, submission, smtps
PLAN='
SMTP_GOOD		postfix	127.77.0.1	25	good	mx1.lab.test	smtp
SUBMISSION		postfix	127.77.0.1	587	good	mx1.lab.test	submission
SMTPS			postfix	127.77.0.1	465	good	mx1.lab.test	smtps
SMTP_ALIAS		postfix	127.77.0.2	25	alias	mail2.lab.test	smtp
SMTP_CNONLY		postfix	127.77.0.3	25	cnonly	mx3.lab.test	smtp
SMTP_WILDCARD		postfix	127.77.0.4	25	wildcard	mx.wild.lab.test	smtp
SMTP_EXPIRED		postfix	127.77.0.5	25	expired	expired.lab.test	smtp
SMTP_NOTYET		postfix	127.77.0.6	25	notyet	future.lab.test	smtp
SMTP_SELFSIGNED		postfix	127.77.0.7	25	selfsigned	self.lab.test	smtp
SMTP_WRONGNAME		postfix	127.77.0.8	25	wrongname	wrongname.lab.test	smtp
SMTP_UNTRUSTED		postfix	127.77.0.9	25	untrusted	untrusted.lab.test	smtp
SMTP_INCOMPLETE		postfix	127.77.0.10	25	incomplete	incomplete.lab.test	smtp
SMTP_SOON		postfix	127.77.0.11	25	soon	soon.lab.test	smtp
SMTP_PARTIALWILD	postfix	127.77.0.12	25	partialwild	mx.pw.lab.test	smtp
SMTP_NOCERT		postfix	127.77.0.20	25	none	nocert.lab.test	smtp
SMTP_MULTI_A		postfix	127.77.1.1	25	multi	mxa.lab.test	smtp
SMTP_MULTI_B		postfix	127.77.1.2	25	multi	mxb.lab.test	smtp
SMTP_MULTI_C		postfix	127.77.1.3	25	multi	mxc.lab.test	smtp
SMTP_MULTI_D		postfix	127.77.1.4	25	multi	mxd.lab.test	smtp
SMTP_TA			postfix	127.77.1.10	25	ta	ta.lab.test	smtp
SMTP_MULTI_V6		postfix	[::1]	25	multi	v6mx.lab.test	smtp
IMAP			dovecot	127.77.0.30	143	good	mail.lab.test	-
IMAPS			dovecot	127.77.0.30	993	good	mail.lab.test	-
POP3			dovecot	127.77.0.30	110	good	mail.lab.test	-
POP3S			dovecot	127.77.0.30	995	good	mail.lab.test	-
IMAP_ALIAS		dovecot	127.77.0.31	143	alias	mail2.lab.test	-
IMAPS_ALIAS		dovecot	127.77.0.31	993	alias	mail2.lab.test	-
POP3_ALIAS		dovecot	127.77.0.31	110	alias	mail2.lab.test	-
POP3S_ALIAS		dovecot	127.77.0.31	995	alias	mail2.lab.test	-
LMTP			dovecot	127.77.0.30	24	good	mail.lab.test	-
FAULT_NO_STARTTLS	faultd	127.77.0.40	25	no-starttls	mx1.lab.test	-
FAULT_STARTTLS_454	faultd	127.77.0.41	25	starttls-454	mx1.lab.test	-
FAULT_MULTILINE_BANNER	faultd	127.77.0.42	25	multiline-banner	mx1.lab.test	-
FAULT_LONG_LINE		faultd	127.77.0.43	25	long-line	mx1.lab.test	-
FAULT_CLOSE_AFTER_STARTTLS faultd 127.77.0.44	25	close-after-starttls	mx1.lab.test	-
FAULT_SILENT		faultd	127.77.0.45	25	silent	mx1.lab.test	-
FAULT_DATA_AFTER_STARTTLS faultd 127.77.0.46	25	data-after-starttls	mx1.lab.test	-
FAULT_GREETING_554	faultd	127.77.0.47	25	greeting-554	mx1.lab.test	-
FAULT_EHLO_502		faultd	127.77.0.48	25	ehlo-502	mx1.lab.test	-
FAULT_GOOD		faultd	127.77.0.49	25	good	mx1.lab.test	-
FAULT_GOOD_V6		faultd	[::1]	10025	good	mx1.lab.test	-
FAULT_HTTP_GREETING	faultd	127.77.0.50	25	http-greeting	mx1.lab.test	-
FAULT_CLIENT_CERT	faultd	127.77.0.51	25	client-cert-required	mx1.lab.test	-
FAULT_PIPELINED_GREETING faultd	127.77.0.52	25	pipelined-greeting	mx1.lab.test	-
FAULT_CLOSE_AFTER_HANDSHAKE faultd	127.77.0.53	25	close-after-handshake	mx1.lab.test	-
FAULT_ENDLESS_MULTILINE	faultd	127.77.0.54	25	endless-multiline	mx1.lab.test	-
FAULT_ENDLESS_EHLO	faultd	127.77.0.55	25	endless-ehlo	mx1.lab.test	-
FAULT_HUGE_LINE		faultd	127.77.0.56	25	huge-line	mx1.lab.test	-
FAULT_DRIP		faultd	127.77.0.57	25	drip	mx1.lab.test	-
FAULT_RESET_MID_HANDSHAKE faultd 127.77.0.58	25	reset-mid-handshake	mx1.lab.test	-
FAULT_CHAIN50		faultd	127.77.0.59	25	chain50	chain50.lab.test	-
FAULT_BIG_CERT		faultd	127.77.0.60	25	big-cert	big.lab.test	-
FAULT_NUL_NAME		faultd	127.77.0.61	25	nul-name	mx.example.org	-
FAULT_BAD_UTF8_NAME	faultd	127.77.0.62	25	bad-utf8-name	mx1.lab.test	-
FAULT_HOSTILE_BANNER	faultd	127.77.0.63	25	hostile-banner	mx1.lab.test	-
FAULT_BAD_CODE		faultd	127.77.0.64	25	bad-code	mx1.lab.test	-
FAULT_BAD_CODE_EHLO	faultd	127.77.0.65	25	bad-code-ehlo	mx1.lab.test	-
FAULT_CLOSE_AFTER_GREETING faultd 127.77.0.66	25	close-after-greeting	mx1.lab.test	-
FAULT_TLS10_ONLY	faultd	127.77.0.67	25	tls10-only	mx1.lab.test	-
FAULT_SLOW_PHASES	faultd	127.77.0.68	25	slow-phases	mx1.lab.test	-
FAULT_SPLIT_RECORDS	faultd	127.77.0.69	25	split-records	mx1.lab.test	-
FAULT_AUTH_BEFORE_TLS	faultd	127.77.0.71	587	auth-before-tls	mx1.lab.test	-
FAULT_OCSP_GOOD		faultd	127.77.0.70	25	ocsp-good	mx1.lab.test	-
FAULT_OCSP_REVOKED	faultd	127.77.0.71	25	ocsp-revoked	revoked.lab.test	-
FAULT_OCSP_UNKNOWN	faultd	127.77.0.72	25	ocsp-unknown	mx1.lab.test	-
FAULT_OCSP_STALE	faultd	127.77.0.73	25	ocsp-stale	mx1.lab.test	-
FAULT_OCSP_BADSIG	faultd	127.77.0.74	25	ocsp-badsig	mx1.lab.test	-
FAULT_COMMAND_INJECTION	faultd	127.77.0.75	25	command-injection	mx1.lab.test	-
FAULT_CROSS_CHAIN	faultd	127.77.0.80	25	good/crosschain	cross.lab.test	-
FAULT_NC_PERIOD		faultd	127.77.0.81	25	good/ncperiod	ncperiod.lab.test	-
FAULT_RESPONSE_INJECTION faultd	127.77.0.85	25	response-injection	mx1.lab.test	-
FAULT_CAPS_CHANGE	faultd	127.77.0.86	25	caps-change	mx1.lab.test	-
FAULT_STARTTLS_STRIPPED	faultd	127.77.0.87	25	starttls-stripped	mx.strip.lab.test	-
FAULT_IMAP_LOGIN_BEFORE_TLS faultd	127.77.0.88	143	imap-login-before-tls	mail.lab.test	-
FAULT_POP3_USER_BEFORE_TLS faultd	127.77.0.88	110	pop3-user-before-tls	mail.lab.test	-
FAULT_IMAP_RESPONSE_INJECTION faultd	127.77.0.85	143	imap-response-injection	mail.lab.test	-
FAULT_POP3_RESPONSE_INJECTION faultd	127.77.0.85	110	pop3-response-injection	mail.lab.test	-
STS			nginx	127.77.3.1	443	mtasts	mta-sts.sts-enforce.lab.test	-
FAULT_LIMIT		faultd	127.77.0.95	25	limit-every-8th	mx1.lab.test	-
SMTP_TLS10		postfix	127.77.4.1	25	good	mx1.lab.test	tls10only
SMTP_WEAK		postfix	127.77.4.2	25	rsa	mx1.lab.test	weak
SMTP_DUAL		postfix	127.77.4.3	25	rsa	mx1.lab.test	dual
SMTP_WEAKCERT		postfix	127.77.4.4	25	weakcert	mx1.lab.test	-
OCSP_RESPONDER		ocspd	127.77.3.2	80	int	ocsp.lab.test	-
FAULT_AIA_GOOD		faultd	127.77.0.90	25	good/aia-good	aia-good.lab.test	-
FAULT_AIA_REVOKED	faultd	127.77.0.91	25	good/aia-revoked	aia-revoked.lab.test	-
FAULT_AIA_DOWN		faultd	127.77.0.92	25	good/aia-down	aia-down.lab.test	-
'
DOVECOT_GOOD=127.77.0.30
DOVECOT_ALIAS=127.77.0.31

POSTFIX_DAEMONS=/usr/lib/postfix/sbin
START_WAIT=100		# tenths of a second to wait for listeners
STOP_WAIT=50		# tenths of a second to wait for processes to exit

# plan - the rows of PLAN; without ::1 on lo, not the Postfix IPv6 row
plan() {
	if [ "$have_ipv6" = 1 ]; then
		echo "$PLAN" | grep -v '^[[:space:]]*$'
	else
		echo "$PLAN" | grep -v '^[[:space:]]*$' | awk '!($2 == "postfix" && $3 ~ /^\[/)'
	fi
}

# listeners_all - "server addr port" of every listener: the plan's and the DNS servers'
listeners_all() {
	plan | awk '{print $2, $3, $4}'
	dns_listeners
}
oneline() { echo "$1" | tr '\n' ' ' | sed 's/ *$//'; }

# setdir DIR - absolute lab paths; refuses paths sed or master.cf would mangle
setdir() {
	case $1 in
	"") die "no lab directory given" ;;
	*[!A-Za-z0-9._/+-]*)
		die "lab directory '$1': use only letters, digits and . _ / + -" ;;
	esac
	mkdir -p "$1" || die "cannot create $1"
	dir=$(cd "$1" && pwd)
	pki=$dir/pki
	pcf=$dir/postfix/etc
	pq=$dir/postfix/queue
	pids=$dir/pids
}

# exe_of NAME - the program a recorded process must be running
exe_of() {
	case $1 in
	postfix) echo "$POSTFIX_DAEMONS/master" ;;
	dovecot) echo /usr/sbin/dovecot ;;
	faultd) echo "$faultd" ;;
	nsd) echo /usr/sbin/nsd ;;
	unbound) echo /usr/sbin/unbound ;;
	nginx) echo /usr/sbin/nginx ;;
	ocspd) echo "$ocspd" ;;
	esac
}

# alive NAME PID - is PID still the server we started?
alive() {
	[ -n "$2" ] || return 1
	e=$(readlink "/proc/$2/exe" 2>/dev/null) || return 1
	# A rebuilt or upgraded binary shows as "PATH (deleted)": still ours.
	case $e in
	"$(exe_of "$1")" | "$(exe_of "$1") (deleted)") return 0 ;;
	esac
	return 1
}

# listening ADDR PORT - is there a TCP listener there?
listening() {
	echo "$listeners" | grep -qxF "$1:$2"
}

snapshot() {
	listeners=$(ss -Hltn 2>/dev/null | awk '{print $4}')
}

# our_leftovers - lab server processes still running from DIR (by cwd or root)
our_leftovers() {
	# One find instead of a readlink per process: fast on a busy machine.
	find /proc/[0-9]*/cwd /proc/[0-9]*/root -maxdepth 0 \
	    \( -lname "$dir" -o -lname "$dir/*" \) 2>/dev/null |
	    cut -d/ -f3 | sort -u | while read -r p; do
		e=$(readlink "/proc/$p/exe" 2>/dev/null) || continue
		case ${e% (deleted)} in
		"$POSTFIX_DAEMONS"/* | /usr/sbin/dovecot | /usr/lib/dovecot/* | "$faultd" | \
		    /usr/sbin/nsd | /usr/sbin/unbound | /usr/sbin/nginx | "$ocspd")
			echo "$p" ;;
		esac
	done
}

fill() {
	sed -e "s|@DIR@|$dir|g" -e "s|@PKI@|$pki|g" \
	    -e "s|@DOVECOT_GOOD@|$DOVECOT_GOOD|g" \
	    -e "s|@DOVECOT_ALIAS@|$DOVECOT_ALIAS|g" \
	    -e "s|@INET_PROTOCOLS@|$inet_protocols|g" "$here/templates/$1"
}

# master_cf_listeners - one smtpd line per Postfix row of the plan
master_cf_listeners() {
	plan | while read -r var server addr port cert name extra; do
		[ "$server" = postfix ] || continue
		if [ "$cert" = none ]; then
			# STARTTLS with no certificate at all: anonymous suites only.
			tls="-o smtpd_tls_chain_files= -o smtpd_tls_cert_file=none"
		else
			tls="-o smtpd_tls_chain_files=$pki/$cert.key,$pki/$cert.chain.pem"
		fi
		case $extra in
		submission) tls="$tls -o smtpd_tls_security_level=encrypt" ;;
		smtps) tls="$tls -o smtpd_tls_wrappermode=yes" ;;
		# The survey's listeners. OpenSSL 3 needs security level 0 for TLS 1.0
		# and for DHE with a 1024-bit group; Postfix passes the cipher list on.
		tls10only) tls="$tls -o smtpd_tls_protocols=!SSLv2,!SSLv3,!TLSv1.1,!TLSv1.2,!TLSv1.3"
			tls="$tls -o tls_medium_cipherlist=HIGH:MEDIUM:@SECLEVEL=0" ;;
		weak) tls="$tls -o smtpd_tls_protocols=>=TLSv1 -o tls_preempt_cipherlist=yes"
			tls="$tls -o tls_medium_cipherlist=AES256-SHA:NULL-SHA256:DHE-RSA-AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0"
			tls="$tls -o smtpd_tls_dh1024_param_file=$pki/dh1024.pem" ;;
		dual) tls="$tls,$pki/good.key,$pki/good.chain.pem" ;;
		esac
		printf '%s:%s inet n - n - - smtpd\n  -o syslog_name=postfix/%s %s\n' \
		    "$addr" "$port" "$var" "$tls"
	done
}

write_env() {
	{
		echo "# Generated by lab/lab.sh: the running lab. Source it."
		echo "LAB_DIR=$dir"
		echo "LAB_CA=$pki/root.pem"
		echo "LAB_PKI=$pki"
		plan | while read -r var server addr port cert name extra; do
			echo "LAB_$var=$addr:$port"
			echo "LAB_${var}_ADDR=$addr"
			echo "LAB_${var}_PORT=$port"
			echo "LAB_${var}_NAME=$name"
		done
		dns_env
	} >"$dir/lab.env.new"
	mv "$dir/lab.env.new" "$dir/lab.env"
}

# running_pids - "name pid" of recorded processes still alive
running_pids() {
	[ -f "$pids" ] || return 0
	while read -r n p; do
		if alive "$n" "$p"; then echo "$n $p"; fi
	done <"$pids"
}

do_stop() {
	[ -f "$pids" ] || { say "no lab recorded in $dir (no $pids)"; return 0; }

	# SIGTERM is how "postfix stop" stops the master too (an orderly
	# shutdown of its children); we send it ourselves, after checking the
	# PID, because "postfix stop" then sleeps in whole seconds.
	while read -r n p; do
		if alive "$n" "$p"; then kill -TERM "$p" 2>/dev/null || true; fi
	done <"$pids"

	i=0
	while [ -n "$(running_pids)" ] && [ $i -lt $STOP_WAIT ]; do
		sleep 0.1
		i=$((i + 1))
	done
	left=$(running_pids)
	if [ -n "$left" ]; then
		say "still running after SIGTERM, sending SIGKILL: $(oneline "$left")"
		echo "$left" | while read -r n p; do
			if alive "$n" "$p"; then kill -KILL "$p" 2>/dev/null || true; fi
		done
		sleep 0.2
	fi
	rm -f "$pids"

	# Servers' own children leave when their master does; give them time.
	i=0
	while [ -n "$(our_leftovers)" ] && [ $i -lt $STOP_WAIT ]; do
		sleep 0.1
		i=$((i + 1))
	done
	left=$(our_leftovers)
	[ -z "$left" ] || say "warning: server processes still running in $dir: $(oneline "$left")"
	rm -f "$dir/lab.env"
	return 0
}

# fail WHO WHY LOG - name the server that failed, stop the rest, exit 1
fail() {
	say "$1 failed to start: $2"
	if [ -n "$3" ] && [ -s "$3" ]; then
		say "last lines of $3:"
		tail -n 15 "$3" >&2
	fi
	do_stop >/dev/null 2>&1 || true
	exit 1
}

do_start() {
	[ -x "$faultd" ] || die "faultd not found at $faultd (build it: ninja -C build lab/faultd, or set FAULTD)"
	for t in postfix dovecot openssl ss; do
		command -v "$t" >/dev/null 2>&1 || die "$t not installed (run scripts/deps.sh)"
	done
	dns_tools
	sts_tools
	ocsp_tools
	[ "$(id -u)" -eq 0 ] || die "the lab runs Postfix and Dovecot as root: run as root"

	left=$(running_pids)
	if [ -n "$left" ]; then
		die "a lab is already running in $dir: $(oneline "$left") (run: sh lab/lab.sh stop $dir)"
	fi
	rm -f "$pids" "$dir/lab.env"
	# stop and status check faultd against this path, whatever FAULTD says then.
	echo "$faultd" >"$dir/faultd.exe"

	# Someone else (another lab directory?) on our addresses: say so now.
	snapshot
	busy=$(plan | while read -r var server addr port rest; do
		if listening "$addr" "$port"; then echo "$addr:$port"; fi; done)
	[ -z "$busy" ] || die "addresses already in use (a lab in another directory?): $(oneline "$busy")"
	busy=$(dns_busy)
	[ -z "$busy" ] || die "port 53 of $DNS_AUTH or $DNS_RESOLVER already taken (a lab in another directory, or a DNS server listening on every address?): $(oneline "$busy")"
	[ "$have_ipv6" = 1 ] ||
	    say "no ::1 on lo: no IPv6 listener [::1]:25 (LAB_HAVE_IPV6=0)"

	# Postfix and Dovecot processes running as their own users open files
	# in DIR by path, so every directory above it must let them through.
	a=$dir
	while a=$(dirname "$a"); [ "$a" != / ]; do
		[ -n "$(find "$a" -maxdepth 0 -perm -o+x)" ] ||
		    die "$a is not searchable by other users (mode $(stat -c %a "$a")); the postfix and dovecot users must reach $dir: chmod o+x $a, or use another directory"
	done

	mkdir -p "$dir/log" "$pcf" "$pq" "$dir/postfix/data" "$dir/dovecot/mail" "$dir/dovecot/state" \
	    "$dir/dovecot/run"
	# Unprivileged server processes (postfix, dovenull) walk into DIR.
	chmod 755 "$dir" "$dir/log"
	chown postfix:postfix "$dir/postfix/data"
	: >"$dir/log/lab.log"

	sh "$here/mkcerts.sh" "$pki" || die "making certificates failed"
	dns_make
	sts_make

	# Postfix.
	fill main.cf.in >"$pcf/main.cf"
	{ fill master.cf.in; master_cf_listeners; } >"$pcf/master.cf"
	# Postfix re-reads a main.cf changed within the last second, in
	# 300 ms naps, until it looks settled: make it look old already.
	touch -d '-1 minute' "$pcf/main.cf" "$pcf/master.cf"
	: >"$pids"
	postfix -c "$pcf" check >>"$dir/log/lab.log" 2>&1 ||
	    fail postfix "postfix check failed (see $dir/log/lab.log)" "$dir/log/postfix.log"
	# We just checked: let "start" skip its slow second check.
	touch "$pq/quick-start"
	postfix -c "$pcf" start >>"$dir/log/lab.log" 2>&1 </dev/null ||
	    fail postfix "postfix start failed" "$dir/log/postfix.log"
	p=$(sed -n '1s/ //gp' "$pq/pid/master.pid" 2>/dev/null) || p=
	alive postfix "$p" || fail postfix "no master process (pid '$p')" "$dir/log/postfix.log"
	echo "postfix $p" >>"$pids"

	# Dovecot.
	fill dovecot.conf.in >"$dir/dovecot/dovecot.conf"
	: >"$dir/dovecot/passwd"
	chmod 644 "$dir/dovecot/passwd"
	rm -f "$dir/dovecot/run/master.pid"
	dovecot -c "$dir/dovecot/dovecot.conf" >>"$dir/log/lab.log" 2>&1 </dev/null ||
	    fail dovecot "dovecot exited $?" "$dir/log/dovecot.log"
	i=0
	while [ ! -s "$dir/dovecot/run/master.pid" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	p=$(cat "$dir/dovecot/run/master.pid" 2>/dev/null) || p=
	alive dovecot "$p" || fail dovecot "no master process (pid '$p')" "$dir/log/dovecot.log"
	echo "dovecot $p" >>"$pids"

	# NSD and Unbound, in the foreground, cwd in DIR.
	dns_start
	# nginx, the MTA-STS policy host, in the foreground, cwd in DIR.
	sts_start
	# ocspd, the OCSP responder of the aia-* leaves, cwd in DIR/ocsp.
	ocsp_start

	# faultd: cwd in DIR so that stop can find any straggler by it.
	set --
	for row in $(plan | awk '$2 == "faultd" {print $3 ":" $4 "=" $5}'); do
		set -- "$@" -l "$row"
	done
	(cd "$dir" && exec "$faultd" -p "$pki" "$@" </dev/null >>"$dir/log/faultd.log" 2>&1) &
	p=$!
	echo "faultd $p" >>"$pids"

	# Wait, bounded, until every listener accepts connections.
	i=0
	while :; do
		snapshot
		missing=$(listeners_all | while read -r server addr port; do
			if ! listening "$addr" "$port"; then echo "$server $addr:$port"; fi; done)
		[ -n "$missing" ] || break
		for n in postfix dovecot faultd nsd unbound nginx ocspd; do
			p=$(sed -n "s/^$n //p" "$pids")
			# Not "alive": faultd may not have exec'd yet.
			readlink "/proc/$p/exe" >/dev/null 2>&1 ||
			    fail "$n" "process $p exited" "$dir/log/$n.log"
		done
		if [ $i -ge $START_WAIT ]; then
			n=$(echo "$missing" | awk '{print $1; exit}')
			fail "$n" "not listening after $((START_WAIT / 10)) s on: $(echo "$missing" |
			    awk -v n="$n" '$1 == n {printf "%s ", $2}')" "$dir/log/$n.log"
		fi
		sleep 0.1
		i=$((i + 1))
	done
	dns_probe

	write_env
	echo "lab running in $dir (source $dir/lab.env)"
}

do_status() {
	[ -f "$pids" ] || { echo "no lab running in $dir"; return 1; }
	rc=0
	while read -r n p; do
		if alive "$n" "$p"; then echo "$n $p running"
		else echo "$n $p NOT running"; rc=1; fi
	done <"$pids"
	snapshot
	plan | {
		while read -r var server addr port cert name extra; do
			if listening "$addr" "$port"; then s=up; else s=DOWN; rc=1; fi
			printf '%-28s %-8s %-16s %-22s %s\n' "$var" "$server" \
			    "$addr:$port" "$cert" "$s"
		done
		for server in nsd unbound; do
			addr=$(dns_listeners | awk -v s="$server" '$1 == s {print $2 ":" $3}')
			if listening "${addr%:*}" "${addr##*:}"; then s=up; else s=DOWN; rc=1; fi
			printf '%-28s %-8s %-16s %-22s %s\n' "DNS_$server" "$server" "$addr" - "$s"
		done
		return $rc
	} || rc=1
	return $rc
}

# shellcheck source=lab/dns.sh
. "$here/dns.sh"
# shellcheck source=lab/sts.sh
. "$here/sts.sh"
# shellcheck source=lab/ocsp.sh
. "$here/ocsp.sh"

# Postfix listens on [::1]:25 only where lo has ::1 (not in every container).
if grep -q '^0\{31\}1 .* lo$' /proc/net/if_inet6 2>/dev/null; then
	have_ipv6=1 inet_protocols='ipv4, ipv6'
else
	have_ipv6=0 inet_protocols=ipv4
fi

[ $# -eq 2 ] || die "usage: $prog start|stop|status DIR"
faultd=${FAULTD:-$top/build/lab/faultd}
# /proc/PID/exe holds the resolved path: compare with that.
faultd=$(readlink -f "$faultd" 2>/dev/null) || faultd=${FAULTD:-$top/build/lab/faultd}
setdir "$2"
if [ "$1" != start ] && [ -s "$dir/faultd.exe" ]; then
	faultd=$(cat "$dir/faultd.exe")
fi
# ocspd (the lab's OCSP responder) is built next to faultd.
ocspd=$(dirname "$faultd")/ocspd

case $1 in
start) do_start ;;
stop) do_stop ;;
status) do_status ;;
*) die "usage: $prog start|stop|status DIR" ;;
esac
