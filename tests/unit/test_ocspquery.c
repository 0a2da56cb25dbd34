/*
 * test_ocspquery.c - asking the leaf's OCSP responder (lib/ocspquery.c) and the
 * ocsp.responder-* / ocsp.no-responder findings (certpolicy_ocsp_responder()).
 *
 * A PKI made here with the OpenSSL API (root, intermediate, a rogue CA); leaves whose AIA
 * names http://127.0.0.1:PORT/, where a forked child plays the responder: for each
 * connection it reads one HTTP request, writes a byte to a pipe saying whether it was a
 * POST of application/ocsp-request whose body is an OCSPRequest for the leaf (one SHA-1
 * CertID, no nonce), and answers as the test asks (a response it signs now, an HTTP error,
 * another media type, garbage). The responder's address is a literal: nothing is resolved.
 *
 * Each case asserts the exact query outcome, the facts that matter, the exact list of
 * ocsp.* ids, a part of the message, what the responder saw, and that done never runs
 * inside ocspquery_start().
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <mailtls/mailtls.h>
#include "certpolicy.h"
#include "fetch.h"
#include "ocspquery.h"
#include "testpki.h"

#define DAY 86400L

static EVP_PKEY *root_key, *int_key, *leaf_key, *rogue_key;
static X509 *root, *inter, *rogue;
static X509_STORE *store;
static time_t now;

/* make_cert - cn's certificate for key from issuer/ikey (NULL: self-signed CA), valid
 * now-30d .. now+300d; a CA unless issued by the intermediate; aia: the OCSP URL of a leaf's
 * AIA, or NULL. */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey,
		       const char *aia)
{
	struct testpki_spec s = { .cn = cn, .key = key, .issuer = issuer, .issuer_key = ikey,
				  .not_before = now - 30 * DAY, .not_after = now + 300 * DAY,
				  .ca = ikey != int_key };
	X509 *x = testpki_unsigned(&s);
	char v[300];

	if (aia != NULL) {
		snprintf(v, sizeof(v), "OCSP;URI:%s", aia);
		testpki_add_ext(x, issuer, NID_info_access, v);
	}
	return testpki_sign(x, &s);
}

static int setup(void **state)
{
	(void)state;
	now = time(NULL);
	testpki_serials_from(500);
	root_key = testpki_key();
	int_key = testpki_key();
	leaf_key = testpki_key();
	rogue_key = testpki_key();
	root = make_cert("Test Root", root_key, NULL, NULL, NULL);
	inter = make_cert("Test Intermediate", int_key, root, root_key, NULL);
	rogue = make_cert("Rogue Root", rogue_key, NULL, NULL, NULL);
	store = testpki_store(root);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	X509_STORE_free(store);
	X509_free(root);
	X509_free(inter);
	X509_free(rogue);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(int_key);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(rogue_key);
	return 0;
}

/* ---- The responder ---- */

enum answer { A_GOOD, A_REVOKED, A_UNKNOWN, A_ROGUE, A_HTTP500, A_TEXT, A_GARBAGE };

struct responder {
	pid_t pid;
	int lfd;
	unsigned port;
	int seen_fd;                  /* a byte per request: 'P' a proper OCSP POST, 'X' not */
};

/* response_der - the signed OCSPResponse for the request's CertID, as asked. */
static int response_der(enum answer a, OCSP_CERTID *id, unsigned char **der)
{
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_RESPONSE *resp;
	ASN1_TIME *thisupd = X509_time_adj_ex(NULL, 0, -60, &now);
	ASN1_TIME *nextupd = X509_time_adj_ex(NULL, 1, 0, &now);
	ASN1_TIME *rev = X509_time_adj_ex(NULL, -2, 0, &now);
	int status = a == A_REVOKED ? V_OCSP_CERTSTATUS_REVOKED :
		     a == A_UNKNOWN ? V_OCSP_CERTSTATUS_UNKNOWN : V_OCSP_CERTSTATUS_GOOD;
	int len;

	OCSP_basic_add1_status(bs, id, status, a == A_REVOKED ? OCSP_REVOKED_STATUS_KEYCOMPROMISE
			       : -1, a == A_REVOKED ? rev : NULL, thisupd, nextupd);
	OCSP_basic_sign(bs, a == A_ROGUE ? rogue : inter, a == A_ROGUE ? rogue_key : int_key,
			EVP_sha256(), NULL, 0);
	resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
	*der = NULL;
	len = i2d_OCSP_RESPONSE(resp, der);
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	ASN1_TIME_free(thisupd);
	ASN1_TIME_free(nextupd);
	ASN1_TIME_free(rev);
	return len;
}

