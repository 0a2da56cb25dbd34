/*
 * test_targets.c - the scan's input: every kind of line (targets, blanks, comments, bad
 * lines), line reading with its size limit, the shard split (stable, disjoint, complete),
 * and the resume set read from an earlier output (whole lines only).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "resume.h"
#include "targets.h"

static const struct {
	const char *line;
	enum target_kind kind;
	const char *host;
	unsigned port;
	const char *why;
} cases[] = {
	{ "mx1.example.org", TARGET_OK, "mx1.example.org", 0, NULL },
	{ "  mx1.example.org:2525 \r", TARGET_OK, "mx1.example.org", 2525, NULL },
	{ "\tmx1.example.org\t", TARGET_OK, "mx1.example.org", 0, NULL },
	{ "192.0.2.1:25", TARGET_OK, "192.0.2.1", 25, NULL },
	{ "[2001:db8::1]:587", TARGET_OK, "2001:db8::1", 587, NULL },
	{ "2001:db8::1", TARGET_OK, "2001:db8::1", 0, NULL },
	{ "[::1]", TARGET_OK, "::1", 0, NULL },
	{ "", TARGET_SKIP, NULL, 0, NULL },
	{ "   \t\r", TARGET_SKIP, NULL, 0, NULL },
	{ "# a comment", TARGET_SKIP, NULL, 0, NULL },
	{ "  # indented comment", TARGET_SKIP, NULL, 0, NULL },
	{ "mx1.example.org # trailing", TARGET_BAD, NULL, 0,
	  "more than one word on the line (one HOST[:PORT] per line; comments start with #)" },
	{ "foo bar", TARGET_BAD, NULL, 0,
	  "more than one word on the line (one HOST[:PORT] per line; comments start with #)" },
	{ "host:99999", TARGET_BAD, NULL, 0, "host:99999: invalid port '99999' (1-65535)" },
	{ "host:0", TARGET_BAD, NULL, 0, "host:0: invalid port '0' (1-65535)" },
	{ "host:", TARGET_BAD, NULL, 0, "host:: invalid port '' (1-65535)" },
	{ ":25", TARGET_BAD, NULL, 0, ":25: empty host" },
	{ "[::1", TARGET_BAD, NULL, 0, "[::1: missing ']' after the IPv6 address" },
	{ "[::1]x", TARGET_BAD, NULL, 0, "[::1]x: unexpected text after ']'" },
	{ "x\x1b[31m:25", TARGET_OK, "x\x1b[31m", 25, NULL },   /* refused later, by name check */
};

static void parse_every_kind(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct target t;

		target_parse(cases[i].line, &t);
		if (t.kind != cases[i].kind)
			fail_msg("line %zu \"%s\": kind %d, expected %d (%s)", i, cases[i].line,
				 t.kind, cases[i].kind, t.why);
		if (cases[i].host != NULL) {
			assert_string_equal(t.host, cases[i].host);
			assert_int_equal(t.port, cases[i].port);
		}
		if (cases[i].why != NULL)
			assert_string_equal(t.why, cases[i].why);
	}
}

/* scan --domains: one DOMAIN a line, normalized; a port, an address literal in brackets, a
 * wildcard or a second word is a bad line. */
static const struct {
	const char *line;
	enum target_kind kind;
	const char *domain;
	const char *why;
} domain_cases[] = {
	{ "example.org", TARGET_OK, "example.org", NULL },
	{ "  Example.ORG. \r", TARGET_OK, "example.org", NULL },
	{ "\tone.lab.test", TARGET_OK, "one.lab.test", NULL },
	{ "", TARGET_SKIP, NULL, NULL },
	{ " # comment", TARGET_SKIP, NULL, NULL },
	{ "example.org # trailing", TARGET_BAD, NULL,
	  "more than one word on the line (one DOMAIN per line; comments start with #)" },
	{ "example.org:25", TARGET_BAD, NULL, "example.org:25: not a valid domain name" },
	{ "*.example.org", TARGET_BAD, NULL, "*.example.org: not a valid domain name" },
	{ "[192.0.2.1]", TARGET_BAD, NULL, "[192.0.2.1]: not a valid domain name" },
	{ "a..b", TARGET_BAD, NULL, "a..b: not a valid domain name" },
	{ "x\x1b[31m", TARGET_BAD, NULL, "x\\x1b[31m: not a valid domain name" },
};

