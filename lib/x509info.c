/*
 * x509info.c - the facts of one X.509 certificate.
 *
 * NAME
 *	x509info_fill, x509info_name_text, x509info_entry_text
 * SYNOPSIS
 *	#include "x509info.h"
 *
 *	int x509info_fill(X509 *cert, time_t at, struct mailtls_certinfo *out);
 *	char *x509info_name_text(const X509_NAME *name);
 *	char *x509info_entry_text(const X509_NAME *name, int nid);
 * DESCRIPTION
 *	x509info_fill() copies what a certificate says into plain strings and numbers: the
 *	subject and issuer in RFC 2253 one-line form, their CNs, the subject O, the serial in
 *	hex, the subjectAltName entries, the validity period, the key, the signature algorithm,
 *	the SHA-256 fingerprints of the certificate and of its SubjectPublicKeyInfo.
 *	A subjectAltName extension that is present but does not decode (bad DER), or that
 *	appears more than once, sets san_malformed and gives no SAN entries.
 *	Every string is capped at X509INFO_FIELD_MAX bytes; dns_names and other_names each keep
 *	at most X509INFO_SAN_MAX entries (counted apart: all entries are walked).
 *
 *	Every string that comes from the certificate is stored already escaped for display with
 *	escape_text() (escape.h): control bytes, DEL, C1 controls, NUL and invalid UTF-8 become
 *	\xHH, printable ASCII and valid UTF-8 stay. The cap applies to the raw bytes, before
 *	escaping. A dNSName "a\0.b" is stored as the text "a\x00.b", nothing after the NUL is
 *	lost. Subject and issuer are RFC 2253 text (DN special characters escaped by OpenSSL)
 *	with control bytes left for escape_text(), so a CN reads the same in subject_cn and in
 *	subject. Matching and judgement on these names (namefacts.c, certpolicy.c) work on the
 *	certificate itself, which has the real bytes; their messages use x509info_name_text()
 *	and x509info_entry_text() (through certtext.c) so that they quote names in the same form.
 *
 *	No judgement is made here.
 * DIAGNOSTICS
 *	x509info_fill() returns 0 or MAILTLS_ENOMEM; on error *out is partially filled and
 *	mailtls_certinfo_clear() frees it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <mailtls/mailtls.h>
#include "escape.h"
#include "x509info.h"

/* esc_capped - escape_text() of the first X509INFO_FIELD_MAX bytes of s (the cap is on the
 * raw bytes). Owned string, or NULL on memory exhaustion. */
static char *esc_capped(const char *s, size_t len)
{
	if (s == NULL) {
		s = "";
		len = 0;
	}
	return escape_text(s, len < X509INFO_FIELD_MAX ? len : X509INFO_FIELD_MAX);
}

/* Flags for the one-line name: RFC 2253 (DN specials escaped) without ESC_MSB (UTF-8 kept)
 * and without ESC_CTRL, so control bytes reach escape_text() and read "\x1b", as in a CN. */
#define X509INFO_XN_FLAGS (XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB & ~ASN1_STRFLGS_ESC_CTRL)

char *x509info_name_text(const X509_NAME *name)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	char *res;
	long len;

	if (bio == NULL)
		return NULL;
	if (X509_NAME_print_ex(bio, name, 0, X509INFO_XN_FLAGS) < 0) {
		BIO_free(bio);
		return strdup("");
	}
	len = BIO_get_mem_data(bio, &data);
	res = esc_capped(data, len > 0 ? (size_t)len : 0);
	BIO_free(bio);
	return res;
}

char *x509info_entry_text(const X509_NAME *name, int nid)
{
	int idx = X509_NAME_get_index_by_NID(name, nid, -1);
	const ASN1_STRING *s;
	unsigned char *utf8 = NULL;
	char *res;
	int len;

	if (idx < 0)
		return NULL;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
	if (s == NULL)
		return NULL;
	len = ASN1_STRING_to_UTF8(&utf8, s);
	if (len < 0)	/* undecodable string: keep the raw bytes, they are facts */
		return esc_capped((const char *)ASN1_STRING_get0_data(s),
				  (size_t)ASN1_STRING_length(s));
	res = esc_capped((const char *)utf8, (size_t)len);
	OPENSSL_free(utf8);
	return res;
}

