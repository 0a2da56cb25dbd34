/*
 * test_chainsearch.c - the paths OpenSSL 3.0 does not try (chainsearch.c,
 * cert.alternate-path) and the name constraints mailtls checks itself (nameconstraints.c,
 * cert.name-constraint-*), through verify_chain(), on certificates made here.
 *
 * The cross-signed world: "Cross Inter" exists twice with one key, once signed by "Old
 * Root" (not trusted, or trusted but expired) and once by "New Root" (trusted). Sent with
 * the Old Root one first, OpenSSL 3.0 takes that one and fails; sent the other way round
 * it verifies (the facts chainsearch.h states, also seen with `openssl verify`). Each test
 * asserts the exact finding ids in order, and the facts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <mailtls/mailtls.h>
#include "nameconstraints.h"
#include "testpki.h"
#include "testfindings.h"
#include "verify.h"

#define T0 ((time_t)1767225600)   /* 2026-01-01T00:00:00Z: the validation time */
#define DAY ((time_t)86400)

static char dir[64];
static EVP_PKEY *k_new, *k_old, *k_inter, *k_leaf;
static X509 *new_root, *old_root, *old_root_expired, *inter_new, *inter_old, *inter_old_exp;

struct mk {
	const char *cn;
	X509 *issuer;             /* NULL: self-signed */
	EVP_PKEY *issuer_key;
	EVP_PKEY *key;
	bool ca;
	time_t nb, na;
	const char *const *sans;  /* dNSName SANs, NULL-terminated */
	const char *nc;           /* nameConstraints in openssl.cnf syntax, or NULL */
};

/* make_cert - valid T0-100d .. T0+100d unless told; nameConstraints before the SANs. */
static X509 *make_cert(const struct mk *m)
{
	struct testpki_spec s = { .cn = m->cn, .key = m->key, .issuer = m->issuer,
				  .issuer_key = m->issuer_key,
				  .not_before = m->nb != 0 ? m->nb : T0 - 100 * DAY,
				  .not_after = m->na != 0 ? m->na : T0 + 100 * DAY,
				  .ca = m->ca, .aki = "keyid:always" };
	X509 *x = testpki_unsigned(&s);

	if (m->nc != NULL)
		testpki_add_ext(x, x, NID_name_constraints, m->nc);
	if (m->sans != NULL) {
		char buf[512] = "";
		size_t o = 0;

		for (size_t i = 0; m->sans[i] != NULL; i++)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%sDNS:%s", i ? "," : "", m->sans[i]);
		testpki_add_ext(x, x, NID_subject_alt_name, buf);
	}
	return testpki_sign(x, &s);
}

