/*
 * certpolicy.c - certificate facts to cert.* findings and would_authenticate.
 *
 * NAME
 *	certpolicy_apply, certpolicy_ocsp, certpolicy_ocsp_responder
 * SYNOPSIS
 *	#include "certpolicy.h"
 * DESCRIPTION
 *	Facts first, policy after (Postfix tls_verify.c): chainfacts.c and namefacts.c say
 *	what is; this file alone says what it means. Findings are added in a fixed order:
 *
 *	1. Chain: for a presented chain longer than the part verified, cert.chain-extra (it
 *	   verified anyway) or cert.chain-too-long first (chain_cut()). Then every error of the
 *	   lenient run, one finding per (finding, certificate), except errors another finding
 *	   explains: an issuer that was sent but cut off, a leaf whose unusable subjectAltName
 *	   cert.malformed-san reports (explained_by_san()), a rejected anchor that OpenSSL also
 *	   reports as a wrong purpose. Then cert.trusted with the verified path, or nothing.
 *	   What only the strict X509_STRICT run refuses is one cert.profile-violation (a
 *	   warning: lenient clients accept the chain, strict ones refuse it).
 *	   Then, from certpolicy_path.c: cert.alternate-path when OpenSSL's path failed and
 *	   another verifies (the verdict stays OpenSSL's), and the name-constraint issues
 *	   mailtls found itself on the verified path about malformed constraints and DNS-IDs.
 *	2. The leaf: expiry within warn_days, an explicit weak key and weak signature check.
 *	   res->chain_trusted is set here; then the name-constraint issues about reference
 *	   names matched through a wildcard (about a name, not the chain).
 *	3. Identity: RFC 9525 6. DNS-IDs that can never match (at most
 *	   CERTPOLICY_BADNAMES_MAX findings per id, then one that counts the rest); an unusable
 *	   SAN (cert.malformed-san) or, with no DNS-ID, what legacy CN-fallback clients would do
 *	   (cert.cn-only); then per reference name cert.name-match (and cert.wildcard) or
 *	   cert.name-mismatch. A mismatch lists at most CERTPOLICY_LISTED_MAX DNS-IDs and says
 *	   when not all are listed.
 *
 *	Which certificate a finding is about (mailtls_subject.cert_depth): a finding about
 *	one certificate carries its position in the chain as the server presented it (0 = the
 *	leaf; the index into the result's chain[]), which for a chain sent in order is also
 *	the depth its message shows ("(depth 2)", OpenSSL's depth in the path it built). A
 *	certificate that was not presented (an anchor taken from the trust store) gives -1:
 *	the message names it. Findings on names, validity, key and signature of the leaf
 *	carry 0. Findings about the chain as a whole carry -1
 *	(mailtls_result_add()): cert.trusted, cert.chain-extra, cert.chain-too-long (it is about
 *	the length; the certificate whose issuer was cut off is only named in its message),
 *	and cert.profile-violation when its problems span several certificates (all on one:
 *	that one's depth).
 *
 *	res->would_authenticate is true only when the lenient chain run verified without any
 *	recorded error, every reference identity matched and no critical cert.* finding is in
 *	the result.
 *
 *	Names from certificates are quoted in the escaped form that x509info stores
 *	(certtext.h): no raw certificate byte reaches a message.
 * DIAGNOSTICS
 *	certpolicy_apply() returns 0 (problems are findings) or MAILTLS_ENOMEM.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <mailtls/mailtls.h>
#include "certpolicy.h"
#include "certtext.h"
#include "ocspfacts.h"
#include "x509info.h"

#define CERTPOLICY_LIST_MAX 1200  /* longest list of presented names in one message */
#define CERTPOLICY_LISTED_MAX X509INFO_SAN_MAX /* most DNS-IDs listed in one message */
#define CERTPOLICY_BADNAMES_MAX 16 /* findings on DNS-IDs that never match, per id */
#define CERTPOLICY_PROFILE_MAX 1000 /* longest list of strict-profile problems in a message */

/* reported - res already holds finding fid about the certificate at depth: one finding per
 * (finding, certificate), however many OpenSSL errors lead to it. */
static bool reported(const struct mailtls_result *res, enum mailtls_fid fid, int depth)
{
	for (size_t i = 0; i < res->findings.n; i++)
		if (res->findings.v[i].fid == fid && res->findings.v[i].subject.cert_depth == depth)
			return true;
	return false;
}

/* is_self_issued - subject and issuer are the same name (RFC 5280 6.1). */
static bool is_self_issued(const X509 *cert)
{
	return X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0;
}

/* error_fid - the finding one recorded OpenSSL error becomes. An unknown issuer: see
 * chain_error(). */
