/*
 * test_timeutil.c - table-driven tests for lib/timeutil.c: strict RFC 3339 and "@EPOCH"
 * parsing, and formatting. Expected epoch values were checked with `date -u -d TIME +%s`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "mailtls/mailtls.h"
#include "mailtls/timeutil.h"

static const struct parse_case {
	const char *in;
	int want_rc;
	long long want;		/* only when want_rc == 0 */
} parse_cases[] = {
	/* RFC 3339 5.6 date-time in UTC. */
	{ "2027-01-31T12:00:00Z", 0, 1801396800LL },
	{ "1970-01-01T00:00:00Z", 0, 0 },
	{ "1969-12-31T23:59:59Z", 0, -1 },
	{ "2000-01-01T00:00:00Z", 0, 946684800LL },
	{ "1999-12-31T23:59:59Z", 0, 946684799LL },
	{ "2016-12-31T23:59:59Z", 0, 1483228799LL },
	{ "2038-01-19T03:14:08Z", 0, 2147483648LL },
	{ "2969-05-03T00:00:00Z", 0, 31536000000LL },
	{ "9999-12-31T23:59:59Z", 0, 253402300799LL },
	{ "0000-01-01T00:00:00Z", 0, -62167219200LL },
	{ "1900-01-01T00:00:00Z", 0, -2208988800LL },
	/* Leap years: 2000 and 2024 are, 1900 and 2100 are not (RFC 3339 Appendix C). */
	{ "2000-02-29T23:59:59Z", 0, 951868799LL },
	{ "2024-02-29T00:00:00Z", 0, 1709164800LL },
	{ "2100-02-28T12:00:00Z", 0, 4107499200LL },
	{ "1900-02-29T00:00:00Z", MAILTLS_EINVAL, 0 },
	{ "2100-02-29T00:00:00Z", MAILTLS_EINVAL, 0 },
	{ "2023-02-29T00:00:00Z", MAILTLS_EINVAL, 0 },
	{ "2024-02-30T00:00:00Z", MAILTLS_EINVAL, 0 },
	/* Lower-case "t" and "z" (RFC 3339 5.6 NOTE). */
	{ "2027-01-31t12:00:00z", 0, 1801396800LL },
	{ "2027-01-31t12:00:00Z", 0, 1801396800LL },
	/* Fractions are floored. */
	{ "2027-01-31T12:00:00.999999999Z", 0, 1801396800LL },
	{ "2027-01-31T12:00:00.5Z", 0, 1801396800LL },
	{ "2027-01-31T12:00:00.0Z", 0, 1801396800LL },
	{ "1969-12-31T23:59:59.5Z", 0, -1 },
	{ "2027-01-31T12:00:00.Z", MAILTLS_EINVAL, 0 },
	{ "2027-01-31T12:00:00,5Z", MAILTLS_EINVAL, 0 },
	{ "2027-01-31T12:00:00.5x", MAILTLS_EINVAL, 0 },
	/* Offsets: UTC is local time minus the offset. */
	{ "2027-01-31T13:30:00+01:30", 0, 1801396800LL },
	{ "2027-01-31T12:00:00-05:00", 0, 1801414800LL },
	{ "2027-01-31T12:00:00+00:00", 0, 1801396800LL },
	{ "2027-01-31T12:00:00-00:00", 0, 1801396800LL },
	{ "2025-06-15T05:45:00+05:45", 0, 1749945600LL },
	{ "2025-06-14T23:00:00-01:00", 0, 1749945600LL },
	{ "2025-06-15T00:00:00+23:59", 0, 1749945600LL - 86340 },
	{ "2025-06-15T08:30:45.123+00:00", 0, 1749976245LL },
	{ "1970-01-01T00:00:00+00:01", 0, -60 },
	{ "2027-01-31T12:00:00+24:00", MAILTLS_EINVAL, 0 },
	{ "2027-01-31T12:00:00+01:60", MAILTLS_EINVAL, 0 },
	{ "2027-01-31T12:00:00+0100", MAILTLS_EINVAL, 0 },
	{ "2027-01-31T12:00:00+01", MAILTLS_EINVAL, 0 },
	{ "2027-01-31T12:00:00+01:00Z", MAILTLS_EINVAL, 0 },
	{ "2027-01-31T12:00:00+1:00", MAILTLS_EINVAL, 0 },
	{ "2027-01-31T12:00:00Z+01:00", MAILTLS_EINVAL, 0 },
	/* Out-of-range fields. */
	{ "2027-13-01T00:00:00Z", MAILTLS_EINVAL, 0 },
	{ "2027-00-01T00:00:00Z", MAILTLS_EINVAL, 0 },
	{ "2027-01-00T00:00:00Z", MAILTLS_EINVAL, 0 },
	{ "2027-01-32T00:00:00Z", MAILTLS_EINVAL, 0 },
	{ "2027-04-31T00:00:00Z", MAILTLS_EINVAL, 0 },
	{ "2027-01-31T24:00:00Z", MAILTLS_EINVAL, 0 },
	{ "2027-01-31T23:60:00Z", MAILTLS_EINVAL, 0 },
	{ "2016-12-31T23:59:60Z", MAILTLS_EINVAL, 0 },	/* leap second: rejected */
	{ "2027-01-31T12:00:61Z", MAILTLS_EINVAL, 0 },
	/* Shape: missing or extra parts, other separators. */
	{ "2027-01-31T12:00:00", MAILTLS_EINVAL, 0 },
	{ "2027-01-31 12:00:00Z", MAILTLS_EINVAL, 0 },
	{ "2027-01-31T12:00Z", MAILTLS_EINVAL, 0 },
	{ "2027-01-31", MAILTLS_EINVAL, 0 },
	{ "2027-1-31T12:00:00Z", MAILTLS_EINVAL, 0 },
	{ "27-01-31T12:00:00Z", MAILTLS_EINVAL, 0 },
	{ "+2027-01-31T12:00:00Z", MAILTLS_EINVAL, 0 },
	{ "20270131T120000Z", MAILTLS_EINVAL, 0 },
	{ "2027/01/31T12:00:00Z", MAILTLS_EINVAL, 0 },
	{ "2027-01-31T12:00:00ZZ", MAILTLS_EINVAL, 0 },
	{ "2027-01-31T12:00:00Z ", MAILTLS_EINVAL, 0 },
	{ " 2027-01-31T12:00:00Z", MAILTLS_EINVAL, 0 },
	{ "2027-01-31T12:00:00Z\n", MAILTLS_EINVAL, 0 },
	{ "2027-0a-31T12:00:00Z", MAILTLS_EINVAL, 0 },
	{ "2027-01-31T12:00:00UTC", MAILTLS_EINVAL, 0 },
	{ "2027-01-31T12:00:00GMT", MAILTLS_EINVAL, 0 },
	/* Over the 64-byte input limit, even though the shape is right. */
	{ "2027-01-31T12:00:00.00000000000000000000000000000000000000000000Z", MAILTLS_EINVAL, 0 },
	/* "@EPOCH". */
	{ "@0", 0, 0 },
	{ "@-1", 0, -1 },
	{ "@-0", 0, 0 },
	{ "@1801396800", 0, 1801396800LL },
	{ "@0001801396800", 0, 1801396800LL },
	{ "@-62167219200", 0, -62167219200LL },
	{ "@9223372036854775807", 0, 9223372036854775807LL },
	{ "@-9223372036854775808", 0, -9223372036854775807LL - 1 },
	{ "@9223372036854775808", MAILTLS_EINVAL, 0 },
	{ "@-9223372036854775809", MAILTLS_EINVAL, 0 },
	{ "@99999999999999999999999", MAILTLS_EINVAL, 0 },
	{ "@", MAILTLS_EINVAL, 0 },
	{ "@-", MAILTLS_EINVAL, 0 },
	{ "@+1", MAILTLS_EINVAL, 0 },
	{ "@1.5", MAILTLS_EINVAL, 0 },
	{ "@1e9", MAILTLS_EINVAL, 0 },
	{ "@ 1", MAILTLS_EINVAL, 0 },
	{ "@1 ", MAILTLS_EINVAL, 0 },
	{ "@0x10", MAILTLS_EINVAL, 0 },
	{ "@--1", MAILTLS_EINVAL, 0 },
	{ "1801396800", MAILTLS_EINVAL, 0 },
	/* Garbage. */
	{ "", MAILTLS_EINVAL, 0 },
	{ "now", MAILTLS_EINVAL, 0 },
	{ "T", MAILTLS_EINVAL, 0 },
	{ "\xff", MAILTLS_EINVAL, 0 },
};

