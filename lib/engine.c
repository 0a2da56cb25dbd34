/*
 * engine.c - the public engine (mailtls/engine.h): tasks on one libevent loop, admitted by
 * the scheduler (admit.h), counted while they live (engine_task.h); and the one task kind
 * there is so far, a check ("job"), with its whole-check deadline.
 *
 * A job's life: QUEUED (parameters only, a few hundred bytes) -> a work slot -> RESOLVING
 * (a name: the address lookup; an address literal: nothing to do) -> waiting for a
 * connection (address slot, descriptor, rate; holding no slot, deadline paused) -> PROBING
 * (the dialogue, dialog.c) -> DONE: the result goes to the owner from a deferred event and
 * the job is freed at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <event2/event.h>
#include <mailtls/mailtls.h>
#include "danefacts.h"
#include "dialog.h"
#include "dns.h"
#include "escape.h"
#include "proto.h"
#include "admit.h"
#include "engine_task.h"
#include "fetch.h"
#include "chaincache.h"
#include "certpolicy.h"
#include "ocspquery.h"
#include "tls.h"
#include "surveyrun.h"
#include "timeval.h"
#include "surveypolicy.h"
#include "verify.h"

#define FD_RESERVE 16          /* descriptors left for the caller (output, logs) */

enum job_state {
	JOB_QUEUED,            /* waiting for a work slot */
	JOB_RESOLVING,         /* looking the host up */
	JOB_WAITING,           /* waiting for a connection (deadline paused) */
	JOB_WAITING_FD,        /* the system refused a socket and none of ours is open to give
	                        * one back: waiting, with the deadline running */
	JOB_PROBING,           /* connected: the dialogue */
};

struct watch {                 /* a signal or a periodic tick asked for by the caller */
	struct event *ev;
	void (*sig_cb)(int signo, void *arg);
	void (*tick_cb)(void *arg);
	void *arg;
	struct watch *next;
};

/* A check: the task kind this file runs (engine_task.h). */
struct job {
	struct engine_task task;               /* first: the engine's view of it (task.e is
	                                        * the engine) */
	enum job_state state;

	/* Parameters, copied at submission. */
	enum mailtls_proto proto;
	char *host;
	unsigned port;
	char **names;                          /* normalized */
	size_t n_names;
	char *ehlo;
	double timeout;
	double deadline;
	time_t at;
	int warn_days;
	bool transcript;
	bool injection;                        /* the STARTTLS command-injection probe */
	bool survey;                           /* survey the address after the check */
	bool no_profiles;
	const struct mailtls_profile **profiles; /* built-in, then the caller's (borrowed);
	                                        * the array is owned */
	size_t n_profiles;
	size_t n_extra_profiles;               /* of them the caller's */
	bool ocsp_query;                       /* --ocsp: ask the leaf's responder after */
	struct ocsp_query *oq;                 /* that question, while it runs */
	int family;
	bool host_is_ip;
	bool have_addr;                        /* the caller gave the address (addr) */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char *sni;                             /* normalized, or NULL */
	char *tlsa_base;                       /* normalized, or NULL: no DANE */
	struct mailtls_tlsa *tlsa;             /* the records, data copied (owned) */
	size_t n_tlsa;
	struct danefacts_params dane;          /* pointing at the above; the probe borrows it */

	/* Work. */
	struct mailtls_result *res;            /* made at submission, so that even a job that
	                                        * runs out of memory later has one to hand over */
	struct probe *p;                       /* from the work slot on; owns res then */
	struct dns_lookup *dq;
	struct surveyrun *sr;                  /* the survey after the check, holding no
	                                        * grant; j->res is then the check's result */
	struct event *ev_dns;                  /* the address lookup's timeout */
	struct event *ev_timer;                /* the whole-check deadline */
	double left;                           /* seconds of the deadline not yet used */
	struct timespec armed_at;              /* when the deadline timer was last armed */

	mailtls_check_done_fn *done;
	void *arg;
};

LIST_HEAD(task_list, engine_task);

/* The engine's resolver, set up when a task first needs it (a scan of IP addresses needs
 * none). Behind a pointer so that engine_dns() can set it up through a const engine. */
struct engine_resolver {
	struct dns_ctx *d;
	char why[256];                         /* why d could not be made */
};

struct mailtls_engine {
	struct event_base *base;
	SSL_CTX *ssl_ctx;
	X509_STORE *store;
	struct chaincache *cache;              /* chain facts seen before, for every check */
	struct engine_resolver *dns;           /* made at once, its resolver on first use */
	struct fetch_ctx *fetch;               /* the HTTPS client, made on first use */
	char *ca_file;                         /* the trust anchors, for the HTTPS client */
	char *ca_path;
	char *resolver;
	char *trust_anchor;
	struct admit *admit;
	struct task_list tasks;                /* every task not yet over, of every kind */
	size_t pending;                        /* their number */
	size_t done_count;
	size_t fd_budget;
	size_t per_address;
	bool stop;                             /* mailtls_engine_break() was called */
	struct watch *watches;
};

