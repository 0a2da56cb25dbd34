/*
 * stsgather.c - the MTA-STS and TLS-RPT facts of one domain, on the engine (stsgather.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include <mailtls/mailtls.h>
#include "dns.h"
#include "dnsfacts.h"
#include "engine_task.h"
#include "fetch.h"
#include "stsgather.h"

#define STS_PATH "/.well-known/mta-sts.txt"
#define TXT_RECORDS_MAX 16            /* TXT records read per name (more: left out) */

enum sts_q { Q_STS_TXT, Q_RPT_TXT, Q_HOST_A, Q_HOST_AAAA, Q_COUNT };

struct sts_gather {
	struct mailtls_engine *e;
	struct mailtls_mtasts *out;
	unsigned timeout_ms;
	void (*done)(void *arg, int err);
	void *arg;
	struct dns_query *q[Q_COUNT];
	struct sts_gather_q {
		struct sts_gather *g;
		enum sts_q which;
	} qctx[Q_COUNT];
	bool answered[Q_COUNT];
	struct fetch_op *fetch;
	struct event *later;          /* done from the loop when nothing could be asked */
	unsigned outstanding;
	/* Addresses of the policy host (numeric), from answers that were not bogus. */
	char addrs[FETCH_ADDRS_MAX][INET6_ADDRSTRLEN];
	size_t n_addrs;
	bool failed;                  /* out of memory: the facts are incomplete */
};

static void gather_free(struct sts_gather *g)
{
	for (int i = 0; i < Q_COUNT; i++)
		dns_query_cancel(g->q[i]);
	if (g->fetch != NULL)
		fetch_cancel(g->fetch);
	if (g->later != NULL)
		event_free(g->later);
	free(g);
}

void sts_gather_cancel(struct sts_gather *g)
{
	if (g != NULL)
		gather_free(g);
}

static void settle(struct sts_gather *g)
{
	void (*done)(void *, int) = g->done;
	void *arg = g->arg;

	if (g->outstanding > 0)
		return;
	int err = g->failed ? MAILTLS_ENOMEM : 0;

	gather_free(g);
	done(arg, err);
}

/* txt_records - the TXT records of an answer, for the readers (which keep them, escaped,
 * for the report). */
static void txt_records(const struct dns_answer *a, struct mailtls_txt_in *in, size_t *n)
{
	*n = 0;
	for (size_t i = 0; i < a->n && i < TXT_RECORDS_MAX; i++)
		in[(*n)++] = (struct mailtls_txt_in){ .text = a->rr[i].u.txt.text,
						      .len = a->rr[i].u.txt.len };
}

/* bogus_records - a bogus answer's records, shown (escaped) but never read. */
static int bogus_records(const struct dns_answer *a, struct mailtls_strlist *shown)
{
	for (size_t i = 0; i < a->n && i < TXT_RECORDS_MAX; i++) {
		char *esc = mailtls_escape(a->rr[i].u.txt.text, a->rr[i].u.txt.len);

		if (esc == NULL || mailtls_strlist_add(shown, esc, 2048) != 0) {
			free(esc);
			return MAILTLS_ENOMEM;
		}
		free(esc);
	}
	return 0;
}

static void on_txt(struct sts_gather *g, enum sts_q which, const struct dns_answer *a)
{
	struct mailtls_txt_in in[TXT_RECORDS_MAX];
	size_t n;
	int r;

	/* Records of a bogus answer are for the report only: senders with a validating
	 * resolver get SERVFAIL and see none. */
	txt_records(a, in, &n);
	if (which == Q_STS_TXT) {
		struct mailtls_sts_txt *t = &g->out->txt;

		r = dnsfacts_fill(&t->lookup, "TXT", a);
		if (r == 0 && a->status == DNS_BOGUS)
			r = bogus_records(a, &t->records);
		else if (r == 0)
			r = mailtls_sts_txt_read(t, in, n);
	} else {
		struct mailtls_tlsrpt *t = &g->out->tlsrpt;

		r = dnsfacts_fill(&t->lookup, "TXT", a);
		if (r == 0 && a->status == DNS_BOGUS)
			r = bogus_records(a, &t->records);
		else if (r == 0)
			r = mailtls_tlsrpt_read(t, in, n);
	}
	if (r != 0)
		g->failed = true;
}

static void fetch_done(struct fetch_result *fr, void *arg);

/* start_fetch - both address answers are in: fetch from the addresses found, or record
 * why not. */
