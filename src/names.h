/*
 * names.h - the `names` command and `tlsa --domain` (names.c): run, print, return the exit
 * code.
 */
#ifndef MAILTLS_CLI_NAMES_H
#define MAILTLS_CLI_NAMES_H

#include "opts.h"

/* names_run - `mailtls names DOMAIN`: 0 every MX host covered, 2 some host not, 3 could
 * not check. */
int names_run(const struct cli_opts *o);

/* rollover_run - `mailtls tlsa CERT --domain DOMAIN`: 0 nothing to publish, 1 records to
 * add before the switch, 3 could not check. */
int rollover_run(const struct cli_opts *o);

/* say_error - one display-safe line "mailtls: ..." on stderr (mailtls.c). */
void say_error(const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 1, 2)))
#endif
	;

#endif
