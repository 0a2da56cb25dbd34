/*
 * summary.c - survey figures over a scan's results (summary.h). JSON by jansson.
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "summary.h"

#define TOP_N 10

void summary_init(struct summary *s)
{
	memset(s, 0, sizeof(*s));
}

static void table_add(struct summary_table *t, const char *key)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].key, key) == 0) {
			t->v[i].n++;
			return;
		}
	if (t->n < SUMMARY_KEYS_MAX && (t->v[t->n].key = strdup(key)) != NULL) {
		t->v[t->n++].n = 1;
		return;
	}
	t->other++;
}

/* count_ids - one count per id present in f and not yet seen. */
static void count_ids(struct summary *s, const struct mailtls_findings *f, bool seen[])
{
	for (size_t i = 0; i < f->n; i++) {
		enum mailtls_fid fid = f->v[i].fid;

		if ((unsigned)fid < MAILTLS_F_COUNT && !seen[fid]) {
			seen[fid] = true;
			s->ids[fid]++;
		}
	}
}

/* add_server - a checked server's TLS version, leaf issuer and days to expiry. */
static void add_server(struct summary *s, const struct mailtls_result *res)
{
	table_add(&s->versions, res->session.tls_version ? res->session.tls_version : "no TLS");
	if (res->chain_len > 0) {
		const struct mailtls_certinfo *leaf = &res->chain[0];
		long d = leaf->days_left;

		table_add(&s->issuers, leaf->issuer ? leaf->issuer : "(no issuer)");
		if (d < -SUMMARY_DAYS_SPAN)
			d = -SUMMARY_DAYS_SPAN;
		if (d > SUMMARY_DAYS_SPAN)
			d = SUMMARY_DAYS_SPAN;
		s->days[d + SUMMARY_DAYS_SPAN]++;
		s->n_days++;
	}
}

void summary_add(struct summary *s, const struct mailtls_result *res)
{
	bool seen[MAILTLS_F_COUNT] = { false };
	enum mailtls_exit code = mailtls_result_exit_code(res);

	s->results++;
	if ((unsigned)code < 4)
		s->verdicts[code]++;
	count_ids(s, &res->findings, seen);
	if (res->checked)
		add_server(s, res);
}

void summary_add_domain(struct summary *s, const struct mailtls_domain_result *res)
{
	bool seen[MAILTLS_F_COUNT] = { false };
	enum mailtls_exit code = mailtls_domain_exit_code(res);

	s->results++;
	if ((unsigned)code < 4)
		s->verdicts[code]++;
	count_ids(s, &res->findings, seen);
	for (size_t h = 0; h < res->n_hosts; h++)
		for (size_t a = 0; a < res->hosts[h].n_addrs; a++) {
			const struct mailtls_result *r = res->hosts[h].addrs[a].server;

			if (r == NULL)
				continue;
			count_ids(s, &r->findings, seen);
			if (r->checked) {
				s->servers++;
				add_server(s, r);
			}
		}
	if (!res->checked)
		return;
	for (int l = 0; l < MAILTLS_LEVEL_COUNT; l++)
		if ((unsigned)res->outcome[l] < SUMMARY_OUTCOMES)
			s->outcomes[l][res->outcome[l]]++;
}

/* quantile - the days_left at fraction q of the sorted values (nearest rank). */
static long quantile(const struct summary *s, double q)
{
	size_t rank = (size_t)(q * (double)(s->n_days - 1) + 0.5), seen = 0;

	for (size_t i = 0; i < sizeof(s->days) / sizeof(s->days[0]); i++) {
		seen += s->days[i];
		if (seen > rank)
			return (long)i - SUMMARY_DAYS_SPAN;
	}
	return SUMMARY_DAYS_SPAN;
}

/* top_k - indexes of the TOP_N largest non-zero counts, largest first; returns how many. */
static size_t top_k(const size_t *counts, size_t n, size_t out[TOP_N])
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		size_t j;

		if (counts[i] == 0 || (k == TOP_N && counts[i] <= counts[out[TOP_N - 1]]))
			continue;
		j = k < TOP_N ? k++ : TOP_N - 1;
		while (j > 0 && counts[out[j - 1]] < counts[i]) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = i;
	}
	return k;
}

