/*
 * dane.c - TLSA records of certificates (mailtls/dane.h): the association data of a DER
 * certificate, and the records to publish for a certificate file (`mailtls tlsa`).
 *
 * NAME
 *	mailtls_tlsa_data, mailtls_tlsa_for_cert, mailtls_tlsa_set_clear,
 *	mailtls_dane_check_files, mailtls_dane_facts_authenticated
 * DESCRIPTION
 *	What to publish follows RFC 7671 and RFC 7672 3.1: DANE-EE(3) SPKI(1) SHA2-256(1) for
 *	the server's own key (it survives a renewal with the same key, and names and dates do
 *	not count), DANE-TA(2) SPKI(1) SHA2-256(1) for each issuer the server sends (RFC 7671
 *	5.2: the TA must then be in the chain the server presents). The data is computed by
 *	danefacts_assoc(), the same code a check uses to say which presented certificate a
 *	record matches, so what `tlsa` prints is what a check compares with.
 *
 *	mailtls_dane_check_files() is danefacts_get() on certificate files: OpenSSL's DANE
 *	verification of a chain nobody serves yet, with the same set-up a check uses.
 * DIAGNOSTICS
 *	MAILTLS_EFILE, MAILTLS_ETOOBIG, MAILTLS_ECERT, MAILTLS_EINVAL, MAILTLS_ENOMEM; why
 *	names the file, display-safe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <mailtls/mailtls.h>
#include <mailtls/names.h>
#include "certload.h"
#include "danefacts.h"
#include "escape.h"
#include "x509info.h"

int mailtls_tlsa_data(const unsigned char *der, size_t len, uint8_t selector, uint8_t mtype,
		      unsigned char **out, size_t *outlen)
{
	const unsigned char *q = der;
	X509 *x;
	int r;

	*out = NULL;
	*outlen = 0;
	if (der == NULL || len == 0 || len > 1024 * 1024)
		return MAILTLS_EINVAL;
	if ((x = d2i_X509(NULL, &q, (long)len)) == NULL || q != der + len) {
		X509_free(x);
		ERR_clear_error();
		return MAILTLS_EINVAL;
	}
	r = danefacts_assoc(x, selector, mtype, out, outlen);
	X509_free(x);
	return r;
}

void mailtls_tlsa_set_clear(struct mailtls_tlsa_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->v[i].hex);
		free(set->v[i].subject);
	}
	free(set->v);
	free(set->leaf_dns_name);
	memset(set, 0, sizeof(*set));
}

/* first_dns_id - the first dNSName of cert's subjectAltName, escaped; NULL when none (or
 * on ENOMEM: the caller then asks for --host, which is right either way). */
static char *first_dns_id(X509 *cert)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	char *out = NULL;

	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens) && out == NULL; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type == GEN_DNS)
			out = escape_text((const char *)ASN1_STRING_get0_data(g->d.dNSName),
					  (size_t)ASN1_STRING_length(g->d.dNSName));
	}
	GENERAL_NAMES_free(gens);
	ERR_clear_error();
	return out;
}

/* publish - the record for certs[i] into set->v[set->n]. */
static int publish(X509 *cert, size_t i, struct mailtls_tlsa_set *set)
{
	struct mailtls_tlsa_publish *rec = &set->v[set->n];
	unsigned char *d;
	size_t dl;
	int r;

	memset(rec, 0, sizeof(*rec));
	rec->usage = i == 0 ? MAILTLS_TLSA_DANE_EE : MAILTLS_TLSA_DANE_TA;
	rec->selector = MAILTLS_TLSA_SPKI;
	rec->mtype = MAILTLS_TLSA_SHA256;
	rec->cert_index = i;
	rec->not_after = x509info_asn1_time(X509_get0_notAfter(cert));
	if ((r = danefacts_assoc(cert, rec->selector, rec->mtype, &d, &dl)) != 0)
		return r;
	rec->hex = danefacts_hex(d, dl);
	free(d);
	rec->subject = x509info_name_text(X509_get_subject_name(cert));
	set->n++;   /* owned by the set from here on */
	return rec->hex == NULL || rec->subject == NULL ? MAILTLS_ENOMEM : 0;
}

