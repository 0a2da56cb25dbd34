/*
 * mailtls/findings.h - every finding id, as a list the compiler checks: a finding is added
 * by its enum (MAILTLS_F_CERT_NAME_MISMATCH), so a misspelt id does not build. The id text
 * ("cert.name-mismatch") is stable: never rename or reuse one. lib/catalog.c holds what each
 * means and its remedy; docs/findings.md documents each.
 */
#ifndef MAILTLS_FINDINGS_H
#define MAILTLS_FINDINGS_H

/* X(SYMBOL, "id", SEVERITY), in catalogue order. New ids go at the end: the enum values
 * are part of the public interface. */
#define MAILTLS_FINDINGS(X) \
	X(CONN_RESOLVE_FAILED, "conn.resolve-failed", CRITICAL) \
	X(CONN_REFUSED, "conn.refused", CRITICAL) \
	X(CONN_TIMEOUT, "conn.timeout", CRITICAL) \
	X(CONN_CLOSED, "conn.closed", CRITICAL) \
	X(CONN_ERROR, "conn.error", CRITICAL) \
	X(CONN_DEADLINE, "conn.deadline", CRITICAL) \
	X(PROTO_GREETING_REJECTED, "proto.greeting-rejected", CRITICAL) \
	X(PROTO_LINE_TOO_LONG, "proto.line-too-long", CRITICAL) \
	X(PROTO_TOO_MANY_LINES, "proto.too-many-lines", CRITICAL) \
	X(PROTO_MALFORMED_REPLY, "proto.malformed-reply", CRITICAL) \
	X(PROTO_UNSOLICITED_REPLY, "proto.unsolicited-reply", CRITICAL) \
	X(PROTO_EHLO_REJECTED, "proto.ehlo-rejected", WARNING) \
	X(STARTTLS_RESPONSE_INJECTION, "starttls.response-injection", WARNING) \
	X(PROTO_POST_TLS_FAILED, "proto.post-tls-failed", WARNING) \
	X(PROTO_BANNER_NAME_DIFFERS, "proto.banner-name-differs", INFO) \
	X(STARTTLS_OFFERED, "starttls.offered", OK) \
	X(STARTTLS_NOT_OFFERED, "starttls.not-offered", CRITICAL) \
	X(STARTTLS_REFUSED, "starttls.refused", CRITICAL) \
	X(IMAP_LOGIN_DISABLED, "imap.login-disabled", OK) \
	X(IMAP_PLAINTEXT_LOGIN_OFFERED, "imap.plaintext-login-offered", WARNING) \
	X(TLS_ESTABLISHED, "tls.established", OK) \
	X(TLS_HANDSHAKE_FAILED, "tls.handshake-failed", CRITICAL) \
	X(TLS_LEGACY_VERSION, "tls.legacy-version", WARNING) \
	X(CERT_TRUSTED, "cert.trusted", OK) \
	X(CERT_UNTRUSTED, "cert.untrusted", CRITICAL) \
	X(CERT_SELF_SIGNED, "cert.self-signed", CRITICAL) \
	X(CERT_INCOMPLETE_CHAIN, "cert.incomplete-chain", CRITICAL) \
	X(CERT_EXPIRED, "cert.expired", CRITICAL) \
	X(CERT_NOT_YET_VALID, "cert.not-yet-valid", CRITICAL) \
	X(CERT_EXPIRES_SOON, "cert.expires-soon", WARNING) \
	X(CERT_NAME_MATCH, "cert.name-match", OK) \
	X(CERT_NAME_MISMATCH, "cert.name-mismatch", CRITICAL) \
	X(CERT_CN_ONLY, "cert.cn-only", CRITICAL) \
	X(CERT_MALFORMED_SAN, "cert.malformed-san", CRITICAL) \
	X(CERT_WILDCARD, "cert.wildcard", INFO) \
	X(CERT_PARTIAL_WILDCARD, "cert.partial-wildcard", WARNING) \
	X(CERT_INVALID_NAME, "cert.invalid-name", WARNING) \
	X(CERT_WEAK_KEY, "cert.weak-key", CRITICAL) \
	X(CERT_WEAK_SIGNATURE, "cert.weak-signature", CRITICAL) \
	X(CERT_CHAIN_TOO_LONG, "cert.chain-too-long", CRITICAL) \
	X(CERT_CHAIN_EXTRA, "cert.chain-extra", WARNING) \
	X(CERT_VERIFY_ERROR, "cert.verify-error", CRITICAL) \
	X(CERT_PROFILE_VIOLATION, "cert.profile-violation", WARNING) \
	X(DNS_NO_ANSWER, "dns.no-answer", CRITICAL) \
	X(DNS_BOGUS, "dns.bogus", CRITICAL) \
	X(DNS_NXDOMAIN, "dns.nxdomain", CRITICAL) \
	X(DNS_INSECURE, "dns.insecure", INFO) \
	X(MX_NULL, "mx.null", INFO) \
	X(MX_IMPLICIT, "mx.implicit", WARNING) \
	X(MX_NONE, "mx.none", CRITICAL) \
	X(MX_IP_LITERAL, "mx.ip-literal", CRITICAL) \
	X(MX_CNAME, "mx.cname", WARNING) \
	X(MX_DOMAIN_CNAME, "mx.domain-cname", INFO) \
	X(MX_NO_ADDRESS, "mx.no-address", CRITICAL) \
	X(MX_PTR_DIFFERS, "mx.ptr-differs", INFO) \
	X(MX_ADDRESSES_DIFFER, "mx.addresses-differ", WARNING) \
	X(MX_BACKUP_USED, "mx.backup-used", WARNING) \
	X(MX_SENDER_DEFERS, "mx.sender-defers", CRITICAL) \
	X(DANE_NO_TLSA, "dane.no-tlsa", INFO) \
	X(DANE_TLSA_INSECURE, "dane.tlsa-insecure", WARNING) \
	X(DANE_TLSA_BOGUS, "dane.tlsa-bogus", CRITICAL) \
	X(DANE_TLSA_NO_ANSWER, "dane.tlsa-no-answer", CRITICAL) \
	X(DANE_UNUSABLE_ONLY, "dane.unusable-only", WARNING) \
	X(DANE_UNUSABLE_RECORD, "dane.unusable-record", INFO) \
	X(DANE_MATCH, "dane.match", OK) \
	X(DANE_NO_MATCH, "dane.no-match", CRITICAL) \
	X(DANE_VERIFY_FAILED, "dane.verify-failed", CRITICAL) \
	X(DANE_STARTTLS_MISSING, "dane.starttls-missing", CRITICAL) \
	X(DANE_TLS_FAILED, "dane.tls-failed", CRITICAL) \
	X(DANE_ROLLOVER, "dane.rollover", INFO) \
	X(DANE_PARTIAL, "dane.partial", CRITICAL) \
	X(DANE_NAME_NOT_SECURE, "dane.address-insecure", INFO) \
	X(CERT_NEXTHOP_MISMATCH, "cert.nexthop-mismatch", WARNING) \
	X(DNS_NOT_VALIDATING, "dns.not-validating", WARNING) \
	X(MX_NULL_MIXED, "mx.null-mixed", WARNING) \
	X(MX_TRUNCATED, "mx.truncated", INFO) \
	X(MX_BACKUP_WEAKER, "mx.backup-weaker", WARNING) \
	X(MTASTS_NONE, "mtasts.none", INFO) \
	X(MTASTS_TXT_MISSING, "mtasts.txt-missing", WARNING) \
	X(MTASTS_TXT_MULTIPLE, "mtasts.txt-multiple", WARNING) \
	X(MTASTS_TXT_INVALID, "mtasts.txt-invalid", WARNING) \
	X(MTASTS_TXT_OTHER_VERSION, "mtasts.txt-other-version", WARNING) \
	X(MTASTS_TXT_WITHOUT_POLICY, "mtasts.txt-without-policy", WARNING) \
	X(MTASTS_POLICY_FETCH_FAILED, "mtasts.policy-fetch-failed", WARNING) \
	X(MTASTS_POLICY_CERT_INVALID, "mtasts.policy-cert-invalid", WARNING) \
	X(MTASTS_POLICY_HTTP_STATUS, "mtasts.policy-http-status", WARNING) \
	X(MTASTS_POLICY_REDIRECT, "mtasts.policy-redirect", WARNING) \
	X(MTASTS_POLICY_CONTENT_TYPE, "mtasts.policy-content-type", WARNING) \
	X(MTASTS_POLICY_TOO_LARGE, "mtasts.policy-too-large", WARNING) \
	X(MTASTS_POLICY_INVALID, "mtasts.policy-invalid", WARNING) \
	X(MTASTS_POLICY_LINE, "mtasts.policy-line", WARNING) \
	X(MTASTS_MAX_AGE_SHORT, "mtasts.max-age-short", WARNING) \
	X(MTASTS_MODE_NONE, "mtasts.mode-none", INFO) \
	X(MTASTS_MODE_TESTING, "mtasts.mode-testing", WARNING) \
	X(MTASTS_ENFORCED, "mtasts.enforced", OK) \
	X(MTASTS_MX_NOT_LISTED, "mtasts.mx-not-listed", CRITICAL) \
	X(MTASTS_MX_NO_TLS, "mtasts.mx-no-tls", CRITICAL) \
	X(MTASTS_MX_CERT_INVALID, "mtasts.mx-cert-invalid", CRITICAL) \
	X(MTASTS_TESTING_FAILURE, "mtasts.testing-failure", WARNING) \
	X(MTASTS_DANE_PRECEDENCE, "mtasts.dane-precedence", INFO) \
	X(MTASTS_PATTERN_UNUSED, "mtasts.pattern-unused", INFO) \
	X(TLSRPT_MISSING, "tlsrpt.missing", INFO) \
	X(TLSRPT_MULTIPLE, "tlsrpt.multiple", WARNING) \
	X(TLSRPT_INVALID, "tlsrpt.invalid", WARNING) \
	X(TLSRPT_BAD_URI, "tlsrpt.bad-uri", WARNING) \
	X(TLSRPT_OK, "tlsrpt.ok", OK) \
	X(AUTH_CLEARTEXT_OFFERED, "auth.cleartext-offered", WARNING) \
	X(AUTH_CLEARTEXT_OFFERED_MX, "auth.cleartext-offered-mx", INFO) \
	X(OCSP_STAPLED_GOOD, "ocsp.stapled-good", OK) \
	X(OCSP_REVOKED, "ocsp.revoked", CRITICAL) \
	X(OCSP_UNKNOWN, "ocsp.unknown", WARNING) \
	X(OCSP_STALE, "ocsp.stale", WARNING) \
	X(OCSP_BAD_SIGNATURE, "ocsp.bad-signature", WARNING) \
	X(OCSP_MALFORMED, "ocsp.malformed", WARNING) \
	X(STARTTLS_COMMAND_INJECTION, "starttls.command-injection", CRITICAL) \
	X(STARTTLS_INJECTION_TESTED, "starttls.injection-tested", OK) \
	X(SURVEY_DONE, "survey.done", OK) \
	X(SURVEY_NOT_RUN, "survey.not-run", INFO) \
	X(SURVEY_LIMITED, "survey.limited", INFO) \
	X(SURVEY_INCOMPLETE, "survey.incomplete", INFO) \
	X(TLS_LEGACY_VERSION_ENABLED, "tls.legacy-version-enabled", WARNING) \
	X(TLS_INSECURE_CIPHER_ENABLED, "tls.insecure-cipher-enabled", CRITICAL) \
	X(TLS_WEAK_CIPHER_ENABLED, "tls.weak-cipher-enabled", WARNING) \
	X(TLS_NO_FORWARD_SECRECY, "tls.no-forward-secrecy", WARNING) \
	X(TLS_WEAK_DH, "tls.weak-dh", WARNING) \
	X(TLS_NO_SECURE_RENEGOTIATION, "tls.no-secure-renegotiation", WARNING) \
	X(TLS_ANONYMOUS_CIPHER_ENABLED, "tls.anonymous-cipher-enabled", INFO) \
	X(SENDER_OK, "sender.ok", OK) \
	X(SENDER_DEFERS, "sender.defers", CRITICAL) \
	X(SENDER_BOUNCES, "sender.bounces", CRITICAL) \
	X(SENDER_PLAINTEXT, "sender.plaintext", WARNING) \
	X(SENDER_LEGACY_FAILS, "sender.legacy-fails", INFO) \
	X(SENDER_UNKNOWN, "sender.unknown", INFO) \
	X(CERT_ALTERNATE_PATH, "cert.alternate-path", WARNING) \
	X(CERT_NAME_CONSTRAINT_VIOLATION, "cert.name-constraint-violation", CRITICAL) \
	X(CERT_NAME_CONSTRAINT_MALFORMED, "cert.name-constraint-malformed", WARNING) \
	X(OCSP_RESPONDER_GOOD, "ocsp.responder-good", OK) \
	X(OCSP_RESPONDER_REVOKED, "ocsp.responder-revoked", CRITICAL) \
	X(OCSP_RESPONDER_UNKNOWN, "ocsp.responder-unknown", WARNING) \
	X(OCSP_RESPONDER_FAILED, "ocsp.responder-failed", WARNING) \
	X(OCSP_NO_RESPONDER, "ocsp.no-responder", INFO) \
	X(TLS_COMPRESSION_ENABLED, "tls.compression-enabled", WARNING)

enum mailtls_fid {
#define MAILTLS_FID_ENUM_(sym, id, sev) MAILTLS_F_##sym,
	MAILTLS_FINDINGS(MAILTLS_FID_ENUM_)
#undef MAILTLS_FID_ENUM_
	MAILTLS_F_COUNT
};

#endif
