/*
 * mailtls/engine.h - the engine: runs any number of checks on one libevent loop, one or a
 * hundred thousand, with admission control, in one process and bounded memory.
 *
 * What the engine owns and shares: one event loop, one TLS context, one trust store and
 * one resolver, used by every check it runs. What a check owns: its parameters (copied at
 * submission), its connection and its result until the result is handed over.
 *
 * Admission control. A submitted check waits in the engine's queue until it may start:
 *   - at most max_in_flight checks are at work at once (resolving, connecting, talking);
 *   - at most per_address connections are open to one IP address at once (a scan must not
 *     look like an attack on a provider): a check whose address is busy waits, holding no
 *     descriptor, and does not count against max_in_flight while it waits;
 *   - at most `rate` new connections are opened per second (a token bucket of one second);
 *   - every connection's descriptor comes out of a budget taken from RLIMIT_NOFILE (the
 *     soft limit is raised to the hard limit first), less what the process has open, a
 *     reserve for the caller and the resolver's sockets (which have their own cap): when
 *     the budget is spent, checks wait for a descriptor. Should the system refuse a socket
 *     all the same (EMFILE, ENFILE), the check goes back to waiting and the budget shrinks
 *     to what is open; with none of the engine's connections open there is none to wait
 *     for, and the check waits with its deadline running, then ends as could-not-check.
 * Time. Each network step has the check's `timeout`; the whole check has its `deadline`
 * (default three times the timeout), counted while it is at work, not while it waits for
 * admission (but for the wait for a descriptor above). A check cut by its deadline ends
 * with the finding conn.deadline, which names the phase it was in and how long each phase
 * took.
 *
 * Callbacks. done(res, arg) is called exactly once per accepted submission, always from
 * the loop (inside mailtls_engine_run()), never from inside mailtls_engine_submit(). It
 * may submit more checks (a caller that reads its targets lazily does so). The result
 * belongs to the callee (free it with mailtls_result_free()).
 *
 * Signals. The engine never changes the process's signal dispositions: it avoids SIGPIPE
 * per socket (MSG_NOSIGNAL). A caller that wants SIGINT or SIGTERM handled from the loop
 * asks with mailtls_engine_on_signal().
 *
 * Not thread-safe: one engine per thread.
 */
#ifndef MAILTLS_ENGINE_H
#define MAILTLS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <mailtls/check.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MAILTLS_ENGINE_IN_FLIGHT_DEFAULT 256
#define MAILTLS_ENGINE_PER_ADDRESS_DEFAULT 2

struct mailtls_engine_params {
	const char *ca_file;          /* trust anchors (PEM); NULL with ca_path NULL: the
	                               * system trust store */
	const char *ca_path;          /* a hashed directory of trust anchors, or NULL */
	const char *resolver;         /* NULL: /etc/resolv.conf; else "ADDR[@PORT]" */
	const char *trust_anchor;     /* DNSSEC trust anchor: a file of zone-format DS or
	                               * DNSKEY records; NULL: /usr/share/dns/root.key when it
	                               * is readable, else no validation (every answer
	                               * insecure); "": no validation. Read when the first
	                               * name is looked up. */
	unsigned max_in_flight;       /* checks at work at once; 0: 256 */
	unsigned per_address;         /* connections at once to one IP address; 0: 2 */
	double rate;                  /* new connections per second; 0: no limit */
	unsigned max_fds;             /* descriptors the engine may use; 0: RLIMIT_NOFILE
	                               * less what the process already has open and a reserve */
};

struct mailtls_engine;

typedef void mailtls_check_done_fn(struct mailtls_result *res, void *arg);

/* mailtls_engine_new - an engine; NULL with why filled (an unreadable CA file, a resolver
 * address that does not parse, no memory). Free with mailtls_engine_free(). */
struct mailtls_engine *mailtls_engine_new(const struct mailtls_engine_params *ep,
					  char *why, size_t whylen);

