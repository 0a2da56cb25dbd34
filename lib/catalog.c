/*
 * catalog.c - what each finding id means: summary, standard, remedy.
 *
 * The ids and their severities are the list in <mailtls/findings.h>. Each id has its texts
 * here as a macro T_<SYMBOL>; the table is built from the list, so an id without texts does
 * not build. Ids are stable: never rename or reuse one. docs/findings.md documents every id,
 * and a unit test checks that it does.
 */
#include <string.h>
#include <mailtls/result.h>

/* T_<SYMBOL>: summary, standard, remedy ("" when nothing needs doing). */

/* Connection. */
#define T_CONN_RESOLVE_FAILED \
	"The server name did not resolve to any address.", \
	"RFC 5321 5.1", \
	"Check the host name, or publish A/AAAA records for it."
#define T_CONN_REFUSED \
	"The TCP connection was refused: nothing listens on that port.", \
	"RFC 5321 3.1", \
	"Start the mail service or open the port in the firewall; check the port number."
#define T_CONN_TIMEOUT \
	"A network step did not complete within the timeout; the message names the phase.", \
	"RFC 5321 4.5.3.2", \
	"Check firewalls and the server's load; a server must answer each step within seconds."
#define T_CONN_CLOSED \
	"The server closed the connection; the message names the phase.", \
	"RFC 5321 3.8", \
	"Read the server's log for the reason it dropped the client at that phase."
#define T_CONN_ERROR \
	"A network error (reset, unreachable) ended the connection; the message names the phase.", \
	"RFC 5321 3.8", \
	"Check routing and firewalls between client and server."
#define T_CONN_DEADLINE \
	"The whole check took longer than its deadline, although no single step timed out; the message names the phase it was in and how long each phase took.", \
	"RFC 5321 4.5.3.2", \
	"Find what makes every step slow (tarpitting, reverse DNS lookups of the client, load): senders give up on a server that takes minutes to reach STARTTLS."

/* Protocol dialogue. */
#define T_PROTO_GREETING_REJECTED \
	"The server greeted with a refusal (SMTP 4xx/5xx, IMAP BYE, POP3 -ERR).", \
	"RFC 5321 3.1", \
	"Make the server accept connections from clients; check its access rules and load limits."
#define T_PROTO_LINE_TOO_LONG \
	"A reply line exceeded the line limit; a strict client drops the connection.", \
	"RFC 5321 4.5.3.1.5", \
	"Keep reply lines within 512 octets (SMTP) or the protocol's limit."
#define T_PROTO_TOO_MANY_LINES \
	"A multi-line reply had more lines or bytes than any sane server sends.", \
	"RFC 5321 4.2.1", \
	"Fix the server's reply; it should not send an endless continuation."
#define T_PROTO_MALFORMED_REPLY \
	"A reply did not follow the protocol's syntax (bad reply code, bad continuation).", \
	"RFC 5321 4.2", \
	"Fix the server (or whatever sits in front of it) so replies follow the protocol."
#define T_PROTO_UNSOLICITED_REPLY \
	"The SMTP or LMTP server sent more after a complete reply, before the client's next command: replies can no longer be matched to commands, so a strict client hangs up.", \
	"RFC 5321 4.3.1; RFC 2920 3.1", \
	"Fix the server or the middlebox in front of it: an SMTP server speaks only in reply to a command."
#define T_PROTO_EHLO_REJECTED \
	"EHLO was refused and HELO used: no ESMTP extensions, so no STARTTLS.", \
	"RFC 5321 4.1.1.1", \
	"Enable ESMTP on the server (or remove the proxy that blocks EHLO)."
#define T_STARTTLS_RESPONSE_INJECTION \
	"STARTTLS response injection: bytes came glued to the server's STARTTLS go-ahead, after it and before the TLS handshake. A client that kept them would read them after the handshake as if the server had sent them inside TLS (forged capabilities, a fake reply). mailtls discarded them, never read them as a reply or as TLS data; a man in the middle or a buggy server sent them. (Formerly proto.data-after-starttls.)", \
	"RFC 3207 4.2, 5; RFC 2595 3.1; NO STARTTLS (USENIX Security 2021) response injection, e.g. CVE-2020-14954", \
	"Find who adds the bytes: capture the traffic at the server; if the server's own reply carries them, fix or update it (nothing may follow the STARTTLS go-ahead in plaintext); if not, a device or attacker on the path injects them. Clients must discard input received before the handshake."
#define T_PROTO_POST_TLS_FAILED \
	"After the TLS handshake the server refused the post-TLS greeting or capability request.", \
	"RFC 3207 4.2", \
	"The server must accept EHLO (CAPABILITY, CAPA) again after TLS."
#define T_PROTO_BANNER_NAME_DIFFERS \
	"The name in the server's greeting or EHLO reply differs from the name the client used; it is shown, never used as an identity.", \
	"RFC 9525 6.1; RFC 3207 4.1", \
	"Nothing required. The certificate must cover the name clients use."

/* STARTTLS. */
#define T_STARTTLS_OFFERED \
	"The server advertises STARTTLS (STLS).", \
	"RFC 3207 4; RFC 2595 3.1", \
	""
#define T_STARTTLS_NOT_OFFERED \
	"The server does not advertise STARTTLS: mail goes in plaintext, or not at all to senders that require TLS (a man in the middle can also strip it).", \
	"RFC 3207 4; RFC 2595 3.1; RFC 8314 3", \
	"Enable STARTTLS with a certificate (Postfix: smtpd_tls_security_level = may with smtpd_tls_chain_files)."
#define T_STARTTLS_REFUSED \
	"The server advertises STARTTLS but refused the command.", \
	"RFC 3207 4", \
	"Fix the server's TLS setup (a 454 usually means the certificate or key could not be loaded)."
#define T_IMAP_LOGIN_DISABLED \
	"The IMAP server advertises LOGINDISABLED before TLS: passwords are not accepted in the clear.", \
	"RFC 2595 3.2; RFC 9051 6.2.3", \
	""
