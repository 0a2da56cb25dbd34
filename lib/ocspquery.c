/*
 * ocspquery.c - ask the leaf's OCSP responder (ocspquery.h).
 *
 * NAME
 *	ocspquery_start, ocspquery_cancel, ocspquery_parse_url, ocspquery_request
 * DESCRIPTION
 *	The first OCSP URL of the leaf's Authority Information Access (RFC 5280 4.2.2.1)
 *	is parsed; the leaf's issuer is found as for a staple (presented, else the trust
 *	store's); the request is one CertID (SHA-1, RFC 5019 2.1.1) without a nonce; the
 *	responder's host is looked up with the engine's resolver (an address literal is used
 *	as it is; a DNSSEC-bogus answer gives no address); the request is POSTed as
 *	application/ocsp-request (RFC 6960 A.1.1) by a fetch task, over plain http when the
 *	URL says so (the answer is signed: its integrity is the signature's, and the
 *	verification below is the staple's); a 200 answer of type application/ocsp-response
 *	is read with ocspfacts_get().
 *
 *	Why POST, not GET: a GET carries the request base64- and URL-encoded in the path and
 *	only fits under 255 bytes (RFC 6960 A.1); its one advantage is HTTP caching, which
 *	a checker must not want. POST is what every responder must accept.
 *
 *	Why no nonce: RFC 5019 responders (every public CA's) answer from pre-signed
 *	responses and ignore nonces, so asking for one would be judged against nothing.
 *	Without one, a response can be replayed by whoever sits on the path until its
 *	nextUpdate: the answer proves what the CA signed at thisUpdate, no later.
 * DIAGNOSTICS
 *	Everything that goes wrong with the responder is a fact in the result (query, why).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include <mailtls/mailtls.h>
#include "dns.h"
#include "engine_task.h"
#include "fetch.h"
#include "ocspfacts.h"
#include "ocspquery.h"

#define RESPONSE_TYPE "application/ocsp-response"

struct ocsp_query {
	struct mailtls_engine *e;
	struct mailtls_ocsp_responder *out;
	STACK_OF(X509) *presented;    /* referenced */
	X509_STORE *store;            /* referenced */
	time_t at;
	bool https;
	char host[MAILTLS_NAME_MAX + 1];
	unsigned port;
	char path[OCSPQUERY_URL_MAX + 1];
	unsigned char *der;           /* the request */
	size_t der_len;
	struct timespec started;
	unsigned timeout_ms;
	struct dns_lookup *dl;
	struct event *ev_dns;         /* the lookup's share of the timeout */
	struct fetch_op *fetch;
	void (*done)(void *arg);
	void *arg;
};

static double ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) * 1e3 + (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
}

/* note - out->query = q, out->why = a copy of why (escaped). 0 or ENOMEM. */
static int note(struct mailtls_ocsp_responder *out, enum mailtls_ocsp_query q, const char *why)
{
	out->query = q;
	free(out->why);
	out->why = NULL;
	if (why != NULL && (out->why = mailtls_escape(why, strlen(why))) == NULL)
		return MAILTLS_ENOMEM;
	return 0;
}

static void query_free(struct ocsp_query *q)
{
	if (q == NULL)
		return;
	dns_cancel(q->dl);
	if (q->ev_dns != NULL)
		event_free(q->ev_dns);
	if (q->fetch != NULL)
		fetch_cancel(q->fetch);
	sk_X509_pop_free(q->presented, X509_free);
	X509_STORE_free(q->store);
	free(q->der);
	free(q);
}

void ocspquery_cancel(struct ocsp_query *q)
{
	query_free(q);
}

/* finish - the query is over (we are in the loop): freed, then the owner told. */
static void finish(struct ocsp_query *q)
{
	void (*done)(void *) = q->done;
	void *arg = q->arg;

	q->out->elapsed_ms = ms_since(&q->started);
	query_free(q);
	done(arg);
}

/* ---- The URL and the request ---- */

static bool host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