/* mailtls_engine_submit - queue one check (its parameters are copied). On 0, done is
 * called once, later, from the loop. On a negative MAILTLS_E* code (invalid parameters:
 * why names the parameter and the value) nothing was queued and done is never called. */
int mailtls_engine_submit(struct mailtls_engine *e, const struct mailtls_check_params *cp,
			  mailtls_check_done_fn *done, void *arg, char *why, size_t whylen);

/* mailtls_engine_run - run the loop until no check is pending, or until a callback called
 * mailtls_engine_break(). Returns 0, or MAILTLS_EINTERNAL when the loop itself failed. */
int mailtls_engine_run(struct mailtls_engine *e);

/* mailtls_engine_break - from a callback: make mailtls_engine_run() return once the
 * callbacks now running are done, whatever is pending (it may be called again to go on). */
void mailtls_engine_break(struct mailtls_engine *e);

/* mailtls_engine_pending - checks submitted and not yet handed to done. */
size_t mailtls_engine_pending(const struct mailtls_engine *e);

/* mailtls_engine_stop_queue - drop every check that has not started yet (still queued for
 * admission: for a work slot, or for a connection to its address after the lookup): their
 * done is never called; forget(arg) is, once for each (NULL: nothing to free), so that the
 * owner can free what it gave as arg. Checks at work go on to their end (bounded by their
 * deadline); so does a domain evaluation that has started (domain.h), its checks of its
 * MX addresses included, queued or not: a domain not yet started is dropped like a check. Call it from the loop (a signal or done callback) to wind down. Returns how
 * many were dropped. */
size_t mailtls_engine_stop_queue(struct mailtls_engine *e, void (*forget)(void *arg));

/* mailtls_engine_on_signal - call cb(signo, arg) from the loop each time signo arrives
 * (libevent's signal events; the disposition is restored by mailtls_engine_free()). The
 * watch does not keep mailtls_engine_run() going. 0, MAILTLS_EINVAL (no cb),
 * MAILTLS_ENOMEM or MAILTLS_EINTERNAL. */
int mailtls_engine_on_signal(struct mailtls_engine *e, int signo,
			     void (*cb)(int signo, void *arg), void *arg);

/* mailtls_engine_every - call cb(arg) from the loop every `secs` seconds while checks run
 * (a progress display). It does not keep mailtls_engine_run() going. 0 or an error. */
int mailtls_engine_every(struct mailtls_engine *e, double secs, void (*cb)(void *arg), void *arg);

/* What the scheduler holds, now and at its peak; for tests, benchmarks and progress. */
struct mailtls_engine_stats {
	size_t queued;                /* submitted, not yet admitted */
	size_t in_flight;             /* at work (resolving, connecting, talking) */
	size_t waiting;               /* resolved, waiting for an address slot, a descriptor
	                               * or the rate */
	size_t connections;           /* open connections */
	size_t peak_in_flight;
	size_t peak_connections;
	size_t peak_per_address;      /* most connections seen open to one address */
	size_t fd_budget;             /* descriptors the engine may use now */
	size_t fd_waits;              /* times a check waited for a descriptor */
	size_t fd_refused;            /* sockets the system refused although the budget
	                               * allowed them (the budget then shrinks, and grows
	                               * back as connections close) */
	size_t done;                  /* results handed over */
	size_t chains_validated;      /* certificate chains validated */
	size_t chains_remembered;     /* chains whose facts came from an earlier identical
	                               * chain validated at the same second */
};

void mailtls_engine_stats(const struct mailtls_engine *e, struct mailtls_engine_stats *st);

/* mailtls_engine_free - NULL is a no-op. Checks not yet done are abandoned: no callbacks,
 * everything freed. Not from inside a callback. */
void mailtls_engine_free(struct mailtls_engine *e);

#ifdef __cplusplus
}
#endif
#endif
