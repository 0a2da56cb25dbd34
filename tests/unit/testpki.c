/*
 * testpki.c - the certificate maker the unit tests share (testpki.h says what and how).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include "testpki.h"

static long next_serial = 1;

EVP_PKEY *testpki_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

void testpki_serials_from(long first)
{
	next_serial = first;
}

/* testpki_add_ext - the extension nid = value (openssl.cnf syntax) in the context of
 * issuer (the subject's own certificate when self-signed). */
void testpki_add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

X509 *testpki_unsigned(const struct testpki_spec *s)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509 *issuer;

	assert_non_null(x);
	assert_non_null(name);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), next_serial++);
	if (s->org != NULL)
		X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)s->org,
					   -1, -1, 0);
	if (s->cn != NULL)
		X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)s->cn,
					   s->cn_len > 0 ? (int)s->cn_len : -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, s->issuer != NULL ? X509_get_subject_name(s->issuer) : name);
	X509_NAME_free(name);
	ASN1_TIME_set(X509_getm_notBefore(x), s->not_before);
	ASN1_TIME_set(X509_getm_notAfter(x), s->not_after);
	X509_set_pubkey(x, s->key);
	issuer = s->issuer != NULL ? s->issuer : x;
	testpki_add_ext(x, issuer, NID_subject_key_identifier, "hash");
	if (s->aki != NULL)
		testpki_add_ext(x, issuer, NID_authority_key_identifier, s->aki);
	if (s->ca) {
		testpki_add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
		testpki_add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		const char *ku = s->ku != NULL ? s->ku : "critical,digitalSignature";
		const char *eku = s->eku != NULL ? s->eku : "serverAuth";

		testpki_add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
		if (*ku != '\0')
			testpki_add_ext(x, issuer, NID_key_usage, ku);
		if (*eku != '\0')
			testpki_add_ext(x, issuer, NID_ext_key_usage, eku);
	}
	if (s->san != NULL)
		testpki_add_ext(x, issuer, NID_subject_alt_name, s->san);
	return x;
}

X509 *testpki_sign(X509 *x, const struct testpki_spec *s)
{
	assert_true(X509_sign(x, s->issuer_key != NULL ? s->issuer_key : s->key, EVP_sha256()) > 0);
	return x;
}

X509 *testpki_cert(const struct testpki_spec *s)
{
	return testpki_sign(testpki_unsigned(s), s);
}

X509_STORE *testpki_store(X509 *anchor)
{
	X509_STORE *store = X509_STORE_new();

	assert_non_null(store);
	assert_int_equal(X509_STORE_add_cert(store, anchor), 1);
	return store;
}

void testpki_write_pem(const char *path, X509 *const *certs, size_t n)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(PEM_write_X509(fp, certs[i]), 1);
	assert_int_equal(fclose(fp), 0);
}
