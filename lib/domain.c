/*
 * domain.c - `mailtls domain`: gather the facts of every MX host of a domain on the engine,
 * then hand them to the verdict (verdict.c).
 *
 *	1. MX of the domain (RFC 5321 5.1: none is the implicit MX, the domain itself;
 *	   RFC 7505: "MX 0 ." accepts no mail), hosts in preference order.
 *	2. Per host, A and AAAA (every address kept, sorted; -4/-6 restrict), then TLSA at
 *	   _25._tcp of the secure CNAME expansion, then of the name as published when the
 *	   expansion has none (RFC 7672 2.2.2). TLSA is asked for every host with addresses;
 *	   its records are used only when the MX records and the address records are
 *	   DNSSEC-secure, and reported as ignored otherwise.
 *	   The TLSA question at the name as published goes out with A and AAAA (it is the
 *	   one that applies when the host is no alias, and the fallback when it is one), so
 *	   that it costs no round trip of its own; its answer waits until the addresses are
 *	   in and is used only where the rule above asks for it.
 *	3. Per address, its PTR (information only) and a check on port 25 through the engine,
 *	   with the host's usable TLSA records for OpenSSL's DANE verification; SNI is the
 *	   TLSA base domain under DANE.
 *	4. Everything in: the verdict decides, done is called.
 *
 * A domain is an engine task: it waits for a work slot to start (so domains start at the
 * engine's pace), then gives the slot back, since its checks take their own. It counts as
 * pending until done. Every DNS question has the domain's timeout.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <mailtls/mailtls.h>
#include <mailtls/domain.h>
#include <mailtls/engine.h>
#include <mailtls/names.h>
#include "dns.h"
#include "dnsfacts.h"
#include "engine_task.h"
#include "mxrules.h"
#include "stsgather.h"
#include "verdict.h"

#define DOMAIN_HOSTS_MAX 16           /* MX hosts checked */
#define DOMAIN_ADDRS_MAX 16           /* addresses per host */
#define DOMAIN_TLSA_MAX 32            /* TLSA records per host */
#define RR_A DNS_T_A
#define RR_MX DNS_T_MX
#define RR_PTR DNS_T_PTR
#define RR_AAAA DNS_T_AAAA
#define RR_TLSA DNS_T_TLSA

struct domain_job;

/* What a check's callback needs to find its address: one per address, in an array per host
 * that the job owns (a check the engine abandons never calls back). */
struct check_ctx {
	struct domain_job *j;
	size_t host, addr;
};

#define OP_EARLY (SIZE_MAX - 1)       /* op->addr of the TLSA question asked with A/AAAA */

/* Per MX host, the TLSA question at the name as published, asked early (step 2 above).
 *	NONE    not asked early: asked when the rule wants it
 *	OUT     asked, the rule has not decided yet
 *	HELD    answered before the rule decided: the answer is kept
 *	WANTED  the rule wants it, the answer is not in yet: used when it comes
 *	OVER    used, or not needed: a later answer is dropped */
enum early_state { EARLY_NONE = 0, EARLY_OUT, EARLY_HELD, EARLY_WANTED, EARLY_OVER };

struct early_tlsa {
	enum early_state state;
	struct dns_answer *answer;    /* in HELD */
};

/* One outstanding operation: a DNS question or a check. */
struct domain_op {
	struct domain_job *j;
	size_t host;                  /* index into res->hosts, or SIZE_MAX for the domain */
	size_t addr;                  /* index into the host's addresses, or SIZE_MAX */
	int kind;                     /* RR type asked, or 0 for a check */
	struct dns_query *q;
	struct domain_op *next;       /* in the job's list */
};

struct domain_job {
	struct engine_task task;
	struct mailtls_domain_params p;
	char *ehlo_name;
	mailtls_domain_done_fn *done;
	void *arg;
	struct mailtls_domain_result *res;
	struct domain_op *ops;        /* outstanding DNS questions */
	struct check_ctx **checks;    /* per MX host, the contexts of its checks, or NULL */
	struct early_tlsa *early;     /* one per MX host, or NULL */
	struct sts_gather *sts;       /* MTA-STS and TLS-RPT, while gathering */
	size_t n_early;
	size_t outstanding;           /* DNS questions and checks not answered yet */
	struct timespec t0;
	bool finished;
};