static double elapsed_s(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) + (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

/* open_fds - how many descriptors the process has open: the entries of /proc/self/fd
 * (one directory read), or where there is no /proc a probe of the first 1024 (the
 * reserve covers the rest). */
static long open_fds(size_t limit)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	long n = 0;

	if (d != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				n++;
		closedir(d);
		return n > 0 ? n - 1 : 0;   /* less the directory's own descriptor */
	}
	for (int fd = 0; fd < 1024 && (size_t)fd < limit; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return n;
}

/* fd_budget - descriptors for connections: the soft RLIMIT_NOFILE raised to the hard one,
 * less what is open now, the resolver's ports and a reserve for the caller. */
static size_t fd_budget(unsigned asked)
{
	struct rlimit rl;
	long open_now = 0;
	size_t limit = 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			struct rlimit raised = { rl.rlim_max, rl.rlim_max };

			if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
				rl = raised;
		}
		limit = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1u << 20 ?
			1u << 20 : (size_t)rl.rlim_cur;
	}
	open_now = open_fds(limit);
	size_t used = (size_t)open_now + FD_RESERVE + DNS_FD_RANGE;
	size_t budget = limit > used + 1 ? limit - used : 1;

	if (asked > 0 && asked < budget)
		budget = asked;
	return budget;
}

/* ---- Jobs ---- */

static void deadline_pause(struct job *j)
{
	if (evtimer_pending(j->ev_timer, NULL)) {
		j->left -= elapsed_s(&j->armed_at);
		evtimer_del(j->ev_timer);
	}
}

static void deadline_resume(struct job *j)
{
	struct timeval tv = timeval_of(j->left);

	if (evtimer_pending(j->ev_timer, NULL))
		return;   /* it never stopped */
	clock_gettime(CLOCK_MONOTONIC, &j->armed_at);
	evtimer_add(j->ev_timer, &tv);
}

static void job_free(struct job *j)
{
	if (j == NULL)
		return;
	dns_cancel(j->dq);
	ocspquery_cancel(j->oq);
	if (j->ev_timer)
		event_free(j->ev_timer);
	if (j->ev_dns)
		event_free(j->ev_dns);
	probe_free(j->p);
	surveyrun_free(j->sr);
	free(j->profiles);
	mailtls_result_free(j->res);
	free(j->host);
	for (size_t i = 0; i < j->n_names; i++)
		free(j->names[i]);
	free(j->names);
	free(j->ehlo);
	free(j->sni);
	free(j->tlsa_base);
	for (size_t i = 0; i < j->n_tlsa; i++)
		free((void *)j->tlsa[i].data);
	free(j->tlsa);
	free(j);
}

/* handover - the job is over: give its result to the owner (we are in the loop) and free
 * everything else at once. */
static void handover(struct job *j, struct mailtls_result *res)
{
	struct mailtls_engine *e = j->task.e;
	mailtls_check_done_fn *done = j->done;
	void *arg = j->arg;

	deadline_pause(j);
	if (j->ev_dns)
		evtimer_del(j->ev_dns);
	res->session.elapsed_ms = (j->deadline - j->left) * 1e3;
	engine_task_end(&j->task);
	e->done_count++;
	job_free(j);
	done(res, arg);
}

static void on_survey_done(struct mailtls_survey *facts, void *arg)
{
	struct job *j = arg;
	struct mailtls_result *res = j->res;

	j->res = NULL;
	res->survey = facts;
	surveypolicy_findings(res);
	handover(j, res);
}

/* not_run - the survey that was asked for was not made: why, in the result. */
static void not_run(struct job *j, struct mailtls_result *res, const char *why)
{
	if (j->survey && (res->survey = calloc(1, sizeof(*res->survey))) != NULL)
		res->survey->not_run = strdup(why);
	surveypolicy_findings(res);
	handover(j, res);
}

/* with_builtin_profiles - j->profiles becomes the built-in profiles, then the caller's.
 * The built-in ones are sending MTAs: they are tried on SMTP (port 25) only, not on
 * submission, LMTP, IMAP or POP3, whose clients they do not describe. 0, or -1 with why
 * filled. */
