/*
 * test_mtasts.c - the MTA-STS and TLS-RPT readers (mailtls/mtasts.h, lib/mtasts_read.c) as
 * tables: the _mta-sts TXT record set (RFC 8461 3.1), policy bodies (3.2), MX pattern
 * matching (4.1) and the _smtp._tls record set (RFC 8460 3). Every case states every field
 * the reader fills and the exact defect list (kind, line, quote, fatal).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <mailtls/mailtls.h>
#include <mailtls/mtasts.h>

/* A string literal with its length (it may hold NULs). */
#define T(s) { (s), sizeof(s) - 1 }
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define PMAX 8

struct want_problem {
	enum mailtls_sts_defect d;
	unsigned line;
	const char *quote;            /* NULL: no quote */
	bool fatal;
};

static bool str_same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* check_problems - ps holds exactly the n problems of w, in order. */
static void check_problems(const char *name, const struct mailtls_sts_problems *ps,
			   const struct want_problem *w, size_t n, size_t omitted)
{
	if (ps->n != n || ps->omitted != omitted) {
		for (size_t i = 0; i < ps->n; i++)
			print_message("  got %s line %u fatal %d quote %s\n",
				      mailtls_sts_defect_key(ps->v[i].defect), ps->v[i].line,
				      ps->v[i].fatal, ps->v[i].quote ? ps->v[i].quote : "(null)");
		fail_msg("%s: %zu problems (%zu omitted), want %zu (%zu)", name, ps->n,
			 ps->omitted, n, omitted);
	}
	for (size_t i = 0; i < n; i++) {
		const struct mailtls_sts_problem *p = &ps->v[i];

		if (p->defect != w[i].d || p->line != w[i].line || p->fatal != w[i].fatal ||
		    !str_same(p->quote, w[i].quote))
			fail_msg("%s: problem %zu is %s line %u fatal %d quote [%s], want %s line %u "
				 "fatal %d quote [%s]", name, i, mailtls_sts_defect_key(p->defect),
				 p->line, p->fatal, p->quote ? p->quote : "(null)",
				 mailtls_sts_defect_key(w[i].d), w[i].line, w[i].fatal,
				 w[i].quote ? w[i].quote : "(null)");
	}
}

static size_t count_problems(const struct want_problem *w)
{
	size_t n = 0;

	/* The table's unused slots are zero: a quote-less non-fatal TXT_MULTIPLE at line 0,
	 * which no reader ever reports (TXT_MULTIPLE is always fatal). */
	while (n < PMAX && (w[n].fatal || w[n].quote != NULL || w[n].line != 0 || w[n].d != 0))
		n++;
	return n;
}

/* The _mta-sts TXT record set. */

#define ID32 "abcdefghijklmnopqrstuvwxyz012345"

struct txt_case {
	const char *name;
	struct mailtls_txt_in recs[3];
	size_t n;
	size_t n_sts;
	bool valid;
	const char *id;
	struct want_problem p[PMAX];
};

static const struct txt_case txt_cases[] = {
	{ "good", { T("v=STSv1; id=20160831085700Z") }, 1, 1, true, "20160831085700Z", { { 0 } } },
	{ "trailing ;", { T("v=STSv1; id=20160831085700Z;") }, 1, 1, true, "20160831085700Z",
	  { { 0 } } },
	{ "spaces and tabs around ;", { T("v=STSv1 ;\tid=abc123 \t; ") }, 1, 1, true, "abc123",
	  { { 0 } } },
	{ "no spaces", { T("v=STSv1;id=abc") }, 1, 1, true, "abc", { { 0 } } },
	{ "id 32", { T("v=STSv1; id=" ID32) }, 1, 1, true, ID32, { { 0 } } },
	{ "id 33", { T("v=STSv1; id=" ID32 "6") }, 1, 1, false, NULL,
	  { { MAILTLS_STS_TXT_BAD_ID, 0, "id=" ID32 "6", true } } },
	{ "id with -", { T("v=STSv1; id=2016-08-31") }, 1, 1, false, NULL,
	  { { MAILTLS_STS_TXT_BAD_ID, 0, "id=2016-08-31", true } } },
	{ "id empty", { T("v=STSv1; id=") }, 1, 1, false, NULL,
	  { { MAILTLS_STS_TXT_BAD_ID, 0, "id=", true } } },
	{ "no id", { T("v=STSv1; foo=bar") }, 1, 1, false, NULL,
	  { { MAILTLS_STS_TXT_NO_ID, 0, NULL, true } } },
	{ "ID= is another field", { T("v=STSv1; ID=1") }, 1, 1, false, NULL,
	  { { MAILTLS_STS_TXT_NO_ID, 0, NULL, true } } },
	{ "version alone", { T("v=STSv1") }, 1, 1, false, NULL,
	  { { MAILTLS_STS_TXT_NO_ID, 0, NULL, true } } },
	{ "version and ;", { T("v=STSv1;") }, 1, 1, false, NULL,
	  { { MAILTLS_STS_TXT_NO_ID, 0, NULL, true } } },
	{ "two records", { T("v=STSv1; id=a"), T("v=STSv1; id=b") }, 2, 2, false, NULL,
	  { { MAILTLS_STS_TXT_MULTIPLE, 0, NULL, true } } },
	{ "v=STSv2", { T("v=STSv2; id=1") }, 1, 0, false, NULL,
	  { { MAILTLS_STS_TXT_OTHER_VERSION, 0, "v=STSv2; id=1", false } } },
	{ "v=stsv1", { T("v=stsv1;id=1") }, 1, 0, false, NULL,
	  { { MAILTLS_STS_TXT_OTHER_VERSION, 0, "v=stsv1;id=1", false } } },
	{ "v=STSv10", { T("v=STSv10; id=1") }, 1, 0, false, NULL,
	  { { MAILTLS_STS_TXT_OTHER_VERSION, 0, "v=STSv10; id=1", false } } },
	{ "other version beside a good one", { T("v=STSv2; id=2"), T("v=STSv1; id=1") }, 2, 1,
	  true, "1", { { MAILTLS_STS_TXT_OTHER_VERSION, 0, "v=STSv2; id=2", false } } },
	{ "spf ignored", { T("v=spf1 -all"), T("v=STSv1; id=1") }, 2, 1, true, "1", { { 0 } } },
	{ "no records", { { NULL, 0 } }, 0, 0, false, NULL, { { 0 } } },
	{ "extension", { T("v=STSv1; id=1; ext.x_y-z=val:ue/+") }, 1, 1, true, "1", { { 0 } } },
	{ "extension value with =", { T("v=STSv1; id=1; ext=a=b") }, 1, 1, false, NULL,
	  { { MAILTLS_STS_TXT_SYNTAX, 0, "v=STSv1; id=1; ext=a=b", true } } },
	{ "extension name of 33", { T("v=STSv1; id=1; abcdefghijklmnopqrstuvwxyz0123456=1") }, 1,
	  1, false, NULL,
	  { { MAILTLS_STS_TXT_SYNTAX, 0, "v=STSv1; id=1; abcdefghijklmnopqrstuvwxyz0123456=1",
	      true } } },
	{ "extension without value", { T("v=STSv1; id=1; ext=") }, 1, 1, false, NULL,
	  { { MAILTLS_STS_TXT_SYNTAX, 0, "v=STSv1; id=1; ext=", true } } },
	{ "NUL in id", { T("v=STSv1; id=ab\0cd") }, 1, 1, false, NULL,
	  { { MAILTLS_STS_TXT_BAD_ID, 0, "id=ab\\x00cd", true } } },
	{ "NUL after version", { T("v=STSv1\0; id=1") }, 1, 0, false, NULL,
	  { { MAILTLS_STS_TXT_OTHER_VERSION, 0, "v=STSv1\\x00; id=1", false } } },
	{ "no ; after version", { T("v=STSv1 id=1") }, 1, 1, false, NULL,
	  { { MAILTLS_STS_TXT_SYNTAX, 0, "v=STSv1 id=1", true } } },
	{ "empty field", { T("v=STSv1;; id=1") }, 1, 1, false, NULL,
	  { { MAILTLS_STS_TXT_SYNTAX, 0, "v=STSv1;; id=1", true } } },
	{ "space at the end", { T("v=STSv1; id=1 ") }, 1, 1, false, NULL,
	  { { MAILTLS_STS_TXT_SYNTAX, 0, "v=STSv1; id=1 ", true } } },
	{ "second id", { T("v=STSv1; id=1; id=2") }, 1, 1, true, "1",
	  { { MAILTLS_STS_TXT_SYNTAX, 0, "id=2", false } } },
	{ "space inside id", { T("v=STSv1; id=12 34") }, 1, 1, false, NULL,
	  { { MAILTLS_STS_TXT_BAD_ID, 0, "id=12 34", true } } },
	{ "ESC shown escaped", { T("v=STSv1; id=1\x1b[2J") }, 1, 1, false, NULL,
	  { { MAILTLS_STS_TXT_BAD_ID, 0, "id=1\\x1b[2J", true } } },
};

