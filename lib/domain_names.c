/*
 * domain_names.c - `mailtls names`: the names each MX host's certificate must cover, and
 * whether the served certificates, and a certificate file not deployed yet, cover them.
 *
 * NAME
 *	mailtls_names_judge, mailtls_names_report_free, mailtls_names_exit_code,
 *	mailtls_cover_name, mailtls_names_dane_name
 * SYNOPSIS
 *	#include <mailtls/domain.h>
 * DESCRIPTION
 *	Facts come from a finished domain evaluation (domain.c): the MX hosts, their
 *	addresses, the chain each address served with its trust and DANE facts, the TLSA
 *	records. The judgement per certificate and host:
 *
 *	  needed names   verify: the MX host name, or its DNSSEC-secure CNAME expansion
 *	                 (the names verdict.c accepts); secure: the domain or a name under it
 *	                 (Postfix's nexthop, dot-nexthop: verdict_name_under())
 *	  covered        a DNS-ID of the leaf matches one of them (verdict_leaf_covers(),
 *	                 verdict_leaf_under(): the same code as the domain verdict)
 *	  trusted        the chain verifies to a trust anchor, whatever the names
 *	  DANE           where the host's DNSSEC-secure usable TLSA records apply
 *	                 (verdict_host_dane()), OpenSSL's DANE verification must succeed:
 *	                 the check's facts for a served chain, mailtls_dane_check_files()
 *	                 for the file
 *	  verdict        covered and trusted and (no DANE, or DANE matches): YES; a failed
 *	                 TLSA lookup (DANE senders defer): UNKNOWN; else NO. Served: an
 *	                 address without TLS is NO (a verifying sender defers there), one
 *	                 that never answered UNKNOWN.
 *
 *	The file is verified once with mailtls_cert_check() (the MX host names as reference
 *	names; only its trust and the leaf's DNS-IDs are used here). Nothing is printed.
 * DIAGNOSTICS
 *	MAILTLS_EINVAL, MAILTLS_ENOMEM, and what mailtls_cert_check() and
 *	mailtls_dane_check_files() return for the file; why is display-safe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mailtls/mailtls.h>
#include "verdict.h"

#define NAMES_REFS_MAX 64             /* reference names given to the file's verification */

static void cert_clear(struct mailtls_names_cert *c)
{
	mailtls_strlist_clear(&c->dns_names);
	free(c->dane_error);
	memset(c, 0, sizeof(*c));
}

void mailtls_names_report_free(struct mailtls_names_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_hosts; i++) {
		struct mailtls_names_host *h = &r->hosts[i];

		for (size_t j = 0; j < h->n_addrs; j++) {
			free(h->addrs[j].addr);
			cert_clear(&h->addrs[j].served);
		}
		free(h->addrs);
		free(h->name);
		mailtls_strlist_clear(&h->need);
		cert_clear(&h->file);
	}
	free(r->hosts);
	free(r->domain);
	free(r->unknown_reason);
	free(r->cert_file);
	free(r->chain_file);
	free(r);
}

const char *mailtls_cover_name(enum mailtls_cover c)
{
	switch (c) {
	case MAILTLS_COVER_YES: return "covered";
	case MAILTLS_COVER_UNKNOWN: return "unknown";
	case MAILTLS_COVER_NO: return "not covered";
	}
	return "?";
}

const char *mailtls_names_dane_name(enum mailtls_names_dane d)
{
	switch (d) {
	case MAILTLS_NAMES_DANE_NA: return "n/a";
	case MAILTLS_NAMES_DANE_MATCH: return "match";
	case MAILTLS_NAMES_DANE_FAILED: return "failed";
	case MAILTLS_NAMES_DANE_NO_MATCH: return "no match";
	case MAILTLS_NAMES_DANE_UNKNOWN: return "unknown";
	}
	return "?";
}

static enum mailtls_cover worst(enum mailtls_cover a, enum mailtls_cover b)
{
	return a > b ? a : b;
}

/* trust_issue - the id of the first finding of res that says why its chain is not
 * trusted, or NULL. */
static const char *trust_issue(const struct mailtls_result *res)
{
	for (size_t i = 0; i < res->findings.n; i++)
		switch (res->findings.v[i].fid) {
		case MAILTLS_F_CERT_UNTRUSTED:
		case MAILTLS_F_CERT_SELF_SIGNED:
		case MAILTLS_F_CERT_INCOMPLETE_CHAIN:
		case MAILTLS_F_CERT_EXPIRED:
		case MAILTLS_F_CERT_NOT_YET_VALID:
		case MAILTLS_F_CERT_WEAK_KEY:
		case MAILTLS_F_CERT_WEAK_SIGNATURE:
		case MAILTLS_F_CERT_CHAIN_TOO_LONG:
		case MAILTLS_F_CERT_VERIFY_ERROR:
			return res->findings.v[i].id;
		default:
			break;
		}
	return NULL;
}

