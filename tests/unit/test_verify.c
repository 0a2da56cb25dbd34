/*
 * test_verify.c - chain, identity and validity findings of verify_chain() and
 * mailtls_cert_check(), on certificates made here with the OpenSSL API.
 *
 * Every certificate is made at test time (EC P-256 keys; one RSA-1024 key for the weak key
 * case) and written as PEM to a mkdtemp() directory, so that the file path of cert.c is
 * exercised too. Each test asserts the exact list of finding ids, in order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <mailtls/mailtls.h>
#include "chaincache.h"
#include "testpki.h"
#include "testfindings.h"
#include "verify.h"
#include "x509info.h"

#define T0 ((time_t)1767225600)   /* 2026-01-01T00:00:00Z: the validation time */
#define DAY ((time_t)86400)

static char dir[64];
static EVP_PKEY *root_key, *inter_key, *leaf_key, *other_key, *weak_key;
static X509 *root, *inter, *other_root;

/* One dNSName SAN with its real bytes (may contain NUL). */
struct san {
	const char *p;
	size_t len;
};
#define SAN(s) { s, sizeof(s) - 1 }

struct mk {
	const char *cn;
	const char *cn2;          /* a second subject CN, after cn (NULL: none) */
	size_t cn_len;            /* 0: strlen(cn); else the real bytes (may hold NUL) */
	bool no_aki;              /* leave out the Authority Key Identifier */
	X509 *issuer;             /* NULL: self-signed */
	EVP_PKEY *issuer_key;
	EVP_PKEY *key;
	bool ca;
	time_t nb, na;
	const struct san *sans;
	size_t n_sans;
	size_t n_ips;             /* iPAddress SANs 10.0.x.y put before the dNSNames */
	int bad_san;              /* 1: a SAN extension of bad DER; 2: sans added twice */
};

/* make_cert - a v3 certificate that passes X509_V_FLAG_X509_STRICT when well chained
 * (unless no_aki). */
static X509 *make_cert(const struct mk *m)
{
	struct testpki_spec spec = { .org = "mailtls test", .cn = m->cn, .cn_len = m->cn_len,
				     .key = m->key, .issuer = m->issuer, .issuer_key = m->issuer_key,
				     .not_before = m->nb, .not_after = m->na, .ca = m->ca,
				     .aki = m->no_aki ? NULL : "keyid:always",
				     .ku = "critical,digitalSignature,keyEncipherment" };
	X509 *x = testpki_unsigned(&spec);

	if (m->cn2 != NULL)	/* a leaf's: the subject gets it, not the issuer name */
		X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
					   (const unsigned char *)m->cn2, -1, -1, 0);
	if (m->n_sans + m->n_ips > 0) {
		GENERAL_NAMES *gens = GENERAL_NAMES_new();

		for (size_t i = 0; i < m->n_ips; i++) {
			GENERAL_NAME *g = GENERAL_NAME_new();
			ASN1_OCTET_STRING *o = ASN1_OCTET_STRING_new();
			unsigned char ip[4] = { 10, 0, (unsigned char)(i >> 8), (unsigned char)i };

			ASN1_OCTET_STRING_set(o, ip, 4);
			GENERAL_NAME_set0_value(g, GEN_IPADD, o);
			sk_GENERAL_NAME_push(gens, g);
		}
		for (size_t i = 0; i < m->n_sans; i++) {
			GENERAL_NAME *g = GENERAL_NAME_new();
			ASN1_IA5STRING *s = ASN1_IA5STRING_new();

			ASN1_STRING_set(s, m->sans[i].p, (int)m->sans[i].len);
			GENERAL_NAME_set0_value(g, GEN_DNS, s);
			sk_GENERAL_NAME_push(gens, g);
		}
		assert_int_equal(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0), 1);
		if (m->bad_san == 2)	/* a second subjectAltName extension, the same names */
			assert_int_equal(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0,
							   X509V3_ADD_APPEND), 1);
		GENERAL_NAMES_free(gens);
	}
	if (m->bad_san == 1) {
		/* A SEQUENCE whose dNSName claims 5 bytes and has 1: X509_get_ext_d2i() fails. */
		static const unsigned char bad[] = { 0x30, 0x03, 0x82, 0x05, 0x61 };
		ASN1_OCTET_STRING *o = ASN1_OCTET_STRING_new();
		X509_EXTENSION *ext;

		assert_int_equal(ASN1_OCTET_STRING_set(o, bad, (int)sizeof(bad)), 1);
		ext = X509_EXTENSION_create_by_NID(NULL, NID_subject_alt_name, 0, o);
		assert_non_null(ext);
		assert_int_equal(X509_add_ext(x, ext, -1), 1);
		X509_EXTENSION_free(ext);
		ASN1_OCTET_STRING_free(o);
	}
	return testpki_sign(x, &spec);
}

/* write_pem - certificates to dir/name; returns the path (static buffer rotation). */
static const char *write_pem(const char *name, X509 *const *certs, size_t n)
{
	static char paths[4][256];
	static int k;
	char *path = paths[k++ % 4];

	snprintf(path, 256, "%s/%s", dir, name);
	testpki_write_pem(path, certs, n);
	return path;
}

static int group_setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/mailtls-verify-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	testpki_serials_from(1000);
	root_key = testpki_key();
	inter_key = testpki_key();
	leaf_key = testpki_key();
	other_key = testpki_key();
	weak_key = EVP_RSA_gen(1024);
	if (weak_key == NULL)
		return -1;
	root = make_cert(&(struct mk){ .cn = "Test Root", .key = root_key, .ca = true,
				       .nb = T0 - 3650 * DAY, .na = T0 + 3650 * DAY });
	inter = make_cert(&(struct mk){ .cn = "Test Intermediate", .issuer = root,
					.issuer_key = root_key, .key = inter_key, .ca = true,
					.nb = T0 - 1000 * DAY, .na = T0 + 1000 * DAY });
	other_root = make_cert(&(struct mk){ .cn = "Other Root", .key = other_key, .ca = true,
					     .nb = T0 - 3650 * DAY, .na = T0 + 3650 * DAY });
	write_pem("root.pem", &root, 1);
	write_pem("inter.pem", &inter, 1);
	write_pem("other.pem", &other_root, 1);
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	X509_free(root);
	X509_free(inter);
	X509_free(other_root);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(inter_key);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(other_key);
	EVP_PKEY_free(weak_key);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* leaf - a leaf from the intermediate, valid T0-30d .. T0+90d unless told otherwise. */
static X509 *leaf(const char *cn, const struct san *sans, size_t n, time_t nb, time_t na)
{
	return make_cert(&(struct mk){ .cn = cn, .issuer = inter, .issuer_key = inter_key,
				       .key = leaf_key, .nb = nb ? nb : T0 - 30 * DAY,
				       .na = na ? na : T0 + 90 * DAY, .sans = sans, .n_sans = n });
}

/* check - write the chain, run mailtls_cert_check() with names at `at`. */
static struct mailtls_result *check(X509 *const *chain, size_t n, const char *ca,
				    const char *const *names, size_t n_names, time_t at)
{
	struct mailtls_cert_params p = {
		.cert_file = write_pem("server.pem", chain, n),
		.names = names, .n_names = n_names,
		.ca_file = ca, .at = at, .have_at = true, .warn_days = -1,
	};
	struct mailtls_result *res = NULL;
	char why[256] = "";
	int r = mailtls_cert_check(&p, &res, why, sizeof(why));

	if (r != 0)
		print_error("mailtls_cert_check: %d %s\n", r, why);
	assert_int_equal(r, 0);
	assert_non_null(res);
	assert_false(res->have_session);
	assert_int_equal(res->validation_time, at);
	assert_int_equal(res->reference_names.n, n_names);
	return res;
}

/* depth_of - the certificate position of the first finding id: 0 the leaf, -1 when it is
 * about the chain as a whole. */
static int depth_of(const struct mailtls_result *res, const char *id)
{
	for (size_t i = 0; i < res->findings.n; i++)
		if (strcmp(res->findings.v[i].id, id) == 0)
			return res->findings.v[i].subject.cert_depth;
	fail_msg("no finding %s", id);
	return -2;
}

static const char *mx1[] = { "mx1.lab.test" };