static void txt_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(txt_cases); i++) {
		const struct txt_case *c = &txt_cases[i];
		struct mailtls_sts_txt t = { 0 };

		assert_int_equal(mailtls_sts_txt_read(&t, c->recs, c->n), 0);
		if (t.records.n != c->n || t.n_sts != c->n_sts || t.valid != c->valid ||
		    !str_same(t.id, c->id))
			fail_msg("%s: records %zu n_sts %zu valid %d id %s", c->name, t.records.n,
				 t.n_sts, t.valid, t.id ? t.id : "(null)");
		check_problems(c->name, &t.problems, c->p, count_problems(c->p), 0);
		mailtls_sts_txt_clear(&t);
	}
}

/* The records are kept escaped, and a second read starts afresh. */
static void txt_records_escaped(void **state)
{
	const struct mailtls_txt_in recs[] = { T("v=spf1 \x1b[31m\0-all"), T("v=STSv1; id=9") };
	struct mailtls_sts_txt t = { 0 };

	(void)state;
	assert_int_equal(mailtls_sts_txt_read(&t, recs, 2), 0);
	assert_int_equal(t.records.n, 2);
	assert_string_equal(t.records.v[0], "v=spf1 \\x1b[31m\\x00-all");
	assert_string_equal(t.records.v[1], "v=STSv1; id=9");
	assert_true(t.valid);
	assert_int_equal(mailtls_sts_txt_read(&t, recs + 1, 1), 0);
	assert_int_equal(t.records.n, 1);
	assert_int_equal(t.n_sts, 1);
	assert_string_equal(t.id, "9");
	mailtls_sts_txt_clear(&t);
}

/* Many other-version records: the list stops, the rest is counted. */
static void txt_problems_capped(void **state)
{
	struct mailtls_txt_in recs[40];
	struct mailtls_sts_txt t = { 0 };

	(void)state;
	for (size_t i = 0; i < NELEM(recs); i++)
		recs[i] = (struct mailtls_txt_in)T("v=STSv2; id=1");
	assert_int_equal(mailtls_sts_txt_read(&t, recs, NELEM(recs)), 0);
	assert_int_equal(t.problems.n + t.problems.omitted, 40);
	assert_true(t.problems.n <= MAILTLS_STS_PROBLEMS_MAX);
	mailtls_sts_txt_clear(&t);
}

/* Policies. */

#define RFC_LINES(eol) "version: STSv1" eol "mode: enforce" eol "mx: mail.example.com" eol \
	"mx: *.example.net" eol "mx: backupmx.example.com" eol "max_age: 604800"
#define HEAD "version: STSv1\nmode: enforce\nmx: mx.example.org\n"
#define TAIL_NONE "version: STSv1\nmode: none\n"

struct policy_case {
	const char *name;
	struct mailtls_txt_in body;
	bool valid;
	enum mailtls_sts_mode mode;
	bool have_max_age;
	unsigned long max_age;
	const char *mx[4];
	struct want_problem p[PMAX];
};

