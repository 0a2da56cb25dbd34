# Microsoft 365 Exchange Online, sending to other organizations (no outbound connector).
#
# Facts with sources:
# - Exchange Online never uses TLS 1.0 or 1.1 to send (Exchange Team Blog, Jan 2021).
# - TLS 1.2 only: Microsoft's encryption reference says Microsoft 365 supports TLS 1.2 and
#   that TLS 1.3 is "currently not supported".
# - TLS 1.2 cipher suites: that reference's list of suites Microsoft 365 supports (the
#   order below is that list's order, in OpenSSL's names).
# - Outbound TLS is opportunistic: without STARTTLS, mail goes without TLS.
# - Outbound DANE with DNSSEC on by default for every tenant since March 2022 (Exchange
#   Team Blog, "Releasing: Outbound SMTP DANE with DNSSEC"; MC308285): a destination whose
#   DANE or DNSSEC validation fails is not sent to (NDR).
# - Outbound MTA-STS for all outgoing messages since February 2022 ("Introducing MTA-STS
#   for Exchange Online").
# - The "Opportunistic" default of the 2026 connector modes: validations attempted, mail
#   still delivered when the destination does not support them.
# Inferred (see note): what follows a failed handshake after STARTTLS (the Jan 2021 blog
# describes messages delayed, then failed, when TLS versions cannot be agreed on); SNI
# (SChannel sends the host name it connects to); groups and signature algorithms
# (SChannel's defaults on Windows Server 2019/2022: the curves X25519, P-256, P-384).
name: exchange-online
title: Microsoft 365 Exchange Online outbound (SChannel)
source: https://techcommunity.microsoft.com/t5/exchange-team-blog/understanding-email-scenarios-if-tls-versions-cannot-be-agreed/ba-p/2065089 opportunistic TLS; Exchange Online never sends with TLS 1.0 or 1.1; failed TLS negotiation delays and then fails messages
source: https://learn.microsoft.com/en-us/purview/technical-reference-details-about-encryption Microsoft 365 supports TLS 1.2, TLS 1.3 "currently not supported"; the TLS 1.2 cipher suites it supports, in priority order
source: https://learn.microsoft.com/en-us/purview/exchange-online-uses-tls-to-secure-email-connections opportunistic TLS for outbound mail, no certificate validation without a connector
source: https://techcommunity.microsoft.com/t5/exchange-team-blog/releasing-outbound-smtp-dane-with-dnssec/ba-p/3100920 outbound DANE with DNSSEC, on by default (March 2022)
source: https://techcommunity.microsoft.com/t5/exchange-team-blog/introducing-mta-sts-for-exchange-online/ba-p/3106386 MTA-STS applied to all outgoing messages
source: https://learn.microsoft.com/en-us/windows/win32/secauthn/tls-elliptic-curves-in-windows-10-1607-and-later SChannel's default curves (X25519, P-256, P-384)
versions: TLSv1.2
ciphers: ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES256-SHA:ECDHE-RSA-AES128-SHA:AES256-GCM-SHA384:AES128-GCM-SHA256:AES256-SHA256:AES128-SHA256:AES256-SHA:AES128-SHA
groups: X25519:P-256:P-384
sni: yes
on-handshake-failure: defer
verifies-names: no
dane: yes
mta-sts: yes
note: SChannel, not OpenSSL: Microsoft's TLS 1.2 suite list in OpenSSL names. No TLS 1.3: Microsoft's encryption reference says it is not supported. Groups are SChannel's default curves and SNI is SChannel's behaviour (inferred). After a failed handshake the message is queued and retried, then returned (inferred from Microsoft's TLS-version blog). DANE and MTA-STS are applied by default.
