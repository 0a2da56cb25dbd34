/*
 * surveyrun.c - the survey planner (surveyrun.h; what it finds: mailtls/survey.h).
 *
 * Work is a queue of steps, each one probe with a purpose:
 *   VERSION v      everything this OpenSSL can offer for v alone; accepted: the suite the
 *                  server chose is the first of v's list, and CIPHER v follows
 *   CIPHER v       the same offer without the suites already listed; the server's choice
 *                  is the next; a refusal ends the list (then ORDER v, with two or more)
 *   ORDER v        the first two suites in the other order: the same choice means the
 *                  server decides by its own order
 *   GROUP, GORDER  the same for key exchange groups, with the highest version that has
 *                  groups (TLS 1.3, else TLS 1.2 with ECDHE suites only)
 *   KEYTYPE k      only RSA, only ECDSA, only EdDSA signatures, with the highest version
 *   PROFILE i      a sender profile's own offer (its SSL_CTX)
 * The VERSION steps run first; the others are planned when all four are answered. At most
 * `window` probes run at once. A probe the server limits (surveyprobe.h: LIMITED) goes
 * back to the head of the queue and nothing starts until a pause (0.5 s, doubling up to
 * 4 s while limits follow each other) is over; after SURVEY_TRIES limits of one step, or
 * SURVEY_LIMITS in all, it counts as unanswered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/queue.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include "engine_task.h"
#include "escape.h"
#include "profile_tls.h"
#include "surveyrun.h"
#include "timeval.h"

#define SURVEY_TRIES 4            /* limits of one step before it counts as unanswered */
#define SURVEY_LIMITS 32          /* limits in all before every limit ends its step */
#define SURVEY_PAUSE_FIRST 0.5    /* seconds of the first pause after a limit */
#define SURVEY_PAUSE_MAX 4.0

static const int version_code[MAILTLS_SURVEY_VERSIONS] = {
	TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION, TLS1_3_VERSION,
};
static const char *const version_name[MAILTLS_SURVEY_VERSIONS] = {
	"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3",
};
#define V13 3
#define V12 2

/* Everything OpenSSL 3.0 can offer in TLS 1.3, and the groups per kind of version. */
static const char *const suites13[] = {
	"TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256",
	"TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256",
};
static const char *const groups13[] = {
	"x25519", "secp256r1", "x448", "secp384r1", "secp521r1",
	"ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192",
};
static const char *const groups12[] = {
	"x25519", "secp256r1", "x448", "secp384r1", "secp521r1",
	"brainpoolP256r1", "brainpoolP384r1", "brainpoolP512r1",
	"secp224r1", "secp256k1", "secp192r1",
};
#define GROUPS_ALL13 "x25519:secp256r1:x448:secp384r1:secp521r1:ffdhe2048:ffdhe3072:ffdhe4096:ffdhe6144:ffdhe8192"
#define GROUPS_ALL12 "x25519:secp256r1:x448:secp384r1:secp521r1:brainpoolP256r1:brainpoolP384r1:brainpoolP512r1:secp224r1:secp256k1:secp192r1"

/* Key types: the signatures that leave the server one family of certificate. */
static const struct {
	const char *family;
	const char *sigalgs13;
	const char *sigalgs12;
	const char *ciphers12;
} keytype[3] = {
	{ "RSA", "rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512:"
		 "rsa_pss_pss_sha256:rsa_pss_pss_sha384:rsa_pss_pss_sha512",
	  "RSA+SHA256:RSA+SHA384:RSA+SHA512:RSA+SHA1:RSA-PSS+SHA256:RSA-PSS+SHA384:"
	  "RSA-PSS+SHA512", "aRSA" },
	{ "ECDSA", "ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512",
	  "ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512:ECDSA+SHA1", "aECDSA" },
	{ "EdDSA", "ed25519:ed448", "ed25519:ed448", "aECDSA" },
};

enum step_kind { ST_VERSION, ST_CIPHER, ST_ORDER, ST_GROUP, ST_GORDER, ST_KEYTYPE, ST_PROFILE };

struct surveyrun;

