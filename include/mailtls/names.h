/*
 * mailtls/names.h - RFC 9525 service identity matching for DNS-IDs.
 *
 * Rules (RFC 9525 section 6): only subjectAltName dNSName entries are presented identifiers
 * (never the CN); comparison is on A-labels, case-insensitive, a single trailing dot ignored;
 * a wildcard "*" is honoured only as the whole left-most label and matches exactly one label;
 * partial wildcards ("f*.example.com", "*x.example.com") never match; a wildcard must be
 * followed by at least two labels ("*.com" never matches: see docs/findings.md).
 * Presented names containing NUL, non-ASCII bytes, empty labels or other invalid syntax never
 * match. Underscore is accepted in labels; "*.example.com" matches an A-label first label
 * ("xn--bcher-kva.example.com"), as RFC 9525 6.3 makes no exception (see lib/names.c).
 * All functions are pure: no global state, nothing allocated that outlives the call
 * (mailtls_name_normalize lets libidn2 allocate and frees it before returning).
 */
#ifndef MAILTLS_NAMES_H
#define MAILTLS_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MAILTLS_NAME_MAX 253      /* longest DNS name in text form, without trailing dot */

/* Shape of a presented dNSName. */
enum mailtls_presented_kind {
	MAILTLS_PRESENTED_PLAIN = 0,        /* ordinary name, valid syntax */
	MAILTLS_PRESENTED_WILDCARD,         /* "*.example.com": usable wildcard */
	MAILTLS_PRESENTED_PARTIAL_WILDCARD, /* "f*.example.com", "*x.example.com": never matches */
	MAILTLS_PRESENTED_BAD_WILDCARD,     /* "*.*.example.com", "a.*.example.com", "*.com", "*" */
	MAILTLS_PRESENTED_INVALID,          /* NUL, non-ASCII, empty label, too long, bad chars */
};

enum mailtls_name_match {
	MAILTLS_NAME_NOMATCH = 0,
	MAILTLS_NAME_MATCH,           /* exact match */
	MAILTLS_NAME_MATCH_WILDCARD,  /* matched through a valid wildcard */
};

/* mailtls_name_normalize - turn a reference name given by a user (U-label or A-label, any
 * case, optional trailing dot) into lower-case A-label form without trailing dot, in out
 * (outlen >= MAILTLS_NAME_MAX + 1). Uses libidn2 (IDNA2008, non-transitional); an "xn--"
 * label must decode and re-encode to itself. ASCII labels are letters, digits, hyphen and
 * underscore with no hyphen at either end (RFC 1123 2.1). Input is limited to 1024 bytes.
 * Returns 0, or MAILTLS_EINVAL (out is then "") when the name is not a valid DNS name (a
 * wildcard, an empty label, a label over 63 or a name over 253 bytes, or a last label of
 * digits only: an IP address literal such as "192.0.2.1" is not a DNS name, RFC 3696 2). */
int mailtls_name_normalize(const char *in, char *out, size_t outlen);

/* mailtls_name_presented_kind - classify a presented dNSName of len bytes (may contain NUL). */
enum mailtls_presented_kind mailtls_name_presented_kind(const char *presented, size_t len);

/* mailtls_name_match - match a normalized reference name (from mailtls_name_normalize)
 * against one presented dNSName of len bytes, per the rules above. A reference that is not
 * in that form (contains '*', non-ASCII, bad syntax, numeric last label) never matches. */
enum mailtls_name_match mailtls_name_match(const char *reference, const char *presented, size_t len);

/* mailtls_name_distance - a similarity score used to name the nearest near miss in a
 * mismatch message: the Levenshtein distance between the reference and the presented name
 * (ASCII lower-cased, a single trailing dot ignored, wildcard label compared as "*"),
 * capped at 255; 255 also when either name is NULL or longer than MAILTLS_NAME_MAX. */
unsigned mailtls_name_distance(const char *reference, const char *presented, size_t len);

/* mailtls_ehlo_name_valid - is s what RFC 5321 4.1.1.1 lets a client say in EHLO, HELO or
 * LHLO: a domain (labels of letters, digits and hyphens, no hyphen first or last, at most
 * 63 bytes each and 255 in all) or an address literal (RFC 5321 4.1.3: "[", then letters,
 * digits, "." and ":" as in [192.0.2.1] or [IPv6:2001:db8::1], then "]")? Nothing else is
 * ever sent to a server. */
bool mailtls_ehlo_name_valid(const char *s);

#ifdef __cplusplus
}
#endif
#endif
