/*
 * dane_live.c - DANE facts from a real handshake: mailtls_check_run() against the lab's
 * good Postfix (127.77.0.1:25, checked as mx1.lab.test with TLSA base lab.test) with a
 * matching 3 1 1 record, a non-matching one, and a 2 1 1 of the lab intermediate; for each,
 * the facts OpenSSL gave inside the handshake must equal those danefacts_get() gives
 * offline for the chain the lab serves, and the PKIX view (cert.* findings) must not
 * change.
 *
 * usage: dane_live LAB_CA LAB_PKI   (run by tests/integration/dane.sh with a lab running)
 * Exit 0 when every assertion holds; 1 with a line per failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <mailtls/mailtls.h>
#include "danefacts.h"
#include "verify.h"

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { failures++; printf("FAIL %s:%d: %s: ", \
	__FILE__, __LINE__, #cond); printf(__VA_ARGS__); printf("\n"); } } while (0)

static STACK_OF(X509) *load_chain(const char *path)
{
	FILE *fp = fopen(path, "r");
	STACK_OF(X509) *sk = sk_X509_new_null();
	X509 *x;

	if (fp == NULL || sk == NULL) {
		printf("FAIL: cannot read %s\n", path);
		exit(1);
	}
	while ((x = PEM_read_X509(fp, NULL, NULL, NULL)) != NULL)
		sk_X509_push(sk, x);
	fclose(fp);
	return sk;
}

/* spki_sha256 - the 3 1 1 / 2 1 1 data of cert. */
static unsigned char *spki_sha256(X509 *cert, size_t *len)
{
	unsigned char *der = NULL, *out;
	int dl = i2d_X509(cert, &der);

	if (dl <= 0 || mailtls_tlsa_data(der, (size_t)dl, 1, 1, &out, len) != 0) {
		printf("FAIL: no SPKI digest\n");
		exit(1);
	}
	OPENSSL_free(der);
	return out;
}

struct want {
	const char *name;
	long code;
	int depth;
	int match_depth;
	int match_record;
	int matches;                  /* of the one record */
	const char *peer;
};

static void same_facts(const char *name, const struct mailtls_dane_facts *live,
		       const struct mailtls_dane_facts *off)
{
	CHECK(live->evaluated && off->evaluated, "%s: both evaluated", name);
	CHECK(live->verify_code == off->verify_code, "%s: verify %ld live, %ld offline", name,
	      live->verify_code, off->verify_code);
	CHECK(live->depth == off->depth, "%s: depth %d live, %d offline", name, live->depth,
	      off->depth);
	CHECK(live->match_depth == off->match_depth, "%s: match depth %d live, %d offline", name,
	      live->match_depth, off->match_depth);
	CHECK(live->match_record == off->match_record, "%s: record %d live, %d offline", name,
	      live->match_record, off->match_record);
	CHECK((live->peername == NULL) == (off->peername == NULL) &&
	      (live->peername == NULL || strcmp(live->peername, off->peername) == 0),
	      "%s: peer %s live, %s offline", name, live->peername ? live->peername : "-",
	      off->peername ? off->peername : "-");
	CHECK(live->n_records == off->n_records, "%s: records", name);
	for (size_t i = 0; i < live->n_records && i < off->n_records; i++) {
		CHECK(live->records[i].accepted == off->records[i].accepted, "%s: accepted", name);
		CHECK(live->records[i].matches == off->records[i].matches, "%s: matches", name);
		CHECK(strcmp(live->records[i].data, off->records[i].data) == 0, "%s: data", name);
	}
}

