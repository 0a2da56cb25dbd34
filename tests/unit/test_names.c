/*
 * test_names.c - table-driven tests for lib/names.c: RFC 9525 DNS-ID matching, presented
 * name classification, reference normalization (libidn2) and the near-miss distance.
 *
 * Presented names carry an explicit length so that embedded NUL bytes are tested as a
 * certificate would carry them. RFC 9525 has no example table of its own; the wildcard rows
 * follow its 6.3 text ("*" as the complete content of the left-most label, matching exactly
 * one label) and reuse RFC 6125 6.4.3's examples ("*.example.com" matches "foo.example.com",
 * not "bar.foo.example.com" nor "example.com"; the partial forms "baz*.example.net",
 * "*baz.example.net", "b*z.example.net" that RFC 6125 tolerated and RFC 9525 forbids).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "mailtls/mailtls.h"
#include "mailtls/names.h"

/* A string literal and its length, NUL bytes inside included, the terminator not. */
#define P(s) s, sizeof(s) - 1

#define L63 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk"
#define L64 L63 "l"
/* 4 x 63 + 3 dots = 255; these build 253- and 254-byte names. */
#define N253 L63 "." L63 "." L63 "." "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghi"
#define N254 L63 "." L63 "." L63 "." "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghij"

static const char *match_str(enum mailtls_name_match m)
{
	switch (m) {
	case MAILTLS_NAME_NOMATCH: return "NOMATCH";
	case MAILTLS_NAME_MATCH: return "MATCH";
	case MAILTLS_NAME_MATCH_WILDCARD: return "MATCH_WILDCARD";
	}
	return "?";
}

#define NO MAILTLS_NAME_NOMATCH
#define EXACT MAILTLS_NAME_MATCH
#define WILD MAILTLS_NAME_MATCH_WILDCARD