static void test_good_chain(void **state)
{
	static const struct san sans[] = { SAN("mx1.lab.test"), SAN("mail.lab.test") };
	X509 *chain[2];
	struct mailtls_result *res;
	const struct mailtls_certinfo *c;

	(void)state;
	chain[0] = leaf("mx1.lab.test", sans, 2, 0, 0);
	chain[1] = inter;
	res = check(chain, 2, write_pem("ca.pem", &root, 1), mx1, 1, T0);
	expect_ids(res, "cert.trusted", "cert.name-match");
	assert_true(res->would_authenticate);
	assert_string_equal(message_of(res, "cert.trusted"),
			    "chain verified: mx1.lab.test <- Test Intermediate <- Test Root");
	assert_string_equal(message_of(res, "cert.name-match"), "mx1.lab.test matches DNS-ID mx1.lab.test");
	assert_int_equal(depth_of(res, "cert.trusted"), -1);	/* about the whole chain */
	assert_int_equal(depth_of(res, "cert.name-match"), 0);
	assert_int_equal(res->chain_len, 2);
	c = &res->chain[0];
	assert_string_equal(c->subject, "CN=mx1.lab.test,O=mailtls test");
	assert_string_equal(c->subject_cn, "mx1.lab.test");
	assert_string_equal(c->issuer_cn, "Test Intermediate");
	assert_string_equal(c->organization, "mailtls test");
	assert_int_equal(c->dns_names.n, 2);
	assert_string_equal(c->dns_names.v[1], "mail.lab.test");
	assert_int_equal(c->not_after, T0 + 90 * DAY);
	assert_int_equal(c->days_left, 90);
	assert_string_equal(c->key_type, "EC");
	assert_int_equal(c->key_bits, 256);
	assert_string_equal(c->sig_alg, "ecdsa-with-SHA256");
	assert_int_equal(strlen(c->sha256), 32 * 3 - 1);
	assert_int_equal(strlen(c->spki_sha256), 32 * 3 - 1);
	assert_false(c->is_ca);
	assert_false(c->self_issued);
	assert_true(res->chain[1].is_ca);
	mailtls_result_free(res);
	X509_free(chain[0]);
}

static void test_name_mismatch(void **state)
{
	static const struct san sans[] = { SAN("mx.example.org"), SAN("mail.example.org") };
	static const char *names[] = { "mx.example.org", "imap.example.org" };
	X509 *chain[2];
	struct mailtls_result *res;

	(void)state;
	chain[0] = leaf("mx.example.org", sans, 2, 0, 0);
	chain[1] = inter;
	res = check(chain, 2, write_pem("ca.pem", &root, 1), names, 2, T0);
	expect_ids(res, "cert.trusted", "cert.name-match", "cert.name-mismatch");
	assert_string_equal(message_of(res, "cert.name-mismatch"),
		"imap.example.org is not covered by the certificate: presented DNS-IDs "
		"mx.example.org, mail.example.org (nearest: mail.example.org)");
	assert_int_equal(depth_of(res, "cert.name-mismatch"), 0);
	assert_int_equal(res->findings.v[1].subject.cert_depth, 0);
	assert_false(res->would_authenticate);
	mailtls_result_free(res);
	X509_free(chain[0]);
}

static void test_cn_only(void **state)
{
	X509 *chain[2];
	struct mailtls_result *res;

	(void)state;
	chain[0] = leaf("mx1.lab.test", NULL, 0, 0, 0);
	chain[1] = inter;
	res = check(chain, 2, write_pem("ca.pem", &root, 1), mx1, 1, T0);
	expect_ids(res, "cert.trusted", "cert.cn-only", "cert.name-mismatch");
	assert_non_null(strstr(message_of(res, "cert.cn-only"), "would match mx1.lab.test"));
	assert_int_equal(depth_of(res, "cert.cn-only"), 0);
	assert_false(res->would_authenticate);
	mailtls_result_free(res);
	X509_free(chain[0]);
}

/* malformed_leaf - a leaf from the intermediate whose SAN cannot be used (struct mk bad_san). */
static X509 *malformed_leaf(int bad_san, const struct san *sans, size_t n)
{
	return make_cert(&(struct mk){ .cn = "mx1.lab.test", .issuer = inter,
				       .issuer_key = inter_key, .key = leaf_key,
				       .nb = T0 - 30 * DAY, .na = T0 + 90 * DAY,
				       .sans = sans, .n_sans = n, .bad_san = bad_san });
}

/* write_der - a certificate as DER to path (the fuzz seed); 0 or -1. */
static int write_der(const char *path, X509 *x)
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);
	FILE *fp = len > 0 ? fopen(path, "wb") : NULL;
	int r = -1;

	if (fp != NULL) {
		r = fwrite(der, 1, (size_t)len, fp) == (size_t)len ? 0 : -1;
		if (fclose(fp) != 0)
			r = -1;
	}
	OPENSSL_free(der);
	return r;
}

/* test_malformed_san - a SAN extension of bad DER is cert.malformed-san, not cert.cn-only,
 * and the CN (which is the reference name) never matches. MAILTLS_WRITE_SEED=path writes
 * the leaf as DER there (fuzz/corpus/cert_der/malformed-san.der was made so). */
static void test_malformed_san(void **state)
{
	const char *seed = getenv("MAILTLS_WRITE_SEED");
	X509 *chain[2];
	struct mailtls_result *res;

	(void)state;
	chain[0] = malformed_leaf(1, NULL, 0);
	chain[1] = inter;
	if (seed != NULL)
		assert_int_equal(write_der(seed, chain[0]), 0);
	res = check(chain, 2, write_pem("ca.pem", &root, 1), mx1, 1, T0);
	/* OpenSSL links no certificate with an undecodable extension to its issuer: the chain
	 * fails ("unable to get local issuer certificate"), which cert.malformed-san explains;
	 * no cert.incomplete-chain blaming the intermediate that was sent. */
	expect_ids(res, "cert.malformed-san", "cert.name-mismatch");
	assert_string_equal(message_of(res, "cert.malformed-san"),
		"certificate 'mx1.lab.test' (depth 0) has a subjectAltName extension that does "
		"not decode (DER error): verifying clients find no DNS-ID in it");
	assert_int_equal(depth_of(res, "cert.malformed-san"), 0);
	assert_string_equal(message_of(res, "cert.name-mismatch"),
		"mx1.lab.test is not covered by the certificate: its subjectAltName extension "
		"does not decode");
	assert_false(res->would_authenticate);
	assert_int_equal(res->chain_len, 2);
	assert_true(res->chain[0].san_malformed);
	assert_int_equal(res->chain[0].dns_names.n, 0);
	assert_false(res->chain[1].san_malformed);
	mailtls_result_free(res);
	X509_free(chain[0]);
}

/* test_duplicate_san - two SAN extensions (RFC 5280 4.2: at most one) are unusable too, even
 * when both hold the reference name. */
static void test_duplicate_san(void **state)
{
	static const struct san sans[] = { SAN("mx1.lab.test") };
	X509 *chain[2];
	struct mailtls_result *res;

	(void)state;
	chain[0] = malformed_leaf(2, sans, 1);
	chain[1] = inter;
	res = check(chain, 2, write_pem("ca.pem", &root, 1), mx1, 1, T0);
	/* OpenSSL links no certificate with an undecodable extension to its issuer: the chain
	 * fails ("unable to get local issuer certificate"), which cert.malformed-san explains;
	 * no cert.incomplete-chain blaming the intermediate that was sent. */
	expect_ids(res, "cert.malformed-san", "cert.name-mismatch");
	assert_string_equal(message_of(res, "cert.malformed-san"),
		"certificate 'mx1.lab.test' (depth 0) has more than one subjectAltName "
		"extension: verifying clients find no DNS-ID in it");
	assert_string_equal(message_of(res, "cert.name-mismatch"),
		"mx1.lab.test is not covered by the certificate: it has more than one "
		"subjectAltName extension");
	assert_false(res->would_authenticate);
	assert_true(res->chain[0].san_malformed);
	assert_int_equal(res->chain[0].dns_names.n, 0);
	mailtls_result_free(res);
	X509_free(chain[0]);
}

