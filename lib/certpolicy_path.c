/*
 * certpolicy_path.c - the other paths and the name constraints mailtls checks itself, to
 * findings: cert.alternate-path, cert.name-constraint-violation,
 * cert.name-constraint-malformed.
 *
 * NAME
 *	certpolicy_alternate, certpolicy_nc
 * SYNOPSIS
 *	#include "certpolicy.h"
 * DESCRIPTION
 *	Part of the one policy place (certpolicy.c calls these in its fixed order, after the
 *	findings of OpenSSL's path). The facts come from chainsearch.c (chainsearch.h says
 *	what OpenSSL 3.0 does with alternative paths) and nameconstraints.c.
 *
 *	The decision when only another path verifies: the findings of OpenSSL's path stay,
 *	and so do would_authenticate and chain_trusted (false): mail senders that verify are
 *	OpenSSL-based (Postfix; Exim built with OpenSSL) and refuse the server. The warning
 *	says so, names the path that verifies and the chain to serve; the result's
 *	path_search.searching_client_accepts records what a client that searches every path
 *	(RFC 5280 6.1, x509-limbo) concludes.
 * DIAGNOSTICS
 *	0 or MAILTLS_ENOMEM.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <openssl/x509.h>
#include <mailtls/mailtls.h>
#include "certpolicy.h"
#include "certtext.h"

#define PATH_TEXT_MAX 1500        /* longest path or list in one message */

/* leave_out - "certificate 2 ('Inter', issued by 'Root Two')" for every presented
 * certificate after the leaf that is not on the path; "" when none. */
static void leave_out(const struct mailtls_result *res, const struct mailtls_path_search *ps,
		      char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t k = 1; k < res->chain_len; k++) {
		const struct mailtls_certinfo *c = &res->chain[k];
		bool on = false;

		for (size_t i = 0; i < ps->path_len && !on; i++)
			on = ps->path_pos[i] == (int)k;
		if (on)
			continue;
		if (o + 300 >= len) {
			snprintf(buf + o, len - o, ", ...");
			return;
		}
		o += (size_t)snprintf(buf + o, len - o, "%scertificate %zu ('%.100s', issued by '%.100s')",
				      o > 0 ? ", " : "", k + 1,
				      c->subject_cn != NULL ? c->subject_cn : c->subject,
				      c->issuer_cn != NULL ? c->issuer_cn : c->issuer);
	}
}

int certpolicy_alternate(struct mailtls_result *res)
{
	const struct mailtls_path_search *ps = &res->path_search;
	char path[PATH_TEXT_MAX], serve[PATH_TEXT_MAX], out[PATH_TEXT_MAX];
	size_t o = 0, s = 0;

	if (!ps->searched || !ps->found)
		return 0;
	path[0] = serve[0] = '\0';
	for (size_t i = 0; i < ps->path_len; i++) {
		const char *l = ps->path[i] != NULL ? ps->path[i] : "?";
		bool anchor = i + 1 == ps->path_len;

		if (o + strlen(l) + 40 < sizeof(path))
			o += (size_t)snprintf(path + o, sizeof(path) - o, "%s%s%s", i > 0 ? " <- " : "",
					      l, anchor ? " (trust anchor)" : "");
		if (anchor || ps->path_pos[i] < 0 || s + strlen(l) + 60 >= sizeof(serve))
			continue;
		if (i == 0)
			s += (size_t)snprintf(serve + s, sizeof(serve) - s, "the leaf '%s'", l);
		else
			s += (size_t)snprintf(serve + s, sizeof(serve) - s, ", then '%s' (certificate %d as sent)",
					      l, ps->path_pos[i] + 1);
	}
	leave_out(res, ps, out, sizeof(out));
	return mailtls_result_add(res, MAILTLS_F_CERT_ALTERNATE_PATH,
		"OpenSSL's path fails (%s at depth %d), but another path through the certificates "
		"sent and the trust store verifies: %s. OpenSSL 3.0 senders (Postfix, Exim with "
		"OpenSSL) build one path, taking each issuer from the trust store first, else the "
		"first valid certificate sent with the issuer's name, and never try another: they "
		"refuse the server; clients that search every path accept it. Serve %s%s%s%s",
		ps->openssl_error_text != NULL ? ps->openssl_error_text : "error",
		ps->openssl_error_depth, path, serve, out[0] != '\0' ? ", and leave out " : "", out,
		ps->fix_verified ? " (served so, the chain verifies with OpenSSL)"
				 : " (even served so, OpenSSL does not verify it with this trust "
				   "store: another anchor with the issuer's name comes first)");
}

