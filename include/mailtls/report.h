/*
 * mailtls/report.h - format a result as text or JSON. Reporters only format: they never
 * judge, print or exit. Every string that came from a server or a certificate is escaped
 * (control characters and invalid UTF-8 shown as \xHH in text; valid UTF-8 in JSON).
 */
#ifndef MAILTLS_REPORT_H
#define MAILTLS_REPORT_H

#include <stdbool.h>
#include <mailtls/result.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mailtls_report_opts {
	bool color;        /* ANSI colours for severities */
	bool transcript;   /* include the S:/C: dialogue */
};

/* mailtls_report_text - the human report; caller frees with free(). NULL on ENOMEM. */
char *mailtls_report_text(const struct mailtls_result *res, const struct mailtls_report_opts *opts);

/* mailtls_report_json - one JSON object (docs/json.md), newline-terminated; caller frees
 * with free(). NULL on ENOMEM. */
char *mailtls_report_json(const struct mailtls_result *res);

/* mailtls_report_jsonl - the same object on one line (JSON Lines), with two more members:
 * "input" (the input line as given; shown escaped) and "line" (its number). Ends with one
 * newline; caller frees with free(). NULL on ENOMEM. */
char *mailtls_report_jsonl(const struct mailtls_result *res, const char *input, long line);

/* mailtls_report_nagios - monitoring-plugin output: "MAILTLS <verdict> | perfdata" and
 * one line per warning or critical finding; caller frees with free(). NULL on ENOMEM. */
char *mailtls_report_nagios(const struct mailtls_result *res);

struct mailtls_domain_result;
/* mailtls_report_domain_text - a domain report: the MX hosts and addresses as a table, the
 * DNS answers and findings by MX host and address, the outcome per sender level and the
 * verdict; caller frees with free(). NULL on ENOMEM. */
char *mailtls_report_domain_text(const struct mailtls_domain_result *res,
				 const struct mailtls_report_opts *opts);
/* mailtls_report_domain_json - the nested domain object (docs/json.md, "mode": "domain");
 * _jsonl: on one line with "input" and "line", as mailtls_report_jsonl(). */
char *mailtls_report_domain_json(const struct mailtls_domain_result *res);
/* mailtls_report_domain_postfix - the smtp_tls_policy_maps entry for the domain, after a
 * comment line that says why (`# example.org: ...`, then `example.org dane-only`: key and
 * value separated by a space, as postmap reads them); only
 * the comment when no entry is given (null MX, not checked). Owned; NULL on ENOMEM. */
char *mailtls_report_domain_postfix(const struct mailtls_domain_result *res);
char *mailtls_report_domain_jsonl(const struct mailtls_domain_result *res, const char *input,
				  long line);

#ifdef __cplusplus
}
#endif
#endif
