/*
 * surveypolicy.c - the survey's findings (surveypolicy.h).
 *
 * Suites are judged by their IANA names, which say what they are made of
 * ("TLS_RSA_WITH_3DES_EDE_CBC_SHA"): insecure when they encrypt nothing (NULL) or use
 * export keys; anonymous (info) when they authenticate nothing; weak when they use RC4,
 * DES or 3DES, IDEA or an MD5 MAC.
 */
#include <stdio.h>
#include <string.h>
#include <mailtls/profile.h>
#include "surveypolicy.h"

#define LIST_MAX 600    /* bytes of suite names quoted in one message */

static bool has(const char *iana, const char *part)
{
	return iana != NULL && strstr(iana, part) != NULL;
}

static bool insecure(const struct mailtls_survey_cipher *c)
{
	return has(c->iana, "_WITH_NULL_") || has(c->iana, "EXPORT");
}

static bool anonymous(const struct mailtls_survey_cipher *c)
{
	return has(c->iana, "_anon_") && !insecure(c);
}

static bool weak(const struct mailtls_survey_cipher *c)
{
	return !insecure(c) && (has(c->iana, "RC4") || has(c->iana, "_DES_") || has(c->iana, "3DES") ||
	       has(c->iana, "DES40") || has(c->iana, "_IDEA_") || has(c->iana, "_MD5"));
}

/* append - ", name" to buf (bounded; "..." once full). */
static void append(char *buf, size_t len, const char *s)
{
	size_t o = strlen(buf);

	if (o + 5 >= len)
		return;
	if (o + strlen(s) + 6 >= len) {
		snprintf(buf + o, len - o, "%s...", o ? ", " : "");
		return;
	}
	snprintf(buf + o, len - o, "%s%s", o ? ", " : "", s);
}

/* suites_where - the accepted suites pick() chooses, each once, with its versions:
 * "RC4-SHA (TLSv1, TLSv1.2), DES-CBC3-SHA (TLSv1.2)". */
static void suites_where(const struct mailtls_survey *s, bool (*pick)(const struct mailtls_survey_cipher *),
			 char *buf, size_t len)
{
	buf[0] = '\0';
	for (int vi = MAILTLS_SURVEY_VERSIONS - 1; vi >= 0; vi--) {
		const struct mailtls_survey_version *v = &s->versions[vi];

		for (size_t i = 0; i < v->n_ciphers; i++) {
			const char *name = v->ciphers[i].name;
			char one[300], vers[60] = "";
			bool seen = false;

			if (!pick(&v->ciphers[i]))
				continue;
			for (int vj = MAILTLS_SURVEY_VERSIONS - 1; vj > vi && !seen; vj--)
				for (size_t j = 0; j < s->versions[vj].n_ciphers && !seen; j++)
					seen = strcmp(s->versions[vj].ciphers[j].name, name) == 0;
			if (seen)
				continue;
			for (int vj = vi; vj >= 0; vj--)
				for (size_t j = 0; j < s->versions[vj].n_ciphers; j++)
					if (strcmp(s->versions[vj].ciphers[j].name, name) == 0)
						append(vers, sizeof(vers), s->versions[vj].name);
			snprintf(one, sizeof(one), "%s (%s)", name, vers);
			append(buf, len, one);
		}
	}
}

static void summary(struct mailtls_result *res, const struct mailtls_survey *s)
{
	char versions[400] = "", groups[300] = "", keys[200] = "";

	for (int vi = MAILTLS_SURVEY_VERSIONS - 1; vi >= 0; vi--) {
		const struct mailtls_survey_version *v = &s->versions[vi];
		char one[120];

		if (v->state != MAILTLS_SURVEY_ACCEPTED)
			continue;
		snprintf(one, sizeof(one), "%s (%zu suite%s%s)", v->name, v->n_ciphers,
			 v->n_ciphers == 1 ? "" : "s",
			 v->server_order == 1 ? ", the server's order" :
			 v->server_order == 0 ? ", the client's order" : "");
		append(versions, sizeof(versions), one);
	}
	for (size_t i = 0; i < s->n_groups; i++)
		append(groups, sizeof(groups), s->groups[i]);
	for (int k = 0; k < 3; k++)
		if (s->keytypes[k].state == MAILTLS_SURVEY_ACCEPTED && s->keytypes[k].key)
			append(keys, sizeof(keys), s->keytypes[k].key);
	mailtls_result_add(res, MAILTLS_F_SURVEY_DONE,
			   "accepts %s; groups %s; certificate keys %s; %zu handshakes in %.1fs",
			   versions[0] ? versions : "no version",
			   s->groups_version == NULL ? "not asked (no TLS 1.2 or 1.3)" :
			   groups[0] ? groups : "none",
			   keys[0] ? keys : "none found", s->probes, s->elapsed_ms / 1e3);
}

