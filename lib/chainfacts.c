/*
 * chainfacts.c - path validation of a presented chain, kept as facts.
 *
 * NAME
 *	chainfacts_get, chainfacts_clear, chainfacts_has, chainfacts_issuer_unknown
 * SYNOPSIS
 *	#include "chainfacts.h"
#include "chainsearch.h"
 * DESCRIPTION
 *	chainfacts_get() lets OpenSSL build and verify the path with the verification time
 *	always set (results are deterministic), purpose and trust sslserver (RFC 5280
 *	4.2.1.12; an anchor whose trust settings reject serverAuth is refused), and
 *	authentication security level 2 (Debian's default: RSA >= 2048, no SHA-1), without
 *	X509_V_FLAG_X509_STRICT: the lenient run is what real verifying senders (Postfix, Exim,
 *	`openssl verify`) decide. The verify callback records every (depth, error) and always
 *	continues, so one run reports all problems (Postfix tls_verify.c style).
 *	Only the first `max` presented certificates are verified; when more were sent, the
 *	facts say whether the issuer the path stopped at was among the ones cut off.
 *	A second run adds X509_V_FLAG_X509_STRICT (RFC 5280 profile checks, as x509-limbo's
 *	OpenSSL harness runs); the errors only it records (missing key identifiers,
 *	non-critical basicConstraints on a CA, v1 CAs...) are kept apart.
 *
 *	What the errors mean for the verdict, and which of them are one cause reported twice,
 *	is decided by certpolicy.c.
 * DIAGNOSTICS
 *	chainfacts_get() returns 0, MAILTLS_EINVAL or MAILTLS_ENOMEM.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <mailtls/mailtls.h>
#include "chainfacts.h"
#include "chainsearch.h"
#include "x509info.h"

/* What the verify callback writes to. */
struct run_state {
	struct chain_errs *errs;
	time_t at;
	STACK_OF(X509) *presented;
	int n;                        /* of them verified */
};

/* presented_pos - where cert stands in the chain as the server sent it (0 = the leaf), or
 * -1 when it was not sent (an anchor from the trust store). */
static int presented_pos(const struct run_state *st, const X509 *cert)
{
	if (cert == NULL)
		return -1;
	for (int i = 0; i < st->n; i++)
		if (sk_X509_value(st->presented, i) == cert)
			return i;
	for (int i = 0; i < st->n; i++)
		if (X509_cmp(sk_X509_value(st->presented, i), cert) == 0)
			return i;
	return -1;
}

/* verify_cb - record the error and continue, so that every problem is reported.
 * RFC 5280 4.1.2.5: the validity period includes notAfter; OpenSSL treats the exact
 * notAfter second as expired, so that one case is not recorded. */
static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	struct run_state *st = X509_STORE_CTX_get_app_data(ctx);
	int code = X509_STORE_CTX_get_error(ctx);
	int depth = X509_STORE_CTX_get_error_depth(ctx);
	X509 *cert = X509_STORE_CTX_get_current_cert(ctx);
	struct chain_errs *errs;

	if (ok || st == NULL)
		return 1;
	errs = st->errs;
	if (code == X509_V_ERR_CERT_HAS_EXPIRED && cert != NULL
	    && x509info_asn1_time(X509_get0_notAfter(cert)) == st->at)
		return 1;
	if (chainfacts_has(errs, depth, code))
		return 1;
	if (errs->n < CHAINFACTS_ERRS_MAX) {
		struct chain_err *e = &errs->v[errs->n++];

		e->code = code;
		e->depth = depth;
		e->pos = presented_pos(st, cert);
		e->cert = cert;
		if (cert != NULL)
			X509_up_ref(cert);
	}
	return 1;
}

/* skip_signatures - the strict run's replacement for OpenSSL's last step (the signature
 * and validity-period checks of each certificate in the built path). Only what the strict
 * run finds beyond the lenient one is kept, and signatures and dates are the same in both
 * runs: checking them twice would double the public-key work of every check. The strict
 * profile's own checks (extensions, key usage, names) come before this step and still
 * run. */
