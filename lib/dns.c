/*
 * dns.c - the resolver of dns.h: libunbound in a thread of its own (ub_ctx_async), whose
 * answers are read on the libevent loop (an event on ub_fd() calls ub_process()), so that
 * every callback runs from the loop and never from inside the call that asked. Each
 * question has its own timer. Answers are parsed by dnsparse.c; here only the status
 * (libunbound's validator) and the errors are decided.
 *
 * Not here: what an answer means (DANE, MTA-STS, the engine's choice of address).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>
#include <unbound.h>
#include <ldns/ldns.h>
#include <mailtls/mailtls.h>
#include "dns.h"
#include "escape.h"

#define CLASS_IN 1

LIST_HEAD(query_list, dns_query);
LIST_HEAD(lookup_list, dns_lookup);

struct dns_ctx {
	struct ub_ctx *ub;
	struct event_base *base;
	struct event *ev;
	bool validating;
	struct query_list queries;            /* not yet answered or cancelled */
	struct lookup_list lookups;
};

struct dns_query {
	struct dns_ctx *d;
	LIST_ENTRY(dns_query) link;
	int id;                               /* libunbound's async id; 0 once answered */
	struct event *timer;                  /* NULL: no timer of its own */
	unsigned timeout_ms;
	int qtype;
	struct dns_answer *a;                 /* made with the query (qname, qtype, NOANSWER),
	                                       * so that there is always one to hand over */
	dns_answer_fn *cb;
	void *arg;
};

/* One of the (at most two) questions of a lookup. */
struct dns_sub {
	struct dns_lookup *l;
	struct dns_query *q;                  /* NULL when not asked or answered */
	struct dns_answer *a;                 /* the answer, once it arrived */
	int qtype;
};

struct dns_lookup {
	struct dns_ctx *d;
	LIST_ENTRY(dns_lookup) link;
	unsigned port;
	struct dns_sub sub[2];                /* A, AAAA */
	int nsub;
	struct event *grace;                  /* the wait for AAAA after A's addresses */
	struct dns_addrs r;
	void (*cb)(const struct dns_addrs *r, void *arg);
	void *arg;
};

/* RFC 6761 and RFC 6303 zones libunbound answers itself by default and we let through to
 * the resolver (dns.h says why). Kept local: localhost., the reverse zones of ::1 and ::,
 * 0.in-addr.arpa., 255.255.255.255.in-addr.arpa., onion., invalid.; the 172.16/12 and
 * 100.64/10 reverse zones are added in dns_ctx_new(). */
static const char *const passed_zones[] = {
	"test.", "home.arpa.", "127.in-addr.arpa.", "10.in-addr.arpa.",
	"168.192.in-addr.arpa.", "254.169.in-addr.arpa.", "2.0.192.in-addr.arpa.",
	"100.51.198.in-addr.arpa.", "113.0.203.in-addr.arpa.", "d.f.ip6.arpa.",
	"8.e.f.ip6.arpa.", "9.e.f.ip6.arpa.", "a.e.f.ip6.arpa.", "b.e.f.ip6.arpa.",
	"8.b.d.0.1.0.0.2.ip6.arpa.",
};

static void on_ub_fd(evutil_socket_t fd, short what, void *arg)
{
	struct dns_ctx *d = arg;
	(void)fd;
	(void)what;
	ub_process(d->ub);
}

/* pass_special_zones - drop libunbound's local answers for passed_zones (it finalizes the
 * context: no option can be set afterwards). */
static int pass_special_zones(struct ub_ctx *ub)
{
	char zone[32];
	int r;

	for (size_t i = 0; i < sizeof(passed_zones) / sizeof(passed_zones[0]); i++)
		if ((r = ub_ctx_zone_remove(ub, passed_zones[i])) != 0)
			return r;
	for (int i = 16; i < 32; i++) {                 /* 172.16.0.0/12 */
		snprintf(zone, sizeof(zone), "%d.172.in-addr.arpa.", i);
		if ((r = ub_ctx_zone_remove(ub, zone)) != 0)
			return r;
	}
	for (int i = 64; i < 128; i++) {                /* 100.64.0.0/10 */
		snprintf(zone, sizeof(zone), "%d.100.in-addr.arpa.", i);
		if ((r = ub_ctx_zone_remove(ub, zone)) != 0)
			return r;
	}
	return 0;
}