struct step {
	struct surveyrun *r;
	enum step_kind kind;
	int vi;                        /* the version index it offers */
	int arg;                       /* key type or profile index */
	struct survey_offer offer;     /* its strings below */
	char *ciphers, *suites, *groups;
	int tries;
	TAILQ_ENTRY(step) link;
};
TAILQ_HEAD(step_list, step);

/* A list being enumerated: candidates in offer order, and which the server chose. */
struct enumeration {
	char **cand;
	size_t n;
	bool *taken;
	char **chosen;                 /* borrowed from cand, in the server's order */
	size_t n_chosen;
};

struct surveyrun {
	struct mailtls_engine *e;
	struct survey_target t;
	SSL_CTX *ctx;                  /* security level 0, every version */
	SSL_CTX **profile_ctx;         /* one per profile (owned) */
	const struct mailtls_profile *const *profiles;
	size_t n_profiles;
	struct mailtls_survey *facts;
	struct step_list ready;
	struct step_list inflight;     /* submitted: their probes hold them */
	size_t running;
	size_t window;
	size_t versions_answered;
	struct enumeration ciphers[MAILTLS_SURVEY_VERSIONS];
	struct enumeration groups;
	int group_vi;
	struct event *ev_pause;
	bool paused;
	double pause;                  /* the last pause, 0 after a probe that was not limited */
	struct timespec started;
	surveyrun_done_fn *done;
	void *arg;
	bool over;
};

static void pump(struct surveyrun *r);

/* surveyrun_profile_setup - the facts entry and the TLS context of one sender profile. */
static int surveyrun_profile_setup(const struct mailtls_profile *prof,
				   struct mailtls_survey_profile *fp, SSL_CTX **ctx,
				   char *why, size_t whylen)
{
	fp->name = strdup(prof->name);
	fp->title = strdup(prof->title);
	fp->on_failure = (int)prof->on_handshake_failure;
	fp->versions = prof->versions;
	fp->sni = prof->sni;
	fp->alert = -1;
	if (fp->name == NULL || fp->title == NULL) {
		snprintf(why, whylen, "out of memory");
		return MAILTLS_ENOMEM;
	}
	if ((*ctx = profile_ssl_ctx(prof, why, whylen)) == NULL)
		return MAILTLS_EINVAL;
	return 0;
}

static void step_free(struct step *s)
{
	if (s == NULL)
		return;
	free(s->ciphers);
	free(s->suites);
	free(s->groups);
	free(s);
}

static void enumeration_clear(struct enumeration *en)
{
	for (size_t i = 0; i < en->n; i++)
		free(en->cand[i]);
	free(en->cand);
	free(en->taken);
	free(en->chosen);
	memset(en, 0, sizeof(*en));
}

/* enumeration_set - candidates from names (copied). 0 or -1. */
static int enumeration_add(struct enumeration *en, const char *name)
{
	char **c = realloc(en->cand, (en->n + 1) * sizeof(*c));

	if (c == NULL)
		return -1;
	en->cand = c;
	if ((c[en->n] = strdup(name)) == NULL)
		return -1;
	en->n++;
	return 0;
}

static int enumeration_ready(struct enumeration *en)
{
	en->taken = calloc(en->n ? en->n : 1, sizeof(*en->taken));
	en->chosen = calloc(en->n ? en->n : 1, sizeof(*en->chosen));
	return en->taken != NULL && en->chosen != NULL ? 0 : -1;
}

/* enumeration_take - the server chose name: mark it; -1 when it is no candidate or
 * was chosen before (the server chose what we did not offer). */
static int enumeration_take(struct enumeration *en, const char *name)
{
	for (size_t i = 0; i < en->n; i++)
		if (strcasecmp(en->cand[i], name) == 0) {
			if (en->taken[i])
				return -1;
			en->taken[i] = true;
			en->chosen[en->n_chosen++] = en->cand[i];
			return 0;
		}
	return -1;
}

/* enumeration_rest - the candidates not yet chosen, joined by ':'; NULL on ENOMEM, ""
 * when none is left. */
