/*
 * dns.c - libunbound resolution plugged into libevent: ub_fd() is watched by an event and
 * ub_process() delivers answers. libunbound parses the DNS; we only read A/AAAA rdata,
 * which are the raw 4 and 16 byte addresses.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unbound.h>
#include <mailtls/mailtls.h>
#include "dns.h"

#define RR_A 1
#define RR_AAAA 28
#define CLASS_IN 1

struct dns_ctx {
	struct ub_ctx *ub;
	struct event *ev;
	int pending;
};

struct dns_query;

/* One of the (at most two) questions of a query: its own callback argument, so that an
 * answer, even an error without a result, always clears the right id. */
struct dns_sub {
	struct dns_query *q;
	int idx;
};

struct dns_query {
	struct dns_ctx *d;
	unsigned port;
	int outstanding;
	int ids[2];              /* libunbound async ids; 0 when answered */
	int types[2];
	struct dns_sub subs[2];
	struct dns_addrs r;
	void (*cb)(const struct dns_addrs *r, void *arg);
	void *arg;
};

static void on_ub_fd(evutil_socket_t fd, short what, void *arg)
{
	struct dns_ctx *d = arg;
	(void)fd;
	(void)what;
	ub_process(d->ub);
}

struct dns_ctx *dns_ctx_new(struct event_base *base, const char *resolver, char *why, size_t whylen)
{
	struct dns_ctx *d = calloc(1, sizeof(*d));
	int r;

	if (d == NULL || (d->ub = ub_ctx_create()) == NULL) {
		snprintf(why, whylen, "cannot create resolver context");
		free(d);
		return NULL;
	}
	/* Threads, not a forked process: the process stays one process. */
	ub_ctx_async(d->ub, 1);
	/* At most DNS_FD_RANGE UDP sockets at once (the engine keeps that many descriptors
	 * out of its connection budget); more questions wait inside libunbound. */
	r = ub_ctx_set_option(d->ub, "outgoing-range:", DNS_FD_RANGE_TEXT);
	if (r == 0)
		r = ub_ctx_hosts(d->ub, NULL);
	if (r == 0)
		r = resolver ? ub_ctx_set_fwd(d->ub, resolver) : ub_ctx_resolvconf(d->ub, NULL);
	if (r != 0) {
		snprintf(why, whylen, "resolver setup failed%s%s: %s", resolver ? " for " : "",
			 resolver ? resolver : "", ub_strerror(r));
		dns_ctx_free(d);
		return NULL;
	}
	d->ev = event_new(base, ub_fd(d->ub), EV_READ | EV_PERSIST, on_ub_fd, d);
	if (d->ev == NULL || event_add(d->ev, NULL) != 0) {
		snprintf(why, whylen, "cannot watch the resolver");
		dns_ctx_free(d);
		return NULL;
	}
	return d;
}

void dns_ctx_free(struct dns_ctx *d)
{
	if (d == NULL)
		return;
	if (d->ev)
		event_free(d->ev);
	if (d->ub)
		ub_ctx_delete(d->ub);
	free(d);
}

static void add_addr(struct dns_query *q, int rrtype, const char *data, int len)
{
	struct dns_addrs *r = &q->r;

	if (r->n >= DNS_ADDRS_MAX)
		return;
	memset(&r->addr[r->n], 0, sizeof(r->addr[r->n]));
	if (rrtype == RR_A && len == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&r->addr[r->n];

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)q->port);
		memcpy(&sin->sin_addr, data, 4);
		r->len[r->n++] = sizeof(*sin);
	} else if (rrtype == RR_AAAA && len == 16) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&r->addr[r->n];

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)q->port);
		memcpy(&sin6->sin6_addr, data, 16);
		r->len[r->n++] = sizeof(*sin6);
	}
}

/* query_done - deliver and free: cancel what is still outstanding first. */
static void query_done(struct dns_query *q)
{
	for (int i = 0; i < 2; i++)
		if (q->ids[i] != 0) {
			ub_cancel(q->d->ub, q->ids[i]);
			q->ids[i] = 0;
		}
	q->d->pending--;
	if (q->r.n == 0)
		q->r.error = MAILTLS_EDNS;
	q->cb(&q->r, q->arg);
	free(q);
}

void dns_deadline(struct dns_query *q, const char *why)
{
	if (q->r.n == 0 && why != NULL)
		snprintf(q->r.why, sizeof(q->r.why), "%s", why);
	query_done(q);
}

void dns_cancel(struct dns_query *q)
{
	if (q == NULL)
		return;
	for (int i = 0; i < 2; i++)
		if (q->ids[i] != 0)
			ub_cancel(q->d->ub, q->ids[i]);
	q->d->pending--;
	free(q);
}

static void on_answer(void *arg, int err, struct ub_result *res)
{
	struct dns_sub *sub = arg;
	struct dns_query *q = sub->q;
	bool have_v4;

	if (err != 0) {
		snprintf(q->r.why, sizeof(q->r.why), "%s", ub_strerror(err));
	} else if (res != NULL) {
		if (res->bogus)
			q->r.security = DNS_BOGUS;
		else if (!res->secure && q->r.security != DNS_BOGUS)
			q->r.security = DNS_INSECURE;
		if (res->havedata)
			for (int i = 0; res->data[i] != NULL; i++)
				add_addr(q, res->qtype, res->data[i], res->len[i]);
		else if (q->r.why[0] == '\0')
			snprintf(q->r.why, sizeof(q->r.why), "%s",
				 res->nxdomain ? "no such domain (NXDOMAIN)" :
				 res->rcode == 2 ? "server failure (SERVFAIL)" : "no address records");
	}
	ub_resolve_free(res);
	q->ids[sub->idx] = 0;      /* answered: nothing left to cancel */
	q->outstanding--;
	have_v4 = false;
	for (size_t i = 0; i < q->r.n; i++)
		if (q->r.addr[i].ss_family == AF_INET)
			have_v4 = true;
	if (q->outstanding > 0 && !have_v4)
		return;
	query_done(q);
}

int dns_lookup_addrs(struct dns_ctx *d, const char *name, unsigned port, int family,
		     void (*cb)(const struct dns_addrs *r, void *arg), void *arg,
		     struct dns_query **qp)
{
	struct dns_query *q = calloc(1, sizeof(*q));
	int nt = 0;

	*qp = NULL;
	if (q == NULL)
		return MAILTLS_ENOMEM;
	q->d = d;
	q->port = port;
	q->cb = cb;
	q->arg = arg;
	q->r.security = DNS_SECURE;
	/* IPv4 first: the order a dual-stack sender in a lab or a v4-only network uses. */
	if (family != 6)
		q->types[nt++] = RR_A;
	if (family != 4)
		q->types[nt++] = RR_AAAA;
	for (int i = 0; i < nt; i++) {
		q->subs[i].q = q;
		q->subs[i].idx = i;
		if (ub_resolve_async(d->ub, name, q->types[i], CLASS_IN, &q->subs[i], on_answer,
				     &q->ids[i]) != 0) {
			for (int j = 0; j < i; j++)
				ub_cancel(d->ub, q->ids[j]);
			free(q);
			return MAILTLS_EDNS;
		}
		q->outstanding++;
	}
	d->pending++;
	*qp = q;
	return 0;
}