static void write_all(int fd, const void *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
}

/* serve_one - one connection: read the request, judge it, answer. */
static void serve_one(int fd, enum answer a, X509 *leaf, int seen)
{
	char buf[16384], head[256];
	size_t have = 0, want;
	const char *end, *cl, *body;
	const unsigned char *p;
	unsigned char *der = NULL;
	OCSP_REQUEST *rq = NULL;
	OCSP_CERTID *mine = OCSP_cert_to_id(EVP_sha1(), leaf, inter), *id = NULL;
	bool proper;
	int len = 0;

	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);

		if (n <= 0)
			_exit(1);
		have += (size_t)n;
		buf[have] = '\0';
		if ((end = memmem(buf, have, "\r\n\r\n", 4)) == NULL)
			continue;
		if ((cl = strcasestr(buf, "\r\nContent-Length: ")) == NULL || cl > end)
			break;
		want = strtoul(cl + 18, NULL, 10);
		if (have >= (size_t)(end + 4 - buf) + want)
			break;
	}
	body = end + 4;
	p = (const unsigned char *)body;
	rq = d2i_OCSP_REQUEST(NULL, &p, (long)(have - (size_t)(body - buf)));
	proper = strncmp(buf, "POST / HTTP/1.1\r\n", 17) == 0 &&
		 strcasestr(buf, "\r\nContent-Type: application/ocsp-request\r\n") != NULL &&
		 rq != NULL && OCSP_request_onereq_count(rq) == 1 &&
		 (id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(rq, 0))) != NULL &&
		 OCSP_id_cmp(id, mine) == 0 &&
		 OCSP_REQUEST_get_ext_by_NID(rq, NID_id_pkix_OCSP_Nonce, -1) < 0;
	write_all(seen, proper ? "P" : "X", 1);
	switch (a) {
	case A_HTTP500:
		len = snprintf(head, sizeof(head), "HTTP/1.1 500 Internal Server Error\r\n"
			       "Content-Length: 0\r\nConnection: close\r\n\r\n");
		write_all(fd, head, (size_t)len);
		break;
	case A_TEXT:
		len = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: text/plain"
			       "\r\nContent-Length: 3\r\nConnection: close\r\n\r\nhi\n");
		write_all(fd, head, (size_t)len);
		break;
	case A_GARBAGE:
		len = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: "
			       "application/ocsp-response\r\nContent-Length: 7\r\n"
			       "Connection: close\r\n\r\ngarbage");
		write_all(fd, head, (size_t)len);
		break;
	default:
		len = response_der(a, mine, &der);
		snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: "
			 "application/ocsp-response\r\nContent-Length: %d\r\n"
			 "Connection: close\r\n\r\n", len);
		write_all(fd, head, strlen(head));
		write_all(fd, der, (size_t)len);
		break;
	}
	shutdown(fd, SHUT_WR);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	_exit(0);
}

static void responder_listen(struct responder *r)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((r->lfd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(r->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(r->lfd, 16), 0);
	assert_int_equal(getsockname(r->lfd, (struct sockaddr *)&sa, &sl), 0);
	r->port = ntohs(sa.sin_port);
}

static void responder_start(struct responder *r, enum answer a, X509 *leaf)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	r->pid = fork();
	assert_true(r->pid >= 0);
	if (r->pid == 0) {
		setpgid(0, 0);
		alarm(20);
		close(p[0]);
		for (;;) {
			int fd = accept(r->lfd, NULL, NULL);

			if (fd < 0)
				_exit(1);
			if (fork() == 0) {
				alarm(10);
				serve_one(fd, a, leaf, p[1]);
			}
			close(fd);
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
		}
	}
	close(p[1]);
	r->seen_fd = p[0];
	assert_int_equal(fcntl(r->seen_fd, F_SETFL, O_NONBLOCK), 0);
}

