/*
 * test_ocsp.c - the facts of stapled OCSP responses (ocspfacts.c) and the ocsp.* findings
 * they lead to (certpolicy_ocsp()), on a PKI and responses made here with the OpenSSL API.
 *
 * One table: each row says how the response is made (status, dates, signer, which
 * certificate it is about, or raw bytes) and what must come of it: the facts that matter
 * and the exact list of ocsp.* finding ids.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <mailtls/mailtls.h>
#include "certpolicy.h"
#include "ocspfacts.h"
#include "testpki.h"

#define T0 ((time_t)1767225600)   /* 2026-01-01T00:00:00Z: the validation time */
#define DAY ((time_t)86400)

static EVP_PKEY *root_key, *int_key, *leaf_key, *rogue_key, *resp_key;
static X509 *root, *inter, *leaf, *other_leaf, *rogue, *delegated, *delegated_noeku;
static X509_STORE *store;
static STACK_OF(X509) *presented;

/* make_cert - cn's certificate for key, issued by issuer/ikey (NULL: self-signed), valid
 * T0-30d .. T0+300d; kind "ca", "leaf", "ocsp" (id-kp-OCSPSigning) or "plain" (no EKU). */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey,
		       const char *kind)
{
	const char *eku = strcmp(kind, "ocsp") == 0 ? "OCSPSigning" :
			  strcmp(kind, "plain") == 0 ? TESTPKI_NONE : "serverAuth";

	return testpki_cert(&(struct testpki_spec){ .cn = cn, .key = key, .issuer = issuer,
		.issuer_key = ikey, .not_before = T0 - 30 * DAY, .not_after = T0 + 300 * DAY,
		.ca = strcmp(kind, "ca") == 0, .eku = eku });
}

static int setup(void **state)
{
	(void)state;
	testpki_serials_from(100);
	root_key = testpki_key();
	int_key = testpki_key();
	leaf_key = testpki_key();
	rogue_key = testpki_key();
	resp_key = testpki_key();
	root = make_cert("Test Root", root_key, NULL, NULL, "ca");
	inter = make_cert("Test Intermediate", int_key, root, root_key, "ca");
	leaf = make_cert("mx.example.net", leaf_key, inter, int_key, "leaf");
	other_leaf = make_cert("other.example.net", leaf_key, inter, int_key, "leaf");
	rogue = make_cert("Rogue Root", rogue_key, NULL, NULL, "ca");
	delegated = make_cert("Test OCSP Responder", resp_key, inter, int_key, "ocsp");
	delegated_noeku = make_cert("Test Not A Responder", resp_key, inter, int_key, "plain");
	store = testpki_store(root);
	presented = sk_X509_new_null();
	sk_X509_push(presented, leaf);
	sk_X509_push(presented, inter);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sk_X509_free(presented);
	X509_STORE_free(store);
	X509 *certs[] = { root, inter, leaf, other_leaf, rogue, delegated, delegated_noeku };
	for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++)
		X509_free(certs[i]);
	EVP_PKEY *keys[] = { root_key, int_key, leaf_key, rogue_key, resp_key };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		EVP_PKEY_free(keys[i]);
	return 0;
}

enum signer { BY_ISSUER, BY_DELEGATED, BY_NOEKU, BY_ROGUE };

struct row {
	const char *name;
	const char *raw;          /* non-NULL: these bytes are the staple */
	size_t raw_len;           /* 0: strlen(raw) */
	int resp_status;          /* OCSP_RESPONSE_STATUS_*; not successful: no basic response */
	int cert_status;          /* V_OCSP_CERTSTATUS_* */
	int reason;               /* when revoked; -1: none */
	time_t this_off, next_off; /* from T0; next_off 0: no nextUpdate */
	enum signer signer;
	bool about_other;         /* the response is about other_leaf */
	/* expected */
	bool signature_valid;
	enum mailtls_ocsp_cert_status want_status;
	bool current;
	const char *ids;          /* the ocsp.* ids, in order */
};

/* make_der - the response of row r, DER; the caller frees *der with OPENSSL_free(). */
static size_t make_der(const struct row *r, unsigned char **der)
{
	OCSP_BASICRESP *bs;
	OCSP_RESPONSE *resp;
	OCSP_CERTID *id;
	ASN1_TIME *thisupd, *nextupd = NULL, *rev = NULL;
	X509 *signer = inter;
	EVP_PKEY *skey = int_key;
	int len;

	*der = NULL;
	if (r->resp_status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		resp = OCSP_response_create(r->resp_status, NULL);
		goto encode;
	}
	bs = OCSP_BASICRESP_new();
	id = OCSP_cert_to_id(NULL, r->about_other ? other_leaf : leaf, inter);
	thisupd = ASN1_TIME_set(NULL, T0 + r->this_off);
	if (r->next_off != 0)
		nextupd = ASN1_TIME_set(NULL, T0 + r->next_off);
	if (r->cert_status == V_OCSP_CERTSTATUS_REVOKED)
		rev = ASN1_TIME_set(NULL, T0 - 2 * DAY);
	assert_non_null(OCSP_basic_add1_status(bs, id, r->cert_status, r->reason, rev, thisupd,
					       nextupd));
	switch (r->signer) {
	case BY_ISSUER:
		break;
	case BY_DELEGATED:
		signer = delegated, skey = resp_key;
		break;
	case BY_NOEKU:
		signer = delegated_noeku, skey = resp_key;
		break;
	case BY_ROGUE:
		signer = rogue, skey = rogue_key;
		break;
	}
	assert_int_equal(OCSP_basic_sign(bs, signer, skey, EVP_sha256(), NULL, 0), 1);
	resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
	OCSP_CERTID_free(id);
	ASN1_TIME_free(thisupd);
	ASN1_TIME_free(nextupd);
	ASN1_TIME_free(rev);
	OCSP_BASICRESP_free(bs);
encode:
	assert_non_null(resp);
	len = i2d_OCSP_RESPONSE(resp, der);
	OCSP_RESPONSE_free(resp);
	assert_true(len > 0);
	return (size_t)len;
}

