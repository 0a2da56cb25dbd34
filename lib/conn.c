/*
 * conn.c - non-blocking TCP and TLS I/O for one dialogue. See conn.h for the contract.
 *
 * Reading is bounded: the input buffer holds one line at most (CONN_INBUF_MAX); a line that
 * does not fit fails the connection. Writing is small (protocol commands) and buffered.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/err.h>
#include <mailtls/mailtls.h>
#include "conn.h"
#include "timeval.h"

#define CONN_OUTBUF_MAX 1024   /* commands are short: at most one line of 600 bytes queued */

enum conn_state {
	CONN_IDLE,
	CONN_CONNECTING,
	CONN_PLAIN,
	CONN_HANDSHAKE,
	CONN_TLS,
	CONN_STOPPED,
};

struct conn {
	struct event_base *base;
	const struct conn_handler *h;
	void *arg;
	int fd;
	enum conn_state state;
	struct event *ev_read;
	struct event *ev_write;
	struct event *ev_timer;
	SSL *ssl;
	struct tls_alerts alerts;
	bool in_read;            /* delivering lines from the input buffer */
	size_t consumed;         /* bytes of inbuf already delivered, while in_read */
	char inbuf[CONN_INBUF_MAX];
	size_t inlen;
	char outbuf[CONN_OUTBUF_MAX];
	size_t outlen;
	int connect_errno;       /* an error connect() returned at once */
};

static void on_read(evutil_socket_t fd, short what, void *arg);
static void on_write(evutil_socket_t fd, short what, void *arg);
static void on_timer(evutil_socket_t fd, short what, void *arg);

struct conn *conn_new(struct event_base *base, const struct conn_handler *h, void *arg)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->base = base;
	c->h = h;
	c->arg = arg;
	c->fd = -1;
	c->alerts.received = c->alerts.sent = -1;
	c->ev_timer = evtimer_new(base, on_timer, c);
	if (c->ev_timer == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

static void fail(struct conn *c, enum conn_fail why, const char *detail)
{
	if (c->state == CONN_STOPPED)
		return;
	conn_stop(c);
	c->h->fail(c->arg, why, detail);
}

void conn_set_timeout(struct conn *c, double secs)
{
	struct timeval tv = timeval_of(secs > 0 ? secs : 10);

	evtimer_add(c->ev_timer, &tv);
}

int conn_connect(struct conn *c, const struct sockaddr *sa, socklen_t salen, double timeout)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return MAILTLS_EINTERNAL;   /* errno says why; nothing to undo */
	c->ev_read = event_new(c->base, fd, EV_READ | EV_PERSIST, on_read, c);
	c->ev_write = event_new(c->base, fd, EV_WRITE, on_write, c);
	if (c->ev_read == NULL || c->ev_write == NULL) {
		if (c->ev_read)
			event_free(c->ev_read);
		if (c->ev_write)
			event_free(c->ev_write);
		c->ev_read = c->ev_write = NULL;
		close(fd);
		errno = ENOMEM;
		return MAILTLS_EINTERNAL;
	}
	c->fd = fd;
	c->state = CONN_CONNECTING;
	conn_set_timeout(c, timeout);
	if (connect(fd, sa, salen) < 0 && errno != EINPROGRESS) {
		/* Report from the loop, never from inside the caller's call. */
		c->connect_errno = errno;
		event_active(c->ev_write, EV_WRITE, 0);
		return 0;
	}
	event_add(c->ev_write, NULL);
	return 0;
}