#define T_IMAP_PLAINTEXT_LOGIN_OFFERED \
	"The IMAP server does not advertise LOGINDISABLED before TLS, or advertises AUTH=PLAIN or AUTH=LOGIN there: it invites clients to send a password in the clear.", \
	"RFC 8314 3; RFC 3501 6.2.3; RFC 2595 3.2", \
	"Advertise LOGINDISABLED and no password mechanism before STARTTLS (Dovecot 2.3: disable_plaintext_auth = yes; 2.4: auth_allow_cleartext = no)."

/* TLS. */
#define T_TLS_ESTABLISHED \
	"The TLS handshake completed.", \
	"RFC 8446", \
	""
#define T_TLS_HANDSHAKE_FAILED \
	"The TLS handshake failed; the message gives the alert and its likely cause.", \
	"RFC 8446 6.2; RFC 3207 4.1", \
	"Act on the cause the message gives: most often give the server a certificate and key it can load, TLS 1.2 or 1.3 and a modern cipher list; a public MX must not demand client certificates. Read the server's TLS log."
#define T_TLS_LEGACY_VERSION \
	"The session uses TLS 1.0 or 1.1, which are deprecated.", \
	"RFC 8996", \
	"Enable TLS 1.2 and 1.3 on the server."

/* Certificate. */
#define T_CERT_TRUSTED \
	"The chain leads to a trusted anchor and every certificate in it is valid.", \
	"RFC 5280 6", \
	""
#define T_CERT_UNTRUSTED \
	"The chain leads to a root that is not a trust anchor.", \
	"RFC 5280 6", \
	"Use a certificate from a CA the clients trust, or give verifying clients this CA."
#define T_CERT_SELF_SIGNED \
	"The server certificate is self-signed: verifying clients refuse it (opportunistic senders still encrypt).", \
	"RFC 5280 6; RFC 7672 1.3", \
	"Get a certificate from a public CA (ACME works for mail servers), or publish a DANE TLSA record."
#define T_CERT_INCOMPLETE_CHAIN \
	"The server did not send the intermediate certificate that issued its certificate, and no trust anchor supplies it.", \
	"RFC 8446 4.4.2; RFC 5246 7.4.2", \
	"Configure the full chain file (Postfix smtpd_tls_chain_files, Dovecot ssl_cert with the intermediates appended)."
#define T_CERT_EXPIRED \
	"A certificate in the chain is past its notAfter date.", \
	"RFC 5280 4.1.2.5", \
	"Renew the certificate and reload the server; automate renewal."
#define T_CERT_NOT_YET_VALID \
	"A certificate in the chain is before its notBefore date.", \
	"RFC 5280 4.1.2.5", \
	"Check the server's and the CA's clocks; install a certificate that is already valid."
#define T_CERT_EXPIRES_SOON \
	"The server certificate expires within the warning period.", \
	"RFC 5280 4.1.2.5", \
	"Renew the certificate now and reload the server."
#define T_CERT_NAME_MATCH \
	"A reference name is covered by a DNS-ID in the certificate.", \
	"RFC 9525 6", \
	""
#define T_CERT_NAME_MISMATCH \
	"A reference name is not covered by any DNS-ID in the certificate; one finding per name.", \
	"RFC 9525 6; RFC 3207 4.1", \
	"Add the name to the certificate's subjectAltName, or point clients (MX, SRV, client settings) at a name the certificate covers."
#define T_CERT_CN_ONLY \
	"The certificate has no DNS-ID; its name is only in the subject CN, which strict clients ignore (legacy clients fall back to it).", \
	"RFC 9525 6.3; RFC 6125 6.4.4", \
	"Reissue the certificate with the names in subjectAltName dNSName entries."
#define T_CERT_MALFORMED_SAN \
	"The leaf's subjectAltName extension does not decode (bad DER inside it), or the leaf has more than one: verifying clients find no DNS-ID or IP-ID in it.", \
	"RFC 5280 4.2.1.6", \
	"Reissue the certificate with one well-formed subjectAltName extension holding the names."
#define T_CERT_WILDCARD \
	"A reference name matched through a wildcard DNS-ID.", \
	"RFC 9525 6.3", \
	""
#define T_CERT_PARTIAL_WILDCARD \
	"A DNS-ID holds a partial wildcard (f*.example.com): strict clients never match it, RFC 6125 clients might.", \
	"RFC 9525 6.3", \
	"Use full names or a whole-label wildcard (*.example.com)."
#define T_CERT_INVALID_NAME \
	"A DNS-ID is not a valid name (embedded NUL, non-ASCII bytes, empty label, misplaced or too broad wildcard); it never matches.", \
	"RFC 9525 6.3; RFC 5280 4.2.1.6", \
	"Reissue the certificate with valid DNS names (A-labels for IDNs)."
#define T_CERT_WEAK_KEY \
	"A key in the chain is too weak for a client at OpenSSL security level 2 (RSA or DSA below 2048 bits, EC below 224 bits): such clients refuse it.", \
	"NIST SP 800-57; RFC 8603", \
	"Generate a new key (RSA 2048+ or ECDSA P-256) and reissue the certificate."
#define T_CERT_WEAK_SIGNATURE \
	"A certificate is signed with a broken hash (MD5 or SHA-1).", \
	"RFC 6194; CA/B BR 7.1.3", \
	"Reissue the certificate with a SHA-256 (or better) signature."
#define T_CERT_CHAIN_TOO_LONG \
	"The server sent more than 16 certificates and the first 16 do not verify to a trust anchor.", \
	"RFC 8446 4.4.2", \
	"Send the leaf and its intermediates only."
#define T_CERT_CHAIN_EXTRA \
	"The server sent more than 16 certificates; the first 16 verify to a trust anchor (OpenSSL-based clients accept), GnuTLS-based clients refuse the chain.", \
	"RFC 8446 4.4.2", \
	"Send the leaf and its intermediates only."
#define T_CERT_VERIFY_ERROR \
	"Chain verification failed for another reason; the message gives OpenSSL's reason.", \
	"RFC 5280 6", \
	"Fix the certificate or chain as the message says."
#define T_CERT_PROFILE_VIOLATION \
	"The chain breaks the RFC 5280 profile in ways lenient clients accept and strict ones (OpenSSL X509_STRICT, x509-limbo) refuse; the message lists the problems.", \
	"RFC 5280 4.2", \
	"Reissue the certificates from a CA that follows RFC 5280 (key identifiers, basicConstraints critical on CAs, non-empty subject or critical SAN)."