/* ub_log_first_error - the first "error: ..." line libunbound logged into log[0..len),
 * without its prefix, or "" (its errors name the file, line and column). */
static void ub_log_first_error(const char *log, size_t len, char *out, size_t outlen)
{
	const char *e = log != NULL ? memmem(log, len, "error: ", 7) : NULL;
	size_t n;

	out[0] = '\0';
	if (e == NULL)
		return;
	e += 7;
	n = strcspn(e, "\n");
	snprintf(out, outlen, "%.*s", (int)n, e);
}

struct dns_ctx *dns_ctx_new(struct event_base *base, const char *resolver,
			    const char *trust_anchor, char *why, size_t whylen)
{
	struct dns_ctx *d = calloc(1, sizeof(*d));
	const char *ta = trust_anchor;
	char *log = NULL, detail[200];
	size_t loglen = 0;
	FILE *logf = NULL;
	int r;

	if (d == NULL || (d->ub = ub_ctx_create()) == NULL) {
		snprintf(why, whylen, "cannot create resolver context");
		free(d);
		return NULL;
	}
	/* The library never prints: libunbound logs (to stderr by default) into memory while
	 * it is set up, for the reason of a failure, and nowhere afterwards. */
	logf = open_memstream(&log, &loglen);
	ub_ctx_debugout(d->ub, logf);
	d->base = base;
	LIST_INIT(&d->queries);
	LIST_INIT(&d->lookups);
	/* Threads, not a forked process: the process stays one process. */
	r = ub_ctx_async(d->ub, 1);
	/* At most DNS_FD_RANGE UDP sockets at once (the engine keeps that many descriptors
	 * out of its connection budget); more questions wait inside libunbound. */
	if (r == 0)
		r = ub_ctx_set_option(d->ub, "outgoing-range:", DNS_FD_RANGE_TEXT);
	/* Records in the order the resolver gave them (libunbound would rotate them): the
	 * same question, the same report. */
	if (r == 0)
		r = ub_ctx_set_option(d->ub, "rrset-roundrobin:", "no");
	/* No RFC 8145 key-tag signalling: an extra question per trust anchor that tells the
	 * resolver's operators nothing they need from a checker, and a round trip more. */
	if (r == 0)
		r = ub_ctx_set_option(d->ub, "trust-anchor-signaling:", "no");
	if (r == 0)
		r = ub_ctx_hosts(d->ub, NULL);
	if (r == 0)
		r = resolver ? ub_ctx_set_fwd(d->ub, resolver) : ub_ctx_resolvconf(d->ub, NULL);
	if (r != 0) {
		snprintf(why, whylen, "resolver setup failed%s%s: %s", resolver ? " for " : "",
			 resolver ? resolver : "", ub_strerror(r));
		goto fail;
	}
	if (ta == NULL && access(DNS_ROOT_KEY_FILE, R_OK) == 0)
		ta = DNS_ROOT_KEY_FILE;
	else if (ta != NULL && ta[0] == '\0')
		ta = NULL;
	if (ta != NULL) {
		/* libunbound reads the file when the context is finalized and says only
		 * "initialization failure": name the usual causes first. */
		FILE *f = fopen(ta, "r");

		if (f == NULL) {
			snprintf(why, whylen, "trust anchor file %s: %s", ta, strerror(errno));
			goto fail;
		}
		fclose(f);
		if ((r = ub_ctx_add_ta_file(d->ub, ta)) != 0) {
			snprintf(why, whylen, "trust anchor file %s: %s", ta, ub_strerror(r));
			goto fail;
		}
		d->validating = true;
	}
	if ((r = pass_special_zones(d->ub)) != 0) {
		if (logf != NULL)
			fflush(logf);
		ub_log_first_error(log, loglen, detail, sizeof(detail));
		if (ta != NULL)
			snprintf(why, whylen, "resolver setup failed: %s (is %s a zone file of DS or "
				 "DNSKEY records?)%s%s", ub_strerror(r), ta, detail[0] ? ": " : "",
				 detail);
		else
			snprintf(why, whylen, "resolver setup failed: %s%s%s", ub_strerror(r),
				 detail[0] ? ": " : "", detail);
		goto fail;
	}
	d->ev = event_new(base, ub_fd(d->ub), EV_READ | EV_PERSIST, on_ub_fd, d);
	if (d->ev == NULL || event_add(d->ev, NULL) != 0) {
		snprintf(why, whylen, "cannot watch the resolver");
		goto fail;
	}
	ub_ctx_debugout(d->ub, NULL);
	if (logf != NULL)
		fclose(logf);
	free(log);
	return d;
fail:
	mailtls_escape_inplace(why, whylen);
	ub_ctx_debugout(d->ub, NULL);
	if (logf != NULL)
		fclose(logf);
	free(log);
	dns_ctx_free(d);
	return NULL;
}

