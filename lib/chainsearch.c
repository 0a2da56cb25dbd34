/*
 * chainsearch.c - search the paths OpenSSL does not try, when its one path fails.
 *
 * NAME
 *	chainsearch_ctx_init, chainsearch_run, chainsearch_clear
 * SYNOPSIS
 *	#include "chainsearch.h"
 * DESCRIPTION
 *	chainsearch.h says what OpenSSL 3.0 does with alternative paths and why this exists.
 *	chainsearch_run() walks the issuer graph depth-first from the leaf: at each
 *	certificate, issuers from the trust store (by subject name, at most
 *	CHAINSEARCH_ISSUERS_MAX) end a candidate path; presented certificates with the issuer
 *	name extend it. A link is only followed when X509_check_issued() accepts it and the
 *	issuer's key verifies the signature, so the candidates are real paths and few.
 *	Each complete candidate is verified by OpenSSL itself, over exactly that path (a
 *	store with only its anchor and the real store's parameters, the candidate's
 *	intermediates as the untrusted certificates), with the same time, flags, purpose and
 *	level as the main verification; the first that verifies is the answer. Bounded by
 *	depth, candidates, issuers per certificate and signature checks.
 *
 *	The path found is then checked once more as OpenSSL clients would see it if the
 *	server sent only that path's certificates: against the whole trust store.
 * DIAGNOSTICS
 *	chainsearch_run() returns 0 (no path found is a fact) or MAILTLS_ENOMEM.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <mailtls/mailtls.h>
#include "chainsearch.h"

#define CHAINSEARCH_AUTH_LEVEL 2  /* Debian's default security level (openssl.cnf) */

struct search {
	STACK_OF(X509) *presented;
	int n;
	X509_STORE *store;
	X509_STORE_CTX *lookup;       /* over store, for its certificates by subject */
	time_t at;
	X509 *path[CHAINSEARCH_PATH_LEN];
	int len;
	size_t links;
	bool stop;                    /* found, or a bound reached */
	int err;                      /* MAILTLS_ENOMEM */
	struct chain_search *cs;
};

int chainsearch_ctx_init(X509_STORE_CTX *ctx, X509_STORE *store, X509 *leaf,
			 STACK_OF(X509) *untrusted, time_t at, unsigned long flags)
{
	X509_VERIFY_PARAM *vp;

	if (X509_STORE_CTX_init(ctx, store, leaf, untrusted) != 1)
		return 0;
	vp = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_flags(vp, flags);
	X509_VERIFY_PARAM_set_time(vp, at);
	X509_VERIFY_PARAM_set_auth_level(vp, CHAINSEARCH_AUTH_LEVEL);
	/* After init: X509_STORE_CTX_init() derives the trust setting from the purpose, so a
	 * purpose set on the parameters afterwards would leave trust at X509_TRUST_DEFAULT and
	 * accept an anchor whose trust settings reject serverAuth. */
	return X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER) == 1
	       && X509_STORE_CTX_set_trust(ctx, X509_TRUST_SSL_SERVER) == 1;
}

/* on_path - cert is already on the candidate path. */
static bool on_path(const struct search *s, const X509 *cert)
{
	for (int i = 0; i < s->len; i++)
		if (s->path[i] == cert || X509_cmp(s->path[i], cert) == 0)
			return true;
	return false;
}

/* links_to - issuer plausibly issued x and its key verifies x's signature. */
static bool links_to(struct search *s, X509 *x, X509 *issuer)
{
	EVP_PKEY *key;
	bool ok;

	if (X509_check_issued(issuer, x) != X509_V_OK)
		return false;
	if (s->links >= CHAINSEARCH_LINKS_MAX) {
		s->cs->limited = true;
		s->stop = true;
		return false;
	}
	s->links++;
	key = X509_get0_pubkey(issuer);
	ok = key != NULL && X509_verify(x, key) == 1;
	ERR_clear_error();
	return ok;
}

/* presented_pos - where cert stands as presented (0 = the leaf), or -1. */
static int presented_pos(const struct search *s, const X509 *cert)
{
	for (int i = 0; i < s->n; i++)
		if (sk_X509_value(s->presented, i) == cert)
			return i;
	for (int i = 0; i < s->n; i++)
		if (X509_cmp(sk_X509_value(s->presented, i), cert) == 0)
			return i;
	return -1;
}

/* verify_with - OpenSSL's verification of leaf with the untrusted certificates given,
 * against store; *chain gets the verified path when chain is not NULL. Returns 1
 * verified, 0 not, -1 no memory. */
static int verify_with(X509_STORE *store, X509 *leaf, STACK_OF(X509) *untrusted, time_t at,
		       STACK_OF(X509) **chain)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int r = -1;

	if (ctx != NULL && chainsearch_ctx_init(ctx, store, leaf, untrusted, at, 0)) {
		r = X509_verify_cert(ctx) == 1 ? 1 : 0;
		if (r == 1 && chain != NULL && (*chain = X509_STORE_CTX_get1_chain(ctx)) == NULL)
			r = -1;
	}
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return r;
}

/* fix_check - the path found, its presented certificates below the anchor sent alone in
 * path order, against the whole store. */
