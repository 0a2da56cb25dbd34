/*
 * verdict_mtasts.c - the verdict's MTA-STS and TLS-RPT part: what a sender that applies
 * MTA-STS (RFC 8461) does with the domain's facts, and the mtasts.* and tlsrpt.* findings.
 *
 *	A policy is in effect for a sender without a cached one when the `_mta-sts` TXT
 *	record is valid (exactly one v=STSv1 record), the policy was fetched (HTTPS verified,
 *	200, text/plain, within 64 KiB) and reads, and its mode is enforce or testing
 *	(RFC 8461 5). Otherwise the sender delivers as without MTA-STS.
 *	Per MX host (4.1, 4.2): listed (an mx pattern matches), and on every address it
 *	reached STARTTLS and a certificate valid for the MX host name (as the verify level
 *	judges it). In enforce mode a host that fails is not delivered to (deferred); in
 *	testing mode the failure is what TLS-RPT would report.
 *	The mta-sts level is a sender with MTA-STS and no DANE: it applies the policy to every
 *	host. Where a host has DNSSEC-secure usable TLSA records a sender that also does DANE
 *	applies DANE there instead (RFC 8461 section 2): reported (mtasts.dane-precedence),
 *	and the host's policy findings are information at the dane level.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mailtls/mailtls.h>
#include "verdict.h"

static const struct mailtls_subject domain_subject = { .cert_depth = -1 };

void verdict_mtasts_prepare(struct mailtls_domain_result *res)
{
	struct mailtls_mtasts *m = &res->mtasts;

	m->in_effect = m->evaluated && m->txt.valid && m->policy.fetch == MAILTLS_FETCH_OK
		       && m->policy.valid && (m->policy.mode == MAILTLS_STS_MODE_ENFORCE
					      || m->policy.mode == MAILTLS_STS_MODE_TESTING);
}

bool verdict_mtasts_enforced(const struct mailtls_domain_result *res)
{
	return res->mtasts.in_effect && res->mtasts.policy.mode == MAILTLS_STS_MODE_ENFORCE;
}

void verdict_mtasts_host(struct mailtls_domain_result *res, struct mailtls_mx_host *h,
			 enum host_dane hd)
{
	h->sts_pattern = res->mtasts.evaluated
			 ? mailtls_sts_mx_first(&res->mtasts.policy.mx, h->name) : -1;
	h->dane_governs = hd == HOST_DANE_APPLIES;
	h->sts = MAILTLS_STS_HOST_NA;
}

/* cert_ok - a trusted chain whose leaf has a DNS-ID matching the MX host name itself
 * (RFC 8461 4.2: never its CNAME expansion, which the verify level also accepts). */
static bool cert_ok(const struct mailtls_mx_host *h, const struct mailtls_result *s)
{
	return verdict_tls(s) && s->chain_trusted && s->chain_len > 0
	       && verdict_leaf_covers(&s->chain[0], h->name) >= 0;
}

enum mailtls_outcome verdict_mtasts_outcome(const struct mailtls_domain_result *res,
					    const struct mailtls_mx_host *h,
					    const struct mailtls_result *s,
					    enum mailtls_outcome may)
{
	if (!verdict_mtasts_enforced(res))
		return may;
	if (h->sts_pattern < 0)
		return MAILTLS_OUTCOME_DEFERRED;
	return cert_ok(h, s) ? MAILTLS_OUTCOME_AUTHENTICATED : MAILTLS_OUTCOME_DEFERRED;
}

/* host_result - what the policy in effect means for h, with the address that decided it
 * (NULL when none did). */
