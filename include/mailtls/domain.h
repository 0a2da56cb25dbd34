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

#ifdef __cplusplus
extern "C" {
#endif

/* Sender levels, Postfix's smtp_tls_security_level terms. The order is the order reports
 * list them in. */
enum mailtls_level {
	MAILTLS_LEVEL_MAY = 0,        /* opportunistic: TLS when offered, else plaintext; a
	                               * failed handshake is retried in plaintext */
	MAILTLS_LEVEL_ENCRYPT,        /* TLS required, certificate not checked */
	MAILTLS_LEVEL_DANE,           /* DANE where the MX host has DNSSEC-secure usable TLSA
	                               * records, else as `may` (Postfix and Exim with DNSSEC) */
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

/* DNSSEC status of one answer. A lookup that never got an answer is NOANSWER, never
 * secure. */
enum mailtls_dns_status {
	MAILTLS_DNS_NOANSWER = 0,
	MAILTLS_DNS_INSECURE,
	MAILTLS_DNS_SECURE,
	MAILTLS_DNS_BOGUS,
};

/* One DNS lookup as asked and answered. */
struct mailtls_dns_lookup {
	bool asked;                   /* false: the question was never asked */
	char *qname;                  /* owned */
	char *qtype;                  /* "MX", "TLSA", ... (owned) */
	enum mailtls_dns_status status;
	int rcode;                    /* -1: no answer */
	bool nxdomain;
	bool nodata;                  /* the name exists, no record of this type */
	unsigned ttl;
	char *why_bogus;              /* with BOGUS: the validator's reason; else NULL */
	char *why;                    /* with NOANSWER: what happened; else NULL */
	struct mailtls_strlist cnames; /* aliases followed, in order (owner names) */
	char *canonical;              /* the name the answer is for after CNAMEs; NULL when
	                               * no CNAME was followed */
};

/* A TLSA record (RFC 6698) as published. */
struct mailtls_tlsa_record {
	uint8_t usage, selector, mtype;
	unsigned char *data;          /* owned */
	size_t len;
	bool usable;                  /* usage DANE-TA(2) or DANE-EE(3), selector and
	                               * matching type known (RFC 7672 3.1) */
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
	char *name;                   /* the MX target as published (no trailing dot) */
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
	char *tlsa_base;              /* the TLSA base domain, or NULL when no TLSA applies */
	struct mailtls_tlsa_record *tlsa_records;
	size_t n_tlsa;
	struct mailtls_strlist dane_names; /* reference names for DANE-TA (RFC 7672 3.2.3) */
	struct mailtls_mx_address *addrs;
	size_t n_addrs;
	enum mailtls_outcome outcome[MAILTLS_LEVEL_COUNT];
};

struct mailtls_domain_result {
	char *domain;                 /* as asked, normalized (lower case, no trailing dot) */
	struct mailtls_dns_lookup mx;
	bool null_mx;                 /* RFC 7505: accepts no mail */
	bool implicit_mx;             /* no MX records: the domain is its own MX */
	struct mailtls_mx_host *hosts; /* in preference order */
	size_t n_hosts;
	/* Findings about DNS, DANE and the delivery paths, each with its subject (host and
	 * address when it is about one). The server results keep their own. Severities here
	 * and in the server results are those of `level` (the verdict rewrites them). */
	struct mailtls_findings findings;
	enum mailtls_outcome outcome[MAILTLS_LEVEL_COUNT]; /* what a sender at each level gets
	                                                    * for the domain as a whole */
	char *outcome_via[MAILTLS_LEVEL_COUNT]; /* "mx1.example.org, mx2.example.org": the hosts
	                                         * mail goes to at that outcome, or NULL */
	enum mailtls_level level;     /* the level that sets the exit code */
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

/* mailtls_dns_lookup_clear - free what l owns and zero it. */
void mailtls_dns_lookup_clear(struct mailtls_dns_lookup *l);

/* mailtls_domain_exit_code - the exit code at res->level: UNKNOWN when not checked; else the
 * worst of what the outcome at that level calls for (mail deferred or unreachable
 * everywhere: CRITICAL; some MX host deferring or plaintext: WARNING) and the worst
 * finding severity (domain findings and every server's). */
enum mailtls_exit mailtls_domain_exit_code(const struct mailtls_domain_result *res);

/* Names: "may", "encrypt", "dane", "verify", "secure"; "authenticated", "encrypted",
 * "plaintext", "deferred", "unreachable", "none"; "secure", "insecure", "bogus",
 * "no answer". Static strings. */
const char *mailtls_level_name(enum mailtls_level l);
const char *mailtls_outcome_name(enum mailtls_outcome o);
const char *mailtls_dns_status_name(enum mailtls_dns_status s);
/* mailtls_level_parse - the enum for a name; -1 when unknown. */
int mailtls_level_parse(const char *s);

#ifdef __cplusplus
}
#endif
#endif
