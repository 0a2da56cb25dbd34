/*
 * profile_tls.h - the client TLS context a sender profile implies (profile.h): a probe
 * made with it offers what that sender offers, and nothing of mailtls's own choices.
 *
 * It is for probes that record facts (which version and suite a server picks for this
 * sender, or which alert it sends), never to carry mail: it starts at OpenSSL security
 * level 0 so that TLS 1.0 and old suites can be offered at all (a profile whose sender
 * runs at a higher level says so in its cipher string, "@SECLEVEL=2", as OpenSSL allows),
 * verifies nothing (SSL_VERIFY_NONE: the chain is captured and judged elsewhere, as with
 * tls.h) and keeps no session (no cache, no tickets). Internal to libmailtls.
 */
#ifndef MAILTLS_PROFILE_TLS_H
#define MAILTLS_PROFILE_TLS_H

#include <stddef.h>
#include <openssl/ssl.h>
#include <mailtls/profile.h>

/* profile_ssl_ctx - a new client SSL_CTX offering exactly p's versions (the range from
 * the lowest to the highest, a version missing inside it switched off with SSL_OP_NO_*),
 * cipher string (TLS <= 1.2), TLS 1.3 suites, groups and, when given, signature
 * algorithms. SNI is per connection (p->sni): the caller sets it on each SSL. The caller
 * frees the context with SSL_CTX_free(). NULL with why filled ("profile NAME: OpenSSL
 * rejects groups 'X25519:foo'") when OpenSSL refuses a string (a cipher string none of
 * whose suites exists, an unknown TLS 1.3 suite, group or signature algorithm) or cannot
 * make a context. */
SSL_CTX *profile_ssl_ctx(const struct mailtls_profile *p, char *why, size_t whylen);

#endif
