/*
 * mailtls/dane.h - DANE TLSA records (RFC 6698, RFC 7671, RFC 7672 for SMTP): the record
 * a caller hands to a check (struct mailtls_tlsa), the association data of a certificate,
 * and the records to publish for a certificate file (`mailtls tlsa`).
 *
 * What OpenSSL's DANE verification found in a check is in the result
 * (struct mailtls_dane_facts, result.h). Facts only: what a sender does with them is the
 * caller's policy.
 */
#ifndef MAILTLS_DANE_H
#define MAILTLS_DANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MAILTLS_TLSA_MAX 32           /* most records one check takes */
#define MAILTLS_TLSA_DATA_MAX 4096    /* most bytes of association data in one record */

/* Certificate usages, selectors and matching types (RFC 6698 2.1, RFC 7218 names). */
enum { MAILTLS_TLSA_PKIX_TA = 0, MAILTLS_TLSA_PKIX_EE = 1, MAILTLS_TLSA_DANE_TA = 2,
       MAILTLS_TLSA_DANE_EE = 3 };
enum { MAILTLS_TLSA_CERT = 0, MAILTLS_TLSA_SPKI = 1 };
enum { MAILTLS_TLSA_FULL = 0, MAILTLS_TLSA_SHA256 = 1, MAILTLS_TLSA_SHA512 = 2 };

/* One TLSA record as the DNS gave it. A check copies it at submission (usage <= 3,
 * selector <= 1, mtype <= 2, len <= MAILTLS_TLSA_DATA_MAX; data may be NULL only when len
 * is 0). A record OpenSSL then refuses (a digest of the wrong length, a full certificate
 * that does not parse) is not an error: the result says it was refused and why. */
struct mailtls_tlsa {
	uint8_t usage;
	uint8_t selector;
	uint8_t mtype;
	const unsigned char *data;    /* borrowed */
	size_t len;
};

/* mailtls_tlsa_data - the association data of the DER certificate der[0..len) for selector
 * (0: the whole certificate, 1: its SubjectPublicKeyInfo) and mtype (0: the selected bytes
 * themselves, 1: their SHA-256, 2: their SHA-512), into a buffer the caller frees with
 * free(); its length in *outlen. 0, MAILTLS_EINVAL (selector or mtype out of range, not a
 * DER certificate) or MAILTLS_ENOMEM. */
int mailtls_tlsa_data(const unsigned char *der, size_t len, uint8_t selector, uint8_t mtype,
		      unsigned char **out, size_t *outlen);

/* One record to publish, for one certificate of a file. */
struct mailtls_tlsa_publish {
	uint8_t usage;                /* 3 (DANE-EE) for the leaf, 2 (DANE-TA) for an issuer */
	uint8_t selector;             /* 1: the SubjectPublicKeyInfo */
	uint8_t mtype;                /* 1: SHA-256 */
	char *hex;                    /* association data, lower-case hex; owned */
	size_t cert_index;            /* 0 the leaf, then the issuers in file order */
	char *subject;                /* that certificate's subject, RFC 2253 one line,
	                               * display-safe (escaped); owned */
	time_t not_after;
};

struct mailtls_tlsa_set {
	struct mailtls_tlsa_publish *v;
	size_t n;
	char *leaf_dns_name;          /* the leaf's first subjectAltName DNS-ID as it stands in
	                               * the certificate (display-safe), or NULL; a caller
	                               * validates it before using it as a name */
};

/* mailtls_tlsa_for_cert - the records to publish for the certificate in cert_file (PEM;
 * the first certificate is the leaf, any more are issuers) and the issuers in chain_file
 * (PEM, or NULL): `3 1 1` for the leaf's key and `2 1 1` for each issuer's key (RFC 7671
 * 5.1, 5.2; RFC 7672 3.1). On 0, *out is filled and the caller releases it with
 * mailtls_tlsa_set_clear(). On a negative MAILTLS_E* code (unreadable file, no
 * certificate: why names the file) nothing is allocated. */
int mailtls_tlsa_for_cert(const char *cert_file, const char *chain_file,
			  struct mailtls_tlsa_set *out, char *why, size_t whylen);

/* mailtls_tlsa_set_clear - free what *set owns and zero it; a zeroed set is a no-op. */
void mailtls_tlsa_set_clear(struct mailtls_tlsa_set *set);

/* Offline DANE: would these records authenticate a chain that is not served yet
 * (`mailtls names --cert`, `mailtls tlsa --domain`)? */
struct mailtls_dane_files {
	const char *cert_file;        /* PEM: the leaf first; any more are issuers */
	const char *chain_file;       /* PEM: more issuers, or NULL */
	const char *base;             /* the TLSA base domain (a DNS name) */
	const char *const *names;     /* further reference names for DANE-TA (RFC 7672
	                               * 3.2.3: the MX host name, its CNAME expansion); at
	                               * most MAILTLS_DANE_NAMES_MAX */
	size_t n_names;
	const struct mailtls_tlsa *tlsa; /* the records (at least one; limits as for a check:
	                                  * at most MAILTLS_TLSA_MAX) */
	size_t n_tlsa;
	time_t at;                    /* validation time */
};
#define MAILTLS_DANE_NAMES_MAX 8

struct mailtls_dane_facts;

/* mailtls_dane_check_files - run OpenSSL's DANE verification on the chain in the files
 * exactly as a check runs it on a served chain (DANE-EE without names or dates, DANE-TA
 * with the base and names, no partial wildcards), with no connection. *out must be zeroed;
 * on 0 it holds the facts (result.h: verify_code, depth, the record that matched, and per
 * record the certificate of the files it matches); the caller releases it with
 * mailtls_dane_facts_clear(), also after an error. A negative MAILTLS_E* code (unreadable
 * file, no certificate, a base or name that is no DNS name, no record, a record out of
 * range) comes with why, display-safe. */
int mailtls_dane_check_files(const struct mailtls_dane_files *p, struct mailtls_dane_facts *out,
			     char *why, size_t whylen);

/* mailtls_dane_facts_authenticated - the facts say DANE authenticated the chain: verified
 * (verify_code 0) with a record matching at some depth. */
bool mailtls_dane_facts_authenticated(const struct mailtls_dane_facts *f);

#ifdef __cplusplus
}
#endif
#endif
