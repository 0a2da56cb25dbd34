/*
 * verify.c - presented certificate chain to certificate facts and findings.
 *
 * NAME
 *	verify_store_new, verify_chain
 * SYNOPSIS
 *	#include "verify.h"
 * DESCRIPTION
 *	verify_store_new() loads trust anchors. Every certificate loaded from ca_file/ca_path is
 *	an anchor, also when it is not self-signed (X509_V_FLAG_PARTIAL_CHAIN, carried in the
 *	store: pinning an intermediate works). The system store gets no partial chains: its
 *	anchors are roots, and senders that use it do not accept a chain ending elsewhere.
 *
 *	verify_chain() first gathers facts, then applies policy (Postfix tls_verify.c style):
 *
 *	1. Chain: OpenSSL builds and verifies the path with the verification time always set
 *	   (results are deterministic), purpose and trust sslserver (RFC 5280 4.2.1.12; an
 *	   anchor whose trust settings reject serverAuth is refused), and
 *	   authentication security level 2 (Debian's default: RSA >= 2048, no SHA-1), without
 *	   X509_V_FLAG_X509_STRICT: the verdict is what real verifying senders (Postfix, Exim,
 *	   `openssl verify`) decide. The verify callback records every (depth, error) and
 *	   always continues, so one run reports all problems. The records are then mapped to
 *	   cert.* findings, one per (finding, certificate).
 *	   Only the first VERIFY_CHAIN_MAX presented certificates are verified; chain_cut()
 *	   says what a longer chain means (cert.chain-extra or cert.chain-too-long).
 *	   A second run adds X509_V_FLAG_X509_STRICT (RFC 5280 profile checks, as x509-limbo's
 *	   OpenSSL harness runs); the errors only it records (missing key identifiers,
 *	   non-critical basicConstraints on a CA, v1 CAs...) become one cert.profile-violation
 *	   (a warning: lenient clients accept the chain, strict ones refuse it).
 *	2. Identity: RFC 9525 6 by our matcher (names.h) on the leaf's subjectAltName dNSName
 *	   entries with their real bytes and lengths. The subject CN is never an identity; when
 *	   there is no DNS-ID at all we say what legacy CN-fallback clients would do
 *	   (cert.cn-only, trying every CN as OpenSSL's X509_check_host() does) and still report
 *	   each reference name as not covered. A subjectAltName extension that is present but
 *	   does not decode, or appears twice, is cert.malformed-san instead, and no CN
 *	   fallback is considered; the chain errors OpenSSL derives from it are left to that
 *	   finding (explained_by_san()).
 *	   Every DNS-ID is matched (linear; the size of the
 *	   leaf bounds them); only messages are bounded: a mismatch lists at most
 *	   VERIFY_LISTED_MAX DNS-IDs and says when not all are listed, and the nearest near miss
 *	   of an unmatched name is searched among the first VERIFY_NEAREST_MAX DNS-IDs only.
 *	3. Validity: expiry within warn_days, explicit weak-key check on the leaf.
 *
 *	Names from certificates are quoted in messages in the escaped form that x509info stores
 *	(escape_text(), escape.h): no raw certificate byte reaches a message.
 *
 *	res->would_authenticate is true only when the lenient chain run verified without any
 *	recorded error, every reference identity matched and no critical cert.* finding was
 *	added.
 * DIAGNOSTICS
 *	verify_chain() returns 0 (problems are findings), MAILTLS_EINVAL for an empty chain,
 *	MAILTLS_ENOMEM.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <mailtls/mailtls.h>
#include "escape.h"
#include "verify.h"
#include "x509info.h"

#define VERIFY_ERRS_MAX 64        /* most (depth, error) records kept from one run */
#define VERIFY_AUTH_LEVEL 2       /* Debian's default security level (openssl.cnf) */
#define VERIFY_LIST_MAX 1200      /* longest list of presented names in one message */
#define VERIFY_LISTED_MAX X509INFO_SAN_MAX /* most DNS-IDs listed in one message */
#define VERIFY_NEAREST_MAX 64     /* DNS-IDs searched for the nearest near miss */
#define VERIFY_BADNAMES_MAX 16    /* findings on DNS-IDs that never match, per id */
#define VERIFY_PROFILE_MAX 1000   /* longest list of strict-profile problems in a message */
#define VERIFY_CAFILE_MAX (64L * 1024 * 1024) /* largest trust anchor file loaded */

/* One error reported by OpenSSL during path validation. */
struct verify_err {
	int depth;
	int code;
	X509 *cert;                   /* referenced (X509_up_ref), may be NULL */
};

struct verify_state {
	struct verify_err errs[VERIFY_ERRS_MAX];
	size_t n;
	time_t at;
};

/* One presented DNS-ID with its real bytes. */
struct dnsid {
	const char *p;
	size_t len;
};

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

/* esc_into - n raw bytes as escape_text() shows them, into buf (bounded, see put_text). */
static void esc_into(const char *p, size_t n, char *buf, size_t len)
{
	put_text(escape_text(p, n < X509INFO_FIELD_MAX ? n : X509INFO_FIELD_MAX), buf, len);
}

/* cert_label - a short name of a certificate for messages: its CN, else its subject DN,
 * in the escaped form x509info stores. */
static void cert_label(X509 *cert, char *buf, size_t len)
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

/* issuer_dn - RFC 2253 form of the issuer name of cert, for "missing issuer" messages. */
static void issuer_dn(X509 *cert, char *buf, size_t len)
{
	put_text(x509info_name_text(X509_get_issuer_name(cert)), buf, len);
}

