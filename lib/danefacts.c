/*
 * danefacts.c - OpenSSL's DANE verification of a presented chain, kept as facts.
 *
 * NAME
 *	danefacts_init, danefacts_ssl_setup, danefacts_ssl_outcome, danefacts_get,
 *	danefacts_assoc, danefacts_hex
 * SYNOPSIS
 *	#include "danefacts.h"
 * DESCRIPTION
 *	OpenSSL does the DANE work (SSL_CTX_dane_enable(3)): the records are given to the SSL
 *	before the handshake, OpenSSL matches them while it builds the path, and
 *	SSL_get0_dane_authority() and SSL_get0_dane_tlsa() say afterwards which record matched
 *	at which depth. This file only sets that up the way RFC 7672 asks of an SMTP client
 *	and reads the outcome out:
 *
 *	- the TLSA base domain is the first reference name (SSL_dane_enable()), the MX host
 *	  name the others (SSL_add1_host(); RFC 7672 2.2.2, 3.2.3); no partial wildcards
 *	  (X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, RFC 9525 6.3);
 *	- DANE-EE(3) ignores names (DANE_FLAG_NO_DANE_EE_NAMECHECKS; RFC 7672 3.1.1) and
 *	  OpenSSL ignores the dates of a DANE-EE match (RFC 7671 5.1);
 *	- a record OpenSSL refuses (SSL_dane_tlsa_add() returns 0: a digest of the wrong length,
 *	  a full certificate or key that does not parse) is a fact with OpenSSL's reason, not
 *	  an error;
 *	- the validation time is the check's (X509_VERIFY_PARAM_set_time()), so a result does
 *	  not depend on when it was computed.
 *
 *	Independently of OpenSSL, each record is matched against every presented certificate
 *	(RFC 6698 2.1: selector 0 the DER certificate, 1 its DER SubjectPublicKeyInfo; mtype
 *	0 the bytes, 1 SHA-256, 2 SHA-512), so that a record for a certificate the server does
 *	not serve (a rollover, RFC 7671 8.1) is visible whatever OpenSSL concluded.
 *
 *	danefacts_get() drives the same OpenSSL code offline, as OpenSSL's own client does in
 *	the handshake: an SSL carrying the DANE state, then an X509_STORE_CTX with that state
 *	(X509_STORE_CTX_set0_dane()), the SSL's parameters and purpose "ssl_server", and
 *	X509_verify_cert() without a verify callback (the first error ends it, as in a
 *	handshake with no callback).
 * DIAGNOSTICS
 *	MAILTLS_ENOMEM, MAILTLS_EINVAL, MAILTLS_ETLS; see danefacts.h.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <mailtls/mailtls.h>
#include "danefacts.h"
#include "escape.h"

#define DANEFACTS_REASON_MAX 200  /* longest OpenSSL reason kept */

char *danefacts_hex(const unsigned char *p, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *out = malloc(len * 2 + 1);

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[len * 2] = '\0';
	return out;
}

int danefacts_assoc(X509 *cert, uint8_t selector, uint8_t mtype, unsigned char **out,
		    size_t *outlen)
{
	unsigned char *der = NULL, *res = NULL;
	unsigned int mdlen = 0;
	int len;
	const EVP_MD *md = mtype == MAILTLS_TLSA_SHA256 ? EVP_sha256() :
			   mtype == MAILTLS_TLSA_SHA512 ? EVP_sha512() : NULL;

	*out = NULL;
	*outlen = 0;
	if (selector > MAILTLS_TLSA_SPKI || mtype > MAILTLS_TLSA_SHA512 || cert == NULL)
		return MAILTLS_EINVAL;
	len = selector == MAILTLS_TLSA_CERT ? i2d_X509(cert, &der) :
	      i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
	if (len <= 0) {
		ERR_clear_error();
		return MAILTLS_EINVAL;
	}
	if (md == NULL) {
		if ((res = malloc((size_t)len)) != NULL) {
			memcpy(res, der, (size_t)len);
			mdlen = (unsigned)len;
		}
	} else if ((res = malloc(EVP_MAX_MD_SIZE)) != NULL &&
		   EVP_Digest(der, (size_t)len, res, &mdlen, md, NULL) != 1) {
		free(res);
		res = NULL;
	}
	OPENSSL_free(der);
	if (res == NULL) {
		ERR_clear_error();
		return MAILTLS_ENOMEM;
	}
	*out = res;
	*outlen = mdlen;
	return 0;
}