/* responder_seen - the bytes the responder wrote so far ("P", "PX", ...). */
static void responder_seen(struct responder *r, char *buf, size_t len)
{
	ssize_t n = read(r->seen_fd, buf, len - 1);

	buf[n > 0 ? n : 0] = '\0';
}

static void responder_stop(struct responder *r)
{
	kill(-r->pid, SIGKILL);
	kill(r->pid, SIGKILL);
	waitpid(r->pid, NULL, 0);
	close(r->lfd);
	close(r->seen_fd);
}

/* ---- The client side ---- */

static bool in_start;

static void on_done(void *arg)
{
	assert_false(in_start);
	*(bool *)arg = true;
}

/* ocsp_ids - the ocsp.* ids of res, space-separated. */
static const char *ocsp_ids(const struct mailtls_result *res, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < res->findings.n; i++)
		if (strncmp(res->findings.v[i].id, "ocsp.", 5) == 0)
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? " " : "",
				 res->findings.v[i].id);
	return buf;
}

/* ask - ocspquery_start() for leaf (presented with the intermediate unless alone) on a
 * new engine, run to the end, judged into res. Returns what start returned. */
static int ask(X509 *leaf, bool alone, unsigned timeout_ms, struct mailtls_result *res)
{
	char why[256] = "";
	struct mailtls_engine_params ep = { 0 };
	struct mailtls_engine *e = mailtls_engine_new(&ep, why, sizeof(why));
	STACK_OF(X509) *chain = sk_X509_new_null();
	struct ocsp_query *q = NULL;
	bool done = false;
	int r;

	assert_non_null(e);
	sk_X509_push(chain, leaf);
	if (!alone)
		sk_X509_push(chain, inter);
	in_start = true;
	r = ocspquery_start(e, &(struct ocspquery_params){ .presented = chain, .store = store,
				   .at = now, .timeout_ms = timeout_ms },
			    &res->ocsp_responder, on_done, &done, &q);
	in_start = false;
	sk_X509_free(chain);          /* the query holds its own references */
	if (r == 0) {
		assert_non_null(q);
		assert_int_equal(mailtls_engine_run(e), 0);
		assert_true(done);
	} else {
		assert_null(q);
	}
	mailtls_engine_free(e);
	res->would_authenticate = res->chain_trusted = true;
	assert_int_equal(certpolicy_ocsp_responder(&res->ocsp_responder, now, res), 0);
	return r;
}

struct row {
	const char *name;
	enum answer answer;
	enum mailtls_ocsp_query query;
	enum mailtls_ocsp_cert_status status;
	const char *ids;
	const char *message;          /* a part of the finding's message */
	bool trusted_after;           /* chain_trusted and would_authenticate after */
};

#define Q(s) MAILTLS_OCSP_QUERY_##s
#define C(s) MAILTLS_OCSP_CERT_##s

static const struct row rows[] = {
	{ "good", A_GOOD, Q(ANSWERED), C(GOOD), "ocsp.responder-good", "says good (thisUpdate ",
	  true },
	{ "revoked", A_REVOKED, Q(ANSWERED), C(REVOKED), "ocsp.responder-revoked",
	  "says the certificate was revoked on ", false },
	{ "unknown", A_UNKNOWN, Q(ANSWERED), C(UNKNOWN), "ocsp.responder-unknown",
	  "says the certificate's status is unknown", true },
	{ "signed by a rogue CA", A_ROGUE, Q(ANSWERED), C(NONE), "ocsp.responder-failed",
	  "gave no usable answer: the response does not verify (", true },
	{ "HTTP 500", A_HTTP500, Q(HTTP_STATUS), C(NONE), "ocsp.responder-failed",
	  "gave no usable answer: HTTP status 500", true },
	{ "text/plain", A_TEXT, Q(CONTENT_TYPE), C(NONE), "ocsp.responder-failed",
	  "gave no usable answer: the media type is not application/ocsp-response", true },
	{ "garbage", A_GARBAGE, Q(ANSWERED), C(NONE), "ocsp.responder-failed",
	  "gave no usable answer: the response (7 bytes) does not decode", true },
};

