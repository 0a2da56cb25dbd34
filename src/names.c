/*
 * names.c - the `names` command and `tlsa --domain` on the command line: run the domain
 * evaluation, hand it to the library's judgement (mailtls_names_judge(),
 * mailtls_rollover_for_domain()), print the outcome, pick the exit code. Every judgement
 * is the library's; this file only formats. Every line is made display-safe once more
 * before it is written (the library's strings already are; escaping is idempotent).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <mailtls/mailtls.h>
#include "names.h"

/* Output: a line built in a buffer, escaped, written. */
struct line {
	char buf[4096];
	size_t len;
};

static void add(struct line *l, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

static void add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= sizeof(l->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len = l->len + (size_t)n < sizeof(l->buf) ? l->len + (size_t)n : sizeof(l->buf) - 1;
}

static int emit(struct line *l)
{
	char *safe = mailtls_escape(l->buf, l->len);
	int r = safe != NULL && printf("%s\n", safe) >= 0 ? 0 : -1;

	free(safe);
	l->len = 0;
	l->buf[0] = '\0';
	return r;
}

/* evaluate - the domain evaluation behind both commands. 0 or -1 (said). */
static int evaluate(const struct cli_opts *o, enum mailtls_level level, unsigned port,
		    struct mailtls_domain_result **res, const char *what)
{
	struct mailtls_domain_params p;
	struct mailtls_engine_params ep;
	char why[512] = "";

	cli_domain_params(o, o->host, &p);
	p.level = level;
	p.have_level = true;
	p.port = port;
	p.transcript = false;
	p.no_mta_sts = true;          /* names and TLSA need no policy */
	cli_engine_params(o, &ep);
	if (mailtls_domain_run(&ep, &p, res, why, sizeof(why)) != 0) {
		say_error("%s %s: %s", what, o->host, why);
		return -1;
	}
	return 0;
}

/* names */

static const char *usage_text(int usage)
{
	return usage == 3 ? "DANE-EE(3)" : usage == 2 ? "DANE-TA(2)" : "a TLSA record";
}

/* cert_phrase - "covered (trusted)", "not covered (names: a, b; not trusted: id)", and
 * what the TLSA records say. */
static void cert_phrase(struct line *l, const struct mailtls_names_cert *c)
{
	if (c->covered_by >= 0) {
		add(l, "covered (");
	} else if (c->dns_names.n == 0) {
		add(l, "not covered (no DNS names; ");
	} else {
		add(l, "not covered (names: ");
		for (size_t i = 0; i < c->dns_names.n; i++)
			add(l, "%s%s", i ? ", " : "", c->dns_names.v[i]);
		add(l, "; ");
	}
	if (c->trusted)
		add(l, "trusted)");
	else
		add(l, "not trusted%s%s)", c->trust_issue ? ": " : "",
		    c->trust_issue ? c->trust_issue : "");
	switch (c->dane) {
	case MAILTLS_NAMES_DANE_NA:
		break;
	case MAILTLS_NAMES_DANE_MATCH:
		if (c->verdict == MAILTLS_COVER_YES)
			add(l, ", %s matches", usage_text(c->dane_usage));
		else
			add(l, ", but %s matches: DANE senders authenticate it",
			    usage_text(c->dane_usage));
		break;
	case MAILTLS_NAMES_DANE_FAILED:
		add(l, ", DANE fails: a TLSA record matches, but %s",
		    c->dane_error ? c->dane_error : "verification fails");
		break;
	case MAILTLS_NAMES_DANE_NO_MATCH:
		add(l, ", DANE fails: no TLSA record matches");
		break;
	case MAILTLS_NAMES_DANE_UNKNOWN:
		add(l, ", DANE unknown: the TLSA lookup failed");
		break;
	}
}

static void address_phrase(struct line *l, const struct mailtls_names_address *a)
{
	if (a->tls)
		cert_phrase(l, &a->served);
	else
		add(l, "%s", a->reached ? "no TLS" : "unreachable");
}

/* same_served - every address of h gets the same phrase. */
static bool same_served(const struct mailtls_names_host *h)
{
	struct line a = { .len = 0 }, b = { .len = 0 };

	if (h->n_addrs < 2)
		return true;
	address_phrase(&a, &h->addrs[0]);
	for (size_t j = 1; j < h->n_addrs; j++) {
		b.len = 0;
		b.buf[0] = '\0';
		address_phrase(&b, &h->addrs[j]);
		if (strcmp(a.buf, b.buf) != 0)
			return false;
	}
	return true;
}

static void needs_phrase(struct line *l, const struct mailtls_names_host *h)
{
	for (size_t i = 0; i < h->need.n; i++)
		add(l, "%s%s", i ? " or " : "", h->need.v[i]);
	if (h->need_under)
		add(l, " or a name under it");
}

static int names_text(const struct mailtls_names_report *r)
{
	struct line l = { .len = 0 };
	int wname = 0, wneed = 0;

	if (!r->checked) {
		add(&l, "%s: could not check: %s", r->domain,
		    r->unknown_reason ? r->unknown_reason : "no reason given");
		return emit(&l);
	}
	if (r->null_mx) {
		add(&l, "%s: null MX (RFC 7505): accepts no mail, no certificate needed", r->domain);
		return emit(&l);
	}
	if (r->n_hosts == 0) {
		add(&l, "%s: no MX host to check%s%s", r->domain, r->unknown_reason ? ": " : "",
		    r->unknown_reason ? r->unknown_reason : "");
		return emit(&l);
	}
	for (size_t i = 0; i < r->n_hosts; i++) {
		struct line n = { .len = 0 };

		needs_phrase(&n, &r->hosts[i]);
		if ((int)strlen(r->hosts[i].name) > wname)
			wname = (int)strlen(r->hosts[i].name);
		if ((int)n.len > wneed)
			wneed = (int)n.len;
	}
	for (size_t i = 0; i < r->n_hosts; i++) {
		const struct mailtls_names_host *h = &r->hosts[i];
		struct line n = { .len = 0 };

		needs_phrase(&n, h);
		add(&l, "%-*s  needs %-*s  served: ", wname, h->name, wneed, n.buf);
		if (h->n_addrs == 0)
			add(&l, "no address");
		else if (same_served(h))
			address_phrase(&l, &h->addrs[0]);
		else
			for (size_t j = 0; j < h->n_addrs; j++) {
				add(&l, "%s[%s] ", j ? "; " : "", h->addrs[j].addr);
				address_phrase(&l, &h->addrs[j]);
			}
		if (r->have_file) {
			add(&l, "  file: ");
			cert_phrase(&l, &h->file);
		}
		if (emit(&l) != 0)
			return -1;
	}
	return 0;
}

/* jstr - a JSON string, or null for NULL (every library string is valid UTF-8: escaped). */
static json_t *jstr(const char *s)
{
	json_t *j;

	if (s == NULL)
		return json_null();
	j = json_string(s);
	return j != NULL ? j : json_string("?");
}

static json_t *jlist(const struct mailtls_strlist *l)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < l->n; i++)
		json_array_append_new(a, jstr(l->v[i]));
	return a;
}

