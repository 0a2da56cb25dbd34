/*
 * mailtls/cert.h - verify certificate files offline, as a strict client would verify the
 * same chain presented by a server.
 */
#ifndef MAILTLS_CERT_H
#define MAILTLS_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <mailtls/result.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mailtls_cert_params {
	const char *cert_file;        /* PEM: the leaf first; further certificates are the chain */
	const char *chain_file;       /* PEM: more chain certificates, or NULL */
	const char *const *names;     /* reference identities (at least one) */
	size_t n_names;
	const char *ca_file;          /* NULL with ca_path NULL: the system trust store */
	const char *ca_path;
	time_t at;                    /* validation time when have_at, else now */
	bool have_at;
	int warn_days;                /* <0: 21 */
};

/* mailtls_cert_check - verify the files. On 0, *out is a result (free with
 * mailtls_result_free()). On a negative code (unreadable or unparsable file, bad trust
 * store, invalid name) nothing is allocated and why holds a one-line reason. */
int mailtls_cert_check(const struct mailtls_cert_params *params, struct mailtls_result **out,
		       char *why, size_t whylen);

#ifdef __cplusplus
}
#endif
#endif
