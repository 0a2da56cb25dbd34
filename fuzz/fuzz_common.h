/*
 * fuzz_common.h - small helpers shared by the fuzz targets: cutting the input into lines or
 * NUL-separated fields, each copied into its own exactly-sized heap buffer so that a parser
 * reading one byte past its line is caught by AddressSanitizer (a slice of the fuzzer's
 * buffer would hide it). Header-only, test code only: never part of libmailtls.
 */
#ifndef MAILTLS_FUZZ_COMMON_H
#define MAILTLS_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The fuzz targets assert their invariants whatever NDEBUG says. */
#define FUZZ_ASSERT(c) do { if (!(c)) fuzz_fail(#c, __FILE__, __LINE__); } while (0)

#include <stdio.h>
static inline void fuzz_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, what);
	abort();
}

/* fuzz_next_line - the next line of data[*pos..size) cut at '\n' (one '\r' before it
 * removed, as conn.c does), at most maxlen bytes kept; returns an owned copy of exactly
 * *len bytes (never NUL-terminated on purpose), NULL at the end of the input. */
static inline char *fuzz_next_line(const uint8_t *data, size_t size, size_t *pos,
				   size_t maxlen, size_t *len)
{
	const uint8_t *nl;
	size_t start = *pos, n;
	char *copy;

	if (start >= size)
		return NULL;
	nl = memchr(data + start, '\n', size - start);
	n = nl != NULL ? (size_t)(nl - (data + start)) : size - start;
	*pos = start + n + (nl != NULL ? 1 : 0);
	if (n > 0 && data[start + n - 1] == '\r')
		n--;
	if (n > maxlen)
		n = maxlen;
	copy = malloc(n > 0 ? n : 1);
	if (copy == NULL)
		abort();
	memcpy(copy, data + start, n);
	*len = n;
	return copy;
}

/* fuzz_cstr - an owned NUL-terminated copy of n bytes (which may hold NULs). */
static inline char *fuzz_cstr(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

#endif
