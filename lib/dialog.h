/*
 * dialog.h - one probe of one server address, and the shared machinery of the protocol
 * dialogues (SMTP/LMTP, IMAP, POP3): sending commands, the transcript, STARTTLS, the phase
 * names used in diagnoses, and the end of the dialogue.
 *
 * Each protocol supplies a small state machine (dialog_smtp.c, dialog_imap.c, dialog_pop3.c)
 * as a struct dialog_ops; only its enter_state function changes state. The probe owns its
 * connection; the engine owns the probe. Internal to libmailtls.
 */
#ifndef MAILTLS_DIALOG_H
#define MAILTLS_DIALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <mailtls/mailtls.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include "conn.h"
#include "reply.h"

#define DIALOG_TRANSCRIPT_MAX 65536   /* most transcript bytes kept */
#define DIALOG_NAMES_MAX 32           /* most reference names */
#define DIALOG_CAP_MAX 256            /* most raw bytes kept of one capability */
#define DIALOG_CAPS_MAX 256           /* most capabilities kept in one list; more are dropped */
#define DIALOG_QUIT_WAIT 2.0          /* seconds to wait for the reply to QUIT/LOGOUT */
#define DIALOG_WAIT_SHOWN 0.05        /* shortest wait for admission shown in the phase
                                       * times of a deadline diagnosis (seconds) */
#define DIALOG_INJECT_WAIT 0.5        /* --injection: seconds (at most the step timeout) to
                                       * listen after the STARTTLS handshake, before sending
                                       * anything inside TLS, for an answer to the command
                                       * sent with STARTTLS. A vulnerable server answers at
                                       * once (its input buffer already holds the command);
                                       * 0.5 s covers loopback and WAN round trips without
                                       * slowing a scan much */
#define DIALOG_INJECT_QUOTE 200       /* most raw bytes quoted of the line it got */
#define DIALOG_PHASES_MAX 24          /* phases timed for a deadline diagnosis; past that
                                       * the last slot is reused for the newest phase
                                       * (the time of those it replaced is not shown) */

struct probe;
struct danefacts_params;

struct dialog_ops {
	const char *name;
	void (*start)(struct probe *p);       /* connected (implicit TLS: handshake done) */
	void (*line)(struct probe *p, const char *line, size_t len);
	void (*tls_done)(struct probe *p);    /* STARTTLS handshake completed */
};

struct probe {
	struct event_base *base;
	SSL_CTX *ssl_ctx;                     /* borrowed from the engine */
	X509_STORE *store;                    /* borrowed from the engine */
	struct chaincache *cache;             /* borrowed from the engine */
	const struct dialog_ops *ops;
	struct conn *conn;
	struct mailtls_result *res;           /* owned until handed to done() */

	/* Parameters (copied, but for names). */
	enum mailtls_proto proto;
	double timeout;                       /* seconds per network step */
	double deadline;                      /* seconds for the whole check (for messages) */
	char ehlo_name[256];
	char *const *names;                   /* normalized reference names; borrowed from the
	                                       * engine's job, which outlives the probe */
	size_t n_names;
	const char *sni;                      /* the SNI asked for, or NULL; borrowed from
	                                       * the job */
	const struct danefacts_params *dane;  /* DANE records and names, or NULL; borrowed
	                                       * from the job */
	char ip[64];                          /* numeric address connected to */
	bool host_is_ip;
	time_t at;
	int warn_days;
	bool want_transcript;
	bool injection;                       /* --injection: probe STARTTLS command injection */
	bool ocsp_query;                      /* --ocsp: keep the chain for the responder */
	STACK_OF(X509) *ocsp_chain;           /* with ocsp_query: the chain as presented,
	                                       * referenced (the engine takes it after the
	                                       * dialogue: dialog_take_chain()); else NULL */

	/* Dialogue state. */
	int state;
	const char *phase;                    /* what we were waiting for, for diagnoses; set
	                                       * with dialog_phase() only */
	struct {
		const char *name;
		struct timespec at;
		bool waiting;                 /* a wait for admission, not a network step */
	} phases[DIALOG_PHASES_MAX];          /* when each phase began */
	size_t n_phases;
	bool implicit_tls;
	bool tls;                             /* TLS is up */
	bool quitting;                        /* QUIT/LOGOUT sent: a close is not a failure */
	struct reply reply;                   /* reply being assembled */
	size_t untagged;                      /* IMAP untagged lines since the last command */
	unsigned tagno;                       /* IMAP tag counter */
	char tag[16];                         /* IMAP tag in flight */
	char prefix[400];                     /* "host[addr]:port" for diagnoses */
	struct {
		bool sent;                    /* a second command went out with STARTTLS */
		bool waiting;                 /* TLS is up; listening before sending anything */
		bool plain_answer;            /* it was answered in plaintext, before TLS */
		char starttls[16];            /* "STARTTLS", "STLS": for messages */
		char verb[16];                /* "NOOP", "CAPA": for messages */
		char tag[16];                 /* IMAP: the second command's tag */
		size_t lines;                 /* lines received inside TLS while waiting */
		char *first;                  /* the first of them, escaped (owned) */
		bool restart;                 /* the timer, when it fires, starts the check
		                               * again without the probe (see inject_restart) */
		char why[200];                /* how that handshake ended */
		bool retried;                 /* the check runs again without the probe: the
		                               * verdict on injection waits for its handshake */
		bool client_read_plain;       /* that handshake failed on plaintext the server
		                               * sent (its answer to the second command), not
		                               * by the server ending it */
		struct event *ev;             /* the wait's timer (owned) */
	} inject;
	struct sockaddr_storage sa;           /* the address of probe_start(), for a new
	                                       * connection after the injection probe */
	socklen_t salen;
	size_t findings_at_start;             /* findings the result had then */
	/* A survey probe (surveyprobe.c): ssl_setup configures the SSL before the handshake
	 * (what it offers; nonzero refuses: the probe ends as could-not-check), and the
	 * dialogue ends as soon as the handshake is over: nothing is sent inside TLS, the
	 * chain is not judged. The SSL stays readable on the connection (conn_ssl()) until
	 * probe_free(). */
	bool handshake_only;
	int (*ssl_setup)(SSL *ssl, void *arg);
	void *ssl_setup_arg;
	char *transcript;
	size_t transcript_len;
	bool finished;
	struct timespec started;

