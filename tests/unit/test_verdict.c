/*
 * test_verdict.c - the verdict module as a table: a domain's facts in (DNS statuses, TLSA
 * records, what each address's check found), outcomes per sender level, finding ids,
 * their severities at the chosen level and the exit code out. No network: the facts are
 * built here the way lib/domain.c fills them.
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
#include <mailtls/domain.h>
#include "verdict.h"

enum { A = MAILTLS_OUTCOME_AUTHENTICATED, E = MAILTLS_OUTCOME_ENCRYPTED,
       P = MAILTLS_OUTCOME_PLAINTEXT, D = MAILTLS_OUTCOME_DEFERRED,
       U = MAILTLS_OUTCOME_UNREACHABLE, N = MAILTLS_OUTCOME_NONE };
enum { SEC = MAILTLS_DNS_SECURE, INS = MAILTLS_DNS_INSECURE, BOG = MAILTLS_DNS_BOGUS,
       NOA = MAILTLS_DNS_NOANSWER };

static void lookup(struct mailtls_dns_lookup *l, const char *name, const char *type, int status)
{
	l->asked = true;
	l->qname = strdup(name);
	l->qtype = strdup(type);
	l->status = status;
	l->rcode = status == NOA ? -1 : status == BOG ? 2 : 0;
	if (status == BOG)
		l->why_bogus = strdup("signature expired");
}

static struct mailtls_domain_result *domain(const char *name, int mx_status, int level)
{
	struct mailtls_domain_result *r = calloc(1, sizeof(*r));

	r->domain = strdup(name);
	r->checked = true;
	r->validating = true;
	r->port = 25;
	r->level = level;
	lookup(&r->mx, name, "MX", mx_status);
	return r;
}

static struct mailtls_mx_host *host(struct mailtls_domain_result *r, const char *name,
				    unsigned pref, int addr_status)
{
	struct mailtls_mx_host *h;

	r->hosts = realloc(r->hosts, (r->n_hosts + 1) * sizeof(*r->hosts));
	h = &r->hosts[r->n_hosts++];
	memset(h, 0, sizeof(*h));
	h->name = strdup(name);
	h->preference = pref;
	lookup(&h->a, name, "A", addr_status);
	return h;
}

static void tlsa(struct mailtls_mx_host *h, int status, int usage, int n)
{
	char q[300];

	snprintf(q, sizeof(q), "_25._tcp.%s", h->name);
	lookup(&h->tlsa, q, "TLSA", status);
	h->tlsa_base = strdup(h->name);
	h->tlsa_records = calloc((size_t)n + 1, sizeof(*h->tlsa_records));
	for (int i = 0; i < n; i++) {
		struct mailtls_tlsa_record *t = &h->tlsa_records[h->n_tlsa++];

		t->usage = (uint8_t)usage;
		t->selector = 1;
		t->mtype = 1;
		t->len = 32;
		t->data = calloc(1, 32);
		t->usable = verdict_tlsa_usable(t->usage, t->selector, t->mtype, t->len);
	}
}

/* Server facts. */
enum { NO_ANSWER = 0, PLAIN, TLS_FAIL, TLS };
struct srv {
	int state;
	bool trusted;
	const char *names[3];
	int cert_fid;                 /* a cert.* finding the check raised, or -1 */
	int dane;                     /* -1: not checked; 0 failed; 1 authenticated */
	bool match;                   /* a record matched (for a failed DANE check) */
};

static struct mailtls_mx_address *addr(struct mailtls_mx_host *h, const char *ip, struct srv s)
{
	struct mailtls_mx_address *a;
	struct mailtls_result *res = mailtls_result_new();

	h->addrs = realloc(h->addrs, (h->n_addrs + 1) * sizeof(*h->addrs));
	a = &h->addrs[h->n_addrs++];
	memset(a, 0, sizeof(*a));
	a->addr = strdup(ip);
	a->family = 4;
	a->dane_depth = -1;
	a->dane_usage = -1;
	res->have_session = true;
	res->session.host = strdup(h->name);
	res->session.addr = strdup(ip);
	res->session.port = 25;
	if (s.state == NO_ANSWER) {
		mailtls_result_add(res, MAILTLS_F_CONN_REFUSED, "connection refused");
	} else {
		res->session.banner = strdup("mx ESMTP");
		res->session.starttls_offered = s.state != PLAIN;
		if (s.state == PLAIN)
			mailtls_result_add(res, MAILTLS_F_STARTTLS_NOT_OFFERED, "no STARTTLS");
		if (s.state == TLS_FAIL)
			mailtls_result_add(res, MAILTLS_F_TLS_HANDSHAKE_FAILED, "alert 40");
		res->session.tls_established = s.state == TLS;
	}
	if (s.state == TLS) {
		res->chain = calloc(1, sizeof(*res->chain));
		res->chain_len = 1;
		for (int i = 0; i < 3 && s.names[i]; i++)
			mailtls_strlist_add(&res->chain[0].dns_names, s.names[i], 253);
		res->chain_trusted = s.trusted;
		if (s.cert_fid > 0)
			mailtls_result_add(res, (enum mailtls_fid)s.cert_fid, "cert problem");
		if (s.dane >= 0) {
			a->dane_checked = true;
			a->dane_authenticated = s.dane == 1;
			a->dane_depth = s.dane == 1 || s.match ? 0 : -1;
			a->dane_usage = s.dane == 1 || s.match ? h->tlsa_records[0].usage : -1;
			if (s.dane == 0)
				a->dane_error = strdup(s.match ? "hostname mismatch"
							       : "No matching DANE TLSA records");
			a->tlsa_matched = calloc(h->n_tlsa + 1, sizeof(bool));
			if (s.dane == 1 || s.match)
				a->tlsa_matched[0] = true;
		}
	}
	a->server = res;
	return a;
}

static const struct mailtls_finding *find(const struct mailtls_findings *f, const char *id)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].id, id) == 0)
			return &f->v[i];
	return NULL;
}

/* severity_of - the severity of finding id in the domain's list or any server's; -1 none. */
static int severity_of(const struct mailtls_domain_result *r, const char *id)
{
	const struct mailtls_finding *f = find(&r->findings, id);

	for (size_t i = 0; f == NULL && i < r->n_hosts; i++)
		for (size_t j = 0; f == NULL && j < r->hosts[i].n_addrs; j++)
			f = find(&r->hosts[i].addrs[j].server->findings, id);
	return f ? (int)f->severity : -1;
}

static void expect_outcomes(const enum mailtls_outcome *o, int may, int enc, int dane, int ver,
			    int sec)
{
	assert_int_equal(o[MAILTLS_LEVEL_MAY], may);
	assert_int_equal(o[MAILTLS_LEVEL_ENCRYPT], enc);
	assert_int_equal(o[MAILTLS_LEVEL_DANE], dane);
	assert_int_equal(o[MAILTLS_LEVEL_VERIFY], ver);
	assert_int_equal(o[MAILTLS_LEVEL_SECURE], sec);
}

