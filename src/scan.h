/*
 * scan.h - the `scan` command: check every target of a file in one process.
 */
#ifndef MAILTLS_CLI_SCAN_H
#define MAILTLS_CLI_SCAN_H

#include <stddef.h>
#include "opts.h"

/* scan_run - run the scan o describes; returns the exit code: the worst over all targets
 * (0 OK .. 3 UNKNOWN), or 3 with err filled when the scan itself failed or was stopped. */
int scan_run(const struct cli_opts *o, char *err, size_t errlen);

#endif
