/*
 * mtasts_read.c - the MTA-STS and TLS-RPT readers (mtasts.h): the _mta-sts TXT record
 * (RFC 8461 3.1), the policy body (RFC 8461 3.2), MX pattern matching (RFC 8461 4.1) and
 * the _smtp._tls TXT record (RFC 8460 3).
 *
 * What it is: pure functions over untrusted bytes (NULs, any encoding, no final newline):
 * nothing is read past a length, every string stored is escaped (escape.h) and bounded.
 * What it is not: no DNS, no HTTP, no verdict; names and freeing are in mtasts_result.c.
 *
 * Choices where the RFCs leave room, each repeated where the code makes it:
 * - TXT records are cut into fields exactly as the ABNF says (`*WSP ";" *WSP` between
 *   fields, one trailing delimiter allowed): an empty field (";;") or whitespace at the end
 *   of a record that no ';' precedes is a syntax error, fatal like every other.
 * - When nothing after the version can be cut into fields ("v=TLSRPTv1 rua=..."), only the
 *   syntax error is reported: "no id" or "no rua" would misname a field that is there.
 * - A record with no field at all ("v=STSv1", "v=STSv1;") is reported as "no id" (or "no
 *   rua") only: the ABNF's "at least one field" is there for that field.
 * - Field names are case-sensitive (%s strings in both RFCs): "ID=1" is an extension and
 *   "Mode: enforce" an unknown policy key.
 * - A second id= or rua= field: the first counts; the later one is a non-fatal syntax
 *   defect quoting it (neither ABNF forbids the repetition, but two values are ambiguous).
 * - Policy: empty lines are ignored (the ABNF has none; a stray blank line is common and
 *   harmless); a line may not start with whitespace (the published ABNF dropped the
 *   leading *WSP); values follow sts-policy-ext-value (no control characters, no tab
 *   inside); a CR is removed only before an LF. A body with a NUL or invalid UTF-8 is
 *   reported once (the first such line) and still read, so the other defects show too.
 * - Defect lists are capped, but a fatal defect is always kept: non-fatal ones stop
 *   FATAL_ROOM entries short of MAILTLS_STS_PROBLEMS_MAX (at most five fatal defects can
 *   occur in one record set or policy).
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mailtls/mailtls.h>
#include <mailtls/mtasts.h>
#include "escape.h"

#define FATAL_ROOM 6             /* problem slots only fatal defects may take */
#define RECORD_KEEP 4096         /* source bytes of a TXT record kept in `records` */
#define URI_KEEP 1024            /* source bytes of a rua URI kept */
#define EXT_NAME_MAX 32          /* RFC 8461 3.1: (ALPHA / DIGIT) *31(...) */
#define STS_ID_MAX 32            /* RFC 8461 3.1: 1*32(ALPHA / DIGIT) */
#define DNS_NAME_MAX 253         /* RFC 1035 2.3.4, without the trailing dot */
#define DNS_LABEL_MAX 63
#define MAX_AGE_DIGITS 10        /* RFC 8461 3.2: 1*10(DIGIT) */

/* Characters, as ASCII whatever the locale says. */

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_alpha(c) || is_digit(c);
}

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static char to_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool caseeq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (to_lower(a[i]) != to_lower(b[i]))
			return false;
	return true;
}

static bool all_alnum(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]))
			return false;
	return true;
}

/* Defects. */

/* A reader's problem list, and whether a fatal defect was seen (kept or only counted). */
struct reader {
	struct mailtls_sts_problems *ps;
	bool fatal;
};

/* escape_cut - s[0..n) escaped for display, at most max bytes of the source, cut where a
 * character starts so that a long UTF-8 line does not end in a stray \xHH. */
static char *escape_cut(const char *s, size_t n, size_t max)
{
	if (n > max) {
		n = max;
		for (int back = 0; back < 3 && n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80; back++)
			n--;
	}
	return escape_text(s, n);
}

/* defect - record a defect, quoting q[0..qn) (NULL: no quote). Past the cap it is only
 * counted; fatal ones have FATAL_ROOM slots of their own so that they are always listed.
 * 0 or MAILTLS_ENOMEM. */
