/*
 * mailtls/result.h - the result model: findings, session facts, certificate facts, verdict.
 *
 * A result is what one run of a check (network) or of a certificate verification (offline)
 * found. It is plain data: the library fills it, reporters format it, the caller frees it
 * with mailtls_result_free(). Every string in it is owned by the result (NUL-terminated,
 * heap-allocated) unless a comment says otherwise. Strings copied from the network or from a
 * certificate (banners, capabilities, names, certificate fields, finding messages that quote
 * them) are stored display-safe: control bytes, DEL, C1 controls and invalid UTF-8 appear as
 * \xHH text, within size limits. Reporters escape once more, which changes nothing in such
 * strings (the escaping is idempotent) and protects against a caller's own strings.
 */
#ifndef MAILTLS_RESULT_H
#define MAILTLS_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <mailtls/findings.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Ordered: a higher value is worse. */
enum mailtls_severity {
	MAILTLS_SEV_OK = 0,
	MAILTLS_SEV_INFO,
	MAILTLS_SEV_WARNING,
	MAILTLS_SEV_CRITICAL,
};

/* Exit codes, monitoring-plugin convention. */
enum mailtls_exit {
	MAILTLS_EXIT_OK = 0,
	MAILTLS_EXIT_WARNING = 1,
	MAILTLS_EXIT_CRITICAL = 2,
	MAILTLS_EXIT_UNKNOWN = 3,
};

/* What a finding is about: a server (host as the user or the DNS named it, the address
 * connected to, the port) and, for a finding about one certificate, its position in the
 * chain as the server presented it: an index into the result's chain[], whatever order the
 * server sent the chain in (for a chain sent in order it is also the depth the message
 * names). A certificate the server did not send (an anchor from the trust store) has no
 * position: -1, and the message names it. A report about many servers groups findings
 * by it. */
struct mailtls_subject {
	char *host;                     /* owned; NULL when the finding is about no server */
	char *addr;                     /* owned; NULL before an address was chosen */
	unsigned port;                  /* 0 when about no server */
	int cert_depth;                 /* index into chain[], 0 = the leaf; -1: not about one
	                                 * presented certificate */
};

/* One finding. id is a stable catalogue id ("cert.name-mismatch"); see docs/findings.md. */
struct mailtls_finding {
	enum mailtls_fid fid;           /* MAILTLS_F_CERT_NAME_MISMATCH */
	const char *id;                 /* its text, borrowed from the static catalogue */
	enum mailtls_severity severity; /* from the catalogue */
	char *message;                  /* one line with the facts; owned */
	const char *remedy;             /* borrowed from the static catalogue; may be "" */
	const char *standard;           /* borrowed from the static catalogue; may be "" */
	struct mailtls_subject subject; /* owned */
};

struct mailtls_findings {
	struct mailtls_finding *v;
	size_t n;
	size_t cap;
};

/* A list of owned strings. */
struct mailtls_strlist {
	char **v;
	size_t n;
};

enum mailtls_proto {
	MAILTLS_PROTO_NONE = 0, /* offline certificate check */
	MAILTLS_PROTO_SMTP,     /* 25, STARTTLS */
	MAILTLS_PROTO_SUBMISSION, /* 587, STARTTLS */
	MAILTLS_PROTO_SMTPS,    /* 465, implicit TLS, SMTP dialogue inside */
	MAILTLS_PROTO_LMTP,     /* 24, STARTTLS, LHLO */
	MAILTLS_PROTO_IMAP,     /* 143, STARTTLS */
	MAILTLS_PROTO_IMAPS,    /* 993, implicit TLS */
	MAILTLS_PROTO_POP3,     /* 110, STLS */
	MAILTLS_PROTO_POP3S,    /* 995, implicit TLS */
};

/* What the dialogue and the handshake learned. Names learned from the server (banner,
 * EHLO) are facts to show, never identities to match. */
