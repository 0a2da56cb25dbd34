/*
 * result.c - lifetime of struct mailtls_result, findings, string lists, enum names.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mailtls/mailtls.h>
#include "x509info.h"

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

void mailtls_result_free(struct mailtls_result *res)
{
	if (res == NULL)
		return;
	session_clear(&res->session);
	for (size_t i = 0; i < res->chain_len; i++)
		x509info_clear(&res->chain[i]);
	free(res->chain);
	mailtls_strlist_clear(&res->reference_names);
	for (size_t i = 0; i < res->findings.n; i++)
		free(res->findings.v[i].message);
	free(res->findings.v);
	free(res->unknown_reason);
	free(res);
}

int mailtls_result_add(struct mailtls_result *res, const char *id, const char *fmt, ...)
{
	const struct mailtls_catalog_entry *e = mailtls_catalog_find(id);
	struct mailtls_findings *f = &res->findings;
	struct mailtls_finding *fi;
	char buf[MESSAGE_MAX];
	va_list ap;

	assert(e != NULL && "finding id missing from the catalogue");
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
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fi = &f->v[f->n];
	fi->message = strdup(buf);
	if (fi->message == NULL)
		return MAILTLS_ENOMEM;
	fi->id = e->id;
	fi->severity = e->severity;
	fi->remedy = e->remedy;
	fi->standard = e->standard;
	f->n++;
	return 0;
}

bool mailtls_result_has(const struct mailtls_result *res, const char *id)
{
	for (size_t i = 0; i < res->findings.n; i++)
		if (strcmp(res->findings.v[i].id, id) == 0)
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

const char *mailtls_proto_name(enum mailtls_proto proto)
{
	switch (proto) {
	case MAILTLS_PROTO_NONE: return "none";
	case MAILTLS_PROTO_SMTP: return "smtp";
	case MAILTLS_PROTO_SUBMISSION: return "submission";
	case MAILTLS_PROTO_SMTPS: return "smtps";
	case MAILTLS_PROTO_LMTP: return "lmtp";
	case MAILTLS_PROTO_IMAP: return "imap";
	case MAILTLS_PROTO_IMAPS: return "imaps";
	case MAILTLS_PROTO_POP3: return "pop3";
	case MAILTLS_PROTO_POP3S: return "pop3s";
	}
	return "?";
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