static void test_wildcard(void **state)
{
	static const struct san sans[] = { SAN("*.lab.test") };
	X509 *chain[2];
	struct mailtls_result *res;

	(void)state;
	chain[0] = leaf("*.lab.test", sans, 1, 0, 0);
	chain[1] = inter;
	res = check(chain, 2, write_pem("ca.pem", &root, 1), mx1, 1, T0);
	expect_ids(res, "cert.trusted", "cert.name-match", "cert.wildcard");
	assert_int_equal(depth_of(res, "cert.wildcard"), 0);
	assert_true(res->would_authenticate);
	mailtls_result_free(res);
	X509_free(chain[0]);
}

static void test_partial_wildcard(void **state)
{
	static const struct san sans[] = { SAN("mx*.lab.test") };
	X509 *chain[2];
	struct mailtls_result *res;

	(void)state;
	chain[0] = leaf("mx*.lab.test", sans, 1, 0, 0);
	chain[1] = inter;
	res = check(chain, 2, write_pem("ca.pem", &root, 1), mx1, 1, T0);
	expect_ids(res, "cert.trusted", "cert.partial-wildcard", "cert.name-mismatch");
	assert_int_equal(depth_of(res, "cert.partial-wildcard"), 0);
	assert_false(res->would_authenticate);
	mailtls_result_free(res);
	X509_free(chain[0]);
}

static void test_expired(void **state)
{
	static const struct san sans[] = { SAN("mx1.lab.test") };
	X509 *chain[2];
	struct mailtls_result *res;

	(void)state;
	chain[0] = leaf("mx1.lab.test", sans, 1, T0 - 100 * DAY, T0 - 3 * DAY);
	chain[1] = inter;
	res = check(chain, 2, write_pem("ca.pem", &root, 1), mx1, 1, T0);
	expect_ids(res, "cert.expired", "cert.name-match");
	assert_string_equal(message_of(res, "cert.expired"),
		"certificate 'mx1.lab.test' (depth 0) expired on 2025-12-29T00:00:00Z, 3 days ago");
	assert_int_equal(depth_of(res, "cert.expired"), 0);
	assert_int_equal(res->chain[0].days_left, -3);
	assert_false(res->would_authenticate);
	mailtls_result_free(res);
	X509_free(chain[0]);
}

/* leaf_from - a leaf for mx1.lab.test from issuer (signed with inter_key), valid from
 * T0-30d to na. */
static X509 *leaf_from(X509 *issuer, time_t na)
{
	static const struct san sans[] = { SAN("mx1.lab.test") };

	return make_cert(&(struct mk){ .cn = "mx1.lab.test", .issuer = issuer,
				       .issuer_key = inter_key, .key = leaf_key,
				       .nb = T0 - 30 * DAY, .na = na, .sans = sans, .n_sans = 1 });
}

/* test_expired_intermediate - cert.expired names the certificate that expired: the
 * intermediate at depth 1, and beside it the leaf at depth 0 when both did. */
static void test_expired_intermediate(void **state)
{
	X509 *old_inter = make_cert(&(struct mk){ .cn = "Old Intermediate", .issuer = root,
						  .issuer_key = root_key, .key = inter_key,
						  .ca = true, .nb = T0 - 1000 * DAY,
						  .na = T0 - 5 * DAY });
	X509 *chain[2];
	struct mailtls_result *res;

	(void)state;
	chain[0] = leaf_from(old_inter, T0 + 90 * DAY);
	chain[1] = old_inter;
	res = check(chain, 2, write_pem("ca.pem", &root, 1), mx1, 1, T0);
	expect_ids(res, "cert.expired", "cert.name-match");
	assert_string_equal(message_of(res, "cert.expired"),
		"certificate 'Old Intermediate' (depth 1) expired on 2025-12-27T00:00:00Z, 5 days ago");
	assert_int_equal(depth_of(res, "cert.expired"), 1);
	assert_int_equal(depth_of(res, "cert.name-match"), 0);
	assert_false(res->would_authenticate);
	mailtls_result_free(res);
	X509_free(chain[0]);

	chain[0] = leaf_from(old_inter, T0 - 3 * DAY);
	res = check(chain, 2, write_pem("ca.pem", &root, 1), mx1, 1, T0);
	expect_ids(res, "cert.expired", "cert.expired", "cert.name-match");
	for (size_t i = 0; i < 2; i++) {
		const struct mailtls_finding *f = &res->findings.v[i];

		assert_int_equal(f->subject.cert_depth,
				 strstr(f->message, "'Old Intermediate' (depth 1)") != NULL ? 1 : 0);
	}
	assert_int_not_equal(res->findings.v[0].subject.cert_depth,
			     res->findings.v[1].subject.cert_depth);
	mailtls_result_free(res);
	X509_free(chain[0]);

	/* Sent out of order, with an unrelated certificate between: the message gives the
	 * depth in the path OpenSSL built (1), the subject the position as presented (2). */
	X509 *sent[3];

	sent[0] = leaf_from(old_inter, T0 + 90 * DAY);
	sent[1] = root;
	sent[2] = old_inter;
	res = check(sent, 3, write_pem("ca.pem", &root, 1), mx1, 1, T0);
	assert_string_equal(message_of(res, "cert.expired"),
		"certificate 'Old Intermediate' (depth 1) expired on 2025-12-27T00:00:00Z, 5 days ago");
	assert_int_equal(depth_of(res, "cert.expired"), 2);
	mailtls_result_free(res);
	X509_free(sent[0]);
	X509_free(old_inter);
}

/* run_cached - verify_chain() of chain with the engine's chain cache; the ids in order. */
static struct mailtls_result *run_cached(struct chaincache *cache, X509_STORE *store,
					 X509 *const *chain, int n, time_t at)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	struct verify_params vp = { .store = store, .names = mx1, .n_names = 1, .at = at,
				    .warn_days = 21, .cache = cache };
	struct mailtls_result *res = mailtls_result_new();

	assert_non_null(sk);
	assert_non_null(res);
	for (int i = 0; i < n; i++)
		assert_true(sk_X509_push(sk, chain[i]) > 0);
	assert_int_equal(verify_chain(sk, &vp, res), 0);
	sk_X509_free(sk);
	return res;
}

/* test_chain_cache - a chain seen before at the same second gives the same findings
 * without a second validation; another time, another leaf from the same issuer, or one
 * byte more in the chain is validated afresh. An expired intermediate and a good one with
 * the same name and key must never share facts. */
static void test_chain_cache(void **state)
{
	X509 *old_inter = make_cert(&(struct mk){ .cn = "Old Intermediate", .issuer = root,
						  .issuer_key = root_key, .key = inter_key,
						  .ca = true, .nb = T0 - 1000 * DAY,
						  .na = T0 - 5 * DAY });
	X509 *good[2], *bad[2], *other[2];
	struct chaincache *cache = chaincache_new();
	X509_STORE *store = verify_store_new(write_pem("ca.pem", &root, 1), NULL, NULL, 0);
	struct mailtls_result *a, *b;
	size_t hits, misses;
	(void)state;

	assert_non_null(cache);
	assert_non_null(store);
	good[0] = leaf_from(inter, T0 + 90 * DAY);
	good[1] = inter;
	other[0] = leaf_from(inter, T0 + 91 * DAY);
	other[1] = inter;
	bad[0] = leaf_from(old_inter, T0 + 90 * DAY);
	bad[1] = old_inter;
	a = run_cached(cache, store, good, 2, T0);
	b = run_cached(cache, store, good, 2, T0);
	chaincache_stats(cache, &hits, &misses);
	assert_int_equal(hits, 1);
	assert_int_equal(misses, 1);
	assert_int_equal(a->findings.n, b->findings.n);
	for (size_t i = 0; i < a->findings.n; i++) {
		assert_string_equal(a->findings.v[i].id, b->findings.v[i].id);
		assert_string_equal(a->findings.v[i].message, b->findings.v[i].message);
		assert_int_equal(a->findings.v[i].subject.cert_depth, b->findings.v[i].subject.cert_depth);
	}
	assert_true(a->would_authenticate && b->would_authenticate);
	mailtls_result_free(a);
	mailtls_result_free(b);
	/* Another second, another leaf, another chain: each validated. */
	mailtls_result_free(run_cached(cache, store, good, 2, T0 + 1));
	mailtls_result_free(run_cached(cache, store, other, 2, T0));
	a = run_cached(cache, store, bad, 2, T0);
	chaincache_stats(cache, &hits, &misses);
	assert_int_equal(hits, 1);
	assert_int_equal(misses, 4);
	assert_true(mailtls_result_has(a, MAILTLS_F_CERT_EXPIRED));
	assert_false(a->would_authenticate);
	mailtls_result_free(a);
	/* The leaf alone (intermediate not sent) is another chain too. */
	a = run_cached(cache, store, good, 1, T0);
	assert_true(mailtls_result_has(a, MAILTLS_F_CERT_INCOMPLETE_CHAIN));
	mailtls_result_free(a);
	chaincache_free(cache);
	X509_STORE_free(store);
	X509_free(good[0]);
	X509_free(other[0]);
	X509_free(bad[0]);
	X509_free(old_inter);
}

