/*
 * cert.c - verify certificate files offline, as a strict client verifies a served chain.
 *
 * NAME
 *	mailtls_cert_check, cert_load_pem
 * SYNOPSIS
 *	#include <mailtls/cert.h>
 * DESCRIPTION
 *	Reads the leaf (and any chain certificates after it) from cert_file and more chain
 *	certificates from chain_file, PEM only (CERTIFICATE, X509 CERTIFICATE or TRUSTED
 *	CERTIFICATE blocks; other blocks such as keys are skipped), each file at most
 *	CERT_FILE_MAX bytes and CERT_COUNT_MAX certificates in all. The reference names are
 *	normalized with mailtls_name_normalize(); the chain is then handed to verify_chain()
 *	exactly as if a server had presented it. There is no session: have_session and would_encrypt stay false.
 * DIAGNOSTICS
 *	MAILTLS_EFILE (unreadable file), MAILTLS_ETOOBIG (file or certificate count over the
 *	limit), MAILTLS_ECERT (not PEM, no certificate), MAILTLS_EINVAL (bad name or
 *	parameters), MAILTLS_ETLS (trust store), MAILTLS_ENOMEM; why names the file or name
 *	(a name escaped with escape_text()).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <mailtls/mailtls.h>
#include "certload.h"
#include "escape.h"
#include "verify.h"

#define CERT_FILE_MAX (1024 * 1024)        /* largest PEM file read */
#define CERT_COUNT_MAX (VERIFY_CHAIN_MAX + 8) /* most certificates read from the files */
#define CERT_NAMES_MAX 256                 /* most reference names */
#define CERT_WARN_DAYS 21                  /* default expiry warning */

