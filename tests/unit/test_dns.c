/*
 * test_dns.c - the resolver (lib/dns.h).
 *
 * dns_answer_parse() as tables: answer packets built with ldns from zone-format records
 * (ldns_pkt_new, ldns_rr_new_frm_str, ldns_pkt2wire), parsed, every field compared. Then
 * the resolver itself against a fake DNS server on 127.0.0.1 (a UDP socket on the test's
 * own event loop, answering from a table; nothing leaves the machine): answers come from
 * the loop only, SERVFAIL and silence are NOANSWER, a cancelled query never calls back,
 * `.test` names are asked of the server, a lookup keeps every A and AAAA, a trust anchor
 * the server cannot prove makes answers BOGUS.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <event2/event.h>
#include <ldns/ldns.h>
#include <mailtls/mailtls.h>
#include "dns.h"

#define RRS_MAX 128

/* pkt_new - a response to qname/qtype with rcode and the answer records rrs (zone format,
 * NULL-terminated; NULL for none). Free with ldns_pkt_free(). */
static ldns_pkt *pkt_new(const char *qname, int qtype, int rcode, const char *const *rrs)
{
	ldns_pkt *p = ldns_pkt_new();
	ldns_rr *q = ldns_rr_new();

	assert_non_null(p);
	assert_non_null(q);
	ldns_rr_set_owner(q, ldns_dname_new_frm_str(qname));
	ldns_rr_set_type(q, (ldns_rr_type)qtype);
	ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
	ldns_rr_set_question(q, true);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_rd(p, true);
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	for (size_t i = 0; rrs != NULL && rrs[i] != NULL; i++) {
		ldns_rr *rr = NULL;

		if (ldns_rr_new_frm_str(&rr, rrs[i], 3600, NULL, NULL) != LDNS_STATUS_OK)
			fail_msg("record does not parse: %s", rrs[i]);
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
	return p;
}

/* wire_of - p in wire format (caller frees), its length in *len; p is freed. */
static uint8_t *wire_of(ldns_pkt *p, size_t *len)
{
	uint8_t *w = NULL;

	assert_int_equal(ldns_pkt2wire(&w, p, len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return w;
}

static int parse(const char *qname, int qtype, int rcode, const char *const *rrs,
		 struct dns_answer *a)
{
	size_t len;
	uint8_t *w = wire_of(pkt_new(qname, qtype, rcode, rrs), &len);
	int r;

	memset(a, 0, sizeof(*a));
	r = dns_answer_parse(w, len, qtype, a);
	free(w);
	return r;
}

static const char *addr_text(const struct dns_record *r, char *buf, size_t len)
{
	const void *p = r->u.addr.ss.ss_family == AF_INET ?
		(const void *)&((const struct sockaddr_in *)&r->u.addr.ss)->sin_addr :
		(const void *)&((const struct sockaddr_in6 *)&r->u.addr.ss)->sin6_addr;

	return inet_ntop(r->u.addr.ss.ss_family, p, buf, (socklen_t)len);
}

/* ---- dns_answer_parse ---- */

static void parse_mx(void **state)
{
	static const char *const rrs[] = {
		"Multi.Example. 300 IN MX 20 MX2.example.",
		"multi.example. 300 IN MX 10 mx1.example.",
		"multi.example. 200 IN MX 10 mx1b.example.",
		"other.example. 100 IN MX 5 not-ours.example.",   /* another owner: ignored */
		NULL,
	};
	struct dns_answer a;
	(void)state;

	assert_int_equal(parse("multi.example.", DNS_T_MX, 0, rrs, &a), 0);
	assert_string_equal(a.qname, "multi.example");
	assert_int_equal(a.qtype, DNS_T_MX);
	assert_int_equal(a.rcode, 0);
	assert_false(a.nxdomain);
	assert_false(a.nodata);
	assert_string_equal(a.canonical, "multi.example");
	assert_int_equal(a.n_cnames, 0);
	assert_int_equal(a.n, 3);
	assert_int_equal(a.omitted, 0);
	assert_int_equal(a.ttl, 200);
	/* The packet's order, not sorted: preference is the caller's policy. */
	assert_int_equal(a.rr[0].u.mx.pref, 20);
	assert_string_equal(a.rr[0].u.mx.target, "mx2.example");
	assert_false(a.rr[0].u.mx.root);
	assert_int_equal(a.rr[0].ttl, 300);
	assert_int_equal(a.rr[1].u.mx.pref, 10);
	assert_string_equal(a.rr[1].u.mx.target, "mx1.example");
	assert_string_equal(a.rr[2].u.mx.target, "mx1b.example");
	assert_int_equal(a.status, DNS_NOANSWER);   /* not the parser's to say */
	dns_answer_clear(&a);
}

static void parse_null_mx(void **state)
{
	static const char *const rrs[] = { "example. 300 IN MX 0 .", NULL };
	struct dns_answer a;
	(void)state;

	/* RFC 7505: "." as the only MX, preference 0. */
	assert_int_equal(parse("example.", DNS_T_MX, 0, rrs, &a), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.rr[0].u.mx.pref, 0);
	assert_true(a.rr[0].u.mx.root);
	assert_string_equal(a.rr[0].u.mx.target, "");
	dns_answer_clear(&a);
}

static void parse_tlsa(void **state)
{
	static const char *const rrs[] = {
		"_25._tcp.mx.example. 300 IN TLSA 3 1 1 "
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"_25._tcp.mx.example. 300 IN TLSA 2 0 2 00ff",
		NULL,
	};
	static const uint8_t d0[32] = {
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
		0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67,
		0x89, 0xab, 0xcd, 0xef,
	};
	struct dns_answer a;
	(void)state;

	assert_int_equal(parse("_25._tcp.mx.example.", DNS_T_TLSA, 0, rrs, &a), 0);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.rr[0].u.tlsa.usage, 3);
	assert_int_equal(a.rr[0].u.tlsa.selector, 1);
	assert_int_equal(a.rr[0].u.tlsa.mtype, 1);
	assert_int_equal(a.rr[0].u.tlsa.len, 32);
	assert_memory_equal(a.rr[0].u.tlsa.data, d0, 32);
	assert_int_equal(a.rr[1].u.tlsa.usage, 2);
	assert_int_equal(a.rr[1].u.tlsa.mtype, 2);
	assert_int_equal(a.rr[1].u.tlsa.len, 2);
	assert_int_equal(a.rr[1].u.tlsa.data[0], 0x00);
	assert_int_equal(a.rr[1].u.tlsa.data[1], 0xff);
	dns_answer_clear(&a);
}

static void parse_txt(void **state)
{
	static const char *const rrs[] = {
		"example. 300 IN TXT \"v=spf1 \" \"ip4:192.0.2.0/24 \" \"-all\"",
		"example. 300 IN TXT \"v=STSv1; id=2024\"",
		"example. 300 IN TXT \"nul\\000and\\255\"",
		"example. 300 IN TXT \"\"",
		NULL,
	};
	struct dns_answer a;
	(void)state;

	assert_int_equal(parse("example.", DNS_T_TXT, 0, rrs, &a), 0);
	assert_int_equal(a.n, 4);
	/* RFC 7208 3.3: the strings joined with nothing between them. */
	assert_string_equal(a.rr[0].u.txt.text, "v=spf1 ip4:192.0.2.0/24 -all");
	assert_int_equal(a.rr[0].u.txt.len, strlen("v=spf1 ip4:192.0.2.0/24 -all"));
	assert_int_equal(a.rr[0].u.txt.nstrings, 3);
	assert_string_equal(a.rr[1].u.txt.text, "v=STSv1; id=2024");
	assert_int_equal(a.rr[1].u.txt.nstrings, 1);
	/* Raw bytes, NUL included, with the length to say where they end. */
	assert_int_equal(a.rr[2].u.txt.len, 8);
	assert_memory_equal(a.rr[2].u.txt.text, "nul\0and\xff", 9);
	assert_int_equal(a.rr[3].u.txt.len, 0);
	assert_string_equal(a.rr[3].u.txt.text, "");
	assert_int_equal(a.rr[3].u.txt.nstrings, 1);
	dns_answer_clear(&a);
}

static void parse_srv_ptr(void **state)
{
	static const char *const srv[] = {
		"_submission._tcp.example. 60 IN SRV 0 1 587 mail.example.",
		"_submission._tcp.example. 60 IN SRV 10 0 0 .",
		NULL,
	};
	static const char *const ptr[] = { "4.3.2.1.in-addr.arpa. 60 IN PTR Host.Example.", NULL };
	struct dns_answer a;
	(void)state;

	assert_int_equal(parse("_submission._tcp.example.", DNS_T_SRV, 0, srv, &a), 0);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.rr[0].u.srv.prio, 0);
	assert_int_equal(a.rr[0].u.srv.weight, 1);
	assert_int_equal(a.rr[0].u.srv.port, 587);
	assert_string_equal(a.rr[0].u.srv.target, "mail.example");
	assert_false(a.rr[0].u.srv.root);
	assert_int_equal(a.rr[1].u.srv.prio, 10);
	assert_true(a.rr[1].u.srv.root);                 /* RFC 2782: no such service */
	assert_string_equal(a.rr[1].u.srv.target, "");
	dns_answer_clear(&a);

	assert_int_equal(parse("4.3.2.1.in-addr.arpa.", DNS_T_PTR, 0, ptr, &a), 0);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.rr[0].u.ptr.name, "host.example");
	dns_answer_clear(&a);
}