	void (*done)(struct probe *p, void *arg);
	void *done_arg;
	struct event *ev_done;
};

extern const struct dialog_ops dialog_smtp_ops;
extern const struct dialog_ops dialog_imap_ops;
extern const struct dialog_ops dialog_pop3_ops;

/* dialog_ops_for - the state machine for a protocol. */
const struct dialog_ops *dialog_ops_for(enum mailtls_proto proto);

/* dialog_take_chain - the chain p kept for --ocsp (the caller frees it with
 * sk_X509_pop_free(c, X509_free)), or NULL; p keeps none after. */
STACK_OF(X509) *dialog_take_chain(struct probe *p);

/* probe_prepare - set the probe up (dialogue, done event) before anything runs; from then
 * on dialog_finish() may end it. 0 or MAILTLS_ENOMEM. */
int probe_prepare(struct probe *p);

/* probe_start - connect to sa and run the dialogue; done(p, arg) is called once from the
 * event loop when the probe ends (also on failure). 0, or an error before anything
 * started, with errno set (EMFILE, ENFILE: no descriptor; try again later). */
int probe_start(struct probe *p, const struct sockaddr *sa, socklen_t salen);

/* probe_free - free the probe, its connection and its result if still owned. */
void probe_free(struct probe *p);

/* Helpers for the protocol state machines. */

/* dialog_send - send one command line (CRLF appended), log "C: ...", arm the deadline. */
void dialog_send(struct probe *p, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* dialog_send_starttls - send line (the STARTTLS or STLS command, CRLF appended); with
 * --injection and extra (the second command: "NOOP", "A4 NOOP", "CAPA"; verb its command
 * word) both in ONE write, so that they reach the server in one TCP segment, and the
 * injection probe is armed. tag: the second command's IMAP tag, else NULL. */
void dialog_send_starttls(struct probe *p, const char *line, const char *extra,
			  const char *verb, const char *tag);

/* dialog_log_server - log one server line "S: ..." into the transcript (escaped). */
void dialog_log_server(struct probe *p, const char *line, size_t len);

/* dialog_note - log a note line ("--- TLS handshake ...") into the transcript. */
void dialog_note(struct probe *p, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* dialog_starttls - start the TLS handshake now (after a STARTTLS go-ahead or at once for
 * implicit TLS), with DANE set up when the check has records; reports bytes injected
 * before the handshake. SNI: the sni parameter, else the TLSA base, else the first
 * reference name. */
void dialog_starttls(struct probe *p);

/* dialog_tls_up - after a handshake: capture the session, verify the chain, add findings,
 * and read out what OpenSSL's DANE verification found (res->dane). */
void dialog_tls_up(struct probe *p);

/* dialog_finding - add a finding with the "host[addr]:port: " prefix. */
void dialog_finding(struct probe *p, enum mailtls_fid id, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

/* dialog_cleartext_auth - the server offers password login before TLS: finding id (an
 * auth.cleartext-offered id) saying that `offered` ("AUTH PLAIN LOGIN", escaped by the
 * caller) comes before `verb` ("STARTTLS", "STLS"). Only what is advertised: mailtls never
 * sends credentials. */
void dialog_cleartext_auth(struct probe *p, enum mailtls_fid id, const char *offered, const char *verb);

/* dialog_protocol_error - a reply broke the protocol: finding + end. */
void dialog_protocol_error(struct probe *p, enum reply_feed why, const char *line, size_t len);

/* dialog_quit - send the protocol's goodbye and end when the server answers or closes. */
void dialog_quit(struct probe *p, const char *cmd);

/* dialog_finish - end the probe now: stop the connection, compute the verdict, schedule done. */
void dialog_finish(struct probe *p);

/* dialog_phase - the probe now waits for `name` ("the reply to EHLO"); its start is timed. */
void dialog_phase(struct probe *p, const char *name);

/* dialog_wait - the probe now waits for admission (a connection slot, a descriptor): a
 * phase shown in a deadline diagnosis, but not counted in the deadline. */
void dialog_wait(struct probe *p);

/* dialog_cut - the whole check reached its deadline: a conn.deadline finding naming the
 * phase and the time each phase took, then the end. */
void dialog_cut(struct probe *p);

/* dialog_add_cap_lines - add lines first.. of reply r, escaped and capped, to list l
 * (SMTP EHLO keywords, POP3 CAPA lines). */
void dialog_add_cap_lines(const struct reply *r, size_t first, struct mailtls_strlist *l);

/* dialog_add_caps - add space-separated capabilities to the pre- or post-TLS list. */
void dialog_add_caps(struct probe *p, const char *list, size_t len);

#endif
