#!/bin/sh
# deps.sh - install the Debian 12 packages mailtls needs to build, test and run its lab.
# Installs only what is missing, and only as root; otherwise says what to install.
set -eu

PACKAGES="gcc make pkg-config meson ninja-build
libssl-dev openssl ca-certificates libevent-dev libunbound-dev libldns-dev dns-root-data
libjansson-dev libidn2-dev libcmocka-dev libcurl4-openssl-dev iproute2
postfix dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd jq procps time
nsd unbound ldnsutils nginx-light testssl.sh
valgrind cppcheck clang clang-tools libclang-rt-14-dev llvm"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing Debian packages:$missing" >&2
	echo "deps.sh: run 'make deps' as root, or: apt-get install$missing" >&2
	exit 1
fi

echo "deps.sh: installing:$missing" >&2
# Postfix asks how to configure itself; the lab runs it from its own config directory.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
# Installing nsd, unbound, postfix or dovecot must start none of them: the lab runs its own
# (a system NSD would take port 53 on every address). Refuse service starts for the
# duration of the install, unless a policy is in place already.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\n# deps.sh: no service starts while mailtls dependencies install\nexit 101\n' \
	    >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
