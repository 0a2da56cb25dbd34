/*
 * dialog.c - what every protocol dialogue shares: the probe's life (connect, fail, finish),
 * commands and the transcript, STARTTLS, and turning the captured session into findings.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <mailtls/mailtls.h>
#include "danefacts.h"
#include "dialog.h"
#include "escape.h"
#include "inject.h"
#include "proto.h"
#include "tls.h"
#include "timeval.h"
#include "verify.h"

const struct dialog_ops *dialog_ops_for(enum mailtls_proto proto)
{
	const struct proto_info *pi = proto_info(proto);

	if (pi == NULL)
		return NULL;
	switch (pi->dialog) {
	case PROTO_DIALOG_SMTP:
		return &dialog_smtp_ops;
	case PROTO_DIALOG_IMAP:
		return &dialog_imap_ops;
	case PROTO_DIALOG_POP3:
		return &dialog_pop3_ops;
	}
	return NULL;
}

/* transcript_add - append one line, escaped (server lines, and our commands, which carry
 * the caller's EHLO name); silently stops at DIALOG_TRANSCRIPT_MAX. */
static void transcript_add(struct probe *p, const char *who, const char *text, size_t len)
{
	size_t need;
	char *e, *t;

	if (!p->want_transcript || (e = escape_text(text, len)) == NULL)
		return;
	need = strlen(who) + strlen(e) + 2;
	if (p->transcript_len + need + 1 <= DIALOG_TRANSCRIPT_MAX &&
	    (t = realloc(p->transcript, p->transcript_len + need + 1)) != NULL) {
		p->transcript = t;
		p->transcript_len += (size_t)snprintf(t + p->transcript_len, need + 1, "%s%s\n",
						      who, e);
	}
	free(e);
}

void dialog_log_server(struct probe *p, const char *line, size_t len)
{
	transcript_add(p, "S: ", line, len);
}

void dialog_note(struct probe *p, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	transcript_add(p, "", buf, strlen(buf));
}

void dialog_send(struct probe *p, const char *fmt, ...)
{
	char buf[600];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf) - 2)
		n = (int)strlen(buf);
	transcript_add(p, "C: ", buf, (size_t)n);
	memcpy(buf + n, "\r\n", 2);
	conn_send(p->conn, buf, (size_t)n + 2);
	conn_set_timeout(p->conn, p->timeout);
}

void dialog_send_starttls(struct probe *p, const char *line, const char *extra,
			  const char *verb, const char *tag)
{
	char buf[128];
	const char *sp = strrchr(line, ' ');
	int n;

	if (!p->injection || extra == NULL) {
		dialog_send(p, "%s", line);
		return;
	}
	/* One conn_send(), so one write(2): both commands leave in one TCP segment, as a man
	 * in the middle appending his own command would deliver them. */
	n = snprintf(buf, sizeof(buf), "%s\r\n%s\r\n", line, extra);
	assert(n > 0 && (size_t)n < sizeof(buf));   /* our own short commands */
	transcript_add(p, "C: ", line, strlen(line));
	transcript_add(p, "C: ", extra, strlen(extra));
	dialog_note(p, "--- both lines in one write (--injection)");
	conn_send(p->conn, buf, (size_t)n);
	conn_set_timeout(p->conn, p->timeout);
	p->inject.sent = true;
	snprintf(p->inject.starttls, sizeof(p->inject.starttls), "%s", sp ? sp + 1 : line);
	snprintf(p->inject.verb, sizeof(p->inject.verb), "%s", verb);
	snprintf(p->inject.tag, sizeof(p->inject.tag), "%s", tag ? tag : "");
}

void dialog_finding(struct probe *p, enum mailtls_fid id, const char *fmt, ...)
{
	char buf[1500];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	mailtls_result_add(p->res, id, "%s: %s", p->prefix, buf);
}

