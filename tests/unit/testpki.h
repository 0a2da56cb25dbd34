/*
 * testpki.h - the certificate maker the unit tests share (test_verify, test_dane,
 * test_fetch, test_ocsp, test_chainsearch, test_ocspquery): keys, v3 certificates with
 * the usual extensions, and PEM files, made with the OpenSSL API at test time.
 *
 * Offers:
 *   testpki_key()          a new EC P-256 key. The caller frees it (EVP_PKEY_free).
 *   testpki_serials_from() where the serial numbers of the next certificates start
 *                          (each certificate takes the next; 1 until told otherwise).
 *   testpki_cert(spec)     a signed certificate as spec says. The caller frees it
 *                          (X509_free); spec and what it points to stay the caller's.
 *   testpki_unsigned(spec) the same, not signed yet, for a test that adds its own
 *   testpki_add_ext()      extensions (X509V3_EXT_conf_nid syntax, or any way it likes)
 *   testpki_sign()         and then signs it (issuer_key, or key when self-signed); the
 *                          caller frees the certificate.
 *   testpki_store(anchor)  a new X509_STORE with anchor as its one trust anchor. The caller
 *                          frees it (X509_STORE_free); the store holds its own reference
 *                          to anchor, which stays the caller's to free too.
 *   testpki_write_pem()    certificates written as PEM to a file (the caller's path).
 *
 * Every certificate is v3 with subject "O=<org>, CN=<cn>" (each only when given), and
 * these extensions in this order: subjectKeyIdentifier (hash), authorityKeyIdentifier
 * (when aki is given), basicConstraints (critical), keyUsage (critical keyCertSign,cRLSign
 * for a CA; ku for a leaf), extendedKeyUsage (a leaf's eku), subjectAltName (san). It is
 * signed with SHA-256. Keys, issuers and anchors passed in stay the caller's (the
 * certificates and stores take references of their own). Any failure is a cmocka
 * assertion failure.
 */
#ifndef MAILTLS_TESTPKI_H
#define MAILTLS_TESTPKI_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* For ku or eku: leave the extension out. */
#define TESTPKI_NONE ""

struct testpki_spec {
	const char *org;          /* the subject's O, before the CN; NULL: none */
	const char *cn;           /* the subject's CN; NULL: none */
	size_t cn_len;            /* 0: strlen(cn); else its real bytes (may hold NUL) */
	EVP_PKEY *key;            /* the subject's key */
	X509 *issuer;             /* NULL: self-signed with key */
	EVP_PKEY *issuer_key;
	time_t not_before, not_after;
	bool ca;                  /* CA:TRUE with keyCertSign,cRLSign; else CA:FALSE, ku, eku */
	const char *aki;          /* authorityKeyIdentifier ("keyid:always", "keyid"); NULL: none */
	const char *ku;           /* a leaf's keyUsage; NULL: "critical,digitalSignature" */
	const char *eku;          /* a leaf's extendedKeyUsage; NULL: "serverAuth" */
	const char *san;          /* subjectAltName ("DNS:a,DNS:b"); NULL: none */
};

EVP_PKEY *testpki_key(void);
void testpki_serials_from(long first);
X509 *testpki_cert(const struct testpki_spec *spec);
X509 *testpki_unsigned(const struct testpki_spec *spec);
void testpki_add_ext(X509 *x, X509 *issuer, int nid, const char *value);
X509 *testpki_sign(X509 *x, const struct testpki_spec *spec);
X509_STORE *testpki_store(X509 *anchor);
void testpki_write_pem(const char *path, X509 *const *certs, size_t n);

#endif
