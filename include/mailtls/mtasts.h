/*
 * mailtls/mtasts.h - the MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) facts of a mail domain.
 *
 * What a sender fetches before it delivers: the `_mta-sts.<domain>` TXT record (3.1), the
 * policy at `https://mta-sts.<domain>/.well-known/mta-sts.txt` (3.2, 3.3), and the
 * `_smtp._tls.<domain>` TXT record that says where failures are reported (RFC 8460 3).
 * These are facts: what was published and served, and every defect found reading it, each
 * with the line or field it is in. The verdict (verdict.h) turns them into findings and
 * into what a sender that applies the policy does with each MX host.
 *
 * The readers below are pure functions over bytes (no I/O); the domain evaluation
 * (domain.h) asks the DNS, fetches the policy on the engine and fills a struct
 * mailtls_mtasts with them. Everything is owned by the struct that holds it; free with
 * mailtls_mtasts_clear().
 */
#ifndef MAILTLS_MTASTS_H
#define MAILTLS_MTASTS_H

#include <stdbool.h>
#include <stddef.h>
#include <mailtls/dnsfacts.h>
#include <mailtls/result.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MAILTLS_STS_BODY_MAX 65536         /* policy bytes read; more is a defect */
#define MAILTLS_STS_MAX_AGE_MAX 31557600UL /* RFC 8461 3.2: max_age at most about a year */
#define MAILTLS_STS_LINES_MAX 1024         /* policy lines read */
#define MAILTLS_STS_MX_MAX 64              /* mx patterns kept (more: a defect) */
#define MAILTLS_STS_PROBLEMS_MAX 32        /* defects kept per record or policy */
#define MAILTLS_STS_QUOTE_MAX 160          /* bytes of a line quoted in a defect */
#define MAILTLS_RPT_URIS_MAX 16            /* rua URIs kept */

/* A defect in what was published, one kind per way of getting it wrong. */
enum mailtls_sts_defect {
	/* The _mta-sts TXT record (RFC 8461 3.1). */
	MAILTLS_STS_TXT_MULTIPLE = 0, /* more than one record starts with v=STSv1: senders
	                               * take none */
	MAILTLS_STS_TXT_SYNTAX,       /* not `v=STSv1` then `key=value` fields separated by
	                               * ';' (quoted: the record) */
	MAILTLS_STS_TXT_NO_ID,        /* no id= field */
	MAILTLS_STS_TXT_BAD_ID,       /* id= not 1 to 32 letters and digits (quoted: the
	                               * field) */
	MAILTLS_STS_TXT_OTHER_VERSION, /* a record starting with v=STS but another version
	                               * (v=STSv2, v=stsv1): ignored by senders */
	/* The policy (RFC 8461 3.2). */
	MAILTLS_STS_POL_NOT_TEXT,     /* NUL bytes or bytes that are not UTF-8 */
	MAILTLS_STS_POL_SYNTAX,       /* a line that is not `key: value` (quoted) */
	MAILTLS_STS_POL_VERSION,      /* no `version: STSv1` or another version (fatal), or
	                               * it is not the first line (not fatal: the ABNF allows
	                               * any order); quoted: the line, when there is one */
	MAILTLS_STS_POL_MODE_MISSING, /* no mode */
	MAILTLS_STS_POL_MODE_UNKNOWN, /* mode not enforce, testing or none (quoted) */
	MAILTLS_STS_POL_MAX_AGE_MISSING,
	MAILTLS_STS_POL_MAX_AGE_BAD,  /* not 1 to 10 digits, or over 31557600 (quoted) */
	MAILTLS_STS_POL_MX_MISSING,   /* enforce or testing without any mx */
	MAILTLS_STS_POL_MX_BAD,       /* an mx value that is not a domain name, optionally
	                               * after "*." (quoted); the pattern is not kept */
	MAILTLS_STS_POL_DUPLICATE,    /* version, mode or max_age given twice: the first
	                               * counts (quoted: the later line) */
	MAILTLS_STS_POL_TOO_LONG,     /* over MAILTLS_STS_LINES_MAX lines or MAILTLS_STS_MX_MAX
	                               * patterns: the rest is not read */
	/* The _smtp._tls TXT record (RFC 8460 3). */
	MAILTLS_RPT_MULTIPLE,         /* more than one record starts with v=TLSRPTv1 */
	MAILTLS_RPT_SYNTAX,           /* not `v=TLSRPTv1` then `key=value` fields (quoted) */
	MAILTLS_RPT_NO_RUA,           /* no rua= field */
	MAILTLS_RPT_BAD_URI,          /* a rua URI that is not a valid mailto: or https: URI
	                               * (quoted); fatal when it is no URI at all (RFC 8460 3:
	                               * the record is then syntactically invalid) */
	MAILTLS_RPT_SCHEME,           /* a rua URI of another scheme (quoted) */
	MAILTLS_STS_DEFECT_COUNT
};

