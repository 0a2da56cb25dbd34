/*
 * profile.c - the sender profile reader (profile.h): profile files, the built-in set, and
 * the names of the enums.
 *
 * What it is: a strict, bounded reader of `key: value` lines; every defect is an error
 * with its line, since a profile is a set of facts someone wrote down and a typo in one
 * would silently change what a probe offers. What it is not: it does not ask OpenSSL
 * whether the strings are valid (profile_tls.c does, when it makes the context).
 *
 * The format, decision by decision:
 * - The text is UTF-8 without NUL or control bytes (tab allowed); at most
 *   MAILTLS_PROFILE_FILE_MAX bytes, lines of at most MAILTLS_PROFILE_LINE_MAX bytes
 *   without the newline; a CR before the LF is dropped.
 * - Blank lines and lines whose first non-blank byte is '#' are skipped. There are no
 *   comments after a value: '#' is a fragment in a source URL.
 * - Any other line is `key: value`, the key at the start of the line, any blanks after
 *   the colon, trailing blanks dropped, the value not empty.
 * - Each key once, except `source`; an unknown key is an error.
 * - `ciphers` is required exactly when a version below TLS 1.3 is listed, `ciphersuites`
 *   exactly when TLS 1.3 is: a string for a version the sender does not offer would be a
 *   fact about nothing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mailtls/mailtls.h>
#include <mailtls/profile.h>
#include "escape.h"
#include "profile_builtin.h"

#define QUOTE_MAX 60             /* bytes of a value quoted in a message */
#define SUFFIX ".profile"

enum key {
	K_NAME, K_TITLE, K_SOURCE, K_VERSIONS, K_CIPHERS, K_CIPHERSUITES, K_GROUPS,
	K_SIGALGS, K_SNI, K_FAILURE, K_VERIFIES, K_DANE, K_MTASTS, K_NOTE, K_COUNT
};

/* The keys, in the order profiles/README.md lists them. */
static const struct {
	const char *name;
	bool required;             /* ciphers and ciphersuites: see check_versions() */
} keys[K_COUNT] = {
	[K_NAME] = { "name", true },
	[K_TITLE] = { "title", true },
	[K_SOURCE] = { "source", true },
	[K_VERSIONS] = { "versions", true },
	[K_CIPHERS] = { "ciphers", false },
	[K_CIPHERSUITES] = { "ciphersuites", false },
	[K_GROUPS] = { "groups", true },
	[K_SIGALGS] = { "sigalgs", false },
	[K_SNI] = { "sni", true },
	[K_FAILURE] = { "on-handshake-failure", true },
	[K_VERIFIES] = { "verifies-names", true },
	[K_DANE] = { "dane", true },
	[K_MTASTS] = { "mta-sts", true },
	[K_NOTE] = { "note", false },
};

static const char *const version_names[] = { "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3" };
static const char *const failure_names[] = {
	[MAILTLS_PROFILE_PLAINTEXT] = "plaintext",
	[MAILTLS_PROFILE_DEFER] = "defer",
	[MAILTLS_PROFILE_BOUNCE] = "bounce",
};

struct reader {
	const char *origin;
	const char *base;          /* the name origin requires, or NULL */
	size_t baselen;
	unsigned line;             /* current line, from 1 */
	unsigned seen[K_COUNT];    /* line of each key's first appearance, 0: not yet */
	char *why;
	size_t whylen;
};

const char *mailtls_profile_failure_name(enum mailtls_profile_failure f)
{
	if ((unsigned)f < sizeof(failure_names) / sizeof(failure_names[0]))
		return failure_names[f];
	return "?";
}

const char *mailtls_profile_failure_text(enum mailtls_profile_failure f)
{
	switch (f) {
	case MAILTLS_PROFILE_PLAINTEXT:
		return "then delivers in plaintext";
	case MAILTLS_PROFILE_DEFER:
		return "defers the mail (and bounces it when its queue lifetime runs out)";
	case MAILTLS_PROFILE_BOUNCE:
		return "bounces the mail";
	}
	return "?";
}

