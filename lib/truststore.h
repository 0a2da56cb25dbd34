/*
 * truststore.h - load the trust anchors a verification runs against: the system store, or
 * an administrator's --ca-file / --ca-path.
 *
 * Loading only: no verification here (chainfacts.c), no finding. Internal to libmailtls.
 */
#ifndef MAILTLS_TRUSTSTORE_H
#define MAILTLS_TRUSTSTORE_H

#include <stddef.h>
#include <openssl/x509.h>

/* truststore_new - load trust anchors: ca_file and/or ca_path, or the system default when
 * both are NULL. Certificates from ca_file/ca_path are anchors even when not self-signed
 * (the store carries X509_V_FLAG_PARTIAL_CHAIN); the system store's are not (no partial
 * chains). Returns a store the caller frees with X509_STORE_free(), or NULL with why filled
 * (ca_file a directory: "PATH: is a directory (use --ca-path)"). */
X509_STORE *truststore_new(const char *ca_file, const char *ca_path, char *why, size_t whylen);

#endif