static json_t *jcert(const struct mailtls_names_cert *c)
{
	if (!c->present)
		return json_null();
	return json_pack("{s:o, s:o, s:o, s:b, s:o, s:s, s:o, s:o}",
			 "verdict", jstr(mailtls_cover_name(c->verdict)),
			 "dns_names", jlist(&c->dns_names),
			 "covered_by", c->covered_by >= 0 ? jstr(c->dns_names.v[c->covered_by])
							  : json_null(),
			 "trusted", c->trusted,
			 "trust_issue", jstr(c->trust_issue),
			 "dane", mailtls_names_dane_name(c->dane),
			 "dane_usage", c->dane_usage >= 0 ? json_integer(c->dane_usage) : json_null(),
			 "dane_error", jstr(c->dane_error));
}

static int names_json(const struct mailtls_names_report *r)
{
	json_t *root, *hosts = json_array();
	char *out;
	int code = (int)mailtls_names_exit_code(r);

	for (size_t i = 0; hosts != NULL && i < r->n_hosts; i++) {
		const struct mailtls_names_host *h = &r->hosts[i];
		json_t *addrs = json_array();

		for (size_t j = 0; addrs != NULL && j < h->n_addrs; j++)
			json_array_append_new(addrs, json_pack("{s:o, s:b, s:b, s:s, s:o}",
				"address", jstr(h->addrs[j].addr), "reached", h->addrs[j].reached,
				"tls", h->addrs[j].tls,
				"verdict", mailtls_cover_name(h->addrs[j].served.verdict),
				"certificate", jcert(&h->addrs[j].served)));
		json_array_append_new(hosts, json_pack("{s:o, s:i, s:o, s:b, s:b, s:s, s:o, s:o}",
			"name", jstr(h->name), "preference", (json_int_t)h->preference,
			"needs", jlist(&h->need), "needs_under", h->need_under,
			"dane_applies", h->dane_applies,
			"served", mailtls_cover_name(h->served),
			"addresses", addrs != NULL ? addrs : json_array(),
			"file", r->have_file ? jcert(&h->file) : json_null()));
	}
	root = json_pack("{s:s, s:s, s:o, s:s, s:s, s:i, s:b, s:o, s:b, s:o, s:o, s:o}",
		"mailtls_version", mailtls_version(), "mode", "names", "domain", jstr(r->domain),
		"level", mailtls_level_name(r->level),
		"verdict", mailtls_exit_name((enum mailtls_exit)code), "exit_code", code,
		"checked", r->checked, "unknown_reason", jstr(r->unknown_reason),
		"null_mx", r->null_mx,
		"served", jstr(r->n_hosts ? mailtls_cover_name(r->served) : NULL),
		"file", r->have_file ? json_pack("{s:o, s:o, s:s}", "cert_file", jstr(r->cert_file),
						 "chain_file", jstr(r->chain_file),
						 "verdict", mailtls_cover_name(r->file))
				     : json_null(),
		"mx_hosts", hosts != NULL ? hosts : json_array());
	if (root == NULL)
		return -1;
	out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (out == NULL)
		return -1;
	printf("%s\n", out);
	free(out);
	return 0;
}