const char *mailtls_profile_version_name(unsigned bit)
{
	for (unsigned i = 0; i < 4; i++)
		if (bit == 1u << i)
			return version_names[i];
	return "?";
}

void mailtls_profile_free(struct mailtls_profile *p)
{
	if (p == NULL)
		return;
	free(p->name);
	free(p->title);
	mailtls_strlist_clear(&p->sources);
	free(p->ciphers);
	free(p->ciphersuites);
	free(p->groups);
	free(p->sigalgs);
	free(p->note);
	free(p);
}

/* fail - "ORIGIN:LINE: message" (line 0: "ORIGIN: message") into why; MAILTLS_EINVAL. */
static int fail(struct reader *r, unsigned line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->whylen == 0)
		return MAILTLS_EINVAL;
	if (line > 0)
		snprintf(r->why, r->whylen, "%s:%u: %s", r->origin, line, msg);
	else
		snprintf(r->why, r->whylen, "%s: %s", r->origin, msg);
	return MAILTLS_EINVAL;
}

/* quote - at most QUOTE_MAX bytes of v (escaped later with the whole message). */
static const char *quote(const char *v, char *buf, size_t len)
{
	size_t n = strlen(v);

	if (n <= QUOTE_MAX || len < QUOTE_MAX + 4) {
		snprintf(buf, len, "%s", v);
		return buf;
	}
	snprintf(buf, len, "%.*s...", QUOTE_MAX, v);
	return buf;
}

/* check_text - the bytes of one line (without its newline): no NUL, no control byte but
 * tab, valid UTF-8. */
static int check_text(struct reader *r, const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		unsigned cp;
		size_t k;

		if (c == '\0')
			return fail(r, r->line, "a NUL byte");
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(r, r->line, "a control character (byte 0x%02x)", c);
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((k = utf8_decode((const unsigned char *)s + i, n - i, &cp)) == 0)
			return fail(r, r->line, "not UTF-8");
		i += k;
	}
	return 0;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

static int set_string(struct reader *r, char **dst, const char *v)
{
	(void)r;
	if ((*dst = strdup(v)) == NULL)
		return MAILTLS_ENOMEM;
	return 0;
}

static int parse_name(struct reader *r, struct mailtls_profile *p, const char *v)
{
	size_t n = strlen(v);
	char q[QUOTE_MAX + 8];

	if (n > MAILTLS_PROFILE_NAME_MAX || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
		return fail(r, r->line, "name '%s' is not 1 to %d of a-z, 0-9 and '-'",
			    quote(v, q, sizeof(q)), MAILTLS_PROFILE_NAME_MAX);
	if (r->base != NULL && (r->baselen != n || memcmp(r->base, v, n) != 0))
		return fail(r, r->line, "name '%s' is not the file's name '%.*s'", v,
			    (int)(r->baselen > QUOTE_MAX ? QUOTE_MAX : r->baselen), r->base);
	return set_string(r, &p->name, v);
}

/* parse_source - "URL what it supports": http(s)://, a URL without blanks, blanks, text. */
static int parse_source(struct reader *r, struct mailtls_profile *p, const char *v)
{
	size_t url = strcspn(v, " \t");
	size_t scheme = strncmp(v, "https://", 8) == 0 ? 8 : strncmp(v, "http://", 7) == 0 ? 7 : 0;

	if (scheme == 0 || url <= scheme || v[url] == '\0')
		return fail(r, r->line, "source is not an http(s) URL followed by what it "
			    "supports");
	if (p->sources.n >= MAILTLS_PROFILE_SOURCES_MAX)
		return fail(r, r->line, "more than %d sources", MAILTLS_PROFILE_SOURCES_MAX);
	return mailtls_strlist_add(&p->sources, v, MAILTLS_PROFILE_LINE_MAX);
}

static int parse_versions(struct reader *r, struct mailtls_profile *p, const char *v)
{
	char q[QUOTE_MAX + 8];

	while (*v != '\0') {
		size_t n = strcspn(v, " \t");
		unsigned bit = 0;
		char tok[QUOTE_MAX + 1];

		for (unsigned i = 0; i < 4; i++)
			if (strlen(version_names[i]) == n && memcmp(v, version_names[i], n) == 0)
				bit = 1u << i;
		snprintf(tok, sizeof(tok), "%.*s", (int)(n > QUOTE_MAX ? QUOTE_MAX : n), v);
		if (bit == 0)
			return fail(r, r->line, "unknown version '%s' (TLSv1, TLSv1.1, TLSv1.2, "
				    "TLSv1.3)", quote(tok, q, sizeof(q)));
		if (p->versions & bit)
			return fail(r, r->line, "version '%s' listed twice", tok);
		p->versions |= bit;
		v += n;
		while (blank(*v))
			v++;
	}
	return 0;
}

/* parse_openssl - a string handed to OpenSSL as it is: only the characters its cipher,
 * group and sigalg lists are made of (letters, digits, _ - + ! @ = . :), so that nothing
 * else ever reaches it. */
static int parse_openssl(struct reader *r, enum key k, char **dst, const char *v)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "0123456789_-+!@=.:";
	size_t n = strspn(v, ok);

	if (v[n] != '\0') {
		unsigned char c = (unsigned char)v[n];

		if (c < 0x80)
			return fail(r, r->line, "%s: '%c' is not in an OpenSSL list", keys[k].name, c);
		return fail(r, r->line, "%s: a non-ASCII character is not in an OpenSSL list",
			    keys[k].name);
	}
	return set_string(r, dst, v);
}