static enum mailtls_fid error_fid(const struct chain_err *e)
{
	switch (e->code) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return MAILTLS_F_CERT_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return MAILTLS_F_CERT_NOT_YET_VALID;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		return MAILTLS_F_CERT_SELF_SIGNED;
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_REJECTED:
	case X509_V_ERR_CERT_UNTRUSTED:
		return MAILTLS_F_CERT_UNTRUSTED;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		return e->cert == NULL || is_self_issued(e->cert) || e->depth > 0
		       ? MAILTLS_F_CERT_UNTRUSTED : MAILTLS_F_CERT_INCOMPLETE_CHAIN;
	case X509_V_ERR_CA_MD_TOO_WEAK:
		return MAILTLS_F_CERT_WEAK_SIGNATURE;
	case X509_V_ERR_EE_KEY_TOO_SMALL:
	case X509_V_ERR_CA_KEY_TOO_SMALL:
		return MAILTLS_F_CERT_WEAK_KEY;
	default:
		return MAILTLS_F_CERT_VERIFY_ERROR;
	}
}

/* chain_error - one recorded OpenSSL error to a finding about the certificate at its
 * depth, unless that finding is already there. */
static int chain_error(const struct chain_err *e, const struct certpolicy_params *p,
		       struct mailtls_result *res)
{
	enum mailtls_fid fid = error_fid(e);
	char label[256];
	char date[32];
	char dn[512];
	time_t t;

	if (reported(res, fid, e->pos))
		return 0;
	certtext_label(e->cert, label, sizeof(label));
	switch (e->code) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		t = e->cert != NULL ? x509info_asn1_time(X509_get0_notAfter(e->cert)) : 0;
		return mailtls_result_add_cert(res, fid, e->pos,
			"certificate '%s' (depth %d) expired on %s, %lld days ago", label, e->depth,
			mailtls_time_format(t, date, sizeof(date)), (long long)((p->at - t) / 86400));
	case X509_V_ERR_CERT_NOT_YET_VALID:
		t = e->cert != NULL ? x509info_asn1_time(X509_get0_notBefore(e->cert)) : 0;
		return mailtls_result_add_cert(res, fid, e->pos,
			"certificate '%s' (depth %d) is not valid before %s, %lld days from the validation time",
			label, e->depth, mailtls_time_format(t, date, sizeof(date)),
			(long long)((t - p->at + 86399) / 86400));
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		return mailtls_result_add_cert(res, fid, e->pos,
			"the server certificate '%s' is self-signed and not a trust anchor", label);
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		return mailtls_result_add_cert(res, fid, e->pos,
			"the chain ends at root '%s' (depth %d), which is not a trust anchor",
			label, e->depth);
	case X509_V_ERR_CERT_REJECTED:
	case X509_V_ERR_CERT_UNTRUSTED:
		/* The anchor's trust settings (a TRUSTED CERTIFICATE's -addreject/-addtrust). */
		return mailtls_result_add_cert(res, fid, e->pos,
			"the chain ends at '%s' (depth %d), which the trust store marks as %s "
			"for TLS server authentication", label, e->depth,
			e->code == X509_V_ERR_CERT_REJECTED ? "rejected" : "not trusted");
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		if (e->cert == NULL || is_self_issued(e->cert))
			return mailtls_result_add_cert(res, fid, e->pos,
				"the chain ends at '%s' (depth %d), which is not a trust anchor",
				label, e->depth);
		certtext_issuer(e->cert, dn, sizeof(dn));
		/* The server sent intermediates and the top one's issuer is unknown: the usual
		 * reason is a root the client does not trust (servers need not send roots,
		 * RFC 8446 4.4.2), not a missing intermediate. */
		if (e->depth > 0)
			return mailtls_result_add_cert(res, fid, e->pos,
				"the chain leads to issuer '%s' of certificate '%s' (depth %d), which is not a trust anchor",
				dn, label, e->depth);
		/* The leaf's issuer is unknown: a missing intermediate, or a root (or other CA)
		 * that is no anchor and was not sent; nothing here tells the two apart. */
		return mailtls_result_add_cert(res, fid, e->pos,
			"the server did not send the intermediate certificate for issuer '%s', "
			"which certificate '%s' (depth %d) needs, and no trust anchor supplies it; "
			"or that issuer is a CA the client does not trust (without its certificate "
			"the two cannot be told apart)",
			dn, label, e->depth);
	case X509_V_ERR_CA_MD_TOO_WEAK:
		return mailtls_result_add_cert(res, fid, e->pos,
			"certificate '%s' (depth %d) is signed with %s, too weak for verifying clients",
			label, e->depth, e->cert != NULL ?
			OBJ_nid2ln(X509_get_signature_nid(e->cert)) : "a weak algorithm");
	case X509_V_ERR_EE_KEY_TOO_SMALL:
	case X509_V_ERR_CA_KEY_TOO_SMALL:
		return mailtls_result_add_cert(res, fid, e->pos,
			"certificate '%s' (depth %d) has a %d-bit key, too small for verifying clients",
			label, e->depth, e->cert != NULL ?
			EVP_PKEY_get_bits(X509_get0_pubkey(e->cert)) : 0);
	default:
		return mailtls_result_add_cert(res, fid, e->pos,
			"certificate '%s' (depth %d): %s", label, e->depth,
			X509_verify_cert_error_string(e->code));
	}
}