bool dns_validating(const struct dns_ctx *d)
{
	return d->validating;
}

/* ---- One question ---- */

static void query_free(struct dns_query *q)
{
	LIST_REMOVE(q, link);
	if (q->timer)
		event_free(q->timer);
	dns_answer_free(q->a);
	free(q);
}

void dns_query_cancel(struct dns_query *q)
{
	if (q == NULL)
		return;
	if (q->id != 0)
		ub_cancel(q->d->ub, q->id);
	query_free(q);
}

/* deliver - hand the answer to the owner and forget the query (first: the owner may ask
 * again). */
static void deliver(struct dns_query *q)
{
	dns_answer_fn *cb = q->cb;
	struct dns_answer *a = q->a;
	void *arg = q->arg;

	q->a = NULL;
	query_free(q);
	cb(a, arg);
}

static const char *rcode_name(int rcode)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
		"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
	};

	return rcode >= 0 && rcode < (int)(sizeof(names) / sizeof(names[0])) ? names[rcode] : "?";
}

/* noanswer - q's answer holds only the question and why there is nothing more. */
static void noanswer(struct dns_query *q, int rcode, const char *why)
{
	struct dns_answer *a = q->a;

	a->status = DNS_NOANSWER;
	a->rcode = rcode;
	a->nxdomain = rcode == 3;
	snprintf(a->why, sizeof(a->why), "%s", why);
	mailtls_escape_inplace(a->why, sizeof(a->why));
}

/* fill_answer - libunbound's result into q's answer: the packet parsed, the status from
 * the validator, but NOANSWER whenever what came is not an answer to believe. */