/* Domains: DNS, MX, DANE (mailtls domain). */
#define T_DNS_NO_ANSWER \
	"A DNS question got no usable answer (timeout, SERVFAIL, REFUSED): senders cannot route mail and defer it.", \
	"RFC 5321 5.1", \
	"Make the domain's authoritative servers answer (check them with `drill` or `dig +dnssec`), and the resolver reach them."
#define T_DNS_BOGUS \
	"DNSSEC validation failed for an answer (bad or expired signatures, a DS that matches no key): every validating resolver returns SERVFAIL and senders behind one defer the mail. The message gives the validator's reason.", \
	"RFC 4035 5.5", \
	"Re-sign the zone, or fix the DS record at the parent so that it matches the zone's key-signing key."
#define T_DNS_NXDOMAIN \
	"The domain does not exist (NXDOMAIN): mail to it bounces.", \
	"RFC 5321 5.1", \
	"Check the spelling, or create the domain's DNS records."
#define T_DNS_INSECURE \
	"The domain's MX records are not DNSSEC-signed: no sender can authenticate them, DANE does not apply, and a man in the middle of DNS can send the mail elsewhere.", \
	"RFC 7672 2.2.1", \
	"Sign the zone with DNSSEC and publish TLSA records for the MX hosts (or publish an MTA-STS policy)."
#define T_MX_NULL \
	"The domain publishes a null MX (`MX 0 .`): it accepts no mail, and senders bounce mail to it at once.", \
	"RFC 7505 3", \
	"None if the domain sends no mail; else publish real MX records."
#define T_MX_IMPLICIT \
	"The domain has no MX records: senders deliver to the domain's own address records (implicit MX).", \
	"RFC 5321 5.1", \
	"Publish an MX record, even one that names the domain itself."
#define T_MX_NONE \
	"The domain has neither MX nor address records: mail to it cannot be delivered.", \
	"RFC 5321 5.1", \
	"Publish MX records for the domain (or a null MX if it accepts no mail)."
#define T_MX_IP_LITERAL \
	"An MX record names an IP address instead of a host name; senders look it up as a name, find nothing, and skip it.", \
	"RFC 7505 4", \
	"Give the MX record a host name that has A/AAAA records."
#define T_MX_CNAME \
	"An MX target is an alias (CNAME); senders follow it, but RFC 2181 forbids it, and with DANE the TLSA records and names depend on the expansion.", \
	"RFC 2181 10.3", \
	"Point the MX record at the canonical host name."
#define T_MX_DOMAIN_CNAME \
	"The domain itself is an alias (CNAME): the MX records are those of the alias target.", \
	"RFC 5321 5.1", \
	"None needed; for `secure` senders the certificate must name the original domain."
#define T_MX_NO_ADDRESS \
	"An MX host has no A or AAAA records: senders cannot reach it.", \
	"RFC 5321 5.1", \
	"Add address records for the host, or remove the MX record."
#define T_MX_PTR_DIFFERS \
	"The reverse DNS (PTR) name of an MX address differs from the MX host name. Information only: no sender uses it as the server's identity.", \
	"RFC 9525 6.1", \
	"None for TLS; some receivers of your own outbound mail check forward-confirmed reverse DNS."
#define T_MX_ADDRESSES_DIFFER \
	"The addresses of one MX host do not give the same result at this sender level: what a sender gets depends on which address it picks.", \
	"RFC 7672 2.2.2", \
	"Serve the same certificate, key and TLS settings on every address of the host."
#define T_MX_BACKUP_USED \
	"At this sender level a more preferred MX host cannot take the mail (deferred or unreachable): senders go on to a less preferred one.", \
	"RFC 5321 5.1", \
	"Fix the preferred MX host named in the message."
#define T_MX_SENDER_DEFERS \
	"At this sender level no MX host takes the mail: senders at this level defer it and bounce it after their queue lifetime.", \
	"RFC 5321 4.5.4.1", \
	"Fix the MX hosts as the other findings say."
#define T_DANE_NO_TLSA \
	"The MX host has DNSSEC-signed address records but no TLSA records: DANE senders use opportunistic TLS with it.", \
	"RFC 7672 2.2", \
	"Publish `_25._tcp.<host> TLSA 3 1 1 <key hash>` (see `mailtls tlsa`)."
#define T_DANE_TLSA_INSECURE \
	"TLSA records exist but are not DNSSEC-secure (unsigned zone, or unsigned address records): senders ignore them.", \
	"RFC 7672 2.2", \
	"Sign the zone holding the MX host and its TLSA records."
#define T_DANE_TLSA_BOGUS \
	"The TLSA lookup failed DNSSEC validation: DANE senders must defer mail to this host. The message gives the validator's reason.", \
	"RFC 7672 2.2", \
	"Re-sign the zone of the TLSA records, or fix its DS at the parent."
#define T_DANE_TLSA_NO_ANSWER \
	"The TLSA lookup got no answer (SERVFAIL, timeout) while the host's address records are signed: DANE senders cannot tell whether DANE applies and defer the mail.", \
	"RFC 7672 2.2", \
	"Make the authoritative servers answer TLSA queries (some answer SERVFAIL or nothing for unknown types)."
#define T_DANE_UNUSABLE_ONLY \
	"Every TLSA record is unusable for SMTP (PKIX-TA(0), PKIX-EE(1), or an unknown usage, selector or matching type): DANE senders require TLS but do not authenticate the server.", \
	"RFC 7672 3.1.3", \
	"Publish DANE-EE(3) or DANE-TA(2) records."
#define T_DANE_UNUSABLE_RECORD \
	"A TLSA record is unusable for SMTP and is ignored; the others are used.", \
	"RFC 7672 3.1.3", \
	"Remove the record, or replace it with a DANE-EE(3) or DANE-TA(2) one."
#define T_DANE_MATCH \
	"A TLSA record matches the certificate chain served: DANE senders authenticate the server.", \
	"RFC 7671 5", \
	"None."
