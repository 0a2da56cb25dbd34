/*
 * nameconstraints.h - RFC 5280 4.2.1.10 dNSName name constraints, checked by mailtls
 * itself: every DNS-ID of the leaf, and every reference name the leaf matched, against
 * the permitted and excluded dNSName subtrees of every CA in a validated path (the trust
 * anchor included, as OpenSSL and x509-limbo apply them); and every dNSName constraint
 * that is not a valid DNS name (a leading period, a wildcard, an empty label), which
 * OpenSSL 3.0 accepts.
 *
 * Facts only (certpolicy.c judges them). Internal to libmailtls.
 */
#ifndef MAILTLS_NAMECONSTRAINTS_H
#define MAILTLS_NAMECONSTRAINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/x509.h>
#include "namefacts.h"

#define NC_SUBTREES_MAX 64        /* dNSName subtrees examined over one path */
#define NC_NAMES_MAX 64           /* DNS-IDs of the leaf examined */
#define NC_ISSUES_MAX 16          /* issues kept; more are counted */
#define NC_TEXT_MAX 256           /* bytes kept of a constraint or a name */

enum nc_kind {
	NC_MALFORMED = 0,             /* a dNSName constraint that is no valid DNS name */
	NC_NOT_PERMITTED,             /* a name outside every permitted dNSName subtree of a CA */
	NC_EXCLUDED,                  /* a name inside an excluded dNSName subtree */
};

struct nc_issue {
	enum nc_kind kind;
	int ca_depth;                 /* the CA's depth in the path (1 = the leaf's issuer) */
	X509 *ca;                     /* borrowed from the path */
	int ca_pos;                   /* its position as presented (0 = the leaf), -1 when not
	                               * presented; set by the caller (verify.c), -1 here */
	bool excluded_subtree;        /* the constraint is in excludedSubtrees (MALFORMED,
	                               * EXCLUDED); false: permittedSubtrees */
	char constraint[NC_TEXT_MAX]; /* the constraint's bytes (EXCLUDED, MALFORMED), or the
	                               * first well-formed permitted one (NOT_PERMITTED); raw,
	                               * NUL-terminated, cut at NC_TEXT_MAX - 1 */
	size_t constraint_len;        /* its real length, which may hold a NUL */
	char name[NC_TEXT_MAX];       /* NOT_PERMITTED, EXCLUDED: the name (raw, as above) */
	size_t name_len;
	bool is_reference;            /* name is a reference name the leaf matched, not a DNS-ID */
	bool name_invalid;            /* the DNS-ID is not a valid DNS name: it cannot lie in a
	                               * permitted subtree */
};

struct nc_facts {
	bool checked;                 /* a path was examined */
	size_t n_subtrees;            /* dNSName subtrees seen (at most NC_SUBTREES_MAX read) */
	bool limited;                 /* subtrees or DNS-IDs past the bounds were not examined */
	struct nc_issue v[NC_ISSUES_MAX];
	size_t n;
	size_t dropped;               /* issues past NC_ISSUES_MAX */
	size_t dropped_violations;    /* of them NC_NOT_PERMITTED or NC_EXCLUDED */
};

/* nameconstraints_check - path (leaf first, anchor last; borrowed, must outlive *out) and
 * the name facts of its leaf (NAME_KIND_DNS; other kinds: nothing to check). Fills *out.
 * Returns 0 (nothing is allocated). */
int nameconstraints_check(STACK_OF(X509) *path, const struct name_facts *nf,
			  struct nc_facts *out);

/* nameconstraints_malformed - the dNSName constraint (bytes p, len) is no valid DNS name
 * (RFC 5280 4.2.1.10 allows a leading period in URI constraints only; RFC 1034 3.1): a
 * leading period, a wildcard, an empty label, a label over 63 bytes, a byte outside
 * letters, digits, hyphen and underscore. An empty constraint (every name) is valid. */
bool nameconstraints_malformed(const char *p, size_t len);

/* nameconstraints_within - DNS name (bytes p, len) lies in the subtree of constraint c
 * (RFC 5280 4.2.1.10: zero or more labels added on the left; ASCII case-insensitive;
 * a trailing dot on either ignored). */
bool nameconstraints_within(const char *p, size_t len, const char *c, size_t clen);

#endif