static int defect(struct reader *r, enum mailtls_sts_defect d, unsigned line, const char *q,
		  size_t qn, bool fatal)
{
	struct mailtls_sts_problems *ps = r->ps;
	size_t cap = fatal ? MAILTLS_STS_PROBLEMS_MAX : MAILTLS_STS_PROBLEMS_MAX - FATAL_ROOM;
	struct mailtls_sts_problem *v;
	char *quote = NULL;

	if (fatal)
		r->fatal = true;
	if (ps->n >= cap) {
		ps->omitted++;
		return 0;
	}
	if (q != NULL && (quote = escape_cut(q, qn, MAILTLS_STS_QUOTE_MAX)) == NULL)
		return MAILTLS_ENOMEM;
	v = realloc(ps->v, (ps->n + 1) * sizeof(*v));
	if (v == NULL) {
		free(quote);
		return MAILTLS_ENOMEM;
	}
	ps->v = v;
	v[ps->n++] = (struct mailtls_sts_problem){
		.defect = d, .line = line, .quote = quote, .fatal = fatal,
	};
	return 0;
}

/* keep_escaped - append s[0..n) to l, escaped, at most max bytes of the source. */
static int keep_escaped(struct mailtls_strlist *l, const char *s, size_t n, size_t max)
{
	char *e = escape_cut(s, n, max);
	int rc;

	if (e == NULL)
		return MAILTLS_ENOMEM;
	rc = mailtls_strlist_add(l, e, strlen(e));
	free(e);
	return rc;
}

/* Names. */

/* dns_name_ok - s[0..n) is an RFC 5321 Domain: dot-separated labels of letters, digits and
 * hyphens, no hyphen first or last, 1..63 bytes each, at most 253 in all. One label alone
 * is a Domain too. No trailing dot (callers strip one where they tolerate it). */
static bool dns_name_ok(const char *s, size_t n)
{
	size_t label = 0;

	if (n == 0 || n > DNS_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (is_alnum(s[i]) || (s[i] == '-' && label > 0)) {
			if (++label > DNS_LABEL_MAX)
				return false;
		} else {
			return false;
		}
	}
	return label > 0 && s[n - 1] != '-';
}

/* ext_name_len - length of the ext-name at the start of s[0..n) (RFC 8461 3.1 and 3.2,
 * RFC 8460 3: (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")), 0 if none. A longer
 * run of name characters stops at 32: what follows then is not the expected '=' or ':'. */
static size_t ext_name_len(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !is_alnum(s[0]))
		return 0;
	for (i = 1; i < n && i < EXT_NAME_MAX; i++)
		if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
			break;
	return i;
}

/* txt_extension_ok - a TXT record extension field: ext-name "=" 1*(%x21-3A / %x3C /
 * %x3E-7E), the same in RFC 8461 3.1 and RFC 8460 3 (no '=', ';', space or control in the
 * value). */
static bool txt_extension_ok(const char *f, size_t n)
{
	size_t k = ext_name_len(f, n);

	if (k == 0 || k + 1 >= n || f[k] != '=')
		return false;
	for (size_t i = k + 1; i < n; i++) {
		unsigned char c = (unsigned char)f[i];

		if (c < 0x21 || c > 0x7e || c == ';' || c == '=')
			return false;
	}
	return true;
}

/* TXT records: tags and fields. */

/* starts_tag - the record starts with tag, followed by its end, ';' or WSP (RFC 8461 3.1
 * says "v=STSv1;", but WSP may come before the ';' by the ABNF's sts-field-delim). */
static bool starts_tag(const char *s, size_t n, const char *tag)
{
	size_t tl = strlen(tag);

	return n >= tl && memcmp(s, tag, tl) == 0 && (n == tl || s[tl] == ';' || is_wsp(s[tl]));
}

/*
 * The fields after the version tag, RFC 8461 3.1 and RFC 8460 3 alike:
 *   version 1*(field-delim field) [field-delim],  field-delim = *WSP ";" *WSP
 * Each field comes without the WSP around it. `bad` is set for what the ABNF does not
 * allow but leaves the fields readable: an empty field (";;") and WSP at the end of the
 * record that no ';' precedes.
 */
struct fields {
	const char *p;                /* at a ';' or at end */
	const char *end;
	bool bad;
};

/* fields_begin - false when what follows the tag is not *WSP then ';' or the end: the record
 * cannot be cut into fields at all. */
static bool fields_begin(struct fields *it, const char *rest, const char *end)
{
	const char *q = rest;

	while (q < end && is_wsp(*q))
		q++;
	*it = (struct fields){ .p = q, .end = end, .bad = q == end && q != rest };
	return q == end || *q == ';';
}

/* fields_next - the next field in [*f, *f + *n), false at the end. */
static bool fields_next(struct fields *it, const char **f, size_t *n)
{
	while (it->p < it->end) {
		const char *s = it->p + 1, *e, *fe;

		while (s < it->end && is_wsp(*s))
			s++;
		for (e = s; e < it->end && *e != ';'; e++)
			;
		for (fe = e; fe > s && is_wsp(fe[-1]); fe--)
			;
		it->p = e;
		if (fe == s) {
			if (e == it->end)
				return false;   /* the one trailing delimiter allowed */
			it->bad = true;         /* ";;": an empty field */
			continue;
		}
		if (e == it->end && fe != e)
			it->bad = true;         /* "id=1 " at the very end: no delimiter */
		*f = s;
		*n = (size_t)(fe - s);
		return true;
	}
	return false;
}

