# An old TLS 1.0-only sending MTA: Postfix 2.x (2.3 to 2.10) linked with OpenSSL 0.9.8,
# as Debian 5 (lenny) and 6 (squeeze) and RHEL 5 shipped them, with
# smtp_tls_security_level = may. OpenSSL 0.9.8 speaks SSL 3.0 and TLS 1.0 only (TLS 1.1
# and 1.2 came with OpenSSL 1.0.1) and, by default, no elliptic-curve suites.
#
# Its real offer (Postfix 2.x's default grade, smtp_tls_ciphers = export, that is
# "ALL:+RC4:@STRENGTH" in OpenSSL 0.9.8) was AES-256 and AES-128 in CBC with SHA-1, with
# DHE and plain RSA key exchange, 3DES-CBC-SHA with both, RC4-SHA and RC4-MD5 last, and
# anonymous and export-grade suites that no server should pick.
# OpenSSL 3.0 as Debian 12 builds it has no 3DES and no RC4 suites at all (`openssl
# ciphers -v 'DES-CBC3-SHA:RC4-SHA:@SECLEVEL=0'` lists none), so the probe can offer only
# the AES part: that is what the cipher string below says, and the note repeats it.
#
# A failed handshake at level may, in Postfix before 3.x's delay rule (smtp_proto.c of
# Postfix 2.x: "If TLS is optional, try delivery to the same server over a plaintext
# connection"): the same server at once, without TLS.
name: legacy-tls10
title: Old TLS 1.0-only MTA (Postfix 2.x with OpenSSL 0.9.8, e.g. Debian 5/6, RHEL 5)
source: https://www.openssl.org/news/changelog.html#openssl-101 TLS 1.1 and 1.2 first came with OpenSSL 1.0.1: OpenSSL 0.9.8 speaks TLS 1.0 at most
source: https://www.postfix.org/TLS_README.html#client_tls_may opportunistic TLS, retried without TLS after a failed handshake
source: https://github.com/vdukhovni/postfix/blob/postfix-2.11/postfix/src/smtp/smtp_proto.c Postfix 2.x: at level may, a failed handshake is retried at once in plaintext (RETRY_AS_PLAINTEXT)
source: https://www.postfix.org/postconf.5.html smtp_tls_servername appeared in Postfix 3.4 (earlier clients send no SNI); smtp_tls_ciphers: "export" by default in releases before mid-2015
versions: TLSv1
ciphers: DHE-RSA-AES256-SHA:AES256-SHA:DHE-RSA-AES128-SHA:AES128-SHA
groups: P-256:P-384:P-521
sni: no
on-handshake-failure: plaintext
verifies-names: no
dane: no
mta-sts: no
note: Stands for Postfix 2.x with OpenSSL 0.9.8. The original also offered 3DES and RC4 suites, which OpenSSL 3.0 on Debian 12 cannot offer: a server that accepts only those would work with the real client and fail with this profile. No EC suites, so the groups are never sent (the key is required by the format). TLS 1.0 has no signature_algorithms extension.
