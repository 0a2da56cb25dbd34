/*
 * dnsparse.c - a DNS answer packet into a struct dns_answer (dns.h): the pure part of the
 * resolver, with no I/O, so that unit tests and a fuzz target drive it without a network.
 *
 * ldns reads the wire format (ldns_wire2pkt) and writes names as text (ldns_rdf2str); we
 * only walk its structures: the CNAME chain from the question's name (RFC 1034 3.6.2), then
 * the records of the type asked whose owner is the chain's end, each checked for its
 * rdata's shape and bounded (dns.h's DNS_*_MAX). What a record holds is not interpreted
 * (an MX target is a name, a TXT a string of bytes): that is the caller's policy.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ldns/ldns.h>
#include "dns.h"

const char *dns_status_name(enum dns_status s)
{
	switch (s) {
	case DNS_NOANSWER:
		return "noanswer";
	case DNS_INSECURE:
		return "insecure";
	case DNS_SECURE:
		return "secure";
	case DNS_BOGUS:
		return "bogus";
	}
	return "?";
}

/* rdf_name_text - a dname rdf as dns.h's names: ldns's presentation form (non-printable
 * and special bytes as \DDD or \c), lower-cased, the trailing dot cut; the root is "". */
static int rdf_name_text(const ldns_rdf *rdf, char *buf, size_t buflen, bool *root)
{
	char *s;
	size_t n;

	if (rdf == NULL || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME)
		return -1;
	if ((s = ldns_rdf2str(rdf)) == NULL)
		return -1;
	n = strlen(s);
	if (n > 0 && s[n - 1] == '.')   /* the root label's dot: ldns writes a dot inside a
	                                  * label as "\.", so the last one is always this */
		n--;
	if (n >= buflen) {
		free(s);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f) {   /* ldns escapes these; never let one through */
			free(s);
			return -1;
		}
		buf[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	buf[n] = '\0';
	free(s);
	if (root != NULL)
		*root = n == 0;
	return 0;
}

static char *rdf_name_dup(const ldns_rdf *rdf, bool *root)
{
	char buf[DNS_NAME_TEXT_MAX];

	if (rdf_name_text(rdf, buf, sizeof(buf), root) != 0)
		return NULL;
	return strdup(buf);
}

int dns_name_text(const uint8_t *wire, size_t len, char *buf, size_t buflen, bool *root)
{
	ldns_rdf *rdf = NULL;
	size_t pos = 0;
	int r;

	if (buflen > 0)
		buf[0] = '\0';
	if (ldns_wire2dname(&rdf, wire, len, &pos) != LDNS_STATUS_OK)
		return -1;
	r = pos == len ? rdf_name_text(rdf, buf, buflen, root) : -1;
	ldns_rdf_deep_free(rdf);
	if (r != 0 && buflen > 0)
		buf[0] = '\0';
	return r;
}

int dns_ptr_name(const struct sockaddr *sa, char *buf, size_t buflen)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[80];
	size_t o = 0;

	if (sa->sa_family == AF_INET) {
		const uint8_t *a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;

		snprintf(tmp, sizeof(tmp), "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]);
	} else if (sa->sa_family == AF_INET6) {
		const uint8_t *a = (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;

		/* RFC 3596 2.5: nibbles, least significant first. */
		for (int i = 15; i >= 0; i--) {
			tmp[o++] = hex[a[i] & 0xf];
			tmp[o++] = '.';
			tmp[o++] = hex[a[i] >> 4];
			tmp[o++] = '.';
		}
		memcpy(tmp + o, "ip6.arpa", sizeof("ip6.arpa"));
	} else {
		return -1;
	}
	if (strlen(tmp) >= buflen)
		return -1;
	memcpy(buf, tmp, strlen(tmp) + 1);
	return 0;
}

static void record_clear(struct dns_record *r)
{
	switch (r->type) {
	case DNS_T_MX:
		free(r->u.mx.target);
		break;
	case DNS_T_TLSA:
		free(r->u.tlsa.data);
		break;
	case DNS_T_TXT:
		free(r->u.txt.text);
		break;
	case DNS_T_SRV:
		free(r->u.srv.target);
		break;
	case DNS_T_PTR:
		free(r->u.ptr.name);
		break;
	default:
		break;
	}
}

void dns_answer_clear(struct dns_answer *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; a->rr != NULL && i < a->n; i++)
		record_clear(&a->rr[i]);
	free(a->rr);
	for (size_t i = 0; i < a->n_cnames; i++)
		free(a->cnames[i]);
	free(a->qname);
	free(a->canonical);
	free(a->why_bogus);
	memset(a, 0, sizeof(*a));
}

void dns_answer_free(struct dns_answer *a)
{
	dns_answer_clear(a);
	free(a);
}

static size_t rdf_size(const ldns_rr *rr, size_t i)
{
	const ldns_rdf *f = ldns_rr_rdf(rr, i);

	return f != NULL ? ldns_rdf_size(f) : 0;
}

static const uint8_t *rdf_data(const ldns_rr *rr, size_t i)
{
	return ldns_rdf_data(ldns_rr_rdf(rr, i));
}

static uint16_t rdf_u16(const ldns_rr *rr, size_t i)
{
	const uint8_t *p = rdf_data(rr, i);

	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Outcome of reading one record's rdata. */
enum rr_fill { RR_KEPT, RR_OMITTED, RR_NOMEM };

static enum rr_fill fill_addr(struct dns_record *r, const ldns_rr *rr)
{
	if (ldns_rr_rd_count(rr) != 1)
		return RR_OMITTED;
	memset(&r->u.addr, 0, sizeof(r->u.addr));
	if (r->type == DNS_T_A && rdf_size(rr, 0) == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&r->u.addr.ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, rdf_data(rr, 0), 4);
		r->u.addr.len = sizeof(*sin);
		return RR_KEPT;
	}
	if (r->type == DNS_T_AAAA && rdf_size(rr, 0) == 16) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&r->u.addr.ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, rdf_data(rr, 0), 16);
		r->u.addr.len = sizeof(*sin6);
		return RR_KEPT;
	}
	return RR_OMITTED;
}