/* One TXT record being read: the syntax defect is reported once, quoting the record. */
struct txt_reader {
	struct reader r;
	const char *rec;
	size_t len;
	bool syntax;
};

static int txt_syntax(struct txt_reader *x, enum mailtls_sts_defect d)
{
	if (x->syntax)
		return 0;
	x->syntax = true;
	return defect(&x->r, d, 0, x->rec, x->len, true);
}

/* txt_in - one record's bytes, NULL taken as empty. */
static void txt_in(const struct mailtls_txt_in *in, const char **s, size_t *n)
{
	*s = in->text != NULL ? in->text : "";
	*n = in->text != NULL ? in->len : 0;
}

/* The _mta-sts record (RFC 8461 3.1). */

/* sts_id - an id= field. The first one counts; a later one is a non-fatal syntax defect
 * (the ABNF allows fields to repeat, but a second id makes the policy instance ambiguous). */
static int sts_id(struct mailtls_sts_txt *t, struct txt_reader *x, const char *f, size_t n,
		  bool *have_id)
{
	if (*have_id)
		return defect(&x->r, MAILTLS_STS_TXT_SYNTAX, 0, f, n, false);
	*have_id = true;
	if (n - 3 < 1 || n - 3 > STS_ID_MAX || !all_alnum(f + 3, n - 3))
		return defect(&x->r, MAILTLS_STS_TXT_BAD_ID, 0, f, n, true);
	t->id = strndup(f + 3, n - 3);
	return t->id != NULL ? 0 : MAILTLS_ENOMEM;
}

/* sts_record - read the one v=STSv1 record. Field names are case-sensitive (%s"id="), so
 * "ID=1" is an extension, and the record then has no id. */
static int sts_record(struct mailtls_sts_txt *t, struct txt_reader *x)
{
	static const char tag[] = "v=STSv1";
	struct fields it;
	const char *f;
	size_t n;
	bool have_id = false;
	int rc;

	if (!fields_begin(&it, x->rec + sizeof(tag) - 1, x->rec + x->len))
		return txt_syntax(x, MAILTLS_STS_TXT_SYNTAX);
	while (fields_next(&it, &f, &n)) {
		if (n >= 3 && memcmp(f, "id=", 3) == 0)
			rc = sts_id(t, x, f, n, &have_id);
		else if (!txt_extension_ok(f, n))
			rc = txt_syntax(x, MAILTLS_STS_TXT_SYNTAX);
		else
			rc = 0;
		if (rc == 0 && it.bad)
			rc = txt_syntax(x, MAILTLS_STS_TXT_SYNTAX);
		if (rc != 0)
			return rc;
	}
	if (it.bad && (rc = txt_syntax(x, MAILTLS_STS_TXT_SYNTAX)) != 0)
		return rc;
	if (!have_id)
		return defect(&x->r, MAILTLS_STS_TXT_NO_ID, 0, NULL, 0, true);
	return 0;
}

static void sts_txt_reset(struct mailtls_sts_txt *t)
{
	mailtls_strlist_clear(&t->records);
	mailtls_sts_problems_clear(&t->problems);
	free(t->id);
	t->id = NULL;
	t->n_sts = 0;
	t->valid = false;
}

int mailtls_sts_txt_read(struct mailtls_sts_txt *t, const struct mailtls_txt_in *recs,
			 size_t n)
{
	struct txt_reader x = { .r = { .ps = &t->problems } };
	int rc;

	sts_txt_reset(t);
	for (size_t i = 0; i < n; i++) {
		const char *s;
		size_t len;

		txt_in(&recs[i], &s, &len);
		if ((rc = keep_escaped(&t->records, s, len, RECORD_KEEP)) != 0)
			return rc;
		if (starts_tag(s, len, "v=STSv1")) {
			t->n_sts++;
			x.rec = s;
			x.len = len;
		} else if (len >= 5 && caseeq(s, "v=sts", 5)) {
			/* v=STSv2, v=stsv1, v=STSv10: not an STS record, so senders drop it. */
			rc = defect(&x.r, MAILTLS_STS_TXT_OTHER_VERSION, 0, s, len, false);
			if (rc != 0)
				return rc;
		}
	}
	if (t->n_sts > 1)
		return defect(&x.r, MAILTLS_STS_TXT_MULTIPLE, 0, NULL, 0, true);
	if (t->n_sts == 0)
		return 0;
	if ((rc = sts_record(t, &x)) != 0)
		return rc;
	t->valid = !x.r.fatal && t->id != NULL;
	if (!t->valid) {
		free(t->id);
		t->id = NULL;
	}
	return 0;
}

