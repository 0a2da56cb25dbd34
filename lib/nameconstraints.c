/*
 * nameconstraints.c - RFC 5280 4.2.1.10 dNSName name constraints, checked by mailtls.
 *
 * NAME
 *	nameconstraints_check, nameconstraints_malformed, nameconstraints_within
 * SYNOPSIS
 *	#include "nameconstraints.h"
 * DESCRIPTION
 *	OpenSSL checks name constraints on the path it builds, but 3.0 accepts a dNSName
 *	constraint with a leading period (".example.com", which it reads as every name under
 *	example.com but not example.com itself), applies constraints to the SAN strings only
 *	(a wildcard DNS-ID "*.example.com" is not inside the excluded subtree
 *	"bar.example.com", yet it authenticates bar.example.com), and lets a DNS-ID that is
 *	no valid DNS name (".example.com") pass a permitted subtree. This file checks, on a
 *	path that verified:
 *
 *	- every dNSName constraint of every CA in the path (the anchor included): one that is
 *	  no valid DNS name is an NC_MALFORMED issue, and takes no part in the checks below;
 *	- every DNS-ID of the leaf: outside every well-formed permitted dNSName subtree of a
 *	  CA that has some (NC_NOT_PERMITTED), or inside an excluded one (NC_EXCLUDED). A
 *	  wildcard DNS-ID "*.B" stands for the names one label under B: it lies in a subtree
 *	  when B does (every name it matches does); it is excluded when B is in an excluded
 *	  subtree. A DNS-ID that is no valid DNS name lies in no permitted subtree;
 *	- every reference name the leaf matched (namefacts.h), the same way: the name a client
 *	  authenticates must obey the constraints, whichever DNS-ID matched it.
 *
 *	Bounded: NC_SUBTREES_MAX subtrees, NC_NAMES_MAX DNS-IDs, NC_ISSUES_MAX issues kept.
 * DIAGNOSTICS
 *	nameconstraints_check() returns 0.
 */
#include <stdbool.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "nameconstraints.h"

#define NC_LABEL_MAX 63
#define NC_DNS_MAX 253

/* lower - ASCII lower case of c. */
static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

bool nameconstraints_malformed(const char *p, size_t len)
{
	size_t label = 0;

	if (len == 0)
		return false;	/* the empty constraint: every name */
	if (p[0] == '.')
		return true;
	if (p[len - 1] == '.')	/* a trailing dot: the absolute form of the same name */
		len--;
	if (len > NC_DNS_MAX)
		return true;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '.') {
			if (label == 0)
				return true;	/* an empty label */
			label = 0;
			continue;
		}
		if (++label > NC_LABEL_MAX)
			return true;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
		      || c == '-' || c == '_'))
			return true;	/* '*', a space, NUL, non-ASCII */
	}
	return false;
}

bool nameconstraints_within(const char *p, size_t len, const char *c, size_t clen)
{
	if (len > 0 && p[len - 1] == '.')
		len--;
	if (clen > 0 && c[clen - 1] == '.')
		clen--;
	if (clen == 0)
		return true;	/* the empty constraint: every name */
	if (len < clen || (len > clen && p[len - clen - 1] != '.'))
		return false;
	for (size_t i = 0; i < clen; i++)
		if (lower((unsigned char)p[len - clen + i]) != lower((unsigned char)c[i]))
			return false;
	return true;
}

/* One name to check: its bytes, and how it stands in a subtree. */
struct nc_name {
	const char *p;
	size_t len;
	bool is_reference;
	bool invalid;                 /* no valid DNS name: in no subtree */
	const char *base;             /* a wildcard's base ("*.B": B); else p */
	size_t base_len;
};

/* copy_text - bytes into a bounded NUL-terminated buffer. */
static void copy_text(char *dst, size_t *dst_len, const char *p, size_t len)
{
	size_t n = len < NC_TEXT_MAX - 1 ? len : NC_TEXT_MAX - 1;

	memcpy(dst, p, n);
	dst[n] = '\0';
	*dst_len = len;
}