static unsigned timeout_ms(const struct domain_job *j)
{
	return (unsigned)(j->p.timeout * 1000.0);
}

static void job_free(struct domain_job *j)
{
	struct domain_op *o, *next;

	sts_gather_cancel(j->sts);
	for (o = j->ops; o != NULL; o = next) {
		next = o->next;
		if (o->q != NULL)
			dns_query_cancel(o->q);
		free(o);
	}
	for (size_t i = 0; i < j->n_early; i++) {
		dns_answer_free(j->early[i].answer);
		if (j->checks != NULL)
			free(j->checks[i]);
	}
	free(j->checks);
	free(j->early);
	mailtls_domain_result_free(j->res);
	free(j->ehlo_name);
	free((char *)j->p.domain);
	free(j);
}

static void op_unlink(struct domain_job *j, struct domain_op *op)
{
	for (struct domain_op **pp = &j->ops; *pp != NULL; pp = &(*pp)->next)
		if (*pp == op) {
			*pp = op->next;
			break;
		}
	free(op);
}

/* finish - the verdict, then done. Called when nothing is outstanding. */
static void finish(struct domain_job *j)
{
	struct mailtls_domain_result *res = j->res;
	mailtls_domain_done_fn *done = j->done;
	void *arg = j->arg;

	j->finished = true;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	res->elapsed_ms = (double)(now.tv_sec - j->t0.tv_sec) * 1e3
			  + (double)(now.tv_nsec - j->t0.tv_nsec) / 1e6;
	if (res->checked && verdict_domain(res) != 0) {
		res->checked = false;
		free(res->unknown_reason);
		res->unknown_reason = strdup("out of memory while deciding");
	}
	j->res = NULL;
	engine_task_end(&j->task);
	job_free(j);
	done(res, arg);
}

static void settle(struct domain_job *j)
{
	if (j->outstanding == 0 && !j->finished)
		finish(j);
}

static struct domain_op *ask(struct domain_job *j, const char *name, int rrtype, size_t host,
			     size_t addr);
static void submit_checks(struct domain_job *j, size_t hi);

static void nomem(struct domain_job *j)
{
	if (j->res->checked) {
		j->res->checked = false;
		j->res->unknown_reason = strdup("out of memory");
	}
}

/* host_lookups - ask A and AAAA of host hi (nothing for an IP literal). */
static void host_lookups(struct domain_job *j, size_t hi)
{
	struct mailtls_mx_host *h = &j->res->hosts[hi];

	if (h->ip_literal)
		return;
	if (j->p.family != 6)
		ask(j, h->name, RR_A, hi, SIZE_MAX);
	if (j->p.family != 4)
		ask(j, h->name, RR_AAAA, hi, SIZE_MAX);
	if (j->early != NULL) {
		char qname[MAILTLS_NAME_MAX + 16];

		snprintf(qname, sizeof(qname), "_%u._tcp.%s", j->p.port, h->name);
		j->early[hi].state = ask(j, qname, RR_TLSA, hi, OP_EARLY) != NULL ? EARLY_OUT
										: EARLY_NONE;
	}
}

static int add_host(struct mailtls_domain_result *res, const char *name, unsigned pref,
		    bool implicit)
{
	struct mailtls_mx_host *v;

	/* The same host twice: it is tried at its lowest preference. */
	for (size_t i = 0; i < res->n_hosts; i++)
		if (strcmp(res->hosts[i].name, name) == 0) {
			if (pref < res->hosts[i].preference)
				res->hosts[i].preference = pref;
			return 0;
		}
	v = realloc(res->hosts, (res->n_hosts + 1) * sizeof(*v));
	if (v == NULL)
		return MAILTLS_ENOMEM;
	res->hosts = v;
	memset(&v[res->n_hosts], 0, sizeof(v[0]));
	if ((v[res->n_hosts].name = strdup(name)) == NULL)
		return MAILTLS_ENOMEM;
	v[res->n_hosts].preference = pref;
	v[res->n_hosts].implicit = implicit;
	v[res->n_hosts].ip_literal = mxrules_ip_literal(name);
	res->n_hosts++;
	return 0;
}

