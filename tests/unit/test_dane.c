/*
 * test_dane.c - OpenSSL's DANE verification as danefacts.c drives it offline: the kinds of
 * case OpenSSL's test/danetest.in tabulates (records, chain, expected verify result and
 * match depth), on chains made here at run time (root -> intermediate -> leaf, EC P-256).
 * Also: per-record matches against the presented chain, a record OpenSSL refuses,
 * mailtls_tlsa_data(), and the engine's validation of the new check parameters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <mailtls/mailtls.h>
#include "danefacts.h"
#include "testpki.h"

#define DAY 86400

/* The test PKI: made once. */
static struct pki {
	time_t at;
	EVP_PKEY *root_key, *int_key, *leaf_key, *other_key;
	X509 *root, *inter, *leaf, *leaf_expired, *other;
	X509_STORE *store;                /* the root as anchor */
} pki;

/* make_cert - CN cn with key, issued by issuer/ikey (NULL: self-signed), valid from
 * at+from to at+to; a CA, or a server with DNS-ID san (serverAuth, no keyUsage). */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey,
		       long from, long to, const char *san)
{
	return testpki_cert(&(struct testpki_spec){ .cn = cn, .key = key, .issuer = issuer,
		.issuer_key = ikey, .not_before = pki.at + from, .not_after = pki.at + to,
		.ca = san == NULL, .aki = issuer != NULL ? "keyid" : NULL, .ku = TESTPKI_NONE,
		.san = san });
}

static int setup(void **state)
{
	(void)state;
	pki.at = time(NULL);
	pki.root_key = testpki_key();
	pki.int_key = testpki_key();
	pki.leaf_key = testpki_key();
	pki.other_key = testpki_key();
	pki.root = make_cert("Test Root", pki.root_key, NULL, NULL, -100 * DAY, 3000 * DAY, NULL);
	pki.inter = make_cert("Test Intermediate", pki.int_key, pki.root, pki.root_key,
			      -50 * DAY, 2000 * DAY, NULL);
	pki.leaf = make_cert("mx1.example.net", pki.leaf_key, pki.inter, pki.int_key,
			     -1 * DAY, 90 * DAY, "DNS:mx1.example.net");
	pki.leaf_expired = make_cert("mx1.example.net", pki.leaf_key, pki.inter, pki.int_key,
				     -120 * DAY, -30 * DAY, "DNS:mx1.example.net");
	pki.other = make_cert("Other CA", pki.other_key, NULL, NULL, -100 * DAY, 3000 * DAY, NULL);
	pki.store = testpki_store(pki.root);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	X509_STORE_free(pki.store);
	X509_free(pki.root);
	X509_free(pki.inter);
	X509_free(pki.leaf);
	X509_free(pki.leaf_expired);
	X509_free(pki.other);
	EVP_PKEY_free(pki.root_key);
	EVP_PKEY_free(pki.int_key);
	EVP_PKEY_free(pki.leaf_key);
	EVP_PKEY_free(pki.other_key);
	return 0;
}

enum which { LEAF, INTER, ROOT, OTHER, EXPIRED };
enum tweak { ASIS, WRONG, SHORT };   /* the data as computed, one byte flipped, one cut */

static X509 *cert_of(enum which w)
{
	switch (w) {
	case LEAF: return pki.leaf;
	case INTER: return pki.inter;
	case ROOT: return pki.root;
	case OTHER: return pki.other;
	case EXPIRED: return pki.leaf_expired;
	}
	return NULL;
}

struct rec_spec {
	uint8_t usage, selector, mtype;
	enum which of;
	enum tweak tweak;
	int want_accepted;                /* 1 or 0 */
	int want_matches;                 /* index in the presented chain, -1 */
};

struct dane_case {
	const char *name;
	struct rec_spec recs[3];
	size_t n_recs;
	enum which leaf;                  /* LEAF or EXPIRED; the intermediate follows it */
	const char *names[2];             /* beside the base */
	bool store;                       /* the root as a PKIX anchor */
	long want_code;                   /* X509_V_OK or X509_V_ERR_* */
	int want_depth;                   /* SSL_get0_dane_authority() */
	int want_match_depth;
	int want_record;                  /* the matched record's index, -1 */
	const char *want_peer;            /* NULL: none */
};

#define BASE "example.net"
#define MX "mx1.example.net"

