/*
 * test_engine.c - the engine's life cycle on loopback: a check that times out names its
 * phase; several checks on one loop all end; checks still in flight (connecting, resolving)
 * are freed by mailtls_engine_free() without callbacks (ASan's leak check makes that assertion).
 * The servers are made here: a listening socket that never accepts, and a scripted peer (a
 * forked child) that floods the client with lines no IMAP or POP3 server should send, to
 * show the dialogue ends with a finding and bounded memory. DNS questions go to 127.0.0.1:1,
 * where nothing answers, or are for .invalid
 * names, which libunbound answers itself (RFC 6761) without asking any resolver.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <mailtls/mailtls.h>


/* silent_listener - a TCP listener on 127.0.0.1 that never accepts; its port in *port. */
static int silent_listener(unsigned *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

struct collected {
	int n;
	struct mailtls_result *res[8];
};

static void collect(struct mailtls_result *res, void *arg)
{
	struct collected *c = arg;

	c->res[c->n++] = res;
}

static void timeout_names_the_phase(void **state)
{
	unsigned port;
	int lfd = silent_listener(&port);
	struct mailtls_engine_params ep = { .ca_file = NULL };
	struct mailtls_check_params cp = {
		.proto = MAILTLS_PROTO_SMTP, .host = "127.0.0.1", .timeout = 0.3, .warn_days = -1,
	};
	struct collected c = { 0 };
	char why[256] = "", prefix[64];
	struct mailtls_engine *e = mailtls_engine_new(&ep, why, sizeof(why));
	(void)state;

	assert_non_null(e);
	cp.port = port;
	for (int i = 0; i < 3; i++)
		assert_int_equal(mailtls_engine_submit(e, &cp, collect, &c, why, sizeof(why)), 0);
	assert_int_equal(mailtls_engine_run(e), 0);
	assert_int_equal(c.n, 3);
	snprintf(prefix, sizeof(prefix), "127.0.0.1:%u: timed out after 0.3s waiting for the greeting", port);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(c.res[i]->findings.n, 1);
		assert_string_equal(c.res[i]->findings.v[0].id, "conn.timeout");
		assert_string_equal(c.res[i]->findings.v[0].message, prefix);
		assert_int_equal(mailtls_result_exit_code(c.res[i]), MAILTLS_EXIT_CRITICAL);
		assert_true(c.res[i]->session.elapsed_ms >= 250);
		mailtls_result_free(c.res[i]);
	}
	mailtls_engine_free(e);
	close(lfd);
}

static void break_loop(void *arg)
{
	mailtls_engine_break(arg);
}

static void free_with_checks_in_flight(void **state)
{
	unsigned port;
	int lfd = silent_listener(&port);
	struct mailtls_engine_params ep = { .resolver = "127.0.0.1@1" };
	struct mailtls_check_params ip = {
		.proto = MAILTLS_PROTO_IMAP, .host = "127.0.0.1", .timeout = 5, .warn_days = -1,
	};
	struct mailtls_check_params named = {
		.proto = MAILTLS_PROTO_SMTP, .host = "mx.example.org", .timeout = 5,
		.warn_days = -1,
	};
	struct mailtls_engine_stats st;
	struct collected c = { 0 };
	char why[256] = "";
	struct mailtls_engine *e = mailtls_engine_new(&ep, why, sizeof(why));
	(void)state;

	assert_non_null(e);
	ip.port = port;
	assert_int_equal(mailtls_engine_submit(e, &ip, collect, &c, why, sizeof(why)), 0);
	assert_int_equal(mailtls_engine_submit(e, &named, collect, &c, why, sizeof(why)), 0);
	/* Run the loop for a moment: the IMAP check connects and waits for a greeting that
	 * never comes, the other waits for its address. */
	assert_int_equal(mailtls_engine_every(e, 0.2, break_loop, e), 0);
	assert_int_equal(mailtls_engine_run(e), 0);
	mailtls_engine_stats(e, &st);
	assert_int_equal(st.in_flight, 2);
	assert_int_equal(st.connections, 1);
	assert_int_equal(mailtls_engine_pending(e), 2);
	mailtls_engine_free(e);            /* both are in flight */
	assert_int_equal(c.n, 0);  /* abandoned checks make no callback */
	close(lfd);
}

/* read_line - read from fd until a newline (the peer's command); false on EOF or error. */
static bool read_line(int fd)
{
	char c;

	for (;;) {
		if (read(fd, &c, 1) != 1)
			return false;
		if (c == '\n')
			return true;
	}
}

/*
 * flood_peer - fork a child that accepts one connection on lfd, writes greeting, waits for
 * the client's first command line, then writes flood_line flood_count times and lingers at
 * most 3 s for the client to go. Returns the child's pid.
 */