static void on_mx(struct domain_job *j, const struct dns_answer *a)
{
	struct mailtls_domain_result *res = j->res;

	if (dnsfacts_fill(&res->mx, "MX", a) != 0)
		return nomem(j);
	if (a->status == DNS_NOANSWER && !a->nxdomain) {
		res->checked = false;
		res->unknown_reason = strdup(a->why[0] ? a->why : "the MX lookup got no answer");
		return;
	}
	if (a->nxdomain || a->status == DNS_BOGUS)
		return;
	/* A null MX (RFC 7505): a record whose target is the root (preference 0, alone: the
	 * verdict reports otherwise). */
	for (size_t i = 0; i < a->n; i++)
		if (a->rr[i].u.mx.root) {
			/* As Postfix: a root target anywhere makes the answer a null MX (a
			 * finding says so when other records stand beside it). */
			res->null_mx = true;
			res->null_mx_preference = a->rr[i].u.mx.pref;
			res->null_mx_mixed = a->n > 1;
			return;
		}
	if (a->n == 0 && a->omitted > 0) {
		res->checked = false;
		res->unknown_reason = strdup("the MX answer holds records mailtls cannot read");
		return;
	}
	for (size_t i = 0; i < a->n; i++)
		if (add_host(res, a->rr[i].u.mx.target, a->rr[i].u.mx.pref, false) != 0)
			return nomem(j);
	if (a->n == 0) {
		/* RFC 5321 5.1: the domain itself, its address lookup following any CNAME. */
		res->implicit_mx = true;
		if (add_host(res, res->domain, 0, true) != 0)
			return nomem(j);
	}
	/* Sorted first, then cut: the most preferred hosts are the ones checked. */
	mxrules_sort(res->hosts, res->n_hosts);
	while (res->n_hosts > DOMAIN_HOSTS_MAX) {
		free(res->hosts[--res->n_hosts].name);
		res->hosts_omitted++;
	}
	if (res->n_hosts > 0 && ((j->early = calloc(res->n_hosts, sizeof(*j->early))) == NULL
				 || (j->checks = calloc(res->n_hosts, sizeof(*j->checks))) == NULL))
		return nomem(j);
	j->n_early = res->n_hosts;
	for (size_t i = 0; i < res->n_hosts; i++)
		host_lookups(j, i);
}

static int add_address(struct mailtls_mx_host *h, const struct sockaddr_storage *ss)
{
	char buf[INET6_ADDRSTRLEN];
	struct mailtls_mx_address *v;
	int family = ss->ss_family == AF_INET6 ? 6 : 4;
	const void *p = family == 6 ? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
				    : (const void *)&((const struct sockaddr_in *)ss)->sin_addr;

	if (inet_ntop(family == 6 ? AF_INET6 : AF_INET, p, buf, sizeof(buf)) == NULL)
		return 0;
	for (size_t i = 0; i < h->n_addrs; i++)
		if (strcmp(h->addrs[i].addr, buf) == 0)
			return 0;
	v = realloc(h->addrs, (h->n_addrs + 1) * sizeof(*v));
	if (v == NULL)
		return MAILTLS_ENOMEM;
	h->addrs = v;
	memset(&v[h->n_addrs], 0, sizeof(v[0]));
	v[h->n_addrs].family = family;
	v[h->n_addrs].dane_depth = -1;
	v[h->n_addrs].dane_usage = -1;
	if ((v[h->n_addrs].addr = strdup(buf)) == NULL)
		return MAILTLS_ENOMEM;
	h->n_addrs++;
	return 0;
}

/* cmp_address - IPv4 before IPv6, then by address. */
static int cmp_address(const void *x, const void *y)
{
	const struct mailtls_mx_address *a = x, *b = y;
	unsigned char ba[16] = { 0 }, bb[16] = { 0 };

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	inet_pton(a->family == 6 ? AF_INET6 : AF_INET, a->addr, ba);
	inet_pton(b->family == 6 ? AF_INET6 : AF_INET, b->addr, bb);
	return memcmp(ba, bb, sizeof(ba));
}

static void ask_tlsa(struct domain_job *j, size_t hi, const char *base)
{
	char qname[MAILTLS_NAME_MAX + 16];

	snprintf(qname, sizeof(qname), "_%u._tcp.%s", j->p.port, base);
	ask(j, qname, RR_TLSA, hi, SIZE_MAX);
}

