/*
 * inject.c - is the plaintext after a STARTTLS go-ahead exactly our probe's own answer?
 *
 * With --injection the probe sends STARTTLS and a harmless command in one write. A server may
 * answer that command in plaintext before the handshake (it processes commands in order) or
 * drop it (Postfix >= 2.8 purges its input buffer): both are correct. What it must never do
 * is answer it inside TLS. Plaintext after the go-ahead is normally a fault
 * (starttls.response-injection); this module recognizes the one expected exception, byte for
 * byte, with the same reply parsers as the dialogue. Not a parser of its own.
 */
#include <string.h>
#include "inject.h"
#include "reply.h"

bool inject_is_answer(enum proto_dialog d, const char *tag, const char *data, size_t len)
{
	struct reply r = { 0 };
	size_t pos = 0, untagged = 0;
	bool ok = len > 0 && (d != PROTO_DIALOG_IMAP || tag != NULL), done = false, body = false;

	while (ok && pos < len) {
		const char *line = data + pos, *nl = memchr(line, '\n', len - pos), *rest;
		size_t ll, restlen;
		enum reply_feed rc;
		struct imap_line il;
		enum pop3_status st;

		if (done || nl == NULL) {   /* bytes after the answer, or a cut line */
			ok = false;
			break;
		}
		ll = (size_t)(nl - line);
		pos += ll + 1;
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		switch (d) {
		case PROTO_DIALOG_SMTP:
			rc = smtp_reply_feed(&r, line, ll);
			ok = rc >= 0;
			done = rc == REPLY_DONE;
			break;
		case PROTO_DIALOG_IMAP:
			imap_parse(line, ll, tag, &il);
			if (il.kind == IMAP_UNTAGGED)
				ok = ++untagged <= REPLY_LINES_MAX;
			else
				ok = il.kind == IMAP_TAGGED && (il.status == IMAP_OK ||
					il.status == IMAP_NO || il.status == IMAP_BAD);
			done = ok && il.kind == IMAP_TAGGED;
			break;
		case PROTO_DIALOG_POP3:
			if (body) {
				rc = pop3_multi_feed(&r, line, ll);
				ok = rc >= 0;
				done = rc == REPLY_DONE;
				break;
			}
			st = pop3_status(line, ll, &rest, &restlen);
			ok = st != POP3_MALFORMED;
			done = st == POP3_ERR;
			body = st == POP3_OK;
			break;
		}
	}
	reply_free(&r);
	return ok && done && pos == len;
}
