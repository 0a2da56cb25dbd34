/*
 * certtext.c - certificate text for finding messages.
 *
 * NAME
 *	certtext_escape, certtext_label, certtext_issuer, certtext_path
 * SYNOPSIS
 *	#include "certtext.h"
 * DESCRIPTION
 *	Names are quoted in the escaped form that x509info stores (x509info_name_text(),
 *	x509info_entry_text(), escape_text()), so that a message and the certificate facts of
 *	the result read the same, and no raw certificate byte reaches a message.
 *	This module formats; it decides nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/x509.h>
#include "certtext.h"
#include "escape.h"
#include "x509info.h"

/* put_text - copy escaped text into buf (len >= 4); when it does not fit, cut it where no
 * UTF-8 sequence or \xHH escape is split and end it with "...". Takes text (NULL: ENOMEM,
 * shown as "?"). */
static void put_text(char *text, char *buf, size_t len)
{
	size_t n = text != NULL ? strlen(text) : 0;
	size_t c;

	if (text == NULL) {
		snprintf(buf, len, "?");
		return;
	}
	if (n < len) {
		memcpy(buf, text, n + 1);
		free(text);
		return;
	}
	c = len - 4;
	while (c > 0 && ((unsigned char)text[c] & 0xc0) == 0x80)
		c--;
	for (size_t k = 1; k <= 3 && k <= c; k++)
		if (text[c - k] == '\\' && (k == 1 || text[c - k + 1] == 'x')) {
			c -= k;
			break;
		}
	memcpy(buf, text, c);
	memcpy(buf + c, "...", 4);
	free(text);
}

void certtext_escape(const char *p, size_t n, char *buf, size_t len)
{
	put_text(escape_text(p, n < X509INFO_FIELD_MAX ? n : X509INFO_FIELD_MAX), buf, len);
}

void certtext_label(const X509 *cert, char *buf, size_t len)
{
	const X509_NAME *name;
	char *text;

	if (cert == NULL) {
		snprintf(buf, len, "(unknown)");
		return;
	}
	name = X509_get_subject_name(cert);
	if (X509_NAME_get_index_by_NID(name, NID_commonName, -1) >= 0) {
		put_text(x509info_entry_text(name, NID_commonName), buf, len);
		return;
	}
	text = x509info_name_text(name);
	if (text != NULL && text[0] == '\0') {
		free(text);
		text = strdup("(no subject)");
	}
	put_text(text, buf, len);
}

void certtext_issuer(const X509 *cert, char *buf, size_t len)
{
	put_text(x509info_name_text(X509_get_issuer_name(cert)), buf, len);
}

void certtext_path(STACK_OF(X509) *chain, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; chain != NULL && i < sk_X509_num(chain) && o + 8 < len; i++) {
		char label[256];

		certtext_label(sk_X509_value(chain, i), label, sizeof(label));
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i > 0 ? " <- " : "", label);
	}
	if (o >= len)
		buf[len - 1] = '\0';
}