static void table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		struct mailtls_result *res = mailtls_result_new();
		struct responder rs;
		char url[64], ids[256], seen[16];
		X509 *leaf;

		responder_listen(&rs);
		snprintf(url, sizeof(url), "http://127.0.0.1:%u/", rs.port);
		leaf = make_cert("mx.example.net", leaf_key, inter, int_key, url);
		responder_start(&rs, w->answer, leaf);
		assert_int_equal(ask(leaf, false, 5000, res), 0);
		responder_seen(&rs, seen, sizeof(seen));
		responder_stop(&rs);
		if (res->ocsp_responder.query != w->query ||
		    res->ocsp_responder.facts.cert_status != w->status ||
		    strcmp(ocsp_ids(res, ids, sizeof(ids)), w->ids) != 0 ||
		    strstr(res->findings.v[res->findings.n - 1].message, w->message) == NULL)
			fail_msg("%s: query %d, status %d, ids '%s' (want '%s'), why '%s', "
				 "message '%s'", w->name, res->ocsp_responder.query,
				 res->ocsp_responder.facts.cert_status, ids, w->ids,
				 res->ocsp_responder.why ? res->ocsp_responder.why : "",
				 res->findings.n ? res->findings.v[res->findings.n - 1].message : "");
		assert_string_equal(seen, "P");   /* one proper POST, no retry */
		assert_string_equal(res->ocsp_responder.url, url);
		assert_string_equal(res->ocsp_responder.addr, "127.0.0.1");
		assert_int_equal(res->ocsp_responder.http_status, w->answer == A_HTTP500 ? 500 : 200);
		assert_int_equal(res->chain_trusted, w->trusted_after);
		assert_int_equal(res->would_authenticate, w->trusted_after);
		if (w->status == C(REVOKED))
			assert_non_null(strstr(res->findings.v[0].message, "(keyCompromise)"));
		X509_free(leaf);
		mailtls_result_free(res);
	}
}

/* Nothing asked: no AIA, no issuer, no time; and a refused connection. */
static void not_asked(void **state)
{
	struct mailtls_result *res;
	struct responder rs;
	char url[64], ids[128];
	X509 *leaf;

	(void)state;
	/* No AIA: ocsp.no-responder, nothing started. */
	res = mailtls_result_new();
	leaf = make_cert("mx.example.net", leaf_key, inter, int_key, NULL);
	assert_int_equal(ask(leaf, false, 5000, res), 1);
	assert_int_equal(res->ocsp_responder.query, Q(NO_URL));
	assert_null(res->ocsp_responder.url);
	assert_string_equal(ocsp_ids(res, ids, sizeof(ids)), "ocsp.no-responder");
	X509_free(leaf);
	mailtls_result_free(res);

	/* The issuer is neither presented nor in the store. */
	responder_listen(&rs);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", rs.port);
	leaf = make_cert("mx.example.net", leaf_key, inter, int_key, url);
	res = mailtls_result_new();
	assert_int_equal(ask(leaf, true, 5000, res), 1);
	assert_int_equal(res->ocsp_responder.query, Q(NO_ISSUER));
	assert_string_equal(ocsp_ids(res, ids, sizeof(ids)), "ocsp.responder-failed");
	mailtls_result_free(res);

	/* No time left in the check's deadline. */
	res = mailtls_result_new();
	assert_int_equal(ask(leaf, false, 0, res), 1);
	assert_int_equal(res->ocsp_responder.query, Q(FAILED));
	assert_non_null(strstr(res->findings.v[0].message, "no time left"));
	mailtls_result_free(res);

	/* Nobody listens there (the listener closed): no connection. */
	close(rs.lfd);
	res = mailtls_result_new();
	assert_int_equal(ask(leaf, false, 5000, res), 0);
	assert_int_equal(res->ocsp_responder.query, Q(TRANSPORT));
	assert_non_null(strstr(res->ocsp_responder.why, "no connection"));
	assert_string_equal(ocsp_ids(res, ids, sizeof(ids)), "ocsp.responder-failed");
	assert_true(res->would_authenticate);
	mailtls_result_free(res);
	X509_free(leaf);
}

