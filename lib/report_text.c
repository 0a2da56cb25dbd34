/*
 * report_text.c - the human report: session, certificate chain, findings with remedies,
 * verdict. Everything that came from a server or a certificate is escaped (escape.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mailtls/mailtls.h>
#include "escape.h"
#include "report_textutil.h"
#include "report_survey.h"
#include "report_verdict.h"

static void put_list(FILE *f, const struct mailtls_strlist *l, const char *sep)
{
	if (l->n == 0)
		fputs("(none)", f);
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			fputs(sep, f);
		report_put(f, l->v[i]);
	}
}

/* put_line_list - "label a, b, c" on a line of its own; nothing for an empty list. */
static void put_line_list(FILE *f, const char *label, const struct mailtls_strlist *l)
{
	if (l->n == 0)
		return;
	fputs(label, f);
	put_list(f, l, ", ");
	fputc('\n', f);
}

static void put_time(FILE *f, time_t t)
{
	char buf[32];

	fputs(mailtls_time_format(t, buf, sizeof(buf)), f);
}

static void session_text(FILE *f, const struct mailtls_result *res)
{
	const struct mailtls_session *s = &res->session;

	fprintf(f, "Session\n  protocol      %s%s\n", mailtls_proto_name(s->proto),
		s->implicit_tls ? " (implicit TLS)" : "");
	fputs("  server        ", f);
	report_put(f, s->host);
	if (s->addr)
		fprintf(f, " [%s]", s->addr);
	fprintf(f, " port %u\n", s->port);
	if (s->banner) {
		fputs("  greeting      ", f);
		report_put(f, s->banner);
		fputc('\n', f);
	}
	if (s->banner_name || s->ehlo_name) {
		fputs("  server names  greeting ", f);
		report_put(f, s->banner_name);
		fputs(", EHLO ", f);
		report_put(f, s->ehlo_name);
		fputs(" (shown, never used as identities)\n", f);
	}
	if (!s->implicit_tls)
		fprintf(f, "  STARTTLS      %s%s\n", s->starttls_offered ? "offered" : "not offered",
			s->starttls_offered ? (s->starttls_accepted ? ", accepted" : ", refused") : "");
	put_line_list(f, "  before TLS    ", &s->caps_pre);
	if (s->tls_established) {
		fprintf(f, "  TLS           %s, %s", s->tls_version, s->cipher);
		if (s->group)
			fprintf(f, ", key exchange %s", s->group);
		fputc('\n', f);
	} else {
		fputs("  TLS           not established\n", f);
	}
	put_line_list(f, "  after TLS     ", &s->caps_post);
	fprintf(f, "  time          %.0f ms\n", s->elapsed_ms);
}

static void cert_text(FILE *f, const struct mailtls_certinfo *c, size_t i)
{
	fprintf(f, "  [%zu] subject    ", i);
	report_put(f, c->subject);
	fputs("\n      DNS names  ", f);
	if (c->san_malformed)
		fputs("(subjectAltName extension does not decode)", f);
	else
		put_list(f, &c->dns_names, ", ");
	if (c->other_names.n) {
		fputs("\n      other SANs ", f);
		put_list(f, &c->other_names, ", ");
	}
	fputs("\n      issuer     ", f);
	report_put(f, c->issuer);
	if (c->organization) {
		fputs("\n      organisation ", f);
		report_put(f, c->organization);
	}
	fputs("\n      serial     ", f);
	report_put(f, c->serial);
	fputs("\n      valid      ", f);
	put_time(f, c->not_before);
	fputs(" to ", f);
	put_time(f, c->not_after);
	if (c->days_left >= 0)
		fprintf(f, " (%ld days left)", c->days_left);
	else
		fprintf(f, " (expired %ld days ago)", -c->days_left);
	fputs("\n      key        ", f);
	report_put(f, c->key_type);
	fprintf(f, " %d bits, signed with ", c->key_bits);
	report_put(f, c->sig_alg);
	fputs("\n      SHA-256    ", f);
	report_put(f, c->sha256);
	fputs("\n      SPKI SHA-256 ", f);
	report_put(f, c->spki_sha256);
	fputc('\n', f);
}

char *mailtls_report_text(const struct mailtls_result *res, const struct mailtls_report_opts *opts)
{
	char *buf = NULL, verdict[1024];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bool color = opts && opts->color;
	enum mailtls_exit code = mailtls_result_exit_code(res);

	if (f == NULL)
		return NULL;
	if (res->have_session) {
		fprintf(f, "mailtls check %s ", mailtls_proto_name(res->session.proto));
		report_put(f, res->session.host);
		fprintf(f, " port %u\n", res->session.port);
	} else {
		fputs("mailtls cert\n", f);
	}
	put_line_list(f, "Reference names: ", &res->reference_names);
	fputs("Validation time: ", f);
	put_time(f, res->validation_time);
	fputc('\n', f);
	if (res->have_session)
		session_text(f, res);
	if (res->chain_len) {
		fputs("Certificate chain (as presented, leaf first)\n", f);
		for (size_t i = 0; i < res->chain_len; i++)
			cert_text(f, &res->chain[i], i);
	}
	if (opts && opts->transcript && res->session.transcript) {
		fputs("Transcript\n", f);
		fputs(res->session.transcript, f);   /* escaped when recorded */
	}
	report_survey_text(f, res->survey);
	fputs("Findings\n", f);
	for (size_t i = 0; i < res->findings.n; i++) {
		const struct mailtls_finding *fi = &res->findings.v[i];

		report_finding(f, fi, color, "  ");
	}
	report_verdict(res, verdict, sizeof(verdict));
	fprintf(f, "Verdict: %s%s%s\n", color ? report_exit_color(code) : "", verdict,
		color ? REPORT_C_RESET : "");
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
