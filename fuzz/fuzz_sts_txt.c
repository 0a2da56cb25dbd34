/*
 * fuzz_sts_txt.c - the _mta-sts and _smtp._tls TXT record readers (mailtls/mtasts.h:
 * mailtls_sts_txt_read(), mailtls_tlsrpt_read(); lib/mtasts_read.c).
 *
 * Feeds: the input cut at 0xff bytes into up to 8 records (the 8th takes the rest, 0xff
 * and all), each in its own exactly-sized heap buffer, to both readers; each reader runs
 * twice on the same struct (a second read starts afresh), then the structs are cleared.
 * Asserts: 0 (or MAILTLS_ENOMEM); one escaped record kept per record given; every record,
 * quote and URI terminal-safe (fuzz_terminal_safe()) and bounded; defects of the reader's
 * own kinds, line 0, at most MAILTLS_STS_PROBLEMS_MAX; valid exactly when one record reads
 * without a fatal defect (fatal defects are never dropped from the list); a valid STS
 * record has an id of 1 to 32 letters and digits, an invalid one none; a valid TLS-RPT
 * record has no fatal defect, and one that is not valid without a fatal defect keeps only
 * invalid URIs; at most MAILTLS_RPT_URIS_MAX URIs kept; both reads agree.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <mailtls/mailtls.h>
#include <mailtls/mtasts.h>
#include "fuzz_common.h"

#define RECORDS_MAX 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check_problems - kinds within [lo, hi], line 0, quotes safe; true if one is fatal. */
static bool check_problems(const struct mailtls_sts_problems *ps, enum mailtls_sts_defect lo,
			   enum mailtls_sts_defect hi)
{
	bool fatal = false;

	FUZZ_ASSERT(ps->n <= MAILTLS_STS_PROBLEMS_MAX);
	FUZZ_ASSERT((ps->n == 0) == (ps->v == NULL));
	for (size_t i = 0; i < ps->n; i++) {
		const struct mailtls_sts_problem *p = &ps->v[i];

		FUZZ_ASSERT(p->defect >= lo && p->defect <= hi);
		FUZZ_ASSERT(p->line == 0);
		if (p->quote != NULL) {
			fuzz_terminal_safe(p->quote, 0);
			FUZZ_ASSERT(strlen(p->quote) <= 4 * MAILTLS_STS_QUOTE_MAX);
		}
		fatal = fatal || p->fatal;
	}
	return fatal;
}

static void check_records(const struct mailtls_strlist *l, size_t n)
{
	FUZZ_ASSERT(l->n == n);
	for (size_t i = 0; i < l->n; i++)
		fuzz_terminal_safe(l->v[i], 0);
}

static void check_sts(const struct mailtls_sts_txt *t, size_t n)
{
	bool fatal = check_problems(&t->problems, MAILTLS_STS_TXT_MULTIPLE,
				    MAILTLS_STS_TXT_OTHER_VERSION);

	check_records(&t->records, n);
	FUZZ_ASSERT(t->n_sts <= n);
	if (t->valid) {
		size_t idn = strlen(t->id);

		FUZZ_ASSERT(t->n_sts == 1 && !fatal);
		FUZZ_ASSERT(idn >= 1 && idn <= 32);
		for (size_t i = 0; i < idn; i++)
			FUZZ_ASSERT((t->id[i] >= '0' && t->id[i] <= '9') ||
				    (t->id[i] >= 'a' && t->id[i] <= 'z') ||
				    (t->id[i] >= 'A' && t->id[i] <= 'Z'));
	} else {
		FUZZ_ASSERT(t->id == NULL);
		/* One record that does not read says why, with a fatal defect. */
		FUZZ_ASSERT(t->n_sts != 1 || fatal);
		FUZZ_ASSERT(t->n_sts <= 1 || fatal);
	}
}

static void check_rpt(const struct mailtls_tlsrpt *r, size_t n)
{
	bool fatal = check_problems(&r->problems, MAILTLS_RPT_MULTIPLE, MAILTLS_RPT_SCHEME);
	bool any_valid = false;

	check_records(&r->records, n);
	FUZZ_ASSERT(r->n_rpt <= n);
	FUZZ_ASSERT(r->n_rua <= MAILTLS_RPT_URIS_MAX);
	FUZZ_ASSERT(r->rua_omitted == 0 || r->n_rua == MAILTLS_RPT_URIS_MAX);
	for (size_t i = 0; i < r->n_rua; i++) {
		fuzz_terminal_safe(r->rua[i].uri, 0);
		any_valid = any_valid || r->rua[i].valid;
	}
	if (r->n_rpt != 1)
		FUZZ_ASSERT(r->n_rua == 0 && !r->valid);
	if (r->n_rpt > 1)
		FUZZ_ASSERT(fatal);
	if (r->valid)
		FUZZ_ASSERT(r->n_rpt == 1 && !fatal && (any_valid || r->rua_omitted > 0));
	else if (r->n_rpt == 1 && !fatal)
		FUZZ_ASSERT(!any_valid);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mailtls_txt_in recs[RECORDS_MAX];
	struct mailtls_sts_txt t = { 0 };
	struct mailtls_tlsrpt r = { 0 };
	size_t n = 0, pos = 0, np, nr;
	int rc;

	while (n < RECORDS_MAX) {
		const uint8_t *ff = n < RECORDS_MAX - 1 && pos < size ?
				    memchr(data + pos, 0xff, size - pos) : NULL;
		size_t len = ff != NULL ? (size_t)(ff - (data + pos)) : size - pos;
		char *copy = malloc(len > 0 ? len : 1);

		if (copy == NULL)
			abort();
		if (len > 0)
			memcpy(copy, data + pos, len);
		recs[n++] = (struct mailtls_txt_in){ copy, len };
		if (ff == NULL)
			break;
		pos += len + 1;
	}

	rc = mailtls_sts_txt_read(&t, recs, n);
	FUZZ_ASSERT(rc == 0 || rc == MAILTLS_ENOMEM);
	if (rc == 0) {
		check_sts(&t, n);
		np = t.problems.n;
		FUZZ_ASSERT(mailtls_sts_txt_read(&t, recs, n) == 0);
		check_sts(&t, n);
		FUZZ_ASSERT(t.problems.n == np);
	}
	mailtls_sts_txt_clear(&t);

	rc = mailtls_tlsrpt_read(&r, recs, n);
	FUZZ_ASSERT(rc == 0 || rc == MAILTLS_ENOMEM);
	if (rc == 0) {
		check_rpt(&r, n);
		np = r.problems.n;
		nr = r.n_rua;
		FUZZ_ASSERT(mailtls_tlsrpt_read(&r, recs, n) == 0);
		check_rpt(&r, n);
		FUZZ_ASSERT(r.problems.n == np && r.n_rua == nr);
	}
	mailtls_tlsrpt_clear(&r);

	for (size_t i = 0; i < n; i++)
		free((void *)recs[i].text);
	return 0;
}