/* name_entry - x509info_entry_text() into *out (NULL when absent); 0 or MAILTLS_ENOMEM. */
static int name_entry(const X509_NAME *name, int nid, char **out)
{
	*out = NULL;
	if (X509_NAME_get_index_by_NID(name, nid, -1) < 0)
		return 0;
	*out = x509info_entry_text(name, nid);
	return *out == NULL ? MAILTLS_ENOMEM : 0;
}

/* add_owned - append an owned string to a list (taking it); 0 or MAILTLS_ENOMEM. */
static int add_owned(struct mailtls_strlist *l, char *s)
{
	int r;

	if (s == NULL)
		return MAILTLS_ENOMEM;
	r = mailtls_strlist_add(l, s, X509INFO_FIELD_MAX * 4 + 16);
	free(s);
	return r;
}

/* prefixed - prefix followed by text (owned, taken); owned string, NULL on memory exhaustion. */
static char *prefixed(const char *prefix, char *text)
{
	char *res = NULL;

	if (text != NULL && (res = malloc(strlen(prefix) + strlen(text) + 1)) != NULL) {
		strcpy(res, prefix);
		strcat(res, text);
	}
	free(text);
	return res;
}

/* ip_text - textual form of an iPAddress SAN (4 or 16 bytes), or hex for anything else. */
static void ip_text(const ASN1_OCTET_STRING *ip, char *buf, size_t len)
{
	const unsigned char *p = ASN1_STRING_get0_data(ip);
	int n = ASN1_STRING_length(ip);
	size_t o = 0;

	buf[0] = '\0';
	if (n == 4) {
		snprintf(buf, len, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
		return;
	}
	for (int i = 0; i < n && o + 6 < len; i++) {
		if (n == 16 && i > 0 && i % 2 == 0)
			buf[o++] = ':';
		o += (size_t)snprintf(buf + o, len - o, "%02x", p[i]);
	}
}

/* sans - fill dns_names and other_names from the subjectAltName extension; san_malformed
 * when the extension is present but does not decode, or appears more than once (then
 * X509_get_ext_d2i() gives NULL with crit -2; -1 means absent). */
static int sans(X509 *cert, struct mailtls_certinfo *out)
{
	int crit = -1;
	GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, NULL);
	int r = 0;
	int n;

	if (gens == NULL) {
		out->san_malformed = crit != -1;
		return 0;
	}
	n = sk_GENERAL_NAME_num(gens);
	/* Every entry is walked; each list has its own cap, so that many entries of one type
	 * never hide the other. */
	for (int i = 0; i < n && r == 0; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		char buf[X509INFO_FIELD_MAX + 16];
		const ASN1_STRING *s;

		if ((g->type == GEN_DNS ? out->dns_names.n : out->other_names.n) >= X509INFO_SAN_MAX)
			continue;
		switch (g->type) {
		case GEN_DNS:
			s = g->d.dNSName;
			r = add_owned(&out->dns_names,
				      esc_capped((const char *)ASN1_STRING_get0_data(s),
						 (size_t)ASN1_STRING_length(s)));
			break;
		case GEN_IPADD:
			ip_text(g->d.iPAddress, buf + 3, sizeof(buf) - 3);
			memcpy(buf, "IP:", 3);
			r = mailtls_strlist_add(&out->other_names, buf, sizeof(buf));
			break;
		case GEN_EMAIL:
		case GEN_URI:
			s = g->type == GEN_EMAIL ? g->d.rfc822Name : g->d.uniformResourceIdentifier;
			r = add_owned(&out->other_names,
				      prefixed(g->type == GEN_EMAIL ? "email:" : "URI:",
					       esc_capped((const char *)ASN1_STRING_get0_data(s),
							  (size_t)ASN1_STRING_length(s))));
			break;
		case GEN_DIRNAME:
			r = add_owned(&out->other_names,
				      prefixed("DirName:", x509info_name_text(g->d.directoryName)));
			break;
		case GEN_RID:
			r = mailtls_strlist_add(&out->other_names, "RID:", 8);
			break;
		default:
			r = mailtls_strlist_add(&out->other_names, "othername:", 16);
			break;
		}
	}
	GENERAL_NAMES_free(gens);
	return r;
}

time_t x509info_asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

/* hex_colons - upper-case hex with colons of len bytes. Owned string or NULL. */
static char *hex_colons(const unsigned char *p, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(len * 3 + 1);

	if (out == NULL)
		return NULL;
	out[0] = '\0';
	for (size_t i = 0; i < len; i++) {
		out[i * 3] = hex[p[i] >> 4];
		out[i * 3 + 1] = hex[p[i] & 15];
		out[i * 3 + 2] = i + 1 < len ? ':' : '\0';
	}
	return out;
}

