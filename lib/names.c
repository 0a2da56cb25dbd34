/*
 * names.c - RFC 9525 DNS-ID matching: reference name normalization, presented name
 * classification, matching and a near-miss distance.
 *
 * What it is: the comparison of one reference identifier (what the user or DNS told us)
 * with one presented dNSName (what a certificate says). What it is not: it does not read
 * certificates, never looks at the subject CN, and knows nothing about the Public Suffix
 * List; verify.c decides which names to feed in and turns the answers into findings.
 *
 * Decisions, with their sources:
 * - RFC 9525 6.3: U-labels in the reference are converted to A-labels (libidn2, IDNA2008
 *   with UTS #46 non-transitional mapping) and A-labels are compared as case-insensitive
 *   ASCII. A presented name is never converted: a certificate carries A-labels (RFC 5280
 *   4.2.1.6, RFC 9549), so any byte >= 0x80 in a presented name makes it INVALID.
 * - Presented syntax: letters, digits, hyphen and underscore; labels 1..63 bytes; at most
 *   253 bytes without the single trailing dot, which is ignored on both sides. Underscore is
 *   accepted: RFC 9525 compares labels and forbids nothing else, names like
 *   "_mta-sts.example.com" exist, and x509-limbo marks "rfc5280::san::underscore-dns" as a
 *   case where a strict RFC 9525 client may accept (OpenSSL accepts it too). Hyphen position
 *   is not checked in presented names: a normalized reference never has a leading or trailing
 *   hyphen, so such a presented label can never match anyway.
 * - RFC 9525 6.3: a wildcard is honoured only when there is exactly one "*" and it is the
 *   complete left-most label; otherwise "the presented identifier is invalid and MUST be
 *   ignored". It matches exactly one label of the reference, never zero and never more.
 * - Deliberate defensive choice beyond RFC 9525: the wildcard must be followed by at least two
 *   labels, so "*.com" and "*" are BAD_WILDCARD and never match. RFC 9525 7.1 puts protection
 *   against public-suffix wildcards out of its scope, but x509-limbo (webpki::san::public-suffix-wildcard-san,
 *   san-wildcard-only-tld) expects FAILURE and OpenSSL's X509_check_host refuses a wildcard
 *   whose suffix has a single label; we agree with both. "*.co.uk" still matches here: that
 *   would need the PSL, which is a Web PKI rule (see /work/shared/corpora/README.md).
 * - "*.example.com" matches "xn--bcher-kva.example.com": RFC 9525 6.3 lets "*" stand for
 *   exactly one label and makes no exception for A-labels. RFC 6125 6.4.3's "SHOULD NOT"
 *   was about a "*" embedded inside an A-label or U-label ("xn--*"), which is a partial
 *   wildcard here and never matches.
 * - A reference name whose last label is all digits is not a DNS name (RFC 3696 2: top-level
 *   domains are never all-numeric); this rejects IPv4 literals such as "192.0.2.1" and their
 *   short forms ("127.1"). IP addresses are IP-IDs (RFC 9525 6.4), not DNS-IDs.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <idn2.h>

#include "mailtls/mailtls.h"
#include "mailtls/names.h"

#define NAME_LABEL_MAX	63	/* RFC 1035 2.3.4 */
#define NAME_INPUT_MAX	1024	/* longest user-supplied reference, U-labels included */

static char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool is_ldh_us(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '_';
}

/* ascii_alnum - a letter or digit in ASCII, whatever the locale says. */
static bool ascii_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* ascii_caseeq - compare n bytes as case-insensitive ASCII, locale-independent. */
static bool ascii_caseeq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ascii_lower(a[i]) != ascii_lower(b[i]))
			return false;
	return true;
}

/* strip_dot - length without a single trailing dot (RFC 9525 6.3 compares names, and the
 * root label is not part of a dNSName). */
static size_t strip_dot(const char *s, size_t len)
{
	if (len > 0 && s[len - 1] == '.')
		return len - 1;
	return len;
}

/* check_syntax - labels of 1..63 bytes made of letters, digits, hyphen and underscore, plus
 * '*' when allow_star; total 1..253 bytes. len excludes any trailing dot. */
static bool check_syntax(const char *s, size_t len, bool allow_star)
{
	size_t label = 0;

	if (len == 0 || len > MAILTLS_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!is_ldh_us(c) && !(allow_star && c == '*'))
			return false;
		if (++label > NAME_LABEL_MAX)
			return false;
	}
	return label > 0;
}

/* numeric_tld - true when the last label is all digits (RFC 3696 2). */
static bool numeric_tld(const char *s, size_t len)
{
	size_t i = len;

	while (i > 0 && s[i - 1] != '.') {
		if (s[i - 1] < '0' || s[i - 1] > '9')
			return false;
		i--;
	}
	return i < len;
}

