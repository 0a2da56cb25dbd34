/*
 * proto.h - the one table of protocols: name, default port, implicit TLS or STARTTLS, which
 * dialogue speaks it, and whether its clients are mail senders (who retry) or users' mail
 * clients. Every other module asks here. Internal to libmailtls; the public face is
 * mailtls_proto_name(), mailtls_proto_parse() and mailtls_default_port().
 */
#ifndef MAILTLS_PROTO_H
#define MAILTLS_PROTO_H

#include <stdbool.h>
#include <mailtls/result.h>

enum proto_dialog {
	PROTO_DIALOG_SMTP,      /* SMTP and LMTP: greeting, EHLO/LHLO, STARTTLS */
	PROTO_DIALOG_IMAP,      /* CAPABILITY, STARTTLS */
	PROTO_DIALOG_POP3,      /* CAPA, STLS */
};

struct proto_info {
	enum mailtls_proto proto;
	const char *name;       /* "smtp": the option name (--smtp) and the JSON value */
	unsigned port;          /* the well-known port */
	bool implicit_tls;      /* TLS from the first byte (RFC 8314), else STARTTLS */
	enum proto_dialog dialog;
	const char *hello;      /* SMTP's greeting command: "EHLO", "LHLO"; NULL for others */
	bool helo_fallback;     /* an EHLO refused may be retried as HELO (not LMTP) */
	bool transfer;          /* clients are MTAs that queue and retry (SMTP, LMTP), not
	                         * users' mail clients (submission, IMAP, POP3) */
};

/* proto_info - the row of proto, or NULL for MAILTLS_PROTO_NONE and values outside. */
const struct proto_info *proto_info(enum mailtls_proto proto);

#endif
