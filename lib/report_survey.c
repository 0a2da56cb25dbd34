/*
 * report_survey.c - the survey in text and JSON (report_survey.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mailtls/profile.h>
#include "report_jsonutil.h"
#include "report_survey.h"
#include "report_textutil.h"

static const char *order_words(int order)
{
	return order == 1 ? "the server's order" : order == 0 ? "the client's order (the server "
	       "takes the first it supports)" : "one suite: no order";
}

void report_survey_text(FILE *f, const struct mailtls_survey *s)
{
	if (s == NULL)
		return;
	if (s->profiles_only)
		goto senders;
	fputs("TLS survey\n", f);
	if (s->not_run != NULL) {
		fputs("  not run: ", f);
		report_put(f, s->not_run);
		fputc('\n', f);
		return;
	}
	for (int vi = MAILTLS_SURVEY_VERSIONS - 1; vi >= 0; vi--) {
		const struct mailtls_survey_version *v = &s->versions[vi];

		fprintf(f, "  %-8s %s", v->name, mailtls_survey_state_name(v->state));
		if (v->state == MAILTLS_SURVEY_ACCEPTED)
			fprintf(f, ", %zu suite%s in %s%s\n", v->n_ciphers, v->n_ciphers == 1 ? "" : "s",
				order_words(v->server_order), v->complete ? "" : " (list may be incomplete)");
		else if (v->why != NULL) {
			fputs(": ", f);
			report_put(f, v->why);
			fputc('\n', f);
		} else
			fputc('\n', f);
		for (size_t i = 0; i < v->n_ciphers; i++) {
			const struct mailtls_survey_cipher *c = &v->ciphers[i];

			fprintf(f, "    0x%04X  %-32s %-14s %s\n", c->id, c->name, c->kx,
				c->forward_secret ? "" : "no forward secrecy");
		}
	}
	if (s->groups_version != NULL) {
		fprintf(f, "  Groups (%s, %s):", s->groups_version,
			s->n_groups < 2 ? "one group: no order" :
			s->groups_server_order == 1 ? "the server's order" :
			s->groups_server_order == 0 ? "the client's order" : "order not known");
		for (size_t i = 0; i < s->n_groups; i++)
			fprintf(f, " %s", s->groups[i]);
		fputs(s->n_groups == 0 ? " none\n" : "\n", f);
	}
	if (s->keytypes_version != NULL) {
		fprintf(f, "  Certificate keys (%s):", s->keytypes_version);
		for (int k = 0; k < 3; k++) {
			const struct mailtls_survey_keytype *kt = &s->keytypes[k];

			fprintf(f, "%s %s ", k ? ";" : "", kt->family);
			if (kt->state == MAILTLS_SURVEY_UNTESTED)
				fputs("not asked", f);
			else if (kt->state == MAILTLS_SURVEY_ACCEPTED)
				fprintf(f, "%s (%s)", kt->key ? kt->key : "?", kt->sig_alg ? kt->sig_alg : "?");
			else
				fputs(kt->state == MAILTLS_SURVEY_REJECTED ? "none" : "not known", f);
		}
		fputc('\n', f);
	}
	fprintf(f, "  Secure renegotiation (RFC 5746): %s\n",
		s->secure_renegotiation == 1 ? "yes" : s->secure_renegotiation == 0 ? "no" :
		"not applicable (TLS 1.3 only)");
	fprintf(f, "  Compression: %s\n", s->compression == 1 ? "yes (CRIME)" :
		s->compression == 0 ? "no" : "not asked (this OpenSSL has none to offer)");
	fprintf(f, "  %zu handshakes in %.2fs", s->probes, s->elapsed_ms / 1e3);
	if (s->limited > 0)
		fprintf(f, "; limited %zu time%s, waited %.1fs", s->limited, s->limited == 1 ? "" : "s",
			s->backoff_s);
	fputc('\n', f);
senders:
	if (s->n_profiles == 0)
		return;
	fputs("Senders (one handshake with each profile's own offer)\n", f);
	for (size_t i = 0; i < s->n_profiles; i++) {
		const struct mailtls_survey_profile *p = &s->profiles[i];

		fputs("  ", f);
		report_put(f, p->name);
		fputs(": ", f);
		if (p->state == MAILTLS_SURVEY_ACCEPTED) {
			fprintf(f, "handshake succeeds: %s, %s%s%s\n", p->version, p->cipher,
				p->group ? ", " : "", p->group ? p->group : "");
		} else {
			fputs(p->state == MAILTLS_SURVEY_REJECTED ? "handshake fails: " :
			      "not known: ", f);
			report_put(f, p->why ? p->why : "no answer");
			if (p->state == MAILTLS_SURVEY_REJECTED)
				fprintf(f, "; the sender %s", mailtls_profile_failure_text(
					(enum mailtls_profile_failure)p->on_failure));
			fputc('\n', f);
		}
	}
}

static json_t *version_json(const struct mailtls_survey_version *v)
{
	json_t *ciphers = json_array();

	for (size_t i = 0; ciphers && i < v->n_ciphers; i++) {
		const struct mailtls_survey_cipher *c = &v->ciphers[i];
		char id[8];

		snprintf(id, sizeof(id), "0x%04X", c->id);
		json_array_append_new(ciphers, json_pack("{s:o s:o s:s s:o s:i s:b s:i}",
			"name", report_json_text(c->name), "iana", report_json_text(c->iana), "id", id,
			"kx", report_json_text(c->kx), "kx_bits", c->kx_bits,
			"forward_secret", c->forward_secret, "bits", c->strength_bits));
	}
	return json_pack("{s:s s:o s:o s:o s:b}",
			 "state", mailtls_survey_state_name(v->state),
			 "why", report_json_text(v->why),
			 "ciphers", ciphers ? ciphers : json_null(),
			 "server_order", v->server_order < 0 ? json_null() : json_boolean(v->server_order),
			 "complete", v->complete);
}

static json_t *tri(int v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

json_t *report_survey_json(const struct mailtls_survey *s)
{
	json_t *versions, *groups, *keys, *profiles, *root;

	if (s == NULL)
		return json_null();
	if (s->not_run != NULL)
		return json_pack("{s:o s:b}", "not_run", report_json_text(s->not_run),
				 "profiles_only", s->profiles_only);
	versions = json_object();
	groups = json_array();
	keys = json_object();
	profiles = json_array();
	for (int vi = 0; versions && vi < MAILTLS_SURVEY_VERSIONS; vi++)
		json_object_set_new(versions, s->versions[vi].name, version_json(&s->versions[vi]));
	for (size_t i = 0; groups && i < s->n_groups; i++)
		json_array_append_new(groups, report_json_text(s->groups[i]));
	for (int k = 0; keys && k < 3; k++) {
		const struct mailtls_survey_keytype *kt = &s->keytypes[k];

		json_object_set_new(keys, kt->family, json_pack("{s:s s:o s:o}",
			"state", mailtls_survey_state_name(kt->state),
			"key", report_json_text(kt->key), "sig_alg", report_json_text(kt->sig_alg)));
	}
	for (size_t i = 0; profiles && i < s->n_profiles; i++) {
		const struct mailtls_survey_profile *p = &s->profiles[i];

		json_array_append_new(profiles, json_pack("{s:o s:o s:s s:s s:b s:o s:o s:o s:o s:o}",
			"name", report_json_text(p->name), "title", report_json_text(p->title),
			"handshake", mailtls_survey_state_name(p->state),
			"on_failure", mailtls_profile_failure_name((enum mailtls_profile_failure)p->on_failure),
			"sni", p->sni,
			"version", report_json_text(p->version), "cipher", report_json_text(p->cipher),
			"group", report_json_text(p->group), "why", report_json_text(p->why),
			"alert", p->alert < 0 ? json_null() : json_integer(p->alert)));
	}
	root = json_pack("{s:o s:o s:o s:o s:o s:o s:o s:o s:o s:o s:I s:I s:o s:f s:I s:b s:b s:f}",
		"versions", versions ? versions : json_null(),
		"groups", groups ? groups : json_null(),
		"groups_version", report_json_text(s->groups_version),
		"groups_server_order", tri(s->groups_server_order),
		"groups_complete", json_boolean(s->groups_complete),
		"keys_version", report_json_text(s->keytypes_version),
		"keys", keys ? keys : json_null(),
		"secure_renegotiation", tri(s->secure_renegotiation),
		"compression", tri(s->compression),
		"profiles", profiles ? profiles : json_null(),
		"probes", (json_int_t)s->probes,
		"limited", (json_int_t)s->limited,
		"limited_why", report_json_text(s->limited_why),
		"backoff_s", s->backoff_s,
		"unanswered", (json_int_t)s->unanswered,
		"capped", s->capped,
		"out_of_time", s->out_of_time,
		"elapsed_ms", s->elapsed_ms);
	if (root != NULL)
		json_object_set_new(root, "profiles_only", json_boolean(s->profiles_only));
	return root;
}

void report_survey_text_indented(FILE *f, const struct mailtls_survey *s, const char *indent)
{
	char *buf = NULL, *line, *next;
	size_t len = 0;
	FILE *m;

	if (s == NULL || (m = open_memstream(&buf, &len)) == NULL)
		return;
	report_survey_text(m, s);
	if (fclose(m) != 0) {
		free(buf);
		return;
	}
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		fprintf(f, "%s%s\n", indent, line);
	}
	free(buf);
}
