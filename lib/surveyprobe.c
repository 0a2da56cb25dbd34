/*
 * surveyprobe.c - one handshake of a survey as an engine task (surveyprobe.h).
 *
 * Life: a work slot, then a connection to the address (admission: per_address), then the
 * dialogue of dialog.c in handshake-only mode with the offer applied to the SSL, then the
 * outcome read off the probe's result and connection, then done() from the loop.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include "admit.h"
#include "dialog.h"
#include "engine_task.h"
#include "surveyprobe.h"
#include "timeval.h"

struct sprobe {
	struct engine_task task;        /* first: the engine's view */
	const struct survey_target *t;  /* borrowed */
	SSL_CTX *ctx;                   /* borrowed */
	int min_version, max_version;
	bool no_sni;
	char *ciphers, *ciphersuites, *groups, *sigalgs;   /* owned copies, or NULL */
	struct probe *p;
	struct event *ev_cut;           /* the whole probe's deadline */
	survey_probe_done_fn *done;
	void *arg;
};

static void sprobe_free(struct sprobe *s)
{
	if (s == NULL)
		return;
	if (s->ev_cut != NULL)
		event_free(s->ev_cut);
	probe_free(s->p);
	free(s->ciphers);
	free(s->ciphersuites);
	free(s->groups);
	free(s->sigalgs);
	free(s);
}

bool survey_can_compress(void)
{
	return sk_SSL_COMP_num(SSL_COMP_get_compression_methods()) > 0;
}

/* apply_offer - the ssl_setup hook: what this probe offers. */
static int apply_offer(SSL *ssl, void *arg)
{
	const struct sprobe *s = arg;

	if (s->min_version != 0 && SSL_set_min_proto_version(ssl, s->min_version) != 1)
		return -1;
	if (s->max_version != 0 && SSL_set_max_proto_version(ssl, s->max_version) != 1)
		return -1;
	if (s->ciphers != NULL && SSL_set_cipher_list(ssl, s->ciphers) != 1)
		return -1;
	if (s->ciphersuites != NULL && SSL_set_ciphersuites(ssl, s->ciphersuites) != 1)
		return -1;
	if (s->groups != NULL && SSL_set1_groups_list(ssl, s->groups) != 1)
		return -1;
	if (s->sigalgs != NULL && SSL_set1_sigalgs_list(ssl, s->sigalgs) != 1)
		return -1;
	return 0;
}

/* unprefixed - a finding message without the probe's "host[addr]:port: " prefix. */
static const char *unprefixed(const struct probe *p, const char *msg)
{
	size_t n = strlen(p->prefix);

	if (strncmp(msg, p->prefix, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
		return msg + n + 2;
	return msg;
}

/* key_text - "RSA 2048", "EC P-256", "ED25519" for a public key. */
static void key_text(EVP_PKEY *k, char *buf, size_t len)
{
	char group[64];
	size_t glen = 0;

	buf[0] = '\0';
	if (k == NULL)
		return;
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		snprintf(buf, len, "RSA %d", EVP_PKEY_get_bits(k));
		break;
	case EVP_PKEY_DH:
	case EVP_PKEY_DHX:
		snprintf(buf, len, "DH %d", EVP_PKEY_get_bits(k));
		break;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(k, group, sizeof(group), &glen) != 1)
			snprintf(group, sizeof(group), "%d bits", EVP_PKEY_get_bits(k));
		snprintf(buf, len, "EC %s", group);
		break;
	default:
		snprintf(buf, len, "%s", OBJ_nid2sn(EVP_PKEY_get_base_id(k)));
		break;
	}
}