static void on_tlsa(struct domain_job *j, size_t hi, const struct dns_answer *a);

/* early_drop - the early TLSA answer of host hi is not needed (no addresses, or the
 * CNAME-expanded name had records): drop it, and any answer still to come. */
static void early_drop(struct domain_job *j, size_t hi)
{
	if (j->early == NULL)
		return;
	dns_answer_free(j->early[hi].answer);
	j->early[hi].answer = NULL;
	j->early[hi].state = EARLY_OVER;
}

/* tlsa_published - the rule wants the TLSA answer at the name as published for host hi:
 * the early one when it is in, else when it comes; asked now when it was not asked early
 * (or was dropped). */
static void tlsa_published(struct domain_job *j, size_t hi)
{
	struct early_tlsa *e = j->early ? &j->early[hi] : NULL;
	struct dns_answer *a;

	switch (e ? e->state : EARLY_NONE) {
	case EARLY_OUT:
		e->state = EARLY_WANTED;
		return;
	case EARLY_HELD:
		a = e->answer;
		e->answer = NULL;
		e->state = EARLY_OVER;
		on_tlsa(j, hi, a);
		dns_answer_free(a);
		return;
	default:
		ask_tlsa(j, hi, j->res->hosts[hi].name);
		return;
	}
}

/* on_early - the early TLSA answer of host hi: used now if the rule wants it, held if it
 * has not decided, else dropped. Takes a. */
static void on_early(struct domain_job *j, size_t hi, struct dns_answer *a)
{
	struct early_tlsa *e = &j->early[hi];

	switch (e->state) {
	case EARLY_OUT:
		e->answer = a;
		e->state = EARLY_HELD;
		return;
	case EARLY_WANTED:
		e->state = EARLY_OVER;
		on_tlsa(j, hi, a);
		break;
	default:
		break;
	}
	dns_answer_free(a);
}

/* host_addresses_in - both address lookups of host hi answered. */
static void host_addresses_in(struct domain_job *j, size_t hi)
{
	struct mailtls_domain_result *res = j->res;
	struct mailtls_mx_host *h = &res->hosts[hi];
	const struct mailtls_dns_lookup *l = h->a.asked ? &h->a : &h->aaaa;
	const char *base;
	bool fallback;

	if (l->canonical != NULL) {
		if ((h->canonical = strdup(l->canonical)) == NULL)
			return nomem(j);
		h->canonical_secure = l->status == MAILTLS_DNS_SECURE;
	}
	/* Resolvers rotate the records of an answer: a stable order for the report. */
	if (h->n_addrs > 1)
		qsort(h->addrs, h->n_addrs, sizeof(h->addrs[0]), cmp_address);
	while (h->n_addrs > DOMAIN_ADDRS_MAX) {
		free(h->addrs[--h->n_addrs].addr);
		h->addrs_omitted++;
	}
	for (size_t i = 0; i < h->n_addrs; i++) {
		struct sockaddr_storage ss = { 0 };
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		char rev[128];

		if (h->addrs[i].family == 6) {
			sin6->sin6_family = AF_INET6;
			inet_pton(AF_INET6, h->addrs[i].addr, &sin6->sin6_addr);
		} else {
			sin->sin_family = AF_INET;
			inet_pton(AF_INET, h->addrs[i].addr, &sin->sin_addr);
		}
		if (dns_ptr_name((struct sockaddr *)&ss, rev, sizeof(rev)) == 0)
			ask(j, rev, RR_PTR, hi, i);
	}
	if (h->n_addrs == 0) {
		early_drop(j, hi);
		submit_checks(j, hi);
		return;
	}
	/* RFC 7672 2.2.2: the expanded name first, when the expansion is secure. Asked for
	 * every host with addresses: where DANE cannot apply (records not secure) the answer
	 * is information (TLSA published but ignored), never used. */
	base = mxrules_tlsa_first(h->name, h->canonical, h->canonical_secure, &fallback);
	if (fallback)
		ask_tlsa(j, hi, base);
	else
		tlsa_published(j, hi);
}

