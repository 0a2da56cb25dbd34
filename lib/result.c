/*
 * result.c - lifetime of struct mailtls_result, findings, string lists, enum names.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mailtls/mailtls.h>

#define FINDINGS_MAX 256          /* more findings than this are dropped */
#define MESSAGE_MAX 2048          /* longest finding message kept */
#define STRLIST_MAX 4096          /* most entries in one string list */

struct mailtls_result *mailtls_result_new(void)
{
	struct mailtls_result *res = calloc(1, sizeof(*res));

	if (res != NULL)
		res->checked = true;
	return res;
}

int mailtls_strlist_add(struct mailtls_strlist *l, const char *s, size_t maxlen)
{
	char **v;
	char *copy;

	if (l->n >= STRLIST_MAX)
		return 0;
	copy = strndup(s, maxlen);
	if (copy == NULL)
		return MAILTLS_ENOMEM;
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (v == NULL) {
		free(copy);
		return MAILTLS_ENOMEM;
	}
	v[l->n++] = copy;
	l->v = v;
	return 0;
}

void mailtls_strlist_clear(struct mailtls_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void mailtls_certinfo_clear(struct mailtls_certinfo *info)
{
	free(info->subject);
	free(info->subject_cn);
	free(info->issuer);
	free(info->issuer_cn);
	free(info->organization);
	free(info->serial);
	mailtls_strlist_clear(&info->dns_names);
	mailtls_strlist_clear(&info->other_names);
	free(info->key_type);
	free(info->sig_alg);
	free(info->sha256);
	free(info->spki_sha256);
	memset(info, 0, sizeof(*info));
}

static void session_clear(struct mailtls_session *s)
{
	free(s->host);
	free(s->addr);
	free(s->banner);
	free(s->banner_name);
	free(s->ehlo_name);
	mailtls_strlist_clear(&s->caps_pre);
	mailtls_strlist_clear(&s->caps_post);
	free(s->tls_version);
	free(s->cipher);
	free(s->group);
	free(s->transcript);
	memset(s, 0, sizeof(*s));
}

void mailtls_dane_facts_clear(struct mailtls_dane_facts *f)
{
	for (size_t i = 0; i < f->n_records; i++) {
		free(f->records[i].data);
		free(f->records[i].reason);
	}
	free(f->records);
	free(f->tlsa_base);
	free(f->verify_text);
	free(f->peername);
	memset(f, 0, sizeof(*f));
}

void mailtls_path_search_clear(struct mailtls_path_search *s)
{
	free(s->openssl_error_text);
	for (size_t i = 0; i < MAILTLS_PATH_SEARCH_LEN; i++)
		free(s->path[i]);
	memset(s, 0, sizeof(*s));
}

void mailtls_ocsp_facts_clear(struct mailtls_ocsp_facts *f)
{
	free(f->verify_error);
	free(f->serial);
	memset(f, 0, sizeof(*f));
}

void mailtls_ocsp_responder_clear(struct mailtls_ocsp_responder *r)
{
	free(r->url);
	free(r->why);
	free(r->addr);
	free(r->content_type);
	mailtls_ocsp_facts_clear(&r->facts);
	memset(r, 0, sizeof(*r));
}

const char *mailtls_ocsp_query_name(enum mailtls_ocsp_query q)
{
	switch (q) {
	case MAILTLS_OCSP_QUERY_ANSWERED:
		return "answered";
	case MAILTLS_OCSP_QUERY_NO_URL:
		return "no-url";
	case MAILTLS_OCSP_QUERY_BAD_URL:
		return "bad-url";
	case MAILTLS_OCSP_QUERY_NO_ISSUER:
		return "no-issuer";
	case MAILTLS_OCSP_QUERY_NO_ADDRESS:
		return "no-address";
	case MAILTLS_OCSP_QUERY_TRANSPORT:
		return "transport";
	case MAILTLS_OCSP_QUERY_HTTP_STATUS:
		return "http-status";
	case MAILTLS_OCSP_QUERY_CONTENT_TYPE:
		return "content-type";
	case MAILTLS_OCSP_QUERY_FAILED:
		return "failed";
	case MAILTLS_OCSP_QUERY_NONE:
		break;
	}
	return NULL;
}

const char *mailtls_ocsp_cert_status_name(enum mailtls_ocsp_cert_status s)
{
	switch (s) {
	case MAILTLS_OCSP_CERT_GOOD:
		return "good";
	case MAILTLS_OCSP_CERT_REVOKED:
		return "revoked";
	case MAILTLS_OCSP_CERT_UNKNOWN:
		return "unknown";
	case MAILTLS_OCSP_CERT_NONE:
		break;
	}
	return NULL;
}

void mailtls_result_free(struct mailtls_result *res)
{
	if (res == NULL)
		return;
	session_clear(&res->session);
	for (size_t i = 0; i < res->chain_len; i++)
		mailtls_certinfo_clear(&res->chain[i]);
	free(res->chain);
	mailtls_strlist_clear(&res->reference_names);
	mailtls_findings_clear(&res->findings);
	free(res->unknown_reason);
	mailtls_dane_facts_clear(&res->dane);
	mailtls_ocsp_facts_clear(&res->ocsp);
	mailtls_survey_free(res->survey);
	mailtls_path_search_clear(&res->path_search);
	mailtls_ocsp_responder_clear(&res->ocsp_responder);
	free(res);
}

/* findings_add_v - append finding fid about subject (copied) with a message. */
static int findings_add_v(struct mailtls_findings *f, enum mailtls_fid fid,
			  const struct mailtls_subject *subject, const char *fmt, va_list ap)
{
	const struct mailtls_catalog_entry *e = mailtls_catalog_get(fid);
	struct mailtls_finding *fi;
	char buf[MESSAGE_MAX];

	if (e == NULL)
		return MAILTLS_EINVAL;
	if (f->n >= FINDINGS_MAX)
		return 0;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		struct mailtls_finding *v = realloc(f->v, cap * sizeof(*v));

		if (v == NULL)
			return MAILTLS_ENOMEM;
		f->v = v;
		f->cap = cap;
	}
	vsnprintf(buf, sizeof(buf), fmt, ap);
	fi = &f->v[f->n];
	memset(fi, 0, sizeof(*fi));
	fi->subject.cert_depth = subject->cert_depth;
	fi->subject.port = subject->port;
	if (subject->host != NULL && (fi->subject.host = strdup(subject->host)) == NULL)
		goto nomem;
	if (subject->addr != NULL && (fi->subject.addr = strdup(subject->addr)) == NULL)
		goto nomem;
	if ((fi->message = strdup(buf)) == NULL)
		goto nomem;
	fi->fid = fid;
	fi->id = e->id;
	fi->severity = e->severity;
	fi->remedy = e->remedy;
	fi->standard = e->standard;
	f->n++;
	return 0;
nomem:
	free(fi->subject.host);
	free(fi->subject.addr);
	return MAILTLS_ENOMEM;
}