/* add_issue - a new issue, or NULL when NC_ISSUES_MAX are kept (counted). */
static struct nc_issue *add_issue(struct nc_facts *out, enum nc_kind kind, int depth, X509 *ca)
{
	struct nc_issue *v;

	if (out->n >= NC_ISSUES_MAX) {
		out->dropped++;
		if (kind != NC_MALFORMED)
			out->dropped_violations++;
		return NULL;
	}
	v = &out->v[out->n++];
	memset(v, 0, sizeof(*v));
	v->kind = kind;
	v->ca_depth = depth;
	v->ca = ca;
	v->ca_pos = -1;
	return v;
}

/* name_issue - an NC_NOT_PERMITTED or NC_EXCLUDED issue about name. */
static void name_issue(struct nc_facts *out, enum nc_kind kind, int depth, X509 *ca,
		       const struct nc_name *nm, const ASN1_IA5STRING *c, bool excluded)
{
	struct nc_issue *v = add_issue(out, kind, depth, ca);

	if (v == NULL)
		return;
	v->excluded_subtree = excluded;
	v->is_reference = nm->is_reference;
	v->name_invalid = nm->invalid;
	copy_text(v->name, &v->name_len, nm->p, nm->len);
	if (c != NULL)
		copy_text(v->constraint, &v->constraint_len, (const char *)c->data,
			  (size_t)c->length);
}

/* dns_base - the dNSName constraint of a subtree, or NULL for another name form. */
static const ASN1_IA5STRING *dns_base(const GENERAL_SUBTREE *t)
{
	return t != NULL && t->base != NULL && t->base->type == GEN_DNS ? t->base->d.dNSName : NULL;
}

/* ca_subtrees - malformed constraints of one CA's side (permitted or excluded) into out;
 * returns how many well-formed dNSName subtrees it has, and the first in *first. */
static size_t ca_subtrees(STACK_OF(GENERAL_SUBTREE) *sk, bool excluded, int depth, X509 *ca,
			  struct nc_facts *out, const ASN1_IA5STRING **first)
{
	size_t good = 0;

	for (int i = 0; i < sk_GENERAL_SUBTREE_num(sk); i++) {
		const ASN1_IA5STRING *c = dns_base(sk_GENERAL_SUBTREE_value(sk, i));
		struct nc_issue *v;

		if (c == NULL)
			continue;
		if (out->n_subtrees++ >= NC_SUBTREES_MAX) {
			out->limited = true;
			break;
		}
		if (!nameconstraints_malformed((const char *)c->data, (size_t)c->length)) {
			if (good++ == 0 && first != NULL)
				*first = c;
			continue;
		}
		if ((v = add_issue(out, NC_MALFORMED, depth, ca)) != NULL) {
			v->excluded_subtree = excluded;
			copy_text(v->constraint, &v->constraint_len, (const char *)c->data,
				  (size_t)c->length);
		}
	}
	return good;
}

/* in_subtree - nm lies in the well-formed dNSName subtrees of sk: the one it lies in, or
 * NULL. */
static const ASN1_IA5STRING *in_subtree(STACK_OF(GENERAL_SUBTREE) *sk, const struct nc_name *nm,
					size_t budget)
{
	for (int i = 0; i < sk_GENERAL_SUBTREE_num(sk) && (size_t)i < budget; i++) {
		const ASN1_IA5STRING *c = dns_base(sk_GENERAL_SUBTREE_value(sk, i));

		if (c == NULL || nameconstraints_malformed((const char *)c->data, (size_t)c->length))
			continue;
		if (!nm->invalid && nameconstraints_within(nm->base, nm->base_len,
				(const char *)c->data, (size_t)c->length))
			return c;
	}
	return NULL;
}

