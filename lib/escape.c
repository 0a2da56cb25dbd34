/*
 * escape.c - terminal-safe and JSON-safe copies of untrusted bytes (banners, certificate
 * fields, reply lines). Nothing a server sends reaches a terminal unescaped.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "escape.h"

/* utf8_seq_len - RFC 3629 well-formed sequence length, rejecting overlongs and surrogates. */
size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned cp;

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
	return len;
}

/* is_c1 - a two-byte sequence encoding U+0080..U+009F (C1 controls, CSI among them). */
static bool is_c1(const unsigned char *s, size_t len)
{
	return len == 2 && s[0] == 0xc2 && s[1] < 0xa0;
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
		size_t n = utf8_seq_len(u + i, len - i);

		if (n == 1 && u[i] >= 0x20 && u[i] < 0x7f) {
			out[o++] = (char)u[i++];
		} else if (n > 1 && !is_c1(u + i, n)) {
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
		size_t n = utf8_seq_len(u + i, len - i);

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