/* explained_by_san - an error on a leaf whose subjectAltName cannot be used, which
 * cert.malformed-san explains (only when an identity is checked: that finding is added
 * then). OpenSSL marks such a certificate invalid, then refuses its purpose and does not
 * link it to its issuer: "issuer missing" would blame the wrong thing when a presented
 * certificate has the leaf's issuer name. */
static bool explained_by_san(const struct chain_facts *cf, const struct name_facts *nf,
			     const struct chain_err *e)
{
	if (!nf->san_malformed || e->depth != 0)
		return false;
	return e->code == X509_V_ERR_INVALID_PURPOSE || e->code == X509_V_ERR_INVALID_EXTENSION
	       || (chainfacts_issuer_unknown(e->code) && cf->leaf_issuer_presented);
}

/* chain_cut - the finding on a presented chain longer than the part verified:
 * - that part verified to an anchor: cert.chain-extra (a warning, like
 *   cert.profile-violation: the lenient verdict stands, the message says who refuses).
 *   OpenSSL, as verifying senders run it with the whole presented chain as untrusted
 *   certificates, looks for each issuer in the trust store first and then takes the first
 *   time-valid one in presented order, so it builds the same path and accepts it; GnuTLS
 *   refuses a presented chain longer than its verify depth (16 by default) before it
 *   looks at it;
 * - the issuer the path stopped at was sent beyond the cut: cert.chain-too-long names it
 *   (and the error is not reported as cert.untrusted or cert.incomplete-chain);
 * - else cert.chain-too-long, and the errors of the verified part are reported as they
 *   are. */
static int chain_cut(const struct chain_facts *cf, struct mailtls_result *res)
{
	char label[256];
	char ilabel[256];

	if (cf->verified)
		return mailtls_result_add(res, MAILTLS_F_CERT_CHAIN_EXTRA,
			"the server sent %d certificates, more than any chain needs; the first %d "
			"lead to a trust anchor, so OpenSSL-based clients (Postfix) accept the chain, "
			"but GnuTLS-based clients refuse more than 16 certificates", cf->total, cf->n);
	if (cf->cut_depth >= 0) {
		certtext_label(cf->cut_cert, label, sizeof(label));
		certtext_label(cf->cut_issuer, ilabel, sizeof(ilabel));
		return mailtls_result_add(res, MAILTLS_F_CERT_CHAIN_TOO_LONG,
			"the server sent %d certificates; only the first %d were verified, and "
			"the issuer of '%s' (depth %d) is certificate %d as sent ('%s'), beyond "
			"them: the chain was not followed to a trust anchor",
			cf->total, cf->n, label, cf->cut_depth, cf->cut_issuer_pos + 1, ilabel);
	}
	return mailtls_result_add(res, MAILTLS_F_CERT_CHAIN_TOO_LONG,
		"the server sent %d certificates; only the first %d were verified, and the chain "
		"they make fails (the other findings say why)", cf->total, cf->n);
}

/* profile_violation - one cert.profile-violation listing what only the strict run
 * recorded: "depth D 'label': OpenSSL's text", deduplicated, bounded. */
static int profile_violation(const struct chain_facts *cf, const struct name_facts *nf,
			     struct mailtls_result *res)
{
	const struct chain_errs *strict = &cf->strict_only;
	char list[CERTPOLICY_PROFILE_MAX];
	size_t o = 0;
	size_t shown = 0, extra = 0;
	int depth = -1;
	bool one_cert = true;

	list[0] = '\0';
	for (size_t i = 0; i < strict->n; i++) {
		const struct chain_err *e = &strict->v[i];
		const char *text = X509_verify_cert_error_string(e->code);
		char label[256];
		char one[400];
		bool dup = false;

		if (explained_by_san(cf, nf, e))
			continue;
		/* Two codes with the same text on one certificate read as one problem. */
		for (size_t k = 0; k < i && !dup; k++) {
			const struct chain_err *f = &strict->v[k];

			dup = f->depth == e->depth && !explained_by_san(cf, nf, f)
			      && strcmp(text, X509_verify_cert_error_string(f->code)) == 0;
		}
		if (dup)
			continue;
		one_cert = one_cert && (extra == 0 || e->depth == depth);
		depth = e->depth;
		extra++;
		certtext_label(e->cert, label, sizeof(label));
		snprintf(one, sizeof(one), "%sdepth %d '%s': %s", shown > 0 ? "; " : "",
			 e->depth, label, text);
		if (o + strlen(one) + 16 >= sizeof(list))
			continue;
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s", one);
		shown++;
	}
	if (extra == 0)
		return 0;
	return mailtls_result_add_cert(res, MAILTLS_F_CERT_PROFILE_VIOLATION, one_cert ? depth : -1,
		"lenient clients accept the chain; the strict RFC 5280 profile (OpenSSL X509_STRICT) "
		"refuses it: %s%s", list, extra > shown ? "; ..." : "");
}

