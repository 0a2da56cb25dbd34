/*
 * report_mtasts.c - the MTA-STS and TLS-RPT part of a domain report (text section and JSON
 * objects), and the Postfix policy line (`--format postfix`). Formatting only: the facts
 * and the judgements are in the domain result already (stsgather.c, verdict_mtasts.c,
 * verdict_postfix.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <mailtls/mailtls.h>
#include <mailtls/domain.h>
#include <mailtls/report.h>
#include "report_json.h"
#include "report_mtasts.h"
#include "report_textutil.h"

#define BODY_LINES_SHOWN 12           /* policy lines shown in the text report */
#define BODY_LINE_SHOWN 100           /* bytes of each */

static void lookup_line(FILE *f, const char *label, const struct mailtls_dns_lookup *l)
{
	fputs(label, f);
	report_lookup_text(f, l);
	fputc('\n', f);
}

static void records_text(FILE *f, const struct mailtls_strlist *l, const char *indent)
{
	for (size_t i = 0; i < l->n; i++) {
		fprintf(f, "%s\"", indent);
		report_put(f, l->v[i]);
		fputs("\"\n", f);
	}
}

/* body_text - the first lines of the policy as fetched, escaped and cut. */
static void body_text(FILE *f, const char *body, size_t len)
{
	size_t off = 0, shown = 0, more = 0;

	while (off < len) {
		const char *nl = memchr(body + off, '\n', len - off);
		const char *line = body + off, *stop = nl ? nl : body + len;
		size_t end, cut;
		char *esc;

		if (stop > line && stop[-1] == '\r')
			stop--;   /* CRLF */
		end = (size_t)(stop - line);
		cut = end > BODY_LINE_SHOWN ? BODY_LINE_SHOWN : end;
		if (shown < BODY_LINES_SHOWN) {
			esc = mailtls_escape(body + off, cut);
			fprintf(f, "    | %s%s\n", esc ? esc : "?", end > BODY_LINE_SHOWN ? "..." : "");
			free(esc);
			shown++;
		} else {
			more++;
		}
		off = nl ? (size_t)(nl - body) + 1 : len;
	}
	if (more > 0)
		fprintf(f, "    | (%zu more lines)\n", more);
}

static void policy_text(FILE *f, const struct mailtls_domain_result *res, bool color)
{
	const struct mailtls_sts_policy *p = &res->mtasts.policy;

	fputs("  policy ", f);
	report_put(f, p->url);
	fputc('\n', f);
	lookup_line(f, "    A: ", &p->a);
	lookup_line(f, "    AAAA: ", &p->aaaa);
	if (p->fetch == MAILTLS_FETCH_NO_ADDRESS || p->fetch == MAILTLS_FETCH_NOT_TRIED) {
		fputs("    not fetched: ", f);
		report_put(f, p->why);
		fputc('\n', f);
	} else {
		fputs("    fetched", f);
		if (p->addr) {
			fputs(" from [", f);
			report_put(f, p->addr);
			fputc(']', f);
		}
		fprintf(f, ": %s", mailtls_fetch_status_name(p->fetch));
		if (p->http_status)
			fprintf(f, ", HTTP %ld", p->http_status);
		if (p->content_type) {
			fputs(", ", f);
			report_put(f, p->content_type);
		}
		if (p->location) {
			fputs(", Location ", f);
			report_put(f, p->location);
		}
		fprintf(f, ", %zu bytes, %.0f ms", p->body_len, p->elapsed_ms);
		if (p->fetch != MAILTLS_FETCH_OK && p->why) {
			fputs(" (", f);
			report_put(f, p->why);
			fputc(')', f);
		}
		fputc('\n', f);
	}
	if (p->body && (p->fetch == MAILTLS_FETCH_OK || p->fetch == MAILTLS_FETCH_CONTENT_TYPE
			|| p->fetch == MAILTLS_FETCH_TOO_LARGE))
		body_text(f, p->body, p->body_len);
	if (p->fetch == MAILTLS_FETCH_OK) {
		fprintf(f, "    %s: mode %s", p->valid ? "valid" : "invalid",
			mailtls_sts_mode_name(p->mode));
		if (p->have_max_age)
			fprintf(f, ", max_age %lu", p->max_age);
		for (size_t i = 0; i < p->mx.n; i++) {
			fputs(i ? ", " : ", mx ", f);
			report_put(f, p->mx.v[i]);
		}
		fputc('\n', f);
	}
	report_findings_about(f, &res->findings, p->host, p->addr, color, "    ");
}

