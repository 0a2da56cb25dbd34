/*
 * mxrules.c - MX ordering, IP-literal targets, TLSA base domain and DANE reference names.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <mailtls/mailtls.h>
#include <mailtls/names.h>
#include "mxrules.h"

bool mxrules_ip_literal(const char *name)
{
	unsigned char buf[16];
	char tmp[64];
	size_t n = strlen(name);

	if (n == 0 || n >= sizeof(tmp))
		return false;
	memcpy(tmp, name, n + 1);
	if (tmp[n - 1] == '.')
		tmp[--n] = '\0';
	if (n >= 2 && tmp[0] == '[' && tmp[n - 1] == ']') {
		tmp[n - 1] = '\0';
		memmove(tmp, tmp + 1, n - 1);
		if (strncasecmp(tmp, "IPv6:", 5) == 0)
			memmove(tmp, tmp + 5, strlen(tmp + 5) + 1);
	}
	return inet_pton(AF_INET, tmp, buf) == 1 || inet_pton(AF_INET6, tmp, buf) == 1;
}

static int cmp_host(const void *x, const void *y)
{
	const struct mailtls_mx_host *a = x, *b = y;

	if (a->preference != b->preference)
		return a->preference < b->preference ? -1 : 1;
	return strcmp(a->name, b->name);
}

void mxrules_sort(struct mailtls_mx_host *hosts, size_t n)
{
	if (n > 1)
		qsort(hosts, n, sizeof(hosts[0]), cmp_host);
}

const char *mxrules_tlsa_first(const char *name, const char *canonical, bool canonical_secure,
			       bool *fallback)
{
	*fallback = false;
	if (canonical == NULL || !canonical_secure || strcmp(canonical, name) == 0)
		return name;
	*fallback = true;
	return canonical;
}

static int add_once(struct mailtls_strlist *out, const char *s)
{
	for (size_t i = 0; i < out->n; i++)
		if (strcmp(out->v[i], s) == 0)
			return 0;
	return mailtls_strlist_add(out, s, MAILTLS_NAME_MAX);
}

int mxrules_dane_names(const char *base, const char *name, const char *canonical,
		       bool canonical_secure, struct mailtls_strlist *out)
{
	int r = add_once(out, base);

	/* The secure expansion is the base when TLSA was found there; when it was not, the
	 * base is the name as published, and the check matches that and nothing more: these
	 * names are exactly the check's (lib/domain.c). */
	(void)canonical;
	(void)canonical_secure;
	if (r == 0)
		r = add_once(out, name);
	return r;
}