#define GOOD_CERT(...) { TLS, true, { __VA_ARGS__ }, -1, -1, false }

static void insecure_domain_trusted_cert(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", INS, MAILTLS_LEVEL_DANE);
	struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, INS);

	(void)state;
	addr(h, "192.0.2.1", (struct srv)GOOD_CERT("mx1.example.org"));
	assert_int_equal(verdict_domain(r), 0);
	/* mx1.example.org is under example.org: Postfix's dot-nexthop match, so secure too. */
	expect_outcomes(r->outcome, E, E, E, A, A);
	expect_outcomes(h->outcome, E, E, E, A, A);
	assert_string_equal(r->outcome_via[MAILTLS_LEVEL_VERIFY], "mx1.example.org");
	assert_int_equal(severity_of(r, "dns.insecure"), MAILTLS_SEV_INFO);
	assert_int_equal(severity_of(r, "cert.nexthop-mismatch"), -1);
	assert_int_equal(severity_of(r, "dane.no-tlsa"), -1);   /* no DNSSEC: not asked */
	assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_OK);
	mailtls_domain_result_free(r);
}

/* A self-signed certificate: nothing at may, critical at verify (the example). */
static void self_signed_per_level(void **state)
{
	int levels[] = { MAILTLS_LEVEL_MAY, MAILTLS_LEVEL_DANE, MAILTLS_LEVEL_VERIFY };
	int sev[] = { MAILTLS_SEV_INFO, MAILTLS_SEV_INFO, MAILTLS_SEV_CRITICAL };
	int code[] = { MAILTLS_EXIT_OK, MAILTLS_EXIT_OK, MAILTLS_EXIT_CRITICAL };

	(void)state;
	for (int i = 0; i < 3; i++) {
		struct mailtls_domain_result *r = domain("example.org", INS, levels[i]);
		struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, INS);

		addr(h, "192.0.2.1", (struct srv){ TLS, false, { "mx1.example.org" },
						   MAILTLS_F_CERT_SELF_SIGNED, -1, false });
		assert_int_equal(verdict_domain(r), 0);
		expect_outcomes(r->outcome, E, E, E, D, D);
		assert_int_equal(severity_of(r, "cert.self-signed"), sev[i]);
		assert_int_equal(mailtls_domain_exit_code(r), code[i]);
		if (levels[i] == MAILTLS_LEVEL_VERIFY)
			assert_non_null(find(&r->findings, "mx.sender-defers"));
		mailtls_domain_result_free(r);
	}
}

/* DANE-EE matched: the self-signed certificate is irrelevant at dane, fatal at verify. */
static void dane_ee_match(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", SEC, MAILTLS_LEVEL_DANE);
	struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, SEC);

	(void)state;
	tlsa(h, SEC, 3, 1);
	addr(h, "192.0.2.1", (struct srv){ TLS, false, { "other.example.net" },
					   MAILTLS_F_CERT_SELF_SIGNED, 1, true });
	assert_int_equal(verdict_domain(r), 0);
	expect_outcomes(r->outcome, E, E, A, D, D);
	assert_true(h->addrs[0].dane_applies);
	assert_int_equal(severity_of(r, "dane.match"), MAILTLS_SEV_OK);
	assert_int_equal(severity_of(r, "cert.self-signed"), MAILTLS_SEV_INFO);
	assert_int_equal(severity_of(r, "dns.insecure"), -1);
	assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_OK);
	mailtls_domain_result_free(r);
}

static void dane_no_match_defers(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", SEC, MAILTLS_LEVEL_DANE);
	struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, SEC);

	(void)state;
	tlsa(h, SEC, 3, 1);
	addr(h, "192.0.2.1", (struct srv){ TLS, true, { "mx1.example.org" }, -1, 0, false });
	assert_int_equal(verdict_domain(r), 0);
	expect_outcomes(r->outcome, E, E, D, A, A);
	assert_int_equal(severity_of(r, "dane.no-match"), MAILTLS_SEV_CRITICAL);
	assert_int_equal(severity_of(r, "mx.sender-defers"), MAILTLS_SEV_CRITICAL);
	assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_CRITICAL);
	mailtls_domain_result_free(r);
}

static void dane_ta_name_fails(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", SEC, MAILTLS_LEVEL_DANE);
	struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, SEC);

	(void)state;
	tlsa(h, SEC, 2, 1);
	addr(h, "192.0.2.1", (struct srv){ TLS, true, { "other.example.org" }, -1, 0, true });
	assert_int_equal(verdict_domain(r), 0);
	assert_int_equal(r->outcome[MAILTLS_LEVEL_DANE], D);
	assert_int_equal(severity_of(r, "dane.verify-failed"), MAILTLS_SEV_CRITICAL);
	assert_int_equal(severity_of(r, "dane.no-match"), -1);
	mailtls_domain_result_free(r);
}

static void tlsa_bogus_and_unanswered_defer(void **state)
{
	int st[] = { BOG, NOA };
	const char *id[] = { "dane.tlsa-bogus", "dane.tlsa-no-answer" };

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct mailtls_domain_result *r = domain("example.org", SEC, MAILTLS_LEVEL_DANE);
		struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, SEC);

		tlsa(h, st[i], 3, 0);
		addr(h, "192.0.2.1", (struct srv)GOOD_CERT("mx1.example.org"));
		assert_int_equal(verdict_domain(r), 0);
		expect_outcomes(r->outcome, E, E, D, A, A);
		assert_int_equal(severity_of(r, id[i]), MAILTLS_SEV_CRITICAL);
		assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_CRITICAL);
		mailtls_domain_result_free(r);
	}
}

/* TLSA in an unsigned zone: ignored, a warning at dane, info at may. */
static void tlsa_insecure_ignored(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", SEC, MAILTLS_LEVEL_DANE);
	struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, SEC);

	(void)state;
	tlsa(h, INS, 3, 1);
	addr(h, "192.0.2.1", (struct srv)GOOD_CERT("mx1.example.org"));
	assert_int_equal(verdict_domain(r), 0);
	expect_outcomes(r->outcome, E, E, E, A, A);
	assert_int_equal(severity_of(r, "dane.tlsa-insecure"), MAILTLS_SEV_WARNING);
	assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_WARNING);
	mailtls_domain_result_free(r);
}

static void only_unusable_records_encrypt(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", SEC, MAILTLS_LEVEL_DANE);
	struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, SEC);

	(void)state;
	tlsa(h, SEC, 1, 2);
	addr(h, "192.0.2.1", (struct srv){ TLS, false, { "x" }, MAILTLS_F_CERT_UNTRUSTED, -1, false });
	assert_int_equal(verdict_domain(r), 0);
	expect_outcomes(r->outcome, E, E, E, D, D);
	assert_int_equal(severity_of(r, "dane.unusable-only"), MAILTLS_SEV_WARNING);
	mailtls_domain_result_free(r);
}