/* cert_facts - the leaf's names, the coverage of host h's needed names and the trust of
 * res's chain into c. 0 or MAILTLS_ENOMEM. */
static int cert_facts(const struct mailtls_names_report *r, const struct mailtls_names_host *h,
		      const struct mailtls_result *res, struct mailtls_names_cert *c)
{
	const struct mailtls_certinfo *leaf = res->chain_len > 0 ? &res->chain[0] : NULL;

	c->present = leaf != NULL;
	c->covered_by = -1;
	c->dane_usage = -1;
	if (leaf == NULL)
		return 0;
	for (size_t i = 0; i < leaf->dns_names.n; i++)
		if (mailtls_strlist_add(&c->dns_names, leaf->dns_names.v[i], MAILTLS_NAME_MAX * 4) != 0)
			return MAILTLS_ENOMEM;
	if (r->level == MAILTLS_LEVEL_SECURE)
		c->covered_by = verdict_leaf_under(leaf, r->domain);
	else
		for (size_t i = 0; i < h->need.n && c->covered_by < 0; i++)
			c->covered_by = verdict_leaf_covers(leaf, h->need.v[i]);
	c->trusted = res->chain_trusted;
	c->trust_issue = c->trusted ? NULL : trust_issue(res);
	return 0;
}

/* cert_verdict - a judged chain's verdict (present). */
static enum mailtls_cover cert_verdict(const struct mailtls_names_cert *c)
{
	if (!c->present || c->covered_by < 0 || !c->trusted)
		return MAILTLS_COVER_NO;
	switch (c->dane) {
	case MAILTLS_NAMES_DANE_NA:
	case MAILTLS_NAMES_DANE_MATCH:
		return MAILTLS_COVER_YES;
	case MAILTLS_NAMES_DANE_UNKNOWN:
		return MAILTLS_COVER_UNKNOWN;
	default:
		return MAILTLS_COVER_NO;
	}
}

/* served_dane - the check's DANE facts for address a of host h (DANE applies). */
static int served_dane(const struct mailtls_mx_host *h, const struct mailtls_mx_address *a,
		       struct mailtls_names_cert *c)
{
	bool matched = a->dane_depth >= 0;

	for (size_t i = 0; a->tlsa_matched != NULL && i < h->n_tlsa; i++)
		if (a->tlsa_matched[i] && h->tlsa_records[i].usable)
			matched = true;
	if (a->dane_checked && a->dane_authenticated) {
		c->dane = MAILTLS_NAMES_DANE_MATCH;
		c->dane_usage = a->dane_usage;
		return 0;
	}
	c->dane = matched ? MAILTLS_NAMES_DANE_FAILED : MAILTLS_NAMES_DANE_NO_MATCH;
	if (a->dane_error != NULL && (c->dane_error = strdup(a->dane_error)) == NULL)
		return MAILTLS_ENOMEM;
	return 0;
}

/* host_need - the names host h's certificate must cover at the report's level. */
static int host_need(const struct mailtls_names_report *r, const struct mailtls_mx_host *h,
		     struct mailtls_names_host *nh)
{
	if (r->level == MAILTLS_LEVEL_SECURE) {
		nh->need_under = true;
		return mailtls_strlist_add(&nh->need, r->domain, MAILTLS_NAME_MAX);
	}
	if (mailtls_strlist_add(&nh->need, h->name, MAILTLS_NAME_MAX) != 0)
		return MAILTLS_ENOMEM;
	if (h->canonical != NULL && h->canonical_secure && strcmp(h->canonical, h->name) != 0
	    && mailtls_strlist_add(&nh->need, h->canonical, MAILTLS_NAME_MAX) != 0)
		return MAILTLS_ENOMEM;
	return 0;
}

/* judge_served - every address of host h. */
static int judge_served(const struct mailtls_names_report *r, const struct mailtls_mx_host *h,
			enum host_dane hd, struct mailtls_names_host *nh)
{
	int e;

