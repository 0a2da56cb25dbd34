/*
 * mailtls/rollover.h - a safe DANE rollover plan (`mailtls tlsa CERT --domain DOMAIN`):
 * which TLSA records each MX host of a domain already publishes for a certificate not
 * served yet, which to add before the switch, which may go after it (RFC 7671 8.1, 8.4).
 *
 * Two layers. mailtls_roll_plan() is pure: published records with what each matches
 * (the new chain, the chain served now), the records wanted for the new chain, and
 * whether the published records already authenticate it, in; the steps out. And
 * mailtls_rollover_for_domain() gathers those facts for every MX host from a finished
 * domain evaluation (domain.h) and the certificate files, then plans. Facts and plans
 * only: the caller prints.
 */
#ifndef MAILTLS_ROLLOVER_H
#define MAILTLS_ROLLOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mailtls/dane.h>
#include <mailtls/domain.h>
#include <mailtls/result.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What to do with one record. The order is the order a plan lists them in. */
enum mailtls_roll_action {
	MAILTLS_ROLL_KEEP = 0,        /* published and matches the new chain: keep */
	MAILTLS_ROLL_ADD,             /* for the new chain, not published: publish now, then
	                               * wait at least the TLSA RRset's TTL before switching */
	MAILTLS_ROLL_REMOVE_AFTER,    /* published, matches the chain served now (or that
	                               * could not be told), not the new one: it must stay
	                               * until every address serves the new chain */
	MAILTLS_ROLL_REMOVE,          /* published, matches neither chain: stale (or a key
	                               * meant for a later rollover); may be removed */
	MAILTLS_ROLL_IGNORED,         /* published, not usable by SMTP senders (RFC 7672
	                               * 3.1.3: only DANE-TA(2) and DANE-EE(3)); ignored */
};

/* A published record and what it matches: the plan's input. */
struct mailtls_roll_published {
	uint8_t usage, selector, mtype;
	const char *hex;              /* association data, lower-case hex; borrowed */
	bool usable;                  /* RFC 7672 3.1 (verdict_tlsa_usable()) */
	bool matches_new;             /* matches a certificate of the new chain */
	int matches_served;           /* 1: a certificate served now; 0: none of them;
	                               * -1: could not tell (an address without TLS, a
	                               * matching type the served facts cannot compare) */
};

struct mailtls_roll_input {
	const struct mailtls_roll_published *published;
	size_t n_published;
	const struct mailtls_tlsa_publish *wanted; /* the records for the new chain
	                                            * (mailtls_tlsa_for_cert()) */
	size_t n_wanted;
	bool new_authenticated;       /* the published usable records authenticate the new
	                               * chain (mailtls_dane_check_files()) */
};

struct mailtls_roll_step {
	enum mailtls_roll_action action;
	uint8_t usage, selector, mtype;
	char *hex;                    /* owned */
	size_t index;                 /* into published[], or for ADD into wanted[] */
	int matches_served;           /* as in the input; ADD: 0 */
};

struct mailtls_roll_plan {
	struct mailtls_roll_step *v;
	size_t n;
	bool must_add;                /* the new chain is not authenticated by what is
	                               * published: the ADD steps come first */
};

/* mailtls_roll_plan - the steps for in, sorted by action (published order within one):
 * every published record gets KEEP, REMOVE_AFTER, REMOVE or IGNORED; when usable records
 * are published and they do not authenticate the new chain, must_add is set and every
 * wanted record not published already (same usage, selector, matching type and data) is
 * an ADD. With no usable record published DANE is not in use: nothing must be added.
 * *out is zeroed first; release it with mailtls_roll_plan_clear(). 0 or MAILTLS_ENOMEM
 * (then *out is empty). */
int mailtls_roll_plan(const struct mailtls_roll_input *in, struct mailtls_roll_plan *out);
void mailtls_roll_plan_clear(struct mailtls_roll_plan *p);

/* The plan for one MX host. */
struct mailtls_rollover_host {
	char *name;                   /* the MX host */
	char *owner;                  /* the TLSA owner name ("_25._tcp.mx.example.org"), or
	                               * NULL when TLSA was not asked (no address) */
	enum mailtls_dns_status tlsa_status; /* of the TLSA lookup */
	unsigned ttl;                 /* the TLSA RRset's TTL, as the resolver gave it */
	bool planned;                 /* false: the TLSA lookup failed (why), no plan */
	char *why;                    /* with planned false: what went wrong; else NULL */
	bool dane_secure;             /* MX, address and TLSA records DNSSEC-secure: DANE
	                               * senders use these records */
	bool insecure_records;        /* records published, but not DNSSEC-secure (or the MX
	                               * or address records are not): no DANE sender uses them */
	size_t n_addrs, n_served;     /* addresses, and those that served a chain */
	char *new_error;              /* why the published records do not authenticate the
	                               * new chain (OpenSSL's reason), or NULL */
	struct mailtls_roll_plan plan;
};

struct mailtls_rollover {
	char *domain;
	bool checked;                 /* false: the domain could not be checked */
	char *unknown_reason;
	bool null_mx;
	unsigned port;
	struct mailtls_rollover_host *hosts;
	size_t n_hosts;
};

struct mailtls_rollover_params {
	const struct mailtls_domain_result *domain; /* finished; borrowed */
	const char *cert_file;        /* the new certificate, PEM, leaf first */
	const char *chain_file;       /* its issuers, PEM, or NULL */
	const char *host;             /* only the MX host of this name (or whose CNAME
	                               * expansion or TLSA base it is), or NULL: every one */
	unsigned port;                /* of the TLSA records; 0: 25 */
};

/* mailtls_rollover_for_domain - the plan for every MX host (or p->host). On 0, *out is
 * the plan (free with mailtls_rollover_free()); a domain that could not be checked is a
 * plan with checked false. A negative MAILTLS_E* code (unreadable certificate file, a
 * host that is not an MX host of the domain) comes with why, display-safe. */
int mailtls_rollover_for_domain(const struct mailtls_rollover_params *p,
				struct mailtls_rollover **out, char *why, size_t whylen);
void mailtls_rollover_free(struct mailtls_rollover *r);

/* mailtls_rollover_exit_code - UNKNOWN when not checked, without a host to plan for, or
 * when a host's TLSA lookup failed; WARNING when records must be added before the switch;
 * else OK. */
enum mailtls_exit mailtls_rollover_exit_code(const struct mailtls_rollover *r);

/* "keep", "add", "remove-after-switch", "remove", "ignored"; static. */
const char *mailtls_roll_action_name(enum mailtls_roll_action a);

#ifdef __cplusplus
}
#endif
#endif
