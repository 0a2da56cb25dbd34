/*
 * inject.h - the pure part of the STARTTLS command-injection probe (--injection;
 * CVE-2011-0411, RFC 3207 4 / RFC 2595 3.1): deciding whether plaintext that came after the
 * STARTTLS go-ahead is exactly the server's answer to the harmless command the probe sent
 * with STARTTLS. No I/O: dialog.c sends, waits and reports. Internal to libmailtls.
 */
#ifndef MAILTLS_INJECT_H
#define MAILTLS_INJECT_H

#include <stdbool.h>
#include <stddef.h>
#include "proto.h"

/* inject_is_answer - true when data[0..len) is exactly one complete answer to the command
 * sent with STARTTLS, with nothing before or after it and every line ended by LF (CRLF):
 *   SMTP/LMTP (NOOP): one reply, single- or multi-line, with any valid code;
 *   IMAP ("<tag> NOOP"): untagged lines, then the tagged OK, NO or BAD with tag;
 *   POP3 (CAPA): "-ERR ...", or "+OK ..." and a multi-line body ended by ".".
 * An empty buffer is no answer (false). tag is only read for IMAP (NULL: false). */
bool inject_is_answer(enum proto_dialog d, const char *tag, const char *data, size_t len);

#endif
