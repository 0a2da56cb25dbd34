/*
 * ocspfacts.c - the facts of a stapled OCSP response.
 *
 * NAME
 *	ocspfacts_get, ocspfacts_issuer
 * SYNOPSIS
 *	#include "ocspfacts.h"
 * DESCRIPTION
 *	Decodes the OCSPResponse the server stapled (RFC 6960 4.2.1), and for a successful
 *	one with a BasicOCSPResponse:
 *
 *	the signature: OCSP_basic_verify() checks it with the signer found in the response
 *	or the presented chain; the signer's own chain is then verified here against the
 *	trust store at the validation time (OCSP_basic_verify() would verify it at the
 *	store's time, which is now), and the signer must be the leaf's issuer or a
 *	responder the issuer certified for id-kp-OCSPSigning (RFC 6960 4.2.2.2);
 *
 *	the leaf's SingleResponse, found by CertID (issuer name and key hash, serial) in
 *	whatever hash the responder used: its status, revocation time and reason, and
 *	thisUpdate/nextUpdate, current at the validation time within OCSPFACTS_SKEW_SECS
 *	(the test OCSP_check_validity() makes, but at the check's time, not the clock's).
 *
 *	The leaf's issuer is the presented certificate that issued it, or else the trust
 *	store's.
 * DIAGNOSTICS
 *	ocspfacts_get() returns 0 (a bad response is a fact), MAILTLS_EINVAL or
 *	MAILTLS_ENOMEM.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include <mailtls/mailtls.h>
#include "certtext.h"
#include "ocspfacts.h"
#include "x509info.h"

/* ocspfacts_issuer - (ocspfacts.h) the certificate that issued leaf: a presented one, else
 * the store's; referenced (the caller frees it), or NULL. */
X509 *ocspfacts_issuer(STACK_OF(X509) *presented, X509_STORE *store, X509 *leaf)
{
	X509_STORE_CTX *ctx;
	X509 *issuer = NULL;

	for (int i = 1; i < sk_X509_num(presented); i++) {
		X509 *c = sk_X509_value(presented, i);

		if (X509_check_issued(c, leaf) == X509_V_OK && X509_up_ref(c) == 1)
			return c;
	}
	if ((ctx = X509_STORE_CTX_new()) == NULL)
		return NULL;
	if (X509_STORE_CTX_init(ctx, store, leaf, NULL) == 1 &&
	    X509_STORE_CTX_get1_issuer(&issuer, ctx, leaf) != 1)
		issuer = NULL;
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return issuer;
}

/* set_why - f->verify_error = what (copied); ENOMEM or 0. */
static int set_why(struct mailtls_ocsp_facts *f, const char *what, const char *detail)
{
	size_t n = strlen(what) + (detail ? strlen(detail) + 2 : 0) + 1;

	free(f->verify_error);
	if ((f->verify_error = malloc(n)) == NULL)
		return MAILTLS_ENOMEM;
	snprintf(f->verify_error, n, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
	return 0;
}

/* openssl_reason - the last OpenSSL error's reason, or fallback; the queue is cleared. */
static const char *openssl_reason(const char *fallback)
{
	const char *r = ERR_reason_error_string(ERR_peek_last_error());

	ERR_clear_error();
	return r != NULL ? r : fallback;
}

/* check_signer - may signer answer for leaf's issuer (RFC 6960 4.2.2.2)? */
static bool authorized(X509 *signer, X509 *issuer)
{
	if (X509_cmp(signer, issuer) == 0)
		return true;
	/* RFC 6960 4.2.2.2: a delegated responder's certificate is issued directly by the
	 * certificate's CA. X509_check_issued() compares names and key identifiers only; the
	 * signature by the issuer's own key is what proves it. */
	return X509_check_issued(issuer, signer) == X509_V_OK &&
	       X509_verify(signer, X509_get0_pubkey(issuer)) == 1 &&
	       (X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) != 0 &&
	       (X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN) != 0;
}

/* check_signature - f->signature_valid, or f->verify_error. 0 or ENOMEM. */
static int check_signature(OCSP_BASICRESP *bs, STACK_OF(X509) *presented, X509 *issuer,
			   X509_STORE *store, time_t at, struct mailtls_ocsp_facts *f)
{
	STACK_OF(X509) *untrusted = NULL;
	const STACK_OF(X509) *included = OCSP_resp_get0_certs(bs);
	X509_STORE_CTX *ctx = NULL;
	X509 *signer = NULL;
	char label[300];
	int r = MAILTLS_ENOMEM;

	/* OCSP_NOVERIFY: the signature alone; the signer's chain is verified below, at `at`. */
	if (OCSP_basic_verify(bs, presented, store, OCSP_NOVERIFY) <= 0) {
		r = set_why(f, "the signature does not verify", openssl_reason(NULL));
		goto out;
	}
	if (OCSP_resp_get0_signer(bs, &signer, presented) != 1 || signer == NULL) {
		ERR_clear_error();
		r = set_why(f, "the responder's certificate is not in the response or the chain",
			    NULL);
		goto out;
	}
	certtext_label(signer, label, sizeof(label));
	if ((untrusted = sk_X509_dup(presented)) == NULL ||
	    (ctx = X509_STORE_CTX_new()) == NULL)
		goto out;
	for (int i = 0; i < sk_X509_num(included); i++)
		if (!sk_X509_push(untrusted, sk_X509_value(included, i)))
			goto out;
	if (X509_STORE_CTX_init(ctx, store, signer, untrusted) != 1 ||
	    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_OCSP_HELPER) != 1)
		goto out;
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), at);
	if (X509_verify_cert(ctx) <= 0) {
		char what[400];

		snprintf(what, sizeof(what), "the responder certificate '%s' does not verify",
			 label);
		r = set_why(f, what, X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	if (issuer == NULL) {
		r = set_why(f, "the certificate's issuer is unknown, so nobody can be told to "
			    "answer for it", NULL);
		goto out;
	}
	if (!authorized(signer, issuer)) {
		char what[400];

		snprintf(what, sizeof(what), "the responder '%s' is neither the certificate's "
			 "issuer nor delegated by it (id-kp-OCSPSigning)", label);
		r = set_why(f, what, NULL);
		goto out;
	}
	f->signature_valid = true;
	r = 0;
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	ERR_clear_error();
	return r;
}

/* serial_hex - an ASN.1 integer in upper-case hex, as certificate serials are shown;
 * NULL on ENOMEM. */
static char *serial_hex(const ASN1_INTEGER *serial)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
	char *h = bn ? BN_bn2hex(bn) : NULL, *out = h ? strdup(h) : NULL;

	OPENSSL_free(h);
	BN_free(bn);
	return out;
}