/* chain_findings - step 1: the chain. */
static int chain_findings(const struct chain_facts *cf, const struct name_facts *nf,
			  const struct certpolicy_params *p, struct mailtls_result *res)
{
	char path[1500];
	int r = 0;

	if (cf->total > cf->n)
		r = chain_cut(cf, res);
	for (size_t i = 0; i < cf->lenient.n && r == 0; i++) {
		const struct chain_err *e = &cf->lenient.v[i];

		/* The issuer was sent but cut off (chain_cut()): saying it is missing or
		 * untrusted would blame the wrong thing. */
		if ((e->depth == cf->cut_depth && chainfacts_issuer_unknown(e->code))
		    || explained_by_san(cf, nf, e))
			continue;
		/* OpenSSL's check_purpose() also reports a rejected anchor as "unsuitable
		 * certificate purpose" without looking at the purpose: one cause, one finding. */
		if (e->code == X509_V_ERR_INVALID_PURPOSE
		    && chainfacts_has(&cf->lenient, e->depth, X509_V_ERR_CERT_REJECTED))
			continue;
		r = chain_error(e, p, res);
	}
	if (r == 0 && cf->verified) {
		certtext_path(cf->path, path, sizeof(path));
		r = mailtls_result_add(res, MAILTLS_F_CERT_TRUSTED, "chain verified: %s", path);
	}
	if (r == 0)
		r = profile_violation(cf, nf, res);
	return r;
}

/* leaf_findings - step 2: expiry warning and explicit weak key / weak signature on the
 * leaf (depth 0), unless the chain errors already said so. */
static int leaf_findings(const struct chain_facts *cf, const struct certpolicy_params *p,
			 struct mailtls_result *res)
{
	const struct chain_leaf *lf = &cf->leaf_facts;
	int type = lf->key_type;
	bool weak_key = ((type == EVP_PKEY_RSA || type == EVP_PKEY_RSA_PSS || type == EVP_PKEY_DSA)
			 && lf->key_bits < 2048) || (type == EVP_PKEY_EC && lf->key_bits < 224);
	bool weak_sig = lf->sig_digest == NID_md5 || lf->sig_digest == NID_sha1
			|| lf->sig_digest == NID_md4;
	char label[256];
	char date[32];
	int r = 0;

	certtext_label(cf->leaf, label, sizeof(label));
	if (p->warn_days > 0 && lf->not_after >= p->at && lf->not_before <= p->at
	    && lf->not_after - p->at < (time_t)p->warn_days * 86400)
		r = mailtls_result_add_cert(res, MAILTLS_F_CERT_EXPIRES_SOON, 0,
			"certificate '%s' expires on %s, in %lld days", label,
			mailtls_time_format(lf->not_after, date, sizeof(date)),
			(long long)((lf->not_after - p->at) / 86400));
	if (r == 0 && weak_key && !mailtls_result_has(res, MAILTLS_F_CERT_WEAK_KEY))
		r = mailtls_result_add_cert(res, MAILTLS_F_CERT_WEAK_KEY, 0,
			"certificate '%s' (depth 0) has a %d-bit %s key", label, lf->key_bits,
			type == EVP_PKEY_EC ? "EC" : type == EVP_PKEY_DSA ? "DSA" : "RSA");
	if (r == 0 && weak_sig && !reported(res, MAILTLS_F_CERT_WEAK_SIGNATURE, 0))
		r = mailtls_result_add_cert(res, MAILTLS_F_CERT_WEAK_SIGNATURE, 0,
			"certificate '%s' (depth 0) is signed with %s", label,
			OBJ_nid2ln(lf->sig_nid));
	return r;
}

/* dnsids_list - "a, b, c" of the presented DNS-IDs, escaped, bounded; at most
 * CERTPOLICY_LISTED_MAX of them. Returns false when the list was cut ("..."). */
static bool dnsids_list(const struct name_id *ids, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char one[300];

		certtext_escape(ids[i].p, ids[i].len, one, sizeof(one));
		if (i >= CERTPOLICY_LISTED_MAX || o + strlen(one) + 8 >= len) {
			snprintf(buf + o, len - o, "%s...", i > 0 ? ", " : "");
			return false;
		}
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i > 0 ? ", " : "", one);
	}
	return true;
}

/* bad_names - RFC 9525 6.3: presented names that can never match, at most
 * CERTPOLICY_BADNAMES_MAX findings per id, then one that counts the rest. */
