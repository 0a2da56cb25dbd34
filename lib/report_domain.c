/*
 * report_domain.c - a domain result as text (summary table, findings by MX host and
 * address, outcome per sender level) and as JSON (docs/json.md, "mode": "domain").
 * Formatting only: every judgement is in the result already (verdict.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <mailtls/mailtls.h>
#include <mailtls/domain.h>
#include <mailtls/report.h>
#include "escape.h"
#include "report_json.h"
#include "report_mtasts.h"
#include "report_textutil.h"
#include "report_survey.h"

static void cell(FILE *f, const char *s, int width)
{
	char *e = escape_text(s ? s : "-", strlen(s ? s : "-"));

	fprintf(f, "%-*s ", width, e ? e : "?");
	free(e);
}

static const char *cert_cell(const struct mailtls_result *s, char *buf, size_t len)
{
	if (s == NULL || !s->session.tls_established || s->chain_len == 0)
		return "-";
	if (s->would_authenticate)
		return "verified";
	for (size_t i = 0; i < s->findings.n; i++)
		if (strncmp(s->findings.v[i].id, "cert.", 5) == 0
		    && mailtls_catalog_get(s->findings.v[i].fid)->severity == MAILTLS_SEV_CRITICAL) {
			snprintf(buf, len, "%s", s->findings.v[i].id + 5);
			return buf;
		}
	return "not verified";
}

static const char *dane_cell(const struct mailtls_mx_host *h, const struct mailtls_mx_address *a,
			     char *buf, size_t len)
{
	if (a->dane_checked) {
		snprintf(buf, len, "%s", a->dane_authenticated ? "match" : "FAIL");
		return buf;
	}
	if (!h->tlsa.asked)
		return "-";
	if (h->n_tlsa == 0)
		snprintf(buf, len, "none (%s)", mailtls_dns_status_name(h->tlsa.status));
	else
		snprintf(buf, len, "%zu TLSA (%s)", h->n_tlsa, mailtls_dns_status_name(h->tlsa.status));
	return buf;
}

char *mailtls_report_domain_text(const struct mailtls_domain_result *res,
				 const struct mailtls_report_opts *opts)
{
	char *buf = NULL, cbuf[128], dbuf[64];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bool color = opts && opts->color;
	enum mailtls_exit code = mailtls_domain_exit_code(res);

	if (f == NULL)
		return NULL;
	fputs("mailtls domain ", f);
	report_put(f, res->domain);
	fprintf(f, " (level %s)\n", mailtls_level_name(res->level));
	fputs("MX lookup: ", f);
	report_lookup_text(f, &res->mx);
	fputc('\n', f);
	if (!res->checked) {
		fputs("Could not check: ", f);
		report_put(f, res->unknown_reason);
		fputc('\n', f);
	}
	if (res->null_mx)
		fputs("Null MX: this domain accepts no mail.\n", f);
	if (res->n_hosts > 0) {
		fputs("\n", f);
		fprintf(f, "%-5s %-28s %-26s %-8s %-8s %-22s %s\n", "PREF", "MX HOST", "ADDRESS",
			"STARTTLS", "TLS", "CERTIFICATE", "DANE");
	}
	for (size_t i = 0; i < res->n_hosts; i++) {
		const struct mailtls_mx_host *h = &res->hosts[i];

		if (h->n_addrs == 0) {
			fprintf(f, "%-5u ", h->preference);
			cell(f, h->name, 28);
			fputs("(no address)\n", f);
		}
		for (size_t j = 0; j < h->n_addrs; j++) {
			const struct mailtls_mx_address *a = &h->addrs[j];
			const struct mailtls_result *s = a->server;

			fprintf(f, "%-5u ", h->preference);
			cell(f, j == 0 ? h->name : "", 28);
			cell(f, a->addr, 26);
			cell(f, s == NULL || s->session.banner == NULL ? "-" :
				s->session.starttls_offered ? "yes" : "no", 8);
			cell(f, s && s->session.tls_established ? s->session.tls_version : "-", 8);
			cell(f, cert_cell(s, cbuf, sizeof(cbuf)), 22);
			fputs(dane_cell(h, a, dbuf, sizeof(dbuf)), f);
			fputc('\n', f);
		}
	}
	if (res->n_hosts > 0)
		fputs("\nMX hosts\n", f);
	for (size_t i = 0; i < res->n_hosts; i++) {
		const struct mailtls_mx_host *h = &res->hosts[i];

		fputs("  ", f);
		report_put(f, h->name);
		fprintf(f, " (preference %u%s)\n", h->preference, h->implicit ? ", implicit MX" : "");
		if (h->a.asked) {
			fputs("    A: ", f);
			report_lookup_text(f, &h->a);
			fputc('\n', f);
		}
		if (h->aaaa.asked) {
			fputs("    AAAA: ", f);
			report_lookup_text(f, &h->aaaa);
			fputc('\n', f);
		}
		if (h->tlsa_expanded.asked) {
			fputs("    TLSA ", f);
			report_put(f, h->tlsa_expanded.qname);
			fputs(": ", f);
			report_lookup_text(f, &h->tlsa_expanded);
			fputc('\n', f);
		}
		if (h->tlsa.asked) {
			fputs("    TLSA ", f);
			report_put(f, h->tlsa.qname);
			fputs(": ", f);
			report_lookup_text(f, &h->tlsa);
			fputc('\n', f);
			for (size_t k = 0; k < h->n_tlsa; k++) {
				const struct mailtls_tlsa_record *t = &h->tlsa_records[k];

				fprintf(f, "      %u %u %u ", t->usage, t->selector, t->mtype);
				for (size_t b = 0; b < t->len && b < 32; b++)
					fprintf(f, "%02x", t->data[b]);
				fprintf(f, "%s%s\n", t->len > 32 ? "..." : "", t->usable ? "" : " (unusable)");
			}
		}
		report_findings_about(f, &res->findings, h->name, NULL, color, "    ");
		for (size_t j = 0; j < h->n_addrs; j++) {
			const struct mailtls_mx_address *a = &h->addrs[j];
			const struct mailtls_result *s = a->server;

			fprintf(f, "    [%s]:%u", a->addr, res->port);
			if (a->ptr_name) {
				fputs("  PTR ", f);
				report_put(f, a->ptr_name);
			}
			if (s && s->session.banner_name) {
				fputs("  banner ", f);
				report_put(f, s->session.banner_name);
			}
			if (s && s->session.ehlo_name) {
				fputs("  EHLO ", f);
				report_put(f, s->session.ehlo_name);
			}
			fputc('\n', f);
			report_findings_about(f, &res->findings, h->name, a->addr, color, "      ");
			if (s != NULL)
				report_findings_about(f, &s->findings, s->session.host, s->session.addr, color,
					      "      ");
			if (s != NULL)
				report_survey_text_indented(f, s->survey, "      ");
			if (s != NULL && opts && opts->transcript && s->session.transcript) {
				fputs("      Transcript\n", f);
				fputs(s->session.transcript, f);
			}
		}
	}
	report_mtasts_text(f, res, color);
	if (res->findings.n > 0) {
		bool any = false;

		for (size_t i = 0; i < res->findings.n; i++)
			any |= res->findings.v[i].subject.host == NULL
				&& !report_mtasts_finding(&res->findings.v[i]);
		if (any) {
			fputs("\nDomain\n", f);
			report_findings_where(f, &res->findings, NULL, NULL, report_not_mtasts_finding,
					      color, "  ");
		}
	}
	if (res->checked && !res->null_mx) {
		fputs("\nOutcome per sender level\n", f);
		for (int l = 0; l < MAILTLS_LEVEL_COUNT; l++) {
			fprintf(f, "  %s %-8s %-14s", l == (int)res->level ? "*" : " ",
				mailtls_level_name(l), mailtls_outcome_name(res->outcome[l]));
			if (res->outcome_via[l]) {
				fputs(" via ", f);
				report_put(f, res->outcome_via[l]);
			}
			if (res->outcome_worst[l] != res->outcome[l])
				fprintf(f, " (a less preferred host: %s)",
					mailtls_outcome_name(res->outcome_worst[l]));
			fputc('\n', f);
		}
	}
	fprintf(f, "Verdict: %s%s%s at level %s\n", color ? report_exit_color(code) : "",
		mailtls_exit_name(code), color ? REPORT_C_RESET : "", mailtls_level_name(res->level));
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* JSON */

