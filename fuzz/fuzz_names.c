/*
 * fuzz_names.c - RFC 9525 name matching (include/mailtls/names.h, lib/names.c).
 *
 * Feeds: the input split at its first NUL byte: the bytes before it are a reference name
 * as a user would type it, the bytes after it (which may hold more NULs) a presented
 * dNSName with its length. The reference goes to mailtls_name_normalize(); the presented
 * name to mailtls_name_presented_kind(), and both to mailtls_name_match() and
 * mailtls_name_distance(), with the normalized reference when there is one, else raw.
 * Asserts: a normalized name is lower-case ASCII, at most MAILTLS_NAME_MAX bytes, has no
 * trailing dot, normalizes to itself, is a PLAIN presented name and matches itself
 * exactly at distance 0; a refused name leaves out ""; a match needs a PLAIN (exact) or
 * WILDCARD (wildcard) presented name and a reference normalize accepts; an exact match has
 * distance 0; distances are at most 255.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <mailtls/names.h>
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t rlen = nul != NULL ? (size_t)(nul - data) : size;
	size_t plen = nul != NULL ? size - rlen - 1 : 0;
	char *ref = fuzz_cstr(data, rlen);
	char *pres = malloc(plen > 0 ? plen : 1);
	char norm[MAILTLS_NAME_MAX + 1], again[MAILTLS_NAME_MAX + 1];
	enum mailtls_presented_kind kind;
	enum mailtls_name_match m;
	unsigned d;
	int rc;

	if (pres == NULL)
		abort();
	if (plen > 0)
		memcpy(pres, nul + 1, plen);

	memset(norm, 'x', sizeof(norm));
	rc = mailtls_name_normalize(ref, norm, sizeof(norm));
	if (rc == 0) {
		size_t n = strnlen(norm, sizeof(norm));

		FUZZ_ASSERT(n > 0 && n <= MAILTLS_NAME_MAX);
		FUZZ_ASSERT(norm[n - 1] != '.');
		for (size_t i = 0; i < n; i++)
			FUZZ_ASSERT((unsigned char)norm[i] > 0x20 && (unsigned char)norm[i] < 0x7f
				    && !(norm[i] >= 'A' && norm[i] <= 'Z'));
		FUZZ_ASSERT(mailtls_name_normalize(norm, again, sizeof(again)) == 0);
		FUZZ_ASSERT(strcmp(norm, again) == 0);
		FUZZ_ASSERT(mailtls_name_presented_kind(norm, n) == MAILTLS_PRESENTED_PLAIN);
		FUZZ_ASSERT(mailtls_name_match(norm, norm, n) == MAILTLS_NAME_MATCH);
		FUZZ_ASSERT(mailtls_name_distance(norm, norm, n) == 0);
	} else {
		FUZZ_ASSERT(norm[0] == '\0');
	}

	kind = mailtls_name_presented_kind(pres, plen);
	FUZZ_ASSERT(kind >= MAILTLS_PRESENTED_PLAIN && kind <= MAILTLS_PRESENTED_INVALID);
	m = mailtls_name_match(rc == 0 ? norm : ref, pres, plen);
	FUZZ_ASSERT(m == MAILTLS_NAME_NOMATCH || m == MAILTLS_NAME_MATCH
		    || m == MAILTLS_NAME_MATCH_WILDCARD);
	if (m == MAILTLS_NAME_MATCH)
		FUZZ_ASSERT(kind == MAILTLS_PRESENTED_PLAIN);
	if (m == MAILTLS_NAME_MATCH_WILDCARD)
		FUZZ_ASSERT(kind == MAILTLS_PRESENTED_WILDCARD);
	if (rc != 0)
		/* A reference that normalize refuses never matches (names.h). */
		FUZZ_ASSERT(m == MAILTLS_NAME_NOMATCH);
	d = mailtls_name_distance(rc == 0 ? norm : ref, pres, plen);
	FUZZ_ASSERT(d <= 255);
	if (m == MAILTLS_NAME_MATCH)
		FUZZ_ASSERT(d == 0);
	(void)mailtls_name_distance(NULL, pres, plen);
	free(pres);
	free(ref);
	return 0;
}
