/*
 * fetch.h - one HTTPS GET on the engine's loop (or, for OCSP, one plain-HTTP POST):
 * libcurl's multi-socket interface driven by the engine's libevent base, as one more kind
 * of engine task (engine_task.h).
 *
 * Made for the MTA-STS policy (RFC 8461 3.3), and strict in the ways it needs:
 *   - the address comes from the caller (our validating resolver), never from curl's own
 *     resolver or /etc/hosts: the host name is pinned to the given addresses
 *     (CURLOPT_RESOLVE), and a socket to any other address is refused
 *     (CURLOPT_OPENSOCKETFUNCTION); no proxy, whatever the environment says;
 *   - full certificate and name verification against the engine's trust anchors (its
 *     ca_file / ca_path, else the system store), TLS 1.2 or later;
 *   - https only (but for a request that asks for plain http: an OCSP responder, whose
 *     answer is signed: RFC 6960 A.1, RFC 5019 5), redirects never followed (the Location is reported), no content
 *     decoding, no cookies, the connection closed after the transfer;
 *   - at most body_max bytes kept: a longer body stops the transfer and is reported;
 *   - one timeout for the whole transfer.
 * The fetch waits for a connection grant from the engine's admission control (a work slot,
 * the per-address limit, the descriptor budget), like a check. It is part of the work of
 * the task that asked (a domain): mailtls_engine_stop_queue() does not drop it.
 * Internal to libmailtls.
 */
#ifndef MAILTLS_FETCH_H
#define MAILTLS_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <mailtls/engine.h>
#include <mailtls/mtasts.h>

#define FETCH_ADDRS_MAX 8

struct fetch_request {
	const char *host;             /* the URL's host name, normalized (names.h); with
	                               * literal_host, an IPv4 or IPv6 literal (no brackets)
	                               * that is the one address given */
	unsigned port;                /* 0: 443 (80 with http) */
	const char *path;             /* "/.well-known/mta-sts.txt" */
	const char *addrs[FETCH_ADDRS_MAX]; /* numeric addresses to connect to, in order */
	size_t n_addrs;               /* at least 1 */
	size_t body_max;              /* bytes kept */
	unsigned timeout_ms;          /* the whole transfer */
	/* For OCSP (RFC 6960 A.1); the MTA-STS fetch leaves these zero. */
	bool http;                    /* plain http:// instead of https (port 0: 80): only
	                               * for content that carries its own signature */
	const void *post;             /* a POST of these post_len bytes (copied; 1 to
	                               * FETCH_POST_MAX), or NULL: a GET */
	size_t post_len;
	const char *post_type;        /* the POST's Content-Type, a media type of letters,
	                               * digits and "/.+-" ("application/ocsp-request") */
	bool literal_host;            /* host may be an address literal (an OCSP URL's) */
};

#define FETCH_POST_MAX 65536

/* What happened. The callee of the done callback owns it: fetch_result_free(). */
struct fetch_result {
	enum mailtls_fetch_status status; /* OK here means: a complete HTTP response within
	                                   * the limit (the caller judges the status code and
	                                   * the content type); TOO_LARGE, CERT, TLS, CONNECT,
	                                   * TIMEOUT, PROTOCOL, FAILED as in mtasts.h */
	char why[256];                /* with anything but OK: in words, with curl's and
	                               * OpenSSL's reasons ("certificate verify failed:
	                               * unable to get local issuer certificate", "no
	                               * alternative certificate subject name matches target
	                               * host name 'mta-sts.example.org'", ...) */
	char addr[64];                /* the address connected to, or "" */
	long http_status;             /* 0: none */
	char *content_type;           /* as sent, raw (NULL: none) */
	char *location;               /* the Location of a redirect (3xx), raw (NULL: none):
	                               * as an absolute URL (curl's reading of it against
	                               * the request's), or as sent when it reads as none */
	char *body;                   /* NUL-terminated, body_len bytes (may hold NULs) */
	size_t body_len;
	double elapsed_ms;
};

struct fetch_op;

typedef void fetch_done_fn(struct fetch_result *r, void *arg);

/* engine_fetch - start a fetch on engine e. done(r, arg) is called once, from the loop
 * (never from inside this call), unless the fetch is cancelled first or the engine is
 * freed. *op is the handle for fetch_cancel(). 0, or a negative MAILTLS_E* code with why
 * (a request that is not one, no memory): done is then never called. */
int engine_fetch(struct mailtls_engine *e, const struct fetch_request *rq, fetch_done_fn *done,
		 void *arg, struct fetch_op **op, char *why, size_t whylen);

/* fetch_cancel - stop op; done is not called. op is invalid afterwards. */
void fetch_cancel(struct fetch_op *op);

void fetch_result_free(struct fetch_result *r);

/* For the engine (engine.c), which makes its fetch context on the first engine_fetch()
 * (engine_fetch_ctx(), engine_task.h) and frees it after its tasks. */
struct fetch_ctx;
struct event_base;

/* fetch_ctx_new - libcurl's multi handle on base, with these trust anchors (both NULL:
 * curl's default, the system store); curl_global_init() once per process before the first.
 * NULL with why filled. */
struct fetch_ctx *fetch_ctx_new(struct event_base *base, const char *ca_file,
				const char *ca_path, char *why, size_t whylen);

/* fetch_ctx_free - NULL is a no-op. Every fetch must be over or abandoned first; the
 * events live until curl has let go of its sockets, so free it before base. */
void fetch_ctx_free(struct fetch_ctx *ctx);

#endif