static const struct policy_case policy_cases[] = {
	{ "RFC example, CRLF", T(RFC_LINES("\r\n") "\r\n"), true, MAILTLS_STS_MODE_ENFORCE, true,
	  604800, { "mail.example.com", "*.example.net", "backupmx.example.com" }, { { 0 } } },
	{ "RFC example, LF", T(RFC_LINES("\n") "\n"), true, MAILTLS_STS_MODE_ENFORCE, true, 604800,
	  { "mail.example.com", "*.example.net", "backupmx.example.com" }, { { 0 } } },
	{ "no final newline", T(RFC_LINES("\n")), true, MAILTLS_STS_MODE_ENFORCE, true, 604800,
	  { "mail.example.com", "*.example.net", "backupmx.example.com" }, { { 0 } } },
	{ "whitespace around values", T("version:STSv1 \nmode:\t testing\t\nmx:  a.example \n"
					 "max_age: 86400  \n"),
	  true, MAILTLS_STS_MODE_TESTING, true, 86400, { "a.example" }, { { 0 } } },
	/* The ABNF allows any order: a defect, not fatal (senders apply it). */
	{ "version not first", T("mode: enforce\nversion: STSv1\nmx: a.example\nmax_age: 86400\n"),
	  true, MAILTLS_STS_MODE_ENFORCE, true, 86400, { "a.example" },
	  { { MAILTLS_STS_POL_VERSION, 2, "version: STSv1", false } } },
	{ "version STSv2", T("version: STSv2\nmode: none\nmax_age: 86400\n"), false,
	  MAILTLS_STS_MODE_NONE, true, 86400, { NULL },
	  { { MAILTLS_STS_POL_VERSION, 1, "version: STSv2", true } } },
	{ "no version", T("mode: none\nmax_age: 86400\n"), false, MAILTLS_STS_MODE_NONE, true,
	  86400, { NULL }, { { MAILTLS_STS_POL_VERSION, 0, NULL, true } } },
	{ "version twice", T("version: STSv1\nversion: STSv1\nmode: none\nmax_age: 1\n"), true,
	  MAILTLS_STS_MODE_NONE, true, 1, { NULL },
	  { { MAILTLS_STS_POL_DUPLICATE, 2, "version: STSv1", false } } },
	{ "missing mode", T("version: STSv1\nmx: a.example\nmax_age: 86400\n"), false,
	  MAILTLS_STS_MODE_UNSET, true, 86400, { "a.example" },
	  { { MAILTLS_STS_POL_MODE_MISSING, 0, NULL, true } } },
	{ "mode strict", T("version: STSv1\nmode: strict\nmx: a.example\nmax_age: 86400\n"), false,
	  MAILTLS_STS_MODE_UNSET, true, 86400, { "a.example" },
	  { { MAILTLS_STS_POL_MODE_UNKNOWN, 2, "mode: strict", true } } },
	{ "mode Enforce", T("version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 86400\n"), false,
	  MAILTLS_STS_MODE_UNSET, true, 86400, { "a.example" },
	  { { MAILTLS_STS_POL_MODE_UNKNOWN, 2, "mode: Enforce", true } } },
	{ "max_age 0", T(TAIL_NONE "max_age: 0\n"), true, MAILTLS_STS_MODE_NONE, true, 0, { NULL },
	  { { 0 } } },
	{ "max_age 31557600", T(TAIL_NONE "max_age: 31557600\n"), true, MAILTLS_STS_MODE_NONE, true,
	  31557600, { NULL }, { { 0 } } },
	{ "max_age 10 digits, zeros", T(TAIL_NONE "max_age: 0000086400\n"), true,
	  MAILTLS_STS_MODE_NONE, true, 86400, { NULL }, { { 0 } } },
	{ "max_age 31557601", T(TAIL_NONE "max_age: 31557601\n"), false, MAILTLS_STS_MODE_NONE,
	  false, 0, { NULL }, { { MAILTLS_STS_POL_MAX_AGE_BAD, 3, "max_age: 31557601", true } } },
	{ "max_age 11 digits", T(TAIL_NONE "max_age: 00000000001\n"), false, MAILTLS_STS_MODE_NONE,
	  false, 0, { NULL },
	  { { MAILTLS_STS_POL_MAX_AGE_BAD, 3, "max_age: 00000000001", true } } },
	{ "max_age -1", T(TAIL_NONE "max_age: -1\n"), false, MAILTLS_STS_MODE_NONE, false, 0,
	  { NULL }, { { MAILTLS_STS_POL_MAX_AGE_BAD, 3, "max_age: -1", true } } },
	{ "max_age 1d", T(TAIL_NONE "max_age: 1d\n"), false, MAILTLS_STS_MODE_NONE, false, 0,
	  { NULL }, { { MAILTLS_STS_POL_MAX_AGE_BAD, 3, "max_age: 1d", true } } },
	{ "missing max_age", T(TAIL_NONE), false, MAILTLS_STS_MODE_NONE, false, 0, { NULL },
	  { { MAILTLS_STS_POL_MAX_AGE_MISSING, 0, NULL, true } } },
	{ "max_age twice", T(TAIL_NONE "max_age: 5\nmax_age: 6\n"), true, MAILTLS_STS_MODE_NONE,
	  true, 5, { NULL }, { { MAILTLS_STS_POL_DUPLICATE, 4, "max_age: 6", false } } },
	{ "mode none, no mx", T(TAIL_NONE "max_age: 86400\n"), true, MAILTLS_STS_MODE_NONE, true,
	  86400, { NULL }, { { 0 } } },
	{ "enforce, no mx", T("version: STSv1\nmode: enforce\nmax_age: 86400\n"), false,
	  MAILTLS_STS_MODE_ENFORCE, true, 86400, { NULL },
	  { { MAILTLS_STS_POL_MX_MISSING, 0, NULL, true } } },
	{ "testing, only bad mx", T("version: STSv1\nmode: testing\nmx: *\nmax_age: 86400\n"), false,
	  MAILTLS_STS_MODE_TESTING, true, 86400, { NULL },
	  { { MAILTLS_STS_POL_MX_BAD, 3, "*", false },
	    { MAILTLS_STS_POL_MX_MISSING, 0, NULL, true } } },
	{ "bad mx skipped",
	  T("version: STSv1\nmode: testing\nmx: *.*.example.com\nmx: exa_mple.com\n"
	    "mx: -a.example.com\nmx: a-.example.com\nmx: MX.Example.COM.\nmx: *.com\nmax_age: 86400\n"),
	  true, MAILTLS_STS_MODE_TESTING, true, 86400, { "mx.example.com", "*.com" },
	  { { MAILTLS_STS_POL_MX_BAD, 3, "*.*.example.com", false },
	    { MAILTLS_STS_POL_MX_BAD, 4, "exa_mple.com", false },
	    { MAILTLS_STS_POL_MX_BAD, 5, "-a.example.com", false },
	    { MAILTLS_STS_POL_MX_BAD, 6, "a-.example.com", false } } },
	{ "more bad mx", T(HEAD "mx: *.\nmx: a..b\nmx: .\nmx: mx*.example.org\nmax_age: 1\n"), true,
	  MAILTLS_STS_MODE_ENFORCE, true, 1, { "mx.example.org" },
	  { { MAILTLS_STS_POL_MX_BAD, 4, "*.", false },
	    { MAILTLS_STS_POL_MX_BAD, 5, "a..b", false },
	    { MAILTLS_STS_POL_MX_BAD, 6, ".", false },
	    { MAILTLS_STS_POL_MX_BAD, 7, "mx*.example.org", false } } },
	{ "duplicate mode", T("version: STSv1\nmode: testing\nmode: enforce\nmx: a.example\n"
			      "max_age: 86400\n"),
	  true, MAILTLS_STS_MODE_TESTING, true, 86400, { "a.example" },
	  { { MAILTLS_STS_POL_DUPLICATE, 3, "mode: enforce", false } } },
	{ "unknown key", T(HEAD "foo: bar baz\nmax_age: 86400\ncomment: caf\xc3\xa9\n"), true,
	  MAILTLS_STS_MODE_ENFORCE, true, 86400, { "mx.example.org" }, { { 0 } } },
	{ "Mode: enforce", T("version: STSv1\nMode: enforce\nmx: a.example\nmax_age: 86400\n"),
	  false, MAILTLS_STS_MODE_UNSET, true, 86400, { "a.example" },
	  { { MAILTLS_STS_POL_MODE_MISSING, 0, NULL, true } } },
	{ "HTML", T("<html>\r\n<head><title>404 Not Found</title></head>\r\n</html>\r\n"), false,
	  MAILTLS_STS_MODE_UNSET, false, 0, { NULL },
	  { { MAILTLS_STS_POL_SYNTAX, 1, "<html>", false },
	    { MAILTLS_STS_POL_SYNTAX, 2, "<head><title>404 Not Found</title></head>", false },
	    { MAILTLS_STS_POL_SYNTAX, 3, "</html>", false },
	    { MAILTLS_STS_POL_VERSION, 0, NULL, true },
	    { MAILTLS_STS_POL_MODE_MISSING, 0, NULL, true },
	    { MAILTLS_STS_POL_MAX_AGE_MISSING, 0, NULL, true } } },
	{ "empty body", T(""), false, MAILTLS_STS_MODE_UNSET, false, 0, { NULL },
	  { { MAILTLS_STS_POL_VERSION, 0, NULL, true },
	    { MAILTLS_STS_POL_MODE_MISSING, 0, NULL, true },
	    { MAILTLS_STS_POL_MAX_AGE_MISSING, 0, NULL, true } } },
	{ "NUL", T("version: STSv1\nmode: enforce\0\nmx: a.example\nmax_age: 86400\n"), false,
	  MAILTLS_STS_MODE_UNSET, true, 86400, { "a.example" },
	  { { MAILTLS_STS_POL_NOT_TEXT, 2, "mode: enforce\\x00", true },
	    { MAILTLS_STS_POL_SYNTAX, 2, "mode: enforce\\x00", false },
	    { MAILTLS_STS_POL_MODE_MISSING, 0, NULL, true } } },
	{ "invalid UTF-8", T(HEAD "max_age: 86400\r\nfoo: caf\xe9\r\n"), false,
	  MAILTLS_STS_MODE_ENFORCE, true, 86400, { "mx.example.org" },
	  { { MAILTLS_STS_POL_NOT_TEXT, 5, "foo: caf\\xe9", true } } },
	{ "overlong UTF-8", T(HEAD "max_age: 86400\nfoo: \xc0\xaf\n"), false,
	  MAILTLS_STS_MODE_ENFORCE, true, 86400, { "mx.example.org" },
	  { { MAILTLS_STS_POL_NOT_TEXT, 5, "foo: \\xc0\\xaf", true } } },
	{ "ESC escaped", T("version: STSv1\nmode: enforce\x1b[2J\nmx: a.example\nmax_age: 1\n"),
	  false, MAILTLS_STS_MODE_UNSET, true, 1, { "a.example" },
	  { { MAILTLS_STS_POL_SYNTAX, 2, "mode: enforce\\x1b[2J", false },
	    { MAILTLS_STS_POL_MODE_MISSING, 0, NULL, true } } },
	{ "line numbers count empty lines",
	  T("\nversion: STSv1\r\n\r\nmode: none\n\n\nmode: testing\nmax_age: 1\n\n"), true,
	  MAILTLS_STS_MODE_NONE, true, 1, { NULL },
	  { { MAILTLS_STS_POL_DUPLICATE, 7, "mode: testing", false } } },
	{ "leading space", T("version: STSv1\n mode: none\nmax_age: 1\n"), false,
	  MAILTLS_STS_MODE_UNSET, true, 1, { NULL },
	  { { MAILTLS_STS_POL_SYNTAX, 2, " mode: none", false },
	    { MAILTLS_STS_POL_MODE_MISSING, 0, NULL, true } } },
	{ "space before colon", T("version: STSv1\nmode : none\nmax_age: 1\n"), false,
	  MAILTLS_STS_MODE_UNSET, true, 1, { NULL },
	  { { MAILTLS_STS_POL_SYNTAX, 2, "mode : none", false },
	    { MAILTLS_STS_POL_MODE_MISSING, 0, NULL, true } } },
	{ "empty value", T("version: STSv1\nmode: none\nmx:\nmax_age: 1\n"), true,
	  MAILTLS_STS_MODE_NONE, true, 1, { NULL },
	  { { MAILTLS_STS_POL_SYNTAX, 3, "mx:", false } } },
	{ "tab inside a value", T(HEAD "mx: a\tb\nmax_age: 1\n"), true, MAILTLS_STS_MODE_ENFORCE,
	  true, 1, { "mx.example.org" }, { { MAILTLS_STS_POL_SYNTAX, 4, "mx: a\\x09b", false } } },
	{ "CR alone", T("version: STSv1\rmode: none\nmax_age: 1\n"), false, MAILTLS_STS_MODE_UNSET,
	  true, 1, { NULL },
	  { { MAILTLS_STS_POL_SYNTAX, 1, "version: STSv1\\x0dmode: none", false },
	    { MAILTLS_STS_POL_VERSION, 0, NULL, true },
	    { MAILTLS_STS_POL_MODE_MISSING, 0, NULL, true } } },
	{ "CR at the end, no LF", T(TAIL_NONE "max_age: 1\r"), false, MAILTLS_STS_MODE_NONE, false,
	  0, { NULL },
	  { { MAILTLS_STS_POL_SYNTAX, 3, "max_age: 1\\x0d", false },
	    { MAILTLS_STS_POL_MAX_AGE_MISSING, 0, NULL, true } } },
	{ "key of 33", T(TAIL_NONE "max_age: 1\nabcdefghijklmnopqrstuvwxyz0123456: x\n"), true,
	  MAILTLS_STS_MODE_NONE, true, 1, { NULL },
	  { { MAILTLS_STS_POL_SYNTAX, 4, "abcdefghijklmnopqrstuvwxyz0123456: x", false } } },
	{ "BOM", T("\xef\xbb\xbfversion: STSv1\nmode: none\nmax_age: 1\n"), false,
	  MAILTLS_STS_MODE_NONE, true, 1, { NULL },
	  { { MAILTLS_STS_POL_SYNTAX, 1, "\\xef\\xbb\\xbfversion: STSv1", false },
	    { MAILTLS_STS_POL_VERSION, 0, NULL, true } } },
};