/* The _smtp._tls record (RFC 8460 3). */

/* The URI of a rua, judged. */
enum uri_kind {
	URI_OK,
	URI_NOT_URI,                  /* not a URI at all (RFC 3986): the record is then
	                               * syntactically invalid (RFC 8460 3: no TLS-RPT) */
	URI_BAD,                      /* a malformed mailto: or https: URI */
	URI_SCHEME,                   /* a URI of another scheme */
};

/* uri_chars_ok - only RFC 3986 URI characters: unreserved, reserved and "%" HEXDIG HEXDIG.
 * RFC 8460 3: ',' '!' and ';' MUST be encoded, so they are refused raw (',' and ';' cannot
 * reach here: they cut the list and the record). */
static bool uri_chars_ok(const char *s, size_t n)
{
	static const char other[] = "-._~:/?#[]@$&'()*+=";

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
				return false;
			i += 2;
		} else if (!is_alnum(s[i]) && (s[i] == '\0' || strchr(other, s[i]) == NULL)) {
			return false;
		}
	}
	return true;
}

/* mailto_ok - what follows "mailto:" (RFC 6068): an addr-spec local@domain, then maybe
 * "?" hfields. The local part takes unreserved, percent-encoded and the sub-delims that
 * an address may hold ("$&'*+="), plus "/"; the domain is a DNS name (no IP literal: a
 * report address on a bare IP is not something to encourage). */
static bool mailto_ok(const char *s, size_t n)
{
	static const char local_other[] = "-._~%$&'*+=/";
	const char *at = memchr(s, '@', n);
	const char *q = memchr(s, '?', n);
	size_t dn;

	if (at == NULL || at == s || (q != NULL && q < at))
		return false;
	for (const char *c = s; c < at; c++)
		if (!is_alnum(*c) && strchr(local_other, *c) == NULL)
			return false;
	dn = (size_t)((q != NULL ? q : s + n) - (at + 1));
	return dns_name_ok(at + 1, dn);
}

/* ip_literal_ok - "[" IPv6 "]", or "[" IPv4 "]" which RFC 3986 does not write that way but
 * which means one thing only. */
static bool ip_literal_ok(const char *s, size_t n)
{
	char buf[64];
	unsigned char addr[16];

	if (n < 3 || n - 2 >= sizeof(buf))
		return false;
	memcpy(buf, s + 1, n - 2);
	buf[n - 2] = '\0';
	return inet_pton(AF_INET6, buf, addr) == 1 || inet_pton(AF_INET, buf, addr) == 1;
}

/* port_ok - 1 to 5 digits, at most 65535 (RFC 3986 allows an empty port; a rua with
 * "host:" is taken as a mistake). */
static bool port_ok(const char *s, size_t n)
{
	unsigned long v = 0;

	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v <= 65535;
}

/* https_ok - what follows "https:": "//" host [":" port], then maybe a path, query and
 * fragment (RFC 3986 3). A userinfo ("user@host") is refused: reports are posted, nobody
 * logs in. Brackets only around the host, at most one '#'. */
static bool https_ok(const char *s, size_t n)
{
	const char *end = s + n, *h, *a, *colon = NULL, *hend;
	bool hash = false;

	if (n < 3 || s[0] != '/' || s[1] != '/')
		return false;
	h = s + 2;
	for (a = h; a < end && *a != '/' && *a != '?' && *a != '#'; a++)
		if (*a == '@')
			return false;
	if (h < a && *h == '[') {
		const char *rb = memchr(h, ']', (size_t)(a - h));

		if (rb == NULL || !ip_literal_ok(h, (size_t)(rb + 1 - h)))
			return false;
		hend = rb + 1;
		if (hend < a && *hend != ':')
			return false;
		colon = hend < a ? hend : NULL;
	} else {
		colon = memchr(h, ':', (size_t)(a - h));
		hend = colon != NULL ? colon : a;
		if (!dns_name_ok(h, (size_t)(hend - h)))
			return false;
	}
	if (colon != NULL && !port_ok(colon + 1, (size_t)(a - colon - 1)))
		return false;
	for (const char *c = a; c < end; c++) {
		if (*c == '[' || *c == ']' || (*c == '#' && hash))
			return false;
		hash = hash || *c == '#';
	}
	return true;
}

