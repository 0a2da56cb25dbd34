/*
 * admit.c - admission control (admit.h): a slot queue, one line per address, a ready list
 * of addresses that have a waiter and a free slot, a descriptor budget and a token bucket.
 * Every grant is made by dispatch(), which runs from a deferred event.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <mailtls/mailtls.h>
#include "admit.h"

#define ADDR_BUCKETS 4096
#define FD_RETRY_US 100000            /* no descriptor and none of ours open: try again after */

TAILQ_HEAD(ticket_list, admit_ticket);

/* One IP address that has connections open or waiting. */
struct admit_addr {
	unsigned char key[17];               /* family byte, then 4 or 16 address bytes */
	size_t open;                         /* connections held */
	struct ticket_list line;             /* tickets waiting for a connection here */
	bool ready;                          /* in s->ready */
	TAILQ_ENTRY(admit_addr) ready_link;
	struct admit_addr *next;             /* in its hash bucket */
};

TAILQ_HEAD(addr_list, admit_addr);

struct admit {
	struct event_base *base;
	struct admit_limits lim;
	size_t fd_budget_max;                /* the budget given; a shrunk one grows back to it */
	struct event *ev_dispatch;           /* deferred: grants are made from the loop */
	struct event *ev_rate;               /* wakes dispatch when the next token is due */
	bool rate_armed;
	struct event *ev_fd_retry;           /* restores a descriptor budget of 0 to 1 */
	double tokens;                       /* token bucket, capacity max(1, rate) */
	struct timespec refilled;
	struct ticket_list slots;            /* tickets waiting for a work slot */
	struct addr_list ready;              /* addresses with a waiter and a free slot */
	struct admit_addr *buckets[ADDR_BUCKETS];
	struct admit_stats st;
};

static void dispatch(evutil_socket_t fd, short what, void *arg);
static void fd_retry(evutil_socket_t fd, short what, void *arg);

struct admit *admit_new(struct event_base *base, const struct admit_limits *lim)
{
	struct admit *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->base = base;
	s->lim = *lim;
	if (s->lim.max_active == 0)
		s->lim.max_active = 1;
	if (s->lim.per_address == 0)
		s->lim.per_address = 1;
	if (s->lim.fd_budget == 0)
		s->lim.fd_budget = 1;
	if (s->lim.rate < 0)
		s->lim.rate = 0;
	s->st.fd_budget = s->lim.fd_budget;
	s->fd_budget_max = s->lim.fd_budget;
	s->tokens = s->lim.rate >= 1 ? s->lim.rate : 1;
	clock_gettime(CLOCK_MONOTONIC, &s->refilled);
	TAILQ_INIT(&s->slots);
	TAILQ_INIT(&s->ready);
	s->ev_dispatch = event_new(base, -1, 0, dispatch, s);
	s->ev_rate = evtimer_new(base, dispatch, s);
	s->ev_fd_retry = evtimer_new(base, fd_retry, s);
	if (s->ev_dispatch == NULL || s->ev_rate == NULL || s->ev_fd_retry == NULL) {
		admit_free(s);
		return NULL;
	}
	return s;
}

void admit_free(struct admit *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < ADDR_BUCKETS; i++)
		while (s->buckets[i] != NULL) {
			struct admit_addr *a = s->buckets[i];

			s->buckets[i] = a->next;
			free(a);
		}
	if (s->ev_dispatch)
		event_free(s->ev_dispatch);
	if (s->ev_rate)
		event_free(s->ev_rate);
	if (s->ev_fd_retry)
		event_free(s->ev_fd_retry);
	free(s);
}

static void kick(struct admit *s)
{
	event_active(s->ev_dispatch, EV_TIMEOUT, 0);
}

