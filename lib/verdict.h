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

#endif
