/*
 * verdict.c - a domain's facts to outcomes per sender level, findings and severities.
 *
 *	Per address, per level (Postfix's levels, RFC 7672 for dane):
 *	  no SMTP session (no greeting, greeting refused) .......... unreachable
 *	  may      no STARTTLS, or the handshake failed ............. plaintext (after a
 *	           failed handshake Postfix defers, then sends in plaintext on a later
 *	           attempt); else encrypted
 *	  encrypt  no TLS ........................................... deferred; else encrypted
 *	  dane     the host's DANE state (verdict_host_dane()) decides:
 *	             none (MX or address records insecure, no TLSA, TLSA insecure): as may
 *	             defer (TLSA, or an address lookup, bogus or unanswered): deferred
 *	             unusable-only (secure records, none usable): as encrypt
 *	             applies (secure usable records): no TLS deferred; DANE verification
 *	             by OpenSSL succeeded authenticated; else deferred
 *	  verify   TLS, trusted chain, the MX host name (or its CNAME expansion, when that
 *	           was DNSSEC-secure) matches: authenticated; else deferred
 *	  secure   TLS, trusted chain, a DNS-ID that is the domain or a name under it:
 *	           authenticated; else deferred
 *	  mta-sts  with an enforce MTA-STS policy in effect (verdict_mtasts.c): a host no
 *	           mx pattern lists deferred, a listed one as verify; else as may
 *	Per host: senders try its addresses in turn, so the host delivers when one address
 *	does; its outcome is the worst among the addresses that deliver (a sender may land on
 *	any of them), else deferred when one defers, else unreachable. A host whose address
 *	lookup was bogus or unanswered has no address and defers.
 *	Per domain: senders try MX hosts by preference; the outcome is the worst among the
 *	hosts of the most preferred group that delivers; outcome_worst is the worst of any
 *	host that takes mail (what an attacker who blocks the preferred ones gets).
 *
 *	The checks send the MX host name as SNI outside DANE (Postfix sends none unless
 *	smtp_tls_servername is set; Exim and the large providers send one): a server that
 *	picks its certificate by SNI is judged by the certificate it shows for its name.
 *
 *	Severities at res->level: what the level does not look at is lowered to info (the
 *	table in docs/findings.md); an MX host that cannot take mail while another does is a
 *	warning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mailtls/mailtls.h>
#include <mailtls/names.h>
#include "verdict.h"

bool verdict_delivers(enum mailtls_outcome o)
{
	return o == MAILTLS_OUTCOME_AUTHENTICATED || o == MAILTLS_OUTCOME_ENCRYPTED
	       || o == MAILTLS_OUTCOME_PLAINTEXT;
}

bool verdict_tlsa_usable(uint8_t usage, uint8_t selector, uint8_t mtype, size_t len)
{
	if (usage != 2 && usage != 3)
		return false;
	if (selector > 1)
		return false;
	switch (mtype) {
	case 0: return len > 0;
	case 1: return len == 32;
	case 2: return len == 64;
	default: return false;
	}
}

bool verdict_name_under(const char *domain, const char *presented, size_t len)
{
	size_t dl = strlen(domain);
	char name[MAILTLS_NAME_MAX + 2];

	if (mailtls_name_match(domain, presented, len) != MAILTLS_NAME_NOMATCH)
		return true;
	/* dot-nexthop: any name under the domain, a wildcard as the whole first label. */
	if (len >= sizeof(name) || memchr(presented, '\0', len) != NULL)
		return false;
	memcpy(name, presented, len);
	name[len] = '\0';
	if (len > 0 && name[len - 1] == '.')
		name[--len] = '\0';
	if (len <= dl + 1 || name[len - dl - 1] != '.' || strcasecmp(name + len - dl, domain) != 0)
		return false;
	switch (mailtls_name_presented_kind(name, len)) {
	case MAILTLS_PRESENTED_PLAIN:
	case MAILTLS_PRESENTED_WILDCARD:
		return true;
	default:
		return false;
	}
}

/* secure - the lookup was answered securely (data or a proven absence). */
static bool secure(const struct mailtls_dns_lookup *l)
{
	return l->asked && l->status == MAILTLS_DNS_SECURE;
}

/* address_records_secure - every asked address lookup that answered was secure, and one
 * was asked (RFC 7672 2.2.2: no TLSA lookup for insecure address records). */
static bool address_records_secure(const struct mailtls_mx_host *h)
{
	bool any = false;

	if (h->a.asked) {
		if (h->a.status != MAILTLS_DNS_SECURE)
			return false;
		any = true;
	}
	if (h->aaaa.asked) {
		if (h->aaaa.status != MAILTLS_DNS_SECURE)
			return false;
		any = true;
	}
	return any;
}

/* address_lookup_failed - an address lookup of h was bogus or got no answer (a validating
 * sender's resolver answers SERVFAIL: the sender defers, RFC 7672 2.2.2). */
