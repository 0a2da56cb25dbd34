/*
 * test_reply.c - the reply parsers (SMTP/LMTP, IMAP, POP3) and the escaping of untrusted
 * text, as tables.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "escape.h"
#include "reply.h"

#define S(x) x, sizeof(x) - 1

/* SMTP replies: a sequence of lines and the outcome of the last one fed. */
static const struct {
	const char *lines[4];
	enum reply_feed last;
	int code;
	size_t nlines;
	const char *text;
} smtp_cases[] = {
	{ { "220 mx.example.org ESMTP" }, REPLY_DONE, 220, 1, "mx.example.org ESMTP" },
	{ { "220" }, REPLY_DONE, 220, 1, "" },
	{ { "220-a", "220-b", "220 c" }, REPLY_DONE, 220, 3, "a\nb\nc" },
	{ { "250-mx", "250-STARTTLS" }, REPLY_MORE, 250, 2, "mx\nSTARTTLS" },
	{ { "250-mx", "251 x" }, REPLY_MALFORMED, 250, 1, "mx" },    /* code changed */
	{ { "454 4.7.0 TLS not available" }, REPLY_DONE, 454, 1, "4.7.0 TLS not available" },
	{ { "554 5.3.2 no" }, REPLY_DONE, 554, 1, "5.3.2 no" },
	{ { "600 out of range" }, REPLY_BAD_CODE, 0, 0, "" },
	{ { "199 out of range" }, REPLY_BAD_CODE, 0, 0, "" },
	{ { "260 second digit" }, REPLY_BAD_CODE, 0, 0, "" },
	{ { "600" }, REPLY_BAD_CODE, 0, 0, "" },
	{ { "099-x" }, REPLY_BAD_CODE, 0, 0, "" },
	{ { "250-mx", "600 x" }, REPLY_BAD_CODE, 250, 1, "mx" },
	{ { "600x" }, REPLY_MALFORMED, 0, 0, "" },
	{ { "22" }, REPLY_MALFORMED, 0, 0, "" },
	{ { "" }, REPLY_MALFORMED, 0, 0, "" },
	{ { "220x" }, REPLY_MALFORMED, 0, 0, "" },
	{ { "2a0 x" }, REPLY_MALFORMED, 0, 0, "" },
	{ { "HTTP/1.1 400" }, REPLY_MALFORMED, 0, 0, "" },
};

static void smtp_table(void **state)
{
	static struct reply r;
	(void)state;

	for (size_t i = 0; i < sizeof(smtp_cases) / sizeof(smtp_cases[0]); i++) {
		enum reply_feed rc = REPLY_MORE;

		reply_reset(&r);
		for (size_t l = 0; l < 4 && smtp_cases[i].lines[l]; l++) {
			rc = smtp_reply_feed(&r, smtp_cases[i].lines[l], strlen(smtp_cases[i].lines[l]));
			if (rc < 0)
				break;
		}
		if (rc != smtp_cases[i].last)
			fail_msg("row %zu: feed returned %d, expected %d", i, rc, smtp_cases[i].last);
		assert_int_equal(r.code, smtp_cases[i].code);
		assert_int_equal(r.nlines, smtp_cases[i].nlines);
		assert_string_equal(r.text, smtp_cases[i].text);
	}
}

