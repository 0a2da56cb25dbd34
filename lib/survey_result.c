/*
 * survey_result.c - freeing and naming the survey's facts (mailtls/survey.h).
 */
#include <stdlib.h>
#include <mailtls/mailtls.h>

void mailtls_survey_free(struct mailtls_survey *s)
{
	if (s == NULL)
		return;
	free(s->not_run);
	for (int vi = 0; vi < MAILTLS_SURVEY_VERSIONS; vi++) {
		struct mailtls_survey_version *v = &s->versions[vi];

		for (size_t i = 0; i < v->n_ciphers; i++) {
			free(v->ciphers[i].name);
			free(v->ciphers[i].iana);
			free(v->ciphers[i].kx);
		}
		free(v->ciphers);
		free(v->why);
	}
	for (size_t i = 0; i < s->n_groups; i++)
		free(s->groups[i]);
	free(s->groups);
	for (int k = 0; k < 3; k++) {
		free(s->keytypes[k].key);
		free(s->keytypes[k].sig_alg);
	}
	for (size_t i = 0; i < s->n_profiles; i++) {
		struct mailtls_survey_profile *p = &s->profiles[i];

		free(p->name);
		free(p->title);
		free(p->version);
		free(p->cipher);
		free(p->group);
		free(p->why);
	}
	free(s->profiles);
	free(s->limited_why);
	free(s);
}

const char *mailtls_survey_state_name(enum mailtls_survey_state st)
{
	switch (st) {
	case MAILTLS_SURVEY_UNTESTED:
		return "untested";
	case MAILTLS_SURVEY_ACCEPTED:
		return "accepted";
	case MAILTLS_SURVEY_REJECTED:
		return "rejected";
	case MAILTLS_SURVEY_UNKNOWN:
		return "unknown";
	}
	return "unknown";
}
