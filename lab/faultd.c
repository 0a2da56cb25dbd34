/*
 * faultd.c - the lab's fault server: an SMTP server that misbehaves on purpose.
 *
 * SYNOPSIS
 *	faultd -p PKI_DIR -l ADDR:PORT=MODE[/CERT] [-l ...]
 *	faultd -L
 *
 * DESCRIPTION
 *	Listens on each ADDR:PORT (IPv4, or [IPv6]:PORT) and speaks just enough
 *	SMTP to show one fault per listener, chosen by MODE from the mode table
 *	below (-L lists it). STARTTLS, where a mode completes it, is a real TLS
 *	handshake with certificate CERT: PKI_DIR/CERT.chain.pem (the chain the
 *	server sends) and PKI_DIR/CERT.key, as lab/mkcerts.sh makes them. CERT
 *	is the mode's own certificate from the table ("good" for most modes)
 *	unless the listener names one.
 *
 *	One poll(2) loop accepts; every connection runs in its own child, which
 *	kills itself with alarm() after CHILD_LIMIT seconds, so a client that
 *	never closes cannot pin a process. The parent reaps children as they
 *	exit; SIGTERM or SIGINT makes it kill its children and exit 0.
 *
 *	This is a test fixture, not a mail server: it accepts no mail, and every
 *	read is bounded. Client lines longer than MAX_LINE are dropped. The
 *	hostile modes (endless replies, a 1 MiB line, a one-byte-per-second
 *	drip) write without end only until the client goes or the alarm fires.
 *
 *	Adding a fault: add one row to the modes[] table; if the fault is in the
 *	greeting, give the row a greet function; if it is in STARTTLS, give it a
 *	starttls reply and an after-STARTTLS action; if it is in the reply to
 *	EHLO, an ehlo function; if it needs its own certificate, name it in the
 *	cert column; if it is slow, give it a delay in milliseconds (it waits
 *	that long before the greeting, before every reply and before the TLS
 *	handshake). See lab/README.md.
 *
 * DIAGNOSTICS
 *	Errors and one line per connection go to stderr. Exit status 1 on a
 *	usage or setup error (bad address, cannot bind, cannot load the key).
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define MAX_LISTEN	64	/* -l options */
#define MAX_KIDS	256	/* concurrent connections; more are refused */
#define MAX_LINE	1024	/* longest client line we accept, without CRLF */
#define CHILD_LIMIT	30	/* seconds a connection may live */
#define BANNER_NAME	"faultd.lab.test"
#define HUGE_LINE	(1024 * 1024)	/* bytes of text in the huge-line greeting */

/* One client connection, plain or (after STARTTLS) TLS. */
struct conn {
	int	fd;
	SSL    *ssl;
	int	dropping;		/* inside an over-long line */
	size_t	inlen;
	char	in[MAX_LINE + 2];	/* input buffer, never larger */
	const char *why;		/* how the session ended, for the log */
	int	no_close_notify;	/* end TLS by closing the socket only */
};

struct mode;
typedef void (*greet_fn)(struct conn *, const struct mode *);

/* What happens once the STARTTLS reply has been written. */
enum after_starttls {
	AFTER_HANDSHAKE,	/* TLS handshake, then SMTP over TLS */
	AFTER_CLOSE,		/* drop the connection */
	AFTER_HANDSHAKE_CLOSE,	/* TLS handshake, then drop it without close_notify */
	AFTER_PLAIN,		/* nothing: the reply was a refusal */
	AFTER_RESET,		/* read the ClientHello, then reset the connection */
};

/* Mode flags. */
#define M_STARTTLS	(1 << 0)	/* EHLO advertises STARTTLS */
#define M_EHLO_502	(1 << 1)	/* EHLO is not supported */
#define M_REFUSE	(1 << 2)	/* greeting was 554: only QUIT works */
#define M_CLIENT_CERT	(1 << 3)	/* the handshake demands a client certificate */
#define M_TLS10		(1 << 4)	/* the server speaks TLS 1.0 only (a downgrade) */
#define M_KEEP_INPUT	(1 << 5)	/* keep what came after STARTTLS in the input
					 * buffer and process it after the handshake, as
					 * if it came inside TLS (CVE-2011-0411) */

/*
 * A fault mode: one row of the table. A NULL greet uses greeting; a NULL
 * greeting with a NULL greet is the normal single-line banner.
 */
struct mode {
	const char *name;
	const char *help;
	const char *greeting;		/* raw bytes, CRLFs included */
	greet_fn greet;			/* or a function that greets */
	int	flags;
	const char *starttls_reply;	/* raw bytes, written in one write */
	enum after_starttls after;
	greet_fn ehlo;			/* answers EHLO (NULL: the normal reply) */
	const char *cert;		/* certificate name in PKI_DIR (NULL: "good") */
	unsigned delay_ms;		/* wait before every reply and the handshake (0: none) */
};

