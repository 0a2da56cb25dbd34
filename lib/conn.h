/*
 * conn.h - one non-blocking client connection on libevent: TCP connect, line reading with a
 * hard line limit, writing, an optional TLS layer started in the middle (STARTTLS) or at once
 * (implicit TLS), and one deadline per phase.
 *
 * The owner supplies a handler; callbacks run from the event loop. A callback may call
 * conn_send(), conn_start_tls(), conn_set_timeout() or conn_stop(), but must not free the
 * connection: free it later, outside its callbacks (e.g. from a deferred event).
 * After fail() or conn_stop() no further callback is made. Internal to libmailtls.
 */
#ifndef MAILTLS_CONN_H
#define MAILTLS_CONN_H

#include <stddef.h>
#include <sys/socket.h>
#include <event2/event.h>
#include <openssl/ssl.h>
#include "reply.h"
#include "tls.h"

#define CONN_INBUF_MAX (REPLY_LINE_MAX + 2)  /* one whole line, CRLF included, must fit */

enum conn_fail {
	CONN_FAIL_REFUSED,       /* ECONNREFUSED */
	CONN_FAIL_TIMEOUT,       /* the phase deadline passed */
	CONN_FAIL_CLOSED,        /* orderly close by the peer */
	CONN_FAIL_ERROR,         /* other socket error; detail has strerror */
	CONN_FAIL_LINE_TOO_LONG, /* a line exceeded REPLY_LINE_MAX */
	CONN_FAIL_TLS,           /* the handshake failed; detail says why */
};

struct conn_handler {
	void (*connected)(void *arg);
	void (*line)(void *arg, const char *line, size_t len);  /* CR LF removed */
	void (*tls_done)(void *arg);
	void (*fail)(void *arg, enum conn_fail why, const char *detail);
};

struct conn;

/* conn_new - a connection object; NULL on ENOMEM. Free with conn_free(). */
struct conn *conn_new(struct event_base *base, const struct conn_handler *h, void *arg);

/* conn_connect - start connecting; connected() or fail() follows. 0 or MAILTLS_EINTERNAL. */
int conn_connect(struct conn *c, const struct sockaddr *sa, socklen_t salen, double timeout);

/* conn_send - queue bytes for writing (plain or TLS, whichever is active). 0 or ENOMEM. */
int conn_send(struct conn *c, const char *data, size_t len);

/* conn_start_tls - begin the TLS handshake with ssl (ownership passes to c). Bytes received
 * after the current line and before the handshake are discarded, never read as TLS data:
 * their count is returned (RFC 3207 5, STARTTLS command injection). */
size_t conn_start_tls(struct conn *c, SSL *ssl, double timeout);

/* conn_pending - bytes received after the line being delivered (0 outside line()). */
size_t conn_pending(const struct conn *c);

/* conn_pending_data - those bytes (borrowed, valid until line() returns; *len as
 * conn_pending()), to look at before conn_start_tls() discards them. */
const char *conn_pending_data(const struct conn *c, size_t *len);

/* conn_discard_input - drop what is buffered but not delivered (a part of a line), outside
 * line() only; returns the count. */
size_t conn_discard_input(struct conn *c);

/* conn_set_timeout - (re)arm the phase deadline to secs from now. */
void conn_set_timeout(struct conn *c, double secs);

/* conn_ssl - the active SSL (borrowed), or NULL before TLS. */
SSL *conn_ssl(struct conn *c);

/* conn_tls_alerts - the alerts recorder to hand to tls_ssl_new(). */
struct tls_alerts *conn_tls_alerts(struct conn *c);

/* conn_local_addr - the local address as text ("127.0.0.1", "::1") into buf; "" if unknown. */
void conn_local_addr(struct conn *c, char *buf, size_t len);

/* conn_stop - close the socket and make no further callbacks. */
void conn_stop(struct conn *c);

/* conn_free - stop and free; NULL is a no-op. */
void conn_free(struct conn *c);

#endif
