/*
 * mailtls/domain.h - every MX host of a mail domain, as each kind of sender sees it.
 *
 * `mailtls domain example.org` asks the domain's MX records (DNSSEC-validated), every
 * address of every MX host, the TLSA records that apply to each (RFC 7672), checks every
 * address on port 25 through the engine (engine.h), and decides per sender level (Postfix's
 * may, encrypt, dane, verify, secure) whether mail goes out authenticated, encrypted only,
 * in plaintext, or not at all.
 *
 * The result nests: the domain, its MX hosts, each host's addresses, and one server result
 * (result.h, the same as `mailtls check` gives) per address. Facts (DNS answers with their
 * DNSSEC status, the server results) are kept apart from the outcomes the verdict derives
 * from them, so a reporter can show both. Everything is owned by the domain result; free it
 * with mailtls_domain_result_free().
 */
#ifndef MAILTLS_DOMAIN_H
#define MAILTLS_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <mailtls/result.h>
#include <mailtls/dnsfacts.h>
#include <mailtls/mtasts.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Sender levels, Postfix's smtp_tls_security_level terms. The order is the order reports
 * list them in. */
enum mailtls_level {
	MAILTLS_LEVEL_MAY = 0,        /* opportunistic: TLS when offered, else plaintext; after
	                               * a failed handshake Postfix defers and sends in
	                               * plaintext on a later attempt */
	MAILTLS_LEVEL_ENCRYPT,        /* TLS required, certificate not checked */
	MAILTLS_LEVEL_DANE,           /* DANE where the MX host has DNSSEC-secure usable TLSA
	                               * records, else as `may` (Postfix and Exim with DNSSEC) */
	MAILTLS_LEVEL_MTASTS,         /* MTA-STS without DANE (RFC 8461, as large webmail
	                               * senders): an enforce policy in effect requires every
	                               * host it delivers to be listed, offer STARTTLS and
	                               * present a trusted certificate for its name; without
	                               * one (no policy, testing, none) as `may` */
	MAILTLS_LEVEL_VERIFY,         /* TLS with a trusted chain naming the MX host */
	MAILTLS_LEVEL_SECURE,         /* TLS with a trusted chain naming the domain (nexthop)
	                               * or a name under it */
	MAILTLS_LEVEL_COUNT
};

/* What a sender at some level does with one address, one host, or the domain. Ordered from
 * best to worst. */
enum mailtls_outcome {
	MAILTLS_OUTCOME_NONE = 0,     /* not evaluated (nothing to deliver to, e.g. null MX) */
	MAILTLS_OUTCOME_AUTHENTICATED, /* TLS, server authenticated */
	MAILTLS_OUTCOME_ENCRYPTED,    /* TLS, server not authenticated */
	MAILTLS_OUTCOME_PLAINTEXT,    /* delivered without TLS */
	MAILTLS_OUTCOME_DEFERRED,     /* the sender refuses to deliver here (TLS policy) */
	MAILTLS_OUTCOME_UNREACHABLE,  /* no SMTP session (no address, refused, timeout) */
};

/* A TLSA record (RFC 6698) as published. */
struct mailtls_tlsa_record {
	uint8_t usage, selector, mtype;
	unsigned char *data;          /* owned */
	size_t len;
	bool usable;                  /* usage DANE-TA(2) or DANE-EE(3), selector and
	                               * matching type known, data of the right length and
	                               * accepted by OpenSSL (RFC 7672 3.1) */
	bool refused;                 /* given to the checks, refused by OpenSSL (data that
	                               * does not decode): not usable */
};

struct mailtls_mx_address {
	char *addr;                   /* numeric, owned */
	int family;                   /* 4 or 6 */
	struct mailtls_dns_lookup ptr;
	char *ptr_name;               /* the first PTR name, or NULL; information only */
	struct mailtls_result *server; /* the check on port 25; NULL when none ran */
	/* DANE facts, when the check ran with the host's usable TLSA records and TLS was
	 * established (copied from the server result's DANE facts). */
	bool dane_checked;
	bool dane_authenticated;      /* OpenSSL's DANE verification succeeded */
	int dane_depth;               /* chain index of the certificate a record matched; -1 */
	int dane_usage;               /* usage of the record that matched; -1 */
	char *dane_error;             /* OpenSSL's reason when verification failed, or NULL */
	bool *tlsa_matched;           /* per host TLSA record: it matches a certificate served
	                               * here (n_tlsa entries, owned), or NULL */
	/* Verdict. */
	enum mailtls_outcome outcome[MAILTLS_LEVEL_COUNT];
	bool dane_applies;            /* DANE decides delivery to this address */
};