static void policy_check(const struct policy_case *c, const struct mailtls_sts_policy *p)
{
	size_t nmx = 0;

	while (nmx < NELEM(c->mx) && c->mx[nmx] != NULL)
		nmx++;
	if (p->valid != c->valid || p->mode != c->mode || p->have_max_age != c->have_max_age ||
	    p->max_age != c->max_age || p->mx.n != nmx)
		fail_msg("%s: valid %d mode %s have_max_age %d max_age %lu mx %zu", c->name, p->valid,
			 mailtls_sts_mode_name(p->mode), p->have_max_age, p->max_age, p->mx.n);
	for (size_t i = 0; i < nmx; i++)
		if (strcmp(p->mx.v[i], c->mx[i]) != 0)
			fail_msg("%s: mx %zu is %s, want %s", c->name, i, p->mx.v[i], c->mx[i]);
	check_problems(c->name, &p->problems, c->p, count_problems(c->p), 0);
}

static void policy_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(policy_cases); i++) {
		const struct policy_case *c = &policy_cases[i];
		struct mailtls_sts_policy p = { 0 };
		char *body = malloc(c->body.len + 1);

		/* An exactly-sized copy, so that reading past len would be noticed by ASan. */
		assert_non_null(body);
		memcpy(body, c->body.text, c->body.len);
		assert_int_equal(mailtls_sts_policy_read(&p, body, c->body.len), 0);
		policy_check(c, &p);
		mailtls_sts_policy_clear(&p);
		free(body);
	}
}