/* san_get - the leaf's subjectAltName entries; NULL when there are none. *malformed is set
 * when the extension is present but cannot be used: bad DER inside it, or more than one
 * subjectAltName extension (X509_get_ext_d2i() gives NULL with crit -2). */
static GENERAL_NAMES *san_get(X509 *leaf, bool *malformed, bool *duplicate)
{
	int crit = -1;
	GENERAL_NAMES *gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, &crit, NULL);

	*malformed = gens == NULL && crit != -1;
	*duplicate = gens == NULL && crit == -2;
	return gens;
}

/* verify_cb - record the error and continue, so that every problem is reported.
 * RFC 5280 4.1.2.5: the validity period includes notAfter; OpenSSL treats the exact
 * notAfter second as expired, so that one case is not recorded. */
static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	struct verify_state *st = X509_STORE_CTX_get_app_data(ctx);
	int code = X509_STORE_CTX_get_error(ctx);
	int depth = X509_STORE_CTX_get_error_depth(ctx);
	X509 *cert = X509_STORE_CTX_get_current_cert(ctx);

	if (ok || st == NULL)
		return 1;
	if (code == X509_V_ERR_CERT_HAS_EXPIRED && cert != NULL
	    && x509info_asn1_time(X509_get0_notAfter(cert)) == st->at)
		return 1;
	for (size_t i = 0; i < st->n; i++)
		if (st->errs[i].code == code && st->errs[i].depth == depth)
			return 1;
	if (st->n < VERIFY_ERRS_MAX) {
		struct verify_err *e = &st->errs[st->n++];

		e->code = code;
		e->depth = depth;
		e->cert = cert;
		if (cert != NULL)
			X509_up_ref(cert);
	}
	return 1;
}

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

X509_STORE *verify_store_new(const char *ca_file, const char *ca_path, char *why, size_t whylen)
{
	X509_STORE *store = X509_STORE_new();
	struct stat sb;

	if (store == NULL) {
		snprintf(why, whylen, "out of memory creating the trust store");
		return NULL;
	}
	if (ca_file != NULL && stat(ca_file, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		snprintf(why, whylen, "%s: is a directory (use --ca-path)", ca_file);
		goto fail;
	}
	if (ca_file != NULL && stat(ca_file, &sb) == 0 && sb.st_size > VERIFY_CAFILE_MAX) {
		snprintf(why, whylen, "%s: larger than %ld bytes, not a CA file", ca_file,
			 VERIFY_CAFILE_MAX);
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

/* Findings added so far, for "one per (id, certificate)". */
struct added {
	enum mailtls_fid id[VERIFY_ERRS_MAX];
	int depth[VERIFY_ERRS_MAX];
	size_t n;
};

/* once - true the first time (id, depth) is seen. */
static bool once(struct added *a, enum mailtls_fid id, int depth)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->depth[i] == depth && a->id[i] == id)
			return false;
	if (a->n < VERIFY_ERRS_MAX) {
		a->id[a->n] = id;
		a->depth[a->n++] = depth;
	}
	return true;
}

/* is_self_issued - subject and issuer are the same name (RFC 5280 6.1). */
static bool is_self_issued(X509 *cert)
{
	return X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0;
}

/* map_error - one recorded OpenSSL error to a finding. */
static int map_error(const struct verify_err *e, const struct verify_params *p,
		     struct added *a, struct mailtls_result *res)
{
	char label[256];
	char date[32];
	char dn[512];
	time_t t;

	cert_label(e->cert, label, sizeof(label));
	switch (e->code) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		if (!once(a, MAILTLS_F_CERT_EXPIRED, e->depth))
			return 0;
		t = e->cert != NULL ? x509info_asn1_time(X509_get0_notAfter(e->cert)) : 0;
		return mailtls_result_add(res, MAILTLS_F_CERT_EXPIRED,
			"certificate '%s' (depth %d) expired on %s, %lld days ago", label, e->depth,
			mailtls_time_format(t, date, sizeof(date)), (long long)((p->at - t) / 86400));
	case X509_V_ERR_CERT_NOT_YET_VALID:
		if (!once(a, MAILTLS_F_CERT_NOT_YET_VALID, e->depth))
			return 0;
		t = e->cert != NULL ? x509info_asn1_time(X509_get0_notBefore(e->cert)) : 0;
		return mailtls_result_add(res, MAILTLS_F_CERT_NOT_YET_VALID,
			"certificate '%s' (depth %d) is not valid before %s, %lld days from the validation time",
			label, e->depth, mailtls_time_format(t, date, sizeof(date)),
			(long long)((t - p->at + 86399) / 86400));
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		if (!once(a, MAILTLS_F_CERT_SELF_SIGNED, e->depth))
			return 0;
		return mailtls_result_add(res, MAILTLS_F_CERT_SELF_SIGNED,
			"the server certificate '%s' is self-signed and not a trust anchor", label);
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		if (!once(a, MAILTLS_F_CERT_UNTRUSTED, e->depth))
			return 0;
		return mailtls_result_add(res, MAILTLS_F_CERT_UNTRUSTED,
			"the chain ends at root '%s' (depth %d), which is not a trust anchor",
			label, e->depth);
	case X509_V_ERR_CERT_REJECTED:
	case X509_V_ERR_CERT_UNTRUSTED:
		/* The anchor's trust settings (a TRUSTED CERTIFICATE's -addreject/-addtrust). */
		if (!once(a, MAILTLS_F_CERT_UNTRUSTED, e->depth))
			return 0;
		return mailtls_result_add(res, MAILTLS_F_CERT_UNTRUSTED,
			"the chain ends at '%s' (depth %d), which the trust store marks as %s "
			"for TLS server authentication", label, e->depth,
			e->code == X509_V_ERR_CERT_REJECTED ? "rejected" : "not trusted");
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		if (e->cert == NULL || is_self_issued(e->cert)) {
			if (!once(a, MAILTLS_F_CERT_UNTRUSTED, e->depth))
				return 0;
			return mailtls_result_add(res, MAILTLS_F_CERT_UNTRUSTED,
				"the chain ends at '%s' (depth %d), which is not a trust anchor",
				label, e->depth);
		}
		/* The server sent intermediates and the top one's issuer is unknown: the usual
		 * reason is a root the client does not trust (servers need not send roots,
		 * RFC 8446 4.4.2), not a missing intermediate. */
		if (e->depth > 0) {
			if (!once(a, MAILTLS_F_CERT_UNTRUSTED, e->depth))
				return 0;
			issuer_dn(e->cert, dn, sizeof(dn));
			return mailtls_result_add(res, MAILTLS_F_CERT_UNTRUSTED,
				"the chain leads to issuer '%s' of certificate '%s' (depth %d), which is not a trust anchor",
				dn, label, e->depth);
		}
		/* The leaf's issuer is unknown: a missing intermediate, or a root (or other CA)
		 * that is no anchor and was not sent; nothing here tells the two apart. */
		if (!once(a, MAILTLS_F_CERT_INCOMPLETE_CHAIN, e->depth))
			return 0;
		issuer_dn(e->cert, dn, sizeof(dn));
		return mailtls_result_add(res, MAILTLS_F_CERT_INCOMPLETE_CHAIN,
			"the server did not send the intermediate certificate for issuer '%s', "
			"which certificate '%s' (depth %d) needs, and no trust anchor supplies it; "
			"or that issuer is a CA the client does not trust (without its certificate "
			"the two cannot be told apart)",
			dn, label, e->depth);
	case X509_V_ERR_CA_MD_TOO_WEAK:
		if (!once(a, MAILTLS_F_CERT_WEAK_SIGNATURE, e->depth))
			return 0;
		return mailtls_result_add(res, MAILTLS_F_CERT_WEAK_SIGNATURE,
			"certificate '%s' (depth %d) is signed with %s, too weak for verifying clients",
			label, e->depth, e->cert != NULL ?
			OBJ_nid2ln(X509_get_signature_nid(e->cert)) : "a weak algorithm");
	case X509_V_ERR_EE_KEY_TOO_SMALL:
	case X509_V_ERR_CA_KEY_TOO_SMALL:
		if (!once(a, MAILTLS_F_CERT_WEAK_KEY, e->depth))
			return 0;
		return mailtls_result_add(res, MAILTLS_F_CERT_WEAK_KEY,
			"certificate '%s' (depth %d) has a %d-bit key, too small for verifying clients",
			label, e->depth, e->cert != NULL ?
			EVP_PKEY_get_bits(X509_get0_pubkey(e->cert)) : 0);
	default:
		if (!once(a, MAILTLS_F_CERT_VERIFY_ERROR, e->depth))
			return 0;
		return mailtls_result_add(res, MAILTLS_F_CERT_VERIFY_ERROR,
			"certificate '%s' (depth %d): %s", label, e->depth,
			X509_verify_cert_error_string(e->code));
	}
}

