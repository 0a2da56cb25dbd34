/*
 * check.c - the one-shot public face of the engine: mailtls_check_run(), protocol names and
 * default ports.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <mailtls/mailtls.h>
#include "engine.h"
#include "escape.h"

static const struct {
	const char *name;
	enum mailtls_proto proto;
	unsigned port;
} protos[] = {
	{ "smtp", MAILTLS_PROTO_SMTP, 25 },
	{ "submission", MAILTLS_PROTO_SUBMISSION, 587 },
	{ "smtps", MAILTLS_PROTO_SMTPS, 465 },
	{ "lmtp", MAILTLS_PROTO_LMTP, 24 },
	{ "imap", MAILTLS_PROTO_IMAP, 143 },
	{ "imaps", MAILTLS_PROTO_IMAPS, 993 },
	{ "pop3", MAILTLS_PROTO_POP3, 110 },
	{ "pop3s", MAILTLS_PROTO_POP3S, 995 },
};

unsigned mailtls_default_port(enum mailtls_proto proto)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == proto)
			return protos[i].port;
	return 0;
}

enum mailtls_proto mailtls_proto_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (strcasecmp(protos[i].name, s) == 0)
			return protos[i].proto;
	return MAILTLS_PROTO_NONE;
}

static void keep_result(struct mailtls_result *res, void *arg)
{
	*(struct mailtls_result **)arg = res;
}

int mailtls_check_run(const struct mailtls_check_params *params, struct mailtls_result **out,
		      char *why, size_t whylen)
{
	struct engine_params ep = {
		.ca_file = params->ca_file,
		.ca_path = params->ca_path,
		.resolver = params->resolver,
	};
	struct mailtls_result *res = NULL;
	struct engine *e;
	int r;

	*out = NULL;
	e = engine_new(&ep, why, whylen);
	if (e == NULL) {
		mailtls_escape_inplace(why, whylen);
		return MAILTLS_ETLS;
	}
	r = engine_submit(e, params, keep_result, &res, why, whylen);
	if (r == 0)
		r = engine_run(e);
	engine_free(e);
	if (r != 0) {
		mailtls_result_free(res);
		if (why[0] == '\0')
			snprintf(why, whylen, "%s", mailtls_strerror(r));
		mailtls_escape_inplace(why, whylen);
		return r;
	}
	*out = res;
	return 0;
}
