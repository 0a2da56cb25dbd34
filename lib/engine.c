/*
 * engine.c - runs probes on one libevent loop: parameter checks, reference names, address
 * resolution, and handing each finished result to its owner.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include <mailtls/mailtls.h>
#include "dialog.h"
#include "dns.h"
#include "engine.h"
#include "escape.h"
#include "tls.h"
#include "verify.h"

struct engine {
	struct event_base *base;
	SSL_CTX *ssl_ctx;
	X509_STORE *store;
	struct dns_ctx *dns;
	char *resolver;
	int running;                 /* probes not yet done */
	struct job *jobs;            /* every job not yet done, for engine_free() */
};

struct job {
	struct engine *e;
	struct probe *p;
	unsigned port;
	int family;
	struct dns_query *dq;        /* the address lookup in flight, or NULL */
	struct event *dns_timer;     /* its deadline */
	struct job *prev, *next;     /* in the engine's list of jobs */
	void (*done)(struct mailtls_result *res, void *arg);
	void *arg;
};

struct engine *engine_new(const struct engine_params *ep, char *why, size_t whylen)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (e == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	e->base = event_base_new();
	if (e->base == NULL) {
		snprintf(why, whylen, "cannot create the event loop");
		goto fail;
	}
	e->ssl_ctx = tls_ctx_new(why, whylen);
	if (e->ssl_ctx == NULL)
		goto fail;
	e->store = verify_store_new(ep->ca_file, ep->ca_path, why, whylen);
	if (e->store == NULL)
		goto fail;
	if (ep->resolver != NULL && (e->resolver = strdup(ep->resolver)) == NULL)
		goto fail;
	return e;
fail:
	engine_free(e);
	return NULL;
}

/* job_unlink - take j out of the engine's list. */
static void job_unlink(struct job *j)
{
	if (j->prev != NULL)
		j->prev->next = j->next;
	else if (j->e->jobs == j)
		j->e->jobs = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	j->prev = j->next = NULL;
}

void engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	/* Checks still running are abandoned: no callbacks, everything freed. */
	while (e->jobs != NULL) {
		struct job *j = e->jobs;

		job_unlink(j);
		dns_cancel(j->dq);
		if (j->dns_timer != NULL)
			event_free(j->dns_timer);
		probe_free(j->p);
		free(j);
	}
	dns_ctx_free(e->dns);
	SSL_CTX_free(e->ssl_ctx);
	X509_STORE_free(e->store);
	if (e->base)
		event_base_free(e->base);
	free(e->resolver);
	free(e);
}

/* on_probe_done - hand the result over and free the probe. */
static void on_probe_done(struct probe *p, void *arg)
{
	struct job *j = arg;
	struct mailtls_result *res = p->res;
	struct timespec now;

	if (j->dns_timer != NULL)
		event_free(j->dns_timer);
	if (res->session.elapsed_ms == 0) {   /* ended before a connection was made */
		clock_gettime(CLOCK_MONOTONIC, &now);
		res->session.elapsed_ms = (double)(now.tv_sec - p->started.tv_sec) * 1e3 +
					  (double)(now.tv_nsec - p->started.tv_nsec) / 1e6;
	}
	p->res = NULL;
	probe_free(p);
	job_unlink(j);
	j->e->running--;
	j->done(res, j->arg);
	free(j);
}

/* start_probe - connect to the chosen address. */
static void start_probe(struct job *j, const struct sockaddr *sa, socklen_t salen)
{
	struct probe *p = j->p;
	char addr[INET6_ADDRSTRLEN] = "";
	const char *host = p->res->session.host;

	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, addr, sizeof(addr));
	else
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, addr, sizeof(addr));
	if (p->n_names == 0 && p->host_is_ip)
		mailtls_strlist_add(&p->res->reference_names, addr, sizeof(addr));
	p->done = on_probe_done;
	p->done_arg = j;
	snprintf(p->ip, sizeof(p->ip), "%s", addr);
	p->res->session.addr = strdup(addr);
	if (p->host_is_ip)
		snprintf(p->prefix, sizeof(p->prefix), sa->sa_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
			 addr, j->port);
	else
		snprintf(p->prefix, sizeof(p->prefix), "%s[%s]:%u", host, addr, j->port);
	if (probe_start(p, sa, salen) != 0) {
		char why[160];

		snprintf(why, sizeof(why), "cannot start the connection: %s", strerror(errno));
		p->res->checked = false;
		p->res->unknown_reason = strdup(why);
		dialog_finish(p);
	}
}

