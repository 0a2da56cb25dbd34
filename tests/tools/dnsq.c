/*
 * dnsq.c - ask one DNS question through libmailtls's resolver (lib/dns.h) and print the
 * answer on one line: what the library's callers get, for tests and for looking at a lab.
 *
 * usage: dnsq --resolver ADDR[@PORT] [--trust-anchor FILE] [--timeout S] NAME TYPE
 * TYPE is A, AAAA, MX, TXT, SRV, TLSA, PTR, CNAME or a number; PTR with an IP address as
 * NAME asks the address's reverse name. The resolver is required: dnsq never asks the
 * machine's own. Output:
 *   STATUS rcode=N ttl=N [nxdomain] [nodata] qname=Q canonical=C cnames=A,B|-
 *     [omitted=N] [why_bogus="..."] [why="..."] | RECORD | RECORD ...
 * Exit: 0 an answer (any status but noanswer), 1 noanswer, 2 usage or setup error.
 * Test code: not installed.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <event2/event.h>
#include <mailtls/mailtls.h>
#include "dns.h"
#include "escape.h"

static const struct {
	const char *name;
	int type;
} types[] = {
	{ "A", DNS_T_A }, { "AAAA", DNS_T_AAAA }, { "MX", DNS_T_MX }, { "TXT", DNS_T_TXT },
	{ "SRV", DNS_T_SRV }, { "TLSA", DNS_T_TLSA }, { "PTR", DNS_T_PTR },
	{ "CNAME", DNS_T_CNAME },
};

static const char *type_name(int t, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == t)
			return types[i].name;
	snprintf(buf, len, "TYPE%d", t);
	return buf;
}

static void print_text(const char *s, size_t len)
{
	char *e = escape_text(s, len);

	fputs(e != NULL ? e : "?", stdout);
	free(e);
}

static void print_record(const struct dns_record *r)
{
	char buf[INET6_ADDRSTRLEN], tn[16];

	printf(" | %s ", type_name(r->type, tn, sizeof(tn)));
	switch (r->type) {
	case DNS_T_A:
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&r->u.addr.ss)->sin_addr, buf, sizeof(buf));
		fputs(buf, stdout);
		break;
	case DNS_T_AAAA:
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&r->u.addr.ss)->sin6_addr, buf, sizeof(buf));
		fputs(buf, stdout);
		break;
	case DNS_T_MX:
		printf("%u %s", r->u.mx.pref, r->u.mx.root ? "." : r->u.mx.target);
		break;
	case DNS_T_SRV:
		printf("%u %u %u %s", r->u.srv.prio, r->u.srv.weight, r->u.srv.port,
		       r->u.srv.root ? "." : r->u.srv.target);
		break;
	case DNS_T_PTR:
		fputs(r->u.ptr.name, stdout);
		break;
	case DNS_T_TLSA:
		printf("%u %u %u ", r->u.tlsa.usage, r->u.tlsa.selector, r->u.tlsa.mtype);
		for (size_t i = 0; i < r->u.tlsa.len; i++)
			printf("%02x", r->u.tlsa.data[i]);
		break;
	case DNS_T_TXT:
		putchar('"');
		print_text(r->u.txt.text, r->u.txt.len);
		printf("\" (%u string%s)", r->u.txt.nstrings, r->u.txt.nstrings == 1 ? "" : "s");
		break;
	default:
		printf("ttl %u", (unsigned)r->ttl);
		break;
	}
}

static int exit_code = 1;

static void on_answer(struct dns_answer *a, void *arg)
{
	struct event_base *base = arg;

	printf("%s rcode=%d ttl=%u%s%s qname=%s canonical=%s cnames=", dns_status_name(a->status),
	       a->rcode, (unsigned)a->ttl, a->nxdomain ? " nxdomain" : "",
	       a->nodata ? " nodata" : "", a->qname ? a->qname : "?",
	       a->canonical ? a->canonical : "-");
	for (size_t i = 0; i < a->n_cnames; i++)
		printf("%s%s", i ? "," : "", a->cnames[i]);
	if (a->n_cnames == 0)
		putchar('-');
	if (a->omitted)
		printf(" omitted=%zu", a->omitted);
	if (a->why_bogus)
		printf(" why_bogus=\"%s\"", a->why_bogus);
	if (a->why[0])
		printf(" why=\"%s\"", a->why);
	for (size_t i = 0; i < a->n; i++)
		print_record(&a->rr[i]);
	putchar('\n');
	exit_code = a->status == DNS_NOANSWER ? 1 : 0;
	dns_answer_free(a);
	event_base_loopbreak(base);
}

static int usage(void)
{
	fprintf(stderr, "usage: dnsq --resolver ADDR[@PORT] [--trust-anchor FILE] [--timeout S] "
		"NAME TYPE\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "resolver", required_argument, NULL, 'r' },
		{ "trust-anchor", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	const char *resolver = NULL, *ta = NULL, *name;
	double timeout = 5;
	char why[512], rev[80];
	struct event_base *base;
	struct dns_ctx *d;
	struct dns_query *q;
	int c, type = -1, r;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			resolver = optarg;
			break;
		case 't':
			ta = optarg;
			break;
		case 'T':
			timeout = atof(optarg);
			if (!(timeout > 0 && timeout <= 3600))
				return usage();
			break;
		default:
			return usage();
		}
	}
	if (resolver == NULL || argc - optind != 2)
		return usage();
	name = argv[optind];
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(argv[optind + 1], types[i].name) == 0)
			type = types[i].type;
	if (type < 0) {
		char *end;
		long v = strtol(argv[optind + 1], &end, 10);

		if (*end != '\0' || v < 1 || v > 65535)
			return usage();
		type = (int)v;
	}
	if (type == DNS_T_PTR) {
		struct sockaddr_storage ss;

		memset(&ss, 0, sizeof(ss));
		if (inet_pton(AF_INET, name, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
			ss.ss_family = AF_INET;
		else if (inet_pton(AF_INET6, name, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
			ss.ss_family = AF_INET6;
		if (ss.ss_family != 0 && dns_ptr_name((struct sockaddr *)&ss, rev, sizeof(rev)) == 0)
			name = rev;
	}
	if ((base = event_base_new()) == NULL)
		return 2;
	if ((d = dns_ctx_new(base, resolver, ta, why, sizeof(why))) == NULL) {
		fprintf(stderr, "dnsq: %s\n", why);
		event_base_free(base);
		return 2;
	}
	r = dns_query(d, name, type, (unsigned)(timeout * 1000), on_answer, base, &q);
	if (r != 0) {
		fprintf(stderr, "dnsq: cannot ask: %s\n", mailtls_strerror(r));
		exit_code = 2;
	} else {
		event_base_dispatch(base);
	}
	dns_ctx_free(d);
	event_base_free(base);
	return exit_code;
}