static void no_starttls(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", INS, MAILTLS_LEVEL_MAY);
	struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, INS);

	(void)state;
	addr(h, "192.0.2.1", (struct srv){ PLAIN, false, { NULL }, -1, -1, false });
	assert_int_equal(verdict_domain(r), 0);
	expect_outcomes(r->outcome, P, D, P, D, D);
	assert_int_equal(severity_of(r, "starttls.not-offered"), MAILTLS_SEV_WARNING);
	assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_WARNING);
	mailtls_domain_result_free(r);
}

static void dane_without_starttls_defers(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", SEC, MAILTLS_LEVEL_DANE);
	struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, SEC);

	(void)state;
	tlsa(h, SEC, 3, 1);
	addr(h, "192.0.2.1", (struct srv){ PLAIN, false, { NULL }, -1, -1, false });
	assert_int_equal(verdict_domain(r), 0);
	expect_outcomes(r->outcome, P, D, D, D, D);
	assert_int_equal(severity_of(r, "dane.starttls-missing"), MAILTLS_SEV_CRITICAL);
	/* Stripping or TLS switched off: the message says both, and what senders do. */
	assert_string_equal(find(&r->findings, "dane.starttls-missing")->message,
			    "mx1.example.org[192.0.2.1]: DNSSEC-secure TLSA records require TLS, but "
			    "STARTTLS is not offered: this is what a STARTTLS-stripping man in the "
			    "middle looks like, or a server whose TLS was switched off; DANE senders "
			    "defer rather than send in clear");
	assert_int_equal(severity_of(r, "starttls.not-offered"), MAILTLS_SEV_CRITICAL);
	assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_CRITICAL);
	mailtls_domain_result_free(r);
}

/* A handshake failure: may falls back to plaintext (Postfix retries without TLS). */
static void handshake_failure_falls_back(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", INS, MAILTLS_LEVEL_ENCRYPT);
	struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, INS);

	(void)state;
	addr(h, "192.0.2.1", (struct srv){ TLS_FAIL, false, { NULL }, -1, -1, false });
	assert_int_equal(verdict_domain(r), 0);
	expect_outcomes(r->outcome, P, D, P, D, D);
	assert_int_equal(severity_of(r, "tls.handshake-failed"), MAILTLS_SEV_CRITICAL);
	assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_CRITICAL);
	mailtls_domain_result_free(r);
}

/* The preferred MX is down: mail goes to the backup; the refusal is a warning. */
static void backup_mx(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", INS, MAILTLS_LEVEL_VERIFY);
	struct mailtls_mx_host *h1, *h2;

	(void)state;
	host(r, "mx1.example.org", 10, INS);
	host(r, "mx2.example.org", 20, INS);
	h1 = &r->hosts[0];
	h2 = &r->hosts[1];
	addr(h1, "192.0.2.1", (struct srv){ NO_ANSWER, false, { NULL }, -1, -1, false });
	addr(h2, "192.0.2.2", (struct srv)GOOD_CERT("mx2.example.org"));
	assert_int_equal(verdict_domain(r), 0);
	expect_outcomes(h1->outcome, U, U, U, U, U);
	expect_outcomes(r->outcome, E, E, E, A, A);
	assert_string_equal(r->outcome_via[MAILTLS_LEVEL_VERIFY], "mx2.example.org");
	assert_int_equal(severity_of(r, "mx.backup-used"), MAILTLS_SEV_WARNING);
	assert_int_equal(severity_of(r, "conn.refused"), MAILTLS_SEV_WARNING);
	assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_WARNING);
	mailtls_domain_result_free(r);
}

/* Two MX hosts of the same preference, one plaintext: senders may land on either. */
static void equal_preference_worst_counts(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", INS, MAILTLS_LEVEL_MAY);
	struct mailtls_mx_host *h1, *h2;

	(void)state;
	host(r, "mx1.example.org", 10, INS);
	host(r, "mx2.example.org", 10, INS);
	h1 = &r->hosts[0];
	h2 = &r->hosts[1];
	addr(h1, "192.0.2.1", (struct srv)GOOD_CERT("mx1.example.org"));
	addr(h2, "192.0.2.2", (struct srv){ PLAIN, false, { NULL }, -1, -1, false });
	assert_int_equal(verdict_domain(r), 0);
	assert_int_equal(r->outcome[MAILTLS_LEVEL_MAY], P);
	assert_int_equal(r->outcome[MAILTLS_LEVEL_VERIFY], A);
	assert_string_equal(r->outcome_via[MAILTLS_LEVEL_VERIFY], "mx1.example.org");
	assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_WARNING);
	mailtls_domain_result_free(r);
}

/* A DANE-EE key served on one address of the host only. */
static void dane_partial(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", SEC, MAILTLS_LEVEL_DANE);
	struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, SEC);

	(void)state;
	tlsa(h, SEC, 3, 1);
	addr(h, "192.0.2.1", (struct srv){ TLS, true, { "mx1.example.org" }, -1, 1, true });
	addr(h, "192.0.2.2", (struct srv){ TLS, true, { "mx1.example.org" }, -1, 0, false });
	assert_int_equal(verdict_domain(r), 0);
	assert_int_equal(h->addrs[0].outcome[MAILTLS_LEVEL_DANE], A);
	assert_int_equal(h->addrs[1].outcome[MAILTLS_LEVEL_DANE], D);
	assert_int_equal(h->outcome[MAILTLS_LEVEL_DANE], A);
	assert_non_null(find(&r->findings, "dane.partial"));
	assert_non_null(find(&r->findings, "mx.addresses-differ"));
	assert_non_null(find(&r->findings, "dane.no-match"));
	assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_WARNING);
	mailtls_domain_result_free(r);
}

/* Two records, one for the key served: a rollover, information only. */
static void dane_rollover(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", SEC, MAILTLS_LEVEL_DANE);
	struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, SEC);

	(void)state;
	tlsa(h, SEC, 3, 2);
	addr(h, "192.0.2.1", (struct srv){ TLS, true, { "mx1.example.org" }, -1, 1, true });
	assert_int_equal(verdict_domain(r), 0);
	assert_int_equal(r->outcome[MAILTLS_LEVEL_DANE], A);
	assert_int_equal(severity_of(r, "dane.rollover"), MAILTLS_SEV_INFO);
	assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_OK);
	mailtls_domain_result_free(r);
}

static void null_mx_and_nxdomain(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", SEC, MAILTLS_LEVEL_DANE);

	(void)state;
	r->null_mx = true;
	assert_int_equal(verdict_domain(r), 0);
	assert_non_null(find(&r->findings, "mx.null"));
	assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_OK);
	mailtls_domain_result_free(r);

	r = domain("nowhere.example", SEC, MAILTLS_LEVEL_DANE);
	r->mx.nxdomain = true;
	assert_int_equal(verdict_domain(r), 0);
	assert_int_equal(severity_of(r, "dns.nxdomain"), MAILTLS_SEV_CRITICAL);
	assert_int_equal(r->outcome[MAILTLS_LEVEL_MAY], U);
	assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_CRITICAL);
	mailtls_domain_result_free(r);
}

