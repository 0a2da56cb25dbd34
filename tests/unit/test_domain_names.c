/*
 * test_domain_names.c - mailtls_names_judge() on served certificates as a table: a domain's
 * facts in (built here the way lib/domain.c fills them: DNS statuses, TLSA records, what
 * each address served), the verdict per address and host and the exit code out. No
 * network and no files (the --cert path runs in tests/integration/names.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <mailtls/mailtls.h>

enum { SEC = MAILTLS_DNS_SECURE, INS = MAILTLS_DNS_INSECURE, BOG = MAILTLS_DNS_BOGUS };
enum { YES = MAILTLS_COVER_YES, UNK = MAILTLS_COVER_UNKNOWN, NO = MAILTLS_COVER_NO };
enum { OK = MAILTLS_EXIT_OK, CRIT = MAILTLS_EXIT_CRITICAL, UNKN = MAILTLS_EXIT_UNKNOWN };
enum { NA = MAILTLS_NAMES_DANE_NA, MATCH = MAILTLS_NAMES_DANE_MATCH,
       FAILED = MAILTLS_NAMES_DANE_FAILED, NOMATCH = MAILTLS_NAMES_DANE_NO_MATCH,
       DUNK = MAILTLS_NAMES_DANE_UNKNOWN };

static void lookup(struct mailtls_dns_lookup *l, const char *name, const char *type, int status)
{
	l->asked = true;
	l->qname = strdup(name);
	l->qtype = strdup(type);
	l->status = status;
}

/* What one address served. */
enum { GONE = 0, PLAIN, TLS };
struct srv {
	int state;
	bool trusted;
	const char *names[3];
	int dane;                     /* -1: not checked; 0 failed; 1 authenticated */
};

struct host_spec {
	const char *name;             /* NULL: end */
	const char *canonical;        /* a secure CNAME expansion, or NULL */
	int tlsa;                     /* -1: no TLSA records; else the TLSA lookup's status
	                               * with one usable DANE-EE record */
	struct srv addrs[2];
	int n_addrs;
};

struct names_case {
	const char *name;
	const char *domain;
	int level;
	bool null_mx;
	struct host_spec hosts[3];
	/* expected */
	int host_served[3];
	int addr0_dane[3];
	int exit_code;
};

static void add_addr(struct mailtls_mx_host *h, const char *ip, const struct srv *s)
{
	struct mailtls_mx_address *a = &h->addrs[h->n_addrs++];
	struct mailtls_result *res = mailtls_result_new();

	memset(a, 0, sizeof(*a));
	a->addr = strdup(ip);
	a->family = 4;
	a->dane_depth = a->dane_usage = -1;
	a->server = res;
	if (s->state == GONE)
		return;
	res->have_session = true;
	res->session.banner = strdup("mx ESMTP");
	res->session.tls_established = s->state == TLS;
	if (s->state != TLS)
		return;
	res->chain = calloc(1, sizeof(*res->chain));
	res->chain_len = 1;
	for (int i = 0; i < 3 && s->names[i]; i++)
		mailtls_strlist_add(&res->chain[0].dns_names, s->names[i], 253);
	res->chain_trusted = s->trusted;
	if (!s->trusted)
		mailtls_result_add(res, MAILTLS_F_CERT_SELF_SIGNED, "self-signed");
	if (s->dane >= 0) {
		a->dane_checked = true;
		a->dane_authenticated = s->dane == 1;
		a->dane_depth = s->dane == 1 ? 0 : -1;
		a->dane_usage = s->dane == 1 ? 3 : -1;
		a->tlsa_matched = calloc(h->n_tlsa + 1, sizeof(bool));
		if (s->dane == 1)
			a->tlsa_matched[0] = true;
		else
			a->dane_error = strdup("No matching DANE TLSA records");
	}
}

static struct mailtls_domain_result *build(const struct names_case *c)
{
	struct mailtls_domain_result *r = calloc(1, sizeof(*r));

	r->domain = strdup(c->domain);
	r->checked = true;
	r->level = MAILTLS_LEVEL_VERIFY;
	r->null_mx = c->null_mx;
	lookup(&r->mx, c->domain, "MX", SEC);
	for (int i = 0; c->hosts[i].name != NULL; i++) {
		const struct host_spec *hs = &c->hosts[i];
		struct mailtls_mx_host *h;
		char q[300];

		r->hosts = realloc(r->hosts, (r->n_hosts + 1) * sizeof(*r->hosts));
		h = &r->hosts[r->n_hosts++];
		memset(h, 0, sizeof(*h));
		h->name = strdup(hs->name);
		h->preference = 10 * (unsigned)(i + 1);
		lookup(&h->a, hs->name, "A", SEC);
		if (hs->canonical != NULL) {
			h->canonical = strdup(hs->canonical);
			h->canonical_secure = true;
		}
		if (hs->tlsa >= 0) {
			snprintf(q, sizeof(q), "_25._tcp.%s", hs->name);
			lookup(&h->tlsa, q, "TLSA", hs->tlsa);
			h->tlsa_base = strdup(hs->name);
			h->tlsa_records = calloc(1, sizeof(*h->tlsa_records));
			h->tlsa_records[0] = (struct mailtls_tlsa_record){ .usage = 3, .selector = 1,
				.mtype = 1, .data = calloc(1, 32), .len = 32, .usable = true };
			h->n_tlsa = 1;
		}
		h->addrs = calloc(2, sizeof(*h->addrs));
		for (int j = 0; j < hs->n_addrs; j++)
			add_addr(h, j ? "192.0.2.2" : "192.0.2.1", &hs->addrs[j]);
	}
	return r;
}