static char *enumeration_rest(const struct enumeration *en)
{
	size_t len = 1;
	char *s, *o;

	for (size_t i = 0; i < en->n; i++)
		if (!en->taken[i])
			len += strlen(en->cand[i]) + 1;
	if ((s = malloc(len)) == NULL)
		return NULL;
	o = s;
	*o = '\0';
	for (size_t i = 0; i < en->n; i++)
		if (!en->taken[i]) {
			size_t l = strlen(en->cand[i]);

			if (o != s)
				*o++ = ':';
			memcpy(o, en->cand[i], l);
			o += l;
			*o = '\0';
		}
	return s;
}

/* join2 - "b:a": the first two chosen, the other way round. */
static char *join2(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 2);

	if (s != NULL) {
		memcpy(s, b, lb);
		s[lb] = ':';
		memcpy(s + lb + 1, a, la + 1);
	}
	return s;
}

/* ---- Steps ---- */

static struct step *step_new(struct surveyrun *r, enum step_kind kind, int vi, int arg)
{
	struct step *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->r = r;
	s->kind = kind;
	s->vi = vi;
	s->arg = arg;
	s->offer.ctx = r->ctx;
	if (vi >= 0) {
		s->offer.min_version = version_code[vi];
		s->offer.max_version = version_code[vi];
	}
	return s;
}

/* queue - plan a step (tail); on ENOMEM the step is lost and the run notes it. */
static void queue(struct surveyrun *r, struct step *s, bool ok)
{
	if (s == NULL || !ok) {
		step_free(s);
		r->facts->unanswered++;
		return;
	}
	s->offer.ciphers = s->ciphers;
	s->offer.ciphersuites = s->suites;
	s->offer.groups = s->groups;
	TAILQ_INSERT_TAIL(&r->ready, s, link);
}

/* plan_ciphers - a probe offering v's candidates not yet chosen. */
static void plan_ciphers(struct surveyrun *r, int vi, enum step_kind kind)
{
	struct step *s = step_new(r, kind, vi, 0);
	char *rest = s != NULL ? enumeration_rest(&r->ciphers[vi]) : NULL;
	bool ok = rest != NULL;

	if (s != NULL && rest != NULL) {
		if (vi == V13) {
			s->suites = rest;
			s->groups = strdup(GROUPS_ALL13);
			ok = s->groups != NULL;
		} else {
			s->ciphers = rest;
			s->groups = strdup(GROUPS_ALL12);
			ok = s->groups != NULL;
		}
	} else {
		free(rest);
	}
	queue(r, s, ok);
}

static void plan_order(struct surveyrun *r, int vi)
{
	const struct enumeration *en = &r->ciphers[vi];
	struct step *s = step_new(r, ST_ORDER, vi, 0);
	char *two = s != NULL ? join2(en->chosen[0], en->chosen[1]) : NULL;
	bool ok = two != NULL;

	if (s != NULL && two != NULL) {
		if (vi == V13)
			s->suites = two;
		else
			s->ciphers = two;
		s->groups = strdup(vi == V13 ? GROUPS_ALL13 : GROUPS_ALL12);
		ok = s->groups != NULL;
	} else {
		free(two);
	}
	queue(r, s, ok);
}

static void plan_groups(struct surveyrun *r, enum step_kind kind)
{
	struct step *s = step_new(r, kind, r->group_vi, 0);
	bool ok = false;

	if (s != NULL) {
		s->groups = kind == ST_GORDER ? join2(r->groups.chosen[0], r->groups.chosen[1]) :
			    enumeration_rest(&r->groups);
		ok = s->groups != NULL;
		/* TLS 1.2: only suites whose key exchange uses a group (ECDHE); TLS 1.3:
		 * every suite does (the context's suites). */
		if (ok && r->group_vi != V13)
			ok = (s->ciphers = strdup("kECDHE")) != NULL;
	}
	queue(r, s, ok);
}

static void plan_keytype(struct surveyrun *r, int vi, int k)
{
	struct step *s = step_new(r, ST_KEYTYPE, vi, k);
	bool ok = false;

	if (s != NULL) {
		s->offer.sigalgs = vi == V13 ? keytype[k].sigalgs13 : keytype[k].sigalgs12;
		if (vi != V13) {
			s->ciphers = strdup(keytype[k].ciphers12);
			ok = s->ciphers != NULL;
		} else {
			ok = true;
		}
	}
	queue(r, s, ok);
}