/* fill_name - a name field of the record, or why it is not kept: not a name, a name over
 * DNS_NAME_TEXT_MAX (both OMITTED), no memory. */
static enum rr_fill fill_name(const ldns_rr *rr, size_t i, char **out, bool *root)
{
	char buf[DNS_NAME_TEXT_MAX];

	if (rdf_name_text(ldns_rr_rdf(rr, i), buf, sizeof(buf), root) != 0)
		return RR_OMITTED;
	return (*out = strdup(buf)) != NULL ? RR_KEPT : RR_NOMEM;
}

static enum rr_fill fill_record(struct dns_record *r, const ldns_rr *rr)
{
	size_t rd = ldns_rr_rd_count(rr);

	switch (r->type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		return fill_addr(r, rr);
	case DNS_T_MX:
		if (rd != 2 || rdf_size(rr, 0) != 2)
			return RR_OMITTED;
		r->u.mx.pref = rdf_u16(rr, 0);
		return fill_name(rr, 1, &r->u.mx.target, &r->u.mx.root);
	case DNS_T_SRV:
		if (rd != 4 || rdf_size(rr, 0) != 2 || rdf_size(rr, 1) != 2 || rdf_size(rr, 2) != 2)
			return RR_OMITTED;
		r->u.srv.prio = rdf_u16(rr, 0);
		r->u.srv.weight = rdf_u16(rr, 1);
		r->u.srv.port = rdf_u16(rr, 2);
		return fill_name(rr, 3, &r->u.srv.target, &r->u.srv.root);
	case DNS_T_PTR:
		if (rd != 1)
			return RR_OMITTED;
		return fill_name(rr, 0, &r->u.ptr.name, NULL);
	case DNS_T_TLSA: {
		size_t len = rdf_size(rr, 3);

		/* RFC 6698 2.1: three one-byte fields, then the association data (at least
		 * one byte: ldns has no field for an empty one). */
		if (rd != 4 || rdf_size(rr, 0) != 1 || rdf_size(rr, 1) != 1 ||
		    rdf_size(rr, 2) != 1 || len == 0 || len > DNS_RDATA_MAX)
			return RR_OMITTED;
		r->u.tlsa.usage = rdf_data(rr, 0)[0];
		r->u.tlsa.selector = rdf_data(rr, 1)[0];
		r->u.tlsa.mtype = rdf_data(rr, 2)[0];
		if ((r->u.tlsa.data = malloc(len)) == NULL)
			return RR_NOMEM;
		memcpy(r->u.tlsa.data, rdf_data(rr, 3), len);
		r->u.tlsa.len = len;
		return RR_KEPT;
	}
	case DNS_T_TXT: {
		size_t total = 0, o = 0;

		/* Each rdf is one <character-string>: a length byte, then that many bytes. */
		for (size_t i = 0; i < rd; i++) {
			size_t sz = rdf_size(rr, i);

			if (sz == 0 || (size_t)rdf_data(rr, i)[0] + 1 != sz)
				return RR_OMITTED;
			total += sz - 1;
		}
		if (rd == 0 || total > DNS_RDATA_MAX)
			return RR_OMITTED;
		if ((r->u.txt.text = malloc(total + 1)) == NULL)
			return RR_NOMEM;
		for (size_t i = 0; i < rd; i++) {
			memcpy(r->u.txt.text + o, rdf_data(rr, i) + 1, rdf_size(rr, i) - 1);
			o += rdf_size(rr, i) - 1;
		}
		r->u.txt.text[total] = '\0';
		r->u.txt.len = total;
		r->u.txt.nstrings = (unsigned)rd;
		return RR_KEPT;
	}
	default:
		return RR_KEPT;   /* type and TTL only */
	}
}

static void min_ttl(struct dns_answer *out, bool *have, uint32_t ttl)
{
	if (!*have || ttl < out->ttl)
		out->ttl = ttl;
	*have = true;
}