/* read_file - the whole file into a buffer (owned, NUL-terminated), at most CERT_FILE_MAX. */
static int read_file(const char *path, char **buf, size_t *len, char *why, size_t whylen)
{
	FILE *fp = fopen(path, "rb");
	char *b;
	size_t n;

	*buf = NULL;
	if (fp == NULL) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return MAILTLS_EFILE;
	}
	b = malloc(CERT_FILE_MAX + 2);
	if (b == NULL) {
		fclose(fp);
		snprintf(why, whylen, "%s: out of memory", path);
		return MAILTLS_ENOMEM;
	}
	n = fread(b, 1, CERT_FILE_MAX + 1, fp);
	if (ferror(fp)) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno ? errno : EIO));
		fclose(fp);
		free(b);
		return MAILTLS_EFILE;
	}
	fclose(fp);
	if (n > CERT_FILE_MAX) {
		snprintf(why, whylen, "%s: larger than %d bytes, not a certificate file", path,
			 CERT_FILE_MAX);
		free(b);
		return MAILTLS_ETOOBIG;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/* is_cert_label - a PEM label that holds a certificate, as OpenSSL's PEM_read_bio_X509_AUX
 * accepts them (RFC 7468 5; "X509 CERTIFICATE" is the old form). */
static bool is_cert_label(const char *label)
{
	return strcmp(label, PEM_STRING_X509) == 0 || strcmp(label, PEM_STRING_X509_OLD) == 0
	       || strcmp(label, PEM_STRING_X509_TRUSTED) == 0;
}

/* next_label - the label of the first "-----BEGIN LABEL-----" line at or after off (a line
 * start, as OpenSSL reads it) into label (bounded, "" when too long); *after is the offset
 * of the line that follows it. Returns false when there is none. */
static bool next_label(const char *buf, size_t len, size_t off, char *label, size_t lablen,
		       size_t *after)
{
	while (off < len) {
		const char *b = memmem(buf + off, len - off, "-----BEGIN ", 11);
		const char *eol, *l, *e;
		size_t start;

		if (b == NULL)
			return false;
		start = (size_t)(b - buf);
		eol = memchr(b, '\n', len - start);
		*after = eol != NULL ? (size_t)(eol - buf) + 1 : len;
		off = start + 11;
		if (start > 0 && buf[start - 1] != '\n')
			continue;
		l = b + 11;
		e = memmem(l, (size_t)(buf + *after - l), "-----", 5);
		label[0] = '\0';
		if (e != NULL && (size_t)(e - l) < lablen) {
			memcpy(label, l, (size_t)(e - l));
			label[e - l] = '\0';
		}
		return true;
	}
	return false;
}

/* cert_load_pem - append every certificate in a PEM file to certs. Blocks are read one at a
 * time (PEM_read_bio_ex) from a memory BIO over the rest of the file, so a broken block
 * is known by its label: a broken certificate is an error; other blocks (keys, parameters)
 * are not certificates and are skipped, broken or not. CERTIFICATE and X509 CERTIFICATE are
 * decoded as d2i_X509, TRUSTED CERTIFICATE with its trust settings (d2i_X509_AUX; they
 * confer no trust on a presented certificate). */
int cert_load_pem(const char *path, STACK_OF(X509) *certs, char *why, size_t whylen)
{
	char *buf;
	size_t len, off = 0;
	int found = 0;
	int r = read_file(path, &buf, &len, why, whylen);

	if (r != 0)
		return r;
	if (memmem(buf, len, "-----BEGIN ", 11) == NULL) {
		snprintf(why, whylen, "%s: not a PEM file", path);
		free(buf);
		return MAILTLS_ECERT;
	}
	while (r == 0 && off < len) {
		BIO *bio = BIO_new_mem_buf(buf + off, (int)(len - off));
		char *name = NULL, *header = NULL;
		unsigned char *data = NULL;
		const unsigned char *q;
		long dlen = 0;
		X509 *x = NULL;
		char label[64];
		size_t after;
		unsigned long e;

		if (bio == NULL) {
			snprintf(why, whylen, "%s: out of memory", path);
			r = MAILTLS_ENOMEM;
			break;
		}
		ERR_clear_error();
		if (PEM_read_bio_ex(bio, &name, &header, &data, &dlen, PEM_FLAG_EAY_COMPATIBLE) != 1) {
			e = ERR_peek_last_error();
			BIO_free(bio);
			/* End of data is "no start line"; anything else is a broken block. */
			if (e == 0 || (ERR_GET_LIB(e) == ERR_LIB_PEM
				       && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
			    || !next_label(buf, len, off, label, sizeof(label), &after))
				break;
			if (is_cert_label(label)) {
				snprintf(why, whylen, "%s: certificate %d cannot be parsed: %s",
					 path, found + 1, ERR_reason_error_string(e) != NULL ?
					 ERR_reason_error_string(e) : "bad encoding");
				r = MAILTLS_ECERT;
				break;
			}
			off = after;	/* not a certificate: look for the next block */
			continue;
		}
		off = len - (size_t)BIO_pending(bio);
		BIO_free(bio);
		if (is_cert_label(name)) {
			q = data;
			x = strcmp(name, PEM_STRING_X509_TRUSTED) == 0 ?
			    d2i_X509_AUX(NULL, &q, dlen) : d2i_X509(NULL, &q, dlen);
			if (x == NULL) {
				e = ERR_peek_last_error();
				snprintf(why, whylen, "%s: certificate %d cannot be parsed: %s",
					 path, found + 1, e != 0 && ERR_reason_error_string(e) != NULL ?
					 ERR_reason_error_string(e) : "bad encoding");
				r = MAILTLS_ECERT;
			} else if (sk_X509_num(certs) >= CERT_COUNT_MAX) {
				snprintf(why, whylen, "%s: more than %d certificates", path,
					 CERT_COUNT_MAX);
				r = MAILTLS_ETOOBIG;
			} else if (!sk_X509_push(certs, x)) {
				snprintf(why, whylen, "%s: out of memory", path);
				r = MAILTLS_ENOMEM;
			} else {
				x = NULL;
				found++;
			}
		}
		X509_free(x);
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
	}
	ERR_clear_error();
	free(buf);
	if (r == 0 && found == 0) {
		snprintf(why, whylen, "%s: no certificate found", path);
		r = MAILTLS_ECERT;
	}
	return r;
}

static int cert_check(const struct mailtls_cert_params *params, struct mailtls_result **out,
		      char *why, size_t whylen);

/* mailtls_cert_check - the work is in cert_check(); file names reach its messages raw, so
 * the message is made display-safe here, once, for every way out. */
int mailtls_cert_check(const struct mailtls_cert_params *params, struct mailtls_result **out,
		       char *why, size_t whylen)
{
	int r = cert_check(params, out, why, whylen);

	if (r != 0)
		mailtls_escape_inplace(why, whylen);
	return r;
}

static int cert_check(const struct mailtls_cert_params *params, struct mailtls_result **out,
		      char *why, size_t whylen)
{
	STACK_OF(X509) *certs = NULL;
	X509_STORE *store = NULL;
	struct mailtls_result *res = NULL;
	char (*norm)[MAILTLS_NAME_MAX + 1] = NULL;
	const char **names = NULL;
	struct verify_params vp;
	int r;

	*out = NULL;
	if (params == NULL || params->cert_file == NULL || params->n_names == 0
	    || params->names == NULL) {
		snprintf(why, whylen, "no certificate file or no reference name given");
		return MAILTLS_EINVAL;
	}
	if (params->n_names > CERT_NAMES_MAX) {
		snprintf(why, whylen, "more than %d names", CERT_NAMES_MAX);
		return MAILTLS_ETOOBIG;
	}
	norm = calloc(params->n_names, sizeof(*norm));
	names = calloc(params->n_names, sizeof(*names));
	certs = sk_X509_new_null();
	r = MAILTLS_ENOMEM;
	if (norm == NULL || names == NULL || certs == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < params->n_names; i++) {
		if (params->names[i] == NULL
		    || mailtls_name_normalize(params->names[i], norm[i], sizeof(norm[i])) != 0) {
			/* The name is the caller's (a command line): escaped, so no control
			 * byte reaches a terminal through why. */
			const char *n = params->names[i] != NULL ? params->names[i] : "(null)";
			size_t nl = strnlen(n, MAILTLS_NAME_MAX + 1);
			char *esc = escape_text(n, nl > MAILTLS_NAME_MAX ? MAILTLS_NAME_MAX : nl);

			snprintf(why, whylen, "'%s%s' is not a valid DNS name",
				 esc != NULL ? esc : "?", nl > MAILTLS_NAME_MAX ? "..." : "");
			free(esc);
			r = MAILTLS_EINVAL;
			goto out;
		}
		names[i] = norm[i];
	}
	if ((r = cert_load_pem(params->cert_file, certs, why, whylen)) != 0)
		goto out;
	if (params->chain_file != NULL
	    && (r = cert_load_pem(params->chain_file, certs, why, whylen)) != 0)
		goto out;
	if ((store = verify_store_new(params->ca_file, params->ca_path, why, whylen)) == NULL) {
		r = MAILTLS_ETLS;
		goto out;
	}
	if ((res = mailtls_result_new()) == NULL) {
		snprintf(why, whylen, "out of memory");
		r = MAILTLS_ENOMEM;
		goto out;
	}
	memset(&vp, 0, sizeof(vp));
	vp.store = store;
	vp.names = names;
	vp.n_names = params->n_names;
	vp.at = params->have_at ? params->at : time(NULL);
	vp.warn_days = params->warn_days < 0 ? CERT_WARN_DAYS : params->warn_days;
	res->have_session = false;
	res->would_encrypt = false;
	if ((r = verify_chain(certs, &vp, res)) != 0) {
		snprintf(why, whylen, "%s", mailtls_strerror(r));
		goto out;
	}
	*out = res;
	res = NULL;
	r = 0;
out:
	mailtls_result_free(res);
	X509_STORE_free(store);
	sk_X509_pop_free(certs, X509_free);
	free(names);
	free(norm);
	return r;
}