/* top - the most frequent keys of t (indexes into t->v). */
static size_t top(const struct summary_table *t, size_t idx[TOP_N])
{
	size_t counts[SUMMARY_KEYS_MAX];

	for (size_t i = 0; i < t->n; i++)
		counts[i] = t->v[i].n;
	return top_k(counts, t->n, idx);
}

static void print_table(FILE *f, const char *title, const struct summary_table *t)
{
	size_t idx[TOP_N] = { 0 }, n = top(t, idx);

	fprintf(f, "%s:%s\n", title, t->n == 0 && t->other == 0 ? " (none)" : "");
	for (size_t i = 0; i < n; i++) {
		char *e = mailtls_escape(t->v[idx[i]].key, strlen(t->v[idx[i]].key));

		fprintf(f, "  %8zu  %s\n", t->v[idx[i]].n, e ? e : "?");
		free(e);
	}
	if (t->n > n || t->other > 0)
		fprintf(f, "  %8s  (%zu more)\n", "", t->n - n + (t->other ? 1 : 0));
}

/* print_outcomes - per sender level, the domains at each outcome (those with any). */
static void print_outcomes(const struct summary *s, FILE *f)
{
	fprintf(f, "outcome per sender level (domains checked):\n");
	for (int l = 0; l < MAILTLS_LEVEL_COUNT; l++) {
		const char *sep = "";

		fprintf(f, "  %-8s", mailtls_level_name((enum mailtls_level)l));
		for (int k = 0; k < SUMMARY_OUTCOMES; k++) {
			if (s->outcomes[l][k] == 0)
				continue;
			fprintf(f, "%s %s %zu", sep, mailtls_outcome_name((enum mailtls_outcome)k),
				s->outcomes[l][k]);
			sep = ",";
		}
		fputs(*sep ? "\n" : " (none)\n", f);
	}
}

void summary_print(const struct summary *s, FILE *f)
{
	size_t ids[TOP_N] = { 0 };
	size_t nids = top_k(s->ids, MAILTLS_F_COUNT, ids);

	fprintf(f, "scan summary: %zu %s: OK %zu, WARNING %zu, CRITICAL %zu, UNKNOWN %zu\n",
		s->results, s->domains ? "domains" : "results", s->verdicts[0], s->verdicts[1],
		s->verdicts[2], s->verdicts[3]);
	if (s->domains)
		print_outcomes(s, f);
	fprintf(f, "most common findings (%s with each):\n", s->domains ? "domains" : "results");
	for (size_t i = 0; i < nids; i++) {
		const struct mailtls_catalog_entry *c = mailtls_catalog_get((enum mailtls_fid)ids[i]);

		fprintf(f, "  %8zu  %-8s %s\n", s->ids[ids[i]], mailtls_severity_name(c->severity),
			c->id);
	}
	if (s->domains)
		fprintf(f, "MX addresses checked: %zu\n", s->servers);
	print_table(f, "TLS versions", &s->versions);
	print_table(f, "certificate issuers (leaf)", &s->issuers);
	if (s->n_days > 0)
		fprintf(f, "days to expiry (leaf, %zu certificates): min %ld, p10 %ld, median %ld, "
			"p90 %ld, max %ld\n", s->n_days, quantile(s, 0), quantile(s, 0.1),
			quantile(s, 0.5), quantile(s, 0.9), quantile(s, 1));
}