#define V MAILTLS_LEVEL_VERIFY
#define S MAILTLS_LEVEL_SECURE
#define GOOD(...) { TLS, true, { __VA_ARGS__ }, -1 }

static const struct names_case cases[] = {
	{ "the MX host name covered, trusted", "example.org", V, false,
	  { { "mx1.example.org", NULL, -1, { GOOD("mx1.example.org") }, 1 } },
	  { YES }, { NA }, OK },
	{ "a wildcard covers the MX host name", "example.org", V, false,
	  { { "mx1.example.org", NULL, -1, { GOOD("*.example.org") }, 1 } },
	  { YES }, { NA }, OK },
	{ "another name", "example.org", V, false,
	  { { "mx1.example.org", NULL, -1, { GOOD("mx2.example.org") }, 1 } },
	  { NO }, { NA }, CRIT },
	{ "covered, not trusted", "example.org", V, false,
	  { { "mx1.example.org", NULL, -1, { { TLS, false, { "mx1.example.org" }, -1 } }, 1 } },
	  { NO }, { NA }, CRIT },
	{ "the CNAME expansion of the MX host will do", "example.org", V, false,
	  { { "alias.example.org", "mx1.example.net", -1, { GOOD("mx1.example.net") }, 1 } },
	  { YES }, { NA }, OK },
	{ "secure: the MX host name under another domain is not enough", "example.org", S, false,
	  { { "mx1.example.net", NULL, -1, { GOOD("mx1.example.net") }, 1 } },
	  { NO }, { NA }, CRIT },
	{ "secure: the domain itself", "example.org", S, false,
	  { { "mx1.example.net", NULL, -1, { GOOD("example.org") }, 1 } },
	  { YES }, { NA }, OK },
	{ "secure: a name under the domain (dot-nexthop), a wildcard too", "example.org", S, false,
	  { { "mx1.example.net", NULL, -1, { GOOD("*.example.org") }, 1 } },
	  { YES }, { NA }, OK },
	{ "secure: a name that only ends like the domain", "example.org", S, false,
	  { { "mx1.example.net", NULL, -1, { GOOD("badexample.org") }, 1 } },
	  { NO }, { NA }, CRIT },
	{ "DANE applies and matches, name covered", "example.org", V, false,
	  { { "mx1.example.org", NULL, SEC, { { TLS, true, { "mx1.example.org" }, 1 } }, 1 } },
	  { YES }, { MATCH }, OK },
	{ "DANE applies, no record matches: not covered although the name is", "example.org", V,
	  false, { { "mx1.example.org", NULL, SEC, { { TLS, true, { "mx1.example.org" }, 0 } }, 1 } },
	  { NO }, { NOMATCH }, CRIT },
	{ "DANE-EE matches a self-signed certificate for another name", "example.org", V, false,
	  { { "mx1.example.org", NULL, SEC, { { TLS, false, { "self.example.org" }, 1 } }, 1 } },
	  { NO }, { MATCH }, CRIT },
	{ "TLSA not secure: DANE does not apply", "example.org", V, false,
	  { { "mx1.example.org", NULL, INS, { GOOD("mx1.example.org") }, 1 } },
	  { YES }, { NA }, OK },
	{ "TLSA bogus: DANE senders defer, cannot tell", "example.org", V, false,
	  { { "mx1.example.org", NULL, BOG, { GOOD("mx1.example.org") }, 1 } },
	  { UNK }, { DUNK }, UNKN },
	{ "no TLS: a verifying sender defers", "example.org", V, false,
	  { { "mx1.example.org", NULL, -1, { { PLAIN, false, { NULL }, -1 } }, 1 } },
	  { NO }, { NA }, CRIT },
	{ "unreachable: cannot tell", "example.org", V, false,
	  { { "mx1.example.org", NULL, -1, { { GONE, false, { NULL }, -1 } }, 1 } },
	  { UNK }, { NA }, UNKN },
	{ "no address: cannot tell", "example.org", V, false,
	  { { "mx1.example.org", NULL, -1, { { GONE, false, { NULL }, -1 } }, 0 } },
	  { UNK }, { NA }, UNKN },
	{ "one address covered, the other not: the host is not", "example.org", V, false,
	  { { "mx1.example.org", NULL, -1, { GOOD("mx1.example.org"), GOOD("mx2.example.org") }, 2 } },
	  { NO }, { NA }, CRIT },
	{ "one host unreachable, one not covered: not covered wins", "example.org", V, false,
	  { { "mx1.example.org", NULL, -1, { { GONE, false, { NULL }, -1 } }, 1 },
	    { "mx2.example.org", NULL, -1, { GOOD("mx1.example.org") }, 1 } },
	  { UNK, NO }, { NA, NA }, CRIT },
	{ "two hosts covered by one certificate", "example.org", V, false,
	  { { "mx1.example.org", NULL, -1, { GOOD("mx1.example.org", "mx2.example.org") }, 1 },
	    { "mx2.example.org", NULL, -1, { GOOD("mx1.example.org", "mx2.example.org") }, 1 } },
	  { YES, YES }, { NA, NA }, OK },
	{ "null MX: nothing to cover", "example.org", V, true, { { NULL, NULL, 0, { { 0 } }, 0 } },
	  { 0 }, { 0 }, OK },
	{ "no MX host at all (NXDOMAIN): cannot tell", "example.org", V, false,
	  { { NULL, NULL, 0, { { 0 } }, 0 } }, { 0 }, { 0 }, UNKN },
};

