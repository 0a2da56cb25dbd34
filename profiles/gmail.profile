# Gmail's outbound MTA (mail from gmail.com and Google Workspace to other domains).
#
# Google publishes what Gmail does around TLS, not its ClientHello. Facts with sources:
# - Gmail sends over TLS when the receiving server offers STARTTLS, and delivers without
#   it when the server offers none (Workspace admin help, "Require a secure connection").
# - Gmail's TLS stack is BoringSSL: its own error text says so
#   ("third_party/openssl/boringssl/src/ssl/handshake.cc", seed 003).
# - When STARTTLS is offered and the handshake then fails, Gmail does not deliver in
#   clear: the sender gets "Delivery ... has been delayed ... Technical details of
#   temporary failure: TLS Negotiation failed" and Gmail retries; the message is returned
#   only when the retries run out (seed 003: "no shared cipher", alert 40, reported by
#   Gmail as a temporary failure; Gmail's delay notices say how long it keeps retrying,
#   e.g. "Message will be retried for 2 more day(s)").
# - Gmail applies MTA-STS to outgoing mail (Google's MTA-STS announcement and help).
# - Certificates are not verified by default (the TLS transparency report and the
#   Workspace help: verification only with a "require secure transport" setting or an
#   MTA-STS policy).
# Inferred, not published (see note): the offer below is BoringSSL's default client offer
# of its ssl_cipher.cc, TLS 1.2 and 1.3 (whether Gmail still offers TLS 1.0 or 1.1 is not
# published: not listed), groups X25519, P-256, P-384; SNI sent; no DANE validation found
# in any Google statement.
name: gmail
title: Gmail outbound (Google's MTAs, BoringSSL)
source: https://support.google.com/a/answer/2520500 Gmail uses TLS when the receiving server supports it and delivers without TLS otherwise; secure transport (verification) only when an admin requires it
source: https://support.google.com/a/answer/9261504 MTA-STS and TLS reporting: Gmail checks MTA-STS policies when sending
source: https://security.googleblog.com/2019/04/gmail-making-email-more-secure-with-mta.html Gmail supports MTA-STS for outgoing mail
source: https://transparencyreport.google.com/safer-email/overview Gmail's outbound TLS: opportunistic encryption
source: https://boringssl.googlesource.com/boringssl/+/refs/heads/master/ssl/ssl_cipher.cc BoringSSL's default cipher list (the TLS 1.2 offer below)
source: https://boringssl.googlesource.com/boringssl/+/refs/heads/master/ssl/extensions.cc BoringSSL's default groups X25519, P-256, P-384
versions: TLSv1.2 TLSv1.3
ciphers: ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA:AES256-SHA
ciphersuites: TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256
groups: X25519:P-256:P-384
sni: yes
on-handshake-failure: defer
verifies-names: no
dane: no
mta-sts: yes
note: Google publishes Gmail's behaviour, not its ClientHello: versions, suites, groups and SNI are BoringSSL's defaults, translated into OpenSSL names (an inference, not a published fact). A failed handshake after STARTTLS is a temporary failure: the message is retried for days and returned when the retries run out (seed 003). No Google statement says Gmail validates DANE; MTA-STS is applied.