int danefacts_init(const struct danefacts_params *p, struct mailtls_dane_facts *f)
{
	f->enabled = p->n_tlsa > 0;
	f->depth = f->match_depth = f->match_record = -1;
	if ((f->tlsa_base = strdup(p->base != NULL ? p->base : "")) == NULL)
		goto nomem;
	if (p->n_tlsa > 0 && (f->records = calloc(p->n_tlsa, sizeof(*f->records))) == NULL)
		goto nomem;
	for (size_t i = 0; i < p->n_tlsa; i++) {
		struct mailtls_dane_record *r = &f->records[i];
		const struct mailtls_tlsa *t = &p->tlsa[i];

		r->usage = t->usage;
		r->selector = t->selector;
		r->mtype = t->mtype;
		r->accepted = -1;
		r->matches = -1;
		f->n_records++;
		if ((r->data = danefacts_hex(t->data, t->data != NULL ? t->len : 0)) == NULL)
			goto nomem;
	}
	return 0;
nomem:
	mailtls_dane_facts_clear(f);
	return MAILTLS_ENOMEM;
}

/* openssl_reason - the reason of OpenSSL's last error, or a fallback; the queue cleared. */
static const char *openssl_reason(const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r != NULL ? r : fallback;
}

int danefacts_ssl_setup(SSL *ssl, const struct danefacts_params *p, struct mailtls_dane_facts *f)
{
	static const unsigned char none[1];

	if (p->base == NULL || SSL_dane_enable(ssl, p->base) <= 0)
		goto tls;
	SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	for (size_t i = 0; i < p->n_names; i++)
		if (strcmp(p->names[i], p->base) != 0 && SSL_add1_host(ssl, p->names[i]) != 1)
			goto tls;
	X509_VERIFY_PARAM_set_time(SSL_get0_param(ssl), p->at);
	if (p->store != NULL && SSL_set1_verify_cert_store(ssl, p->store) != 1)
		goto tls;
	for (size_t i = 0; i < p->n_tlsa && i < f->n_records; i++) {
		const struct mailtls_tlsa *t = &p->tlsa[i];
		struct mailtls_dane_record *r = &f->records[i];
		/* OpenSSL wants data even for an empty record: an empty digest is a record
		 * of the wrong length, which it refuses as such. */
		int ok = SSL_dane_tlsa_add(ssl, t->usage, t->selector, t->mtype,
					   t->data != NULL ? t->data : none, t->len);

		if (ok < 0)
			goto tls;
		free(r->reason);
		r->reason = NULL;
		r->accepted = ok > 0;
		if (ok > 0) {
			f->n_usable++;
			continue;
		}
		r->reason = strndup(openssl_reason("unusable record"), DANEFACTS_REASON_MAX);
		if (r->reason == NULL)
			return MAILTLS_ENOMEM;
	}
	ERR_clear_error();
	return 0;
tls:
	/* The set-up itself failed: memory, or a base or name OpenSSL will not take. */
	ERR_clear_error();
	return MAILTLS_ETLS;
}

/* record_matches - the first of the n presented certificates whose association data for
 * the record's selector and mtype is the record's data; -1 none. */
static int record_matches(const struct mailtls_tlsa *t, STACK_OF(X509) *presented, int n,
			  int *err)
{
	for (int i = 0; i < n; i++) {
		unsigned char *d;
		size_t dl;
		int r = danefacts_assoc(sk_X509_value(presented, i), t->selector, t->mtype, &d, &dl);
		bool eq;

		if (r == MAILTLS_ENOMEM) {
			*err = r;
			return -1;
		}
		if (r != 0)
			continue;   /* a certificate that does not encode: matches nothing */
		eq = t->data != NULL && dl == t->len && memcmp(d, t->data, dl) == 0;
		free(d);
		if (eq)
			return i;
	}
	return -1;
}

