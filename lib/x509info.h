/*
 * x509info.h - extract the facts of one X.509 certificate into a struct mailtls_certinfo:
 * subject, CN, SANs, issuer, organisation, serial, validity, key, signature, fingerprints.
 * Every string from the certificate is stored escaped with escape_text() (escape.h).
 * No judgement here (that is certpolicy.c). Internal to libmailtls.
 */
#ifndef MAILTLS_X509INFO_H
#define MAILTLS_X509INFO_H

#include <time.h>
#include <openssl/x509.h>
#include <mailtls/result.h>

#define X509INFO_FIELD_MAX 1024   /* longest string kept from one certificate field */
#define X509INFO_SAN_MAX 1000     /* most entries kept in each SAN list of a certificate */

/* x509info_fill - fill *out (zeroed by the caller) from cert; days_left is computed at `at`.
 * On error the partially filled *out is still freed correctly by mailtls_certinfo_clear().
 * Returns 0 or MAILTLS_ENOMEM. */
int x509info_fill(X509 *cert, time_t at, struct mailtls_certinfo *out);

/* x509info_name_text - an X509_NAME as RFC 2253 text, escaped with escape_text(), capped at
 * X509INFO_FIELD_MAX raw bytes: the form stored in subject and issuer. Returns an owned
 * string (free()), "" when OpenSSL cannot print the name, NULL on memory exhaustion. */
char *x509info_name_text(const X509_NAME *name);

/* x509info_entry_text - the first entry of type nid (NID_commonName...) as UTF-8, escaped
 * with escape_text() (raw bytes when not decodable), capped like x509info_name_text(): the
 * form stored in subject_cn. Returns an owned string (free()), or NULL when absent or on
 * memory exhaustion. */
char *x509info_entry_text(const X509_NAME *name, int nid);

/* x509info_asn1_time - an ASN1_TIME as time_t (UTC); 0 when unparsable. */
time_t x509info_asn1_time(const ASN1_TIME *t);


#endif
