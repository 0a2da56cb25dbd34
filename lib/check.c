/*
 * check.c - the one-shot public face of the engine: mailtls_check_run().
 */
#include <stdio.h>
#include <string.h>
#include <mailtls/mailtls.h>
#include "engine.h"
#include "escape.h"

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