static void parse_addrs(void **state)
{
	static const char *const a4[] = {
		"h.example. 60 IN A 192.0.2.1", "h.example. 60 IN A 192.0.2.2", NULL,
	};
	static const char *const a6[] = { "h.example. 60 IN AAAA 2001:db8::25", NULL };
	struct dns_answer a;
	char buf[INET6_ADDRSTRLEN];
	(void)state;

	assert_int_equal(parse("h.example.", DNS_T_A, 0, a4, &a), 0);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.rr[0].u.addr.ss.ss_family, AF_INET);
	assert_int_equal(a.rr[0].u.addr.len, sizeof(struct sockaddr_in));
	assert_string_equal(addr_text(&a.rr[0], buf, sizeof(buf)), "192.0.2.1");
	assert_string_equal(addr_text(&a.rr[1], buf, sizeof(buf)), "192.0.2.2");
	dns_answer_clear(&a);

	assert_int_equal(parse("h.example.", DNS_T_AAAA, 0, a6, &a), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.rr[0].u.addr.ss.ss_family, AF_INET6);
	assert_string_equal(addr_text(&a.rr[0], buf, sizeof(buf)), "2001:db8::25");
	dns_answer_clear(&a);
}

static void parse_cname_chain(void **state)
{
	static const char *const rrs[] = {
		"www.example. 300 IN CNAME a.example.",
		"a.example. 100 IN CNAME B.example.",
		"b.example. 600 IN A 192.0.2.7",
		"a.example. 600 IN A 192.0.2.99",   /* at an alias, not the canonical name */
		NULL,
	};
	static const char *const loop[] = {
		"x.example. 300 IN CNAME y.example.", "y.example. 300 IN CNAME x.example.", NULL,
	};
	static const char *const asked[] = { "www.example. 300 IN CNAME a.example.", NULL };
	struct dns_answer a;
	char buf[INET6_ADDRSTRLEN];
	(void)state;

	assert_int_equal(parse("www.example.", DNS_T_A, 0, rrs, &a), 0);
	assert_int_equal(a.n_cnames, 2);
	assert_string_equal(a.cnames[0], "www.example");
	assert_string_equal(a.cnames[1], "a.example");
	assert_string_equal(a.canonical, "b.example");
	assert_int_equal(a.n, 1);
	assert_string_equal(addr_text(&a.rr[0], buf, sizeof(buf)), "192.0.2.7");
	assert_int_equal(a.ttl, 100);                   /* the least along the chain */
	dns_answer_clear(&a);

	/* A loop ends at DNS_CNAMES_MAX: refused, nothing left to free. */
	assert_int_equal(parse("x.example.", DNS_T_A, 0, loop, &a), -1);
	assert_string_equal(a.why, "CNAME chain too long (a loop?)");
	assert_null(a.qname);
	assert_int_equal(a.n_cnames, 0);
	dns_answer_clear(&a);

	/* A CNAME asked for is the answer, not a step. */
	assert_int_equal(parse("www.example.", DNS_T_CNAME, 0, asked, &a), 0);
	assert_int_equal(a.n_cnames, 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.rr[0].type, DNS_T_CNAME);
	dns_answer_clear(&a);
}

