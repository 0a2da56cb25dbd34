/*
 * test_profile.c - sender profiles (lib/profile.c, lib/profile_tls.c): the reader, one
 * exact `why` per kind of defect; the built-in profiles (every file of profiles/ parses
 * and makes a TLS context, with the versions and level it says); OpenSSL's refusals; and
 * real handshakes of profile contexts against servers forked here on 127.0.0.1 (real
 * OpenSSL on both sides, certificates made at test time, nothing leaves the machine):
 * legacy-tls10 against a TLS 1.2+ server (protocol_version) and a TLS 1.0 one, the test
 * profile tests/profiles/rsa-only.profile against an ECDSA-only server
 * (handshake_failure) and an RSA one, postfix-debian12 against a default server (TLS 1.3)
 * and against a TLS 1.0-only one (Debian's level 2 refuses it).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <mailtls/mailtls.h>
#include <mailtls/profile.h>
#include "profile_tls.h"

/* ---- The reader ---- */

/* The good profile, one key per line; the error cases below change one line of it. */
static const char *const base_lines[] = {
	"# a test profile",                                  /* 1 */
	"name: t1",                                          /* 2 */
	"title: A test",                                     /* 3 */
	"source: https://example.org/a what a says",         /* 4 */
	"source: https://example.org/b#frag what b says",    /* 5 */
	"versions: TLSv1.2 TLSv1.3",                         /* 6 */
	"ciphers: ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=2",  /* 7 */
	"ciphersuites: TLS_AES_128_GCM_SHA256",              /* 8 */
	"groups: X25519:P-256",                              /* 9 */
	"sigalgs: rsa_pss_rsae_sha256:RSA+SHA256",           /* 10 */
	"sni: yes",                                          /* 11 */
	"on-handshake-failure: bounce",                      /* 12 */
	"verifies-names: yes",                               /* 13 */
	"dane: no",                                          /* 14 */
	"mta-sts: yes",                                      /* 15 */
	"note: a note, with # in it",                        /* 16 */
};
#define BASE_N (sizeof(base_lines) / sizeof(base_lines[0]))

/* make_text - the base profile with every line starting with `key` replaced by `with`
 * (NULL: removed), then `append` (NULL: nothing) as a last line. */
static char *make_text(const char *key, const char *with, const char *append)
{
	size_t cap = 4096, n = 0;
	char *t = malloc(cap);

	assert_non_null(t);
	t[0] = '\0';
	for (size_t i = 0; i < BASE_N; i++) {
		const char *l = base_lines[i];

		if (key != NULL && strncmp(l, key, strlen(key)) == 0) {
			if (with == NULL)
				continue;
			l = with;
		}
		n += (size_t)snprintf(t + n, cap - n, "%s\n", l);
	}
	if (append != NULL)
		n += (size_t)snprintf(t + n, cap - n, "%s\n", append);
	assert_true(n < cap);
	return t;
}

static void test_good(void **state)
{
	char *t = make_text(NULL, NULL, NULL);
	struct mailtls_profile *p = NULL;
	char why[256] = "untouched";
	(void)state;

	assert_int_equal(mailtls_profile_parse(t, strlen(t), "dir/t1.profile", &p, why,
					       sizeof(why)), 0);
	assert_non_null(p);
	assert_string_equal(why, "");
	assert_string_equal(p->name, "t1");
	assert_string_equal(p->title, "A test");
	assert_int_equal(p->sources.n, 2);
	assert_string_equal(p->sources.v[0], "https://example.org/a what a says");
	assert_string_equal(p->sources.v[1], "https://example.org/b#frag what b says");
	assert_int_equal(p->versions, MAILTLS_PROFILE_TLS1_2 | MAILTLS_PROFILE_TLS1_3);
	assert_string_equal(p->ciphers, "ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=2");
	assert_string_equal(p->ciphersuites, "TLS_AES_128_GCM_SHA256");
	assert_string_equal(p->groups, "X25519:P-256");
	assert_string_equal(p->sigalgs, "rsa_pss_rsae_sha256:RSA+SHA256");
	assert_true(p->sni);
	assert_int_equal(p->on_handshake_failure, MAILTLS_PROFILE_BOUNCE);
	assert_true(p->verifies_names);
	assert_false(p->dane);
	assert_true(p->mta_sts);
	assert_string_equal(p->note, "a note, with # in it");
	mailtls_profile_free(p);
	free(t);
	mailtls_profile_free(NULL);
}

/* Optional keys absent, CRLF lines, blanks around the value, no final newline, an
 * indented comment: still the same profile. */