#define T_DANE_NO_MATCH \
	"No TLSA record matches the certificate chain the server serves: DANE senders defer mail to it.", \
	"RFC 7672 2.2", \
	"Publish a TLSA record for the key or issuer being served (`mailtls tlsa`), or serve the certificate the records name."
#define T_DANE_VERIFY_FAILED \
	"A DANE-TA record matches an issuer, but the chain does not verify under it (wrong name, expired, bad signature): DANE senders defer. The message gives OpenSSL's reason.", \
	"RFC 7672 3.2", \
	"Serve a certificate that names the MX host or the TLSA base domain and is within its dates, or publish a DANE-EE(3) record."
#define T_DANE_STARTTLS_MISSING \
	"The MX host has usable TLSA records but does not offer STARTTLS: DANE senders defer, since they must not send in plaintext (and a man in the middle may have removed it).", \
	"RFC 7672 2.2", \
	"Enable STARTTLS on the server, or remove the TLSA records."
#define T_DANE_TLS_FAILED \
	"The MX host has usable TLSA records but no TLS session could be established: DANE senders defer.", \
	"RFC 7672 2.2", \
	"Fix the TLS setup as the server's findings say."
#define T_DANE_ROLLOVER \
	"Several TLSA records are published and some match nothing the server serves now: normal during a key or issuer rollover, if one record matches.", \
	"RFC 7671 8.1", \
	"Remove the records for keys no longer served once their TTL has passed after the switch."
#define T_DANE_PARTIAL \
	"The TLSA records match the chain served on some addresses of the host but not on others: DANE senders defer when they reach the others.", \
	"RFC 7672 2.2", \
	"Serve the same key (or issuer) on every address, or publish a record for each key served."
#define T_DANE_NAME_NOT_SECURE \
	"The MX host's address records are not DNSSEC-secure: DANE senders do not look up its TLSA records and use opportunistic TLS.", \
	"RFC 7672 2.2.2", \
	"Sign the zone holding the MX host's address records."
#define T_CERT_NEXTHOP_MISMATCH \
	"The certificate names neither the mail domain nor a name under it: senders at the `secure` level (Postfix's nexthop, dot-nexthop match) refuse it.", \
	"RFC 9525 6", \
	"Add the domain, or MX host names under it, to the certificate's subjectAltName."

#define T_DNS_NOT_VALIDATING \
	"No DNSSEC trust anchor was configured (or it could not be read), so no answer could be validated: every answer counts as insecure, DANE cannot be judged, and a signed domain looks unsigned.", \
	"RFC 4033 4", \
	"Install Debian's dns-root-data (the root key) or give --trust-anchor FILE, and use a resolver that passes DNSSEC records."
#define T_MX_NULL_MIXED \
	"The domain publishes a null MX (target \".\") together with other MX records, or a null MX with a preference other than 0: RFC 7505 forbids both, and senders treat them differently (some bounce at once, some use the other hosts).", \
	"RFC 7505 3", \
	"Publish either `MX 0 .` alone (no mail accepted) or only real MX records."
#define T_MX_TRUNCATED \
	"The domain has more MX hosts (more than 16), a host more addresses (more than 16), or a host more TLSA records (more than 32) than mailtls checks; the least preferred hosts, the last addresses and records in sorted order were left out, as the message says.", \
	"RFC 5321 5.1", \
	"None needed; senders also limit how many hosts and addresses they try (Postfix: smtp_mx_address_limit)."
#define T_MX_BACKUP_WEAKER \
	"A less preferred MX host gives a weaker outcome at this sender level than the preferred ones (for example plaintext or unauthenticated TLS where the preferred host is authenticated): an attacker who blocks the preferred hosts gets the mail through the weaker one.", \
	"RFC 7672 2.2", \
	"Give every MX host the same TLS, certificate and DANE setup, or remove the weaker one."

/* MTA-STS and TLS-RPT (mailtls domain). */
#define T_MTASTS_NONE \
	"The domain publishes no `_mta-sts` TXT record and serves no MTA-STS policy: senders that apply MTA-STS (large webmail providers) use opportunistic TLS to it, which a man in the middle can strip.", \
	"RFC 8461 3", \
	"Publish a policy at `https://mta-sts.DOMAIN/.well-known/mta-sts.txt` and a `_mta-sts.DOMAIN` TXT record `v=STSv1; id=...` (start with `mode: testing` and a TLS-RPT record), or DNSSEC and DANE."
#define T_MTASTS_TXT_MISSING \
	"A policy is served at `mta-sts.DOMAIN`, but the `_mta-sts` TXT record is missing: senders look up the TXT record first and never fetch the policy, so it protects nothing.", \
	"RFC 8461 3.1", \
	"Publish `_mta-sts.DOMAIN TXT \"v=STSv1; id=YYYYMMDDNN\"` (a new id whenever the policy changes)."
#define T_MTASTS_TXT_MULTIPLE \
	"More than one TXT record at `_mta-sts.DOMAIN` starts with `v=STSv1`: senders then take none, and the domain has no MTA-STS.", \
	"RFC 8461 3.1", \
	"Keep exactly one `v=STSv1` record; bump its id= when the policy changes rather than adding a record."
#define T_MTASTS_TXT_INVALID \
	"The `_mta-sts` TXT record does not read as RFC 8461 says (`v=STSv1` first, fields separated by `;`, an `id=` of 1 to 32 letters and digits): senders ignore it, and the domain has no MTA-STS. The message quotes the record or field.", \
	"RFC 8461 3.1", \
	"Publish `v=STSv1; id=YYYYMMDDNN` exactly: letters and digits only in the id (no dashes, dots or colons)."
#define T_MTASTS_TXT_OTHER_VERSION \
	"A TXT record at `_mta-sts.DOMAIN` starts with `v=STS` but not with `v=STSv1` exactly (another version, or other letter case): senders ignore it.", \
	"RFC 8461 3.1", \
	"Write the version exactly `v=STSv1` (case matters)."
#define T_MTASTS_TXT_WITHOUT_POLICY \
	"The `_mta-sts` TXT record is published but no valid policy could be had (the message and the finding before it say why): new senders deliver as if the domain had no MTA-STS; senders that cached an earlier policy keep applying it until its max_age runs out.", \
	"RFC 8461 3.3, 5.1", \
	"Serve a valid policy at `https://mta-sts.DOMAIN/.well-known/mta-sts.txt`, or, to retire MTA-STS, serve `mode: none` for at least the old max_age before removing the TXT record."