static void test_not_yet_valid(void **state)
{
	static const struct san sans[] = { SAN("mx1.lab.test") };
	X509 *chain[2];
	struct mailtls_result *res;

	(void)state;
	chain[0] = leaf("mx1.lab.test", sans, 1, T0 + 2 * DAY, T0 + 100 * DAY);
	chain[1] = inter;
	res = check(chain, 2, write_pem("ca.pem", &root, 1), mx1, 1, T0);
	expect_ids(res, "cert.not-yet-valid", "cert.name-match");
	assert_false(res->would_authenticate);
	mailtls_result_free(res);
	X509_free(chain[0]);
}

static void test_expires_soon(void **state)
{
	static const struct san sans[] = { SAN("mx1.lab.test") };
	X509 *chain[2];
	struct mailtls_result *res;

	(void)state;
	chain[0] = leaf("mx1.lab.test", sans, 1, 0, 0);
	chain[1] = inter;
	res = check(chain, 2, write_pem("ca.pem", &root, 1), mx1, 1, T0 + 80 * DAY);
	expect_ids(res, "cert.trusted", "cert.expires-soon", "cert.name-match");
	assert_string_equal(message_of(res, "cert.expires-soon"),
		"certificate 'mx1.lab.test' expires on 2026-04-01T00:00:00Z, in 10 days");
	assert_int_equal(depth_of(res, "cert.expires-soon"), 0);
	assert_true(res->would_authenticate);
	mailtls_result_free(res);
	X509_free(chain[0]);
}

static void test_self_signed(void **state)
{
	static const struct san sans[] = { SAN("mx1.lab.test") };
	X509 *self;
	struct mailtls_result *res;

	(void)state;
	self = make_cert(&(struct mk){ .cn = "mx1.lab.test", .key = leaf_key,
				       .nb = T0 - DAY, .na = T0 + 100 * DAY,
				       .sans = sans, .n_sans = 1 });
	res = check(&self, 1, write_pem("ca.pem", &root, 1), mx1, 1, T0);
	expect_ids(res, "cert.self-signed", "cert.name-match");
	assert_int_equal(depth_of(res, "cert.self-signed"), 0);
	assert_true(res->chain[0].self_issued);
	assert_false(res->would_authenticate);
	mailtls_result_free(res);
	X509_free(self);
}

static void test_untrusted_root(void **state)
{
	static const struct san sans[] = { SAN("mx1.lab.test") };
	X509 *chain[3];
	struct mailtls_result *res;

	(void)state;
	chain[0] = leaf("mx1.lab.test", sans, 1, 0, 0);
	chain[1] = inter;
	chain[2] = root;
	res = check(chain, 3, write_pem("ca.pem", &other_root, 1), mx1, 1, T0);
	expect_ids(res, "cert.untrusted", "cert.name-match");
	assert_string_equal(message_of(res, "cert.untrusted"),
		"the chain ends at root 'Test Root' (depth 2), which is not a trust anchor");
	assert_int_equal(depth_of(res, "cert.untrusted"), 2);	/* the root, as sent */
	assert_false(res->would_authenticate);
	mailtls_result_free(res);
	X509_free(chain[0]);
}

static void test_incomplete_chain(void **state)
{
	static const struct san sans[] = { SAN("mx1.lab.test") };
	X509 *chain[1];
	struct mailtls_result *res;

	(void)state;
	chain[0] = leaf("mx1.lab.test", sans, 1, 0, 0);
	res = check(chain, 1, write_pem("ca.pem", &root, 1), mx1, 1, T0);
	expect_ids(res, "cert.incomplete-chain", "cert.name-match");
	assert_non_null(strstr(message_of(res, "cert.incomplete-chain"),
		"the server did not send the intermediate certificate for issuer "
		"'CN=Test Intermediate,O=mailtls test'"));
	assert_int_equal(depth_of(res, "cert.incomplete-chain"), 0);	/* its issuer is missing */
	assert_false(res->would_authenticate);
	mailtls_result_free(res);
	X509_free(chain[0]);
}

static void test_pinned_intermediate(void **state)
{
	static const struct san sans[] = { SAN("mx1.lab.test") };
	X509 *chain[2];
	struct mailtls_result *res;

	(void)state;
	chain[0] = leaf("mx1.lab.test", sans, 1, 0, 0);
	chain[1] = inter;
	res = check(chain, 2, write_pem("ca.pem", &inter, 1), mx1, 1, T0);
	expect_ids(res, "cert.trusted", "cert.name-match");
	assert_string_equal(message_of(res, "cert.trusted"),
			    "chain verified: mx1.lab.test <- Test Intermediate");
	assert_true(res->would_authenticate);
	mailtls_result_free(res);
	X509_free(chain[0]);
}

static void test_embedded_nul(void **state)
{
	static const struct san sans[] = { SAN("mx1.lab.test\0.evil.test") };
	X509 *chain[2];
	struct mailtls_result *res;

	(void)state;
	chain[0] = leaf("evil", sans, 1, 0, 0);
	chain[1] = inter;
	res = check(chain, 2, write_pem("ca.pem", &root, 1), mx1, 1, T0);
	expect_ids(res, "cert.trusted", "cert.invalid-name", "cert.name-mismatch");
	assert_string_equal(message_of(res, "cert.name-mismatch"),
		"mx1.lab.test is not covered by the certificate: presented DNS-IDs "
		"mx1.lab.test\\x00.evil.test (nearest: mx1.lab.test\\x00.evil.test)");
	assert_string_equal(res->chain[0].dns_names.v[0], "mx1.lab.test\\x00.evil.test");
	assert_false(res->would_authenticate);
	mailtls_result_free(res);
	X509_free(chain[0]);
}

static void test_weak_key(void **state)
{
	static const struct san sans[] = { SAN("mx1.lab.test") };
	X509 *chain[2];
	struct mailtls_result *res;

	(void)state;
	chain[0] = make_cert(&(struct mk){ .cn = "mx1.lab.test", .issuer = inter,
					   .issuer_key = inter_key, .key = weak_key,
					   .nb = T0 - DAY, .na = T0 + 100 * DAY,
					   .sans = sans, .n_sans = 1 });
	chain[1] = inter;
	res = check(chain, 2, write_pem("ca.pem", &root, 1), mx1, 1, T0);
	expect_ids(res, "cert.weak-key", "cert.name-match");
	assert_int_equal(depth_of(res, "cert.weak-key"), 0);
	assert_string_equal(res->chain[0].key_type, "RSA");
	assert_int_equal(res->chain[0].key_bits, 1024);
	assert_false(res->would_authenticate);
	mailtls_result_free(res);
	X509_free(chain[0]);
}

/* test_chain_too_long - reviewer's reproducer: a leaf from an anchor, then 16 unrelated
 * self-signed certificates. The first 16 build a trusted path, as OpenSSL builds it from all
 * of them (`openssl verify -untrusted junk.pem leaf.pem`: OK): a warning, and the verdict
 * follows the chain; never "trusted" and "no issuer looked for" together. */