static int parse_bool(struct reader *r, enum key k, bool *dst, const char *v)
{
	char q[QUOTE_MAX + 8];

	if (strcmp(v, "yes") == 0)
		*dst = true;
	else if (strcmp(v, "no") == 0)
		*dst = false;
	else
		return fail(r, r->line, "%s must be yes or no, not '%s'", keys[k].name,
			    quote(v, q, sizeof(q)));
	return 0;
}

static int parse_failure(struct reader *r, struct mailtls_profile *p, const char *v)
{
	char q[QUOTE_MAX + 8];

	for (unsigned i = 0; i < sizeof(failure_names) / sizeof(failure_names[0]); i++)
		if (strcmp(v, failure_names[i]) == 0) {
			p->on_handshake_failure = (enum mailtls_profile_failure)i;
			return 0;
		}
	return fail(r, r->line, "on-handshake-failure must be plaintext, defer or bounce, "
		    "not '%s'", quote(v, q, sizeof(q)));
}

/* parse_line - one line that is neither blank nor a comment; line is NUL-terminated. */
static int parse_line(struct reader *r, struct mailtls_profile *p, char *line)
{
	size_t klen = strspn(line, "abcdefghijklmnopqrstuvwxyz-");
	char *v, *end;
	char q[QUOTE_MAX + 8];
	enum key k = K_COUNT;

	if (klen == 0 || line[klen] != ':')
		return fail(r, r->line, "not 'key: value'");
	line[klen] = '\0';
	for (unsigned i = 0; i < K_COUNT; i++)
		if (strcmp(line, keys[i].name) == 0)
			k = (enum key)i;
	if (k == K_COUNT)
		return fail(r, r->line, "unknown key '%s'", quote(line, q, sizeof(q)));
	if (r->seen[k] != 0 && k != K_SOURCE)
		return fail(r, r->line, "%s given twice (first on line %u)", keys[k].name,
			    r->seen[k]);
	if (r->seen[k] == 0)
		r->seen[k] = r->line;
	for (v = line + klen + 1; blank(*v); v++)
		;
	for (end = v + strlen(v); end > v && blank(end[-1]); end--)
		;
	*end = '\0';
	if (*v == '\0')
		return fail(r, r->line, "%s has no value", keys[k].name);

	switch (k) {
	case K_NAME:
		return parse_name(r, p, v);
	case K_TITLE:
		if (strlen(v) > MAILTLS_PROFILE_TITLE_MAX)
			return fail(r, r->line, "title over %d bytes", MAILTLS_PROFILE_TITLE_MAX);
		return set_string(r, &p->title, v);
	case K_SOURCE:
		return parse_source(r, p, v);
	case K_VERSIONS:
		return parse_versions(r, p, v);
	case K_CIPHERS:
		return parse_openssl(r, k, &p->ciphers, v);
	case K_CIPHERSUITES:
		return parse_openssl(r, k, &p->ciphersuites, v);
	case K_GROUPS:
		return parse_openssl(r, k, &p->groups, v);
	case K_SIGALGS:
		return parse_openssl(r, k, &p->sigalgs, v);
	case K_SNI:
		return parse_bool(r, k, &p->sni, v);
	case K_FAILURE:
		return parse_failure(r, p, v);
	case K_VERIFIES:
		return parse_bool(r, k, &p->verifies_names, v);
	case K_DANE:
		return parse_bool(r, k, &p->dane, v);
	case K_MTASTS:
		return parse_bool(r, k, &p->mta_sts, v);
	case K_NOTE:
		return set_string(r, &p->note, v);
	case K_COUNT:
		break;
	}
	return fail(r, r->line, "unknown key");
}