/* buf_add - append s to a heap buffer (for generated bodies). */
static void buf_add(char **buf, size_t *len, const char *s)
{
	size_t n = strlen(s);

	*buf = realloc(*buf, *len + n + 1);
	assert_non_null(*buf);
	memcpy(*buf + *len, s, n + 1);
	*len += n;
}

/* 2000 lines: the first MAILTLS_STS_LINES_MAX are read, then one TOO_LONG. */
static void policy_too_many_lines(void **state)
{
	struct mailtls_sts_policy p = { 0 };
	char *body = NULL;
	size_t len = 0;

	(void)state;
	buf_add(&body, &len, "version: STSv1\nmode: none\nmax_age: 600\n");
	for (int i = 3; i < 2000; i++)
		buf_add(&body, &len, "comment: filler\n");
	buf_add(&body, &len, "mode: enforce\n");
	assert_int_equal(mailtls_sts_policy_read(&p, body, len), 0);
	assert_true(p.valid);
	assert_int_equal(p.mode, MAILTLS_STS_MODE_NONE);
	assert_int_equal(p.max_age, 600);
	assert_int_equal(p.problems.n, 1);
	assert_int_equal(p.problems.v[0].defect, MAILTLS_STS_POL_TOO_LONG);
	assert_int_equal(p.problems.v[0].line, MAILTLS_STS_LINES_MAX + 1);
	assert_null(p.problems.v[0].quote);
	assert_false(p.problems.v[0].fatal);
	/* Exactly MAILTLS_STS_LINES_MAX lines, the last ending in LF: nothing is cut. */
	mailtls_sts_policy_clear(&p);
	free(body);
	body = NULL;
	len = 0;
	buf_add(&body, &len, "version: STSv1\nmode: none\nmax_age: 600\n");
	for (int i = 3; i < MAILTLS_STS_LINES_MAX; i++)
		buf_add(&body, &len, "comment: filler\n");
	assert_int_equal(mailtls_sts_policy_read(&p, body, len), 0);
	assert_true(p.valid);
	assert_int_equal(p.problems.n, 0);
	mailtls_sts_policy_clear(&p);
	free(body);
}

