/*
 * fetch.c - one HTTPS GET as an engine task (fetch.h): libcurl's multi-socket interface
 * driven by the engine's libevent loop.
 *
 * The engine has one fetch context, made on its first fetch: a curl multi handle, one timer
 * event for the timeout curl asks for, and one event per socket curl watches. curl's two
 * callbacks only change those events (never calling back into curl); curl is driven from
 * the events alone (curl_multi_socket_action), and after each call the finished transfers
 * are collected (curl_multi_info_read) and handed over. So every owner's callback runs from
 * the loop, outside any curl call, and may start or cancel other fetches.
 *
 * A fetch's life: queued for a work slot -> waiting for a connection to its first address
 * (the slot given back, as a check does: engine.c) -> its easy handle in the multi -> the
 * result to the owner, the grant given back first. Each easy handle has a DNS cache of its
 * own (a curl share) holding only its pinned addresses: fetches of one host name to other
 * addresses never see each other's, and nothing is left behind in the multi when a fetch
 * ends (pinned entries never expire, and a scan of many domains would pile them up).
 *
 * Not here: what the response means (the MTA-STS policy reader and the verdict).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>
#include <curl/curl.h>
#include <event2/event.h>
#include <openssl/x509.h>
#include <mailtls/mailtls.h>
#include "admit.h"
#include "engine_task.h"
#include "escape.h"
#include "curlapi.h"
#include "fetch.h"

#define FETCH_BODY_LIMIT (16u << 20)   /* the largest body_max accepted */
#define FETCH_TIMEOUT_LIMIT 3600000u   /* the longest timeout_ms accepted (an hour) */
#define FETCH_PATH_MAX 2048            /* bytes of a path */
#define FETCH_BODY_FIRST 16384         /* the body buffer's first size; it doubles */
/* Response header bytes, every line of every response (1xx included). curl's own bound is
 * per line (CURL_MAX_HTTP_HEADER, 100 KB); counting every line here keeps the whole small
 * and known (curl also keeps the headers it read, for its header API). */
#define FETCH_HEADER_MAX 65536

union fetch_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* A socket curl asked us to watch. */
struct fetch_sock {
	struct fetch_ctx *ctx;
	curl_socket_t fd;
	struct event *ev;
	LIST_ENTRY(fetch_sock) link;
};

LIST_HEAD(sock_list, fetch_sock);

struct fetch_ctx {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;                    /* the timeout curl asked for */
	char *ca_file;                          /* both NULL: curl's default (system) store */
	char *ca_path;
	struct sock_list socks;                 /* every socket watched */
};

struct fetch_op {
	struct engine_task task;                /* first: the engine's view of it */
	struct fetch_ctx *ctx;

	/* The request, copied. */
	char *host;                             /* normalized */
	char *path;
	unsigned port;
	union fetch_addr addrs[FETCH_ADDRS_MAX];
	size_t n_addrs;
	size_t body_max;
	unsigned timeout_ms;
	bool http;                              /* plain http (OCSP) */
	bool literal;                           /* host is an address literal */
	unsigned char *post;                    /* a POST's body, or NULL */
	size_t post_len;
	char *post_type;

	/* The transfer, from the connection grant on. */
	CURL *easy;
	CURLSH *share;                          /* the easy handle's own DNS cache */
	struct curl_slist *resolve;             /* "HOST:PORT:ADDR,..." */
	struct curl_slist *headers;             /* a POST's Content-Type */
	bool in_multi;
	char errbuf[CURL_ERROR_SIZE];           /* curl's words for a failure */
	size_t body_cap;                        /* bytes allocated at res->body */
	size_t header_bytes;
	bool too_large;                         /* the write callback stopped at body_max */
	bool headers_too_large;                 /* the header callback stopped */
	bool nomem;
	char refused[INET6_ADDRSTRLEN + 8];     /* an address curl wanted and we refused */
	int sock_errno;                         /* socket() failed with it */
	struct timespec started;

	struct fetch_result *res;               /* made at submission: there is always one to
	                                         * hand over */
	fetch_done_fn *done;
	void *arg;
};

/* ---- libcurl ---- */

/* libcurl's functions (curlapi.h): set by the first fetch_ctx_new() that loads it, the same
 * table for every context after; no curl handle exists before. */
static const struct curl_api *cu;

/* ---- The result ---- */

void fetch_result_free(struct fetch_result *r)
{
	if (r == NULL)
		return;
	free(r->content_type);
	free(r->location);
	free(r->body);
	free(r);
}

/* set_why - r->why = "LEAD: DETAIL" (or one of them), on one line, printable: curl's and
 * OpenSSL's messages are not ours to trust (a server's name is in some). */
