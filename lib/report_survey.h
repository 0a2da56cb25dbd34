/*
 * report_survey.h - the TLS survey (mailtls/survey.h) in the text and JSON reports: the
 * "TLS survey" and "Senders" sections, and the "survey" object (docs/json.md). Formatting
 * only. Internal to libmailtls.
 */
#ifndef MAILTLS_REPORT_SURVEY_H
#define MAILTLS_REPORT_SURVEY_H

#include <stdio.h>
#include <jansson.h>
#include <mailtls/survey.h>

/* report_survey_text - the sections, to f (nothing for NULL). */
void report_survey_text(FILE *f, const struct mailtls_survey *s);

/* report_survey_text_indented - the same, every line after indent (the domain report). */
void report_survey_text_indented(FILE *f, const struct mailtls_survey *s, const char *indent);

/* report_survey_json - the object; json null for NULL. */
json_t *report_survey_json(const struct mailtls_survey *s);

#endif
