/*
 * profile_tls.c - a sender profile as an OpenSSL client context (profile_tls.h).
 *
 * What it is: the profile's strings handed to OpenSSL as they are, in one place, and
 * OpenSSL's refusal turned into one line naming the profile and the string. What it is
 * not: no handshake, no SNI (per connection), no judgement of what the server picks.
 *
 * Decisions:
 * - Security level 0 first, then the cipher string: a string ending in "@SECLEVEL=N"
 *   (a sender whose OpenSSL runs at level N, as Debian's does at 2) sets that level, as it
 *   does in the sender's own OpenSSL. TLS 1.3 suites, groups and sigalgs do not change it.
 * - Versions: min and max from the lowest and highest bit; a version missing between them
 *   (TLSv1 and TLSv1.2 without TLSv1.1) is switched off with its SSL_OP_NO_* option.
 * - No cipher string when the profile offers only TLS 1.3 (none is given), and no TLS 1.3
 *   suites when it does not offer TLS 1.3: OpenSSL's defaults stay, and are never sent.
 * - OpenSSL accepts a cipher string as long as one suite of it exists; the names it does
 *   not know are dropped without a word (profiles/README.md says so): a cipher string is
 *   a language of keywords, and only OpenSSL can read it. A TLS 1.3 list is plain names:
 *   every one must be known (OpenSSL 3.0 would drop an unknown one silently when another
 *   is known, so the suites it kept are counted). Unknown groups and sigalgs are refused
 *   by OpenSSL itself.
 * - The same buffer and session settings as tls.c's context (the probe runs on the same
 *   connection code): no session cache, no tickets, no renegotiation.
 */
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include <mailtls/mailtls.h>
#include "profile_tls.h"

static const int proto_versions[4] = { TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION,
				       TLS1_3_VERSION };
static const unsigned long no_options[4] = { SSL_OP_NO_TLSv1, SSL_OP_NO_TLSv1_1,
					     SSL_OP_NO_TLSv1_2, SSL_OP_NO_TLSv1_3 };

/* rejects - "profile NAME: OpenSSL rejects WHAT 'VALUE'" into why; NULL after freeing ctx. */
static SSL_CTX *rejects(SSL_CTX *ctx, const struct mailtls_profile *p, const char *what,
			const char *value, char *why, size_t whylen)
{
	snprintf(why, whylen, "profile %s: OpenSSL rejects %s '%s'", p->name, what, value);
	mailtls_escape_inplace(why, whylen);
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}

/* count_names - the names of a colon-separated list (empty names not counted). */
static int count_names(const char *list)
{
	int n = 0;
	const char *s = list;

	while (*s != '\0') {
		size_t len = strcspn(s, ":");

		if (len > 0)
			n++;
		s += len;
		if (*s == ':')
			s++;
	}
	return n;
}

/* count_tls13 - the TLS 1.3 suites ctx has (OpenSSL 3.0 drops unknown names from a
 * ciphersuites list without a word when one of them is known: counting tells). */
static int count_tls13(SSL_CTX *ctx)
{
	STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(ctx);
	int n = 0;

	for (int i = 0; i < sk_SSL_CIPHER_num(sk); i++)
		if (strcmp(SSL_CIPHER_get_version(sk_SSL_CIPHER_value(sk, i)), "TLSv1.3") == 0)
			n++;
	return n;
}

SSL_CTX *profile_ssl_ctx(const struct mailtls_profile *p, char *why, size_t whylen)
{
	SSL_CTX *ctx;
	int lo = -1, hi = -1;

	for (int i = 0; i < 4; i++)
		if (p->versions & (1u << i)) {
			if (lo < 0)
				lo = i;
			hi = i;
		}
	if (lo < 0) {
		snprintf(why, whylen, "profile %s: no TLS version", p->name);
		mailtls_escape_inplace(why, whylen);
		return NULL;
	}
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		snprintf(why, whylen, "profile %s: cannot create a TLS context: %s", p->name,
			 ERR_reason_error_string(ERR_get_error()));
		mailtls_escape_inplace(why, whylen);
		return NULL;
	}
	SSL_CTX_set_security_level(ctx, 0);
	if (SSL_CTX_set_min_proto_version(ctx, proto_versions[lo]) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, proto_versions[hi]) != 1)
		return rejects(ctx, p, "versions from", mailtls_profile_version_name(1u << lo),
			       why, whylen);
	for (int i = lo + 1; i < hi; i++)
		if ((p->versions & (1u << i)) == 0)
			SSL_CTX_set_options(ctx, no_options[i]);
	if (p->ciphers != NULL && SSL_CTX_set_cipher_list(ctx, p->ciphers) != 1)
		return rejects(ctx, p, "ciphers", p->ciphers, why, whylen);
	if (p->ciphersuites != NULL && (SSL_CTX_set_ciphersuites(ctx, p->ciphersuites) != 1 ||
					count_tls13(ctx) != count_names(p->ciphersuites)))
		return rejects(ctx, p, "ciphersuites", p->ciphersuites, why, whylen);
	if (SSL_CTX_set1_groups_list(ctx, p->groups) != 1)
		return rejects(ctx, p, "groups", p->groups, why, whylen);
	if (p->sigalgs != NULL && SSL_CTX_set1_sigalgs_list(ctx, p->sigalgs) != 1)
		return rejects(ctx, p, "sigalgs", p->sigalgs, why, whylen);
	/* The chain is captured and judged after the handshake, never here. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
	return ctx;
}
