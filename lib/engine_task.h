/*
 * engine_task.h - the work the engine runs, of any kind, under one admission control and
 * one count of what is pending.
 *
 * A check is one kind of task (engine.c). Later kinds (a DNS query on its own for
 * `mailtls domain`, an HTTPS fetch for MTA-STS, a survey probe) are added as kinds, not as
 * loops of their own: each embeds a struct engine_task, supplies its ops, asks the
 * scheduler for what it needs through its ticket (a work slot, a connection: admit.h), and
 * ends with engine_task_end(). The engine owns the list of tasks; a task owns itself and
 * is freed by its kind, in ops->end or ops->abandon.
 *
 * Rules of the loop: a task's callbacks run from the engine's loop; a kind calls its
 * owner's callback only from there, never from inside the call that submitted it.
 * Internal to libmailtls.
 */
#ifndef MAILTLS_ENGINE_TASK_H
#define MAILTLS_ENGINE_TASK_H

#include <sys/queue.h>
#include <event2/event.h>
#include <mailtls/engine.h>
#include "admit.h"

struct engine_task;
struct dns_ctx;
struct fetch_ctx;

struct engine_task_ops {
	const char *kind;                            /* "check", ... for diagnoses */
	/* The scheduler granted what the ticket asked for (t->ticket.state says which). */
	void (*granted)(struct engine_task *t);
	/* Dropped before it started (mailtls_engine_stop_queue): free it; forget(arg) is the
	 * owner's hook, to be called with the owner's argument when there is one. */
	void (*dropped)(struct engine_task *t, void (*forget)(void *arg));
	/* The engine is being freed: free everything, call nothing. */
	void (*abandon)(struct engine_task *t);
};

struct engine_task {
	const struct engine_task_ops *ops;
	struct mailtls_engine *e;
	struct admit_ticket ticket;
	LIST_ENTRY(engine_task) link;               /* in the engine's list of tasks */
};

/* engine_task_add - count t as pending and queue it for a work slot; ops->granted follows
 * from the loop. */
void engine_task_add(struct mailtls_engine *e, struct engine_task *t,
		     const struct engine_task_ops *ops);

/* engine_task_end - t is over: its grant is given back, it no longer counts as pending.
 * The kind frees t afterwards (and may then call its owner). */
void engine_task_end(struct engine_task *t);

/* engine_submit_part - mailtls_engine_submit() for a check that is part of a task at work
 * (a domain's checks of its MX addresses): mailtls_engine_stop_queue() leaves it queued,
 * so the task it belongs to still ends whole (and its owner's forget hook never sees the
 * check's arg, which is the task's own). */
int engine_submit_part(struct mailtls_engine *e, const struct mailtls_check_params *cp,
		       mailtls_check_done_fn *done, void *arg, char *why, size_t whylen);

/* engine_task_of - the task whose ticket this is. */
struct engine_task *engine_task_of(struct admit_ticket *ticket);

/* What tasks share, borrowed from the engine. */
struct event_base *engine_base(const struct mailtls_engine *e);
struct admit *engine_admit(const struct mailtls_engine *e);

/* engine_per_address - connections at once to one address (the engine's parameter). */
size_t engine_per_address(const struct mailtls_engine *e);

/* engine_dns - the engine's resolver (dns.h: dns_query(), dns_lookup_addrs()), with the
 * engine's resolver address and trust anchor; set up on the first call, so that work
 * that asks nothing never reads /etc/resolv.conf or a trust anchor. NULL when it cannot
 * be set up: engine_dns_why() says why (a later call tries again). Borrowed: the engine
 * frees it. */
struct dns_ctx *engine_dns(const struct mailtls_engine *e);
const char *engine_dns_why(const struct mailtls_engine *e);

/* engine_fetch_ctx - the engine's HTTPS client (fetch.h: libcurl's multi handle on the
 * engine's loop, with the engine's ca_file / ca_path); made on the first call, so that work
 * that fetches nothing never starts libcurl. NULL with why filled when it cannot be made
 * (a later call tries again). Borrowed: mailtls_engine_free() frees it, after abandoning
 * the tasks (a fetch task's abandon takes its transfer out of it). */
struct fetch_ctx *engine_fetch_ctx(struct mailtls_engine *e, char *why, size_t whylen);

#endif
