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

/* verdict_domain - decide. Returns 0 or MAILTLS_ENOMEM (the result is then incomplete). */
int verdict_domain(struct mailtls_domain_result *res);

/* verdict_tlsa_usable - may an SMTP client use this record (RFC 7672 3.1): DANE-TA(2) or
 * DANE-EE(3), selector 0 or 1, matching type 0, 1 or 2 with the right data length. */
bool verdict_tlsa_usable(uint8_t usage, uint8_t selector, uint8_t mtype, size_t len);

/* verdict_name_under - does the certificate name `presented` (len bytes; a DNS-ID, a
 * wildcard allowed as the whole first label) match `domain` itself, or a name under it
 * (Postfix's `nexthop, dot-nexthop`)? domain normalized (names.h). */
bool verdict_name_under(const char *domain, const char *presented, size_t len);

#endif