static void test_chain_too_long(void **state)
{
	static const struct san sans[] = { SAN("mx1.lab.test") };
	X509 *chain[VERIFY_CHAIN_MAX + 1];
	struct mailtls_result *res;

	(void)state;
	chain[0] = leaf("mx1.lab.test", sans, 1, 0, 0);
	for (int i = 1; i <= VERIFY_CHAIN_MAX; i++)
		chain[i] = other_root;
	res = check(chain, VERIFY_CHAIN_MAX + 1, write_pem("ca.pem", &inter, 1), mx1, 1, T0);
	expect_ids(res, "cert.chain-extra", "cert.trusted", "cert.name-match");
	assert_string_equal(message_of(res, "cert.chain-extra"),
		"the server sent 17 certificates, more than any chain needs; the first 16 lead to "
		"a trust anchor, so OpenSSL-based clients (Postfix) accept the chain, but "
		"GnuTLS-based clients refuse more than 16 certificates");
	assert_string_equal(message_of(res, "cert.trusted"),
			    "chain verified: mx1.lab.test <- Test Intermediate");
	assert_int_equal(res->chain_len, VERIFY_CHAIN_MAX);
	assert_int_equal(depth_of(res, "cert.chain-extra"), -1);
	assert_int_equal(depth_of(res, "cert.trusted"), -1);
	assert_true(res->would_authenticate);
	assert_int_equal(mailtls_result_exit_code(res), MAILTLS_EXIT_WARNING);
	mailtls_result_free(res);
	X509_free(chain[0]);
}

/* ca_ladder - n CA certificates "<prefix> 1".."<prefix> n", each issued by the one before,
 * the first by top/top_key (NULL: the first is self-signed), then a leaf for mx1.lab.test
 * from the last; out[0] is the leaf, out[1] "<prefix> n" ... out[n] "<prefix> 1" (the order
 * a server sends). keys[] receives the n CA keys. */
static void ca_ladder(const char *prefix, int n, X509 *top, EVP_PKEY *top_key, X509 **out,
		      EVP_PKEY **keys)
{
	static const struct san sans[] = { SAN("mx1.lab.test") };
	X509 *issuer = top;
	EVP_PKEY *ikey = top_key;
	char cn[64];

	for (int i = 1; i <= n; i++) {
		keys[i - 1] = testpki_key();
		snprintf(cn, sizeof(cn), "%s %d", prefix, i);
		out[n + 1 - i] = make_cert(&(struct mk){ .cn = cn, .issuer = issuer,
			.issuer_key = ikey, .key = keys[i - 1], .ca = true,
			.nb = T0 - 1000 * DAY, .na = T0 + 1000 * DAY });
		issuer = out[n + 1 - i];
		ikey = keys[i - 1];
	}
	out[0] = make_cert(&(struct mk){ .cn = "mx1.lab.test", .issuer = issuer, .issuer_key = ikey,
					 .key = leaf_key, .nb = T0 - 30 * DAY, .na = T0 + 90 * DAY,
					 .sans = sans, .n_sans = 1 });
}

static void ladder_free(X509 **certs, int n, EVP_PKEY **keys, int nkeys)
{
	for (int i = 0; i < n; i++)
		X509_free(certs[i]);
	for (int i = 0; i < nkeys; i++)
		EVP_PKEY_free(keys[i]);
}

/* test_chain_too_long_untrusted_root - reviewer's reproducer: 16 certificates ending at a
 * self-signed root that is no anchor report cert.untrusted; one unrelated certificate more
 * must not hide it behind cert.chain-too-long. */
static void test_chain_too_long_untrusted_root(void **state)
{
	X509 *chain[VERIFY_CHAIN_MAX + 1];
	EVP_PKEY *keys[VERIFY_CHAIN_MAX - 1];
	const char *ca = write_pem("ca.pem", &root, 1);
	const char *untrusted = "the chain ends at root 'UntrustedRoot 1' (depth 15), which is not a "
				"trust anchor";
	struct mailtls_result *res;

	(void)state;
	/* leaf, 14 intermediates, the self-signed root: 16. */
	ca_ladder("UntrustedRoot", VERIFY_CHAIN_MAX - 1, NULL, NULL, chain, keys);
	res = check(chain, VERIFY_CHAIN_MAX, ca, mx1, 1, T0);
	expect_ids(res, "cert.untrusted", "cert.name-match");
	assert_string_equal(message_of(res, "cert.untrusted"), untrusted);
	mailtls_result_free(res);

	chain[VERIFY_CHAIN_MAX] = other_root;
	res = check(chain, VERIFY_CHAIN_MAX + 1, ca, mx1, 1, T0);
	expect_ids(res, "cert.chain-too-long", "cert.untrusted", "cert.name-match");
	assert_string_equal(message_of(res, "cert.chain-too-long"),
		"the server sent 17 certificates; only the first 16 were verified, and the chain "
		"they make fails (the other findings say why)");
	assert_string_equal(message_of(res, "cert.untrusted"), untrusted);
	assert_int_equal(depth_of(res, "cert.untrusted"), 15);
	assert_int_equal(depth_of(res, "cert.chain-too-long"), -1);
	assert_false(res->would_authenticate);
	assert_int_equal(mailtls_result_exit_code(res), MAILTLS_EXIT_CRITICAL);
	mailtls_result_free(res);
	ladder_free(chain, VERIFY_CHAIN_MAX, keys, VERIFY_CHAIN_MAX - 1);
}

/* test_chain_too_long_cut_issuer - the issuer of the 16th certificate is the 17th: it was
 * sent, so it is not called missing or untrusted; an unrelated 17th does not excuse the
 * unknown issuer. */
static void test_chain_too_long_cut_issuer(void **state)
{
	X509 *chain[VERIFY_CHAIN_MAX + 1];
	EVP_PKEY *keys[VERIFY_CHAIN_MAX];
	const char *ca = write_pem("ca.pem", &root, 1);
	struct mailtls_result *res;
	X509 *cut;

	(void)state;
	/* leaf, then Cut CA 16 .. Cut CA 1 (from Test Root): 17 certificates. */
	ca_ladder("Cut CA", VERIFY_CHAIN_MAX, root, root_key, chain, keys);
	res = check(chain, VERIFY_CHAIN_MAX + 1, ca, mx1, 1, T0);
	expect_ids(res, "cert.chain-too-long", "cert.name-match");
	assert_string_equal(message_of(res, "cert.chain-too-long"),
		"the server sent 17 certificates; only the first 16 were verified, and the issuer "
		"of 'Cut CA 2' (depth 15) is certificate 17 as sent ('Cut CA 1'), beyond them: "
		"the chain was not followed to a trust anchor");
	assert_false(res->would_authenticate);
	mailtls_result_free(res);

	cut = chain[VERIFY_CHAIN_MAX];
	chain[VERIFY_CHAIN_MAX] = other_root;
	res = check(chain, VERIFY_CHAIN_MAX + 1, ca, mx1, 1, T0);
	expect_ids(res, "cert.chain-too-long", "cert.untrusted", "cert.name-match");
	assert_string_equal(message_of(res, "cert.untrusted"),
		"the chain leads to issuer 'CN=Cut CA 1,O=mailtls test' of certificate 'Cut CA 2' "
		"(depth 15), which is not a trust anchor");
	assert_false(res->would_authenticate);
	mailtls_result_free(res);
	chain[VERIFY_CHAIN_MAX] = cut;
	ladder_free(chain, VERIFY_CHAIN_MAX + 1, keys, VERIFY_CHAIN_MAX);
}

/* test_profile_violation - a leaf without AKI (as Python's cryptography makes by default):
 * lenient clients (Postfix, Exim, openssl verify) accept it, X509_STRICT refuses it. */
static void test_profile_violation(void **state)
{
	static const struct san sans[] = { SAN("mx1.lab.test") };
	X509 *chain[2];
	struct mailtls_result *res;

	(void)state;
	chain[0] = make_cert(&(struct mk){ .cn = "mx1.lab.test", .issuer = inter,
					   .issuer_key = inter_key, .key = leaf_key, .no_aki = true,
					   .nb = T0 - DAY, .na = T0 + 100 * DAY,
					   .sans = sans, .n_sans = 1 });
	chain[1] = inter;
	res = check(chain, 2, write_pem("ca.pem", &root, 1), mx1, 1, T0);
	expect_ids(res, "cert.trusted", "cert.profile-violation", "cert.name-match");
	assert_string_equal(message_of(res, "cert.profile-violation"),
		"lenient clients accept the chain; the strict RFC 5280 profile (OpenSSL X509_STRICT) "
		"refuses it: depth 0 'mx1.lab.test': Missing Authority Key Identifier");
	assert_int_equal(depth_of(res, "cert.profile-violation"), 0);	/* one certificate */
	assert_true(res->would_authenticate);
	assert_int_equal(mailtls_result_exit_code(res), MAILTLS_EXIT_WARNING);
	mailtls_result_free(res);
	X509_free(chain[0]);
}

