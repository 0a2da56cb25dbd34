/*
 * mtasts_result.c - lifetime and names of the MTA-STS and TLS-RPT facts (mtasts.h). The
 * readers are in mtasts_read.c.
 */
#include <stdlib.h>
#include <mailtls/mtasts.h>

const char *mailtls_sts_mode_name(enum mailtls_sts_mode m)
{
	switch (m) {
	case MAILTLS_STS_MODE_ENFORCE: return "enforce";
	case MAILTLS_STS_MODE_TESTING: return "testing";
	case MAILTLS_STS_MODE_NONE: return "none";
	case MAILTLS_STS_MODE_UNSET: break;
	}
	return "unset";
}

const char *mailtls_fetch_status_name(enum mailtls_fetch_status s)
{
	switch (s) {
	case MAILTLS_FETCH_NOT_TRIED: return "not tried";
	case MAILTLS_FETCH_OK: return "ok";
	case MAILTLS_FETCH_NO_ADDRESS: return "no address";
	case MAILTLS_FETCH_CONNECT: return "connection failed";
	case MAILTLS_FETCH_TLS: return "TLS failed";
	case MAILTLS_FETCH_CERT: return "certificate invalid";
	case MAILTLS_FETCH_TIMEOUT: return "timeout";
	case MAILTLS_FETCH_HTTP_STATUS: return "HTTP status";
	case MAILTLS_FETCH_CONTENT_TYPE: return "wrong content type";
	case MAILTLS_FETCH_TOO_LARGE: return "too large";
	case MAILTLS_FETCH_PROTOCOL: return "not HTTP";
	case MAILTLS_FETCH_FAILED: return "failed";
	}
	return "?";
}

const char *mailtls_sts_defect_key(enum mailtls_sts_defect d)
{
	static const char *const keys[MAILTLS_STS_DEFECT_COUNT] = {
		[MAILTLS_STS_TXT_MULTIPLE] = "txt-multiple",
		[MAILTLS_STS_TXT_SYNTAX] = "txt-syntax",
		[MAILTLS_STS_TXT_NO_ID] = "txt-no-id",
		[MAILTLS_STS_TXT_BAD_ID] = "txt-bad-id",
		[MAILTLS_STS_TXT_OTHER_VERSION] = "txt-other-version",
		[MAILTLS_STS_POL_NOT_TEXT] = "policy-not-text",
		[MAILTLS_STS_POL_SYNTAX] = "policy-syntax",
		[MAILTLS_STS_POL_VERSION] = "policy-version",
		[MAILTLS_STS_POL_MODE_MISSING] = "policy-mode-missing",
		[MAILTLS_STS_POL_MODE_UNKNOWN] = "policy-mode-unknown",
		[MAILTLS_STS_POL_MAX_AGE_MISSING] = "policy-max-age-missing",
		[MAILTLS_STS_POL_MAX_AGE_BAD] = "policy-max-age-bad",
		[MAILTLS_STS_POL_MX_MISSING] = "policy-mx-missing",
		[MAILTLS_STS_POL_MX_BAD] = "policy-mx-bad",
		[MAILTLS_STS_POL_DUPLICATE] = "policy-duplicate",
		[MAILTLS_STS_POL_TOO_LONG] = "policy-too-long",
		[MAILTLS_RPT_MULTIPLE] = "rpt-multiple",
		[MAILTLS_RPT_SYNTAX] = "rpt-syntax",
		[MAILTLS_RPT_NO_RUA] = "rpt-no-rua",
		[MAILTLS_RPT_BAD_URI] = "rpt-bad-uri",
		[MAILTLS_RPT_SCHEME] = "rpt-scheme",
	};

	return (unsigned)d < MAILTLS_STS_DEFECT_COUNT && keys[d] ? keys[d] : "?";
}

const char *mailtls_sts_host_name(enum mailtls_sts_host h)
{
	switch (h) {
	case MAILTLS_STS_HOST_NA: return "n/a";
	case MAILTLS_STS_HOST_OK: return "ok";
	case MAILTLS_STS_HOST_NOT_LISTED: return "not listed";
	case MAILTLS_STS_HOST_NO_TLS: return "no TLS";
	case MAILTLS_STS_HOST_CERT: return "certificate";
	case MAILTLS_STS_HOST_UNREACHABLE: return "unreachable";
	}
	return "?";
}

void mailtls_sts_problems_clear(struct mailtls_sts_problems *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].quote);
	free(p->v);
	*p = (struct mailtls_sts_problems){ 0 };
}

void mailtls_sts_txt_clear(struct mailtls_sts_txt *t)
{
	mailtls_dns_lookup_clear(&t->lookup);
	mailtls_strlist_clear(&t->records);
	free(t->id);
	mailtls_sts_problems_clear(&t->problems);
	*t = (struct mailtls_sts_txt){ 0 };
}

void mailtls_sts_policy_clear(struct mailtls_sts_policy *p)
{
	free(p->host);
	free(p->url);
	mailtls_dns_lookup_clear(&p->a);
	mailtls_dns_lookup_clear(&p->aaaa);
	free(p->why);
	free(p->addr);
	free(p->content_type);
	free(p->location);
	free(p->body);
	mailtls_strlist_clear(&p->mx);
	mailtls_sts_problems_clear(&p->problems);
	*p = (struct mailtls_sts_policy){ 0 };
}

void mailtls_tlsrpt_clear(struct mailtls_tlsrpt *r)
{
	mailtls_dns_lookup_clear(&r->lookup);
	mailtls_strlist_clear(&r->records);
	for (size_t i = 0; i < r->n_rua; i++)
		free(r->rua[i].uri);
	free(r->rua);
	mailtls_sts_problems_clear(&r->problems);
	*r = (struct mailtls_tlsrpt){ 0 };
}

void mailtls_mtasts_clear(struct mailtls_mtasts *m)
{
	mailtls_sts_txt_clear(&m->txt);
	mailtls_sts_policy_clear(&m->policy);
	mailtls_tlsrpt_clear(&m->tlsrpt);
	*m = (struct mailtls_mtasts){ 0 };
}