static enum mailtls_sts_host host_result(const struct mailtls_domain_result *res,
					 const struct mailtls_mx_host *h,
					 const struct mailtls_mx_address **which)
{
	bool any = false;

	*which = NULL;
	if (!res->mtasts.in_effect)
		return MAILTLS_STS_HOST_NA;
	if (h->sts_pattern < 0)
		return MAILTLS_STS_HOST_NOT_LISTED;
	for (size_t j = 0; j < h->n_addrs; j++) {
		const struct mailtls_mx_address *a = &h->addrs[j];

		if (!verdict_reached(a->server))
			continue;
		any = true;
		if (!verdict_tls(a->server)) {
			*which = a;
			return MAILTLS_STS_HOST_NO_TLS;
		}
	}
	for (size_t j = 0; j < h->n_addrs; j++) {
		const struct mailtls_mx_address *a = &h->addrs[j];

		if (verdict_tls(a->server) && !cert_ok(h, a->server)) {
			*which = a;
			return MAILTLS_STS_HOST_CERT;
		}
	}
	return any ? MAILTLS_STS_HOST_OK : MAILTLS_STS_HOST_UNREACHABLE;
}

/* cert_problem - why the certificate at a fails the policy: the server's critical cert.*
 * findings by id ("cert.expired"), else in words. Into buf. */
static const char *cert_problem(const struct mailtls_mx_address *a, char *buf, size_t len)
{
	const struct mailtls_result *s = a->server;
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->findings.n && off < len; i++) {
		const struct mailtls_finding *f = &s->findings.v[i];

		if (strncmp(f->id, "cert.", 5) == 0
		    && mailtls_catalog_get(f->fid)->severity == MAILTLS_SEV_CRITICAL)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "", f->id);
	}
	if (off > 0)
		return buf;
	return s->chain_trusted ? "it does not name the MX host" : "its chain is not trusted";
}

static int host_findings(struct mailtls_domain_result *res, struct mailtls_mx_host *h,
			 bool *all_ok)
{
	const struct mailtls_sts_policy *p = &res->mtasts.policy;
	bool testing = p->mode == MAILTLS_STS_MODE_TESTING;
	const struct mailtls_mx_address *a;
	char why[512], buf[160];
	int r;

	h->sts = host_result(res, h, &a);
	if (h->sts == MAILTLS_STS_HOST_NA)
		return 0;
	if (h->dane_governs)
		VERDICT_ADD(res, MAILTLS_F_MTASTS_DANE_PRECEDENCE, verdict_host_subject(res, h, NULL),
		    "%s has DNSSEC-secure TLSA records: senders that do DANE apply them, not the "
		    "MTA-STS policy (RFC 8461 section 2)", h->name);
	switch (h->sts) {
	case MAILTLS_STS_HOST_NOT_LISTED:
		snprintf(why, sizeof(why), "%s matches no mx pattern of the policy", h->name);
		break;
	case MAILTLS_STS_HOST_NO_TLS:
		snprintf(why, sizeof(why), "%s[%s] %s", h->name, a->addr,
			 mailtls_result_has(a->server, MAILTLS_F_STARTTLS_NOT_OFFERED)
			 ? "does not offer STARTTLS, which the enforce policy requires: this is "
			   "what a STARTTLS-stripping man in the middle looks like, or a server "
			   "whose TLS was switched off"
			 : "offers STARTTLS, but TLS fails");
		break;
	case MAILTLS_STS_HOST_CERT:
		snprintf(why, sizeof(why), "%s[%s]: the certificate fails PKIX validation for %s (%s)",
			 h->name, a->addr, h->name, cert_problem(a, buf, sizeof(buf)));
		break;
	case MAILTLS_STS_HOST_UNREACHABLE:
		*all_ok = false;   /* nothing to judge: no mtasts.enforced (its own findings
		                    * say why) */
		return 0;
	default:
		return 0;
	}
	*all_ok = false;
	if (testing) {
		VERDICT_ADD(res, MAILTLS_F_MTASTS_TESTING_FAILURE, verdict_host_subject(res, h, a),
		    "%s: senders deliver under the testing policy and report it (TLS-RPT); in "
		    "enforce mode they would not deliver to it", why);
		return 0;
	}
	VERDICT_ADD(res, h->sts == MAILTLS_STS_HOST_NOT_LISTED ? MAILTLS_F_MTASTS_MX_NOT_LISTED :
		 h->sts == MAILTLS_STS_HOST_NO_TLS ? MAILTLS_F_MTASTS_MX_NO_TLS
						   : MAILTLS_F_MTASTS_MX_CERT_INVALID,
	    verdict_host_subject(res, h, a), "%s: MTA-STS senders (enforce policy) %s", why,
	    h->sts == MAILTLS_STS_HOST_NO_TLS ? "defer rather than send to it in clear"
					      : "will not deliver to it");
	return 0;
}