/* test_escaped_names - CN and dNSName with ESC and NUL: stored and quoted escaped, whole. */
static void test_escaped_names(void **state)
{
	static const char cn[] = "evil\x1b[31mRED.example\0.good.test";
	static const struct san sans[] = { SAN("mx1.lab.test\0\x1b[2J.evil.test") };
	X509 *chain[2];
	struct mailtls_result *res;
	const struct mailtls_certinfo *c;

	(void)state;
	chain[0] = make_cert(&(struct mk){ .cn = cn, .cn_len = sizeof(cn) - 1, .issuer = inter,
					   .issuer_key = inter_key, .key = leaf_key,
					   .nb = T0 - DAY, .na = T0 + 100 * DAY,
					   .sans = sans, .n_sans = 1 });
	chain[1] = inter;
	res = check(chain, 2, write_pem("ca.pem", &root, 1), mx1, 1, T0);
	expect_ids(res, "cert.trusted", "cert.invalid-name", "cert.name-mismatch");
	c = &res->chain[0];
	assert_string_equal(c->subject_cn, "evil\\x1b[31mRED.example\\x00.good.test");
	assert_string_equal(c->subject,
			    "CN=evil\\x1b[31mRED.example\\x00.good.test,O=mailtls test");
	assert_int_equal(c->dns_names.n, 1);
	assert_string_equal(c->dns_names.v[0], "mx1.lab.test\\x00\\x1b[2J.evil.test");
	assert_string_equal(res->chain[1].issuer_cn, "Test Root");
	assert_string_equal(message_of(res, "cert.trusted"),
		"chain verified: evil\\x1b[31mRED.example\\x00.good.test <- Test Intermediate <- Test Root");
	assert_string_equal(message_of(res, "cert.invalid-name"),
		"DNS-ID mx1.lab.test\\x00\\x1b[2J.evil.test is not a valid DNS name: it never matches");
	assert_string_equal(message_of(res, "cert.name-mismatch"),
		"mx1.lab.test is not covered by the certificate: presented DNS-IDs "
		"mx1.lab.test\\x00\\x1b[2J.evil.test (nearest: mx1.lab.test\\x00\\x1b[2J.evil.test)");
	for (size_t i = 0; i < res->findings.n; i++)
		assert_null(strpbrk(res->findings.v[i].message, "\x1b"));
	assert_false(res->would_authenticate);
	mailtls_result_free(res);
	X509_free(chain[0]);
}

/* many_sans - n dNSNames "hNNNN.example.org", then extra (may be NULL); owned array. */
static struct san *many_sans(size_t n, const char *extra, char (**bufs)[48])
{
	struct san *v = calloc(n + 1, sizeof(*v));

	*bufs = calloc(n + 1, sizeof(**bufs));
	assert_non_null(v);
	assert_non_null(*bufs);
	for (size_t i = 0; i < n; i++) {
		snprintf((*bufs)[i], 48, "h%04zu.example.org", i);
		v[i].p = (*bufs)[i];
		v[i].len = strlen((*bufs)[i]);
	}
	if (extra != NULL) {
		v[n].p = extra;
		v[n].len = strlen(extra);
	}
	return v;
}

/* test_many_dnsids - every DNS-ID is matched, also past the 1000 that x509info lists (a
 * name 1201st is found, as OpenSSL finds it); the mismatch message lists a bounded part of
 * them and searches the near miss among the first 64 only. */
static void test_many_dnsids(void **state)
{
	static const char *far[] = { "mx1.lab.test" };
	static const char *near[] = { "h0999.example.org", "h1150.example.org", "h0998.example.or" };
	char (*bufs)[48];
	struct san *sans = many_sans(1200, "mx1.lab.test", &bufs);
	X509 *chain[2];
	struct mailtls_result *res;
	const char *msg;

	(void)state;
	chain[0] = leaf("many", sans, 1201, 0, 0);
	chain[1] = inter;
	res = check(chain, 2, write_pem("ca.pem", &root, 1), far, 1, T0);
	expect_ids(res, "cert.trusted", "cert.name-match");
	assert_string_equal(message_of(res, "cert.name-match"),
			    "mx1.lab.test matches DNS-ID mx1.lab.test");
	assert_true(res->would_authenticate);
	assert_int_equal(res->chain[0].dns_names.n, 1000);
	mailtls_result_free(res);

	res = check(chain, 2, write_pem("ca.pem", &root, 1), near, 3, T0);
	expect_ids(res, "cert.trusted", "cert.name-match", "cert.name-match",
		   "cert.name-mismatch");
	assert_string_equal(res->findings.v[2].message,
			    "h1150.example.org matches DNS-ID h1150.example.org");
	msg = res->findings.v[3].message;
	assert_true(strlen(msg) < 1500);
	assert_non_null(strstr(msg, "h0000.example.org, h0001.example.org"));
	assert_non_null(strstr(msg, ", ... (nearest: h00"));
	assert_non_null(strstr(msg, "; the certificate has 1201 DNS-IDs, not all listed"));
	assert_false(res->would_authenticate);
	mailtls_result_free(res);
	X509_free(chain[0]);
	free(sans);
	free(bufs);
}

/* test_san_lists_capped_apart - 1001 IP SANs before one DNS name: the DNS name is still
 * listed (each list has its own cap), beside its name-match. */
static void test_san_lists_capped_apart(void **state)
{
	static const struct san sans[] = { SAN("mx1.lab.test") };
	X509 *chain[2];
	struct mailtls_result *res;

	(void)state;
	chain[0] = make_cert(&(struct mk){ .cn = "mx1.lab.test", .issuer = inter,
					   .issuer_key = inter_key, .key = leaf_key,
					   .nb = T0 - DAY, .na = T0 + 100 * DAY,
					   .n_ips = X509INFO_SAN_MAX + 1, .sans = sans, .n_sans = 1 });
	chain[1] = inter;
	res = check(chain, 2, write_pem("ca.pem", &root, 1), mx1, 1, T0);
	expect_ids(res, "cert.trusted", "cert.name-match");
	assert_int_equal(res->chain[0].dns_names.n, 1);
	assert_string_equal(res->chain[0].dns_names.v[0], "mx1.lab.test");
	assert_int_equal(res->chain[0].other_names.n, X509INFO_SAN_MAX);
	assert_string_equal(res->chain[0].other_names.v[0], "IP:10.0.0.0");
	mailtls_result_free(res);
	X509_free(chain[0]);
}

/* test_cn_only_second_cn - legacy CN fallback (OpenSSL X509_check_host) tries every CN. */
static void test_cn_only_second_cn(void **state)
{
	X509 *chain[2];
	struct mailtls_result *res;

	(void)state;
	chain[0] = make_cert(&(struct mk){ .cn = "Mail Server", .cn2 = "mx1.lab.test",
					   .issuer = inter, .issuer_key = inter_key,
					   .key = leaf_key, .nb = T0 - DAY, .na = T0 + 100 * DAY });
	chain[1] = inter;
	res = check(chain, 2, write_pem("ca.pem", &root, 1), mx1, 1, T0);
	expect_ids(res, "cert.trusted", "cert.cn-only", "cert.name-mismatch");
	assert_string_equal(message_of(res, "cert.cn-only"),
		"the certificate has no DNS-ID, only subject CNs Mail Server, mx1.lab.test: strict "
		"clients (RFC 9525) fail; legacy clients fall back to the CN, which would match "
		"mx1.lab.test");
	assert_false(res->would_authenticate);
	mailtls_result_free(res);
	X509_free(chain[0]);
}

/* rejected_anchor - the chain to a copy of root stored as TRUSTED CERTIFICATE with trust
 * settings: reject serverAuth (openssl x509 -addreject serverAuth -trustout), or trust only
 * clientAuth (-addtrust clientAuth), which OpenSSL treats as a rejection for serverAuth. */