static void test_good_variants(void **state)
{
	static const char text[] =
		"name:t2\r\n"
		"   # indented comment\r\n"
		"\r\n"
		"title:   Spaces around   \t\r\n"
		"source: http://example.org/x\tsays x\r\n"
		"versions: TLSv1\t TLSv1.2\r\n"
		"ciphers: AES128-SHA\r\n"
		"groups: P-256\r\n"
		"sni: no\r\n"
		"on-handshake-failure: plaintext\r\n"
		"verifies-names: no\r\n"
		"dane: yes\r\n"
		"mta-sts: no";
	struct mailtls_profile *p = NULL;
	char why[256];
	(void)state;

	assert_int_equal(mailtls_profile_parse(text, sizeof(text) - 1, "inline", &p, why,
					       sizeof(why)), 0);
	assert_string_equal(p->name, "t2");
	assert_string_equal(p->title, "Spaces around");
	assert_string_equal(p->sources.v[0], "http://example.org/x\tsays x");
	assert_int_equal(p->versions, MAILTLS_PROFILE_TLS1_0 | MAILTLS_PROFILE_TLS1_2);
	assert_null(p->ciphersuites);
	assert_null(p->sigalgs);
	assert_null(p->note);
	assert_false(p->sni);
	assert_int_equal(p->on_handshake_failure, MAILTLS_PROFILE_PLAINTEXT);
	assert_true(p->dane);
	mailtls_profile_free(p);
}

struct bad_case {
	const char *key;       /* line to replace (NULL: none) */
	const char *with;      /* its replacement (NULL: removed) */
	const char *append;    /* a line added at the end, or NULL */
	const char *origin;
	const char *why;
};

static const struct bad_case bad_cases[] = {
	{ NULL, NULL, "colour: blue", "t", "t:17: unknown key 'colour'" },
	{ NULL, NULL, "Name: t1", "t", "t:17: not 'key: value'" },
	{ NULL, NULL, "sni: no", "t", "t:17: sni given twice (first on line 11)" },
	{ NULL, NULL, "note: again", "t", "t:17: note given twice (first on line 16)" },
	{ NULL, NULL, "just words", "t", "t:17: not 'key: value'" },
	{ NULL, NULL, "name = t1", "t", "t:17: not 'key: value'" },
	{ "groups", NULL, NULL, "t", "t: missing key 'groups'" },
	{ "source", NULL, NULL, "t", "t: missing key 'source'" },
	{ "name", NULL, NULL, "t", "t: missing key 'name'" },
	{ "mta-sts", NULL, NULL, "t", "t: missing key 'mta-sts'" },
	{ "ciphers:", NULL, NULL, "t",
	  "t: missing key 'ciphers' (versions below TLSv1.3 are listed)" },
	{ "ciphersuites", NULL, NULL, "t",
	  "t: missing key 'ciphersuites' (TLSv1.3 is listed)" },
	{ "versions", "versions: TLSv1.3", NULL, "t",
	  "t:7: ciphers given but versions lists only TLSv1.3" },
	{ "versions", "versions: TLSv1.2", NULL, "t",
	  "t:8: ciphersuites given but versions does not list TLSv1.3" },
	{ "versions", "versions: TLSv1.2 TLSv1.4", NULL, "t",
	  "t:6: unknown version 'TLSv1.4' (TLSv1, TLSv1.1, TLSv1.2, TLSv1.3)" },
	{ "versions", "versions: tlsv1.2", NULL, "t",
	  "t:6: unknown version 'tlsv1.2' (TLSv1, TLSv1.1, TLSv1.2, TLSv1.3)" },
	{ "versions", "versions: TLSv1.2,TLSv1.3", NULL, "t",
	  "t:6: unknown version 'TLSv1.2,TLSv1.3' (TLSv1, TLSv1.1, TLSv1.2, TLSv1.3)" },
	{ "versions", "versions: TLSv1.3 TLSv1.2 TLSv1.3", NULL, "t",
	  "t:6: version 'TLSv1.3' listed twice" },
	{ "on-handshake", "on-handshake-failure: retry", NULL, "t",
	  "t:12: on-handshake-failure must be plaintext, defer or bounce, not 'retry'" },
	{ "on-handshake", "on-handshake-failure: Defer", NULL, "t",
	  "t:12: on-handshake-failure must be plaintext, defer or bounce, not 'Defer'" },
	{ "sni", "sni: maybe", NULL, "t", "t:11: sni must be yes or no, not 'maybe'" },
	{ "dane", "dane: true", NULL, "t", "t:14: dane must be yes or no, not 'true'" },
	{ "name", "name: Gmail", NULL, "t",
	  "t:2: name 'Gmail' is not 1 to 40 of a-z, 0-9 and '-'" },
	{ "name", "name: a_b", NULL, "t",
	  "t:2: name 'a_b' is not 1 to 40 of a-z, 0-9 and '-'" },
	{ "name", "name: abcdefghijabcdefghijabcdefghijabcdefghijk", NULL, "t",
	  "t:2: name 'abcdefghijabcdefghijabcdefghijabcdefghijk' is not 1 to 40 of a-z, 0-9 "
	  "and '-'" },
	{ NULL, NULL, NULL, "dir/other.profile",
	  "dir/other.profile:2: name 't1' is not the file's name 'other'" },
	{ NULL, NULL, NULL, "t1.profile.bak", NULL },    /* no .profile suffix: no check */
	{ "title", "title:", NULL, "t", "t:3: title has no value" },
	{ "title", "title:   \t ", NULL, "t", "t:3: title has no value" },
	{ "sni", "  sni: yes", NULL, "t", "t:11: a key must start the line" },
	{ "groups", "groups: X25519 P-256", NULL, "t",
	  "t:9: groups: ' ' is not in an OpenSSL list" },
	{ "ciphers:", "ciphers: HIGH;MEDIUM", NULL, "t",
	  "t:7: ciphers: ';' is not in an OpenSSL list" },
	{ "sigalgs", "sigalgs: ed25519:\xc3\xa9", NULL, "t",
	  "t:10: sigalgs: a non-ASCII character is not in an OpenSSL list" },
	{ "source", "source: https://example.org/a", NULL, "t",
	  "t:4: source is not an http(s) URL followed by what it supports" },
	{ "source", "source: ftp://example.org/a says a", NULL, "t",
	  "t:4: source is not an http(s) URL followed by what it supports" },
	{ "source", "source: https:// says nothing", NULL, "t",
	  "t:4: source is not an http(s) URL followed by what it supports" },
	{ "source", "source: http:// says nothing", NULL, "t",
	  "t:4: source is not an http(s) URL followed by what it supports" },
	{ "source", "source: http://x says x", NULL, "t", NULL },
	{ "sni", "sni: yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", NULL, "t",
	  "t:11: sni must be yes or no, not "
	  "'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy'" },
	{ "title", "title: A\x01" "b", NULL, "t", "t:3: a control character (byte 0x01)" },
	{ "title", "title: A\x1b[31m", NULL, "t", "t:3: a control character (byte 0x1b)" },
	{ "title", "title: caf\xe9", NULL, "t", "t:3: not UTF-8" },
	{ "title", "title: ok\rno", NULL, "t", "t:3: a control character (byte 0x0d)" },
	{ "title", "title: Caf\xc3\xa9 \xe2\x80\x94 fine", NULL, "t", NULL },
	/* A message quotes at most 60 bytes of a value, and never raw control bytes: the
	 * origin is escaped. */
	{ "sni", "sni: yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy",
	  NULL, "t", "t:11: sni must be yes or no, not "
	  "'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy...'" },
	{ "groups", NULL, NULL, "we\x1b[2Jird", "we\\x1b[2Jird: missing key 'groups'" },
};