static void set_why(struct fetch_result *r, const char *lead, const char *detail)
{
	size_t n;

	if (detail == NULL || detail[0] == '\0')
		snprintf(r->why, sizeof(r->why), "%s", lead != NULL ? lead : "");
	else if (lead == NULL || lead[0] == '\0')
		snprintf(r->why, sizeof(r->why), "%s", detail);
	else
		snprintf(r->why, sizeof(r->why), "%s: %s", lead, detail);
	n = strlen(r->why);
	while (n > 0 && (r->why[n - 1] == '\n' || r->why[n - 1] == '\r' || r->why[n - 1] == ' '))
		r->why[--n] = '\0';
	mailtls_escape_inplace(r->why, sizeof(r->why));
}

static double ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) * 1e3 + (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
}

/* ---- A fetch's life ---- */

/* op_detach - take the transfer out of curl (closing its connection: no reuse) and free
 * curl's handles. The socket and timer callbacks may run meanwhile; they touch the
 * context only. */
static void op_detach(struct fetch_op *op)
{
	if (op->easy != NULL) {
		if (op->in_multi)
			cu->multi_remove_handle(op->ctx->multi, op->easy);
		op->in_multi = false;
		cu->easy_cleanup(op->easy);
		op->easy = NULL;
	}
	if (op->share != NULL) {
		cu->share_cleanup(op->share);   /* after the easy handle: it is in use until then */
		op->share = NULL;
	}
	cu->slist_free_all(op->resolve);
	op->resolve = NULL;
	cu->slist_free_all(op->headers);
	op->headers = NULL;
}

static void op_free(struct fetch_op *op)
{
	if (op == NULL)
		return;
	op_detach(op);
	fetch_result_free(op->res);
	free(op->host);
	free(op->path);
	free(op->post);
	free(op->post_type);
	free(op);
}

/* handover - the fetch is over: its grant given back, it is freed, then the owner gets the
 * result (we are in the loop, outside curl). */
static void handover(struct fetch_op *op)
{
	struct fetch_result *r = op->res;
	fetch_done_fn *done = op->done;
	void *arg = op->arg;

	op->res = NULL;
	op_detach(op);
	engine_task_end(&op->task);
	op_free(op);
	done(r, arg);
}

/* fail - end a fetch that did not get to an answer of curl's. */
static void fail(struct fetch_op *op, enum mailtls_fetch_status status, const char *lead,
		 const char *detail)
{
	op->res->status = status;
	set_why(op->res, lead, detail);
	if (op->started.tv_sec != 0 || op->started.tv_nsec != 0)
		op->res->elapsed_ms = ms_since(&op->started);
	handover(op);
}

/* ---- curl's callbacks for one transfer ---- */

/* on_body - keep at most body_max bytes; a short count stops the transfer (CURLE_WRITE_ERROR,
 * read as TOO_LARGE). With a Content-Length over the limit curl stops before the body
 * (CURLOPT_MAXFILESIZE_LARGE); without one (chunked, or up to the close) it is here. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct fetch_op *op = arg;
	struct fetch_result *r = op->res;
	size_t n = size * nmemb;
	size_t room = op->body_max - r->body_len;
	bool over = n > room;
	size_t take = over ? room : n;

	if (take > 0 && r->body_len + take + 1 > op->body_cap) {
		size_t cap = op->body_cap;
		char *p;

		while (cap < r->body_len + take + 1)
			cap *= 2;
		if (cap > op->body_max + 1)
			cap = op->body_max + 1;
		if ((p = realloc(r->body, cap)) == NULL) {
			op->nomem = true;
			return 0;
		}
		r->body = p;
		op->body_cap = cap;
	}
	memcpy(r->body + r->body_len, data, take);
	r->body_len += take;
	r->body[r->body_len] = '\0';
	if (over) {
		op->too_large = true;
		return take;   /* short: curl stops */
	}
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct fetch_op *op = arg;
	size_t n = size * nmemb;
	(void)data;

	op->header_bytes += n;
	if (op->header_bytes > FETCH_HEADER_MAX) {
		op->headers_too_large = true;
		return 0;
	}
	return n;
}

/* addr_allowed - a is one of the request's addresses, at the request's port. */
static bool addr_allowed(const struct fetch_op *op, const union fetch_addr *a)
{
	for (size_t i = 0; i < op->n_addrs; i++) {
		const union fetch_addr *w = &op->addrs[i];

		if (w->sa.sa_family != a->sa.sa_family)
			continue;
		if (a->sa.sa_family == AF_INET && a->in.sin_port == w->in.sin_port &&
		    a->in.sin_addr.s_addr == w->in.sin_addr.s_addr)
			return true;
		if (a->sa.sa_family == AF_INET6 && a->in6.sin6_port == w->in6.sin6_port &&
		    memcmp(&a->in6.sin6_addr, &w->in6.sin6_addr, sizeof(w->in6.sin6_addr)) == 0)
			return true;
	}
	return false;
}