static int with_builtin_profiles(struct job *j, char *why, size_t whylen)
{
	const struct mailtls_profile *const *builtin = NULL;
	const struct mailtls_profile **all;
	size_t nb = j->proto == MAILTLS_PROTO_SMTP ?
		    mailtls_profiles_builtin(&builtin, why, whylen) : 0;

	if (nb == 0 && j->n_extra_profiles == 0)
		return -1;
	if ((all = calloc(nb + j->n_profiles + 1, sizeof(*all))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < nb; i++)
		all[i] = builtin[i];
	for (size_t i = 0; i < j->n_profiles; i++)
		all[nb + i] = j->profiles[i];
	free(j->profiles);
	j->profiles = all;
	j->n_profiles += nb;
	return 0;
}

/* after_check - the check is over: with --survey, or sender profiles to try (asked for,
 * or the check's own handshake failed: which senders fail too?), run the survey on the
 * address the check used, holding no grant (its probes ask for their own), then hand
 * over. */
static void after_check(struct job *j, struct mailtls_result *res)
{
	struct mailtls_engine *e = j->task.e;
	struct survey_target t;
	const struct mailtls_session *s = &res->session;
	bool reached = res->checked && s->addr != NULL && (s->starttls_accepted || s->implicit_tls);
	bool failed = reached && (!s->tls_established ||
				  mailtls_result_has(res, MAILTLS_F_TLS_HANDSHAKE_FAILED));
	bool profiles = !j->no_profiles && (j->n_extra_profiles > 0 ||
					    (j->proto == MAILTLS_PROTO_SMTP && (j->survey || failed)));
	char why[300];

	if (!j->survey && !(profiles && reached)) {
		handover(j, res);
		return;
	}
	if (!reached) {
		not_run(j, res, !res->checked ? "the check could not be made" :
			s->addr == NULL ? "no address was reached" :
			s->starttls_offered ? "the server refused STARTTLS" :
			"the server does not offer STARTTLS");
		return;
	}
	memset(&t, 0, sizeof(t));
	memcpy(&t.sa, &j->addr, j->addrlen);
	t.salen = j->addrlen;
	t.proto = j->proto;
	t.timeout = j->timeout;
	snprintf(t.sni, sizeof(t.sni), "%s", j->sni ? j->sni : j->tlsa_base ? j->tlsa_base :
		 j->n_names > 0 ? j->names[0] : "");
	snprintf(t.ehlo, sizeof(t.ehlo), "%s", j->ehlo ? j->ehlo : "");
	snprintf(t.ip, sizeof(t.ip), "%s", s->addr);
	snprintf(t.prefix, sizeof(t.prefix), "%s", j->p->prefix);
	if (profiles && with_builtin_profiles(j, why, sizeof(why)) != 0) {
		not_run(j, res, why);
		return;
	}
	admit_release(e->admit, &j->task.ticket);
	deadline_pause(j);
	j->res = res;
	if (surveyrun_start(e, &t, e->per_address, !j->survey,
			    profiles ? (const struct mailtls_profile *const *)j->profiles : NULL,
			    profiles ? j->n_profiles : 0, on_survey_done, j, &j->sr,
			    why, sizeof(why)) != 0) {
		j->res = NULL;
		if ((res->survey = calloc(1, sizeof(*res->survey))) != NULL)
			res->survey->not_run = strdup(why);
		surveypolicy_findings(res);
		handover(j, res);
	}
}

/* on_ocsp_done - the leaf's responder answered (or did not): judged, then on as any check
 * goes after its dialogue (after_check: the survey or sender profiles, or handed over). */
static void on_ocsp_done(void *arg)
{
	struct job *j = arg;
	struct mailtls_result *res = j->res;

	j->oq = NULL;
	j->res = NULL;
	if (certpolicy_ocsp_responder(&res->ocsp_responder, j->at, res) != 0) {
		res->checked = false;
		free(res->unknown_reason);
		res->unknown_reason = strdup("out of memory");
	}
	after_check(j, res);
}

/* ask_responder - --ocsp, once the dialogue is over (its connection closed): the deadline
 * paused, the connection grant given back, the leaf's responder asked within what is left
 * of the deadline (at most one step's timeout); on_ocsp_done() goes on. The probe stays
 * (the survey reads its prefix); its result is the job's meanwhile. */
static void ask_responder(struct job *j, STACK_OF(X509) *chain)
{
	struct mailtls_engine *e = j->task.e;
	double secs;
	int r;

	deadline_pause(j);
	admit_release(e->admit, &j->task.ticket);
	/* Its fetch is a part of it now (kept): freeing the engine abandons the check first,
	 * which cancels the query whole, even for a check that is a domain's part. */
	j->task.ticket.kept = false;
	j->res = j->p->res;
	j->p->res = NULL;
	secs = j->left < j->timeout ? j->left : j->timeout;
	r = ocspquery_start(e, &(struct ocspquery_params){
				.presented = chain, .store = e->store, .at = j->at,
				.timeout_ms = secs > 0 ? (unsigned)(secs * 1e3) : 0,
				.family = j->family },
			    &j->res->ocsp_responder, on_ocsp_done, j, &j->oq);
	sk_X509_pop_free(chain, X509_free);
	if (r == 0)
		return;
	if (r < 0) {
		j->res->ocsp_responder.query = MAILTLS_OCSP_QUERY_FAILED;
		free(j->res->ocsp_responder.why);
		j->res->ocsp_responder.why = strdup("out of memory");
	}
	on_ocsp_done(j);
}

static void on_probe_done(struct probe *p, void *arg)
{
	struct job *j = arg;
	STACK_OF(X509) *chain = dialog_take_chain(p);
	struct mailtls_result *res;

	if (chain != NULL) {
		ask_responder(j, chain);
		return;
	}
	res = j->p->res;
	j->p->res = NULL;
	after_check(j, res);
}

/* finish_now - end a job that has no connection (lookup failed, cut while resolving,
 * could not start): its result as it stands. */
static void finish_now(struct job *j)
{
	dialog_finish(j->p);   /* verdict; the probe's done event calls on_probe_done */
}

static void set_prefix(struct job *j, const char *addr)
{
	struct probe *p = j->p;

	if (addr == NULL)
		snprintf(p->prefix, sizeof(p->prefix), "%s:%u", j->host, j->port);
	else if (j->host_is_ip)
		snprintf(p->prefix, sizeof(p->prefix),
			 j->addr.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr, j->port);
	else
		snprintf(p->prefix, sizeof(p->prefix), "%s[%s]:%u", j->host, addr, j->port);
}

/* start_probe - the connection was granted: connect and run the dialogue. */
static void start_probe(struct job *j)
{
	struct probe *p = j->p;
	char addr[INET6_ADDRSTRLEN] = "";

	j->state = JOB_PROBING;
	deadline_resume(j);
	if (j->addr.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&j->addr)->sin_addr, addr, sizeof(addr));
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&j->addr)->sin6_addr, addr, sizeof(addr));
	if (p->ip[0] == '\0') {   /* the first try (a refused socket brings us back) */
		snprintf(p->ip, sizeof(p->ip), "%s", addr);
		set_prefix(j, addr);
		if ((p->res->session.addr = strdup(addr)) == NULL ||
		    (p->n_names == 0 && p->host_is_ip &&
		     mailtls_strlist_add(&p->res->reference_names, addr, sizeof(addr)) != 0)) {
			p->res->checked = false;
			p->res->unknown_reason = strdup("out of memory");
			finish_now(j);
			return;
		}
	}
	if (probe_start(p, (struct sockaddr *)&j->addr, j->addrlen) == 0)
		return;
	int err = errno;

	if (err == EMFILE || err == ENFILE) {
		/* The budget was wrong: wait for a descriptor, never fail for lack of one
		 * while other connections are open to give one back. */
		if (admit_conn_refused(j->task.e->admit, &j->task.ticket)) {
			dialog_wait(p);
			deadline_pause(j);
			j->state = JOB_WAITING;
		} else {
			dialog_phase(p, "a free file descriptor");
			j->state = JOB_WAITING_FD;
		}
		return;
	}
	char why[160];

	snprintf(why, sizeof(why), "cannot start the connection: %s", strerror(err));
	p->res->checked = false;
	p->res->unknown_reason = strdup(why);
	finish_now(j);
}

