/*
 * verify.c - a presented certificate chain to certificate facts, findings and verdict.
 *
 * NAME
 *	verify_store_new, verify_chain
 * SYNOPSIS
 *	#include "verify.h"
 * DESCRIPTION
 *	The entry point of certificate verification for a check (dialog.c) and for the offline
 *	`cert` command (cert.c). It only sequences the modules that do the work, facts first,
 *	policy after (Postfix tls_verify.c style):
 *
 *	truststore.c   the trust anchors (verify_store_new() is truststore_new());
 *	x509info.c     the facts of each presented certificate, into res->chain;
 *	chainfacts.c   path validation, lenient and strict: errors per depth, the verified
 *	               path, how a chain longer than VERIFY_CHAIN_MAX was cut (through
 *	               chaincache.c when the caller has a cache: the engine does);
 *	namefacts.c    the leaf against the reference names (RFC 9525) or the IP literal;
 *	ocspfacts.c    a stapled OCSP response: signature, the leaf's status, dates;
 *	certpolicy.c   those facts to cert.* and ocsp.* findings and res->would_authenticate.
 * DIAGNOSTICS
 *	verify_chain() returns 0 (problems are findings), MAILTLS_EINVAL for an empty chain or
 *	no store, MAILTLS_ENOMEM.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/x509.h>
#include <mailtls/mailtls.h>
#include "certpolicy.h"
#include "chaincache.h"
#include "chainfacts.h"
#include "namefacts.h"
#include "nameconstraints.h"
#include "certtext.h"
#include "ocspfacts.h"
#include "truststore.h"
#include "verify.h"
#include "x509info.h"

/* verify_store_new - truststore_new(), under the name engine.c, cert.c and the tests know. */
X509_STORE *verify_store_new(const char *ca_file, const char *ca_path, char *why, size_t whylen)
{
	return truststore_new(ca_file, ca_path, why, whylen);
}

/* fill_chain - certinfo for each verified certificate, appended to res->chain. */
static int fill_chain(STACK_OF(X509) *presented, int n, time_t at, struct mailtls_result *res)
{
	struct mailtls_certinfo *v = realloc(res->chain, (res->chain_len + (size_t)n) * sizeof(*v));

	if (v == NULL)
		return MAILTLS_ENOMEM;
	res->chain = v;
	for (int i = 0; i < n; i++) {
		memset(&v[res->chain_len], 0, sizeof(*v));
		res->chain_len++;
		if (x509info_fill(sk_X509_value(presented, i), at, &v[res->chain_len - 1]) != 0)
			return MAILTLS_ENOMEM;
	}
	return 0;
}

/* record_names - the reference identities into res->reference_names, unless the caller
 * recorded them already (a check records them before it connects, so that a failed
 * connection still shows them). */
static int record_names(const struct verify_params *p, struct mailtls_result *res)
{
	int r = 0;

	if (res->reference_names.n > 0)
		return 0;
	for (size_t j = 0; j < p->n_names && r == 0; j++)
		r = mailtls_strlist_add(&res->reference_names, p->names[j], MAILTLS_NAME_MAX);
	if (r == 0 && p->n_names == 0 && p->ip != NULL)
		r = mailtls_strlist_add(&res->reference_names, p->ip, 64);
	return r;
}