	nh->served = h->n_addrs == 0 ? MAILTLS_COVER_UNKNOWN : MAILTLS_COVER_YES;
	if (h->n_addrs > 0 && (nh->addrs = calloc(h->n_addrs, sizeof(*nh->addrs))) == NULL)
		return MAILTLS_ENOMEM;
	for (size_t j = 0; j < h->n_addrs; j++) {
		const struct mailtls_mx_address *a = &h->addrs[j];
		const struct mailtls_result *s = a->server;
		struct mailtls_names_address *na = &nh->addrs[nh->n_addrs++];

		na->served.covered_by = na->served.dane_usage = -1;
		if ((na->addr = strdup(a->addr)) == NULL)
			return MAILTLS_ENOMEM;
		na->reached = s != NULL && s->have_session && s->session.banner != NULL;
		na->tls = s != NULL && s->session.tls_established;
		if (!na->tls) {
			na->served.verdict = na->reached ? MAILTLS_COVER_NO : MAILTLS_COVER_UNKNOWN;
			nh->served = worst(nh->served, na->served.verdict);
			continue;
		}
		if ((e = cert_facts(r, nh, s, &na->served)) != 0)
			return e;
		if (hd == HOST_DANE_APPLIES && (e = served_dane(h, a, &na->served)) != 0)
			return e;
		if (hd == HOST_DANE_DEFER)
			na->served.dane = MAILTLS_NAMES_DANE_UNKNOWN;
		na->served.verdict = cert_verdict(&na->served);
		nh->served = worst(nh->served, na->served.verdict);
	}
	return 0;
}

/* file_dane - the host's usable records against the file's chain. */
static int file_dane(const struct mailtls_names_params *p, const struct mailtls_mx_host *h,
		     struct mailtls_names_cert *c, char *why, size_t whylen)
{
	struct mailtls_tlsa usable[MAILTLS_TLSA_MAX];
	struct mailtls_dane_facts f = { 0 };
	size_t n = 0;
	int e;

	for (size_t i = 0; i < h->n_tlsa && n < MAILTLS_TLSA_MAX; i++)
		if (h->tlsa_records[i].usable)
			usable[n++] = (struct mailtls_tlsa){ .usage = h->tlsa_records[i].usage,
				.selector = h->tlsa_records[i].selector,
				.mtype = h->tlsa_records[i].mtype,
				.data = h->tlsa_records[i].data, .len = h->tlsa_records[i].len };
	struct mailtls_dane_files df = {
		.cert_file = p->cert_file, .chain_file = p->chain_file, .base = h->tlsa_base,
		.names = (const char *const *)h->dane_names.v,
		.n_names = h->dane_names.n < MAILTLS_DANE_NAMES_MAX ? h->dane_names.n
								      : MAILTLS_DANE_NAMES_MAX,
		.tlsa = usable, .n_tlsa = n, .at = p->domain->validation_time,
	};
	if ((e = mailtls_dane_check_files(&df, &f, why, whylen)) != 0) {
		mailtls_dane_facts_clear(&f);
		return e;
	}
	if (mailtls_dane_facts_authenticated(&f)) {
		c->dane = MAILTLS_NAMES_DANE_MATCH;
		c->dane_usage = f.have_match ? f.match_usage : -1;
	} else {
		bool matched = f.match_depth >= 0;

		for (size_t i = 0; i < f.n_records; i++)
			if (f.records[i].matches >= 0)
				matched = true;
		c->dane = matched ? MAILTLS_NAMES_DANE_FAILED : MAILTLS_NAMES_DANE_NO_MATCH;
		if (f.verify_text != NULL && f.verify_code != 0
		    && (c->dane_error = strdup(f.verify_text)) == NULL)
			e = MAILTLS_ENOMEM;
	}
	mailtls_dane_facts_clear(&f);
	return e;
}

/* check_file - verify the file once, the MX host names (or the domain) as references. */
static int check_file(const struct mailtls_names_params *p, struct mailtls_result **out,
		      char *why, size_t whylen)
{
	const struct mailtls_domain_result *d = p->domain;
	const char *refs[NAMES_REFS_MAX];
	char norm[MAILTLS_NAME_MAX + 1];
	size_t n = 0;

	for (size_t i = 0; i < d->n_hosts && n < NAMES_REFS_MAX; i++)
		if (mailtls_name_normalize(d->hosts[i].name, norm, sizeof(norm)) == 0)
			refs[n++] = d->hosts[i].name;
	if (n == 0 || p->level == MAILTLS_LEVEL_SECURE) {
		n = 0;
		refs[n++] = d->domain;
	}
	struct mailtls_cert_params cp = {
		.cert_file = p->cert_file, .chain_file = p->chain_file, .names = refs,
		.n_names = n, .ca_file = p->ca_file, .ca_path = p->ca_path,
		.at = d->validation_time, .have_at = true, .warn_days = p->warn_days,
	};
	return mailtls_cert_check(&cp, out, why, whylen);
}