/* want_connection - the address is known: wait for a connection to it (the work slot is
 * given back and the deadline paused while waiting). */
static void want_connection(struct job *j)
{
	deadline_pause(j);
	j->state = JOB_WAITING;
	dialog_wait(j->p);
	if (admit_want_conn(j->task.e->admit, &j->task.ticket, (struct sockaddr *)&j->addr) != 0) {
		j->p->res->checked = false;
		j->p->res->unknown_reason = strdup("out of memory");
		finish_now(j);
	}
}

static void on_addrs(const struct dns_addrs *r, void *arg)
{
	struct job *j = arg;
	size_t pick = 0;

	j->dq = NULL;
	evtimer_del(j->ev_dns);
	if (r->n == 0) {
		set_prefix(j, NULL);
		mailtls_result_add(j->p->res, MAILTLS_F_CONN_RESOLVE_FAILED,
				   "%s: %s does not resolve: %s", j->p->prefix, j->host,
				   r->why[0] ? r->why : "no address");
		j->p->res->checked = false;
		j->p->res->unknown_reason = strdup("the host name could not be resolved");
		finish_now(j);
		return;
	}
	/* Deterministic choice: IPv4 before IPv6 unless -6 was given. */
	for (size_t i = 0; i < r->n; i++)
		if (r->addr[i].ss_family == (j->family == 6 ? AF_INET6 : AF_INET)) {
			pick = i;
			break;
		}
	memcpy(&j->addr, &r->addr[pick], r->len[pick]);
	j->addrlen = r->len[pick];
	want_connection(j);
}

static void on_dns_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	char why[128];
	(void)fd;
	(void)what;

	snprintf(why, sizeof(why), "no answer from the resolver within %gs", j->timeout);
	dns_deadline(j->dq, why);   /* calls on_addrs() with whatever arrived */
}

/* start_work - a work slot was granted: make the probe, then resolve the host. */
static void start_work(struct job *j)
{
	struct mailtls_engine *e = j->task.e;
	struct probe *p = calloc(1, sizeof(*p));
	struct mailtls_result *res = j->res;

	if (p == NULL) {
		j->res = NULL;
		res->checked = false;
		res->unknown_reason = strdup("out of memory");
		handover(j, res);
		return;
	}
	j->state = JOB_RESOLVING;
	j->p = p;
	j->res = NULL;
	p->res = res;
	p->base = e->base;
	p->ssl_ctx = e->ssl_ctx;
	p->store = e->store;
	p->cache = e->cache;
	p->proto = j->proto;
	p->timeout = j->timeout;
	p->at = j->at;
	p->warn_days = j->warn_days;
	p->want_transcript = j->transcript;
	p->injection = j->injection;
	p->ocsp_query = j->ocsp_query;
	p->names = j->names;
	p->n_names = j->n_names;
	p->host_is_ip = j->host_is_ip;
	p->sni = j->sni;
	j->dane.store = e->store;   /* anchors for PKIX-TA/PKIX-EE records */
	p->dane = j->tlsa_base != NULL ? &j->dane : NULL;
	p->deadline = j->deadline;
	p->done = on_probe_done;
	p->done_arg = j;
	snprintf(p->ehlo_name, sizeof(p->ehlo_name), "%s", j->ehlo ? j->ehlo : "");
	clock_gettime(CLOCK_MONOTONIC, &p->started);
	res->have_session = true;
	res->session.proto = j->proto;
	res->session.port = j->port;
	res->validation_time = j->at;
	set_prefix(j, NULL);
	if ((res->session.host = strdup(j->host)) == NULL)
		goto nomem;
	for (size_t i = 0; i < j->n_names; i++)
		if (mailtls_strlist_add(&res->reference_names, j->names[i], MAILTLS_NAME_MAX) != 0)
			goto nomem;
	if (p->dane != NULL && danefacts_init(p->dane, &res->dane) != 0)
		goto nomem;
	if (probe_prepare(p) != 0)
		goto nomem;
	j->left = j->deadline;
	deadline_resume(j);
	if (j->host_is_ip || j->have_addr) {
		want_connection(j);
		return;
	}
	if (engine_dns(e) == NULL) {
		res->checked = false;
		res->unknown_reason = strdup(engine_dns_why(e));
		finish_now(j);
		return;
	}
	dialog_phase(p, "the address lookup");
	if (dns_lookup_addrs(e->dns->d, j->host, j->port, j->family, on_addrs, j, &j->dq) != 0) {
		res->checked = false;
		res->unknown_reason = strdup("cannot start the DNS lookup");
		finish_now(j);
		return;
	}
	struct timeval tv = timeval_of(j->timeout);

	evtimer_add(j->ev_dns, &tv);
	return;
nomem:
	res->checked = false;
	free(res->unknown_reason);
	res->unknown_reason = strdup("out of memory");
	if (p->ev_done == NULL) {   /* no event to finish from: hand over now (in the loop) */
		j->p = NULL;
		p->res = NULL;
		probe_free(p);
		handover(j, res);
		return;
	}
	finish_now(j);
}