/* The address records of the MX host are not signed: no TLSA lookup, opportunistic. */
static void insecure_address_records(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", SEC, MAILTLS_LEVEL_DANE);
	struct mailtls_mx_host *h = host(r, "mx.other.example", 10, INS);

	(void)state;
	addr(h, "192.0.2.1", (struct srv)GOOD_CERT("mx.other.example"));
	assert_int_equal(verdict_domain(r), 0);
	assert_int_equal(r->outcome[MAILTLS_LEVEL_DANE], E);
	assert_int_equal(severity_of(r, "dane.address-insecure"), MAILTLS_SEV_INFO);
	mailtls_domain_result_free(r);
}

/* An MX host under another domain, its certificate naming only it: secure fails. */
static void secure_level_mismatch(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", INS, MAILTLS_LEVEL_SECURE);
	struct mailtls_mx_host *h = host(r, "mx.hoster.example", 10, INS);

	(void)state;
	addr(h, "192.0.2.1", (struct srv)GOOD_CERT("mx.hoster.example"));
	assert_int_equal(verdict_domain(r), 0);
	expect_outcomes(r->outcome, E, E, E, A, D);
	assert_int_equal(severity_of(r, "cert.nexthop-mismatch"), MAILTLS_SEV_CRITICAL);
	assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_CRITICAL);
	r->level = MAILTLS_LEVEL_VERIFY;
	mailtls_findings_clear(&r->findings);
	for (int l = 0; l < MAILTLS_LEVEL_COUNT; l++) {
		free(r->outcome_via[l]);
		r->outcome_via[l] = NULL;
	}
	assert_int_equal(verdict_domain(r), 0);
	assert_int_equal(severity_of(r, "cert.nexthop-mismatch"), MAILTLS_SEV_INFO);
	assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_OK);
	mailtls_domain_result_free(r);
}

static void secure_level_names(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", INS, MAILTLS_LEVEL_SECURE);
	struct mailtls_mx_host *h = host(r, "mx.hoster.example", 10, INS);

	(void)state;
	addr(h, "192.0.2.1", (struct srv)GOOD_CERT("mx.hoster.example", "*.example.org"));
	assert_int_equal(verdict_domain(r), 0);
	expect_outcomes(r->outcome, E, E, E, A, A);
	assert_int_equal(severity_of(r, "cert.nexthop-mismatch"), -1);
	mailtls_domain_result_free(r);
}

/* No trust anchor: nothing could be validated; a warning, not "unsigned". */
static void not_validating(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", INS, MAILTLS_LEVEL_DANE);
	struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, INS);

	(void)state;
	r->validating = false;
	addr(h, "192.0.2.1", (struct srv)GOOD_CERT("mx1.example.org"));
	assert_int_equal(verdict_domain(r), 0);
	assert_int_equal(severity_of(r, "dns.not-validating"), MAILTLS_SEV_WARNING);
	assert_int_equal(severity_of(r, "dns.insecure"), -1);
	assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_WARNING);
	mailtls_domain_result_free(r);
}

/* Bogus address records with a secure MX: no address is used, senders defer. */
static void bogus_address_records_defer(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", SEC, MAILTLS_LEVEL_MAY);
	struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, BOG);

	(void)state;
	assert_int_equal(verdict_domain(r), 0);
	expect_outcomes(h->outcome, D, D, D, D, D);
	assert_int_equal(r->outcome[MAILTLS_LEVEL_DANE], D);
	assert_int_equal(severity_of(r, "dns.bogus"), MAILTLS_SEV_CRITICAL);
	assert_int_equal(severity_of(r, "dane.address-insecure"), -1);
	mailtls_domain_result_free(r);
}

/* A secure A answer beside an AAAA that got no answer: DANE senders defer the host. */
static void aaaa_no_answer_defers_dane(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", SEC, MAILTLS_LEVEL_DANE);
	struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, SEC);

	(void)state;
	lookup(&h->aaaa, "mx1.example.org", "AAAA", NOA);
	tlsa(h, SEC, 3, 1);
	addr(h, "192.0.2.1", (struct srv){ TLS, true, { "mx1.example.org" }, -1, 1, true });
	assert_int_equal(verdict_domain(r), 0);
	assert_int_equal(r->outcome[MAILTLS_LEVEL_DANE], D);
	assert_int_equal(severity_of(r, "dns.no-answer"), MAILTLS_SEV_CRITICAL);
	mailtls_domain_result_free(r);
}

/* verify: a CNAME expansion from unsigned DNS is no identity. */
static void insecure_cname_is_no_identity(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", INS, MAILTLS_LEVEL_VERIFY);
	struct mailtls_mx_host *h = host(r, "mx.example.org", 10, INS);

	(void)state;
	h->canonical = strdup("attacker.example.net");
	h->canonical_secure = false;
	addr(h, "192.0.2.1", (struct srv)GOOD_CERT("attacker.example.net"));
	assert_int_equal(verdict_domain(r), 0);
	assert_int_equal(r->outcome[MAILTLS_LEVEL_VERIFY], D);
	h->canonical_secure = true;
	mailtls_findings_clear(&r->findings);
	for (int l = 0; l < MAILTLS_LEVEL_COUNT; l++) {
		free(r->outcome_via[l]);
		r->outcome_via[l] = NULL;
	}
	assert_int_equal(verdict_domain(r), 0);
	assert_int_equal(r->outcome[MAILTLS_LEVEL_VERIFY], A);
	mailtls_domain_result_free(r);
}

/* A secure TLSA answer whose records could not be read: TLS required, not "no DANE". */
static void unreadable_tlsa_records_require_tls(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", SEC, MAILTLS_LEVEL_DANE);
	struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, SEC);

	(void)state;
	tlsa(h, SEC, 3, 0);
	h->tlsa_omitted = 1;
	addr(h, "192.0.2.1", (struct srv){ PLAIN, false, { NULL }, -1, -1, false });
	assert_int_equal(verdict_domain(r), 0);
	assert_int_equal(r->outcome[MAILTLS_LEVEL_DANE], D);
	assert_non_null(find(&r->findings, "dane.unusable-only"));
	assert_non_null(find(&r->findings, "mx.truncated"));
	mailtls_domain_result_free(r);
}

/* A DANE-protected primary and a plaintext backup: the headline says authenticated, the
 * finding says what an attacker who blocks the primary gets. */