/* plan_profiles - one probe per sender profile, with its own context and SNI habit. */
static void plan_profiles(struct surveyrun *r)
{
	for (size_t i = 0; i < r->n_profiles; i++) {
		struct step *s = step_new(r, ST_PROFILE, -1, (int)i);

		if (s != NULL) {
			s->offer.ctx = r->profile_ctx[i];
			s->offer.no_sni = !r->profiles[i]->sni;
		}
		queue(r, s, s != NULL);
	}
}

/* plan_after_versions - every version answered: the groups, key types and profiles. */
static void plan_after_versions(struct surveyrun *r)
{
	struct mailtls_survey *f = r->facts;
	int top = -1;

	for (int vi = 0; vi < MAILTLS_SURVEY_VERSIONS; vi++)
		if (f->versions[vi].state == MAILTLS_SURVEY_ACCEPTED)
			top = vi;
	r->group_vi = f->versions[V13].state == MAILTLS_SURVEY_ACCEPTED ? V13 :
		      f->versions[V12].state == MAILTLS_SURVEY_ACCEPTED ? V12 : -1;
	if (r->group_vi >= 0) {
		const char *const *g = r->group_vi == V13 ? groups13 : groups12;
		size_t n = r->group_vi == V13 ? sizeof(groups13) / sizeof(*groups13) :
			   sizeof(groups12) / sizeof(*groups12);
		bool ok = true;

		for (size_t i = 0; i < n && ok; i++)
			ok = enumeration_add(&r->groups, g[i]) == 0;
		if (ok && enumeration_ready(&r->groups) == 0) {
			f->groups_version = version_name[r->group_vi];
			plan_groups(r, ST_GROUP);
		} else {
			f->unanswered++;
		}
	}
	if (top >= 0) {
		/* Before TLS 1.2 there are no signature algorithms to offer: the suites alone
		 * choose the certificate, and ECDSA suites serve EdDSA keys too. */
		f->keytypes_version = version_name[top];
		for (int k = 0; k < (top >= V12 ? 3 : 2); k++)
			plan_keytype(r, top, k);
	}
	plan_profiles(r);
}

/* ---- Outcomes ---- */

static char *hs_words(const struct survey_hs *hs)
{
	return escape_text(hs->why, strlen(hs->why));
}

/* add_cipher - the server chose hs's suite for version vi. */
static int add_cipher(struct surveyrun *r, int vi, const struct survey_hs *hs)
{
	struct mailtls_survey_version *v = &r->facts->versions[vi];
	struct mailtls_survey_cipher *c;

	if (enumeration_take(&r->ciphers[vi], hs->cipher) != 0)
		return -1;
	if (v->n_ciphers == MAILTLS_SURVEY_CIPHERS_MAX)
		return -1;
	if (v->ciphers == NULL &&
	    (v->ciphers = calloc(MAILTLS_SURVEY_CIPHERS_MAX, sizeof(*v->ciphers))) == NULL)
		return -1;
	c = &v->ciphers[v->n_ciphers];
	c->name = strdup(hs->cipher);
	c->iana = strdup(hs->iana);
	c->kx = strdup(hs->kx);
	c->id = hs->cipher_id;
	c->kx_bits = hs->kx_bits;
	c->forward_secret = hs->forward_secret;
	c->strength_bits = hs->cipher_bits;
	v->n_ciphers++;
	if (c->name == NULL || c->iana == NULL || c->kx == NULL)
		return -1;
	return 0;
}

static void note_reneg(struct mailtls_survey *f, const struct survey_hs *hs)
{
	if (hs->secure_renegotiation < 0)
		return;
	if (f->secure_renegotiation != 0)
		f->secure_renegotiation = hs->secure_renegotiation;
	if (hs->compression >= 0 && f->compression != 1)
		f->compression = hs->compression;
}

static void version_answered(struct surveyrun *r)
{
	if (++r->versions_answered == MAILTLS_SURVEY_VERSIONS)
		plan_after_versions(r);
}

