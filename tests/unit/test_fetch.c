/*
 * test_fetch.c - engine_fetch() (lib/fetch.c), one HTTPS GET on the engine's loop, against
 * servers made here: a forked child on 127.0.0.1 (or ::1) with real OpenSSL serves one
 * canned response per connection (each connection in a process of its own), and writes a
 * byte to a pipe for each request it reads, so that a test can count what reached it.
 * Certificates are made at test time with the OpenSSL API: a test CA, written to a
 * temporary file that is the engine's ca_file, another CA nobody trusts, and leaves for
 * the right name, another name, the other CA, and an expired one. The name in every
 * request is mta-sts.example.test, pinned to the loopback address by the request: nothing
 * is resolved and nothing leaves the machine.
 *
 * Each case asserts the exact status, HTTP status, content type, location, body and a
 * part of `why`; done must never run inside engine_fetch() (a flag); cancelled fetches and
 * fetches outstanding at mailtls_engine_free() make no call and leak nothing (ASan's and
 * valgrind's leak checks make that assertion).
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
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <mailtls/mailtls.h>
#include "engine_task.h"
#include "fetch.h"
#include "testpki.h"

#define HOST "mta-sts.example.test"
#define PATH "/.well-known/mta-sts.txt"
#define DAY 86400L

/* ---- Certificates ---- */

static char dir[64];
static char ca_file[128];
static EVP_PKEY *ca_key, *other_key, *leaf_key;
static X509 *ca, *other_ca;
static X509 *leaf_good, *leaf_other_name, *leaf_untrusted, *leaf_expired;

/* make_cert - a v3 certificate for cn (a CA when dns is NULL, else a server leaf with that
 * dNSName), valid from now+nb to now+na seconds, signed by issuer (NULL: itself). */
static X509 *make_cert(const char *cn, const char *dns, EVP_PKEY *key, X509 *issuer,
		       EVP_PKEY *ikey, long nb, long na)
{
	time_t now = time(NULL);
	char san[300];

	if (dns != NULL)
		snprintf(san, sizeof(san), "DNS:%s", dns);
	return testpki_cert(&(struct testpki_spec){ .org = "mailtls test", .cn = cn, .key = key,
		.issuer = issuer, .issuer_key = ikey, .not_before = now + nb,
		.not_after = now + na, .ca = dns == NULL, .aki = "keyid:always",
		.san = dns != NULL ? san : NULL });
}

static int group_setup(void **state)
{
	(void)state;

	signal(SIGPIPE, SIG_IGN);
	strcpy(dir, "/tmp/mailtls-fetch-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	ca_key = testpki_key();
	other_key = testpki_key();
	leaf_key = testpki_key();
	ca = make_cert("Fetch Test CA", NULL, ca_key, NULL, NULL, -DAY, 365 * DAY);
	other_ca = make_cert("Nobody's CA", NULL, other_key, NULL, NULL, -DAY, 365 * DAY);
	leaf_good = make_cert(HOST, HOST, leaf_key, ca, ca_key, -DAY, 30 * DAY);
	leaf_other_name = make_cert("mta-sts.other.test", "mta-sts.other.test", leaf_key, ca,
				    ca_key, -DAY, 30 * DAY);
	leaf_untrusted = make_cert(HOST, HOST, leaf_key, other_ca, other_key, -DAY, 30 * DAY);
	leaf_expired = make_cert(HOST, HOST, leaf_key, ca, ca_key, -30 * DAY, -DAY);
	snprintf(ca_file, sizeof(ca_file), "%s/ca.pem", dir);
	testpki_write_pem(ca_file, &ca, 1);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	X509_free(ca);
	X509_free(other_ca);
	X509_free(leaf_good);
	X509_free(leaf_other_name);
	X509_free(leaf_untrusted);
	X509_free(leaf_expired);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(other_key);
	EVP_PKEY_free(leaf_key);
	unlink(ca_file);
	rmdir(dir);
	return 0;
}

/* ---- The server ---- */

enum srv_mode {
	SRV_HTTPS,      /* TLS with the leaf, read the request, send the response, close */
	SRV_SILENT,     /* accept, never answer, until the client goes */
	SRV_RAW,        /* no TLS: send the response bytes as they are */
	SRV_TLS11,      /* TLS 1.0 and 1.1 only */
};

struct server {
	pid_t pid;
	int lfd;
	int count_fd;   /* read end: a byte per request read */
	unsigned port;
};

struct reply {
	const char *bytes;  /* NULL: echo the request as a text/plain body */
	size_t len;         /* 0: strlen(bytes) */
};

static int listener(int family, unsigned *port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = family == AF_INET ? sizeof(*sin) : sizeof(*sin6);
	int fd = socket(family, SOCK_STREAM, 0), one = 1;

	assert_true(fd >= 0);
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
	assert_int_equal(listen(fd, 64), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(family == AF_INET ? sin->sin_port : sin6->sin6_port);
	return fd;
}

static SSL_CTX *server_ctx(enum srv_mode mode, X509 *leaf)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL || SSL_CTX_use_certificate(ctx, leaf) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, leaf_key) != 1)
		_exit(2);
	if (mode == SRV_TLS11) {
		SSL_CTX_set_security_level(ctx, 0);
		SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
		SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
		SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION);
	}
	return ctx;
}

