/*
 * tls.c - OpenSSL client context and handshake facts. See tls.h for what is deliberately
 * left to verify.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <sys/socket.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <mailtls/mailtls.h>
#include "tls.h"

SSL_CTX *tls_ctx_new(char *why, size_t whylen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		snprintf(why, whylen, "cannot create TLS context: %s",
			 ERR_reason_error_string(ERR_get_error()));
		return NULL;
	}
	/* The chain is judged after the handshake by verify.c (facts first, policy after). */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	/* RELEASE_BUFFERS: a session idle between lines (most of a check's life) holds no
	 * 16 KB record buffers: memory per check in flight stays small. */
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	/* Read what the socket has in one call, not a record header then its body: a third
	 * of the system calls of a check. (Bytes a server sends before the handshake are
	 * still ours to discard: TLS starts reading only after conn_start_tls().) */
	SSL_CTX_set_read_ahead(ctx, 1);
	/* One connection per check: no session cache, no tickets to keep. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
	/* RFC 8996: TLS 1.0 and 1.1 are refused, whatever the system's openssl.cnf says (in
	 * OpenSSL 3 they would otherwise fail later and vaguely, on their SHA-1 signatures). */
	/* DANE (danefacts.c): the shared state a check with TLSA records needs; a check
	 * without records is not affected. */
	if (SSL_CTX_dane_enable(ctx) <= 0) {
		snprintf(why, whylen, "cannot enable DANE on the TLS context");
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		snprintf(why, whylen, "cannot set the TLS 1.2 floor");
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * The socket BIO. OpenSSL's own writes with write(2), which raises SIGPIPE when the peer
 * has gone; a library must not change the process's signal disposition to survive that.
 * This one sends with MSG_NOSIGNAL and otherwise behaves as the socket BIO does: retry
 * flags on EAGAIN and EINTR, and the EOF flag that lets libssl tell a hang-up mid-record
 * (SSL_R_UNEXPECTED_EOF_WHILE_READING) from a wait.
 */
static BIO_METHOD *nosig_method;
static once_flag nosig_once = ONCE_FLAG_INIT;

static int fd_of(BIO *b)
{
	return (int)(intptr_t)BIO_get_data(b);
}

static bool retryable(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

static int nosig_write(BIO *b, const char *buf, int len)
{
	ssize_t n = send(fd_of(b), buf, (size_t)len, MSG_NOSIGNAL);

	BIO_clear_retry_flags(b);
	if (n < 0 && retryable())
		BIO_set_retry_write(b);
	return (int)n;
}

static int nosig_read(BIO *b, char *buf, int len)
{
	ssize_t n = recv(fd_of(b), buf, (size_t)len, 0);

	BIO_clear_retry_flags(b);
	if (n < 0 && retryable())
		BIO_set_retry_read(b);
	else if (n == 0)
		BIO_set_flags(b, BIO_FLAGS_IN_EOF);
	return (int)n;
}

static int nosig_puts(BIO *b, const char *s)
{
	return nosig_write(b, s, (int)strlen(s));
}

static long nosig_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)num;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
	case BIO_CTRL_DUP:
		return 1;
	case BIO_CTRL_EOF:
		return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0;
	case BIO_C_GET_FD:
		if (ptr != NULL)
			*(int *)ptr = fd_of(b);
		return fd_of(b);
	default:
		return 0;
	}
}

static int nosig_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static void nosig_method_make(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK |
				     BIO_TYPE_DESCRIPTOR, "mailtls socket");

	if (m == NULL)
		return;
	if (BIO_meth_set_write(m, nosig_write) != 1 || BIO_meth_set_read(m, nosig_read) != 1 ||
	    BIO_meth_set_puts(m, nosig_puts) != 1 || BIO_meth_set_ctrl(m, nosig_ctrl) != 1 ||
	    BIO_meth_set_create(m, nosig_create) != 1) {
		BIO_meth_free(m);
		return;
	}
	nosig_method = m;
}

int tls_attach_fd(SSL *ssl, int fd)
{
	BIO *b;

	call_once(&nosig_once, nosig_method_make);
	if (nosig_method == NULL || (b = BIO_new(nosig_method)) == NULL)
		return MAILTLS_ENOMEM;
	BIO_set_data(b, (void *)(intptr_t)fd);
	SSL_set_bio(ssl, b, b);   /* one BIO both ways: ssl owns it (one reference) */
	return 0;
}