static void run(const char *ca, X509_STORE *store, STACK_OF(X509) *served,
		const struct mailtls_tlsa *rec, const struct want *w)
{
	const char *names[] = { "mx1.lab.test" };
	struct mailtls_check_params cp = {
		.proto = MAILTLS_PROTO_SMTP, .host = "mx1.lab.test", .addr = "127.77.0.1",
		.port = 25, .names = names, .n_names = 1, .timeout = 10, .warn_days = -1,
		.tlsa_base = "lab.test", .tlsa = rec, .n_tlsa = 1,
	};
	struct mailtls_engine_params ep = { .ca_file = ca };
	struct mailtls_result *res = NULL;
	struct mailtls_dane_facts off;
	char why[300] = "";
	const struct mailtls_dane_facts *d;
	int r = mailtls_check_run(&ep, &cp, &res, why, sizeof(why));

	printf("case: %s\n", w->name);
	CHECK(r == 0, "%s: check run: %s", w->name, why);
	if (r != 0)
		return;
	d = &res->dane;
	CHECK(res->session.tls_established, "%s: TLS established", w->name);
	CHECK(strcmp(res->session.addr, "127.77.0.1") == 0, "%s: address", w->name);
	/* The PKIX view is as without DANE. */
	CHECK(mailtls_result_has(res, MAILTLS_F_CERT_TRUSTED), "%s: cert.trusted", w->name);
	CHECK(mailtls_result_has(res, MAILTLS_F_CERT_NAME_MATCH), "%s: cert.name-match", w->name);
	CHECK(res->would_authenticate, "%s: PKIX would authenticate", w->name);
	CHECK(res->chain_len == 2, "%s: chain of %zu", w->name, res->chain_len);
	CHECK(d->enabled && d->evaluated, "%s: enabled and evaluated", w->name);
	CHECK(strcmp(d->tlsa_base, "lab.test") == 0, "%s: base %s", w->name, d->tlsa_base);
	CHECK(d->n_records == 1 && d->n_usable == 1 && d->records[0].accepted == 1,
	      "%s: one usable record", w->name);
	CHECK(d->verify_code == w->code, "%s: verify %ld (%s), want %ld", w->name,
	      d->verify_code, d->verify_text, w->code);
	CHECK(d->depth == w->depth, "%s: depth %d, want %d", w->name, d->depth, w->depth);
	CHECK(d->match_depth == w->match_depth, "%s: match depth %d", w->name, d->match_depth);
	CHECK(d->match_record == w->match_record, "%s: record %d", w->name, d->match_record);
	CHECK(d->records[0].matches == w->matches, "%s: matches %d, want %d", w->name,
	      d->records[0].matches, w->matches);
	CHECK(w->peer == NULL ? d->peername == NULL :
	      d->peername != NULL && strcmp(d->peername, w->peer) == 0, "%s: peer %s", w->name,
	      d->peername ? d->peername : "-");
	char *json = mailtls_report_json(res);
	CHECK(json != NULL && strstr(json, "\"dane\": {") != NULL, "%s: JSON dane", w->name);
	free(json);

	/* The same facts offline, from the chain the lab serves. */
	struct danefacts_params p = {
		.base = "lab.test", .names = names, .n_names = 1, .tlsa = rec, .n_tlsa = 1,
		.store = store, .at = res->validation_time,
	};
	memset(&off, 0, sizeof(off));
	CHECK(danefacts_get(served, &p, &off) == 0, "%s: offline", w->name);
	same_facts(w->name, d, &off);
	mailtls_dane_facts_clear(&off);
	mailtls_result_free(res);
}

int main(int argc, char **argv)
{
	char path[4096], why[300];
	STACK_OF(X509) *served;
	X509_STORE *store;
	unsigned char *leaf, *inter, *wrong;
	size_t ll, il, wl;

	if (argc != 3) {
		fprintf(stderr, "usage: dane_live LAB_CA LAB_PKI\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/good.chain.pem", argv[2]);
	served = load_chain(path);
	if ((store = verify_store_new(argv[1], NULL, why, sizeof(why))) == NULL) {
		printf("FAIL: %s\n", why);
		return 1;
	}
	leaf = spki_sha256(sk_X509_value(served, 0), &ll);
	inter = spki_sha256(sk_X509_value(served, 1), &il);
	wrong = spki_sha256(sk_X509_value(served, 0), &wl);
	wrong[0] ^= 0xff;

	run(argv[1], store, served, &(struct mailtls_tlsa){ 3, 1, 1, leaf, ll },
	    &(struct want){ "3 1 1 of the served key", X509_V_OK, 0, 0, 0, 0, NULL });
	run(argv[1], store, served, &(struct mailtls_tlsa){ 3, 1, 1, wrong, wl },
	    &(struct want){ "3 1 1 matching nothing served", X509_V_ERR_DANE_NO_MATCH, -1, -1, -1,
			    -1, NULL });
	run(argv[1], store, served, &(struct mailtls_tlsa){ 2, 1, 1, inter, il },
	    &(struct want){ "2 1 1 of the lab intermediate", X509_V_OK, 1, 1, 0, 1,
			    "mx1.lab.test" });
	free(leaf);
	free(inter);
	free(wrong);
	X509_STORE_free(store);
	sk_X509_pop_free(served, X509_free);
	printf("dane_live: %s\n", failures ? "FAILED" : "all passed");
	return failures ? 1 : 0;
}