/* unresolved - the host has no address we can use: could not check. */
static void unresolved(struct job *j, const char *why)
{
	struct probe *p = j->p;

	snprintf(p->prefix, sizeof(p->prefix), "%s:%u", p->res->session.host, j->port);
	mailtls_result_add(p->res, MAILTLS_F_CONN_RESOLVE_FAILED, "%s: %s does not resolve: %s",
			   p->prefix, p->res->session.host, why);
	p->res->checked = false;
	p->res->unknown_reason = strdup("the host name could not be resolved");
	on_probe_done(p, j);
}

static void on_dns_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	char why[128];
	(void)fd;
	(void)what;

	snprintf(why, sizeof(why), "no answer from the resolver within %gs", j->p->timeout);
	dns_deadline(j->dq, why);   /* calls on_addrs() with whatever arrived */
}

static void on_addrs(const struct dns_addrs *r, void *arg)
{
	struct job *j = arg;
	size_t pick = 0;

	j->dq = NULL;
	event_del(j->dns_timer);
	if (r->n == 0) {
		unresolved(j, r->why[0] ? r->why : "no address");
		return;
	}
	/* Deterministic choice: IPv4 before IPv6 unless -6 was given. */
	for (size_t i = 0; i < r->n; i++)
		if (r->addr[i].ss_family == (j->family == 6 ? AF_INET6 : AF_INET)) {
			pick = i;
			break;
		}
	start_probe(j, (const struct sockaddr *)&r->addr[pick], r->len[pick]);
}

/* parse_ip - an IPv4 or IPv6 literal into sa; false when host is a name. */
static bool parse_ip(const char *host, unsigned port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return true;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return true;
	}
	return false;
}