/* unanswered - a step ends without an answer (error, or limited too often). */
static void unanswered(struct surveyrun *r, struct step *s, const struct survey_hs *hs)
{
	struct mailtls_survey *f = r->facts;

	f->unanswered++;
	switch (s->kind) {
	case ST_VERSION:
		f->versions[s->vi].state = MAILTLS_SURVEY_UNKNOWN;
		f->versions[s->vi].why = hs_words(hs);
		version_answered(r);
		break;
	case ST_CIPHER:
		f->versions[s->vi].complete = false;
		break;
	case ST_GROUP:
		f->groups_complete = false;
		break;
	case ST_KEYTYPE:
		f->keytypes[s->arg].state = MAILTLS_SURVEY_UNKNOWN;
		break;
	case ST_PROFILE:
		f->profiles[s->arg].state = MAILTLS_SURVEY_UNKNOWN;
		f->profiles[s->arg].why = hs_words(hs);
		f->profiles[s->arg].alert = hs->alert;
		break;
	case ST_ORDER:
	case ST_GORDER:
		break;
	}
}

static void answered(struct surveyrun *r, struct step *s, const struct survey_hs *hs)
{
	struct mailtls_survey *f = r->facts;
	bool ok = hs->outcome == SURVEY_HS_OK;

	if (ok)
		note_reneg(f, hs);
	switch (s->kind) {
	case ST_VERSION: {
		struct mailtls_survey_version *v = &f->versions[s->vi];

		if (ok && hs->version == version_code[s->vi] && add_cipher(r, s->vi, hs) == 0) {
			v->state = MAILTLS_SURVEY_ACCEPTED;
			v->complete = true;
			plan_ciphers(r, s->vi, ST_CIPHER);
		} else if (ok) {
			v->state = MAILTLS_SURVEY_UNKNOWN;
			v->why = strdup("the server answered with another version or suite than offered");
		} else {
			v->state = MAILTLS_SURVEY_REJECTED;
			v->why = hs_words(hs);
		}
		version_answered(r);
		break;
	}
	case ST_CIPHER: {
		struct mailtls_survey_version *v = &f->versions[s->vi];

		if (!ok)
			break;   /* the rest is refused: the list is whole */
		if (add_cipher(r, s->vi, hs) != 0) {
			v->complete = false;
			break;
		}
		if (v->n_ciphers < r->ciphers[s->vi].n)
			plan_ciphers(r, s->vi, ST_CIPHER);
		else if (v->n_ciphers >= 2)   /* every candidate taken: the list is whole */
			plan_order(r, s->vi);
		break;
	}
	case ST_ORDER: {
		const struct enumeration *en = &r->ciphers[s->vi];

		if (ok)
			f->versions[s->vi].server_order = strcasecmp(hs->cipher, en->chosen[0]) == 0;
		break;
	}
	case ST_GROUP:
		if (!ok)
			break;
		if (hs->group[0] == '\0' || enumeration_take(&r->groups, hs->group) != 0 ||
		    r->groups.n_chosen > MAILTLS_SURVEY_GROUPS_MAX) {
			f->groups_complete = false;
			break;
		}
		if (r->groups.n_chosen < r->groups.n) {
			plan_groups(r, ST_GROUP);
		} else {
			f->groups_complete = true;
			if (r->groups.n_chosen >= 2)
				plan_groups(r, ST_GORDER);
		}
		break;
	case ST_GORDER:
		if (ok)
			f->groups_server_order = strcasecmp(hs->group, r->groups.chosen[0]) == 0;
		break;
	case ST_KEYTYPE: {
		struct mailtls_survey_keytype *k = &f->keytypes[s->arg];

		k->state = ok ? MAILTLS_SURVEY_ACCEPTED : MAILTLS_SURVEY_REJECTED;
		if (ok) {
			k->key = strdup(hs->key);
			k->sig_alg = strdup(hs->sig_alg);
		}
		break;
	}
	case ST_PROFILE: {
		struct mailtls_survey_profile *p = &f->profiles[s->arg];

		p->state = ok ? MAILTLS_SURVEY_ACCEPTED : MAILTLS_SURVEY_REJECTED;
		p->alert = hs->alert;
		if (ok) {
			p->version = strdup(hs->version_name);
			p->cipher = strdup(hs->cipher);
			p->group = hs->group[0] ? strdup(hs->group) : NULL;
		} else {
			p->why = hs_words(hs);
		}
		break;
	}
	}
}

