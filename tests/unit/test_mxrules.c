/*
 * test_mxrules.c - MX ordering, IP-literal MX targets, the TLSA base domain and the DANE-TA
 * reference names (RFC 5321 5.1, RFC 7505 4, RFC 7672 2.2.2 and 3.2.3), as tables.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <mailtls/mailtls.h>
#include "mxrules.h"

static void ip_literals(void **state)
{
	static const struct { const char *name; bool ip; } t[] = {
		{ "192.0.2.1", true }, { "192.0.2.1.", true }, { "[192.0.2.1]", true },
		{ "2001:db8::1", true }, { "[IPv6:2001:db8::1]", true }, { "::1", true },
		{ "mx1.example.org", false }, { "192.0.2.1.example.org", false },
		{ "1.2.3", false }, { "", false }, { "[]", false }, { "[mx1.example.org]", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(mxrules_ip_literal(t[i].name), t[i].ip);
}

static void sort_by_preference_then_name(void **state)
{
	struct mailtls_mx_host h[5] = {
		{ .name = "mxc.example.org", .preference = 30 },
		{ .name = "mxa.example.org", .preference = 10 },
		{ .name = "mxd.example.org", .preference = 30 },
		{ .name = "backup.example.net", .preference = 30 },
		{ .name = "mxb.example.org", .preference = 20 },
	};
	const char *want[5] = { "mxa.example.org", "mxb.example.org", "backup.example.net",
				"mxc.example.org", "mxd.example.org" };

	(void)state;
	mxrules_sort(h, 5);
	for (int i = 0; i < 5; i++)
		assert_string_equal(h[i].name, want[i]);
	mxrules_sort(h, 0);
}

static void tlsa_base(void **state)
{
	bool fb;

	(void)state;
	/* No alias: the name. */
	assert_string_equal(mxrules_tlsa_first("mx.example.org", NULL, false, &fb), "mx.example.org");
	assert_false(fb);
	/* A secure alias: the expansion first, then the name. */
	assert_string_equal(mxrules_tlsa_first("mx.example.org", "host.hoster.net", true, &fb),
			    "host.hoster.net");
	assert_true(fb);
	/* An insecure expansion is never used as a TLSA base. */
	assert_string_equal(mxrules_tlsa_first("mx.example.org", "host.hoster.net", false, &fb),
			    "mx.example.org");
	assert_false(fb);
	/* An "expansion" to itself is no alias. */
	assert_string_equal(mxrules_tlsa_first("mx.example.org", "mx.example.org", true, &fb),
			    "mx.example.org");
	assert_false(fb);
}

static void dane_names(void **state)
{
	struct mailtls_strlist l = { 0 };

	(void)state;
	assert_int_equal(mxrules_dane_names("mx.example.org", "mx.example.org", NULL, false, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0], "mx.example.org");
	mailtls_strlist_clear(&l);

	/* TLSA found at the expansion: base first, then the MX name. */
	assert_int_equal(mxrules_dane_names("host.hoster.net", "mx.example.org", "host.hoster.net",
					    true, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0], "host.hoster.net");
	assert_string_equal(l.v[1], "mx.example.org");
	mailtls_strlist_clear(&l);

	/* TLSA found at the name (nothing at the expansion): the base, which is the name. */
	assert_int_equal(mxrules_dane_names("mx.example.org", "mx.example.org", "host.hoster.net",
					    true, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0], "mx.example.org");
	mailtls_strlist_clear(&l);

	/* An insecure expansion is not a reference name. */
	assert_int_equal(mxrules_dane_names("mx.example.org", "mx.example.org", "host.hoster.net",
					    false, &l), 0);
	assert_int_equal(l.n, 1);
	mailtls_strlist_clear(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ip_literals),
		cmocka_unit_test(sort_by_preference_then_name),
		cmocka_unit_test(tlsa_base),
		cmocka_unit_test(dane_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