static void rejected_anchor(int nid, bool reject)
{
	static const struct san sans[] = { SAN("mx1.lab.test") };
	X509 *chain[2];
	X509 *rej = X509_dup(root);
	struct mailtls_result *res;
	char path[300];
	FILE *fp;

	if (reject)
		assert_int_equal(X509_add1_reject_object(rej, OBJ_nid2obj(nid)), 1);
	else
		assert_int_equal(X509_add1_trust_object(rej, OBJ_nid2obj(nid)), 1);
	snprintf(path, sizeof(path), "%s/rejected.pem", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(PEM_write_X509_AUX(fp, rej), 1);
	fclose(fp);
	chain[0] = leaf("mx1.lab.test", sans, 1, 0, 0);
	chain[1] = inter;
	res = check(chain, 2, path, mx1, 1, T0);
	expect_ids(res, "cert.untrusted", "cert.name-match");
	assert_string_equal(message_of(res, "cert.untrusted"),
		"the chain ends at 'Test Root' (depth 2), which the trust store marks as rejected "
		"for TLS server authentication");
	/* The anchor comes from the trust store, not from the server: no position in the
	 * chain as presented (the message names it, at depth 2 of the path). */
	assert_int_equal(depth_of(res, "cert.untrusted"), -1);
	assert_false(res->would_authenticate);
	mailtls_result_free(res);
	X509_free(chain[0]);
	X509_free(rej);
}

static void test_rejected_anchor(void **state)
{
	(void)state;
	rejected_anchor(NID_server_auth, true);
	rejected_anchor(NID_client_auth, false);
}

/* test_anchor_trusted_for_server - trust settings that allow serverAuth keep the anchor. */
static void test_anchor_trusted_for_server(void **state)
{
	static const struct san sans[] = { SAN("mx1.lab.test") };
	X509 *chain[2];
	X509 *tr = X509_dup(root);
	struct mailtls_result *res;
	char path[300];
	FILE *fp;

	(void)state;
	assert_int_equal(X509_add1_trust_object(tr, OBJ_nid2obj(NID_server_auth)), 1);
	assert_int_equal(X509_add1_reject_object(tr, OBJ_nid2obj(NID_client_auth)), 1);
	snprintf(path, sizeof(path), "%s/trusted-anchor.pem", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(PEM_write_X509_AUX(fp, tr), 1);
	fclose(fp);
	chain[0] = leaf("mx1.lab.test", sans, 1, 0, 0);
	chain[1] = inter;
	res = check(chain, 2, path, mx1, 1, T0);
	expect_ids(res, "cert.trusted", "cert.name-match");
	assert_true(res->would_authenticate);
	mailtls_result_free(res);
	X509_free(chain[0]);
	X509_free(tr);
}

/* test_system_store_no_partial_chain - an intermediate in the system store is not an
 * anchor (no X509_V_FLAG_PARTIAL_CHAIN: real senders do not use partial chains there). */
static void test_system_store_no_partial_chain(void **state)
{
	static const struct san sans[] = { SAN("mx1.lab.test") };
	const char *old_file = getenv("SSL_CERT_FILE");
	const char *old_dir = getenv("SSL_CERT_DIR");
	char *save_file = old_file != NULL ? strdup(old_file) : NULL;
	char *save_dir = old_dir != NULL ? strdup(old_dir) : NULL;
	STACK_OF(X509) *sk = sk_X509_new_null();
	struct mailtls_result *res = mailtls_result_new();
	struct verify_params p = { .at = T0, .names = mx1, .n_names = 1 };
	char empty[300];
	char why[256];
	X509 *l = leaf("mx1.lab.test", sans, 1, 0, 0);

	(void)state;
	snprintf(empty, sizeof(empty), "%s/emptydir", dir);
	assert_true(mkdir(empty, 0700) == 0);
	setenv("SSL_CERT_FILE", write_pem("sys-inter.pem", &inter, 1), 1);
	setenv("SSL_CERT_DIR", empty, 1);
	p.store = verify_store_new(NULL, NULL, why, sizeof(why));
	if (save_file != NULL)
		setenv("SSL_CERT_FILE", save_file, 1);
	else
		unsetenv("SSL_CERT_FILE");
	if (save_dir != NULL)
		setenv("SSL_CERT_DIR", save_dir, 1);
	else
		unsetenv("SSL_CERT_DIR");
	free(save_file);
	free(save_dir);
	assert_non_null(p.store);
	sk_X509_push(sk, l);
	sk_X509_push(sk, inter);
	assert_int_equal(verify_chain(sk, &p, res), 0);
	expect_ids(res, "cert.untrusted", "cert.name-match");
	assert_false(res->would_authenticate);
	mailtls_result_free(res);
	sk_X509_free(sk);
	X509_free(l);
	X509_STORE_free(p.store);
}

/* test_issuer_root_not_sent - a leaf issued directly by a root that is no anchor and was
 * not sent: the issuer may be an intermediate or that root, and the message says both. */
static void test_issuer_root_not_sent(void **state)
{
	static const struct san sans[] = { SAN("mx1.lab.test") };
	X509 *chain[1];
	struct mailtls_result *res;

	(void)state;
	chain[0] = make_cert(&(struct mk){ .cn = "mx1.lab.test", .issuer = other_root,
					   .issuer_key = other_key, .key = leaf_key,
					   .nb = T0 - DAY, .na = T0 + 100 * DAY,
					   .sans = sans, .n_sans = 1 });
	res = check(chain, 1, write_pem("ca.pem", &root, 1), mx1, 1, T0);
	expect_ids(res, "cert.incomplete-chain", "cert.name-match");
	assert_string_equal(message_of(res, "cert.incomplete-chain"),
		"the server did not send the intermediate certificate for issuer "
		"'CN=Other Root,O=mailtls test', which certificate 'mx1.lab.test' (depth 0) needs, "
		"and no trust anchor supplies it; or that issuer is a CA the client does not trust "
		"(without its certificate the two cannot be told apart)");
	assert_false(res->would_authenticate);
	mailtls_result_free(res);
	X509_free(chain[0]);
}

/* test_many_bad_names - findings on never-matching DNS-IDs are bounded, the rest counted. */
static void test_many_bad_names(void **state)
{
	struct san sans[21];
	X509 *chain[2];
	struct mailtls_result *res;

	(void)state;
	for (size_t i = 0; i < 20; i++)
		sans[i] = (struct san){ "bad..name", 9 };
	sans[20] = (struct san){ "mx1.lab.test", 12 };
	chain[0] = leaf("mx1.lab.test", sans, 21, 0, 0);
	chain[1] = inter;
	res = check(chain, 2, write_pem("ca.pem", &root, 1), mx1, 1, T0);
	assert_int_equal(res->findings.n, 1 + 16 + 1 + 1);
	assert_string_equal(res->findings.v[17].message,
		"4 more DNS-IDs are not valid DNS names or have a misplaced wildcard (not listed)");
	assert_string_equal(res->findings.v[18].id, "cert.name-match");
	assert_true(res->would_authenticate);
	mailtls_result_free(res);
	X509_free(chain[0]);
}

/* test_verify_chain_direct - the internal API: IP identity and an empty chain. */
static void test_verify_chain_direct(void **state)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	struct mailtls_result *res = mailtls_result_new();
	char why[256];
	struct verify_params p = { .at = T0, .warn_days = 21, .ip = "192.0.2.1" };
	static const struct san sans[] = { SAN("mx1.lab.test") };
	X509 *l = leaf("mx1.lab.test", sans, 1, 0, 0);

	(void)state;
	p.store = verify_store_new(write_pem("ca.pem", &root, 1), NULL, why, sizeof(why));
	assert_non_null(p.store);
	assert_int_equal(verify_chain(sk, &p, res), MAILTLS_EINVAL);
	sk_X509_push(sk, l);
	sk_X509_push(sk, inter);
	assert_int_equal(verify_chain(sk, &p, res), 0);
	expect_ids(res, "cert.trusted", "cert.name-mismatch");
	assert_string_equal(message_of(res, "cert.name-mismatch"),
		"192.0.2.1 is not covered by the certificate: presented IP-IDs (none)");
	assert_int_equal(depth_of(res, "cert.trusted"), -1);
	assert_int_equal(depth_of(res, "cert.name-mismatch"), 0);
	assert_false(res->would_authenticate);
	mailtls_result_free(res);
	sk_X509_free(sk);
	X509_free(l);
	X509_STORE_free(p.store);
	assert_null(verify_store_new("/nonexistent/ca.pem", NULL, why, sizeof(why)));
	assert_non_null(strstr(why, "/nonexistent/ca.pem"));
}

/* file_error - mailtls_cert_check on a file must fail with code and why containing text. */
static void file_error(const char *file, const char *name, int code, const char *text)
{
	const char *names[] = { name };
	struct mailtls_cert_params p = {
		.cert_file = file, .names = names, .n_names = 1,
		.ca_file = NULL, .warn_days = -1,
	};
	struct mailtls_result *res = (struct mailtls_result *)1;
	char why[512] = "";

	assert_int_equal(mailtls_cert_check(&p, &res, why, sizeof(why)), code);
	assert_null(res);
	if (strstr(why, text) == NULL)
		fail_msg("why '%s' lacks '%s'", why, text);
}

static void test_file_errors(void **state)
{
	char path[300];
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/missing.pem", dir);
	file_error(path, "mx1.lab.test", MAILTLS_EFILE, "missing.pem: No such file");

	snprintf(path, sizeof(path), "%s/text.pem", dir);
	fp = fopen(path, "w");
	fputs("hello, this is not a certificate\n", fp);
	fclose(fp);
	file_error(path, "mx1.lab.test", MAILTLS_ECERT, "text.pem: not a PEM file");

	snprintf(path, sizeof(path), "%s/key.pem", dir);
	fp = fopen(path, "w");
	PEM_write_PUBKEY(fp, leaf_key);
	fclose(fp);
	file_error(path, "mx1.lab.test", MAILTLS_ECERT, "key.pem: no certificate found");

	snprintf(path, sizeof(path), "%s/big.pem", dir);
	fp = fopen(path, "w");
	for (int i = 0; i < 1024 * 1024 / 64 + 1; i++)
		fprintf(fp, "%063d\n", i);
	fclose(fp);
	file_error(path, "mx1.lab.test", MAILTLS_ETOOBIG, "big.pem: larger than");

	file_error(write_pem("root-only.pem", &root, 1), "mx1..lab.test", MAILTLS_EINVAL,
		   "mx1..lab.test");
}

/* write_raw - bytes to dir/name, then the certificates as PEM (aux: TRUSTED CERTIFICATE),
 * then more bytes; returns the path (static buffer). */
static const char *write_raw(const char *name, const char *pre, size_t prelen,
			     X509 *const *certs, size_t n, bool aux, const char *post)
{
	static char path[300];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(pre, 1, prelen, fp), prelen);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(aux ? PEM_write_X509_AUX(fp, certs[i]) : PEM_write_X509(fp, certs[i]), 1);
	fputs(post, fp);
	fclose(fp);
	return path;
}

