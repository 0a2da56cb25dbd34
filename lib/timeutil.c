/*
 * timeutil.c - strict parsing and formatting of validation times (--at TIME).
 *
 * Accepted: RFC 3339 5.6 date-time "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)", with
 * "t" and "z" also in lower case (RFC 3339 5.6 NOTE), and "@EPOCH" (decimal seconds since
 * 1970-01-01T00:00:00Z, optional leading '-'). Nothing else: no space for "T" (the NOTE
 * allows it "for the sake of readability"; we keep one spelling), no missing seconds, no
 * surrounding blanks, no trailing bytes.
 *
 * Decisions:
 * - The fraction is floored (truncated toward the past): certificates carry whole seconds
 *   and limbo's validation times are floored the same way.
 * - Leap second ":60" is rejected: RFC 3339 5.7 allows it only where a leap second actually
 *   occurred, which needs a table we do not keep, and POSIX time_t cannot represent it.
 * - "-00:00" (RFC 3339 4.3, offset unknown) is read as UTC, the only meaning it can have here.
 * - Inputs are at most 64 bytes; every field is range-checked before timegm(), and the
 *   result is checked by converting back, so no out-of-range value is normalised silently.
 *
 * Not here: local time zones, ISO 8601 variants (week dates, basic format).
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mailtls/mailtls.h"
#include "mailtls/timeutil.h"

#define TIME_INPUT_MAX	64

/* digits - read exactly n decimal digits at s into *v. */
static bool digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

static bool leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* days_in_month - RFC 3339 5.7 table (Gregorian, proleptic). */
static int days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && leap_year(y))
		return 29;
	return days[m - 1];
}

/* fits_time_t - whether v is representable in this platform's time_t. */
static bool fits_time_t(long long v)
{
	time_t t = (time_t)v;

	return (long long)t == v;
}

/* parse_epoch - "@[-]DIGITS", overflow-checked against time_t. */
static int parse_epoch(const char *s, time_t *out)
{
	bool neg = false;
	long long v = 0;

	if (*s == '-') {
		neg = true;
		s++;
	}
	if (*s == '\0')
		return MAILTLS_EINVAL;
	for (; *s != '\0'; s++) {
		int d;

		if (*s < '0' || *s > '9')
			return MAILTLS_EINVAL;
		d = *s - '0';
		/* Accumulate negatively so that LLONG_MIN itself is reachable. */
		if (v < (LLONG_MIN + d) / 10)
			return MAILTLS_EINVAL;
		v = v * 10 - d;
	}
	if (!neg) {
		if (v == LLONG_MIN)
			return MAILTLS_EINVAL;
		v = -v;
	}
	if (!fits_time_t(v))
		return MAILTLS_EINVAL;
	*out = (time_t)v;
	return 0;
}

/* parse_rfc3339 - the date-time production of RFC 3339 5.6, strictly. */
static int parse_rfc3339(const char *s, size_t len, time_t *out)
{
	int year, mon, mday, hour, min, sec, oh = 0, om = 0, sign = 0;
	struct tm tm, back;
	size_t i;
	time_t t;
	long long v;

	/* "YYYY-MM-DDTHH:MM:SS" is 19 bytes, at least one more for the offset. */
	if (len < 20)
		return MAILTLS_EINVAL;
	if (!digits(s, 4, &year) || s[4] != '-' || !digits(s + 5, 2, &mon) || s[7] != '-' ||
	    !digits(s + 8, 2, &mday) || (s[10] != 'T' && s[10] != 't') ||
	    !digits(s + 11, 2, &hour) || s[13] != ':' || !digits(s + 14, 2, &min) ||
	    s[16] != ':' || !digits(s + 17, 2, &sec))
		return MAILTLS_EINVAL;
	i = 19;
	if (s[i] == '.') {
		size_t start = ++i;

		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start)
			return MAILTLS_EINVAL;
	}
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < len && (s[i] == '+' || s[i] == '-')) {
		sign = s[i] == '+' ? 1 : -1;
		if (len - i != 6 || !digits(s + i + 1, 2, &oh) || s[i + 3] != ':' ||
		    !digits(s + i + 4, 2, &om))
			return MAILTLS_EINVAL;
		i += 6;
	} else {
		return MAILTLS_EINVAL;
	}
	if (i != len)
		return MAILTLS_EINVAL;

	/* RFC 3339 5.6 and 5.7 ranges; ":60" rejected as explained above. */
	if (mon < 1 || mon > 12 || mday < 1 || mday > days_in_month(year, mon) ||
	    hour > 23 || min > 59 || sec > 59 || oh > 23 || om > 59)
		return MAILTLS_EINVAL;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = mday;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm);
	/* (time_t)-1 is also 1969-12-31T23:59:59Z: convert back to tell them apart, which also
	 * catches a 32-bit time_t that cannot hold the year. */
	if (gmtime_r(&t, &back) == NULL || back.tm_year != year - 1900 ||
	    back.tm_mon != mon - 1 || back.tm_mday != mday || back.tm_hour != hour ||
	    back.tm_min != min || back.tm_sec != sec)
		return MAILTLS_EINVAL;

	/* Local time is UTC plus the offset, so UTC is local time minus the offset. */
	v = (long long)t - (long long)sign * (oh * 3600LL + om * 60LL);
	if (!fits_time_t(v))
		return MAILTLS_EINVAL;
	*out = (time_t)v;
	return 0;
}

int mailtls_time_parse(const char *s, time_t *out)
{
	size_t len;

	if (s == NULL || out == NULL)
		return MAILTLS_EINVAL;
	len = strnlen(s, TIME_INPUT_MAX + 1);
	if (len == 0 || len > TIME_INPUT_MAX)
		return MAILTLS_EINVAL;
	if (s[0] == '@')
		return parse_epoch(s + 1, out);
	return parse_rfc3339(s, len, out);
}

/* mailtls_time_format - RFC 3339 UTC with "Z". A time whose year is outside 0000..9999
 * cannot be written in RFC 3339 and is written as "@EPOCH" instead (which
 * mailtls_time_parse reads back); if even that does not fit, buf is "". */
char *mailtls_time_format(time_t t, char *buf, size_t len)
{
	struct tm tm;
	int n;

	if (buf == NULL || len == 0)
		return buf;
	buf[0] = '\0';
	if (gmtime_r(&t, &tm) != NULL && tm.tm_year >= -1900 && tm.tm_year <= 9999 - 1900)
		n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		n = snprintf(buf, len, "@%lld", (long long)t);
	if (n < 0 || (size_t)n >= len)
		buf[0] = '\0';
	return buf;
}