/* Chains that end with a refusal: what follows them. */
static void chain_ended(struct surveyrun *r, const struct step *s, bool refused)
{
	struct mailtls_survey *f = r->facts;

	if (s->kind == ST_CIPHER && refused && f->versions[s->vi].n_ciphers >= 2)
		plan_order(r, s->vi);
	if (s->kind == ST_GROUP && refused) {
		f->groups_complete = true;
		if (r->groups.n_chosen >= 2)
			plan_groups(r, ST_GORDER);
	}
}

static void finish(struct surveyrun *r)
{
	struct timespec now;
	struct mailtls_survey *f = r->facts;

	r->over = true;
	clock_gettime(CLOCK_MONOTONIC, &now);
	f->elapsed_ms = (double)(now.tv_sec - r->started.tv_sec) * 1e3 +
			(double)(now.tv_nsec - r->started.tv_nsec) / 1e6;
	for (size_t i = 0; i < r->groups.n_chosen; i++) {
		char **g = realloc(f->groups, (f->n_groups + 1) * sizeof(*g));

		if (g == NULL)
			break;
		f->groups = g;
		if ((g[f->n_groups] = strdup(r->groups.chosen[i])) == NULL)
			break;
		f->n_groups++;
	}
	r->facts = NULL;
	r->done(f, r->arg);
}

static void on_pause_over(evutil_socket_t fd, short what, void *arg)
{
	struct surveyrun *r = arg;

	(void)fd;
	(void)what;
	r->paused = false;
	pump(r);
}

static void limited(struct surveyrun *r, struct step *s, const struct survey_hs *hs)
{
	struct mailtls_survey *f = r->facts;
	struct timeval tv;

	f->limited++;
	if (f->limited_why == NULL)
		f->limited_why = hs_words(hs);
	if (++s->tries >= SURVEY_TRIES || f->limited > SURVEY_LIMITS) {
		struct survey_hs why = *hs;

		snprintf(why.why, sizeof(why.why), "the server kept limiting us: %.200s", hs->why);
		unanswered(r, s, &why);
		step_free(s);
		return;
	}
	TAILQ_INSERT_HEAD(&r->ready, s, link);
	r->pause = r->pause == 0 ? SURVEY_PAUSE_FIRST :
		   r->pause * 2 > SURVEY_PAUSE_MAX ? SURVEY_PAUSE_MAX : r->pause * 2;
	f->backoff_s += r->pause;
	r->paused = true;
	tv = timeval_of(r->pause);
	evtimer_add(r->ev_pause, &tv);
}

static void on_probe(const struct survey_hs *hs, void *arg)
{
	struct step *s = arg;
	struct surveyrun *r = s->r;

	TAILQ_REMOVE(&r->inflight, s, link);
	r->running--;
	if (hs->outcome == SURVEY_HS_LIMITED) {
		limited(r, s, hs);   /* keeps or frees s */
	} else {
		r->pause = 0;
		if (hs->outcome == SURVEY_HS_ERROR) {
			unanswered(r, s, hs);
		} else {
			answered(r, s, hs);
			chain_ended(r, s, hs->outcome == SURVEY_HS_REFUSED);
		}
		step_free(s);
	}
	pump(r);
}

/* out_of_time - the survey has run MAILTLS_SURVEY_TIME_STEPS step timeouts: a server
 * that answers every probe slowly (or a long back-off) must not hold a scan for hours. */
static bool out_of_time(const struct surveyrun *r)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - r->started.tv_sec) +
	       (double)(now.tv_nsec - r->started.tv_nsec) / 1e9 >
	       MAILTLS_SURVEY_TIME_STEPS * r->t.timeout;
}

