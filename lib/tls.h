/*
 * tls.h - the TLS client side on OpenSSL 3: context, per-connection SSL with SNI, alert
 * capture, plain-words failure reasons, and capture of session facts.
 *
 * Verification does not stop the handshake: it accepts any chain so that the chain can be
 * captured and judged by verify.c (OpenSSL's own verification, which runs inside the
 * handshake all the same, is read only for DANE: danefacts.h), which reports every problem at once. Nothing
 * but protocol commands (EHLO, CAPABILITY, CAPA, QUIT, LOGOUT) is ever sent over the session,
 * so no credential or content can leak to an unverified server. Internal to libmailtls.
 */
#ifndef MAILTLS_TLS_H
#define MAILTLS_TLS_H

#include <stddef.h>
#include <openssl/ssl.h>
#include <mailtls/result.h>

/* Alerts seen on one connection; -1 when none. */
struct tls_alerts {
	int received;
	int sent;
};

/* tls_ctx_new - a client SSL_CTX with the system's default protocol floor and ciphers,
 * DANE enabled (SSL_CTX_dane_enable(); per connection only with records: danefacts.h).
 * Caller frees with SSL_CTX_free(). NULL with why filled on failure. */
SSL_CTX *tls_ctx_new(char *why, size_t whylen);

/* tls_ssl_new - an SSL for one connection; sni may be NULL (no SNI for IP literals).
 * Alerts are recorded in *alerts, which must outlive the SSL. Caller frees with SSL_free(). */
SSL *tls_ssl_new(SSL_CTX *ctx, const char *sni, struct tls_alerts *alerts);

/* tls_attach_fd - make fd the transport of ssl through a socket BIO that never raises
 * SIGPIPE (send with MSG_NOSIGNAL); the fd stays the caller's to close. 0 or ENOMEM. */
int tls_attach_fd(SSL *ssl, int fd);

/* tls_describe_failure - a one-line reason for a failed handshake: the alert and its likely
 * cause in plain words, or the local error, into buf. */
void tls_describe_failure(SSL *ssl, int ssl_error, const struct tls_alerts *alerts,
			  char *buf, size_t len);

/* tls_capture - copy version, cipher and group into s (strings owned by s). 0 or ENOMEM. */
int tls_capture(SSL *ssl, struct mailtls_session *s);

/* tls_stapled_ocsp - the OCSP response the server stapled (RFC 6066 8; in TLS 1.3 the
 * leaf's status_request extension), as DER: its length, and *der borrowed from ssl (valid
 * while ssl lives); 0 and *der NULL when the server stapled nothing. Not parsed here, and
 * not bounded: the caller caps what it parses (ocspfacts.h). */
size_t tls_stapled_ocsp(SSL *ssl, const unsigned char **der);

#endif
