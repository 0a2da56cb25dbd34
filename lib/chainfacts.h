/*
 * chainfacts.h - what path validation says about a presented certificate chain: the
 * errors OpenSSL records per depth, whether a trusted path was built and which, what only
 * the strict RFC 5280 profile refuses, how a chain longer than we verify was cut, and the
 * leaf's validity and key.
 *
 * Facts only: no finding, no verdict (certpolicy.c turns these into findings). Identity is
 * not here (namefacts.h). Internal to libmailtls.
 */
#ifndef MAILTLS_CHAINFACTS_H
#define MAILTLS_CHAINFACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <openssl/x509.h>
#include "chainsearch.h"

#define CHAINFACTS_ERRS_MAX 64    /* most (depth, error) records kept from one run */

/* One error OpenSSL reported during path validation. */
struct chain_err {
	int depth;                    /* in the path OpenSSL built, 0 = the leaf; an anchor
	                               * taken from the trust store may lie past the presented
	                               * certificates */
	int pos;                      /* the certificate's position as presented (0 = the
	                               * leaf), or -1 when it was not presented or unnamed */
	int code;                     /* X509_V_ERR_* */
	X509 *cert;                   /* referenced (owned by the facts); NULL when OpenSSL
	                               * named no certificate */
};

/* The errors of one run, in the order OpenSSL reported them, one per (depth, code). */
struct chain_errs {
	struct chain_err v[CHAINFACTS_ERRS_MAX];
	size_t n;
};

/* The leaf as a verifying client weighs it beside the path. */
struct chain_leaf {
	time_t not_before;            /* 0 when unparsable */
	time_t not_after;
	int key_type;                 /* EVP_PKEY_RSA, EVP_PKEY_EC, ...; EVP_PKEY_NONE when
	                               * the key cannot be read */
	int key_bits;
	int sig_digest;               /* digest of the leaf's signature (NID_sha1...);
	                               * NID_undef when OpenSSL cannot tell */
	int sig_nid;                  /* the signature algorithm (NID_ecdsa_with_SHA256...) */
};

struct chain_facts {
	X509 *leaf;                   /* the first presented certificate (borrowed) */
	int total;                    /* certificates presented */
	int n;                        /* of them verified: the first n (n <= max) */
	struct chain_errs lenient;    /* the run as verifying senders do it (no X509_STRICT) */
	bool verified;                /* the lenient run recorded no error */
	STACK_OF(X509) *path;         /* when verified: the path built, leaf first, anchor last
	                               * (owned); else NULL */
	struct chain_errs strict_only; /* what the X509_STRICT run recorded and the lenient
	                                * one did not, in the strict run's order */
	bool leaf_issuer_presented;   /* a presented certificate (2nd..n-th) has the leaf's
	                               * issuer name as subject: when OpenSSL still says the
	                               * leaf's issuer is unknown, it did not link them */
	/* total > n and not verified: an issuer-unknown error of the lenient run whose issuer
	 * is among the presented certificates past the first n (the first such error). */
	int cut_depth;                /* depth of the certificate whose issuer was cut, or -1 */
	X509 *cut_cert;               /* that certificate (borrowed from lenient), or NULL */
	int cut_issuer_pos;           /* its issuer's position as sent, 0 = the leaf */
	X509 *cut_issuer;             /* that issuer (borrowed from the presented chain) */
	struct chain_leaf leaf_facts;
	/* Not verified: the other paths the presented certificates and the trust store allow
	 * (chainsearch.h), searched unless every lenient error is one no other path can
	 * avoid (the leaf's own dates, key, purpose, or a self-signed leaf). */
	struct chain_search search;
};

/* chainfacts_get - validate the first `max` certificates of presented (leaf first, as the
 * server sent them; borrowed, must outlive *cf) against store at time `at`: a lenient
 * run, then an X509_STRICT run. Fills *cf, which the caller releases with
 * chainfacts_clear(), also after an error. Returns 0, MAILTLS_EINVAL (empty chain, no
 * store) or MAILTLS_ENOMEM. */
int chainfacts_get(STACK_OF(X509) *presented, int max, X509_STORE *store, time_t at,
		   struct chain_facts *cf);

/* chainfacts_clear - release what *cf owns and leave it zeroed; a zeroed *cf is a no-op. */
void chainfacts_clear(struct chain_facts *cf);

/* chainfacts_has - errs recorded code at depth. */
bool chainfacts_has(const struct chain_errs *errs, int depth, int code);

/* chainfacts_issuer_unknown - code says the issuer of the certificate was not found. */
bool chainfacts_issuer_unknown(int code);

#endif