static json_t *table_json(const struct summary_table *t)
{
	json_t *o = json_object();
	size_t idx[TOP_N] = { 0 }, n = top(t, idx);

	/* Every key, most frequent first (the top ones sorted, then the rest as they came). */
	for (size_t i = 0; o && i < n; i++) {
		char *e = mailtls_escape(t->v[idx[i]].key, strlen(t->v[idx[i]].key));

		if (e != NULL)
			json_object_set_new(o, e, json_integer((json_int_t)t->v[idx[i]].n));
		free(e);
	}
	for (size_t i = 0; o && i < t->n; i++) {
		char *e = mailtls_escape(t->v[i].key, strlen(t->v[i].key));

		if (e != NULL && json_object_get(o, e) == NULL)
			json_object_set_new(o, e, json_integer((json_int_t)t->v[i].n));
		free(e);
	}
	if (o && t->other > 0)
		json_object_set_new(o, "(other)", json_integer((json_int_t)t->other));
	return o;
}

/* outcomes_json - {"may": {"authenticated": N, ...}, ...}: every level, every outcome. */
static json_t *outcomes_json(const struct summary *s)
{
	json_t *o = json_object();

	for (int l = 0; o && l < MAILTLS_LEVEL_COUNT; l++) {
		json_t *per = json_object();

		for (int k = 0; per && k < SUMMARY_OUTCOMES; k++)
			json_object_set_new(per, mailtls_outcome_name((enum mailtls_outcome)k),
					    json_integer((json_int_t)s->outcomes[l][k]));
		json_object_set_new(o, mailtls_level_name((enum mailtls_level)l), per);
	}
	return o;
}

char *summary_json(const struct summary *s)
{
	json_t *ids = json_object(), *root, *days;
	size_t top_f[TOP_N] = { 0 };
	size_t ntop = top_k(s->ids, MAILTLS_F_COUNT, top_f);
	char *out, *nl;

	for (size_t i = 0; ids && i < ntop; i++)
		json_object_set_new(ids, mailtls_catalog_get((enum mailtls_fid)top_f[i])->id,
				    json_integer((json_int_t)s->ids[top_f[i]]));
	for (size_t f = 0; ids && f < MAILTLS_F_COUNT; f++)
		if (s->ids[f] > 0 && json_object_get(ids, mailtls_catalog_get((enum mailtls_fid)f)->id) == NULL)
			json_object_set_new(ids, mailtls_catalog_get((enum mailtls_fid)f)->id,
					    json_integer((json_int_t)s->ids[f]));
	days = s->n_days == 0 ? json_null() :
	       json_pack("{s:I s:I s:I s:I s:I s:I}", "certificates", (json_int_t)s->n_days,
			 "min", (json_int_t)quantile(s, 0), "p10", (json_int_t)quantile(s, 0.1),
			 "median", (json_int_t)quantile(s, 0.5), "p90", (json_int_t)quantile(s, 0.9),
			 "max", (json_int_t)quantile(s, 1));
	root = json_pack("{s:I s:{s:I s:I s:I s:I} s:o s:o s:o s:o}",
			 "results", (json_int_t)s->results,
			 "verdicts", "OK", (json_int_t)s->verdicts[0],
			 "WARNING", (json_int_t)s->verdicts[1],
			 "CRITICAL", (json_int_t)s->verdicts[2],
			 "UNKNOWN", (json_int_t)s->verdicts[3],
			 "findings", ids ? ids : json_null(),
			 "tls_versions", table_json(&s->versions),
			 "issuers", table_json(&s->issuers),
			 "days_to_expiry", days);
	if (root == NULL)
		return NULL;
	if (s->domains && (json_object_set_new(root, "servers", json_integer((json_int_t)s->servers)) != 0 ||
			   json_object_set_new(root, "outcomes", outcomes_json(s)) != 0)) {
		json_decref(root);
		return NULL;
	}
	out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (out == NULL || (nl = realloc(out, strlen(out) + 2)) == NULL) {
		free(out);
		return NULL;
	}
	strcat(nl, "\n");
	return nl;
}

void summary_free(struct summary *s)
{
	for (size_t i = 0; i < s->versions.n; i++)
		free(s->versions.v[i].key);
	for (size_t i = 0; i < s->issuers.n; i++)
		free(s->issuers.v[i].key);
	memset(s, 0, sizeof(*s));
}
