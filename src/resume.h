/*
 * resume.h - what an earlier scan already answered: the (line number, input) pairs of the
 * JSON Lines it wrote, so that `scan --resume FILE` checks only the rest. A line of FILE
 * that is not a whole JSON object (a scan killed mid-write) is ignored: its target is
 * checked again.
 */
#ifndef MAILTLS_CLI_RESUME_H
#define MAILTLS_CLI_RESUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RESUME_LINE_MAX (4u << 20)    /* longer output lines are not ours: ignored */

struct resume_set {
	uint64_t *keys;                /* sorted after resume_load() */
	size_t n;
	size_t cap;
};

/* resume_load - read FILE into set. A file that does not exist is an empty set (the first
 * run of a scan that will be resumed). 0, or -1 with err filled (unreadable, no memory). */
int resume_load(const char *path, struct resume_set *set, size_t *ignored, char *err,
		size_t errlen);

/* resume_has - line `line` with input `shown` (the input as the output shows it: escaped)
 * was answered. */
bool resume_has(const struct resume_set *set, long line, const char *shown);

void resume_free(struct resume_set *set);

#endif