static int bad_names(const struct name_facts *nf, struct mailtls_result *res)
{
	size_t n_partial = 0, n_invalid = 0;
	char esc[300];
	int r = 0;

	for (size_t i = 0; i < nf->n_dnsids && r == 0; i++) {
		enum mailtls_presented_kind k = nf->dnsid_kinds[i];
		size_t *count = k == MAILTLS_PRESENTED_PARTIAL_WILDCARD ? &n_partial : &n_invalid;

		if (k != MAILTLS_PRESENTED_PARTIAL_WILDCARD && k != MAILTLS_PRESENTED_BAD_WILDCARD
		    && k != MAILTLS_PRESENTED_INVALID)
			continue;
		if ((*count)++ >= CERTPOLICY_BADNAMES_MAX)
			continue;
		certtext_escape(nf->dnsids[i].p, nf->dnsids[i].len, esc, sizeof(esc));
		if (k == MAILTLS_PRESENTED_PARTIAL_WILDCARD)
			r = mailtls_result_add_cert(res, MAILTLS_F_CERT_PARTIAL_WILDCARD, 0,
				"DNS-ID %s is a partial wildcard: strict clients never match it", esc);
		else if (k == MAILTLS_PRESENTED_BAD_WILDCARD)
			r = mailtls_result_add_cert(res, MAILTLS_F_CERT_INVALID_NAME, 0,
				"DNS-ID %s has a misplaced or too broad wildcard: it never matches", esc);
		else
			r = mailtls_result_add_cert(res, MAILTLS_F_CERT_INVALID_NAME, 0,
				"DNS-ID %s is not a valid DNS name: it never matches", esc);
	}
	if (r == 0 && n_partial > CERTPOLICY_BADNAMES_MAX)
		r = mailtls_result_add_cert(res, MAILTLS_F_CERT_PARTIAL_WILDCARD, 0,
			"%zu more DNS-IDs are partial wildcards (not listed)",
			n_partial - CERTPOLICY_BADNAMES_MAX);
	if (r == 0 && n_invalid > CERTPOLICY_BADNAMES_MAX)
		r = mailtls_result_add_cert(res, MAILTLS_F_CERT_INVALID_NAME, 0,
			"%zu more DNS-IDs are not valid DNS names or have a misplaced wildcard (not listed)",
			n_invalid - CERTPOLICY_BADNAMES_MAX);
	return r;
}

/* cn_only - no DNS-ID: cert.cn-only, saying whether legacy clients that fall back to the
 * subject CN would match a reference name. Nothing when there is no CN. */
static int cn_only(const struct name_facts *nf, struct mailtls_result *res)
{
	char list[CERTPOLICY_LIST_MAX];
	size_t o = 0;
	bool cut = false;

	if (nf->n_cns == 0)
		return 0;
	list[0] = '\0';
	for (size_t i = 0; i < nf->n_cns && !cut; i++) {
		char esc[300];

		certtext_escape(nf->cns[i].p, nf->cns[i].len, esc, sizeof(esc));
		if (o + strlen(esc) + 8 >= sizeof(list)) {
			snprintf(list + o, sizeof(list) - o, ", ...");
			cut = true;
			continue;
		}
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", o > 0 ? ", " : "", esc);
	}
	return mailtls_result_add_cert(res, MAILTLS_F_CERT_CN_ONLY, 0,
		"the certificate has no DNS-ID, only subject CN%s %s: strict clients "
		"(RFC 9525) fail; legacy clients fall back to the CN, which %s%s",
		nf->n_cns > 1 ? "s" : "", list,
		nf->cn_match != NULL ? "would match " : "would not match any reference name",
		nf->cn_match != NULL ? nf->cn_match : "");
}

/* malformed_san - cert.malformed-san on the leaf: its SAN cannot be used, so verifying
 * clients find no identity of the kind wanted ("DNS-ID", "IP-ID") in it. */
static int malformed_san(const struct chain_facts *cf, const struct name_facts *nf,
			 const char *kind, struct mailtls_result *res)
{
	char label[256];

	certtext_label(cf->leaf, label, sizeof(label));
	return mailtls_result_add_cert(res, MAILTLS_F_CERT_MALFORMED_SAN, 0,
		"certificate '%s' (depth 0) has %s: verifying clients find no %s in it", label,
		nf->san_duplicate ? "more than one subjectAltName extension"
				  : "a subjectAltName extension that does not decode (DER error)", kind);
}

/* identity_dns - step 3 for reference names. */
static int identity_dns(const struct chain_facts *cf, const struct name_facts *nf,
			struct mailtls_result *res)
{
	char list[CERTPOLICY_LIST_MAX];
	char cut[128] = "";
	char esc[300];
	int r;

	if (!dnsids_list(nf->dnsids, nf->n_dnsids, list, sizeof(list)))
		snprintf(cut, sizeof(cut), "; the certificate has %zu DNS-IDs, not all listed",
			 nf->n_dnsids);
	r = bad_names(nf, res);
	if (r == 0 && nf->san_malformed)	/* not cn-only: the SAN is there, broken */
		r = malformed_san(cf, nf, "DNS-ID", res);
	else if (r == 0 && nf->n_dnsids == 0)
		r = cn_only(nf, res);
	for (size_t j = 0; j < nf->n_refs && r == 0; j++) {
		const struct name_ref *ref = &nf->refs[j];

		if (ref->match == MAILTLS_NAME_NOMATCH && nf->n_dnsids == 0) {
			r = mailtls_result_add_cert(res, MAILTLS_F_CERT_NAME_MISMATCH, 0,
				"%s is not covered by the certificate: %s", ref->name,
				!nf->san_malformed ? "it presents no DNS-ID"
				: nf->san_duplicate ? "it has more than one subjectAltName extension"
				: "its subjectAltName extension does not decode");
			continue;
		}
		certtext_escape(nf->dnsids[ref->which].p, nf->dnsids[ref->which].len, esc,
				sizeof(esc));
		if (ref->match == MAILTLS_NAME_NOMATCH) {
			r = mailtls_result_add_cert(res, MAILTLS_F_CERT_NAME_MISMATCH, 0,
				"%s is not covered by the certificate: presented DNS-IDs %s (nearest: %s)%s",
				ref->name, list, esc, cut);
			continue;
		}
		r = mailtls_result_add_cert(res, MAILTLS_F_CERT_NAME_MATCH, 0,
					    "%s matches DNS-ID %s", ref->name, esc);
		if (r == 0 && ref->match == MAILTLS_NAME_MATCH_WILDCARD)
			r = mailtls_result_add_cert(res, MAILTLS_F_CERT_WILDCARD, 0,
				"%s is covered only through the wildcard DNS-ID %s", ref->name, esc);
	}
	return r;
}