static void test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		char *t = make_text(c->key, c->with, c->append);
		struct mailtls_profile *p = (struct mailtls_profile *)&p;
		char why[256] = "";
		int r = mailtls_profile_parse(t, strlen(t), c->origin, &p, why, sizeof(why));

		if (c->why == NULL) {
			if (r != 0)
				fail_msg("case %zu: %s", i, why);
			mailtls_profile_free(p);
		} else {
			if (r != MAILTLS_EINVAL || strcmp(why, c->why) != 0)
				fail_msg("case %zu: r=%d why '%s', want '%s'", i, r, why, c->why);
			assert_null(p);
		}
		free(t);
	}
}

static void test_nul_byte(void **state)
{
	char *t = make_text(NULL, NULL, NULL);
	struct mailtls_profile *p = NULL;
	char why[256];
	size_t len = strlen(t);
	(void)state;

	t[strstr(t, "A test") - t + 1] = '\0';   /* "A\0test" on line 3 */
	assert_int_equal(mailtls_profile_parse(t, len, "t", &p, why, sizeof(why)),
			 MAILTLS_EINVAL);
	assert_string_equal(why, "t:3: a NUL byte");
	assert_null(p);
	free(t);
}

/* The file limit (16384 bytes) and the line limit (1024 bytes without the newline), each
 * exactly at the limit and one byte over. */
