/*
 * fuzz_sts_policy.c - the MTA-STS policy reader and MX pattern matching (mailtls/mtasts.h:
 * mailtls_sts_policy_read(), mailtls_sts_mx_match(), mailtls_sts_mx_first();
 * lib/mtasts_read.c).
 *
 * Feeds: the whole input as a policy body (libFuzzer's buffer is exactly sized; replay.c's
 * too); then its first two lines (cut as fuzz_next_line() does, each up to its first NUL)
 * as an MX pattern and a host name to mailtls_sts_mx_match() both ways, and the second to
 * mailtls_sts_mx_first() over the patterns read. The body is read twice into one struct.
 * Asserts: 0 (or MAILTLS_ENOMEM); at most MAILTLS_STS_MX_MAX patterns, each lower-case
 * letters, digits, '-' and '.', maybe after "*.", no trailing dot, at most 255 bytes, and
 * matching a host made from it ("a." + parent for "*.parent", itself otherwise) but not
 * its parent; defects of the policy kinds, lines up to MAILTLS_STS_LINES_MAX + 1, quotes
 * terminal-safe and bounded; valid exactly when no fatal defect is listed (fatal defects are
 * never dropped), and then version, mode, max_age (<= MAILTLS_STS_MAX_AGE_MAX) and, for
 * enforce and testing, an mx are there; max_age 0 when not had; the fetch facts untouched;
 * both reads agree; matching names without '*' is symmetric; mx_first points at a match.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <mailtls/mailtls.h>
#include <mailtls/mtasts.h>
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_pattern(const char *pat)
{
	size_t n = strlen(pat), star = n >= 2 && pat[0] == '*' && pat[1] == '.' ? 2 : 0;
	char host[300];

	FUZZ_ASSERT(n > star && n <= 255 && pat[n - 1] != '.');
	for (size_t i = star; i < n; i++)
		FUZZ_ASSERT((pat[i] >= 'a' && pat[i] <= 'z') || (pat[i] >= '0' && pat[i] <= '9') ||
			    pat[i] == '-' || pat[i] == '.');
	if (star) {
		snprintf(host, sizeof(host), "a.%s", pat + 2);
		FUZZ_ASSERT(mailtls_sts_mx_match(pat, host));
		FUZZ_ASSERT(!mailtls_sts_mx_match(pat, pat + 2));
	} else {
		FUZZ_ASSERT(mailtls_sts_mx_match(pat, pat));
	}
}

static void check_policy(const struct mailtls_sts_policy *p)
{
	bool fatal = false;

	FUZZ_ASSERT(p->mx.n <= MAILTLS_STS_MX_MAX);
	for (size_t i = 0; i < p->mx.n; i++)
		check_pattern(p->mx.v[i]);
	FUZZ_ASSERT(p->problems.n <= MAILTLS_STS_PROBLEMS_MAX);
	for (size_t i = 0; i < p->problems.n; i++) {
		const struct mailtls_sts_problem *q = &p->problems.v[i];

		FUZZ_ASSERT(q->defect >= MAILTLS_STS_POL_NOT_TEXT &&
			    q->defect <= MAILTLS_STS_POL_TOO_LONG);
		FUZZ_ASSERT(q->line <= MAILTLS_STS_LINES_MAX + 1);
		if (q->quote != NULL) {
			fuzz_terminal_safe(q->quote, 0);
			FUZZ_ASSERT(strlen(q->quote) <= 4 * MAILTLS_STS_QUOTE_MAX);
		}
		fatal = fatal || q->fatal;
	}
	FUZZ_ASSERT(p->valid == !fatal);
	FUZZ_ASSERT(p->max_age <= MAILTLS_STS_MAX_AGE_MAX);
	FUZZ_ASSERT(p->have_max_age || p->max_age == 0);
	if (p->valid) {
		FUZZ_ASSERT(p->mode != MAILTLS_STS_MODE_UNSET && p->have_max_age);
		if (p->mode != MAILTLS_STS_MODE_NONE)
			FUZZ_ASSERT(p->mx.n > 0);
	}
	/* The fetch facts belong to the fetch. */
	FUZZ_ASSERT(p->host == NULL && p->body == NULL && p->http_status == 0 &&
		    p->fetch == MAILTLS_FETCH_NOT_TRIED && p->body_len == 0);
}

static void check_match(const char *a, const char *b, const struct mailtls_sts_policy *p)
{
	int i;

	if (strchr(a, '*') == NULL && strchr(b, '*') == NULL)
		FUZZ_ASSERT(mailtls_sts_mx_match(a, b) == mailtls_sts_mx_match(b, a));
	else
		(void)mailtls_sts_mx_match(a, b);
	i = mailtls_sts_mx_first(&p->mx, b);
	FUZZ_ASSERT(i >= -1 && i < (int)p->mx.n);
	if (i >= 0)
		FUZZ_ASSERT(mailtls_sts_mx_match(p->mx.v[i], b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mailtls_sts_policy p = { 0 };
	size_t pos = 0, n1 = 0, n2 = 0, np, nmx;
	char *l1, *l2, *s1, *s2;
	int rc;

	rc = mailtls_sts_policy_read(&p, (const char *)data, size);
	FUZZ_ASSERT(rc == 0 || rc == MAILTLS_ENOMEM);
	if (rc == 0) {
		check_policy(&p);
		np = p.problems.n;
		nmx = p.mx.n;
		FUZZ_ASSERT(mailtls_sts_policy_read(&p, (const char *)data, size) == 0);
		check_policy(&p);
		FUZZ_ASSERT(p.problems.n == np && p.mx.n == nmx);
	}

	l1 = fuzz_next_line(data, size, &pos, 1024, &n1);
	l2 = l1 != NULL ? fuzz_next_line(data, size, &pos, 1024, &n2) : NULL;
	s1 = fuzz_cstr((const uint8_t *)(l1 != NULL ? l1 : ""), n1);
	s2 = fuzz_cstr((const uint8_t *)(l2 != NULL ? l2 : ""), n2);
	check_match(s1, s2, &p);
	check_match(s2, s1, &p);
	FUZZ_ASSERT(!mailtls_sts_mx_match(NULL, s2) && !mailtls_sts_mx_match(s1, NULL));
	free(s1);
	free(s2);
	free(l1);
	free(l2);
	mailtls_sts_policy_clear(&p);
	return 0;
}