/* on_opensocket - curl wants a socket for a connection: only to an address the caller gave
 * (CURLOPT_RESOLVE pins them; this makes sure nothing else is ever reached), non-blocking
 * and not inherited by children. */
static curl_socket_t on_opensocket(void *arg, curlsocktype purpose, struct curl_sockaddr *ca)
{
	struct fetch_op *op = arg;
	union fetch_addr a;
	int fd;

	memset(&a, 0, sizeof(a));
	if (ca->addrlen <= sizeof(a))
		memcpy(&a, &ca->addr, ca->addrlen);
	if (purpose != CURLSOCKTYPE_IPCXN || ca->addrlen > sizeof(a) || !addr_allowed(op, &a)) {
		char text[INET6_ADDRSTRLEN] = "?";

		if (a.sa.sa_family == AF_INET)
			inet_ntop(AF_INET, &a.in.sin_addr, text, sizeof(text));
		else if (a.sa.sa_family == AF_INET6)
			inet_ntop(AF_INET6, &a.in6.sin6_addr, text, sizeof(text));
		snprintf(op->refused, sizeof(op->refused), "%s", text);
		return CURL_SOCKET_BAD;
	}
	fd = socket(ca->family, ca->socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ca->protocol);
	if (fd < 0) {
		op->sock_errno = errno;
		return CURL_SOCKET_BAD;
	}
	return fd;
}

/* ---- The multi handle on the loop ---- */

static void collect(struct fetch_ctx *ctx);

