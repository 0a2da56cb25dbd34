/*
 * chaincache.h - chain facts remembered for chains seen before. Path validation is the
 * costliest part of a check after the handshake (two public-key operations per link), and
 * a survey meets the same chain again and again (one provider's MX hosts, one CA's
 * intermediates). The facts depend only on the certificates presented, the trust store (one
 * per engine, so one per cache) and the validation time; the key is SHA-256 over the DER
 * of every presented certificate, the validation time and the verification depth, so a
 * chain differing in any byte, or validated at another second, is validated afresh.
 *
 * Bounded: CHAINCACHE_SLOTS entries, a new chain replacing whatever held its slot. Owned
 * by the engine; not thread-safe (one engine, one thread). Internal to libmailtls.
 */
#ifndef MAILTLS_CHAINCACHE_H
#define MAILTLS_CHAINCACHE_H

#include <stddef.h>
#include <time.h>
#include <openssl/x509.h>
#include "chainfacts.h"

#define CHAINCACHE_SLOTS 64

struct chaincache;

/* chaincache_new - NULL on ENOMEM. */
struct chaincache *chaincache_new(void);
void chaincache_free(struct chaincache *c);

/* chaincache_get - the facts of presented (first max certificates) against store at `at`:
 * remembered ones when the same certificates were validated at the same time, else
 * chainfacts_get() now, remembered for next time. *out belongs to the cache and stays
 * valid until the next chaincache_get() or chaincache_free(). 0, MAILTLS_EINVAL or
 * MAILTLS_ENOMEM. */
int chaincache_get(struct chaincache *c, STACK_OF(X509) *presented, int max,
		   X509_STORE *store, time_t at, const struct chain_facts **out);

/* chaincache_stats - lookups answered from the cache and validations made. */
void chaincache_stats(const struct chaincache *c, size_t *hits, size_t *misses);

#endif