static pid_t flood_peer(int lfd, const char *greeting, const char *flood_line, int flood_count)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		char buf[512];
		int fd;

		signal(SIGPIPE, SIG_IGN);
		alarm(10);                                      /* never outlive the test */
		if ((fd = accept(lfd, NULL, NULL)) < 0)
			_exit(1);
		if (write(fd, greeting, strlen(greeting)) < 0)
			_exit(1);
		if (!read_line(fd))
			_exit(1);
		for (int i = 0; i < flood_count; i++)
			if (write(fd, flood_line, strlen(flood_line)) < 0)
				break;
		for (int i = 0; i < 30 && read(fd, buf, sizeof(buf)) > 0; i++)
			;                                       /* until the client closes */
		_exit(0);
	}
	return pid;
}

/* run_one - one check against 127.0.0.1:port; the result (owned by the caller). */
static struct mailtls_result *run_one(enum mailtls_proto proto, unsigned port)
{
	struct mailtls_engine_params ep = { .ca_file = NULL };
	struct mailtls_check_params cp = {
		.proto = proto, .host = "127.0.0.1", .port = port, .timeout = 5, .warn_days = -1,
		.no_profiles = true,   /* these peers answer one connection: the check alone */
	};
	struct collected c = { 0 };
	char why[256] = "";
	struct mailtls_engine *e = mailtls_engine_new(&ep, why, sizeof(why));

	assert_non_null(e);
	assert_int_equal(mailtls_engine_submit(e, &cp, collect, &c, why, sizeof(why)), 0);
	assert_int_equal(mailtls_engine_run(e), 0);
	assert_int_equal(c.n, 1);
	mailtls_engine_free(e);
	return c.res[0];
}

/* An IMAP server that answers CAPABILITY with untagged lines without end: the check ends at
 * the 201st line, keeps at most DIALOG_CAPS_MAX capabilities, and says why. */
static void imap_untagged_flood(void **state)
{
	unsigned port;
	int lfd = silent_listener(&port), status;
	pid_t pid = flood_peer(lfd, "* OK IMAP4rev1 ready\r\n",
			       "* CAPABILITY IMAP4rev1 STARTTLS X-A X-B X-C X-D X-E X-F\r\n", 5000);
	struct mailtls_result *res = run_one(MAILTLS_PROTO_IMAP, port);
	char want[160];
	(void)state;

	assert_int_equal(res->findings.n, 1);
	assert_string_equal(res->findings.v[0].id, "proto.too-many-lines");
	snprintf(want, sizeof(want), "127.0.0.1:%u: the reply to CAPABILITY exceeded 200 lines "
		 "or 16384 bytes", port);
	assert_string_equal(res->findings.v[0].message, want);
	assert_true(res->session.caps_pre.n <= 256);
	assert_int_equal(mailtls_result_exit_code(res), MAILTLS_EXIT_CRITICAL);
	mailtls_result_free(res);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(lfd);
}

/* A POP3 server whose CAPA list never ends (no "." line). */
static void pop3_capa_flood(void **state)
{
	unsigned port;
	int lfd = silent_listener(&port), status;
	pid_t pid = flood_peer(lfd, "+OK POP3 ready\r\n+OK\r\n", "X-CAPABILITY\r\n", 5000);
	struct mailtls_result *res = run_one(MAILTLS_PROTO_POP3, port);
	char want[160];
	(void)state;

	assert_int_equal(res->findings.n, 1);
	assert_string_equal(res->findings.v[0].id, "proto.too-many-lines");
	snprintf(want, sizeof(want), "127.0.0.1:%u: the reply to CAPA exceeded 200 lines "
		 "or 16384 bytes", port);
	assert_string_equal(res->findings.v[0].message, want);
	mailtls_result_free(res);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(lfd);
}

/* read_full - read exactly n bytes. */
static bool read_full(int fd, unsigned char *buf, size_t n)
{
	for (size_t o = 0; o < n;) {
		ssize_t k = read(fd, buf + o, n - o);

		if (k <= 0)
			return false;
		o += (size_t)k;
	}
	return true;
}

/*
 * big_hello_peer - fork a child that plays an SMTP server up to the STARTTLS go-ahead,
 * reads the client's ClientHello record, answers it with the header of a ServerHello that
 * claims 2 MiB (16 03 03 00 04 02 20 00 00) and lingers until the client goes.
 */