static const struct match_case {
	const char *reference;
	const char *presented;
	size_t len;
	enum mailtls_name_match want;
} match_cases[] = {
	/* Exact, case-insensitive ASCII (RFC 9525 6.3). */
	{ "mx.example.org", P("mx.example.org"), EXACT },
	{ "mx.example.org", P("MX.Example.ORG"), EXACT },
	{ "MX.EXAMPLE.ORG", P("mx.example.org"), EXACT },
	{ "localhost", P("localhost"), EXACT },
	{ "mx.example.org", P("mx.example.or"), NO },
	{ "mx.example.org", P("x.example.org"), NO },
	{ "mx.example.org", P("mmx.example.org"), NO },
	{ "mx.example.org", P("example.org"), NO },
	{ "mx.example.org", P("mx.example.com"), NO },
	{ "mx.example.org", P("mx.example.org.evil.test"), NO },
	{ "imap.example.org", P("mail.example.org"), NO },
	/* A single trailing dot is ignored on either side, never two. */
	{ "mx.example.org", P("mx.example.org."), EXACT },
	{ "mx.example.org.", P("mx.example.org"), EXACT },
	{ "mx.example.org.", P("mx.example.org."), EXACT },
	{ "MX1.EXAMPLE.ORG.", P("mx1.example.org"), EXACT },
	{ "mx.example.org", P("mx.example.org.."), NO },
	{ "mx.example.org..", P("mx.example.org"), NO },
	/* Empty labels and empty names. */
	{ "mx.example.org", P(".mx.example.org"), NO },
	{ "mx.example.org", P("mx..example.org"), NO },
	{ "mx.example.org", P(""), NO },
	{ "mx.example.org", P("."), NO },
	{ "mx.example.org", P(".."), NO },
	{ "", P(""), NO },
	{ ".", P("."), NO },
	/* Embedded NUL (the 2009 "null prefix" attack) and other bytes. */
	{ "mx.example.org", P("mx.example.org\0.evil.test"), NO },
	{ "mx.example.org", P("mx.example.org\0"), NO },
	{ "mx.example.org", P("\0mx.example.org"), NO },
	{ "mx.example.org", P("mx.example.org "), NO },
	{ "mx.example.org", P("mx.exa mple.org"), NO },
	{ "mx.example.org", P("mx.example.org\n"), NO },
	{ "mx.example.org", P("mx.example.org/"), NO },
	{ "mx.example.org", P("mx.example.org\xff"), NO },
	/* The explicit length is honoured, not strlen. */
	{ "mx.example.org", "mx.example.org.evil.test", 14, EXACT },
	{ "mx.example.org", "mx.example.org", 13, NO },
	/* Wildcards: whole left-most label, exactly one label (RFC 9525 6.3). */
	{ "foo.example.com", P("*.example.com"), WILD },
	{ "www.example.com", P("*.example.com"), WILD },
	{ "FOO.example.com", P("*.EXAMPLE.com"), WILD },
	{ "foo.example.com", P("*.example.com."), WILD },
	{ "foo.example.com.", P("*.example.com"), WILD },
	{ "a.b.example.com", P("*.b.example.com"), WILD },
	{ "bar.foo.example.com", P("*.example.com"), NO },
	{ "a.b.example.com", P("*.example.com"), NO },
	{ "example.com", P("*.example.com"), NO },
	{ "x.example.com", P("*.x.example.com"), NO },
	{ "foo.example.org", P("*.example.com"), NO },
	{ "foo.example.com", "*.example.com.evil", 13, WILD },
	{ "foo.example.com", "*.example.com", 5, NO },	/* "*.exa": "*" + one label */
	/* Wildcard covering an A-label: allowed, RFC 9525 6.3 makes no exception. */
	{ "xn--bcher-kva.example.com", P("*.example.com"), WILD },
	/* Wildcard inside an A-label: a partial wildcard (RFC 6125 6.4.3), never matches. */
	{ "xn--bcher-kva.example.com", P("xn--*.example.com"), NO },
	{ "xn--bcher-kva.example.com", P("xn--bcher-*.example.com"), NO },
	/* Bad wildcards: more than one "*", "*" not left-most, too few labels after it. */
	{ "foo.bar.example.com", P("*.*.example.com"), NO },
	{ "a.foo.example.com", P("a.*.example.com"), NO },
	{ "foo.example.com", P("foo.example.*"), NO },
	{ "foo.example.com", P("**.example.com"), NO },
	{ "example.com", P("*.com"), NO },
	{ "foo.com", P("*.com"), NO },
	{ "foo.com", P("*.com."), NO },
	{ "com", P("*"), NO },
	{ "a.localhost", P("*.localhost"), NO },
	/* No public suffix rule: "*.co.uk" is a valid wildcard here (documented). */
	{ "foo.co.uk", P("*.co.uk"), WILD },
	/* Partial wildcards never match (RFC 9525 6.3; RFC 6125 6.4.3's own examples). */
	{ "foo.example.com", P("f*.example.com"), NO },
	{ "foo.example.com", P("*o.example.com"), NO },
	{ "foo.example.com", P("f*o.example.com"), NO },
	{ "baz1.example.net", P("baz*.example.net"), NO },
	{ "foobaz.example.net", P("*baz.example.net"), NO },
	{ "buzz.example.net", P("b*z.example.net"), NO },
	/* Wildcard-shaped but invalid bytes: INVALID wins. */
	{ "foo.example.com", P("*.example.com\0"), NO },
	{ "foo.example.com", P("*\0.example.com"), NO },
	{ "foo.example.com", P("* .example.com"), NO },
	/* A reference must be in normalized form: no "*", no non-ASCII, no IP literal. */
	{ "*.example.com", P("*.example.com"), NO },
	{ "*.example.com", P("foo.example.com"), NO },
	{ "192.0.2.1", P("192.0.2.1"), NO },
	{ "b\xc3\xbc" "cher.example", P("b\xc3\xbc" "cher.example"), NO },
	/* ... nor a label normalize refuses (found by fuzz/fuzz_names.c). */
	{ "-ail.example.org", P("*.example.org"), NO },
	{ "mail-.example.org", P("*.example.org"), NO },
	{ "mail.-example.org", P("mail.-example.org"), NO },
	{ "xn--zz.example.org", P("*.example.org"), NO },
	{ "XN--BCHER-KVA.example", P("xn--bcher-kva.example"), EXACT },
	/* IDN: A-labels compared as ASCII; raw UTF-8 in a certificate is INVALID. */
	{ "xn--bcher-kva.example", P("xn--bcher-kva.example"), EXACT },
	{ "xn--bcher-kva.example", P("XN--BCHER-KVA.EXAMPLE"), EXACT },
	{ "xn--bcher-kva.example", P("b\xc3\xbc" "cher.example"), NO },
	{ "xn--bcher-kva.example", P("bucher.example"), NO },
	/* Underscore accepted (documented decision). */
	{ "_mta-sts.example.com", P("_mta-sts.example.com"), EXACT },
	{ "foo_bar.example.com", P("foo_bar.example.com"), EXACT },
	{ "foo_bar.example.com", P("*.example.com"), WILD },
	/* Lengths: labels up to 63, names up to 253 without the trailing dot. */
	{ L63 ".example", P(L63 ".example"), EXACT },
	{ L63 ".example", P(L64 ".example"), NO },
	{ L64 ".example", P(L64 ".example"), NO },
	{ N253, P(N253), EXACT },
	{ N253, P(N253 "."), EXACT },
	{ N253 ".", P(N253), EXACT },
	{ N254, P(N254), NO },
	{ N253, P(N254), NO },
	{ "x." L63 "." L63 "." L63 ".abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdef",
	  P("*." L63 "." L63 "." L63 ".abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdef"),
	  WILD },
};