static int cmp_tlsa(const void *x, const void *y)
{
	const struct mailtls_tlsa_record *a = x, *b = y;
	int d;

	if ((d = (int)a->usage - (int)b->usage) != 0 || (d = (int)a->selector - (int)b->selector) != 0
	    || (d = (int)a->mtype - (int)b->mtype) != 0)
		return d;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->data, b->data, a->len);
}

static int fill_tlsa(struct mailtls_mx_host *h, const struct dns_answer *a, const char *base)
{
	if ((h->tlsa_base = strdup(base)) == NULL)
		return MAILTLS_ENOMEM;
	h->tlsa_omitted = a->omitted;
	if (a->n == 0)
		return 0;
	h->tlsa_records = calloc(a->n, sizeof(*h->tlsa_records));
	if (h->tlsa_records == NULL)
		return MAILTLS_ENOMEM;
	for (size_t i = 0; i < a->n; i++) {
		struct mailtls_tlsa_record *t = &h->tlsa_records[h->n_tlsa];

		t->usage = a->rr[i].u.tlsa.usage;
		t->selector = a->rr[i].u.tlsa.selector;
		t->mtype = a->rr[i].u.tlsa.mtype;
		t->len = a->rr[i].u.tlsa.len;
		if ((t->data = malloc(t->len ? t->len : 1)) == NULL)
			return MAILTLS_ENOMEM;
		memcpy(t->data, a->rr[i].u.tlsa.data, t->len);
		t->usable = verdict_tlsa_usable(t->usage, t->selector, t->mtype, t->len);
		h->n_tlsa++;
	}
	/* Resolvers rotate an RRset: a stable order for the report (and the check's), then
	 * the cut to what a check takes. */
	if (h->n_tlsa > 1)
		qsort(h->tlsa_records, h->n_tlsa, sizeof(h->tlsa_records[0]), cmp_tlsa);
	while (h->n_tlsa > DOMAIN_TLSA_MAX) {
		free(h->tlsa_records[--h->n_tlsa].data);
		h->tlsa_omitted++;
	}
	return 0;
}

static void on_tlsa(struct domain_job *j, size_t hi, const struct dns_answer *a)
{
	struct mailtls_mx_host *h = &j->res->hosts[hi];
	bool fallback, first_of_two;
	char prefix[24];
	const char *base;

	mxrules_tlsa_first(h->name, h->canonical, h->canonical_secure, &fallback);
	first_of_two = fallback && !h->tlsa_expanded.asked;
	snprintf(prefix, sizeof(prefix), "_%u._tcp.", j->p.port);
	base = strncmp(a->qname, prefix, strlen(prefix)) == 0 ? a->qname + strlen(prefix)
							       : a->qname;
	if (first_of_two && a->status == DNS_SECURE && a->n == 0 && a->omitted == 0) {
		/* Nothing at the expanded name: the name as published next (RFC 7672 2.2.2). */
		if (dnsfacts_fill(&h->tlsa_expanded, "TLSA", a) != 0)
			return nomem(j);
		tlsa_published(j, hi);
		return;
	}
	if (first_of_two)
		early_drop(j, hi);    /* the expanded name's answer applies */
	if (dnsfacts_fill(&h->tlsa, "TLSA", a) != 0 || fill_tlsa(h, a, base) != 0)
		return nomem(j);
	/* Reference names for DANE-TA (RFC 7672 3.2.3): the TLSA base domain, the MX host
	 * name, and its secure CNAME expansion. */
	if (mxrules_dane_names(h->tlsa_base, h->name, h->canonical, h->canonical_secure,
			       &h->dane_names) != 0)
		return nomem(j);
	submit_checks(j, hi);
}