static const struct dane_case cases[] = {
	{ "DANE-EE 3 1 1 leaf key", { { 3, 1, 1, LEAF, ASIS, 1, 0 } }, 1, LEAF, { MX }, false,
	  X509_V_OK, 0, 0, 0, NULL },
	{ "DANE-EE 3 0 1 leaf cert", { { 3, 0, 1, LEAF, ASIS, 1, 0 } }, 1, LEAF, { MX }, false,
	  X509_V_OK, 0, 0, 0, NULL },
	{ "DANE-EE 3 1 2 leaf key SHA-512", { { 3, 1, 2, LEAF, ASIS, 1, 0 } }, 1, LEAF, { MX },
	  false, X509_V_OK, 0, 0, 0, NULL },
	{ "DANE-EE 3 0 0 full leaf cert", { { 3, 0, 0, LEAF, ASIS, 1, 0 } }, 1, LEAF, { MX },
	  false, X509_V_OK, 0, 0, 0, NULL },
	{ "DANE-EE 3 1 0 full leaf key", { { 3, 1, 0, LEAF, ASIS, 1, 0 } }, 1, LEAF, { MX },
	  false, X509_V_OK, 0, 0, 0, NULL },
	/* RFC 7672 3.1.1: names and dates do not count for DANE-EE. */
	{ "DANE-EE ignores an expired leaf", { { 3, 1, 1, EXPIRED, ASIS, 1, 0 } }, 1, EXPIRED,
	  { MX }, false, X509_V_OK, 0, 0, 0, NULL },
	{ "DANE-EE ignores the name", { { 3, 1, 1, LEAF, ASIS, 1, 0 } }, 1, LEAF,
	  { "mx2.example.net" }, false, X509_V_OK, 0, 0, 0, NULL },
	{ "DANE-EE on the intermediate's key matches nothing at depth 0",
	  { { 3, 1, 1, INTER, ASIS, 1, 1 } }, 1, LEAF, { MX }, false,
	  X509_V_ERR_DANE_NO_MATCH, -1, -1, -1, NULL },
	{ "DANE-TA 2 1 1 intermediate, name matches", { { 2, 1, 1, INTER, ASIS, 1, 1 } }, 1,
	  LEAF, { MX }, false, X509_V_OK, 1, 1, 0, MX },
	{ "DANE-TA 2 0 1 intermediate cert", { { 2, 0, 1, INTER, ASIS, 1, 1 } }, 1, LEAF, { MX },
	  false, X509_V_OK, 1, 1, 0, MX },
	{ "DANE-TA 2 1 1 intermediate, name mismatch", { { 2, 1, 1, INTER, ASIS, 1, 1 } }, 1,
	  LEAF, { "mx2.example.net" }, false, X509_V_ERR_HOSTNAME_MISMATCH, -1, 1, 0, NULL },
	{ "DANE-TA 2 1 1 intermediate, expired leaf", { { 2, 1, 1, INTER, ASIS, 1, 1 } }, 1,
	  EXPIRED, { MX }, false, X509_V_ERR_CERT_HAS_EXPIRED, -1, 1, 0, MX },
	{ "DANE-TA 2 1 1 of a root not presented: no match", { { 2, 1, 1, ROOT, ASIS, 1, -1 } },
	  1, LEAF, { MX }, false, X509_V_ERR_DANE_NO_MATCH, -1, -1, -1, NULL },
	/* A bare key as anchor: OpenSSL reports the depth of the presented certificate it
	 * signed (the top of the chain), not a depth past the chain. */
	{ "DANE-TA 2 1 0 full key of a root not presented: the key is the anchor",
	  { { 2, 1, 0, ROOT, ASIS, 1, -1 } }, 1, LEAF, { MX }, false, X509_V_OK, 1, 1, 0, MX },
	{ "DANE-TA 2 1 1 of another CA: no match", { { 2, 1, 1, OTHER, ASIS, 1, -1 } }, 1, LEAF,
	  { MX }, false, X509_V_ERR_DANE_NO_MATCH, -1, -1, -1, NULL },
	{ "no record matches", { { 3, 1, 1, LEAF, WRONG, 1, -1 }, { 2, 1, 1, INTER, WRONG, 1, -1 } },
	  2, LEAF, { MX }, false, X509_V_ERR_DANE_NO_MATCH, -1, -1, -1, NULL },
	{ "rollover: a stale record beside the one that matches",
	  { { 3, 1, 1, OTHER, ASIS, 1, -1 }, { 3, 1, 1, LEAF, ASIS, 1, 0 } }, 2, LEAF, { MX },
	  false, X509_V_OK, 0, 0, 1, NULL },
	/* A refused record is a fact; with no usable record left OpenSSL falls back to PKIX,
	 * which has no anchor here. */
	{ "bad digest length refused", { { 3, 1, 1, LEAF, SHORT, 0, -1 } }, 1, LEAF, { MX },
	  false, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, -1, -1, -1, NULL },
	{ "bad digest length beside a good record", { { 3, 1, 2, LEAF, SHORT, 0, -1 },
	  { 3, 1, 1, LEAF, ASIS, 1, 0 } }, 2, LEAF, { MX }, false, X509_V_OK, 0, 0, 1, NULL },
	/* PKIX-EE(1): the record must match and the chain must verify with PKIX. */
	{ "PKIX-EE 1 1 1 leaf with the root as anchor", { { 1, 1, 1, LEAF, ASIS, 1, 0 } }, 1,
	  LEAF, { MX }, true, X509_V_OK, 0, 0, 0, MX },
	/* The record matched (match depth 0), but PKIX did not verify: no authority. */
	{ "PKIX-EE 1 1 1 leaf without an anchor", { { 1, 1, 1, LEAF, ASIS, 1, 0 } }, 1, LEAF,
	  { MX }, false, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, -1, 0, 0, NULL },
};