static void parse_negative(void **state)
{
	static const char *const cname_only[] = { "a.example. 300 IN CNAME b.example.", NULL };
	struct dns_answer a;
	(void)state;

	assert_int_equal(parse("nonexistent.example.", DNS_T_MX, 3, NULL, &a), 0);
	assert_true(a.nxdomain);
	assert_false(a.nodata);
	assert_int_equal(a.rcode, 3);
	assert_int_equal(a.n, 0);
	assert_int_equal(a.ttl, 0);
	assert_string_equal(a.canonical, "nonexistent.example");
	dns_answer_clear(&a);

	assert_int_equal(parse("example.", DNS_T_TLSA, 0, NULL, &a), 0);
	assert_true(a.nodata);
	assert_false(a.nxdomain);
	assert_int_equal(a.n, 0);
	dns_answer_clear(&a);

	/* NODATA at the end of a chain: the chain is still told. */
	assert_int_equal(parse("a.example.", DNS_T_MX, 0, cname_only, &a), 0);
	assert_true(a.nodata);
	assert_int_equal(a.n_cnames, 1);
	assert_string_equal(a.canonical, "b.example");
	dns_answer_clear(&a);

	/* SERVFAIL: the parser says what the packet says; dns.c makes it NOANSWER. */
	assert_int_equal(parse("example.", DNS_T_MX, 2, NULL, &a), 0);
	assert_int_equal(a.rcode, 2);
	assert_false(a.nodata);
	dns_answer_clear(&a);
}

