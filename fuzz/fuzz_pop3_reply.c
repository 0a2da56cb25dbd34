/*
 * fuzz_pop3_reply.c - POP3 status lines and multi-line bodies (lib/reply.c).
 *
 * Feeds: lines cut at LF (CR removed, capped at REPLY_LINE_MAX). Each line outside a body
 * goes to pop3_status(); after a "+OK" the following lines go to pop3_multi_feed() until
 * the body ends ("."), is refused, or the input ends - the way dialog_pop3.c reads CAPA.
 * Asserts: the status is in range and rest lies inside the line and ends with it; a body
 * keeps nlines <= REPLY_LINES_MAX, textlen < REPLY_TEXT_MAX, a NUL-terminated text with no
 * NUL before textlen, the code untouched, and reply_line() yields exactly nlines lines
 * that tile the text.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "reply.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_body(const struct reply *r)
{
	size_t i, len, total = 0;
	const char *l;

	FUZZ_ASSERT(r->code == 1);
	FUZZ_ASSERT(r->nlines <= REPLY_LINES_MAX);
	FUZZ_ASSERT(r->textlen < REPLY_TEXT_MAX);
	FUZZ_ASSERT(r->text[r->textlen] == '\0');
	FUZZ_ASSERT(memchr(r->text, '\0', r->textlen) == NULL);
	for (i = 0; (l = reply_line(r, i, &len)) != NULL; i++) {
		FUZZ_ASSERT(l >= r->text && l + len <= r->text + r->textlen);
		total += len + (i > 0 ? 1 : 0);
	}
	FUZZ_ASSERT(i == r->nlines);
	FUZZ_ASSERT(total == r->textlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct reply r;
	size_t pos = 0, len;
	bool in_body = false;
	char *line;

	while ((line = fuzz_next_line(data, size, &pos, REPLY_LINE_MAX, &len)) != NULL) {
		if (in_body) {
			enum reply_feed rc = pop3_multi_feed(&r, line, len);

			FUZZ_ASSERT(rc == REPLY_MORE || rc == REPLY_DONE || rc == REPLY_TOO_MANY);
			FUZZ_ASSERT(r.nlines <= REPLY_LINES_MAX && r.textlen < REPLY_TEXT_MAX);
			if (rc != REPLY_MORE) {
				check_body(&r);
				in_body = false;
			}
		} else {
			const char *rest = NULL;
			size_t restlen = 0;
			enum pop3_status st = pop3_status(line, len, &rest, &restlen);

			FUZZ_ASSERT(st == POP3_OK || st == POP3_ERR || st == POP3_MALFORMED);
			if (st != POP3_MALFORMED)
				FUZZ_ASSERT(rest >= line + 3 && rest + restlen == line + len);
			if (st == POP3_OK) {
				reply_reset(&r);
				r.code = 1;
				in_body = true;
			}
		}
		free(line);
	}
	if (in_body)
		check_body(&r);
	return 0;
}
