# shellcheck shell=sh
# ocsp.sh - the lab's OCSP responder, sourced by lab/lab.sh (not run on its own).
#
# DESCRIPTION
#	lab/ocspd on the address of the plan's ocspd row (127.77.3.2:80,
#	http://ocsp.lab.test/, the AIA of the aia-good and aia-revoked leaves:
#	lab/mkcerts.sh) answers each POSTed OCSPRequest with "openssl ocsp
#	-index" over the intermediate's database (DIR/pki/ca/int/index.txt),
#	signed by the intermediate, nextUpdate a day on. It answers any number
#	of requests, one child each, until lab.sh's stop sends SIGTERM to the
#	PID recorded in DIR/pids. OpenSSL 3.0's own "openssl ocsp -port"
#	would listen on every address: ocspd binds the one loopback address.
#
#	Uses from lab.sh: dir, pki, pids, plan, exe_of, die.
# shellcheck disable=SC2154
#
# FILES
#	DIR/ocsp/		ocspd's working directory (request and response
#				files live there while openssl runs)
#	DIR/log/ocspd.log	one line per request

ocsp_tools() {
	[ -x "$(exe_of ocspd)" ] ||
	    die "ocspd not found at $(exe_of ocspd) (build it: ninja -C build lab/ocspd)"
}

# ocsp_start - start ocspd in the background, record its PID
ocsp_start() {
	listen=$(plan | awk '$2 == "ocspd" {print $3 ":" $4; exit}')
	[ -n "$listen" ] || die "no ocspd row in the address plan"
	mkdir -p "$dir/ocsp"
	: >"$dir/log/ocspd.log"
	(cd "$dir/ocsp" && exec "$(exe_of ocspd)" -l "$listen" -i "$pki/ca/int/index.txt" \
	    -c "$pki/ca/int/ca.pem" -k "$pki/ca/int/ca.key" </dev/null \
	    >>"$dir/log/ocspd.log" 2>&1) &
	echo "ocspd $!" >>"$pids"
}