static void parse_domains(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(domain_cases) / sizeof(domain_cases[0]); i++) {
		struct target t;

		target_parse_domain(domain_cases[i].line, &t);
		if (t.kind != domain_cases[i].kind)
			fail_msg("line %zu \"%s\": kind %d, expected %d (%s)", i, domain_cases[i].line,
				 t.kind, domain_cases[i].kind, t.why);
		if (domain_cases[i].domain != NULL) {
			assert_string_equal(t.host, domain_cases[i].domain);
			assert_int_equal(t.port, 0);
		}
		if (domain_cases[i].why != NULL)
			assert_string_equal(t.why, domain_cases[i].why);
	}
}

/* A file with a line longer than the limit: it is cut and flagged, the next line is whole. */
static void read_lines_bounded(void **state)
{
	char buf[TARGET_LINE_MAX + 1];
	size_t len;
	bool too_long;
	FILE *f = tmpfile();
	(void)state;

	assert_non_null(f);
	fputs("a.example\n", f);
	for (int i = 0; i < 3000; i++)
		fputc('x', f);
	fputs("\nb.example:25\nlast-without-newline", f);
	rewind(f);
	assert_true(line_read(f, buf, TARGET_LINE_MAX, &len, &too_long));
	assert_string_equal(buf, "a.example");
	assert_false(too_long);
	assert_true(line_read(f, buf, TARGET_LINE_MAX, &len, &too_long));
	assert_true(too_long);
	assert_int_equal(len, TARGET_LINE_MAX);
	assert_true(line_read(f, buf, TARGET_LINE_MAX, &len, &too_long));
	assert_string_equal(buf, "b.example:25");
	assert_true(line_read(f, buf, TARGET_LINE_MAX, &len, &too_long));
	assert_string_equal(buf, "last-without-newline");
	assert_false(line_read(f, buf, TARGET_LINE_MAX, &len, &too_long));
	fclose(f);
}

/* Shards: every line in exactly one of N shards, the same shard whatever blanks surround
 * it, and the split is the same on every run (a known value pins the hash). */
static void shards_partition(void **state)
{
	enum { LINES = 1000, N = 4 };
	size_t per[N + 1] = { 0 };
	char line[64];
	(void)state;

	for (int i = 0; i < LINES; i++) {
		int in = 0;

		snprintf(line, sizeof(line), "mx%d.example.org:25", i);
		for (unsigned k = 1; k <= N; k++)
			if (target_in_shard(line, k, N)) {
				in++;
				per[k]++;
			}
		assert_int_equal(in, 1);
	}
	for (unsigned k = 1; k <= N; k++)
		assert_true(per[k] > LINES / N / 2);   /* none empty or lopsided */
	assert_true(target_hash("  mx1.example.org\r") == target_hash("mx1.example.org"));
	/* FNV-1a 64 of "a": pins the hash so that shards agree across versions. */
	assert_true(target_hash("a") == 0xaf63dc4c8601ec8cull);
	assert_true(target_in_shard("anything", 1, 1));
}

/* Resume: whole JSON lines count, a cut last line and foreign lines do not. */
static void resume_set_from_output(void **state)
{
	char path[] = "/tmp/mailtls-resume-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	struct resume_set set;
	size_t ignored;
	char err[256];
	(void)state;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("{\"line\":1,\"input\":\"a.example\",\"verdict\":\"OK\"}\n", f);
	fputs("\n", f);
	fputs("{\"line\":3,\"input\":\"x\\\\x1b[31m:25\"}\n", f);
	fputs("not json\n", f);
	fputs("{\"line\":\"4\",\"input\":\"c\"}\n", f);
	fputs("{\"line\":5,\"input\":\"d.exa", f);   /* cut by kill -9 */
	fclose(f);
	assert_int_equal(resume_load(path, &set, &ignored, err, sizeof(err)), 0);
	assert_int_equal(set.n, 2);
	assert_int_equal(ignored, 3);
	assert_true(resume_has(&set, 1, "a.example"));
	assert_false(resume_has(&set, 2, "a.example"));     /* same text, other line */
	assert_false(resume_has(&set, 1, "b.example"));     /* same line, other text */
	assert_true(resume_has(&set, 3, "x\\x1b[31m:25"));
	assert_false(resume_has(&set, 4, "c"));
	assert_false(resume_has(&set, 5, "d.example"));
	resume_free(&set);
	unlink(path);
	/* No file yet: the first run of a scan that may be resumed. */
	assert_int_equal(resume_load(path, &set, &ignored, err, sizeof(err)), 0);
	assert_int_equal(set.n, 0);
	assert_false(resume_has(&set, 1, "a.example"));
	resume_free(&set);
	/* A directory cannot be read as a file. */
	assert_int_equal(resume_load("/", &set, &ignored, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--resume /: "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_every_kind),
		cmocka_unit_test(parse_domains),
		cmocka_unit_test(read_lines_bounded),
		cmocka_unit_test(shards_partition),
		cmocka_unit_test(resume_set_from_output),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
