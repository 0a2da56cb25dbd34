/*
 * certpolicy.h - the one place that judges certificate facts: chain facts (chainfacts.h)
 * and name facts (namefacts.h) become cert.* findings and res->would_authenticate.
 *
 * Policy only: it gathers no fact itself (what it reads from a certificate is text for a
 * message, through certtext.h) and formats no report. Internal to libmailtls.
 */
#ifndef MAILTLS_CERTPOLICY_H
#define MAILTLS_CERTPOLICY_H

#include <stdbool.h>
#include <time.h>
#include <mailtls/result.h>
#include "chainfacts.h"
#include "namefacts.h"
#include "nameconstraints.h"

struct certpolicy_params {
	time_t at;                    /* the validation time the facts were gathered at */
	int warn_days;                /* cert.expires-soon within this many days; <= 0: never */
	const struct nc_facts *nc;    /* name constraints checked on the verified path (or the
	                               * alternate path), or NULL */
};

/* certpolicy_apply - add to res the cert.* findings that cf and nf call for, in a fixed
 * order (the chain; the leaf's validity, key and signature; the identity), each finding
 * about one certificate with its depth (mailtls_result_add_cert()), and set
 * res->would_authenticate. cf, nf and p are borrowed. Returns 0 or MAILTLS_ENOMEM (the
 * findings added so far stay; would_authenticate is then left as it was). */
int certpolicy_apply(const struct chain_facts *cf, const struct name_facts *nf,
		     const struct certpolicy_params *p, struct mailtls_result *res);

/* certpolicy_alternate - cert.alternate-path from res->path_search (certpolicy_path.c).
 * 0 or MAILTLS_ENOMEM. */
int certpolicy_alternate(struct mailtls_result *res);

/* certpolicy_nc - cert.name-constraint-* from nc (NULL: none) (certpolicy_path.c): the
 * issues about reference names when references is true, else the others (malformed
 * constraints, DNS-IDs, and the count of issues not kept). 0 or MAILTLS_ENOMEM. */
int certpolicy_nc(const struct nc_facts *nc, bool references, struct mailtls_result *res);

/* certpolicy_ocsp - add to res the ocsp.* findings for the facts of a stapled OCSP
 * response (f->stapled; nothing when it is not), about the leaf, at validation time at. A
 * response that does not verify is ignored past ocsp.bad-signature, as clients ignore it.
 * A revocation it states clears res->would_authenticate and res->chain_trusted. Returns 0
 * or MAILTLS_ENOMEM. */
int certpolicy_ocsp(const struct mailtls_ocsp_facts *f, time_t at, struct mailtls_result *res);

/* certpolicy_ocsp_responder - the ocsp.responder-* / ocsp.no-responder finding for what the
 * leaf's responder answered (--ocsp; nothing when r->query is NONE), read as a staple is:
 * a revocation in a valid, current-enough response clears res->would_authenticate and
 * res->chain_trusted (ocsp.responder-revoked); any answer that cannot be used is one
 * ocsp.responder-failed saying why. Returns 0 or MAILTLS_ENOMEM. */
int certpolicy_ocsp_responder(const struct mailtls_ocsp_responder *r, time_t at,
			      struct mailtls_result *res);

#endif