static int group_setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/mailtls-chainsearch-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	testpki_serials_from(5000);
	k_new = testpki_key();
	k_old = testpki_key();
	k_inter = testpki_key();
	k_leaf = testpki_key();
	new_root = make_cert(&(struct mk){ .cn = "New Root", .key = k_new, .ca = true });
	old_root = make_cert(&(struct mk){ .cn = "Old Root", .key = k_old, .ca = true });
	old_root_expired = make_cert(&(struct mk){ .cn = "Old Root", .key = k_old, .ca = true,
						   .nb = T0 - 400 * DAY, .na = T0 - 10 * DAY });
	inter_new = make_cert(&(struct mk){ .cn = "Cross Inter", .issuer = new_root,
					    .issuer_key = k_new, .key = k_inter, .ca = true });
	inter_old = make_cert(&(struct mk){ .cn = "Cross Inter", .issuer = old_root,
					    .issuer_key = k_old, .key = k_inter, .ca = true });
	inter_old_exp = make_cert(&(struct mk){ .cn = "Cross Inter", .issuer = old_root_expired,
						.issuer_key = k_old, .key = k_inter, .ca = true });
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	X509_free(new_root);
	X509_free(old_root);
	X509_free(old_root_expired);
	X509_free(inter_new);
	X509_free(inter_old);
	X509_free(inter_old_exp);
	EVP_PKEY_free(k_new);
	EVP_PKEY_free(k_old);
	EVP_PKEY_free(k_inter);
	EVP_PKEY_free(k_leaf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* run - verify_chain() of chain (n certificates) against the anchors given, for name. */
static struct mailtls_result *run(X509 *const *chain, size_t n, X509 *const *anchors,
				  size_t n_anchors, const char *name)
{
	char path[128], why[256];
	const char *names[1] = { name };
	struct verify_params p = { .names = names, .n_names = 1, .at = T0, .warn_days = 0 };
	STACK_OF(X509) *sk = sk_X509_new_null();
	struct mailtls_result *res = mailtls_result_new();

	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	testpki_write_pem(path, anchors, n_anchors);
	p.store = verify_store_new(path, NULL, why, sizeof(why));
	assert_non_null(p.store);
	assert_non_null(sk);
	assert_non_null(res);
	for (size_t i = 0; i < n; i++)
		sk_X509_push(sk, chain[i]);
	assert_int_equal(verify_chain(sk, &p, res), 0);
	sk_X509_free(sk);
	X509_STORE_free(p.store);
	return res;
}

static X509 *leaf_under_inter(const char *const *sans)
{
	return make_cert(&(struct mk){ .cn = "mx1.example.org", .issuer = inter_new,
				       .issuer_key = k_inter, .key = k_leaf, .sans = sans });
}

static const char *const mx1[] = { "mx1.example.org", NULL };

/* The cross-signed intermediate whose root is not trusted, sent first: OpenSSL takes it
 * and fails; the other one, sent second, leads to New Root. */
static void test_cross_untrusted_first(void **state)
{
	X509 *leaf = leaf_under_inter(mx1);
	X509 *chain[3] = { leaf, inter_old, inter_new };
	struct mailtls_result *res;
	const struct mailtls_path_search *ps;

	(void)state;
	res = run(chain, 3, &new_root, 1, "mx1.example.org");
	expect_ids(res, "cert.untrusted", "cert.alternate-path", "cert.name-match");
	ps = &res->path_search;
	assert_true(ps->searched);
	assert_true(ps->found);
	assert_int_equal(ps->openssl_error, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
	assert_int_equal(ps->openssl_error_depth, 1);
	assert_int_equal(ps->path_len, 3);
	assert_string_equal(ps->path[0], "mx1.example.org");
	assert_string_equal(ps->path[1], "Cross Inter");
	assert_string_equal(ps->path[2], "New Root");
	assert_int_equal(ps->path_pos[0], 0);
	assert_int_equal(ps->path_pos[1], 2);
	assert_int_equal(ps->path_pos[2], -1);
	assert_true(ps->fix_verified);
	assert_true(ps->searching_client_accepts);
	/* The OpenSSL senders' verdict stands. */
	assert_false(res->would_authenticate);
	assert_false(res->chain_trusted);
	assert_int_equal(mailtls_result_exit_code(res), MAILTLS_EXIT_CRITICAL);
	assert_string_equal(message_of(res, "cert.alternate-path"),
		"OpenSSL's path fails (unable to get local issuer certificate at depth 1), but "
		"another path through the certificates sent and the trust store verifies: "
		"mx1.example.org <- Cross Inter <- New Root (trust anchor). OpenSSL 3.0 senders "
		"(Postfix, Exim with OpenSSL) build one path, taking each issuer from the trust "
		"store first, else the first valid certificate sent with the issuer's name, and "
		"never try another: they refuse the server; clients that search every path "
		"accept it. Serve the leaf 'mx1.example.org', then 'Cross Inter' (certificate 3 "
		"as sent), and leave out certificate 2 ('Cross Inter', issued by 'Old Root') "
		"(served so, the chain verifies with OpenSSL)");
	mailtls_result_free(res);

	/* The same certificates the other way round: OpenSSL verifies, nothing searched. */
	chain[1] = inter_new;
	chain[2] = inter_old;
	res = run(chain, 3, &new_root, 1, "mx1.example.org");
	expect_ids(res, "cert.trusted", "cert.name-match");
	assert_false(res->path_search.searched);
	assert_true(res->would_authenticate);
	mailtls_result_free(res);
	X509_free(leaf);
}

/* Both roots trusted, Old Root expired: OpenSSL takes the time-valid cross certificate
 * sent first, reaches the expired anchor and fails; it never tries the other. */
static void test_cross_expired_anchor(void **state)
{
	X509 *leaf = leaf_under_inter(mx1);
	X509 *chain[3] = { leaf, inter_old_exp, inter_new };
	X509 *anchors[2] = { old_root_expired, new_root };
	struct mailtls_result *res;

	(void)state;
	res = run(chain, 3, anchors, 2, "mx1.example.org");
	expect_ids(res, "cert.expired", "cert.alternate-path", "cert.name-match");
	assert_int_equal(res->path_search.openssl_error, X509_V_ERR_CERT_HAS_EXPIRED);
	assert_int_equal(res->path_search.openssl_error_depth, 2);
	assert_true(res->path_search.found);
	assert_int_equal(res->path_search.path_pos[1], 2);
	assert_true(res->path_search.fix_verified);
	assert_true(res->path_search.searching_client_accepts);
	assert_false(res->would_authenticate);
	mailtls_result_free(res);
	X509_free(leaf);
}

/* No other path: searched, nothing found, no finding; and a name mismatch on the other
 * path means a path-searching client refuses too. */
static void test_no_alternate(void **state)
{
	X509 *leaf = leaf_under_inter(mx1);
	X509 *chain[3] = { leaf, inter_old, inter_new };
	struct mailtls_result *res;

	(void)state;
	res = run(chain, 2, &new_root, 1, "mx1.example.org");
	expect_ids(res, "cert.untrusted", "cert.name-match");
	assert_true(res->path_search.searched);
	assert_false(res->path_search.found);
	assert_int_equal(res->path_search.path_len, 0);
	assert_int_equal(res->path_search.paths_tried, 0);
	assert_false(res->path_search.searching_client_accepts);
	mailtls_result_free(res);

	res = run(chain, 3, &new_root, 1, "mx2.example.org");
	expect_ids(res, "cert.untrusted", "cert.alternate-path", "cert.name-mismatch");
	assert_true(res->path_search.found);
	assert_false(res->path_search.searching_client_accepts);
	mailtls_result_free(res);

	/* An expired leaf: no other path can help; no search. */
	X509_free(leaf);
	leaf = make_cert(&(struct mk){ .cn = "mx1.example.org", .issuer = inter_new,
				       .issuer_key = k_inter, .key = k_leaf, .sans = mx1,
				       .nb = T0 - 90 * DAY, .na = T0 - DAY });
	chain[0] = leaf;
	chain[1] = inter_new;
	res = run(chain, 2, &new_root, 1, "mx1.example.org");
	expect_ids(res, "cert.expired", "cert.name-match");
	assert_false(res->path_search.searched);
	mailtls_result_free(res);
	X509_free(leaf);
}

/* nc_chain - New Root -> a CA with constraints nc -> leaf with sans; verify for name. */
static struct mailtls_result *nc_chain(const char *nc, const char *const *sans, const char *name)
{
	EVP_PKEY *k = testpki_key();
	X509 *cca = make_cert(&(struct mk){ .cn = "Constrained CA", .issuer = new_root,
					    .issuer_key = k_new, .key = k, .ca = true, .nc = nc });
	X509 *leaf = make_cert(&(struct mk){ .cn = "leaf", .issuer = cca, .issuer_key = k,
					     .key = k_leaf, .sans = sans });
	X509 *chain[2] = { leaf, cca };
	struct mailtls_result *res = run(chain, 2, &new_root, 1, name);

	X509_free(leaf);
	X509_free(cca);
	EVP_PKEY_free(k);
	return res;
}

static void test_nc_permitted(void **state)
{
	static const char *const other[] = { "mx1.example.org", ".example.org", NULL };
	struct mailtls_result *res;

	(void)state;
	res = nc_chain("critical,permitted;DNS:example.org", mx1, "mx1.example.org");
	expect_ids(res, "cert.trusted", "cert.name-match");
	assert_true(res->would_authenticate);
	mailtls_result_free(res);

	/* A DNS-ID that is no DNS name: in no permitted subtree; OpenSSL 3.0 lets it through. */
	res = nc_chain("critical,permitted;DNS:example.org", other, "mx1.example.org");
	expect_ids(res, "cert.trusted", "cert.name-constraint-violation", "cert.invalid-name",
		   "cert.name-match");
	assert_string_equal(message_of(res, "cert.name-constraint-violation"),
		"DNS-ID .example.org lies outside the permitted dNSName subtrees of CA "
		"'Constrained CA' (depth 1), e.g. 'example.org': it is no valid DNS name, so no "
		"subtree holds it (OpenSSL 3.0 lets it through)");
	assert_int_equal(res->findings.v[1].subject.cert_depth, 0);
	assert_false(res->would_authenticate);
	assert_false(res->chain_trusted);
	mailtls_result_free(res);
}

/* A leading period: OpenSSL accepts it; a warning that names it. */
static void test_nc_leading_period(void **state)
{
	struct mailtls_result *res;

	(void)state;
	res = nc_chain("critical,permitted;DNS:.example.org", mx1, "mx1.example.org");
	expect_ids(res, "cert.trusted", "cert.name-constraint-malformed", "cert.name-match");
	assert_string_equal(message_of(res, "cert.name-constraint-malformed"),
		"CA 'Constrained CA' (depth 1) has the permitted dNSName name constraint "
		"'.example.org' with a leading period, which is no valid DNS name (RFC 5280 "
		"4.2.1.10 allows one in URI constraints only): OpenSSL-based clients read it as "
		"every name under example.org and accept the chain; strict RFC 5280 clients "
		"refuse it");
	assert_int_equal(res->findings.v[1].subject.cert_depth, 1);
	assert_true(res->would_authenticate);
	assert_int_equal(mailtls_result_exit_code(res), MAILTLS_EXIT_WARNING);
	mailtls_result_free(res);
}

/* A wildcard DNS-ID under an excluded subtree: the reference name it authenticates is
 * checked (OpenSSL 3.0 compares the SAN string only). */
static void test_nc_wildcard_excluded(void **state)
{
	static const char *const wild[] = { "*.example.org", NULL };
	struct mailtls_result *res;

	(void)state;
	res = nc_chain("critical,excluded;DNS:secret.example.org", wild, "secret.example.org");
	expect_ids(res, "cert.trusted", "cert.name-constraint-violation", "cert.name-match",
		   "cert.wildcard");
	assert_string_equal(message_of(res, "cert.name-constraint-violation"),
		"secret.example.org, which the certificate matches through a wildcard DNS-ID, "
		"lies in the excluded dNSName subtree 'secret.example.org' of CA 'Constrained CA' "
		"(depth 1): OpenSSL 3.0 checks only the DNS-ID and accepts it; strict clients "
		"refuse it");
	assert_false(res->would_authenticate);
	/* The chain itself is fine for other names. */
	assert_true(res->chain_trusted);
	mailtls_result_free(res);

	res = nc_chain("critical,excluded;DNS:secret.example.org", wild, "mx1.example.org");
	expect_ids(res, "cert.trusted", "cert.name-match", "cert.wildcard");
	assert_true(res->would_authenticate);
	mailtls_result_free(res);

	/* The whole wildcard inside the excluded subtree. */
	res = nc_chain("critical,excluded;DNS:example.org", wild, "mx1.example.org");
	assert_false(res->would_authenticate);
	mailtls_result_free(res);
}

/* The bounds: 7 copies of "Cross Inter" under 8 copies of "Mid CA", each leading to the
 * expired Old Root, make 56 candidate paths; the search verifies 32 and stops. */
static void test_search_bounded(void **state)
{
	EVP_PKEY *k_mid = testpki_key();
	X509 *chain[16];
	X509 *leaf;
	struct mailtls_result *res;

	(void)state;
	for (int i = 0; i < 8; i++)
		chain[8 + i] = make_cert(&(struct mk){ .cn = "Mid CA", .issuer = old_root_expired,
						       .issuer_key = k_old, .key = k_mid, .ca = true });
	for (int i = 0; i < 7; i++)
		chain[1 + i] = make_cert(&(struct mk){ .cn = "Cross Inter", .issuer = chain[8],
						       .issuer_key = k_mid, .key = k_inter, .ca = true });
	leaf = leaf_under_inter(mx1);
	chain[0] = leaf;
	res = run(chain, 16, &old_root_expired, 1, "mx1.example.org");
	expect_ids(res, "cert.expired", "cert.name-match");
	assert_true(res->path_search.searched);
	assert_false(res->path_search.found);
	assert_true(res->path_search.limited);
	assert_int_equal(res->path_search.paths_tried, 32);
	mailtls_result_free(res);
	for (int i = 0; i < 16; i++)
		X509_free(chain[i]);
	EVP_PKEY_free(k_mid);
}

static void test_nc_rules(void **state)
{
	static const struct { const char *name, *c; bool within; } w[] = {
		{ "mx1.example.org", "example.org", true },
		{ "example.org", "example.org", true },
		{ "EXAMPLE.org.", "example.ORG", true },
		{ "mx1.badexample.org", "example.org", false },
		{ "org", "example.org", false },
		{ "anything.test", "", true },
	};
	static const struct { const char *c; bool bad; } m[] = {
		{ "example.org", false }, { ".example.org", true }, { "*.example.org", true },
		{ "a..b", true }, { "", false }, { "example.org.", false }, { ".", true },
		{ "ex ample.org", true }, { "_mta-sts.example.org", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		assert_int_equal(nameconstraints_within(w[i].name, strlen(w[i].name), w[i].c,
							strlen(w[i].c)), w[i].within);
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (nameconstraints_malformed(m[i].c, strlen(m[i].c)) != m[i].bad)
			fail_msg("malformed(%s) != %d", m[i].c, m[i].bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cross_untrusted_first),
		cmocka_unit_test(test_cross_expired_anchor),
		cmocka_unit_test(test_no_alternate),
		cmocka_unit_test(test_search_bounded),
		cmocka_unit_test(test_nc_permitted),
		cmocka_unit_test(test_nc_leading_period),
		cmocka_unit_test(test_nc_wildcard_excluded),
		cmocka_unit_test(test_nc_rules),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
