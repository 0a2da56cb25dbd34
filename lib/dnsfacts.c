/*
 * dnsfacts.c - DNS answers (dns.h) as the facts results keep (mailtls/dnsfacts.h).
 */
#include <stdlib.h>
#include <string.h>
#include <mailtls/mailtls.h>
#include <mailtls/dnsfacts.h>
#include "dnsfacts.h"

const char *mailtls_dns_status_name(enum mailtls_dns_status s)
{
	switch (s) {
	case MAILTLS_DNS_NOANSWER: return "no answer";
	case MAILTLS_DNS_INSECURE: return "insecure";
	case MAILTLS_DNS_SECURE: return "secure";
	case MAILTLS_DNS_BOGUS: return "bogus";
	}
	return "?";
}

void mailtls_dns_lookup_clear(struct mailtls_dns_lookup *l)
{
	free(l->qname);
	free(l->qtype);
	free(l->why_bogus);
	free(l->why);
	free(l->canonical);
	mailtls_strlist_clear(&l->cnames);
	memset(l, 0, sizeof(*l));
}

int dnsfacts_fill(struct mailtls_dns_lookup *l, const char *qtype, const struct dns_answer *a)
{
	l->asked = true;
	l->status = a->status == DNS_SECURE ? MAILTLS_DNS_SECURE :
		    a->status == DNS_INSECURE ? MAILTLS_DNS_INSECURE :
		    a->status == DNS_BOGUS ? MAILTLS_DNS_BOGUS : MAILTLS_DNS_NOANSWER;
	l->rcode = a->rcode;
	l->nxdomain = a->nxdomain;
	l->nodata = a->nodata;
	l->ttl = a->ttl;
	if ((l->qname = strdup(a->qname)) == NULL || (l->qtype = strdup(qtype)) == NULL)
		return MAILTLS_ENOMEM;
	if (a->status == DNS_BOGUS && a->why_bogus != NULL
	    && (l->why_bogus = strdup(a->why_bogus)) == NULL)
		return MAILTLS_ENOMEM;
	if (a->why[0] != '\0' && (l->why = strdup(a->why)) == NULL)
		return MAILTLS_ENOMEM;
	for (size_t i = 0; i < a->n_cnames; i++)
		if (mailtls_strlist_add(&l->cnames, a->cnames[i], MAILTLS_NAME_MAX) != 0)
			return MAILTLS_ENOMEM;
	if (a->n_cnames > 0 && a->canonical != NULL
	    && (l->canonical = strdup(a->canonical)) == NULL)
		return MAILTLS_ENOMEM;
	return 0;
}