static void greet_long_line(struct conn *, const struct mode *);
static void greet_silent(struct conn *, const struct mode *);
static void greet_endless(struct conn *, const struct mode *);
static void greet_huge_line(struct conn *, const struct mode *);
static void greet_drip(struct conn *, const struct mode *);
static void greet_hostile(struct conn *, const struct mode *);
static void ehlo_endless(struct conn *, const struct mode *);
static void ehlo_hostile(struct conn *, const struct mode *);
static void ehlo_bad_code(struct conn *, const struct mode *);
static void greet_close(struct conn *, const struct mode *);
static void ehlo_split_records(struct conn *, const struct mode *);
static void ehlo_auth_before_tls(struct conn *, const struct mode *);
static void greet_limit(struct conn *, const struct mode *);

#define READY_TLS	"220 2.0.0 Ready to start TLS\r\n"
#define EHLO_REPLY	"250-" BANNER_NAME "\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
#define EHLO_REPLY_TLS	"250-" BANNER_NAME "\r\n250-STARTTLS\r\n" \
			"250-PIPELINING\r\n250 8BITMIME\r\n"

static const struct mode modes[] = {
	{"good", "normal greeting and working STARTTLS",
	 NULL, NULL, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE, NULL, NULL, 0},
	{"no-starttls", "EHLO does not offer STARTTLS",
	 NULL, NULL, 0, NULL, AFTER_PLAIN, NULL, NULL, 0},
	{"starttls-454", "STARTTLS offered, answered 454",
	 NULL, NULL, M_STARTTLS,
	 "454 4.7.0 TLS not available due to local problem\r\n", AFTER_PLAIN, NULL, NULL, 0},
	{"multiline-banner", "3-line 220 greeting, then working STARTTLS",
	 "220-" BANNER_NAME " ESMTP\r\n220-second line\r\n220 third line\r\n",
	 NULL, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE, NULL, NULL, 0},
	{"long-line", "greeting line of 4096 characters",
	 NULL, greet_long_line, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE, NULL, NULL, 0},
	{"close-after-starttls", "STARTTLS answered 220, then the socket closes",
	 NULL, NULL, M_STARTTLS, READY_TLS, AFTER_CLOSE, NULL, NULL, 0},
	{"silent", "accepts and never says anything",
	 NULL, greet_silent, 0, NULL, AFTER_PLAIN, NULL, NULL, 0},
	{"data-after-starttls", "STARTTLS reply followed by injected plaintext",
	 NULL, NULL, M_STARTTLS, READY_TLS "250 injected\r\n", AFTER_HANDSHAKE, NULL, NULL, 0},
	{"greeting-554", "greeting 554: no service",
	 "554 5.3.2 " BANNER_NAME " no service\r\n", NULL, M_REFUSE,
	 NULL, AFTER_PLAIN, NULL, NULL, 0},
	{"ehlo-502", "EHLO answered 502, HELO accepted, no STARTTLS",
	 NULL, NULL, M_EHLO_502, NULL, AFTER_PLAIN, NULL, NULL, 0},
	{"client-cert-required", "STARTTLS demands a client certificate (TLS 1.3 alert after the handshake)",
	 NULL, NULL, M_STARTTLS | M_CLIENT_CERT, READY_TLS, AFTER_HANDSHAKE, NULL, NULL, 0},
	{"pipelined-greeting", "greeting followed at once by an unsolicited EHLO-like reply",
	 "220 " BANNER_NAME " ESMTP\r\n250-fake\r\n250 STARTTLS\r\n", NULL, M_STARTTLS, READY_TLS,
	 AFTER_HANDSHAKE, NULL, NULL, 0},
	{"close-after-handshake", "STARTTLS handshake completes, then the socket closes without close_notify",
	 NULL, NULL, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE_CLOSE, NULL, NULL, 0},
	{"http-greeting", "an HTTP server on the SMTP port: malformed greeting",
	 "HTTP/1.1 400 Bad Request\r\n", NULL, M_REFUSE, NULL, AFTER_PLAIN, NULL, NULL, 0},

	/* Hostile servers: a strict client must end each within its timeout, in bounded memory. */
	{"endless-multiline", "greeting of 220- continuation lines without end",
	 NULL, greet_endless, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE, NULL, NULL, 0},
	{"endless-ehlo", "EHLO answered with 250- continuation lines without end",
	 NULL, NULL, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE, ehlo_endless, NULL, 0},
	{"huge-line", "greeting line of 1 MiB",
	 NULL, greet_huge_line, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE, NULL, NULL, 0},
	{"drip", "greeting sent one byte per second (tarpit)",
	 NULL, greet_drip, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE, NULL, NULL, 0},
	{"reset-mid-handshake", "STARTTLS answered 220; the ClientHello is answered with a TCP reset",
	 NULL, NULL, M_STARTTLS, READY_TLS, AFTER_RESET, NULL, NULL, 0},
	{"chain50", "working STARTTLS with a chain of 50 certificates",
	 NULL, NULL, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE, NULL, "chain50", 0},
	{"big-cert", "working STARTTLS with a leaf certificate of over 100 KiB",
	 NULL, NULL, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE, NULL, "bigcert", 0},
	{"nul-name", "working STARTTLS; certificate for mx.example.org\\0.evil.test (NUL in SAN and CN)",
	 NULL, NULL, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE, NULL, "nulname", 0},
	{"bad-utf8-name", "working STARTTLS; certificate names with invalid UTF-8, ESC, BEL, C1, bidi",
	 NULL, NULL, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE, NULL, "badutf8", 0},
	{"hostile-banner", "greeting and EHLO reply with ESC sequences, NUL, C1, bidi, invalid UTF-8",
	 NULL, greet_hostile, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE, ehlo_hostile, NULL, 0},
	{"bad-code", "greeting with reply code 600",
	 "600 " BANNER_NAME " ESMTP\r\n", NULL, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE, NULL, NULL, 0},
	{"bad-code-ehlo", "EHLO answered with reply code 199",
	 NULL, NULL, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE, ehlo_bad_code, NULL, 0},
	{"close-after-greeting", "normal greeting, then the socket closes",
	 NULL, greet_close, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE, NULL, NULL, 0},
	{"tls10-only", "STARTTLS offered, but the server speaks TLS 1.0 only (downgrade)",
	 NULL, NULL, M_STARTTLS | M_TLS10, READY_TLS, AFTER_HANDSHAKE, NULL, NULL, 0},

	{"command-injection", "good, but plaintext sent after STARTTLS is kept and answered inside TLS after the handshake (CVE-2011-0411)",
	 NULL, NULL, M_STARTTLS | M_KEEP_INPUT, READY_TLS, AFTER_HANDSHAKE, NULL, NULL, 0},

	{"split-records", "good, but the EHLO reply after TLS comes as one TLS record per line, in one TCP segment",
	 NULL, NULL, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE, ehlo_split_records, NULL, 0},

	{"auth-before-tls", "good, but the EHLO reply before STARTTLS offers AUTH PLAIN LOGIN",
	 NULL, NULL, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE, ehlo_auth_before_tls, NULL, 0},

	/* Slow but correct: each phase alone is within a 1 s timeout, the whole check is not. */
	{"slow-phases", "good, but the greeting, every reply and the TLS handshake each come 0.8 s late",
	 NULL, NULL, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE, NULL, NULL, 800},

	/* OCSP stapling: good, but the handshake staples PKI_DIR/MODE.der (see staples[]). */
	{"ocsp-good", "good, stapling a good OCSP response (PKI_DIR/ocsp-good.der)",
	 NULL, NULL, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE, NULL, NULL, 0},
	{"ocsp-revoked", "working STARTTLS, stapling an OCSP response that says revoked (PKI_DIR/ocsp-revoked.der)",
	 NULL, NULL, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE, NULL, "revoked", 0},
	{"ocsp-unknown", "good, stapling an OCSP response with status unknown (PKI_DIR/ocsp-unknown.der)",
	 NULL, NULL, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE, NULL, NULL, 0},
	{"ocsp-stale", "good, stapling an OCSP response whose nextUpdate is a minute after the lab start (PKI_DIR/ocsp-stale.der)",
	 NULL, NULL, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE, NULL, NULL, 0},
	{"ocsp-badsig", "good, stapling an OCSP response signed by the rogue CA (PKI_DIR/ocsp-badsig.der)",
	 NULL, NULL, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE, NULL, NULL, 0},

	/* A connection limit, for the survey's back-off: every eighth connection to the
	 * listener since faultd started is turned away with 421. */
	{"limit-every-8th", "good, but every eighth connection is answered 421 (too many connections) and closed",
	 NULL, greet_limit, M_STARTTLS, READY_TLS, AFTER_HANDSHAKE, NULL, NULL, 0},
};