static int fail(struct dns_answer *out, const char *fmt, const char *arg)
{
	char why[sizeof(out->why)];

	snprintf(why, sizeof(why), fmt, arg);
	dns_answer_clear(out);
	snprintf(out->why, sizeof(out->why), "%s", why);
	return -1;
}

/* next_cname - the CNAME record of the answer section owned by name, or NULL. */
static const ldns_rr *next_cname(const ldns_rr_list *an, const ldns_rdf *name)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
		    ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN && ldns_rr_rd_count(rr) == 1 &&
		    ldns_dname_compare(ldns_rr_owner(rr), name) == 0)
			return rr;
	}
	return NULL;
}

int dns_answer_parse(const uint8_t *wire, size_t len, int qtype, struct dns_answer *out)
{
	ldns_pkt *pkt = NULL;
	const ldns_rr_list *qd, *an;
	const ldns_rr *q;
	const ldns_rdf *cur;
	ldns_status st;
	bool have_ttl = false;
	size_t count = 0;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (wire == NULL || len == 0)
		return fail(out, "%s", "empty answer packet");
	st = ldns_wire2pkt(&pkt, wire, len);
	if (st != LDNS_STATUS_OK)
		return fail(out, "malformed answer packet: %s", ldns_get_errorstr_by_id(st));
	qd = ldns_pkt_question(pkt);
	an = ldns_pkt_answer(pkt);
	if (ldns_rr_list_rr_count(qd) != 1) {
		fail(out, "%s", "the answer packet does not hold exactly one question");
		goto out;
	}
	q = ldns_rr_list_rr(qd, 0);
	if ((int)ldns_rr_get_type(q) != qtype) {
		fail(out, "%s", "the answer packet is for another type");
		goto out;
	}
	out->qtype = qtype;
	out->rcode = ldns_pkt_get_rcode(pkt);
	out->nxdomain = out->rcode == LDNS_RCODE_NXDOMAIN;
	if ((out->qname = rdf_name_dup(ldns_rr_owner(q), NULL)) == NULL) {
		fail(out, "%s", "the question's name cannot be shown (or no memory)");
		goto out;
	}

	/* The CNAME chain (RFC 1034 3.6.2; a DNAME comes with the CNAME it synthesizes,
	 * RFC 6672 3.4). A CNAME asked for is an answer, not a step. */
	cur = ldns_rr_owner(q);
	while (qtype != DNS_T_CNAME) {
		const ldns_rr *c = next_cname(an, cur);

		if (c == NULL)
			break;
		if (out->n_cnames >= DNS_CNAMES_MAX) {
			fail(out, "%s", "CNAME chain too long (a loop?)");
			goto out;
		}
		if ((out->cnames[out->n_cnames] = rdf_name_dup(cur, NULL)) == NULL) {
			fail(out, "%s", "a CNAME owner cannot be shown (or no memory)");
			goto out;
		}
		out->n_cnames++;
		min_ttl(out, &have_ttl, ldns_rr_ttl(c));
		cur = ldns_rr_rdf(c, 0);
		if (ldns_rdf_get_type(cur) != LDNS_RDF_TYPE_DNAME) {
			fail(out, "%s", "a CNAME without a name");
			goto out;
		}
	}
	if ((out->canonical = rdf_name_dup(cur, NULL)) == NULL) {
		fail(out, "%s", "the canonical name cannot be shown (or no memory)");
		goto out;
	}

	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);

		if ((int)ldns_rr_get_type(rr) == qtype && ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
		    ldns_dname_compare(ldns_rr_owner(rr), cur) == 0)
			count++;
	}
	if (count > DNS_RECORDS_MAX)
		count = DNS_RECORDS_MAX;
	if (count > 0 && (out->rr = calloc(count, sizeof(*out->rr))) == NULL) {
		fail(out, "%s", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		struct dns_record *rec;
		enum rr_fill f;

		if ((int)ldns_rr_get_type(rr) != qtype || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
		    ldns_dname_compare(ldns_rr_owner(rr), cur) != 0)
			continue;
		if (out->n >= count) {   /* over DNS_RECORDS_MAX */
			out->omitted++;
			continue;
		}
		rec = &out->rr[out->n];
		rec->type = qtype;
		rec->ttl = ldns_rr_ttl(rr);
		f = fill_record(rec, rr);
		if (f == RR_NOMEM) {
			out->n++;   /* freed with the rest */
			fail(out, "%s", "out of memory");
			goto out;
		}
		if (f == RR_OMITTED) {   /* a shape not of its type, over a bound */
			record_clear(rec);
			memset(rec, 0, sizeof(*rec));
			out->omitted++;
			continue;
		}
		min_ttl(out, &have_ttl, rec->ttl);
		out->n++;
	}
	if (out->n == 0) {   /* every record left out: nothing held (rr is NULL iff n is 0) */
		free(out->rr);
		out->rr = NULL;
	}
	out->nodata = out->rcode == LDNS_RCODE_NOERROR && out->n == 0 && out->omitted == 0;
	r = 0;
out:
	ldns_pkt_free(pkt);
	return r;
}
