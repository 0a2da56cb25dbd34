/*
 * fuzz_targets.c - the scan's input (src/targets.c: line_read, target_parse, target_hash,
 * target_in_shard) and the resume file's lines (src/resume.c: resume_load).
 *
 * Feeds: the input as a file of lines, read with line_read() (a 64-byte limit, so that long
 * lines are cut), each line to target_parse() and the shard functions; the same bytes as an
 * earlier scan's output to resume_load().
 * Asserts: line_read() gives at most the limit and a NUL-terminated line, cut only when it
 * says so; target_parse() gives exactly one kind, a target
 * with a non-empty host that fits and a port 0..65535, a bad line with a one-line reason
 * safe on a terminal; every line falls in exactly one of 1..7 shards, whatever blanks
 * surround it; resume_load() never fails on content (only on I/O), and what it loaded
 * answers resume_has() for a line it recorded.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "fuzz_common.h"
#include "resume.h"
#include "targets.h"

#define LINE_LIMIT 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_line(const char *line)
{
	struct target t;
	char padded[LINE_LIMIT + 8];
	int in = 0;

	target_parse(line, &t);
	switch (t.kind) {
	case TARGET_SKIP:
		break;
	case TARGET_OK:
		FUZZ_ASSERT(t.host[0] != '\0' && memchr(t.host, '\0', sizeof(t.host)) != NULL);
		FUZZ_ASSERT(t.port <= 65535);
		break;
	case TARGET_BAD:
		FUZZ_ASSERT(t.why[0] != '\0');
		fuzz_terminal_safe(t.why, 0);
		break;
	default:
		FUZZ_ASSERT(!"unknown kind");
	}
	for (unsigned k = 1; k <= 7; k++)
		in += target_in_shard(line, k, 7);
	FUZZ_ASSERT(in == 1);
	snprintf(padded, sizeof(padded), " \t%s\r ", line);
	FUZZ_ASSERT(target_hash(padded) == target_hash(line) || strlen(line) > LINE_LIMIT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fmemopen((void *)(size ? data : (const uint8_t *)""), size ? size : 1, "r");
	char line[LINE_LIMIT + 1], path[] = "/tmp/fuzz-resume-XXXXXX";
	size_t len;
	bool too_long;
	struct resume_set set;
	size_t ignored;
	char err[256];
	int fd;

	if (f == NULL)
		return 0;
	while (line_read(f, line, LINE_LIMIT, &len, &too_long)) {
		FUZZ_ASSERT(len <= LINE_LIMIT && line[len] == '\0');
		FUZZ_ASSERT(!too_long || len == LINE_LIMIT);
		/* A line with a NUL inside is cut at it here; the scan reports it as bad. */
		one_line(line);
	}
	fclose(f);

	if ((fd = mkstemp(path)) < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		FUZZ_ASSERT(resume_load(path, &set, &ignored, err, sizeof(err)) == 0);
		if (set.n > 0)
			FUZZ_ASSERT(set.keys != NULL);
		resume_free(&set);
	}
	close(fd);
	unlink(path);
	return 0;
}