static bool address_lookup_failed(const struct mailtls_mx_host *h)
{
	for (int k = 0; k < 2; k++) {
		const struct mailtls_dns_lookup *l = k ? &h->aaaa : &h->a;

		if (l->asked && l->qname != NULL
		    && (l->status == MAILTLS_DNS_BOGUS || l->status == MAILTLS_DNS_NOANSWER))
			return true;
	}
	return false;
}

enum host_dane verdict_host_dane(const struct mailtls_domain_result *res,
				  const struct mailtls_mx_host *h)
{
	size_t usable = 0;

	/* The MX answer (for an implicit MX, its proven absence) must be secure, and the
	 * host's address records (RFC 7672 2.2.1, 2.2.2); an address lookup that failed
	 * validation or got no answer defers, as the TLSA lookup's would. */
	if (!secure(&res->mx))
		return HOST_DANE_NONE;
	if (address_lookup_failed(h))
		return HOST_DANE_DEFER;
	if (!address_records_secure(h) || !h->tlsa.asked)
		return HOST_DANE_NONE;
	switch (h->tlsa.status) {
	case MAILTLS_DNS_BOGUS:
	case MAILTLS_DNS_NOANSWER:
		return HOST_DANE_DEFER;
	case MAILTLS_DNS_INSECURE:
		return HOST_DANE_NONE;
	case MAILTLS_DNS_SECURE:
		break;
	}
	if (h->n_tlsa == 0 && h->tlsa_omitted == 0)
		return HOST_DANE_NONE;
	for (size_t i = 0; i < h->n_tlsa; i++)
		if (h->tlsa_records[i].usable)
			usable++;
	return usable ? HOST_DANE_APPLIES : HOST_DANE_UNUSABLE;
}

const char *mailtls_tlsa_unusable_reason(uint8_t usage, uint8_t selector, uint8_t mtype,
					 size_t len)
{
	return verdict_tlsa_unusable_reason(usage, selector, mtype, len);
}

const char *verdict_tlsa_unusable_reason(uint8_t usage, uint8_t selector, uint8_t mtype,
					 size_t len)
{
	if (usage != 2 && usage != 3)
		return usage <= 1 ? "PKIX usages (0, 1) are not used by SMTP senders"
				  : "unknown certificate usage";
	if (selector > 1)
		return "unknown selector";
	if (mtype > 2)
		return "unknown matching type";
	if ((mtype == 1 && len != 32) || (mtype == 2 && len != 64) || len == 0)
		return "association data of the wrong length for its matching type";
	return "refused by OpenSSL (data that does not decode)";
}

/* server facts */
bool verdict_reached(const struct mailtls_result *s)
{
	return s != NULL && s->have_session && s->session.banner != NULL
	       && !mailtls_result_has(s, MAILTLS_F_PROTO_GREETING_REJECTED);
}

bool verdict_tls(const struct mailtls_result *s)
{
	return s != NULL && s->session.tls_established;
}

int verdict_leaf_covers(const struct mailtls_certinfo *leaf, const char *ref)
{
	if (leaf == NULL || ref == NULL)
		return -1;
	for (size_t i = 0; i < leaf->dns_names.n; i++) {
		const char *p = leaf->dns_names.v[i];

		if (mailtls_name_match(ref, p, strlen(p)) != MAILTLS_NAME_NOMATCH)
			return (int)i;
	}
	return -1;
}

int verdict_leaf_under(const struct mailtls_certinfo *leaf, const char *domain)
{
	if (leaf == NULL || domain == NULL)
		return -1;
	for (size_t i = 0; i < leaf->dns_names.n; i++) {
		const char *p = leaf->dns_names.v[i];

		if (verdict_name_under(domain, p, strlen(p)))
			return (int)i;
	}
	return -1;
}

static bool leaf_names(const struct mailtls_result *s, const char *ref)
{
	return s != NULL && s->chain_len > 0 && verdict_leaf_covers(&s->chain[0], ref) >= 0;
}

static bool leaf_names_under(const struct mailtls_result *s, const char *domain)
{
	return s != NULL && s->chain_len > 0 && verdict_leaf_under(&s->chain[0], domain) >= 0;
}

static void address_outcomes(const struct mailtls_domain_result *res,
			     const struct mailtls_mx_host *h, enum host_dane hd,
			     struct mailtls_mx_address *a)
{
	const struct mailtls_result *s = a->server;
	enum mailtls_outcome *o = a->outcome;
	enum mailtls_outcome may;

