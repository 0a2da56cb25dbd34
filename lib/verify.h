/*
 * verify.h - turn a presented certificate chain into certificate facts, cert.* findings and
 * the would_authenticate verdict: chain trust, RFC 9525 identity, validity period and
 * expiry, key and signature strength.
 *
 * The entry point used by dialog.c (a check) and cert.c (offline). The work is done by
 * truststore.c (anchors), chainfacts.c and namefacts.c (facts, no judgement) and
 * certpolicy.c (the one place that judges them). Internal to libmailtls.
 */
#ifndef MAILTLS_VERIFY_H
#define MAILTLS_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <openssl/x509.h>
#include <mailtls/result.h>

#define VERIFY_CHAIN_MAX 16       /* longest chain we accept as presented */

struct verify_params {
	X509_STORE *store;            /* trust anchors (borrowed); from verify_store_new() */
	const char *const *names;     /* reference names, normalized (A-labels, lower case) */
	size_t n_names;
	const char *ip;               /* when no names: the IP literal connected to, or NULL */
	time_t at;                    /* validation time */
	int warn_days;                /* warn when notAfter is within this many days */
	struct chaincache *cache;     /* chain facts seen before (the engine's), or NULL */
	const unsigned char *ocsp;    /* the OCSP response the server stapled (DER, borrowed),
	                               * or NULL: its facts go to res->ocsp, ocsp.* findings */
	size_t ocsp_len;
};

struct chaincache;

/* verify_store_new - truststore_new() (truststore.h): load trust anchors, ca_file and/or
 * ca_path, or the system default when both are NULL. Returns a store the caller frees with
 * X509_STORE_free(), or NULL with why filled. */
X509_STORE *verify_store_new(const char *ca_file, const char *ca_path, char *why, size_t whylen);

/* verify_chain - presented: the chain as the server sent it, leaf first (borrowed; the
 * caller keeps ownership). Appends certinfo for each verified certificate (the first
 * VERIFY_CHAIN_MAX) to res->chain, copies the reference names into res->reference_names
 * unless some are there, adds findings (cert.*; ocsp.* for a stapled response), and sets
 * res->would_authenticate.
 * Returns 0, or MAILTLS_ENOMEM / MAILTLS_EINVAL (empty chain, no store). */
int verify_chain(STACK_OF(X509) *presented, const struct verify_params *p,
		 struct mailtls_result *res);

#endif
