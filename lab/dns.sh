# shellcheck shell=sh
# dns.sh - the lab's DNS world, sourced by lab/lab.sh (not run on its own).
#
# DESCRIPTION
#	NSD, authoritative on $DNS_AUTH port 53, serves the lab zones from
#	lab/templates/*.zone.in; Unbound, a validating resolver on
#	$DNS_RESOLVER port 53, asks NSD (stub zones) and trusts only the KSK
#	DS of lab.test (DIR/dns/trust-anchor.ds). At every start: fresh keys
#	(ldns-keygen, ECDSA P-256), TLSA data computed from the certificates
#	mkcerts.sh has just made, every signed zone signed again
#	(ldns-signzone, valid 30 days; bogus.lab.test with signatures that
#	expired 30 days ago). Both servers run in the foreground (-d) as
#	children of lab.sh's start, recorded in DIR/pids like the others.
#
#	Uses from lab.sh: dir, pki, pids, here, have_ipv6, plan, die, say, fail.
# shellcheck disable=SC2154
#
# FILES
#	DIR/dns/keys/		DNSSEC keys (K<zone>+013+<tag>.{key,private,ds})
#	DIR/dns/zones/		zone files as served (*.signed when signed)
#	DIR/dns/tlsa/		the keys of TLSA records nobody serves
#	DIR/dns/trust-anchor.ds	the lab.test KSK DS (Unbound's trust-anchor-file,
#				libunbound's ub_ctx_add_ta_file)
#	DIR/dns/nsd/, DIR/dns/unbound/	configuration and state of each server
#	DIR/log/nsd.log, DIR/log/unbound.log

DNS_RESOLVER=127.77.2.53
DNS_AUTH=127.77.2.54
DNS_WAIT=50		# tenths of a second for the first validated answer

# The zones NSD serves: name, file in DIR/dns/zones (.signed: signed at start).
DNS_ZONES='
lab.test.		lab.test.zone.signed
insecure.lab.test.	insecure.lab.test.zone
bogus.lab.test.		bogus.lab.test.zone.signed
_25._tcp.tb.lab.test.	tb.zone.signed
77.127.in-addr.arpa.	reverse.zone
'
zones() { echo "$DNS_ZONES" | grep -v '^[[:space:]]*$'; }

# dns_listeners - "server addr port" of the DNS servers (TCP and UDP)
dns_listeners() {
	echo "nsd $DNS_AUTH 53"
	echo "unbound $DNS_RESOLVER 53"
}

dns_tools() {
	for t in nsd nsd-checkzone unbound ldns-keygen ldns-signzone drill sha256sum timeout; do
		command -v "$t" >/dev/null 2>&1 ||
		    die "$t not installed (run scripts/deps.sh: nsd unbound ldnsutils)"
	done
	for u in nsd unbound; do
		id "$u" >/dev/null 2>&1 || die "no user $u (install the Debian package $u)"
	done
}

# dns_busy - our DNS addresses taken, by anyone, on TCP or UDP (a resolver
#	bound to 0.0.0.0:53 or [::]:53 takes them too)
dns_busy() {
	ss -Hlntu 2>/dev/null | awk -v a="$DNS_AUTH:53" -v r="$DNS_RESOLVER:53" '
		$5 == a || $5 == r || $5 == "0.0.0.0:53" || $5 == "*:53" ||
		    $5 == "[::]:53" || $5 == "[::ffff:0.0.0.0]:53" { print $1 " " $5 }' |
	    sort -u
}