static void test_limits(void **state)
{
	char *base = make_text(NULL, NULL, NULL);
	size_t blen = strlen(base);
	char *t = malloc(MAILTLS_PROFILE_FILE_MAX + 2);
	struct mailtls_profile *p = NULL;
	char why[256];
	size_t n;
	(void)state;

	assert_non_null(t);
	/* A comment line of exactly 1024 bytes, then the base: fine. */
	memset(t, 'x', MAILTLS_PROFILE_LINE_MAX);
	t[0] = '#';
	t[MAILTLS_PROFILE_LINE_MAX] = '\n';
	memcpy(t + MAILTLS_PROFILE_LINE_MAX + 1, base, blen);
	n = MAILTLS_PROFILE_LINE_MAX + 1 + blen;
	assert_int_equal(mailtls_profile_parse(t, n, "t", &p, why, sizeof(why)), 0);
	mailtls_profile_free(p);
	/* One more byte on that line: refused, with its line number. */
	memset(t, 'x', MAILTLS_PROFILE_LINE_MAX + 1);
	t[0] = '#';
	t[MAILTLS_PROFILE_LINE_MAX + 1] = '\n';
	memcpy(t + MAILTLS_PROFILE_LINE_MAX + 2, base, blen);
	n = MAILTLS_PROFILE_LINE_MAX + 2 + blen;
	assert_int_equal(mailtls_profile_parse(t, n, "t", &p, why, sizeof(why)), MAILTLS_EINVAL);
	assert_string_equal(why, "t:1: line over 1024 bytes");
	assert_null(p);
	/* The same for a last line without a newline. */
	memcpy(t, base, blen);
	memset(t + blen, '#', MAILTLS_PROFILE_LINE_MAX + 1);
	n = blen + MAILTLS_PROFILE_LINE_MAX + 1;
	assert_int_equal(mailtls_profile_parse(t, n, "t", &p, why, sizeof(why)), MAILTLS_EINVAL);
	assert_string_equal(why, "t:17: line over 1024 bytes");
	/* Exactly 16384 bytes: the base, then comment lines and blanks to fill it. */
	memcpy(t, base, blen);
	n = blen;
	while (n < MAILTLS_PROFILE_FILE_MAX) {
		size_t room = MAILTLS_PROFILE_FILE_MAX - n;
		size_t l = room > 1000 ? 1000 : room;

		memset(t + n, ' ', l);
		t[n] = '#';
		t[n + l - 1] = '\n';
		n += l;
	}
	assert_int_equal(n, MAILTLS_PROFILE_FILE_MAX);
	assert_int_equal(mailtls_profile_parse(t, n, "t", &p, why, sizeof(why)), 0);
	mailtls_profile_free(p);
	t[n++] = '\n';
	assert_int_equal(mailtls_profile_parse(t, n, "t", &p, why, sizeof(why)),
			 MAILTLS_ETOOBIG);
	assert_string_equal(why, "t: over 16384 bytes");
	assert_null(p);
	/* More than 16 sources. */
	{
		char *many = malloc(8192);
		size_t m = 0;

		assert_non_null(many);
		m += (size_t)snprintf(many + m, 8192 - m, "%s", base);
		for (int i = 0; i < 15; i++)
			m += (size_t)snprintf(many + m, 8192 - m, "source: https://e.org/%d s\n", i);
		assert_int_equal(mailtls_profile_parse(many, m, "t", &p, why, sizeof(why)),
				 MAILTLS_EINVAL);
		assert_string_equal(why, "t:31: more than 16 sources");
		free(many);
	}
	free(t);
	free(base);
}

static void test_load(void **state)
{
	char dir[] = "/tmp/mailtls-profile-XXXXXX";
	char path[128], why[256];
	char *t = make_text(NULL, NULL, NULL);
	struct mailtls_profile *p = NULL;
	FILE *fp;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t1.profile", dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs(t, fp);
	fclose(fp);
	assert_int_equal(mailtls_profile_load(path, &p, why, sizeof(why)), 0);
	assert_string_equal(p->name, "t1");
	mailtls_profile_free(p);
	/* The file's name must be the profile's. */
	snprintf(path, sizeof(path), "%s/mine.profile", dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs(t, fp);
	fclose(fp);
	assert_int_equal(mailtls_profile_load(path, &p, why, sizeof(why)), MAILTLS_EINVAL);
	{
		char want[256];

		snprintf(want, sizeof(want), "%s:2: name 't1' is not the file's name 'mine'", path);
		assert_string_equal(why, want);
	}
	unlink(path);
	/* A file over the limit is not read past it. */
	snprintf(path, sizeof(path), "%s/big.profile", dir);
	assert_non_null(fp = fopen(path, "w"));
	for (int i = 0; i < MAILTLS_PROFILE_FILE_MAX / 10 + 1; i++)
		fputs("#23456789\n", fp);
	fclose(fp);
	assert_int_equal(mailtls_profile_load(path, &p, why, sizeof(why)), MAILTLS_ETOOBIG);
	assert_null(p);
	unlink(path);
	/* No such file. */
	assert_int_equal(mailtls_profile_load(path, &p, why, sizeof(why)), MAILTLS_EFILE);
	{
		char want[256];

		snprintf(want, sizeof(want), "%s: No such file or directory", path);
		assert_string_equal(why, want);
	}
	snprintf(path, sizeof(path), "%s/t1.profile", dir);
	unlink(path);
	rmdir(dir);
	free(t);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(mailtls_profile_failure_name(MAILTLS_PROFILE_PLAINTEXT), "plaintext");
	assert_string_equal(mailtls_profile_failure_name(MAILTLS_PROFILE_DEFER), "defer");
	assert_string_equal(mailtls_profile_failure_name(MAILTLS_PROFILE_BOUNCE), "bounce");
	assert_string_equal(mailtls_profile_failure_name((enum mailtls_profile_failure)3), "?");
	assert_string_equal(mailtls_profile_version_name(MAILTLS_PROFILE_TLS1_0), "TLSv1");
	assert_string_equal(mailtls_profile_version_name(MAILTLS_PROFILE_TLS1_1), "TLSv1.1");
	assert_string_equal(mailtls_profile_version_name(MAILTLS_PROFILE_TLS1_2), "TLSv1.2");
	assert_string_equal(mailtls_profile_version_name(MAILTLS_PROFILE_TLS1_3), "TLSv1.3");
	assert_string_equal(mailtls_profile_version_name(MAILTLS_PROFILE_TLS1_2 |
							 MAILTLS_PROFILE_TLS1_3), "?");
	assert_string_equal(mailtls_profile_version_name(0), "?");
}

/* ---- The built-in profiles and their contexts ---- */

static const struct mailtls_profile *builtin(const char *name)
{
	const struct mailtls_profile *const *v;
	char why[256];
	size_t n = mailtls_profiles_builtin(&v, why, sizeof(why));

	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i]->name, name) == 0)
			return v[i];
	fail_msg("no built-in profile %s", name);
	return NULL;
}