#define NMODES	(sizeof(modes) / sizeof(modes[0]))

/* One listening socket and its fault. */
struct listener {
	int	fd;
	const struct mode *mode;
	SSL_CTX *ctx;			/* its certificate chain and key */
	unsigned long accepted;		/* connections accepted so far */
	char	spec[256];		/* ADDR:PORT as given, for the log */
};

static const char *progname = "faultd";
static unsigned long conn_seq;		/* in a child: its connection's number on its
					 * listener, from 1 */
static volatile sig_atomic_t got_term;
static pid_t kids[MAX_KIDS];
static int nkids;

/* In the child, for the SIGALRM handler: a ready-made log line. */
static char timeout_msg[256];
static size_t timeout_len;

/* fatal - report a setup error and exit */

static _Noreturn void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* find_mode - look a mode up by name */

static const struct mode *find_mode(const char *name)
{
	size_t i;

	for (i = 0; i < NMODES; i++)
		if (strcmp(modes[i].name, name) == 0)
			return (&modes[i]);
	return (NULL);
}

/* conn_write - write all of buf, plain or TLS; -1 on error */

static int conn_write(struct conn *c, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if (c->ssl) {
			n = SSL_write(c->ssl, buf, len > 16384 ? 16384 : (int)len);
			if (n <= 0)
				return (-1);
		} else {
			n = write(c->fd, buf, len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return (-1);
		}
		buf += n;
		len -= (size_t)n;
	}
	return (0);
}

static int conn_puts(struct conn *c, const char *s)
{
	return (conn_write(c, s, strlen(s)));
}

/* conn_read - one bounded read; 0 at EOF, -1 on error */