/* trusted_path - "leaf <- intermediate CN <- anchor CN" of the verified chain. */
static void trusted_path(STACK_OF(X509) *chain, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; chain != NULL && i < sk_X509_num(chain) && o + 8 < len; i++) {
		char label[256];

		cert_label(sk_X509_value(chain, i), label, sizeof(label));
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i > 0 ? " <- " : "", label);
	}
	if (o >= len)
		buf[len - 1] = '\0';
}

/* chain_run - one path validation with the given verify flags; fills *st with every
 * recorded (depth, error) and, when path is not NULL and no error was recorded, the verified
 * path. Returns 0 or MAILTLS_ENOMEM. */
static int chain_run(STACK_OF(X509) *presented, int n, const struct verify_params *p,
		     unsigned long flags, struct verify_state *st, char *path, size_t pathlen)
{
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *vp;
	int r = MAILTLS_ENOMEM;

	st->at = p->at;
	if (untrusted == NULL || ctx == NULL)
		goto out;
	for (int i = 1; i < n; i++)
		if (!sk_X509_push(untrusted, sk_X509_value(presented, i)))
			goto out;
	if (X509_STORE_CTX_init(ctx, p->store, sk_X509_value(presented, 0), untrusted) != 1)
		goto out;
	vp = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_flags(vp, flags);
	X509_VERIFY_PARAM_set_time(vp, p->at);
	X509_VERIFY_PARAM_set_auth_level(vp, VERIFY_AUTH_LEVEL);
	/* After init: X509_STORE_CTX_init() derives the trust setting from the purpose, so a
	 * purpose set on the parameters afterwards would leave trust at X509_TRUST_DEFAULT and
	 * accept an anchor whose trust settings reject serverAuth. */
	if (X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER) != 1
	    || X509_STORE_CTX_set_trust(ctx, X509_TRUST_SSL_SERVER) != 1)
		goto out;
	X509_STORE_CTX_set_app_data(ctx, st);
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
	if (X509_verify_cert(ctx) <= 0 && st->n == 0) {
		/* Failed without telling the callback (internal error): still a fact. */
		st->errs[0].code = X509_STORE_CTX_get_error(ctx);
		st->errs[0].depth = 0;
		st->errs[0].cert = NULL;
		st->n = 1;
		if (st->errs[0].code == X509_V_OK)
			st->errs[0].code = X509_V_ERR_UNSPECIFIED;
	}
	if (path != NULL && st->n == 0)
		trusted_path(X509_STORE_CTX_get0_chain(ctx), path, pathlen);
	r = 0;
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	ERR_clear_error();
	return r;
}

