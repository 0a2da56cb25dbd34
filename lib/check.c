/*
 * check.c - the one-shot public face of the engine: mailtls_check_run().
 */
#include <stdio.h>
#include <string.h>
#include <mailtls/mailtls.h>

static void keep_result(struct mailtls_result *res, void *arg)
{
	*(struct mailtls_result **)arg = res;
}

int mailtls_check_run(const struct mailtls_engine_params *ep,
		      const struct mailtls_check_params *params, struct mailtls_result **out,
		      char *why, size_t whylen)
{
	static const struct mailtls_engine_params defaults;
	struct mailtls_result *res = NULL;
	struct mailtls_engine *e;
	int r;

	*out = NULL;
	e = mailtls_engine_new(ep != NULL ? ep : &defaults, why, whylen);
	if (e == NULL)
		return MAILTLS_ETLS;
	r = mailtls_engine_submit(e, params, keep_result, &res, why, whylen);
	if (r == 0)
		r = mailtls_engine_run(e);
	mailtls_engine_free(e);
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