static void test_parse_table(void **state)
{
	size_t failures = 0;

	(void)state;
	/* The table holds 64-bit values; a 32-bit time_t build would need its own table. */
	assert_true(sizeof(time_t) >= 8);
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		time_t t = (time_t)12345;
		int rc = mailtls_time_parse(c->in, &t);

		if (rc != c->want_rc || (rc == 0 && (long long)t != c->want) ||
		    (rc != 0 && t != (time_t)12345)) {
			print_error("parse row %zu: \"%s\": want %d/%lld, got %d/%lld\n", i, c->in,
			    c->want_rc, c->want, rc, (long long)t);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void test_parse_args(void **state)
{
	time_t t;

	(void)state;
	assert_int_equal(mailtls_time_parse(NULL, &t), MAILTLS_EINVAL);
	assert_int_equal(mailtls_time_parse("@0", NULL), MAILTLS_EINVAL);
}

static const struct format_case {
	long long t;
	const char *want;
} format_cases[] = {
	{ 0, "1970-01-01T00:00:00Z" },
	{ -1, "1969-12-31T23:59:59Z" },
	{ 1801396800LL, "2027-01-31T12:00:00Z" },
	{ 951868799LL, "2000-02-29T23:59:59Z" },
	{ 253402300799LL, "9999-12-31T23:59:59Z" },
	{ -62167219200LL, "0000-01-01T00:00:00Z" },
	/* Outside years 0000..9999: "@EPOCH", which parses back. */
	{ 253402300800LL, "@253402300800" },
	{ -62167219201LL, "@-62167219201" },
	{ 9223372036854775807LL, "@9223372036854775807" },
};

static void test_format_table(void **state)
{
	char buf[32];
	size_t failures = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(format_cases) / sizeof(format_cases[0]); i++) {
		const struct format_case *c = &format_cases[i];
		time_t back = 0;

		memset(buf, 'Z', sizeof(buf));
		if (mailtls_time_format((time_t)c->t, buf, sizeof(buf)) != buf ||
		    strcmp(buf, c->want) != 0 || mailtls_time_parse(buf, &back) != 0 ||
		    (long long)back != c->t) {
			print_error("format row %zu: %lld: want \"%s\", got \"%s\" (back %lld)\n",
			    i, c->t, c->want, buf, (long long)back);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void test_format_sizes(void **state)
{
	char buf[32];

	(void)state;
	/* Exactly 21 bytes is enough for the RFC 3339 form. */
	assert_string_equal(mailtls_time_format(1801396800, buf, 21), "2027-01-31T12:00:00Z");
	/* Too small: an empty string, never a truncated time. */
	memset(buf, 'Z', sizeof(buf));
	assert_string_equal(mailtls_time_format(1801396800, buf, 20), "");
	/* "@-9223372036854775808" needs 22 bytes. */
	assert_string_equal(mailtls_time_format((time_t)(-9223372036854775807LL - 1), buf, 21), "");
	assert_string_equal(mailtls_time_format((time_t)(-9223372036854775807LL - 1), buf, 22),
	    "@-9223372036854775808");
	assert_null(mailtls_time_format(0, NULL, 21));
	buf[0] = 'Z';
	assert_ptr_equal(mailtls_time_format(0, buf, 0), buf);
	assert_int_equal(buf[0], 'Z');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_args),
		cmocka_unit_test(test_format_table),
		cmocka_unit_test(test_format_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