static void parse_names(void **state)
{
	static const char *const rrs[] = {
		"odd.example. 60 IN PTR \\027[31mRED\\007.example.",
		"odd.example. 60 IN PTR a\\.b.Example.",
		"odd.example. 60 IN PTR sp\\032ace\\255\\(.example.",
		NULL,
	};
	struct dns_answer a;
	(void)state;

	/* Display-safe as they are: controls and 8-bit bytes as \DDD, specials as \c. */
	assert_int_equal(parse("odd.example.", DNS_T_PTR, 0, rrs, &a), 0);
	assert_int_equal(a.n, 3);
	assert_string_equal(a.rr[0].u.ptr.name, "\\027[31mred\\007.example");
	assert_string_equal(a.rr[1].u.ptr.name, "a\\.b.example");
	assert_string_equal(a.rr[2].u.ptr.name, "sp\\032ace\\255\\(.example");
	dns_answer_clear(&a);
}

static void parse_bounds(void **state)
{
	static char lines[RRS_MAX][96];
	static const char *rrs[RRS_MAX + 1];
	static char big[12000];
	const char *bigrrs[] = { big, "example. 60 IN TXT \"small\"", NULL };
	struct dns_answer a;
	size_t o;
	(void)state;

	for (int i = 0; i < 100; i++) {
		snprintf(lines[i], sizeof(lines[i]), "many.example. 60 IN A 10.0.%d.%d", i / 250, i % 250);
		rrs[i] = lines[i];
	}
	rrs[100] = NULL;
	assert_int_equal(parse("many.example.", DNS_T_A, 0, rrs, &a), 0);
	assert_int_equal(a.n, DNS_RECORDS_MAX);
	assert_int_equal(a.omitted, 100 - DNS_RECORDS_MAX);
	assert_false(a.nodata);
	dns_answer_clear(&a);

	/* A TXT record over DNS_RDATA_MAX (45 strings of 255 bytes) is left out, counted. */
	o = (size_t)snprintf(big, sizeof(big), "example. 60 IN TXT");
	for (int s = 0; s < 45; s++) {
		big[o++] = ' ';
		big[o++] = '"';
		memset(big + o, 'x', 255);
		o += 255;
		big[o++] = '"';
	}
	big[o] = '\0';
	assert_int_equal(parse("example.", DNS_T_TXT, 0, bigrrs, &a), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.omitted, 1);
	assert_string_equal(a.rr[0].u.txt.text, "small");
	assert_false(a.nodata);
	dns_answer_clear(&a);
}