# hash64 WHAT - check that stdin is one SHA-256 in hex (not that of nothing)
hash64() {
	h=$(cut -c1-64)
	case $h in
	e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 | *[!0-9a-f]* | "")
		die "cannot compute the TLSA data of $1" ;;
	esac
	[ ${#h} -eq 64 ] || die "cannot compute the TLSA data of $1"
	echo "$h"
}

# spki_crt FILE - SHA-256 of the DER SubjectPublicKeyInfo of a certificate
spki_crt() {
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
	    sha256sum | hash64 "$1"
}

# spki_key FILE - SHA-256 of the DER SubjectPublicKeyInfo of a private key
spki_key() {
	openssl pkey -in "$1" -pubout -outform DER | sha256sum | hash64 "$1"
}

# full_crt FILE - SHA-256 of a whole DER certificate (TLSA selector 0)
full_crt() {
	openssl x509 -in "$1" -outform DER | sha256sum | hash64 "$1"
}

# keygen ZONE [-k] - a new ECDSA P-256 key for ZONE (-k: a KSK); prints its base path
keygen() {
	z1=$1
	shift
	b=$(cd "$dnsdir/keys" && ldns-keygen -a ECDSAP256SHA256 -r /dev/urandom "$@" "$z1") ||
	    die "ldns-keygen $z1 failed"
	[ -s "$dnsdir/keys/$b.private" ] || die "ldns-keygen $z1: no key $b"
	echo "$dnsdir/keys/$b"
}

# signzone ZONE FILE INCEPTION EXPIRY ZSK KSK - FILE.signed
signzone() {
	ldns-signzone -o "$1" -i "$3" -e "$4" -f "$2.signed" "$2" "$5" "$6" \
	    >>"$dir/log/lab.log" 2>&1 || die "ldns-signzone $1 failed (see $dir/log/lab.log)"
}

dns_fill() {
	sed -e "s|@DIR@|$dir|g" \
	    -e "s|@DNS_AUTH@|$DNS_AUTH|g" -e "s|@DNS_RESOLVER@|$DNS_RESOLVER|g" \
	    -e "s|@SERIAL@|$serial|g" \
	    -e "s|@TLSA_GOOD_311@|$tlsa_good_311|g" \
	    -e "s|@TLSA_GOOD_311_SHORT@|$tlsa_good_311_short|g" \
	    -e "s|@TLSA_SELFSIGNED_311@|$tlsa_selfsigned_311|g" \
	    -e "s|@TLSA_INT_211@|$tlsa_int_211|g" \
	    -e "s|@TLSA_INT_001@|$tlsa_int_001|g" \
	    -e "s|@TLSA_NOMATCH_311@|$tlsa_nomatch_311|g" \
	    -e "s|@TLSA_NEXT_311@|$tlsa_next_311|g" "$here/templates/$1"
}

# plan_a - "NAME. A ADDR" for every lab.test name of the plan, at the address
#	of the first row naming it (mx1.lab.test is 127.77.0.1, not a faultd
#	that also answers as mx1); IPv6 rows have their records in the template.
plan_a() {
	plan | awk '$6 ~ /\.lab\.test$/ && $3 !~ /^\[/ && !seen[$6]++ {
		printf "%s.\tA\t%s\n", $6, $3 }'
}

# zone_a FILE ORIGIN - "NAME. ADDR" of the A records of a zone file (whose
#	owner names are all written out)
zone_a() {
	awk -v o="$2" '$1 !~ /^[;$]/ && $2 == "A" {
		n = $1; if (n !~ /\.$/) n = n "." o; print n, $3 }' "$1"
}