static void test_builtin(void **state)
{
	static const char *const names[] = { "exchange-online", "exim-debian12", "gmail",
					     "legacy-tls10", "postfix-debian12" };
	const struct mailtls_profile *const *v, *const *again;
	char why[256] = "";
	size_t n = mailtls_profiles_builtin(&v, why, sizeof(why));
	(void)state;

	if (n == 0)
		fail_msg("built-in profiles: %s", why);
	assert_int_equal(n, 5);
	assert_int_equal(mailtls_profiles_builtin(&again, why, sizeof(why)), 5);
	assert_ptr_equal(v, again);          /* parsed once */
	for (size_t i = 0; i < n; i++) {
		SSL_CTX *ctx;

		assert_string_equal(v[i]->name, names[i]);
		assert_true(v[i]->sources.n >= 1);
		ctx = profile_ssl_ctx(v[i], why, sizeof(why));
		if (ctx == NULL)
			fail_msg("%s: %s", v[i]->name, why);
		SSL_CTX_free(ctx);
	}
	/* Every file of profiles/ is built in (listed in profiles/meson.build), and each
	 * loads from the source tree to the same profile. */
	{
		const char *root = getenv("MAILTLS_SOURCE_ROOT");
		char dir[512], path[1024];
		DIR *d;
		struct dirent *e;
		size_t files = 0;

		snprintf(dir, sizeof(dir), "%s/profiles", root != NULL ? root : ".");
		assert_non_null(d = opendir(dir));
		while ((e = readdir(d)) != NULL) {
			size_t l = strlen(e->d_name);
			struct mailtls_profile *p = NULL;
			size_t j;

			if (l < 9 || strcmp(e->d_name + l - 8, ".profile") != 0)
				continue;
			files++;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			if (mailtls_profile_load(path, &p, why, sizeof(why)) != 0)
				fail_msg("%s", why);
			for (j = 0; j < n && strcmp(v[j]->name, p->name) != 0; j++)
				;
			if (j == n)
				fail_msg("%s is not built in (profiles/meson.build)", e->d_name);
			assert_string_equal(v[j]->ciphers != NULL ? v[j]->ciphers : "",
					    p->ciphers != NULL ? p->ciphers : "");
			assert_string_equal(v[j]->note != NULL ? v[j]->note : "",
					    p->note != NULL ? p->note : "");
			assert_int_equal(v[j]->sources.n, p->sources.n);
			mailtls_profile_free(p);
		}
		closedir(d);
		assert_int_equal(files, n);
	}
}

struct ctx_expect {
	const char *name;
	int min, max, level;
	unsigned failure;
	int sni, dane, mta_sts;
};

/* What each built-in profile's context is: versions, security level; and the behaviour
 * facts of each file. */