/* capture - the facts of a completed handshake. */
static void capture(SSL *ssl, struct survey_hs *hs)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
	int nid = SSL_get_negotiated_group(ssl);
	EVP_PKEY *tmp = NULL;
	X509 *leaf = SSL_get0_peer_certificate(ssl);
	const char *g = NULL;

	hs->version = SSL_version(ssl);
	snprintf(hs->version_name, sizeof(hs->version_name), "%s", SSL_get_version(ssl));
	if (c != NULL) {
		int kx = SSL_CIPHER_get_kx_nid(c);

		snprintf(hs->cipher, sizeof(hs->cipher), "%s", SSL_CIPHER_get_name(c));
		snprintf(hs->iana, sizeof(hs->iana), "%s", SSL_CIPHER_standard_name(c) ?
			 SSL_CIPHER_standard_name(c) : "");
		hs->cipher_id = SSL_CIPHER_get_protocol_id(c);
		hs->cipher_bits = SSL_CIPHER_get_bits(c, NULL);
		hs->forward_secret = kx == NID_kx_ecdhe || kx == NID_kx_dhe || kx == NID_kx_any ||
				     kx == NID_kx_ecdhe_psk || kx == NID_kx_dhe_psk;
	}
	if (nid != 0 && nid != NID_undef) {
		g = SSL_group_to_name(ssl, nid);
		if (g == NULL)
			g = OBJ_nid2sn(nid & ~TLSEXT_nid_unknown);
	}
	snprintf(hs->group, sizeof(hs->group), "%s", g ? g : "");
	if (SSL_get_peer_tmp_key(ssl, &tmp) == 1 && tmp != NULL) {
		int id = EVP_PKEY_get_base_id(tmp);

		if (id == EVP_PKEY_EC) {
			char name[40];
			size_t nl = 0;

			if (EVP_PKEY_get_group_name(tmp, name, sizeof(name), &nl) != 1)
				snprintf(name, sizeof(name), "?");
			snprintf(hs->kx, sizeof(hs->kx), "ECDH %s", name);
		} else if (id == EVP_PKEY_DH || id == EVP_PKEY_DHX) {
			snprintf(hs->kx, sizeof(hs->kx), "DH %d", EVP_PKEY_get_bits(tmp));
		} else {
			snprintf(hs->kx, sizeof(hs->kx), "%s", OBJ_nid2sn(id));
		}
		hs->kx_bits = EVP_PKEY_get_bits(tmp);
		EVP_PKEY_free(tmp);
	} else {
		snprintf(hs->kx, sizeof(hs->kx), "%s", hs->forward_secret ? "?" : "RSA");
	}
	hs->secure_renegotiation = hs->version <= TLS1_2_VERSION ?
				   (SSL_get_secure_renegotiation_support(ssl) ? 1 : 0) : -1;
	hs->compression = hs->version <= TLS1_2_VERSION && survey_can_compress() ?
			  (SSL_get_current_compression(ssl) != NULL ? 1 : 0) : -1;
	if (leaf != NULL) {
		int sn = X509_get_signature_nid(leaf);

		key_text(X509_get0_pubkey(leaf), hs->key, sizeof(hs->key));
		snprintf(hs->sig_alg, sizeof(hs->sig_alg), "%s",
			 sn != NID_undef ? OBJ_nid2ln(sn) : "unknown");
	}
}

static bool is_smtp(enum mailtls_proto proto)
{
	return proto == MAILTLS_PROTO_SMTP || proto == MAILTLS_PROTO_SUBMISSION ||
	       proto == MAILTLS_PROTO_SMTPS || proto == MAILTLS_PROTO_LMTP;
}

/* reply_code_in - the first three-digit number standing alone in a message ("...: 421
 * 4.7.0 too many"), or 0. */
