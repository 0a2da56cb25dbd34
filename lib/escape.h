/*
 * escape.h - make untrusted bytes safe to show.
 * escape_text: for terminals and text reports: printable ASCII and valid UTF-8 pass, except
 * code points that control or hide display (C1 controls, bidi overrides and isolates,
 * zero-width characters, line/paragraph separators, BOM); everything else (control characters, ESC, DEL, invalid UTF-8, NUL) becomes
 * \xHH. A backslash is kept as it is, so escaping is idempotent: the result model stores
 * network and certificate strings escaped, and reporters may escape again safely (a literal
 * "\x1b" sent by a server reads the same as an escaped ESC; both are harmless text).
 * escape_utf8: for JSON: valid UTF-8 passes (the JSON
 * encoder escapes controls), each invalid byte becomes U+FFFD.
 * Both return a new string the caller frees, or NULL on ENOMEM. Internal to libmailtls.
 */
#ifndef MAILTLS_ESCAPE_H
#define MAILTLS_ESCAPE_H

#include <stddef.h>

char *escape_text(const char *s, size_t len);
char *escape_utf8(const char *s, size_t len);

/* utf8_decode - length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid;
 * on success its code point in *cpp. */
size_t utf8_decode(const unsigned char *s, size_t n, unsigned *cpp);

/* mailtls_escape_inplace (mailtls.h) is also implemented here. Public entry points call it
 * on every "why" they return: file names, option values and resolver addresses reach those
 * messages raw. */

#endif
