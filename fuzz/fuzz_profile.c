/*
 * fuzz_profile.c - the sender profile reader (mailtls/profile.h: mailtls_profile_parse();
 * lib/profile.c) and the TLS context a profile implies (profile_tls.h: profile_ssl_ctx()).
 *
 * Feeds: the whole input as a profile file, twice with the origin "fuzz" (no name check)
 * and once with "dir/t1.profile" (the name must be t1); a profile that reads is made into
 * an OpenSSL client context.
 * Asserts: 0, MAILTLS_EINVAL, MAILTLS_ETOOBIG (exactly when over MAILTLS_PROFILE_FILE_MAX
 * bytes) or MAILTLS_ENOMEM; on an error no profile and a why that starts with the origin
 * and is terminal-safe (fuzz_terminal_safe()); on success a name of 1 to 40 of [a-z0-9-]
 * (t1 with the .profile origin), a title of at most 120 bytes, 1 to 16 sources each
 * starting with http, versions a non-empty subset of the four, ciphers present exactly
 * when a version below TLS 1.3 is and ciphersuites exactly when TLS 1.3 is, the OpenSSL
 * strings only of their characters, no control byte but tab in any string, the enum in
 * range; both reads agree; profile_ssl_ctx() either makes a context or says why, naming
 * the profile.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <openssl/ssl.h>
#include <mailtls/mailtls.h>
#include <mailtls/profile.h>
#include "fuzz_common.h"
#include "profile_tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s)
{
	FUZZ_ASSERT(s != NULL);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		FUZZ_ASSERT((*p >= 0x20 || *p == '\t') && *p != 0x7f);
}

static void check_openssl(const char *s)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "0123456789_-+!@=.:";

	FUZZ_ASSERT(s[0] != '\0' && strspn(s, ok) == strlen(s));
}

static void check_profile(const struct mailtls_profile *p)
{
	size_t n = strlen(p->name);
	bool old = (p->versions & MAILTLS_PROFILE_TLS_BELOW_1_3) != 0;

	FUZZ_ASSERT(n >= 1 && n <= MAILTLS_PROFILE_NAME_MAX);
	FUZZ_ASSERT(strspn(p->name, "abcdefghijklmnopqrstuvwxyz0123456789-") == n);
	check_text(p->title);
	FUZZ_ASSERT(strlen(p->title) <= MAILTLS_PROFILE_TITLE_MAX);
	FUZZ_ASSERT(p->sources.n >= 1 && p->sources.n <= MAILTLS_PROFILE_SOURCES_MAX);
	for (size_t i = 0; i < p->sources.n; i++) {
		check_text(p->sources.v[i]);
		FUZZ_ASSERT(strncmp(p->sources.v[i], "http", 4) == 0);
	}
	FUZZ_ASSERT(p->versions != 0 && (p->versions & ~0xfu) == 0);
	FUZZ_ASSERT((p->ciphers != NULL) == old);
	FUZZ_ASSERT((p->ciphersuites != NULL) == ((p->versions & MAILTLS_PROFILE_TLS1_3) != 0));
	if (p->ciphers != NULL)
		check_openssl(p->ciphers);
	if (p->ciphersuites != NULL)
		check_openssl(p->ciphersuites);
	check_openssl(p->groups);
	if (p->sigalgs != NULL)
		check_openssl(p->sigalgs);
	if (p->note != NULL)
		check_text(p->note);
	FUZZ_ASSERT(p->on_handshake_failure <= MAILTLS_PROFILE_BOUNCE);
}

static void check_error(int rc, const struct mailtls_profile *p, const char *why,
			const char *origin, size_t size)
{
	FUZZ_ASSERT(rc == MAILTLS_EINVAL || rc == MAILTLS_ETOOBIG || rc == MAILTLS_ENOMEM);
	FUZZ_ASSERT((rc == MAILTLS_ETOOBIG) == (size > MAILTLS_PROFILE_FILE_MAX));
	FUZZ_ASSERT(p == NULL);
	FUZZ_ASSERT(strncmp(why, origin, strlen(origin)) == 0);
	fuzz_terminal_safe(why, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mailtls_profile *p = NULL, *q = NULL;
	char why[256], why2[256];
	int rc, rc2;

	rc = mailtls_profile_parse((const char *)data, size, "fuzz", &p, why, sizeof(why));
	rc2 = mailtls_profile_parse((const char *)data, size, "fuzz", &q, why2, sizeof(why2));
	FUZZ_ASSERT(rc == rc2 || rc == MAILTLS_ENOMEM || rc2 == MAILTLS_ENOMEM);
	if (rc == 0) {
		SSL_CTX *ctx;

		check_profile(p);
		if (rc2 == 0)
			FUZZ_ASSERT(strcmp(p->name, q->name) == 0 && p->versions == q->versions);
		why[0] = '\0';
		if ((ctx = profile_ssl_ctx(p, why, sizeof(why))) != NULL) {
			SSL_CTX_free(ctx);
		} else {
			FUZZ_ASSERT(strncmp(why, "profile ", 8) == 0);
			fuzz_terminal_safe(why, 0);
		}
	} else {
		check_error(rc, p, why, "fuzz", size);
		if (rc2 != MAILTLS_ENOMEM)
			FUZZ_ASSERT(strcmp(why, why2) == 0);
	}
	mailtls_profile_free(p);
	mailtls_profile_free(q);
	p = NULL;
	rc = mailtls_profile_parse((const char *)data, size, "dir/t1.profile", &p, why,
				   sizeof(why));
	if (rc == 0) {
		check_profile(p);
		FUZZ_ASSERT(strcmp(p->name, "t1") == 0);
	} else {
		check_error(rc, p, why, "dir/t1.profile", size);
	}
	mailtls_profile_free(p);
	return 0;
}
