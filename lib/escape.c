/*
 * escape.c - terminal-safe and JSON-safe copies of untrusted bytes (banners, certificate
 * fields, reply lines). Nothing a server sends reaches a terminal unescaped.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mailtls/mailtls.h>
#include "escape.h"

/* utf8_decode - RFC 3629 well-formed sequence length, rejecting overlongs and surrogates;
 * the code point in *cpp. */
size_t utf8_decode(const unsigned char *s, size_t n, unsigned *cpp)
{
	unsigned c = s[0];
	size_t len;
	unsigned cp;

	*cpp = c;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cpp = cp;
	return len;
}

/* hidden - a code point that controls or hides how text is shown: C1 controls (CSI among
 * them), bidirectional overrides and isolates, zero-width and invisible characters, line and
 * paragraph separators, the BOM and interlinear annotations. Shown raw, they could reorder or
 * hide what a report says ("Trojan Source", CVE-2021-42574). */
static bool hidden(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) ||
	       cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb);
}

char *escape_text(const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	char *out = malloc(len * 4 + 1);
	size_t o = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len;) {
		unsigned cp;
		size_t n = utf8_decode(u + i, len - i, &cp);

		if (n == 1 && u[i] >= 0x20 && u[i] < 0x7f) {
			out[o++] = (char)u[i++];
		} else if (n > 1 && !hidden(cp)) {
			memcpy(out + o, u + i, n);
			o += n;
			i += n;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[u[i] >> 4];
			out[o++] = hex[u[i] & 15];
			i++;
		}
	}
	out[o] = '\0';
	return out;
}

char *escape_utf8(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	char *out = malloc(len * 3 + 1);
	size_t o = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len;) {
		unsigned cp;
		size_t n = utf8_decode(u + i, len - i, &cp);

		if (n == 0 || (n == 1 && u[i] == 0)) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, u + i, n);
			o += n;
			i += n;
		}
	}
	out[o] = '\0';
	return out;
}

char *mailtls_escape(const char *s, size_t len)
{
	return escape_text(s, len);
}

void mailtls_escape_inplace(char *buf, size_t size)
{
	char *e;

	if (buf == NULL || size == 0)
		return;
	buf[size - 1] = '\0';
	if ((e = escape_text(buf, strlen(buf))) != NULL) {
		size_t n = strlen(e);

		/* Cut where a character starts, never inside a UTF-8 sequence. */
		if (n >= size)
			for (n = size - 1; n > 0 && ((unsigned char)e[n] & 0xc0) == 0x80; n--)
				;
		memcpy(buf, e, n);
		buf[n] = '\0';
		free(e);
		return;
	}
	/* No memory for a copy: drop what could be unsafe rather than pass it on. */
	for (unsigned char *c = (unsigned char *)buf; *c != '\0'; c++)
		if (*c < 0x20 || *c >= 0x7f)
			*c = '?';
}
