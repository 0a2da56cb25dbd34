/*
 * report_mtasts.h - the MTA-STS and TLS-RPT parts of the domain reports (report_domain.c).
 * Internal to libmailtls.
 */
#ifndef MAILTLS_REPORT_MTASTS_H
#define MAILTLS_REPORT_MTASTS_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>
#include <mailtls/domain.h>

/* report_mtasts_text - the "MTA-STS" and "TLS-RPT" sections: the TXT records, the policy
 * as fetched and read, the per-MX result, and the findings about the policy host. Nothing
 * when MTA-STS was not evaluated. */
void report_mtasts_text(FILE *f, const struct mailtls_domain_result *res, bool color);

/* report_mtasts_finding - an mtasts.* or tlsrpt.* finding (the MTA-STS and TLS-RPT
 * sections show those about the domain; the "Domain" section the others). */
bool report_mtasts_finding(const struct mailtls_finding *fi);
bool report_not_mtasts_finding(const struct mailtls_finding *fi);

/* report_mtasts_json - the "mta_sts" object (with "tls_rpt" inside), or null. */
json_t *report_mtasts_json(const struct mailtls_domain_result *res);

/* report_mtasts_host_json - a host's "mta_sts" object, or null. */
json_t *report_mtasts_host_json(const struct mailtls_domain_result *res,
				const struct mailtls_mx_host *h);

#endif