int names_run(const struct cli_opts *o)
{
	enum mailtls_level level = o->level >= 0 ? (enum mailtls_level)o->level : MAILTLS_LEVEL_VERIFY;
	struct mailtls_domain_result *res = NULL;
	struct mailtls_names_report *r = NULL;
	struct mailtls_names_params np = {
		.level = level,
		.cert_file = o->cert_file,
		.chain_file = o->chain_file,
		.ca_file = o->ca_file,
		.ca_path = o->ca_path,
		.warn_days = o->warn_days,
	};
	char why[512] = "";
	int code, w;

	if (evaluate(o, level, 0, &res, "names") != 0)
		return MAILTLS_EXIT_UNKNOWN;
	np.domain = res;
	if (mailtls_names_judge(&np, &r, why, sizeof(why)) != 0) {
		say_error("names %s: %s", o->host, why);
		mailtls_domain_result_free(res);
		return MAILTLS_EXIT_UNKNOWN;
	}
	mailtls_domain_result_free(res);
	code = (int)mailtls_names_exit_code(r);
	w = o->format == FMT_JSON ? names_json(r) : names_text(r);
	mailtls_names_report_free(r);
	if (w != 0 || fflush(stdout) != 0) {
		say_error("names %s: cannot write the report", o->host);
		return MAILTLS_EXIT_UNKNOWN;
	}
	return code;
}

/* tlsa --domain */

static const char *step_label(enum mailtls_roll_action a)
{
	switch (a) {
	case MAILTLS_ROLL_KEEP: return "keep";
	case MAILTLS_ROLL_ADD: return "add now";
	case MAILTLS_ROLL_REMOVE_AFTER: return "remove after switch";
	case MAILTLS_ROLL_REMOVE: return "may remove";
	case MAILTLS_ROLL_IGNORED: return "ignored";
	}
	return "?";
}

static bool has_action(const struct mailtls_roll_plan *p, enum mailtls_roll_action a)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].action == a)
			return true;
	return false;
}