static int skip_signatures(X509_STORE_CTX *ctx)
{
	(void)ctx;
	return 1;
}

/* chain_run - one path validation of the first n presented certificates with the given
 * verify flags; fills *errs with every recorded (depth, error) and, when path is not NULL
 * and no error was recorded, *path with the verified path. Returns 0 or MAILTLS_ENOMEM. */
static int chain_run(STACK_OF(X509) *presented, int n, X509_STORE *store, time_t at,
		     unsigned long flags, struct chain_errs *errs, STACK_OF(X509) **path)
{
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	struct run_state st = { .errs = errs, .at = at, .presented = presented, .n = n };
	int r = MAILTLS_ENOMEM;

	if (untrusted == NULL || ctx == NULL)
		goto out;
	for (int i = 1; i < n; i++)
		if (!sk_X509_push(untrusted, sk_X509_value(presented, i)))
			goto out;
	if (!chainsearch_ctx_init(ctx, store, sk_X509_value(presented, 0), untrusted, at, flags))
		goto out;
	X509_STORE_CTX_set_app_data(ctx, &st);
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
	if (flags & X509_V_FLAG_X509_STRICT)
		X509_STORE_CTX_set_verify(ctx, skip_signatures);
	if (X509_verify_cert(ctx) <= 0 && errs->n == 0) {
		/* Failed without telling the callback (internal error): still a fact. */
		errs->v[0].code = X509_STORE_CTX_get_error(ctx);
		errs->v[0].depth = 0;
		errs->v[0].pos = -1;
		errs->v[0].cert = NULL;
		errs->n = 1;
		if (errs->v[0].code == X509_V_OK)
			errs->v[0].code = X509_V_ERR_UNSPECIFIED;
	}
	if (path != NULL && errs->n == 0 && X509_STORE_CTX_get0_chain(ctx) != NULL
	    && (*path = X509_STORE_CTX_get1_chain(ctx)) == NULL)
		goto out;
	r = 0;
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	ERR_clear_error();
	return r;
}

/* errs_clear - drop the certificate references of errs and empty it. */
static void errs_clear(struct chain_errs *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		X509_free(errs->v[i].cert);
	errs->n = 0;
}

/* strict_run - the X509_STRICT run; keeps in cf->strict_only what the lenient run did not
 * record. */
static int strict_run(STACK_OF(X509) *presented, X509_STORE *store, time_t at,
		      struct chain_facts *cf)
{
	struct chain_errs *strict = calloc(1, sizeof(*strict));
	int r;

	if (strict == NULL)
		return MAILTLS_ENOMEM;
	r = chain_run(presented, cf->n, store, at, X509_V_FLAG_X509_STRICT, strict, NULL);
	for (size_t i = 0; i < strict->n; i++) {
		struct chain_err *e = &strict->v[i];

		if (chainfacts_has(&cf->lenient, e->depth, e->code))
			continue;
		cf->strict_only.v[cf->strict_only.n++] = *e;	/* the reference moves */
		e->cert = NULL;
	}
	errs_clear(strict);
	free(strict);
	return r;
}

/* find_cut - for a chain longer than n that did not verify: the first issuer-unknown error
 * whose issuer (X509_check_issued) is a presented certificate past the first n. */
static void find_cut(STACK_OF(X509) *presented, struct chain_facts *cf)
{
	for (size_t i = 0; i < cf->lenient.n; i++) {
		const struct chain_err *e = &cf->lenient.v[i];

		if (!chainfacts_issuer_unknown(e->code) || e->cert == NULL)
			continue;
		for (int k = cf->n; k < cf->total; k++) {
			X509 *issuer = sk_X509_value(presented, k);

			if (X509_check_issued(issuer, e->cert) != X509_V_OK)
				continue;
			cf->cut_depth = e->depth;
			cf->cut_cert = e->cert;
			cf->cut_issuer_pos = k;
			cf->cut_issuer = issuer;
			return;
		}
	}
}