static void smtp_limits_and_ehlo(void **state)
{
	static struct reply r;
	size_t len;
	const char *l;
	enum reply_feed rc = REPLY_MORE;
	int i;
	(void)state;

	/* Endless continuation: stops at REPLY_LINES_MAX lines. */
	reply_reset(&r);
	for (i = 0; i < REPLY_LINES_MAX + 5 && rc == REPLY_MORE; i++)
		rc = smtp_reply_feed(&r, S("250-x"));
	assert_int_equal(rc, REPLY_TOO_MANY);
	assert_int_equal(i, REPLY_LINES_MAX + 1);

	/* Too many bytes: stops before REPLY_TEXT_MAX. */
	{
		static char big[REPLY_LINE_MAX];

		memset(big, 'a', sizeof(big));
		memcpy(big, "250-", 4);
		reply_reset(&r);
		rc = REPLY_MORE;
		for (i = 0; i < 100 && rc == REPLY_MORE; i++)
			rc = smtp_reply_feed(&r, big, sizeof(big));
		assert_int_equal(rc, REPLY_TOO_MANY);
		assert_true(r.textlen < REPLY_TEXT_MAX);
	}

	/* NUL inside a line is kept visible, never truncating the text. */
	reply_reset(&r);
	assert_int_equal(smtp_reply_feed(&r, S("220 a\0b")), REPLY_DONE);
	assert_string_equal(r.text, "a\\x00b");
	assert_int_equal(r.textlen, 6);

	/* EHLO keywords: whole word, any case, not in the greeting line. */
	reply_reset(&r);
	assert_int_equal(smtp_reply_feed(&r, S("250-STARTTLS.example greets you")), REPLY_MORE);
	assert_int_equal(smtp_reply_feed(&r, S("250-SIZE 1000")), REPLY_MORE);
	assert_int_equal(smtp_reply_feed(&r, S("250-starttlsx")), REPLY_MORE);
	assert_int_equal(smtp_reply_feed(&r, S("250 8BITMIME")), REPLY_DONE);
	assert_false(smtp_ehlo_has(&r, "STARTTLS"));
	assert_true(smtp_ehlo_has(&r, "size"));
	assert_true(smtp_ehlo_has(&r, "8BITMIME"));
	assert_false(smtp_ehlo_has(&r, "SIZ"));
	l = reply_line(&r, 1, &len);
	assert_non_null(l);
	assert_int_equal(len, 9);
	assert_memory_equal(l, "SIZE 1000", 9);
	assert_null(reply_line(&r, 4, &len));
	reply_reset(&r);
	assert_int_equal(smtp_reply_feed(&r, S("250-mx")), REPLY_MORE);
	assert_int_equal(smtp_reply_feed(&r, S("250 STARTTLS")), REPLY_DONE);
	assert_true(smtp_ehlo_has(&r, "starttls"));
}

static const struct {
	const char *line;
	const char *tag;
	enum imap_kind kind;
	enum imap_status status;
	const char *rest;
	const char *caps;   /* NULL: no capability list */
} imap_cases[] = {
	{ "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready.", NULL, IMAP_UNTAGGED,
	  IMAP_OK, "[CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready.",
	  "IMAP4rev1 STARTTLS LOGINDISABLED" },
	{ "* OK ready", NULL, IMAP_UNTAGGED, IMAP_OK, "ready", NULL },
	{ "* PREAUTH welcome", NULL, IMAP_UNTAGGED, IMAP_PREAUTH, "welcome", NULL },
	{ "* BYE go away", NULL, IMAP_UNTAGGED, IMAP_BYE, "go away", NULL },
	{ "* CAPABILITY IMAP4rev1 STARTTLS", "A1", IMAP_UNTAGGED, IMAP_NONE,
	  "CAPABILITY IMAP4rev1 STARTTLS", "IMAP4rev1 STARTTLS" },
	{ "* capability imap4rev1", "A1", IMAP_UNTAGGED, IMAP_NONE, "capability imap4rev1", "imap4rev1" },
	{ "* CAPABILITY", "A1", IMAP_UNTAGGED, IMAP_NONE, "CAPABILITY", "" },
	{ "* CAPABILITYX a", "A1", IMAP_UNTAGGED, IMAP_NONE, "CAPABILITYX a", NULL },
	{ "A1 OK done", "A1", IMAP_TAGGED, IMAP_OK, "done", NULL },
	{ "A1 NO nope", "A1", IMAP_TAGGED, IMAP_NO, "nope", NULL },
	{ "A1 BAD what", "A1", IMAP_TAGGED, IMAP_BAD, "what", NULL },
	{ "A1 OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] Logged in", "A1", IMAP_TAGGED, IMAP_OK,
	  "[CAPABILITY IMAP4rev1 AUTH=PLAIN] Logged in", "IMAP4rev1 AUTH=PLAIN" },
	{ "A2 OK other tag", "A1", IMAP_MALFORMED, IMAP_NONE, NULL, NULL },
	{ "A1 BYE not tagged status", "A1", IMAP_MALFORMED, IMAP_BYE, NULL, NULL },
	{ "A1", "A1", IMAP_MALFORMED, IMAP_NONE, NULL, NULL },
	{ "+ go ahead", "A1", IMAP_CONTINUATION, IMAP_NONE, "go ahead", NULL },
	{ "+", "A1", IMAP_CONTINUATION, IMAP_NONE, "", NULL },
	{ "garbage", NULL, IMAP_MALFORMED, IMAP_NONE, NULL, NULL },
	{ "*OK no space", NULL, IMAP_MALFORMED, IMAP_NONE, NULL, NULL },
	{ "* OK [CAPABILITY unterminated", NULL, IMAP_UNTAGGED, IMAP_OK, "[CAPABILITY unterminated", NULL },
};

