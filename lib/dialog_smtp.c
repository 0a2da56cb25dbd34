/*
 * dialog_smtp.c - the SMTP, submission and LMTP dialogue up to and after STARTTLS
 * (RFC 5321, RFC 3207, RFC 2033), and the SMTP dialogue inside implicit TLS (RFC 8314).
 *
 *   greeting -> EHLO (LHLO) [-> HELO] -> STARTTLS -> handshake -> EHLO -> QUIT
 *
 * Names in the greeting and the EHLO reply are recorded and shown, never used as identities.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "dialog.h"
#include "escape.h"
#include "proto.h"

enum smtp_state {
	SMTP_GREETING,
	SMTP_EHLO,
	SMTP_HELO,
	SMTP_STARTTLS,
	SMTP_EHLO_TLS,
	SMTP_QUIT,
};

static const char *const smtp_phase[] = {
	[SMTP_GREETING] = "the greeting",
	[SMTP_EHLO] = "the reply to EHLO",
	[SMTP_HELO] = "the reply to HELO",
	[SMTP_STARTTLS] = "the reply to STARTTLS",
	[SMTP_EHLO_TLS] = "the reply to EHLO after TLS",
	[SMTP_QUIT] = "the reply to QUIT",
};

/* smtp_enter_state - the only place the SMTP state changes. */
static void smtp_enter_state(struct probe *p, enum smtp_state st)
{
	p->state = (int)st;
	dialog_phase(p, smtp_phase[st]);
	reply_reset(&p->reply);
}

static const char *hello_verb(const struct probe *p)
{
	return proto_info(p->proto)->hello;
}

static void smtp_quit(struct probe *p)
{
	smtp_enter_state(p, SMTP_QUIT);
	dialog_quit(p, "QUIT");
}

/* first_word - copy of the first word of line i of the reply (escaped), or NULL. */
static char *first_word(const struct reply *r, size_t i)
{
	size_t len, pos = 0, wl;
	const char *l = reply_line(r, i, &len), *w;

	if (l == NULL || !words_next(l, len, &pos, &w, &wl))
		return NULL;
	return escape_text(w, wl > 255 ? 255 : wl);
}

/* reply_summary - "454 4.7.0 text" (first line, escaped) into buf. */
static void reply_summary(const struct reply *r, char *buf, size_t buflen)
{
	size_t len;
	const char *l = reply_line(r, 0, &len);
	char *e = escape_text(l ? l : "", l ? (len > 300 ? 300 : len) : 0);

	snprintf(buf, buflen, "%d %s", r->code, e ? e : "");
	free(e);
}

static void send_hello(struct probe *p, enum smtp_state st)
{
	/* RFC 5321 4.1.3: without a configured name, the client's address literal. */
	if (p->ehlo_name[0] == '\0') {
		char local[64];

		conn_local_addr(p->conn, local, sizeof(local));
		snprintf(p->ehlo_name, sizeof(p->ehlo_name), strchr(local, ':') ? "[IPv6:%s]" : "[%s]",
			 local[0] ? local : "127.0.0.1");
	}
	smtp_enter_state(p, st);
	dialog_send(p, "%s %s", st == SMTP_HELO ? "HELO" : hello_verb(p), p->ehlo_name);
}

static void on_greeting(struct probe *p)
{
	struct mailtls_session *s = &p->res->session;
	size_t len;
	const char *l = reply_line(&p->reply, 0, &len);
	char sum[400];

	if (s->banner == NULL && l != NULL)
		s->banner = escape_text(l, len);
	if (s->banner_name == NULL && p->reply.code == 220)   /* RFC 5321 4.2: "220 domain ..." */
		s->banner_name = first_word(&p->reply, 0);
	if (p->reply.code != 220) {
		reply_summary(&p->reply, sum, sizeof(sum));
		dialog_finding(p, MAILTLS_F_PROTO_GREETING_REJECTED, "server refused the session in its greeting: %s", sum);
		smtp_quit(p);
		return;
	}
	send_hello(p, SMTP_EHLO);
}

