/*
 * report_verdict.c - the verdict line: what an opportunistic sender and a verifying client
 * conclude, and which findings decided it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <mailtls/mailtls.h>
#include "proto.h"
#include "report_verdict.h"

/* ids_of - the ids of findings at or above min severity, comma-separated, deduplicated. */
static void ids_of(const struct mailtls_result *res, enum mailtls_severity min, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < res->findings.n; i++) {
		const char *id = res->findings.v[i].id;
		bool seen = false;

		if (res->findings.v[i].severity < min)
			continue;
		for (size_t j = 0; j < i; j++)
			if (res->findings.v[j].id == id)
				seen = true;
		if (seen)
			continue;
		int n = snprintf(buf + o, len - o, "%s%s", o ? ", " : "", id);
		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
}

static bool is_smtp(enum mailtls_proto p)
{
	const struct proto_info *pi = proto_info(p);

	return pi != NULL && pi->dialog == PROTO_DIALOG_SMTP;
}

/* dialogue_failed - a critical connection or protocol finding: the dialogue broke. */
static bool dialogue_failed(const struct mailtls_result *res)
{
	for (size_t i = 0; i < res->findings.n; i++)
		if (res->findings.v[i].severity == MAILTLS_SEV_CRITICAL &&
		    (strncmp(res->findings.v[i].id, "conn.", 5) == 0 ||
		     strncmp(res->findings.v[i].id, "proto.", 6) == 0))
			return true;
	return false;
}

/* no_session - the dialogue broke before the point where TLS could start. */
static bool no_session(const struct mailtls_result *res)
{
	if (res->session.starttls_accepted || res->session.tls_established)
		return false;
	if (res->session.implicit_tls && mailtls_result_has(res, MAILTLS_F_TLS_HANDSHAKE_FAILED))
		return false;
	return dialogue_failed(res);
}

void report_verdict(const struct mailtls_result *res, char *buf, size_t len)
{
	enum mailtls_exit code = mailtls_result_exit_code(res);
	const char *label = mailtls_exit_name(code);
	char ids[512];

	ids_of(res, MAILTLS_SEV_WARNING, ids, sizeof(ids));
	if (!res->checked) {
		snprintf(buf, len, "%s - could not check: %s", label,
			 res->unknown_reason ? res->unknown_reason : "unknown reason");
	} else if (!res->have_session) {
		snprintf(buf, len, "%s - a verifying client would %s this certificate%s%s%s", label,
			 res->would_authenticate ? "accept" : "refuse", ids[0] ? " (" : "", ids,
			 ids[0] ? ")" : "");
	} else if (!res->would_encrypt && no_session(res)) {
		snprintf(buf, len, "%s - no mail session: %s (%s)", label,
			 is_smtp(res->session.proto) ? "senders cannot deliver and will retry" :
			 "clients cannot reach their mail", ids[0] ? ids : "no session");
	} else if (!res->would_encrypt) {
		bool failed = mailtls_result_has(res, MAILTLS_F_TLS_HANDSHAKE_FAILED) ||
			      res->session.starttls_accepted;

		if (is_smtp(res->session.proto))
			snprintf(buf, len, "%s - no TLS session: opportunistic senders %s; verifying clients refuse (%s)",
				 label, failed ? "fail the handshake, then fall back to plaintext or defer" :
				 "send in plaintext", ids[0] ? ids : "no TLS");
		else
			snprintf(buf, len, "%s - no TLS session: clients %s; verifying clients refuse (%s)",
				 label, failed ? "fail the handshake" : "would send passwords and mail in plaintext",
				 ids[0] ? ids : "no TLS");
	} else if (dialogue_failed(res)) {   /* after TLS came up */
		snprintf(buf, len, "%s - TLS works, but %s after the handshake: %s (%s)", label,
			 mailtls_result_has(res, MAILTLS_F_CONN_DEADLINE) ?
			 "the server is too slow to finish the session" :
			 "the server ends the session",
			 is_smtp(res->session.proto) ? "mail is not delivered" :
			 "clients cannot reach their mail", ids);
	} else {
		snprintf(buf, len, "%s - opportunistic senders encrypt; verifying clients %s%s%s%s", label,
			 res->would_authenticate ? "authenticate the server" : "refuse the server",
			 ids[0] ? " (" : "", ids, ids[0] ? ")" : "");
	}
}