static pid_t big_hello_peer(int lfd)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		static const char ehlo[] = "250-test.invalid\r\n250 STARTTLS\r\n";
		static const unsigned char hello[] = { 0x16, 0x03, 0x03, 0x00, 0x04,
						       0x02, 0x20, 0x00, 0x00 };
		unsigned char rec[5], body[1 << 16];
		int fd;

		signal(SIGPIPE, SIG_IGN);
		alarm(10);                                      /* never outlive the test */
		if ((fd = accept(lfd, NULL, NULL)) < 0)
			_exit(1);
		if (write(fd, "220 test.invalid ESMTP\r\n", 24) != 24 || !read_line(fd)
		    || write(fd, ehlo, sizeof(ehlo) - 1) != (ssize_t)sizeof(ehlo) - 1
		    || !read_line(fd) || write(fd, "220 ready\r\n", 11) != 11
		    || !read_full(fd, rec, sizeof(rec)) || rec[0] != 0x16
		    || !read_full(fd, body, (size_t)rec[3] << 8 | rec[4])
		    || write(fd, hello, sizeof(hello)) != (ssize_t)sizeof(hello))
			_exit(1);
		for (int i = 0; i < 30 && read(fd, body, sizeof(body)) > 0; i++)
			;                                       /* until the client closes */
		_exit(0);
	}
	return pid;
}

/* A ServerHello claiming 2 MiB ends the handshake with SSL_R_EXCESSIVE_MESSAGE_SIZE before
 * any certificate: the reason must not blame a certificate chain. */
static void big_server_hello(void **state)
{
	unsigned port;
	int lfd = silent_listener(&port), status;
	pid_t pid = big_hello_peer(lfd);
	struct mailtls_result *res = run_one(MAILTLS_PROTO_SMTP, port);
	char want[256];
	(void)state;

	assert_int_equal(res->findings.n, 2);
	assert_string_equal(res->findings.v[0].id, "starttls.offered");
	assert_string_equal(res->findings.v[1].id, "tls.handshake-failed");
	snprintf(want, sizeof(want), "127.0.0.1:%u: STARTTLS handshake failed: the server sent a "
		 "handshake message larger than OpenSSL-based clients accept (excessive message "
		 "size)", port);
	assert_string_equal(res->findings.v[1].message, want);
	assert_false(res->would_encrypt);
	assert_int_equal(mailtls_result_exit_code(res), MAILTLS_EXIT_CRITICAL);
	mailtls_result_free(res);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(lfd);
}

static void invalid_parameters(void **state)
{
	struct mailtls_engine_params ep = { .ca_file = NULL };
	struct mailtls_check_params cp = { .proto = MAILTLS_PROTO_SMTP, .host = "", .warn_days = -1 };
	const char *names[] = { "not a name" };
	struct collected c = { 0 };
	char why[256] = "";
	struct mailtls_engine *e = mailtls_engine_new(&ep, why, sizeof(why));
	(void)state;

	assert_non_null(e);
	assert_int_equal(mailtls_engine_submit(e, &cp, collect, &c, why, sizeof(why)), MAILTLS_EINVAL);
	assert_string_equal(why, "host: no valid host given");
	cp.host = "127.0.0.1";
	cp.names = names;
	cp.n_names = 1;
	assert_int_equal(mailtls_engine_submit(e, &cp, collect, &c, why, sizeof(why)), MAILTLS_EINVAL);
	assert_string_equal(why, "names not a name: not a valid DNS name");
	cp.n_names = 0;
	cp.host = "::1";
	cp.family = 4;
	assert_int_equal(mailtls_engine_submit(e, &cp, collect, &c, why, sizeof(why)), MAILTLS_EINVAL);
	assert_string_equal(why, "host ::1 is an IPv6 address, but family 4 was asked for");
	/* The library refuses an EHLO name that is no domain or address literal (a caller
	 * could otherwise inject a command after CR LF). */
	cp.family = 0;
	cp.ehlo_name = "client.example\r\nMAIL FROM:<>";
	assert_int_equal(mailtls_engine_submit(e, &cp, collect, &c, why, sizeof(why)), MAILTLS_EINVAL);
	assert_string_equal(why, "ehlo_name client.example\\x0d\\x0aMAIL FROM:<>: not a valid EHLO name "
			    "(a domain or an address literal such as [192.0.2.1])");
	cp.ehlo_name = NULL;
	assert_int_equal(mailtls_engine_run(e), 0);   /* nothing was queued */
	assert_int_equal(c.n, 0);
	mailtls_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(timeout_names_the_phase),
		cmocka_unit_test(free_with_checks_in_flight),
		cmocka_unit_test(invalid_parameters),
		cmocka_unit_test(imap_untagged_flood),
		cmocka_unit_test(pop3_capa_flood),
		cmocka_unit_test(big_server_hello),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
