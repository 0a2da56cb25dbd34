/*
 * report_jsonutil.c - the JSON primitive the reporters share (report_jsonutil.h).
 */
#include <stdlib.h>
#include <string.h>
#include "escape.h"
#include "report_jsonutil.h"

json_t *report_json_text(const char *s)
{
	char *e;
	json_t *j;

	if (s == NULL)
		return json_null();
	/* Nearly always valid UTF-8 already (the result stores text escaped): json_string()
	 * checks, and only what it refuses is copied and repaired. */
	if ((j = json_string(s)) != NULL)
		return j;
	e = escape_utf8(s, strlen(s));
	if (e == NULL)
		return json_null();
	j = json_string(e);
	free(e);
	return j ? j : json_null();
}
