/*
 * test_inject.c - inject_is_answer(): which plaintext after a STARTTLS go-ahead is exactly
 * the answer to the command the --injection probe sent with STARTTLS, as a table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "inject.h"

static const struct {
	enum proto_dialog d;
	const char *tag;
	const char *data;
	bool want;
} cases[] = {
	/* SMTP/LMTP: the answer to NOOP, whatever its code, and nothing else. */
	{ PROTO_DIALOG_SMTP, NULL, "250 2.0.0 Ok\r\n", true },
	{ PROTO_DIALOG_SMTP, NULL, "250 Ok\n", true },
	{ PROTO_DIALOG_SMTP, NULL, "250-a\r\n250 b\r\n", true },
	{ PROTO_DIALOG_SMTP, NULL, "554 5.5.1 Error: command pipelining not allowed\r\n", true },
	{ PROTO_DIALOG_SMTP, NULL, "", false },
	{ PROTO_DIALOG_SMTP, NULL, "250 2.0.0 Ok", false },                 /* cut */
	{ PROTO_DIALOG_SMTP, NULL, "250-a\r\n", false },                    /* unfinished */
	{ PROTO_DIALOG_SMTP, NULL, "250 Ok\r\n250 Ok\r\n", false },         /* two replies */
	{ PROTO_DIALOG_SMTP, NULL, "250 Ok\r\nx", false },                  /* trailing bytes */
	{ PROTO_DIALOG_SMTP, NULL, "250 injected\r\n\x16\x03\x01", false },
	{ PROTO_DIALOG_SMTP, NULL, "600 x\r\n", false },
	{ PROTO_DIALOG_SMTP, NULL, "hello\r\n", false },
	/* IMAP: untagged lines, then the tagged completion of "<tag> NOOP". */
	{ PROTO_DIALOG_IMAP, "A4", "A4 OK NOOP completed.\r\n", true },
	{ PROTO_DIALOG_IMAP, "A4", "* 3 EXISTS\r\nA4 OK done\r\n", true },
	{ PROTO_DIALOG_IMAP, "A4", "A4 BAD not now\r\n", true },
	{ PROTO_DIALOG_IMAP, "A4", "A3 OK other tag\r\n", false },
	{ PROTO_DIALOG_IMAP, "A4", "* OK only untagged\r\n", false },
	{ PROTO_DIALOG_IMAP, "A4", "A4 OK done\r\n* BYE\r\n", false },
	{ PROTO_DIALOG_IMAP, "A4", "+ go on\r\n", false },
	{ PROTO_DIALOG_IMAP, NULL, "A4 OK done\r\n", false },
	/* POP3: -ERR alone, or +OK and a body ended by ".". */
	{ PROTO_DIALOG_POP3, NULL, "-ERR not now\r\n", true },
	{ PROTO_DIALOG_POP3, NULL, "+OK\r\nUSER\r\nSTLS\r\n.\r\n", true },
	{ PROTO_DIALOG_POP3, NULL, "+OK\r\n.\r\n", true },
	{ PROTO_DIALOG_POP3, NULL, "+OK\r\nUSER\r\n", false },              /* no end */
	{ PROTO_DIALOG_POP3, NULL, "+OK\r\n.\r\n+OK\r\n", false },
	{ PROTO_DIALOG_POP3, NULL, "-ERR x\r\n+OK\r\n", false },
	{ PROTO_DIALOG_POP3, NULL, "hello\r\n", false },
};

static void table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = inject_is_answer(cases[i].d, cases[i].tag, cases[i].data,
					    strlen(cases[i].data));

		if (got != cases[i].want)
			fail_msg("case %zu (\"%s\"): got %d, want %d", i, cases[i].data, got,
				 cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
