/*
 * chainsearch.h - the paths OpenSSL does not try: when its verification of a presented
 * chain fails, search the other paths that the presented certificates and the trust store
 * allow (cross-signed intermediates) and say whether one verifies.
 *
 * Facts only (certpolicy.c judges them). The verification settings every run shares
 * (chainfacts.c's runs and each candidate's) are here too: chainsearch_ctx_init().
 * Internal to libmailtls.
 *
 * What OpenSSL 3.0 does (X509_verify_cert(), found by experiment with 3.0.19, see
 * docs/security.md): it builds ONE path. For each certificate it takes the issuer from the
 * trust store first (X509_V_FLAG_TRUSTED_FIRST, on by default since 1.1.0), else from the
 * untrusted (presented) certificates in the order sent: the first whose subject is the
 * issuer name, whose key identifier and key type fit (ossl_x509_likely_issued(); its
 * signature is not checked then) and that is valid at the verification time, else the
 * matching one with the latest notAfter. It
 * then checks that one path (signatures, dates of every certificate, the anchor's trust,
 * name constraints, purpose). A failure there never makes it try another issuer. Its
 * "alternative chains" retry (1.0.2 on; off with X509_V_FLAG_NO_ALT_CHAINS) only runs
 * when the path ends at an untrusted certificate whose issuer was not found, and only
 * looks in the trust store for an issuer of a certificate lower in that path; with
 * trusted-first every issuer was looked up in the store already, so it finds nothing new
 * and never swaps one presented intermediate for another. So a server that sends a
 * cross-signed intermediate that leads to a dead end (an untrusted or expired root, a
 * name constraint) before the one that leads to a valid anchor fails every OpenSSL 3.0
 * client (Postfix, Exim built with OpenSSL, `openssl verify`); `openssl verify` shows
 * "error 20 at 1 depth lookup: unable to get local issuer certificate" where the same
 * certificates sent the other way round verify.
 */
#ifndef MAILTLS_CHAINSEARCH_H
#define MAILTLS_CHAINSEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#define CHAINSEARCH_DEPTH_MAX 10  /* most certificates above the leaf in a candidate path */
#define CHAINSEARCH_PATHS_MAX 32  /* candidate paths verified, at most */
#define CHAINSEARCH_ISSUERS_MAX 8 /* trust-store issuers of one certificate tried */
#define CHAINSEARCH_LINKS_MAX 256 /* signature checks while building candidates */
#define CHAINSEARCH_PATH_LEN (CHAINSEARCH_DEPTH_MAX + 1)

struct chain_search {
	bool searched;                /* OpenSSL's path failed for a reason another path might
	                               * avoid, and the search ran */
	bool found;                   /* a candidate path verified */
	STACK_OF(X509) *path;         /* when found: the path OpenSSL verified from exactly
	                               * that candidate, leaf first, anchor last (owned) */
	int pos[CHAINSEARCH_PATH_LEN + 1]; /* per certificate of path: its position as
	                               * presented (0 = the leaf), -1 when it was not presented
	                               * (an anchor from the trust store) */
	bool fix_verified;            /* the presented certificates of path below the anchor,
	                               * sent alone in path order, verify against the whole
	                               * trust store with the settings OpenSSL clients use */
	size_t tried;                 /* candidate paths verified */
	bool limited;                 /* a bound stopped the search before every path was
	                               * tried (none of those tried verified) */
};

/* chainsearch_ctx_init - X509_STORE_CTX_init(ctx, store, leaf, untrusted) with the
 * settings of every verification run: time `at`, extra verify flags, purpose and trust
 * sslserver, authentication level 2. Returns 1, or 0 on failure (memory). */
int chainsearch_ctx_init(X509_STORE_CTX *ctx, X509_STORE *store, X509 *leaf,
			 STACK_OF(X509) *untrusted, time_t at, unsigned long flags);

/* chainsearch_run - search the paths from the leaf (presented[0]) through presented[1..n-1]
 * and the anchors of store (issuer name, X509_check_issued(), signature), depth-first,
 * trust-store issuers first, then presented ones in the order sent; verify each complete
 * candidate with OpenSSL (a store holding only its anchor, the store's parameters, the
 * candidate's intermediates as untrusted) until one verifies, within the bounds above.
 * presented is borrowed. Fills *cs (released with chainsearch_clear(), also after an
 * error). Returns 0 or MAILTLS_ENOMEM. */
int chainsearch_run(STACK_OF(X509) *presented, int n, X509_STORE *store, time_t at,
		    struct chain_search *cs);

/* chainsearch_clear - release what *cs owns and zero it; a zeroed *cs is a no-op. */
void chainsearch_clear(struct chain_search *cs);

#endif