static void fill_answer(struct dns_query *q, int err, const struct ub_result *res)
{
	struct dns_answer *a = q->a, parsed;
	char why[160];

	if (err != 0 || res == NULL) {
		snprintf(why, sizeof(why), "resolver error: %s", err != 0 ? ub_strerror(err) :
			 "no result");
		noanswer(q, -1, why);
		return;
	}
	if (res->answer_packet == NULL || res->answer_len <= 0) {
		snprintf(why, sizeof(why), "no answer packet (rcode %s)", rcode_name(res->rcode));
		noanswer(q, res->rcode, why);
		return;
	}
	if (res->rcode != 0 && res->rcode != 3 && !res->bogus) {
		/* SERVFAIL, REFUSED...: the resolver has no answer; never "no such record".
		 * (libunbound's own SERVFAIL packet has no question to parse.) */
		snprintf(why, sizeof(why), "the resolver answered %s", rcode_name(res->rcode));
		noanswer(q, res->rcode, why);
		return;
	}
	memset(&parsed, 0, sizeof(parsed));
	if (dns_answer_parse(res->answer_packet, (size_t)res->answer_len, q->qtype, &parsed) != 0) {
		noanswer(q, res->rcode, parsed.why);
		return;
	}
	/* The question as asked stays (the packet's is the same name). */
	free(parsed.qname);
	parsed.qname = a->qname;
	*a = parsed;
	a->rcode = res->rcode;
	a->nxdomain = res->nxdomain || res->rcode == 3;
	if (res->bogus) {
		/* RFC 4035 5.5: the data failed validation. libunbound's reason may quote
		 * names and record data: shown escaped. */
		const char *wb = res->why_bogus ? res->why_bogus : "validation failed";

		a->status = DNS_BOGUS;
		a->why_bogus = escape_text(wb, strlen(wb));
	} else {
		a->status = res->secure ? DNS_SECURE : DNS_INSECURE;
	}
}

static void on_ub_answer(void *arg, int err, struct ub_result *res)
{
	struct dns_query *q = arg;

	q->id = 0;   /* answered: nothing left to cancel */
	fill_answer(q, err, res);
	ub_resolve_free(res);
	deliver(q);
}

static void on_query_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct dns_query *q = arg;
	char why[64];
	(void)fd;
	(void)what;

	if (q->id != 0)
		ub_cancel(q->d->ub, q->id);
	q->id = 0;
	snprintf(why, sizeof(why), "no answer within %g s", q->timeout_ms / 1000.0);
	noanswer(q, -1, why);
	deliver(q);
}

/* query_start - dns_query() with timeout_ms 0 allowed (no timer: the caller bounds it). */
static int query_start(struct dns_ctx *d, const char *name, int rrtype, unsigned timeout_ms,
		       dns_answer_fn *cb, void *arg, struct dns_query **qp)
{
	char text[DNS_NAME_TEXT_MAX];
	struct dns_query *q;
	ldns_rdf *rdf;
	int ok;

	*qp = NULL;
	if (d == NULL)   /* engine_dns() could not set one up */
		return MAILTLS_EDNS;
	if (name == NULL || rrtype <= 0 || rrtype > 65535 || cb == NULL)
		return MAILTLS_EINVAL;
	/* The name as libunbound will read it, for the answers made here. */
	if ((rdf = ldns_dname_new_frm_str(name)) == NULL)
		return MAILTLS_EINVAL;
	ok = dns_name_text(ldns_rdf_data(rdf), ldns_rdf_size(rdf), text, sizeof(text), NULL);
	ldns_rdf_deep_free(rdf);
	if (ok != 0)
		return MAILTLS_EINVAL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return MAILTLS_ENOMEM;
	if ((q->a = calloc(1, sizeof(*q->a))) == NULL || (q->a->qname = strdup(text)) == NULL) {
		dns_answer_free(q->a);
		free(q);
		return MAILTLS_ENOMEM;
	}
	q->a->qtype = rrtype;
	q->a->rcode = -1;
	q->a->status = DNS_NOANSWER;
	q->d = d;
	q->qtype = rrtype;
	q->timeout_ms = timeout_ms;
	q->cb = cb;
	q->arg = arg;
	LIST_INSERT_HEAD(&d->queries, q, link);
	if (timeout_ms > 0) {
		struct timeval tv = { .tv_sec = timeout_ms / 1000,
				      .tv_usec = (timeout_ms % 1000) * 1000 };

		if ((q->timer = evtimer_new(d->base, on_query_timeout, q)) == NULL ||
		    evtimer_add(q->timer, &tv) != 0) {
			query_free(q);
			return MAILTLS_ENOMEM;
		}
	}
	if (ub_resolve_async(d->ub, name, rrtype, CLASS_IN, q, on_ub_answer, &q->id) != 0) {
		q->id = 0;
		query_free(q);
		return MAILTLS_EDNS;
	}
	*qp = q;
	return 0;
}