	if (!verdict_reached(s)) {
		for (int l = 0; l < MAILTLS_LEVEL_COUNT; l++)
			o[l] = MAILTLS_OUTCOME_UNREACHABLE;
		return;
	}
	may = verdict_tls(s) ? MAILTLS_OUTCOME_ENCRYPTED : MAILTLS_OUTCOME_PLAINTEXT;
	o[MAILTLS_LEVEL_MAY] = may;
	o[MAILTLS_LEVEL_ENCRYPT] = verdict_tls(s) ? MAILTLS_OUTCOME_ENCRYPTED : MAILTLS_OUTCOME_DEFERRED;
	switch (hd) {
	case HOST_DANE_NONE:
		o[MAILTLS_LEVEL_DANE] = may;
		break;
	case HOST_DANE_DEFER:
		o[MAILTLS_LEVEL_DANE] = MAILTLS_OUTCOME_DEFERRED;
		break;
	case HOST_DANE_UNUSABLE:
		o[MAILTLS_LEVEL_DANE] = o[MAILTLS_LEVEL_ENCRYPT];
		break;
	case HOST_DANE_APPLIES:
		a->dane_applies = true;
		o[MAILTLS_LEVEL_DANE] = verdict_tls(s) && a->dane_checked && a->dane_authenticated
					? MAILTLS_OUTCOME_AUTHENTICATED : MAILTLS_OUTCOME_DEFERRED;
		break;
	}
	/* The MX host name, or its CNAME expansion when that was DNSSEC-secure: a name
	 * learned from unsigned DNS is never an identity. */
	o[MAILTLS_LEVEL_VERIFY] = verdict_tls(s) && s->chain_trusted
				  && (leaf_names(s, h->name)
				      || (h->canonical_secure && leaf_names(s, h->canonical)))
				  ? MAILTLS_OUTCOME_AUTHENTICATED : MAILTLS_OUTCOME_DEFERRED;
	o[MAILTLS_LEVEL_SECURE] = verdict_tls(s) && s->chain_trusted && leaf_names_under(s, res->domain)
				  ? MAILTLS_OUTCOME_AUTHENTICATED : MAILTLS_OUTCOME_DEFERRED;
	o[MAILTLS_LEVEL_MTASTS] = verdict_mtasts_outcome(res, h, s, may);
}

/* combine - the outcome of a group a sender tries in turn: the worst that delivers, else
 * deferred when one defers, else unreachable (NONE for an empty group). */
static enum mailtls_outcome combine(enum mailtls_outcome acc, enum mailtls_outcome o)
{
	if (acc == MAILTLS_OUTCOME_NONE)
		return o;
	if (verdict_delivers(acc) && verdict_delivers(o))
		return o > acc ? o : acc;
	if (verdict_delivers(acc))
		return acc;
	if (verdict_delivers(o))
		return o;
	return acc < o ? acc : o;   /* deferred before unreachable */
}

struct mailtls_subject verdict_host_subject(const struct mailtls_domain_result *res,
					    const struct mailtls_mx_host *h,
					    const struct mailtls_mx_address *a)
{
	return (struct mailtls_subject){ .host = h->name, .addr = a ? a->addr : NULL,
					 .port = a ? res->port : 0, .cert_depth = -1 };
}

const char *verdict_lookup_problem(const struct mailtls_dns_lookup *l, char *buf, size_t len)
{
	if (l->status == MAILTLS_DNS_BOGUS)
		snprintf(buf, len, "%s %s is bogus (%s)", l->qname ? l->qname : "?",
			 l->qtype ? l->qtype : "", l->why_bogus ? l->why_bogus : "no reason given");
	else
		snprintf(buf, len, "%s %s: %s", l->qname ? l->qname : "?", l->qtype ? l->qtype : "",
			 l->why ? l->why : l->rcode == 2 ? "SERVFAIL" : "no answer");
	return buf;
}

/* leaf_key_hex - the leaf's SPKI SHA-256 as TLSA data (hex without colons), or "?". */
static void leaf_key_hex(const struct mailtls_result *s, char *buf, size_t len)
{
	size_t o = 0;
	const char *p = s != NULL && s->chain_len > 0 ? s->chain[0].spki_sha256 : NULL;

	for (; p != NULL && *p != '\0' && o + 1 < len; p++)
		if (*p != ':')
			buf[o++] = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
	buf[o] = '\0';
	if (o == 0)
		snprintf(buf, len, "?");
}

/* record_matches - a usable record of h matches a certificate served at a. */
static bool record_matches(const struct mailtls_mx_host *h, const struct mailtls_mx_address *a)
{
	if (a->dane_depth >= 0)
		return true;
	for (size_t i = 0; a->tlsa_matched != NULL && i < h->n_tlsa; i++)
		if (a->tlsa_matched[i] && h->tlsa_records[i].usable)
			return true;
	return false;
}

/* dane_findings - the host's DANE facts as findings. */
static int dane_findings(struct mailtls_domain_result *res, struct mailtls_mx_host *h,
			 enum host_dane hd)
{
	struct mailtls_subject hs = verdict_host_subject(res, h, NULL);
	char buf[512];
	int r;