#define OK_ OCSP_RESPONSE_STATUS_SUCCESSFUL
#define GOOD V_OCSP_CERTSTATUS_GOOD
#define C(s) MAILTLS_OCSP_CERT_##s

static const struct row rows[] = {
	{ "good by the issuer", NULL, 0, OK_, GOOD, -1, -DAY, 6 * DAY, BY_ISSUER, false,
	  true, C(GOOD), true, "ocsp.stapled-good" },
	{ "good by a delegated responder", NULL, 0, OK_, GOOD, -1, -DAY, 6 * DAY, BY_DELEGATED,
	  false, true, C(GOOD), true, "ocsp.stapled-good" },
	{ "good, no nextUpdate", NULL, 0, OK_, GOOD, -1, -DAY, 0, BY_ISSUER, false,
	  true, C(GOOD), true, "ocsp.stapled-good" },
	{ "revoked, keyCompromise", NULL, 0, OK_, V_OCSP_CERTSTATUS_REVOKED,
	  OCSP_REVOKED_STATUS_KEYCOMPROMISE, -DAY, 6 * DAY, BY_ISSUER, false,
	  true, C(REVOKED), true, "ocsp.revoked" },
	{ "revoked and stale: still revoked", NULL, 0, OK_, V_OCSP_CERTSTATUS_REVOKED, -1,
	  -9 * DAY, -2 * DAY, BY_ISSUER, false, true, C(REVOKED), false, "ocsp.revoked" },
	{ "unknown", NULL, 0, OK_, V_OCSP_CERTSTATUS_UNKNOWN, -1, -DAY, 6 * DAY, BY_ISSUER, false,
	  true, C(UNKNOWN), true, "ocsp.unknown" },
	{ "unknown and stale", NULL, 0, OK_, V_OCSP_CERTSTATUS_UNKNOWN, -1, -9 * DAY, -2 * DAY,
	  BY_ISSUER, false, true, C(UNKNOWN), false, "ocsp.unknown ocsp.stale" },
	{ "about another certificate", NULL, 0, OK_, GOOD, -1, -DAY, 6 * DAY, BY_ISSUER, true,
	  true, C(NONE), false, "ocsp.unknown" },
	{ "nextUpdate passed", NULL, 0, OK_, GOOD, -1, -8 * DAY, -DAY, BY_ISSUER, false,
	  true, C(GOOD), false, "ocsp.stale" },
	{ "nextUpdate passed within the skew", NULL, 0, OK_, GOOD, -1, -DAY,
	  -OCSPFACTS_SKEW_SECS + 60, BY_ISSUER, false, true, C(GOOD), true, "ocsp.stapled-good" },
	{ "nextUpdate passed just past the skew", NULL, 0, OK_, GOOD, -1, -DAY,
	  -OCSPFACTS_SKEW_SECS - 60, BY_ISSUER, false, true, C(GOOD), false, "ocsp.stale" },
	{ "thisUpdate in the future", NULL, 0, OK_, GOOD, -1, DAY, 7 * DAY, BY_ISSUER, false,
	  true, C(GOOD), false, "ocsp.stale" },
	{ "thisUpdate within the skew", NULL, 0, OK_, GOOD, -1, OCSPFACTS_SKEW_SECS - 60,
	  7 * DAY, BY_ISSUER, false, true, C(GOOD), true, "ocsp.stapled-good" },
	{ "signed by a rogue CA", NULL, 0, OK_, GOOD, -1, -DAY, 6 * DAY, BY_ROGUE, false,
	  false, C(NONE), false, "ocsp.bad-signature" },
	{ "signed by the issuer's non-responder", NULL, 0, OK_, GOOD, -1, -DAY, 6 * DAY,
	  BY_NOEKU, false, false, C(NONE), false, "ocsp.bad-signature" },
	{ "tryLater", NULL, 0, OCSP_RESPONSE_STATUS_TRYLATER, 0, -1, 0, 0, BY_ISSUER, false,
	  false, C(NONE), false, "ocsp.malformed" },
	{ "garbage", "not DER at all", 0, OK_, 0, -1, 0, 0, BY_ISSUER, false,
	  false, C(NONE), false, "ocsp.malformed" },
	{ "one zero byte", "", 1, OK_, 0, -1, 0, 0, BY_ISSUER, false,
	  false, C(NONE), false, "ocsp.malformed" },
};

