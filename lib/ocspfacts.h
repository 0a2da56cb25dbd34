/*
 * ocspfacts.h - what a stapled OCSP response says about the leaf: decoded, its signature
 * checked against the trust store with the presented chain, the leaf's status and whether
 * the response is current at the validation time.
 *
 * Facts only: no finding, no verdict (certpolicy.c turns these into ocsp.* findings). The
 * response is the one the server stapled in the handshake (tls.c asks for it), or the one
 * the leaf's responder answered (ocspquery.c fetches it; the same checks apply). Internal
 * to libmailtls.
 */
#ifndef MAILTLS_OCSPFACTS_H
#define MAILTLS_OCSPFACTS_H

#include <stddef.h>
#include <time.h>
#include <openssl/x509.h>
#include <mailtls/result.h>

#define OCSPFACTS_DER_MAX (64 * 1024)  /* larger staples are reported, never parsed */

/* Clocks of responders, servers and the checker drift: thisUpdate up to this far in the
 * future and nextUpdate up to this far in the past are still current (OpenSSL's
 * OCSP_check_validity() takes the same kind of leeway; `openssl ocsp` uses 5 minutes). */
#define OCSPFACTS_SKEW_SECS (5 * 60)

/* ocspfacts_get - the facts of the stapled response der/len (borrowed; len > 0) about the
 * leaf of presented (leaf first, as sent; borrowed), against store at time at. Fills *f
 * (stapled is set true), which the caller releases with mailtls_ocsp_facts_clear(), also
 * after an error. Returns 0 (an unparsable or unverifiable response is a fact) or
 * MAILTLS_ENOMEM / MAILTLS_EINVAL (no chain, no store). */
int ocspfacts_get(const unsigned char *der, size_t len, STACK_OF(X509) *presented,
		  X509_STORE *store, time_t at, struct mailtls_ocsp_facts *f);

/* ocspfacts_issuer - the certificate that issued leaf: the first presented one after the
 * leaf that did (X509_check_issued), else the trust store's. Referenced: the caller frees
 * it with X509_free(). NULL when neither has it. */
X509 *ocspfacts_issuer(STACK_OF(X509) *presented, X509_STORE *store, X509 *leaf);

#endif