static void weaker_backup(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", SEC, MAILTLS_LEVEL_DANE);
	struct mailtls_mx_host *h1, *h2;

	(void)state;
	host(r, "mx1.example.org", 10, SEC);
	host(r, "backup.example.net", 20, INS);
	h1 = &r->hosts[0];
	h2 = &r->hosts[1];
	tlsa(h1, SEC, 3, 1);
	addr(h1, "192.0.2.1", (struct srv){ TLS, true, { "mx1.example.org" }, -1, 1, true });
	addr(h2, "192.0.2.2", (struct srv){ PLAIN, false, { NULL }, -1, -1, false });
	assert_int_equal(verdict_domain(r), 0);
	assert_int_equal(r->outcome[MAILTLS_LEVEL_DANE], A);
	assert_int_equal(r->outcome_worst[MAILTLS_LEVEL_DANE], P);
	assert_int_equal(severity_of(r, "mx.backup-weaker"), MAILTLS_SEV_WARNING);
	assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_WARNING);
	mailtls_domain_result_free(r);
}

/* A null MX beside other records: a null MX all the same (as Postfix), and a warning. */
static void null_mx_mixed(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", SEC, MAILTLS_LEVEL_DANE);

	(void)state;
	r->null_mx = true;
	r->null_mx_mixed = true;
	assert_int_equal(verdict_domain(r), 0);
	assert_int_equal(severity_of(r, "mx.null-mixed"), MAILTLS_SEV_WARNING);
	assert_int_equal(severity_of(r, "mx.null"), MAILTLS_SEV_INFO);
	assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_WARNING);
	mailtls_domain_result_free(r);
}

static void name_under_table(void **state)
{
	static const struct { const char *name; bool ok; } t[] = {
		{ "example.org", true }, { "EXAMPLE.org.", true }, { "mx.example.org", true },
		{ "a.b.example.org", true }, { "*.example.org", true }, { "*.mx.example.org", true },
		{ "badexample.org", false }, { "example.org.evil.net", false },
		{ "x*.example.org", false }, { "*.org", false }, { "", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(verdict_name_under("example.org", t[i].name, strlen(t[i].name)),
				 t[i].ok);
}

static void tlsa_usable_table(void **state)
{
	(void)state;
	assert_true(verdict_tlsa_usable(3, 1, 1, 32));
	assert_true(verdict_tlsa_usable(2, 0, 2, 64));
	assert_true(verdict_tlsa_usable(3, 0, 0, 300));
	assert_false(verdict_tlsa_usable(1, 1, 1, 32));
	assert_false(verdict_tlsa_usable(0, 1, 1, 32));
	assert_false(verdict_tlsa_usable(3, 2, 1, 32));
	assert_false(verdict_tlsa_usable(3, 1, 3, 32));
	assert_false(verdict_tlsa_usable(3, 1, 1, 31));
	assert_false(verdict_tlsa_usable(3, 1, 0, 0));
}

/* MTA-STS: a valid TXT record and a policy fetched and read, as stsgather.c fills them. */
static void sts(struct mailtls_domain_result *r, enum mailtls_sts_mode mode, unsigned long max_age,
		const char *p1, const char *p2)
{
	struct mailtls_mtasts *m = &r->mtasts;
	char q[300];

	m->evaluated = true;
	snprintf(q, sizeof(q), "_mta-sts.%s", r->domain);
	lookup(&m->txt.lookup, q, "TXT", INS);
	mailtls_strlist_add(&m->txt.records, "v=STSv1; id=1", 100);
	m->txt.n_sts = 1;
	m->txt.valid = true;
	m->txt.id = strdup("1");
	snprintf(q, sizeof(q), "mta-sts.%s", r->domain);
	m->policy.host = strdup(q);
	snprintf(q, sizeof(q), "https://mta-sts.%s/.well-known/mta-sts.txt", r->domain);
	m->policy.url = strdup(q);
	m->policy.fetch = MAILTLS_FETCH_OK;
	m->policy.http_status = 200;
	m->policy.valid = true;
	m->policy.mode = mode;
	m->policy.have_max_age = true;
	m->policy.max_age = max_age;
	if (p1)
		mailtls_strlist_add(&m->policy.mx, p1, 253);
	if (p2)
		mailtls_strlist_add(&m->policy.mx, p2, 253);
	snprintf(q, sizeof(q), "_smtp._tls.%s", r->domain);
	lookup(&m->tlsrpt.lookup, q, "TXT", INS);
	m->tlsrpt.lookup.nodata = true;
}

static int outcome_at(const enum mailtls_outcome *o, int level)
{
	return (int)o[level];
}

/* Enforce, every host listed and good: authenticated at mta-sts, secure match in Postfix. */
static void mtasts_enforce_good(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", INS, MAILTLS_LEVEL_MTASTS);
	struct mailtls_mx_host *h1, *h2;

	(void)state;
	/* host() moves the hosts: the addresses first, the pointers after. */
	addr(host(r, "mx1.example.org", 10, INS), "192.0.2.1", (struct srv)GOOD_CERT("mx1.example.org"));
	addr(host(r, "mx2.example.org", 20, INS), "192.0.2.2", (struct srv)GOOD_CERT("mx2.example.org"));
	h1 = &r->hosts[0];
	h2 = &r->hosts[1];
	sts(r, MAILTLS_STS_MODE_ENFORCE, 604800, "mx1.example.org", "*.example.org");
	assert_int_equal(verdict_domain(r), 0);
	assert_true(r->mtasts.in_effect);
	assert_int_equal(outcome_at(r->outcome, MAILTLS_LEVEL_MTASTS), A);
	assert_int_equal(h1->sts_pattern, 0);
	assert_int_equal(h2->sts_pattern, 1);
	assert_int_equal(h1->sts, MAILTLS_STS_HOST_OK);
	assert_int_equal(severity_of(r, "mtasts.enforced"), MAILTLS_SEV_OK);
	assert_int_equal(severity_of(r, "tlsrpt.missing"), MAILTLS_SEV_INFO);
	assert_int_equal(severity_of(r, "mtasts.pattern-unused"), -1);
	assert_string_equal(r->postfix_policy,
			    "secure match=mx1.example.org:.example.org servername=hostname");
	assert_non_null(strstr(r->postfix_why, "only one label"));
	assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_OK);
	mailtls_domain_result_free(r);
}

/* Enforce, the backup not listed: MTA-STS senders defer to it; the primary still takes the
 * mail, so a warning at mta-sts; a warning at dane too. */
static void mtasts_mx_not_listed(void **state)
{
	int levels[] = { MAILTLS_LEVEL_MTASTS, MAILTLS_LEVEL_DANE };

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct mailtls_domain_result *r = domain("example.org", INS, levels[i]);
		struct mailtls_mx_host *h2;
		const struct mailtls_finding *f;

		addr(host(r, "mx1.example.org", 10, INS), "192.0.2.1",
		     (struct srv)GOOD_CERT("mx1.example.org"));
		addr(host(r, "mx2.example.org", 20, INS), "192.0.2.2",
		     (struct srv)GOOD_CERT("mx2.example.org"));
		h2 = &r->hosts[1];
		sts(r, MAILTLS_STS_MODE_ENFORCE, 604800, "mx1.example.org", "mx3.example.org");
		assert_int_equal(verdict_domain(r), 0);
		assert_int_equal(outcome_at(h2->outcome, MAILTLS_LEVEL_MTASTS), D);
		assert_int_equal(outcome_at(h2->outcome, MAILTLS_LEVEL_VERIFY), A);
		assert_int_equal(outcome_at(r->outcome, MAILTLS_LEVEL_MTASTS), A);
		assert_int_equal(h2->sts, MAILTLS_STS_HOST_NOT_LISTED);
		f = find(&r->findings, "mtasts.mx-not-listed");
		assert_non_null(f);
		assert_string_equal(f->subject.host, "mx2.example.org");
		assert_string_equal(f->message, "mx2.example.org matches no mx pattern of the policy: "
				    "MTA-STS senders (enforce policy) will not deliver to it");
		assert_int_equal(f->severity, MAILTLS_SEV_WARNING);
		assert_int_equal(severity_of(r, "mtasts.pattern-unused"), MAILTLS_SEV_INFO);
		assert_int_equal(severity_of(r, "mtasts.enforced"), -1);
		assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_WARNING);
		mailtls_domain_result_free(r);
	}
}