/* check_complete - every required key, and the cipher strings the versions call for. */
static int check_complete(struct reader *r, const struct mailtls_profile *p)
{
	bool old = (p->versions & MAILTLS_PROFILE_TLS_BELOW_1_3) != 0;
	bool tls13 = (p->versions & MAILTLS_PROFILE_TLS1_3) != 0;

	for (unsigned i = 0; i < K_COUNT; i++)
		if (keys[i].required && r->seen[i] == 0)
			return fail(r, 0, "missing key '%s'", keys[i].name);
	if (old && p->ciphers == NULL)
		return fail(r, 0, "missing key 'ciphers' (versions below TLSv1.3 are listed)");
	if (!old && p->ciphers != NULL)
		return fail(r, r->seen[K_CIPHERS], "ciphers given but versions lists only "
			    "TLSv1.3");
	if (tls13 && p->ciphersuites == NULL)
		return fail(r, 0, "missing key 'ciphersuites' (TLSv1.3 is listed)");
	if (!tls13 && p->ciphersuites != NULL)
		return fail(r, r->seen[K_CIPHERSUITES], "ciphersuites given but versions does "
			    "not list TLSv1.3");
	return 0;
}

/* origin_base - the name an origin ending in ".profile" requires (its base name without
 * the suffix), else NULL. */
static const char *origin_base(const char *origin, size_t *len)
{
	const char *slash = strrchr(origin, '/');
	const char *base = slash != NULL ? slash + 1 : origin;
	size_t n = strlen(base), s = strlen(SUFFIX);

	if (n < s || strcmp(base + n - s, SUFFIX) != 0)
		return NULL;
	*len = n - s;
	return base;
}

int mailtls_profile_parse(const char *text, size_t len, const char *origin,
			  struct mailtls_profile **out, char *why, size_t whylen)
{
	struct reader r = { .origin = origin != NULL ? origin : "profile", .why = why,
			    .whylen = whylen };
	struct mailtls_profile *p = NULL;
	char line[MAILTLS_PROFILE_LINE_MAX + 2];
	size_t pos = 0;
	int err;