static void test_builtin_facts(void **state)
{
	static const struct ctx_expect want[] = {
		{ "postfix-debian12", TLS1_VERSION, TLS1_3_VERSION, 2, MAILTLS_PROFILE_PLAINTEXT,
		  0, 0, 0 },
		{ "exim-debian12", TLS1_VERSION, TLS1_3_VERSION, 0, MAILTLS_PROFILE_PLAINTEXT,
		  0, 1, 0 },
		{ "gmail", TLS1_2_VERSION, TLS1_3_VERSION, 0, MAILTLS_PROFILE_DEFER, 1, 0, 1 },
		{ "exchange-online", TLS1_2_VERSION, TLS1_2_VERSION, 0, MAILTLS_PROFILE_DEFER,
		  1, 1, 1 },
		{ "legacy-tls10", TLS1_VERSION, TLS1_VERSION, 0, MAILTLS_PROFILE_PLAINTEXT, 0, 0,
		  0 },
	};
	char why[256];
	(void)state;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct mailtls_profile *p = builtin(want[i].name);
		SSL_CTX *ctx = profile_ssl_ctx(p, why, sizeof(why));

		assert_non_null(ctx);
		if (SSL_CTX_get_min_proto_version(ctx) != want[i].min ||
		    SSL_CTX_get_max_proto_version(ctx) != want[i].max ||
		    SSL_CTX_get_security_level(ctx) != want[i].level)
			fail_msg("%s: min %lx max %lx level %d", want[i].name,
				 SSL_CTX_get_min_proto_version(ctx),
				 SSL_CTX_get_max_proto_version(ctx),
				 SSL_CTX_get_security_level(ctx));
		assert_int_equal(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_NONE);
		assert_true(SSL_CTX_get_options(ctx) & SSL_OP_NO_TICKET);
		assert_int_equal(SSL_CTX_get_session_cache_mode(ctx), SSL_SESS_CACHE_OFF);
		assert_int_equal(p->on_handshake_failure, want[i].failure);
		assert_int_equal(p->sni, want[i].sni);
		assert_int_equal(p->dane, want[i].dane);
		assert_int_equal(p->mta_sts, want[i].mta_sts);
		assert_false(p->verifies_names);
		SSL_CTX_free(ctx);
	}
}

/* cipher_names - the TLS <= 1.2 suites a context offers, colon-separated. */
static void cipher_names(SSL_CTX *ctx, char *buf, size_t len)
{
	SSL *ssl = SSL_new(ctx);
	STACK_OF(SSL_CIPHER) *sk;
	size_t n = 0;

	assert_non_null(ssl);
	sk = SSL_get1_supported_ciphers(ssl);
	buf[0] = '\0';
	for (int i = 0; i < sk_SSL_CIPHER_num(sk); i++) {
		const SSL_CIPHER *c = sk_SSL_CIPHER_value(sk, i);

		if (strcmp(SSL_CIPHER_get_version(c), "TLSv1.3") == 0)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ":" : "",
				      SSL_CIPHER_get_name(c));
		assert_true(n < len);
	}
	sk_SSL_CIPHER_free(sk);
	SSL_free(ssl);
}

/* The suites a profile's context offers are its cipher string's, in its order. */
static void test_offer(void **state)
{
	char why[256], got[2048];
	SSL_CTX *ctx;
	(void)state;

	ctx = profile_ssl_ctx(builtin("legacy-tls10"), why, sizeof(why));
	assert_non_null(ctx);
	cipher_names(ctx, got, sizeof(got));
	assert_string_equal(got, "DHE-RSA-AES256-SHA:AES256-SHA:DHE-RSA-AES128-SHA:AES128-SHA");
	SSL_CTX_free(ctx);
	ctx = profile_ssl_ctx(builtin("exchange-online"), why, sizeof(why));
	assert_non_null(ctx);
	cipher_names(ctx, got, sizeof(got));
	assert_string_equal(got, builtin("exchange-online")->ciphers);
	SSL_CTX_free(ctx);
	ctx = profile_ssl_ctx(builtin("exim-debian12"), why, sizeof(why));
	assert_non_null(ctx);
	cipher_names(ctx, got, sizeof(got));
	assert_string_equal(got, builtin("exim-debian12")->ciphers);
	SSL_CTX_free(ctx);
}

static struct mailtls_profile *parse_or_fail(const char *text, const char *origin)
{
	struct mailtls_profile *p = NULL;
	char why[256];

	if (mailtls_profile_parse(text, strlen(text), origin, &p, why, sizeof(why)) != 0)
		fail_msg("%s", why);
	return p;
}

/* OpenSSL's refusals name the profile and the string; a hole in the versions is an
 * SSL_OP_NO_* option. */
