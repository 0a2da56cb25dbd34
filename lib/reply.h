/*
 * reply.h - reply parsers for the mail protocols, one line at a time.
 *
 * The connection layer (conn.c) cuts the byte stream into lines (CRLF or LF removed, at most
 * REPLY_LINE_MAX bytes) and hands each to the protocol's parser here. Parsers are pure: no
 * I/O, no allocation except of struct reply's text (grown to need, up to REPLY_TEXT_MAX, and
 * freed by reply_free()), fixed limits. Internal to libmailtls.
 */
#ifndef MAILTLS_REPLY_H
#define MAILTLS_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#define REPLY_LINE_MAX 2048      /* longest reply line accepted (RFC 5321 4.5.3.1.5 says 512) */
#define REPLY_LINES_MAX 200      /* most lines in one multi-line reply */
#define REPLY_TEXT_MAX 16384     /* most bytes of text kept from one reply */

enum reply_feed {
	REPLY_MORE = 0,          /* line accepted; the reply continues */
	REPLY_DONE = 1,          /* line accepted; the reply is complete */
	REPLY_MALFORMED = -1,    /* the line breaks the protocol's syntax */
	REPLY_TOO_MANY = -2,     /* too many lines or bytes */
	REPLY_BAD_CODE = -3,     /* SMTP: three digits and a separator, but no code RFC 5321
	                          * allows (first digit 2..5, second 0..5) */
};

/* A (possibly multi-line) reply: SMTP/LMTP 3-digit replies, or a POP3 multi-line response. */
struct reply {
	int code;                /* SMTP: 200..599; POP3: 1 for +OK, 0 for -ERR */
	size_t nlines;
	size_t textlen;
	char *text;              /* line texts (after the code) joined by '\n', NUL-terminated;
	                          * after reply_reset() never NULL */
	size_t cap;              /* bytes allocated for text; 0 while text is the shared "" */
};

/* reply_reset - make r empty for the next reply (a zeroed struct reply is a valid start);
 * the text buffer is kept for reuse. */
void reply_reset(struct reply *r);

/* reply_free - free the text buffer; r is then as after reply_reset(). */
void reply_free(struct reply *r);

/* smtp_reply_feed - one SMTP/LMTP reply line (RFC 5321 4.2): "ddd" "ddd text" "ddd-text".
 * The first digit must be 2..5 and continuation lines must repeat the code. */
enum reply_feed smtp_reply_feed(struct reply *r, const char *line, size_t len);

/* reply_line - the i-th line of r->text (pointer into text, length in *len); NULL past end. */
const char *reply_line(const struct reply *r, size_t i, size_t *len);

/* smtp_ehlo_has - true when an EHLO reply lists keyword (case-insensitive) as an extension:
 * line 0 is the greeting, lines 1.. are "KEYWORD params". */
bool smtp_ehlo_has(const struct reply *r, const char *keyword);

/* reply_keyword - find the first of lines first.. of r that is keyword (case-insensitive)
 * alone or followed by a space or '=' ("AUTH PLAIN LOGIN", the old "AUTH=LOGIN", POP3's
 * "SASL PLAIN" or "USER"): true, with *params and *plen the text after the separator (into
 * r->text; length 0 when none); false when no line is. */
bool reply_keyword(const struct reply *r, size_t first, const char *keyword, const char **params,
		   size_t *plen);

/* IMAP (RFC 9051 7, RFC 3501 7): classify one response line. */
enum imap_kind {
	IMAP_UNTAGGED,           /* untagged: star, space, ... */
	IMAP_TAGGED,             /* "<tag> OK|NO|BAD ..." with the expected tag */
	IMAP_CONTINUATION,       /* "+ ..." */
	IMAP_MALFORMED,
};
enum imap_status { IMAP_NONE, IMAP_OK, IMAP_NO, IMAP_BAD, IMAP_BYE, IMAP_PREAUTH };

struct imap_line {
	enum imap_kind kind;
	enum imap_status status;  /* OK/NO/BAD/BYE/PREAUTH or NONE (e.g. "* CAPABILITY") */
	const char *rest;         /* text after the status word (or after "* "), into line */
	size_t restlen;
};

/* imap_parse - classify line; tag is the tag of the command in flight (NULL: none). */
void imap_parse(const char *line, size_t len, const char *tag, struct imap_line *out);

/* imap_capabilities - find a capability list in an untagged line ("CAPABILITY a b") or in a
 * response code ("[CAPABILITY a b] text"): on success *list points into rest and *listlen is
 * its length; returns false when there is none. */
bool imap_capabilities(const struct imap_line *l, const char **list, size_t *listlen);

/* POP3 (RFC 1939 3, RFC 2449): status of a single-line response. */
enum pop3_status { POP3_OK, POP3_ERR, POP3_MALFORMED };
enum pop3_status pop3_status(const char *line, size_t len, const char **rest, size_t *restlen);

/* pop3_multi_feed - one line of a POP3 multi-line body (after "+OK"): "." ends it, a leading
 * ".." is unstuffed. Stores lines in r (code untouched). */
enum reply_feed pop3_multi_feed(struct reply *r, const char *line, size_t len);

/* words_next - iterate space-separated words of s[0..len): returns the next word and its
 * length via w and wlen, advancing pos; false at the end. */
bool words_next(const char *s, size_t len, size_t *pos, const char **w, size_t *wlen);

#endif