static void test_match_table(void **state)
{
	size_t failures = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		const struct match_case *c = &match_cases[i];
		enum mailtls_name_match got = mailtls_name_match(c->reference, c->presented, c->len);

		if (got != c->want) {
			print_error("match row %zu: ref \"%s\" presented \"%.*s\" (len %zu): "
			    "want %s, got %s\n", i, c->reference, (int)c->len, c->presented,
			    c->len, match_str(c->want), match_str(got));
			failures++;
		}
	}
	assert_int_equal(failures, 0);
	assert_true(sizeof(match_cases) / sizeof(match_cases[0]) >= 60);
}

#define PLAIN MAILTLS_PRESENTED_PLAIN
#define WCARD MAILTLS_PRESENTED_WILDCARD
#define PARTIAL MAILTLS_PRESENTED_PARTIAL_WILDCARD
#define BADW MAILTLS_PRESENTED_BAD_WILDCARD
#define INVALID MAILTLS_PRESENTED_INVALID

static const struct kind_case {
	const char *presented;
	size_t len;
	enum mailtls_presented_kind want;
} kind_cases[] = {
	{ P("mx.example.org"), PLAIN },
	{ P("MX.EXAMPLE.ORG."), PLAIN },
	{ P("localhost"), PLAIN },
	{ P("xn--bcher-kva.example"), PLAIN },
	{ P("_mta-sts.example.com"), PLAIN },
	{ P("-weird-.example.com"), PLAIN },
	{ P("192.0.2.1"), PLAIN },
	{ P("*.example.com"), WCARD },
	{ P("*.example.com."), WCARD },
	{ P("*.co.uk"), WCARD },
	{ P("*.a.b.c.d"), WCARD },
	{ P("f*.example.com"), PARTIAL },
	{ P("*f.example.com"), PARTIAL },
	{ P("f*o.example.com"), PARTIAL },
	{ P("xn--*.example.com"), PARTIAL },
	{ P("f*"), PARTIAL },
	{ P("f*.com"), PARTIAL },
	{ P("*.*.example.com"), BADW },
	{ P("a.*.example.com"), BADW },
	{ P("a.b*.example.com"), BADW },
	{ P("example.*"), BADW },
	{ P("**.example.com"), BADW },
	{ P("*f*.example.com"), BADW },
	{ P("*.com"), BADW },
	{ P("*.com."), BADW },
	{ P("*"), BADW },
	{ P("*."), BADW },
	{ P(""), INVALID },
	{ P("."), INVALID },
	{ P(".."), INVALID },
	{ P(".example.com"), INVALID },
	{ P("a..example.com"), INVALID },
	{ P("example.com.."), INVALID },
	{ P("*..example.com"), INVALID },
	{ P("mx.example.org\0.evil.test"), INVALID },
	{ P("mx.example.org\0"), INVALID },
	{ P("*.example.com\0"), INVALID },
	{ P("b\xc3\xbc" "cher.example"), INVALID },
	{ P("mx.example.org\x80"), INVALID },
	{ P("mx example.org"), INVALID },
	{ P("mx.example.org:25"), INVALID },
	{ P("[2001:db8::1]"), INVALID },
	{ P("mx@example.org"), INVALID },
	{ P("?.example.com"), INVALID },
	{ P(L64 ".example"), INVALID },
	{ P(L63 ".example"), PLAIN },
	{ P(N253), PLAIN },
	{ P(N253 "."), PLAIN },
	{ P(N254), INVALID },
	{ P(N253 ".."), INVALID },
};

