# Postfix 3.7 as Debian 12 (bookworm) installs it, sending to the Internet.
#
# Debian's postinst writes main.cf from /usr/share/postfix/main.cf.debian and, when the
# snakeoil key exists (it does after ssl-cert), appends main.cf.tls, which sets
# smtp_tls_security_level=may: opportunistic TLS. Everything else is Postfix's default
# (postconf -d on Debian 12, postfix 3.7.11-0+deb12u1):
#   smtp_tls_protocols = >=TLSv1, smtp_tls_ciphers = medium,
#   tls_medium_cipherlist = aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH,
#   tls_eecdh_auto_curves = X25519 X448 prime256v1 secp521r1 secp384r1,
#   smtp_tls_servername = (empty: no SNI), smtp_dns_support_level = (empty: no DNSSEC,
#   so no DANE), minimal_backoff_time = 300s.
# Postfix sets no TLS 1.3 suites and no signature algorithms: OpenSSL's defaults apply.
# Debian builds OpenSSL 3.0 with OPENSSL_TLS_SECURITY_LEVEL=2 (Debian bug #918727) and
# its /etc/ssl/openssl.cnf sets no system default: every context starts at level 2, and
# Postfix's cipher string does not change the level. The profile says so with
# @SECLEVEL=2, so that the probe runs at the level Postfix runs at (1024-bit RSA keys,
# SHA-1 signatures and, in OpenSSL 3.0, TLS 1.0 and 1.1 handshakes fail there).
#
# A failed handshake at level may (src/smtp/smtp.h, PLAINTEXT_FALLBACK_OK_AFTER_STARTTLS_
# FAILURE, and smtp_proto.c): Postfix logs "Cannot start TLS: handshake failure", tries the
# other MX hosts, and defers; once the message has waited minimal_backoff_time in the
# queue, the next attempt that fails the handshake retries the same server at once
# without TLS. So the message goes out in plaintext, after a delay of one retry.
name: postfix-debian12
title: Postfix 3.7 on Debian 12 (smtp_tls_security_level=may, OpenSSL 3.0)
source: https://www.postfix.org/postconf.5.html smtp_tls_protocols (>=TLSv1), smtp_tls_ciphers (medium), tls_medium_cipherlist, tls_eecdh_auto_curves, smtp_tls_servername (default: no SNI), smtp_dns_support_level, minimal_backoff_time
source: https://www.postfix.org/TLS_README.html#client_tls_may opportunistic TLS: the certificate is not verified, and after a failed handshake the client retries without TLS
source: https://github.com/vdukhovni/postfix/blob/master/postfix/src/smtp/smtp.h PLAINTEXT_FALLBACK_OK_AFTER_STARTTLS_FAILURE: plaintext retry only once the message is older than minimal_backoff_time
source: https://mail.spinics.net/lists/ietf/msg76915.html Postfix co-author: other MX hosts first, the mail is deferred at first, cleartext fallback on the second attempt
source: https://sources.debian.org/src/postfix/3.7.11-0%2Bdeb12u1/debian/postfix.postinst on install, main.cf is main.cf.debian plus main.cf.tls, which sets smtp_tls_security_level=may
source: https://bugs.debian.org/918727 Debian's OpenSSL is built with OPENSSL_TLS_SECURITY_LEVEL=2
source: https://www.openssl.org/docs/man3.0/man3/SSL_CTX_set_security_level.html what level 2 refuses (keys under 2048 bits, SHA-1 signatures)
versions: TLSv1 TLSv1.1 TLSv1.2 TLSv1.3
ciphers: aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH:@SECLEVEL=2
ciphersuites: TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256
groups: X25519:X448:prime256v1:secp521r1:secp384r1
sni: no
on-handshake-failure: plaintext
verifies-names: no
dane: no
mta-sts: no
note: The cipher string is Postfix's medium list plus @SECLEVEL=2, the level Debian's OpenSSL 3.0 starts every context at; ciphersuites is OpenSSL 3.0's default (Postfix sets none). Plaintext after a failed handshake comes on the first retry after minimal_backoff_time (300 s); the first attempt tries the other MX hosts and defers. DANE needs smtp_dns_support_level=dnssec and level dane, MTA-STS an external policy server: neither is on by default.