static int fix_check(struct search *s)
{
	struct chain_search *cs = s->cs;
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	int last = sk_X509_num(cs->path) - 1;
	int r;

	if (untrusted == NULL)
		return MAILTLS_ENOMEM;
	for (int i = 1; i < last; i++)
		if (cs->pos[i] > 0 && !sk_X509_push(untrusted, sk_X509_value(cs->path, i))) {
			sk_X509_free(untrusted);
			return MAILTLS_ENOMEM;
		}
	r = verify_with(s->store, sk_X509_value(cs->path, 0), untrusted, s->at, NULL);
	sk_X509_free(untrusted);
	if (r < 0)
		return MAILTLS_ENOMEM;
	cs->fix_verified = r == 1;
	return 0;
}

/* try_path - verify the candidate s->path[0..len-1] ending at anchor (from the store). */
static void try_path(struct search *s, X509 *anchor)
{
	struct chain_search *cs = s->cs;
	X509_STORE *one = NULL;
	STACK_OF(X509) *untrusted = NULL;
	STACK_OF(X509) *chain = NULL;
	int r;

	if (cs->tried >= CHAINSEARCH_PATHS_MAX) {
		cs->limited = true;
		s->stop = true;
		return;
	}
	cs->tried++;
	if ((one = X509_STORE_new()) == NULL || (untrusted = sk_X509_new_null()) == NULL
	    || X509_STORE_set1_param(one, X509_STORE_get0_param(s->store)) != 1
	    || X509_STORE_add_cert(one, anchor) != 1)
		goto nomem;
	for (int i = 1; i < s->len; i++)
		if (!sk_X509_push(untrusted, s->path[i]))
			goto nomem;
	r = verify_with(one, s->path[0], untrusted, s->at, &chain);
	if (r < 0)
		goto nomem;
	if (r == 1 && sk_X509_num(chain) <= CHAINSEARCH_PATH_LEN + 1) {
		cs->found = true;
		cs->path = chain;
		chain = NULL;
		for (int i = 0; i < sk_X509_num(cs->path); i++)
			cs->pos[i] = presented_pos(s, sk_X509_value(cs->path, i));
		s->stop = true;
		if ((r = fix_check(s)) != 0)
			s->err = r;
	}
	goto out;
nomem:
	s->err = MAILTLS_ENOMEM;
	s->stop = true;
out:
	sk_X509_pop_free(chain, X509_free);
	sk_X509_free(untrusted);
	X509_STORE_free(one);
	ERR_clear_error();
}

/* extend - every candidate path that continues s->path (bounded recursion: depth). */
static void extend(struct search *s)
{
	X509 *x = s->path[s->len - 1];
	const X509_NAME *iname = X509_get_issuer_name(x);
	STACK_OF(X509) *anchors;
	int tried = 0;

	if (s->len > CHAINSEARCH_DEPTH_MAX)
		return;
	/* 1. An anchor from the trust store ends the path. */
	anchors = X509_STORE_CTX_get1_certs(s->lookup, (X509_NAME *)iname);
	ERR_clear_error();
	for (int i = 0; anchors != NULL && i < sk_X509_num(anchors) && !s->stop; i++) {
		X509 *a = sk_X509_value(anchors, i);

		if (on_path(s, a) || !links_to(s, x, a))
			continue;
		if (tried++ >= CHAINSEARCH_ISSUERS_MAX) {
			s->cs->limited = true;
			break;
		}
		try_path(s, a);
	}
	sk_X509_pop_free(anchors, X509_free);
	/* 2. A presented certificate with the issuer name extends it. */
	for (int k = 1; k < s->n && !s->stop; k++) {
		X509 *c = sk_X509_value(s->presented, k);

		if (X509_NAME_cmp(X509_get_subject_name(c), iname) != 0 || on_path(s, c)
		    || !links_to(s, x, c))
			continue;
		s->path[s->len++] = c;
		extend(s);
		s->len--;
	}
}

int chainsearch_run(STACK_OF(X509) *presented, int n, X509_STORE *store, time_t at,
		    struct chain_search *cs)
{
	struct search s;

	memset(cs, 0, sizeof(*cs));
	if (presented == NULL || n <= 0 || store == NULL)
		return MAILTLS_EINVAL;
	memset(&s, 0, sizeof(s));
	s.presented = presented;
	s.n = n;
	s.store = store;
	s.at = at;
	s.cs = cs;
	if ((s.lookup = X509_STORE_CTX_new()) == NULL
	    || X509_STORE_CTX_init(s.lookup, store, NULL, NULL) != 1) {
		X509_STORE_CTX_free(s.lookup);
		ERR_clear_error();
		return MAILTLS_ENOMEM;
	}
	cs->searched = true;
	s.path[0] = sk_X509_value(presented, 0);
	s.len = 1;
	extend(&s);
	X509_STORE_CTX_free(s.lookup);
	ERR_clear_error();
	return s.err;
}

void chainsearch_clear(struct chain_search *cs)
{
	sk_X509_pop_free(cs->path, X509_free);
	memset(cs, 0, sizeof(*cs));
}