/* Enforce, the only host's chain untrusted: deferred, critical at mta-sts (and the
 * certificate finding with it); at may nothing is wrong. */
static void mtasts_cert_invalid(void **state)
{
	int levels[] = { MAILTLS_LEVEL_MTASTS, MAILTLS_LEVEL_MAY };
	int cert_sev[] = { MAILTLS_SEV_CRITICAL, MAILTLS_SEV_INFO };
	int sts_sev[] = { MAILTLS_SEV_CRITICAL, MAILTLS_SEV_WARNING };
	int code[] = { MAILTLS_EXIT_CRITICAL, MAILTLS_EXIT_WARNING };

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct mailtls_domain_result *r = domain("example.org", INS, levels[i]);
		struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, INS);

		addr(h, "192.0.2.1", (struct srv){ TLS, false, { "mx1.example.org" },
						   MAILTLS_F_CERT_UNTRUSTED, -1, false });
		sts(r, MAILTLS_STS_MODE_ENFORCE, 604800, "mx1.example.org", NULL);
		assert_int_equal(verdict_domain(r), 0);
		assert_int_equal(outcome_at(r->outcome, MAILTLS_LEVEL_MTASTS), D);
		assert_int_equal(outcome_at(r->outcome, MAILTLS_LEVEL_MAY), E);
		assert_int_equal(h->sts, MAILTLS_STS_HOST_CERT);
		assert_int_equal(severity_of(r, "mtasts.mx-cert-invalid"), sts_sev[i]);
		assert_string_equal(find(&r->findings, "mtasts.mx-cert-invalid")->message,
				    "mx1.example.org[192.0.2.1]: the certificate fails PKIX validation "
				    "for mx1.example.org (cert.untrusted): MTA-STS senders "
				    "(enforce policy) will not deliver to it");
		assert_int_equal(severity_of(r, "cert.untrusted"), cert_sev[i]);
		assert_int_equal(mailtls_domain_exit_code(r), code[i]);
		assert_string_equal(r->postfix_policy, "secure match=mx1.example.org servername=hostname");
		mailtls_domain_result_free(r);
	}
}

/* Enforce, no STARTTLS: deferred at mta-sts, and starttls.not-offered critical there. */
static void mtasts_no_starttls(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", INS, MAILTLS_LEVEL_MTASTS);
	struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, INS);

	(void)state;
	addr(h, "192.0.2.1", (struct srv){ PLAIN, false, { NULL }, -1, -1, false });
	sts(r, MAILTLS_STS_MODE_ENFORCE, 604800, "mx1.example.org", NULL);
	assert_int_equal(verdict_domain(r), 0);
	assert_int_equal(outcome_at(r->outcome, MAILTLS_LEVEL_MTASTS), D);
	assert_int_equal(h->sts, MAILTLS_STS_HOST_NO_TLS);
	assert_int_equal(severity_of(r, "mtasts.mx-no-tls"), MAILTLS_SEV_CRITICAL);
	assert_string_equal(find(&r->findings, "mtasts.mx-no-tls")->message,
			    "mx1.example.org[192.0.2.1] does not offer STARTTLS, which the enforce "
			    "policy requires: this is what a STARTTLS-stripping man in the middle "
			    "looks like, or a server whose TLS was switched off: MTA-STS senders "
			    "(enforce policy) defer rather than send to it in clear");
	assert_int_equal(severity_of(r, "starttls.not-offered"), MAILTLS_SEV_CRITICAL);
	assert_string_equal(r->postfix_policy, "secure match=mx1.example.org servername=hostname");
	mailtls_domain_result_free(r);
}

/* Testing: the same failure is reported, mail goes out as without a policy. */
static void mtasts_testing(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", INS, MAILTLS_LEVEL_MTASTS);
	struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, INS);

	(void)state;
	addr(h, "192.0.2.1", (struct srv)GOOD_CERT("mx1.example.org"));
	sts(r, MAILTLS_STS_MODE_TESTING, 86400, "mx9.example.org", NULL);
	assert_int_equal(verdict_domain(r), 0);
	assert_true(r->mtasts.in_effect);
	assert_int_equal(outcome_at(r->outcome, MAILTLS_LEVEL_MTASTS), E);
	assert_int_equal(h->sts, MAILTLS_STS_HOST_NOT_LISTED);
	assert_int_equal(severity_of(r, "mtasts.testing-failure"), MAILTLS_SEV_WARNING);
	assert_int_equal(severity_of(r, "mtasts.mode-testing"), MAILTLS_SEV_WARNING);
	assert_int_equal(severity_of(r, "mtasts.mx-not-listed"), -1);
	assert_string_equal(r->postfix_policy, "encrypt");
	assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_WARNING);
	mailtls_domain_result_free(r);
}

/* DANE governs the host (RFC 8461 section 2): a policy that does not list it defers only
 * senders without DANE. */
static void mtasts_dane_precedence(void **state)
{
	int levels[] = { MAILTLS_LEVEL_DANE, MAILTLS_LEVEL_MTASTS };
	int sev[] = { MAILTLS_SEV_INFO, MAILTLS_SEV_CRITICAL };
	int code[] = { MAILTLS_EXIT_OK, MAILTLS_EXIT_CRITICAL };

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct mailtls_domain_result *r = domain("example.org", SEC, levels[i]);
		struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, SEC);

		tlsa(h, SEC, 3, 1);
		addr(h, "192.0.2.1", (struct srv){ TLS, true, { "mx1.example.org" }, -1, 1, true });
		sts(r, MAILTLS_STS_MODE_ENFORCE, 604800, "other.example.org", NULL);
		assert_int_equal(verdict_domain(r), 0);
		assert_true(h->dane_governs);
		assert_int_equal(outcome_at(r->outcome, MAILTLS_LEVEL_DANE), A);
		assert_int_equal(outcome_at(r->outcome, MAILTLS_LEVEL_MTASTS), D);
		assert_int_equal(severity_of(r, "mtasts.dane-precedence"), MAILTLS_SEV_INFO);
		assert_int_equal(severity_of(r, "mtasts.mx-not-listed"), sev[i]);
		assert_int_equal(mailtls_domain_exit_code(r), code[i]);
		assert_string_equal(r->postfix_policy, "dane-only");
		assert_non_null(strstr(r->postfix_why, "takes precedence over MTA-STS"));
		mailtls_domain_result_free(r);
	}
}

