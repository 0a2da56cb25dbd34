/*
 * fuzz_dns_answer.c - DNS answer packets (lib/dnsparse.c: dns_answer_parse(), lib/dns.h).
 *
 * Feeds: the first byte picks the type asked (A, AAAA, MX, TXT, SRV, TLSA, PTR, CNAME, or
 * a type the parser does not read, by the byte modulo 9); the rest is the packet, in an
 * exactly-sized heap buffer. Each input is parsed twice.
 * Asserts: 0 or -1; on -1 a reason and nothing held; on 0 the question's name and the
 * canonical name, every name display-safe (printable ASCII, no upper case, no trailing
 * dot, shorter than DNS_NAME_TEXT_MAX; the root is "" with its flag), lists within
 * DNS_RECORDS_MAX and DNS_CNAMES_MAX, TXT and TLSA data within DNS_RDATA_MAX (TXT
 * NUL-terminated), addresses of the family of their type, nxdomain exactly for rcode 3,
 * nodata only without records; both parses agree.
 */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "dns.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *s)
{
	size_t n;

	FUZZ_ASSERT(s != NULL);
	n = strlen(s);
	FUZZ_ASSERT(n < DNS_NAME_TEXT_MAX);
	fuzz_terminal_safe(s, 0);
	for (size_t i = 0; i < n; i++)
		FUZZ_ASSERT(s[i] > 0x20 && s[i] < 0x7f && !(s[i] >= 'A' && s[i] <= 'Z'));
	/* A trailing dot is only ever an escaped one ("\."): the root's is cut. */
	FUZZ_ASSERT(n == 0 || s[n - 1] != '.' || (n >= 2 && s[n - 2] == '\\'));
}

static void check(const struct dns_answer *a, int qtype)
{
	FUZZ_ASSERT(a->qtype == qtype);
	check_name(a->qname);
	check_name(a->canonical);
	FUZZ_ASSERT(a->n <= DNS_RECORDS_MAX && a->n_cnames <= DNS_CNAMES_MAX);
	FUZZ_ASSERT((a->n == 0) == (a->rr == NULL));
	for (size_t i = 0; i < a->n_cnames; i++)
		check_name(a->cnames[i]);
	FUZZ_ASSERT(a->rcode >= 0 && a->rcode <= 15);
	FUZZ_ASSERT(a->nxdomain == (a->rcode == 3));
	FUZZ_ASSERT(!a->nodata || (a->n == 0 && a->rcode == 0));
	for (size_t i = 0; i < a->n; i++) {
		const struct dns_record *r = &a->rr[i];

		FUZZ_ASSERT(r->type == qtype);
		FUZZ_ASSERT(a->ttl <= r->ttl);
		switch (r->type) {
		case DNS_T_A:
			FUZZ_ASSERT(r->u.addr.ss.ss_family == AF_INET &&
				    r->u.addr.len == sizeof(struct sockaddr_in));
			break;
		case DNS_T_AAAA:
			FUZZ_ASSERT(r->u.addr.ss.ss_family == AF_INET6 &&
				    r->u.addr.len == sizeof(struct sockaddr_in6));
			break;
		case DNS_T_MX:
			check_name(r->u.mx.target);
			FUZZ_ASSERT(r->u.mx.root == (r->u.mx.target[0] == '\0'));
			break;
		case DNS_T_SRV:
			check_name(r->u.srv.target);
			FUZZ_ASSERT(r->u.srv.root == (r->u.srv.target[0] == '\0'));
			break;
		case DNS_T_PTR:
			check_name(r->u.ptr.name);
			break;
		case DNS_T_TXT:
			FUZZ_ASSERT(r->u.txt.len <= DNS_RDATA_MAX && r->u.txt.nstrings >= 1);
			FUZZ_ASSERT(r->u.txt.text[r->u.txt.len] == '\0');
			break;
		case DNS_T_TLSA:
			FUZZ_ASSERT(r->u.tlsa.len >= 1 && r->u.tlsa.len <= DNS_RDATA_MAX);
			FUZZ_ASSERT(r->u.tlsa.data != NULL);
			break;
		default:
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int qtypes[] = {
		DNS_T_A, DNS_T_AAAA, DNS_T_MX, DNS_T_TXT, DNS_T_SRV, DNS_T_TLSA, DNS_T_PTR,
		DNS_T_CNAME, 99,
	};
	struct dns_answer a, b;
	uint8_t *wire;
	int qtype, r;

	if (size < 1)
		return 0;
	qtype = qtypes[data[0] % (sizeof(qtypes) / sizeof(qtypes[0]))];
	wire = malloc(size - 1 > 0 ? size - 1 : 1);
	if (wire == NULL)
		abort();
	memcpy(wire, data + 1, size - 1);

	memset(&a, 0, sizeof(a));
	r = dns_answer_parse(wire, size - 1, qtype, &a);
	FUZZ_ASSERT(r == 0 || r == -1);
	if (r == 0) {
		check(&a, qtype);
	} else {
		FUZZ_ASSERT(a.why[0] != '\0' && a.qname == NULL && a.rr == NULL && a.n == 0);
		FUZZ_ASSERT(a.n_cnames == 0 && a.canonical == NULL);
	}
	memset(&b, 0, sizeof(b));
	FUZZ_ASSERT(dns_answer_parse(wire, size - 1, qtype, &b) == r);
	FUZZ_ASSERT(a.n == b.n && a.omitted == b.omitted && a.n_cnames == b.n_cnames &&
		    a.ttl == b.ttl && a.rcode == b.rcode);
	dns_answer_clear(&a);
	dns_answer_clear(&b);
	free(wire);
	return 0;
}