/* defect_text - a defect in words, for a message. */
static const char *defect_text(enum mailtls_sts_defect d)
{
	switch (d) {
	case MAILTLS_STS_TXT_MULTIPLE: return "more than one record starts with v=STSv1";
	case MAILTLS_STS_TXT_SYNTAX: return "not v=STSv1 and fields separated by ';'";
	case MAILTLS_STS_TXT_NO_ID: return "no id= field";
	case MAILTLS_STS_TXT_BAD_ID: return "the id is not 1 to 32 letters and digits";
	case MAILTLS_STS_TXT_OTHER_VERSION: return "a version other than exactly v=STSv1";
	case MAILTLS_STS_POL_NOT_TEXT: return "NUL bytes or invalid UTF-8";
	case MAILTLS_STS_POL_SYNTAX: return "not key: value";
	case MAILTLS_STS_POL_VERSION: return "the first line is not version: STSv1";
	case MAILTLS_STS_POL_MODE_MISSING: return "no mode";
	case MAILTLS_STS_POL_MODE_UNKNOWN: return "the mode is not enforce, testing or none";
	case MAILTLS_STS_POL_MAX_AGE_MISSING: return "no max_age";
	case MAILTLS_STS_POL_MAX_AGE_BAD: return "max_age is not a number from 0 to 31557600";
	case MAILTLS_STS_POL_MX_MISSING: return "no mx pattern, with a mode that needs one";
	case MAILTLS_STS_POL_MX_BAD: return "an mx pattern that is not a host name or *. and a "
					    "domain (skipped)";
	case MAILTLS_STS_POL_DUPLICATE: return "a key given again (the first counts)";
	case MAILTLS_STS_POL_TOO_LONG: return "over the limit of lines or mx patterns (the rest "
					      "is not read)";
	case MAILTLS_RPT_MULTIPLE: return "more than one record starts with v=TLSRPTv1";
	case MAILTLS_RPT_SYNTAX: return "not v=TLSRPTv1 and fields separated by ';'";
	case MAILTLS_RPT_NO_RUA: return "no rua= field";
	case MAILTLS_RPT_BAD_URI: return "not a valid mailto: or https: URI";
	case MAILTLS_RPT_SCHEME: return "a URI scheme other than mailto: or https:";
	case MAILTLS_STS_DEFECT_COUNT: break;
	}
	return "?";
}

static enum mailtls_fid defect_fid(const struct mailtls_sts_problem *pr)
{
	switch (pr->defect) {
	case MAILTLS_STS_TXT_MULTIPLE: return MAILTLS_F_MTASTS_TXT_MULTIPLE;
	case MAILTLS_STS_TXT_OTHER_VERSION: return MAILTLS_F_MTASTS_TXT_OTHER_VERSION;
	case MAILTLS_STS_TXT_SYNTAX:
	case MAILTLS_STS_TXT_NO_ID:
	case MAILTLS_STS_TXT_BAD_ID: return MAILTLS_F_MTASTS_TXT_INVALID;
	case MAILTLS_RPT_MULTIPLE: return MAILTLS_F_TLSRPT_MULTIPLE;
	case MAILTLS_RPT_SYNTAX:
	case MAILTLS_RPT_NO_RUA: return MAILTLS_F_TLSRPT_INVALID;
	case MAILTLS_RPT_BAD_URI:
	case MAILTLS_RPT_SCHEME: return MAILTLS_F_TLSRPT_BAD_URI;
	default:
		return pr->fatal ? MAILTLS_F_MTASTS_POLICY_INVALID : MAILTLS_F_MTASTS_POLICY_LINE;
	}
}

/* problem_findings - one finding per defect, about `where` ("_mta-sts.example.org TXT",
 * "the policy"), quoting what it is about. */