struct mailtls_mx_host {
	char *name;                   /* the MX target as published (no trailing dot); for an
	                               * implicit MX, the domain */
	unsigned preference;
	bool implicit;                /* no MX: the domain itself (RFC 5321 5.1) */
	bool ip_literal;              /* the target looks like an IP address */
	struct mailtls_dns_lookup a, aaaa;
	struct mailtls_dns_lookup tlsa;           /* the TLSA lookup whose answer applies */
	struct mailtls_dns_lookup tlsa_expanded;  /* the lookup at the CNAME-expanded name,
	                                           * when it found nothing and the name as
	                                           * published was asked next (RFC 7672 2.2.2) */
	char *canonical;              /* CNAME-expanded name, or NULL when not an alias */
	bool canonical_secure;        /* every CNAME in the expansion was secure */
	char *tlsa_base;              /* the TLSA base domain asked last (the name whose
	                               * answer is in `tlsa`), or NULL when TLSA was not asked */
	struct mailtls_tlsa_record *tlsa_records;
	size_t n_tlsa;
	struct mailtls_strlist dane_names; /* reference names for DANE-TA (RFC 7672 3.2.3) */
	size_t tlsa_omitted;          /* TLSA records left out: unreadable, or over the limit
	                               * of 32 (they count as unusable) */
	struct mailtls_mx_address *addrs; /* IPv4 first, then IPv6, each in address order; only
	                                   * from answers that were not bogus */
	size_t n_addrs;
	size_t addrs_omitted;         /* addresses over the limit of 16 per host */
	enum mailtls_outcome outcome[MAILTLS_LEVEL_COUNT];
	/* MTA-STS (verdict): the first policy mx pattern the host matches (-1: none), and
	 * what the policy in effect means for it (NA without one). dane_governs: the host
	 * has DNSSEC-secure usable TLSA records, so a sender that does DANE applies them and
	 * not the policy (RFC 8461 section 2). */
	int sts_pattern;
	enum mailtls_sts_host sts;
	bool dane_governs;
};

struct mailtls_domain_result {
	char *domain;                 /* as asked, normalized (lower case, no trailing dot) */
	struct mailtls_dns_lookup mx;
	unsigned port;                /* the port checked (25) */
	bool validating;              /* a DNSSEC trust anchor was configured: without one
	                               * every answer is insecure and DANE cannot be judged */
	bool null_mx;                 /* RFC 7505: accepts no mail (an MX record whose target
	                               * is the root: as Postfix, anywhere in the answer) */
	unsigned null_mx_preference;  /* its preference (RFC 7505 says 0) */
	bool null_mx_mixed;           /* other MX records beside it (RFC 7505 forbids them;
	                               * they are not checked) */
	size_t hosts_omitted;         /* MX hosts over the limit of 16, least preferred first */
	bool implicit_mx;             /* no MX records: the domain is its own MX */
	struct mailtls_mx_host *hosts; /* in preference order */
	size_t n_hosts;
	struct mailtls_mtasts mtasts; /* MTA-STS and TLS-RPT (mtasts.h) */
	/* Findings about DNS, DANE and the delivery paths, each with its subject (host and
	 * address when it is about one). The server results keep their own. Severities here
	 * and in the server results are those of `level` (the verdict rewrites them). */
	struct mailtls_findings findings;
	enum mailtls_outcome outcome[MAILTLS_LEVEL_COUNT]; /* what a sender at each level gets
	                                                    * for the domain as a whole */
	char *outcome_via[MAILTLS_LEVEL_COUNT]; /* "mx1.example.org, mx2.example.org": the hosts
	                                         * mail goes to at that outcome, or NULL */
	enum mailtls_outcome outcome_worst[MAILTLS_LEVEL_COUNT]; /* the worst outcome over every
	                                                          * MX host that takes mail: what
	                                                          * an attacker who blocks the
	                                                          * preferred hosts gets */
	enum mailtls_level level;     /* the level that sets the exit code */
	/* The smtp_tls_policy_maps entry a Postfix sender would use for the domain, from what
	 * was found ("dane-only", "secure match=... servername=hostname", "dane", "encrypt",
	 * "may"), or NULL when none is given (null MX, not checked); and why, in words. */
	char *postfix_policy;
	char *postfix_why;
	time_t validation_time;
	double elapsed_ms;
	bool checked;                 /* false: could not check (exit UNKNOWN) */
	char *unknown_reason;
};