/* record_search - the facts of the path search (chainsearch.h) into res->path_search. */
static int record_search(const struct chain_facts *cf, struct mailtls_result *res)
{
	const struct chain_search *cs = &cf->search;
	struct mailtls_path_search *ps = &res->path_search;
	char label[256];

	mailtls_path_search_clear(ps);
	if (!cs->searched)
		return 0;
	ps->searched = true;
	ps->found = cs->found;
	ps->fix_verified = cs->fix_verified;
	ps->paths_tried = cs->tried;
	ps->limited = cs->limited;
	if (cf->lenient.n > 0) {
		ps->openssl_error = cf->lenient.v[0].code;
		ps->openssl_error_depth = cf->lenient.v[0].depth;
		if ((ps->openssl_error_text = strdup(X509_verify_cert_error_string(ps->openssl_error))) == NULL)
			return MAILTLS_ENOMEM;
	}
	for (int i = 0; cs->found && i < sk_X509_num(cs->path) && i < MAILTLS_PATH_SEARCH_LEN; i++) {
		certtext_label(sk_X509_value(cs->path, i), label, sizeof(label));
		if ((ps->path[i] = strdup(label)) == NULL)
			return MAILTLS_ENOMEM;
		ps->path_pos[i] = cs->pos[i];
		ps->path_len++;
	}
	return 0;
}

/* check_nc - mailtls's own name-constraint check on the path that verified (OpenSSL's, or
 * the alternate one); the CAs' positions as presented. */
static void check_nc(const struct chain_facts *cf, const struct name_facts *nf,
		     STACK_OF(X509) *presented, int n, struct nc_facts *nc)
{
	STACK_OF(X509) *path = cf->verified ? cf->path : cf->search.found ? cf->search.path : NULL;

	nameconstraints_check(path, nf, nc);
	for (size_t i = 0; i < nc->n; i++)
		for (int k = 0; k < n && nc->v[i].ca_pos < 0; k++)
			if (X509_cmp(sk_X509_value(presented, k), nc->v[i].ca) == 0)
				nc->v[i].ca_pos = k;
}

int verify_chain(STACK_OF(X509) *presented, const struct verify_params *p,
		 struct mailtls_result *res)
{
	struct chain_facts *cf = NULL;
	const struct chain_facts *facts = NULL;
	struct name_facts nf;
	struct nc_facts *nc = NULL;   /* 16 issues of 2 names each: kept off the stack */
	int total = presented != NULL ? sk_X509_num(presented) : 0;
	int n = total > VERIFY_CHAIN_MAX ? VERIFY_CHAIN_MAX : total;
	int r;

	if (n <= 0 || p == NULL || p->store == NULL)
		return MAILTLS_EINVAL;
	/* Two runs of up to CHAINFACTS_ERRS_MAX errors: kept off the stack. */
	if (p->cache == NULL && (cf = calloc(1, sizeof(*cf))) == NULL)
		return MAILTLS_ENOMEM;
	memset(&nf, 0, sizeof(nf));
	res->validation_time = p->at;
	r = fill_chain(presented, n, p->at, res);
	if (r == 0)
		r = record_names(p, res);
	if (r == 0 && p->cache != NULL)
		r = chaincache_get(p->cache, presented, VERIFY_CHAIN_MAX, p->store, p->at, &facts);
	else if (r == 0 && (r = chainfacts_get(presented, VERIFY_CHAIN_MAX, p->store, p->at, cf)) == 0)
		facts = cf;
	if (r == 0)
		r = namefacts_get(sk_X509_value(presented, 0), p->names, p->n_names, p->ip, &nf);
	if (r == 0)
		r = record_search(facts, res);
	if (r == 0 && (nc = calloc(1, sizeof(*nc))) == NULL)
		r = MAILTLS_ENOMEM;
	if (r == 0) {
		check_nc(facts, &nf, presented, n, nc);
		r = certpolicy_apply(facts, &nf, &(struct certpolicy_params){ .at = p->at,
				     .warn_days = p->warn_days, .nc = nc }, res);
	}
	if (r == 0 && p->ocsp != NULL && p->ocsp_len > 0) {
		r = ocspfacts_get(p->ocsp, p->ocsp_len, presented, p->store, p->at, &res->ocsp);
		if (r == 0)
			r = certpolicy_ocsp(&res->ocsp, p->at, res);
	}
	free(nc);
	namefacts_clear(&nf);
	if (cf != NULL)
		chainfacts_clear(cf);
	free(cf);
	return r;
}