/* No TXT record, a policy served: senders never fetch it; not in effect. */
static void mtasts_txt_missing(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", INS, MAILTLS_LEVEL_MTASTS);
	struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, INS);

	(void)state;
	addr(h, "192.0.2.1", (struct srv){ PLAIN, false, { NULL }, -1, -1, false });
	sts(r, MAILTLS_STS_MODE_ENFORCE, 3600, "mx1.example.org", NULL);
	r->mtasts.txt.valid = false;
	r->mtasts.txt.n_sts = 0;
	mailtls_strlist_clear(&r->mtasts.txt.records);
	assert_int_equal(verdict_domain(r), 0);
	assert_false(r->mtasts.in_effect);
	assert_int_equal(outcome_at(r->outcome, MAILTLS_LEVEL_MTASTS), P);
	assert_int_equal(severity_of(r, "mtasts.txt-missing"), MAILTLS_SEV_WARNING);
	assert_int_equal(severity_of(r, "mtasts.max-age-short"), MAILTLS_SEV_WARNING);
	assert_int_equal(severity_of(r, "starttls.not-offered"), MAILTLS_SEV_WARNING);
	assert_int_equal(severity_of(r, "mtasts.mx-no-tls"), -1);
	assert_string_equal(r->postfix_policy, "may");
	mailtls_domain_result_free(r);
}

/* Nothing published: information only. A policy host that answers 404 without a TXT
 * record is no finding of its own. */
static void mtasts_none(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", INS, MAILTLS_LEVEL_DANE);
	struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, INS);

	(void)state;
	addr(h, "192.0.2.1", (struct srv)GOOD_CERT("mx1.example.org"));
	sts(r, MAILTLS_STS_MODE_UNSET, 0, NULL, NULL);
	r->mtasts.txt.valid = false;
	r->mtasts.txt.n_sts = 0;
	r->mtasts.policy.fetch = MAILTLS_FETCH_HTTP_STATUS;
	r->mtasts.policy.http_status = 404;
	r->mtasts.policy.valid = false;
	r->mtasts.policy.why = strdup("HTTP status 404");
	assert_int_equal(verdict_domain(r), 0);
	assert_int_equal(severity_of(r, "mtasts.none"), MAILTLS_SEV_INFO);
	assert_string_equal(find(&r->findings, "mtasts.none")->message,
			    "example.org publishes no MTA-STS policy (no _mta-sts TXT record; "
			    "mta-sts.example.org: HTTP status 404)");
	assert_int_equal(severity_of(r, "mtasts.policy-http-status"), -1);
	assert_string_equal(r->postfix_policy, "encrypt");
	assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_OK);
	mailtls_domain_result_free(r);
}

/* A valid TXT record, a policy host with a bad certificate: no policy, and senders that
 * cached one keep it. */
static void mtasts_policy_cert_invalid(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", INS, MAILTLS_LEVEL_MTASTS);
	struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, INS);
	const struct mailtls_finding *f;

	(void)state;
	addr(h, "192.0.2.1", (struct srv)GOOD_CERT("mx1.example.org"));
	sts(r, MAILTLS_STS_MODE_UNSET, 0, NULL, NULL);
	r->mtasts.policy.fetch = MAILTLS_FETCH_CERT;
	r->mtasts.policy.valid = false;
	r->mtasts.policy.http_status = 0;
	r->mtasts.policy.why = strdup("certificate verify failed: hostname mismatch");
	assert_int_equal(verdict_domain(r), 0);
	assert_false(r->mtasts.in_effect);
	f = find(&r->findings, "mtasts.policy-cert-invalid");
	assert_non_null(f);
	assert_string_equal(f->subject.host, "mta-sts.example.org");
	assert_int_equal(f->severity, MAILTLS_SEV_WARNING);
	assert_int_equal(severity_of(r, "mtasts.txt-without-policy"), MAILTLS_SEV_WARNING);
	assert_int_equal(outcome_at(r->outcome, MAILTLS_LEVEL_MTASTS), E);
	assert_string_equal(r->postfix_policy, "encrypt");
	mailtls_domain_result_free(r);
}

/* TLS-RPT: a valid record, and one with only an ftp: URI. */
static void mtasts_tlsrpt(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++) {
		struct mailtls_domain_result *r = domain("example.org", INS, MAILTLS_LEVEL_DANE);
		struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, INS);
		struct mailtls_tlsrpt *t;

		addr(h, "192.0.2.1", (struct srv)GOOD_CERT("mx1.example.org"));
		sts(r, MAILTLS_STS_MODE_ENFORCE, 604800, "mx1.example.org", NULL);
		t = &r->mtasts.tlsrpt;
		t->lookup.nodata = false;
		t->n_rpt = 1;
		t->rua = calloc(1, sizeof(*t->rua));
		t->n_rua = 1;
		t->rua[0].uri = strdup(i == 0 ? "mailto:tlsrpt@example.org" : "ftp://example.org/r");
		t->rua[0].valid = i == 0;
		t->valid = i == 0;
		if (i == 1) {
			t->problems.v = calloc(1, sizeof(*t->problems.v));
			t->problems.n = 1;
			t->problems.v[0].defect = MAILTLS_RPT_SCHEME;
			t->problems.v[0].quote = strdup("ftp://example.org/r");
		}
		assert_int_equal(verdict_domain(r), 0);
		if (i == 0) {
			assert_string_equal(find(&r->findings, "tlsrpt.ok")->message,
					    "_smtp._tls.example.org TXT: reports go to "
					    "mailto:tlsrpt@example.org");
			assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_OK);
		} else {
			assert_string_equal(find(&r->findings, "tlsrpt.bad-uri")->message,
					    "_smtp._tls.example.org TXT: a URI scheme other than "
					    "mailto: or https:: \"ftp://example.org/r\"");
			assert_int_equal(severity_of(r, "tlsrpt.ok"), -1);
			assert_int_equal(mailtls_domain_exit_code(r), MAILTLS_EXIT_WARNING);
		}
		mailtls_domain_result_free(r);
	}
}

/* RFC 8461 4.2: the certificate must name the MX host itself; a secure CNAME expansion
 * that verify accepts does not do for MTA-STS. */
