/*
 * report_json.h - the pieces of the JSON reporter that other reporters reuse (the domain
 * report nests one server object per address). Internal to libmailtls.
 */
#ifndef MAILTLS_REPORT_JSON_H
#define MAILTLS_REPORT_JSON_H

#include <time.h>
#include <jansson.h>
#include <mailtls/result.h>

json_t *report_jstr(const char *s);                      /* untrusted text, or null */
json_t *report_jlist(const struct mailtls_strlist *l);
json_t *report_jtime(time_t t);
json_t *report_result_json(const struct mailtls_result *res);   /* the server object */
json_t *report_findings_json(const struct mailtls_findings *f);
struct mailtls_dns_lookup;
/* report_lookup_json - one DNS lookup (dnsfacts.h), or null when it was not asked. */
json_t *report_lookup_json(const struct mailtls_dns_lookup *l);
/* report_dump - root as text plus a newline, root released; NULL on ENOMEM. */
char *report_dump(json_t *root, size_t flags);

#endif