#define T_MTASTS_POLICY_FETCH_FAILED \
	"The policy could not be fetched from `https://mta-sts.DOMAIN/.well-known/mta-sts.txt`: the policy host has no address, refuses the connection, times out, fails the TLS handshake, or does not speak HTTP. The message gives the reason.", \
	"RFC 8461 3.3", \
	"Publish an address for `mta-sts.DOMAIN` and serve the policy there over HTTPS on port 443."
#define T_MTASTS_POLICY_CERT_INVALID \
	"The policy host's certificate fails verification (untrusted chain, expired, or not naming `mta-sts.DOMAIN`): senders must not use a policy fetched so, and the domain has no MTA-STS for them. The message gives the verification error.", \
	"RFC 8461 3.3", \
	"Serve a certificate from a public CA whose subjectAltName has `mta-sts.DOMAIN`, with its intermediates."
#define T_MTASTS_POLICY_HTTP_STATUS \
	"The policy URL answered with an HTTP status other than 200: senders take no policy.", \
	"RFC 8461 3.3", \
	"Serve the policy file at `/.well-known/mta-sts.txt` of `mta-sts.DOMAIN` with status 200."
#define T_MTASTS_POLICY_REDIRECT \
	"The policy URL answered with a redirect: senders must not follow redirects when fetching a policy, so they take none. The message gives the Location.", \
	"RFC 8461 3.3", \
	"Serve the policy directly at `https://mta-sts.DOMAIN/.well-known/mta-sts.txt`, without a redirect (also none from a catch-all HTTPS-redirect rule)."
#define T_MTASTS_POLICY_CONTENT_TYPE \
	"The policy was served with a media type other than `text/plain`: strict senders refuse it.", \
	"RFC 8461 3.2", \
	"Serve the file as `text/plain` (nginx: `default_type text/plain;` in its location)."
#define T_MTASTS_POLICY_TOO_LARGE \
	"The policy is larger than 64 KiB: senders limit what they read and refuse it; mailtls read the first 64 KiB only.", \
	"RFC 8461 3.3", \
	"Serve a short policy: the version, mode, max_age and mx lines."
#define T_MTASTS_POLICY_INVALID \
	"The policy does not read as RFC 8461 says (`version: STSv1`, a known mode, a max_age of 0 to 31557600, an mx line unless the mode is none, plain text): senders ignore it. The message quotes the line.", \
	"RFC 8461 3.2", \
	"Fix the line quoted; a complete policy is `version: STSv1`, `mode: enforce`, one `mx:` line per MX host or pattern, `max_age: 604800`."
#define T_MTASTS_POLICY_LINE \
	"A policy line senders skip: not `key: value`, an mx pattern that is not a host name (or `*.` and a domain), a key given twice (the first counts), or lines past the limit; or `version: STSv1` not on the first line (RFC 8461's ABNF allows any order, but every example puts it first and a strict reader may refuse it). The rest of the policy still applies; the message quotes the line.", \
	"RFC 8461 3.2", \
	"Fix or remove the line quoted (an mx pattern that is skipped leaves its MX hosts unlisted)."
#define T_MTASTS_MAX_AGE_SHORT \
	"The policy's max_age is under one day: senders forget it quickly, and a man in the middle who blocks the policy fetch for a day downgrades them.", \
	"RFC 8461 3.2", \
	"Use a max_age of weeks (604800 or more); RFC 8461 recommends weeks or greater."
#define T_MTASTS_MODE_NONE \
	"The policy's mode is `none`, with the TXT record published: senders treat the domain as having no policy. This is how a policy is retired.", \
	"RFC 8461 5", \
	"If MTA-STS is being retired, remove the TXT record and the policy after the previous max_age has passed; otherwise serve `mode: testing` or `enforce`."
#define T_MTASTS_MODE_TESTING \
	"The policy's mode is `testing`: senders deliver as without a policy and only report failures (TLS-RPT). It works, but protects nothing.", \
	"RFC 8461 5", \
	"When the TLS-RPT reports show no failures, switch to `mode: enforce` and bump the TXT id."
#define T_MTASTS_ENFORCED \
	"An enforce policy is in effect and every MX host is listed, offers STARTTLS and presents a certificate valid for its name: MTA-STS senders deliver authenticated.", \
	"RFC 8461 5", \
	"None."
#define T_MTASTS_MX_NOT_LISTED \
	"An MX host matches no `mx:` pattern of the enforce policy: MTA-STS senders will not deliver to it. (A `*.` pattern matches exactly one label: `*.example.org` covers `mx.example.org`, not `a.mx.example.org` or `example.org`.)", \
	"RFC 8461 4.1", \
	"Add the host (or a pattern covering it) to the policy and bump the TXT id, or remove the MX record."
#define T_MTASTS_MX_NO_TLS \
	"An MX host listed in the enforce policy does not offer STARTTLS, or the TLS handshake fails: MTA-STS senders will not deliver to it. Where the host offers STARTTLS to other clients, a man in the middle may have removed it (STARTTLS stripping): the policy is what stops senders from falling back to plaintext.", \
	"RFC 8461 4.2", \
	"Enable STARTTLS with a working certificate on the host (its server findings say what fails)."
#define T_MTASTS_MX_CERT_INVALID \
	"An MX host listed in the enforce policy presents a certificate that fails PKIX validation for its name (untrusted, expired, or not naming the MX host): MTA-STS senders will not deliver to it.", \
	"RFC 8461 4.2", \
	"Serve a certificate from a public CA naming the MX host, with its intermediates (the host's `cert.*` findings say what fails)."
#define T_MTASTS_TESTING_FAILURE \
	"Under the testing policy, this MX host fails what enforce would require (not listed, no TLS, or certificate invalid): senders deliver anyway and report the failure through TLS-RPT; in enforce mode they would not deliver to it.", \
	"RFC 8461 5, RFC 8460", \
	"Fix the host or the policy before switching to enforce."