static bool alabel_ok(const char *label);
static bool normalize_label(const char *label, size_t n, char *out, size_t outlen, size_t *pos);

/* reference_ok - a reference as mailtls_name_normalize produces it (case and one trailing
 * dot tolerated); anything else never matches. */
static bool reference_ok(const char *ref, size_t *lenp)
{
	size_t len;

	if (ref == NULL)
		return false;
	len = strip_dot(ref, strnlen(ref, MAILTLS_NAME_MAX + 2));
	if (!check_syntax(ref, len, false) || numeric_tld(ref, len))
		return false;
	/* What normalize_label() refuses never matches either: a hyphen at either end of a
	 * label (else "-x.example.com" would match "*.example.com"), or an "xn--" label that
	 * is not a valid A-label. The labels are written to scratch and forgotten. */
	char scratch[MAILTLS_NAME_MAX + 2];
	size_t pos = 0;

	for (size_t start = 0; start < len; ) {
		const char *dot = memchr(ref + start, '.', len - start);
		size_t n = dot != NULL ? (size_t)(dot - (ref + start)) : len - start;

		if (!normalize_label(ref + start, n, scratch, sizeof(scratch), &pos))
			return false;
		start += n + 1;
	}
	*lenp = len;
	return true;
}

/* alabel_ok - an "xn--" label (lower case, NUL-terminated) must decode to a U-label that
 * encodes back to the same bytes under IDNA2008 (RFC 5891 5.4, RFC 5890 2.3.2.1). */
static bool alabel_ok(const char *label)
{
	char *u = NULL, *a = NULL;
	bool ok = false;

	if (idn2_to_unicode_8z8z(label, &u, 0) != IDN2_OK)
		goto out;
	if (idn2_lookup_u8((const uint8_t *)u, (uint8_t **)&a,
	    IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT) != IDN2_OK)
		goto out;
	ok = strcmp(a, label) == 0;
out:
	idn2_free(u);
	idn2_free(a);
	return ok;
}

/* append - copy n bytes to out at *pos, lower-cased, keeping room for the NUL. */
static bool append(char *out, size_t outlen, size_t *pos, const char *s, size_t n)
{
	if (n >= outlen - *pos)
		return false;
	for (size_t i = 0; i < n; i++)
		out[(*pos)++] = ascii_lower(s[i]);
	out[*pos] = '\0';
	return true;
}

/* normalize_label - one label of the user's reference into A-label form at out + *pos. */
static bool normalize_label(const char *label, size_t n, char *out, size_t outlen, size_t *pos)
{
	char buf[NAME_INPUT_MAX + 1];
	bool ascii = true;
	char *a = NULL;
	bool ok;

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)label[i] >= 0x80)
			ascii = false;
	if (ascii) {
		/* RFC 1123 2.1: LDH, no hyphen at either end; underscore tolerated as above. */
		if (n == 0 || n > NAME_LABEL_MAX || label[0] == '-' || label[n - 1] == '-')
			return false;
		for (size_t i = 0; i < n; i++)
			if (!is_ldh_us((unsigned char)label[i]))
				return false;
		for (size_t i = 0; i < n; i++)
			buf[i] = ascii_lower(label[i]);
		buf[n] = '\0';
		if (n >= 4 && memcmp(buf, "xn--", 4) == 0 && !alabel_ok(buf))
			return false;
		return append(out, outlen, pos, buf, n);
	}
	/* U-label: RFC 9525 6.3 requires conversion to an A-label before comparison. */
	memcpy(buf, label, n);
	buf[n] = '\0';
	if (idn2_lookup_u8((const uint8_t *)buf, (uint8_t **)&a,
	    IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT) != IDN2_OK)
		return false;
	ok = append(out, outlen, pos, a, strlen(a));
	idn2_free(a);
	return ok;
}

int mailtls_name_normalize(const char *in, char *out, size_t outlen)
{
	size_t len, start, pos = 0;

	if (out == NULL || outlen < MAILTLS_NAME_MAX + 1)
		return MAILTLS_EINVAL;
	out[0] = '\0';
	if (in == NULL)
		return MAILTLS_EINVAL;
	len = strnlen(in, NAME_INPUT_MAX + 1);
	if (len > NAME_INPUT_MAX)
		return MAILTLS_EINVAL;
	len = strip_dot(in, len);
	if (len == 0)
		return MAILTLS_EINVAL;

	for (start = 0; start <= len; ) {
		const char *dot = memchr(in + start, '.', len - start);
		size_t n = dot ? (size_t)(dot - (in + start)) : len - start;

		if (pos > 0 && !append(out, outlen, &pos, ".", 1))
			goto bad;
		if (!normalize_label(in + start, n, out, outlen, &pos))
			goto bad;
		start += n + 1;
	}
	/* The mapping may have produced dots (U+3002) or long labels: check the result. */
	if (!check_syntax(out, pos, false) || numeric_tld(out, pos))
		goto bad;
	return 0;
bad:
	out[0] = '\0';
	return MAILTLS_EINVAL;
}