static int tlsa_for_cert(const char *cert_file, const char *chain_file,
			 struct mailtls_tlsa_set *out, char *why, size_t whylen)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	int r = MAILTLS_ENOMEM;
	int n;

	memset(out, 0, sizeof(*out));
	if (cert_file == NULL) {
		snprintf(why, whylen, "no certificate file given");
		sk_X509_free(certs);
		return MAILTLS_EINVAL;
	}
	if (certs == NULL) {
		snprintf(why, whylen, "out of memory");
		return r;
	}
	if ((r = cert_load_pem(cert_file, certs, why, whylen)) != 0 ||
	    (chain_file != NULL && (r = cert_load_pem(chain_file, certs, why, whylen)) != 0))
		goto out;
	n = sk_X509_num(certs);
	r = MAILTLS_ENOMEM;
	if ((out->v = calloc((size_t)n, sizeof(*out->v))) == NULL)
		goto nomem;
	out->leaf_dns_name = first_dns_id(sk_X509_value(certs, 0));
	for (int i = 0; i < n; i++) {
		if ((r = publish(sk_X509_value(certs, i), (size_t)i, out)) == MAILTLS_ENOMEM)
			goto nomem;
		if (r != 0) {
			snprintf(why, whylen, "%s: certificate %d has no encodable public key",
				 i == 0 || chain_file == NULL ? cert_file : chain_file, i + 1);
			goto out;
		}
	}
	r = 0;
	goto out;
nomem:
	snprintf(why, whylen, "out of memory");
out:
	if (r != 0)
		mailtls_tlsa_set_clear(out);
	sk_X509_pop_free(certs, X509_free);
	ERR_clear_error();
	return r;
}

int mailtls_tlsa_for_cert(const char *cert_file, const char *chain_file,
			  struct mailtls_tlsa_set *out, char *why, size_t whylen)
{
	int r = tlsa_for_cert(cert_file, chain_file, out, why, whylen);

	if (r != 0)
		mailtls_escape_inplace(why, whylen);
	return r;
}

bool mailtls_dane_facts_authenticated(const struct mailtls_dane_facts *f)
{
	return f != NULL && f->evaluated && f->verify_code == 0 && f->depth >= 0;
}

/* check_files - mailtls_dane_check_files() with a raw why. */
static int check_files(const struct mailtls_dane_files *p, struct mailtls_dane_facts *out,
		       char *why, size_t whylen)
{
	char base[MAILTLS_NAME_MAX + 1];
	char names[MAILTLS_DANE_NAMES_MAX][MAILTLS_NAME_MAX + 1];
	const char *nv[MAILTLS_DANE_NAMES_MAX];
	STACK_OF(X509) *certs;
	struct danefacts_params dp;
	int r;

	if (p == NULL || p->cert_file == NULL || p->base == NULL || p->n_tlsa == 0
	    || p->tlsa == NULL || p->n_tlsa > MAILTLS_TLSA_MAX
	    || p->n_names > MAILTLS_DANE_NAMES_MAX || (p->n_names > 0 && p->names == NULL)) {
		snprintf(why, whylen, "DANE check: a certificate file, a base domain and 1 to %d "
			 "records are needed", MAILTLS_TLSA_MAX);
		return MAILTLS_EINVAL;
	}
	if (mailtls_name_normalize(p->base, base, sizeof(base)) != 0) {
		snprintf(why, whylen, "DANE check: %s is not a DNS name", p->base);
		return MAILTLS_EINVAL;
	}
	for (size_t i = 0; i < p->n_names; i++) {
		if (mailtls_name_normalize(p->names[i], names[i], sizeof(names[i])) != 0) {
			snprintf(why, whylen, "DANE check: %s is not a DNS name", p->names[i]);
			return MAILTLS_EINVAL;
		}
		nv[i] = names[i];
	}
	for (size_t i = 0; i < p->n_tlsa; i++) {
		const struct mailtls_tlsa *t = &p->tlsa[i];

		if (t->usage > 3 || t->selector > 1 || t->mtype > 2
		    || t->len > MAILTLS_TLSA_DATA_MAX || (t->data == NULL && t->len > 0)) {
			snprintf(why, whylen, "DANE check: record %zu is out of range", i + 1);
			return MAILTLS_EINVAL;
		}
	}
	if ((certs = sk_X509_new_null()) == NULL) {
		snprintf(why, whylen, "out of memory");
		return MAILTLS_ENOMEM;
	}
	if ((r = cert_load_pem(p->cert_file, certs, why, whylen)) != 0 ||
	    (p->chain_file != NULL && (r = cert_load_pem(p->chain_file, certs, why, whylen)) != 0))
		goto out;
	dp = (struct danefacts_params){ .base = base, .names = nv, .n_names = p->n_names,
					.tlsa = p->tlsa, .n_tlsa = p->n_tlsa, .store = NULL,
					.at = p->at };
	if ((r = danefacts_get(certs, &dp, out)) != 0)
		snprintf(why, whylen, "DANE check of %s: %s", p->cert_file,
			 r == MAILTLS_ENOMEM ? "out of memory" : "OpenSSL refused the set-up");
out:
	sk_X509_pop_free(certs, X509_free);
	ERR_clear_error();
	return r;
}

int mailtls_dane_check_files(const struct mailtls_dane_files *p, struct mailtls_dane_facts *out,
			     char *why, size_t whylen)
{
	int r = check_files(p, out, why, whylen);

	if (r != 0)
		mailtls_escape_inplace(why, whylen);
	return r;
}