static void test_kind_table(void **state)
{
	size_t failures = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(kind_cases) / sizeof(kind_cases[0]); i++) {
		const struct kind_case *c = &kind_cases[i];
		enum mailtls_presented_kind got = mailtls_name_presented_kind(c->presented, c->len);

		if (got != c->want) {
			print_error("kind row %zu: \"%.*s\" (len %zu): want %d, got %d\n", i,
			    (int)c->len, c->presented, c->len, (int)c->want, (int)got);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
	assert_int_equal(mailtls_name_presented_kind(NULL, 0), INVALID);
	assert_int_equal(mailtls_name_presented_kind(NULL, 5), INVALID);
}

#define OK 0
#define EINV MAILTLS_EINVAL

static const struct norm_case {
	const char *in;
	int want_rc;
	const char *want_out;	/* "" when the call fails */
} norm_cases[] = {
	{ "mx.example.org", OK, "mx.example.org" },
	{ "MX.Example.ORG.", OK, "mx.example.org" },
	{ "localhost", OK, "localhost" },
	{ "3com.com", OK, "3com.com" },
	{ "1.2.3.4.example", OK, "1.2.3.4.example" },
	{ "_mta-sts.example.com", OK, "_mta-sts.example.com" },
	/* ASCII labels with "--" at positions 3-4 that are not "xn--" exist in the wild. */
	{ "r4---sn-abc.example.com", OK, "r4---sn-abc.example.com" },
	/* U-labels become A-labels (RFC 9525 6.3), mapped with UTS #46 non-transitional. */
	{ "b\xc3\xbc" "cher.example", OK, "xn--bcher-kva.example" },
	{ "B\xc3\x9c" "CHER.Example", OK, "xn--bcher-kva.example" },
	{ "b\xc3\xbc" "cher.example.", OK, "xn--bcher-kva.example" },
	{ "mail.b\xc3\xbc" "cher.example", OK, "mail.xn--bcher-kva.example" },
	{ "fa\xc3\x9f.de", OK, "xn--fa-hia.de" },
	{ "a\xe3\x80\x82" "b.example", OK, "a.b.example" },	/* U+3002 maps to "." */
	/* A-labels: accepted when they decode and re-encode to themselves. */
	{ "xn--bcher-kva.example", OK, "xn--bcher-kva.example" },
	{ "XN--BCHER-KVA.EXAMPLE.", OK, "xn--bcher-kva.example" },
	{ "xn--zz.example", EINV, "" },
	{ "xn--.example", EINV, "" },
	{ "xn--n3h.example", EINV, "" },		/* U+2603 SNOWMAN: DISALLOWED */
	{ "\xe2\x98\x83.example", EINV, "" },
	{ "mx.example.org\xff", EINV, "" },		/* not UTF-8 */
	/* Not DNS names. */
	{ "*.example.com", EINV, "" },
	{ "192.0.2.1", EINV, "" },
	{ "127.1", EINV, "" },
	{ "example.123", EINV, "" },
	{ "::1", EINV, "" },
	{ "[2001:db8::1]", EINV, "" },
	{ "", EINV, "" },
	{ ".", EINV, "" },
	{ "..", EINV, "" },
	{ ".example.com", EINV, "" },
	{ "a..example.com", EINV, "" },
	{ "example.com..", EINV, "" },
	{ "-mx.example.org", EINV, "" },
	{ "mx-.example.org", EINV, "" },
	{ "mx.example.org ", EINV, "" },
	{ "mx example.org", EINV, "" },
	{ "mx.example.org:25", EINV, "" },
	/* Lengths. */
	{ L63 ".example", OK, L63 ".example" },
	{ L64 ".example", EINV, "" },
	{ N253, OK, N253 },
	{ N253 ".", OK, N253 },
	{ N254, EINV, "" },
	/* Short in UTF-8, too long once encoded. */
	{ L63 "." L63 "." L63 ".abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz.b\xc3\xbc"
	  "cher", EINV, "" },
};

static void test_normalize_table(void **state)
{
	size_t failures = 0;
	char out[MAILTLS_NAME_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
		const struct norm_case *c = &norm_cases[i];
		int rc;

		memset(out, 'Z', sizeof(out));
		rc = mailtls_name_normalize(c->in, out, sizeof(out));
		if (rc != c->want_rc || strcmp(out, c->want_out) != 0) {
			print_error("normalize row %zu: \"%s\": want %d \"%s\", got %d \"%s\"\n",
			    i, c->in, c->want_rc, c->want_out, rc, out);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void test_normalize_args(void **state)
{
	char out[MAILTLS_NAME_MAX + 1];
	char big[2000];

	(void)state;
	assert_int_equal(mailtls_name_normalize(NULL, out, sizeof(out)), MAILTLS_EINVAL);
	assert_string_equal(out, "");
	assert_int_equal(mailtls_name_normalize("mx.example.org", NULL, 300), MAILTLS_EINVAL);
	assert_int_equal(mailtls_name_normalize("mx.example.org", out, MAILTLS_NAME_MAX),
	    MAILTLS_EINVAL);
	/* Over the 1024-byte input limit. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(mailtls_name_normalize(big, out, sizeof(out)), MAILTLS_EINVAL);
	assert_string_equal(out, "");
	/* Normalize then match: the U-label reference meets the A-label certificate. */
	assert_int_equal(mailtls_name_normalize("B\xc3\xbc" "cher.Example.", out, sizeof(out)), 0);
	assert_int_equal(mailtls_name_match(out, P("xn--bcher-kva.example")), MAILTLS_NAME_MATCH);
	assert_int_equal(mailtls_name_match(out, P("*.example")), MAILTLS_NAME_NOMATCH);
	assert_int_equal(mailtls_name_match(NULL, P("mx.example.org")), MAILTLS_NAME_NOMATCH);
	assert_int_equal(mailtls_name_match("mx.example.org", NULL, 14), MAILTLS_NAME_NOMATCH);
}

static const struct dist_case {
	const char *reference;
	const char *presented;
	size_t len;
	unsigned want;
} dist_cases[] = {
	{ "mx.example.org", P("mx.example.org"), 0 },
	{ "mx.example.org", P("MX.EXAMPLE.ORG."), 0 },
	{ "mx.example.org.", P("mx.example.org"), 0 },
	{ "imap.example.org", P("mail.example.org"), 3 },
	{ "mx1.example.org", P("mx2.example.org"), 1 },
	{ "mx.example.org", P("*.example.org"), 2 },
	{ "example.org", P("example.com"), 3 },
	{ "smtp.example.org", P("mx.example.org"), 3 },
	{ "mx.example.org", P("mx.example.org.evil.test"), 10 },
	{ "mx.example.org", P("mx.example.org\0"), 1 },
	{ "kitten", P("sitting"), 3 },
	{ "", P("abc"), 3 },
	{ "abc", P(""), 3 },
	{ "", P(""), 0 },
	{ N253, P(N253), 0 },
	{ N253, P(N253 "."), 0 },
	{ N253, P(N254), 255 },		/* 254 bytes: over the limit */
	{ N253, P("a"), 252 },
	{ N254, P("a"), 255 },
};

static void test_distance_table(void **state)
{
	size_t failures = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(dist_cases) / sizeof(dist_cases[0]); i++) {
		const struct dist_case *c = &dist_cases[i];
		unsigned got = mailtls_name_distance(c->reference, c->presented, c->len);

		if (got != c->want) {
			print_error("distance row %zu: \"%s\" vs \"%.*s\": want %u, got %u\n", i,
			    c->reference, (int)c->len, c->presented, c->want, got);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
	assert_int_equal(mailtls_name_distance(NULL, P("a")), 255);
	assert_int_equal(mailtls_name_distance("a", NULL, 1), 255);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_table),
		cmocka_unit_test(test_kind_table),
		cmocka_unit_test(test_normalize_table),
		cmocka_unit_test(test_normalize_args),
		cmocka_unit_test(test_distance_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
