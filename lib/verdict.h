/*
 * verdict.h - the one place where a domain's facts become what each kind of sender does.
 *
 * Input: a domain result whose facts are filled (the MX lookup, every host's address and
 * TLSA lookups and records, every address's server result and DANE facts). Output, in the
 * same result: the outcome per sender level for every address, every host and the domain;
 * the findings about DNS, MX and DANE; and the severities of every finding (the domain's
 * and the servers') as they stand at res->level. Like Postfix's TLS levels turning its
 * trusted / matched / secured bits into a decision, and nothing else: it asks nothing,
 * formats nothing. Internal to libmailtls.
 */
#ifndef MAILTLS_VERDICT_H
#define MAILTLS_VERDICT_H

#include <mailtls/domain.h>

/* What DANE means for one MX host (RFC 7672 2.2): */
enum host_dane {
	HOST_DANE_NONE = 0,   /* DANE does not apply: opportunistic (MX, address or TLSA
	                       * records not secure, or no TLSA records) */
	HOST_DANE_APPLIES,    /* secure, usable records */
	HOST_DANE_UNUSABLE,   /* secure records, none usable: TLS required */
	HOST_DANE_DEFER,      /* TLSA lookup bogus or unanswered */
};

/* verdict_host_dane - the DANE state of host h of res, from its DNS facts alone. */
enum host_dane verdict_host_dane(const struct mailtls_domain_result *res,
				  const struct mailtls_mx_host *h);

/* verdict_leaf_covers - the index of the first DNS-ID of leaf that matches the normalized
 * reference name ref (RFC 9525, names.h), or -1 (also for NULLs). What the verify level
 * asks of a certificate for the MX host name. */
int verdict_leaf_covers(const struct mailtls_certinfo *leaf, const char *ref);

/* verdict_leaf_under - the same for the secure level: the first DNS-ID that is domain or a
 * name under it (verdict_name_under()), or -1. */
int verdict_leaf_under(const struct mailtls_certinfo *leaf, const char *domain);

/* verdict_no_hosts_why - why a checked domain has no MX host ("the MX lookup is bogus:
 * ...", "no such domain (NXDOMAIN)"), an owned string (free()); NULL on ENOMEM. */
char *verdict_no_hosts_why(const struct mailtls_domain_result *res);

/* verdict_domain - decide. Returns 0 or MAILTLS_ENOMEM (the result is then incomplete). */
int verdict_domain(struct mailtls_domain_result *res);

/* verdict_tlsa_usable - may an SMTP client use this record (RFC 7672 3.1): DANE-TA(2) or
 * DANE-EE(3), selector 0 or 1, matching type 0, 1 or 2 with the right data length. */
bool verdict_tlsa_usable(uint8_t usage, uint8_t selector, uint8_t mtype, size_t len);

/* verdict_tlsa_unusable_reason - why a record verdict_tlsa_usable() refuses (or OpenSSL
 * refused) is not used, in words for a message. */
const char *verdict_tlsa_unusable_reason(uint8_t usage, uint8_t selector, uint8_t mtype,
					 size_t len);

/* verdict_name_under - does the certificate name `presented` (len bytes; a DNS-ID, a
 * wildcard allowed as the whole first label) match `domain` itself, or a name under it
 * (Postfix's `nexthop, dot-nexthop`)? domain normalized (names.h). */
bool verdict_name_under(const char *domain, const char *presented, size_t len);

/* For the verdict's own modules (verdict_mtasts.c, verdict_postfix.c): */
/* VERDICT_ADD - a finding about subj into res's list; returns the error from the enclosing
 * function (which has an int r) when it cannot be added. */
#define VERDICT_ADD(res, fid, subj, ...) \
	do { \
		struct mailtls_subject s_ = (subj); \
		if ((r = mailtls_findings_add(&(res)->findings, (fid), &s_, __VA_ARGS__)) != 0) \
			return r; \
	} while (0)
/* verdict_lookup_problem - a failed lookup in words, into buf: "NAME TYPE is bogus (why)"
 * or "NAME TYPE: why". */
const char *verdict_lookup_problem(const struct mailtls_dns_lookup *l, char *buf, size_t len);
/* verdict_host_subject - the subject of a finding about host h (and address a, or NULL). */
struct mailtls_subject verdict_host_subject(const struct mailtls_domain_result *res,
					    const struct mailtls_mx_host *h,
					    const struct mailtls_mx_address *a);
/* verdict_delivers - the outcome puts mail on its way (authenticated, encrypted,
 * plaintext). */
bool verdict_delivers(enum mailtls_outcome o);
/* verdict_reached - an SMTP session was had (a greeting, not refused). */
bool verdict_reached(const struct mailtls_result *s);
/* verdict_tls - TLS was established. */
bool verdict_tls(const struct mailtls_result *s);

/* MTA-STS (verdict_mtasts.c). */
/* verdict_mtasts_prepare - before the outcomes: whether a policy is in effect
 * (res->mtasts.in_effect), and per host the pattern it matches and whether DANE governs it
 * (hd: verdict_host_dane() of the host). */
void verdict_mtasts_prepare(struct mailtls_domain_result *res);
void verdict_mtasts_host(struct mailtls_domain_result *res, struct mailtls_mx_host *h,
			 enum host_dane hd);
/* verdict_mtasts_enforced - an enforce policy is in effect. */
bool verdict_mtasts_enforced(const struct mailtls_domain_result *res);
/* verdict_mtasts_outcome - the mta-sts level's outcome for an address of h that was
 * reached (server result s), given its may outcome: with an enforce policy in effect,
 * authenticated only when h is listed and s shows a trusted chain naming h->name itself. */
enum mailtls_outcome verdict_mtasts_outcome(const struct mailtls_domain_result *res,
					    const struct mailtls_mx_host *h,
					    const struct mailtls_result *s,
					    enum mailtls_outcome may);
/* verdict_mtasts_findings - after the outcomes: each host's policy result (h->sts), and the
 * mtasts.* and tlsrpt.* findings. 0 or MAILTLS_ENOMEM. */
int verdict_mtasts_findings(struct mailtls_domain_result *res);
/* verdict_mtasts_severity - the severity at res->level of an mtasts.* or tlsrpt.* finding
 * about host h (NULL: about the domain); domain_delivers: the domain takes mail at that
 * level. */
enum mailtls_severity verdict_mtasts_severity(const struct mailtls_domain_result *res,
					      const struct mailtls_finding *f,
					      const struct mailtls_mx_host *h,
					      bool domain_delivers);

/* verdict_postfix - the smtp_tls_policy_maps entry a Postfix sender would use for the
 * domain, from what was found (verdict_postfix.c): res->postfix_policy and
 * res->postfix_why. 0 or MAILTLS_ENOMEM. */
int verdict_postfix(struct mailtls_domain_result *res);

#endif