/* 70 mx lines: 64 kept, one TOO_LONG quoting the 65th. */
static void policy_too_many_mx(void **state)
{
	struct mailtls_sts_policy p = { 0 };
	char *body = NULL, line[64];
	size_t len = 0;

	(void)state;
	buf_add(&body, &len, "version: STSv1\nmode: enforce\nmax_age: 600\n");
	for (int i = 0; i < 70; i++) {
		snprintf(line, sizeof(line), "mx: MX%d.example.org\n", i);
		buf_add(&body, &len, line);
	}
	assert_int_equal(mailtls_sts_policy_read(&p, body, len), 0);
	assert_true(p.valid);
	assert_int_equal(p.mx.n, MAILTLS_STS_MX_MAX);
	assert_string_equal(p.mx.v[0], "mx0.example.org");
	assert_string_equal(p.mx.v[63], "mx63.example.org");
	assert_int_equal(p.problems.n, 1);
	assert_int_equal(p.problems.v[0].defect, MAILTLS_STS_POL_TOO_LONG);
	assert_int_equal(p.problems.v[0].line, 3 + 64 + 1);
	assert_string_equal(p.problems.v[0].quote, "mx: MX64.example.org");
	mailtls_sts_policy_clear(&p);
	free(body);
}

/* A long line is quoted cut to MAILTLS_STS_QUOTE_MAX bytes of the source, never inside a
 * UTF-8 character; many bad lines do not crowd out the fatal defects. */
static void policy_quotes_bounded(void **state)
{
	struct mailtls_sts_policy p = { 0 };
	char *body = NULL;
	size_t len = 0;

	(void)state;
	buf_add(&body, &len, "x");
	for (int i = 0; i < 200; i++)
		buf_add(&body, &len, "\xc3\xa9");   /* 2 bytes each: the cut falls inside one */
	buf_add(&body, &len, "\n");
	for (int i = 0; i < 100; i++)
		buf_add(&body, &len, "garbage\n");
	assert_int_equal(mailtls_sts_policy_read(&p, body, len), 0);
	assert_false(p.valid);
	assert_int_equal(p.problems.n, MAILTLS_STS_PROBLEMS_MAX - 6 + 3);
	assert_int_equal(p.problems.omitted, 101 - (MAILTLS_STS_PROBLEMS_MAX - 6));
	assert_int_equal(p.problems.v[0].defect, MAILTLS_STS_POL_SYNTAX);
	assert_int_equal(strlen(p.problems.v[0].quote), MAILTLS_STS_QUOTE_MAX - 1);
	assert_int_equal(p.problems.v[0].quote[0], 'x');
	assert_memory_equal(p.problems.v[0].quote + 1, "\xc3\xa9", 2);
	assert_int_equal(p.problems.v[p.problems.n - 3].defect, MAILTLS_STS_POL_VERSION);
	assert_int_equal(p.problems.v[p.problems.n - 2].defect, MAILTLS_STS_POL_MODE_MISSING);
	assert_int_equal(p.problems.v[p.problems.n - 1].defect, MAILTLS_STS_POL_MAX_AGE_MISSING);
	for (size_t i = 0; i < p.problems.n; i++)
		if (p.problems.v[i].quote != NULL)
			assert_null(strchr(p.problems.v[i].quote, '\n'));
	mailtls_sts_policy_clear(&p);
	free(body);
}

/* The fetch facts are not touched; a NULL body reads as empty. */
static void policy_keeps_fetch_facts(void **state)
{
	struct mailtls_sts_policy p = { .http_status = 200, .fetch = MAILTLS_FETCH_OK,
					.body_len = 7, .elapsed_ms = 1.5 };

	(void)state;
	assert_int_equal(mailtls_sts_policy_read(&p, NULL, 5), 0);
	assert_int_equal(p.http_status, 200);
	assert_int_equal(p.fetch, MAILTLS_FETCH_OK);
	assert_int_equal(p.body_len, 7);
	assert_false(p.valid);
	assert_int_equal(p.problems.n, 3);
	mailtls_sts_policy_clear(&p);
}

/* MX patterns (RFC 8461 4.1). */

static void mx_match_table(void **state)
{
	static const struct { const char *pattern, *host; bool match; } t[] = {
		/* RFC 8461 3.2 and 4.1 examples. */
		{ "mail.example.com", "mail.example.com", true },
		{ "*.example.net", "mx1.example.net", true },
		{ "*.example.net", "mx2.example.net", true },
		{ "*.example.com", "mx.example.com", true },
		{ "*.example.com", "foo.bar.example.com", false },
		{ "*.example.com", "example.com", false },
		{ "mail.example.com", "mx.example.com", false },
		/* One label, never none, never two. */
		{ "*.example.com", "a.b.example.com", false },
		{ "*.example.com", ".example.com", false },
		{ "*.example.com", "a..example.com", false },
		{ "*.example.com", "aexample.com", false },
		{ "*.com", "example.com", true },
		{ "*.com", "com", false },
		{ "*.com", "a.example.com", false },
		/* Case and trailing dots. */
		{ "MAIL.Example.COM", "mail.example.com", true },
		{ "*.EXAMPLE.com", "MX.example.COM", true },
		{ "mail.example.com.", "mail.example.com", true },
		{ "mail.example.com", "mail.example.com.", true },
		{ "*.example.com.", "mx.example.com.", true },
		{ "example.com..", "example.com", false },
		/* '*' anywhere else never matches; a '*' in a host is no wildcard. */
		{ "mx*.example.com", "mx1.example.com", false },
		{ "*mx.example.com", "amx.example.com", false },
		{ "*.*.example.com", "a.b.example.com", false },
		{ "mx.*.com", "mx.example.com", false },
		{ "*", "example", false },
		{ "*", "*", false },
		{ "*.example.com", "*.example.com", false },
		{ "*.", "a.", false },
		{ "*.", "a", false },
		/* Empty. */
		{ "", "", false },
		{ "", "a", false },
		{ "a", "", false },
		{ ".", ".", false },
		{ "*.example.com", "", false },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++)
		if (mailtls_sts_mx_match(t[i].pattern, t[i].host) != t[i].match)
			fail_msg("mx_match(\"%s\", \"%s\") is not %d", t[i].pattern, t[i].host,
				 t[i].match);
	assert_false(mailtls_sts_mx_match(NULL, "a.example"));
	assert_false(mailtls_sts_mx_match("a.example", NULL));
	assert_false(mailtls_sts_mx_match(NULL, NULL));
}