#define T_MTASTS_DANE_PRECEDENCE \
	"The MX host has DNSSEC-secure TLSA records: a sender that does DANE applies them and not the MTA-STS policy (DANE takes precedence); only senders without DANE apply the policy to this host.", \
	"RFC 8461 2", \
	"None; keep the policy consistent with the host all the same, for senders without DANE."
#define T_MTASTS_PATTERN_UNUSED \
	"An `mx:` pattern of the policy matches none of the domain's MX hosts: a stale entry, or a typo that leaves the intended host unlisted.", \
	"RFC 8461 4.1", \
	"Remove the pattern, or correct it to the MX host name."
#define T_TLSRPT_MISSING \
	"No `_smtp._tls` TXT record (TLS-RPT): senders have nowhere to report TLS failures, so a broken MTA-STS or DANE setup goes unnoticed until mail is lost.", \
	"RFC 8460 3", \
	"Publish `_smtp._tls.DOMAIN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@DOMAIN\"`."
#define T_TLSRPT_MULTIPLE \
	"More than one TXT record at `_smtp._tls.DOMAIN` starts with `v=TLSRPTv1`: senders then take none and send no reports.", \
	"RFC 8460 3", \
	"Keep one record; list several report addresses in its rua= field, separated by commas."
#define T_TLSRPT_INVALID \
	"The `_smtp._tls` TXT record does not read as RFC 8460 says (`v=TLSRPTv1` first, fields separated by `;`, a `rua=` with at least one valid URI): senders send no reports. The message quotes it.", \
	"RFC 8460 3", \
	"Publish `v=TLSRPTv1; rua=mailto:tlsrpt@DOMAIN` exactly (the `;` after the version is required)."
#define T_TLSRPT_BAD_URI \
	"A `rua=` URI is not a valid `mailto:` or `https:` URI (the only schemes RFC 8460 defines): senders skip it. One that is no URI at all, or holds a raw `!` (RFC 8460 says it MUST be encoded), makes the whole record syntactically invalid, and senders send no reports at all. The message quotes it.", \
	"RFC 8460 3", \
	"Use `mailto:address@domain` or `https://host/path`; percent-encode commas and semicolons inside a URI."
#define T_TLSRPT_OK \
	"A valid TLS-RPT record names where senders report TLS failures.", \
	"RFC 8460 3", \
	"None."

/* Credentials before TLS (SMTP submission, LMTP, POP3; IMAP has its own ids above). */
#define T_AUTH_CLEARTEXT_OFFERED \
	"The server offers password login (SMTP AUTH, POP3 USER or SASL) before TLS: it invites clients to send a password in the clear. The message lists what it offers.", \
	"RFC 8314 3; RFC 4954 4", \
	"Offer authentication only after STARTTLS (Postfix: smtpd_tls_auth_only = yes; Dovecot 2.3: disable_plaintext_auth = yes; 2.4: auth_allow_cleartext = no)."
/* The same on port 25, whose clients are MTAs that do not log in: info, not a warning. */
#define T_AUTH_CLEARTEXT_OFFERED_MX \
	"An SMTP server on the relay port offers AUTH before STARTTLS: MTAs do not log in, but a mail client pointed at port 25 can send a password in the clear. The message lists the mechanisms.", \
	"RFC 8314 3; RFC 4954 4", \
	"Offer AUTH only after STARTTLS (Postfix: smtpd_tls_auth_only = yes), or not at all on port 25: users submit on 587 or 465."
/* OCSP stapling (RFC 6066 8, RFC 6960): only when the server staples a response. */
#define T_OCSP_STAPLED_GOOD \
	"The server stapled an OCSP response that is signed by the certificate's issuer (or its delegated responder), current at the validation time, and says the certificate is good.", \
	"RFC 6960 4.2.2.2", \
	"None."
#define T_OCSP_REVOKED \
	"The server stapled a valid OCSP response that says its own certificate was revoked: clients that read the staple refuse it. The message gives the revocation date and reason.", \
	"RFC 6960 2.2", \
	"Install a new certificate and key at once (a revoked certificate stays revoked), then restart the server so that it staples a fresh response."
#define T_OCSP_UNKNOWN \
	"The stapled OCSP response does not vouch for the certificate: the responder says its status is unknown, or the response is about another certificate (a staple left over from the previous certificate).", \
	"RFC 6960 2.2", \
	"Make the server fetch the response for the certificate it serves (reload it after a certificate change), from the responder named in the certificate's AIA extension."
#define T_OCSP_STALE \
	"The stapled OCSP response is not current at the validation time: its nextUpdate has passed, or its thisUpdate lies in the future (5 minutes of clock skew allowed). Clients ignore it, and the server keeps serving an old one.", \
	"RFC 6960 4.2.2.1", \
	"Check that the server refreshes its staple before nextUpdate (a file written by cron, or the server's own fetcher) and that its clock is right."
#define T_OCSP_BAD_SIGNATURE \
	"The stapled OCSP response does not verify: its signature is wrong, its responder's chain does not lead to a trust anchor, or the responder is neither the issuer nor delegated by it. Clients ignore it.", \
	"RFC 6960 4.2.2.2", \
	"Staple the response of the CA that issued the certificate (its AIA OCSP responder), not one from another CA or test responder."
#define T_OCSP_MALFORMED \
	"The server stapled something that is not a usable OCSP response: it does not decode, its status is not successful (tryLater, internalError, ...), or it is over 64 KiB and was not read. Clients ignore it.", \
	"RFC 6960 4.2.1", \
	"Staple only successful responses as the responder sent them (DER); have the server drop a failed fetch instead of stapling the error."
/* STARTTLS command injection (--injection). */
#define T_STARTTLS_COMMAND_INJECTION \
	"The server processed a command sent in plaintext together with STARTTLS as if it had arrived inside TLS: a man in the middle can inject commands into the protected session.", \
	"RFC 3207 4; RFC 2595 3.1; CVE-2011-0411", \
	"Update the server: it must discard input buffered before the TLS handshake (Postfix >= 2.8.x and the 2011 patch releases of 2.4-2.7 fixed it; most other servers since). Until then, do not rely on STARTTLS against an active attacker."
#define T_STARTTLS_INJECTION_TESTED \
	"The STARTTLS command-injection probe found nothing: the command sent in plaintext with STARTTLS was not answered inside TLS.", \
	"RFC 3207 4; RFC 2595 3.1; CVE-2011-0411", \
	"None."
