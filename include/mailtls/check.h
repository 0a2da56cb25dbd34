/*
 * mailtls/check.h - check one mail server: connect, run the protocol up to TLS, handshake,
 * verify, and return a result.
 *
 * The engine (engine.h) runs any number of checks at once on one libevent loop;
 * mailtls_check_run() is the one-shot convenience that makes an engine, runs one check and
 * frees the engine. The parameters here are a check's own; the trust store, the resolver
 * and the limits are the engine's (struct mailtls_engine_params).
 */
#ifndef MAILTLS_CHECK_H
#define MAILTLS_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <mailtls/dane.h>
#include <mailtls/result.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MAILTLS_CHECK_PROFILES_MAX 32   /* sender profiles a check takes besides the
                                         * built-in ones */

struct mailtls_check_params {
	enum mailtls_proto proto;
	const char *host;             /* name, IPv4 or IPv6 literal (no brackets) */
	unsigned port;                /* 0: the protocol's default */
	const char *const *names;     /* reference identities; NULL/0: host when it is a name */
	size_t n_names;
	const char *ehlo_name;        /* NULL: the local address as an address literal */
	double timeout;               /* seconds per network step; 0: 10 */
	double deadline;              /* seconds for the whole check; 0: 3 x timeout */
	time_t at;                    /* validation time when have_at */
	bool have_at;
	int warn_days;                /* <0: 21 */
	bool transcript;              /* keep the dialogue in session.transcript */
	bool injection;               /* STARTTLS command-injection probe (CVE-2011-0411):
	                               * send a harmless second command (NOOP, CAPA) in the
	                               * same write as STARTTLS and report whether the server
	                               * answers it inside TLS (starttls.command-injection,
	                               * starttls.injection-tested). Off by default: it sends
	                               * one more command. No effect with implicit TLS. */
	bool survey;                  /* after the check, survey the address: versions,
	                               * suites and their order, groups, key types
	                               * (mailtls/survey.h; res->survey). Only when the check
	                               * reached a TLS handshake (STARTTLS accepted, or
	                               * implicit TLS); else res->survey says why not */
	/* Sender profiles (mailtls/profile.h): one handshake each, with that sender's own
	 * offer, after the check: with survey, or when the check's own handshake failed (to
	 * say which senders fail too), or when profiles are given here. The built-in profiles
	 * come first, then these (borrowed: they must outlive the check). no_profiles: none
	 * at all. The outcomes: res->survey->profiles. */
	const struct mailtls_profile *const *profiles;
	size_t n_profiles;            /* at most MAILTLS_CHECK_PROFILES_MAX */
	bool no_profiles;
	int family;                   /* 0, 4 or 6 */
	const char *addr;             /* connect to this IPv4 or IPv6 literal instead of
	                               * resolving host (the address must agree with family
	                               * when one is set); host stays the name reported in the
	                               * result and the default reference identity and SNI.
	                               * NULL: resolve host (or use it when it is a literal) */
	const char *sni;              /* server name to send; NULL: with tlsa_base that base,
	                               * else the first reference name (none for an address) */
	/* DANE (RFC 7672): the TLSA base domain (after secure CNAME expansion, RFC 7672
	 * 2.2.3) and its records. The base is a reference identity for DANE-TA besides the
	 * names above (the MX host name); DANE-EE ignores names and dates (RFC 7672 3.1.1).
	 * NULL/0: no DANE. Records need a base and a base needs records; at most
	 * MAILTLS_TLSA_MAX records (dane.h). What OpenSSL found: res->dane. */
	const char *tlsa_base;
	const struct mailtls_tlsa *tlsa;
	size_t n_tlsa;
	/* After the handshake, ask the OCSP responder the leaf names (AIA, http or https):
	 * one POST (RFC 6960 A.1), its host looked up with the engine's resolver, within what
	 * is left of the deadline; the answer verified as a staple is, into
	 * res->ocsp_responder, judged as ocsp.responder-* findings. Off by default: it sends
	 * the leaf's issuer and serial to a third party. */
	bool ocsp_query;
};

struct mailtls_engine_params;
struct mailtls_profile;

/* mailtls_default_port - the well-known port of a protocol. */
unsigned mailtls_default_port(enum mailtls_proto proto);

/* mailtls_proto_parse - "smtp", "submission", "smtps", "lmtp", "imap", "imaps", "pop3",
 * "pop3s" to the enum; MAILTLS_PROTO_NONE when unknown. */
enum mailtls_proto mailtls_proto_parse(const char *s);

/* mailtls_check_run - run one check to completion on an engine made with ep (NULL: the
 * defaults: system trust store, /etc/resolv.conf). On 0, *out holds a result the caller
 * frees with mailtls_result_free() (a server that could not be reached is a result with
 * findings, not an error). On a negative MAILTLS_E* code nothing is allocated and why
 * holds a one-line reason. */
int mailtls_check_run(const struct mailtls_engine_params *ep,
		      const struct mailtls_check_params *params, struct mailtls_result **out,
		      char *why, size_t whylen);

#ifdef __cplusplus
}
#endif
#endif
