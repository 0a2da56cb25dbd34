/*
 * certtext.h - certificate text for finding messages: a certificate's label, its issuer's
 * name, the path of a verified chain, raw name bytes. Every piece is escaped the way
 * x509info stores names (escape_text(), escape.h) and written, bounded, into a buffer the
 * caller owns: no raw certificate byte reaches a message.
 *
 * Text only: no verification, no judgement, no finding (that is certpolicy.c).
 * Internal to libmailtls.
 */
#ifndef MAILTLS_CERTTEXT_H
#define MAILTLS_CERTTEXT_H

#include <stddef.h>
#include <openssl/x509.h>

/* Each function writes a NUL-terminated text of at most len - 1 bytes into buf (len >= 4);
 * text that does not fit is cut where no UTF-8 sequence or \xHH escape is split and ends
 * with "...". Out of memory shows as "?". */

/* certtext_escape - n raw bytes (may hold NUL) as escape_text() shows them, at most
 * X509INFO_FIELD_MAX of them. */
void certtext_escape(const char *p, size_t n, char *buf, size_t len);

/* certtext_label - a short name of a certificate: its first CN, else its subject DN, else
 * "(no subject)"; "(unknown)" for NULL. */
void certtext_label(const X509 *cert, char *buf, size_t len);

/* certtext_issuer - the RFC 2253 form of cert's issuer name ("CN=Test CA,O=Example"). */
void certtext_issuer(const X509 *cert, char *buf, size_t len);

/* certtext_path - "leaf <- intermediate <- anchor": the labels of chain, leaf first; ""
 * for NULL. A path longer than buf is cut at its end, labels are not shortened again. */
void certtext_path(STACK_OF(X509) *chain, char *buf, size_t len);

#endif