static void sock_free(struct fetch_sock *s)
{
	LIST_REMOVE(s, link);
	event_free(s->ev);
	free(s);
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
	struct fetch_sock *s = arg;
	struct fetch_ctx *ctx = s->ctx;   /* s may be freed inside curl's call */
	int action = ((what & EV_READ) ? CURL_CSELECT_IN : 0) |
		     ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
	int running;

	cu->multi_socket_action(ctx->multi, fd, action, &running);
	collect(ctx);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct fetch_ctx *ctx = arg;
	int running;
	(void)fd;
	(void)what;

	cu->multi_socket_action(ctx->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	collect(ctx);
}

/* on_socket - CURLMOPT_SOCKETFUNCTION: watch fd for what curl says, or stop watching it.
 * Only events change here; curl is called from the events. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct fetch_ctx *ctx = userp;
	struct fetch_sock *s = socketp;
	short flags = EV_PERSIST;
	(void)easy;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL)
			sock_free(s);
		return 0;
	}
	if (what & CURL_POLL_IN)
		flags |= EV_READ;
	if (what & CURL_POLL_OUT)
		flags |= EV_WRITE;
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return -1;
		s->ctx = ctx;
		s->fd = fd;
		if ((s->ev = event_new(ctx->base, fd, flags, on_io, s)) == NULL) {
			free(s);
			return -1;
		}
		LIST_INSERT_HEAD(&ctx->socks, s, link);
		if (cu->multi_assign(ctx->multi, fd, s) != CURLM_OK) {
			sock_free(s);
			return -1;
		}
	} else {
		event_del(s->ev);
		event_assign(s->ev, ctx->base, fd, flags, on_io, s);
	}
	if ((flags & (EV_READ | EV_WRITE)) != 0 && event_add(s->ev, NULL) != 0)
		return -1;
	return 0;
}

/* on_timer_set - CURLMOPT_TIMERFUNCTION: curl wants to be called in timeout_ms (0: as soon
 * as the loop comes round, never from here), or no more (-1). The timer holds nothing the
 * engine waits for: the engine's run ends when its tasks do, whatever curl left armed. */
static int on_timer_set(CURLM *multi, long timeout_ms, void *userp)
{
	struct fetch_ctx *ctx = userp;
	struct timeval tv;
	(void)multi;

	if (timeout_ms < 0) {
		evtimer_del(ctx->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(ctx->timer, &tv) == 0 ? 0 : -1;
}

struct fetch_ctx *fetch_ctx_new(struct event_base *base, const char *ca_file,
				const char *ca_path, char *why, size_t whylen)
{
	struct fetch_ctx *ctx;

	if ((cu = curlapi_get(why, whylen)) == NULL)
		return NULL;
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		goto nomem;
	LIST_INIT(&ctx->socks);
	ctx->base = base;
	if ((ca_file != NULL && (ctx->ca_file = strdup(ca_file)) == NULL) ||
	    (ca_path != NULL && (ctx->ca_path = strdup(ca_path)) == NULL) ||
	    (ctx->timer = evtimer_new(base, on_timeout, ctx)) == NULL ||
	    (ctx->multi = cu->multi_init()) == NULL)
		goto nomem;
	if (cu->multi_setopt(ctx->multi, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK ||
	    cu->multi_setopt(ctx->multi, CURLMOPT_SOCKETDATA, ctx) != CURLM_OK ||
	    cu->multi_setopt(ctx->multi, CURLMOPT_TIMERFUNCTION, on_timer_set) != CURLM_OK ||
	    cu->multi_setopt(ctx->multi, CURLMOPT_TIMERDATA, ctx) != CURLM_OK) {
		snprintf(why, whylen, "libcurl's multi handle cannot be set up");
		fetch_ctx_free(ctx);
		return NULL;
	}
	return ctx;
nomem:
	snprintf(why, whylen, "out of memory");
	fetch_ctx_free(ctx);
	return NULL;
}

void fetch_ctx_free(struct fetch_ctx *ctx)
{
	if (ctx == NULL)
		return;
	/* curl may still report sockets removed and a timer cleared while it cleans up: the
	 * events live until it is done. */
	if (ctx->multi != NULL)
		cu->multi_cleanup(ctx->multi);
	while (!LIST_EMPTY(&ctx->socks)) {
		struct fetch_sock *s = LIST_FIRST(&ctx->socks);

		LIST_REMOVE(s, link);
		event_free(s->ev);
		free(s);
	}
	if (ctx->timer != NULL)
		event_free(ctx->timer);
	free(ctx->ca_file);
	free(ctx->ca_path);
	free(ctx);
}

/* ---- The end of a transfer ---- */

static bool is_cert_error(CURLcode rc)
{
	return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_ISSUER_ERROR ||
	       rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH || rc == CURLE_SSL_INVALIDCERTSTATUS;
}

static bool is_tls_error(CURLcode rc)
{
	return rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_SSL_CIPHER ||
	       rc == CURLE_USE_SSL_FAILED || rc == CURLE_SSL_SHUTDOWN_FAILED ||
	       rc == CURLE_SSL_CLIENTCERT;
}

static bool is_http_error(CURLcode rc)
{
	return rc == CURLE_WEIRD_SERVER_REPLY || rc == CURLE_UNSUPPORTED_PROTOCOL ||
	       rc == CURLE_GOT_NOTHING || rc == CURLE_PARTIAL_FILE ||
	       rc == CURLE_HTTP_RETURNED_ERROR || rc == CURLE_HTTP2 ||
	       rc == CURLE_HTTP2_STREAM || rc == CURLE_HTTP3 || rc == CURLE_BAD_CONTENT_ENCODING ||
	       rc == CURLE_TOO_MANY_REDIRECTS;
}

/* classify - status and why from curl's code and what our callbacks saw. */
static void classify(struct fetch_op *op, CURLcode rc)
{
	struct fetch_result *r = op->res;
	const char *said = op->errbuf[0] != '\0' ? op->errbuf : cu->easy_strerror(rc);
	char lead[128];

	if (rc == CURLE_OK) {
		r->status = MAILTLS_FETCH_OK;
		r->why[0] = '\0';
		return;
	}
	if (op->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
		struct curl_header *h = NULL;

		/* curl stops at a Content-Length over the limit before it counts it anywhere
		 * else: the header as sent says how large. */
		r->status = MAILTLS_FETCH_TOO_LARGE;
		if (!op->too_large && cu->easy_header(op->easy, "Content-Length", 0, CURLH_HEADER,
						       -1, &h) == CURLHE_OK)
			snprintf(lead, sizeof(lead), "the body is over %zu bytes (Content-Length: "
				 "%.40s)", op->body_max, h->value);
		else
			snprintf(lead, sizeof(lead), "the body is over %zu bytes", op->body_max);
		set_why(r, lead, NULL);
		return;
	}
	if (op->headers_too_large) {
		r->status = MAILTLS_FETCH_PROTOCOL;
		snprintf(lead, sizeof(lead), "the response header is over %d bytes",
			 FETCH_HEADER_MAX);
		set_why(r, lead, NULL);
		return;
	}
	if (op->nomem || rc == CURLE_OUT_OF_MEMORY) {
		r->status = MAILTLS_FETCH_FAILED;
		set_why(r, "out of memory", NULL);
		return;
	}
	if (rc == CURLE_COULDNT_CONNECT && op->sock_errno != 0) {
		r->status = MAILTLS_FETCH_FAILED;
		set_why(r, "cannot open a socket", strerror(op->sock_errno));
		return;
	}
	if (rc == CURLE_COULDNT_CONNECT && op->refused[0] != '\0') {
		r->status = MAILTLS_FETCH_FAILED;
		snprintf(lead, sizeof(lead), "refused to connect to %s: not one of the addresses "
			 "given", op->refused);
		set_why(r, lead, NULL);
		return;
	}
	if (is_cert_error(rc)) {
		long v = 0;

		/* OpenSSL's reason when its verification failed. curl checks the name itself,
		 * after a chain that verified, and leaves 1 (X509_V_ERR_UNSPECIFIED, its "not
		 * verified yet") as the result: its own words say it then. */
		r->status = MAILTLS_FETCH_CERT;
		if (cu->easy_getinfo(op->easy, CURLINFO_SSL_VERIFYRESULT, &v) == CURLE_OK &&
		    v != X509_V_OK && v != X509_V_ERR_UNSPECIFIED)
			set_why(r, "certificate verify failed", X509_verify_cert_error_string(v));
		else
			set_why(r, "certificate verify failed", strncmp(said, "SSL: ", 5) == 0 ?
				said + 5 : said);
		return;
	}
	if (is_tls_error(rc)) {
		r->status = MAILTLS_FETCH_TLS;
		set_why(r, "TLS handshake failed", said);
		return;
	}
	if (rc == CURLE_COULDNT_CONNECT) {
		r->status = MAILTLS_FETCH_CONNECT;
		set_why(r, "no connection", said);
		return;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		r->status = MAILTLS_FETCH_TIMEOUT;
		snprintf(lead, sizeof(lead), "no complete response within %u ms", op->timeout_ms);
		set_why(r, lead, said);
		return;
	}
	if (is_http_error(rc)) {
		r->status = MAILTLS_FETCH_PROTOCOL;
		set_why(r, "not a valid HTTP response", said);
		return;
	}
	r->status = MAILTLS_FETCH_FAILED;
	set_why(r, cu->easy_strerror(rc), op->errbuf);
}

/* location_of - where a redirect points: curl's reading of the Location against the URL
 * (absolute), or the header as sent when curl made no URL of it. */
static const char *location_of(CURL *easy)
{
	char *url = NULL;
	struct curl_header *h = NULL;

	if (cu->easy_getinfo(easy, CURLINFO_REDIRECT_URL, &url) == CURLE_OK && url != NULL)
		return url;
	if (cu->easy_header(easy, "Location", 0, CURLH_HEADER, -1, &h) == CURLHE_OK)
		return h->value;
	return NULL;
}

/* finish - curl is done with op's transfer (rc): the facts into the result, then over. */
static void finish(struct fetch_op *op, CURLcode rc)
{
	struct fetch_result *r = op->res;
	long code = 0;
	char *ct = NULL, *ip = NULL;
	const char *loc;

	r->elapsed_ms = ms_since(&op->started);
	if (cu->easy_getinfo(op->easy, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK)
		r->http_status = code;
	if (cu->easy_getinfo(op->easy, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip != NULL)
		snprintf(r->addr, sizeof(r->addr), "%s", ip);
	if (cu->easy_getinfo(op->easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL &&
	    (r->content_type = strdup(ct)) == NULL)
		op->nomem = true;
	if (code >= 300 && code < 400 && (loc = location_of(op->easy)) != NULL &&
	    (r->location = strdup(loc)) == NULL)
		op->nomem = true;
	classify(op, rc);
	if (op->nomem && r->status == MAILTLS_FETCH_OK) {
		r->status = MAILTLS_FETCH_FAILED;
		set_why(r, "out of memory", NULL);
	}
	handover(op);
}

/* collect - hand over every transfer curl has finished. An owner's callback may start or
 * cancel fetches (a cancelled one's message goes with it): the queue is read afresh each
 * time. */
static void collect(struct fetch_ctx *ctx)
{
	CURLMsg *m;
	int left;

	while ((m = cu->multi_info_read(ctx->multi, &left)) != NULL) {
		char *priv = NULL;
		CURLcode rc = m->data.result;   /* m is gone once the handle is removed */

		if (m->msg != CURLMSG_DONE)
			continue;
		if (cu->easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv) != CURLE_OK ||
		    priv == NULL)
			continue;   /* not ours: cannot be */
		finish((struct fetch_op *)(void *)priv, rc);
	}
}

/* ---- Starting a transfer ---- */

/* append_header - l with s appended; NULL (l freed) when out of memory. */
static struct curl_slist *append_header(struct curl_slist *l, const char *s)
{
	struct curl_slist *n = cu->slist_append(l, s);

	if (n == NULL)
		cu->slist_free_all(l);
	return n;
}

/* SET - one curl_easy_setopt, checked: on failure the option's name goes to *failed. */
#define SET(opt, val) do { \
		if (cu->easy_setopt(op->easy, opt, val) != CURLE_OK) { \
			*failed = #opt; \
			return -1; \
		} \
	} while (0)

/* easy_setup - the easy handle of op, every option of fetch.h's promises. 0, or -1 with
 * *failed naming what could not be done. */
static int easy_setup(struct fetch_op *op, const char **failed)
{
	struct fetch_ctx *ctx = op->ctx;
	char url[MAILTLS_NAME_MAX + FETCH_PATH_MAX + 32];
	char pin[MAILTLS_NAME_MAX + FETCH_ADDRS_MAX * (INET6_ADDRSTRLEN + 3) + 16];
	char ctype[160];
	const char *scheme = op->http ? "http" : "https";
	bool v6 = op->literal && strchr(op->host, ':') != NULL;
	size_t n;

	if (op->port == (op->http ? 80u : 443u))
		snprintf(url, sizeof(url), v6 ? "%s://[%s]%s" : "%s://%s%s", scheme, op->host,
			 op->path);
	else
		snprintf(url, sizeof(url), v6 ? "%s://[%s]:%u%s" : "%s://%s:%u%s", scheme,
			 op->host, op->port, op->path);
	n = (size_t)snprintf(pin, sizeof(pin), "%s:%u:", op->host, op->port);
	for (size_t i = 0; i < op->n_addrs && n < sizeof(pin); i++) {
		char text[INET6_ADDRSTRLEN];
		const union fetch_addr *a = &op->addrs[i];

		if (a->sa.sa_family == AF_INET6)
			inet_ntop(AF_INET6, &a->in6.sin6_addr, text, sizeof(text));
		else
			inet_ntop(AF_INET, &a->in.sin_addr, text, sizeof(text));
		n += (size_t)snprintf(pin + n, sizeof(pin) - n, a->sa.sa_family == AF_INET6 ?
				      "%s[%s]" : "%s%s", i > 0 ? "," : "", text);
	}
	*failed = "out of memory";
	/* An address literal is not resolved by curl at all: nothing to pin (the socket
	 * callback still refuses any other address). */
	if ((op->easy = cu->easy_init()) == NULL || (op->share = cu->share_init()) == NULL ||
	    (!op->literal && (op->resolve = cu->slist_append(NULL, pin)) == NULL))
		return -1;
	if (cu->share_setopt(op->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK) {
		*failed = "CURLSHOPT_SHARE";
		return -1;
	}
	SET(CURLOPT_PRIVATE, (void *)op);
	SET(CURLOPT_ERRORBUFFER, op->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_URL, url);
	/* The address is ours, never curl's resolver's (nor /etc/hosts'). */
	SET(CURLOPT_SHARE, op->share);
	if (op->resolve != NULL)
		SET(CURLOPT_RESOLVE, op->resolve);
	SET(CURLOPT_OPENSOCKETFUNCTION, on_opensocket);
	SET(CURLOPT_OPENSOCKETDATA, op);
	/* https only (plain http only when asked: a signed OCSP answer), no redirect
	 * followed, no proxy whatever the environment says. */
	SET(CURLOPT_PROTOCOLS_STR, scheme);
	SET(CURLOPT_REDIR_PROTOCOLS_STR, scheme);
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_NOPROXY, "*");
	/* Full verification, TLS 1.2 or later. With anchors of its own the engine trusts
	 * only those: NULL turns curl's built-in bundle or directory off. */
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (ctx->ca_file != NULL || ctx->ca_path != NULL) {
		SET(CURLOPT_CAINFO, ctx->ca_file);
		SET(CURLOPT_CAPATH, ctx->ca_path);
	}
	/* One deadline; one connection, closed after the transfer. */
	SET(CURLOPT_TIMEOUT_MS, (long)op->timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)op->timeout_ms);
	SET(CURLOPT_FORBID_REUSE, 1L);
	SET(CURLOPT_FRESH_CONNECT, 1L);
	/* Bounded reading; no CURLOPT_ACCEPT_ENCODING: the body as sent, never decoded. */
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)op->body_max);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, op);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, op);
	SET(CURLOPT_USERAGENT, "mailtls/" MAILTLS_VERSION);
	if (op->post != NULL) {
		/* RFC 6960 A.1.1: the DER request as the body, with its media type; no
		 * "Expect: 100-continue" round trip. */
		snprintf(ctype, sizeof(ctype), "Content-Type: %s", op->post_type);
		*failed = "out of memory";
		if ((op->headers = cu->slist_append(NULL, ctype)) == NULL ||
		    (op->headers = append_header(op->headers, "Expect:")) == NULL)
			return -1;
		SET(CURLOPT_HTTPHEADER, op->headers);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)op->post_len);
		SET(CURLOPT_POSTFIELDS, (const char *)op->post);
	}
	return 0;
}

