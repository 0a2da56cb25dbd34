/*
 * mailtls/dnsfacts.h - one DNS lookup as asked and answered, with its DNSSEC status: the
 * fact every DNS-based module keeps (domain.h for MX, addresses and TLSA; mtasts.h for the
 * MTA-STS and TLS-RPT records). The lookup owns its strings.
 */
#ifndef MAILTLS_DNSFACTS_H
#define MAILTLS_DNSFACTS_H

#include <stdbool.h>
#include <mailtls/result.h>

#ifdef __cplusplus
extern "C" {
#endif

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

/* mailtls_dns_lookup_clear - free what l owns and zero it. */
void mailtls_dns_lookup_clear(struct mailtls_dns_lookup *l);

#ifdef __cplusplus
}
#endif

#endif
