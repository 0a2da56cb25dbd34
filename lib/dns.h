/*
 * dns.h - a validating stub resolver on libunbound, answering on the engine's libevent loop.
 *
 * Any question (dns_query): the answer comes as a plain struct dns_answer, parsed from
 * libunbound's answer packet by dns_answer_parse() (ldns does the wire format), with the
 * DNSSEC status libunbound's validator gave it. The addresses of a host (dns_lookup_addrs)
 * are two such questions, A and AAAA, asked in parallel for the engine's checks.
 *
 * What is asked of whom: every question goes to one place, the resolver given to
 * dns_ctx_new() or else those of /etc/resolv.conf; /etc/hosts is consulted first, so
 * "localhost" never leaves the machine. libunbound's own answers for the RFC 6761 and
 * RFC 6303 special-use zones are turned off but for localhost., the loopback reverse zones
 * of ::1 and ::, onion. (RFC 7686 2: must not leak) and invalid. (RFC 6761 6.4: APIs answer
 * NXDOMAIN at once): a `.test`, `home.arpa` or private-address reverse name is asked of the
 * resolver, where a lab or a site may well have it.
 *
 * Internal to libmailtls; not thread-safe (one context per loop).
 */
#ifndef MAILTLS_DNS_H
#define MAILTLS_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <event2/event.h>

#define DNS_ADDRS_MAX 16
#define DNS_FD_RANGE 32              /* most sockets the resolver holds open at once */
#define DNS_FD_RANGE_TEXT "32"

/* The trust anchor used when dns_ctx_new() is given none (Debian's dns-root-data). */
#define DNS_ROOT_KEY_FILE "/usr/share/dns/root.key"

/* Bounds of an answer: what is over them is left out and counted in `omitted`. */
#define DNS_RECORDS_MAX 64           /* records kept per answer */
#define DNS_CNAMES_MAX 16            /* CNAMEs followed; a longer chain is refused */
#define DNS_RDATA_MAX 8192           /* bytes of one TXT record's text or one TLSA's data */
#define DNS_NAME_TEXT_MAX 1024       /* a name as text, NUL included (255 octets of wire
                                      * name, some shown as \DDD, fit) */

/* RR types (RFC 1035 3.2.2, RFC 3596, RFC 2782, RFC 6698). */
enum {
	DNS_T_A = 1, DNS_T_CNAME = 5, DNS_T_PTR = 12, DNS_T_MX = 15, DNS_T_TXT = 16,
	DNS_T_AAAA = 28, DNS_T_SRV = 33, DNS_T_TLSA = 52,
};

/* What can be believed about an answer, from the least to the most.
 * NOANSWER: no usable answer: none within the time, a resolver failure, an rcode other
 *   than NOERROR and NXDOMAIN (SERVFAIL, REFUSED, ...), an answer that did not parse. It
 *   is indeterminate: never read it as "no such records" (RFC 7672 2.1.1).
 * INSECURE: an answer, not validated: no trust anchor configured, or the zone is provably
 *   unsigned.
 * SECURE: validated from the trust anchor, the denial of existence (NXDOMAIN, NODATA) too.
 * BOGUS: validation failed (why_bogus says how); the records are kept for diagnosis only,
 *   never to act on. */
enum dns_status { DNS_NOANSWER = 0, DNS_INSECURE, DNS_SECURE, DNS_BOGUS };

const char *dns_status_name(enum dns_status s);   /* "noanswer", "insecure", ... */

/* One record of the type asked, at the canonical name. Names are in presentation form,
 * lower case, without the trailing dot, every byte outside printable ASCII and every
 * '.', ';', '(', ')', '\' inside a label written as \DDD or \c: display-safe as they are;
 * the root name is the empty string "" (and the record's `root` flag is set). */