int ocspquery_parse_url(const char *url, bool *https, char *host, size_t hostlen,
			unsigned *port, char *path, size_t pathlen, char *why, size_t whylen)
{
	const char *h, *end, *p;
	char raw[MAILTLS_NAME_MAX + 1];
	size_t n;

	if (strlen(url) > OCSPQUERY_URL_MAX) {
		snprintf(why, whylen, "the URL is over %d bytes", OCSPQUERY_URL_MAX);
		return -1;
	}
	for (p = url; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f) {
			snprintf(why, whylen, "the URL holds a space or a byte outside printable "
				 "ASCII");
			return -1;
		}
	if (strncasecmp(url, "http://", 7) == 0) {
		*https = false;
		h = url + 7;
	} else if (strncasecmp(url, "https://", 8) == 0) {
		*https = true;
		h = url + 8;
	} else {
		snprintf(why, whylen, "not an http:// or https:// URL");
		return -1;
	}
	end = h + strcspn(h, "/?#");
	if (memchr(h, '@', (size_t)(end - h)) != NULL) {
		snprintf(why, whylen, "the URL has a user name");
		return -1;
	}
	*port = *https ? 443 : 80;
	if (*h == '[') {                              /* an IPv6 literal */
		const char *close = memchr(h, ']', (size_t)(end - h));
		struct in6_addr a6;

		n = close != NULL ? (size_t)(close - h - 1) : 0;
		if (close == NULL || n == 0 || n >= sizeof(raw)) {
			snprintf(why, whylen, "the URL's IPv6 address is not bracketed");
			return -1;
		}
		memcpy(raw, h + 1, n);
		raw[n] = '\0';
		if (inet_pton(AF_INET6, raw, &a6) != 1 || n >= hostlen) {
			snprintf(why, whylen, "the URL's host is not an IPv6 address");
			return -1;
		}
		memcpy(host, raw, n + 1);
		p = close + 1;
	} else {
		struct in_addr a4;

		for (p = h; p < end && *p != ':'; p++)
			if (!host_char(*p)) {
				snprintf(why, whylen, "the URL's host holds '%c'", *p);
				return -1;
			}
		n = (size_t)(p - h);
		if (n == 0 || n >= sizeof(raw)) {
			snprintf(why, whylen, "the URL has no host, or a host over %d bytes",
				 MAILTLS_NAME_MAX);
			return -1;
		}
		memcpy(raw, h, n);
		raw[n] = '\0';
		if (inet_pton(AF_INET, raw, &a4) == 1) {
			if (n >= hostlen)
				return snprintf(why, whylen, "no room"), -1;
			memcpy(host, raw, n + 1);
		} else if (mailtls_name_normalize(raw, host, hostlen) != 0) {
			snprintf(why, whylen, "the URL's host is not a DNS name");
			return -1;
		}
	}
	if (p < end && *p == ':') {
		unsigned long v = 0;
		const char *d = ++p;

		for (; p < end && *p >= '0' && *p <= '9' && p - d < 6; p++)
			v = v * 10 + (unsigned long)(*p - '0');
		if (p == d || p != end || v < 1 || v > 65535) {
			snprintf(why, whylen, "the URL's port is not 1 to 65535");
			return -1;
		}
		*port = (unsigned)v;
	}
	if (p != end) {
		snprintf(why, whylen, "the URL's host is followed by junk");
		return -1;
	}
	if (strchr(end, '#') != NULL) {
		snprintf(why, whylen, "the URL has a fragment");
		return -1;
	}
	n = (size_t)snprintf(path, pathlen, "%s%s", *end == '/' ? "" : "/", end);
	if (n >= pathlen) {
		snprintf(why, whylen, "the URL's path is too long");
		return -1;
	}
	return 0;
}

int ocspquery_request(X509 *leaf, X509 *issuer, unsigned char **der, size_t *len)
{
	OCSP_REQUEST *rq = NULL;
	OCSP_CERTID *id = NULL;
	unsigned char *buf = NULL, *w;
	int n, r = MAILTLS_ENOMEM;

	*der = NULL;
	*len = 0;
	if (leaf == NULL || issuer == NULL)
		return MAILTLS_EINVAL;
	if ((rq = OCSP_REQUEST_new()) == NULL ||
	    (id = OCSP_cert_to_id(EVP_sha1(), leaf, issuer)) == NULL)
		goto out;
	if (OCSP_request_add0_id(rq, id) == NULL)
		goto out;
	id = NULL;   /* the request's now */
	if ((n = i2d_OCSP_REQUEST(rq, NULL)) <= 0 || (buf = malloc((size_t)n)) == NULL)
		goto out;
	w = buf;
	if (i2d_OCSP_REQUEST(rq, &w) != n)
		goto out;
	*der = buf;
	*len = (size_t)n;
	buf = NULL;
	r = 0;
out:
	free(buf);
	OCSP_CERTID_free(id);
	OCSP_REQUEST_free(rq);
	ERR_clear_error();
	return r;
}

/* ---- Asking ---- */

static unsigned ms_left(const struct ocsp_query *q)
{
	double used = ms_since(&q->started);

	return used >= q->timeout_ms ? 0 : q->timeout_ms - (unsigned)used;
}

/* response_facts - a finished fetch into *out, the body read when it is an OCSP
 * response. 0 or ENOMEM. */
