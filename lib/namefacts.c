/*
 * namefacts.c - the leaf certificate against the reference identities, as facts.
 *
 * NAME
 *	namefacts_get, namefacts_clear
 * SYNOPSIS
 *	#include "namefacts.h"
 * DESCRIPTION
 *	DNS reference names (RFC 9525 6) are matched by our matcher (names.h) against the
 *	leaf's subjectAltName dNSName entries, with their real bytes and lengths. Every DNS-ID
 *	is matched (linear: the size of the leaf bounds their number); only the search for the
 *	nearest near miss of an unmatched name is bounded (NAMEFACTS_NEAREST_MAX), at most
 *	64 * 253 * 253 steps per name.
 *	The subject CN is never an identity. When the SAN is usable and has no DNS-ID at all,
 *	the CNs are gathered with what legacy CN-fallback clients would match, so that the
 *	policy can say so. A subjectAltName extension that is present but does not decode, or
 *	appears twice, is recorded as such and no CN is looked at (no client falls back to the
 *	CN through a broken SAN).
 *	An IP reference identity (RFC 9525 6.2) is matched by OpenSSL's X509_check_ip_asc()
 *	against the iPAddress entries.
 * DIAGNOSTICS
 *	namefacts_get() returns 0 or MAILTLS_ENOMEM.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <mailtls/mailtls.h>
#include "namefacts.h"

/* san_get - the leaf's subjectAltName entries into nf->gens (NULL when there are none), and
 * whether the extension is present but cannot be used: bad DER inside it, or more than one
 * subjectAltName extension (X509_get_ext_d2i() gives NULL with crit -2). */
static void san_get(X509 *leaf, struct name_facts *nf)
{
	int crit = -1;

	nf->gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, &crit, NULL);
	nf->san_malformed = nf->gens == NULL && crit != -1;
	nf->san_duplicate = nf->gens == NULL && crit == -2;
}

/* san_collect - the SAN entries of one type (GEN_DNS, GEN_IPADD) with their real bytes,
 * into a new array *out (NULL when none). Returns 0 or MAILTLS_ENOMEM. */
static int san_collect(const GENERAL_NAMES *gens, int type, struct name_id **out, size_t *n)
{
	int ngens = gens != NULL ? sk_GENERAL_NAME_num(gens) : 0;

	*out = NULL;
	*n = 0;
	if (ngens > 0 && (*out = calloc((size_t)ngens, sizeof(**out))) == NULL)
		return MAILTLS_ENOMEM;
	for (int i = 0; i < ngens; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_STRING *s;

		if (g->type != type)
			continue;
		s = type == GEN_DNS ? g->d.dNSName : g->d.iPAddress;
		(*out)[*n].p = (const char *)ASN1_STRING_get0_data(s);
		(*out)[*n].len = (size_t)ASN1_STRING_length(s);
		(*n)++;
	}
	return 0;
}

/* match_one - the best DNS-ID for ref among all of them: an exact match, else the first
 * wildcard match. Returns the kind; *which is its index. */
static enum mailtls_name_match match_one(const char *ref, const struct name_id *ids,
					 size_t nids, size_t *which)
{
	enum mailtls_name_match best = MAILTLS_NAME_NOMATCH;

	*which = 0;
	for (size_t i = 0; i < nids && best != MAILTLS_NAME_MATCH; i++) {
		enum mailtls_name_match m = mailtls_name_match(ref, ids[i].p, ids[i].len);

		if (m == MAILTLS_NAME_MATCH || (m == MAILTLS_NAME_MATCH_WILDCARD
						&& best == MAILTLS_NAME_NOMATCH)) {
			best = m;
			*which = i;
		}
	}
	return best;
}

/* len_gap - difference in length between a reference name and a presented name. */
static size_t len_gap(const char *ref, const struct name_id *id)
{
	size_t n = strlen(ref);

	return n > id->len ? n - id->len : id->len - n;
}

/* nearest - the presented name closest to ref (edit distance; on a tie the one closer in
 * length), among the first NAMEFACTS_NEAREST_MAX. */
static size_t nearest(const char *ref, const struct name_id *ids, size_t nids)
{
	unsigned best = ~0u;
	size_t near_i = 0;

	for (size_t i = 0; i < nids && i < NAMEFACTS_NEAREST_MAX; i++) {
		unsigned d = mailtls_name_distance(ref, ids[i].p, ids[i].len);

		if (d < best || (d == best && len_gap(ref, &ids[i]) < len_gap(ref, &ids[near_i]))) {
			best = d;
			near_i = i;
		}
	}
	return near_i;
}

/* cn_facts - every subject CN of the leaf, and the first reference name one of them
 * matches as legacy CN-fallback clients match it. Undecodable CNs never match. */
