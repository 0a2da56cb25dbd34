/*
 * admit.h - admission control for the engine: who may start now.
 *
 * Tasks (a check today; an HTTPS fetch or a survey probe later) hold a ticket and ask for
 * one of two things:
 *   - a work slot (admit_want_slot): one of max_active; for work that needs no socket of
 *     its own (waiting for a DNS answer). Granted in submission order.
 *   - a connection (admit_want_conn): a work slot, a slot at the target address (at most
 *     per_address open at once to one IP address), a descriptor from the budget and a rate
 *     token. Waiting connections are served before new slots (work already started ends
 *     first), and address by address in turn, so a busy address never blocks the others.
 * A grant calls the ticket's go() from the loop (a deferred event), never from inside the
 * call that asked, released or cancelled. A ticket holds at most one grant; releasing it
 * (admit_release) lets the next waiter in.
 *
 * The descriptor budget counts only connections; the caller sets it from RLIMIT_NOFILE. When
 * the system refuses a socket all the same, admit_conn_refused() gives the grant back, puts
 * the ticket first in its address's line and shrinks the budget to what is open (with none
 * open: to 0, and to 1 again after a pause, so that the loop never spins on the refusal).
 * Internal to libmailtls.
 */
#ifndef MAILTLS_ADMIT_H
#define MAILTLS_ADMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <event2/event.h>

struct admit;
struct admit_addr;

enum admit_state {
	ADMIT_IDLE,          /* neither waiting nor holding */
	ADMIT_WANT_SLOT,     /* in the slot queue */
	ADMIT_WANT_CONN,     /* in its address's line */
	ADMIT_SLOT,          /* holds a work slot */
	ADMIT_CONN,          /* holds a work slot, an address slot and a descriptor */
};

struct admit_ticket {
	enum admit_state state;
	struct admit_addr *addr;              /* while wanting or holding a connection */
	TAILQ_ENTRY(admit_ticket) link;       /* in the slot queue or its address's line */
	void (*go)(struct admit_ticket *t);   /* granted: called from the loop */
	bool kept;                            /* part of work already started (a domain's
	                                       * checks): admit_cancel_waiting leaves it */
};

struct admit_limits {
	size_t max_active;      /* work slots */
	size_t per_address;     /* connections at once to one address */
	double rate;            /* new connections per second; 0: no limit */
	size_t fd_budget;       /* connections at once, all addresses */
};

struct admit_stats {
	size_t want_slot;
	size_t want_conn;
	size_t active;          /* slots and connections held */
	size_t conns;
	size_t peak_active;
	size_t peak_conns;
	size_t peak_per_address;
	size_t fd_budget;
	size_t fd_waits;        /* grants delayed by the descriptor budget */
	size_t fd_refused;      /* sockets the system refused (EMFILE, ENFILE) */
};

/* admit_new - NULL on ENOMEM. Every limit is at least 1 (rate 0: none). */
struct admit *admit_new(struct event_base *base, const struct admit_limits *lim);

/* admit_free - tickets still queued or holding are forgotten (their owners free them). */
void admit_free(struct admit *s);

/* admit_want_slot - queue t (IDLE or holding: what it holds is released first). */
void admit_want_slot(struct admit *s, struct admit_ticket *t);

/* admit_want_conn - queue t for a connection to sa (IDLE or holding, as above). 0, or
 * MAILTLS_ENOMEM (t is then IDLE). */
int admit_want_conn(struct admit *s, struct admit_ticket *t, const struct sockaddr *sa);

/* admit_release - give back what t holds, or leave the queue it is in; t becomes IDLE. */
void admit_release(struct admit *s, struct admit_ticket *t);

/* admit_conn_refused - the system refused t's socket (EMFILE, ENFILE): t goes back to the
 * head of its address's line and the budget shrinks to the connections still open (it grows
 * back by one for each connection that closes, up to the budget given). Returns
 * true when connections of ours are open (one closing gives a descriptor back), false when
 * none is: the budget is then 0 until a short pause gives 1 back, so that the loop never
 * spins on the refusal, and the caller should not wait for ever (engine.c keeps the
 * check's deadline running). */
bool admit_conn_refused(struct admit *s, struct admit_ticket *t);

/* admit_cancel_waiting - take every waiting ticket out of the slot queue and out of
 * the address lines (IDLE again) and call drop(t, arg) for each; returns how many. Tickets
 * that hold a grant, and kept ones, are left alone. */
size_t admit_cancel_waiting(struct admit *s, void (*drop)(struct admit_ticket *t, void *arg),
				  void *arg);

void admit_stats(const struct admit *s, struct admit_stats *st);

#endif