static void legacy(struct mailtls_result *res, const struct mailtls_survey *s)
{
	char which[80] = "";

	for (int vi = 0; vi < 2; vi++)
		if (s->versions[vi].state == MAILTLS_SURVEY_ACCEPTED)
			append(which, sizeof(which), s->versions[vi].name);
	if (which[0])
		mailtls_result_add(res, MAILTLS_F_TLS_LEGACY_VERSION_ENABLED,
				   "the server accepts %s (RFC 8996: TLS 1.2 or later only)", which);
}

static void forward_secrecy(struct mailtls_result *res, const struct mailtls_survey *s)
{
	bool any_fs = false, any = false;
	char prefers[300] = "";

	for (int vi = 0; vi < MAILTLS_SURVEY_VERSIONS; vi++) {
		const struct mailtls_survey_version *v = &s->versions[vi];

		for (size_t i = 0; i < v->n_ciphers; i++) {
			any = true;
			any_fs |= v->ciphers[i].forward_secret;
		}
		/* The server's own first choice, when it chooses. */
		if (v->n_ciphers > 0 && v->server_order == 1 && !v->ciphers[0].forward_secret) {
			char one[160];

			snprintf(one, sizeof(one), "%s in %s", v->ciphers[0].name, v->name);
			append(prefers, sizeof(prefers), one);
		}
	}
	if (any && !any_fs)
		mailtls_result_add(res, MAILTLS_F_TLS_NO_FORWARD_SECRECY,
				   "no accepted suite has forward secrecy: every key exchange is static RSA");
	else if (prefers[0])
		mailtls_result_add(res, MAILTLS_F_TLS_NO_FORWARD_SECRECY,
				   "the server prefers a suite without forward secrecy: %s", prefers);
}

static void weak_dh(struct mailtls_result *res, const struct mailtls_survey *s)
{
	int smallest = 0;
	char where[300] = "";

	for (int vi = 0; vi < MAILTLS_SURVEY_VERSIONS; vi++) {
		const struct mailtls_survey_version *v = &s->versions[vi];

		for (size_t i = 0; i < v->n_ciphers; i++) {
			const struct mailtls_survey_cipher *c = &v->ciphers[i];

			if (c->kx == NULL || strncmp(c->kx, "DH ", 3) != 0 || c->kx_bits >= 2048)
				continue;
			if (smallest == 0 || c->kx_bits < smallest)
				smallest = c->kx_bits;
			if (strstr(where, v->name) == NULL)
				append(where, sizeof(where), v->name);
		}
	}
	if (smallest > 0)
		mailtls_result_add(res, MAILTLS_F_TLS_WEAK_DH,
				   "DHE suites use a %d-bit prime (%s); 2048 bits at least", smallest, where);
}

static void incomplete(struct mailtls_result *res, const struct mailtls_survey *s)
{
	char what[600] = "";

	for (int vi = MAILTLS_SURVEY_VERSIONS - 1; vi >= 0; vi--) {
		const struct mailtls_survey_version *v = &s->versions[vi];
		char one[300];

		if (v->state == MAILTLS_SURVEY_UNKNOWN) {
			snprintf(one, sizeof(one), "%s not known (%s)", v->name, v->why ? v->why : "no answer");
			append(what, sizeof(what), one);
		} else if (v->state == MAILTLS_SURVEY_ACCEPTED && !v->complete) {
			snprintf(one, sizeof(one), "the %s suite list may be incomplete", v->name);
			append(what, sizeof(what), one);
		}
	}
	if (s->groups_version != NULL && !s->groups_complete)
		append(what, sizeof(what), "the group list may be incomplete");
	for (int k = 0; k < 3; k++)
		if (s->keytypes[k].state == MAILTLS_SURVEY_UNKNOWN) {
			char one[80];

			snprintf(one, sizeof(one), "%s keys not known", s->keytypes[k].family);
			append(what, sizeof(what), one);
		}
	if (s->capped)
		append(what, sizeof(what), "the survey stopped at its handshake limit");
	if (s->out_of_time)
		append(what, sizeof(what), "the survey stopped at its time limit");
	if (what[0])
		mailtls_result_add(res, MAILTLS_F_SURVEY_INCOMPLETE, "%s (%zu handshake%s got no answer)",
				   what, s->unanswered, s->unanswered == 1 ? "" : "s");
}