int engine_submit(struct engine *e, const struct mailtls_check_params *cp,
		  void (*done)(struct mailtls_result *res, void *arg), void *arg,
		  char *why, size_t whylen)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	struct job *j = NULL;
	struct probe *p = NULL;
	int r = MAILTLS_ENOMEM;

	if (cp->host == NULL || cp->host[0] == '\0' || strlen(cp->host) > MAILTLS_NAME_MAX) {
		snprintf(why, whylen, "no valid host given");
		return MAILTLS_EINVAL;
	}
	if (dialog_ops_for(cp->proto) == NULL) {
		snprintf(why, whylen, "no protocol given");
		return MAILTLS_EINVAL;
	}
	if (cp->n_names > DIALOG_NAMES_MAX) {
		snprintf(why, whylen, "too many names (at most %d)", DIALOG_NAMES_MAX);
		return MAILTLS_EINVAL;
	}
	j = calloc(1, sizeof(*j));
	p = calloc(1, sizeof(*p));
	if (j == NULL || p == NULL || (p->res = mailtls_result_new()) == NULL)
		goto fail;
	j->e = e;
	j->p = p;
	j->done = done;
	j->arg = arg;
	j->family = cp->family;
	j->port = cp->port ? cp->port : mailtls_default_port(cp->proto);
	p->base = e->base;
	p->ssl_ctx = e->ssl_ctx;
	p->store = e->store;
	p->proto = cp->proto;
	p->timeout = cp->timeout > 0 ? cp->timeout : 10;
	p->at = cp->have_at ? cp->at : time(NULL);
	p->warn_days = cp->warn_days < 0 ? 21 : cp->warn_days;
	p->want_transcript = cp->transcript;
	if (cp->ehlo_name != NULL && !mailtls_ehlo_name_valid(cp->ehlo_name)) {
		char *esc = escape_text(cp->ehlo_name, strnlen(cp->ehlo_name, 300));

		snprintf(why, whylen, "--ehlo %s: not a valid EHLO name (a domain or an address "
			 "literal such as [192.0.2.1])", esc ? esc : "?");
		free(esc);
		r = MAILTLS_EINVAL;
		goto fail;
	}
	snprintf(p->ehlo_name, sizeof(p->ehlo_name), "%s", cp->ehlo_name ? cp->ehlo_name : "");
	clock_gettime(CLOCK_MONOTONIC, &p->started);
	p->host_is_ip = parse_ip(cp->host, j->port, &ss, &sslen);
	if (p->host_is_ip && cp->family != 0 &&
	    (ss.ss_family == AF_INET6) != (cp->family == 6)) {
		snprintf(why, whylen, "%s is an IPv%d address, but -%d was given", cp->host,
			 ss.ss_family == AF_INET6 ? 6 : 4, cp->family);
		r = MAILTLS_EINVAL;
		goto fail;
	}
	for (size_t i = 0; i < cp->n_names; i++) {
		if (mailtls_name_normalize(cp->names[i], p->names[i], sizeof(p->names[i])) != 0) {
			char *esc = escape_text(cp->names[i], strnlen(cp->names[i], 300));

			snprintf(why, whylen, "--name %s: not a valid DNS name", esc ? esc : "?");
			free(esc);
			r = MAILTLS_EINVAL;
			goto fail;
		}
		p->n_names++;
	}
	if (p->n_names == 0 && !p->host_is_ip) {
		if (mailtls_name_normalize(cp->host, p->names[0], sizeof(p->names[0])) != 0) {
			char *esc = escape_text(cp->host, strlen(cp->host));

			snprintf(why, whylen, "%s: not a valid host name", esc ? esc : "?");
			free(esc);
			r = MAILTLS_EINVAL;
			goto fail;
		}
		p->n_names = 1;
	}
	struct mailtls_result *res = p->res;
	res->have_session = true;
	res->session.proto = cp->proto;
	res->session.port = j->port;
	res->validation_time = p->at;
	if ((res->session.host = strdup(cp->host)) == NULL)
		goto fail;
	for (size_t i = 0; i < p->n_names; i++)
		if (mailtls_strlist_add(&res->reference_names, p->names[i], MAILTLS_NAME_MAX) != 0)
			goto fail;
	if (!p->host_is_ip) {
		if (e->dns == NULL &&
		    (e->dns = dns_ctx_new(e->base, e->resolver, why, whylen)) == NULL) {
			r = MAILTLS_EDNS;
			goto fail;
		}
		if ((j->dns_timer = evtimer_new(e->base, on_dns_timeout, j)) == NULL)
			goto fail;
	}
	e->running++;
	j->next = e->jobs;
	if (e->jobs != NULL)
		e->jobs->prev = j;
	e->jobs = j;
	if (p->host_is_ip) {
		start_probe(j, (struct sockaddr *)&ss, sslen);
		return 0;
	}
	r = dns_lookup_addrs(e->dns, cp->host, j->port, cp->family, on_addrs, j, &j->dq);
	if (r != 0) {
		job_unlink(j);
		e->running--;
		snprintf(why, whylen, "%s: cannot start the DNS lookup", cp->host);
		goto fail;
	}
	struct timeval tv = { .tv_sec = (time_t)p->timeout,
			      .tv_usec = (suseconds_t)((p->timeout - (double)(time_t)p->timeout) * 1e6) };
	evtimer_add(j->dns_timer, &tv);
	return 0;
fail:
	if (r == MAILTLS_ENOMEM)
		snprintf(why, whylen, "out of memory");
	if (j != NULL && j->dns_timer != NULL)
		event_free(j->dns_timer);
	probe_free(p);
	free(j);
	return r;
}

int engine_run(struct engine *e)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	int r = 0;

	/* A server that closes while we write must give EPIPE, not kill the caller: ignore
	 * SIGPIPE while the loop runs and restore the caller's disposition afterwards. */
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	/* Bounded: each probe has deadlines, so the loop ends when they do. */
	/* 1 means nothing is pending although checks are running: never spin on that. */
	while (e->running > 0)
		if (event_base_loop(e->base, EVLOOP_ONCE) != 0) {
			r = MAILTLS_EINTERNAL;
			break;
		}
	sigaction(SIGPIPE, &old, NULL);
	return r;
}