int dns_query(struct dns_ctx *d, const char *name, int rrtype, unsigned timeout_ms,
	      dns_answer_fn *cb, void *arg, struct dns_query **qp)
{
	if (timeout_ms == 0) {
		*qp = NULL;
		return MAILTLS_EINVAL;
	}
	return query_start(d, name, rrtype, timeout_ms, cb, arg, qp);
}

/* ---- The addresses of a host ---- */

/* status_join - the security of a lookup so far, with one more answer that arrived. */
static enum dns_status status_join(enum dns_status sofar, bool first, enum dns_status s)
{
	if (s == DNS_BOGUS || sofar == DNS_BOGUS)
		return DNS_BOGUS;
	if (first)
		return s == DNS_SECURE ? DNS_SECURE : DNS_INSECURE;
	return sofar == DNS_SECURE && s == DNS_SECURE ? DNS_SECURE : DNS_INSECURE;
}

static void put_addr(struct dns_lookup *l, const struct dns_record *rec)
{
	struct dns_addrs *r = &l->r;
	struct sockaddr_storage *ss = &r->addr[r->n];

	memcpy(ss, &rec->u.addr.ss, rec->u.addr.len);
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)l->port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)l->port);
	r->len[r->n++] = rec->u.addr.len;
}

static size_t addr_count(const struct dns_answer *a)
{
	return a != NULL ? a->n : 0;
}

/* fill_result - the addresses of both answers (A first), each family given at least half
 * the room when both have more; the security over the answers that arrived; a why. */
static void fill_result(struct dns_lookup *l, const char *deadline_why)
{
	struct dns_addrs *r = &l->r;
	const struct dns_answer *a4 = NULL, *a6 = NULL;
	size_t n4, n6, k4, k6;
	bool first = true;

	for (int i = 0; i < l->nsub; i++) {
		const struct dns_answer *a = l->sub[i].a;

		if (a == NULL)
			continue;
		if (l->sub[i].qtype == DNS_T_A)
			a4 = a;
		else
			a6 = a;
		r->security = status_join(r->security, first, a->status);
		first = false;
		if (a->n == 0 && r->why[0] == '\0')
			snprintf(r->why, sizeof(r->why), "%s",
				 a->status == DNS_NOANSWER ? a->why :
				 a->nxdomain ? "no such domain (NXDOMAIN)" : "no address records");
	}
	if (first)
		r->security = DNS_NOANSWER;
	n4 = addr_count(a4);
	n6 = addr_count(a6);
	k4 = n4;
	k6 = n6;
	if (n4 + n6 > DNS_ADDRS_MAX) {
		/* Half the room each; what one family leaves goes to the other. */
		if (n4 > DNS_ADDRS_MAX / 2 && n6 > DNS_ADDRS_MAX / 2)
			k4 = DNS_ADDRS_MAX / 2;
		else if (n4 > DNS_ADDRS_MAX / 2)
			k4 = DNS_ADDRS_MAX - n6;
		k6 = DNS_ADDRS_MAX - k4 < n6 ? DNS_ADDRS_MAX - k4 : n6;
	}
	r->n = 0;
	for (size_t i = 0; a4 != NULL && i < k4; i++)
		put_addr(l, &a4->rr[i]);
	for (size_t i = 0; a6 != NULL && i < k6; i++)
		put_addr(l, &a6->rr[i]);
	if (r->n == 0) {
		r->error = MAILTLS_EDNS;
		if (r->why[0] == '\0')
			snprintf(r->why, sizeof(r->why), "%s",
				 deadline_why ? deadline_why : "no address");
	} else {
		r->why[0] = '\0';
	}
}

static void lookup_free(struct dns_lookup *l)
{
	LIST_REMOVE(l, link);
	for (int i = 0; i < l->nsub; i++) {
		dns_query_cancel(l->sub[i].q);
		dns_answer_free(l->sub[i].a);
	}
	if (l->grace)
		event_free(l->grace);
	free(l);
}