struct mailtls_session {
	enum mailtls_proto proto;
	char *host;               /* as given by the user */
	char *addr;               /* numeric address connected to, or NULL */
	unsigned port;
	char *banner;             /* first greeting line text, or NULL */
	char *banner_name;        /* first word of the SMTP greeting, or NULL */
	char *ehlo_name;          /* first word of the EHLO reply, or NULL */
	bool implicit_tls;
	bool starttls_offered;
	bool starttls_accepted;
	bool helo_fallback;       /* EHLO refused, HELO used */
	bool login_disabled;      /* IMAP LOGINDISABLED before TLS */
	struct mailtls_strlist caps_pre;  /* capabilities before TLS */
	struct mailtls_strlist caps_post; /* capabilities after TLS */
	bool tls_established;
	char *tls_version;        /* "TLSv1.3" */
	char *cipher;             /* "TLS_AES_256_GCM_SHA384" */
	char *group;              /* key exchange group "x25519", or NULL */
	char *transcript;         /* "S: ...\nC: ...\n", or NULL when not requested */
	double elapsed_ms;        /* time the check was at work (from the name lookup to the
	                           * end; waits for admission not counted) */
};

/* Facts of one certificate; no judgement. */
struct mailtls_certinfo {
	char *subject;            /* one-line RFC 2253 form */
	char *subject_cn;         /* first CN, or NULL */
	char *issuer;
	char *issuer_cn;
	char *organization;       /* subject O, or NULL */
	char *serial;             /* hex */
	struct mailtls_strlist dns_names;   /* subjectAltName dNSName entries, escaped */
	struct mailtls_strlist other_names; /* other SAN entries as "IP:192.0.2.1", "email:..." */
	time_t not_before;
	time_t not_after;
	long days_left;           /* at the validation time; negative when expired */
	char *key_type;           /* "RSA", "EC", "ED25519" */
	int key_bits;
	char *sig_alg;            /* "sha256WithRSAEncryption" */
	char *sha256;             /* hex with colons, of the DER certificate */
	char *spki_sha256;        /* hex with colons, of the DER SubjectPublicKeyInfo */
	bool self_issued;         /* subject == issuer */
	bool is_ca;
	bool san_malformed;       /* a subjectAltName extension is present but does not decode
	                           * (DER error), or there is more than one: no SAN listed */
};

/* One TLSA record given to a check, as given, and what became of it. */
struct mailtls_dane_record {
	uint8_t usage;
	uint8_t selector;
	uint8_t mtype;
	char *data;               /* the association data as given, lower-case hex; owned */
	int accepted;             /* 1: OpenSSL took it (SSL_dane_tlsa_add); 0: OpenSSL
	                           * refused it as unusable (reason says why); -1: never given
	                           * to OpenSSL (the check ended before its handshake) */
	char *reason;             /* accepted 0: OpenSSL's reason ("dane tlsa bad digest
	                           * length"); else NULL; owned */
	int matches;              /* the first presented certificate the record matches, as
	                           * an index into chain[] (computed by mailtls from the
	                           * chain as presented, whatever the usage); -1: it matches
	                           * none of them (a record for a certificate not served: a
	                           * rollover in progress, or a stale record) */
};

/* What OpenSSL's DANE verification (RFC 7671, RFC 7672) found. Facts, no judgement: a
 * check adds no finding for them (the cert.* findings stay the PKIX view). */
struct mailtls_dane_facts {
	bool enabled;             /* records were given */
	char *tlsa_base;          /* the TLSA base domain (normalized); owned */
	struct mailtls_dane_record *records;   /* in the order given; owned */
	size_t n_records;
	size_t n_usable;          /* of them accepted by OpenSSL; with none, OpenSSL runs
	                           * plain PKIX verification */
	bool evaluated;           /* OpenSSL verified a presented chain with the records
	                           * (the handshake got that far); the rest is only set then */
	long verify_code;         /* SSL_get_verify_result(): X509_V_OK (0) or X509_V_ERR_* */
	char *verify_text;        /* X509_verify_cert_error_string() of it; owned */
	int depth;                /* SSL_get0_dane_authority(): depth of the certificate that
	                           * matched a record, in the path OpenSSL built (0 = the leaf);
	                           * -1: no match, or verification failed */
	int match_depth;          /* the depth at which a record matched, even when
	                           * verification then failed for another reason (a name, a
	                           * date); -1: no record matched */
	bool have_match;          /* the record of match_depth: */
	uint8_t match_usage;      /* SSL_get0_dane_tlsa() */
	uint8_t match_selector;
	uint8_t match_mtype;
	int match_record;         /* its index in records, or -1 */
	char *peername;           /* the reference name that matched the certificate (a
	                           * DANE-TA or PKIX match with name checks), or NULL;
	                           * owned */
};