static ssize_t conn_read(struct conn *c, char *buf, size_t len)
{
	ssize_t n;

	if (c->ssl) {
		n = SSL_read(c->ssl, buf, len > 16384 ? 16384 : (int)len);
		return (n > 0 ? n : (SSL_get_error(c->ssl, (int)n) ==
				     SSL_ERROR_ZERO_RETURN ? 0 : -1));
	}
	do
		n = read(c->fd, buf, len);
	while (n < 0 && errno == EINTR);
	return (n);
}

/*
 * conn_getline - read one line into line[MAX_LINE + 1] without its CRLF.
 * Returns its length, -1 at EOF or error, -2 when an over-long line was
 * dropped (the caller says so to the client).
 */
static int conn_getline(struct conn *c, char *line)
{
	char   *nl;
	size_t	len;
	ssize_t n;

	for (;;) {
		if ((nl = memchr(c->in, '\n', c->inlen)) != NULL) {
			len = (size_t)(nl - c->in);
			int dropped = c->dropping;

			c->dropping = 0;
			if (!dropped) {
				if (len > 0 && c->in[len - 1] == '\r')
					len--;
				memcpy(line, c->in, len);
				line[len] = 0;
			}
			c->inlen -= (size_t)(nl + 1 - c->in);
			memmove(c->in, nl + 1, c->inlen);
			if (dropped)
				return (-2);
			return ((int)len);
		}
		/* Buffer full without a newline: the line is too long. */
		if (c->inlen == sizeof(c->in)) {
			c->dropping = 1;
			c->inlen = 0;
		}
		n = conn_read(c, c->in + c->inlen, sizeof(c->in) - c->inlen);
		if (n <= 0)
			return (-1);
		c->inlen += (size_t)n;
	}
}

/* write_x_line - a 220 greeting line of LEN 'x', written in chunks; -1 on error */

static int write_x_line(struct conn *c, size_t len)
{
	char	buf[16384];

	memset(buf, 'x', sizeof(buf));
	if (conn_puts(c, "220 ") < 0)
		return (-1);
	while (len > 0) {
		size_t	n = len < sizeof(buf) ? len : sizeof(buf);

		if (conn_write(c, buf, n) < 0)
			return (-1);
		len -= n;
	}
	return (conn_puts(c, "\r\n"));
}

/* greet_long_line - an oversized reply line, then a normal session */

static void greet_long_line(struct conn *c, const struct mode *m)
{
	(void)m;
	if (write_x_line(c, 4096) < 0)
		c->why = "write error";
}

/* greet_silent - say nothing until the client leaves or the alarm fires */

static void greet_silent(struct conn *c, const struct mode *m)
{
	char	buf[512];

	(void)m;
	while (conn_read(c, buf, sizeof(buf)) > 0)
		 /* discard */ ;
	c->why = "client closed (silent)";
}

/* write_endless - prefix + a numbered line, again and again, until the client goes */

static void write_endless(struct conn *c, const char *code)
{
	char	buf[16384];
	size_t	len = 0;
	unsigned long n = 0;

	for (;;) {
		while (len < sizeof(buf) - 64)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
						"%s-endless line %lu\r\n", code, ++n);
		if (conn_write(c, buf, len) < 0)
			break;
		len = 0;
	}
	c->why = "client went (endless reply)";
}

/* greet_endless - a greeting that never ends */

static void greet_endless(struct conn *c, const struct mode *m)
{
	(void)m;
	write_endless(c, "220");
}

/* ehlo_endless - a reply to EHLO that never ends */

static void ehlo_endless(struct conn *c, const struct mode *m)
{
	(void)m;
	write_endless(c, "250");
}

/* greet_huge_line - one greeting line of HUGE_LINE bytes of text */

static void greet_huge_line(struct conn *c, const struct mode *m)
{
	(void)m;
	if (write_x_line(c, HUGE_LINE) < 0)
		c->why = "client went (huge line)";
}

/* greet_drip - the greeting, one byte per second (a tarpit) */

static void greet_drip(struct conn *c, const struct mode *m)
{
	static const char greeting[] = "220 " BANNER_NAME " ESMTP slowly\r\n";
	struct timespec second = { 1, 0 };

	(void)m;
	for (size_t i = 0; i < sizeof(greeting) - 1; i++) {
		if (conn_write(c, greeting + i, 1) < 0) {
			c->why = "client went (drip)";
			return;
		}
		nanosleep(&second, NULL);
	}
}

/*
 * What a hostile server may put in its replies to reach a terminal: an OSC
 * that sets the window title, SGR colour, BEL, NUL, a C1 CSI (U+009B), the
 * bidi override U+202E, and invalid UTF-8 (a lone 0xff, a truncated 0xc3,
 * an encoded surrogate).
 */
#define HOSTILE_TEXT	"\033]0;pwned\007\033[31mred\033[0m \000nul \302\2332J " \
			"\342\200\256txet \377\303( \355\240\200"
#define HOSTILE_GREETING "220 " BANNER_NAME " ESMTP " HOSTILE_TEXT "\r\n"
#define HOSTILE_EHLO	"250-" BANNER_NAME " " HOSTILE_TEXT "\r\n250-" HOSTILE_TEXT \
			"\r\n250-STARTTLS\r\n250 8BITMIME\r\n"

