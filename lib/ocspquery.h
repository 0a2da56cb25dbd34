/*
 * ocspquery.h - ask the OCSP responder the leaf names (its AIA) about the leaf, on the
 * engine: the responder's host looked up with the engine's resolver, one HTTP POST of an
 * OCSPRequest (RFC 6960 A.1.1) as a fetch task (fetch.h), and the answer read with the
 * staple's code (ocspfacts.c).
 *
 * Facts only, into a struct mailtls_ocsp_responder: no finding (certpolicy_ocsp_responder()
 * judges them). One request per call; bounded by one timeout for the lookup and the
 * transfer together. Internal to libmailtls.
 */
#ifndef MAILTLS_OCSPQUERY_H
#define MAILTLS_OCSPQUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <openssl/x509.h>
#include <mailtls/engine.h>
#include <mailtls/result.h>

#define OCSPQUERY_BODY_MAX (64 * 1024)   /* bytes of a response read (the staple's limit) */
#define OCSPQUERY_URL_MAX 1024           /* longer AIA URLs are not asked */

struct ocspquery_params {
	STACK_OF(X509) *presented;    /* the chain as the server sent it, leaf first
	                               * (borrowed for the call; referenced while asking) */
	X509_STORE *store;            /* trust anchors (referenced while asking) */
	time_t at;                    /* validation time */
	unsigned timeout_ms;          /* the lookup and the transfer together; 0: no time is
	                               * left, nothing is asked (recorded as FAILED) */
	int family;                   /* 0, 4 or 6: the responder's addresses looked up */
};

struct ocsp_query;

/* ocspquery_start - fill *out (borrowed until done runs or the query is cancelled; the
 * caller zeroed it) with what the responder says about the leaf.
 * Returns 0: the query runs, done(arg) follows once from the loop (never from inside this
 * call) unless ocspquery_cancel() comes first; *qp is its handle.
 * Returns 1: *out already holds the whole story (the leaf names no responder, the URL is
 * not usable, no issuer, no time, the request could not start); done is never called.
 * Returns MAILTLS_ENOMEM: *out may be partly filled; done is never called. */
int ocspquery_start(struct mailtls_engine *e, const struct ocspquery_params *p,
		    struct mailtls_ocsp_responder *out, void (*done)(void *arg), void *arg,
		    struct ocsp_query **qp);

/* ocspquery_cancel - stop q; done is not called. NULL is a no-op. */
void ocspquery_cancel(struct ocsp_query *q);

/* The parts, for tests. */

/* ocspquery_parse_url - split an OCSP URL: "http://" or "https://" (any case), a host (a
 * DNS name, normalized into host; an IPv4 literal; an IPv6 literal in brackets, stored
 * without them), an optional ":PORT" (1-65535), and the path with any query (default
 * "/"), printable ASCII without spaces, no userinfo, no fragment. 0, or -1 with why. */
int ocspquery_parse_url(const char *url, bool *https, char *host, size_t hostlen,
			unsigned *port, char *path, size_t pathlen, char *why, size_t whylen);

/* ocspquery_request - the DER OCSPRequest for leaf, issued by issuer: one CertID with SHA-1
 * hashes (RFC 5019 2.1.1: what every responder answers), no nonce, unsigned. *der is
 * malloc'ed (the caller frees it). 0 or MAILTLS_ENOMEM / MAILTLS_EINVAL. */
int ocspquery_request(X509 *leaf, X509 *issuer, unsigned char **der, size_t *len);

#endif