struct mailtls_sts_problem {
	enum mailtls_sts_defect defect;
	unsigned line;                /* policy line, from 1; 0 for a TXT record or for the
	                               * policy as a whole */
	char *quote;                  /* the line or field in question, escaped for display
	                               * (at most MAILTLS_STS_QUOTE_MAX bytes of it), or NULL */
	bool fatal;                   /* senders ignore the record or policy because of it */
};

struct mailtls_sts_problems {
	struct mailtls_sts_problem *v;
	size_t n;
	size_t omitted;               /* over MAILTLS_STS_PROBLEMS_MAX */
};

/* The _mta-sts TXT record set. */
struct mailtls_sts_txt {
	struct mailtls_dns_lookup lookup;
	struct mailtls_strlist records; /* every TXT record at the name, strings joined,
	                                 * escaped for display */
	size_t n_sts;                 /* records that start with "v=STSv1" (the ones senders
	                               * consider) */
	bool valid;                   /* exactly one, and it reads (senders take it) */
	char *id;                     /* its id=, when valid */
	struct mailtls_sts_problems problems;
};

enum mailtls_sts_mode {
	MAILTLS_STS_MODE_UNSET = 0,   /* no valid mode */
	MAILTLS_STS_MODE_ENFORCE,
	MAILTLS_STS_MODE_TESTING,
	MAILTLS_STS_MODE_NONE,
};

/* How the policy fetch ended (RFC 8461 3.3). Every value but OK means no policy. */
enum mailtls_fetch_status {
	MAILTLS_FETCH_NOT_TRIED = 0,  /* not fetched (why says: no address, ...) */
	MAILTLS_FETCH_OK,             /* 200, text/plain, within the size limit */
	MAILTLS_FETCH_NO_ADDRESS,     /* the policy host has no address (or only bogus ones) */
	MAILTLS_FETCH_CONNECT,        /* no TCP connection */
	MAILTLS_FETCH_TLS,            /* TLS handshake failed (not the certificate) */
	MAILTLS_FETCH_CERT,           /* the certificate failed verification (chain or name) */
	MAILTLS_FETCH_TIMEOUT,
	MAILTLS_FETCH_HTTP_STATUS,    /* a status other than 200 (3xx: never followed) */
	MAILTLS_FETCH_CONTENT_TYPE,   /* not text/plain */
	MAILTLS_FETCH_TOO_LARGE,      /* more than MAILTLS_STS_BODY_MAX bytes */
	MAILTLS_FETCH_PROTOCOL,       /* not HTTP, or an HTTP error */
	MAILTLS_FETCH_FAILED,         /* anything else (why says) */
};

/* The policy as fetched over HTTPS, and as read. */
struct mailtls_sts_policy {
	char *host;                   /* "mta-sts.example.org" */
	char *url;                    /* "https://mta-sts.example.org/.well-known/mta-sts.txt" */
	struct mailtls_dns_lookup a, aaaa; /* the policy host's addresses (through the same
	                                    * resolver as everything else) */
	enum mailtls_fetch_status fetch;
	char *why;                    /* with a fetch other than OK: what happened, in words
	                               * (the TLS verification error, the status, ...) */
	char *addr;                   /* the address connected to, or NULL */
	long http_status;             /* 0: no HTTP response */
	char *content_type;           /* as sent (escaped), or NULL */
	char *location;               /* a redirect's Location (escaped, not followed), or
	                               * NULL */
	double elapsed_ms;
	char *body;                   /* the bytes read (at most MAILTLS_STS_BODY_MAX, NUL
	                               * added; raw: escape before showing), or NULL */
	size_t body_len;
	/* Read from the body (only when fetch is OK): */
	bool valid;                   /* no fatal defect: senders apply it */
	enum mailtls_sts_mode mode;
	bool have_max_age;
	unsigned long max_age;
	struct mailtls_strlist mx;    /* the mx patterns, lower case, in order */
	struct mailtls_sts_problems problems;
};

/* One rua URI of a TLS-RPT record. */
struct mailtls_rpt_uri {
	char *uri;                    /* escaped for display */
	bool valid;                   /* a well-formed mailto: or https: URI */
};

/* The _smtp._tls TXT record set (RFC 8460 3). */
struct mailtls_tlsrpt {
	struct mailtls_dns_lookup lookup;
	struct mailtls_strlist records; /* every TXT record at the name, escaped */
	size_t n_rpt;                 /* records that start with "v=TLSRPTv1" */
	bool valid;                   /* exactly one, it reads, and it has a valid rua URI */
	struct mailtls_rpt_uri *rua;
	size_t n_rua;
	size_t rua_omitted;
	struct mailtls_sts_problems problems;
};