/* info_cb - record the first alert sent and received (RFC 8446 6). */
static void info_cb(const SSL *ssl, int where, int ret)
{
	struct tls_alerts *a = SSL_get_app_data(ssl);

	if (a == NULL || !(where & SSL_CB_ALERT))
		return;
	if ((where & SSL_CB_READ) && a->received < 0)
		a->received = ret & 0xff;
	else if ((where & SSL_CB_WRITE) && a->sent < 0)
		a->sent = ret & 0xff;
}

SSL *tls_ssl_new(SSL_CTX *ctx, const char *sni, struct tls_alerts *alerts)
{
	SSL *ssl = SSL_new(ctx);

	if (ssl == NULL)
		return NULL;
	alerts->received = alerts->sent = -1;
	SSL_set_app_data(ssl, alerts);
	SSL_set_info_callback(ssl, info_cb);
	if (sni != NULL && SSL_set_tlsext_host_name(ssl, sni) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	/* RFC 6066 8: ask for a stapled OCSP response (ocspfacts.c reads it). Without a
	 * status callback OpenSSL only keeps what the server sends: a server that staples
	 * nothing, or garbage, cannot fail the handshake through it. Not asking is no
	 * reason to give the check up. */
	(void)SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp);
	return ssl;
}

/* alert_cause - what an alert from a mail server usually means, in plain words. */
static const char *alert_cause(int alert)
{
	switch (alert) {
	case 40: /* handshake_failure */
		return "no shared cipher? the server offers STARTTLS but has no certificate or "
		       "cipher it can use";
	case 70: /* protocol_version */
		return "no TLS version in common: the client offers TLS 1.2 and 1.3 only, so the "
		       "server speaks only TLS 1.1 or older, which RFC 8996 deprecates; enable "
		       "TLS 1.2 and 1.3";
	case 71: /* insufficient_security */
		return "the server requires stronger ciphers than offered";
	case 80: /* internal_error */
		return "the server failed internally (often an unreadable certificate or key)";
	case 112: /* unrecognized_name */
		return "the server has no certificate for the name sent in SNI";
	case 116: /* certificate_required */
		return "the server requires a client certificate";
	case 47: /* illegal_parameter */
	case 50: /* decode_error */
		return "the server rejected the client's hello as malformed";
	default:
		return NULL;
	}
}

/* alert_name - the RFC 8446 name ("handshake_failure"); OpenSSL's long names use spaces. */
static void alert_name(int alert, char *buf, size_t len)
{
	/* RFC 8446 6: alerts OpenSSL 3.0 has no name for. */
	static const struct { int code; const char *name; } tls13[] = {
		{ 109, "missing_extension" }, { 110, "unsupported_extension" },
		{ 115, "unknown_psk_identity" }, { 116, "certificate_required" },
		{ 120, "no_application_protocol" },
	};
	const char *n = SSL_alert_desc_string_long(alert);

	for (size_t i = 0; i < sizeof(tls13) / sizeof(tls13[0]); i++)
		if (tls13[i].code == alert)
			n = tls13[i].name;
	if (strcmp(n, "unknown") == 0) {
		snprintf(buf, len, "%d", alert);
		return;
	}
	snprintf(buf, len, "%s", n);
	for (char *p = buf; *p; p++)
		if (*p == ' ')
			*p = '_';
}

/* version_text - "TLSv1.1" for a protocol version number. */
static const char *version_text(int v)
{
	switch (v) {
	case TLS1_VERSION:
		return "TLSv1";
	case TLS1_1_VERSION:
		return "TLSv1.1";
	case TLS1_2_VERSION:
		return "TLSv1.2";
	case TLS1_3_VERSION:
		return "TLSv1.3";
	default:
		return "an old version";
	}
}

