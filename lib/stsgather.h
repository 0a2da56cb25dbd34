/*
 * stsgather.h - the MTA-STS and TLS-RPT facts of one domain (mailtls/mtasts.h), gathered on
 * the engine for the domain evaluation (domain.c).
 *
 * At once: the `_mta-sts` and `_smtp._tls` TXT records and the policy host's A and AAAA;
 * when the addresses are in, the policy fetch over HTTPS on the engine (fetch.h), pinned
 * to them. The policy is fetched whether or not the TXT record exists, so that a policy
 * served without its TXT record is found. Then the readers (mtasts_read.c) fill in what
 * the texts say. Facts only: what they mean is the verdict's.
 * Internal to libmailtls.
 */
#ifndef MAILTLS_STSGATHER_H
#define MAILTLS_STSGATHER_H

#include <mailtls/engine.h>
#include <mailtls/mtasts.h>

struct sts_gather;

/* sts_gather_start - gather the facts of domain (normalized) into *out (zeroed by the
 * caller; filled as answers come; out->evaluated set). done(arg, err) is called once, from
 * the loop, when everything is in (err: 0, or MAILTLS_ENOMEM when facts are missing for
 * want of memory), unless the gathering is cancelled first. timeout_ms bounds each DNS
 * question and the fetch. 0 with *gp set, or MAILTLS_ENOMEM (nothing started, done never
 * called). A question the resolver refuses is recorded as a lookup without an answer. */
int sts_gather_start(struct mailtls_engine *e, const char *domain, unsigned timeout_ms,
		     struct mailtls_mtasts *out, void (*done)(void *arg, int err), void *arg,
		     struct sts_gather **gp);

/* sts_gather_cancel - stop; done is not called. NULL is a no-op. Not after done ran. */
void sts_gather_cancel(struct sts_gather *g);

#endif
