/*
 * rollover.c - a safe DANE rollover plan per MX host (mailtls/rollover.h, `mailtls tlsa
 * CERT --domain DOMAIN`).
 *
 * NAME
 *	mailtls_roll_plan, mailtls_roll_plan_clear, mailtls_rollover_for_domain,
 *	mailtls_rollover_free, mailtls_rollover_exit_code, mailtls_roll_action_name
 * DESCRIPTION
 *	The rule (RFC 7671 8.1 and 8.4, "current + next"): a sender may hold the TLSA RRset
 *	in its cache for up to its TTL, so a record for the new chain must be published at
 *	least one TTL before the new chain is served, and a record for the chain served now
 *	must stay until no address serves that chain any more. So, per published record:
 *
 *	  not usable for SMTP (RFC 7672 3.1.3) ............... IGNORED
 *	  matches the new chain .............................. KEEP
 *	  matches the chain served now, or cannot be told .... REMOVE_AFTER (the switch)
 *	  matches neither .................................... REMOVE
 *
 *	and when usable records are published but do not authenticate the new chain (by
 *	OpenSSL's DANE verification of the files, so a DANE-TA record whose names do not fit
 *	counts as not authenticating), every record `mailtls tlsa` would print for the new
 *	chain that is not published yet is an ADD. No usable record published: DANE is not in
 *	use and the switch needs no DNS change.
 *
 *	mailtls_rollover_for_domain() gathers the inputs from a domain evaluation, which has
 *	both the TLSA records (with their DNSSEC status and TTL) and the chain each address
 *	serves now: the per-record matches the check computed where DANE applied, else the
 *	SHA-256 digests of the served certificates and keys (the facts keep those; a full or
 *	SHA-512 record against a chain served outside DANE cannot be told: -1, kept until
 *	the switch). The new chain is matched by mailtls_dane_check_files().
 * DIAGNOSTICS
 *	MAILTLS_ENOMEM, MAILTLS_EINVAL (a --host that is no MX host), and the file errors of
 *	mailtls_tlsa_for_cert(); why is display-safe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mailtls/mailtls.h>
#include <mailtls/rollover.h>
#include "danefacts.h"
#include "verdict.h"

const char *mailtls_roll_action_name(enum mailtls_roll_action a)
{
	switch (a) {
	case MAILTLS_ROLL_KEEP: return "keep";
	case MAILTLS_ROLL_ADD: return "add";
	case MAILTLS_ROLL_REMOVE_AFTER: return "remove-after-switch";
	case MAILTLS_ROLL_REMOVE: return "remove";
	case MAILTLS_ROLL_IGNORED: return "ignored";
	}
	return "?";
}

void mailtls_roll_plan_clear(struct mailtls_roll_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].hex);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

static enum mailtls_roll_action published_action(const struct mailtls_roll_published *r)
{
	if (!r->usable)
		return MAILTLS_ROLL_IGNORED;
	if (r->matches_new)
		return MAILTLS_ROLL_KEEP;
	return r->matches_served != 0 ? MAILTLS_ROLL_REMOVE_AFTER : MAILTLS_ROLL_REMOVE;
}

static bool is_published(const struct mailtls_roll_input *in, const struct mailtls_tlsa_publish *w)
{
	for (size_t i = 0; i < in->n_published; i++) {
		const struct mailtls_roll_published *r = &in->published[i];

		if (r->usage == w->usage && r->selector == w->selector && r->mtype == w->mtype
		    && r->hex != NULL && w->hex != NULL && strcasecmp(r->hex, w->hex) == 0)
			return true;
	}
	return false;
}

static int step(struct mailtls_roll_plan *p, enum mailtls_roll_action a, uint8_t usage,
		uint8_t selector, uint8_t mtype, const char *hex, size_t index, int served)
{
	struct mailtls_roll_step *s = &p->v[p->n];

	*s = (struct mailtls_roll_step){ .action = a, .usage = usage, .selector = selector,
					 .mtype = mtype, .index = index, .matches_served = served };
	if ((s->hex = strdup(hex != NULL ? hex : "")) == NULL)
		return MAILTLS_ENOMEM;
	p->n++;
	return 0;
}

int mailtls_roll_plan(const struct mailtls_roll_input *in, struct mailtls_roll_plan *out)
{
	size_t usable = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < in->n_published; i++)
		if (in->published[i].usable)
			usable++;
	out->must_add = usable > 0 && !in->new_authenticated;
	if (in->n_published + in->n_wanted == 0)
		return 0;
	if ((out->v = calloc(in->n_published + in->n_wanted, sizeof(*out->v))) == NULL)
		return MAILTLS_ENOMEM;
	for (int a = MAILTLS_ROLL_KEEP; a <= MAILTLS_ROLL_IGNORED; a++) {
		if (a == MAILTLS_ROLL_ADD) {
			for (size_t i = 0; out->must_add && i < in->n_wanted; i++) {
				const struct mailtls_tlsa_publish *w = &in->wanted[i];

				if (!is_published(in, w)
				    && step(out, MAILTLS_ROLL_ADD, w->usage, w->selector, w->mtype,
					    w->hex, i, 0) != 0)
					goto nomem;
			}
			continue;
		}
		for (size_t i = 0; i < in->n_published; i++) {
			const struct mailtls_roll_published *r = &in->published[i];

			if ((int)published_action(r) == a
			    && step(out, (enum mailtls_roll_action)a, r->usage, r->selector, r->mtype,
				    r->hex, i, r->matches_served) != 0)
				goto nomem;
		}
	}
	return 0;
nomem:
	mailtls_roll_plan_clear(out);
	return MAILTLS_ENOMEM;
}

/* Gathering the facts. */