#undef SET

/* start - the connection was granted: make the transfer and give it to curl, which starts
 * it from the loop (its timer, armed at 0, fires on the next round). */
static void start(struct fetch_op *op)
{
	const char *failed = NULL;
	size_t cap = op->body_max < FETCH_BODY_FIRST ? op->body_max + 1 : FETCH_BODY_FIRST;
	CURLMcode mc;

	clock_gettime(CLOCK_MONOTONIC, &op->started);
	if ((op->res->body = malloc(cap)) == NULL) {
		fail(op, MAILTLS_FETCH_FAILED, "out of memory", NULL);
		return;
	}
	op->res->body[0] = '\0';
	op->body_cap = cap;
	if (easy_setup(op, &failed) != 0) {
		fail(op, MAILTLS_FETCH_FAILED, "cannot set up the transfer", failed);
		return;
	}
	if ((mc = cu->multi_add_handle(op->ctx->multi, op->easy)) != CURLM_OK) {
		fail(op, MAILTLS_FETCH_FAILED, "cannot start the transfer", cu->multi_strerror(mc));
		return;
	}
	op->in_multi = true;
}

/* ---- The engine task ---- */

static void fetch_granted(struct engine_task *t)
{
	struct fetch_op *op = (struct fetch_op *)t;

	if (t->ticket.state == ADMIT_SLOT) {
		/* A work slot first, as every task; the connection is what a fetch needs. */
		if (admit_want_conn(engine_admit(t->e), &t->ticket, &op->addrs[0].sa) != 0)
			fail(op, MAILTLS_FETCH_FAILED, "out of memory", NULL);
		return;
	}
	start(op);
}