/* drain - read until the peer closes (or 10 s pass: alarm). */
static void drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* serve_one - one connection, in a process of its own. */
static void serve_one(int fd, enum srv_mode mode, SSL_CTX *ctx, const struct reply *rp,
		      int count_fd)
{
	size_t len = rp->len ? rp->len : rp->bytes != NULL ? strlen(rp->bytes) : 0;
	char req[8192];
	size_t got = 0;
	SSL *ssl;

	if (mode == SRV_SILENT) {
		drain(fd);
		return;
	}
	if (mode == SRV_RAW) {
		if (write(fd, rp->bytes, len) < 0)
			return;
		drain(fd);
		return;
	}
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 || SSL_accept(ssl) != 1)
		return;
	while (got < sizeof(req) - 1) {
		int n = SSL_read(ssl, req + got, (int)(sizeof(req) - 1 - got));

		if (n <= 0)
			return;
		got += (size_t)n;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	if (write(count_fd, "r", 1) != 1)
		return;
	if (rp->bytes == NULL) {   /* echo: the request is the body */
		char head[128];
		int n = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: "
				 "text/plain\r\nContent-Length: %zu\r\n\r\n", got);

		if (SSL_write(ssl, head, n) == n && SSL_write(ssl, req, (int)got) == (int)got)
			SSL_shutdown(ssl);
		shutdown(fd, SHUT_WR);
		drain(fd);
		return;
	}
	for (size_t off = 0; off < len;) {
		int n = SSL_write(ssl, rp->bytes + off, (int)(len - off > 16384 ? 16384 : len - off));

		if (n <= 0)
			return;
		off += (size_t)n;
	}
	SSL_shutdown(ssl);
	shutdown(fd, SHUT_WR);
	drain(fd);
}

/* server_start - fork a server on the loopback address of family; every connection it
 * accepts is served by a process of its own, the same way (mode, leaf, reply). */
static void server_start(struct server *s, int family, enum srv_mode mode, X509 *leaf,
			 const struct reply *rp)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	s->lfd = listener(family, &s->port);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		SSL_CTX *ctx = NULL;

		setpgid(0, 0);
		alarm(20);                           /* never outlive the test */
		close(p[0]);
		if (mode == SRV_HTTPS || mode == SRV_TLS11)
			ctx = server_ctx(mode, leaf);
		for (;;) {
			int fd = accept(s->lfd, NULL, NULL);

			if (fd < 0)
				_exit(errno == EINTR ? 0 : 1);
			if (fork() == 0) {
				alarm(10);
				serve_one(fd, mode, ctx, rp, p[1]);
				_exit(0);
			}
			close(fd);
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
		}
	}
	close(p[1]);
	s->count_fd = p[0];
	assert_int_equal(fcntl(s->count_fd, F_SETFL, O_NONBLOCK), 0);
}

/* server_requests - requests the server has read so far. */
static int server_requests(struct server *s)
{
	char buf[64];
	ssize_t n;
	int total = 0;

	while ((n = read(s->count_fd, buf, sizeof(buf))) > 0)
		total += (int)n;
	return total;
}

static void server_stop(struct server *s)
{
	kill(-s->pid, SIGKILL);
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	close(s->lfd);
	close(s->count_fd);
}

/* ---- The client side ---- */

static bool in_submit;          /* engine_fetch() is running */

struct got {
	int n;
	struct fetch_result *r[32];
};

static void on_done(struct fetch_result *r, void *arg)
{
	struct got *g = arg;

	assert_false(in_submit);
	assert_true(g->n < 32);
	g->r[g->n++] = r;
}

static void never(struct fetch_result *r, void *arg)
{
	(void)arg;
	fetch_result_free(r);
	fail_msg("done called for a cancelled, abandoned or refused fetch");
}

static struct mailtls_engine *engine(unsigned per_address)
{
	struct mailtls_engine_params ep = { .ca_file = ca_file, .per_address = per_address };
	char why[256] = "";
	struct mailtls_engine *e = mailtls_engine_new(&ep, why, sizeof(why));

	if (e == NULL)
		print_error("mailtls_engine_new: %s\n", why);
	assert_non_null(e);
	return e;
}

