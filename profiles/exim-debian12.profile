# Exim 4.96 as Debian 12 ships it (exim4-daemon-light, linked with GnuTLS 3.7.9), with
# Debian's exim4-config: the remote_smtp transport sets no TLS option (no
# tls_require_ciphers, no tls_sni, no hosts_require_tls), and the main configuration sets
# dns_dnssec_ok = 1.
#
# Exim's defaults (spec 4.96, chapter "The smtp transport"): tls_require_ciphers unset,
# so Exim gives GnuTLS its built-in priority string "NORMAL" (src/tls-gnu.c,
# exim_default_gnutls_priority); tls_sni unset (no SNI unless the connection is
# DANE-validated, where it is forced to the host name); tls_tempfail_tryclear = true (a
# failed negotiation: a new connection to the same host, delivery in clear);
# hosts_try_dane = * (DANE whenever the TLSA lookup is DNSSEC-validated, then no fallback
# to clear); tls_try_verify_hosts = * and tls_verify_hosts unset (verification tried, but
# need not succeed).
#
# What NORMAL means in GnuTLS 3.7.9 as Debian 12 builds it (no /etc/gnutls/config), read
# with gnutls_priority_init("NORMAL") and gnutls_priority_get_cipher_suite_index(),
# gnutls_priority_protocol_list(), gnutls_priority_group_list() and
# gnutls_priority_sign_list() on Debian 12 (libgnutls30 3.7.9-2+deb12u6):
#   protocols: TLS1.3 TLS1.2 TLS1.1 TLS1.0
#   groups: SECP256R1 SECP384R1 SECP521R1 X25519 X448 FFDHE2048 FFDHE3072 FFDHE4096
#           FFDHE6144 FFDHE8192
#   TLS 1.3: TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256 TLS_AES_128_GCM_SHA256
#            TLS_AES_128_CCM_SHA256
#   TLS 1.2 and below, in order: ECDHE_ECDSA AES_256_GCM, CHACHA20_POLY1305, AES_256_CCM,
#     AES_256_CBC_SHA1, AES_128_GCM, AES_128_CCM, AES_128_CBC_SHA1; ECDHE_RSA AES_256_GCM,
#     CHACHA20_POLY1305, AES_256_CBC_SHA1, AES_128_GCM, AES_128_CBC_SHA1; RSA AES_256_GCM,
#     AES_256_CCM, AES_256_CBC_SHA1, AES_128_GCM, AES_128_CCM, AES_128_CBC_SHA1; DHE_RSA
#     AES_256_GCM, CHACHA20_POLY1305, AES_256_CCM, AES_256_CBC_SHA1, AES_128_GCM,
#     AES_128_CCM, AES_128_CBC_SHA1
#   signatures: RSA-SHA256 RSA-PSS-SHA256 RSA-PSS-RSAE-SHA256 ECDSA-SHA256 Ed25519
#     RSA-SHA384 RSA-PSS-SHA384 RSA-PSS-RSAE-SHA384 ECDSA-SHA384 Ed448 RSA-SHA512
#     RSA-PSS-SHA512 RSA-PSS-RSAE-SHA512 ECDSA-SHA512 RSA-SHA1 ECDSA-SHA1
# Below, the same in OpenSSL's names (the ECDSA-SHA256/384/512 signatures are written
# with the curve OpenSSL's TLS 1.3 names carry; on TLS 1.2 the code points are the same).
name: exim-debian12
title: Exim 4.96 on Debian 12 (exim4-daemon-light, GnuTLS 3.7.9, priority NORMAL)
source: https://www.exim.org/exim-html-4.96/doc/html/spec_html/ch-the_smtp_transport.html tls_require_ciphers, tls_sni (unset), tls_tempfail_tryclear (true), hosts_try_dane (*), tls_try_verify_hosts (*), tls_verify_hosts (unset)
source: https://www.exim.org/exim-html-4.96/doc/html/spec_html/ch-encrypted_smtp_connections_using_tlsssl.html tls_require_ciphers is the GnuTLS priority string; SNI forced to the host name under DANE
source: https://github.com/Exim/exim/blob/exim-4.96/src/src/tls-gnu.c exim_default_gnutls_priority = "NORMAL"
source: https://sources.debian.org/src/exim4/4.96-15%2Bdeb12u11/debian/debconf/conf.d/transport/30_exim4-config_remote_smtp Debian's remote_smtp transport sets no TLS option
source: https://sources.debian.org/src/exim4/4.96-15%2Bdeb12u11/debian/debconf/conf.d/main/02_exim4-config_options dns_dnssec_ok = 1
source: https://www.gnutls.org/manual/html_node/Priority-Strings.html the NORMAL keyword (expanded above as GnuTLS 3.7.9 on Debian 12 lists it)
versions: TLSv1 TLSv1.1 TLSv1.2 TLSv1.3
ciphers: ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-CCM:ECDHE-ECDSA-AES256-SHA:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-CCM:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-SHA:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA:AES256-GCM-SHA384:AES256-CCM:AES256-SHA:AES128-GCM-SHA256:AES128-CCM:AES128-SHA:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES256-CCM:DHE-RSA-AES256-SHA:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-CCM:DHE-RSA-AES128-SHA
ciphersuites: TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:TLS_AES_128_CCM_SHA256
groups: P-256:P-384:P-521:X25519:X448:ffdhe2048:ffdhe3072:ffdhe4096:ffdhe6144:ffdhe8192
sigalgs: rsa_pkcs1_sha256:rsa_pss_pss_sha256:rsa_pss_rsae_sha256:ecdsa_secp256r1_sha256:ed25519:rsa_pkcs1_sha384:rsa_pss_pss_sha384:rsa_pss_rsae_sha384:ecdsa_secp384r1_sha384:ed448:rsa_pkcs1_sha512:rsa_pss_pss_sha512:rsa_pss_rsae_sha512:ecdsa_secp521r1_sha512:rsa_pkcs1_sha1:ECDSA+SHA1
sni: no
on-handshake-failure: plaintext
verifies-names: no
dane: yes
mta-sts: no
note: GnuTLS, not OpenSSL: its NORMAL offer on Debian 12 translated into OpenSSL names suite by suite, in GnuTLS's order; the probe runs at OpenSSL security level 0 as GnuTLS has no such level. The ClientHello's extensions and their order are OpenSSL's, not GnuTLS's. DANE applies only where a DNSSEC-validating resolver answers (dns_dnssec_ok = 1 asks for the AD bit), and only then is SNI sent (the host name); Exim has no MTA-STS.
