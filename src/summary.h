/*
 * summary.h - what a survey wants from a scan, gathered as results arrive in fixed memory:
 * counts per verdict, the most common finding ids, TLS versions, certificate issuers and
 * days-to-expiry quantiles. Printed as text (stderr) or as one JSON object.
 *
 * For `scan --domains` a result is a domain: verdicts and finding ids count domains (a
 * finding of any of its servers counts once for the domain), the outcome at each sender
 * level is counted per domain, and versions, issuers and expiry count the MX addresses
 * checked (`servers`).
 */
#ifndef MAILTLS_CLI_SUMMARY_H
#define MAILTLS_CLI_SUMMARY_H

#include <stddef.h>
#include <stdio.h>
#include <stdbool.h>
#include <mailtls/mailtls.h>

#define SUMMARY_KEYS_MAX 256          /* distinct issuers / versions kept; more are "other" */
#define SUMMARY_DAYS_SPAN 3650        /* days_left histogram from -SPAN to +SPAN, clamped */

struct summary_count {
	char *key;
	size_t n;
};

struct summary_table {
	struct summary_count v[SUMMARY_KEYS_MAX];
	size_t n;
	size_t other;                 /* results whose key did not fit */
};

#define SUMMARY_OUTCOMES (MAILTLS_OUTCOME_UNREACHABLE + 1)

struct summary {
	bool domains;                 /* results are domains (scan --domains) */
	size_t results;
	size_t verdicts[4];           /* by enum mailtls_exit */
	size_t ids[MAILTLS_F_COUNT];  /* results with at least one finding of each id */
	struct summary_table versions;
	struct summary_table issuers;
	size_t days[2 * SUMMARY_DAYS_SPAN + 1];
	size_t n_days;
	/* domains only */
	size_t servers;               /* server results (MX addresses checked) */
	size_t outcomes[MAILTLS_LEVEL_COUNT][SUMMARY_OUTCOMES]; /* domains per level, outcome */
};

void summary_init(struct summary *s);
void summary_add(struct summary *s, const struct mailtls_result *res);
void summary_add_domain(struct summary *s, const struct mailtls_domain_result *res);
/* summary_print - the text form on f. */
void summary_print(const struct summary *s, FILE *f);
/* summary_json - the JSON form, newline-terminated; caller frees; NULL on ENOMEM. */
char *summary_json(const struct summary *s);
void summary_free(struct summary *s);

#endif
