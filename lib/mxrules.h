/*
 * mxrules.h - the rules that turn a domain's MX answer into the hosts a sender tries, and
 * an MX host's names into the names DANE looks up and matches. Pure functions: no DNS, no
 * allocation beyond the string list they fill. Internal to libmailtls.
 */
#ifndef MAILTLS_MXRULES_H
#define MAILTLS_MXRULES_H

#include <stdbool.h>
#include <stddef.h>
#include <mailtls/domain.h>

/* mxrules_ip_literal - an MX target that is an IP address written as a name ("192.0.2.1",
 * "[192.0.2.1]", "2001:db8::1"), which senders look up as a name and never find
 * (RFC 7505 4). */
bool mxrules_ip_literal(const char *name);

/* mxrules_sort - hosts in the order senders try them (RFC 5321 5.1): by preference, lowest
 * first. Hosts of equal preference, which senders try in random order, are sorted by name
 * so that reports are stable. */
void mxrules_sort(struct mailtls_mx_host *hosts, size_t n);

/* mxrules_tlsa_first - the TLSA base domain to ask first (RFC 7672 2.2.2): the
 * CNAME-expanded host name when the expansion is DNSSEC-secure and differs from the name,
 * else the name as published. *fallback is set when, should that lookup find securely
 * that there are no records, the name as published is to be asked next. */
const char *mxrules_tlsa_first(const char *name, const char *canonical, bool canonical_secure,
			       bool *fallback);

/* mxrules_dane_names - the reference names a DANE-TA(2) match may name (RFC 7672 3.2.3):
 * the TLSA base domain (the secure CNAME expansion when the records were found there) and
 * the MX host name as published, each once, in that order, appended to out; the names the
 * check gives OpenSSL. 0 or MAILTLS_ENOMEM. */
int mxrules_dane_names(const char *base, const char *name, const char *canonical,
		       bool canonical_secure, struct mailtls_strlist *out);

#endif
