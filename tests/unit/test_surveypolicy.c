/*
 * test_surveypolicy.c - the survey's findings from survey facts made by hand
 * (surveypolicy.h): which tls.* and survey.* findings, in order, with their exact
 * messages. The suites the lab's OpenSSL cannot offer (RC4, 3DES, export) are judged here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <mailtls/mailtls.h>
#include "surveypolicy.h"

struct suite {
	const char *name, *iana, *kx;
	int kx_bits;
	bool fs;
};

static void add_version(struct mailtls_survey *s, int vi, const char *name, int order,
			const struct suite *suites, size_t n)
{
	struct mailtls_survey_version *v = &s->versions[vi];

	v->name = name;
	v->state = MAILTLS_SURVEY_ACCEPTED;
	v->server_order = order;
	v->complete = true;
	v->ciphers = calloc(n, sizeof(*v->ciphers));
	assert_non_null(v->ciphers);
	for (size_t i = 0; i < n; i++) {
		v->ciphers[i].name = strdup(suites[i].name);
		v->ciphers[i].iana = strdup(suites[i].iana);
		v->ciphers[i].kx = strdup(suites[i].kx);
		v->ciphers[i].kx_bits = suites[i].kx_bits;
		v->ciphers[i].forward_secret = suites[i].fs;
	}
	v->n_ciphers = n;
}

static struct mailtls_result *new_result(void)
{
	struct mailtls_result *res = mailtls_result_new();
	static const char *const names[] = { "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3" };

	assert_non_null(res);
	res->survey = calloc(1, sizeof(*res->survey));
	assert_non_null(res->survey);
	for (int vi = 0; vi < MAILTLS_SURVEY_VERSIONS; vi++) {
		res->survey->versions[vi].name = names[vi];
		res->survey->versions[vi].state = MAILTLS_SURVEY_REJECTED;
		res->survey->versions[vi].server_order = -1;
	}
	res->survey->secure_renegotiation = -1;
	res->survey->groups_server_order = -1;
	return res;
}

/* expect - the findings are exactly ids[] in order, and messages[] where not NULL. */
static void expect(const struct mailtls_result *res, const char *const *ids,
		   const char *const *messages, size_t n)
{
	assert_int_equal(res->findings.n, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(res->findings.v[i].id, ids[i]);
		if (messages[i] != NULL)
			assert_string_equal(res->findings.v[i].message, messages[i]);
	}
}