static int problem_findings(struct mailtls_domain_result *res, const struct mailtls_sts_problems *ps,
			    const char *where, struct mailtls_subject subj)
{
	int r;

	for (size_t i = 0; i < ps->n; i++) {
		const struct mailtls_sts_problem *pr = &ps->v[i];
		char line[32] = "";

		if (pr->line > 0)
			snprintf(line, sizeof(line), " line %u", pr->line);
		/* A rua that is no URI at all (or holds a raw '!') voids the record. */
		const char *what = pr->defect == MAILTLS_RPT_BAD_URI && pr->fatal
				   ? "not a URI at all, or a raw '!' (the record is invalid: "
				     "senders send no reports)" : defect_text(pr->defect);

		VERDICT_ADD(res, defect_fid(pr), subj, "%s%s: %s%s%s%s", where, line, what,
		    pr->quote ? ": \"" : "", pr->quote ? pr->quote : "", pr->quote ? "\"" : "");
	}
	if (ps->omitted > 0)
		VERDICT_ADD(res, defect_fid(&ps->v[ps->n - 1]), subj,
		    "%s: %zu more problems not listed", where, ps->omitted);
	return 0;
}

/* lookup_findings - a TXT lookup that failed is a DNS finding about the domain. */
static int lookup_findings(struct mailtls_domain_result *res, const struct mailtls_dns_lookup *l)
{
	char buf[512];
	int r;

	if (!l->asked)
		return 0;
	if (l->status == MAILTLS_DNS_BOGUS)
		VERDICT_ADD(res, MAILTLS_F_DNS_BOGUS, domain_subject, "%s: validating senders get "
			    "SERVFAIL and take no record", verdict_lookup_problem(l, buf, sizeof(buf)));
	else if (l->status == MAILTLS_DNS_NOANSWER && !l->nxdomain)
		VERDICT_ADD(res, MAILTLS_F_DNS_NO_ANSWER, domain_subject, "%s",
			    verdict_lookup_problem(l, buf, sizeof(buf)));
	return 0;
}

/* fetch_finding - why no policy was had from the policy host. */
static int fetch_finding(struct mailtls_domain_result *res)
{
	const struct mailtls_sts_policy *p = &res->mtasts.policy;
	struct mailtls_subject ps = { .host = p->host, .port = 443, .cert_depth = -1,
				      .addr = p->addr };
	const char *why = p->why ? p->why : mailtls_fetch_status_name(p->fetch);
	int r;

	switch (p->fetch) {
	case MAILTLS_FETCH_CERT:
		VERDICT_ADD(res, MAILTLS_F_MTASTS_POLICY_CERT_INVALID, ps, "%s: the certificate of %s fails "
		    "verification: %s", p->url, p->host, why);
		break;
	case MAILTLS_FETCH_HTTP_STATUS:
		if (p->http_status >= 300 && p->http_status < 400)
			VERDICT_ADD(res, MAILTLS_F_MTASTS_POLICY_REDIRECT, ps, "%s: HTTP status %ld, a redirect "
			    "to %s (senders do not follow it)", p->url, p->http_status,
			    p->location ? p->location : "(no Location)");
		else
			VERDICT_ADD(res, MAILTLS_F_MTASTS_POLICY_HTTP_STATUS, ps, "%s: HTTP status %ld, not 200",
			    p->url, p->http_status);
		break;
	case MAILTLS_FETCH_CONTENT_TYPE:
		VERDICT_ADD(res, MAILTLS_F_MTASTS_POLICY_CONTENT_TYPE, ps, "%s: served as %s, not text/plain",
		    p->url, p->content_type ? p->content_type : "(no Content-Type)");
		break;
	case MAILTLS_FETCH_TOO_LARGE:
		VERDICT_ADD(res, MAILTLS_F_MTASTS_POLICY_TOO_LARGE, ps, "%s: the policy is larger than %u "
		    "bytes", p->url, (unsigned)MAILTLS_STS_BODY_MAX);
		break;
	default:
		VERDICT_ADD(res, MAILTLS_F_MTASTS_POLICY_FETCH_FAILED, ps, "%s: %s (%s)", p->url,
		    mailtls_fetch_status_name(p->fetch), why);
		break;
	}
	return 0;
}

