/*
 * certpolicy.h - the one place that judges certificate facts: chain facts (chainfacts.h)
 * and name facts (namefacts.h) become cert.* findings and res->would_authenticate.
 *
 * Policy only: it gathers no fact itself (what it reads from a certificate is text for a
 * message, through certtext.h) and formats no report. Internal to libmailtls.
 */
#ifndef MAILTLS_CERTPOLICY_H
#define MAILTLS_CERTPOLICY_H

#include <time.h>
#include <mailtls/result.h>
#include "chainfacts.h"
#include "namefacts.h"

struct certpolicy_params {
	time_t at;                    /* the validation time the facts were gathered at */
	int warn_days;                /* cert.expires-soon within this many days; <= 0: never */
};

/* certpolicy_apply - add to res the cert.* findings that cf and nf call for, in a fixed
 * order (the chain; the leaf's validity, key and signature; the identity), each finding
 * about one certificate with its depth (mailtls_result_add_cert()), and set
 * res->would_authenticate. cf, nf and p are borrowed. Returns 0 or MAILTLS_ENOMEM (the
 * findings added so far stay; would_authenticate is then left as it was). */
int certpolicy_apply(const struct chain_facts *cf, const struct name_facts *nf,
		     const struct certpolicy_params *p, struct mailtls_result *res);

#endif