struct dns_record {
	int type;                             /* DNS_T_*, the type asked */
	uint32_t ttl;
	union {
		struct {                      /* A, AAAA: port 0 */
			struct sockaddr_storage ss;
			socklen_t len;
		} addr;
		struct {                      /* MX; root: target "." (RFC 7505 null MX when
		                               * it is the only record, with pref 0) */
			uint16_t pref;
			char *target;
			bool root;
		} mx;
		struct {                      /* TLSA (RFC 6698 2.1) */
			uint8_t usage, selector, mtype;
			uint8_t *data;        /* len bytes */
			size_t len;
		} tlsa;
		struct {                      /* TXT: the record's character-strings joined
		                               * without separator (RFC 7208 3.3), raw bytes
		                               * (NUL possible; NUL-terminated besides): escape
		                               * before showing */
			char *text;
			size_t len;
			unsigned nstrings;
		} txt;
		struct {                      /* SRV (RFC 2782); root: target "." (no service) */
			uint16_t prio, weight, port;
			char *target;
			bool root;
		} srv;
		struct {                      /* PTR */
			char *name;
		} ptr;
	} u;                                  /* other types: only type and ttl */
};

/* The answer to one question. Made by the module and handed to the callee of dns_query(),
 * which owns it: free it with dns_answer_free(). Every string and buffer in it belongs to
 * it. */
struct dns_answer {
	char *qname;                          /* the name asked, as names above */
	int qtype;
	enum dns_status status;
	int rcode;                            /* the DNS rcode; -1 when there was no answer */
	bool nxdomain;                        /* rcode 3: the name does not exist */
	bool nodata;                          /* rcode 0 and no record of the type at the
	                                       * canonical name */
	char *why_bogus;                      /* libunbound's reason when BOGUS (escaped;
	                                       * NULL only without memory), else NULL */
	char why[256];                        /* what went wrong when NOANSWER (a resolver
	                                       * error, "no answer within 5 s", ...), else "" */
	uint32_t ttl;                         /* least TTL over the CNAMEs followed and the
	                                       * records kept; 0 when there is none */
	char *canonical;                      /* the name the records are at: qname, or the
	                                       * end of the CNAME chain; NULL without a packet */
	char *cnames[DNS_CNAMES_MAX];         /* the alias names followed, in order: the owner
	                                       * of each CNAME (cnames[0] is qname) */
	size_t n_cnames;
	struct dns_record *rr;                /* n records, in the packet's order (NULL
	                                       * when n is 0) */
	size_t n;
	size_t omitted;                       /* records of the type left out: over
	                                       * DNS_RECORDS_MAX, over a size bound, a name
	                                       * over DNS_NAME_TEXT_MAX */
};

/* dns_answer_parse - the packet's part of an answer: qname (from the question), rcode,
 * nxdomain, nodata, the CNAME chain from the question's name, the records of qtype at
 * its end, ttl. Pure: no I/O, no resolver. out is overwritten whole (what it held is not
 * freed: pass an empty one); status is left DNS_NOANSWER, the caller's to set. 0, or -1 with out->why set (not a DNS message, truncated, no or
 * several questions, a question of another type, a CNAME chain over DNS_CNAMES_MAX, no
 * memory); on -1 out holds nothing to free beyond what dns_answer_clear() frees. */
int dns_answer_parse(const uint8_t *wire, size_t len, int qtype, struct dns_answer *out);

/* dns_answer_clear - free what a dns_answer holds and zero it (it may live on the stack).
 * dns_answer_free - the same, then free the struct itself. NULL is a no-op for both. */
void dns_answer_clear(struct dns_answer *a);
void dns_answer_free(struct dns_answer *a);

/* dns_name_text - a wire-format name (uncompressed, as in wire[0..len)) as a name above,
 * into buf. 0, or -1 (not a name, over buflen). For tests and callers with raw names. */
int dns_name_text(const uint8_t *wire, size_t len, char *buf, size_t buflen, bool *root);

/* dns_ptr_name - the reverse-lookup name of an IPv4 or IPv6 address (RFC 1035 3.5,
 * RFC 3596 2.5): "4.3.2.1.in-addr.arpa", "b.a.9.8...ip6.arpa", no trailing dot. 0, or -1
 * (another family, buf too small: 73 bytes always suffice). */
int dns_ptr_name(const struct sockaddr *sa, char *buf, size_t buflen);

struct dns_ctx;