/* greet_hostile - a greeting full of terminal escapes and bad bytes (NUL included) */

static void greet_hostile(struct conn *c, const struct mode *m)
{
	(void)m;
	if (conn_write(c, HOSTILE_GREETING, sizeof(HOSTILE_GREETING) - 1) < 0)
		c->why = "write error";
}

/* ehlo_hostile - an EHLO reply with the same bytes, then STARTTLS as usual */

static void ehlo_hostile(struct conn *c, const struct mode *m)
{
	(void)m;
	if (c->ssl) {
		if (conn_puts(c, EHLO_REPLY) < 0)
			c->why = "write error";
	} else if (conn_write(c, HOSTILE_EHLO, sizeof(HOSTILE_EHLO) - 1) < 0) {
		c->why = "write error";
	}
}

/*
 * ehlo_split_records - after TLS, each line of the EHLO reply in its own TLS record, the
 * records corked into one TCP segment: a client that reads ahead gets them all in one
 * read, and must decrypt them all although the socket has nothing new to say.
 */

static void ehlo_split_records(struct conn *c, const struct mode *m)
{
	static const char *const lines[] = {
		"250-" BANNER_NAME "\r\n", "250-PIPELINING\r\n", "250-SIZE 10240000\r\n",
		"250 8BITMIME\r\n",
	};
	int	on = 1, off = 0;

	(void)m;
	if (!c->ssl) {
		if (conn_puts(c, EHLO_REPLY_TLS) < 0)
			c->why = "write error";
		return;
	}
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (conn_puts(c, lines[i]) < 0) {
			c->why = "write error";
			break;
		}
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &off, sizeof(off));
}

/*
 * ehlo_auth_before_tls - before TLS, an EHLO reply offering password login in the clear;
 * after TLS, the normal reply. No AUTH command is ever answered: the client must not send
 * one, and it gets 502 like any other.
 */

static void ehlo_auth_before_tls(struct conn *c, const struct mode *m)
{
	(void)m;
	if (conn_puts(c, c->ssl ? EHLO_REPLY : "250-" BANNER_NAME "\r\n250-PIPELINING\r\n"
		      "250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n") < 0)
		c->why = "write error";
}

/* ehlo_bad_code - a reply code outside 2xx-5xx */

static void ehlo_bad_code(struct conn *c, const struct mode *m)
{
	(void)m;
	if (conn_puts(c, "199 " BANNER_NAME " hello\r\n") < 0)
		c->why = "write error";
}

/*
 * pause_ms - the mode's delay before a reply (slow-phases); nothing when it
 * has none. An interrupted sleep resumes: CHILD_LIMIT still ends the child.
 */
static void pause_ms(const struct mode *m)
{
	struct timespec ts = { (time_t)(m->delay_ms / 1000),
			       (long)(m->delay_ms % 1000) * 1000000L };

	if (m->delay_ms == 0)
		return;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		 /* resume with what is left */ ;
}

/* greet_close - the normal greeting, then hang up */

static void greet_close(struct conn *c, const struct mode *m)
{
	(void)m;
	conn_puts(c, "220 " BANNER_NAME " ESMTP faultd\r\n");
	c->why = "closed after the greeting";
}

/* greet_limit - every eighth connection: 421 and close; the others: the banner */

static void greet_limit(struct conn *c, const struct mode *m)
{
	(void)m;
	if (conn_seq % 8 == 0) {
		conn_puts(c, "421 4.7.0 " BANNER_NAME " Error: too many connections; try again later\r\n");
		c->why = "limited (421)";
		return;
	}
	if (conn_puts(c, "220 " BANNER_NAME " ESMTP faultd\r\n") < 0)
		c->why = "write error";
}

/* reset_mid_handshake - read the start of the ClientHello, then end with a TCP reset */

static void reset_mid_handshake(struct conn *c)
{
	struct linger lg = { 1, 0 };
	char	buf[512];

	if (conn_read(c, buf, sizeof(buf)) <= 0) {
		c->why = "client closed before its ClientHello";
		return;
	}
	/* SO_LINGER with a zero timeout: close() sends RST, not FIN. */
	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	c->why = "reset in the middle of the handshake";
}

/* start_tls - server side of the handshake; 0 when TLS is up */