static void mx_first(void **state)
{
	char *v[] = { "a.example", "*.example.net", "mx.example.net" };
	struct mailtls_strlist l = { .v = v, .n = 3 };

	(void)state;
	assert_int_equal(mailtls_sts_mx_first(&l, "a.example."), 0);
	assert_int_equal(mailtls_sts_mx_first(&l, "mx.example.net"), 1);
	assert_int_equal(mailtls_sts_mx_first(&l, "b.example"), -1);
	assert_int_equal(mailtls_sts_mx_first(&l, NULL), -1);
	assert_int_equal(mailtls_sts_mx_first(NULL, "a.example"), -1);
	l.n = 0;
	assert_int_equal(mailtls_sts_mx_first(&l, "a.example"), -1);
}

/* The _smtp._tls TXT record set. */

#define URIS 4

struct rpt_case {
	const char *name;
	struct mailtls_txt_in recs[3];
	size_t n;
	size_t n_rpt;
	bool valid;
	struct { const char *uri; bool valid; } rua[URIS];
	struct want_problem p[PMAX];
};

static const struct rpt_case rpt_cases[] = {
	{ "mailto", { T("v=TLSRPTv1; rua=mailto:reports@example.com") }, 1, 1, true,
	  { { "mailto:reports@example.com", true } }, { { 0 } } },
	{ "https", { T("v=TLSRPTv1;rua=https://reporting.example.com/v1/tlsrpt") }, 1, 1, true,
	  { { "https://reporting.example.com/v1/tlsrpt", true } }, { { 0 } } },
	{ "both, spaces around ,",
	  { T("v=TLSRPTv1; rua=mailto:tls+rpt@example.com \t,  https://r.example.com:8443/a?b=c#d;") },
	  1, 1, true,
	  { { "mailto:tls+rpt@example.com", true }, { "https://r.example.com:8443/a?b=c#d", true } },
	  { { 0 } } },
	{ "ftp", { T("v=TLSRPTv1; rua=ftp://x") }, 1, 1, false, { { "ftp://x", false } },
	  { { MAILTLS_RPT_SCHEME, 0, "ftp://x", false } } },
	{ "http", { T("v=TLSRPTv1; rua=http://r.example/") }, 1, 1, false,
	  { { "http://r.example/", false } },
	  { { MAILTLS_RPT_SCHEME, 0, "http://r.example/", false } } },
	{ "ftp and mailto", { T("v=TLSRPTv1; rua=ftp://x,mailto:a@b.example") }, 1, 1, true,
	  { { "ftp://x", false }, { "mailto:a@b.example", true } },
	  { { MAILTLS_RPT_SCHEME, 0, "ftp://x", false } } },
	{ "mailto: empty", { T("v=TLSRPTv1; rua=mailto:") }, 1, 1, false, { { "mailto:", false } },
	  { { MAILTLS_RPT_BAD_URI, 0, "mailto:", false } } },
	{ "https:// empty", { T("v=TLSRPTv1; rua=https://") }, 1, 1, false,
	  { { "https://", false } }, { { MAILTLS_RPT_BAD_URI, 0, "https://", false } } },
	{ "mailto bad domain", { T("v=TLSRPTv1; rua=mailto:a@b_c.example") }, 1, 1, false,
	  { { "mailto:a@b_c.example", false } },
	  { { MAILTLS_RPT_BAD_URI, 0, "mailto:a@b_c.example", false } } },
	{ "mailto no local part", { T("v=TLSRPTv1; rua=mailto:@b.example") }, 1, 1, false,
	  { { "mailto:@b.example", false } },
	  { { MAILTLS_RPT_BAD_URI, 0, "mailto:@b.example", false } } },
	/* RFC 8460 3: '!' MUST be encoded; raw, the record is invalid. */
	{ "raw !", { T("v=TLSRPTv1; rua=mailto:a!b@b.example") }, 1, 1, false,
	  { { "mailto:a!b@b.example", false } },
	  { { MAILTLS_RPT_BAD_URI, 0, "mailto:a!b@b.example", true } } },
	/* Not a URI at all beside a good one: the record is invalid, no TLS-RPT. */
	{ "junk beside a good URI", { T("v=TLSRPTv1; rua=mailto:a@b.example,<junk>") }, 1, 1, false,
	  { { "mailto:a@b.example", true }, { "<junk>", false } },
	  { { MAILTLS_RPT_BAD_URI, 0, "<junk>", true } } },
	{ "mailto with query and %", { T("v=TLSRPTv1; rua=mailto:a%21b@b.example?subject=x") }, 1,
	  1, true, { { "mailto:a%21b@b.example?subject=x", true } }, { { 0 } } },
	{ "https userinfo", { T("v=TLSRPTv1; rua=https://u@r.example/") }, 1, 1, false,
	  { { "https://u@r.example/", false } },
	  { { MAILTLS_RPT_BAD_URI, 0, "https://u@r.example/", false } } },
	{ "https IPv6", { T("v=TLSRPTv1; rua=https://[2001:db8::1]:443/r") }, 1, 1, true,
	  { { "https://[2001:db8::1]:443/r", true } }, { { 0 } } },
	{ "https bad literal", { T("v=TLSRPTv1; rua=https://[zz]/r") }, 1, 1, false,
	  { { "https://[zz]/r", false } },
	  { { MAILTLS_RPT_BAD_URI, 0, "https://[zz]/r", false } } },
	{ "https port too big", { T("v=TLSRPTv1; rua=https://r.example:65536/") }, 1, 1, false,
	  { { "https://r.example:65536/", false } },
	  { { MAILTLS_RPT_BAD_URI, 0, "https://r.example:65536/", false } } },
	{ "no scheme", { T("v=TLSRPTv1; rua=reports@example.com") }, 1, 1, false,
	  { { "reports@example.com", false } },
	  { { MAILTLS_RPT_BAD_URI, 0, "reports@example.com", true } } },
	{ "space after rua=", { T("v=TLSRPTv1; rua= mailto:a@b.example") }, 1, 1, false,
	  { { " mailto:a@b.example", false } },
	  { { MAILTLS_RPT_BAD_URI, 0, " mailto:a@b.example", true } } },
	{ "missing rua", { T("v=TLSRPTv1; ext=1") }, 1, 1, false, { { NULL, false } },
	  { { MAILTLS_RPT_NO_RUA, 0, NULL, true } } },
	{ "empty rua", { T("v=TLSRPTv1; rua=") }, 1, 1, false, { { NULL, false } },
	  { { MAILTLS_RPT_SYNTAX, 0, "v=TLSRPTv1; rua=", true } } },
	{ "trailing comma", { T("v=TLSRPTv1; rua=mailto:a@b.example,") }, 1, 1, false,
	  { { "mailto:a@b.example", true } },
	  { { MAILTLS_RPT_SYNTAX, 0, "v=TLSRPTv1; rua=mailto:a@b.example,", true } } },
	{ "two records",
	  { T("v=TLSRPTv1; rua=mailto:a@b.example"), T("v=TLSRPTv1; rua=mailto:c@d.example") }, 2,
	  2, false, { { NULL, false } }, { { MAILTLS_RPT_MULTIPLE, 0, NULL, true } } },
	{ "no ; after version", { T("v=TLSRPTv1 rua=mailto:a@b.example") }, 1, 1, false,
	  { { NULL, false } },
	  { { MAILTLS_RPT_SYNTAX, 0, "v=TLSRPTv1 rua=mailto:a@b.example", true } } },
	{ "extension", { T("v=TLSRPTv1; rua=mailto:a@b.example; ext_1=foo") }, 1, 1, true,
	  { { "mailto:a@b.example", true } }, { { 0 } } },
	{ "MAILTO:", { T("v=TLSRPTv1; rua=MAILTO:TLS@B.EXAMPLE") }, 1, 1, true,
	  { { "MAILTO:TLS@B.EXAMPLE", true } }, { { 0 } } },
	{ "HTTPS:", { T("v=TLSRPTv1; rua=HTTPS://R.EXAMPLE") }, 1, 1, true,
	  { { "HTTPS://R.EXAMPLE", true } }, { { 0 } } },
	{ "second rua", { T("v=TLSRPTv1; rua=mailto:a@b.example; rua=mailto:c@d.example") }, 1, 1,
	  true, { { "mailto:a@b.example", true } },
	  { { MAILTLS_RPT_SYNTAX, 0, "rua=mailto:c@d.example", false } } },
	{ "other records ignored",
	  { T("v=spf1 -all"), T("v=TLSRPTv10; rua=x"), T("v=TLSRPTv1; rua=mailto:a@b.example") }, 3,
	  1, true, { { "mailto:a@b.example", true } }, { { 0 } } },
	{ "none", { T("v=spf1 -all") }, 1, 0, false, { { NULL, false } }, { { 0 } } },
	{ "NUL in URI", { T("v=TLSRPTv1; rua=mailto:a@b.ex\0ample") }, 1, 1, false,
	  { { "mailto:a@b.ex\\x00ample", false } },
	  { { MAILTLS_RPT_BAD_URI, 0, "mailto:a@b.ex\\x00ample", true } } },
};