static void imap_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(imap_cases) / sizeof(imap_cases[0]); i++) {
		struct imap_line il;
		const char *list = "";
		size_t listlen;
		bool has;

		imap_parse(imap_cases[i].line, strlen(imap_cases[i].line), imap_cases[i].tag, &il);
		if (il.kind != imap_cases[i].kind)
			fail_msg("row %zu (%s): kind %d, expected %d", i, imap_cases[i].line, il.kind,
				 imap_cases[i].kind);
		if (il.kind == IMAP_MALFORMED)
			continue;
		assert_int_equal(il.status, imap_cases[i].status);
		assert_int_equal(il.restlen, strlen(imap_cases[i].rest));
		assert_memory_equal(il.rest, imap_cases[i].rest, il.restlen);
		has = imap_capabilities(&il, &list, &listlen);
		assert_int_equal(has, imap_cases[i].caps != NULL);
		if (has && imap_cases[i].caps != NULL) {   /* equal, by the assertion above */
			assert_int_equal(listlen, strlen(imap_cases[i].caps));
			assert_memory_equal(list, imap_cases[i].caps, listlen);
		}
	}
}

static void pop3_table(void **state)
{
	static const struct {
		const char *line;
		enum pop3_status st;
		const char *rest;
	} cases[] = {
		{ "+OK POP3 ready", POP3_OK, "POP3 ready" },
		{ "+OK", POP3_OK, "" },
		{ "-ERR no", POP3_ERR, "no" },
		{ "-ERR", POP3_ERR, "" },
		{ "+OKAY", POP3_MALFORMED, NULL },
		{ "+ok lower", POP3_MALFORMED, NULL },
		{ "", POP3_MALFORMED, NULL },
		{ "* OK imap", POP3_MALFORMED, NULL },
	};
	static struct reply r;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *rest = NULL;
		size_t restlen = 0;

		assert_int_equal(pop3_status(cases[i].line, strlen(cases[i].line), &rest, &restlen),
				 cases[i].st);
		if (cases[i].st != POP3_MALFORMED) {
			assert_int_equal(restlen, strlen(cases[i].rest));
			assert_memory_equal(rest, cases[i].rest, restlen);
		}
	}
	reply_reset(&r);
	assert_int_equal(pop3_multi_feed(&r, S("STLS")), REPLY_MORE);
	assert_int_equal(pop3_multi_feed(&r, S("..stuffed")), REPLY_MORE);
	assert_int_equal(pop3_multi_feed(&r, S("SASL PLAIN")), REPLY_MORE);
	assert_int_equal(pop3_multi_feed(&r, S(".")), REPLY_DONE);
	assert_string_equal(r.text, "STLS\n.stuffed\nSASL PLAIN");
	reply_reset(&r);
	{
		enum reply_feed rc = REPLY_MORE;
		int i;

		for (i = 0; i < 1000 && rc == REPLY_MORE; i++)
			rc = pop3_multi_feed(&r, S("X"));
		assert_int_equal(rc, REPLY_TOO_MANY);
		assert_int_equal(i, REPLY_LINES_MAX + 1);
	}
}

static void words(void **state)
{
	const char *s = "  a bb  ccc ", *w;
	size_t pos = 0, wl;
	(void)state;

	assert_true(words_next(s, strlen(s), &pos, &w, &wl));
	assert_int_equal(wl, 1);
	assert_memory_equal(w, "a", 1);
	assert_true(words_next(s, strlen(s), &pos, &w, &wl));
	assert_memory_equal(w, "bb", 2);
	assert_true(words_next(s, strlen(s), &pos, &w, &wl));
	assert_memory_equal(w, "ccc", 3);
	assert_false(words_next(s, strlen(s), &pos, &w, &wl));
}

/* reply_keyword: the AUTH line of an EHLO reply (the new and the old "AUTH=" form), POP3's
 * USER and SASL; the keyword must be a whole word and line 0 (the greeting) can be skipped. */