static int rollover_host(const struct mailtls_rollover_host *h, const struct mailtls_tlsa_set *set)
{
	struct line l = { .len = 0 };
	const struct mailtls_roll_plan *p = &h->plan;
	size_t usable = 0;

	if (!h->planned) {
		add(&l, "%s: cannot plan: %s%s", h->name, h->why ? h->why : "no TLSA answer",
		    h->tlsa_status == MAILTLS_DNS_BOGUS ? "; DANE senders defer mail to it now" : "");
		return emit(&l);
	}
	add(&l, "%s: TLSA %s (", h->name, h->owner);
	if (p->n == 0)
		add(&l, "none published, %s", mailtls_dns_status_name(h->tlsa_status));
	else
		add(&l, "%s, TTL %u s", h->dane_secure ? "DNSSEC-secure"
			: mailtls_dns_status_name(h->tlsa_status), h->ttl);
	add(&l, "); %zu of %zu address%s serve%s a chain now", h->n_served, h->n_addrs,
	    h->n_addrs == 1 ? "" : "es", h->n_served == 1 ? "s" : "");
	if (emit(&l) != 0)
		return -1;
	if (h->insecure_records) {
		add(&l, "  warning: these TLSA records are not DNSSEC-secure (or the MX or address "
		    "records leading to them are not): no DANE sender uses them");
		if (emit(&l) != 0)
			return -1;
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct mailtls_roll_step *s = &p->v[i];

		if (s->action != MAILTLS_ROLL_IGNORED)
			usable++;
		add(&l, "  %-19s  %s. IN TLSA %u %u %u %s  ; ", step_label(s->action), h->owner,
		    s->usage, s->selector, s->mtype, s->hex);
		switch (s->action) {
		case MAILTLS_ROLL_KEEP:
			add(&l, "published, matches the new chain%s",
			    s->matches_served == 1 ? " and the chain served now" : "");
			break;
		case MAILTLS_ROLL_ADD:
			if (s->index < set->n && set->v[s->index].cert_index > 0)
				add(&l, "the new chain's issuer %s", set->v[s->index].subject);
			else
				add(&l, "the new leaf's key");
			break;
		case MAILTLS_ROLL_REMOVE_AFTER:
			if (s->matches_served == 1)
				add(&l, "matches the chain served now: it must stay until every "
				    "address serves the new one");
			else
				add(&l, "could not be compared with the chain served now: keep it "
				    "until every address serves the new one");
			break;
		case MAILTLS_ROLL_REMOVE:
			add(&l, "matches neither the chain served now nor the new one (stale, or a "
			    "key meant for a later rollover)");
			break;
		case MAILTLS_ROLL_IGNORED:
			add(&l, "not used by SMTP senders: %s (RFC 7672 3.1)",
			    mailtls_tlsa_unusable_reason(s->usage, s->selector, s->mtype,
							 s->hex ? strlen(s->hex) / 2 : 0));
			break;
		}
		if (emit(&l) != 0)
			return -1;
	}
	if (p->must_add) {
		add(&l, "  plan: publish the records marked \"add now\", then wait at least the "
		    "TLSA RRset's TTL as the zone publishes it (the resolver had %u s of it left "
		    "in its cache) before switching", h->ttl);
		if (has_action(p, MAILTLS_ROLL_REMOVE_AFTER))
			add(&l, "; remove the ones marked \"remove after switch\" only once every "
			    "address serves the new chain");
		if (h->new_error != NULL)
			add(&l, " (the published records do not authenticate the new chain: %s)",
			    h->new_error);
	} else if (usable > 0) {
		add(&l, "  plan: nothing to publish: the published records already authenticate "
		    "the new chain");
		if (has_action(p, MAILTLS_ROLL_REMOVE_AFTER))
			add(&l, "; remove the ones marked \"remove after switch\" only once every "
			    "address serves the new chain");
	} else if (p->n > 0) {
		add(&l, "  plan: nothing to publish: no usable TLSA record (DANE-TA or DANE-EE), "
		    "so DANE senders only require TLS");
	} else {
		add(&l, "  plan: nothing to publish: no TLSA records, DANE is not in use here "
		    "(to start, publish the records 'mailtls tlsa' prints without --domain)");
	}
	return emit(&l);
}

int rollover_run(const struct cli_opts *o)
{
	struct mailtls_domain_result *res = NULL;
	struct mailtls_rollover *r = NULL;
	struct mailtls_tlsa_set set = { 0 };
	struct mailtls_rollover_params rp = {
		.cert_file = o->cert_file,
		.chain_file = o->chain_file,
		.host = o->tlsa_host,
		.port = o->port,
	};
	struct line l = { .len = 0 };
	char why[512] = "";
	int code, w = 0;

	/* The files first: an unreadable one is said before any network step. */
	if (mailtls_tlsa_for_cert(o->cert_file, o->chain_file, &set, why, sizeof(why)) != 0) {
		say_error("tlsa: %s", why);
		return MAILTLS_EXIT_UNKNOWN;
	}
	if (evaluate(o, MAILTLS_LEVEL_DANE, o->port, &res, "tlsa --domain") != 0) {
		mailtls_tlsa_set_clear(&set);
		return MAILTLS_EXIT_UNKNOWN;
	}
	rp.domain = res;
	if (mailtls_rollover_for_domain(&rp, &r, why, sizeof(why)) != 0) {
		say_error("tlsa --domain %s: %s", o->host, why);
		mailtls_domain_result_free(res);
		mailtls_tlsa_set_clear(&set);
		return MAILTLS_EXIT_UNKNOWN;
	}
	mailtls_domain_result_free(res);
	code = (int)mailtls_rollover_exit_code(r);
	if (!r->checked) {
		add(&l, "%s: could not check: %s", r->domain,
		    r->unknown_reason ? r->unknown_reason : "no reason given");
		w = emit(&l);
	} else if (r->null_mx) {
		add(&l, "%s: null MX (RFC 7505): accepts no mail, no TLSA records needed", r->domain);
		w = emit(&l);
	} else if (r->n_hosts == 0) {
		add(&l, "%s: no MX host to plan for%s%s", r->domain, r->unknown_reason ? ": " : "",
		    r->unknown_reason ? r->unknown_reason : "");
		w = emit(&l);
	}
	for (size_t i = 0; i < r->n_hosts && w == 0; i++)
		w = rollover_host(&r->hosts[i], &set);
	mailtls_rollover_free(r);
	mailtls_tlsa_set_clear(&set);
	if (w != 0 || fflush(stdout) != 0) {
		say_error("tlsa --domain %s: cannot write the plan", o->host);
		return MAILTLS_EXIT_UNKNOWN;
	}
	return code;
}