/* The leaf's status in a stapled OCSP response (RFC 6960 4.2.1, CertStatus). */
enum mailtls_ocsp_cert_status {
	MAILTLS_OCSP_CERT_NONE = 0,   /* not known: no usable response, or it does not cover
	                               * the leaf */
	MAILTLS_OCSP_CERT_GOOD,
	MAILTLS_OCSP_CERT_REVOKED,
	MAILTLS_OCSP_CERT_UNKNOWN,    /* the responder said "unknown" */
};

/* What the server stapled in its OCSP status (RFC 6066 8, RFC 8446 4.4.2.1), read at the
 * check's validation time. Facts, no judgement (the ocsp.* findings judge them). Zero when
 * nothing was stapled. */
struct mailtls_ocsp_facts {
	bool stapled;             /* the server stapled a response; the rest is only set then */
	size_t der_len;           /* its size in bytes */
	bool too_large;           /* over 64 KiB: not parsed */
	bool parsed;              /* the bytes decode as an OCSPResponse */
	int response_status;      /* OCSPResponseStatus (RFC 6960 4.2.1): 0 successful,
	                           * 1 malformedRequest, 2 internalError, 3 tryLater,
	                           * 5 sigRequired, 6 unauthorized; -1 when not parsed */
	bool basic;               /* successful, with a BasicOCSPResponse that decodes */
	bool signature_valid;     /* the response is signed by the leaf's issuer, or by a
	                           * responder the issuer delegated to (id-kp-OCSPSigning),
	                           * whose chain verifies to the trust store at the
	                           * validation time (RFC 6960 4.2.2.2) */
	char *verify_error;       /* why not, in OpenSSL's words; NULL when valid; owned */
	/* The rest only when signature_valid: an unverified response says nothing. */
	bool covers_leaf;         /* a SingleResponse is about the leaf (issuer and serial) */
	char *serial;             /* when not: the serial (hex) the first one is about, or
	                           * NULL; owned */
	enum mailtls_ocsp_cert_status cert_status; /* the leaf's, when covers_leaf */
	time_t revocation_time;   /* when revoked; else 0 */
	int revocation_reason;    /* CRLReason code (RFC 5280 5.3.1) when revoked and given;
	                           * else -1 */
	time_t this_update;       /* of the leaf's SingleResponse; 0 when not covered */
	time_t next_update;       /* 0 when absent (the responder promises no next one) */
	bool current;             /* thisUpdate <= at + skew and (no nextUpdate, or
	                           * at - skew <= nextUpdate); skew is 5 minutes */
};

struct mailtls_survey;
#define MAILTLS_PATH_SEARCH_LEN 12 /* longest path recorded (leaf, 10 CAs, anchor) */

/* When OpenSSL's path through the presented chain failed: the other paths mailtls
 * searched (cert.alternate-path). Facts, except searching_client_accepts (the verdict of a
 * client that searches every path). Zero when OpenSSL's path verified or no search ran. */
struct mailtls_path_search {
	bool searched;            /* the search ran; the rest is only set then */
	int openssl_error;        /* the first error OpenSSL recorded on its path (X509_V_ERR_*) */
	char *openssl_error_text; /* X509_verify_cert_error_string() of it; owned */
	int openssl_error_depth;  /* its depth in OpenSSL's path */
	bool found;               /* another path verifies (OpenSSL over exactly that path) */
	char *path[MAILTLS_PATH_SEARCH_LEN]; /* when found: certificate labels (subject CN,
	                           * else the subject), leaf first, anchor last; owned */
	int path_pos[MAILTLS_PATH_SEARCH_LEN]; /* per entry: its index into chain[], or -1 for a
	                           * certificate not presented (an anchor from the trust store) */
	size_t path_len;
	bool fix_verified;        /* the presented certificates of that path below its anchor,
	                           * served alone in that order, verify with OpenSSL against the
	                           * whole trust store */
	size_t paths_tried;       /* candidate paths verified */
	bool limited;             /* a bound stopped the search */
	bool searching_client_accepts; /* found, every reference identity matched, and no
	                           * critical cert.* finding beyond those of OpenSSL's path */
};