int mailtls_findings_add(struct mailtls_findings *f, enum mailtls_fid fid,
			 const struct mailtls_subject *subject, const char *fmt, ...)
{
	struct mailtls_subject none = { .cert_depth = -1 };
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = findings_add_v(f, fid, subject ? subject : &none, fmt, ap);
	va_end(ap);
	return r;
}

void mailtls_findings_clear(struct mailtls_findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].message);
		free(f->v[i].subject.host);
		free(f->v[i].subject.addr);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

/* add_v - append finding fid about the result's server and the certificate at depth (-1:
 * none). */
static int add_v(struct mailtls_result *res, enum mailtls_fid fid, int depth, const char *fmt,
		 va_list ap)
{
	struct mailtls_subject subject = { .cert_depth = depth };

	if (res->have_session) {
		subject.port = res->session.port;
		subject.host = res->session.host;
		subject.addr = res->session.addr;
	}
	return findings_add_v(&res->findings, fid, &subject, fmt, ap);
}

int mailtls_result_add(struct mailtls_result *res, enum mailtls_fid fid, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = add_v(res, fid, -1, fmt, ap);
	va_end(ap);
	return r;
}

int mailtls_result_add_cert(struct mailtls_result *res, enum mailtls_fid fid, int depth,
			    const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = add_v(res, fid, depth < 0 ? -1 : depth, fmt, ap);
	va_end(ap);
	return r;
}

bool mailtls_result_has(const struct mailtls_result *res, enum mailtls_fid fid)
{
	for (size_t i = 0; i < res->findings.n; i++)
		if (res->findings.v[i].fid == fid)
			return true;
	return false;
}

enum mailtls_severity mailtls_result_worst(const struct mailtls_result *res)
{
	enum mailtls_severity worst = MAILTLS_SEV_OK;

	for (size_t i = 0; i < res->findings.n; i++)
		if (res->findings.v[i].severity > worst)
			worst = res->findings.v[i].severity;
	return worst;
}

enum mailtls_exit mailtls_result_exit_code(const struct mailtls_result *res)
{
	if (!res->checked)
		return MAILTLS_EXIT_UNKNOWN;
	switch (mailtls_result_worst(res)) {
	case MAILTLS_SEV_CRITICAL:
		return MAILTLS_EXIT_CRITICAL;
	case MAILTLS_SEV_WARNING:
		return MAILTLS_EXIT_WARNING;
	default:
		return MAILTLS_EXIT_OK;
	}
}

const char *mailtls_severity_name(enum mailtls_severity sev)
{
	switch (sev) {
	case MAILTLS_SEV_OK: return "ok";
	case MAILTLS_SEV_INFO: return "info";
	case MAILTLS_SEV_WARNING: return "warning";
	case MAILTLS_SEV_CRITICAL: return "critical";
	}
	return "?";
}

const char *mailtls_exit_name(enum mailtls_exit code)
{
	switch (code) {
	case MAILTLS_EXIT_OK: return "OK";
	case MAILTLS_EXIT_WARNING: return "WARNING";
	case MAILTLS_EXIT_CRITICAL: return "CRITICAL";
	case MAILTLS_EXIT_UNKNOWN: return "UNKNOWN";
	}
	return "UNKNOWN";
}

const char *mailtls_strerror(int err)
{
	switch (err) {
	case MAILTLS_OK: return "success";
	case MAILTLS_ENOMEM: return "out of memory";
	case MAILTLS_EINVAL: return "invalid argument";
	case MAILTLS_EFILE: return "file could not be read";
	case MAILTLS_ECERT: return "certificate could not be parsed";
	case MAILTLS_ETLS: return "TLS library setup failed";
	case MAILTLS_EDNS: return "name resolution failed";
	case MAILTLS_EINTERNAL: return "internal error";
	case MAILTLS_ETOOBIG: return "input too large";
	}
	return "unknown error";
}

const char *mailtls_version(void)
{
	return MAILTLS_VERSION;
}
