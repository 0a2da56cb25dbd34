/*
 * report_textutil.h - what the text reporters share: untrusted strings printed escaped,
 * severity labels and colours, one finding as a report line. Internal to libmailtls.
 */
#ifndef MAILTLS_REPORT_TEXTUTIL_H
#define MAILTLS_REPORT_TEXTUTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <mailtls/result.h>

#define REPORT_C_RESET "\033[0m"

/* report_put - s escaped (escape.h); "-" when NULL. */
void report_put(FILE *f, const char *s);

/* report_sev_label - "OK", "INFO", "WARNING", "CRITICAL"; report_sev_color - its ANSI
 * colour. Static strings. */
const char *report_sev_label(enum mailtls_severity s);
const char *report_sev_color(enum mailtls_severity s);

/* report_exit_color - the colour of a verdict with this exit code. */
const char *report_exit_color(enum mailtls_exit code);

/* report_finding - "<indent>CRITICAL id: message", and the remedy below it for a warning
 * or a critical finding. */
void report_finding(FILE *f, const struct mailtls_finding *fi, bool color, const char *indent);

/* report_findings_about - every finding of fs whose subject is host and addr (each NULL or
 * equal), as report_finding() lines. */
void report_findings_about(FILE *f, const struct mailtls_findings *fs, const char *host,
			   const char *addr, bool color, const char *indent);
/* report_findings_where - the same, only the findings keep() accepts (NULL: all). */
void report_findings_where(FILE *f, const struct mailtls_findings *fs, const char *host,
			   const char *addr, bool (*keep)(const struct mailtls_finding *fi),
			   bool color, const char *indent);

struct mailtls_dns_lookup;
/* report_lookup_text - a DNS lookup in words: "secure", "NXDOMAIN, secure", "bogus (why)",
 * "no answer (why)", ", via CNAME to NAME"; "not asked". */
void report_lookup_text(FILE *f, const struct mailtls_dns_lookup *l);

#endif