static void run_case(const struct names_case *c)
{
	struct mailtls_domain_result *d = build(c);
	struct mailtls_names_params p = { .domain = d, .level = (enum mailtls_level)c->level };
	struct mailtls_names_report *r = NULL;
	char why[256];

	if (mailtls_names_judge(&p, &r, why, sizeof(why)) != 0)
		fail_msg("%s: %s", c->name, why);
	assert_false(r->have_file);
	assert_int_equal(r->n_hosts, d->n_hosts);
	for (size_t i = 0; i < r->n_hosts; i++) {
		if ((int)r->hosts[i].served != c->host_served[i])
			fail_msg("%s: host %zu %s", c->name, i, mailtls_cover_name(r->hosts[i].served));
		if (r->hosts[i].n_addrs > 0 && r->hosts[i].addrs[0].tls
		    && (int)r->hosts[i].addrs[0].served.dane != c->addr0_dane[i])
			fail_msg("%s: host %zu DANE %s", c->name, i,
				 mailtls_names_dane_name(r->hosts[i].addrs[0].served.dane));
		assert_int_equal(r->hosts[i].need_under, c->level == S);
	}
	if ((int)mailtls_names_exit_code(r) != c->exit_code)
		fail_msg("%s: exit %d", c->name, (int)mailtls_names_exit_code(r));
	mailtls_names_report_free(r);
	mailtls_domain_result_free(d);
}

static void names_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* What the report says beyond the verdict: needed names, the covering DNS-ID, why a
 * chain is not trusted. */
static void report_details(void **state)
{
	const struct names_case c = { "details", "example.org", V, false,
		{ { "alias.example.org", "mx1.example.net", -1,
		    { GOOD("www.example.org", "mx1.example.net"),
		      { TLS, false, { "other.example.org" }, -1 } }, 2 } },
		{ NO }, { NA }, CRIT };
	struct mailtls_domain_result *d = build(&c);
	struct mailtls_names_params p = { .domain = d, .level = MAILTLS_LEVEL_VERIFY };
	struct mailtls_names_report *r = NULL;
	const struct mailtls_names_host *h;
	char why[256];

	(void)state;
	assert_int_equal(mailtls_names_judge(&p, &r, why, sizeof(why)), 0);
	h = &r->hosts[0];
	assert_int_equal(h->need.n, 2);
	assert_string_equal(h->need.v[0], "alias.example.org");
	assert_string_equal(h->need.v[1], "mx1.example.net");
	assert_int_equal(h->addrs[0].served.covered_by, 1);
	assert_true(h->addrs[0].served.trusted);
	assert_null(h->addrs[0].served.trust_issue);
	assert_int_equal(h->addrs[1].served.covered_by, -1);
	assert_string_equal(h->addrs[1].served.trust_issue, "cert.self-signed");
	assert_int_equal(h->addrs[1].served.verdict, MAILTLS_COVER_NO);
	assert_int_equal(h->addrs[0].served.verdict, MAILTLS_COVER_YES);
	mailtls_names_report_free(r);

	/* A level names does not judge is refused; a domain not checked is a report. */
	p.level = MAILTLS_LEVEL_DANE;
	assert_int_equal(mailtls_names_judge(&p, &r, why, sizeof(why)), MAILTLS_EINVAL);
	assert_null(r);
	p.level = MAILTLS_LEVEL_VERIFY;
	d->checked = false;
	assert_int_equal(mailtls_names_judge(&p, &r, why, sizeof(why)), 0);
	assert_int_equal(mailtls_names_exit_code(r), MAILTLS_EXIT_UNKNOWN);
	mailtls_names_report_free(r);
	mailtls_names_report_free(NULL);
	mailtls_domain_result_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_table),
		cmocka_unit_test(report_details),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
