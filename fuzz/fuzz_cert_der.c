/*
 * fuzz_cert_der.c - the certificate-to-findings path, as `mailtls cert` runs it (lib/verify.c,
 * lib/x509info.c, lib/escape.c, the reporters).
 *
 * Feeds: the input as up to 4 concatenated DER certificates, leaf first (d2i_X509 until it
 * fails; at least one must decode). The chain goes to verify_chain() - which fills the
 * certificate facts with x509info_fill() and adds the cert.* findings - twice: once with
 * the reference name "mail.example.org" and once with only the IP literal "192.0.2.25", at
 * a fixed validation time (2027-06-01T00:00:00Z) against a fixed trust store (the seed
 * corpus' CA, made once). Each result is formatted by mailtls_report_text() (with
 * transcript, without colour), mailtls_report_json() and mailtls_report_nagios().
 * Asserts: verify_chain() returns 0; the JSON parses with jansson; text and nagios output
 * are terminal-safe (no byte below 0x20 except '\n', no DEL); every finding has an id.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include <openssl/x509.h>
#include <mailtls/mailtls.h>
#include <mailtls/report.h>
#include "verify.h"
#include "fuzz_common.h"

#define FUZZ_CERTS_MAX 4
#define FUZZ_AT ((time_t)1811808000)   /* 2027-06-01T00:00:00Z, inside the seeds' validity */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The CA that issued the DER seeds in fuzz/corpus/cert_der/ (made with the openssl CLI). */
static const char fuzz_ca_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBhjCCASygAwIBAgIBATAKBggqhkjOPQQDAjAaMRgwFgYDVQQDDA9tYWlsdGxz\n"
	"IGZ1enogQ0EwHhcNMjYxMTIyMjIzODIyWhcNMzYxMTE5MjIzODIyWjAaMRgwFgYD\n"
	"VQQDDA9tYWlsdGxzIGZ1enogQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATi\n"
	"7Js4kRy3s5dTwCwveZb/khFqAODfuzTSr7PLu1MEnzDAt5VUVzI76FORU9N8UCG4\n"
	"jePeLyxtozvQYZjSJUpso2MwYTAdBgNVHQ4EFgQU8qm6BinGAqLs5LYLYTmCC9Yz\n"
	"lRMwHwYDVR0jBBgwFoAU8qm6BinGAqLs5LYLYTmCC9YzlRMwDwYDVR0TAQH/BAUw\n"
	"AwEB/zAOBgNVHQ8BAf8EBAMCAQYwCgYIKoZIzj0EAwIDSAAwRQIhAJbfHehibkyO\n"
	"LYigga6zi+HCDbd5F69OXWTVGv2941eeAiA4IDio8sOllEGZEOvNcvWVA8x9zDKB\n"
	"w0/po0b/hJtFPw==\n"
	"-----END CERTIFICATE-----\n"
	;

/* trust_store - the fixed store, loaded once through verify_store_new() as `mailtls cert
 * --ca-file` loads it (the file is written to a temporary file and removed). */
static X509_STORE *trust_store(void)
{
	static X509_STORE *store;
	char path[] = "/tmp/mailtls-fuzz-ca-XXXXXX";
	char why[256];
	FILE *fp;
	int fd;

	if (store != NULL)
		return store;
	if ((fd = mkstemp(path)) < 0 || (fp = fdopen(fd, "w")) == NULL)
		abort();
	if (fputs(fuzz_ca_pem, fp) == EOF || fclose(fp) != 0)
		abort();
	store = verify_store_new(path, NULL, why, sizeof(why));
	unlink(path);
	if (store == NULL) {
		fprintf(stderr, "fuzz_cert_der: trust store: %s\n", why);
		abort();
	}
	return store;
}

/* terminal_safe - what a terminal may be shown (fuzz_common.h): lines, nothing else. */
static void terminal_safe(const char *s)
{
	fuzz_terminal_safe(s, 1);
}

static void report(const struct mailtls_result *res)
{
	struct mailtls_report_opts ro = { .color = false, .transcript = true };
	char *text = mailtls_report_text(res, &ro);
	char *json = mailtls_report_json(res);
	char *nagios = mailtls_report_nagios(res);
	json_error_t jerr;
	json_t *j;

	FUZZ_ASSERT(text != NULL && json != NULL && nagios != NULL);
	terminal_safe(text);
	terminal_safe(nagios);
	j = json_loads(json, 0, &jerr);
	if (j == NULL)
		fprintf(stderr, "JSON does not parse: %s (line %d)\n", jerr.text, jerr.line);
	FUZZ_ASSERT(j != NULL && json_is_object(j));
	json_decref(j);
	free(text);
	free(json);
	free(nagios);
}

static void run(STACK_OF(X509) *chain, const char *name, const char *ip)
{
	const char *names[1] = { name };
	struct verify_params vp;
	struct mailtls_result *res = mailtls_result_new();

	FUZZ_ASSERT(res != NULL);
	memset(&vp, 0, sizeof(vp));
	vp.store = trust_store();
	vp.names = names;
	vp.n_names = name != NULL ? 1 : 0;
	vp.ip = ip;
	vp.at = FUZZ_AT;
	vp.warn_days = 21;
	res->have_session = false;
	res->would_encrypt = false;
	FUZZ_ASSERT(verify_chain(chain, &vp, res) == 0);
	FUZZ_ASSERT(res->chain_len == (size_t)sk_X509_num(chain));
	for (size_t i = 0; i < res->findings.n; i++)
		FUZZ_ASSERT(res->findings.v[i].id != NULL && res->findings.v[i].id[0] != '\0');
	report(res);
	mailtls_result_free(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	const unsigned char *p = data;

	FUZZ_ASSERT(chain != NULL);
	while (sk_X509_num(chain) < FUZZ_CERTS_MAX && p < data + size) {
		X509 *x = d2i_X509(NULL, &p, (long)(data + size - p));

		if (x == NULL)
			break;
		FUZZ_ASSERT(sk_X509_push(chain, x) > 0);
	}
	if (sk_X509_num(chain) > 0) {
		run(chain, "mail.example.org", NULL);
		run(chain, NULL, "192.0.2.25");
	}
	sk_X509_pop_free(chain, X509_free);
	return 0;
}