#define T_SURVEY_DONE \
	"The TLS survey (--survey) ran: the versions, cipher suites, groups and key types the server accepts, each found by a handshake.", \
	"RFC 8446; RFC 5246", \
	"None."
#define T_SURVEY_NOT_RUN \
	"A survey was asked for but not made: the check did not reach a TLS handshake (no STARTTLS, refused, unreachable).", \
	"RFC 3207 4; RFC 2595 3", \
	"Fix what the check reports first; the survey needs a server that starts TLS."
#define T_SURVEY_LIMITED \
	"The server limited the survey's connections (SMTP 421 or another 4xx, a refused or dropped connection); the survey waited and asked again. A limit is not a TLS failure.", \
	"RFC 5321 4.2.3 (421)", \
	"None needed: connection limits protect the server. Run the survey with --per-address 1 to be gentler, or allow the checking host more connections."
#define T_SURVEY_INCOMPLETE \
	"Some survey handshakes got no answer (timeouts, or limits that did not end): the lists may miss what those would have found. The message says which.", \
	"RFC 8446; RFC 5246", \
	"Run the survey again later, with a longer --timeout or --per-address 1."
#define T_TLS_LEGACY_VERSION_ENABLED \
	"The server accepts TLS 1.0 or TLS 1.1, which RFC 8996 deprecates: a man in the middle who can force old versions gets their weaker cipher suites and SHA-1 signatures. Senders that can do TLS 1.2 never need them.", \
	"RFC 8996; RFC 8314 4.1", \
	"Accept TLS 1.2 and 1.3 only (Postfix: smtpd_tls_protocols = >=TLSv1.2 and smtpd_tls_mandatory_protocols = >=TLSv1.2; Dovecot: ssl_min_protocol = TLSv1.2). Only senders that know nothing newer lose TLS, and an opportunistic one falls back to plaintext, as it would anyway on a downgrade."
#define T_TLS_INSECURE_CIPHER_ENABLED \
	"The server accepts cipher suites that protect nothing: NULL encryption (no confidentiality at all) or export-grade keys (broken since the 1990s; FREAK, Logjam).", \
	"RFC 9325 4.1; RFC 7525 4.1", \
	"Remove them from the server's cipher list (OpenSSL: add !eNULL:!EXPORT; Postfix: smtpd_tls_exclude_ciphers = eNULL, EXPORT)."
#define T_TLS_WEAK_CIPHER_ENABLED \
	"The server accepts broken or weak cipher suites: RC4 (RFC 7465 forbids it), DES or 3DES (64-bit blocks, SWEET32), IDEA or suites with MD5.", \
	"RFC 7465; RFC 9325 4.1; CVE-2016-2183", \
	"Remove them from the server's cipher list (OpenSSL: !RC4:!DES:!3DES:!IDEA:!MD5; Postfix: smtpd_tls_exclude_ciphers = RC4, DES, 3DES, IDEA, MD5)."
#define T_TLS_NO_FORWARD_SECRECY \
	"The server prefers, or only offers, key exchange without forward secrecy (static RSA): whoever obtains its private key later can decrypt recorded sessions.", \
	"RFC 9325 4.1; RFC 7525 6.3", \
	"Put ECDHE (and DHE) suites first and prefer them (Postfix: tls_preempt_cipherlist = yes, with ECDHE suites enabled; TLS 1.3 always has forward secrecy)."
#define T_TLS_WEAK_DH \
	"The server uses finite-field Diffie-Hellman with a prime under 2048 bits (Logjam): weak key exchange, and refused by current clients.", \
	"RFC 9325 4.1; RFC 7919", \
	"Use a 2048-bit or larger DH group, or none (Postfix 3.7+: smtpd_tls_dh1024_param_file = auto uses the RFC 7919 ffdhe2048 group; or disable DHE and keep ECDHE)."
#define T_TLS_NO_SECURE_RENEGOTIATION \
	"A TLS 1.2 or older handshake came without the renegotiation_info extension: the server does not do secure renegotiation (RFC 5746), which opens the 2009 renegotiation attack.", \
	"RFC 5746", \
	"Update the server's TLS library; every maintained one supports RFC 5746."
#define T_TLS_ANONYMOUS_CIPHER_ENABLED \
	"The server accepts anonymous suites (ADH, AECDH: no certificate, so any man in the middle could answer). Only a client that offers them gets them, and no verifying client does; Postfix enables them on purpose for opportunistic TLS, where they are no worse than an unverified certificate.", \
	"RFC 9325 4.1; Postfix TLS_README (server-side cipher controls)", \
	"Nothing needed on an MX with opportunistic TLS. On submission, IMAP and POP3, or to be strict: exclude them (OpenSSL: !aNULL; Postfix: smtpd_tls_exclude_ciphers = aNULL)."
#define T_SENDER_OK \
	"The handshake with each of these sender profiles' own offer succeeded: those senders get TLS. The message says what each got.", \
	"RFC 3207; RFC 8446", \
	"None."
#define T_SENDER_DEFERS \
	"A real sender's own offer (its profile) fails the handshake, and that sender keeps the mail queued and retries: mail from it is delayed and, when its queue lifetime runs out, bounced.", \
	"RFC 3207 4.1; RFC 5321 4.5.4.1", \
	"Make the server accept what that sender offers: the message gives the alert and its likely cause (most often: a TLS version, a suite or a certificate key type the sender offers is not enabled, or the server needs SNI). The profile file lists the offer."
#define T_SENDER_BOUNCES \
	"A real sender's own offer (its profile) fails the handshake, and that sender returns the mail at once.", \
	"RFC 3207 4.1", \
	"Make the server accept what that sender offers (see the message and the profile's offer)."
#define T_SENDER_PLAINTEXT \
	"A real sender's own offer (its profile) fails the handshake, and that sender then delivers in plaintext: its mail arrives, unencrypted.", \
	"RFC 3207 4.1; RFC 7435", \
	"Make the server accept what that sender offers (see the message and the profile's offer); until then its mail travels in the clear."
