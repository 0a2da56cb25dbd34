/*
 * mailtls/profile.h - sender profiles: what a real sending MTA offers in its TLS handshake
 * (versions, cipher suites, groups, signature algorithms) and what it does around it
 * (SNI, what becomes of the message when the handshake fails, name verification, DANE,
 * MTA-STS), read from a profile file (profiles/README.md has the format).
 *
 * A profile is a set of facts, each with its public source, never an opinion: the
 * verdict replays one handshake per profile and says what that sender would do. The
 * built-in profiles are the files of profiles/ compiled into the library; a user's own
 * is read with mailtls_profile_load() (`--profile FILE`).
 *
 * The readers are pure over bytes, strict (an unknown key, a repeated key, a missing
 * required key are errors) and bounded (MAILTLS_PROFILE_FILE_MAX bytes, lines of at most
 * MAILTLS_PROFILE_LINE_MAX bytes). On error they fill `why` with one display-safe line,
 * "ORIGIN:LINE: what is wrong" (or "ORIGIN: what is wrong" for the file as a whole).
 * Whether OpenSSL accepts the strings is checked when a probe's TLS context is made from
 * the profile, not here.
 */
#ifndef MAILTLS_PROFILE_H
#define MAILTLS_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <mailtls/result.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MAILTLS_PROFILE_FILE_MAX 16384   /* bytes of a profile file */
#define MAILTLS_PROFILE_LINE_MAX 1024    /* bytes of one line, without its newline */
#define MAILTLS_PROFILE_NAME_MAX 40      /* name: [a-z0-9-]{1,40} */
#define MAILTLS_PROFILE_TITLE_MAX 120    /* bytes of the title */
#define MAILTLS_PROFILE_SOURCES_MAX 16   /* source lines */

/* TLS versions a profile offers (struct mailtls_profile.versions is an OR of these). */
#define MAILTLS_PROFILE_TLS1_0 (1u << 0)
#define MAILTLS_PROFILE_TLS1_1 (1u << 1)
#define MAILTLS_PROFILE_TLS1_2 (1u << 2)
#define MAILTLS_PROFILE_TLS1_3 (1u << 3)
#define MAILTLS_PROFILE_TLS_BELOW_1_3 \
	(MAILTLS_PROFILE_TLS1_0 | MAILTLS_PROFILE_TLS1_1 | MAILTLS_PROFILE_TLS1_2)

/* What the sender does with the message when the server offers STARTTLS and the
 * handshake then fails, under its default (opportunistic) policy. */
enum mailtls_profile_failure {
	MAILTLS_PROFILE_PLAINTEXT = 0,  /* delivers it without TLS (at once or on a retry) */
	MAILTLS_PROFILE_DEFER,          /* keeps it queued and retries (a bounce only when
	                                 * the queue lifetime runs out) */
	MAILTLS_PROFILE_BOUNCE,         /* returns it to the sender at once */
};

/* One parsed profile. Every string is owned by the struct; free the whole with
 * mailtls_profile_free(). The strings are the file's text (UTF-8, no control bytes). */
struct mailtls_profile {
	char *name;                   /* [a-z0-9-]{1,40}, the file's base name */
	char *title;                  /* one line for people */
	struct mailtls_strlist sources; /* "URL what it supports", in file order, >= 1 */
	unsigned versions;            /* MAILTLS_PROFILE_TLS1_* bits, never 0 */
	char *ciphers;                /* OpenSSL cipher string for TLS <= 1.2; NULL exactly
	                               * when no version below 1.3 is offered */
	char *ciphersuites;           /* OpenSSL TLS 1.3 suites, colon-separated; NULL exactly
	                               * when TLS 1.3 is not offered */
	char *groups;                 /* OpenSSL group list, colon-separated */
	char *sigalgs;                /* OpenSSL sigalgs list, or NULL: the library default */
	bool sni;                     /* sends SNI */
	enum mailtls_profile_failure on_handshake_failure;
	bool verifies_names;          /* refuses a certificate without the MX name, by default */
	bool dane;                    /* applies DANE (RFC 7672) by default */
	bool mta_sts;                 /* applies MTA-STS (RFC 8461) */
	char *note;                   /* or NULL */
};

/* mailtls_profile_parse - read the len bytes of text (no NUL needed, none allowed) as a
 * profile. origin names the text in messages (a path, "builtin", ...; NULL: "profile");
 * when it ends in ".profile", the name key must equal its base name without that
 * suffix. On success 0 and
 * *out (the caller frees it with mailtls_profile_free()); otherwise MAILTLS_EINVAL (bad
 * content), MAILTLS_ETOOBIG (over MAILTLS_PROFILE_FILE_MAX bytes) or MAILTLS_ENOMEM, *out
 * NULL and why filled. */
int mailtls_profile_parse(const char *text, size_t len, const char *origin,
			  struct mailtls_profile **out, char *why, size_t whylen);

/* mailtls_profile_load - read the file at path (at most MAILTLS_PROFILE_FILE_MAX bytes are
 * read; a longer file is MAILTLS_ETOOBIG) and parse it with path as its origin. The same
 * results as mailtls_profile_parse(), and MAILTLS_EFILE when the file cannot be read. */
int mailtls_profile_load(const char *path, struct mailtls_profile **out, char *why,
			 size_t whylen);

/* mailtls_profile_free - free p and everything it owns; NULL is a no-op. */
void mailtls_profile_free(struct mailtls_profile *p);

/* mailtls_profiles_builtin - the built-in profiles (profiles/NAME.profile, compiled into the
 * library), in name order, parsed on the first call (thread-safe). *out points to an array
 * of that many profiles owned by the library for the life of the process: never free
 * them. Returns the count; 0 with *out NULL and why filled if they could not be parsed
 * (out of memory; a built-in that does not parse fails the unit tests). */
size_t mailtls_profiles_builtin(const struct mailtls_profile *const **out, char *why,
				size_t whylen);

/* mailtls_profile_failure_name - "plaintext", "defer", "bounce" (the file's words);
 * static string, "?" for another value. */
const char *mailtls_profile_failure_name(enum mailtls_profile_failure f);

/* mailtls_profile_failure_text - what the sender does, as words that follow "the sender"
 * ("then delivers in plaintext", "defers the mail (and bounces it when its queue lifetime
 * runs out)", "bounces the mail"); static string, "?" for another value. */
const char *mailtls_profile_failure_text(enum mailtls_profile_failure f);

/* mailtls_profile_version_name - "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3" for one
 * MAILTLS_PROFILE_TLS1_* bit (OpenSSL's and the file's spelling); static string, "?" for
 * anything else. */
const char *mailtls_profile_version_name(unsigned bit);

#ifdef __cplusplus
}
#endif

#endif