static void test_ctx_errors(void **state)
{
	static const struct {
		const char *key, *with, *why;
	} cases[] = {
		{ "groups", "groups: X25519:foo", "profile t1: OpenSSL rejects groups 'X25519:foo'" },
		{ "ciphers:", "ciphers: NOSUCH-CIPHER:ALSO-NOT",
		  "profile t1: OpenSSL rejects ciphers 'NOSUCH-CIPHER:ALSO-NOT'" },
		{ "ciphersuites", "ciphersuites: TLS_AES_128_GCM_SHA256:TLS_NOPE",
		  "profile t1: OpenSSL rejects ciphersuites 'TLS_AES_128_GCM_SHA256:TLS_NOPE'" },
		{ "sigalgs", "sigalgs: rsa_pss_rsae_sha256:nope_sha1",
		  "profile t1: OpenSSL rejects sigalgs 'rsa_pss_rsae_sha256:nope_sha1'" },
	};
	char why[256];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = make_text(cases[i].key, cases[i].with, NULL);
		struct mailtls_profile *p = parse_or_fail(t, "t");

		why[0] = '\0';
		assert_null(profile_ssl_ctx(p, why, sizeof(why)));
		if (strcmp(why, cases[i].why) != 0)
			fail_msg("case %zu: '%s'", i, why);
		assert_int_equal(ERR_peek_error(), 0);
		mailtls_profile_free(p);
		free(t);
	}
	{
		char *t = make_text("versions", "versions: TLSv1 TLSv1.2 TLSv1.3", NULL);
		struct mailtls_profile *p = parse_or_fail(t, "t");
		SSL_CTX *ctx = profile_ssl_ctx(p, why, sizeof(why));

		assert_non_null(ctx);
		assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_VERSION);
		assert_int_equal(SSL_CTX_get_max_proto_version(ctx), TLS1_3_VERSION);
		assert_true(SSL_CTX_get_options(ctx) & SSL_OP_NO_TLSv1_1);
		assert_false(SSL_CTX_get_options(ctx) & (SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_2 |
							 SSL_OP_NO_TLSv1_3));
		/* "@SECLEVEL=2" in the cipher string sets the level. */
		assert_int_equal(SSL_CTX_get_security_level(ctx), 2);
		SSL_CTX_free(ctx);
		mailtls_profile_free(p);
		free(t);
	}
}

/* ---- Handshakes against servers forked here ---- */

static EVP_PKEY *rsa_key, *ec_key;
static X509 *rsa_cert, *ec_cert;
static struct mailtls_profile *rsa_only;

static X509 *self_signed(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	assert_non_null(x);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"mx.example.test",
				   -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, name);
	X509_NAME_free(name);
	X509_gmtime_adj(X509_getm_notBefore(x), -86400);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400 * 30);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "DNS:mx.example.test");
	assert_non_null(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

static int group_setup(void **state)
{
	char path[512], why[256];
	const char *root = getenv("MAILTLS_SOURCE_ROOT");
	(void)state;

	signal(SIGPIPE, SIG_IGN);
	if ((rsa_key = EVP_RSA_gen(2048)) == NULL || (ec_key = EVP_EC_gen("P-256")) == NULL)
		return -1;
	rsa_cert = self_signed(rsa_key);
	ec_cert = self_signed(ec_key);
	snprintf(path, sizeof(path), "%s/tests/profiles/rsa-only.profile",
		 root != NULL ? root : ".");
	if (mailtls_profile_load(path, &rsa_only, why, sizeof(why)) != 0) {
		fprintf(stderr, "%s\n", why);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	X509_free(rsa_cert);
	X509_free(ec_cert);
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(ec_key);
	mailtls_profile_free(rsa_only);
	return 0;
}

enum srv_kind {
	SRV_DEFAULT_RSA,     /* OpenSSL's defaults (TLS 1.2 and 1.3 here), RSA key */
	SRV_DEFAULT_ECDSA,   /* the same with only an ECDSA key */
	SRV_TLS12_UP_RSA,    /* TLS 1.2 at least, RSA key */
	SRV_TLS10_RSA,       /* TLS 1.0 only at security level 0, RSA key, DHE possible */
};

struct server {
	pid_t pid;
	unsigned port;
};

static SSL_CTX *server_ctx(enum srv_kind kind)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	bool ec = kind == SRV_DEFAULT_ECDSA;

	if (ctx == NULL || SSL_CTX_use_certificate(ctx, ec ? ec_cert : rsa_cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, ec ? ec_key : rsa_key) != 1)
		_exit(2);
	if (kind == SRV_TLS12_UP_RSA)
		SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (kind == SRV_TLS10_RSA) {
		SSL_CTX_set_security_level(ctx, 0);
		if (SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0") != 1)
			_exit(2);
		SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
		SSL_CTX_set_max_proto_version(ctx, TLS1_VERSION);
		SSL_CTX_set_dh_auto(ctx, 1);
	}
	return ctx;
}

/* server_start - a child on 127.0.0.1 that serves one TLS connection and exits. */
static void server_start(struct server *s, enum srv_kind kind)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	assert_true(lfd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	s->port = ntohs(sin.sin_port);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		SSL_CTX *ctx;
		SSL *ssl;
		int fd;

		alarm(10);                           /* never outlive the test */
		ctx = server_ctx(kind);
		if ((fd = accept(lfd, NULL, NULL)) < 0)
			_exit(1);
		if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1)
			_exit(1);
		if (SSL_accept(ssl) == 1) {
			SSL_write(ssl, "ok", 2);
			SSL_shutdown(ssl);
		}
		_exit(0);
	}
	close(lfd);
}