static int start_tls(struct conn *c, SSL_CTX *ctx, int flags)
{
	unsigned long e;
	static char why[200];

	/* Anything pipelined after STARTTLS is plaintext: never read it as TLS. The
	 * command-injection mode keeps it on purpose: the session loop then takes the
	 * buffered lines first, after the handshake, and answers them inside TLS. */
	if (!(flags & M_KEEP_INPUT)) {
		c->inlen = 0;
		c->dropping = 0;
	}
	if ((c->ssl = SSL_new(ctx)) == NULL || !SSL_set_fd(c->ssl, c->fd)) {
		c->why = "SSL_new failed";
		return (-1);
	}
	/* TLS 1.3 rejects a client without a certificate only after the client has
	 * finished its handshake (alert certificate_required). */
	if (flags & M_CLIENT_CERT)
		SSL_set_verify(c->ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	/* TLS 1.0 needs security level 0 in OpenSSL 3 (its signatures use SHA-1). */
	if (flags & M_TLS10) {
		SSL_set_security_level(c->ssl, 0);
		if (!SSL_set_min_proto_version(c->ssl, TLS1_VERSION) ||
		    !SSL_set_max_proto_version(c->ssl, TLS1_VERSION)) {
			c->why = "cannot limit TLS to 1.0";
			SSL_free(c->ssl);
			c->ssl = NULL;
			return (-1);
		}
	}
	if (SSL_accept(c->ssl) != 1) {
		e = ERR_peek_last_error();
		snprintf(why, sizeof(why), "TLS handshake failed: %s",
			 e ? ERR_reason_error_string(e) : "connection closed");
		c->why = why;
		SSL_free(c->ssl);
		c->ssl = NULL;
		return (-1);
	}
	return (0);
}

/* smtp_session - greet, then answer commands as the mode says */

static void smtp_session(struct conn *c, const struct mode *m, SSL_CTX *ctx)
{
	char	line[MAX_LINE + 1];
	char	verb[16];
	int	n;
	size_t	i;

	pause_ms(m);
	if (m->greet)
		m->greet(c, m);
	else if (conn_puts(c, m->greeting ? m->greeting :
			   "220 " BANNER_NAME " ESMTP faultd\r\n") < 0)
		c->why = "write error";
	if (c->why)
		return;

	for (;;) {
		if ((n = conn_getline(c, line)) == -1) {
			c->why = "client closed";
			return;
		}
		/* Every reply, whatever the command, comes late in a slow mode. */
		pause_ms(m);
		if (n == -2) {
			if (conn_puts(c, "500 5.5.0 Line too long\r\n") < 0)
				break;
			continue;
		}
		for (i = 0; i < sizeof(verb) - 1 && line[i] && line[i] != ' '; i++)
			verb[i] = line[i];
		verb[i] = 0;

		if (strcasecmp(verb, "QUIT") == 0) {
			conn_puts(c, "221 2.0.0 Bye\r\n");
			c->why = "QUIT";
			return;
		}
		if (m->flags & M_REFUSE) {
			if (conn_puts(c, "503 5.5.1 No service\r\n") < 0)
				break;
			continue;
		}
		if (strcasecmp(verb, "EHLO") == 0 && m->ehlo) {
			m->ehlo(c, m);
			if (c->why)
				return;
			n = 0;
		} else if (strcasecmp(verb, "EHLO") == 0) {
			if (m->flags & M_EHLO_502)
				n = conn_puts(c, "502 5.5.2 EHLO not supported\r\n");
			else
				n = conn_puts(c, (m->flags & M_STARTTLS) && !c->ssl ?
					      EHLO_REPLY_TLS : EHLO_REPLY);
		} else if (strcasecmp(verb, "HELO") == 0) {
			n = conn_puts(c, "250 " BANNER_NAME "\r\n");
		} else if (strcasecmp(verb, "RSET") == 0 ||
			   strcasecmp(verb, "NOOP") == 0) {
			n = conn_puts(c, "250 2.0.0 Ok\r\n");
		} else if (strcasecmp(verb, "STARTTLS") == 0 &&
			   (m->flags & M_STARTTLS) && !c->ssl) {
			if (conn_puts(c, m->starttls_reply) < 0)
				break;
			if (m->after == AFTER_CLOSE) {
				c->why = "closed after STARTTLS";
				return;
			}
			if (m->after == AFTER_RESET) {
				reset_mid_handshake(c);
				return;
			}
			if (m->after == AFTER_HANDSHAKE || m->after == AFTER_HANDSHAKE_CLOSE) {
				/* The ClientHello waits unread: the ServerHello comes late. */
				pause_ms(m);
				if (start_tls(c, ctx, m->flags) < 0)
					return;
			}
			if (m->after == AFTER_HANDSHAKE_CLOSE) {
				c->why = "closed after the TLS handshake";
				c->no_close_notify = 1;
				return;
			}
			n = 0;
		} else if (strcasecmp(verb, "STARTTLS") == 0 && c->ssl) {
			n = conn_puts(c, "503 5.5.1 TLS already active\r\n");
		} else {
			n = conn_puts(c, "502 5.5.2 Command not recognized\r\n");
		}
		if (n < 0)
			break;
	}
	c->why = "write error";
}

/* on_alarm - the child's time is up: log and go */

static void on_alarm(int sig)
{
	ssize_t	n;

	(void)sig;
	n = write(2, timeout_msg, timeout_len);
	(void)n;			/* nobody to tell if stderr is gone */
	_exit(0);
}

/* child - serve one connection; never returns */

static void child(int fd, const struct listener *l)
{
	struct conn c;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char	host[NI_MAXHOST], port[NI_MAXSERV];
	sigset_t none;
	int	len, on = 1;

	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGALRM, on_alarm);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (getpeername(fd, (struct sockaddr *)&ss, &sslen) != 0 ||
	    getnameinfo((struct sockaddr *)&ss, sslen, host, sizeof(host),
			port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(host, sizeof(host), "?"), snprintf(port, sizeof(port), "?");
	len = snprintf(timeout_msg, sizeof(timeout_msg),
		       "%s: %s from [%s]:%s mode %s: time limit\n",
		       progname, l->spec, host, port, l->mode->name);
	timeout_len = len > 0 && (size_t)len < sizeof(timeout_msg) ?
	    (size_t)len : 0;
	alarm(CHILD_LIMIT);
	/*
	 * Every reply leaves at once. With Nagle's algorithm the reply to the
	 * first command after the handshake waits behind the unacknowledged
	 * session tickets for the client's delayed ACK (40 ms on Linux), which
	 * no real server adds and which would dominate every timing.
	 */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));

	memset(&c, 0, sizeof(c));
	c.fd = fd;
	smtp_session(&c, l->mode, l->ctx);
	fprintf(stderr, "%s: %s from [%s]:%s mode %s: %s\n", progname,
		l->spec, host, port, l->mode->name, c.why ? c.why : "done");
	if (c.ssl) {
		if (!c.no_close_notify)
			SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
	close(fd);
	_exit(0);
}

/* load_cert - a server context with PKI_DIR/NAME.chain.pem and PKI_DIR/NAME.key */

static SSL_CTX *load_cert(const char *pki, const char *name)
{
	char	chain[1024], key[1024];
	SSL_CTX *ctx;

	if (strchr(name, '/') != NULL || strchr(name, '.') != NULL)
		fatal("bad certificate name \"%s\"", name);
	snprintf(chain, sizeof(chain), "%s/%s.chain.pem", pki, name);
	snprintf(key, sizeof(key), "%s/%s.key", pki, name);
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		fatal("SSL_CTX_new failed");
	if (SSL_CTX_use_certificate_chain_file(ctx, chain) != 1)
		fatal("cannot load certificate chain %s", chain);
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		fatal("cannot load key %s", key);
	if (SSL_CTX_check_private_key(ctx) != 1)
		fatal("key %s does not match certificate %s", key, chain);
	return (ctx);
}

/*
 * OCSP stapling: a mode named here staples PKI_DIR/MODE.der (lab/mkcerts.sh makes
 * them) in every handshake whose client asks for it (status_request).
 */
static const char *const staples[] = {
	"ocsp-good", "ocsp-revoked", "ocsp-unknown", "ocsp-stale", "ocsp-badsig",
};

#define STAPLE_MAX	(1024 * 1024)	/* largest response file we read */

struct staple {
	unsigned char *der;
	size_t	len;
};

/* staple_cb - hand a copy of the response to OpenSSL, which frees it */

static int staple_cb(SSL *ssl, void *arg)
{
	const struct staple *st = arg;
	unsigned char *copy = OPENSSL_malloc(st->len);

	if (copy == NULL)
		return (SSL_TLSEXT_ERR_NOACK);
	memcpy(copy, st->der, st->len);
	if (SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)st->len) != 1) {
		OPENSSL_free(copy);
		return (SSL_TLSEXT_ERR_NOACK);
	}
	return (SSL_TLSEXT_ERR_OK);
}