void tls_describe_failure(SSL *ssl, int ssl_error, const struct tls_alerts *alerts,
			  char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();

	if (alerts->received == 70 && ssl != NULL && SSL_get_min_proto_version(ssl) != 0 &&
	    SSL_get_min_proto_version(ssl) < TLS1_2_VERSION) {
		/* A survey probe or a sender profile that offers old versions: say what it
		 * offered (alert_cause() speaks of mailtls's own floor of TLS 1.2). */
		int lo = SSL_get_min_proto_version(ssl), hi = SSL_get_max_proto_version(ssl);

		snprintf(buf, len, "server sent alert protocol_version (no TLS version in common: "
			 "the client offers %s%s%s, which the server does not accept)",
			 version_text(lo), hi != lo ? " to " : " only", hi == lo ? "" :
			 hi == 0 ? "TLSv1.3" : version_text(hi));
	} else if (alerts->received >= 0) {
		const char *cause = alert_cause(alerts->received);
		char name[64];

		alert_name(alerts->received, name, sizeof(name));
		snprintf(buf, len, "server sent alert %s%s%s%s", name, cause ? " (" : "",
			 cause ? cause : "", cause ? ")" : "");
	} else if (ssl_error == SSL_ERROR_SYSCALL || ssl_error == SSL_ERROR_ZERO_RETURN) {
		snprintf(buf, len, "the server closed the connection during the handshake");
	} else if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL &&
		   (ERR_GET_REASON(e) == SSL_R_WRONG_VERSION_NUMBER ||
		    ERR_GET_REASON(e) == SSL_R_PACKET_LENGTH_TOO_LONG)) {
		/* Not a TLS record: plaintext where the handshake was expected. */
		snprintf(buf, len, "%s: the server sent plaintext instead of TLS (it did not start "
			 "TLS, or plaintext was injected after the STARTTLS reply)",
			 ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "not TLS");
	} else if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL &&
		   ERR_GET_REASON(e) == SSL_R_EXCESSIVE_MESSAGE_SIZE) {
		/* OpenSSL caps the Certificate message at max_cert_list (100 KiB by default),
		 * and every other handshake message at its own, smaller size; the header's
		 * length is checked as soon as the message type has moved the state machine on,
		 * so the state names the message. Senders built on OpenSSL fail alike. */
		if (ssl != NULL && SSL_get_state(ssl) == TLS_ST_CR_CERT)
			snprintf(buf, len, "the server's certificate chain is larger than the %ld "
				 "bytes OpenSSL-based clients accept by default (excessive message "
				 "size): serve a smaller certificate and only the intermediates it "
				 "needs", SSL_get_max_cert_list(ssl));
		else
			snprintf(buf, len, "the server sent a handshake message larger than "
				 "OpenSSL-based clients accept (excessive message size)");
	} else if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL &&
		   ERR_GET_REASON(e) == SSL_R_UNSUPPORTED_PROTOCOL) {
		/* The ServerHello chose a version below the client's floor of TLS 1.2. */
		snprintf(buf, len, "client sent alert protocol_version: the server chose %s, which "
			 "verifying clients refuse (RFC 8996 deprecates TLS 1.0 and 1.1): enable TLS "
			 "1.2 and 1.3", ssl != NULL && SSL_version(ssl) < TLS1_2_VERSION &&
			 SSL_version(ssl) >= SSL3_VERSION ? SSL_get_version(ssl) :
			 "a protocol older than TLS 1.2");
	} else if (e != 0) {
		const char *r = ERR_reason_error_string(e);

		if (alerts->sent >= 0)
		{
			char name[64];

			alert_name(alerts->sent, name, sizeof(name));
			snprintf(buf, len, "client sent alert %s: %s", name, r ? r : "TLS error");
		}
		else
			snprintf(buf, len, "%s", r ? r : "TLS error");
	} else {
		snprintf(buf, len, "TLS error %d", ssl_error);
	}
	ERR_clear_error();
}

int tls_capture(SSL *ssl, struct mailtls_session *s)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
	int nid = SSL_get_negotiated_group(ssl);
	const char *group = NULL;

	s->tls_version = strdup(SSL_get_version(ssl));
	s->cipher = strdup(c ? SSL_CIPHER_get_name(c) : "(none)");
	if (nid != 0 && nid != NID_undef) {
		group = SSL_group_to_name(ssl, nid);
		if (group == NULL)
			group = OBJ_nid2sn(nid & ~TLSEXT_nid_unknown);
	}
	s->group = group ? strdup(group) : NULL;
	if (s->tls_version == NULL || s->cipher == NULL || (group && s->group == NULL))
		return MAILTLS_ENOMEM;
	return 0;
}

size_t tls_stapled_ocsp(SSL *ssl, const unsigned char **der)
{
	unsigned char *p = NULL;
	long n = SSL_get_tlsext_status_ocsp_resp(ssl, &p);

	*der = n > 0 ? p : NULL;
	return n > 0 && p != NULL ? (size_t)n : 0;
}
