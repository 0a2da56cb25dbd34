/*
 * resume.c - the answered set of an earlier scan (resume.h). Keys are 64-bit hashes of
 * "LINE\nINPUT": a collision would skip one target in 2^64, which is accepted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "resume.h"
#include "targets.h"

static uint64_t key_of(long line, const char *shown)
{
	char num[32];
	uint64_t h = 14695981039346656037ull;   /* FNV-1a */

	snprintf(num, sizeof(num), "%ld\n", line);
	for (const char *p = num; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	for (const char *p = shown; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return h;
}

static int cmp_key(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int add(struct resume_set *set, uint64_t k)
{
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 1024;
		uint64_t *v = realloc(set->keys, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		set->keys = v;
		set->cap = cap;
	}
	set->keys[set->n++] = k;
	return 0;
}

int resume_load(const char *path, struct resume_set *set, size_t *ignored, char *err,
		size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len;
	bool too_long;
	int r = 0;

	memset(set, 0, sizeof(*set));
	*ignored = 0;
	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "--resume %s: %s", path, strerror(errno));
		return -1;
	}
	if ((buf = malloc(RESUME_LINE_MAX + 1)) == NULL) {
		fclose(f);
		snprintf(err, errlen, "--resume %s: out of memory", path);
		return -1;
	}
	while (line_read(f, buf, RESUME_LINE_MAX, &len, &too_long)) {
		json_t *o, *line, *input;

		if (len == 0)
			continue;
		if (too_long) {
			(*ignored)++;
			continue;
		}
		o = json_loadb(buf, len, 0, NULL);   /* a cut line does not parse */
		line = json_object_get(o, "line");
		input = json_object_get(o, "input");
		if (json_is_integer(line) && json_is_string(input)) {
			if (add(set, key_of((long)json_integer_value(line), json_string_value(input))) != 0) {
				json_decref(o);
				snprintf(err, errlen, "--resume %s: out of memory", path);
				r = -1;
				break;
			}
		} else {
			(*ignored)++;
		}
		json_decref(o);
	}
	if (r == 0 && ferror(f)) {
		snprintf(err, errlen, "--resume %s: read error", path);
		r = -1;
	}
	free(buf);
	fclose(f);
	if (r == 0 && set->n > 0)   /* qsort() wants an array, even of none (found by fuzzing) */
		qsort(set->keys, set->n, sizeof(*set->keys), cmp_key);
	else if (r != 0)
		resume_free(set);
	return r;
}

bool resume_has(const struct resume_set *set, long line, const char *shown)
{
	uint64_t k = key_of(line, shown);

	return set->n > 0 && bsearch(&k, set->keys, set->n, sizeof(k), cmp_key) != NULL;
}

void resume_free(struct resume_set *set)
{
	free(set->keys);
	memset(set, 0, sizeof(*set));
}