/* nc_label - the CA's label. */
static void nc_label(const struct nc_issue *v, char *buf, size_t len)
{
	certtext_label(v->ca, buf, len);
}

/* one_nc - the finding for one issue. */
static int one_nc(const struct nc_issue *v, struct mailtls_result *res)
{
	char ca[256], c[300], name[300], base[300];
	const char *side = v->excluded_subtree ? "excluded" : "permitted";

	nc_label(v, ca, sizeof(ca));
	certtext_escape(v->constraint, v->constraint_len < NC_TEXT_MAX ? v->constraint_len
				       : NC_TEXT_MAX - 1, c, sizeof(c));
	certtext_escape(v->name, v->name_len < NC_TEXT_MAX ? v->name_len : NC_TEXT_MAX - 1,
			name, sizeof(name));
	switch (v->kind) {
	case NC_MALFORMED:
		if (v->constraint_len > 1 && v->constraint[0] == '.') {
			certtext_escape(v->constraint + 1, v->constraint_len - 1 < NC_TEXT_MAX - 1 ?
					v->constraint_len - 1 : NC_TEXT_MAX - 2, base, sizeof(base));
			return mailtls_result_add_cert(res, MAILTLS_F_CERT_NAME_CONSTRAINT_MALFORMED,
				v->ca_pos, "CA '%s' (depth %d) has the %s dNSName name constraint "
				"'%s' with a leading period, which is no valid DNS name (RFC 5280 "
				"4.2.1.10 allows one in URI constraints only): OpenSSL-based clients "
				"read it as every name under %s and accept the chain; strict RFC 5280 "
				"clients refuse it", ca, v->ca_depth, side, c, base);
		}
		return mailtls_result_add_cert(res, MAILTLS_F_CERT_NAME_CONSTRAINT_MALFORMED, v->ca_pos,
			"CA '%s' (depth %d) has the %s dNSName name constraint '%s', which is no "
			"valid DNS name (RFC 5280 4.2.1.10): OpenSSL-based clients accept the chain; "
			"strict RFC 5280 clients refuse it", ca, v->ca_depth, side, c);
	case NC_NOT_PERMITTED:
		if (v->is_reference)
			return mailtls_result_add_cert(res, MAILTLS_F_CERT_NAME_CONSTRAINT_VIOLATION, 0,
				"%s, which the certificate matches through a wildcard DNS-ID, lies "
				"outside the permitted dNSName subtrees of CA '%s' (depth %d), e.g. "
				"'%s': OpenSSL 3.0 checks only the DNS-ID and accepts it; strict "
				"clients refuse it", name, ca, v->ca_depth, c);
		return mailtls_result_add_cert(res, MAILTLS_F_CERT_NAME_CONSTRAINT_VIOLATION, 0,
			"DNS-ID %s lies outside the permitted dNSName subtrees of CA '%s' (depth %d), "
			"e.g. '%s'%s", name, ca, v->ca_depth, c, v->name_invalid ?
			": it is no valid DNS name, so no subtree holds it (OpenSSL 3.0 lets it "
			"through)" : "");
	case NC_EXCLUDED:
		return mailtls_result_add_cert(res, MAILTLS_F_CERT_NAME_CONSTRAINT_VIOLATION, 0,
			"%s%s%s lies in the excluded dNSName subtree '%s' of CA '%s' (depth %d)%s",
			v->is_reference ? "" : "DNS-ID ", name,
			v->is_reference ? ", which the certificate matches through a wildcard DNS-ID,"
					: "", c, ca, v->ca_depth,
			v->is_reference ? ": OpenSSL 3.0 checks only the DNS-ID and accepts it; "
					  "strict clients refuse it" : "");
	}
	return 0;
}

int certpolicy_nc(const struct nc_facts *nc, bool references, struct mailtls_result *res)
{
	int r = 0;

	if (nc == NULL || !nc->checked)
		return 0;
	for (size_t i = 0; i < nc->n && r == 0; i++)
		if (nc->v[i].is_reference == references)
			r = one_nc(&nc->v[i], res);
	if (r == 0 && !references && nc->dropped > 0)
		r = mailtls_result_add(res, nc->dropped_violations == 0 ?
			MAILTLS_F_CERT_NAME_CONSTRAINT_MALFORMED : MAILTLS_F_CERT_NAME_CONSTRAINT_VIOLATION,
			"%zu more name-constraint problems (not listed)", nc->dropped);
	return r;
}
