/*
 * surveyrun.h - a TLS survey of one server address (mailtls/survey.h says what it finds
 * and how): a planner that submits survey probes (surveyprobe.h) to the engine, a few at
 * a time, reads their outcomes, decides the next ones, backs off when the server limits
 * us, and hands over the facts.
 *
 * The caller owns the run and frees it with surveyrun_free() (after done, or to abandon
 * it while the engine is being freed: probes still queued are the engine's to abandon and
 * never call back). done() is called once, from the loop, with facts the callee owns.
 * Internal to libmailtls.
 */
#ifndef MAILTLS_SURVEYRUN_H
#define MAILTLS_SURVEYRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <mailtls/mailtls.h>
#include "surveyprobe.h"

struct surveyrun;
struct mailtls_profile;

typedef void surveyrun_done_fn(struct mailtls_survey *facts, void *arg);

/* surveyrun_start - survey the target (copied) with at most `window` probes at once
 * (the engine's per_address) and one handshake per profile (borrowed; they must outlive
 * the run); profiles_only: the profiles' handshakes and nothing else. 0 with *out set, or
 * MAILTLS_ENOMEM / MAILTLS_ETLS / MAILTLS_EINVAL (a profile OpenSSL refuses) with why
 * filled. */
int surveyrun_start(struct mailtls_engine *e, const struct survey_target *t, size_t window,
		    bool profiles_only, const struct mailtls_profile *const *profiles,
		    size_t n_profiles, surveyrun_done_fn *done, void *arg, struct surveyrun **out,
		    char *why, size_t whylen);

/* surveyrun_free - NULL is a no-op. */
void surveyrun_free(struct surveyrun *r);

#endif