/* leaf_facts - validity period, key and signature digest of the leaf. */
static void leaf_facts(X509 *leaf, struct chain_leaf *lf)
{
	EVP_PKEY *pkey = X509_get0_pubkey(leaf);
	int digest = NID_undef;

	lf->not_before = x509info_asn1_time(X509_get0_notBefore(leaf));
	lf->not_after = x509info_asn1_time(X509_get0_notAfter(leaf));
	lf->key_type = pkey != NULL ? EVP_PKEY_get_base_id(pkey) : EVP_PKEY_NONE;
	lf->key_bits = pkey != NULL ? EVP_PKEY_get_bits(pkey) : 0;
	if (X509_get_signature_info(leaf, &digest, NULL, NULL, NULL) != 1)
		digest = NID_undef;
	lf->sig_digest = digest;
	lf->sig_nid = X509_get_signature_nid(leaf);
	ERR_clear_error();
}

/* other_path_may_help - some lenient error is one another path might avoid: not every
 * error is about the leaf's own dates, key or purpose, or a self-signed leaf. */
static bool other_path_may_help(const struct chain_errs *errs)
{
	for (size_t i = 0; i < errs->n; i++) {
		const struct chain_err *e = &errs->v[i];

		if (e->depth != 0)
			return true;
		switch (e->code) {
		case X509_V_ERR_CERT_HAS_EXPIRED:
		case X509_V_ERR_CERT_NOT_YET_VALID:
		case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		case X509_V_ERR_EE_KEY_TOO_SMALL:
		case X509_V_ERR_INVALID_PURPOSE:
		case X509_V_ERR_INVALID_EXTENSION:
			continue;
		default:
			return true;
		}
	}
	return false;
}

/* leaf_issuer_presented - a presented certificate after the leaf, among the first n, has
 * the leaf's issuer name as subject. */
static bool leaf_issuer_presented(STACK_OF(X509) *presented, int n)
{
	const X509_NAME *issuer = X509_get_issuer_name(sk_X509_value(presented, 0));

	for (int k = 1; k < n; k++)
		if (X509_NAME_cmp(X509_get_subject_name(sk_X509_value(presented, k)), issuer) == 0)
			return true;
	return false;
}

int chainfacts_get(STACK_OF(X509) *presented, int max, X509_STORE *store, time_t at,
		   struct chain_facts *cf)
{
	int r;

	memset(cf, 0, sizeof(*cf));
	cf->cut_depth = -1;
	cf->cut_issuer_pos = -1;
	cf->total = presented != NULL ? sk_X509_num(presented) : 0;
	cf->n = cf->total > max ? max : cf->total;
	if (cf->n <= 0 || store == NULL)
		return MAILTLS_EINVAL;
	cf->leaf = sk_X509_value(presented, 0);
	cf->leaf_issuer_presented = leaf_issuer_presented(presented, cf->n);
	r = chain_run(presented, cf->n, store, at, 0, &cf->lenient, &cf->path);
	if (r != 0)
		return r;
	cf->verified = cf->lenient.n == 0;
	if (cf->total > cf->n && !cf->verified)
		find_cut(presented, cf);
	if ((r = strict_run(presented, store, at, cf)) != 0)
		return r;
	if (!cf->verified && other_path_may_help(&cf->lenient)
	    && (r = chainsearch_run(presented, cf->n, store, at, &cf->search)) != 0)
		return r;
	leaf_facts(cf->leaf, &cf->leaf_facts);
	return 0;
}

void chainfacts_clear(struct chain_facts *cf)
{
	errs_clear(&cf->lenient);
	errs_clear(&cf->strict_only);
	sk_X509_pop_free(cf->path, X509_free);
	chainsearch_clear(&cf->search);
	memset(cf, 0, sizeof(*cf));
}

bool chainfacts_has(const struct chain_errs *errs, int depth, int code)
{
	for (size_t i = 0; i < errs->n; i++)
		if (errs->v[i].depth == depth && errs->v[i].code == code)
			return true;
	return false;
}

bool chainfacts_issuer_unknown(int code)
{
	return code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT
	       || code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
	       || code == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
}