/* digest_equal - a served fingerprint ("ab:cd:..."), colons ignored, against hex. */
static bool digest_equal(const char *colons, const char *hex)
{
	size_t j = 0;

	if (colons == NULL || hex == NULL)
		return false;
	for (size_t i = 0; colons[i] != '\0'; i++) {
		if (colons[i] == ':')
			continue;
		if (hex[j] == '\0' || (colons[i] | 0x20) != (hex[j] | 0x20))
			return false;
		j++;
	}
	return hex[j] == '\0' && j > 0;
}

/* served_match - record i of h (hex) against what address a serves: 1, 0, -1. */
static int served_match(const struct mailtls_mx_host *h, size_t i, const char *hex,
			const struct mailtls_mx_address *a)
{
	const struct mailtls_tlsa_record *t = &h->tlsa_records[i];
	const struct mailtls_result *s = a->server;

	if (s == NULL || !s->session.tls_established || s->chain_len == 0)
		return -1;
	if (a->tlsa_matched != NULL && t->usable)
		return a->tlsa_matched[i] ? 1 : 0;
	if (t->mtype != MAILTLS_TLSA_SHA256)
		return -1;
	for (size_t k = 0; k < s->chain_len; k++)
		if (digest_equal(t->selector == MAILTLS_TLSA_SPKI ? s->chain[k].spki_sha256
								   : s->chain[k].sha256, hex))
			return 1;
	return 0;
}

/* new_facts - the usable published records of h against the new chain: whether they
 * authenticate it, which match it, OpenSSL's reason when they do not. */
static int new_facts(const struct mailtls_rollover_params *p, const struct mailtls_mx_host *h,
		     struct mailtls_rollover_host *rh, bool *matches, bool *auth, char *why,
		     size_t whylen)
{
	struct mailtls_tlsa usable[MAILTLS_TLSA_MAX];
	size_t map[MAILTLS_TLSA_MAX];
	struct mailtls_dane_facts f = { 0 };
	size_t n = 0;
	int e;

	*auth = false;
	for (size_t i = 0; i < h->n_tlsa && n < MAILTLS_TLSA_MAX; i++)
		if (h->tlsa_records[i].usable) {
			map[n] = i;
			usable[n++] = (struct mailtls_tlsa){ .usage = h->tlsa_records[i].usage,
				.selector = h->tlsa_records[i].selector,
				.mtype = h->tlsa_records[i].mtype,
				.data = h->tlsa_records[i].data, .len = h->tlsa_records[i].len };
		}
	if (n == 0)
		return 0;
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
	*auth = mailtls_dane_facts_authenticated(&f);
	for (size_t k = 0; k < n && k < f.n_records; k++)
		matches[map[k]] = f.records[k].matches >= 0;
	if (!*auth && f.verify_text != NULL && f.verify_code != 0
	    && (rh->new_error = strdup(f.verify_text)) == NULL)
		e = MAILTLS_ENOMEM;
	mailtls_dane_facts_clear(&f);
	return e;
}