bool report_mtasts_finding(const struct mailtls_finding *fi)
{
	return strncmp(fi->id, "mtasts.", 7) == 0 || strncmp(fi->id, "tlsrpt.", 7) == 0;
}

bool report_not_mtasts_finding(const struct mailtls_finding *fi)
{
	return !report_mtasts_finding(fi);
}

static bool tlsrpt_finding(const struct mailtls_finding *fi)
{
	return strncmp(fi->id, "tlsrpt.", 7) == 0;
}

static bool mtasts_only_finding(const struct mailtls_finding *fi)
{
	return strncmp(fi->id, "mtasts.", 7) == 0;
}

void report_mtasts_text(FILE *f, const struct mailtls_domain_result *res, bool color)
{
	const struct mailtls_mtasts *m = &res->mtasts;

	if (!m->evaluated)
		return;
	fputs("\nMTA-STS\n", f);
	fputs("  ", f);
	report_put(f, m->txt.lookup.qname);
	lookup_line(f, " TXT: ", &m->txt.lookup);
	records_text(f, &m->txt.records, "    ");
	policy_text(f, res, color);
	if (m->in_effect) {
		fprintf(f, "  in effect (mode %s); per MX host:\n",
			mailtls_sts_mode_name(m->policy.mode));
		for (size_t i = 0; i < res->n_hosts; i++) {
			const struct mailtls_mx_host *h = &res->hosts[i];

			fputs("    ", f);
			report_put(f, h->name);
			if (h->sts_pattern >= 0) {
				fputs(": listed (", f);
				report_put(f, m->policy.mx.v[h->sts_pattern]);
				fputc(')', f);
			} else {
				fputs(": not listed", f);
			}
			fprintf(f, ", %s%s\n", mailtls_sts_host_name(h->sts),
				h->dane_governs ? "; DANE governs for senders with DANE" : "");
		}
	} else {
		fputs("  not in effect: senders deliver as without MTA-STS\n", f);
	}
	report_findings_where(f, &res->findings, NULL, NULL, mtasts_only_finding, color, "  ");
	fputs("TLS-RPT\n  ", f);
	report_put(f, m->tlsrpt.lookup.qname);
	lookup_line(f, " TXT: ", &m->tlsrpt.lookup);
	records_text(f, &m->tlsrpt.records, "    ");
	for (size_t i = 0; i < m->tlsrpt.n_rua; i++) {
		fputs("    rua ", f);
		report_put(f, m->tlsrpt.rua[i].uri);
		fputs(m->tlsrpt.rua[i].valid ? ": valid\n" : ": not valid\n", f);
	}
	report_findings_where(f, &res->findings, NULL, NULL, tlsrpt_finding, color, "  ");
}

/* JSON */

static json_t *problems_json(const struct mailtls_sts_problems *ps)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < ps->n; i++)
		json_array_append_new(a, json_pack("{s:s s:o s:o s:b}",
			"defect", mailtls_sts_defect_key(ps->v[i].defect),
			"line", ps->v[i].line ? json_integer(ps->v[i].line) : json_null(),
			"quote", report_jstr(ps->v[i].quote),
			"fatal", ps->v[i].fatal));
	return a;
}

static json_t *body_json(const struct mailtls_sts_policy *p)
{
	char *esc;
	json_t *j;

	if (p->body == NULL)
		return json_null();
	esc = mailtls_escape(p->body, p->body_len);
	j = report_jstr(esc);
	free(esc);
	return j;
}