static void parse_refused(void **state)
{
	static const char *const rrs[] = { "h.example. 60 IN MX 10 mx.example.", NULL };
	static const uint8_t garbage[] = { 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02 };
	struct dns_answer a;
	size_t len;
	uint8_t *w = wire_of(pkt_new("h.example.", DNS_T_MX, 0, rrs), &len);
	(void)state;

	/* Every cut of a good packet: refused cleanly or parsed, never past the end. */
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *part = malloc(cut > 0 ? cut : 1);

		memcpy(part, w, cut);
		memset(&a, 0, sizeof(a));
		if (dns_answer_parse(part, cut, DNS_T_MX, &a) != 0) {
			assert_true(a.why[0] != '\0');
			assert_null(a.qname);
			assert_null(a.rr);
		}
		dns_answer_clear(&a);
		free(part);
	}
	memset(&a, 0, sizeof(a));
	assert_int_equal(dns_answer_parse(w, len - 3, DNS_T_MX, &a), -1);
	assert_true(strncmp(a.why, "malformed answer packet: ", 25) == 0);
	dns_answer_clear(&a);

	assert_int_equal(dns_answer_parse(w, len, DNS_T_A, &a), -1);
	assert_string_equal(a.why, "the answer packet is for another type");
	dns_answer_clear(&a);
	free(w);

	assert_int_equal(dns_answer_parse(garbage, sizeof(garbage), DNS_T_MX, &a), -1);
	dns_answer_clear(&a);
	assert_int_equal(dns_answer_parse(NULL, 0, DNS_T_MX, &a), -1);
	assert_string_equal(a.why, "empty answer packet");
	dns_answer_clear(&a);

	/* No question at all. */
	ldns_pkt *p = ldns_pkt_new();
	ldns_pkt_set_qr(p, true);
	w = wire_of(p, &len);
	assert_int_equal(dns_answer_parse(w, len, DNS_T_MX, &a), -1);
	assert_string_equal(a.why, "the answer packet does not hold exactly one question");
	dns_answer_clear(&a);
	free(w);
}

