/*
 * verify.h - turn a presented certificate chain into certificate facts and findings:
 * chain trust, RFC 9525 identity, validity period and expiry, key and signature strength.
 *
 * Facts first, policy after (Postfix): OpenSSL's verification runs with a callback that
 * always continues and records every error, so one run reports all problems. Identity is
 * checked by our own RFC 9525 matcher (names.h), never by the CN.
 * Internal to libmailtls.
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
};

/* verify_store_new - load trust anchors: ca_file and/or ca_path, or the system default when
 * both are NULL. Certificates from ca_file/ca_path are anchors even when not self-signed
 * (the store carries X509_V_FLAG_PARTIAL_CHAIN); the system store's are not (no partial
 * chains). Returns a store the caller frees with X509_STORE_free(), or NULL with why filled
 * (ca_file a directory: "PATH: is a directory (use --ca-path)"). */
X509_STORE *verify_store_new(const char *ca_file, const char *ca_path, char *why, size_t whylen);

/* verify_chain - presented: the chain as the server sent it, leaf first (borrowed; the
 * caller keeps ownership). Appends certinfo for each presented certificate to res->chain,
 * copies the reference names into res->reference_names, adds findings (cert.*), and sets
 * res->would_authenticate. Returns 0, or MAILTLS_ENOMEM / MAILTLS_EINVAL (empty chain). */
int verify_chain(STACK_OF(X509) *presented, const struct verify_params *p,
		 struct mailtls_result *res);

#endif