/* SHA-256, fetched from the provider once for the process: an implicit fetch on every
 * digest costs more than hashing a certificate. Never freed (one object, reachable). */
static EVP_MD *sha256_md;
static once_flag sha256_once = ONCE_FLAG_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* sha256_colons - SHA-256 of DER bytes, as hex with colons; "" when der is NULL. */
static char *sha256_colons(const unsigned char *der, int len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	call_once(&sha256_once, sha256_fetch);
	if (der == NULL || len <= 0
	    || EVP_Digest(der, (size_t)len, md, &mdlen,
			  sha256_md != NULL ? sha256_md : EVP_sha256(), NULL) != 1)
		return strdup("");
	return hex_colons(md, mdlen);
}

/* fingerprints - SHA-256 of the DER certificate and of the DER SubjectPublicKeyInfo. */
static int fingerprints(X509 *cert, struct mailtls_certinfo *out)
{
	unsigned char *der = NULL;
	int len;

	len = i2d_X509(cert, &der);
	out->sha256 = sha256_colons(len > 0 ? der : NULL, len);
	OPENSSL_free(der);
	der = NULL;
	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
	out->spki_sha256 = sha256_colons(len > 0 ? der : NULL, len);
	OPENSSL_free(der);
	return out->sha256 == NULL || out->spki_sha256 == NULL ? MAILTLS_ENOMEM : 0;
}

/* key_facts - key type name and size. */
static int key_facts(X509 *cert, struct mailtls_certinfo *out)
{
	EVP_PKEY *pkey = X509_get0_pubkey(cert);
	const char *type = "unknown";

	if (pkey != NULL) {
		switch (EVP_PKEY_get_base_id(pkey)) {
		case EVP_PKEY_RSA: type = "RSA"; break;
		case EVP_PKEY_RSA_PSS: type = "RSA-PSS"; break;
		case EVP_PKEY_EC: type = "EC"; break;
		case EVP_PKEY_DSA: type = "DSA"; break;
		case EVP_PKEY_ED25519: type = "ED25519"; break;
		case EVP_PKEY_ED448: type = "ED448"; break;
		default: break;
		}
		out->key_bits = EVP_PKEY_get_bits(pkey);
	}
	out->key_type = esc_capped(type, strlen(type));
	return out->key_type == NULL ? MAILTLS_ENOMEM : 0;
}

/* serial_hex - the serial number in upper-case hex (no colons). */
static char *serial_hex(X509 *cert)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex;
	char *res;

	if (bn == NULL)
		return strdup("");
	hex = BN_bn2hex(bn);
	BN_free(bn);
	if (hex == NULL)
		return NULL;
	res = esc_capped(hex, strlen(hex));
	OPENSSL_free(hex);
	return res;
}

int x509info_fill(X509 *cert, time_t at, struct mailtls_certinfo *out)
{
	const X509_NAME *subj = X509_get_subject_name(cert);
	const X509_NAME *iss = X509_get_issuer_name(cert);
	int nid = X509_get_signature_nid(cert);
	const char *sig = nid != NID_undef ? OBJ_nid2ln(nid) : NULL;
	time_t diff;

	if ((out->subject = x509info_name_text(subj)) == NULL
	    || (out->issuer = x509info_name_text(iss)) == NULL
	    || name_entry(subj, NID_commonName, &out->subject_cn) != 0
	    || name_entry(iss, NID_commonName, &out->issuer_cn) != 0
	    || name_entry(subj, NID_organizationName, &out->organization) != 0
	    || (out->serial = serial_hex(cert)) == NULL
	    || sans(cert, out) != 0
	    || key_facts(cert, out) != 0
	    || (out->sig_alg = esc_capped(sig != NULL ? sig : "unknown",
					  strlen(sig != NULL ? sig : "unknown"))) == NULL
	    || fingerprints(cert, out) != 0)
		return MAILTLS_ENOMEM;
	out->not_before = x509info_asn1_time(X509_get0_notBefore(cert));
	out->not_after = x509info_asn1_time(X509_get0_notAfter(cert));
	/* Floor division: one second past notAfter is day -1. */
	diff = out->not_after - at;
	out->days_left = (long)(diff / 86400);
	if (diff % 86400 != 0 && diff < 0)
		out->days_left--;
	out->self_issued = X509_NAME_cmp(subj, iss) == 0;
	out->is_ca = X509_check_ca(cert) != 0;
	return 0;
}
