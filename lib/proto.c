/*
 * proto.c - the protocol table (proto.h) and the public lookups over it.
 */
#include <stddef.h>
#include <strings.h>
#include <mailtls/mailtls.h>
#include "proto.h"

static const struct proto_info protos[] = {
	{ MAILTLS_PROTO_SMTP, "smtp", 25, false, PROTO_DIALOG_SMTP, "EHLO", true, true },
	{ MAILTLS_PROTO_SUBMISSION, "submission", 587, false, PROTO_DIALOG_SMTP, "EHLO", true, false },
	{ MAILTLS_PROTO_SMTPS, "smtps", 465, true, PROTO_DIALOG_SMTP, "EHLO", true, false },
	{ MAILTLS_PROTO_LMTP, "lmtp", 24, false, PROTO_DIALOG_SMTP, "LHLO", false, true },
	{ MAILTLS_PROTO_IMAP, "imap", 143, false, PROTO_DIALOG_IMAP, NULL, false, false },
	{ MAILTLS_PROTO_IMAPS, "imaps", 993, true, PROTO_DIALOG_IMAP, NULL, false, false },
	{ MAILTLS_PROTO_POP3, "pop3", 110, false, PROTO_DIALOG_POP3, NULL, false, false },
	{ MAILTLS_PROTO_POP3S, "pop3s", 995, true, PROTO_DIALOG_POP3, NULL, false, false },
};

#define N_PROTOS (sizeof(protos) / sizeof(protos[0]))

const struct proto_info *proto_info(enum mailtls_proto proto)
{
	for (size_t i = 0; i < N_PROTOS; i++)
		if (protos[i].proto == proto)
			return &protos[i];
	return NULL;
}

unsigned mailtls_default_port(enum mailtls_proto proto)
{
	const struct proto_info *pi = proto_info(proto);

	return pi != NULL ? pi->port : 0;
}

enum mailtls_proto mailtls_proto_parse(const char *s)
{
	for (size_t i = 0; s != NULL && i < N_PROTOS; i++)
		if (strcasecmp(protos[i].name, s) == 0)
			return protos[i].proto;
	return MAILTLS_PROTO_NONE;
}

const char *mailtls_proto_name(enum mailtls_proto proto)
{
	const struct proto_info *pi = proto_info(proto);

	return pi != NULL ? pi->name : proto == MAILTLS_PROTO_NONE ? "none" : "?";
}

enum mailtls_proto mailtls_proto_at(size_t i)
{
	return i < N_PROTOS ? protos[i].proto : MAILTLS_PROTO_NONE;
}