/* plan_host - facts and plan for host h into rh. */
static int plan_host(const struct mailtls_rollover_params *p, const struct mailtls_mx_host *h,
		     const struct mailtls_tlsa_set *wanted, struct mailtls_rollover_host *rh,
		     char *why, size_t whylen)
{
	const struct mailtls_domain_result *d = p->domain;
	enum host_dane hd = verdict_host_dane(d, h);
	struct mailtls_roll_published pub[MAILTLS_TLSA_MAX];
	char *hex[MAILTLS_TLSA_MAX] = { 0 };
	bool matches[MAILTLS_TLSA_MAX] = { 0 };
	size_t n = h->n_tlsa < MAILTLS_TLSA_MAX ? h->n_tlsa : MAILTLS_TLSA_MAX;
	bool auth = false;
	int e = MAILTLS_ENOMEM;

	if ((rh->name = strdup(h->name)) == NULL)
		return e;
	rh->n_addrs = h->n_addrs;
	for (size_t j = 0; j < h->n_addrs; j++)
		if (h->addrs[j].server != NULL && h->addrs[j].server->session.tls_established
		    && h->addrs[j].server->chain_len > 0)
			rh->n_served++;
	if (!h->tlsa.asked) {
		rh->why = strdup(h->n_addrs == 0 ? "no address: TLSA not asked"
						 : "TLSA not asked");
		return rh->why == NULL ? e : 0;
	}
	rh->tlsa_status = h->tlsa.status;
	rh->ttl = h->tlsa.ttl;
	if ((rh->owner = strdup(h->tlsa.qname != NULL ? h->tlsa.qname : "?")) == NULL)
		return e;
	if (hd == HOST_DANE_DEFER
	    || (h->tlsa.status == MAILTLS_DNS_NOANSWER && !h->tlsa.nxdomain)
	    || h->tlsa.status == MAILTLS_DNS_BOGUS) {
		char buf[400];

		snprintf(buf, sizeof(buf), "the TLSA lookup %s%s%s",
			 h->tlsa.status == MAILTLS_DNS_BOGUS ? "is bogus" : "got no answer",
			 h->tlsa.why_bogus || h->tlsa.why ? ": " : "",
			 h->tlsa.why_bogus ? h->tlsa.why_bogus : h->tlsa.why ? h->tlsa.why : "");
		rh->why = strdup(buf);
		return rh->why == NULL ? e : 0;
	}
	rh->planned = true;
	rh->dane_secure = hd == HOST_DANE_APPLIES || hd == HOST_DANE_UNUSABLE;
	rh->insecure_records = hd == HOST_DANE_NONE && h->n_tlsa > 0;
	if ((e = new_facts(p, h, rh, matches, &auth, why, whylen)) != 0)
		return e;
	e = MAILTLS_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct mailtls_tlsa_record *t = &h->tlsa_records[i];
		int served = h->n_addrs > 0 ? 0 : -1;

		if ((hex[i] = danefacts_hex(t->data, t->len)) == NULL)
			goto out;
		for (size_t j = 0; j < h->n_addrs && served != 1; j++) {
			int m = served_match(h, i, hex[i], &h->addrs[j]);

			served = m == 1 ? 1 : m < 0 ? -1 : served;
		}
		pub[i] = (struct mailtls_roll_published){ .usage = t->usage, .selector = t->selector,
			.mtype = t->mtype, .hex = hex[i], .usable = t->usable,
			.matches_new = matches[i], .matches_served = served };
	}
	struct mailtls_roll_input in = { .published = pub, .n_published = n, .wanted = wanted->v,
					 .n_wanted = wanted->n, .new_authenticated = auth };
	e = mailtls_roll_plan(&in, &rh->plan);
out:
	for (size_t i = 0; i < n; i++)
		free(hex[i]);
	return e;
}

void mailtls_rollover_free(struct mailtls_rollover *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_hosts; i++) {
		free(r->hosts[i].name);
		free(r->hosts[i].owner);
		free(r->hosts[i].why);
		free(r->hosts[i].new_error);
		mailtls_roll_plan_clear(&r->hosts[i].plan);
	}
	free(r->hosts);
	free(r->domain);
	free(r->unknown_reason);
	free(r);
}