/* Queries cancelled before they ran, one while its fetch waits in the engine: no call, no
 * leak, nothing left pending. */
static void cancelled(void **state)
{
	struct responder rs;
	char url[64], why[256];
	struct mailtls_engine_params ep = { 0 };
	struct mailtls_engine *e;
	struct mailtls_ocsp_responder out = { 0 }, out2 = { 0 };
	STACK_OF(X509) *chain = sk_X509_new_null();
	struct ocsp_query *q = NULL, *q2 = NULL;
	bool done = false;
	X509 *leaf;

	(void)state;
	responder_listen(&rs);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", rs.port);
	leaf = make_cert("mx.example.net", leaf_key, inter, int_key, url);
	sk_X509_push(chain, leaf);
	sk_X509_push(chain, inter);
	assert_non_null(e = mailtls_engine_new(&ep, why, sizeof(why)));
	const struct ocspquery_params p = { .presented = chain, .store = store, .at = now,
					    .timeout_ms = 5000 };
	assert_int_equal(ocspquery_start(e, &p, &out, on_done, &done, &q), 0);
	assert_int_equal(ocspquery_start(e, &p, &out2, on_done, &done, &q2), 0);
	assert_int_equal(mailtls_engine_pending(e), 2);   /* two fetches */
	ocspquery_cancel(q);
	assert_int_equal(mailtls_engine_pending(e), 1);
	ocspquery_cancel(q2);
	assert_int_equal(mailtls_engine_pending(e), 0);
	assert_int_equal(mailtls_engine_run(e), 0);
	mailtls_engine_free(e);
	assert_false(done);
	mailtls_ocsp_responder_clear(&out);
	mailtls_ocsp_responder_clear(&out2);
	sk_X509_free(chain);
	X509_free(leaf);
	close(rs.lfd);
}

struct url_row {
	const char *url;
	int ok;
	bool https;
	const char *host;
	unsigned port;
	const char *path;
};

static const struct url_row urls[] = {
	{ "http://ocsp.example.net", 0, false, "ocsp.example.net", 80, "/" },
	{ "http://OCSP.Example.NET/", 0, false, "ocsp.example.net", 80, "/" },
	{ "HTTP://ocsp.example.net:8080/ca/x?y=1", 0, false, "ocsp.example.net", 8080,
	  "/ca/x?y=1" },
	{ "https://ocsp.example.net/", 0, true, "ocsp.example.net", 443, "/" },
	{ "http://192.0.2.1:81/", 0, false, "192.0.2.1", 81, "/" },
	{ "http://[2001:db8::1]/", 0, false, "2001:db8::1", 80, "/" },
	{ "http://[2001:db8::1]:8888", 0, false, "2001:db8::1", 8888, "/" },
	{ "ldap://ocsp.example.net/", -1, false, NULL, 0, NULL },
	{ "http://user@ocsp.example.net/", -1, false, NULL, 0, NULL },
	{ "http://ocsp.example.net:0/", -1, false, NULL, 0, NULL },
	{ "http://ocsp.example.net:65536/", -1, false, NULL, 0, NULL },
	{ "http://ocsp.example.net:80x/", -1, false, NULL, 0, NULL },
	{ "http:///", -1, false, NULL, 0, NULL },
	{ "http://ocsp example.net/", -1, false, NULL, 0, NULL },
	{ "http://ocsp.example.net/#frag", -1, false, NULL, 0, NULL },
	{ "http://[2001:db8::1/", -1, false, NULL, 0, NULL },
	{ "http://oc\x01sp.example.net/", -1, false, NULL, 0, NULL },
};

static void parse_url(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		const struct url_row *w = &urls[i];
		char host[256] = "", path[1100] = "", why[128] = "";
		unsigned port = 0;
		bool https = false;
		int r = ocspquery_parse_url(w->url, &https, host, sizeof(host), &port, path,
					    sizeof(path), why, sizeof(why));

		if (r != w->ok)
			fail_msg("%s: %d (want %d): %s", w->url, r, w->ok, why);
		if (r != 0) {
			assert_true(why[0] != '\0');
			continue;
		}
		assert_int_equal(https, w->https);
		assert_string_equal(host, w->host);
		assert_int_equal(port, w->port);
		assert_string_equal(path, w->path);
	}
}