/* check_ca - one CA's constraints against every name. */
static void check_ca(X509 *ca, int depth, const struct nc_name *names, size_t n_names,
		     struct nc_facts *out)
{
	int crit = -1;
	NAME_CONSTRAINTS *nc = X509_get_ext_d2i(ca, NID_name_constraints, &crit, NULL);
	const ASN1_IA5STRING *first = NULL;
	size_t n_permitted, n_excluded;

	ERR_clear_error();
	if (nc == NULL)
		return;
	n_permitted = ca_subtrees(nc->permittedSubtrees, false, depth, ca, out, &first);
	n_excluded = ca_subtrees(nc->excludedSubtrees, true, depth, ca, out, NULL);
	for (size_t j = 0; j < n_names; j++) {
		const struct nc_name *nm = &names[j];
		const ASN1_IA5STRING *hit;

		if (n_permitted > 0 && in_subtree(nc->permittedSubtrees, nm, NC_SUBTREES_MAX) == NULL)
			name_issue(out, NC_NOT_PERMITTED, depth, ca, nm, first, false);
		if (n_excluded > 0 && !nm->invalid
		    && (hit = in_subtree(nc->excludedSubtrees, nm, NC_SUBTREES_MAX)) != NULL)
			name_issue(out, NC_EXCLUDED, depth, ca, nm, hit, true);
	}
	NAME_CONSTRAINTS_free(nc);
}

/* dnsid_name - the DNS-ID i of nf as a name to check. */
static void dnsid_name(const struct name_facts *nf, size_t i, struct nc_name *nm)
{
	enum mailtls_presented_kind k = nf->dnsid_kinds[i];

	memset(nm, 0, sizeof(*nm));
	nm->p = nf->dnsids[i].p;
	nm->len = nf->dnsids[i].len;
	nm->base = nm->p;
	nm->base_len = nm->len;
	if (k == MAILTLS_PRESENTED_WILDCARD || k == MAILTLS_PRESENTED_PARTIAL_WILDCARD) {
		/* "*.B", "f*.B": every name it can match is one label under B. */
		const char *dot = memchr(nm->p, '.', nm->len);

		nm->invalid = dot == NULL;
		if (dot != NULL) {
			nm->base = dot + 1;
			nm->base_len = nm->len - (size_t)(dot + 1 - nm->p);
		}
	} else if (k != MAILTLS_PRESENTED_PLAIN) {
		nm->invalid = true;
	}
}

int nameconstraints_check(STACK_OF(X509) *path, const struct name_facts *nf,
			  struct nc_facts *out)
{
	struct nc_name names[NC_NAMES_MAX + 16];
	size_t n_names = 0;
	int len = path != NULL ? sk_X509_num(path) : 0;

	memset(out, 0, sizeof(*out));
	if (len < 2 || nf == NULL || nf->kind != NAME_KIND_DNS)
		return 0;
	out->checked = true;
	for (size_t i = 0; i < nf->n_dnsids; i++) {
		if (n_names >= NC_NAMES_MAX) {
			out->limited = true;
			break;
		}
		dnsid_name(nf, i, &names[n_names++]);
	}
	for (size_t j = 0; j < nf->n_refs && j < 16; j++) {
		struct nc_name *nm;

		/* An exact match is the DNS-ID itself, checked above. */
		if (nf->refs[j].match != MAILTLS_NAME_MATCH_WILDCARD)
			continue;
		nm = &names[n_names++];
		memset(nm, 0, sizeof(*nm));
		nm->p = nm->base = nf->refs[j].name;
		nm->len = nm->base_len = strlen(nf->refs[j].name);
		nm->is_reference = true;
	}
	/* RFC 5280 6.1.3 (b), (c): the leaf's names against every CA above it. */
	for (int d = 1; d < len; d++)
		check_ca(sk_X509_value(path, d), d, names, n_names, out);
	return 0;
}