struct mailtls_domain_params {
	const char *domain;           /* a domain name (U-labels are converted) */
	enum mailtls_level level;     /* the level that sets the exit code; default DANE when
	                               * have_level is false */
	bool have_level;
	int family;                   /* 0, 4 or 6: which addresses are checked */
	unsigned port;                /* 0: 25 */
	double timeout;               /* seconds per network step and per DNS question; 0: 10 */
	double deadline;              /* seconds per address check; 0: 3 x timeout */
	time_t at;                    /* validation time when have_at */
	bool have_at;
	int warn_days;                /* <0: 21 */
	bool transcript;
	const char *ehlo_name;        /* NULL: the local address literal */
	bool no_mta_sts;              /* true: MTA-STS and TLS-RPT are not looked at */
	bool survey;                  /* survey every address after its check (check.h
	                               * survey; each server's res->survey) */
	const struct mailtls_profile *const *profiles;  /* as in check.h (borrowed) */
	size_t n_profiles;
	bool no_profiles;
};

struct mailtls_engine;
struct mailtls_engine_params;

typedef void mailtls_domain_done_fn(struct mailtls_domain_result *res, void *arg);

/* mailtls_domain_submit - queue the evaluation of one domain on engine e. done(res, arg) is
 * called once, from the loop, with a result the callee owns. On a negative MAILTLS_E* code
 * (a domain name that is not one: why says so) nothing was queued. */
int mailtls_domain_submit(struct mailtls_engine *e, const struct mailtls_domain_params *p,
			  mailtls_domain_done_fn *done, void *arg, char *why, size_t whylen);

/* mailtls_domain_run - the one-shot form: an engine made with ep, one domain, run to the end.
 * 0 with *out set, or a negative MAILTLS_E* code with why. */
int mailtls_domain_run(const struct mailtls_engine_params *ep,
		       const struct mailtls_domain_params *p, struct mailtls_domain_result **out,
		       char *why, size_t whylen);

void mailtls_domain_result_free(struct mailtls_domain_result *res);

/* mailtls_domain_exit_code - the exit code at res->level: UNKNOWN when not checked; else the
 * worst of what the outcome at that level calls for (mail deferred or unreachable
 * everywhere: CRITICAL; some MX host deferring or plaintext: WARNING) and the worst
 * finding severity (domain findings and every server's). */
enum mailtls_exit mailtls_domain_exit_code(const struct mailtls_domain_result *res);

/* Names: "may", "encrypt", "dane", "mta-sts", "verify", "secure"; "authenticated", "encrypted",
 * "plaintext", "deferred", "unreachable", "none"; "secure", "insecure", "bogus",
 * "no answer". Static strings. */
const char *mailtls_level_name(enum mailtls_level l);
const char *mailtls_outcome_name(enum mailtls_outcome o);
const char *mailtls_dns_status_name(enum mailtls_dns_status s);
/* mailtls_tlsa_unusable_reason - in words, why an SMTP sender does not use a TLSA record
 * (RFC 7672 3.1): a PKIX usage, an unknown selector or matching type, data of the wrong
 * length, or else data OpenSSL refused. Static string. */
const char *mailtls_tlsa_unusable_reason(uint8_t usage, uint8_t selector, uint8_t mtype,
					 size_t len);

/* mailtls_level_parse - the enum for a name; -1 when unknown. */
int mailtls_level_parse(const char *s);

/*
 * Names (`mailtls names`): which names each MX host's certificate must cover, and whether
 * the certificates served at its addresses (and a certificate file not deployed yet) cover
 * them, chain to a trusted anchor, and match the host's TLSA records where DANE applies.
 * Judged from a finished domain evaluation; the report owns everything in it.
 */

/* A judgement, ordered from best to worst as an exit code reads it. */
enum mailtls_cover {
	MAILTLS_COVER_YES = 0,        /* covered, trusted, and DANE matches where it applies */
	MAILTLS_COVER_UNKNOWN,        /* could not judge (unreachable, no address, the TLSA
	                               * lookup failed) */
	MAILTLS_COVER_NO,             /* a certificate (or none, over TLS-less SMTP) that a
	                               * sender at the level refuses */
};

