/*
 * mailtls/timeutil.h - parsing and formatting of validation times.
 */
#ifndef MAILTLS_TIMEUTIL_H
#define MAILTLS_TIMEUTIL_H

#include <stddef.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* mailtls_time_parse - parse "2027-01-31T12:00:00Z" (RFC 3339, UTC, optional fraction which
 * is floored, "z" and "t" accepted, offsets "+hh:mm"/"-hh:mm" applied) or "@EPOCH" (decimal
 * seconds, may be negative). Returns 0 and sets *out, or MAILTLS_EINVAL. */
int mailtls_time_parse(const char *s, time_t *out);

/* mailtls_time_format - "2027-01-31T12:00:00Z" into buf (len >= 21). Returns buf. */
char *mailtls_time_format(time_t t, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