/* rec_data - the data of a spec'd record (owned). */
static unsigned char *rec_data(const struct rec_spec *s, size_t *len)
{
	unsigned char *d;

	assert_int_equal(danefacts_assoc(cert_of(s->of), s->selector, s->mtype, &d, len), 0);
	if (s->tweak == WRONG)
		d[*len / 2] ^= 0x5a;
	else if (s->tweak == SHORT)
		(*len)--;
	return d;
}

static void run_case(const struct dane_case *c)
{
	struct mailtls_tlsa tlsa[3] = { { 0 } };
	unsigned char *data[3] = { NULL };
	STACK_OF(X509) *chain = sk_X509_new_null();
	size_t n_names = c->names[1] ? 2 : 1;
	struct danefacts_params p = {
		.base = BASE, .names = c->names, .n_names = n_names, .tlsa = tlsa,
		.n_tlsa = c->n_recs, .store = c->store ? pki.store : NULL, .at = pki.at,
	};
	struct mailtls_dane_facts f;

	print_message("case: %s\n", c->name);
	assert_true(c->n_recs <= 3);
	assert_non_null(chain);
	sk_X509_push(chain, cert_of(c->leaf));
	sk_X509_push(chain, pki.inter);
	for (size_t i = 0; i < c->n_recs; i++) {
		const struct rec_spec *s = &c->recs[i];

		data[i] = rec_data(s, &tlsa[i].len);
		tlsa[i] = (struct mailtls_tlsa){ s->usage, s->selector, s->mtype, data[i],
						 tlsa[i].len };
	}
	memset(&f, 0, sizeof(f));
	assert_int_equal(danefacts_get(chain, &p, &f), 0);
	assert_true(f.enabled);
	assert_true(f.evaluated);
	assert_string_equal(f.tlsa_base, BASE);
	assert_int_equal(f.n_records, c->n_recs);
	if (f.verify_code != c->want_code)
		print_error("%s: verify %ld (%s), expected %ld\n", c->name, f.verify_code,
			    f.verify_text, c->want_code);
	assert_int_equal(f.verify_code, c->want_code);
	assert_string_equal(f.verify_text, X509_verify_cert_error_string(c->want_code));
	assert_int_equal(f.depth, c->want_depth);
	assert_int_equal(f.match_depth, c->want_match_depth);
	assert_int_equal(f.have_match, c->want_match_depth >= 0);
	assert_int_equal(f.match_record, c->want_record);
	if (c->want_record >= 0) {
		const struct rec_spec *m = &c->recs[c->want_record];

		assert_int_equal(f.match_usage, m->usage);
		assert_int_equal(f.match_selector, m->selector);
		assert_int_equal(f.match_mtype, m->mtype);
	}
	if (c->want_peer == NULL)
		assert_null(f.peername);
	else
		assert_string_equal(f.peername, c->want_peer);
	for (size_t i = 0; i < c->n_recs; i++) {
		char *hex = danefacts_hex(data[i], tlsa[i].len);

		assert_int_equal(f.records[i].accepted, c->recs[i].want_accepted);
		assert_int_equal(f.records[i].matches, c->recs[i].want_matches);
		assert_int_equal(f.records[i].usage, c->recs[i].usage);
		assert_string_equal(f.records[i].data, hex);
		if (c->recs[i].want_accepted)
			assert_null(f.records[i].reason);
		else
			assert_string_equal(f.records[i].reason, "dane tlsa bad digest length");
		free(hex);
		free(data[i]);
	}
	mailtls_dane_facts_clear(&f);
	sk_X509_free(chain);
}

