/*
 * fuzz_ocsp_url.c - the OCSP URL a certificate's AIA names (lib/ocspquery.c,
 * ocspquery_parse_url()), untrusted text from whoever issued the certificate.
 *
 * Feeds: the input up to its first NUL as the URL.
 * Asserts: a URL taken gives a host that is a normalized DNS name or an address literal,
 * a port from 1 to 65535 and a path that starts with '/', all printable ASCII without
 * spaces; the URL made again from those parts is taken and gives the same parts; a URL
 * refused says why.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mailtls/names.h>
#include "ocspquery.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s >= 0x7f)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	char *url = fuzz_cstr(data, nul != NULL ? (size_t)(nul - data) : size);
	char host[MAILTLS_NAME_MAX + 1], path[OCSPQUERY_URL_MAX + 2], why[160] = "";
	char host2[MAILTLS_NAME_MAX + 1], path2[OCSPQUERY_URL_MAX + 2], why2[160] = "";
	char again[2 * OCSPQUERY_URL_MAX + MAILTLS_NAME_MAX + 32];
	unsigned port = 0, port2 = 0;
	bool https = false, https2 = false;

	if (ocspquery_parse_url(url, &https, host, sizeof(host), &port, path, sizeof(path),
				why, sizeof(why)) != 0) {
		FUZZ_ASSERT(why[0] != '\0');
		free(url);
		return 0;
	}
	FUZZ_ASSERT(host[0] != '\0' && printable(host));
	FUZZ_ASSERT(port >= 1 && port <= 65535);
	FUZZ_ASSERT(path[0] == '/' && printable(path) && strchr(path, '#') == NULL);
	snprintf(again, sizeof(again), strchr(host, ':') ? "%s://[%s]:%u%s" : "%s://%s:%u%s",
		 https ? "https" : "http", host, port, path);
	if (strlen(again) <= OCSPQUERY_URL_MAX) {
		FUZZ_ASSERT(ocspquery_parse_url(again, &https2, host2, sizeof(host2), &port2, path2,
						sizeof(path2), why2, sizeof(why2)) == 0);
		FUZZ_ASSERT(https2 == https && port2 == port);
		FUZZ_ASSERT(strcmp(host2, host) == 0 && strcmp(path2, path) == 0);
	}
	free(url);
	return 0;
}