int danefacts_ssl_outcome(SSL *ssl, const struct danefacts_params *p, STACK_OF(X509) *presented,
			  int n, struct mailtls_dane_facts *f)
{
	uint8_t usage = 0, selector = 0, mtype = 0;
	const unsigned char *data = NULL;
	size_t dlen = 0;
	long code = SSL_get_verify_result(ssl);
	const char *peer = SSL_get0_peername(ssl);
	int err = 0;

	f->evaluated = true;
	f->verify_code = code;
	free(f->verify_text);
	free(f->peername);
	f->peername = NULL;
	if ((f->verify_text = strdup(X509_verify_cert_error_string(code))) == NULL)
		return MAILTLS_ENOMEM;
	f->depth = SSL_get0_dane_authority(ssl, NULL, NULL);
	/* OpenSSL reports its match only for a chain that verified. Where the match was
	 * made and verification then failed on something else (a DANE-TA match and a name
	 * that does not match, an expired leaf), the match is a fact too: read it with the
	 * result set aside, then put the result back. */
	SSL_set_verify_result(ssl, X509_V_OK);
	f->match_depth = SSL_get0_dane_tlsa(ssl, &usage, &selector, &mtype, &data, &dlen);
	SSL_set_verify_result(ssl, code);
	f->have_match = f->match_depth >= 0;
	f->match_record = -1;
	if (f->have_match) {
		f->match_usage = usage;
		f->match_selector = selector;
		f->match_mtype = mtype;
		for (size_t i = 0; i < p->n_tlsa && i < f->n_records; i++) {
			const struct mailtls_tlsa *t = &p->tlsa[i];

			if (f->records[i].accepted == 1 && t->usage == usage &&
			    t->selector == selector && t->mtype == mtype && t->len == dlen &&
			    (dlen == 0 || (data != NULL && memcmp(t->data, data, dlen) == 0))) {
				f->match_record = (int)i;
				break;
			}
		}
	}
	/* The peer name comes from the certificate (a wildcard, say): untrusted text. */
	if (peer != NULL && (f->peername = escape_text(peer, strnlen(peer, MAILTLS_NAME_MAX))) == NULL)
		return MAILTLS_ENOMEM;
	for (size_t i = 0; i < p->n_tlsa && i < f->n_records && err == 0; i++)
		f->records[i].matches = record_matches(&p->tlsa[i], presented, n, &err);
	return err;
}

int danefacts_get(STACK_OF(X509) *presented, const struct danefacts_params *p,
		  struct mailtls_dane_facts *f)
{
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	X509_STORE *empty = NULL;
	X509_STORE_CTX *sctx = NULL;
	X509_VERIFY_PARAM *vp;
	int n = presented != NULL ? sk_X509_num(presented) : 0;
	int r;

	if (n <= 0 || p->base == NULL || p->n_tlsa == 0)
		return MAILTLS_EINVAL;
	if ((r = danefacts_init(p, f)) != 0)
		return r;
	r = MAILTLS_ENOMEM;
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL || SSL_CTX_dane_enable(ctx) <= 0 ||
	    (ssl = SSL_new(ctx)) == NULL || (sctx = X509_STORE_CTX_new()) == NULL ||
	    (p->store == NULL && (empty = X509_STORE_new()) == NULL))
		goto out;
	if ((r = danefacts_ssl_setup(ssl, p, f)) != 0)
		goto out;
	r = MAILTLS_ETLS;
	if (X509_STORE_CTX_init(sctx, p->store != NULL ? p->store : empty,
				sk_X509_value(presented, 0), presented) != 1 ||
	    X509_STORE_CTX_set_default(sctx, "ssl_server") != 1)
		goto out;
	vp = X509_STORE_CTX_get0_param(sctx);
	if (X509_VERIFY_PARAM_set1(vp, SSL_get0_param(ssl)) != 1)
		goto out;
	X509_VERIFY_PARAM_set_auth_level(vp, SSL_get_security_level(ssl));
	X509_STORE_CTX_set0_dane(sctx, SSL_get0_dane(ssl));
	/* The outcome is in the context's error; the return value only repeats it. */
	(void)X509_verify_cert(sctx);
	SSL_set_verify_result(ssl, X509_STORE_CTX_get_error(sctx));
	X509_VERIFY_PARAM_move_peername(SSL_get0_param(ssl), vp);
	r = danefacts_ssl_outcome(ssl, p, presented, n, f);
out:
	ERR_clear_error();
	X509_STORE_CTX_free(sctx);
	X509_STORE_free(empty);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return r;
}
