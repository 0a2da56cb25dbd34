# shellcheck shell=sh
# sts.sh - the lab's MTA-STS policy host, sourced by lab/lab.sh (not run on its own).
#
# DESCRIPTION
#	nginx, on the address of the plan's nginx row (127.77.3.1:443),
#	serves one HTTPS virtual host per mta-sts.<domain> name of the
#	MTA-STS cases (lab/README.md, "MTA-STS and TLS-RPT"), chosen by SNI,
#	from lab/templates/nginx.conf.in; the DNS side (MX, _mta-sts and
#	_smtp._tls TXT, mta-sts A) is in the zone templates. At every start
#	the policy files are written afresh into DIR/sts/<domain>/.well-known/
#	mta-sts.txt. nginx runs in the foreground (daemon off) as a child of
#	lab.sh's start, recorded in DIR/pids like the others; its workers run
#	as www-data.
#
#	Uses from lab.sh: dir, pki, pids, plan, fill, exe_of, oneline, die.
# shellcheck disable=SC2154
#
# FILES
#	DIR/sts/<domain>/.well-known/mta-sts.txt	the policies served
#	DIR/nginx/nginx.conf, nginx.pid, tmp/	nginx's configuration and state
#	DIR/log/nginx.log, DIR/log/nginx-access.log

STS_USER=www-data
STS_MAXBODY=70000	# bytes of the oversize policy (mailtls reads at most 64 KiB)

sts_tools() {
	[ -x "$(exe_of nginx)" ] ||
	    die "$(exe_of nginx) not installed (run scripts/deps.sh: nginx-light)"
	id "$STS_USER" >/dev/null 2>&1 || die "no user $STS_USER (nginx's workers run as it)"
}

# sts_lines DOMAIN crlf|lf LINE... - the policy of mta-sts.DOMAIN: each LINE
#	ended by CRLF or LF
sts_lines() {
	f=$stsdir/$1/.well-known/mta-sts.txt
	eol=$2
	shift 2
	if [ "$eol" = crlf ]; then
		printf '%s\r\n' "$@" >"$f"
	else
		printf '%s\n' "$@" >"$f"
	fi
}

# sts_policy DOMAIN MODE MAX_AGE MX... - a policy of the usual form, CRLF
sts_policy() {
	d=$1 mode=$2 age=$3
	shift 3
	for m; do set -- "$@" "mx: $m"; shift; done
	sts_lines "$d" crlf "version: STSv1" "mode: $mode" "$@" "max_age: $age"
}

# sts_make - the policy files and nginx's configuration: DIR/sts and DIR/nginx afresh
sts_make() {
	stsdir=$dir/sts
	rm -rf "$stsdir" "$dir/nginx"
	mkdir -p "$dir/nginx/tmp"
	listen=$(plan | awk '$2 == "nginx" {print $3 ":" $4; exit}')
	[ -n "$listen" ] || die "no nginx row in the address plan"
	fill nginx.conf.in | sed "s|@STS_LISTEN@|$listen|g" >"$dir/nginx/nginx.conf"
	chmod 644 "$dir/nginx/nginx.conf"
	# The servers' roots, as nginx.conf has them (DIR holds no blanks).
	roots=$(awk '$1 == "root" { sub(/;$/, "", $2); print $2 }' "$dir/nginx/nginx.conf")
	set --
	for r in $roots; do set -- "$@" "$r/.well-known"; done
	mkdir -p "$@"

	sts_policy sts-enforce.lab.test enforce 604800 mxa.lab.test mxb.lab.test
	sts_lines sts-testing.lab.test lf "version: STSv1" "mode: testing" \
	    "mx: mx1.lab.test" "mx: wrongname.lab.test" "max_age: 86400"
	sts_lines sts-none.lab.test crlf "version: STSv1" "mode: none" "max_age: 86400"
	sts_policy sts-mxmissing.lab.test enforce 604800 mxa.lab.test
	sts_policy sts-wildcard.lab.test enforce 604800 '*.lab.test'
	sts_policy sts-wildok.lab.test enforce 604800 '*.wild.lab.test'
	sts_policy sts-badmx.lab.test enforce 604800 mx1.lab.test notls.lab.test expired.lab.test
	# sts-404 and sts-redirect: nginx answers without a file.
	sts_policy sts-ctype.lab.test enforce 86400 mx1.lab.test
	sts_policy sts-oversize.lab.test enforce 86400 mx1.lab.test
	f=$stsdir/sts-oversize.lab.test/.well-known/mta-sts.txt
	# x-filler lines of 100 bytes, the last one of 100 to 199, up to STS_MAXBODY.
	n=$((STS_MAXBODY - $(wc -c <"$f")))
	awk -v n="$n" 'BEGIN {
		while (n > 0) {
			l = n >= 200 ? 100 : n
			s = "x-filler: "
			while (length(s) < l - 2) s = s "x"
			printf "%s\r\n", s
			n -= l
		}
	}' >>"$f"
	[ "$(wc -c <"$f")" -eq "$STS_MAXBODY" ] || die "$f: not $STS_MAXBODY bytes"
	sts_lines sts-garbage.lab.test lf '<html><body><h1>It works!</h1></body></html>'
	sts_policy sts-maxage.lab.test enforce 31557601 mx1.lab.test
	sts_policy sts-short.lab.test enforce 3600 mx1.lab.test
	sts_lines sts-nomode.lab.test crlf "version: STSv1" "mx: mx1.lab.test" "max_age: 86400"
	sts_policy sts-badmode.lab.test strict 86400 mx1.lab.test
	for d in sts-txt2 sts-txtbad sts-txtgarbage sts-notxt sts-badcert; do
		sts_policy "$d.lab.test" enforce 86400 mx1.lab.test
	done
	sts_policy sts-dane.lab.test enforce 86400 other.lab.test
	sts_policy sts.insecure.lab.test enforce 604800 mx1.lab.test

	# The workers (www-data) read the policies; nothing there is secret.
	chmod -R u=rwX,go=rX "$stsdir"
	for r in $roots; do
		[ -s "$r/.well-known/mta-sts.txt" ] || die "no policy for nginx's root $r"
	done

	# Every name served with the mtasts leaf must be in it.
	san=$(openssl x509 -in "$pki/mtasts.crt" -noout -ext subjectAltName 2>/dev/null |
	    tr ',' '\n' | sed -n 's/^ *DNS://p')
	missing=$(awk '/^\t}/ { if (n != "" && !wrong) print n; n = ""; wrong = 0 }
		$1 == "server_name" { n = $2; sub(/;$/, "", n) }
		$1 == "ssl_certificate" && $2 !~ /\/mtasts\.chain\.pem;$/ { wrong = 1 }' \
	    "$dir/nginx/nginx.conf" | grep -vxF "$san") || true
	[ -z "$missing" ] ||
	    die "the mtasts certificate lacks names nginx serves with it: $(oneline "$missing")"
}

# sts_start - start nginx in the foreground, record its PID
sts_start() {
	: >"$dir/log/nginx.log"
	# -e: nginx opens its compiled-in error log before it reads the
	# configuration; -p: no path falls back to /usr/share/nginx. What it
	# also writes to stderr (a start-up failure) is in its log already.
	(cd "$dir/nginx" && exec "$(exe_of nginx)" -p "$dir/nginx/" -c "$dir/nginx/nginx.conf" \
	    -e "$dir/log/nginx.log" </dev/null >>"$dir/log/lab.log" 2>&1) &
	echo "nginx $!" >>"$pids"
}