static void on_answer(struct dns_answer *a, void *arg)
{
	struct domain_op *op = arg;
	struct domain_job *j = op->j;
	size_t hi = op->host, ai = op->addr;
	int kind = op->kind;

	op->q = NULL;
	op_unlink(j, op);
	j->outstanding--;
	if (j->res->checked && kind == RR_TLSA && ai == OP_EARLY) {
		on_early(j, hi, a);   /* takes a */
		settle(j);
		return;
	}
	if (j->res->checked) {
		if (hi == SIZE_MAX) {
			on_mx(j, a);
		} else if (kind == RR_A || kind == RR_AAAA) {
			struct mailtls_mx_host *h = &j->res->hosts[hi];
			struct mailtls_dns_lookup *l = kind == RR_A ? &h->a : &h->aaaa;

			if (dnsfacts_fill(l, kind == RR_A ? "A" : "AAAA", a) != 0)
				nomem(j);
			/* Records of a bogus answer are for the report only, never to act on. */
			for (size_t i = 0; a->status != DNS_BOGUS && i < a->n; i++)
				if (add_address(h, &a->rr[i].u.addr.ss) != 0)
					nomem(j);
			if ((!h->a.asked || h->a.qname) && (!h->aaaa.asked || h->aaaa.qname))
				host_addresses_in(j, hi);
		} else if (kind == RR_TLSA) {
			on_tlsa(j, hi, a);
		} else if (kind == RR_PTR) {
			struct mailtls_mx_address *ad = &j->res->hosts[hi].addrs[ai];

			if (dnsfacts_fill(&ad->ptr, "PTR", a) != 0
			    || (a->n > 0 && a->status != DNS_BOGUS
				&& (ad->ptr_name = strdup(a->rr[0].u.ptr.name)) == NULL))
				nomem(j);
		}
	}
	dns_answer_free(a);
	settle(j);
}

static struct domain_op *ask(struct domain_job *j, const char *name, int rrtype, size_t host,
			     size_t addr)
{
	struct domain_op *op = calloc(1, sizeof(*op));
	struct mailtls_dns_lookup *l = NULL;

	if (op == NULL) {
		nomem(j);
		return NULL;
	}
	op->j = j;
	op->host = host;
	op->addr = addr;
	op->kind = rrtype;
	if (host != SIZE_MAX && rrtype == RR_A)
		l = &j->res->hosts[host].a;
	else if (host != SIZE_MAX && rrtype == RR_AAAA)
		l = &j->res->hosts[host].aaaa;
	if (l != NULL)
		l->asked = true;      /* so that the first answer waits for the other */
	struct dns_ctx *d = engine_dns(j->task.e);

	if (d == NULL || dns_query(d, name, rrtype, timeout_ms(j), on_answer, op, &op->q) != 0) {
		char why[512];

		free(op);
		if (rrtype == RR_PTR)
			return NULL;   /* information only: the domain is checked without it */
		snprintf(why, sizeof(why), "cannot ask the resolver%s%s", d == NULL ? ": " : "",
			 d == NULL ? engine_dns_why(j->task.e) : "");
		if (j->res->checked) {
			j->res->checked = false;
			j->res->unknown_reason = strdup(why);
		}
		return NULL;
	}
	op->next = j->ops;
	j->ops = op;
	j->outstanding++;
	return op;
}

/* The checks. */

static int copy_dane_facts(struct mailtls_mx_host *h, struct mailtls_mx_address *a,
			   const struct mailtls_result *s);

static void on_check(struct mailtls_result *s, void *arg)
{
	struct check_ctx *c = arg;
	struct domain_job *j = c->j;
	struct mailtls_mx_host *h = &j->res->hosts[c->host];
	struct mailtls_mx_address *a = &h->addrs[c->addr];

	a->server = s;
	if (copy_dane_facts(h, a, s) != 0)
		nomem(j);
	j->outstanding--;
	settle(j);
}

