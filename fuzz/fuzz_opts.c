/*
 * fuzz_opts.c - the command-line parser (src/opts.c: cli_parse, cli_parse_hostport).
 *
 * Feeds: the input split at NUL bytes into at most 48 arguments (each its own heap copy),
 * after an argv[0] of "mailtls", to cli_parse(); every argument also to
 * cli_parse_hostport().
 * Asserts: on success the command is known, names are at most CLI_NAMES_MAX and point at
 * arguments, check has a protocol and a non-empty host that fits, cert has a file and a
 * name, scan has a protocol and an input, numbers are in their documented ranges, scan's
 * options only on scan; on failure there is a one-line message
 * with no control byte (arguments quoted in it are escaped). cli_parse_hostport() gives a
 * NUL-terminated host that fits and a port 0..65535, or such a message. cli_parse() is
 * called twice on the same argv and must agree (getopt state left over from one call must
 * not leak into the next).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <getopt.h>
#include "opts.h"
#include "fuzz_common.h"

#define FUZZ_ARGS_MAX 48   /* more than CLI_NAMES_MAX --name options fit */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* terminal_safe - a message is one line that is safe on a terminal (fuzz_common.h). */
static void terminal_safe(const char *s)
{
	fuzz_terminal_safe(s, 0);
}

static void check_parsed(int rc, const struct cli_opts *o, const char *err, char **copies,
			 int nargs)
{
	if (rc != 0) {
		FUZZ_ASSERT(rc == -1);
		FUZZ_ASSERT(err[0] != '\0');
		terminal_safe(err);
		return;
	}
	FUZZ_ASSERT(o->cmd == CMD_CHECK || o->cmd == CMD_CERT || o->cmd == CMD_SCAN
		    || o->cmd == CMD_HELP || o->cmd == CMD_VERSION);
	FUZZ_ASSERT(o->n_names <= CLI_NAMES_MAX);
	for (size_t i = 0; i < o->n_names; i++) {
		bool found = false;

		for (int j = 0; j < nargs && !found; j++)
			found = o->names[i] >= copies[j]
				&& o->names[i] <= copies[j] + strlen(copies[j]);
		FUZZ_ASSERT(found);
	}
	FUZZ_ASSERT(o->warn_days >= -1 && o->warn_days <= 3650);
	FUZZ_ASSERT(o->timeout >= 0 && o->timeout <= 3600);
	FUZZ_ASSERT(o->family == 0 || o->family == 4 || o->family == 6);
	if (o->cmd == CMD_CHECK) {
		FUZZ_ASSERT(o->proto != MAILTLS_PROTO_NONE);
		FUZZ_ASSERT(memchr(o->host, '\0', sizeof(o->host)) != NULL && o->host[0] != '\0');
		FUZZ_ASSERT(o->port <= 65535);
	} else if (o->cmd == CMD_CERT) {
		FUZZ_ASSERT(o->cert_file != NULL && o->n_names > 0);
	} else if (o->cmd == CMD_SCAN) {
		FUZZ_ASSERT(o->proto != MAILTLS_PROTO_NONE && o->input != NULL && !o->format_given);
		FUZZ_ASSERT(o->concurrency <= 100000 && o->per_address <= 10000);
		FUZZ_ASSERT(o->rate >= 0 && o->rate <= 1e6);
		FUZZ_ASSERT(o->deadline >= 0 && o->deadline <= 86400);
		FUZZ_ASSERT((o->shard_n == 0 && o->shard_k == 0) ||
			    (o->shard_k >= 1 && o->shard_k <= o->shard_n && o->shard_n <= 1000000));
	}
	/* (--help and --version end the parse wherever they stand: options before them may
	 * have been read.) */
	if (o->cmd == CMD_CHECK || o->cmd == CMD_CERT)
		FUZZ_ASSERT(o->concurrency == 0 && o->per_address == 0 && o->rate == 0 &&
			    o->output == NULL && o->resume == NULL && o->shard_n == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copies[FUZZ_ARGS_MAX], *argv[FUZZ_ARGS_MAX + 2];
	struct cli_opts o, o2;
	char err[512], err2[512];
	size_t pos = 0;
	int nargs = 0, rc, rc2;

	while (pos < size && nargs < FUZZ_ARGS_MAX) {
		const uint8_t *nul = memchr(data + pos, '\0', size - pos);
		size_t n = nul != NULL ? (size_t)(nul - (data + pos)) : size - pos;

		copies[nargs++] = fuzz_cstr(data + pos, n);
		pos += n + 1;
	}
	argv[0] = (char *)"mailtls";
	for (int i = 0; i < nargs; i++) {
		char host[MAILTLS_NAME_MAX + 1];
		unsigned port = 99999;

		argv[i + 1] = copies[i];
		memset(host, 'x', sizeof(host));
		if (cli_parse_hostport(copies[i], host, sizeof(host), &port, err, sizeof(err)) == 0) {
			FUZZ_ASSERT(memchr(host, '\0', sizeof(host)) != NULL && host[0] != '\0');
			FUZZ_ASSERT(port <= 65535);
		} else {
			FUZZ_ASSERT(err[0] != '\0');
			terminal_safe(err);
		}
	}
	argv[nargs + 1] = NULL;

	/* getopt_long() permutes argv: parse a copy of the array each time. */
	char *argv2[FUZZ_ARGS_MAX + 2];

	memcpy(argv2, argv, sizeof(argv));
	optind = 0;
	rc = cli_parse(nargs + 1, argv, &o, err, sizeof(err));
	check_parsed(rc, &o, err, copies, nargs);
	optind = 0;
	rc2 = cli_parse(nargs + 1, argv2, &o2, err2, sizeof(err2));
	check_parsed(rc2, &o2, err2, copies, nargs);
	FUZZ_ASSERT(rc == rc2 && o.cmd == o2.cmd && strcmp(err, err2) == 0);
	for (int i = 0; i < nargs; i++)
		free(copies[i]);
	return 0;
}
