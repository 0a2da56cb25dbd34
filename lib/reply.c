/*
 * reply.c - line-level reply parsers for SMTP/LMTP, IMAP and POP3.
 *
 * One engine for all protocols in the spirit of curl's pingpong: conn.c delivers lines, the
 * protocol's state machine asks these parsers what a line means. No I/O here.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "reply.h"

#define REPLY_TEXT_FIRST 256     /* first allocation; doubled to need */

static char empty_text[1];       /* the text of a reply with no buffer: always "" */

void reply_reset(struct reply *r)
{
	r->code = 0;
	r->nlines = 0;
	r->textlen = 0;
	if (r->cap == 0)
		r->text = empty_text;
	r->text[0] = '\0';
}

void reply_free(struct reply *r)
{
	if (r->cap > 0)
		free(r->text);
	r->cap = 0;
	reply_reset(r);
}

/* reserve - room for need more bytes and a NUL; false when memory runs out. */
static bool reserve(struct reply *r, size_t need)
{
	size_t cap = r->cap ? r->cap : REPLY_TEXT_FIRST;
	char *t;

	if (r->textlen + need + 1 <= r->cap)
		return true;
	while (cap < r->textlen + need + 1)
		cap *= 2;
	if (cap > REPLY_TEXT_MAX)
		cap = REPLY_TEXT_MAX;
	if ((t = r->cap ? realloc(r->text, cap) : malloc(cap)) == NULL)
		return false;
	if (r->cap == 0)
		t[0] = '\0';
	r->text = t;
	r->cap = cap;
	return true;
}

/* reply_append - add one line of text; REPLY_TOO_MANY past the limits. */
static enum reply_feed reply_append(struct reply *r, const char *s, size_t len)
{
	size_t need = len + (r->nlines ? 1 : 0);

	for (size_t i = 0; i < len; i++)
		if (s[i] == '\0')
			need += 3;
	if (r->nlines >= REPLY_LINES_MAX || r->textlen + need >= REPLY_TEXT_MAX)
		return REPLY_TOO_MANY;
	if (!reserve(r, need))
		return REPLY_TOO_MANY;   /* no memory for more text: the same end as too much */
	if (r->nlines)
		r->text[r->textlen++] = '\n';
	/* A NUL inside a line would end the text early: keep it visible as the text "\x00",
	 * the form escape_text() gives it everywhere else. */
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\0') {
			memcpy(r->text + r->textlen, "\\x00", 4);
			r->textlen += 4;
		} else {
			r->text[r->textlen++] = s[i];
		}
	}
	r->text[r->textlen] = '\0';
	r->nlines++;
	return REPLY_MORE;
}

enum reply_feed smtp_reply_feed(struct reply *r, const char *line, size_t len)
{
	int code;
	enum reply_feed rc;
	bool last;

	/* RFC 5321 4.2: Reply-code = %x32-35 %x30-35 %x30-39; then SP, "-" or end of line. */
	if (len < 3 || !isdigit((unsigned char)line[0]) || !isdigit((unsigned char)line[1]) ||
	    !isdigit((unsigned char)line[2]) || (len > 3 && line[3] != ' ' && line[3] != '-'))
		return REPLY_MALFORMED;
	if (line[0] < '2' || line[0] > '5' || line[1] > '5')
		return REPLY_BAD_CODE;
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->nlines > 0 && code != r->code)
		return REPLY_MALFORMED;
	r->code = code;
	last = len == 3 || line[3] == ' ';
	rc = reply_append(r, len > 4 ? line + 4 : "", len > 4 ? len - 4 : 0);
	if (rc != REPLY_MORE)
		return rc;
	return last ? REPLY_DONE : REPLY_MORE;
}

const char *reply_line(const struct reply *r, size_t i, size_t *len)
{
	const char *p, *end;

	if (i >= r->nlines || r->text == NULL)
		return NULL;
	p = r->text;
	end = r->text + r->textlen;
	while (i > 0) {
		p = memchr(p, '\n', (size_t)(end - p));
		if (p == NULL)
			return NULL;
		p++;
		i--;
	}
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	*len = nl ? (size_t)(nl - p) : (size_t)(end - p);
	return p;
}

bool smtp_ehlo_has(const struct reply *r, const char *keyword)
{
	size_t kl = strlen(keyword);

	for (size_t i = 1; i < r->nlines; i++) {
		size_t len;
		const char *l = reply_line(r, i, &len);

		if (l != NULL && len >= kl && strncasecmp(l, keyword, kl) == 0 &&
		    (len == kl || l[kl] == ' '))
			return true;
	}
	return false;
}

