/*
 * report_verdict.h - the one-line verdict shared by the text and JSON reporters.
 * Internal to libmailtls.
 */
#ifndef MAILTLS_REPORT_VERDICT_H
#define MAILTLS_REPORT_VERDICT_H

#include <stddef.h>
#include <mailtls/result.h>

/* report_verdict - "OK - opportunistic senders encrypt; verifying clients authenticate..."
 * (without the "Verdict: " label) into buf. */
void report_verdict(const struct mailtls_result *res, char *buf, size_t len);

#endif