	if (h->n_addrs == 0 && !address_lookup_failed(h))
		return 0;
	if (secure(&res->mx) && address_lookup_failed(h))
		return 0;   /* host_findings() names the failed lookup; DANE senders defer */
	if (!secure(&res->mx) || !address_records_secure(h)) {
		/* DANE cannot apply; records published all the same are ignored. */
		if (h->n_tlsa > 0)
			VERDICT_ADD(res, MAILTLS_F_DANE_TLSA_INSECURE, hs,
			    "%s: %zu TLSA record%s at %s, but the %s not DNSSEC-secure: ignored",
			    h->name, h->n_tlsa, h->n_tlsa == 1 ? "" : "s",
			    h->tlsa.qname ? h->tlsa.qname : "?",
			    !secure(&res->mx) ? "MX records are" : "host's address records are");
		else if (secure(&res->mx))
			VERDICT_ADD(res, MAILTLS_F_DANE_NAME_NOT_SECURE, hs,
			    "%s: address records not DNSSEC-secure: DANE does not apply", h->name);
		return 0;
	}
	switch (hd) {
	case HOST_DANE_DEFER:
		VERDICT_ADD(res, h->tlsa.status == MAILTLS_DNS_BOGUS ? MAILTLS_F_DANE_TLSA_BOGUS
							     : MAILTLS_F_DANE_TLSA_NO_ANSWER,
		    hs, "%s", verdict_lookup_problem(&h->tlsa, buf, sizeof(buf)));
		return 0;
	case HOST_DANE_NONE:
		if (h->tlsa.asked && h->tlsa.status == MAILTLS_DNS_INSECURE && h->n_tlsa > 0)
			VERDICT_ADD(res, MAILTLS_F_DANE_TLSA_INSECURE, hs,
			    "%s: %zu TLSA record%s at %s, not DNSSEC-secure: ignored", h->name,
			    h->n_tlsa, h->n_tlsa == 1 ? "" : "s", h->tlsa.qname ? h->tlsa.qname : "?");
		else if (h->tlsa.asked)
			VERDICT_ADD(res, MAILTLS_F_DANE_NO_TLSA, hs, "%s: no TLSA records at %s", h->name,
			    h->tlsa.qname ? h->tlsa.qname : "?");
		return 0;
	case HOST_DANE_UNUSABLE:
		VERDICT_ADD(res, MAILTLS_F_DANE_UNUSABLE_ONLY, hs,
		    "%s: none of the %zu TLSA records at %s is usable for SMTP (DANE-TA(2) or "
		    "DANE-EE(3) with a known selector and matching type)%s", h->name,
		    h->n_tlsa + h->tlsa_omitted, h->tlsa.qname ? h->tlsa.qname : "?",
		    h->tlsa_omitted ? "; some could not be read at all" : "");
		return 0;
	case HOST_DANE_APPLIES:
		break;
	}
	for (size_t i = 0; i < h->n_tlsa; i++)
		if (!h->tlsa_records[i].usable)
			VERDICT_ADD(res, MAILTLS_F_DANE_UNUSABLE_RECORD, hs,
			    "%s: TLSA %u %u %u is not usable for SMTP (%s): ignored", h->name,
			    h->tlsa_records[i].usage, h->tlsa_records[i].selector,
			    h->tlsa_records[i].mtype,
			    verdict_tlsa_unusable_reason(h->tlsa_records[i].usage,
							 h->tlsa_records[i].selector,
							 h->tlsa_records[i].mtype,
							 h->tlsa_records[i].len));
	/* Per address: the DANE outcome. */
	size_t n_ok = 0, n_tls = 0;
	for (size_t j = 0; j < h->n_addrs; j++) {
		struct mailtls_mx_address *a = &h->addrs[j];
		struct mailtls_subject as = verdict_host_subject(res, h, a);

		if (!verdict_reached(a->server))
			continue;
		if (!a->server->session.starttls_offered) {
			/* RFC 7672 2.2: DNSSEC-secure usable TLSA records oblige TLS. */
			VERDICT_ADD(res, MAILTLS_F_DANE_STARTTLS_MISSING, as,
			    "%s[%s]: DNSSEC-secure TLSA records require TLS, but STARTTLS is not "
			    "offered: this is what a STARTTLS-stripping man in the middle looks like, "
			    "or a server whose TLS was switched off; DANE senders defer rather than "
			    "send in clear", h->name, a->addr);
			continue;
		}
		if (!verdict_tls(a->server)) {
			VERDICT_ADD(res, MAILTLS_F_DANE_TLS_FAILED, as,
			    "%s[%s]: TLSA records published, no TLS session: DANE senders defer",
			    h->name, a->addr);
			continue;
		}
		n_tls++;
		if (a->dane_checked && a->dane_authenticated) {
			n_ok++;
			VERDICT_ADD(res, MAILTLS_F_DANE_MATCH, as,
			    "%s[%s]: authenticated by a %s record matching the certificate at depth %d",
			    h->name, a->addr, a->dane_usage == 3 ? "DANE-EE(3)" :
			    a->dane_usage == 2 ? "DANE-TA(2)" : "TLSA", a->dane_depth);
		} else if (record_matches(h, a)) {
			VERDICT_ADD(res, MAILTLS_F_DANE_VERIFY_FAILED, as,
			    "%s[%s]: a TLSA record matches, but verification failed: %s", h->name,
			    a->addr, a->dane_error ? a->dane_error : "no reason given");
		} else {
			char key[80];

			leaf_key_hex(a->server, key, sizeof(key));
			VERDICT_ADD(res, MAILTLS_F_DANE_NO_MATCH, as,
			    "%s[%s]: none of the %zu TLSA record%s at %s matches the chain "
			    "served (its leaf key is 3 1 1 %s)", h->name, a->addr, h->n_tlsa,
			    h->n_tlsa == 1 ? "" : "s", h->tlsa.qname ? h->tlsa.qname : "?", key);
		}
	}
	if (n_ok > 0 && n_ok < n_tls)
		VERDICT_ADD(res, MAILTLS_F_DANE_PARTIAL, hs,
		    "%s: the TLSA records authenticate %zu of its %zu addresses with TLS", h->name,
		    n_ok, n_tls);
	/* Rollover: records that match nothing on any address while another matches. */
	if (n_ok > 0 && h->n_tlsa > 1) {
		size_t unmatched = 0;

		for (size_t i = 0; i < h->n_tlsa; i++) {
			bool m = false;

			for (size_t j = 0; j < h->n_addrs; j++)
				if (h->addrs[j].tlsa_matched && h->addrs[j].tlsa_matched[i])
					m = true;
			if (!m && h->tlsa_records[i].usable)
				unmatched++;
		}
		if (unmatched > 0)
			VERDICT_ADD(res, MAILTLS_F_DANE_ROLLOVER, hs,
			    "%s: %zu of %zu TLSA records match nothing served now (rollover?)",
			    h->name, unmatched, h->n_tlsa);
	}
	return 0;
}

