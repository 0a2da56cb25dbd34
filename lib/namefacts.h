/*
 * namefacts.h - what the leaf certificate says about the reference identities: per
 * reference name whether and how a DNS-ID matches it (RFC 9525 6, names.h) or which one
 * comes nearest; which DNS-IDs can never match; the subject CNs when there is no DNS-ID
 * (what legacy CN-fallback clients would do); a subjectAltName that cannot be used; or,
 * for an IP reference identity, the IP-IDs.
 *
 * Facts only: no finding, no verdict (certpolicy.c). Matching is done on the real bytes of
 * the names, never on escaped text, and never on the CN for the verdict.
 * Internal to libmailtls.
 */
#ifndef MAILTLS_NAMEFACTS_H
#define MAILTLS_NAMEFACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <mailtls/names.h>

#define NAMEFACTS_NEAREST_MAX 64  /* DNS-IDs searched for the nearest near miss */

/* One name from the leaf with its real bytes (may hold NUL, need not be UTF-8). */
struct name_id {
	const char *p;
	size_t len;
};

/* What one reference name found among the DNS-IDs. */
struct name_ref {
	const char *name;             /* the reference name (borrowed from the caller) */
	enum mailtls_name_match match; /* an exact match if any, else a wildcard, else none */
	size_t which;                 /* matched: the first DNS-ID that matches so; else, when
	                               * there are DNS-IDs, the nearest (edit distance, then
	                               * length) among the first NAMEFACTS_NEAREST_MAX */
};

enum name_kind {
	NAME_KIND_NONE = 0,           /* no reference identity: nothing was looked at */
	NAME_KIND_DNS,                /* reference names against DNS-IDs */
	NAME_KIND_IP,                 /* an IP literal against IP-IDs */
};

struct name_facts {
	enum name_kind kind;
	/* The leaf's subjectAltName (both kinds). */
	bool san_malformed;           /* present but unusable: bad DER, or more than one */
	bool san_duplicate;           /* unusable because there is more than one */
	/* NAME_KIND_DNS */
	struct name_id *dnsids;       /* every dNSName of the SAN, in order (owned array) */
	enum mailtls_presented_kind *dnsid_kinds; /* per DNS-ID (names.h) */
	size_t n_dnsids;
	struct name_ref *refs;        /* one per reference name, in the caller's order */
	size_t n_refs;
	struct name_id *cns;          /* only when the SAN is usable and has no DNS-ID: every
	                               * subject CN, as UTF-8, or its raw bytes when it does
	                               * not decode */
	size_t n_cns;
	const char *cn_match;         /* with cns: the reference name that legacy clients
	                               * falling back to the CN match (RFC 6125 6.4.4; every
	                               * CN tried, as X509_check_host() does), or NULL */
	/* NAME_KIND_IP */
	const char *ip;               /* the reference IP literal (borrowed) */
	bool ip_match;                /* an IP-ID equals it (X509_check_ip_asc()) */
	struct name_id *ipids;        /* when not matched: every iPAddress entry, raw octets */
	size_t n_ipids;
	/* Owned: what dnsids, ipids and cns point into. */
	GENERAL_NAMES *gens;          /* the leaf's SAN entries, or NULL */
	unsigned char **cn_utf8;      /* per CN, its decoded copy, or NULL */
};

/* namefacts_get - the facts of leaf (borrowed, must outlive *nf) against the reference
 * names (normalized: A-labels, lower case; borrowed) or, when n_names is 0, against the IP
 * literal ip (NULL: none; nothing is gathered). The caller releases *nf with
 * namefacts_clear(), also after an error. Returns 0 or MAILTLS_ENOMEM. */
int namefacts_get(X509 *leaf, const char *const *names, size_t n_names, const char *ip,
		  struct name_facts *nf);

/* namefacts_clear - release what *nf owns and leave it zeroed; a zeroed *nf is a no-op. */
void namefacts_clear(struct name_facts *nf);

#endif