static void test_old_server(void **state)
{
	static const struct suite v10[] = {
		{ "RC4-SHA", "TLS_RSA_WITH_RC4_128_SHA", "RSA", 0, false },
		{ "DES-CBC3-SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "RSA", 0, false },
		{ "EXP-RC4-MD5", "TLS_RSA_EXPORT_WITH_RC4_40_MD5", "RSA", 0, false },
	};
	static const struct suite v12[] = {
		{ "AES256-SHA", "TLS_RSA_WITH_AES_256_CBC_SHA", "RSA", 0, false },
		{ "DHE-RSA-AES128-SHA", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "DH 1024", 1024, true },
		{ "ADH-AES128-SHA", "TLS_DH_anon_WITH_AES_128_CBC_SHA", "DH 768", 768, true },
		{ "NULL-SHA256", "TLS_RSA_WITH_NULL_SHA256", "RSA", 0, false },
		{ "DES-CBC3-SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "RSA", 0, false },
	};
	struct mailtls_result *res = new_result();
	static const char *const ids[] = {
		"survey.done", "tls.legacy-version-enabled", "tls.insecure-cipher-enabled",
		"tls.anonymous-cipher-enabled", "tls.weak-cipher-enabled", "tls.no-forward-secrecy",
		"tls.weak-dh", "tls.no-secure-renegotiation",
	};
	static const char *const messages[] = {
		"accepts TLSv1.2 (5 suites, the server's order), TLSv1 (3 suites, the client's order); groups not asked (no TLS 1.2 or 1.3); certificate keys none found; 9 handshakes in 0.1s",
		"the server accepts TLSv1 (RFC 8996: TLS 1.2 or later only)",
		"the server accepts NULL-SHA256 (TLSv1.2), EXP-RC4-MD5 (TLSv1)",
		"the server accepts ADH-AES128-SHA (TLSv1.2)",
		"the server accepts DES-CBC3-SHA (TLSv1.2, TLSv1), RC4-SHA (TLSv1)",
		"the server prefers a suite without forward secrecy: AES256-SHA in TLSv1.2",
		"DHE suites use a 768-bit prime (TLSv1.2); 2048 bits at least",
		"a TLS 1.2 or older handshake had no renegotiation_info (RFC 5746)",
	};

	(void)state;
	add_version(res->survey, 0, "TLSv1", 0, v10, 3);
	add_version(res->survey, 2, "TLSv1.2", 1, v12, 5);
	res->survey->secure_renegotiation = 0;
	res->survey->probes = 9;
	res->survey->elapsed_ms = 120;
	surveypolicy_findings(res);
	expect(res, ids, messages, 8);
	mailtls_result_free(res);
}

static void test_static_rsa_only(void **state)
{
	static const struct suite v12[] = {
		{ "AES128-GCM-SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256", "RSA", 0, false },
		{ "AES256-GCM-SHA384", "TLS_RSA_WITH_AES_256_GCM_SHA384", "RSA", 0, false },
	};
	struct mailtls_result *res = new_result();
	static const char *const ids[] = { "survey.done", "tls.no-forward-secrecy" };
	static const char *const messages[] = {
		NULL, "no accepted suite has forward secrecy: every key exchange is static RSA",
	};

	(void)state;
	add_version(res->survey, 2, "TLSv1.2", 0, v12, 2);
	res->survey->secure_renegotiation = 1;
	surveypolicy_findings(res);
	expect(res, ids, messages, 2);
	mailtls_result_free(res);
}

static void test_modern_server(void **state)
{
	static const struct suite v13[] = {
		{ "TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384", "X25519", 253, true },
	};
	struct mailtls_result *res = new_result();
	static const char *const ids[] = { "survey.done" };
	static const char *const messages[] = {
		"accepts TLSv1.3 (1 suite); groups x25519, secp256r1; certificate keys EC prime256v1; 12 handshakes in 0.0s",
	};

	(void)state;
	add_version(res->survey, 3, "TLSv1.3", -1, v13, 1);
	res->survey->groups = calloc(2, sizeof(char *));
	res->survey->groups[0] = strdup("x25519");
	res->survey->groups[1] = strdup("secp256r1");
	res->survey->n_groups = 2;
	res->survey->groups_version = "TLSv1.3";
	res->survey->groups_complete = true;
	res->survey->keytypes[1].family = "ECDSA";
	res->survey->keytypes[1].state = MAILTLS_SURVEY_ACCEPTED;
	res->survey->keytypes[1].key = strdup("EC prime256v1");
	res->survey->probes = 12;
	surveypolicy_findings(res);
	expect(res, ids, messages, 1);
	mailtls_result_free(res);
}

static void test_limited_and_incomplete(void **state)
{
	static const struct suite v12[] = {
		{ "ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "X25519", 253, true },
	};
	struct mailtls_result *res = new_result();
	static const char *const ids[] = { "survey.done", "survey.limited", "survey.incomplete" };
	static const char *const messages[] = {
		NULL,
		"the server limited us 5 times (first: 421 too busy); the survey waited 3.5s in all and asked again",
		"TLSv1.3 not known (the server kept limiting us: 421 too busy), the TLSv1.2 suite list may be incomplete, RSA keys not known (2 handshakes got no answer)",
	};

	(void)state;
	add_version(res->survey, 2, "TLSv1.2", -1, v12, 1);
	res->survey->versions[2].complete = false;
	res->survey->versions[3].state = MAILTLS_SURVEY_UNKNOWN;
	res->survey->versions[3].why = strdup("the server kept limiting us: 421 too busy");
	res->survey->keytypes[0].family = "RSA";
	res->survey->keytypes[0].state = MAILTLS_SURVEY_UNKNOWN;
	res->survey->limited = 5;
	res->survey->limited_why = strdup("421 too busy");
	res->survey->backoff_s = 3.5;
	res->survey->unanswered = 2;
	surveypolicy_findings(res);
	expect(res, ids, messages, 3);
	mailtls_result_free(res);
}

static void test_not_run(void **state)
{
	struct mailtls_result *res = mailtls_result_new();
	static const char *const ids[] = { "survey.not-run" };
	static const char *const messages[] = { "no TLS survey: the server does not offer STARTTLS" };

	(void)state;
	surveypolicy_findings(res);   /* no survey asked: nothing */
	assert_int_equal(res->findings.n, 0);
	res->survey = calloc(1, sizeof(*res->survey));
	res->survey->not_run = strdup("the server does not offer STARTTLS");
	surveypolicy_findings(res);
	expect(res, ids, messages, 1);
	mailtls_result_free(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_old_server),
		cmocka_unit_test(test_static_rsa_only),
		cmocka_unit_test(test_modern_server),
		cmocka_unit_test(test_limited_and_incomplete),
		cmocka_unit_test(test_not_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