static int policy_findings(struct mailtls_domain_result *res, bool has_txt, bool txt_known)
{
	struct mailtls_mtasts *m = &res->mtasts;
	const struct mailtls_sts_policy *p = &m->policy;
	struct mailtls_subject ps = { .host = p->host, .addr = p->addr, .port = 443,
				      .cert_depth = -1 };
	bool served = p->fetch == MAILTLS_FETCH_OK;
	bool all_ok = true;
	int r;

	if (!txt_known && !served)
		return 0;     /* the TXT lookup failed (its dns.* finding): nothing to conclude */
	if (!has_txt && !served) {
		/* Senders never fetch without the TXT record: what the policy host does is
		 * beside the point then. */
		VERDICT_ADD(res, MAILTLS_F_MTASTS_NONE, domain_subject, "%s publishes no MTA-STS policy "
		    "(no _mta-sts TXT record; %s: %s)", res->domain, p->host ? p->host : "?",
		    p->why ? p->why : mailtls_fetch_status_name(p->fetch));
		return 0;
	}
	if (!has_txt && txt_known)
		VERDICT_ADD(res, MAILTLS_F_MTASTS_TXT_MISSING, domain_subject, "a policy is served at %s, but "
		    "_mta-sts.%s has no v=STSv1 TXT record: senders never fetch it", p->url,
		    res->domain);
	if (!served && (r = fetch_finding(res)) != 0)
		return r;
	if (served && (r = problem_findings(res, &p->problems, "the policy", ps)) != 0)
		return r;
	if (m->txt.valid && (!served || !p->valid))
		VERDICT_ADD(res, MAILTLS_F_MTASTS_TXT_WITHOUT_POLICY, domain_subject, "_mta-sts.%s is "
		    "published (id %s) but no valid policy could be had: new senders apply none; "
		    "senders that cached an earlier one keep it until its max_age", res->domain,
		    m->txt.id ? m->txt.id : "?");
	if (!served || !p->valid)
		return 0;
	if (p->mode == MAILTLS_STS_MODE_NONE)
		VERDICT_ADD(res, MAILTLS_F_MTASTS_MODE_NONE, domain_subject, "the policy of %s has mode none: "
		    "senders treat the domain as having no policy", res->domain);
	if (p->mode == MAILTLS_STS_MODE_TESTING)
		VERDICT_ADD(res, MAILTLS_F_MTASTS_MODE_TESTING, domain_subject, "the policy of %s has mode "
		    "testing: senders report failures but deliver regardless", res->domain);
	if (p->have_max_age && p->max_age < 86400)
		VERDICT_ADD(res, MAILTLS_F_MTASTS_MAX_AGE_SHORT, domain_subject, "the policy's max_age is %lu "
		    "s, under one day", p->max_age);
	for (size_t k = 0; k < p->mx.n; k++) {
		bool used = false;

		for (size_t i = 0; i < res->n_hosts && !used; i++)
			used = mailtls_sts_mx_match(p->mx.v[k], res->hosts[i].name);
		if (!used && res->n_hosts > 0)
			VERDICT_ADD(res, MAILTLS_F_MTASTS_PATTERN_UNUSED, domain_subject, "the policy's mx "
			    "pattern %s matches no MX host of %s", p->mx.v[k], res->domain);
	}
	if (!m->in_effect)
		return 0;
	for (size_t i = 0; i < res->n_hosts; i++)
		if ((r = host_findings(res, &res->hosts[i], &all_ok)) != 0)
			return r;
	if (p->mode == MAILTLS_STS_MODE_ENFORCE && all_ok && res->n_hosts > 0)
		/* every host judged OK (hosts with no address are unreachable: not OK) */
		VERDICT_ADD(res, MAILTLS_F_MTASTS_ENFORCED, domain_subject, "the enforce policy of %s (id %s, "
		    "max_age %lu) lists every MX host, and each offers STARTTLS with a certificate "
		    "valid for its name", res->domain, m->txt.id ? m->txt.id : "?", p->max_age);
	return 0;
}