/* note_names - the banner and EHLO names are facts to show (RFC 9525 6.1: never identities). */
static void note_names(struct probe *p)
{
	const struct mailtls_session *s = &p->res->session;
	const char *shown = s->banner_name ? s->banner_name : s->ehlo_name;

	if (shown == NULL || p->n_names == 0)
		return;
	for (size_t i = 0; i < p->n_names; i++)
		if (strcasecmp(shown, p->names[i]) == 0)
			return;
	dialog_finding(p, MAILTLS_F_PROTO_BANNER_NAME_DIFFERS,
		       "server calls itself %s; the client's reference name is %s (shown, never used as an identity)",
		       shown, p->names[0]);
}

/*
 * note_auth - AUTH in the EHLO reply before STARTTLS invites clients to send a password in
 * the clear (RFC 8314 3; RFC 4954 4: no PLAIN without TLS). Any mechanism counts: the
 * message lists them. Submission and LMTP: a warning. Port 25: info (its clients are MTAs
 * that do not log in), as its own id, since a finding's severity is its id's. `before`
 * names what the offer precedes ("STARTTLS").
 */
static void note_auth(struct probe *p, const char *before)
{
	const char *mechs;
	size_t len;
	char *e, offered[1100];

	if (!reply_keyword(&p->reply, 1, "AUTH", &mechs, &len))
		return;
	e = escape_text(mechs, len > 200 ? 200 : len);
	snprintf(offered, sizeof(offered), "AUTH%s%s", e && e[0] ? " " : "", e ? e : "");
	free(e);
	dialog_cleartext_auth(p, p->proto == MAILTLS_PROTO_SMTP ? MAILTLS_F_AUTH_CLEARTEXT_OFFERED_MX :
			      MAILTLS_F_AUTH_CLEARTEXT_OFFERED, offered, before);
}

/*
 * stripped_keyword - an EHLO keyword that looks like STARTTLS overwritten with X's, as
 * middleboxes that strip STARTTLS do (the keyword keeps its 8 bytes, so the packet keeps
 * its length: "XXXXXXXA", "XXXXXXXX"): 8 letters, at least 7 of them X. The keyword, or
 * NULL. A guess from the shape only, said as one.
 */
static char *stripped_keyword(const struct reply *r)
{
	for (size_t i = 1; i < r->nlines; i++) {
		size_t len, pos = 0, wl, x = 0, letters = 0;
		const char *l = reply_line(r, i, &len), *w;

		if (l == NULL || !words_next(l, len, &pos, &w, &wl) || wl != strlen("STARTTLS"))
			continue;
		for (size_t j = 0; j < wl; j++) {
			x += w[j] == 'X' || w[j] == 'x';
			letters += (w[j] >= 'A' && w[j] <= 'Z') || (w[j] >= 'a' && w[j] <= 'z');
		}
		if (letters == wl && x + 1 >= wl)
			return escape_text(w, wl);
	}
	return NULL;
}

static void on_ehlo(struct probe *p)
{
	struct mailtls_session *s = &p->res->session;
	char sum[400];

	if (p->reply.code != 250) {
		reply_summary(&p->reply, sum, sizeof(sum));
		if (!proto_info(p->proto)->helo_fallback) {
			dialog_finding(p, MAILTLS_F_PROTO_EHLO_REJECTED, "LHLO refused: %s", sum);
			smtp_quit(p);
			return;
		}
		dialog_finding(p, MAILTLS_F_PROTO_EHLO_REJECTED, "EHLO refused (%s); trying HELO", sum);
		send_hello(p, SMTP_HELO);
		return;
	}
	if (s->ehlo_name == NULL)
		s->ehlo_name = first_word(&p->reply, 0);
	dialog_add_cap_lines(&p->reply, 1, p->implicit_tls ? &s->caps_post : &s->caps_pre);
	note_names(p);
	if (p->implicit_tls) {
		smtp_quit(p);
		return;
	}
	if (!smtp_ehlo_has(&p->reply, "STARTTLS")) {
		char *x = stripped_keyword(&p->reply);

		if (x != NULL)
			dialog_finding(p, MAILTLS_F_STARTTLS_NOT_OFFERED,
				       "STARTTLS is not offered in the reply to %s, which has %s where "
				       "STARTTLS would be: a middlebox may be stripping it (overwriting "
				       "the keyword with X's)", hello_verb(p), x);
		else
			dialog_finding(p, MAILTLS_F_STARTTLS_NOT_OFFERED,
				       "STARTTLS is not offered in the reply to %s", hello_verb(p));
		free(x);
		note_auth(p, "TLS (there is no STARTTLS)");
		smtp_quit(p);
		return;
	}
	s->starttls_offered = true;
	dialog_finding(p, MAILTLS_F_STARTTLS_OFFERED, "STARTTLS offered in the reply to %s",
			   hello_verb(p));
	note_auth(p, "STARTTLS");
	smtp_enter_state(p, SMTP_STARTTLS);
	/* --injection: NOOP changes nothing on any server (RFC 5321 4.1.1.9). */
	dialog_send_starttls(p, "STARTTLS", "NOOP", "NOOP", NULL);
}