/* What the host's TLSA records say of one certificate chain. */
enum mailtls_names_dane {
	MAILTLS_NAMES_DANE_NA = 0,    /* DANE does not apply to the host (records absent, not
	                               * DNSSEC-secure, or none usable) */
	MAILTLS_NAMES_DANE_MATCH,     /* OpenSSL's DANE verification succeeded */
	MAILTLS_NAMES_DANE_FAILED,    /* a record matches, verification failed (dane_error) */
	MAILTLS_NAMES_DANE_NO_MATCH,  /* no record matches the chain */
	MAILTLS_NAMES_DANE_UNKNOWN,   /* the TLSA lookup failed: DANE senders defer */
};

/* One certificate chain (served at one address, or the file) judged for one host. */
struct mailtls_names_cert {
	bool present;                 /* there was a chain to judge */
	struct mailtls_strlist dns_names; /* the leaf's DNS-IDs, display-safe */
	int covered_by;               /* index in dns_names of the DNS-ID that covers a
	                               * needed name; -1: none does */
	bool trusted;                 /* the chain verifies to a trust anchor (result.h
	                               * chain_trusted), whatever the names */
	const char *trust_issue;      /* when not trusted: the id of the first finding that
	                               * says why ("cert.self-signed"), static; or NULL */
	enum mailtls_names_dane dane;
	int dane_usage;               /* usage of the record that matched; -1 */
	char *dane_error;             /* OpenSSL's reason when verification failed, or NULL */
	enum mailtls_cover verdict;
};

struct mailtls_names_address {
	char *addr;
	bool reached;                 /* an SMTP session */
	bool tls;                     /* TLS established: served is present */
	struct mailtls_names_cert served;
};

struct mailtls_names_host {
	char *name;
	unsigned preference;
	struct mailtls_strlist need;  /* the names a certificate must cover, one of them
	                               * enough: the MX host name and its DNSSEC-secure CNAME
	                               * expansion (verify), or the domain (secure) */
	bool need_under;              /* secure: a name under need.v[0] will do too */
	bool dane_applies;            /* DNSSEC-secure usable TLSA records */
	struct mailtls_names_address *addrs;
	size_t n_addrs;
	enum mailtls_cover served;    /* the worst over the addresses; UNKNOWN with none */
	struct mailtls_names_cert file; /* the certificate file, when one was given */
};

struct mailtls_names_report {
	char *domain;
	enum mailtls_level level;     /* VERIFY or SECURE */
	bool checked;                 /* false: the domain could not be checked */
	char *unknown_reason;
	bool null_mx;                 /* RFC 7505: no mail, no certificate needed */
	bool have_file;
	char *cert_file, *chain_file; /* as given, display-safe; chain_file may be NULL */
	struct mailtls_names_host *hosts;
	size_t n_hosts;
	enum mailtls_cover served;    /* the worst over the hosts */
	enum mailtls_cover file;      /* the same for the file (have_file) */
};

struct mailtls_names_params {
	const struct mailtls_domain_result *domain; /* a finished evaluation; borrowed */
	enum mailtls_level level;     /* MAILTLS_LEVEL_VERIFY or MAILTLS_LEVEL_SECURE */
	const char *cert_file;        /* PEM, leaf first, or NULL: served certificates only */
	const char *chain_file;       /* PEM issuers, or NULL */
	const char *ca_file;          /* anchors for the file's chain (NULL with ca_path NULL:
	                               * the system store), as mailtls_cert_check() */
	const char *ca_path;
	int warn_days;                /* <0: 21 */
};

/* mailtls_names_judge - judge the names of p->domain's MX hosts. On 0, *out is a report
 * (free with mailtls_names_report_free()). A domain that could not be checked is a
 * report with checked false, not an error. A negative MAILTLS_E* code (a level other than
 * verify or secure, an unreadable or unparsable certificate file, a bad trust store)
 * comes with why, display-safe, and nothing allocated. */
int mailtls_names_judge(const struct mailtls_names_params *p, struct mailtls_names_report **out,
			char *why, size_t whylen);

void mailtls_names_report_free(struct mailtls_names_report *r);

/* mailtls_names_exit_code - OK when every MX host is covered (the file's judgement when a
 * file was given, else the served one's; a null MX needs nothing), CRITICAL when some
 * host is not, else UNKNOWN (not checked, or some host could not be judged). */
enum mailtls_exit mailtls_names_exit_code(const struct mailtls_names_report *r);

/* "covered", "unknown", "not covered"; "n/a", "match", "failed", "no match", "unknown".
 * Static strings. */
const char *mailtls_cover_name(enum mailtls_cover c);
const char *mailtls_names_dane_name(enum mailtls_names_dane d);

#ifdef __cplusplus
}
#endif
#endif