enum mailtls_presented_kind mailtls_name_presented_kind(const char *presented, size_t len)
{
	size_t stars = 0, first_star = 0, first_dot = 0, labels = 1;

	if (presented == NULL)
		return MAILTLS_PRESENTED_INVALID;
	len = strip_dot(presented, len);
	if (!check_syntax(presented, len, true))
		return MAILTLS_PRESENTED_INVALID;
	for (size_t i = 0; i < len; i++) {
		if (presented[i] == '*') {
			if (stars++ == 0)
				first_star = i;
		} else if (presented[i] == '.') {
			if (labels++ == 1)
				first_dot = i;
		}
	}
	if (stars == 0)
		return MAILTLS_PRESENTED_PLAIN;
	/* RFC 9525 6.3 rule 1: only one wildcard character. */
	if (stars > 1)
		return MAILTLS_PRESENTED_BAD_WILDCARD;
	/* Rule 2: in the left-most label only ... */
	if (labels > 1 && first_star > first_dot)
		return MAILTLS_PRESENTED_BAD_WILDCARD;
	/* ... and as its complete content; else a partial wildcard (RFC 6125 6.4.3 allowed it). */
	if (labels == 1 ? len != 1 : first_dot != 1)
		return MAILTLS_PRESENTED_PARTIAL_WILDCARD;
	/* Our defensive rule: at least two labels after "*". */
	if (labels < 3)
		return MAILTLS_PRESENTED_BAD_WILDCARD;
	return MAILTLS_PRESENTED_WILDCARD;
}

enum mailtls_name_match mailtls_name_match(const char *reference, const char *presented, size_t len)
{
	size_t rlen;
	const char *rdot;

	if (!reference_ok(reference, &rlen))
		return MAILTLS_NAME_NOMATCH;
	switch (mailtls_name_presented_kind(presented, len)) {
	case MAILTLS_PRESENTED_PLAIN:
		len = strip_dot(presented, len);
		if (len == rlen && ascii_caseeq(reference, presented, len))
			return MAILTLS_NAME_MATCH;
		return MAILTLS_NAME_NOMATCH;
	case MAILTLS_PRESENTED_WILDCARD:
		/* "*" + suffix; the reference's first label (never empty) stands for the "*". */
		len = strip_dot(presented, len) - 1;
		presented++;
		rdot = memchr(reference, '.', rlen);
		if (rdot == NULL || (size_t)(reference + rlen - rdot) != len)
			return MAILTLS_NAME_NOMATCH;
		if (ascii_caseeq(rdot, presented, len))
			return MAILTLS_NAME_MATCH_WILDCARD;
		return MAILTLS_NAME_NOMATCH;
	default:
		return MAILTLS_NAME_NOMATCH;
	}
}

unsigned mailtls_name_distance(const char *reference, const char *presented, size_t len)
{
	unsigned short row[MAILTLS_NAME_MAX + 1];
	size_t rlen;

	if (reference == NULL || presented == NULL)
		return 255;
	rlen = strip_dot(reference, strnlen(reference, MAILTLS_NAME_MAX + 2));
	len = strip_dot(presented, len);
	if (rlen > MAILTLS_NAME_MAX || len > MAILTLS_NAME_MAX)
		return 255;

	/* Classic two-row Levenshtein folded into one row: row[j] is the distance between the
	 * first i bytes of presented and the first j bytes of reference. */
	for (size_t j = 0; j <= rlen; j++)
		row[j] = (unsigned short)j;
	for (size_t i = 1; i <= len; i++) {
		unsigned short diag = row[0];

		row[0] = (unsigned short)i;
		for (size_t j = 1; j <= rlen; j++) {
			unsigned short up = row[j];
			unsigned short best = (unsigned short)(diag +
			    (ascii_lower(presented[i - 1]) != ascii_lower(reference[j - 1])));

			if (up + 1 < best)
				best = (unsigned short)(up + 1);
			if (row[j - 1] + 1 < best)
				best = (unsigned short)(row[j - 1] + 1);
			diag = up;
			row[j] = best;
		}
	}
	return row[rlen] > 255 ? 255 : row[rlen];
}

bool mailtls_ehlo_name_valid(const char *s)
{
	size_t len = strlen(s), label = 0;

	if (len == 0 || len > 255)
		return false;
	if (s[0] == '[') {
		const char *in = s + 1;

		if (len < 3 || s[len - 1] != ']')
			return false;
		for (; in < s + len - 1; in++)
			if (!ascii_alnum(*in) && *in != '.' && *in != ':')
				return false;
		return true;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (ascii_alnum((char)c) || (c == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0 && s[len - 1] != '-';
}