static void ptr_names(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	char buf[80], small[10];
	(void)state;

	inet_pton(AF_INET, "192.0.2.25", &sin.sin_addr);
	assert_int_equal(dns_ptr_name((struct sockaddr *)&sin, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "25.2.0.192.in-addr.arpa");
	assert_int_equal(dns_ptr_name((struct sockaddr *)&sin, small, sizeof(small)), -1);
	inet_pton(AF_INET6, "2001:db8::567:89ab", &sin6.sin6_addr);
	assert_int_equal(dns_ptr_name((struct sockaddr *)&sin6, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
	assert_int_equal(strlen(buf), 72);
}

static void name_text(void **state)
{
	static const uint8_t root[] = { 0 };
	static const uint8_t mx[] = { 2, 'M', 'x', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0 };
	static const uint8_t bad[] = { 5, 'a', 'b', 0 };
	char buf[DNS_NAME_TEXT_MAX];
	bool isroot = false;
	(void)state;

	assert_int_equal(dns_name_text(root, sizeof(root), buf, sizeof(buf), &isroot), 0);
	assert_true(isroot);
	assert_string_equal(buf, "");
	assert_int_equal(dns_name_text(mx, sizeof(mx), buf, sizeof(buf), &isroot), 0);
	assert_false(isroot);
	assert_string_equal(buf, "mx.example");
	assert_int_equal(dns_name_text(mx, sizeof(mx), buf, 5, NULL), -1);
	assert_int_equal(dns_name_text(bad, sizeof(bad), buf, sizeof(buf), NULL), -1);
	assert_string_equal(buf, "");
}

/* ---- The resolver against a fake server on 127.0.0.1 ---- */

struct fake {
	int fd;
	unsigned port;
	struct event *ev;
	int queries;                          /* questions seen */
	int dnskey_queries;
};

/* What the fake server answers: by name; DNSKEY and DS questions get NODATA. */
static void fake_answer(const char *qname, int qtype, ldns_pkt **out)
{
	static const char *const addr4[] = {
		"addr.lab.test. 60 IN A 192.0.2.1", "addr.lab.test. 60 IN A 192.0.2.2", NULL,
	};
	static const char *const addr6[] = {
		"addr.lab.test. 60 IN AAAA 2001:db8::1", "addr.lab.test. 60 IN AAAA 2001:db8::2", NULL,
	};
	static const char *const slow4[] = { "v6slow.lab.test. 60 IN A 192.0.2.3", NULL };
	static const char *const mx[] = { "mx.lab.test. 60 IN MX 10 mx1.lab.test.", NULL };

	*out = NULL;
	if (strcmp(qname, "silent.lab.test.") == 0)
		return;
	if (strcmp(qname, "v6slow.lab.test.") == 0)
		*out = qtype == DNS_T_A ? pkt_new(qname, qtype, 0, slow4) : NULL;
	else if (strcmp(qname, "servfail.lab.test.") == 0)
		*out = pkt_new(qname, qtype, 2, NULL);
	else if (strcmp(qname, "addr.lab.test.") == 0 && qtype == DNS_T_A)
		*out = pkt_new(qname, qtype, 0, addr4);
	else if (strcmp(qname, "addr.lab.test.") == 0 && qtype == DNS_T_AAAA)
		*out = pkt_new(qname, qtype, 0, addr6);
	else if (strcmp(qname, "mx.lab.test.") == 0 && qtype == DNS_T_MX)
		*out = pkt_new(qname, qtype, 0, mx);
	else if (qtype == LDNS_RR_TYPE_DNSKEY || qtype == LDNS_RR_TYPE_DS)
		*out = pkt_new(qname, qtype, 0, NULL);
	else
		*out = pkt_new(qname, qtype, 3, NULL);
}

static void on_fake(evutil_socket_t fd, short what, void *arg)
{
	struct fake *f = arg;
	uint8_t buf[4096], *w = NULL;
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	ldns_pkt *q = NULL, *r;
	ssize_t n;
	size_t len;
	(void)what;

	n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
	if (n <= 0 || ldns_wire2pkt(&q, buf, (size_t)n) != LDNS_STATUS_OK)
		return;
	const ldns_rr *qr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	char *name = ldns_rdf2str(ldns_rr_owner(qr));
	int qtype = ldns_rr_get_type(qr);

	for (char *p = name; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');   /* libunbound may vary the case */
	f->queries++;
	if (qtype == LDNS_RR_TYPE_DNSKEY)
		f->dnskey_queries++;
	fake_answer(name, qtype, &r);
	if (r != NULL) {
		ldns_pkt_set_id(r, ldns_pkt_id(q));
		/* The question exactly as asked (case included). */
		ldns_rr_list_deep_free(ldns_pkt_question(r));
		ldns_pkt_set_question(r, ldns_rr_list_clone(ldns_pkt_question(q)));
		w = wire_of(r, &len);
		sendto(fd, w, len, 0, (struct sockaddr *)&from, fromlen);
		free(w);
	}
	free(name);
	ldns_pkt_free(q);
}

static void fake_start(struct fake *f, struct event_base *base)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);

	memset(f, 0, sizeof(*f));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(f->fd >= 0);
	assert_int_equal(bind(f->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(f->fd, (struct sockaddr *)&sin, &len), 0);
	f->port = ntohs(sin.sin_port);
	f->ev = event_new(base, f->fd, EV_READ | EV_PERSIST, on_fake, f);
	assert_int_equal(event_add(f->ev, NULL), 0);
}

static void fake_stop(struct fake *f)
{
	event_free(f->ev);
	close(f->fd);
}

struct got {
	struct dns_answer *a[8];
	int n;
	bool in_call;                         /* inside dns_query(): a callback now is wrong */
	bool sync_call;
};

static void on_got(struct dns_answer *a, void *arg)
{
	struct got *g = arg;

	if (g->in_call)
		g->sync_call = true;
	assert_true(g->n < 8);
	g->a[g->n++] = a;
}

/* run_until - run the loop until *n reaches want or max_ms passes. */
static void run_until(struct event_base *base, const int *n, int want, int max_ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (*n < want) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > max_ms)
			break;
		usleep(1000);
	}
}

static struct dns_ctx *ctx_for(struct event_base *base, const struct fake *f, const char *ta)
{
	char resolver[64], why[256];
	struct dns_ctx *d;

	snprintf(resolver, sizeof(resolver), "127.0.0.1@%u", f->port);
	d = dns_ctx_new(base, resolver, ta, why, sizeof(why));
	if (d == NULL)
		fail_msg("dns_ctx_new: %s", why);
	return d;
}

static void query_answers(void **state)
{
	struct event_base *base = event_base_new();
	struct fake f;
	struct got g = { .n = 0 };
	struct dns_query *q;
	struct dns_ctx *d;
	(void)state;

	fake_start(&f, base);
	d = ctx_for(base, &f, "");                  /* no validation */
	assert_false(dns_validating(d));

	/* A `.test` name reaches the server (libunbound's own test. zone is off). */
	g.in_call = true;
	assert_int_equal(dns_query(d, "MX.lab.test", DNS_T_MX, 3000, on_got, &g, &q), 0);
	g.in_call = false;
	assert_int_equal(g.n, 0);
	run_until(base, &g.n, 1, 5000);
	assert_int_equal(g.n, 1);
	assert_false(g.sync_call);
	assert_int_equal(g.a[0]->status, DNS_INSECURE);
	assert_string_equal(g.a[0]->qname, "mx.lab.test");
	assert_int_equal(g.a[0]->n, 1);
	assert_string_equal(g.a[0]->rr[0].u.mx.target, "mx1.lab.test");
	assert_true(f.queries >= 1);

	/* NXDOMAIN from the server: an answer, insecure, nxdomain. */
	assert_int_equal(dns_query(d, "nonexistent.lab.test.", DNS_T_MX, 3000, on_got, &g, &q), 0);
	run_until(base, &g.n, 2, 5000);
	assert_int_equal(g.a[1]->status, DNS_INSECURE);
	assert_true(g.a[1]->nxdomain);
	assert_int_equal(g.a[1]->rcode, 3);

	/* SERVFAIL: NOANSWER, with the rcode kept. */
	assert_int_equal(dns_query(d, "servfail.lab.test", DNS_T_TLSA, 3000, on_got, &g, &q), 0);
	run_until(base, &g.n, 3, 8000);
	assert_int_equal(g.a[2]->status, DNS_NOANSWER);
	assert_int_equal(g.a[2]->rcode, 2);
	assert_false(g.a[2]->nodata);
	assert_string_equal(g.a[2]->why, "the resolver answered SERVFAIL");

	/* Silence: NOANSWER at the query's own timeout, never "secure". */
	assert_int_equal(dns_query(d, "silent.lab.test", DNS_T_A, 300, on_got, &g, &q), 0);
	run_until(base, &g.n, 4, 3000);
	assert_int_equal(g.n, 4);
	assert_int_equal(g.a[3]->status, DNS_NOANSWER);
	assert_int_equal(g.a[3]->rcode, -1);
	assert_string_equal(g.a[3]->why, "no answer within 0.3 s");
	assert_string_equal(g.a[3]->qname, "silent.lab.test");
	assert_int_equal(g.a[3]->qtype, DNS_T_A);

	/* A cancelled query never calls back. */
	assert_int_equal(dns_query(d, "mx.lab.test", DNS_T_MX, 3000, on_got, &g, &q), 0);
	dns_query_cancel(q);
	run_until(base, &g.n, 5, 300);
	assert_int_equal(g.n, 4);

	/* Refused before asking: the callback is never called. */
	assert_int_equal(dns_query(d, "a..b", DNS_T_A, 3000, on_got, &g, &q), MAILTLS_EINVAL);
	assert_null(q);
	assert_int_equal(dns_query(d, "mx.lab.test", DNS_T_A, 0, on_got, &g, &q), MAILTLS_EINVAL);

	/* An unanswered query at dns_ctx_free() is freed without its callback. */
	assert_int_equal(dns_query(d, "silent.lab.test", DNS_T_MX, 3000, on_got, &g, &q), 0);
	for (int i = 0; i < g.n; i++)
		dns_answer_free(g.a[i]);
	dns_ctx_free(d);
	fake_stop(&f);
	event_base_free(base);
}

static void query_bogus(void **state)
{
	struct event_base *base = event_base_new();
	char ta[] = "/tmp/test_dns_ta.XXXXXX";
	struct fake f;
	struct got g = { .n = 0 };
	struct dns_query *q;
	struct dns_ctx *d;
	char why[256];
	FILE *fp;
	int fd;
	(void)state;

	/* A trust anchor for lab.test. that the server cannot back: no DNSKEY, so every
	 * answer under it fails validation (RFC 4035 5). */
	fd = mkstemp(ta);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	fprintf(fp, "lab.test. IN DS 12345 13 2 "
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n");
	fclose(fp);
	fake_start(&f, base);
	d = ctx_for(base, &f, ta);
	unlink(ta);
	assert_true(dns_validating(d));
	assert_int_equal(dns_query(d, "mx.lab.test", DNS_T_MX, 5000, on_got, &g, &q), 0);
	run_until(base, &g.n, 1, 8000);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.a[0]->status, DNS_BOGUS);
	assert_non_null(g.a[0]->why_bogus);
	assert_true(strlen(g.a[0]->why_bogus) > 0);
	assert_true(f.dnskey_queries >= 1);
	dns_answer_free(g.a[0]);
	dns_ctx_free(d);

	/* A trust anchor file that is not there, or not trust anchors. */
	assert_null(dns_ctx_new(base, "127.0.0.1@1", "/nonexistent/ta", why, sizeof(why)));
	assert_string_equal(why, "trust anchor file /nonexistent/ta: No such file or directory");
	strcpy(ta, "/tmp/test_dns_ta.XXXXXX");
	fd = mkstemp(ta);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not a record\n", 13), 13);
	close(fd);
	assert_null(dns_ctx_new(base, "127.0.0.1@1", ta, why, sizeof(why)));
	unlink(ta);
	assert_true(strstr(why, "a zone file of DS or DNSKEY records?") != NULL);
	assert_null(dns_ctx_new(base, "not an address", "", why, sizeof(why)));
	fake_stop(&f);
	event_base_free(base);
}

struct got_addrs {
	struct dns_addrs r;
	int n;
};

static void on_addrs(const struct dns_addrs *r, void *arg)
{
	struct got_addrs *g = arg;

	g->r = *r;
	g->n++;
}

static void lookup_addrs(void **state)
{
	struct event_base *base = event_base_new();
	struct fake f;
	struct got_addrs g = { .n = 0 };
	struct dns_lookup *l;
	struct dns_ctx *d;
	char buf[INET6_ADDRSTRLEN];
	(void)state;

	fake_start(&f, base);
	d = ctx_for(base, &f, "");

	/* Both families, every address, A first, the port set. */
	assert_int_equal(dns_lookup_addrs(d, "addr.lab.test", 25, 0, on_addrs, &g, &l), 0);
	run_until(base, &g.n, 1, 5000);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.r.n, 4);
	assert_int_equal(g.r.error, 0);
	assert_int_equal(g.r.security, DNS_INSECURE);
	assert_int_equal(g.r.addr[0].ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&g.r.addr[0])->sin_port), 25);
	assert_int_equal(g.r.addr[2].ss_family, AF_INET6);
	inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&g.r.addr[3])->sin6_addr, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::2");
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&g.r.addr[3])->sin6_port), 25);

	/* A silent AAAA holds the A answer only for the grace time. */
	g.n = 0;
	assert_int_equal(dns_lookup_addrs(d, "v6slow.lab.test", 25, 0, on_addrs, &g, &l), 0);
	run_until(base, &g.n, 1, 2000);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.r.n, 1);
	assert_int_equal(g.r.security, DNS_INSECURE);

	/* Nothing arrived by the deadline: NOANSWER, never secure, the deadline's why. */
	g.n = 0;
	assert_int_equal(dns_lookup_addrs(d, "silent.lab.test", 25, 0, on_addrs, &g, &l), 0);
	run_until(base, &g.n, 1, 200);
	assert_int_equal(g.n, 0);
	dns_deadline(l, "no answer from the resolver within 0.2s");
	assert_int_equal(g.n, 1);
	assert_int_equal(g.r.n, 0);
	assert_int_equal(g.r.security, DNS_NOANSWER);
	assert_int_equal(g.r.error, MAILTLS_EDNS);
	assert_string_equal(g.r.why, "no answer from the resolver within 0.2s");

	/* NXDOMAIN: an answer with no address. */
	g.n = 0;
	assert_int_equal(dns_lookup_addrs(d, "nx.lab.test", 25, 4, on_addrs, &g, &l), 0);
	run_until(base, &g.n, 1, 5000);
	assert_int_equal(g.r.n, 0);
	assert_int_equal(g.r.security, DNS_INSECURE);
	assert_string_equal(g.r.why, "no such domain (NXDOMAIN)");

	/* Cancelled: no callback; one left at dns_ctx_free(): freed, no callback. */
	g.n = 0;
	assert_int_equal(dns_lookup_addrs(d, "addr.lab.test", 25, 0, on_addrs, &g, &l), 0);
	dns_cancel(l);
	run_until(base, &g.n, 1, 200);
	assert_int_equal(g.n, 0);
	assert_int_equal(dns_lookup_addrs(d, "silent.lab.test", 25, 0, on_addrs, &g, &l), 0);
	dns_ctx_free(d);
	assert_int_equal(g.n, 0);
	fake_stop(&f);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_mx),
		cmocka_unit_test(parse_null_mx),
		cmocka_unit_test(parse_tlsa),
		cmocka_unit_test(parse_txt),
		cmocka_unit_test(parse_srv_ptr),
		cmocka_unit_test(parse_addrs),
		cmocka_unit_test(parse_cname_chain),
		cmocka_unit_test(parse_negative),
		cmocka_unit_test(parse_names),
		cmocka_unit_test(parse_bounds),
		cmocka_unit_test(parse_refused),
		cmocka_unit_test(ptr_names),
		cmocka_unit_test(name_text),
		cmocka_unit_test(query_answers),
		cmocka_unit_test(query_bogus),
		cmocka_unit_test(lookup_addrs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
