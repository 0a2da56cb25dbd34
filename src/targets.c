/*
 * targets.c - reading and parsing scan targets (targets.h).
 */
#include <stdlib.h>
#include <string.h>
#include "opts.h"
#include "targets.h"

bool line_read(FILE *f, char *buf, size_t max, size_t *len, bool *too_long)
{
	size_t n = 0;
	int c;

	*too_long = false;
	while ((c = getc_unlocked(f)) != EOF && c != '\n') {
		if (n < max)
			buf[n++] = (char)c;
		else
			*too_long = true;   /* read on to the newline, keep nothing more */
	}
	buf[n] = '\0';
	*len = n;
	return !(c == EOF && n == 0 && !*too_long);
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* trimmed - the bounds of s without surrounding blanks. */
static void trimmed(const char *s, const char **start, size_t *len)
{
	size_t n = strlen(s);

	while (n > 0 && blank(*s)) {
		s++;
		n--;
	}
	while (n > 0 && blank(s[n - 1]))
		n--;
	*start = s;
	*len = n;
}

/* one_word - the line's one word into text (TARGET_LINE_MAX + 1 bytes), with t's kind: SKIP
 * for a blank line or a comment, BAD (why filled; `form` names what a line holds) or OK. */
static bool one_word(const char *line, struct target *t, char *text, const char *form)
{
	const char *s;
	size_t len;

	memset(t, 0, sizeof(*t));
	trimmed(line, &s, &len);
	if (len == 0 || s[0] == '#') {
		t->kind = TARGET_SKIP;
		return false;
	}
	t->kind = TARGET_BAD;
	/* A NUL ends the string here (trimmed() measures with strlen): a line holding one is
	 * caught by the caller, which knows the line's length (scan.c). */
	if (len > TARGET_LINE_MAX) {
		snprintf(t->why, sizeof(t->why), "not a target");
		return false;
	}
	memcpy(text, s, len);
	text[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (blank(text[i])) {
			snprintf(t->why, sizeof(t->why), "more than one word on the line "
				 "(one %s per line; comments start with #)", form);
			return false;
		}
	return true;
}

void target_parse(const char *line, struct target *t)
{
	char text[TARGET_LINE_MAX + 1];

	if (!one_word(line, t, text, "HOST[:PORT]"))
		return;
	if (cli_parse_hostport(text, t->host, sizeof(t->host), &t->port, t->why,
			       sizeof(t->why)) != 0)
		return;
	t->kind = TARGET_OK;
}

void target_parse_domain(const char *line, struct target *t)
{
	char text[TARGET_LINE_MAX + 1];

	if (!one_word(line, t, text, "DOMAIN"))
		return;
	if (mailtls_name_normalize(text, t->host, sizeof(t->host)) != 0) {
		char *esc = mailtls_escape(text, strlen(text));
		const char *shown = esc ? esc : "(out of memory)";

		/* No name is longer than 253 bytes: a longer line is shown cut. */
		snprintf(t->why, sizeof(t->why), "%.240s%s: not a valid domain name", shown,
			 strlen(shown) > 240 ? "..." : "");
		free(esc);
		return;
	}
	t->kind = TARGET_OK;
}

uint64_t target_hash(const char *line)
{
	const char *s;
	size_t len;
	uint64_t h = 14695981039346656037ull;

	trimmed(line, &s, &len);
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

bool target_in_shard(const char *line, unsigned k, unsigned n)
{
	return n <= 1 || target_hash(line) % n == (uint64_t)(k - 1);
}