/* identity_ip - step 3 for an IP reference identity (RFC 9525 6.2). */
static int identity_ip(const struct chain_facts *cf, const struct name_facts *nf,
		       struct mailtls_result *res)
{
	char list[CERTPOLICY_LIST_MAX];
	size_t o = 0;
	int r;

	if (nf->ip_match)
		return mailtls_result_add_cert(res, MAILTLS_F_CERT_NAME_MATCH, 0,
					       "%s matches an IP-ID", nf->ip);
	if (nf->san_malformed && (r = malformed_san(cf, nf, "IP-ID", res)) != 0)
		return r;
	list[0] = '\0';
	for (size_t i = 0; i < nf->n_ipids && o + 64 < sizeof(list); i++) {
		const unsigned char *b = (const unsigned char *)nf->ipids[i].p;
		size_t n = nf->ipids[i].len;

		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s", o > 0 ? ", " : "");
		for (size_t k = 0; k < n && o + 4 < sizeof(list); k++)
			o += (size_t)snprintf(list + o, sizeof(list) - o,
				n == 4 ? (k ? ".%u" : "%u") : (k && k % 2 == 0 ? ":%02x" : "%02x"), b[k]);
	}
	return mailtls_result_add_cert(res, MAILTLS_F_CERT_NAME_MISMATCH, 0,
		"%s is not covered by the certificate: %s%s", nf->ip,
		!nf->san_malformed ? "presented IP-IDs "
		: nf->san_duplicate ? "it has more than one subjectAltName extension"
		: "its subjectAltName extension does not decode",
		nf->san_malformed ? "" : o > 0 ? list : "(none)");
}

/* names_ok - every reference identity matched; false when there is none to check (nothing
 * is authenticated then). */
static bool names_ok(const struct name_facts *nf)
{
	switch (nf->kind) {
	case NAME_KIND_DNS:
		for (size_t j = 0; j < nf->n_refs; j++)
			if (nf->refs[j].match == MAILTLS_NAME_NOMATCH)
				return false;
		return true;
	case NAME_KIND_IP:
		return nf->ip_match;
	case NAME_KIND_NONE:
		break;
	}
	return false;
}

/* critical_cert_finding - a critical cert.* finding was raised (by this module: the ones
 * that refuse the chain or the identity), among the findings from index `from` on. */
static bool critical_cert_finding(const struct mailtls_result *res, size_t from)
{
	for (size_t i = from; i < res->findings.n; i++)
		if (strncmp(res->findings.v[i].id, "cert.", 5) == 0
		    && res->findings.v[i].severity == MAILTLS_SEV_CRITICAL)
			return true;
	return false;
}

int certpolicy_apply(const struct chain_facts *cf, const struct name_facts *nf,
		     const struct certpolicy_params *p, struct mailtls_result *res)
{
	int r = chain_findings(cf, nf, p, res);
	size_t openssl_findings = res->findings.n;

	if (r == 0)
		r = certpolicy_alternate(res);
	if (r == 0)
		r = certpolicy_nc(p->nc, false, res);
	if (r == 0)
		r = leaf_findings(cf, p, res);
	if (r == 0) {
		res->chain_trusted = cf->verified && !critical_cert_finding(res, 0);
		/* A reference name that breaks a constraint (through a wildcard) is about that
		 * name, not the chain: after chain_trusted. */
		r = certpolicy_nc(p->nc, true, res);
	}
	if (r == 0 && nf->kind == NAME_KIND_DNS)
		r = identity_dns(cf, nf, res);
	else if (r == 0 && nf->kind == NAME_KIND_IP)
		r = identity_ip(cf, nf, res);
	if (r != 0)
		return r;
	res->would_authenticate = cf->verified && names_ok(nf) && !critical_cert_finding(res, 0);
	/* A client that searches every path: the other path, the names, and nothing critical
	 * beyond the findings of OpenSSL's path. */
	res->path_search.searching_client_accepts = res->path_search.found && names_ok(nf)
		&& !critical_cert_finding(res, openssl_findings);
	return 0;
}

/* ocsp_dates - "thisUpdate T, nextUpdate N" (or "no nextUpdate") into buf. */
static const char *ocsp_dates(const struct mailtls_ocsp_facts *f, char *buf, size_t len)
{
	char t1[32], t2[32];

	snprintf(buf, len, "thisUpdate %s, %s%s", mailtls_time_format(f->this_update, t1, sizeof(t1)),
		 f->next_update ? "nextUpdate " : "no nextUpdate",
		 f->next_update ? mailtls_time_format(f->next_update, t2, sizeof(t2)) : "");
	return buf;
}