/* check_granted - the scheduler let the check go on: a work slot to start, then a
 * connection to connect. */
static void check_granted(struct engine_task *t)
{
	struct job *j = (struct job *)t;

	if (t->ticket.state == ADMIT_SLOT)
		start_work(j);
	else
		start_probe(j);
}

static void check_dropped(struct engine_task *t, void (*forget)(void *arg))
{
	struct job *j = (struct job *)t;
	void *owner_arg = j->arg;

	engine_task_end(t);
	job_free(j);
	if (forget != NULL)
		forget(owner_arg);
}

static void check_abandon(struct engine_task *t)
{
	job_free((struct job *)t);
}

static const struct engine_task_ops check_ops = {
	.kind = "check",
	.granted = check_granted,
	.dropped = check_dropped,
	.abandon = check_abandon,
};

/* ---- Tasks (engine_task.h) ---- */

static void task_granted(struct admit_ticket *ticket)
{
	struct engine_task *t = engine_task_of(ticket);

	t->ops->granted(t);
}

void engine_task_add(struct mailtls_engine *e, struct engine_task *t,
		     const struct engine_task_ops *ops)
{
	t->ops = ops;
	t->e = e;
	t->ticket.go = task_granted;
	LIST_INSERT_HEAD(&e->tasks, t, link);
	e->pending++;
	admit_want_slot(e->admit, &t->ticket);   /* granted later, from the loop */
}

void engine_task_end(struct engine_task *t)
{
	admit_release(t->e->admit, &t->ticket);
	LIST_REMOVE(t, link);
	t->e->pending--;
}

struct engine_task *engine_task_of(struct admit_ticket *ticket)
{
	return (struct engine_task *)((char *)ticket - offsetof(struct engine_task, ticket));
}

struct event_base *engine_base(const struct mailtls_engine *e)
{
	return e->base;
}

size_t engine_per_address(const struct mailtls_engine *e)
{
	return e->per_address;
}

struct admit *engine_admit(const struct mailtls_engine *e)
{
	return e->admit;
}

struct dns_ctx *engine_dns(const struct mailtls_engine *e)
{
	struct engine_resolver *r = e->dns;

	if (r->d == NULL)
		r->d = dns_ctx_new(e->base, e->resolver, e->trust_anchor, r->why, sizeof(r->why));
	return r->d;
}

const char *engine_dns_why(const struct mailtls_engine *e)
{
	return e->dns->d == NULL ? e->dns->why : "";
}

struct fetch_ctx *engine_fetch_ctx(struct mailtls_engine *e, char *why, size_t whylen)
{
	if (e->fetch == NULL)
		e->fetch = fetch_ctx_new(e->base, e->ca_file, e->ca_path, why, whylen);
	return e->fetch;
}

/* on_deadline - the whole check took too long: cut it where it is. */
static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	(void)fd;
	(void)what;

	j->left = 0;
	if (j->state == JOB_WAITING_FD) {
		char why[160];

		admit_release(j->task.e->admit, &j->task.ticket);
		snprintf(why, sizeof(why), "no file descriptor became free within the deadline of "
			 "%gs: the process's open-file limit is spent", j->deadline);
		j->p->res->checked = false;
		j->p->res->unknown_reason = strdup(why);
		finish_now(j);
		return;
	}
	if (j->state == JOB_RESOLVING && j->dq != NULL) {
		dns_cancel(j->dq);
		j->dq = NULL;
		evtimer_del(j->ev_dns);
	}
	dialog_cut(j->p);   /* finding, then the probe's done event */
}

/* ---- The public API ---- */