/* check_file - mailtls_cert_check() on an existing file; must succeed. */
static struct mailtls_result *check_file(const char *path, const char *ca)
{
	struct mailtls_cert_params p = {
		.cert_file = path, .names = mx1, .n_names = 1,
		.ca_file = ca, .at = T0, .have_at = true, .warn_days = -1,
	};
	struct mailtls_result *res = NULL;
	char why[512] = "";
	int r = mailtls_cert_check(&p, &res, why, sizeof(why));

	if (r != 0)
		fail_msg("mailtls_cert_check: %d %s", r, why);
	return res;
}

static const char broken_key[] =
	"-----BEGIN PRIVATE KEY-----\n!!!! not base64 !!!!\n-----END PRIVATE KEY-----\n";

/* PEM files as found in the wild; each test writes one and checks it. */
static X509 *ff_chain[2];

static void ff_setup(void)
{
	static const struct san sans[] = { SAN("mx1.lab.test") };

	ff_chain[0] = leaf("mx1.lab.test", sans, 1, 0, 0);
	ff_chain[1] = inter;
}

/* ff_expect_ok - the file verifies as the plain chain does. */
static void ff_expect_ok(const char *path)
{
	struct mailtls_result *res = check_file(path, write_pem("ca.pem", &root, 1));

	expect_ids(res, "cert.trusted", "cert.name-match");
	assert_int_equal(res->chain_len, 2);
	mailtls_result_free(res);
	X509_free(ff_chain[0]);
}

/* test_pem_nul_before - a NUL byte before the PEM blocks does not hide them. */
static void test_pem_nul_before(void **state)
{
	static const char pre[] = "bag attributes\0 from a converter\n";

	(void)state;
	ff_setup();
	ff_expect_ok(write_raw("nul.pem", pre, sizeof(pre) - 1, ff_chain, 2, false, ""));
}

/* test_pem_broken_other_block - a broken block that is no certificate, before and after
 * the certificates, is skipped (it is not a certificate, and not ours to judge). */
static void test_pem_broken_other_block(void **state)
{
	(void)state;
	ff_setup();
	ff_expect_ok(write_raw("key-around.pem", broken_key, strlen(broken_key), ff_chain, 2,
			       false, broken_key));
}

/* test_pem_trusted_certificate - leaf and chain stored as TRUSTED CERTIFICATE
 * (openssl x509 -trustout). */
static void test_pem_trusted_certificate(void **state)
{
	(void)state;
	ff_setup();
	ff_expect_ok(write_raw("trusted.pem", "", 0, ff_chain, 2, true, ""));
}

/* test_pem_broken_certificate - a broken certificate block is still an error, named so. */
static void test_pem_broken_certificate(void **state)
{
	const char *path;

	(void)state;
	ff_setup();
	path = write_raw("broken-cert.pem", "", 0, ff_chain, 1, false,
			 "-----BEGIN CERTIFICATE-----\n!!!! not base64 !!!!\n"
			 "-----END CERTIFICATE-----\n");
	file_error(path, "mx1.lab.test", MAILTLS_ECERT,
		   "broken-cert.pem: certificate 2 cannot be parsed");
	X509_free(ff_chain[0]);
}

/* test_bad_name_escaped - an invalid --name is quoted escaped: no ESC reaches stderr. */
static void test_bad_name_escaped(void **state)
{
	(void)state;
	file_error(write_pem("root-only.pem", &root, 1), "mx1\x1b[2J..lab.test", MAILTLS_EINVAL,
		   "'mx1\\x1b[2J..lab.test' is not a valid DNS name");
}

/* test_ca_file_directory - --ca-file naming a directory says so. */
static void test_ca_file_directory(void **state)
{
	char why[512] = "";
	char want[300];

	(void)state;
	assert_null(verify_store_new(dir, NULL, why, sizeof(why)));
	snprintf(want, sizeof(want), "ca_file %s: is a directory (a hashed directory of anchors is a ca_path)", dir);
	assert_string_equal(why, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_chain),
		cmocka_unit_test(test_name_mismatch),
		cmocka_unit_test(test_cn_only),
		cmocka_unit_test(test_malformed_san),
		cmocka_unit_test(test_duplicate_san),
		cmocka_unit_test(test_wildcard),
		cmocka_unit_test(test_partial_wildcard),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_expired_intermediate),
		cmocka_unit_test(test_chain_cache),
		cmocka_unit_test(test_not_yet_valid),
		cmocka_unit_test(test_expires_soon),
		cmocka_unit_test(test_self_signed),
		cmocka_unit_test(test_untrusted_root),
		cmocka_unit_test(test_incomplete_chain),
		cmocka_unit_test(test_pinned_intermediate),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_weak_key),
		cmocka_unit_test(test_chain_too_long),
		cmocka_unit_test(test_chain_too_long_untrusted_root),
		cmocka_unit_test(test_chain_too_long_cut_issuer),
		cmocka_unit_test(test_profile_violation),
		cmocka_unit_test(test_escaped_names),
		cmocka_unit_test(test_many_dnsids),
		cmocka_unit_test(test_san_lists_capped_apart),
		cmocka_unit_test(test_cn_only_second_cn),
		cmocka_unit_test(test_rejected_anchor),
		cmocka_unit_test(test_anchor_trusted_for_server),
		cmocka_unit_test(test_system_store_no_partial_chain),
		cmocka_unit_test(test_issuer_root_not_sent),
		cmocka_unit_test(test_many_bad_names),
		cmocka_unit_test(test_verify_chain_direct),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_pem_nul_before),
		cmocka_unit_test(test_pem_broken_other_block),
		cmocka_unit_test(test_pem_trusted_certificate),
		cmocka_unit_test(test_pem_broken_certificate),
		cmocka_unit_test(test_bad_name_escaped),
		cmocka_unit_test(test_ca_file_directory),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