/* What became of asking the leaf's OCSP responder (a check's ocsp_query, --ocsp). */
enum mailtls_ocsp_query {
	MAILTLS_OCSP_QUERY_NONE = 0,      /* not asked (no ocsp_query, or no leaf) */
	MAILTLS_OCSP_QUERY_ANSWERED,      /* an HTTP 200 application/ocsp-response was read:
	                                   * facts holds what it says */
	MAILTLS_OCSP_QUERY_NO_URL,        /* the leaf names no OCSP responder (AIA) */
	MAILTLS_OCSP_QUERY_BAD_URL,       /* the URL is not http:// or https://HOST[:PORT]/... */
	MAILTLS_OCSP_QUERY_NO_ISSUER,     /* the leaf's issuer is neither presented nor in the
	                                   * trust store: no request can name it */
	MAILTLS_OCSP_QUERY_NO_ADDRESS,    /* the responder's host has no address (or only
	                                   * DNSSEC-bogus ones) */
	MAILTLS_OCSP_QUERY_TRANSPORT,     /* no HTTP response: connection, timeout, TLS, too
	                                   * large, not HTTP (why says) */
	MAILTLS_OCSP_QUERY_HTTP_STATUS,   /* a status other than 200 */
	MAILTLS_OCSP_QUERY_CONTENT_TYPE,  /* 200, but not application/ocsp-response */
	MAILTLS_OCSP_QUERY_FAILED,        /* anything else (why says): no time left, ... */
};

/* The leaf's OCSP responder, asked over HTTP after the handshake (RFC 6960 A.1: a POST of
 * an OCSPRequest for the leaf, SHA-1 CertID, no nonce). Zero when not asked. */
struct mailtls_ocsp_responder {
	enum mailtls_ocsp_query query;
	char *url;                /* the first OCSP URL of the leaf's AIA (escaped), or NULL */
	char *why;                /* with anything but ANSWERED: in words; else NULL */
	char *addr;               /* the address connected to, or NULL */
	long http_status;         /* 0: no HTTP response */
	char *content_type;       /* as sent (escaped), or NULL */
	double elapsed_ms;        /* the request's (address lookup and transfer) */
	struct mailtls_ocsp_facts facts; /* with ANSWERED: the response's facts, read exactly
	                                  * as a staple's (facts.stapled means "a response
	                                  * was read" here); else zero */
};

struct mailtls_result {
	bool have_session;
	struct mailtls_session session;
	struct mailtls_certinfo *chain; /* as presented, leaf first */
	size_t chain_len;
	struct mailtls_strlist reference_names; /* the identities checked */
	time_t validation_time;
	struct mailtls_findings findings;
	/* Verdict. */
	bool would_encrypt;       /* an opportunistic sender would get an encrypted session */
	bool would_authenticate;  /* a verifying client would accept the server */
	bool chain_trusted;       /* the chain verified to a trust anchor with no critical
	                           * finding about it, whatever the names (a fact the domain
	                           * verdict uses for its own reference names) */
	bool checked;             /* false: could not check (exit UNKNOWN) */
	char *unknown_reason;     /* why it could not check, or NULL */
	struct mailtls_dane_facts dane; /* DANE: only when the check was given TLSA records
	                                 * (dane.enabled); zero otherwise */
	struct mailtls_ocsp_facts ocsp; /* the stapled OCSP response: a check asks for one
	                                 * (status_request); zero when none was stapled */
	struct mailtls_survey *survey;  /* the TLS survey (mailtls/survey.h); NULL unless
	                                 * one was asked for (check --survey); owned */
	struct mailtls_path_search path_search; /* the other paths, when OpenSSL's failed */
	struct mailtls_ocsp_responder ocsp_responder; /* the leaf's responder, when the check
	                                               * asked it (ocsp_query) */
};

/* mailtls_result_new - allocate an empty result; NULL on memory exhaustion.
 * The caller frees it with mailtls_result_free(). */
struct mailtls_result *mailtls_result_new(void);

/* mailtls_result_free - free a result and everything it owns; NULL is a no-op. */
void mailtls_result_free(struct mailtls_result *res);

/* mailtls_result_add - append a finding `fid` with a printf-style message. Its subject is
 * the result's server (session host, address and port, as set at the time of the call).
 * Returns 0, MAILTLS_EINVAL for an fid outside the catalogue, or MAILTLS_ENOMEM. A result
 * keeps at most 256 findings; more are dropped (0 is returned). */
int mailtls_result_add(struct mailtls_result *res, enum mailtls_fid fid, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

/* mailtls_result_add_cert - the same for a finding about the certificate at `depth` in the
 * chain as presented (0 = the leaf). */
int mailtls_result_add_cert(struct mailtls_result *res, enum mailtls_fid fid, int depth,
			    const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 4, 5)))