/* lookup_done - deliver what arrived and free (what is still out is cancelled first). */
static void lookup_done(struct dns_lookup *l, const char *deadline_why)
{
	for (int i = 0; i < l->nsub; i++) {
		dns_query_cancel(l->sub[i].q);
		l->sub[i].q = NULL;
	}
	fill_result(l, deadline_why);
	l->cb(&l->r, l->arg);
	lookup_free(l);
}

static void on_grace(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	lookup_done(arg, NULL);
}

static void on_sub_answer(struct dns_answer *a, void *arg)
{
	struct dns_sub *sub = arg;
	struct dns_lookup *l = sub->l;
	bool out = false, v4 = false;

	sub->q = NULL;
	sub->a = a;
	for (int i = 0; i < l->nsub; i++) {
		if (l->sub[i].q != NULL)
			out = true;
		if (l->sub[i].qtype == DNS_T_A && addr_count(l->sub[i].a) > 0)
			v4 = true;
	}
	if (!out) {
		lookup_done(l, NULL);
		return;
	}
	/* A is in with addresses, AAAA still out: a short wait for it, not a long one. */
	if (v4 && !evtimer_pending(l->grace, NULL)) {
		struct timeval tv = { 0, DNS_AAAA_GRACE_MS * 1000 };

		if (evtimer_add(l->grace, &tv) != 0)
			lookup_done(l, NULL);
	}
}

int dns_lookup_addrs(struct dns_ctx *d, const char *name, unsigned port, int family,
		     void (*cb)(const struct dns_addrs *r, void *arg), void *arg,
		     struct dns_lookup **lp)
{
	struct dns_lookup *l = calloc(1, sizeof(*l));
	int r;

	*lp = NULL;
	if (l == NULL)
		return MAILTLS_ENOMEM;
	l->d = d;
	l->port = port;
	l->cb = cb;
	l->arg = arg;
	l->r.security = DNS_NOANSWER;
	LIST_INSERT_HEAD(&d->lookups, l, link);
	if ((l->grace = evtimer_new(d->base, on_grace, l)) == NULL) {
		lookup_free(l);
		return MAILTLS_ENOMEM;
	}
	/* IPv4 first: the order a dual-stack sender in a lab or a v4-only network uses. */
	if (family != 6)
		l->sub[l->nsub++].qtype = DNS_T_A;
	if (family != 4)
		l->sub[l->nsub++].qtype = DNS_T_AAAA;
	for (int i = 0; i < l->nsub; i++) {
		l->sub[i].l = l;
		/* No timer of its own: the caller's deadline (dns_deadline) bounds it. */
		r = query_start(d, name, l->sub[i].qtype, 0, on_sub_answer, &l->sub[i], &l->sub[i].q);
		if (r != 0) {
			lookup_free(l);
			return r;
		}
	}
	*lp = l;
	return 0;
}

void dns_deadline(struct dns_lookup *l, const char *why)
{
	lookup_done(l, why);
}

void dns_cancel(struct dns_lookup *l)
{
	if (l != NULL)
		lookup_free(l);
}

void dns_ctx_free(struct dns_ctx *d)
{
	struct dns_lookup *l, *lnext;
	struct dns_query *q, *qnext;

	if (d == NULL)
		return;
	/* A lookup frees its own questions; the questions left are dns_query()'s. */
	for (l = LIST_FIRST(&d->lookups); l != NULL; l = lnext) {
		lnext = LIST_NEXT(l, link);
		lookup_free(l);
	}
	for (q = LIST_FIRST(&d->queries); q != NULL; q = qnext) {
		qnext = LIST_NEXT(q, link);
		dns_query_cancel(q);
	}
	if (d->ev)
		event_free(d->ev);
	if (d->ub)
		ub_ctx_delete(d->ub);
	free(d);
}