/* addr_key - the lookup key of sa; false for a family that is not IP. */
static bool addr_key(const struct sockaddr *sa, unsigned char key[17])
{
	memset(key, 0, 17);
	if (sa->sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		key[0] = 6;
		memcpy(key + 1, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return true;
	}
	return false;
}

static size_t addr_hash(const unsigned char key[17])
{
	uint32_t h = 2166136261u;   /* FNV-1a */

	for (size_t i = 0; i < 17; i++)
		h = (h ^ key[i]) * 16777619u;
	return h % ADDR_BUCKETS;
}

static struct admit_addr *addr_get(struct admit *s, const unsigned char key[17])
{
	size_t b = addr_hash(key);
	struct admit_addr *a;

	for (a = s->buckets[b]; a != NULL; a = a->next)
		if (memcmp(a->key, key, 17) == 0)
			return a;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	memcpy(a->key, key, 17);
	TAILQ_INIT(&a->line);
	a->next = s->buckets[b];
	s->buckets[b] = a;
	return a;
}

/* addr_update - keep a's place in the ready list right; free it when nothing uses it. */
static void addr_update(struct admit *s, struct admit_addr *a)
{
	bool should = !TAILQ_EMPTY(&a->line) && a->open < s->lim.per_address;

	if (should && !a->ready) {
		TAILQ_INSERT_TAIL(&s->ready, a, ready_link);
		a->ready = true;
	} else if (!should && a->ready) {
		TAILQ_REMOVE(&s->ready, a, ready_link);
		a->ready = false;
	}
	if (a->open == 0 && TAILQ_EMPTY(&a->line)) {
		struct admit_addr **pp = &s->buckets[addr_hash(a->key)];

		while (*pp != a)
			pp = &(*pp)->next;
		*pp = a->next;
		free(a);
	}
}

void admit_release(struct admit *s, struct admit_ticket *t)
{
	struct admit_addr *a = t->addr;

	switch (t->state) {
	case ADMIT_IDLE:
		return;
	case ADMIT_WANT_SLOT:
		TAILQ_REMOVE(&s->slots, t, link);
		s->st.want_slot--;
		break;
	case ADMIT_WANT_CONN:
		TAILQ_REMOVE(&a->line, t, link);
		s->st.want_conn--;
		addr_update(s, a);
		break;
	case ADMIT_SLOT:
		s->st.active--;
		kick(s);
		break;
	case ADMIT_CONN:
		s->st.active--;
		s->st.conns--;
		a->open--;
		/* A budget shrunk by a refused socket grows back a step per connection closed:
		 * a short shortage must not throttle the rest of a long scan. */
		if (s->lim.fd_budget < s->fd_budget_max)
			s->st.fd_budget = ++s->lim.fd_budget;
		addr_update(s, a);
		kick(s);
		break;
	}
	t->addr = NULL;
	t->state = ADMIT_IDLE;
}

void admit_want_slot(struct admit *s, struct admit_ticket *t)
{
	admit_release(s, t);
	t->state = ADMIT_WANT_SLOT;
	TAILQ_INSERT_TAIL(&s->slots, t, link);
	s->st.want_slot++;
	kick(s);
}

int admit_want_conn(struct admit *s, struct admit_ticket *t, const struct sockaddr *sa)
{
	unsigned char key[17];
	struct admit_addr *a;

	admit_release(s, t);
	if (!addr_key(sa, key) || (a = addr_get(s, key)) == NULL)
		return MAILTLS_ENOMEM;
	t->state = ADMIT_WANT_CONN;
	t->addr = a;
	TAILQ_INSERT_TAIL(&a->line, t, link);
	s->st.want_conn++;
	addr_update(s, a);
	kick(s);
	return 0;
}

/* fd_retry - the pause after a refusal with no connection open is over: try one. */
static void fd_retry(evutil_socket_t fd, short what, void *arg)
{
	struct admit *s = arg;
	(void)fd;
	(void)what;

	s->lim.fd_budget = s->st.fd_budget = 1;
	kick(s);
}

bool admit_conn_refused(struct admit *s, struct admit_ticket *t)
{
	struct admit_addr *a = t->addr;
	const struct timeval retry = { 0, FD_RETRY_US };

	if (t->state != ADMIT_CONN)
		return false;
	s->st.fd_refused++;
	s->st.active--;
	s->st.conns--;
	a->open--;
	/* The system has fewer descriptors than the budget said: wait for one of ours to
	 * close. With none open there is none to wait for: a budget of 0 until a timer
	 * gives 1 back, since trying again at once would grant, fail and kick for ever in
	 * one pass of the loop, starving its timers and signals. */
	s->lim.fd_budget = s->st.conns;
	if (s->st.conns == 0)
		evtimer_add(s->ev_fd_retry, &retry);
	s->st.fd_budget = s->lim.fd_budget;
	t->state = ADMIT_WANT_CONN;
	TAILQ_INSERT_HEAD(&a->line, t, link);
	s->st.want_conn++;
	addr_update(s, a);
	kick(s);
	return s->st.conns > 0;
}

size_t admit_cancel_waiting(struct admit *s, void (*drop)(struct admit_ticket *t, void *arg),
			    void *arg)
{
	struct admit_ticket *t, *next_t;
	size_t n = 0;

	for (t = TAILQ_FIRST(&s->slots); t != NULL; t = next_t) {
		next_t = TAILQ_NEXT(t, link);
		if (t->kept)
			continue;
		admit_release(s, t);
		drop(t, arg);
		n++;
	}
	/* Tickets in an address's line have not connected yet either (their deadline is paused):
	 * left there, they would still run one per_address batch after another. Releasing the
	 * last one of a line may free its address (addr_update), so stop before touching it;
	 * while a ticket is left in the line the address lives. */
	for (size_t i = 0; i < ADDR_BUCKETS; i++) {
		struct admit_addr *a = s->buckets[i], *next;

		for (; a != NULL; a = next) {
			next = a->next;
			for (t = TAILQ_FIRST(&a->line); t != NULL; t = next_t) {
				next_t = TAILQ_NEXT(t, link);
				if (t->kept)
					continue;
				admit_release(s, t);
				drop(t, arg);
				n++;
			}
		}
	}
	return n;
}

/* rate_take - a token if one is there, after refilling; else arm the timer for the next. */
static bool rate_take(struct admit *s)
{
	struct timespec now;
	double cap, elapsed, wait;
	struct timeval tv;

	if (s->lim.rate <= 0)
		return true;
	cap = s->lim.rate >= 1 ? s->lim.rate : 1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	elapsed = (double)(now.tv_sec - s->refilled.tv_sec) +
		  (double)(now.tv_nsec - s->refilled.tv_nsec) / 1e9;
	s->refilled = now;
	s->tokens += elapsed * s->lim.rate;
	if (s->tokens > cap)
		s->tokens = cap;
	if (s->tokens >= 1) {
		s->tokens -= 1;
		return true;
	}
	if (!s->rate_armed) {
		wait = (1 - s->tokens) / s->lim.rate;
		tv.tv_sec = (time_t)wait;
		tv.tv_usec = (suseconds_t)((wait - (double)tv.tv_sec) * 1e6) + 1;
		evtimer_add(s->ev_rate, &tv);
		s->rate_armed = true;
	}
	return false;
}

static void grant(struct admit *s, struct admit_ticket *t)
{
	s->st.active++;
	if (s->st.active > s->st.peak_active)
		s->st.peak_active = s->st.active;
	t->go(t);
}

/* dispatch - make every grant the limits allow: waiting connections first, address by
 * address in turn, then new work slots. */
static void dispatch(evutil_socket_t fd, short what, void *arg)
{
	struct admit *s = arg;
	bool fd_blocked = false;
	(void)fd;

	if (what & EV_TIMEOUT && !event_pending(s->ev_rate, EV_TIMEOUT, NULL))
		s->rate_armed = false;
	while (s->st.active < s->lim.max_active) {
		struct admit_addr *a = TAILQ_FIRST(&s->ready);

		if (a != NULL && s->st.conns < s->lim.fd_budget && rate_take(s)) {
			struct admit_ticket *t = TAILQ_FIRST(&a->line);

			TAILQ_REMOVE(&a->line, t, link);
			s->st.want_conn--;
			t->state = ADMIT_CONN;
			a->open++;
			if (a->open > s->st.peak_per_address)
				s->st.peak_per_address = a->open;
			s->st.conns++;
			if (s->st.conns > s->st.peak_conns)
				s->st.peak_conns = s->st.conns;
			/* Round robin: the address goes to the back of the ready list. */
			TAILQ_REMOVE(&s->ready, a, ready_link);
			a->ready = false;
			addr_update(s, a);
			grant(s, t);
			continue;
		}
		if (a != NULL && s->st.conns >= s->lim.fd_budget && !fd_blocked) {
			fd_blocked = true;
			s->st.fd_waits++;
		}
		if (!TAILQ_EMPTY(&s->slots)) {
			struct admit_ticket *t = TAILQ_FIRST(&s->slots);

			TAILQ_REMOVE(&s->slots, t, link);
			s->st.want_slot--;
			t->state = ADMIT_SLOT;
			grant(s, t);
			continue;
		}
		break;
	}
}

void admit_stats(const struct admit *s, struct admit_stats *st)
{
	*st = s->st;
}