/* The request: one SHA-1 CertID for the leaf and its issuer, no nonce, no signature. */
static void request(void **state)
{
	X509 *leaf = make_cert("mx.example.net", leaf_key, inter, int_key, "http://x.example/");
	OCSP_CERTID *want = OCSP_cert_to_id(EVP_sha1(), leaf, inter);
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	OCSP_REQUEST *rq;

	(void)state;
	assert_int_equal(ocspquery_request(leaf, inter, &der, &len), 0);
	p = der;
	assert_non_null(rq = d2i_OCSP_REQUEST(NULL, &p, (long)len));
	assert_ptr_equal(p, der + len);
	assert_int_equal(OCSP_request_onereq_count(rq), 1);
	assert_int_equal(OCSP_id_cmp(OCSP_onereq_get0_id(OCSP_request_onereq_get0(rq, 0)), want),
			 0);
	assert_true(OCSP_REQUEST_get_ext_by_NID(rq, NID_id_pkix_OCSP_Nonce, -1) < 0);
	assert_false(OCSP_request_is_signed(rq));
	free(der);
	assert_int_equal(ocspquery_request(leaf, NULL, &der, &len), MAILTLS_EINVAL);
	assert_null(der);
	OCSP_REQUEST_free(rq);
	OCSP_CERTID_free(want);
	X509_free(leaf);
}

static void never(struct fetch_result *r, void *arg)
{
	(void)arg;
	fetch_result_free(r);
	fail_msg("done called for a refused fetch");
}

/* What fetch.c refuses of the OCSP additions: a POST of no bytes or too many, a media type
 * that is not one, an address literal as host unless asked for (the MTA-STS fetch never
 * does) or other than the one address given. */
static void fetch_refuses(void **state)
{
	static const unsigned char body[4] = { 0x30, 0x02, 0x05, 0x00 };
	const struct fetch_request good = {
		.host = "127.0.0.1", .port = 8, .path = "/", .addrs = { "127.0.0.1" },
		.n_addrs = 1, .body_max = 100, .timeout_ms = 1000, .http = true, .post = body,
		.post_len = sizeof(body), .post_type = "application/ocsp-request",
		.literal_host = true,
	};
	struct {
		struct fetch_request rq;
		const char *why;
	} bad[] = {
		{ good, "post_len 0: not 1 to 65536" },
		{ good, "post_len 65537: not 1 to 65536" },
		{ good, "post_type 'text/plain; x=\\x0a': not a media type" },
		{ good, "post_type: not a media type" },
		{ good, "host '127.0.0.1': not a normalized DNS name" },
		{ good, "host '127.0.0.1': an address literal must be the one address given" },
		{ good, "host '127.0.0.1': an address literal must be the one address given" },
	};
	struct mailtls_engine_params ep = { 0 };
	char why[256];
	struct mailtls_engine *e = mailtls_engine_new(&ep, why, sizeof(why));
	struct fetch_op *op;
	size_t i = 0;

	(void)state;
	assert_non_null(e);
	bad[i++].rq.post_len = 0;
	bad[i++].rq.post_len = FETCH_POST_MAX + 1;
	bad[i++].rq.post_type = "text/plain; x=\n";
	bad[i++].rq.post_type = NULL;
	bad[i++].rq.literal_host = false;
	bad[i++].rq.addrs[0] = "127.0.0.2";
	bad[i].rq.addrs[1] = "127.0.0.1";
	bad[i++].rq.n_addrs = 2;
	assert_int_equal(i, sizeof(bad) / sizeof(bad[0]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(engine_fetch(e, &bad[i].rq, never, NULL, &op, why, sizeof(why)),
				 MAILTLS_EINVAL);
		assert_string_equal(why, bad[i].why);
		assert_null(op);
	}
	assert_int_equal(mailtls_engine_pending(e), 0);
	mailtls_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_url),
		cmocka_unit_test(request),
		cmocka_unit_test(table),
		cmocka_unit_test(not_asked),
		cmocka_unit_test(cancelled),
		cmocka_unit_test(fetch_refuses),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
