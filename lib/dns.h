/*
 * dns.h - asynchronous DNS on libunbound, driven by the engine's libevent loop.
 *
 * For now: the addresses of a host (A and AAAA, asked in parallel). DNSSEC status is kept per
 * answer for the later `domain` command (MX, TLSA, SRV, TXT). /etc/hosts is consulted first,
 * so "localhost" never leaves the machine. Internal to libmailtls.
 */
#ifndef MAILTLS_DNS_H
#define MAILTLS_DNS_H

#include <stddef.h>
#include <sys/socket.h>
#include <event2/event.h>

#define DNS_ADDRS_MAX 16
#define DNS_FD_RANGE 32              /* most sockets the resolver holds open at once */
#define DNS_FD_RANGE_TEXT "32"

enum dns_security { DNS_INSECURE, DNS_SECURE, DNS_BOGUS };

struct dns_addrs {
	struct sockaddr_storage addr[DNS_ADDRS_MAX];
	socklen_t len[DNS_ADDRS_MAX];
	size_t n;
	enum dns_security security;   /* worst over the answers */
	int error;                    /* 0, or MAILTLS_EDNS with why set */
	char why[256];
};

struct dns_ctx;

/* dns_ctx_new - resolver: NULL for /etc/resolv.conf, else "ADDR[@PORT]" to forward to.
 * NULL with why filled on failure. Free with dns_ctx_free(). */
struct dns_ctx *dns_ctx_new(struct event_base *base, const char *resolver, char *why, size_t whylen);
void dns_ctx_free(struct dns_ctx *d);

struct dns_query;

/* dns_lookup_addrs - resolve name; family 0, 4 or 6 limits the query. IPv4 is preferred:
 * as soon as the A answer has addresses the result is delivered (the AAAA query is
 * cancelled), else when every answer is in. cb is called once from the loop with the result
 * (borrowed for the call), unless the query is cancelled first. On success *qp is a handle
 * valid until cb runs or dns_cancel() is called; on an error cb is never called. */
int dns_lookup_addrs(struct dns_ctx *d, const char *name, unsigned port, int family,
		     void (*cb)(const struct dns_addrs *r, void *arg), void *arg,
		     struct dns_query **qp);

/* dns_deadline - the deadline passed: stop the questions still out and deliver what has
 * arrived (an AAAA answer while A is still out is still an address); why says what happened
 * when nothing arrived. cb is called before this returns. */
void dns_deadline(struct dns_query *q, const char *why);

/* dns_cancel - stop a query (its owner is going away); cb will not be called. */
void dns_cancel(struct dns_query *q);

#endif