static void keywords(void **state)
{
	static const struct {
		const char *lines[3];
		size_t first;
		const char *keyword;
		const char *params;   /* NULL: not found */
	} cases[] = {
		{ { "250-mx", "250-AUTH PLAIN LOGIN", "250 STARTTLS" }, 1, "AUTH", "PLAIN LOGIN" },
		{ { "250-mx", "250-auth=LOGIN", "250 STARTTLS" }, 1, "AUTH", "LOGIN" },
		{ { "250-mx", "250-AUTH", "250 STARTTLS" }, 1, "AUTH", "" },
		{ { "250-mx", "250-AUTHX PLAIN", "250 STARTTLS" }, 1, "AUTH", NULL },
		{ { "250-AUTH PLAIN", "250-SIZE 10", "250 STARTTLS" }, 1, "AUTH", NULL },
		{ { "250-mx", "250-SIZE 10", "250 STARTTLS" }, 1, "AUTH", NULL },
		{ { "250-USER", "250-SASL PLAIN", "250 STLS" }, 0, "USER", "" },
		{ { "250-USER", "250-SASL PLAIN", "250 STLS" }, 0, "SASL", "PLAIN" },
		{ { "250-USERX", "250-TOP", "250 STLS" }, 0, "USER", NULL },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct reply r = { 0 };
		const char *params = NULL;
		size_t len = 99;

		for (size_t j = 0; j < 3; j++)
			assert_true(smtp_reply_feed(&r, cases[i].lines[j], strlen(cases[i].lines[j])) >= 0);
		if (cases[i].params == NULL) {
			assert_false(reply_keyword(&r, cases[i].first, cases[i].keyword, &params, &len));
		} else {
			assert_true(reply_keyword(&r, cases[i].first, cases[i].keyword, &params, &len));
			assert_int_equal(len, strlen(cases[i].params));
			assert_memory_equal(params, cases[i].params, len);
		}
		reply_free(&r);
	}
}

static void escaping(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *text;
		const char *utf8;
	} cases[] = {
		{ S("plain text"), "plain text", "plain text" },
		{ S("\033[31mred\033[0m"), "\\x1b[31mred\\x1b[0m", "\033[31mred\033[0m" },
		{ S("a\0b"), "a\\x00b", "a\xef\xbf\xbd" "b" },
		{ S("back\\slash"), "back\\slash", "back\\slash" },
		{ S("already \\x1b escaped"), "already \\x1b escaped", "already \\x1b escaped" },
		{ S("caf\xc3\xa9"), "caf\xc3\xa9", "caf\xc3\xa9" },
		{ S("bad \xff byte"), "bad \\xff byte", "bad \xef\xbf\xbd byte" },
		{ S("overlong \xc0\xaf"), "overlong \\xc0\\xaf", "overlong \xef\xbf\xbd\xef\xbf\xbd" },
		{ S("surrogate \xed\xa0\x80"), "surrogate \\xed\\xa0\\x80",
		  "surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ S("c1 csi \xc2\x9b"), "c1 csi \\xc2\\x9b", "c1 csi \xc2\x9b" },
		{ S("rlo \xe2\x80\xae gpj.exe"), "rlo \\xe2\\x80\\xae gpj.exe", "rlo \xe2\x80\xae gpj.exe" },
		{ S("zw\xe2\x80\x8bsp"), "zw\\xe2\\x80\\x8bsp", "zw\xe2\x80\x8bsp" },
		{ S("ls\xe2\x80\xa8x"), "ls\\xe2\\x80\\xa8x", "ls\xe2\x80\xa8x" },
		{ S("bom\xef\xbb\xbf"), "bom\\xef\\xbb\\xbf", "bom\xef\xbb\xbf" },
		{ S("isolate\xe2\x81\xa6"), "isolate\\xe2\\x81\\xa6", "isolate\xe2\x81\xa6" },
		{ S("ok \xe2\x80\x94 dash \xf0\x9f\x93\xa7"), "ok \xe2\x80\x94 dash \xf0\x9f\x93\xa7", "ok \xe2\x80\x94 dash \xf0\x9f\x93\xa7" },
		{ S("cr\rlf\n"), "cr\\x0dlf\\x0a", "cr\rlf\n" },
		{ S("del\x7f"), "del\\x7f", "del\x7f" },
		{ S("truncated \xe2\x82"), "truncated \\xe2\\x82", "truncated \xef\xbf\xbd\xef\xbf\xbd" },
		{ S(""), "", "" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = escape_text(cases[i].in, cases[i].len);
		char *u = escape_utf8(cases[i].in, cases[i].len);

		assert_non_null(t);
		assert_non_null(u);
		if (strcmp(t, cases[i].text) != 0)
			fail_msg("row %zu: escape_text gave \"%s\"", i, t);
		assert_string_equal(u, cases[i].utf8);
		free(t);
		free(u);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(smtp_table),
		cmocka_unit_test(smtp_limits_and_ehlo),
		cmocka_unit_test(imap_table),
		cmocka_unit_test(pop3_table),
		cmocka_unit_test(words),
		cmocka_unit_test(keywords),
		cmocka_unit_test(escaping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
