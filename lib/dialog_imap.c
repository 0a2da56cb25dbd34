/*
 * dialog_imap.c - the IMAP dialogue up to and after STARTTLS (RFC 9051, RFC 3501, RFC 2595),
 * and inside implicit TLS (RFC 8314).
 *
 *   greeting -> CAPABILITY -> STARTTLS -> handshake -> CAPABILITY -> LOGOUT
 *
 * Capabilities learned before TLS are shown but, as RFC 2595 3.1 requires, discarded for
 * the TLS session: the client asks again after the handshake.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "dialog.h"
#include "escape.h"

enum imap_state {
	IMAP_GREETING,
	IMAP_CAPABILITY,
	IMAP_STARTTLS,
	IMAP_CAPABILITY_TLS,
	IMAP_LOGOUT,
};

static const char *const imap_phase[] = {
	[IMAP_GREETING] = "the greeting",
	[IMAP_CAPABILITY] = "the reply to CAPABILITY",
	[IMAP_STARTTLS] = "the reply to STARTTLS",
	[IMAP_CAPABILITY_TLS] = "the reply to CAPABILITY after TLS",
	[IMAP_LOGOUT] = "the reply to LOGOUT",
};

/* imap_enter_state - the only place the IMAP state changes. */
static void imap_enter_state(struct probe *p, enum imap_state st)
{
	p->state = (int)st;
	dialog_phase(p, imap_phase[st]);
}

/* imap_command - send "<tag> cmd" with a fresh tag. */
static void imap_command(struct probe *p, enum imap_state st, const char *cmd)
{
	char line[64];

	imap_enter_state(p, st);
	p->untagged = 0;
	snprintf(p->tag, sizeof(p->tag), "A%u", ++p->tagno);
	snprintf(line, sizeof(line), "%s %s", p->tag, cmd);
	if (st == IMAP_LOGOUT) {
		dialog_quit(p, line);
		dialog_phase(p, imap_phase[st]);
		return;
	}
	if (st == IMAP_STARTTLS && p->injection) {
		/* --injection: "<tag2> NOOP" in the same write; NOOP is valid in every state
		 * (RFC 9051 6.1.2) and changes nothing. */
		char tag2[16], extra[64];

		snprintf(tag2, sizeof(tag2), "A%u", ++p->tagno);
		snprintf(extra, sizeof(extra), "%s NOOP", tag2);
		dialog_send_starttls(p, line, extra, "NOOP", tag2);
		return;
	}
	dialog_send(p, "%s", line);
}

static bool caps_have(const struct mailtls_strlist *l, const char *cap)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], cap) == 0)
			return true;
	return false;
}

static void on_greeting(struct probe *p, const struct imap_line *il, const char *line, size_t len)
{
	struct mailtls_session *s = &p->res->session;

	if (il->kind != IMAP_UNTAGGED) {
		dialog_protocol_error(p, REPLY_MALFORMED, line, len);
		return;
	}
	if (s->banner == NULL)
		s->banner = escape_text(il->rest, il->restlen > 300 ? 300 : il->restlen);
	switch (il->status) {
	case IMAP_OK:
		imap_command(p, IMAP_CAPABILITY, "CAPABILITY");
		break;
	case IMAP_PREAUTH:
		/* RFC 2595 3.1 / RFC 9051 6.2.1: STARTTLS is only valid in the not-authenticated state. */
		dialog_finding(p, MAILTLS_F_STARTTLS_NOT_OFFERED,
			       "server greets with PREAUTH: the session is authenticated in plaintext and STARTTLS is impossible");
		imap_command(p, IMAP_LOGOUT, "LOGOUT");
		break;
	case IMAP_BYE:
		dialog_finding(p, MAILTLS_F_PROTO_GREETING_REJECTED, "server refused the session: * BYE %s",
			       s->banner ? s->banner : "");
		dialog_finish(p);
		break;
	default:
		dialog_protocol_error(p, REPLY_MALFORMED, line, len);
		break;
	}
}

/*
 * note_login - what the capabilities before TLS say about passwords: LOGINDISABLED, as
 * RFC 3501 6.2.3 says a server SHOULD advertise there, or an invitation to send a password
 * in the clear (RFC 8314 3): LOGIN allowed, or AUTH=PLAIN / AUTH=LOGIN advertised.
 */
static void note_login(struct probe *p, const struct mailtls_strlist *caps)
{
	static const char *const mechs[] = { "AUTH=PLAIN", "AUTH=LOGIN" };
	char auth[64] = "";

	for (size_t i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++)
		if (caps_have(caps, mechs[i]))
			snprintf(auth + strlen(auth), sizeof(auth) - strlen(auth), "%s%s",
				 auth[0] ? " " : "", mechs[i]);
	if (p->res->session.login_disabled) {
		dialog_finding(p, MAILTLS_F_IMAP_LOGIN_DISABLED, "LOGINDISABLED advertised before TLS");
		if (auth[0])
			dialog_finding(p, MAILTLS_F_IMAP_PLAINTEXT_LOGIN_OFFERED,
				       "LOGINDISABLED, but %s advertised before TLS: clients may send passwords in the clear with AUTHENTICATE (RFC 8314 section 3)",
				       auth);
	} else if (auth[0]) {
		dialog_finding(p, MAILTLS_F_IMAP_PLAINTEXT_LOGIN_OFFERED,
			       "no LOGINDISABLED, and %s advertised before TLS: the server would accept a password in the clear, and clients may send one (RFC 8314 section 3)",
			       auth);
	} else {
		dialog_finding(p, MAILTLS_F_IMAP_PLAINTEXT_LOGIN_OFFERED,
			       "no LOGINDISABLED before TLS: the server would accept a password in the clear");
	}
}