static struct fetch_request request(unsigned port, size_t body_max, unsigned timeout_ms)
{
	struct fetch_request rq = {
		.host = HOST, .port = port, .path = PATH, .addrs = { "127.0.0.1" }, .n_addrs = 1,
		.body_max = body_max, .timeout_ms = timeout_ms,
	};

	return rq;
}

static int submit(struct mailtls_engine *e, const struct fetch_request *rq, fetch_done_fn *done,
		  void *arg, struct fetch_op **op, char *why, size_t whylen)
{
	int r;

	in_submit = true;
	r = engine_fetch(e, rq, done, arg, op, why, whylen);
	in_submit = false;
	return r;
}

/* fetch_one - one fetch of rq on a new engine, run to the end; the result (the caller
 * frees it). */
static struct fetch_result *fetch_one(const struct fetch_request *rq)
{
	struct mailtls_engine *e = engine(0);
	struct fetch_op *op = NULL;
	struct got g = { 0 };
	char why[256] = "";

	assert_int_equal(submit(e, rq, on_done, &g, &op, why, sizeof(why)), 0);
	assert_non_null(op);
	assert_int_equal(g.n, 0);
	assert_int_equal(mailtls_engine_pending(e), 1);
	assert_int_equal(mailtls_engine_run(e), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(mailtls_engine_pending(e), 0);
	mailtls_engine_free(e);
	return g.r[0];
}

static void assert_why_has(const struct fetch_result *r, const char *part)
{
	print_message("  why: %s\n", r->why);
	if (strstr(r->why, part) == NULL)
		fail_msg("why '%s' does not say '%s'", r->why, part);
	assert_null(strchr(r->why, '\n'));
}

/* ---- Responses: one table ---- */

#define A100 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define B100 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

struct response_case {
	const char *name;
	struct reply reply;
	size_t body_max;
	enum mailtls_fetch_status status;
	long http_status;
	const char *content_type;       /* NULL: none */
	const char *location;           /* NULL: none */
	const char *body;
	size_t body_len;
	const char *why;                /* a part of it; "" for OK */
};

static const struct response_case responses[] = {
	{ "200 text/plain",
	  { .bytes = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 26\r\n"
	    "Connection: close\r\n\r\nversion: STSv1\nmode: none\n" }, 1000,
	  MAILTLS_FETCH_OK, 200, "text/plain", NULL, "version: STSv1\nmode: none\n", 26, "" },
	{ "200 with a charset",
	  { .bytes = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: 5\r\n\r\nhello" }, 1000,
	  MAILTLS_FETCH_OK, 200, "text/plain; charset=utf-8", NULL, "hello", 5, "" },
	{ "404",
	  { .bytes = "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 9\r\n\r\n"
	    "not found" }, 1000,
	  MAILTLS_FETCH_OK, 404, "text/html", NULL, "not found", 9, "" },
	{ "301, not followed",
	  { .bytes = "HTTP/1.1 301 Moved Permanently\r\nLocation: https://elsewhere.example.test/p.txt\r\n"
	    "Content-Length: 0\r\n\r\n" }, 1000,
	  MAILTLS_FETCH_OK, 301, NULL, "https://elsewhere.example.test/p.txt", "", 0, "" },
	{ "no content type, a NUL in the body",
	  { .bytes = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\na\0b", .len = 41 }, 1000,
	  MAILTLS_FETCH_OK, 200, NULL, NULL, "a\0b", 3, "" },
	{ "exactly body_max",
	  { .bytes = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n" A100 },
	  100, MAILTLS_FETCH_OK, 200, "text/plain", NULL, A100, 100, "" },
	{ "too large, Content-Length",
	  { .bytes = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 200\r\n\r\n"
	    A100 B100 }, 100,
	  MAILTLS_FETCH_TOO_LARGE, 200, "text/plain", NULL, "", 0,
	  "the body is over 100 bytes (Content-Length: 200)" },
	{ "too large, chunked",
	  { .bytes = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "64\r\n" A100 "\r\n64\r\n" B100 "\r\n0\r\n\r\n" }, 150,
	  MAILTLS_FETCH_TOO_LARGE, 200, "text/plain", NULL, A100 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	  150, "the body is over 150 bytes" },
	{ "too large, up to the close",
	  { .bytes = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
	    A100 B100 }, 100,
	  MAILTLS_FETCH_TOO_LARGE, 200, "text/plain", NULL, A100, 100,
	  "the body is over 100 bytes" },
	{ "not HTTP inside TLS",
	  { .bytes = "SSH-2.0-OpenSSH_9.2\r\n\r\n" }, 1000,
	  MAILTLS_FETCH_PROTOCOL, 0, NULL, NULL, "", 0, "not a valid HTTP response" },
};

static void response_cases(void **state)
{
	(void)state;

	for (size_t i = 0; i < sizeof(responses) / sizeof(responses[0]); i++) {
		const struct response_case *c = &responses[i];
		struct server s;
		struct fetch_request rq;
		struct fetch_result *r;

		print_message("case: %s\n", c->name);
		server_start(&s, AF_INET, SRV_HTTPS, leaf_good, &c->reply);
		rq = request(s.port, c->body_max, 10000);
		r = fetch_one(&rq);
		if (r->status != c->status)
			fail_msg("%s: status %d, why '%s'", c->name, (int)r->status, r->why);
		assert_int_equal(r->http_status, c->http_status);
		if (c->content_type == NULL)
			assert_null(r->content_type);
		else
			assert_string_equal(r->content_type, c->content_type);
		if (c->location == NULL)
			assert_null(r->location);
		else
			assert_string_equal(r->location, c->location);
		assert_int_equal(r->body_len, c->body_len);
		assert_non_null(r->body);
		assert_memory_equal(r->body, c->body, c->body_len);
		assert_int_equal(r->body[r->body_len], '\0');
		if (c->why[0] == '\0')
			assert_string_equal(r->why, "");
		else
			assert_why_has(r, c->why);
		assert_string_equal(r->addr, "127.0.0.1");
		assert_true(r->elapsed_ms > 0 && r->elapsed_ms < 10000);
		/* One request reached the server: a redirect is never followed. */
		assert_int_equal(server_requests(&s), 1);
		fetch_result_free(r);
		server_stop(&s);
	}
}

/* The request as the server reads it: the path, the host, our name, nothing asking for an
 * encoding (the body is never decoded). */
static void request_sent(void **state)
{
	struct server s;
	struct fetch_request rq;
	struct fetch_result *r;
	char want[256];
	(void)state;

	server_start(&s, AF_INET, SRV_HTTPS, leaf_good, &(struct reply){ NULL, 0 });
	rq = request(s.port, 1000, 10000);
	r = fetch_one(&rq);
	if (r->status != MAILTLS_FETCH_OK)
		fail_msg("status %d, why '%s'", (int)r->status, r->why);
	snprintf(want, sizeof(want), "GET " PATH " HTTP/1.1\r\nHost: " HOST ":%u\r\n"
		 "User-Agent: mailtls/" MAILTLS_VERSION "\r\n", s.port);
	assert_memory_equal(r->body, want, strlen(want));
	assert_null(strcasestr(r->body, "Accept-Encoding"));
	assert_null(strcasestr(r->body, "Cookie"));
	assert_null(strcasestr(r->body, "Proxy"));
	fetch_result_free(r);
	server_stop(&s);
}

/* A relative Location: where it points, as an absolute URL; still not followed. */
static void relative_location(void **state)
{
	static const struct reply moved = {
		.bytes = "HTTP/1.1 302 Found\r\nLocation: /policy/v2.txt\r\nContent-Length: 0\r\n\r\n"
	};
	struct server s;
	struct fetch_request rq;
	struct fetch_result *r;
	char want[128];
	(void)state;

	server_start(&s, AF_INET, SRV_HTTPS, leaf_good, &moved);
	rq = request(s.port, 1000, 10000);
	r = fetch_one(&rq);
	assert_int_equal(r->status, MAILTLS_FETCH_OK);
	assert_int_equal(r->http_status, 302);
	snprintf(want, sizeof(want), "https://" HOST ":%u/policy/v2.txt", s.port);
	assert_string_equal(r->location, want);
	assert_int_equal(server_requests(&s), 1);
	fetch_result_free(r);
	server_stop(&s);
}

/* More header bytes than fetch.c keeps: a protocol error, said so. */
static void header_too_large(void **state)
{
	size_t n = 70 * 1024;
	char *big = malloc(n + 2000), *p = big;
	struct server s;
	struct fetch_request rq;
	struct fetch_result *r;
	(void)state;

	assert_non_null(big);
	p += sprintf(p, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n");
	for (int i = 0; p - big < (long)n; i++)
		p += sprintf(p, "X-Filler-%d: %0900d\r\n", i, 0);
	sprintf(p, "Content-Length: 2\r\n\r\nok");
	server_start(&s, AF_INET, SRV_HTTPS, leaf_good, &(struct reply){ big, 0 });
	rq = request(s.port, 1000, 10000);
	r = fetch_one(&rq);
	assert_int_equal(r->status, MAILTLS_FETCH_PROTOCOL);
	assert_why_has(r, "the response header is over 65536 bytes");
	assert_int_equal(r->body_len, 0);
	fetch_result_free(r);
	server_stop(&s);
	free(big);
}

/* ---- Certificates and TLS ---- */

static const struct reply ok_reply = {
	.bytes = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
};

struct tls_case {
	const char *name;
	enum srv_mode mode;
	X509 **leaf;
	enum mailtls_fetch_status status;
	const char *why;
};

static void tls_cases(void **state)
{
	static const struct reply garbage = { .bytes = "this is not TLS at all\r\n\r\n\r\n\r\n\r\n\r\n" };
	const struct tls_case cases[] = {
		{ "another name", SRV_HTTPS, &leaf_other_name, MAILTLS_FETCH_CERT,
		  "certificate verify failed: no alternative certificate subject name matches "
		  "target host name 'mta-sts.example.test'" },
		{ "untrusted CA", SRV_HTTPS, &leaf_untrusted, MAILTLS_FETCH_CERT,
		  "certificate verify failed: unable to get local issuer certificate" },
		{ "expired", SRV_HTTPS, &leaf_expired, MAILTLS_FETCH_CERT,
		  "certificate verify failed: certificate has expired" },
		{ "TLS 1.1 only", SRV_TLS11, &leaf_good, MAILTLS_FETCH_TLS,
		  "TLS handshake failed: " },
		{ "not TLS", SRV_RAW, &leaf_good, MAILTLS_FETCH_TLS, "TLS handshake failed: " },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tls_case *c = &cases[i];
		struct server s;
		struct fetch_request rq;
		struct fetch_result *r;

		print_message("case: %s\n", c->name);
		server_start(&s, AF_INET, c->mode, *c->leaf, c->mode == SRV_RAW ? &garbage : &ok_reply);
		rq = request(s.port, 1000, 10000);
		r = fetch_one(&rq);
		if (r->status != c->status)
			fail_msg("%s: status %d, why '%s'", c->name, (int)r->status, r->why);
		assert_why_has(r, c->why);
		assert_int_equal(r->http_status, 0);
		assert_null(r->content_type);
		assert_null(r->location);
		assert_int_equal(r->body_len, 0);
		assert_int_equal(server_requests(&s), 0);
		fetch_result_free(r);
		server_stop(&s);
	}
}

/* ---- Connections ---- */

/* A server that accepts and never answers: TIMEOUT, on time. */
static void timeout(void **state)
{
	struct server s;
	struct fetch_request rq;
	struct fetch_result *r;
	struct timespec t0, t1;
	double secs;
	(void)state;

	server_start(&s, AF_INET, SRV_SILENT, NULL, &ok_reply);
	rq = request(s.port, 1000, 500);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = fetch_one(&rq);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_int_equal(r->status, MAILTLS_FETCH_TIMEOUT);
	assert_why_has(r, "no complete response within 500 ms");
	assert_true(r->elapsed_ms >= 450);
	assert_true(secs < 2.0);
	assert_int_equal(r->http_status, 0);
	assert_int_equal(r->body_len, 0);
	fetch_result_free(r);
	server_stop(&s);
}

/* Nothing listening: CONNECT. */
static void nothing_listening(void **state)
{
	unsigned port;
	int fd = listener(AF_INET, &port);
	struct fetch_request rq;
	struct fetch_result *r;
	(void)state;

	close(fd);   /* the port is free again: connections are refused */
	rq = request(port, 1000, 5000);
	r = fetch_one(&rq);
	assert_int_equal(r->status, MAILTLS_FETCH_CONNECT);
	assert_why_has(r, "no connection: ");
	assert_int_equal(r->http_status, 0);
	fetch_result_free(r);
}

/* Proxies named in the environment are not used (one on port 9 would refuse or drop). */
static void proxy_environment_ignored(void **state)
{
	struct server s;
	struct fetch_request rq;
	struct fetch_result *r;
	(void)state;

	setenv("https_proxy", "http://127.0.0.1:9", 1);
	setenv("HTTPS_PROXY", "http://127.0.0.1:9", 1);
	setenv("ALL_PROXY", "http://127.0.0.1:9", 1);
	server_start(&s, AF_INET, SRV_HTTPS, leaf_good, &ok_reply);
	rq = request(s.port, 1000, 10000);
	r = fetch_one(&rq);
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("ALL_PROXY");
	if (r->status != MAILTLS_FETCH_OK)
		fail_msg("status %d, why '%s'", (int)r->status, r->why);
	assert_int_equal(r->http_status, 200);
	assert_string_equal(r->body, "ok");
	assert_int_equal(server_requests(&s), 1);
	fetch_result_free(r);
	server_stop(&s);
}

/* IPv6, and a list of addresses: the first that answers is used. */
static void ipv6_and_address_list(void **state)
{
	struct server s;
	struct fetch_request rq;
	struct fetch_result *r;
	(void)state;

	server_start(&s, AF_INET6, SRV_HTTPS, leaf_good, &ok_reply);
	rq = request(s.port, 1000, 10000);
	rq.addrs[0] = "::1";
	r = fetch_one(&rq);
	if (r->status != MAILTLS_FETCH_OK)
		fail_msg("status %d, why '%s'", (int)r->status, r->why);
	assert_string_equal(r->addr, "::1");
	fetch_result_free(r);
	server_stop(&s);

	/* Only IPv4 listens: ::1 refuses, 127.0.0.1 answers. */
	server_start(&s, AF_INET, SRV_HTTPS, leaf_good, &ok_reply);
	rq = request(s.port, 1000, 10000);
	rq.addrs[0] = "::1";
	rq.addrs[1] = "127.0.0.1";
	rq.n_addrs = 2;
	r = fetch_one(&rq);
	if (r->status != MAILTLS_FETCH_OK)
		fail_msg("status %d, why '%s'", (int)r->status, r->why);
	assert_string_equal(r->addr, "127.0.0.1");
	assert_int_equal(server_requests(&s), 1);
	fetch_result_free(r);
	server_stop(&s);
}

/* ---- Many, cancelled, abandoned ---- */

/* 20 fetches at once on one engine all end, each with its own body. */
static void twenty_at_once(void **state)
{
	struct mailtls_engine *e = engine(20);
	struct fetch_op *ops[20];
	struct got g = { 0 };
	struct server s;
	struct fetch_request rq;
	char why[256];
	(void)state;

	server_start(&s, AF_INET, SRV_HTTPS, leaf_good, &ok_reply);
	rq = request(s.port, 1000, 30000);
	for (int i = 0; i < 20; i++)
		assert_int_equal(submit(e, &rq, on_done, &g, &ops[i], why, sizeof(why)), 0);
	assert_int_equal(mailtls_engine_pending(e), 20);
	assert_int_equal(mailtls_engine_run(e), 0);
	assert_int_equal(g.n, 20);
	for (int i = 0; i < 20; i++) {
		if (g.r[i]->status != MAILTLS_FETCH_OK)
			fail_msg("fetch %d: status %d, why '%s'", i, (int)g.r[i]->status, g.r[i]->why);
		assert_string_equal(g.r[i]->body, "ok");
		fetch_result_free(g.r[i]);
	}
	assert_int_equal(server_requests(&s), 20);
	mailtls_engine_free(e);
	server_stop(&s);
}

static int breaks_left;          /* break_loop breaks the run this many times */

/* break_loop - a tick: stop the run (once per breaks_left; the tick cannot be removed, and
 * later runs must not be cut by it). */
static void break_loop(void *arg)
{
	if (breaks_left > 0) {
		breaks_left--;
		mailtls_engine_break(arg);
	}
}

/* Cancelled before its grant, and while connected: no call, nothing pending, and the
 * engine's client still works afterwards. */
static void cancel(void **state)
{
	struct mailtls_engine *e = engine(0);
	struct fetch_op *op = NULL;
	struct got g = { 0 };
	struct server silent, good;
	struct fetch_request rq;
	char why[256];
	(void)state;

	server_start(&silent, AF_INET, SRV_SILENT, NULL, &ok_reply);
	rq = request(silent.port, 1000, 5000);
	assert_int_equal(submit(e, &rq, never, NULL, &op, why, sizeof(why)), 0);
	fetch_cancel(op);
	assert_int_equal(mailtls_engine_pending(e), 0);
	assert_int_equal(mailtls_engine_run(e), 0);

	assert_int_equal(submit(e, &rq, never, NULL, &op, why, sizeof(why)), 0);
	breaks_left = 1;
	assert_int_equal(mailtls_engine_every(e, 0.3, break_loop, e), 0);
	assert_int_equal(mailtls_engine_run(e), 0);   /* broken: connected, no answer */
	assert_int_equal(mailtls_engine_pending(e), 1);
	fetch_cancel(op);
	assert_int_equal(mailtls_engine_pending(e), 0);
	assert_int_equal(mailtls_engine_run(e), 0);

	server_start(&good, AF_INET, SRV_HTTPS, leaf_good, &ok_reply);
	rq = request(good.port, 1000, 10000);
	assert_int_equal(submit(e, &rq, on_done, &g, &op, why, sizeof(why)), 0);
	assert_int_equal(mailtls_engine_run(e), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.r[0]->status, MAILTLS_FETCH_OK);
	fetch_result_free(g.r[0]);
	mailtls_engine_free(e);
	server_stop(&silent);
	server_stop(&good);
}

struct chain {
	struct mailtls_engine *e;
	struct fetch_request rq;
	struct fetch_op *other;         /* to cancel from the first done */
	struct got g;
	int more;                       /* fetches still to start from done */
};

/* chain_done - from the loop, a done callback may start another fetch and cancel one. */
static void chain_done(struct fetch_result *r, void *arg)
{
	struct chain *c = arg;
	struct fetch_op *op;
	char why[256];

	on_done(r, &c->g);
	if (c->other != NULL) {
		fetch_cancel(c->other);
		c->other = NULL;
	}
	if (c->more > 0) {
		c->more--;
		assert_int_equal(submit(c->e, &c->rq, chain_done, c, &op, why, sizeof(why)), 0);
	}
}

static void from_done(void **state)
{
	struct chain c = { .e = engine(0), .more = 2 };
	struct server good, silent;
	struct fetch_request slow;
	struct fetch_op *op;
	char why[256];
	(void)state;

	server_start(&good, AF_INET, SRV_HTTPS, leaf_good, &ok_reply);
	server_start(&silent, AF_INET, SRV_SILENT, NULL, &ok_reply);
	c.rq = request(good.port, 1000, 10000);
	slow = request(silent.port, 1000, 10000);
	assert_int_equal(submit(c.e, &slow, never, NULL, &c.other, why, sizeof(why)), 0);
	assert_int_equal(submit(c.e, &c.rq, chain_done, &c, &op, why, sizeof(why)), 0);
	assert_int_equal(mailtls_engine_run(c.e), 0);
	assert_null(c.other);
	assert_int_equal(c.g.n, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(c.g.r[i]->status, MAILTLS_FETCH_OK);
		fetch_result_free(c.g.r[i]);
	}
	assert_int_equal(server_requests(&good), 3);
	mailtls_engine_free(c.e);
	server_stop(&good);
	server_stop(&silent);
}

/* The engine freed with fetches outstanding (one connected, one still queued): no call. */
static void free_with_fetch_outstanding(void **state)
{
	struct mailtls_engine *e = engine(0);
	struct fetch_op *op1 = NULL, *op2 = NULL;
	struct server s;
	struct fetch_request rq;
	char why[256];
	(void)state;

	server_start(&s, AF_INET, SRV_SILENT, NULL, &ok_reply);
	rq = request(s.port, 1000, 5000);
	assert_int_equal(submit(e, &rq, never, NULL, &op1, why, sizeof(why)), 0);
	breaks_left = 1;
	assert_int_equal(mailtls_engine_every(e, 0.3, break_loop, e), 0);
	assert_int_equal(mailtls_engine_run(e), 0);
	assert_int_equal(mailtls_engine_pending(e), 1);
	assert_int_equal(submit(e, &rq, never, NULL, &op2, why, sizeof(why)), 0);
	mailtls_engine_free(e);
	server_stop(&s);
}

/* An owner task (as a domain is) that holds a fetch and cancels it when it is abandoned:
 * the engine freed mid-fetch abandons the owner first, which cancels its fetch whole (the
 * other order would hand the owner a fetch already freed). */
struct owner {
	struct engine_task task;
	struct fetch_request rq;
	struct fetch_op *op;
};

static void owner_granted(struct engine_task *t)
{
	struct owner *o = (struct owner *)t;
	char why[256];

	admit_release(engine_admit(t->e), &t->ticket);
	assert_int_equal(engine_fetch(t->e, &o->rq, never, NULL, &o->op, why, sizeof(why)), 0);
}

static void owner_dropped(struct engine_task *t, void (*forget)(void *arg))
{
	(void)forget;
	engine_task_end(t);
	free(t);
}

static void owner_abandon(struct engine_task *t)
{
	struct owner *o = (struct owner *)t;

	fetch_cancel(o->op);
	free(o);
}

static const struct engine_task_ops owner_ops = {
	.kind = "owner", .granted = owner_granted, .dropped = owner_dropped,
	.abandon = owner_abandon,
};

static void free_owner_mid_fetch(void **state)
{
	struct mailtls_engine *e = engine(0);
	struct owner *o = calloc(1, sizeof(*o));
	struct server s;
	(void)state;

	server_start(&s, AF_INET, SRV_SILENT, NULL, &ok_reply);
	o->rq = request(s.port, 1000, 5000);
	engine_task_add(e, &o->task, &owner_ops);
	breaks_left = 1;
	assert_int_equal(mailtls_engine_every(e, 0.3, break_loop, e), 0);
	assert_int_equal(mailtls_engine_run(e), 0);
	assert_non_null(o->op);
	assert_int_equal(mailtls_engine_pending(e), 2);   /* the owner and its fetch */
	mailtls_engine_free(e);                           /* ASan/valgrind: no use after free */
	server_stop(&s);
}

/* A fetch is part of its owner's work: stopping the queue leaves it. */
static void stop_queue_keeps_fetches(void **state)
{
	struct mailtls_engine *e = engine(0);
	struct fetch_op *op = NULL;
	struct got g = { 0 };
	struct server s;
	struct fetch_request rq;
	char why[256];
	(void)state;

	server_start(&s, AF_INET, SRV_HTTPS, leaf_good, &ok_reply);
	rq = request(s.port, 1000, 10000);
	assert_int_equal(submit(e, &rq, on_done, &g, &op, why, sizeof(why)), 0);
	assert_int_equal(mailtls_engine_stop_queue(e, NULL), 0);
	assert_int_equal(mailtls_engine_pending(e), 1);
	assert_int_equal(mailtls_engine_run(e), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.r[0]->status, MAILTLS_FETCH_OK);
	fetch_result_free(g.r[0]);
	mailtls_engine_free(e);
	server_stop(&s);
}

/* ---- Requests that are not ---- */

static void invalid_requests(void **state)
{
	struct mailtls_engine *e = engine(0);
	struct fetch_op *op;
	const struct fetch_request good = request(443, 1000, 5000);
	struct {
		struct fetch_request rq;
		const char *why;
	} bad[] = {
		{ { .path = PATH, .addrs = { "127.0.0.1" }, .n_addrs = 1, .body_max = 1,
		    .timeout_ms = 1 }, "host: none given" },
		{ good, "host 'MTA-STS.example.test': not a normalized DNS name" },
		{ good, "host 'a\\x0ab': not a normalized DNS name" },
		{ good, "host '127.0.0.1': not a normalized DNS name" },
		{ good, "port 65536: not a port (1 to 65535, or 0 for 443)" },
		{ good, "path: none given" },
		{ good, "path 'well-known': not '/' then printable ASCII without spaces or '#', "
		  "at most 2048 bytes" },
		{ good, "path '/a b': not '/' then printable ASCII without spaces or '#', at most "
		  "2048 bytes" },
		{ good, "addrs: 0 given (1 to 8)" },
		{ good, "addrs: 9 given (1 to 8)" },
		{ good, "addrs[0] 'mta-sts.example.test': not a numeric IPv4 or IPv6 address" },
		{ good, "addrs[1] 'fe80::1%eth0': not a numeric IPv4 or IPv6 address" },
		{ good, "addrs[1]: not a numeric IPv4 or IPv6 address" },
		{ good, "body_max 0: not 1 to 16777216" },
		{ good, "timeout_ms 0: not 1 to 3600000" },
	};
	char why[256];
	struct got g = { 0 };
	size_t i = 1;
	(void)state;

	bad[i++].rq.host = "MTA-STS.example.test";
	bad[i++].rq.host = "a\nb";
	bad[i++].rq.host = "127.0.0.1";
	bad[i++].rq.port = 65536;
	bad[i++].rq.path = NULL;
	bad[i++].rq.path = "well-known";
	bad[i++].rq.path = "/a b";
	bad[i++].rq.n_addrs = 0;
	bad[i++].rq.n_addrs = 9;
	bad[i++].rq.addrs[0] = HOST;
	bad[i].rq.addrs[1] = "fe80::1%eth0";
	bad[i++].rq.n_addrs = 2;
	bad[i++].rq.n_addrs = 2;
	bad[i++].rq.body_max = 0;
	bad[i++].rq.timeout_ms = 0;
	assert_int_equal(i, sizeof(bad) / sizeof(bad[0]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		op = (struct fetch_op *)&g;   /* set to NULL on refusal */
		why[0] = '\0';
		assert_int_equal(submit(e, &bad[i].rq, never, NULL, &op, why, sizeof(why)),
				 MAILTLS_EINVAL);
		assert_string_equal(why, bad[i].why);
		assert_null(op);
	}
	assert_int_equal(submit(e, &good, NULL, NULL, &op, why, sizeof(why)), MAILTLS_EINVAL);
	assert_string_equal(why, "fetch: no engine, request, done callback or handle given");
	assert_int_equal(submit(e, &good, never, NULL, NULL, why, sizeof(why)), MAILTLS_EINVAL);
	assert_int_equal(mailtls_engine_pending(e), 0);
	assert_int_equal(mailtls_engine_run(e), 0);
	mailtls_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(response_cases),
		cmocka_unit_test(request_sent),
		cmocka_unit_test(relative_location),
		cmocka_unit_test(header_too_large),
		cmocka_unit_test(tls_cases),
		cmocka_unit_test(timeout),
		cmocka_unit_test(nothing_listening),
		cmocka_unit_test(proxy_environment_ignored),
		cmocka_unit_test(ipv6_and_address_list),
		cmocka_unit_test(twenty_at_once),
		cmocka_unit_test(cancel),
		cmocka_unit_test(from_done),
		cmocka_unit_test(free_with_fetch_outstanding),
		cmocka_unit_test(free_owner_mid_fetch),
		cmocka_unit_test(stop_queue_keeps_fetches),
		cmocka_unit_test(invalid_requests),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