static void submit_checks(struct domain_job *j, size_t hi)
{
	struct mailtls_mx_host *h = &j->res->hosts[hi];
	struct mailtls_tlsa usable[DOMAIN_TLSA_MAX];
	size_t n_usable = 0;
	const char *names[1] = { h->name };
	char why[256];

	/* The records go to the check only where the verdict will judge DANE (one rule:
	 * verdict_host_dane()). The check's reference names are the MX host name; with
	 * DANE the TLSA base domain besides (h->dane_names holds the same set). */
	for (size_t i = 0; verdict_host_dane(j->res, h) == HOST_DANE_APPLIES && i < h->n_tlsa; i++)
		if (h->tlsa_records[i].usable)
			usable[n_usable++] = (struct mailtls_tlsa){
				.usage = h->tlsa_records[i].usage,
				.selector = h->tlsa_records[i].selector,
				.mtype = h->tlsa_records[i].mtype,
				.data = h->tlsa_records[i].data,
				.len = h->tlsa_records[i].len };
	if (h->n_addrs > 0 && (j->checks[hi] = calloc(h->n_addrs, sizeof(*j->checks[hi]))) == NULL)
		return nomem(j);
	for (size_t i = 0; i < h->n_addrs; i++) {
		struct mailtls_check_params cp = {
			.proto = MAILTLS_PROTO_SMTP,
			.host = h->name,
			.addr = h->addrs[i].addr,
			.port = j->p.port,
			.names = names,
			.n_names = 1,
			.ehlo_name = j->ehlo_name,
			.timeout = j->p.timeout,
			.deadline = j->p.deadline,
			.at = j->res->validation_time,
			.have_at = true,
			.warn_days = j->p.warn_days,
			.transcript = j->p.transcript,
			.survey = j->p.survey,
			.profiles = j->p.profiles,
			.n_profiles = j->p.n_profiles,
			.no_profiles = j->p.no_profiles,
			.tlsa_base = n_usable ? h->tlsa_base : NULL,
			.tlsa = n_usable ? usable : NULL,
			.n_tlsa = n_usable,
		};
		struct check_ctx *c = &j->checks[hi][i];

		*c = (struct check_ctx){ .j = j, .host = hi, .addr = i };
		if (engine_submit_part(j->task.e, &cp, on_check, c, why, sizeof(why)) != 0) {
			/* Not a network fact: the domain cannot be fully checked. */
			if (j->res->checked) {
				j->res->checked = false;
				j->res->unknown_reason = strdup(why);
			}
			continue;
		}
		j->outstanding++;
	}
}

/* on_sts - the MTA-STS and TLS-RPT facts are in. */
static void on_sts(void *arg, int err)
{
	struct domain_job *j = arg;

	j->sts = NULL;
	if (err != 0)
		nomem(j);
	j->outstanding--;
	settle(j);
}

/* The engine task. */
static void domain_granted(struct engine_task *t)
{
	struct domain_job *j = (struct domain_job *)t;

	/* The checks take their own work slots: holding this one would starve them. */
	admit_release(engine_admit(t->e), &t->ticket);
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	ask(j, j->res->domain, RR_MX, SIZE_MAX, SIZE_MAX);
	/* MTA-STS alongside the MX: its questions and fetch do not wait for the checks. */
	if (!j->p.no_mta_sts && j->res->checked) {
		if (sts_gather_start(t->e, j->res->domain, timeout_ms(j), &j->res->mtasts, on_sts, j,
				     &j->sts) == 0)
			j->outstanding++;
		else
			nomem(j);
	}
	j->res->validating = engine_dns(t->e) != NULL && dns_validating(engine_dns(t->e));
	settle(j);
}

static void domain_dropped(struct engine_task *t, void (*forget)(void *arg))
{
	struct domain_job *j = (struct domain_job *)t;
	void *arg = j->arg;

	engine_task_end(t);
	job_free(j);
	if (forget != NULL)
		forget(arg);
}

static void domain_abandon(struct engine_task *t)
{
	job_free((struct domain_job *)t);
}

static const struct engine_task_ops domain_ops = {
	.kind = "domain",
	.granted = domain_granted,
	.dropped = domain_dropped,
	.abandon = domain_abandon,
};