struct outcome {
	int ok;
	char version[16];
	char cipher[64];
	int alert_received;      /* -1: none */
	int alert_sent;
	int done;                /* the handshake is over: later alerts are not its */
};

static void info_cb(const SSL *ssl, int where, int ret)
{
	struct outcome *o = SSL_get_app_data(ssl);

	if ((where & SSL_CB_ALERT) == 0 || o->done)
		return;
	if (where & SSL_CB_READ)
		o->alert_received = ret & 0xff;
	else if (o->alert_sent < 0)
		o->alert_sent = ret & 0xff;
}

/* handshake - one handshake of a profile's context against a server of that kind. */
static void handshake(const struct mailtls_profile *p, enum srv_kind kind, struct outcome *o)
{
	struct server s;
	struct sockaddr_in sin;
	struct timeval tv = { 10, 0 };
	char why[256];
	SSL_CTX *ctx = profile_ssl_ctx(p, why, sizeof(why));
	SSL *ssl;
	int fd, status;

	if (ctx == NULL)
		fail_msg("%s", why);
	memset(o, 0, sizeof(*o));
	o->alert_received = o->alert_sent = -1;
	server_start(&s, kind);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)s.port);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_non_null(ssl = SSL_new(ctx));
	SSL_set_app_data(ssl, o);
	SSL_set_info_callback(ssl, info_cb);
	if (p->sni)
		SSL_set_tlsext_host_name(ssl, "mx.example.test");
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) == 1) {
		o->ok = 1;
		o->done = 1;
		snprintf(o->version, sizeof(o->version), "%s", SSL_get_version(ssl));
		snprintf(o->cipher, sizeof(o->cipher), "%s", SSL_get_cipher_name(ssl));
		SSL_shutdown(ssl);
	}
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	assert_int_equal(waitpid(s.pid, &status, 0), s.pid);
}

/* (a) legacy-tls10: a TLS 1.2+ server refuses it with protocol_version (70); a server that
 * still allows TLS 1.0 at level 0 takes it, with the first suite it offers. */
static void test_hs_legacy(void **state)
{
	const struct mailtls_profile *p = builtin("legacy-tls10");
	struct outcome o;
	(void)state;

	handshake(p, SRV_TLS12_UP_RSA, &o);
	assert_false(o.ok);
	assert_int_equal(o.alert_received, SSL_AD_PROTOCOL_VERSION);
	handshake(p, SRV_TLS10_RSA, &o);
	assert_true(o.ok);
	assert_string_equal(o.version, "TLSv1");
	assert_string_equal(o.cipher, "DHE-RSA-AES256-SHA");
	assert_int_equal(o.alert_received, -1);
}

/* (b) rsa-only: an ECDSA-only server has no suite for it (handshake_failure, 40); an RSA
 * server picks its first suite at TLS 1.2. */
static void test_hs_rsa_only(void **state)
{
	struct outcome o;
	(void)state;

	handshake(rsa_only, SRV_DEFAULT_ECDSA, &o);
	assert_false(o.ok);
	assert_int_equal(o.alert_received, SSL_AD_HANDSHAKE_FAILURE);
	handshake(rsa_only, SRV_DEFAULT_RSA, &o);
	assert_true(o.ok);
	assert_string_equal(o.version, "TLSv1.2");
	assert_string_equal(o.cipher, "ECDHE-RSA-AES128-GCM-SHA256");
}

/* (c) postfix-debian12 against OpenSSL's defaults: TLS 1.3 with its first suite; against
 * a TLS 1.0-only server it fails, as Debian's Postfix at security level 2 does. */
static void test_hs_postfix(void **state)
{
	const struct mailtls_profile *p = builtin("postfix-debian12");
	struct outcome o;
	(void)state;

	handshake(p, SRV_DEFAULT_ECDSA, &o);
	assert_true(o.ok);
	assert_string_equal(o.version, "TLSv1.3");
	assert_string_equal(o.cipher, "TLS_AES_256_GCM_SHA384");
	handshake(p, SRV_DEFAULT_RSA, &o);
	assert_true(o.ok);
	assert_string_equal(o.version, "TLSv1.3");
	handshake(p, SRV_TLS10_RSA, &o);
	assert_false(o.ok);
	assert_int_equal(o.alert_sent, SSL_AD_INTERNAL_ERROR);
	assert_int_equal(o.alert_received, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_good_variants),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_builtin_facts),
		cmocka_unit_test(test_offer),
		cmocka_unit_test(test_ctx_errors),
		cmocka_unit_test(test_hs_legacy),
		cmocka_unit_test(test_hs_rsa_only),
		cmocka_unit_test(test_hs_postfix),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
