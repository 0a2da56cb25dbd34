/*
 * fuzz_imap_reply.c - IMAP response classification (lib/reply.c).
 *
 * Feeds: the first input line is the tag of the command in flight (an empty line: no tag,
 * NULL); every further line (cut at LF, CR removed, capped at REPLY_LINE_MAX) goes to
 * imap_parse(), then imap_capabilities(), and the capability list and the whole line are
 * walked with words_next().
 * Asserts: kind and status are in range; rest lies inside the line and ends with it; a
 * tagged line carries OK/NO/BAD; a capability list lies inside rest; words_next() returns
 * non-empty words without spaces inside the string, always advancing, and stops.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "reply.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_words(const char *s, size_t len)
{
	size_t pos = 0, prev = 0, count = 0, wlen;
	const char *w;

	while (words_next(s, len, &pos, &w, &wlen)) {
		FUZZ_ASSERT(w >= s + prev && wlen > 0 && w + wlen <= s + len);
		FUZZ_ASSERT(memchr(w, ' ', wlen) == NULL);
		FUZZ_ASSERT(pos == (size_t)(w - s) + wlen && pos > prev);
		prev = pos;
		FUZZ_ASSERT(++count <= len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0, len;
	char *tagline = fuzz_next_line(data, size, &pos, 64, &len);
	char *tag = NULL, *line;

	if (tagline == NULL)
		return 0;
	if (len > 0 && memchr(tagline, '\0', len) == NULL)
		tag = fuzz_cstr((const uint8_t *)tagline, len);
	free(tagline);
	while ((line = fuzz_next_line(data, size, &pos, REPLY_LINE_MAX, &len)) != NULL) {
		struct imap_line l;
		const char *list;
		size_t listlen;

		imap_parse(line, len, tag, &l);
		FUZZ_ASSERT(l.kind >= IMAP_UNTAGGED && l.kind <= IMAP_MALFORMED);
		FUZZ_ASSERT(l.status >= IMAP_NONE && l.status <= IMAP_PREAUTH);
		if (l.kind == IMAP_MALFORMED) {
			FUZZ_ASSERT(l.rest == NULL && l.restlen == 0);
		} else {
			FUZZ_ASSERT(l.rest >= line && l.rest + l.restlen == line + len);
		}
		if (l.kind == IMAP_TAGGED)
			FUZZ_ASSERT(tag != NULL && (l.status == IMAP_OK || l.status == IMAP_NO
						    || l.status == IMAP_BAD));
		if (imap_capabilities(&l, &list, &listlen)) {
			FUZZ_ASSERT(l.kind == IMAP_UNTAGGED || l.kind == IMAP_TAGGED);
			FUZZ_ASSERT(list >= l.rest && list + listlen <= l.rest + l.restlen);
			check_words(list, listlen);
		}
		check_words(line, len);
		free(line);
	}
	free(tag);
	return 0;
}