#define T_SENDER_LEGACY_FAILS \
	"A sender that can do only TLS 1.0 or 1.1 fails the handshake. That is what RFC 8996 asks of a server; the sender falls back to plaintext or defers, as the message says.", \
	"RFC 8996", \
	"Nothing, if the server refuses TLS 1.0 and 1.1 on purpose: the old sender must be updated."
#define T_SENDER_UNKNOWN \
	"The handshake with a sender profile's offer got no answer (a timeout, a limit): what that sender gets is not known.", \
	"RFC 3207", \
	"Run the check again, with a longer --timeout."
#define T_CERT_ALTERNATE_PATH \
	"OpenSSL's path through the chain fails, but another path through the certificates the server sent and the trust store verifies (a cross-signed intermediate sent ahead of the one that leads to a valid anchor). OpenSSL 3.0 builds one path and never tries another, so OpenSSL-based senders (Postfix, Exim with OpenSSL) refuse the server; clients that search every path (RFC 5280 6.1, RFC 4158) accept it. The verdict stays the OpenSSL senders' (not authenticated); the message names OpenSSL's error, the path that verifies and the chain to serve.", \
	"RFC 5280 6.1; RFC 4158", \
	"Serve only the chain the message names (the leaf, then the intermediates of the path that verifies, in order); leave out the cross-signed intermediate that leads OpenSSL to the failing anchor."
#define T_CERT_NAME_CONSTRAINT_VIOLATION \
	"A DNS-ID of the server certificate, or a reference name it authenticates through a wildcard, lies outside the permitted dNSName subtrees or inside an excluded subtree of a CA's name constraints on the verified path. OpenSSL 3.0 misses this for names it does not compare (a reference name matched through a wildcard, a DNS-ID that is no valid DNS name); strict RFC 5280 clients refuse the certificate.", \
	"RFC 5280 4.2.1.10, 6.1.3", \
	"Reissue the certificate with names the issuing CA's name constraints allow, or have it issued under a CA whose constraints cover the names; never put a name the CA may not vouch for behind a wildcard."
#define T_CERT_NAME_CONSTRAINT_MALFORMED \
	"A CA on the verified path has a dNSName name constraint that is no valid DNS name (a leading period as in \".example.com\", a wildcard, an empty label). OpenSSL reads \".example.com\" as every name under example.com and accepts the chain; strict RFC 5280 clients (x509-limbo) refuse it.", \
	"RFC 5280 4.2.1.10", \
	"Have the CA reissue its certificate with dNSName constraints written as host names (\"example.com\" covers example.com and every name under it); a leading period belongs to URI constraints only."
/* The leaf's OCSP responder, asked with --ocsp (RFC 6960 A.1). */
#define T_OCSP_RESPONDER_GOOD \
	"Asked with --ocsp, the OCSP responder named in the certificate (AIA) answered that the certificate is good, in a response signed by the issuer (or its delegated responder) and current at the validation time.", \
	"RFC 6960 2.2, 4.2.2.2; RFC 5280 4.2.2.1", \
	"None."
#define T_OCSP_RESPONDER_REVOKED \
	"Asked with --ocsp, the certificate's own OCSP responder answered, in a valid signed response, that the certificate is revoked: clients that check revocation refuse it, and the chain counts as not trusted. The message gives the revocation date and reason.", \
	"RFC 6960 2.2; RFC 5280 6.3", \
	"Replace the certificate now: issue a new key and certificate and install them; a revoked certificate never becomes valid again."
#define T_OCSP_RESPONDER_UNKNOWN \
	"Asked with --ocsp, the certificate's OCSP responder does not vouch for it: it answered \"unknown\" (it does not know the certificate), or its answer is about another certificate.", \
	"RFC 6960 2.2, 4.2.1", \
	"Check that the certificate was issued by the CA that runs this responder, and that the AIA of certificates the CA issues names the right responder; ask the CA."
#define T_OCSP_RESPONDER_FAILED \
	"Asked with --ocsp, the certificate's OCSP responder gave no usable answer: the URL is not usable, the certificate's issuer (which the request names) is unknown, its host has no address, no HTTP response came (connection, timeout), the HTTP status is not 200, the media type is not application/ocsp-response, the response does not decode or is not successful (tryLater, ...), its signature does not verify, or it is not current. The message says which. Clients that check revocation cannot either: most accept the certificate (soft fail), some refuse it.", \
	"RFC 6960 A.1, 4.2.1, 4.2.2.2; RFC 5019 2.2.3", \
	"A responder outage is the CA's to fix: tell the CA. A wrong AIA URL is fixed by a certificate whose AIA names the CA's working responder."
#define T_OCSP_NO_RESPONDER \
	"--ocsp was asked, but the certificate names no OCSP responder in its Authority Information Access extension: nothing was asked.", \
	"RFC 5280 4.2.2.1", \
	"None for mail servers; revocation is then known only from the CA's CRL, if it publishes one."
#define T_TLS_COMPRESSION_ENABLED \
	"The server accepts TLS compression: with it, an attacker who can inject chosen text into a session and watch its size can recover secrets from it (CRIME).", \
	"RFC 7457 2.6; RFC 9325 3.3", \
	"Disable TLS compression (OpenSSL: SSL_OP_NO_COMPRESSION, the default since 1.1.0; update the server's TLS library)."

static const struct mailtls_catalog_entry catalog[MAILTLS_F_COUNT] = {
#define ENTRY_(sym, id, sev) [MAILTLS_F_##sym] = { id, MAILTLS_SEV_##sev, T_##sym, MAILTLS_F_##sym },
	MAILTLS_FINDINGS(ENTRY_)
#undef ENTRY_
};

const struct mailtls_catalog_entry *mailtls_catalog(size_t *n)
{
	*n = MAILTLS_F_COUNT;
	return catalog;
}

const struct mailtls_catalog_entry *mailtls_catalog_find(const char *id)
{
	for (size_t i = 0; i < MAILTLS_F_COUNT; i++)
		if (strcmp(catalog[i].id, id) == 0)
			return &catalog[i];
	return NULL;
}

const struct mailtls_catalog_entry *mailtls_catalog_get(enum mailtls_fid fid)
{
	return (unsigned)fid < MAILTLS_F_COUNT ? &catalog[fid] : NULL;
}
