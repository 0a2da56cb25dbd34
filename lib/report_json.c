/*
 * report_json.c - one JSON object per run (docs/json.md), built with jansson. Strings from
 * servers and certificates are made valid UTF-8 first (escape_utf8); jansson escapes the rest.
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <openssl/ocsp.h>
#include <mailtls/mailtls.h>
#include <mailtls/dnsfacts.h>
#include "escape.h"
#include "report_json.h"
#include "report_jsonutil.h"
#include "report_survey.h"
#include "report_verdict.h"

/* jstr - a JSON string from untrusted text, or null. */
static json_t *jstr(const char *s)
{
	return report_json_text(s);
}

static json_t *jlist(const struct mailtls_strlist *l)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < l->n; i++)
		json_array_append_new(a, jstr(l->v[i]));
	return a;
}

static json_t *jtime(time_t t)
{
	char buf[32];

	return json_string(mailtls_time_format(t, buf, sizeof(buf)));
}

static json_t *cert_json(const struct mailtls_certinfo *c)
{
	return json_pack("{s:o s:o s:o s:o s:o s:o s:o s:o s:o s:o s:I s:o s:i s:o s:o s:o s:b s:b s:b}",
			 "subject", jstr(c->subject),
			 "subject_cn", jstr(c->subject_cn),
			 "issuer", jstr(c->issuer),
			 "issuer_cn", jstr(c->issuer_cn),
			 "organization", jstr(c->organization),
			 "serial", jstr(c->serial),
			 "dns_names", jlist(&c->dns_names),
			 "other_names", jlist(&c->other_names),
			 "not_before", jtime(c->not_before),
			 "not_after", jtime(c->not_after),
			 "days_left", (json_int_t)c->days_left,
			 "key_type", jstr(c->key_type),
			 "key_bits", c->key_bits,
			 "signature_algorithm", jstr(c->sig_alg),
			 "sha256", jstr(c->sha256),
			 "spki_sha256", jstr(c->spki_sha256),
			 "self_issued", c->self_issued,
			 "is_ca", c->is_ca,
			 "san_malformed", c->san_malformed);
}

static json_t *session_json(const struct mailtls_result *res)
{
	const struct mailtls_session *s = &res->session;
	json_t *tls = json_pack("{s:b s:o s:o s:o}",
				"established", s->tls_established,
				"version", jstr(s->tls_version),
				"cipher", jstr(s->cipher),
				"group", jstr(s->group));
	json_t *o = json_pack("{s:s s:o s:o s:i s:b s:b s:b s:b s:b s:o s:o s:o s:o s:o s:o s:f}",
			      "protocol", mailtls_proto_name(s->proto),
			      "host", jstr(s->host),
			      "address", jstr(s->addr),
			      "port", (int)s->port,
			      "implicit_tls", s->implicit_tls,
			      "starttls_offered", s->starttls_offered,
			      "starttls_accepted", s->starttls_accepted,
			      "helo_fallback", s->helo_fallback,
			      "login_disabled", s->login_disabled,
			      "banner", jstr(s->banner),
			      "banner_name", jstr(s->banner_name),
			      "ehlo_name", jstr(s->ehlo_name),
			      "capabilities_before_tls", jlist(&s->caps_pre),
			      "capabilities_after_tls", jlist(&s->caps_post),
			      "tls", tls,
			      "elapsed_ms", s->elapsed_ms);

	if (o && s->transcript)
		json_object_set_new(o, "transcript", jstr(s->transcript));
	return o;
}

/* subject_json - what a finding is about: {"host", "address", "port", "certificate"}, each
 * null when it does not apply ("certificate" is the position in the chain, 0 the leaf). */
static json_t *subject_json(const struct mailtls_subject *s)
{
	return json_pack("{s:o s:o s:o s:o}",
			 "host", jstr(s->host),
			 "address", jstr(s->addr),
			 "port", s->port ? json_integer(s->port) : json_null(),
			 "certificate", s->cert_depth >= 0 ? json_integer(s->cert_depth) : json_null());
}

