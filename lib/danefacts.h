/*
 * danefacts.h - what OpenSSL's DANE verification (RFC 7671, RFC 7672) finds for a presented
 * chain and a set of TLSA records, as facts (struct mailtls_dane_facts, result.h).
 *
 * One setup and one read-out, used two ways: in a check, danefacts_ssl_setup() before the
 * handshake and danefacts_ssl_outcome() after it (OpenSSL verifies inside the handshake,
 * which goes on whatever it finds: SSL_VERIFY_NONE); offline (tests, `names --cert`,
 * `tlsa --domain`), danefacts_get() drives the same OpenSSL code on a chain with no
 * connection at all. Both give the same facts for the same chain and records.
 *
 * Facts only: no finding, no verdict. Internal to libmailtls.
 */
#ifndef MAILTLS_DANEFACTS_H
#define MAILTLS_DANEFACTS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <mailtls/dane.h>
#include <mailtls/result.h>

struct danefacts_params {
	const char *base;             /* the TLSA base domain, normalized (A-labels, lower
	                               * case, no trailing dot): SSL_dane_enable() */
	const char *const *names;     /* further reference names (the MX host name),
	                               * normalized; the base among them is skipped */
	size_t n_names;
	const struct mailtls_tlsa *tlsa; /* the records, as given (limits checked by the
	                                  * caller: engine.c) */
	size_t n_tlsa;
	X509_STORE *store;            /* anchors for PKIX-TA(0)/PKIX-EE(1) records, or NULL
	                               * (then those never verify); borrowed */
	time_t at;                    /* validation time */
};

/* danefacts_init - the records as given into *f (enabled, base, data as hex, accepted -1,
 * matches -1, depths -1), before anything ran, so that a check that ends early still
 * shows them. *f must be zeroed (or cleared). 0 or MAILTLS_ENOMEM (then *f is cleared). */
int danefacts_init(const struct danefacts_params *p, struct mailtls_dane_facts *f);

/* danefacts_ssl_setup - before the handshake: DANE on ssl (whose SSL_CTX had
 * SSL_CTX_dane_enable()): the base (also the SNI when none is set), DANE-EE without name
 * checks (RFC 7672 3.1.1), the other names, no partial wildcards, the validation time,
 * the store, and every record; f->records[i].accepted and .reason say what OpenSSL made of
 * each (after danefacts_init()). 0, MAILTLS_ENOMEM or MAILTLS_ETLS (OpenSSL refused the
 * set-up itself, not a record). */
int danefacts_ssl_setup(SSL *ssl, const struct danefacts_params *p, struct mailtls_dane_facts *f);

/* danefacts_ssl_outcome - after OpenSSL verified presented (leaf first, as sent; the
 * first n are matched against the records, n <= the result's chain_len): verify result,
 * match depth and record, peer name, and per record the presented certificate it matches.
 * 0 or MAILTLS_ENOMEM. */
int danefacts_ssl_outcome(SSL *ssl, const struct danefacts_params *p, STACK_OF(X509) *presented,
			  int n, struct mailtls_dane_facts *f);

/* danefacts_get - offline: the facts OpenSSL's DANE verification gives for presented
 * (leaf first; borrowed) with p's records, names, anchors and time, as a handshake would
 * (an X509_STORE_CTX with the SSL's DANE state, as OpenSSL's client runs it). *f must be
 * zeroed; the caller releases it with mailtls_dane_facts_clear(), also after an error.
 * 0, MAILTLS_EINVAL (no certificate, no base, no record), MAILTLS_ENOMEM, MAILTLS_ETLS. */
int danefacts_get(STACK_OF(X509) *presented, const struct danefacts_params *p,
		  struct mailtls_dane_facts *f);

/* danefacts_assoc - the association data of cert for selector and mtype (RFC 6698 2.1.2,
 * 2.1.3) into a buffer the caller frees with free(). 0, MAILTLS_EINVAL (selector or mtype
 * out of range) or MAILTLS_ENOMEM. */
int danefacts_assoc(X509 *cert, uint8_t selector, uint8_t mtype, unsigned char **out,
		    size_t *outlen);

/* danefacts_hex - len bytes as lower-case hex (owned string), or NULL on ENOMEM. */
char *danefacts_hex(const unsigned char *p, size_t len);

#endif