/* uri_check - one rua URI: scheme ":" then mailto: or https: as above; schemes compare
 * case-insensitively (RFC 3986 3.1). */
static enum uri_kind uri_check(const char *s, size_t n)
{
	size_t k = 0;

	if (n == 0 || !is_alpha(s[0]))
		return URI_NOT_URI;
	while (k < n && (is_alnum(s[k]) || s[k] == '+' || s[k] == '-' || s[k] == '.'))
		k++;
	if (k == n || s[k] != ':' || !uri_chars_ok(s, n))
		return URI_NOT_URI;
	if (k == 6 && caseeq(s, "mailto", 6))
		return mailto_ok(s + 7, n - 7) ? URI_OK : URI_BAD;
	if (k == 5 && caseeq(s, "https", 5))
		return https_ok(s + 6, n - 6) ? URI_OK : URI_BAD;
	return URI_SCHEME;
}

/* The record being read, with the one rua. */
struct rpt_reader {
	struct txt_reader x;
	struct mailtls_tlsrpt *r;
	bool have_rua;
	bool any_valid;               /* a valid URI, kept or not */
};

/* rpt_uri - judge and keep one URI (at most MAILTLS_RPT_URIS_MAX are kept; all judged). */
static int rpt_uri(struct rpt_reader *y, const char *s, size_t n)
{
	enum uri_kind k = uri_check(s, n);
	struct mailtls_tlsrpt *r = y->r;
	struct mailtls_rpt_uri *v;
	char *e;
	int rc = 0;

	if (k == URI_OK)
		y->any_valid = true;
	else
		rc = defect(&y->x.r, k == URI_SCHEME ? MAILTLS_RPT_SCHEME : MAILTLS_RPT_BAD_URI, 0,
			    s, n, k == URI_NOT_URI);
	if (rc != 0)
		return rc;
	if (r->n_rua >= MAILTLS_RPT_URIS_MAX) {
		r->rua_omitted++;
		return 0;
	}
	if ((e = escape_cut(s, n, URI_KEEP)) == NULL)
		return MAILTLS_ENOMEM;
	v = realloc(r->rua, (r->n_rua + 1) * sizeof(*v));
	if (v == NULL) {
		free(e);
		return MAILTLS_ENOMEM;
	}
	r->rua = v;
	v[r->n_rua++] = (struct mailtls_rpt_uri){ .uri = e, .valid = k == URI_OK };
	return 0;
}

/* rpt_rua - the URIs of a rua= field: tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri). Only the WSP
 * next to a comma is the list's: a space anywhere else belongs to the URI and makes it bad.
 * An empty URI ("rua=", "a,,b", a trailing ',') is a syntax error of the record. */
static int rpt_rua(struct rpt_reader *y, const char *s, size_t n)
{
	const char *p = s, *end = s + n;
	int rc;

	for (;;) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		const char *e = c != NULL ? c : end;
		const char *ue = e;

		if (p != s)
			while (p < e && is_wsp(*p))
				p++;
		if (c != NULL)
			while (ue > p && is_wsp(ue[-1]))
				ue--;
		rc = ue == p ? txt_syntax(&y->x, MAILTLS_RPT_SYNTAX) :
			       rpt_uri(y, p, (size_t)(ue - p));
		if (rc != 0 || c == NULL)
			return rc;
		p = c + 1;
	}
}

/* rpt_record - read the one v=TLSRPTv1 record; as for id=, a second rua= is a non-fatal
 * syntax defect and is not read. */
static int rpt_record(struct rpt_reader *y)
{
	static const char tag[] = "v=TLSRPTv1";
	struct txt_reader *x = &y->x;
	struct fields it;
	const char *f;
	size_t n;
	int rc;

	if (!fields_begin(&it, x->rec + sizeof(tag) - 1, x->rec + x->len))
		return txt_syntax(x, MAILTLS_RPT_SYNTAX);
	while (fields_next(&it, &f, &n)) {
		if (n >= 4 && memcmp(f, "rua=", 4) == 0 && y->have_rua) {
			rc = defect(&x->r, MAILTLS_RPT_SYNTAX, 0, f, n, false);
		} else if (n >= 4 && memcmp(f, "rua=", 4) == 0) {
			y->have_rua = true;
			rc = rpt_rua(y, f + 4, n - 4);
		} else if (!txt_extension_ok(f, n)) {
			rc = txt_syntax(x, MAILTLS_RPT_SYNTAX);
		} else {
			rc = 0;
		}
		if (rc == 0 && it.bad)
			rc = txt_syntax(x, MAILTLS_RPT_SYNTAX);
		if (rc != 0)
			return rc;
	}
	if (it.bad && (rc = txt_syntax(x, MAILTLS_RPT_SYNTAX)) != 0)
		return rc;
	if (!y->have_rua)
		return defect(&x->r, MAILTLS_RPT_NO_RUA, 0, NULL, 0, true);
	return 0;
}