/* dane_json - the DANE facts (docs/json.md "dane"). */
static json_t *dane_json(const struct mailtls_dane_facts *d)
{
	json_t *recs = json_array();
	json_t *o;

	for (size_t i = 0; recs && i < d->n_records; i++) {
		const struct mailtls_dane_record *r = &d->records[i];

		json_array_append_new(recs, json_pack("{s:i s:i s:i s:o s:o s:o s:o}",
			"usage", r->usage, "selector", r->selector, "mtype", r->mtype,
			"data", jstr(r->data),
			"accepted", r->accepted < 0 ? json_null() : json_boolean(r->accepted),
			"reason", jstr(r->reason),
			"matches", r->matches >= 0 ? json_integer(r->matches) : json_null()));
	}
	o = json_pack("{s:o s:o s:I s:b}",
		      "tlsa_base", jstr(d->tlsa_base),
		      "records", recs,
		      "usable", (json_int_t)d->n_usable,
		      "evaluated", d->evaluated);
	if (o == NULL || !d->evaluated)
		return o;
	json_object_set_new(o, "verify_result", json_pack("{s:I s:o}",
			    "code", (json_int_t)d->verify_code, "text", jstr(d->verify_text)));
	json_object_set_new(o, "depth", d->depth >= 0 ? json_integer(d->depth) : json_null());
	json_object_set_new(o, "match", !d->have_match ? json_null() :
			    json_pack("{s:i s:i s:i s:i s:o}", "depth", d->match_depth,
				      "usage", d->match_usage, "selector", d->match_selector,
				      "mtype", d->match_mtype, "record", d->match_record >= 0 ?
				      json_integer(d->match_record) : json_null()));
	json_object_set_new(o, "peername", jstr(d->peername));
	return o;
}

/* ocsp_json - the stapled OCSP response's facts (docs/json.md "ocsp"); null when none. */
static json_t *ocsp_json(const struct mailtls_ocsp_facts *f)
{
	const char *cs = mailtls_ocsp_cert_status_name(f->cert_status);
	json_t *o;

	if (!f->stapled)
		return json_null();
	o = json_pack("{s:I s:b s:b s:o s:b s:b s:o s:b s:o s:o}",
		      "size", (json_int_t)f->der_len,
		      "too_large", f->too_large,
		      "parsed", f->parsed,
		      "response_status", f->response_status >= 0 ?
		      jstr(OCSP_response_status_str(f->response_status)) : json_null(),
		      "basic", f->basic,
		      "signature_valid", f->signature_valid,
		      "verify_error", jstr(f->verify_error),
		      "covers_certificate", f->covers_leaf,
		      "other_serial", jstr(f->serial),
		      "cert_status", cs != NULL ? jstr(cs) : json_null());
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "revocation_time", f->cert_status == MAILTLS_OCSP_CERT_REVOKED &&
			    f->revocation_time ? jtime(f->revocation_time) : json_null());
	json_object_set_new(o, "revocation_reason", f->revocation_reason >= 0 ?
			    jstr(OCSP_crl_reason_str(f->revocation_reason)) : json_null());
	json_object_set_new(o, "this_update", f->this_update ? jtime(f->this_update) : json_null());
	json_object_set_new(o, "next_update", f->next_update ? jtime(f->next_update) : json_null());
	json_object_set_new(o, "current", f->covers_leaf ? json_boolean(f->current) : json_null());
	return o;
}

/* responder_json - what the leaf's OCSP responder answered (docs/json.md
 * "ocsp_responder"). */
static json_t *responder_json(const struct mailtls_ocsp_responder *r)
{
	json_t *o = json_pack("{s:s s:o s:o s:o s:o s:o s:f}",
			      "query", mailtls_ocsp_query_name(r->query),
			      "url", jstr(r->url),
			      "why", jstr(r->why),
			      "address", jstr(r->addr),
			      "http_status", r->http_status > 0 ? json_integer(r->http_status)
							       : json_null(),
			      "content_type", jstr(r->content_type),
			      "elapsed_ms", r->elapsed_ms);

	if (o != NULL)
		json_object_set_new(o, "response", r->query == MAILTLS_OCSP_QUERY_ANSWERED ?
				    ocsp_json(&r->facts) : json_null());
	return o;
}

/* findings_json - the findings as an array. */
static json_t *findings_json(const struct mailtls_findings *fs)
{
	json_t *findings = json_array();

	for (size_t i = 0; findings && i < fs->n; i++) {
		const struct mailtls_finding *f = &fs->v[i];

		json_array_append_new(findings, json_pack("{s:s s:s s:o s:s s:s s:o}",
			"id", f->id, "severity", mailtls_severity_name(f->severity),
			"message", jstr(f->message), "remedy", f->remedy, "standard", f->standard,
			"subject", subject_json(&f->subject)));
	}
	return findings;
}

/* path_search_json - the other paths searched when OpenSSL's failed (docs/json.md
 * "path_search"). */
static json_t *path_search_json(const struct mailtls_path_search *ps)
{
	json_t *path = json_array();

	for (size_t i = 0; path != NULL && i < ps->path_len; i++)
		json_array_append_new(path, json_pack("{s:o s:o}", "label", jstr(ps->path[i]),
			"certificate", ps->path_pos[i] >= 0 ? json_integer(ps->path_pos[i]) : json_null()));
	return json_pack("{s:o s:i s:b s:o s:b s:i s:b s:b}",
			 "openssl_error", jstr(ps->openssl_error_text),
			 "openssl_error_depth", ps->openssl_error_depth,
			 "found", ps->found,
			 "path", ps->found && path != NULL ? path : (json_decref(path), json_null()),
			 "fix_verified", ps->fix_verified,
			 "paths_tried", (int)ps->paths_tried,
			 "limited", ps->limited,
			 "searching_client_accepts", ps->searching_client_accepts);
}