/* state_free - release the certificate references of a verify_state, and the state. */
static void state_free(struct verify_state *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->n; i++)
		X509_free(st->errs[i].cert);
	free(st);
}

/* has_err - the state recorded (depth, code). */
static bool has_err(const struct verify_state *st, int depth, int code)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->errs[i].depth == depth && st->errs[i].code == code)
			return true;
	return false;
}

/* issuer_unknown - the error says the issuer of e->cert was not found. */
static bool issuer_unknown(int code)
{
	return code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT
	       || code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
	       || code == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
}

/* explained_by_san - an error on a leaf whose subjectAltName cannot be used (san_get())
 * that cert.malformed-san explains: OpenSSL marks such a certificate invalid, then refuses
 * its purpose and does not link it to its issuer. "Issuer missing" would blame the wrong
 * thing when a presented certificate has the leaf's issuer name. */
static bool explained_by_san(STACK_OF(X509) *presented, int n, bool malformed,
			     const struct verify_err *e)
{
	X509 *leaf = sk_X509_value(presented, 0);

	if (!malformed || e->depth != 0)
		return false;
	if (e->code == X509_V_ERR_INVALID_PURPOSE || e->code == X509_V_ERR_INVALID_EXTENSION)
		return true;
	for (int k = 1; issuer_unknown(e->code) && k < n; k++)
		if (X509_NAME_cmp(X509_get_subject_name(sk_X509_value(presented, k)),
				  X509_get_issuer_name(leaf)) == 0)
			return true;
	return false;
}

/* profile_violation - one cert.profile-violation listing what the strict run recorded and
 * the lenient run did not: "depth D 'label': OpenSSL's text", deduplicated, bounded. */
static int profile_violation(const struct verify_state *lenient,
			     const struct verify_state *strict, STACK_OF(X509) *presented, int n,
			     bool malformed, struct mailtls_result *res)
{
	char list[VERIFY_PROFILE_MAX];
	size_t o = 0;
	size_t shown = 0, extra = 0;

	list[0] = '\0';
	for (size_t i = 0; i < strict->n; i++) {
		const struct verify_err *e = &strict->errs[i];
		const char *text = X509_verify_cert_error_string(e->code);
		char label[256];
		char one[400];
		bool dup = false;

		if (has_err(lenient, e->depth, e->code)
		    || explained_by_san(presented, n, malformed, e))
			continue;
		/* Two codes with the same text on one certificate read as one problem. */
		for (size_t k = 0; k < i && !dup; k++) {
			const struct verify_err *f = &strict->errs[k];

			dup = f->depth == e->depth && !has_err(lenient, f->depth, f->code)
			      && !explained_by_san(presented, n, malformed, f)
			      && strcmp(text, X509_verify_cert_error_string(f->code)) == 0;
		}
		if (dup)
			continue;
		extra++;
		cert_label(e->cert, label, sizeof(label));
		snprintf(one, sizeof(one), "%sdepth %d '%s': %s", shown > 0 ? "; " : "",
			 e->depth, label, text);
		if (o + strlen(one) + 16 >= sizeof(list))
			continue;
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s", one);
		shown++;
	}
	if (extra == 0)
		return 0;
	return mailtls_result_add(res, MAILTLS_F_CERT_PROFILE_VIOLATION,
		"lenient clients accept the chain; the strict RFC 5280 profile (OpenSSL X509_STRICT) "
		"refuses it: %s%s", list, extra > shown ? "; ..." : "");
}

/* chain_cut - the finding on a presented chain longer than n (= VERIFY_CHAIN_MAX), from the
 * lenient run over its first n certificates:
 * - they verified to an anchor: cert.chain-extra (a warning, like cert.profile-violation:
 *   the lenient verdict stands, the message says who refuses). OpenSSL, as verifying
 *   senders run it with the whole presented chain as untrusted certificates, looks for each
 *   issuer in the trust store first and then takes the first time-valid one in presented
 *   order, so it builds the same path and accepts it; GnuTLS refuses a presented chain
 *   longer than its verify depth (16 by default) before it looks at it;
 * - the top certificate of the path has no known issuer, and a certificate beyond the cut
 *   issued it (X509_check_issued): the issuer was sent but not looked at, so the error is
 *   not reported as cert.untrusted or cert.incomplete-chain (*cut_depth is its depth) and
 *   cert.chain-too-long names the cut issuer;
 * - else cert.chain-too-long, and the errors of the first n are reported as they are.
 * Returns 0 or MAILTLS_ENOMEM. */
