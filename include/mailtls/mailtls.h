/*
 * mailtls/mailtls.h - the public surface of libmailtls: errors, version, and the modules.
 *
 * Errors: a function that "could not check" returns a negative MAILTLS_E* code and, where it
 * takes one, fills a caller-supplied `why` buffer with a one-line reason. "Checked and found a
 * problem" is not an error: it is a finding in a struct mailtls_result (see result.h).
 * The library never prints, never exits and never aborts on bad input.
 */
#ifndef MAILTLS_MAILTLS_H
#define MAILTLS_MAILTLS_H

#ifdef __cplusplus
extern "C" {
#endif

/* Append-only: never renumber or remove a code. */
enum mailtls_error {
	MAILTLS_OK = 0,
	MAILTLS_ENOMEM = -1,   /* out of memory */
	MAILTLS_EINVAL = -2,   /* invalid argument or input */
	MAILTLS_EFILE = -3,    /* a file could not be read */
	MAILTLS_ECERT = -4,    /* a certificate file could not be parsed */
	MAILTLS_ETLS = -5,     /* the TLS library could not be set up (trust store, context) */
	MAILTLS_EDNS = -6,     /* name resolution failed (could not check) */
	MAILTLS_EINTERNAL = -7,/* an event-loop or system call failed locally */
	MAILTLS_ETOOBIG = -8,  /* an input exceeded its size limit */
};

/* mailtls_strerror - a static string for an error code. */
const char *mailtls_strerror(int err);

/* mailtls_version - "0.1.0"; static string. */
const char *mailtls_version(void);

/* mailtls_escape - a display-safe copy of len bytes of s, as the reports show untrusted text:
 * control bytes, DEL, invalid UTF-8 and the C1, bidi and zero-width characters become \xHH;
 * a backslash stays as it is, so escaping twice changes nothing. The caller frees it; NULL
 * on ENOMEM. Every "why" the library returns is already display-safe. */
char *mailtls_escape(const char *s, size_t len);

/* mailtls_escape_inplace - the same for the NUL-terminated message in buf[size], in place:
 * cut to fit, never inside a UTF-8 sequence; without memory for a copy, every byte that
 * could be unsafe becomes '?'. */
void mailtls_escape_inplace(char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#include <mailtls/result.h>
#include <mailtls/names.h>
#include <mailtls/timeutil.h>
#include <mailtls/dane.h>
#include <mailtls/survey.h>
#include <mailtls/check.h>
#include <mailtls/engine.h>
#include <mailtls/cert.h>
#include <mailtls/domain.h>
#include <mailtls/rollover.h>
#include <mailtls/report.h>
#include <mailtls/profile.h>

#endif