static void start_fetch(struct sts_gather *g)
{
	struct mailtls_sts_policy *p = &g->out->policy;
	struct fetch_request rq = {
		.host = p->host, .port = 443, .path = STS_PATH,
		.body_max = MAILTLS_STS_BODY_MAX, .timeout_ms = g->timeout_ms,
	};
	char why[256];

	if (g->n_addrs == 0) {
		const struct mailtls_dns_lookup *l = &p->a;

		p->fetch = MAILTLS_FETCH_NO_ADDRESS;
		if (p->a.status == MAILTLS_DNS_BOGUS || p->aaaa.status == MAILTLS_DNS_BOGUS)
			snprintf(why, sizeof(why), "the address records of %s are DNSSEC-bogus",
				 p->host);
		else if (l->nxdomain)
			snprintf(why, sizeof(why), "%s does not exist (NXDOMAIN)", p->host);
		else if (l->status == MAILTLS_DNS_NOANSWER)
			snprintf(why, sizeof(why), "the address lookup of %s got no answer%s%s",
				 p->host, l->why ? ": " : "", l->why ? l->why : "");
		else
			snprintf(why, sizeof(why), "%s has no A or AAAA records", p->host);
		if ((p->why = strdup(why)) == NULL)
			g->failed = true;
		return;
	}
	for (size_t i = 0; i < g->n_addrs; i++)
		rq.addrs[rq.n_addrs++] = g->addrs[i];
	if (engine_fetch(g->e, &rq, fetch_done, g, &g->fetch, why, sizeof(why)) != 0) {
		p->fetch = MAILTLS_FETCH_FAILED;
		if ((p->why = strdup(why)) == NULL)
			g->failed = true;
		return;
	}
	g->outstanding++;
}

static void on_addr(struct sts_gather *g, enum sts_q which, const struct dns_answer *a)
{
	struct mailtls_sts_policy *p = &g->out->policy;

	if (dnsfacts_fill(which == Q_HOST_A ? &p->a : &p->aaaa, which == Q_HOST_A ? "A" : "AAAA",
			  a) != 0)
		g->failed = true;
	for (size_t i = 0; a->status != DNS_BOGUS && i < a->n && g->n_addrs < FETCH_ADDRS_MAX;
	     i++) {
		const struct sockaddr_storage *ss = &a->rr[i].u.addr.ss;
		const void *ip = ss->ss_family == AF_INET6
				 ? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
				 : (const void *)&((const struct sockaddr_in *)ss)->sin_addr;

		if (inet_ntop(ss->ss_family, ip, g->addrs[g->n_addrs], INET6_ADDRSTRLEN) != NULL)
			g->n_addrs++;
	}
}

static void on_answer(struct dns_answer *a, void *arg)
{
	struct sts_gather_q *c = arg;
	struct sts_gather *g = c->g;

	g->q[c->which] = NULL;
	g->answered[c->which] = true;
	g->outstanding--;
	if (c->which == Q_STS_TXT || c->which == Q_RPT_TXT)
		on_txt(g, c->which, a);
	else
		on_addr(g, c->which, a);
	dns_answer_free(a);
	if ((c->which == Q_HOST_A || c->which == Q_HOST_AAAA) && g->answered[Q_HOST_A]
	    && g->answered[Q_HOST_AAAA])
		start_fetch(g);
	settle(g);
}

/* fetch_result_facts - a finished fetch into the policy's facts, and the body read when it
 * is a policy at all: an HTTP response with status 200, text/plain, within the limit. The
 * body of any other response (an error page) is not kept. */