static int chain_cut(STACK_OF(X509) *presented, int n, int total,
		     const struct verify_state *lenient, struct mailtls_result *res, int *cut_depth)
{
	char label[256];
	char ilabel[256];

	*cut_depth = -1;
	if (lenient->n == 0)
		return mailtls_result_add(res, MAILTLS_F_CERT_CHAIN_EXTRA,
			"the server sent %d certificates, more than any chain needs; the first %d "
			"lead to a trust anchor, so OpenSSL-based clients (Postfix) accept the chain, "
			"but GnuTLS-based clients refuse more than 16 certificates", total, n);
	for (size_t i = 0; i < lenient->n; i++) {
		const struct verify_err *e = &lenient->errs[i];

		if (!issuer_unknown(e->code) || e->cert == NULL)
			continue;
		for (int k = n; k < total; k++) {
			X509 *issuer = sk_X509_value(presented, k);

			if (X509_check_issued(issuer, e->cert) != X509_V_OK)
				continue;
			*cut_depth = e->depth;
			cert_label(e->cert, label, sizeof(label));
			cert_label(issuer, ilabel, sizeof(ilabel));
			return mailtls_result_add(res, MAILTLS_F_CERT_CHAIN_TOO_LONG,
				"the server sent %d certificates; only the first %d were verified, and "
				"the issuer of '%s' (depth %d) is certificate %d as sent ('%s'), beyond "
				"them: the chain was not followed to a trust anchor",
				total, n, label, e->depth, k + 1, ilabel);
		}
	}
	return mailtls_result_add(res, MAILTLS_F_CERT_CHAIN_TOO_LONG,
		"the server sent %d certificates; only the first %d were verified, and the chain "
		"they make fails (the other findings say why)", total, n);
}

/* run_chain - path validation as verifying senders do it (no X509_STRICT) over the first n
 * of the total presented certificates, adding the chain findings (chain_cut() first when
 * total > n), then with X509_STRICT for cert.profile-violation. *ok: the lenient run
 * verified without errors. */
static int run_chain(STACK_OF(X509) *presented, int n, int total, const struct verify_params *p,
		     struct added *a, struct mailtls_result *res, bool *ok)
{
	struct verify_state *lenient = calloc(1, sizeof(*lenient));
	struct verify_state *strict = calloc(1, sizeof(*strict));
	char path[1500] = "";
	int cut_depth = -1;
	bool malformed, duplicate;
	int r = MAILTLS_ENOMEM;

	*ok = false;
	GENERAL_NAMES_free(san_get(sk_X509_value(presented, 0), &malformed, &duplicate));
	/* Only when an identity check will add cert.malformed-san to explain them. */
	malformed = malformed && (p->n_names > 0 || p->ip != NULL);
	if (lenient == NULL || strict == NULL)
		goto out;
	r = chain_run(presented, n, p, 0, lenient, path, sizeof(path));
	if (r == 0 && total > n)
		r = chain_cut(presented, n, total, lenient, res, &cut_depth);
	for (size_t i = 0; i < lenient->n && r == 0; i++) {
		const struct verify_err *e = &lenient->errs[i];

		/* The issuer was sent but cut off (chain_cut()): saying it is missing or
		 * untrusted would blame the wrong thing. */
		if ((e->depth == cut_depth && issuer_unknown(e->code))
		    || explained_by_san(presented, n, malformed, e))
			continue;
		/* OpenSSL's check_purpose() also reports a rejected anchor as "unsuitable
		 * certificate purpose" without looking at the purpose: one cause, one finding. */
		if (e->code == X509_V_ERR_INVALID_PURPOSE
		    && has_err(lenient, e->depth, X509_V_ERR_CERT_REJECTED))
			continue;
		r = map_error(e, p, a, res);
	}
	if (r == 0 && lenient->n == 0) {
		r = mailtls_result_add(res, MAILTLS_F_CERT_TRUSTED, "chain verified: %s", path);
		*ok = true;
	}
	if (r == 0)
		r = chain_run(presented, n, p, X509_V_FLAG_X509_STRICT, strict, NULL, 0);
	if (r == 0)
		r = profile_violation(lenient, strict, presented, n, malformed, res);
out:
	state_free(lenient);
	state_free(strict);
	return r;
}

/* leaf_checks - expiry warning and explicit weak key / weak signature on the leaf. */
static int leaf_checks(X509 *leaf, const struct verify_params *p, struct added *a,
		       struct mailtls_result *res)
{
	time_t na = x509info_asn1_time(X509_get0_notAfter(leaf));
	time_t nb = x509info_asn1_time(X509_get0_notBefore(leaf));
	EVP_PKEY *pkey = X509_get0_pubkey(leaf);
	int signid = NID_undef;
	char label[256];
	char date[32];
	int r = 0;

	cert_label(leaf, label, sizeof(label));
	if (p->warn_days > 0 && na >= p->at && nb <= p->at
	    && na - p->at < (time_t)p->warn_days * 86400)
		r = mailtls_result_add(res, MAILTLS_F_CERT_EXPIRES_SOON,
			"certificate '%s' expires on %s, in %lld days", label,
			mailtls_time_format(na, date, sizeof(date)), (long long)((na - p->at) / 86400));
	if (r == 0 && pkey != NULL && !mailtls_result_has(res, MAILTLS_F_CERT_WEAK_KEY)) {
		int bits = EVP_PKEY_get_bits(pkey);
		int id = EVP_PKEY_get_base_id(pkey);
		bool weak = ((id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS || id == EVP_PKEY_DSA)
			     && bits < 2048) || (id == EVP_PKEY_EC && bits < 224);

		if (weak && once(a, MAILTLS_F_CERT_WEAK_KEY, 0))
			r = mailtls_result_add(res, MAILTLS_F_CERT_WEAK_KEY,
				"certificate '%s' (depth 0) has a %d-bit %s key", label, bits,
				id == EVP_PKEY_EC ? "EC" : id == EVP_PKEY_DSA ? "DSA" : "RSA");
	}
	if (r == 0 && X509_get_signature_info(leaf, &signid, NULL, NULL, NULL) == 1
	    && (signid == NID_md5 || signid == NID_sha1 || signid == NID_md4)
	    && once(a, MAILTLS_F_CERT_WEAK_SIGNATURE, 0))
		r = mailtls_result_add(res, MAILTLS_F_CERT_WEAK_SIGNATURE,
			"certificate '%s' (depth 0) is signed with %s", label,
			OBJ_nid2ln(X509_get_signature_nid(leaf)));
	return r;
}

