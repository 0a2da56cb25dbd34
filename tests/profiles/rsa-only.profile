# Test profile (not built in): a sender that offers only RSA-authenticated suites, to be
# sent against an ECDSA-only server (the lab's "RSA-only sender" case, issue 10). TLS 1.2
# only, ECDHE with RSA authentication and AES, no TLS 1.3 (TLS 1.3 suites do not tie the
# certificate type, which would hide the mismatch).
name: rsa-only
title: Test: TLS 1.2 sender with ECDHE-RSA AES suites only
source: https://www.rfc-editor.org/rfc/rfc5289 the ECDHE_RSA AES-GCM suites; with only RSA authentication offered, a server holding only an ECDSA key has no suite to choose
versions: TLSv1.2
ciphers: ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA
groups: X25519:P-256
sni: yes
on-handshake-failure: defer
verifies-names: no
dane: no
mta-sts: no