static void tlsrpt_reset(struct mailtls_tlsrpt *r)
{
	mailtls_strlist_clear(&r->records);
	for (size_t i = 0; i < r->n_rua; i++)
		free(r->rua[i].uri);
	free(r->rua);
	r->rua = NULL;
	r->n_rua = 0;
	r->rua_omitted = 0;
	mailtls_sts_problems_clear(&r->problems);
	r->n_rpt = 0;
	r->valid = false;
}

int mailtls_tlsrpt_read(struct mailtls_tlsrpt *r, const struct mailtls_txt_in *recs,
			size_t n)
{
	struct rpt_reader y = { .x = { .r = { .ps = &r->problems } }, .r = r };
	int rc;

	tlsrpt_reset(r);
	for (size_t i = 0; i < n; i++) {
		const char *s;
		size_t len;

		txt_in(&recs[i], &s, &len);
		if ((rc = keep_escaped(&r->records, s, len, RECORD_KEEP)) != 0)
			return rc;
		if (starts_tag(s, len, "v=TLSRPTv1")) {
			r->n_rpt++;
			y.x.rec = s;
			y.x.len = len;
		}
	}
	if (r->n_rpt > 1)
		return defect(&y.x.r, MAILTLS_RPT_MULTIPLE, 0, NULL, 0, true);
	if (r->n_rpt == 0)
		return 0;
	if ((rc = rpt_record(&y)) != 0)
		return rc;
	r->valid = !y.x.r.fatal && y.any_valid;
	return 0;
}

/* The policy (RFC 8461 3.2). */

struct policy_reader {
	struct reader r;
	struct mailtls_sts_policy *p;
	unsigned version_line, mode_line, max_age_line; /* where each was first given */
	bool seen_line;               /* a non-empty line came before */
	bool mx_full;                 /* MAILTLS_STS_MX_MAX patterns kept, said so */
};

/* text_check - offset of the first NUL or byte that is not part of valid UTF-8, or len. */
static size_t text_check(const char *body, size_t len)
{
	const unsigned char *u = (const unsigned char *)body;

	for (size_t i = 0; i < len;) {
		unsigned cp;
		size_t k = u[i] == 0 ? 0 : utf8_decode(u + i, len - i, &cp);

		if (k == 0)
			return i;
		i += k;
	}
	return len;
}

/* not_text - the NOT_TEXT defect, quoting the line that holds the byte at off. */
static int not_text(struct policy_reader *pr, const char *body, size_t len, size_t off)
{
	size_t start = off, end = off;
	unsigned line = 1;

	while (start > 0 && body[start - 1] != '\n')
		start--;
	while (end < len && body[end] != '\n')
		end++;
	if (end < len && end > start && body[end - 1] == '\r')
		end--;
	for (size_t i = 0; i < start; i++)
		line += body[i] == '\n';
	return defect(&pr->r, MAILTLS_STS_POL_NOT_TEXT, line, body + start, end - start, true);
}

/* policy_value_ok - sts-policy-ext-value: a visible character (ASCII or UTF-8), then
 * visible characters and spaces, ending with a visible one (no tab, no control). The
 * caller removed the WSP around it; UTF-8 validity was checked on the whole body. */
static bool policy_value_ok(const char *v, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

static bool value_is(const char *v, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(v, want, n) == 0;
}

/* first_time - the first line with this key? A later one is a DUPLICATE (the first
 * counts, RFC 8461 3.2 says nothing of repeats: this is what senders that keep the first
 * do, and the defect makes the ambiguity visible). */
static int first_time(struct policy_reader *pr, unsigned *first, unsigned ln, const char *l,
		      size_t n, bool *is_first)
{
	*is_first = *first == 0;
	if (*is_first) {
		*first = ln;
		return 0;
	}
	return defect(&pr->r, MAILTLS_STS_POL_DUPLICATE, ln, l, n, false);
}

/* pol_version - "version: STSv1". Another value is fatal. Not on the first non-empty line
 * is a non-fatal defect: RFC 8461 3.2's ABNF lets the fields come in any order and its
 * senders accept it so, but every example and most readers put it first. */
static int pol_version(struct policy_reader *pr, unsigned ln, const char *l, size_t n,
		       const char *v, size_t vn, bool first_line)
{
	bool first;
	int rc = first_time(pr, &pr->version_line, ln, l, n, &first);

	if (rc != 0 || !first)
		return rc;
	if (!value_is(v, vn, "STSv1"))
		return defect(&pr->r, MAILTLS_STS_POL_VERSION, ln, l, n, true);
	if (!first_line)
		return defect(&pr->r, MAILTLS_STS_POL_VERSION, ln, l, n, false);
	return 0;
}

static int pol_mode(struct policy_reader *pr, unsigned ln, const char *l, size_t n,
		    const char *v, size_t vn)
{
	static const struct { const char *name; enum mailtls_sts_mode mode; } modes[] = {
		{ "enforce", MAILTLS_STS_MODE_ENFORCE },
		{ "testing", MAILTLS_STS_MODE_TESTING },
		{ "none", MAILTLS_STS_MODE_NONE },
	};
	bool first;
	int rc = first_time(pr, &pr->mode_line, ln, l, n, &first);

	if (rc != 0 || !first)
		return rc;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (value_is(v, vn, modes[i].name)) {
			pr->p->mode = modes[i].mode;
			return 0;
		}
	}
	return defect(&pr->r, MAILTLS_STS_POL_MODE_UNKNOWN, ln, l, n, true);
}

