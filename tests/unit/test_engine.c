/*
 * test_engine.c - the engine's life cycle on loopback: a check that times out names its
 * phase; several checks on one loop all end; checks still in flight (connecting, resolving)
 * are freed by engine_free() without callbacks (ASan's leak check makes that assertion).
 * The only server is a listening socket made here that never accepts; DNS questions are for
 * .invalid names, which libunbound answers itself (RFC 6761) without asking any resolver.
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
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <mailtls/mailtls.h>
#include "engine.h"

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
	struct engine_params ep = { .ca_file = NULL };
	struct mailtls_check_params cp = {
		.proto = MAILTLS_PROTO_SMTP, .host = "127.0.0.1", .timeout = 0.3, .warn_days = -1,
	};
	struct collected c = { 0 };
	char why[256] = "", prefix[64];
	struct engine *e = engine_new(&ep, why, sizeof(why));
	(void)state;

	assert_non_null(e);
	cp.port = port;
	for (int i = 0; i < 3; i++)
		assert_int_equal(engine_submit(e, &cp, collect, &c, why, sizeof(why)), 0);
	assert_int_equal(engine_run(e), 0);
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
	engine_free(e);
	close(lfd);
}

static void free_with_checks_in_flight(void **state)
{
	unsigned port;
	int lfd = silent_listener(&port);
	struct engine_params ep = { .ca_file = NULL };
	struct mailtls_check_params ip = {
		.proto = MAILTLS_PROTO_IMAP, .host = "127.0.0.1", .timeout = 5, .warn_days = -1,
	};
	struct mailtls_check_params named = {
		.proto = MAILTLS_PROTO_SMTP, .host = "mx.example.invalid", .timeout = 5,
		.warn_days = -1, .resolver = "127.0.0.1@1",
	};
	struct collected c = { 0 };
	char why[256] = "";
	struct engine *e = engine_new(&ep, why, sizeof(why));
	(void)state;

	assert_non_null(e);
	ip.port = port;
	assert_int_equal(engine_submit(e, &ip, collect, &c, why, sizeof(why)), 0);
	assert_int_equal(engine_submit(e, &named, collect, &c, why, sizeof(why)), 0);
	engine_free(e);            /* without engine_run(): both are in flight */
	assert_int_equal(c.n, 0);  /* abandoned checks make no callback */
	close(lfd);
}

static void invalid_parameters(void **state)
{
	struct engine_params ep = { .ca_file = NULL };
	struct mailtls_check_params cp = { .proto = MAILTLS_PROTO_SMTP, .host = "", .warn_days = -1 };
	const char *names[] = { "not a name" };
	struct collected c = { 0 };
	char why[256] = "";
	struct engine *e = engine_new(&ep, why, sizeof(why));
	(void)state;

	assert_non_null(e);
	assert_int_equal(engine_submit(e, &cp, collect, &c, why, sizeof(why)), MAILTLS_EINVAL);
	assert_string_equal(why, "no valid host given");
	cp.host = "127.0.0.1";
	cp.names = names;
	cp.n_names = 1;
	assert_int_equal(engine_submit(e, &cp, collect, &c, why, sizeof(why)), MAILTLS_EINVAL);
	assert_string_equal(why, "--name not a name: not a valid DNS name");
	cp.n_names = 0;
	cp.host = "::1";
	cp.family = 4;
	assert_int_equal(engine_submit(e, &cp, collect, &c, why, sizeof(why)), MAILTLS_EINVAL);
	assert_string_equal(why, "::1 is an IPv6 address, but -4 was given");
	assert_int_equal(engine_run(e), 0);   /* nothing was queued */
	assert_int_equal(c.n, 0);
	engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(timeout_names_the_phase),
		cmocka_unit_test(free_with_checks_in_flight),
		cmocka_unit_test(invalid_parameters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
