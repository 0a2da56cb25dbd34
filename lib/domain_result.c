/*
 * domain_result.c - lifetime of struct mailtls_domain_result, its names and its exit code.
 */
#include <stdlib.h>
#include <string.h>
#include <mailtls/mailtls.h>
#include <mailtls/domain.h>

static const char *const level_names[MAILTLS_LEVEL_COUNT] = {
	[MAILTLS_LEVEL_MAY] = "may",
	[MAILTLS_LEVEL_ENCRYPT] = "encrypt",
	[MAILTLS_LEVEL_DANE] = "dane",
	[MAILTLS_LEVEL_MTASTS] = "mta-sts",
	[MAILTLS_LEVEL_VERIFY] = "verify",
	[MAILTLS_LEVEL_SECURE] = "secure",
};

const char *mailtls_level_name(enum mailtls_level l)
{
	return (unsigned)l < MAILTLS_LEVEL_COUNT ? level_names[l] : "?";
}

int mailtls_level_parse(const char *s)
{
	for (int l = 0; l < MAILTLS_LEVEL_COUNT; l++)
		if (s != NULL && strcmp(s, level_names[l]) == 0)
			return l;
	return -1;
}

const char *mailtls_outcome_name(enum mailtls_outcome o)
{
	switch (o) {
	case MAILTLS_OUTCOME_NONE: return "none";
	case MAILTLS_OUTCOME_AUTHENTICATED: return "authenticated";
	case MAILTLS_OUTCOME_ENCRYPTED: return "encrypted";
	case MAILTLS_OUTCOME_PLAINTEXT: return "plaintext";
	case MAILTLS_OUTCOME_DEFERRED: return "deferred";
	case MAILTLS_OUTCOME_UNREACHABLE: return "unreachable";
	}
	return "?";
}


static void host_clear(struct mailtls_mx_host *h)
{
	free(h->name);
	free(h->canonical);
	free(h->tlsa_base);
	mailtls_dns_lookup_clear(&h->a);
	mailtls_dns_lookup_clear(&h->aaaa);
	mailtls_dns_lookup_clear(&h->tlsa);
	mailtls_dns_lookup_clear(&h->tlsa_expanded);
	for (size_t i = 0; i < h->n_tlsa; i++)
		free(h->tlsa_records[i].data);
	free(h->tlsa_records);
	mailtls_strlist_clear(&h->dane_names);
	for (size_t j = 0; j < h->n_addrs; j++) {
		struct mailtls_mx_address *a = &h->addrs[j];

		free(a->addr);
		free(a->ptr_name);
		mailtls_dns_lookup_clear(&a->ptr);
		mailtls_result_free(a->server);
		free(a->dane_error);
		free(a->tlsa_matched);
	}
	free(h->addrs);
}

void mailtls_domain_result_free(struct mailtls_domain_result *res)
{
	if (res == NULL)
		return;
	free(res->domain);
	mailtls_dns_lookup_clear(&res->mx);
	for (size_t i = 0; i < res->n_hosts; i++)
		host_clear(&res->hosts[i]);
	free(res->hosts);
	mailtls_mtasts_clear(&res->mtasts);
	mailtls_findings_clear(&res->findings);
	for (int l = 0; l < MAILTLS_LEVEL_COUNT; l++)
		free(res->outcome_via[l]);
	free(res->postfix_policy);
	free(res->postfix_why);
	free(res->unknown_reason);
	free(res);
}

static enum mailtls_severity worst(const struct mailtls_findings *f, enum mailtls_severity w)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].severity > w)
			w = f->v[i].severity;
	return w;
}

enum mailtls_exit mailtls_domain_exit_code(const struct mailtls_domain_result *res)
{
	enum mailtls_severity w = MAILTLS_SEV_OK;
	enum mailtls_outcome o;

	if (!res->checked)
		return MAILTLS_EXIT_UNKNOWN;
	o = res->outcome[res->level];
	if (!res->null_mx && (o == MAILTLS_OUTCOME_DEFERRED || o == MAILTLS_OUTCOME_UNREACHABLE))
		w = MAILTLS_SEV_CRITICAL;
	else if (o == MAILTLS_OUTCOME_PLAINTEXT)
		w = MAILTLS_SEV_WARNING;
	for (size_t i = 0; i < res->n_hosts; i++) {
		enum mailtls_outcome ho = res->hosts[i].outcome[res->level];

		if ((ho == MAILTLS_OUTCOME_DEFERRED || ho == MAILTLS_OUTCOME_UNREACHABLE
		     || ho == MAILTLS_OUTCOME_PLAINTEXT) && w < MAILTLS_SEV_WARNING)
			w = MAILTLS_SEV_WARNING;
		for (size_t j = 0; j < res->hosts[i].n_addrs; j++)
			if (res->hosts[i].addrs[j].server != NULL)
				w = worst(&res->hosts[i].addrs[j].server->findings, w);
	}
	w = worst(&res->findings, w);
	switch (w) {
	case MAILTLS_SEV_CRITICAL: return MAILTLS_EXIT_CRITICAL;
	case MAILTLS_SEV_WARNING: return MAILTLS_EXIT_WARNING;
	default: return MAILTLS_EXIT_OK;
	}
}