/* pol_max_age - 1*10(DIGIT), at most MAILTLS_STS_MAX_AGE_MAX; leading zeros allowed (the
 * ABNF counts digits, not value). */
static int pol_max_age(struct policy_reader *pr, unsigned ln, const char *l, size_t n,
		       const char *v, size_t vn)
{
	unsigned long long age = 0;
	bool first;
	int rc = first_time(pr, &pr->max_age_line, ln, l, n, &first);

	if (rc != 0 || !first)
		return rc;
	if (vn == 0 || vn > MAX_AGE_DIGITS)
		return defect(&pr->r, MAILTLS_STS_POL_MAX_AGE_BAD, ln, l, n, true);
	for (size_t i = 0; i < vn; i++) {
		if (!is_digit(v[i]))
			return defect(&pr->r, MAILTLS_STS_POL_MAX_AGE_BAD, ln, l, n, true);
		age = age * 10 + (unsigned long long)(v[i] - '0');
	}
	if (age > MAILTLS_STS_MAX_AGE_MAX)
		return defect(&pr->r, MAILTLS_STS_POL_MAX_AGE_BAD, ln, l, n, true);
	pr->p->have_max_age = true;
	pr->p->max_age = (unsigned long)age;
	return 0;
}

/* pol_mx - ["*."] Domain, kept in lower case without a trailing dot (tolerated: it names
 * the same host). A bad pattern is skipped, quoting the pattern; past MAILTLS_STS_MX_MAX
 * patterns the rest are not read (one TOO_LONG, quoting the first line not read). */
static int pol_mx(struct policy_reader *pr, unsigned ln, const char *l, size_t n,
		  const char *v, size_t vn)
{
	char pat[2 + DNS_NAME_MAX + 1];
	size_t star = vn >= 2 && v[0] == '*' && v[1] == '.' ? 2 : 0;
	size_t dn = vn - star;

	if (dn > 0 && v[vn - 1] == '.')
		dn--;
	if (!dns_name_ok(v + star, dn))
		return defect(&pr->r, MAILTLS_STS_POL_MX_BAD, ln, v, vn, false);
	if (pr->p->mx.n >= MAILTLS_STS_MX_MAX) {
		if (pr->mx_full)
			return 0;
		pr->mx_full = true;
		return defect(&pr->r, MAILTLS_STS_POL_TOO_LONG, ln, l, n, false);
	}
	for (size_t i = 0; i < star + dn; i++)
		pat[i] = to_lower(v[i]);
	pat[star + dn] = '\0';
	return mailtls_strlist_add(&pr->p->mx, pat, star + dn);
}

/* pol_line - one non-empty line: key ":" *WSP value *WSP. The key is an
 * sts-policy-ext-name (known keys are all of that form), compared case-sensitively. */
static int pol_line(struct policy_reader *pr, unsigned ln, const char *l, size_t n)
{
	size_t k = ext_name_len(l, n), vs, ve;
	bool first_line = !pr->seen_line;

	pr->seen_line = true;
	if (k == 0 || k >= n || l[k] != ':')
		return defect(&pr->r, MAILTLS_STS_POL_SYNTAX, ln, l, n, false);
	for (vs = k + 1; vs < n && is_wsp(l[vs]); vs++)
		;
	for (ve = n; ve > vs && is_wsp(l[ve - 1]); ve--)
		;
	if (!policy_value_ok(l + vs, ve - vs))
		return defect(&pr->r, MAILTLS_STS_POL_SYNTAX, ln, l, n, false);
	if (value_is(l, k, "version"))
		return pol_version(pr, ln, l, n, l + vs, ve - vs, first_line);
	if (value_is(l, k, "mode"))
		return pol_mode(pr, ln, l, n, l + vs, ve - vs);
	if (value_is(l, k, "max_age"))
		return pol_max_age(pr, ln, l, n, l + vs, ve - vs);
	if (value_is(l, k, "mx"))
		return pol_mx(pr, ln, l, n, l + vs, ve - vs);
	return 0;                     /* an extension: ignored (RFC 8461 3.2) */
}