static void on_helo(struct probe *p)
{
	char sum[400];

	p->res->session.helo_fallback = true;
	if (p->reply.code != 250) {
		reply_summary(&p->reply, sum, sizeof(sum));
		dialog_finding(p, MAILTLS_F_PROTO_GREETING_REJECTED, "HELO refused: %s", sum);
	} else {
		note_names(p);
		if (!p->implicit_tls)
			dialog_finding(p, MAILTLS_F_STARTTLS_NOT_OFFERED,
				       "STARTTLS cannot be offered: EHLO was refused and HELO has no extensions");
	}
	smtp_quit(p);
}

static void on_starttls(struct probe *p)
{
	char sum[400];

	if (p->reply.code != 220) {
		reply_summary(&p->reply, sum, sizeof(sum));
		dialog_finding(p, MAILTLS_F_STARTTLS_REFUSED, "STARTTLS refused: %s", sum);
		smtp_quit(p);
		return;
	}
	p->res->session.starttls_accepted = true;
	dialog_starttls(p);
}

static void on_ehlo_tls(struct probe *p)
{
	char sum[400];

	if (p->reply.code != 250) {
		reply_summary(&p->reply, sum, sizeof(sum));
		dialog_finding(p, MAILTLS_F_PROTO_POST_TLS_FAILED, "%s after TLS refused: %s", hello_verb(p), sum);
	} else {
		dialog_add_cap_lines(&p->reply, 1, &p->res->session.caps_post);
	}
	smtp_quit(p);
}

static void smtp_start(struct probe *p)
{
	smtp_enter_state(p, SMTP_GREETING);
}

static void smtp_line(struct probe *p, const char *line, size_t len)
{
	enum reply_feed rc = smtp_reply_feed(&p->reply, line, len);

	if (rc < 0) {
		if (p->state == SMTP_QUIT) {
			dialog_finish(p);
			return;
		}
		dialog_protocol_error(p, rc, line, len);
		return;
	}
	if (rc == REPLY_MORE)
		return;
	/* We never pipeline: anything already received after a complete reply came before our
	 * next command (RFC 5321 4.3.1), and would be taken as its answer. After a STARTTLS
	 * go-ahead the bytes are discarded and reported by dialog_starttls() instead. With
	 * --injection we did pipeline one NOOP after STARTTLS: after a refusal its answer may
	 * follow, and is read as the answer to QUIT, which ends the dialogue either way. */
	if (p->state != SMTP_QUIT &&
	    !(p->state == SMTP_STARTTLS && (p->reply.code == 220 || p->inject.sent)) &&
	    conn_pending(p->conn) > 0) {
		dialog_finding(p, MAILTLS_F_PROTO_UNSOLICITED_REPLY,
			       "server sent %zu more bytes after %s, before the client's next command",
			       conn_pending(p->conn), p->phase);
		dialog_finish(p);
		return;
	}
	switch ((enum smtp_state)p->state) {
	case SMTP_GREETING:
		on_greeting(p);
		break;
	case SMTP_EHLO:
		on_ehlo(p);
		break;
	case SMTP_HELO:
		on_helo(p);
		break;
	case SMTP_STARTTLS:
		on_starttls(p);
		break;
	case SMTP_EHLO_TLS:
		on_ehlo_tls(p);
		break;
	case SMTP_QUIT:
		dialog_finish(p);
		break;
	}
}

/* smtp_tls_done - RFC 3207 4.2: the session restarts; the client must EHLO again. */
static void smtp_tls_done(struct probe *p)
{
	send_hello(p, SMTP_EHLO_TLS);
}

const struct dialog_ops dialog_smtp_ops = {
	.name = "smtp",
	.start = smtp_start,
	.line = smtp_line,
	.tls_done = smtp_tls_done,
};