static void danetest_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* mailtls_tlsa_data: the public DER form gives what the facts compare with. */
static void tlsa_data_public(void **state)
{
	unsigned char *der = NULL, *a, *b;
	size_t al, bl;
	int len = i2d_X509(pki.leaf, &der);
	(void)state;

	assert_true(len > 0);
	for (uint8_t sel = 0; sel <= 1; sel++)
		for (uint8_t mt = 0; mt <= 2; mt++) {
			assert_int_equal(mailtls_tlsa_data(der, (size_t)len, sel, mt, &a, &al), 0);
			assert_int_equal(danefacts_assoc(pki.leaf, sel, mt, &b, &bl), 0);
			assert_int_equal(al, bl);
			assert_memory_equal(a, b, al);
			assert_int_equal(al, mt == 1 ? 32u : mt == 2 ? 64u : al);
			free(a);
			free(b);
		}
	assert_int_equal(mailtls_tlsa_data(der, (size_t)len, 2, 1, &a, &al), MAILTLS_EINVAL);
	assert_int_equal(mailtls_tlsa_data(der, (size_t)len, 1, 3, &a, &al), MAILTLS_EINVAL);
	assert_int_equal(mailtls_tlsa_data(der, (size_t)len - 1, 1, 1, &a, &al), MAILTLS_EINVAL);
	assert_null(a);
	OPENSSL_free(der);
}

static void done_never(struct mailtls_result *res, void *arg)
{
	(void)arg;
	mailtls_result_free(res);
	fail_msg("done called for a refused submission");
}

/* The engine refuses bad DANE and address parameters at submission, naming them. */
static void engine_validates(void **state)
{
	static const unsigned char d32[32];
	unsigned char *big = calloc(1, MAILTLS_TLSA_DATA_MAX + 1);
	struct mailtls_tlsa ok = { 3, 1, 1, d32, 32 };
	struct mailtls_tlsa *many = calloc(MAILTLS_TLSA_MAX + 1, sizeof(*many));
	struct mailtls_engine_params ep = { 0 };
	char why[300];
	struct mailtls_engine *e = mailtls_engine_new(&ep, why, sizeof(why));
	const struct {
		struct mailtls_check_params cp;
		const char *want;
	} bad[] = {
		{ { .proto = MAILTLS_PROTO_SMTP, .host = "mx.example", .addr = "mx.example" },
		  "addr mx.example: not an IPv4 or IPv6 address" },
		{ { .proto = MAILTLS_PROTO_SMTP, .host = "mx.example", .addr = "::1", .family = 4 },
		  "addr ::1: an IPv6 address, but family 4 was asked for" },
		{ { .proto = MAILTLS_PROTO_SMTP, .host = "mx.example", .addr = "192.0.2.1",
		    .family = 6 }, "addr 192.0.2.1: an IPv4 address, but family 6 was asked for" },
		{ { .proto = MAILTLS_PROTO_SMTP, .host = "mx.example", .sni = "a..b" },
		  "sni a..b: not a valid DNS name" },
		{ { .proto = MAILTLS_PROTO_SMTP, .host = "mx.example", .tlsa_base = "example" },
		  "tlsa_base: no TLSA records given (n_tlsa is 0)" },
		{ { .proto = MAILTLS_PROTO_SMTP, .host = "mx.example", .tlsa = &ok, .n_tlsa = 1 },
		  "tlsa: records need a tlsa_base" },
		{ { .proto = MAILTLS_PROTO_SMTP, .host = "mx.example", .tlsa_base = "x y",
		    .tlsa = &ok, .n_tlsa = 1 }, "tlsa_base x y: not a valid DNS name" },
		{ { .proto = MAILTLS_PROTO_SMTP, .host = "mx.example", .tlsa_base = "example",
		    .tlsa = many, .n_tlsa = MAILTLS_TLSA_MAX + 1 },
		  "tlsa: too many records: 33 (at most 32)" },
		{ { .proto = MAILTLS_PROTO_SMTP, .host = "mx.example", .tlsa_base = "example",
		    .tlsa = (struct mailtls_tlsa[]){ { 4, 1, 1, d32, 32 } }, .n_tlsa = 1 },
		  "tlsa: record 1 (4 1 1, 32 bytes): usage must be 0-3, selector 0-1, mtype 0-2, "
		  "data at most 4096 bytes and not NULL" },
		{ { .proto = MAILTLS_PROTO_SMTP, .host = "mx.example", .tlsa_base = "example",
		    .tlsa = (struct mailtls_tlsa[]){ ok, { 3, 2, 1, d32, 32 } }, .n_tlsa = 2 },
		  "tlsa: record 2 (3 2 1, 32 bytes): usage must be 0-3, selector 0-1, mtype 0-2, "
		  "data at most 4096 bytes and not NULL" },
		{ { .proto = MAILTLS_PROTO_SMTP, .host = "mx.example", .tlsa_base = "example",
		    .tlsa = (struct mailtls_tlsa[]){ { 3, 1, 3, d32, 32 } }, .n_tlsa = 1 },
		  "tlsa: record 1 (3 1 3, 32 bytes): usage must be 0-3, selector 0-1, mtype 0-2, "
		  "data at most 4096 bytes and not NULL" },
		{ { .proto = MAILTLS_PROTO_SMTP, .host = "mx.example", .tlsa_base = "example",
		    .tlsa = (struct mailtls_tlsa[]){ { 3, 0, 0, big, MAILTLS_TLSA_DATA_MAX + 1 } },
		    .n_tlsa = 1 },
		  "tlsa: record 1 (3 0 0, 4097 bytes): usage must be 0-3, selector 0-1, mtype 0-2, "
		  "data at most 4096 bytes and not NULL" },
		{ { .proto = MAILTLS_PROTO_SMTP, .host = "mx.example", .tlsa_base = "example",
		    .tlsa = (struct mailtls_tlsa[]){ { 3, 1, 1, NULL, 32 } }, .n_tlsa = 1 },
		  "tlsa: record 1 (3 1 1, 32 bytes): usage must be 0-3, selector 0-1, mtype 0-2, "
		  "data at most 4096 bytes and not NULL" },
	};
	(void)state;

	assert_non_null(big);
	assert_non_null(many);
	assert_non_null(e);
	for (size_t i = 0; i < MAILTLS_TLSA_MAX + 1; i++)
		many[i] = ok;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(mailtls_engine_submit(e, &bad[i].cp, done_never, NULL, why,
						       sizeof(why)), MAILTLS_EINVAL);
		assert_string_equal(why, bad[i].want);
	}
	assert_int_equal(mailtls_engine_pending(e), 0);
	mailtls_engine_free(e);
	free(big);
	free(many);
}