/* ocsp_stale - ocsp.stale for a response that is not current at `at`. */
static int ocsp_stale(const struct mailtls_ocsp_facts *f, time_t at, struct mailtls_result *res)
{
	char when[32], d[96];

	mailtls_time_format(at, when, sizeof(when));
	if (f->this_update > at)
		return mailtls_result_add_cert(res, MAILTLS_F_OCSP_STALE, 0,
			"the stapled OCSP response is dated in the future: thisUpdate %s is %lld "
			"minutes after the validation time %s", ocsp_dates(f, d, sizeof(d)),
			(long long)((f->this_update - at) / 60), when);
	if (f->next_update != 0 && f->next_update < f->this_update)
		return mailtls_result_add_cert(res, MAILTLS_F_OCSP_STALE, 0,
			"the stapled OCSP response's nextUpdate is before its thisUpdate (%s)",
			ocsp_dates(f, d, sizeof(d)));
	return mailtls_result_add_cert(res, MAILTLS_F_OCSP_STALE, 0,
		"the stapled OCSP response is stale: its nextUpdate passed %lld minutes before the "
		"validation time %s (%s); the server keeps stapling an old response",
		(long long)((at - f->next_update) / 60), when, ocsp_dates(f, d, sizeof(d)));
}

int certpolicy_ocsp(const struct mailtls_ocsp_facts *f, time_t at, struct mailtls_result *res)
{
	char date[32], d[96];
	int r;

	if (!f->stapled)
		return 0;
	if (f->too_large)
		return mailtls_result_add_cert(res, MAILTLS_F_OCSP_MALFORMED, 0,
			"the stapled OCSP response is %zu bytes, more than the %d bytes mailtls "
			"reads: not checked", f->der_len, OCSPFACTS_DER_MAX);
	if (!f->parsed)
		return mailtls_result_add_cert(res, MAILTLS_F_OCSP_MALFORMED, 0,
			"the stapled OCSP response (%zu bytes) does not decode as an OCSPResponse "
			"(RFC 6960 4.2.1)", f->der_len);
	if (f->response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL)
		return mailtls_result_add_cert(res, MAILTLS_F_OCSP_MALFORMED, 0,
			"the stapled OCSP response has status %s (%d), not successful: it holds no "
			"certificate status", OCSP_response_status_str(f->response_status),
			f->response_status);
	if (!f->basic)
		return mailtls_result_add_cert(res, MAILTLS_F_OCSP_MALFORMED, 0,
			"the stapled OCSP response is successful but holds no BasicOCSPResponse "
			"that decodes");
	if (!f->signature_valid)
		return mailtls_result_add_cert(res, MAILTLS_F_OCSP_BAD_SIGNATURE, 0,
			"the stapled OCSP response does not verify (%s): ignored, as clients ignore it",
			f->verify_error ? f->verify_error : "unknown reason");
	if (!f->covers_leaf)
		return mailtls_result_add_cert(res, MAILTLS_F_OCSP_UNKNOWN, 0,
			"the stapled OCSP response is not about this certificate (serial %s): it "
			"is about serial %s", res->chain_len > 0 && res->chain[0].serial ?
			res->chain[0].serial : "?", f->serial ? f->serial : "(none)");
	switch (f->cert_status) {
	case MAILTLS_OCSP_CERT_REVOKED:
		/* A response issued after the validation time (--at in the past), or a
		 * revocation that came after it, says nothing of the certificate then. */
		if (f->this_update > at + OCSPFACTS_SKEW_SECS)
			return ocsp_stale(f, at, res);
		if (f->revocation_time > at) {
			mailtls_time_format(f->revocation_time, date, sizeof(date));
			return mailtls_result_add_cert(res, MAILTLS_F_OCSP_STALE, 0,
				"the stapled OCSP response says the certificate was revoked on %s, "
				"after the validation time: it does not describe the certificate "
				"then", date);
		}
		res->would_authenticate = false;
		res->chain_trusted = false;
		mailtls_time_format(f->revocation_time, date, sizeof(date));
		return mailtls_result_add_cert(res, MAILTLS_F_OCSP_REVOKED, 0,
			"the stapled OCSP response says the certificate was revoked on %s (%s)",
			date, f->revocation_reason >= 0 ?
			OCSP_crl_reason_str(f->revocation_reason) : "no reason given");
	case MAILTLS_OCSP_CERT_UNKNOWN:
		r = mailtls_result_add_cert(res, MAILTLS_F_OCSP_UNKNOWN, 0,
			"the stapled OCSP response says the certificate's status is unknown: "
			"the responder does not know it (%s)", ocsp_dates(f, d, sizeof(d)));
		if (r == 0 && !f->current)
			r = ocsp_stale(f, at, res);
		return r;
	case MAILTLS_OCSP_CERT_GOOD:
		if (!f->current)
			return ocsp_stale(f, at, res);
		return mailtls_result_add_cert(res, MAILTLS_F_OCSP_STAPLED_GOOD, 0,
			"the stapled OCSP response says good (%s), signed and current",
			ocsp_dates(f, d, sizeof(d)));
	case MAILTLS_OCSP_CERT_NONE:
		break;
	}
	return 0;
}