static void rpt_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(rpt_cases); i++) {
		const struct rpt_case *c = &rpt_cases[i];
		struct mailtls_tlsrpt r = { 0 };
		size_t nu = 0;

		while (nu < URIS && c->rua[nu].uri != NULL)
			nu++;
		assert_int_equal(mailtls_tlsrpt_read(&r, c->recs, c->n), 0);
		if (r.records.n != c->n || r.n_rpt != c->n_rpt || r.valid != c->valid ||
		    r.n_rua != nu || r.rua_omitted != 0)
			fail_msg("%s: records %zu n_rpt %zu valid %d n_rua %zu omitted %zu", c->name,
				 r.records.n, r.n_rpt, r.valid, r.n_rua, r.rua_omitted);
		for (size_t k = 0; k < nu; k++)
			if (strcmp(r.rua[k].uri, c->rua[k].uri) != 0 || r.rua[k].valid != c->rua[k].valid)
				fail_msg("%s: uri %zu is %s (%d)", c->name, k, r.rua[k].uri,
					 r.rua[k].valid);
		check_problems(c->name, &r.problems, c->p, count_problems(c->p), 0);
		mailtls_tlsrpt_clear(&r);
	}
}

/* More than MAILTLS_RPT_URIS_MAX URIs: the first are kept, all are judged. */
static void rpt_many_uris(void **state)
{
	struct mailtls_tlsrpt r = { 0 };
	char rec[2048] = "v=TLSRPTv1; rua=";
	struct mailtls_txt_in in;

	(void)state;
	for (int i = 0; i < 18; i++)
		snprintf(rec + strlen(rec), sizeof(rec) - strlen(rec), "%sftp://x%d",
			 i > 0 ? "," : "", i);
	strcat(rec, ",mailto:a@b.example");
	in = (struct mailtls_txt_in){ rec, strlen(rec) };
	assert_int_equal(mailtls_tlsrpt_read(&r, &in, 1), 0);
	assert_true(r.valid);        /* the 19th URI is valid, though not kept */
	assert_int_equal(r.n_rua, MAILTLS_RPT_URIS_MAX);
	assert_int_equal(r.rua_omitted, 3);
	assert_string_equal(r.rua[15].uri, "ftp://x15");
	assert_int_equal(r.problems.n, 18);
	assert_int_equal(r.problems.omitted, 0);
	assert_int_equal(r.problems.v[17].defect, MAILTLS_RPT_SCHEME);
	assert_string_equal(r.problems.v[17].quote, "ftp://x17");
	mailtls_tlsrpt_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(txt_table),
		cmocka_unit_test(txt_records_escaped),
		cmocka_unit_test(txt_problems_capped),
		cmocka_unit_test(policy_table),
		cmocka_unit_test(policy_too_many_lines),
		cmocka_unit_test(policy_too_many_mx),
		cmocka_unit_test(policy_quotes_bounded),
		cmocka_unit_test(policy_keeps_fetch_facts),
		cmocka_unit_test(mx_match_table),
		cmocka_unit_test(mx_first),
		cmocka_unit_test(rpt_table),
		cmocka_unit_test(rpt_many_uris),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