/* Everything MTA-STS and TLS-RPT about one domain. */
struct mailtls_mtasts {
	bool evaluated;               /* false: not asked (--no-mta-sts, or no MX to check) */
	struct mailtls_sts_txt txt;
	struct mailtls_sts_policy policy;
	struct mailtls_tlsrpt tlsrpt;
	/* Verdict: what a sender without a cached policy applies (TXT valid, policy
	 * fetched and valid, mode enforce or testing). */
	bool in_effect;
};

/* What the policy means for one MX host (domain.h keeps one per host). */
enum mailtls_sts_host {
	MAILTLS_STS_HOST_NA = 0,      /* no policy in effect (or mode none) */
	MAILTLS_STS_HOST_OK,          /* listed, STARTTLS, certificate valid for the name */
	MAILTLS_STS_HOST_NOT_LISTED,  /* no mx pattern matches the host */
	MAILTLS_STS_HOST_NO_TLS,      /* STARTTLS not offered, or the handshake failed */
	MAILTLS_STS_HOST_CERT,        /* the certificate fails PKIX validation for the name */
	MAILTLS_STS_HOST_UNREACHABLE, /* no SMTP session: nothing to judge */
};

/*
 * Readers. Each fills the struct's fields that the text determines (not the lookups or
 * the fetch facts) and returns 0, or MAILTLS_ENOMEM (the struct is then partly filled;
 * clear it). Bytes may be anything: NULs, non-UTF-8, no end of line.
 */

/* One TXT record's text (its strings joined) and length, as the DNS gave it. */
struct mailtls_txt_in {
	const char *text;
	size_t len;
};

/* mailtls_sts_txt_read - the _mta-sts record set (RFC 8461 3.1): records that do not start
 * with "v=STSv1" are ignored (those starting "v=STS" otherwise are a defect); exactly one
 * must remain and read: `v=STSv1` first, then fields separated by ';' with optional
 * spaces and tabs around it, `id=` 1 to 32 ALPHA/DIGIT, other fields `name=value` with the
 * RFC's characters, a trailing ';' allowed. */
int mailtls_sts_txt_read(struct mailtls_sts_txt *t, const struct mailtls_txt_in *recs,
			 size_t n);

/* mailtls_sts_policy_read - the policy body (RFC 8461 3.2): lines ending in LF or CRLF (the
 * last may lack one), `key: value` with optional spaces after the colon and trailing
 * whitespace ignored, keys case-sensitive; version STSv1 first; mode, max_age
 * (0..31557600), mx (one or more, not needed with mode none); unknown keys ignored. */
int mailtls_sts_policy_read(struct mailtls_sts_policy *p, const char *body, size_t len);

/* mailtls_sts_mx_match - does MX host name `host` match policy pattern `pattern` (RFC 8461
 * 4.1)? Case-insensitive, a trailing dot on either ignored; a leading "*." matches exactly
 * one left-most label (never the empty label, never the bare parent). */
bool mailtls_sts_mx_match(const char *pattern, const char *host);

/* mailtls_sts_mx_first - the index of the first pattern in l that host matches, or -1. */
int mailtls_sts_mx_first(const struct mailtls_strlist *l, const char *host);

/* mailtls_tlsrpt_read - the _smtp._tls record set (RFC 8460 3): records not starting with
 * "v=TLSRPTv1" are ignored; exactly one must remain; `rua=` one or more URIs separated by
 * ',' (spaces allowed around it), each mailto: (an addr-spec) or https: (a host). */
int mailtls_tlsrpt_read(struct mailtls_tlsrpt *r, const struct mailtls_txt_in *recs,
			size_t n);

/* Names for reports: "enforce", "testing", "none", "unset"; the fetch status in words
 * ("ok", "no address", "connection failed", "TLS failed", "certificate invalid",
 * "timeout", "HTTP status", "wrong content type", "too large", "not HTTP", "failed",
 * "not tried"); a defect's stable key ("txt-multiple", "policy-syntax", ...); a host
 * result ("n/a", "ok", "not listed", "no TLS", "certificate", "unreachable"). Static. */
const char *mailtls_sts_mode_name(enum mailtls_sts_mode m);
const char *mailtls_fetch_status_name(enum mailtls_fetch_status s);
const char *mailtls_sts_defect_key(enum mailtls_sts_defect d);
const char *mailtls_sts_host_name(enum mailtls_sts_host h);

/* Freeing. */
void mailtls_sts_problems_clear(struct mailtls_sts_problems *p);
void mailtls_sts_txt_clear(struct mailtls_sts_txt *t);
void mailtls_sts_policy_clear(struct mailtls_sts_policy *p);
void mailtls_tlsrpt_clear(struct mailtls_tlsrpt *r);
void mailtls_mtasts_clear(struct mailtls_mtasts *m);

#ifdef __cplusplus
}
#endif

#endif