/* dnsids_list - "a, b, c" of the presented DNS-IDs, escaped, bounded; at most
 * VERIFY_LISTED_MAX of them. Returns false when the list was cut ("..."). */
static bool dnsids_list(const struct dnsid *ids, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char one[300];

		esc_into(ids[i].p, ids[i].len, one, sizeof(one));
		if (i >= VERIFY_LISTED_MAX || o + strlen(one) + 8 >= len) {
			snprintf(buf + o, len - o, "%s...", i > 0 ? ", " : "");
			return false;
		}
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i > 0 ? ", " : "", one);
	}
	return true;
}

/* len_gap - difference in length between a reference name and a presented name. */
static size_t len_gap(const char *ref, const struct dnsid *id)
{
	size_t n = strlen(ref);

	return n > id->len ? n - id->len : id->len - n;
}

/* cn_only - no DNS-ID: cert.cn-only, saying whether legacy clients that fall back to the
 * subject CN (RFC 6125 6.4.4) would match a reference name. Like OpenSSL's
 * X509_check_host(), every CN is tried, not only the first. Nothing when there is no CN. */
static int cn_only(X509 *leaf, const struct verify_params *p, struct mailtls_result *res)
{
	const X509_NAME *name = X509_get_subject_name(leaf);
	const char *would = NULL;
	char list[VERIFY_LIST_MAX];
	size_t o = 0, n_cn = 0;
	bool cut = false;

	list[0] = '\0';
	for (int idx = -1; (idx = X509_NAME_get_index_by_NID(name, NID_commonName, idx)) >= 0;) {
		const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
		unsigned char *utf8 = NULL;
		int len = ASN1_STRING_to_UTF8(&utf8, s);
		char esc[300];

		n_cn++;
		if (len < 0) {	/* undecodable: shown as its raw bytes, never matches */
			esc_into((const char *)ASN1_STRING_get0_data(s),
				 (size_t)ASN1_STRING_length(s), esc, sizeof(esc));
		} else {
			for (size_t j = 0; j < p->n_names && would == NULL; j++)
				if (mailtls_name_match(p->names[j], (const char *)utf8, (size_t)len)
				    != MAILTLS_NAME_NOMATCH)
					would = p->names[j];
			esc_into((const char *)utf8, (size_t)len, esc, sizeof(esc));
			OPENSSL_free(utf8);
		}
		if (cut || o + strlen(esc) + 8 >= sizeof(list)) {
			if (!cut)
				snprintf(list + o, sizeof(list) - o, ", ...");
			cut = true;
			continue;
		}
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", o > 0 ? ", " : "", esc);
	}
	if (n_cn == 0)
		return 0;
	return mailtls_result_add(res, MAILTLS_F_CERT_CN_ONLY,
		"the certificate has no DNS-ID, only subject CN%s %s: strict clients "
		"(RFC 9525) fail; legacy clients fall back to the CN, which %s%s",
		n_cn > 1 ? "s" : "", list,
		would != NULL ? "would match " : "would not match any reference name",
		would != NULL ? would : "");
}

/* malformed_san - cert.malformed-san on the leaf: its SAN cannot be used, so verifying clients
 * find no identity of the kind wanted ("DNS-ID", "IP-ID") in it. */
static int malformed_san(X509 *leaf, bool duplicate, const char *kind, struct mailtls_result *res)
{
	char label[256];

	cert_label(leaf, label, sizeof(label));
	return mailtls_result_add(res, MAILTLS_F_CERT_MALFORMED_SAN,
		"certificate '%s' (depth 0) has %s: verifying clients find no %s in it", label,
		duplicate ? "more than one subjectAltName extension"
			  : "a subjectAltName extension that does not decode (DER error)", kind);
}

/* match_one - the best DNS-ID for ref among all of them: an exact match, else the first
 * wildcard match. Returns the kind; *which is its index. */
static enum mailtls_name_match match_one(const char *ref, const struct dnsid *ids, size_t nids,
					 size_t *which)
{
	enum mailtls_name_match best = MAILTLS_NAME_NOMATCH;

	*which = 0;
	for (size_t i = 0; i < nids && best != MAILTLS_NAME_MATCH; i++) {
		enum mailtls_name_match m = mailtls_name_match(ref, ids[i].p, ids[i].len);

		if (m == MAILTLS_NAME_MATCH || (m == MAILTLS_NAME_MATCH_WILDCARD
						&& best == MAILTLS_NAME_NOMATCH)) {
			best = m;
			*which = i;
		}
	}
	return best;
}