/* dns_ctx_new - resolver: NULL for /etc/resolv.conf, else "ADDR[@PORT]" to forward to.
 * trust_anchor: a file of zone-format DS or DNSKEY records (Debian's root.key, a lab's DS
 * file) to validate from; NULL: DNS_ROOT_KEY_FILE when it is readable, else no validation
 * at all (every answer is then INSECURE at best); "": no validation. The file is read
 * here. NULL with why
 * filled on failure (a resolver address that does not parse, an unreadable or unusable
 * trust anchor file). Free with dns_ctx_free(). */
struct dns_ctx *dns_ctx_new(struct event_base *base, const char *resolver,
			    const char *trust_anchor, char *why, size_t whylen);

/* dns_ctx_free - NULL is a no-op. Queries and lookups not yet answered are freed without
 * their callbacks. Not from inside a callback. */
void dns_ctx_free(struct dns_ctx *d);

/* dns_validating - whether a trust anchor is configured. */
bool dns_validating(const struct dns_ctx *d);

struct dns_query;

typedef void dns_answer_fn(struct dns_answer *a, void *arg);

/* dns_query - ask name (presentation form, a trailing dot optional) for rrtype (class IN).
 * On 0, cb(a, arg) is called exactly once, later, from the loop (never from inside this
 * call), unless dns_query_cancel() comes first; a belongs to cb's side then. No answer
 * within timeout_ms (> 0) makes an answer of status NOANSWER, why "no answer within N s".
 * *qp is a handle valid until cb runs or the query is cancelled. On a negative MAILTLS_E*
 * code (EINVAL: a name that does not parse, a timeout of 0; ENOMEM; EDNS: d is NULL, as
 * from an engine_dns() that failed, or libunbound refused the question) cb is never
 * called and *qp is NULL. */
int dns_query(struct dns_ctx *d, const char *name, int rrtype, unsigned timeout_ms,
	      dns_answer_fn *cb, void *arg, struct dns_query **qp);

/* dns_query_cancel - the answer is not wanted any more: cb will not be called. NULL is a
 * no-op. Not for a query whose cb has run. */
void dns_query_cancel(struct dns_query *q);

/* The addresses of a host, for the engine's checks. */
struct dns_addrs {
	struct sockaddr_storage addr[DNS_ADDRS_MAX];   /* A first, then AAAA */
	socklen_t len[DNS_ADDRS_MAX];
	size_t n;
	enum dns_status security;     /* NOANSWER when no answer arrived; else SECURE when
	                               * every answer that arrived was, BOGUS when one was,
	                               * else INSECURE */
	int error;                    /* 0, or MAILTLS_EDNS (no address) with why set */
	char why[256];
};

struct dns_lookup;

/* dns_lookup_addrs - resolve name; family 0, 4 or 6 limits the questions (A, AAAA).
 * IPv4 is preferred: once the A answer is in with addresses, the AAAA answer is waited
 * for at most DNS_AAAA_GRACE_MS more (RFC 8305 3), else the result is delivered when
 * every answer is in, or at dns_deadline(). Every address of both answers is kept, up to
 * DNS_ADDRS_MAX, each family given at least half of the room when both have more. cb is
 * called once from the loop with the result (borrowed for the call), unless the lookup is
 * cancelled first. On 0, *lp is a handle valid until cb runs or dns_cancel() is called;
 * on an error cb is never called. */
#define DNS_AAAA_GRACE_MS 50
int dns_lookup_addrs(struct dns_ctx *d, const char *name, unsigned port, int family,
		     void (*cb)(const struct dns_addrs *r, void *arg), void *arg,
		     struct dns_lookup **lp);

/* dns_deadline - the caller's deadline passed: stop the questions still out and deliver
 * what has arrived (an AAAA answer while A is still out is still an address); why says
 * what happened when nothing arrived. cb is called before this returns. */
void dns_deadline(struct dns_lookup *l, const char *why);

/* dns_cancel - stop a lookup (its owner is going away); cb will not be called. NULL is a
 * no-op. */
void dns_cancel(struct dns_lookup *l);

#endif