/* host_findings - DNS facts about one MX host. */
static int host_findings(struct mailtls_domain_result *res, struct mailtls_mx_host *h)
{
	struct mailtls_subject hs = verdict_host_subject(res, h, NULL);
	char buf[512];
	int r;

	if (h->ip_literal) {
		VERDICT_ADD(res, MAILTLS_F_MX_IP_LITERAL, hs, "MX %u %s names an IP address, not a host",
		    h->preference, h->name);
		return 0;
	}
	if (h->canonical != NULL)
		VERDICT_ADD(res, MAILTLS_F_MX_CNAME, hs, "MX target %s is an alias of %s%s", h->name,
		    h->canonical, h->canonical_secure ? "" : " (the alias is not DNSSEC-secure)");
	for (int k = 0; k < 2; k++) {
		const struct mailtls_dns_lookup *l = k ? &h->aaaa : &h->a;

		if (l->asked && l->status == MAILTLS_DNS_BOGUS)
			VERDICT_ADD(res, MAILTLS_F_DNS_BOGUS, hs, "%s", verdict_lookup_problem(l, buf, sizeof(buf)));
		else if (l->asked && l->status == MAILTLS_DNS_NOANSWER && !l->nxdomain)
			VERDICT_ADD(res, MAILTLS_F_DNS_NO_ANSWER, hs, "%s", verdict_lookup_problem(l, buf, sizeof(buf)));
	}
	if (h->n_addrs == 0 && !address_lookup_failed(h))
		VERDICT_ADD(res, MAILTLS_F_MX_NO_ADDRESS, hs, "MX host %s has no A or AAAA records%s",
		    h->name, h->a.nxdomain ? " (no such name)" : "");
	for (size_t j = 0; j < h->n_addrs; j++) {
		struct mailtls_mx_address *a = &h->addrs[j];

		if (a->ptr_name != NULL && strcasecmp(a->ptr_name, h->name) != 0
		    && (h->canonical == NULL || strcasecmp(a->ptr_name, h->canonical) != 0))
			VERDICT_ADD(res, MAILTLS_F_MX_PTR_DIFFERS, verdict_host_subject(res, h, a),
			    "%s[%s]: PTR name %s differs from the MX host name (not an identity)",
			    h->name, a->addr, a->ptr_name);
	}
	return 0;
}

/* severity_at - the severity of a finding at level l, given what the level looks at. h and
 * a: the host and address the finding is about, or NULL. */
