/*
 * truststore.c - trust anchors for verification.
 *
 * NAME
 *	truststore_new
 * SYNOPSIS
 *	#include "truststore.h"
 * DESCRIPTION
 *	truststore_new() loads trust anchors. Every certificate loaded from ca_file/ca_path is
 *	an anchor, also when it is not self-signed (X509_V_FLAG_PARTIAL_CHAIN, carried in the
 *	store: pinning an intermediate works). The system store gets no partial chains: its
 *	anchors are roots, and senders that use it do not accept a chain ending elsewhere.
 *	The system store is read through its hashed directory when there is one, so that
 *	anchors are looked up per issuer as needed instead of all decoded at load time.
 * DIAGNOSTICS
 *	NULL with a one-line reason in why: a CA file that is a directory, too large, unreadable
 *	or holds no certificate; a CA path that is no directory; no system store; no memory.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include "truststore.h"

#define TRUSTSTORE_CAFILE_MAX (64L * 1024 * 1024) /* largest trust anchor file loaded */

/* hashed_dir - true when dir holds OpenSSL subject-hash links ("1a2b3c4d.0"). */
static bool hashed_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool found = false;
	int seen = 0;

	if (d == NULL)
		return false;
	/* Bounded: a hashed store shows a link among its first entries. */
	while (!found && seen++ < 4096 && (de = readdir(d)) != NULL) {
		const char *n = de->d_name;

		found = strlen(n) == 10 && n[8] == '.' && n[9] == '0' &&
			strspn(n, "0123456789abcdef") == 8;
	}
	closedir(d);
	return found;
}

/* same_file - a and b name the same file (after symlinks). */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* load_system_store - the system's trust anchors, as OpenSSL's defaults name them
 * (SSL_CERT_FILE / SSL_CERT_DIR, else the built-in paths). When the directory is hashed,
 * anchors are looked up per issuer as needed, and the bundle file is skipped if it is the
 * system's own bundle (Debian keeps both from the same list): OpenSSL 3.0 decodes every
 * certificate of a bundle at load time, about 30 ms per check. */
static int load_system_store(X509_STORE *store)
{
	const char *file = getenv(X509_get_default_cert_file_env());
	const char *dir = getenv(X509_get_default_cert_dir_env());

	if (file == NULL || file[0] == '\0')
		file = X509_get_default_cert_file();
	if (dir == NULL || dir[0] == '\0')
		dir = X509_get_default_cert_dir();
	if (!hashed_dir(dir))
		return X509_STORE_set_default_paths(store);
	if (X509_STORE_load_path(store, dir) != 1)
		return 0;
	if (access(file, R_OK) == 0 && !same_file(file, X509_get_default_cert_file()))
		return X509_STORE_load_file(store, file);
	return 1;
}

X509_STORE *truststore_new(const char *ca_file, const char *ca_path, char *why, size_t whylen)
{
	X509_STORE *store = X509_STORE_new();
	struct stat sb;

	if (store == NULL) {
		snprintf(why, whylen, "out of memory creating the trust store");
		return NULL;
	}
	if (ca_file != NULL && stat(ca_file, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		snprintf(why, whylen, "ca_file %s: is a directory (a hashed directory of anchors is a ca_path)", ca_file);
		goto fail;
	}
	if (ca_file != NULL && stat(ca_file, &sb) == 0 && sb.st_size > TRUSTSTORE_CAFILE_MAX) {
		snprintf(why, whylen, "%s: larger than %ld bytes, not a CA file", ca_file,
			 TRUSTSTORE_CAFILE_MAX);
		goto fail;
	}
	if (ca_file != NULL && X509_STORE_load_file(store, ca_file) != 1) {
		unsigned long e = ERR_peek_last_error();

		snprintf(why, whylen, "%s: cannot load trust anchors: %s", ca_file,
			 access(ca_file, R_OK) != 0 ? strerror(errno) :
			 e != 0 && ERR_reason_error_string(e) != NULL ?
			 ERR_reason_error_string(e) : "no certificate found");
		goto fail;
	}
	if (ca_path != NULL) {
		if (stat(ca_path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			snprintf(why, whylen, "%s: cannot use as CA directory: %s", ca_path,
				 stat(ca_path, &sb) != 0 ? strerror(errno) : "not a directory");
			goto fail;
		}
		if (X509_STORE_load_path(store, ca_path) != 1) {
			snprintf(why, whylen, "%s: cannot use as CA directory", ca_path);
			goto fail;
		}
	}
	if (ca_file == NULL && ca_path == NULL && load_system_store(store) != 1) {
		snprintf(why, whylen, "cannot load the system trust store");
		goto fail;
	}
	/* An administrator's own anchors may be intermediates (pinning); the system store's are
	 * roots, and senders using it do not accept partial chains. X509_STORE_CTX_init()
	 * copies the store's flags into each verification. */
	if ((ca_file != NULL || ca_path != NULL)
	    && X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN) != 1) {
		snprintf(why, whylen, "out of memory creating the trust store");
		goto fail;
	}
	ERR_clear_error();
	return store;
fail:
	ERR_clear_error();
	X509_STORE_free(store);
	return NULL;
}
