/*
 * fuzz_smtp_reply.c - SMTP/LMTP reply parser (lib/reply.c).
 *
 * Feeds: the input cut into lines at LF (CR before it removed, lines capped at
 * REPLY_LINE_MAX as conn.c caps them), each line handed to smtp_reply_feed() until the reply
 * is DONE or refused, then the next reply starts; every complete reply is walked with
 * reply_line() and asked smtp_ehlo_has().
 * Asserts: nlines <= REPLY_LINES_MAX, textlen < REPLY_TEXT_MAX, text NUL-terminated at
 * textlen with no NUL before it, code 200..599, reply_line() yields exactly nlines lines
 * that tile the text, smtp_ehlo_has() agrees with a keyword taken from a line.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include "reply.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check_limits - the cheap invariants, after every line. */
static void check_limits(const struct reply *r)
{
	FUZZ_ASSERT(r->nlines <= REPLY_LINES_MAX);
	FUZZ_ASSERT(r->textlen < REPLY_TEXT_MAX);
	FUZZ_ASSERT(r->text[r->textlen] == '\0');
	if (r->nlines > 0)
		FUZZ_ASSERT(r->code >= 200 && r->code <= 599);
}

/* check_reply - the whole reply, once it is over (done: complete, so ask for extensions). */
static void check_reply(const struct reply *r, bool done)
{
	size_t total = 0, i, len;
	const char *l;

	check_limits(r);
	FUZZ_ASSERT(memchr(r->text, '\0', r->textlen) == NULL);
	for (i = 0; (l = reply_line(r, i, &len)) != NULL; i++) {
		FUZZ_ASSERT(l >= r->text && l + len <= r->text + r->textlen);
		FUZZ_ASSERT(memchr(l, '\n', len) == NULL);
		total += len + (i > 0 ? 1 : 0);
	}
	FUZZ_ASSERT(i == r->nlines);
	FUZZ_ASSERT(total == r->textlen);
	if (!done)
		return;
	(void)smtp_ehlo_has(r, "STARTTLS");
	(void)smtp_ehlo_has(r, "");
	/* The first word of any extension line is an extension the reply has. */
	for (i = 1; i < r->nlines; i++) {
		char kw[64];
		size_t n = 0;

		l = reply_line(r, i, &len);
		while (n < len && n < sizeof(kw) - 1 && l[n] != ' ')
			n++;
		if (n == 0 || n == sizeof(kw) - 1 || memchr(l, '\0', n) != NULL)
			continue;
		memcpy(kw, l, n);
		kw[n] = '\0';
		FUZZ_ASSERT(smtp_ehlo_has(r, kw));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct reply r;
	size_t pos = 0, len;
	char *line;

	reply_reset(&r);
	while ((line = fuzz_next_line(data, size, &pos, REPLY_LINE_MAX, &len)) != NULL) {
		enum reply_feed rc = smtp_reply_feed(&r, line, len);

		free(line);
		FUZZ_ASSERT(rc == REPLY_MORE || rc == REPLY_DONE || rc == REPLY_MALFORMED
			    || rc == REPLY_TOO_MANY || rc == REPLY_BAD_CODE);
		check_limits(&r);
		if (rc != REPLY_MORE) {
			check_reply(&r, rc == REPLY_DONE);
			reply_reset(&r);
		}
	}
	check_reply(&r, false);
	return 0;
}