/* no_sni_hint - for a profile that sends no SNI and fails while one that sends SNI
 * succeeds: the server seems to need SNI. */
static const char *no_sni_hint(const struct mailtls_survey *s, const struct mailtls_survey_profile *p)
{
	if (p->sni)
		return "";
	for (size_t i = 0; i < s->n_profiles; i++)
		if (s->profiles[i].sni && s->profiles[i].state == MAILTLS_SURVEY_ACCEPTED)
			return "; profiles that send SNI succeed, so the server seems to require SNI, "
			       "which this sender does not send";
	return "";
}

static void profiles(struct mailtls_result *res, const struct mailtls_survey *s)
{
	char okl[900] = "";

	for (size_t i = 0; i < s->n_profiles; i++) {
		const struct mailtls_survey_profile *p = &s->profiles[i];
		char one[200];
		bool old_only = (p->versions & (MAILTLS_PROFILE_TLS1_2 | MAILTLS_PROFILE_TLS1_3)) == 0;
		enum mailtls_fid id;
		const char *then;

		if (p->state == MAILTLS_SURVEY_ACCEPTED) {
			snprintf(one, sizeof(one), "%s (%s, %s%s%s)", p->name, p->version, p->cipher,
				 p->group ? ", " : "", p->group ? p->group : "");
			append(okl, sizeof(okl), one);
			continue;
		}
		if (p->state != MAILTLS_SURVEY_REJECTED) {
			mailtls_result_add(res, MAILTLS_F_SENDER_UNKNOWN, "%s (%s): no answer to its handshake: %s",
					   p->name, p->title, p->why ? p->why : "?");
			continue;
		}
		then = mailtls_profile_failure_text((enum mailtls_profile_failure)p->on_failure);
		id = p->on_failure == MAILTLS_PROFILE_DEFER ? MAILTLS_F_SENDER_DEFERS :
		     p->on_failure == MAILTLS_PROFILE_BOUNCE ? MAILTLS_F_SENDER_BOUNCES :
		     MAILTLS_F_SENDER_PLAINTEXT;
		if (old_only)
			id = MAILTLS_F_SENDER_LEGACY_FAILS;
		mailtls_result_add(res, id, "%s (%s): the handshake fails: %s; this sender %s%s", p->name, p->title,
				   p->why ? p->why : "?", then, no_sni_hint(s, p));
	}
	if (okl[0])
		mailtls_result_add(res, MAILTLS_F_SENDER_OK, "the handshake succeeds for %s", okl);
}

void surveypolicy_findings(struct mailtls_result *res)
{
	const struct mailtls_survey *s = res->survey;
	char list[LIST_MAX];

	if (s == NULL)
		return;
	if (s->not_run != NULL) {
		mailtls_result_add(res, MAILTLS_F_SURVEY_NOT_RUN, "no TLS survey: %s", s->not_run);
		return;
	}
	if (s->profiles_only) {
		profiles(res, s);
		return;
	}
	summary(res, s);
	if (s->limited > 0)
		mailtls_result_add(res, MAILTLS_F_SURVEY_LIMITED,
				   "the server limited us %zu time%s (first: %s); the survey waited %.1fs in all and asked again",
				   s->limited, s->limited == 1 ? "" : "s",
				   s->limited_why ? s->limited_why : "?", s->backoff_s);
	incomplete(res, s);
	legacy(res, s);
	suites_where(s, insecure, list, sizeof(list));
	if (list[0])
		mailtls_result_add(res, MAILTLS_F_TLS_INSECURE_CIPHER_ENABLED, "the server accepts %s", list);
	suites_where(s, anonymous, list, sizeof(list));
	if (list[0])
		mailtls_result_add(res, MAILTLS_F_TLS_ANONYMOUS_CIPHER_ENABLED, "the server accepts %s", list);
	suites_where(s, weak, list, sizeof(list));
	if (list[0])
		mailtls_result_add(res, MAILTLS_F_TLS_WEAK_CIPHER_ENABLED, "the server accepts %s", list);
	forward_secrecy(res, s);
	weak_dh(res, s);
	if (s->compression == 1)
		mailtls_result_add(res, MAILTLS_F_TLS_COMPRESSION_ENABLED,
				   "a TLS 1.2 or older handshake that offered compression got it");
	if (s->secure_renegotiation == 0)
		mailtls_result_add(res, MAILTLS_F_TLS_NO_SECURE_RENEGOTIATION,
				   "a TLS 1.2 or older handshake had no renegotiation_info (RFC 5746)");
	profiles(res, s);
}
