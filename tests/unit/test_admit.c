/*
 * test_admit.c - the engine's admission control, seen through the public API only
 * (mailtls/engine.h): checks in flight, connections per address, the rate of new
 * connections, the descriptor budget (RLIMIT_NOFILE 64, descriptors taken behind the
 * engine's back, none left at all), done never called from inside submit, the
 * whole-check deadline (counted only while a check is at work), stop_queue, break, every
 * and on_signal.
 *
 * Everything stays on loopback. The servers are made here: a scripted peer (a forked child)
 * listens on one or more addresses of 127/8 and plays a tiny SMTP server on every
 * connection it accepts, with set delays; when told to stop it reports what it saw (how
 * many connections, how many open at once, overall and per address, and when each was
 * accepted), so the limits are checked from the server's side as well as from the
 * engine's statistics. Every child is reaped; a test that fails half-way kills and reaps
 * its peers in the teardown. DNS: IP literals, and x.invalid, which libunbound answers
 * itself (RFC 6761); the resolver is 127.0.0.1@1, so no question leaves the machine.
 *
 * Not tested here: TLS (test_engine.c and the integration suite do that).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <mailtls/mailtls.h>
#include "engine_task.h"   /* engine_submit_part */

#define RESOLVER "127.0.0.1@1"          /* nothing answers there: no question leaves */
#define PEER_LISTENERS_MAX 9
#define PEER_CONNS_MAX 512
#define PEER_ACCEPTS_MAX 512             /* accept times kept; more are only counted */
#define PEERS_MAX 4                      /* peers alive at once, for the teardown */
#define RUN_BOUND 20.0                   /* seconds any one engine run may take */

static const char busy[] = "554 5.3.2 busy\r\n";

/* ---- Clocks ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- The scripted peer ---- */

/* What the peer says, and when. A command line gets its reply step seconds after it
 * arrives; QUIT is answered "221" and the peer closes. */
struct peer_script {
	double hold_first;       /* seconds before the greeting of the first connection */
	double hold;             /* seconds before the greeting of every other one */
	double step;             /* seconds before each reply to a command */
	const char *greeting;
	const char *ehlo;        /* reply to EHLO; NULL: "250 test.invalid" */
	const char *starttls;    /* reply to STARTTLS; NULL: "454 4.7.0 TLS not available" */
};

/* What the peer saw, sent back when it is stopped. */
struct peer_report {
	int accepts;
	int max_open;                            /* connections open at once, all listeners */
	int max_open_at[PEER_LISTENERS_MAX];     /* ... on each listener (address) */
	double accepted_at[PEER_ACCEPTS_MAX];    /* seconds after the first accept */
};

struct peer {
	pid_t pid;
	int stop_fd;             /* write end: closing it stops the peer */
	int report_fd;           /* read end of the report */
};

struct peer_conn {
	int fd;
	int lst;                 /* which listener accepted it */
	const char *reply;       /* due at `due`; NULL: none */
	double due;
	bool close_after;        /* close once reply is sent (QUIT) */
	char line[512];
	size_t len;
};

static pid_t live_peers[PEERS_MAX];

/* peer_command - the reply to one command line. */
static void peer_command(struct peer_conn *c, const struct peer_script *sc, double now)
{
	const char *l = c->line;

	if (strncasecmp(l, "EHLO", 4) == 0 || strncasecmp(l, "HELO", 4) == 0)
		c->reply = sc->ehlo ? sc->ehlo : "250 test.invalid\r\n";
	else if (strncasecmp(l, "STARTTLS", 8) == 0)
		c->reply = sc->starttls ? sc->starttls : "454 4.7.0 TLS not available\r\n";
	else if (strncasecmp(l, "QUIT", 4) == 0) {
		c->reply = "221 2.0.0 bye\r\n";
		c->close_after = true;
	} else
		c->reply = "500 5.5.1 unknown command\r\n";
	c->due = now + sc->step;
	c->len = 0;               /* the client never pipelines: one line at a time */
}

/* peer_read - take what the client sent; false when it has gone. */
static bool peer_read(struct peer_conn *c, const struct peer_script *sc, double now)
{
	char buf[512];
	ssize_t n = read(c->fd, buf, sizeof(buf));

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return false;
	for (ssize_t i = 0; i < n; i++) {
		if (c->len < sizeof(c->line) - 1)
			c->line[c->len++] = buf[i];
		if (buf[i] == '\n') {
			c->line[c->len] = '\0';
			peer_command(c, sc, now);
		}
	}
	return true;
}

/* peer_main - the peer's life (in the child): serve until the stop pipe closes, then
 * write the report and exit. Bounded by alarm() and an iteration count. */
