/*
 * dialog_pop3.c - the POP3 dialogue up to and after STLS (RFC 1939, RFC 2449, RFC 2595 4),
 * and inside implicit TLS (RFC 8314).
 *
 *   greeting -> CAPA -> STLS -> handshake -> CAPA -> QUIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "dialog.h"
#include "escape.h"

enum pop3_state {
	POP3_GREETING,
	POP3_CAPA,
	POP3_STLS,
	POP3_CAPA_TLS,
	POP3_QUIT,
};

static const char *const pop3_phase[] = {
	[POP3_GREETING] = "the greeting",
	[POP3_CAPA] = "the reply to CAPA",
	[POP3_STLS] = "the reply to STLS",
	[POP3_CAPA_TLS] = "the reply to CAPA after TLS",
	[POP3_QUIT] = "the reply to QUIT",
};

/* pop3_enter_state - the only place the POP3 state changes. */
static void pop3_enter_state(struct probe *p, enum pop3_state st)
{
	p->state = (int)st;
	dialog_phase(p, pop3_phase[st]);
	reply_reset(&p->reply);
	p->reply.code = -1;      /* status line not seen yet */
}

static void pop3_command(struct probe *p, enum pop3_state st, const char *cmd)
{
	pop3_enter_state(p, st);
	if (st == POP3_QUIT)
		dialog_quit(p, cmd);
	else if (st == POP3_STLS)   /* --injection: CAPA (RFC 2449 5) changes nothing */
		dialog_send_starttls(p, cmd, "CAPA", "CAPA", NULL);
	else
		dialog_send(p, "%s", cmd);
}

static bool capa_has(const struct reply *r, const char *kw)
{
	size_t kl = strlen(kw);

	for (size_t i = 0; i < r->nlines; i++) {
		size_t len;
		const char *l = reply_line(r, i, &len);

		if (l && len >= kl && strncasecmp(l, kw, kl) == 0 && (len == kl || l[kl] == ' '))
			return true;
	}
	return false;
}

/*
 * note_auth - USER, or SASL with any mechanism, in the CAPA list before STLS invites clients
 * to send a password in the clear (RFC 8314 3; RFC 2449 6 names these capabilities).
 * The message lists what is offered.
 */
static void note_auth(struct probe *p, const char *before)
{
	const char *mechs;
	size_t len;
	bool user = reply_keyword(&p->reply, 0, "USER", &mechs, &len);
	bool sasl = reply_keyword(&p->reply, 0, "SASL", &mechs, &len) && len > 0;
	char *e = sasl ? escape_text(mechs, len > 200 ? 200 : len) : NULL;
	char offered[1100];

	if (!user && !sasl)
		return;
	snprintf(offered, sizeof(offered), "%s%s%s%s", user ? "USER" : "", user && sasl ? " and " : "",
		 sasl ? "SASL " : "", sasl && e ? e : "");
	free(e);
	dialog_cleartext_auth(p, MAILTLS_F_AUTH_CLEARTEXT_OFFERED, offered, before);
}

/* on_capa_done - the CAPA list (before or after TLS) is complete. */
static void on_capa_done(struct probe *p)
{
	struct mailtls_session *s = &p->res->session;

	if (p->state == POP3_CAPA_TLS || p->implicit_tls) {
		dialog_add_cap_lines(&p->reply, 0, &s->caps_post);
		pop3_command(p, POP3_QUIT, "QUIT");
		return;
	}
	dialog_add_cap_lines(&p->reply, 0, &s->caps_pre);
	if (!capa_has(&p->reply, "STLS")) {
		dialog_finding(p, MAILTLS_F_STARTTLS_NOT_OFFERED, "STLS is not in the CAPA list");
		note_auth(p, "TLS (there is no STLS)");
		pop3_command(p, POP3_QUIT, "QUIT");
		return;
	}
	s->starttls_offered = true;
	dialog_finding(p, MAILTLS_F_STARTTLS_OFFERED, "STLS in the CAPA list");
	note_auth(p, "STLS");
	pop3_command(p, POP3_STLS, "STLS");
}

static void pop3_line(struct probe *p, const char *line, size_t len)
{
	const char *rest;
	size_t restlen;
	enum pop3_status st;

	/* Inside a multi-line CAPA body. */
	if ((p->state == POP3_CAPA || p->state == POP3_CAPA_TLS) && p->reply.code == 1) {
		enum reply_feed rc = pop3_multi_feed(&p->reply, line, len);

		if (rc < 0)
			dialog_protocol_error(p, rc, line, len);
		else if (rc == REPLY_DONE)
			on_capa_done(p);
		return;
	}
	st = pop3_status(line, len, &rest, &restlen);
	if (st == POP3_MALFORMED) {
		if (p->state == POP3_QUIT)
			dialog_finish(p);
		else
			dialog_protocol_error(p, REPLY_MALFORMED, line, len);
		return;
	}
	switch ((enum pop3_state)p->state) {
	case POP3_GREETING:
		p->res->session.banner = escape_text(rest, restlen > 300 ? 300 : restlen);
		if (st != POP3_OK) {
			dialog_finding(p, MAILTLS_F_PROTO_GREETING_REJECTED, "server refused the session: -ERR %s",
				       p->res->session.banner ? p->res->session.banner : "");
			pop3_command(p, POP3_QUIT, "QUIT");
			break;
		}
		pop3_command(p, POP3_CAPA, "CAPA");
		break;
	case POP3_CAPA:
	case POP3_CAPA_TLS:
		if (st == POP3_OK) {
			p->reply.code = 1;
			break;
		}
		if (p->state == POP3_CAPA_TLS) {
			dialog_finding(p, MAILTLS_F_PROTO_POST_TLS_FAILED, "CAPA after TLS refused");
		} else if (!p->implicit_tls) {
			dialog_finding(p, MAILTLS_F_STARTTLS_NOT_OFFERED,
				       "CAPA is not supported (RFC 2449), so STLS cannot be discovered");
		}
		pop3_command(p, POP3_QUIT, "QUIT");
		break;
	case POP3_STLS:
		if (st != POP3_OK) {
			char *e = escape_text(line, len > 300 ? 300 : len);

			dialog_finding(p, MAILTLS_F_STARTTLS_REFUSED, "STLS refused: %s", e ? e : "");
			free(e);
			pop3_command(p, POP3_QUIT, "QUIT");
			break;
		}
		p->res->session.starttls_accepted = true;
		dialog_starttls(p);
		break;
	case POP3_QUIT:
		dialog_finish(p);
		break;
	}
}

static void pop3_start(struct probe *p)
{
	pop3_enter_state(p, POP3_GREETING);
}

static void pop3_tls_done(struct probe *p)
{
	pop3_command(p, POP3_CAPA_TLS, "CAPA");
}

const struct dialog_ops dialog_pop3_ops = {
	.name = "pop3",
	.start = pop3_start,
	.line = pop3_line,
	.tls_done = pop3_tls_done,
};