/* responder_failed - ocsp.responder-failed: the URL, then why. */
static int responder_failed(const struct mailtls_ocsp_responder *r, struct mailtls_result *res,
			    const char *why)
{
	return mailtls_result_add_cert(res, MAILTLS_F_OCSP_RESPONDER_FAILED, 0,
		"the OCSP responder %s gave no usable answer: %s", r->url ? r->url : "?", why);
}

/* responder_stale - the answer is not current at `at`: why into buf. */
static const char *responder_stale(const struct mailtls_ocsp_facts *f, time_t at, char *buf,
				   size_t len)
{
	char when[32], d[96];

	mailtls_time_format(at, when, sizeof(when));
	if (f->this_update > at)
		snprintf(buf, len, "the response is dated after the validation time %s (%s)", when,
			 ocsp_dates(f, d, sizeof(d)));
	else
		snprintf(buf, len, "the response is not current at the validation time %s (%s)",
			 when, ocsp_dates(f, d, sizeof(d)));
	return buf;
}

int certpolicy_ocsp_responder(const struct mailtls_ocsp_responder *r, time_t at,
			      struct mailtls_result *res)
{
	const struct mailtls_ocsp_facts *f = &r->facts;
	char date[32], d[96], buf[256];
	const char *url = r->url ? r->url : "?";

	switch (r->query) {
	case MAILTLS_OCSP_QUERY_NONE:
		return 0;
	case MAILTLS_OCSP_QUERY_NO_URL:
		return mailtls_result_add_cert(res, MAILTLS_F_OCSP_NO_RESPONDER, 0,
			"--ocsp: the certificate names no OCSP responder (no OCSP URL in its "
			"Authority Information Access): nothing was asked");
	case MAILTLS_OCSP_QUERY_ANSWERED:
		break;
	default:
		return responder_failed(r, res, r->why ? r->why : "unknown reason");
	}
	if (f->too_large || !f->parsed) {
		snprintf(buf, sizeof(buf), "the response (%zu bytes) does not decode as an "
			 "OCSPResponse (RFC 6960 4.2.1)", f->der_len);
		return responder_failed(r, res, buf);
	}
	if (f->response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		snprintf(buf, sizeof(buf), "the response has status %s (%d), not successful",
			 OCSP_response_status_str(f->response_status), f->response_status);
		return responder_failed(r, res, buf);
	}
	if (!f->basic)
		return responder_failed(r, res, "the response is successful but holds no "
					"BasicOCSPResponse that decodes");
	if (!f->signature_valid) {
		snprintf(buf, sizeof(buf), "the response does not verify (%s)",
			 f->verify_error ? f->verify_error : "unknown reason");
		return responder_failed(r, res, buf);
	}
	if (!f->covers_leaf)
		return mailtls_result_add_cert(res, MAILTLS_F_OCSP_RESPONDER_UNKNOWN, 0,
			"the OCSP responder %s answered about another certificate (serial %s), not "
			"this one (serial %s)", url, f->serial ? f->serial : "(none)",
			res->chain_len > 0 && res->chain[0].serial ? res->chain[0].serial : "?");
	switch (f->cert_status) {
	case MAILTLS_OCSP_CERT_REVOKED:
		/* As for a staple: an answer issued after the validation time, or a
		 * revocation after it, says nothing of the certificate then. */
		if (f->this_update > at + OCSPFACTS_SKEW_SECS)
			return responder_failed(r, res, responder_stale(f, at, buf, sizeof(buf)));
		mailtls_time_format(f->revocation_time, date, sizeof(date));
		if (f->revocation_time > at) {
			snprintf(buf, sizeof(buf), "it says the certificate was revoked on %s, "
				 "after the validation time", date);
			return responder_failed(r, res, buf);
		}
		res->would_authenticate = false;
		res->chain_trusted = false;
		return mailtls_result_add_cert(res, MAILTLS_F_OCSP_RESPONDER_REVOKED, 0,
			"the OCSP responder %s says the certificate was revoked on %s (%s)", url,
			date, f->revocation_reason >= 0 ?
			OCSP_crl_reason_str(f->revocation_reason) : "no reason given");
	case MAILTLS_OCSP_CERT_UNKNOWN:
		return mailtls_result_add_cert(res, MAILTLS_F_OCSP_RESPONDER_UNKNOWN, 0,
			"the OCSP responder %s says the certificate's status is unknown (%s)", url,
			ocsp_dates(f, d, sizeof(d)));
	case MAILTLS_OCSP_CERT_GOOD:
		if (!f->current)
			return responder_failed(r, res, responder_stale(f, at, buf, sizeof(buf)));
		return mailtls_result_add_cert(res, MAILTLS_F_OCSP_RESPONDER_GOOD, 0,
			"the OCSP responder %s says good (%s), signed and current", url,
			ocsp_dates(f, d, sizeof(d)));
	case MAILTLS_OCSP_CERT_NONE:
		break;
	}
	return 0;
}
