/*
 * report_jsonutil.h - the JSON primitive every JSON reporter shares: a string from
 * untrusted text. Internal to libmailtls.
 */
#ifndef MAILTLS_REPORT_JSONUTIL_H
#define MAILTLS_REPORT_JSONUTIL_H

#include <jansson.h>

/* report_json_text - a JSON string from untrusted text (invalid UTF-8 repaired as \xHH
 * text), or JSON null for NULL or on ENOMEM. */
json_t *report_json_text(const char *s);

#endif