/* staple_setup - when the mode staples, load its response into ctx */

static void staple_setup(SSL_CTX *ctx, const struct mode *m, const char *pki)
{
	char	path[1024];
	struct staple *st;
	FILE   *f;
	size_t	i;

	for (i = 0; i < sizeof(staples) / sizeof(staples[0]); i++)
		if (strcmp(staples[i], m->name) == 0)
			break;
	if (i == sizeof(staples) / sizeof(staples[0]))
		return;
	snprintf(path, sizeof(path), "%s/%s.der", pki, m->name);
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->der = malloc(STAPLE_MAX)) == NULL)
		fatal("out of memory");
	if ((f = fopen(path, "rb")) == NULL)
		fatal("cannot open OCSP response %s: %s", path, strerror(errno));
	st->len = fread(st->der, 1, STAPLE_MAX, f);
	fclose(f);
	if (st->len == 0 || st->len == STAPLE_MAX)
		fatal("OCSP response %s is empty or too large", path);
	/* st lives as long as the process: every child staples it. */
	SSL_CTX_set_tlsext_status_cb(ctx, staple_cb);
	SSL_CTX_set_tlsext_status_arg(ctx, st);
}

/* open_listener - parse ADDR:PORT=MODE[/CERT] and listen there */

static void open_listener(struct listener *l, const char *arg, const char *pki)
{
	char	buf[256];
	const char *cert;
	char   *eq, *host, *port, *end, *slash;
	struct addrinfo hints, *res;
	int	on = 1, err;

	if (strlen(arg) >= sizeof(buf))
		fatal("listener too long: %s", arg);
	strcpy(buf, arg);
	if ((eq = strrchr(buf, '=')) == NULL)
		fatal("listener needs =MODE: %s", arg);
	*eq = 0;
	if ((slash = strchr(eq + 1, '/')) != NULL)
		*slash = 0;
	if ((l->mode = find_mode(eq + 1)) == NULL)
		fatal("unknown mode \"%s\" (faultd -L lists them)", eq + 1);
	cert = slash ? slash + 1 : l->mode->cert ? l->mode->cert : "good";
	if (strlen(cert) >= 64)
		fatal("certificate name too long: %s", arg);
	l->ctx = load_cert(pki, cert);
	staple_setup(l->ctx, l->mode, pki);
	snprintf(l->spec, sizeof(l->spec), "%s", buf);
	if (buf[0] == '[') {
		host = buf + 1;
		if ((end = strchr(host, ']')) == NULL || end[1] != ':')
			fatal("bad address (want [IPV6]:PORT): %s", arg);
		*end = 0;
		port = end + 2;
	} else {
		if ((end = strrchr(buf, ':')) == NULL)
			fatal("bad address (want ADDR:PORT): %s", arg);
		*end = 0;
		host = buf;
		port = end + 1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if ((err = getaddrinfo(host, port, &hints, &res)) != 0)
		fatal("bad address %s: %s", arg, gai_strerror(err));
	if ((l->fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		fatal("socket: %s", strerror(errno));
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (res->ai_family == AF_INET6)
		setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(l->fd, res->ai_addr, res->ai_addrlen) < 0)
		fatal("bind %s: %s", l->spec, strerror(errno));
	freeaddrinfo(res);
	if (listen(l->fd, 64) < 0)
		fatal("listen %s: %s", l->spec, strerror(errno));
}

/* reap - collect exited children without blocking */

static void reap(void)
{
	pid_t	pid;
	int	i, status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < nkids; i++)
			if (kids[i] == pid) {
				kids[i] = kids[--nkids];
				break;
			}
	}
}