bool reply_keyword(const struct reply *r, size_t first, const char *keyword, const char **params,
		   size_t *plen)
{
	size_t kl = strlen(keyword);

	for (size_t i = first; i < r->nlines; i++) {
		size_t len;
		const char *l = reply_line(r, i, &len);

		if (l == NULL || len < kl || strncasecmp(l, keyword, kl) != 0 ||
		    (len > kl && l[kl] != ' ' && l[kl] != '='))
			continue;
		*params = len > kl ? l + kl + 1 : l + kl;
		*plen = len > kl ? len - kl - 1 : 0;
		return true;
	}
	return false;
}

bool words_next(const char *s, size_t len, size_t *pos, const char **w, size_t *wlen)
{
	size_t i = *pos;

	while (i < len && s[i] == ' ')
		i++;
	if (i >= len)
		return false;
	size_t start = i;
	while (i < len && s[i] != ' ')
		i++;
	*w = s + start;
	*wlen = i - start;
	*pos = i;
	return true;
}

/* status_word - match an IMAP status word at s, followed by space or end. */
static enum imap_status status_word(const char *s, size_t len, size_t *wl)
{
	static const struct { const char *w; enum imap_status st; } words[] = {
		{ "OK", IMAP_OK }, { "NO", IMAP_NO }, { "BAD", IMAP_BAD },
		{ "BYE", IMAP_BYE }, { "PREAUTH", IMAP_PREAUTH },
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i].w);

		if (len >= n && strncasecmp(s, words[i].w, n) == 0 && (len == n || s[n] == ' ')) {
			*wl = n;
			return words[i].st;
		}
	}
	return IMAP_NONE;
}

void imap_parse(const char *line, size_t len, const char *tag, struct imap_line *out)
{
	size_t wl = 0, off;

	memset(out, 0, sizeof(*out));
	out->kind = IMAP_MALFORMED;
	if (len >= 1 && line[0] == '+' && (len == 1 || line[1] == ' ')) {
		out->kind = IMAP_CONTINUATION;
		off = len > 2 ? 2 : len;
	} else if (len >= 2 && line[0] == '*' && line[1] == ' ') {
		out->kind = IMAP_UNTAGGED;
		off = 2;
		out->status = status_word(line + off, len - off, &wl);
		off += wl;
	} else if (tag != NULL) {
		size_t tl = strlen(tag);

		if (len <= tl || strncmp(line, tag, tl) != 0 || line[tl] != ' ')
			return;
		off = tl + 1;
		out->status = status_word(line + off, len - off, &wl);
		if (out->status != IMAP_OK && out->status != IMAP_NO && out->status != IMAP_BAD)
			return;
		out->kind = IMAP_TAGGED;
		off += wl;
	} else {
		return;
	}
	while (off < len && line[off] == ' ')
		off++;
	out->rest = line + off;
	out->restlen = len - off;
}

bool imap_capabilities(const struct imap_line *l, const char **list, size_t *listlen)
{
	const char *s = l->rest;
	size_t n = l->restlen;

	if (l->kind != IMAP_UNTAGGED && l->kind != IMAP_TAGGED)
		return false;
	if (l->status == IMAP_NONE) {
		if (n >= 10 && strncasecmp(s, "CAPABILITY", 10) == 0 && (n == 10 || s[10] == ' ')) {
			*list = s + 10 + (n > 10);
			*listlen = n > 10 ? n - 11 : 0;
			return true;
		}
		return false;
	}
	/* Response code: "[CAPABILITY a b c] text" (RFC 9051 7.1). */
	if (n >= 12 && s[0] == '[' && strncasecmp(s + 1, "CAPABILITY ", 11) == 0) {
		const char *end = memchr(s, ']', n);

		if (end == NULL)
			return false;
		*list = s + 12;
		*listlen = (size_t)(end - (s + 12));
		return true;
	}
	return false;
}

enum pop3_status pop3_status(const char *line, size_t len, const char **rest, size_t *restlen)
{
	size_t off;
	enum pop3_status st;

	if (len >= 3 && strncmp(line, "+OK", 3) == 0 && (len == 3 || line[3] == ' ')) {
		st = POP3_OK;
		off = 3;
	} else if (len >= 4 && strncmp(line, "-ERR", 4) == 0 && (len == 4 || line[4] == ' ')) {
		st = POP3_ERR;
		off = 4;
	} else {
		return POP3_MALFORMED;
	}
	while (off < len && line[off] == ' ')
		off++;
	*rest = line + off;
	*restlen = len - off;
	return st;
}

enum reply_feed pop3_multi_feed(struct reply *r, const char *line, size_t len)
{
	enum reply_feed rc;

	if (len == 1 && line[0] == '.')
		return REPLY_DONE;
	if (len >= 1 && line[0] == '.') {  /* RFC 1939 3: byte-stuffed termination octet */
		line++;
		len--;
	}
	rc = reply_append(r, line, len);
	return rc;
}
