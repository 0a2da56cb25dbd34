/*
 * dnsfacts.h - a DNS answer's facts into a struct mailtls_dns_lookup (mailtls/dnsfacts.h):
 * its status, rcode, flags, TTL, validator reason and CNAME chain, copied. Internal to
 * libmailtls.
 */
#ifndef MAILTLS_DNSFACTS_INTERNAL_H
#define MAILTLS_DNSFACTS_INTERNAL_H

#include <mailtls/dnsfacts.h>
#include "dns.h"

/* dnsfacts_fill - l takes a's facts; qtype names the type asked ("MX"). 0 or
 * MAILTLS_ENOMEM. */
int dnsfacts_fill(struct mailtls_dns_lookup *l, const char *qtype, const struct dns_answer *a);

#endif