/* bad_names - RFC 9525 6.3: facts about presented names that can never match, at most
 * VERIFY_BADNAMES_MAX findings per id, then one that counts the rest. */
static int bad_names(const struct dnsid *ids, size_t nids, struct mailtls_result *res)
{
	size_t n_partial = 0, n_invalid = 0;
	char esc[300];
	int r = 0;

	for (size_t i = 0; i < nids && r == 0; i++) {
		enum mailtls_presented_kind k = mailtls_name_presented_kind(ids[i].p, ids[i].len);
		size_t *count = k == MAILTLS_PRESENTED_PARTIAL_WILDCARD ? &n_partial : &n_invalid;

		if (k != MAILTLS_PRESENTED_PARTIAL_WILDCARD && k != MAILTLS_PRESENTED_BAD_WILDCARD
		    && k != MAILTLS_PRESENTED_INVALID)
			continue;
		if ((*count)++ >= VERIFY_BADNAMES_MAX)
			continue;
		esc_into(ids[i].p, ids[i].len, esc, sizeof(esc));
		if (k == MAILTLS_PRESENTED_PARTIAL_WILDCARD)
			r = mailtls_result_add(res, MAILTLS_F_CERT_PARTIAL_WILDCARD,
				"DNS-ID %s is a partial wildcard: strict clients never match it", esc);
		else if (k == MAILTLS_PRESENTED_BAD_WILDCARD)
			r = mailtls_result_add(res, MAILTLS_F_CERT_INVALID_NAME,
				"DNS-ID %s has a misplaced or too broad wildcard: it never matches", esc);
		else
			r = mailtls_result_add(res, MAILTLS_F_CERT_INVALID_NAME,
				"DNS-ID %s is not a valid DNS name: it never matches", esc);
	}
	if (r == 0 && n_partial > VERIFY_BADNAMES_MAX)
		r = mailtls_result_add(res, MAILTLS_F_CERT_PARTIAL_WILDCARD,
			"%zu more DNS-IDs are partial wildcards (not listed)",
			n_partial - VERIFY_BADNAMES_MAX);
	if (r == 0 && n_invalid > VERIFY_BADNAMES_MAX)
		r = mailtls_result_add(res, MAILTLS_F_CERT_INVALID_NAME,
			"%zu more DNS-IDs are not valid DNS names or have a misplaced wildcard (not listed)",
			n_invalid - VERIFY_BADNAMES_MAX);
	return r;
}

/* nearest - the presented name closest to ref (edit distance; on a tie the one closer in
 * length), among the first VERIFY_NEAREST_MAX: at most 64 * 253 * 253 steps per name. */
static size_t nearest(const char *ref, const struct dnsid *ids, size_t nids)
{
	unsigned best = ~0u;
	size_t near_i = 0;

	for (size_t i = 0; i < nids && i < VERIFY_NEAREST_MAX; i++) {
		unsigned d = mailtls_name_distance(ref, ids[i].p, ids[i].len);

		if (d < best || (d == best && len_gap(ref, &ids[i]) < len_gap(ref, &ids[near_i]))) {
			best = d;
			near_i = i;
		}
	}
	return near_i;
}

/* identity_dns - RFC 9525 6 matching of every reference name against every DNS-ID of the
 * leaf (linear: the leaf's size bounds their number). Only the messages are bounded. */
static int identity_dns(X509 *leaf, const struct verify_params *p, struct mailtls_result *res,
			bool *all_ok)
{
	bool malformed, duplicate;
	GENERAL_NAMES *gens = san_get(leaf, &malformed, &duplicate);
	int ngens = gens != NULL ? sk_GENERAL_NAME_num(gens) : 0;
	struct dnsid *ids = NULL;
	size_t nids = 0;
	char list[VERIFY_LIST_MAX];
	char cut[128] = "";
	char esc[300];
	int r = 0;

	if (ngens > 0 && (ids = calloc((size_t)ngens, sizeof(*ids))) == NULL) {
		GENERAL_NAMES_free(gens);
		return MAILTLS_ENOMEM;
	}
	for (int i = 0; i < ngens; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type != GEN_DNS)
			continue;
		ids[nids].p = (const char *)ASN1_STRING_get0_data(g->d.dNSName);
		ids[nids].len = (size_t)ASN1_STRING_length(g->d.dNSName);
		nids++;
	}
	if (!dnsids_list(ids, nids, list, sizeof(list)))
		snprintf(cut, sizeof(cut), "; the certificate has %zu DNS-IDs, not all listed", nids);
	r = bad_names(ids, nids, res);
	if (r == 0 && malformed)	/* not cn-only: the SAN is there, broken; no CN fallback */
		r = malformed_san(leaf, duplicate, "DNS-ID", res);
	else if (r == 0 && nids == 0)
		r = cn_only(leaf, p, res);
	for (size_t j = 0; j < p->n_names && r == 0; j++) {
		size_t which;
		enum mailtls_name_match best = match_one(p->names[j], ids, nids, &which);

		if (best != MAILTLS_NAME_NOMATCH) {
			esc_into(ids[which].p, ids[which].len, esc, sizeof(esc));
			r = mailtls_result_add(res, MAILTLS_F_CERT_NAME_MATCH, "%s matches DNS-ID %s",
					       p->names[j], esc);
			if (r == 0 && best == MAILTLS_NAME_MATCH_WILDCARD)
				r = mailtls_result_add(res, MAILTLS_F_CERT_WILDCARD,
					"%s is covered only through the wildcard DNS-ID %s",
					p->names[j], esc);
			continue;
		}
		*all_ok = false;
		if (nids == 0) {
			r = mailtls_result_add(res, MAILTLS_F_CERT_NAME_MISMATCH,
				"%s is not covered by the certificate: %s", p->names[j],
				!malformed ? "it presents no DNS-ID"
				: duplicate ? "it has more than one subjectAltName extension"
				: "its subjectAltName extension does not decode");
			continue;
		}
		which = nearest(p->names[j], ids, nids);
		esc_into(ids[which].p, ids[which].len, esc, sizeof(esc));
		r = mailtls_result_add(res, MAILTLS_F_CERT_NAME_MISMATCH,
			"%s is not covered by the certificate: presented DNS-IDs %s (nearest: %s)%s",
			p->names[j], list, esc, cut);
	}
	free(ids);
	GENERAL_NAMES_free(gens);
	return r;
}