/* pump - start what may start; finish when nothing is left. */
static void pump(struct surveyrun *r)
{
	struct mailtls_survey *f = r->facts;

	if (r->over)
		return;
	while (!r->paused && r->running < r->window && !TAILQ_EMPTY(&r->ready)) {
		struct step *s = TAILQ_FIRST(&r->ready);

		TAILQ_REMOVE(&r->ready, s, link);
		if (f->probes >= MAILTLS_SURVEY_PROBES_MAX || out_of_time(r)) {
			struct survey_hs hs;

			memset(&hs, 0, sizeof(hs));
			hs.alert = -1;
			if (f->probes >= MAILTLS_SURVEY_PROBES_MAX) {
				snprintf(hs.why, sizeof(hs.why), "not asked: the survey made %d "
					 "handshakes", MAILTLS_SURVEY_PROBES_MAX);
				f->capped = true;
			} else {
				snprintf(hs.why, sizeof(hs.why), "not asked: the survey reached its "
					 "time limit of %gs", MAILTLS_SURVEY_TIME_STEPS * r->t.timeout);
				f->out_of_time = true;
			}
			unanswered(r, s, &hs);
			step_free(s);
			continue;
		}
		if (surveyprobe_submit(r->e, &r->t, &s->offer, on_probe, s) != 0) {
			struct survey_hs hs;

			memset(&hs, 0, sizeof(hs));
			hs.alert = -1;
			snprintf(hs.why, sizeof(hs.why), "out of memory");
			unanswered(r, s, &hs);
			step_free(s);
			continue;
		}
		TAILQ_INSERT_TAIL(&r->inflight, s, link);
		f->probes++;
		r->running++;
	}
	if (r->running == 0 && !r->paused && TAILQ_EMPTY(&r->ready))
		finish(r);
}

/* candidates - what this OpenSSL offers for version vi at security level 0. */
static int candidates(struct surveyrun *r, int vi)
{
	struct enumeration *en = &r->ciphers[vi];
	SSL *ssl;
	STACK_OF(SSL_CIPHER) *sk;
	int rc = 0;

	if (vi == V13) {
		for (size_t i = 0; i < sizeof(suites13) / sizeof(*suites13); i++)
			if (enumeration_add(en, suites13[i]) != 0)
				return -1;
		return enumeration_ready(en);
	}
	if ((ssl = SSL_new(r->ctx)) == NULL)
		return -1;
	if (SSL_set_min_proto_version(ssl, version_code[vi]) != 1 ||
	    SSL_set_max_proto_version(ssl, version_code[vi]) != 1 ||
	    (sk = SSL_get1_supported_ciphers(ssl)) == NULL) {
		SSL_free(ssl);
		return -1;
	}
	for (int i = 0; i < sk_SSL_CIPHER_num(sk) && rc == 0; i++) {
		const SSL_CIPHER *c = sk_SSL_CIPHER_value(sk, i);

		/* The list already leaves out what the version cannot use; TLS 1.3 suites
		 * are asked separately. */
		if (strcmp(SSL_CIPHER_get_version(c), "TLSv1.3") != 0 && en->n < 256)
			rc = enumeration_add(en, SSL_CIPHER_get_name(c));
	}
	sk_SSL_CIPHER_free(sk);
	SSL_free(ssl);
	return rc == 0 ? enumeration_ready(en) : -1;
}

static SSL_CTX *survey_ctx(char *why, size_t whylen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		snprintf(why, whylen, "cannot create the survey's TLS context");
		return NULL;
	}
	/* Probes carry no mail and judge nothing: they must be able to offer what a server
	 * should no longer accept (TLS 1.0, SHA-1, small keys) to find out whether it does. */
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
				 SSL_OP_LEGACY_SERVER_CONNECT);
	/* Offer compression (CRIME) where this OpenSSL has any to offer: a server that
	 * takes it is a finding. */
	if (survey_can_compress())
		SSL_CTX_clear_options(ctx, SSL_OP_NO_COMPRESSION);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL:@SECLEVEL=0") != 1) {
		snprintf(why, whylen, "cannot set the survey's TLS offer up");
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