static void peer_main(const int *lfds, int nl, const struct peer_script *sc, int stop_fd,
		      int report_fd)
{
	static struct peer_conn c[PEER_CONNS_MAX];
	static struct peer_report rep;
	struct pollfd pf[1 + PEER_LISTENERS_MAX + PEER_CONNS_MAX];
	int nc = 0, open_at[PEER_LISTENERS_MAX] = { 0 };
	double first = 0;

	alarm(60);                                         /* never outlive the test */
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < nl; i++)
		fcntl(lfds[i], F_SETFL, fcntl(lfds[i], F_GETFL) | O_NONBLOCK);
	for (long iter = 0; iter < 10000000; iter++) {
		double now = now_s(), wait = 1.0;
		int n = 0, ready;

		pf[n++] = (struct pollfd){ .fd = stop_fd, .events = POLLIN };
		for (int i = 0; i < nl; i++)
			pf[n++] = (struct pollfd){ .fd = lfds[i],
						   .events = nc < PEER_CONNS_MAX ? POLLIN : 0 };
		for (int i = 0; i < nc; i++) {
			pf[n++] = (struct pollfd){ .fd = c[i].fd, .events = POLLIN };
			if (c[i].reply != NULL && c[i].due - now < wait)
				wait = c[i].due - now;
		}
		ready = poll(pf, (nfds_t)n, wait <= 0 ? 0 : (int)(wait * 1000) + 1);
		if (ready < 0 && errno != EINTR)
			_exit(2);
		if (pf[0].revents != 0)
			break;                              /* the test said stop */
		now = now_s();
		for (int i = 0; i < nc; i++) {
			if (pf[1 + nl + i].revents != 0 && !peer_read(&c[i], sc, now)) {
				close(c[i].fd);
				c[i].fd = -1;
				continue;
			}
			if (c[i].reply != NULL && c[i].due <= now) {
				if (write(c[i].fd, c[i].reply, strlen(c[i].reply)) < 0 ||
				    c[i].close_after) {
					close(c[i].fd);
					c[i].fd = -1;
				}
				c[i].reply = NULL;
			}
		}
		/* Closed connections leave the table before new ones come in, so that what is
		 * counted as open is never more than what the client holds. */
		for (int i = 0; i < nc;) {
			if (c[i].fd >= 0) {
				i++;
				continue;
			}
			open_at[c[i].lst]--;
			c[i] = c[--nc];
		}
		for (int l = 0; l < nl; l++) {
			int fd;

			if (!(pf[1 + l].revents & POLLIN))
				continue;
			while (nc < PEER_CONNS_MAX &&
			       (fd = accept4(lfds[l], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
				double hold = rep.accepts == 0 ? sc->hold_first : sc->hold;

				if (rep.accepts == 0)
					first = now;
				if (rep.accepts < PEER_ACCEPTS_MAX)
					rep.accepted_at[rep.accepts] = now_s() - first;
				rep.accepts++;
				c[nc] = (struct peer_conn){ .fd = fd, .lst = l, .reply = sc->greeting,
							    .due = now + hold };
				nc++;
				if (++open_at[l] > rep.max_open_at[l])
					rep.max_open_at[l] = open_at[l];
				if (nc > rep.max_open)
					rep.max_open = nc;
			}
		}
	}
	if (write(report_fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
		_exit(3);
	_exit(0);
}

/* listen_on - a TCP listener on ip:*port (0: any port, then set); -1 on failure. */
static int listen_on(const char *ip, unsigned *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)*port) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (inet_pton(AF_INET, ip, &sin.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(fd, 512) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

/* listen_many - listeners on 127.0.0.1 .. 127.0.0.n, all on one port (*port); the port
 * is picked on 127.0.0.1 and tried again (a bounded number of times) if another address
 * has it taken. */
static void listen_many(int n, int *lfds, unsigned *port)
{
	for (int attempt = 0; attempt < 10; attempt++) {
		int ok = 0;

		*port = 0;
		for (; ok < n; ok++) {
			char ip[32];

			snprintf(ip, sizeof(ip), "127.0.0.%d", ok + 1);
			if ((lfds[ok] = listen_on(ip, port)) < 0)
				break;
		}
		if (ok == n)
			return;
		while (ok-- > 0)
			close(lfds[ok]);
	}
	fail_msg("cannot listen on 127.0.0.1..%d with one port", n);
}

/* peer_start - fork a peer serving the listeners lfds (closed here: the peer owns them). */
static struct peer peer_start(int *lfds, int nl, const struct peer_script *sc)
{
	int stop[2], report[2];
	struct peer p;

	assert_true(nl <= PEER_LISTENERS_MAX);
	assert_int_equal(pipe2(stop, O_CLOEXEC), 0);
	assert_int_equal(pipe2(report, O_CLOEXEC), 0);
	p.pid = fork();
	assert_true(p.pid >= 0);
	if (p.pid == 0) {
		close(stop[1]);
		close(report[0]);
		peer_main(lfds, nl, sc, stop[0], report[1]);
	}
	close(stop[0]);
	close(report[1]);
	for (int i = 0; i < nl; i++)
		close(lfds[i]);
	p.stop_fd = stop[1];
	p.report_fd = report[0];
	for (int i = 0; i < PEERS_MAX; i++)
		if (live_peers[i] == 0) {
			live_peers[i] = p.pid;
			return p;
		}
	fail_msg("too many peers at once");
	return p;
}

/* peer_one - a peer on 127.0.0.1, its port in *port. */
static struct peer peer_one(const struct peer_script *sc, unsigned *port)
{
	int lfd;

	*port = 0;
	lfd = listen_on("127.0.0.1", port);
	assert_true(lfd >= 0);
	return peer_start(&lfd, 1, sc);
}

/* peer_stop - stop the peer, read its report, reap it; it must have exited 0. */
static void peer_stop(struct peer *p, struct peer_report *rep)
{
	size_t got = 0;
	int status;

	close(p->stop_fd);
	while (got < sizeof(*rep)) {
		ssize_t k = read(p->report_fd, (char *)rep + got, sizeof(*rep) - got);

		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(p->report_fd);
	assert_int_equal(waitpid(p->pid, &status, 0), p->pid);
	for (int i = 0; i < PEERS_MAX; i++)
		if (live_peers[i] == p->pid)
			live_peers[i] = 0;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(got, sizeof(*rep));
}

/* reap_peers - teardown: a test that failed half-way leaves peers; kill and reap them. */
static int reap_peers(void **state)
{
	(void)state;
	for (int i = 0; i < PEERS_MAX; i++)
		if (live_peers[i] > 0) {
			kill(live_peers[i], SIGKILL);
			waitpid(live_peers[i], NULL, 0);
			live_peers[i] = 0;
		}
	return 0;
}

/* ---- Results ---- */

/* What came back from a batch of checks that must all end the same way. */
struct tally {
	const char *want_id;     /* the one finding each result must carry */
	int n;                   /* results handed over */
	int good;                /* ... checked, with exactly that one finding */
	char bad[600];           /* the first other result, described */
};

static void describe(const struct mailtls_result *res, char *buf, size_t len)
{
	size_t o = (size_t)snprintf(buf, len, "checked=%d unknown=%s;", res->checked,
				    res->unknown_reason ? res->unknown_reason : "-");

	for (size_t i = 0; i < res->findings.n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, " %s: %s;", res->findings.v[i].id,
				      res->findings.v[i].message);
}

static bool only_finding(const struct mailtls_result *res, const char *id)
{
	return res->checked && res->unknown_reason == NULL && res->findings.n == 1 &&
	       strcmp(res->findings.v[0].id, id) == 0;
}

static void tally_result(struct mailtls_result *res, void *arg)
{
	struct tally *t = arg;

	t->n++;
	if (only_finding(res, t->want_id))
		t->good++;
	else if (t->bad[0] == '\0')
		describe(res, t->bad, sizeof(t->bad));
	mailtls_result_free(res);
}

static void assert_tally(const struct tally *t, int want)
{
	if (t->good != want || t->n != want)
		print_error("results %d, good %d; first other: %s\n", t->n, t->good, t->bad);
	assert_int_equal(t->n, want);
	assert_int_equal(t->good, want);
}

/* ---- Engine helpers ---- */

static struct mailtls_engine *engine(const struct mailtls_engine_params *ep)
{
	char why[256] = "";
	struct mailtls_engine *e = mailtls_engine_new(ep, why, sizeof(why));

	if (e == NULL)
		fail_msg("mailtls_engine_new: %s", why);
	return e;
}

static void submit(struct mailtls_engine *e, const char *host, unsigned port, double timeout,
		   double deadline, mailtls_check_done_fn *done, void *arg)
{
	struct mailtls_check_params cp = {
		.proto = MAILTLS_PROTO_SMTP, .host = host, .port = port, .timeout = timeout,
		.deadline = deadline, .warn_days = -1,
	};
	char why[256] = "";

	if (mailtls_engine_submit(e, &cp, done, arg, why, sizeof(why)) != 0)
		fail_msg("mailtls_engine_submit %s:%u: %s", host, port, why);
}

struct watchdog {
	struct mailtls_engine *e;
	double until;
};

static void watchdog_tick(void *arg)
{
	struct watchdog *w = arg;

	if (now_s() > w->until)
		mailtls_engine_break(w->e);
}

/* run_bounded - mailtls_engine_run(), cut (by a break from a tick) after RUN_BOUND seconds
 * should the engine never finish; the test then fails on what is still pending. */
static int run_bounded(struct mailtls_engine *e, struct watchdog *w)
{
	w->e = e;
	w->until = now_s() + RUN_BOUND;
	assert_int_equal(mailtls_engine_every(e, 0.5, watchdog_tick, w), 0);
	return mailtls_engine_run(e);
}

/* ---- 1. Checks in flight ---- */

/* max_in_flight 8, 40 checks, each held 0.2 s by the server: never more than 8 at work,
 * and 8 reached; every check ends with the server's refusal. */
static void in_flight_cap(void **state)
{
	const struct peer_script sc = { .hold_first = 0.2, .hold = 0.2, .greeting = busy };
	struct mailtls_engine_params ep = {
		.resolver = RESOLVER, .max_in_flight = 8, .per_address = 100,
	};
	struct tally t = { .want_id = "proto.greeting-rejected" };
	struct mailtls_engine_stats st;
	struct peer_report rep;
	struct watchdog w;
	unsigned port;
	struct peer p = peer_one(&sc, &port);
	struct mailtls_engine *e = engine(&ep);
	(void)state;

	for (int i = 0; i < 40; i++)
		submit(e, "127.0.0.1", port, 2, 0, tally_result, &t);
	mailtls_engine_stats(e, &st);
	assert_int_equal(st.queued, 40);      /* nothing starts inside submit */
	assert_int_equal(st.in_flight, 0);
	assert_int_equal(run_bounded(e, &w), 0);
	mailtls_engine_stats(e, &st);
	assert_int_equal(st.peak_in_flight, 8);
	assert_int_equal(st.peak_connections, 8);
	assert_int_equal(st.done, 40);
	assert_int_equal(st.in_flight, 0);
	assert_int_equal(st.connections, 0);
	assert_int_equal(mailtls_engine_pending(e), 0);
	assert_tally(&t, 40);
	mailtls_engine_free(e);
	peer_stop(&p, &rep);
	assert_int_equal(rep.accepts, 40);
	assert_int_equal(rep.max_open, 8);     /* the server never saw more than 8 either */
}

/* ---- 2. Connections per address ---- */

/* per_address 2: 20 checks to one address never hold more than 2 connections; 20 checks
 * spread over five addresses hold 2 on each, 10 in all. */
static void per_address_cap(void **state)
{
	const struct peer_script sc = { .hold_first = 0.1, .hold = 0.1, .greeting = busy };
	struct mailtls_engine_params ep = { .resolver = RESOLVER, .per_address = 2 };
	struct tally t1 = { .want_id = "proto.greeting-rejected" };
	struct tally t5 = { .want_id = "proto.greeting-rejected" };
	struct mailtls_engine_stats st;
	struct peer_report rep;
	struct watchdog w;
	int lfds[5];
	unsigned port;
	struct peer p;
	struct mailtls_engine *e;
	(void)state;

	/* One address. */
	p = peer_one(&sc, &port);
	e = engine(&ep);
	for (int i = 0; i < 20; i++)
		submit(e, "127.0.0.1", port, 2, 0, tally_result, &t1);
	assert_int_equal(run_bounded(e, &w), 0);
	mailtls_engine_stats(e, &st);
	assert_int_equal(st.peak_per_address, 2);
	assert_int_equal(st.peak_connections, 2);
	assert_int_equal(st.done, 20);
	assert_tally(&t1, 20);
	mailtls_engine_free(e);
	peer_stop(&p, &rep);
	assert_int_equal(rep.accepts, 20);
	assert_int_equal(rep.max_open, 2);

	/* Five addresses, one port: 127.0.0.1 .. 127.0.0.5. */
	listen_many(5, lfds, &port);
	p = peer_start(lfds, 5, &sc);
	e = engine(&ep);
	for (int i = 0; i < 20; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "127.0.0.%d", i % 5 + 1);
		submit(e, ip, port, 2, 0, tally_result, &t5);
	}
	assert_int_equal(run_bounded(e, &w), 0);
	mailtls_engine_stats(e, &st);
	assert_int_equal(st.peak_per_address, 2);
	assert_true(st.peak_connections > 2);
	assert_int_equal(st.peak_connections, 10);
	assert_int_equal(st.done, 20);
	assert_tally(&t5, 20);
	mailtls_engine_free(e);
	peer_stop(&p, &rep);
	assert_int_equal(rep.accepts, 20);
	assert_int_equal(rep.max_open, 10);
	for (int i = 0; i < 5; i++)
		assert_int_equal(rep.max_open_at[i], 2);
}

/* ---- 3. Rate ---- */

/* rate_run - 25 checks to a server that refuses at once; the seconds from the first
 * connection the server accepted to the last, and the accept times in *rep. */
static double rate_run(double rate, struct peer_report *rep)
{
	const struct peer_script sc = { .greeting = busy };
	struct mailtls_engine_params ep = { .resolver = RESOLVER, .per_address = 100, .rate = rate };
	struct tally t = { .want_id = "proto.greeting-rejected" };
	struct mailtls_engine_stats st;
	struct watchdog w;
	unsigned port;
	struct peer p = peer_one(&sc, &port);
	struct mailtls_engine *e = engine(&ep);

	for (int i = 0; i < 25; i++)
		submit(e, "127.0.0.1", port, 5, 0, tally_result, &t);
	assert_int_equal(run_bounded(e, &w), 0);
	mailtls_engine_stats(e, &st);
	assert_int_equal(st.done, 25);
	assert_tally(&t, 25);
	mailtls_engine_free(e);
	peer_stop(&p, rep);
	assert_int_equal(rep->accepts, 25);
	return rep->accepted_at[24] - rep->accepted_at[0];
}

/* rate 10: the bucket holds 10 tokens at the start; the other 15 connections take 1.5 s.
 * Without a rate the same checks take a small fraction of that. */
static void rate_cap(void **state)
{
	struct peer_report rep;
	double capped, free_run;
	(void)state;

	capped = rate_run(10, &rep);
	/* The 11th connection waits for a token (0.1 s after the bucket ran dry). */
	assert_true(rep.accepted_at[10] >= 0.05);
	if (capped < 1.3 || capped > 3.0)
		print_error("25 connections at rate 10 took %.3fs\n", capped);
	assert_true(capped >= 1.3);
	assert_true(capped <= 3.0);
	free_run = rate_run(0, &rep);
	if (free_run > 0.5)
		print_error("25 connections without a rate took %.3fs\n", free_run);
	assert_true(free_run <= 0.5);
}

/* ---- 4. Descriptors ---- */

/* fd_tally_ok - the child's judgement of a batch (no cmocka in a child). */
static bool fd_tally_ok(const struct tally *t, int want, const char *what)
{
	if (t->n == want && t->good == want)
		return true;
	fprintf(stderr, "%s: results %d, good %d; first other: %s\n", what, t->n, t->good, t->bad);
	return false;
}

/* fd_batch - 400 checks on a new engine; false (with a line on stderr) unless all carry
 * the server's finding. fill: after making the engine, take descriptors until only 2 are
 * left, so that the engine's budget is wrong and the system refuses its sockets. */
static bool fd_batch(unsigned port, bool fill, struct mailtls_engine_stats *st)
{
	struct mailtls_engine_params ep = { .resolver = RESOLVER, .per_address = 1000 };
	struct tally t = { .want_id = "proto.greeting-rejected" };
	char why[256] = "";
	struct mailtls_check_params cp = {
		.proto = MAILTLS_PROTO_SMTP, .host = "127.0.0.1", .port = port, .timeout = 5,
		.warn_days = -1,
	};
	struct mailtls_engine *e = mailtls_engine_new(&ep, why, sizeof(why));
	static int taken[70000];
	int nt = 0;
	bool ok;

	if (e == NULL) {
		fprintf(stderr, "mailtls_engine_new: %s\n", why);
		return false;
	}
	if (fill) {
		while (nt < (int)(sizeof(taken) / sizeof(taken[0])) && (taken[nt] = dup(2)) >= 0)
			nt++;
		for (int i = 0; i < 2 && nt > 0; i++)
			close(taken[--nt]);
	}
	for (int i = 0; i < 400; i++)
		if (mailtls_engine_submit(e, &cp, tally_result, &t, why, sizeof(why)) != 0) {
			fprintf(stderr, "submit: %s\n", why);
			return false;
		}
	ok = mailtls_engine_run(e) == 0;
	mailtls_engine_stats(e, st);
	mailtls_engine_free(e);
	while (nt > 0)
		close(taken[--nt]);
	return fd_tally_ok(&t, 400, fill ? "descriptors taken" : "RLIMIT_NOFILE 64") && ok &&
	       st->done == 400;
}

struct starve {
	int *taken;
	int nt;
	int ticks;
};

/* starve_tick - at the third tick (0.3 s) give the descriptors back. */
static void starve_tick(void *arg)
{
	struct starve *sv = arg;

	if (++sv->ticks == 3)
		while (sv->nt > 0)
			close(sv->taken[--sv->nt]);
}

/* fd_starved - in a child: not one descriptor left and no connection of the engine's own
 * open, so there is none to wait for. The loop must go on running timers meanwhile (the
 * tick gives the descriptors back at 0.3 s), and the check must then end with the server's
 * finding. */
static bool fd_starved(unsigned port)
{
	static int taken[70000];
	struct starve sv = { .taken = taken };
	struct mailtls_engine_params ep = { .resolver = RESOLVER };
	struct tally t = { .want_id = "proto.greeting-rejected" };
	char why[256] = "";
	struct mailtls_check_params cp = {
		.proto = MAILTLS_PROTO_SMTP, .host = "127.0.0.1", .port = port, .timeout = 5,
		.warn_days = -1,
	};
	struct mailtls_engine *e = mailtls_engine_new(&ep, why, sizeof(why));
	bool ok;

	if (e == NULL || mailtls_engine_every(e, 0.1, starve_tick, &sv) != 0 ||
	    mailtls_engine_submit(e, &cp, tally_result, &t, why, sizeof(why)) != 0) {
		fprintf(stderr, "engine: %s\n", why);
		mailtls_engine_free(e);
		return false;
	}
	while (sv.nt < (int)(sizeof(taken) / sizeof(taken[0])) && (taken[sv.nt] = dup(2)) >= 0)
		sv.nt++;
	ok = mailtls_engine_run(e) == 0;
	mailtls_engine_free(e);
	while (sv.nt > 0)
		close(taken[--sv.nt]);
	if (sv.ticks < 3)
		fprintf(stderr, "starved: %d ticks\n", sv.ticks);
	return fd_tally_ok(&t, 1, "no descriptor at all") && ok && sv.ticks >= 3;
}

/* fd_child - in a child: RLIMIT_NOFILE 64 (soft and hard), 400 checks; then 400 more with
 * the descriptors taken behind the engine's back. Exit 0 only if every result is real. */
static int fd_child(unsigned port)
{
	struct rlimit rl = { 64, 64 };
	struct mailtls_engine_stats st;
	bool limited;

	alarm(20);
	/* valgrind refuses to lower the hard limit: then the limit stays, and only the
	 * second batch is short of descriptors. */
	limited = setrlimit(RLIMIT_NOFILE, &rl) == 0;
	if (!fd_batch(port, false, &st))
		return 10;
	if (st.peak_connections > st.fd_budget || st.peak_connections == 0)
		return 11;
	if (limited && (st.fd_budget > 64 - 48 || st.fd_waits == 0)) {
		fprintf(stderr, "budget %zu, waits %zu\n", st.fd_budget, st.fd_waits);
		return 12;
	}
	if (!fd_batch(port, true, &st))
		return 13;
	/* The system refused sockets (the budget shrank to what it could open), and the
	 * budget grew back as connections closed. */
	if (st.fd_refused == 0 || st.fd_budget <= 2) {
		fprintf(stderr, "refused %zu, budget after the batch %zu\n", st.fd_refused,
			st.fd_budget);
		return 14;
	}
	if (!fd_starved(port))
		return 15;
	return 0;
}

/* RLIMIT_NOFILE 64 (in a child, so that this process keeps its limits): 400 checks all end
 * with the server's finding, never "cannot start the connection: Too many open files";
 * so do 400 more with the descriptors taken behind the engine's back, and one started with
 * no descriptor left at all. */
static void descriptors_never_fail(void **state)
{
	const struct peer_script sc = { .greeting = busy };
	struct peer_report rep;
	unsigned port;
	struct peer p = peer_one(&sc, &port);
	pid_t pid;
	int status;
	(void)state;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p.stop_fd);
		close(p.report_fd);
		_exit(fd_child(port));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	peer_stop(&p, &rep);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		print_error("child status %d\n", status);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(rep.accepts, 801);
}

/* max_fds 4: never more than 4 connections, 4 reached, the others waited. */
static void max_fds_explicit(void **state)
{
	const struct peer_script sc = { .hold_first = 0.1, .hold = 0.1, .greeting = busy };
	struct mailtls_engine_params ep = { .resolver = RESOLVER, .per_address = 100, .max_fds = 4 };
	struct tally t = { .want_id = "proto.greeting-rejected" };
	struct mailtls_engine_stats st;
	struct peer_report rep;
	struct watchdog w;
	unsigned port;
	struct peer p = peer_one(&sc, &port);
	struct mailtls_engine *e = engine(&ep);
	(void)state;

	for (int i = 0; i < 40; i++)
		submit(e, "127.0.0.1", port, 2, 0, tally_result, &t);
	assert_int_equal(run_bounded(e, &w), 0);
	mailtls_engine_stats(e, &st);
	assert_int_equal(st.fd_budget, 4);
	assert_true(st.peak_connections <= 4);
	assert_int_equal(st.peak_connections, 4);
	assert_true(st.fd_waits > 0);
	assert_int_equal(st.done, 40);
	assert_tally(&t, 40);
	mailtls_engine_free(e);
	peer_stop(&p, &rep);
	assert_int_equal(rep.accepts, 40);
	assert_int_equal(rep.max_open, 4);
}

/* ---- 5. done never from inside submit ---- */

struct order {
	struct mailtls_engine *e;
	bool in_submit;          /* set around every mailtls_engine_submit() */
	bool in_run;             /* set around mailtls_engine_run() */
	int inside_submit;       /* callbacks made from inside a submit */
	int outside_run;         /* callbacks made outside the loop */
	int calls;
};

struct order_check {
	struct order *o;
	const char *host;
	unsigned port;
	const char *want_id;          /* the one finding */
	const char *want_message;     /* its message, or how it starts when !exact */
	bool exact;
	bool checked;                 /* what res->checked must be */
	int calls;
	struct order_check *then;     /* submitted from this check's done */
};

static void order_done(struct mailtls_result *res, void *arg);

static void order_submit(struct order *o, struct order_check *c)
{
	o->in_submit = true;
	submit(o->e, c->host, c->port, 2, 0, order_done, c);
	o->in_submit = false;
}

static void order_done(struct mailtls_result *res, void *arg)
{
	struct order_check *c = arg;
	struct order *o = c->o;
	size_t wl = strlen(c->want_message);
	char got[600];

	o->calls++;
	c->calls++;
	if (o->in_submit)
		o->inside_submit++;
	if (!o->in_run)
		o->outside_run++;
	if (res->checked != c->checked || res->findings.n != 1 ||
	    strcmp(res->findings.v[0].id, c->want_id) != 0 ||
	    strncmp(res->findings.v[0].message, c->want_message, wl) != 0 ||
	    (c->exact && res->findings.v[0].message[wl] != '\0')) {
		describe(res, got, sizeof(got));
		print_error("%s:%u: %s\n", c->host, c->port, got);
		c->calls += 100;             /* fails the count below */
	}
	mailtls_result_free(res);
	if (c->then != NULL)
		order_submit(o, c->then);
}

/* order_run - run the engine with o->in_run set meanwhile. */
static int order_run(struct order *o, struct watchdog *w)
{
	int r;

	o->in_run = true;
	r = run_bounded(o->e, w);
	o->in_run = false;
	return r;
}

/* A refused port, a name that does not resolve, an IP literal to a listener, and a check
 * submitted from inside another's done: each done comes once, from the loop, never from
 * inside the submit that queued it. */
static void done_never_inside_submit(void **state)
{
	const struct peer_script sc = { .greeting = busy };
	struct mailtls_engine_params ep = { .resolver = RESOLVER };
	struct order o = { 0 };
	struct order_check c[6];
	char msg_ok[128];
	struct peer_report rep;
	struct watchdog w;
	unsigned port;
	struct peer p = peer_one(&sc, &port);
	(void)state;

	snprintf(msg_ok, sizeof(msg_ok), "127.0.0.1:%u: server refused the session in its "
		 "greeting: 554 5.3.2 busy", port);
	/* 0..2 are submitted here, 3..5 from the done of 0..2 in turn. */
	c[0] = (struct order_check){ .o = &o, .host = "127.0.0.1", .port = 1,
				     .want_id = "conn.refused",
				     .want_message = "127.0.0.1:1: connection refused",
				     .exact = true, .checked = true, .then = &c[3] };
	/* The resolver's reason after the colon is its own. */
	c[1] = (struct order_check){ .o = &o, .host = "x.invalid", .port = 25,
				     .want_id = "conn.resolve-failed",
				     .want_message = "x.invalid:25: x.invalid does not resolve: ",
				     .checked = false, .then = &c[4] };
	c[2] = (struct order_check){ .o = &o, .host = "127.0.0.1", .port = port,
				     .want_id = "proto.greeting-rejected", .want_message = msg_ok,
				     .exact = true, .checked = true, .then = &c[5] };
	for (int i = 3; i < 6; i++) {
		c[i] = c[i - 3];
		c[i].then = NULL;
	}
	o.e = engine(&ep);
	for (int i = 0; i < 3; i++)
		order_submit(&o, &c[i]);
	assert_int_equal(o.calls, 0);
	assert_int_equal(order_run(&o, &w), 0);
	assert_int_equal(o.inside_submit, 0);
	assert_int_equal(o.outside_run, 0);
	assert_int_equal(o.calls, 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(c[i].calls, 1);
	assert_int_equal(mailtls_engine_pending(o.e), 0);
	mailtls_engine_free(o.e);
	peer_stop(&p, &rep);
	assert_int_equal(rep.accepts, 2);
}

/* ---- 6. The deadline ---- */

struct deadline_case {
	double deadline;
	struct mailtls_result *res;
	double done_at;
};

static void keep_result(struct mailtls_result *res, void *arg)
{
	struct deadline_case *d = arg;

	d->res = res;
	d->done_at = now_s();
}

static bool has_finding(const struct mailtls_result *res, const char *id, size_t *count)
{
	*count = 0;
	for (size_t i = 0; i < res->findings.n; i++)
		if (strcmp(res->findings.v[i].id, id) == 0)
			(*count)++;
	return *count > 0;
}

/* A server that answers each step after 0.3 s (greeting 0.3, EHLO 0.6, STARTTLS 0.9):
 * timeout 0.5, deadline 0.8 cuts the check while it waits for the reply to STARTTLS, and
 * says so with the time per phase; the same server with deadline 5 is checked to the end. */
static void deadline_cuts_and_names_phase(void **state)
{
	const struct peer_script sc = {
		.hold_first = 0.3, .hold = 0.3, .step = 0.3, .greeting = "220 test.invalid ESMTP\r\n",
		.ehlo = "250-test.invalid\r\n250 STARTTLS\r\n",
	};
	struct mailtls_engine_params ep = { .resolver = RESOLVER };
	struct deadline_case cut = { .deadline = 0.8 }, whole = { .deadline = 5 };
	struct peer_report rep;
	struct watchdog w;
	char want[200];
	size_t count;
	const char *m;
	unsigned port;
	struct peer p = peer_one(&sc, &port);
	struct mailtls_engine *e = engine(&ep);
	(void)state;

	submit(e, "127.0.0.1", port, 0.5, cut.deadline, keep_result, &cut);
	submit(e, "127.0.0.1", port, 0.5, whole.deadline, keep_result, &whole);
	assert_int_equal(run_bounded(e, &w), 0);
	mailtls_engine_free(e);
	peer_stop(&p, &rep);
	assert_int_equal(rep.accepts, 2);

	assert_non_null(cut.res);
	assert_true(has_finding(cut.res, "conn.deadline", &count));
	assert_int_equal(count, 1);
	assert_int_equal(cut.res->findings.n, 2);
	assert_string_equal(cut.res->findings.v[0].id, "starttls.offered");
	assert_string_equal(cut.res->findings.v[1].id, "conn.deadline");
	m = cut.res->findings.v[1].message;
	snprintf(want, sizeof(want), "127.0.0.1:%u: the check was cut at its deadline of 0.8s "
		 "while waiting for the reply to STARTTLS; time per phase: ", port);
	if (strncmp(m, want, strlen(want)) != 0)
		print_error("message: %s\n", m);
	assert_true(strncmp(m, want, strlen(want)) == 0);
	assert_non_null(strstr(m, "cut at its deadline of 0.8s while waiting for"));
	assert_non_null(strstr(m, "time per phase:"));
	assert_non_null(strstr(m, ", the greeting 0."));
	assert_non_null(strstr(m, ", the reply to EHLO 0."));
	assert_non_null(strstr(m, ", the reply to STARTTLS 0."));
	/* The whole deadline was used, and no more. */
	assert_true(fabs(cut.res->session.elapsed_ms - 800) < 1);
	assert_false(cut.res->would_encrypt);

	assert_non_null(whole.res);
	assert_false(has_finding(whole.res, "conn.deadline", &count));
	assert_int_equal(whole.res->findings.n, 2);
	assert_string_equal(whole.res->findings.v[0].id, "starttls.offered");
	assert_string_equal(whole.res->findings.v[1].id, "starttls.refused");
	assert_true(whole.done_at > cut.done_at);
	mailtls_result_free(cut.res);
	mailtls_result_free(whole.res);
}

/* per_address 1: the first check is held 1 s by the server; the second, to the same
 * address, with deadline 0.5, waits for the address all that time and is not cut: the
 * deadline counts only time at work. */
static void deadline_paused_while_waiting(void **state)
{
	const struct peer_script sc = { .hold_first = 1.0, .hold = 0, .greeting = busy };
	struct mailtls_engine_params ep = { .resolver = RESOLVER, .per_address = 1 };
	struct deadline_case slow = { .deadline = 0 }, waiter = { .deadline = 0.5 };
	struct mailtls_engine_stats st;
	struct peer_report rep;
	struct watchdog w;
	char want[128];
	unsigned port;
	struct peer p = peer_one(&sc, &port);
	struct mailtls_engine *e = engine(&ep);
	double t0 = now_s();
	(void)state;

	submit(e, "127.0.0.1", port, 2, slow.deadline, keep_result, &slow);
	submit(e, "127.0.0.1", port, 2, waiter.deadline, keep_result, &waiter);
	assert_int_equal(run_bounded(e, &w), 0);
	mailtls_engine_stats(e, &st);
	assert_int_equal(st.peak_per_address, 1);
	mailtls_engine_free(e);
	peer_stop(&p, &rep);
	assert_int_equal(rep.accepts, 2);
	assert_int_equal(rep.max_open, 1);

	snprintf(want, sizeof(want), "127.0.0.1:%u: server refused the session in its greeting: "
		 "554 5.3.2 busy", port);
	assert_non_null(slow.res);
	assert_non_null(waiter.res);
	assert_true(only_finding(slow.res, "proto.greeting-rejected"));
	if (!only_finding(waiter.res, "proto.greeting-rejected")) {
		char got[600];

		describe(waiter.res, got, sizeof(got));
		print_error("the waiting check: %s\n", got);
	}
	assert_true(only_finding(waiter.res, "proto.greeting-rejected"));
	assert_string_equal(waiter.res->findings.v[0].message, want);
	/* It waited about a second, yet used only a little of its half-second at work. */
	assert_true(waiter.done_at - t0 >= 1.0);
	assert_true(waiter.done_at >= slow.done_at);
	assert_true(waiter.res->session.elapsed_ms < 500);
	mailtls_result_free(slow.res);
	mailtls_result_free(waiter.res);
}

/* ---- 7. stop_queue ---- */

struct stopper {
	struct mailtls_engine *e;
	int calls;
	size_t queued;           /* stats.queued just before stop_queue */
	size_t dropped;
	size_t forgotten;        /* forget() calls: one per dropped check */
	bool stopped;
};

static void forget_one(void *arg)
{
	((struct stopper *)arg)->forgotten++;
}

static void stop_on_first(struct mailtls_result *res, void *arg)
{
	struct stopper *s = arg;

	s->calls++;
	if (only_finding(res, "proto.greeting-rejected") && !s->stopped) {
		struct mailtls_engine_stats st;

		mailtls_engine_stats(s->e, &st);
		s->queued = st.queued;
		s->dropped = mailtls_engine_stop_queue(s->e, forget_one);
		s->stopped = true;
	}
	mailtls_result_free(res);
}

/* max_in_flight 1, 10 checks: the first done stops the queue; the 9 still queued never
 * call back, and the run ends with nothing pending. */
static void stop_queue_drops_queued(void **state)
{
	const struct peer_script sc = { .hold_first = 0.2, .hold = 0.2, .greeting = busy };
	struct mailtls_engine_params ep = { .resolver = RESOLVER, .max_in_flight = 1 };
	struct mailtls_engine_stats st;
	struct peer_report rep;
	struct watchdog w;
	unsigned port;
	struct peer p = peer_one(&sc, &port);
	struct stopper s = { .e = engine(&ep) };
	(void)state;

	for (int i = 0; i < 10; i++)
		submit(s.e, "127.0.0.1", port, 2, 0, stop_on_first, &s);
	assert_int_equal(run_bounded(s.e, &w), 0);
	assert_true(s.stopped);
	assert_int_equal(s.queued, 9);
	assert_int_equal(s.dropped, s.queued);
	assert_int_equal(s.calls, 10 - (int)s.dropped);
	assert_int_equal(mailtls_engine_pending(s.e), 0);
	mailtls_engine_stats(s.e, &st);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.done, 1);
	assert_int_equal(s.forgotten, s.dropped);
	assert_int_equal(mailtls_engine_stop_queue(s.e, NULL), 0);
	mailtls_engine_free(s.e);
	peer_stop(&p, &rep);
	assert_int_equal(rep.accepts, 1);        /* no dropped check ever connected */
}

/* max_in_flight 1, 10 checks of which 4 are parts of a task at work (a domain's checks,
 * engine_submit_part): stop_queue drops the 5 plain ones still queued and leaves the kept
 * ones, which run to their end and call back; forget never sees a kept check's arg. */
static void stop_queue_keeps_parts(void **state)
{
	const struct peer_script sc = { .hold_first = 0.2, .hold = 0.05, .greeting = busy };
	struct mailtls_engine_params ep = { .resolver = RESOLVER, .max_in_flight = 1 };
	struct mailtls_check_params cp = {
		.proto = MAILTLS_PROTO_SMTP, .host = "127.0.0.1", .timeout = 2, .warn_days = -1,
	};
	struct peer_report rep;
	struct watchdog w;
	unsigned port;
	struct peer p = peer_one(&sc, &port);
	struct stopper s = { .e = engine(&ep) };
	char why[256] = "";
	(void)state;

	cp.port = port;
	for (int i = 0; i < 10; i++) {
		if (i % 2 == 1 && i < 9) {
			if (engine_submit_part(s.e, &cp, stop_on_first, &s, why, sizeof(why)) != 0)
				fail_msg("engine_submit_part: %s", why);
		} else {
			submit(s.e, "127.0.0.1", port, 2, 0, stop_on_first, &s);
		}
	}
	assert_int_equal(run_bounded(s.e, &w), 0);
	assert_true(s.stopped);
	assert_int_equal(s.queued, 9);
	assert_int_equal(s.dropped, 5);
	assert_int_equal(s.forgotten, 5);
	assert_int_equal(s.calls, 5);            /* the first and the 4 kept */
	assert_int_equal(mailtls_engine_pending(s.e), 0);
	mailtls_engine_free(s.e);
	peer_stop(&p, &rep);
	assert_int_equal(rep.accepts, 5);
}

/* ---- 8. break, every, on_signal ---- */

struct ticker {
	struct mailtls_engine *e;
	int ticks;
	bool in_tick;
	int signals;
	int last_signo;
	int signal_in_tick;      /* signal callbacks made from inside the tick */
	int results;
	int good;
};

static void tick(void *arg)
{
	struct ticker *k = arg;

	k->in_tick = true;
	k->ticks++;
	if (k->ticks == 1)
		mailtls_engine_break(k->e);
	else if (k->ticks == 2)
		kill(getpid(), SIGUSR1);
	else if (k->ticks > 100)
		mailtls_engine_break(k->e);   /* bound: 10 s */
	k->in_tick = false;
}

static void on_usr1(int signo, void *arg)
{
	struct ticker *k = arg;

	k->signals++;
	k->last_signo = signo;
	if (k->in_tick)
		k->signal_in_tick++;
}

static void ticker_result(struct mailtls_result *res, void *arg)
{
	struct ticker *k = arg;

	k->results++;
	if (only_finding(res, "proto.greeting-rejected"))
		k->good++;
	mailtls_result_free(res);
}

/* A tick at 0.1 s breaks the run with 4 checks pending; a second run finishes them; a
 * SIGUSR1 raised from the second tick reaches the on_signal callback from the loop; the
 * disposition is the default again once the engine is freed. */
static void break_every_signal(void **state)
{
	const struct peer_script sc = { .hold_first = 0.5, .hold = 0.5, .greeting = busy };
	struct mailtls_engine_params ep = { .resolver = RESOLVER };
	struct peer_report rep;
	struct sigaction sa;
	unsigned port;
	struct peer p = peer_one(&sc, &port);
	struct ticker k = { .e = engine(&ep) };
	(void)state;

	assert_int_equal(sigaction(SIGUSR1, NULL, &sa), 0);
	assert_true(sa.sa_handler == SIG_DFL);
	assert_int_equal(mailtls_engine_every(k.e, 0.1, tick, &k), 0);
	assert_int_equal(mailtls_engine_on_signal(k.e, SIGUSR1, on_usr1, &k), 0);
	for (int i = 0; i < 4; i++)
		submit(k.e, "127.0.0.1", port, 2, 0, ticker_result, &k);

	assert_int_equal(mailtls_engine_run(k.e), 0);
	assert_int_equal(k.ticks, 1);
	assert_int_equal(k.results, 0);
	assert_int_equal(mailtls_engine_pending(k.e), 4);
	assert_int_equal(k.signals, 0);

	assert_int_equal(mailtls_engine_run(k.e), 0);
	assert_true(k.ticks >= 2 && k.ticks <= 100);
	assert_int_equal(k.results, 4);
	assert_int_equal(k.good, 4);
	assert_int_equal(mailtls_engine_pending(k.e), 0);
	assert_int_equal(k.signals, 1);
	assert_int_equal(k.last_signo, SIGUSR1);
	assert_int_equal(k.signal_in_tick, 0);
	mailtls_engine_free(k.e);
	assert_int_equal(sigaction(SIGUSR1, NULL, &sa), 0);
	assert_true(sa.sa_handler == SIG_DFL);
	peer_stop(&p, &rep);
	assert_int_equal(rep.accepts, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(in_flight_cap, reap_peers),
		cmocka_unit_test_teardown(per_address_cap, reap_peers),
		cmocka_unit_test_teardown(rate_cap, reap_peers),
		cmocka_unit_test_teardown(descriptors_never_fail, reap_peers),
		cmocka_unit_test_teardown(max_fds_explicit, reap_peers),
		cmocka_unit_test_teardown(done_never_inside_submit, reap_peers),
		cmocka_unit_test_teardown(deadline_cuts_and_names_phase, reap_peers),
		cmocka_unit_test_teardown(deadline_paused_while_waiting, reap_peers),
		cmocka_unit_test_teardown(stop_queue_drops_queued, reap_peers),
		cmocka_unit_test_teardown(stop_queue_keeps_parts, reap_peers),
		cmocka_unit_test_teardown(break_every_signal, reap_peers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
