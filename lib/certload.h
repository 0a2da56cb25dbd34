/*
 * certload.h - read certificates from a PEM file, bounded, for the offline commands
 * (cert.c: `mailtls cert`; dane.c: `mailtls tlsa`). Internal to libmailtls.
 */
#ifndef MAILTLS_CERTLOAD_H
#define MAILTLS_CERTLOAD_H

#include <stddef.h>
#include <openssl/x509.h>

/* cert_load_pem - append every certificate of the PEM file at path to certs (other blocks,
 * such as keys, are skipped), at most 1 MiB of file and 24 certificates in certs.
 * 0, MAILTLS_EFILE (unreadable), MAILTLS_ETOOBIG, MAILTLS_ECERT (not PEM, no
 * certificate, a broken certificate) or MAILTLS_ENOMEM, with why naming the file (raw:
 * the caller makes it display-safe). Implemented in cert.c. */
int cert_load_pem(const char *path, STACK_OF(X509) *certs, char *why, size_t whylen);

#endif