	*out = NULL;
	if (whylen > 0)
		why[0] = '\0';
	r.base = origin_base(r.origin, &r.baselen);
	if (len > MAILTLS_PROFILE_FILE_MAX) {
		fail(&r, 0, "over %d bytes", MAILTLS_PROFILE_FILE_MAX);
		err = MAILTLS_ETOOBIG;
		goto out;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		err = MAILTLS_ENOMEM;
		goto out;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		size_t start = 0;

		r.line++;
		if (n > 0 && text[pos + n - 1] == '\r' && nl != NULL)
			n--;
		if (n > MAILTLS_PROFILE_LINE_MAX) {
			err = fail(&r, r.line, "line over %d bytes", MAILTLS_PROFILE_LINE_MAX);
			goto out;
		}
		if ((err = check_text(&r, text + pos, n)) != 0)
			goto out;
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += (nl != NULL ? (size_t)(nl - (text + pos)) + 1 : len - pos);
		while (blank(line[start]))
			start++;
		if (line[start] == '\0' || line[start] == '#')
			continue;
		if (start > 0) {
			err = fail(&r, r.line, "a key must start the line");
			goto out;
		}
		if ((err = parse_line(&r, p, line)) != 0)
			goto out;
	}
	if ((err = check_complete(&r, p)) != 0)
		goto out;
	*out = p;
	p = NULL;
	err = 0;
out:
	if (err == MAILTLS_ENOMEM && whylen > 0)
		snprintf(why, whylen, "%s: out of memory", r.origin);
	if (err != 0)
		mailtls_escape_inplace(why, whylen);
	mailtls_profile_free(p);
	return err;
}

int mailtls_profile_load(const char *path, struct mailtls_profile **out, char *why,
			 size_t whylen)
{
	char *buf;
	size_t n;
	FILE *fp;
	int err;

	*out = NULL;
	if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		mailtls_escape_inplace(why, whylen);
		return MAILTLS_EFILE;
	}
	if ((buf = malloc(MAILTLS_PROFILE_FILE_MAX + 1)) == NULL) {
		fclose(fp);
		snprintf(why, whylen, "%s: out of memory", path);
		mailtls_escape_inplace(why, whylen);
		return MAILTLS_ENOMEM;
	}
	/* One byte more than the limit: enough to tell a file over it. */
	n = fread(buf, 1, MAILTLS_PROFILE_FILE_MAX + 1, fp);
	if (ferror(fp)) {
		snprintf(why, whylen, "%s: read error", path);
		mailtls_escape_inplace(why, whylen);
		free(buf);
		fclose(fp);
		return MAILTLS_EFILE;
	}
	fclose(fp);
	err = mailtls_profile_parse(buf, n, path, out, why, whylen);
	free(buf);
	return err;
}

/* ---- The built-in set ---- */

static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;
static struct mailtls_profile *builtin_v[PROFILE_BUILTIN_MAX];
static const struct mailtls_profile *const *builtin_out;
static size_t builtin_n;
static char builtin_why[256];

static int by_name(const void *a, const void *b)
{
	const struct mailtls_profile *pa = *(const struct mailtls_profile *const *)a;
	const struct mailtls_profile *pb = *(const struct mailtls_profile *const *)b;

	return strcmp(pa->name, pb->name);
}

/* builtin_init - parse every embedded file once; on any failure keep none. */
static void builtin_init(void)
{
	size_t n = profile_builtin_count;

	if (n > PROFILE_BUILTIN_MAX) {
		snprintf(builtin_why, sizeof(builtin_why), "more than %d built-in profiles",
			 PROFILE_BUILTIN_MAX);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct profile_builtin_file *f = &profile_builtin_files[i];

		if (mailtls_profile_parse(f->text, f->len, f->origin, &builtin_v[i], builtin_why,
					  sizeof(builtin_why)) != 0) {
			for (size_t j = 0; j < i; j++) {
				mailtls_profile_free(builtin_v[j]);
				builtin_v[j] = NULL;
			}
			return;
		}
	}
	qsort(builtin_v, n, sizeof(builtin_v[0]), by_name);
	builtin_n = n;
	builtin_out = (const struct mailtls_profile *const *)builtin_v;
}

size_t mailtls_profiles_builtin(const struct mailtls_profile *const **out, char *why,
				size_t whylen)
{
	pthread_once(&builtin_once, builtin_init);
	*out = builtin_out;
	if (builtin_n == 0) {
		*out = NULL;
		snprintf(why, whylen, "%s", builtin_why[0] != '\0' ? builtin_why
								   : "no built-in profile");
		mailtls_escape_inplace(why, whylen);
	}
	return builtin_n;
}