/* fetch_dropped - never for a kept ticket (a fetch is part of its owner's work); for
 * completeness, as the other kinds. */
static void fetch_dropped(struct engine_task *t, void (*forget)(void *arg))
{
	struct fetch_op *op = (struct fetch_op *)t;
	void *arg = op->arg;

	op_detach(op);
	engine_task_end(t);
	op_free(op);
	if (forget != NULL)
		forget(arg);
}

/* fetch_abandon - the engine is being freed (the fetch context after its tasks). */
static void fetch_abandon(struct engine_task *t)
{
	op_free((struct fetch_op *)t);
}

static const struct engine_task_ops fetch_ops = {
	.kind = "fetch",
	.granted = fetch_granted,
	.dropped = fetch_dropped,
	.abandon = fetch_abandon,
};

/* bad_request - why = the message, value quoted and escaped; MAILTLS_EINVAL. */
static int bad_request(char *why, size_t whylen, const char *field, const char *value,
		       const char *what)
{
	if (value != NULL)
		snprintf(why, whylen, "%s '%.300s': %s", field, value, what);
	else
		snprintf(why, whylen, "%s: %s", field, what);
	mailtls_escape_inplace(why, whylen);
	return MAILTLS_EINVAL;
}

/* path_ok - "/" then printable ASCII without spaces or '#': a URL's path and query as
 * they go on the wire, nothing for curl to rewrite or to cut. */