/* on_capability_done - the tagged reply to the first CAPABILITY arrived. */
static void on_capability_done(struct probe *p, const struct imap_line *il)
{
	struct mailtls_session *s = &p->res->session;
	const struct mailtls_strlist *caps = p->implicit_tls ? &s->caps_post : &s->caps_pre;

	if (il->status != IMAP_OK) {
		dialog_finding(p, MAILTLS_F_STARTTLS_NOT_OFFERED, "CAPABILITY failed, so STARTTLS cannot be discovered");
		imap_command(p, IMAP_LOGOUT, "LOGOUT");
		return;
	}
	if (p->implicit_tls) {
		imap_command(p, IMAP_LOGOUT, "LOGOUT");
		return;
	}
	s->login_disabled = caps_have(caps, "LOGINDISABLED");
	if (!caps_have(caps, "STARTTLS")) {
		dialog_finding(p, MAILTLS_F_STARTTLS_NOT_OFFERED, "STARTTLS is not in the CAPABILITY list");
		note_login(p, caps);     /* without STARTTLS, any login is in the clear */
		imap_command(p, IMAP_LOGOUT, "LOGOUT");
		return;
	}
	s->starttls_offered = true;
	dialog_finding(p, MAILTLS_F_STARTTLS_OFFERED, "STARTTLS in the CAPABILITY list");
	note_login(p, caps);
	imap_command(p, IMAP_STARTTLS, "STARTTLS");
}

static void imap_line(struct probe *p, const char *line, size_t len)
{
	struct imap_line il;
	const char *list;
	size_t listlen;

	imap_parse(line, len, p->state == IMAP_GREETING ? NULL : p->tag, &il);
	if (p->state == IMAP_GREETING) {
		on_greeting(p, &il, line, len);
		return;
	}
	if (il.kind == IMAP_MALFORMED || il.kind == IMAP_CONTINUATION) {
		if (p->state == IMAP_LOGOUT) {
			dialog_finish(p);
			return;
		}
		dialog_protocol_error(p, REPLY_MALFORMED, line, len);
		return;
	}
	if (il.kind == IMAP_UNTAGGED) {
		/* Untagged data may come at any time, but not without end before the tagged
		 * reply: the same limit as a multi-line SMTP reply. */
		if (++p->untagged > REPLY_LINES_MAX) {
			dialog_protocol_error(p, REPLY_TOO_MANY, line, len);
			return;
		}
		if ((p->state == IMAP_CAPABILITY || p->state == IMAP_CAPABILITY_TLS) &&
		    imap_capabilities(&il, &list, &listlen))
			dialog_add_caps(p, list, listlen);
		if (il.status == IMAP_BYE && p->state != IMAP_LOGOUT) {
			dialog_finding(p, MAILTLS_F_CONN_CLOSED, "server said BYE while the client waited for %s",
				       p->phase);
			dialog_finish(p);
		}
		return;
	}
	/* Tagged completion of the command in flight. */
	switch ((enum imap_state)p->state) {
	case IMAP_CAPABILITY:
		on_capability_done(p, &il);
		break;
	case IMAP_STARTTLS:
		if (il.status != IMAP_OK) {
			char *e = escape_text(line, len > 300 ? 300 : len);

			dialog_finding(p, MAILTLS_F_STARTTLS_REFUSED, "STARTTLS refused: %s", e ? e : "");
			free(e);
			imap_command(p, IMAP_LOGOUT, "LOGOUT");
			break;
		}
		p->res->session.starttls_accepted = true;
		dialog_starttls(p);
		break;
	case IMAP_CAPABILITY_TLS:
		if (il.status != IMAP_OK)
			dialog_finding(p, MAILTLS_F_PROTO_POST_TLS_FAILED, "CAPABILITY after TLS failed");
		imap_command(p, IMAP_LOGOUT, "LOGOUT");
		break;
	case IMAP_LOGOUT:
	case IMAP_GREETING:
		dialog_finish(p);
		break;
	}
}

static void imap_start(struct probe *p)
{
	imap_enter_state(p, IMAP_GREETING);
}

static void imap_tls_done(struct probe *p)
{
	imap_command(p, IMAP_CAPABILITY_TLS, "CAPABILITY");
}

const struct dialog_ops dialog_imap_ops = {
	.name = "imap",
	.start = imap_start,
	.line = imap_line,
	.tls_done = imap_tls_done,
};