struct one {
	struct mailtls_result *res;
};

static void keep(struct mailtls_result *res, void *arg)
{
	((struct one *)arg)->res = res;
}

/* A check that never reaches its handshake still shows the records as given, never given
 * to OpenSSL; the address is used as given (no lookup of the name). */
static void records_shown_without_handshake(void **state)
{
	static const unsigned char d[3] = { 0xab, 0x01, 0xff };
	struct mailtls_tlsa recs[] = { { 3, 1, 1, d, 3 }, { 2, 0, 0, NULL, 0 } };
	struct mailtls_check_params cp = {
		.proto = MAILTLS_PROTO_SMTP, .host = "mx1.example.net", .port = 2,
		.addr = "127.0.0.1", .tlsa_base = "Example.NET.", .tlsa = recs, .n_tlsa = 2,
		.timeout = 5,
	};
	struct mailtls_engine_params ep = { 0 };
	char why[300];
	struct mailtls_engine *e = mailtls_engine_new(&ep, why, sizeof(why));
	struct one o = { NULL };
	(void)state;

	assert_non_null(e);
	assert_int_equal(mailtls_engine_submit(e, &cp, keep, &o, why, sizeof(why)), 0);
	assert_int_equal(mailtls_engine_run(e), 0);
	mailtls_engine_free(e);
	assert_non_null(o.res);
	assert_true(mailtls_result_has(o.res, MAILTLS_F_CONN_REFUSED));
	assert_string_equal(o.res->session.host, "mx1.example.net");
	assert_string_equal(o.res->session.addr, "127.0.0.1");
	assert_true(o.res->dane.enabled);
	assert_false(o.res->dane.evaluated);
	assert_string_equal(o.res->dane.tlsa_base, "example.net");
	assert_int_equal(o.res->dane.n_records, 2);
	assert_string_equal(o.res->dane.records[0].data, "ab01ff");
	assert_string_equal(o.res->dane.records[1].data, "");
	assert_int_equal(o.res->dane.records[0].accepted, -1);
	assert_int_equal(o.res->dane.records[1].matches, -1);
	assert_int_equal(o.res->dane.depth, -1);
	char *json = mailtls_report_json(o.res);

	assert_non_null(json);
	assert_non_null(strstr(json, "\"dane\": {"));
	assert_non_null(strstr(json, "\"accepted\": null"));
	free(json);
	mailtls_result_free(o.res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(danetest_cases),
		cmocka_unit_test(tlsa_data_public),
		cmocka_unit_test(engine_validates),
		cmocka_unit_test(records_shown_without_handshake),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