static bool path_ok(const char *p)
{
	if (p[0] != '/' || strlen(p) > FETCH_PATH_MAX)
		return false;
	for (; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '#')
			return false;
	return true;
}

/* type_ok - a media type for a header line: letters, digits, "/.+-", one "/", short. */
static bool type_ok(const char *t)
{
	size_t slashes = 0, n = 0;

	if (t == NULL)
		return false;
	for (; t[n] != '\0'; n++) {
		char c = t[n];

		if (c == '/')
			slashes++;
		else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '.' || c == '+' || c == '-'))
			return false;
	}
	return slashes == 1 && n > 2 && n < 128;
}

/* parse_addr - a numeric address and the port into a. */
static bool parse_addr(const char *s, unsigned port, union fetch_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->in.sin_addr) == 1) {
		a->in.sin_family = AF_INET;
		a->in.sin_port = htons((uint16_t)port);
		return true;
	}
	if (inet_pton(AF_INET6, s, &a->in6.sin6_addr) == 1) {
		a->in6.sin6_family = AF_INET6;
		a->in6.sin6_port = htons((uint16_t)port);
		return true;
	}
	return false;
}

int engine_fetch(struct mailtls_engine *e, const struct fetch_request *rq, fetch_done_fn *done,
		 void *arg, struct fetch_op **opp, char *why, size_t whylen)
{
	char norm[MAILTLS_NAME_MAX + 1];
	struct fetch_ctx *ctx;
	struct fetch_op *op;
	union fetch_addr lit;
	bool literal;
	unsigned port;

	if (opp != NULL)
		*opp = NULL;
	if (e == NULL || rq == NULL || done == NULL || opp == NULL) {
		snprintf(why, whylen, "fetch: no engine, request, done callback or handle given");
		return MAILTLS_EINVAL;
	}
	if (rq->host == NULL)
		return bad_request(why, whylen, "host", NULL, "none given");
	port = rq->port != 0 ? rq->port : rq->http ? 80 : 443;
	literal = rq->literal_host && parse_addr(rq->host, port, &lit);
	if (literal) {
		/* An address literal names its one address: nothing else may be given. */
		union fetch_addr a0;

		if (rq->n_addrs != 1 || rq->addrs[0] == NULL ||
		    !parse_addr(rq->addrs[0], port, &a0) || a0.sa.sa_family != lit.sa.sa_family ||
		    (lit.sa.sa_family == AF_INET ? memcmp(&a0.in.sin_addr, &lit.in.sin_addr, 4)
		     : memcmp(&a0.in6.sin6_addr, &lit.in6.sin6_addr, 16)) != 0)
			return bad_request(why, whylen, "host", rq->host, "an address literal "
					   "must be the one address given");
		inet_ntop(lit.sa.sa_family, lit.sa.sa_family == AF_INET ? (void *)&lit.in.sin_addr
			  : (void *)&lit.in6.sin6_addr, norm, sizeof(norm));
	} else if (mailtls_name_normalize(rq->host, norm, sizeof(norm)) != 0 ||
		   strcmp(norm, rq->host) != 0)
		return bad_request(why, whylen, "host", rq->host, "not a normalized DNS name");
	if (rq->post != NULL && (rq->post_len < 1 || rq->post_len > FETCH_POST_MAX)) {
		snprintf(why, whylen, "post_len %zu: not 1 to %d", rq->post_len, FETCH_POST_MAX);
		return MAILTLS_EINVAL;
	}
	if (rq->post != NULL && !type_ok(rq->post_type))
		return bad_request(why, whylen, "post_type", rq->post_type, "not a media type");
	if (rq->port > 65535) {
		snprintf(why, whylen, "port %u: not a port (1 to 65535, or 0 for 443)", rq->port);
		return MAILTLS_EINVAL;
	}
	if (rq->path == NULL)
		return bad_request(why, whylen, "path", NULL, "none given");
	if (!path_ok(rq->path))
		return bad_request(why, whylen, "path", rq->path, "not '/' then printable ASCII "
				   "without spaces or '#', at most 2048 bytes");
	if (rq->n_addrs < 1 || rq->n_addrs > FETCH_ADDRS_MAX) {
		snprintf(why, whylen, "addrs: %zu given (1 to %d)", rq->n_addrs, FETCH_ADDRS_MAX);
		return MAILTLS_EINVAL;
	}
	if (rq->body_max < 1 || rq->body_max > FETCH_BODY_LIMIT) {
		snprintf(why, whylen, "body_max %zu: not 1 to %u", rq->body_max, FETCH_BODY_LIMIT);
		return MAILTLS_EINVAL;
	}
	if (rq->timeout_ms < 1 || rq->timeout_ms > FETCH_TIMEOUT_LIMIT) {
		snprintf(why, whylen, "timeout_ms %u: not 1 to %u", rq->timeout_ms,
			 FETCH_TIMEOUT_LIMIT);
		return MAILTLS_EINVAL;
	}
	if ((op = calloc(1, sizeof(*op))) == NULL)
		goto nomem;
	for (size_t i = 0; i < rq->n_addrs; i++) {
		if (rq->addrs[i] == NULL || !parse_addr(rq->addrs[i], port, &op->addrs[i])) {
			char field[32];

			snprintf(field, sizeof(field), "addrs[%zu]", i);
			free(op);
			return bad_request(why, whylen, field, rq->addrs[i],
					   "not a numeric IPv4 or IPv6 address");
		}
	}
	if ((ctx = engine_fetch_ctx(e, why, whylen)) == NULL) {
		free(op);
		mailtls_escape_inplace(why, whylen);
		return MAILTLS_EINTERNAL;
	}
	op->ctx = ctx;
	op->n_addrs = rq->n_addrs;
	op->port = port;
	op->body_max = rq->body_max;
	op->timeout_ms = rq->timeout_ms;
	op->done = done;
	op->arg = arg;
	op->http = rq->http;
	op->literal = literal;
	if (rq->post != NULL) {
		if ((op->post = malloc(rq->post_len)) == NULL ||
		    (op->post_type = strdup(rq->post_type)) == NULL) {
			op_free(op);
			goto nomem;
		}
		memcpy(op->post, rq->post, rq->post_len);
		op->post_len = rq->post_len;
	}
	if ((op->res = calloc(1, sizeof(*op->res))) == NULL || (op->host = strdup(norm)) == NULL ||
	    (op->path = strdup(rq->path)) == NULL) {
		op_free(op);
		goto nomem;
	}
	op->res->status = MAILTLS_FETCH_FAILED;
	/* Part of the work of the task that asked: mailtls_engine_stop_queue() leaves it. */
	op->task.ticket.kept = true;
	engine_task_add(e, &op->task, &fetch_ops);
	*opp = op;
	return 0;
nomem:
	snprintf(why, whylen, "out of memory");
	return MAILTLS_ENOMEM;
}

/* fetch_cancel - (fetch.h) for a fetch whose done has not been called: the op is freed
 * before its done runs, so a handle kept past it is stale. */
void fetch_cancel(struct fetch_op *op)
{
	if (op == NULL)
		return;
	op_detach(op);                 /* the connection closed first */
	engine_task_end(&op->task);    /* then its grant given back */
	op_free(op);
}
