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

/*
 * fuzz_terminal_safe - the oracle for text meant for a terminal, written apart from
 * lib/escape.c so that the two cannot share a blind spot: valid UTF-8 (RFC 3629: no
 * overlongs, no surrogates, nothing above U+10FFFF), no C0 control but '\n' where
 * newline_ok, no DEL, no C1 control, and none of the characters that reorder or hide text
 * (bidi embeddings, overrides and isolates, the Arabic letter mark, zero-width characters,
 * line and paragraph separators, BOM, interlinear annotation controls).
 */
static inline void fuzz_terminal_safe(const char *s, int newline_ok)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		unsigned cp, min;
		int more;

		if (*p < 0x80) {
			FUZZ_ASSERT((*p >= 0x20 || (newline_ok && *p == '\n')) && *p != 0x7f);
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0)
			cp = *p & 0x1f, more = 1, min = 0x80;
		else if ((*p & 0xf0) == 0xe0)
			cp = *p & 0x0f, more = 2, min = 0x800;
		else if ((*p & 0xf8) == 0xf0)
			cp = *p & 0x07, more = 3, min = 0x10000;
		else
			cp = 0, more = -1, min = 0;
		FUZZ_ASSERT(more > 0);               /* not a lead byte */
		for (p++; more-- > 0; p++) {
			FUZZ_ASSERT((*p & 0xc0) == 0x80); /* truncated sequence */
			cp = (cp << 6) | (*p & 0x3f);
		}
		FUZZ_ASSERT(cp >= min && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff));
		FUZZ_ASSERT(!(cp >= 0x80 && cp <= 0x9f));
		FUZZ_ASSERT(cp != 0x061c && cp != 0x200e && cp != 0x200f && cp != 0xfeff);
		FUZZ_ASSERT(!(cp >= 0x200b && cp <= 0x200d) && !(cp >= 0x2028 && cp <= 0x202e));
		FUZZ_ASSERT(!(cp >= 0x2060 && cp <= 0x206f) && !(cp >= 0xfff9 && cp <= 0xfffb));
	}
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