static int judge(const struct mailtls_names_params *p, struct mailtls_names_report *r,
		 char *why, size_t whylen)
{
	const struct mailtls_domain_result *d = p->domain;
	struct mailtls_result *file = NULL;
	int e = MAILTLS_ENOMEM;

	snprintf(why, whylen, "out of memory");
	if ((r->domain = strdup(d->domain)) == NULL)
		return e;
	r->level = p->level;
	r->checked = d->checked;
	r->null_mx = d->null_mx;
	if (d->unknown_reason != NULL && (r->unknown_reason = strdup(d->unknown_reason)) == NULL)
		return e;
	if (d->checked && d->n_hosts == 0 && !d->null_mx
	    && (r->unknown_reason = verdict_no_hosts_why(d)) == NULL)
		return e;
	if (p->cert_file != NULL) {
		r->have_file = true;
		if ((r->cert_file = mailtls_escape(p->cert_file, strlen(p->cert_file))) == NULL
		    || (p->chain_file != NULL
			&& (r->chain_file = mailtls_escape(p->chain_file, strlen(p->chain_file))) == NULL))
			return e;
		if ((e = check_file(p, &file, why, whylen)) != 0)
			return e;
	}
	r->served = r->file = d->n_hosts > 0 || d->null_mx ? MAILTLS_COVER_YES : MAILTLS_COVER_UNKNOWN;
	if (d->n_hosts > 0 && (r->hosts = calloc(d->n_hosts, sizeof(*r->hosts))) == NULL) {
		e = MAILTLS_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < d->n_hosts; i++) {
		const struct mailtls_mx_host *h = &d->hosts[i];
		struct mailtls_names_host *nh = &r->hosts[r->n_hosts++];
		enum host_dane hd = verdict_host_dane(d, h);

		nh->preference = h->preference;
		nh->dane_applies = hd == HOST_DANE_APPLIES;
		nh->file.covered_by = nh->file.dane_usage = -1;
		if ((nh->name = strdup(h->name)) == NULL || host_need(r, h, nh) != 0) {
			e = MAILTLS_ENOMEM;
			goto out;
		}
		if ((e = judge_served(r, h, hd, nh)) != 0)
			goto out;
		r->served = worst(r->served, nh->served);
		if (file == NULL)
			continue;
		if ((e = cert_facts(r, nh, file, &nh->file)) != 0)
			goto out;
		if (hd == HOST_DANE_APPLIES && (e = file_dane(p, h, &nh->file, why, whylen)) != 0)
			goto out;
		if (hd == HOST_DANE_DEFER)
			nh->file.dane = MAILTLS_NAMES_DANE_UNKNOWN;
		nh->file.verdict = cert_verdict(&nh->file);
		r->file = worst(r->file, nh->file.verdict);
	}
	e = 0;
out:
	mailtls_result_free(file);
	return e;
}

int mailtls_names_judge(const struct mailtls_names_params *p, struct mailtls_names_report **out,
			char *why, size_t whylen)
{
	struct mailtls_names_report *r;
	int e;

	*out = NULL;
	if (p == NULL || p->domain == NULL || p->domain->domain == NULL
	    || (p->level != MAILTLS_LEVEL_VERIFY && p->level != MAILTLS_LEVEL_SECURE)) {
		snprintf(why, whylen, "names: a domain result and the level verify or secure are needed");
		return MAILTLS_EINVAL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return MAILTLS_ENOMEM;
	}
	if ((e = judge(p, r, why, whylen)) != 0) {
		if (e == MAILTLS_ENOMEM)
			snprintf(why, whylen, "out of memory");
		mailtls_escape_inplace(why, whylen);
		mailtls_names_report_free(r);
		return e;
	}
	why[0] = '\0';
	*out = r;
	return 0;
}

enum mailtls_exit mailtls_names_exit_code(const struct mailtls_names_report *r)
{
	enum mailtls_cover c;

	if (r == NULL || !r->checked)
		return MAILTLS_EXIT_UNKNOWN;
	if (r->null_mx)
		return MAILTLS_EXIT_OK;
	c = r->have_file ? r->file : r->served;
	return c == MAILTLS_COVER_YES ? MAILTLS_EXIT_OK :
	       c == MAILTLS_COVER_NO ? MAILTLS_EXIT_CRITICAL : MAILTLS_EXIT_UNKNOWN;
}