/* leaf_status - the leaf's SingleResponse into f. 0 or ENOMEM. */
static int leaf_status(OCSP_BASICRESP *bs, X509 *leaf, X509 *issuer, time_t at,
		       struct mailtls_ocsp_facts *f)
{
	for (int i = 0; i < OCSP_resp_count(bs); i++) {
		OCSP_SINGLERESP *sr = OCSP_resp_get0(bs, i);
		OCSP_CERTID *cid = (OCSP_CERTID *)OCSP_SINGLERESP_get0_id(sr);
		ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
		ASN1_OBJECT *md_oid = NULL;
		ASN1_INTEGER *serial = NULL;
		const EVP_MD *md;
		OCSP_CERTID *mine;
		bool same;
		int status, reason = -1;

		if (OCSP_id_get0_info(NULL, &md_oid, NULL, &serial, cid) != 1)
			continue;
		if (i == 0 && serial != NULL && (f->serial = serial_hex(serial)) == NULL)
			return MAILTLS_ENOMEM;
		md = md_oid != NULL ? EVP_get_digestbyobj(md_oid) : NULL;
		if (md == NULL || issuer == NULL)
			continue;
		mine = OCSP_cert_to_id(md, leaf, issuer);
		same = mine != NULL && OCSP_id_cmp(mine, cid) == 0;
		OCSP_CERTID_free(mine);
		if (!same)
			continue;
		status = OCSP_single_get0_status(sr, &reason, &rev, &thisupd, &nextupd);
		f->covers_leaf = true;
		free(f->serial);
		f->serial = NULL;
		f->cert_status = status == V_OCSP_CERTSTATUS_GOOD ? MAILTLS_OCSP_CERT_GOOD :
				 status == V_OCSP_CERTSTATUS_REVOKED ? MAILTLS_OCSP_CERT_REVOKED :
				 MAILTLS_OCSP_CERT_UNKNOWN;
		if (f->cert_status == MAILTLS_OCSP_CERT_REVOKED) {
			f->revocation_time = rev != NULL ? x509info_asn1_time(rev) : 0;
			f->revocation_reason = reason;
		}
		f->this_update = thisupd != NULL ? x509info_asn1_time(thisupd) : 0;
		f->next_update = nextupd != NULL ? x509info_asn1_time(nextupd) : 0;
		f->current = f->this_update != 0 && f->this_update <= at + OCSPFACTS_SKEW_SECS &&
			     (f->next_update == 0 ||
			      (f->next_update >= f->this_update &&
			       f->next_update + OCSPFACTS_SKEW_SECS >= at));
		break;
	}
	ERR_clear_error();
	return 0;
}

int ocspfacts_get(const unsigned char *der, size_t len, STACK_OF(X509) *presented,
		  X509_STORE *store, time_t at, struct mailtls_ocsp_facts *f)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	X509 *leaf, *issuer = NULL;
	int r = 0;

	memset(f, 0, sizeof(*f));
	f->response_status = -1;
	f->revocation_reason = -1;
	if (presented == NULL || sk_X509_num(presented) == 0 || store == NULL)
		return MAILTLS_EINVAL;
	f->stapled = true;
	f->der_len = len;
	if (len > OCSPFACTS_DER_MAX) {
		f->too_large = true;
		return 0;
	}
	leaf = sk_X509_value(presented, 0);
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	if (resp == NULL || p != der + len)
		goto out;                   /* trailing bytes: not one DER response either */
	f->parsed = true;
	f->response_status = OCSP_response_status(resp);
	if (f->response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (bs = OCSP_response_get1_basic(resp)) == NULL)
		goto out;
	f->basic = true;
	issuer = ocspfacts_issuer(presented, store, leaf);
	r = check_signature(bs, presented, issuer, store, at, f);
	/* What an unverified response says is no fact about the leaf: left unread. */
	if (r == 0 && f->signature_valid)
		r = leaf_status(bs, leaf, issuer, at, f);
out:
	X509_free(issuer);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	ERR_clear_error();
	return r;
}