/* identity_ip - an IP reference identity against iPAddress SANs (RFC 9525 6.2). */
static int identity_ip(X509 *leaf, const char *ip, struct mailtls_result *res, bool *all_ok)
{
	GENERAL_NAMES *gens;
	bool malformed, duplicate;
	char list[VERIFY_LIST_MAX];
	size_t o = 0;
	int r;

	if (X509_check_ip_asc(leaf, ip, 0) == 1)
		return mailtls_result_add(res, MAILTLS_F_CERT_NAME_MATCH, "%s matches an IP-ID", ip);
	*all_ok = false;
	list[0] = '\0';
	gens = san_get(leaf, &malformed, &duplicate);
	if (malformed && (r = malformed_san(leaf, duplicate, "IP-ID", res)) != 0)
		return r;	/* gens is NULL */
	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens) && o + 64 < sizeof(list); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *b;
		int n;

		if (g->type != GEN_IPADD)
			continue;
		b = ASN1_STRING_get0_data(g->d.iPAddress);
		n = ASN1_STRING_length(g->d.iPAddress);
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s", o > 0 ? ", " : "");
		for (int k = 0; k < n && o + 4 < sizeof(list); k++)
			o += (size_t)snprintf(list + o, sizeof(list) - o,
				n == 4 ? (k ? ".%u" : "%u") : (k && k % 2 == 0 ? ":%02x" : "%02x"), b[k]);
	}
	GENERAL_NAMES_free(gens);
	r = mailtls_result_add(res, MAILTLS_F_CERT_NAME_MISMATCH,
		"%s is not covered by the certificate: %s%s", ip,
		!malformed ? "presented IP-IDs "
		: duplicate ? "it has more than one subjectAltName extension"
		: "its subjectAltName extension does not decode",
		malformed ? "" : o > 0 ? list : "(none)");
	return r;
}

/* fill_chain - certinfo for each verified certificate, appended to res->chain. */
static int fill_chain(STACK_OF(X509) *presented, int n, time_t at, struct mailtls_result *res)
{
	struct mailtls_certinfo *v = realloc(res->chain, (res->chain_len + (size_t)n) * sizeof(*v));

	if (v == NULL)
		return MAILTLS_ENOMEM;
	res->chain = v;
	for (int i = 0; i < n; i++) {
		memset(&v[res->chain_len], 0, sizeof(*v));
		res->chain_len++;
		if (x509info_fill(sk_X509_value(presented, i), at, &v[res->chain_len - 1]) != 0)
			return MAILTLS_ENOMEM;
	}
	return 0;
}

int verify_chain(STACK_OF(X509) *presented, const struct verify_params *p,
		 struct mailtls_result *res)
{
	struct added *a;
	int total = presented != NULL ? sk_X509_num(presented) : 0;
	int n = total > VERIFY_CHAIN_MAX ? VERIFY_CHAIN_MAX : total;
	X509 *leaf;
	bool chain_ok = false;
	bool names_ok = true;
	int r;

	if (n <= 0 || p == NULL || p->store == NULL)
		return MAILTLS_EINVAL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return MAILTLS_ENOMEM;
	leaf = sk_X509_value(presented, 0);
	res->validation_time = p->at;
	r = fill_chain(presented, n, p->at, res);
	/* The caller may have recorded the names already (a check records them before it
	 * connects, so that a failed connection still shows them). */
	bool record = res->reference_names.n == 0;

	for (size_t j = 0; record && j < p->n_names && r == 0; j++)
		r = mailtls_strlist_add(&res->reference_names, p->names[j], MAILTLS_NAME_MAX);
	if (record && r == 0 && p->n_names == 0 && p->ip != NULL)
		r = mailtls_strlist_add(&res->reference_names, p->ip, 64);
	if (r == 0)
		r = run_chain(presented, n, total, p, a, res, &chain_ok);
	if (r == 0)
		r = leaf_checks(leaf, p, a, res);
	if (r == 0 && p->n_names > 0)
		r = identity_dns(leaf, p, res, &names_ok);
	else if (r == 0 && p->ip != NULL)
		r = identity_ip(leaf, p->ip, res, &names_ok);
	else if (r == 0)
		names_ok = false;	/* no identity to check: nothing is authenticated */
	free(a);
	if (r != 0)
		return r;
	res->would_authenticate = chain_ok && names_ok;
	for (size_t i = 0; i < res->findings.n; i++)
		if (strncmp(res->findings.v[i].id, "cert.", 5) == 0
		    && res->findings.v[i].severity == MAILTLS_SEV_CRITICAL)
			res->would_authenticate = false;
	return 0;
}