int mailtls_domain_submit(struct mailtls_engine *e, const struct mailtls_domain_params *p,
			  mailtls_domain_done_fn *done, void *arg, char *why, size_t whylen)
{
	char norm[MAILTLS_NAME_MAX + 1];
	struct domain_job *j;

	if (p == NULL || p->domain == NULL || done == NULL) {
		snprintf(why, whylen, "domain: none given");
		return MAILTLS_EINVAL;
	}
	if (mailtls_name_normalize(p->domain, norm, sizeof(norm)) != 0) {
		char *esc = mailtls_escape(p->domain, strnlen(p->domain, 300));

		snprintf(why, whylen, "domain: '%s' is not a valid domain name", esc ? esc : "?");
		free(esc);
		return MAILTLS_EINVAL;
	}
	if (p->family != 0 && p->family != 4 && p->family != 6) {
		snprintf(why, whylen, "family: %d is not 0, 4 or 6", p->family);
		return MAILTLS_EINVAL;
	}
	if (p->ehlo_name != NULL && !mailtls_ehlo_name_valid(p->ehlo_name)) {
		snprintf(why, whylen, "ehlo_name: not a domain or an address literal");
		return MAILTLS_EINVAL;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL || (j->res = calloc(1, sizeof(*j->res))) == NULL) {
		free(j);
		snprintf(why, whylen, "out of memory");
		return MAILTLS_ENOMEM;
	}
	j->p = *p;
	j->p.domain = strdup(norm);
	j->res->domain = strdup(norm);
	j->ehlo_name = p->ehlo_name ? strdup(p->ehlo_name) : NULL;
	if (j->p.domain == NULL || j->res->domain == NULL || (p->ehlo_name && !j->ehlo_name)) {
		job_free(j);
		snprintf(why, whylen, "out of memory");
		return MAILTLS_ENOMEM;
	}
	if (j->p.timeout <= 0)
		j->p.timeout = 10;
	if (j->p.port == 0)
		j->p.port = 25;
	j->res->checked = true;
	j->res->port = j->p.port;
	j->res->level = p->have_level ? p->level : MAILTLS_LEVEL_DANE;
	j->res->validation_time = p->have_at ? p->at : time(NULL);
	j->done = done;
	j->arg = arg;
	engine_task_add(e, &j->task, &domain_ops);
	return 0;
}

struct run_ctx {
	struct mailtls_domain_result *res;
};

static void run_done(struct mailtls_domain_result *res, void *arg)
{
	((struct run_ctx *)arg)->res = res;
}

int mailtls_domain_run(const struct mailtls_engine_params *ep,
		       const struct mailtls_domain_params *p, struct mailtls_domain_result **out,
		       char *why, size_t whylen)
{
	struct mailtls_engine *e = mailtls_engine_new(ep, why, whylen);
	struct run_ctx rc = { NULL };
	int r;

	*out = NULL;
	if (e == NULL)
		return MAILTLS_EINVAL;
	if ((r = mailtls_domain_submit(e, p, run_done, &rc, why, whylen)) == 0
	    && (r = mailtls_engine_run(e)) != 0)
		snprintf(why, whylen, "the event loop failed");
	mailtls_engine_free(e);
	if (r == 0 && rc.res == NULL) {
		snprintf(why, whylen, "the domain evaluation did not finish");
		r = MAILTLS_EINTERNAL;
	}
	if (r != 0) {
		mailtls_domain_result_free(rc.res);
		return r;
	}
	*out = rc.res;
	return 0;
}

/* copy_dane_facts - the server result's DANE facts, per address. The check was given the
 * host's usable records in the host's order, so its k-th record is the host's k-th usable
 * one. A record OpenSSL refused (data that does not decode) is not usable after all.
 * 0 or MAILTLS_ENOMEM. */
static int copy_dane_facts(struct mailtls_mx_host *h, struct mailtls_mx_address *a,
			   const struct mailtls_result *s)
{
	const struct mailtls_dane_facts *d = &s->dane;
	size_t k = 0;

	if (!d->enabled)
		return 0;
	a->dane_checked = d->evaluated;
	a->dane_authenticated = d->evaluated && d->verify_code == 0 && d->depth >= 0;
	a->dane_depth = d->evaluated ? d->match_depth : -1;
	a->dane_usage = d->evaluated && d->have_match ? d->match_usage : -1;
	if (d->evaluated && d->verify_code != 0 && d->verify_text != NULL
	    && (a->dane_error = strdup(d->verify_text)) == NULL)
		return MAILTLS_ENOMEM;
	if (h->n_tlsa == 0)
		return 0;
	if ((a->tlsa_matched = calloc(h->n_tlsa, sizeof(bool))) == NULL)
		return MAILTLS_ENOMEM;
	for (size_t i = 0; i < h->n_tlsa; i++) {
		struct mailtls_tlsa_record *t = &h->tlsa_records[i];

		if (!t->usable && !t->refused)
			continue;     /* not given to the check */
		if (k < d->n_records) {
			a->tlsa_matched[i] = d->records[k].matches >= 0;
			if (d->records[k].accepted == 0) {
				t->refused = true;
				t->usable = false;
			}
		}
		k++;
	}
	return 0;
}