static json_t *outcomes_json(const enum mailtls_outcome *o, char *const *via)
{
	json_t *obj = json_object();

	for (int l = 0; obj && l < MAILTLS_LEVEL_COUNT; l++)
		json_object_set_new(obj, mailtls_level_name(l),
				    via ? json_pack("{s:s s:o}", "outcome", mailtls_outcome_name(o[l]),
						    "via", report_jstr(via[l]))
					: json_string(mailtls_outcome_name(o[l])));
	return obj;
}

static json_t *hex_json(const unsigned char *p, size_t n)
{
	char *s = malloc(n * 2 + 1);
	json_t *j;

	if (s == NULL)
		return json_null();
	for (size_t i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", p[i]);
	s[2 * n] = '\0';
	j = json_string(s);
	free(s);
	return j ? j : json_null();
}

static json_t *address_json(const struct mailtls_mx_address *a)
{
	json_t *o = json_pack("{s:o s:i s:o s:o s:o s:o}",
			      "address", report_jstr(a->addr),
			      "family", a->family,
			      "ptr", report_lookup_json(&a->ptr),
			      "ptr_name", report_jstr(a->ptr_name),
			      "outcomes", outcomes_json(a->outcome, NULL),
			      "dane", json_pack("{s:b s:b s:b s:o s:o s:o}",
						"applies", a->dane_applies,
						"checked", a->dane_checked,
						"authenticated", a->dane_authenticated,
						"depth", a->dane_depth >= 0 ? json_integer(a->dane_depth) : json_null(),
						"usage", a->dane_usage >= 0 ? json_integer(a->dane_usage) : json_null(),
						"error", report_jstr(a->dane_error)));

	if (o != NULL)
		json_object_set_new(o, "server", a->server ? report_result_json(a->server) : json_null());
	return o;
}

static json_t *host_json(const struct mailtls_domain_result *res, const struct mailtls_mx_host *h)
{
	json_t *recs = json_array(), *addrs = json_array();

	for (size_t i = 0; recs && i < h->n_tlsa; i++)
		json_array_append_new(recs, json_pack("{s:i s:i s:i s:o s:b s:b}",
			"usage", h->tlsa_records[i].usage, "selector", h->tlsa_records[i].selector,
			"mtype", h->tlsa_records[i].mtype,
			"data", hex_json(h->tlsa_records[i].data, h->tlsa_records[i].len),
			"usable", h->tlsa_records[i].usable, "refused", h->tlsa_records[i].refused));
	for (size_t j = 0; addrs && j < h->n_addrs; j++)
		json_array_append_new(addrs, address_json(&h->addrs[j]));
	return json_pack("{s:o s:i s:b s:b s:o s:b s:{s:o s:o s:o s:o} s:o s:o s:I s:o s:o s:I s:o s:o}",
			 "name", report_jstr(h->name),
			 "preference", (int)h->preference,
			 "implicit", h->implicit,
			 "ip_literal", h->ip_literal,
			 "canonical", report_jstr(h->canonical),
			 "canonical_secure", h->canonical_secure,
			 "dns", "a", report_lookup_json(&h->a), "aaaa", report_lookup_json(&h->aaaa),
				"tlsa", report_lookup_json(&h->tlsa), "tlsa_expanded", report_lookup_json(&h->tlsa_expanded),
			 "tlsa_base", report_jstr(h->tlsa_base),
			 "tlsa_records", recs,
			 "tlsa_omitted", (json_int_t)h->tlsa_omitted,
			 "dane_names", report_jlist(&h->dane_names),
			 "outcomes", outcomes_json(h->outcome, NULL),
			 "addresses_omitted", (json_int_t)h->addrs_omitted,
			 "addresses", addrs,
			 "mta_sts", report_mtasts_host_json(res, h));
}

static json_t *domain_json(const struct mailtls_domain_result *res)
{
	enum mailtls_exit code = mailtls_domain_exit_code(res);
	json_t *hosts = json_array(), *root;

	for (size_t i = 0; hosts && i < res->n_hosts; i++)
		json_array_append_new(hosts, host_json(res, &res->hosts[i]));
	root = json_pack("{s:s s:s s:o s:s s:s s:i s:b s:o s:o s:f s:i s:b s:{s:o} s:b s:i s:b s:b s:I s:o s:o s:o}",
			 "mailtls_version", mailtls_version(),
			 "mode", "domain",
			 "domain", report_jstr(res->domain),
			 "level", mailtls_level_name(res->level),
			 "verdict", mailtls_exit_name(code),
			 "exit_code", (int)code,
			 "checked", res->checked,
			 "unknown_reason", report_jstr(res->unknown_reason),
			 "validation_time", report_jtime(res->validation_time),
			 "elapsed_ms", res->elapsed_ms,
			 "port", (int)res->port,
			 "validating", res->validating,
			 "dns", "mx", report_lookup_json(&res->mx),
			 "null_mx", res->null_mx,
			 "null_mx_preference", (int)res->null_mx_preference,
			 "null_mx_mixed", res->null_mx_mixed,
			 "implicit_mx", res->implicit_mx,
			 "hosts_omitted", (json_int_t)res->hosts_omitted,
			 "outcomes", outcomes_json(res->outcome, res->outcome_via),
			 "outcomes_worst", outcomes_json(res->outcome_worst, NULL),
			 "mx_hosts", hosts);
	if (root != NULL) {
		json_object_set_new(root, "mta_sts", report_mtasts_json(res));
		json_object_set_new(root, "postfix_policy", res->postfix_policy
				    ? json_pack("{s:o s:o}", "entry", report_jstr(res->postfix_policy),
						"why", report_jstr(res->postfix_why))
				    : json_null());
		json_object_set_new(root, "findings", report_findings_json(&res->findings));
	}
	return root;
}

char *mailtls_report_domain_json(const struct mailtls_domain_result *res)
{
	return report_dump(domain_json(res), JSON_INDENT(2));
}

char *mailtls_report_domain_jsonl(const struct mailtls_domain_result *res, const char *input,
				  long line)
{
	json_t *root = domain_json(res);

	if (root != NULL && (json_object_set_new(root, "input", report_jstr(input)) != 0 ||
			     json_object_set_new(root, "line", json_integer(line)) != 0)) {
		json_decref(root);
		return NULL;
	}
	return report_dump(root, JSON_COMPACT);
}