/* flush_plain - write what is queued on the plain socket. */
static void flush_plain(struct conn *c)
{
	while (c->outlen > 0) {
		/* MSG_NOSIGNAL: a peer that closed gives EPIPE, never SIGPIPE to the process. */
		ssize_t n = send(c->fd, c->outbuf, c->outlen, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			fail(c, errno == ECONNRESET || errno == EPIPE ? CONN_FAIL_CLOSED : CONN_FAIL_ERROR,
			     strerror(errno));
			return;
		}
		memmove(c->outbuf, c->outbuf + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
	if (c->outlen > 0)
		event_add(c->ev_write, NULL);
}

/* is_hangup - the peer closed without an alert (OpenSSL 3 reports an EOF as SSL_ERROR_SSL
 * with SSL_R_UNEXPECTED_EOF_WHILE_READING): a close, not a TLS error. */
static bool is_hangup(const struct conn *c, int err)
{
	unsigned long e = ERR_peek_last_error();

	return c->alerts.received < 0 &&
	       ((err == SSL_ERROR_SYSCALL && e == 0) || err == SSL_ERROR_ZERO_RETURN ||
		(err == SSL_ERROR_SSL && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING));
}

/* tls_io_failed - an SSL_read/SSL_write error after the handshake: an alert (TLS 1.3
 * servers reject a client, e.g. certificate_required, only after the handshake) or a TLS
 * protocol error is a TLS failure; a plain hang-up is a close. */
/* hangup_detail - what to say of a hang-up: a reset says so (errno is the failed recv's,
 * read right after SSL_get_error()); otherwise the caller's detail. */
static const char *hangup_detail(int err, const char *otherwise)
{
	return err == SSL_ERROR_SYSCALL && errno == ECONNRESET ?
	       "connection reset by the server (TCP RST)" : otherwise;
}

static void tls_io_failed(struct conn *c, int err, const char *closed_detail)
{
	char why[256];

	if (!is_hangup(c, err) && (c->alerts.received >= 0 || err == SSL_ERROR_SSL)) {
		tls_describe_failure(c->ssl, err, &c->alerts, why, sizeof(why));
		fail(c, CONN_FAIL_TLS, why);
		return;
	}
	closed_detail = hangup_detail(err, closed_detail);
	ERR_clear_error();
	fail(c, CONN_FAIL_CLOSED, closed_detail);
}

/* flush_tls - write what is queued over TLS. */
static void flush_tls(struct conn *c)
{
	while (c->outlen > 0) {
		int n = SSL_write(c->ssl, c->outbuf, (int)c->outlen);

		if (n <= 0) {
			int err = SSL_get_error(c->ssl, n);

			if (err == SSL_ERROR_WANT_WRITE) {
				event_add(c->ev_write, NULL);
				return;
			}
			if (err == SSL_ERROR_WANT_READ)
				return;   /* on_read() retries the write */
			if (c->alerts.received < 0) {
				/* The peer may have sent an alert and hung up before our write
				 * (TLS 1.3 certificate_required): read it from the socket's
				 * queue so the diagnosis can name it. */
				char sink[256];

				ERR_clear_error();
				(void)SSL_read(c->ssl, sink, sizeof(sink));
			}
			tls_io_failed(c, err, NULL);
			return;
		}
		memmove(c->outbuf, c->outbuf + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
}

int conn_send(struct conn *c, const char *data, size_t len)
{
	if (c->state == CONN_STOPPED)
		return 0;
	if (len > sizeof(c->outbuf) - c->outlen)
		return MAILTLS_ETOOBIG;
	memcpy(c->outbuf + c->outlen, data, len);
	c->outlen += len;
	if (c->state == CONN_PLAIN)
		flush_plain(c);
	else if (c->state == CONN_TLS)
		flush_tls(c);
	return 0;
}

/* handshake_step - drive SSL_connect; on completion hand over to tls_done(). */
static void handshake_step(struct conn *c)
{
	int r = SSL_connect(c->ssl);

	if (r == 1) {
		c->state = CONN_TLS;
		event_add(c->ev_read, NULL);
		c->h->tls_done(c->arg);
		if (c->state == CONN_TLS && c->outlen > 0)
			flush_tls(c);
		/* Records that came with the last handshake flight wait in OpenSSL's buffer
		 * (read-ahead): the socket will not say so. */
		if (c->state == CONN_TLS && SSL_has_pending(c->ssl))
			event_active(c->ev_read, EV_READ, 0);
		return;
	}
	int err = SSL_get_error(c->ssl, r);
	if (err == SSL_ERROR_WANT_READ) {
		event_add(c->ev_read, NULL);
		return;
	}
	if (err == SSL_ERROR_WANT_WRITE) {
		event_add(c->ev_write, NULL);
		return;
	}
	char why[256];

	/* The peer hung up mid-handshake without an alert: that is a close, not a TLS error.
	 * A reset says so, as it does outside TLS. */
	if (is_hangup(c, err)) {
		const char *detail = hangup_detail(err, NULL);

		ERR_clear_error();
		fail(c, CONN_FAIL_CLOSED, detail);
		return;
	}
	tls_describe_failure(c->ssl, err, &c->alerts, why, sizeof(why));
	fail(c, CONN_FAIL_TLS, why);
}

size_t conn_start_tls(struct conn *c, SSL *ssl, double timeout)
{
	size_t discarded = 0;

	if (c->in_read) {
		discarded = c->inlen - c->consumed;
		c->consumed = c->inlen;
	} else {
		discarded = c->inlen;
		c->inlen = 0;
	}
	c->ssl = ssl;
	if (tls_attach_fd(ssl, c->fd) != 0) {
		fail(c, CONN_FAIL_ERROR, "out of memory");
		return discarded;
	}
	c->state = CONN_HANDSHAKE;
	event_del(c->ev_read);
	conn_set_timeout(c, timeout);
	/* Start from the loop so that a caller inside a callback is not re-entered. */
	event_active(c->ev_write, EV_WRITE, 0);
	return discarded;
}

/* deliver_lines - hand each complete line in inbuf to the handler, stopping as soon as the
 * handler changed the connection's state (started TLS or stopped). */
static void deliver_lines(struct conn *c)
{
	enum conn_state st = c->state;

	c->in_read = true;
	c->consumed = 0;
	while (c->state == st) {
		char *nl = memchr(c->inbuf + c->consumed, '\n', c->inlen - c->consumed);

		if (nl == NULL)
			break;
		size_t start = c->consumed;
		size_t len = (size_t)(nl - (c->inbuf + start));

		c->consumed = start + len + 1;
		if (len > 0 && c->inbuf[start + len - 1] == '\r')
			len--;
		if (len > REPLY_LINE_MAX) {
			c->in_read = false;
			fail(c, CONN_FAIL_LINE_TOO_LONG, NULL);
			return;
		}
		c->h->line(c->arg, c->inbuf + start, len);
	}
	c->in_read = false;
	if (c->state == CONN_STOPPED)
		return;
	memmove(c->inbuf, c->inbuf + c->consumed, c->inlen - c->consumed);
	c->inlen -= c->consumed;
	c->consumed = 0;
	if (c->inlen >= sizeof(c->inbuf))
		fail(c, CONN_FAIL_LINE_TOO_LONG, NULL);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	(void)what;

	if (c->state == CONN_HANDSHAKE) {
		handshake_step(c);
		return;
	}
	if (c->state == CONN_PLAIN) {
		ssize_t n = read(fd, c->inbuf + c->inlen, sizeof(c->inbuf) - c->inlen);

		if (n == 0) {
			fail(c, CONN_FAIL_CLOSED, NULL);
		} else if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				fail(c, errno == ECONNRESET ? CONN_FAIL_CLOSED : CONN_FAIL_ERROR,
				     strerror(errno));
		} else {
			c->inlen += (size_t)n;
			deliver_lines(c);
		}
		return;
	}
	if (c->state != CONN_TLS)
		return;
	if (c->outlen > 0) {
		flush_tls(c);
		if (c->state != CONN_TLS)
			return;
	}
	/* TLS: drain what OpenSSL has, bounded by the buffer. */
	for (int rounds = 0; rounds < 64 && c->state == CONN_TLS; rounds++) {
		int n = SSL_read(c->ssl, c->inbuf + c->inlen, (int)(sizeof(c->inbuf) - c->inlen));

		if (n <= 0) {
			int err = SSL_get_error(c->ssl, n);

			if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
				return;
			if (err == SSL_ERROR_ZERO_RETURN && c->alerts.received == 0)
				c->alerts.received = -1;   /* close_notify is a close, not an error */
			tls_io_failed(c, err, err == SSL_ERROR_ZERO_RETURN ? "TLS close_notify" : NULL);
			return;
		}
		c->inlen += (size_t)n;
		deliver_lines(c);
		/* SSL_has_pending(), not SSL_pending(): with read-ahead, whole records may
		 * wait undecrypted in OpenSSL's buffer while the socket has nothing new. */
		if (c->state == CONN_TLS && !SSL_has_pending(c->ssl))
			return;
	}
	/* Bounded per call; what is left is read on the next turn of the loop. */
	if (c->state == CONN_TLS && SSL_has_pending(c->ssl))
		event_active(c->ev_read, EV_READ, 0);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	int err = 0;
	socklen_t len = sizeof(err);
	(void)what;

	switch (c->state) {
	case CONN_CONNECTING:
		if (c->connect_errno != 0)
			err = c->connect_errno;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err == 0) {
			c->state = CONN_PLAIN;
			event_add(c->ev_read, NULL);
			c->h->connected(c->arg);
		} else if (err == ECONNREFUSED) {
			fail(c, CONN_FAIL_REFUSED, strerror(err));
		} else if (err == ETIMEDOUT) {
			fail(c, CONN_FAIL_TIMEOUT, NULL);
		} else {
			fail(c, CONN_FAIL_ERROR, strerror(err));
		}
		break;
	case CONN_PLAIN:
		flush_plain(c);
		break;
	case CONN_HANDSHAKE:
		handshake_step(c);
		break;
	case CONN_TLS:
		flush_tls(c);
		break;
	default:
		break;
	}
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	char detail[128];
	(void)fd;
	(void)what;

	/* The deadline is per phase, never pushed back by arriving bytes: a server that
	 * trickles (a tarpit) times out like a silent one, and the reply says so. */
	if ((c->state == CONN_PLAIN || c->state == CONN_TLS) && c->inlen > 0) {
		snprintf(detail, sizeof(detail), "%zu bytes of it arrived, no complete line: the "
			 "server sends too slowly", c->inlen);
		fail(c, CONN_FAIL_TIMEOUT, detail);
		return;
	}
	fail(c, CONN_FAIL_TIMEOUT, NULL);
}

size_t conn_pending(const struct conn *c)
{
	return c->in_read ? c->inlen - c->consumed : 0;
}

const char *conn_pending_data(const struct conn *c, size_t *len)
{
	*len = conn_pending(c);
	return c->inbuf + c->consumed;
}

size_t conn_discard_input(struct conn *c)
{
	size_t n = c->in_read ? 0 : c->inlen;

	if (!c->in_read)
		c->inlen = 0;
	return n;
}

SSL *conn_ssl(struct conn *c)
{
	return c->ssl;
}

struct tls_alerts *conn_tls_alerts(struct conn *c)
{
	return &c->alerts;
}

void conn_local_addr(struct conn *c, char *buf, size_t len)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl = sizeof(ss);

	buf[0] = '\0';
	if (c->fd < 0 || getsockname(c->fd, (struct sockaddr *)&ss, &sl) < 0)
		return;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, (socklen_t)len);
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, buf, (socklen_t)len);
}

void conn_stop(struct conn *c)
{
	if (c->state == CONN_STOPPED)
		return;
	c->state = CONN_STOPPED;
	if (c->ev_read)
		event_del(c->ev_read);
	if (c->ev_write)
		event_del(c->ev_write);
	event_del(c->ev_timer);
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
}

void conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	conn_stop(c);
	if (c->ev_read)
		event_free(c->ev_read);
	if (c->ev_write)
		event_free(c->ev_write);
	event_free(c->ev_timer);
	SSL_free(c->ssl);
	free(c);
}