static enum mailtls_severity severity_at(const struct mailtls_domain_result *res,
					 const struct mailtls_finding *f, enum mailtls_level l,
					 const struct mailtls_mx_host *h,
					 const struct mailtls_mx_address *a, bool domain_delivers,
					 bool host_delivers)
{
	const char *id = f->id;
	enum mailtls_severity sev = mailtls_catalog_get(f->fid)->severity;
	/* An enforce MTA-STS policy asks what verify asks of the hosts it lists. */
	bool sts_pkix = l == MAILTLS_LEVEL_MTASTS && verdict_mtasts_enforced(res) && h != NULL
			&& h->sts_pattern >= 0;
	bool pkix_level = l == MAILTLS_LEVEL_VERIFY || l == MAILTLS_LEVEL_SECURE || sts_pkix;

	if (strncmp(id, "mtasts.", 7) == 0 || strncmp(id, "tlsrpt.", 7) == 0)
		return verdict_mtasts_severity(res, f, h, domain_delivers);

	if (strncmp(id, "dane.", 5) == 0) {
		if (l != MAILTLS_LEVEL_DANE && sev > MAILTLS_SEV_INFO)
			return MAILTLS_SEV_INFO;
		if (sev == MAILTLS_SEV_CRITICAL && domain_delivers)
			return MAILTLS_SEV_WARNING;
		return sev;
	}
	if (strncmp(id, "cert.", 5) == 0) {
		if (f->fid == MAILTLS_F_CERT_NEXTHOP_MISMATCH)
			return l == MAILTLS_LEVEL_SECURE ? MAILTLS_SEV_CRITICAL : MAILTLS_SEV_INFO;
		if (!pkix_level && sev > MAILTLS_SEV_INFO)
			return MAILTLS_SEV_INFO;
		if (l == MAILTLS_LEVEL_SECURE && f->fid == MAILTLS_F_CERT_NAME_MISMATCH)
			return MAILTLS_SEV_INFO;   /* secure matches the domain, not the MX name */
		if (sev == MAILTLS_SEV_CRITICAL && domain_delivers)
			return MAILTLS_SEV_WARNING;
		return sev;
	}
	if (f->fid == MAILTLS_F_STARTTLS_NOT_OFFERED || f->fid == MAILTLS_F_TLS_HANDSHAKE_FAILED
	    || f->fid == MAILTLS_F_STARTTLS_REFUSED) {
		bool fallback = l == MAILTLS_LEVEL_MAY
				|| (l == MAILTLS_LEVEL_DANE && a != NULL && !a->dane_applies
				    && a->outcome[MAILTLS_LEVEL_DANE] == MAILTLS_OUTCOME_PLAINTEXT)
				|| (l == MAILTLS_LEVEL_MTASTS && !sts_pkix);
		if (fallback || domain_delivers)
			return MAILTLS_SEV_WARNING;
		return sev;
	}
	if (strncmp(id, "conn.", 5) == 0 || strncmp(id, "proto.", 6) == 0) {
		if (sev == MAILTLS_SEV_CRITICAL && (domain_delivers || host_delivers))
			return MAILTLS_SEV_WARNING;
		return sev;
	}
	if (strncmp(id, "mx.", 3) == 0 || strncmp(id, "dns.", 4) == 0) {
		if (sev == MAILTLS_SEV_CRITICAL && domain_delivers && f->fid != MAILTLS_F_MX_SENDER_DEFERS)
			return MAILTLS_SEV_WARNING;
		return sev;
	}
	return sev;
}

/* find_address - the host and address a subject names, or NULLs. */
static const struct mailtls_mx_address *find_address(const struct mailtls_domain_result *res,
						     const struct mailtls_subject *s,
						     const struct mailtls_mx_host **hp)
{
	*hp = NULL;
	for (size_t i = 0; i < res->n_hosts; i++) {
		const struct mailtls_mx_host *h = &res->hosts[i];

		if (s->host == NULL || strcmp(s->host, h->name) != 0)
			continue;
		*hp = h;
		for (size_t j = 0; j < h->n_addrs; j++)
			if (s->addr != NULL && strcmp(s->addr, h->addrs[j].addr) == 0)
				return &h->addrs[j];
		return NULL;
	}
	return NULL;
}

static void rewrite(struct mailtls_findings *f, const struct mailtls_domain_result *res,
		    const struct mailtls_mx_host *h, const struct mailtls_mx_address *a)
{
	enum mailtls_level l = res->level;
	bool dd = verdict_delivers(res->outcome[l]);

	for (size_t i = 0; i < f->n; i++) {
		const struct mailtls_mx_host *hh = h;
		const struct mailtls_mx_address *aa = a;

		if (hh == NULL)
			aa = find_address(res, &f->v[i].subject, &hh);
		f->v[i].severity = severity_at(res, &f->v[i], l, hh, aa, dd,
					       hh != NULL && verdict_delivers(hh->outcome[l]));
	}
}

static void join(char **dst, const char *name)
{
	size_t ol = *dst ? strlen(*dst) : 0;
	char *s = realloc(*dst, ol + strlen(name) + 3);

	if (s == NULL)
		return;
	if (ol == 0)
		strcpy(s, name);
	else
		sprintf(s + ol, ", %s", name);
	*dst = s;
}

char *verdict_no_hosts_why(const struct mailtls_domain_result *res)
{
	char buf[512];

	if (res->mx.nxdomain)
		snprintf(buf, sizeof(buf), "%s does not exist (NXDOMAIN)", res->domain);
	else if (res->mx.status == MAILTLS_DNS_BOGUS || res->mx.status == MAILTLS_DNS_NOANSWER)
		verdict_lookup_problem(&res->mx, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "%s has no MX and no address records", res->domain);
	return strdup(buf);
}