/* host_selected - h is the MX host p->host names (by name, CNAME expansion or TLSA base). */
static bool host_selected(const struct mailtls_rollover_params *p, const struct mailtls_mx_host *h,
			  const char *want)
{
	if (p->host == NULL)
		return true;
	return strcasecmp(h->name, want) == 0
	       || (h->canonical != NULL && strcasecmp(h->canonical, want) == 0)
	       || (h->tlsa_base != NULL && strcasecmp(h->tlsa_base, want) == 0);
}

static int rollover(const struct mailtls_rollover_params *p, struct mailtls_rollover *r,
		    char *why, size_t whylen)
{
	const struct mailtls_domain_result *d = p->domain;
	struct mailtls_tlsa_set wanted = { 0 };
	char want[MAILTLS_NAME_MAX + 1] = "";
	size_t n = 0;
	int e;

	if (p->host != NULL && mailtls_name_normalize(p->host, want, sizeof(want)) != 0) {
		snprintf(why, whylen, "--host %s: not a valid host name", p->host);
		return MAILTLS_EINVAL;
	}
	if ((e = mailtls_tlsa_for_cert(p->cert_file, p->chain_file, &wanted, why, whylen)) != 0)
		return e;
	e = MAILTLS_ENOMEM;
	snprintf(why, whylen, "out of memory");
	r->checked = d->checked;
	r->null_mx = d->null_mx;
	r->port = p->port ? p->port : 25;
	if ((r->domain = strdup(d->domain)) == NULL
	    || (d->unknown_reason != NULL && (r->unknown_reason = strdup(d->unknown_reason)) == NULL)
	    || (d->checked && d->n_hosts == 0 && !d->null_mx
		&& (r->unknown_reason = verdict_no_hosts_why(d)) == NULL))
		goto out;
	for (size_t i = 0; i < d->n_hosts; i++)
		n += host_selected(p, &d->hosts[i], want);
	if (d->checked && p->host != NULL && n == 0) {
		int len = snprintf(why, whylen, "%s is not an MX host of %s (MX hosts:", want,
				   d->domain);

		for (size_t i = 0; i < d->n_hosts && len > 0 && (size_t)len < whylen; i++)
			len += snprintf(why + len, whylen - (size_t)len, "%s %s", i ? "," : "",
					d->hosts[i].name);
		if (len > 0 && (size_t)len < whylen)
			snprintf(why + len, whylen - (size_t)len, "%s)", d->n_hosts ? "" : " none");
		e = MAILTLS_EINVAL;
		goto out;
	}
	if (n > 0 && (r->hosts = calloc(n, sizeof(*r->hosts))) == NULL)
		goto out;
	for (size_t i = 0; i < d->n_hosts; i++) {
		if (!host_selected(p, &d->hosts[i], want))
			continue;
		if ((e = plan_host(p, &d->hosts[i], &wanted, &r->hosts[r->n_hosts++], why,
				   whylen)) != 0)
			goto out;
	}
	e = 0;
out:
	mailtls_tlsa_set_clear(&wanted);
	return e;
}

int mailtls_rollover_for_domain(const struct mailtls_rollover_params *p,
				struct mailtls_rollover **out, char *why, size_t whylen)
{
	struct mailtls_rollover *r;
	int e;

	*out = NULL;
	if (p == NULL || p->domain == NULL || p->domain->domain == NULL || p->cert_file == NULL) {
		snprintf(why, whylen, "rollover: a domain result and a certificate file are needed");
		return MAILTLS_EINVAL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return MAILTLS_ENOMEM;
	}
	if ((e = rollover(p, r, why, whylen)) != 0) {
		if (e == MAILTLS_ENOMEM)
			snprintf(why, whylen, "out of memory");
		mailtls_escape_inplace(why, whylen);
		mailtls_rollover_free(r);
		return e;
	}
	why[0] = '\0';
	*out = r;
	return 0;
}

enum mailtls_exit mailtls_rollover_exit_code(const struct mailtls_rollover *r)
{
	enum mailtls_exit x = MAILTLS_EXIT_OK;

	if (r == NULL || !r->checked || (r->n_hosts == 0 && !r->null_mx))
		return MAILTLS_EXIT_UNKNOWN;
	for (size_t i = 0; i < r->n_hosts; i++) {
		if (!r->hosts[i].planned)
			return MAILTLS_EXIT_UNKNOWN;
		if (r->hosts[i].plan.must_add)
			x = MAILTLS_EXIT_WARNING;
	}
	return x;
}