json_t *report_mtasts_json(const struct mailtls_domain_result *res)
{
	const struct mailtls_mtasts *m = &res->mtasts;
	const struct mailtls_sts_policy *p = &m->policy;
	const struct mailtls_tlsrpt *t = &m->tlsrpt;
	json_t *rua, *o;

	if (!m->evaluated)
		return json_null();
	rua = json_array();
	for (size_t i = 0; rua && i < t->n_rua; i++)
		json_array_append_new(rua, json_pack("{s:o s:b}", "uri", report_jstr(t->rua[i].uri),
						     "valid", t->rua[i].valid));
	o = json_pack("{s:b s:{s:o s:o s:I s:b s:o s:o}"
		      " s:{s:o s:o s:{s:o s:o} s:s s:o s:o s:o s:o s:o s:f s:I s:o s:b s:s s:o s:o s:o}}",
		      "in_effect", m->in_effect,
		      "txt",
			"dns", report_lookup_json(&m->txt.lookup),
			"records", report_jlist(&m->txt.records),
			"sts_records", (json_int_t)m->txt.n_sts,
			"valid", m->txt.valid,
			"id", report_jstr(m->txt.id),
			"problems", problems_json(&m->txt.problems),
		      "policy",
			"host", report_jstr(p->host),
			"url", report_jstr(p->url),
			"dns", "a", report_lookup_json(&p->a), "aaaa", report_lookup_json(&p->aaaa),
			"fetch", mailtls_fetch_status_name(p->fetch),
			"why", report_jstr(p->why),
			"address", report_jstr(p->addr),
			"http_status", p->http_status ? json_integer(p->http_status) : json_null(),
			"content_type", report_jstr(p->content_type),
			"location", report_jstr(p->location),
			"elapsed_ms", p->elapsed_ms,
			"body_bytes", (json_int_t)p->body_len,
			"body", body_json(p),
			"valid", p->valid,
			"mode", mailtls_sts_mode_name(p->mode),
			"max_age", p->have_max_age ? json_integer((json_int_t)p->max_age) : json_null(),
			"mx", report_jlist(&p->mx),
			"problems", problems_json(&p->problems));
	if (o == NULL) {
		json_decref(rua);
		return json_null();
	}
	json_object_set_new(o, "tls_rpt", json_pack("{s:o s:o s:I s:b s:o s:I s:o}",
		"dns", report_lookup_json(&t->lookup),
		"records", report_jlist(&t->records),
		"rpt_records", (json_int_t)t->n_rpt,
		"valid", t->valid,
		"rua", rua,
		"rua_omitted", (json_int_t)t->rua_omitted,
		"problems", problems_json(&t->problems)));
	return o;
}

json_t *report_mtasts_host_json(const struct mailtls_domain_result *res,
				const struct mailtls_mx_host *h)
{
	if (!res->mtasts.evaluated)
		return json_null();
	return json_pack("{s:o s:s s:b}",
			 "pattern", h->sts_pattern >= 0
				    ? report_jstr(res->mtasts.policy.mx.v[h->sts_pattern]) : json_null(),
			 "result", mailtls_sts_host_name(h->sts),
			 "dane_governs", h->dane_governs);
}

/* Postfix */

char *mailtls_report_domain_postfix(const struct mailtls_domain_result *res)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	fputs("# ", f);
	report_put(f, res->domain);
	if (!res->checked) {
		fputs(": could not be checked (", f);
		report_put(f, res->unknown_reason);
		fputs("): no entry\n", f);
	} else if (res->null_mx) {
		fputs(": null MX, accepts no mail: no entry\n", f);
	} else if (res->postfix_policy == NULL) {
		fputs(": no MX host could be reached: no entry\n", f);
	} else {
		fputs(": ", f);
		report_put(f, res->postfix_why);
		fputc('\n', f);
		report_put(f, res->domain);
		fputc(' ', f);
		report_put(f, res->postfix_policy);
		fputc('\n', f);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
