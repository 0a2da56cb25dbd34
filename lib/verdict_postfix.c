/*
 * verdict_postfix.c - the smtp_tls_policy_maps entry a Postfix sender would use for the
 * domain, derived from what was found (`mailtls domain --format postfix`):
 *
 *	every MX host authenticated by DANE ........ dane-only (DANE takes precedence over
 *	                                             MTA-STS: RFC 8461 section 2)
 *	some MX hosts with DANE .................... dane (DANE there, opportunistic elsewhere)
 *	an enforce MTA-STS policy in effect ........ secure match=PATTERNS servername=hostname
 *	                                             (what MTA-STS senders apply; Postfix's
 *	                                             ".example.org" matches any depth, broader
 *	                                             than the policy's one-label "*.")
 *	every MX host encrypts ..................... encrypt
 *	else ....................................... may
 *
 * A policy in the sense of the report, decided here like the rest of the verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mailtls/mailtls.h>
#include "verdict.h"

/* match_list - the policy's mx patterns as Postfix `secure` match names, ':'-separated
 * ("*.example.org" becomes ".example.org"). Owned; NULL on ENOMEM. */
static char *match_list(const struct mailtls_strlist *mx, bool *wild)
{
	size_t len = 1;
	char *s;

	*wild = false;
	for (size_t i = 0; i < mx->n; i++)
		len += strlen(mx->v[i]) + 1;
	if ((s = calloc(1, len)) == NULL)
		return NULL;
	for (size_t i = 0; i < mx->n; i++) {
		const char *p = mx->v[i];

		if (strncmp(p, "*.", 2) == 0) {
			p++;
			*wild = true;
		}
		if (i > 0)
			strcat(s, ":");
		strcat(s, p);
	}
	return s;
}

static int set(struct mailtls_domain_result *res, const char *policy, const char *why)
{
	if ((res->postfix_policy = strdup(policy)) == NULL || (res->postfix_why = strdup(why)) == NULL)
		return MAILTLS_ENOMEM;
	return 0;
}

int verdict_postfix(struct mailtls_domain_result *res)
{
	const struct mailtls_sts_policy *p = &res->mtasts.policy;
	size_t with_addr = 0, dane_auth = 0, dane_hosts = 0, encrypting = 0;
	const char *weak = NULL;
	char why[768];

	/* Decided afresh when the verdict runs again (another level). */
	free(res->postfix_policy);
	free(res->postfix_why);
	res->postfix_policy = res->postfix_why = NULL;
	for (size_t i = 0; i < res->n_hosts; i++) {
		const struct mailtls_mx_host *h = &res->hosts[i];

		/* A host with no address or no session cannot be judged: left out. */
		if (h->n_addrs == 0 || h->outcome[MAILTLS_LEVEL_MAY] == MAILTLS_OUTCOME_UNREACHABLE)
			continue;
		with_addr++;
		if (h->dane_governs) {
			dane_hosts++;
			if (h->outcome[MAILTLS_LEVEL_DANE] == MAILTLS_OUTCOME_AUTHENTICATED)
				dane_auth++;
		}
		if (h->outcome[MAILTLS_LEVEL_ENCRYPT] == MAILTLS_OUTCOME_ENCRYPTED)
			encrypting++;
		else if (weak == NULL)
			weak = h->name;
	}
	if (with_addr == 0)
		return 0;     /* nothing to deliver to: no entry */
	if (dane_auth == with_addr)
		return set(res, "dane-only", "every MX host has DNSSEC-secure TLSA records that match "
			   "its certificate: DANE, which takes precedence over MTA-STS (RFC 8461 "
			   "section 2)");
	if (dane_hosts > 0) {
		/* One entry cannot say "DANE here, the MTA-STS policy there": Postfix's dane
		 * level is opportunistic where no TLSA applies, and that is said. */
		snprintf(why, sizeof(why), "%zu of %zu MX hosts have DNSSEC-secure TLSA records: "
			 "DANE where they apply, opportunistic TLS elsewhere%s%s",
			 dane_hosts, with_addr,
			 dane_auth < dane_hosts ? "; some fail DANE now, and mail to them defers" : "",
			 verdict_mtasts_enforced(res) ? "; the MTA-STS enforce policy is not applied "
							"to the other hosts by this entry" : "");
		return set(res, "dane", why);
	}
	if (verdict_mtasts_enforced(res) && p->mx.n > 0) {
		bool wild, failing = false, unlisted = false;
		char *m = match_list(&p->mx, &wild);
		char *entry;
		int r;

		if (m == NULL || (entry = malloc(strlen(m) + 48)) == NULL) {
			free(m);
			return MAILTLS_ENOMEM;
		}
		sprintf(entry, "secure match=%s servername=hostname", m);
		for (size_t i = 0; i < res->n_hosts; i++) {
			failing |= res->hosts[i].sts == MAILTLS_STS_HOST_NO_TLS
				   || res->hosts[i].sts == MAILTLS_STS_HOST_CERT;
			unlisted |= res->hosts[i].sts == MAILTLS_STS_HOST_NOT_LISTED;
		}
		/* Postfix's secure level matches the certificate against the patterns; it has
		 * no list of MX hosts, so an unlisted host whose certificate matches a pattern
		 * still gets mail from it (MTA-STS senders defer there). */
		snprintf(why, sizeof(why), "the MTA-STS policy (id %s, mode enforce, max_age %lu) as "
			 "MTA-STS senders apply it%s%s%s", res->mtasts.txt.id ? res->mtasts.txt.id : "?",
			 p->max_age,
			 wild ? "; Postfix's \".domain\" matches names at any depth, the policy's "
				"\"*.\" only one label" : "",
			 failing ? "; some MX hosts fail it now (no TLS, or a certificate not valid "
				   "for them), and mail to them defers" : "",
			 unlisted ? "; MTA-STS senders defer to the MX hosts the policy does not "
				    "list, Postfix with this entry only when their certificate "
				    "matches no pattern" : "");
		r = set(res, entry, why);
		free(entry);
		free(m);
		return r;
	}
	if (encrypting == with_addr) {
		snprintf(why, sizeof(why), "every MX host offers STARTTLS and completes a handshake, "
			 "but nothing authenticates them (no DANE%s)",
			 res->mtasts.in_effect ? ", the MTA-STS policy is in testing mode"
					       : ", no MTA-STS policy in enforce mode");
		return set(res, "encrypt", why);
	}
	snprintf(why, sizeof(why), "%s offers no working TLS: requiring TLS would defer mail to it",
		 weak ? weak : "an MX host");
	return set(res, "may", why);
}