struct mailtls_engine *mailtls_engine_new(const struct mailtls_engine_params *ep,
					  char *why, size_t whylen)
{
	struct mailtls_engine *e = calloc(1, sizeof(*e));
	struct admit_limits lim;

	if (e == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	LIST_INIT(&e->tasks);
	e->base = event_base_new();
	if (e->base == NULL) {
		snprintf(why, whylen, "cannot create the event loop");
		goto fail;
	}
	e->ssl_ctx = tls_ctx_new(why, whylen);
	if (e->ssl_ctx == NULL)
		goto fail;
	e->store = verify_store_new(ep->ca_file, ep->ca_path, why, whylen);
	if (e->store == NULL)
		goto fail;
	if ((e->cache = chaincache_new()) == NULL ||
	    (e->dns = calloc(1, sizeof(*e->dns))) == NULL ||
	    (ep->ca_file != NULL && (e->ca_file = strdup(ep->ca_file)) == NULL) ||
	    (ep->ca_path != NULL && (e->ca_path = strdup(ep->ca_path)) == NULL) ||
	    (ep->resolver != NULL && (e->resolver = strdup(ep->resolver)) == NULL) ||
	    (ep->trust_anchor != NULL && (e->trust_anchor = strdup(ep->trust_anchor)) == NULL)) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	e->fd_budget = fd_budget(ep->max_fds);
	lim.max_active = ep->max_in_flight ? ep->max_in_flight : MAILTLS_ENGINE_IN_FLIGHT_DEFAULT;
	lim.per_address = ep->per_address ? ep->per_address : MAILTLS_ENGINE_PER_ADDRESS_DEFAULT;
	e->per_address = lim.per_address;
	lim.rate = ep->rate > 0 ? ep->rate : 0;
	lim.fd_budget = e->fd_budget;
	if ((e->admit = admit_new(e->base, &lim)) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	return e;
fail:
	mailtls_escape_inplace(why, whylen);
	mailtls_engine_free(e);
	return NULL;
}

/* first_task - the first task of e whose ticket is kept (or not), or NULL. */
static struct engine_task *first_task(struct mailtls_engine *e, bool kept)
{
	struct engine_task *t;

	LIST_FOREACH(t, &e->tasks, link)
		if (t->ticket.kept == kept)
			return t;
	return NULL;
}

void mailtls_engine_free(struct mailtls_engine *e)
{
	if (e == NULL)
		return;
	/* Tasks not yet over are abandoned: no callbacks, everything freed. Owners first (a
	 * domain), then the work that is part of another's (kept: its checks, its fetch): an
	 * owner may cancel its parts as it goes (a fetch), and must find them whole. */
	for (int kept = 0; kept <= 1; kept++) {
		struct engine_task *t;

		while ((t = first_task(e, kept == 1)) != NULL) {
			LIST_REMOVE(t, link);
			t->ops->abandon(t);
		}
	}
	/* The HTTPS client after its fetches (their transfers are out of it now), before the
	 * loop its events are on. */
	fetch_ctx_free(e->fetch);
	while (e->watches != NULL) {
		struct watch *w = e->watches;

		e->watches = w->next;
		event_free(w->ev);
		free(w);
	}
	admit_free(e->admit);
	if (e->dns != NULL)
		dns_ctx_free(e->dns->d);
	free(e->dns);
	SSL_CTX_free(e->ssl_ctx);
	chaincache_free(e->cache);
	X509_STORE_free(e->store);
	if (e->base)
		event_base_free(e->base);
	free(e->ca_file);
	free(e->ca_path);
	free(e->resolver);
	free(e->trust_anchor);
	free(e);
}

/* parse_ip - an IPv4 or IPv6 literal into ss; false when host is a name. */
static bool parse_ip(const char *host, unsigned port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return true;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return true;
	}
	return false;
}

/* bad_param - "NAME VALUE: what is wrong", the value escaped; MAILTLS_EINVAL. */
static int bad_param(char *why, size_t whylen, const char *name, const char *value,
		     const char *what)
{
	char *esc = value ? escape_text(value, strnlen(value, 300)) : NULL;

	snprintf(why, whylen, "%s%s%s: %s", name, esc && esc[0] ? " " : "", esc ? esc : "", what);
	free(esc);
	return MAILTLS_EINVAL;
}

/* copy_name - a DNS name parameter, normalized, into *out (owned). 0, MAILTLS_EINVAL or
 * MAILTLS_ENOMEM, why filled. */
static int copy_name(char **out, const char *what, const char *name, char *why, size_t whylen)
{
	char norm[MAILTLS_NAME_MAX + 1];

	if (mailtls_name_normalize(name, norm, sizeof(norm)) != 0)
		return bad_param(why, whylen, what, name, "not a valid DNS name");
	if ((*out = strdup(norm)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return MAILTLS_ENOMEM;
	}
	return 0;
}

/* job_new - validate cp and copy it into a new job; NULL with why filled. */
static struct job *job_new(const struct mailtls_check_params *cp, int *err, char *why,
			   size_t whylen)
{
	struct job *j = NULL;
	const struct proto_info *pi = proto_info(cp->proto);

	*err = MAILTLS_EINVAL;
	if (cp->host == NULL || cp->host[0] == '\0' || strlen(cp->host) > MAILTLS_NAME_MAX) {
		bad_param(why, whylen, "host", cp->host, "no valid host given");
		return NULL;
	}
	if (pi == NULL) {
		snprintf(why, whylen, "proto: no protocol given");
		return NULL;
	}
	if (cp->n_names > DIALOG_NAMES_MAX) {
		snprintf(why, whylen, "names: too many names (at most %d)", DIALOG_NAMES_MAX);
		return NULL;
	}
	if (cp->n_names > 0 && cp->names == NULL) {
		snprintf(why, whylen, "names: n_names is %zu but names is NULL", cp->n_names);
		return NULL;
	}
	if (cp->ehlo_name != NULL && !mailtls_ehlo_name_valid(cp->ehlo_name)) {
		bad_param(why, whylen, "ehlo_name", cp->ehlo_name, "not a valid EHLO name (a "
			  "domain or an address literal such as [192.0.2.1])");
		return NULL;
	}
	if (!(cp->timeout >= 0 && cp->timeout <= 3600) || !(cp->deadline >= 0 && cp->deadline <= 86400)) {
		snprintf(why, whylen, "timeout, deadline: out of range");
		return NULL;
	}
	if (cp->family != 0 && cp->family != 4 && cp->family != 6) {
		snprintf(why, whylen, "family: %d is not 0, 4 or 6", cp->family);
		return NULL;
	}
	if ((cp->n_tlsa > 0) != (cp->tlsa_base != NULL)) {
		snprintf(why, whylen, cp->n_tlsa > 0 ? "tlsa: records need a tlsa_base" :
			 "tlsa_base: no TLSA records given (n_tlsa is 0)");
		return NULL;
	}
	if (cp->n_tlsa > MAILTLS_TLSA_MAX || (cp->n_tlsa > 0 && cp->tlsa == NULL)) {
		snprintf(why, whylen, cp->n_tlsa > MAILTLS_TLSA_MAX ?
			 "tlsa: too many records: %zu (at most %d)" :
			 "tlsa: n_tlsa is %zu but tlsa is NULL", cp->n_tlsa, MAILTLS_TLSA_MAX);
		return NULL;
	}
	for (size_t i = 0; i < cp->n_tlsa; i++) {
		const struct mailtls_tlsa *t = &cp->tlsa[i];

		if (t->usage > 3 || t->selector > 1 || t->mtype > 2 ||
		    t->len > MAILTLS_TLSA_DATA_MAX || (t->len > 0 && t->data == NULL)) {
			snprintf(why, whylen, "tlsa: record %zu (%u %u %u, %zu bytes): usage must be "
				 "0-3, selector 0-1, mtype 0-2, data at most %d bytes and not NULL",
				 i + 1, t->usage, t->selector, t->mtype, t->len,
				 MAILTLS_TLSA_DATA_MAX);
			return NULL;
		}
	}
	*err = MAILTLS_ENOMEM;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		goto nomem;
	j->proto = cp->proto;
	j->port = cp->port ? cp->port : pi->port;
	j->timeout = cp->timeout > 0 ? cp->timeout : 10;
	j->deadline = cp->deadline > 0 ? cp->deadline : 3 * j->timeout;
	j->left = j->deadline;
	j->at = cp->have_at ? cp->at : time(NULL);
	j->warn_days = cp->warn_days < 0 ? 21 : cp->warn_days;
	j->transcript = cp->transcript;
	j->injection = cp->injection;
	j->survey = cp->survey;
	j->no_profiles = cp->no_profiles;
	if (cp->n_profiles > MAILTLS_CHECK_PROFILES_MAX) {
		snprintf(why, whylen, "profiles: more than %d sender profiles", MAILTLS_CHECK_PROFILES_MAX);
		*err = MAILTLS_EINVAL;
		goto fail;
	}
	/* The caller's profiles now (borrowed pointers); the built-in ones are put before
	 * them only if a handshake is made with them (after_check). */
	if (!j->no_profiles && cp->n_profiles > 0) {
		if ((j->profiles = calloc(cp->n_profiles, sizeof(*j->profiles))) == NULL)
			goto nomem;
		for (size_t i = 0; i < cp->n_profiles; i++)
			if (cp->profiles[i] != NULL)
				j->profiles[j->n_profiles++] = cp->profiles[i];
		j->n_extra_profiles = j->n_profiles;
	}
	j->ocsp_query = cp->ocsp_query;
	j->family = cp->family;
	j->host_is_ip = parse_ip(cp->host, j->port, &j->addr, &j->addrlen);
	if (j->host_is_ip && cp->family != 0 &&
	    (j->addr.ss_family == AF_INET6) != (cp->family == 6)) {
		snprintf(why, whylen, "host %s is an IPv%d address, but family %d was asked for",
			 cp->host, j->addr.ss_family == AF_INET6 ? 6 : 4, cp->family);
		*err = MAILTLS_EINVAL;
		goto fail;
	}
	if (cp->addr != NULL) {
		struct sockaddr_storage ss;
		socklen_t len;

		if (!parse_ip(cp->addr, j->port, &ss, &len)) {
			*err = bad_param(why, whylen, "addr", cp->addr,
					 "not an IPv4 or IPv6 address");
			goto fail;
		}
		if (cp->family != 0 && (ss.ss_family == AF_INET6) != (cp->family == 6)) {
			*err = bad_param(why, whylen, "addr", cp->addr, cp->family == 6 ?
					 "an IPv4 address, but family 6 was asked for" :
					 "an IPv6 address, but family 4 was asked for");
			goto fail;
		}
		j->addr = ss;
		j->addrlen = len;
		j->have_addr = true;
	}
	if (cp->sni != NULL && (*err = copy_name(&j->sni, "sni", cp->sni, why, whylen)) != 0)
		goto fail;
	if (cp->tlsa_base != NULL &&
	    (*err = copy_name(&j->tlsa_base, "tlsa_base", cp->tlsa_base, why, whylen)) != 0)
		goto fail;
	*err = MAILTLS_ENOMEM;
	if (cp->n_tlsa > 0 && (j->tlsa = calloc(cp->n_tlsa, sizeof(*j->tlsa))) == NULL)
		goto nomem;
	for (size_t i = 0; i < cp->n_tlsa; i++) {
		unsigned char *d = malloc(cp->tlsa[i].len ? cp->tlsa[i].len : 1);

		if (d == NULL)
			goto nomem;
		if (cp->tlsa[i].len > 0)
			memcpy(d, cp->tlsa[i].data, cp->tlsa[i].len);
		j->tlsa[i] = cp->tlsa[i];
		j->tlsa[i].data = d;
		j->n_tlsa++;
	}
	if ((j->host = strdup(cp->host)) == NULL ||
	    (cp->ehlo_name != NULL && (j->ehlo = strdup(cp->ehlo_name)) == NULL) ||
	    (j->names = calloc(cp->n_names ? cp->n_names : 1, sizeof(*j->names))) == NULL)
		goto nomem;
	for (size_t i = 0; i < cp->n_names; i++) {
		char norm[MAILTLS_NAME_MAX + 1];

		if (mailtls_name_normalize(cp->names[i], norm, sizeof(norm)) != 0) {
			*err = bad_param(why, whylen, "names", cp->names[i], "not a valid DNS name");
			goto fail;
		}
		if ((j->names[i] = strdup(norm)) == NULL)
			goto nomem;
		j->n_names++;
	}
	if (j->n_names == 0 && !j->host_is_ip) {
		char norm[MAILTLS_NAME_MAX + 1];

		if (mailtls_name_normalize(cp->host, norm, sizeof(norm)) != 0) {
			*err = bad_param(why, whylen, "host", cp->host, "not a valid host name");
			goto fail;
		}
		if ((j->names[0] = strdup(norm)) == NULL)
			goto nomem;
		j->n_names = 1;
	}
	j->dane = (struct danefacts_params){
		.base = j->tlsa_base,
		.names = (const char *const *)j->names,
		.n_names = j->n_names,
		.tlsa = j->tlsa,
		.n_tlsa = j->n_tlsa,
		.at = j->at,
	};
	return j;
nomem:
	snprintf(why, whylen, "out of memory");
	*err = MAILTLS_ENOMEM;
fail:
	job_free(j);
	return NULL;
}

/* submit - mailtls_engine_submit(); a kept check is part of a task already at work and
 * outlives mailtls_engine_stop_queue() (its ticket is never cancelled). */
static int submit(struct mailtls_engine *e, const struct mailtls_check_params *cp,
		  mailtls_check_done_fn *done, void *arg, bool kept, char *why, size_t whylen)
{
	int err;
	struct job *j;

	if (done == NULL) {
		snprintf(why, whylen, "done: no callback given");
		return MAILTLS_EINVAL;
	}
	j = job_new(cp, &err, why, whylen);
	if (j == NULL) {
		mailtls_escape_inplace(why, whylen);
		return err;
	}
	j->done = done;
	j->arg = arg;
	j->ev_timer = evtimer_new(e->base, on_deadline, j);
	j->ev_dns = evtimer_new(e->base, on_dns_timeout, j);
	j->res = mailtls_result_new();
	if (j->ev_timer == NULL || j->ev_dns == NULL || j->res == NULL) {
		job_free(j);
		snprintf(why, whylen, "out of memory");
		return MAILTLS_ENOMEM;
	}
	j->state = JOB_QUEUED;
	j->task.ticket.kept = kept;
	engine_task_add(e, &j->task, &check_ops);
	return 0;
}

int mailtls_engine_submit(struct mailtls_engine *e, const struct mailtls_check_params *cp,
			  mailtls_check_done_fn *done, void *arg, char *why, size_t whylen)
{
	return submit(e, cp, done, arg, false, why, whylen);
}

int engine_submit_part(struct mailtls_engine *e, const struct mailtls_check_params *cp,
		       mailtls_check_done_fn *done, void *arg, char *why, size_t whylen)
{
	return submit(e, cp, done, arg, true, why, whylen);
}

int mailtls_engine_run(struct mailtls_engine *e)
{
	/* Bounded: every job at work has a deadline and every waiting job waits for one at
	 * work (or for the rate timer), so the loop ends when they do. */
	e->stop = false;
	while (e->pending > 0 && !e->stop)
		if (event_base_loop(e->base, EVLOOP_ONCE) != 0)
			return MAILTLS_EINTERNAL;
	return 0;
}

void mailtls_engine_break(struct mailtls_engine *e)
{
	e->stop = true;
}

size_t mailtls_engine_pending(const struct mailtls_engine *e)
{
	return e->pending;
}

struct owner_hook {
	void (*forget)(void *arg);
};

/* drop_waiting - a ticket taken out of its queue by the scheduler: its task is dropped. */
static void drop_waiting(struct admit_ticket *ticket, void *arg)
{
	struct engine_task *t = engine_task_of(ticket);
	const struct owner_hook *hook = arg;

	t->ops->dropped(t, hook->forget);
}

size_t mailtls_engine_stop_queue(struct mailtls_engine *e, void (*forget)(void *arg))
{
	struct owner_hook hook = { forget };

	return admit_cancel_waiting(e->admit, drop_waiting, &hook);
}

static void on_watch(evutil_socket_t fd, short what, void *arg)
{
	struct watch *w = arg;
	(void)what;

	if (w->sig_cb != NULL)
		w->sig_cb((int)fd, w->arg);
	else
		w->tick_cb(w->arg);
}

static int add_watch(struct mailtls_engine *e, int signo, double secs,
		     void (*sig_cb)(int, void *), void (*tick_cb)(void *), void *arg)
{
	struct watch *w = calloc(1, sizeof(*w));
	struct timeval tv = timeval_of(secs);

	if (w == NULL)
		return MAILTLS_ENOMEM;
	w->sig_cb = sig_cb;
	w->tick_cb = tick_cb;
	w->arg = arg;
	w->ev = sig_cb != NULL ? evsignal_new(e->base, signo, on_watch, w) :
		event_new(e->base, -1, EV_PERSIST, on_watch, w);
	if (w->ev == NULL || event_add(w->ev, sig_cb != NULL ? NULL : &tv) != 0) {
		if (w->ev)
			event_free(w->ev);
		free(w);
		return MAILTLS_EINTERNAL;
	}
	w->next = e->watches;
	e->watches = w;
	return 0;
}

int mailtls_engine_on_signal(struct mailtls_engine *e, int signo,
			     void (*cb)(int signo, void *arg), void *arg)
{
	return cb == NULL ? MAILTLS_EINVAL : add_watch(e, signo, 0, cb, NULL, arg);
}

int mailtls_engine_every(struct mailtls_engine *e, double secs, void (*cb)(void *arg), void *arg)
{
	return cb == NULL || !(secs > 0) ? MAILTLS_EINVAL : add_watch(e, -1, secs, NULL, cb, arg);
}

void mailtls_engine_stats(const struct mailtls_engine *e, struct mailtls_engine_stats *st)
{
	struct admit_stats s;

	admit_stats(e->admit, &s);
	memset(st, 0, sizeof(*st));
	st->queued = s.want_slot;
	st->waiting = s.want_conn;
	st->in_flight = s.active;
	st->connections = s.conns;
	st->peak_in_flight = s.peak_active;
	st->peak_connections = s.peak_conns;
	st->peak_per_address = s.peak_per_address;
	st->fd_budget = s.fd_budget;
	st->fd_waits = s.fd_waits;
	st->fd_refused = s.fd_refused;
	st->done = e->done_count;
	chaincache_stats(e->cache, &st->chains_remembered, &st->chains_validated);
}
