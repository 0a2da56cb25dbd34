/*
 * test_catalog.c - the finding catalogue is well-formed and fully documented: every id is
 * unique, has the "area.name" form, a summary and a standard; every warning and critical id
 * has a remedy; and docs/findings.md has a "### `id`" section for each.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <mailtls/mailtls.h>

static void ids_are_unique_and_complete(void **state)
{
	size_t n;
	const struct mailtls_catalog_entry *c = mailtls_catalog(&n);
	(void)state;

	assert_true(n >= 30);
	for (size_t i = 0; i < n; i++) {
		const char *dot = strchr(c[i].id, '.');

		assert_non_null(dot);
		assert_true(dot > c[i].id && dot[1] != '\0');
		for (const char *p = c[i].id; *p; p++)
			assert_true((*p >= 'a' && *p <= 'z') || *p == '.' || *p == '-' ||
				    (*p >= '0' && *p <= '9'));
		assert_true(strlen(c[i].summary) > 10);
		assert_true(strlen(c[i].standard) > 3);
		if (c[i].severity >= MAILTLS_SEV_WARNING)
			assert_true(strlen(c[i].remedy) > 10);
		for (size_t j = i + 1; j < n; j++)
			assert_string_not_equal(c[i].id, c[j].id);
		assert_ptr_equal(mailtls_catalog_find(c[i].id), &c[i]);
	}
	assert_null(mailtls_catalog_find("no.such-id"));
}

static void every_id_is_documented(void **state)
{
	const char *root = getenv("MAILTLS_SOURCE_ROOT");
	char path[4096], *doc;
	size_t n, len;
	const struct mailtls_catalog_entry *c = mailtls_catalog(&n);
	FILE *f;
	(void)state;

	assert_non_null(root);
	snprintf(path, sizeof(path), "%s/docs/findings.md", root);
	f = fopen(path, "r");
	assert_non_null(f);
	doc = calloc(1, 1 << 20);
	assert_non_null(doc);
	len = fread(doc, 1, (1 << 20) - 1, f);
	fclose(f);
	assert_true(len > 0);
	for (size_t i = 0; i < n; i++) {
		char heading[128];

		snprintf(heading, sizeof(heading), "### `%s`", c[i].id);
		if (strstr(doc, heading) == NULL)
			fail_msg("docs/findings.md lacks a section \"%s\"", heading);
	}
	free(doc);
}

static void result_exit_codes(void **state)
{
	struct mailtls_result *res = mailtls_result_new();
	(void)state;

	assert_non_null(res);
	assert_int_equal(mailtls_result_exit_code(res), MAILTLS_EXIT_OK);
	assert_int_equal(mailtls_result_add(res, MAILTLS_F_CERT_WILDCARD, "info %d", 1), 0);
	assert_int_equal(mailtls_result_exit_code(res), MAILTLS_EXIT_OK);
	assert_int_equal(mailtls_result_add(res, MAILTLS_F_CERT_EXPIRES_SOON, "soon"), 0);
	assert_int_equal(mailtls_result_exit_code(res), MAILTLS_EXIT_WARNING);
	assert_int_equal(mailtls_result_add(res, MAILTLS_F_CERT_EXPIRED, "gone"), 0);
	assert_int_equal(mailtls_result_exit_code(res), MAILTLS_EXIT_CRITICAL);
	assert_true(mailtls_result_has(res, MAILTLS_F_CERT_EXPIRED));
	assert_false(mailtls_result_has(res, MAILTLS_F_CERT_TRUSTED));
	assert_string_equal(res->findings.v[0].message, "info 1");
	res->checked = false;
	assert_int_equal(mailtls_result_exit_code(res), MAILTLS_EXIT_UNKNOWN);
	mailtls_result_free(res);
	mailtls_result_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ids_are_unique_and_complete),
		cmocka_unit_test(every_id_is_documented),
		cmocka_unit_test(result_exit_codes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