static void mtasts_cname_target_not_enough(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", SEC, MAILTLS_LEVEL_MTASTS);
	struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, SEC);

	(void)state;
	h->canonical = strdup("mail.provider.example");
	h->canonical_secure = true;
	addr(h, "192.0.2.1", (struct srv)GOOD_CERT("mail.provider.example"));
	sts(r, MAILTLS_STS_MODE_ENFORCE, 604800, "mx1.example.org", NULL);
	assert_int_equal(verdict_domain(r), 0);
	assert_int_equal(outcome_at(r->outcome, MAILTLS_LEVEL_VERIFY), A);
	assert_int_equal(outcome_at(r->outcome, MAILTLS_LEVEL_MTASTS), D);
	assert_int_equal(h->sts, MAILTLS_STS_HOST_CERT);
	assert_int_equal(severity_of(r, "mtasts.mx-cert-invalid"), MAILTLS_SEV_CRITICAL);
	assert_int_equal(severity_of(r, "mtasts.enforced"), -1);
	mailtls_domain_result_free(r);
}

/* A _mta-sts TXT lookup without an answer says nothing about the record: no
 * mtasts.txt-missing, no mtasts.none; the lookup's own finding. */
static void mtasts_txt_no_answer(void **state)
{
	(void)state;
	for (int served = 0; served <= 1; served++) {
		struct mailtls_domain_result *r = domain("example.org", INS, MAILTLS_LEVEL_DANE);
		struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, INS);

		addr(h, "192.0.2.1", (struct srv)GOOD_CERT("mx1.example.org"));
		sts(r, MAILTLS_STS_MODE_ENFORCE, 604800, "mx1.example.org", NULL);
		r->mtasts.txt.lookup.status = MAILTLS_DNS_NOANSWER;
		r->mtasts.txt.lookup.rcode = -1;
		r->mtasts.txt.lookup.why = strdup("no answer within 5 s");
		r->mtasts.txt.valid = false;
		r->mtasts.txt.n_sts = 0;
		if (!served) {
			r->mtasts.policy.fetch = MAILTLS_FETCH_NO_ADDRESS;
			r->mtasts.policy.valid = false;
		}
		assert_int_equal(verdict_domain(r), 0);
		assert_false(r->mtasts.in_effect);
		assert_int_equal(severity_of(r, "mtasts.txt-missing"), -1);
		assert_int_equal(severity_of(r, "mtasts.none"), -1);
		assert_string_equal(find(&r->findings, "dns.no-answer")->message,
				    "_mta-sts.example.org TXT: no answer within 5 s");
		mailtls_domain_result_free(r);
	}
}

/* Every MX host unreachable: no mtasts.enforced ("each offers STARTTLS" would be false). */
static void mtasts_unreachable_not_enforced(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", INS, MAILTLS_LEVEL_MTASTS);
	struct mailtls_mx_host *h = host(r, "mx1.example.org", 10, INS);

	(void)state;
	addr(h, "192.0.2.1", (struct srv){ NO_ANSWER, false, { NULL }, -1, -1, false });
	sts(r, MAILTLS_STS_MODE_ENFORCE, 604800, "mx1.example.org", NULL);
	assert_int_equal(verdict_domain(r), 0);
	assert_int_equal(h->sts, MAILTLS_STS_HOST_UNREACHABLE);
	assert_int_equal(outcome_at(r->outcome, MAILTLS_LEVEL_MTASTS), U);
	assert_int_equal(severity_of(r, "mtasts.enforced"), -1);
	assert_null(r->postfix_policy);      /* no host to judge: no entry */
	mailtls_domain_result_free(r);
}

/* The Postfix entry says what it does not carry over: a DANE host failing now, and the
 * policy for the hosts without DANE. */
static void mtasts_postfix_dane_mixed(void **state)
{
	struct mailtls_domain_result *r = domain("example.org", SEC, MAILTLS_LEVEL_DANE);
	struct mailtls_mx_host *h1, *h2;

	(void)state;
	h1 = host(r, "mx1.example.org", 10, SEC);
	tlsa(h1, SEC, 3, 1);
	addr(h1, "192.0.2.1", (struct srv){ TLS, true, { "mx1.example.org" }, -1, 0, false });
	addr(host(r, "mx2.example.org", 20, SEC), "192.0.2.2", (struct srv)GOOD_CERT("mx2.example.org"));
	h1 = &r->hosts[0];
	h2 = &r->hosts[1];
	sts(r, MAILTLS_STS_MODE_ENFORCE, 604800, "mx1.example.org", "mx2.example.org");
	assert_int_equal(verdict_domain(r), 0);
	assert_true(h1->dane_governs);
	assert_false(h2->dane_governs);
	assert_string_equal(r->postfix_policy, "dane");
	assert_string_equal(r->postfix_why, "1 of 2 MX hosts have DNSSEC-secure TLSA records: DANE "
			    "where they apply, opportunistic TLS elsewhere; some fail DANE now, and "
			    "mail to them defers; the MTA-STS enforce policy is not applied to the "
			    "other hosts by this entry");
	mailtls_domain_result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(insecure_domain_trusted_cert),
		cmocka_unit_test(self_signed_per_level),
		cmocka_unit_test(dane_ee_match),
		cmocka_unit_test(dane_no_match_defers),
		cmocka_unit_test(dane_ta_name_fails),
		cmocka_unit_test(tlsa_bogus_and_unanswered_defer),
		cmocka_unit_test(tlsa_insecure_ignored),
		cmocka_unit_test(only_unusable_records_encrypt),
		cmocka_unit_test(no_starttls),
		cmocka_unit_test(dane_without_starttls_defers),
		cmocka_unit_test(handshake_failure_falls_back),
		cmocka_unit_test(backup_mx),
		cmocka_unit_test(equal_preference_worst_counts),
		cmocka_unit_test(dane_partial),
		cmocka_unit_test(dane_rollover),
		cmocka_unit_test(null_mx_and_nxdomain),
		cmocka_unit_test(insecure_address_records),
		cmocka_unit_test(secure_level_mismatch),
		cmocka_unit_test(secure_level_names),
		cmocka_unit_test(not_validating),
		cmocka_unit_test(bogus_address_records_defer),
		cmocka_unit_test(aaaa_no_answer_defers_dane),
		cmocka_unit_test(insecure_cname_is_no_identity),
		cmocka_unit_test(unreadable_tlsa_records_require_tls),
		cmocka_unit_test(weaker_backup),
		cmocka_unit_test(null_mx_mixed),
		cmocka_unit_test(name_under_table),
		cmocka_unit_test(tlsa_usable_table),
		cmocka_unit_test(mtasts_enforce_good),
		cmocka_unit_test(mtasts_mx_not_listed),
		cmocka_unit_test(mtasts_cert_invalid),
		cmocka_unit_test(mtasts_no_starttls),
		cmocka_unit_test(mtasts_testing),
		cmocka_unit_test(mtasts_dane_precedence),
		cmocka_unit_test(mtasts_txt_missing),
		cmocka_unit_test(mtasts_none),
		cmocka_unit_test(mtasts_policy_cert_invalid),
		cmocka_unit_test(mtasts_tlsrpt),
		cmocka_unit_test(mtasts_cname_target_not_enough),
		cmocka_unit_test(mtasts_txt_no_answer),
		cmocka_unit_test(mtasts_unreachable_not_enforced),
		cmocka_unit_test(mtasts_postfix_dane_mixed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