/* ids_of - the ocsp.* finding ids of res, space-separated, into buf. */
static const char *ids_of(const struct mailtls_result *res, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < res->findings.n; i++)
		if (strncmp(res->findings.v[i].id, "ocsp.", 5) == 0)
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? " " : "",
				 res->findings.v[i].id);
	return buf;
}

static void table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct mailtls_result *res = mailtls_result_new();
		unsigned char *der = NULL;
		const unsigned char *bytes;
		size_t len;
		char ids[256];

		assert_non_null(res);
		if (r->raw != NULL) {
			bytes = (const unsigned char *)r->raw;
			len = r->raw_len ? r->raw_len : strlen(r->raw);
		} else {
			len = make_der(r, &der);
			bytes = der;
		}
		assert_int_equal(ocspfacts_get(bytes, len, presented, store, T0, &res->ocsp), 0);
		res->would_authenticate = true;
		assert_int_equal(certpolicy_ocsp(&res->ocsp, T0, res), 0);
		if (strcmp(ids_of(res, ids, sizeof(ids)), r->ids) != 0 ||
		    res->ocsp.signature_valid != r->signature_valid ||
		    res->ocsp.cert_status != r->want_status ||
		    (res->ocsp.covers_leaf && res->ocsp.current != r->current))
			fail_msg("%s: ids '%s' (want '%s'), signature %d, status %d, current %d (%s)",
				 r->name, ids, r->ids, res->ocsp.signature_valid,
				 res->ocsp.cert_status, res->ocsp.current,
				 res->ocsp.verify_error ? res->ocsp.verify_error : "");
		assert_true(res->ocsp.stapled);
		assert_int_equal(res->would_authenticate, r->want_status != C(REVOKED));
		if (r->want_status == C(REVOKED) && r->reason >= 0) {
			assert_int_equal(res->ocsp.revocation_reason, r->reason);
			assert_int_equal(res->ocsp.revocation_time, T0 - 2 * DAY);
			assert_non_null(strstr(res->findings.v[0].message, "(keyCompromise)"));
		}
		OPENSSL_free(der);
		mailtls_result_free(res);
	}
}

/* A revoked response issued after the validation time (--at in the past) says nothing of
 * the certificate then: stale, not revoked, and the chain keeps its trust. */
static void revoked_after_validation_time(void **state)
{
	const struct row r = { "revoked", NULL, 0, OK_, V_OCSP_CERTSTATUS_REVOKED,
			       OCSP_REVOKED_STATUS_KEYCOMPROMISE, -DAY, 6 * DAY, BY_ISSUER, false,
			       true, C(REVOKED), true, "ocsp.revoked" };
	const time_t at = T0 - 3 * DAY;     /* before the revocation (T0 - 2 days) */
	struct mailtls_result *res = mailtls_result_new();
	unsigned char *der = NULL;
	size_t len = make_der(&r, &der);
	char ids[256];

	(void)state;
	assert_int_equal(ocspfacts_get(der, len, presented, store, at, &res->ocsp), 0);
	assert_true(res->ocsp.signature_valid);
	assert_int_equal(res->ocsp.cert_status, C(REVOKED));
	res->would_authenticate = true;
	res->chain_trusted = true;
	assert_int_equal(certpolicy_ocsp(&res->ocsp, at, res), 0);
	assert_string_equal(ids_of(res, ids, sizeof(ids)), "ocsp.stale");
	assert_non_null(strstr(res->findings.v[0].message, "dated in the future"));
	assert_true(res->would_authenticate);
	assert_true(res->chain_trusted);
	OPENSSL_free(der);
	mailtls_result_free(res);
}

/* A staple over OCSPFACTS_DER_MAX is reported, never parsed; none gives no finding. */
static void too_large_and_none(void **state)
{
	struct mailtls_result *res = mailtls_result_new();
	unsigned char *big = calloc(1, OCSPFACTS_DER_MAX + 1);
	char ids[64];
	(void)state;

	assert_non_null(res);
	assert_non_null(big);
	assert_int_equal(ocspfacts_get(big, OCSPFACTS_DER_MAX + 1, presented, store, T0,
				       &res->ocsp), 0);
	assert_true(res->ocsp.too_large);
	assert_false(res->ocsp.parsed);
	assert_int_equal(certpolicy_ocsp(&res->ocsp, T0, res), 0);
	assert_string_equal(ids_of(res, ids, sizeof(ids)), "ocsp.malformed");
	mailtls_ocsp_facts_clear(&res->ocsp);
	mailtls_findings_clear(&res->findings);
	assert_int_equal(certpolicy_ocsp(&res->ocsp, T0, res), 0);
	assert_int_equal(res->findings.n, 0);
	free(big);
	mailtls_result_free(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table),
		cmocka_unit_test(too_large_and_none),
		cmocka_unit_test(revoked_after_validation_time),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