static int tlsrpt_findings(struct mailtls_domain_result *res)
{
	const struct mailtls_tlsrpt *t = &res->mtasts.tlsrpt;
	char where[MAILTLS_NAME_MAX + 32];
	int r;

	if ((r = lookup_findings(res, &t->lookup)) != 0)
		return r;
	snprintf(where, sizeof(where), "_smtp._tls.%s TXT", res->domain);
	if (t->n_rpt == 0 && t->lookup.status != MAILTLS_DNS_NOANSWER
	    && t->lookup.status != MAILTLS_DNS_BOGUS) {
		VERDICT_ADD(res, MAILTLS_F_TLSRPT_MISSING, domain_subject, "%s: no v=TLSRPTv1 record: senders "
		    "report TLS failures nowhere", where);
		return 0;
	}
	if ((r = problem_findings(res, &t->problems, where, domain_subject)) != 0)
		return r;
	if (t->valid) {
		char list[512] = "";
		size_t off = 0;

		for (size_t i = 0; i < t->n_rua && off < sizeof(list); i++)
			if (t->rua[i].valid)
				off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
							off ? ", " : "", t->rua[i].uri);
		VERDICT_ADD(res, MAILTLS_F_TLSRPT_OK, domain_subject, "%s: reports go to %s", where, list);
	} else if (t->n_rpt == 1 && t->problems.n == 0) {
		VERDICT_ADD(res, MAILTLS_F_TLSRPT_INVALID, domain_subject, "%s: no valid rua URI", where);
	}
	return 0;
}

int verdict_mtasts_findings(struct mailtls_domain_result *res)
{
	struct mailtls_mtasts *m = &res->mtasts;
	char where[MAILTLS_NAME_MAX + 32];
	int r;

	/* Nothing to deliver to (null MX, no such domain, a bogus MX answer): the policy
	 * would apply to no host. */
	if (!m->evaluated || res->null_mx || res->n_hosts == 0)
		return 0;
	if ((r = lookup_findings(res, &m->txt.lookup)) != 0)
		return r;
	snprintf(where, sizeof(where), "_mta-sts.%s TXT", res->domain);
	if ((r = problem_findings(res, &m->txt.problems, where, domain_subject)) != 0)
		return r;
	/* A TXT lookup without an answer, or a bogus one, says nothing about the record:
	 * senders with a cached policy keep it, others take none. */
	bool txt_known = m->txt.lookup.status == MAILTLS_DNS_SECURE
			 || m->txt.lookup.status == MAILTLS_DNS_INSECURE;

	if ((r = policy_findings(res, m->txt.n_sts > 0, txt_known)) != 0)
		return r;
	return tlsrpt_findings(res);
}

enum mailtls_severity verdict_mtasts_severity(const struct mailtls_domain_result *res,
					      const struct mailtls_finding *f,
					      const struct mailtls_mx_host *h,
					      bool domain_delivers)
{
	enum mailtls_severity sev = mailtls_catalog_get(f->fid)->severity;

	if (f->fid != MAILTLS_F_MTASTS_MX_NOT_LISTED && f->fid != MAILTLS_F_MTASTS_MX_NO_TLS
	    && f->fid != MAILTLS_F_MTASTS_MX_CERT_INVALID)
		return sev;
	/* A host the policy refuses: critical for the sender that applies it, unless the
	 * mail still goes out through another host; a warning for the others (MTA-STS
	 * senders defer there), information for a DANE sender where DANE governs. */
	if (res->level == MAILTLS_LEVEL_MTASTS)
		return domain_delivers ? MAILTLS_SEV_WARNING : MAILTLS_SEV_CRITICAL;
	if (res->level == MAILTLS_LEVEL_DANE && h != NULL && h->dane_governs)
		return MAILTLS_SEV_INFO;
	return MAILTLS_SEV_WARNING;
}