static int response_facts(struct ocsp_query *q, const struct fetch_result *fr)
{
	struct mailtls_ocsp_responder *out = q->out;
	const char *ct = fr->content_type;
	bool http = fr->status == MAILTLS_FETCH_OK;
	char buf[160];

	out->http_status = fr->http_status;
	if ((fr->addr[0] != '\0' && (out->addr = strdup(fr->addr)) == NULL) ||
	    (ct != NULL && (out->content_type = mailtls_escape(ct, strlen(ct))) == NULL))
		return MAILTLS_ENOMEM;
	if (!http)
		return note(out, MAILTLS_OCSP_QUERY_TRANSPORT, fr->why);
	if (fr->http_status != 200) {
		snprintf(buf, sizeof(buf), "HTTP status %ld%s", fr->http_status,
			 fr->http_status >= 300 && fr->http_status < 400 ?
			 " (a redirect, not followed)" : "");
		return note(out, MAILTLS_OCSP_QUERY_HTTP_STATUS, buf);
	}
	/* RFC 6960 A.2: the media type is application/ocsp-response (parameters allowed). */
	if (ct == NULL || strcspn(ct, "; \t") != strlen(RESPONSE_TYPE) ||
	    strncasecmp(ct, RESPONSE_TYPE, strlen(RESPONSE_TYPE)) != 0)
		return note(out, MAILTLS_OCSP_QUERY_CONTENT_TYPE, ct != NULL ?
			    "the media type is not " RESPONSE_TYPE : "no media type");
	out->query = MAILTLS_OCSP_QUERY_ANSWERED;
	/* An empty body is read as what it is: a response that does not decode. */
	return ocspfacts_get(fr->body != NULL ? (const unsigned char *)fr->body
			     : (const unsigned char *)"", fr->body_len, q->presented, q->store,
			     q->at, &out->facts);
}

static void on_fetch(struct fetch_result *fr, void *arg)
{
	struct ocsp_query *q = arg;

	q->fetch = NULL;
	if (response_facts(q, fr) != 0)
		note(q->out, MAILTLS_OCSP_QUERY_FAILED, "out of memory");
	fetch_result_free(fr);
	finish(q);
}

/* start_fetch - POST the request to addrs. 0, or -1 with the fact recorded (the caller
 * ends the query). */
static int start_fetch(struct ocsp_query *q, const char *const *addrs, size_t n)
{
	struct fetch_request rq = {
		.host = q->host, .port = q->port, .path = q->path,
		.body_max = OCSPQUERY_BODY_MAX, .timeout_ms = ms_left(q),
		.http = !q->https, .post = q->der, .post_len = q->der_len,
		.post_type = "application/ocsp-request", .literal_host = true,
	};
	char why[256];

	if (rq.timeout_ms == 0) {
		note(q->out, MAILTLS_OCSP_QUERY_FAILED, "no time left for the request");
		return -1;
	}
	for (size_t i = 0; i < n && i < FETCH_ADDRS_MAX; i++)
		rq.addrs[rq.n_addrs++] = addrs[i];
	if (engine_fetch(q->e, &rq, on_fetch, q, &q->fetch, why, sizeof(why)) != 0) {
		note(q->out, MAILTLS_OCSP_QUERY_FAILED, why);
		return -1;
	}
	return 0;
}

static void on_addrs(const struct dns_addrs *r, void *arg)
{
	struct ocsp_query *q = arg;
	char text[FETCH_ADDRS_MAX][INET6_ADDRSTRLEN];
	const char *addrs[FETCH_ADDRS_MAX];
	size_t n = 0;
	char why[600];

	q->dl = NULL;
	evtimer_del(q->ev_dns);
	for (size_t i = 0; r->security != DNS_BOGUS && i < r->n && n < FETCH_ADDRS_MAX; i++) {
		const struct sockaddr_storage *ss = &r->addr[i];
		const void *ip = ss->ss_family == AF_INET6
				 ? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
				 : (const void *)&((const struct sockaddr_in *)ss)->sin_addr;

		if (inet_ntop(ss->ss_family, ip, text[n], sizeof(text[n])) != NULL) {
			addrs[n] = text[n];
			n++;
		}
	}
	if (n == 0) {
		if (r->security == DNS_BOGUS)
			snprintf(why, sizeof(why), "the address records of %s are DNSSEC-bogus",
				 q->host);
		else
			snprintf(why, sizeof(why), "%s does not resolve: %s", q->host,
				 r->why[0] ? r->why : "no address");
		note(q->out, MAILTLS_OCSP_QUERY_NO_ADDRESS, why);
		finish(q);
		return;
	}
	if (start_fetch(q, addrs, n) != 0)
		finish(q);
}