#endif
	;

/* mailtls_findings_add - append a finding to a list of findings of one's own (a domain
 * result's), about subject (copied; NULL: about no server). Same limits and returns as
 * mailtls_result_add(). */
int mailtls_findings_add(struct mailtls_findings *f, enum mailtls_fid fid,
			 const struct mailtls_subject *subject, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 4, 5)))
#endif
	;
/* mailtls_findings_clear - free every finding in f and empty it. */
void mailtls_findings_clear(struct mailtls_findings *f);
/* mailtls_result_has - true when a finding `fid` is present. */
bool mailtls_result_has(const struct mailtls_result *res, enum mailtls_fid fid);

/* mailtls_result_worst - highest severity among the findings (MAILTLS_SEV_OK when none). */
enum mailtls_severity mailtls_result_worst(const struct mailtls_result *res);

/* mailtls_result_exit_code - exit code a strict verifying client concludes:
 * UNKNOWN when not checked, else by worst severity (critical 2, warning 1, ok/info 0). */
enum mailtls_exit mailtls_result_exit_code(const struct mailtls_result *res);

/* Names for the enums ("ok", "critical", "smtp", ...); static strings. */
const char *mailtls_severity_name(enum mailtls_severity sev);
const char *mailtls_exit_name(enum mailtls_exit code);   /* "OK", "WARNING", ... */
const char *mailtls_proto_name(enum mailtls_proto proto);   /* "smtp"; "none" */

/* mailtls_proto_at - the i-th protocol (i from 0) in the order of the enum, for a caller
 * that lists them (command-line options); MAILTLS_PROTO_NONE past the last. */
enum mailtls_proto mailtls_proto_at(size_t i);

/* mailtls_strlist_add - append a copy of s (at most maxlen bytes of it). 0 or MAILTLS_ENOMEM. */
int mailtls_strlist_add(struct mailtls_strlist *l, const char *s, size_t maxlen);
void mailtls_strlist_clear(struct mailtls_strlist *l);

/* mailtls_dane_facts_clear - free what *f owns and zero it (mailtls_result_free() does). */
void mailtls_dane_facts_clear(struct mailtls_dane_facts *f);

/* mailtls_ocsp_facts_clear - free what *f owns and zero it (mailtls_result_free() does). */
void mailtls_ocsp_facts_clear(struct mailtls_ocsp_facts *f);

/* mailtls_path_search_clear - free what *s owns and zero it (mailtls_result_free() does). */
void mailtls_path_search_clear(struct mailtls_path_search *s);
/* mailtls_ocsp_responder_clear - free what *r owns and zero it (mailtls_result_free()
 * does). */
void mailtls_ocsp_responder_clear(struct mailtls_ocsp_responder *r);

/* mailtls_ocsp_query_name - "answered", "no-url", "bad-url", "no-issuer", "no-address",
 * "transport", "http-status", "content-type", "failed"; NULL for NONE. */
const char *mailtls_ocsp_query_name(enum mailtls_ocsp_query q);

/* mailtls_ocsp_cert_status_name - "good", "revoked", "unknown"; NULL for NONE. */
const char *mailtls_ocsp_cert_status_name(enum mailtls_ocsp_cert_status s);

/* mailtls_certinfo_clear - free what *info owns and zero it. */
void mailtls_certinfo_clear(struct mailtls_certinfo *info);

/* The catalogue of finding ids (docs/findings.md documents each). */
struct mailtls_catalog_entry {
	const char *id;
	enum mailtls_severity severity;
	const char *summary;   /* what it means, one line */
	const char *standard;  /* "RFC 9525 6.3" */
	const char *remedy;    /* what to change */
	enum mailtls_fid fid;
};
/* mailtls_catalog - the static table, indexed by enum mailtls_fid, and its length. */
const struct mailtls_catalog_entry *mailtls_catalog(size_t *n);
/* mailtls_catalog_find - the entry with this id text, or NULL. */
const struct mailtls_catalog_entry *mailtls_catalog_find(const char *id);
/* mailtls_catalog_get - the entry of fid, or NULL outside the catalogue. */
const struct mailtls_catalog_entry *mailtls_catalog_get(enum mailtls_fid fid);

#ifdef __cplusplus
}
#endif
#endif
