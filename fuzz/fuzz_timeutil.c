/*
 * fuzz_timeutil.c - validation time parsing and formatting (lib/timeutil.c).
 *
 * Feeds: the input as a C string (cut at 128 bytes and at its first NUL) to
 * mailtls_time_parse(); the first 8 input bytes also as a time_t to mailtls_time_format().
 * Asserts: whatever parses formats to a string that parses back to the same time, and
 * formatting is stable; a formatted arbitrary time_t (when not "") parses back to itself.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <mailtls/mailtls.h>
#include <mailtls/timeutil.h>
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(time_t t)
{
	char buf[64], buf2[64];
	time_t back = 0;

	mailtls_time_format(t, buf, sizeof(buf));
	FUZZ_ASSERT(memchr(buf, '\0', sizeof(buf)) != NULL);
	if (buf[0] == '\0')
		return;
	FUZZ_ASSERT(mailtls_time_parse(buf, &back) == 0);
	FUZZ_ASSERT(back == t);
	mailtls_time_format(back, buf2, sizeof(buf2));
	FUZZ_ASSERT(strcmp(buf, buf2) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size > 128 ? 128 : size);
	time_t t = 0;
	char small[21];

	if (mailtls_time_parse(s, &t) == 0)
		round_trip(t);
	else
		FUZZ_ASSERT(mailtls_time_parse(s, &t) == MAILTLS_EINVAL);
	free(s);
	if (size >= sizeof(int64_t)) {
		int64_t v;

		memcpy(&v, data, sizeof(v));
		t = (time_t)v;
		round_trip(t);
		/* The documented minimum buffer: 21 bytes, always NUL-terminated. */
		mailtls_time_format(t, small, sizeof(small));
		FUZZ_ASSERT(memchr(small, '\0', sizeof(small)) != NULL);
	}
	return 0;
}