static void on_dns_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct ocsp_query *q = arg;
	char why[128];
	(void)fd;
	(void)what;

	snprintf(why, sizeof(why), "no answer from the resolver within %u ms", q->timeout_ms);
	dns_deadline(q->dl, why);   /* on_addrs() with whatever arrived */
}

/* first_ocsp_url - the leaf's first AIA OCSP URL, copied, or NULL (none, or ENOMEM with
 * *nomem set). */
static char *first_ocsp_url(X509 *leaf, bool *nomem)
{
	STACK_OF(OPENSSL_STRING) *urls = X509_get1_ocsp(leaf);
	char *u = NULL;

	*nomem = false;
	if (urls != NULL && sk_OPENSSL_STRING_num(urls) > 0 &&
	    (u = strdup(sk_OPENSSL_STRING_value(urls, 0))) == NULL)
		*nomem = true;
	X509_email_free(urls);   /* frees a stack of strings, as X509_get1_ocsp() asks */
	ERR_clear_error();
	return u;
}

int ocspquery_start(struct mailtls_engine *e, const struct ocspquery_params *p,
		    struct mailtls_ocsp_responder *out, void (*done)(void *arg), void *arg,
		    struct ocsp_query **qp)
{
	struct ocsp_query *q = NULL;
	X509 *leaf, *issuer = NULL;
	char *url = NULL;
	char why[256];
	bool nomem;
	int r = MAILTLS_ENOMEM;

	*qp = NULL;
	if (p->presented == NULL || sk_X509_num(p->presented) == 0 || p->store == NULL)
		return note(out, MAILTLS_OCSP_QUERY_FAILED, "no certificate to ask about") ? r : 1;
	leaf = sk_X509_value(p->presented, 0);
	if ((url = first_ocsp_url(leaf, &nomem)) == NULL)
		return nomem ? r : (note(out, MAILTLS_OCSP_QUERY_NO_URL, NULL), 1);
	if ((out->url = mailtls_escape(url, strlen(url))) == NULL ||
	    (q = calloc(1, sizeof(*q))) == NULL)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &q->started);
	q->e = e;
	q->out = out;
	q->at = p->at;
	q->timeout_ms = p->timeout_ms;
	q->done = done;
	q->arg = arg;
	if (ocspquery_parse_url(url, &q->https, q->host, sizeof(q->host), &q->port, q->path,
				sizeof(q->path), why, sizeof(why)) != 0) {
		r = note(out, MAILTLS_OCSP_QUERY_BAD_URL, why) ? r : 1;
		goto out;
	}
	if ((issuer = ocspfacts_issuer(p->presented, p->store, leaf)) == NULL) {
		r = note(out, MAILTLS_OCSP_QUERY_NO_ISSUER, "the certificate's issuer is neither "
			 "presented nor a trust anchor: no request can name it") ? r : 1;
		goto out;
	}
	if (p->timeout_ms == 0) {
		r = note(out, MAILTLS_OCSP_QUERY_FAILED, "no time left in the check's deadline")
		    ? r : 1;
		goto out;
	}
	if ((r = ocspquery_request(leaf, issuer, &q->der, &q->der_len)) != 0)
		goto out;
	r = MAILTLS_ENOMEM;
	if ((q->presented = X509_chain_up_ref(p->presented)) == NULL ||
	    X509_STORE_up_ref(p->store) != 1)
		goto out;
	q->store = p->store;
	struct in_addr a4;

	if (inet_pton(AF_INET, q->host, &a4) == 1 || strchr(q->host, ':') != NULL) {
		const char *addrs[1] = { q->host };

		r = start_fetch(q, addrs, 1) == 0 ? 0 : 1;
	} else {
		struct dns_ctx *d = engine_dns(e);
		struct timeval tv = { .tv_sec = q->timeout_ms / 1000,
				      .tv_usec = (q->timeout_ms % 1000) * 1000 };

		if (d == NULL) {
			r = note(out, MAILTLS_OCSP_QUERY_NO_ADDRESS, engine_dns_why(e)) ? r : 1;
			goto out;
		}
		if ((q->ev_dns = evtimer_new(engine_base(e), on_dns_timeout, q)) == NULL)
			goto out;
		if (dns_lookup_addrs(d, q->host, q->port, p->family, on_addrs, q, &q->dl) != 0) {
			r = note(out, MAILTLS_OCSP_QUERY_FAILED, "cannot start the DNS lookup")
			    ? r : 1;
			goto out;
		}
		evtimer_add(q->ev_dns, &tv);
		r = 0;
	}
out:
	if (r == 0) {
		*qp = q;
	} else {
		if (r == 1 && q != NULL)
			out->elapsed_ms = ms_since(&q->started);
		query_free(q);
	}
	X509_free(issuer);
	free(url);
	return r;
}