/* pol_lines - every line up to MAILTLS_STS_LINES_MAX; a line past it is a TOO_LONG and
 * ends the reading. Empty lines are skipped (see the file comment). */
static int pol_lines(struct policy_reader *pr, const char *body, size_t len)
{
	size_t pos = 0;
	int rc;

	for (unsigned ln = 1; pos < len; ln++) {
		const char *l = body + pos, *nl = memchr(l, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - l) : len - pos;

		if (ln > MAILTLS_STS_LINES_MAX)
			return defect(&pr->r, MAILTLS_STS_POL_TOO_LONG, ln, NULL, 0, false);
		pos += n + (nl != NULL);
		if (nl != NULL && n > 0 && l[n - 1] == '\r')
			n--;
		if (n > 0 && (rc = pol_line(pr, ln, l, n)) != 0)
			return rc;
	}
	return 0;
}

/* pol_missing - what must be there once everything is read. */
static int pol_missing(struct policy_reader *pr)
{
	const struct mailtls_sts_policy *p = pr->p;
	int rc = 0;

	if (pr->version_line == 0)
		rc = defect(&pr->r, MAILTLS_STS_POL_VERSION, 0, NULL, 0, true);
	if (rc == 0 && pr->mode_line == 0)
		rc = defect(&pr->r, MAILTLS_STS_POL_MODE_MISSING, 0, NULL, 0, true);
	if (rc == 0 && pr->max_age_line == 0)
		rc = defect(&pr->r, MAILTLS_STS_POL_MAX_AGE_MISSING, 0, NULL, 0, true);
	if (rc == 0 && p->mx.n == 0 &&
	    (p->mode == MAILTLS_STS_MODE_ENFORCE || p->mode == MAILTLS_STS_MODE_TESTING))
		rc = defect(&pr->r, MAILTLS_STS_POL_MX_MISSING, 0, NULL, 0, true);
	return rc;
}

int mailtls_sts_policy_read(struct mailtls_sts_policy *p, const char *body, size_t len)
{
	struct policy_reader pr = { .r = { .ps = &p->problems }, .p = p };
	size_t bad;
	int rc;

	mailtls_strlist_clear(&p->mx);
	mailtls_sts_problems_clear(&p->problems);
	p->valid = false;
	p->mode = MAILTLS_STS_MODE_UNSET;
	p->have_max_age = false;
	p->max_age = 0;
	if (body == NULL)
		len = 0;
	if ((bad = text_check(body, len)) < len && (rc = not_text(&pr, body, len, bad)) != 0)
		return rc;
	if ((rc = pol_lines(&pr, body, len)) != 0 || (rc = pol_missing(&pr)) != 0)
		return rc;
	p->valid = !pr.r.fatal;
	return 0;
}

/* MX patterns (RFC 8461 4.1). */

static size_t len_no_dot(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && s[n - 1] == '.' ? n - 1 : n;
}

bool mailtls_sts_mx_match(const char *pattern, const char *host)
{
	size_t pn, hn;
	const char *dot;

	if (pattern == NULL || host == NULL)
		return false;
	pn = len_no_dot(pattern);
	hn = len_no_dot(host);
	/* A '*' in a host name is no wildcard: such a host matches nothing. */
	if (pn == 0 || hn == 0 || memchr(host, '*', hn) != NULL)
		return false;
	if (pn >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* "*.parent": exactly one non-empty label, then ".parent". */
		if (pn == 2 || memchr(pattern + 2, '*', pn - 2) != NULL)
			return false;
		dot = memchr(host, '.', hn);
		if (dot == NULL || dot == host)
			return false;
		return (size_t)(host + hn - (dot + 1)) == pn - 2 && caseeq(dot + 1, pattern + 2, pn - 2);
	}
	if (memchr(pattern, '*', pn) != NULL)
		return false;
	return pn == hn && caseeq(pattern, host, pn);
}

int mailtls_sts_mx_first(const struct mailtls_strlist *l, const char *host)
{
	if (l == NULL)
		return -1;
	for (size_t i = 0; i < l->n; i++)
		if (mailtls_sts_mx_match(l->v[i], host))
			return (int)i;
	return -1;
}