int verdict_domain(struct mailtls_domain_result *res)
{
	int r;
	char buf[512];
	struct mailtls_subject ds = { .host = NULL, .cert_depth = -1 };

	/* The domain's own DNS. */
	if (res->mx.asked && res->mx.nxdomain) {
		VERDICT_ADD(res, MAILTLS_F_DNS_NXDOMAIN, ds, "%s does not exist (NXDOMAIN)", res->domain);
	} else if (res->mx.asked && res->mx.status == MAILTLS_DNS_BOGUS) {
		VERDICT_ADD(res, MAILTLS_F_DNS_BOGUS, ds, "%s", verdict_lookup_problem(&res->mx, buf, sizeof(buf)));
	} else if (res->mx.asked && res->mx.status == MAILTLS_DNS_NOANSWER) {
		VERDICT_ADD(res, MAILTLS_F_DNS_NO_ANSWER, ds, "%s", verdict_lookup_problem(&res->mx, buf, sizeof(buf)));
	} else if (res->mx.asked && res->mx.status == MAILTLS_DNS_INSECURE && !res->validating) {
		VERDICT_ADD(res, MAILTLS_F_DNS_NOT_VALIDATING, ds,
		    "no DNSSEC trust anchor: the answers for %s could not be validated, so DANE "
		    "cannot be judged", res->domain);
	} else if (res->mx.asked && res->mx.status == MAILTLS_DNS_INSECURE) {
		VERDICT_ADD(res, MAILTLS_F_DNS_INSECURE, ds, "the MX records of %s are not DNSSEC-signed",
		    res->domain);
	}
	if (res->mx.canonical != NULL)
		VERDICT_ADD(res, MAILTLS_F_MX_DOMAIN_CNAME, ds, "%s is an alias of %s", res->domain,
		    res->mx.canonical);
	if (res->null_mx_mixed)
		VERDICT_ADD(res, MAILTLS_F_MX_NULL_MIXED, ds,
		    "%s publishes a null MX (target \".\") among other MX records: Postfix takes "
		    "the whole answer as a null MX and bounces; other senders may use the other "
		    "hosts, which were not checked", res->domain);
	if (res->null_mx) {
		if (res->null_mx_preference != 0)
			VERDICT_ADD(res, MAILTLS_F_MX_NULL_MIXED, ds,
			    "%s publishes its null MX with preference %u, not 0", res->domain,
			    res->null_mx_preference);
		VERDICT_ADD(res, MAILTLS_F_MX_NULL, ds, "%s publishes a null MX: it accepts no mail",
		    res->domain);
		return 0;
	}
	if (res->hosts_omitted > 0)
		VERDICT_ADD(res, MAILTLS_F_MX_TRUNCATED, ds,
		    "%s has %zu MX hosts: the %zu least preferred were not checked", res->domain,
		    res->n_hosts + res->hosts_omitted, res->hosts_omitted);
	if (res->implicit_mx) {
		if (res->n_hosts == 0 || res->hosts[0].n_addrs == 0)
			VERDICT_ADD(res, MAILTLS_F_MX_NONE, ds, "%s has no MX and no address records",
			    res->domain);
		else
			VERDICT_ADD(res, MAILTLS_F_MX_IMPLICIT, ds,
			    "%s has no MX records: senders use its address records", res->domain);
	}

	/* Per host and address. */
	verdict_mtasts_prepare(res);
	for (size_t i = 0; i < res->n_hosts; i++) {
		struct mailtls_mx_host *h = &res->hosts[i];
		enum host_dane hd = verdict_host_dane(res, h);

		verdict_mtasts_host(res, h, hd);
		if ((r = host_findings(res, h)) != 0)
			return r;
		for (int l = 0; l < MAILTLS_LEVEL_COUNT; l++)
			h->outcome[l] = MAILTLS_OUTCOME_NONE;
		for (size_t j = 0; j < h->n_addrs; j++) {
			address_outcomes(res, h, hd, &h->addrs[j]);
			for (int l = 0; l < MAILTLS_LEVEL_COUNT; l++)
				h->outcome[l] = combine(h->outcome[l], h->addrs[j].outcome[l]);
		}
		/* No address: unreachable; when a lookup failed validation or got no answer,
		 * senders whose resolvers validate are answered SERVFAIL and defer. */
		if (h->n_addrs == 0)
			for (int l = 0; l < MAILTLS_LEVEL_COUNT; l++)
				h->outcome[l] = address_lookup_failed(h) ? MAILTLS_OUTCOME_DEFERRED
									 : MAILTLS_OUTCOME_UNREACHABLE;
		if (h->addrs_omitted > 0 || h->tlsa_omitted > 0)
			VERDICT_ADD(res, MAILTLS_F_MX_TRUNCATED, verdict_host_subject(res, h, NULL),
			    "%s: %zu address%s over the limit not checked, %zu TLSA record%s left out "
			    "(unreadable or over the limit)", h->name, h->addrs_omitted,
			    h->addrs_omitted == 1 ? "" : "es", h->tlsa_omitted,
			    h->tlsa_omitted == 1 ? "" : "s");
		if ((r = dane_findings(res, h, hd)) != 0)
			return r;
		for (size_t j = 1; j < h->n_addrs; j++)
			if (h->addrs[j].outcome[res->level] != h->addrs[0].outcome[res->level]) {
				VERDICT_ADD(res, MAILTLS_F_MX_ADDRESSES_DIFFER, verdict_host_subject(res, h, NULL),
				    "%s at level %s: %s on %s, %s on %s", h->name,
				    mailtls_level_name(res->level),
				    mailtls_outcome_name(h->addrs[0].outcome[res->level]), h->addrs[0].addr,
				    mailtls_outcome_name(h->addrs[j].outcome[res->level]), h->addrs[j].addr);
				break;
			}
	}

	/* The domain: the most preferred group that delivers. */
	for (int l = 0; l < MAILTLS_LEVEL_COUNT; l++) {
		enum mailtls_outcome acc = MAILTLS_OUTCOME_NONE;
		size_t i = 0;

		while (i < res->n_hosts) {
			size_t j = i;
			enum mailtls_outcome g = MAILTLS_OUTCOME_NONE;

			while (j < res->n_hosts && res->hosts[j].preference == res->hosts[i].preference)
				g = combine(g, res->hosts[j++].outcome[l]);
			acc = combine(acc, g);
			if (verdict_delivers(g)) {
				for (size_t k = i; k < j; k++)
					if (res->hosts[k].outcome[l] == g)
						join(&res->outcome_via[l], res->hosts[k].name);
				acc = g;
				break;
			}
			i = j;
		}
		/* A bogus MX answer: validating resolvers answer SERVFAIL, senders defer. */
		res->outcome[l] = res->n_hosts ? acc :
				  res->mx.status == MAILTLS_DNS_BOGUS ? MAILTLS_OUTCOME_DEFERRED :
				  MAILTLS_OUTCOME_UNREACHABLE;
		/* What an attacker who blocks the preferred hosts gets: the worst outcome of
		 * any host that takes mail. */
		res->outcome_worst[l] = res->outcome[l];
		for (size_t k = 0; k < res->n_hosts; k++)
			if (verdict_delivers(res->hosts[k].outcome[l]) && verdict_delivers(res->outcome_worst[l])
			    && res->hosts[k].outcome[l] > res->outcome_worst[l])
				res->outcome_worst[l] = res->hosts[k].outcome[l];
		if (l != (int)res->level)
			continue;
		if (res->outcome_worst[l] != res->outcome[l]) {
			size_t k = 0;

			while (k < res->n_hosts && res->hosts[k].outcome[l] != res->outcome_worst[l])
				k++;
			VERDICT_ADD(res, MAILTLS_F_MX_BACKUP_WEAKER, ds,
			    "at level %s mail to %s is %s via %s, but %s (preference %u) gives only "
			    "%s: an attacker who blocks the preferred hosts gets that",
			    mailtls_level_name(res->level), res->domain,
			    mailtls_outcome_name(res->outcome[l]),
			    res->outcome_via[l] ? res->outcome_via[l] : "?",
			    k < res->n_hosts ? res->hosts[k].name : "?",
			    k < res->n_hosts ? res->hosts[k].preference : 0,
			    mailtls_outcome_name(res->outcome_worst[l]));
		}
		if (!verdict_delivers(acc) && res->n_hosts > 0)
			VERDICT_ADD(res, MAILTLS_F_MX_SENDER_DEFERS, ds,
			    "at level %s no MX host of %s takes the mail (%s)", mailtls_level_name(res->level),
			    res->domain, mailtls_outcome_name(acc));
		else if (i > 0)
			VERDICT_ADD(res, MAILTLS_F_MX_BACKUP_USED, ds,
			    "at level %s the preferred MX host %s %s: mail goes to %s",
			    mailtls_level_name(res->level), res->hosts[0].name,
			    res->hosts[0].outcome[l] == MAILTLS_OUTCOME_UNREACHABLE ? "is unreachable"
										 : "defers",
			    res->outcome_via[l] ? res->outcome_via[l] : "?");
	}

	/* The secure level's own name check, as a finding per address with TLS. */
	for (size_t i = 0; i < res->n_hosts; i++)
		for (size_t j = 0; j < res->hosts[i].n_addrs; j++) {
			struct mailtls_mx_address *a = &res->hosts[i].addrs[j];

			if (verdict_tls(a->server) && a->server->chain_len > 0
			    && !leaf_names_under(a->server, res->domain))
				VERDICT_ADD(res, MAILTLS_F_CERT_NEXTHOP_MISMATCH, verdict_host_subject(res, &res->hosts[i], a),
				    "%s[%s]: the certificate names neither %s nor a name under it",
				    res->hosts[i].name, a->addr, res->domain);
		}

	if ((r = verdict_mtasts_findings(res)) != 0 || (r = verdict_postfix(res)) != 0)
		return r;

	/* Severities at the chosen level. */
	rewrite(&res->findings, res, NULL, NULL);
	for (size_t i = 0; i < res->n_hosts; i++)
		for (size_t j = 0; j < res->hosts[i].n_addrs; j++)
			if (res->hosts[i].addrs[j].server != NULL)
				rewrite(&res->hosts[i].addrs[j].server->findings, res, &res->hosts[i],
					&res->hosts[i].addrs[j]);
	return 0;
}