static int cn_facts(X509 *leaf, const char *const *names, size_t n_names, struct name_facts *nf)
{
	const X509_NAME *name = X509_get_subject_name(leaf);
	size_t n = 0;

	for (int idx = -1; (idx = X509_NAME_get_index_by_NID(name, NID_commonName, idx)) >= 0;)
		n++;
	if (n == 0)
		return 0;
	nf->cns = calloc(n, sizeof(*nf->cns));
	nf->cn_utf8 = calloc(n, sizeof(*nf->cn_utf8));
	if (nf->cns == NULL || nf->cn_utf8 == NULL)
		return MAILTLS_ENOMEM;
	for (int idx = -1; nf->n_cns < n
	     && (idx = X509_NAME_get_index_by_NID(name, NID_commonName, idx)) >= 0;) {
		const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
		struct name_id *cn = &nf->cns[nf->n_cns];
		unsigned char *utf8 = NULL;
		int len = ASN1_STRING_to_UTF8(&utf8, s);

		nf->cn_utf8[nf->n_cns++] = len >= 0 ? utf8 : NULL;
		if (len < 0) {	/* undecodable: kept as its raw bytes */
			cn->p = (const char *)ASN1_STRING_get0_data(s);
			cn->len = (size_t)ASN1_STRING_length(s);
			continue;
		}
		cn->p = (const char *)utf8;
		cn->len = (size_t)len;
		for (size_t j = 0; j < n_names && nf->cn_match == NULL; j++)
			if (mailtls_name_match(names[j], cn->p, cn->len) != MAILTLS_NAME_NOMATCH)
				nf->cn_match = names[j];
	}
	return 0;
}

/* dns_facts - every reference name against every DNS-ID of the leaf. */
static int dns_facts(X509 *leaf, const char *const *names, size_t n_names,
		     struct name_facts *nf)
{
	int r;

	nf->kind = NAME_KIND_DNS;
	san_get(leaf, nf);
	if ((r = san_collect(nf->gens, GEN_DNS, &nf->dnsids, &nf->n_dnsids)) != 0)
		return r;
	if (nf->n_dnsids > 0
	    && (nf->dnsid_kinds = calloc(nf->n_dnsids, sizeof(*nf->dnsid_kinds))) == NULL)
		return MAILTLS_ENOMEM;
	for (size_t i = 0; i < nf->n_dnsids; i++)
		nf->dnsid_kinds[i] = mailtls_name_presented_kind(nf->dnsids[i].p, nf->dnsids[i].len);
	if ((nf->refs = calloc(n_names, sizeof(*nf->refs))) == NULL)
		return MAILTLS_ENOMEM;
	for (size_t j = 0; j < n_names; j++) {
		struct name_ref *ref = &nf->refs[nf->n_refs++];

		ref->name = names[j];
		ref->match = match_one(names[j], nf->dnsids, nf->n_dnsids, &ref->which);
		if (ref->match == MAILTLS_NAME_NOMATCH && nf->n_dnsids > 0)
			ref->which = nearest(names[j], nf->dnsids, nf->n_dnsids);
	}
	if (!nf->san_malformed && nf->n_dnsids == 0)
		return cn_facts(leaf, names, n_names, nf);
	return 0;
}

/* ip_facts - the IP literal against the iPAddress entries of the leaf. */
static int ip_facts(X509 *leaf, const char *ip, struct name_facts *nf)
{
	nf->kind = NAME_KIND_IP;
	nf->ip = ip;
	nf->ip_match = X509_check_ip_asc(leaf, ip, 0) == 1;
	san_get(leaf, nf);
	if (nf->ip_match)
		return 0;
	return san_collect(nf->gens, GEN_IPADD, &nf->ipids, &nf->n_ipids);
}

int namefacts_get(X509 *leaf, const char *const *names, size_t n_names, const char *ip,
		  struct name_facts *nf)
{
	memset(nf, 0, sizeof(*nf));
	if (n_names > 0)
		return dns_facts(leaf, names, n_names, nf);
	if (ip != NULL)
		return ip_facts(leaf, ip, nf);
	return 0;
}

void namefacts_clear(struct name_facts *nf)
{
	for (size_t i = 0; nf->cn_utf8 != NULL && i < nf->n_cns; i++)
		OPENSSL_free(nf->cn_utf8[i]);
	free(nf->cn_utf8);
	free(nf->cns);
	free(nf->refs);
	free(nf->dnsid_kinds);
	free(nf->dnsids);
	free(nf->ipids);
	GENERAL_NAMES_free(nf->gens);
	memset(nf, 0, sizeof(*nf));
}
