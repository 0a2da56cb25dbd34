/*
 * testfindings.c - assertions on findings shared by the unit tests (testfindings.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "testfindings.h"

void testfindings_expect_ids(const struct mailtls_result *res, ...)
{
	const char *want[32];
	size_t n = 0;
	va_list ap;
	bool same;

	va_start(ap, res);
	while (n < 32 && (want[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	same = n == res->findings.n;
	for (size_t i = 0; same && i < n; i++)
		same = strcmp(want[i], res->findings.v[i].id) == 0;
	if (!same || getenv("MAILTLS_TEST_VERBOSE") != NULL) {
		print_error("findings%s:\n", same ? "" : " differ; got");
		for (size_t i = 0; i < res->findings.n; i++)
			print_error("  %s: %s\n", res->findings.v[i].id, res->findings.v[i].message);
	}
	assert_true(same);
}

const char *message_of(const struct mailtls_result *res, const char *id)
{
	for (size_t i = 0; i < res->findings.n; i++)
		if (strcmp(res->findings.v[i].id, id) == 0)
			return res->findings.v[i].message;
	fail_msg("no finding %s", id);
	return NULL;
}