/* result_json - the report object of res (docs/json.md); NULL on ENOMEM. */
static json_t *result_json(const struct mailtls_result *res)
{
	char verdict[1024];
	json_t *root, *findings = findings_json(&res->findings), *chain = json_array(), *leaf;
	enum mailtls_exit code = mailtls_result_exit_code(res);

	report_verdict(res, verdict, sizeof(verdict));
	for (size_t i = 0; chain && i < res->chain_len; i++)
		json_array_append_new(chain, cert_json(&res->chain[i]));
	/* "certificate" is chain[0] again: the same object, built once. */
	leaf = chain != NULL && json_array_size(chain) > 0 ? json_incref(json_array_get(chain, 0)) :
	       json_null();
	root = json_pack("{s:s s:s s:s s:i s:b s:b s:b s:o s:o s:o s:o s:o s:o s:o}",
			 "mailtls_version", mailtls_version(),
			 "mode", res->have_session ? "check" : "cert",
			 "verdict", mailtls_exit_name(code),
			 "exit_code", (int)code,
			 "checked", res->checked,
			 "would_encrypt", res->would_encrypt,
			 "would_authenticate", res->would_authenticate,
			 "summary", jstr(verdict),
			 "unknown_reason", jstr(res->unknown_reason),
			 "reference_names", jlist(&res->reference_names),
			 "validation_time", jtime(res->validation_time),
			 "session", res->have_session ? session_json(res) : json_null(),
			 "certificate", leaf,
			 "chain", chain);
	if (root == NULL) {
		json_decref(findings);
		return NULL;
	}
	json_object_set_new(root, "findings", findings);
	if (res->have_session)
		json_object_set_new(root, "ocsp", ocsp_json(&res->ocsp));
	if (res->dane.enabled)
		json_object_set_new(root, "dane", dane_json(&res->dane));
	if (res->survey != NULL)
		json_object_set_new(root, "survey", report_survey_json(res->survey));
	if (res->path_search.searched)
		json_object_set_new(root, "path_search", path_search_json(&res->path_search));
	if (res->ocsp_responder.query != MAILTLS_OCSP_QUERY_NONE)
		json_object_set_new(root, "ocsp_responder", responder_json(&res->ocsp_responder));
	return root;
}

/* dump_line - root as text plus a newline, root released; NULL on ENOMEM. */
static char *dump_line(json_t *root, size_t flags)
{
	char *out, *withnl;

	if (root == NULL)
		return NULL;
	out = json_dumps(root, flags | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	json_decref(root);
	if (out == NULL)
		return NULL;
	withnl = realloc(out, strlen(out) + 2);
	if (withnl == NULL) {
		free(out);
		return NULL;
	}
	strcat(withnl, "\n");
	return withnl;
}

char *mailtls_report_json(const struct mailtls_result *res)
{
	return dump_line(result_json(res), JSON_INDENT(2));
}

char *mailtls_report_jsonl(const struct mailtls_result *res, const char *input, long line)
{
	json_t *root = result_json(res);

	if (root != NULL && (json_object_set_new(root, "input", jstr(input)) != 0 ||
			     json_object_set_new(root, "line", json_integer(line)) != 0)) {
		json_decref(root);
		return NULL;
	}
	return dump_line(root, JSON_COMPACT);
}

/* For the other reporters (report_json.h). */
json_t *report_jstr(const char *s) { return jstr(s); }
json_t *report_jlist(const struct mailtls_strlist *l) { return jlist(l); }
json_t *report_jtime(time_t t) { return jtime(t); }
json_t *report_result_json(const struct mailtls_result *res) { return result_json(res); }
json_t *report_findings_json(const struct mailtls_findings *f) { return findings_json(f); }
char *report_dump(json_t *root, size_t flags) { return dump_line(root, flags); }

json_t *report_lookup_json(const struct mailtls_dns_lookup *l)
{
	if (!l->asked)
		return json_null();
	return json_pack("{s:o s:o s:s s:o s:b s:b s:I s:o s:o s:o s:o}",
			 "name", report_jstr(l->qname),
			 "type", report_jstr(l->qtype),
			 "status", l->status == MAILTLS_DNS_NOANSWER ? "no-answer" :
				   mailtls_dns_status_name(l->status),
			 "rcode", l->rcode >= 0 ? json_integer(l->rcode) : json_null(),
			 "nxdomain", l->nxdomain,
			 "nodata", l->nodata,
			 "ttl", (json_int_t)l->ttl,
			 "why_bogus", report_jstr(l->why_bogus),
			 "why", report_jstr(l->why),
			 "cnames", report_jlist(&l->cnames),
			 "canonical", report_jstr(l->canonical));
}