# dns_make - keys, zones, signatures, configurations: DIR/dns afresh
dns_make() {
	dnsdir=$dir/dns
	rm -rf "$dnsdir"
	mkdir -p "$dnsdir/keys" "$dnsdir/zones" "$dnsdir/tlsa" "$dnsdir/nsd" "$dnsdir/unbound"
	chmod 755 "$dnsdir" "$dnsdir/zones"
	chmod 700 "$dnsdir/keys" "$dnsdir/tlsa"
	chown nsd:nsd "$dnsdir/nsd"
	chown unbound:unbound "$dnsdir/unbound"
	# Both open their logs after dropping privileges.
	: >"$dir/log/nsd.log"
	: >"$dir/log/unbound.log"
	chown nsd:nsd "$dir/log/nsd.log"
	chown unbound:unbound "$dir/log/unbound.log"

	serial=$(date +%s)
	# TLSA data from the certificates just made, and keys nobody serves.
	(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$dnsdir/tlsa/nomatch.key" 2>/dev/null &&
	    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$dnsdir/tlsa/next.key" 2>/dev/null) || die "cannot make the TLSA keys"
	tlsa_good_311=$(spki_crt "$pki/good.crt")
	# The same digest one byte short (31 bytes): data of the wrong length for SHA-256.
	tlsa_good_311_short=$(echo "$tlsa_good_311" | cut -c1-62)
	tlsa_selfsigned_311=$(spki_crt "$pki/selfsigned.crt")
	tlsa_int_211=$(spki_crt "$pki/int.pem")
	tlsa_int_001=$(full_crt "$pki/int.pem")
	tlsa_nomatch_311=$(spki_key "$dnsdir/tlsa/nomatch.key")
	tlsa_next_311=$(spki_key "$dnsdir/tlsa/next.key")

	lab_ksk=$(keygen lab.test -k)
	lab_zsk=$(keygen lab.test)
	bogus_ksk=$(keygen bogus.lab.test -k)
	bogus_zsk=$(keygen bogus.lab.test)
	tb_ksk=$(keygen _25._tcp.tb.lab.test -k)
	tb_zsk=$(keygen _25._tcp.tb.lab.test)
	# A key of the right name that signs nothing: its DS goes into the parent.
	tb_decoy=$(keygen _25._tcp.tb.lab.test -k)

	from=$(date -u -d '-1 hour' +%Y%m%d%H%M%S)
	until=$(date -u -d '+30 days' +%Y%m%d%H%M%S)
	z=$dnsdir/zones

	dns_fill insecure.lab.test.zone.in >"$z/insecure.lab.test.zone"
	dns_fill bogus.lab.test.zone.in >"$z/bogus.lab.test.zone"
	signzone bogus.lab.test. "$z/bogus.lab.test.zone" \
	    "$(date -u -d '-60 days' +%Y%m%d%H%M%S)" "$(date -u -d '-30 days' +%Y%m%d%H%M%S)" \
	    "$bogus_zsk" "$bogus_ksk"
	dns_fill tb.zone.in >"$z/tb.zone"
	signzone _25._tcp.tb.lab.test. "$z/tb.zone" "$from" "$until" "$tb_zsk" "$tb_ksk"

	{
		dns_fill lab.test.zone.in
		plan_a
		cat "$bogus_ksk.ds" "$tb_decoy.ds"
	} >"$z/lab.test.zone"
	signzone lab.test. "$z/lab.test.zone" "$from" "$until" "$lab_zsk" "$lab_ksk"

	# PTR for every address a lab.test name points to, the first name
	# first (the plan's, then the template's), unless the template has one.
	{
		dns_fill reverse.zone.in
		{
			plan_a | awk '{print $1, $3}'
			zone_a "$z/lab.test.zone" lab.test.
			zone_a "$z/insecure.lab.test.zone" insecure.lab.test.
		} | awk -v taken="$(awk '$2 == "PTR" {print $1}' "$here/templates/reverse.zone.in" | tr '\n' ' ')" '
			BEGIN { n = split(taken, t, " "); for (i = 1; i <= n; i++) seen[t[i]] = 1 }
			$2 ~ /^127\.77\.[0-9]+\.[0-9]+$/ {
				split($2, o, "."); r = o[4] "." o[3]
				if (!seen[r]++) printf "%s\tPTR\t%s\n", r, $1
			}'
	} >"$z/reverse.zone"
	chmod 644 "$z"/*

	cp "$lab_ksk.ds" "$dnsdir/trust-anchor.ds"
	chmod 644 "$dnsdir/trust-anchor.ds"

	# A zone NSD cannot load is skipped with a log line: refuse it here.
	zones | while read -r zn zf; do
		nsd-checkzone "$zn" "$z/$zf" >"$dnsdir/checkzone.out" 2>&1 ||
		    die "zone $zn has errors: $(grep -v ' is ok$' "$dnsdir/checkzone.out" | head -n 5)"
	done

	{
		dns_fill nsd.conf.in
		zones | while read -r zn zf; do
			printf 'zone:\n\tname: "%s"\n\tzonefile: "%s"\n' "$zn" "$zf"
		done
	} >"$dnsdir/nsd/nsd.conf"
	rm -f "$dnsdir/checkzone.out"
	dns_fill unbound.conf.in >"$dnsdir/unbound/unbound.conf"
	chmod 644 "$dnsdir/nsd/nsd.conf" "$dnsdir/unbound/unbound.conf"
}

# dns_start - start NSD and Unbound in the foreground, record their PIDs
dns_start() {
	(cd "$dir/dns/zones" && exec nsd -d -c "$dir/dns/nsd/nsd.conf" \
	    </dev/null >>"$dir/log/nsd.log" 2>&1) &
	echo "nsd $!" >>"$pids"
	(cd "$dir/dns/unbound" && exec unbound -d -c "$dir/dns/unbound/unbound.conf" \
	    </dev/null >>"$dir/log/unbound.log" 2>&1) &
	echo "unbound $!" >>"$pids"
}

# dns_probe - wait, bounded, until NSD answers for every zone with authority and
#	Unbound gives a validated answer from NSD; fail naming what is missing
dns_probe() {
	i=0
	while :; do
		what=
		for zn in $(zones | awk '{print $1}'); do
			out=$(timeout 2 drill "$zn" @"$DNS_AUTH" SOA 2>&1) || out=
			case $out in
			*"rcode: NOERROR"*"flags: qr aa"*) ;;
			*) what="nsd no authoritative answer for $zn SOA from $DNS_AUTH"; break ;;
			esac
		done
		if [ -z "$what" ]; then
			out=$(timeout 2 drill -D lab.test @"$DNS_RESOLVER" SOA 2>&1) || out=
			case $out in
			*"rcode: NOERROR"*"flags: qr"*" ad "*) return 0 ;;
			esac
			what="unbound no validated answer for lab.test SOA from $DNS_RESOLVER"
		fi
		if [ $i -ge $DNS_WAIT ]; then
			echo "$out" >>"$dir/log/lab.log"
			fail "${what%% *}" "${what#* } (drill output in $dir/log/lab.log)" \
			    "$dir/log/${what%% *}.log"
		fi
		sleep 0.1
		i=$((i + 1))
	done
}

dns_env() {
	echo "LAB_DNS_RESOLVER=$DNS_RESOLVER"
	echo "LAB_DNS_AUTH=$DNS_AUTH"
	echo "LAB_DNS_TA=$dir/dns/trust-anchor.ds"
	echo "LAB_HAVE_IPV6=$have_ipv6"
	echo "LAB_TLSA_GOOD_311=$tlsa_good_311"
	echo "LAB_TLSA_SELFSIGNED_311=$tlsa_selfsigned_311"
	echo "LAB_TLSA_INT_211=$tlsa_int_211"
}