void dialog_cleartext_auth(struct probe *p, enum mailtls_fid id, const char *offered, const char *verb)
{
	/* PLAIN, LOGIN and POP3's USER carry the password itself; other mechanisms
	 * (challenge-response) do not, but the login and all after it are still open to a
	 * man in the middle. */
	bool password = strstr(offered, "PLAIN") != NULL || strstr(offered, "LOGIN") != NULL
			|| strncmp(offered, "USER", 4) == 0;

	dialog_finding(p, id, "%s offered before %s: %s (RFC 8314 section 3)", offered, verb,
		       password ? "clients may send passwords in the clear"
				: "clients may log in before TLS, where the session can be read and "
				  "altered");
}

void dialog_add_cap_lines(const struct reply *r, size_t first, struct mailtls_strlist *l)
{
	for (size_t i = first; i < r->nlines && l->n < DIALOG_CAPS_MAX; i++) {
		size_t len;
		const char *line = reply_line(r, i, &len);
		char *e = line ? escape_text(line, len > DIALOG_CAP_MAX ? DIALOG_CAP_MAX : len) : NULL;

		/* Cap the raw bytes, never the escaped text: a cut could split an escape. */
		if (e != NULL)
			mailtls_strlist_add(l, e, SIZE_MAX);
		free(e);
	}
}

void dialog_add_caps(struct probe *p, const char *list, size_t len)
{
	struct mailtls_strlist *l = p->tls ? &p->res->session.caps_post : &p->res->session.caps_pre;
	size_t pos = 0, wl;
	const char *w;

	/* A server may repeat its list without end (IMAP untagged lines): keep the first ones. */
	while (l->n < DIALOG_CAPS_MAX && words_next(list, len, &pos, &w, &wl)) {
		char *e = escape_text(w, wl > DIALOG_CAP_MAX ? DIALOG_CAP_MAX : wl);

		if (e != NULL)
			mailtls_strlist_add(l, e, SIZE_MAX);
		free(e);
	}
}

/* verdict - what senders and clients conclude, from the findings. */
static void verdict(struct probe *p)
{
	struct mailtls_result *res = p->res;

	/* A session the server aborted right after the handshake (TLS 1.3 rejects a client
	 * certificate only then) carries no mail: it counts as failed. */
	res->would_encrypt = res->session.tls_established &&
			     !mailtls_result_has(res, MAILTLS_F_TLS_HANDSHAKE_FAILED);
	if (!res->would_encrypt)
		res->would_authenticate = false;
}

static void on_done_event(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;
	(void)fd;
	(void)what;
	p->done(p, p->done_arg);
}

/* phase_begin - the probe now waits for name; waiting says it waits for admission. */
static void phase_begin(struct probe *p, const char *name, bool waiting)
{
	size_t n = p->n_phases;

	p->phase = name;
	if (n > 0 && strcmp(p->phases[n - 1].name, name) == 0)
		return;
	if (n == DIALOG_PHASES_MAX)   /* keep the first ones; the last slot shows the newest */
		n--;
	p->phases[n].name = name;
	p->phases[n].waiting = waiting;
	clock_gettime(CLOCK_MONOTONIC, &p->phases[n].at);
	p->n_phases = n + 1;
}

void dialog_phase(struct probe *p, const char *name)
{
	phase_begin(p, name, false);
}

void dialog_wait(struct probe *p)
{
	phase_begin(p, "a free connection slot (not counted in the deadline)", true);
}