static void on_signal(int sig)
{
	if (sig == SIGTERM || sig == SIGINT)
		got_term = 1;
	/* SIGCHLD only interrupts ppoll(); reap() does the work. */
}

/* serve - the accept loop; returns on SIGTERM/SIGINT */

static void serve(struct listener *ls, int nls)
{
	struct pollfd pfd[MAX_LISTEN];
	struct sigaction sa;
	sigset_t block, waitmask;
	int	i, fd;
	pid_t	pid;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/*
	 * The signals stay blocked except inside ppoll(), so a SIGTERM or
	 * SIGCHLD can never slip in between the check and the wait.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGCHLD);

	for (i = 0; i < nls; i++) {
		pfd[i].fd = ls[i].fd;
		pfd[i].events = POLLIN;
	}
	while (!got_term) {
		reap();
		if (ppoll(pfd, (nfds_t)nls, NULL, &waitmask) < 0) {
			if (errno == EINTR)
				continue;
			fatal("poll: %s", strerror(errno));
		}
		for (i = 0; i < nls && !got_term; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			if ((fd = accept4(ls[i].fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
				continue;
			if (nkids >= MAX_KIDS) {
				fprintf(stderr, "%s: %s: too many connections, "
					"closing one\n", progname, ls[i].spec);
				close(fd);
				continue;
			}
			if ((pid = fork()) < 0) {
				fprintf(stderr, "%s: fork: %s\n", progname,
					strerror(errno));
				close(fd);
				continue;
			}
			ls[i].accepted++;
			if (pid == 0) {
				int	j;

				conn_seq = ls[i].accepted;

				for (j = 0; j < nls; j++)
					close(ls[j].fd);
				child(fd, &ls[i]);
			}
			kids[nkids++] = pid;
			close(fd);
		}
	}
	for (i = 0; i < nkids; i++)
		kill(kids[i], SIGTERM);
	while (nkids > 0 && waitpid(-1, NULL, 0) > 0)
		nkids--;
}

static _Noreturn void usage(void)
{
	fprintf(stderr, "usage: %s -p PKI_DIR -l ADDR:PORT=MODE[/CERT] "
		"[-l ...]\n       %s -L   (list modes)\n", progname, progname);
	exit(1);
}

int	main(int argc, char **argv)
{
	struct listener ls[MAX_LISTEN];
	const char *args[MAX_LISTEN];
	const char *pki = NULL;
	size_t	i;
	int	ch, nls = 0;

	while ((ch = getopt(argc, argv, "p:l:L")) != -1) {
		switch (ch) {
		case 'p':
			pki = optarg;
			break;
		case 'l':
			if (nls >= MAX_LISTEN)
				fatal("at most %d listeners", MAX_LISTEN);
			args[nls++] = optarg;
			break;
		case 'L':
			for (i = 0; i < NMODES; i++)
				printf("%-22s %s%s%s\n", modes[i].name, modes[i].help,
				       modes[i].cert ? "; certificate " : "",
				       modes[i].cert ? modes[i].cert : "");
			return (0);
		default:
			usage();
		}
	}
	if (optind != argc || pki == NULL || nls == 0)
		usage();
	for (ch = 0; ch < nls; ch++)
		open_listener(&ls[ch], args[ch], pki);

	serve(ls, nls);
	for (ch = 0; ch < nls; ch++) {
		close(ls[ch].fd);
		SSL_CTX_free(ls[ch].ctx);
	}
	return (0);
}