static int fetch_result_facts(struct mailtls_sts_policy *p, const struct fetch_result *fr)
{
	const char *ct = fr->content_type;
	size_t ctlen = ct ? strcspn(ct, "; \t") : 0;
	/* A response was had (whole, or cut at the limit), with its status. */
	bool http = fr->status == MAILTLS_FETCH_OK || fr->status == MAILTLS_FETCH_TOO_LARGE;
	const char *why = NULL;
	char buf[128];

	p->http_status = fr->http_status;
	p->elapsed_ms = fr->elapsed_ms;
	if ((fr->addr[0] && (p->addr = strdup(fr->addr)) == NULL)
	    || (ct && (p->content_type = mailtls_escape(ct, strlen(ct))) == NULL)
	    || (fr->location && (p->location = mailtls_escape(fr->location,
							       strlen(fr->location))) == NULL))
		return MAILTLS_ENOMEM;
	if (http && fr->http_status != 200) {
		p->fetch = MAILTLS_FETCH_HTTP_STATUS;
		snprintf(buf, sizeof(buf), "HTTP status %ld%s", fr->http_status,
			 fr->http_status >= 300 && fr->http_status < 400 ? " (a redirect)" : "");
		why = buf;
	} else if (fr->status == MAILTLS_FETCH_OK
		   && (ct == NULL || ctlen != 10 || strncasecmp(ct, "text/plain", 10) != 0)) {
		/* RFC 8461 3.2: media type text/plain; parameters (a charset) allowed. */
		p->fetch = MAILTLS_FETCH_CONTENT_TYPE;
		why = ct ? "media type is not text/plain" : "no media type";
	} else {
		p->fetch = fr->status;
		why = fr->status == MAILTLS_FETCH_OK ? NULL : fr->why;
	}
	if (why != NULL && (p->why = strdup(why)) == NULL)
		return MAILTLS_ENOMEM;
	if (fr->body != NULL && http && fr->http_status == 200) {
		if ((p->body = malloc(fr->body_len + 1)) == NULL)
			return MAILTLS_ENOMEM;
		memcpy(p->body, fr->body, fr->body_len);
		p->body[fr->body_len] = '\0';
		p->body_len = fr->body_len;
	}
	if (p->fetch == MAILTLS_FETCH_OK)
		return mailtls_sts_policy_read(p, p->body ? p->body : "", p->body_len);
	return 0;
}

static void fetch_done(struct fetch_result *fr, void *arg)
{
	struct sts_gather *g = arg;

	g->fetch = NULL;
	g->outstanding--;
	if (fetch_result_facts(&g->out->policy, fr) != 0)
		g->failed = true;
	fetch_result_free(fr);
	settle(g);
}

static void later_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sts_gather *g = arg;

	(void)fd;
	(void)what;
	event_free(g->later);
	g->later = NULL;
	g->outstanding--;
	settle(g);
}

int sts_gather_start(struct mailtls_engine *e, const char *domain, unsigned timeout_ms,
		     struct mailtls_mtasts *out, void (*done)(void *arg, int err), void *arg,
		     struct sts_gather **gp)
{
	struct sts_gather *g = calloc(1, sizeof(*g));
	struct mailtls_sts_policy *p = &out->policy;
	char name[MAILTLS_NAME_MAX + 16];
	struct dns_ctx *d = engine_dns(e);
	static const int types[Q_COUNT] = { DNS_T_TXT, DNS_T_TXT, DNS_T_A, DNS_T_AAAA };
	static const char *const prefix[Q_COUNT] = { "_mta-sts.", "_smtp._tls.", "mta-sts.",
						      "mta-sts." };

	*gp = NULL;
	if (g == NULL)
		return MAILTLS_ENOMEM;
	g->e = e;
	g->out = out;
	g->timeout_ms = timeout_ms;
	g->done = done;
	g->arg = arg;
	out->evaluated = true;
	snprintf(name, sizeof(name), "mta-sts.%s", domain);
	p->host = strdup(name);
	snprintf(name, sizeof(name), "https://mta-sts.%s%s", domain, STS_PATH);
	p->url = strdup(name);
	/* Held while asking, so that no answer can finish the gathering in between. */
	g->later = event_new(engine_base(e), -1, 0, later_cb, g);
	if (p->host == NULL || p->url == NULL || g->later == NULL) {
		gather_free(g);
		return MAILTLS_ENOMEM;
	}
	g->outstanding = 1;
	for (int i = 0; i < Q_COUNT; i++) {
		g->qctx[i] = (struct sts_gather_q){ .g = g, .which = (enum sts_q)i };
		snprintf(name, sizeof(name), "%s%s", prefix[i], domain);
		if (d != NULL && dns_query(d, name, types[i], timeout_ms, on_answer, &g->qctx[i],
					   &g->q[i]) == 0) {
			g->outstanding++;
			continue;
		}
		/* Not asked: recorded as a lookup without an answer. */
		struct dns_answer none = { .qname = name, .qtype = types[i],
					   .status = DNS_NOANSWER, .rcode = -1 };

		snprintf(none.why, sizeof(none.why), "%s", d == NULL ? engine_dns_why(e)
								  : "the resolver refused the question");
		g->answered[i] = true;
		if (i == Q_STS_TXT || i == Q_RPT_TXT)
			on_txt(g, (enum sts_q)i, &none);
		else
			on_addr(g, (enum sts_q)i, &none);
	}
	if (g->answered[Q_HOST_A] && g->answered[Q_HOST_AAAA])
		start_fetch(g);
	event_active(g->later, 0, 0);
	*gp = g;
	return 0;
}