void surveyrun_free(struct surveyrun *r)
{
	struct step *s;

	if (r == NULL)
		return;
	while ((s = TAILQ_FIRST(&r->ready)) != NULL) {
		TAILQ_REMOVE(&r->ready, s, link);
		step_free(s);
	}
	/* Steps whose probes are still the engine's: the engine abandons those probes
	 * without calling back (only when it is being freed, the one time a run is freed
	 * before its end). */
	while ((s = TAILQ_FIRST(&r->inflight)) != NULL) {
		TAILQ_REMOVE(&r->inflight, s, link);
		step_free(s);
	}
	if (r->ev_pause != NULL)
		event_free(r->ev_pause);
	for (int vi = 0; vi < MAILTLS_SURVEY_VERSIONS; vi++)
		enumeration_clear(&r->ciphers[vi]);
	enumeration_clear(&r->groups);
	for (size_t i = 0; i < r->n_profiles && r->profile_ctx != NULL; i++)
		SSL_CTX_free(r->profile_ctx[i]);
	free(r->profile_ctx);
	SSL_CTX_free(r->ctx);
	mailtls_survey_free(r->facts);
	free(r);
}

int surveyrun_start(struct mailtls_engine *e, const struct survey_target *t, size_t window,
		    bool profiles_only, const struct mailtls_profile *const *profiles,
		    size_t n_profiles, surveyrun_done_fn *done, void *arg, struct surveyrun **out,
		    char *why, size_t whylen)
{
	struct surveyrun *r = calloc(1, sizeof(*r));
	struct mailtls_survey *f;

	*out = NULL;
	if (r == NULL)
		goto nomem;
	TAILQ_INIT(&r->ready);
	TAILQ_INIT(&r->inflight);
	r->e = e;
	r->t = *t;
	r->window = window ? window : 1;
	r->done = done;
	r->arg = arg;
	r->profiles = profiles;
	clock_gettime(CLOCK_MONOTONIC, &r->started);
	if ((r->facts = f = calloc(1, sizeof(*f))) == NULL ||
	    (r->ev_pause = evtimer_new(engine_base(e), on_pause_over, r)) == NULL)
		goto nomem;
	f->secure_renegotiation = -1;
	f->compression = -1;
	f->groups_server_order = -1;
	for (int vi = 0; vi < MAILTLS_SURVEY_VERSIONS; vi++) {
		f->versions[vi].name = version_name[vi];
		f->versions[vi].server_order = -1;
	}
	for (int k = 0; k < 3; k++)
		f->keytypes[k].family = keytype[k].family;
	if ((r->ctx = survey_ctx(why, whylen)) == NULL) {
		surveyrun_free(r);
		return MAILTLS_ETLS;
	}
	if (n_profiles > 0) {
		if ((r->profile_ctx = calloc(n_profiles, sizeof(*r->profile_ctx))) == NULL ||
		    (f->profiles = calloc(n_profiles, sizeof(*f->profiles))) == NULL)
			goto nomem;
		r->n_profiles = n_profiles;
		f->n_profiles = n_profiles;
		for (size_t i = 0; i < n_profiles; i++) {
			int rc = surveyrun_profile_setup(profiles[i], &f->profiles[i],
							 &r->profile_ctx[i], why, whylen);

			if (rc != 0) {
				surveyrun_free(r);
				return rc;
			}
		}
	}
	f->profiles_only = profiles_only;
	if (profiles_only) {
		r->versions_answered = MAILTLS_SURVEY_VERSIONS;
		plan_profiles(r);
	} else {
		for (int vi = 0; vi < MAILTLS_SURVEY_VERSIONS; vi++)
			if (candidates(r, vi) != 0)
				goto nomem;
		/* Newest first: the versions a server accepts are the ones that matter most. */
		for (int vi = MAILTLS_SURVEY_VERSIONS - 1; vi >= 0; vi--)
			plan_ciphers(r, vi, ST_VERSION);
	}
	*out = r;
	/* The first probes start from the loop: done() is never called from here. */
	{
		struct timeval now = { 0, 0 };

		r->paused = true;
		evtimer_add(r->ev_pause, &now);
	}
	return 0;
nomem:
	surveyrun_free(r);
	snprintf(why, whylen, "out of memory");
	return MAILTLS_ENOMEM;
}