void dialog_cut(struct probe *p)
{
	char times[900];
	size_t o = 0;
	struct timespec now;

	if (p->finished)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	times[0] = '\0';
	for (size_t i = 0; i < p->n_phases && o < sizeof(times); i++) {
		const struct timespec *end = i + 1 < p->n_phases ? &p->phases[i + 1].at : &now;
		double secs = (double)(end->tv_sec - p->phases[i].at.tv_sec) +
			      (double)(end->tv_nsec - p->phases[i].at.tv_nsec) / 1e9;
		int n;

		/* A wait for admission shorter than DIALOG_WAIT_SHOWN is the loop's own
		 * latency, not a wait: left out. */
		if (p->phases[i].waiting && secs < DIALOG_WAIT_SHOWN)
			continue;
		n = snprintf(times + o, sizeof(times) - o, "%s%s %.3fs", o ? ", " : "",
			     p->phases[i].name, secs);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	dialog_finding(p, MAILTLS_F_CONN_DEADLINE,
		       "the check was cut at its deadline of %gs while waiting for %s; time per "
		       "phase: %s", p->deadline, p->phase ? p->phase : "the start", times);
	dialog_finish(p);
}

void dialog_finish(struct probe *p)
{
	struct timespec now;

	if (p->finished)
		return;
	p->finished = true;
	if (p->conn != NULL)
		conn_stop(p->conn);
	clock_gettime(CLOCK_MONOTONIC, &now);
	p->res->session.elapsed_ms = (double)(now.tv_sec - p->started.tv_sec) * 1e3 +
				     (double)(now.tv_nsec - p->started.tv_nsec) / 1e6;
	if (p->transcript != NULL) {
		p->res->session.transcript = p->transcript;
		p->transcript = NULL;
	}
	verdict(p);
	if (p->inject.ev != NULL)
		event_del(p->inject.ev);
	if (p->ev_done != NULL)
		event_active(p->ev_done, EV_TIMEOUT, 0);
	else
		p->done(p, p->done_arg);   /* only when setting up the probe ran out of memory */
}

void dialog_quit(struct probe *p, const char *cmd)
{
	p->quitting = true;
	dialog_phase(p, "the reply to QUIT");
	dialog_send(p, "%s", cmd);
	/* The goodbye is a courtesy (RFC 5321 4.1.1.10): a server that ignores it must not
	 * hold the check for a whole phase timeout. */
	conn_set_timeout(p->conn, p->timeout < DIALOG_QUIT_WAIT ? p->timeout : DIALOG_QUIT_WAIT);
}

void dialog_protocol_error(struct probe *p, enum reply_feed why, const char *line, size_t len)
{
	char *e = escape_text(line, len > 200 ? 200 : len);

	if (why == REPLY_TOO_MANY)
		dialog_finding(p, MAILTLS_F_PROTO_TOO_MANY_LINES,
			       "%s exceeded %d lines or %d bytes", p->phase,
			       REPLY_LINES_MAX, REPLY_TEXT_MAX);
	else if (why == REPLY_BAD_CODE)
		dialog_finding(p, MAILTLS_F_PROTO_MALFORMED_REPLY,
			       "reply code %.3s while waiting for %s: SMTP codes run from 200 to 599 "
			       "(RFC 5321 4.2): \"%s\"", line, p->phase, e ? e : "");
	else
		dialog_finding(p, MAILTLS_F_PROTO_MALFORMED_REPLY, "malformed reply while waiting for %s: \"%s\"",
			       p->phase, e ? e : "");
	free(e);
	dialog_finish(p);
}

/* first_line_len - bytes of buf before its first CR or LF, at most max. */
static size_t first_line_len(const char *buf, size_t len, size_t max)
{
	size_t n = 0;

	while (n < len && n < max && buf[n] != '\r' && buf[n] != '\n')
		n++;
	return n;
}

void dialog_starttls(struct probe *p)
{
	const char *sni = p->sni != NULL ? p->sni : p->dane != NULL ? p->dane->base :
			  p->n_names > 0 ? p->names[0] : NULL;
	SSL *ssl = tls_ssl_new(p->ssl_ctx, sni, conn_tls_alerts(p->conn));
	size_t injected, plen;
	const char *pending = conn_pending_data(p->conn, &plen);
	char *quote = NULL;
	size_t ql, end;
	bool own = false, more = false;
	int r = 0;

	if (ssl != NULL && p->ssl_setup != NULL && p->ssl_setup(ssl, p->ssl_setup_arg) != 0) {
		SSL_free(ssl);
		p->res->checked = false;
		p->res->unknown_reason = strdup("cannot configure the survey's TLS offer");
		dialog_finish(p);
		return;
	}
	if (ssl != NULL && p->dane != NULL &&
	    (r = danefacts_ssl_setup(ssl, p->dane, &p->res->dane)) != 0) {
		SSL_free(ssl);
		ssl = NULL;
	}
	if (ssl == NULL) {
		p->res->checked = false;
		p->res->unknown_reason = strdup(r == MAILTLS_ENOMEM ? "out of memory" :
						r != 0 ? "cannot set DANE up for the TLS session" :
						"cannot create a TLS session");
		dialog_finish(p);
		return;
	}
	/* With --injection the server may answer our second command in plaintext right after
	 * its go-ahead: it processes commands in order, which is allowed (Postfix drops the
	 * command instead). How we decide it is that answer and not a fault: the bytes after
	 * the go-ahead, as received with it, parse as exactly one complete answer to that
	 * command (inject_is_answer(): the same reply parsers, every line complete, nothing
	 * before or after it; for IMAP the second command's own tag). Then they are noted and
	 * discarded; anything else (other, more, fewer or cut bytes) is still reported. */
	if (p->inject.sent && plen > 0 &&
	    inject_is_answer(proto_info(p->proto)->dialog, p->inject.tag, pending, plen)) {
		own = true;
		p->inject.plain_answer = true;
	}
	/* Quoted before conn_start_tls() drops them: the first line, raw bytes capped. */
	if (!own && plen > 0) {
		ql = first_line_len(pending, plen, DIALOG_INJECT_QUOTE);
		quote = escape_text(pending, ql);
		end = ql;
		if (end < plen && pending[end] == '\r')
			end++;
		if (end < plen && pending[end] == '\n')
			end++;
		more = end < plen;      /* more than that line: said with "..." */
	}
	dialog_phase(p, p->implicit_tls ? "the TLS handshake" : "the STARTTLS handshake");
	dialog_note(p, "--- TLS handshake%s%s", sni ? " with SNI " : "", sni ? sni : "");
	injected = conn_start_tls(p->conn, ssl, p->timeout);
	if (own)
		dialog_note(p, "--- the server answered the %s in plaintext (%zu bytes): expected, "
			    "discarded", p->inject.verb, injected);
	else if (injected > 0)
		dialog_finding(p, MAILTLS_F_STARTTLS_RESPONSE_INJECTION,
			       "STARTTLS response injection: %zu bytes came glued to the STARTTLS "
			       "go-ahead, before the handshake (\"%s\"%s): a man in the middle or a "
			       "buggy server sent them; discarded, never read as a reply or as TLS data",
			       injected, quote ? quote : "", more ? " ..." : "");
	free(quote);
}

void dialog_tls_up(struct probe *p)
{
	struct mailtls_session *s = &p->res->session;
	SSL *ssl = conn_ssl(p->conn);
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	const char *names[DIALOG_NAMES_MAX];
	struct verify_params vp = {
		.store = p->store,
		.names = names,
		.n_names = p->n_names,
		.ip = p->n_names == 0 && p->host_is_ip ? p->ip : NULL,
		.at = p->at,
		.warn_days = p->warn_days,
		.cache = p->cache,
	};

	p->tls = true;
	s->tls_established = true;
	if (tls_capture(ssl, s) != 0) {
		p->res->checked = false;
		p->res->unknown_reason = strdup("out of memory");
		dialog_finish(p);
		return;
	}
	dialog_note(p, "--- TLS established: %s, %s%s%s", s->tls_version, s->cipher,
		    s->group ? ", " : "", s->group ? s->group : "");
	dialog_finding(p, MAILTLS_F_TLS_ESTABLISHED, "%s, cipher %s%s%s", s->tls_version,
			   s->cipher, s->group ? ", key exchange " : "", s->group ? s->group : "");
	if (strcmp(s->tls_version, "TLSv1") == 0 || strcmp(s->tls_version, "TLSv1.1") == 0)
		dialog_finding(p, MAILTLS_F_TLS_LEGACY_VERSION, "the session uses %s",
				   s->tls_version);
	for (size_t i = 0; i < p->n_names; i++)
		names[i] = p->names[i];
	if (chain == NULL || sk_X509_num(chain) == 0) {
		mailtls_result_add(p->res, MAILTLS_F_CERT_VERIFY_ERROR, "the server sent no certificate");
		return;
	}
	vp.ocsp_len = tls_stapled_ocsp(ssl, &vp.ocsp);
	verify_chain(chain, &vp, p->res);
	if (p->ocsp_query) {
		/* The engine asks the leaf's responder once the dialogue is over; a second
		 * handshake (after the injection probe) replaces the first's chain. */
		sk_X509_pop_free(p->ocsp_chain, X509_free);
		p->ocsp_chain = X509_chain_up_ref(chain);
	}
	/* The chain OpenSSL verified in the handshake is the one verify_chain() saw: the
	 * record matches index the same chain[]. */
	if (p->dane != NULL &&
	    danefacts_ssl_outcome(ssl, p->dane, chain, (int)p->res->chain_len, &p->res->dane) != 0) {
		p->res->checked = false;
		free(p->res->unknown_reason);
		p->res->unknown_reason = strdup("out of memory");
		dialog_finish(p);
	}
}

/* on_connected - TCP is up: implicit TLS starts the handshake, else the dialogue begins. */
static void on_connected(void *arg)
{
	struct probe *p = arg;

	if (p->implicit_tls) {
		dialog_starttls(p);
		return;
	}
	dialog_phase(p, "the greeting");
	conn_set_timeout(p->conn, p->timeout);
	p->ops->start(p);
}

static void on_line(void *arg, const char *line, size_t len)
{
	struct probe *p = arg;

	if (p->finished)
		return;
	dialog_log_server(p, line, len);
	/* --injection: the client has sent nothing inside TLS yet, so whatever comes now is
	 * the server processing plaintext it buffered before the handshake. Kept as evidence,
	 * never handed to the dialogue. */
	if (p->inject.waiting) {
		if (p->inject.lines++ == 0)
			p->inject.first = escape_text(line, len > DIALOG_INJECT_QUOTE ?
							    DIALOG_INJECT_QUOTE : len);
		return;
	}
	p->ops->line(p, line, len);
}

/* inject_forget - drop what the first pass left in the result (findings since
 * probe_start(), session facts it learned), as mailtls_findings_clear() would free them. */
static void inject_forget(struct probe *p)
{
	struct mailtls_findings *f = &p->res->findings;
	struct mailtls_session *s = &p->res->session;

	for (size_t i = p->findings_at_start; i < f->n; i++) {
		free(f->v[i].message);
		free(f->v[i].subject.host);
		free(f->v[i].subject.addr);
	}
	if (f->n > p->findings_at_start)
		f->n = p->findings_at_start;
	free(s->banner);
	free(s->banner_name);
	free(s->ehlo_name);
	s->banner = s->banner_name = s->ehlo_name = NULL;
	mailtls_strlist_clear(&s->caps_pre);
	mailtls_strlist_clear(&s->caps_post);
	s->starttls_offered = s->starttls_accepted = false;
	s->helo_fallback = s->login_disabled = false;
	p->res->dane.n_usable = 0;   /* danefacts_ssl_setup() counts again */
}

/* inject_restart - from the loop, outside the old connection's callbacks: the STARTTLS
 * handshake failed after the command sent with it; the check runs once more, on a new
 * connection, without the probe. Whether the server is vulnerable is said only when that
 * handshake succeeds (inject_retry_verdict): a server that fails every handshake was never
 * tested, and its real failure is what the retry reports. */
static void inject_restart(struct probe *p)
{
	p->inject.restart = false;
	conn_free(p->conn);
	p->conn = NULL;
	inject_forget(p);
	p->inject.retried = true;
	dialog_note(p, "--- the handshake ended: %s", p->inject.why);
	dialog_note(p, "--- a new connection, without the injection probe");
	p->injection = false;
	p->inject.sent = p->inject.plain_answer = false;
	p->state = 0;
	reply_reset(&p->reply);
	p->untagged = 0;
	p->tls = p->quitting = false;
	if (probe_start(p, (const struct sockaddr *)&p->sa, p->salen) != 0) {
		p->res->checked = false;
		free(p->res->unknown_reason);
		p->res->unknown_reason = strdup("cannot open a second connection after the "
						"injection probe");
		dialog_finish(p);
	}
}

/* on_inject_timer - the wait after the STARTTLS handshake is over: report what came
 * inside TLS (or that nothing did), discard it, and go on with the post-TLS dialogue.
 * Or, with inject.restart, run the check again (inject_restart). */
static void on_inject_timer(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;
	size_t partial;
	char cut[64];
	(void)fd;
	(void)what;

	if (!p->finished && p->inject.restart) {
		inject_restart(p);
		return;
	}
	if (p->finished || !p->inject.waiting)
		return;
	p->inject.waiting = false;
	/* A part of a line would otherwise begin the reply to our next command. */
	partial = conn_discard_input(p->conn);
	if (p->inject.lines > 0 || partial > 0) {
		snprintf(cut, sizeof(cut), "%zu bytes without a line end", partial);
		dialog_finding(p, MAILTLS_F_STARTTLS_COMMAND_INJECTION,
			       "STARTTLS command injection: the %s sent in plaintext with %s was "
			       "answered inside TLS (\"%s\"): a man in the middle can inject commands "
			       "(CVE-2011-0411)", p->inject.verb, p->inject.starttls,
			       p->inject.first ? p->inject.first : cut);
		dialog_note(p, "--- %zu lines%s received inside TLS before the client's first "
			    "command: discarded", p->inject.lines, partial ? " and a part" : "");
	} else {
		dialog_finding(p, MAILTLS_F_STARTTLS_INJECTION_TESTED,
			       "not vulnerable: the %s sent in plaintext with %s was %s, and nothing "
			       "came inside TLS within %gs of the handshake", p->inject.verb,
			       p->inject.starttls, p->inject.plain_answer ?
			       "answered in plaintext before the handshake" : "not answered",
			       p->timeout < DIALOG_INJECT_WAIT ? p->timeout : DIALOG_INJECT_WAIT);
	}
	p->ops->tls_done(p);
}

/* inject_timer - the probe's timer, made on first use; false (the probe ended) on ENOMEM. */
static bool inject_timer(struct probe *p)
{
	if (p->inject.ev == NULL &&
	    (p->inject.ev = evtimer_new(p->base, on_inject_timer, p)) == NULL) {
		p->res->checked = false;
		free(p->res->unknown_reason);
		p->res->unknown_reason = strdup("out of memory");
		dialog_finish(p);
		return false;
	}
	return true;
}

/* inject_wait - TLS is up after a STARTTLS sent with a second command: listen for
 * min(DIALOG_INJECT_WAIT, timeout) before sending anything inside TLS. */
static void inject_wait(struct probe *p)
{
	double w = p->timeout < DIALOG_INJECT_WAIT ? p->timeout : DIALOG_INJECT_WAIT;
	struct timeval tv = timeval_of(w);

	if (!inject_timer(p))
		return;
	p->inject.waiting = true;
	dialog_phase(p, "data inside TLS before the client's first command (--injection)");
	dialog_note(p, "--- listening %gs for an answer inside TLS to the %s sent with %s", w,
		    p->inject.verb, p->inject.starttls);
	/* The step deadline must not end the wait first: it runs again from the next command. */
	conn_set_timeout(p->conn, p->timeout + w);
	evtimer_add(p->inject.ev, &tv);
}

/* inject_retry_verdict - the probe-free handshake of a retry succeeded: the first one
 * failed because of the probe, and nothing of it was processed inside TLS. */
static void inject_retry_verdict(struct probe *p)
{
	p->inject.retried = false;
	if (p->inject.client_read_plain)
		dialog_finding(p, MAILTLS_F_STARTTLS_INJECTION_TESTED,
			       "not vulnerable: the server answered the %s sent with %s in plaintext, "
			       "after its go-ahead, and the client read that as TLS data (%s); "
			       "nothing was processed inside TLS. The check ran again on a new "
			       "connection without the probe", p->inject.verb, p->inject.starttls,
			       p->inject.why);
	else
		dialog_finding(p, MAILTLS_F_STARTTLS_INJECTION_TESTED,
			       "not vulnerable: the server took the %s sent in plaintext with %s for "
			       "TLS data and ended the handshake (%s), so nothing was processed "
			       "inside TLS; the check ran again on a new connection without the "
			       "probe, whose handshake succeeded", p->inject.verb, p->inject.starttls,
			       p->inject.why);
}

static void on_tls_done(void *arg)
{
	struct probe *p = arg;

	if (p->handshake_only) {
		p->tls = true;
		p->res->session.tls_established = true;
		/* TLS 1.3 lets a server refuse the client after the client's handshake is
		 * over (a client certificate it wanted: alert certificate_required): only an
		 * answer inside TLS shows the session was accepted. So a TLS 1.3 probe goes on
		 * with the dialogue (EHLO, CAPABILITY, CAPA, then the goodbye); a TLS 1.2 or
		 * older handshake completes only once the server has accepted the client. */
		if (SSL_version(conn_ssl(p->conn)) < TLS1_3_VERSION) {
			dialog_finish(p);
			return;
		}
		if (p->implicit_tls) {
			dialog_phase(p, "the greeting");
			conn_set_timeout(p->conn, p->timeout);
			p->ops->start(p);
		} else {
			p->ops->tls_done(p);
		}
		return;
	}
	dialog_tls_up(p);
	if (p->finished)
		return;
	if (p->inject.retried)
		inject_retry_verdict(p);
	if (p->implicit_tls) {
		dialog_phase(p, "the greeting");
		conn_set_timeout(p->conn, p->timeout);
		p->ops->start(p);
	} else if (p->inject.sent) {
		inject_wait(p);
	} else {
		p->ops->tls_done(p);
	}
}

static void on_fail(void *arg, enum conn_fail why, const char *detail)
{
	struct probe *p = arg;

	if (p->finished)
		return;
	if (p->quitting) {        /* the server hung up after our goodbye: fine */
		dialog_finish(p);
		return;
	}
	/* --injection: a server that hands what followed STARTTLS to its TLS layer (Dovecot
	 * 2.3) fails the handshake and hangs up. It did not process the command inside TLS:
	 * not vulnerable, but the check has no TLS facts. It runs again without the probe,
	 * from the loop (the old connection cannot be freed inside its own callback). */
	if (p->inject.sent && !p->tls && p->res->session.starttls_accepted &&
	    (why == CONN_FAIL_CLOSED || why == CONN_FAIL_TLS || why == CONN_FAIL_ERROR)) {
		struct timeval now = { 0, 0 };

		snprintf(p->inject.why, sizeof(p->inject.why), "%s",
			 detail != NULL ? detail :
			 why == CONN_FAIL_CLOSED ? "connection closed" : "TLS error");
		/* The client failing on plaintext (OpenSSL's "wrong version number"), or
		 * the probe's answer seen in plaintext: the server answered it, in order,
		 * before the handshake, rather than ending the handshake itself. */
		p->inject.client_read_plain = p->inject.plain_answer
			|| (detail != NULL && strstr(detail, "wrong version number") != NULL
			    && strstr(detail, "alert") == NULL);
		if (!inject_timer(p))
			return;
		p->inject.restart = true;
		evtimer_add(p->inject.ev, &now);
		return;
	}
	switch (why) {
	case CONN_FAIL_REFUSED:
		dialog_finding(p, MAILTLS_F_CONN_REFUSED, "connection refused");
		break;
	case CONN_FAIL_TIMEOUT:
		dialog_finding(p, MAILTLS_F_CONN_TIMEOUT, "timed out after %gs waiting for %s%s%s%s", p->timeout,
			       p->phase, detail ? " (" : "", detail ? detail : "", detail ? ")" : "");
		break;
	case CONN_FAIL_CLOSED:
		dialog_finding(p, MAILTLS_F_CONN_CLOSED, "server closed the connection while the client waited for %s%s%s",
			       p->phase, detail ? ": " : "", detail ? detail : "");
		break;
	case CONN_FAIL_ERROR:
		dialog_finding(p, MAILTLS_F_CONN_ERROR, "network error while waiting for %s: %s", p->phase,
			       detail ? detail : "unknown");
		break;
	case CONN_FAIL_LINE_TOO_LONG:
		dialog_finding(p, MAILTLS_F_PROTO_LINE_TOO_LONG,
			       "reply line longer than %d bytes while waiting for %s",
			       REPLY_LINE_MAX, p->phase);
		break;
	case CONN_FAIL_TLS:
		if (p->tls)
			dialog_finding(p, MAILTLS_F_TLS_HANDSHAKE_FAILED,
				       "TLS session failed after the handshake, while waiting for %s: %s",
				       p->phase, detail ? detail : "unknown error");
		else
			dialog_finding(p, MAILTLS_F_TLS_HANDSHAKE_FAILED, "%s failed: %s",
				       p->implicit_tls ? "TLS handshake" : "STARTTLS handshake",
				       detail ? detail : "unknown error");
		break;
	}
	dialog_finish(p);
}

static const struct conn_handler probe_handler = {
	.connected = on_connected,
	.line = on_line,
	.tls_done = on_tls_done,
	.fail = on_fail,
};

int probe_prepare(struct probe *p)
{
	if (p->started.tv_sec == 0 && p->started.tv_nsec == 0)
		clock_gettime(CLOCK_MONOTONIC, &p->started);
	p->ops = dialog_ops_for(p->proto);
	p->implicit_tls = proto_info(p->proto) != NULL && proto_info(p->proto)->implicit_tls;
	p->res->session.implicit_tls = p->implicit_tls;
	if (p->ev_done == NULL)
		p->ev_done = event_new(p->base, -1, 0, on_done_event, p);
	return p->ops != NULL && p->ev_done != NULL ? 0 : MAILTLS_ENOMEM;
}

int probe_start(struct probe *p, const struct sockaddr *sa, socklen_t salen)
{
	if (salen <= sizeof(p->sa) && (const void *)sa != (const void *)&p->sa) {
		memcpy(&p->sa, sa, salen);
		p->salen = salen;
	}
	p->findings_at_start = p->res->findings.n;
	dialog_phase(p, "the TCP connection");
	if (p->conn == NULL && (p->conn = conn_new(p->base, &probe_handler, p)) == NULL) {
		errno = ENOMEM;
		return MAILTLS_ENOMEM;
	}
	return conn_connect(p->conn, sa, salen, p->timeout);
}

STACK_OF(X509) *dialog_take_chain(struct probe *p)
{
	STACK_OF(X509) *c = p->ocsp_chain;

	p->ocsp_chain = NULL;
	return c;
}

void probe_free(struct probe *p)
{
	if (p == NULL)
		return;
	sk_X509_pop_free(p->ocsp_chain, X509_free);
	conn_free(p->conn);
	if (p->ev_done)
		event_free(p->ev_done);
	if (p->inject.ev)
		event_free(p->inject.ev);
	free(p->inject.first);
	mailtls_result_free(p->res);
	reply_free(&p->reply);
	free(p->transcript);
	free(p);
}