static int reply_code_in(const char *m)
{
	for (const char *c = m; *c != '\0'; c++) {
		bool at_start = c == m || !isdigit((unsigned char)c[-1]);

		if (at_start && isdigit((unsigned char)c[0]) && isdigit((unsigned char)c[1]) &&
		    isdigit((unsigned char)c[2]) && !isdigit((unsigned char)c[3]))
			return (c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0');
	}
	return 0;
}

/* classify - what the probe's result and connection say. */
static void classify(struct sprobe *s, struct survey_hs *hs)
{
	struct probe *p = s->p;
	const struct mailtls_result *res = p->res;
	const struct tls_alerts *al = p->conn != NULL ? conn_tls_alerts(p->conn) : NULL;

	hs->alert = al != NULL ? al->received : -1;
	if (res->session.tls_established && p->conn != NULL && conn_ssl(p->conn) != NULL &&
	    !mailtls_result_has(res, MAILTLS_F_TLS_HANDSHAKE_FAILED) &&
	    !mailtls_result_has(res, MAILTLS_F_CONN_CLOSED) &&
	    !mailtls_result_has(res, MAILTLS_F_CONN_ERROR) &&
	    !mailtls_result_has(res, MAILTLS_F_CONN_TIMEOUT) &&
	    !mailtls_result_has(res, MAILTLS_F_CONN_DEADLINE)) {
		hs->outcome = SURVEY_HS_OK;
		capture(conn_ssl(p->conn), hs);
		return;
	}
	if (!res->checked) {
		hs->outcome = SURVEY_HS_ERROR;
		snprintf(hs->why, sizeof(hs->why), "%s",
			 res->unknown_reason ? res->unknown_reason : "could not probe");
		return;
	}
	hs->outcome = SURVEY_HS_ERROR;
	snprintf(hs->why, sizeof(hs->why), "no answer");
	for (size_t i = 0; i < res->findings.n; i++) {
		const struct mailtls_finding *f = &res->findings.v[i];
		const char *m = unprefixed(p, f->message);

		switch (f->fid) {
		case MAILTLS_F_TLS_HANDSHAKE_FAILED:
			hs->outcome = SURVEY_HS_REFUSED;
			break;
		case MAILTLS_F_CONN_REFUSED:
			hs->outcome = SURVEY_HS_LIMITED;
			break;
		case MAILTLS_F_PROTO_GREETING_REJECTED:
		case MAILTLS_F_STARTTLS_REFUSED:
			/* SMTP 4xx (421: too many connections), or an IMAP BYE / POP3 -ERR
			 * greeting: the server turned us away for now. SMTP 5xx is no limit. */
			if (is_smtp(res->session.proto))
				hs->outcome = reply_code_in(m) / 100 == 4 ? SURVEY_HS_LIMITED :
					      SURVEY_HS_ERROR;
			else
				hs->outcome = f->fid == MAILTLS_F_PROTO_GREETING_REJECTED ?
					      SURVEY_HS_LIMITED : SURVEY_HS_ERROR;
			break;
		case MAILTLS_F_CONN_CLOSED:
			hs->outcome = res->session.starttls_accepted || res->session.implicit_tls ?
				      SURVEY_HS_REFUSED : SURVEY_HS_LIMITED;
			break;
		case MAILTLS_F_CONN_ERROR:
			hs->outcome = res->session.starttls_accepted || res->session.implicit_tls ?
				      SURVEY_HS_REFUSED : SURVEY_HS_ERROR;
			break;
		case MAILTLS_F_CONN_TIMEOUT:
		case MAILTLS_F_CONN_DEADLINE:
		case MAILTLS_F_STARTTLS_NOT_OFFERED:
		case MAILTLS_F_PROTO_MALFORMED_REPLY:
		case MAILTLS_F_PROTO_LINE_TOO_LONG:
		case MAILTLS_F_PROTO_TOO_MANY_LINES:
			hs->outcome = SURVEY_HS_ERROR;
			break;
		default:
			continue;
		}
		/* "STARTTLS handshake failed: server sent alert ...": the probe is a handshake,
		 * its outcome needs no saying twice. */
		if (hs->outcome == SURVEY_HS_REFUSED) {
			static const char *const said[] = { "STARTTLS handshake failed: ",
							    "TLS handshake failed: " };

			for (size_t k = 0; k < sizeof(said) / sizeof(*said); k++)
				if (strncmp(m, said[k], strlen(said[k])) == 0)
					m += strlen(said[k]);
		}
		snprintf(hs->why, sizeof(hs->why), "%s", m);
		return;
	}
}

static void on_probe_done(struct probe *p, void *arg)
{
	struct sprobe *s = arg;
	struct survey_hs hs;
	survey_probe_done_fn *done = s->done;
	void *darg = s->arg;

	(void)p;
	memset(&hs, 0, sizeof(hs));
	classify(s, &hs);
	engine_task_end(&s->task);
	sprobe_free(s);
	done(&hs, darg);
}

static void on_cut(evutil_socket_t fd, short what, void *arg)
{
	struct sprobe *s = arg;

	(void)fd;
	(void)what;
	dialog_cut(s->p);
}

/* start - the connection was granted: make the probe and connect. */
static void start(struct sprobe *s)
{
	struct mailtls_engine *e = s->task.e;
	const struct survey_target *t = s->t;
	struct probe *p;
	struct timeval tv;
	double whole = 4 * t->timeout;

	if (s->p != NULL) {   /* a refused socket brought us back: start afresh */
		probe_free(s->p);
		s->p = NULL;
	}
	s->p = p = calloc(1, sizeof(*p));   /* s owns it from here: sprobe_free() frees it */
	if (p == NULL || (p->res = mailtls_result_new()) == NULL)
		goto fail;
	p->base = engine_base(e);
	p->ssl_ctx = s->ctx;
	p->proto = t->proto;
	p->timeout = t->timeout;
	p->deadline = whole;
	p->sni = t->sni[0] && !s->no_sni ? t->sni : NULL;
	p->handshake_only = true;
	p->ssl_setup = apply_offer;
	p->ssl_setup_arg = s;
	p->done = on_probe_done;
	p->done_arg = s;
	snprintf(p->ehlo_name, sizeof(p->ehlo_name), "%s", t->ehlo);
	snprintf(p->ip, sizeof(p->ip), "%s", t->ip);
	snprintf(p->prefix, sizeof(p->prefix), "%s", t->prefix);
	p->res->have_session = true;
	p->res->session.proto = t->proto;
	if (probe_prepare(p) != 0)
		goto fail;
	tv = timeval_of(whole);
	if (s->ev_cut == NULL && (s->ev_cut = evtimer_new(p->base, on_cut, s)) == NULL)
		goto fail;
	evtimer_add(s->ev_cut, &tv);
	if (probe_start(p, (const struct sockaddr *)&t->sa, t->salen) == 0)
		return;
	if (errno == EMFILE || errno == ENFILE) {
		evtimer_del(s->ev_cut);
		(void)admit_conn_refused(engine_admit(e), &s->task.ticket);
		return;
	}
	p->res->checked = false;
	p->res->unknown_reason = strdup("cannot start the connection");
	dialog_finish(p);
	return;
fail:
	if (p != NULL && p->ev_done != NULL) {
		p->res->checked = false;
		dialog_finish(p);
		return;
	}
	/* Not even a probe to finish from: end here, from the loop (we are in a grant). */
	{
		struct survey_hs hs;
		survey_probe_done_fn *done = s->done;
		void *darg = s->arg;

		memset(&hs, 0, sizeof(hs));
		hs.outcome = SURVEY_HS_ERROR;
		hs.alert = -1;
		snprintf(hs.why, sizeof(hs.why), "out of memory");
		engine_task_end(&s->task);
		sprobe_free(s);
		done(&hs, darg);
	}
}

static void sprobe_granted(struct engine_task *t)
{
	struct sprobe *s = (struct sprobe *)t;

	if (t->ticket.state == ADMIT_SLOT) {
		if (admit_want_conn(engine_admit(t->e), &t->ticket,
				    (const struct sockaddr *)&s->t->sa) != 0) {
			survey_probe_done_fn *done = s->done;
			void *darg = s->arg;
			struct survey_hs hs;

			memset(&hs, 0, sizeof(hs));
			hs.outcome = SURVEY_HS_ERROR;
			hs.alert = -1;
			snprintf(hs.why, sizeof(hs.why), "out of memory");
			engine_task_end(t);
			sprobe_free(s);
			done(&hs, darg);
		}
		return;
	}
	start(s);
}

/* Kept tasks are never dropped by mailtls_engine_stop_queue(); this is for completeness. */
static void sprobe_dropped(struct engine_task *t, void (*forget)(void *arg))
{
	(void)forget;
	engine_task_end(t);
	sprobe_free((struct sprobe *)t);
}

static void sprobe_abandon(struct engine_task *t)
{
	sprobe_free((struct sprobe *)t);
}

static const struct engine_task_ops sprobe_ops = {
	.kind = "survey probe",
	.granted = sprobe_granted,
	.dropped = sprobe_dropped,
	.abandon = sprobe_abandon,
};

static int dup_opt(char **out, const char *s)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	*out = strdup(s);
	return *out != NULL ? 0 : -1;
}

int surveyprobe_submit(struct mailtls_engine *e, const struct survey_target *t,
		       const struct survey_offer *o, survey_probe_done_fn *done, void *arg)
{
	struct sprobe *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return MAILTLS_ENOMEM;
	s->t = t;
	s->ctx = o->ctx;
	s->min_version = o->min_version;
	s->max_version = o->max_version;
	s->no_sni = o->no_sni;
	s->done = done;
	s->arg = arg;
	if (dup_opt(&s->ciphers, o->ciphers) != 0 || dup_opt(&s->ciphersuites, o->ciphersuites) != 0 ||
	    dup_opt(&s->groups, o->groups) != 0 || dup_opt(&s->sigalgs, o->sigalgs) != 0) {
		sprobe_free(s);
		return MAILTLS_ENOMEM;
	}
	s->task.ticket.kept = true;   /* part of a check at work: stop_queue leaves it */
	engine_task_add(e, &s->task, &sprobe_ops);
	return 0;
}
