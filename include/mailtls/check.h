/*
 * mailtls/check.h - check one mail server: connect, run the protocol up to TLS, handshake,
 * verify, and return a result.
 *
 * The engine runs any number of checks at once on one libevent loop; mailtls_check_run() is
 * the one-shot convenience that makes an engine, runs one check and frees the engine.
 */
#ifndef MAILTLS_CHECK_H
#define MAILTLS_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <mailtls/result.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mailtls_check_params {
	enum mailtls_proto proto;
	const char *host;             /* name, IPv4 or IPv6 literal (no brackets) */
	unsigned port;                /* 0: the protocol's default */
	const char *const *names;     /* reference identities; NULL/0: host when it is a name */
	size_t n_names;
	const char *ehlo_name;        /* NULL: the local address as an address literal */
	double timeout;               /* seconds per phase; 0: 10 */
	const char *ca_file;          /* NULL with ca_path NULL: the system trust store */
	const char *ca_path;
	time_t at;                    /* validation time when have_at */
	bool have_at;
	int warn_days;                /* <0: 21 */
	bool transcript;              /* keep the dialogue in session.transcript */
	int family;                   /* 0, 4 or 6 */
	const char *resolver;         /* NULL: /etc/resolv.conf; else "ADDR[@PORT]" */
};

/* mailtls_default_port - the well-known port of a protocol. */
unsigned mailtls_default_port(enum mailtls_proto proto);

/* mailtls_proto_parse - "smtp", "submission", "smtps", "lmtp", "imap", "imaps", "pop3",
 * "pop3s" to the enum; MAILTLS_PROTO_NONE when unknown. */
enum mailtls_proto mailtls_proto_parse(const char *s);

/* mailtls_check_run - run one check to completion. On 0, *out holds a result the caller
 * frees with mailtls_result_free() (a server that could not be reached is a result with
 * findings, not an error). On a negative MAILTLS_E* code nothing is allocated and why
 * holds a one-line reason. */
int mailtls_check_run(const struct mailtls_check_params *params, struct mailtls_result **out,
		      char *why, size_t whylen);

#ifdef __cplusplus
}
#endif
#endif
